//! Fault tolerance for vmft: a primary virtual machine and a backup that replays its inputs.
//!
//! - [`protocol`]: the sans-IO core of the primary/backup protocol (events in, actions out),
//!   with its wire messages; no sockets, threads or clocks inside.
//! - [`channel`]: the authenticated, encrypted logging channel over TCP, and its key files.
//! - [`arbiter`]: the atomic test-and-set of epochs that decides which side may go live.
//! - [`primary`] and [`backup`]: the drivers that connect the core to the channel, the arbiter
//!   and the engine ([`engine_io`]); `vmft primary` and `vmft backup` call them.
//! - [`status`]: what each side shows an operator, on its control socket ([`control`]) and
//!   its metrics endpoint ([`metrics`]); [`log`]: its log lines, through `tracing`.

pub mod announce;
pub mod arbiter;
pub mod backup;
pub mod channel;
pub mod control;
pub mod driver;
pub mod engine_io;
pub mod join;
pub mod log;
pub mod metrics;
pub mod primary;
pub mod protocol;
pub mod status;
