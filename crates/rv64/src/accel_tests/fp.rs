//! FP loads and stores in compiled code: done on RAM by compiled code itself when the FPU is
//! on and the TLB maps the address, by the interpreter otherwise, with the same effects on
//! `mstatus.FS` (a load makes it dirty) and NaN boxing as the interpreter's.

use super::{BASE, RAM};
use crate::csr::{MEPC, MSTATUS};
use crate::hart::Hart;
use crate::memory::Memory;
use crate::testkit::asm::*;
use crate::testkit::lockstep::Lockstep;
use crate::testkit::{Rng, TestBus};

const DATA: u64 = BASE + 0x8_0000;

const F1: u32 = 1;
const F2: u32 = 2;

/// `mret`.
const MRET: u32 = 0x3020_0073;
/// `mstatus.FS` as the field's value 1 (Initial) and its mask.
const FS_INITIAL: i32 = 1 << 13;
const FS_MASK: i32 = 3 << 13;

/// A loop that turns the FPU off and, but every fourth iteration, on again (`mstatus.FS`
/// Initial), then loads a double and a single and stores both back elsewhere. With the FPU
/// off the `fld` traps; the handler (at the returned address after the end) turns it on and
/// skips the `fld`.
fn program(iterations: i32) -> (Vec<u8>, u64, u64) {
    let mut asm = Asm::new(BASE);
    asm.la(A0, DATA);
    asm.li(T0, iterations);
    asm.li(T1, FS_INITIAL);
    asm.li(T2, FS_MASK);
    let top = asm.bound();
    asm.put(csrrc(ZERO, MSTATUS, T2));
    asm.put(andi(T3, T0, 3));
    let off = asm.label();
    asm.branch(0, T3, ZERO, off);
    asm.put(csrrs(ZERO, MSTATUS, T1));
    asm.bind(off);
    asm.put(fld(F1, A0, 0));
    asm.put(flw(F2, A0, 8));
    asm.put(fsd(F1, A0, 16));
    asm.put(fsw(F2, A0, 24));
    asm.put(addi(T0, T0, -1));
    let back = asm.offset_to(top);
    asm.put(bne(T0, ZERO, back));
    let end = asm.here();
    asm.put(SPIN);
    let handler = asm.here();
    asm.put(csrrs(ZERO, MSTATUS, T1));
    asm.put(csrrs(T4, MEPC, ZERO));
    asm.put(addi(T4, T4, 4));
    asm.put(csrrw(ZERO, MEPC, T4));
    asm.put(MRET);
    (asm.finish(), end, handler)
}

#[test]
fn fp_loads_and_stores_compiled_set_fs_box_singles_and_trap_as_interpreted() {
    let (code, end, handler) = program(64);
    let make = || {
        let mut mem = Memory::new(BASE, RAM).expect("RAM");
        mem.write(BASE, &code).expect("in RAM");
        mem.write(DATA, &0x4009_21fb_5444_2d18_u64.to_le_bytes())
            .expect("in RAM");
        mem.write(DATA + 8, &0x4049_0fdb_u32.to_le_bytes())
            .expect("in RAM");
        let mut hart = Hart::new(BASE);
        hart.csr.mtvec = handler;
        (hart, mem, TestBus::default())
    };
    let mut pair = Lockstep::new(make);
    pair.run_in_steps(200_000, &mut Rng::new(end))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pair.interp.hart.pc(), end, "the program did not finish");
    let stats = pair.jit.mem.jit_stats();
    assert!(stats.entries > 0, "compiled code never ran: {stats:?}");
}
