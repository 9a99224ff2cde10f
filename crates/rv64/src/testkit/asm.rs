//! A small RV64GC encoder, so that test programs read as instructions rather than hex words.
//!
//! Register arguments are plain numbers (`x5` is `5`, `f3` is `3`); compressed encoders that
//! take a register from `x8..x15` (or `f8..f15`) take its full number. Immediates are byte
//! offsets or values as an assembler takes them, and are not range-checked: the low bits the
//! format has room for are encoded. Each encoder's name is the mnemonic with `.` as `_`
//! (`c.addi` is [`c_addi`]); compressed encoders return `u16`. [`Asm`] lays out a program
//! with labels for forward branches.

/// Integer registers by their ABI names, for programs that read better with them.
pub const ZERO: u32 = 0;
/// `x1`.
pub const RA: u32 = 1;
/// `x2`.
pub const SP: u32 = 2;
/// `x4`.
pub const TP: u32 = 4;
/// `x5`.
pub const T0: u32 = 5;
/// `x6`.
pub const T1: u32 = 6;
/// `x7`.
pub const T2: u32 = 7;
/// `x8`.
pub const S0: u32 = 8;
/// `x9`.
pub const S1: u32 = 9;
/// `x10`.
pub const A0: u32 = 10;
/// `x11`.
pub const A1: u32 = 11;
/// `x12`.
pub const A2: u32 = 12;
/// `x13`.
pub const A3: u32 = 13;
/// `x26`.
pub const S10: u32 = 26;
/// `x28`.
pub const T3: u32 = 28;
/// `x29`.
pub const T4: u32 = 29;
/// `x30`.
pub const T5: u32 = 30;
/// `x31`.
pub const T6: u32 = 31;

/// R-type.
pub fn enc_r(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
/// I-type.
pub fn enc_i(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
/// S-type.
pub fn enc_s(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32) -> u32 {
    let imm = imm as u32;
    (imm >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1f) << 7 | op
}
/// B-type (conditional branches).
pub fn enc_b(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let imm = imm as u32;
    (imm >> 12 & 1) << 31
        | (imm >> 5 & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | f3 << 12
        | (imm >> 1 & 0xf) << 8
        | (imm >> 11 & 1) << 7
        | 0x63
}

// ---- RV64I ----

/// `lui rd, upper` (`upper` is the 20-bit immediate).
pub fn lui(rd: u32, upper: u32) -> u32 {
    (upper & 0xf_ffff) << 12 | rd << 7 | 0x37
}
/// `auipc rd, upper` (`upper` is the 20-bit immediate).
pub fn auipc(rd: u32, upper: u32) -> u32 {
    (upper & 0xf_ffff) << 12 | rd << 7 | 0x17
}
pub fn jal(rd: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    (imm >> 20 & 1) << 31
        | (imm >> 1 & 0x3ff) << 21
        | (imm >> 11 & 1) << 20
        | (imm >> 12 & 0xff) << 12
        | rd << 7
        | 0x6f
}
pub fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(imm, rs1, 0, rd, 0x67)
}
/// A conditional branch by funct3: 0 beq, 1 bne, 4 blt, 5 bge, 6 bltu, 7 bgeu.
pub fn branch(f3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    enc_b(imm, rs2, rs1, f3)
}
pub fn beq(rs1: u32, rs2: u32, imm: i32) -> u32 {
    branch(0, rs1, rs2, imm)
}
pub fn bne(rs1: u32, rs2: u32, imm: i32) -> u32 {
    branch(1, rs1, rs2, imm)
}
pub fn blt(rs1: u32, rs2: u32, imm: i32) -> u32 {
    branch(4, rs1, rs2, imm)
}
pub fn bltu(rs1: u32, rs2: u32, imm: i32) -> u32 {
    branch(6, rs1, rs2, imm)
}
/// A load by funct3: 0 lb, 1 lh, 2 lw, 3 ld, 4 lbu, 5 lhu, 6 lwu.
pub fn load(f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(imm, rs1, f3, rd, 0x03)
}
pub fn lw(rd: u32, rs1: u32, imm: i32) -> u32 {
    load(2, rd, rs1, imm)
}
pub fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    load(3, rd, rs1, imm)
}
pub fn lhu(rd: u32, rs1: u32, imm: i32) -> u32 {
    load(5, rd, rs1, imm)
}
/// A store by funct3: 0 sb, 1 sh, 2 sw, 3 sd.
pub fn store(f3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
    enc_s(imm, rs2, rs1, f3, 0x23)
}
pub fn sh(rs2: u32, rs1: u32, imm: i32) -> u32 {
    store(1, rs2, rs1, imm)
}
pub fn sw(rs2: u32, rs1: u32, imm: i32) -> u32 {
    store(2, rs2, rs1, imm)
}
pub fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    store(3, rs2, rs1, imm)
}
/// An OP-IMM instruction by funct3 (0 addi, 2 slti, 3 sltiu, 4 xori, 6 ori, 7 andi; 1 slli,
/// 5 srli/srai with the shift amount and funct6 in `imm`).
pub fn op_imm(f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(imm, rs1, f3, rd, 0x13)
}
pub fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    op_imm(0, rd, rs1, imm)
}
pub fn andi(rd: u32, rs1: u32, imm: i32) -> u32 {
    op_imm(7, rd, rs1, imm)
}
pub fn ori(rd: u32, rs1: u32, imm: i32) -> u32 {
    op_imm(6, rd, rs1, imm)
}
pub fn slli(rd: u32, rs1: u32, shamt: u32) -> u32 {
    op_imm(1, rd, rs1, (shamt & 63) as i32)
}
pub fn srli(rd: u32, rs1: u32, shamt: u32) -> u32 {
    op_imm(5, rd, rs1, (shamt & 63) as i32)
}
pub fn srai(rd: u32, rs1: u32, shamt: u32) -> u32 {
    op_imm(5, rd, rs1, (0x400 | shamt & 63) as i32)
}
/// An OP-IMM-32 instruction by funct3 (0 addiw; 1 slliw, 5 srliw/sraiw as for [`op_imm`]).
pub fn op_imm32(f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(imm, rs1, f3, rd, 0x1b)
}
/// An OP instruction by funct7 and funct3 (funct7 1 is the M extension).
pub fn op(f7: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(f7, rs2, rs1, f3, rd, 0x33)
}
/// An OP-32 instruction by funct7 and funct3.
pub fn op32(f7: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(f7, rs2, rs1, f3, rd, 0x3b)
}
pub fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    op(0, 0, rd, rs1, rs2)
}
pub fn sub(rd: u32, rs1: u32, rs2: u32) -> u32 {
    op(0x20, 0, rd, rs1, rs2)
}
pub fn or(rd: u32, rs1: u32, rs2: u32) -> u32 {
    op(0, 6, rd, rs1, rs2)
}
pub fn sll(rd: u32, rs1: u32, rs2: u32) -> u32 {
    op(0, 1, rd, rs1, rs2)
}

