//! Instruction decoding: raw bits to [`Insn`].
//!
//! Every RV64GC encoding (RV64IMAFDC, Zicsr, Zifencei, the privileged instructions) decodes to
//! the operand conventions documented on [`Op`]; compressed instructions decode to the [`Op`]
//! of their 32-bit expansion with `len == 2`. Reserved encodings decode to
//! [`Insn::illegal`]; HINT encodings decode to their natural effect.
//!
//! Fields an op does not use are zero, so two encodings with the same effect decode to equal
//! [`Insn`]s. Two fields carry extra information for the disassembler only: a `Fence`'s
//! `imm` holds its fm/pred/succ bits (instruction bits 31:20), and an AMO's `rm` holds its
//! aq/rl bits (aq = 2, rl = 1).

use crate::insn::{Insn, Op, X0_SINK};

/// Decodes one instruction. If the low two bits of `raw` are not `0b11`, only the low 16 bits
/// are used and the result is a compressed instruction (`len == 2`).
pub fn decode(raw: u32) -> Insn {
    if raw & 3 == 3 {
        decode32(raw).unwrap_or(Insn::illegal(raw, 4))
    } else {
        let half = raw & 0xffff;
        decode16(half).unwrap_or(Insn::illegal(half, 2))
    }
}

/// An instruction of `op` and length `len` with every operand zero.
const fn blank(op: Op, len: u8) -> Insn {
    Insn {
        op,
        rd: 0,
        rs1: 0,
        rs2: 0,
        rs3: 0,
        rm: 0,
        len,
        imm: 0,
    }
}

/// An integer destination register: `x0` becomes [`X0_SINK`].
fn xd(r: u8) -> u8 {
    if r == 0 {
        X0_SINK
    } else {
        r
    }
}

/// Bits `lo..lo+n` of `raw`, right-aligned.
fn bits(raw: u32, lo: u32, n: u32) -> u32 {
    (raw >> lo) & ((1 << n) - 1)
}

/// A 5-bit register field starting at bit `lo`.
fn reg(raw: u32, lo: u32) -> u8 {
    bits(raw, lo, 5) as u8
}

/// Sign-extends the low `n` bits of `v`.
fn sext(v: u32, n: u32) -> i32 {
    ((v << (32 - n)) as i32) >> (32 - n)
}

// ---------------------------------------------------------------------------------------------
// 32-bit instructions
// ---------------------------------------------------------------------------------------------

fn imm_i(raw: u32) -> i32 {
    (raw as i32) >> 20
}

fn imm_s(raw: u32) -> i32 {
    ((raw as i32) >> 25 << 5) | bits(raw, 7, 5) as i32
}

fn imm_b(raw: u32) -> i32 {
    ((raw as i32) >> 31 << 12)
        | (bits(raw, 7, 1) << 11) as i32
        | (bits(raw, 25, 6) << 5) as i32
        | (bits(raw, 8, 4) << 1) as i32
}

fn imm_j(raw: u32) -> i32 {
    ((raw as i32) >> 31 << 20)
        | (raw & 0x000f_f000) as i32
        | (bits(raw, 20, 1) << 11) as i32
        | (bits(raw, 21, 10) << 1) as i32
}

fn imm_u(raw: u32) -> i32 {
    (raw & 0xffff_f000) as i32
}

fn decode32(raw: u32) -> Option<Insn> {
    match bits(raw, 2, 5) {
        0x00 => load(raw),
        0x01 => load_fp(raw),
        0x03 => misc_mem(raw),
        0x04 => op_imm(raw),
        0x05 => Some(upper(Op::Auipc, raw)),
        0x06 => op_imm_32(raw),
        0x08 => store(raw),
        0x09 => store_fp(raw),
        0x0b => amo(raw),
        0x0c => op(raw),
        0x0d => Some(upper(Op::Lui, raw)),
        0x0e => op_32(raw),
        0x10..=0x13 => fused(raw),
        0x14 => op_fp(raw),
        0x18 => branch(raw),
        0x19 => jalr(raw),
        0x1b => Some(Insn {
            rd: xd(reg(raw, 7)),
            imm: imm_j(raw),
            ..blank(Op::Jal, 4)
        }),
        0x1c => system(raw),
        _ => None,
    }
}

/// An I-type instruction writing an integer register: `rd`, `rs1`, `imm`.
fn itype(op: Op, raw: u32, imm: i32) -> Insn {
    Insn {
        rd: xd(reg(raw, 7)),
        rs1: reg(raw, 15),
        imm,
        ..blank(op, 4)
    }
}

/// An R-type instruction writing an integer register: `rd`, `rs1`, `rs2`.
fn rtype(op: Op, raw: u32) -> Insn {
    Insn {
        rd: xd(reg(raw, 7)),
        rs1: reg(raw, 15),
        rs2: reg(raw, 20),
        ..blank(op, 4)
    }
}

fn upper(op: Op, raw: u32) -> Insn {
    Insn {
        rd: xd(reg(raw, 7)),
        imm: imm_u(raw),
        ..blank(op, 4)
    }
}

fn load(raw: u32) -> Option<Insn> {
    use Op::*;
    let op = match bits(raw, 12, 3) {
        0 => Lb,
        1 => Lh,
        2 => Lw,
        3 => Ld,
        4 => Lbu,
        5 => Lhu,
        6 => Lwu,
        _ => return None,
    };
    Some(itype(op, raw, imm_i(raw)))
}

fn store(raw: u32) -> Option<Insn> {
    use Op::*;
    let op = match bits(raw, 12, 3) {
        0 => Sb,
        1 => Sh,
        2 => Sw,
        3 => Sd,
        _ => return None,
    };
    Some(Insn {
        rs1: reg(raw, 15),
        rs2: reg(raw, 20),
        imm: imm_s(raw),
        ..blank(op, 4)
    })
}

fn load_fp(raw: u32) -> Option<Insn> {
    let op = match bits(raw, 12, 3) {
        2 => Op::Flw,
        3 => Op::Fld,
        _ => return None,
    };
    Some(Insn {
        rd: reg(raw, 7),
        rs1: reg(raw, 15),
        imm: imm_i(raw),
        ..blank(op, 4)
    })
}

fn store_fp(raw: u32) -> Option<Insn> {
    let op = match bits(raw, 12, 3) {
        2 => Op::Fsw,
        3 => Op::Fsd,
        _ => return None,
    };
    Some(Insn {
        rs1: reg(raw, 15),
        rs2: reg(raw, 20),
        imm: imm_s(raw),
        ..blank(op, 4)
    })
}

/// FENCE ignores its reserved rd/rs1 fields and unknown fm values (they are treated as a
/// full FENCE); FENCE.I ignores imm, rs1 and rd (both as the spec requires for forward
/// compatibility).
fn misc_mem(raw: u32) -> Option<Insn> {
    match bits(raw, 12, 3) {
        0 => Some(Insn {
            imm: bits(raw, 20, 12) as i32,
            ..blank(Op::Fence, 4)
        }),
        1 => Some(blank(Op::FenceI, 4)),
        _ => None,
    }
}

fn op_imm(raw: u32) -> Option<Insn> {
    use Op::*;
    let shamt = bits(raw, 20, 6) as i32;
    Some(match (bits(raw, 12, 3), bits(raw, 26, 6)) {
        (0, _) => itype(Addi, raw, imm_i(raw)),
        (2, _) => itype(Slti, raw, imm_i(raw)),
        (3, _) => itype(Sltiu, raw, imm_i(raw)),
        (4, _) => itype(Xori, raw, imm_i(raw)),
        (6, _) => itype(Ori, raw, imm_i(raw)),
        (7, _) => itype(Andi, raw, imm_i(raw)),
        (1, 0x00) => itype(Slli, raw, shamt),
        (5, 0x00) => itype(Srli, raw, shamt),
        (5, 0x10) => itype(Srai, raw, shamt),
        _ => return None,
    })
}

fn op_imm_32(raw: u32) -> Option<Insn> {
    use Op::*;
    let shamt = bits(raw, 20, 5) as i32;
    Some(match (bits(raw, 12, 3), bits(raw, 25, 7)) {
        (0, _) => itype(Addiw, raw, imm_i(raw)),
        (1, 0x00) => itype(Slliw, raw, shamt),
        (5, 0x00) => itype(Srliw, raw, shamt),
        (5, 0x20) => itype(Sraiw, raw, shamt),
        _ => return None,
    })
}

fn op(raw: u32) -> Option<Insn> {
    use Op::*;
    let op = match (bits(raw, 25, 7), bits(raw, 12, 3)) {
        (0x00, 0) => Add,
        (0x20, 0) => Sub,
        (0x00, 1) => Sll,
        (0x00, 2) => Slt,
        (0x00, 3) => Sltu,
        (0x00, 4) => Xor,
        (0x00, 5) => Srl,
        (0x20, 5) => Sra,
        (0x00, 6) => Or,
        (0x00, 7) => And,
        (0x01, 0) => Mul,
        (0x01, 1) => Mulh,
        (0x01, 2) => Mulhsu,
        (0x01, 3) => Mulhu,
        (0x01, 4) => Div,
        (0x01, 5) => Divu,
        (0x01, 6) => Rem,
        (0x01, 7) => Remu,
        _ => return None,
    };
    Some(rtype(op, raw))
}

fn op_32(raw: u32) -> Option<Insn> {
    use Op::*;
    let op = match (bits(raw, 25, 7), bits(raw, 12, 3)) {
        (0x00, 0) => Addw,
        (0x20, 0) => Subw,
        (0x00, 1) => Sllw,
        (0x00, 5) => Srlw,
        (0x20, 5) => Sraw,
        (0x01, 0) => Mulw,
        (0x01, 4) => Divw,
        (0x01, 5) => Divuw,
        (0x01, 6) => Remw,
        (0x01, 7) => Remuw,
        _ => return None,
    };
    Some(rtype(op, raw))
}

fn branch(raw: u32) -> Option<Insn> {
    use Op::*;
    let op = match bits(raw, 12, 3) {
        0 => Beq,
        1 => Bne,
        4 => Blt,
        5 => Bge,
        6 => Bltu,
        7 => Bgeu,
        _ => return None,
    };
    Some(Insn {
        rs1: reg(raw, 15),
        rs2: reg(raw, 20),
        imm: imm_b(raw),
        ..blank(op, 4)
    })
}

fn jalr(raw: u32) -> Option<Insn> {
    (bits(raw, 12, 3) == 0).then(|| itype(Op::Jalr, raw, imm_i(raw)))
}

fn system(raw: u32) -> Option<Insn> {
    use Op::*;
    let csr = bits(raw, 20, 12) as i32;
    let csr_op = |op| Insn {
        rd: xd(reg(raw, 7)),
        rs1: reg(raw, 15),
        imm: csr,
        ..blank(op, 4)
    };
    match bits(raw, 12, 3) {
        0 => match raw {
            0x0000_0073 => Some(blank(Ecall, 4)),
            0x0010_0073 => Some(blank(Ebreak, 4)),
            0x1020_0073 => Some(blank(Sret, 4)),
            0x3020_0073 => Some(blank(Mret, 4)),
            0x1050_0073 => Some(blank(Wfi, 4)),
            _ if bits(raw, 25, 7) == 0x09 && reg(raw, 7) == 0 => Some(Insn {
                rs1: reg(raw, 15),
                rs2: reg(raw, 20),
                ..blank(SfenceVma, 4)
            }),
            _ => None,
        },
        1 => Some(csr_op(Csrrw)),
        2 => Some(csr_op(Csrrs)),
        3 => Some(csr_op(Csrrc)),
        5 => Some(csr_op(Csrrwi)),
        6 => Some(csr_op(Csrrsi)),
        7 => Some(csr_op(Csrrci)),
        _ => None,
    }
}

fn amo(raw: u32) -> Option<Insn> {
    use Op::*;
    let funct5 = bits(raw, 27, 5);
    let op = match (bits(raw, 12, 3), funct5) {
        (2, 0x02) => LrW,
        (2, 0x03) => ScW,
        (2, 0x01) => AmoswapW,
        (2, 0x00) => AmoaddW,
        (2, 0x04) => AmoxorW,
        (2, 0x0c) => AmoandW,
        (2, 0x08) => AmoorW,
        (2, 0x10) => AmominW,
        (2, 0x14) => AmomaxW,
        (2, 0x18) => AmominuW,
        (2, 0x1c) => AmomaxuW,
        (3, 0x02) => LrD,
        (3, 0x03) => ScD,
        (3, 0x01) => AmoswapD,
        (3, 0x00) => AmoaddD,
        (3, 0x04) => AmoxorD,
        (3, 0x0c) => AmoandD,
        (3, 0x08) => AmoorD,
        (3, 0x10) => AmominD,
        (3, 0x14) => AmomaxD,
        (3, 0x18) => AmominuD,
        (3, 0x1c) => AmomaxuD,
        _ => return None,
    };
    if funct5 == 0x02 && reg(raw, 20) != 0 {
        return None;
    }
    Some(Insn {
        rm: bits(raw, 25, 2) as u8,
        ..rtype(op, raw)
    })
}

