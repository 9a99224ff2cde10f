/* Shared definitions for the bare-metal ISA tests (assembly and C).
 *
 * Board: 16550 UART at 0x1000_0000, CLINT at 0x0200_0000, SiFive test device (syscon) at
 * 0x0010_0000. A program prints one line per group of checks and "PASS" at the end, and exits
 * through the syscon: 0 on success, the failing case number otherwise. */
#ifndef ISA_TEST_H
#define ISA_TEST_H

#define UART_BASE 0x10000000
#define CLINT_BASE 0x02000000
#define CLINT_MSIP (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME (CLINT_BASE + 0xbff8)
#define SYSCON_BASE 0x00100000

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE (1 << 1)
#define MSTATUS_MIE (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP (1 << 8)
#define MSTATUS_MPP (3 << 11)
#define MSTATUS_FS (3 << 13)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM (1 << 18)
#define MSTATUS_MXR (1 << 19)

/* a7 value of the `ecall` with which code started by run_in_mode returns to M-mode. */
#define RETURN_TO_M_MAGIC 0x5e7

#ifdef __ASSEMBLER__

#define TESTNUM gp

/* Compares `reg` to `val`; on mismatch fails with the case number in TESTNUM. */
.macro CHECK_REG reg, val
    li t2, \val
    beq \reg, t2, .Lcheck_ok\@
    mv a1, \reg
    mv a2, t2
    j test_fail
.Lcheck_ok\@:
.endm

/* Prints "<name>: ok" (call after a group of checks; clobbers caller-saved registers). */
.macro GROUP name
    .pushsection .rodata.str, "a"
.Lgroup_name\@: .asciz "\name"
    .popsection
    la a0, .Lgroup_name\@
    call test_group
.endm

#define TEST_BEGIN .text; .globl main; main:
#define TEST_END j test_pass

#define TEST_CASE(n, testreg, correctval, code...) \
    li TESTNUM, n; code; CHECK_REG testreg, correctval

#define TEST_RR_OP(n, inst, result, val1, val2) \
    TEST_CASE(n, x14, result, li x11, val1; li x12, val2; inst x14, x11, x12)

#define TEST_IMM_OP(n, inst, result, val1, imm) \
    TEST_CASE(n, x14, result, li x11, val1; inst x14, x11, imm)

/* Expects the next trap to be recorded (see trap_rec in C) and skipped. */
#define EXPECT_TRAP \
    la t0, trap_expect; li t1, 1; sd t1, 0(t0); la t0, mtrap; sd zero, 0(t0)

#define END_EXPECT_TRAP \
    la t0, trap_expect; sd zero, 0(t0)

/* Loads the M-mode trap record field at `off` (0 count, 8 cause, 16 epc, 24 tval). */
#define MTRAP_COUNT 0
#define MTRAP_CAUSE 8
#define MTRAP_EPC 16
#define MTRAP_TVAL 24
#define LOAD_MTRAP(reg, off) la reg, mtrap; ld reg, off(reg)

#else /* C */

#include <stdint.h>
#include <stddef.h>

#define csr_read(csr)                                                                          \
    ({                                                                                         \
        uint64_t v_;                                                                           \
        __asm__ volatile("csrr %0, " #csr : "=r"(v_));                                         \
        v_;                                                                                    \
    })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(val)) : "memory")
#define csr_set(csr, val) __asm__ volatile("csrs " #csr ", %0" ::"r"((uint64_t)(val)) : "memory")
#define csr_clear(csr, val) __asm__ volatile("csrc " #csr ", %0" ::"r"((uint64_t)(val)) : "memory")

/* Record of the traps taken by one handler while trap_expect is set. */
struct trap_rec {
    uint64_t count;
    uint64_t cause;
    uint64_t epc;
    uint64_t tval;
    uint64_t status; /* mstatus (sstatus) as the handler found it */
    uint64_t log[8];
};

extern volatile struct trap_rec mtrap, strap;
/* Nonzero: traps are expected and recorded. Zero: a trap fails the test with code 255. */
extern volatile uint64_t trap_expect;
/* Nonzero: the M (S) handler resumes there instead of after the trapping instruction, in
 * trap_resume_mode (S-mode for strap_resume). */
extern volatile uint64_t trap_resume, trap_resume_mode, strap_resume;

void uart_putc(char c);
void puts_(const char *s);
void print_hex(uint64_t v);
void print_dec(uint64_t v);
void test_group(const char *name);
void test_exit(uint64_t code) __attribute__((noreturn));
void test_fail_case(uint64_t n, uint64_t got, uint64_t expected) __attribute__((noreturn));
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
/* Runs fn(arg) in privilege `mode` (0 U, 1 S, 3 M) and returns its result, with mstatus.MIE
 * clear. */
uint64_t run_in_mode(uint64_t mode, uint64_t (*fn)(uint64_t), uint64_t arg);

/* Clears the trap records and starts expecting traps. */
static inline void expect_trap(void)
{
    mtrap.count = 0;
    strap.count = 0;
    trap_expect = 1;
}

static inline void end_expect_trap(void) { trap_expect = 0; }

#define CHECK_EQ(n, got, expected)                                                             \
    do {                                                                                       \
        uint64_t g_ = (uint64_t)(got), e_ = (uint64_t)(expected);                              \
        if (g_ != e_)                                                                          \
            test_fail_case((n), g_, e_);                                                       \
    } while (0)

static inline uint64_t mmio_read64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void mmio_write64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

#endif
#endif
