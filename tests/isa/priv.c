/* Traps and privilege: ecall/ebreak/illegal-instruction causes and mtval, misaligned accesses
 * (performed, not trapped), mret/sret and MPP/SPP/MPIE, medeleg and mideleg, WFI wake-up,
 * mstatus.FS, satp WARL and counter-enable gating. Interrupt priority and ebreak's mtval are in
 * priv_vmft.c. */
#include "test.h"

#define MIP_SSIP (1 << 1)
#define MIP_MSIP (1 << 3)
#define MIP_MTIP (1 << 7)
#define INTR (1ULL << 63)

static uint64_t ecall_fn(uint64_t arg)
{
    register uint64_t a7 __asm__("a7") = 0;
    __asm__ volatile("ecall" : "+r"(a7)::"memory");
    return arg;
}

static uint64_t ebreak_fn(uint64_t arg)
{
    __asm__ volatile("ebreak" ::: "memory");
    return arg;
}

static uint64_t illegal_fn(uint64_t arg)
{
    __asm__ volatile(".word 0xfe000033" ::: "memory");
    return arg;
}

static uint64_t read_mstatus_fn(uint64_t arg)
{
    (void)arg;
    return csr_read(mstatus);
}

static uint64_t mret_fn(uint64_t arg)
{
    __asm__ volatile("mret" ::: "memory");
    return arg;
}

static uint64_t sret_fn(uint64_t arg)
{
    __asm__ volatile("sret" ::: "memory");
    return arg;
}

static uint64_t rdcycle_fn(uint64_t arg)
{
    (void)arg;
    return csr_read(cycle) != 0;
}

static uint64_t rdtime_fn(uint64_t arg)
{
    (void)arg;
    return csr_read(time) + 1;
}

/* In S-mode: returns to U-mode with sret at a label that ecalls (mcause 8 in M). */
static uint64_t sret_to_u_fn(uint64_t arg)
{
    __asm__ volatile("csrc sstatus, %0\n"
                     "la t0, 1f\n"
                     "csrw sepc, t0\n"
                     "sret\n"
                     "1: li a7, 0\n"
                     "ecall\n" ::"r"((uint64_t)MSTATUS_SPP)
                     : "t0", "a7", "memory");
    return arg;
}

static uint64_t sstatus_fn(uint64_t arg)
{
    (void)arg;
    return csr_read(sstatus);
}

/* In S-mode: enables S interrupts for a moment and reports how many the S handler took. */
static uint64_t s_interrupt_window_fn(uint64_t arg)
{
    csr_set(sie, arg);
    csr_set(sstatus, MSTATUS_SIE);
    for (int i = 0; i < 100; i++)
        __asm__ volatile("nop");
    csr_clear(sstatus, MSTATUS_SIE);
    return strap.count;
}

static uint64_t s_spin_fn(uint64_t arg)
{
    for (int i = 0; i < 100; i++)
        __asm__ volatile("nop");
    return arg;
}

static void test_exception_causes(void)
{
    expect_trap();
    ecall_fn(0);
    end_expect_trap();
    CHECK_EQ(1, mtrap.cause, 11);
    CHECK_EQ(2, mtrap.count, 1);

    expect_trap();
    run_in_mode(PRV_S, ecall_fn, 0);
    end_expect_trap();
    CHECK_EQ(3, mtrap.cause, 9);
    CHECK_EQ(4, (mtrap.status & MSTATUS_MPP) >> 11, PRV_S);

    expect_trap();
    run_in_mode(PRV_U, ecall_fn, 0);
    end_expect_trap();
    CHECK_EQ(5, mtrap.cause, 8);
    CHECK_EQ(6, (mtrap.status & MSTATUS_MPP) >> 11, PRV_U);

    uint64_t pc;
    expect_trap();
    __asm__ volatile("la %0, 1f\n1: ebreak" : "=r"(pc)::"memory");
    end_expect_trap();
    CHECK_EQ(7, mtrap.cause, 3);
    CHECK_EQ(8, mtrap.epc, pc);

    expect_trap();
    __asm__ volatile("la %0, 1f\n1: .word 0xfe000033" : "=r"(pc)::"memory");
    end_expect_trap();
    CHECK_EQ(10, mtrap.cause, 2);
    CHECK_EQ(11, mtrap.epc, pc);
    CHECK_EQ(12, mtrap.tval, 0xfe000033);

    expect_trap();
    __asm__ volatile(".option push\n.option rvc\n.half 0x0000\n.option pop" ::: "memory");
    end_expect_trap();
    CHECK_EQ(13, mtrap.cause, 2);
    CHECK_EQ(14, mtrap.tval, 0);

    expect_trap();
    run_in_mode(PRV_U, ebreak_fn, 0);
    run_in_mode(PRV_S, illegal_fn, 0);
    end_expect_trap();
    CHECK_EQ(15, mtrap.count, 2);
    CHECK_EQ(16, mtrap.log[0], 3);
    CHECK_EQ(17, mtrap.log[1], 2);
    CHECK_EQ(18, mtrap.tval, 0xfe000033);
    test_group("traps: exception causes and mtval");

    /* Privileged instructions and CSRs above the current mode are illegal. */
    expect_trap();
    run_in_mode(PRV_S, read_mstatus_fn, 0);
    run_in_mode(PRV_S, mret_fn, 0);
    run_in_mode(PRV_U, sret_fn, 0);
    run_in_mode(PRV_U, sstatus_fn, 0);
    end_expect_trap();
    CHECK_EQ(19, mtrap.count, 4);
    CHECK_EQ(20, mtrap.log[0], 2);
    CHECK_EQ(21, mtrap.log[1], 2);
    CHECK_EQ(22, mtrap.log[2], 2);
    CHECK_EQ(23, mtrap.log[3], 2);
    CHECK_EQ(24, mtrap.tval, 0x10002573); /* csrr a0, sstatus */
    test_group("traps: privileged instructions from lower modes");
}

