//! The physical address map outside RAM, laid out like QEMU's `virt`, and the [`rv64::Bus`]
//! the hart reaches it through. Each device sees offsets within its own window.
//!
//! # Which accesses need the machine's attention
//!
//! After a device access the hart goes on within its run call unless the board asks for
//! attention ([`Bus::take_attention`]); then the call ends after the instruction and the
//! machine runs queue notifications, acts on power requests and the HTIF, and drives the
//! interrupt lines again (see `Machine::run`). The board asks whenever that could change
//! something (and a little more often: for any CLINT store, for a level the PLIC masks), so
//! that going on is indistinguishable from ending the call and resuming:
//!
//! - a virtio queue notification (the machine runs it, with guest memory);
//! - a finisher write that makes a power request;
//! - any CLINT store (`msip` and `mtimecmp` drive MSIP and MTIP, `mtimecmp` and `mtime` move the
//!   timer deadline that bounds the hart's run calls);
//! - an access after which a device's interrupt level differs from before it (such as a UART
//!   RBR read that empties the receive FIFO, an IIR read that clears THR empty, a THR or IER
//!   write that raises an interrupt; a virtio `InterruptACK` or status write), or after which
//!   the PLIC's outputs differ (a claim, a completion, an enable, priority or threshold
//!   write);
//! - every access, when the program has an HTIF: the machine polls `tohost` in RAM, which the
//!   board cannot see, whenever a run call ends.
//!
//! Everything else is quiet: reads of status and configuration registers (UART LSR, virtio-mmio
//! registers and configuration space, CLINT `mtime`, PLIC pending bits), console bytes written
//! to THR (the front end collects output when `Machine::run` returns, which device accesses
//! never caused), and virtio queue set-up. Quiet accesses cannot leave stale interrupt lines in
//! the hart: by induction over the call, every level and PLIC output is still the one the
//! machine last drove, since any access that changed one asked for attention. The answer
//! depends only on device state, so replicas end their run calls at the same positions.

use rv64::persist::{Persist, StateError};
use rv64::{Bus, BusFault, Memory};
use virtio::{
    Block, BlockState, DiskBackend, Entropy, EntropyState, MmioTransport, Net, NetState,
    TransportState,
};

use crate::clint::{Clint, ClintState, CLINT_SIZE};
use crate::machine::Devices;
use crate::plic::{self, Plic, PlicState};
use crate::syscon::{PowerRequest, Syscon, SYSCON_SIZE};
use crate::uart::{Uart, UartState, UART_SIZE};

/// Physical address of the SiFive test finisher.
pub const SYSCON_BASE: u64 = 0x0010_0000;
/// Physical address of the CLINT.
pub const CLINT_BASE: u64 = 0x0200_0000;
/// Physical address of the 16550 UART.
pub const UART_BASE: u64 = 0x1000_0000;
/// PLIC source of the UART's interrupt.
pub const UART_IRQ: u32 = 10;
/// Physical address of the PLIC.
pub const PLIC_BASE: u64 = 0x0c00_0000;
/// Physical address of the first virtio-mmio transport.
pub const VIRTIO_BASE: u64 = 0x1000_1000;
/// Distance between virtio-mmio transports (and the size of each window).
pub const VIRTIO_STRIDE: u64 = 0x1000;
/// Number of virtio-mmio slots.
pub const VIRTIO_SLOTS: usize = 8;
/// PLIC source of virtio slot 0; slot n uses `VIRTIO_IRQ_BASE + n`.
pub const VIRTIO_IRQ_BASE: u32 = 1;
/// Timer frequency advertised to the guest (`timebase-frequency`).
pub const TIMEBASE_HZ: u64 = crate::clint::TIMEBASE_HZ;
/// Finisher value that powers off.
pub const SYSCON_POWEROFF: u32 = 0x5555;
/// Finisher value that resets.
pub const SYSCON_RESET: u32 = 0x7777;
/// Physical address of guest RAM.
pub const RAM_BASE: u64 = crate::RAM_BASE;

/// virtio-mmio slot of the block device (slot n is at `VIRTIO_BASE + n * VIRTIO_STRIDE`, PLIC
/// source `VIRTIO_IRQ_BASE + n`).
pub const SLOT_BLOCK: usize = 0;
/// virtio-mmio slot of the network device.
pub const SLOT_NET: usize = 1;
/// virtio-mmio slot of the entropy device.
pub const SLOT_ENTROPY: usize = 2;
/// Serial number of the block device.
const DISK_SERIAL: &str = "vmft-disk0";

