//! The hart's view of everything that is not RAM.

/// An access the bus could not perform; the hart turns it into an access-fault trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusFault;

/// Physical accesses outside guest RAM, and the machine's notion of time.
///
/// Implemented by the board. `position` is the hart's position counter at the access, so that
/// devices whose state depends on time (the CLINT's `mtime`) are a pure function of it.
/// Every call that reaches the bus ends the current [`crate::Hart::run`] slice with
/// [`crate::Exit::Device`] once the instruction completes, so the board can re-evaluate
/// interrupt lines after any device access.
pub trait Bus {
    /// Loads `size` (1, 2, 4 or 8) bytes from physical address `addr`, zero-extended.
    fn load(&mut self, addr: u64, size: u8, position: u64) -> Result<u64, BusFault>;
    /// Stores the low `size` bytes of `value` to physical address `addr`.
    fn store(&mut self, addr: u64, size: u8, value: u64, position: u64) -> Result<(), BusFault>;
    /// The value of the `time` CSR (the CLINT's `mtime`) at `position`.
    fn time(&mut self, position: u64) -> u64;
}
