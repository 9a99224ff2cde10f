//! The hart: architectural state, the run loop and the position counter.
//!
//! # Position
//!
//! The position counter starts at 0 at reset and advances by exactly one for
//! - every retired instruction (including `wfi`, CSR accesses, `mret`, `sret`),
//! - every trap taken: each exception entry and each interrupt entry counts one.
//!
//! An instruction that raises an exception does not retire, so it contributes only its trap
//! entry. `ecall` and `ebreak` raise exceptions, so they count one each (their trap entry).
//! [`Hart::run`] never lets the position pass its `stop_at` argument: it checks before every
//! instruction and before taking an interrupt. `minstret` counts retired instructions only
//! (position minus traps taken); `mcycle` counts positions. Both are writable (stored as
//! offsets).
//!
//! # Run loop
//!
//! [`Hart::run`] checks for interrupts on entry and whenever it leaves the inner loop (after
//! a trap, a `satp` write, `mret`/`sret`, `wfi`, `sfence.vma`, or a CSR write that makes an
//! interrupt pending and enabled). Other CSR writes that may change interrupts or the
//! data-access context recompute the context and re-check interrupts in place. Nothing else
//! can change enabled or pending interrupts while it runs, since the board changes interrupt
//! lines only between calls, and every device access that may change them (or needs the board
//! for anything else) ends the call: the [`Bus`] says which (see its documentation). Other
//! device accesses, such as reads of a status register, go on within the call.

use crate::bus::Bus;
use crate::csr::{CsrFile, LINES};
use crate::decode_cache::Slot;
use crate::memory::Memory;
use crate::mmu::{DeviceTlb, Tlb, NO_SUPERPAGES};
use crate::trap::{Trap, INTERRUPT};

/// User mode.
pub const PRIV_U: u8 = 0;
/// Supervisor mode.
pub const PRIV_S: u8 = 1;
/// Machine mode.
pub const PRIV_M: u8 = 3;

/// Why [`Hart::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The position counter reached the `stop_at` argument.
    Position,
    /// The hart executed `wfi` and no enabled interrupt is pending: it is idle until an
    /// interrupt line changes.
    Wfi,
    /// An instruction accessed the [`Bus`] and the bus asked for attention
    /// ([`Bus::take_attention`]): the board should act on the access and re-evaluate the
    /// interrupt lines before the hart goes on.
    Device,
}

/// How the hart executes guest code. Both engines produce exactly the same architectural
/// state at every position: the choice is one of speed, never of behaviour, so it is not part
/// of the hart's saved state and a log recorded under one replays under the other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Accel {
    /// The direct-threaded interpreter alone: the reference.
    Interp,
    /// The interpreter, with hot blocks compiled to host code.
    #[default]
    Jit,
}

