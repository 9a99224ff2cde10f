//! `vmft replay`: re-executes a recorded run from the same initial state, as fast as the
//! interpreter can (an idle guest does not sleep), applying each logged input at exactly its
//! position, reproducing the console output byte for byte, and stopping at the first sign
//! of divergence, which it reports with what differs (see [`crate::divergence`]).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use machine::{Machine, RunExit};
use replay::{EndReason, LogReader, Payload};

use crate::config::RunConfig;
use crate::divergence::Recorded;
use crate::host::ConsoleOutput;
use crate::record::{end_reason, event_for};
use crate::run::{build, print_stats};

/// Runs `machine` until its position reaches `target`, writing console output. Returns the
/// final exit if the guest halted first (or exactly at `target`).
fn run_to(
    machine: &mut Machine,
    target: u64,
    output: &mut ConsoleOutput,
) -> anyhow::Result<Option<RunExit>> {
    loop {
        if machine.position() >= target {
            return Ok(None);
        }
        let exit = machine.run(target);
        output.write(&machine.take_output());
        // Transmitted frames were delivered by the recording run; a replay drops them.
        machine.take_transmitted_frames();
        match exit {
            RunExit::Limit | RunExit::Slice | RunExit::Reset => {}
            RunExit::Poweroff | RunExit::Fail(_) => return Ok(Some(exit)),
            RunExit::Idle { .. } if machine.position() >= target => return Ok(None),
            RunExit::Idle { .. } => bail!(
                "divergence: the guest went idle at position {} but the log's next event is at {target}",
                machine.position()
            ),
        }
    }
}

/// Replays the log at `path` on the machine `config` describes.
pub fn replay(path: &Path, config: RunConfig) -> anyhow::Result<ExitCode> {
    let name = path.display().to_string();
    let built = build(&config, false)?;
    let mut machine = built.machine;
    let file = File::open(path).with_context(|| format!("cannot open log {name}"))?;
    let mut log = LogReader::open(BufReader::new(file), Some(built.fingerprint))
        .with_context(|| format!("log {name}"))?;
    let mut output = ConsoleOutput::default();
    let start = Instant::now();
    let mut entries = 0u64;
    let mut digests = 0u64;
    let mut halted_before = None;
    let mut recorded = Recorded::start(&mut machine);
    let status = loop {
        let Some(entry) = log.next_entry().with_context(|| format!("log {name}"))? else {
            bail!(
                "log {name} ends at position {} without an end entry (the recording was cut short)",
                machine.position()
            );
        };
        entries += 1;
        // A halted machine stays halted: its exit carries over to the entries that follow.
        let halted = run_to(&mut machine, entry.position, &mut output)?.or(halted_before);
        halted_before = halted;
        if machine.position() != entry.position && halted.is_none() {
            bail!(
                "divergence: the machine is at position {} but the log's entry {entries} is at {}",
                machine.position(),
                entry.position
            );
        }
        match (&entry.payload, halted) {
            (Payload::Registers(registers), _) => recorded.registers(entry.position, registers),
            (Payload::StateHashes { sections, pages }, _) => recorded
                .state_hashes(entry.position, sections, pages)
                .with_context(|| format!("log {name}"))?,
            (Payload::Digest { digest }, _) if machine.position() == entry.position => {
                digests += 1;
                recorded.digest(entry.position);
                let checkpoint = machine.checkpoint();
                if checkpoint.digest != *digest {
                    bail!(
                        "divergence: the machine state differs from the recording at position {} \
                         (recorded -> replayed: {})",
                        entry.position,
                        recorded.report(entry.position, &mut machine, &checkpoint)
                    );
                }
            }
            (Payload::End { reason }, Some(exit)) if end_reason(exit) == *reason => {
                break match reason {
                    EndReason::Fail(code) => (*code).clamp(1, 255) as u8,
                    _ => 0,
                };
            }
            (Payload::End { reason: EndReason::Stopped }, None) => break 0,
            (payload, Some(exit)) => bail!(
                "divergence: the guest halted ({exit:?}) at position {} where the log has {:?}",
                machine.position(),
                payload.kind()
            ),
            (Payload::End { reason }, None) => bail!(
                "divergence: the log ends with {reason:?} at position {} but the guest is still running",
                entry.position
            ),
            (payload, None) => {
                if let Some(event) = event_for(payload) {
                    machine.inject(event);
                }
            }
        }
    };
    if config.stats {
        print_stats(&machine, start);
        eprintln!("vmft: replayed {entries} log entries; {digests} state digests matched");
    }
    Ok(ExitCode::from(status))
}
