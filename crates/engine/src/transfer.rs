//! Live state transfer: the pieces a primary uses to hand its running machine to a new backup
//! by iterative pre-copy, and the pieces the backup rebuilds it from.
//!
//! The sender runs [`PrecopyRam`] and [`PrecopyDisk`] on the run loop's thread, between
//! slices, a bounded number of pages at a time: each `next_chunk` copies what the receiver
//! does not hold yet into a [`Chunk`], which another thread may compress and send
//! ([`Chunk::encode`]). The first round sends every non-zero page and disk block; each later
//! round what the guest wrote since it was sent. When little is left ([`PrecopyRam::dirty_pages`],
//! [`PrecopyDisk::dirty_blocks`]), the run loop stops the guest, sends the
//! `final_chunks` and [`Machine::save_state`], and switches to log streaming at that position.
//! The receiver applies the chunks in order to a [`RamImage`] and a [`DiskImage`] and builds
//! the machine with [`Machine::restore_state`]; its digest then equals the sender's at the
//! same position.
//!
//! Both are exact. RAM: the sender records, per page, the hash of the bytes it sent (the
//! 128-bit BLAKE3 prefix of [`Machine::page_hashes`], zero for an all-zero page; the receiver
//! starts from zeros) and sends a page whenever the machine's current hash differs, so a page
//! that changes and changes back after it was sent is sent again. Reading the hashes brings
//! them up to date, which moves the "changed pages" of the next [`Machine::checkpoint`] into
//! the transfer: a recorder must take a fresh checkpoint base at the sync point, as a new
//! backup's log needs anyway. Disk: [`Machine::track_disk_writes`] marks every block the
//! guest writes; a block is sent with its mark cleared, and sent again once marked again.
//!
//! # Chunk format
//!
//! Integers are little-endian; CRC32 is the IEEE polynomial.
//!
//! | Size | Field                                                                          |
//! |-----:|--------------------------------------------------------------------------------|
//! |    4 | magic `VFTC`                                                                    |
//! |    1 | image: 0 RAM, 1 disk                                                            |
//! |    4 | round, u32                                                                      |
//! |    8 | image length in bytes, u64 (RAM size, disk size)                                |
//! |    4 | entry count *n*, u32                                                            |
//! | 8*n* | entries, u64 each: page number << 1, bit 0 set for an all-zero page (no data)   |
//! |    4 | compressed length *c*, u32                                                      |
//! |  *c* | LZ4 block: the data pages' bytes in entry order (a disk's last page may be short) |
//! |    4 | CRC32 of every byte before it                                                   |
//!
//! Pages are 4 KiB; page numbers increase strictly within a chunk. A later chunk's page
//! replaces an earlier one's: chunks must be applied in the order they were made.

use std::io;

use machine::{DirtyBlocks, Machine, DISK_BLOCK, RAM_BASE};
use thiserror::Error;
use virtio::DiskBackend;

/// Bytes per page of RAM and per block of disk in a transfer.
pub const PAGE: usize = 4096;
const _: () = assert!(PAGE == DISK_BLOCK);

const MAGIC: [u8; 4] = *b"VFTC";
/// Fixed bytes before the entries.
const HEAD_LEN: usize = 21;
/// The most an LZ4 block can expand per input byte; bounds what a chunk may claim to hold.
const LZ4_MAX_RATIO: usize = 255;

/// Why a transfer failed.
#[derive(Debug, Error)]
pub enum TransferError {
    /// A chunk does not decode.
    #[error("malformed transfer chunk at byte {offset}: {reason}")]
    Malformed {
        /// Offset of the offending byte in the chunk.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A chunk's checksum does not match its contents.
    #[error("transfer chunk checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    Checksum {
        /// The CRC32 in the chunk.
        stored: u32,
        /// The CRC32 of the contents.
        computed: u32,
    },
    /// A chunk belongs to another image (RAM where disk was expected, another size).
    #[error("transfer chunk for {found}, expected one for {expected}")]
    WrongImage {
        /// What the receiver holds.
        expected: String,
        /// What the chunk is for.
        found: String,
    },
    /// The sending machine has no disk to transfer.
    #[error("the machine has no disk to transfer")]
    NoDisk,
    /// Reading or writing a disk failed.
    #[error("disk: {0}")]
    Disk(#[from] io::Error),
}

/// Which image a chunk belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkKind {
    /// Guest RAM.
    Ram,
    /// The disk's contents.
    Disk,
}

