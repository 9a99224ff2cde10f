//! The vmft board: one [`rv64::Hart`], RAM at [`RAM_BASE`] and the devices of QEMU's `virt`
//! machine that a bare-metal program needs (CLINT, 16550 UART, SiFive test finisher), plus the
//! HTIF of the riscv-tests.
//!
//! The machine is a pure function of its initial state (configuration and program) and the
//! events passed to [`Machine::inject`]: no device reads the host clock, host randomness or
//! host I/O. Console output is collected for the front end ([`Machine::take_output`]).

pub mod board;
pub mod boot;
pub mod clint;
pub mod dirty;
pub mod fdt;
pub mod htif;
pub mod loader;
pub mod machine;
pub mod plic;
pub mod snapshot;
pub mod syscon;
pub mod uart;

#[cfg(test)]
mod test_asm;

pub use boot::FirmwareBoot;
pub use dirty::{DirtyBlocks, DISK_BLOCK};
pub use loader::{LoadError, Program};
pub use machine::{
    Boot, Devices, InputEvent, Machine, MachineConfig, MachineError, RunExit, SLICE_INSTRUCTIONS,
};
pub use rv64::Accel;
pub use snapshot::{Checkpoint, SnapshotError, StateDiff, StateSummary};

/// Physical address of guest RAM, as on QEMU's `virt`.
pub const RAM_BASE: u64 = 0x8000_0000;
