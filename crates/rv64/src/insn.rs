//! The pre-decoded instruction form shared by the decoder, the executor and the disassembler.
//!
//! An instruction is decoded once (per physical code location) into an [`Insn`] and then
//! executed many times from the per-page decode cache, so the layout is chosen for the
//! executor: every operand it needs is a plain field, immediates are already sign-extended
//! and shifted, and compressed instructions decode to the same [`Op`] as their 32-bit
//! expansions with `len == 2`.

/// Register index used as `rd` when an instruction's integer destination is `x0`.
///
/// The integer register file has 33 slots; writes to `x0` go to this sink slot instead, so the
/// executor never branches on `rd == 0`. Reads always use the architectural index, and slot 0
/// is never written, so `x0` reads as zero.
pub const X0_SINK: u8 = 32;

/// Every operation the hart implements (RV64IMAFDC, Zicsr, Zifencei, privileged).
///
/// Operand conventions (fields of [`Insn`]):
/// - integer ops: `rd`, `rs1`, `rs2`, `imm` (sign-extended; shift amounts in `imm`);
/// - `Lui`/`Auipc`: `imm` is the final 32-bit-shifted, sign-extended value;
/// - branches and `Jal`: `imm` is the byte offset from the instruction's pc;
/// - loads/stores: address = `x[rs1] + imm`; stores read `x[rs2]` (or `f[rs2]`);
/// - CSR ops: `imm` is the CSR number (0..4096); the `*i` forms hold the 5-bit zimm in `rs1`;
/// - FP ops: `rm` is the raw rounding-mode field (7 = dynamic), `rs3` the third source;
///   `rd`/`rs*` index the FP file unless [`Op::fp_writes_int`] / [`Op::fp_reads_int`] say
///   otherwise;
/// - AMOs: `rd`, `rs1` (address), `rs2` (operand); aq/rl are accepted and ignored (one hart);
/// - `Illegal`: `imm` holds the raw instruction bits (for `mtval`), `len` its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Op {
    Illegal,
    // RV64I
    Lui,
    Auipc,
    Jal,
    Jalr,
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
    Sb,
    Sh,
    Sw,
    Sd,
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addiw,
    Slliw,
    Srliw,
    Sraiw,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    Fence,
    FenceI,
    Ecall,
    Ebreak,
    // M
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
    // A
    LrW,
    ScW,
    AmoswapW,
    AmoaddW,
    AmoxorW,
    AmoandW,
    AmoorW,
    AmominW,
    AmomaxW,
    AmominuW,
    AmomaxuW,
    LrD,
    ScD,
    AmoswapD,
    AmoaddD,
    AmoxorD,
    AmoandD,
    AmoorD,
    AmominD,
    AmomaxD,
    AmominuD,
    AmomaxuD,
    // Zicsr
    Csrrw,
    Csrrs,
    Csrrc,
    Csrrwi,
    Csrrsi,
    Csrrci,
    // Privileged
    Mret,
    Sret,
    Wfi,
    SfenceVma,
    // F
    Flw,
    Fsw,
    FmaddS,
    FmsubS,
    FnmsubS,
    FnmaddS,
    FaddS,
    FsubS,
    FmulS,
    FdivS,
    FsqrtS,
    FsgnjS,
    FsgnjnS,
    FsgnjxS,
    FminS,
    FmaxS,
    FcvtWS,
    FcvtWuS,
    FcvtLS,
    FcvtLuS,
    FmvXW,
    FeqS,
    FltS,
    FleS,
    FclassS,
    FcvtSW,
    FcvtSWu,
    FcvtSL,
    FcvtSLu,
    FmvWX,
    // D
    Fld,
    Fsd,
    FmaddD,
    FmsubD,
    FnmsubD,
    FnmaddD,
    FaddD,
    FsubD,
    FmulD,
    FdivD,
    FsqrtD,
    FsgnjD,
    FsgnjnD,
    FsgnjxD,
    FminD,
    FmaxD,
    FcvtSD,
    FcvtDS,
    FeqD,
    FltD,
    FleD,
    FclassD,
    FcvtWD,
    FcvtWuD,
    FcvtLD,
    FcvtLuD,
    FmvXD,
    FcvtDW,
    FcvtDWu,
    FcvtDL,
    FcvtDLu,
    FmvDX,
}

