//! `vmft primary`: the live machine of a fault-tolerant pair.
//!
//! Threads: the engine's run loop (the main thread) runs the guest and records every input
//! into a [`ChannelLog`]; an acceptor takes backups' connections and runs the channel's
//! handshake; a receiver per connection reads the backup's messages; the protocol thread runs
//! the [`Primary`] core over all of their events, sends what it says, releases held outputs
//! and asks the arbiter. The machine starts only once a first backup has joined; a backup
//! that joins later, or joins a backup gone live, gets the running machine's state by live
//! pre-copy ([`crate::join`]) between the guest's slices.

use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use engine::config::RunConfig;
use engine::host::HostInput;
use engine::live::{print_stats, run_live, LiveRun};
use engine::output::DirectOutputs;
use engine::record::{end_reason, Recorder};
use engine::setup::Built;
use tracing::{info, warn};

use crate::arbiter::{Arbiter, Claim};
use crate::channel::{self, Key};
use crate::driver::{
    next_turn, spawn_claim, spawn_receiver, Clock, Event, Options, SharedArbiter, Side,
    HANDSHAKE_TIMEOUT,
};
use crate::engine_io::{lock, ChannelLog, EngineEvent, HeldOutputs, PrimaryOutputs};
use crate::join::{Precopy, TransferCommand};
use crate::log::changes;
use crate::protocol::{ConnId, Millis, Primary, PrimaryAction, PrimaryState};
use crate::status::{whole_ms, Board, Pending, Role, State, Traffic};

/// How long a primary whose guest has ended waits for its backup to acknowledge the last
/// outputs before it exits without them.
const FINISH_PATIENCE: Duration = Duration::from_secs(5);

/// Runs the machine `config` describes as a primary listening on `listen`.
pub fn run(config: RunConfig, listen: &str, options: &Options) -> anyhow::Result<ExitCode> {
    let Side {
        key,
        arbiter,
        node,
        built,
        identity,
        board,
    } = Side::prepare(&config, options, Role::Primary)?;
    let epoch = first_epoch(&mut **lock(&arbiter), &node)?;
    board.update(|status| status.epoch = epoch);
    let listener =
        TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr().context("the listening address")?;
    info!(
        change = changes::LISTENING,
        epoch, "primary {node} in epoch {epoch} listening on {address}; waiting for a backup"
    );
    let input = HostInput::start(built.tap.as_ref()).context("starting the input threads")?;
    serve(Serving {
        config: &config,
        options,
        key,
        arbiter,
        node,
        board,
        built,
        core: Primary::new(options.protocol(), identity, epoch)?,
        listener: Some(listener),
        input,
    })
}

/// A machine to run live as a primary, and what it serves backups with.
pub(crate) struct Serving<'a> {
    /// The machine's configuration (its limits).
    pub config: &'a RunConfig,
    /// The pair's options.
    pub options: &'a Options,
    /// The logging channel's key.
    pub key: Key,
    /// The arbiter.
    pub arbiter: SharedArbiter,
    /// This side's name.
    pub node: String,
    /// What `vmft status` shows.
    pub board: Board,
    /// The machine, ready to run (at its start, or where a backup went live).
    pub built: Built,
    /// The protocol core: waiting for a first backup, or alone after a go-live.
    pub core: Primary,
    /// Where backups connect, if anywhere.
    pub listener: Option<TcpListener>,
    /// The host's console and network input.
    pub input: HostInput,
}

