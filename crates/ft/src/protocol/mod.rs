//! The sans-IO core of the primary/backup protocol.
//!
//! [`Primary`] and [`Backup`] are state machines with no sockets, threads or clocks inside: a
//! driver feeds them events (a connection came up, a message arrived, the machine reached a
//! position, a timer fired, the arbiter answered) with the current time as [`Millis`], and
//! drains their actions with `poll` (send these bytes, release outputs, ask the arbiter, go
//! live, halt). Every message travels in an [`Envelope`] that carries the sender's epoch and a
//! per-connection sequence number; [`encode`] and [`decode`] are the wire format.
//!
//! The backup dials and speaks first; the primary answers with its own Hello when it accepts
//! the backup, or with a `Refuse`. It accepts one backup at a time: a fresh one before its
//! machine starts, or a joining one (`--join`) while it runs alone, to which it first
//! transfers the running machine's state.
//!
//! ```mermaid
//! sequenceDiagram
//!     participant P as Primary
//!     participant B as Backup
//!     participant A as Arbiter
//!     B->>P: Hello (version, fingerprint, disk hash, epoch, role, join)
//!     alt fresh pair: the primary waits for a backup
//!         P->>B: Hello (join = false; the backup adopts the primary's epoch)
//!         Note over P: Protected: Start the machine at position 0
//!     else the primary runs alone: the backup joins
//!         P->>B: Hello (join = true)
//!         Note over P: Syncing: outputs released at once
//!         loop pre-copy rounds while the machine runs
//!             P->>B: Transfer { bytes }
//!             B->>P: Ack (heartbeat)
//!         end
//!         P->>B: Synced { position, digest, state } (after a short stop-and-copy)
//!         Note over P: Protected from position on: the log restarts there
//!         Note over B: Following: restore, then replay from position
//!     end
//!     loop every slice end, held output, vouch interval
//!         P->>B: Log { vouched, released, bytes }
//!         B->>P: Ack { received = vouched, executed, executed_mtime }
//!         Note over P: Release outputs at positions <= received
//!         Note over B: RunTo vouched, never past it
//!     end
//!     P-->>B: Heartbeat (when nothing else was sent for heartbeat_ms)
//!     Note over P,B: silence over timeout_ms or a lost connection
//!     B->>A: Claim epoch + 1
//!     P->>A: Claim epoch + 1
//!     A-->>B: Won: GoLive (execute everything received, then run as primary)
//!     A-->>P: Lost: Halt (exit code 3)
//!     Note over B: lost the primary before Synced: Halt (exit code 6), never claims
//!     Note over P: lost the backup before Synced: Alone again, same epoch
//! ```
//!
//! Rules the cores keep:
//! - **Output rule**: an output produced at position p is released only once the backup has
//!   acknowledged the log through p, or once the primary won the arbiter and runs alone.
//! - **Vouching**: `Log::vouched` promises that every entry below it is in the bytes sent so far;
//!   the backup runs up to it and never past it.
//! - **Split brain**: before going on without its peer a side claims the next epoch from the
//!   arbiter and waits while the arbiter is unreachable; the loser halts. A side that sees a
//!   newer epoch than its own halts.
//! - **Joining**: outputs released while the state is transferred lie at or before the sync
//!   position, so in the joined backup's past; a backup that loses its primary before it is
//!   in sync holds no replica and never claims; a joiner of an older epoch is refused.

mod backup;
mod identity;
mod link;
mod primary;
mod wire;

use std::fmt;

use thiserror::Error;

pub use backup::{Backup, BackupAction, BackupState};
pub use identity::{HelloMismatch, Identity};
pub use link::LinkError;
pub use primary::{Primary, PrimaryAction, PrimaryState};
pub use wire::{
    decode, encode, Envelope, Hello, Message, Role, WireError, MAX_LOG_BYTES, MAX_NODE_LEN,
    MAX_REASON_LEN, MAX_STATE_BYTES, MAX_TRANSFER_BYTES, PROTOCOL_VERSION,
};

/// Exit code of a side that lost the arbiter: the other side went on without it.
pub const EXIT_LOST_ARBITER: i32 = 3;

