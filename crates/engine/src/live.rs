//! The live run loop: drives the machine, takes its inputs from the host, keeps its clock on
//! the host's, lets an idle guest sleep in real time, logs every input to a recorder when
//! there is one (a file, or a primary's logging channel), and hands its outputs on. `vmft run`
//! is [`run`]; a primary and a backup gone live run the same loop with other outputs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use machine::{InputEvent, Machine, RunExit};

use crate::clock::{host_ns, HostClock};
use crate::config::RunConfig;
use crate::host::{host_entropy, HostInput, Wait};
use crate::output::{collect, DirectOutputs, Outputs};
use crate::record::{end_reason, entry_for, Recorder};
use crate::setup::{build, Built};

/// Exit status for bad arguments or an unloadable program.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status when the guest idles with nothing left that could wake it.
const EXIT_IDLE: u8 = 1;
/// Exit status when `--max-instructions` runs out (as `timeout(1)`).
pub const EXIT_LIMIT: u8 = 124;
/// Entropy handed to the guest each time its entropy device runs dry.
const ENTROPY_CHUNK: usize = 64;
/// Positions between state digests in a recording (a few tenths of a second of a busy
/// guest; digests rehash only the pages written since the previous one), plus one at the end.
pub const DIGEST_INTERVAL: u64 = 1 << 28;

/// Applies an input event at the machine's position, logging it first when recording.
fn apply(
    machine: &mut Machine,
    recorder: &mut Option<&mut Recorder>,
    event: InputEvent,
) -> anyhow::Result<()> {
    if let Some(r) = recorder {
        r.append(&entry_for(machine.position(), &event, host_ns()))?;
    }
    machine.inject(event);
    Ok(())
}

/// Saves a snapshot of `machine` to `path`, and logs it when recording.
///
/// Saving takes a while (seconds for a large guest) in which the guest does not run: `clock`
/// restarts its throughput measurement afterwards, or the pause would count as busy time and
/// the next rate correction would make the guest's clock race (a timer interrupt storm). The
/// wall time that passed still reaches the guest, as one jump of its clock.
fn snapshot_now(
    machine: &mut Machine,
    recorder: &mut Option<&mut Recorder>,
    clock: &mut HostClock,
    path: &Path,
) -> anyhow::Result<()> {
    let name = path.display().to_string();
    let file = fs::File::create(path).with_context(|| format!("cannot create snapshot {name}"))?;
    let mut out = std::io::BufWriter::new(file);
    machine
        .save_snapshot(&mut out)
        .with_context(|| format!("saving snapshot {name}"))?;
    std::io::Write::flush(&mut out).with_context(|| format!("saving snapshot {name}"))?;
    eprint!(
        "\r\nvmft: saved snapshot {name} at position {}\r\n",
        machine.position()
    );
    if let Some(r) = recorder {
        r.snapshot(machine, name)?;
    }
    clock.resume(machine.position());
    Ok(())
}

/// Prints `vmft: N instructions in S s (M MIPS)` to standard error, and what the JIT did
/// when it compiled anything.
pub fn print_stats(machine: &Machine, start: Instant) {
    let seconds = start.elapsed().as_secs_f64();
    let instructions = machine.position();
    let mips = if seconds > 0.0 {
        instructions as f64 / seconds / 1e6
    } else {
        0.0
    };
    eprintln!("vmft: {instructions} instructions in {seconds:.3} s ({mips:.1} MIPS)");
    let jit = machine.jit_stats();
    if jit.compiled > 0 {
        eprintln!(
            "vmft: jit compiled {} blocks in {:.3} s ({} KiB of code now), {} dropped by \
             writes, {} evictions; {} entries, {} side exits, {} lookup misses, {} jump-cache \
             fills; {:.1}% of instructions retired by compiled code",
            jit.compiled,
            jit.compile_nanos as f64 / 1e9,
            jit.code_bytes >> 10,
            jit.invalidated,
            jit.evictions,
            jit.entries,
            jit.side_exits,
            jit.lookup_misses,
            jit.jump_cache_fills,
            jit.compiled_instructions as f64 * 100.0 / instructions.max(1) as f64
        );
    }
}

