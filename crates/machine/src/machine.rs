//! The machine: one hart, RAM and the board's devices, driven in bounded, position-aligned
//! slices.
//!
//! [`Machine::run`] executes at most [`SLICE_INSTRUCTIONS`] positions at a time and always ends
//! a slice at a multiple of it, so HTIF polling and input injection happen at positions that
//! depend only on the machine's initial state and its inputs. Everything from the outside
//! world enters through [`Machine::inject`], applied at the current position.
//!
//! A guest reset (syscon `0x7777`) restarts the hart, RAM and devices from their initial
//! state, `mtime` included; only [`Machine::position`] keeps counting, so positions in a log
//! stay increasing across resets.

use rv64::{Exit, Hart, Memory, MemoryError};
use thiserror::Error;

use crate::board::Board;
use crate::htif::{Htif, HtifExit};
use crate::loader::{LoadError, Program};
use crate::syscon::PowerRequest;
use crate::RAM_BASE;

/// Longest run slice, in positions. Slices end at multiples of this value.
pub const SLICE_INSTRUCTIONS: u64 = 1 << 16;

/// Interrupt line of the machine software interrupt (`mip.MSIP`).
pub const LINE_MSIP: u64 = 1 << 3;
/// Interrupt line of the machine timer interrupt (`mip.MTIP`).
pub const LINE_MTIP: u64 = 1 << 7;

/// The machine's fixed configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachineConfig {
    /// Size of RAM at [`RAM_BASE`], in bytes.
    pub ram_size: u64,
}

/// Why the machine could not be built.
#[derive(Debug, Error)]
pub enum MachineError {
    /// RAM could not be allocated with the configured size.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// The program could not be placed in RAM.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// Something from the outside world, applied between two instructions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputEvent {
    /// Bytes typed on the console, appended to the UART's receive FIFO.
    ConsoleBytes(Vec<u8>),
}

/// Why [`Machine::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunExit {
    /// The guest powered off successfully (syscon pass, or HTIF exit code 0). Final.
    Poweroff,
    /// The guest reported failure with this code (syscon fail code, or the HTIF failing test
    /// number). Final.
    Fail(u64),
    /// The guest asked for a reset; the machine has already restarted from its initial state.
    Reset,
    /// The hart waits in `wfi` with no interrupt pending and no timer armed: only input can
    /// wake it.
    Idle,
    /// The position reached the `max_position` argument.
    Limit,
    /// A slice ended: the front end may drain output and inject input.
    Slice,
}

/// A single-hart board with its program.
pub struct Machine {
    program: Program,
    hart: Hart,
    mem: Memory,
    board: Board,
    htif: Option<Htif>,
    /// Positions executed before the last reset, so that [`Machine::position`] never goes back.
    base: u64,
    /// The final exit, once the guest has powered off or failed.
    halted: Option<RunExit>,
}

impl Machine {
    /// Builds the machine with `program` loaded and the hart at its entry point, with
    /// `a0` = 0 (hart id) and `a1` = 0 (no device tree yet).
    pub fn new(config: MachineConfig, program: Program) -> Result<Machine, MachineError> {
        let mem = Memory::new(RAM_BASE, config.ram_size)?;
        let (mem, hart, htif) = boot(&program, mem)?;
        Ok(Machine {
            program,
            hart,
            mem,
            board: Board::default(),
            htif,
            base: 0,
            halted: None,
        })
    }

    /// The position counter: the hart's positions (instructions retired plus traps taken)
    /// summed over every reset.
    pub fn position(&self) -> u64 {
        self.base + self.hart.position()
    }

    /// The hart, for inspection.
    pub fn hart(&self) -> &Hart {
        &self.hart
    }

    /// Guest RAM, for inspection.
    pub fn memory(&self) -> &Memory {
        &self.mem
    }

