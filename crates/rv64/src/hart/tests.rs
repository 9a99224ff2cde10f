//! Unit tests of the execution core, named after the rules they check. Programs are
//! hand-encoded instruction words placed in RAM at [`BASE`].

use super::*;
use crate::csr::*;
use crate::testkit::asm::*;
use crate::testkit::{TestBus, MISSING, MMIO, QUIET};
use crate::trap::*;

const BASE: u64 = 0x8000_0000;
const RAM: u64 = 4 << 20;

/// A hart at BASE in M-mode with `code` at BASE.
fn setup(code: &[u32]) -> (Hart, Memory, TestBus) {
    let mut mem = Memory::new(BASE, RAM).expect("ram");
    put(&mut mem, BASE, code);
    (Hart::new(BASE), mem, TestBus::default())
}

fn put(mem: &mut Memory, addr: u64, code: &[u32]) {
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write(addr, &bytes).expect("in ram");
}

fn put64(mem: &mut Memory, addr: u64, v: u64) {
    mem.write(addr, &v.to_le_bytes()).expect("in ram");
}

fn get64(mem: &Memory, addr: u64) -> u64 {
    let mut b = [0; 8];
    mem.read(addr, &mut b).expect("in ram");
    u64::from_le_bytes(b)
}

/// Runs `n` more positions.
fn step(h: &mut Hart, mem: &mut Memory, bus: &mut TestBus, n: u64) -> Exit {
    let stop = h.position() + n;
    h.run(mem, bus, stop)
}

#[test]
fn run_stops_exactly_at_stop_at() {
    let (mut h, mut mem, mut bus) = setup(&[addi(5, 5, 1), SPIN]);
    assert_eq!(h.run(&mut mem, &mut bus, 0), Exit::Position);
    assert_eq!(h.position(), 0);
    assert_eq!(h.run(&mut mem, &mut bus, 1), Exit::Position);
    assert_eq!((h.position(), h.x(5), h.pc()), (1, 1, BASE + 4));
    assert_eq!(h.run(&mut mem, &mut bus, 1000), Exit::Position);
    assert_eq!(h.position(), 1000);
    assert_eq!(h.csr(MINSTRET), Some(1000));
}

#[test]
fn position_counts_trap_entry_but_not_the_faulting_instruction() {
    let (mut h, mut mem, mut bus) = setup(&[ECALL]);
    h.csr.mtvec = BASE + 0x100;
    put(&mut mem, BASE + 0x100, &[SPIN]);
    assert_eq!(step(&mut h, &mut mem, &mut bus, 1), Exit::Position);
    assert_eq!(h.pc(), BASE + 0x100);
    assert_eq!(h.csr(MCAUSE), Some(11));
    assert_eq!(h.csr(MEPC), Some(BASE));
    assert_eq!(h.csr(MTVAL), Some(0));
    assert_eq!(h.position(), 1);
    assert_eq!(h.csr(MINSTRET), Some(0));
}

#[test]
fn ebreak_sets_tval_to_pc() {
    let (mut h, mut mem, mut bus) = setup(&[addi(0, 0, 0), EBREAK]);
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_BREAKPOINT));
    assert_eq!(h.csr(MTVAL), Some(BASE + 4));
}

#[test]
fn ecall_from_u_is_delegated_to_s_by_medeleg() {
    // mret to U at BASE+0x100, where an ecall traps to stvec.
    let (mut h, mut mem, mut bus) = setup(&[MRET]);
    h.csr.mepc = BASE + 0x100;
    h.csr.medeleg = 1 << CAUSE_ECALL_U;
    h.csr.stvec = BASE + 0x200;
    h.csr.mtvec = BASE + 0x300;
    h.csr.mstatus |= MSTATUS_SIE;
    put(&mut mem, BASE + 0x100, &[ECALL]);
    put(&mut mem, BASE + 0x200, &[ECALL]);
    put(&mut mem, BASE + 0x300, &[SPIN]);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.privilege(), PRIV_U);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.privilege(), PRIV_S);
    assert_eq!(
        (h.pc(), h.csr(SCAUSE), h.csr(SEPC)),
        (BASE + 0x200, Some(8), Some(BASE + 0x100))
    );
    let sstatus = h.csr(SSTATUS).unwrap_or(0);
    assert_eq!(
        sstatus & (MSTATUS_SPP | MSTATUS_SIE | MSTATUS_SPIE),
        MSTATUS_SPIE
    );
    // ecall from S (cause 9) is not delegated: it goes to M with MPP = S.
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.privilege(), PRIV_M);
    assert_eq!((h.pc(), h.csr(MCAUSE)), (BASE + 0x300, Some(9)));
    assert_eq!(
        h.csr(MSTATUS).unwrap_or(0) & MSTATUS_MPP,
        u64::from(PRIV_S) << MSTATUS_MPP_SHIFT
    );
}