/// Runs a primary: the protocol thread, the acceptor, and the machine in the engine's live
/// loop with its log streamed to the backup, its outputs held for the core, and live state
/// transfer to backups that join while it runs. A core waiting for its first backup starts
/// the machine only once one joined.
pub(crate) fn serve(serving: Serving<'_>) -> anyhow::Result<ExitCode> {
    let Serving {
        config,
        options,
        key,
        arbiter,
        node,
        board,
        built: Built {
            mut machine,
            tap,
            fingerprint,
        },
        core,
        listener,
        mut input,
    } = serving;
    let (events, incoming) = mpsc::channel();
    if let Some(listener) = listener {
        spawn_acceptor(listener, key, events.clone())?;
    }
    let released_to = match &tap {
        Some(t) => Some(t.try_clone().context("the TAP device")?),
        None => None,
    };
    let held = Arc::new(Mutex::new(HeldOutputs::new(DirectOutputs::new(
        released_to,
    ))));
    let pause_ns = Arc::new(AtomicU64::new(0));
    let (started, start) = mpsc::channel();
    let (transfer, transfer_commands) = mpsc::channel();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let waiting = core.state() == &PrimaryState::WaitingForBackup;
    let protocol = ProtocolThread {
        core,
        clock: Clock::start(),
        events: events.clone(),
        held: held.clone(),
        pause_ns: pause_ns.clone(),
        arbiter,
        node,
        connection: None,
        started: Some(started),
        transfer,
        in_flight: in_flight.clone(),
        finishing: None,
        lag: Vec::new(),
        sampled: Millis(0),
        write_timeout: Duration::from_millis(options.timeout_ms),
        board,
        traffic: Traffic::default(),
        peer_address: None,
        held_since: Pending::default(),
        vouches: Pending::default(),
        probed: 0,
        rtt_ms: None,
    };
    let protocol = thread::Builder::new()
        .name("protocol".into())
        .spawn(move || protocol.run(incoming))
        .context("starting the protocol thread")?;
    if waiting && start.recv().is_err() {
        bail!("the fault-tolerance protocol stopped before a backup joined");
    }

    let unvouched = Arc::new(AtomicBool::new(false));
    let stream = ChannelLog::new(events.clone(), pause_ns.clone(), unvouched.clone());
    let mut recorder = Recorder::new(
        Box::new(stream),
        "the logging channel".into(),
        fingerprint,
        &mut machine,
    )?;
    let mut precopy = Precopy::new(
        transfer_commands,
        events.clone(),
        (pause_ns, unvouched.clone()),
        fingerprint,
        Duration::from_millis(options.max_pause_ms),
        options.transfer_mbps,
        in_flight,
    );
    let mut outputs = PrimaryOutputs::new(held, events, unvouched);
    let begun = Instant::now();
    let (status, last_exit) = run_live(
        &mut machine,
        LiveRun {
            recorder: Some(&mut recorder),
            outputs: &mut outputs,
            input: &mut input,
            limit: config.max_instructions.unwrap_or(u64::MAX),
            save_at: None,
            between: Some(&mut precopy),
        },
    )?;
    // The end entry goes to the backup; the protocol thread then waits (a bounded time) for
    // the last outputs' acknowledgement and lets the process exit.
    recorder.finish(&mut machine, end_reason(last_exit))?;
    if protocol.join().is_err() {
        warn!("the protocol thread failed");
    }
    if config.stats {
        print_stats(&machine, begun);
    }
    Ok(ExitCode::from(status))
}

/// Claims the epoch after the highest the arbiter knows, so that a primary that starts is the
/// one live side of its pair.
fn first_epoch(arbiter: &mut dyn Arbiter, node: &str) -> anyhow::Result<u64> {
    let epoch = arbiter.highest_epoch().context("the arbiter")? + 1;
    match arbiter.claim(epoch, node).context("the arbiter")? {
        Claim::Won => Ok(epoch),
        Claim::Lost { winner } => {
            bail!("epoch {epoch} was just claimed by {winner}: another primary is starting")
        }
    }
}

/// Accepts backups' connections and runs the channel's handshake on each; a peer that fails
/// it (another key, another protocol, garbage) is refused with a line and changes nothing.
fn spawn_acceptor(listener: TcpListener, key: Key, events: Sender<Event>) -> anyhow::Result<()> {
    thread::Builder::new()
        .name("acceptor".into())
        .spawn(move || {
            for (id, stream) in (1..).zip(listener.incoming()) {
                let Ok(stream) = stream else { continue };
                let peer = peer_of(&stream);
                match channel::accept(stream, &key, HANDSHAKE_TIMEOUT) {
                    Ok((sender, receiver)) => {
                        if events.send(Event::Connected(id, sender, peer)).is_err() {
                            return;
                        }
                        spawn_receiver(id, receiver, events.clone());
                    }
                    Err(error) => warn!(
                        change = changes::REFUSED,
                        "refused a connection from {peer}: {error}"
                    ),
                }
            }
        })
        .context("starting the acceptor")?;
    Ok(())
}

fn peer_of(stream: &TcpStream) -> String {
    stream
        .peer_addr()
        .map_or_else(|_| "an unknown peer".into(), |a| a.to_string())
}