    /// Takes the console output produced since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.board.output)
    }

    /// Console bytes injected but not yet read by the guest.
    pub fn console_backlog(&self) -> usize {
        self.board.uart.rx_backlog()
    }

    /// Applies an input event at the current position. This is the machine's only entry
    /// point for the outside world.
    pub fn inject(&mut self, event: InputEvent) {
        match event {
            InputEvent::ConsoleBytes(bytes) => self.board.uart.receive(&bytes),
        }
    }

    /// Runs until `max_position`, the end of the current slice, or an event the front end
    /// must see.
    pub fn run(&mut self, max_position: u64) -> RunExit {
        if let Some(exit) = self.halted {
            return exit;
        }
        loop {
            let now = self.position();
            if now >= max_position {
                return RunExit::Limit;
            }
            let slice_end = (now / SLICE_INSTRUCTIONS + 1).saturating_mul(SLICE_INSTRUCTIONS);
            let mut stop = slice_end.min(max_position);
            if let Some(deadline) = self.board.clint.deadline(self.hart.position()) {
                stop = stop.min(self.base.saturating_add(deadline));
            }
            self.update_interrupt_lines();
            let exit = self
                .hart
                .run(&mut self.mem, &mut self.board, stop - self.base);
            if let Some(exit) = self.service_devices() {
                return exit;
            }
            if exit == Exit::Wfi && !self.skip_to_timer() {
                return RunExit::Idle;
            }
            if self.position() >= slice_end {
                return RunExit::Slice;
            }
        }
    }

    /// The hart idles in `wfi` with nothing pending: if the timer is armed and enabled in
    /// `mie`, skips virtual time to its deadline (a pure function of the machine's state) so
    /// that the timer wakes the hart. Returns whether it did.
    fn skip_to_timer(&mut self) -> bool {
        let mtie = self
            .hart
            .csr(rv64::csr::MIE)
            .is_some_and(|mie| mie & LINE_MTIP != 0);
        mtie && self.board.clint.skip_to_deadline(self.hart.position())
    }

    /// Drives the hart's interrupt lines from the devices' state at the current position.
    fn update_interrupt_lines(&mut self) {
        let clint = &self.board.clint;
        let mut lines = 0;
        if clint.software_pending() {
            lines |= LINE_MSIP;
        }
        if clint.timer_pending(self.hart.position()) {
            lines |= LINE_MTIP;
        }
        self.hart.set_interrupt_lines(lines);
    }

    /// Acts on what the guest asked of the finisher and the HTIF since the last call.
    fn service_devices(&mut self) -> Option<RunExit> {
        let htif = self
            .htif
            .and_then(|htif| htif.poll(&mut self.mem, &mut self.board.output));
        let exit = match (self.board.take_power_request(), htif) {
            (Some(PowerRequest::Reset), _) => {
                self.reset();
                return Some(RunExit::Reset);
            }
            (Some(PowerRequest::Poweroff), _) | (None, Some(HtifExit::Pass)) => RunExit::Poweroff,
            (Some(PowerRequest::Fail(code)), _) => RunExit::Fail(code.into()),
            (None, Some(HtifExit::Fail(n))) => RunExit::Fail(n),
            (None, None) => return None,
        };
        self.halted = Some(exit);
        Some(exit)
    }

    /// Restarts from the initial state: fresh RAM with the program reloaded, a fresh hart and
    /// devices. The position keeps counting and produced output is kept.
    fn reset(&mut self) {
        let mem =
            Memory::new(RAM_BASE, self.mem.size()).expect("RAM of this size was allocated at boot");
        let (mem, hart, htif) =
            boot(&self.program, mem).expect("the program was loaded into this RAM at boot");
        self.base = self.position();
        self.mem = mem;
        self.hart = hart;
        self.htif = htif;
        self.board.reset();
    }
}

/// Loads `program` into `mem` and builds the hart at its entry point.
fn boot(program: &Program, mut mem: Memory) -> Result<(Memory, Hart, Option<Htif>), LoadError> {
    program.load_into(&mut mem)?;
    let mut hart = Hart::new(program.entry());
    hart.set_x(10, 0);
    hart.set_x(11, 0);
    let htif = program
        .tohost()
        .and_then(|tohost| Htif::new(tohost, program.fromhost(), &mem));
    Ok((mem, hart, htif))
}

#[cfg(test)]
mod tests;
