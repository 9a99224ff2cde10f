/* Start-up and trap plumbing for the bare-metal ISA tests.
 *
 * _start sets up the stack, PMP (all of memory for S/U), mtvec/stvec with separate trap
 * stacks (mscratch/sscratch), enables the FPU (mstatus.FS = Initial), clears .bss and calls
 * main; main returning 0 prints PASS and exits 0. Both trap entries save every integer
 * register and call trap_handler (lib.c). */
#include "test.h"

    .section .text.init, "ax"
    .globl _start
_start:
    la sp, _stack_top
    /* PMP may be absent: any trap while configuring it lands after the writes. */
    la t0, 1f
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    .align 2
1:
    la t0, m_trap_entry
    csrw mtvec, t0
    la t0, s_trap_entry
    csrw stvec, t0
    la t0, _mtrap_stack_top
    csrw mscratch, t0
    la t0, _strap_stack_top
    csrw sscratch, t0
    li t0, (1 << 13)
    csrs mstatus, t0
    csrwi fcsr, 0
    la t0, _bss_start
    la t1, _bss_end
2:
    bgeu t0, t1, 3f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 2b
3:
    call main
    bnez a0, 4f
    j test_pass
4:
    mv a1, zero
    mv a2, zero
    mv gp, a0
    j test_fail

/* Saves x1 and x3..x31 on the trap stack whose top is in `scratch`, with the interrupted sp at
 * frame offset 16, calls trap_handler(frame, smode), restores and returns with `ret`. */
.macro TRAP_ENTRY scratch, smode, ret
    csrrw sp, \scratch, sp
    addi sp, sp, -256
    sd x1, 8(sp)
    sd x3, 24(sp)
    sd x4, 32(sp)
    sd x5, 40(sp)
    sd x6, 48(sp)
    sd x7, 56(sp)
    sd x8, 64(sp)
    sd x9, 72(sp)
    sd x10, 80(sp)
    sd x11, 88(sp)
    sd x12, 96(sp)
    sd x13, 104(sp)
    sd x14, 112(sp)
    sd x15, 120(sp)
    sd x16, 128(sp)
    sd x17, 136(sp)
    sd x18, 144(sp)
    sd x19, 152(sp)
    sd x20, 160(sp)
    sd x21, 168(sp)
    sd x22, 176(sp)
    sd x23, 184(sp)
    sd x24, 192(sp)
    sd x25, 200(sp)
    sd x26, 208(sp)
    sd x27, 216(sp)
    sd x28, 224(sp)
    sd x29, 232(sp)
    sd x30, 240(sp)
    sd x31, 248(sp)
    csrr t0, \scratch
    sd t0, 16(sp)
    mv a0, sp
    li a1, \smode
    call trap_handler
    ld x1, 8(sp)
    ld x3, 24(sp)
    ld x4, 32(sp)
    ld x5, 40(sp)
    ld x6, 48(sp)
    ld x7, 56(sp)
    ld x8, 64(sp)
    ld x9, 72(sp)
    ld x10, 80(sp)
    ld x11, 88(sp)
    ld x12, 96(sp)
    ld x13, 104(sp)
    ld x14, 112(sp)
    ld x15, 120(sp)
    ld x16, 128(sp)
    ld x17, 136(sp)
    ld x18, 144(sp)
    ld x19, 152(sp)
    ld x20, 160(sp)
    ld x21, 168(sp)
    ld x22, 176(sp)
    ld x23, 184(sp)
    ld x24, 192(sp)
    ld x25, 200(sp)
    ld x26, 208(sp)
    ld x27, 216(sp)
    ld x28, 224(sp)
    ld x29, 232(sp)
    ld x30, 240(sp)
    ld x31, 248(sp)
    addi sp, sp, 256
    csrrw sp, \scratch, sp
    \ret
.endm

    .text
    .align 2
    .globl m_trap_entry
m_trap_entry:
    TRAP_ENTRY mscratch, 0, mret

    .align 2
    .globl s_trap_entry
s_trap_entry:
    TRAP_ENTRY sscratch, 1, sret

/* uint64_t run_in_mode(mode, fn, arg): runs fn(arg) in `mode` on the current stack; fn's
 * trampoline returns with `ecall` (a7 = RETURN_TO_M_MAGIC), which trap_handler turns into a
 * jump to run_in_mode_ret in M-mode. Returns with mstatus.MIE clear. */
    .globl run_in_mode
run_in_mode:
    la t0, rim_ctx
    sd ra, 0(t0)
    sd sp, 8(t0)
    sd s0, 16(t0)
    sd s1, 24(t0)
    sd s2, 32(t0)
    sd s3, 40(t0)
    sd s4, 48(t0)
    sd s5, 56(t0)
    sd s6, 64(t0)
    sd s7, 72(t0)
    sd s8, 80(t0)
    sd s9, 88(t0)
    sd s10, 96(t0)
    sd s11, 104(t0)
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    slli t0, a0, 11
    csrs mstatus, t0
    mv s0, a1
    mv a0, a2
    la t0, rim_trampoline
    csrw mepc, t0
    mret
rim_trampoline:
    jalr s0
    li a7, RETURN_TO_M_MAGIC
    ecall
    .globl run_in_mode_ret
run_in_mode_ret:
    csrci mstatus, MSTATUS_MIE
    la t0, rim_ctx
    ld ra, 0(t0)
    ld sp, 8(t0)
    ld s0, 16(t0)
    ld s1, 24(t0)
    ld s2, 32(t0)
    ld s3, 40(t0)
    ld s4, 48(t0)
    ld s5, 56(t0)
    ld s6, 64(t0)
    ld s7, 72(t0)
    ld s8, 80(t0)
    ld s9, 88(t0)
    ld s10, 96(t0)
    ld s11, 104(t0)
    ret

    .globl test_pass
test_pass:
    la a0, pass_msg
    call puts_
    li a0, 0
    call test_exit

/* Fails case gp; a1 = value got, a2 = value expected. */
    .globl test_fail
test_fail:
    mv a0, gp
    call test_fail_case

    .section .rodata.str, "a"
pass_msg: .asciz "PASS\n"

    .bss
    .align 3
rim_ctx: .space 112
