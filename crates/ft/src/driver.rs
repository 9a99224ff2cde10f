//! What the primary's and the backup's drivers share: their options, the events their
//! threads send to the protocol thread, the channel's receiving thread, arbiter claims on a
//! thread of their own (a claim on shared storage can block), and the protocol's clock.

use std::net::TcpStream;
use std::sync::mpsc::{Receiver as EventReceiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use engine::config::RunConfig;
use engine::setup::{build, disk_hash, Built};

use crate::arbiter::{self, Arbiter, ArbiterError, Claim};
use crate::channel::{self, ChannelError, Key, Receiver};
use crate::engine_io::{lock, EngineEvent};
use crate::log::changes;
use crate::protocol::{ArbiterResult, Config, Identity, Millis};
use crate::status::{Board, Role, Status};
use crate::{control, metrics};

/// Exit status of a backup whose machine diverged from the primary's.
pub const EXIT_DIVERGED: u8 = 5;

/// Positions of guest work after which the primary vouches for its progress even with
/// nothing else to send: about a millisecond at the interpreter's speed.
const VOUCH_INTERVAL_POSITIONS: u64 = 1_000_000;

/// How long the logging channel's handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The arbiter, shared by the threads that claim epochs.
pub type SharedArbiter = Arc<Mutex<Box<dyn Arbiter>>>;

/// The options both sides of a pair take.
#[derive(Clone, Debug)]
pub struct Options {
    /// The pre-shared key's file.
    pub key_file: std::path::PathBuf,
    /// The arbiter, as `file:DIR` or `etcd://HOST:PORT[,...]/PREFIX`.
    pub arbiter: String,
    /// Milliseconds between heartbeats.
    pub heartbeat_ms: u64,
    /// Milliseconds of silence after which the peer failed.
    pub timeout_ms: u64,
    /// Milliseconds of guest time the backup may lag before the primary slows down.
    pub max_lag_ms: u64,
    /// This side's name; the host name and process id when not given.
    pub node: Option<String>,
    /// The longest the primary may stop for the last step of a live state transfer.
    pub max_pause_ms: u64,
    /// A cap on the live state transfer's bandwidth, in Mbit/s.
    pub transfer_mbps: Option<u64>,
    /// Backup: may receive a running primary's state (which overwrites its disk).
    pub join: bool,
    /// Backup: where to listen for backups of its own once it went live.
    pub listen: Option<String>,
    /// Where to serve the status on a Unix socket, if anywhere.
    pub control: Option<std::path::PathBuf>,
    /// Where to serve the metrics over HTTP (`ADDR:PORT`), if anywhere.
    pub metrics: Option<String>,
}

impl Options {
    /// The protocol's configuration.
    pub fn protocol(&self) -> Config {
        Config {
            heartbeat_ms: self.heartbeat_ms,
            timeout_ms: self.timeout_ms,
            max_lag_ms: self.max_lag_ms,
            vouch_interval_positions: VOUCH_INTERVAL_POSITIONS,
            ..Config::default()
        }
    }

    /// This side's name.
    pub fn node(&self) -> String {
        self.node.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "host".to_owned());
            format!("{host}:{}", std::process::id())
        })
    }

    /// Loads the key and opens the arbiter, with one-line errors.
    pub fn open(&self) -> anyhow::Result<(Key, SharedArbiter)> {
        self.protocol().check().context("fault-tolerance options")?;
        let key = Key::load(&self.key_file)?;
        let arbiter = arbiter::open(&self.arbiter)?;
        Ok((key, Arc::new(Mutex::new(arbiter))))
    }
}

/// What each side starts from: its key, arbiter and name, and its machine with the identity
/// it shows its peer.
pub struct Side {
    /// The logging channel's key.
    pub key: Key,
    /// The arbiter.
    pub arbiter: SharedArbiter,
    /// This side's name.
    pub node: String,
    /// The machine, its TAP device (when it has a network) and fingerprint.
    pub built: Built,
    /// What the hello shows: the fingerprint, the disk's hash and the name.
    pub identity: Identity,
    /// The side's status, already served where the options say.
    pub board: Board,
}

impl Side {
    /// Opens the key and the arbiter, serves the status of a side in `role`, and builds the
    /// machine `config` describes with its TAP device attached: one-line errors for bad files
    /// and addresses.
    pub fn prepare(config: &RunConfig, options: &Options, role: Role) -> anyhow::Result<Side> {
        let (key, arbiter) = options.open()?;
        let node = options.node();
        let board = Board::new(Status::new(&node, role, 0));
        if let Some(path) = &options.control {
            control::serve(path, board.clone())?;
        }
        if let Some(address) = &options.metrics {
            metrics::serve(address, board.clone())?;
        }
        let built = build(config, true, None)?;
        let identity = Identity {
            fingerprint: built.fingerprint,
            disk_hash: disk_hash(config)?,
            node: node.clone(),
        };
        Ok(Side {
            key,
            arbiter,
            node,
            built,
            identity,
            board,
        })
    }
}

/// Everything the protocol thread hears about.
pub enum Event {
    /// From the engine.
    Engine(EngineEvent),
    /// Primary: a backup's channel is up (after the handshake), with its connection number
    /// and the backup's address.
    Connected(u64, channel::Sender, String),
    /// A message arrived on connection `0`.
    Received(u64, Vec<u8>),
    /// Connection `0` failed.
    ChannelFailed(u64, ChannelError),
    /// The arbiter answered a claim.
    Arbiter(ArbiterResult),
}