/// Work a front end does between two slices of a live run, with the guest stopped: a
/// primary's live state transfer to a joining backup. Each call should take about a
/// millisecond at most, so that the guest hardly notices.
pub trait BetweenSlices {
    /// Does a piece of the work on `machine`, whose recorder (if any) it may replace (a new
    /// log from the current position). Returns true while work is pending: an idle guest's
    /// run loop then does not sleep.
    fn between_slices(
        &mut self,
        machine: &mut Machine,
        recorder: Option<&mut Recorder>,
    ) -> anyhow::Result<bool>;
}

/// What a live run does besides running the guest.
pub struct LiveRun<'a> {
    /// Logs every input (and checkpoints) when present.
    pub recorder: Option<&'a mut Recorder>,
    /// Where console bytes and frames go.
    pub outputs: &'a mut dyn Outputs,
    /// The host's console and network input.
    pub input: &'a mut HostInput,
    /// Stop with [`EXIT_LIMIT`] at this position.
    pub limit: u64,
    /// Save a snapshot to the file when the position reaches this one.
    pub save_at: Option<(u64, PathBuf)>,
    /// Work between slices, if any.
    pub between: Option<&'a mut dyn BetweenSlices>,
}

/// Runs `machine` live until the guest powers off or fails, the limit runs out or the user
/// quits. Returns the exit status and the machine's last exit.
pub fn run_live(machine: &mut Machine, run: LiveRun<'_>) -> anyhow::Result<(u8, RunExit)> {
    let LiveRun {
        mut recorder,
        outputs,
        input,
        limit,
        mut save_at,
        mut between,
    } = run;
    let mut next_digest = (machine.position() / DIGEST_INTERVAL + 1) * DIGEST_INTERVAL;
    let mut clock = HostClock::start(machine.position(), machine.mtime());
    loop {
        let horizon = clock.horizon(machine);
        if horizon <= machine.position() {
            // The guest's clock is a full lead ahead of the wall clock (too few positions
            // since the last check to re-anchor it from): let the wall clock catch up.
            let held = Instant::now();
            input.wait(Some(clock.until(machine.mtime(), 0)));
            clock.held_since(held);
            for event in input.take_events(machine) {
                apply(machine, &mut recorder, event)?;
            }
            continue;
        }
        let stop = save_at.as_ref().map_or(limit, |(at, _)| limit.min(*at));
        let exit = machine.run(stop.min(horizon));
        let at_lead = exit == RunExit::Limit && machine.position() < stop;
        let exit = if at_lead { RunExit::Slice } else { exit };
        collect(machine, machine.position(), outputs);
        if let Some((at, path)) = save_at.as_ref().filter(|(at, _)| machine.position() >= *at) {
            if machine.position() == *at {
                snapshot_now(machine, &mut recorder, &mut clock, path)?;
            } else {
                eprintln!("vmft: position {at} passed before --save-at could take it");
            }
            save_at = None;
            if exit == RunExit::Limit && machine.position() < limit {
                continue;
            }
        }
        if let Some(r) = recorder
            .as_mut()
            .filter(|_| machine.position() >= next_digest)
        {
            r.checkpoint(machine)?;
            next_digest = (machine.position() / DIGEST_INTERVAL + 1) * DIGEST_INTERVAL;
        }
        if machine.wants_entropy() {
            let bytes = host_entropy(ENTROPY_CHUNK).context("reading host entropy")?;
            apply(machine, &mut recorder, InputEvent::Entropy(bytes))?;
        }
        if input.take_snapshot_request() {
            let path = PathBuf::from(format!("vmft-{}.snap", machine.position()));
            snapshot_now(machine, &mut recorder, &mut clock, &path)?;
        }
        if input.quit_requested() {
            eprint!("\r\nvmft: quit from the console\r\n");
            return Ok((0, exit));
        }
        match exit {
            RunExit::Slice | RunExit::Reset => {
                let anchor = if at_lead {
                    clock.at_lead(machine)
                } else {
                    clock.correct(machine)
                };
                if let Some(anchor) = anchor {
                    apply(machine, &mut recorder, anchor)?;
                }
                for event in input.take_events(machine) {
                    apply(machine, &mut recorder, event)?;
                }
                if let Some(work) = between.as_mut() {
                    work.between_slices(machine, recorder.as_deref_mut())?;
                }
                if let Some(pause) = progress(machine, &mut recorder)? {
                    // Flow control: the backup lags; slow down (the wall clock goes on, and
                    // the guest's clock follows it), never stop.
                    let held = Instant::now();
                    std::thread::sleep(pause);
                    clock.held_since(held);
                }
            }
            RunExit::Idle { wake_in } => {
                // The guest sleeps: wait until the wall clock reaches its timer deadline (or
                // input arrives), then move its clock on to the wall clock's, so that it
                // wakes on time and on the wall clock.
                let busy = match between.as_mut() {
                    Some(work) => work.between_slices(machine, recorder.as_deref_mut())?,
                    None => false,
                };
                if let Some(r) = recorder.as_mut() {
                    r.flush()?;
                }
                progress(machine, &mut recorder)?;
                let mtime = machine.mtime();
                // Work pending between slices goes on while the guest sleeps: wait no longer
                // than it takes to look for input.
                let timeout = match busy {
                    true => Some(std::time::Duration::ZERO),
                    false => wake_in.map(|ticks| clock.until(mtime, ticks)),
                };
                let woke = input.wait(timeout);
                if woke == Wait::Closed {
                    eprintln!("vmft: guest is idle (wfi) with no timer armed and no input left");
                    return Ok((EXIT_IDLE, exit));
                }
                // Catch up with the wall clock; a timer wake-up reaches at least the deadline.
                let caught_up = clock.target().saturating_sub(mtime);
                // (Only a real sleep reaches the deadline: a busy loop's zero wait does not.)
                let skip = match (wake_in, woke) {
                    (Some(ticks), Wait::Timeout) if !busy => ticks.max(caught_up),
                    _ => caught_up,
                };
                if skip > 0 {
                    apply(machine, &mut recorder, InputEvent::TimeSkip(skip))?;
                }
                clock.resume(machine.position());
                for event in input.take_events(machine) {
                    apply(machine, &mut recorder, event)?;
                }
            }
            RunExit::Poweroff => return Ok((0, exit)),
            RunExit::Fail(code) => return Ok((code.clamp(1, 255) as u8, exit)),
            RunExit::Limit => {
                eprintln!("vmft: instruction limit reached ({limit} instructions)");
                return Ok((EXIT_LIMIT, exit));
            }
        }
    }
}

