//! A tiny RV64I encoder for the machine's tests: enough instructions to write bare-metal
//! programs as readable Rust instead of hex words.

pub const ZERO: u32 = 0;
pub const S1: u32 = 9;
pub const A0: u32 = 10;
pub const T0: u32 = 5;
pub const T1: u32 = 6;
pub const T2: u32 = 7;
pub const T3: u32 = 28;
pub const T4: u32 = 29;
pub const T5: u32 = 30;

pub const MSTATUS: u32 = 0x300;
pub const MIE: u32 = 0x304;
pub const MTVEC: u32 = 0x305;
pub const MIP: u32 = 0x344;

fn i_type(opcode: u32, funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode
}

fn s_type(funct3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 5 & 0x7f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (funct3 << 12)
        | ((imm & 0x1f) << 7)
        | 0x23
}

fn b_type(funct3: u32, rs1: u32, rs2: u32, offset: i32) -> u32 {
    let o = offset as u32;
    ((o >> 12 & 1) << 31)
        | ((o >> 5 & 0x3f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (funct3 << 12)
        | ((o >> 1 & 0xf) << 8)
        | ((o >> 11 & 1) << 7)
        | 0x63
}

/// `lui rd, upper` where `upper` is the 20-bit immediate.
pub fn lui(rd: u32, upper: u32) -> u32 {
    (upper << 12) | (rd << 7) | 0x37
}
pub fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 0, rd, rs1, imm)
}
pub fn slli(rd: u32, rs1: u32, shamt: i32) -> u32 {
    i_type(0x13, 1, rd, rs1, shamt)
}
/// `auipc rd, upper` where `upper` is the 20-bit immediate.
pub fn auipc(rd: u32, upper: u32) -> u32 {
    (upper << 12) | (rd << 7) | 0x17
}
pub fn andi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 7, rd, rs1, imm)
}
pub fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33
}
pub fn lbu(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x03, 4, rd, rs1, imm)
}
pub fn lw(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x03, 2, rd, rs1, imm)
}
pub fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x03, 3, rd, rs1, imm)
}
pub fn sb(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(0, rs2, rs1, imm)
}
pub fn sw(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(2, rs2, rs1, imm)
}
pub fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(3, rs2, rs1, imm)
}
pub fn beq(rs1: u32, rs2: u32, offset: i32) -> u32 {
    b_type(0, rs1, rs2, offset)
}
pub fn bne(rs1: u32, rs2: u32, offset: i32) -> u32 {
    b_type(1, rs1, rs2, offset)
}
pub fn bltu(rs1: u32, rs2: u32, offset: i32) -> u32 {
    b_type(6, rs1, rs2, offset)
}
/// `jal x0, offset`.
pub fn j(offset: i32) -> u32 {
    let o = offset as u32;
    ((o >> 20 & 1) << 31) | ((o >> 1 & 0x3ff) << 21) | ((o >> 11 & 1) << 20) | (o & 0xff000) | 0x6f
}
pub fn csrrs(rd: u32, csr: u32, rs1: u32) -> u32 {
    (csr << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x73
}
pub fn csrrw(rd: u32, csr: u32, rs1: u32) -> u32 {
    (csr << 20) | (rs1 << 15) | (1 << 12) | (rd << 7) | 0x73
}
pub fn wfi() -> u32 {
    0x1050_0073
}
pub fn mret() -> u32 {
    0x3020_0073
}

/// Little-endian bytes of a program.
pub fn assemble(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

#[test]
fn encodings_match_the_gnu_assembler() {
    // Reference words from riscv64-unknown-elf-as.
    assert_eq!(lui(T0, 0x10000), 0x100002b7);
    assert_eq!(addi(T1, T1, 0x555), 0x55530313);
    assert_eq!(addi(T2, T2, -8), 0xff838393);
    assert_eq!(sb(T1, T0, 0), 0x00628023);
    assert_eq!(sw(T1, T0, 0), 0x0062a023);
    assert_eq!(sd(T1, T0, 8), 0x0062b423);
    assert_eq!(lbu(T1, T0, 5), 0x0052c303);
    assert_eq!(ld(T1, T2, 0), 0x0003b303);
    assert_eq!(lw(T1, T4, 4), 0x004ea303);
    assert_eq!(mret(), 0x30200073);
    assert_eq!(beq(T1, ZERO, -8), 0xfe030ce3);
    assert_eq!(bne(T1, ZERO, 12), 0x00031663);
    assert_eq!(bltu(T4, T1, 16), 0x006ee863);
    assert_eq!(j(0), 0x0000006f);
    assert_eq!(j(-12), 0xff5ff06f);
    assert_eq!(csrrs(ZERO, MIE, T3), 0x304e2073);
    assert_eq!(csrrw(ZERO, MTVEC, T0), 0x30529073);
    assert_eq!(add(T1, T1, T3), 0x01c30333);
    assert_eq!(andi(T1, T1, 1), 0x00137313);
    assert_eq!(slli(T1, T1, 48), 0x03031313);
    assert_eq!(auipc(T0, 0), 0x00000297);
}