/// One RV64GC hart.
pub struct Hart {
    /// Integer registers; slot 32 is the `x0` write sink, slots 33.. are unused padding that
    /// lets any `u8` register field index without a bounds check or mask.
    pub(crate) x: [u64; 256],
    /// FP registers (raw; singles NaN-boxed).
    pub(crate) f: [u64; 32],
    pub(crate) pc: u64,
    pub(crate) position: u64,
    /// Traps taken since reset (position minus retired instructions).
    pub(crate) traps: u64,
    pub(crate) privilege: u8,
    pub(crate) csr: CsrFile,
    /// Interrupt lines driven by the board (bits of mip).
    pub(crate) lines: u64,
    /// The LR reservation: a physical address.
    pub(crate) reservation: Option<u64>,
    pub(crate) tlb_fetch: Tlb,
    pub(crate) tlb_load: Tlb,
    pub(crate) tlb_store: Tlb,
    /// Translations of device pages, so device accesses skip the page walk.
    pub(crate) tlb_device: DeviceTlb,
    /// TLB context of fetches (the privilege).
    pub(crate) fetch_ctx: u64,
    /// TLB context of loads (effective privilege, SUM, MXR; the load TLB's generation).
    pub(crate) data_ctx: u64,
    /// TLB context of stores: `data_ctx` with the store TLB's generation.
    pub(crate) store_ctx: u64,
    /// The smallest virtual range (inclusive bounds) holding every superpage translated since
    /// the TLBs were last emptied, so `sfence.vma` of an address can tell whether flushing
    /// one 4 KiB entry is enough.
    pub(crate) superpages: (u64, u64),
    /// The RAM the TLBs were filled for.
    pub(crate) mem_identity: (usize, usize),
    /// The `Memory::written_epoch` the store TLB's entries were made under.
    pub(crate) written_epoch: u64,
    /// Host address of that RAM's first byte ([`Memory::host_base`]): TLB entries hold host
    /// addresses inside it.
    pub(crate) ram_host: usize,
    /// Set when a write dropped a decoded code block (the fetch loop must refetch its page).
    pub(crate) code_dropped: bool,
    /// Where an instruction that straddles a page boundary is decoded for execution (at slot
    /// `SLOTS - 1`, the slot of offset 0xffe); every other slot stays not decoded, so the
    /// fetch loop can treat it like a page's block. `SLOTS + 2` slots: advancing over the
    /// 4-byte instruction lands on slot `SLOTS + 1`.
    pub(crate) straddle: Box<[Slot]>,
    /// Slots the executor points at when it has no current page: advancing over a 2- or
    /// 4-byte instruction from the first slot stays inside, and every slot is not decoded,
    /// which sends the executor to the fetch slow path.
    pub(crate) no_block: Box<[Slot]>,
    /// The bus type whose handlers `straddle` and `no_block` hold.
    pub(crate) slots_bus: Option<std::any::TypeId>,
    /// Set when a bus access needs the board's attention (the slice ends after the
    /// instruction with [`Exit::Device`]).
    pub(crate) device_touched: bool,
    /// A trap raised by a slow path of the executor, for the instruction's handler to take.
    pub(crate) fault: Option<Trap>,
    /// The decode-cache slot of `pc` when the executor's chain stopped at a chunk boundary.
    pub(crate) resume: *const Slot,
    /// The execution engine.
    pub(crate) accel: Accel,
    /// Taken branches to a block's start before the JIT compiles it.
    pub(crate) jit_threshold: u16,
    /// `accel` is [`Accel::Jit`] (cached for the interpreter's branch handlers).
    pub(crate) jit_on: bool,
    /// Taken branches per (hashed) target, counted by the interpreter when the JIT is on.
    pub(crate) heat: Box<[u16; crate::jit::HEAT_SIZE]>,
    /// The position compiled code must not pass: the end of the interpreter's chain.
    pub(crate) jit_end: u64,
    /// The jump cache: compiled blocks by virtual pc, one table per fetch context.
    pub(crate) jc: Box<[crate::jit::JcEntry]>,
    /// The RAM compiled code runs on, for the helpers it calls (set by `jit_enter`).
    pub(crate) jit_mem: *mut Memory,
    /// The bus compiled code runs with, type-erased (set by `jit_enter`).
    pub(crate) jit_bus: *mut (),
    /// The slow path of compiled code's loads and stores for that bus, [`crate::jit::access`]
    /// (set by `jit_enter`): the access shim calls it through this field.
    pub(crate) jit_access: Option<crate::jit::Access>,
    /// The interpreter for one instruction, for compiled code (set by `jit_enter`).
    pub(crate) jit_interpret: Option<crate::jit::InterpretOne>,
    /// How the interpreter's chain went on after an instruction it executed for compiled
    /// code, when compiled code left for it (`EXIT_INTERPRETED`).
    pub(crate) jit_flow: Option<crate::execute::Flow>,
    /// A load's value, from the access helper to compiled code.
    pub(crate) jit_value: u64,
    /// The last device load compiled code made that the board need not see, which it
    /// answers again without the helper (see [`crate::jit::Peek`]).
    pub(crate) jit_peek: crate::jit::Peek,
    /// A helper's result, which compiled code reads after the call (helpers are called
    /// through shims that preserve every general register and return nothing).
    pub(crate) jit_status: u64,
    /// The current fetch context's table in `jc`, read by compiled code.
    pub(crate) jc_base: *const crate::jit::JcEntry,
    /// The decode cache's `jit_epoch` the jump cache was filled under.
    pub(crate) jc_epoch: u64,
    /// One bit per fetch context whose jump-cache table may hold stale translations (set
    /// when the TLBs are flushed); a table is emptied when its context next enters
    /// compiled code.
    pub(crate) jc_stale: u8,
    /// A filter of the virtual pages the jump cache may hold blocks of: bit `(pc >> 12) %
    /// JC_PAGE_BITS` is set when an entry for `pc` is made, and every bit is cleared when
    /// every table is marked stale. An `sfence.vma` of a page whose bit is clear leaves the
    /// jump cache as it is: Linux fences each page it maps on a page fault, nearly always a
    /// data page (an `xz -9` run fences 104,000 pages, 92 of them through a set bit;
    /// emptying the cache at each made compiled code refill it 3.3 million more times).
    pub(crate) jc_pages: [u64; crate::jit::JC_PAGE_BITS / 64],
    /// Where compiled code last left at an instruction the interpreter must execute: if it
    /// is a compiled block's first, its JIT slot runs the original instruction instead of
    /// entering the block again (1, an odd pc, when none).
    pub(crate) jit_skip_at: u64,
}