impl ChunkKind {
    fn describe(self, len: u64) -> String {
        match self {
            ChunkKind::Ram => format!("{len} bytes of RAM"),
            ChunkKind::Disk => format!("a {len}-byte disk"),
        }
    }
}

/// Pages of RAM or disk blocks to send, uncompressed: made on the run loop's thread,
/// encoded ([`Chunk::encode`]) anywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    kind: ChunkKind,
    round: u32,
    image_len: u64,
    /// Page numbers, increasing, each with whether it has data (else it is all zero).
    entries: Vec<(u64, bool)>,
    /// The data pages' bytes, in entry order.
    data: Vec<u8>,
}

impl Chunk {
    fn new(kind: ChunkKind, round: u32, image_len: u64) -> Chunk {
        Chunk {
            kind,
            round,
            image_len,
            entries: Vec::new(),
            data: Vec::new(),
        }
    }

    /// The image the chunk belongs to.
    pub fn kind(&self) -> ChunkKind {
        self.kind
    }

    /// The pre-copy round that made the chunk (0 first).
    pub fn round(&self) -> u32 {
        self.round
    }

    /// Pages in the chunk, all-zero ones included.
    pub fn pages(&self) -> usize {
        self.entries.len()
    }

    /// True if the chunk holds no page (a disk scan that found only zeros the receiver has).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of page data before compression.
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    /// The chunk's bytes, compressed and checksummed (see the module documentation).
    pub fn encode(&self) -> Vec<u8> {
        let packed = lz4_flex::block::compress(&self.data);
        let mut out = Vec::with_capacity(HEAD_LEN + 8 * self.entries.len() + packed.len() + 8);
        out.extend_from_slice(&MAGIC);
        out.push(match self.kind {
            ChunkKind::Ram => 0,
            ChunkKind::Disk => 1,
        });
        out.extend_from_slice(&self.round.to_le_bytes());
        out.extend_from_slice(&self.image_len.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for &(page, data) in &self.entries {
            out.extend_from_slice(&(page << 1 | u64::from(!data)).to_le_bytes());
        }
        out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        out.extend_from_slice(&packed);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes and checks a chunk's bytes. Memory grows with the bytes given, never with
    /// what they claim.
    pub fn decode(bytes: &[u8]) -> Result<Chunk, TransferError> {
        let Some(body_len) = bytes.len().checked_sub(4) else {
            return Err(malformed(bytes.len(), "shorter than a checksum"));
        };
        let (body, stored) = bytes.split_at(body_len);
        let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
        let mut r = Cursor {
            bytes: body,
            pos: 0,
        };
        if r.take(4)? != MAGIC {
            return Err(malformed(0, "not a transfer chunk (no VFTC magic)"));
        }
        let computed = crc32fast::hash(body);
        if stored != computed {
            return Err(TransferError::Checksum { stored, computed });
        }
        let kind = match r.take(1)?[0] {
            0 => ChunkKind::Ram,
            1 => ChunkKind::Disk,
            b => return Err(malformed(4, format!("unknown image {b}"))),
        };
        let round = r.u32()?;
        let image_len = r.u64()?;
        let count = r.u32()? as usize;
        if count > r.remaining() / 8 {
            let reason = format!("{count} entries in {} bytes", r.remaining());
            return Err(malformed(r.pos, reason));
        }
        let pages = image_len.div_ceil(PAGE as u64);
        let mut entries = Vec::with_capacity(count);
        let mut raw_len = 0usize;
        for _ in 0..count {
            let at = r.pos;
            let word = r.u64()?;
            let (page, data) = (word >> 1, word & 1 == 0);
            if page >= pages || entries.last().is_some_and(|&(last, _)| page <= last) {
                let reason = format!("page {page} out of order or past the image's {pages}");
                return Err(malformed(at, reason));
            }
            if data {
                raw_len += page_len(image_len, page);
            }
            entries.push((page, data));
        }
        let packed_len = r.u32()? as usize;
        let at = r.pos;
        let packed = r.take(packed_len)?;
        if r.remaining() != 0 {
            return Err(malformed(
                r.pos,
                format!("{} bytes after the data", r.remaining()),
            ));
        }
        if raw_len > packed_len.saturating_mul(LZ4_MAX_RATIO) {
            let reason = format!("{packed_len} compressed bytes cannot hold {raw_len}");
            return Err(malformed(at, reason));
        }
        let mut data = vec![0u8; raw_len];
        match lz4_flex::block::decompress_into(packed, &mut data) {
            Ok(n) if n == raw_len => {}
            Ok(n) => {
                return Err(malformed(
                    at,
                    format!("data holds {n} bytes, not {raw_len}"),
                ))
            }
            Err(e) => return Err(malformed(at, format!("data does not decompress: {e}"))),
        }
        Ok(Chunk {
            kind,
            round,
            image_len,
            entries,
            data,
        })
    }

    /// Checks that the chunk belongs to an image of this kind and length.
    fn check(&self, kind: ChunkKind, image_len: u64) -> Result<(), TransferError> {
        if (self.kind, self.image_len) == (kind, image_len) {
            Ok(())
        } else {
            Err(TransferError::WrongImage {
                expected: kind.describe(image_len),
                found: self.kind.describe(self.image_len),
            })
        }
    }

    /// Each page: its number and its bytes, `None` for an all-zero page.
    fn pieces(&self) -> impl Iterator<Item = (u64, Option<&[u8]>)> + '_ {
        let mut at = 0;
        self.entries.iter().map(move |&(page, data)| {
            if !data {
                return (page, None);
            }
            let len = page_len(self.image_len, page);
            let bytes = &self.data[at..at + len];
            at += len;
            (page, Some(bytes))
        })
    }
}

fn malformed(offset: usize, reason: impl Into<String>) -> TransferError {
    TransferError::Malformed {
        offset,
        reason: reason.into(),
    }
}

/// The length of page `page` of an image of `len` bytes (the last may be short).
fn page_len(len: u64, page: u64) -> usize {
    (len - page * PAGE as u64).min(PAGE as u64) as usize
}

/// True if `bytes` are all zero.
fn is_zero(bytes: &[u8]) -> bool {
    bytes
        .chunks(64)
        .all(|block| block.iter().fold(0, |acc, &b| acc | b) == 0)
}

/// A cursor over a chunk's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], TransferError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            let reason = format!("{n} bytes needed, {} left", self.remaining());
            return Err(malformed(self.pos, reason));
        };
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, TransferError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, TransferError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }
}