/// The protocol thread's state.
struct ProtocolThread {
    core: Primary,
    clock: Clock,
    events: Sender<Event>,
    held: Arc<Mutex<HeldOutputs>>,
    pause_ns: Arc<AtomicU64>,
    arbiter: SharedArbiter,
    node: String,
    /// The backup's connection: its number and sending half.
    connection: Option<(u64, channel::Sender)>,
    /// Told once the machine may start.
    started: Option<Sender<()>>,
    /// Starts and stops the live state transfer to a joining backup.
    transfer: Sender<TransferCommand>,
    /// Transfer chunks handed over by the run loop and not sent yet.
    in_flight: Arc<AtomicUsize>,
    /// When the guest's run ended.
    finishing: Option<Instant>,
    /// The backup's lag in ms of guest time, sampled every millisecond while protected.
    lag: Vec<u64>,
    /// When the lag was last sampled.
    sampled: Millis,
    /// How long one send may block.
    write_timeout: Duration,
    /// What `vmft status` and the metrics show.
    board: Board,
    /// The logging channel's traffic.
    traffic: Traffic,
    /// The current backup's address.
    peer_address: Option<String>,
    /// The positions of the outputs held, with when they were produced.
    held_since: Pending,
    /// Positions vouched for to the backup and not acknowledged yet, with when the log
    /// message that vouched for them went out; `probed` is the highest.
    vouches: Pending,
    probed: u64,
    /// The last round trip from a log message to the acknowledgement of what it vouched,
    /// while a backup is connected.
    rtt_ms: Option<f64>,
}

impl ProtocolThread {
    fn run(mut self, incoming: Receiver<Event>) {
        while let Some(events) = next_turn(&incoming) {
            let now = self.clock.advance();
            // What an event asks for is done before the next event: a backlog of transfer
            // chunks must not hold back the heartbeats and acknowledgements behind it.
            for event in events {
                self.handle(event);
                self.perform();
            }
            self.core.tick(now);
            self.perform();
            self.probe();
            if now != self.sampled {
                self.sampled = now;
                self.lag.extend(self.core.lag_ms());
                self.publish();
            }
            let pause = self.core.throttle().map_or(0, |ms| ms.0 * 1_000_000);
            self.pause_ns.store(pause, Ordering::Relaxed);
            if let Some(since) = self.finishing {
                let done = lock(&self.held).is_empty();
                if done || since.elapsed() > FINISH_PATIENCE {
                    if !done {
                        warn!("exiting with outputs the backup never acknowledged");
                    }
                    self.report();
                    return;
                }
            }
        }
    }

    fn handle(&mut self, event: Event) {
        let now = self.clock.now();
        match event {
            Event::Engine(EngineEvent::Log {
                bytes,
                position,
                mtime,
            }) => {
                self.core.log(bytes);
                self.core.position(position, mtime, now);
            }
            Event::Engine(EngineEvent::Output { position }) => {
                self.held_since.push(position, Instant::now());
                self.core.output(position, now)
            }
            Event::Engine(EngineEvent::Finished) => self.finishing = Some(Instant::now()),
            Event::Engine(EngineEvent::Transfer(chunk)) => {
                self.core.transfer(&chunk, now);
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
            }
            Event::Engine(EngineEvent::Synced {
                position,
                digest,
                state,
            }) => self.core.synced(position, digest, state, now),
            Event::Engine(EngineEvent::TransferFailed(why)) => {
                warn!(change = changes::REFUSED, "giving up the join: {why}");
                if let Some((id, mut sender)) = self.connection.take() {
                    let _ = sender.shutdown();
                    self.core.disconnected(ConnId(id), now);
                }
            }
            Event::Engine(EngineEvent::Executed { .. } | EngineEvent::Drained) => {}
            Event::Connected(id, mut sender, address) => {
                let free = matches!(
                    self.core.state(),
                    PrimaryState::WaitingForBackup | PrimaryState::Alone
                );
                if free && self.connection.is_none() {
                    // A send to a host that vanished must not hold this thread past the
                    // failure timeout: it fails as a silent peer would.
                    if let Err(error) = sender.set_write_timeout(Some(self.write_timeout)) {
                        warn!("logging channel to the backup: {error}");
                    }
                    tracing::debug!("a backup connected from {address}");
                    self.connection = Some((id, sender));
                    self.peer_address = Some(address);
                    self.core.connected(ConnId(id), now);
                } else {
                    warn!(
                        change = changes::REFUSED,
                        "refused another backup: this primary has one already"
                    );
                    let _ = sender.shutdown();
                }
            }
            Event::Received(id, message) if self.is_current(id) => {
                self.traffic.received += message.len() as u64;
                self.core.message(ConnId(id), &message, now);
                if let Some(sent) = self.vouches.reach(self.core.acknowledged()) {
                    self.rtt_ms = Some(sent.elapsed().as_secs_f64() * 1000.0);
                }
            }
            Event::ChannelFailed(id, error) if self.is_current(id) => {
                warn!(
                    change = changes::CHANNEL,
                    "logging channel to the backup failed: {error}"
                );
                self.connection = None;
                self.core.disconnected(ConnId(id), now);
            }
            Event::Received(..) | Event::ChannelFailed(..) => {}
            Event::Arbiter(result) => self.core.arbiter(result, now),
        }
    }

