//! The backup's core: receives a running primary's state when it joins, then the log; lets
//! the replayer run only as far as the primary vouched, acknowledges promptly, and claims the
//! next epoch when the primary fails (only once it holds a replica).

use std::collections::VecDeque;
use std::fmt;

use super::identity::{check_partner, HelloMismatch, Identity};
use super::link::Link;
use super::wire::{one_line, Hello, Message, Role, MAX_REASON_LEN};
use super::{
    ArbiterResult, Config, ConfigError, Millis, StateChange, EXIT_LOST_ARBITER, EXIT_NEWER_EPOCH,
    EXIT_NOT_IN_SYNC,
};

/// Where the backup stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackupState {
    /// No primary accepted yet.
    WaitingForPrimary,
    /// Receiving a running primary's state; not a replica until it is in sync.
    Joining {
        /// The primary's node name.
        primary: String,
    },
    /// Replaying a primary's log.
    Following {
        /// The primary's node name.
        primary: String,
    },
    /// The primary failed: asking the arbiter for `epoch`.
    Claiming {
        /// The epoch claimed.
        epoch: u64,
    },
    /// Won the arbiter and went live: the driver now runs a [`super::Primary`].
    Live,
    /// Stopped for good; the driver exits with `exit_code`.
    Halted {
        /// [`EXIT_LOST_ARBITER`], [`EXIT_NEWER_EPOCH`] or [`EXIT_NOT_IN_SYNC`].
        exit_code: i32,
    },
}

impl fmt::Display for BackupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupState::WaitingForPrimary => write!(f, "backup waiting for a primary"),
            BackupState::Joining { primary } => write!(f, "backup joining {primary}"),
            BackupState::Following { primary } => write!(f, "backup following {primary}"),
            BackupState::Claiming { epoch } => write!(f, "backup claiming epoch {epoch}"),
            BackupState::Live => write!(f, "backup gone live"),
            BackupState::Halted { exit_code } => write!(f, "backup halted (exit {exit_code})"),
        }
    }
}

/// What the backup's driver must do, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackupAction {
    /// Send these bytes as one channel message.
    Send(Vec<u8>),
    /// Feed these log bytes to the replayer, after the ones delivered before.
    Deliver {
        /// The continuation of the log byte stream.
        bytes: Vec<u8>,
    },
    /// Joining: the next chunk of the primary's pre-copied state, after the ones delivered
    /// before (it may overwrite the disk).
    DeliverTransfer {
        /// The chunk.
        bytes: Vec<u8>,
    },
    /// Joining is done: check the transferred state with `state` against `digest` and
    /// restore the machine at `position`; the log delivered next starts there, with a new
    /// log header. The backup holds the primary's past already (it acknowledges from
    /// `position` on), so if the primary fails before the machine is restored, restore it
    /// first and then replay and go live as usual.
    Synced {
        /// The position the primary stopped at for the copy.
        position: u64,
        /// The primary's machine digest at `position`.
        digest: [u8; 32],
        /// The machine state without RAM and disk.
        state: Vec<u8>,
    },
    /// The replayer may run up to this position, never past it.
    RunTo {
        /// The highest position the primary vouched for.
        vouched: u64,
    },
    /// The primary released its outputs through this position: the engine may drop its own
    /// outputs at or below it, and keeps later ones for go-live.
    Released {
        /// The highest position released.
        through: u64,
    },
    /// Ask the arbiter to test-and-set `epoch` for this node, then call [`Backup::arbiter`]
    /// with the answer.
    Claim {
        /// The epoch to claim.
        epoch: u64,
    },
    /// Won `epoch`: execute everything delivered (the primary is gone, so past the last
    /// `RunTo`), release the outputs kept, then run as [`super::Primary::after_go_live`].
    GoLive {
        /// The new epoch.
        epoch: u64,
    },
    /// Close the current connection.
    Close {
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
    /// Stop replaying and exit with `exit_code`.
    Halt {
        /// Why, one line.
        reason: String,
        /// [`EXIT_LOST_ARBITER`], [`EXIT_NEWER_EPOCH`] or [`EXIT_NOT_IN_SYNC`].
        exit_code: i32,
    },
    /// The state changed: print this line.
    State(StateChange<BackupState>),
}

