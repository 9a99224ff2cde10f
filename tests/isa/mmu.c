/* Sv39 and Sv48 translation from S-mode (and M-mode with MPRV): identity and offset mappings
 * built here, 4 KiB pages and 2 MiB/1 GiB superpages, page faults with the right mcause and
 * mtval for invalid, non-readable, non-writable, non-executable and misaligned-superpage PTEs,
 * U pages from S with and without SUM, MXR, MPRV, and hardware A/D updates. */
#include "test.h"

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define RWX_AD (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define RW_AD (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

#define SATP_SV39 8ULL
#define SATP_SV48 9ULL

#define CAUSE_FETCH_PF 12
#define CAUSE_LOAD_PF 13
#define CAUSE_STORE_PF 15

#define VA_BASE 0x40000000ULL
#define VA(n) (VA_BASE + (n) * 0x1000ULL)
#define VA_2M 0x40200000ULL
#define VA_2M_MISALIGNED 0x40400000ULL
#define VA_1G 0xc0000000ULL
#define VA_1G_MISALIGNED 0x100000000ULL
#define PA_2M 0x80400000ULL
#define POISON 0xdeadbeefULL

static uint64_t pt_pool[24][512] __attribute__((aligned(4096)));
static unsigned pt_next;
static volatile uint64_t test_page[512] __attribute__((aligned(4096)));
static volatile uint32_t exec_page[1024] __attribute__((aligned(4096)));

static uint64_t *pt_alloc(void)
{
    uint64_t *p = pt_pool[pt_next++];
    for (int i = 0; i < 512; i++)
        p[i] = 0;
    return p;
}

/* Maps `va` to `pa` with a leaf at `leaf_level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) in a table
 * of `levels` levels, and returns a pointer to the leaf PTE. */
static uint64_t *map(uint64_t *root, int levels, uint64_t va, uint64_t pa, int leaf_level,
                     uint64_t flags)
{
    uint64_t *table = root;
    for (int level = levels - 1; level > leaf_level; level--) {
        uint64_t *pte = &table[(va >> (12 + 9 * level)) & 511];
        if (!(*pte & PTE_V))
            *pte = (((uint64_t)pt_alloc() >> 12) << 10) | PTE_V;
        table = (uint64_t *)((*pte >> 10) << 12);
    }
    uint64_t *leaf = &table[(va >> (12 + 9 * leaf_level)) & 511];
    *leaf = ((pa >> 12) << 10) | flags;
    return leaf;
}

static uint64_t s_load(uint64_t va)
{
    uint64_t v = POISON;
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
    return v;
}

static uint64_t s_store(uint64_t va)
{
    __asm__ volatile("sd %0, 0(%1)" ::"r"(va ^ 0x5a5a), "r"(va) : "memory");
    return 0;
}

/* Calls the code at `va`; a fetch fault resumes after the call (trap_resume, in S-mode). */
static uint64_t s_call(uint64_t va)
{
    uint64_t r = POISON;
    __asm__ volatile("la t0, 1f\n"
                     "sd t0, 0(%2)\n"
                     "jalr ra, 0(%1)\n"
                     "sd zero, 0(%2)\n"
                     "1:\n"
                     "mv %0, a0\n"
                     : "=r"(r)
                     : "r"(va), "r"(&trap_resume)
                     : "t0", "ra", "a0", "memory");
    return r;
}

static uint64_t case_base;

/* Checks one S-mode run of fn(va): expected return value and either no trap or one trap with
 * `cause` and mtval = va. */
static void check_access(uint64_t n, uint64_t (*fn)(uint64_t), uint64_t va, uint64_t ret,
                         uint64_t cause)
{
    n += case_base;
    expect_trap();
    uint64_t got = run_in_mode(PRV_S, fn, va);
    end_expect_trap();
    if (cause) {
        CHECK_EQ(n, mtrap.count, 1);
        CHECK_EQ(n, mtrap.cause, cause);
        CHECK_EQ(n, mtrap.tval, va);
    } else {
        CHECK_EQ(n, mtrap.count, 0);
        CHECK_EQ(n, got, ret);
    }
}

static void run_suite(uint64_t mode, int levels, const char *name)
{
    pt_next = 0;
    uint64_t *root = pt_alloc();
    uint64_t tp = (uint64_t)test_page;
    /* Identity: devices (first GiB) and RAM (third GiB) as gigapages, supervisor-only. */
    map(root, levels, 0, 0, 2, RW_AD);
    map(root, levels, 0x80000000ULL, 0x80000000ULL, 2, RWX_AD);
    map(root, levels, VA(0), tp, 0, RW_AD);
    map(root, levels, VA(1), tp, 0, RW_AD & ~PTE_V);
    map(root, levels, VA(2), tp, 0, PTE_V | PTE_X | PTE_A);
    map(root, levels, VA(3), tp, 0, PTE_V | PTE_R | PTE_A);
    map(root, levels, VA(4), tp, 0, RW_AD);
    map(root, levels, VA(5), tp, 0, RW_AD | PTE_U);
    uint64_t *ad_pte = map(root, levels, VA(6), tp, 0, PTE_V | PTE_R | PTE_W);
    map(root, levels, VA(7), (uint64_t)exec_page, 0, PTE_V | PTE_R | PTE_X | PTE_A);
    map(root, levels, VA(8), tp, 0, PTE_V | PTE_W | PTE_A | PTE_D); /* W without R: reserved */
    map(root, levels, VA_2M, PA_2M, 1, RW_AD);
    map(root, levels, VA_2M_MISALIGNED, PA_2M + 0x1000, 1, RW_AD);
    map(root, levels, VA_1G, 0x80000000ULL, 2, RW_AD);
    map(root, levels, VA_1G_MISALIGNED, 0x80200000ULL, 2, RW_AD);
    if (levels == 4)
        map(root, levels, 0x8000000000ULL, tp, 0, RW_AD);

    exec_page[0] = 0x02a00513; /* li a0, 42 */
    exec_page[1] = 0x00008067; /* ret */
    __asm__ volatile("fence.i");
    for (int i = 0; i < 512; i++)
        test_page[i] = 0x1000 + (uint64_t)i;
    *(volatile uint64_t *)(PA_2M + 0x1238) = 0x2222;

    csr_write(satp, (mode << 60) | (((uint64_t)root) >> 12));
    __asm__ volatile("sfence.vma");
    CHECK_EQ(case_base + 1, csr_read(satp) >> 60, mode);

    /* Offset mappings and superpages. */
    check_access(2, s_load, VA(0) + 16, 0x1002, 0);
    check_access(3, s_store, VA(0) + 24, 0, 0);
    CHECK_EQ(case_base + 4, test_page[3], (VA(0) + 24) ^ 0x5a5a);
    check_access(5, s_load, VA_2M + 0x1238, 0x2222, 0);
    check_access(6, s_load, VA_1G + (tp - 0x80000000ULL) + 8 * 5, 0x1005, 0);
    check_access(7, s_call, VA(7), 42, 0);
    check_access(8, s_load, 0x80000000ULL + (tp - 0x80000000ULL) + 8 * 6, 0x1006, 0);
    if (levels == 4)
        check_access(9, s_load, 0x8000000000ULL + 8, 0x1001, 0);
    else
        check_access(9, s_load, 0x8000000000ULL + 8, 0, CAUSE_LOAD_PF); /* not canonical */
    test_group(name);

    /* Page faults. */
    check_access(10, s_load, VA(1) + 8, 0, CAUSE_LOAD_PF);
    check_access(11, s_store, VA(1), 0, CAUSE_STORE_PF);
    check_access(12, s_call, VA(1), 0, CAUSE_FETCH_PF);
    check_access(13, s_load, VA(2), 0, CAUSE_LOAD_PF);
    check_access(14, s_store, VA(3) + 8, 0, CAUSE_STORE_PF);
    check_access(15, s_load, VA(3) + 8, 0x1001, 0);
    check_access(16, s_call, VA(4), 0, CAUSE_FETCH_PF);
    check_access(17, s_load, VA(8), 0, CAUSE_LOAD_PF);
    check_access(18, s_load, VA_2M_MISALIGNED + 8, 0, CAUSE_LOAD_PF);
    check_access(19, s_load, VA_1G_MISALIGNED + 8, 0, CAUSE_LOAD_PF);
    check_access(20, s_store, VA(7), 0, CAUSE_STORE_PF);
    check_access(21, s_load, 0x40000000ULL + 0x200000ULL * 3, 0, CAUSE_LOAD_PF);
    puts_(name);
    puts_(" page faults: ok\n");

    /* SUM, MXR. */
    check_access(22, s_load, VA(5) + 8, 0, CAUSE_LOAD_PF);
    check_access(23, s_store, VA(5) + 8, 0, CAUSE_STORE_PF);
    csr_set(mstatus, MSTATUS_SUM);
    check_access(24, s_load, VA(5) + 32, 0x1004, 0);
    check_access(25, s_store, VA(5) + 40, 0, 0);
    csr_clear(mstatus, MSTATUS_SUM);
    CHECK_EQ(case_base + 26, test_page[5], (VA(5) + 40) ^ 0x5a5a);
    csr_set(mstatus, MSTATUS_MXR);
    check_access(27, s_load, VA(2) + 48, 0x1006, 0);
    check_access(28, s_store, VA(2) + 48, 0, CAUSE_STORE_PF);
    csr_clear(mstatus, MSTATUS_MXR);
    puts_(name);
    puts_(" SUM and MXR: ok\n");

    /* MPRV: M-mode loads and stores translate with the privilege in MPP. */
    uint64_t v = POISON;
    csr_clear(mstatus, MSTATUS_MPP);
    csr_set(mstatus, (uint64_t)PRV_S << 11);
    expect_trap();
    __asm__ volatile("csrs mstatus, %1\n"
                     "ld %0, 0(%2)\n"
                     "csrc mstatus, %1\n"
                     : "+r"(v)
                     : "r"((uint64_t)MSTATUS_MPRV), "r"(VA(0) + 56)
                     : "memory");
    end_expect_trap();
    CHECK_EQ(case_base + 29, mtrap.count, 0);
    CHECK_EQ(case_base + 30, v, 0x1007);
    v = POISON;
    csr_clear(mstatus, MSTATUS_MPP);
    expect_trap();
    __asm__ volatile("csrs mstatus, %1\n"
                     "ld %0, 0(%2)\n"
                     "csrc mstatus, %1\n"
                     : "+r"(v)
                     : "r"((uint64_t)MSTATUS_MPRV), "r"(VA(0) + 56)
                     : "memory");
    end_expect_trap();
    CHECK_EQ(case_base + 31, mtrap.count, 1);
    CHECK_EQ(case_base + 32, mtrap.cause, CAUSE_LOAD_PF);
    CHECK_EQ(case_base + 33, mtrap.tval, VA(0) + 56);
    CHECK_EQ(case_base + 34, v, POISON);
    puts_(name);
    puts_(" MPRV: ok\n");

    /* Hardware A/D updates. */
    CHECK_EQ(case_base + 35, *ad_pte & (PTE_A | PTE_D), 0);
    check_access(36, s_load, VA(6), 0x1000, 0);
    CHECK_EQ(case_base + 37, *ad_pte & (PTE_A | PTE_D), PTE_A);
    check_access(38, s_store, VA(6) + 8, 0, 0);
    CHECK_EQ(case_base + 39, *ad_pte & (PTE_A | PTE_D), PTE_A | PTE_D);
    puts_(name);
    puts_(" A/D updates: ok\n");

    csr_write(satp, 0);
    __asm__ volatile("sfence.vma");
}

int main(void)
{
    trap_resume_mode = PRV_S;
    case_base = 0;
    run_suite(SATP_SV39, 3, "sv39");
    case_base = 100;
    run_suite(SATP_SV48, 4, "sv48");
    trap_resume_mode = PRV_M;
    return 0;
}
