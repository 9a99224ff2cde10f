//! The primary's core: accepts one backup at a time (transferring its running state to a
//! joiner), streams the log to it, holds outputs until the backup has their log, and claims
//! the next epoch when the backup fails.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use super::identity::{check_partner, HelloMismatch, Identity};
use super::link::Link;
use super::wire::{
    one_line, Hello, Message, Role, MAX_LOG_BYTES, MAX_REASON_LEN, MAX_STATE_BYTES,
    MAX_TRANSFER_BYTES,
};
use super::{
    ArbiterResult, Config, ConfigError, ConnId, Millis, StateChange, EXIT_LOST_ARBITER,
    EXIT_NEWER_EPOCH, MTIME_TICKS_PER_MS,
};

/// Where the primary stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrimaryState {
    /// The machine has not started: it waits for a backup to join.
    WaitingForBackup,
    /// A backup joins the running machine: its state is being transferred. Outputs are
    /// released at once, as when alone (they come before the position the backup will hold).
    Syncing {
        /// The backup's node name.
        backup: String,
    },
    /// A backup follows; outputs are released once it has their log.
    Protected {
        /// The backup's node name.
        backup: String,
    },
    /// The backup failed: asking the arbiter for `epoch`; outputs stay held.
    Claiming {
        /// The epoch claimed.
        epoch: u64,
    },
    /// Won the arbiter (or lost a backup before it was in sync): running unprotected,
    /// releasing outputs at once, and accepting a backup that joins.
    Alone,
    /// Stopped for good; the driver exits with `exit_code`.
    Halted {
        /// [`EXIT_LOST_ARBITER`] or [`EXIT_NEWER_EPOCH`].
        exit_code: i32,
    },
}

impl fmt::Display for PrimaryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrimaryState::WaitingForBackup => write!(f, "primary waiting for a backup"),
            PrimaryState::Syncing { backup } => {
                write!(f, "primary transferring its state to {backup}")
            }
            PrimaryState::Protected { backup } => write!(f, "primary protected by {backup}"),
            PrimaryState::Claiming { epoch } => write!(f, "primary claiming epoch {epoch}"),
            PrimaryState::Alone => write!(f, "primary alone, unprotected"),
            PrimaryState::Halted { exit_code } => write!(f, "primary halted (exit {exit_code})"),
        }
    }
}

/// What the primary's driver must do, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrimaryAction {
    /// Send these bytes as one channel message on connection `conn`.
    Send {
        /// The connection.
        conn: ConnId,
        /// The message.
        bytes: Vec<u8>,
    },
    /// A backup joined: start the machine (given once).
    Start,
    /// A backup joined the running machine: pre-copy its state, passing every chunk to
    /// [`Primary::transfer`], then stop the machine briefly, copy the rest and call
    /// [`Primary::synced`].
    StartTransfer,
    /// The joining backup was lost before it was in sync: stop the transfer and drop its
    /// chunks; the machine runs on alone.
    AbortTransfer,
    /// Release the held outputs produced at positions at or below `through`.
    Release {
        /// The highest position released.
        through: u64,
    },
    /// Ask the arbiter to test-and-set `epoch` for this node, then call
    /// [`Primary::arbiter`] with the answer.
    Claim {
        /// The epoch to claim.
        epoch: u64,
    },
    /// Close connection `conn`.
    Close {
        /// The connection.
        conn: ConnId,
        /// Why, one line.
        why: String,
    },
    /// This node refused the peer (the `Refuse` is already queued before the `Close`).
    Refused {
        /// The reason sent.
        reason: String,
    },
    /// The peer refused this node.
    PeerRefused {
        /// The peer's reason, one printable line.
        reason: String,
    },
    /// Stop the machine and exit with `exit_code`.
    Halt {
        /// Why, one line.
        reason: String,
        /// [`EXIT_LOST_ARBITER`] or [`EXIT_NEWER_EPOCH`].
        exit_code: i32,
    },
    /// The state changed: print this line.
    State(StateChange<PrimaryState>),
}

