//! The wire format of protocol messages: one [`Envelope`] per channel message.
//!
//! The channel below already frames, authenticates and encrypts each message, so this format
//! carries no length prefix or checksum. All integers are little-endian.
//!
//! | Field   | Size | Meaning                                   |
//! |---------|-----:|-------------------------------------------|
//! | epoch   |    8 | the sender's epoch, u64                    |
//! | seq     |    8 | per connection and direction, from 0, u64  |
//! | tag     |    1 | the message kind (below)                   |
//! | body    |    * | laid out per kind                          |
//!
//! | Tag | Message     | Body                                                                 |
//! |----:|-------------|----------------------------------------------------------------------|
//! |   1 | `Hello`     | version u16, fingerprint 32, disk hash 32, epoch u64, role u8 (0 primary, 1 backup), join u8 (0 or 1), node (u16 length + UTF-8, at most [`MAX_NODE_LEN`]) |
//! |   2 | `Refuse`    | reason (u16 length + UTF-8, at most [`MAX_REASON_LEN`])               |
//! |   3 | `Log`       | vouched u64, released u64, bytes (u32 length, at most [`MAX_LOG_BYTES`], then the bytes) |
//! |   4 | `Ack`       | received u64, executed u64, executed_mtime u64                        |
//! |   5 | `Heartbeat` | nothing                                                               |
//! |   6 | `Transfer`  | bytes (u32 length, at most [`MAX_TRANSFER_BYTES`], then the bytes)    |
//! |   7 | `Synced`    | position u64, digest 32, state (u32 length, at most [`MAX_STATE_BYTES`], then the bytes) |
//!
//! Strings are single printable lines: no control characters. Nothing may follow the body.

use std::fmt;

use thiserror::Error;

/// The protocol version this build speaks; a peer must speak the same.
/// Version 2 added joining: `Hello::join`, `Transfer` and `Synced`.
pub const PROTOCOL_VERSION: u16 = 2;

/// The longest node name on the wire, in bytes.
pub const MAX_NODE_LEN: usize = 255;

/// The longest refusal reason on the wire, in bytes.
pub const MAX_REASON_LEN: usize = 1024;

/// The most log bytes one `Log` message carries (1 MiB); the primary splits larger runs.
pub const MAX_LOG_BYTES: usize = 1 << 20;

/// The most state bytes one `Transfer` message carries (1 MiB); the primary splits larger
/// chunks.
pub const MAX_TRANSFER_BYTES: usize = 1 << 20;

/// The most machine-state bytes a `Synced` message carries (16 MiB; the hart and devices
/// take a few KiB).
pub const MAX_STATE_BYTES: usize = 16 << 20;

const TAG_HELLO: u8 = 1;
const TAG_REFUSE: u8 = 2;
const TAG_LOG: u8 = 3;
const TAG_ACK: u8 = 4;
const TAG_HEARTBEAT: u8 = 5;
const TAG_TRANSFER: u8 = 6;
const TAG_SYNCED: u8 = 7;

/// Which side a node plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Runs the machine and streams its inputs.
    Primary,
    /// Replays the primary's inputs, ready to take over.
    Backup,
}

impl Role {
    /// The role a peer must have.
    pub fn other(self) -> Role {
        match self {
            Role::Primary => Role::Backup,
            Role::Backup => Role::Primary,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Primary => "primary",
            Role::Backup => "backup",
        })
    }
}

/// Identity checked at connection: both sides send one first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The sender's [`PROTOCOL_VERSION`].
    pub version: u16,
    /// The machine fingerprint: a hash of the configuration and initial state.
    pub fingerprint: [u8; 32],
    /// A hash of the disk image the machine starts from.
    pub disk_hash: [u8; 32],
    /// The sender's epoch.
    pub epoch: u64,
    /// The sender's role.
    pub role: Role,
    /// From a backup: it may receive a running primary's state, which overwrites its disk
    /// (`--join`). From a primary, which answers the backup's Hello with its own to accept
    /// it: its state transfer (`Transfer` messages, then `Synced`) comes before the log.
    pub join: bool,
    /// The sender's node name, for messages and the arbiter.
    pub node: String,
}

