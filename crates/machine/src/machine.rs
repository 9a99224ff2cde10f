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

use std::sync::OnceLock;

use rv64::{Accel, Exit, Hart, Memory, MemoryError};
use thiserror::Error;

use crate::board::{Board, Disk, VirtioSlot, SLOT_ENTROPY, SLOT_NET};
use crate::boot::{self, BootError, FirmwareBoot};
use crate::dirty::DirtyBlocks;
use crate::htif::{Htif, HtifExit};
use crate::loader::{LoadError, Program};
use crate::snapshot::zero_page_hashes;
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
    /// Firmware, kernel, initrd or device tree could not be placed in RAM.
    #[error(transparent)]
    Boot(#[from] BootError),
}

/// What the machine starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Boot {
    /// A bare-metal program entered in M-mode at its entry point (`--bios none`).
    Program(Program),
    /// Firmware in M-mode at the start of RAM, with a kernel, initrd and device tree.
    Firmware(FirmwareBoot),
}

impl From<Program> for Boot {
    fn from(program: Program) -> Boot {
        Boot::Program(program)
    }
}

/// The board's optional devices, each in its own virtio-mmio slot.
#[derive(Default)]
pub struct Devices {
    /// A disk for virtio-blk, and whether it is read-only.
    pub disk: Option<(Disk, bool)>,
    /// The MAC address of a virtio-net interface.
    pub net: Option<[u8; 6]>,
    /// Whether to provide a virtio-rng entropy device.
    pub entropy: bool,
}

/// Something from the outside world, applied between two instructions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputEvent {
    /// Bytes typed on the console, appended to the UART's receive FIFO.
    ConsoleBytes(Vec<u8>),
    /// An Ethernet frame received for the guest's network interface.
    NetFrame(Vec<u8>),
    /// Random bytes from the host for the entropy device.
    Entropy(Vec<u8>),
    /// Virtual time passed while the hart was idle: `mtime` advances by this many ticks
    /// without the position moving.
    TimeSkip(u64),
    /// Re-anchors virtual time to the host clock: `mtime` reads `mtime` now (or keeps its
    /// current value if that is later: time never goes back) and advances by `rate` / 2^32
    /// ticks per position from here.
    ClockAnchor {
        /// Timer value from now on.
        mtime: u64,
        /// Ticks per position, 32.32 fixed point.
        rate: u64,
    },
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
    /// The hart waits in `wfi` with no interrupt pending. `wake_in` is the number of timer
    /// ticks until an enabled timer interrupt fires, if one is armed; otherwise only input
    /// can wake it. The front end sleeps and then injects [`InputEvent::TimeSkip`] for the
    /// time that passed, and any input that arrived.
    Idle {
        /// Ticks until the armed timer fires.
        wake_in: Option<u64>,
    },
    /// The position reached the `max_position` argument.
    Limit,
    /// A slice ended: the front end may drain output and inject input.
    Slice,
}

/// A single-hart board with its program.
pub struct Machine {
    pub(crate) program: Boot,
    pub(crate) hart: Hart,
    pub(crate) mem: Memory,
    pub(crate) board: Board,
    pub(crate) htif: Option<Htif>,
    /// Per-page hashes of RAM for incremental digests, as of the last time they were brought
    /// up to date; empty if never (a restored machine's).
    pub(crate) page_hashes: Vec<[u8; 16]>,
    /// Positions executed before the last reset, so that [`Machine::position`] never goes back.
    pub(crate) base: u64,
    /// The final exit, once the guest has powered off or failed.
    pub(crate) halted: Option<RunExit>,
    /// The hart sleeps in `wfi` until a locally enabled interrupt is pending.
    pub(crate) sleeping: bool,
    /// [`Boot::fingerprint`] of `program`, once computed: hashing a Linux boot's images takes
    /// tens of milliseconds, too long for a stop-and-copy's [`Machine::save_state`].
    pub(crate) fingerprint: OnceLock<[u8; 32]>,
    /// The disk's written blocks, once [`Machine::track_disk_writes`] has been called.
    pub(crate) disk_dirty: Option<DirtyBlocks>,
    /// The hart's execution engine, kept across resets.
    pub(crate) accel: Accel,
    /// The JIT's tuning set by [`Machine::tune_jit`], kept across resets.
    pub(crate) jit_tuning: Option<(u16, usize)>,
}