/// The primary's side of the protocol: feed it events, drain [`Primary::poll`].
///
/// The driver calls [`Primary::log`] with every byte the recorder appends, [`Primary::output`]
/// for every output (keeping its bytes until released), [`Primary::position`] at every slice
/// end, [`Primary::tick`] every few milliseconds, and asks [`Primary::throttle`] before each
/// slice. Every connection a backup opens is reported with its own [`ConnId`]; at most one of
/// them carries the backup, and the others are refused without disturbing it.
pub struct Primary {
    config: Config,
    identity: Identity,
    epoch: u64,
    state: PrimaryState,
    /// Every open connection: the backup's, and any whose Hello has not arrived yet.
    links: BTreeMap<ConnId, Link>,
    /// The connection that carries the accepted backup.
    backup: Option<ConnId>,
    started: bool,
    actions: VecDeque<PrimaryAction>,
    /// The machine's latest reported position and its `mtime` there; [`Primary::synced`]
    /// sets the position.
    position: u64,
    mtime: u64,
    stream: LogStream,
    /// The backup's progress: log received through, and the position and `mtime` it
    /// executed to.
    acked: u64,
    backup_executed: u64,
    backup_executed_mtime: u64,
    /// A backup that joined by state transfer is rebuilding its machine from it: where it
    /// will start executing. Until it reports execution past there, its lag does not slow
    /// this machine down (outputs wait only for the log to be received, which goes on).
    restoring_from: Option<u64>,
    /// Positions of the outputs not yet released, ascending.
    held: VecDeque<u64>,
    released_through: u64,
    claim_retry_at: Option<Millis>,
}

/// The log byte stream towards the backup.
#[derive(Default)]
struct LogStream {
    /// Bytes from the recorder not sent yet, one chunk per [`Primary::log`] call.
    pending: VecDeque<Vec<u8>>,
    pending_len: u64,
    /// The highest `vouched` and `released` sent.
    vouched_sent: u64,
    released_sent: u64,
    /// Bytes sent in all, and `(vouched, bytes sent through it)` of each Log not acknowledged.
    bytes_sent: u64,
    unacked: VecDeque<(u64, u64)>,
    bytes_acked: u64,
}

impl Primary {
    /// A primary at `epoch` whose machine waits for a backup before it starts.
    pub fn new(config: Config, identity: Identity, epoch: u64) -> Result<Primary, ConfigError> {
        config.check()?;
        Ok(Primary::in_state(
            config,
            identity,
            epoch,
            PrimaryState::WaitingForBackup,
        ))
    }

    /// A backup that won `epoch` and went live: a primary already running, alone, that accepts
    /// a backup joining it.
    pub fn after_go_live(
        config: Config,
        identity: Identity,
        epoch: u64,
    ) -> Result<Primary, ConfigError> {
        config.check()?;
        let mut primary = Primary::in_state(config, identity, epoch, PrimaryState::Alone);
        primary.started = true;
        primary.actions.push_back(PrimaryAction::State(StateChange {
            state: PrimaryState::Alone,
            epoch,
            why: "the backup went live".to_owned(),
        }));
        Ok(primary)
    }

    fn in_state(config: Config, identity: Identity, epoch: u64, state: PrimaryState) -> Primary {
        Primary {
            config,
            identity,
            epoch,
            state,
            links: BTreeMap::new(),
            backup: None,
            started: false,
            actions: VecDeque::new(),
            position: 0,
            mtime: 0,
            stream: LogStream::default(),
            acked: 0,
            backup_executed: 0,
            backup_executed_mtime: 0,
            restoring_from: None,
            held: VecDeque::new(),
            released_through: 0,
            claim_retry_at: None,
        }
    }

    /// The next action for the driver, if any.
    pub fn poll(&mut self) -> Option<PrimaryAction> {
        self.actions.pop_front()
    }

