/* Negative check of the harness: case 3 fails on purpose, so the program must exit with 3.
 * EXPECT-EXIT: 3 */
#include "test.h"

TEST_BEGIN
    TEST_IMM_OP(1, addi, 2, 1, 1)
    TEST_IMM_OP(2, addi, 3, 1, 2)
    TEST_IMM_OP(3, addi, 5, 1, 3)
    GROUP "unreachable"
TEST_END
