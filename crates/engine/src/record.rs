//! Recording a run: every input event, at its position, into a `replay` log — a file for
//! `vmft run --record`, the logging channel for a primary ([`LogStream`]).
//!
//! The log's fingerprint identifies the machine — RAM size, what it boots (a hash of every
//! image's contents and the command line) and its devices — so that a replay against any
//! other machine is refused before it starts.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use machine::{Checkpoint, InputEvent, Machine, RunExit};
use replay::{EndReason, Entry, Fingerprint, LogWriter, Payload, MAX_STATE_PAGES, REGISTERS_LEN};
use sha2::{Digest, Sha256};

use crate::divergence::{short, SectionHashes};

/// Builds a machine fingerprint from the parts that define its initial state.
#[derive(Default)]
pub struct FingerprintBuilder(Sha256);

impl FingerprintBuilder {
    /// Adds a named part.
    pub fn part(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        self.0.update((name.len() as u64).to_le_bytes());
        self.0.update(name.as_bytes());
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// The fingerprint.
    pub fn finish(self) -> Fingerprint {
        self.0.finalize().into()
    }
}

/// The log entry for an input event applied at `position`.
pub fn entry_for(position: u64, event: &InputEvent, host_ns: u64) -> Entry {
    let payload = match event {
        InputEvent::ConsoleBytes(bytes) => Payload::ConsoleInput(bytes.clone()),
        InputEvent::NetFrame(frame) => Payload::NetFrame(frame.clone()),
        InputEvent::Entropy(bytes) => Payload::Entropy(bytes.clone()),
        InputEvent::TimeSkip(ticks) => Payload::TimeSkip { ticks: *ticks },
        InputEvent::ClockAnchor { mtime, rate } => Payload::ClockAnchor {
            host_ns,
            mtime: *mtime,
            rate: *rate,
        },
    };
    Entry { position, payload }
}

/// The input event a log entry replays, or `None` for entries that are not inputs.
pub fn event_for(payload: &Payload) -> Option<InputEvent> {
    Some(match payload {
        Payload::ConsoleInput(bytes) => InputEvent::ConsoleBytes(bytes.clone()),
        Payload::NetFrame(frame) => InputEvent::NetFrame(frame.clone()),
        Payload::Entropy(bytes) => InputEvent::Entropy(bytes.clone()),
        Payload::TimeSkip { ticks } => InputEvent::TimeSkip(*ticks),
        Payload::ClockAnchor { mtime, rate, .. } => InputEvent::ClockAnchor {
            mtime: *mtime,
            rate: *rate,
        },
        Payload::Digest { .. }
        | Payload::Registers(_)
        | Payload::StateHashes { .. }
        | Payload::Snapshot { .. }
        | Payload::End { .. } => return None,
    })
}

/// The end reason for a final machine exit.
pub fn end_reason(exit: RunExit) -> EndReason {
    match exit {
        RunExit::Poweroff => EndReason::Poweroff,
        RunExit::Fail(code) => EndReason::Fail(code),
        _ => EndReason::Stopped,
    }
}

/// The hart's registers as a [`Payload::Registers`] payload: pc, privilege, x1..x31.
pub fn registers_of(machine: &Machine) -> Vec<u8> {
    let hart = machine.hart();
    let values = [hart.pc(), u64::from(hart.privilege())]
        .into_iter()
        .chain((1..32).map(|r| hart.x(r)));
    let bytes: Vec<u8> = values.flat_map(u64::to_le_bytes).collect();
    debug_assert_eq!(bytes.len(), REGISTERS_LEN);
    bytes
}

/// The [`Payload::StateHashes`] entries of `checkpoint`: its section hashes and changed
/// pages, shortened, the pages split over as many entries as [`MAX_STATE_PAGES`] requires.
fn state_hashes(checkpoint: &Checkpoint) -> anyhow::Result<Vec<Payload>> {
    let sections: SectionHashes = checkpoint
        .sections
        .iter()
        .map(|(tag, hash)| (*tag, short(hash)))
        .collect();
    let pages = checkpoint
        .changed_pages
        .iter()
        .map(|(page, hash)| Ok((u32::try_from(*page)?, short(hash))))
        .collect::<Result<Vec<_>, std::num::TryFromIntError>>()
        .context("RAM has more than 2^32 pages")?;
    let entries = pages.len().div_ceil(MAX_STATE_PAGES).max(1);
    Ok((0..entries)
        .map(|i| Payload::StateHashes {
            sections: sections.clone(),
            pages: pages
                .iter()
                .skip(i * MAX_STATE_PAGES)
                .take(MAX_STATE_PAGES)
                .copied()
                .collect(),
        })
        .collect())
}

/// Where a recorder's log bytes go: a file, or the logging channel to a backup.
pub trait LogStream: Write + Send {
    /// Whether the stream wants [`LogStream::progress`] at every slice end; a file does not
    /// (it is flushed whenever the guest idles), a logging channel does.
    fn vouches(&self) -> bool {
        false
    }

