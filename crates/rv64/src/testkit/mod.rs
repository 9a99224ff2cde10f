//! What the crate's unit tests share: an instruction encoder ([`asm`]), a bus with a device
//! window and interrupt lines ([`TestBus`]), a runner that executes one program under both
//! engines in lock step and reports the first difference ([`lockstep`]), and a seeded
//! random generator ([`Rng`]).

pub mod asm;
pub mod lockstep;

use crate::bus::{Bus, BusFault};

/// A device window on the test bus: every physical address outside RAM below [`MISSING`].
pub const MMIO: u64 = 0x1000_0000;
/// Device accesses from here to [`MISSING`] need no attention from the board (like reads of
/// a status register); those below it do.
pub const QUIET: u64 = 0x1800_0000;
/// Addresses at or above this fault on the test bus.
pub const MISSING: u64 = 0x2000_0000;
/// The test bus's interrupt acknowledge register: a store clears the stored bits of
/// [`TestBus::lines`].
pub const ACK: u64 = MMIO + 0x1_0000;
/// A status register window of [`STATUS_SIZE`] bytes, in the device window's first page:
/// loads read a value of [`TestBus::status`] and the address ([`TestBus::status_value`]),
/// stores set `status`, neither needs attention, and [`Bus::peek`] answers its loads. Its
/// loads are not logged, since an engine may answer one from an earlier one.
pub const STATUS: u64 = MMIO + 0x600;
/// The size of the [`STATUS`] window.
pub const STATUS_SIZE: u64 = 0x40;

/// One access that reached the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusAccess {
    /// The hart's position at the access.
    pub position: u64,
    pub addr: u64,
    pub size: u8,
    /// The stored value, or `None` for a load.
    pub stored: Option<u64>,
    /// The access faulted.
    pub fault: bool,
}

/// A bus that logs every access (but loads of [`STATUS`]), serves loads in the device window
/// with a value that depends on the address ([`TestBus::value`]), keeps a status register
/// behind [`STATUS`], and keeps interrupt lines that a test raises and the guest
/// acknowledges through [`ACK`]. Time is ten ticks per position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestBus {
    /// Every access, in order.
    pub log: Vec<BusAccess>,
    /// Interrupt lines (bits of `mip`) for the test to hand to the hart.
    pub lines: u64,
    /// An access since the last `take_attention` needs the board's attention.
    pub attention: bool,
    /// The status register behind [`STATUS`].
    pub status: u64,
    /// Loads of [`STATUS`] that reached [`Bus::load`].
    pub status_loads: u64,
    /// Calls of [`Bus::peek`] for [`STATUS`].
    pub status_peeks: std::cell::Cell<u64>,
}

impl TestBus {
    /// What a load of `size` bytes at `addr` in the device window reads.
    pub fn value(addr: u64, size: u8) -> u64 {
        let v = 0x8899_aabb_ccdd_1234 ^ addr.rotate_left(17);
        match size {
            8 => v,
            _ => v & ((1 << (8 * u32::from(size))) - 1),
        }
    }

    /// What a load of `size` bytes at `addr` in the [`STATUS`] window reads.
    pub fn status_value(&self, addr: u64, size: u8) -> u64 {
        let v = self.status ^ TestBus::value(addr, 8);
        match size {
            8 => v,
            _ => v & ((1 << (8 * u32::from(size))) - 1),
        }
    }

    /// The stores that reached the device window, as (address, size, value).
    pub fn stores(&self) -> Vec<(u64, u8, u64)> {
        self.log
            .iter()
            .filter_map(|a| a.stored.map(|v| (a.addr, a.size, v)))
            .collect()
    }

    /// The loads that reached the device window, as (address, size).
    pub fn loads(&self) -> Vec<(u64, u8)> {
        self.log
            .iter()
            .filter(|a| a.stored.is_none())
            .map(|a| (a.addr, a.size))
            .collect()
    }
}

impl Bus for TestBus {
    fn load(&mut self, addr: u64, size: u8, position: u64) -> Result<u64, BusFault> {
        if is_status(addr) {
            self.status_loads += 1;
            return Ok(self.status_value(addr, size));
        }
        let fault = addr >= MISSING;
        self.log.push(BusAccess {
            position,
            addr,
            size,
            stored: None,
            fault,
        });
        if fault {
            return Err(BusFault);
        }
        self.attention |= addr < QUIET;
        Ok(TestBus::value(addr, size))
    }

    fn store(&mut self, addr: u64, size: u8, value: u64, position: u64) -> Result<(), BusFault> {
        // Only the low `size` bytes are the store's: an engine may pass the rest or not.
        let value = match size {
            8 => value,
            _ => value & ((1 << (8 * u32::from(size))) - 1),
        };
        let fault = addr >= MISSING;
        self.log.push(BusAccess {
            position,
            addr,
            size,
            stored: Some(value),
            fault,
        });
        if fault {
            return Err(BusFault);
        }
        if addr == ACK {
            self.lines &= !value;
        }
        if is_status(addr) {
            self.status = value;
        } else {
            self.attention |= addr < QUIET;
        }
        Ok(())
    }

    fn take_attention(&mut self) -> bool {
        std::mem::take(&mut self.attention)
    }

    fn time(&mut self, position: u64) -> u64 {
        position * 10
    }

    fn peek(&self, addr: u64, size: u8) -> Option<u64> {
        if !is_status(addr) {
            return None;
        }
        self.status_peeks.set(self.status_peeks.get() + 1);
        Some(self.status_value(addr, size))
    }
}

/// Whether `addr` is in the [`STATUS`] window.
fn is_status(addr: u64) -> bool {
    (STATUS..STATUS + STATUS_SIZE).contains(&addr)
}

/// A small deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}
