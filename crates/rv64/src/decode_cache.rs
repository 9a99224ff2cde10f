//! The pre-decoded instruction cache, keyed by physical RAM page.
//!
//! Each 4 KiB RAM page that has executed code owns a block of [`SLOTS`] [`Insn`] slots, one
//! per 2-byte offset, filled lazily on first execution of each slot. A slot holding
//! [`NOT_DECODED`] (an `Illegal` with `len == 0`, which the decoder never produces) has not
//! been decoded yet. A page with a block is a *code page*: every write into it drops the block
//! (see [`CodeCache::invalidate`]), so the cache never holds stale instructions. A 4-byte
//! instruction that straddles the end of a page is never cached.
//!
//! A block has one more slot than the page has 2-byte offsets: slot [`SLOTS`] is never
//! decoded, so the fetch loop can advance its slot pointer past the last instruction of the
//! page and land on a [`NOT_DECODED`] slot, which sends it to the fetch slow path.

use crate::insn::{Insn, Op};

/// Slots per page: one per 2-byte offset in 4 KiB.
pub const SLOTS: usize = 2048;

/// Marker for a slot that has not been decoded yet.
pub const NOT_DECODED: Insn = Insn {
    op: Op::Illegal,
    rd: 0,
    rs1: 0,
    rs2: 0,
    rs3: 0,
    rm: 0,
    len: 0,
    imm: 0,
};

/// Slots the fetch loop points at when it has no current page: advancing over a 2- or
/// 4-byte instruction from the first slot stays inside, and every slot sends the loop to the
/// fetch slow path.
pub static NO_BLOCK: [Insn; 3] = [NOT_DECODED; 3];

/// Decoded blocks for every RAM page (lazily allocated).
pub struct CodeCache {
    pages: Vec<Option<Box<[Insn]>>>,
}

impl CodeCache {
    /// An empty cache for `pages` RAM pages.
    pub fn new(pages: usize) -> CodeCache {
        CodeCache {
            pages: (0..pages).map(|_| None).collect(),
        }
    }

    /// True when RAM page `page` holds decoded code.
    #[inline]
    pub fn is_code(&self, page: usize) -> bool {
        matches!(self.pages.get(page), Some(Some(_)))
    }

    /// The block of page `page`, allocating it if needed; `None` if `page` is out of range.
    /// The flag is true when the block was just created (the page just became a code page).
    ///
    /// The block has `SLOTS + 1` slots, the last of which stays [`NOT_DECODED`]. The pointer
    /// stays valid until the page is invalidated or the cache is dropped.
    pub fn block(&mut self, page: usize) -> Option<(*mut Insn, bool)> {
        let slot = self.pages.get_mut(page)?;
        let created = slot.is_none();
        let block = slot.get_or_insert_with(|| vec![NOT_DECODED; SLOTS + 1].into_boxed_slice());
        Some((block.as_mut_ptr(), created))
    }

    /// Drops the decoded block of page `page`; returns true if there was one.
    #[inline]
    pub fn invalidate(&mut self, page: usize) -> bool {
        match self.pages.get_mut(page) {
            Some(slot @ Some(_)) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// Drops the decoded blocks of every page overlapping `[start, end)` (byte offsets).
    pub fn invalidate_bytes(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        for page in start / 4096..=(end - 1) / 4096 {
            self.invalidate(page);
        }
    }
}