#[test]
fn medeleg_cannot_delegate_ecall_from_m() {
    let (mut h, mut mem, mut bus) =
        setup(&[addi(1, 0, -1), csrrw(0, MEDELEG, 1), csrrs(2, MEDELEG, 0)]);
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!(h.x(2) & (1 << 11), 0);
    assert_ne!(h.x(2) & (1 << 8), 0);
}

#[test]
fn illegal_instruction_tval_holds_the_instruction_bits() {
    let word = 0xffff_ffff;
    let (mut h, mut mem, mut bus) = setup(&[word]);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_ILLEGAL), Some(u64::from(word)))
    );
}

#[test]
fn unimplemented_csr_is_illegal() {
    let insn = csrrs(1, 0x800, 0);
    let (mut h, mut mem, mut bus) = setup(&[insn]);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_ILLEGAL), Some(u64::from(insn)))
    );
}

#[test]
fn read_only_csr_write_is_illegal_but_read_is_not() {
    let (mut h, mut mem, mut bus) = setup(&[csrrs(1, MHARTID, 0), csrrw(0, MHARTID, 1)]);
    h.set_x(1, 77);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!((h.x(1), h.position(), h.csr(MCAUSE)), (0, 1, Some(0)));
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
    assert_eq!(h.csr(MINSTRET), Some(1));
}

#[test]
fn csr_access_below_its_privilege_is_illegal() {
    let (mut h, mut mem, mut bus) = setup(&[csrrs(1, MSTATUS, 0), csrrs(1, SSTATUS, 0)]);
    h.privilege = PRIV_S;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.privilege(), h.csr(MCAUSE)),
        (PRIV_M, Some(CAUSE_ILLEGAL))
    );
    let (mut h, mut mem, mut bus) = setup(&[csrrs(1, SSTATUS, 0)]);
    h.privilege = PRIV_S;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!((h.privilege(), h.pc()), (PRIV_S, BASE + 4));
    assert_eq!(h.x(1) >> 32 & 3, 2, "UXL reads 2");
}

#[test]
fn counters_are_gated_by_mcounteren_and_scounteren() {
    let code = [csrrs(1, CYCLE, 0), csrrs(2, TIME, 0)];
    let (mut h, mut mem, mut bus) = setup(&code);
    h.privilege = PRIV_S;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
    let (mut h, mut mem, mut bus) = setup(&code);
    h.privilege = PRIV_S;
    h.csr.mcounteren = 3;
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!((h.x(1), h.x(2), h.privilege()), (0, 10, PRIV_S));
    let (mut h, mut mem, mut bus) = setup(&code);
    h.privilege = PRIV_U;
    h.csr.mcounteren = 3;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
}

#[test]
fn minstret_write_is_seen_by_the_next_instruction() {
    let (mut h, mut mem, mut bus) = setup(&[
        addi(1, 0, 100),
        csrrw(0, MINSTRET, 1),
        csrrs(2, MINSTRET, 0),
    ]);
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!(h.x(2), 100);
}

#[test]
fn mstatus_mpp_is_warl_and_sd_follows_fs() {
    let (mut h, mut mem, mut bus) = setup(&[
        csrrw(0, MSTATUS, 1),
        csrrw(0, MSTATUS, 2),
        csrrs(3, MSTATUS, 0),
    ]);
    h.set_x(1, 1 << MSTATUS_MPP_SHIFT);
    h.set_x(2, 2 << MSTATUS_MPP_SHIFT | MSTATUS_FS);
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!(
        h.x(3) & MSTATUS_MPP,
        1 << MSTATUS_MPP_SHIFT,
        "MPP = 2 is reserved: old value kept"
    );
    assert_eq!(h.x(3) & MSTATUS_FS, MSTATUS_FS);
    assert_ne!(h.x(3) & (1 << 63), 0, "SD set when FS is dirty");
}

#[test]
fn misa_writes_are_ignored() {
    let (mut h, mut mem, mut bus) = setup(&[csrrw(0, MISA, 0), csrrs(1, MISA, 0)]);
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!(h.x(1) >> 62, 2);
    assert_eq!(h.x(1) & 0x3ff_ffff, 0x14112d);
}

#[test]
fn satp_write_with_unsupported_mode_leaves_satp_unchanged() {
    let (mut h, mut mem, mut bus) =
        setup(&[csrrw(0, SATP, 1), csrrw(0, SATP, 2), csrrs(3, SATP, 0)]);
    h.set_x(1, 8 << 60 | 0x80100);
    h.set_x(2, 10 << 60 | 0x12345);
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!(h.x(3), 8 << 60 | 0x80100);
}

