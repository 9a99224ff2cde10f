//! The interpreter's inner loop: fetch from the decode cache, execute, retire.
//!
//! The loop keeps `pc`, the positions left and a pointer to the current decode-cache slot in
//! locals, checks the position limit once per instruction and dispatches on [`Op`]. Loads and stores first try
//! the software TLBs (a hit is a direct RAM access); misses go to the slow paths in
//! `mmu.rs`. Anything that may change interrupt state or translation (traps, CSR writes,
//! `mret`/`sret`, `wfi`, `sfence.vma`) leaves the loop so that [`Hart::run`] can re-check.

use crate::bus::Bus;
use crate::csr::{CsrWrite, MSTATUS_FS, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW};
use crate::decode_cache::NO_BLOCK;
use crate::fpu;
use crate::hart::{Exit, Hart, PRIV_M, PRIV_S, PRIV_U};
use crate::insn::{Insn, Op, X0_SINK};
use crate::memory::Memory;
use crate::mmu::{Access, Target};
use crate::trap::{Trap, CAUSE_BREAKPOINT, CAUSE_ECALL_U, CAUSE_ILLEGAL};

/// How the inner loop ended.
pub(crate) enum Flow {
    /// Re-check interrupts and translation context, then continue.
    Recheck,
    /// Return from [`Hart::run`].
    Exit(Exit),
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
    /// `xtval` for an illegal instruction `op` (immediate `imm`, `len` bytes): its raw bits.
    #[cold]
    #[inline(never)]
    fn illegal_tval(&mut self, mem: &mut Memory, pc: u64, op: Op, imm: u64, len: u8) -> u64 {
        if op == Op::Illegal {
            u64::from(imm as u32)
        } else {
            self.raw_instruction(mem, pc, len)
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
        rd: usize,
        va: u64,
        src: u64,
        position: u64,
    ) -> Result<(), Trap> {
        use Op::*;
        let rd = rd & 63;
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
                self.device_touched = true;
                let cause = if access == Access::Load {
                    crate::trap::CAUSE_LOAD_ACCESS
                } else {
                    crate::trap::CAUSE_STORE_ACCESS
                };
                bus.load(pa, size as u8, position)
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
            Target::Bus(pa) => {
                self.device_touched = true;
                bus.store(pa, size as u8, value, position)
                    .map_err(|_| fault)
            }
        }
    }

    /// Executes the Zicsr instruction `op` (CSR number in `imm`, source register or zimm
    /// `rs1`, destination slot `rd`); `None` when it is illegal.
    #[inline(never)]
    fn exec_csr<B: Bus>(
        &mut self,
        bus: &mut B,
        op: Op,
        rd: usize,
        rs1: usize,
        imm: u64,
        position: u64,
    ) -> Option<CsrWrite> {
        let num = (imm & 0xfff) as u16;
        let rs1 = rs1 & 31;
        let reg = self.x[rs1];
        let zimm = rs1 as u64;
        let (kind, src, writes) = match op {
            Op::Csrrw => (0, reg, true),
            Op::Csrrs => (1, reg, rs1 != 0),
            Op::Csrrc => (2, reg, rs1 != 0),
            Op::Csrrwi => (0, zimm, true),
            Op::Csrrsi => (1, zimm, zimm != 0),
            _ => (2, zimm, zimm != 0),
        };
        self.position = position;
        let (old, effect) = self.csr_instruction(num, kind, src, writes, || bus.time(position))?;
        self.x[rd & 63] = old;
        Some(effect)
    }

