/* RV64A misaligned accesses: AMOs and SC raise store/AMO address-misaligned (cause 6), LR a
 * load address-misaligned (cause 4), with mtval = the address.
 * VMFT-ONLY: QEMU 7.2 reports misaligned AMOs as load address-misaligned (cause 4). */
#include "test.h"

TEST_BEGIN
    /* Misaligned AMOs raise store/AMO address-misaligned, misaligned LR a load one; mtval is
     * the address. */
    TEST_CASE(36, x14, 6, EXPECT_TRAP; la x11, amo_dword + 4; li x12, 1; amoadd.d x0, x12, (x11); \
              END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE))
    TEST_CASE(37, x14, 1, LOAD_MTRAP(x14, MTRAP_COUNT))
    TEST_CASE(38, x14, 0, LOAD_MTRAP(x14, MTRAP_TVAL); la x15, amo_dword + 4; sub x14, x14, x15)
    TEST_CASE(39, x14, 6, EXPECT_TRAP; la x11, amo_word + 2; li x12, 1; amoswap.w x0, x12, (x11); \
              END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE))
    TEST_CASE(40, x14, 0, LOAD_MTRAP(x14, MTRAP_TVAL); la x15, amo_word + 2; sub x14, x14, x15)
    TEST_CASE(41, x14, 4, EXPECT_TRAP; la x11, amo_word + 1; lr.w x12, (x11); \
              END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE))
    TEST_CASE(42, x14, 6, EXPECT_TRAP; la x11, amo_dword + 4; sc.d x12, x12, (x11); \
              END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE))
    GROUP "rv64a misaligned traps"
TEST_END

    .data
    .align 4
amo_word:
    .word 0, 0
amo_dword:
    .dword 0, 0
