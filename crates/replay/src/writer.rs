//! Writing a log, one entry at a time.

use std::io::{BufWriter, Write};

use crc32fast::Hasher;

use crate::entry::FIXED_MAX;
use crate::{
    At, Entry, Fingerprint, LogError, Payload, HEADER_LEN, MAGIC, MAX_PAYLOAD, PREFIX_CHECKED,
    PREFIX_LEN, VERSION,
};

/// Writes a log: the header on creation, then one frame per [`LogWriter::append`], buffered.
///
/// After an error the stream may hold a partial frame; the writer should be dropped.
pub struct LogWriter<W: Write> {
    out: BufWriter<W>,
    /// Bytes written so far, the offset of the next frame.
    offset: u64,
    /// The position of the last entry appended.
    previous: u64,
    /// Whether an `End` entry has been appended.
    ended: bool,
}

impl<W: Write> LogWriter<W> {
    /// Starts a log for the machine with `fingerprint`, writing the header to `out`.
    pub fn new(out: W, fingerprint: Fingerprint) -> Result<LogWriter<W>, LogError> {
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(&MAGIC);
        header[8..10].copy_from_slice(&VERSION.to_le_bytes());
        header[12..44].copy_from_slice(&fingerprint);
        let crc = crc32fast::hash(&header[..44]);
        header[44..].copy_from_slice(&crc.to_le_bytes());
        let mut out = BufWriter::with_capacity(64 << 10, out);
        out.write_all(&header)
            .map_err(|source| LogError::Io { offset: 0, source })?;
        Ok(LogWriter {
            out,
            offset: HEADER_LEN as u64,
            previous: 0,
            ended: false,
        })
    }

    /// Appends `entry`. Refuses an entry whose position is lower than the previous one's, a
    /// payload over [`MAX_PAYLOAD`] bytes or without its kind's layout (registers that are
    /// not 33 words, state hashes over their limits or out of order) and anything after an
    /// `End` entry.
    pub fn append(&mut self, entry: &Entry) -> Result<(), LogError> {
        let at = At {
            offset: self.offset,
            position: Some(entry.position),
        };
        if self.ended {
            return Err(LogError::AfterEnd { at });
        }
        if entry.position < self.previous {
            return Err(LogError::PositionBackwards {
                at,
                previous: self.previous,
            });
        }
        let kind = entry.payload.kind();
        entry
            .payload
            .check()
            .map_err(|reason| LogError::Malformed { at, kind, reason })?;
        let mut scratch = [0u8; FIXED_MAX];
        let payload = entry.payload.encode(&mut scratch);
        let payload = &payload[..];
        let len = match u32::try_from(payload.len()) {
            Ok(len) if len <= MAX_PAYLOAD => len,
            _ => {
                return Err(LogError::Oversized {
                    at,
                    len: payload.len() as u64,
                })
            }
        };

        let mut prefix = [0u8; PREFIX_LEN];
        prefix[..4].copy_from_slice(&len.to_le_bytes());
        prefix[4] = kind as u8;
        prefix[5..13].copy_from_slice(&entry.position.to_le_bytes());
        let mut hasher = Hasher::new();
        hasher.update(&prefix[..PREFIX_CHECKED]);
        prefix[PREFIX_CHECKED..].copy_from_slice(&hasher.clone().finalize().to_le_bytes());
        hasher.update(&prefix[PREFIX_CHECKED..]);
        hasher.update(payload);
        let crc = hasher.finalize().to_le_bytes();

        let io = |source| LogError::Io {
            offset: at.offset,
            source,
        };
        self.out.write_all(&prefix).map_err(io)?;
        self.out.write_all(payload).map_err(io)?;
        self.out.write_all(&crc).map_err(io)?;

        self.offset += (prefix.len() + payload.len() + crc.len()) as u64;
        self.previous = entry.position;
        self.ended = matches!(entry.payload, Payload::End { .. });
        Ok(())
    }

    /// Pushes buffered frames to the underlying writer and flushes it.
    pub fn flush(&mut self) -> Result<(), LogError> {
        self.out.flush().map_err(|source| LogError::Io {
            offset: self.offset,
            source,
        })
    }

    /// Bytes of log written so far (header included), buffered or not.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The underlying writer, for a sink that ships what was written (a logging channel);
    /// bytes still buffered here reach it at the next [`LogWriter::flush`]. Writing to it
    /// directly would corrupt the log.
    pub fn get_mut(&mut self) -> &mut W {
        self.out.get_mut()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> Result<W, LogError> {
        let offset = self.offset;
        self.out.into_inner().map_err(|err| LogError::Io {
            offset,
            source: err.into_error(),
        })
    }
}
