//! A 16550A UART (as on QEMU's `virt`, registers one byte apart).
//!
//! Transmission is instantaneous: a byte written to THR leaves at once (the board collects it
//! as console output), so THRE and TEMT are always set. Received bytes arrive only through
//! [`Uart::receive`], which the machine calls from its input interface. The receive FIFO never
//! overruns: bytes wait, in order, until the guest reads them (the front end bounds how many it
//! injects ahead of the guest, see [`Uart::rx_backlog`]).

use std::collections::VecDeque;

use rv64::persist::{Persist, StateError};

/// Size of the UART's window in the physical address map.
pub const UART_SIZE: u64 = 0x100;

const RBR_THR_DLL: u64 = 0;
const IER_DLM: u64 = 1;
const IIR_FCR: u64 = 2;
const LCR: u64 = 3;
const MCR: u64 = 4;
const LSR: u64 = 5;
const MSR: u64 = 6;
const SCR: u64 = 7;

const IER_RDA: u8 = 0x01;
const IER_THRE: u8 = 0x02;
const IER_MASK: u8 = 0x0f;

const IIR_NONE: u8 = 0x01;
const IIR_THRE: u8 = 0x02;
const IIR_RDA: u8 = 0x04;
const IIR_TIMEOUT: u8 = 0x0c;
const IIR_FIFO_ENABLED: u8 = 0xc0;

const FCR_ENABLE: u8 = 0x01;
const FCR_CLEAR_RX: u8 = 0x02;

const LCR_DLAB: u8 = 0x80;

const LSR_DR: u8 = 0x01;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;

const MCR_LOOP: u8 = 0x10;
const MCR_MASK: u8 = 0x1f;

/// Modem status with the line up: data carrier detect, data set ready, clear to send.
const MSR_LINE_UP: u8 = 0xb0;

/// The 16550A's register state and receive FIFO.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Uart {
    rx: VecDeque<u8>,
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    fcr: u8,
    dll: u8,
    dlm: u8,
    thr_interrupt: bool,
}

impl Uart {
    /// The reset state: interrupts disabled, FIFOs disabled, 8N1 with a zero divisor.
    pub fn new() -> Uart {
        Uart::default()
    }

    /// Appends bytes from the outside world to the receive FIFO.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.rx.extend(bytes);
    }

    /// Bytes received but not yet read by the guest.
    pub fn rx_backlog(&self) -> usize {
        self.rx.len()
    }

    /// Whether the UART asserts its interrupt output (IIR bit 0 clear).
    pub fn interrupt_pending(&self) -> bool {
        self.iir() & IIR_NONE == 0
    }

    fn dlab(&self) -> bool {
        self.lcr & LCR_DLAB != 0
    }

    fn fifo_enabled(&self) -> bool {
        self.fcr & FCR_ENABLE != 0
    }

    /// The receive trigger level selected by FCR bits 7:6 (1, 4, 8 or 14 bytes).
    fn rx_trigger(&self) -> usize {
        match self.fcr >> 6 {
            0 => 1,
            1 => 4,
            2 => 8,
            _ => 14,
        }
    }

    /// The interrupt identification register, highest-priority source first.
    fn iir(&self) -> u8 {
        let fifo = if self.fifo_enabled() {
            IIR_FIFO_ENABLED
        } else {
            0
        };
        let id = if self.ier & IER_RDA != 0 && !self.rx.is_empty() {
            if !self.fifo_enabled() || self.rx.len() >= self.rx_trigger() {
                IIR_RDA
            } else {
                IIR_TIMEOUT
            }
        } else if self.ier & IER_THRE != 0 && self.thr_interrupt {
            IIR_THRE
        } else {
            IIR_NONE
        };
        fifo | id
    }

    fn lsr(&self) -> u8 {
        let dr = if self.rx.is_empty() { 0 } else { LSR_DR };
        LSR_THRE | LSR_TEMT | dr
    }

    fn msr(&self) -> u8 {
        if self.mcr & MCR_LOOP != 0 {
            // Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
            let m = self.mcr;
            ((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) | ((m & 0x08) << 4)
        } else {
            MSR_LINE_UP
        }
    }

    /// A guest read of the register at `offset`, if it has no side effects (every register
    /// but RBR, whose read pops the receive FIFO, and IIR, whose read may clear the THR-empty
    /// interrupt); the same value [`Uart::read`] returns.
    #[inline]
    pub fn peek(&self, offset: u64) -> Option<u8> {
        Some(match offset & 7 {
            RBR_THR_DLL if self.dlab() => self.dll,
            RBR_THR_DLL | IIR_FCR => return None,
            IER_DLM if self.dlab() => self.dlm,
            IER_DLM => self.ier,
            LCR => self.lcr,
            MCR => self.mcr,
            LSR => self.lsr(),
            MSR => self.msr(),
            _ => self.scr, // SCR, the last of the eight
        })
    }

    /// A guest read of the register at `offset` (only the low three bits decode).
    pub fn read(&mut self, offset: u64) -> u8 {
        if let Some(value) = self.peek(offset) {
            return value;
        }
        match offset & 7 {
            IIR_FCR => {
                let iir = self.iir();
                if iir & 0x0f == IIR_THRE {
                    // Reading IIR while it reports THR empty clears that source.
                    self.thr_interrupt = false;
                }
                iir
            }
            _ => self.rx.pop_front().unwrap_or(0),
        }
    }

    /// A guest write of `value` to the register at `offset`. Returns the byte transmitted on
    /// the line, if any (a THR write outside loopback mode).
    pub fn write(&mut self, offset: u64, value: u8) -> Option<u8> {
        match offset & 7 {
            RBR_THR_DLL if self.dlab() => self.dll = value,
            RBR_THR_DLL => {
                // The byte leaves at once, so THR is empty again right away.
                self.thr_interrupt = true;
                if self.mcr & MCR_LOOP != 0 {
                    self.rx.push_back(value);
                } else {
                    return Some(value);
                }
            }
            IER_DLM if self.dlab() => self.dlm = value,
            IER_DLM => {
                let enabling_thre = value & IER_THRE != 0 && self.ier & IER_THRE == 0;
                self.ier = value & IER_MASK;
                if enabling_thre {
                    // THR is always empty: enabling its interrupt raises it at once.
                    self.thr_interrupt = true;
                }
            }
            IIR_FCR => {
                if (value ^ self.fcr) & FCR_ENABLE != 0 || value & FCR_CLEAR_RX != 0 {
                    self.rx.clear();
                }
                // Bits 1 and 2 self-clear; bit 3 (DMA mode) and the trigger level are kept.
                self.fcr = value & 0xc9;
            }
            LCR => self.lcr = value,
            MCR => self.mcr = value & MCR_MASK,
            SCR => self.scr = value,
            _ => {}
        }
        None
    }
}

