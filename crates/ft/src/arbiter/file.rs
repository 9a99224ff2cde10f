//! The file arbiter: [`open`](super::open)`("file:DIR")` gives a [`FileArbiter`] on a directory
//! that both hosts mount. Claiming epoch N creates `DIR/epoch-N` with `O_CREAT|O_EXCL`, writes the winner's identity and a
//! newline, and fsyncs the file and the directory. The atomicity of `O_EXCL` creation is the
//! whole of its safety, and it holds on:
//!
//! - local filesystems (ext4, xfs, btrfs, tmpfs) — only useful when both sides are on one host;
//! - NFSv3 and NFSv4, with a server that implements exclusive create (Linux knfsd, and the
//!   common NAS appliances) and clients that do not mount with `nolock`-style workarounds that
//!   emulate it;
//! - CephFS, GlusterFS and other POSIX cluster filesystems that implement `O_EXCL`.
//!
//! It does **not** hold on NFSv2, on some FUSE filesystems (sshfs, object-store mounts such as
//! s3fs) and some SMB/CIFS setups, which may let two clients both create the same file. The
//! directory must be on storage both hosts share; a directory local to each host would let
//! both sides win. Where no such storage exists, use a consensus store: etcd, through
//! [`EtcdArbiter`](super::EtcdArbiter).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::{check_identity, Arbiter, ArbiterError, Claim};

/// How long a loser waits for the winner to finish writing its identity.
const WINNER_WRITE_WAIT: Duration = Duration::from_secs(1);

/// What a loser reports when the winner never recorded its identity (it died in between).
const UNKNOWN_WINNER: &str = "(unknown: the winner did not record its identity)";

/// The arbiter on a directory of shared storage: one `epoch-N` file per claimed epoch.
///
/// See the [module documentation](self) for the filesystems on which this is safe.
#[derive(Debug, Clone)]
pub struct FileArbiter {
    dir: PathBuf,
}

impl FileArbiter {
    /// The arbiter on `dir`, which both hosts must share.
    pub fn new(dir: impl Into<PathBuf>) -> FileArbiter {
        FileArbiter { dir: dir.into() }
    }

    fn epoch_path(&self, epoch: u64) -> PathBuf {
        self.dir.join(format!("epoch-{epoch}"))
    }

    /// Reads the winner's identity, waiting briefly for a winner that has created the file but
    /// not yet written it.
    fn winner(&self, path: &Path) -> Result<String, ArbiterError> {
        let start = Instant::now();
        loop {
            let bytes = fs::read(path).map_err(|e| unreachable("read", path, e))?;
            if let Some(line) = bytes.strip_suffix(b"\n") {
                return Ok(String::from_utf8_lossy(line).into_owned());
            }
            if start.elapsed() >= WINNER_WRITE_WAIT {
                return Ok(UNKNOWN_WINNER.to_owned());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Writes and syncs the identity into the new epoch file, then syncs the directory.
    fn record(&self, mut file: File, path: &Path, identity: &str) -> Result<(), ArbiterError> {
        file.write_all(format!("{identity}\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| unreachable("write", path, e))?;
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| unreachable("sync", &self.dir, e))
    }
}

impl Arbiter for FileArbiter {
    fn claim(&mut self, epoch: u64, identity: &str) -> Result<Claim, ArbiterError> {
        check_identity(identity)?;
        let path = self.epoch_path(epoch);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => {
                self.record(file, &path, identity)?;
                Ok(Claim::Won)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let winner = self.winner(&path)?;
                if winner == identity {
                    Ok(Claim::Won)
                } else {
                    Ok(Claim::Lost { winner })
                }
            }
            Err(e) => Err(unreachable("create", &path, e)),
        }
    }

    fn highest_epoch(&mut self) -> Result<u64, ArbiterError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| unreachable("list", &self.dir, e))?;
        let mut highest = 0;
        for entry in entries {
            let entry = entry.map_err(|e| unreachable("list", &self.dir, e))?;
            let name = entry.file_name();
            let epoch = name
                .to_str()
                .and_then(|n| n.strip_prefix("epoch-"))
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<u64>().ok());
            highest = highest.max(epoch.unwrap_or(0));
        }
        Ok(highest)
    }
}

