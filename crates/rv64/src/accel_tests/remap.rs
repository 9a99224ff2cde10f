//! Code pages mapped anew: compiled code finds its successors in the jump cache by virtual
//! pc, so an `sfence.vma` of a page whose translation changed must drop that page's
//! entries, and one of a page that holds no code need not.

use super::{BASE, RAM};
use crate::hart::{Hart, PRIV_S};
use crate::memory::Memory;
use crate::testkit::asm::*;
use crate::testkit::lockstep::Lockstep;
use crate::testkit::{Rng, TestBus};

/// The page tables: root, the gigabyte of RAM, its first 2 MiB.
const ROOT: u64 = BASE + 0x8_0000;
/// The leaf table of the first 2 MiB (identity-mapped page by page).
const LEAVES: u64 = ROOT + 0x2000;
/// The function the loop calls, by virtual address; its page starts mapped to itself.
const FUNCTION: u64 = BASE + 0x1_0000;
/// The page the function's address is mapped to half way through.
const OTHER: u64 = BASE + 0x1_1000;
/// A data page the loop fences every iteration without changing its mapping.
const DATA: u64 = BASE + 0x2_0000;
/// Iterations; the function's page is mapped anew before the last `ITERATIONS / 2`.
const ITERATIONS: i32 = 200;

/// A leaf PTE of `addr`'s page with `flags` (valid and accessed added).
fn leaf(addr: u64, flags: u64) -> u64 {
    (addr >> 12) << 10 | flags | 1 | 64
}

/// The machine: S-mode under Sv39, a loop at [`BASE`] that calls the function at
/// [`FUNCTION`] (`li a0, 1; ret` there, `li a0, 2; ret` at [`OTHER`]), sums its results
/// into `a1` and fences [`DATA`]'s page; half way it points the function's PTE at
/// [`OTHER`] and fences the function's page. Returns the machine and where it ends.
fn machine() -> (impl Fn() -> (Hart, Memory, TestBus), u64) {
    let (r, w, x, d) = (2, 4, 8, 128);
    let mut tables = vec![0u64; 3 * 512];
    tables[2] = (ROOT + 0x1000) >> 12 << 10 | 1; // root[2]: RAM's gigabyte
    tables[512] = LEAVES >> 12 << 10 | 1; // its first 2 MiB
    let leaves = &mut tables[1024..];
    leaves[0] = leaf(BASE, r | x);
    leaves[0x10] = leaf(FUNCTION, r | x);
    leaves[0x20] = leaf(DATA, r | w | d);
    leaves[((LEAVES - BASE) >> 12) as usize] = leaf(LEAVES, r | w | d);
    let tables: Vec<u8> = tables.iter().flat_map(|e| e.to_le_bytes()).collect();

    let mut asm = Asm::new(BASE);
    asm.la(T0, LEAVES + 0x10 * 8);
    asm.li(T1, leaf(OTHER, r | x) as i32);
    asm.la(T2, FUNCTION);
    asm.la(T3, DATA);
    asm.put(addi(T4, ZERO, ITERATIONS / 2));
    asm.put(addi(S0, ZERO, ITERATIONS));
    let top = asm.bound();
    asm.put(jalr(RA, T2, 0));
    asm.put(add(A1, A1, A0));
    asm.put(sfence_vma(T3, 0));
    asm.put(addi(S0, S0, -1));
    let skip = asm.label();
    asm.branch(1, S0, T4, skip);
    asm.put(sd(T1, T0, 0));
    asm.put(sfence_vma(T2, 0));
    asm.bind(skip);
    let back = asm.offset_to(top);
    asm.put(bne(S0, ZERO, back));
    let end = asm.here();
    asm.put(SPIN);
    let code = asm.finish();

    let function = |value: i32| {
        let mut asm = Asm::new(0);
        asm.put(addi(A0, ZERO, value));
        asm.put(jalr(ZERO, RA, 0));
        asm.finish()
    };
    let image = vec![
        (BASE, code),
        (FUNCTION, function(1)),
        (OTHER, function(2)),
        (ROOT, tables),
    ];
    let make = move || {
        let mut mem = Memory::new(BASE, RAM).expect("RAM");
        for (addr, bytes) in &image {
            mem.write(*addr, bytes).expect("in RAM");
        }
        let mut hart = Hart::new(BASE);
        hart.csr.satp = crate::csr::SATP_MODE_SV39 << 60 | ROOT >> 12;
        hart.privilege = PRIV_S;
        (hart, mem, TestBus::default())
    };
    (make, end)
}

#[test]
fn a_function_whose_page_is_mapped_anew_and_fenced_runs_its_new_code() {
    let (make, end) = machine();
    let mut pair = Lockstep::new(make);
    pair.run_in_steps(20 * ITERATIONS as u64, &mut Rng::new(0x4e3a_9b01))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pair.interp.hart.pc(), end, "the program did not finish");
    let half = u64::from(ITERATIONS.unsigned_abs() / 2);
    assert_eq!(pair.interp.hart.x(A1 as usize), half + 2 * half);
}

#[test]
fn the_jit_keeps_its_jump_cache_across_fences_of_a_page_without_code() {
    let (make, end) = machine();
    let mut pair = Lockstep::new(make);
    // In one run, so that only fences (and the one remapping) empty the jump cache.
    pair.run(20 * ITERATIONS as u64)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pair.interp.hart.pc(), end, "the program did not finish");
    let stats = pair.jit.mem.jit_stats();
    assert!(stats.compiled >= 3, "{stats:?}");
    // A few blocks each time the cache is emptied: at the start and at the remapping. Each
    // iteration's fence of DATA emptying it would make it two per iteration.
    assert!(stats.jump_cache_fills < 20, "{stats:?}");
}