impl Machine {
    /// Builds a machine without optional devices; see [`Machine::with_devices`].
    pub fn new(config: MachineConfig, boot: impl Into<Boot>) -> Result<Machine, MachineError> {
        Machine::with_devices(config, boot, Devices::default())
    }

    /// Builds the machine with `devices` attached and `boot` loaded: a bare-metal program
    /// starts at its entry point with `a0` = 0 (hart id) and `a1` = 0; firmware starts at the
    /// start of RAM with `a0` = 0 and `a1` = the device tree.
    pub fn with_devices(
        config: MachineConfig,
        boot: impl Into<Boot>,
        devices: Devices,
    ) -> Result<Machine, MachineError> {
        let boot = boot.into();
        let board = Board::with_devices(devices);
        let mut mem = Memory::new(RAM_BASE, config.ram_size)?;
        let page_hashes = zero_page_hashes(&mut mem);
        let (mem, hart, htif) = start(&boot, mem, &board)?;
        Ok(Machine {
            program: boot,
            hart,
            mem,
            board,
            htif,
            base: 0,
            halted: None,
            sleeping: false,
            page_hashes,
            fingerprint: OnceLock::new(),
            disk_dirty: None,
            accel: Accel::default(),
            jit_tuning: None,
        })
    }

    /// Sets the JIT's compile threshold (see [`Hart::set_jit_threshold`]) and the bound on its
    /// compiled code (see [`Memory::set_jit_code_limit`]): for tests and tuning.
    pub fn tune_jit(&mut self, threshold: u16, code_limit: usize) {
        self.hart.set_jit_threshold(threshold);
        self.mem.set_jit_code_limit(code_limit);
        self.jit_tuning = Some((threshold, code_limit));
    }

    /// What the JIT has done since the machine was built or last reset.
    pub fn jit_stats(&self) -> rv64::JitStats {
        self.mem.jit_stats()
    }

