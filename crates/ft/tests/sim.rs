//! Deterministic simulation of the primary/backup protocol.
//!
//! A primary core, a backup core and an arbiter model run in one process over a simulated
//! network and clock, all driven by one seeded generator that drops, delays, duplicates and
//! reorders frames, cuts the link, takes the arbiter away for stretches, stalls the backup and
//! kills either side at random moments. Simple engine models stand in for the machines: the
//! primary advances positions, logs synthetic entries (each one its position, 8 bytes) and
//! produces outputs; the backup parses the delivered log and executes up to `RunTo`. Now and
//! then a backup of another disk dials first and must be refused without other effect.
//!
//! After every simulated millisecond the invariants are checked, and a failure names its seed:
//! 1. at most one side is live per epoch: the arbiter's winner, and the only side releasing
//!    outputs in that epoch;
//! 2. no output is released before the backup acknowledged the log through its position,
//!    unless the releasing primary won its epoch at the arbiter and runs alone;
//! 3. the backup never executes past what the primary vouched, and when it executes to a
//!    position it holds every entry below it;
//! 4. after a go-live, every output the old primary released lies in the new primary's past;
//! 5. with no faults injected, outputs are released promptly and the backup keeps up.
//!
//! `FT_SIM_SEED=N` replays seed N alone with a trace; `FT_SIM_SEEDS=N` sets how many run.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use ft::protocol::{
    decode, encode, ArbiterResult, Backup, BackupAction, BackupState, Config, Envelope, Hello,
    Identity, Message, Millis, Primary, PrimaryAction, PrimaryState, Role, PROTOCOL_VERSION,
};

/// The node that starts as primary, and the one that starts as backup.
const FIRST_PRIMARY: usize = 0;
const FIRST_BACKUP: usize = 1;
const NAMES: [&str; 2] = ["node-a", "node-b"];

/// Simulated milliseconds per seed.
const RUN_MS: u64 = 600;
/// With no faults, an output waits at most this long and the backup lags at most this much.
const CALM_BOUND_MS: u64 = 30;
const DEFAULT_SEEDS: u64 = 5000;

fn config() -> Config {
    Config {
        heartbeat_ms: 5,
        timeout_ms: 50,
        max_lag_ms: 20,
        vouch_interval_positions: 10_000,
        max_unacked_log_bytes: 512,
    }
}

fn identity(node: usize) -> Identity {
    Identity {
        fingerprint: [0x5a; 32],
        disk_hash: [0xd1; 32],
        node: NAMES[node].to_owned(),
    }
}

/// SplitMix64: small, fast and good enough to drive a simulation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `low..high`.
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }

    fn chance(&mut self, per_million: u64) -> bool {
        self.next() % 1_000_000 < per_million
    }
}

/// How often each fault strikes in one seed: per frame or per millisecond, in millionths.
#[derive(Debug, Default)]
struct Faults {
    drop_per_frame: u64,
    duplicate_per_frame: u64,
    reorder_per_frame: u64,
    cut_per_ms: u64,
    kill_per_ms: u64,
    arbiter_outage_per_ms: u64,
    backup_stall_per_ms: u64,
}

impl Faults {
    fn draw(rng: &mut Rng) -> Faults {
        if rng.chance(250_000) {
            return Faults::default();
        }
        let mut rate = |max: u64| {
            if rng.chance(400_000) {
                rng.range(1, max)
            } else {
                0
            }
        };
        Faults {
            drop_per_frame: rate(3_000),
            duplicate_per_frame: rate(3_000),
            reorder_per_frame: rate(3_000),
            cut_per_ms: rate(2_000),
            kill_per_ms: rate(1_500),
            arbiter_outage_per_ms: rate(5_000),
            backup_stall_per_ms: rate(20_000),
        }
    }

    fn none(&self) -> bool {
        self.drop_per_frame == 0
            && self.duplicate_per_frame == 0
            && self.reorder_per_frame == 0
            && self.cut_per_ms == 0
            && self.kill_per_ms == 0
            && self.arbiter_outage_per_ms == 0
            && self.backup_stall_per_ms == 0
    }
}

