//! Sparse, compressed byte images (RAM and disk contents).
//!
//! An image of `len` bytes is cut into 4 KiB pages (the last one may be shorter). Pages that
//! are all zero are not stored. Runs of stored pages, at most [`RUN_PAGES`] long, are each
//! compressed as one LZ4 block. Encoding:
//!
//! | Size | Field                                                                   |
//! |-----:|-------------------------------------------------------------------------|
//! |    8 | `len`, u64: the image size                                               |
//! |    … | runs until the end of the section, each:                                 |
//! |    8 | first page, u64; past the end of the previous run                        |
//! |    4 | page count, u32, 1..=[`RUN_PAGES`], within the image                     |
//! |    4 | compressed length *c*, u32                                               |
//! |  *c* | LZ4 block that decompresses to exactly the run's bytes                   |
//!
//! Pages not covered by a run are zero.

use super::codec::{Codec, Malformed, Reader};
use super::SnapshotError;

/// Bytes per page.
pub const PAGE: usize = 4096;
/// Longest run of pages compressed as one block (256 KiB).
pub const RUN_PAGES: usize = 64;

/// True if `bytes` are all zero (checked 64 bytes at a time, which the compiler vectorises,
/// stopping at the first block that is not).
pub fn is_zero(bytes: &[u8]) -> bool {
    bytes
        .chunks(64)
        .all(|block| block.iter().fold(0, |acc, &b| acc | b) == 0)
}

/// Appends the encoding of an image of `len` bytes; `read(offset, buf)` fills `buf` with
/// the image's bytes at `offset` (never past `len`).
pub fn encode<E>(
    len: u64,
    out: &mut Vec<u8>,
    mut read: impl FnMut(u64, &mut [u8]) -> Result<(), E>,
) -> Result<(), E> {
    len.encode(out);
    let window = (PAGE * RUN_PAGES) as u64;
    let mut buf = vec![0u8; PAGE * RUN_PAGES];
    let mut offset = 0;
    while offset < len {
        let n = (len - offset).min(window) as usize;
        let buf = &mut buf[..n];
        read(offset, buf)?;
        let first_page = offset / PAGE as u64;
        let mut pages = buf.chunks(PAGE).enumerate().peekable();
        while let Some((start, page)) = pages.next() {
            if is_zero(page) {
                continue;
            }
            let mut end = start + 1;
            while pages.next_if(|(_, p)| !is_zero(p)).is_some() {
                end += 1;
            }
            let raw = &buf[start * PAGE..(end * PAGE).min(n)];
            let packed = lz4_flex::block::compress(raw);
            (first_page + start as u64).encode(out);
            ((end - start) as u32).encode(out);
            (packed.len() as u32).encode(out);
            out.extend_from_slice(&packed);
        }
        offset += n as u64;
    }
    Ok(())
}

/// What a decoded image asks of its destination.
pub enum Piece<'a> {
    /// These bytes at this offset.
    Data(u64, &'a [u8]),
    /// Zeros from this offset, for this many bytes.
    Zero(u64, u64),
}

/// Decodes an image that must be `len` bytes long from the rest of `r` (section `tag`), handing every
/// stored run and every gap between them, in order, to `apply`. Fails before calling
/// `apply` for a run that does not decode.
pub fn decode(
    r: &mut Reader,
    tag: &[u8],
    len: u64,
    mut apply: impl FnMut(Piece) -> Result<(), SnapshotError>,
) -> Result<(), SnapshotError> {
    let malformed = |e: Malformed| super::malformed(tag, e);
    let stored = u64::decode(r).map_err(malformed)?;
    if stored != len {
        return Err(malformed(
            r.error(format!("image of {stored} bytes, expected {len}")),
        ));
    }
    let pages = len.div_ceil(PAGE as u64);
    let mut buf = vec![0u8; PAGE * RUN_PAGES];
    let mut next = 0u64;
    while r.remaining() > 0 {
        let at = r.offset();
        let first = u64::decode(r).map_err(malformed)?;
        let count = u64::from(u32::decode(r).map_err(malformed)?);
        let packed_len = u32::decode(r).map_err(malformed)? as usize;
        if first < next
            || count == 0
            || count > RUN_PAGES as u64
            || first.checked_add(count).is_none_or(|end| end > pages)
        {
            let reason = format!(
                "run of {count} pages at page {first} (next free page {next}, {pages} pages)"
            );
            return Err(malformed(Malformed { offset: at, reason }));
        }
        let start = first * PAGE as u64;
        let raw_len = ((first + count) * PAGE as u64).min(len) - start;
        let packed = r.bytes(packed_len).map_err(malformed)?;
        let raw = &mut buf[..raw_len as usize];
        match lz4_flex::block::decompress_into(packed, raw) {
            Ok(n) if n == raw.len() => {}
            Ok(n) => {
                let reason = format!("run at page {first} holds {n} bytes, not {raw_len}");
                return Err(malformed(Malformed { offset: at, reason }));
            }
            Err(e) => {
                let reason = format!("run at page {first} does not decompress: {e}");
                return Err(malformed(Malformed { offset: at, reason }));
            }
        }
        if start > next * PAGE as u64 {
            apply(Piece::Zero(next * PAGE as u64, start - next * PAGE as u64))?;
        }
        apply(Piece::Data(start, raw))?;
        next = first + count;
    }
    let done = (next * PAGE as u64).min(len);
    if done < len {
        apply(Piece::Zero(done, len - done))?;
    }
    Ok(())
}
