//! Guest blocks to Cranelift IR to host code.
//!
//! A compiled block is a function `(hart) -> exit reason` in Cranelift's tail-call
//! convention. It reads `pc`, the position, the chain's end and the TLB contexts from the
//! hart on entry, keeps guest registers in host registers and stores the ones it changed
//! where it leaves or calls a helper, and writes `pc` and the position at each exit (see
//! `jit/mod.rs`).

use std::mem::{offset_of, size_of};

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, Block as IrBlock, Function, InstBuilder, MemFlagsData, Signature,
    UserFuncName, Value,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};

use super::{
    JcEntry, Peek, Source, EXIT_BUDGET, EXIT_DEVICE, EXIT_INTERPRETED, EXIT_LOOKUP, EXIT_RUN_ON,
    EXIT_SIDE, EXIT_TRAP, JC_SIZE,
};
use crate::csr::{CsrFile, MSTATUS_FS};
use crate::decode_cache::{Slot, ID_FLD, ID_FP, ID_FSD, ID_LEN2};
use crate::execute::op_of;
use crate::hart::Hart;
use crate::insn::Op;
use crate::mmu::{Tlb, TlbEntry, TLB_SIZE};

const I64: types::Type = types::I64;
const I32: types::Type = types::I32;

/// True when the compiler handles the slot with id `id`: in code of its own, or by calling
/// the interpreter for it ([`interpreted`]).
pub(crate) fn supported(id: u8) -> bool {
    native(op_of(id)) || interpreted(id)
}

/// True for the slots compiled code leaves, wholly or on their slow paths, to the
/// interpreter's code, which would otherwise end blocks: F/D computational ops (all of slot
/// id [`ID_FP`], run by [`super::fp`]), FP loads and stores (`fld` and `fsd` have ids of
/// their own) off their RAM fast path, atomics and CSR accesses (by [`super::interpret`]).
/// None of them jumps; one that traps, changes the translation context or drops compiled
/// code makes the block leave with the hart as the interpreter left it.
pub(crate) fn interpreted(id: u8) -> bool {
    let op = op_of(id);
    matches!(id & !ID_LEN2, ID_FP | ID_FLD | ID_FSD)
        || matches!(op, Op::Flw | Op::Fsw)
        || op.is_atomic()
        || op.is_csr()
}

/// True for the ops compiled into code of their own.
fn native(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Lui | Auipc
            | Jal
            | Jalr
            | Beq
            | Bne
            | Blt
            | Bge
            | Bltu
            | Bgeu
            | Lb
            | Lh
            | Lw
            | Ld
            | Lbu
            | Lhu
            | Lwu
            | Sb
            | Sh
            | Sw
            | Sd
            | Addi
            | Slti
            | Sltiu
            | Xori
            | Ori
            | Andi
            | Slli
            | Srli
            | Srai
            | Add
            | Sub
            | Sll
            | Slt
            | Sltu
            | Xor
            | Srl
            | Sra
            | Or
            | And
            | Addiw
            | Slliw
            | Srliw
            | Sraiw
            | Addw
            | Subw
            | Sllw
            | Srlw
            | Sraw
            | Fence
            | FenceI
            | Mul
            | Mulh
            | Mulhsu
            | Mulhu
            | Div
            | Divu
            | Rem
            | Remu
            | Mulw
            | Divw
            | Divuw
            | Remw
            | Remuw
    )
}

/// Guest registers at most whose values a block keeps in host registers across the joins
/// of its paths (see [`Translator`]); the others go through the hart at each join, as QEMU's
/// globals do at the end of each of its basic blocks. Carrying every register used after a
/// join spilled most of them to the stack in a loop as large as liblzma's match finder
/// (its block loaded and spilled 30 registers on entry): `xz -9` took 7.29 s carrying all,
/// 6.75–7.32 s carrying none to four, and 8.0 s carrying six, in interleaved runs; the CPU
/// benchmark's small loops ran best carrying four (0.435 s, against 0.473 s with none).
const CARRIED: usize = 4;

/// True when slot `s`, at byte offset `off` in its block, is a branch or `jal` to the block's
/// start: the block loops.
pub(super) fn targets_start(s: Slot, off: u16) -> bool {
    let op = op_of(s.id);
    (op == Op::Jal || is_branch(op)) && i64::from(off) + i64::from(s.imm) == 0
}

/// True for a conditional branch.
pub(super) fn is_branch(op: Op) -> bool {
    use Op::*;
    matches!(op, Beq | Bne | Blt | Bge | Bltu | Bgeu)
}

/// Bit of [`super::access`]'s `kind` argument for a store (the low bits hold the size).
pub(super) const ACCESS_STORE: i64 = 1 << 8;
/// Bit of [`super::access`]'s `kind` for a sign-extending load.
pub(super) const ACCESS_SIGNED: i64 = 1 << 9;
/// Shift of the load's destination register in [`super::access`]'s `kind`.
pub(super) const ACCESS_RD_SHIFT: i64 = 16;
/// [`super::access`] did the access (a RAM one, or a device one the board need not see); a
/// load's value is in the hart's `jit_value`.
pub(super) const ACCESS_DONE: i64 = 0;
/// [`super::access`] did nothing: the interpreter must do the access.
pub(super) const ACCESS_SIDE: i64 = 1;
/// [`super::access`] did a device access the board must see before the next instruction.
pub(super) const ACCESS_DEVICE_LOUD: i64 = 2;
/// [`super::access`] did a device access that faulted (the trap is in the hart's `fault`).
pub(super) const ACCESS_TRAP: i64 = 3;

/// The signature of a helper's shim ([`super::shim`]): the helper's arguments (64-bit
/// each, the hart first: [`super::access`] `(hart, va, kind, store value, position)`,
/// [`super::interpret`] `(hart, packed slot, pc, position)` and [`super::fp`] `(hart, raw
/// instruction)`), nothing returned (the result is left in the hart's `jit_status`), and
/// every general register preserved (blocks use no others).
fn shim_signature(params: usize) -> Signature {
    let mut sig = Signature::new(CallConv::PreserveAll);
    sig.params
        .extend(std::iter::repeat_n(AbiParam::new(I64), params));
    sig
}

/// The host addresses of the helpers' shims ([`super::shim`]), which compiled code calls.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shims {
    /// [`super::access`], 5 arguments.
    pub(super) access: usize,
    /// [`super::interpret`], 4 arguments.
    pub(super) interpret: usize,
    /// [`super::fp`], 2 arguments.
    pub(super) fp: usize,
}