#[test]
fn satp_access_in_s_mode_with_tvm_is_illegal() {
    let (mut h, mut mem, mut bus) = setup(&[csrrs(1, SATP, 0)]);
    h.privilege = PRIV_S;
    h.csr.mstatus |= MSTATUS_TVM;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.privilege(), h.csr(MCAUSE)),
        (PRIV_M, Some(CAUSE_ILLEGAL))
    );
}

#[test]
fn sip_writes_only_delegated_ssip() {
    let (mut h, mut mem, mut bus) = setup(&[addi(1, 0, -1), csrrw(0, SIP, 1), csrrw(0, SIP, 1)]);
    h.privilege = PRIV_S;
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!(
        h.csr(MIP),
        Some(0),
        "SSIP not delegated: not writable from S"
    );
    h.csr.mideleg = 1 << IRQ_SSI;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MIP), Some(1 << IRQ_SSI));
}

#[test]
fn csrrs_on_mip_does_not_latch_the_external_seip_line() {
    // OpenSBI sets STIP with `csrs mip` while a device may hold the S external line high:
    // only the software SEIP bit takes part in the read-modify-write.
    let (mut h, mut mem, mut bus) = setup(&[addi(1, 0, 1 << IRQ_STI), csrrs(2, MIP, 1)]);
    h.set_interrupt_lines(1 << IRQ_SEI);
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!(
        h.x(2) & (1 << IRQ_SEI),
        1 << IRQ_SEI,
        "the read shows the line"
    );
    h.set_interrupt_lines(0);
    assert_eq!(h.csr(MIP), Some(1 << IRQ_STI), "SEIP falls with the line");
}

#[test]
fn interrupt_priority_is_mei_msi_mti_sei_ssi_sti() {
    let (mut h, _mem, _bus) = setup(&[]);
    h.csr.mie = 0xaaa;
    h.csr.mstatus |= MSTATUS_MIE;
    h.csr.mip = S_INTERRUPTS;
    h.set_interrupt_lines(LINES);
    let mut order = Vec::new();
    while let Some(irq) = h.pending_interrupt() {
        order.push(irq);
        h.csr.mie &= !(1 << irq);
    }
    assert_eq!(
        order,
        [IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI]
    );
}

#[test]
fn delegated_interrupt_is_never_taken_in_m_mode() {
    let (mut h, _mem, _bus) = setup(&[]);
    h.csr.mie = 1 << IRQ_STI;
    h.csr.mideleg = 1 << IRQ_STI;
    h.csr.mip = 1 << IRQ_STI;
    h.csr.mstatus |= MSTATUS_MIE | MSTATUS_SIE;
    assert_eq!(h.pending_interrupt(), None);
    h.privilege = PRIV_U;
    assert_eq!(h.pending_interrupt(), Some(IRQ_STI));
    h.privilege = PRIV_S;
    h.csr.mstatus &= !MSTATUS_SIE;
    assert_eq!(h.pending_interrupt(), None);
}

#[test]
fn m_interrupt_is_taken_in_s_mode_even_with_mie_clear() {
    let (mut h, mut mem, mut bus) = setup(&[SPIN]);
    h.privilege = PRIV_S;
    h.csr.mie = 1 << IRQ_MTI;
    h.csr.mtvec = (BASE + 0x100) | 1;
    put(&mut mem, BASE + 0x100, &[SPIN; 16]);
    h.set_interrupt_lines(1 << IRQ_MTI);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(INTERRUPT | IRQ_MTI));
    assert_eq!(h.pc(), BASE + 0x100 + 4 * IRQ_MTI, "vectored mode");
    assert_eq!(h.csr(MEPC), Some(BASE));
    assert_eq!(h.position(), 1);
}

#[test]
fn vectored_mtvec_applies_to_interrupts_only() {
    let (mut h, mut mem, mut bus) = setup(&[ECALL]);
    h.csr.mtvec = (BASE + 0x100) | 1;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.pc(), BASE + 0x100);
}

#[test]
fn mtvec_reserved_mode_is_not_kept() {
    let (mut h, mut mem, mut bus) = setup(&[csrrw(0, MTVEC, 1), csrrs(2, MTVEC, 0)]);
    h.set_x(1, BASE + 0x103);
    step(&mut h, &mut mem, &mut bus, 2);
    assert!(h.x(2) & 3 < 2);
}

#[test]
fn wfi_without_enabled_pending_interrupt_exits_idle() {
    let (mut h, mut mem, mut bus) = setup(&[WFI, SPIN]);
    assert_eq!(step(&mut h, &mut mem, &mut bus, 10), Exit::Wfi);
    assert_eq!((h.position(), h.pc()), (1, BASE + 4));
}

#[test]
fn wfi_wakes_on_locally_enabled_interrupt_even_if_globally_disabled() {
    let (mut h, mut mem, mut bus) = setup(&[WFI, SPIN]);
    h.csr.mie = 1 << IRQ_MTI;
    h.set_interrupt_lines(1 << IRQ_MTI);
    assert_eq!(step(&mut h, &mut mem, &mut bus, 10), Exit::Position);
    assert_eq!(
        (h.pc(), h.csr(MCAUSE)),
        (BASE + 4, Some(0)),
        "MIE = 0: no trap, just resumes"
    );
}

