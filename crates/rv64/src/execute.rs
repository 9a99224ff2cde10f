//! The interpreter's inner loop: fetch from the decode cache, execute, retire.
//!
//! The loop keeps `pc`, the positions left and a pointer to the current decode-cache slot in
//! locals, checks the position limit once per instruction and dispatches on the slot's id
//! (operation and length, see `decode_cache.rs`). Loads and stores first try
//! the software TLBs (a hit is a direct RAM access); misses go to the slow paths in
//! `mmu.rs`. Anything that may change interrupt state or translation (traps, CSR writes,
//! `mret`/`sret`, `wfi`, `sfence.vma`) leaves the loop so that [`Hart::run`] can re-check.

use crate::bus::Bus;
use crate::csr::{CsrWrite, MSTATUS_FS, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW};
use crate::decode::decode;
use crate::decode_cache::{
    HandlerTable, RawHandler, Slot, ID_FLD, ID_FP, ID_FSD, ID_JIT, ID_LEN2, SLOTS,
};
use crate::fpu;
use crate::hart::{Exit, Hart, PRIV_M, PRIV_S, PRIV_U};
use crate::insn::{Insn, Op, X0_SINK};
use crate::memory::{load_host, store_host, Memory};
use crate::mmu::{Access, Target};
use crate::trap::{Trap, CAUSE_BREAKPOINT, CAUSE_ECALL_U, CAUSE_ILLEGAL};

/// How the inner loop ended.
pub(crate) enum Flow {
    /// Re-check interrupts and translation context, then continue.
    Recheck,
    /// Return from [`Hart::run`].
    Exit(Exit),
}

/// Declares the slot ids of the ops with an id of their own (all up to `Fsw`), and
/// [`op_of`], which maps an id back to its op.
macro_rules! slot_ids {
    ($($op:ident)*) => {
        /// Slot ids of 4-byte instructions, named after their op (a compressed
        /// instruction's id adds [`ID_LEN2`]).
        #[allow(non_upper_case_globals)]
        mod id4 {
            use super::*;
            $(pub const $op: u8 = Op::$op as u8;)*
            pub const Fld: u8 = ID_FLD;
            pub const Fsd: u8 = ID_FSD;
            pub const Fp: u8 = ID_FP;
            pub const Jit: u8 = ID_JIT;
        }
        /// The op of slot id `id` (of either length); `Illegal` for the shared ids.
        pub(crate) fn op_of(id: u8) -> Op {
            match id & !ID_LEN2 {
                $(id4::$op => Op::$op,)*
                _ => Op::Illegal,
            }
        }
    };
}

slot_ids! {
    Illegal Lui Auipc Jal Jalr Beq Bne Blt Bge Bltu Bgeu Lb Lh Lw Ld Lbu Lhu Lwu Sb Sh Sw Sd
    Addi Slti Sltiu Xori Ori Andi Slli Srli Srai Add Sub Sll Slt Sltu Xor Srl Sra Or And
    Addiw Slliw Srliw Sraiw Addw Subw Sllw Srlw Sraw Fence FenceI Ecall Ebreak
    Mul Mulh Mulhsu Mulhu Div Divu Rem Remu Mulw Divw Divuw Remw Remuw
    LrW ScW AmoswapW AmoaddW AmoxorW AmoandW AmoorW AmominW AmomaxW AmominuW AmomaxuW
    LrD ScD AmoswapD AmoaddD AmoxorD AmoandD AmoorD AmominD AmomaxD AmominuD AmomaxuD
    Csrrw Csrrs Csrrc Csrrwi Csrrsi Csrrci Mret Sret Wfi SfenceVma Flw Fsw
}

/// Sign-extends the low 32 bits.
#[inline(always)]
fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

/// True when `va` is a multiple of `n` (a power of two): such an access of `n` bytes stays
/// inside one page.
#[inline(always)]
fn aligned(va: u64, n: u64) -> bool {
    va & (n - 1) == 0
}

/// The new memory value of an AMO (`old` and `src` already sign-extended for words).
fn amo_value(op: Op, old: u64, src: u64) -> u64 {
    use Op::*;
    let word = matches!(
        op,
        AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW | AmominuW | AmomaxuW
    );
    let (uo, us) = if word {
        (old as u32 as u64, src as u32 as u64)
    } else {
        (old, src)
    };
    match op {
        AmoswapW | AmoswapD => src,
        AmoaddW | AmoaddD => old.wrapping_add(src),
        AmoxorW | AmoxorD => old ^ src,
        AmoandW | AmoandD => old & src,
        AmoorW | AmoorD => old | src,
        AmominW | AmominD => (old as i64).min(src as i64) as u64,
        AmomaxW | AmomaxD => (old as i64).max(src as i64) as u64,
        AmominuW | AmominuD => {
            if uo <= us {
                old
            } else {
                src
            }
        }
        _ => {
            if uo >= us {
                old
            } else {
                src
            }
        }
    }
}

