//! `vmft backup`: the replaying machine of a fault-tolerant pair, and its go-live.
//!
//! Threads: the engine's replay loop (the main thread) reads a [`ChannelSource`] and never
//! runs past what the primary vouched for; a receiver reads the primary's messages; the
//! protocol thread runs the [`Backup`] core, delivers the log to the replay loop,
//! acknowledges it, watches for the primary's silence and asks the arbiter. When the core
//! says go live, the log ends: the replay loop has executed everything received, and the
//! same machine goes on in the engine's live loop, reading and writing the network.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use engine::config::RunConfig;
use engine::host::{HostInput, NetGate};
use engine::live::{print_stats, EXIT_LIMIT};
use engine::output::{DirectOutputs, Outputs};
use engine::replayer::{replay_loop, ReplayEnd, ReplayStats};
use engine::setup::Built;
use hostio::Tap;
use machine::{InputEvent, Machine};
use tracing::{info, warn};

use crate::announce::GuestAddresses;
use crate::channel;
use crate::driver::{
    connect, next_turn, spawn_claim, spawn_receiver, Clock, Event, Options, SharedArbiter, Side,
    EXIT_DIVERGED, HANDSHAKE_TIMEOUT,
};
use crate::engine_io::{lock, BackupOutputs, ChannelSource, Delivery, EngineEvent};
use crate::join::Receiving;
use crate::log::changes;
use crate::primary::{self, Serving};
use crate::protocol::{Backup, BackupAction, BackupState, Millis, Primary};
use crate::status::{whole_ms, Board, Pending, Role, State, Traffic};

/// How long a backup keeps trying to reach a primary that is not listening yet.
const CONNECT_PATIENCE: Duration = Duration::from_secs(30);

/// After go-live, the further rounds of announcements, as delays after the first: switches
/// that missed one (a frame lost, a port still coming up) learn from the next, as with
/// QEMU's `announce-self`.
const ANNOUNCE_REPEATS: [Duration; 4] = [
    Duration::from_millis(50),
    Duration::from_millis(150),
    Duration::from_millis(300),
    Duration::from_millis(500),
];

/// Exit status of a backup refused by its primary, or refusing it.
const EXIT_REFUSED: i32 = 2;

/// What the protocol thread tells the main thread when the backup goes live.
#[derive(Clone, Copy, Debug)]
struct GoLive {
    epoch: u64,
    /// When the primary's failure was detected, and how long after its last frame.
    detected: Instant,
    silence: Duration,
}