/// FMADD/FMSUB/FNMSUB/FNMADD (opcodes 0x43, 0x47, 0x4b, 0x4f).
fn fused(raw: u32) -> Option<Insn> {
    use Op::*;
    let op = match (bits(raw, 2, 5), bits(raw, 25, 2)) {
        (0x10, 0) => FmaddS,
        (0x11, 0) => FmsubS,
        (0x12, 0) => FnmsubS,
        (0x13, 0) => FnmaddS,
        (0x10, 1) => FmaddD,
        (0x11, 1) => FmsubD,
        (0x12, 1) => FnmsubD,
        (0x13, 1) => FnmaddD,
        _ => return None,
    };
    Some(Insn {
        rd: reg(raw, 7),
        rs1: reg(raw, 15),
        rs2: reg(raw, 20),
        rs3: reg(raw, 27),
        rm: bits(raw, 12, 3) as u8,
        ..blank(op, 4)
    })
}

/// The OP-FP major opcode. `funct7` selects the operation and format, and for some ops the
/// `rs2` field (a conversion's source/destination type) or `funct3` (a selector, not a
/// rounding mode) completes it; every other value of those fields is reserved.
fn op_fp(raw: u32) -> Option<Insn> {
    use Op::*;
    let funct3 = bits(raw, 12, 3);
    let rs2 = reg(raw, 20);
    // (op, uses rs2 as a source register, funct3 is the rounding mode)
    let (op, two_sources, has_rm) = match (bits(raw, 25, 7), rs2, funct3) {
        (0x00, _, _) => (FaddS, true, true),
        (0x01, _, _) => (FaddD, true, true),
        (0x04, _, _) => (FsubS, true, true),
        (0x05, _, _) => (FsubD, true, true),
        (0x08, _, _) => (FmulS, true, true),
        (0x09, _, _) => (FmulD, true, true),
        (0x0c, _, _) => (FdivS, true, true),
        (0x0d, _, _) => (FdivD, true, true),
        (0x2c, 0, _) => (FsqrtS, false, true),
        (0x2d, 0, _) => (FsqrtD, false, true),
        (0x10, _, 0) => (FsgnjS, true, false),
        (0x10, _, 1) => (FsgnjnS, true, false),
        (0x10, _, 2) => (FsgnjxS, true, false),
        (0x11, _, 0) => (FsgnjD, true, false),
        (0x11, _, 1) => (FsgnjnD, true, false),
        (0x11, _, 2) => (FsgnjxD, true, false),
        (0x14, _, 0) => (FminS, true, false),
        (0x14, _, 1) => (FmaxS, true, false),
        (0x15, _, 0) => (FminD, true, false),
        (0x15, _, 1) => (FmaxD, true, false),
        (0x20, 1, _) => (FcvtSD, false, true),
        (0x21, 0, _) => (FcvtDS, false, true),
        (0x50, _, 2) => (FeqS, true, false),
        (0x50, _, 1) => (FltS, true, false),
        (0x50, _, 0) => (FleS, true, false),
        (0x51, _, 2) => (FeqD, true, false),
        (0x51, _, 1) => (FltD, true, false),
        (0x51, _, 0) => (FleD, true, false),
        (0x60, 0, _) => (FcvtWS, false, true),
        (0x60, 1, _) => (FcvtWuS, false, true),
        (0x60, 2, _) => (FcvtLS, false, true),
        (0x60, 3, _) => (FcvtLuS, false, true),
        (0x61, 0, _) => (FcvtWD, false, true),
        (0x61, 1, _) => (FcvtWuD, false, true),
        (0x61, 2, _) => (FcvtLD, false, true),
        (0x61, 3, _) => (FcvtLuD, false, true),
        (0x68, 0, _) => (FcvtSW, false, true),
        (0x68, 1, _) => (FcvtSWu, false, true),
        (0x68, 2, _) => (FcvtSL, false, true),
        (0x68, 3, _) => (FcvtSLu, false, true),
        (0x69, 0, _) => (FcvtDW, false, true),
        (0x69, 1, _) => (FcvtDWu, false, true),
        (0x69, 2, _) => (FcvtDL, false, true),
        (0x69, 3, _) => (FcvtDLu, false, true),
        (0x70, 0, 0) => (FmvXW, false, false),
        (0x70, 0, 1) => (FclassS, false, false),
        (0x71, 0, 0) => (FmvXD, false, false),
        (0x71, 0, 1) => (FclassD, false, false),
        (0x78, 0, 0) => (FmvWX, false, false),
        (0x79, 0, 0) => (FmvDX, false, false),
        _ => return None,
    };
    let rd = reg(raw, 7);
    Some(Insn {
        rd: if op.fp_writes_int() { xd(rd) } else { rd },
        rs1: reg(raw, 15),
        rs2: if two_sources { rs2 } else { 0 },
        rm: if has_rm { funct3 as u8 } else { 0 },
        ..blank(op, 4)
    })
}

// ---------------------------------------------------------------------------------------------
// Compressed instructions
// ---------------------------------------------------------------------------------------------

/// A 3-bit compressed register field (`rd'`, `rs1'`, `rs2'`) starting at bit `lo`: x8..x15.
fn creg(raw: u32, lo: u32) -> u8 {
    8 + bits(raw, lo, 3) as u8
}

/// `bits(raw, lo, n)` placed at bit `at` of an immediate.
fn place(raw: u32, lo: u32, n: u32, at: u32) -> u32 {
    bits(raw, lo, n) << at
}

/// CI-format 6-bit immediate: imm[5] = bit 12, imm[4:0] = bits 6:2 (unsigned).
fn ci_imm6(raw: u32) -> u32 {
    place(raw, 12, 1, 5) | bits(raw, 2, 5)
}

/// C.LD/C.SD/C.FLD/C.FSD offset: uimm[5:3] = bits 12:10, uimm[7:6] = bits 6:5.
fn cl_uimm_d(raw: u32) -> i32 {
    (place(raw, 10, 3, 3) | place(raw, 5, 2, 6)) as i32
}

/// C.LW/C.SW offset: uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5.
fn cl_uimm_w(raw: u32) -> i32 {
    (place(raw, 10, 3, 3) | place(raw, 6, 1, 2) | place(raw, 5, 1, 6)) as i32
}

/// C.J offset: imm[11|4|9:8|10|6|7|3:1|5] = bits 12..2.
fn cj_imm(raw: u32) -> i32 {
    let v = place(raw, 12, 1, 11)
        | place(raw, 11, 1, 4)
        | place(raw, 9, 2, 8)
        | place(raw, 8, 1, 10)
        | place(raw, 7, 1, 6)
        | place(raw, 6, 1, 7)
        | place(raw, 3, 3, 1)
        | place(raw, 2, 1, 5);
    sext(v, 12)
}

/// C.BEQZ/C.BNEZ offset: imm[8|4:3] = bits 12:10, imm[7:6|2:1|5] = bits 6:2.
fn cb_imm(raw: u32) -> i32 {
    let v = place(raw, 12, 1, 8)
        | place(raw, 10, 2, 3)
        | place(raw, 5, 2, 6)
        | place(raw, 3, 2, 1)
        | place(raw, 2, 1, 5);
    sext(v, 9)
}

fn decode16(raw: u32) -> Option<Insn> {
    match (raw & 3, bits(raw, 13, 3)) {
        (0, f) => quadrant0(raw, f),
        (1, f) => quadrant1(raw, f),
        (_, f) => quadrant2(raw, f),
    }
}

/// A compressed instruction expanding to `op rd, rs1, imm`.
fn ci(op: Op, rd: u8, rs1: u8, imm: i32) -> Insn {
    Insn {
        rd,
        rs1,
        imm,
        ..blank(op, 2)
    }
}

/// A compressed instruction expanding to `op rd, rs1, rs2`.
fn cr(op: Op, rd: u8, rs1: u8, rs2: u8) -> Insn {
    Insn {
        rd,
        rs1,
        rs2,
        ..blank(op, 2)
    }
}

/// A compressed store of `rs2` to `imm(rs1)`.
fn cs(op: Op, rs1: u8, rs2: u8, imm: i32) -> Insn {
    Insn {
        rs1,
        rs2,
        imm,
        ..blank(op, 2)
    }
}

fn quadrant0(raw: u32, funct3: u32) -> Option<Insn> {
    use Op::*;
    let (rd, rs1) = (creg(raw, 2), creg(raw, 7));
    Some(match funct3 {
        0 => {
            // C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = bits 12:5. nzuimm = 0 is reserved (this
            // includes the all-zero halfword, which is defined illegal).
            let imm = place(raw, 11, 2, 4)
                | place(raw, 7, 4, 6)
                | place(raw, 6, 1, 2)
                | place(raw, 5, 1, 3);
            if imm == 0 {
                return None;
            }
            ci(Addi, rd, 2, imm as i32)
        }
        1 => ci(Fld, rd, rs1, cl_uimm_d(raw)),
        2 => ci(Lw, rd, rs1, cl_uimm_w(raw)),
        3 => ci(Ld, rd, rs1, cl_uimm_d(raw)),
        5 => cs(Fsd, rs1, rd, cl_uimm_d(raw)),
        6 => cs(Sw, rs1, rd, cl_uimm_w(raw)),
        7 => cs(Sd, rs1, rd, cl_uimm_d(raw)),
        _ => return None,
    })
}

fn quadrant1(raw: u32, funct3: u32) -> Option<Insn> {
    use Op::*;
    let r = reg(raw, 7);
    let imm = sext(ci_imm6(raw), 6);
    Some(match funct3 {
        // C.NOP / C.ADDI (rd = 0 or imm = 0 are HINTs).
        0 => ci(Addi, xd(r), r, imm),
        // C.ADDIW: rd = 0 is reserved.
        1 if r == 0 => return None,
        1 => ci(Addiw, r, r, imm),
        // C.LI (rd = 0 is a HINT).
        2 => ci(Addi, xd(r), 0, imm),
        // C.ADDI16SP: nzimm[9] = bit 12, nzimm[4|6|8:7|5] = bits 6:2; nzimm = 0 is reserved.
        3 if r == 2 => {
            let v = place(raw, 12, 1, 9)
                | place(raw, 6, 1, 4)
                | place(raw, 5, 1, 6)
                | place(raw, 3, 2, 7)
                | place(raw, 2, 1, 5);
            if v == 0 {
                return None;
            }
            ci(Addi, 2, 2, sext(v, 10))
        }
        // C.LUI: nzimm[17] = bit 12, nzimm[16:12] = bits 6:2; nzimm = 0 is reserved, rd = 0
        // is a HINT.
        3 if imm == 0 => return None,
        3 => Insn {
            rd: xd(r),
            imm: imm << 12,
            ..blank(Lui, 2)
        },
        4 => return misc_alu(raw),
        5 => Insn {
            rd: X0_SINK,
            imm: cj_imm(raw),
            ..blank(Jal, 2)
        },
        6 => cs(Beq, creg(raw, 7), 0, cb_imm(raw)),
        _ => cs(Bne, creg(raw, 7), 0, cb_imm(raw)),
    })
}

/// Quadrant 1, funct3 = 100: C.SRLI, C.SRAI, C.ANDI and the register-register group.
fn misc_alu(raw: u32) -> Option<Insn> {
    use Op::*;
    let r = creg(raw, 7);
    let rs2 = creg(raw, 2);
    let uimm = ci_imm6(raw) as i32;
    Some(
        match (bits(raw, 10, 2), bits(raw, 12, 1), bits(raw, 5, 2)) {
            // Shift amount 0 is a HINT on RV64.
            (0, _, _) => ci(Srli, r, r, uimm),
            (1, _, _) => ci(Srai, r, r, uimm),
            (2, _, _) => ci(Andi, r, r, sext(uimm as u32, 6)),
            (3, 0, 0) => cr(Sub, r, r, rs2),
            (3, 0, 1) => cr(Xor, r, r, rs2),
            (3, 0, 2) => cr(Or, r, r, rs2),
            (3, 0, 3) => cr(And, r, r, rs2),
            (3, 1, 0) => cr(Subw, r, r, rs2),
            (3, 1, 1) => cr(Addw, r, r, rs2),
            _ => return None,
        },
    )
}

