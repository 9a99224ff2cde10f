//! The hart: architectural state, the run loop and the position counter.

use crate::bus::Bus;
use crate::memory::Memory;

/// Why [`Hart::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The position counter reached the `stop_at` argument.
    Position,
    /// The hart executed `wfi` and no enabled interrupt is pending: it is idle until an
    /// interrupt line changes.
    Wfi,
    /// An instruction accessed the [`Bus`]; the board should re-evaluate interrupt lines.
    Device,
}

/// One RV64GC hart.
pub struct Hart {
    pc: u64,
    position: u64,
}

impl Hart {
    /// A hart in M-mode at `reset_pc`, hart id 0, all other state at its reset value.
    pub fn new(reset_pc: u64) -> Hart {
        Hart { pc: reset_pc, position: 0 }
    }

    /// The program counter.
    pub fn pc(&self) -> u64 {
        self.pc
    }

    /// The position counter: instructions retired plus traps taken since reset.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Executes until the position reaches `stop_at`, the hart idles in `wfi`, or a device
    /// was accessed.
    pub fn run<B: Bus>(&mut self, _mem: &mut Memory, _bus: &mut B, _stop_at: u64) -> Exit {
        Exit::Position
    }
}