/// A slot's operation and operands in one word, for [`super::interpret`]: `id`, `rd`, `rs1`
/// and `rs2` in the low bytes, `imm` in the high half.
pub(super) fn pack(s: Slot) -> u64 {
    u64::from(s.id)
        | u64::from(s.rd) << 8
        | u64::from(s.rs1) << 16
        | u64::from(s.rs2) << 24
        | u64::from(s.imm as u32) << 32
}

/// The signature of compiled blocks.
fn block_signature() -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(I32));
    sig
}

/// Compiles `func` to position-independent host code with no relocations.
fn emit(isa: &dyn TargetIsa, ctx: &mut Context, func: Function) -> Option<Vec<u8>> {
    ctx.clear();
    ctx.func = func;
    let compiled = ctx.compile(isa, &mut ControlPlane::default()).ok()?;
    if !compiled.buffer.relocs().is_empty() {
        return None;
    }
    Some(compiled.code_buffer().to_vec())
}

/// The trampoline: a System V function `(hart, code) -> exit` calling `code(hart)`.
pub(super) fn trampoline(
    isa: &dyn TargetIsa,
    fctx: &mut FunctionBuilderContext,
    ctx: &mut Context,
) -> Option<Vec<u8>> {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params.push(AbiParam::new(I64));
    sig.params.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(I32));
    let mut func = Function::with_name_signature(UserFuncName::user(0, 0), sig);
    let mut b = FunctionBuilder::new(&mut func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let (hart, code) = (b.block_params(entry)[0], b.block_params(entry)[1]);
    let sig = b.import_signature(block_signature());
    let call = b.ins().call_indirect(sig, code, &[hart]);
    let exit = b.inst_results(call)[0];
    b.ins().return_(&[exit]);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    emit(isa, ctx, func)
}

/// Hart fields compiled code reads and writes.
fn x_offset(reg: u8) -> i32 {
    (offset_of!(Hart, x) + 8 * usize::from(reg)) as i32
}
const PC: i32 = offset_of!(Hart, pc) as i32;
const POSITION: i32 = offset_of!(Hart, position) as i32;
const JIT_END: i32 = offset_of!(Hart, jit_end) as i32;
const JIT_VALUE: i32 = offset_of!(Hart, jit_value) as i32;
const PEEK_VA: i32 = (offset_of!(Hart, jit_peek) + offset_of!(Peek, va)) as i32;
const PEEK_SIZE: i32 = (offset_of!(Hart, jit_peek) + offset_of!(Peek, size)) as i32;
const PEEK_VALUE: i32 = (offset_of!(Hart, jit_peek) + offset_of!(Peek, value)) as i32;
const JIT_STATUS: i32 = offset_of!(Hart, jit_status) as i32;
const DATA_CTX: i32 = offset_of!(Hart, data_ctx) as i32;
const STORE_CTX: i32 = offset_of!(Hart, store_ctx) as i32;
const JC_BASE: i32 = offset_of!(Hart, jc_base) as i32;
const MSTATUS: i32 = (offset_of!(Hart, csr) + offset_of!(CsrFile, mstatus)) as i32;
const F_REGS: i32 = offset_of!(Hart, f) as i32;
/// The upper half of a single-precision value in a 64-bit FP register (NaN boxing).
const NAN_BOX: i64 = 0xffff_ffff_0000_0000_u64 as i64;
/// The pointers to the load and store TLBs' entries.
const TLB_LOAD: i32 = (offset_of!(Hart, tlb_load) + offset_of!(Tlb, entries)) as i32;
const TLB_STORE: i32 = (offset_of!(Hart, tlb_store) + offset_of!(Tlb, entries)) as i32;
const TLB_TAG: i32 = offset_of!(TlbEntry, tag) as i32;
const TLB_ADDEND: i32 = offset_of!(TlbEntry, addend) as i32;
const _: () = assert!(size_of::<TlbEntry>() == 16 && size_of::<JcEntry>() == 16);

/// Flags of accesses to the hart: aligned and never trapping.
fn hart_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Flags of guest RAM accesses: checked against the TLB first, so they never trap.
fn ram_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

/// The state of one block's translation.
///
/// Guest registers live in Cranelift variables. A register is read from the hart at its
/// first use on a straight-line segment; a write only defines the variable and marks the
/// register `dirty`. Where paths inside the block join, the [`CARRIED`] registers used most
/// after the block's first join keep their variables, whose SSA values meet there (they are
/// read on entry); every other register is stored before a jump to the join if dirty, and
/// read again after it at its first use. Every way out of compiled code, and every helper
/// that reads the hart's registers, first stores the dirty registers
/// ([`Translator::write_back`]), so that compiled code is left at any instruction (a side
/// exit) with the hart exact, while a register written several times between two such
/// points is stored once, on the path that leaves.
///
/// A branch or `jal` to an instruction of the block itself stays in compiled code: each
/// such target has an IR block of its own, and the position is a variable too, holding the
/// position at the start of the current straight-line segment.
struct Translator<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    hart: Value,
    pc0: Value,
    data_ctx: Value,
    store_ctx: Value,
    /// The load and store TLBs' entries.
    tlb_load: Value,
    tlb_store: Value,
    /// Each guest register's variable (x0's is not used).
    vars: [Variable; 32],
    /// The registers (bit per register) whose variable has a value on the current path.
    known: u32,
    /// The registers whose value on the current path the hart may not hold yet.
    dirty: u32,
    /// The registers whose variables carry their values across joins (read on entry); any
    /// other is stored before a jump to a join if dirty, and read again after it.
    carried: u32,
    /// The position at the start of the current segment, instruction `seg`.
    pos: Variable,
    seg: u64,
    /// The block's instructions: each one's byte offset, and the index of the instruction
    /// a branch or `jal` targets inside the block.
    offsets: Vec<u16>,
    internal: Vec<Option<usize>>,
    /// The IR block of each instruction that is an internal target, and the registers the
    /// paths into it may have left dirty.
    targets: Vec<Option<IrBlock>>,
    dirty_in: Vec<u32>,
    /// Where a load or store that leaves the block goes: block parameters (byte offset,
    /// position, length, [`super::access`] status).
    access_exit: IrBlock,
    /// Where leaving for a successor goes: block parameters (next pc, position, the exit
    /// code if the successor is not in the jump cache).
    chain_exit: IrBlock,
    /// Where leaving after an instruction the interpreter executed, and left the hart
    /// exact, goes.
    interpret_exit: IrBlock,
    /// Where leaving at an instruction of the block goes: block parameters (byte offset,
    /// position, exit code).
    side_exit: IrBlock,
    /// The helpers' shims.
    shims: Shims,
    /// True while the current IR block has no terminator yet (the code falls through).
    open: bool,
}

