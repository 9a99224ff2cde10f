//! The core-local interruptor (SiFive CLINT layout, as on QEMU's `virt`): the machine software
//! interrupt (`msip`), the machine timer compare register (`mtimecmp`) and the machine timer
//! (`mtime`) of hart 0.
//!
//! `mtime` is virtual: a pure function of the hart's position counter and the last anchor,
//! `mtime = anchor_mtime + (position - anchor_position) * rate / 2^32` (wrapping), so that every
//! replica reads the same time at the same instruction. Anchors come from guest writes to
//! `mtime` and from the front end's clock events (re-anchoring to the host clock, idle time
//! skips), which the input log records; nothing here ever looks at the host clock.

use rv64::persist::{Persist, StateError};
use rv64::BusFault;

/// Size of the CLINT's window in the physical address map.
pub const CLINT_SIZE: u64 = 0x1_0000;
/// Frequency of `mtime` advertised to the guest: 10 MHz, as on QEMU's `virt`.
pub const TIMEBASE_HZ: u64 = 10_000_000;
/// Instructions per `mtime` tick until the first re-anchoring: a nominal 100 MIPS guest at the
/// 10 MHz timebase retires 10 instructions per tick.
pub const INSTRUCTIONS_PER_TICK: u64 = 10;
/// One tick per position in the 32.32 fixed-point `rate`.
pub const RATE_ONE: u64 = 1 << 32;
/// The initial rate: 1 / INSTRUCTIONS_PER_TICK ticks per position, rounded up.
pub const DEFAULT_RATE: u64 = RATE_ONE.div_ceil(INSTRUCTIONS_PER_TICK);

const MSIP: u64 = 0x0;
const MTIMECMP: u64 = 0x4000;
const MTIME: u64 = 0xbff8;

/// The CLINT of a single-hart machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clint {
    msip: bool,
    mtimecmp: u64,
    /// Position of the last anchor.
    anchor_position: u64,
    /// `mtime` at the last anchor.
    anchor_mtime: u64,
    /// Ticks per position since the last anchor, 32.32 fixed point.
    rate: u64,
}

impl Default for Clint {
    fn default() -> Self {
        Clint::new()
    }
}

impl Clint {
    /// The reset state: no software interrupt, `mtime` at zero at position zero, and
    /// `mtimecmp` at its maximum so that no timer interrupt is pending.
    pub fn new() -> Clint {
        Clint {
            msip: false,
            mtimecmp: u64::MAX,
            anchor_position: 0,
            anchor_mtime: 0,
            rate: DEFAULT_RATE,
        }
    }

    /// The value of `mtime` at `position` (at or after the last anchor).
    pub fn mtime(&self, position: u64) -> u64 {
        let elapsed = u128::from(position.saturating_sub(self.anchor_position));
        let ticks = (elapsed * u128::from(self.rate)) >> 32;
        self.anchor_mtime.wrapping_add(ticks as u64)
    }

    /// The current rate (ticks per position, 32.32 fixed point).
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// From `position` on, time reads `mtime` and advances by `rate` / 2^32 ticks per
    /// position. Time never goes back: an `mtime` below the current value keeps the current.
    pub fn reanchor(&mut self, position: u64, mtime: u64, rate: u64) {
        let now = self.mtime(position);
        self.anchor_mtime = mtime.max(now);
        self.anchor_position = position;
        self.rate = rate;
    }

    /// The machine software interrupt line (MSIP).
    pub fn software_pending(&self) -> bool {
        self.msip
    }

    /// The machine timer interrupt line (MTIP): `mtime >= mtimecmp`.
    pub fn timer_pending(&self, position: u64) -> bool {
        self.mtime(position) >= self.mtimecmp
    }

    /// Whether the timer is armed: `mtimecmp` lies in the future and is not `u64::MAX`, the
    /// value software writes to mean "no timer".
    fn armed(&self, now: u64) -> bool {
        now < self.mtimecmp && self.mtimecmp != u64::MAX
    }

    /// The first position after `position` where `mtime` reaches `mtimecmp`, if the timer is
    /// armed. Saturates at `u64::MAX` for deadlines beyond the counter.
    pub fn deadline(&self, position: u64) -> Option<u64> {
        let now = self.mtime(position);
        if !self.armed(now) {
            return None;
        }
        if self.rate == 0 {
            return None;
        }
        // The first position p with anchor_mtime + (p - anchor) * rate / 2^32 >= mtimecmp.
        let ticks = u128::from(self.mtimecmp.wrapping_sub(self.anchor_mtime));
        let positions = (ticks << 32).div_ceil(u128::from(self.rate));
        let positions = u64::try_from(positions).unwrap_or(u64::MAX);
        Some(
            self.anchor_position
                .saturating_add(positions)
                .max(position + 1),
        )
    }

