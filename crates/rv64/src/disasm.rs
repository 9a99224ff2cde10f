//! Disassembly: [`Insn`] to standard assembler syntax.
//!
//! The output is the canonical form GNU objdump prints with `-M no-aliases` (compressed
//! instructions print as their 32-bit expansion), with two differences: operands are separated
//! by `", "`, and branch and jump targets print as signed byte offsets from the instruction,
//! because an [`Insn`] does not know its pc. Registers use ABI names; CSRs print by name when
//! they are common and as hex numbers otherwise. Formatting never panics, whatever the fields.

use core::fmt::{self, Display, Formatter, Write};

use crate::insn::{Insn, Op, X0_SINK};

const XREGS: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

const FREGS: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// ABI name of integer register `r` ([`X0_SINK`] is `zero`).
fn x(r: u8) -> &'static str {
    if r == X0_SINK {
        return "zero";
    }
    XREGS.get(usize::from(r)).copied().unwrap_or("?")
}

/// ABI name of FP register `r`.
fn f(r: u8) -> &'static str {
    FREGS.get(usize::from(r)).copied().unwrap_or("?")
}

/// Name of a source or destination register of an FP op, in the file the op uses for it.
fn fp_or_x(is_int: bool, r: u8) -> &'static str {
    if is_int {
        x(r)
    } else {
        f(r)
    }
}