impl Hart {
    /// `xtval` for the illegal instruction in slot `s` (`len` bytes at `pc`): its raw bits.
    #[cold]
    #[inline(never)]
    fn illegal_tval(&mut self, mem: &mut Memory, pc: u64, s: Slot, len: u64) -> u64 {
        let id = s.id & !ID_LEN2;
        if id == id4::Illegal || id == ID_FP {
            u64::from(s.imm as u32)
        } else {
            self.raw_instruction(mem, pc, len as u8)
        }
    }

    /// Executes LR, SC or an AMO `op` with address `va` and source operand `src`, writing
    /// register slot `rd`.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn exec_atomic<B: Bus>(
        &mut self,
        mem: &mut Memory,
        bus: &mut B,
        op: Op,
        rd: u8,
        va: u64,
        src: u64,
        position: u64,
    ) -> Result<(), Trap> {
        use Op::*;
        let rd = usize::from(rd);
        let word = matches!(
            op,
            LrW | ScW
                | AmoswapW
                | AmoaddW
                | AmoxorW
                | AmoandW
                | AmoorW
                | AmominW
                | AmomaxW
                | AmominuW
                | AmomaxuW
        );
        let size = if word { 4 } else { 8 };
        let extend = |v: u64| if word { sext32(v) } else { v };
        let access = if matches!(op, LrW | LrD) {
            Access::Load
        } else {
            Access::Store
        };
        if matches!(op, ScW | ScD) {
            let reservation = self.reservation.take();
            let target = self.atomic_target(mem, va, size, access)?;
            let pa = match target {
                Target::Ram(off) => mem.base() + off as u64,
                Target::Bus(pa) => pa,
            };
            if reservation != Some(pa) {
                self.x[rd] = 1;
                return Ok(());
            }
            self.write_target(mem, bus, target, va, size, src, position)?;
            self.x[rd] = 0;
            return Ok(());
        }
        let target = self.atomic_target(mem, va, size, access)?;
        let old = extend(match target {
            Target::Ram(off) => mem
                .load(off, size as usize)
                .ok_or(Trap::new(crate::trap::CAUSE_LOAD_ACCESS, va))?,
            Target::Bus(pa) => {
                let cause = if access == Access::Load {
                    crate::trap::CAUSE_LOAD_ACCESS
                } else {
                    crate::trap::CAUSE_STORE_ACCESS
                };
                self.bus_load(bus, pa, size, position)
                    .map_err(|_| Trap::new(cause, va))?
            }
        });
        if access == Access::Load {
            self.reservation = Some(match target {
                Target::Ram(off) => mem.base() + off as u64,
                Target::Bus(pa) => pa,
            });
        } else {
            let new = amo_value(op, old, extend(src));
            self.write_target(mem, bus, target, va, size, new, position)?;
        }
        self.x[rd] = old;
        Ok(())
    }

    /// The write half of SC and AMOs.
    #[allow(clippy::too_many_arguments)]
    fn write_target<B: Bus>(
        &mut self,
        mem: &mut Memory,
        bus: &mut B,
        target: Target,
        va: u64,
        size: u64,
        value: u64,
        position: u64,
    ) -> Result<(), Trap> {
        let fault = Trap::new(crate::trap::CAUSE_STORE_ACCESS, va);
        match target {
            Target::Ram(off) => {
                self.code_dropped |= mem.store(off, size as usize, value).ok_or(fault)?;
                Ok(())
            }
            Target::Bus(pa) => self
                .bus_store(bus, pa, size, value, position)
                .map_err(|_| fault),
        }
    }

    /// Executes the Zicsr instruction in slot `s` (CSR number in `imm`, source register or
    /// zimm `rs1`, destination `rd`); `None` when it is illegal.
    #[inline(never)]
    fn exec_csr<B: Bus>(&mut self, bus: &mut B, s: Slot, position: u64) -> Option<CsrWrite> {
        let num = (s.imm & 0xfff) as u16;
        let rs1 = usize::from(s.rs1 & 31);
        let rd = usize::from(s.rd);
        let reg = self.x[rs1];
        let zimm = rs1 as u64;
        let (kind, src, writes) = match op_of(s.id) {
            Op::Csrrw => (0, reg, true),
            Op::Csrrs => (1, reg, rs1 != 0),
            Op::Csrrc => (2, reg, rs1 != 0),
            Op::Csrrwi => (0, zimm, true),
            Op::Csrrsi => (1, zimm, zimm != 0),
            _ => (2, zimm, zimm != 0),
        };
        self.position = position;
        let (old, effect) = self.csr_instruction(num, kind, src, writes, || bus.time(position))?;
        self.x[rd] = old;
        Some(effect)
    }

    /// Executes an F/D computational op; false when it is illegal (FS off or a reserved
    /// rounding mode).
    #[inline(never)]
    pub(crate) fn exec_fp(&mut self, insn: Insn) -> bool {
        if self.csr.mstatus & MSTATUS_FS == 0 {
            return false;
        }
        let op = insn.op;
        let rm = if insn.rm == 7 { self.csr.frm } else { insn.rm };
        let rm = if rm > 4 {
            if op.uses_rounding_mode() {
                return false;
            }
            0
        } else {
            rm
        };
        let a = if op.fp_reads_int() {
            self.x[usize::from(insn.rs1 & 31)]
        } else {
            self.f[usize::from(insn.rs1 & 31)]
        };
        let b = self.f[usize::from(insn.rs2 & 31)];
        let c = self.f[usize::from(insn.rs3 & 31)];
        let (value, flags) = fpu::compute(op, rm, a, b, c);
        if op.fp_writes_int() {
            let rd = if insn.rd == 0 { X0_SINK } else { insn.rd };
            self.x[usize::from(rd & 63)] = value;
        } else {
            self.f[usize::from(insn.rd & 31)] = value;
            self.csr.mstatus |= MSTATUS_FS;
        }
        if flags != 0 {
            self.csr.fflags |= flags & 0x1f;
            self.csr.mstatus |= MSTATUS_FS;
        }
        true
    }

    /// Slow path of a load that missed the TLB: the value, or 0 with the trap in `fault`.
    /// Keeps the `Result` out of the handlers, whose tail dispatch must not see a stack slot.
    #[inline(never)]
    fn load_miss<B: Bus>(&mut self, e: &mut Env<'_, B>, va: u64, size: u64, pos: u64) -> u64 {
        match self.load_slow(e.mem, e.bus, va, size, pos) {
            Ok(v) => v,
            Err(t) => {
                self.fault = Some(t);
                0
            }
        }
    }

    /// Slow path of a store that missed the TLB; a trap is left in `fault`.
    #[inline(never)]
    fn store_miss<B: Bus>(&mut self, e: &mut Env<'_, B>, va: u64, size: u64, value: u64, pos: u64) {
        if let Err(t) = self.store_slow(e.mem, e.bus, va, size, value, pos) {
            self.fault = Some(t);
        }
    }

    /// LR, SC or an AMO; a trap is left in `fault`.
    #[inline(never)]
    fn atomic<B: Bus>(&mut self, e: &mut Env<'_, B>, s: Slot, pos: u64) {
        let (va, src) = (self.x[usize::from(s.rs1)], self.x[usize::from(s.rs2)]);
        if let Err(t) = self.exec_atomic(e.mem, e.bus, op_of(s.id), s.rd, va, src, pos) {
            self.fault = Some(t);
        }
    }

    /// The fetch slow path for the handlers: the slot of `pc`, or null with the trap in
    /// `fault`.
    #[inline(never)]
    fn fetch_miss(&mut self, mem: &mut Memory, pc: u64) -> *const Slot {
        match self.fetch_slow(mem, pc) {
            Ok(slot) => slot,
            Err(t) => {
                self.fault = Some(t);
                std::ptr::null()
            }
        }
    }

    /// Makes the decode cache of `mem` and the hart's own slots hold the handlers for bus
    /// type `B`, the type the executor is about to run with.
    pub(crate) fn install_handlers<B: Bus + 'static>(&mut self, mem: &mut Memory) {
        let bus = std::any::TypeId::of::<B>();
        if mem.code.bus() != Some(bus) {
            let handlers: HandlerTable = Handlers::<B>::TABLE.map(|f| f as RawHandler);
            mem.code.set_handlers(bus, &handlers);
        }
        if self.slots_bus != Some(bus) {
            let blank = mem.code.blank();
            self.straddle = vec![blank; SLOTS + 2].into_boxed_slice();
            self.no_block = vec![blank; 3].into_boxed_slice();
            self.slots_bus = Some(bus);
        }
    }

    /// Runs instructions until something requires [`Hart::run`]'s attention.
    ///
    /// Execution is direct-threaded: every slot id has its own handler ([`exec`]
    /// instantiated for that id), every slot holds its handler's address, and each handler
    /// ends by jumping to the next slot's handler itself (a tail call), so dispatching is one
    /// indirect jump through the slot, and every operation has its own jump for the host's
    /// branch predictor. The chain runs at most [`CHUNK`] instructions and then returns here,
    /// which bounds the stack even where the compiler keeps a call instead of a jump.
    ///
    /// The chain carries the pc, the positions `left` before the chunk's end and a pointer
    /// `ip` to the current instruction's decode-cache [`Slot`] in registers. Falling through
    /// to the next slot needs no check: a slot that is not decoded yet (including the extra
    /// slot past the end of every block, and every one of the hart's no-block slots) takes
    /// the fetch slow path. Taken branches and jumps inside the current page move `ip` by the
    /// same distance as the pc, staying in the current block.
    ///
    /// Invariant: `ip` points into the hart's no-block slots (all not decoded), or into a
    /// block of at least `SLOTS + 1` slots that is the live decode-cache block of `pc`'s page
    /// or the hart's straddle block; in the latter case, whenever the slot is decoded, `ip` is
    /// slot `(pc & 0xfff) / 2` of it. `fetch_slow` establishes this, a dropped code block
    /// resets `ip` to the no-block slots, and advancing over an instruction moves `ip` and
    /// `pc` alike, except past the end of a page, where `ip` lands on a slot past the last
    /// one, which is never decoded. Every slot holds a handler for `B`: [`Hart::run`] calls
    /// [`Hart::install_handlers`] first.
    pub(crate) fn run_block<B: Bus>(
        &mut self,
        mem: &mut Memory,
        bus: &mut B,
        stop_at: u64,
    ) -> Flow {
        let mut e = Env {
            mem,
            bus,
            end: 0,
            stop: stop_at,
            exit: Exit::Position,
        };
        let mut ip: *const Slot = self.no_block.as_ptr();
        loop {
            let left = stop_at.saturating_sub(self.position).min(CHUNK);
            e.end = self.position + left;
            let pc = self.pc;
            match next(self, &mut e, ip, pc, left) {
                Flow::Exit(Exit::Position) if self.position < stop_at => {
                    // Resume at the same slot: nothing ran since the chain stopped.
                    ip = self.resume;
                }
                flow => return flow,
            }
        }
    }
}

