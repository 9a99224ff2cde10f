/* RV64A: every AMO in .w and .d form (old value returned, .w results sign-extended, memory
 * updated), LR/SC success and failure rules, and misaligned AMO/LR traps. */
#include "test.h"

/* AMO_W(n, inst, old, operand, expected_rd, expected_mem): stores `old` at amo_word, runs
 * `inst` with `operand` and checks the returned value and the new memory word (as lw). */
#define AMO_W(n, inst, old, operand, rd_val, mem_val) \
    TEST_CASE(n, x14, rd_val, la x11, amo_word; li x12, old; sw x12, 0(x11); li x12, operand; \
              inst x14, x12, (x11)); \
    lw x15, 0(x11); CHECK_REG x15, mem_val

#define AMO_D(n, inst, old, operand, rd_val, mem_val) \
    TEST_CASE(n, x14, rd_val, la x11, amo_dword; li x12, old; sd x12, 0(x11); li x12, operand; \
              inst x14, x12, (x11)); \
    ld x15, 0(x11); CHECK_REG x15, mem_val

TEST_BEGIN
    AMO_W(1, amoswap.w, 0x80000000, 0x12345678, 0xffffffff80000000, 0x12345678)
    AMO_W(2, amoadd.w, 0x7fffffff, 1, 0x7fffffff, 0xffffffff80000000)
    AMO_W(3, amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xfffffffff0f0f0f0)
    AMO_W(4, amoand.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0x0f000f00)
    AMO_W(5, amoor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xfffffffffff0fff0)
    AMO_W(6, amomin.w, 0x80000000, 1, 0xffffffff80000000, 0xffffffff80000000)
    AMO_W(7, amomax.w, 0x80000000, 1, 0xffffffff80000000, 1)
    AMO_W(8, amominu.w, 0x80000000, 1, 0xffffffff80000000, 1)
    AMO_W(9, amomaxu.w, 0x80000000, 1, 0xffffffff80000000, 0xffffffff80000000)
    AMO_W(10, amomin.w, 5, 0xffffffff, 5, 0xffffffffffffffff)
    AMO_W(11, amomaxu.w, 5, 0x1ffffffff, 5, 0xffffffffffffffff)
    AMO_W(12, amoswap.w.aqrl, 0x1, 0x2, 1, 2)
    /* A .w AMO leaves the neighbouring word untouched. */
    TEST_CASE(13, x14, 0x5a5a5a5a, la x11, amo_word; li x12, 0x5a5a5a5a; sw x12, 4(x11); \
              li x12, -1; amoadd.w x0, x12, (x11); lw x14, 4(x11))
    GROUP "rv64a word AMOs"

    AMO_D(14, amoswap.d, 0x8000000000000000, 0x123456789, 0x8000000000000000, 0x123456789)
    AMO_D(15, amoadd.d, 0x7fffffffffffffff, 1, 0x7fffffffffffffff, 0x8000000000000000)
    AMO_D(16, amoxor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0)
    AMO_D(17, amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00)
    AMO_D(18, amoor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xfff0fff0fff0fff0)
    AMO_D(19, amomin.d, 0x8000000000000000, 1, 0x8000000000000000, 0x8000000000000000)
    AMO_D(20, amomax.d, 0x8000000000000000, 1, 0x8000000000000000, 1)
    AMO_D(21, amominu.d, 0x8000000000000000, 1, 0x8000000000000000, 1)
    AMO_D(22, amomaxu.d, 0x8000000000000000, 1, 0x8000000000000000, 0x8000000000000000)
    AMO_D(23, amomin.d, -1, -2, -1, -2)
    AMO_D(24, amominu.d, -1, -2, -1, -2)
    GROUP "rv64a doubleword AMOs"

    /* LR/SC: success writes 0 and the value; a second SC after a successful one fails. */
    TEST_CASE(25, x14, 0, la x11, amo_dword; li x12, 7; sd x12, 0(x11); lr.d x13, (x11); \
              li x12, 9; sc.d x14, x12, (x11))
    TEST_CASE(26, x14, 9, ld x14, 0(x11))
    TEST_CASE(27, x14, 1, li x12, 11; sc.d x14, x12, (x11); snez x14, x14)
    TEST_CASE(28, x14, 9, ld x14, 0(x11))
    TEST_CASE(29, x14, 0xffffffff80000000, la x11, amo_word; li x12, 0x80000000; sw x12, 0(x11); \
              lr.w x14, (x11))
    TEST_CASE(30, x14, 0, li x12, 0x13; sc.w x14, x12, (x11))
    TEST_CASE(31, x14, 0x13, lw x14, 0(x11))
    TEST_CASE(32, x14, 1, li x12, 0x14; sc.w x14, x12, (x11); snez x14, x14)
    TEST_CASE(33, x14, 0x13, lw x14, 0(x11))
    /* SC without any reservation (after a trap-free AMO sequence) fails and does not write. */
    TEST_CASE(34, x14, 1, la x11, amo_dword; li x12, 0x55; sc.d x14, x12, (x11); snez x14, x14)
    TEST_CASE(35, x14, 9, ld x14, 0(x11))
    GROUP "rv64a LR/SC"

TEST_END

    .data
    .align 4
amo_word:
    .word 0, 0
amo_dword:
    .dword 0, 0