/// Runs the machine `config` describes as the backup of the primary at `primary`.
pub fn run(config: RunConfig, primary: &str, options: &Options) -> anyhow::Result<ExitCode> {
    let Side {
        key,
        arbiter,
        node,
        built: Built {
            mut machine,
            tap,
            fingerprint,
        },
        identity,
        board,
    } = Side::prepare(&config, options, Role::Backup)?;
    let stream = connect(primary, CONNECT_PATIENCE)?;
    // The epoch is read once the primary listens, which it does only after claiming its own:
    // a backup that started first is not taken for one of an older epoch.
    let known_epoch = lock(&arbiter).highest_epoch().context("the arbiter")?;
    board.update(|status| status.epoch = known_epoch);
    let core = Backup::new(
        options.protocol(),
        identity.clone(),
        known_epoch,
        options.join,
    )?;
    let peer_address = stream
        .peer_addr()
        .map_or_else(|_| primary.to_owned(), |a| a.to_string());
    let (sender, receiver) = channel::connect(stream, &key, HANDSHAKE_TIMEOUT)
        .map_err(|e| anyhow!("the primary at {primary}: {e}"))?;
    // A send to a host that vanished must not hold the protocol thread past the failure
    // timeout: it fails as a silent peer would.
    sender.set_write_timeout(Some(Duration::from_millis(options.timeout_ms)))?;
    info!(
        change = changes::CONNECTED,
        "backup {node} connected to the primary at {primary}"
    );

    let (events, incoming) = mpsc::channel();
    spawn_receiver(1, receiver, events.clone());
    let (deliver, deliveries) = mpsc::channel();
    let released = Arc::new(AtomicU64::new(0));
    let (decided, decision) = mpsc::channel();
    let clock = Clock::start();
    let protocol = ProtocolThread {
        core,
        clock,
        events: events.clone(),
        sender: Some(sender),
        deliver,
        released: released.clone(),
        arbiter: arbiter.clone(),
        node,
        last_heard: Instant::now(),
        detected: None,
        claim: None,
        drained: false,
        decided,
        board: board.clone(),
        traffic: Traffic::default(),
        peer_address,
        unexecuted: Pending::default(),
        published: Millis(0),
    };
    thread::Builder::new()
        .name("protocol".into())
        .spawn(move || protocol.run(incoming))
        .context("starting the protocol thread")?;

    // The TAP stays open and drained, its frames discarded, until the backup goes live.
    let gate = NetGate::closed();
    let input =
        HostInput::start_gated(tap.as_ref(), &gate).context("starting the input threads")?;
    let mut source = ChannelSource::new(deliveries, fingerprint, events.clone());
    if options.join {
        // A running primary sends its state first; one waiting for its first backup does not.
        let mut receiving = Receiving::new(&config)?;
        if let Some(sync) = source.take_state(|chunk| receiving.apply(chunk))? {
            machine = match receiving.finish(&config, sync.position, sync.digest, &sync.state) {
                Ok(built) => built.machine,
                Err(error) => return Ok(diverged(&error)),
            };
        }
    }
    let mut outputs = BackupOutputs::new(released, machine.mac());
    let limit = config.max_instructions.unwrap_or(u64::MAX);
    let begun = Instant::now();
    let mut stats = ReplayStats::default();
    let end = match replay_loop(&mut machine, &mut source, &mut outputs, limit, &mut stats) {
        Ok(end) => end,
        Err(error) => return Ok(diverged(&error)),
    };
    let summary = |machine: &Machine| {
        if config.stats {
            print_stats(machine, begun);
        }
        let lag = source.lag().map_or_else(String::new, |(median, max)| {
            format!("; lag behind the primary: median {median:.1?}, max {max:.1?}")
        });
        info!(
            change = changes::SUMMARY,
            "backup replayed {} log entries; {} state digests matched{lag}",
            stats.entries,
            stats.digests
        );
    };
    match end {
        ReplayEnd::Finished(status) => {
            summary(&machine);
            Ok(ExitCode::from(status))
        }
        ReplayEnd::LimitReached => {
            info!("instruction limit reached ({limit} instructions)");
            Ok(ExitCode::from(EXIT_LIMIT))
        }
        ReplayEnd::CutShort => {
            // Everything received is executed: now the protocol may claim the next epoch,
            // and halts the process if it loses.
            let _ = events.send(EngineEvent::Drained.into());
            let Ok(go) = decision.recv() else {
                bail!("the fault-tolerance protocol stopped without deciding to go live");
            };
            summary(&machine);
            if let Some(mtime) = source.wall_mtime().filter(|&m| m > machine.mtime()) {
                // The guest's clock followed the primary's wall clock; from here it follows
                // this host's, moving forward over the time the failover took, never back.
                let rate = machine.clock_rate();
                machine.inject(InputEvent::ClockAnchor { mtime, rate });
            }
            gate.let_through();
            let addresses = outputs.addresses().cloned();
            let mut direct = DirectOutputs::new(clone_tap(tap.as_ref()));
            let released = outputs.go_live(&mut direct);
            if let Some(addresses) = addresses {
                spawn_announcer(clone_tap(tap.as_ref()), addresses);
            }
            info!(
                change = changes::LIVE,
                epoch = go.epoch,
                "live in epoch {} at position {}: primary failure detected {} ms after its \
                 last frame; live {} ms after detection; {released} held outputs released",
                go.epoch,
                machine.position(),
                go.silence.as_millis(),
                go.detected.elapsed().as_millis(),
            );
            let position = machine.position();
            board.update(|status| status.position = position);
            // The live backup is a primary now, alone in its epoch: it serves a new backup
            // of its own, by live state transfer, when one joins on --listen.
            let listener = match &options.listen {
                Some(listen) => {
                    let listener = TcpListener::bind(listen)
                        .with_context(|| format!("cannot listen on {listen}"))?;
                    info!(
                        change = changes::LISTENING,
                        epoch = go.epoch,
                        "listening on {} for a new backup",
                        listener.local_addr().context("the listening address")?
                    );
                    Some(listener)
                }
                None => None,
            };
            primary::serve(Serving {
                config: &config,
                options,
                key,
                arbiter,
                node: identity.node.clone(),
                board,
                built: Built {
                    machine,
                    tap,
                    fingerprint,
                },
                core: Primary::after_go_live(options.protocol(), identity, go.epoch)?,
                listener,
                input,
            })
        }
    }
}