static volatile uint8_t mis_buf[32] __attribute__((aligned(16)));

static void test_misaligned(void)
{
    for (int i = 0; i < 32; i++)
        mis_buf[i] = (uint8_t)(0x80 + i);
    uint64_t d, w, h, wu;
    expect_trap();
    __asm__ volatile("ld %0, 1(%4)\n"
                     "lw %1, 3(%4)\n"
                     "lh %2, 5(%4)\n"
                     "lwu %3, 7(%4)\n"
                     : "=&r"(d), "=&r"(w), "=&r"(h), "=&r"(wu)
                     : "r"(mis_buf)
                     : "memory");
    __asm__ volatile("sd %0, 9(%1)\n"
                     "sw %0, 21(%1)\n"
                     "sh %0, 27(%1)\n" ::"r"(0x1122334455667788ULL),
                     "r"(mis_buf)
                     : "memory");
    end_expect_trap();
    CHECK_EQ(25, mtrap.count, 0);
    CHECK_EQ(26, d, 0x8887868584838281ULL);
    CHECK_EQ(27, w, 0xffffffff86858483ULL);
    CHECK_EQ(28, h, 0xffffffffffff8685ULL);
    CHECK_EQ(29, wu, 0x8a898887ULL);
    CHECK_EQ(30, *(volatile uint64_t *)&mis_buf[8], 0x2233445566778888ULL);
    CHECK_EQ(31, *(volatile uint64_t *)&mis_buf[16], 0x6677889493929111ULL);
    CHECK_EQ(32, *(volatile uint64_t *)&mis_buf[24], 0x9f9e9d77889a9955ULL);
    test_group("traps: misaligned loads and stores are performed");
}

static void test_xret(void)
{
    /* mret: privilege from MPP, MIE from MPIE, MPIE set, MPP set to U. */
    expect_trap();
    run_in_mode(PRV_S, ecall_fn, 0);
    end_expect_trap();
    uint64_t st = mtrap.status;
    CHECK_EQ(33, (st & MSTATUS_MPP) >> 11, PRV_S);
    uint64_t after;
    __asm__ volatile("csrs mstatus, %1\n"  /* MPIE = 1 */
                     "csrs mstatus, %2\n"  /* MPP = M */
                     "la t0, 1f\n"
                     "csrw mepc, t0\n"
                     "mret\n"
                     "1: csrr %0, mstatus\n"
                     "csrci mstatus, 8\n"
                     : "=r"(after)
                     : "r"((uint64_t)MSTATUS_MPIE), "r"((uint64_t)MSTATUS_MPP)
                     : "t0", "memory");
    CHECK_EQ(34, after & MSTATUS_MIE, MSTATUS_MIE);
    CHECK_EQ(35, after & MSTATUS_MPIE, MSTATUS_MPIE);
    CHECK_EQ(36, (after & MSTATUS_MPP) >> 11, PRV_U);

    /* sret from S with SPP = U drops to U-mode. */
    expect_trap();
    run_in_mode(PRV_S, sret_to_u_fn, 0);
    end_expect_trap();
    CHECK_EQ(37, mtrap.cause, 8);
    CHECK_EQ(38, (mtrap.status & MSTATUS_MPP) >> 11, PRV_U);
    CHECK_EQ(39, mtrap.status & MSTATUS_SPP, 0);

    /* A trap into S from U records SPP = U; from S records SPP = S and SPIE = old SIE. */
    csr_write(medeleg, 1 << 3);
    expect_trap();
    run_in_mode(PRV_U, ebreak_fn, 0);
    CHECK_EQ(40, strap.cause, 3);
    CHECK_EQ(41, strap.status & MSTATUS_SPP, 0);
    csr_set(mstatus, MSTATUS_SIE);
    run_in_mode(PRV_S, ebreak_fn, 0);
    csr_clear(mstatus, MSTATUS_SIE);
    end_expect_trap();
    csr_write(medeleg, 0);
    CHECK_EQ(42, strap.count, 2);
    CHECK_EQ(43, strap.status & (MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE), MSTATUS_SPP | MSTATUS_SPIE);
    CHECK_EQ(44, mtrap.count, 0);
    test_group("priv: mret and sret transitions");
}

