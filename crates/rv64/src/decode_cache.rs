//! The pre-decoded instruction cache, keyed by physical RAM page.
//!
//! Each 4 KiB RAM page that has executed code owns a block of [`SLOTS`] [`Slot`]s, one per
//! 2-byte offset, filled lazily on first execution of each slot. A slot holding
//! [`ID_NOT_DECODED`] has not been decoded yet. A page with a block is a *code page*: every
//! write into it drops the block (see [`CodeCache::invalidate`]), so the cache never holds
//! stale instructions. A 4-byte instruction that straddles the end of a page is never cached.
//!
//! A block has one more slot than the page has 2-byte offsets: slot [`SLOTS`] is never
//! decoded, so the fetch loop can advance its slot pointer past the last instruction of the
//! page and land on a [`ID_NOT_DECODED`] slot, which sends it to the fetch slow path.
//!
//! # Slots
//!
//! A [`Slot`] is the executor's 16-byte form of an [`Insn`]: the address of the handler that
//! executes it (direct threading: dispatching is one indirect jump through the slot, with no
//! table look-up) and the operands. The operation and the length are folded into one byte,
//! [`Slot::id`], which selects the handler from the executor's table of handlers. Ops up to `Fsw` use their own
//! discriminant as id ([`Op::Fsw`] is below [`ID_FLD`]); `Fld` and `Fsd` have ids of their
//! own; every F/D computational op shares [`ID_FP`] and keeps its raw instruction bits in
//! `imm` (it is decoded again when executed: softfloat dominates its cost anyway). A
//! compressed instruction has [`ID_LEN2`] set in its id.

use std::any::TypeId;

use crate::insn::{Insn, Op};

/// Slots per page: one per 2-byte offset in 4 KiB.
pub const SLOTS: usize = 2048;

/// Id bit of a 2-byte (compressed) instruction.
pub const ID_LEN2: u8 = 0x80;
/// Id of `Fld` (4 bytes; with [`ID_LEN2`], `c.fld`/`c.fldsp`).
pub const ID_FLD: u8 = 101;
/// Id of `Fsd`.
pub const ID_FSD: u8 = 102;
/// Id of every F/D computational op (`imm` holds the raw instruction).
pub const ID_FP: u8 = 103;
/// Id of a slot that has not been decoded yet (no op uses it).
pub const ID_NOT_DECODED: u8 = 127;
/// Id of a JIT slot: the first instruction of a compiled block, whose handler enters the
/// compiled code (`imm` indexes the block; with [`ID_LEN2`] when that instruction is
/// compressed).
pub const ID_JIT: u8 = 126;

const _: () = assert!((Op::Fsw as u8) < ID_FLD);

/// A handler's address with the bus type it was instantiated for erased: the code cache is
/// not generic, the executor is (see [`CodeCache::set_handlers`]).
pub type RawHandler = *const ();

/// The handler of every slot id, erased of its bus type.
pub type HandlerTable = [RawHandler; 256];

/// One decoded instruction as the executor dispatches it (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The handler of `id` for the bus type the cache was filled for.
    pub handler: RawHandler,
    /// The dispatch byte: operation and length.
    pub id: u8,
    /// Destination register (integer `x0` is [`crate::insn::X0_SINK`]).
    pub rd: u8,
    /// First source register (or zimm for `Csrr*i`).
    pub rs1: u8,
    /// Second source register.
    pub rs2: u8,
    /// The [`Insn`]'s immediate, or the raw instruction bits of an F/D computational op.
    pub imm: i32,
}

/// Marker for a slot that has not been decoded yet, before it gets its handler.
const NOT_DECODED: Slot = Slot {
    handler: std::ptr::null(),
    id: ID_NOT_DECODED,
    rd: 0,
    rs1: 0,
    rs2: 0,
    imm: 0,
};

impl Slot {
    /// The slot of `insn`, decoded from the raw bits `raw`, with the handler `handlers`
    /// gives its id.
    pub fn new(insn: &Insn, raw: u32, handlers: &HandlerTable) -> Slot {
        let (id, imm) = match insn.op {
            Op::Fld => (ID_FLD, insn.imm),
            Op::Fsd => (ID_FSD, insn.imm),
            op if (op as u8) <= Op::Fsw as u8 => (op as u8, insn.imm),
            _ => (ID_FP, raw as i32),
        };
        let id = if insn.len == 2 { id | ID_LEN2 } else { id };
        Slot {
            handler: handlers[usize::from(id)],
            id,
            rd: insn.rd,
            rs1: insn.rs1,
            rs2: insn.rs2,
            imm,
        }
    }
}

