//! The hart's view of everything that is not RAM.

/// An access the bus could not perform; the hart turns it into an access-fault trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusFault;

/// Physical accesses outside guest RAM, and the machine's notion of time.
///
/// Implemented by the board. `position` is the hart's position counter at the access, so that
/// devices whose state depends on time (the CLINT's `mtime`) are a pure function of it.
///
/// # Attention
///
/// After every [`Bus::load`] and [`Bus::store`] the hart calls [`Bus::take_attention`]. When
/// it answers true, the current [`crate::Hart::run`] call ends with [`crate::Exit::Device`]
/// once the instruction completes, so that the board can act on the access (run a queue
/// notification, power off) and re-evaluate the interrupt lines before the next instruction.
/// When it answers false, the hart goes on as if nothing had happened outside it: that is
/// only correct if ending the call would have changed nothing (in particular, the interrupt
/// lines the hart holds must still be the ones the board would drive). A polling loop on a
/// status register then runs without leaving the hart.
///
/// The answer must be a pure function of the machine's state (never of host timing), like
/// everything else the bus does, so that replicas end their calls at the same positions.
pub trait Bus {
    /// Loads `size` (1, 2, 4 or 8) bytes from physical address `addr`, zero-extended.
    fn load(&mut self, addr: u64, size: u8, position: u64) -> Result<u64, BusFault>;
    /// Stores the low `size` bytes of `value` to physical address `addr`.
    fn store(&mut self, addr: u64, size: u8, value: u64, position: u64) -> Result<(), BusFault>;
    /// Whether an access since the last call needs the board's attention before the hart
    /// executes another instruction (see [`Bus`]); clears the request. Answering true is
    /// always correct, only slower.
    fn take_attention(&mut self) -> bool;
    /// The value of the `time` CSR (the CLINT's `mtime`) at `position`.
    fn time(&mut self, position: u64) -> u64;
    /// What [`Bus::load`] of `size` bytes at `addr` would return, if that load would change
    /// nothing (no state, no attention) and its value depends on the board's state alone, not
    /// on the position: a status register. Such a load answers the same until the board's
    /// next access or the end of the hart's run, so compiled code may reuse its value instead
    /// of loading again, as a polling loop does. `None` (the default) when it is not known.
    fn peek(&self, addr: u64, size: u8) -> Option<u64> {
        let _ = (addr, size);
        None
    }
}
