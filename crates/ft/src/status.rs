//! What each side of a pair shows an operator: a [`Status`] that its protocol thread keeps up
//! to date on a [`Board`], served as JSON on the control socket ([`crate::control`]) and as
//! Prometheus text ([`crate::metrics`]).
//!
//! Readers copy the snapshot under the board's lock and do their slow work (writing to a
//! socket) after releasing it, so a slow reader never holds up the protocol thread for longer
//! than a copy.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine_io::lock;
use crate::protocol::{BackupState, PrimaryState};

/// Which side of the pair a process is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `vmft primary`.
    Primary,
    /// `vmft backup`, replaying its primary's log.
    Backup,
    /// `vmft backup` after it won the arbiter and went live: the pair's one live side.
    LiveBackup,
}

impl Role {
    /// Every role, in the order the metrics list them.
    pub const ALL: [Role; 3] = [Role::Primary, Role::Backup, Role::LiveBackup];

    /// The role's name, as the status and the metrics show it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Backup => "backup",
            Role::LiveBackup => "live-backup",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a side stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Waiting for its peer to join: a primary whose machine has not started, or a backup
    /// not yet accepted.
    Waiting,
    /// A primary with a backup that follows it: outputs are released once the backup has
    /// their log.
    Protected,
    /// Running alone after winning the arbiter (a primary whose backup failed, or a backup
    /// gone live): outputs are released at once.
    Unprotected,
    /// A backup is joining a running primary: its state is being transferred (the primary is
    /// not protected yet).
    Syncing,
    /// The peer failed: asking the arbiter for the next epoch; outputs stay held.
    Claiming,
    /// A backup replaying its primary's log.
    Following,
    /// Stopped for good: lost the arbiter or saw a newer epoch.
    Halted,
}

impl State {
    /// Every state, in the order the metrics list them.
    pub const ALL: [State; 7] = [
        State::Waiting,
        State::Protected,
        State::Unprotected,
        State::Syncing,
        State::Claiming,
        State::Following,
        State::Halted,
    ];