/// The assembler mnemonic of `op`.
pub fn mnemonic(op: Op) -> &'static str {
    use Op::*;
    match op {
        Illegal => "illegal",
        Lui => "lui",
        Auipc => "auipc",
        Jal => "jal",
        Jalr => "jalr",
        Beq => "beq",
        Bne => "bne",
        Blt => "blt",
        Bge => "bge",
        Bltu => "bltu",
        Bgeu => "bgeu",
        Lb => "lb",
        Lh => "lh",
        Lw => "lw",
        Ld => "ld",
        Lbu => "lbu",
        Lhu => "lhu",
        Lwu => "lwu",
        Sb => "sb",
        Sh => "sh",
        Sw => "sw",
        Sd => "sd",
        Addi => "addi",
        Slti => "slti",
        Sltiu => "sltiu",
        Xori => "xori",
        Ori => "ori",
        Andi => "andi",
        Slli => "slli",
        Srli => "srli",
        Srai => "srai",
        Add => "add",
        Sub => "sub",
        Sll => "sll",
        Slt => "slt",
        Sltu => "sltu",
        Xor => "xor",
        Srl => "srl",
        Sra => "sra",
        Or => "or",
        And => "and",
        Addiw => "addiw",
        Slliw => "slliw",
        Srliw => "srliw",
        Sraiw => "sraiw",
        Addw => "addw",
        Subw => "subw",
        Sllw => "sllw",
        Srlw => "srlw",
        Sraw => "sraw",
        Fence => "fence",
        FenceI => "fence.i",
        Ecall => "ecall",
        Ebreak => "ebreak",
        Mul => "mul",
        Mulh => "mulh",
        Mulhsu => "mulhsu",
        Mulhu => "mulhu",
        Div => "div",
        Divu => "divu",
        Rem => "rem",
        Remu => "remu",
        Mulw => "mulw",
        Divw => "divw",
        Divuw => "divuw",
        Remw => "remw",
        Remuw => "remuw",
        LrW => "lr.w",
        ScW => "sc.w",
        AmoswapW => "amoswap.w",
        AmoaddW => "amoadd.w",
        AmoxorW => "amoxor.w",
        AmoandW => "amoand.w",
        AmoorW => "amoor.w",
        AmominW => "amomin.w",
        AmomaxW => "amomax.w",
        AmominuW => "amominu.w",
        AmomaxuW => "amomaxu.w",
        LrD => "lr.d",
        ScD => "sc.d",
        AmoswapD => "amoswap.d",
        AmoaddD => "amoadd.d",
        AmoxorD => "amoxor.d",
        AmoandD => "amoand.d",
        AmoorD => "amoor.d",
        AmominD => "amomin.d",
        AmomaxD => "amomax.d",
        AmominuD => "amominu.d",
        AmomaxuD => "amomaxu.d",
        Csrrw => "csrrw",
        Csrrs => "csrrs",
        Csrrc => "csrrc",
        Csrrwi => "csrrwi",
        Csrrsi => "csrrsi",
        Csrrci => "csrrci",
        Mret => "mret",
        Sret => "sret",
        Wfi => "wfi",
        SfenceVma => "sfence.vma",
        Flw => "flw",
        Fsw => "fsw",
        FmaddS => "fmadd.s",
        FmsubS => "fmsub.s",
        FnmsubS => "fnmsub.s",
        FnmaddS => "fnmadd.s",
        FaddS => "fadd.s",
        FsubS => "fsub.s",
        FmulS => "fmul.s",
        FdivS => "fdiv.s",
        FsqrtS => "fsqrt.s",
        FsgnjS => "fsgnj.s",
        FsgnjnS => "fsgnjn.s",
        FsgnjxS => "fsgnjx.s",
        FminS => "fmin.s",
        FmaxS => "fmax.s",
        FcvtWS => "fcvt.w.s",
        FcvtWuS => "fcvt.wu.s",
        FcvtLS => "fcvt.l.s",
        FcvtLuS => "fcvt.lu.s",
        FmvXW => "fmv.x.w",
        FeqS => "feq.s",
        FltS => "flt.s",
        FleS => "fle.s",
        FclassS => "fclass.s",
        FcvtSW => "fcvt.s.w",
        FcvtSWu => "fcvt.s.wu",
        FcvtSL => "fcvt.s.l",
        FcvtSLu => "fcvt.s.lu",
        FmvWX => "fmv.w.x",
        Fld => "fld",
        Fsd => "fsd",
        FmaddD => "fmadd.d",
        FmsubD => "fmsub.d",
        FnmsubD => "fnmsub.d",
        FnmaddD => "fnmadd.d",
        FaddD => "fadd.d",
        FsubD => "fsub.d",
        FmulD => "fmul.d",
        FdivD => "fdiv.d",
        FsqrtD => "fsqrt.d",
        FsgnjD => "fsgnj.d",
        FsgnjnD => "fsgnjn.d",
        FsgnjxD => "fsgnjx.d",
        FminD => "fmin.d",
        FmaxD => "fmax.d",
        FcvtSD => "fcvt.s.d",
        FcvtDS => "fcvt.d.s",
        FeqD => "feq.d",
        FltD => "flt.d",
        FleD => "fle.d",
        FclassD => "fclass.d",
        FcvtWD => "fcvt.w.d",
        FcvtWuD => "fcvt.wu.d",
        FcvtLD => "fcvt.l.d",
        FcvtLuD => "fcvt.lu.d",
        FmvXD => "fmv.x.d",
        FcvtDW => "fcvt.d.w",
        FcvtDWu => "fcvt.d.wu",
        FcvtDL => "fcvt.d.l",
        FcvtDLu => "fcvt.d.lu",
        FmvDX => "fmv.d.x",
    }
}

/// The name of a CSR the hart or common software uses, if it has one.
fn csr_name(csr: u32) -> Option<&'static str> {
    Some(match csr {
        0x001 => "fflags",
        0x002 => "frm",
        0x003 => "fcsr",
        0xc00 => "cycle",
        0xc01 => "time",
        0xc02 => "instret",
        0x100 => "sstatus",
        0x104 => "sie",
        0x105 => "stvec",
        0x106 => "scounteren",
        0x10a => "senvcfg",
        0x140 => "sscratch",
        0x141 => "sepc",
        0x142 => "scause",
        0x143 => "stval",
        0x144 => "sip",
        0x14d => "stimecmp",
        0x180 => "satp",
        0xf11 => "mvendorid",
        0xf12 => "marchid",
        0xf13 => "mimpid",
        0xf14 => "mhartid",
        0xf15 => "mconfigptr",
        0x300 => "mstatus",
        0x301 => "misa",
        0x302 => "medeleg",
        0x303 => "mideleg",
        0x304 => "mie",
        0x305 => "mtvec",
        0x306 => "mcounteren",
        0x30a => "menvcfg",
        0x320 => "mcountinhibit",
        0x340 => "mscratch",
        0x341 => "mepc",
        0x342 => "mcause",
        0x343 => "mtval",
        0x344 => "mip",
        0x34a => "mtinst",
        0x34b => "mtval2",
        0x747 => "mseccfg",
        0xb00 => "mcycle",
        0xb02 => "minstret",
        0x7a0 => "tselect",
        0x7a1 => "tdata1",
        0x7a2 => "tdata2",
        0x7a3 => "tdata3",
        0x7b0 => "dcsr",
        0x7b1 => "dpc",
        0x7b2 => "dscratch0",
        0x7b3 => "dscratch1",
        _ => return None,
    })
}

