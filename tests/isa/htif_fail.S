/* HTIF failure exit: writing (5 << 1) | 1 to `tohost` ends the run with status 5.
 * VMFT-ONLY: QEMU's virt board has no HTIF.
 * EXPECT-EXIT: 5 */
#include "test.h"

TEST_BEGIN
    la a0, htif_fail_msg
    call puts_
    li t0, (5 << 1) | 1
    la t1, tohost
    sd t0, 0(t1)
1:  j 1b

    .section .rodata.str, "a"
htif_fail_msg: .asciz "FAIL: case 5\n"

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost: .dword 0
    .align 6
    .globl fromhost
fromhost: .dword 0
