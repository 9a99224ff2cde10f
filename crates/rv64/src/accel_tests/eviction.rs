//! A code cache too small for the hot code: thousands of distinct small loops, each hot at
//! once (the JIT compiles at the first taken branch), run twice over, with the cache bound
//! at its 64 KiB minimum, so the JIT must empty it and compile again, many times.
//!
//! The same loops also serve compiling in the background: blocks arrive from the JIT's
//! thread while the program runs and are installed between runs.

use super::{BASE, RAM};
use crate::hart::Hart;
use crate::memory::Memory;
use crate::testkit::asm::*;
use crate::testkit::lockstep::Lockstep;
use crate::testkit::{Rng, TestBus};

/// A scratch area the loops load from and store to.
const DATA: u64 = BASE + 0xc_0000;
const LOOPS: usize = 4000;
/// The smallest bound the JIT accepts.
const CODE_LIMIT: usize = 64 << 10;

/// The program: [`LOOPS`] loops of three iterations, each with its own random body of ALU
/// operations, a load and a store, all run `passes` times; then an endless loop at the
/// returned address.
fn program(passes: i32) -> (Vec<u8>, u64) {
    let mut rng = Rng::new(0xe71c7);
    let mut asm = Asm::new(BASE);
    asm.la(T6, DATA);
    asm.put(addi(S0, ZERO, passes));
    let again = asm.bound();
    for _ in 0..LOOPS {
        asm.put(addi(T0, ZERO, 3));
        let top = asm.bound();
        for _ in 0..rng.range(2, 5) {
            let (rd, rs) = (rng.pick(&[A0, A1, A2, A3]), rng.pick(&[A0, A1, A2, A3]));
            let imm = rng.range(-2048, 2047) as i32;
            asm.put(match rng.below(4) {
                0 => addi(rd, rs, imm),
                1 => op_imm(4, rd, rs, imm),
                2 => op(0, rng.pick(&[0, 1, 4, 5]), rd, rd, rs),
                _ => op32(1, 0, rd, rd, rs),
            });
        }
        let off = 8 * rng.below(256) as i32;
        asm.put(ld(A3, T6, off));
        asm.put(add(A3, A3, A0));
        asm.put(sd(A3, T6, off));
        asm.put(addi(T0, T0, -1));
        let back = asm.offset_to(top);
        asm.put(bne(T0, ZERO, back));
    }
    asm.put(addi(S0, S0, -1));
    let done = asm.label();
    asm.branch(0, S0, ZERO, done);
    let back = asm.offset_to(again);
    asm.put(jal(ZERO, back));
    asm.bind(done);
    let end = asm.here();
    asm.put(SPIN);
    assert!(end < DATA, "the code overlaps its data");
    (asm.finish(), end)
}

/// The program of `passes` run under both engines until it ends or `done` says so, the
/// JIT's code bounded to `code_limit`, compiling in the background if `background`.
fn run_with(
    passes: i32,
    code_limit: usize,
    background: bool,
    done: impl Fn(&Lockstep) -> bool,
) -> Lockstep {
    let (code, end) = program(passes);
    let make = || {
        let mut mem = Memory::new(BASE, RAM).expect("RAM");
        mem.write(BASE, &code).expect("in RAM");
        mem.set_jit_code_limit(code_limit);
        (Hart::new(BASE), mem, TestBus::default())
    };
    let mut pair = Lockstep::new(make);
    pair.jit.mem.set_jit_background(background);
    let mut steps = Rng::new(end);
    while pair.interp.hart.pc() != end && !done(&pair) {
        let stop = pair.position() + 10_000;
        pair.run_in_steps(stop, &mut steps)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            stop < 500_000 * passes as u64,
            "the program does not finish"
        );
    }
    pair
}

/// Runs the program twice over under both engines, the JIT's code bounded to
/// [`CODE_LIMIT`].
fn run() -> Lockstep {
    run_with(2, CODE_LIMIT, false, |_| false)
}

#[test]
fn more_hot_code_than_the_code_cache_may_hold_runs_as_on_the_interpreter() {
    run();
}

#[test]
fn the_jit_evicts_its_code_cache_at_its_bound_and_compiles_again() {
    let pair = run();
    let stats = pair.jit.mem.jit_stats();
    assert!(stats.evictions > 0, "no eviction: {stats:?}");
    assert!(
        stats.compiled_instructions > 0 && stats.compiled_instructions < pair.jit.hart.position(),
        "the loops ran partly compiled, partly interpreted: {stats:?}"
    );
    assert!(stats.code_bytes <= CODE_LIMIT, "over the bound: {stats:?}");
    let one_pass = run_with(1, CODE_LIMIT, false, |_| false)
        .jit
        .mem
        .jit_stats();
    assert!(
        2 * stats.compiled > 3 * one_pass.compiled,
        "the second pass compiles its loops again: {stats:?}, one pass: {one_pass:?}"
    );
}

#[test]
fn blocks_compiled_in_the_background_run_as_on_the_interpreter_and_are_installed() {
    // Enough passes for the JIT's thread to deliver blocks, whatever the host's load; the
    // run ends once a hundred are installed (each pass takes the lock step some 50 ms).
    let pair = run_with(200, crate::jit::DEFAULT_CODE_LIMIT, true, |pair| {
        pair.jit.mem.jit_stats().compiled >= 100
    });
    let stats = pair.jit.mem.jit_stats();
    assert!(stats.compiled >= 100, "too few blocks installed: {stats:?}");
    assert!(stats.entries > 0, "compiled code never ran: {stats:?}");
}
