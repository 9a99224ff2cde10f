//! The host side of the machine's inputs and outputs: standard input and output for the
//! console, and a TAP interface for the network. Reader threads turn host input into events
//! on one channel; the run loop injects them into the machine only at the positions it
//! chooses, through `Machine::inject`. This is the only place the front end touches the
//! terminal and the network.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use hostio::{EscapeDecoder, Keys, RawTerminal, Tap};
use machine::{InputEvent, Machine};

/// Console bytes injected ahead of the guest at most; the rest wait on the host side.
const MAX_CONSOLE_BACKLOG: usize = 4096;

/// Events in flight between the reader threads and the run loop; a full channel holds the
/// readers back (stdin stops being read, the TAP's own queue fills and drops).
const CHANNEL_EVENTS: usize = 256;

/// Largest Ethernet frame read from the TAP device.
const MAX_FRAME: usize = 65536;

/// Something that arrived from the host.
enum HostEvent {
    /// Bytes from standard input.
    Console(Vec<u8>),
    /// Standard input reached its end.
    ConsoleClosed,
    /// The user typed the quit escape (Ctrl-A x) on a terminal.
    Quit,
    /// The user typed the snapshot escape (Ctrl-A s) on a terminal.
    Snapshot,
    /// A frame from the TAP interface.
    Frame(Vec<u8>),
}

/// The host's input sources, read by threads into one channel.
pub struct HostInput {
    events: Receiver<HostEvent>,
    /// Console bytes read from the host but not yet injected.
    console: Vec<u8>,
    console_open: bool,
    /// Frames read but not yet injected.
    frames: Vec<Vec<u8>>,
    network: bool,
    quit: bool,
    snapshot: bool,
    /// Raw mode for the terminal, restored when the input is dropped.
    _terminal: Option<RawTerminal>,
}

/// What waiting for input found.
#[derive(Debug, PartialEq, Eq)]
pub enum Wait {
    /// Something arrived.
    Input,
    /// The timeout passed first.
    Timeout,
    /// No source can ever deliver anything again.
    Closed,
}

impl HostInput {
    /// Starts the stdin reader (with the terminal, if any, in raw mode) and, with `tap`, a
    /// frame reader.
    pub fn start(tap: Option<&Tap>) -> io::Result<HostInput> {
        HostInput::start_gated(tap, &NetGate::open())
    }

    /// [`HostInput::start`], with the TAP's frames discarded while `gate` is closed: a
    /// backup keeps its TAP device open (and drained) but takes no input from it until it
    /// goes live.
    pub fn start_gated(tap: Option<&Tap>, gate: &NetGate) -> io::Result<HostInput> {
        let (tx, events) = mpsc::sync_channel(CHANNEL_EVENTS);
        let terminal = RawTerminal::enable()?;
        if terminal.is_some() {
            eprint!("vmft: console attached; Ctrl-A x quits, Ctrl-A s saves a snapshot\r\n");
        }
        let console_open = spawn_stdin_reader(tx.clone(), terminal.is_some()).is_ok();
        let network = match tap {
            Some(tap) => {
                spawn_tap_reader(tap.try_clone()?, tx, gate.clone())?;
                true
            }
            None => false,
        };
        Ok(HostInput {
            events,
            console: Vec::new(),
            console_open,
            frames: Vec::new(),
            network,
            quit: false,
            snapshot: false,
            _terminal: terminal,
        })
    }

    fn accept(&mut self, event: HostEvent) {
        match event {
            HostEvent::Console(bytes) => self.console.extend(bytes),
            HostEvent::ConsoleClosed => self.console_open = false,
            HostEvent::Quit => self.quit = true,
            HostEvent::Snapshot => self.snapshot = true,
            HostEvent::Frame(frame) => self.frames.push(frame),
        }
    }

