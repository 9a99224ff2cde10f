//! The two halves of an open logging channel: framing, fragmentation and explicit nonces.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use snow::StatelessTransportState;

use super::ChannelError;

/// The largest message [`Sender::send`] sends and [`Receiver::recv`] accepts: 64 MiB.
pub const MAX_MESSAGE: usize = 64 << 20;

/// Bytes in a frame header (the big-endian length of the frame's body).
pub(crate) const HEADER: usize = 4;
/// The largest frame body: the Noise message limit.
pub(crate) const MAX_FRAME: usize = 65535;
/// The AEAD tag that ends every ciphertext.
const TAG: usize = 16;
/// The largest plaintext in one frame.
const MAX_PLAIN: usize = MAX_FRAME - TAG;
/// Bytes before the data in a message's first frame (its little-endian `u32` length).
const LENGTH: usize = 4;
/// The sender writes frames in batches of up to this many bytes (one frame at least).
const WRITE_BATCH: usize = 1 << 20;
/// The receiver reads up to this many bytes at a time.
const READ_BUFFER: usize = 256 << 10;

/// The header of a frame whose body has `len` bytes.
pub(crate) fn frame_header(len: usize) -> [u8; HEADER] {
    // Frames are at most MAX_FRAME bytes, which fits in a u32.
    (len as u32).to_be_bytes()
}

/// The sending half of a logging channel.
pub struct Sender {
    stream: TcpStream,
    state: Arc<StatelessTransportState>,
    /// The nonce of the next frame sent.
    nonce: u64,
    /// Frames ready to write: headers and ciphertexts, written with one `write_all`.
    out: Vec<u8>,
    /// The first frame's plaintext: the message's length, then its first bytes.
    first: Vec<u8>,
    closed: bool,
}

impl Sender {
    pub(crate) fn new(stream: TcpStream, state: Arc<StatelessTransportState>) -> Sender {
        Sender {
            stream,
            state,
            nonce: 0,
            out: Vec::with_capacity(HEADER + MAX_FRAME),
            first: Vec::with_capacity(MAX_PLAIN),
            closed: false,
        }
    }

    /// Sends one message of up to [`MAX_MESSAGE`] bytes, split into as many frames as needed.
    ///
    /// A message that fits in one frame (up to 65515 bytes) is one `write`. After any error
    /// but [`ChannelError::MessageTooLarge`] the sender is closed.
    pub fn send(&mut self, message: &[u8]) -> Result<(), ChannelError> {
        if self.closed {
            return Err(ChannelError::Closed);
        }
        if message.len() > MAX_MESSAGE {
            return Err(ChannelError::MessageTooLarge {
                size: message.len() as u64,
            });
        }
        let result = self.send_frames(message);
        if result.is_err() {
            self.closed = true;
        }
        result
    }

