/* Polling benchmark: one loop of five instructions (load a byte, test bit 5, branch, count,
 * loop) run ITERATIONS times, reading either the 16550 UART's line status register (LSR, at
 * UART_BASE + 5: THRE is always set on this board, so each read is one poll that finds the
 * transmitter ready) or an ordinary RAM byte with the same value. bench/poll.sh builds it once
 * per combination of
 *   -DTARGET_UART=0|1   what the loop reads: RAM, or the UART's LSR;
 *   -DSV39=0|1          M-mode with no translation, or S-mode under Sv39 with the UART mapped
 *                       by a 4 KiB page (a three-level walk, as Linux maps a device) and RAM by
 *                       a 1 GiB identity superpage,
 * and compares the instruction rates: a device read that needs no attention from the board
 * should cost about what a RAM load costs. The run ends through the syscon. */
#include "test.h"

#ifndef ITERATIONS
#define ITERATIONS 40000000ULL
#endif

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define SATP_SV39 (8ULL << 60)

/* The RAM byte the RAM variant polls: THRE (0x20) and TEMT (0x40) set, like the LSR. */
static volatile uint8_t ram_lsr = 0x60;

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t level1[512] __attribute__((aligned(4096)));
static uint64_t level0[512] __attribute__((aligned(4096)));

/* Polls the byte at `addr` `n` times; returns how many polls found bit 5 set (all of them). */
static uint64_t poll(uint64_t addr)
{
    uint64_t n = ITERATIONS, ready = 0;
    __asm__ volatile("1: lbu t0, 0(%[addr])\n"
                     "   andi t0, t0, 0x20\n"
                     "   beqz t0, 1b\n"
                     "   addi %[n], %[n], -1\n"
                     "   bnez %[n], 1b\n"
                     : [n] "+r"(n)
                     : [addr] "r"(addr)
                     : "t0", "memory");
    ready = ITERATIONS - n;
    return ready;
}

/* Identity mappings: RAM (0x8000_0000, 1 GiB superpage) and the UART's page (4 KiB). */
static void map_sv39(void)
{
    uint64_t uart = UART_BASE;
    root[2] = ((0x80000000ULL >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    root[(uart >> 30) & 511] = (((uint64_t)level1 >> 12) << 10) | PTE_V;
    level1[(uart >> 21) & 511] = (((uint64_t)level0 >> 12) << 10) | PTE_V;
    level0[(uart >> 12) & 511] = ((uart >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
    csr_write(satp, SATP_SV39 | ((uint64_t)root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
}

int main(void)
{
    uint64_t addr = TARGET_UART ? UART_BASE + 5 : (uint64_t)&ram_lsr;
    uint64_t ready;
    if (SV39) {
        map_sv39();
        ready = run_in_mode(PRV_S, poll, addr);
    } else {
        ready = poll(addr);
    }
    CHECK_EQ(1, ready, ITERATIONS);
    return 0;
}
