//! Keeping the guest's clock on the host's: the front end's side of virtual time.
//!
//! The machine's `mtime` is a function of its position and of clock events in the input log.
//! While the guest is busy, [`HostClock::correct`] compares `mtime` with the wall time since
//! the machine started and re-anchors the rate so that the guest converges on the wall clock
//! within `CORRECTION` seconds; while the guest idles, the run loop sleeps until the wall clock
//! reaches the guest's timer deadline and then skips `mtime` forward by the time that passed.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use machine::{InputEvent, Machine};

/// Timer ticks per second (the CLINT's 10 MHz).
pub const TICKS_PER_SECOND: u64 = 10_000_000;
/// How often a busy guest's clock is checked.
const CHECK_INTERVAL: Duration = Duration::from_millis(10);
/// The horizon over which an error is corrected by changing the rate.
const CORRECTION: f64 = 0.03;
/// An error this large (guest behind the wall) is corrected by jumping forward at once.
const JUMP_TICKS: i128 = TICKS_PER_SECOND as i128 / 10;
/// Errors below this are left alone unless the rate itself needs to change.
const TOLERANCE_TICKS: i128 = TICKS_PER_SECOND as i128 / 1000;
/// Relative rate change below which no new anchor is logged.
const RATE_TOLERANCE: f64 = 0.02;

/// The wall clock the guest's time follows.
pub struct HostClock {
    start: Instant,
    /// The guest's `mtime` at the start (non-zero when resuming a snapshot).
    base: u64,
    last_check: Instant,
    last_position: u64,
}

impl HostClock {
    /// Follows the host's clock from now on, with the guest's clock now at `mtime`.
    pub fn start(position: u64, mtime: u64) -> HostClock {
        let now = Instant::now();
        HostClock {
            start: now,
            base: mtime,
            last_check: now,
            last_position: position,
        }
    }

    /// Restarts the throughput measurement after the guest slept, so that the rate is
    /// computed from busy time only (positions do not advance while it sleeps).
    pub fn resume(&mut self, position: u64) {
        self.last_check = Instant::now();
        self.last_position = position;
    }

    /// Where the guest's `mtime` should be: its start value plus the wall time since.
    pub fn target(&self) -> u64 {
        let ns = self.start.elapsed().as_nanos();
        let ticks = (ns * u128::from(TICKS_PER_SECOND) / 1_000_000_000) as u64;
        self.base.saturating_add(ticks)
    }

    /// The wall time until the guest's clock, now at `mtime`, should read `mtime + ticks`.
    pub fn until(&self, mtime: u64, ticks: u64) -> Duration {
        let ahead = mtime.saturating_add(ticks).saturating_sub(self.target());
        Duration::from_nanos(ahead.saturating_mul(1_000_000_000 / TICKS_PER_SECOND))
    }

    /// Called between slices of a busy guest: a clock anchor that steers the guest's time
    /// back onto the wall clock, if it has drifted.
    pub fn correct(&mut self, machine: &Machine) -> Option<InputEvent> {
        let now = Instant::now();
        let interval = now.duration_since(self.last_check);
        if interval < CHECK_INTERVAL {
            return None;
        }
        let positions = machine.position().saturating_sub(self.last_position);
        self.last_check = now;
        self.last_position = machine.position();
        if positions == 0 {
            return None;
        }
        let target = self.target();
        let current = machine.mtime();
        let error = i128::from(target) - i128::from(current);
        let positions_per_second = positions as f64 / interval.as_secs_f64();
        // Far behind: jump to the wall clock and go on at the nominal rate; otherwise steer
        // the rate so that the error closes over the correction horizon.
        let jump = error > JUMP_TICKS;
        let steer = if jump { 0.0 } else { error as f64 / CORRECTION };
        let wanted = (TICKS_PER_SECOND as f64 + steer).clamp(
            TICKS_PER_SECOND as f64 / 100.0,
            TICKS_PER_SECOND as f64 * 100.0,
        );
        let rate = (wanted / positions_per_second * (1u64 << 32) as f64) as u64;
        let old = machine.clock_rate() as f64;
        let rate_changed = (rate as f64 - old).abs() > old * RATE_TOLERANCE;
        if error.abs() < TOLERANCE_TICKS && !rate_changed {
            return None;
        }
        let mtime = if jump { target } else { current };
        Some(InputEvent::ClockAnchor { mtime, rate })
    }
}

/// The host's wall clock in nanoseconds since the Unix epoch, recorded with clock anchors.
pub fn host_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