    /// Notes when the core vouched for a new position, to time the backup's acknowledgement.
    fn probe(&mut self) {
        if self.connection.is_none() {
            self.vouches.clear();
            self.probed = 0;
            self.rtt_ms = None;
            return;
        }
        let vouched = self.core.vouched();
        if vouched > self.probed {
            self.probed = vouched;
            self.vouches.push(vouched, Instant::now());
        }
    }

    /// Shows where the primary stands on its board.
    fn publish(&mut self) {
        let now = Instant::now();
        let core = &self.core;
        let state = core.state();
        let backup = match state {
            PrimaryState::Protected { backup } => Some(backup.as_str()),
            _ => None,
        };
        let address = backup.and(self.peer_address.as_deref());
        let (held_since, traffic, rtt_ms) = (&self.held_since, &mut self.traffic, self.rtt_ms);
        self.board.update(|status| {
            status.show_pair(State::from(state), core.epoch(), backup, address);
            status.position = core.reported_position();
            status.lag_positions = core.lag_positions();
            status.lag_ms = core.lag_ms();
            status.held_outputs = held_since.len() as u64;
            status.oldest_held_ms = held_since.oldest_age(now).map(whole_ms);
            traffic.show(status, now);
            status.heartbeat_rtt_ms = rtt_ms;
        });
    }

    /// Prints what the pair did: the backup's lag and the channel's traffic.
    fn report(&mut self) {
        self.lag.sort_unstable();
        if let (Some(median), Some(max)) = (self.lag.get(self.lag.len() / 2), self.lag.last()) {
            info!(
                change = changes::SUMMARY,
                "backup lag (guest time): median {median} ms, max {max} ms over {} samples",
                self.lag.len()
            );
        }
        info!(
            change = changes::SUMMARY,
            "logging channel: {} bytes sent", self.traffic.sent
        );
    }

    fn is_current(&self, id: u64) -> bool {
        self.connection.as_ref().is_some_and(|(c, _)| *c == id)
    }

    fn perform(&mut self) {
        while let Some(action) = self.core.poll() {
            match action {
                PrimaryAction::Send { conn, bytes } => {
                    self.traffic.sent += bytes.len() as u64;
                    let failed = match &mut self.connection {
                        Some((id, sender)) if ConnId(*id) == conn => sender.send(&bytes).err(),
                        _ => None,
                    };
                    if let Some(error) = failed {
                        warn!(
                            change = changes::CHANNEL,
                            "logging channel to the backup failed: {error}"
                        );
                        self.connection = None;
                        self.core.disconnected(conn, self.clock.now());
                    }
                }
                PrimaryAction::Start => {
                    if let Some(started) = self.started.take() {
                        let _ = started.send(());
                    }
                }
                PrimaryAction::StartTransfer => {
                    let _ = self.transfer.send(TransferCommand::Start);
                }
                PrimaryAction::AbortTransfer => {
                    let _ = self.transfer.send(TransferCommand::Abort);
                }
                PrimaryAction::Release { through } => {
                    lock(&self.held).release(through);
                    self.held_since.reach(through);
                }
                PrimaryAction::Claim { epoch } => {
                    spawn_claim(&self.arbiter, epoch, &self.node, &self.events)
                }
                PrimaryAction::Close { conn, why } => {
                    if let Some((_, mut sender)) =
                        self.connection.take_if(|(id, _)| ConnId(*id) == conn)
                    {
                        info!(
                            change = changes::CHANNEL,
                            "closing the logging channel: {why}"
                        );
                        let _ = sender.shutdown();
                    }
                }
                PrimaryAction::Refused { reason } => {
                    warn!(change = changes::REFUSED, "refused a backup: {reason}")
                }
                PrimaryAction::PeerRefused { reason } => {
                    warn!(
                        change = changes::REFUSED,
                        "the backup refused this primary: {reason}"
                    )
                }
                PrimaryAction::Halt { reason, exit_code } => {
                    warn!(change = changes::HALTED, exit_code, "halted: {reason}");
                    std::process::exit(exit_code);
                }
                PrimaryAction::State(change) => {
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
    }
}