fn quadrant2(raw: u32, funct3: u32) -> Option<Insn> {
    use Op::*;
    let r = reg(raw, 7);
    let rs2 = reg(raw, 2);
    // C.FLDSP/C.LDSP: uimm[5] = bit 12, uimm[4:3] = bits 6:5, uimm[8:6] = bits 4:2.
    let ldsp = (place(raw, 12, 1, 5) | place(raw, 5, 2, 3) | place(raw, 2, 3, 6)) as i32;
    // C.FSDSP/C.SDSP: uimm[5:3] = bits 12:10, uimm[8:6] = bits 9:7.
    let sdsp = (place(raw, 10, 3, 3) | place(raw, 7, 3, 6)) as i32;
    Some(match funct3 {
        // C.SLLI (rd = 0 or shamt = 0 are HINTs).
        0 => ci(Slli, xd(r), r, ci_imm6(raw) as i32),
        1 => ci(Fld, r, 2, ldsp),
        // C.LWSP: uimm[5] = bit 12, uimm[4:2] = bits 6:4, uimm[7:6] = bits 3:2; rd = 0 is
        // reserved.
        2 if r == 0 => return None,
        2 => ci(
            Lw,
            r,
            2,
            (place(raw, 12, 1, 5) | place(raw, 4, 3, 2) | place(raw, 2, 2, 6)) as i32,
        ),
        3 if r == 0 => return None,
        3 => ci(Ld, r, 2, ldsp),
        4 => match (bits(raw, 12, 1), r, rs2) {
            // C.JR: rs1 = 0 is reserved.
            (0, 0, 0) => return None,
            (0, _, 0) => ci(Jalr, X0_SINK, r, 0),
            // C.MV (rd = 0 is a HINT).
            (0, _, _) => cr(Add, xd(r), 0, rs2),
            (_, 0, 0) => blank(Ebreak, 2),
            (_, _, 0) => ci(Jalr, 1, r, 0),
            // C.ADD (rd = 0 is a HINT).
            _ => cr(Add, xd(r), r, rs2),
        },
        5 => cs(Fsd, 2, rs2, sdsp),
        // C.SWSP: uimm[5:2] = bits 12:9, uimm[7:6] = bits 8:7.
        6 => cs(
            Sw,
            2,
            rs2,
            (place(raw, 9, 4, 2) | place(raw, 7, 2, 6)) as i32,
        ),
        _ => cs(Sd, 2, rs2, sdsp),
    })
}

#[cfg(test)]
mod tests {
    //! Expected encodings were produced by GNU as (`riscv64-unknown-elf-as -march=rv64gc`) and
    //! the expected text by `riscv64-unknown-elf-objdump -d -M no-aliases` (binutils 2.40);
    //! the expected fields were written down from the assembler source, not from this decoder.

    use super::*;
    use core::fmt::Write;
    use Op::*;