/// A disk backend the board can own.
pub type Disk = Box<dyn DiskBackend + Send>;

/// The device behind one virtio-mmio slot.
pub enum VirtioSlot {
    /// virtio-blk.
    Block(MmioTransport<Block<Disk>>),
    /// virtio-net.
    Net(MmioTransport<Net>),
    /// virtio-rng.
    Entropy(MmioTransport<Entropy>),
}

/// Calls `$body` with the transport of any slot kind bound to `$t`.
macro_rules! with_transport {
    ($slot:expr, $t:ident => $body:expr) => {
        match $slot {
            VirtioSlot::Block($t) => $body,
            VirtioSlot::Net($t) => $body,
            VirtioSlot::Entropy($t) => $body,
        }
    };
}

/// The devices of the board, and what they have produced for the outside world.
#[derive(Default)]
pub struct Board {
    /// The core-local interruptor.
    pub clint: Clint,
    /// The console UART.
    pub uart: Uart,
    /// The platform-level interrupt controller.
    pub plic: Plic,
    /// The virtio-mmio slots, in address order.
    pub virtio: [Option<VirtioSlot>; VIRTIO_SLOTS],
    syscon: Syscon,
    /// A power request from the finisher, taken by the machine after the access.
    power: Option<PowerRequest>,
    /// Queue notifications (slot, queue) the guest made, run after the storing instruction.
    notified: Vec<(usize, usize)>,
    /// Console bytes for the front end, in the order the guest produced them.
    pub output: Vec<u8>,
    /// An access needs the machine's attention (see the module documentation). The hart takes
    /// it after every access, so it is clear between instructions and not part of the state.
    attention: bool,
    /// Every access needs attention: set by the machine while the program has an HTIF.
    pub(crate) attend_every_access: bool,
}

/// Which device window an address falls in, and the offset within it.
enum Window {
    Syscon(u64),
    Clint(u64),
    Plic(u64),
    Uart(u64),
    Virtio(usize, u64),
}

fn decode(addr: u64) -> Option<Window> {
    let within = |base: u64, size: u64| addr.checked_sub(base).filter(|&off| off < size);
    if let Some(off) = within(UART_BASE, UART_SIZE) {
        Some(Window::Uart(off))
    } else if let Some(off) = within(VIRTIO_BASE, VIRTIO_STRIDE * VIRTIO_SLOTS as u64) {
        Some(Window::Virtio(
            (off / VIRTIO_STRIDE) as usize,
            off % VIRTIO_STRIDE,
        ))
    } else if let Some(off) = within(PLIC_BASE, plic::SIZE) {
        Some(Window::Plic(off))
    } else if let Some(off) = within(CLINT_BASE, CLINT_SIZE) {
        Some(Window::Clint(off))
    } else {
        within(SYSCON_BASE, SYSCON_SIZE).map(Window::Syscon)
    }
}

impl Board {
    /// The board's devices in their reset state, keeping `output` (bytes already produced
    /// belong to the outside world, not to the machine) and the virtio devices' backends.
    pub fn reset(&mut self) {
        let output = std::mem::take(&mut self.output);
        let mut virtio = std::mem::take(&mut self.virtio);
        for slot in virtio.iter_mut().flatten() {
            with_transport!(slot, t => t.reset());
        }
        *self = Board {
            output,
            virtio,
            ..Board::default()
        };
    }

    /// Runs the queue notifications the guest made since the last call.
    pub fn process_notifications(&mut self, mem: &mut Memory) {
        for (slot, queue) in std::mem::take(&mut self.notified) {
            if let Some(slot) = self.virtio.get_mut(slot).and_then(Option::as_mut) {
                with_transport!(slot, t => t.kick(queue, mem));
            }
        }
    }

    /// Drives the PLIC's source lines from the devices and returns the hart's external
    /// interrupt lines (MEIP from context 0, SEIP from context 1) as mip bits.
    pub fn external_interrupt_lines(&mut self) -> u64 {
        self.plic
            .set_line(UART_IRQ as usize, self.uart.interrupt_pending());
        for (n, slot) in self.virtio.iter().enumerate() {
            let high = slot
                .as_ref()
                .is_some_and(|s| with_transport!(s, t => t.interrupt_pending()));
            self.plic.set_line(VIRTIO_IRQ_BASE as usize + n, high);
        }
        let mut lines = 0;
        if self.plic.output(0) {
            lines |= 1 << 11;
        }
        if self.plic.output(1) {
            lines |= 1 << 9;
        }
        lines
    }

