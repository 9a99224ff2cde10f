//! The logging channel: an authenticated, encrypted, framed byte-message stream over TCP.
//!
//! The primary [`connect`]s, the backup [`accept`]s; both hold the same pre-shared [`Key`].
//! The handshake is Noise `NNpsk0_25519_ChaChaPoly_BLAKE2s` (the `snow` crate): ephemeral X25519
//! keys for forward secrecy, the pre-shared key mixed in from the first message, so that each
//! side knows the other holds the key, and the protocol's name mixed in as the Noise prologue.
//!
//! # On the wire
//!
//! ```text
//! initiator -> responder   PREAMBLE, frame(Noise message 1: psk, e)
//! responder -> initiator   PREAMBLE, frame(Noise message 2: e, ee)   or   PREAMBLE, frame()
//! then, each way           frame(ciphertext), frame(ciphertext), ...
//! ```
//!
//! `PREAMBLE` is the 24 bytes `"vmft logging channel v1\n"`, sent in clear so that a peer
//! speaking another protocol is named as such, and mixed into the handshake as the prologue so
//! that it is authenticated too. A frame is a big-endian `u32` length and that many bytes, at
//! most 65535 (the Noise limit). A responder that cannot authenticate the initiator's first
//! message answers with an empty frame, so that both ends report the key mismatch; that answer
//! is unauthenticated (a peer without the key cannot authenticate anything), and only ever
//! makes the handshake fail.
//!
//! After the handshake every frame is one ChaCha20-Poly1305 ciphertext sealed with an explicit
//! nonce that counts frames from 0 in each direction; the receiver decrypts with exactly the
//! next nonce, so a frame that is altered, replayed, reordered or dropped fails its tag check
//! and ends the connection with [`ChannelError::Tampered`]. A message is carried by one or more
//! frames: the first frame's plaintext starts with the message's length (little-endian `u32`,
//! at most [`MAX_MESSAGE`]), and frames follow until that many bytes have arrived.

mod handshake;
mod key;
mod transport;

use std::io;
use std::time::Duration;

pub use handshake::{accept, connect};
pub use key::{Key, KeyError, KEY_LEN};
pub use transport::{Receiver, Sender, MAX_MESSAGE};

/// Why the logging channel failed.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The handshake failed; nothing was exchanged.
    #[error("logging channel handshake failed: {0}")]
    Handshake(#[from] HandshakeError),
    /// The connection is closed: the peer closed it cleanly between messages, or this end was
    /// shut down or ended by an earlier error.
    #[error("the logging channel is closed")]
    Closed,
    /// Nothing arrived within the read timeout (the receiver keeps what it had read and
    /// continues with the next call), or a send did not finish within the write timeout (the
    /// sender is then closed, since the peer may have seen part of a frame).
    #[error("the logging channel timed out")]
    Timeout,
    /// A frame failed authentication or was not a frame at all: altered, replayed, reordered,
    /// dropped or forged bytes. The connection is ended; this is a channel failure.
    #[error("the logging channel was tampered with: {0}")]
    Tampered(String),
    /// Authenticated frames that do not form messages: the peer holds the key but breaks the
    /// framing (another version or a bug). The connection is ended.
    #[error("the peer broke the logging channel's framing: {0}")]
    Malformed(String),
    /// A message longer than [`MAX_MESSAGE`]: refused before sending, or announced by the peer
    /// (which ends the connection).
    #[error(
        "a message of {size} bytes exceeds the logging channel's limit of {MAX_MESSAGE} bytes"
    )]
    MessageTooLarge {
        /// The message's length in bytes.
        size: u64,
    },
    /// An I/O error on the socket, including a connection cut in the middle of a frame or a
    /// message (`UnexpectedEof`).
    #[error("logging channel I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Why the handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The peer holds another pre-shared key (or a third party altered the handshake).
    #[error("authentication failed: the peer holds another key")]
    KeyMismatch,
    /// The peer's first bytes are not the vmft logging channel v1 preamble.
    #[error("the peer does not speak the vmft logging channel v1 protocol")]
    WrongProtocol,
    /// The peer closed or reset the connection before the handshake finished.
    #[error("the peer closed the connection during the handshake")]
    Closed,
    /// The handshake did not finish within its timeout.
    #[error("the handshake did not finish within {0:?}")]
    Timeout(Duration),
    /// A handshake frame had an impossible length.
    #[error("malformed handshake message: {0}")]
    Malformed(String),
    /// The Noise implementation refused an operation on our own state.
    #[error("Noise protocol error: {0}")]
    Noise(String),
}
