//! The physical address map outside RAM, laid out like QEMU's `virt`, and the [`rv64::Bus`]
//! the hart reaches it through. Each device sees offsets within its own window.

use rv64::{Bus, BusFault};

use crate::clint::{Clint, CLINT_SIZE};
use crate::syscon::{PowerRequest, Syscon, SYSCON_SIZE};
use crate::uart::{Uart, UART_SIZE};

/// Physical address of the SiFive test finisher.
pub const SYSCON_BASE: u64 = 0x0010_0000;
/// Physical address of the CLINT.
pub const CLINT_BASE: u64 = 0x0200_0000;
/// Physical address of the 16550 UART.
pub const UART_BASE: u64 = 0x1000_0000;

/// The devices of the board, and what they have produced for the outside world.
#[derive(Debug, Default)]
pub struct Board {
    /// The core-local interruptor.
    pub clint: Clint,
    /// The console UART.
    pub uart: Uart,
    syscon: Syscon,
    /// A power request from the finisher, taken by the machine after the access.
    power: Option<PowerRequest>,
    /// Console bytes for the front end, in the order the guest produced them.
    pub output: Vec<u8>,
}

/// Which device window an address falls in, and the offset within it.
enum Window {
    Syscon(u64),
    Clint(u64),
    Uart(u64),
}

fn decode(addr: u64) -> Option<Window> {
    let within = |base: u64, size: u64| addr.checked_sub(base).filter(|&off| off < size);
    if let Some(off) = within(UART_BASE, UART_SIZE) {
        Some(Window::Uart(off))
    } else if let Some(off) = within(CLINT_BASE, CLINT_SIZE) {
        Some(Window::Clint(off))
    } else {
        within(SYSCON_BASE, SYSCON_SIZE).map(Window::Syscon)
    }
}

impl Board {
    /// The board's devices in their reset state, keeping `output` (bytes already produced
    /// belong to the outside world, not to the machine).
    pub fn reset(&mut self) {
        let output = std::mem::take(&mut self.output);
        *self = Board {
            output,
            ..Board::default()
        };
    }

    /// Takes the pending power request, if any.
    pub fn take_power_request(&mut self) -> Option<PowerRequest> {
        self.power.take()
    }
}

impl Bus for Board {
    fn load(&mut self, addr: u64, size: u8, position: u64) -> Result<u64, BusFault> {
        match decode(addr).ok_or(BusFault)? {
            Window::Uart(off) => Ok(u64::from(self.uart.read(off))),
            Window::Clint(off) => self.clint.load(off, size, position),
            Window::Syscon(off) => self.syscon.load(off, size),
        }
    }

    fn store(&mut self, addr: u64, size: u8, value: u64, position: u64) -> Result<(), BusFault> {
        match decode(addr).ok_or(BusFault)? {
            Window::Uart(off) => {
                if let Some(byte) = self.uart.write(off, value as u8) {
                    self.output.push(byte);
                }
                Ok(())
            }
            Window::Clint(off) => self.clint.store(off, size, value, position),
            Window::Syscon(off) => {
                if let Some(request) = self.syscon.store(off, size, value)? {
                    self.power = Some(request);
                }
                Ok(())
            }
        }
    }

    fn time(&mut self, position: u64) -> u64 {
        self.clint.mtime(position)
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