/// The UART's state as plain data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UartState {
    /// Received bytes the guest has not read, oldest first.
    pub rx: Vec<u8>,
    /// Interrupt enable register (4 bits).
    pub ier: u8,
    /// Line control register.
    pub lcr: u8,
    /// Modem control register (5 bits).
    pub mcr: u8,
    /// Scratch register.
    pub scr: u8,
    /// FIFO control bits that are kept (enable, DMA mode, trigger level).
    pub fcr: u8,
    /// Divisor latch, low byte.
    pub dll: u8,
    /// Divisor latch, high byte.
    pub dlm: u8,
    /// Whether the THR-empty interrupt is raised.
    pub thr_interrupt: bool,
}

impl Persist for Uart {
    type State = UartState;
    type ConstructorArgs = ();

    fn save(&self) -> UartState {
        UartState {
            rx: self.rx.iter().copied().collect(),
            ier: self.ier,
            lcr: self.lcr,
            mcr: self.mcr,
            scr: self.scr,
            fcr: self.fcr,
            dll: self.dll,
            dlm: self.dlm,
            thr_interrupt: self.thr_interrupt,
        }
    }

    /// Refuses register bits that the register writes always clear.
    fn restore((): (), s: &UartState) -> Result<Uart, StateError> {
        for (name, value, mask) in [
            ("IER", s.ier, IER_MASK),
            ("MCR", s.mcr, MCR_MASK),
            ("FCR", s.fcr, 0xc9),
        ] {
            if value & !mask != 0 {
                return Err(StateError::new(
                    "uart",
                    format!("{name} = {value:#04x} has reserved bits"),
                ));
            }
        }
        Ok(Uart {
            rx: s.rx.iter().copied().collect(),
            ier: s.ier,
            lcr: s.lcr,
            mcr: s.mcr,
            scr: s.scr,
            fcr: s.fcr,
            dll: s.dll,
            dlm: s.dlm,
            thr_interrupt: s.thr_interrupt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thr_write_transmits_the_byte() {
        let mut u = Uart::new();
        assert_eq!(u.write(RBR_THR_DLL, b'x'), Some(b'x'));
    }

    #[test]
    fn lsr_always_reports_transmitter_empty() {
        let mut u = Uart::new();
        assert_eq!(u.read(LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
        u.write(RBR_THR_DLL, b'x');
        assert_eq!(u.read(LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
    }

    #[test]
    fn lsr_data_ready_while_receive_fifo_holds_data() {
        let mut u = Uart::new();
        assert_eq!(u.read(LSR) & LSR_DR, 0);
        u.receive(b"ab");
        assert_eq!(u.read(LSR) & LSR_DR, LSR_DR);
        assert_eq!(u.read(RBR_THR_DLL), b'a');
        assert_eq!(u.read(LSR) & LSR_DR, LSR_DR);
        assert_eq!(u.read(RBR_THR_DLL), b'b');
        assert_eq!(u.read(LSR) & LSR_DR, 0);
        assert_eq!(u.rx_backlog(), 0);
    }

    #[test]
    fn peek_answers_every_read_without_side_effects_as_read_does() {
        let mut u = Uart::new();
        u.receive(b"ab");
        u.write(IER_DLM, IER_RDA | IER_THRE);
        u.write(SCR, 0x5a);
        for dlab in [false, true] {
            u.write(LCR, if dlab { LCR_DLAB | 3 } else { 3 });
            for offset in 0..8 {
                let before = u.clone();
                match u.peek(offset) {
                    Some(value) => {
                        assert_eq!(value, u.read(offset), "offset {offset}, DLAB {dlab}");
                        assert_eq!(u, before, "offset {offset}, DLAB {dlab}");
                    }
                    None => assert!(!dlab || offset == IIR_FCR, "offset {offset}"),
                }
            }
        }
        assert_eq!(
            u.peek(RBR_THR_DLL),
            Some(0),
            "DLAB is still set: the divisor latch"
        );
        assert_eq!(u.rx_backlog(), 2, "peeking never pops the receive FIFO");
    }

    #[test]
    fn dlab_redirects_offsets_zero_and_one_to_the_divisor_latch() {
        let mut u = Uart::new();
        u.write(LCR, 0x83);
        assert_eq!(u.write(RBR_THR_DLL, 0x12), None);
        u.write(IER_DLM, 0x34);
        assert_eq!(u.read(RBR_THR_DLL), 0x12);
        assert_eq!(u.read(IER_DLM), 0x34);
        u.write(LCR, 0x03);
        assert_eq!(u.read(IER_DLM), 0);
        assert_eq!(u.read(LCR), 0x03);
    }

    #[test]
    fn iir_reports_no_interrupt_after_reset() {
        let mut u = Uart::new();
        assert_eq!(u.read(IIR_FCR), IIR_NONE);
        assert!(!u.interrupt_pending());
    }

    #[test]
    fn received_data_interrupt_follows_ier_and_fifo_contents() {
        let mut u = Uart::new();
        u.receive(b"z");
        assert!(!u.interrupt_pending());
        u.write(IER_DLM, IER_RDA);
        assert!(u.interrupt_pending());
        assert_eq!(u.read(IIR_FCR), IIR_RDA);
        u.read(RBR_THR_DLL);
        assert!(!u.interrupt_pending());
    }

    #[test]
    fn fifo_below_trigger_level_reports_character_timeout() {
        let mut u = Uart::new();
        u.write(IIR_FCR, 0x81); // enable, trigger at 8 bytes
        u.write(IER_DLM, IER_RDA);
        u.receive(b"abc");
        assert_eq!(u.read(IIR_FCR), IIR_FIFO_ENABLED | IIR_TIMEOUT);
        u.receive(b"defgh");
        assert_eq!(u.read(IIR_FCR), IIR_FIFO_ENABLED | IIR_RDA);
    }

    #[test]
    fn thre_interrupt_rises_on_enable_and_clears_on_iir_read() {
        let mut u = Uart::new();
        u.write(IER_DLM, IER_THRE);
        assert!(u.interrupt_pending());
        assert_eq!(u.read(IIR_FCR), IIR_THRE);
        assert!(!u.interrupt_pending());
        u.write(RBR_THR_DLL, b'x');
        assert!(u.interrupt_pending());
    }

    #[test]
    fn received_data_has_priority_over_thr_empty() {
        let mut u = Uart::new();
        u.write(IER_DLM, IER_RDA | IER_THRE);
        u.receive(b"a");
        assert_eq!(u.read(IIR_FCR), IIR_RDA);
        u.read(RBR_THR_DLL);
        assert_eq!(u.read(IIR_FCR), IIR_THRE);
    }

    #[test]
    fn fcr_clear_receive_fifo_discards_pending_bytes() {
        let mut u = Uart::new();
        u.write(IIR_FCR, FCR_ENABLE);
        u.receive(b"abc");
        u.write(IIR_FCR, FCR_ENABLE | FCR_CLEAR_RX);
        assert_eq!(u.read(LSR) & LSR_DR, 0);
        assert_eq!(u.read(IIR_FCR) & IIR_FIFO_ENABLED, IIR_FIFO_ENABLED);
    }

    #[test]
    fn loopback_mode_returns_transmitted_bytes_to_the_receiver() {
        let mut u = Uart::new();
        u.write(MCR, MCR_LOOP | 0x0f);
        assert_eq!(u.read(MSR), 0xf0);
        assert_eq!(u.write(RBR_THR_DLL, b'q'), None);
        assert_eq!(u.read(RBR_THR_DLL), b'q');
    }

    #[test]
    fn modem_status_reports_carrier_dsr_and_cts_outside_loopback() {
        let mut u = Uart::new();
        assert_eq!(u.read(MSR), MSR_LINE_UP);
    }

    #[test]
    fn scratch_register_holds_its_value() {
        let mut u = Uart::new();
        u.write(SCR, 0x5a);
        assert_eq!(u.read(SCR), 0x5a);
    }
}
