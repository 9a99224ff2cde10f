//! Saving and restoring components as plain data (the pattern of Firecracker's `persist.rs`).
//!
//! Every component of the machine that has state implements [`Persist`]: `save` captures the
//! state as a plain struct, `restore` rebuilds the component from such a struct through a
//! checked constructor. A state may come from a file, so `restore` validates every field
//! against the rules the component's own operations maintain, and refuses what they could
//! never have produced: a corrupt state is an error, never a panic or an out-of-range index
//! later. Both methods are required: there is no default that silently saves nothing.

use thiserror::Error;

/// A saved state that no running component could have had.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("invalid {component} state: {reason}")]
pub struct StateError {
    /// The component whose state was refused.
    pub component: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl StateError {
    /// An error for `component`, saying what is wrong.
    pub fn new(component: &'static str, reason: impl Into<String>) -> StateError {
        StateError {
            component,
            reason: reason.into(),
        }
    }
}

/// A component whose state can be saved as plain data and restored through a checked
/// constructor.
pub trait Persist: Sized {
    /// The component's state as plain data.
    type State;
    /// What restoring needs besides the state: host resources and configuration.
    type ConstructorArgs;
    /// Captures the component's state.
    fn save(&self) -> Self::State;
    /// Rebuilds the component from `args` and `state`, validating everything in `state`.
    fn restore(args: Self::ConstructorArgs, state: &Self::State) -> Result<Self, StateError>;
}