    /// The state's name, as the status and the metrics show it.
    pub fn name(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Protected => "protected",
            State::Unprotected => "unprotected",
            State::Syncing => "syncing",
            State::Claiming => "claiming",
            State::Following => "following",
            State::Halted => "halted",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<&PrimaryState> for State {
    fn from(state: &PrimaryState) -> State {
        match state {
            PrimaryState::WaitingForBackup => State::Waiting,
            PrimaryState::Protected { .. } => State::Protected,
            PrimaryState::Claiming { .. } => State::Claiming,
            PrimaryState::Alone => State::Unprotected,
            PrimaryState::Syncing { .. } => State::Syncing,
            PrimaryState::Halted { .. } => State::Halted,
        }
    }
}

impl From<&BackupState> for State {
    fn from(state: &BackupState) -> State {
        match state {
            BackupState::WaitingForPrimary => State::Waiting,
            BackupState::Joining { .. } => State::Syncing,
            BackupState::Following { .. } => State::Following,
            BackupState::Claiming { .. } => State::Claiming,
            BackupState::Live => State::Unprotected,
            BackupState::Halted { .. } => State::Halted,
        }
    }
}

/// One side's status: what `vmft status` prints and `/metrics` serves.
///
/// A figure that this side cannot know at the moment (no peer, or not measured yet) is
/// `None`: `-` in the text, `null` in JSON, absent from the metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The version of vmft serving the status; its presence marks a vmft control socket.
    pub vmft: String,
    /// This side's name (`--node`).
    pub node: String,
    /// Primary, backup or live backup.
    pub role: Role,
    /// Where this side stands.
    pub state: State,
    /// The epoch this side is in.
    pub epoch: u64,
    /// Whether the pair is whole: a primary with a backup that follows it, or a backup
    /// following its primary.
    pub protected: bool,
    /// The peer's name, while a peer is joined.
    pub peer: Option<String>,
    /// The peer's logging-channel address, while a peer is joined.
    pub peer_address: Option<String>,
    /// The machine's position (instructions retired plus traps taken): the primary's at its
    /// last slice end, the backup's executed one; a live backup's at its last output.
    pub position: u64,
    /// How far the backup's execution trails, in positions: on the primary, its position
    /// less what the backup acknowledged executing; on the backup, what it received less
    /// what it executed.
    pub lag_positions: Option<u64>,
    /// How far the backup's execution trails, in milliseconds: on the primary in guest time
    /// (its clock less the guest clock where the backup executed to); on the backup in wall
    /// time (how long the oldest log it received but has not executed has waited).
    pub lag_ms: Option<u64>,
    /// Outputs the primary holds until the backup acknowledges their log.
    pub held_outputs: u64,
    /// How long the oldest held output has waited, in milliseconds.
    pub oldest_held_ms: Option<u64>,
    /// Bytes of protocol messages sent on the logging channel since the start.
    pub channel_bytes_sent: u64,
    /// Bytes of protocol messages received on the logging channel since the start.
    pub channel_bytes_received: u64,
    /// Bytes per second sent over about the last second.
    pub channel_send_bytes_per_second: u64,
    /// Bytes per second received over about the last second.
    pub channel_receive_bytes_per_second: u64,
    /// The last round trip measured on the logging channel, in milliseconds: from the
    /// primary's sending a log message that vouches for a position to the backup's
    /// acknowledgement of it. Measured by the primary only.
    pub heartbeat_rtt_ms: Option<f64>,
    /// Seconds since this side started.
    pub uptime_seconds: f64,
}

impl Status {
    /// Shows the side's state and epoch, and its peer (name and address) while it has one:
    /// the pair is protected exactly while there is a peer.
    pub fn show_pair(
        &mut self,
        state: State,
        epoch: u64,
        peer: Option<&str>,
        address: Option<&str>,
    ) {
        self.state = state;
        self.epoch = epoch;
        self.protected = peer.is_some();
        if self.peer.as_deref() != peer {
            self.peer = peer.map(str::to_owned);
        }
        if self.peer_address.as_deref() != address {
            self.peer_address = address.map(str::to_owned);
        }
    }

    /// A side that has just started: `role` named `node`, waiting in `epoch`.
    pub fn new(node: &str, role: Role, epoch: u64) -> Status {
        Status {
            vmft: env!("CARGO_PKG_VERSION").to_owned(),
            node: node.to_owned(),
            role,
            state: State::Waiting,
            epoch,
            protected: false,
            peer: None,
            peer_address: None,
            position: 0,
            lag_positions: None,
            lag_ms: None,
            held_outputs: 0,
            oldest_held_ms: None,
            channel_bytes_sent: 0,
            channel_bytes_received: 0,
            channel_send_bytes_per_second: 0,
            channel_receive_bytes_per_second: 0,
            heartbeat_rtt_ms: None,
            uptime_seconds: 0.0,
        }
    }