/// Says why the backup's machine is not its primary's (a divergence, a transferred state that
/// does not match) and that it stops; its primary goes on alone.
fn diverged(error: &anyhow::Error) -> ExitCode {
    eprintln!("vmft: error: {error:#}");
    info!(
        change = changes::HALTED,
        "the backup stops; its primary goes on alone"
    );
    ExitCode::from(EXIT_DIVERGED)
}

fn clone_tap(tap: Option<&Tap>) -> Option<Tap> {
    tap.and_then(|t| match t.try_clone() {
        Ok(clone) => Some(clone),
        Err(error) => {
            warn!("TAP {}: {error}; the guest has no network", t.name());
            None
        }
    })
}

/// Sends the later rounds of the go-live announcements.
fn spawn_announcer(tap: Option<Tap>, addresses: GuestAddresses) {
    let mut out = DirectOutputs::new(tap);
    let spawned = thread::Builder::new()
        .name("announce".into())
        .spawn(move || {
            let mut waited = Duration::ZERO;
            for at in ANNOUNCE_REPEATS {
                thread::sleep(at - waited);
                waited = at;
                for frame in addresses.announcements() {
                    out.frame(0, frame);
                }
            }
        });
    if let Err(error) = spawned {
        warn!("cannot repeat the announcements: {error}");
    }
}

/// The protocol thread's state.
struct ProtocolThread {
    core: Backup,
    clock: Clock,
    events: Sender<Event>,
    sender: Option<channel::Sender>,
    deliver: Sender<Delivery>,
    released: Arc<AtomicU64>,
    arbiter: SharedArbiter,
    node: String,
    /// When the primary was last heard from.
    last_heard: Instant,
    /// When its failure was detected, and the silence before.
    detected: Option<(Instant, Duration)>,
    /// The epoch to claim once the replay has drained the log.
    claim: Option<u64>,
    /// Whether the replay executed everything delivered after the log ended.
    drained: bool,
    /// Told when the backup goes live.
    decided: Sender<GoLive>,
    /// What `vmft status` and the metrics show.
    board: Board,
    /// The logging channel's traffic.
    traffic: Traffic,
    /// The primary's address.
    peer_address: String,
    /// Positions the primary vouched for that the replay has not executed yet, with when
    /// they arrived.
    unexecuted: Pending,
    /// When the board was last brought up to date.
    published: Millis,
}

impl ProtocolThread {
    fn run(mut self, incoming: Receiver<Event>) {
        self.core.connected(self.clock.advance());
        while let Some(events) = next_turn(&incoming) {
            let now = self.clock.advance();
            for event in events {
                self.handle(event);
            }
            self.core.tick(now);
            if self.perform() {
                return;
            }
            if now != self.published {
                self.published = now;
                self.publish();
            }
            if self.sender.is_none() && self.core.state() == &BackupState::WaitingForPrimary {
                eprintln!(
                    "vmft: error: the primary closed the connection before this backup joined"
                );
                std::process::exit(EXIT_REFUSED);
            }
        }
    }

    fn handle(&mut self, event: Event) {
        let now = self.clock.now();
        match event {
            Event::Received(_, message) => {
                self.last_heard = Instant::now();
                self.traffic.received += message.len() as u64;
                self.core.message(&message, now);
            }
            Event::ChannelFailed(_, error) => {
                warn!(
                    change = changes::CHANNEL,
                    "logging channel to the primary failed: {error}"
                );
                self.sender = None;
                self.core.disconnected(now);
            }
            Event::Engine(EngineEvent::Executed { position, mtime }) => {
                self.unexecuted.reach(position);
                self.core.executed(position, mtime, now)
            }
            Event::Engine(EngineEvent::Drained) => {
                self.drained = true;
                if let Some(epoch) = self.claim.take() {
                    spawn_claim(&self.arbiter, epoch, &self.node, &self.events);
                }
            }
            Event::Arbiter(result) => self.core.arbiter(result, now),
            Event::Engine(_) | Event::Connected(..) => {}
        }
    }

