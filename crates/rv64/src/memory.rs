//! Guest RAM: one contiguous region of physical memory, the only memory the hart and devices
//! share. Every CPU store and every device write goes through this type.

use thiserror::Error;

/// Errors from guest-RAM access by the board and loaders.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum MemoryError {
    /// The requested RAM size is zero, not page-aligned, or too large for this host.
    #[error("invalid RAM size {0:#x}")]
    InvalidSize(u64),
    /// An access falls (partly) outside guest RAM.
    #[error("access at {addr:#x} of {len} bytes is outside guest RAM")]
    OutOfRange {
        /// Guest physical address.
        addr: u64,
        /// Length in bytes.
        len: u64,
    },
}

/// Guest RAM at a fixed physical base.
pub struct Memory {
    base: u64,
    bytes: Box<[u8]>,
}

impl Memory {
    /// Allocates `size` bytes of zeroed RAM at physical address `base`.
    pub fn new(base: u64, size: u64) -> Result<Memory, MemoryError> {
        if size == 0 || size % 4096 != 0 || usize::try_from(size).is_err() {
            return Err(MemoryError::InvalidSize(size));
        }
        Ok(Memory { base, bytes: vec![0; size as usize].into_boxed_slice() })
    }

    /// Physical address of the first byte.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>, MemoryError> {
        let err = MemoryError::OutOfRange { addr, len: len as u64 };
        let start = addr.checked_sub(self.base).ok_or(err.clone())?;
        let end = start.checked_add(len as u64).ok_or(err.clone())?;
        if end > self.size() {
            return Err(err);
        }
        Ok(start as usize..end as usize)
    }

    /// Copies guest RAM at `addr` into `buf`.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        let r = self.range(addr, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    /// Copies `data` into guest RAM at `addr`.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemoryError> {
        let r = self.range(addr, data.len())?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }
}
