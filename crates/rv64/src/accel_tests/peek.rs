//! A polling loop on a status register the bus can answer without a load ([`Bus::peek`]):
//! compiled code reads it again from the last such load instead of calling its helper, and
//! must still see every change — the guest's own stores and atomics on the register, made
//! inside the loop, and the board's changes between runs (as input arriving), made by the
//! test.
//!
//! [`Bus::peek`]: crate::Bus::peek

use super::{lockstep_on, BASE};
use crate::testkit::asm::*;
use crate::testkit::{Rng, MMIO, STATUS};

/// Iterations of the loop.
const ITERATIONS: i32 = 20_000;

/// The loop, then an endless loop at the returned address. Each iteration reads the status
/// register as a word and adds it to `s0`; every 64th also stores its count there, reads it
/// back as a word, adds to it with an `amoadd.w`, reads it again, then as an unsigned and a
/// signed byte (another size: another value of the register, read again with the other
/// extension).
fn program() -> (Vec<u8>, u64) {
    let mut asm = Asm::new(BASE);
    asm.li(T5, (STATUS - MMIO) as i32);
    asm.put(lui(T4, (MMIO >> 12) as u32));
    asm.put(add(T5, T5, T4));
    asm.li(T0, ITERATIONS);
    let top = asm.bound();
    asm.put(lw(A0, T5, 0));
    asm.put(add(S0, S0, A0));
    asm.put(addi(T1, T1, 1));
    asm.put(andi(A1, T1, 63));
    let next = asm.label();
    asm.branch(1, A1, ZERO, next);
    asm.put(sw(T1, T5, 0));
    asm.put(lw(A2, T5, 0));
    asm.put(add(S0, S0, A2));
    // An atomic, which compiled code leaves to the interpreter, changes it as well.
    asm.put(amoadd_w(A3, T1, T5));
    asm.put(add(S0, S0, A3));
    asm.put(lw(A2, T5, 0));
    asm.put(add(S0, S0, A2));
    for f3 in [4, 0] {
        asm.put(load(f3, A2, T5, 0));
        asm.put(add(S0, S0, A2));
    }
    asm.bind(next);
    asm.put(addi(T0, T0, -1));
    asm.branch(1, T0, ZERO, top);
    let end = asm.here();
    asm.put(SPIN);
    (asm.finish(), end)
}

#[test]
fn compiled_polling_reads_a_status_register_again_and_sees_every_change() {
    let (code, end) = program();
    let mut pair = lockstep_on(&code);
    let mut rng = Rng::new(0x9e_e4);
    let bound = 2 * ITERATIONS as u64 * 10;
    while pair.interp.hart.pc() != end {
        assert!(pair.position() < bound, "the loop did not end");
        // The board changes the register between runs, as input arriving would.
        let status = rng.next();
        pair.each(|side| side.bus.status = status);
        let step = rng.range(1, 3000) as u64;
        pair.run(pair.position() + step)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    pair.check_ram().unwrap_or_else(|e| panic!("{e}"));
    // The interpreter loads the register at every read; compiled code asks the bus at the
    // first read of each size after a change, and reads it again from there.
    let reads = pair.interp.bus.status_loads;
    assert!(reads > ITERATIONS as u64, "{reads} reads");
    let jit = &pair.jit.bus;
    let asked = jit.status_loads + jit.status_peeks.get();
    assert!(
        asked * 4 < reads,
        "compiled code asked the bus {asked} times for {reads} reads"
    );
}