/// Longest chain of instructions between two returns to [`Hart::run_block`].
const CHUNK: u64 = 4096;

/// What the handlers share besides the hart and their register arguments.
pub(crate) struct Env<'a, B> {
    mem: &'a mut Memory,
    bus: &'a mut B,
    /// The position at which the chain stops (`left` counts down to it).
    end: u64,
    /// The position at which the run stops: the last chain's end. Compiled code may run to
    /// it, past the chain's: it returns to the chain after each run of blocks, so the
    /// chain's bound on the interpreter's stack ([`CHUNK`]) does not apply to it.
    stop: u64,
    /// Why the chain stops when `left` reaches 0.
    exit: Exit,
}

/// A handler: executes the slot at `ip` (the instruction at `pc`) with `left` positions to
/// go, then the rest of the chain.
type Handler<B> = fn(&mut Hart, &mut Env<'_, B>, *const Slot, u64, u64) -> Flow;

/// The handler of every slot id.
struct Handlers<B>(std::marker::PhantomData<B>);

macro_rules! handler_table {
    ($($id:literal)*) => {
        impl<B: Bus> Handlers<B> {
            const TABLE: [Handler<B>; 256] = [$(exec::<B, $id, false>),*];
        }
    };
}

handler_table! { 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 121 122 123 124 125 126 127 128 129 130 131 132 133 134 135 136 137 138 139 140 141 142 143 144 145 146 147 148 149 150 151 152 153 154 155 156 157 158 159 160 161 162 163 164 165 166 167 168 169 170 171 172 173 174 175 176 177 178 179 180 181 182 183 184 185 186 187 188 189 190 191 192 193 194 195 196 197 198 199 200 201 202 203 204 205 206 207 208 209 210 211 212 213 214 215 216 217 218 219 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 }

/// Continues the chain at slot `ip` (pc `pc`), or stops it when no positions are left.
#[inline(always)]
fn next<B: Bus>(h: &mut Hart, e: &mut Env<'_, B>, ip: *const Slot, pc: u64, left: u64) -> Flow {
    if left == 0 {
        h.pc = pc;
        h.position = e.end;
        h.resume = ip;
        return Flow::Exit(e.exit);
    }
    // SAFETY: by the invariant of `run_block`, `ip` points at one of the hart's no-block slots
    // or a slot of a live block, and `Hart::install_handlers` made every such slot hold a
    // handler instantiated for `B`, so the erased pointer is a `Handler<B>`.
    let handler = unsafe { std::mem::transmute::<RawHandler, Handler<B>>((*ip).handler) };
    handler(h, e, ip, pc, left)
}

/// A taken branch to `target` made it hot: compiles the block there, then continues the
/// chain at it (through the fetch slow path: compiling may have dropped decoded pages).
#[cold]
#[inline(never)]
fn jit_hot<B: Bus>(h: &mut Hart, e: &mut Env<'_, B>, target: u64, left: u64) -> Flow {
    h.jit_compile(e.mem, target);
    next(h, e, h.no_block.as_ptr(), target, left)
}

/// The handler of a JIT slot `s` at `pc`: runs the compiled block and its successors for as
/// long as they fit in the chain's `left` positions and stay on their fast paths, then
/// continues the chain where they stopped. When the block does not fit, or compiled code
/// has just left at this very instruction for the interpreter to execute it, the block's
/// original first instruction is executed instead.
#[inline(never)]
fn jit_enter<B: Bus>(h: &mut Hart, e: &mut Env<'_, B>, s: Slot, pc: u64, left: u64) -> Flow {
    let (block, trampoline) = match &e.mem.code.jit {
        Some(jit) => match jit.blocks.get(s.imm as usize) {
            Some(block) => (*block, jit.trampoline()),
            None => unreachable!("a JIT slot indexes a live block: evicting reverts JIT slots"),
        },
        None => unreachable!("a JIT slot exists only while its compiler does"),
    };
    // To the run's end, unless a device access of this chain ends it at once.
    let end = if e.exit == Exit::Position {
        e.stop
    } else {
        e.end
    };
    let position = e.end - left;
    if !h.jit_on || h.jit_skip_at == pc || end - position < block.insns {
        h.jit_skip_at = 1;
        return run_original(h, e, block.orig, pc, left);
    }
    h.pc = pc;
    h.position = position;
    h.jit_end = end;
    h.jit_mem = &mut *e.mem;
    h.jit_bus = (&mut *e.bus as *mut B).cast();
    h.jit_access = Some(crate::jit::access::<B>);
    h.jit_interpret = Some(interpret_one::<B>);
    // The board may have changed since compiled code last ran.
    h.jit_peek = crate::jit::Peek::default();
    h.sync_jump_cache(e.mem);
    e.mem.code.jit_stats.entries += 1;
    let entered_at = h.position;
    let mut code = block.code;
    let flow = loop {
        // SAFETY: `code` is a block compiled for this hart's layout into the live code
        // cache of `e.mem` (blocks are only dropped between runs of compiled code), and the
        // trampoline calls it with the hart, which compiled code accesses only through
        // that pointer while `h` is not used. Compiled code reaches guest RAM only through
        // TLB entries of this `mem` (see the load and store handlers above).
        let exit = unsafe { trampoline(h as *mut Hart, code) };
        match exit {
            crate::jit::EXIT_LOOKUP | crate::jit::EXIT_RUN_ON => {
                let runs_on = exit == crate::jit::EXIT_RUN_ON;
                if let Some(next_code) = h.jit_next(e.mem, h.pc, end - h.position, runs_on) {
                    code = next_code;
                    continue;
                }
                e.mem.code.jit_stats.lookup_misses += 1;
                break None;
            }
            crate::jit::EXIT_SIDE => {
                h.jit_skip_at = h.pc;
                e.mem.code.jit_stats.side_exits += 1;
                break None;
            }
            crate::jit::EXIT_DEVICE => break Some(Flow::Exit(Exit::Device)),
            crate::jit::EXIT_INTERPRETED => match h.jit_flow.take() {
                Some(Flow::Exit(Exit::Position)) | None => break None,
                Some(flow) => break Some(flow),
            },
            crate::jit::EXIT_TRAP => {
                if let Some(t) = h.fault.take() {
                    let pc = h.pc;
                    h.take_trap(t.cause, t.tval, pc);
                }
                if std::mem::take(&mut h.device_touched) {
                    break Some(Flow::Exit(Exit::Device));
                }
                break Some(Flow::Recheck);
            }
            _ => break None,
        }
    };
    e.mem.code.jit_stats.compiled_instructions += h.position - entered_at;
    if let Some(flow) = flow {
        return flow;
    }
    if h.position >= e.end {
        // Past the chain's end: the run goes on in a new chain from `pc`.
        h.resume = h.no_block.as_ptr();
        return Flow::Exit(e.exit);
    }
    let left = e.end - h.position;
    next(h, e, h.no_block.as_ptr(), h.pc, left)
}

/// Executes the one instruction `slot` at `pc` and `position` for compiled code (see
/// [`crate::jit::interpret`]), in a one-instruction chain of its own on the bus of type `B`
/// behind `bus`, and returns how that chain ended.
///
/// # Safety
/// `bus` must point at a live `B`, and `h.jit_mem` at the run's live memory, that nothing
/// else uses during the call.
unsafe fn interpret_one<B: Bus>(
    bus: *mut (),
    h: &mut Hart,
    slot: Slot,
    pc: u64,
    position: u64,
) -> Flow {
    // SAFETY: by the contract, both are live and unaliased.
    let (bus, mem) = unsafe { (&mut *bus.cast::<B>(), &mut *h.jit_mem) };
    one_instruction(h, mem, bus, slot, pc, position)
}

/// Executes `slot`, the instruction at `pc`, at `position`, in a chain of its own that
/// stops after it, and returns how that chain ended.
fn one_instruction<B: Bus>(
    h: &mut Hart,
    mem: &mut Memory,
    bus: &mut B,
    slot: Slot,
    pc: u64,
    position: u64,
) -> Flow {
    let blank = mem.code.blank();
    // A block of its own for the instruction: advancing past it lands on a slot that is
    // not decoded, as the chain's invariant requires.
    let slots = [slot, blank, blank];
    let mut one = Env {
        mem,
        bus,
        end: position + 1,
        stop: position + 1,
        exit: Exit::Position,
    };
    next(h, &mut one, slots.as_ptr(), pc, 1)
}

/// Executes `orig`, the original first instruction of a compiled block, at `pc` with the
/// interpreter (in a one-instruction chain of its own), then continues the chain.
#[inline(never)]
fn run_original<B: Bus>(h: &mut Hart, e: &mut Env<'_, B>, orig: Slot, pc: u64, left: u64) -> Flow {
    match one_instruction(h, e.mem, e.bus, orig, pc, e.end - left) {
        Flow::Exit(Exit::Position) => {
            let left = e.end - h.position;
            next(h, e, h.no_block.as_ptr(), h.pc, left)
        }
        flow => flow,
    }
}

/// The handler of slot id `ID`: executes one instruction, then continues the chain.
///
/// `SLOW` selects the variant a load or store restarts in when it misses the TLB: the slow
/// paths (calls that need a stack frame) live only there, so the fast variant's hit path
/// needs no frame. Restarting is safe because the access is a load's or store's first side
/// effect.
// Arms that always leave (jumps, traps) make the shared advance after them unreachable.
#[allow(unreachable_code)]
#[inline(never)]
fn exec<B: Bus, const ID: u8, const SLOW: bool>(
    h: &mut Hart,
    e: &mut Env<'_, B>,
    ip: *const Slot,
    pc: u64,
    left: u64,
) -> Flow {
    let len: u64 = if ID & ID_LEN2 != 0 { 2 } else { 4 };
    // SAFETY: by the invariant of `run_block`, `ip` points at one of the hart's no-block slots
    // or a slot of a live block.
    let s: Slot = unsafe { *ip };
    let mut left = left;

    // The position of the current instruction.
    macro_rules! pos {
        () => {
            e.end - left
        };
    }
    // Leaves the chain after retiring the current instruction with `next` as the new pc.
    macro_rules! retire_and_leave {
        ($next:expr, $flow:expr) => {{
            h.pc = $next;
            h.position = pos!() + 1;
            return $flow;
        }};
    }
    // Raises an exception at the current instruction.
    macro_rules! raise {
        ($trap:expr) => {{
            let t: Trap = $trap;
            h.position = pos!();
            h.take_trap(t.cause, t.tval, pc);
            if e.exit == Exit::Device || std::mem::take(&mut h.device_touched) {
                return Flow::Exit(Exit::Device);
            }
            return Flow::Recheck;
        }};
    }
    // Bookkeeping after a slow path: a trap it left, a dropped code block (the current block
    // may be gone, so continue through the fetch slow path) or a device access that needs the
    // board's attention (retire this instruction, then leave).
    let mut ip = ip;
    macro_rules! after_slow {
        () => {
            if let Some(t) = h.fault.take() {
                raise!(t);
            }
            if h.code_dropped {
                h.code_dropped = false;
                ip = std::ptr::null();
            }
            if h.device_touched {
                h.device_touched = false;
                e.end = e.end - left + 1;
                left = 1;
                e.exit = Exit::Device;
            }
        };
    }
    // Operands. Register fields are `u8`s and the integer file has 256 slots, so indexing
    // needs neither a mask nor a bounds check.
    macro_rules! a {
        () => {
            h.x[usize::from(s.rs1)]
        };
    }
    macro_rules! b {
        () => {
            h.x[usize::from(s.rs2)]
        };
    }
    macro_rules! imm {
        () => {
            s.imm as i64 as u64
        };
    }
    macro_rules! set {
        ($value:expr) => {{
            let v: u64 = $value;
            h.x[usize::from(s.rd)] = v;
        }};
    }
    // Retires the current instruction with a jump to `$target`.
    macro_rules! jump {
        ($target:expr) => {{
            let target: u64 = $target;
            if h.jit_on && h.heat_up(target) {
                return jit_hot(h, e, target, left - 1);
            }
            // Same page: by the invariant, the target's slot is in the same block.
            let to = if (target ^ pc) < 0x1000 {
                ip.wrapping_offset((target.wrapping_sub(pc) as i64 >> 1) as isize)
            } else {
                h.no_block.as_ptr()
            };
            return next(h, e, to, target, left - 1);
        }};
    }
    macro_rules! branch {
        ($cond:expr) => {{
            if $cond {
                jump!(pc.wrapping_add(imm!()));
            }
        }};
    }
    macro_rules! illegal {
        ($len:expr) => {{
            let tval = h.illegal_tval(e.mem, pc, s, $len);
            raise!(Trap::new(CAUSE_ILLEGAL, tval))
        }};
    }
    macro_rules! load {
        ($va:expr, $n:literal) => {{
            let va: u64 = $va;
            let entry = h.tlb_load.entry(va);
            if !SLOW && entry.tag == (va & !0xfff) | h.data_ctx && aligned(va, $n) {
                // SAFETY: a load-TLB entry maps a whole 4 KiB page to its host address in
                // this `mem`, derived from its `host_base` (run flushes the TLBs when handed
                // another Memory, and RAM never moves), and an aligned access stays inside
                // that page. No reference into RAM is live here.
                unsafe { load_host::<$n>(va.wrapping_add(entry.addend) as usize) }
            } else if !SLOW {
                return exec::<B, ID, true>(h, e, ip, pc, left);
            } else {
                let v = h.load_miss(e, va, $n, pos!());
                after_slow!();
                v
            }
        }};
    }
    macro_rules! store {
        ($va:expr, $n:literal, $value:expr) => {{
            let va: u64 = $va;
            let value: u64 = $value;
            let entry = h.tlb_store.entry(va);
            if !SLOW && entry.tag == (va & !0xfff) | h.store_ctx && aligned(va, $n) {
                // SAFETY: a store-TLB entry maps a whole 4 KiB page with no decoded code (the
                // store TLB is flushed whenever a page becomes a code page) to its host
                // address in this `mem`, derived from its `host_base` (run flushes the TLBs
                // when handed another Memory, and RAM never moves), and an aligned access
                // stays inside that page. No reference into RAM is live here.
                unsafe { store_host::<$n>(va.wrapping_add(entry.addend) as usize, value) }
            } else if !SLOW {
                return exec::<B, ID, true>(h, e, ip, pc, left);
            } else {
                h.store_miss(e, va, $n, value, pos!());
                after_slow!();
            }
        }};
    }
    macro_rules! fs_on {
        ($len:expr) => {
            if h.csr.mstatus & MSTATUS_FS == 0 {
                illegal!($len);
            }
        };
    }
    // Dispatches on `ID` (a constant: each instantiation keeps one arm).
    macro_rules! dispatch {
        ($($($op:ident)|+ => $body:block)*) => {
            match ID & !ID_LEN2 {
                $($(id4::$op)|+ => $body)*
                _ => {
                    let slot = h.fetch_miss(e.mem, pc);
                    if let Some(t) = h.fault.take() {
                        raise!(t);
                    }
                    return next(h, e, slot, pc, left);
                }
            }
        };
    }

    dispatch! {
            Lui => { set!(imm!()) }
            Auipc => { set!(pc.wrapping_add(imm!())) }
            Jal => {
                set!(pc.wrapping_add(len));
                jump!(pc.wrapping_add(imm!()));
            }
            Jalr => {
                let target = a!().wrapping_add(imm!()) & !1;
                set!(pc.wrapping_add(len));
                jump!(target);
            }
            Beq => { branch!(a!() == b!()) }
            Bne => { branch!(a!() != b!()) }
            Blt => { branch!((a!() as i64) < (b!() as i64)) }
            Bge => { branch!((a!() as i64) >= (b!() as i64)) }
            Bltu => { branch!(a!() < b!()) }
            Bgeu => { branch!(a!() >= b!()) }
            Lb => { set!(load!(a!().wrapping_add(imm!()), 1) as i8 as i64 as u64) }
            Lh => { set!(load!(a!().wrapping_add(imm!()), 2) as i16 as i64 as u64) }
            Lw => { set!(sext32(load!(a!().wrapping_add(imm!()), 4))) }
            Ld => { set!(load!(a!().wrapping_add(imm!()), 8)) }
            Lbu => { set!(load!(a!().wrapping_add(imm!()), 1)) }
            Lhu => { set!(load!(a!().wrapping_add(imm!()), 2)) }
            Lwu => { set!(load!(a!().wrapping_add(imm!()), 4)) }
            Sb => { store!(a!().wrapping_add(imm!()), 1, b!()) }
            Sh => { store!(a!().wrapping_add(imm!()), 2, b!()) }
            Sw => { store!(a!().wrapping_add(imm!()), 4, b!()) }
            Sd => { store!(a!().wrapping_add(imm!()), 8, b!()) }
            Addi => { set!(a!().wrapping_add(imm!())) }
            Slti => { set!(u64::from((a!() as i64) < (imm!() as i64))) }
            Sltiu => { set!(u64::from(a!() < imm!())) }
            Xori => { set!(a!() ^ imm!()) }
            Ori => { set!(a!() | imm!()) }
            Andi => { set!(a!() & imm!()) }
            Slli => { set!(a!() << (imm!() & 63)) }
            Srli => { set!(a!() >> (imm!() & 63)) }
            Srai => { set!(((a!() as i64) >> (imm!() & 63)) as u64) }
            Add => { set!(a!().wrapping_add(b!())) }
            Sub => { set!(a!().wrapping_sub(b!())) }
            Sll => { set!(a!() << (b!() & 63)) }
            Slt => { set!(u64::from((a!() as i64) < (b!() as i64))) }
            Sltu => { set!(u64::from(a!() < b!())) }
            Xor => { set!(a!() ^ b!()) }
            Srl => { set!(a!() >> (b!() & 63)) }
            Sra => { set!(((a!() as i64) >> (b!() & 63)) as u64) }
            Or => { set!(a!() | b!()) }
            And => { set!(a!() & b!()) }
            Addiw => { set!(sext32(a!().wrapping_add(imm!()))) }
            Slliw => { set!(sext32(u64::from((a!() as u32) << (imm!() & 31)))) }
            Srliw => { set!(sext32(u64::from((a!() as u32) >> (imm!() & 31)))) }
            Sraiw => { set!(((a!() as i32) >> (imm!() & 31)) as i64 as u64) }
            Addw => { set!(sext32(a!().wrapping_add(b!()))) }
            Subw => { set!(sext32(a!().wrapping_sub(b!()))) }
            Sllw => { set!(sext32(u64::from((a!() as u32) << (b!() & 31)))) }
            Srlw => { set!(sext32(u64::from((a!() as u32) >> (b!() & 31)))) }
            Sraw => { set!(((a!() as i32) >> (b!() & 31)) as i64 as u64) }
            // One hart, in-order, and stores invalidate decoded code as they happen.
            Fence | FenceI => {}
            Ecall => { raise!(Trap::new(CAUSE_ECALL_U + u64::from(h.privilege), 0)) }
            Ebreak => { raise!(Trap::new(CAUSE_BREAKPOINT, pc)) }
            Mul => { set!(a!().wrapping_mul(b!())) }
            Mulh => {
                set!(((i128::from(a!() as i64) * i128::from(b!() as i64)) >> 64) as u64)
            }
            Mulhsu => { set!(((i128::from(a!() as i64) * i128::from(b!())) >> 64) as u64) }
            Mulhu => { set!(((u128::from(a!()) * u128::from(b!())) >> 64) as u64) }
            Div => {
                let (x, y) = (a!() as i64, b!() as i64);
                set!(if y == 0 { u64::MAX } else { x.wrapping_div(y) as u64 })
            }
            Divu => { set!(a!().checked_div(b!()).unwrap_or(u64::MAX)) }
            Rem => {
                let (x, y) = (a!() as i64, b!() as i64);
                set!(if y == 0 { x as u64 } else { x.wrapping_rem(y) as u64 })
            }
            Remu => {
                let x = a!();
                set!(x.checked_rem(b!()).unwrap_or(x))
            }
            Mulw => { set!(sext32(a!().wrapping_mul(b!()))) }
            Divw => {
                let (x, y) = (a!() as i32, b!() as i32);
                set!(if y == 0 { u64::MAX } else { x.wrapping_div(y) as i64 as u64 })
            }
            Divuw => {
                let (x, y) = (a!() as u32, b!() as u32);
                set!(x.checked_div(y).map_or(u64::MAX, |q| sext32(u64::from(q))))
            }
            Remw => {
                let (x, y) = (a!() as i32, b!() as i32);
                set!(if y == 0 { x as i64 as u64 } else { x.wrapping_rem(y) as i64 as u64 })
            }
            Remuw => {
                let (x, y) = (a!() as u32, b!() as u32);
                set!(sext32(u64::from(x.checked_rem(y).unwrap_or(x))))
            }
            LrW | ScW | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW
            | AmomaxW | AmominuW | AmomaxuW | LrD | ScD | AmoswapD | AmoaddD | AmoxorD
            | AmoandD | AmoorD | AmominD | AmomaxD | AmominuD | AmomaxuD => {
                h.atomic(e, s, pos!());
                after_slow!();
            }
            Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci => {
                let next = pc.wrapping_add(len);
                match h.exec_csr(e.bus, s, pos!()) {
                    None => illegal!(len),
                    Some(CsrWrite::Quiet) => {}
                    Some(CsrWrite::Context) => {
                        h.update_ctx();
                        if h.pending_interrupt().is_some() {
                            retire_and_leave!(next, Flow::Recheck);
                        }
                    }
                    Some(CsrWrite::Recheck) => retire_and_leave!(next, Flow::Recheck),
                }
            }
            Mret => {
                if h.privilege < PRIV_M {
                    illegal!(len);
                }
                h.position = pos!() + 1;
                h.do_mret();
                return Flow::Recheck;
            }
            Sret => {
                if h.privilege == PRIV_U
                    || (h.privilege == PRIV_S && h.csr.mstatus & MSTATUS_TSR != 0)
                {
                    illegal!(len);
                }
                h.position = pos!() + 1;
                h.do_sret();
                return Flow::Recheck;
            }
            Wfi => {
                if h.privilege == PRIV_U
                    || (h.privilege == PRIV_S && h.csr.mstatus & MSTATUS_TW != 0)
                {
                    illegal!(len);
                }
                let next = pc.wrapping_add(len);
                if h.mip() & h.csr.mie == 0 {
                    retire_and_leave!(next, Flow::Exit(Exit::Wfi));
                }
                retire_and_leave!(next, Flow::Recheck);
            }
            SfenceVma => {
                if h.privilege == PRIV_U
                    || (h.privilege == PRIV_S && h.csr.mstatus & MSTATUS_TVM != 0)
                {
                    illegal!(len);
                }
                if s.rs1 == 0 {
                    h.flush_tlbs();
                } else {
                    h.flush_tlbs_at(a!());
                }
                retire_and_leave!(pc.wrapping_add(len), Flow::Recheck);
            }
            Flw => {
                fs_on!(len);
                let v = load!(a!().wrapping_add(imm!()), 4);
                h.f[usize::from(s.rd & 31)] = v | 0xffff_ffff_0000_0000;
                h.csr.mstatus |= MSTATUS_FS;
            }
            Fld => {
                fs_on!(len);
                let v = load!(a!().wrapping_add(imm!()), 8);
                h.f[usize::from(s.rd & 31)] = v;
                h.csr.mstatus |= MSTATUS_FS;
            }
            Fsw => {
                fs_on!(len);
                store!(a!().wrapping_add(imm!()), 4, h.f[usize::from(s.rs2 & 31)]);
            }
            Fsd => {
                fs_on!(len);
                store!(a!().wrapping_add(imm!()), 8, h.f[usize::from(s.rs2 & 31)]);
            }
            Fp => {
                if !h.exec_fp(decode(s.imm as u32)) {
                    illegal!(len);
                }
            }
            Illegal => { illegal!(len) }
            Jit => { return jit_enter(h, e, s, pc, left) }
    }
    let to = if ip.is_null() {
        h.no_block.as_ptr()
    } else {
        ip.wrapping_add(if len == 4 { 2 } else { 1 })
    };
    next(h, e, to, pc.wrapping_add(len), left - 1)
}
