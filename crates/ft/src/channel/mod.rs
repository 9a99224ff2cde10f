//! The logging channel: an authenticated, encrypted, framed byte-message stream over TCP.