    fn send_frames(&mut self, message: &[u8]) -> Result<(), ChannelError> {
        let (head, rest) = message.split_at(message.len().min(MAX_PLAIN - LENGTH));
        self.first.clear();
        // MAX_MESSAGE fits in a u32.
        self.first
            .extend_from_slice(&(message.len() as u32).to_le_bytes());
        self.first.extend_from_slice(head);
        self.out.clear();
        seal(&self.state, &mut self.nonce, &mut self.out, &self.first)?;
        for chunk in rest.chunks(MAX_PLAIN) {
            if self.out.len() + HEADER + MAX_FRAME > WRITE_BATCH {
                self.flush()?;
            }
            seal(&self.state, &mut self.nonce, &mut self.out, chunk)?;
        }
        self.flush()
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        let result = self.stream.write_all(&self.out);
        self.out.clear();
        result.map_err(|e| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ChannelError::Timeout,
            _ => ChannelError::Io(e),
        })
    }

    /// Bounds how long one [`send`](Self::send) may wait for the peer to take its bytes
    /// (`None`: no bound). A send that times out closes the sender.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> Result<(), ChannelError> {
        Ok(self.stream.set_write_timeout(timeout)?)
    }

    /// Closes the connection, both ways: the peer's receiver sees [`ChannelError::Closed`]
    /// after the messages already sent, and so does this side's [`Receiver`].
    pub fn shutdown(&mut self) -> Result<(), ChannelError> {
        self.closed = true;
        match self.stream.shutdown(Shutdown::Both) {
            Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Encrypts `plain` as the frame with the next nonce, appended to `out` with its header.
fn seal(
    state: &StatelessTransportState,
    nonce: &mut u64,
    out: &mut Vec<u8>,
    plain: &[u8],
) -> Result<(), ChannelError> {
    let at = out.len();
    out.extend_from_slice(&frame_header(plain.len() + TAG));
    out.resize(at + HEADER + plain.len() + TAG, 0);
    state
        .write_message(*nonce, plain, &mut out[at + HEADER..])
        .map_err(|e| io::Error::other(format!("encryption failed: {e}")))?;
    *nonce += 1;
    Ok(())
}

/// The receiving half of a logging channel.
pub struct Receiver {
    stream: TcpStream,
    state: Arc<StatelessTransportState>,
    /// The nonce the next frame must have been sealed with.
    nonce: u64,
    /// Bytes read from the socket; `buf[start..end]` are not yet consumed.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The plaintext of a message's first frame.
    first: Vec<u8>,
    /// A message whose later frames have not all arrived, and how many of its bytes have.
    partial: Option<(Vec<u8>, usize)>,
    closed: bool,
}

impl Receiver {
    pub(crate) fn new(stream: TcpStream, state: Arc<StatelessTransportState>) -> Receiver {
        Receiver {
            stream,
            state,
            nonce: 0,
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
            first: vec![0; MAX_PLAIN],
            partial: None,
            closed: false,
        }
    }

    /// Bounds how long [`recv`](Self::recv) waits for bytes (`None`: forever). A wait that
    /// times out returns [`ChannelError::Timeout`] and keeps what had arrived, so the next
    /// `recv` carries on. The timeout is the socket's: it also applies to a clone's reads.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<(), ChannelError> {
        Ok(self.stream.set_read_timeout(timeout)?)
    }

    /// Receives the next whole message.
    ///
    /// Returns [`ChannelError::Closed`] when the peer closed the connection between two
    /// messages. After any error but [`ChannelError::Timeout`] the connection is ended and
    /// every later call returns `Closed`.
    pub fn recv(&mut self) -> Result<Vec<u8>, ChannelError> {
        if self.closed {
            return Err(ChannelError::Closed);
        }
        let result = self.recv_frames();
        match &result {
            Ok(_) | Err(ChannelError::Timeout) => {}
            Err(ChannelError::Closed) => self.closed = true,
            Err(_) => {
                self.closed = true;
                let _ = self.stream.shutdown(Shutdown::Both);
            }
        }
        result
    }

    fn recv_frames(&mut self) -> Result<Vec<u8>, ChannelError> {
        loop {
            let (at, len) = self.next_frame()?;
            let frame = &self.buf[at..at + len];
            let tampered = |_| {
                ChannelError::Tampered(
                    "a frame failed authentication (altered, replayed, reordered or dropped)"
                        .to_owned(),
                )
            };
            match &mut self.partial {
                None => {
                    let n = self
                        .state
                        .read_message(self.nonce, frame, &mut self.first)
                        .map_err(tampered)?;
                    self.nonce += 1;
                    let Some((length, data)) = self.first[..n].split_first_chunk::<LENGTH>() else {
                        return Err(ChannelError::Malformed(format!(
                            "a message's first frame holds {n} bytes, too few for its length"
                        )));
                    };
                    let size = u32::from_le_bytes(*length) as usize;
                    if size > MAX_MESSAGE {
                        return Err(ChannelError::MessageTooLarge { size: size as u64 });
                    }
                    if data.len() > size {
                        return Err(overrun(data.len(), size));
                    }
                    if data.len() == size {
                        return Ok(data.to_vec());
                    }
                    let mut message = vec![0u8; size];
                    message[..data.len()].copy_from_slice(data);
                    self.partial = Some((message, data.len()));
                }
                Some((message, filled)) => {
                    let room = message.len() - *filled;
                    if len - TAG > room {
                        return Err(overrun(*filled + len - TAG, message.len()));
                    }
                    let n = self
                        .state
                        .read_message(self.nonce, frame, &mut message[*filled..])
                        .map_err(tampered)?;
                    self.nonce += 1;
                    *filled += n;
                    if *filled == message.len() {
                        if let Some((message, _)) = self.partial.take() {
                            return Ok(message);
                        }
                    }
                }
            }
        }
    }

    /// Reads until a whole frame is buffered; returns where its body is in `buf`, and
    /// consumes it. A timeout keeps every byte read for the next call.
    fn next_frame(&mut self) -> Result<(usize, usize), ChannelError> {
        self.fill(HEADER)?;
        let mut header = [0u8; HEADER];
        header.copy_from_slice(&self.buf[self.start..self.start + HEADER]);
        let len = u32::from_be_bytes(header) as usize;
        if !(TAG..=MAX_FRAME).contains(&len) {
            return Err(ChannelError::Tampered(format!(
                "a frame length of {len} bytes is outside {TAG}..={MAX_FRAME}"
            )));
        }
        self.fill(HEADER + len)?;
        let at = self.start + HEADER;
        self.start = at + len;
        Ok((at, len))
    }

    /// Reads until at least `n` unconsumed bytes are buffered (`n` fits in the buffer).
    fn fill(&mut self, n: usize) -> Result<(), ChannelError> {
        while self.end - self.start < n {
            if self.start + n > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) if self.end == self.start && self.partial.is_none() => {
                    return Err(ChannelError::Closed)
                }
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection in the middle of a message",
                    )
                    .into())
                }
                Ok(read) => self.end += read,
                Err(e) => match e.kind() {
                    io::ErrorKind::Interrupted => {}
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                        return Err(ChannelError::Timeout)
                    }
                    _ => return Err(e.into()),
                },
            }
        }
        Ok(())
    }
}

fn overrun(got: usize, size: usize) -> ChannelError {
    ChannelError::Malformed(format!("frames carry {got} bytes of a {size}-byte message"))
}