    /// Ticks from `position` until `mtime` reaches `mtimecmp`, if the timer is armed.
    pub fn ticks_to_deadline(&self, position: u64) -> Option<u64> {
        let now = self.mtime(position);
        self.armed(now).then(|| self.mtimecmp - now)
    }

    /// Advances virtual time by `ticks` without advancing the position (an idle hart's
    /// sleep, which the front end decides and the input log records).
    pub fn advance(&mut self, ticks: u64) {
        self.anchor_mtime = self.anchor_mtime.wrapping_add(ticks);
    }

    /// A load of `size` bytes at `offset` within the CLINT's window. 4-byte accesses reach
    /// either half of a 64-bit register; 8-byte accesses must be naturally aligned.
    pub fn load(&self, offset: u64, size: u8, position: u64) -> Result<u64, BusFault> {
        let (reg, shift) = register(offset, size)?;
        let value = match reg {
            MSIP => u64::from(self.msip),
            MTIMECMP => self.mtimecmp,
            MTIME => self.mtime(position),
            _ => 0,
        };
        Ok(if size == 4 {
            (value >> shift) & 0xffff_ffff
        } else {
            value
        })
    }

    /// A store of the low `size` bytes of `value` at `offset` within the CLINT's window.
    pub fn store(
        &mut self,
        offset: u64,
        size: u8,
        value: u64,
        position: u64,
    ) -> Result<(), BusFault> {
        let (reg, shift) = register(offset, size)?;
        let merge = |old: u64| {
            if size == 4 {
                let mask = 0xffff_ffffu64 << shift;
                (old & !mask) | ((value << shift) & mask)
            } else {
                value
            }
        };
        match reg {
            MSIP => self.msip = merge(u64::from(self.msip)) & 1 != 0,
            MTIMECMP => self.mtimecmp = merge(self.mtimecmp),
            MTIME => {
                // A guest write may move time either way: it is the guest's own decision.
                self.anchor_mtime = merge(self.mtime(position));
                self.anchor_position = position;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Splits an access into the 8-byte register it falls in and the bit shift of its 4-byte half.
/// `msip` is a 4-byte register; an 8-byte access to it also covers the (absent) next hart's.
fn register(offset: u64, size: u8) -> Result<(u64, u32), BusFault> {
    match size {
        4 if offset.is_multiple_of(4) => Ok((offset & !7, ((offset & 4) * 8) as u32)),
        8 if offset.is_multiple_of(8) => Ok((offset, 0)),
        _ => Err(BusFault),
    }
}

/// The CLINT's state as plain data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClintState {
    /// The software interrupt bit.
    pub msip: bool,
    /// The timer compare register.
    pub mtimecmp: u64,
    /// Position of the last anchor.
    pub anchor_position: u64,
    /// `mtime` at the last anchor.
    pub anchor_mtime: u64,
    /// Ticks per position since the last anchor, 32.32 fixed point.
    pub rate: u64,
}

impl Persist for Clint {
    type State = ClintState;
    type ConstructorArgs = ();

    fn save(&self) -> ClintState {
        ClintState {
            msip: self.msip,
            mtimecmp: self.mtimecmp,
            anchor_position: self.anchor_position,
            anchor_mtime: self.anchor_mtime,
            rate: self.rate,
        }
    }

    /// Every combination of values is one that guest writes and clock events can produce.
    fn restore((): (), s: &ClintState) -> Result<Clint, StateError> {
        Ok(Clint {
            msip: s.msip,
            mtimecmp: s.mtimecmp,
            anchor_position: s.anchor_position,
            anchor_mtime: s.anchor_mtime,
            rate: s.rate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtime_advances_one_tick_per_instructions_per_tick_positions() {
        let c = Clint::new();
        assert_eq!(c.mtime(0), 0);
        assert_eq!(c.mtime(INSTRUCTIONS_PER_TICK - 1), 0);
        assert_eq!(c.mtime(INSTRUCTIONS_PER_TICK * 123), 123);
        assert_eq!(c.load(MTIME, 8, 55).unwrap(), 5);
    }

    #[test]
    fn reanchoring_sets_time_and_rate_but_never_moves_time_back() {
        let mut c = Clint::new();
        c.reanchor(1000, 5000, RATE_ONE * 2);
        assert_eq!(c.mtime(1000), 5000);
        assert_eq!(c.mtime(1010), 5020);
        c.reanchor(1010, 10, RATE_ONE / 4);
        assert_eq!(c.mtime(1010), 5020, "time does not go back");
        assert_eq!(c.mtime(1014), 5021);
    }

    #[test]
    fn the_deadline_is_exact_at_any_rate() {
        let mut c = Clint::new();
        c.reanchor(0, 0, RATE_ONE / 3);
        c.store(MTIMECMP, 8, 100, 0).unwrap();
        let deadline = c.deadline(0).unwrap();
        assert!(c.timer_pending(deadline));
        assert!(!c.timer_pending(deadline - 1));
        c.reanchor(10, 0, 0);
        assert_eq!(c.deadline(10), None, "a stopped clock never fires");
    }

    #[test]
    fn mtime_is_readable_as_two_32_bit_halves() {
        let mut c = Clint::new();
        c.store(MTIME, 8, 0x1234_5678_9abc_def0, 0).unwrap();
        assert_eq!(c.load(MTIME, 4, 0).unwrap(), 0x9abc_def0);
        assert_eq!(c.load(MTIME + 4, 4, 0).unwrap(), 0x1234_5678);
    }

    #[test]
    fn mtime_write_adjusts_offset_and_time_keeps_running() {
        let mut c = Clint::new();
        c.store(MTIME, 8, 1000, 50).unwrap();
        assert_eq!(c.mtime(50), 1000);
        assert_eq!(c.mtime(150), 1010);
        c.store(MTIME + 4, 4, 1, 150).unwrap();
        assert_eq!(c.mtime(150), (1 << 32) | 1010);
    }

    #[test]
    fn mtimecmp_halves_are_written_independently() {
        let mut c = Clint::new();
        c.store(MTIMECMP, 4, 0x10, 0).unwrap();
        assert_eq!(c.load(MTIMECMP, 8, 0).unwrap(), 0xffff_ffff_0000_0010);
        c.store(MTIMECMP + 4, 4, 0, 0).unwrap();
        assert_eq!(c.load(MTIMECMP, 8, 0).unwrap(), 0x10);
    }

    #[test]
    fn mtip_is_pending_while_mtime_at_or_past_mtimecmp() {
        let mut c = Clint::new();
        assert!(!c.timer_pending(0));
        c.store(MTIMECMP, 8, 3, 0).unwrap();
        assert!(!c.timer_pending(29));
        assert!(c.timer_pending(30));
        c.store(MTIMECMP, 8, u64::MAX, 30).unwrap();
        assert!(!c.timer_pending(30));
    }

    #[test]
    fn deadline_is_the_first_position_where_mtip_rises() {
        let mut c = Clint::new();
        assert_eq!(c.deadline(0), None);
        c.store(MTIMECMP, 8, 7, 0).unwrap();
        let d = c.deadline(12).unwrap();
        assert_eq!(d, 70);
        assert!(!c.timer_pending(d - 1));
        assert!(c.timer_pending(d));
        assert_eq!(c.deadline(70), None);
    }

    #[test]
    fn deadline_saturates_for_far_future_compare_values() {
        let mut c = Clint::new();
        c.store(MTIMECMP, 8, u64::MAX - 1, 0).unwrap();
        assert_eq!(c.deadline(0), Some(u64::MAX));
    }

    #[test]
    fn mtimecmp_all_ones_means_no_timer() {
        let c = Clint::new();
        assert_eq!(c.deadline(0), None);
        assert_eq!(c.ticks_to_deadline(0), None);
        assert_eq!(c.mtime(0), 0);
    }

    #[test]
    fn advancing_by_the_ticks_to_deadline_reaches_mtimecmp_without_moving_position() {
        let mut c = Clint::new();
        c.store(MTIMECMP, 8, 1_000_000, 0).unwrap();
        let ticks = c.ticks_to_deadline(40).unwrap();
        assert_eq!(ticks, 1_000_000 - 4);
        c.advance(ticks);
        assert_eq!(c.mtime(40), 1_000_000);
        assert!(c.timer_pending(40));
        assert_eq!(c.ticks_to_deadline(40), None);
    }

    #[test]
    fn msip_bit_zero_raises_the_software_interrupt() {
        let mut c = Clint::new();
        c.store(MSIP, 4, 0xffff_fffe, 0).unwrap();
        assert!(!c.software_pending());
        c.store(MSIP, 4, 1, 0).unwrap();
        assert!(c.software_pending());
        assert_eq!(c.load(MSIP, 4, 0).unwrap(), 1);
    }

    #[test]
    fn byte_halfword_and_misaligned_accesses_fault() {
        let mut c = Clint::new();
        assert_eq!(c.load(MTIME, 1, 0), Err(BusFault));
        assert_eq!(c.load(MTIME, 2, 0), Err(BusFault));
        assert_eq!(c.load(MTIME + 4, 8, 0), Err(BusFault));
        assert_eq!(c.store(MSIP + 2, 4, 1, 0), Err(BusFault));
    }

    #[test]
    fn unmapped_offsets_read_zero_and_ignore_writes() {
        let mut c = Clint::new();
        c.store(0x8000, 8, 5, 0).unwrap();
        assert_eq!(c.load(0x8000, 8, 0).unwrap(), 0);
        assert_eq!(c, Clint::new());
    }
}