    /// Executes an F/D computational op; false when it is illegal (FS off or a reserved
    /// rounding mode).
    #[inline(never)]
    fn exec_fp(&mut self, insn: Insn) -> bool {
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

    /// Runs instructions until something requires [`Hart::run`]'s attention.
    ///
    /// The loop keeps the pc, the number of positions `left` before `stop_at`, and a pointer
    /// `ip` to the current instruction's decode-cache slot in locals. Falling through to the
    /// next slot needs no check: a slot that is not decoded yet (including the extra slot past
    /// the end of every block, and every slot of [`NO_BLOCK`]) dispatches as `Illegal` with
    /// `len == 0`, which takes the fetch slow path. Taken branches and jumps inside the
    /// current page move `ip` by the same distance as the pc, staying in the current block.
    ///
    /// Invariant: `ip` points into [`NO_BLOCK`] (whose slots are all not decoded), or into a
    /// block of at least `SLOTS + 1` slots that is the live decode-cache block of `pc`'s page
    /// or the hart's straddle block; in the latter case, whenever the slot is decoded, `ip` is
    /// slot `(pc & 0xfff) / 2` of it. `fetch_slow` establishes this, a dropped code block
    /// resets `ip` to NO_BLOCK, and advancing over an instruction moves `ip` and `pc` alike,
    /// except past the end of a page, where `ip` lands on a slot past the last one, which is
    /// never decoded.
    pub(crate) fn run_block<B: Bus>(
        &mut self,
        mem: &mut Memory,
        bus: &mut B,
        stop_at: u64,
    ) -> Flow {
        let mut pc = self.pc;
        let mut end = stop_at;
        let mut left = stop_at.saturating_sub(self.position);
        let mut exit = Exit::Position;
        let mut ip: *const Insn = NO_BLOCK.as_ptr();

        // The position of the current instruction.
        macro_rules! pos {
            () => {
                end - left
            };
        }
        // Leaves the loop after retiring the current instruction with `next` as the new pc.
        macro_rules! retire_and_leave {
            ($next:expr, $flow:expr) => {{
                self.pc = $next;
                self.position = pos!() + 1;
                return $flow;
            }};
        }
        // Raises an exception at the current instruction.
        macro_rules! raise {
            ($trap:expr) => {{
                let t: Trap = $trap;
                self.position = pos!();
                self.take_trap(t.cause, t.tval, pc);
                if exit == Exit::Device || std::mem::take(&mut self.device_touched) {
                    return Flow::Exit(Exit::Device);
                }
                return Flow::Recheck;
            }};
        }
        // Bookkeeping after a slow path: a dropped code block (the current block may be gone,
        // so continue through the fetch slow path) or a device access (retire this
        // instruction, then leave).
        macro_rules! after_slow {
            () => {
                if self.code_dropped {
                    self.code_dropped = false;
                    ip = NO_BLOCK.as_ptr();
                }
                if self.device_touched {
                    self.device_touched = false;
                    end = end - left + 1;
                    left = 1;
                    exit = Exit::Device;
                }
            };
        }

        loop {
            if left == 0 {
                self.pc = pc;
                self.position = end;
                return Flow::Exit(exit);
            }
            // SAFETY: by the invariant above, `ip` points at a slot of NO_BLOCK or of a live
            // block.
            let Insn {
                op,
                rd,
                rs1,
                rs2,
                len,
                imm,
                ..
            } = unsafe { *ip };
            let rd = usize::from(rd & 63);
            let rs1 = usize::from(rs1 & 31);
            let rs2 = usize::from(rs2 & 31);
            let imm = imm as i64 as u64;
            let a = self.x[rs1];
            let b = self.x[rs2];

            // Retires the current instruction with a jump to `$target`.
            macro_rules! jump {
                ($target:expr) => {{
                    let target: u64 = $target;
                    // Same page: by the invariant, the target's slot is in the same block.
                    ip = if (target ^ pc) < 0x1000 {
                        ip.wrapping_offset((target.wrapping_sub(pc) as i64 >> 1) as isize)
                    } else {
                        NO_BLOCK.as_ptr()
                    };
                    pc = target;
                    left -= 1;
                    continue;
                }};
            }
            macro_rules! illegal {
                () => {{
                    let tval = self.illegal_tval(mem, pc, op, imm, len);
                    raise!(Trap::new(CAUSE_ILLEGAL, tval))
                }};
            }
            macro_rules! load {
                ($va:expr, $n:literal) => {{
                    let va: u64 = $va;
                    let e = self.tlb_load.entry(va);
                    if e.tag == (va & !0xfff) | self.data_ctx && aligned(va, $n) {
                        // SAFETY: a load-TLB entry maps a whole 4 KiB page to its offset in
                        // this `mem` (run flushes the TLBs when handed another Memory), and an
                        // aligned access stays inside that page.
                        unsafe { mem.load_unchecked::<$n>(va.wrapping_add(e.addend) as usize) }
                    } else {
                        let r = self.load_slow(mem, bus, va, $n, pos!());
                        after_slow!();
                        match r {
                            Ok(v) => v,
                            Err(t) => raise!(t),
                        }
                    }
                }};
            }
            macro_rules! store {
                ($va:expr, $n:literal, $value:expr) => {{
                    let va: u64 = $va;
                    let value: u64 = $value;
                    let e = self.tlb_store.entry(va);
                    if e.tag == (va & !0xfff) | self.data_ctx && aligned(va, $n) {
                        // SAFETY: a store-TLB entry maps a whole 4 KiB page with no decoded
                        // code (the store TLB is flushed whenever a page becomes a code page)
                        // to its offset in this `mem`, and an aligned access stays inside
                        // that page.
                        unsafe {
                            mem.store_unchecked::<$n>(va.wrapping_add(e.addend) as usize, value)
                        }
                    } else {
                        let r = self.store_slow(mem, bus, va, $n, value, pos!());
                        after_slow!();
                        if let Err(t) = r {
                            raise!(t);
                        }
                    }
                }};
            }
            macro_rules! fs_on {
                () => {
                    if self.csr.mstatus & MSTATUS_FS == 0 {
                        illegal!();
                    }
                };
            }

            // Executes the instruction as one of `$len` bytes, then advances to the next slot.
            // Advancing over a 2- or 4-byte instruction stays inside the slot array: NO_BLOCK
            // has three slots and is only ever entered at its first, a page's block has a
            // slot past its last one, and the straddle block two.
            macro_rules! execute {
                ($len:literal) => {{
                    match op {
                        Op::Lui => self.x[rd] = imm,
                        Op::Auipc => self.x[rd] = pc.wrapping_add(imm),
                        Op::Jal => {
                            self.x[rd] = pc.wrapping_add($len);
                            jump!(pc.wrapping_add(imm));
                        }
                        Op::Jalr => {
                            self.x[rd] = pc.wrapping_add($len);
                            jump!(a.wrapping_add(imm) & !1);
                        }
                        Op::Beq => {
                            if a == b {
                                jump!(pc.wrapping_add(imm));
                            }
                        }
                        Op::Bne => {
                            if a != b {
                                jump!(pc.wrapping_add(imm));
                            }
                        }
                        Op::Blt => {
                            if (a as i64) < (b as i64) {
                                jump!(pc.wrapping_add(imm));
                            }
                        }
                        Op::Bge => {
                            if (a as i64) >= (b as i64) {
                                jump!(pc.wrapping_add(imm));
                            }
                        }
                        Op::Bltu => {
                            if a < b {
                                jump!(pc.wrapping_add(imm));
                            }
                        }
                        Op::Bgeu => {
                            if a >= b {
                                jump!(pc.wrapping_add(imm));
                            }
                        }
                        Op::Lb => self.x[rd] = load!(a.wrapping_add(imm), 1) as i8 as i64 as u64,
                        Op::Lh => self.x[rd] = load!(a.wrapping_add(imm), 2) as i16 as i64 as u64,
                        Op::Lw => self.x[rd] = sext32(load!(a.wrapping_add(imm), 4)),
                        Op::Ld => self.x[rd] = load!(a.wrapping_add(imm), 8),
                        Op::Lbu => self.x[rd] = load!(a.wrapping_add(imm), 1),
                        Op::Lhu => self.x[rd] = load!(a.wrapping_add(imm), 2),
                        Op::Lwu => self.x[rd] = load!(a.wrapping_add(imm), 4),
                        Op::Sb => store!(a.wrapping_add(imm), 1, b),
                        Op::Sh => store!(a.wrapping_add(imm), 2, b),
                        Op::Sw => store!(a.wrapping_add(imm), 4, b),
                        Op::Sd => store!(a.wrapping_add(imm), 8, b),
                        Op::Addi => self.x[rd] = a.wrapping_add(imm),
                        Op::Slti => self.x[rd] = u64::from((a as i64) < (imm as i64)),
                        Op::Sltiu => self.x[rd] = u64::from(a < imm),
                        Op::Xori => self.x[rd] = a ^ imm,
                        Op::Ori => self.x[rd] = a | imm,
                        Op::Andi => self.x[rd] = a & imm,
                        Op::Slli => self.x[rd] = a << (imm & 63),
                        Op::Srli => self.x[rd] = a >> (imm & 63),
                        Op::Srai => self.x[rd] = ((a as i64) >> (imm & 63)) as u64,
                        Op::Add => self.x[rd] = a.wrapping_add(b),
                        Op::Sub => self.x[rd] = a.wrapping_sub(b),
                        Op::Sll => self.x[rd] = a << (b & 63),
                        Op::Slt => self.x[rd] = u64::from((a as i64) < (b as i64)),
                        Op::Sltu => self.x[rd] = u64::from(a < b),
                        Op::Xor => self.x[rd] = a ^ b,
                        Op::Srl => self.x[rd] = a >> (b & 63),
                        Op::Sra => self.x[rd] = ((a as i64) >> (b & 63)) as u64,
                        Op::Or => self.x[rd] = a | b,
                        Op::And => self.x[rd] = a & b,
                        Op::Addiw => self.x[rd] = sext32(a.wrapping_add(imm)),
                        Op::Slliw => self.x[rd] = sext32(u64::from((a as u32) << (imm & 31))),
                        Op::Srliw => self.x[rd] = sext32(u64::from((a as u32) >> (imm & 31))),
                        Op::Sraiw => self.x[rd] = ((a as i32) >> (imm & 31)) as i64 as u64,
                        Op::Addw => self.x[rd] = sext32(a.wrapping_add(b)),
                        Op::Subw => self.x[rd] = sext32(a.wrapping_sub(b)),
                        Op::Sllw => self.x[rd] = sext32(u64::from((a as u32) << (b & 31))),
                        Op::Srlw => self.x[rd] = sext32(u64::from((a as u32) >> (b & 31))),
                        Op::Sraw => self.x[rd] = ((a as i32) >> (b & 31)) as i64 as u64,
                        // One hart, in-order, and stores invalidate decoded code as they happen.
                        Op::Fence | Op::FenceI => {}
                        Op::Ecall => {
                            raise!(Trap::new(CAUSE_ECALL_U + u64::from(self.privilege), 0))
                        }
                        Op::Ebreak => raise!(Trap::new(CAUSE_BREAKPOINT, pc)),
                        Op::Mul => self.x[rd] = a.wrapping_mul(b),
                        Op::Mulh => {
                            self.x[rd] =
                                ((i128::from(a as i64) * i128::from(b as i64)) >> 64) as u64
                        }
                        Op::Mulhsu => {
                            self.x[rd] = ((i128::from(a as i64) * i128::from(b)) >> 64) as u64
                        }
                        Op::Mulhu => self.x[rd] = ((u128::from(a) * u128::from(b)) >> 64) as u64,
                        Op::Div => {
                            self.x[rd] = if b == 0 {
                                u64::MAX
                            } else {
                                (a as i64).wrapping_div(b as i64) as u64
                            }
                        }
                        Op::Divu => self.x[rd] = a.checked_div(b).unwrap_or(u64::MAX),
                        Op::Rem => {
                            self.x[rd] = if b == 0 {
                                a
                            } else {
                                (a as i64).wrapping_rem(b as i64) as u64
                            }
                        }
                        Op::Remu => self.x[rd] = a.checked_rem(b).unwrap_or(a),
                        Op::Mulw => self.x[rd] = sext32(a.wrapping_mul(b)),
                        Op::Divw => {
                            let (x, y) = (a as i32, b as i32);
                            self.x[rd] = if y == 0 {
                                u64::MAX
                            } else {
                                x.wrapping_div(y) as i64 as u64
                            };
                        }
                        Op::Divuw => {
                            let (x, y) = (a as u32, b as u32);
                            self.x[rd] =
                                x.checked_div(y).map_or(u64::MAX, |q| sext32(u64::from(q)));
                        }
                        Op::Remw => {
                            let (x, y) = (a as i32, b as i32);
                            self.x[rd] = if y == 0 {
                                x as i64 as u64
                            } else {
                                x.wrapping_rem(y) as i64 as u64
                            };
                        }
                        Op::Remuw => {
                            let (x, y) = (a as u32, b as u32);
                            self.x[rd] = sext32(u64::from(x.checked_rem(y).unwrap_or(x)));
                        }
                        Op::LrW
                        | Op::ScW
                        | Op::AmoswapW
                        | Op::AmoaddW
                        | Op::AmoxorW
                        | Op::AmoandW
                        | Op::AmoorW
                        | Op::AmominW
                        | Op::AmomaxW
                        | Op::AmominuW
                        | Op::AmomaxuW
                        | Op::LrD
                        | Op::ScD
                        | Op::AmoswapD
                        | Op::AmoaddD
                        | Op::AmoxorD
                        | Op::AmoandD
                        | Op::AmoorD
                        | Op::AmominD
                        | Op::AmomaxD
                        | Op::AmominuD
                        | Op::AmomaxuD => {
                            let r = self.exec_atomic(mem, bus, op, rd, a, b, pos!());
                            after_slow!();
                            if let Err(t) = r {
                                raise!(t);
                            }
                        }
                        Op::Csrrw
                        | Op::Csrrs
                        | Op::Csrrc
                        | Op::Csrrwi
                        | Op::Csrrsi
                        | Op::Csrrci => {
                            let next = pc.wrapping_add($len);
                            match self.exec_csr(bus, op, rd, rs1, imm, pos!()) {
                                None => illegal!(),
                                Some(CsrWrite::Quiet) => {}
                                Some(CsrWrite::Context) => {
                                    self.update_ctx();
                                    if self.pending_interrupt().is_some() {
                                        retire_and_leave!(next, Flow::Recheck);
                                    }
                                }
                                Some(CsrWrite::Recheck) => retire_and_leave!(next, Flow::Recheck),
                            }
                        }
                        Op::Mret => {
                            if self.privilege < PRIV_M {
                                illegal!();
                            }
                            self.position = pos!() + 1;
                            self.do_mret();
                            return Flow::Recheck;
                        }
                        Op::Sret => {
                            if self.privilege == PRIV_U
                                || (self.privilege == PRIV_S && self.csr.mstatus & MSTATUS_TSR != 0)
                            {
                                illegal!();
                            }
                            self.position = pos!() + 1;
                            self.do_sret();
                            return Flow::Recheck;
                        }
                        Op::Wfi => {
                            if self.privilege == PRIV_U
                                || (self.privilege == PRIV_S && self.csr.mstatus & MSTATUS_TW != 0)
                            {
                                illegal!();
                            }
                            let next = pc.wrapping_add($len);
                            if self.mip() & self.csr.mie == 0 {
                                retire_and_leave!(next, Flow::Exit(Exit::Wfi));
                            }
                            retire_and_leave!(next, Flow::Recheck);
                        }
                        Op::SfenceVma => {
                            if self.privilege == PRIV_U
                                || (self.privilege == PRIV_S && self.csr.mstatus & MSTATUS_TVM != 0)
                            {
                                illegal!();
                            }
                            if rs1 == 0 {
                                self.flush_tlbs();
                            } else {
                                self.flush_tlbs_at(a);
                            }
                            retire_and_leave!(pc.wrapping_add($len), Flow::Recheck);
                        }
                        Op::Flw => {
                            fs_on!();
                            let v = load!(a.wrapping_add(imm), 4);
                            self.f[rd & 31] = v | 0xffff_ffff_0000_0000;
                            self.csr.mstatus |= MSTATUS_FS;
                        }
                        Op::Fld => {
                            fs_on!();
                            let v = load!(a.wrapping_add(imm), 8);
                            self.f[rd & 31] = v;
                            self.csr.mstatus |= MSTATUS_FS;
                        }
                        Op::Fsw => {
                            fs_on!();
                            store!(a.wrapping_add(imm), 4, self.f[rs2]);
                        }
                        Op::Fsd => {
                            fs_on!();
                            store!(a.wrapping_add(imm), 8, self.f[rs2]);
                        }
                        Op::Illegal => {
                            if len == 0 {
                                match self.fetch_slow(mem, pc) {
                                    Ok(slot) => {
                                        ip = slot;
                                        continue;
                                    }
                                    Err(t) => raise!(t),
                                }
                            }
                            illegal!()
                        }
                        _ => {
                            // SAFETY: as for the dispatch above; nothing has run since.
                            if !self.exec_fp(unsafe { *ip }) {
                                illegal!();
                            }
                        }
                    }
                    pc = pc.wrapping_add($len);
                    ip = ip.wrapping_add($len / 2);
                }};
            }
            // One copy of the dispatch per instruction length: the next slot's address then
            // depends on a predicted branch rather than on this slot's `len`, and each copy
            // has its own indirect jump for the host's predictor.
            if len == 4 {
                execute!(4);
            } else {
                execute!(2);
            }
            left -= 1;
        }
    }
}
