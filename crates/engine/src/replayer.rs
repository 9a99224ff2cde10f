//! The replay loop: re-executes a recorded run from the same initial state, as fast as the
//! interpreter can (an idle guest does not sleep), applying each logged input at exactly its
//! position, handing on the outputs it reproduces, and stopping at the first sign of
//! divergence, which it reports with what differs (see [`crate::divergence`]).
//!
//! The log comes from a [`LogSource`]: a file for `vmft replay` ([`replay`]), the logging
//! channel for a backup, whose source also says how far the primary has vouched that no
//! input can still arrive, so that the backup runs up to there and never past it.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use machine::{Machine, RunExit};
use replay::{EndReason, Entry, LogReader, Payload};

use crate::config::RunConfig;
use crate::divergence::Recorded;
use crate::live::{print_stats, EXIT_LIMIT};
use crate::output::{collect, DirectOutputs, Outputs};
use crate::record::{end_reason, event_for};
use crate::setup::build;

/// What a log source yields.
#[derive(Debug)]
pub enum Item {
    /// A log entry, which vouches for its own position.
    Entry(Entry),
    /// No entry below this position is still to come: the machine may run up to it.
    Vouch(u64),
}

/// Where a replay's log comes from.
pub trait LogSource {
    /// The next item, waiting for it if need be; `None` when the log ends at an entry
    /// boundary (with or without an `End` entry: without one, it was cut short).
    fn next_item(&mut self) -> anyhow::Result<Option<Item>>;

    /// The machine has executed up to its current position (called between items).
    fn executed(&mut self, _machine: &Machine) {}
}

/// A log file as a source.
pub struct FileSource {
    reader: LogReader<BufReader<File>>,
    name: String,
}

impl FileSource {
    /// Opens the log at `path`, which must belong to the machine with `fingerprint`.
    pub fn open(path: &Path, fingerprint: replay::Fingerprint) -> anyhow::Result<FileSource> {
        let name = path.display().to_string();
        let file = File::open(path).with_context(|| format!("cannot open log {name}"))?;
        let reader = LogReader::open(BufReader::new(file), Some(fingerprint))
            .with_context(|| format!("log {name}"))?;
        Ok(FileSource { reader, name })
    }
}

impl LogSource for FileSource {
    fn next_item(&mut self) -> anyhow::Result<Option<Item>> {
        let entry = self
            .reader
            .next_entry()
            .with_context(|| format!("log {}", self.name))?;
        Ok(entry.map(Item::Entry))
    }
}

