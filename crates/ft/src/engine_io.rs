//! Where the engine meets the fault-tolerance driver: the primary's log stream and held
//! outputs, the backup's log source and its outputs. The engine's run loop runs on the main
//! thread; the driver runs the protocol on its own thread; these types pass what each needs
//! between them without ever making the guest's CPU wait for the network.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use engine::clock::{host_ns, TICKS_PER_SECOND};
use engine::output::{DirectOutputs, Outputs};
use engine::record::LogStream;
use engine::replayer::{Item, LogSource};
use machine::Machine;
use replay::{Fingerprint, LogReader, Payload};

use crate::announce::GuestAddresses;
use crate::driver::Event;

/// What the engine tells the driver.
#[derive(Debug)]
pub enum EngineEvent {
    /// The guest's run ended: release what can be released, then let the process exit.
    Finished,
    /// Primary: log bytes written since the last event, and the position (with the guest's
    /// clock there) below which every entry is in them.
    Log {
        /// Whole log frames (the stream's header first).
        bytes: Vec<u8>,
        /// The machine's position at a slice end.
        position: u64,
        /// The guest's clock at `position`.
        mtime: u64,
    },
    /// Primary: an output was produced and is held at this position.
    Output {
        /// Its position.
        position: u64,
    },
    /// Primary: a chunk of the live state transfer to a joining backup, encoded.
    Transfer(Vec<u8>),
    /// Primary: the stop-and-copy is done at `position`, where the machine's digest is
    /// `digest`; `state` is the machine without RAM and disk contents. Log bytes after this
    /// event start a new log from `position`.
    Synced {
        /// Where the primary stopped.
        position: u64,
        /// The machine's digest there.
        digest: [u8; 32],
        /// The machine's state there, as `Machine::save_state` writes it.
        state: Vec<u8>,
    },
    /// Primary: the transfer gave up (the guest writes faster than it can be sent).
    TransferFailed(String),
    /// Backup: the replay executed everything delivered and the log ended without its end
    /// entry: the backup may now claim the next epoch.
    Drained,
    /// Backup: the machine executed up to `position`, where its clock reads `mtime`.
    Executed {
        /// Position reached.
        position: u64,
        /// The guest's clock there.
        mtime: u64,
    },
}

/// An output waiting for its release.
#[derive(Debug)]
enum Output {
    Console(Vec<u8>),
    Frame(Vec<u8>),
}

/// Outputs held until the driver releases them, and where they go then.
pub struct HeldOutputs {
    queue: VecDeque<(u64, Output)>,
    out: DirectOutputs,
}

impl HeldOutputs {
    /// Outputs released to `out`.
    pub fn new(out: DirectOutputs) -> HeldOutputs {
        HeldOutputs {
            queue: VecDeque::new(),
            out,
        }
    }

