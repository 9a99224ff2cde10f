//! The machine random programs run on: the memory map, the register conventions, the trap
//! handlers, the page tables, and the hart's state at the start.
//!
//! # Memory
//!
//! RAM is 1 MiB at [`BASE`]: the handlers in the first page, trap counts in the second
//! ([`COUNTS`]), the program's code from [`CODE`], a table of constants ([`CONSTS`]), a page
//! with a function that the program calls and stores next to ([`STUB_PAGE`]), the `sp` page,
//! ten pages of data with random permissions ([`REGION2`]), and the page tables. Under Sv39,
//! RAM is identity-mapped page by page (so the M-mode handler can read the code at `mepc`),
//! [`UNMAPPED`] is not, and the device window and the missing range are 2 MiB megapages.
//!
//! # Registers
//!
//! Random instructions write only the [`POOL`]. The others hold pointers (`sp`, `s1`, `s10`,
//! `t3`, `t4`, `t5`), loop counters (`s0`, `s4`), an address temporary (`t2`), and the M and
//! S handlers' scratch registers (`gp`, `tp` and `t6`, `s11`); `ra` is set by calls.
//!
//! # Handlers
//!
//! An exception skips the faulting instruction, a failed fetch returns to `ra`, a page fault
//! in [`REGION2`] maps or unprotects the page and retries (unless the PTE's software bit
//! says to skip), and an interrupt is acknowledged on the bus ([`ACK`]) or cleared in `sip`.
//! Each handler counts the traps it takes by cause in the [`COUNTS`] page.

use super::BASE;
use crate::csr::*;
use crate::hart::state::HartState;
use crate::hart::{PRIV_M, PRIV_S, PRIV_U};
use crate::testkit::asm::*;
use crate::testkit::{Rng, ACK, MISSING, MMIO};
use crate::trap::*;

/// How a program runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// M-mode, on physical addresses.
    M,
    /// M-mode with `mstatus.MPRV` and MPP = U: fetches physical, loads and stores translated
    /// as U-mode's.
    MPrv,
    /// S-mode under Sv39.
    S,
    /// U-mode under Sv39.
    U,
}

impl Mode {
    pub fn privilege(self) -> u8 {
        match self {
            Mode::M | Mode::MPrv => PRIV_M,
            Mode::S => PRIV_S,
            Mode::U => PRIV_U,
        }
    }

    /// Whether the program's data pages are U-mode pages.
    fn user(self) -> bool {
        matches!(self, Mode::U | Mode::MPrv)
    }
}

/// Where the pointer registers point.
#[derive(Clone, Copy)]
pub struct Pointers {
    /// `t5`: inside the second page of [`STUB_PAGE`]'s window (`s1` is 256 bytes below).
    pub window: u64,
    pub sp: u64,
}

impl Pointers {
    pub fn new(rng: &mut Rng) -> Pointers {
        Pointers {
            window: STUB_PAGE + 0x1000 + 8 * rng.below(0x100),
            sp: SP_PAGE + 8 * rng.below(0x80),
        }
    }
}

/// The M-mode trap handler (`mtvec`).
pub const M_HANDLER: u64 = BASE;
/// The S-mode trap handler (`stvec`).
pub const S_HANDLER: u64 = BASE + 0x800;
/// Trap counts: M-mode by exception cause at +0 and by interrupt at +0x100, S-mode likewise
/// at +0x200 and +0x300 (one `u64` each).
pub const COUNTS: u64 = BASE + 0x1000;
/// Where the program's code may start.
pub const CODE: u64 = BASE + 0x2000;
/// The end of the program code region.
pub const CODE_END: u64 = BASE + 0x1_0000;
/// Constants: interesting values, FP bit patterns and addresses, 8 bytes each.
pub const CONSTS: u64 = BASE + 0x1_0000;
/// A page holding a function (at +0x100) and data the program stores to.
pub const STUB_PAGE: u64 = BASE + 0x2_0000;
pub const STUB: u64 = STUB_PAGE + 0x100;
/// The pages `sp` points into.
pub const SP_PAGE: u64 = BASE + 0x3_0000;
/// Ten pages with random permissions under Sv39.
pub const REGION2: u64 = BASE + 0x4_0000;
pub const REGION2_PAGES: u64 = 10;
/// A page never mapped under Sv39.
pub const UNMAPPED: u64 = BASE + 0x6_0000;
/// Page tables: the root, the level-1 table of RAM, the level-0 table of RAM's first 2 MiB,
/// and the level-1 table of the device megapages.
pub const ROOT: u64 = BASE + 0x8_0000;
pub const L1_RAM: u64 = ROOT + 0x1000;
pub const L0_RAM: u64 = ROOT + 0x2000;
pub const L1_IO: u64 = ROOT + 0x3000;