impl Translator<'_, '_> {
    fn read(&mut self, reg: u8) -> Value {
        let r = usize::from(reg);
        if r == 0 || r >= 32 {
            return self.b.ins().iconst(I64, 0);
        }
        if self.known & 1 << r != 0 {
            return self.b.use_var(self.vars[r]);
        }
        let v = self
            .b
            .ins()
            .load(I64, hart_flags(), self.hart, x_offset(reg));
        self.b.def_var(self.vars[r], v);
        self.known |= 1 << r;
        v
    }

    /// Reads `reg` from the hart again, after a helper that may have written it.
    fn reload(&mut self, reg: u8) {
        if (1..32).contains(&reg) {
            self.known &= !(1 << reg);
            self.read(reg);
        }
    }

    fn write(&mut self, reg: u8, value: Value) {
        let r = usize::from(reg);
        if r == 0 || r >= 32 {
            return;
        }
        self.b.def_var(self.vars[r], value);
        self.known |= 1 << r;
        self.dirty |= 1 << r;
    }

    /// Stores the dirty registers before a helper that reads the hart's registers, on the
    /// path that goes on after it: the hart then holds them all.
    fn write_back_for_helper(&mut self) {
        self.write_back();
        self.dirty = 0;
    }

    /// Stores the dirty registers into the hart, on the current path. They stay marked dirty
    /// for the paths that do not take this one.
    fn write_back(&mut self) {
        self.store_registers(self.dirty);
    }

    /// Stores the registers in `mask` into the hart, on the current path.
    fn store_registers(&mut self, mask: u32) {
        for r in 1..32u8 {
            if mask & 1 << r != 0 {
                let value = self.b.use_var(self.vars[usize::from(r)]);
                self.b
                    .ins()
                    .store(hart_flags(), value, self.hart, x_offset(r));
            }
        }
    }

    /// The position of instruction `index` of the current segment.
    fn position_at(&mut self, index: u64) -> Value {
        let start = self.b.use_var(self.pos);
        self.b.ins().iadd_imm_s(start, (index - self.seg) as i64)
    }

    fn iconst(&mut self, v: i64) -> Value {
        self.b.ins().iconst(I64, v)
    }

    fn sext32(&mut self, v: Value) -> Value {
        let low = self.b.ins().ireduce(I32, v);
        self.b.ins().sextend(I64, low)
    }

    fn bool64(&mut self, cc: IntCC, a: Value, b: Value) -> Value {
        let c = self.b.ins().icmp(cc, a, b);
        self.b.ins().uextend(I64, c)
    }

    /// A load (`store` is `None`; the result is returned, for `s.rd`) or a store of `n`
    /// bytes at `va` by the instruction in slot `s`, instruction `index` at byte offset
    /// `off`, `len` bytes long.
    ///
    /// The TLB fast path accesses RAM directly. On a miss, the helper [`super::access`]
    /// does what the interpreter's slow path would at this instruction: it walks the page
    /// table, fills the TLB entry and does an aligned RAM access, or does an aligned device
    /// access through the device TLB, and the block goes on with a load's value. A device
    /// access the board needs to act on retires the instruction and leaves with
    /// [`EXIT_DEVICE`]; a faulting one leaves with [`EXIT_TRAP`]; anything else
    /// (misaligned, a store into code, a page fault) is a side exit for the interpreter.
    /// The slow path is one call and one branch, so that a block of many loads and stores
    /// stays small for the compiler.
    #[allow(clippy::too_many_arguments)]
    fn mem_access(
        &mut self,
        s: Slot,
        va: Value,
        store: Option<Value>,
        n: i64,
        off: u16,
        index: u64,
        len: i64,
    ) -> Option<Value> {
        let op = op_of(s.id);
        let (addend, bad) = self.tlb_probe(va, n, store.is_some());
        let b = &mut *self.b;
        let fast = b.create_block();
        let slow = b.create_block();
        let done = b.create_block();
        let result = b.append_block_param(done, I64);
        b.ins().brif(bad, slow, &[], fast, &[]);
        b.seal_block(fast);
        b.seal_block(slow);

        // RAM, by the TLB.
        b.switch_to_block(fast);
        let host = b.ins().iadd(va, addend);
        let f = ram_flags();
        let ins = b.ins();
        let loaded = match (op, store) {
            (Op::Sb, Some(v)) => {
                ins.istore8(f, v, host, 0);
                None
            }
            (Op::Sh, Some(v)) => {
                ins.istore16(f, v, host, 0);
                None
            }
            (Op::Sw, Some(v)) => {
                ins.istore32(f, v, host, 0);
                None
            }
            (_, Some(v)) => {
                ins.store(f, v, host, 0);
                None
            }
            (Op::Lb, None) => Some(ins.sload8(I64, f, host, 0)),
            (Op::Lbu, None) => Some(ins.uload8(I64, f, host, 0)),
            (Op::Lh, None) => Some(ins.sload16(I64, f, host, 0)),
            (Op::Lhu, None) => Some(ins.uload16(I64, f, host, 0)),
            (Op::Lw, None) => Some(ins.sload32(f, host, 0)),
            (Op::Lwu, None) => Some(ins.uload32(f, host, 0)),
            (_, None) => Some(ins.load(I64, f, host, 0)),
        };
        let loaded = loaded.unwrap_or_else(|| b.ins().iconst(I64, 0));
        b.ins().jump(done, &[loaded.into()]);

        // A device load made again, read from the hart (see `super::Peek`), extended as the
        // helper would.
        b.set_cold_block(slow);
        b.switch_to_block(slow);
        if store.is_none() {
            let hf = hart_flags();
            let peek_va = b.ins().load(I64, hf, self.hart, PEEK_VA);
            let peek_size = b.ins().load(I64, hf, self.hart, PEEK_SIZE);
            let same_va = b.ins().icmp(IntCC::Equal, peek_va, va);
            let same_size = b.ins().icmp_imm_s(IntCC::Equal, peek_size, n);
            let hit = b.ins().band(same_va, same_size);
            let peeked = b.create_block();
            let call = b.create_block();
            b.ins().brif(hit, peeked, &[], call, &[]);
            b.seal_block(peeked);
            b.seal_block(call);
            b.switch_to_block(peeked);
            let value = b.ins().load(I64, hf, self.hart, PEEK_VALUE);
            let bits = match op {
                Op::Lb => Some(types::I8),
                Op::Lh => Some(types::I16),
                Op::Lw => Some(I32),
                _ => None,
            };
            let value = match bits {
                Some(ty) => {
                    let low = b.ins().ireduce(ty, value);
                    b.ins().sextend(I64, low)
                }
                None => value,
            };
            b.ins().jump(done, &[value.into()]);
            b.set_cold_block(call);
            b.switch_to_block(call);
        }

        // The helper, then on with its value or out through the shared exit, with the hart
        // exact for the interpreter.
        self.write_back();
        let b = &mut *self.b;
        let sig = b.import_signature(shim_signature(5));
        let helper = b.ins().iconst(I64, self.shims.access as i64);
        let rd = match store {
            None if (1..32).contains(&s.rd) => i64::from(s.rd),
            _ => 0,
        };
        let signed = matches!(op, Op::Lb | Op::Lh | Op::Lw);
        let kind = n
            | if store.is_some() { ACCESS_STORE } else { 0 }
            | if signed { ACCESS_SIGNED } else { 0 }
            | rd << ACCESS_RD_SHIFT;
        let kind = b.ins().iconst(I64, kind);
        let value = match store {
            Some(v) => v,
            None => b.ins().iconst(I64, 0),
        };
        let position = self.position_at(index);
        let b = &mut *self.b;
        b.ins()
            .call_indirect(sig, helper, &[self.hart, va, kind, value, position]);
        let status = b.ins().load(I64, hart_flags(), self.hart, JIT_STATUS);
        let went_on = b.create_block();
        let off = b.ins().iconst(I64, i64::from(off));
        let len = b.ins().iconst(I64, len);
        b.ins().brif(
            status,
            self.access_exit,
            &[off.into(), position.into(), len.into(), status.into()],
            went_on,
            &[],
        );
        b.seal_block(went_on);
        b.switch_to_block(went_on);
        let v = match store {
            None => b.ins().load(I64, hart_flags(), self.hart, JIT_VALUE),
            Some(_) => b.ins().iconst(I64, 0),
        };
        b.ins().jump(done, &[v.into()]);
        b.seal_block(done);
        b.switch_to_block(done);
        store.is_none().then_some(result)
    }