/// The backup's side of the protocol: feed it events, drain [`Backup::poll`].
///
/// The driver calls [`Backup::executed`] as the replayer advances and [`Backup::tick`] every
/// few milliseconds.
pub struct Backup {
    config: Config,
    identity: Identity,
    epoch: u64,
    /// Whether this backup may receive a running primary's state (`--join`).
    join: bool,
    state: BackupState,
    link: Option<Link>,
    actions: VecDeque<BackupAction>,
    /// The highest position the primary vouched for (and the replayer may run to).
    received: u64,
    /// The highest position the primary said it released through.
    released: u64,
    /// The replayer's progress and the guest's `mtime` there.
    executed: u64,
    executed_mtime: u64,
    claim_retry_at: Option<Millis>,
}

impl Backup {
    /// A backup at `epoch`, waiting for a primary. With `join`, it may also join a running
    /// primary by receiving its state, which overwrites its disk; without, it pairs only with
    /// a primary whose machine has not started.
    pub fn new(
        config: Config,
        identity: Identity,
        epoch: u64,
        join: bool,
    ) -> Result<Backup, ConfigError> {
        config.check()?;
        Ok(Backup {
            config,
            identity,
            epoch,
            join,
            state: BackupState::WaitingForPrimary,
            link: None,
            actions: VecDeque::new(),
            received: 0,
            released: 0,
            executed: 0,
            executed_mtime: 0,
            claim_retry_at: None,
        })
    }

    /// The next action for the driver, if any.
    pub fn poll(&mut self) -> Option<BackupAction> {
        self.actions.pop_front()
    }

    /// The current state.
    pub fn state(&self) -> &BackupState {
        &self.state
    }

    /// The current epoch (the primary's, once one was accepted).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The highest position the primary vouched for (from the sync position on, when joined).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// How far the replayer executed.
    pub fn executed_through(&self) -> u64 {
        self.executed
    }

    /// A connection to a primary is up: sends this node's Hello, which the primary answers.
    /// One connection at a time: a new one replaces (and fails) the previous one.
    pub fn connected(&mut self, now: Millis) {
        if self.halted() {
            return;
        }
        if self.link.is_some() {
            self.connection_failed("a new connection replaced it".to_owned());
        }
        let hello = self.identity.hello(Role::Backup, self.epoch, self.join);
        let mut link = Link::new(now);
        let bytes = link.seal(self.epoch, Message::Hello(hello), now);
        self.link = Some(link);
        self.actions.push_back(BackupAction::Send(bytes));
    }

    /// The connection closed (the driver needs no `Close` for it).
    pub fn disconnected(&mut self, _now: Millis) {
        if self.link.take().is_some() {
            self.primary_lost("the connection to the primary closed".to_owned());
        }
    }

    /// A channel message arrived on the current connection.
    pub fn message(&mut self, bytes: &[u8], now: Millis) {
        if self.halted() {
            return;
        }
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let envelope = match link.open(bytes, now) {
            Ok(envelope) => envelope,
            Err(error) => return self.connection_failed(error.to_string()),
        };
        let hello_done = link.partner.is_some();
        // Before the Hello the primary's epoch is what the backup adopts; after it, a newer
        // epoch means someone went live after this pair formed.
        if hello_done && envelope.epoch > self.epoch {
            return self.enter(
                BackupState::Halted {
                    exit_code: EXIT_NEWER_EPOCH,
                },
                format!("the peer is in epoch {}, newer than ours", envelope.epoch),
            );
        }
        let current = hello_done && envelope.epoch == self.epoch;
        let joining = matches!(self.state, BackupState::Joining { .. });
        match envelope.message {
            Message::Hello(hello) if !hello_done && hello.epoch == envelope.epoch => {
                self.hello_received(hello, now)
            }
            Message::Transfer { bytes } if current && joining => {
                self.actions
                    .push_back(BackupAction::DeliverTransfer { bytes });
            }
            Message::Synced {
                position,
                digest,
                state,
            } if current && joining => self.synced(position, digest, state, now),
            Message::Refuse { reason } => {
                let reason = one_line(&reason, MAX_REASON_LEN);
                self.actions.push_back(BackupAction::PeerRefused {
                    reason: reason.clone(),
                });
                self.connection_failed(format!("the primary refused: {reason}"));
            }
            Message::Log {
                vouched,
                released,
                bytes,
            } if current && !joining => self.log_received(vouched, released, bytes, now),
            Message::Heartbeat if current => {}
            other => self.connection_failed(format!(
                "unexpected {} in epoch {} from the primary",
                other.name(),
                envelope.epoch
            )),
        }
    }