    /// Releases every held output at or below `through`, in the order produced.
    pub fn release(&mut self, through: u64) {
        while let Some((position, _)) = self.queue.front() {
            if *position > through {
                break;
            }
            if let Some((position, output)) = self.queue.pop_front() {
                match output {
                    Output::Console(bytes) => self.out.console(position, &bytes),
                    Output::Frame(frame) => self.out.frame(position, frame),
                }
            }
        }
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// The primary's outputs as the run loop sees them: held, and announced to the driver.
pub struct PrimaryOutputs {
    held: Arc<Mutex<HeldOutputs>>,
    events: Sender<Event>,
    unvouched: Arc<AtomicBool>,
}

impl PrimaryOutputs {
    /// Holds outputs in `held` and tells the driver through `events`; sets `unvouched` so
    /// that the log stream reports the next slice end at once.
    pub fn new(
        held: Arc<Mutex<HeldOutputs>>,
        events: Sender<Event>,
        unvouched: Arc<AtomicBool>,
    ) -> PrimaryOutputs {
        PrimaryOutputs {
            held,
            events,
            unvouched,
        }
    }

    fn hold(&mut self, position: u64, output: Output) {
        lock(&self.held).queue.push_back((position, output));
        self.unvouched.store(true, Ordering::Release);
        // A driver that is gone has halted the process or is about to.
        let _ = self.events.send(EngineEvent::Output { position }.into());
    }
}

impl Outputs for PrimaryOutputs {
    fn console(&mut self, position: u64, bytes: &[u8]) {
        self.hold(position, Output::Console(bytes.to_vec()));
    }

    fn frame(&mut self, position: u64, frame: Vec<u8>) {
        self.hold(position, Output::Frame(frame));
    }
}

/// Locks `mutex`, whose data stays consistent even if a holder panicked.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Positions a busy primary runs between two reports of its progress to the driver when it
/// logged nothing and produced no output: a quarter of a millisecond of guest work or so,
/// well under the protocol's vouching interval, without waking the driver at every slice.
const REPORT_EVERY: u64 = 1 << 18;

/// The primary's log stream: buffers what the recorder writes and ships it to the driver at
/// slice ends, with the position it vouches for; returns the pause flow control asks.
pub struct ChannelLog {
    buffer: Vec<u8>,
    events: Sender<Event>,
    pause_ns: Arc<AtomicU64>,
    unvouched: Arc<AtomicBool>,
    reported: u64,
}

impl ChannelLog {
    /// Ships to the driver through `events`; the driver stores its flow-control pause in
    /// `pause_ns`; [`PrimaryOutputs`] sets `unvouched` when an output waits for a vouch.
    pub fn new(
        events: Sender<Event>,
        pause_ns: Arc<AtomicU64>,
        unvouched: Arc<AtomicBool>,
    ) -> ChannelLog {
        ChannelLog {
            buffer: Vec::new(),
            events,
            pause_ns,
            unvouched,
            reported: 0,
        }
    }
}

impl Write for ChannelLog {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl LogStream for ChannelLog {
    fn vouches(&self) -> bool {
        true
    }

    fn progress(&mut self, position: u64, mtime: u64) -> io::Result<Option<Duration>> {
        let due = !self.buffer.is_empty()
            || self.unvouched.swap(false, Ordering::AcqRel)
            || position.saturating_sub(self.reported) >= REPORT_EVERY;
        if due {
            self.report(position, mtime)?;
        }
        let pause = self.pause_ns.load(Ordering::Relaxed);
        Ok((pause > 0).then(|| Duration::from_nanos(pause)))
    }

    fn sync(&mut self) -> io::Result<()> {
        self.events
            .send(EngineEvent::Finished.into())
            .map_err(|_| io::Error::other("the fault-tolerance driver has stopped"))
    }
}

impl ChannelLog {
    /// Ships the buffered bytes with the promise that nothing below `position` is missing.
    fn report(&mut self, position: u64, mtime: u64) -> io::Result<()> {
        self.reported = position;
        let event = EngineEvent::Log {
            bytes: std::mem::take(&mut self.buffer),
            position,
            mtime,
        };
        self.events
            .send(event.into())
            .map_err(|_| io::Error::other("the fault-tolerance driver has stopped"))
    }
}

/// What the driver hands the backup's log source, in order.
#[derive(Debug)]
pub enum Delivery {
    /// Log bytes from the primary: whole frames, the stream's header first.
    Bytes(Vec<u8>),
    /// The primary vouched that no entry below this position is still to come; the driver
    /// received that at the instant given.
    RunTo(u64, Instant),
    /// No more log: the primary failed (go live) or the backup stops.
    End,
    /// A chunk of the primary's state, for a joining backup.
    Transfer(Vec<u8>),
    /// The primary's state is complete at `position` (digest there, and the machine's state
    /// without RAM and disk): the log that follows starts there.
    Synced {
        /// Where the primary stopped.
        position: u64,
        /// Its digest there.
        digest: [u8; 32],
        /// Its state there.
        state: Vec<u8>,
    },
}

/// Reads the bytes delivered so far; an empty buffer reads as the end of the stream, which
/// [`ChannelSource`] never lets the log reader see in the middle of a frame.
struct Delivered(Rc<RefCell<VecDeque<u8>>>);

impl Read for Delivered {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.borrow_mut().read(buf)
    }
}

/// The backup's log source: the log stream the primary sends, with its progress markers.
///
/// The primary ships whole frames (it flushes its log writer before every message), so an
/// entry is read only when bytes are waiting, and a progress marker is yielded only once
/// every byte before it has been read.
pub struct ChannelSource {
    deliveries: Receiver<Delivery>,
    bytes: Rc<RefCell<VecDeque<u8>>>,
    reader: Option<LogReader<Delivered>>,
    fingerprint: Fingerprint,
    vouched: Option<u64>,
    ended: bool,
    events: Sender<Event>,
    reported: u64,
    /// The last clock anchor: the primary's wall clock (ns) and the guest's clock there.
    anchor: Option<(u64, u64)>,
    /// Vouched positions not executed yet, with when they arrived.
    pending_vouches: VecDeque<(u64, Instant)>,
    /// How long after its arrival each vouched position was executed.
    lag: Vec<Duration>,
}

/// Lag samples kept; older ones are dropped, so the summary is of recent behaviour.
const MAX_LAG_SAMPLES: usize = 1 << 20;

impl ChannelSource {
    /// Reads `deliveries` as the log of the machine with `fingerprint`, reporting progress
    /// through `events`.
    pub fn new(
        deliveries: Receiver<Delivery>,
        fingerprint: Fingerprint,
        events: Sender<Event>,
    ) -> ChannelSource {
        ChannelSource {
            deliveries,
            bytes: Rc::default(),
            reader: None,
            fingerprint,
            vouched: None,
            ended: false,
            events,
            reported: 0,
            anchor: None,
            pending_vouches: VecDeque::new(),
            lag: Vec::new(),
        }
    }

    /// The backup's lag behind the primary: how long after a progress marker arrived the
    /// machine had executed up to it, median and maximum, over the markers so far.
    pub fn lag(&self) -> Option<(Duration, Duration)> {
        let mut sorted = self.lag.clone();
        sorted.sort_unstable();
        Some((*sorted.get(sorted.len() / 2)?, *sorted.last()?))
    }

    /// Where the guest's clock should read now for it to follow this host's wall clock as
    /// it followed the primary's: the last anchor's guest time plus the wall time since.
    /// `None` before any anchor.
    pub fn wall_mtime(&self) -> Option<u64> {
        let (anchor_ns, anchor_mtime) = self.anchor?;
        let elapsed = host_ns().saturating_sub(anchor_ns);
        let ticks = u128::from(elapsed) * u128::from(TICKS_PER_SECOND) / 1_000_000_000;
        Some(anchor_mtime.saturating_add(u64::try_from(ticks).unwrap_or(u64::MAX)))
    }

    fn unread(&self) -> bool {
        !self.bytes.borrow().is_empty() || self.reader.as_ref().is_some_and(|r| r.buffered() > 0)
    }

    fn read_entry(&mut self) -> anyhow::Result<Option<Item>> {
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => {
                let reader = LogReader::open(Delivered(self.bytes.clone()), Some(self.fingerprint))
                    .context("the primary's log")?;
                self.reader.insert(reader)
            }
        };
        let Some(entry) = reader.next_entry().context("the primary's log")? else {
            return Ok(None);
        };
        if let Payload::ClockAnchor { host_ns, mtime, .. } = entry.payload {
            self.anchor = Some((host_ns, mtime));
        }
        Ok(Some(Item::Entry(entry)))
    }
}

/// Where the primary's state stopped, for a joining backup: see [`ChannelSource::take_state`].
#[derive(Debug)]
pub struct SyncPoint {
    /// The position the primary stopped at.
    pub position: u64,
    /// Its digest there.
    pub digest: [u8; 32],
    /// Its state there, without RAM and disk.
    pub state: Vec<u8>,
}

impl ChannelSource {
    /// Before the log: hands each chunk of the primary's state to `chunk` and returns where
    /// the state is complete. `None` when the primary sends no state (a fresh pair: its log
    /// starts at the machine's first position), or when it is gone before the state is
    /// complete (then the log is empty too).
    pub fn take_state(
        &mut self,
        mut chunk: impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<Option<SyncPoint>> {
        loop {
            match self.deliveries.recv() {
                Ok(Delivery::Transfer(bytes)) => chunk(&bytes)?,
                Ok(Delivery::Synced {
                    position,
                    digest,
                    state,
                }) => {
                    return Ok(Some(SyncPoint {
                        position,
                        digest,
                        state,
                    }))
                }
                Ok(Delivery::Bytes(bytes)) => {
                    self.bytes.borrow_mut().extend(bytes);
                    return Ok(None);
                }
                Ok(Delivery::RunTo(position, at)) => {
                    self.vouched = Some(position);
                    self.pending_vouches.push_back((position, at));
                    return Ok(None);
                }
                Ok(Delivery::End) | Err(_) => {
                    self.ended = true;
                    return Ok(None);
                }
            }
        }
    }
}

impl LogSource for ChannelSource {
    fn next_item(&mut self) -> anyhow::Result<Option<Item>> {
        loop {
            if self.unread() {
                if let Some(item) = self.read_entry()? {
                    return Ok(Some(item));
                }
                if self.unread() {
                    bail!("the primary's log stream stops in the middle of an entry");
                }
            }
            if let Some(position) = self.vouched.take() {
                return Ok(Some(Item::Vouch(position)));
            }
            if self.ended {
                return Ok(None);
            }
            match self.deliveries.recv() {
                Ok(Delivery::Bytes(bytes)) => self.bytes.borrow_mut().extend(bytes),
                Ok(Delivery::RunTo(position, at)) => {
                    self.vouched = Some(position);
                    self.pending_vouches.push_back((position, at));
                }
                Ok(Delivery::End) | Err(_) => self.ended = true,
                Ok(Delivery::Transfer(_) | Delivery::Synced { .. }) => {
                    bail!("the primary sent its state in the middle of its log")
                }
            }
        }
    }

