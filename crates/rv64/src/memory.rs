//! Guest RAM: one contiguous region of physical memory, the only memory the hart and devices
//! share. Every CPU store and every device write goes through this type.
//!
//! RAM also carries the hart's decode cache: [`Memory::write`] drops the
//! decoded instructions of every page it touches, so loaders and device DMA never leave stale
//! code behind.

use crate::decode_cache::CodeCache;
use thiserror::Error;

/// Errors from guest-RAM access by the board and loaders.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum MemoryError {
    /// The requested RAM size is zero, not page-aligned, or too large for this host.
    #[error("invalid RAM size {0:#x}")]
    InvalidSize(u64),
    /// The RAM base address is not 4 KiB-aligned.
    #[error("RAM base {0:#x} is not page-aligned")]
    InvalidBase(u64),
    /// An access falls (partly) outside guest RAM.
    #[error("access at {addr:#x} of {len} bytes is outside guest RAM")]
    OutOfRange {
        /// Guest physical address.
        addr: u64,
        /// Length in bytes.
        len: u64,
    },
}

/// Guest RAM at a fixed, page-aligned physical base.
pub struct Memory {
    base: u64,
    bytes: Box<[u8]>,
    pub(crate) code: CodeCache,
    /// One bit per page written since the last [`Memory::take_written_pages`]. Stores through
    /// the hart's store TLB are not seen one by one: a store-TLB entry is only made by a
    /// slow-path store, which marks its page, and taking the bits bumps `written_epoch`,
    /// which makes harts drop those entries, so the next store to the page marks it again.
    written: Vec<u64>,
    written_epoch: u64,
}

impl Memory {
    /// Allocates `size` bytes of zeroed RAM at physical address `base`.
    pub fn new(base: u64, size: u64) -> Result<Memory, MemoryError> {
        if size == 0
            || !size.is_multiple_of(4096)
            || usize::try_from(size).is_err()
            || base.checked_add(size).is_none()
        {
            return Err(MemoryError::InvalidSize(size));
        }
        if !base.is_multiple_of(4096) {
            return Err(MemoryError::InvalidBase(base));
        }
        let bytes = vec![0; size as usize].into_boxed_slice();
        let pages = bytes.len() / 4096;
        // Every page counts as written at first, so a first digest hashes all of RAM.
        let mut written = vec![u64::MAX; pages.div_ceil(64)];
        if let Some(last) = written.last_mut().filter(|_| !pages.is_multiple_of(64)) {
            *last = (1 << (pages % 64)) - 1;
        }
        Ok(Memory {
            base,
            code: CodeCache::new(pages),
            bytes,
            written,
            written_epoch: 0,
        })
    }

    /// Bounds the JIT's compiled code for this RAM to `bytes` (at least 64 KiB): when a new
    /// block would not fit, every compiled block is dropped and compiling starts afresh.
    pub fn set_jit_code_limit(&mut self, bytes: usize) {
        self.code.evict_compiled();
        self.code.jit = None;
        self.code.jit_code_limit = bytes.max(64 << 10);
    }

    /// Makes the JIT compile hot blocks in a thread of its own (the default), so that the
    /// interpreter goes on meanwhile, or in the interpreter's thread, so that which blocks
    /// are compiled at which position is the same from run to run (for tests and for
    /// chasing a JIT bug). Either way the guest computes the same.
    pub fn set_jit_background(&mut self, background: bool) {
        self.code.jit_background = background;
    }

    /// What the JIT has done with this RAM's code.
    pub fn jit_stats(&self) -> crate::jit::JitStats {
        self.code.jit_stats
    }