    /// The replayer executed through `position`, where the guest's `mtime` read `mtime`.
    pub fn executed(&mut self, position: u64, mtime: u64, _now: Millis) {
        self.executed = self.executed.max(position);
        self.executed_mtime = self.executed_mtime.max(mtime);
    }

    /// Time passed: acknowledges progress, detects a silent primary, retries the arbiter.
    /// Call it every millisecond or so; it does nothing when nothing is due.
    pub fn tick(&mut self, now: Millis) {
        if let BackupState::Claiming { epoch } = self.state {
            if self.claim_retry_at.is_some_and(|at| at <= now) {
                self.claim_retry_at = None;
                self.actions.push_back(BackupAction::Claim { epoch });
            }
        }
        let Some(link) = &self.link else {
            return;
        };
        let silent_ms = link.silent_for(now);
        if silent_ms > self.config.timeout_ms {
            return self.connection_failed(format!("the primary was silent for {silent_ms} ms"));
        }
        if link.partner.is_some() && link.idle_for(now) >= self.config.heartbeat_ms {
            self.send_ack(now);
        }
    }

    /// The arbiter answered the last `Claim`.
    pub fn arbiter(&mut self, result: ArbiterResult, now: Millis) {
        let BackupState::Claiming { epoch } = self.state else {
            return;
        };
        match result {
            ArbiterResult::Won => {
                self.epoch = epoch;
                self.enter(
                    BackupState::Live,
                    format!("won epoch {epoch} at the arbiter"),
                );
            }
            ArbiterResult::Lost { winner } => {
                let winner = one_line(&winner, MAX_REASON_LEN);
                self.enter(
                    BackupState::Halted {
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

    /// The one place the state changes: reports the change, then does what entering the state
    /// requires.
    fn enter(&mut self, state: BackupState, why: String) {
        self.state = state.clone();
        self.actions.push_back(BackupAction::State(StateChange {
            state: state.clone(),
            epoch: self.epoch,
            why: why.clone(),
        }));
        match state {
            BackupState::WaitingForPrimary
            | BackupState::Joining { .. }
            | BackupState::Following { .. } => {}
            BackupState::Claiming { epoch } => {
                self.claim_retry_at = None;
                self.actions.push_back(BackupAction::Claim { epoch });
            }
            BackupState::Live => {
                self.actions
                    .push_back(BackupAction::GoLive { epoch: self.epoch });
            }
            BackupState::Halted { exit_code } => {
                if self.link.take().is_some() {
                    self.actions
                        .push_back(BackupAction::Close { why: why.clone() });
                }
                self.actions.push_back(BackupAction::Halt {
                    reason: why,
                    exit_code,
                });
            }
        }
    }

    fn halted(&self) -> bool {
        matches!(self.state, BackupState::Halted { .. })
    }

    /// The primary's Hello: it accepted this backup, and says whether its state comes first.
    fn hello_received(&mut self, hello: Hello, now: Millis) {
        let ours = self.identity.hello(Role::Backup, self.epoch, self.join);
        let transfer = hello.join;
        if let Err(mismatch) = check_partner(&ours, &hello, !transfer) {
            return self.refuse(mismatch.to_string(), now);
        }
        if self.state != BackupState::WaitingForPrimary {
            let reason = format!("this node is the {} and follows no new primary", self.state);
            return self.refuse(reason, now);
        }
        if transfer && !self.join {
            return self.refuse(HelloMismatch::NotJoining.to_string(), now);
        }
        if hello.epoch < self.epoch {
            let mismatch = HelloMismatch::StaleEpoch {
                ours: self.epoch,
                theirs: hello.epoch,
            };
            return self.refuse(mismatch.to_string(), now);
        }
        self.epoch = hello.epoch;
        let primary = one_line(&hello.node, MAX_REASON_LEN);
        if let Some(link) = self.link.as_mut() {
            link.partner = Some(primary.clone());
        }
        if transfer {
            self.enter(
                BackupState::Joining {
                    primary: primary.clone(),
                },
                format!("{primary} accepted; receiving its running machine's state"),
            );
        } else {
            self.enter(
                BackupState::Following {
                    primary: primary.clone(),
                },
                format!("{primary} accepted"),
            );
        }
    }

    /// The transfer is complete: the backup holds the machine at `position` and follows the
    /// log from there.
    fn synced(&mut self, position: u64, digest: [u8; 32], state: Vec<u8>, now: Millis) {
        let BackupState::Joining { primary } = &self.state else {
            return;
        };
        let primary = primary.clone();
        self.received = position;
        self.actions.push_back(BackupAction::Synced {
            position,
            digest,
            state,
        });
        self.enter(
            BackupState::Following {
                primary: primary.clone(),
            },
            format!("in sync with {primary} at position {position}"),
        );
        self.send_ack(now);
    }

    fn refuse(&mut self, reason: String, now: Millis) {
        if let Some(mut link) = self.link.take() {
            let bytes = link.seal(
                self.epoch,
                Message::Refuse {
                    reason: reason.clone(),
                },
                now,
            );
            self.actions.push_back(BackupAction::Send(bytes));
        }
        self.actions.push_back(BackupAction::Refused {
            reason: reason.clone(),
        });
        self.actions.push_back(BackupAction::Close {
            why: format!("refused the peer: {reason}"),
        });
    }

    fn log_received(&mut self, vouched: u64, released: u64, bytes: Vec<u8>, now: Millis) {
        if vouched < self.received || released > vouched {
            return self.connection_failed(format!(
                "the primary vouched {vouched} after {} and released through {released}",
                self.received
            ));
        }
        if !bytes.is_empty() {
            self.actions.push_back(BackupAction::Deliver { bytes });
        }
        if vouched > self.received {
            self.received = vouched;
            self.actions.push_back(BackupAction::RunTo { vouched });
        }
        if released > self.released {
            self.released = released;
            self.actions
                .push_back(BackupAction::Released { through: released });
        }
        self.send_ack(now);
    }

    fn send_ack(&mut self, now: Millis) {
        let ack = Message::Ack {
            received: self.received,
            executed: self.executed,
            executed_mtime: self.executed_mtime,
        };
        if let Some(link) = self.link.as_mut() {
            let bytes = link.seal(self.epoch, ack, now);
            self.actions.push_back(BackupAction::Send(bytes));
        }
    }

    /// The connection broke (a protocol error, silence, a replacement): close it, and if it
    /// carried the primary, the primary is lost.
    fn connection_failed(&mut self, why: String) {
        if self.link.take().is_some() {
            self.actions
                .push_back(BackupAction::Close { why: why.clone() });
            self.primary_lost(why);
        }
    }

    /// A primary this backup replicates is lost: claim the next epoch. A joining backup holds
    /// no replica yet: it halts and never claims.
    fn primary_lost(&mut self, why: String) {
        match self.state {
            BackupState::Following { .. } => {
                let epoch = self.epoch + 1;
                self.enter(
                    BackupState::Claiming { epoch },
                    format!("primary lost: {why}"),
                );
            }
            BackupState::Joining { .. } => self.enter(
                BackupState::Halted {
                    exit_code: EXIT_NOT_IN_SYNC,
                },
                format!(
                    "primary lost before the state transfer completed, so this node holds no \
                     replica and must not go live: {why}"
                ),
            ),
            _ => {}
        }
    }
}