    /// Takes the pending power request, if any.
    pub fn take_power_request(&mut self) -> Option<PowerRequest> {
        self.power.take()
    }

    /// The PLIC's outputs to the hart (contexts 0 and 1).
    fn plic_outputs(&self) -> (bool, bool) {
        (self.plic.output(0), self.plic.output(1))
    }

    /// Whether virtio slot `n` holds a device whose interrupt line is high.
    fn virtio_interrupt(&self, n: usize) -> bool {
        self.virtio[n]
            .as_ref()
            .is_some_and(|s| with_transport!(s, t => t.interrupt_pending()))
    }
}

impl Bus for Board {
    fn load(&mut self, addr: u64, size: u8, position: u64) -> Result<u64, BusFault> {
        self.attention |= self.attend_every_access;
        match decode(addr).ok_or(BusFault)? {
            Window::Uart(off) => Ok(u64::from(match self.uart.peek(off) {
                Some(value) => value,
                None => {
                    let line = self.uart.interrupt_pending();
                    let value = self.uart.read(off);
                    self.attention |= self.uart.interrupt_pending() != line;
                    value
                }
            })),
            Window::Clint(off) => self.clint.load(off, size, position),
            Window::Syscon(off) => self.syscon.load(off, size),
            Window::Plic(off) if size == 4 => {
                let outputs = self.plic_outputs();
                let value = self.plic.read(off);
                self.attention |= self.plic_outputs() != outputs;
                Ok(u64::from(value))
            }
            Window::Plic(_) => Err(BusFault),
            Window::Virtio(n, off) => Ok(self.virtio[n]
                .as_mut()
                .map_or(0, |slot| with_transport!(slot, t => t.read(off, size)))),
        }
    }

    fn store(&mut self, addr: u64, size: u8, value: u64, position: u64) -> Result<(), BusFault> {
        self.attention |= self.attend_every_access;
        match decode(addr).ok_or(BusFault)? {
            Window::Uart(off) => {
                let line = self.uart.interrupt_pending();
                if let Some(byte) = self.uart.write(off, value as u8) {
                    self.output.push(byte);
                }
                self.attention |= self.uart.interrupt_pending() != line;
                Ok(())
            }
            Window::Clint(off) => {
                self.clint.store(off, size, value, position)?;
                self.attention = true;
                Ok(())
            }
            Window::Plic(off) if size == 4 => {
                let outputs = self.plic_outputs();
                self.plic.write(off, value as u32);
                self.attention |= self.plic_outputs() != outputs;
                Ok(())
            }
            Window::Plic(_) => Err(BusFault),
            Window::Virtio(n, off) => {
                let line = self.virtio_interrupt(n);
                if let Some(slot) = self.virtio[n].as_mut() {
                    if let Some(queue) = with_transport!(slot, t => t.write(off, size, value)) {
                        self.notified.push((n, queue));
                        self.attention = true;
                    }
                }
                self.attention |= self.virtio_interrupt(n) != line;
                Ok(())
            }
            Window::Syscon(off) => {
                if let Some(request) = self.syscon.store(off, size, value)? {
                    self.power = Some(request);
                    self.attention = true;
                }
                Ok(())
            }
        }
    }

    fn take_attention(&mut self) -> bool {
        std::mem::take(&mut self.attention)
    }

    fn time(&mut self, position: u64) -> u64 {
        self.clint.mtime(position)
    }

    fn peek(&self, addr: u64, _size: u8) -> Option<u64> {
        if self.attend_every_access {
            return None;
        }
        match decode(addr)? {
            Window::Uart(off) => self.uart.peek(off).map(u64::from),
            _ => None,
        }
    }
}

/// The state of one virtio slot: its transport and device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// virtio-blk.
    Block(TransportState<BlockState>),
    /// virtio-net.
    Net(TransportState<NetState>),
    /// virtio-rng.
    Entropy(TransportState<EntropyState>),
}

/// The board's state as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardState {
    /// The CLINT.
    pub clint: ClintState,
    /// The UART.
    pub uart: UartState,
    /// The PLIC.
    pub plic: PlicState,
    /// Each virtio slot, in address order.
    pub virtio: [Option<SlotState>; VIRTIO_SLOTS],
    /// A power request not yet taken by the machine.
    pub power: Option<PowerRequest>,
    /// Queue notifications (slot, queue) not yet run.
    pub notified: Vec<(usize, usize)>,
    /// Console output not yet taken by the front end.
    pub output: Vec<u8>,
}