#[test]
fn wfi_is_illegal_in_u_mode_and_in_s_mode_with_tw() {
    let (mut h, mut mem, mut bus) = setup(&[WFI]);
    h.privilege = PRIV_U;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
    let (mut h, mut mem, mut bus) = setup(&[WFI]);
    h.privilege = PRIV_S;
    h.csr.mstatus |= MSTATUS_TW;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_ILLEGAL), Some(u64::from(WFI)))
    );
}

#[test]
fn sret_is_illegal_with_tsr_and_mret_below_m() {
    let (mut h, mut mem, mut bus) = setup(&[SRET]);
    h.privilege = PRIV_S;
    h.csr.mstatus |= MSTATUS_TSR;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
    let (mut h, mut mem, mut bus) = setup(&[MRET]);
    h.privilege = PRIV_S;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
}

#[test]
fn sfence_vma_is_illegal_in_u_mode_and_with_tvm() {
    let (mut h, mut mem, mut bus) = setup(&[SFENCE_VMA]);
    h.privilege = PRIV_U;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
}

#[test]
fn mret_to_s_mode_clears_mprv() {
    let (mut h, mut mem, mut bus) = setup(&[MRET]);
    h.csr.mepc = BASE + 0x40;
    h.csr.mstatus |= MSTATUS_MPRV | MSTATUS_MPIE | (1 << MSTATUS_MPP_SHIFT);
    step(&mut h, &mut mem, &mut bus, 1);
    let m = h.csr(MSTATUS).unwrap_or(0);
    assert_eq!((h.privilege(), h.pc()), (PRIV_S, BASE + 0x40));
    assert_eq!(m & (MSTATUS_MPRV | MSTATUS_MPP), 0);
    assert_ne!(m & MSTATUS_MIE, 0);
}

/// Builds a page table mapping `va` to `pa` with leaf flags `flags`, for `levels` levels,
/// with tables allocated from `next` upward. Returns the root's physical address.
fn map(mem: &mut Memory, levels: u32, va: u64, pa: u64, flags: u64, root: u64) -> u64 {
    let mut table = root;
    let mut next = root + 0x1000;
    for level in (1..levels).rev() {
        let idx = (va >> (12 + 9 * level)) & 0x1ff;
        let entry = table + idx * 8;
        let pte = get64(mem, entry);
        if pte & 1 == 0 {
            put64(mem, entry, (next >> 12) << 10 | 1);
            table = next;
            next += 0x1000;
        } else {
            table = (pte >> 10) << 12;
        }
    }
    put64(
        mem,
        table + ((va >> 12) & 0x1ff) * 8,
        (pa >> 12) << 10 | flags,
    );
    root
}

const R: u64 = 2;
const W: u64 = 4;
const V: u64 = 1;
const U: u64 = 16;
const A: u64 = 64;
const D: u64 = 128;

/// M-mode with MPRV and MPP = S: loads and stores are translated, fetches are not.
fn translated(levels: u32, code: &[u32]) -> (Hart, Memory, TestBus) {
    let (mut h, mem, bus) = setup(code);
    let mode = if levels == 3 {
        SATP_MODE_SV39
    } else {
        SATP_MODE_SV48
    };
    h.csr.satp = mode << 60 | (BASE + 0x10_0000) >> 12;
    h.csr.mstatus |= MSTATUS_MPRV | (1 << MSTATUS_MPP_SHIFT);
    (h, mem, bus)
}

fn translation_sets_accessed_and_dirty(levels: u32, va: u64) {
    let root = BASE + 0x10_0000;
    let (mut h, mut mem, mut bus) = translated(levels, &[ld(2, 1, 8), sd(3, 1, 16), ld(4, 5, 0)]);
    let pte = BASE + 0x10_0000 + 0x1000 * u64::from(levels - 1) + ((va >> 12) & 0x1ff) * 8;
    map(&mut mem, levels, va, BASE + 0x20_0000, V | R | W, root);
    put64(&mut mem, BASE + 0x20_0008, 0xdead_beef);
    h.set_x(1, va);
    h.set_x(3, 0x5555);
    h.set_x(5, va + 0x1000);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.x(2), 0xdead_beef);
    assert_eq!(get64(&mem, pte) & (A | D), A, "a load sets A only");
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(get64(&mem, BASE + 0x20_0010), 0x5555);
    assert_eq!(get64(&mem, pte) & (A | D), A | D, "a store sets A and D");
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_LOAD_PAGE));
    assert_eq!(h.csr(MTVAL), Some(va + 0x1000));
}