/// The sending side of RAM's pre-copy (see the module documentation).
pub struct PrecopyRam {
    /// Per page, the hash of what the receiver holds: of the bytes last sent, zero at first.
    sent: Vec<[u8; 16]>,
    /// The current round's pages, in increasing order, and the next one to look at.
    queue: Vec<usize>,
    next: usize,
    round: u32,
    started: bool,
    ram_size: u64,
}

impl PrecopyRam {
    /// A pre-copy of `machine`'s RAM to a receiver whose RAM is all zeros.
    pub fn new(machine: &Machine) -> PrecopyRam {
        let ram_size = machine.memory().size();
        PrecopyRam {
            sent: vec![[0; 16]; ram_size as usize / PAGE],
            queue: Vec::new(),
            next: 0,
            round: 0,
            started: false,
            ram_size,
        }
    }

    /// The round in progress (0 first; each round starts when the previous one has been
    /// sent, with the pages that differ then).
    pub fn round(&self) -> u32 {
        self.round
    }

    /// Pages of the current round not looked at yet.
    pub fn round_left(&self) -> usize {
        self.queue.len() - self.next
    }

    /// The next at most `budget_pages` (at least 1) pages of the current round whose contents
    /// differ from what was sent, copied; when the round is through, starts the next one.
    /// `None` if no page differs. Costs hashing the pages written since the last call, and
    /// for a new round comparing every page's hash.
    pub fn next_chunk(&mut self, machine: &mut Machine, budget_pages: usize) -> Option<Chunk> {
        let hashes = machine.page_hashes();
        let mut picked = Vec::new();
        while picked.is_empty() {
            if self.next == self.queue.len() {
                self.queue = differing(&self.sent, hashes);
                self.next = 0;
                if self.queue.is_empty() {
                    return None;
                }
                if self.started {
                    self.round += 1;
                }
                self.started = true;
            }
            while self.next < self.queue.len() && picked.len() < budget_pages.max(1) {
                let page = self.queue[self.next];
                self.next += 1;
                if hashes[page] != self.sent[page] {
                    picked.push((page, hashes[page]));
                }
            }
        }
        Some(self.copy(machine, &picked))
    }