impl Board {
    /// The board in its reset state with `devices` in their slots.
    pub fn with_devices(devices: Devices) -> Board {
        let mut board = Board::default();
        if let Some((disk, read_only)) = devices.disk {
            let block = Block::new(disk, read_only, DISK_SERIAL);
            board.virtio[SLOT_BLOCK] = Some(VirtioSlot::Block(MmioTransport::new(block)));
        }
        if let Some(mac) = devices.net {
            board.virtio[SLOT_NET] = Some(VirtioSlot::Net(MmioTransport::new(Net::new(mac))));
        }
        if devices.entropy {
            board.virtio[SLOT_ENTROPY] =
                Some(VirtioSlot::Entropy(MmioTransport::new(Entropy::new())));
        }
        board
    }
}

impl Persist for Board {
    type State = BoardState;
    /// The devices' host resources and configuration; each must have a saved state in its
    /// slot, and no other slot may have one.
    type ConstructorArgs = Devices;

    fn save(&self) -> BoardState {
        BoardState {
            clint: self.clint.save(),
            uart: self.uart.save(),
            plic: self.plic.save(),
            virtio: std::array::from_fn(|n| {
                self.virtio[n].as_ref().map(|slot| match slot {
                    VirtioSlot::Block(t) => SlotState::Block(t.save()),
                    VirtioSlot::Net(t) => SlotState::Net(t.save()),
                    VirtioSlot::Entropy(t) => SlotState::Entropy(t.save()),
                })
            }),
            power: self.power,
            notified: self.notified.clone(),
            output: self.output.clone(),
        }
    }