impl From<EngineEvent> for Event {
    fn from(event: EngineEvent) -> Event {
        Event::Engine(event)
    }
}

/// Reads messages from connection `id` until it fails, passing them to `events`.
pub fn spawn_receiver(id: u64, mut receiver: Receiver, events: Sender<Event>) {
    let spawned = thread::Builder::new()
        .name(format!("channel-rx-{id}"))
        .spawn(move || loop {
            match receiver.recv() {
                Ok(message) => {
                    if events.send(Event::Received(id, message)).is_err() {
                        return;
                    }
                }
                Err(error) => {
                    let _ = events.send(Event::ChannelFailed(id, error));
                    return;
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot start the channel's reader: {error}");
    }
}

/// Asks `arbiter` for `epoch` on a thread of its own and passes the answer to `events`; an
/// arbiter that cannot be reached is said once per claim.
pub fn spawn_claim(arbiter: &SharedArbiter, epoch: u64, node: &str, events: &Sender<Event>) {
    let (arbiter, node, answer) = (arbiter.clone(), node.to_owned(), events.clone());
    let spawned = thread::Builder::new()
        .name("arbiter".into())
        .spawn(move || {
            // A client library that panics on a malformed answer must not leave the protocol
            // waiting for ever: that claim counts as unanswered, and is asked again.
            let claimed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                lock(&arbiter).claim(epoch, &node)
            }))
            .unwrap_or_else(|_| {
                Err(ArbiterError::Unreachable(
                    "the arbiter's client failed on its answer".into(),
                ))
            });
            let result = match claimed {
                Ok(Claim::Won) => ArbiterResult::Won,
                Ok(Claim::Lost { winner }) => ArbiterResult::Lost { winner },
                Err(error) => {
                    tracing::warn!(
                        change = changes::ARBITER_UNREACHABLE,
                        epoch,
                        "arbiter unreachable for epoch {epoch} ({error}); waiting"
                    );
                    ArbiterResult::Unreachable
                }
            };
            let _ = answer.send(Event::Arbiter(result));
        });
    if let Err(error) = spawned {
        tracing::warn!(
            change = changes::ARBITER_UNREACHABLE,
            epoch,
            "cannot ask the arbiter: {error}"
        );
        let _ = events.send(Event::Arbiter(ArbiterResult::Unreachable));
    }
}

/// The longest step the protocol's clock takes between two turns of a protocol thread.
const MAX_CLOCK_STEP_MS: u64 = 10;

/// How long a protocol thread waits for an event before it lets the core check its timers.
const TICK: Duration = Duration::from_millis(1);

/// The protocol's clock: milliseconds the protocol thread has been running to see them.
///
/// It follows the host's monotonic clock but advances at most [`MAX_CLOCK_STEP_MS`] per turn
/// of the thread: when this process is stalled (a starved or descheduled host), the peer's
/// frames wait unread in its socket and queue, and a clock that ran on would count our own
/// stall as the peer's silence. A dead peer is still detected: every turn (at least one per
/// millisecond) moves the clock on. Safety never depends on this clock (the arbiter decides
/// who goes on); only how soon a failure is noticed.
pub struct Clock {
    started: Instant,
    seen: Duration,
    now: u64,
}

impl Clock {
    /// Starts now.
    pub fn start() -> Clock {
        Clock {
            started: Instant::now(),
            seen: Duration::ZERO,
            now: 0,
        }
    }

    /// Moves the clock on by the time passed since the last turn, at most one step.
    pub fn advance(&mut self) -> Millis {
        let elapsed = self.started.elapsed();
        let step = (elapsed.saturating_sub(self.seen)).as_millis();
        let step = u64::try_from(step)
            .unwrap_or(u64::MAX)
            .min(MAX_CLOCK_STEP_MS);
        if step > 0 {
            self.seen = elapsed;
            self.now = self.now.saturating_add(step);
        }
        Millis(self.now)
    }

    /// The time of this turn.
    pub fn now(&self) -> Millis {
        Millis(self.now)
    }
}

/// The events of one turn of a protocol thread: the first to come within a tick, then every
/// one already queued, so that frames that arrived count before any timer is checked.
/// `None` once every sender is gone.
pub fn next_turn(incoming: &EventReceiver<Event>) -> Option<Vec<Event>> {
    let mut events = Vec::new();
    match incoming.recv_timeout(TICK) {
        Ok(event) => events.push(event),
        Err(RecvTimeoutError::Timeout) => {}
        Err(RecvTimeoutError::Disconnected) => return None,
    }
    events.extend(incoming.try_iter());
    Some(events)
}

/// Connects to `address` (retrying while nothing listens there yet, up to `patience`).
pub fn connect(address: &str, patience: Duration) -> anyhow::Result<TcpStream> {
    let deadline = Instant::now() + patience;
    loop {
        match TcpStream::connect(address) {
            Ok(stream) => return Ok(stream),
            Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(100)),
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot connect to the primary at {address}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stall_of_this_process_moves_the_protocol_clock_one_step_only() {
        let mut clock = Clock::start();
        thread::sleep(Duration::from_millis(120));
        let after_stall = clock.advance();
        assert!(after_stall.0 <= MAX_CLOCK_STEP_MS, "{after_stall:?}");
        // Turns that follow each other closely keep real time.
        let before = clock.advance();
        let mut now = before;
        for _ in 0..30 {
            thread::sleep(Duration::from_millis(2));
            now = clock.advance();
        }
        assert!(now.0 - before.0 >= 60, "{before:?} -> {now:?}");
        assert_eq!(clock.now(), now);
    }
}
