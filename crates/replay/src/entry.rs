//! Log entries and the payload layout of each kind.

use std::borrow::Cow;
use std::fmt;

/// Identifies the machine a log belongs to: a hash of its configuration and initial state,
/// supplied by the recorder. Replay against a machine with another fingerprint is refused.
pub type Fingerprint = [u8; 32];

/// One logged event: what happened and the position at which it is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The machine position (instructions retired plus traps taken) the event applies at.
    pub position: u64,
    /// The event itself.
    pub payload: Payload,
}

/// What an entry records, one variant per [`Kind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Bytes typed on the console.
    ConsoleInput(Vec<u8>),
    /// One Ethernet frame received from the network.
    NetFrame(Vec<u8>),
    /// Host randomness handed to the guest's entropy device.
    Entropy(Vec<u8>),
    /// Re-anchors virtual time to the host clock: at this position `mtime` reads `mtime` and
    /// from here advances by `rate` / 2^32 ticks per position; the primary's host clock read
    /// `host_ns` nanoseconds.
    ClockAnchor {
        /// Host clock in nanoseconds when the anchor was taken.
        host_ns: u64,
        /// The machine timer value at the entry's position.
        mtime: u64,
        /// Timer ticks per position, as a 32.32 fixed-point number.
        rate: u64,
    },
    /// An idle `wfi` woke up after virtual time advanced by `ticks` timer ticks.
    TimeSkip {
        /// Timer ticks skipped.
        ticks: u64,
    },
    /// The machine state digest at this position, compared on replay to detect divergence.
    Digest {
        /// The digest.
        digest: [u8; 32],
    },
    /// The hart's registers at this position, logged beside a digest so that a replay whose
    /// digest differs can say which registers differ: 33 little-endian u64s, pc, privilege,
    /// then x1..x31 ([`REGISTERS_LEN`] bytes).
    Registers(Vec<u8>),
    /// Short hashes of what the state digest at this position is made of, logged beside it so
    /// that a replay whose digest differs can say which components and which RAM pages differ.
    /// The digest stays the authority; these only explain a mismatch.
    StateHashes {
        /// Every state section but RAM (the hart, the board, each device): its 4-byte tag
        /// (printable ASCII, each tag once) and a [`ShortHash`] of its contents. At most
        /// [`MAX_STATE_SECTIONS`].
        sections: Vec<([u8; 4], ShortHash)>,
        /// The RAM pages whose hash changed since the previous checkpoint (since the start of
        /// the recording for the first one): page number from the start of RAM and a
        /// [`ShortHash`] of its contents (zeros for an all-zero page), in increasing page
        /// order. At most [`MAX_STATE_PAGES`]; a checkpoint with more takes several entries.
        pages: Vec<(u32, ShortHash)>,
    },
    /// A snapshot of the machine was taken at this position under this name.
    Snapshot {
        /// The snapshot's name.
        name: String,
    },
    /// The recording ended here; no entry follows.
    End {
        /// Why the recording ended.
        reason: EndReason,
    },
}

/// Why a recording ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The guest powered off successfully.
    Poweroff,
    /// The guest reported failure with this code.
    Fail(u64),
    /// The recorder stopped while the guest was still running.
    Stopped,
}

/// The kind byte of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// [`Payload::ConsoleInput`].
    ConsoleInput = 1,
    /// [`Payload::NetFrame`].
    NetFrame = 2,
    /// [`Payload::Entropy`].
    Entropy = 3,
    /// [`Payload::ClockAnchor`].
    ClockAnchor = 4,
    /// [`Payload::TimeSkip`].
    TimeSkip = 5,
    /// [`Payload::Digest`].
    Digest = 6,
    /// [`Payload::Snapshot`].
    Snapshot = 7,
    /// [`Payload::End`].
    End = 8,
    /// [`Payload::Registers`].
    Registers = 9,
    /// [`Payload::StateHashes`].
    StateHashes = 10,
}

/// Size of a [`Payload::Registers`] payload.
pub const REGISTERS_LEN: usize = 33 * 8;

/// The first 8 bytes of a hash: enough to tell which part of two states differs, too short to
/// vouch that two states are equal (the 32-byte digest does that).
pub type ShortHash = [u8; 8];

/// The most state sections a [`Payload::StateHashes`] entry may carry.
pub const MAX_STATE_SECTIONS: usize = 32;

