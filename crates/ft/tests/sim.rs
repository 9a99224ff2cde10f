//! Deterministic simulation of the primary/backup protocol, with re-protection.
//!
//! Primary and backup cores and an arbiter model run in one process over a simulated network
//! and clock, all driven by one seeded generator that drops, delays, duplicates and reorders
//! frames, cuts links, takes the arbiter away for stretches, stalls backups and kills nodes at
//! random moments. Simple engine models stand in for the machines: a primary advances
//! positions, logs synthetic entries (each one its position, 8 bytes) and produces outputs; it
//! transfers its state to a joining backup in chunks while it runs, then calls `synced` at its
//! current position; a backup parses the delivered log and executes up to `RunTo`, from
//! position 0 or from the position it synced at.
//!
//! A seed starts with a fresh pair (the first backup dials the primary before its machine
//! starts) or with a primary that won epoch 1 and runs alone. Whenever the live primary of
//! the highest epoch runs alone, new backups join it; in chain seeds each primary is killed
//! once it has been protected for a while, so that its backup goes live and the next one
//! joins it: chained failovers. Now and then a second backup dials a primary that has one, a
//! backup of an older epoch or without `--join` dials a running primary, or a backup of
//! another disk dials the fresh primary first: each must be refused without other effect.
//!
//! After every simulated millisecond the invariants are checked, and a failure names its seed:
//! 1. at most one side is live per epoch: the arbiter's winner, and the only side releasing
//!    outputs in that epoch; epochs go live in strictly rising order;
//! 2. no output is released before the backup acknowledged the log through its position,
//!    unless the releasing primary won its epoch and runs alone or transfers its state (those
//!    outputs lie before the sync position, in the joiner's past);
//! 3. a backup never executes past what its primary vouched, and when it executes to a
//!    position it holds every entry below it since its start or sync position; the state it
//!    syncs to is the primary's at that position, after every transferred chunk in order;
//! 4. after a go-live, every output any primary of an earlier epoch released lies in the new
//!    primary's past, across any number of chained failovers;
//! 5. a primary has at most one backup attached; a second one is refused and the first is
//!    unharmed; a joiner of an older epoch, without `--join` or of another disk is refused;
//! 6. a backup that loses its primary before it is in sync never claims nor goes live;
//! 7. with no faults injected, outputs are released promptly and the backup keeps up.
//!
//! `FT_SIM_SEED=N` replays seed N alone with a trace; `FT_SIM_SEEDS=N` sets how many run.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use ft::protocol::{
    decode, encode, ArbiterResult, Backup, BackupAction, BackupState, Config, ConnId, Envelope,
    Hello, Identity, Message, Millis, Primary, PrimaryAction, PrimaryState, Role, EXIT_NOT_IN_SYNC,
    PROTOCOL_VERSION,
};

/// The node that starts as primary, and the one that starts as its backup in a fresh pair.
const FIRST_PRIMARY: usize = 0;
const FIRST_BACKUP: usize = 1;
/// No more nodes than this are started in one seed.
const MAX_NODES: usize = 14;

/// Simulated milliseconds per seed.
const RUN_MS: u64 = 800;
/// With no faults, an output waits at most this long and the backup lags at most this much.
const CALM_BOUND_MS: u64 = 30;
const DEFAULT_SEEDS: u64 = 2500;

fn config() -> Config {
    Config {
        heartbeat_ms: 5,
        timeout_ms: 50,
        max_lag_ms: 20,
        vouch_interval_positions: 10_000,
        max_unacked_log_bytes: 512,
    }
}

fn name(node: usize) -> String {
    format!("node-{node}")
}

fn identity(node: usize) -> Identity {
    Identity {
        fingerprint: [0x5a; 32],
        disk_hash: [0xd1; 32],
        node: name(node),
    }
}

