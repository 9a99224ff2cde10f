//! `vmft run`: the loop that drives the machine, connects its console to the host and turns
//! the guest's outcome into an exit status.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use machine::{InputEvent, Machine, MachineConfig, Program, RunExit};

use crate::config::RunConfig;
use crate::console::{ConsoleInput, ConsoleOutput};

/// Exit status for bad arguments or an unloadable program.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status when the guest idles with nothing left that could wake it.
const EXIT_IDLE: u8 = 1;
/// Exit status when `--max-instructions` runs out (as `timeout(1)`).
const EXIT_LIMIT: u8 = 124;

/// Loads the program, runs it to its end and returns the exit status.
pub fn run(config: RunConfig) -> anyhow::Result<ExitCode> {
    let path = config.kernel.display().to_string();
    let program = Program::load(&config.kernel).with_context(|| path.clone())?;
    let mut machine = Machine::new(
        MachineConfig {
            ram_size: config.ram_size,
        },
        program,
    )
    .context(path)?;
    let limit = config.max_instructions.unwrap_or(u64::MAX);

    let mut input = ConsoleInput::start();
    let mut output = ConsoleOutput::default();
    let start = Instant::now();
    let status = loop {
        let exit = machine.run(limit);
        output.write(&machine.take_output());
        match exit {
            RunExit::Slice | RunExit::Reset => {
                if let Some(bytes) = input.take_ready(machine.console_backlog()) {
                    machine.inject(InputEvent::ConsoleBytes(bytes));
                }
            }
            RunExit::Idle => match input.wait() {
                Some(bytes) => machine.inject(InputEvent::ConsoleBytes(bytes)),
                None => {
                    eprintln!("vmft: guest is idle (wfi) with no timer armed and no input left");
                    break EXIT_IDLE;
                }
            },
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