/// Exit code of a side that saw a newer epoch than its own: someone else went live after it.
pub const EXIT_NEWER_EPOCH: i32 = 4;

/// Exit code of a joining backup that lost its primary before the state transfer completed:
/// it holds no replica, so it may neither claim nor go live.
pub const EXIT_NOT_IN_SYNC: i32 = 6;

/// Guest timer ticks (`mtime`, 10 MHz) per millisecond of guest time.
pub const MTIME_TICKS_PER_MS: u64 = 10_000;

/// A point in time in milliseconds, on whatever monotonic clock the driver uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The time `ms` milliseconds after `self`.
    pub fn after(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

/// The driver's name for one connection to the primary, unique among its open connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// Timing and flow-control settings, the same on both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Send a frame at least this often (ms) when nothing else was sent.
    pub heartbeat_ms: u64,
    /// Declare the peer failed after this long (ms) without a frame from it; at least 50.
    pub timeout_ms: u64,
    /// Slow the primary down when the backup's executed guest time lags more than this (ms).
    pub max_lag_ms: u64,
    /// Send a progress marker at least every this many positions of guest work.
    pub vouch_interval_positions: u64,
    /// Slow the primary down when more log bytes than this are sent or queued but unacknowledged.
    pub max_unacked_log_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            heartbeat_ms: 20,
            timeout_ms: 300,
            max_lag_ms: 100,
            // About a millisecond of guest work at 100 million instructions a second.
            vouch_interval_positions: 100_000,
            max_unacked_log_bytes: 64 << 20,
        }
    }
}

/// The shortest failure-detection timeout the cores accept, in milliseconds.
pub const MIN_TIMEOUT_MS: u64 = 50;

/// A [`Config`] the cores cannot work with.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The heartbeat interval is zero.
    #[error("the heartbeat interval must be at least 1 ms")]
    ZeroHeartbeat,
    /// The timeout is below [`MIN_TIMEOUT_MS`].
    #[error("the timeout of {timeout_ms} ms is below the minimum of {MIN_TIMEOUT_MS} ms")]
    TimeoutTooShort {
        /// The configured timeout.
        timeout_ms: u64,
    },
    /// The timeout does not leave room for two missed heartbeats.
    #[error(
        "the timeout of {timeout_ms} ms must be at least twice the heartbeat of {heartbeat_ms} ms"
    )]
    TimeoutWithinHeartbeats {
        /// The configured timeout.
        timeout_ms: u64,
        /// The configured heartbeat interval.
        heartbeat_ms: u64,
    },
    /// The vouch interval is zero.
    #[error("the vouch interval must be at least 1 position")]
    ZeroVouchInterval,
}

impl Config {
    /// Checks that the settings make sense together.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.heartbeat_ms == 0 {
            return Err(ConfigError::ZeroHeartbeat);
        }
        if self.timeout_ms < MIN_TIMEOUT_MS {
            return Err(ConfigError::TimeoutTooShort {
                timeout_ms: self.timeout_ms,
            });
        }
        if self.timeout_ms < self.heartbeat_ms.saturating_mul(2) {
            return Err(ConfigError::TimeoutWithinHeartbeats {
                timeout_ms: self.timeout_ms,
                heartbeat_ms: self.heartbeat_ms,
            });
        }
        if self.vouch_interval_positions == 0 {
            return Err(ConfigError::ZeroVouchInterval);
        }
        Ok(())
    }
}

/// The arbiter's answer to a claim of an epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArbiterResult {
    /// The claim succeeded (or this node had already won that epoch).
    Won,
    /// Another node holds the epoch.
    Lost {
        /// The node that holds it.
        winner: String,
    },
    /// The arbiter could not be asked; the core asks again after a heartbeat interval.
    Unreachable,
}

/// A state change, reported once so that the driver prints one stable line for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateChange<S> {
    /// The state entered.
    pub state: S,
    /// The epoch after the change.
    pub epoch: u64,
    /// Why the state changed, one line.
    pub why: String,
}

impl<S: fmt::Display> fmt::Display for StateChange<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in epoch {}: {}", self.state, self.epoch, self.why)
    }
}

#[cfg(test)]
mod tests;
