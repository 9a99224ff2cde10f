/* Zicsr and Zicntr from M-mode: the six CSR instructions and their read/write side effects,
 * writes to read-only CSRs and accesses to unimplemented CSRs (illegal instruction with mtval =
 * the instruction bits), and counters that advance. */
#include "test.h"

/* Runs `code` expecting exactly one illegal-instruction trap whose mtval is `bits`. */
#define TEST_ILLEGAL(n, bits, code...) \
    TEST_CASE(n, x14, 2, EXPECT_TRAP; code; END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE)); \
    LOAD_MTRAP(x14, MTRAP_TVAL); CHECK_REG x14, bits; \
    LOAD_MTRAP(x14, MTRAP_COUNT); CHECK_REG x14, 1

TEST_BEGIN
    /* Read/write forms return the old value (mscratch, restored afterwards: the trap entry uses it). */
    TEST_CASE(1, x14, 0x1234, li x11, 0x1234; csrw mscratch, x11; li x12, 0xff; csrrw x14, mscratch, x12)
    TEST_CASE(2, x14, 0xff, csrr x14, mscratch)
    TEST_CASE(3, x14, 0xff, li x12, 0xf00; csrrs x14, mscratch, x12)
    TEST_CASE(4, x14, 0xfff, csrr x14, mscratch)
    TEST_CASE(5, x14, 0xfff, li x12, 0x0f0; csrrc x14, mscratch, x12)
    TEST_CASE(6, x14, 0xf0f, csrr x14, mscratch)
    TEST_CASE(7, x14, 0xf0f, csrrwi x14, mscratch, 0x1f)
    TEST_CASE(8, x14, 0x1f, csrrsi x14, mscratch, 0x0)
    TEST_CASE(9, x14, 0x1f, csrrci x14, mscratch, 0x3)
    TEST_CASE(10, x14, 0x1c, csrrsi x14, mscratch, 0x2)
    TEST_CASE(11, x14, 0x1e, csrr x14, mscratch)
    TEST_CASE(12, x14, 0xffffffffffffffff, li x11, -1; csrw mscratch, x11; csrrw x0, mscratch, x0; not x14, x0)
    TEST_CASE(13, x14, 0, csrr x14, mscratch)
    /* rd = rs1: the old value is read before the write. */
    TEST_CASE(14, x14, 0x55, li x14, 0x55; csrw mscratch, x14; li x14, 0xaa; csrrw x14, mscratch, x14)
    TEST_CASE(15, x14, 0xaa, csrr x14, mscratch)
    la x11, _mtrap_stack_top
    csrw mscratch, x11
    GROUP "zicsr read/write forms"

    /* Read-only CSRs: reads (csrrs/csrrc with x0, csrrsi/csrrci with 0) are legal, writes trap. */
    TEST_CASE(16, x14, 0, EXPECT_TRAP; csrr x14, mvendorid; csrrc x15, mimpid, x0; csrrsi x15, mhartid, 0; \
              csrrci x15, marchid, 0; END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_COUNT))
    TEST_CASE(17, x14, 0, csrr x14, mhartid)
    TEST_ILLEGAL(18, 0xf1101073, csrw mvendorid, x0)
    TEST_ILLEGAL(19, 0xf1416073, csrrsi x0, mhartid, 2)
    TEST_ILLEGAL(20, 0xc0059073, csrw cycle, x11)
    TEST_ILLEGAL(21, 0xc010a0f3, li x1, 1; csrrs x1, time, x1)
    TEST_ILLEGAL(22, 0xc02270f3, csrrci x1, instret, 4)
    GROUP "zicsr read-only CSRs"

    /* Unimplemented CSRs (a custom number, a hypervisor-only one in the custom range) trap. */
    TEST_ILLEGAL(23, 0x7c0025f3, csrr x11, 0x7c0)
    TEST_ILLEGAL(24, 0x7c059073, csrw 0x7c0, x11)
    TEST_ILLEGAL(25, 0xfc0025f3, csrr x11, 0xfc0)
    TEST_ILLEGAL(26, 0x5c0025f3, csrr x11, 0x5c0)
    GROUP "zicsr unimplemented CSRs"

    /* WARL fields: misa and mstatus keep their architectural shape. */
    TEST_CASE(27, x14, 2, csrr x14, misa; srli x14, x14, 62)
    TEST_CASE(28, x14, 0x112d, csrr x14, misa; li x15, 0x3ffffff; and x14, x14, x15; li x15, 0x112d; and x14, x14, x15)
    TEST_CASE(29, x14, 0x0000000a00000000, csrr x14, mstatus; li x15, 0x0000000f00000000; and x14, x14, x15)
    TEST_CASE(30, x14, 0x8, csrsi mstatus, 0x8; csrr x14, mstatus; andi x14, x14, 0x8; csrci mstatus, 0x8)
    TEST_CASE(32, x14, 0x200, csrr x14, mtvec; la x15, m_trap_entry; xor x14, x14, x15; csrw mtvec, x15; \
              csrr x15, mtvec; la x16, m_trap_entry; xor x15, x15, x16; addi x14, x15, 0x200)
    GROUP "zicsr WARL fields"

    /* Counters advance: cycle, instret and time read twice around some work. */
    TEST_CASE(33, x14, 1, rdcycle x11; li x12, 200; 1: addi x12, x12, -1; bnez x12, 1b; rdcycle x13; sltu x14, x11, x13)
    TEST_CASE(34, x14, 1, rdinstret x11; li x12, 200; 1: addi x12, x12, -1; bnez x12, 1b; rdinstret x13; sltu x14, x11, x13)
    TEST_CASE(35, x14, 1, rdtime x11; li x12, 100000; 1: addi x12, x12, -1; bnez x12, 1b; rdtime x13; sltu x14, x11, x13)
    TEST_CASE(36, x14, 1, csrr x11, mcycle; csrr x13, mcycle; sltu x14, x11, x13)
    TEST_CASE(37, x14, 1, csrr x11, minstret; nop; nop; csrr x13, minstret; sltu x14, x11, x13)
    /* minstret is writable: it continues from the written value. */
    TEST_CASE(38, x14, 1, li x11, 1000; csrw minstret, x11; csrr x13, minstret; sltiu x14, x13, 1000; \
              xori x14, x14, 1; srli x13, x13, 40; seqz x13, x13; and x14, x14, x13)
    GROUP "zicntr counters"
TEST_END
