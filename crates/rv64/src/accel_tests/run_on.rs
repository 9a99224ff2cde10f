//! Straight-line code longer than a block, as in an unrolled hash function: a loop whose
//! body runs on through several blocks (each cut at the longest block's length, and one at
//! its page's end) with no branch taken into them. The interpreter counts taken branches
//! only, so the blocks after the first are compiled when compiled code runs on into them.

use super::{lockstep_on, BASE};
use crate::testkit::asm::*;
use crate::testkit::Rng;

/// Instructions of the loop's body: several blocks' worth, and the body crosses a page.
const BODY: usize = 1200;
/// Taken branches to the loop's start that make it hot.
const THRESHOLD: u16 = 50;
/// Iterations of the loop.
const ITERATIONS: i32 = 400;

/// The loop of [`ITERATIONS`] iterations over a random body of [`BODY`] ALU instructions,
/// then an endless loop at the returned address.
fn program() -> (Vec<u8>, u64) {
    let mut rng = Rng::new(0x5a_0e0f);
    let mut asm = Asm::new(BASE);
    asm.li(T0, ITERATIONS);
    let top = asm.bound();
    for _ in 0..BODY {
        let (rd, rs) = (rng.pick(&[A0, A1, A2, A3]), rng.pick(&[A0, A1, A2, A3]));
        asm.put(match rng.below(3) {
            0 => addi(rd, rs, rng.range(-2048, 2047) as i32),
            1 => op(0, rng.pick(&[0, 4, 6, 7]), rd, rd, rs),
            _ => op(0, 1, rd, rs, rd),
        });
    }
    // The body is longer than a branch reaches: `beq` over a `jal` back.
    asm.put(addi(T0, T0, -1));
    let out = asm.label();
    asm.branch(0, T0, ZERO, out);
    let back = asm.offset_to(top);
    asm.put(jal(ZERO, back));
    asm.bind(out);
    let end = asm.here();
    asm.put(SPIN);
    (asm.finish(), end)
}

#[test]
fn the_jit_compiles_straight_line_code_that_runs_on_past_a_block_and_a_page() {
    let (code, end) = program();
    let mut pair = lockstep_on(&code);
    pair.jit.hart.set_jit_threshold(THRESHOLD);
    let bound = 2 * ITERATIONS as u64 * BODY as u64;
    while pair.interp.hart.pc() != end {
        assert!(pair.position() < bound, "the loop did not end");
        pair.run(pair.position() + 5000)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    pair.check_ram().unwrap_or_else(|e| panic!("{e}"));
    let total = pair.jit.hart.position();
    let stats = pair.jit.mem.jit_stats();
    let blocks = (BODY / crate::jit::MAX_BLOCK) as u64;
    assert!(
        stats.compiled > blocks,
        "the body's blocks were not all compiled: {stats:?}"
    );
    // All but the iterations before the loop got hot, and each run's last block.
    assert!(
        stats.compiled_instructions * 10 > total * 8,
        "{} of {total} instructions retired by compiled code: {stats:?}",
        stats.compiled_instructions
    );
}