// ---- A ----

/// An AMO by funct5 (0 amoadd, 1 amoswap, 2 lr, 3 sc, 4 amoxor, 8 amoor, 0xc amoand,
/// 0x10 amomin, 0x14 amomax, 0x18 amominu, 0x1c amomaxu), `double` for `.d`, with the aq/rl
/// bits `order` (aq = 2, rl = 1).
pub fn amo(funct5: u32, double: bool, order: u32, rd: u32, rs2: u32, rs1: u32) -> u32 {
    enc_r(
        funct5 << 2 | order & 3,
        rs2,
        rs1,
        2 + u32::from(double),
        rd,
        0x2f,
    )
}
pub fn lr_w(rd: u32, rs1: u32) -> u32 {
    amo(2, false, 0, rd, 0, rs1)
}
pub fn sc_w(rd: u32, rs2: u32, rs1: u32) -> u32 {
    amo(3, false, 0, rd, rs2, rs1)
}
pub fn amoadd_w(rd: u32, rs2: u32, rs1: u32) -> u32 {
    amo(0, false, 0, rd, rs2, rs1)
}

// ---- Zicsr, Zifencei, system ----

/// A CSR instruction by funct3 (1 csrrw, 2 csrrs, 3 csrrc; 5..7 the immediate forms, with the
/// zimm in `rs1`).
pub fn csr(f3: u32, rd: u32, csr: u16, rs1: u32) -> u32 {
    enc_i(i32::from(csr), rs1, f3, rd, 0x73)
}
pub fn csrrw(rd: u32, num: u16, rs1: u32) -> u32 {
    csr(1, rd, num, rs1)
}
pub fn csrrs(rd: u32, num: u16, rs1: u32) -> u32 {
    csr(2, rd, num, rs1)
}
pub fn csrrc(rd: u32, num: u16, rs1: u32) -> u32 {
    csr(3, rd, num, rs1)
}
pub fn csrrci(rd: u32, num: u16, zimm: u32) -> u32 {
    csr(7, rd, num, zimm)
}
pub fn sfence_vma(rs1: u32, rs2: u32) -> u32 {
    enc_r(0b000_1001, rs2, rs1, 0, 0, 0x73)
}
pub const ECALL: u32 = 0x0000_0073;
pub const EBREAK: u32 = 0x0010_0073;
pub const MRET: u32 = 0x3020_0073;
pub const SRET: u32 = 0x1020_0073;
pub const WFI: u32 = 0x1050_0073;
/// `sfence.vma x0, x0`.
pub const SFENCE_VMA: u32 = 0x1200_0073;
/// `fence iorw, iorw`.
pub const FENCE: u32 = 0x0ff0_000f;
pub const FENCE_I: u32 = 0x0000_100f;
/// `jal x0, 0`: an endless loop.
pub const SPIN: u32 = 0x0000_006f;

