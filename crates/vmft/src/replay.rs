//! `vmft replay`: re-executes a recorded run from the same initial state, as fast as the
//! interpreter can (an idle guest does not sleep), applying each logged input at exactly its
//! position, reproducing the console output byte for byte, and stopping at the first sign
//! of divergence, which it reports with what differs (see [`crate::divergence`]).

use std::fs::File;
use std::io::{BufReader, Read};
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
use crate::run::{build, print_stats, EXIT_LIMIT};

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

/// Reads `log` up to and including the entry of the snapshot `machine` was just restored from
/// (the file `snapshot`) and the checkpoint the recorder logged after it, so that the replay
/// goes on from there. The entry is found by position; its checkpoint's digest must match the
/// machine's. Several snapshots can share a position (an input may come between them): the
/// one whose digest matches is taken.
fn skip_to_snapshot(
    log: &mut LogReader<impl Read>,
    log_name: &str,
    machine: &mut Machine,
    snapshot: &Path,
) -> anyhow::Result<u64> {
    let position = machine.position();
    let digest = machine.digest();
    let mut skipped = 0u64;
    let mut snapshots = Vec::new();
    // Inside the checkpoint that follows a snapshot entry at `position`.
    let mut after_snapshot = false;
    let mut state_differs = false;
    while let Some(entry) = log
        .next_entry()
        .with_context(|| format!("log {log_name}"))?
    {
        skipped += 1;
        match entry.payload {
            // Past the position: only the log's other snapshots matter now, for the error.
            Payload::Snapshot { name } if entry.position > position => {
                snapshots.push(format!("{name} at {}", entry.position));
            }
            _ if entry.position > position => {}
            Payload::Snapshot { name } => {
                snapshots.push(format!("{name} at {}", entry.position));
                after_snapshot = entry.position == position;
            }
            Payload::Registers(_) | Payload::StateHashes { .. } => {}
            Payload::Digest { digest: logged } if after_snapshot => {
                if logged == digest {
                    return Ok(skipped);
                }
                state_differs = true;
                after_snapshot = false;
            }
            _ => after_snapshot = false,
        }
    }
    let snapshot = snapshot.display();
    if state_differs {
        bail!(
            "snapshot {snapshot} is at position {position}, where log {log_name} has a snapshot, \
             but its state differs from the one recorded there (a snapshot of another run, or \
             one that does not restore exactly)"
        );
    }
    let logged = match snapshots.is_empty() {
        true => "it has none".to_string(),
        false => format!("it has {}", snapshots.join(", ")),
    };
    bail!(
        "log {log_name} has no snapshot at position {position}, where snapshot {snapshot} was \
         saved ({logged}): the snapshot was not saved while recording this log"
    )
}

/// Replays the log at `path` on the machine `config` describes, from its start or, with
/// `from_snapshot`, from a snapshot saved while recording it.
pub fn replay(
    path: &Path,
    config: RunConfig,
    from_snapshot: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let name = path.display().to_string();
    let built = build(&config, false, from_snapshot)?;
    let mut machine = built.machine;
    let file = File::open(path).with_context(|| format!("cannot open log {name}"))?;
    let mut log = LogReader::open(BufReader::new(file), Some(built.fingerprint))
        .with_context(|| format!("log {name}"))?;
    if let Some(snapshot) = from_snapshot {
        let skipped = skip_to_snapshot(&mut log, &name, &mut machine, snapshot)?;
        if config.stats {
            eprintln!(
                "vmft: starting at snapshot {} (position {}, {skipped} log entries skipped)",
                snapshot.display(),
                machine.position()
            );
        }
    }
    let limit = config.max_instructions.unwrap_or(u64::MAX);
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
        if entry.position > limit
            && halted_before.is_none()
            && run_to(&mut machine, limit, &mut output)?.is_none()
        {
            eprintln!("vmft: instruction limit reached ({limit} instructions)");
            return Ok(ExitCode::from(EXIT_LIMIT));
        }
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
