/* RV64I: every base instruction, with the edge cases of sign extension, shift amounts,
 * signed/unsigned comparison, upper immediates, jumps and loads of every width. */
#include "test.h"

TEST_BEGIN
    /* Register-register arithmetic and logic. */
    TEST_RR_OP(1, add, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000)
    TEST_RR_OP(2, add, 0xffffffff80000000, 0xffffffff80000000, 0x0000000000000000)
    TEST_RR_OP(3, add, 0x0000000080007ffe, 0x000000007fffffff, 0x0000000000007fff)
    TEST_RR_OP(4, add, 0x0000000000000000, 0xffffffffffffffff, 0x0000000000000001)
    TEST_RR_OP(5, add, 0x8000000000000000, 0x7fffffffffffffff, 0x0000000000000001)
    TEST_RR_OP(6, sub, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000001)
    TEST_RR_OP(7, sub, 0x7fffffffffffffff, 0x8000000000000000, 0x0000000000000001)
    TEST_RR_OP(8, sub, 0x0000000000000002, 0x0000000000000003, 0x0000000000000001)
    TEST_RR_OP(9, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f)
    TEST_RR_OP(10, or, 0xff0fff0f, 0xff00ff00, 0x0f0f0f0f)
    TEST_RR_OP(11, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f)
    TEST_RR_OP(12, xor, 0xffffffffffffffff, 0x5555555555555555, 0xaaaaaaaaaaaaaaaa)
    GROUP "rv64i register arithmetic"

    /* Comparisons: signed and unsigned, negative operands. */
    TEST_RR_OP(13, slt, 1, -1, 0)
    TEST_RR_OP(14, slt, 0, 0, -1)
    TEST_RR_OP(15, slt, 1, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR_OP(16, slt, 0, 5, 5)
    TEST_RR_OP(17, sltu, 0, -1, 0)
    TEST_RR_OP(18, sltu, 1, 0, -1)
    TEST_RR_OP(19, sltu, 0, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_IMM_OP(20, slti, 1, -2, -1)
    TEST_IMM_OP(21, slti, 0, 0, -2048)
    TEST_IMM_OP(22, slti, 1, 0x8000000000000000, 0)
    TEST_IMM_OP(23, sltiu, 1, 0, -1)
    TEST_IMM_OP(24, sltiu, 0, -1, -1)
    TEST_IMM_OP(25, sltiu, 1, 0xfffffffffffffffe, -1)
    TEST_IMM_OP(26, sltiu, 1, 0, 1)
    GROUP "rv64i comparisons"

    /* Immediate arithmetic and logic (12-bit sign-extended immediates). */
    TEST_IMM_OP(27, addi, 0x00000000000007ff, 0, 2047)
    TEST_IMM_OP(28, addi, 0xfffffffffffff800, 0, -2048)
    TEST_IMM_OP(29, addi, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_IMM_OP(30, andi, 0xff00ff00, 0xff00ff00, -1)
    TEST_IMM_OP(31, andi, 0x000000f0, 0xff00fff0, 0x0f0)
    TEST_IMM_OP(32, ori, 0xffffffffffffff0f, 0x00ff0f00, -241)
    TEST_IMM_OP(33, xori, 0xffffffffff00f00f, 0x0000000000ff0ff0, -1)
    TEST_IMM_OP(34, xori, 0x00ff0f00, 0x00ff0ff0, 0x0f0)
    GROUP "rv64i immediate arithmetic"

    /* Shifts: 64-bit by 0/1/31/32/63 and register amounts taken mod 64. */
    TEST_IMM_OP(35, slli, 0x8000000000000000, 1, 63)
    TEST_IMM_OP(36, slli, 0x0000000100000000, 1, 32)
    TEST_IMM_OP(37, srli, 0x0000000000000001, 0x8000000000000000, 63)
    TEST_IMM_OP(38, srai, 0xffffffffffffffff, 0x8000000000000000, 63)
    TEST_IMM_OP(39, srai, 0xffffffff00000000, 0x8000000000000000, 31)
    TEST_IMM_OP(40, srli, 0x0000000100000000, 0x8000000000000000, 31)
    TEST_RR_OP(41, sll, 0x8000000000000000, 1, 63)
    TEST_RR_OP(42, sll, 0x0000000000000002, 1, 65)
    TEST_RR_OP(43, srl, 0x0000000000000001, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR_OP(44, sra, 0xc000000000000000, 0x8000000000000000, 1)
    TEST_RR_OP(45, sra, 0x8000000000000000, 0x8000000000000000, 64)
    TEST_IMM_OP(46, srai, 0x7fffffff, 0x7fffffffffffffff, 32)
    GROUP "rv64i shifts"

    /* W ops: 32-bit results sign-extended to 64 bits; shifts by 31 and amounts mod 32. */
    TEST_RR_OP(47, addw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RR_OP(48, addw, 0x0000000000000000, 0xffffffff, 1)
    TEST_RR_OP(49, addw, 0x0000000000000002, 0x1234567800000001, 0x8765432100000001)
    TEST_RR_OP(50, subw, 0x000000007fffffff, 0xffffffff80000000, 1)
    TEST_RR_OP(51, subw, 0xffffffffffffffff, 0, 1)
    TEST_IMM_OP(52, addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_IMM_OP(53, addiw, 0xffffffffffffffff, 0x00000000ffffffff, 0)
    TEST_IMM_OP(54, addiw, 0x000000007ffff800, 0xffffffff7fffffff, -2047)
    TEST_IMM_OP(55, slliw, 0xffffffff80000000, 1, 31)
    TEST_IMM_OP(56, slliw, 0x0000000000000000, 0xffffffff00000000, 4)
    TEST_IMM_OP(57, srliw, 0x0000000000000001, 0x80000000, 31)
    TEST_IMM_OP(58, srliw, 0xffffffff80000000, 0x0000000080000000, 0)
    TEST_IMM_OP(59, srliw, 0x000000007fffffff, 0xfffffffffffffffe, 1)
    TEST_IMM_OP(60, sraiw, 0xffffffffffffffff, 0x80000000, 31)
    TEST_IMM_OP(61, sraiw, 0x0000000000000000, 0x800000007fffffff, 31)
    TEST_IMM_OP(62, sraiw, 0xffffffffc0000000, 0x80000000, 1)
    TEST_RR_OP(63, sllw, 0xffffffff80000000, 1, 31)
    TEST_RR_OP(64, sllw, 0x0000000000000002, 1, 33)
    TEST_RR_OP(65, srlw, 0x0000000000000001, 0xffffffff80000000, 31)
    TEST_RR_OP(66, srlw, 0x0000000040000000, 0x80000000, 0xffffffffffffffe1)
    TEST_RR_OP(67, sraw, 0xffffffffffffffff, 0x80000000, 31)
    TEST_RR_OP(68, sraw, 0xffffffffc0000000, 0x80000000, 33)
    TEST_RR_OP(69, sraw, 0x0000000012345678, 0xabcdef0012345678, 0)
    GROUP "rv64i word ops"

    /* lui/auipc: 20-bit immediate shifted by 12 and sign-extended from bit 31. */
    TEST_CASE(70, x14, 0xffffffff80000000, lui x14, 0x80000)
    TEST_CASE(71, x14, 0x000000007ffff000, lui x14, 0x7ffff)
    TEST_CASE(72, x14, 0xfffffffffffff000, lui x14, 0xfffff)
    TEST_CASE(73, x14, 0, lui x14, 0)
    TEST_CASE(74, x14, 0x2000, la x15, 1f; 1: auipc x14, 2; sub x14, x14, x15)
    TEST_CASE(75, x14, 0xffffffff80000000, la x15, 1f; 1: auipc x14, 0x80000; sub x14, x14, x15)
    GROUP "rv64i upper immediates"

    /* jal/jalr: link is pc+4, jalr clears bit 0 of the target, x0 link discards. */
    TEST_CASE(76, x14, 4, la x15, 1f; 1: jal x14, 2f; 2: sub x14, x14, x15)
    TEST_CASE(77, x14, 0, la x15, 2f; addi x15, x15, 1; li x14, 1; jalr x0, 0(x15); li x14, 2; 2: li x14, 0)
    TEST_CASE(78, x14, 8, la x15, 3f; la x16, 2f; jalr x14, -4(x15); 2: nop; nop; 3: sub x14, x14, x16; addi x14, x14, 8)
    TEST_CASE(79, x14, 0, li x14, 0; jal x0, 1f; li x14, 1; 1: nop)
    TEST_CASE(80, x1, 42, la x1, 1f; li x14, 42; jalr x1, 0(x1); 1: mv x1, x14)
    GROUP "rv64i jumps"

    /* Conditional branches, taken and not taken, signed and unsigned. */
    TEST_CASE(81, x14, 1, li x14, 0; li x1, -1; li x12, 1; blt x1, x12, 1f; j 2f; 1: li x14, 1; 2:)
    TEST_CASE(82, x14, 1, li x14, 0; li x1, -1; li x12, 1; bltu x12, x1, 1f; j 2f; 1: li x14, 1; 2:)
    TEST_CASE(83, x14, 1, li x14, 0; li x1, -1; li x12, 1; bge x12, x1, 1f; j 2f; 1: li x14, 1; 2:)
    TEST_CASE(84, x14, 1, li x14, 0; li x1, -1; li x12, 1; bgeu x1, x12, 1f; j 2f; 1: li x14, 1; 2:)
    TEST_CASE(85, x14, 1, li x14, 0; li x1, 5; li x12, 5; beq x1, x12, 1f; j 2f; 1: li x14, 1; 2:)
    TEST_CASE(86, x14, 1, li x14, 0; li x1, 5; li x12, 6; bne x1, x12, 1f; j 2f; 1: li x14, 1; 2:)
    TEST_CASE(87, x14, 0, li x14, 0; li x1, 5; li x12, 6; beq x1, x12, 1f; j 2f; 1: li x14, 1; 2:)
    TEST_CASE(88, x14, 0, li x14, 0; li x1, 5; li x12, 5; bge x1, x12, 2f; li x14, 1; 2:)
    TEST_CASE(89, x14, 0, li x14, 0; li x1, 5; li x12, 5; blt x1, x12, 2f; j 3f; 2: li x14, 1; 3:)
    TEST_CASE(90, x14, 0, li x14, 0; li x1, 5; li x12, 6; bltu x12, x1, 2f; j 3f; 2: li x14, 1; 3:)
    GROUP "rv64i branches"

    /* Loads of every width with sign/zero extension; positive and negative offsets. */
    TEST_CASE(91, x14, 0xffffffffffffff80, la x1, ldata; lb x14, 0(x1))
    TEST_CASE(92, x14, 0x0000000000000080, la x1, ldata; lbu x14, 0(x1))
    TEST_CASE(93, x14, 0xffffffffffff8180, la x1, ldata; lh x14, 0(x1))
    TEST_CASE(94, x14, 0x0000000000008180, la x1, ldata; lhu x14, 0(x1))
    TEST_CASE(95, x14, 0xffffffff83828180, la x1, ldata; lw x14, 0(x1))
    TEST_CASE(96, x14, 0x0000000083828180, la x1, ldata; lwu x14, 0(x1))
    TEST_CASE(97, x14, 0x8786858483828180, la x1, ldata; ld x14, 0(x1))
    TEST_CASE(98, x14, 0x0000000000000007, la x1, ldata + 16; lb x14, -1(x1))
    TEST_CASE(99, x14, 0xffffffffffff8786, la x1, ldata + 8; lh x14, -2(x1))
    TEST_CASE(100, x14, 0x0000000003020100, la x1, ldata + 12; lw x14, -4(x1))
    TEST_CASE(101, x14, 0x0706050403020100, la x1, ldata + 16; ld x14, -8(x1))
    TEST_CASE(102, x14, 0xffffffff87868584, la x1, ldata + 2048; lw x14, -2044(x1))
    GROUP "rv64i loads"

    /* Stores of every width write only their bytes. */
    TEST_CASE(103, x14, 0xaaaaaaaaaaaaaa11, la x1, sdata; li x12, -1; li x13, 0xaaaaaaaaaaaaaaaa; sd x13, 0(x1); li x12, 0x11; sb x12, 0(x1); ld x14, 0(x1))
    TEST_CASE(104, x14, 0xaaaaaaaa2211aaaa, la x1, sdata; li x13, 0xaaaaaaaaaaaaaaaa; sd x13, 0(x1); li x12, 0xffff2211; sh x12, 2(x1); ld x14, 0(x1))
    TEST_CASE(105, x14, 0x44332211aaaaaaaa, la x1, sdata; li x13, 0xaaaaaaaaaaaaaaaa; sd x13, 0(x1); li x12, 0x9944332211; sw x12, 4(x1); ld x14, 0(x1))
    TEST_CASE(106, x14, 0x0123456789abcdef, la x1, sdata + 16; li x12, 0x0123456789abcdef; sd x12, -16(x1); ld x14, -16(x1))
    GROUP "rv64i stores"

    /* Writes to x0 are ignored; x0 reads as zero. */
    TEST_CASE(107, x0, 0, li x0, 123)
    TEST_CASE(108, x14, 0, addi x0, x0, 5; mv x14, x0)
    TEST_CASE(109, x14, 0, la x1, ldata; ld x0, 0(x1); mv x14, x0)
    TEST_CASE(110, x14, 0, lui x0, 0x12345; auipc x0, 1; add x14, x0, x0)
    TEST_CASE(111, x14, 0, jal x0, 1f; 1: mv x14, x0)
    GROUP "rv64i x0"

    /* fence and fence.i execute as no-ops in a single-hart program. */
    TEST_CASE(112, x14, 7, li x14, 7; fence; fence rw, rw; fence.i)
    GROUP "rv64i fences"
TEST_END

    .data
    .align 4
ldata:
    .byte 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87
    .byte 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
    .space 2048
sdata:
    .space 32