impl Hart {
    /// A hart in M-mode at `reset_pc`, hart id 0, all other state at its reset value.
    pub fn new(reset_pc: u64) -> Hart {
        Hart {
            x: [0; 256],
            f: [0; 32],
            pc: reset_pc,
            position: 0,
            traps: 0,
            privilege: PRIV_M,
            csr: CsrFile::default(),
            lines: 0,
            reservation: None,
            tlb_fetch: Tlb::default(),
            tlb_load: Tlb::default(),
            tlb_store: Tlb::default(),
            tlb_device: DeviceTlb::default(),
            fetch_ctx: 0,
            data_ctx: 0,
            store_ctx: 0,
            superpages: NO_SUPERPAGES,
            mem_identity: (0, 0),
            written_epoch: 0,
            ram_host: 0,
            code_dropped: false,
            device_touched: false,
            fault: None,
            resume: std::ptr::null(),
            straddle: Box::default(),
            no_block: Box::default(),
            slots_bus: None,
            accel: Accel::default(),
            jit_threshold: crate::jit::DEFAULT_THRESHOLD,
            jit_on: false,
            heat: Box::new([0; crate::jit::HEAT_SIZE]),
            jit_end: 0,
            jc: vec![crate::jit::JC_EMPTY; crate::jit::JC_SIZE * crate::jit::JC_CONTEXTS]
                .into_boxed_slice(),
            jc_base: std::ptr::null(),
            jit_mem: std::ptr::null_mut(),
            jit_bus: std::ptr::null_mut(),
            jit_access: None,
            jit_interpret: None,
            jit_flow: None,
            jit_value: 0,
            jit_peek: crate::jit::Peek::default(),
            jit_status: 0,
            jc_epoch: 0,
            jc_stale: u8::MAX,
            jc_pages: [0; crate::jit::JC_PAGE_BITS / 64],
            jit_skip_at: 1,
        }
    }

    /// The execution engine.
    pub fn accel(&self) -> Accel {
        self.accel
    }

    /// Chooses the execution engine; takes effect at the next [`Hart::run`].
    pub fn set_accel(&mut self, accel: Accel) {
        self.accel = accel;
    }

    /// Sets how many times the interpreter must branch to a block's start before the JIT
    /// compiles it (at least 1; 1 compiles every block reached by a taken branch at once,
    /// which tests use to exercise the JIT on short programs).
    pub fn set_jit_threshold(&mut self, executions: u16) {
        self.jit_threshold = executions.max(1);
    }

    /// The program counter.
    pub fn pc(&self) -> u64 {
        self.pc
    }

    /// Sets the program counter (bit 0 is cleared).
    pub fn set_pc(&mut self, pc: u64) {
        self.pc = pc & !1;
    }

    /// Integer register `reg` (0..32); 0 for out-of-range indices.
    pub fn x(&self, reg: usize) -> u64 {
        if reg < 32 {
            self.x[reg]
        } else {
            0
        }
    }

    /// Sets integer register `reg` (writes to `x0` and out-of-range indices are ignored).
    pub fn set_x(&mut self, reg: usize, value: u64) {
        if (1..32).contains(&reg) {
            self.x[reg] = value;
        }
    }

    /// FP register `reg` (0..32), raw; 0 for out-of-range indices.
    pub fn f(&self, reg: usize) -> u64 {
        self.f.get(reg).copied().unwrap_or(0)
    }

    /// The current privilege: 0 = U, 1 = S, 3 = M.
    pub fn privilege(&self) -> u8 {
        self.privilege
    }

    /// The value of CSR `num` as M-mode would read it, or `None` if it is not implemented.
    /// `time` is not available here (it belongs to the board's clock) and reads as `None`.
    pub fn csr(&self, num: u16) -> Option<u64> {
        self.csr_value(num, || None)
    }

    /// The position counter: instructions retired plus traps taken since reset (see the
    /// module documentation).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Drives the hardware interrupt lines: MSIP (bit 3), MTIP (7), SEIP (9, OR-ed with the
    /// software-writable SEIP bit) and MEIP (11) of `mip`. Other bits are ignored.
    pub fn set_interrupt_lines(&mut self, lines: u64) {
        self.lines = lines & LINES;
    }

    /// True if a locally enabled interrupt is pending (`mip & mie != 0`): the condition that
    /// ends a `wfi`, whatever the global enables say.
    pub fn wfi_wakeup_pending(&self) -> bool {
        self.mip() & self.csr.mie != 0
    }

    /// Executes until the position reaches `stop_at`, the hart idles in `wfi`, or a device
    /// access needs the board's attention.
    pub fn run<B: Bus + 'static>(&mut self, mem: &mut Memory, bus: &mut B, stop_at: u64) -> Exit {
        self.install_handlers::<B>(mem);
        let identity = mem.identity();
        self.jit_on = self.accel == Accel::Jit;
        if identity != self.mem_identity {
            self.flush_tlbs();
            self.mem_identity = identity;
        }
        if mem.written_epoch() != self.written_epoch {
            // Written-page marks were taken: stores must mark their pages again.
            self.flush_store_tlb();
            self.written_epoch = mem.written_epoch();
        }
        self.ram_host = mem.host_base();
        if self.jit_on {
            self.jit_poll(mem);
        }
        loop {
            if self.position >= stop_at {
                return Exit::Position;
            }
            if let Some(irq) = self.pending_interrupt() {
                let pc = self.pc;
                self.take_trap(INTERRUPT | irq, 0, pc);
                continue;
            }
            self.update_ctx();
            if let crate::execute::Flow::Exit(exit) = self.run_block(mem, bus, stop_at) {
                return exit;
            }
        }
    }
}

pub mod state;

#[cfg(test)]
mod tests;
