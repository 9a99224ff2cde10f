//! Recording a run: every input event, at its position, into a `replay` log.
//!
//! The log's fingerprint identifies the machine — RAM size, what it boots (a hash of every
//! image's contents and the command line) and its devices — so that a replay against any
//! other machine is refused before it starts.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::Context;
use machine::{InputEvent, Machine, RunExit};
use replay::{EndReason, Entry, Fingerprint, LogWriter, Payload, REGISTERS_LEN};
use sha2::{Digest, Sha256};

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

/// ABI names of the registers in a [`Payload::Registers`] entry, in order.
pub const REGISTER_NAMES: [&str; 33] = [
    "pc",
    "privilege",
    "ra",
    "sp",
    "gp",
    "tp",
    "t0",
    "t1",
    "t2",
    "s0",
    "s1",
    "a0",
    "a1",
    "a2",
    "a3",
    "a4",
    "a5",
    "a6",
    "a7",
    "s2",
    "s3",
    "s4",
    "s5",
    "s6",
    "s7",
    "s8",
    "s9",
    "s10",
    "s11",
    "t3",
    "t4",
    "t5",
    "t6",
];

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

/// The names and (recorded, replayed) values of the registers that differ between two
/// [`Payload::Registers`] payloads.
pub fn differing_registers(recorded: &[u8], replayed: &[u8]) -> Vec<(&'static str, u64, u64)> {
    let words = |b: &[u8]| -> Vec<u64> {
        b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect()
    };
    REGISTER_NAMES
        .iter()
        .zip(words(recorded).into_iter().zip(words(replayed)))
        .filter(|(_, (a, b))| a != b)
        .map(|(name, (a, b))| (*name, a, b))
        .collect()
}

/// Writes the input log of a live run.
pub struct Recorder {
    log: LogWriter<BufWriter<File>>,
    path: String,
}

impl Recorder {
    /// Creates the log file at `path` for the machine with `fingerprint`.
    pub fn create(path: &Path, fingerprint: Fingerprint) -> anyhow::Result<Recorder> {
        let name = path.display().to_string();
        let file = File::create(path).with_context(|| format!("cannot create log {name}"))?;
        let log = LogWriter::new(BufWriter::new(file), fingerprint)
            .with_context(|| format!("writing log {name}"))?;
        Ok(Recorder { log, path: name })
    }

    /// Appends one entry.
    pub fn append(&mut self, entry: &Entry) -> anyhow::Result<()> {
        self.log
            .append(entry)
            .with_context(|| format!("writing log {}", self.path))
    }

    /// Logs the hart's registers and the machine's state digest at its current position.
    pub fn checkpoint(&mut self, machine: &mut Machine) -> anyhow::Result<()> {
        let position = machine.position();
        self.append(&Entry {
            position,
            payload: Payload::Registers(registers_of(machine)),
        })?;
        self.append(&Entry {
            position,
            payload: Payload::Digest {
                digest: machine.digest(),
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

    /// Writes a final checkpoint and the end entry, and flushes the log to the file.
    pub fn finish(mut self, machine: &mut Machine, reason: EndReason) -> anyhow::Result<()> {
        self.checkpoint(machine)?;
        let position = machine.position();
        self.append(&Entry {
            position,
            payload: Payload::End { reason },
        })?;
        let path = self.path.clone();
        self.log
            .into_inner()
            .with_context(|| format!("writing log {path}"))?
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
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
    fn differing_registers_are_named() {
        let mut a = vec![0u8; REGISTERS_LEN];
        let mut b = a.clone();
        b[0] = 4; // pc
        b[8 * 11] = 1; // a0 = x10, the 12th word
        a[8 * 11 + 1] = 2;
        let diff = differing_registers(&a, &b);
        assert_eq!(diff, vec![("pc", 0, 4), ("a0", 0x200, 1)]);
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