// ---- F and D ----

pub fn flw(rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(imm, rs1, 2, rd, 0x07)
}
pub fn fld(rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(imm, rs1, 3, rd, 0x07)
}
pub fn fsw(rs2: u32, rs1: u32, imm: i32) -> u32 {
    enc_s(imm, rs2, rs1, 2, 0x27)
}
pub fn fsd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    enc_s(imm, rs2, rs1, 3, 0x27)
}
/// An OP-FP instruction: `funct5`, `double` for the D format, the rounding mode (or funct3)
/// `rm`.
pub fn fp(funct5: u32, double: bool, rm: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(funct5 << 2 | u32::from(double), rs2, rs1, rm, rd, 0x53)
}
/// fadd.s rd, rs1, rs2 with rounding mode `rm`.
pub fn fadd_s(rd: u32, rs1: u32, rs2: u32, rm: u32) -> u32 {
    fp(0, false, rm, rd, rs1, rs2)
}
/// A fused multiply-add by major opcode (0x43 fmadd, 0x47 fmsub, 0x4b fnmsub, 0x4f fnmadd).
pub fn fma(opcode: u32, double: bool, rm: u32, rd: u32, rs1: u32, rs2: u32, rs3: u32) -> u32 {
    rs3 << 27 | u32::from(double) << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | opcode
}

// ---- C ----