    /// Shows where the backup stands on its board.
    fn publish(&mut self) {
        let now = Instant::now();
        let core = &self.core;
        let state = core.state();
        let primary = match state {
            BackupState::Following { primary } => Some(primary.as_str()),
            _ => None,
        };
        let address = primary.and(Some(self.peer_address.as_str()));
        let (unexecuted, traffic) = (&self.unexecuted, &mut self.traffic);
        self.board.update(|status| {
            status.show_pair(State::from(state), core.epoch(), primary, address);
            status.position = core.executed_through();
            status.lag_positions =
                primary.map(|_| core.received().saturating_sub(core.executed_through()));
            status.lag_ms = primary.map(|_| unexecuted.oldest_age(now).map_or(0, whole_ms));
            traffic.show(status, now);
        });
    }

    /// Does what the core asks; true once the backup went live and the thread is done.
    fn perform(&mut self) -> bool {
        while let Some(action) = self.core.poll() {
            match action {
                BackupAction::Send(bytes) => {
                    self.traffic.sent += bytes.len() as u64;
                    let failed = match &mut self.sender {
                        Some(sender) => sender.send(&bytes).err(),
                        None => None,
                    };
                    if let Some(error) = failed {
                        warn!(
                            change = changes::CHANNEL,
                            "logging channel to the primary failed: {error}"
                        );
                        self.sender = None;
                        self.core.disconnected(self.clock.now());
                    }
                }
                BackupAction::DeliverTransfer { bytes } => {
                    let _ = self.deliver.send(Delivery::Transfer(bytes));
                }
                BackupAction::Synced {
                    position,
                    digest,
                    state,
                } => {
                    let _ = self.deliver.send(Delivery::Synced {
                        position,
                        digest,
                        state,
                    });
                }
                BackupAction::Deliver { bytes } => {
                    let _ = self.deliver.send(Delivery::Bytes(bytes));
                }
                BackupAction::RunTo { vouched } => {
                    self.unexecuted.push(vouched, self.last_heard);
                    let _ = self.deliver.send(Delivery::RunTo(vouched, self.last_heard));
                }
                BackupAction::Released { through } => {
                    self.released.store(through, Ordering::Release)
                }
                BackupAction::Claim { epoch } if self.drained => {
                    spawn_claim(&self.arbiter, epoch, &self.node, &self.events)
                }
                BackupAction::Claim { epoch } => {
                    // The primary is gone: no more log. The replay executes what it has; a
                    // log that ended with the guest's end finishes the backup instead, and
                    // nothing is claimed.
                    let _ = self.deliver.send(Delivery::End);
                    self.claim = Some(epoch);
                }
                BackupAction::GoLive { epoch } => {
                    let (detected, silence) = self
                        .detected
                        .unwrap_or_else(|| (Instant::now(), self.last_heard.elapsed()));
                    self.board.update(|status| {
                        status.role = Role::LiveBackup;
                        status.state = State::Unprotected;
                        status.epoch = epoch;
                        status.protected = false;
                        status.peer = None;
                        status.peer_address = None;
                        status.lag_positions = None;
                        status.lag_ms = None;
                        status.channel_send_bytes_per_second = 0;
                        status.channel_receive_bytes_per_second = 0;
                    });
                    let _ = self.decided.send(GoLive {
                        epoch,
                        detected,
                        silence,
                    });
                    return true;
                }
                BackupAction::Close { why } => {
                    if let Some(mut sender) = self.sender.take() {
                        info!(
                            change = changes::CHANNEL,
                            "closing the logging channel: {why}"
                        );
                        let _ = sender.shutdown();
                    }
                }
                BackupAction::Refused { reason } => {
                    eprintln!("vmft: error: refused the primary: {reason}");
                    std::process::exit(EXIT_REFUSED);
                }
                BackupAction::PeerRefused { reason } => {
                    eprintln!("vmft: error: the primary refused this backup: {reason}");
                    std::process::exit(EXIT_REFUSED);
                }
                BackupAction::Halt { reason, exit_code } => {
                    warn!(change = changes::HALTED, exit_code, "halted: {reason}");
                    std::process::exit(exit_code);
                }
                BackupAction::State(change) => {
                    if matches!(change.state, BackupState::Claiming { .. }) {
                        self.detected
                            .get_or_insert((Instant::now(), self.last_heard.elapsed()));
                    }
                    info!(
                        change = changes::STATE,
                        state = %State::from(&change.state),
                        epoch = change.epoch,
                        "{change}"
                    );
                    self.publish();
                }
            }
        }
        false
    }
}