    fn executed(&mut self, machine: &Machine) {
        let position = machine.position();
        while let Some(&(vouched, at)) = self.pending_vouches.front() {
            if vouched > position {
                break;
            }
            self.pending_vouches.pop_front();
            if self.lag.len() == MAX_LAG_SAMPLES {
                self.lag.drain(..MAX_LAG_SAMPLES / 2);
            }
            self.lag.push(at.elapsed());
        }
        if position != self.reported {
            self.reported = position;
            let mtime = machine.mtime();
            let _ = self
                .events
                .send(EngineEvent::Executed { position, mtime }.into());
        }
    }
}

/// The backup's outputs: dropped once the primary says it released them, kept otherwise so
/// that none is lost when the backup goes live; its frames also teach the guest's addresses.
pub struct BackupOutputs {
    held: VecDeque<(u64, Output)>,
    released: Arc<AtomicU64>,
    addresses: Option<GuestAddresses>,
}

impl BackupOutputs {
    /// Drops outputs at or below `released` (which the driver keeps up to date); learns the
    /// addresses of the guest whose MAC is `mac`.
    pub fn new(released: Arc<AtomicU64>, mac: Option<[u8; 6]>) -> BackupOutputs {
        BackupOutputs {
            held: VecDeque::new(),
            released,
            addresses: mac.map(GuestAddresses::new),
        }
    }

