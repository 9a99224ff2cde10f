//! The vmft hart: a single RV64GC hart (RV64IMAFDC, Zicsr, Zifencei, Zicntr) with M, S and U
//! modes and Sv39/Sv48 translation.
//!
//! The hart knows nothing of devices, host time or host I/O. It executes out of a [`Memory`]
//! (guest RAM) and reaches everything else through the [`Bus`] trait, which the board
//! implements. Its progress is measured by a [`Hart::position`] counter that advances
//! identically on every replica: see `hart.rs` for the exact definition.

pub mod bus;
pub mod csr;
pub mod decode;
mod decode_cache;
pub mod disasm;
mod execute;
pub mod fpu;
pub mod hart;
pub mod insn;
pub mod jit;
pub mod memory;
mod mmu;
pub mod persist;
pub mod trap;

#[cfg(test)]
mod accel_tests;
#[cfg(test)]
mod testkit;

pub use bus::{Bus, BusFault};
pub use decode::decode;
pub use hart::{Accel, Exit, Hart};
pub use insn::{Insn, Op};
pub use jit::JitStats;
pub use memory::{Memory, MemoryError};
