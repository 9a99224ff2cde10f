/* RV64M: multiplication high parts with every signedness, division and remainder by zero and
 * signed overflow (the spec's defined results, no trap), and sign extension of the W forms. */
#include "test.h"

TEST_BEGIN
    TEST_RR_OP(1, mul, 0x0000000000001200, 0x0000000000007e00, 0x6db6db6db6db6db7)
    TEST_RR_OP(2, mul, 0x0000000000000001, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR_OP(3, mul, 0x0000000000000000, 0x8000000000000000, 2)
    TEST_RR_OP(4, mulh, 0x0000000000000000, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR_OP(5, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
    TEST_RR_OP(6, mulh, 0xffffffffffffffff, 0xffffffffffffffff, 1)
    TEST_RR_OP(7, mulh, 0xc000000000000000, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR_OP(8, mulhu, 0xfffffffffffffffe, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR_OP(9, mulhu, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
    TEST_RR_OP(10, mulhu, 0x0000000000000000, 0xffffffffffffffff, 1)
    TEST_RR_OP(11, mulhsu, 0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR_OP(12, mulhsu, 0x0000000000000001, 2, 0xffffffffffffffff)
    TEST_RR_OP(13, mulhsu, 0xffffffffffffffff, 0xfffffffffffffffe, 3)
    TEST_RR_OP(14, mulhsu, 0xc000000000000000, 0x8000000000000000, 0x8000000000000000)
    TEST_RR_OP(15, mulw, 0xfffffffffffffffe, 0x7fffffff, 2)
    TEST_RR_OP(16, mulw, 0x0000000000000001, 0xabcdef00ffffffff, 0x12345678ffffffff)
    TEST_RR_OP(17, mulw, 0xffffffff80000000, 0x40000000, 2)
    GROUP "rv64m multiply"

    TEST_RR_OP(18, div, 0xfffffffffffffffd, 20, -6)
    TEST_RR_OP(19, div, 0xfffffffffffffffd, -20, 6)
    TEST_RR_OP(20, div, 3, -20, -6)
    TEST_RR_OP(21, divu, 0x2aaaaaaaaaaaaaa7, -20, 6)
    TEST_RR_OP(22, rem, 2, 20, -6)
    TEST_RR_OP(23, rem, -2, -20, 6)
    TEST_RR_OP(24, remu, 2, -20, 6)
    TEST_RR_OP(25, div, 0xffffffffffffffff, 42, 0)
    TEST_RR_OP(26, divu, 0xffffffffffffffff, 42, 0)
    TEST_RR_OP(27, rem, 42, 42, 0)
    TEST_RR_OP(28, remu, -42, -42, 0)
    TEST_RR_OP(29, div, 0x8000000000000000, 0x8000000000000000, -1)
    TEST_RR_OP(30, rem, 0, 0x8000000000000000, -1)
    TEST_RR_OP(31, divu, 0, 0x8000000000000000, -1)
    TEST_RR_OP(32, remu, 0x8000000000000000, 0x8000000000000000, -1)
    GROUP "rv64m divide"

    TEST_RR_OP(33, divw, 0xfffffffffffffffd, 0xffffffff00000014, -6)
    TEST_RR_OP(34, divw, 0xffffffffffffffff, 42, 0)
    TEST_RR_OP(35, divw, 0xffffffff80000000, 0x80000000, -1)
    TEST_RR_OP(36, divuw, 0x000000002aaaaaa7, 0xffffffec, 6)
    TEST_RR_OP(37, divuw, 0xffffffffffffffff, 42, 0)
    TEST_RR_OP(38, divuw, 0xffffffff80000000, 0x80000000, 1)
    TEST_RR_OP(39, remw, 0xfffffffffffffffe, -20, 6)
    TEST_RR_OP(40, remw, 0xffffffff80000000, 0x1234567880000000, 0)
    TEST_RR_OP(41, remw, 0, 0x80000000, -1)
    TEST_RR_OP(42, remuw, 0x0000000000000002, 0xffffffec, 6)
    TEST_RR_OP(43, remuw, 0xffffffff80000001, 0x0000000180000001, 0)
    TEST_RR_OP(44, remuw, 0xffffffff80000000, 0x80000000, 0xffffffff00000000)
    GROUP "rv64m word divide"
TEST_END