/// The most page hashes a [`Payload::StateHashes`] entry may carry (12 MiB of payload).
pub const MAX_STATE_PAGES: usize = 1 << 20;

/// Bytes of one section or one page in a [`Payload::StateHashes`] payload.
const STATE_ITEM_LEN: usize = 12;

/// Size of the largest fixed-size payload ([`Kind::Digest`]).
pub(crate) const FIXED_MAX: usize = 32;

impl Kind {
    /// The kind with this byte, if this format version defines one.
    pub fn from_u8(byte: u8) -> Option<Kind> {
        Some(match byte {
            1 => Kind::ConsoleInput,
            2 => Kind::NetFrame,
            3 => Kind::Entropy,
            4 => Kind::ClockAnchor,
            5 => Kind::TimeSkip,
            6 => Kind::Digest,
            7 => Kind::Snapshot,
            8 => Kind::End,
            9 => Kind::Registers,
            10 => Kind::StateHashes,
            _ => return None,
        })
    }

    /// The payload size of kinds whose payload has one size; `None` for variable payloads.
    pub(crate) fn fixed_len(self) -> Option<usize> {
        match self {
            Kind::ConsoleInput
            | Kind::NetFrame
            | Kind::Entropy
            | Kind::Snapshot
            | Kind::Registers
            | Kind::StateHashes => None,
            Kind::ClockAnchor => Some(24),
            Kind::TimeSkip => Some(8),
            Kind::Digest => Some(32),
            Kind::End => Some(9),
        }
    }
}

impl fmt::Display for Kind {
    /// The kind's name, honouring width and alignment (`{kind:<14}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{self:?}"))
    }
}

