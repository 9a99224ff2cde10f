//! `vmft run`: the loop that drives the machine, connects its console and network to the
//! host, keeps its clock on the host's, lets an idle guest sleep in real time, records its
//! inputs when asked, and turns the guest's outcome into an exit status.

use std::fs;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use hostio::{FileDisk, Tap};
use machine::{Boot, Devices, FirmwareBoot, InputEvent, Machine, MachineConfig, Program, RunExit};
use replay::Fingerprint;

use crate::clock::{host_ns, HostClock};
use crate::config::{BootConfig, RunConfig};
use crate::host::{host_entropy, ConsoleOutput, HostInput, Wait};
use crate::record::{end_reason, entry_for, FingerprintBuilder, Recorder};

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

fn read(what: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// A machine built from a configuration, with its identity.
pub struct Built {
    /// The machine.
    pub machine: Machine,
    /// The TAP device, when the host side is attached.
    pub tap: Option<Tap>,
    /// What identifies the machine's initial state in an input log.
    pub fingerprint: Fingerprint,
}

/// Builds the machine the configuration describes. With `attach_host`, the network device is
/// connected to its TAP interface; a replay leaves it unconnected. With `resume`, the machine
/// starts from that snapshot instead of the configuration's own start (a boot, or
/// `--restore`), which still defines the fingerprint: a replay joining a recording part way.
pub fn build(
    config: &RunConfig,
    attach_host: bool,
    resume: Option<&Path>,
) -> anyhow::Result<Built> {
    let mut fp = FingerprintBuilder::default();
    fp.part("ram", &config.ram_size.to_le_bytes());
    let boot = match &config.boot {
        BootConfig::BareMetal { program } => {
            let path = program.display().to_string();
            let loaded = Program::load(program).context(path)?;
            fp.part("program", &read("program", program)?);
            Boot::Program(loaded)
        }
        BootConfig::Firmware {
            firmware,
            kernel,
            initrd,
            append,
        } => {
            let boot = FirmwareBoot {
                firmware: read("firmware", firmware)?,
                kernel: read("kernel", kernel)?,
                initrd: initrd.as_deref().map(|p| read("initrd", p)).transpose()?,
                bootargs: append.clone(),
            };
            fp.part("firmware", &boot.firmware)
                .part("kernel", &boot.kernel)
                .part("initrd", boot.initrd.as_deref().unwrap_or_default())
                .part("bootargs", boot.bootargs.as_bytes());
            Boot::Firmware(boot)
        }
    };
    let firmware_boot = matches!(boot, Boot::Firmware(_));
    let mut devices = Devices {
        entropy: firmware_boot,
        ..Devices::default()
    };
    fp.part("entropy", &[u8::from(firmware_boot)]);
    if let Some(drive) = &config.drive {
        let disk = FileDisk::open(&drive.path, drive.read_only)?;
        fp.part("disk", &virtio::DiskBackend::len(&disk).to_le_bytes());
        devices.disk = Some((Box::new(disk), drive.read_only));
    }
    let tap = match &config.net {
        Some(net) => {
            devices.net = Some(net.mac);
            fp.part("mac", &net.mac);
            attach_host.then(|| Tap::open(&net.tap)).transpose()?
        }
        None => None,
    };
    let machine_config = MachineConfig {
        ram_size: config.ram_size,
    };
    let mut start = match &config.restore {
        Some(path) => {
            let snapshot = read("snapshot", path)?;
            fp.part("snapshot", &snapshot);
            Some((path.as_path(), snapshot))
        }
        None => None,
    };
    if let Some(path) = resume {
        start = Some((path, read("snapshot", path)?));
    }
    let machine = match start {
        Some((path, snapshot)) => {
            Machine::restore_snapshot(machine_config, boot, devices, snapshot.as_slice())
                .with_context(|| format!("restoring {}", path.display()))?
        }
        None => Machine::with_devices(machine_config, boot, devices)?,
    };
    Ok(Built {
        machine,
        tap,
        fingerprint: fp.finish(),
    })
}

/// Applies an input event at the machine's position, logging it first when recording.
fn apply(
    machine: &mut Machine,
    recorder: &mut Option<Recorder>,
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
    recorder: &mut Option<Recorder>,
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

/// Prints `vmft: N instructions in S s (M MIPS)` to standard error.
pub fn print_stats(machine: &Machine, start: Instant) {
    let seconds = start.elapsed().as_secs_f64();
    let instructions = machine.position();
    let mips = if seconds > 0.0 {
        instructions as f64 / seconds / 1e6
    } else {
        0.0
    };
    eprintln!("vmft: {instructions} instructions in {seconds:.3} s ({mips:.1} MIPS)");
}

/// Loads the guest, runs it to its end and returns the exit status.
pub fn run(config: RunConfig) -> anyhow::Result<ExitCode> {
    let Built {
        mut machine,
        mut tap,
        fingerprint,
    } = build(&config, true, None)?;
    let mut recorder = config
        .record
        .as_deref()
        .map(|path| Recorder::create(path, fingerprint, &mut machine))
        .transpose()?;
    let limit = config.max_instructions.unwrap_or(u64::MAX);
    let mut save_at = config.save_at.clone();
    let mut next_digest = (machine.position() / DIGEST_INTERVAL + 1) * DIGEST_INTERVAL;
    let mut input = HostInput::start(tap.as_ref()).context("starting the input threads")?;
    let mut output = ConsoleOutput::default();
    let mut clock = HostClock::start(machine.position(), machine.mtime());
    let start = Instant::now();
    let (status, last_exit) = loop {
        let horizon = clock.horizon(&machine);
        if horizon <= machine.position() {
            // The guest's clock is a full lead ahead of the wall clock (too few positions
            // since the last check to re-anchor it from): let the wall clock catch up.
            let held = Instant::now();
            input.wait(Some(clock.until(machine.mtime(), 0)));
            clock.held_since(held);
            for event in input.take_events(&machine) {
                apply(&mut machine, &mut recorder, event)?;
            }
            continue;
        }
        let stop = save_at.as_ref().map_or(limit, |(at, _)| limit.min(*at));
        let exit = machine.run(stop.min(horizon));
        let at_lead = exit == RunExit::Limit && machine.position() < stop;
        let exit = if at_lead { RunExit::Slice } else { exit };
        output.write(&machine.take_output());
        if let Some((at, path)) = save_at.as_ref().filter(|(at, _)| machine.position() >= *at) {
            if machine.position() == *at {
                snapshot_now(&mut machine, &mut recorder, &mut clock, path)?;
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
            r.checkpoint(&mut machine)?;
            next_digest = (machine.position() / DIGEST_INTERVAL + 1) * DIGEST_INTERVAL;
        }
        for frame in machine.take_transmitted_frames() {
            if let Some(t) = tap.as_mut() {
                if let Err(e) = t.send(&frame) {
                    eprintln!(
                        "vmft: writing TAP {}: {e}; dropping the guest's network",
                        t.name()
                    );
                    tap = None;
                }
            }
        }
        if machine.wants_entropy() {
            let bytes = host_entropy(ENTROPY_CHUNK).context("reading host entropy")?;
            apply(&mut machine, &mut recorder, InputEvent::Entropy(bytes))?;
        }
        if input.take_snapshot_request() {
            let path = std::path::PathBuf::from(format!("vmft-{}.snap", machine.position()));
            snapshot_now(&mut machine, &mut recorder, &mut clock, &path)?;
        }
        if input.quit_requested() {
            eprint!("\r\nvmft: quit from the console\r\n");
            break (0, exit);
        }
        match exit {
            RunExit::Slice | RunExit::Reset => {
                let anchor = if at_lead {
                    clock.at_lead(&machine)
                } else {
                    clock.correct(&machine)
                };
                if let Some(anchor) = anchor {
                    apply(&mut machine, &mut recorder, anchor)?;
                }
                for event in input.take_events(&machine) {
                    apply(&mut machine, &mut recorder, event)?;
                }
            }
            RunExit::Idle { wake_in } => {
                // The guest sleeps: wait until the wall clock reaches its timer deadline (or
                // input arrives), then move its clock on to the wall clock's, so that it
                // wakes on time and on the wall clock.
                if let Some(r) = recorder.as_mut() {
                    r.flush()?;
                }
                let mtime = machine.mtime();
                let woke = input.wait(wake_in.map(|ticks| clock.until(mtime, ticks)));
                if woke == Wait::Closed {
                    eprintln!("vmft: guest is idle (wfi) with no timer armed and no input left");
                    break (EXIT_IDLE, exit);
                }
                // Catch up with the wall clock; a timer wake-up reaches at least the deadline.
                let caught_up = clock.target().saturating_sub(mtime);
                let skip = match (wake_in, woke) {
                    (Some(ticks), Wait::Timeout) => ticks.max(caught_up),
                    _ => caught_up,
                };
                if skip > 0 {
                    apply(&mut machine, &mut recorder, InputEvent::TimeSkip(skip))?;
                }
                clock.resume(machine.position());
                for event in input.take_events(&machine) {
                    apply(&mut machine, &mut recorder, event)?;
                }
            }
            RunExit::Poweroff => break (0, exit),
            RunExit::Fail(code) => break (code.clamp(1, 255) as u8, exit),
            RunExit::Limit => {
                eprintln!("vmft: instruction limit reached ({limit} instructions)");
                break (EXIT_LIMIT, exit);
            }
        }
    };
    if let Some(r) = recorder {
        r.finish(&mut machine, end_reason(last_exit))?;
    }
    if config.stats {
        print_stats(&machine, start);
    }
    Ok(ExitCode::from(status))
}
