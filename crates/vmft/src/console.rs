//! The host side of the guest console: a thread reading standard input and a writer to
//! standard output. This is the only place the front end touches the terminal; bytes reach the
//! machine only through `Machine::inject`, at slice boundaries chosen by the run loop.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, RecvError, TryRecvError};
use std::thread;

/// Console bytes injected ahead of the guest at most; the rest wait on the host side.
const MAX_BACKLOG: usize = 4096;

/// Chunks of standard input in flight between the reader thread and the run loop.
const CHANNEL_CHUNKS: usize = 4;

/// Standard input, read by a dedicated thread so the run loop never blocks on it.
pub struct ConsoleInput {
    chunks: Receiver<Vec<u8>>,
    /// Bytes read from the host but not yet injected.
    pending: Vec<u8>,
    eof: bool,
}

impl ConsoleInput {
    /// Starts the reader thread. If the thread cannot be started, input is at end of file.
    pub fn start() -> ConsoleInput {
        let (tx, chunks) = mpsc::sync_channel(CHANNEL_CHUNKS);
        let spawned = thread::Builder::new().name("stdin".into()).spawn(move || {
            let mut stdin = io::stdin().lock();
            let mut buf = [0u8; 4096];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
        ConsoleInput {
            chunks,
            pending: Vec::new(),
            eof: spawned.is_err(),
        }
    }

    /// Collects what standard input has delivered so far, without waiting.
    fn poll(&mut self) {
        while !self.eof && self.pending.len() < MAX_BACKLOG {
            match self.chunks.try_recv() {
                Ok(chunk) => self.pending.extend(chunk),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => self.eof = true,
            }
        }
    }

    /// The bytes to inject now, given how many the guest has not read yet: at most enough to
    /// fill the backlog to [`MAX_BACKLOG`]. Never waits.
    pub fn take_ready(&mut self, guest_backlog: usize) -> Option<Vec<u8>> {
        self.poll();
        let room = MAX_BACKLOG
            .saturating_sub(guest_backlog)
            .min(self.pending.len());
        (room > 0).then(|| self.pending.drain(..room).collect())
    }

    /// Waits until input is available and returns all of it, or `None` at end of file.
    pub fn wait(&mut self) -> Option<Vec<u8>> {
        if self.pending.is_empty() && !self.eof {
            match self.chunks.recv() {
                Ok(chunk) => self.pending.extend(chunk),
                Err(RecvError) => self.eof = true,
            }
        }
        self.poll();
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }
}

/// Standard output for guest console bytes. If the host stops accepting them (a closed
/// pipe), further output is discarded and the guest keeps running.
#[derive(Default)]
pub struct ConsoleOutput {
    broken: bool,
}

impl ConsoleOutput {
    /// Writes `bytes` and flushes.
    pub fn write(&mut self, bytes: &[u8]) {
        if self.broken || bytes.is_empty() {
            return;
        }
        let mut out = io::stdout().lock();
        if out.write_all(bytes).and_then(|()| out.flush()).is_err() {
            self.broken = true;
        }
    }
}