impl Payload {
    /// This payload's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Payload::ConsoleInput(_) => Kind::ConsoleInput,
            Payload::NetFrame(_) => Kind::NetFrame,
            Payload::Entropy(_) => Kind::Entropy,
            Payload::ClockAnchor { .. } => Kind::ClockAnchor,
            Payload::TimeSkip { .. } => Kind::TimeSkip,
            Payload::Digest { .. } => Kind::Digest,
            Payload::Snapshot { .. } => Kind::Snapshot,
            Payload::End { .. } => Kind::End,
            Payload::Registers(_) => Kind::Registers,
            Payload::StateHashes { .. } => Kind::StateHashes,
        }
    }

    /// Checks what the payload's type allows but its layout does not: the size of registers,
    /// the limits and order of state hashes. The writer refuses, and the reader never
    /// returns, a payload that fails.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        match self {
            Payload::Registers(bytes) if bytes.len() != REGISTERS_LEN => {
                Err("registers payload is not 33 u64s")
            }
            Payload::StateHashes { sections, pages } => {
                if sections.len() > MAX_STATE_SECTIONS {
                    return Err("more than 32 state sections");
                }
                if pages.len() > MAX_STATE_PAGES {
                    return Err("more than 2^20 page hashes");
                }
                let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
                if !sections.iter().all(|(tag, _)| tag.iter().all(printable)) {
                    return Err("a state section tag is not printable ASCII");
                }
                for (i, (tag, _)) in sections.iter().enumerate() {
                    if sections[..i].iter().any(|(t, _)| t == tag) {
                        return Err("a state section tag appears twice");
                    }
                }
                if pages.windows(2).any(|w| w[0].0 >= w[1].0) {
                    return Err("page numbers are not in increasing order");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The encoded payload: byte payloads as they are, fixed ones laid out in `scratch`, state
    /// hashes in a new buffer.
    pub(crate) fn encode<'a>(&'a self, scratch: &'a mut [u8; FIXED_MAX]) -> Cow<'a, [u8]> {
        Cow::Borrowed(match self {
            Payload::ConsoleInput(bytes) | Payload::NetFrame(bytes) | Payload::Entropy(bytes) => {
                bytes
            }
            Payload::Snapshot { name } => name.as_bytes(),
            Payload::Registers(bytes) => bytes,
            Payload::StateHashes { sections, pages } => {
                let mut out =
                    Vec::with_capacity(2 + STATE_ITEM_LEN * (sections.len() + pages.len()));
                // `check` caps the count far below u16::MAX.
                out.extend_from_slice(&(sections.len() as u16).to_le_bytes());
                for (tag, hash) in sections {
                    out.extend_from_slice(tag);
                    out.extend_from_slice(hash);
                }
                for (page, hash) in pages {
                    out.extend_from_slice(&page.to_le_bytes());
                    out.extend_from_slice(hash);
                }
                return Cow::Owned(out);
            }
            Payload::Digest { digest } => digest,
            Payload::ClockAnchor {
                host_ns,
                mtime,
                rate,
            } => {
                scratch[..8].copy_from_slice(&host_ns.to_le_bytes());
                scratch[8..16].copy_from_slice(&mtime.to_le_bytes());
                scratch[16..24].copy_from_slice(&rate.to_le_bytes());
                &scratch[..24]
            }
            Payload::TimeSkip { ticks } => {
                scratch[..8].copy_from_slice(&ticks.to_le_bytes());
                &scratch[..8]
            }
            Payload::End { reason } => {
                let (tag, value) = match *reason {
                    EndReason::Poweroff => (0, 0),
                    EndReason::Fail(code) => (1, code),
                    EndReason::Stopped => (2, 0),
                };
                scratch[0] = tag;
                scratch[1..9].copy_from_slice(&value.to_le_bytes());
                &scratch[..9]
            }
        })
    }

    /// Decodes a payload of `kind`, or says what is wrong with it. A variable-size payload is
    /// `bytes`; a fixed-size one is the first `kind.fixed_len()` bytes of `fixed`.
    pub(crate) fn decode(
        kind: Kind,
        fixed: &[u8; FIXED_MAX],
        bytes: Vec<u8>,
    ) -> Result<Payload, &'static str> {
        let payload = match kind {
            Kind::ConsoleInput => Payload::ConsoleInput(bytes),
            Kind::NetFrame => Payload::NetFrame(bytes),
            Kind::Entropy => Payload::Entropy(bytes),
            Kind::Snapshot => Payload::Snapshot {
                name: String::from_utf8(bytes).map_err(|_| "snapshot name is not UTF-8")?,
            },
            Kind::Registers => Payload::Registers(bytes),
            Kind::StateHashes => decode_state_hashes(&bytes)?,
            Kind::ClockAnchor => Payload::ClockAnchor {
                host_ns: le_u64(fixed, 0),
                mtime: le_u64(fixed, 8),
                rate: le_u64(fixed, 16),
            },
            Kind::TimeSkip => Payload::TimeSkip {
                ticks: le_u64(fixed, 0),
            },
            Kind::Digest => Payload::Digest { digest: *fixed },
            Kind::End => {
                let reason = match (fixed[0], le_u64(fixed, 1)) {
                    (0, 0) => EndReason::Poweroff,
                    (1, code) => EndReason::Fail(code),
                    (2, 0) => EndReason::Stopped,
                    (0 | 2, _) => return Err("end reason carries a value it does not use"),
                    _ => return Err("unknown end reason"),
                };
                Payload::End { reason }
            }
        };
        payload.check()?;
        Ok(payload)
    }
}

/// Decodes the layout of a [`Payload::StateHashes`]: a u16 section count, that many (tag,
/// hash) pairs, then (page, hash) pairs to the end. [`Payload::check`] judges the contents.
fn decode_state_hashes(bytes: &[u8]) -> Result<Payload, &'static str> {
    let (count, rest) = bytes
        .split_first_chunk::<2>()
        .ok_or("state hashes end before their section count")?;
    let count = usize::from(u16::from_le_bytes(*count));
    if rest.len() < count * STATE_ITEM_LEN {
        return Err("state sections run past the end of the payload");
    }
    let (sections, pages) = rest.split_at(count * STATE_ITEM_LEN);
    if pages.len() % STATE_ITEM_LEN != 0 {
        return Err("page hashes are not whole 12-byte (page, hash) pairs");
    }
    let item = |chunk: &[u8]| {
        let mut head = [0u8; 4];
        let mut hash = [0u8; 8];
        head.copy_from_slice(&chunk[..4]);
        hash.copy_from_slice(&chunk[4..]);
        (head, hash)
    };
    Ok(Payload::StateHashes {
        sections: sections.chunks_exact(STATE_ITEM_LEN).map(item).collect(),
        pages: pages
            .chunks_exact(STATE_ITEM_LEN)
            .map(|chunk| {
                let (page, hash) = item(chunk);
                (u32::from_le_bytes(page), hash)
            })
            .collect(),
    })
}

/// The little-endian u64 at `at` in `bytes`; `at` is a constant of the layout, at most 24.
fn le_u64(bytes: &[u8; FIXED_MAX], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}