    /// The machine reached `position`, where its clock reads `mtime`, and every entry below
    /// `position` has been written: a channel ships the bytes with that promise. Returns how
    /// long the run loop should pause before the next slice (flow control), if at all.
    fn progress(&mut self, _position: u64, _mtime: u64) -> io::Result<Option<Duration>> {
        Ok(None)
    }

    /// Makes what was written durable, when the recording ends.
    fn sync(&mut self) -> io::Result<()> {
        self.flush()
    }
}

impl LogStream for BufWriter<File> {
    fn sync(&mut self) -> io::Result<()> {
        self.flush()?;
        self.get_ref().sync_all()
    }
}

/// Writes the input log of a live run.
pub struct Recorder {
    log: LogWriter<Box<dyn LogStream>>,
    path: String,
}

impl Recorder {
    /// Creates the log file at `path` for `machine`, whose fingerprint is `fingerprint`.
    pub fn create(
        path: &Path,
        fingerprint: Fingerprint,
        machine: &mut Machine,
    ) -> anyhow::Result<Recorder> {
        let name = path.display().to_string();
        let file = File::create(path).with_context(|| format!("cannot create log {name}"))?;
        Recorder::new(Box::new(BufWriter::new(file)), name, fingerprint, machine)
    }

    /// Starts a log named `name` (for messages) on `stream` for `machine`, whose fingerprint is
    /// `fingerprint`, and brings its page hashes up to date: the first checkpoint logs the
    /// pages changed since.
    pub fn new(
        stream: Box<dyn LogStream>,
        name: String,
        fingerprint: Fingerprint,
        machine: &mut Machine,
    ) -> anyhow::Result<Recorder> {
        let log =
            LogWriter::new(stream, fingerprint).with_context(|| format!("writing log {name}"))?;
        machine.page_hashes();
        Ok(Recorder { log, path: name })
    }

    /// Called at every slice end: a stream that vouches for positions gets everything
    /// written so far and the machine's position. Returns the pause flow control asks for.
    pub fn progress(&mut self, machine: &Machine) -> anyhow::Result<Option<Duration>> {
        if !self.log.get_mut().vouches() {
            return Ok(None);
        }
        self.flush()?;
        let path = &self.path;
        self.log
            .get_mut()
            .progress(machine.position(), machine.mtime())
            .with_context(|| format!("writing log {path}"))
    }

    /// Appends one entry.
    pub fn append(&mut self, entry: &Entry) -> anyhow::Result<()> {
        self.log
            .append(entry)
            .with_context(|| format!("writing log {}", self.path))
    }

    /// Logs a checkpoint at the machine's current position: the hart's registers, the state
    /// hashes (sections and the pages changed since the previous checkpoint) and the state
    /// digest.
    pub fn checkpoint(&mut self, machine: &mut Machine) -> anyhow::Result<()> {
        let position = machine.position();
        self.append(&Entry {
            position,
            payload: Payload::Registers(registers_of(machine)),
        })?;
        let checkpoint = machine.checkpoint();
        for payload in state_hashes(&checkpoint)? {
            self.append(&Entry { position, payload })?;
        }
        self.append(&Entry {
            position,
            payload: Payload::Digest {
                digest: checkpoint.digest,
            },
        })
    }