/// Runs `machine` until its position reaches `target`, handing on its outputs. Returns the
/// final exit if the guest halted first (or exactly at `target`).
fn run_to(
    machine: &mut Machine,
    target: u64,
    outputs: &mut dyn Outputs,
) -> anyhow::Result<Option<RunExit>> {
    loop {
        if machine.position() >= target {
            return Ok(None);
        }
        let exit = machine.run(target);
        collect(machine, target, outputs);
        match exit {
            RunExit::Limit | RunExit::Slice | RunExit::Reset => {}
            RunExit::Poweroff | RunExit::Fail(_) => return Ok(Some(exit)),
            RunExit::Idle { .. } if machine.position() >= target => return Ok(None),
            RunExit::Idle { .. } => bail!(
                "divergence: the guest went idle at position {} but the log goes on to {target}",
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

/// How a replay loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum ReplayEnd {
    /// The log's `End` entry, matched by the machine: the exit status it stands for.
    Finished(u8),
    /// The position limit came before the log's end.
    LimitReached,
    /// The log ended without an `End` entry (a recording cut short; a primary that failed).
    /// Every entry before was applied and the machine runs at the last vouched position.
    CutShort,
}

/// What a replay loop did.
#[derive(Debug, Default)]
pub struct ReplayStats {
    /// Log entries read.
    pub entries: u64,
    /// State digests checked.
    pub digests: u64,
}

/// Replays `source` on `machine`, which must be in the state the log starts from (or, for a
/// log skipped up to a snapshot, that snapshot's state), handing its outputs to `outputs`,
/// stopping at `limit` at the latest. A divergence is an error naming what differs.
pub fn replay_loop(
    machine: &mut Machine,
    source: &mut dyn LogSource,
    outputs: &mut dyn Outputs,
    limit: u64,
    stats: &mut ReplayStats,
) -> anyhow::Result<ReplayEnd> {
    let mut halted_before = None;
    let mut recorded = Recorded::start(machine);
    loop {
        let entry = match source.next_item()? {
            None => return Ok(ReplayEnd::CutShort),
            Some(Item::Vouch(position)) => {
                if position > limit
                    && halted_before.is_none()
                    && run_to(machine, limit, outputs)?.is_none()
                {
                    return Ok(ReplayEnd::LimitReached);
                }
                if halted_before.is_none() {
                    halted_before = run_to(machine, position, outputs)?;
                }
                source.executed(machine);
                continue;
            }
            Some(Item::Entry(entry)) => entry,
        };
        stats.entries += 1;
        if entry.position > limit
            && halted_before.is_none()
            && run_to(machine, limit, outputs)?.is_none()
        {
            return Ok(ReplayEnd::LimitReached);
        }
        // A halted machine stays halted: its exit carries over to the entries that follow.
        let halted = match halted_before {
            Some(exit) => Some(exit),
            None => run_to(machine, entry.position, outputs)?,
        };
        halted_before = halted;
        if machine.position() != entry.position && halted.is_none() {
            bail!(
                "divergence: the machine is at position {} but the log's entry {} is at {}",
                machine.position(),
                stats.entries,
                entry.position
            );
        }
        match (&entry.payload, halted) {
            (Payload::Registers(registers), _) => recorded.registers(entry.position, registers),
            (Payload::StateHashes { sections, pages }, _) => recorded
                .state_hashes(entry.position, sections, pages)
                .context("the log's state hashes")?,
            (Payload::Digest { digest }, _) if machine.position() == entry.position => {
                stats.digests += 1;
                recorded.digest(entry.position);
                let checkpoint = machine.checkpoint();
                if checkpoint.digest != *digest {
                    bail!(
                        "divergence: the machine state differs from the recording at position {} \
                         (recorded -> replayed: {})",
                        entry.position,
                        recorded.report(entry.position, machine, &checkpoint)
                    );
                }
            }
            (Payload::End { reason }, Some(exit)) if end_reason(exit) == *reason => {
                return Ok(ReplayEnd::Finished(match reason {
                    EndReason::Fail(code) => (*code).clamp(1, 255) as u8,
                    _ => 0,
                }));
            }
            (Payload::End { reason: EndReason::Stopped }, None) => {
                return Ok(ReplayEnd::Finished(0))
            }
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
        source.executed(machine);
    }
}

/// `vmft replay`: replays the log at `path` on the machine `config` describes, from its start
/// or, with `from_snapshot`, from a snapshot saved while recording it.
pub fn replay(
    path: &Path,
    config: RunConfig,
    from_snapshot: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let built = build(&config, false, from_snapshot)?;
    let mut machine = built.machine;
    let mut source = FileSource::open(path, built.fingerprint)?;
    if let Some(snapshot) = from_snapshot {
        let skipped = skip_to_snapshot(&mut source.reader, &source.name, &mut machine, snapshot)?;
        if config.stats {
            eprintln!(
                "vmft: starting at snapshot {} (position {}, {skipped} log entries skipped)",
                snapshot.display(),
                machine.position()
            );
        }
    }
    let limit = config.max_instructions.unwrap_or(u64::MAX);
    let start = Instant::now();
    let mut stats = ReplayStats::default();
    // Transmitted frames were delivered by the recording run; a replay drops them.
    let mut outputs = DirectOutputs::new(None);
    let status = match replay_loop(&mut machine, &mut source, &mut outputs, limit, &mut stats)? {
        ReplayEnd::Finished(status) => status,
        ReplayEnd::LimitReached => {
            eprintln!("vmft: instruction limit reached ({limit} instructions)");
            return Ok(ExitCode::from(EXIT_LIMIT));
        }
        ReplayEnd::CutShort => bail!(
            "log {} ends at position {} without an end entry (the recording was cut short)",
            source.name,
            machine.position()
        ),
    };
    if config.stats {
        print_stats(&machine, start);
        eprintln!(
            "vmft: replayed {} log entries; {} state digests matched",
            stats.entries, stats.digests
        );
    }
    Ok(ExitCode::from(status))
}