    /// `(encoding, assembler source, op, [rd, rs1, rs2, rs3, rm], imm)`, all 32-bit.
    #[rustfmt::skip]
    const CASES32: &[(u32, &str, Op, [u8; 5], i32)] = &[
        (0xffffffb7, "lui x31, 0xfffff", Lui, [31, 0, 0, 0, 0], -4096),
        (0x80000037, "lui x0, 0x80000", Lui, [32, 0, 0, 0, 0], -2147483648),
        (0x7ffff097, "auipc x1, 0x7ffff", Auipc, [1, 0, 0, 0, 0], 2147479552),
        (0x7ffff0ef, "jal x1, .+0xffffe", Jal, [1, 0, 0, 0, 0], 1048574),
        (0x8000006f, "jal x0, .-0x100000", Jal, [32, 0, 0, 0, 0], -1048576),
        (0x800f8067, "jalr x0, -2048(x31)", Jalr, [32, 31, 0, 0, 0], -2048),
        (0x7ff082e7, "jalr x5, 2047(x1)", Jalr, [5, 1, 0, 0, 0], 2047),
        (0x801f8063, "beq x31, x1, .-4096", Beq, [0, 31, 1, 0, 0], -4096),
        (0x801f9063, "bne x31, x1, .-4096", Bne, [0, 31, 1, 0, 0], -4096),
        (0x801fc063, "blt x31, x1, .-4096", Blt, [0, 31, 1, 0, 0], -4096),
        (0x801fd063, "bge x31, x1, .-4096", Bge, [0, 31, 1, 0, 0], -4096),
        (0x801fe063, "bltu x31, x1, .-4096", Bltu, [0, 31, 1, 0, 0], -4096),
        (0x801ff063, "bgeu x31, x1, .-4096", Bgeu, [0, 31, 1, 0, 0], -4096),
        (0x7ff00fe3, "beq x0, x31, .+4094", Beq, [0, 0, 31, 0, 0], 4094),
        (0x008390e3, "bne x7, x8, .+0x800", Bne, [0, 7, 8, 0, 0], 2048),
        (0x800f8483, "lb x9, -2048(x31)", Lb, [9, 31, 0, 0, 0], -2048),
        (0x7fff9483, "lh x9, 2047(x31)", Lh, [9, 31, 0, 0, 0], 2047),
        (0xffffa483, "lw x9, -1(x31)", Lw, [9, 31, 0, 0, 0], -1),
        (0x008fb483, "ld x9, 8(x31)", Ld, [9, 31, 0, 0, 0], 8),
        (0x800fc483, "lbu x9, -2048(x31)", Lbu, [9, 31, 0, 0, 0], -2048),
        (0x001fd483, "lhu x9, 1(x31)", Lhu, [9, 31, 0, 0, 0], 1),
        (0x7fffe483, "lwu x9, 2047(x31)", Lwu, [9, 31, 0, 0, 0], 2047),
        (0x01013003, "ld x0, 16(x2)", Ld, [32, 2, 0, 0, 0], 16),
        (0x81f10023, "sb x31, -2048(x2)", Sb, [0, 2, 31, 0, 0], -2048),
        (0x7ff11fa3, "sh x31, 2047(x2)", Sh, [0, 2, 31, 0, 0], 2047),
        (0xfff12fa3, "sw x31, -1(x2)", Sw, [0, 2, 31, 0, 0], -1),
        (0xfff13023, "sd x31, -32(x2)", Sd, [0, 2, 31, 0, 0], -32),
        (0x800e8f13, "addi x30, x29, -2048", Addi, [30, 29, 0, 0, 0], -2048),
        (0x800eaf13, "slti x30, x29, -2048", Slti, [30, 29, 0, 0, 0], -2048),
        (0x800ebf13, "sltiu x30, x29, -2048", Sltiu, [30, 29, 0, 0, 0], -2048),
        (0x800ecf13, "xori x30, x29, -2048", Xori, [30, 29, 0, 0, 0], -2048),
        (0x800eef13, "ori x30, x29, -2048", Ori, [30, 29, 0, 0, 0], -2048),
        (0x800eff13, "andi x30, x29, -2048", Andi, [30, 29, 0, 0, 0], -2048),
        (0x800e8f1b, "addiw x30, x29, -2048", Addiw, [30, 29, 0, 0, 0], -2048),
        (0x00000013, "addi x0, x0, 0", Addi, [32, 0, 0, 0, 0], 0),
        (0x7ff23193, "sltiu x3, x4, 2047", Sltiu, [3, 4, 0, 0, 0], 2047),
        (0xffffc013, "xori x0, x31, -1", Xori, [32, 31, 0, 0, 0], -1),
        (0x03f09f93, "slli x31, x1, 63", Slli, [31, 1, 0, 0, 0], 63),
        (0x03f0df93, "srli x31, x1, 63", Srli, [31, 1, 0, 0, 0], 63),
        (0x43f0df93, "srai x31, x1, 63", Srai, [31, 1, 0, 0, 0], 63),
        (0x01f09f9b, "slliw x31, x1, 31", Slliw, [31, 1, 0, 0, 0], 31),
        (0x01f0df9b, "srliw x31, x1, 31", Srliw, [31, 1, 0, 0, 0], 31),
        (0x41f0df9b, "sraiw x31, x1, 31", Sraiw, [31, 1, 0, 0, 0], 31),
        (0x4202d013, "srai x0, x5, 32", Srai, [32, 5, 0, 0, 0], 32),
        (0x0003d313, "srli x6, x7, 0", Srli, [6, 7, 0, 0, 0], 0),
        (0x4103d31b, "sraiw x6, x7, 16", Sraiw, [6, 7, 0, 0, 0], 16),
        (0x00388fb3, "add x31, x17, x3", Add, [31, 17, 3, 0, 0], 0),
        (0x40388fb3, "sub x31, x17, x3", Sub, [31, 17, 3, 0, 0], 0),
        (0x00389fb3, "sll x31, x17, x3", Sll, [31, 17, 3, 0, 0], 0),
        (0x0038afb3, "slt x31, x17, x3", Slt, [31, 17, 3, 0, 0], 0),
        (0x0038bfb3, "sltu x31, x17, x3", Sltu, [31, 17, 3, 0, 0], 0),
        (0x0038cfb3, "xor x31, x17, x3", Xor, [31, 17, 3, 0, 0], 0),
        (0x0038dfb3, "srl x31, x17, x3", Srl, [31, 17, 3, 0, 0], 0),
        (0x4038dfb3, "sra x31, x17, x3", Sra, [31, 17, 3, 0, 0], 0),
        (0x0038efb3, "or x31, x17, x3", Or, [31, 17, 3, 0, 0], 0),
        (0x0038ffb3, "and x31, x17, x3", And, [31, 17, 3, 0, 0], 0),
        (0x00388fbb, "addw x31, x17, x3", Addw, [31, 17, 3, 0, 0], 0),
        (0x40388fbb, "subw x31, x17, x3", Subw, [31, 17, 3, 0, 0], 0),
        (0x00389fbb, "sllw x31, x17, x3", Sllw, [31, 17, 3, 0, 0], 0),
        (0x0038dfbb, "srlw x31, x17, x3", Srlw, [31, 17, 3, 0, 0], 0),
        (0x4038dfbb, "sraw x31, x17, x3", Sraw, [31, 17, 3, 0, 0], 0),
        (0x02388fb3, "mul x31, x17, x3", Mul, [31, 17, 3, 0, 0], 0),
        (0x02389fb3, "mulh x31, x17, x3", Mulh, [31, 17, 3, 0, 0], 0),
        (0x0238afb3, "mulhsu x31, x17, x3", Mulhsu, [31, 17, 3, 0, 0], 0),
        (0x0238bfb3, "mulhu x31, x17, x3", Mulhu, [31, 17, 3, 0, 0], 0),
        (0x0238cfb3, "div x31, x17, x3", Div, [31, 17, 3, 0, 0], 0),
        (0x0238dfb3, "divu x31, x17, x3", Divu, [31, 17, 3, 0, 0], 0),
        (0x0238efb3, "rem x31, x17, x3", Rem, [31, 17, 3, 0, 0], 0),
        (0x0238ffb3, "remu x31, x17, x3", Remu, [31, 17, 3, 0, 0], 0),
        (0x02388fbb, "mulw x31, x17, x3", Mulw, [31, 17, 3, 0, 0], 0),
        (0x0238cfbb, "divw x31, x17, x3", Divw, [31, 17, 3, 0, 0], 0),
        (0x0238dfbb, "divuw x31, x17, x3", Divuw, [31, 17, 3, 0, 0], 0),
        (0x0238efbb, "remw x31, x17, x3", Remw, [31, 17, 3, 0, 0], 0),
        (0x0238ffbb, "remuw x31, x17, x3", Remuw, [31, 17, 3, 0, 0], 0),
        (0x40208033, "sub x0, x1, x2", Sub, [32, 1, 2, 0, 0], 0),
        (0x03eff03b, "remuw x0, x31, x30", Remuw, [32, 31, 30, 0, 0], 0),
        (0x0ff0000f, "fence", Fence, [0, 0, 0, 0, 0], 255),
        (0x8330000f, "fence.tso", Fence, [0, 0, 0, 0, 0], 2099),
        (0x0210000f, "fence r, w", Fence, [0, 0, 0, 0, 0], 33),
        (0x0000100f, "fence.i", FenceI, [0, 0, 0, 0, 0], 0),
        (0x00000073, "ecall", Ecall, [0, 0, 0, 0, 0], 0),
        (0x00100073, "ebreak", Ebreak, [0, 0, 0, 0, 0], 0),
        (0x30200073, "mret", Mret, [0, 0, 0, 0, 0], 0),
        (0x10200073, "sret", Sret, [0, 0, 0, 0, 0], 0),
        (0x10500073, "wfi", Wfi, [0, 0, 0, 0, 0], 0),
        (0x131f8073, "sfence.vma x31, x17", SfenceVma, [0, 31, 17, 0, 0], 0),
        (0x12000073, "sfence.vma", SfenceVma, [0, 0, 0, 0, 0], 0),
        (0x100f2faf, "lr.w x31, (x30)", LrW, [31, 30, 0, 0, 0], 0),
        (0x1600a02f, "lr.w.aqrl x0, (x1)", LrW, [32, 1, 0, 0, 3], 0),
        (0x1df322af, "sc.w.aq x5, x31, (x6)", ScW, [5, 6, 31, 0, 2], 0),
        (0x0a2f2faf, "amoswap.w.rl x31, x2, (x30)", AmoswapW, [31, 30, 2, 0, 1], 0),
        (0x022f2faf, "amoadd.w.rl x31, x2, (x30)", AmoaddW, [31, 30, 2, 0, 1], 0),
        (0x222f2faf, "amoxor.w.rl x31, x2, (x30)", AmoxorW, [31, 30, 2, 0, 1], 0),
        (0x622f2faf, "amoand.w.rl x31, x2, (x30)", AmoandW, [31, 30, 2, 0, 1], 0),
        (0x422f2faf, "amoor.w.rl x31, x2, (x30)", AmoorW, [31, 30, 2, 0, 1], 0),
        (0x822f2faf, "amomin.w.rl x31, x2, (x30)", AmominW, [31, 30, 2, 0, 1], 0),
        (0xa22f2faf, "amomax.w.rl x31, x2, (x30)", AmomaxW, [31, 30, 2, 0, 1], 0),
        (0xc22f2faf, "amominu.w.rl x31, x2, (x30)", AmominuW, [31, 30, 2, 0, 1], 0),
        (0xe22f2faf, "amomaxu.w.rl x31, x2, (x30)", AmomaxuW, [31, 30, 2, 0, 1], 0),
        (0x0011202f, "amoadd.w x0, x1, (x2)", AmoaddW, [32, 2, 1, 0, 0], 0),
        (0x100f3faf, "lr.d x31, (x30)", LrD, [31, 30, 0, 0, 0], 0),
        (0x1600b02f, "lr.d.aqrl x0, (x1)", LrD, [32, 1, 0, 0, 3], 0),
        (0x1df332af, "sc.d.aq x5, x31, (x6)", ScD, [5, 6, 31, 0, 2], 0),
        (0x0a2f3faf, "amoswap.d.rl x31, x2, (x30)", AmoswapD, [31, 30, 2, 0, 1], 0),
        (0x022f3faf, "amoadd.d.rl x31, x2, (x30)", AmoaddD, [31, 30, 2, 0, 1], 0),
        (0x222f3faf, "amoxor.d.rl x31, x2, (x30)", AmoxorD, [31, 30, 2, 0, 1], 0),
        (0x622f3faf, "amoand.d.rl x31, x2, (x30)", AmoandD, [31, 30, 2, 0, 1], 0),
        (0x422f3faf, "amoor.d.rl x31, x2, (x30)", AmoorD, [31, 30, 2, 0, 1], 0),
        (0x822f3faf, "amomin.d.rl x31, x2, (x30)", AmominD, [31, 30, 2, 0, 1], 0),
        (0xa22f3faf, "amomax.d.rl x31, x2, (x30)", AmomaxD, [31, 30, 2, 0, 1], 0),
        (0xc22f3faf, "amominu.d.rl x31, x2, (x30)", AmominuD, [31, 30, 2, 0, 1], 0),
        (0xe22f3faf, "amomaxu.d.rl x31, x2, (x30)", AmomaxuD, [31, 30, 2, 0, 1], 0),
        (0x0011302f, "amoadd.d x0, x1, (x2)", AmoaddD, [32, 2, 1, 0, 0], 0),
        (0xffff1ff3, "csrrw x31, 0xfff, x30", Csrrw, [31, 30, 0, 0, 0], 4095),
        (0x30001073, "csrrw x0, 0x300, x0", Csrrw, [32, 0, 0, 0, 0], 768),
        (0xffff2ff3, "csrrs x31, 0xfff, x30", Csrrs, [31, 30, 0, 0, 0], 4095),
        (0x30002073, "csrrs x0, 0x300, x0", Csrrs, [32, 0, 0, 0, 0], 768),
        (0xffff3ff3, "csrrc x31, 0xfff, x30", Csrrc, [31, 30, 0, 0, 0], 4095),
        (0x30003073, "csrrc x0, 0x300, x0", Csrrc, [32, 0, 0, 0, 0], 768),
        (0x800fdff3, "csrrwi x31, 0x800, 31", Csrrwi, [31, 31, 0, 0, 0], 2048),
        (0x00105073, "csrrwi x0, 0x001, 0", Csrrwi, [32, 0, 0, 0, 0], 1),
        (0x800feff3, "csrrsi x31, 0x800, 31", Csrrsi, [31, 31, 0, 0, 0], 2048),
        (0x00106073, "csrrsi x0, 0x001, 0", Csrrsi, [32, 0, 0, 0, 0], 1),
        (0x800ffff3, "csrrci x31, 0x800, 31", Csrrci, [31, 31, 0, 0, 0], 2048),
        (0x00107073, "csrrci x0, 0x001, 0", Csrrci, [32, 0, 0, 0, 0], 1),
        (0x800fa007, "flw f0, -2048(x31)", Flw, [0, 31, 0, 0, 0], -2048),
        (0x7ff02fa7, "fsw f31, 2047(x0)", Fsw, [0, 0, 31, 0, 0], 2047),
        (0xf0208fc3, "fmadd.s f31, f1, f2, f30, rne", FmaddS, [31, 1, 2, 30, 0], 0),
        (0xf80fb043, "fmadd.s f0, f31, f0, f31, rup", FmaddS, [0, 31, 0, 31, 3], 0),
        (0xf020cfc7, "fmsub.s f31, f1, f2, f30, rmm", FmsubS, [31, 1, 2, 30, 4], 0),
        (0xf80fa047, "fmsub.s f0, f31, f0, f31, rdn", FmsubS, [0, 31, 0, 31, 2], 0),
        (0xf020ffcb, "fnmsub.s f31, f1, f2, f30, dyn", FnmsubS, [31, 1, 2, 30, 7], 0),
        (0xf80f804b, "fnmsub.s f0, f31, f0, f31, rne", FnmsubS, [0, 31, 0, 31, 0], 0),
        (0xf0209fcf, "fnmadd.s f31, f1, f2, f30, rtz", FnmaddS, [31, 1, 2, 30, 1], 0),
        (0xf80ff04f, "fnmadd.s f0, f31, f0, f31, dyn", FnmaddS, [0, 31, 0, 31, 7], 0),
        (0x011f8053, "fadd.s f0, f31, f17, rne", FaddS, [0, 31, 17, 0, 0], 0),
        (0x00107fd3, "fadd.s f31, f0, f1", FaddS, [31, 0, 1, 0, 7], 0),
        (0x091f9053, "fsub.s f0, f31, f17, rtz", FsubS, [0, 31, 17, 0, 1], 0),
        (0x08107fd3, "fsub.s f31, f0, f1", FsubS, [31, 0, 1, 0, 7], 0),
        (0x111fa053, "fmul.s f0, f31, f17, rdn", FmulS, [0, 31, 17, 0, 2], 0),
        (0x10107fd3, "fmul.s f31, f0, f1", FmulS, [31, 0, 1, 0, 7], 0),
        (0x191fb053, "fdiv.s f0, f31, f17, rup", FdivS, [0, 31, 17, 0, 3], 0),
        (0x18107fd3, "fdiv.s f31, f0, f1", FdivS, [31, 0, 1, 0, 7], 0),
        (0x5800cfd3, "fsqrt.s f31, f1, rmm", FsqrtS, [31, 1, 0, 0, 4], 0),
        (0x21ef8053, "fsgnj.s f0, f31, f30", FsgnjS, [0, 31, 30, 0, 0], 0),
        (0x21ef9053, "fsgnjn.s f0, f31, f30", FsgnjnS, [0, 31, 30, 0, 0], 0),
        (0x21efa053, "fsgnjx.s f0, f31, f30", FsgnjxS, [0, 31, 30, 0, 0], 0),
        (0x29ef8053, "fmin.s f0, f31, f30", FminS, [0, 31, 30, 0, 0], 0),
        (0x29ef9053, "fmax.s f0, f31, f30", FmaxS, [0, 31, 30, 0, 0], 0),
        (0xa1df2fd3, "feq.s x31, f30, f29", FeqS, [31, 30, 29, 0, 0], 0),
        (0xa0102053, "feq.s x0, f0, f1", FeqS, [32, 0, 1, 0, 0], 0),
        (0xa1df1fd3, "flt.s x31, f30, f29", FltS, [31, 30, 29, 0, 0], 0),
        (0xa0101053, "flt.s x0, f0, f1", FltS, [32, 0, 1, 0, 0], 0),
        (0xa1df0fd3, "fle.s x31, f30, f29", FleS, [31, 30, 29, 0, 0], 0),
        (0xa0100053, "fle.s x0, f0, f1", FleS, [32, 0, 1, 0, 0], 0),
        (0xc00f1fd3, "fcvt.w.s x31, f30, rtz", FcvtWS, [31, 30, 0, 0, 1], 0),
        (0xc0007053, "fcvt.w.s x0, f0", FcvtWS, [32, 0, 0, 0, 7], 0),
        (0xd00fb053, "fcvt.s.w f0, x31, rup", FcvtSW, [0, 31, 0, 0, 3], 0),
        (0xc01f1fd3, "fcvt.wu.s x31, f30, rtz", FcvtWuS, [31, 30, 0, 0, 1], 0),
        (0xc0107053, "fcvt.wu.s x0, f0", FcvtWuS, [32, 0, 0, 0, 7], 0),
        (0xd01fb053, "fcvt.s.wu f0, x31, rup", FcvtSWu, [0, 31, 0, 0, 3], 0),
        (0xc02f1fd3, "fcvt.l.s x31, f30, rtz", FcvtLS, [31, 30, 0, 0, 1], 0),
        (0xc0207053, "fcvt.l.s x0, f0", FcvtLS, [32, 0, 0, 0, 7], 0),
        (0xd02fb053, "fcvt.s.l f0, x31, rup", FcvtSL, [0, 31, 0, 0, 3], 0),
        (0xc03f1fd3, "fcvt.lu.s x31, f30, rtz", FcvtLuS, [31, 30, 0, 0, 1], 0),
        (0xc0307053, "fcvt.lu.s x0, f0", FcvtLuS, [32, 0, 0, 0, 7], 0),
        (0xd03fb053, "fcvt.s.lu f0, x31, rup", FcvtSLu, [0, 31, 0, 0, 3], 0),
        (0xe00f1fd3, "fclass.s x31, f30", FclassS, [31, 30, 0, 0, 0], 0),
        (0xe0009053, "fclass.s x0, f1", FclassS, [32, 1, 0, 0, 0], 0),
        (0x800fb007, "fld f0, -2048(x31)", Fld, [0, 31, 0, 0, 0], -2048),
        (0x7ff03fa7, "fsd f31, 2047(x0)", Fsd, [0, 0, 31, 0, 0], 2047),
        (0xf2208fc3, "fmadd.d f31, f1, f2, f30, rne", FmaddD, [31, 1, 2, 30, 0], 0),
        (0xfa0fb043, "fmadd.d f0, f31, f0, f31, rup", FmaddD, [0, 31, 0, 31, 3], 0),
        (0xf220cfc7, "fmsub.d f31, f1, f2, f30, rmm", FmsubD, [31, 1, 2, 30, 4], 0),
        (0xfa0fa047, "fmsub.d f0, f31, f0, f31, rdn", FmsubD, [0, 31, 0, 31, 2], 0),
        (0xf220ffcb, "fnmsub.d f31, f1, f2, f30, dyn", FnmsubD, [31, 1, 2, 30, 7], 0),
        (0xfa0f804b, "fnmsub.d f0, f31, f0, f31, rne", FnmsubD, [0, 31, 0, 31, 0], 0),
        (0xf2209fcf, "fnmadd.d f31, f1, f2, f30, rtz", FnmaddD, [31, 1, 2, 30, 1], 0),
        (0xfa0ff04f, "fnmadd.d f0, f31, f0, f31, dyn", FnmaddD, [0, 31, 0, 31, 7], 0),
        (0x031f8053, "fadd.d f0, f31, f17, rne", FaddD, [0, 31, 17, 0, 0], 0),
        (0x02107fd3, "fadd.d f31, f0, f1", FaddD, [31, 0, 1, 0, 7], 0),
        (0x0b1f9053, "fsub.d f0, f31, f17, rtz", FsubD, [0, 31, 17, 0, 1], 0),
        (0x0a107fd3, "fsub.d f31, f0, f1", FsubD, [31, 0, 1, 0, 7], 0),
        (0x131fa053, "fmul.d f0, f31, f17, rdn", FmulD, [0, 31, 17, 0, 2], 0),
        (0x12107fd3, "fmul.d f31, f0, f1", FmulD, [31, 0, 1, 0, 7], 0),
        (0x1b1fb053, "fdiv.d f0, f31, f17, rup", FdivD, [0, 31, 17, 0, 3], 0),
        (0x1a107fd3, "fdiv.d f31, f0, f1", FdivD, [31, 0, 1, 0, 7], 0),
        (0x5a00cfd3, "fsqrt.d f31, f1, rmm", FsqrtD, [31, 1, 0, 0, 4], 0),
        (0x23ef8053, "fsgnj.d f0, f31, f30", FsgnjD, [0, 31, 30, 0, 0], 0),
        (0x23ef9053, "fsgnjn.d f0, f31, f30", FsgnjnD, [0, 31, 30, 0, 0], 0),
        (0x23efa053, "fsgnjx.d f0, f31, f30", FsgnjxD, [0, 31, 30, 0, 0], 0),
        (0x2bef8053, "fmin.d f0, f31, f30", FminD, [0, 31, 30, 0, 0], 0),
        (0x2bef9053, "fmax.d f0, f31, f30", FmaxD, [0, 31, 30, 0, 0], 0),
        (0xa3df2fd3, "feq.d x31, f30, f29", FeqD, [31, 30, 29, 0, 0], 0),
        (0xa2102053, "feq.d x0, f0, f1", FeqD, [32, 0, 1, 0, 0], 0),
        (0xa3df1fd3, "flt.d x31, f30, f29", FltD, [31, 30, 29, 0, 0], 0),
        (0xa2101053, "flt.d x0, f0, f1", FltD, [32, 0, 1, 0, 0], 0),
        (0xa3df0fd3, "fle.d x31, f30, f29", FleD, [31, 30, 29, 0, 0], 0),
        (0xa2100053, "fle.d x0, f0, f1", FleD, [32, 0, 1, 0, 0], 0),
        (0xc20f1fd3, "fcvt.w.d x31, f30, rtz", FcvtWD, [31, 30, 0, 0, 1], 0),
        (0xc2007053, "fcvt.w.d x0, f0", FcvtWD, [32, 0, 0, 0, 7], 0),
        (0xd20f8053, "fcvt.d.w f0, x31", FcvtDW, [0, 31, 0, 0, 0], 0),
        (0xc21f1fd3, "fcvt.wu.d x31, f30, rtz", FcvtWuD, [31, 30, 0, 0, 1], 0),
        (0xc2107053, "fcvt.wu.d x0, f0", FcvtWuD, [32, 0, 0, 0, 7], 0),
        (0xd21f8053, "fcvt.d.wu f0, x31", FcvtDWu, [0, 31, 0, 0, 0], 0),
        (0xc22f1fd3, "fcvt.l.d x31, f30, rtz", FcvtLD, [31, 30, 0, 0, 1], 0),
        (0xc2207053, "fcvt.l.d x0, f0", FcvtLD, [32, 0, 0, 0, 7], 0),
        (0xd22fb053, "fcvt.d.l f0, x31, rup", FcvtDL, [0, 31, 0, 0, 3], 0),
        (0xc23f1fd3, "fcvt.lu.d x31, f30, rtz", FcvtLuD, [31, 30, 0, 0, 1], 0),
        (0xc2307053, "fcvt.lu.d x0, f0", FcvtLuD, [32, 0, 0, 0, 7], 0),
        (0xd23fb053, "fcvt.d.lu f0, x31, rup", FcvtDLu, [0, 31, 0, 0, 3], 0),
        (0xe20f1fd3, "fclass.d x31, f30", FclassD, [31, 30, 0, 0, 0], 0),
        (0xe2009053, "fclass.d x0, f1", FclassD, [32, 1, 0, 0, 0], 0),
        (0xe00f0fd3, "fmv.x.w x31, f30", FmvXW, [31, 30, 0, 0, 0], 0),
        (0xe0008053, "fmv.x.w x0, f1", FmvXW, [32, 1, 0, 0, 0], 0),
        (0xe20f0fd3, "fmv.x.d x31, f30", FmvXD, [31, 30, 0, 0, 0], 0),
        (0xe2008053, "fmv.x.d x0, f1", FmvXD, [32, 1, 0, 0, 0], 0),
        (0xf00f8053, "fmv.w.x f0, x31", FmvWX, [0, 31, 0, 0, 0], 0),
        (0xf2000fd3, "fmv.d.x f31, x0", FmvDX, [31, 0, 0, 0, 0], 0),
        (0x40102fd3, "fcvt.s.d f31, f0, rdn", FcvtSD, [31, 0, 0, 0, 2], 0),
        (0x420f8053, "fcvt.d.s f0, f31", FcvtDS, [0, 31, 0, 0, 0], 0),
    ];