static void test_delegation(void)
{
    /* medeleg: delegated exceptions from S and U go to the S handler; M's stay in M. */
    csr_write(medeleg, (1 << 2) | (1 << 3) | (1 << 8));
    CHECK_EQ(45, csr_read(medeleg) & ((1 << 2) | (1 << 3) | (1 << 8)), (1 << 2) | (1 << 3) | (1 << 8));
    expect_trap();
    run_in_mode(PRV_S, illegal_fn, 0);
    run_in_mode(PRV_U, ecall_fn, 0);
    run_in_mode(PRV_S, ebreak_fn, 0);
    __asm__ volatile("ebreak");
    end_expect_trap();
    csr_write(medeleg, 0);
    CHECK_EQ(46, strap.count, 3);
    CHECK_EQ(47, strap.log[0], 2);
    CHECK_EQ(48, strap.log[1], 8);
    CHECK_EQ(49, strap.log[2], 3);
    CHECK_EQ(50, mtrap.count, 1);
    CHECK_EQ(51, mtrap.cause, 3);
    test_group("priv: medeleg");

    /* mideleg: a delegated SSI is taken by S when sstatus.SIE and sie.SSIE are set. */
    csr_write(mideleg, MIP_SSIP);
    csr_set(mip, MIP_SSIP);
    expect_trap();
    uint64_t taken = run_in_mode(PRV_S, s_interrupt_window_fn, MIP_SSIP);
    end_expect_trap();
    csr_clear(mip, MIP_SSIP);
    CHECK_EQ(55, taken, 1);
    CHECK_EQ(56, strap.cause, INTR | 1);
    CHECK_EQ(57, mtrap.count, 0);
    /* A delegated interrupt is never taken in M, whatever mstatus.MIE. */
    csr_write(mie, MIP_SSIP);
    csr_set(mip, MIP_SSIP);
    expect_trap();
    csr_set(mstatus, MSTATUS_MIE);
    for (int i = 0; i < 100; i++)
        __asm__ volatile("nop");
    csr_clear(mstatus, MSTATUS_MIE);
    end_expect_trap();
    csr_clear(mip, MIP_SSIP);
    csr_write(mie, 0);
    csr_write(mideleg, 0);
    CHECK_EQ(58, mtrap.count + strap.count, 0);
    /* An M interrupt is taken in M while in S even with mstatus.MIE clear. */
    csr_write(mie, MIP_MSIP);
    mmio_write32(CLINT_MSIP, 1);
    expect_trap();
    run_in_mode(PRV_S, s_spin_fn, 0);
    end_expect_trap();
    mmio_write32(CLINT_MSIP, 0);
    CHECK_EQ(59, mtrap.count, 1);
    CHECK_EQ(60, mtrap.cause, INTR | 3);
    CHECK_EQ(61, (mtrap.status & MSTATUS_MPP) >> 11, PRV_S);
    test_group("priv: mideleg");
}

static void test_wfi(void)
{
    /* WFI wakes on a pending enabled interrupt even with mstatus.MIE clear. */
    uint64_t now = mmio_read64(CLINT_MTIME);
    mmio_write64(CLINT_MTIMECMP, now + 1000);
    csr_write(mie, MIP_MTIP);
    int spins = 0;
    while (!(csr_read(mip) & MIP_MTIP) && spins < 1000000) {
        __asm__ volatile("wfi");
        spins++;
    }
    CHECK_EQ(70, (csr_read(mip) & MIP_MTIP) != 0, 1);
    /* With MIE set, the timer interrupt is taken after WFI. */
    mmio_write64(CLINT_MTIMECMP, mmio_read64(CLINT_MTIME) + 1000);
    expect_trap();
    csr_set(mstatus, MSTATUS_MIE);
    spins = 0;
    while (mtrap.count == 0 && spins < 1000000) {
        __asm__ volatile("wfi");
        spins++;
    }
    csr_clear(mstatus, MSTATUS_MIE);
    end_expect_trap();
    mmio_write64(CLINT_MTIMECMP, ~0ULL);
    csr_write(mie, 0);
    CHECK_EQ(71, mtrap.count, 1);
    CHECK_EQ(72, mtrap.cause, INTR | 7);
    test_group("priv: wfi wakes on a timer interrupt");
}

