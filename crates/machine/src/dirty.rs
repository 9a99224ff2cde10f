//! The disk's side of live state transfer: which 4 KiB blocks the guest wrote, recorded at the
//! disk's single write path, and reads of the disk's contents while the machine runs.
//!
//! [`Machine::track_disk_writes`] wraps the disk backend in a recorder that marks every block
//! a write touches in a [`DirtyBlocks`] bitmap shared with the caller (a pre-copy of the
//! disk), at the cost of one atomic OR per block written. [`Machine::read_disk`] reads
//! through the same backend, so it sees every write the guest has made.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use virtio::DiskBackend;

use crate::board::{Disk, VirtioSlot, SLOT_BLOCK};
use crate::machine::Machine;

/// Bytes per tracked disk block (the last block of a disk may be shorter).
pub const DISK_BLOCK: usize = 4096;

/// One bit per [`DISK_BLOCK`] of a disk, set when a write touches the block; shared between
/// the machine's disk backend, which sets bits, and a transfer, which takes them.
#[derive(Clone, Debug)]
pub struct DirtyBlocks {
    bits: Arc<[AtomicU64]>,
    blocks: u64,
}

impl DirtyBlocks {
    /// An all-clear bitmap for a disk of `len` bytes.
    fn new(len: u64) -> DirtyBlocks {
        let blocks = len.div_ceil(DISK_BLOCK as u64);
        let words = usize::try_from(blocks.div_ceil(64)).unwrap_or(usize::MAX);
        DirtyBlocks {
            bits: (0..words).map(|_| AtomicU64::new(0)).collect(),
            blocks,
        }
    }

    /// The number of blocks of the disk.
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// Marks the blocks that `len` bytes written at `offset` touch.
    fn mark(&self, offset: u64, len: usize) {
        if len == 0 {
            return;
        }
        let first = offset / DISK_BLOCK as u64;
        let last = (offset.saturating_add(len as u64) - 1) / DISK_BLOCK as u64;
        for block in first..=last.min(self.blocks.saturating_sub(1)) {
            if let Some(word) = self.bits.get((block / 64) as usize) {
                word.fetch_or(1 << (block % 64), Ordering::Relaxed);
            }
        }
    }

    /// The bitmap (bit `b % 64` of word `b / 64` for block `b`), cleared in the same step:
    /// the blocks written since the last take (or since tracking started).
    pub fn take(&self) -> Vec<u64> {
        self.bits
            .iter()
            .map(|w| w.swap(0, Ordering::Relaxed))
            .collect()
    }

    /// The bitmap as [`DirtyBlocks::take`] returns it, without clearing it.
    pub fn peek(&self) -> Vec<u64> {
        self.bits
            .iter()
            .map(|w| w.load(Ordering::Relaxed))
            .collect()
    }

    /// Clears the marks of `count` blocks from `first`: their contents as of now have been
    /// read (and sent).
    pub fn clear(&self, first: u64, count: u64) {
        for block in first..first.saturating_add(count).min(self.blocks) {
            if let Some(word) = self.bits.get((block / 64) as usize) {
                word.fetch_and(!(1 << (block % 64)), Ordering::Relaxed);
            }
        }
    }
}

/// A disk backend that records the blocks written through it.
struct TrackedDisk {
    inner: Disk,
    dirty: DirtyBlocks,
}

impl DiskBackend for TrackedDisk {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_at(offset, buf)
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        // Marked before writing: a write that fails part way may still have changed blocks.
        self.dirty.mark(offset, data.len());
        self.inner.write_at(offset, data)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Machine {
    /// Starts recording the disk blocks the guest writes (if the machine has a disk) and
    /// returns the bitmap they are recorded in; later calls return the same bitmap. Blocks
    /// written before the first call are not marked: a transfer starts by reading the whole
    /// disk.
    pub fn track_disk_writes(&mut self) -> Option<DirtyBlocks> {
        if let Some(dirty) = &self.disk_dirty {
            return Some(dirty.clone());
        }
        let Some(VirtioSlot::Block(t)) = &mut self.board.virtio[SLOT_BLOCK] else {
            return None;
        };
        let backend = t.device_mut().backend_mut();
        let dirty = DirtyBlocks::new(backend.len());
        let inner = std::mem::replace(backend, Box::new(Vec::new()));
        *backend = Box::new(TrackedDisk {
            inner,
            dirty: dirty.clone(),
        });
        self.disk_dirty = Some(dirty.clone());
        Some(dirty)
    }

    /// The disk's size in bytes, if the machine has a disk.
    pub fn disk_len(&self) -> Option<u64> {
        match &self.board.virtio[SLOT_BLOCK] {
            Some(VirtioSlot::Block(t)) => Some(t.device().backend().len()),
            _ => None,
        }
    }

    /// Reads the disk's bytes at `offset` into `buf` through the disk backend, so that every
    /// write the guest made is seen. An error if the machine has no disk or the read fails.
    pub fn read_disk(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        match &mut self.board.virtio[SLOT_BLOCK] {
            Some(VirtioSlot::Block(t)) => t.device_mut().backend_mut().read_at(offset, buf),
            _ => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the machine has no disk",
            )),
        }
    }
}
