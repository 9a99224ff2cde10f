//! What can go wrong reading or writing a log.

use std::{fmt, io};

use thiserror::Error;

use crate::{Fingerprint, Kind, HEADER_LEN, MAX_PAYLOAD, VERSION};

/// Where in a log an entry error lies: the byte offset of the entry's frame and, once its
/// prefix checksum has vouched for it, the entry's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// Byte offset of the frame from the start of the log.
    pub offset: u64,
    /// The entry's position, if known.
    pub position: Option<u64>,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}", self.offset)?;
        if let Some(position) = self.position {
            write!(f, " (position {position})")?;
        }
        Ok(())
    }
}

/// The part of a frame a checksum covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramePart {
    /// Length, kind and position, checked by the prefix checksum.
    Prefix,
    /// The whole frame, checked by the trailing checksum.
    Frame,
}

impl fmt::Display for FramePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FramePart::Prefix => "prefix",
            FramePart::Frame => "frame",
        })
    }
}

/// An error reading or writing a log.
#[derive(Debug, Error)]
pub enum LogError {
    /// The underlying reader or writer failed.
    #[error("I/O error at byte {offset}: {source}")]
    Io {
        /// Byte offset of the header or frame being read or written.
        offset: u64,
        /// The error.
        source: io::Error,
    },
    /// The stream does not start with the log magic.
    #[error("not a vmft log: bad magic at byte 0")]
    BadMagic,
    /// The header names a format version this build does not read.
    #[error("unsupported log format version {version} at byte 8 (this build reads {VERSION})")]
    UnsupportedVersion {
        /// The version in the header.
        version: u16,
    },
    /// The header sets flags this version does not define.
    #[error("unsupported header flags {flags:#06x} at byte 10")]
    UnsupportedFlags {
        /// The flags in the header.
        flags: u16,
    },
    /// The stream ends inside the header.
    #[error("truncated header: the log ends at byte {len}, before byte {HEADER_LEN}")]
    TruncatedHeader {
        /// Bytes of header present.
        len: u64,
    },
    /// The header checksum does not match the header.
    #[error(
        "header checksum mismatch at byte 44 (stored {stored:#010x}, computed {computed:#010x})"
    )]
    HeaderChecksum {
        /// The checksum in the header.
        stored: u32,
        /// The checksum of the header bytes.
        computed: u32,
    },
    /// The log was recorded on a machine with another fingerprint.
    #[error("the log at byte 12 belongs to machine {}, not {}", Hex(.found), Hex(.expected))]
    WrongFingerprint {
        /// The fingerprint the caller expected.
        expected: Fingerprint,
        /// The fingerprint in the log.
        found: Fingerprint,
    },
    /// The stream ends inside an entry's frame.
    #[error("truncated entry at {at}: the log ends at byte {end}")]
    TruncatedEntry {
        /// The entry.
        at: At,
        /// Byte offset at which the stream ends.
        end: u64,
    },
    /// A frame checksum does not match the frame.
    #[error(
        "{part} checksum mismatch in the entry at {at} \
         (stored {stored:#010x}, computed {computed:#010x})"
    )]
    ChecksumMismatch {
        /// The entry.
        at: At,
        /// Which checksum failed.
        part: FramePart,
        /// The checksum in the frame.
        stored: u32,
        /// The checksum of the frame bytes.
        computed: u32,
    },
    /// A payload is longer than [`MAX_PAYLOAD`].
    #[error("entry at {at} has a {len}-byte payload, over the {MAX_PAYLOAD}-byte cap")]
    Oversized {
        /// The entry.
        at: At,
        /// The payload length.
        len: u64,
    },
    /// A frame's kind byte names no kind of this format version.
    #[error("entry at {at} has unknown kind {kind}")]
    UnknownKind {
        /// The entry.
        at: At,
        /// The kind byte.
        kind: u8,
    },
    /// A payload does not have the layout its kind requires.
    #[error("malformed {kind} entry at {at}: {reason}")]
    Malformed {
        /// The entry.
        at: At,
        /// The entry's kind.
        kind: Kind,
        /// What is wrong.
        reason: &'static str,
    },
    /// An entry's position is lower than the previous entry's.
    #[error("entry at {at} goes back from position {previous}")]
    PositionBackwards {
        /// The entry.
        at: At,
        /// The previous entry's position.
        previous: u64,
    },
    /// Something follows the `End` entry.
    #[error("entry at {at} follows the end of the log")]
    AfterEnd {
        /// The entry.
        at: At,
    },
}

/// Displays bytes as lowercase hexadecimal (fingerprints, digests).
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}