enum Core {
    Primary(Primary),
    Backup(Backup),
}

enum Action {
    Primary(PrimaryAction),
    Backup(BackupAction),
}

/// The primary's engine: positions, log entries and held outputs.
#[derive(Default)]
struct PrimaryEngine {
    started: bool,
    position: u64,
    paused_until: u64,
    /// Outputs produced and not released: (position, produced at).
    held: VecDeque<(u64, u64)>,
    /// The state and epoch from the core's last state line.
    state: Option<PrimaryState>,
    epoch: u64,
}

/// The backup's engine: the delivered log, parsed, and how far it executed.
#[derive(Default)]
struct BackupEngine {
    partial: Vec<u8>,
    entries: Vec<u64>,
    run_to: u64,
    executed: u64,
    stalled_until: u64,
}

enum Engine {
    Primary(PrimaryEngine),
    Backup(BackupEngine),
}

struct Node {
    core: Core,
    engine: Engine,
    alive: bool,
    halted: bool,
    /// The connection this node's end is open on.
    conn: Option<u64>,
}

enum Delivery {
    Frame(Vec<u8>),
    Hangup,
}

struct InFlight {
    due: u64,
    order: u64,
    conn: u64,
    to: usize,
    what: Delivery,
}

struct World {
    seed: u64,
    rng: Rng,
    faults: Faults,
    trace: bool,
    now: u64,
    nodes: [Node; 2],
    in_flight: Vec<InFlight>,
    order: u64,
    next_conn: u64,
    /// Per receiving node, when the last in-order frame is due (the link is FIFO unless a
    /// frame is reordered on purpose).
    fifo_due: [u64; 2],
    cut_conns: Vec<u64>,
    /// The arbiter: epoch -> winner; unreachable until `arbiter_down_until`.
    arbiter: BTreeMap<u64, usize>,
    arbiter_down_until: u64,
    arbiter_calls: Vec<(u64, usize, u64)>,
    /// Every entry the first primary logged, in order: the truth the backup must receive.
    truth: Vec<u64>,
    log_bytes_sent: u64,
    /// The highest `vouched` the first primary sent, and `received` the backup acknowledged.
    vouched_sent: u64,
    acked_received: u64,
    /// Epoch -> the node live in it, and epoch -> the node releasing outputs in it.
    live: BTreeMap<u64, usize>,
    releasing: BTreeMap<u64, usize>,
    released_max: [Option<u64>; 2],
    released_count: u64,
    throttle_pauses: u64,
    /// Refusals the first primary gave a backup of another disk that dialled first.
    impostor_refusals: u64,
    go_live: Option<(usize, u64)>,
    /// The first primary's position at the end of each millisecond, from 1 ms on.
    position_history: Vec<u64>,
}

impl World {
    fn new(seed: u64, trace: bool) -> World {
        let mut rng = Rng(seed);
        let faults = Faults::draw(&mut rng);
        let node = |core, engine| Node {
            core,
            engine,
            alive: true,
            halted: false,
            conn: None,
        };
        let primary = Primary::new(config(), identity(FIRST_PRIMARY), 0).expect("valid config");
        let backup = Backup::new(config(), identity(FIRST_BACKUP), 0).expect("valid config");
        World {
            seed,
            rng,
            faults,
            trace,
            now: 0,
            nodes: [
                node(
                    Core::Primary(primary),
                    Engine::Primary(PrimaryEngine::default()),
                ),
                node(
                    Core::Backup(backup),
                    Engine::Backup(BackupEngine::default()),
                ),
            ],
            in_flight: Vec::new(),
            order: 0,
            next_conn: 0,
            fifo_due: [0; 2],
            cut_conns: Vec::new(),
            // Epoch 0 belongs to the first primary by configuration.
            arbiter: BTreeMap::from([(0, FIRST_PRIMARY)]),
            arbiter_down_until: 0,
            arbiter_calls: Vec::new(),
            truth: Vec::new(),
            log_bytes_sent: 0,
            vouched_sent: 0,
            acked_received: 0,
            live: BTreeMap::new(),
            releasing: BTreeMap::new(),
            released_max: [None; 2],
            released_count: 0,
            throttle_pauses: 0,
            impostor_refusals: 0,
            go_live: None,
            position_history: Vec::new(),
        }
    }

