//! Live state transfer to a joining backup: the primary's side runs between the guest's slices
//! ([`Precopy`], an engine `BetweenSlices`), the backup's side rebuilds the machine from what
//! arrives ([`Receiving`]).
//!
//! The primary keeps running while it sends RAM and disk in rounds: everything first, then
//! what the guest wrote since it was sent. When what is left would take no longer than the
//! pause allowed (`--max-pause-ms`), or after [`MAX_ROUNDS`] rounds, it stops once: the rest
//! of RAM and disk, the machine's state and its digest, and a fresh input log from exactly
//! that position. The backup checks the digest of what it rebuilt before it follows the log.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use engine::config::RunConfig;
use engine::live::BetweenSlices;
use engine::record::Recorder;
use engine::setup::{build_from_state, Built};
use engine::transfer::{Chunk, ChunkKind, DiskImage, PrecopyDisk, PrecopyRam, RamImage};
use hostio::FileDisk;
use indicatif::{ProgressBar, ProgressStyle};
use machine::Machine;
use replay::Fingerprint;
use tracing::info;

use crate::driver::Event;
use crate::engine_io::{ChannelLog, EngineEvent};

/// Rounds of pre-copy after which the primary stops for the rest if it can, or gives up.
pub const MAX_ROUNDS: u32 = 30;
/// RAM pages copied between two slices: about a millisecond of the guest's time.
const PAGES_PER_SLICE: usize = 256;
/// Disk blocks read between two slices.
const BLOCKS_PER_SLICE: usize = 64;
/// Estimated cost of copying one page or block in the stop-and-copy (measured: 1,000 pages
/// in 1-1.8 ms, 10,000 in 6.5 ms, with the state and its digest).
const STOP_COST_PER_PAGE: Duration = Duration::from_micros(2);
/// The fixed part of a stop-and-copy: a scan of the page hashes, the state, the digest.
const STOP_FIXED_COST: Duration = Duration::from_millis(2);
/// Chunks handed to the protocol thread and not sent yet, at most: a channel slower than the
/// copy holds the pre-copy back instead of queueing the guest's RAM in memory.
const MAX_IN_FLIGHT: usize = 16;
/// The share of the run loop's time the pre-copy may take: a busy guest ends a slice every
/// few tens of microseconds, and copying a slice's worth of pages takes about a millisecond,
/// so the guest keeps at least the rest.
const PRECOPY_SHARE: f64 = 0.5;

/// What the protocol thread asks of the transfer.
#[derive(Debug)]
pub enum TransferCommand {
    /// A backup joined: start sending.
    Start,
    /// The backup is gone: stop, and forget what was sent.
    Abort,
}

/// The primary's side: pre-copy between slices, then the stop-and-copy.
pub struct Precopy {
    commands: Receiver<TransferCommand>,
    events: Sender<Event>,
    pause_ns: Arc<AtomicU64>,
    unvouched: Arc<AtomicBool>,
    fingerprint: Fingerprint,
    max_pause: Duration,
    /// Bytes per second the transfer may use, if capped.
    rate_cap: Option<u64>,
    running: Option<Running>,
    /// Chunks handed over and not yet sent; the protocol thread counts them down.
    in_flight: Arc<AtomicUsize>,
}

/// A transfer under way.
struct Running {
    ram: PrecopyRam,
    disk: Option<PrecopyDisk>,
    started: Instant,
    /// Bytes of page data handed over, for the rate cap and the report.
    sent: u64,
    /// Time spent copying, for [`PRECOPY_SHARE`].
    busy: Duration,
}

impl Precopy {
    /// A transfer driven by `commands`, handing chunks (encoded) to the protocol thread
    /// through `events`, which counts `in_flight` down as it sends them;
    /// the new log after the stop shares `pause_ns` and `unvouched` with the primary's first
    /// (see [`ChannelLog::new`]).
    pub fn new(
        commands: Receiver<TransferCommand>,
        events: Sender<Event>,
        (pause_ns, unvouched): (Arc<AtomicU64>, Arc<AtomicBool>),
        fingerprint: Fingerprint,
        max_pause: Duration,
        transfer_mbps: Option<u64>,
        in_flight: Arc<AtomicUsize>,
    ) -> Precopy {
        Precopy {
            in_flight,
            commands,
            events,
            pause_ns,
            unvouched,
            fingerprint,
            max_pause,
            rate_cap: transfer_mbps.map(|mbps| mbps.saturating_mul(125_000)),
            running: None,
        }
    }