/// Decoded blocks for every RAM page (lazily allocated).
pub struct CodeCache {
    /// Bound on compiled host code, in bytes.
    pub(crate) jit_code_limit: usize,
    /// What the JIT has done.
    pub(crate) jit_stats: crate::jit::JitStats,
    /// The compiler and its code, made at the first compile.
    pub(crate) jit: Option<Box<crate::jit::Jit>>,
    /// Set when the JIT cannot run on this host (it is not tried again).
    pub(crate) jit_unavailable: bool,
    /// Compile in a thread of its own rather than in the interpreter's.
    pub(crate) jit_background: bool,
    /// Bumped whenever compiled blocks are dropped: the harts' jump caches must be emptied.
    pub(crate) jit_epoch: u64,
    /// Compiled blocks per page.
    pub(crate) jit_blocks: Vec<u16>,
    pages: Vec<Option<Box<[Slot]>>>,
    /// The bus type whose handlers the slots hold.
    bus: Option<TypeId>,
    /// Those handlers, by slot id.
    handlers: HandlerTable,
}

impl CodeCache {
    /// An empty cache for `pages` RAM pages.
    pub fn new(pages: usize) -> CodeCache {
        CodeCache {
            jit_code_limit: crate::jit::DEFAULT_CODE_LIMIT,
            jit_stats: crate::jit::JitStats::default(),
            jit: None,
            jit_unavailable: false,
            jit_background: true,
            jit_epoch: 0,
            jit_blocks: vec![0; pages],
            pages: (0..pages).map(|_| None).collect(),
            bus: None,
            handlers: [std::ptr::null(); 256],
        }
    }

    /// Makes the cache hold `handlers`, the executor's handlers for bus type `bus`, dropping
    /// every block decoded for another bus type. Must precede any [`CodeCache::block`].
    pub fn set_handlers(&mut self, bus: TypeId, handlers: &HandlerTable) {
        if self.bus != Some(bus) {
            self.pages.iter_mut().for_each(|block| *block = None);
            self.jit_blocks.fill(0);
            self.jit_epoch += 1;
            self.bus = Some(bus);
            self.handlers = *handlers;
        }
    }

    /// The bus type the cache's handlers are for.
    pub fn bus(&self) -> Option<TypeId> {
        self.bus
    }

    /// The handlers by slot id.
    pub fn handlers(&self) -> &HandlerTable {
        &self.handlers
    }

    /// A slot that is not decoded yet: its handler takes the fetch slow path.
    pub fn blank(&self) -> Slot {
        Slot {
            handler: self.handlers[usize::from(ID_NOT_DECODED)],
            ..NOT_DECODED
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
    /// The block has `SLOTS + 1` slots, the last of which stays [`ID_NOT_DECODED`]. The pointer
    /// stays valid until the page is invalidated or the cache is dropped.
    pub fn block(&mut self, page: usize) -> Option<(*mut Slot, bool)> {
        let blank = self.blank();
        let slot = self.pages.get_mut(page)?;
        let created = slot.is_none();
        let block = slot.get_or_insert_with(|| vec![blank; SLOTS + 1].into_boxed_slice());
        Some((block.as_mut_ptr(), created))
    }

    /// Drops the decoded block of page `page`; returns true if there was one.
    #[inline]
    pub fn invalidate(&mut self, page: usize) -> bool {
        match self.pages.get_mut(page) {
            Some(slot @ Some(_)) => {
                *slot = None;
                if let Some(blocks) = self.jit_blocks.get_mut(page).filter(|n| **n > 0) {
                    self.jit_stats.invalidated += u64::from(std::mem::take(blocks));
                    self.jit_epoch += 1;
                }
                true
            }
            _ => false,
        }
    }

    /// Slot `index` of page `page`'s block, if the page has one.
    pub(crate) fn slot_mut(&mut self, page: usize, index: usize) -> Option<&mut Slot> {
        self.pages.get_mut(page)?.as_mut()?.get_mut(index)
    }

    /// Drops every compiled block, putting each JIT slot's original instruction back: the
    /// code cache reached its bound, or its bound changed. The decoded pages stay, so a
    /// block being installed, and the interpreter's place in a page, survive it.
    pub(crate) fn evict_compiled(&mut self) {
        for (page, blocks) in self.jit_blocks.iter_mut().enumerate() {
            if std::mem::take(blocks) == 0 {
                continue;
            }
            let reverted =
                match (self.pages.get_mut(page), &self.jit) {
                    (Some(Some(slots)), Some(jit)) => slots.iter_mut().all(|slot| {
                        match crate::jit::Jit::original(Some(jit), *slot) {
                            Some(orig) => {
                                *slot = orig;
                                true
                            }
                            None => false,
                        }
                    }),
                    _ => false,
                };
            if !reverted {
                self.pages[page] = None;
            }
        }
        if let Some(jit) = &mut self.jit {
            jit.clear();
        }
        self.jit_epoch += 1;
        self.jit_stats.code_bytes = 0;
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