    fn fail(&self, what: String) -> ! {
        panic!(
            "seed {}: {what} at {} ms (faults {:?}); replay with FT_SIM_SEED={} cargo test -p ft --test sim",
            self.seed, self.now, self.faults, self.seed
        );
    }

    fn run(&mut self) {
        while self.now < RUN_MS {
            self.now += 1;
            if self.now == 1 && self.rng.chance(100_000) {
                self.impostor_dials();
            }
            self.inject_faults();
            self.deliver_network();
            self.answer_arbiter_calls();
            self.dial_if_both_wait();
            for node in 0..2 {
                self.tick(node);
            }
            for node in 0..2 {
                self.run_engine(node);
            }
            let position = self.primary_engine(FIRST_PRIMARY).position;
            self.position_history.push(position);
            self.check_after_step();
        }
        if self.faults.none() {
            self.check_calm_run_kept_up();
        }
    }

    // ---- faults, network and arbiter ----

    fn inject_faults(&mut self) {
        if self.rng.chance(self.faults.cut_per_ms) {
            self.cut_link();
        }
        for node in 0..2 {
            if self.nodes[node].alive && self.rng.chance(self.faults.kill_per_ms) {
                self.kill(node);
            }
        }
        if self.now >= self.arbiter_down_until && self.rng.chance(self.faults.arbiter_outage_per_ms)
        {
            self.arbiter_down_until = self.now + self.rng.range(10, 300);
            self.trace_line(format!(
                "arbiter unreachable until {}",
                self.arbiter_down_until
            ));
        }
        if self.rng.chance(self.faults.backup_stall_per_ms) {
            let until = self.now + self.rng.range(5, 60);
            if let Engine::Backup(engine) = &mut self.nodes[FIRST_BACKUP].engine {
                engine.stalled_until = until;
            }
        }
    }

    fn cut_link(&mut self) {
        let Some(conn) = self.nodes.iter().find_map(|node| node.conn) else {
            return;
        };
        self.trace_line(format!("link cut (connection {conn})"));
        self.cut_conns.push(conn);
        self.in_flight.retain(|frame| frame.conn != conn);
        for node in 0..2 {
            // Sometimes the kernel reports the broken connection; otherwise only silence tells.
            if self.nodes[node].conn == Some(conn) && self.rng.chance(500_000) {
                let due = self.now + self.rng.range(1, 100);
                self.schedule(due, conn, node, Delivery::Hangup);
            }
        }
    }

    fn kill(&mut self, node: usize) {
        self.trace_line(format!("{} killed", NAMES[node]));
        self.nodes[node].alive = false;
        if let Some(conn) = self.nodes[node].conn.take() {
            // A killed process's connection is reset by its kernel; a dead host just goes quiet.
            if self.rng.chance(500_000) {
                let due = self.now + self.rng.range(1, 10);
                self.schedule(due, conn, 1 - node, Delivery::Hangup);
            }
        }
    }

    fn schedule(&mut self, due: u64, conn: u64, to: usize, what: Delivery) {
        self.order += 1;
        self.in_flight.push(InFlight {
            due,
            order: self.order,
            conn,
            to,
            what,
        });
    }