    /// `(encoding, assembler source, op, [rd, rs1, rs2], imm)`, all compressed.
    #[rustfmt::skip]
    const CASES16: &[(u32, &str, Op, [u8; 3], i32)] = &[
        (0x0050, "c.addi4spn x12, sp, 4", Addi, [12, 2, 0], 4),
        (0x0020, "c.addi4spn x8, sp, 8", Addi, [8, 2, 0], 8),
        (0x0800, "c.addi4spn x8, sp, 16", Addi, [8, 2, 0], 16),
        (0x1000, "c.addi4spn x8, sp, 32", Addi, [8, 2, 0], 32),
        (0x0080, "c.addi4spn x8, sp, 64", Addi, [8, 2, 0], 64),
        (0x0100, "c.addi4spn x8, sp, 128", Addi, [8, 2, 0], 128),
        (0x0200, "c.addi4spn x8, sp, 256", Addi, [8, 2, 0], 256),
        (0x0400, "c.addi4spn x8, sp, 512", Addi, [8, 2, 0], 512),
        (0x1ff0, "c.addi4spn x12, sp, 1020", Addi, [12, 2, 0], 1020),
        (0x2780, "c.fld f8, 8(x15)", Fld, [8, 15, 0], 8),
        (0x2b04, "c.fld f9, 16(x14)", Fld, [9, 14, 0], 16),
        (0x3288, "c.fld f10, 32(x13)", Fld, [10, 13, 0], 32),
        (0x222c, "c.fld f11, 64(x12)", Fld, [11, 12, 0], 64),
        (0x21d0, "c.fld f12, 128(x11)", Fld, [12, 11, 0], 128),
        (0x3d74, "c.fld f13, 248(x10)", Fld, [13, 10, 0], 248),
        (0x43c0, "c.lw x8, 4(x15)", Lw, [8, 15, 0], 4),
        (0x4704, "c.lw x9, 8(x14)", Lw, [9, 14, 0], 8),
        (0x4a88, "c.lw x10, 16(x13)", Lw, [10, 13, 0], 16),
        (0x520c, "c.lw x11, 32(x12)", Lw, [11, 12, 0], 32),
        (0x41b0, "c.lw x12, 64(x11)", Lw, [12, 11, 0], 64),
        (0x5d74, "c.lw x13, 124(x10)", Lw, [13, 10, 0], 124),
        (0x6780, "c.ld x8, 8(x15)", Ld, [8, 15, 0], 8),
        (0x6b04, "c.ld x9, 16(x14)", Ld, [9, 14, 0], 16),
        (0x7288, "c.ld x10, 32(x13)", Ld, [10, 13, 0], 32),
        (0x622c, "c.ld x11, 64(x12)", Ld, [11, 12, 0], 64),
        (0x61d0, "c.ld x12, 128(x11)", Ld, [12, 11, 0], 128),
        (0x7d74, "c.ld x13, 248(x10)", Ld, [13, 10, 0], 248),
        (0xa780, "c.fsd f8, 8(x15)", Fsd, [0, 15, 8], 8),
        (0xab04, "c.fsd f9, 16(x14)", Fsd, [0, 14, 9], 16),
        (0xb288, "c.fsd f10, 32(x13)", Fsd, [0, 13, 10], 32),
        (0xa22c, "c.fsd f11, 64(x12)", Fsd, [0, 12, 11], 64),
        (0xa1d0, "c.fsd f12, 128(x11)", Fsd, [0, 11, 12], 128),
        (0xbd74, "c.fsd f13, 248(x10)", Fsd, [0, 10, 13], 248),
        (0xc3c0, "c.sw x8, 4(x15)", Sw, [0, 15, 8], 4),
        (0xc704, "c.sw x9, 8(x14)", Sw, [0, 14, 9], 8),
        (0xca88, "c.sw x10, 16(x13)", Sw, [0, 13, 10], 16),
        (0xd20c, "c.sw x11, 32(x12)", Sw, [0, 12, 11], 32),
        (0xc1b0, "c.sw x12, 64(x11)", Sw, [0, 11, 12], 64),
        (0xdd74, "c.sw x13, 124(x10)", Sw, [0, 10, 13], 124),
        (0xe780, "c.sd x8, 8(x15)", Sd, [0, 15, 8], 8),
        (0xeb04, "c.sd x9, 16(x14)", Sd, [0, 14, 9], 16),
        (0xf288, "c.sd x10, 32(x13)", Sd, [0, 13, 10], 32),
        (0xe22c, "c.sd x11, 64(x12)", Sd, [0, 12, 11], 64),
        (0xe1d0, "c.sd x12, 128(x11)", Sd, [0, 11, 12], 128),
        (0xfd74, "c.sd x13, 248(x10)", Sd, [0, 10, 13], 248),
        (0x0001, "c.nop", Addi, [32, 0, 0], 0),
        (0x1081, "c.addi x1, -32", Addi, [1, 1, 0], -32),
        (0x0ffd, "c.addi x31, 31", Addi, [31, 31, 0], 31),
        (0x0505, "c.addi x10, 1", Addi, [10, 10, 0], 1),
        (0x0141, "c.addi x2, 16", Addi, [2, 2, 0], 16),
        (0x12fd, "c.addi x5, -1", Addi, [5, 5, 0], -1),
        (0x3081, "c.addiw x1, -32", Addiw, [1, 1, 0], -32),
        (0x2ffd, "c.addiw x31, 31", Addiw, [31, 31, 0], 31),
        (0x2501, "c.addiw x10, 0", Addiw, [10, 10, 0], 0),
        (0x5081, "c.li x1, -32", Addi, [1, 0, 0], -32),
        (0x4ffd, "c.li x31, 31", Addi, [31, 0, 0], 31),
        (0x4501, "c.li x10, 0", Addi, [10, 0, 0], 0),
        (0x7101, "c.addi16sp sp, -512", Addi, [2, 2, 0], -512),
        (0x617d, "c.addi16sp sp, 496", Addi, [2, 2, 0], 496),
        (0x6141, "c.addi16sp sp, 16", Addi, [2, 2, 0], 16),
        (0x6105, "c.addi16sp sp, 32", Addi, [2, 2, 0], 32),
        (0x6121, "c.addi16sp sp, 64", Addi, [2, 2, 0], 64),
        (0x6109, "c.addi16sp sp, 128", Addi, [2, 2, 0], 128),
        (0x6111, "c.addi16sp sp, 256", Addi, [2, 2, 0], 256),
        (0x717d, "c.addi16sp sp, -16", Addi, [2, 2, 0], -16),
        (0x7081, "c.lui x1, 0xfffe0", Lui, [1, 0, 0], -131072),
        (0x6ffd, "c.lui x31, 0x1f", Lui, [31, 0, 0], 126976),
        (0x6185, "c.lui x3, 0x1", Lui, [3, 0, 0], 4096),
        (0x727d, "c.lui x4, 0xfffff", Lui, [4, 0, 0], -4096),
        (0x62c1, "c.lui x5, 0x10", Lui, [5, 0, 0], 65536),
        (0x907d, "c.srli x8, 63", Srli, [8, 8, 0], 63),
        (0x9381, "c.srli x15, 32", Srli, [15, 15, 0], 32),
        (0x8085, "c.srli x9, 1", Srli, [9, 9, 0], 1),
        (0x947d, "c.srai x8, 63", Srai, [8, 8, 0], 63),
        (0x9781, "c.srai x15, 32", Srai, [15, 15, 0], 32),
        (0x8485, "c.srai x9, 1", Srai, [9, 9, 0], 1),
        (0x9801, "c.andi x8, -32", Andi, [8, 8, 0], -32),
        (0x8bfd, "c.andi x15, 31", Andi, [15, 15, 0], 31),
        (0x8881, "c.andi x9, 0", Andi, [9, 9, 0], 0),
        (0x8c1d, "c.sub x8, x15", Sub, [8, 8, 15], 0),
        (0x8f81, "c.sub x15, x8", Sub, [15, 15, 8], 0),
        (0x8c3d, "c.xor x8, x15", Xor, [8, 8, 15], 0),
        (0x8fa1, "c.xor x15, x8", Xor, [15, 15, 8], 0),
        (0x8c5d, "c.or x8, x15", Or, [8, 8, 15], 0),
        (0x8fc1, "c.or x15, x8", Or, [15, 15, 8], 0),
        (0x8c7d, "c.and x8, x15", And, [8, 8, 15], 0),
        (0x8fe1, "c.and x15, x8", And, [15, 15, 8], 0),
        (0x9c1d, "c.subw x8, x15", Subw, [8, 8, 15], 0),
        (0x9f81, "c.subw x15, x8", Subw, [15, 15, 8], 0),
        (0x9c3d, "c.addw x8, x15", Addw, [8, 8, 15], 0),
        (0x9fa1, "c.addw x15, x8", Addw, [15, 15, 8], 0),
        (0xb001, "c.j .-2048", Jal, [32, 0, 0], -2048),
        (0xaffd, "c.j .+2046", Jal, [32, 0, 0], 2046),
        (0xa009, "c.j .+2", Jal, [32, 0, 0], 2),
        (0xa011, "c.j .+4", Jal, [32, 0, 0], 4),
        (0xa021, "c.j .+8", Jal, [32, 0, 0], 8),
        (0xa801, "c.j .+16", Jal, [32, 0, 0], 16),
        (0xa005, "c.j .+32", Jal, [32, 0, 0], 32),
        (0xa081, "c.j .+64", Jal, [32, 0, 0], 64),
        (0xa041, "c.j .+128", Jal, [32, 0, 0], 128),
        (0xa201, "c.j .+256", Jal, [32, 0, 0], 256),
        (0xa401, "c.j .+512", Jal, [32, 0, 0], 512),
        (0xa101, "c.j .+1024", Jal, [32, 0, 0], 1024),
        (0xbffd, "c.j .-2", Jal, [32, 0, 0], -2),
        (0xd001, "c.beqz x8, .-256", Beq, [0, 8, 0], -256),
        (0xccfd, "c.beqz x9, .+254", Beq, [0, 9, 0], 254),
        (0xc109, "c.beqz x10, .+2", Beq, [0, 10, 0], 2),
        (0xc191, "c.beqz x11, .+4", Beq, [0, 11, 0], 4),
        (0xc601, "c.beqz x12, .+8", Beq, [0, 12, 0], 8),
        (0xca81, "c.beqz x13, .+16", Beq, [0, 13, 0], 16),
        (0xc305, "c.beqz x14, .+32", Beq, [0, 14, 0], 32),
        (0xc3a1, "c.beqz x15, .+64", Beq, [0, 15, 0], 64),
        (0xc041, "c.beqz x8, .+128", Beq, [0, 8, 0], 128),
        (0xdcfd, "c.beqz x9, .-2", Beq, [0, 9, 0], -2),
        (0xf001, "c.bnez x8, .-256", Bne, [0, 8, 0], -256),
        (0xecfd, "c.bnez x9, .+254", Bne, [0, 9, 0], 254),
        (0xe109, "c.bnez x10, .+2", Bne, [0, 10, 0], 2),
        (0xe191, "c.bnez x11, .+4", Bne, [0, 11, 0], 4),
        (0xe601, "c.bnez x12, .+8", Bne, [0, 12, 0], 8),
        (0xea81, "c.bnez x13, .+16", Bne, [0, 13, 0], 16),
        (0xe305, "c.bnez x14, .+32", Bne, [0, 14, 0], 32),
        (0xe3a1, "c.bnez x15, .+64", Bne, [0, 15, 0], 64),
        (0xe041, "c.bnez x8, .+128", Bne, [0, 8, 0], 128),
        (0xfcfd, "c.bnez x9, .-2", Bne, [0, 9, 0], -2),
        (0x1ffe, "c.slli x31, 63", Slli, [31, 31, 0], 63),
        (0x1082, "c.slli x1, 32", Slli, [1, 1, 0], 32),
        (0x0106, "c.slli x2, 1", Slli, [2, 2, 0], 1),
        (0x21a2, "c.fldsp f3, 8(sp)", Fld, [3, 2, 0], 8),
        (0x23c2, "c.fldsp f7, 16(sp)", Fld, [7, 2, 0], 16),
        (0x3582, "c.fldsp f11, 32(sp)", Fld, [11, 2, 0], 32),
        (0x2786, "c.fldsp f15, 64(sp)", Fld, [15, 2, 0], 64),
        (0x298a, "c.fldsp f19, 128(sp)", Fld, [19, 2, 0], 128),
        (0x2b92, "c.fldsp f23, 256(sp)", Fld, [23, 2, 0], 256),
        (0x3dfe, "c.fldsp f27, 504(sp)", Fld, [27, 2, 0], 504),
        (0x2f82, "c.fldsp f31, 0(sp)", Fld, [31, 2, 0], 0),
        (0x4192, "c.lwsp x3, 4(sp)", Lw, [3, 2, 0], 4),
        (0x43a2, "c.lwsp x7, 8(sp)", Lw, [7, 2, 0], 8),
        (0x45c2, "c.lwsp x11, 16(sp)", Lw, [11, 2, 0], 16),
        (0x5782, "c.lwsp x15, 32(sp)", Lw, [15, 2, 0], 32),
        (0x4986, "c.lwsp x19, 64(sp)", Lw, [19, 2, 0], 64),
        (0x4b8a, "c.lwsp x23, 128(sp)", Lw, [23, 2, 0], 128),
        (0x5dfe, "c.lwsp x27, 252(sp)", Lw, [27, 2, 0], 252),
        (0x61a2, "c.ldsp x3, 8(sp)", Ld, [3, 2, 0], 8),
        (0x63c2, "c.ldsp x7, 16(sp)", Ld, [7, 2, 0], 16),
        (0x7582, "c.ldsp x11, 32(sp)", Ld, [11, 2, 0], 32),
        (0x6786, "c.ldsp x15, 64(sp)", Ld, [15, 2, 0], 64),
        (0x698a, "c.ldsp x19, 128(sp)", Ld, [19, 2, 0], 128),
        (0x6b92, "c.ldsp x23, 256(sp)", Ld, [23, 2, 0], 256),
        (0x7dfe, "c.ldsp x27, 504(sp)", Ld, [27, 2, 0], 504),
        (0x8f82, "c.jr x31", Jalr, [32, 31, 0], 0),
        (0x8082, "c.jr x1", Jalr, [32, 1, 0], 0),
        (0x8f86, "c.mv x31, x1", Add, [31, 0, 1], 0),
        (0x80fe, "c.mv x1, x31", Add, [1, 0, 31], 0),
        (0x9002, "c.ebreak", Ebreak, [0, 0, 0], 0),
        (0x9f82, "c.jalr x31", Jalr, [1, 31, 0], 0),
        (0x9082, "c.jalr x1", Jalr, [1, 1, 0], 0),
        (0x9f86, "c.add x31, x1", Add, [31, 31, 1], 0),
        (0x90fe, "c.add x1, x31", Add, [1, 1, 31], 0),
        (0xa40e, "c.fsdsp f3, 8(sp)", Fsd, [0, 2, 3], 8),
        (0xa81e, "c.fsdsp f7, 16(sp)", Fsd, [0, 2, 7], 16),
        (0xb02e, "c.fsdsp f11, 32(sp)", Fsd, [0, 2, 11], 32),
        (0xa0be, "c.fsdsp f15, 64(sp)", Fsd, [0, 2, 15], 64),
        (0xa14e, "c.fsdsp f19, 128(sp)", Fsd, [0, 2, 19], 128),
        (0xa25e, "c.fsdsp f23, 256(sp)", Fsd, [0, 2, 23], 256),
        (0xbfee, "c.fsdsp f27, 504(sp)", Fsd, [0, 2, 27], 504),
        (0xa07e, "c.fsdsp f31, 0(sp)", Fsd, [0, 2, 31], 0),
        (0xc20e, "c.swsp x3, 4(sp)", Sw, [0, 2, 3], 4),
        (0xc41e, "c.swsp x7, 8(sp)", Sw, [0, 2, 7], 8),
        (0xc82e, "c.swsp x11, 16(sp)", Sw, [0, 2, 11], 16),
        (0xd03e, "c.swsp x15, 32(sp)", Sw, [0, 2, 15], 32),
        (0xc0ce, "c.swsp x19, 64(sp)", Sw, [0, 2, 19], 64),
        (0xc15e, "c.swsp x23, 128(sp)", Sw, [0, 2, 23], 128),
        (0xdfee, "c.swsp x27, 252(sp)", Sw, [0, 2, 27], 252),
        (0xe40e, "c.sdsp x3, 8(sp)", Sd, [0, 2, 3], 8),
        (0xe81e, "c.sdsp x7, 16(sp)", Sd, [0, 2, 7], 16),
        (0xf02e, "c.sdsp x11, 32(sp)", Sd, [0, 2, 11], 32),
        (0xe0be, "c.sdsp x15, 64(sp)", Sd, [0, 2, 15], 64),
        (0xe14e, "c.sdsp x19, 128(sp)", Sd, [0, 2, 19], 128),
        (0xe25e, "c.sdsp x23, 256(sp)", Sd, [0, 2, 23], 256),
        (0xffee, "c.sdsp x27, 504(sp)", Sd, [0, 2, 27], 504),
    ];

