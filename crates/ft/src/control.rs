//! The control socket (`--control PATH`): a Unix socket on which a side of the pair tells its
//! [`Status`], and [`query`], what `vmft status PATH` asks it with.
//!
//! The protocol: the client connects and sends the line `status`; the side answers with its
//! status as one line of JSON (the fields of [`Status`]) and closes the connection. Any other
//! request is answered with a line `error: ...` and closed. One connection is served at a
//! time, each with a deadline, on a thread of its own.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use thiserror::Error;
use tracing::{debug, warn};

use crate::status::{Board, Status};

/// The one request there is.
const REQUEST: &str = "status";

/// How long either end waits for the other to speak.
const DEADLINE: Duration = Duration::from_secs(2);

/// The longest answer a client reads: far more than any status.
const MAX_ANSWER: u64 = 64 << 10;

/// The longest request the side reads.
const MAX_REQUEST: u64 = 256;

/// Why [`query`] got no status.
#[derive(Debug, Error)]
pub enum ControlError {
    /// Nothing at the path.
    #[error("no control socket at {0}")]
    Missing(PathBuf),
    /// The path is not a socket.
    #[error("{0} is not a socket: give the path of a vmft side's --control")]
    NotASocket(PathBuf),
    /// A socket no process listens on.
    #[error("nothing listens on {0}: its vmft has exited")]
    Refused(PathBuf),
    /// Another failure to connect.
    #[error("cannot connect to {path}: {error}")]
    Connect {
        /// The socket.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// Whatever answered is not a vmft side.
    #[error("{path} is not a vmft control socket ({why})")]
    NotVmft {
        /// The socket.
        path: PathBuf,
        /// What was wrong with the answer.
        why: String,
    },
}

/// Asks the side whose control socket is `path` for its status.
pub fn query(path: &Path) -> Result<Status, ControlError> {
    let not_vmft = |why: String| ControlError::NotVmft {
        path: path.to_owned(),
        why,
    };
    let mut stream = UnixStream::connect(path).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => ControlError::Missing(path.to_owned()),
        _ if !is_socket(path) => ControlError::NotASocket(path.to_owned()),
        io::ErrorKind::ConnectionRefused => ControlError::Refused(path.to_owned()),
        _ => ControlError::Connect {
            path: path.to_owned(),
            error,
        },
    })?;
    let exchange = |stream: &mut UnixStream| -> io::Result<Vec<u8>> {
        stream.set_read_timeout(Some(DEADLINE))?;
        stream.set_write_timeout(Some(DEADLINE))?;
        stream.write_all(format!("{REQUEST}\n").as_bytes())?;
        let mut answer = Vec::new();
        stream.take(MAX_ANSWER).read_to_end(&mut answer)?;
        Ok(answer)
    };
    let answer = exchange(&mut stream).map_err(|e| not_vmft(format!("no answer: {e}")))?;
    if answer.is_empty() {
        return Err(not_vmft("it closed without answering".to_owned()));
    }
    serde_json::from_slice(&answer).map_err(|e| not_vmft(format!("its answer: {e}")))
}

fn is_socket(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// Serves `board` on a Unix socket at `path`, replacing a socket left there by a side that
/// exited; fails if the path is something else or another process serves it.
pub fn serve(path: &Path, board: Board) -> anyhow::Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        if !is_socket(path) {
            anyhow::bail!("--control {}: exists and is not a socket", path.display());
        }
        if UnixStream::connect(path).is_ok() {
            anyhow::bail!(
                "--control {}: another process serves this socket",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("--control {}: removing the old socket", path.display()))?;
    }
    let listener = UnixListener::bind(path)
        .with_context(|| format!("--control {}: cannot listen", path.display()))?;
    thread::Builder::new()
        .name("control".into())
        .spawn(move || {
            for stream in listener.incoming() {
                match stream {
                    Ok(stream) => {
                        if let Err(error) = answer(stream, &board) {
                            debug!("control socket: a client went away: {error}");
                        }
                    }
                    Err(error) => warn!("control socket: {error}"),
                }
            }
        })
        .context("starting the control socket's thread")?;
    Ok(())
}

/// Answers one client.
fn answer(mut stream: UnixStream, board: &Board) -> io::Result<()> {
    stream.set_read_timeout(Some(DEADLINE))?;
    stream.set_write_timeout(Some(DEADLINE))?;
    let mut request = String::new();
    BufReader::new((&stream).take(MAX_REQUEST)).read_line(&mut request)?;
    let reply = match request.trim() {
        REQUEST => serde_json::to_string(&board.snapshot()).map_err(io::Error::other)?,
        _ => format!("error: unknown request; the one request is `{REQUEST}`"),
    };
    stream.write_all(format!("{reply}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixListener;

    use super::*;
    use crate::status::Role;

    fn socket(name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(name);
        (dir, path)
    }

    #[test]
    fn a_client_reads_what_the_board_shows_and_a_restart_replaces_the_old_socket() {
        let (_dir, path) = socket("ctl");
        let board = Board::new(Status::new("a", Role::Primary, 3));
        serve(&path, board.clone()).expect("serves");
        board.update(|s| s.peer = Some("b".into()));
        let status = query(&path).expect("a status");
        assert_eq!((status.node.as_str(), status.epoch), ("a", 3));
        assert_eq!(status.peer.as_deref(), Some("b"));
        let error = serve(&path, board).expect_err("in use");
        assert!(error.to_string().contains("another process"), "{error}");

        // A socket nobody listens on any more is replaced.
        let (_dir, stale) = socket("stale");
        drop(UnixListener::bind(&stale).expect("a socket"));
        assert!(matches!(query(&stale), Err(ControlError::Refused(_))));
        serve(&stale, Board::new(Status::new("c", Role::Backup, 1))).expect("replaced");
        assert_eq!(query(&stale).expect("a status").node, "c");
    }

    #[test]
    fn missing_paths_files_and_strangers_are_told_apart() {
        let (_dir, path) = socket("none");
        assert!(matches!(query(&path), Err(ControlError::Missing(_))));
        std::fs::write(&path, "x").expect("a file");
        assert!(matches!(query(&path), Err(ControlError::NotASocket(_))));
        assert!(serve(&path, Board::new(Status::new("a", Role::Primary, 1))).is_err());

        let (_dir, path) = socket("stranger");
        let listener = UnixListener::bind(&path).expect("a socket");
        let stranger = thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let _ = stream.write_all(b"220 hello, I am a mail server\r\n");
            }
        });
        let error = query(&path).expect_err("not vmft");
        assert!(matches!(error, ControlError::NotVmft { .. }), "{error}");
        assert!(!error.to_string().contains('\n'), "{error}");
        let _ = stranger.join();
    }
}