    fn hold(&mut self, position: u64, output: Output) {
        let released = self.released.load(Ordering::Acquire);
        while self.held.front().is_some_and(|(p, _)| *p <= released) {
            self.held.pop_front();
        }
        if position > released {
            self.held.push_back((position, output));
        }
    }

    /// Goes live on `out`: announces the guest's MAC (when it has a network), then releases
    /// what the primary may not have. Returns how many outputs were released.
    pub fn go_live(mut self, out: &mut DirectOutputs) -> usize {
        if let Some(addresses) = &self.addresses {
            for frame in addresses.announcements() {
                out.frame(0, frame);
            }
        }
        let released = self.released.load(Ordering::Acquire);
        self.held.retain(|(p, _)| *p > released);
        let count = self.held.len();
        for (position, output) in self.held {
            match output {
                Output::Console(bytes) => out.console(position, &bytes),
                Output::Frame(frame) => out.frame(position, frame),
            }
        }
        count
    }

    /// The guest's addresses seen so far, for announcements after go-live.
    pub fn addresses(&self) -> Option<&GuestAddresses> {
        self.addresses.as_ref()
    }
}

impl Outputs for BackupOutputs {
    fn console(&mut self, position: u64, bytes: &[u8]) {
        self.hold(position, Output::Console(bytes.to_vec()));
    }