/// The 3-bit field of a register in `x8..x15` (or `f8..f15`).
fn c3(r: u32) -> u16 {
    (r & 7) as u16
}
/// Bit `n` of `v`, as a `u16` at bit `to`.
fn bit(v: i32, n: u32, to: u32) -> u16 {
    (((v as u32) >> n & 1) << to) as u16
}
/// A CI-format instruction whose immediate is imm[5] at bit 12 and imm[4:0] at bits 6:2.
fn ci(f3: u16, rd: u32, imm: i32, quadrant: u16) -> u16 {
    f3 << 13 | bit(imm, 5, 12) | (rd as u16 & 31) << 7 | ((imm as u16) & 0x1f) << 2 | quadrant
}
pub const C_NOP: u16 = 0x0001;
pub const C_EBREAK: u16 = 0x9002;
pub fn c_addi(rd: u32, imm: i32) -> u16 {
    ci(0, rd, imm, 1)
}
pub fn c_addiw(rd: u32, imm: i32) -> u16 {
    ci(1, rd, imm, 1)
}
pub fn c_li(rd: u32, imm: i32) -> u16 {
    ci(2, rd, imm, 1)
}
/// `c.lui rd, upper` (`upper` is the 6-bit immediate, nonzero; rd is not x0 or x2).
pub fn c_lui(rd: u32, upper: i32) -> u16 {
    ci(3, rd, upper, 1)
}
pub fn c_slli(rd: u32, shamt: u32) -> u16 {
    ci(0, rd, shamt as i32, 2)
}
/// `c.addi16sp imm` (a nonzero multiple of 16).
pub fn c_addi16sp(imm: i32) -> u16 {
    3 << 13
        | bit(imm, 9, 12)
        | 2 << 7
        | bit(imm, 4, 6)
        | bit(imm, 6, 5)
        | bit(imm, 7, 3)
        | bit(imm, 8, 4)
        | bit(imm, 5, 2)
        | 1
}
/// `c.addi4spn rd, imm` (a nonzero multiple of 4 below 1024).
pub fn c_addi4spn(rd: u32, imm: i32) -> u16 {
    bit(imm, 4, 11)
        | bit(imm, 5, 12)
        | bit(imm, 6, 7)
        | bit(imm, 7, 8)
        | bit(imm, 8, 9)
        | bit(imm, 9, 10)
        | bit(imm, 2, 6)
        | bit(imm, 3, 5)
        | c3(rd) << 2
}
/// c.srli (`kind` 0), c.srai (1) or c.andi (2) of a register in x8..x15.
fn c_misc(kind: u16, rd: u32, imm: i32) -> u16 {
    4 << 13 | bit(imm, 5, 12) | kind << 10 | c3(rd) << 7 | ((imm as u16) & 0x1f) << 2 | 1
}
pub fn c_srli(rd: u32, shamt: u32) -> u16 {
    c_misc(0, rd, shamt as i32)
}
pub fn c_srai(rd: u32, shamt: u32) -> u16 {
    c_misc(1, rd, shamt as i32)
}
pub fn c_andi(rd: u32, imm: i32) -> u16 {
    c_misc(2, rd, imm)
}
/// A CA-format instruction: `word` for the `.w` forms, `kind` 0..3 (sub/xor/or/and, or
/// subw/addw).
fn c_arith(word: bool, kind: u16, rd: u32, rs2: u32) -> u16 {
    4 << 13 | u16::from(word) << 12 | 3 << 10 | c3(rd) << 7 | kind << 5 | c3(rs2) << 2 | 1
}
pub fn c_sub(rd: u32, rs2: u32) -> u16 {
    c_arith(false, 0, rd, rs2)
}
pub fn c_xor(rd: u32, rs2: u32) -> u16 {
    c_arith(false, 1, rd, rs2)
}
pub fn c_or(rd: u32, rs2: u32) -> u16 {
    c_arith(false, 2, rd, rs2)
}
pub fn c_and(rd: u32, rs2: u32) -> u16 {
    c_arith(false, 3, rd, rs2)
}
pub fn c_subw(rd: u32, rs2: u32) -> u16 {
    c_arith(true, 0, rd, rs2)
}
pub fn c_addw(rd: u32, rs2: u32) -> u16 {
    c_arith(true, 1, rd, rs2)
}
/// A CR-format instruction with bit 12 `b12`.
fn cr(b12: u16, rd: u32, rs2: u32) -> u16 {
    4 << 13 | b12 << 12 | (rd as u16 & 31) << 7 | (rs2 as u16 & 31) << 2 | 2
}
pub fn c_mv(rd: u32, rs2: u32) -> u16 {
    cr(0, rd, rs2)
}
pub fn c_add(rd: u32, rs2: u32) -> u16 {
    cr(1, rd, rs2)
}
pub fn c_jr(rs1: u32) -> u16 {
    cr(0, rs1, 0)
}
pub fn c_jalr(rs1: u32) -> u16 {
    cr(1, rs1, 0)
}
/// c.lw (`f3` 2) or c.sw (6): offset a multiple of 4 below 128.
fn c_word(f3: u16, r: u32, rs1: u32, imm: i32) -> u16 {
    f3 << 13
        | (((imm as u16) >> 3) & 7) << 10
        | c3(rs1) << 7
        | bit(imm, 2, 6)
        | bit(imm, 6, 5)
        | c3(r) << 2
}
/// c.ld (3), c.fld (1), c.sd (7) or c.fsd (5): offset a multiple of 8 below 256.
fn c_double(f3: u16, r: u32, rs1: u32, imm: i32) -> u16 {
    f3 << 13
        | (((imm as u16) >> 3) & 7) << 10
        | c3(rs1) << 7
        | (((imm as u16) >> 6) & 3) << 5
        | c3(r) << 2
}
pub fn c_lw(rd: u32, rs1: u32, imm: i32) -> u16 {
    c_word(2, rd, rs1, imm)
}
pub fn c_sw(rs2: u32, rs1: u32, imm: i32) -> u16 {
    c_word(6, rs2, rs1, imm)
}
pub fn c_ld(rd: u32, rs1: u32, imm: i32) -> u16 {
    c_double(3, rd, rs1, imm)
}
pub fn c_sd(rs2: u32, rs1: u32, imm: i32) -> u16 {
    c_double(7, rs2, rs1, imm)
}
pub fn c_fld(rd: u32, rs1: u32, imm: i32) -> u16 {
    c_double(1, rd, rs1, imm)
}
pub fn c_fsd(rs2: u32, rs1: u32, imm: i32) -> u16 {
    c_double(5, rs2, rs1, imm)
}
/// c.lwsp: offset a multiple of 4 below 256.
pub fn c_lwsp(rd: u32, imm: i32) -> u16 {
    2 << 13
        | bit(imm, 5, 12)
        | (rd as u16 & 31) << 7
        | (((imm as u16) >> 2) & 7) << 4
        | (((imm as u16) >> 6) & 3) << 2
        | 2
}
/// c.ldsp (3) or c.fldsp (1): offset a multiple of 8 below 512.
fn c_ldsp_like(f3: u16, rd: u32, imm: i32) -> u16 {
    f3 << 13
        | bit(imm, 5, 12)
        | (rd as u16 & 31) << 7
        | (((imm as u16) >> 3) & 3) << 5
        | (((imm as u16) >> 6) & 7) << 2
        | 2
}
pub fn c_ldsp(rd: u32, imm: i32) -> u16 {
    c_ldsp_like(3, rd, imm)
}
pub fn c_fldsp(rd: u32, imm: i32) -> u16 {
    c_ldsp_like(1, rd, imm)
}
/// c.swsp: offset a multiple of 4 below 256.
pub fn c_swsp(rs2: u32, imm: i32) -> u16 {
    6 << 13
        | (((imm as u16) >> 2) & 0xf) << 9
        | (((imm as u16) >> 6) & 3) << 7
        | (rs2 as u16 & 31) << 2
        | 2
}
/// c.sdsp (7) or c.fsdsp (5): offset a multiple of 8 below 512.
fn c_sdsp_like(f3: u16, rs2: u32, imm: i32) -> u16 {
    f3 << 13
        | (((imm as u16) >> 3) & 7) << 10
        | (((imm as u16) >> 6) & 7) << 7
        | (rs2 as u16 & 31) << 2
        | 2
}
pub fn c_sdsp(rs2: u32, imm: i32) -> u16 {
    c_sdsp_like(7, rs2, imm)
}
pub fn c_fsdsp(rs2: u32, imm: i32) -> u16 {
    c_sdsp_like(5, rs2, imm)
}
pub fn c_j(imm: i32) -> u16 {
    5 << 13
        | bit(imm, 11, 12)
        | bit(imm, 4, 11)
        | bit(imm, 8, 9)
        | bit(imm, 9, 10)
        | bit(imm, 10, 8)
        | bit(imm, 6, 7)
        | bit(imm, 7, 6)
        | bit(imm, 1, 3)
        | bit(imm, 2, 4)
        | bit(imm, 3, 5)
        | bit(imm, 5, 2)
        | 1
}
/// c.beqz (`bnez` false) or c.bnez.
pub fn c_bz(bnez: bool, rs1: u32, imm: i32) -> u16 {
    (6 + u16::from(bnez)) << 13
        | bit(imm, 8, 12)
        | bit(imm, 3, 10)
        | bit(imm, 4, 11)
        | c3(rs1) << 7
        | bit(imm, 6, 5)
        | bit(imm, 7, 6)
        | bit(imm, 1, 3)
        | bit(imm, 2, 4)
        | bit(imm, 5, 2)
        | 1
}

