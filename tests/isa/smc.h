/* Loops that rewrite their own instructions while they run, for smc.S and smc_vmft.S.
 *
 * SMC_SYNC follows every rewrite inside a loop: `fence.i` in smc.S, nothing in smc_vmft.S.
 * Each routine first restores the instruction it rewrites (with fence.i), takes its
 * iteration count in a1 and returns its sum in a0. Every loop runs far more iterations than
 * vmft's JIT waits for before it compiles a block, so under --accel jit the rewrites hit
 * compiled code. */

/* addi a0, a0, imm (the instruction the loops rewrite; the immediate is bits 31:20) */
#define ADDI_A0(imm) (0x00050513 | ((imm) << 20))
/* c.addi a0, imm (imm in 1..31; bits 6:2) */
#define C_ADDI_A0(imm) (0x0501 | ((imm) << 2))

/* After every 16th iteration, the loop's first instruction (addi a0, a0, k, starting at
 * k = 1) is rewritten by sw to add k + 1: iteration i (from 1) adds (i - 1) / 16 + 1. */
every_16:
    la t3, every_16_site
    li t4, ADDI_A0(1)
    sw t4, 0(t3)
    fence.i
    li a0, 0
    li t5, 0
    li t6, ADDI_A0(0)
    .option push
    .option norvc
every_16_site:
    addi a0, a0, 1
    .option pop
    addi t5, t5, 1
    andi t0, t5, 15
    bnez t0, 1f
    srli t1, t5, 4
    addi t1, t1, 1
    slli t1, t1, 20
    or t1, t1, t6
    sw t1, 0(t3)
    SMC_SYNC
1:
    addi a1, a1, -1
    bnez a1, every_16_site
    ret

/* Each iteration i (from 0) stores addi a0, a0, i over the instruction right after the
 * store (and SMC_SYNC), in the same straight-line code: the sum of 0..n-1. */
next_insn:
    la t3, next_insn_site
    li t4, ADDI_A0(0)
    sw t4, 0(t3)
    fence.i
    li a0, 0
    li t5, 0
    li t6, ADDI_A0(0)
1:
    slli t1, t5, 20
    or t1, t1, t6
    sw t1, 0(t3)
    SMC_SYNC
    .option push
    .option norvc
next_insn_site:
    addi a0, a0, 0
    .option pop
    addi t5, t5, 1
    addi a1, a1, -1
    bnez a1, 1b
    ret

/* The loop's first instruction, c.addi a0, k (from k = 1), is rewritten by sh after each
 * iteration i (from 1) to add (i % 16) + 1. */
compressed:
    la t3, compressed_site
    li t4, C_ADDI_A0(1)
    sh t4, 0(t3)
    fence.i
    li a0, 0
    li t5, 0
compressed_site:
    c.addi a0, 1
    addi t5, t5, 1
    andi t1, t5, 15
    addi t1, t1, 1
    slli t1, t1, 2
    ori t1, t1, C_ADDI_A0(0)
    sh t1, 0(t3)
    SMC_SYNC
    addi a1, a1, -1
    bnez a1, compressed_site
    ret

/* amoadd.w adds 1 to the immediate of the loop's first instruction, addi a0, a0, k (from
 * k = 1), each iteration: iteration i (from 1) adds i. */
amo:
    la t3, amo_site
    li t4, ADDI_A0(1)
    sw t4, 0(t3)
    fence.i
    li a0, 0
    li t4, 1 << 20
    .option push
    .option norvc
amo_site:
    addi a0, a0, 1
    .option pop
    amoadd.w zero, t4, (t3)
    SMC_SYNC
    addi a1, a1, -1
    bnez a1, amo_site
    ret

/* The loop of every_16 with its addi across a page boundary, rewritten by sh of its second
 * half, on the next page: iteration i (from 1) adds (i - 1) / 16 + 1. */
across_pages:
    la t3, across_pages_site + 2
    li t4, ADDI_A0(1) >> 16
    sh t4, 0(t3)
    fence.i
    li a0, 0
    li t5, 0
    li t6, ADDI_A0(0) >> 16
    j across_pages_loop
    .balign 4096
    .skip 4096 - 10
    .option push
    .option norvc
across_pages_loop:
    nop
    nop
across_pages_site:
    addi a0, a0, 1
    addi t5, t5, 1
    andi t0, t5, 15
    bnez t0, 1f
    srli t1, t5, 4
    addi t1, t1, 1
    slli t1, t1, 4
    or t1, t1, t6
    sh t1, 0(t3)
    SMC_SYNC
1:
    addi a1, a1, -1
    bnez a1, across_pages_loop
    .option pop
    ret
