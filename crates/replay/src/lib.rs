//! The vmft input log: every input the machine takes from outside, each at its exact position.
//!
//! A run of the machine is a pure function of its initial state and the events passed to
//! `Machine::inject`, each applied at a position (instructions retired plus traps taken). This
//! crate records those events so that a second run from the same initial state reproduces the
//! first bit for bit. The same byte stream is the primary→backup logging channel, so it is
//! written ([`LogWriter`]) and read ([`LogReader`]) incrementally, one entry at a time, and never
//! needs the whole log in memory.
//!
//! # Format (version 2)
//!
//! All integers are little-endian. CRC32 is the IEEE polynomial (as computed by `crc32fast`).
//!
//! The file starts with a header of [`HEADER_LEN`] bytes:
//!
//! | Offset | Size | Field                                                                  |
//! |-------:|-----:|------------------------------------------------------------------------|
//! |      0 |    8 | magic `VMFTLOG\0` ([`MAGIC`])                                           |
//! |      8 |    2 | format version, u16 ([`VERSION`])                                       |
//! |     10 |    2 | flags, u16; this version defines none, so it must be 0                  |
//! |     12 |   32 | machine [`Fingerprint`]: a hash of the configuration and initial state |
//! |     44 |    4 | CRC32 of bytes 0..44                                                    |
//!
//! Entries follow back to back until the end of the stream. Each is one frame of
//! [`FRAME_OVERHEAD`] + *n* bytes:
//!
//! | Offset | Size | Field                                                              |
//! |-------:|-----:|--------------------------------------------------------------------|
//! |      0 |    4 | payload length *n*, u32, at most [`MAX_PAYLOAD`]                    |
//! |      4 |    1 | kind ([`Kind`])                                                     |
//! |      5 |    8 | position, u64; never lower than the previous entry's               |
//! |     13 |    4 | CRC32 of frame bytes 0..13 (vouches for the length before it is used) |
//! |     17 |  *n* | payload, laid out per kind (below)                                  |
//! | 17 + *n* |  4 | CRC32 of frame bytes 0..17 + *n*                                    |
//!
//! | Kind | Name           | Payload                                                           |
//! |-----:|----------------|-------------------------------------------------------------------|
//! |    0 | —              | reserved, never valid (catches zeroed storage)                    |
//! |    1 | `ConsoleInput` | *n* bytes typed on the console                                    |
//! |    2 | `NetFrame`     | one received Ethernet frame, *n* bytes                            |
//! |    3 | `Entropy`      | *n* bytes of host randomness handed to the guest                  |
//! |    4 | `ClockAnchor`  | 24 bytes: host time in ns (u64), `mtime` (u64) at that position, ticks per position from there (u64, 32.32 fixed point) |
//! |    5 | `TimeSkip`     | 8 bytes: timer ticks (u64) an idle `wfi` skipped before waking    |
//! |    6 | `Digest`       | 32 bytes: machine state digest at the position, checked on replay |
//! |    7 | `Snapshot`     | *n* bytes: the snapshot's name, UTF-8                             |
//! |    8 | `End`          | 9 bytes: reason (u8), then its code (u64), see below              |
//! |    9 | `Registers`    | 264 bytes: pc, privilege, x1..x31 as little-endian u64s           |
//! |   10 | `StateHashes`  | *n* bytes: section count *s* (u16, at most [`MAX_STATE_SECTIONS`]), *s* × (tag, 4 ASCII bytes, each tag once; hash, 8 bytes), then (page u32, hash 8 bytes) pairs to the end, pages increasing, at most [`MAX_STATE_PAGES`] |
//!
//! `End` reasons: 0 the guest powered off, 1 the guest failed (the code is its failure code),
//! 2 the recorder stopped with the guest still running. The code is 0 unless the reason is 1.
//!
//! Entries at the same position are applied in log order. `End` is the last entry: a stream
//! that stops at a frame boundary without one was cut short (a crashed recorder, a dead
//! primary), which [`LogReader::next_entry`] reports as a clean end so that the caller decides.
//! Bytes after `End` are an error. Every valid log has exactly one encoding: a reader accepts
//! only what the writer produces.
//!
//! A recorder logs `Registers`, `StateHashes` and `Digest` together, in that order, at each
//! checkpoint. `StateHashes` carries a short hash of each non-RAM state section and of each
//! RAM page whose hash changed since the previous checkpoint: a replay that starts from the
//! same state keeps the recording's page-hash table up to date from them, and when a digest
//! differs it names the differing sections and pages. A checkpoint whose changed pages exceed
//! [`MAX_STATE_PAGES`] logs several `StateHashes` entries, each with every section.
//!
//! Kinds this version does not know are errors, not skipped: a later format that adds kinds
//! raises [`VERSION`]. Version 2 added `StateHashes`; version 1 logs are refused.

mod entry;
mod error;
mod reader;
mod writer;

#[cfg(test)]
mod tests;

pub use entry::{
    EndReason, Entry, Fingerprint, Kind, Payload, ShortHash, MAX_STATE_PAGES, MAX_STATE_SECTIONS,
    REGISTERS_LEN,
};
pub use error::{At, FramePart, Hex, LogError};
pub use reader::LogReader;
pub use writer::LogWriter;

/// The first eight bytes of every log.
pub const MAGIC: [u8; 8] = *b"VMFTLOG\0";

/// The format version this crate writes and reads.
pub const VERSION: u16 = 2;

/// Size of the file header in bytes.
pub const HEADER_LEN: usize = 48;

/// Bytes a frame adds around its payload: length, kind, position, two checksums.
pub const FRAME_OVERHEAD: usize = PREFIX_LEN + 4;

/// The largest payload a frame may carry (16 MiB), so that a corrupt length cannot make a
/// reader allocate without bound.
pub const MAX_PAYLOAD: u32 = 16 << 20;

/// Bytes of a frame before its payload: length, kind, position and the prefix checksum.
const PREFIX_LEN: usize = 17;

/// Bytes of the prefix covered by the prefix checksum.
const PREFIX_CHECKED: usize = 13;