/// A label of an [`Asm`] program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

/// An instruction that refers to a label, completed when the program is finished.
#[derive(Clone, Copy, Debug)]
enum Fixup {
    /// A conditional branch by funct3.
    Branch {
        f3: u32,
        rs1: u32,
        rs2: u32,
    },
    Jal {
        rd: u32,
    },
    /// c.beqz or c.bnez.
    CBranch {
        bnez: bool,
        rs1: u32,
    },
    CJ,
}

/// A program under construction at a fixed address: instructions of either length, and
/// labels that branches may use before they are bound.
pub struct Asm {
    base: u64,
    bytes: Vec<u8>,
    labels: Vec<Option<u64>>,
    fixups: Vec<(usize, Fixup, Label)>,
}

impl Asm {
    /// An empty program that will be placed at `base`.
    pub fn new(base: u64) -> Asm {
        Asm {
            base,
            bytes: Vec::new(),
            labels: Vec::new(),
            fixups: Vec::new(),
        }
    }

    /// The address of the next instruction.
    pub fn here(&self) -> u64 {
        self.base + self.bytes.len() as u64
    }

    /// Appends a 4-byte instruction.
    pub fn put(&mut self, word: u32) {
        self.bytes.extend_from_slice(&word.to_le_bytes());
    }

    /// Appends a 2-byte instruction.
    pub fn put16(&mut self, half: u16) {
        self.bytes.extend_from_slice(&half.to_le_bytes());
    }

    /// A new label, not bound yet.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Binds `label` to the next instruction.
    pub fn bind(&mut self, label: Label) {
        self.labels[label.0] = Some(self.here());
    }

    /// A label bound to the next instruction.
    pub fn bound(&mut self) -> Label {
        let label = self.label();
        self.bind(label);
        label
    }

    /// The byte offset from the next instruction to bound `label`.
    pub fn offset_to(&self, label: Label) -> i32 {
        let target = self.labels[label.0].expect("label bound");
        target.wrapping_sub(self.here()) as i32
    }