static void test_fs(void)
{
    /* FS = Off: FP instructions and FP CSRs are illegal. */
    csr_clear(mstatus, MSTATUS_FS);
    expect_trap();
    __asm__ volatile("fadd.d f1, f2, f3\n"
                     "csrr t0, fflags\n"
                     "fmv.d.x f1, zero\n" ::: "t0", "memory");
    end_expect_trap();
    CHECK_EQ(73, mtrap.count, 3);
    CHECK_EQ(74, mtrap.log[0], 2);
    CHECK_EQ(75, mtrap.log[2], 2);
    CHECK_EQ(76, mtrap.tval, 0xf20000d3); /* fmv.d.x f1, zero */
    /* FS = Initial: an FP register write makes it Dirty and sets SD. */
    csr_set(mstatus, 1 << 13);
    CHECK_EQ(77, csr_read(mstatus) >> 63, 0);
    __asm__ volatile("fmv.d.x f1, zero" ::: "memory");
    uint64_t st = csr_read(mstatus);
    CHECK_EQ(78, (st & MSTATUS_FS) >> 13, 3);
    CHECK_EQ(79, st >> 63, 1);
    CHECK_EQ(80, csr_read(sstatus) >> 63, 1);
    test_group("priv: mstatus.FS");
}

static void test_satp_warl(void)
{
    csr_write(satp, 0);
    csr_write(satp, (1ULL << 60) | 0x1234); /* reserved mode 1 */
    CHECK_EQ(81, csr_read(satp), 0);
    csr_write(satp, (11ULL << 60) | 0x1234); /* Sv64: not supported */
    CHECK_EQ(82, csr_read(satp), 0);
    csr_write(satp, (8ULL << 60) | 0x80123);
    CHECK_EQ(83, csr_read(satp) >> 60, 8);
    CHECK_EQ(84, csr_read(satp) & 0xfffffffffffULL, 0x80123);
    csr_write(satp, (15ULL << 60) | 0x1);
    CHECK_EQ(85, csr_read(satp), (8ULL << 60) | 0x80123);
    csr_write(satp, 0);
    CHECK_EQ(86, csr_read(satp), 0);
    test_group("priv: satp WARL");
}

static void test_counteren(void)
{
    csr_write(mcounteren, 0);
    csr_write(scounteren, 0);
    expect_trap();
    run_in_mode(PRV_S, rdcycle_fn, 0);
    run_in_mode(PRV_U, rdtime_fn, 0);
    end_expect_trap();
    CHECK_EQ(87, mtrap.count, 2);
    CHECK_EQ(88, mtrap.log[0], 2);
    CHECK_EQ(89, mtrap.log[1], 2);
    CHECK_EQ(90, mtrap.tval, 0xc0102573); /* rdtime a0 */
    csr_write(mcounteren, 7);
    expect_trap();
    uint64_t c = run_in_mode(PRV_S, rdcycle_fn, 0);
    uint64_t t = run_in_mode(PRV_S, rdtime_fn, 0);
    run_in_mode(PRV_U, rdcycle_fn, 0);
    end_expect_trap();
    CHECK_EQ(91, c, 1);
    CHECK_EQ(92, t != 0, 1);
    CHECK_EQ(93, mtrap.count, 1);
    csr_write(scounteren, 7);
    expect_trap();
    c = run_in_mode(PRV_U, rdcycle_fn, 0);
    end_expect_trap();
    CHECK_EQ(94, c, 1);
    CHECK_EQ(95, mtrap.count, 0);
    csr_write(mcounteren, 5); /* time (bit 1) withheld from S and U */
    expect_trap();
    run_in_mode(PRV_U, rdtime_fn, 0);
    end_expect_trap();
    CHECK_EQ(96, mtrap.count, 1);
    csr_write(mcounteren, 0);
    csr_write(scounteren, 0);
    test_group("priv: counter-enable gating");
}

int main(void)
{
    test_exception_causes();
    test_misaligned();
    test_xret();
    test_delegation();
    test_wfi();
    test_fs();
    test_satp_warl();
    test_counteren();
    return 0;
}