    fn send(&self, event: EngineEvent) {
        // A protocol thread that is gone has halted the process or is about to.
        let _ = self.events.send(event.into());
    }

    /// Encodes (compresses) `chunk` here, on the run loop's time, and hands it over.
    fn hand_over(&mut self, chunk: Chunk) {
        if let Some(running) = &mut self.running {
            running.sent += chunk.data_len() as u64;
        }
        if !chunk.is_empty() {
            self.in_flight.fetch_add(1, Ordering::AcqRel);
            self.send(EngineEvent::Transfer(chunk.encode()));
        }
    }

    /// What a stop-and-copy would cost now.
    fn stop_estimate(running: &Running, machine: &mut Machine) -> Duration {
        let pages = running.ram.dirty_pages(machine) as u64
            + running.disk.as_ref().map_or(0, PrecopyDisk::dirty_blocks);
        STOP_FIXED_COST + STOP_COST_PER_PAGE * u32::try_from(pages).unwrap_or(u32::MAX)
    }

    fn stop_and_copy(
        &mut self,
        machine: &mut Machine,
        recorder: Option<&mut Recorder>,
    ) -> anyhow::Result<()> {
        let Some(mut running) = self.running.take() else {
            return Ok(());
        };
        let paused = Instant::now();
        let chunks: Vec<Chunk> = running.ram.final_chunks(machine, usize::MAX).collect();
        let mut disk_chunks = Vec::new();
        if let Some(disk) = &mut running.disk {
            for chunk in disk.final_chunks(machine, usize::MAX) {
                disk_chunks.push(chunk.context("reading the disk for the stop-and-copy")?);
            }
        }
        let mut state = Vec::new();
        machine
            .save_state(&mut state)
            .context("saving the machine's state")?;
        let digest = machine.digest();
        let position = machine.position();
        for chunk in chunks.into_iter().chain(disk_chunks) {
            running.sent += chunk.data_len() as u64;
            self.in_flight.fetch_add(1, Ordering::AcqRel);
            self.send(EngineEvent::Transfer(chunk.encode()));
        }
        self.send(EngineEvent::Synced {
            position,
            digest,
            state,
        });
        // The backup follows the log from exactly here: a new log, header first.
        if let Some(recorder) = recorder {
            let stream = ChannelLog::new(
                self.events.clone(),
                self.pause_ns.clone(),
                self.unvouched.clone(),
            );
            *recorder = Recorder::new(
                Box::new(stream),
                "the logging channel".into(),
                self.fingerprint,
                machine,
            )?;
        }
        info!(
            change = "synced",
            "in sync with the joining backup at position {position}: paused {:.1} ms; {} rounds, \
             {} MiB of page data in {:.1} s",
            paused.elapsed().as_secs_f64() * 1e3,
            running.ram.round() + 1,
            running.sent >> 20,
            running.started.elapsed().as_secs_f64(),
        );
        Ok(())
    }
}