    /// A conditional branch (by funct3) to `label`.
    pub fn branch(&mut self, f3: u32, rs1: u32, rs2: u32, label: Label) {
        self.fixup(Fixup::Branch { f3, rs1, rs2 }, label, 4);
    }

    /// `jal rd, label`.
    pub fn jal(&mut self, rd: u32, label: Label) {
        self.fixup(Fixup::Jal { rd }, label, 4);
    }

    /// `c.beqz` or `c.bnez` to `label`.
    pub fn c_bz(&mut self, bnez: bool, rs1: u32, label: Label) {
        self.fixup(Fixup::CBranch { bnez, rs1 }, label, 2);
    }

    /// `c.j label`.
    pub fn c_j(&mut self, label: Label) {
        self.fixup(Fixup::CJ, label, 2);
    }

    /// `rd = address` for an `address` within 2 GiB of the next instruction
    /// (`auipc` + `addi`).
    pub fn la(&mut self, rd: u32, address: u64) {
        let delta = address.wrapping_sub(self.here()) as i64;
        let hi = (delta + 0x800) >> 12;
        let lo = delta - (hi << 12);
        self.put(auipc(rd, hi as u32));
        self.put(addi(rd, rd, lo as i32));
    }

    /// `rd = value`, sign-extended (`lui` + `addiw`).
    pub fn li(&mut self, rd: u32, value: i32) {
        let hi = (value.wrapping_add(0x800) as u32) >> 12;
        let lo = value.wrapping_sub((hi << 12) as i32);
        self.put(lui(rd, hi));
        self.put(op_imm32(0, rd, rd, lo));
    }

    fn fixup(&mut self, fixup: Fixup, label: Label, len: usize) {
        self.fixups.push((self.bytes.len(), fixup, label));
        self.bytes.extend(std::iter::repeat_n(0, len));
    }

