/* Privileged behaviour where QEMU 7.2 differs from the spec or from vmft's documented choices.
 * VMFT-ONLY: QEMU 7.2 without AIA takes the lowest-numbered pending interrupt first, writes
 * mtval = 0 for ebreak, and accepts satp.MODE = Sv57. */
#include "test.h"

#define MIP_SSIP (1 << 1)
#define MIP_MSIP (1 << 3)
#define MIP_STIP (1 << 5)
#define MIP_MTIP (1 << 7)
#define MIP_SEIP (1 << 9)
#define INTR (1ULL << 63)

static void test_interrupt_priority(void)
{
    /* MSI > MTI > SEI > SSI > STI when all are pending and enabled in M. */
    mmio_write32(CLINT_MSIP, 1);
    mmio_write64(CLINT_MTIMECMP, 0);
    csr_set(mip, MIP_SSIP | MIP_STIP | MIP_SEIP);
    CHECK_EQ(62, csr_read(mip) & (MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP),
             MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP);
    expect_trap();
    csr_write(mie, MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP);
    csr_set(mstatus, MSTATUS_MIE);
    for (int i = 0; i < 100; i++)
        __asm__ volatile("nop");
    csr_clear(mstatus, MSTATUS_MIE);
    end_expect_trap();
    mmio_write32(CLINT_MSIP, 0);
    mmio_write64(CLINT_MTIMECMP, ~0ULL);
    csr_clear(mip, MIP_SSIP | MIP_STIP | MIP_SEIP);
    CHECK_EQ(63, mtrap.count, 5);
    CHECK_EQ(64, mtrap.log[0], INTR | 3);
    CHECK_EQ(65, mtrap.log[1], INTR | 7);
    CHECK_EQ(66, mtrap.log[2], INTR | 9);
    CHECK_EQ(67, mtrap.log[3], INTR | 1);
    CHECK_EQ(68, mtrap.log[4], INTR | 5);
    CHECK_EQ(69, csr_read(mip) & (MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP), 0);
    test_group("priv: interrupt priority");

}

static void test_breakpoint_tval(void)
{
    uint64_t pc;
    expect_trap();
    __asm__ volatile("la %0, 1f\n1: ebreak" : "=r"(pc)::"memory");
    end_expect_trap();
    CHECK_EQ(1, mtrap.cause, 3);
    CHECK_EQ(2, mtrap.tval, pc);
    expect_trap();
    __asm__ volatile(".option push\n.option rvc\nla %0, 1f\n1: c.ebreak\n.option pop"
                     : "=r"(pc)::"memory");
    end_expect_trap();
    CHECK_EQ(3, mtrap.cause, 3);
    CHECK_EQ(4, mtrap.tval, pc);
    test_group("priv: ebreak writes mtval = pc");
}

static void test_satp_sv57(void)
{
    csr_write(satp, (9ULL << 60) | 0x80123);
    csr_write(satp, (10ULL << 60) | 0x1);
    CHECK_EQ(5, csr_read(satp), (9ULL << 60) | 0x80123);
    csr_write(satp, 0);
    test_group("priv: satp keeps its value when Sv57 is written");
}

int main(void)
{
    test_interrupt_priority();
    test_breakpoint_tval();
    test_satp_sv57();
    return 0;
}
