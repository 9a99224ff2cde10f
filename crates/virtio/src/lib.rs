//! virtio for the vmft board: the virtio-mmio transport (version 2), split virtqueues, and
//! the network, block and entropy devices.
//!
//! Devices advance only when the machine steps them: a queue notification (an MMIO store)
//! or an input event. They never run on threads or timers of their own, and they reach the
//! outside world only through their backends and the machine's input interface.

pub mod block;
pub mod mmio;
pub mod net;
pub mod queue;
pub mod rng;

pub use block::{Block, BlockState, DiskBackend};
pub use mmio::{MmioTransport, TransportState, VirtioDevice};
pub use net::{Net, NetState};
pub use queue::{Queue, QueueError, QueueState};
pub use rng::{Entropy, EntropyState};