/// One protocol message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// The sender's identity, the first message on a connection.
    Hello(Hello),
    /// The sender refuses the connection (one line), then closes it.
    Refuse {
        /// What differs or why the sender cannot accept a peer.
        reason: String,
    },
    /// Primary to backup: the next bytes of the input log, and how far they reach.
    Log {
        /// Every log entry at a position below `vouched` is in the bytes sent so far, so the
        /// backup may run up to `vouched`.
        vouched: u64,
        /// The primary has released all outputs produced at positions at or below this.
        released: u64,
        /// The continuation of the log byte stream (the replay crate's format, opaque here).
        bytes: Vec<u8>,
    },
    /// Backup to primary: how far the log arrived and how far the backup executed it.
    Ack {
        /// The log is received and vouched through this position.
        received: u64,
        /// The backup executed through this position.
        executed: u64,
        /// The guest's `mtime` (10 MHz ticks) at `executed`.
        executed_mtime: u64,
    },
    /// Nothing else to say: the sender is alive.
    Heartbeat,
    /// Primary to backup, while it joins: the next chunk of the running machine's pre-copied
    /// state (RAM and disk), in order.
    Transfer {
        /// The chunk (the engine's transfer format, opaque here).
        bytes: Vec<u8>,
    },
    /// Primary to backup: the stop-and-copy is done; the backup holds the machine at
    /// `position`, and the log that follows starts there (with a new log header).
    Synced {
        /// The position the machine stopped at for the copy.
        position: u64,
        /// The machine digest at `position`, to check the transferred state against.
        digest: [u8; 32],
        /// The machine state without RAM and disk (the hart and devices), opaque here.
        state: Vec<u8>,
    },
}

impl Message {
    /// The message's name, for error lines.
    pub fn name(&self) -> &'static str {
        match self {
            Message::Hello(_) => "Hello",
            Message::Refuse { .. } => "Refuse",
            Message::Log { .. } => "Log",
            Message::Ack { .. } => "Ack",
            Message::Heartbeat => "Heartbeat",
            Message::Transfer { .. } => "Transfer",
            Message::Synced { .. } => "Synced",
        }
    }
}

/// A message as it travels: with the sender's epoch and its sequence number on the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The sender's epoch.
    pub epoch: u64,
    /// Counts from 0 per connection and direction.
    pub seq: u64,
    /// The message.
    pub message: Message,
}

/// A channel message that is not a valid [`Envelope`].
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum WireError {
    /// The message ends inside a field.
    #[error("the message ends inside its {field}")]
    Truncated {
        /// The field cut short.
        field: &'static str,
    },
    /// The tag names no message of this version.
    #[error("unknown message tag {tag}")]
    UnknownTag {
        /// The tag byte.
        tag: u8,
    },
    /// The role byte names no role.
    #[error("unknown role {value} in a Hello")]
    UnknownRole {
        /// The role byte.
        value: u8,
    },
    /// A flag byte is neither 0 nor 1.
    #[error("the {field} is {value}, neither 0 nor 1")]
    BadFlag {
        /// The field.
        field: &'static str,
        /// The byte.
        value: u8,
    },
    /// A length field exceeds its bound.
    #[error("the {field} is {len} bytes, over the {max}-byte cap")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its announced length.
        len: usize,
        /// Its cap.
        max: usize,
    },
    /// A string is not UTF-8 or not one printable line.
    #[error("the {field} is not a printable UTF-8 line")]
    BadString {
        /// The field.
        field: &'static str,
    },
    /// Bytes follow the message body.
    #[error("{count} bytes follow the message")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// Encodes an envelope. Strings are clipped to their caps and control characters replaced, so
/// that [`decode`] accepts the result; `Log`, `Transfer` and `Synced` bytes must not exceed
/// [`MAX_LOG_BYTES`], [`MAX_TRANSFER_BYTES`] and [`MAX_STATE_BYTES`] (the cores never build
/// such a message).
pub fn encode(envelope: &Envelope) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&envelope.epoch.to_le_bytes());
    out.extend_from_slice(&envelope.seq.to_le_bytes());
    match &envelope.message {
        Message::Hello(hello) => {
            out.push(TAG_HELLO);
            out.extend_from_slice(&hello.version.to_le_bytes());
            out.extend_from_slice(&hello.fingerprint);
            out.extend_from_slice(&hello.disk_hash);
            out.extend_from_slice(&hello.epoch.to_le_bytes());
            out.push(match hello.role {
                Role::Primary => 0,
                Role::Backup => 1,
            });
            out.push(u8::from(hello.join));
            put_string(&mut out, &hello.node, MAX_NODE_LEN);
        }
        Message::Refuse { reason } => {
            out.push(TAG_REFUSE);
            put_string(&mut out, reason, MAX_REASON_LEN);
        }
        Message::Log {
            vouched,
            released,
            bytes,
        } => {
            out.push(TAG_LOG);
            out.extend_from_slice(&vouched.to_le_bytes());
            out.extend_from_slice(&released.to_le_bytes());
            put_bytes(&mut out, bytes);
        }
        Message::Ack {
            received,
            executed,
            executed_mtime,
        } => {
            out.push(TAG_ACK);
            out.extend_from_slice(&received.to_le_bytes());
            out.extend_from_slice(&executed.to_le_bytes());
            out.extend_from_slice(&executed_mtime.to_le_bytes());
        }
        Message::Heartbeat => out.push(TAG_HEARTBEAT),
        Message::Transfer { bytes } => {
            out.push(TAG_TRANSFER);
            put_bytes(&mut out, bytes);
        }
        Message::Synced {
            position,
            digest,
            state,
        } => {
            out.push(TAG_SYNCED);
            out.extend_from_slice(&position.to_le_bytes());
            out.extend_from_slice(digest);
            put_bytes(&mut out, state);
        }
    }
    out
}