/// The digest the primary model reports at `position`: the position, recognisably.
fn digest_at(position: u64) -> [u8; 32] {
    let mut digest = [0x77; 32];
    digest[..8].copy_from_slice(&position.to_le_bytes());
    digest
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

/// A seed's story apart from faults.
#[derive(Debug)]
struct Scenario {
    /// Node 0 won epoch 1 and runs alone from the start; otherwise a fresh pair forms.
    start_alone: bool,
    /// The fresh pair's backup was started with `--join` (it pairs without a transfer).
    first_backup_joins: bool,
    /// Kill each primary once it has been protected this long (ms): chained failovers.
    chain_after_ms: Option<u64>,
    /// A backup joins a primary running alone with this chance per ms, in millionths.
    join_per_ms: u64,
    /// A second backup dials a primary that has one, per ms, in millionths.
    intruder_per_ms: u64,
    /// A joiner of an older epoch or without `--join` dials a running primary, per ms.
    misfit_per_ms: u64,
}

impl Scenario {
    fn draw(rng: &mut Rng) -> Scenario {
        let start_alone = rng.chance(400_000);
        Scenario {
            start_alone,
            first_backup_joins: rng.chance(500_000),
            chain_after_ms: rng.chance(500_000).then(|| rng.range(5, 80)),
            join_per_ms: rng.range(20_000, 200_000),
            intruder_per_ms: if rng.chance(300_000) {
                rng.range(1_000, 20_000)
            } else {
                0
            },
            misfit_per_ms: if rng.chance(300_000) {
                rng.range(1_000, 20_000)
            } else {
                0
            },
        }
    }

    /// Nothing happens in this story that could keep a pair from staying protected.
    fn calm(&self) -> bool {
        self.chain_after_ms.is_none() && self.intruder_per_ms == 0 && self.misfit_per_ms == 0
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

/// A state transfer in progress: chunks passed so far and how many make it whole.
struct Transfer {
    id: u64,
    passed: u64,
    total: u64,
}

/// A primary's engine: positions, log entries, held outputs and the transfer to a joiner.
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
    /// The connection of the backup this primary accepted last.
    backup_conn: Option<u64>,
    transfer: Option<Transfer>,
    transfers: u64,
    /// When the core entered `Protected` last.
    protected_since: Option<u64>,
    /// The position at the end of each millisecond since the engine started.
    history: Vec<u64>,
}

/// What kind of backup a node is, for the refusals it may get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The fresh pair's backup.
    First,
    /// A backup that joins the running primary.
    Joiner,
    /// A joiner dialling a primary that has a backup already.
    Intruder,
    /// A joiner of an epoch older than the primary's.
    OldEpoch,
    /// A backup without `--join` dialling a running primary.
    NoJoin,
}

/// A backup's engine: the delivered log, parsed, and how far it executed.
struct BackupEngine {
    kind: Kind,
    join: bool,
    /// The primary it dialled and the connection it dialled on.
    primary: usize,
    conn: Option<u64>,
    partial: Vec<u8>,
    entries: Vec<u64>,
    /// Where its machine starts: 0, or the position it synced at.
    start: u64,
    run_to: u64,
    executed: u64,
    stalled_until: u64,
    /// Joined the transfer with this id and received this many chunks of it.
    transfer: Option<u64>,
    chunks: u64,
    /// It holds a replica: it paired with a fresh primary or received `Synced`.
    in_sync: bool,
    /// The state from the core's last state line.
    state: BackupState,
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
    /// The connections this node's end is open on.
    conns: Vec<u64>,
}

/// One connection: who dialled whom, and the log stream the primary sends on it.
#[derive(Default)]
struct Conn {
    primary: usize,
    backup: usize,
    cut: bool,
    /// The stream's first position (0 or the sync position) and the entries logged into it.
    start: u64,
    truth: Vec<u64>,
    log_bytes_sent: u64,
    vouched_sent: u64,
    /// The highest `received` the backup acknowledged on this connection.
    acked: u64,
    /// Transfer chunks the primary passed for it when it sent `Synced`.
    synced_chunks: Option<u64>,
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

/// Counts for the coverage summary.
#[derive(Default)]
struct Counts {
    released: u64,
    throttle_pauses: u64,
    impostors_refused: u64,
    intruders_refused: u64,
    old_epochs_refused: u64,
    no_joins_refused: u64,
    transfers_started: u64,
    synced: u64,
    aborted: u64,
    not_in_sync_halts: u64,
    backup_go_lives: u64,
}

struct World {
    seed: u64,
    rng: Rng,
    faults: Faults,
    scenario: Scenario,
    trace: bool,
    now: u64,
    nodes: Vec<Node>,
    conns: BTreeMap<u64, Conn>,
    in_flight: Vec<InFlight>,
    order: u64,
    /// Per receiving node, when the last in-order frame is due (links are FIFO unless a frame
    /// is reordered on purpose).
    fifo_due: BTreeMap<usize, u64>,
    /// The arbiter: epoch -> winner; unreachable until `arbiter_down_until`.
    arbiter: BTreeMap<u64, usize>,
    arbiter_down_until: u64,
    arbiter_calls: Vec<(u64, usize, u64)>,
    /// Epoch -> the node live in it, and epoch -> the node releasing outputs in it.
    live: BTreeMap<u64, usize>,
    releasing: BTreeMap<u64, usize>,
    /// Per node, the highest output it released; per epoch, the highest released in it.
    released_max: BTreeMap<usize, u64>,
    released_in_epoch: BTreeMap<u64, u64>,
    /// Every backup go-live: (epoch, node, position).
    go_lives: Vec<(u64, usize, u64)>,
    /// The connection whose frame or hangup is being handled.
    delivering: Option<u64>,
    counts: Counts,
}

impl World {
    fn new(seed: u64, trace: bool) -> World {
        let mut rng = Rng(seed);
        let faults = Faults::draw(&mut rng);
        let scenario = Scenario::draw(&mut rng);
        let mut world = World {
            seed,
            rng,
            faults,
            scenario,
            trace,
            now: 0,
            nodes: Vec::new(),
            conns: BTreeMap::new(),
            in_flight: Vec::new(),
            order: 0,
            fifo_due: BTreeMap::new(),
            arbiter: BTreeMap::new(),
            arbiter_down_until: 0,
            arbiter_calls: Vec::new(),
            live: BTreeMap::new(),
            releasing: BTreeMap::new(),
            released_max: BTreeMap::new(),
            released_in_epoch: BTreeMap::new(),
            go_lives: Vec::new(),
            delivering: None,
            counts: Counts::default(),
        };
        if world.scenario.start_alone {
            // Node 0 won epoch 1 at the arbiter and runs alone, waiting for joiners.
            world.arbiter.insert(1, FIRST_PRIMARY);
            let core =
                Primary::after_go_live(config(), identity(FIRST_PRIMARY), 1).expect("valid config");
            world.add_node(
                Core::Primary(core),
                Engine::Primary(Self::running_engine(0, 1)),
            );
            world.drain(FIRST_PRIMARY);
        } else {
            // Epoch 0 belongs to the first primary by configuration.
            world.arbiter.insert(0, FIRST_PRIMARY);
            let primary = Primary::new(config(), identity(FIRST_PRIMARY), 0).expect("valid config");
            world.add_node(
                Core::Primary(primary),
                Engine::Primary(PrimaryEngine::default()),
            );
            let join = world.scenario.first_backup_joins;
            world.add_backup(Kind::First, join, 0, FIRST_PRIMARY);
        }
        world
    }

    fn running_engine(position: u64, epoch: u64) -> PrimaryEngine {
        PrimaryEngine {
            started: true,
            position,
            epoch,
            ..PrimaryEngine::default()
        }
    }

    fn add_node(&mut self, core: Core, engine: Engine) -> usize {
        self.nodes.push(Node {
            core,
            engine,
            alive: true,
            halted: false,
            conns: Vec::new(),
        });
        self.nodes.len() - 1
    }

    fn add_backup(&mut self, kind: Kind, join: bool, epoch: u64, primary: usize) -> usize {
        let node = self.nodes.len();
        let core = Backup::new(config(), identity(node), epoch, join).expect("valid config");
        let engine = BackupEngine {
            kind,
            join,
            primary,
            conn: None,
            partial: Vec::new(),
            entries: Vec::new(),
            start: 0,
            run_to: 0,
            executed: 0,
            stalled_until: 0,
            transfer: None,
            chunks: 0,
            in_sync: false,
            state: BackupState::WaitingForPrimary,
        };
        self.trace_line(format!(
            "{} starts as a {kind:?} backup of {} in epoch {epoch}",
            name(node),
            name(primary)
        ));
        self.add_node(Core::Backup(core), Engine::Backup(engine))
    }

    fn fail(&self, what: String) -> ! {
        panic!(
            "seed {}: {what} at {} ms (faults {:?}, {:?}); replay with FT_SIM_SEED={} cargo test -p ft --test sim",
            self.seed, self.now, self.faults, self.scenario, self.seed
        );
    }

    fn run(&mut self) {
        while self.now < RUN_MS {
            self.now += 1;
            if self.now == 1 && !self.scenario.start_alone && self.rng.chance(100_000) {
                self.impostor_dials();
            }
            self.inject_faults();
            self.deliver_network();
            self.answer_arbiter_calls();
            self.first_backup_dials();
            self.joiners_dial();
            for node in 0..self.nodes.len() {
                self.tick(node);
            }
            for node in 0..self.nodes.len() {
                self.run_engine(node);
            }
            self.check_after_step();
        }
        if self.faults.none() && self.scenario.calm() {
            self.check_calm_run_kept_up();
        }
    }

    // ---- faults, network and arbiter ----

    fn inject_faults(&mut self) {
        if self.rng.chance(self.faults.cut_per_ms) {
            self.cut_link();
        }
        for node in 0..self.nodes.len() {
            if self.nodes[node].alive && self.rng.chance(self.faults.kill_per_ms) {
                self.kill(node);
            }
        }
        if let Some(after) = self.scenario.chain_after_ms {
            if let Some(node) = self.current_primary() {
                let since = self.primary_engine(node).protected_since;
                if since.is_some_and(|since| self.now >= since + after) && self.rng.chance(50_000) {
                    self.kill(node);
                }
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
            for node in &mut self.nodes {
                if let Engine::Backup(engine) = &mut node.engine {
                    engine.stalled_until = until;
                }
            }
        }
    }

    fn cut_link(&mut self) {
        let open: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, conn)| !conn.cut)
            .map(|(&id, _)| id)
            .filter(|id| self.nodes.iter().any(|node| node.conns.contains(id)))
            .collect();
        if open.is_empty() {
            return;
        }
        let id = open[self.rng.range(0, open.len() as u64) as usize];
        self.trace_line(format!("link cut (connection {id})"));
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.cut = true;
        }
        self.in_flight.retain(|frame| frame.conn != id);
        for node in 0..self.nodes.len() {
            // Sometimes the kernel reports the broken connection; otherwise only silence tells.
            if self.nodes[node].conns.contains(&id) && self.rng.chance(500_000) {
                let due = self.now + self.rng.range(1, 100);
                self.schedule(due, id, node, Delivery::Hangup);
            }
        }
    }

    fn kill(&mut self, node: usize) {
        self.trace_line(format!("{} killed", name(node)));
        self.nodes[node].alive = false;
        for id in std::mem::take(&mut self.nodes[node].conns) {
            // A killed process's connection is reset by its kernel; a dead host goes quiet.
            if self.rng.chance(500_000) {
                let due = self.now + self.rng.range(1, 10);
                let peer = self.peer(id, node);
                self.schedule(due, id, peer, Delivery::Hangup);
            }
        }
    }

    fn peer(&self, id: u64, node: usize) -> usize {
        let conn = &self.conns[&id];
        if conn.primary == node {
            conn.backup
        } else {
            conn.primary
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

    fn send(&mut self, from: usize, id: u64, bytes: Vec<u8>) {
        if !self.nodes[from].conns.contains(&id) {
            self.fail(format!("{} sent on connection {id}, not open", name(from)));
        }
        if self.conns[&id].cut || self.rng.chance(self.faults.drop_per_frame) {
            return;
        }
        let to = self.peer(id, from);
        let copies = if self.rng.chance(self.faults.duplicate_per_frame) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let due = if self.rng.chance(self.faults.reorder_per_frame) {
                self.now + self.rng.range(1, 15)
            } else {
                let fifo = self.fifo_due.get(&to).copied().unwrap_or(0);
                let due = (self.now + self.rng.range(0, 3)).max(fifo);
                self.fifo_due.insert(to, due);
                due
            };
            self.schedule(due, id, to, Delivery::Frame(bytes.clone()));
        }
    }

    /// The node closes its end: the peer hears the hangup after the frames already sent.
    fn close(&mut self, node: usize, id: u64) {
        let conns = &mut self.nodes[node].conns;
        if let Some(at) = conns.iter().position(|&open| open == id) {
            conns.remove(at);
            let to = self.peer(id, node);
            let due = (self.now + 1).max(self.fifo_due.get(&to).copied().unwrap_or(0));
            self.schedule(due, id, to, Delivery::Hangup);
        }
    }

    fn deliver_network(&mut self) {
        let now = self.now;
        let (mut due, waiting): (Vec<InFlight>, Vec<InFlight>) =
            self.in_flight.drain(..).partition(|frame| frame.due <= now);
        self.in_flight = waiting;
        due.sort_by_key(|frame| (frame.due, frame.order));
        for frame in due {
            let Some(node) = self.nodes.get_mut(frame.to) else {
                continue;
            };
            if !node.alive || !node.conns.contains(&frame.conn) {
                continue;
            }
            let time = Millis(now);
            let conn = ConnId(frame.conn);
            match frame.what {
                Delivery::Frame(bytes) => match &mut node.core {
                    Core::Primary(core) => core.message(conn, &bytes, time),
                    Core::Backup(core) => core.message(&bytes, time),
                },
                Delivery::Hangup => {
                    node.conns.retain(|&open| open != frame.conn);
                    match &mut node.core {
                        Core::Primary(core) => core.disconnected(conn, time),
                        Core::Backup(core) => core.disconnected(time),
                    }
                }
            }
            self.delivering = Some(frame.conn);
            self.drain(frame.to);
            self.delivering = None;
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
                        winner: name(winner),
                    },
                }
            };
            self.trace_line(format!(
                "arbiter answers {} for epoch {epoch}: {result:?}",
                name(node)
            ));
            match &mut self.nodes[node].core {
                Core::Primary(core) => core.arbiter(result, Millis(now)),
                Core::Backup(core) => core.arbiter(result, Millis(now)),
            }
            self.drain(node);
        }
    }

    /// Opens a connection from backup `node` to `primary`.
    fn dial(&mut self, node: usize, primary: usize) {
        let id = self.conns.keys().next_back().map_or(0, |last| last + 1);
        self.trace_line(format!(
            "{} dials {} (connection {id})",
            name(node),
            name(primary)
        ));
        self.conns.insert(
            id,
            Conn {
                primary,
                backup: node,
                ..Conn::default()
            },
        );
        self.backup_engine(node).conn = Some(id);
        let now = Millis(self.now);
        for end in [primary, node] {
            self.nodes[end].conns.push(id);
            match &mut self.nodes[end].core {
                Core::Primary(core) => core.connected(ConnId(id), now),
                Core::Backup(core) => core.connected(now),
            }
            self.drain(end);
        }
    }

    /// A backup of another disk dials the fresh primary first: the primary must refuse it and
    /// keep waiting, as if nothing happened.
    fn impostor_dials(&mut self) {
        let id = self.conns.keys().next_back().map_or(0, |last| last + 1);
        // The impostor is no node of the simulation: its end is nobody's.
        self.conns.insert(
            id,
            Conn {
                primary: FIRST_PRIMARY,
                backup: usize::MAX,
                cut: true,
                ..Conn::default()
            },
        );
        self.nodes[FIRST_PRIMARY].conns.push(id);
        let hello = Hello {
            version: PROTOCOL_VERSION,
            fingerprint: identity(FIRST_BACKUP).fingerprint,
            disk_hash: [0xee; 32],
            epoch: 0,
            role: Role::Backup,
            join: false,
            node: "impostor".to_owned(),
        };
        let bytes = encode(&Envelope {
            epoch: 0,
            seq: 0,
            message: Message::Hello(hello),
        });
        let now = Millis(self.now);
        if let Core::Primary(core) = &mut self.nodes[FIRST_PRIMARY].core {
            core.connected(ConnId(id), now);
            core.message(ConnId(id), &bytes, now);
        }
        self.delivering = Some(id);
        self.drain(FIRST_PRIMARY);
        self.delivering = None;
        let Core::Primary(core) = &self.nodes[FIRST_PRIMARY].core else {
            return;
        };
        if self.counts.impostors_refused != 1
            || core.state() != &PrimaryState::WaitingForBackup
            || !self.nodes[FIRST_PRIMARY].conns.is_empty()
        {
            self.fail(format!(
                "the impostor was not refused cleanly: {}",
                core.state()
            ));
        }
    }

    /// While the fresh pair still waits with no connection, its backup dials again.
    fn first_backup_dials(&mut self) {
        if self.scenario.start_alone {
            return;
        }
        let waiting = |node: &Node| {
            node.alive
                && node.conns.is_empty()
                && match &node.core {
                    Core::Primary(core) => core.state() == &PrimaryState::WaitingForBackup,
                    Core::Backup(core) => core.state() == &BackupState::WaitingForPrimary,
                }
        };
        let both = waiting(&self.nodes[FIRST_PRIMARY]) && waiting(&self.nodes[FIRST_BACKUP]);
        if both && self.rng.chance(300_000) {
            self.dial(FIRST_BACKUP, FIRST_PRIMARY);
        }
    }

    /// The live primary of the highest epoch, if it is alive and not halted.
    fn current_primary(&self) -> Option<usize> {
        let (_, &node) = self.live.iter().next_back()?;
        let up = self.nodes[node].alive && !self.nodes[node].halted;
        (up && matches!(self.nodes[node].core, Core::Primary(_))).then_some(node)
    }

    /// Whether a backup is on its way to protecting `primary`, or protects it.
    fn has_active_backup(&self, primary: usize) -> bool {
        self.nodes.iter().any(|node| {
            let Engine::Backup(engine) = &node.engine else {
                return false;
            };
            node.alive
                && !node.halted
                && engine.primary == primary
                && matches!(engine.kind, Kind::First | Kind::Joiner)
                && match &engine.state {
                    BackupState::WaitingForPrimary => !node.conns.is_empty(),
                    BackupState::Joining { .. }
                    | BackupState::Following { .. }
                    | BackupState::Claiming { .. } => true,
                    BackupState::Live | BackupState::Halted { .. } => false,
                }
        })
    }

    /// New backups dial the current primary: a joiner when it runs alone, and now and then a
    /// second one while it has a backup, or one that must be refused.
    fn joiners_dial(&mut self) {
        if self.nodes.len() >= MAX_NODES {
            return;
        }
        let Some(primary) = self.current_primary() else {
            return;
        };
        let Core::Primary(core) = &self.nodes[primary].core else {
            return;
        };
        let (alone, epoch) = (core.state() == &PrimaryState::Alone, core.epoch());
        let highest = self.arbiter.keys().next_back().copied().unwrap_or(0);
        let active = self.has_active_backup(primary);
        let pick = if alone && !active && self.rng.chance(self.scenario.join_per_ms) {
            Some((Kind::Joiner, true, highest))
        } else if active && self.rng.chance(self.scenario.intruder_per_ms) {
            Some((Kind::Intruder, true, highest))
        } else if alone && self.rng.chance(self.scenario.misfit_per_ms) {
            if epoch > 0 && self.rng.chance(500_000) {
                Some((Kind::OldEpoch, true, epoch - 1))
            } else {
                Some((Kind::NoJoin, false, highest))
            }
        } else {
            None
        };
        if let Some((kind, join, epoch)) = pick {
            let node = self.add_backup(kind, join, epoch, primary);
            self.dial(node, primary);
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

    /// One slice of a primary's machine: entries and outputs at positions in the slice, the
    /// position report, sometimes an input logged at the slice end itself, and the next step
    /// of a state transfer: a chunk or two, or the stop-and-copy at the slice end.
    fn primary_slice(&mut self, node: usize) {
        let now = self.now;
        let this = &mut self.nodes[node];
        let (Core::Primary(core), Engine::Primary(engine)) = (&mut this.core, &mut this.engine)
        else {
            return;
        };
        if !engine.started {
            return;
        }
        if now < engine.paused_until {
            engine.history.push(engine.position);
            return;
        }
        if let Some(pause) = core.throttle() {
            engine.paused_until = now + pause.0;
            engine.history.push(engine.position);
            self.counts.throttle_pauses += 1;
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
        // Entries logged while protected are the stream the backup must receive.
        let stream = match engine.state {
            Some(PrimaryState::Protected { .. }) => engine.backup_conn,
            _ => None,
        };
        let mut logged = Vec::new();
        for (position, is_entry) in events {
            if is_entry {
                core.log(position.to_le_bytes().to_vec());
                logged.push(position);
            } else {
                core.output(position, Millis(now));
                engine.held.push_back((position, now));
            }
        }
        engine.position = end;
        engine.history.push(end);
        core.position(end, end, Millis(now));
        if self.rng.chance(300_000) {
            core.log(end.to_le_bytes().to_vec());
            logged.push(end);
        }
        if let Some(conn) = stream.and_then(|id| self.conns.get_mut(&id)) {
            conn.truth.extend(logged);
        }
        if let Some(transfer) = &mut engine.transfer {
            if transfer.passed < transfer.total {
                for _ in 0..self.rng.range(1, 3).min(transfer.total - transfer.passed) {
                    let mut chunk = transfer.id.to_le_bytes().to_vec();
                    chunk.extend_from_slice(&transfer.passed.to_le_bytes());
                    core.transfer(&chunk, Millis(now));
                    transfer.passed += 1;
                }
            } else {
                let chunks = transfer.passed;
                engine.transfer = None;
                if let Some(conn) = engine.backup_conn.and_then(|id| self.conns.get_mut(&id)) {
                    conn.synced_chunks = Some(chunks);
                }
                core.synced(end, digest_at(end), end.to_le_bytes().to_vec(), Millis(now));
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
        let conn = engine.conn;
        let target = run_to.min(executed + self.rng.range(5_000, 25_000));
        let Some(stream) = conn.and_then(|id| self.conns.get(&id)) else {
            self.fail(format!("{} executes with no stream", name(node)));
        };
        let needed = stream.truth.partition_point(|&position| position < target);
        if held < needed {
            let missing = stream.truth[held];
            self.fail(format!(
                "{} executes to {target} without the entry at {missing}",
                name(node)
            ));
        }
        if target > stream.vouched_sent {
            self.fail(format!(
                "{} executes to {target}, past vouched {}",
                name(node),
                stream.vouched_sent
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
        if !matches!(action, PrimaryAction::Send { .. }) {
            self.trace_line(format!("{}: {action:?}", name(node)));
        }
        match action {
            PrimaryAction::Send { conn, bytes } => {
                self.primary_sends(node, conn.0, &bytes);
                self.send(node, conn.0, bytes);
            }
            PrimaryAction::Start => self.primary_engine(node).started = true,
            PrimaryAction::StartTransfer => {
                self.counts.transfers_started += 1;
                let total = self.rng.range(1, 12);
                let engine = self.primary_engine(node);
                engine.transfers += 1;
                engine.transfer = Some(Transfer {
                    id: engine.transfers,
                    passed: 0,
                    total,
                });
            }
            PrimaryAction::AbortTransfer => {
                self.counts.aborted += 1;
                if self.primary_engine(node).transfer.take().is_none() {
                    self.fail(format!("{} aborted no transfer", name(node)));
                }
            }
            PrimaryAction::Release { through } => self.release(node, through),
            PrimaryAction::Claim { epoch } => self.claim(node, epoch),
            PrimaryAction::Close { conn, .. } => self.close(node, conn.0),
            PrimaryAction::Halt { .. } => self.nodes[node].halted = true,
            PrimaryAction::State(change) => {
                let now = self.now;
                let engine = self.primary_engine(node);
                let was_syncing = matches!(engine.state, Some(PrimaryState::Syncing { .. }));
                engine.state = Some(change.state.clone());
                engine.epoch = change.epoch;
                engine.protected_since =
                    matches!(change.state, PrimaryState::Protected { .. }).then_some(now);
                let protected = matches!(change.state, PrimaryState::Protected { .. });
                if was_syncing && protected && engine.transfer.is_some() {
                    self.fail(format!("{} is protected mid-transfer", name(node)));
                }
                match change.state {
                    PrimaryState::Protected { .. } | PrimaryState::Syncing { .. } => {
                        self.goes_live(node, change.epoch, false)
                    }
                    PrimaryState::Alone => self.goes_live(node, change.epoch, true),
                    _ => {}
                }
            }
            PrimaryAction::Refused { reason } => self.refused(node, reason),
            PrimaryAction::PeerRefused { reason } => {
                self.fail(format!("{} was refused: {reason}", name(node)))
            }
        }
    }

    /// A primary refused the backup on the connection being handled: only for a reason that
    /// applies to it, and the primary's own backup is unharmed.
    fn refused(&mut self, node: usize, reason: String) {
        let Some(id) = self.delivering else {
            self.fail(format!(
                "{} refused outside a delivery: {reason}",
                name(node)
            ));
        };
        let Core::Primary(core) = &self.nodes[node].core else {
            return;
        };
        let (state, epoch) = (core.state().clone(), core.epoch());
        let joiner = self.conns[&id].backup;
        let backup = self
            .nodes
            .get(joiner)
            .and_then(|joiner| match &joiner.core {
                Core::Backup(core) => Some(core.epoch()),
                Core::Primary(_) => None,
            });
        let busy = matches!(
            state,
            PrimaryState::Syncing { .. }
                | PrimaryState::Protected { .. }
                | PrimaryState::Claiming { .. }
        );
        let join = match &self.nodes.get(joiner).map(|joiner| &joiner.engine) {
            Some(Engine::Backup(engine)) => engine.join,
            _ => false,
        };
        let fits = if reason.starts_with("disk hash eeeeeeee") {
            self.counts.impostors_refused += 1;
            backup.is_none()
        } else if reason.starts_with("this primary has a backup already")
            || reason.starts_with("this primary is claiming")
        {
            self.counts.intruders_refused += 1;
            busy
        } else if reason.contains("an older epoch cannot join") {
            self.counts.old_epochs_refused += 1;
            state == PrimaryState::Alone && backup.is_some_and(|theirs| theirs < epoch)
        } else if reason.contains("start the backup with --join") {
            self.counts.no_joins_refused += 1;
            state == PrimaryState::Alone && !join
        } else {
            false
        };
        if !fits {
            self.fail(format!(
                "{} refused connection {id} while {state}: {reason}",
                name(node)
            ));
        }
        // The backup attached before, if any, is still attached.
        if let Some(attached) = self.primary_engine(node).backup_conn {
            let open = self.nodes[node].conns.contains(&attached);
            if busy && !matches!(state, PrimaryState::Claiming { .. }) && !open {
                self.fail(format!(
                    "refusing connection {id} harmed {}'s backup on {attached}",
                    name(node)
                ));
            }
        }
    }

    fn backup_action(&mut self, node: usize, action: BackupAction) {
        if !matches!(
            action,
            BackupAction::Send(_)
                | BackupAction::Deliver { .. }
                | BackupAction::DeliverTransfer { .. }
        ) {
            self.trace_line(format!("{}: {action:?}", name(node)));
        }
        match action {
            BackupAction::Send(bytes) => {
                let Some(id) = self.nodes[node].conns.first().copied() else {
                    self.fail(format!("{} sent with no connection open", name(node)));
                };
                self.backup_sends(node, id, &bytes);
                self.send(node, id, bytes);
            }
            BackupAction::Deliver { bytes } => self.deliver_log(node, bytes),
            BackupAction::DeliverTransfer { bytes } => self.deliver_transfer(node, &bytes),
            BackupAction::Synced {
                position,
                digest,
                state,
            } => self.backup_synced(node, position, digest, &state),
            BackupAction::RunTo { vouched } => {
                let engine = self.backup_engine(node);
                let stream = engine.conn.and_then(|id| self.conns.get(&id));
                let limit = stream.map_or(0, |stream| stream.vouched_sent);
                if vouched > limit {
                    self.fail(format!("RunTo {vouched} beyond vouched {limit}"));
                }
                self.backup_engine(node).run_to = vouched;
            }
            BackupAction::Released { through } => {
                let primary = self.backup_engine(node).primary;
                let released = self.released_max.get(&primary).copied();
                if released.is_none_or(|released| through > released) {
                    self.fail(format!("Released {through}: the primary released less"));
                }
            }
            BackupAction::Claim { epoch } => {
                if !self.backup_engine(node).in_sync {
                    self.fail(format!("{} claims epoch {epoch} out of sync", name(node)));
                }
                self.claim(node, epoch);
            }
            BackupAction::GoLive { epoch } => self.backup_goes_live(node, epoch),
            BackupAction::Close { .. } => {
                if let Some(id) = self.nodes[node].conns.first().copied() {
                    self.close(node, id);
                }
            }
            BackupAction::Halt { exit_code, .. } => {
                if exit_code == EXIT_NOT_IN_SYNC {
                    self.counts.not_in_sync_halts += 1;
                }
                self.nodes[node].halted = true;
            }
            BackupAction::State(change) => {
                let engine = self.backup_engine(node);
                if matches!(change.state, BackupState::Following { .. }) {
                    engine.in_sync = true;
                }
                engine.state = change.state;
            }
            // A refused backup waits, idle: it never claims.
            BackupAction::PeerRefused { .. } if self.backup_engine(node).kind != Kind::First => {}
            BackupAction::Refused { reason } | BackupAction::PeerRefused { reason } => {
                self.fail(format!("{} refused or was refused: {reason}", name(node)))
            }
        }
    }

    /// Watches what primaries send: acceptance of one backup at a time, vouching only for
    /// what was sent, and `Synced` at the position the engine stopped at.
    fn primary_sends(&mut self, node: usize, id: u64, bytes: &[u8]) {
        let Ok(envelope) = decode(bytes) else {
            self.fail(format!("{} sent an undecodable message", name(node)));
        };
        match envelope.message {
            Message::Hello(_) => {
                if let Some(attached) = self.primary_engine(node).backup_conn {
                    if self.nodes[node].conns.contains(&attached) {
                        self.fail(format!(
                            "{} accepted connection {id} with a backup attached on {attached}",
                            name(node)
                        ));
                    }
                }
                let joiner = self.conns.get(&id).map_or(usize::MAX, |conn| conn.backup);
                if let Some(Engine::Backup(engine)) = self.nodes.get(joiner).map(|n| &n.engine) {
                    if matches!(engine.kind, Kind::OldEpoch | Kind::NoJoin) {
                        self.fail(format!(
                            "{} accepted {}, a {:?} backup",
                            name(node),
                            name(joiner),
                            engine.kind
                        ));
                    }
                }
                self.primary_engine(node).backup_conn = Some(id);
            }
            Message::Log { vouched, bytes, .. } => {
                let Some(conn) = self.conns.get_mut(&id) else {
                    return;
                };
                conn.log_bytes_sent += bytes.len() as u64;
                let entries_sent = (conn.log_bytes_sent / 8) as usize;
                let below = conn.truth.partition_point(|&position| position < vouched);
                conn.vouched_sent = conn.vouched_sent.max(vouched);
                if below > entries_sent {
                    self.fail(format!(
                        "vouched {vouched} before sending every entry below it"
                    ));
                }
            }
            Message::Synced { position, .. } => {
                let at = self.primary_engine(node).position;
                if position != at {
                    self.fail(format!("Synced at {position}, the engine is at {at}"));
                }
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.start = position;
                    conn.vouched_sent = position;
                }
                self.counts.synced += 1;
            }
            _ => {}
        }
    }

    /// Watches backups' Acks: what one acknowledges must be what it holds.
    fn backup_sends(&mut self, node: usize, id: u64, bytes: &[u8]) {
        let Ok(envelope) = decode(bytes) else {
            self.fail(format!("{} sent an undecodable message", name(node)));
        };
        if let Message::Ack { received, .. } = envelope.message {
            let held = self.backup_engine(node).entries.len();
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            let needed = conn.truth.partition_point(|&position| position < received);
            conn.acked = conn.acked.max(received);
            if held < needed {
                self.fail(format!(
                    "{} acknowledged {received} without every entry",
                    name(node)
                ));
            }
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
        let conn = engine.conn;
        for position in parsed {
            let index = self.backup_engine(node).entries.len();
            let truth = conn
                .and_then(|id| self.conns.get(&id))
                .and_then(|conn| conn.truth.get(index).copied());
            if truth != Some(position) {
                self.fail(format!(
                    "log entry {index} arrived as {position}, not as logged"
                ));
            }
            self.backup_engine(node).entries.push(position);
        }
    }

    /// A chunk of the primary's state: of one transfer, in order.
    fn deliver_transfer(&mut self, node: usize, bytes: &[u8]) {
        let field = |at: usize| {
            bytes
                .get(at..at + 8)
                .map(|field| u64::from_le_bytes(field.try_into().expect("8 bytes")))
        };
        let (Some(id), Some(index)) = (field(0), field(8)) else {
            self.fail(format!("{} received a malformed chunk", name(node)));
        };
        let engine = self.backup_engine(node);
        let expected = engine.chunks;
        if *engine.transfer.get_or_insert(id) != id || index != expected {
            self.fail(format!(
                "{} received chunk {index} of transfer {id} where {expected} was due",
                name(node)
            ));
        }
        engine.chunks += 1;
    }

    /// The backup holds the primary's machine at `position`: every chunk arrived, and the
    /// digest and state are the primary's there.
    fn backup_synced(&mut self, node: usize, position: u64, digest: [u8; 32], state: &[u8]) {
        let engine = self.backup_engine(node);
        let (chunks, conn) = (engine.chunks, engine.conn);
        let passed = conn
            .and_then(|id| self.conns.get(&id))
            .and_then(|conn| conn.synced_chunks);
        if passed != Some(chunks)
            || digest != digest_at(position)
            || state != position.to_le_bytes()
        {
            self.fail(format!(
                "{} synced at {position} with {chunks} chunks of {passed:?}",
                name(node)
            ));
        }
        let engine = self.backup_engine(node);
        engine.start = position;
        engine.executed = position;
        engine.run_to = position;
    }

    fn claim(&mut self, node: usize, epoch: u64) {
        let due = self.now + self.rng.range(0, 5);
        self.arbiter_calls.push((due, node, epoch));
    }

    /// A side becomes the live one of `epoch`: unique per epoch, epochs rising, and the
    /// arbiter's winner when it goes on alone.
    fn goes_live(&mut self, node: usize, epoch: u64, alone: bool) {
        match self.live.get(&epoch) {
            Some(&other) if other != node => self.fail(format!(
                "{} and {} both live in epoch {epoch}",
                name(other),
                name(node)
            )),
            Some(_) => {}
            None => {
                if let Some((&newest, _)) = self.live.iter().next_back() {
                    if newest >= epoch {
                        self.fail(format!(
                            "{} went live in epoch {epoch} after epoch {newest}",
                            name(node)
                        ));
                    }
                }
            }
        }
        self.live.insert(epoch, node);
        if alone && self.arbiter.get(&epoch) != Some(&node) {
            self.fail(format!(
                "{} went on alone in epoch {epoch} without winning it",
                name(node)
            ));
        }
    }

    fn backup_goes_live(&mut self, node: usize, epoch: u64) {
        let engine = self.backup_engine(node);
        if !engine.in_sync {
            self.fail(format!("{} goes live out of sync", name(node)));
        }
        // Execute everything received: the primary is gone, so past the last RunTo.
        let position = engine
            .run_to
            .max(engine.executed)
            .max(engine.start)
            .max(engine.entries.last().map_or(0, |&p| p + 1));
        self.trace_line(format!("{} goes live at position {position}", name(node)));
        self.counts.backup_go_lives += 1;
        self.go_lives.push((epoch, node, position));
        self.goes_live(node, epoch, true);
        let core = Primary::after_go_live(config(), identity(node), epoch).expect("valid config");
        self.nodes[node].core = Core::Primary(core);
        self.nodes[node].engine = Engine::Primary(Self::running_engine(position, epoch));
        self.drain(node);
    }

    fn release(&mut self, node: usize, through: u64) {
        let engine = self.primary_engine(node);
        let (state, epoch, conn) = (engine.state.clone(), engine.epoch, engine.backup_conn);
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
        let acked = conn
            .and_then(|id| self.conns.get(&id))
            .map_or(0, |conn| conn.acked);
        match state {
            Some(PrimaryState::Protected { .. }) if highest > acked => self.fail(format!(
                "{} released an output at {highest} with the log acknowledged only through {acked}",
                name(node)
            )),
            Some(PrimaryState::Protected { .. }) => {}
            Some(PrimaryState::Alone | PrimaryState::Syncing { .. })
                if self.arbiter.get(&epoch) == Some(&node) => {}
            other => self.fail(format!(
                "{} released outputs through {highest} while {other:?} in epoch {epoch}",
                name(node)
            )),
        }
        if let Some(&other) = self.releasing.get(&epoch) {
            if other != node {
                self.fail(format!(
                    "{} and {} both release in epoch {epoch}",
                    name(other),
                    name(node)
                ));
            }
        }
        self.releasing.insert(epoch, node);
        let most = self.released_max.entry(node).or_default();
        *most = (*most).max(highest);
        let most = self.released_in_epoch.entry(epoch).or_default();
        *most = (*most).max(highest);
        self.counts.released += released.len() as u64;
    }

    // ---- invariants over the whole run ----

    /// Every output released in an epoch before a go-live lies in the new primary's past.
    fn check_after_step(&mut self) {
        for &(epoch, node, position) in &self.go_lives {
            for (&earlier, &released) in self.released_in_epoch.range(..epoch) {
                if released > position {
                    self.fail(format!(
                        "an output at {released} was released in epoch {earlier}, beyond {}'s \
                         go-live position {position} in epoch {epoch}",
                        name(node)
                    ));
                }
            }
        }
    }

    fn check_calm_run_kept_up(&mut self) {
        let Some(primary) = self.current_primary() else {
            self.fail("with no faults, no primary is live".to_owned());
        };
        let Core::Primary(core) = &self.nodes[primary].core else {
            self.fail("with no faults, the roles changed".to_owned());
        };
        let protected = matches!(core.state(), PrimaryState::Protected { .. });
        let state = core.state().to_string();
        let follower = self.nodes.iter().position(|node| {
            matches!(&node.core, Core::Backup(core) if matches!(core.state(), BackupState::Following { .. }))
        });
        let Some(follower) = follower.filter(|_| protected) else {
            self.fail(format!("with no faults, {} is the {state}", name(primary)));
        };
        let limit = self.now - CALM_BOUND_MS;
        let engine = self.primary_engine(primary);
        if let Some(&(position, produced)) = engine.held.front() {
            if produced < limit {
                self.fail(format!(
                    "with no faults, the output at {position} from {produced} ms is still held"
                ));
            }
        }
        let history = &engine.history;
        let behind = history[history.len() - 1 - CALM_BOUND_MS as usize];
        let executed = self.backup_engine(follower).executed;
        if executed < behind {
            self.fail(format!(
                "with no faults, the backup executed only {executed}, behind {behind} of {CALM_BOUND_MS} ms ago"
            ));
        }
        if self.counts.released == 0 {
            self.fail("with no faults, no output was released".to_owned());
        }
    }

    // ---- helpers ----

    fn primary_engine(&mut self, node: usize) -> &mut PrimaryEngine {
        match &mut self.nodes[node].engine {
            Engine::Primary(engine) => engine,
            Engine::Backup(_) => {
                panic!("seed {}: {} has no primary engine", self.seed, name(node))
            }
        }
    }

    fn backup_engine(&mut self, node: usize) -> &mut BackupEngine {
        match &mut self.nodes[node].engine {
            Engine::Backup(engine) => engine,
            Engine::Primary(_) => {
                panic!("seed {}: {} has no backup engine", self.seed, name(node))
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
fn protocol_invariants_hold_under_random_faults_and_chained_failovers() {
    if let Some(seed) = env_number("FT_SIM_SEED") {
        let world = run_seed(seed, true);
        eprintln!(
            "seed {seed} passed: faults {:?}, {:?}, {} outputs released, {} backups went live",
            world.faults, world.scenario, world.counts.released, world.counts.backup_go_lives
        );
        return;
    }
    let seeds = env_number("FT_SIM_SEEDS").unwrap_or(DEFAULT_SEEDS);
    let started = Instant::now();
    let mut calm = 0;
    let mut seeds_with_go_live = 0;
    let mut chains_of_3 = 0;
    let mut longest_chain = 0;
    let mut primaries_alone = 0;
    let mut total = Counts::default();
    for seed in 0..seeds {
        let world = run_seed(seed, false);
        calm += u64::from(world.faults.none() && world.scenario.calm());
        let counts = &world.counts;
        seeds_with_go_live += u64::from(counts.backup_go_lives > 0);
        chains_of_3 += u64::from(counts.backup_go_lives >= 3);
        longest_chain = longest_chain.max(counts.backup_go_lives);
        primaries_alone += u64::from(world.live.iter().any(|(&epoch, &node)| {
            epoch > 0 && node == FIRST_PRIMARY && !world.scenario.start_alone
        }));
        total.released += counts.released;
        total.throttle_pauses += u64::from(counts.throttle_pauses > 0);
        total.impostors_refused += counts.impostors_refused;
        total.intruders_refused += counts.intruders_refused;
        total.old_epochs_refused += counts.old_epochs_refused;
        total.no_joins_refused += counts.no_joins_refused;
        total.transfers_started += counts.transfers_started;
        total.synced += counts.synced;
        total.aborted += counts.aborted;
        total.not_in_sync_halts += counts.not_in_sync_halts;
        total.backup_go_lives += counts.backup_go_lives;
    }
    eprintln!(
        "{seeds} seeds in {:.1} s: {calm} calm; {} backups went live in {seeds_with_go_live} seeds, \
         {chains_of_3} seeds with 3 or more chained failovers (longest {longest_chain}); \
         {primaries_alone} primaries went on alone; {} transfers started, {} in sync, {} aborted, \
         {} joiners halted out of sync; refused: {} second backups, {} older epochs, \
         {} without --join, {} impostors; {} seeds throttled; {} outputs released",
        started.elapsed().as_secs_f64(),
        total.backup_go_lives,
        total.transfers_started,
        total.synced,
        total.aborted,
        total.not_in_sync_halts,
        total.intruders_refused,
        total.old_epochs_refused,
        total.no_joins_refused,
        total.impostors_refused,
        total.throttle_pauses,
        total.released,
    );
    assert!(
        calm > 0
            && seeds_with_go_live > 0
            && chains_of_3 > 0
            && primaries_alone > 0
            && total.synced > 0
            && total.aborted > 0
            && total.not_in_sync_halts > 0
            && total.intruders_refused > 0
            && total.old_epochs_refused > 0
            && total.no_joins_refused > 0
            && total.impostors_refused > 0,
        "the seeds must cover every path"
    );
}