    fn send(&mut self, from: usize, bytes: Vec<u8>) {
        let Some(conn) = self.nodes[from].conn else {
            self.fail(format!("{} sent with no connection open", NAMES[from]));
        };
        if self.cut_conns.contains(&conn) || self.rng.chance(self.faults.drop_per_frame) {
            return;
        }
        let to = 1 - from;
        let copies = if self.rng.chance(self.faults.duplicate_per_frame) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let due = if self.rng.chance(self.faults.reorder_per_frame) {
                self.now + self.rng.range(1, 15)
            } else {
                let due = (self.now + self.rng.range(0, 3)).max(self.fifo_due[to]);
                self.fifo_due[to] = due;
                due
            };
            self.schedule(due, conn, to, Delivery::Frame(bytes.clone()));
        }
    }

    /// The node closes its end: the peer hears the hangup after the frames already sent.
    fn close(&mut self, node: usize) {
        if let Some(conn) = self.nodes[node].conn.take() {
            let to = 1 - node;
            let due = (self.now + 1).max(self.fifo_due[to]);
            self.schedule(due, conn, to, Delivery::Hangup);
        }
    }

    fn deliver_network(&mut self) {
        let now = self.now;
        let (mut due, waiting): (Vec<InFlight>, Vec<InFlight>) =
            self.in_flight.drain(..).partition(|frame| frame.due <= now);
        self.in_flight = waiting;
        due.sort_by_key(|frame| (frame.due, frame.order));
        for frame in due {
            let node = &mut self.nodes[frame.to];
            if !node.alive || node.conn != Some(frame.conn) {
                continue;
            }
            let time = Millis(now);
            match frame.what {
                Delivery::Frame(bytes) => match &mut node.core {
                    Core::Primary(core) => core.message(&bytes, time),
                    Core::Backup(core) => core.message(&bytes, time),
                },
                Delivery::Hangup => {
                    node.conn = None;
                    match &mut node.core {
                        Core::Primary(core) => core.disconnected(time),
                        Core::Backup(core) => core.disconnected(time),
                    }
                }
            }
            self.drain(frame.to);
        }
    }

    fn answer_arbiter_calls(&mut self) {
        let now = self.now;
        let calls: Vec<_> = self
            .arbiter_calls
            .iter()
            .copied()
            .filter(|c| c.0 <= now)
            .collect();
        self.arbiter_calls.retain(|call| call.0 > now);
        for (_, node, epoch) in calls {
            if !self.nodes[node].alive {
                continue;
            }
            let result = if now < self.arbiter_down_until {
                ArbiterResult::Unreachable
            } else {
                match *self.arbiter.entry(epoch).or_insert(node) {
                    winner if winner == node => ArbiterResult::Won,
                    winner => ArbiterResult::Lost {
                        winner: NAMES[winner].to_owned(),
                    },
                }
            };
            self.trace_line(format!(
                "arbiter answers {} for epoch {epoch}: {result:?}",
                NAMES[node]
            ));
            match &mut self.nodes[node].core {
                Core::Primary(core) => core.arbiter(result, Millis(now)),
                Core::Backup(core) => core.arbiter(result, Millis(now)),
            }
            self.drain(node);
        }
    }

    /// A backup of another disk dials the primary first: the primary must refuse it and keep
    /// waiting, as if nothing happened.
    fn impostor_dials(&mut self) {
        let conn = self.next_conn;
        self.next_conn += 1;
        self.nodes[FIRST_PRIMARY].conn = Some(conn);
        let hello = Hello {
            version: PROTOCOL_VERSION,
            fingerprint: identity(FIRST_BACKUP).fingerprint,
            disk_hash: [0xee; 32],
            epoch: 0,
            role: Role::Backup,
            node: "impostor".to_owned(),
        };
        let bytes = encode(&Envelope {
            epoch: 0,
            seq: 0,
            message: Message::Hello(hello),
        });
        let now = Millis(self.now);
        if let Core::Primary(core) = &mut self.nodes[FIRST_PRIMARY].core {
            core.connected(now);
            core.message(&bytes, now);
        }
        self.drain(FIRST_PRIMARY);
        let Core::Primary(core) = &self.nodes[FIRST_PRIMARY].core else {
            return;
        };
        if self.impostor_refusals != 1
            || core.state() != &PrimaryState::WaitingForBackup
            || self.nodes[FIRST_PRIMARY].conn.is_some()
        {
            self.fail(format!(
                "the impostor was not refused cleanly: {}",
                core.state()
            ));
        }
    }

    /// While both still wait for each other with no connection, the backup dials again.
    fn dial_if_both_wait(&mut self) {
        let waiting = |node: &Node| {
            node.alive
                && node.conn.is_none()
                && match &node.core {
                    Core::Primary(core) => core.state() == &PrimaryState::WaitingForBackup,
                    Core::Backup(core) => core.state() == &BackupState::WaitingForPrimary,
                }
        };
        if !self.nodes.iter().all(waiting) || !self.rng.chance(300_000) {
            return;
        }
        let conn = self.next_conn;
        self.next_conn += 1;
        self.trace_line(format!("connection {conn} up"));
        for node in 0..2 {
            self.nodes[node].conn = Some(conn);
            match &mut self.nodes[node].core {
                Core::Primary(core) => core.connected(Millis(self.now)),
                Core::Backup(core) => core.connected(Millis(self.now)),
            }
            self.drain(node);
        }
    }

    fn tick(&mut self, node: usize) {
        if !self.nodes[node].alive {
            return;
        }
        match &mut self.nodes[node].core {
            Core::Primary(core) => core.tick(Millis(self.now)),
            Core::Backup(core) => core.tick(Millis(self.now)),
        }
        self.drain(node);
    }

    // ---- engines ----

    fn run_engine(&mut self, node: usize) {
        if !self.nodes[node].alive || self.nodes[node].halted {
            return;
        }
        match &self.nodes[node].engine {
            Engine::Primary(_) => self.primary_slice(node),
            Engine::Backup(_) => self.backup_executes(node),
        }
    }

    /// One slice of the primary's machine: entries and outputs at positions in the slice, then
    /// the position report, and sometimes an input logged at the slice end itself.
    fn primary_slice(&mut self, node: usize) {
        let now = self.now;
        let (Core::Primary(core), Engine::Primary(engine)) =
            (&mut self.nodes[node].core, &mut self.nodes[node].engine)
        else {
            return;
        };
        if !engine.started || now < engine.paused_until {
            return;
        }
        if let Some(pause) = core.throttle() {
            engine.paused_until = now + pause.0;
            self.throttle_pauses += 1;
            return;
        }
        let start = engine.position;
        let end = start + self.rng.range(1_000, 15_000);
        let mut events: Vec<(u64, bool)> = Vec::new();
        for _ in 0..self.rng.range(0, 3) {
            events.push((self.rng.range(start, end), true));
        }
        for _ in 0..self.rng.range(0, 3) {
            events.push((self.rng.range(start + 1, end + 1), false));
        }
        events.sort_unstable();
        let logs_truth = node == FIRST_PRIMARY;
        for (position, is_entry) in events {
            if is_entry {
                core.log(position.to_le_bytes().to_vec());
                if logs_truth {
                    self.truth.push(position);
                }
            } else {
                core.output(position, Millis(now));
                engine.held.push_back((position, now));
            }
        }
        engine.position = end;
        core.position(end, end, Millis(now));
        if self.rng.chance(300_000) {
            core.log(end.to_le_bytes().to_vec());
            if logs_truth {
                self.truth.push(end);
            }
        }
        self.drain(node);
    }

    fn backup_executes(&mut self, node: usize) {
        let now = self.now;
        let engine = self.backup_engine(node);
        if now < engine.stalled_until || engine.executed >= engine.run_to {
            return;
        }
        let (run_to, executed, held) = (engine.run_to, engine.executed, engine.entries.len());
        let target = run_to.min(executed + self.rng.range(5_000, 25_000));
        let needed = self.truth.partition_point(|&position| position < target);
        if held < needed {
            let missing = self.truth[held];
            self.fail(format!(
                "the backup executes to {target} without the entry at {missing}"
            ));
        }
        if target > self.vouched_sent {
            self.fail(format!(
                "the backup executes to {target}, past vouched {}",
                self.vouched_sent
            ));
        }
        self.backup_engine(node).executed = target;
        if let Core::Backup(core) = &mut self.nodes[node].core {
            core.executed(target, target, Millis(now));
        }
        self.drain(node);
    }

    // ---- actions ----

    fn drain(&mut self, node: usize) {
        loop {
            let action = match &mut self.nodes[node].core {
                Core::Primary(core) => core.poll().map(Action::Primary),
                Core::Backup(core) => core.poll().map(Action::Backup),
            };
            match action {
                None => return,
                Some(Action::Primary(action)) => self.primary_action(node, action),
                Some(Action::Backup(action)) => self.backup_action(node, action),
            }
        }
    }

    fn primary_action(&mut self, node: usize, action: PrimaryAction) {
        if !matches!(action, PrimaryAction::Send(_)) {
            self.trace_line(format!("{}: {action:?}", NAMES[node]));
        }
        match action {
            PrimaryAction::Send(bytes) => {
                if node == FIRST_PRIMARY {
                    self.primary_sends(&bytes);
                }
                self.send(node, bytes);
            }
            PrimaryAction::Start => self.primary_engine(node).started = true,
            PrimaryAction::Release { through } => self.release(node, through),
            PrimaryAction::Claim { epoch } => self.claim(node, epoch),
            PrimaryAction::Close { .. } => self.close(node),
            PrimaryAction::Halt { .. } => self.nodes[node].halted = true,
            PrimaryAction::State(change) => {
                let engine = self.primary_engine(node);
                engine.state = Some(change.state.clone());
                engine.epoch = change.epoch;
                match change.state {
                    PrimaryState::Protected { .. } => self.goes_live(node, change.epoch, false),
                    PrimaryState::Alone => self.goes_live(node, change.epoch, true),
                    _ => {}
                }
            }
            PrimaryAction::Refused { reason } if reason.starts_with("disk hash eeeeeeee") => {
                self.impostor_refusals += 1;
            }
            PrimaryAction::Refused { reason } | PrimaryAction::PeerRefused { reason } => {
                self.fail(format!("{} refused or was refused: {reason}", NAMES[node]))
            }
        }
    }

    fn backup_action(&mut self, node: usize, action: BackupAction) {
        if !matches!(action, BackupAction::Send(_) | BackupAction::Deliver { .. }) {
            self.trace_line(format!("{}: {action:?}", NAMES[node]));
        }
        match action {
            BackupAction::Send(bytes) => {
                self.backup_sends(node, &bytes);
                self.send(node, bytes);
            }
            BackupAction::Deliver { bytes } => self.deliver_log(node, bytes),
            BackupAction::RunTo { vouched } => {
                if vouched > self.vouched_sent {
                    self.fail(format!(
                        "RunTo {vouched} beyond vouched {}",
                        self.vouched_sent
                    ));
                }
                self.backup_engine(node).run_to = vouched;
            }
            BackupAction::Released { through } => {
                if !matches!(self.released_max[FIRST_PRIMARY], Some(released) if through <= released)
                {
                    self.fail(format!("Released {through}: the primary released less"));
                }
            }
            BackupAction::Claim { epoch } => self.claim(node, epoch),
            BackupAction::GoLive { epoch } => self.backup_goes_live(node, epoch),
            BackupAction::Close { .. } => self.close(node),
            BackupAction::Halt { .. } => self.nodes[node].halted = true,
            BackupAction::State(_) => {}
            BackupAction::Refused { reason } | BackupAction::PeerRefused { reason } => {
                self.fail(format!("{} refused or was refused: {reason}", NAMES[node]))
            }
        }
    }

    /// Watches the first primary's Logs: what it vouched must be in the bytes sent so far.
    fn primary_sends(&mut self, bytes: &[u8]) {
        let Ok(envelope) = decode(bytes) else {
            self.fail("the primary sent an undecodable message".to_owned());
        };
        if let Message::Log { vouched, bytes, .. } = envelope.message {
            self.log_bytes_sent += bytes.len() as u64;
            let entries_sent = (self.log_bytes_sent / 8) as usize;
            if self.truth.partition_point(|&position| position < vouched) > entries_sent {
                self.fail(format!(
                    "vouched {vouched} before sending every entry below it"
                ));
            }
            self.vouched_sent = self.vouched_sent.max(vouched);
        }
    }

    /// Watches the backup's Acks: what it acknowledges must be what it holds.
    fn backup_sends(&mut self, node: usize, bytes: &[u8]) {
        let Ok(envelope) = decode(bytes) else {
            self.fail("the backup sent an undecodable message".to_owned());
        };
        if let Message::Ack { received, .. } = envelope.message {
            let needed = self.truth.partition_point(|&position| position < received);
            if self.backup_engine(node).entries.len() < needed {
                self.fail(format!(
                    "the backup acknowledged {received} without every entry"
                ));
            }
            self.acked_received = self.acked_received.max(received);
        }
    }

    fn deliver_log(&mut self, node: usize, bytes: Vec<u8>) {
        let engine = self.backup_engine(node);
        engine.partial.extend_from_slice(&bytes);
        let whole = engine.partial.len() / 8 * 8;
        let parsed: Vec<u64> = engine.partial[..whole]
            .chunks_exact(8)
            .map(|chunk| u64::from_le_bytes(chunk.try_into().expect("8 bytes")))
            .collect();
        engine.partial.drain(..whole);
        for position in parsed {
            let index = self.backup_engine(node).entries.len();
            if self.truth.get(index) != Some(&position) {
                self.fail(format!(
                    "log entry {index} arrived as {position}, not as logged"
                ));
            }
            self.backup_engine(node).entries.push(position);
        }
    }

    fn claim(&mut self, node: usize, epoch: u64) {
        let due = self.now + self.rng.range(0, 5);
        self.arbiter_calls.push((due, node, epoch));
    }

    /// A side becomes the live one of `epoch`: unique per epoch, and the arbiter's winner
    /// when it goes on alone.
    fn goes_live(&mut self, node: usize, epoch: u64, alone: bool) {
        if let Some(&other) = self.live.get(&epoch) {
            if other != node {
                self.fail(format!(
                    "{} and {} both live in epoch {epoch}",
                    NAMES[other], NAMES[node]
                ));
            }
        }
        self.live.insert(epoch, node);
        if alone && self.arbiter.get(&epoch) != Some(&node) {
            self.fail(format!(
                "{} went on alone in epoch {epoch} without winning it",
                NAMES[node]
            ));
        }
    }

    fn backup_goes_live(&mut self, node: usize, epoch: u64) {
        self.goes_live(node, epoch, true);
        let engine = self.backup_engine(node);
        // Execute everything received: the primary is gone, so past the last RunTo.
        let position = engine
            .run_to
            .max(engine.executed)
            .max(engine.entries.last().map_or(0, |&p| p + 1));
        self.trace_line(format!("{} goes live at position {position}", NAMES[node]));
        self.go_live = Some((node, position));
        let core = Primary::after_go_live(config(), identity(node), epoch).expect("valid config");
        self.nodes[node].core = Core::Primary(core);
        self.nodes[node].engine = Engine::Primary(PrimaryEngine {
            started: true,
            position,
            epoch,
            ..PrimaryEngine::default()
        });
        self.drain(node);
    }

    fn release(&mut self, node: usize, through: u64) {
        let acked = self.acked_received;
        let engine = self.primary_engine(node);
        let (state, epoch) = (engine.state.clone(), engine.epoch);
        let count = engine
            .held
            .partition_point(|&(position, _)| position <= through);
        let released: Vec<u64> = engine
            .held
            .drain(..count)
            .map(|(position, _)| position)
            .collect();
        let Some(&highest) = released.last() else {
            return;
        };
        match state {
            Some(PrimaryState::Protected { .. }) if highest > acked => self.fail(format!(
                "{} released an output at {highest} with the log acknowledged only through {acked}",
                NAMES[node]
            )),
            Some(PrimaryState::Protected { .. }) => {}
            Some(PrimaryState::Alone) if self.arbiter.get(&epoch) == Some(&node) => {}
            other => self.fail(format!(
                "{} released outputs through {highest} while {other:?} in epoch {epoch}",
                NAMES[node]
            )),
        }
        if let Some(&other) = self.releasing.get(&epoch) {
            if other != node {
                self.fail(format!(
                    "{} and {} both release in epoch {epoch}",
                    NAMES[other], NAMES[node]
                ));
            }
        }
        self.releasing.insert(epoch, node);
        self.released_max[node] = self.released_max[node].max(Some(highest));
        self.released_count += released.len() as u64;
    }

    // ---- invariants over the whole run ----

    fn check_after_step(&mut self) {
        if let Some((new_primary, position)) = self.go_live {
            let old = 1 - new_primary;
            if let Some(released) = self.released_max[old] {
                if released > position {
                    self.fail(format!(
                        "{} released an output at {released}, beyond {}'s go-live position {position}",
                        NAMES[old], NAMES[new_primary]
                    ));
                }
            }
        }
    }

    fn check_calm_run_kept_up(&mut self) {
        let states = (
            &self.nodes[FIRST_PRIMARY].core,
            &self.nodes[FIRST_BACKUP].core,
        );
        let (Core::Primary(primary), Core::Backup(backup)) = states else {
            self.fail("with no faults, the roles changed".to_owned());
        };
        if !matches!(primary.state(), PrimaryState::Protected { .. })
            || !matches!(backup.state(), BackupState::Following { .. })
        {
            self.fail(format!(
                "with no faults: {} and {}",
                primary.state(),
                backup.state()
            ));
        }
        let limit = self.now - CALM_BOUND_MS;
        if let Some(&(position, produced)) = self.primary_engine(FIRST_PRIMARY).held.front() {
            if produced < limit {
                self.fail(format!(
                    "with no faults, the output at {position} from {produced} ms is still held"
                ));
            }
        }
        let behind = self.position_history[limit as usize - 1];
        let executed = self.backup_engine(FIRST_BACKUP).executed;
        if executed < behind {
            self.fail(format!(
                "with no faults, the backup executed only {executed}, behind {behind} of {CALM_BOUND_MS} ms ago"
            ));
        }
        if self.released_count == 0 {
            self.fail("with no faults, no output was released".to_owned());
        }
    }

    // ---- helpers ----

    fn primary_engine(&mut self, node: usize) -> &mut PrimaryEngine {
        match &mut self.nodes[node].engine {
            Engine::Primary(engine) => engine,
            Engine::Backup(_) => {
                panic!("seed {}: {} has no primary engine", self.seed, NAMES[node])
            }
        }
    }

    fn backup_engine(&mut self, node: usize) -> &mut BackupEngine {
        match &mut self.nodes[node].engine {
            Engine::Backup(engine) => engine,
            Engine::Primary(_) => {
                panic!("seed {}: {} has no backup engine", self.seed, NAMES[node])
            }
        }
    }

    fn trace_line(&self, line: String) {
        if self.trace {
            eprintln!("{:>4} ms  {line}", self.now);
        }
    }
}