    /// Reserved 32-bit encodings.
    #[rustfmt::skip]
    const RESERVED32: &[(u32, &str)] = &[
        (0x0205_151b, "slliw with imm[5] = 1"),
        (0x0205_551b, "srliw with imm[5] = 1"),
        (0x4205_551b, "sraiw with imm[5] = 1"),
        (0x4005_1513, "slli with funct6 = 010000"),
        (0x0405_5513, "srli with funct6 = 000001"),
        (0x4405_5513, "srai with funct6 = 010001"),
        (0x04b5_0533, "add with funct7 = 0000010"),
        (0x40b5_1533, "sll with funct7 = 0100000"),
        (0x00b5_253b, "OP-32 funct3 = 010"),
        (0x02b5_153b, "OP-32 M funct3 = 001"),
        (0x0005_7503, "load funct3 = 111"),
        (0x00a5_f023, "store funct3 = 100"),
        (0x00b5_2063, "branch funct3 = 010"),
        (0x00b5_3063, "branch funct3 = 011"),
        (0x0005_10e7, "jalr funct3 = 001"),
        (0x0005_1507, "FP load funct3 = 001 (flh)"),
        (0x0005_4507, "FP load funct3 = 100 (flq)"),
        (0x00a5_4027, "FP store funct3 = 100 (fsq)"),
        (0x0000_200f, "MISC-MEM funct3 = 010"),
        (0x0000_00f3, "ecall with rd != 0"),
        (0x0010_8073, "ebreak with rs1 != 0"),
        (0x0020_0073, "uret"),
        (0x3020_00f3, "mret with rd != 0"),
        (0x1020_00f3, "sret with rd != 0"),
        (0x1050_8073, "wfi with rs1 != 0"),
        (0x7b20_0073, "dret"),
        (0x1200_00f3, "sfence.vma with rd != 0"),
        (0x2200_0073, "hfence.gvma"),
        (0x0010_c073, "SYSTEM funct3 = 100"),
        (0x28b5_202f, "AMO funct5 = 00101"),
        (0x00b5_002f, "AMO funct3 = 000"),
        (0x00b5_402f, "AMO funct3 = 100"),
        (0x1015_a52f, "lr.w with rs2 != 0"),
        (0x1015_b52f, "lr.d with rs2 != 0"),
        (0x04c5_8543, "fmadd with fmt = H"),
        (0x06c5_8543, "fmadd with fmt = Q"),
        (0x04c5_8553, "fadd.h (fmt = 10)"),
        (0x06c5_8553, "fadd.q (fmt = 11)"),
        (0xe005_a553, "fmv.x.w with funct3 = 010"),
        (0xe015_8553, "fmv.x.w with rs2 != 0"),
        (0xf005_9553, "fmv.w.x with funct3 = 001"),
        (0xf015_8553, "fmv.w.x with rs2 != 0"),
        (0x20c5_b553, "fsgnj.s with funct3 = 011"),
        (0x28c5_a553, "fmin.s with funct3 = 010"),
        (0xa2c5_b553, "feq.d with funct3 = 011"),
        (0xc045_8553, "fcvt.w.s with rs2 = 4"),
        (0xd055_8553, "fcvt.s.w with rs2 = 5"),
        (0x4005_8553, "fcvt.s.s (rs2 = 0)"),
        (0x4025_8553, "fcvt.s.h (rs2 = 2)"),
        (0x4235_8553, "fcvt.d.q (rs2 = 3)"),
        (0x4215_8553, "fcvt.d.d (rs2 = 1)"),
        (0x5815_8553, "fsqrt.s with rs2 != 0"),
        (0xe215_9553, "fclass.d with rs2 != 0"),
        (0x0000_000b, "custom-0 opcode"),
        (0x0000_0057, "OP-V opcode"),
        (0x0000_007b, "custom-3 opcode"),
        (0x0000_001f, "48-bit encoding prefix"),
        (0x0000_003f, "64-bit encoding prefix"),
        (0xffff_ffff, "all ones"),
    ];