#[test]
fn sv39_translation_updates_a_and_d_and_faults_with_stval() {
    translation_sets_accessed_and_dirty(3, 0x4000_1000);
}

#[test]
fn sv48_translation_updates_a_and_d_and_faults_with_stval() {
    translation_sets_accessed_and_dirty(4, 0x7f_8000_3000);
}

#[test]
fn sv39_non_canonical_address_page_faults() {
    let (mut h, mut mem, mut bus) = translated(3, &[ld(2, 1, 0)]);
    h.set_x(1, 0x40_0000_0000);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_LOAD_PAGE), Some(0x40_0000_0000))
    );
}

#[test]
fn s_mode_needs_sum_for_user_pages() {
    let root = BASE + 0x10_0000;
    let (mut h, mut mem, mut bus) = translated(3, &[ld(2, 1, 0), ld(2, 1, 0)]);
    map(
        &mut mem,
        3,
        0x1000,
        BASE + 0x20_0000,
        V | R | W | U | A | D,
        root,
    );
    h.set_x(1, 0x1000);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_LOAD_PAGE));
    let (mut h2, _, _) = translated(3, &[]);
    h2.csr.mstatus |= MSTATUS_SUM;
    h.csr = h2.csr.clone();
    h.set_pc(BASE + 4);
    h.set_x(2, 7);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!((h.x(2), h.pc()), (0, BASE + 8));
}

#[test]
fn store_to_read_only_page_is_a_store_page_fault() {
    let root = BASE + 0x10_0000;
    let (mut h, mut mem, mut bus) = translated(3, &[sd(2, 1, 0)]);
    map(&mut mem, 3, 0x5000, BASE + 0x20_0000, V | R | A | D, root);
    h.set_x(1, 0x5000);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_STORE_PAGE), Some(0x5000))
    );
}

#[test]
fn misaligned_load_across_pages_is_performed() {
    let (mut h, mut mem, mut bus) = setup(&[ld(2, 1, 0)]);
    put64(&mut mem, BASE + 0x1ffc, 0x4433_2211);
    put64(&mut mem, BASE + 0x2000, 0x8877_6655);
    h.set_x(1, BASE + 0x1ffe);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.x(2), 0x8877_6655_4433);
}

#[test]
fn misaligned_load_across_pages_faults_at_the_second_page() {
    let root = BASE + 0x10_0000;
    let (mut h, mut mem, mut bus) = translated(3, &[lw(2, 1, 0)]);
    map(&mut mem, 3, 0x7000, BASE + 0x20_0000, V | R | A, root);
    h.set_x(1, 0x7ffe);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_LOAD_PAGE), Some(0x8000))
    );
}

#[test]
fn lr_sc_succeeds_once_per_reservation() {
    let code = [lr_w(2, 1), sc_w(3, 4, 1), sc_w(5, 4, 1), sc_w(6, 4, 7)];
    let (mut h, mut mem, mut bus) = setup(&code);
    put64(&mut mem, BASE + 0x1000, 0xffff_fff0);
    h.set_x(1, BASE + 0x1000);
    h.set_x(4, 42);
    h.set_x(7, BASE + 0x1008);
    step(&mut h, &mut mem, &mut bus, 4);
    assert_eq!(h.x(2), 0xffff_ffff_ffff_fff0, "lr.w sign-extends");
    assert_eq!((h.x(3), h.x(5), h.x(6)), (0, 1, 1));
    assert_eq!(get64(&mem, BASE + 0x1000), 42);
}

#[test]
fn sc_to_another_address_fails() {
    let (mut h, mut mem, mut bus) = setup(&[lr_w(2, 1), sc_w(3, 4, 7), sc_w(5, 4, 1)]);
    h.set_x(1, BASE + 0x1000);
    h.set_x(7, BASE + 0x1008);
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!((h.x(3), h.x(5)), (1, 1), "every sc clears the reservation");
}

/// Digests, snapshots and live transfer see only pages marked written: a store that goes
/// through a store-TLB entry made by a failed `sc` (which stores nothing) must still mark.
#[test]
fn a_store_after_a_failed_sc_to_its_page_marks_the_page_written() {
    let (mut h, mut mem, mut bus) = setup(&[sc_w(3, 4, 1), sd(4, 1, 8), SPIN]);
    h.set_x(1, BASE + 0x10_0000);
    h.set_x(4, 42);
    mem.take_written_pages();
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!((h.x(3), get64(&mem, BASE + 0x10_0008)), (1, 42));
    assert_eq!(mem.take_written_pages(), [0x100]);
}

#[test]
fn misaligned_lr_and_amo_raise_misaligned_exceptions() {
    let (mut h, mut mem, mut bus) = setup(&[lr_w(2, 1)]);
    h.set_x(1, BASE + 0x1002);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_LOAD_MISALIGNED), Some(BASE + 0x1002))
    );
    let (mut h, mut mem, mut bus) = setup(&[amoadd_w(2, 3, 1)]);
    h.set_x(1, BASE + 0x1002);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_STORE_MISALIGNED));
}