    /// The status as `key: value` lines, the values aligned; `-` for what is unknown.
    pub fn text(&self) -> String {
        fn opt<T: ToString>(value: &Option<T>) -> String {
            value.as_ref().map_or_else(|| "-".to_owned(), T::to_string)
        }
        let fields = [
            ("node", self.node.clone()),
            ("role", self.role.to_string()),
            ("state", self.state.to_string()),
            ("epoch", self.epoch.to_string()),
            (
                "protected",
                if self.protected { "yes" } else { "no" }.to_owned(),
            ),
            ("peer", opt(&self.peer)),
            ("peer_address", opt(&self.peer_address)),
            ("position", self.position.to_string()),
            ("lag_positions", opt(&self.lag_positions)),
            ("lag_ms", opt(&self.lag_ms)),
            ("held_outputs", self.held_outputs.to_string()),
            ("oldest_held_ms", opt(&self.oldest_held_ms)),
            ("channel_bytes_sent", self.channel_bytes_sent.to_string()),
            (
                "channel_bytes_received",
                self.channel_bytes_received.to_string(),
            ),
            (
                "channel_send_bytes_per_second",
                self.channel_send_bytes_per_second.to_string(),
            ),
            (
                "channel_receive_bytes_per_second",
                self.channel_receive_bytes_per_second.to_string(),
            ),
            (
                "heartbeat_rtt_ms",
                opt(&self.heartbeat_rtt_ms.map(|ms| format!("{ms:.3}"))),
            ),
            ("uptime_seconds", format!("{:.1}", self.uptime_seconds)),
            ("vmft", self.vmft.clone()),
        ];
        let width = fields.iter().map(|(key, _)| key.len()).max().unwrap_or(0) + 1;
        fields
            .iter()
            .map(|(key, value)| format!("{:<width$} {value}\n", format!("{key}:")))
            .collect()
    }
}

/// A side's status, shared between the thread that updates it and those that serve it.
#[derive(Clone)]
pub struct Board {
    status: Arc<Mutex<Status>>,
    started: Instant,
}

impl Board {
    /// A board showing `status`, with the uptime counted from now.
    pub fn new(status: Status) -> Board {
        Board {
            status: Arc::new(Mutex::new(status)),
            started: Instant::now(),
        }
    }

    /// Changes the status.
    pub fn update(&self, change: impl FnOnce(&mut Status)) {
        change(&mut lock(&self.status));
    }

    /// A copy of the status now, with its uptime.
    pub fn snapshot(&self) -> Status {
        let mut status = lock(&self.status).clone();
        status.uptime_seconds = self.started.elapsed().as_secs_f64();
        status
    }
}

/// How often a [`Meter`] keeps a sample of the running total.
const METER_SAMPLE: Duration = Duration::from_millis(100);

/// The span a [`Meter`] averages over.
const METER_WINDOW: Duration = Duration::from_secs(1);

/// A rate in bytes per second over about the last second, from a running total.
#[derive(Default)]
pub struct Meter {
    /// Samples of the total, one per [`METER_SAMPLE`] or more apart, the oldest at least
    /// [`METER_WINDOW`] old once the meter has run that long.
    samples: VecDeque<(Instant, u64)>,
}

impl Meter {
    /// The rate at `now`, when the running total is `total`.
    pub fn rate(&mut self, total: u64, now: Instant) -> u64 {
        let due = match self.samples.back() {
            Some((at, _)) => now.saturating_duration_since(*at) >= METER_SAMPLE,
            None => true,
        };
        if due {
            self.samples.push_back((now, total));
        }
        while self
            .samples
            .get(1)
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) >= METER_WINDOW)
        {
            self.samples.pop_front();
        }
        let Some(&(at, then)) = self.samples.front() else {
            return 0;
        };
        let elapsed = now.saturating_duration_since(at).as_secs_f64();
        if elapsed < METER_SAMPLE.as_secs_f64() {
            return 0;
        }
        (total.saturating_sub(then) as f64 / elapsed) as u64
    }
}

/// The logging channel's traffic as a side's protocol thread counts it.
#[derive(Default)]
pub struct Traffic {
    /// Bytes of messages sent.
    pub sent: u64,
    /// Bytes of messages received.
    pub received: u64,
    send_rate: Meter,
    receive_rate: Meter,
}

impl Traffic {
    /// Shows the totals and the current rates on `status`.
    pub fn show(&mut self, status: &mut Status, now: Instant) {
        status.channel_bytes_sent = self.sent;
        status.channel_bytes_received = self.received;
        status.channel_send_bytes_per_second = self.send_rate.rate(self.sent, now);
        status.channel_receive_bytes_per_second = self.receive_rate.rate(self.received, now);
    }
}

/// Positions that have been waited on since an instant: the primary's vouches until the
/// backup acknowledges them, or the backup's received log until it executes it.
#[derive(Default)]
pub struct Pending {
    waiting: VecDeque<(u64, Instant)>,
}