    /// Pages whose contents differ from what was sent: what a stop-and-copy would send now.
    /// Costs what [`PrecopyRam::next_chunk`] costs for a new round.
    pub fn dirty_pages(&self, machine: &mut Machine) -> usize {
        let hashes = machine.page_hashes();
        self.sent.iter().zip(hashes).filter(|(s, h)| s != h).count()
    }

    /// Every page still differing from what was sent, in chunks of at most `budget_pages`:
    /// the stop-and-copy, with the machine stopped (the chunks borrow it). Afterwards the
    /// receiver holds exactly the machine's RAM.
    pub fn final_chunks<'a>(
        &'a mut self,
        machine: &'a mut Machine,
        budget_pages: usize,
    ) -> impl Iterator<Item = Chunk> + 'a {
        let hashes = machine.page_hashes();
        let todo: Vec<(usize, [u8; 16])> = differing(&self.sent, hashes)
            .into_iter()
            .map(|page| (page, hashes[page]))
            .collect();
        self.queue.clear();
        self.next = 0;
        if self.started {
            self.round += 1;
        }
        self.started = true;
        let machine: &'a Machine = machine;
        let mut at = 0;
        std::iter::from_fn(move || {
            let picked = todo.get(at..)?.chunks(budget_pages.max(1)).next()?;
            at += picked.len();
            Some(self.copy(machine, picked))
        })
    }

    /// A chunk of the `picked` pages (with their current hashes), recorded as sent.
    fn copy(&mut self, machine: &Machine, picked: &[(usize, [u8; 16])]) -> Chunk {
        let mut chunk = Chunk::new(ChunkKind::Ram, self.round, self.ram_size);
        let data_pages = picked.iter().filter(|(_, hash)| *hash != [0; 16]).count();
        chunk.data.reserve_exact(data_pages * PAGE);
        chunk.entries.reserve_exact(picked.len());
        let mem = machine.memory();
        for &(page, hash) in picked {
            let data = hash != [0; 16];
            if data {
                let at = RAM_BASE + (page * PAGE) as u64;
                if let Ok(bytes) = mem.slice(at, PAGE) {
                    chunk.data.extend_from_slice(bytes);
                }
            }
            chunk.entries.push((page as u64, data));
            self.sent[page] = hash;
        }
        chunk
    }
}

/// The pages whose hash in `now` differs from `sent`, in increasing order.
fn differing(sent: &[[u8; 16]], now: &[[u8; 16]]) -> Vec<usize> {
    sent.iter()
        .zip(now)
        .enumerate()
        .filter(|(_, (s, n))| s != n)
        .map(|(page, _)| page)
        .collect()
}

/// The sending side of the disk's pre-copy (see the module documentation).
pub struct PrecopyDisk {
    dirty: DirtyBlocks,
    len: u64,
    /// The current round's blocks (a bitmap), looked at in order from `cursor`.
    pending: Vec<u64>,
    cursor: u64,
    /// Blocks the receiver holds non-zero data for (a bitmap): only those need sending as
    /// zeros when they become zero.
    held: Vec<u64>,
    round: u32,
    started: bool,
    buf: Vec<u8>,
}

impl PrecopyDisk {
    /// A pre-copy of `machine`'s disk to a receiver whose disk is all zeros; starts tracking
    /// the disk's writes ([`Machine::track_disk_writes`]). An error if it has no disk.
    pub fn new(machine: &mut Machine) -> Result<PrecopyDisk, TransferError> {
        let (Some(dirty), Some(len)) = (machine.track_disk_writes(), machine.disk_len()) else {
            return Err(TransferError::NoDisk);
        };
        // Marks from before are covered by the first round, which reads every block.
        dirty.take();
        let words = dirty.blocks().div_ceil(64) as usize;
        Ok(PrecopyDisk {
            dirty,
            len,
            pending: vec![0; words],
            cursor: 0,
            held: vec![0; words],
            round: 0,
            started: false,
            buf: Vec::new(),
        })
    }

    /// The round in progress (0 first, which reads the whole disk).
    pub fn round(&self) -> u32 {
        self.round
    }

    fn blocks(&self) -> u64 {
        self.dirty.blocks()
    }

