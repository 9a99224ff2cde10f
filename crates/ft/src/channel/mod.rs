//! The logging channel: an authenticated, encrypted, framed byte-message stream over TCP.

mod key;

pub use key::{Key, KeyError, KEY_LEN};
