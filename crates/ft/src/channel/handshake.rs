//! The Noise handshake that opens a logging channel, bounded by a deadline.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use snow::{Builder, HandshakeState};

use super::transport::{self, Receiver, Sender, MAX_FRAME};
use super::{ChannelError, HandshakeError, Key};

/// The Noise protocol: pre-shared key from the first message, ephemeral X25519 keys.
const NOISE_PARAMS: &str = "Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s";

/// Sent in clear by both sides before their handshake message, and the Noise prologue.
pub(crate) const PREAMBLE: &[u8; 24] = b"vmft logging channel v1\n";

/// Opens the logging channel as the initiator (the primary) over a connected `stream`.
///
/// Sets `TCP_NODELAY`; fails if the handshake has not finished within `timeout`. The returned
/// halves share the socket: move the [`Receiver`] to another thread to read while sending.
pub fn connect(
    stream: TcpStream,
    key: &Key,
    timeout: Duration,
) -> Result<(Sender, Receiver), ChannelError> {
    let deadline = Deadline::new(timeout);
    stream.set_nodelay(true)?;
    let mut noise = builder(key).build_initiator().map_err(noise_err)?;
    let mut msg = vec![0u8; MAX_FRAME];
    let n = noise.write_message(&[], &mut msg).map_err(noise_err)?;
    send_hello(&stream, &msg[..n], &deadline)?;

    expect_preamble(&stream, &deadline)?;
    let reply = read_frame(&stream, &deadline)?;
    if reply.is_empty() {
        // The responder could not authenticate our first message.
        return Err(HandshakeError::KeyMismatch.into());
    }
    noise
        .read_message(&reply, &mut msg)
        .map_err(|_| HandshakeError::KeyMismatch)?;
    finish(stream, noise)
}

/// Opens the logging channel as the responder (the backup) over an accepted `stream`.
///
/// Sets `TCP_NODELAY`; fails if the handshake has not finished within `timeout`. A peer that
/// holds another key is told so before this returns [`HandshakeError::KeyMismatch`].
pub fn accept(
    stream: TcpStream,
    key: &Key,
    timeout: Duration,
) -> Result<(Sender, Receiver), ChannelError> {
    let deadline = Deadline::new(timeout);
    stream.set_nodelay(true)?;
    let mut noise = builder(key).build_responder().map_err(noise_err)?;
    expect_preamble(&stream, &deadline)?;
    let hello = read_frame(&stream, &deadline)?;
    let mut msg = vec![0u8; MAX_FRAME];
    if noise.read_message(&hello, &mut msg).is_err() {
        // Best effort: the initiator learns why, then we hang up either way.
        let _ = send_hello(&stream, &[], &deadline);
        return Err(HandshakeError::KeyMismatch.into());
    }
    let n = noise.write_message(&[], &mut msg).map_err(noise_err)?;
    send_hello(&stream, &msg[..n], &deadline)?;
    finish(stream, noise)
}

fn builder(key: &Key) -> Builder<'_> {
    // The parameters are a constant that snow parses; a failure is a bug caught by every test.
    let params = NOISE_PARAMS
        .parse()
        .expect("constant Noise parameters parse");
    Builder::new(params).prologue(PREAMBLE).psk(0, key.bytes())
}

fn noise_err(e: snow::Error) -> ChannelError {
    HandshakeError::Noise(e.to_string()).into()
}

/// Ends the handshake: clears its socket timeouts and splits the stream into the two halves.
fn finish(stream: TcpStream, noise: HandshakeState) -> Result<(Sender, Receiver), ChannelError> {
    stream.set_read_timeout(None)?;
    stream.set_write_timeout(None)?;
    let state = Arc::new(noise.into_stateless_transport_mode().map_err(noise_err)?);
    let reader = stream.try_clone()?;
    Ok((
        Sender::new(stream, Arc::clone(&state)),
        Receiver::new(reader, state),
    ))
}

/// The instant by which the handshake must be done.
struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Deadline {
    fn new(timeout: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + timeout,
            timeout,
        }
    }

    /// The time left, or a timeout error when none is.
    fn left(&self) -> Result<Duration, ChannelError> {
        match self.at.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(HandshakeError::Timeout(self.timeout).into()),
        }
    }
}

/// Sends the preamble and one frame in one write.
fn send_hello(
    mut stream: &TcpStream,
    message: &[u8],
    deadline: &Deadline,
) -> Result<(), ChannelError> {
    let mut out = Vec::with_capacity(PREAMBLE.len() + transport::HEADER + message.len());
    out.extend_from_slice(PREAMBLE);
    out.extend_from_slice(&transport::frame_header(message.len()));
    out.extend_from_slice(message);
    let mut sent = 0;
    while sent < out.len() {
        stream.set_write_timeout(Some(deadline.left()?))?;
        match stream.write(&out[sent..]) {
            Ok(0) => return Err(HandshakeError::Closed.into()),
            Ok(n) => sent += n,
            Err(e) if retry(&e) => {}
            Err(e) => return Err(hung_up(e)),
        }
    }
    Ok(())
}

fn expect_preamble(stream: &TcpStream, deadline: &Deadline) -> Result<(), ChannelError> {
    let mut preamble = [0u8; PREAMBLE.len()];
    read_exact(stream, &mut preamble, deadline)?;
    if &preamble != PREAMBLE {
        return Err(HandshakeError::WrongProtocol.into());
    }
    Ok(())
}

/// Reads one handshake frame; the length is checked before anything is allocated.
fn read_frame(stream: &TcpStream, deadline: &Deadline) -> Result<Vec<u8>, ChannelError> {
    let mut header = [0u8; transport::HEADER];
    read_exact(stream, &mut header, deadline)?;
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(HandshakeError::Malformed(format!(
            "a frame of {len} bytes exceeds the Noise limit of {MAX_FRAME}"
        ))
        .into());
    }
    let mut frame = vec![0u8; len];
    read_exact(stream, &mut frame, deadline)?;
    Ok(frame)
}

fn read_exact(
    mut stream: &TcpStream,
    buf: &mut [u8],
    deadline: &Deadline,
) -> Result<(), ChannelError> {
    let mut filled = 0;
    while filled < buf.len() {
        stream.set_read_timeout(Some(deadline.left()?))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return Err(HandshakeError::Closed.into()),
            Ok(n) => filled += n,
            Err(e) if retry(&e) => {}
            Err(e) => return Err(hung_up(e)),
        }
    }
    Ok(())
}

/// A reset is the peer hanging up too: whether our side sees EOF or a reset depends only on
/// whether the peer had unread bytes when it closed.
fn hung_up(e: io::Error) -> ChannelError {
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => HandshakeError::Closed.into(),
        _ => e.into(),
    }
}

/// Whether an I/O error only means "try again" (the deadline decides when to stop).
fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}