    /// The next at most `budget_blocks` (at least 1) blocks of the current round, read
    /// through the machine's disk backend; when the round is through, starts the next one
    /// with the blocks written since they were read. `None` if no block is left to read. The
    /// chunk may be empty (round 0 reading zeros the receiver already has).
    pub fn next_chunk(
        &mut self,
        machine: &mut Machine,
        budget_blocks: usize,
    ) -> Result<Option<Chunk>, TransferError> {
        if self.cursor >= self.blocks() {
            if self.started {
                self.pending = self.dirty.take();
                if self.pending.iter().all(|&w| w == 0) {
                    return Ok(None);
                }
                self.round += 1;
            } else {
                self.pending = all_blocks(self.blocks());
                self.started = true;
            }
            self.cursor = 0;
        }
        self.read(machine, budget_blocks).map(Some)
    }

    /// Blocks written since they were read, plus those of the current round not read yet:
    /// what a stop-and-copy would read now.
    pub fn dirty_blocks(&self) -> u64 {
        if !self.started {
            return self.blocks();
        }
        let dirty = self.dirty.peek();
        self.pending_from_cursor()
            .iter()
            .zip(&dirty)
            .map(|(p, d)| u64::from((p | d).count_ones()))
            .sum()
    }

    /// The pending bitmap with the blocks before the cursor cleared.
    fn pending_from_cursor(&self) -> Vec<u64> {
        let mut pending = self.pending.clone();
        let full = (self.cursor / 64) as usize;
        pending.iter_mut().take(full).for_each(|w| *w = 0);
        if let Some(w) = pending.get_mut(full) {
            *w &= !((1u64 << (self.cursor % 64)) - 1);
        }
        pending
    }

    /// Every block written since it was read and every block not read yet, in chunks of at
    /// most `budget_blocks`: the stop-and-copy, with the machine stopped (the chunks borrow
    /// it). Afterwards the receiver holds exactly the machine's disk.
    pub fn final_chunks<'a>(
        &'a mut self,
        machine: &'a mut Machine,
        budget_blocks: usize,
    ) -> impl Iterator<Item = Result<Chunk, TransferError>> + 'a {
        let mut pending = if self.started {
            self.pending_from_cursor()
        } else {
            all_blocks(self.blocks())
        };
        for (p, d) in pending.iter_mut().zip(self.dirty.take()) {
            *p |= d;
        }
        self.pending = pending;
        self.cursor = 0;
        if self.started {
            self.round += 1;
        }
        self.started = true;
        std::iter::from_fn(move || {
            (self.cursor < self.blocks()).then(|| self.read(machine, budget_blocks))
        })
    }

    /// Reads up to `budget` pending blocks from the cursor into a chunk, clearing their
    /// marks; moves the cursor past them (to the end if none is left).
    fn read(&mut self, machine: &mut Machine, budget: usize) -> Result<Chunk, TransferError> {
        let mut chunk = Chunk::new(ChunkKind::Disk, self.round, self.len);
        let mut left = budget.max(1) as u64;
        while left > 0 {
            let Some(first) = next_set(&self.pending, self.cursor, self.blocks()) else {
                self.cursor = self.blocks();
                break;
            };
            let mut end = first + 1;
            while end < self.blocks() && end - first < left && bit(&self.pending, end) {
                end += 1;
            }
            let start = first * PAGE as u64;
            let bytes = ((end * PAGE as u64).min(self.len) - start) as usize;
            self.buf.resize(bytes, 0);
            self.dirty.clear(first, end - first);
            machine.read_disk(start, &mut self.buf)?;
            for (i, block) in self.buf.chunks(PAGE).enumerate() {
                let n = first + i as u64;
                let (word, mask) = ((n / 64) as usize, 1u64 << (n % 64));
                if !is_zero(block) {
                    chunk.entries.push((n, true));
                    chunk.data.extend_from_slice(block);
                    self.held[word] |= mask;
                } else if self.held[word] & mask != 0 {
                    chunk.entries.push((n, false));
                    self.held[word] &= !mask;
                }
            }
            left -= end - first;
            self.cursor = end;
        }
        Ok(chunk)
    }
}