/// Registers random instructions may write.
pub const POOL: [u32; 17] = [
    5, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25,
];
/// The compressible registers of the pool.
pub const C_POOL: [u32; 6] = [10, 11, 12, 13, 14, 15];
// Registers by role (their ABI names are `testkit::asm`'s): the pointers `sp`
// (`SP_PAGE`), `s1` (near `t5`, for compressed loads and stores), `s10` (`CONSTS`), `t3`
// (the device window), `t4` (`REGION2`) and `t5` (the `STUB_PAGE` window); `t2`, the address
// temporary; `ra`, the link register.
/// Loop counters of outer and inner loops.
pub const OUTER: u32 = 8;
pub const INNER: u32 = 20;

/// Indices of the constants table.
pub const K_MIN: i32 = 3;
pub const K_MINUS_ONE: i32 = 2;
pub const K_STUB: i32 = 32;
pub const K_BAD_FETCH: i32 = 33;
pub const K_COUNT: usize = 64;

pub const PTE_V: u64 = 1;
pub const PTE_R: u64 = 2;
pub const PTE_W: u64 = 4;
pub const PTE_X: u64 = 8;
pub const PTE_U: u64 = 16;
pub const PTE_A: u64 = 64;
pub const PTE_D: u64 = 128;
/// The software bit that tells the S handler to skip a faulting access rather than fix it.
pub const PTE_SKIP: u64 = 256;