#[test]
fn amoadd_returns_old_value_and_stores_sum() {
    let (mut h, mut mem, mut bus) = setup(&[amoadd_w(2, 3, 1)]);
    put64(&mut mem, BASE + 0x1000, 0x7fff_ffff);
    h.set_x(1, BASE + 0x1000);
    h.set_x(3, 1);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.x(2), get64(&mem, BASE + 0x1000)),
        (0x7fff_ffff, 0x8000_0000)
    );
}

#[test]
fn self_modifying_code_runs_the_new_instruction_after_fence_i() {
    let code = [
        addi(5, 5, 1), // +0
        bne(7, 0, 20), // +4 -> +24
        sw(6, 8, 0),   // +8: overwrite +0
        FENCE_I,       // +12
        addi(7, 0, 1), // +16
        jal(0, -20),   // +20 -> +0
        SPIN,          // +24
    ];
    let (mut h, mut mem, mut bus) = setup(&code);
    h.set_x(6, u64::from(addi(5, 5, 100)));
    h.set_x(8, BASE);
    step(&mut h, &mut mem, &mut bus, 9);
    assert_eq!((h.x(5), h.pc()), (101, BASE + 24));
}

#[test]
fn memory_write_invalidates_decoded_code() {
    let (mut h, mut mem, mut bus) = setup(&[addi(5, 5, 1), jal(0, -4)]);
    step(&mut h, &mut mem, &mut bus, 2);
    put(&mut mem, BASE, &[addi(5, 5, 10)]);
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!(h.x(5), 11);
}

#[test]
fn fp_instructions_are_illegal_when_fs_is_off() {
    let (mut h, mut mem, mut bus) = setup(&[flw(1, 2, 0)]);
    h.set_x(2, BASE + 0x1000);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
    let (mut h, mut mem, mut bus) = setup(&[csrrs(1, FCSR, 0)]);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
}

#[test]
fn fp_register_write_sets_fs_dirty_and_flw_nan_boxes() {
    let (mut h, mut mem, mut bus) = setup(&[flw(1, 2, 0), csrrs(3, MSTATUS, 0), fld(4, 2, 0)]);
    h.csr.mstatus |= 1 << 13;
    put64(&mut mem, BASE + 0x1000, 0x1122_3344_3f80_0000);
    h.set_x(2, BASE + 0x1000);
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!(h.f(1), 0xffff_ffff_3f80_0000);
    assert_eq!(h.f(4), 0x1122_3344_3f80_0000);
    assert_eq!(h.x(3) & MSTATUS_FS, MSTATUS_FS);
    assert_ne!(h.x(3) & (1 << 63), 0);
}

#[test]
fn reserved_rounding_mode_is_illegal() {
    let (mut h, mut mem, mut bus) = setup(&[fadd_s(1, 2, 3, 5), fadd_s(1, 2, 3, 7)]);
    h.csr.mstatus |= 1 << 13;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
    let (mut h, mut mem, mut bus) = setup(&[fadd_s(1, 2, 3, 7)]);
    h.csr.mstatus |= 1 << 13;
    h.csr.frm = 6;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(h.csr(MCAUSE), Some(CAUSE_ILLEGAL));
}

#[test]
fn device_access_ends_the_slice_after_the_instruction() {
    let (mut h, mut mem, mut bus) = setup(&[sw(2, 1, 0), lw(3, 1, 4), SPIN]);
    h.set_x(1, MMIO);
    h.set_x(2, 9);
    assert_eq!(step(&mut h, &mut mem, &mut bus, 100), Exit::Device);
    assert_eq!((h.position(), h.pc()), (1, BASE + 4));
    assert_eq!(bus.stores(), [(MMIO, 4, 9)]);
    assert_eq!(step(&mut h, &mut mem, &mut bus, 100), Exit::Device);
    assert_eq!(
        (h.x(3), bus.loads()),
        (
            TestBus::value(MMIO + 4, 4) as i32 as u64,
            vec![(MMIO + 4, 4)]
        )
    );
}

#[test]
fn device_access_the_bus_needs_no_attention_for_does_not_end_the_slice() {
    let code = [lw(3, 1, 0), lw(3, 1, 4), sw(2, 4, 0), lw(3, 1, 0), SPIN];
    let (mut h, mut mem, mut bus) = setup(&code);
    h.set_x(1, QUIET);
    h.set_x(2, 9);
    h.set_x(4, MMIO);
    assert_eq!(step(&mut h, &mut mem, &mut bus, 100), Exit::Device);
    assert_eq!((h.position(), h.pc()), (3, BASE + 12));
    assert_eq!(bus.loads(), [(QUIET, 4), (QUIET + 4, 4)]);
    assert_eq!(bus.stores(), [(MMIO, 4, 9)]);
    assert_eq!(step(&mut h, &mut mem, &mut bus, 100), Exit::Position);
    assert_eq!(
        (h.position(), h.x(3)),
        (103, TestBus::value(QUIET, 4) as i32 as u64)
    );
    assert_eq!(bus.loads().len(), 3);
}