    /// `hex text` lines: GNU objdump's `-M no-aliases` output for each encoding, with `", "`
    /// separators, branch targets as offsets and compressed mnemonics as their expansions.
    const OBJDUMP: &str = "\
fffff537 lui a0, 0xfffff
80000f97 auipc t6, 0x80000
001000ef jal ra, 2048
8000006f jal zero, -1048576
000500e7 jalr ra, 0(a0)
800f8067 jalr zero, -2048(t6)
feb50ae3 beq a0, a1, -12
feb51ae3 bne a0, a1, -12
feb54ae3 blt a0, a1, -12
feb55ae3 bge a0, a1, -12
feb56ae3 bltu a0, a1, -12
feb57ae3 bgeu a0, a1, -12
7ff00fe3 beq zero, t6, 4094
00810503 lb a0, 8(sp)
00811503 lh a0, 8(sp)
00812503 lw a0, 8(sp)
00813503 ld a0, 8(sp)
00814503 lbu a0, 8(sp)
00815503 lhu a0, 8(sp)
00816503 lwu a0, 8(sp)
800fb003 ld zero, -2048(t6)
fe978fa3 sb s1, -1(a5)
fe979fa3 sh s1, -1(a5)
fe97afa3 sw s1, -1(a5)
fe97bfa3 sd s1, -1(a5)
7e003fa3 sd zero, 2047(zero)
01010513 addi a0, sp, 16
01012513 slti a0, sp, 16
01013513 sltiu a0, sp, 16
01014513 xori a0, sp, 16
01016513 ori a0, sp, 16
01017513 andi a0, sp, 16
0101051b addiw a0, sp, 16
00000013 addi zero, zero, 0
800f0f93 addi t6, t5, -2048
03f59513 slli a0, a1, 0x3f
0015d513 srli a0, a1, 0x1
4205d513 srai a0, a1, 0x20
01f5951b slliw a0, a1, 0x1f
0005d51b srliw a0, a1, 0x0
4105d51b sraiw a0, a1, 0x10
01cd8533 add a0, s11, t3
41cd8533 sub a0, s11, t3
01cd9533 sll a0, s11, t3
01cda533 slt a0, s11, t3
01cdb533 sltu a0, s11, t3
01cdc533 xor a0, s11, t3
01cdd533 srl a0, s11, t3
41cdd533 sra a0, s11, t3
01cde533 or a0, s11, t3
01cdf533 and a0, s11, t3
01cd853b addw a0, s11, t3
41cd853b subw a0, s11, t3
01cd953b sllw a0, s11, t3
01cdd53b srlw a0, s11, t3
41cdd53b sraw a0, s11, t3
03cd8533 mul a0, s11, t3
03cd9533 mulh a0, s11, t3
03cda533 mulhsu a0, s11, t3
03cdb533 mulhu a0, s11, t3
03cdc533 div a0, s11, t3
03cdd533 divu a0, s11, t3
03cde533 rem a0, s11, t3
03cdf533 remu a0, s11, t3
03cd853b mulw a0, s11, t3
03cdc53b divw a0, s11, t3
03cdd53b divuw a0, s11, t3
03cde53b remw a0, s11, t3
03cdf53b remuw a0, s11, t3
000f8033 add zero, t6, zero
0ff0000f fence iorw, iorw
8330000f fence.tso
0210000f fence r, w
0c30000f fence io, rw
0000100f fence.i
00000073 ecall
00100073 ebreak
30200073 mret
10200073 sret
10500073 wfi
12000073 sfence.vma zero, zero
12b50073 sfence.vma a0, a1
1005a52f lr.w a0, (a1)
1405a52f lr.w.aq a0, (a1)
1a012faf sc.w.rl t6, zero, (sp)
1e012faf sc.w.aqrl t6, zero, (sp)
08b6252f amoswap.w a0, a1, (a2)
00b6252f amoadd.w a0, a1, (a2)
20b6252f amoxor.w a0, a1, (a2)
60b6252f amoand.w a0, a1, (a2)
40b6252f amoor.w a0, a1, (a2)
80b6252f amomin.w a0, a1, (a2)
a0b6252f amomax.w a0, a1, (a2)
c0b6252f amominu.w a0, a1, (a2)
e0b6252f amomaxu.w a0, a1, (a2)
1005b52f lr.d a0, (a1)
1405b52f lr.d.aq a0, (a1)
1a013faf sc.d.rl t6, zero, (sp)
1e013faf sc.d.aqrl t6, zero, (sp)
08b6352f amoswap.d a0, a1, (a2)
00b6352f amoadd.d a0, a1, (a2)
20b6352f amoxor.d a0, a1, (a2)
60b6352f amoand.d a0, a1, (a2)
40b6352f amoor.d a0, a1, (a2)
80b6352f amomin.d a0, a1, (a2)
a0b6352f amomax.d a0, a1, (a2)
c0b6352f amominu.d a0, a1, (a2)
e0b6352f amomaxu.d a0, a1, (a2)
300312f3 csrrw t0, mstatus, t1
c0002573 csrrs a0, cycle, zero
ffffb073 csrrc zero, 0xfff, t6
300052f3 csrrwi t0, mstatus, 0
800fe073 csrrsi zero, 0x800, 31
1448f573 csrrci a0, sip, 17
00102573 csrrs a0, fflags, zero
00202573 csrrs a0, frm, zero
00302573 csrrs a0, fcsr, zero
c0102573 csrrs a0, time, zero
c0202573 csrrs a0, instret, zero
c0302573 csrrs a0, hpmcounter3, zero
c1f02573 csrrs a0, hpmcounter31, zero
10002573 csrrs a0, sstatus, zero
10402573 csrrs a0, sie, zero
10502573 csrrs a0, stvec, zero
10602573 csrrs a0, scounteren, zero
14002573 csrrs a0, sscratch, zero
14102573 csrrs a0, sepc, zero
14202573 csrrs a0, scause, zero
14302573 csrrs a0, stval, zero
18002573 csrrs a0, satp, zero
f1102573 csrrs a0, mvendorid, zero
f1202573 csrrs a0, marchid, zero
f1302573 csrrs a0, mimpid, zero
f1402573 csrrs a0, mhartid, zero
30102573 csrrs a0, misa, zero
30202573 csrrs a0, medeleg, zero
30302573 csrrs a0, mideleg, zero
30402573 csrrs a0, mie, zero
30502573 csrrs a0, mtvec, zero
30602573 csrrs a0, mcounteren, zero
34002573 csrrs a0, mscratch, zero
34102573 csrrs a0, mepc, zero
34202573 csrrs a0, mcause, zero
34302573 csrrs a0, mtval, zero
34402573 csrrs a0, mip, zero
b0002573 csrrs a0, mcycle, zero
b0202573 csrrs a0, minstret, zero
b0302573 csrrs a0, mhpmcounter3, zero
33f02573 csrrs a0, mhpmevent31, zero
32002573 csrrs a0, mcountinhibit, zero
3a202573 csrrs a0, pmpcfg2, zero
3bf02573 csrrs a0, pmpaddr15, zero
7a002573 csrrs a0, tselect, zero
7a102573 csrrs a0, tdata1, zero
7b002573 csrrs a0, dcsr, zero
7b102573 csrrs a0, dpc, zero
7b202573 csrrs a0, dscratch0, zero
800fa507 flw fa0, -2048(t6)
01f12427 fsw ft11, 8(sp)
e0957fc3 fmadd.s ft11, fa0, fs1, ft8
e0950fc7 fmsub.s ft11, fa0, fs1, ft8, rne
e0951fcb fnmsub.s ft11, fa0, fs1, ft8, rtz
e0954fcf fnmadd.s ft11, fa0, fs1, ft8, rmm
01f5f553 fadd.s fa0, fa1, ft11
09f5a553 fsub.s fa0, fa1, ft11, rdn
11f5b553 fmul.s fa0, fa1, ft11, rup
19f58553 fdiv.s fa0, fa1, ft11, rne
58001953 fsqrt.s fs2, ft0, rtz
20ff8053 fsgnj.s ft0, ft11, fa5
20ff9053 fsgnjn.s ft0, ft11, fa5
20ffa053 fsgnjx.s ft0, ft11, fa5
28ff8053 fmin.s ft0, ft11, fa5
28ff9053 fmax.s ft0, ft11, fa5
a0ffa553 feq.s a0, ft11, fa5
a0ff9553 flt.s a0, ft11, fa5
a0ff8553 fle.s a0, ft11, fa5
c00f9fd3 fcvt.w.s t6, ft11, rtz
d00fafd3 fcvt.s.w ft11, t6, rdn
c01f9fd3 fcvt.wu.s t6, ft11, rtz
d01fafd3 fcvt.s.wu ft11, t6, rdn
c02f9fd3 fcvt.l.s t6, ft11, rtz
d02fafd3 fcvt.s.l ft11, t6, rdn
c03f9fd3 fcvt.lu.s t6, ft11, rtz
d03fafd3 fcvt.s.lu ft11, t6, rdn
e00f9553 fclass.s a0, ft11
7ff03007 fld ft0, 2047(zero)
ffb53c27 fsd fs11, -8(a0)
e2957fc3 fmadd.d ft11, fa0, fs1, ft8
e2950fc7 fmsub.d ft11, fa0, fs1, ft8, rne
e2951fcb fnmsub.d ft11, fa0, fs1, ft8, rtz
e2954fcf fnmadd.d ft11, fa0, fs1, ft8, rmm
03f5f553 fadd.d fa0, fa1, ft11
0bf5a553 fsub.d fa0, fa1, ft11, rdn
13f5b553 fmul.d fa0, fa1, ft11, rup
1bf58553 fdiv.d fa0, fa1, ft11, rne
5a001953 fsqrt.d fs2, ft0, rtz
22ff8053 fsgnj.d ft0, ft11, fa5
22ff9053 fsgnjn.d ft0, ft11, fa5
22ffa053 fsgnjx.d ft0, ft11, fa5
2aff8053 fmin.d ft0, ft11, fa5
2aff9053 fmax.d ft0, ft11, fa5
a2ffa553 feq.d a0, ft11, fa5
a2ff9553 flt.d a0, ft11, fa5
a2ff8553 fle.d a0, ft11, fa5
c20f9fd3 fcvt.w.d t6, ft11, rtz
d20f8fd3 fcvt.d.w ft11, t6
c21f9fd3 fcvt.wu.d t6, ft11, rtz
d21f8fd3 fcvt.d.wu ft11, t6
c22f9fd3 fcvt.l.d t6, ft11, rtz
d22fafd3 fcvt.d.l ft11, t6, rdn
c23f9fd3 fcvt.lu.d t6, ft11, rtz
d23fafd3 fcvt.d.lu ft11, t6, rdn
e20f9553 fclass.d a0, ft11
e00f8553 fmv.x.w a0, ft11
f0050fd3 fmv.w.x ft11, a0
e2000fd3 fmv.x.d t6, ft0
f2000553 fmv.d.x fa0, zero
4015f553 fcvt.s.d fa0, fa1
42058553 fcvt.d.s fa0, fa1
1fe0 addi s0, sp, 1020
3c60 fld fs0, 248(s0)
417c lw a5, 68(a0)
67c8 ld a0, 136(a5)
a55c fsd fa5, 136(a0)
dc60 sw s0, 124(s0)
e51c sd a5, 8(a0)
0001 addi zero, zero, 0
1f81 addi t6, t6, -32
20fd addiw ra, ra, 31
557d addi a0, zero, -1
7101 addi sp, sp, -512
7ffd lui t6, 0xfffff
907d srli s0, s0, 0x3f
9781 srai a5, a5, 0x20
9901 andi a0, a0, -32
8d0d sub a0, a0, a1
8c3d xor s0, s0, a5
8fc1 or a5, a5, s0
8df1 and a1, a1, a2
9d0d subw a0, a0, a1
9fa1 addw a5, a5, s0
b001 jal zero, -2048
d001 beq s0, zero, -256
effd bne a5, zero, 254
1ffe slli t6, t6, 0x3f
307e fld ft0, 504(sp)
5ffe lw t6, 252(sp)
60a2 ld ra, 8(sp)
8082 jalr zero, 0(ra)
8f86 add t6, zero, ra
9002 ebreak
9502 jalr ra, 0(a0)
952e add a0, a0, a1
a47e fsd ft11, 8(sp)
c202 sw zero, 4(sp)
fffe sd t6, 504(sp)
1234567b .word 0x1234567b
ffffffff .word 0xffffffff
0000707f .word 0x0000707f
";

