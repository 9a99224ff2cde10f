//! Executable memory for compiled code: one anonymous mapping, filled from the start.
//!
//! Written by hand over `mmap` rather than with a JIT module crate: the cache is dropped and
//! refilled as a whole on eviction, blocks never need relocating (they reach everything
//! through the hart pointer they are given), and one mapping keeps that to a pointer reset.

/// A bump-allocated region of read-write-execute memory. What is pushed before the first
/// [`Arena::seal`] (the trampoline) survives [`Arena::reset`].
pub(super) struct Arena {
    base: *mut u8,
    len: usize,
    used: usize,
    /// End of the allocations that survive a reset.
    kept: usize,
}

impl Arena {
    /// A region of `len` bytes (rounded up to whole pages), or `None` if the host refuses.
    pub(super) fn new(len: usize) -> Option<Arena> {
        let len = len.div_ceil(4096) * 4096;
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
        // no existing memory.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        Some(Arena {
            base: base.cast(),
            len,
            used: 0,
            kept: 0,
        })
    }

    /// Copies `code` in (16-byte aligned), returning its address; `None` when it does not fit.
    pub(super) fn push(&mut self, code: &[u8]) -> Option<usize> {
        let start = self.used.next_multiple_of(16);
        let end = start.checked_add(code.len())?;
        if end > self.len {
            return None;
        }
        // SAFETY: `start..end` lies inside the mapping, which nothing else references, and
        // no compiled code runs while the arena is written (the owner compiles only between
        // runs of compiled code).
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), self.base.add(start), code.len());
        }
        self.used = end;
        Some(self.base as usize + start)
    }

    /// Makes what has been pushed so far survive [`Arena::reset`] if nothing has been kept
    /// yet (the first allocation is the trampoline). x86-64 needs no instruction-cache
    /// maintenance after writing code.
    pub(super) fn seal(&mut self) {
        if self.kept == 0 {
            self.kept = self.used;
        }
    }

    /// Bytes allocated since the kept allocations.
    pub(super) fn used_by_blocks(&self) -> usize {
        self.used - self.kept
    }

    /// Frees everything but the kept allocations.
    pub(super) fn reset(&mut self) {
        self.used = self.kept;
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are the mapping made in `new`, and no code in it can run once
        // its owner is dropped.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}