    /// The current state.
    pub fn state(&self) -> &PrimaryState {
        &self.state
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The machine's latest reported position.
    pub fn reported_position(&self) -> u64 {
        self.position
    }

    /// The highest position vouched for to the current backup (0 when there is none).
    pub fn vouched(&self) -> u64 {
        self.stream.vouched_sent
    }

    /// The highest position whose log the backup acknowledged receiving.
    pub fn acknowledged(&self) -> u64 {
        self.acked
    }

    /// How many positions the backup's execution trails this machine, while protected.
    pub fn lag_positions(&self) -> Option<u64> {
        matches!(self.state, PrimaryState::Protected { .. })
            .then(|| self.position.saturating_sub(self.backup_executed))
    }

    /// A backup opened connection `conn` (an id the driver gives no other open connection).
    /// The primary answers the backup's Hello, which comes first, with its own Hello when it
    /// accepts the backup, or with a `Refuse`; a connection that is refused, fails or falls
    /// silent is closed alone, without disturbing the backup's connection.
    pub fn connected(&mut self, conn: ConnId, now: Millis) {
        if self.halted() {
            return;
        }
        if self.links.contains_key(&conn) {
            self.connection_failed(conn, "a new connection took over its id".to_owned());
        }
        self.links.insert(conn, Link::new(now));
    }

    /// Connection `conn` closed (the driver needs no `Close` for it).
    pub fn disconnected(&mut self, conn: ConnId, _now: Millis) {
        if self.links.remove(&conn).is_some() && self.backup == Some(conn) {
            self.backup = None;
            self.backup_lost("the connection to the backup closed".to_owned());
        }
    }

    /// A channel message arrived on connection `conn`.
    pub fn message(&mut self, conn: ConnId, bytes: &[u8], now: Millis) {
        if self.halted() {
            return;
        }
        let Some(link) = self.links.get_mut(&conn) else {
            return;
        };
        let envelope = match link.open(bytes, now) {
            Ok(envelope) => envelope,
            Err(error) => return self.connection_failed(conn, error.to_string()),
        };
        let is_backup = self.backup == Some(conn);
        if envelope.epoch > self.epoch {
            return self.halt_for_newer_epoch(envelope.epoch);
        }
        match envelope.message {
            Message::Hello(hello) if !is_backup && hello.epoch == envelope.epoch => {
                self.hello_received(conn, hello, now)
            }
            Message::Refuse { reason } => {
                let reason = one_line(&reason, MAX_REASON_LEN);
                self.actions.push_back(PrimaryAction::PeerRefused {
                    reason: reason.clone(),
                });
                self.connection_failed(conn, format!("the backup refused: {reason}"));
            }
            Message::Ack {
                received,
                executed,
                executed_mtime,
            } if is_backup && envelope.epoch == self.epoch => {
                self.ack_received(conn, received, executed, executed_mtime)
            }
            Message::Heartbeat if is_backup && envelope.epoch == self.epoch => {}
            other => self.connection_failed(
                conn,
                format!(
                    "unexpected {} in epoch {} from the backup",
                    other.name(),
                    envelope.epoch
                ),
            ),
        }
    }

    /// The next chunk of the joining backup's state, in order, while `Syncing`; larger chunks
    /// than [`MAX_TRANSFER_BYTES`] are split. Ignored in any other state (a transfer that was
    /// aborted may still be draining).
    pub fn transfer(&mut self, bytes: &[u8], now: Millis) {
        if !matches!(self.state, PrimaryState::Syncing { .. }) {
            return;
        }
        for chunk in bytes.chunks(MAX_TRANSFER_BYTES) {
            self.send(
                Message::Transfer {
                    bytes: chunk.to_vec(),
                },
                now,
            );
        }
    }

    /// The stop-and-copy is done: the machine stands at `position` (no position beyond it was
    /// reported), its digest there is `digest`, `state` is its state without RAM and disk, and
    /// every chunk before was passed to [`Primary::transfer`]. Sends `Synced` and protects
    /// the machine from `position` on: outputs after it wait for the backup, the log stream
    /// restarts (the next [`Primary::log`] bytes begin with a new log header) and vouching
    /// starts at `position`. Ignored unless `Syncing`; a `state` over [`MAX_STATE_BYTES`]
    /// gives up the join.
    pub fn synced(&mut self, position: u64, digest: [u8; 32], state: Vec<u8>, now: Millis) {
        let PrimaryState::Syncing { backup } = &self.state else {
            return;
        };
        let backup = backup.clone();
        if state.len() > MAX_STATE_BYTES {
            if let Some(conn) = self.backup {
                let why = format!(
                    "the machine state of {} bytes exceeds the {MAX_STATE_BYTES}-byte cap",
                    state.len()
                );
                self.connection_failed(conn, why);
            }
            return;
        }
        self.position = position;
        self.stream = LogStream {
            vouched_sent: position,
            ..LogStream::default()
        };
        // The backup holds the machine at `position` once it has `Synced`.
        self.backup_executed = position;
        self.backup_executed_mtime = self.mtime;
        self.restoring_from = Some(position);
        self.send(
            Message::Synced {
                position,
                digest,
                state,
            },
            now,
        );
        self.enter(
            PrimaryState::Protected {
                backup: backup.clone(),
            },
            format!("{backup} is in sync at position {position}"),
        );
    }

    /// The recorder appended these log bytes (whole entries, in order). Dropped while no
    /// backup follows the log (alone or transferring: a joining backup gets the state instead).
    pub fn log(&mut self, bytes: Vec<u8>) {
        if matches!(
            self.state,
            PrimaryState::Alone | PrimaryState::Syncing { .. } | PrimaryState::Halted { .. }
        ) || bytes.is_empty()
        {
            return;
        }
        self.stream.pending_len += bytes.len() as u64;
        self.stream.pending.push_back(bytes);
    }

    /// The machine reached `position` at a slice end, with `mtime` there; every log entry below
    /// `position` has already been passed to [`Primary::log`].
    pub fn position(&mut self, position: u64, mtime: u64, now: Millis) {
        self.position = self.position.max(position);
        self.mtime = self.mtime.max(mtime);
        if !matches!(self.state, PrimaryState::Protected { .. }) {
            return;
        }
        let first_unvouched = self
            .held
            .partition_point(|&at| at <= self.stream.vouched_sent);
        let output_waits = self
            .held
            .get(first_unvouched)
            .is_some_and(|&at| at <= self.position);
        let interval_passed = self.position.saturating_sub(self.stream.vouched_sent)
            >= self.config.vouch_interval_positions;
        if output_waits || interval_passed || self.stream.pending_len >= MAX_LOG_BYTES as u64 {
            self.send_log(now);
        }
    }

    /// The machine produced an output at `position` (after the instruction that produced it
    /// retired, so every input that can have influenced it lies below). The driver keeps the
    /// bytes until a `Release` covers them.
    pub fn output(&mut self, position: u64, now: Millis) {
        match self.state {
            PrimaryState::Halted { .. } => {}
            PrimaryState::Alone | PrimaryState::Syncing { .. } => self.release(position),
            _ => {
                let at = self.held.partition_point(|&held| held <= position);
                self.held.insert(at, position);
                if matches!(self.state, PrimaryState::Protected { .. }) {
                    self.release_acknowledged();
                    // Reported after the position that covers it: vouch for it now.
                    if position > self.stream.vouched_sent && position <= self.position {
                        self.send_log(now);
                    }
                }
            }
        }
    }

    /// Time passed: sends heartbeats and progress, detects a silent peer, retries the arbiter.
    /// Call it every millisecond or so; it does nothing when nothing is due.
    pub fn tick(&mut self, now: Millis) {
        if let PrimaryState::Claiming { epoch } = self.state {
            if self.claim_retry_at.is_some_and(|at| at <= now) {
                self.claim_retry_at = None;
                self.actions.push_back(PrimaryAction::Claim { epoch });
            }
        }
        let silent: Vec<(ConnId, u64)> = self
            .links
            .iter()
            .map(|(&conn, link)| (conn, link.silent_for(now)))
            .filter(|&(_, silent_ms)| silent_ms > self.config.timeout_ms)
            .collect();
        for (conn, silent_ms) in silent {
            let who = if self.backup == Some(conn) {
                "the backup"
            } else {
                "the connecting peer"
            };
            self.connection_failed(conn, format!("{who} was silent for {silent_ms} ms"));
        }
        let Some(link) = self.backup.and_then(|conn| self.links.get(&conn)) else {
            return;
        };
        if link.idle_for(now) >= self.config.heartbeat_ms {
            let stream = &self.stream;
            let protected = matches!(self.state, PrimaryState::Protected { .. });
            if protected
                && (self.position > stream.vouched_sent
                    || stream.pending_len > 0
                    || self.released_through > stream.released_sent)
            {
                self.send_log(now);
            } else {
                self.send(Message::Heartbeat, now);
            }
        }
    }

    /// The arbiter answered the last `Claim`.
    pub fn arbiter(&mut self, result: ArbiterResult, now: Millis) {
        let PrimaryState::Claiming { epoch } = self.state else {
            return;
        };
        match result {
            ArbiterResult::Won => {
                self.epoch = epoch;
                self.enter(
                    PrimaryState::Alone,
                    format!("won epoch {epoch} at the arbiter"),
                );
            }
            ArbiterResult::Lost { winner } => {
                let winner = one_line(&winner, MAX_REASON_LEN);
                self.enter(
                    PrimaryState::Halted {
                        exit_code: EXIT_LOST_ARBITER,
                    },
                    format!("lost epoch {epoch} at the arbiter to {winner}"),
                );
            }
            ArbiterResult::Unreachable => {
                self.claim_retry_at = Some(now.after(self.config.heartbeat_ms));
            }
        }
    }

    /// How far the backup's execution lags behind this machine, in milliseconds of guest time,
    /// while protected.
    pub fn lag_ms(&self) -> Option<u64> {
        matches!(self.state, PrimaryState::Protected { .. })
            .then(|| self.mtime.saturating_sub(self.backup_executed_mtime) / MTIME_TICKS_PER_MS)
    }

    /// How long the engine should pause before its next slice, because the backup lags more
    /// than `max_lag_ms` of guest time or too many log bytes are unacknowledged. The pause is at
    /// most one heartbeat interval: the primary slows down, it never stops.
    pub fn throttle(&self) -> Option<Millis> {
        if !matches!(self.state, PrimaryState::Protected { .. }) {
            return None;
        }
        let lag_ms = self.lag_ms().unwrap_or(0);
        let unacked = self.stream.bytes_sent - self.stream.bytes_acked + self.stream.pending_len;
        let pause_ms = if unacked > self.config.max_unacked_log_bytes {
            self.config.heartbeat_ms
        } else if self.restoring_from.is_some() {
            0
        } else {
            lag_ms
                .saturating_sub(self.config.max_lag_ms)
                .min(self.config.heartbeat_ms)
        };
        (pause_ms > 0).then_some(Millis(pause_ms))
    }

    /// The one place the state changes: reports the change, then does what entering the state
    /// requires.
    fn enter(&mut self, state: PrimaryState, why: String) {
        let previous = std::mem::replace(&mut self.state, state.clone());
        self.actions.push_back(PrimaryAction::State(StateChange {
            state: state.clone(),
            epoch: self.epoch,
            why: why.clone(),
        }));
        match state {
            PrimaryState::WaitingForBackup => {}
            PrimaryState::Syncing { .. } => self.actions.push_back(PrimaryAction::StartTransfer),
            PrimaryState::Protected { .. } => {
                if !self.started {
                    self.started = true;
                    self.actions.push_back(PrimaryAction::Start);
                }
            }
            PrimaryState::Claiming { epoch } => {
                self.claim_retry_at = None;
                self.actions.push_back(PrimaryAction::Claim { epoch });
            }
            PrimaryState::Alone => {
                if matches!(previous, PrimaryState::Syncing { .. }) {
                    self.actions.push_back(PrimaryAction::AbortTransfer);
                }
                if let Some(&last) = self.held.back() {
                    self.release(last);
                }
                self.stream = LogStream::default();
            }
            PrimaryState::Halted { exit_code } => {
                self.backup = None;
                for conn in std::mem::take(&mut self.links).into_keys() {
                    self.actions.push_back(PrimaryAction::Close {
                        conn,
                        why: why.clone(),
                    });
                }
                self.actions.push_back(PrimaryAction::Halt {
                    reason: why,
                    exit_code,
                });
            }
        }
    }

    fn halted(&self) -> bool {
        matches!(self.state, PrimaryState::Halted { .. })
    }

    fn halt_for_newer_epoch(&mut self, theirs: u64) {
        self.enter(
            PrimaryState::Halted {
                exit_code: EXIT_NEWER_EPOCH,
            },
            format!("the peer is in epoch {theirs}, newer than ours"),
        );
    }

    /// A backup's Hello on connection `conn`: accepts it as the backup (answering with this
    /// node's Hello) or refuses it.
    fn hello_received(&mut self, conn: ConnId, hello: Hello, now: Millis) {
        let busy = match &self.state {
            PrimaryState::Syncing { backup } | PrimaryState::Protected { backup } => {
                Some(format!("this primary has a backup already ({backup})"))
            }
            PrimaryState::Claiming { epoch } => {
                Some(format!("this primary is claiming epoch {epoch}"))
            }
            _ => None,
        };
        if let Some(reason) = busy {
            return self.refuse(conn, reason, now);
        }
        // A running machine transfers its state, which overwrites the joiner's disk; a fresh
        // pair starts from two equal disks.
        let transfer = self.state == PrimaryState::Alone;
        let ours = self.identity.hello(Role::Primary, self.epoch, transfer);
        let joiner = if !transfer {
            Ok(())
        } else if !hello.join {
            Err(HelloMismatch::NotJoining)
        } else if hello.epoch < self.epoch {
            Err(HelloMismatch::OlderEpoch {
                ours: self.epoch,
                theirs: hello.epoch,
            })
        } else {
            Ok(())
        };
        if let Err(mismatch) = check_partner(&ours, &hello, !transfer).and(joiner) {
            return self.refuse(conn, mismatch.to_string(), now);
        }
        let backup = one_line(&hello.node, MAX_REASON_LEN);
        if let Some(link) = self.links.get_mut(&conn) {
            link.partner = Some(backup.clone());
        }
        self.backup = Some(conn);
        self.acked = 0;
        self.backup_executed = 0;
        self.backup_executed_mtime = 0;
        self.restoring_from = None;
        self.send(Message::Hello(ours), now);
        if transfer {
            self.enter(
                PrimaryState::Syncing {
                    backup: backup.clone(),
                },
                format!("{backup} joins the running machine"),
            );
        } else {
            self.enter(
                PrimaryState::Protected {
                    backup: backup.clone(),
                },
                format!("{backup} joined"),
            );
            self.send_log(now);
        }
    }

    fn refuse(&mut self, conn: ConnId, reason: String, now: Millis) {
        if let Some(mut link) = self.links.remove(&conn) {
            let bytes = link.seal(
                self.epoch,
                Message::Refuse {
                    reason: reason.clone(),
                },
                now,
            );
            self.actions.push_back(PrimaryAction::Send { conn, bytes });
        }
        self.actions.push_back(PrimaryAction::Refused {
            reason: reason.clone(),
        });
        self.actions.push_back(PrimaryAction::Close {
            conn,
            why: format!("refused the peer: {reason}"),
        });
    }

    fn ack_received(&mut self, conn: ConnId, received: u64, executed: u64, executed_mtime: u64) {
        if received > self.stream.vouched_sent || executed > received {
            let why = format!(
                "the backup acknowledged receiving {received} and executing {executed}, \
                 but only {} was vouched",
                self.stream.vouched_sent
            );
            return self.connection_failed(conn, why);
        }
        self.acked = self.acked.max(received);
        self.backup_executed = self.backup_executed.max(executed);
        self.backup_executed_mtime = self.backup_executed_mtime.max(executed_mtime);
        if self.restoring_from.is_some_and(|from| executed > from) {
            self.restoring_from = None;
        }
        let stream = &mut self.stream;
        while let Some(&(vouched, bytes_through)) = stream.unacked.front() {
            if vouched > self.acked {
                break;
            }
            stream.bytes_acked = bytes_through;
            stream.unacked.pop_front();
        }
        self.release_acknowledged();
    }

    /// Releases the held outputs whose log the backup has acknowledged.
    fn release_acknowledged(&mut self) {
        let count = self.held.partition_point(|&at| at <= self.acked);
        if let Some(&last) = count.checked_sub(1).and_then(|index| self.held.get(index)) {
            self.release(last);
        }
    }

    fn release(&mut self, through: u64) {
        let count = self.held.partition_point(|&at| at <= through);
        self.held.drain(..count);
        self.released_through = self.released_through.max(through);
        self.actions.push_back(PrimaryAction::Release { through });
    }

    /// Sends every pending log byte, in messages of at most [`MAX_LOG_BYTES`]; the last one
    /// vouches for the current position.
    fn send_log(&mut self, now: Millis) {
        loop {
            let mut bytes = Vec::new();
            while let Some(front) = self.stream.pending.front_mut() {
                let room = MAX_LOG_BYTES - bytes.len();
                if front.len() <= room {
                    bytes.append(front);
                    self.stream.pending.pop_front();
                } else if bytes.is_empty() {
                    bytes.extend(front.drain(..room));
                } else {
                    break;
                }
            }
            let stream = &mut self.stream;
            stream.pending_len -= bytes.len() as u64;
            let last = stream.pending.is_empty();
            let vouched = if last {
                self.position
            } else {
                stream.vouched_sent
            };
            stream.vouched_sent = vouched;
            stream.released_sent = self.released_through;
            stream.bytes_sent += bytes.len() as u64;
            stream.unacked.push_back((vouched, stream.bytes_sent));
            let released = self.released_through;
            self.send(
                Message::Log {
                    vouched,
                    released,
                    bytes,
                },
                now,
            );
            if last {
                return;
            }
        }
    }

    /// Sends a message to the backup.
    fn send(&mut self, message: Message, now: Millis) {
        let Some(conn) = self.backup else {
            return;
        };
        if let Some(link) = self.links.get_mut(&conn) {
            let bytes = link.seal(self.epoch, message, now);
            self.actions.push_back(PrimaryAction::Send { conn, bytes });
        }
    }

    /// Connection `conn` broke (a protocol error, silence, a replacement): close it, and if it
    /// carried the backup, the backup is lost.
    fn connection_failed(&mut self, conn: ConnId, why: String) {
        if self.links.remove(&conn).is_some() {
            self.actions.push_back(PrimaryAction::Close {
                conn,
                why: why.clone(),
            });
            if self.backup == Some(conn) {
                self.backup = None;
                self.backup_lost(why);
            }
        }
    }

    /// A backup in sync is lost: claim the next epoch before going on alone. A joining one
    /// was never a replica: the primary, the only live side of its epoch, goes on alone.
    fn backup_lost(&mut self, why: String) {
        match self.state {
            PrimaryState::Protected { .. } => {
                let epoch = self.epoch + 1;
                self.enter(
                    PrimaryState::Claiming { epoch },
                    format!("backup lost: {why}"),
                );
            }
            PrimaryState::Syncing { .. } => self.enter(
                PrimaryState::Alone,
                format!("backup lost during the state transfer: {why}"),
            ),
            _ => {}
        }
    }
}