impl BetweenSlices for Precopy {
    fn between_slices(
        &mut self,
        machine: &mut Machine,
        recorder: Option<&mut Recorder>,
    ) -> anyhow::Result<bool> {
        for command in self.commands.try_iter().collect::<Vec<_>>() {
            match command {
                TransferCommand::Start => {
                    machine.boot_fingerprint();
                    let disk = match machine.disk_len() {
                        Some(_) => Some(PrecopyDisk::new(machine).context("the disk")?),
                        None => None,
                    };
                    self.running = Some(Running {
                        ram: PrecopyRam::new(machine),
                        disk,
                        started: Instant::now(),
                        sent: 0,
                        busy: Duration::ZERO,
                    });
                }
                TransferCommand::Abort => self.running = None,
            }
        }
        let Some(running) = &mut self.running else {
            return Ok(false);
        };
        let elapsed = running.started.elapsed();
        if running.busy.as_secs_f64() > elapsed.as_secs_f64() * PRECOPY_SHARE
            || self.in_flight.load(Ordering::Acquire) >= MAX_IN_FLIGHT
        {
            return Ok(true);
        }
        if let Some(cap) = self.rate_cap {
            if running.sent as f64 > elapsed.as_secs_f64() * cap as f64 {
                return Ok(true);
            }
        }
        let working = Instant::now();
        // A round is done when RAM and disk both have nothing left of it.
        let ram_chunk = running.ram.next_chunk(machine, PAGES_PER_SLICE);
        let disk_chunk = match &mut running.disk {
            Some(disk) => disk.next_chunk(machine, BLOCKS_PER_SLICE)?,
            None => None,
        };
        let round_done = ram_chunk.is_none() && disk_chunk.is_none();
        for chunk in ram_chunk.into_iter().chain(disk_chunk) {
            self.hand_over(chunk);
        }
        let Some(running) = &mut self.running else {
            return Ok(false);
        };
        running.busy += working.elapsed();
        if round_done && running.ram.round() >= 1 {
            let estimate = Precopy::stop_estimate(running, machine);
            if estimate <= self.max_pause {
                self.stop_and_copy(machine, recorder)?;
                return Ok(false);
            }
            if running.ram.round() >= MAX_ROUNDS {
                self.running = None;
                self.send(EngineEvent::TransferFailed(format!(
                    "the guest writes faster than the transfer: after {MAX_ROUNDS} rounds the \
                     stop-and-copy would still take {estimate:?}, over --max-pause-ms"
                )));
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The backup's side: applies the chunks that arrive to a RAM image and the disk file, then
/// rebuilds the machine from the state.
pub struct Receiving {
    ram: RamImage,
    disk: Option<DiskImage<FileDisk>>,
    bytes: u64,
    chunks: u64,
    started: Instant,
    reported: Instant,
    /// A progress bar when standard error is a terminal; log lines otherwise.
    bar: Option<ProgressBar>,
}

impl Receiving {
    /// Receives a machine of `config`'s RAM size, into its disk file.
    pub fn new(config: &RunConfig) -> anyhow::Result<Receiving> {
        let disk = match &config.drive {
            Some(drive) => Some(DiskImage::new(FileDisk::open(&drive.path, false)?)),
            None => None,
        };
        Ok(Receiving {
            ram: RamImage::new(config.ram_size),
            disk,
            bytes: 0,
            chunks: 0,
            started: Instant::now(),
            reported: Instant::now(),
            bar: std::io::stderr().is_terminal().then(|| {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} receiving the primary's state: {msg} {bytes} ({bytes_per_sec})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar
            }),
        })
    }

    /// Applies one chunk as the primary sent it.
    pub fn apply(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let chunk = Chunk::decode(bytes).context("a transferred chunk")?;
        match (chunk.kind(), &mut self.disk) {
            (ChunkKind::Ram, _) => {
                self.ram.apply(bytes).context("a transferred RAM chunk")?;
            }
            (ChunkKind::Disk, Some(disk)) => {
                disk.apply(bytes).context("a transferred disk chunk")?;
            }
            (ChunkKind::Disk, None) => {
                bail!("the primary sent disk blocks to a backup without a disk")
            }
        }
        self.bytes += bytes.len() as u64;
        self.chunks += 1;
        if let Some(bar) = &self.bar {
            bar.set_message(format!("round {}", chunk.round() + 1));
            bar.set_position(self.bytes);
        } else if self.reported.elapsed() >= Duration::from_secs(1) {
            self.reported = Instant::now();
            info!(
                change = "receiving",
                "receiving the primary's state: {} MiB in {} chunks, {:.1} MiB/s",
                self.bytes >> 20,
                self.chunks,
                self.bytes as f64 / (1 << 20) as f64 / self.started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    }

    /// Rebuilds the machine from `state` and what arrived, and checks that its digest is the
    /// primary's `digest` at `position`.
    pub fn finish(
        self,
        config: &RunConfig,
        position: u64,
        digest: [u8; 32],
        state: &[u8],
    ) -> anyhow::Result<Built> {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if let Some(disk) = self.disk {
            disk.finish().context("writing the transferred disk")?;
        }
        let mut built = build_from_state(config, state, &self.ram)?;
        if built.machine.position() != position {
            bail!(
                "the transferred state is at position {}, not at {position} where the primary \
                 stopped",
                built.machine.position()
            );
        }
        if built.machine.digest() != digest {
            bail!(
                "divergence: the transferred machine's state differs from the primary's at \
                 position {position}"
            );
        }
        info!(
            change = "in-sync",
            "in sync at position {position}: {} MiB received in {:.1} s, digest matched",
            self.bytes >> 20,
            self.started.elapsed().as_secs_f64()
        );
        Ok(built)
    }
}
