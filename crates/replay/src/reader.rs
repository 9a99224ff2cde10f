//! Reading a log, one entry at a time.

use std::io::{self, BufReader, ErrorKind, Read};

use crc32fast::Hasher;

use crate::entry::FIXED_MAX;
use crate::{
    At, Entry, Fingerprint, FramePart, Kind, LogError, Payload, HEADER_LEN, MAGIC, MAX_PAYLOAD,
    PREFIX_CHECKED, PREFIX_LEN, VERSION,
};

/// How much of a variable payload is allocated before its bytes arrive; the rest grows with
/// the data actually read, so a length alone never commits memory.
const INITIAL_ALLOCATION: usize = 64 << 10;

/// Reads a log entry by entry, validating every frame, from any blocking byte stream (a file, a
/// pipe, a socket): an entry is returned as soon as its frame has arrived. It holds one entry
/// and a 64 KiB read-ahead buffer, never the whole log.
///
/// After an error (including a `WouldBlock` from a non-blocking input) the reader's place in
/// the stream is unspecified; it should be dropped.
pub struct LogReader<R: Read> {
    input: BufReader<R>,
    fingerprint: Fingerprint,
    /// Byte offset of the next frame.
    offset: u64,
    /// The position of the last entry read.
    previous: u64,
    /// Whether the `End` entry has been read.
    ended: bool,
}

impl<R: Read> LogReader<R> {
    /// Reads and validates the header of the log in `input`. With `expected` set, refuses a
    /// log recorded for a machine with another fingerprint.
    pub fn open(input: R, expected: Option<Fingerprint>) -> Result<LogReader<R>, LogError> {
        let mut input = BufReader::with_capacity(64 << 10, input);
        let io = |source| LogError::Io { offset: 0, source };
        let mut header = [0u8; HEADER_LEN];
        let (start, rest) = header.split_at_mut(10);
        let len = read_full(&mut input, start).map_err(io)?;
        if start[..len.min(MAGIC.len())] != MAGIC[..len.min(MAGIC.len())] {
            return Err(LogError::BadMagic);
        }
        let len = match len {
            10 => 10 + read_full(&mut input, rest).map_err(io)?,
            _ => len,
        };
        if len >= 10 {
            let version = u16::from_le_bytes([header[8], header[9]]);
            if version != VERSION {
                return Err(LogError::UnsupportedVersion { version });
            }
        }
        if len < HEADER_LEN {
            return Err(LogError::TruncatedHeader { len: len as u64 });
        }
        let stored = u32::from_le_bytes([header[44], header[45], header[46], header[47]]);
        let computed = crc32fast::hash(&header[..44]);
        if stored != computed {
            return Err(LogError::HeaderChecksum { stored, computed });
        }
        let flags = u16::from_le_bytes([header[10], header[11]]);
        if flags != 0 {
            return Err(LogError::UnsupportedFlags { flags });
        }
        let mut found = [0u8; 32];
        found.copy_from_slice(&header[12..44]);
        if let Some(expected) = expected {
            if expected != found {
                return Err(LogError::WrongFingerprint { expected, found });
            }
        }
        Ok(LogReader {
            input,
            fingerprint: found,
            offset: HEADER_LEN as u64,
            previous: 0,
            ended: false,
        })
    }

    /// The fingerprint of the machine the log was recorded on.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// Byte offset of the next entry: the length of the log read and validated so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The underlying reader, for a source that knows more than the byte stream (a logging
    /// channel's progress markers). Reading from it directly would corrupt the log.
    pub fn get_ref(&self) -> &R {
        self.input.get_ref()
    }

    /// Bytes read from the underlying reader but not yet parsed into entries.
    pub fn buffered(&self) -> usize {
        self.input.buffer().len()
    }

    /// Reads the next entry. Returns `None` when the stream ends cleanly between two entries
    /// (whether or not an `End` entry was read: a log without one was cut short).
    pub fn next_entry(&mut self) -> Result<Option<Entry>, LogError> {
        let mut at = At {
            offset: self.offset,
            position: None,
        };
        let offset = self.offset;
        let io = move |source| LogError::Io { offset, source };
        let truncated = |at, got: usize| LogError::TruncatedEntry {
            at,
            end: at.offset + got as u64,
        };

        let mut prefix = [0u8; PREFIX_LEN];
        let got = read_full(&mut self.input, &mut prefix).map_err(io)?;
        if got == 0 {
            return Ok(None);
        }
        if self.ended {
            return Err(LogError::AfterEnd { at });
        }
        if got < PREFIX_LEN {
            return Err(truncated(at, got));
        }
        let mut hasher = Hasher::new();
        hasher.update(&prefix[..PREFIX_CHECKED]);
        let stored = u32::from_le_bytes([prefix[13], prefix[14], prefix[15], prefix[16]]);
        check(&hasher, stored, at, FramePart::Prefix)?;
        hasher.update(&prefix[PREFIX_CHECKED..]);

        let len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        let mut position = [0u8; 8];
        position.copy_from_slice(&prefix[5..13]);
        let position = u64::from_le_bytes(position);
        at.position = Some(position);
        if len > MAX_PAYLOAD {
            return Err(LogError::Oversized {
                at,
                len: len.into(),
            });
        }
        let kind = Kind::from_u8(prefix[4]).ok_or(LogError::UnknownKind {
            at,
            kind: prefix[4],
        })?;
        if position < self.previous {
            return Err(LogError::PositionBackwards {
                at,
                previous: self.previous,
            });
        }

        let len = len as usize;
        let mut fixed = [0u8; FIXED_MAX];
        let mut bytes = Vec::new();
        let got = match kind.fixed_len() {
            Some(fixed_len) if fixed_len != len => {
                return Err(LogError::Malformed {
                    at,
                    kind,
                    reason: "payload length does not match the kind",
                })
            }
            Some(_) => {
                let payload = &mut fixed[..len];
                let got = read_full(&mut self.input, payload).map_err(io)?;
                hasher.update(payload);
                got
            }
            None => {
                bytes.reserve_exact(len.min(INITIAL_ALLOCATION));
                let got = (&mut self.input)
                    .take(len as u64)
                    .read_to_end(&mut bytes)
                    .map_err(io)?;
                hasher.update(&bytes);
                got
            }
        };
        if got < len {
            return Err(truncated(at, PREFIX_LEN + got));
        }
        let mut crc = [0u8; 4];
        let got = read_full(&mut self.input, &mut crc).map_err(io)?;
        if got < crc.len() {
            return Err(truncated(at, PREFIX_LEN + len + got));
        }
        check(&hasher, u32::from_le_bytes(crc), at, FramePart::Frame)?;

        let payload = Payload::decode(kind, &fixed, bytes)
            .map_err(|reason| LogError::Malformed { at, kind, reason })?;
        self.offset += (PREFIX_LEN + len + crc.len()) as u64;
        self.previous = position;
        self.ended = kind == Kind::End;
        Ok(Some(Entry { position, payload }))
    }
}

/// Compares the checksum so far in `hasher` with the `stored` one.
fn check(hasher: &Hasher, stored: u32, at: At, part: FramePart) -> Result<(), LogError> {
    let computed = hasher.clone().finalize();
    if stored == computed {
        Ok(())
    } else {
        Err(LogError::ChecksumMismatch {
            at,
            part,
            stored,
            computed,
        })
    }
}

/// Reads until `buf` is full or the input ends, retrying interrupted reads; returns the number
/// of bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n.min(buf.len() - got),
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(got)
}