/// Tells the recorder, if any, how far the machine got; returns the pause it asks for.
fn progress(
    machine: &Machine,
    recorder: &mut Option<&mut Recorder>,
) -> anyhow::Result<Option<std::time::Duration>> {
    match recorder {
        Some(r) => r.progress(machine),
        None => Ok(None),
    }
}

/// `vmft run`: loads the guest, runs it to its end and returns the exit status.
pub fn run(config: RunConfig) -> anyhow::Result<ExitCode> {
    let Built {
        mut machine,
        tap,
        fingerprint,
    } = build(&config, true, None)?;
    let mut recorder = config
        .record
        .as_deref()
        .map(|path| Recorder::create(path, fingerprint, &mut machine))
        .transpose()?;
    let mut input = HostInput::start(tap.as_ref()).context("starting the input threads")?;
    let mut outputs = DirectOutputs::new(tap);
    let start = Instant::now();
    let (status, last_exit) = run_live(
        &mut machine,
        LiveRun {
            recorder: recorder.as_mut(),
            outputs: &mut outputs,
            input: &mut input,
            limit: config.max_instructions.unwrap_or(u64::MAX),
            save_at: config.save_at.clone(),
            between: None,
        },
    )?;
    if let Some(r) = recorder {
        r.finish(&mut machine, end_reason(last_exit))?;
    }
    if config.stats {
        print_stats(&machine, start);
    }
    Ok(ExitCode::from(status))
}
