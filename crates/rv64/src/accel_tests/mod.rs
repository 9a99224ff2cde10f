//! The JIT changes speed, never behaviour: every test here runs guest code under both
//! engines in lock step ([`crate::testkit::lockstep`]), the JIT compiling every block at its
//! first taken branch, and requires the same state after every `run` call.
//!
//! - [`random`]: seeded random programs ([`gen`]) with traps, page faults and interrupts.
//! - [`smc`]: code that rewrites itself while it runs.
//! - [`fp`]: FP loads and stores, compiled and trapping.
//! - [`eviction`]: more hot code than the code cache may hold, and compiling in the
//!   background.
//! - [`run_on`]: straight-line code that runs on through several blocks.
//! - [`internal`]: an inner loop and an `if` inside a loop's block.
//! - [`remap`]: code pages mapped anew, and fences of pages without code.
//! - [`peek`]: a polling loop on a status register, read again from its last load.
//!
//! Tests whose names say the JIT "compiles", "evicts" or "drops" check the JIT's statistics
//! as well: they hold only once the JIT compiles.

use crate::hart::Hart;
use crate::memory::Memory;
use crate::testkit::lockstep::Lockstep;
use crate::testkit::TestBus;

/// The first byte of RAM of every machine here.
const BASE: u64 = 0x8000_0000;
/// Their RAM size.
const RAM: u64 = 1 << 20;

/// Both engines in lock step on a machine whose RAM holds `code` at [`BASE`], where the hart
/// starts.
fn lockstep_on(code: &[u8]) -> Lockstep {
    Lockstep::new(|| {
        let mut mem = Memory::new(BASE, RAM).expect("RAM");
        mem.write(BASE, code).expect("in RAM");
        (Hart::new(BASE), mem, TestBus::default())
    })
}

mod eviction;
mod fp;
mod gen;
mod internal;
mod layout;
mod peek;
mod random;
mod remap;
mod run_on;
mod smc;
