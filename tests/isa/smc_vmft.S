/* Self-modifying code without fence.i: the loops of smc.S (in smc.h) with nothing after
 * each rewrite. Zifencei leaves open when a store becomes visible to fetches without
 * fence.i; vmft's rule is at once (its hart is in order and a store drops the decoded code
 * of its page as it happens), under both engines, even for the instruction right after the
 * store in the same block: the results are those of smc.S.
 *
 * VMFT-ONLY: QEMU keeps running a translated block to its end after a store to it, so it
 * executes the old instruction right after the store. */
#include "test.h"

#define SMC_SYNC

TEST_BEGIN
    TEST_CASE(1, a0, 8448, li a1, 512; jal ra, every_16)
    TEST_CASE(2, a0, 19900, li a1, 200; jal ra, next_insn)
    TEST_CASE(3, a0, 2176, li a1, 256; jal ra, compressed)
    TEST_CASE(4, a0, 32896, li a1, 256; jal ra, amo)
    TEST_CASE(5, a0, 2176, li a1, 256; jal ra, across_pages)
    GROUP "smc without fence.i: visible to the next fetch"
TEST_END

#include "smc.h"