    fn poll(&mut self) {
        loop {
            match self.events.try_recv() {
                Ok(event) => self.accept(event),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.console_open = false;
                    self.network = false;
                    break;
                }
            }
        }
    }

    /// True (once) after the user asked for a snapshot.
    pub fn take_snapshot_request(&mut self) -> bool {
        std::mem::take(&mut self.snapshot)
    }

    /// True once the user asked to quit.
    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    /// The input events to apply now: all frames that arrived, and console bytes up to the
    /// backlog limit given how many the guest has not read yet.
    pub fn take_events(&mut self, machine: &Machine) -> Vec<InputEvent> {
        self.poll();
        let mut events: Vec<InputEvent> = self.frames.drain(..).map(InputEvent::NetFrame).collect();
        let room = MAX_CONSOLE_BACKLOG
            .saturating_sub(machine.console_backlog())
            .min(self.console.len());
        if room > 0 {
            events.push(InputEvent::ConsoleBytes(
                self.console.drain(..room).collect(),
            ));
        }
        events
    }

    /// Waits up to `timeout` (forever with `None`) for input.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Wait {
        self.poll();
        if !self.console.is_empty() || !self.frames.is_empty() {
            return Wait::Input;
        }
        let waiting = std::time::Instant::now();
        let event = match timeout {
            Some(t) => self.events.recv_timeout(t),
            None if !self.console_open && !self.network => return Wait::Closed,
            None => self
                .events
                .recv()
                .map_err(|_| RecvTimeoutError::Disconnected),
        };
        match event {
            Ok(event) => {
                self.accept(event);
                Wait::Input
            }
            Err(RecvTimeoutError::Timeout) => Wait::Timeout,
            Err(RecvTimeoutError::Disconnected) => {
                // Every source is gone: nothing can arrive, but the timer still runs.
                self.console_open = false;
                self.network = false;
                match timeout {
                    Some(t) => {
                        thread::sleep(t.saturating_sub(waiting.elapsed()));
                        Wait::Timeout
                    }
                    None => Wait::Closed,
                }
            }
        }
    }
}

fn spawn_stdin_reader(tx: SyncSender<HostEvent>, escapes: bool) -> io::Result<()> {
    thread::Builder::new().name("stdin".into()).spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buf = [0u8; 4096];
        let mut decoder = EscapeDecoder::default();
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let events = match escapes {
                        false => vec![HostEvent::Console(buf[..n].to_vec())],
                        true => decoder
                            .decode(&buf[..n])
                            .into_iter()
                            .map(|keys| match keys {
                                Keys::Guest(bytes) => HostEvent::Console(bytes),
                                Keys::Quit => HostEvent::Quit,
                                Keys::Snapshot => HostEvent::Snapshot,
                            })
                            .collect(),
                    };
                    for event in events {
                        let quit = matches!(event, HostEvent::Quit);
                        if tx.send(event).is_err() || quit {
                            return;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(HostEvent::ConsoleClosed);
    })?;
    Ok(())
}

/// Whether frames read from the TAP device reach the machine; see [`HostInput::start_gated`].
#[derive(Clone, Debug)]
pub struct NetGate(Arc<AtomicBool>);

impl NetGate {
    /// A gate that lets frames through.
    pub fn open() -> NetGate {
        NetGate(Arc::new(AtomicBool::new(true)))
    }

    /// A gate that discards frames until [`NetGate::let_through`].
    pub fn closed() -> NetGate {
        NetGate(Arc::new(AtomicBool::new(false)))
    }

    /// From now on, frames reach the machine.
    pub fn let_through(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn is_open(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

fn spawn_tap_reader(mut tap: Tap, tx: SyncSender<HostEvent>, gate: NetGate) -> io::Result<()> {
    thread::Builder::new().name("tap".into()).spawn(move || {
        let mut buf = vec![0u8; MAX_FRAME];
        loop {
            match tap.recv(&mut buf) {
                Ok(_) if !gate.is_open() => {}
                Ok(n) => {
                    if tx.send(HostEvent::Frame(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    eprintln!(
                        "vmft: reading TAP {}: {e}; the guest's network is down",
                        tap.name()
                    );
                    return;
                }
            }
        }
    })?;
    Ok(())
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

/// Host randomness for the guest's entropy device.
pub fn host_entropy(len: usize) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; len];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}