fn unreachable(what: &str, path: &Path, e: io::Error) -> ArbiterError {
    ArbiterError::Unreachable(format!("cannot {what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arbiter::open;
    use std::sync::{Arc, Barrier};

    #[test]
    fn racing_claims_have_exactly_one_winner() {
        let dir = tempfile::tempdir().expect("temporary directory");
        const ROUNDS: u64 = 200;
        let barrier = Arc::new(Barrier::new(2));
        let racer = |name: &'static str| {
            // Each racer has its own arbiter, as each host would.
            let mut arbiter = open(&format!("file:{}", dir.path().display())).expect("open");
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                (1..=ROUNDS)
                    .map(|epoch| {
                        barrier.wait();
                        arbiter.claim(epoch, name).expect("claim")
                    })
                    .collect::<Vec<_>>()
            })
        };
        let (a, b) = (racer("host-a/backup"), racer("host-b/primary"));
        let (a, b) = (a.join().expect("a"), b.join().expect("b"));
        let mut wins = [0, 0];
        for (epoch, (a, b)) in (1..).zip(a.into_iter().zip(b)) {
            match (a, b) {
                (Claim::Won, Claim::Lost { winner }) => {
                    assert_eq!(winner, "host-a/backup", "epoch {epoch}");
                    wins[0] += 1;
                }
                (Claim::Lost { winner }, Claim::Won) => {
                    assert_eq!(winner, "host-b/primary", "epoch {epoch}");
                    wins[1] += 1;
                }
                other => panic!("epoch {epoch}: {other:?}"),
            }
        }
        assert_eq!(wins[0] + wins[1], ROUNDS);
        let mut arbiter = FileArbiter::new(dir.path());
        assert_eq!(arbiter.highest_epoch().expect("highest"), ROUNDS);
    }

    #[test]
    fn claims_are_recorded_and_idempotent_for_the_winner() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut arbiter = FileArbiter::new(dir.path());
        assert_eq!(arbiter.highest_epoch().expect("empty"), 0);
        assert_eq!(arbiter.claim(7, "alpha").expect("claim"), Claim::Won);
        assert_eq!(
            fs::read_to_string(dir.path().join("epoch-7")).expect("read"),
            "alpha\n"
        );
        assert_eq!(arbiter.claim(7, "alpha").expect("again"), Claim::Won);
        assert_eq!(
            arbiter.claim(7, "beta").expect("late"),
            Claim::Lost {
                winner: "alpha".to_owned()
            }
        );
        assert_eq!(arbiter.claim(3, "beta").expect("older"), Claim::Won);
        for junk in ["epoch-", "epoch-x9", "epoch-99.tmp", "notes", "epoch-+12"] {
            fs::write(dir.path().join(junk), "").expect("junk");
        }
        assert_eq!(arbiter.highest_epoch().expect("highest"), 7);
    }

    #[test]
    fn a_winner_that_died_before_writing_still_wins() {
        let dir = tempfile::tempdir().expect("temporary directory");
        fs::write(dir.path().join("epoch-4"), "half-writ").expect("write");
        let mut arbiter = FileArbiter::new(dir.path());
        let start = Instant::now();
        let claim = arbiter.claim(4, "beta").expect("claim");
        assert_eq!(
            claim,
            Claim::Lost {
                winner: UNKNOWN_WINNER.to_owned()
            }
        );
        assert!(start.elapsed() >= WINNER_WRITE_WAIT);

        // A winner that writes within the wait is named.
        let path = dir.path().join("epoch-5");
        fs::write(&path, "").expect("create");
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            fs::write(path, "alpha\n").expect("write");
        });
        assert_eq!(
            arbiter.claim(5, "beta").expect("claim"),
            Claim::Lost {
                winner: "alpha".to_owned()
            }
        );
        writer.join().expect("writer");
    }

    #[test]
    fn a_missing_directory_is_unreachable() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut arbiter = open(&format!("file:{}/unmounted", dir.path().display())).expect("open");
        let err = arbiter.claim(1, "alpha").expect_err("no directory");
        assert!(matches!(err, ArbiterError::Unreachable(_)), "{err}");
        assert!(err.to_string().contains("unmounted/epoch-1"), "{err}");
        let err = arbiter.highest_epoch().expect_err("no directory");
        assert!(matches!(err, ArbiterError::Unreachable(_)), "{err}");

        // A file where the directory should be is no better.
        let file = dir.path().join("file");
        fs::write(&file, "").expect("write");
        let err = FileArbiter::new(&file)
            .claim(1, "alpha")
            .expect_err("not a directory");
        assert!(matches!(err, ArbiterError::Unreachable(_)), "{err}");
    }

    #[test]
    fn bad_specs_and_identities_are_refused() {
        for spec in ["", "file:", "/shared/arbiter", "FILE:/x", "etcd:/x/y"] {
            let err = open(spec).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                err.contains("supported arbiters are file:DIRECTORY and etcd://"),
                "{spec}: {err}"
            );
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut arbiter = FileArbiter::new(dir.path());
        for identity in ["", "two\nlines", "tab\there"] {
            let err = arbiter.claim(1, identity).expect_err("invalid identity");
            assert!(matches!(err, ArbiterError::InvalidIdentity { .. }), "{err}");
        }
        assert_eq!(arbiter.highest_epoch().expect("nothing claimed"), 0);
    }
}