    /// Looks `va` up in the load or the store TLB for an access of `n` bytes: the entry's
    /// addend (host address minus `va` on a hit), and a value that is non-zero unless the
    /// entry maps the access's whole page in the current context. A misaligned access
    /// inside a page is done here too, as the interpreter does it; one that crosses a page
    /// takes the slow path.
    ///
    /// One comparison checks both: the page of the access's last byte, XOR-ed with the tag
    /// (page | context), equals the context exactly when that page is the entry's, since the
    /// context lies within the page offset. The entry is the one of `va`'s page, and the
    /// page after it has another entry, so a crossing access never matches.
    fn tlb_probe(&mut self, va: Value, n: i64, store: bool) -> (Value, Value) {
        let hf = hart_flags();
        let (entries, ctx) = if store {
            (self.tlb_store, self.store_ctx)
        } else {
            (self.tlb_load, self.data_ctx)
        };
        let b = &mut *self.b;
        let page = b.ins().ushr_imm_s(va, 12);
        let slot = b.ins().band_imm_s(page, (TLB_SIZE - 1) as i64);
        let scaled = b.ins().ishl_imm_s(slot, 4);
        let entry = b.ins().iadd(entries, scaled);
        let tag = b.ins().load(I64, hf, entry, TLB_TAG);
        let addend = b.ins().load(I64, hf, entry, TLB_ADDEND);
        let last = b.ins().iadd_imm_s(va, n - 1);
        let last_page = b.ins().band_imm_s(last, !0xfff);
        let diff = b.ins().bxor(tag, last_page);
        let bad = b.ins().icmp(IntCC::NotEqual, diff, ctx);
        (addend, bad)
    }

    /// An FP load or store (`flw`, `fld`, `fsw`, `fsd`), instruction `index` in slot `s` at
    /// `pc`: with the FPU on and the access hitting the TLB, done here on RAM as the
    /// interpreter's fast path does it; anything else (FS off, a miss, a device) by the
    /// interpreter ([`Translator::interpret`]).
    fn fp_access(&mut self, s: Slot, pc: Value, index: u64) {
        let hf = hart_flags();
        let op = op_of(s.id);
        let (n, store) = match s.id & !ID_LEN2 {
            ID_FLD => (8, false),
            ID_FSD => (8, true),
            _ if op == Op::Flw => (4, false),
            _ => (4, true),
        };
        let va = {
            let base = self.read(s.rs1);
            self.b.ins().iadd_imm_s(base, i64::from(s.imm))
        };
        let mstatus = self.b.ins().load(I64, hf, self.hart, MSTATUS);
        let fs = self.b.ins().band_imm_s(mstatus, MSTATUS_FS as i64);
        let probe = self.b.create_block();
        let slow = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().brif(fs, probe, &[], slow, &[]);
        self.b.seal_block(probe);
        self.b.switch_to_block(probe);
        let (addend, bad) = self.tlb_probe(va, n, store);
        let fast = self.b.create_block();
        self.b.ins().brif(bad, slow, &[], fast, &[]);
        self.b.seal_block(fast);
        self.b.seal_block(slow);

        self.b.switch_to_block(fast);
        let host = self.b.ins().iadd(va, addend);
        let f = ram_flags();
        let freg = F_REGS + 8 * i32::from(s.rd & 31);
        match (store, n) {
            (true, _) => {
                let value =
                    self.b
                        .ins()
                        .load(I64, hf, self.hart, F_REGS + 8 * i32::from(s.rs2 & 31));
                match n {
                    8 => self.b.ins().store(f, value, host, 0),
                    _ => self.b.ins().istore32(f, value, host, 0),
                };
            }
            (false, 8) => {
                let value = self.b.ins().load(I64, f, host, 0);
                self.b.ins().store(hf, value, self.hart, freg);
            }
            (false, _) => {
                let low = self.b.ins().uload32(f, host, 0);
                let boxed = self.b.ins().bor_imm_s(low, NAN_BOX);
                self.b.ins().store(hf, boxed, self.hart, freg);
            }
        }
        if !store {
            let dirty = self.b.ins().bor_imm_s(mstatus, MSTATUS_FS as i64);
            self.b.ins().store(hf, dirty, self.hart, MSTATUS);
        }
        self.b.ins().jump(done, &[]);

        // The interpreter's access changes no integer register: the fast path's registers
        // and their dirty marks hold after it too.
        self.b.set_cold_block(slow);
        self.b.switch_to_block(slow);
        let (known, dirty) = (self.known, self.dirty);
        self.interpret(s, pc, index);
        (self.known, self.dirty) = (known, dirty);
        self.b.ins().jump(done, &[]);
        self.b.seal_block(done);
        self.b.switch_to_block(done);
    }