    #[test]
    fn every_op_decodes_with_its_operand_fields() {
        for &(raw, asm, op, [rd, rs1, rs2, rs3, rm], imm) in CASES32 {
            let want = Insn {
                op,
                rd,
                rs1,
                rs2,
                rs3,
                rm,
                len: 4,
                imm,
            };
            assert_eq!(decode(raw), want, "{asm} ({raw:#010x})");
        }
    }

    #[test]
    fn every_compressed_encoding_expands_to_its_base_instruction() {
        for &(raw, asm, op, [rd, rs1, rs2], imm) in CASES16 {
            let want = Insn {
                op,
                rd,
                rs1,
                rs2,
                rs3: 0,
                rm: 0,
                len: 2,
                imm,
            };
            assert_eq!(decode(raw), want, "{asm} ({raw:#06x})");
        }
    }

    #[test]
    fn compressed_decode_uses_only_the_low_halfword() {
        for &(raw, asm, ..) in CASES16 {
            assert_eq!(decode(raw | 0xabcd_0000), decode(raw), "{asm}");
        }
        assert_eq!(decode(0xffff_0000), Insn::illegal(0, 2));
    }

    #[test]
    fn reserved_32bit_encodings_are_illegal() {
        for &(raw, why) in RESERVED32 {
            assert_eq!(decode(raw), Insn::illegal(raw, 4), "{why} ({raw:#010x})");
        }
    }

    #[test]
    fn reserved_compressed_encodings_are_illegal() {
        let reserved: &[(u32, &str)] = &[
            (0x0000, "all-zero halfword"),
            (0x0004, "C.ADDI4SPN with nzuimm = 0"),
            (0x8000, "quadrant 0, funct3 = 100"),
            (0x2001, "C.ADDIW with rd = 0"),
            (0x307d, "C.ADDIW with rd = 0, imm = -1"),
            (0x6101, "C.ADDI16SP with nzimm = 0"),
            (0x6281, "C.LUI with nzimm = 0"),
            (0x6001, "C.LUI with rd = 0, nzimm = 0"),
            (0x9c41, "C.SUBW group, funct2 = 10"),
            (0x9c61, "C.SUBW group, funct2 = 11"),
            (0x4002, "C.LWSP with rd = 0"),
            (0x5002, "C.LWSP with rd = 0, uimm = 32"),
            (0x6002, "C.LDSP with rd = 0"),
            (0x707e, "C.LDSP with rd = 0, uimm = 504"),
            (0x8002, "C.JR with rs1 = 0"),
        ];
        for &(raw, why) in reserved {
            assert_eq!(decode(raw), Insn::illegal(raw, 2), "{why} ({raw:#06x})");
        }
    }

    #[test]
    fn compressed_hints_decode_to_their_natural_effect() {
        let ci = |op, rd, rs1, rs2, imm| Insn {
            op,
            rd,
            rs1,
            rs2,
            rs3: 0,
            rm: 0,
            len: 2,
            imm,
        };
        let hints: &[(u32, &str, Insn)] = &[
            (0x0005, "C.NOP with imm = 1", ci(Addi, X0_SINK, 0, 0, 1)),
            (0x0501, "C.ADDI with imm = 0", ci(Addi, 10, 10, 0, 0)),
            (
                0x107d,
                "C.ADDI with rd = 0, imm = -1",
                ci(Addi, X0_SINK, 0, 0, -1),
            ),
            (0x4015, "C.LI with rd = 0", ci(Addi, X0_SINK, 0, 0, 5)),
            (0x6005, "C.LUI with rd = 0", ci(Lui, X0_SINK, 0, 0, 0x1000)),
            (0x8006, "C.MV with rd = 0", ci(Add, X0_SINK, 0, 1, 0)),
            (0x9006, "C.ADD with rd = 0", ci(Add, X0_SINK, 0, 1, 0)),
            (0x0006, "C.SLLI with rd = 0", ci(Slli, X0_SINK, 0, 0, 1)),
            (0x0502, "C.SLLI with shamt = 0", ci(Slli, 10, 10, 0, 0)),
            (0x0002, "C.SLLI64 with rd = 0", ci(Slli, X0_SINK, 0, 0, 0)),
            (0x8001, "C.SRLI with shamt = 0", ci(Srli, 8, 8, 0, 0)),
            (0x8401, "C.SRAI with shamt = 0", ci(Srai, 8, 8, 0, 0)),
        ];
        for &(raw, why, want) in hints {
            assert_eq!(decode(raw), want, "{why} ({raw:#06x})");
        }
    }

    #[test]
    fn integer_x0_destination_is_the_sink_but_f0_is_a_real_register() {
        let sunk: &[(u32, &str)] = &[
            (0x0000_0037, "lui x0, 0"),
            (0x0000_0017, "auipc x0, 0"),
            (0x0000_006f, "jal x0, 0"),
            (0x0000_8067, "jalr x0, 0(ra)"),
            (0x0001_3003, "ld x0, 0(sp)"),
            (0x0010_0013, "addi x0, x0, 1"),
            (0x0020_8033, "add x0, ra, sp"),
            (0x0020_803b, "addw x0, ra, sp"),
            (0x3000_1073, "csrrw x0, mstatus, x0"),
            (0x3000_5073, "csrrwi x0, mstatus, 0"),
            (0x1000_a02f, "lr.w x0, (ra)"),
            (0x1820_b02f, "sc.d x0, sp, (ra)"),
            (0x0020_b02f, "amoadd.d x0, sp, (ra)"),
            (0xc000_f053, "fcvt.w.s x0, ft1"),
            (0xe200_0053, "fmv.x.d x0, ft0"),
            (0xa200_2053, "feq.d x0, ft0, ft0"),
            (0xe000_1053, "fclass.s x0, ft0"),
            (0x4001, "c.li x0, 0"),
            (0xa001, "c.j 0"),
            (0x8082, "c.jr ra"),
        ];
        for &(raw, asm) in sunk {
            assert_eq!(decode(raw).rd, X0_SINK, "{asm} ({raw:#x})");
        }
        let fp: &[(u32, &str)] = &[
            (0x0000_3007, "fld f0, 0(x0)"),
            (0x0000_0053, "fadd.s f0, f0, f0, rne"),
            (0xf000_0053, "fmv.w.x f0, x0"),
            (0xd200_0053, "fcvt.d.w f0, x0"),
            (0x0000_0043, "fmadd.s f0, f0, f0, f0, rne"),
            (0x2002, "c.fldsp f0, 0(sp)"),
        ];
        for &(raw, asm) in fp {
            let insn = decode(raw);
            assert_ne!(insn.op, Illegal, "{asm}");
            assert_eq!(insn.rd, 0, "{asm} ({raw:#x})");
        }
    }

    #[test]
    fn fp_reserved_rounding_modes_decode_for_the_executor_to_reject() {
        let fadd_s_rm5 = decode(0x00c5_d553);
        assert_eq!((fadd_s_rm5.op, fadd_s_rm5.rm), (FaddS, 5));
        let fmadd_d_rm6 = decode(0x6ac5_e543);
        assert_eq!(
            (fmadd_d_rm6.op, fmadd_d_rm6.rm, fmadd_d_rm6.rs3),
            (FmaddD, 6, 13)
        );
        let fcvt_l_d_rm5 = decode(0xc225_d553);
        assert_eq!((fcvt_l_d_rm5.op, fcvt_l_d_rm5.rm), (FcvtLD, 5));
    }

    #[test]
    fn fence_and_fence_i_ignore_their_reserved_fields() {
        // FENCE with rd, rs1 set and an unknown fm; FENCE.I with imm, rs1 and rd set.
        assert_eq!(
            decode(0x5ff5_850f),
            Insn {
                imm: 0x5ff,
                ..blank(Fence, 4)
            }
        );
        assert_eq!(decode(0xfff5_950f), blank(FenceI, 4));
        // PAUSE is FENCE w, 0.
        assert_eq!(
            decode(0x0100_000f),
            Insn {
                imm: 0x010,
                ..blank(Fence, 4)
            }
        );
    }

    #[test]
    fn disassembly_matches_objdump() {
        for line in OBJDUMP.lines() {
            let (hex, want) = line.split_once(' ').unwrap_or((line, ""));
            let raw = u32::from_str_radix(hex, 16).unwrap_or(0);
            let insn = decode(raw);
            assert_eq!(usize::from(insn.len) * 2, hex.len(), "length of {line}");
            assert_eq!(insn.to_string(), want, "{hex}");
        }
    }

    #[test]
    fn disassembly_of_special_forms() {
        assert_eq!(decode(0x0000).to_string(), ".short 0x0000");
        assert_eq!(decode(0x0100_000f).to_string(), "pause");
        assert_eq!(decode(0x00c5_d553).to_string(), "fadd.s fa0, fa1, fa2, 5");
        assert_eq!(decode(0x4205_9553).to_string(), "fcvt.d.s fa0, fa1, rtz");
        assert_eq!(decode(0x3ae0_2573).to_string(), "csrrs a0, pmpcfg14, zero");
        assert_eq!(decode(0x3a10_2573).to_string(), "csrrs a0, 0x3a1, zero");
        assert_eq!(decode(0x7c03_12f3).to_string(), "csrrw t0, 0x7c0, t1");
    }

    /// A deterministic xorshift sequence of 32-bit instruction words.
    fn words(n: usize) -> impl Iterator<Item = u32> {
        let mut s = 0x2545_f491_u32;
        (0..n).map(move |_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        })
    }

    #[test]
    fn decode_and_disassembly_are_total() {
        let mut text = String::new();
        let all = (0..=0xffff).chain(words(300_000).map(|w| w | 3));
        for raw in all {
            let insn = decode(raw);
            assert!(insn.len == 2 || insn.len == 4);
            assert!(insn.op == Illegal || (insn.rd <= X0_SINK && insn.rs1 < 32 && insn.rs2 < 32));
            text.clear();
            write!(text, "{insn}").unwrap_or_default();
            // Fields the decoder never produces must not make the disassembler panic either.
            let odd = Insn {
                rd: 255,
                rs1: 255,
                rs2: 255,
                rs3: 255,
                rm: 255,
                imm: i32::MIN,
                ..insn
            };
            text.clear();
            write!(text, "{odd}").unwrap_or_default();
        }
    }
}
