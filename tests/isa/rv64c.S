/* RV64C: every compressed instruction of RV64GC, written with explicit c. mnemonics, checked
 * for the expansion the spec defines (immediate scaling and sign extension, W forms, links). */
#include "test.h"

    .option rvc
TEST_BEGIN
    /* Stack-pointer based: c.addi4spn, c.addi16sp, c.lwsp/c.ldsp/c.swsp/c.sdsp, c.fldsp/c.fsdsp. */
    TEST_CASE(1, x14, 1020, mv s11, sp; la sp, cdata; c.addi4spn a0, sp, 1020; sub x14, a0, sp; mv sp, s11)
    TEST_CASE(2, x14, 4, mv s11, sp; la sp, cdata; c.addi4spn a0, sp, 4; sub x14, a0, sp; mv sp, s11)
    TEST_CASE(3, x14, -512, mv s11, sp; mv x15, sp; c.addi16sp sp, -512; sub x14, sp, x15; mv sp, s11)
    TEST_CASE(4, x14, 496, mv s11, sp; mv x15, sp; c.addi16sp sp, 496; sub x14, sp, x15; mv sp, s11)
    TEST_CASE(5, x14, 0xffffffff83828180, mv s11, sp; la sp, cdata; c.lwsp x14, 0(sp); mv sp, s11)
    TEST_CASE(6, x14, 0x0706050403020100, mv s11, sp; la sp, cdata; c.ldsp x14, 8(sp); mv sp, s11)
    TEST_CASE(7, x14, 0x0000000012345678, mv s11, sp; la sp, cdata; li x15, 0xabcdef0012345678; \
              c.swsp x15, 252(sp); lwu x14, 252(sp); mv sp, s11)
    TEST_CASE(8, x14, 0xabcdef0012345678, mv s11, sp; la sp, cdata; li x15, 0xabcdef0012345678; \
              c.sdsp x15, 504(sp); ld x14, 504(sp); mv sp, s11)
    TEST_CASE(9, x14, 0x4000000000000000, mv s11, sp; la sp, cdata; li x15, 0x4000000000000000; \
              fmv.d.x f1, x15; c.fsdsp f1, 256(sp); c.fldsp f2, 256(sp); fmv.x.d x14, f2; mv sp, s11)
    GROUP "rv64c stack-pointer forms"

    /* Register-based loads and stores (x8..x15). */
    TEST_CASE(10, a0, 0xffffffff87868584, la s0, cdata; c.lw a0, 4(s0))
    TEST_CASE(11, a1, 0x8786858483828180, la s0, cdata; c.ld a1, 0(s0))
    TEST_CASE(12, a2, 0x00000000cafef00d, la s1, cdata + 64; li a3, 0x11111111cafef00d; c.sw a3, 124(s1); lwu a2, 124(s1))
    TEST_CASE(13, a2, 0x11111111cafef00d, la s1, cdata + 64; li a3, 0x11111111cafef00d; c.sd a3, 248(s1); ld a2, 248(s1))
    TEST_CASE(14, a4, 0xbff0000000000000, la s1, cdata + 64; li a3, 0xbff0000000000000; fmv.d.x fa0, a3; \
              c.fsd fa0, 8(s1); c.fld fa1, 8(s1); fmv.x.d a4, fa1)
    GROUP "rv64c register loads and stores"

    /* Immediate arithmetic. */
    TEST_CASE(15, x14, 5, li x14, 5; c.nop)
    TEST_CASE(16, x14, -27, li x14, 5; c.addi x14, -32)
    TEST_CASE(17, x14, 36, li x14, 5; c.addi x14, 31)
    TEST_CASE(18, x14, 0xffffffff80000000, li x14, 0x7fffffff; c.addiw x14, 1)
    TEST_CASE(19, x14, 0xffffffffffffffff, li x14, 0xffffffff; c.addiw x14, 0)
    TEST_CASE(20, x14, -32, c.li x14, -32)
    TEST_CASE(21, x14, 31, c.li x14, 31)
    TEST_CASE(22, x14, 0xfffffffffffe0000, c.lui x14, 0xfffe0)
    TEST_CASE(23, x14, 0x000000000001f000, c.lui x14, 0x1f)
    TEST_CASE(24, a0, 0x0000000000000001, li a0, 0x8000000000000000; c.srli a0, 63)
    TEST_CASE(25, a0, 0x0000000100000000, li a0, 0x8000000000000000; c.srli a0, 31)
    TEST_CASE(26, a0, 0xffffffffffffffff, li a0, 0x8000000000000000; c.srai a0, 63)
    TEST_CASE(27, a0, 0xffffffffc0000000, li a0, 0x8000000000000000; c.srai a0, 33)
    TEST_CASE(28, a0, 0x00000000000001e0, li a0, 0x1ef; c.andi a0, -32)
    TEST_CASE(29, a0, 0xfffffffffffffff0, li a0, -1; c.andi a0, -16)
    TEST_CASE(30, a0, 0x0000000000000010, li a0, -1; c.andi a0, 16)
    TEST_CASE(31, x14, 0x8000000000000000, li x14, 1; c.slli x14, 63)
    TEST_CASE(32, x14, 0x0000000100000000, li x14, 1; c.slli x14, 32)
    GROUP "rv64c immediate arithmetic"

    /* Register arithmetic. */
    TEST_CASE(33, a0, 0xfffffffffffffffe, li a0, 1; li a1, 3; c.sub a0, a1)
    TEST_CASE(34, a0, 0x00000000f0f0f0f0, li a0, 0xff00ff00; li a1, 0x0ff00ff0; c.xor a0, a1)
    TEST_CASE(35, a0, 0x00000000fff0fff0, li a0, 0xff00ff00; li a1, 0x0ff00ff0; c.or a0, a1)
    TEST_CASE(36, a0, 0x000000000f000f00, li a0, 0xff00ff00; li a1, 0x0ff00ff0; c.and a0, a1)
    TEST_CASE(37, a0, 0x000000007fffffff, li a0, 0xffffffff80000000; li a1, 1; c.subw a0, a1)
    TEST_CASE(38, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, 1; c.addw a0, a1)
    TEST_CASE(39, a0, 0x0000000000000000, li a0, 0x1ffffffff; li a1, 1; c.addw a0, a1)
    TEST_CASE(40, x14, 0x123456789, li x15, 0x123456789; c.mv x14, x15)
    TEST_CASE(41, x14, 0x12345678a, li x14, 1; li x15, 0x123456789; c.add x14, x15)
    GROUP "rv64c register arithmetic"

    /* Control transfer: c.j, c.beqz/c.bnez, c.jr, c.jalr (link = pc + 2). */
    TEST_CASE(42, x14, 0, li x14, 0; c.j 1f; li x14, 1; 1:)
    TEST_CASE(43, x14, 0, li x14, 0; li a0, 0; c.beqz a0, 1f; li x14, 1; 1:)
    TEST_CASE(44, x14, 1, li x14, 0; li a0, 1; c.beqz a0, 1f; li x14, 1; 1:)
    TEST_CASE(45, x14, 0, li x14, 0; li a0, -1; c.bnez a0, 1f; li x14, 1; 1:)
    TEST_CASE(46, x14, 1, li x14, 0; li a0, 0; c.bnez a0, 1f; li x14, 1; 1:)
    TEST_CASE(47, x14, 0, li x14, 0; la x15, 1f; c.jr x15; li x14, 1; 1:)
    TEST_CASE(48, x14, 2, la x15, 2f; la x16, 1f; 1: c.jalr x15; 2: sub x14, ra, x16)
    GROUP "rv64c control transfer"

    /* c.ebreak: breakpoint exception with mepc = mtval = its address, 2-byte instruction. */
    TEST_CASE(49, x14, 3, EXPECT_TRAP; la x16, 1f; 1: c.ebreak; END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE))
    TEST_CASE(50, x14, 0, LOAD_MTRAP(x14, MTRAP_EPC); sub x14, x14, x16)
    TEST_CASE(51, x14, 1, LOAD_MTRAP(x14, MTRAP_COUNT))
    GROUP "rv64c ebreak"
TEST_END

    .data
    .align 4
cdata:
    .byte 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87
    .byte 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
    .space 1024
