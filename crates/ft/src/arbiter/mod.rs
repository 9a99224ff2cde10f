//! The arbiter: an atomic test-and-set of the next epoch, so that at most one side goes live.
//!
//! Before a side goes live alone (a backup promoting itself, or a primary carrying on without
//! its backup) it [`claim`](Arbiter::claim)s the next epoch. Exactly one claimant of an epoch
//! wins; every other learns the winner's identity and halts. A side that gets
//! [`ArbiterError::Unreachable`] waits and retries: it never goes live on a guess.
//!
//! Identities must be unique per side (a host name and role, say): a side that claims again an
//! epoch it already won — after a crash, or an error after its claim was made — wins it again
//! once its identity is recorded. A claimant that died before recording its identity still
//! holds the epoch; the others lose it to an unknown winner, so at worst nobody goes live in
//! that epoch, never two.
//!
//! [`open`] takes the arbiter's spec:
//!
//! - `file:DIRECTORY` — a [`FileArbiter`] on storage both hosts share (see [`file`](mod@file) for the
//!   filesystems on which it is safe). The default.
//! - `etcd://HOST:PORT[,HOST:PORT…]/PREFIX` — an [`EtcdArbiter`] on an etcd v3 cluster, for
//!   hosts without shared storage (see [`etcd`] for why it is safe under partitions).

pub mod etcd;
pub mod file;

pub use etcd::{EtcdArbiter, EtcdSpec};
pub use file::FileArbiter;

/// The specs [`open`] accepts, as its errors name them.
const SUPPORTED: &str =
    "the supported arbiters are file:DIRECTORY and etcd://HOST:PORT[,HOST:PORT...]/PREFIX";

/// The outcome of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This side holds the epoch: it may go live.
    Won,
    /// Another side holds the epoch: this side must halt.
    Lost {
        /// The identity the winner recorded.
        winner: String,
    },
}

/// Why the arbiter gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum ArbiterError {
    /// The arbiter spec names no supported arbiter.
    #[error("unsupported arbiter {spec:?}: {SUPPORTED}")]
    UnsupportedSpec {
        /// The spec as given.
        spec: String,
    },
    /// The arbiter spec names a supported arbiter but is malformed.
    #[error("invalid arbiter {spec:?}: {reason}; {SUPPORTED}")]
    InvalidSpec {
        /// The spec as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An identity the arbiter cannot record faithfully.
    #[error("invalid arbiter identity {identity:?}: it must be non-empty, one line, without control characters")]
    InvalidIdentity {
        /// The identity as given.
        identity: String,
    },
    /// The arbiter could not be reached or could not record the claim: wait and retry.
    #[error("arbiter unreachable: {0}")]
    Unreachable(String),
}

/// An atomic test-and-set of epochs, shared by the primary and the backup.
pub trait Arbiter: Send {
    /// Claims `epoch` for the side named `identity`: [`Claim::Won`] for exactly one claimant,
    /// [`Claim::Lost`] with the winner's identity for every other.
    fn claim(&mut self, epoch: u64, identity: &str) -> Result<Claim, ArbiterError>;

    /// The highest epoch anyone has claimed, or 0 when none has been.
    fn highest_epoch(&mut self) -> Result<u64, ArbiterError>;
}

/// Opens the arbiter that `spec` names: `file:DIRECTORY` for a [`FileArbiter`],
/// `etcd://HOST:PORT[,HOST:PORT…]/PREFIX` for an [`EtcdArbiter`].
///
/// Neither the directory nor the etcd cluster is contacted here: an arbiter that is unreachable
/// now may be reachable when it is needed, and [`Arbiter::claim`] reports it then.
pub fn open(spec: &str) -> Result<Box<dyn Arbiter>, ArbiterError> {
    if let Some(dir) = spec.strip_prefix("file:") {
        if !dir.is_empty() {
            return Ok(Box::new(FileArbiter::new(dir)));
        }
    }
    if spec.starts_with(etcd::SCHEME) {
        return Ok(Box::new(EtcdArbiter::new(EtcdSpec::parse(spec)?)?));
    }
    Err(ArbiterError::UnsupportedSpec {
        spec: spec.to_owned(),
    })
}

/// Refuses an identity that an arbiter could not record and read back as it is.
fn check_identity(identity: &str) -> Result<(), ArbiterError> {
    if identity.is_empty() || identity.chars().any(char::is_control) {
        return Err(ArbiterError::InvalidIdentity {
            identity: identity.to_owned(),
        });
    }
    Ok(())
}