    /// Physical address of the first byte.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>, MemoryError> {
        let err = MemoryError::OutOfRange {
            addr,
            len: len as u64,
        };
        let start = addr.checked_sub(self.base).ok_or(err.clone())?;
        let end = start.checked_add(len as u64).ok_or(err.clone())?;
        if end > self.size() {
            return Err(err);
        }
        Ok(start as usize..end as usize)
    }

    /// Copies guest RAM at `addr` into `buf`.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        let r = self.range(addr, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    /// The `len` bytes of guest RAM at `addr`, borrowed: for readers of whole pages (state
    /// hashing) that would otherwise copy them.
    pub fn slice(&self, addr: u64, len: usize) -> Result<&[u8], MemoryError> {
        let r = self.range(addr, len)?;
        Ok(&self.bytes[r])
    }

    /// Copies `data` into guest RAM at `addr`.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemoryError> {
        let r = self.range(addr, data.len())?;
        self.code.invalidate_bytes(r.start, r.end);
        for page in r.start / 4096..r.end.div_ceil(4096) {
            self.mark_written(page * 4096);
        }
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    /// Marks the page holding RAM offset `off` as written.
    #[inline]
    pub(crate) fn mark_written(&mut self, off: usize) {
        let page = off / 4096;
        if let Some(word) = self.written.get_mut(page / 64) {
            *word |= 1 << (page % 64);
        }
    }

    /// The pages (by index from the start of RAM) written since the last call, in order; the
    /// marks are cleared. Used to keep state digests incremental.
    pub fn take_written_pages(&mut self) -> Vec<usize> {
        let mut pages = Vec::new();
        for (i, word) in self.written.iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                pages.push(i * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        self.written_epoch = self.written_epoch.wrapping_add(1);
        pages
    }

    /// Clears the written marks as [`Memory::take_written_pages`] does, without listing them:
    /// for an owner that knows the contents already, such as RAM that is still all zeros.
    pub fn clear_written(&mut self) {
        self.written.fill(0);
        self.written_epoch = self.written_epoch.wrapping_add(1);
    }

    /// Changes whenever the written marks are taken (see [`Memory::take_written_pages`]).
    pub(crate) fn written_epoch(&self) -> u64 {
        self.written_epoch
    }

    /// The RAM offset of physical `addr` if `len` bytes from it are all in RAM.
    #[inline]
    pub(crate) fn offset(&self, addr: u64, len: u64) -> Option<usize> {
        let off = addr.checked_sub(self.base)?;
        if off.checked_add(len)? <= self.bytes.len() as u64 {
            Some(off as usize)
        } else {
            None
        }
    }

    /// Identifies this RAM allocation, so the hart can tell when it is handed another one.
    pub(crate) fn identity(&self) -> (usize, usize) {
        (self.bytes.as_ptr() as usize, self.bytes.len())
    }

    /// Reads `size` (1, 2, 4 or 8) bytes at RAM offset `off`, zero-extended; `None` if out of
    /// range.
    #[inline]
    pub(crate) fn load(&self, off: usize, size: usize) -> Option<u64> {
        // One arm per size, so that each copies a fixed number of bytes: a copy of a
        // variable length is a call of `memcpy`, on the slow path of every compiled access.
        let src = self.bytes.get(off..off.checked_add(size)?)?;
        Some(match size {
            1 => u64::from(src[0]),
            2 => u64::from(u16::from_le_bytes(src.try_into().ok()?)),
            4 => u64::from(u32::from_le_bytes(src.try_into().ok()?)),
            8 => u64::from_le_bytes(src.try_into().ok()?),
            _ => return None,
        })
    }

    /// Writes the low `size` (1, 2, 4 or 8) bytes of `value` at RAM offset `off`, dropping
    /// decoded code of the page. Returns `None` if out of range, else whether code was dropped.
    #[inline]
    pub(crate) fn store(&mut self, off: usize, size: usize, value: u64) -> Option<bool> {
        let dst = self.bytes.get_mut(off..off.checked_add(size)?)?;
        match size {
            1 => dst[0] = value as u8,
            2 => dst.copy_from_slice(&(value as u16).to_le_bytes()),
            4 => dst.copy_from_slice(&(value as u32).to_le_bytes()),
            8 => dst.copy_from_slice(&value.to_le_bytes()),
            _ => return None,
        }
        self.mark_written(off);
        self.mark_written(off + size - 1);
        Some(self.code.invalidate(off / 4096))
    }

    /// The host address of RAM offset 0, with its provenance exposed so that
    /// [`load_host`] and [`store_host`] may access RAM through addresses derived from it. The
    /// allocation is never moved or resized while the `Memory` lives.
    pub(crate) fn host_base(&mut self) -> usize {
        self.bytes.as_mut_ptr().expose_provenance()
    }
}

/// Reads `N` bytes at host address `addr`.
///
/// # Safety
/// `addr..addr + N` must lie inside a live [`Memory`]'s RAM, at an address derived from its
/// [`Memory::host_base`], and no reference to that RAM may be live.
#[inline(always)]
pub(crate) unsafe fn load_host<const N: usize>(addr: usize) -> u64 {
    let mut buf = [0u8; 8];
    let src = std::ptr::with_exposed_provenance::<u8>(addr);
    // SAFETY: the caller guarantees the N source bytes are in RAM, whose provenance
    // `host_base` exposed; `buf` has room for N <= 8 bytes and does not overlap RAM.
    unsafe { std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), N) };
    u64::from_le_bytes(buf)
}

/// Writes the low `N` bytes of `value` at host address `addr`, without decode-cache
/// invalidation.
///
/// # Safety
/// As [`load_host`]; in addition the page must not be a code page (the caller's store TLB
/// never maps code pages).
#[inline(always)]
pub(crate) unsafe fn store_host<const N: usize>(addr: usize, value: u64) {
    let buf = value.to_le_bytes();
    let dst = std::ptr::with_exposed_provenance_mut::<u8>(addr);
    // SAFETY: the caller guarantees the N destination bytes are in RAM, whose provenance
    // `host_base` exposed; `buf` holds 8 >= N bytes and does not overlap RAM.
    unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), dst, N) };
}
