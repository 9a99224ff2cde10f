//! The SiFive test finisher ("syscon" on QEMU's `virt`): a guest write ends or resets the
//! machine.
//!
//! A 16- or 32-bit write at offset 0 whose low 16 bits are `0x5555` powers off (pass), `0x3333`
//! fails with the exit code in bits 31:16, `0x7777` resets. Other values are ignored, and reads
//! return zero.

use rv64::BusFault;

/// Size of the finisher's window in the physical address map.
pub const SYSCON_SIZE: u64 = 0x1000;

const FINISHER_FAIL: u64 = 0x3333;
const FINISHER_PASS: u64 = 0x5555;
const FINISHER_RESET: u64 = 0x7777;

/// What a write to the finisher asks of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerRequest {
    /// Power off with success.
    Poweroff,
    /// Power off with a failure code.
    Fail(u16),
    /// Reset the machine to its initial state.
    Reset,
}

/// The test finisher. Stateless: a request takes effect when the write completes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Syscon;

impl Syscon {
    /// A guest load: the finisher reads as zero.
    pub fn load(&self, _offset: u64, size: u8) -> Result<u64, BusFault> {
        check_size(size).map(|()| 0)
    }

    /// A guest store of `size` bytes of `value` at `offset`; returns the request it makes.
    pub fn store(
        &self,
        offset: u64,
        size: u8,
        value: u64,
    ) -> Result<Option<PowerRequest>, BusFault> {
        check_size(size)?;
        if offset != 0 {
            return Ok(None);
        }
        let code = (value >> 16) & 0xffff;
        Ok(match value & 0xffff {
            FINISHER_PASS => Some(PowerRequest::Poweroff),
            FINISHER_FAIL => Some(PowerRequest::Fail(code as u16)),
            FINISHER_RESET => Some(PowerRequest::Reset),
            _ => None,
        })
    }
}

/// The finisher accepts 16- and 32-bit accesses only.
fn check_size(size: u8) -> Result<(), BusFault> {
    match size {
        2 | 4 => Ok(()),
        _ => Err(BusFault),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_5555_powers_off() {
        assert_eq!(Syscon.store(0, 4, 0x5555), Ok(Some(PowerRequest::Poweroff)));
    }

    #[test]
    fn write_3333_fails_with_code_from_upper_half() {
        assert_eq!(
            Syscon.store(0, 4, (7 << 16) | 0x3333),
            Ok(Some(PowerRequest::Fail(7)))
        );
    }

    #[test]
    fn write_7777_resets() {
        assert_eq!(Syscon.store(0, 4, 0x7777), Ok(Some(PowerRequest::Reset)));
    }

    #[test]
    fn halfword_write_is_accepted() {
        assert_eq!(Syscon.store(0, 2, 0x5555), Ok(Some(PowerRequest::Poweroff)));
    }

    #[test]
    fn other_values_and_offsets_are_ignored() {
        assert_eq!(Syscon.store(0, 4, 0x1234), Ok(None));
        assert_eq!(Syscon.store(4, 4, 0x5555), Ok(None));
    }

    #[test]
    fn byte_and_doubleword_accesses_fault() {
        assert_eq!(Syscon.store(0, 1, 0x55), Err(BusFault));
        assert_eq!(Syscon.store(0, 8, 0x5555), Err(BusFault));
        assert_eq!(Syscon.load(0, 8), Err(BusFault));
    }

    #[test]
    fn reads_return_zero() {
        assert_eq!(Syscon.load(0, 4), Ok(0));
    }
}
