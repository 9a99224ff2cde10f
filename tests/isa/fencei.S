/* Zifencei: code that has already run is rewritten by stores, and after fence.i the new
 * instructions execute (32-bit and compressed, in a data buffer and in the text itself). */
#include "test.h"

#define LI_A0(v) (0x00000513 | ((v) << 20))
#define RET 0x00008067

TEST_BEGIN
    /* A buffer in RAM: li a0, 1; ret. */
    TEST_CASE(1, a0, 1, la x11, code_buf; li x12, LI_A0(1); sw x12, 0(x11); li x12, RET; sw x12, 4(x11); \
              fence.i; jalr ra, 0(x11))
    TEST_CASE(2, a0, 2, la x11, code_buf; li x12, LI_A0(2); sw x12, 0(x11); fence.i; jalr ra, 0(x11))
    TEST_CASE(3, a0, 0x7ff, la x11, code_buf; li x12, LI_A0(0x7ff); sw x12, 0(x11); fence.i; jalr ra, 0(x11))
    /* Replace the first word with two compressed instructions: c.li a0, 3; c.jr ra. */
    TEST_CASE(4, a0, 3, la x11, code_buf; li x12, 0x8082450d; sw x12, 0(x11); fence.i; jalr ra, 0(x11))
    /* Patch only the upper half: c.li a0, 3; c.li a0, 4 (then li a0, ...; ret follow). */
    TEST_CASE(5, a0, 4, la x11, code_buf; li x12, 0x4511; sh x12, 2(x11); li x12, RET; sw x12, 4(x11); \
              fence.i; jalr ra, 0(x11))
    GROUP "fence.i: rewritten buffer"

    /* A loop in .text whose body is rewritten between runs. */
    TEST_CASE(6, a0, 10, li a1, 10; jal ra, patch_loop)
    TEST_CASE(7, a0, 30, la x11, patch_site; li x12, 0x00358593; sw x12, 0(x11); fence.i; \
              li a1, 10; jal ra, patch_loop)
    TEST_CASE(8, a0, 10, la x11, patch_site; li x12, 0x00158593; sw x12, 0(x11); fence.i; \
              li a1, 10; li a0, 0; jal ra, patch_loop)
    GROUP "fence.i: rewritten text"
TEST_END

/* a0 = a1 * step, where the add at patch_site is rewritten (addi a1, a1, step). */
patch_loop:
    mv a2, a1
    li a1, 0
1:
patch_site:
    .option push
    .option norvc
    addi a1, a1, 1
    .option pop
    addi a2, a2, -1
    bnez a2, 1b
    mv a0, a1
    ret

    .data
    .align 4
code_buf:
    .space 64
