//! Branches inside a block: a loop whose body holds an inner loop (closed by a branch back
//! to an instruction after the block's start), an `if` (a forward branch over a few
//! instructions) and an `else` placed after the loop's end (a forward branch out of the
//! loop's code, and a jump back into it), as compilers lay out a sieve or a bit-counting
//! loop, and a `j` over code the loop never runs. All of it stays inside the outer loop's
//! compiled block; runs stopping at random positions make its budget checks at the
//! branches back leave the block in the middle of the loops.

use super::{lockstep_on, BASE};
use crate::testkit::asm::*;
use crate::testkit::Rng;

/// Iterations of the outer loop; the inner loop makes [`INNER`] per outer iteration.
const OUTER: i32 = 3000;
const INNER: i32 = 8;

/// The nested loops, then an endless loop at the returned address; and the outer loop's
/// start. The inner loop counts into `a2` the set bits of a value that changes each outer
/// iteration, and into `s1` its bits 1, out of line; the outer loop stores `a2`.
fn program() -> (Vec<u8>, u64, u64) {
    let mut asm = Asm::new(BASE);
    asm.la(T6, BASE + 0x8000);
    asm.li(T0, OUTER);
    asm.li(A3, 0x5bd1_e995);
    let start = asm.here();
    let outer = asm.bound();
    asm.put(addi(T1, ZERO, INNER));
    asm.put(addi(A0, A3, 0));
    let inner = asm.bound();
    asm.put(andi(A1, A0, 1));
    let skip = asm.label();
    asm.branch(0, A1, ZERO, skip);
    asm.put(addi(A2, A2, 1));
    asm.bind(skip);
    asm.put(andi(T2, A0, 2));
    let odd = asm.label();
    asm.branch(1, T2, ZERO, odd);
    let back = asm.bound();
    asm.put(srli(A0, A0, 1));
    asm.put(addi(T1, T1, -1));
    asm.branch(1, T1, ZERO, inner);
    asm.put(sd(A2, T6, 0));
    // A `j` over code that nothing in the loop reaches: the block goes on after it.
    let over = asm.label();
    asm.jal(ZERO, over);
    asm.put(addi(S1, S1, 100));
    asm.put(addi(S1, S1, 100));
    asm.bind(over);
    asm.put(op(0, 4, A3, A3, A2));
    asm.put(addi(A3, A3, 77));
    asm.put(addi(T0, T0, -1));
    asm.branch(1, T0, ZERO, outer);
    let done = asm.label();
    asm.jal(ZERO, done);
    asm.bind(odd);
    asm.put(addi(S1, S1, 3));
    asm.jal(ZERO, back);
    asm.bind(done);
    let end = asm.here();
    asm.put(SPIN);
    (asm.finish(), start, end)
}

#[test]
fn the_jit_keeps_inner_loops_and_forward_branches_inside_a_block() {
    let (code, start, end) = program();
    let mut pair = lockstep_on(&code);
    // Only the outer loop's block is compiled: no taken branch makes anything hot, and a
    // branch that left the block would go on in the interpreter.
    pair.jit.hart.set_jit_threshold(u16::MAX);
    let setup = (start - BASE) / 4;
    pair.run(setup).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pair.jit.hart.pc(), start);
    pair.jit.hart.jit_compile(&mut pair.jit.mem, start);
    let mut steps = Rng::new(0x1f_b10c);
    let bound = 2 * OUTER as u64 * (INNER as u64 * 9 + 6);
    while pair.interp.hart.pc() != end {
        assert!(pair.position() < bound, "the loops did not end");
        pair.run_in_steps(pair.position() + 5000, &mut steps)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let stats = pair.jit.mem.jit_stats();
    // The outer loop's block, and the block after it, which it runs on into.
    assert_eq!(stats.compiled, 2, "{stats:?}");
    // No branch or jump leaves the blocks for code that is not compiled.
    assert_eq!(stats.lookup_misses, 0, "{stats:?}");
    let total = pair.jit.hart.position();
    assert!(
        stats.compiled_instructions * 10 > total * 9,
        "{} of {total} instructions retired by compiled code: {stats:?}",
        stats.compiled_instructions
    );
}