/// Decodes one channel message. Never panics and never allocates more than the input's size.
pub fn decode(bytes: &[u8]) -> Result<Envelope, WireError> {
    let mut reader = Reader { rest: bytes };
    let epoch = reader.u64("epoch")?;
    let seq = reader.u64("sequence number")?;
    let message = match reader.u8("tag")? {
        TAG_HELLO => Message::Hello(Hello {
            version: reader.u16("Hello version")?,
            fingerprint: reader.array("Hello fingerprint")?,
            disk_hash: reader.array("Hello disk hash")?,
            epoch: reader.u64("Hello epoch")?,
            role: match reader.u8("Hello role")? {
                0 => Role::Primary,
                1 => Role::Backup,
                value => return Err(WireError::UnknownRole { value }),
            },
            join: reader.flag("Hello join flag")?,
            node: reader.string("Hello node name", MAX_NODE_LEN)?,
        }),
        TAG_REFUSE => Message::Refuse {
            reason: reader.string("Refuse reason", MAX_REASON_LEN)?,
        },
        TAG_LOG => Message::Log {
            vouched: reader.u64("Log vouched")?,
            released: reader.u64("Log released")?,
            bytes: reader.bytes("Log bytes", MAX_LOG_BYTES)?,
        },
        TAG_ACK => Message::Ack {
            received: reader.u64("Ack received")?,
            executed: reader.u64("Ack executed")?,
            executed_mtime: reader.u64("Ack executed_mtime")?,
        },
        TAG_HEARTBEAT => Message::Heartbeat,
        TAG_TRANSFER => Message::Transfer {
            bytes: reader.bytes("Transfer bytes", MAX_TRANSFER_BYTES)?,
        },
        TAG_SYNCED => Message::Synced {
            position: reader.u64("Synced position")?,
            digest: reader.array("Synced digest")?,
            state: reader.bytes("Synced state", MAX_STATE_BYTES)?,
        },
        tag => return Err(WireError::UnknownTag { tag }),
    };
    if !reader.rest.is_empty() {
        return Err(WireError::TrailingBytes {
            count: reader.rest.len(),
        });
    }
    Ok(Envelope {
        epoch,
        seq,
        message,
    })
}

/// Makes `text` a printable line of at most `max` bytes: control characters become `?`, and the
/// text is cut at a character boundary.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut line = String::with_capacity(text.len().min(max));
    for c in text.chars().map(|c| if c.is_control() { '?' } else { c }) {
        if line.len() + c.len_utf8() > max {
            break;
        }
        line.push(c);
    }
    line
}

