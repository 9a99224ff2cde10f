/* The Sdtrig trigger CSRs with no trigger implemented (debug spec 1.0, Sdtrig chapter):
 * tselect is WARL and hard-wired to 0, so a write selecting a trigger that does not exist
 * reads back another value; tdata1 reads type 0 ("There is no trigger at this tselect") with
 * dmode and data hard-wired to 0; tdata2 and tdata3 read 0; tinfo's info is 1 ("If the
 * currently selected trigger doesn't exist, this field contains 1") and writing it has no
 * effect; the chapter's enumeration finds no trigger; and the registers are accessible in
 * M-mode only (illegal instruction from S and U, mtval = the instruction bits).
 * VMFT-ONLY: QEMU 7.2 implements two triggers (tselect holds 0 and 1, tinfo lists the types
 * they support, tdata1 reads and keeps a trigger's configuration). */
#include "test.h"

/* The registers by number: older assemblers do not know all their names. */
#define TSELECT 0x7a0
#define TDATA1 0x7a1
#define TDATA2 0x7a2
#define TDATA3 0x7a3
#define TINFO 0x7a4
#define STR_(x) #x
#define STR(x) STR_(x)
#define READ(num)                                                                              \
    ({                                                                                         \
        uint64_t v_;                                                                           \
        __asm__ volatile("csrr %0, " STR(num) : "=r"(v_));                                     \
        v_;                                                                                    \
    })
#define WRITE(num, val) __asm__ volatile("csrw " STR(num) ", %0" ::"r"((uint64_t)(val)) : "memory")

/* mcontrol6 (type 6), execute, in M-mode: what a debugger would write to set a breakpoint. */
#define MCONTROL6_EXEC_M ((6ULL << 60) | (1 << 6) | (1 << 2))

static void test_m_mode(void)
{
    CHECK_EQ(1, READ(TSELECT), 0);
    WRITE(TSELECT, 1);
    CHECK_EQ(2, READ(TSELECT), 0);
    WRITE(TSELECT, ~0ULL);
    CHECK_EQ(3, READ(TSELECT), 0);
    WRITE(TSELECT, 0);
    CHECK_EQ(4, READ(TSELECT), 0);

    CHECK_EQ(5, READ(TDATA1), 0);
    WRITE(TDATA1, MCONTROL6_EXEC_M);
    CHECK_EQ(6, READ(TDATA1), 0);
    WRITE(TDATA1, 0); /* "writing 0 to tdata1 disables the trigger" */
    CHECK_EQ(7, READ(TDATA1), 0);

    WRITE(TDATA2, 0x80000000);
    CHECK_EQ(8, READ(TDATA2), 0);
    WRITE(TDATA3, ~0ULL);
    CHECK_EQ(9, READ(TDATA3), 0);

    CHECK_EQ(10, READ(TINFO), 1);
    WRITE(TINFO, 0x44);
    CHECK_EQ(11, READ(TINFO), 1);
    test_group("sdtrig m-mode");
}

/* The enumeration of the Sdtrig chapter; returns the number of triggers found. */
static uint64_t enumerate(void)
{
    uint64_t i;
    for (i = 0; i < 16; i++) {
        WRITE(TSELECT, i);
        if (READ(TSELECT) != i)
            break;
        if ((READ(TINFO) & 0xffff) == 1)
            break;
    }
    return i;
}

static void test_enumeration(void)
{
    expect_trap();
    uint64_t found = enumerate();
    end_expect_trap();
    CHECK_EQ(20, mtrap.count, 0);
    CHECK_EQ(21, found, 0);
    test_group("sdtrig enumeration");
}

static uint64_t access_fn(uint64_t which)
{
    switch (which) {
    case 0: return READ(TSELECT);
    case 1: WRITE(TSELECT, 0); return 0;
    case 2: return READ(TDATA1);
    case 3: return READ(TDATA2);
    case 4: return READ(TDATA3);
    default: return READ(TINFO);
    }
}

static void test_privilege(void)
{
    /* csrrs/csrrw rd, csr, rs1 as the compiler emits them above: check cause and count, and
     * that mtval holds an instruction whose CSR field is the one accessed. */
    static const uint64_t nums[] = {TSELECT, TSELECT, TDATA1, TDATA2, TDATA3, TINFO};
    for (uint64_t mode = PRV_U; mode <= PRV_S; mode++) {
        for (uint64_t which = 0; which < 6; which++) {
            expect_trap();
            run_in_mode(mode, access_fn, which);
            end_expect_trap();
            uint64_t n = 30 + mode * 10 + which;
            CHECK_EQ(n, mtrap.count, 1);
            CHECK_EQ(n, mtrap.cause, 2);
            CHECK_EQ(n, (mtrap.status & MSTATUS_MPP) >> 11, mode);
            CHECK_EQ(n, mtrap.tval >> 20, nums[which]);
            CHECK_EQ(n, mtrap.tval & 0x7f, 0x73);
        }
    }
    test_group("sdtrig m-mode only");
}

int main(void)
{
    test_m_mode();
    test_enumeration();
    test_privilege();
    return 0;
}