    /// Chooses how the hart executes guest code (see [`Accel`]): a matter of speed only, so
    /// it is not part of the machine's state.
    pub fn set_accel(&mut self, accel: Accel) {
        self.accel = accel;
        self.hart.set_accel(accel);
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

    /// Takes the Ethernet frames the guest transmitted since the last call.
    pub fn take_transmitted_frames(&mut self) -> Vec<Vec<u8>> {
        match &mut self.board.virtio[SLOT_NET] {
            Some(VirtioSlot::Net(t)) => t.device_mut().take_transmitted().collect(),
            _ => Vec::new(),
        }
    }

    /// True when the guest waits for entropy the machine does not have.
    pub fn wants_entropy(&self) -> bool {
        matches!(&self.board.virtio[SLOT_ENTROPY], Some(VirtioSlot::Entropy(t)) if t.device().wants_entropy())
    }

    /// The guest's MAC address, if it has a network interface.
    pub fn mac(&self) -> Option<[u8; 6]> {
        match &self.board.virtio[SLOT_NET] {
            Some(VirtioSlot::Net(t)) => Some(t.device().mac()),
            _ => None,
        }
    }

    /// Applies an input event at the current position. This is the machine's only entry
    /// point for the outside world.
    pub fn inject(&mut self, event: InputEvent) {
        match event {
            InputEvent::ConsoleBytes(bytes) => self.board.uart.receive(&bytes),
            InputEvent::NetFrame(frame) => {
                if let Some(VirtioSlot::Net(t)) = &mut self.board.virtio[SLOT_NET] {
                    t.device_mut().receive(&frame);
                    t.kick_all(&mut self.mem);
                }
            }
            InputEvent::Entropy(bytes) => {
                if let Some(VirtioSlot::Entropy(t)) = &mut self.board.virtio[SLOT_ENTROPY] {
                    t.device_mut().add_entropy(&bytes);
                    t.kick_all(&mut self.mem);
                }
            }
            InputEvent::TimeSkip(ticks) => self.board.clint.advance(ticks),
            InputEvent::ClockAnchor { mtime, rate } => {
                self.board.clint.reanchor(self.hart.position(), mtime, rate)
            }
        }
    }

    /// The machine timer (`mtime`) now.
    pub fn mtime(&self) -> u64 {
        self.board.clint.mtime(self.hart.position())
    }

    /// The rate at which `mtime` advances, in ticks per position (32.32 fixed point).
    pub fn clock_rate(&self) -> u64 {
        self.board.clint.rate()
    }

    /// Runs until `max_position`, the end of the current slice, or an event the front end
    /// must see.
    ///
    /// Each call of the hart's run ends at the slice end, the timer deadline, a `wfi`, or a
    /// device access that needs the board's attention (see `board.rs`); after it the board
    /// runs queue notifications, power requests and the HTIF are served and the interrupt
    /// lines are driven again. Device accesses that need none of that go on within the call.
    pub fn run(&mut self, max_position: u64) -> RunExit {
        if let Some(exit) = self.halted {
            return exit;
        }
        // `tohost` lies in RAM, out of the board's sight, and is polled between the hart's
        // calls: with an HTIF every device access ends a call, so that a command is served at
        // the first device access after it, whatever the access.
        self.board.attend_every_access = self.htif.is_some();
        if self.sleeping {
            self.update_interrupt_lines();
            if !self.hart.wfi_wakeup_pending() {
                return RunExit::Idle {
                    wake_in: self.ticks_to_timer(),
                };
            }
            self.sleeping = false;
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
            self.board.process_notifications(&mut self.mem);
            if let Some(exit) = self.service_devices() {
                return exit;
            }
            if exit == Exit::Wfi {
                self.update_interrupt_lines();
                if !self.hart.wfi_wakeup_pending() {
                    self.sleeping = true;
                    return RunExit::Idle {
                        wake_in: self.ticks_to_timer(),
                    };
                }
            }
            if self.position() >= slice_end {
                return RunExit::Slice;
            }
        }
    }

    /// Ticks until the timer wakes an idle hart: only if it is armed and enabled in `mie`.
    fn ticks_to_timer(&self) -> Option<u64> {
        let mtie = self
            .hart
            .csr(rv64::csr::MIE)
            .is_some_and(|mie| mie & LINE_MTIP != 0);
        mtie.then(|| self.board.clint.ticks_to_deadline(self.hart.position()))
            .flatten()
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
        lines |= self.board.external_interrupt_lines();
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
    /// devices (disks keep their contents). The position keeps counting and produced output
    /// is kept.
    fn reset(&mut self) {
        self.board.reset();
        let mem =
            Memory::new(RAM_BASE, self.mem.size()).expect("RAM of this size was allocated at boot");
        let (mem, hart, htif) = start(&self.program, mem, &self.board)
            .expect("the program was loaded into this RAM at boot");
        self.base = self.position();
        self.mem = mem;
        self.hart = hart;
        self.hart.set_accel(self.accel);
        if let Some((threshold, code_limit)) = self.jit_tuning {
            self.tune_jit(threshold, code_limit);
        }
        self.htif = htif;
        self.sleeping = false;
    }
}

/// Loads `boot` into `mem` and builds the hart at its entry point.
fn start(
    boot: &Boot,
    mut mem: Memory,
    board: &Board,
) -> Result<(Memory, Hart, Option<Htif>), MachineError> {
    match boot {
        Boot::Program(program) => {
            program.load_into(&mut mem)?;
            let mut hart = Hart::new(program.entry());
            hart.set_x(10, 0);
            hart.set_x(11, 0);
            let htif = program
                .tohost()
                .and_then(|tohost| Htif::new(tohost, program.fromhost(), &mem));
            Ok((mem, hart, htif))
        }
        Boot::Firmware(firmware) => {
            let slots: Vec<usize> = (0..board.virtio.len())
                .filter(|&n| board.virtio[n].is_some())
                .collect();
            let placement = boot::load(firmware, &mut mem, &slots)?;
            let mut hart = Hart::new(RAM_BASE);
            hart.set_x(10, 0);
            hart.set_x(11, placement.fdt);
            Ok((mem, hart, None))
        }
    }
}

#[cfg(test)]
mod tests;