impl Pending {
    /// `position` is waited on from `at` (ignored if below the last one).
    pub fn push(&mut self, position: u64, at: Instant) {
        let in_order = match self.waiting.back() {
            Some(&(last, _)) => position >= last,
            None => true,
        };
        if in_order {
            self.waiting.push_back((position, at));
        }
    }

    /// Everything through `position` arrived: forgets it, and returns when the latest of it
    /// began to be waited on.
    pub fn reach(&mut self, position: u64) -> Option<Instant> {
        let mut since = None;
        while let Some(&(waited, at)) = self.waiting.front() {
            if waited > position {
                break;
            }
            since = Some(at);
            self.waiting.pop_front();
        }
        since
    }

    /// How long the oldest position still waited on has waited at `now`.
    pub fn oldest_age(&self, now: Instant) -> Option<Duration> {
        let &(_, at) = self.waiting.front()?;
        Some(now.saturating_duration_since(at))
    }

    /// How many positions are waited on (a position pushed twice counts twice).
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether nothing is waited on.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Forgets everything (the connection it was waited on is gone).
    pub fn clear(&mut self) {
        self.waiting.clear();
    }
}

/// Milliseconds in `duration`, whole.
pub fn whole_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_averages_over_the_last_second() {
        let start = Instant::now();
        let mut meter = Meter::default();
        assert_eq!(meter.rate(0, start), 0);
        // 1000 bytes every 100 ms: 10 000 bytes a second.
        let mut rate = 0;
        for tick in 1..=30u64 {
            rate = meter.rate(tick * 1000, start + Duration::from_millis(tick * 100));
        }
        assert!((9_000..=11_000).contains(&rate), "{rate}");
        // Then silence: the rate falls to nothing within about a second.
        let later = start + Duration::from_millis(3000 + 1200);
        meter.rate(30_000, later - Duration::from_millis(600));
        assert_eq!(meter.rate(30_000, later), 0);
    }

    #[test]
    fn pending_positions_report_when_the_latest_reached_one_began() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut pending = Pending::default();
        pending.push(10, at(0));
        pending.push(20, at(5));
        pending.push(15, at(6)); // below the last: ignored
        pending.push(30, at(9));
        pending.push(30, at(9));
        assert_eq!(pending.len(), 4);
        assert_eq!(pending.reach(5), None);
        assert_eq!(pending.reach(25), Some(at(5)));
        assert_eq!(pending.oldest_age(at(19)), Some(Duration::from_millis(10)));
        pending.clear();
        assert!(pending.is_empty());
        assert_eq!(pending.oldest_age(at(20)), None);
    }

    #[test]
    fn the_text_aligns_its_values_and_marks_the_unknown() {
        let mut status = Status::new("a", Role::Primary, 1);
        status.heartbeat_rtt_ms = Some(0.25);
        let text = status.text();
        let columns: Vec<usize> = text
            .lines()
            .map(|line| {
                let (key, rest) = line.split_once(':').expect("key: value");
                key.len() + 1 + rest.len() - rest.trim_start().len()
            })
            .collect();
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert!(text.contains("\npeer:"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("peer:") && l.ends_with(" -")),
            "{text}"
        );
        assert!(text
            .lines()
            .any(|l| l.starts_with("heartbeat_rtt_ms:") && l.ends_with(" 0.250")));
        assert!(text
            .lines()
            .any(|l| l.starts_with("protected:") && l.ends_with(" no")));
    }

    #[test]
    fn the_json_round_trips_and_names_roles_and_states_as_the_text_does() {
        let mut status = Status::new("b", Role::LiveBackup, 2);
        status.state = State::Unprotected;
        let json = serde_json::to_string(&status).expect("json");
        assert!(json.contains(r#""role":"live-backup""#), "{json}");
        assert!(json.contains(r#""state":"unprotected""#), "{json}");
        let back: Status = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, status);
        assert!(serde_json::from_str::<Status>(r#"{"hello": 1}"#).is_err());
    }
}