fn put_string(out: &mut Vec<u8>, text: &str, max: usize) {
    let line = one_line(text, max.min(usize::from(u16::MAX)));
    let len = u16::try_from(line.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(line.as_bytes());
}

/// Writes a u32 length and the bytes.
fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Reads fields off the front of a message.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], WireError> {
        if self.rest.len() < len {
            return Err(WireError::Truncated { field });
        }
        let (head, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, WireError> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    fn flag(&mut self, field: &'static str) -> Result<bool, WireError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(WireError::BadFlag { field, value }),
        }
    }

    /// A u32 length, checked against `max` before anything is allocated, then the bytes.
    fn bytes(&mut self, field: &'static str, max: usize) -> Result<Vec<u8>, WireError> {
        let len = usize::try_from(self.u32(field)?).unwrap_or(usize::MAX);
        if len > max {
            return Err(WireError::TooLong { field, len, max });
        }
        Ok(self.take(len, field)?.to_vec())
    }

    fn string(&mut self, field: &'static str, max: usize) -> Result<String, WireError> {
        let len = usize::from(self.u16(field)?);
        if len > max {
            return Err(WireError::TooLong { field, len, max });
        }
        let text = std::str::from_utf8(self.take(len, field)?)
            .map_err(|_| WireError::BadString { field })?;
        if text.chars().any(char::is_control) {
            return Err(WireError::BadString { field });
        }
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Envelope> {
        let hello = Hello {
            version: PROTOCOL_VERSION,
            fingerprint: [7; 32],
            disk_hash: [9; 32],
            epoch: 3,
            role: Role::Backup,
            join: true,
            node: "backup-é".to_owned(),
        };
        [
            Message::Hello(hello),
            Message::Refuse {
                reason: "fingerprint differs".to_owned(),
            },
            Message::Log {
                vouched: 1 << 40,
                released: 12,
                bytes: vec![1, 2, 3, 255],
            },
            Message::Log {
                vouched: 0,
                released: 0,
                bytes: Vec::new(),
            },
            Message::Ack {
                received: 5,
                executed: 4,
                executed_mtime: u64::MAX,
            },
            Message::Heartbeat,
            Message::Transfer {
                bytes: vec![0x5a; 300],
            },
            Message::Transfer { bytes: Vec::new() },
            Message::Synced {
                position: 1 << 33,
                digest: [0xdd; 32],
                state: vec![4, 5, 6],
            },
        ]
        .into_iter()
        .enumerate()
        .map(|(seq, message)| Envelope {
            epoch: 3,
            seq: seq as u64,
            message,
        })
        .collect()
    }

    #[test]
    fn every_message_round_trips() {
        for envelope in samples() {
            assert_eq!(decode(&encode(&envelope)), Ok(envelope));
        }
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        for envelope in samples() {
            let bytes = encode(&envelope);
            for len in 0..bytes.len() {
                assert!(decode(&bytes[..len]).is_err(), "{envelope:?} cut at {len}");
            }
        }
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut bytes = encode(&samples()[5]);
        bytes.push(0);
        assert_eq!(decode(&bytes), Err(WireError::TrailingBytes { count: 1 }));
    }

    #[test]
    fn unknown_tags_and_roles_are_errors() {
        let mut bytes = encode(&samples()[5]);
        bytes[16] = 200;
        assert_eq!(decode(&bytes), Err(WireError::UnknownTag { tag: 200 }));
        let mut hello = encode(&samples()[0]);
        let role_at = 17 + 2 + 32 + 32 + 8;
        hello[role_at] = 2;
        assert_eq!(decode(&hello), Err(WireError::UnknownRole { value: 2 }));
    }

    #[test]
    fn a_join_flag_other_than_0_or_1_is_an_error() {
        let mut hello = encode(&samples()[0]);
        let join_at = 17 + 2 + 32 + 32 + 8 + 1;
        assert_eq!(hello[join_at], 1);
        hello[join_at] = 2;
        assert_eq!(
            decode(&hello),
            Err(WireError::BadFlag {
                field: "Hello join flag",
                value: 2
            })
        );
    }

    #[test]
    fn transfer_and_synced_lengths_over_their_caps_are_refused_before_allocating() {
        let mut transfer = encode(&samples()[7]);
        transfer[17..21].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode(&transfer),
            Err(WireError::TooLong {
                field: "Transfer bytes",
                max: MAX_TRANSFER_BYTES,
                ..
            })
        ));
        let mut synced = encode(&samples()[8]);
        let len_at = 17 + 8 + 32;
        let over = MAX_STATE_BYTES as u32 + 1;
        synced[len_at..len_at + 4].copy_from_slice(&over.to_le_bytes());
        assert!(matches!(
            decode(&synced),
            Err(WireError::TooLong {
                field: "Synced state",
                max: MAX_STATE_BYTES,
                ..
            })
        ));
    }

    #[test]
    fn log_length_over_the_cap_is_refused_before_allocating() {
        let mut bytes = encode(&samples()[3]);
        let len_at = 17 + 16;
        bytes[len_at..len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode(&bytes),
            Err(WireError::TooLong {
                field: "Log bytes",
                ..
            })
        ));
    }

    #[test]
    fn strings_must_be_printable_utf8_lines() {
        let mut bytes = encode(&samples()[1]);
        bytes[19] = 0xff;
        assert_eq!(
            decode(&bytes),
            Err(WireError::BadString {
                field: "Refuse reason"
            })
        );
        bytes[19] = b'\n';
        assert_eq!(
            decode(&bytes),
            Err(WireError::BadString {
                field: "Refuse reason"
            })
        );
    }

    #[test]
    fn encode_makes_long_or_multiline_strings_decodable() {
        let reason = format!("two\nlines {}", "é".repeat(MAX_REASON_LEN));
        let envelope = Envelope {
            epoch: 0,
            seq: 0,
            message: Message::Refuse { reason },
        };
        let Ok(Envelope {
            message: Message::Refuse { reason },
            ..
        }) = decode(&encode(&envelope))
        else {
            panic!("the clipped reason does not decode");
        };
        assert!(reason.starts_with("two?lines "));
        assert!(reason.len() <= MAX_REASON_LEN);
    }

    #[test]
    fn garbage_never_panics() {
        // A fixed xorshift stream of inputs, including ones that start like valid messages.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let valid: Vec<Vec<u8>> = samples().iter().map(encode).collect();
        for round in 0..20_000 {
            let mut bytes = valid[round % valid.len()].clone();
            let flips = next() % 4;
            for _ in 0..=flips {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            bytes.truncate((next() as usize) % (bytes.len() + 1));
            let _ = decode(&bytes);
        }
    }
}
