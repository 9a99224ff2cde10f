//! The host side of the machine's devices: the only code that touches host files, network
//! interfaces and the terminal on the machine's behalf.
//!
//! Everything here is used by the front end (the `vmft` command): received frames become
//! input events, transmitted frames are outputs it writes, and disk files back virtio-blk.

pub mod disk;
pub mod tap;
pub mod terminal;

pub use disk::FileDisk;
pub use tap::Tap;
pub use terminal::{EscapeDecoder, Keys, RawTerminal};
