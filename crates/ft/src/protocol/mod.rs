//! The sans-IO core of the primary/backup protocol.