/// A bitmap with the first `blocks` bits set.
fn all_blocks(blocks: u64) -> Vec<u64> {
    let mut bits = vec![u64::MAX; blocks.div_ceil(64) as usize];
    if let Some(last) = bits.last_mut().filter(|_| !blocks.is_multiple_of(64)) {
        *last = (1 << (blocks % 64)) - 1;
    }
    bits
}

fn bit(bits: &[u64], n: u64) -> bool {
    bits.get((n / 64) as usize)
        .is_some_and(|w| w & (1 << (n % 64)) != 0)
}

/// The first set bit at or after `from`, below `limit`.
fn next_set(bits: &[u64], from: u64, limit: u64) -> Option<u64> {
    let mut word = (from / 64) as usize;
    let mut w = bits.get(word)? & !((1u64 << (from % 64)) - 1);
    loop {
        if w != 0 {
            let n = word as u64 * 64 + u64::from(w.trailing_zeros());
            return (n < limit).then_some(n);
        }
        word += 1;
        w = *bits.get(word)?;
    }
}

/// The receiver's RAM: all zeros at first, then the pages of each RAM chunk applied in order;
/// [`RamImage::pages`] hands them to [`Machine::restore_state`].
pub struct RamImage {
    /// Zeroed lazily by the allocator: untouched pages cost no memory.
    bytes: Vec<u8>,
    /// A bitmap of the pages that hold data.
    present: Vec<u64>,
}

impl RamImage {
    /// All-zero RAM of `ram_size` bytes (a multiple of [`PAGE`], as RAM sizes are).
    pub fn new(ram_size: u64) -> RamImage {
        let pages = ram_size / PAGE as u64;
        RamImage {
            bytes: vec![0; (pages * PAGE as u64) as usize],
            present: vec![0; pages.div_ceil(64) as usize],
        }
    }

    /// Decodes a RAM chunk ([`Chunk::encode`]'s bytes) and applies its pages. Nothing is
    /// applied from a chunk that does not decode or belongs to RAM of another size.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<Chunk, TransferError> {
        let chunk = Chunk::decode(bytes)?;
        chunk.check(ChunkKind::Ram, self.bytes.len() as u64)?;
        for (page, data) in chunk.pieces() {
            let page = page as usize;
            let (word, mask) = (page / 64, 1u64 << (page % 64));
            let dest = &mut self.bytes[page * PAGE..(page + 1) * PAGE];
            match data {
                Some(data) => {
                    dest.copy_from_slice(data);
                    self.present[word] |= mask;
                }
                None => {
                    dest.fill(0);
                    self.present[word] &= !mask;
                }
            }
        }
        Ok(chunk)
    }

    /// The pages that hold data, in increasing order: (page number from the start of RAM,
    /// its bytes). Every other page is zero.
    pub fn pages(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        let pages = self.bytes.len() / PAGE;
        let mut next = 0u64;
        std::iter::from_fn(move || {
            let page = next_set(&self.present, next, pages as u64)? as usize;
            next = page as u64 + 1;
            Some((page, &self.bytes[page * PAGE..(page + 1) * PAGE]))
        })
    }
}

/// The receiver's disk: a backend that holds zeros at first (such as a file just made by
/// [`hostio::FileDisk::create`]), then the blocks of each disk chunk applied in order.
pub struct DiskImage<D: DiskBackend> {
    disk: D,
}

impl<D: DiskBackend> DiskImage<D> {
    /// Receives into `disk`, which must hold zeros.
    pub fn new(disk: D) -> DiskImage<D> {
        DiskImage { disk }
    }

    /// Decodes a disk chunk ([`Chunk::encode`]'s bytes) and writes its blocks. Nothing is
    /// written from a chunk that does not decode or belongs to a disk of another size.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<Chunk, TransferError> {
        let chunk = Chunk::decode(bytes)?;
        chunk.check(ChunkKind::Disk, self.disk.len())?;
        let zeros = [0u8; PAGE];
        for (block, data) in chunk.pieces() {
            let len = page_len(chunk.image_len, block);
            let data = data.unwrap_or(&zeros[..len]);
            self.disk.write_at(block * PAGE as u64, data)?;
        }
        Ok(chunk)
    }

    /// The disk, flushed: hand it to [`Machine::restore_state`]'s devices.
    pub fn finish(mut self) -> Result<D, TransferError> {
        self.disk.flush()?;
        Ok(self.disk)
    }
}

#[cfg(test)]
mod tests;