    /// The program's bytes, with every branch to a label completed.
    pub fn finish(mut self) -> Vec<u8> {
        for &(at, fixup, label) in &self.fixups {
            let target = self.labels[label.0].expect("every used label is bound");
            let off = target.wrapping_sub(self.base + at as u64) as i32;
            let reach = match fixup {
                Fixup::Branch { .. } => 1 << 12,
                Fixup::Jal { .. } => 1 << 20,
                Fixup::CBranch { .. } => 1 << 8,
                Fixup::CJ => 1 << 11,
            };
            assert!(
                (-reach..reach).contains(&off),
                "{fixup:?} cannot reach {off}"
            );
            let bytes = &mut self.bytes[at..];
            match fixup {
                Fixup::Branch { f3, rs1, rs2 } => {
                    bytes[..4].copy_from_slice(&branch(f3, rs1, rs2, off).to_le_bytes())
                }
                Fixup::Jal { rd } => bytes[..4].copy_from_slice(&jal(rd, off).to_le_bytes()),
                Fixup::CBranch { bnez, rs1 } => {
                    bytes[..2].copy_from_slice(&c_bz(bnez, rs1, off).to_le_bytes())
                }
                Fixup::CJ => bytes[..2].copy_from_slice(&c_j(off).to_le_bytes()),
            }
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;
    use crate::insn::Op;

    /// Each encoder against the word `riscv64-unknown-elf-as -march=rv64gc` produces for the
    /// same instruction (with `.option norvc` for the first).
    #[test]
    fn encodings_match_the_gnu_assembler() {
        let cases: &[(&str, u32, u32)] = &[
            ("lui t0, 0xfffff", lui(5, 0xfffff), 0xfffff2b7),
            ("auipc a0, 0x12345", auipc(10, 0x12345), 0x12345517),
            ("jal ra, .+2046", jal(1, 2046), 0x7fe000ef),
            ("jal x0, .-4096", jal(0, -4096), 0x800ff06f),
            ("jalr ra, -5(t2)", jalr(1, 7, -5), 0xffb380e7),
            ("beq a0, a1, .-4096", beq(10, 11, -4096), 0x80b50063),
            ("bne s0, zero, .+4094", bne(8, 0, 4094), 0x7e041fe3),
            ("blt zero, s0, .-2", blt(0, 8, -2), 0xfe804fe3),
            ("bltu t1, t2, .+64", bltu(6, 7, 64), 0x4736063),
            ("bgeu t1, t2, .-64", branch(7, 6, 7, -64), 0xfc7370e3),
            ("lwu a0, -2048(t5)", load(6, 10, 30, -2048), 0x800f6503),
            ("lhu a0, 2047(t5)", lhu(10, 30, 2047), 0x7fff5503),
            ("sh a5, -1(t4)", sh(15, 29, -1), 0xfefe9fa3),
            ("sd s11, 1000(sp)", sd(27, 2, 1000), 0x3fb13423),
            ("sltiu a0, a1, -1", op_imm(3, 10, 11, -1), 0xfff5b513),
            ("srai a0, a1, 63", srai(10, 11, 63), 0x43f5d513),
            ("srli a0, a1, 1", srli(10, 11, 1), 0x15d513),
            ("slli a0, a1, 33", slli(10, 11, 33), 0x2159513),
            (
                "sraiw a0, a1, 31",
                op_imm32(5, 10, 11, 0x400 | 31),
                0x41f5d51b,
            ),
            ("mulhsu a0, a1, a2", op(1, 2, 10, 11, 12), 0x2c5a533),
            ("remuw a0, a1, a2", op32(1, 7, 10, 11, 12), 0x2c5f53b),
            ("sraw a0, a1, a2", op32(0x20, 5, 10, 11, 12), 0x40c5d53b),
            ("lr.d.aqrl a0, (t2)", amo(2, true, 3, 10, 0, 7), 0x1603b52f),
            (
                "sc.w.rl a0, a1, (t2)",
                amo(3, false, 1, 10, 11, 7),
                0x1ab3a52f,
            ),
            (
                "amomaxu.d.aq a0, a1, (t2)",
                amo(0x1c, true, 2, 10, 11, 7),
                0xe4b3b52f,
            ),
            (
                "amoand.w a0, a1, (t2)",
                amo(0xc, false, 0, 10, 11, 7),
                0x60b3a52f,
            ),
            ("csrrs a0, mstatus, t2", csrrs(10, 0x300, 7), 0x3003a573),
            ("csrrci a0, sip, 2", csrrci(10, 0x144, 2), 0x14417573),
            ("csrrwi a0, fflags, 31", csr(5, 10, 1, 31), 0x1fd573),
            ("sfence.vma t5, zero", sfence_vma(30, 0), 0x120f0073),
            ("fence", FENCE, 0xff0000f),
            ("flw f31, -4(t5)", flw(31, 30, -4), 0xffcf2f87),
            ("fsd f1, 2040(sp)", fsd(1, 2, 2040), 0x7e113c27),
            ("fadd.d f1, f2, f3, rtz", fp(0, true, 1, 1, 2, 3), 0x23110d3),
            (
                "fsqrt.s f1, f2, dyn",
                fp(0xb, false, 7, 1, 2, 0),
                0x580170d3,
            ),
            ("fsgnjx.d f1, f2, f3", fp(4, true, 2, 1, 2, 3), 0x223120d3),
            ("fmax.s f1, f2, f3", fp(5, false, 1, 1, 2, 3), 0x283110d3),
            ("fcvt.s.d f1, f2, rne", fp(8, false, 0, 1, 2, 1), 0x401100d3),
            ("fcvt.d.s f1, f2", fp(8, true, 0, 1, 2, 0), 0x420100d3),
            ("flt.d a0, f2, f3", fp(0x14, true, 1, 10, 2, 3), 0xa2311553),
            ("fclass.s a0, f2", fp(0x1c, false, 1, 10, 2, 0), 0xe0011553),
            ("fmv.x.d a0, f2", fp(0x1c, true, 0, 10, 2, 0), 0xe2010553),
            (
                "fcvt.lu.s a0, f2, rup",
                fp(0x18, false, 3, 10, 2, 3),
                0xc0313553,
            ),
            (
                "fcvt.d.l f1, a0, rmm",
                fp(0x1a, true, 4, 1, 10, 2),
                0xd22540d3,
            ),
            ("fmv.w.x f1, a0", fp(0x1e, false, 0, 1, 10, 0), 0xf00500d3),
            (
                "fnmadd.d f1, f2, f3, f4, rdn",
                fma(0x4f, true, 2, 1, 2, 3, 4),
                0x223120cf,
            ),
            (
                "fmsub.s f1, f2, f3, f31, dyn",
                fma(0x47, false, 7, 1, 2, 3, 31),
                0xf83170c7,
            ),
            ("c.addi a0, -32", u32::from(c_addi(10, -32)), 0x1501),
            ("c.addiw a5, 31", u32::from(c_addiw(15, 31)), 0x27fd),
            ("c.li s2, -1", u32::from(c_li(18, -1)), 0x597d),
            ("c.lui t1, 0xfffe0", u32::from(c_lui(6, -32)), 0x7301),
            ("c.lui t1, 31", u32::from(c_lui(6, 31)), 0x637d),
            ("c.slli a0, 63", u32::from(c_slli(10, 63)), 0x157e),
            ("c.srli a5, 32", u32::from(c_srli(15, 32)), 0x9381),
            ("c.srai s0, 1", u32::from(c_srai(8, 1)), 0x8405),
            ("c.andi a2, -17", u32::from(c_andi(12, -17)), 0x9a3d),
            ("c.sub a0, a5", u32::from(c_sub(10, 15)), 0x8d1d),
            ("c.xor s1, s0", u32::from(c_xor(9, 8)), 0x8ca1),
            ("c.or a3, a4", u32::from(c_or(13, 14)), 0x8ed9),
            ("c.and a4, a3", u32::from(c_and(14, 13)), 0x8f75),
            ("c.subw a0, a1", u32::from(c_subw(10, 11)), 0x9d0d),
            ("c.addw a1, a0", u32::from(c_addw(11, 10)), 0x9da9),
            ("c.mv t0, t6", u32::from(c_mv(5, 31)), 0x82fe),
            ("c.add a0, sp", u32::from(c_add(10, 2)), 0x950a),
            ("c.jr ra", u32::from(c_jr(1)), 0x8082),
            ("c.jalr t2", u32::from(c_jalr(7)), 0x9382),
            (
                "c.addi4spn a0, sp, 1020",
                u32::from(c_addi4spn(10, 1020)),
                0x1fe8,
            ),
            ("c.addi4spn a5, sp, 4", u32::from(c_addi4spn(15, 4)), 0x5c),
            ("c.addi16sp sp, -512", u32::from(c_addi16sp(-512)), 0x7101),
            ("c.addi16sp sp, 496", u32::from(c_addi16sp(496)), 0x617d),
            ("c.lw a0, 124(s1)", u32::from(c_lw(10, 9, 124)), 0x5ce8),
            ("c.sw a5, 68(s1)", u32::from(c_sw(15, 9, 68)), 0xc0fc),
            ("c.ld a0, 248(s1)", u32::from(c_ld(10, 9, 248)), 0x7ce8),
            ("c.sd s0, 136(a5)", u32::from(c_sd(8, 15, 136)), 0xe7c0),
            ("c.fld fa0, 200(s1)", u32::from(c_fld(10, 9, 200)), 0x24e8),
            ("c.fsd fs1, 8(s1)", u32::from(c_fsd(9, 9, 8)), 0xa484),
            ("c.lwsp t0, 252(sp)", u32::from(c_lwsp(5, 252)), 0x52fe),
            ("c.lwsp t0, 68(sp)", u32::from(c_lwsp(5, 68)), 0x4296),
            ("c.ldsp a0, 504(sp)", u32::from(c_ldsp(10, 504)), 0x757e),
            ("c.ldsp a0, 40(sp)", u32::from(c_ldsp(10, 40)), 0x7522),
            ("c.fldsp f31, 328(sp)", u32::from(c_fldsp(31, 328)), 0x2fb6),
            ("c.swsp t6, 252(sp)", u32::from(c_swsp(31, 252)), 0xdffe),
            ("c.swsp t6, 132(sp)", u32::from(c_swsp(31, 132)), 0xc37e),
            ("c.sdsp ra, 504(sp)", u32::from(c_sdsp(1, 504)), 0xff86),
            ("c.sdsp ra, 72(sp)", u32::from(c_sdsp(1, 72)), 0xe486),
            ("c.fsdsp f7, 264(sp)", u32::from(c_fsdsp(7, 264)), 0xa61e),
            ("c.j .-2048", u32::from(c_j(-2048)), 0xb001),
            ("c.j .+2046", u32::from(c_j(2046)), 0xaffd),
            ("c.j .+1364", u32::from(c_j(1364)), 0xab91),
            ("c.j .-682", u32::from(c_j(-682)), 0xbb99),
            ("c.beqz a0, .-256", u32::from(c_bz(false, 10, -256)), 0xd101),
            ("c.bnez s0, .+254", u32::from(c_bz(true, 8, 254)), 0xec7d),
            ("c.bnez s0, .+170", u32::from(c_bz(true, 8, 170)), 0xe44d),
            ("c.beqz a5, .-86", u32::from(c_bz(false, 15, -86)), 0xd7cd),
            ("c.ebreak", u32::from(C_EBREAK), 0x9002),
            ("c.nop", u32::from(C_NOP), 0x1),
        ];
        for &(text, ours, gnu) in cases {
            assert_eq!(ours, gnu, "{text}: {ours:#x}, the assembler's {gnu:#x}");
            assert_ne!(decode(ours).op, Op::Illegal, "{text}");
        }
    }
}