fn run_seed(seed: u64, trace: bool) -> World {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut world = World::new(seed, trace);
        world.run();
        world
    }));
    match outcome {
        Ok(world) => world,
        Err(payload) => {
            eprintln!(
                "seed {seed} failed; replay with FT_SIM_SEED={seed} cargo test -p ft --test sim"
            );
            panic::resume_unwind(payload)
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|value| {
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number"))
    })
}

#[test]
fn protocol_invariants_hold_under_random_faults() {
    if let Some(seed) = env_number("FT_SIM_SEED") {
        let world = run_seed(seed, true);
        eprintln!(
            "seed {seed} passed: faults {:?}, {} outputs released",
            world.faults, world.released_count
        );
        return;
    }
    let seeds = env_number("FT_SIM_SEEDS").unwrap_or(DEFAULT_SEEDS);
    let started = Instant::now();
    let mut calm = 0;
    let mut go_lives = 0;
    let mut primaries_alone = 0;
    let mut released = 0;
    let mut throttled = 0;
    let mut impostors = 0;
    for seed in 0..seeds {
        let world = run_seed(seed, false);
        calm += u64::from(world.faults.none());
        go_lives += u64::from(world.go_live.is_some());
        primaries_alone += u64::from(
            world
                .live
                .iter()
                .any(|(&epoch, &node)| epoch > 0 && node == FIRST_PRIMARY),
        );
        released += world.released_count;
        throttled += u64::from(world.throttle_pauses > 0);
        impostors += world.impostor_refusals;
    }
    eprintln!(
        "{seeds} seeds in {:.1} s: {calm} without faults, {go_lives} backups went live, \
         {primaries_alone} primaries went on alone, {throttled} throttled, {impostors} impostors refused, {released} outputs released",
        started.elapsed().as_secs_f64()
    );
    assert!(
        calm > 0 && go_lives > 0 && primaries_alone > 0,
        "the seeds must cover every path"
    );
}