    /// Leaves for the successor at `target` with the instructions before `index` retired;
    /// `code` is the exit's if the successor is not in the jump cache.
    fn exit_to(&mut self, target: Value, index: u64, code: u32) {
        self.write_back();
        let position = self.position_at(index);
        let miss = self.iconst(i64::from(code));
        self.b.ins().jump(
            self.chain_exit,
            &[target.into(), position.into(), miss.into()],
        );
    }

    /// Goes on at instruction `to` of the block, with the instructions before `index`
    /// retired. A jump back (`to` before `index`) closes a loop: it leaves the block
    /// instead (`EXIT_BUDGET`, at `to`) when what the block may retire from `to` on would
    /// pass the chain's end.
    fn enter(&mut self, index: u64, to: usize) {
        let position = self.position_at(index);
        if (to as u64) < index {
            let b = &mut *self.b;
            let end = b.ins().load(I64, hart_flags(), self.hart, JIT_END);
            let left = b.ins().isub(end, position);
            let most = (self.offsets.len() - to) as i64;
            let short = b.ins().icmp_imm_s(IntCC::UnsignedLessThan, left, most);
            let budget = b.create_block();
            let go_on = b.create_block();
            b.ins().brif(short, budget, &[], go_on, &[]);
            b.seal_block(budget);
            b.seal_block(go_on);
            b.set_cold_block(budget);
            b.switch_to_block(budget);
            self.write_back();
            let off = self.iconst(i64::from(self.offsets[to]));
            let code = self.iconst(i64::from(EXIT_BUDGET));
            self.b
                .ins()
                .jump(self.side_exit, &[off.into(), position.into(), code.into()]);
            self.b.switch_to_block(go_on);
        }
        self.store_registers(self.dirty & !self.carried);
        self.dirty &= self.carried;
        if (to as u64) >= index {
            self.dirty_in[to] |= self.dirty;
        }
        self.b.def_var(self.pos, position);
        let target = self.targets[to].expect("internal targets have IR blocks");
        self.b.ins().jump(target, &[]);
    }

    /// Leaves for, or goes on at, the target `pc + imm` of the branch or jump at `index`.
    fn jump_to(&mut self, pc: Value, imm: i64, index: u64) {
        match self.internal[index as usize] {
            Some(to) => self.enter(index + 1, to),
            None => {
                let target = self.b.ins().iadd_imm_s(pc, imm);
                self.exit_to(target, index + 1, EXIT_LOOKUP);
            }
        }
    }

    /// Translates instruction `index` (slot `s` at byte offset `off`); a branch or jump
    /// ends the current IR block with its exits.
    fn insn(&mut self, s: Slot, off: u16, index: u64) {
        let op = op_of(s.id);
        let len: i64 = if s.id & ID_LEN2 != 0 { 2 } else { 4 };
        let imm = i64::from(s.imm);
        if let Some(target) = self.targets[index as usize] {
            // An internal target: the path so far, if any, falls through into it, and a
            // new segment starts.
            if self.open {
                self.enter(index, index as usize);
            }
            self.open = true;
            self.b.switch_to_block(target);
            self.seg = index;
            self.known = self.carried;
            self.dirty = self.dirty_in[index as usize];
        } else if !self.open {
            // Not reached by any path (every run starts at a jump's target): code of its
            // own, which the compiler drops.
            let dead = self.b.create_block();
            self.b.seal_block(dead);
            self.b.switch_to_block(dead);
            self.open = true;
        }
        let pc = self.b.ins().iadd_imm_s(self.pc0, i64::from(off));
        if s.id & !ID_LEN2 == ID_FP {
            self.fp(s, off, index, len);
            return;
        }
        if matches!(s.id & !ID_LEN2, ID_FLD | ID_FSD) || matches!(op, Flw | Fsw) {
            self.fp_access(s, pc, index);
            return;
        }
        if interpreted(s.id) {
            self.interpret(s, pc, index);
            return;
        }
        use Op::*;
        macro_rules! a {
            () => {
                self.read(s.rs1)
            };
        }
        macro_rules! bb {
            () => {
                self.read(s.rs2)
            };
        }
        macro_rules! set {
            ($v:expr) => {{
                let v = $v;
                self.write(s.rd, v);
            }};
        }
        let ins_w = |t: &mut Self, v: Value| t.sext32(v);
        match op {
            Lui => set!(self.iconst(imm)),
            Auipc => set!(self.b.ins().iadd_imm_s(pc, imm)),
            Jal => {
                let link = self.b.ins().iadd_imm_s(pc, len);
                set!(link);
                self.jump_to(pc, imm, index);
            }
            Jalr => {
                let base = a!();
                let t = self.b.ins().iadd_imm_s(base, imm);
                let target = self.b.ins().band_imm_s(t, !1);
                let link = self.b.ins().iadd_imm_s(pc, len);
                set!(link);
                self.exit_to(target, index + 1, EXIT_LOOKUP);
            }
            Beq | Bne | Blt | Bge | Bltu | Bgeu => {
                let (x, y) = (a!(), bb!());
                let cc = match op {
                    Beq => IntCC::Equal,
                    Bne => IntCC::NotEqual,
                    Blt => IntCC::SignedLessThan,
                    Bge => IntCC::SignedGreaterThanOrEqual,
                    Bltu => IntCC::UnsignedLessThan,
                    _ => IntCC::UnsignedGreaterThanOrEqual,
                };
                let cond = self.b.ins().icmp(cc, x, y);
                let taken = self.b.create_block();
                let fall = self.b.create_block();
                self.b.ins().brif(cond, taken, &[], fall, &[]);
                self.b.seal_block(taken);
                self.b.seal_block(fall);
                // Registers read on the taken path are loaded there, which the path that
                // falls through cannot use.
                let (known, dirty) = (self.known, self.dirty);
                self.b.switch_to_block(taken);
                self.jump_to(pc, imm, index);
                (self.known, self.dirty) = (known, dirty);
                self.b.switch_to_block(fall);
            }
            Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu => {
                let base = a!();
                let va = self.b.ins().iadd_imm_s(base, imm);
                let n = match op {
                    Lb | Lbu => 1,
                    Lh | Lhu => 2,
                    Lw | Lwu => 4,
                    _ => 8,
                };
                if let Some(v) = self.mem_access(s, va, None, n, off, index, len) {
                    set!(v);
                }
            }
            Sb | Sh | Sw | Sd => {
                let base = a!();
                let value = bb!();
                let va = self.b.ins().iadd_imm_s(base, imm);
                let n = match op {
                    Sb => 1,
                    Sh => 2,
                    Sw => 4,
                    _ => 8,
                };
                self.mem_access(s, va, Some(value), n, off, index, len);
            }
            Addi => set!({
                let x = a!();
                self.b.ins().iadd_imm_s(x, imm)
            }),
            Slti => set!({
                let x = a!();
                let y = self.iconst(imm);
                self.bool64(IntCC::SignedLessThan, x, y)
            }),
            Sltiu => set!({
                let x = a!();
                let y = self.iconst(imm);
                self.bool64(IntCC::UnsignedLessThan, x, y)
            }),
            Xori => set!({
                let x = a!();
                self.b.ins().bxor_imm_s(x, imm)
            }),
            Ori => set!({
                let x = a!();
                self.b.ins().bor_imm_s(x, imm)
            }),
            Andi => set!({
                let x = a!();
                self.b.ins().band_imm_s(x, imm)
            }),
            Slli => set!({
                let x = a!();
                self.b.ins().ishl_imm_s(x, imm & 63)
            }),
            Srli => set!({
                let x = a!();
                self.b.ins().ushr_imm_s(x, imm & 63)
            }),
            Srai => set!({
                let x = a!();
                self.b.ins().sshr_imm_s(x, imm & 63)
            }),
            Add | Sub | Sll | Slt | Sltu | Xor | Srl | Sra | Or | And | Mul | Mulh | Mulhsu
            | Mulhu | Div | Divu | Rem | Remu => {
                let (x, y) = (a!(), bb!());
                let v = self.binary64(op, x, y);
                set!(v);
            }
            Addiw => set!({
                let x = a!();
                let v = self.b.ins().iadd_imm_s(x, imm);
                ins_w(self, v)
            }),
            Slliw | Srliw | Sraiw => {
                let x = a!();
                let w = self.b.ins().ireduce(I32, x);
                let sh = imm & 31;
                let r = match op {
                    Slliw => self.b.ins().ishl_imm_s(w, sh),
                    Srliw => self.b.ins().ushr_imm_s(w, sh),
                    _ => self.b.ins().sshr_imm_s(w, sh),
                };
                let v = self.b.ins().sextend(I64, r);
                set!(v);
            }
            Addw | Subw | Sllw | Srlw | Sraw | Mulw | Divw | Divuw | Remw | Remuw => {
                let (x, y) = (a!(), bb!());
                let x = self.b.ins().ireduce(I32, x);
                let y = self.b.ins().ireduce(I32, y);
                let r = self.binary32(op, x, y);
                let v = self.b.ins().sextend(I64, r);
                set!(v);
            }
            Fence | FenceI => {}
            _ => unreachable!("unsupported ops end blocks before them"),
        }
    }

