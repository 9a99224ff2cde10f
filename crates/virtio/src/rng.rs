//! virtio-rng (virtio 1.2 §5.4): hands the guest entropy that entered the machine through
//! its input interface.
//!
//! The device never reads host randomness. The front end feeds it with
//! [`Entropy::add_entropy`] (an input event, logged like any other); a guest request that
//! finds the pool empty waits for the next entropy event, so the bytes a guest receives, and
//! when, are a function of the input log.

use std::collections::VecDeque;

use rv64::persist::{Persist, StateError};
use rv64::Memory;

use crate::mmio::VirtioDevice;
use crate::queue::{Queue, QueueError};

/// Bytes the pool holds at most; more is dropped until the guest consumes some.
pub const POOL_LIMIT: usize = 4096;

/// A virtio entropy device.
#[derive(Default)]
pub struct Entropy {
    pool: VecDeque<u8>,
    waiting: bool,
}

impl Entropy {
    /// An empty device.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes from outside to the pool (call the transport's `kick_all` afterwards).
    pub fn add_entropy(&mut self, bytes: &[u8]) {
        let room = POOL_LIMIT.saturating_sub(self.pool.len());
        self.pool.extend(bytes.iter().take(room));
    }

    /// True when a guest request is waiting for entropy: the front end should supply some.
    pub fn wants_entropy(&self) -> bool {
        self.waiting && self.pool.is_empty()
    }

    /// Bytes in the pool.
    pub fn pool_len(&self) -> usize {
        self.pool.len()
    }
}

impl VirtioDevice for Entropy {
    fn device_id(&self) -> u32 {
        4
    }

    fn features(&self) -> u64 {
        0
    }

    fn queue_count(&self) -> usize {
        1
    }

    fn read_config(&self, _offset: u64, data: &mut [u8]) {
        data.fill(0);
    }

    fn write_config(&mut self, _offset: u64, _data: &[u8]) {}

    fn process(
        &mut self,
        queue: usize,
        queues: &mut [Queue],
        mem: &mut Memory,
    ) -> Result<bool, QueueError> {
        let Some(q) = queues.get_mut(queue) else {
            return Ok(false);
        };
        let mut notify = false;
        // Take a request only when there is entropy to give: it stays in the ring otherwise.
        while !self.pool.is_empty() {
            let Some(chain) = q.pop(mem)? else {
                self.waiting = false;
                return Ok(notify);
            };
            let want = chain.writable_len().min(self.pool.len() as u64) as usize;
            let bytes: Vec<u8> = self.pool.drain(..want).collect();
            let written = chain.write_all(mem, &bytes)?;
            notify |= q.push_used(mem, chain.head, written)?;
        }
        self.waiting = q.has_available(mem)?;
        Ok(notify)
    }

    fn reset(&mut self) {
        self.waiting = false;
    }
}

/// The entropy device's state as plain data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntropyState {
    /// Entropy received and not yet handed to the guest (at most [`POOL_LIMIT`] bytes).
    pub pool: Vec<u8>,
    /// Whether a guest request waits for entropy.
    pub waiting: bool,
}

impl Persist for Entropy {
    type State = EntropyState;
    type ConstructorArgs = ();

    fn save(&self) -> EntropyState {
        EntropyState {
            pool: self.pool.iter().copied().collect(),
            waiting: self.waiting,
        }
    }

    fn restore((): (), s: &EntropyState) -> Result<Entropy, StateError> {
        if s.pool.len() > POOL_LIMIT {
            return Err(StateError::new(
                "virtio-rng",
                format!("{} bytes in a pool of {POOL_LIMIT}", s.pool.len()),
            ));
        }
        Ok(Entropy {
            pool: s.pool.iter().copied().collect(),
            waiting: s.waiting,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::testing::DriverQueue;

    const RAM: u64 = 0x8000_0000;

    #[test]
    fn a_request_waits_for_entropy_then_gets_exactly_the_injected_bytes() {
        let mut m = Memory::new(RAM, 0x10_0000).unwrap();
        let mut dq = DriverQueue::new(RAM, 8);
        let mut rng = Entropy::new();
        dq.publish(&mut m, &[(RAM + 0x2000, 8, true)]);
        assert!(!rng
            .process(0, std::slice::from_mut(&mut dq.queue), &mut m)
            .unwrap());
        assert!(rng.wants_entropy());
        rng.add_entropy(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert!(rng
            .process(0, std::slice::from_mut(&mut dq.queue), &mut m)
            .unwrap());
        let mut out = [0u8; 8];
        m.read(RAM + 0x2000, &mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(dq.used_entry(&m, 0).1, 8);
        assert_eq!(rng.pool_len(), 2);
        assert!(!rng.wants_entropy());
    }

    #[test]
    fn the_pool_is_bounded() {
        let mut rng = Entropy::new();
        rng.add_entropy(&vec![0u8; POOL_LIMIT * 2]);
        assert_eq!(rng.pool_len(), POOL_LIMIT);
    }
}