    fn restore(mut devices: Devices, s: &BoardState) -> Result<Board, StateError> {
        let missing = |what: &str| {
            StateError::new(
                "board",
                format!("the saved slots do not match the {what} device"),
            )
        };
        let mut virtio: [Option<VirtioSlot>; VIRTIO_SLOTS] = Default::default();
        for (n, saved) in s.virtio.iter().enumerate() {
            virtio[n] = match (n, saved) {
                (_, None) => None,
                (SLOT_BLOCK, Some(SlotState::Block(t))) => {
                    let args = devices.disk.take().ok_or_else(|| missing("block"))?;
                    Some(VirtioSlot::Block(MmioTransport::restore(args, t)?))
                }
                (SLOT_NET, Some(SlotState::Net(t))) => {
                    let mac = devices.net.take().ok_or_else(|| missing("network"))?;
                    Some(VirtioSlot::Net(MmioTransport::restore(mac, t)?))
                }
                (SLOT_ENTROPY, Some(SlotState::Entropy(t))) if devices.entropy => {
                    devices.entropy = false;
                    Some(VirtioSlot::Entropy(MmioTransport::restore((), t)?))
                }
                (n, Some(_)) => {
                    return Err(StateError::new(
                        "board",
                        format!("unexpected device in slot {n}"),
                    ))
                }
            };
        }
        if devices.disk.is_some() {
            return Err(missing("block"));
        }
        if devices.net.is_some() {
            return Err(missing("network"));
        }
        if devices.entropy {
            return Err(missing("entropy"));
        }
        if let Some(&(slot, _)) = s.notified.iter().find(|(slot, _)| *slot >= VIRTIO_SLOTS) {
            return Err(StateError::new(
                "board",
                format!("notification for slot {slot}"),
            ));
        }
        Ok(Board {
            clint: Clint::restore((), &s.clint)?,
            uart: Uart::restore((), &s.uart)?,
            plic: Plic::restore((), &s.plic)?,
            virtio,
            syscon: Syscon,
            power: s.power,
            notified: s.notified.clone(),
            output: s.output.clone(),
            attention: false,
            attend_every_access: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uart_thr_store_appends_to_console_output() {
        let mut b = Board::default();
        b.store(UART_BASE, 1, u64::from(b'h'), 0).unwrap();
        b.store(UART_BASE, 1, u64::from(b'i'), 0).unwrap();
        assert_eq!(b.output, b"hi");
    }

    #[test]
    fn uart_lsr_is_reachable_at_offset_five() {
        let mut b = Board::default();
        assert_eq!(b.load(UART_BASE + 5, 1, 0).unwrap() & 0x60, 0x60);
    }

    #[test]
    fn clint_mtime_is_reachable_at_offset_bff8() {
        let mut b = Board::default();
        assert_eq!(b.load(CLINT_BASE + 0xbff8, 8, 1000).unwrap(), 100);
        assert_eq!(b.time(1000), 100);
    }

    #[test]
    fn syscon_write_leaves_a_power_request() {
        let mut b = Board::default();
        b.store(SYSCON_BASE, 4, 0x5555, 0).unwrap();
        assert_eq!(b.take_power_request(), Some(PowerRequest::Poweroff));
        assert_eq!(b.take_power_request(), None);
    }

    #[test]
    fn unmapped_addresses_fault() {
        let mut b = Board::default();
        assert_eq!(b.load(0, 4, 0), Err(BusFault));
        assert_eq!(b.load(UART_BASE + UART_SIZE, 1, 0), Err(BusFault));
        assert_eq!(b.store(CLINT_BASE + CLINT_SIZE, 4, 0, 0), Err(BusFault));
        assert_eq!(b.load(u64::MAX, 1, 0), Err(BusFault));
    }

    /// A board with the entropy device, whose virtio-mmio window starts at the returned address.
    fn board_with_virtio() -> (Board, u64) {
        let devices = Devices {
            entropy: true,
            ..Devices::default()
        };
        let window = VIRTIO_BASE + SLOT_ENTROPY as u64 * VIRTIO_STRIDE;
        (Board::with_devices(devices), window)
    }

    #[test]
    fn status_and_configuration_reads_need_no_attention() {
        let (mut b, virtio) = board_with_virtio();
        for (addr, size) in [
            (UART_BASE + 5, 1),         // LSR
            (UART_BASE + 6, 1),         // MSR
            (CLINT_BASE + 0xbff8, 8),   // mtime
            (CLINT_BASE + 0x4000, 8),   // mtimecmp
            (PLIC_BASE + 0x1000, 4),    // pending bits
            (PLIC_BASE + 0x20_0000, 4), // threshold
            (virtio, 4),                // magic
            (virtio + 0x70, 4),         // status
            (virtio + 0x60, 4),         // interrupt status
            (virtio + 0x100, 4),        // configuration space
            (SYSCON_BASE, 4),
        ] {
            b.load(addr, size, 1000).unwrap();
            assert!(!b.take_attention(), "load at {addr:#x}");
        }
    }

    #[test]
    fn uart_accesses_need_attention_when_they_change_its_interrupt_line() {
        let mut b = Board::default();
        b.uart.receive(b"xy");
        b.store(UART_BASE + 1, 1, 1, 0).unwrap(); // IER: received data available
        assert!(b.take_attention(), "the line rises");
        assert_eq!(b.load(UART_BASE, 1, 0), Ok(u64::from(b'x')));
        assert!(!b.take_attention(), "a byte is left: the line stays up");
        b.store(UART_BASE, 1, u64::from(b'!'), 0).unwrap();
        assert!(!b.take_attention(), "console output alone needs nothing");
        assert_eq!(b.load(UART_BASE, 1, 0), Ok(u64::from(b'y')));
        assert!(b.take_attention(), "the FIFO is empty: the line drops");
        b.load(UART_BASE, 1, 0).unwrap();
        assert!(!b.take_attention(), "reading an empty FIFO changes nothing");
        assert_eq!(b.output, b"!");
    }

    #[test]
    fn uart_thr_empty_interrupt_needs_attention_as_it_rises_and_falls() {
        let mut b = Board::default();
        b.store(UART_BASE + 1, 1, 2, 0).unwrap(); // IER: THR empty
        assert!(b.take_attention(), "enabling it raises it");
        b.load(UART_BASE + 2, 1, 0).unwrap(); // IIR
        assert!(b.take_attention(), "reading IIR clears it");
        b.store(UART_BASE, 1, u64::from(b'a'), 0).unwrap();
        assert!(b.take_attention(), "a THR write raises it again");
        b.store(UART_BASE, 1, u64::from(b'b'), 0).unwrap();
        assert!(!b.take_attention(), "it is up already");
    }

    #[test]
    fn virtio_queue_notification_needs_attention_but_queue_setup_does_not() {
        let (mut b, virtio) = board_with_virtio();
        b.store(virtio + 0x30, 4, 0, 0).unwrap(); // QueueSel
        b.store(virtio + 0x38, 4, 16, 0).unwrap(); // QueueNum
        b.store(virtio + 0x64, 4, 1, 0).unwrap(); // InterruptACK of nothing
        assert!(!b.take_attention());
        b.store(virtio + 0x50, 4, 0, 0).unwrap(); // QueueNotify
        assert!(b.take_attention());
        assert_eq!(b.notified, [(SLOT_ENTROPY, 0)]);
    }

    #[test]
    fn clint_stores_and_power_requests_need_attention() {
        let mut b = Board::default();
        b.store(CLINT_BASE + 0x4000, 8, 5, 0).unwrap();
        assert!(b.take_attention(), "mtimecmp");
        b.store(CLINT_BASE, 4, 1, 0).unwrap();
        assert!(b.take_attention(), "msip");
        b.store(SYSCON_BASE, 4, 0x1234, 0).unwrap();
        assert!(
            !b.take_attention(),
            "a finisher value that asks for nothing"
        );
        b.store(SYSCON_BASE, 4, 0x5555, 0).unwrap();
        assert!(b.take_attention(), "power off");
    }

    #[test]
    fn plic_accesses_need_attention_when_they_change_its_outputs() {
        let mut b = Board::default();
        b.uart.receive(b"x");
        b.store(UART_BASE + 1, 1, 1, 0).unwrap();
        b.take_attention();
        assert_eq!(
            b.external_interrupt_lines(),
            0,
            "the UART's source is not enabled"
        );
        let priority = PLIC_BASE + 4 * u64::from(UART_IRQ);
        let (enable, claim) = (PLIC_BASE + 0x2000, PLIC_BASE + 0x20_0004);
        b.store(priority, 4, 1, 0).unwrap();
        assert!(!b.take_attention(), "still not enabled");
        b.store(enable, 4, 1 << UART_IRQ, 0).unwrap();
        assert!(b.take_attention(), "MEIP rises");
        assert_eq!(b.load(claim, 4, 0), Ok(u64::from(UART_IRQ)));
        assert!(b.take_attention(), "the claim lowers MEIP");
        assert_eq!(b.load(claim, 4, 0), Ok(0));
        assert!(!b.take_attention(), "nothing left to claim");
        b.store(claim, 4, u64::from(UART_IRQ), 0).unwrap();
        assert!(
            b.take_attention(),
            "completed while the line is up: MEIP rises again"
        );
    }

    #[test]
    fn with_attend_every_access_even_status_reads_need_attention() {
        let mut b = Board {
            attend_every_access: true,
            ..Board::default()
        };
        b.load(UART_BASE + 5, 1, 0).unwrap();
        assert!(b.take_attention());
        assert!(!b.take_attention(), "taking it clears it");
    }

    #[test]
    fn peek_answers_uart_status_reads_as_load_does_and_nothing_else() {
        let mut b = Board::default();
        b.uart.receive(b"a");
        for off in 0..8 {
            let before = b.uart.clone();
            if let Some(value) = b.peek(UART_BASE + off, 1) {
                assert_eq!(Ok(value), b.load(UART_BASE + off, 1, 0), "offset {off}");
                assert!(!b.take_attention(), "offset {off}");
                assert_eq!(
                    b.uart, before,
                    "a peekable read changed the UART (offset {off})"
                );
            }
        }
        assert_eq!(
            b.peek(UART_BASE + 5, 1),
            Some(0x61),
            "LSR: data ready, THR empty"
        );
        assert_eq!(
            b.peek(UART_BASE, 1),
            None,
            "reading RBR pops the receive FIFO"
        );
        assert_eq!(
            b.peek(CLINT_BASE + 0xbff8, 8),
            None,
            "mtime depends on the position"
        );
        b.attend_every_access = true;
        assert_eq!(
            b.peek(UART_BASE + 5, 1),
            None,
            "every access needs attention"
        );
    }

    #[test]
    fn reset_restores_devices_but_keeps_produced_output() {
        let mut b = Board::default();
        b.store(UART_BASE, 1, u64::from(b'x'), 0).unwrap();
        b.store(UART_BASE + 7, 1, 0x42, 0).unwrap();
        b.store(CLINT_BASE + 0x4000, 8, 5, 0).unwrap();
        b.reset();
        assert_eq!(b.output, b"x");
        assert_eq!(b.uart, Uart::new());
        assert_eq!(b.clint, Clint::new());
    }
}
