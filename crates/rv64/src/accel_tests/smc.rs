//! Self-modifying code under both engines: loops that rewrite their own instructions while
//! they run, by every kind of store, with and without `fence.i`.
//!
//! vmft's hart is in order and a store drops the decoded code of its page as it happens, so
//! a store to an instruction is visible to the very next fetch, `fence.i` or not (Zifencei
//! allows that; it requires only that `fence.i` makes stores visible). The JIT must keep it
//! so, including for the instruction right after the store in the same block. Each program
//! runs under both engines in lock step and its result is checked against that rule.

use super::{BASE, RAM};
use crate::hart::{Hart, PRIV_S};
use crate::memory::Memory;
use crate::testkit::asm::*;
use crate::testkit::lockstep::Lockstep;
use crate::testkit::{Rng, TestBus};

/// Where each program's loop starts (after its prologue).
const LOOP: u64 = BASE + 0x40;

/// `addi a0, a0, 0`: the instruction the programs patch, with the immediate in bits 31:20.
const ADD_TO_A0: u32 = 0x0005_0513;

/// Pads with 4-byte `nop`s (and one `c.nop` if needed) up to `addr`.
fn pad_to(asm: &mut Asm, addr: u64) {
    if !(addr - asm.here()).is_multiple_of(4) {
        asm.put16(C_NOP);
    }
    while asm.here() < addr {
        asm.put(addi(ZERO, ZERO, 0));
    }
}

/// Ends the program: `s0 -= 1; bnez s0, top`, then an endless loop, whose address it returns.
fn close_loop(asm: &mut Asm, top: Label) -> u64 {
    asm.put(addi(S0, S0, -1));
    let back = asm.offset_to(top);
    asm.put(bne(S0, ZERO, back));
    let end = asm.here();
    asm.put(SPIN);
    end
}

/// A machine maker: `image` in fresh RAM, an M-mode hart at [`BASE`] changed by `setup`.
fn machine(
    image: Vec<(u64, Vec<u8>)>,
    setup: fn(&mut Hart),
) -> impl Fn() -> (Hart, Memory, TestBus) {
    move || {
        let mut mem = Memory::new(BASE, RAM).expect("RAM");
        for (addr, bytes) in &image {
            mem.write(*addr, bytes).expect("in RAM");
        }
        let mut hart = Hart::new(BASE);
        setup(&mut hart);
        (hart, mem, TestBus::default())
    }
}

/// Runs `make`'s machine under both engines to `budget` positions in random steps; the
/// program must have reached `end`.
fn run(make: impl Fn() -> (Hart, Memory, TestBus), end: u64, budget: u64) -> Lockstep {
    let mut pair = Lockstep::new(make);
    pair.run_in_steps(budget, &mut Rng::new(end))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pair.interp.hart.pc(), end, "the program did not finish");
    pair
}

/// The reference's `a0` (the JIT's agrees, or `run` failed).
fn a0(pair: &Lockstep) -> u64 {
    pair.interp.hart.x(A0 as usize)
}

/// A loop of `n` iterations whose first instruction, `addi a0, a0, k`, is rewritten by a
/// `sw` every 16 iterations (with `fence.i` after it if `fence`) to add the next k.
fn patched_every_16(n: i32, fence: bool) -> (Vec<u8>, u64) {
    let mut asm = Asm::new(BASE);
    asm.la(TP, LOOP);
    asm.li(T3, ADD_TO_A0 as i32);
    asm.put(addi(S0, ZERO, n));
    asm.put(addi(A0, ZERO, 0));
    asm.put(addi(A1, ZERO, 0));
    pad_to(&mut asm, LOOP);
    let top = asm.bound();
    asm.put(ADD_TO_A0 | 1 << 20);
    asm.put(addi(A1, A1, 1));
    asm.put(andi(T0, A1, 15));
    let skip = asm.label();
    asm.branch(1, T0, ZERO, skip);
    asm.put(srli(T1, A1, 4));
    asm.put(addi(T1, T1, 1));
    asm.put(slli(T1, T1, 20));
    asm.put(or(T1, T1, T3));
    asm.put(sw(T1, TP, 0));
    if fence {
        asm.put(FENCE_I);
    }
    asm.bind(skip);
    let end = close_loop(&mut asm, top);
    (asm.finish(), end)
}

/// What [`patched_every_16`] leaves in `a0`: iteration `i` (from 1) adds `(i - 1) / 16 + 1`.
fn patched_every_16_sum(n: u64) -> u64 {
    (1..=n).map(|i| (i - 1) / 16 + 1).sum()
}

#[test]
fn an_instruction_rewritten_every_16_iterations_runs_anew_from_the_next_one_after_fence_i() {
    let (code, end) = patched_every_16(256, true);
    let pair = run(machine(vec![(BASE, code)], |_| {}), end, 5000);
    assert_eq!(a0(&pair), patched_every_16_sum(256));
}

