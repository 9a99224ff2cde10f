/* Self-modifying code (Zifencei): hot loops rewrite their own instructions while they run
 * (every 16 iterations, the instruction right after the store, by sh of a compressed
 * instruction, by amoadd.w, across a page boundary), each rewrite followed by fence.i, so
 * every result is architecturally defined. The loops are in smc.h; smc_vmft.S runs them
 * without fence.i. */
#include "test.h"

#define SMC_SYNC fence.i

TEST_BEGIN
    TEST_CASE(1, a0, 8448, li a1, 512; jal ra, every_16)
    TEST_CASE(2, a0, 19900, li a1, 200; jal ra, next_insn)
    TEST_CASE(3, a0, 2176, li a1, 256; jal ra, compressed)
    TEST_CASE(4, a0, 32896, li a1, 256; jal ra, amo)
    TEST_CASE(5, a0, 2176, li a1, 256; jal ra, across_pages)
    GROUP "smc with fence.i: rewritten while running"
TEST_END

#include "smc.h"
