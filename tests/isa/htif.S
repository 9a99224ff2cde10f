/* HTIF exit (riscv-tests convention): writing 1 to `tohost` ends the run with status 0.
 * VMFT-ONLY: QEMU's virt board has no HTIF. */
#include "test.h"

TEST_BEGIN
    TEST_IMM_OP(1, addi, 3, 1, 2)
    GROUP "htif"
    la a0, htif_pass_msg
    call puts_
    li t0, 1
    la t1, tohost
    sd t0, 0(t1)
1:  j 1b

    .section .rodata.str, "a"
htif_pass_msg: .asciz "PASS\n"

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost: .dword 0
    .align 6
    .globl fromhost
fromhost: .dword 0