#[test]
fn quiet_device_access_in_an_atomic_does_not_end_the_slice_but_a_loud_one_does() {
    let code = [amoadd_w(3, 2, 1), amoadd_w(3, 2, 4), SPIN];
    let (mut h, mut mem, mut bus) = setup(&code);
    h.set_x(1, QUIET);
    h.set_x(2, 1);
    h.set_x(4, MMIO);
    assert_eq!(step(&mut h, &mut mem, &mut bus, 100), Exit::Device);
    assert_eq!(h.position(), 2);
    let (quiet, loud) = (TestBus::value(QUIET, 4), TestBus::value(MMIO, 4));
    assert_eq!(
        bus.stores(),
        [
            (QUIET, 4, (quiet + 1) & 0xffff_ffff),
            (MMIO, 4, (loud + 1) & 0xffff_ffff)
        ]
    );
}

#[test]
fn bus_fault_is_an_access_fault_with_the_address() {
    let (mut h, mut mem, mut bus) = setup(&[ld(3, 1, 0)]);
    h.set_x(1, MISSING);
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_LOAD_ACCESS), Some(MISSING))
    );
}

#[test]
fn fetch_outside_ram_is_an_instruction_access_fault() {
    let (mut h, mut mem, mut bus) = setup(&[]);
    h.set_pc(MMIO);
    h.csr.mtvec = BASE;
    step(&mut h, &mut mem, &mut bus, 1);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_FETCH_ACCESS), Some(MMIO))
    );
}

#[test]
fn div_by_zero_and_overflow_follow_the_m_extension() {
    let div = |rd, rs1, rs2| enc_r(1, rs2, rs1, 4, rd, 0x33);
    let rem = |rd, rs1, rs2| enc_r(1, rs2, rs1, 6, rd, 0x33);
    let (mut h, mut mem, mut bus) =
        setup(&[div(3, 1, 0), rem(4, 1, 0), div(5, 2, 6), rem(7, 2, 6)]);
    h.set_x(1, 7);
    h.set_x(2, i64::MIN as u64);
    h.set_x(6, u64::MAX);
    step(&mut h, &mut mem, &mut bus, 4);
    assert_eq!(
        (h.x(3), h.x(4), h.x(5), h.x(7)),
        (u64::MAX, 7, i64::MIN as u64, 0)
    );
}

#[test]
fn sfence_vma_with_an_address_makes_a_new_leaf_pte_visible() {
    let root = BASE + 0x10_0000;
    let code = [ld(2, 1, 0), sfence_vma(1, 0), ld(3, 1, 0)];
    let (mut h, mut mem, mut bus) = translated(3, &code);
    map(&mut mem, 3, 0x5000, BASE + 0x20_0000, V | R | A, root);
    put64(&mut mem, BASE + 0x20_0000, 1);
    put64(&mut mem, BASE + 0x20_1000, 2);
    h.set_x(1, 0x5000);
    step(&mut h, &mut mem, &mut bus, 1);
    map(&mut mem, 3, 0x5000, BASE + 0x20_1000, V | R | A, root);
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!((h.x(2), h.x(3)), (1, 2));
}

#[test]
fn sfence_vma_of_everything_makes_a_remapped_page_visible_across_tlb_generations() {
    // Each pass remaps a page to the next of three frames, flushes every TLB, then loads
    // and stores through it. The flushes move the TLBs to a new generation and 300 passes
    // wrap it several times; every GENERATIONS-th pass uses a page no other pass touches, so
    // that an entry left from the last such pass would carry this pass's generation (and
    // map another frame). A stale entry loads another frame's value or stores into it.
    let root = BASE + 0x10_0000;
    let frames = [BASE + 0x20_0000, BASE + 0x20_1000, BASE + 0x20_2000];
    let code = [sfence_vma(0, 0), ld(2, 1, 0), sd(3, 1, 8), jal(0, -12)];
    let (mut h, mut mem, mut bus) = translated(3, &code);
    for (i, &frame) in frames.iter().enumerate() {
        put64(&mut mem, frame, 10 + i as u64);
    }
    for pass in 0..300u64 {
        let i = pass as usize % 3;
        let va = if pass % crate::mmu::GENERATIONS == 0 {
            0x7000
        } else {
            0x5000
        };
        map(&mut mem, 3, va, frames[i], V | R | W | A | D, root);
        h.set_x(1, va);
        h.set_x(3, pass);
        step(&mut h, &mut mem, &mut bus, 4);
        assert_eq!(
            h.x(2),
            10 + i as u64,
            "pass {pass} loaded through a stale entry"
        );
        assert_eq!(
            get64(&mem, frames[i] + 8),
            pass,
            "pass {pass} stored through a stale entry"
        );
    }
}

