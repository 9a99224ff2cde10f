//! Keeping the guest's clock on the host's: the front end's side of virtual time.
//!
//! The machine's `mtime` is a function of its position and of clock events in the input log.
//! While the guest is busy, [`HostClock::correct`] compares `mtime` with the wall time since
//! the machine started and re-anchors the rate so that the guest converges on the wall clock
//! within `CORRECTION` seconds; while the guest idles, the run loop sleeps until the wall clock
//! reaches the guest's timer deadline and then skips `mtime` forward by the time that passed.
//!
//! A rate is a prediction: it is measured from the positions per second of the last interval,
//! and a guest that was slow then (printing, waiting on devices) may compute flat out next.
//! Running behind is corrected at the next check; running ahead is not allowed at all: the
//! run loop never lets a slice take the guest's clock more than `LEAD_TICKS` past the wall
//! clock ([`HostClock::horizon`]), and a guest that reaches that lead is re-anchored at once
//! from the speed it just showed, or with half its rate when it reached the lead too soon
//! to be measured ([`HostClock::at_lead`]).

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
/// How far the guest's clock may run ahead of the wall clock.
const LEAD_TICKS: u64 = TICKS_PER_SECOND / 1000;
/// Fewest positions from which a guest's speed is measured when it reaches the lead (one
/// machine slice); after fewer, its rate is halved instead.
const MIN_MEASURED_POSITIONS: u64 = machine::SLICE_INSTRUCTIONS;
/// The slowest speed, in positions per second, a measurement is believed. The interpreter
/// alone runs a hundred million or more; a measurement far below that was taken over an
/// interval in which the host did not run the guest (descheduled, compiling, busy with I/O).
/// Believing it would anchor a rate of many ticks per position, and the guest, held at its
/// lead of a few positions at a time, would crawl for seconds while its clock raced (a timer
/// interrupt storm) until it had run enough positions to be measured again. A guest that
/// really is slower falls behind the wall clock and is moved forward by jumps instead.
const SLOWEST_BELIEVED_SPEED: f64 = 4_000_000.0;

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

    /// Leaves the time since `since`, in which the run loop held the guest back, out of the
    /// throughput measurement, which goes on: the positions run before and after the hold
    /// add up until they are enough to measure from.
    pub fn held_since(&mut self, since: Instant) {
        self.last_check += since.elapsed();
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

    /// The position at which the guest's clock, at its current rate, would be `LEAD_TICKS`
    /// ahead of the wall clock as it reads now: where the next slice must stop. The current
    /// position when the guest is that far ahead already.
    pub fn horizon(&self, machine: &Machine) -> u64 {
        let room = self
            .target()
            .saturating_add(LEAD_TICKS)
            .saturating_sub(machine.mtime());
        let rate = u128::from(machine.clock_rate().max(1));
        let positions = (u128::from(room) << 32) / rate;
        machine
            .position()
            .saturating_add(u64::try_from(positions).unwrap_or(u64::MAX))
    }

    /// Called when the guest reached its [`HostClock::horizon`]: its clock runs faster than
    /// the wall clock. Returns an anchor with the rate measured from the positions it ran
    /// since the last check; when they are too few to measure from, with half the current
    /// rate (twice the positions per tick), and the measurement starts again.
    ///
    /// A guest that reaches its lead so soon runs faster than its rate assumes (it was
    /// measured while slow: booting on the interpreter, or waiting on devices). Held at the
    /// lead, it would run a few dozen positions at a time as the wall clock moved on, at the
    /// speed its rate assumes and no faster, and a later measurement would only find that
    /// speed again: measured over held time, a guest can never show it is faster. Halving
    /// lets it run; the next check measures it and steers its clock back onto the wall's.
    pub fn at_lead(&mut self, machine: &Machine) -> Option<InputEvent> {
        let positions = machine.position().saturating_sub(self.last_position);
        if positions < MIN_MEASURED_POSITIONS {
            self.resume(machine.position());
            let rate = (machine.clock_rate() / 2).max(1);
            return Some(InputEvent::ClockAnchor {
                mtime: machine.mtime(),
                rate,
            });
        }
        let (mtime, rate, _) = self.steer(machine, Instant::now(), positions);
        Some(InputEvent::ClockAnchor { mtime, rate })
    }

    /// Called between slices of a busy guest: a clock anchor that steers the guest's time
    /// back onto the wall clock, if it has drifted.
    pub fn correct(&mut self, machine: &Machine) -> Option<InputEvent> {
        let now = Instant::now();
        if now.duration_since(self.last_check) < CHECK_INTERVAL {
            return None;
        }
        let positions = machine.position().saturating_sub(self.last_position);
        if positions == 0 {
            self.resume(machine.position());
            return None;
        }
        let (mtime, rate, error) = self.steer(machine, now, positions);
        let old = machine.clock_rate() as f64;
        let rate_changed = (rate as f64 - old).abs() > old * RATE_TOLERANCE;
        if error.abs() < TOLERANCE_TICKS && !rate_changed {
            return None;
        }
        Some(InputEvent::ClockAnchor { mtime, rate })
    }

    /// The anchor (`mtime` and rate) that steers the guest, which ran `positions` since the
    /// last check, onto the wall clock at `now`, and the guest's error (wall minus guest) in
    /// ticks; starts the next measurement interval.
    fn steer(&mut self, machine: &Machine, now: Instant, positions: u64) -> (u64, u64, i128) {
        let interval = now.duration_since(self.last_check).as_secs_f64().max(1e-6);
        self.last_check = now;
        self.last_position = machine.position();
        let target = self.target();
        let current = machine.mtime();
        let error = i128::from(target) - i128::from(current);
        let positions_per_second = (positions as f64 / interval).max(SLOWEST_BELIEVED_SPEED);
        // Far behind: jump to the wall clock and go on at the nominal rate; otherwise steer
        // the rate so that the error closes over the correction horizon.
        let jump = error > JUMP_TICKS;
        let steer = if jump { 0.0 } else { error as f64 / CORRECTION };
        let wanted = (TICKS_PER_SECOND as f64 + steer).clamp(
            TICKS_PER_SECOND as f64 / 100.0,
            TICKS_PER_SECOND as f64 * 100.0,
        );
        let rate = (wanted / positions_per_second * (1u64 << 32) as f64) as u64;
        let mtime = if jump { target } else { current };
        (mtime, rate.max(1), error)
    }
}

