//! Fault tolerance for vmft: a primary virtual machine and a backup that replays its inputs.
//!
//! - [`protocol`]: the sans-IO core of the primary/backup protocol (events in, actions out),
//!   with its wire messages; no sockets, threads or clocks inside.
//! - [`channel`]: the authenticated, encrypted logging channel over TCP, and its key files.
//! - [`arbiter`]: the atomic test-and-set of epochs that decides which side may go live.

pub mod announce;
pub mod arbiter;
pub mod channel;
pub mod engine_io;
pub mod protocol;