/// Writes a CSR's name, or its number in hex.
fn write_csr(out: &mut Formatter<'_>, csr: i32) -> fmt::Result {
    let csr = (csr as u32) & 0xfff;
    if let Some(name) = csr_name(csr) {
        return out.write_str(name);
    }
    match csr {
        0xc03..=0xc1f => write!(out, "hpmcounter{}", csr - 0xc00),
        0xb03..=0xb1f => write!(out, "mhpmcounter{}", csr - 0xb00),
        0x323..=0x33f => write!(out, "mhpmevent{}", csr - 0x320),
        // RV64 has only the even-numbered pmpcfg registers.
        0x3a0..=0x3af if csr & 1 == 0 => write!(out, "pmpcfg{}", csr - 0x3a0),
        0x3b0..=0x3ef => write!(out, "pmpaddr{}", csr - 0x3b0),
        _ => write!(out, "{csr:#x}"),
    }
}

/// Writes a FENCE predecessor or successor set (`iorw` letters, or `0` when empty).
fn write_fence_set(out: &mut Formatter<'_>, set: i32) -> fmt::Result {
    if set & 0xf == 0 {
        return out.write_char('0');
    }
    for (bit, letter) in [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')] {
        if set & bit != 0 {
            out.write_char(letter)?;
        }
    }
    Ok(())
}

/// Writes `, <rounding mode>` unless the mode is dynamic (or, for the exact conversions that
/// ignore it, the assembler's default `rne`).
fn write_rm(out: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    let exact = matches!(insn.op, Op::FcvtDS | Op::FcvtDW | Op::FcvtDWu);
    match insn.rm {
        7 => Ok(()),
        0 if exact => Ok(()),
        0 => out.write_str(", rne"),
        1 => out.write_str(", rtz"),
        2 => out.write_str(", rdn"),
        3 => out.write_str(", rup"),
        4 => out.write_str(", rmm"),
        rm => write!(out, ", {rm}"),
    }
}