    /// Instruction `index`, the F/D computational op in slot `s` at byte offset `off`,
    /// executed by [`super::fp`]; an illegal one leaves the block for the interpreter.
    fn fp(&mut self, s: Slot, off: u16, index: u64, len: i64) {
        self.write_back_for_helper();
        let b = &mut *self.b;
        let sig = b.import_signature(shim_signature(2));
        let helper = b.ins().iconst(I64, self.shims.fp as i64);
        let raw = b.ins().iconst(I64, i64::from(s.imm as u32));
        b.ins().call_indirect(sig, helper, &[self.hart, raw]);
        let done = b.ins().load(I64, hart_flags(), self.hart, JIT_STATUS);
        let go_on = b.create_block();
        let position = self.position_at(index);
        let b = &mut *self.b;
        let off = b.ins().iconst(I64, i64::from(off));
        let len = b.ins().iconst(I64, len);
        let side = b.ins().iconst(I64, 0);
        b.ins().brif(
            done,
            go_on,
            &[],
            self.access_exit,
            &[off.into(), position.into(), len.into(), side.into()],
        );
        b.seal_block(go_on);
        b.switch_to_block(go_on);
        self.reload(s.rd);
    }

    /// Instruction `index`, slot `s` at `pc`, executed by the interpreter: the block goes on
    /// if it retired as an ordinary instruction would, and leaves otherwise. Its
    /// destination register is read from the hart again after it.
    fn interpret(&mut self, s: Slot, pc: Value, index: u64) {
        self.write_back_for_helper();
        let position = self.position_at(index);
        let b = &mut *self.b;
        let sig = b.import_signature(shim_signature(4));
        let helper = b.ins().iconst(I64, self.shims.interpret as i64);
        let packed = b.ins().iconst(I64, pack(s) as i64);
        b.ins()
            .call_indirect(sig, helper, &[self.hart, packed, pc, position]);
        let status = b.ins().load(I64, hart_flags(), self.hart, JIT_STATUS);
        let go_on = b.create_block();
        b.ins().brif(status, self.interpret_exit, &[], go_on, &[]);
        b.seal_block(go_on);
        b.switch_to_block(go_on);
        self.reload(s.rd);
    }

    /// A shift of `x` by `y` masked to `mask` (63, or 31 for the W forms), as `op` shifts.
    fn shift(&mut self, op: Op, x: Value, y: Value, mask: i64) -> Value {
        let amount = self.b.ins().band_imm_s(y, mask);
        match op {
            Op::Sll | Op::Sllw => self.b.ins().ishl(x, amount),
            Op::Srl | Op::Srlw => self.b.ins().ushr(x, amount),
            _ => self.b.ins().sshr(x, amount),
        }
    }

    /// A 64-bit register-register operation.
    fn binary64(&mut self, op: Op, x: Value, y: Value) -> Value {
        use Op::*;
        let ins = self.b.ins();
        match op {
            Add => ins.iadd(x, y),
            Sub => ins.isub(x, y),
            Sll | Srl | Sra => self.shift(op, x, y, 63),
            Slt => self.bool64(IntCC::SignedLessThan, x, y),
            Sltu => self.bool64(IntCC::UnsignedLessThan, x, y),
            Xor => ins.bxor(x, y),
            Or => ins.bor(x, y),
            And => ins.band(x, y),
            Mul => ins.imul(x, y),
            Mulh => ins.smulhi(x, y),
            Mulhu => ins.umulhi(x, y),
            Mulhsu => {
                // High half of signed x times unsigned y: the unsigned product's high half,
                // less y when x is negative.
                let hi = ins.umulhi(x, y);
                let sign = self.b.ins().sshr_imm_s(x, 63);
                let fix = self.b.ins().band(sign, y);
                self.b.ins().isub(hi, fix)
            }
            _ => self.divide(op, x, y, I64),
        }
    }