#[test]
fn sfence_vma_with_an_address_in_a_superpage_covers_the_whole_superpage() {
    // Sv39: root[0] points to a level-1 table whose entry 1 is a 2 MiB leaf at va 0x20_0000.
    let root = BASE + 0x10_0000;
    let table = root + 0x1000;
    let code = [ld(2, 1, 0), sfence_vma(4, 0), ld(3, 1, 0)];
    let (mut h, mut mem, mut bus) = translated(3, &code);
    put64(&mut mem, root, (table >> 12) << 10 | V);
    let leaf = |pa: u64| (pa >> 12) << 10 | V | R | A;
    put64(&mut mem, table + 8, leaf(BASE + 0x20_0000));
    put64(&mut mem, BASE + 0x20_1000, 1);
    put64(&mut mem, BASE + 0x1000, 2);
    h.set_x(1, 0x20_1000);
    h.set_x(4, 0x20_0000);
    step(&mut h, &mut mem, &mut bus, 1);
    put64(&mut mem, table + 8, leaf(BASE));
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!((h.x(2), h.x(3)), (1, 2));
}

#[test]
fn mstatus_sum_clear_applies_to_the_next_load() {
    let root = BASE + 0x10_0000;
    let code = [ld(2, 1, 0), csrrc(0, MSTATUS, 5), ld(3, 1, 0)];
    let (mut h, mut mem, mut bus) = translated(3, &code);
    map(&mut mem, 3, 0x1000, BASE + 0x20_0000, V | R | U | A, root);
    put64(&mut mem, BASE + 0x20_0000, 9);
    h.csr.mstatus |= MSTATUS_SUM;
    h.set_x(1, 0x1000);
    h.set_x(5, MSTATUS_SUM);
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!(h.x(2), 9);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MEPC), h.x(3)),
        (Some(CAUSE_LOAD_PAGE), Some(BASE + 8), 0)
    );
}

/// Sv39 (M-mode with MPRV, MPP = S) with `va` mapped to the test bus's device page `pa`.
fn device_page(code: &[u32], va: u64, pa: u64, flags: u64) -> (Hart, Memory, TestBus) {
    let (h, mut mem, bus) = translated(3, code);
    map(&mut mem, 3, va, pa, flags, BASE + 0x10_0000);
    (h, mem, bus)
}

#[test]
fn device_page_translation_is_cached_until_sfence_vma() {
    // The PTE changes under the hart: the privileged spec lets it use the old translation
    // until an sfence.vma, and this hart does (its device TLB), without walking again.
    let code = [
        lw(2, 1, 0),
        lw(3, 1, 8),
        sfence_vma(1, 0),
        lw(4, 1, 0),
        SPIN,
    ];
    let (mut h, mut mem, mut bus) = device_page(&code, 0x5000, QUIET, V | R | A);
    h.set_x(1, 0x5000);
    step(&mut h, &mut mem, &mut bus, 1);
    map(
        &mut mem,
        3,
        0x5000,
        QUIET + 0x1000,
        V | R | A,
        BASE + 0x10_0000,
    );
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!(
        bus.loads(),
        [(QUIET, 4), (QUIET + 8, 4), (QUIET + 0x1000, 4)]
    );
}

#[test]
fn cached_device_page_for_loads_still_needs_write_permission_for_stores() {
    let code = [lw(2, 1, 0), sw(2, 1, 0)];
    let (mut h, mut mem, mut bus) = device_page(&code, 0x5000, QUIET, V | R | A);
    h.set_x(1, 0x5000);
    step(&mut h, &mut mem, &mut bus, 2);
    assert_eq!(
        (h.csr(MCAUSE), h.csr(MTVAL)),
        (Some(CAUSE_STORE_PAGE), Some(0x5000))
    );
    assert_eq!(bus.stores(), []);
}

#[test]
fn cached_device_page_is_dropped_by_a_satp_write() {
    let code = [lw(2, 1, 0), csrrw(0, SATP, 6), lw(3, 1, 0)];
    let (mut h, mut mem, mut bus) = device_page(&code, 0x5000, QUIET, V | R | A);
    // A second root that maps the page elsewhere.
    let other = BASE + 0x18_0000;
    map(&mut mem, 3, 0x5000, QUIET + 0x2000, V | R | A, other);
    h.set_x(1, 0x5000);
    h.set_x(6, SATP_MODE_SV39 << 60 | other >> 12);
    step(&mut h, &mut mem, &mut bus, 3);
    assert_eq!(bus.loads(), [(QUIET, 4), (QUIET + 0x2000, 4)]);
}