impl Display for Insn {
    fn fmt(&self, out: &mut Formatter<'_>) -> fmt::Result {
        use Op::*;
        let m = mnemonic(self.op);
        let (rd, rs1, rs2, imm) = (self.rd, self.rs1, self.rs2, self.imm);
        match self.op {
            Illegal if self.len == 2 => write!(out, ".short {:#06x}", imm as u32 & 0xffff),
            Illegal => write!(out, ".word {:#010x}", imm as u32),
            Lui | Auipc => write!(out, "{m} {}, {:#x}", x(rd), (imm as u32) >> 12),
            Jal => write!(out, "{m} {}, {imm}", x(rd)),
            Jalr | Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu => {
                write!(out, "{m} {}, {imm}({})", x(rd), x(rs1))
            }
            Beq | Bne | Blt | Bge | Bltu | Bgeu => {
                write!(out, "{m} {}, {}, {imm}", x(rs1), x(rs2))
            }
            Sb | Sh | Sw | Sd => write!(out, "{m} {}, {imm}({})", x(rs2), x(rs1)),
            Flw | Fld => write!(out, "{m} {}, {imm}({})", f(rd), x(rs1)),
            Fsw | Fsd => write!(out, "{m} {}, {imm}({})", f(rs2), x(rs1)),
            Addi | Slti | Sltiu | Xori | Ori | Andi | Addiw => {
                write!(out, "{m} {}, {}, {imm}", x(rd), x(rs1))
            }
            Slli | Srli | Srai | Slliw | Srliw | Sraiw => {
                write!(out, "{m} {}, {}, {imm:#x}", x(rd), x(rs1))
            }
            Add | Sub | Sll | Slt | Sltu | Xor | Srl | Sra | Or | And | Addw | Subw | Sllw
            | Srlw | Sraw | Mul | Mulh | Mulhsu | Mulhu | Div | Divu | Rem | Remu | Mulw | Divw
            | Divuw | Remw | Remuw => write!(out, "{m} {}, {}, {}", x(rd), x(rs1), x(rs2)),
            Fence if imm == 0x833 => out.write_str("fence.tso"),
            Fence if imm == 0x010 => out.write_str("pause"),
            Fence => {
                out.write_str("fence ")?;
                write_fence_set(out, imm >> 4)?;
                out.write_str(", ")?;
                write_fence_set(out, imm)
            }
            FenceI | Ecall | Ebreak | Mret | Sret | Wfi => out.write_str(m),
            SfenceVma => write!(out, "{m} {}, {}", x(rs1), x(rs2)),
            LrW | ScW | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW
            | AmominuW | AmomaxuW | LrD | ScD | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD
            | AmominD | AmomaxD | AmominuD | AmomaxuD => {
                let order = match self.rm & 3 {
                    0 => "",
                    1 => ".rl",
                    2 => ".aq",
                    _ => ".aqrl",
                };
                if matches!(self.op, LrW | LrD) {
                    write!(out, "{m}{order} {}, ({})", x(rd), x(rs1))
                } else {
                    write!(out, "{m}{order} {}, {}, ({})", x(rd), x(rs2), x(rs1))
                }
            }
            Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci => {
                write!(out, "{m} {}, ", x(rd))?;
                write_csr(out, imm)?;
                if matches!(self.op, Csrrw | Csrrs | Csrrc) {
                    write!(out, ", {}", x(rs1))
                } else {
                    write!(out, ", {rs1}")
                }
            }
            FmaddS | FmsubS | FnmsubS | FnmaddS | FmaddD | FmsubD | FnmsubD | FnmaddD => {
                write!(
                    out,
                    "{m} {}, {}, {}, {}",
                    f(rd),
                    f(rs1),
                    f(rs2),
                    f(self.rs3)
                )?;
                write_rm(out, self)
            }
            FaddS | FsubS | FmulS | FdivS | FaddD | FsubD | FmulD | FdivD => {
                write!(out, "{m} {}, {}, {}", f(rd), f(rs1), f(rs2))?;
                write_rm(out, self)
            }
            FsgnjS | FsgnjnS | FsgnjxS | FminS | FmaxS | FsgnjD | FsgnjnD | FsgnjxD | FminD
            | FmaxD => write!(out, "{m} {}, {}, {}", f(rd), f(rs1), f(rs2)),
            FeqS | FltS | FleS | FeqD | FltD | FleD => {
                write!(out, "{m} {}, {}, {}", x(rd), f(rs1), f(rs2))
            }
            FmvXW | FclassS | FmvWX | FmvXD | FclassD | FmvDX => {
                let (d, s) = (self.op.fp_writes_int(), self.op.fp_reads_int());
                write!(out, "{m} {}, {}", fp_or_x(d, rd), fp_or_x(s, rs1))
            }
            FsqrtS | FcvtWS | FcvtWuS | FcvtLS | FcvtLuS | FcvtSW | FcvtSWu | FcvtSL | FcvtSLu
            | FsqrtD | FcvtSD | FcvtDS | FcvtWD | FcvtWuD | FcvtLD | FcvtLuD | FcvtDW | FcvtDWu
            | FcvtDL | FcvtDLu => {
                let (d, s) = (self.op.fp_writes_int(), self.op.fp_reads_int());
                write!(out, "{m} {}, {}", fp_or_x(d, rd), fp_or_x(s, rs1))?;
                write_rm(out, self)
            }
        }
    }
}
