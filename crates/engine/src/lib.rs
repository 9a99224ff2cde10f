//! The engine: one run loop over a machine, with four front ends.
//!
//! - a live run ([`live::run_live`]) takes inputs from the host, logs each to a
//!   [`record::Recorder`] when there is one, keeps the guest's clock on the host's
//!   ([`clock`]) and hands outputs to an [`output::Outputs`]: `vmft run` writes them out at
//!   once; a primary's recorder streams to its logging channel and its outputs wait for the
//!   backup's acknowledgement;
//! - a replay ([`replayer::replay_loop`]) takes inputs from a [`replayer::LogSource`], checks
//!   every state digest and reports a divergence with what differs ([`divergence`]): `vmft
//!   replay` reads a file, a backup the logging channel, and goes live when it ends;
//! - a live transfer ([`transfer`]) pre-copies a running machine's RAM and disk between the
//!   live loop's slices, for a new backup to start from.
//!
//! The machine is a pure function of its initial state and its input log: everything from
//! outside enters through `Machine::inject` at a position this crate chooses (live) or reads
//! (replay). Nothing here knows about the logging channel's protocol.

pub mod clock;
pub mod config;
pub mod divergence;
pub mod host;
pub mod live;
pub mod output;
pub mod record;
pub mod replayer;
pub mod setup;
pub mod transfer;