    /// A 32-bit register-register operation (on the low halves; the caller sign-extends).
    fn binary32(&mut self, op: Op, x: Value, y: Value) -> Value {
        use Op::*;
        let ins = self.b.ins();
        match op {
            Addw => ins.iadd(x, y),
            Subw => ins.isub(x, y),
            Sllw | Srlw | Sraw => self.shift(op, x, y, 31),
            Mulw => ins.imul(x, y),
            Divw => self.divide(Div, x, y, I32),
            Divuw => self.divide(Divu, x, y, I32),
            Remw => self.divide(Rem, x, y, I32),
            _ => self.divide(Remu, x, y, I32),
        }
    }

    /// RISC-V division (`Div`, `Divu`, `Rem`, `Remu`) of type `ty`: division by zero and
    /// signed overflow give the architecture's results instead of a host trap. The divisor
    /// is replaced by 1 in those cases (the overflowing quotient is then the dividend, as
    /// RISC-V defines it, and the remainder 0).
    fn divide(&mut self, op: Op, x: Value, y: Value, ty: types::Type) -> Value {
        let b = &mut *self.b;
        let zero = b.ins().icmp_imm_s(IntCC::Equal, y, 0);
        let one = b.ins().iconst(ty, 1);
        let signed = matches!(op, Op::Div | Op::Rem);
        let unsafe_divisor = if signed {
            let min = if ty == I64 {
                i64::MIN
            } else {
                i64::from(i32::MIN)
            };
            let x_min = b.ins().icmp_imm_s(IntCC::Equal, x, min);
            let y_neg1 = b.ins().icmp_imm_s(IntCC::Equal, y, -1);
            let overflow = b.ins().band(x_min, y_neg1);
            b.ins().bor(zero, overflow)
        } else {
            zero
        };
        let divisor = b.ins().select(unsafe_divisor, one, y);
        match op {
            Op::Div | Op::Divu => {
                let q = if signed {
                    b.ins().sdiv(x, divisor)
                } else {
                    b.ins().udiv(x, divisor)
                };
                let all_ones = b.ins().iconst(ty, -1);
                b.ins().select(zero, all_ones, q)
            }
            _ => {
                let r = if signed {
                    b.ins().srem(x, divisor)
                } else {
                    b.ins().urem(x, divisor)
                };
                b.ins().select(zero, x, r)
            }
        }
    }
}