#[test]
fn an_instruction_rewritten_every_16_iterations_runs_anew_from_the_next_one_without_fence_i() {
    let (code, end) = patched_every_16(256, false);
    let pair = run(machine(vec![(BASE, code)], |_| {}), end, 5000);
    assert_eq!(a0(&pair), patched_every_16_sum(256));
}

#[test]
fn a_store_to_the_next_instruction_of_its_block_is_fetched_at_once() {
    // Each iteration stores `addi a0, a0, i` over the instruction after the store.
    let store = LOOP + 8;
    let mut asm = Asm::new(BASE);
    asm.la(TP, store);
    asm.li(T3, ADD_TO_A0 as i32);
    asm.put(addi(S0, ZERO, 100));
    asm.put(addi(A0, ZERO, 0));
    asm.put(addi(A1, ZERO, 0));
    pad_to(&mut asm, LOOP);
    let top = asm.bound();
    asm.put(slli(T1, A1, 20));
    asm.put(or(T1, T1, T3));
    assert_eq!(asm.here(), store);
    asm.put(sw(T1, TP, 4));
    asm.put(ADD_TO_A0);
    asm.put(addi(A1, A1, 1));
    let end = close_loop(&mut asm, top);
    let pair = run(machine(vec![(BASE, asm.finish())], |_| {}), end, 2000);
    assert_eq!(a0(&pair), (0..100).sum::<u64>());
}

#[test]
fn instructions_rewritten_by_an_amo_a_halfword_store_and_a_compressed_store_run_anew() {
    // amoadd.w adds 1 to the immediate of `addi a0, a0, 1` at the loop's start each
    // iteration: iteration i (from 1) adds i.
    let mut asm = Asm::new(BASE);
    asm.la(TP, LOOP);
    asm.li(T2, 1 << 20);
    asm.put(addi(S0, ZERO, 64));
    pad_to(&mut asm, LOOP);
    let top = asm.bound();
    asm.put(ADD_TO_A0 | 1 << 20);
    asm.put(amo(0, false, 0, ZERO, T2, TP));
    let end = close_loop(&mut asm, top);
    let pair = run(machine(vec![(BASE, asm.finish())], |_| {}), end, 1000);
    assert_eq!(a0(&pair), (1..=64).sum::<u64>());

    // sh rewrites `c.addi a0, k` at the loop's start with k = (iteration % 16) + 1.
    let mut asm = Asm::new(BASE);
    asm.la(TP, LOOP);
    asm.put(addi(S0, ZERO, 64));
    asm.put(addi(A1, ZERO, 0));
    pad_to(&mut asm, LOOP);
    let top = asm.bound();
    asm.put16(c_addi(A0, 1));
    asm.put(addi(A1, A1, 1));
    asm.put(andi(T1, A1, 15));
    asm.put(addi(T1, T1, 1));
    asm.put(slli(T1, T1, 2));
    asm.put(ori(T1, T1, i32::from(c_addi(A0, 0))));
    asm.put(sh(T1, TP, 0));
    let end = close_loop(&mut asm, top);
    let pair = run(machine(vec![(BASE, asm.finish())], |_| {}), end, 1000);
    let expected: u64 = 1 + (1..64).map(|i| i % 16 + 1).sum::<u64>();
    assert_eq!(a0(&pair), expected);

    // c.sw rewrites `addi a0, a0, k` at the loop's start with k = iteration + 1.
    let mut asm = Asm::new(BASE);
    asm.la(S1, LOOP);
    asm.li(T3, ADD_TO_A0 as i32);
    asm.put(addi(S0, ZERO, 64));
    asm.put(addi(A1, ZERO, 0));
    pad_to(&mut asm, LOOP);
    let top = asm.bound();
    asm.put(ADD_TO_A0 | 1 << 20);
    asm.put(addi(A1, A1, 1));
    asm.put(addi(A2, A1, 1));
    asm.put(slli(A2, A2, 20));
    asm.put(or(A2, A2, T3));
    asm.put16(c_sw(A2, S1, 0));
    let end = close_loop(&mut asm, top);
    let pair = run(machine(vec![(BASE, asm.finish())], |_| {}), end, 1000);
    assert_eq!(a0(&pair), (1..=64).sum::<u64>());
}

#[test]
fn stores_to_data_in_a_page_of_code_leave_the_code_running() {
    // A counter 256 bytes after the loop, in its page.
    let mut asm = Asm::new(BASE);
    asm.la(TP, LOOP);
    asm.put(addi(S0, ZERO, 200));
    pad_to(&mut asm, LOOP);
    let top = asm.bound();
    asm.put(ld(T0, TP, 0x100));
    asm.put(addi(T0, T0, 3));
    asm.put(sd(T0, TP, 0x100));
    asm.put(addi(A0, A0, 1));
    let end = close_loop(&mut asm, top);
    let pair = run(machine(vec![(BASE, asm.finish())], |_| {}), end, 2000);
    let mut counter = [0; 8];
    pair.interp
        .mem
        .read(LOOP + 0x100, &mut counter)
        .expect("in RAM");
    assert_eq!((u64::from_le_bytes(counter), a0(&pair)), (600, 200));
}

