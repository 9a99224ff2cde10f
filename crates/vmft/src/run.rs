//! `vmft run`: the loop that drives the machine, connects its console and network to the
//! host, lets an idle guest sleep in real time, and turns the guest's outcome into an exit
//! status.

use std::fs;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use hostio::{FileDisk, Tap};
use machine::{Boot, Devices, FirmwareBoot, InputEvent, Machine, MachineConfig, Program, RunExit};

use crate::config::{BootConfig, RunConfig};
use crate::host::{host_entropy, ConsoleOutput, HostInput, Wait};

/// Exit status for bad arguments or an unloadable program.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status when the guest idles with nothing left that could wake it.
const EXIT_IDLE: u8 = 1;
/// Exit status when `--max-instructions` runs out (as `timeout(1)`).
const EXIT_LIMIT: u8 = 124;
/// Timer ticks per second (the CLINT's 10 MHz).
const TICKS_PER_SECOND: u64 = 10_000_000;
/// Entropy handed to the guest each time its entropy device runs dry.
const ENTROPY_CHUNK: usize = 64;

fn read(what: &str, path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// Builds the machine the configuration describes.
fn build(config: &RunConfig) -> anyhow::Result<(Machine, Option<Tap>)> {
    let boot = match &config.boot {
        BootConfig::BareMetal { program } => {
            let path = program.display().to_string();
            Boot::Program(Program::load(program).context(path)?)
        }
        BootConfig::Firmware {
            firmware,
            kernel,
            initrd,
            append,
        } => Boot::Firmware(FirmwareBoot {
            firmware: read("firmware", firmware)?,
            kernel: read("kernel", kernel)?,
            initrd: initrd.as_deref().map(|p| read("initrd", p)).transpose()?,
            bootargs: append.clone(),
        }),
    };
    let firmware_boot = matches!(boot, Boot::Firmware(_));
    let mut devices = Devices {
        entropy: firmware_boot,
        ..Devices::default()
    };
    if let Some(drive) = &config.drive {
        let disk = FileDisk::open(&drive.path, drive.read_only)?;
        devices.disk = Some((Box::new(disk), drive.read_only));
    }
    let tap = match &config.net {
        Some(net) => {
            devices.net = Some(net.mac);
            Some(Tap::open(&net.tap)?)
        }
        None => None,
    };
    let machine = Machine::with_devices(
        MachineConfig {
            ram_size: config.ram_size,
        },
        boot,
        devices,
    )?;
    Ok((machine, tap))
}

/// Loads the guest, runs it to its end and returns the exit status.
pub fn run(config: RunConfig) -> anyhow::Result<ExitCode> {
    let (mut machine, mut tap) = build(&config)?;
    let limit = config.max_instructions.unwrap_or(u64::MAX);
    let mut input = HostInput::start(tap.as_ref()).context("starting the input threads")?;
    let mut output = ConsoleOutput::default();
    let start = Instant::now();
    let status = loop {
        let exit = machine.run(limit);
        output.write(&machine.take_output());
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
            machine.inject(InputEvent::Entropy(
                host_entropy(ENTROPY_CHUNK).context("reading host entropy")?,
            ));
        }
        if input.quit_requested() {
            eprint!("\r\nvmft: quit from the console\r\n");
            break 0;
        }
        match exit {
            RunExit::Slice | RunExit::Reset => input.inject_into(&mut machine),
            RunExit::Idle { wake_in } => {
                // The guest sleeps: wait in real time for its timer or for input, then let
                // virtual time catch up by what passed (never past the timer's deadline).
                let asleep = Instant::now();
                let timeout = wake_in.map(|ticks| {
                    Duration::from_nanos(ticks.saturating_mul(1_000_000_000 / TICKS_PER_SECOND))
                });
                let woke = input.wait(timeout);
                if woke == Wait::Closed {
                    eprintln!("vmft: guest is idle (wfi) with no timer armed and no input left");
                    break EXIT_IDLE;
                }
                let slept = asleep.elapsed().as_nanos() as u64 / (1_000_000_000 / TICKS_PER_SECOND);
                let skip = match (wake_in, woke) {
                    (Some(ticks), Wait::Timeout) => ticks,
                    (Some(ticks), _) => slept.min(ticks),
                    (None, _) => slept,
                };
                if skip > 0 {
                    machine.inject(InputEvent::TimeSkip(skip));
                }
                input.inject_into(&mut machine);
            }
            RunExit::Poweroff => break 0,
            RunExit::Fail(code) => break code.clamp(1, 255) as u8,
            RunExit::Limit => {
                eprintln!("vmft: instruction limit reached ({limit} instructions)");
                break EXIT_LIMIT;
            }
        }
    };
    if config.stats {
        let seconds = start.elapsed().as_secs_f64();
        let instructions = machine.position();
        let mips = if seconds > 0.0 {
            instructions as f64 / seconds / 1e6
        } else {
            0.0
        };
        eprintln!("vmft: {instructions} instructions in {seconds:.3} s ({mips:.1} MIPS)");
    }
    Ok(ExitCode::from(status))
}