/// The constants table.
pub fn constants(rng: &mut Rng, mode: Mode) -> Vec<u8> {
    let mut k: Vec<u64> = vec![
        0,
        1,
        u64::MAX,
        i64::MIN as u64,
        i64::MAX as u64,
        i32::MIN as i64 as u64,
        0x7fff_ffff,
        0xffff_ffff,
        0x8000_0000,
        63,
        64,
        0x1_0000_0001,
        0x3ff0_0000_0000_0000, // 1.0
        0x8000_0000_0000_0000, // -0.0
        0x7ff0_0000_0000_0000, // +inf
        0x7ff8_0000_0000_0000, // canonical NaN
        0x7ff0_0000_0000_0001, // signalling NaN
        1,                     // smallest subnormal
        0x7fef_ffff_ffff_ffff, // largest double
        0xffff_ffff_3f80_0000, // 1.0f, NaN-boxed
        0xffff_ffff_7f80_0001, // signalling NaN single, boxed
        0x0000_0000_3f80_0000, // 1.0f, not boxed
        0xffff_ffff_8000_0000, // -0.0f, boxed
        0x43e0_0000_0000_0000, // 2^63
        0xc1e0_0000_0000_0000, // -2^31
        0x41df_ffff_ffc0_0000, // 2^31 - 1
        0xffff_ffff_7f7f_ffff, // largest single, boxed
        0xffff_ffff_0000_0001, // smallest subnormal single, boxed
        0x4330_0000_0000_0000, // 2^52
        0xbff8_0000_0000_0000, // -1.5
        0x3fe0_0000_0000_0000, // 0.5
        0xffff_ffff_4f00_0000, // 2^31 as a single, boxed
        STUB,
    ];
    k.extend(if mode.privilege() == PRIV_M {
        [MMIO, MISSING + 0x40]
    } else {
        [UNMAPPED + 0x10, REGION2 + 0x2000]
    });
    while k.len() < K_COUNT {
        let v = rng.next();
        k.push(match rng.below(4) {
            0 => v as i32 as i64 as u64,
            1 => v & 0xff,
            _ => v,
        });
    }
    k.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The M-mode handler: counts the trap; skips the faulting instruction, or returns to `ra`
/// after a failed fetch; clears SSIP or acknowledges other interrupts on the bus.
pub fn m_handler() -> Vec<u8> {
    let (a, b) = (3, 4); // gp, tp
    let mut m = Asm::new(M_HANDLER);
    count(&mut m, a, b, MCAUSE, COUNTS);
    m.put(csrrs(a, MCAUSE, 0));
    let irq = m.label();
    m.branch(4, a, 0, irq);
    let fetch = m.label();
    m.put(addi(b, a, -(CAUSE_FETCH_ACCESS as i32)));
    m.branch(0, b, 0, fetch);
    m.put(addi(b, a, -(CAUSE_FETCH_PAGE as i32)));
    m.branch(0, b, 0, fetch);
    skip_instruction(&mut m, a, b, MEPC);
    m.put(MRET);
    m.bind(fetch);
    m.put(csrrw(0, MEPC, RA));
    m.put(MRET);
    m.bind(irq);
    acknowledge(&mut m, a, b, MIP);
    m.put(MRET);
    m.finish()
}

/// The S-mode handler: as the M-mode one, and a page fault in [`REGION2`] maps the page
/// read-only (if it was not valid) or makes it writable, and retries the access, unless the
/// PTE has [`PTE_SKIP`] set.
pub fn s_handler() -> Vec<u8> {
    let (a, b) = (31, 27); // t6, s11
    let mut s = Asm::new(S_HANDLER);
    // SUM: the handler reads U-mode code and writes the device page.
    s.put(lui(a, 0x40));
    s.put(csrrs(0, SSTATUS, a));
    count(&mut s, a, b, SCAUSE, COUNTS + 0x200);
    s.put(csrrs(a, SCAUSE, 0));
    let irq = s.label();
    s.branch(4, a, 0, irq);
    let fetch = s.label();
    s.put(addi(b, a, -(CAUSE_FETCH_ACCESS as i32)));
    s.branch(0, b, 0, fetch);
    s.put(addi(b, a, -(CAUSE_FETCH_PAGE as i32)));
    s.branch(0, b, 0, fetch);
    let fault = s.label();
    s.put(addi(b, a, -(CAUSE_LOAD_PAGE as i32)));
    s.branch(0, b, 0, fault);
    s.put(addi(b, a, -(CAUSE_STORE_PAGE as i32)));
    s.branch(0, b, 0, fault);
    let skip = s.bound();
    skip_instruction(&mut s, a, b, SEPC);
    s.put(SRET);
    s.bind(fetch);
    s.put(csrrw(0, SEPC, RA));
    s.put(SRET);
    s.bind(irq);
    acknowledge(&mut s, a, b, SIP);
    s.put(SRET);

    s.bind(fault);
    s.put(csrrs(b, STVAL, 0));
    s.la(a, REGION2);
    s.put(sub(a, b, a));
    s.put(srli(a, a, 12));
    s.put(addi(a, a, -(REGION2_PAGES as i32)));
    s.branch(7, a, 0, skip); // bgeu: outside the region
    s.put(srli(b, b, 12));
    s.put(andi(b, b, 0x1ff));
    s.put(slli(b, b, 3));
    s.la(a, L0_RAM);
    s.put(add(b, b, a)); // b = &pte
    s.put(ld(a, b, 0));
    s.put(andi(a, a, PTE_SKIP as i32));
    s.branch(1, a, 0, skip);
    s.put(ld(a, b, 0));
    s.put(andi(a, a, PTE_V as i32));
    let valid = s.label();
    s.branch(1, a, 0, valid);
    s.put(ld(a, b, 0));
    s.put(ori(a, a, (PTE_V | PTE_R | PTE_A) as i32));
    let store = s.label();
    s.jal(0, store);
    s.bind(valid);
    s.put(ld(a, b, 0));
    s.put(ori(a, a, (PTE_W | PTE_D | PTE_A) as i32));
    s.bind(store);
    s.put(sd(a, b, 0));
    s.put(sfence_vma(0, 0));
    s.put(SRET);
    s.finish()
}

/// Adds one to the count of the trap in `cause` (a CSR) in the table at `table`.
fn count(h: &mut Asm, a: u32, b: u32, cause: u16, table: u64) {
    h.put(csrrs(a, cause, 0));
    h.put(srli(b, a, 63));
    h.put(slli(b, b, 5));
    h.put(andi(a, a, 31));
    h.put(or(b, b, a));
    h.put(slli(b, b, 3));
    h.la(a, table);
    h.put(add(b, b, a));
    h.put(ld(a, b, 0));
    h.put(addi(a, a, 1));
    h.put(sd(a, b, 0));
}

/// Advances `epc` (a CSR) over the instruction it points at, 2 or 4 bytes.
fn skip_instruction(h: &mut Asm, a: u32, b: u32, epc: u16) {
    h.put(csrrs(a, epc, 0));
    h.put(lhu(b, a, 0));
    h.put(andi(b, b, 3));
    h.put(addi(b, b, -3));
    let short = h.label();
    h.branch(1, b, 0, short);
    h.put(addi(a, a, 2));
    h.bind(short);
    h.put(addi(a, a, 2));
    h.put(csrrw(0, epc, a));
}

/// Clears the interrupt in `a` (mcause or scause): SSIP in `ip`, anything else on the bus.
fn acknowledge(h: &mut Asm, a: u32, b: u32, ip: u16) {
    h.put(andi(a, a, 63));
    h.put(addi(b, a, -(IRQ_SSI as i32)));
    let bus = h.label();
    h.branch(1, b, 0, bus);
    h.put(csrrci(0, ip, 2));
    let done = h.label();
    h.jal(0, done);
    h.bind(bus);
    h.put(addi(b, 0, 1));
    h.put(sll(b, b, a));
    h.put(lui(a, (ACK >> 12) as u32));
    h.put(sd(b, a, 0));
    h.bind(done);
}

/// Sv39 page tables: RAM identity-mapped page by page, with the permissions its use needs
/// and random A/D bits, [`REGION2`] with random permissions, [`UNMAPPED`] not mapped, and
/// the device window and the missing range as 2 MiB megapages.
pub fn page_tables(rng: &mut Rng, mode: Mode, start: u64) -> Vec<(u64, Vec<u8>)> {
    let user = if mode.user() { PTE_U } else { 0 };
    let mut l0 = vec![0u64; 512];
    let map = |l0: &mut Vec<u64>, rng: &mut Rng, addr: u64, flags: u64| {
        let ad = match rng.below(4) {
            0 => 0,
            1 => PTE_A,
            _ => PTE_A | PTE_D,
        };
        let ad = if flags & PTE_W == 0 { ad & PTE_A } else { ad };
        l0[((addr - BASE) >> 12) as usize] = (addr >> 12) << 10 | flags | ad;
    };
    map(&mut l0, rng, M_HANDLER, PTE_V | PTE_R | PTE_X);
    map(&mut l0, rng, COUNTS, PTE_V | PTE_R | PTE_W);
    let mut page = start & !0xfff;
    while page < CODE_END {
        map(&mut l0, rng, page, PTE_V | PTE_R | PTE_X | user);
        page += 0x1000;
    }
    map(&mut l0, rng, CONSTS, PTE_V | PTE_R | user);
    for page in 0..3 {
        let flags = PTE_V | PTE_R | PTE_W | user | if page == 0 { PTE_X } else { 0 };
        map(&mut l0, rng, STUB_PAGE + page * 0x1000, flags);
    }
    for page in 0..2 {
        map(
            &mut l0,
            rng,
            SP_PAGE + page * 0x1000,
            PTE_V | PTE_R | PTE_W | user,
        );
    }
    for page in 0..REGION2_PAGES {
        let addr = REGION2 + page * 0x1000;
        // Page 2 is a bad fetch target: never executable.
        let kinds = if page == 2 { 6 } else { 7 };
        let flags = match rng.below(kinds) {
            0 => PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
            1 => PTE_V | PTE_R | PTE_W,
            2 => PTE_V | PTE_R | PTE_A,
            3 => 0,
            4 => PTE_SKIP,
            5 => PTE_V | PTE_R | PTE_A | PTE_SKIP,
            _ => PTE_V | PTE_X | PTE_A | PTE_SKIP,
        };
        l0[((addr - BASE) >> 12) as usize] = (addr >> 12) << 10 | flags | user;
    }
    for page in 0..4 {
        map(&mut l0, rng, ROOT + page * 0x1000, PTE_V | PTE_R | PTE_W);
    }
    let table = |addr: u64| (addr >> 12) << 10 | PTE_V;
    let mut root = vec![0u64; 512];
    root[0] = table(L1_IO);
    root[2] = table(L1_RAM);
    let mut l1_ram = vec![0u64; 512];
    l1_ram[0] = table(L0_RAM);
    let mut l1_io = vec![0u64; 512];
    let mega = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | user;
    l1_io[(MMIO >> 21) as usize] = (MMIO >> 12) << 10 | mega;
    l1_io[(MISSING >> 21) as usize] = (MISSING >> 12) << 10 | mega;
    let bytes = |t: Vec<u64>| t.iter().flat_map(|v| v.to_le_bytes()).collect();
    vec![
        (ROOT, bytes(root)),
        (L1_RAM, bytes(l1_ram)),
        (L0_RAM, bytes(l0)),
        (L1_IO, bytes(l1_io)),
    ]
}

/// The device address in `t3`, which device accesses are made relative to.
pub const DEVICE: u64 = MMIO + 0x100;

/// The hart at the program's start at `start`: pointers set, random register values, CSRs for
/// the program's mode.
pub fn initial_state(rng: &mut Rng, mode: Mode, start: u64, pointers: Pointers) -> HartState {
    let mut x = [0u64; 32];
    for &r in &POOL {
        x[r as usize] = match rng.below(4) {
            0 => rng.pick(&[0, 1, u64::MAX, i64::MIN as u64, 0x7fff_ffff, 0x8000_0000]),
            1 => rng.below(64),
            _ => rng.next(),
        };
    }
    x[SP as usize] = pointers.sp;
    x[T5 as usize] = pointers.window;
    x[S1 as usize] = pointers.window - 256;
    x[S10 as usize] = CONSTS;
    x[T3 as usize] = DEVICE;
    x[T4 as usize] = REGION2 + 0x1000;
    let mut f = [0u64; 32];
    for v in &mut f {
        *v = match rng.below(3) {
            0 => rng.pick(&[
                0x3ff0_0000_0000_0000,
                0x7ff8_0000_0000_0000,
                0xffff_ffff_3f80_0000,
                0xffff_ffff_7fc0_0000,
                0x8000_0000_0000_0000,
                0,
            ]),
            1 => 0xffff_ffff_0000_0000 | rng.next() & 0xffff_ffff,
            _ => rng.next(),
        };
    }
    let mut csr = CsrFile::default();
    let fs = match rng.below(10) {
        0 => 0,
        1 => 1 << 13,
        2 => 2 << 13,
        _ => MSTATUS_FS,
    };
    csr.mstatus = fs | MSTATUS_SUM;
    if rng.one_in(2) {
        csr.mstatus |= MSTATUS_MIE;
    }
    if rng.one_in(2) {
        csr.mstatus |= MSTATUS_SIE;
    }
    if mode == Mode::S && rng.one_in(4) {
        csr.mstatus |= MSTATUS_TW;
    }
    csr.mtvec = M_HANDLER;
    csr.stvec = S_HANDLER;
    csr.mie = rng.next() & 0xaaa;
    csr.mcounteren = rng.below(8);
    csr.scounteren = rng.below(8);
    csr.frm = rng.below(5) as u8;
    csr.fflags = rng.below(32) as u8;
    if mode == Mode::MPrv {
        // MPP = U: U-mode's translation for loads and stores. A trap from M sets MPP to M
        // and its `mret` sets it back to U, so it stays so.
        csr.mstatus |= MSTATUS_MPRV;
    }
    if mode != Mode::M {
        csr.satp = SATP_MODE_SV39 << 60 | ROOT >> 12;
    }
    if mode.privilege() != PRIV_M {
        let page_faults = 1 << CAUSE_FETCH_PAGE | 1 << CAUSE_LOAD_PAGE | 1 << CAUSE_STORE_PAGE;
        let others = [
            CAUSE_FETCH_ACCESS,
            CAUSE_ILLEGAL,
            CAUSE_BREAKPOINT,
            CAUSE_LOAD_MISALIGNED,
            CAUSE_LOAD_ACCESS,
            CAUSE_STORE_MISALIGNED,
            CAUSE_STORE_ACCESS,
            CAUSE_ECALL_U,
        ];
        csr.medeleg = others
            .iter()
            .filter(|_| rng.one_in(2))
            .fold(page_faults, |m, c| m | 1 << c);
        csr.mideleg = 1 << IRQ_SSI | 1 << IRQ_SEI;
    }
    HartState {
        pc: start,
        x,
        f,
        privilege: mode.privilege(),
        position: 0,
        traps: 0,
        csr,
        lines: 0,
        reservation: None,
    }
}
