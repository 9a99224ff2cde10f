//! The host side of the machine's devices: the only code that touches host files and
//! network interfaces on the machine's behalf.
//!
//! Everything here is used by the front end (the `vmft` command): received frames become
//! input events, transmitted frames are outputs it writes, and disk files back virtio-blk.

pub mod disk;
pub mod tap;

pub use disk::FileDisk;
pub use tap::Tap;