    /// Logs that a snapshot named `name` of `machine` was saved at its current position,
    /// followed by a checkpoint: a replay that starts from the snapshot
    /// (`vmft replay --from-snapshot`) finds its entry by position and checks it holds the
    /// recorded state.
    pub fn snapshot(&mut self, machine: &mut Machine, name: String) -> anyhow::Result<()> {
        self.append(&Entry {
            position: machine.position(),
            payload: Payload::Snapshot { name },
        })?;
        self.checkpoint(machine)
    }

    /// Pushes every entry logged so far to the file. Called whenever the guest idles, so
    /// that the log on disk is current while nothing happens and a recording cut short loses
    /// nothing from before the guest's last idle period.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        let path = &self.path;
        self.log
            .flush()
            .with_context(|| format!("writing log {path}"))
    }

    /// Writes a final checkpoint and the end entry, and flushes the log to the file.
    pub fn finish(mut self, machine: &mut Machine, reason: EndReason) -> anyhow::Result<()> {
        self.checkpoint(machine)?;
        let position = machine.position();
        self.append(&Entry {
            position,
            payload: Payload::End { reason },
        })?;
        self.progress(machine)?;
        let path = self.path.clone();
        self.log
            .into_inner()
            .with_context(|| format!("writing log {path}"))?
            .sync()
            .with_context(|| format!("writing log {path}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_event_round_trips_through_a_log_entry() {
        let events = [
            InputEvent::ConsoleBytes(b"ls\n".to_vec()),
            InputEvent::NetFrame(vec![1; 60]),
            InputEvent::Entropy(vec![7; 64]),
            InputEvent::TimeSkip(12345),
            InputEvent::ClockAnchor {
                mtime: 99,
                rate: 1 << 31,
            },
        ];
        for event in events {
            let entry = entry_for(42, &event, 7);
            assert_eq!(entry.position, 42);
            assert_eq!(event_for(&entry.payload), Some(event));
        }
    }

    #[test]
    fn a_checkpoint_s_state_hashes_take_as_many_entries_as_its_changed_pages_need() {
        let checkpoint = |pages: usize| Checkpoint {
            digest: [0; 32],
            sections: vec![(*b"HART", [1; 32]), (*b"UART", [2; 32])],
            changed_pages: (0..pages).map(|p| (p * 2, [p as u8; 16])).collect(),
        };
        let sections = vec![(*b"HART", [1; 8]), (*b"UART", [2; 8])];
        assert_eq!(
            state_hashes(&checkpoint(0)).unwrap(),
            [Payload::StateHashes {
                sections: sections.clone(),
                pages: Vec::new()
            }]
        );
        let split = state_hashes(&checkpoint(MAX_STATE_PAGES + 1)).unwrap();
        let [Payload::StateHashes {
            sections: first_sections,
            pages: first,
        }, Payload::StateHashes {
            sections: second_sections,
            pages: second,
        }] = &split[..]
        else {
            panic!("two entries expected");
        };
        assert_eq!((first_sections, second_sections), (&sections, &sections));
        assert_eq!(first.len(), MAX_STATE_PAGES);
        assert_eq!(first[1], (2, [1; 8]));
        assert_eq!(second, &[(2 * MAX_STATE_PAGES as u32, [0; 8])]);
    }

    #[test]
    fn fingerprints_differ_when_any_part_differs() {
        let fp = |ram: &[u8], kernel: &[u8]| {
            let mut b = FingerprintBuilder::default();
            b.part("ram", ram).part("kernel", kernel);
            b.finish()
        };
        assert_eq!(fp(b"1", b"k"), fp(b"1", b"k"));
        assert_ne!(fp(b"1", b"k"), fp(b"2", b"k"));
        assert_ne!(fp(b"1", b"k"), fp(b"1", b"K"));
        assert_ne!(fp(b"1k", b""), fp(b"1", b"k"), "parts are delimited");
    }
}
