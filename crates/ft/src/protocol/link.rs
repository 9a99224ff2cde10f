//! One connection's bookkeeping, shared by both cores: sequence numbers and when a frame last
//! went each way.

use thiserror::Error;

use super::wire::{decode, encode, Envelope, Message, WireError};
use super::Millis;

/// Why a received channel message ends the connection as a channel failure.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum LinkError {
    /// The message does not decode.
    #[error("undecodable message: {0}")]
    Wire(#[from] WireError),
    /// A sequence number was repeated, skipped or reordered.
    #[error("message number {got} arrived where {expected} was due")]
    OutOfSequence {
        /// The next sequence number due.
        expected: u64,
        /// The one that arrived.
        got: u64,
    },
}

/// The state of one live connection.
pub(crate) struct Link {
    next_send_seq: u64,
    next_receive_seq: u64,
    last_heard: Millis,
    last_sent: Millis,
    /// The peer's node name, once its Hello was accepted.
    pub(crate) partner: Option<String>,
}

impl Link {
    /// A connection that came up at `now`: its silence and idleness count from then.
    pub(crate) fn new(now: Millis) -> Link {
        Link {
            next_send_seq: 0,
            next_receive_seq: 0,
            last_heard: now,
            last_sent: now,
            partner: None,
        }
    }

    /// Wraps and encodes the next message to send.
    pub(crate) fn seal(&mut self, epoch: u64, message: Message, now: Millis) -> Vec<u8> {
        let seq = self.next_send_seq;
        self.next_send_seq += 1;
        self.last_sent = now;
        encode(&Envelope {
            epoch,
            seq,
            message,
        })
    }

    /// Decodes a received message and checks that it is the next one due.
    pub(crate) fn open(&mut self, bytes: &[u8], now: Millis) -> Result<Envelope, LinkError> {
        let envelope = decode(bytes)?;
        if envelope.seq != self.next_receive_seq {
            return Err(LinkError::OutOfSequence {
                expected: self.next_receive_seq,
                got: envelope.seq,
            });
        }
        self.next_receive_seq += 1;
        self.last_heard = now;
        Ok(envelope)
    }

    /// Milliseconds since the peer was last heard from.
    pub(crate) fn silent_for(&self, now: Millis) -> u64 {
        now.since(self.last_heard)
    }

    /// Milliseconds since a frame was last sent.
    pub(crate) fn idle_for(&self, now: Millis) -> u64 {
        now.since(self.last_sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_missing_and_reordered_sequence_numbers_are_channel_failures() {
        let mut sender = Link::new(Millis(0));
        let first = sender.seal(0, Message::Heartbeat, Millis(1));
        let second = sender.seal(0, Message::Heartbeat, Millis(2));
        let third = sender.seal(0, Message::Heartbeat, Millis(3));

        let mut receiver = Link::new(Millis(0));
        assert!(receiver.open(&first, Millis(5)).is_ok());
        assert_eq!(
            receiver.open(&first, Millis(6)),
            Err(LinkError::OutOfSequence {
                expected: 1,
                got: 0
            })
        );
        assert_eq!(
            receiver.open(&third, Millis(6)),
            Err(LinkError::OutOfSequence {
                expected: 1,
                got: 2
            })
        );
        assert!(receiver.open(&second, Millis(7)).is_ok());
        assert_eq!(receiver.silent_for(Millis(10)), 3);
        assert_eq!(sender.idle_for(Millis(10)), 7);
    }
}