    fn frame(&mut self, position: u64, frame: Vec<u8>) {
        if let Some(addresses) = &mut self.addresses {
            addresses.observe(&frame);
        }
        self.hold(position, Output::Frame(frame));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use replay::{Entry, LogWriter};

    use super::*;

    /// The bytes a primary ships: the header with the first entries, then more entries.
    fn shipped(entries: &[Entry]) -> (Vec<u8>, Vec<u8>) {
        let mut writer = LogWriter::new(Vec::new(), [7; 32]).expect("header");
        writer.append(&entries[0]).expect("entry");
        writer.flush().expect("flush");
        let first = std::mem::take(writer.get_mut());
        for entry in &entries[1..] {
            writer.append(entry).expect("entry");
        }
        writer.flush().expect("flush");
        (first, std::mem::take(writer.get_mut()))
    }

    fn anchor(position: u64, host_ns: u64) -> Entry {
        Entry {
            position,
            payload: Payload::ClockAnchor {
                host_ns,
                mtime: 5_000,
                rate: 1 << 32,
            },
        }
    }

    #[test]
    fn entries_come_before_the_vouch_that_follows_them_and_end_ends_the_log() {
        let entries = [
            anchor(10, 1),
            Entry {
                position: 20,
                payload: Payload::Entropy(vec![1, 2, 3]),
            },
            anchor(20, 2),
        ];
        let (first, rest) = shipped(&entries);
        let (deliver, deliveries) = mpsc::channel();
        let (events, _) = mpsc::channel();
        let mut source = ChannelSource::new(deliveries, [7; 32], events);
        for delivery in [
            Delivery::Bytes(first),
            Delivery::RunTo(15, Instant::now()),
            Delivery::Bytes(rest),
            Delivery::RunTo(30, Instant::now()),
            Delivery::RunTo(40, Instant::now()),
            Delivery::End,
        ] {
            deliver.send(delivery).expect("source alive");
        }
        let mut items = Vec::new();
        while let Some(item) = source.next_item().expect("a clean log") {
            items.push(match item {
                Item::Entry(e) => format!("entry {}", e.position),
                Item::Vouch(p) => format!("vouch {p}"),
            });
        }
        assert_eq!(
            items,
            ["entry 10", "vouch 15", "entry 20", "entry 20", "vouch 30", "vouch 40"]
        );
        assert_eq!(source.anchor, Some((2, 5_000)), "the last anchor is kept");
    }

    #[test]
    fn a_log_of_another_machine_is_refused() {
        let (first, _) = shipped(&[anchor(1, 1)]);
        let (deliver, deliveries) = mpsc::channel();
        let (events, _) = mpsc::channel();
        let mut source = ChannelSource::new(deliveries, [8; 32], events);
        deliver.send(Delivery::Bytes(first)).expect("source alive");
        let error = source.next_item().expect_err("another fingerprint");
        assert!(format!("{error:#}").contains("primary's log"), "{error:#}");
    }

    #[test]
    fn backup_outputs_drop_what_the_primary_released_and_keep_the_rest_for_go_live() {
        let released = Arc::new(AtomicU64::new(0));
        let mut outputs = BackupOutputs::new(released.clone(), None);
        outputs.console(10, b"a");
        outputs.console(20, b"b");
        released.store(10, Ordering::Release);
        outputs.console(30, b"c");
        let kept: Vec<u64> = outputs.held.iter().map(|(p, _)| *p).collect();
        assert_eq!(kept, [20, 30]);
        released.store(25, Ordering::Release);
        assert_eq!(outputs.go_live(&mut DirectOutputs::new(None)), 1);
    }
}