/// Compiles the block `source`.
pub(super) fn block(
    isa: &dyn TargetIsa,
    fctx: &mut FunctionBuilderContext,
    ctx: &mut Context,
    shims: Shims,
    source: &Source,
) -> Option<Vec<u8>> {
    let insns = &source.insns[..];
    let mut func = Function::with_name_signature(UserFuncName::user(0, 1), block_signature());
    let mut b = FunctionBuilder::new(&mut func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.seal_block(entry);
    b.switch_to_block(entry);
    let hart = b.block_params(entry)[0];
    let hf = hart_flags();
    let pc0 = b.ins().load(I64, hf, hart, PC);
    let pos0 = b.ins().load(I64, hf, hart, POSITION);
    let end_pos = b.ins().load(I64, hf, hart, JIT_END);
    let data_ctx = b.ins().load(I64, hf, hart, DATA_CTX);
    let store_ctx = b.ins().load(I64, hf, hart, STORE_CTX);
    let tlb_load = b.ins().load(I64, hf, hart, TLB_LOAD);
    let tlb_store = b.ins().load(I64, hf, hart, TLB_STORE);

    // Branches and `jal`s to an instruction of the block stay inside it, and paths join at
    // their targets. Which registers carry their values across the joins is chosen from
    // the instructions from the first one such a jump leaves from or lands on.
    let offsets: Vec<u16> = insns.iter().map(|&(_, off)| off).collect();
    let index_of = |to: i64| offsets.iter().position(|&o| i64::from(o) == to);
    let internal: Vec<Option<usize>> = insns
        .iter()
        .map(|&(s, off)| {
            let op = op_of(s.id);
            if op != Op::Jal && !is_branch(op) {
                return None;
            }
            index_of(i64::from(off) + i64::from(s.imm))
        })
        .collect();
    // Where a run of the block ends without a jump: the offset it falls out at (see
    // `Hart::block_source`), and the instruction of the block there if there is one.
    let falls_out: Vec<Option<u16>> = insns
        .iter()
        .enumerate()
        .map(|(index, &(s, off))| {
            let next = off + if s.id & ID_LEN2 != 0 { 2 } else { 4 };
            let ends = matches!(op_of(s.id), Op::Jal | Op::Jalr)
                || insns.get(index + 1).is_some_and(|&(_, o)| o == next);
            (!ends).then_some(next)
        })
        .collect();
    let fall_to: Vec<Option<usize>> = falls_out
        .iter()
        .map(|next| next.and_then(|next| index_of(i64::from(next))))
        .collect();
    let edges: Vec<(usize, usize)> = internal
        .iter()
        .chain(&fall_to)
        .enumerate()
        .filter_map(|(i, to)| to.map(|to| (i % insns.len(), to)))
        .collect();
    let first_join = edges
        .iter()
        .map(|&(from, to)| from.min(to))
        .min()
        .unwrap_or(insns.len());
    let mut written = 0u32;
    let mut uses_after_join = [0u32; 32];
    for (index, &(s, _)) in insns.iter().enumerate() {
        let writes = !matches!(op_of(s.id), Op::Fence | Op::FenceI);
        if writes {
            written |= 1 << (s.rd & 31);
        }
        if index >= first_join {
            for reg in [s.rs1, s.rs2].into_iter().chain(writes.then_some(s.rd)) {
                uses_after_join[usize::from(reg & 31)] += 1;
            }
        }
    }
    let written = written & !1;
    // The registers used most from the first join on carry their values across joins;
    // each of them is read on entry, so that every path into a join has a value for it.
    let mut by_uses: Vec<usize> = (1..32).filter(|&r| uses_after_join[r] > 0).collect();
    by_uses.sort_by_key(|&r| std::cmp::Reverse(uses_after_join[r]));
    let carried = by_uses
        .iter()
        .take(CARRIED)
        .fold(0u32, |mask, &r| mask | 1 << r);
    let mut targets = vec![None; insns.len()];
    let mut dirty_in = vec![0; insns.len()];
    for &(from, to) in &edges {
        targets[to] = Some(b.create_block());
        if to <= from {
            dirty_in[to] = written & carried;
        }
    }

    let budget_exit = b.create_block();
    let body = b.create_block();
    let side_exit = b.create_block();
    for _ in 0..3 {
        b.append_block_param(side_exit, I64);
    }
    let chain_exit = b.create_block();
    for _ in 0..3 {
        b.append_block_param(chain_exit, I64);
    }
    let interpret_exit = b.create_block();
    let access_exit = b.create_block();
    for _ in 0..4 {
        b.append_block_param(access_exit, I64);
    }

    // Enter only if the whole block fits before the chain's end.
    let count = insns.len() as u64;
    let left = b.ins().isub(end_pos, pos0);
    let short = b
        .ins()
        .icmp_imm_s(IntCC::UnsignedLessThan, left, count as i64);
    b.ins().brif(short, budget_exit, &[], body, &[]);
    b.seal_block(body);
    b.seal_block(budget_exit);

    b.switch_to_block(body);
    let vars = std::array::from_fn(|_| b.declare_var(I64));
    let pos = b.declare_var(I64);
    b.def_var(pos, pos0);
    for reg in 1..32u8 {
        if carried & 1 << reg != 0 {
            let value = b.ins().load(I64, hf, hart, x_offset(reg));
            b.def_var(vars[usize::from(reg)], value);
        }
    }
    let mut t = Translator {
        b: &mut b,
        hart,
        pc0,
        data_ctx,
        store_ctx,
        tlb_load,
        tlb_store,
        vars,
        known: carried,
        dirty: 0,
        carried,
        pos,
        seg: 0,
        offsets,
        internal,
        targets,
        dirty_in,
        access_exit,
        chain_exit,
        interpret_exit,
        side_exit,
        shims,
        open: true,
    };
    for (index, &(s, off)) in insns.iter().enumerate() {
        t.insn(s, off, index as u64);
        if matches!(op_of(s.id), Op::Jal | Op::Jalr) {
            t.open = false;
        } else if let Some(next) = falls_out[index] {
            // The run ends: on at an instruction of the block, or out of compiled code
            // into the interpreter (an instruction the compiler does not handle) or into
            // the block that runs on there.
            match fall_to[index] {
                Some(to) => t.enter(index as u64 + 1, to),
                None => {
                    let code = if source.unsupported_at.contains(&next) {
                        EXIT_LOOKUP
                    } else {
                        EXIT_RUN_ON
                    };
                    let target = t.b.ins().iadd_imm_s(pc0, i64::from(next));
                    t.exit_to(target, index as u64 + 1, code);
                }
            }
            t.open = false;
        }
    }

    // Budget exit: the block has not started.
    b.switch_to_block(budget_exit);
    let code = b.ins().iconst(I32, i64::from(EXIT_BUDGET));
    b.ins().return_(&[code]);

    // After an instruction the interpreter executed: the hart is as it left it.
    b.switch_to_block(interpret_exit);
    b.seal_block(interpret_exit);
    let code = b.ins().iconst(I32, i64::from(EXIT_INTERPRETED));
    b.ins().return_(&[code]);

    // A load or store leaving: after a device access the board must see, at the next
    // instruction (the helper wrote a load's destination); at a device access that
    // faulted, with the trap; otherwise for the interpreter to do the access.
    b.switch_to_block(access_exit);
    b.seal_block(access_exit);
    let params = b.block_params(access_exit).to_vec();
    let (off, position, len, status) = (params[0], params[1], params[2], params[3]);
    let loud = b.ins().icmp_imm_s(IntCC::Equal, status, ACCESS_DEVICE_LOUD);
    let trap = b.ins().icmp_imm_s(IntCC::Equal, status, ACCESS_TRAP);
    let zero = b.ins().iconst(I64, 0);
    let one = b.ins().iconst(I64, 1);
    let skip = b.ins().select(loud, len, zero);
    let next_off = b.ins().iadd(off, skip);
    let retired = b.ins().select(loud, one, zero);
    let next_position = b.ins().iadd(position, retired);
    let side = b.ins().iconst(I64, i64::from(EXIT_SIDE));
    let trapped = b.ins().iconst(I64, i64::from(EXIT_TRAP));
    let device = b.ins().iconst(I64, i64::from(EXIT_DEVICE));
    let code = b.ins().select(trap, trapped, side);
    let code = b.ins().select(loud, device, code);
    b.ins().jump(
        side_exit,
        &[next_off.into(), next_position.into(), code.into()],
    );

    // Every other exit: pc and position as the exit's parameters say.
    b.switch_to_block(side_exit);
    b.seal_block(side_exit);
    let params = b.block_params(side_exit).to_vec();
    let pc = b.ins().iadd(pc0, params[0]);
    b.ins().store(hf, pc, hart, PC);
    b.ins().store(hf, params[1], hart, POSITION);
    let code = b.ins().ireduce(I32, params[2]);
    b.ins().return_(&[code]);

    // Chain exit: retire the block, then tail-call the successor if the jump cache has it.
    b.switch_to_block(chain_exit);
    b.seal_block(chain_exit);
    let params = b.block_params(chain_exit).to_vec();
    let (next, position, miss_code) = (params[0], params[1], params[2]);
    b.ins().store(hf, next, hart, PC);
    b.ins().store(hf, position, hart, POSITION);
    let jc = b.ins().load(I64, hf, hart, JC_BASE);
    let half = b.ins().ushr_imm_s(next, 1);
    let slot = b.ins().band_imm_s(half, (JC_SIZE - 1) as i64);
    let scaled = b.ins().ishl_imm_s(slot, 4);
    let entry = b.ins().iadd(jc, scaled);
    let tag = b.ins().load(I64, hf, entry, offset_of!(JcEntry, pc) as i32);
    let hit = b.ins().icmp(IntCC::Equal, tag, next);
    let call = b.create_block();
    let miss = b.create_block();
    b.ins().brif(hit, call, &[], miss, &[]);
    b.seal_block(call);
    b.seal_block(miss);
    b.switch_to_block(call);
    let target = b
        .ins()
        .load(I64, hf, entry, offset_of!(JcEntry, code) as i32);
    let sig = b.import_signature(block_signature());
    b.ins().return_call_indirect(sig, target, &[hart]);
    b.switch_to_block(miss);
    let code = b.ins().ireduce(I32, miss_code);
    b.ins().return_(&[code]);

    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    // The shims preserve general registers only (see `super::shim`): a value of another
    // type could live in a register a helper clobbers.
    if !func.dfg.values().all(|v| func.dfg.value_type(v).is_int()) {
        return None;
    }
    emit(isa, ctx, func)
}