/// The host's wall clock in nanoseconds since the Unix epoch, recorded with clock anchors.
pub fn host_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use machine::{MachineConfig, Program};

    /// A machine whose program spins forever (`j .`), with its clock advancing `rate` /
    /// 2^32 ticks per position.
    fn spinning(rate: u64) -> Machine {
        let program = Program::parse(&0x0000_006f_u32.to_le_bytes()).expect("a raw binary");
        let mut m = Machine::new(MachineConfig { ram_size: 1 << 20 }, program).expect("machine");
        let mtime = m.mtime();
        m.inject(InputEvent::ClockAnchor { mtime, rate });
        m
    }

    #[test]
    fn the_horizon_stops_the_guest_a_lead_ahead_of_the_wall_clock() {
        let mut m = spinning(1 << 32);
        let clock = HostClock::start(m.position(), m.mtime());
        let start = m.mtime();
        let horizon = clock.horizon(&m);
        assert!(
            horizon >= m.position() + LEAD_TICKS,
            "one tick per position"
        );
        while m.position() < horizon {
            m.run(horizon);
        }
        // The guest reached the lead over the wall clock as it read when the horizon was
        // taken, and no more: the wall clock has only moved on since.
        assert!(m.mtime() >= start + LEAD_TICKS);
        assert!(m.mtime() <= clock.target() + LEAD_TICKS);
        assert!(clock.horizon(&m) <= m.position() + (clock.target() - start));
    }

    #[test]
    fn a_guest_at_its_lead_is_re_anchored_from_its_speed_or_with_half_its_rate() {
        // 10 ticks per position: the lead is reached after 1000 positions, too few to
        // measure from: the rate is halved, the clock not moved.
        let mut m = spinning(10 << 32);
        let mut clock = HostClock::start(m.position(), m.mtime());
        let horizon = clock.horizon(&m);
        m.run(horizon);
        let mtime = m.mtime();
        match clock.at_lead(&m) {
            Some(InputEvent::ClockAnchor { mtime: at, rate }) => {
                assert_eq!(at, mtime, "a guest ahead is slowed, never moved");
                assert_eq!(rate, 5 << 32, "half the rate");
            }
            other => panic!("expected a clock anchor, got {other:?}"),
        }

        // An eighth of a tick per position: more than a slice of positions to measure from.
        let mut m = spinning(1 << 29);
        let mut clock = HostClock::start(m.position(), m.mtime());
        let horizon = clock.horizon(&m);
        while m.position() < horizon {
            m.run(horizon);
        }
        let mtime = m.mtime();
        match clock.at_lead(&m) {
            Some(InputEvent::ClockAnchor { mtime: at, rate }) => {
                assert_eq!(at, mtime, "a guest ahead is slowed, never moved");
                assert!(rate > 0);
                assert_ne!(rate, 1 << 28, "measured, not halved");
            }
            other => panic!("expected a clock anchor, got {other:?}"),
        }
    }

    #[test]
    fn a_guest_whose_clock_rate_is_far_too_high_runs_free_after_a_few_anchors() {
        // 10 ticks per position: every slice reaches the lead after 1000 positions. Held
        // there, the guest would run at the speed its rate assumes (a million positions a
        // second) and never show more. The anchors at its lead must bring the rate below a
        // tick per position (the guest runs far more than ten million positions a second)
        // within a few dozen leads, whatever the host's load.
        let mut m = spinning(10 << 32);
        let mut clock = HostClock::start(m.position(), m.mtime());
        for _ in 0..40 {
            if m.clock_rate() < 1 << 32 {
                return;
            }
            let horizon = clock.horizon(&m);
            if horizon <= m.position() {
                let held = Instant::now();
                std::thread::sleep(clock.until(m.mtime(), 0));
                clock.held_since(held);
                continue;
            }
            m.run(horizon);
            if let Some(anchor) = clock.at_lead(&m) {
                m.inject(anchor);
            }
        }
        panic!("the rate is still {} after 40 leads", m.clock_rate());
    }

    #[test]
    fn a_check_after_the_host_did_not_run_the_guest_leaves_it_room_to_run() {
        // The guest runs a few positions, then the host does not run it for 50 ms (a
        // descheduled process): the check sees a guest behind the wall clock and apparently
        // slow. Its anchor must still let the guest run enough positions per lead to be
        // measured again within a hundred leads (a tenth of a second), not crawl for seconds.
        let mut m = spinning(1 << 28);
        let mut clock = HostClock::start(m.position(), m.mtime());
        m.run(m.position() + 10);
        std::thread::sleep(Duration::from_millis(50));
        let anchor = clock
            .correct(&m)
            .expect("a guest 50 ms behind is re-anchored");
        m.inject(anchor);
        let lead = clock.horizon(&m) - m.position();
        let room = clock.target() + LEAD_TICKS - m.mtime();
        let per_lead = lead * LEAD_TICKS / room.max(1);
        assert!(
            per_lead * 100 >= MIN_MEASURED_POSITIONS,
            "{per_lead} positions per lead of {LEAD_TICKS} ticks"
        );
    }
}