impl Op {
    /// True for F/D computational ops (everything from `FmaddS` on, except loads/stores),
    /// i.e. the ops handled by [`crate::fpu::compute`].
    pub fn is_fp_compute(self) -> bool {
        use Op::*;
        (self as u8) >= (FmaddS as u8)
            && !matches!(self, Fld | Fsd)
            && (self as u8) <= (FmvDX as u8)
    }

    /// True for the A extension's ops (`lr`, `sc` and the AMOs, both widths).
    pub fn is_atomic(self) -> bool {
        use Op::*;
        (LrW as u8..=AmomaxuD as u8).contains(&(self as u8))
    }

    /// True for the Zicsr ops.
    pub fn is_csr(self) -> bool {
        use Op::*;
        (Csrrw as u8..=Csrrci as u8).contains(&(self as u8))
    }

    /// True when an FP op's destination is the integer register file.
    pub fn fp_writes_int(self) -> bool {
        use Op::*;
        matches!(
            self,
            FcvtWS
                | FcvtWuS
                | FcvtLS
                | FcvtLuS
                | FmvXW
                | FeqS
                | FltS
                | FleS
                | FclassS
                | FcvtWD
                | FcvtWuD
                | FcvtLD
                | FcvtLuD
                | FmvXD
                | FeqD
                | FltD
                | FleD
                | FclassD
        )
    }

    /// True when an FP op's (only) source `rs1` is the integer register file.
    pub fn fp_reads_int(self) -> bool {
        use Op::*;
        matches!(
            self,
            FcvtSW
                | FcvtSWu
                | FcvtSL
                | FcvtSLu
                | FmvWX
                | FcvtDW
                | FcvtDWu
                | FcvtDL
                | FcvtDLu
                | FmvDX
        )
    }

    /// True for ops whose result depends on the rounding mode (so `rm` must be valid).
    pub fn uses_rounding_mode(self) -> bool {
        use Op::*;
        self.is_fp_compute()
            && !matches!(
                self,
                FsgnjS
                    | FsgnjnS
                    | FsgnjxS
                    | FminS
                    | FmaxS
                    | FmvXW
                    | FeqS
                    | FltS
                    | FleS
                    | FclassS
                    | FmvWX
                    | FsgnjD
                    | FsgnjnD
                    | FsgnjxD
                    | FminD
                    | FmaxD
                    | FeqD
                    | FltD
                    | FleD
                    | FclassD
                    | FmvXD
                    | FmvDX
                    | FcvtDS
                    | FcvtDW
                    | FcvtDWu
            )
    }
}

/// One decoded instruction. 12 bytes; the decode cache stores one per 2-byte code slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// The operation.
    pub op: Op,
    /// Destination register (integer `x0` is encoded as [`X0_SINK`]).
    pub rd: u8,
    /// First source register (or zimm for `Csrr*i`).
    pub rs1: u8,
    /// Second source register.
    pub rs2: u8,
    /// Third source register (fused multiply-add).
    pub rs3: u8,
    /// Raw FP rounding-mode field (0..=4 static, 7 dynamic; 5 and 6 are reserved).
    pub rm: u8,
    /// Instruction length in bytes: 2 (compressed) or 4.
    pub len: u8,
    /// Immediate, CSR number, or raw bits for `Illegal`; see [`Op`].
    pub imm: i32,
}

impl Insn {
    /// The decoded form of an illegal instruction with raw bits `raw` and length `len`.
    pub const fn illegal(raw: u32, len: u8) -> Insn {
        Insn {
            op: Op::Illegal,
            rd: 0,
            rs1: 0,
            rs2: 0,
            rs3: 0,
            rm: 0,
            len,
            imm: raw as i32,
        }
    }
}
