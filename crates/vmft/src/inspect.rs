//! `vmft log`: what a recorded log holds, for engineers who study or debug replication. A
//! summary (entries and bytes by kind, the positions and host time they span) and, on request,
//! every entry on a line of its own. Reading validates every frame, so a corrupt or truncated
//! log stops with the same error a replay would give.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use replay::{Entry, Hex, Kind, LogReader, Payload};

/// The longest console input or snapshot name shown in full on an entry's line.
const SHOWN_BYTES: usize = 48;

/// Prints the summary of the log at `path`, and every entry first with `entries`. A reader
/// that stops early (`vmft log --entries LOG | head`) ends the listing quietly.
pub fn inspect(path: &Path, entries: bool) -> anyhow::Result<ExitCode> {
    match print(path, entries, &mut io::stdout().lock()) {
        Err(e)
            if e.downcast_ref::<io::Error>().map(io::Error::kind)
                == Some(io::ErrorKind::BrokenPipe) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        result => result.map(|()| ExitCode::SUCCESS),
    }
}

fn print(path: &Path, entries: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let name = path.display().to_string();
    let file = File::open(path).with_context(|| format!("cannot open log {name}"))?;
    let mut log =
        LogReader::open(BufReader::new(file), None).with_context(|| format!("log {name}"))?;
    let fingerprint = Hex(&log.fingerprint()[..8]).to_string();
    let mut by_kind: BTreeMap<u8, (Kind, u64, u64)> = BTreeMap::new();
    let mut count = 0u64;
    let mut first_position = None;
    let mut last_position = 0;
    let mut host_ns = (None, 0u64);
    let mut ended = false;
    loop {
        let offset = log.offset();
        let Some(entry) = log.next_entry().with_context(|| format!("log {name}"))? else {
            break;
        };
        let bytes = log.offset() - offset;
        if entries {
            writeln!(
                out,
                "{offset:>10} {:>14} {}",
                entry.position,
                describe(&entry)
            )?;
        }
        let kind = entry.payload.kind();
        let slot = by_kind.entry(kind as u8).or_insert((kind, 0, 0));
        slot.1 += 1;
        slot.2 += bytes;
        count += 1;
        first_position.get_or_insert(entry.position);
        last_position = entry.position;
        if let Payload::ClockAnchor { host_ns: ns, .. } = entry.payload {
            host_ns = (host_ns.0.or(Some(ns)), ns);
        }
        ended |= matches!(entry.payload, Payload::End { .. });
    }
    writeln!(
        out,
        "log {name}: machine {fingerprint}…, {} bytes",
        log.offset()
    )?;
    writeln!(
        out,
        "{count} entries at positions {}..{last_position}{}",
        first_position.unwrap_or(0),
        if ended {
            ""
        } else {
            " (no end entry: the recording was cut short)"
        }
    )?;
    if let (Some(first), last) = host_ns {
        writeln!(
            out,
            "clock anchors span {:.3} s of the recording host's time",
            last.saturating_sub(first) as f64 / 1e9
        )?;
    }
    writeln!(out, "{:<14} {:>9} {:>12}", "kind", "entries", "bytes")?;
    for (kind, n, bytes) in by_kind.values() {
        writeln!(out, "{kind:<14} {n:>9} {bytes:>12}")?;
    }
    Ok(())
}

/// One entry, as a line: its kind and what it carries.
fn describe(entry: &Entry) -> String {
    let kind = entry.payload.kind();
    let detail = match &entry.payload {
        Payload::ConsoleInput(bytes) => shown(bytes),
        Payload::NetFrame(frame) => format!("{} bytes", frame.len()),
        Payload::Entropy(bytes) => format!("{} bytes", bytes.len()),
        Payload::ClockAnchor {
            host_ns,
            mtime,
            rate,
        } => format!(
            "mtime {mtime}, {:.6} ticks/position, host {host_ns} ns",
            *rate as f64 / (1u64 << 32) as f64
        ),
        Payload::TimeSkip { ticks } => format!("{ticks} ticks"),
        Payload::Digest { digest } => Hex(&digest[..8]).to_string(),
        Payload::Registers(words) => words
            .first_chunk()
            .map(|pc| format!("pc {:#x}", u64::from_le_bytes(*pc)))
            .unwrap_or_default(),
        Payload::StateHashes { sections, pages } => {
            format!("{} sections, {} changed pages", sections.len(), pages.len())
        }
        Payload::Snapshot { name } => shown(name.as_bytes()),
        Payload::End { reason } => format!("{reason:?}"),
    };
    format!("{kind:<14} {detail}")
}

/// `bytes` as a quoted string with non-printable bytes escaped, cut at [`SHOWN_BYTES`].
fn shown(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes.iter().take(SHOWN_BYTES) {
        out.extend(std::ascii::escape_default(b).map(char::from));
    }
    out.push('"');
    if bytes.len() > SHOWN_BYTES {
        let _ = write!(out, " … ({} bytes)", bytes.len());
    }
    out
}