/// The loop of [`patched_every_16`] with its `addi` across a page boundary, rewritten by a
/// `sh` of its second half, on the next page (with `fence.i` if `fence`).
fn rewrite_across_pages(fence: bool) {
    let page_end = BASE + 0x1000;
    let mut asm = Asm::new(BASE);
    asm.la(TP, page_end);
    asm.put(addi(S0, ZERO, 128));
    asm.put(addi(A0, ZERO, 0));
    asm.put(addi(A1, ZERO, 0));
    pad_to(&mut asm, page_end - 0x10);
    let top = asm.bound();
    pad_to(&mut asm, page_end - 2);
    asm.put(ADD_TO_A0 | 1 << 20);
    asm.put(addi(A1, A1, 1));
    asm.put(andi(T0, A1, 15));
    let skip = asm.label();
    asm.branch(1, T0, ZERO, skip);
    // The upper half of `addi a0, a0, k` is k << 4 | 0x5.
    asm.put(srli(T1, A1, 4));
    asm.put(addi(T1, T1, 1));
    asm.put(slli(T1, T1, 4));
    asm.put(ori(T1, T1, (ADD_TO_A0 >> 16) as i32));
    asm.put(sh(T1, TP, 0));
    if fence {
        asm.put(FENCE_I);
    }
    asm.bind(skip);
    let end = close_loop(&mut asm, top);
    let pair = run(machine(vec![(BASE, asm.finish())], |_| {}), end, 5000);
    assert_eq!(a0(&pair), patched_every_16_sum(128));
}

#[test]
fn an_instruction_across_pages_rewritten_on_its_second_page_runs_anew() {
    rewrite_across_pages(true);
    rewrite_across_pages(false);
}

#[test]
fn code_rewritten_through_another_virtual_alias_of_its_page_runs_anew() {
    // S-mode under Sv39: the code's page is executable at its own address and writable
    // at ALIAS; the loop of `patched_every_16` writes its instruction through ALIAS.
    const ALIAS: u64 = 0x4000_0000;
    const ROOT: u64 = BASE + 0x8_0000;
    let (v, r, w, x, a, d) = (1, 2, 4, 8, 64, 128);
    let table = |addr: u64| (addr >> 12) << 10 | v;
    let leaf = |addr: u64, flags: u64| (addr >> 12) << 10 | flags | v | a;
    let mut tables = vec![0u64; 5 * 512];
    tables[2] = table(ROOT + 0x1000); // root[2]: RAM's gigabyte
    tables[1] = table(ROOT + 0x3000); // root[1]: ALIAS's gigabyte
    tables[512] = table(ROOT + 0x2000);
    tables[1024] = leaf(BASE, r | x);
    tables[3 * 512] = table(ROOT + 0x4000);
    tables[4 * 512] = leaf(BASE, r | w | d);
    let tables = tables.iter().flat_map(|e| e.to_le_bytes()).collect();

    let mut asm = Asm::new(BASE);
    asm.put(lui(TP, (ALIAS >> 12) as u32));
    asm.put(addi(TP, TP, (LOOP - BASE) as i32));
    asm.li(T3, ADD_TO_A0 as i32);
    asm.put(addi(S0, ZERO, 128));
    pad_to(&mut asm, LOOP);
    let top = asm.bound();
    asm.put(ADD_TO_A0 | 1 << 20);
    asm.put(addi(A1, A1, 1));
    asm.put(andi(T0, A1, 15));
    let skip = asm.label();
    asm.branch(1, T0, ZERO, skip);
    asm.put(srli(T1, A1, 4));
    asm.put(addi(T1, T1, 1));
    asm.put(slli(T1, T1, 20));
    asm.put(or(T1, T1, T3));
    asm.put(sw(T1, TP, 0));
    asm.put(FENCE_I);
    asm.bind(skip);
    let end = close_loop(&mut asm, top);
    let image = vec![(BASE, asm.finish()), (ROOT, tables)];
    let pair = run(
        machine(image, |h| {
            h.csr.satp = crate::csr::SATP_MODE_SV39 << 60 | ROOT >> 12;
            h.privilege = PRIV_S;
        }),
        end,
        3000,
    );
    assert_eq!(a0(&pair), patched_every_16_sum(128));
}

#[test]
fn the_jit_compiles_a_loop_and_drops_it_when_a_store_rewrites_it() {
    let (code, end) = patched_every_16(256, false);
    let pair = run(machine(vec![(BASE, code)], |_| {}), end, 5000);
    let stats = pair.jit.mem.jit_stats();
    assert!(stats.compiled > 0, "nothing compiled: {stats:?}");
    assert!(stats.invalidated >= 15, "rewritten 15 times: {stats:?}");
}
