/* Console, exit and trap handling for the bare-metal ISA tests (see test.h). */
#include "test.h"

volatile struct trap_rec mtrap, strap;
volatile uint64_t trap_expect, trap_resume, strap_resume;
volatile uint64_t trap_resume_mode = PRV_M;

extern char run_in_mode_ret[], _strap_stack_top[];

void uart_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;
    while ((uart[5] & 0x20) == 0)
        ;
    uart[0] = (uint8_t)c;
}

void puts_(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

void print_hex(uint64_t v)
{
    puts_("0x");
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

void print_dec(uint64_t v)
{
    char buf[24];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        uart_putc(buf[--i]);
}

void test_group(const char *name)
{
    puts_(name);
    puts_(": ok\n");
}

void test_exit(uint64_t code)
{
    volatile uint32_t *syscon = (volatile uint32_t *)SYSCON_BASE;
    *syscon = code == 0 ? 0x5555 : (uint32_t)((code << 16) | 0x3333);
    for (;;)
        __asm__ volatile("wfi");
}

void test_fail_case(uint64_t n, uint64_t got, uint64_t expected)
{
    puts_("FAIL: case ");
    print_dec(n);
    puts_(" got ");
    print_hex(got);
    puts_(" expected ");
    print_hex(expected);
    uart_putc('\n');
    test_exit(n ? n : 254);
}

void *memset(void *d, int c, size_t n)
{
    volatile uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

static uint64_t insn_len(uint64_t pc)
{
    return (*(volatile uint16_t *)pc & 3) == 3 ? 4 : 2;
}

/* Called by the trap entries with the saved registers (regs[i] = xi) and the handler's mode. */
void trap_handler(uint64_t *regs, int smode)
{
    uint64_t cause = smode ? csr_read(scause) : csr_read(mcause);
    uint64_t epc = smode ? csr_read(sepc) : csr_read(mepc);
    uint64_t tval = smode ? csr_read(stval) : csr_read(mtval);
    int interrupt = (int)(cause >> 63);
    uint64_t code = cause & 63;

    if (!smode && !interrupt && (code == 8 || code == 9 || code == 11) &&
        regs[17] == RETURN_TO_M_MAGIC) {
        csr_write(mepc, (uint64_t)run_in_mode_ret);
        csr_set(mstatus, MSTATUS_MPP);
        return;
    }
    if (smode && cause == 8 && regs[17] == RETURN_TO_M_MAGIC) {
        /* run_in_mode's return from U with U ecalls delegated: forward it to M from here,
         * abandoning this handler's frame. */
        csr_write(sscratch, (uint64_t)_strap_stack_top);
        register uint64_t a0 __asm__("a0") = regs[10];
        register uint64_t a7 __asm__("a7") = RETURN_TO_M_MAGIC;
        __asm__ volatile("ecall" ::"r"(a0), "r"(a7) : "memory");
    }
    if (!trap_expect) {
        puts_(smode ? "unexpected S trap: cause " : "unexpected M trap: cause ");
        print_hex(cause);
        puts_(" epc ");
        print_hex(epc);
        puts_(" tval ");
        print_hex(tval);
        uart_putc('\n');
        test_exit(255);
    }
    volatile struct trap_rec *r = smode ? &strap : &mtrap;
    if (r->count < 8)
        r->log[r->count] = cause;
    r->count++;
    r->cause = cause;
    r->epc = epc;
    r->tval = tval;
    r->status = smode ? csr_read(sstatus) : csr_read(mstatus);
    if (interrupt) {
        if (smode)
            csr_clear(sie, 1ULL << code);
        else
            csr_clear(mie, 1ULL << code);
        return;
    }
    uint64_t resume = smode ? strap_resume : trap_resume;
    if (resume) {
        if (smode) {
            strap_resume = 0;
            csr_write(sepc, resume);
            csr_set(sstatus, MSTATUS_SPP);
        } else {
            trap_resume = 0;
            csr_write(mepc, resume);
            csr_clear(mstatus, MSTATUS_MPP);
            csr_set(mstatus, trap_resume_mode << 11);
        }
        return;
    }
    if (code == 0 || code == 1 || code == 12) {
        puts_("instruction fault without a resume address\n");
        test_exit(253);
    }
    if (smode) {
        uint64_t sum = csr_read(sstatus) & MSTATUS_SUM;
        csr_set(sstatus, MSTATUS_SUM);
        csr_write(sepc, epc + insn_len(epc));
        if (!sum)
            csr_clear(sstatus, MSTATUS_SUM);
    } else {
        csr_write(mepc, epc + insn_len(epc));
    }
}
