//! Split virtqueues (virtio 1.2 §2.7), driven entirely by guest-controlled memory.
//!
//! The queue holds no host pointers and caches nothing of guest memory: every call takes the
//! [`Memory`] and re-reads what it needs, validating every address and length the driver
//! wrote. A descriptor chain is bounded by the queue size, so a looping chain from a hostile
//! driver ends in an error instead of spinning.

use rv64::persist::{Persist, StateError};
use rv64::Memory;
use thiserror::Error;

/// Largest queue size the transport offers.
pub const MAX_QUEUE_SIZE: u16 = 256;

const DESC_F_NEXT: u16 = 1;
const DESC_F_WRITE: u16 = 2;
const DESC_F_INDIRECT: u16 = 4;
const AVAIL_F_NO_INTERRUPT: u16 = 1;

/// A driver error found while reading or writing a queue; the device reports it by setting
/// DEVICE_NEEDS_RESET.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QueueError {
    /// A ring or buffer lies (partly) outside guest RAM.
    #[error("queue memory at {0:#x} is outside guest RAM")]
    OutOfRange(u64),
    /// The driver published more buffers than the queue holds.
    #[error("available index jumped by {0}, more than the queue size")]
    AvailOverrun(u16),
    /// A descriptor index is beyond the queue.
    #[error("descriptor index {0} out of range")]
    BadIndex(u16),
    /// A chain is longer than the queue (a loop).
    #[error("descriptor chain longer than the queue")]
    ChainTooLong,
    /// An indirect descriptor (not offered) was used.
    #[error("indirect descriptor used but not negotiated")]
    Indirect,
}

/// One buffer of a descriptor chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buffer {
    /// Guest physical address.
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
    /// True if the device writes it (driver reads).
    pub writable: bool,
}

/// A request: the buffers of one descriptor chain, in order.
#[derive(Debug)]
pub struct Chain {
    /// Index of the head descriptor, returned in the used ring.
    pub head: u16,
    /// The chain's buffers, each already checked to lie inside guest RAM.
    pub buffers: Vec<Buffer>,
}

impl Chain {
    /// Total bytes in the driver-readable buffers.
    pub fn readable_len(&self) -> u64 {
        self.buffers
            .iter()
            .filter(|b| !b.writable)
            .map(|b| u64::from(b.len))
            .sum()
    }

    /// Total bytes in the device-writable buffers.
    pub fn writable_len(&self) -> u64 {
        self.buffers
            .iter()
            .filter(|b| b.writable)
            .map(|b| u64::from(b.len))
            .sum()
    }

    /// Gathers all driver-readable bytes.
    pub fn read_all(&self, mem: &Memory) -> Result<Vec<u8>, QueueError> {
        let mut out = Vec::with_capacity(self.readable_len() as usize);
        for b in self.buffers.iter().filter(|b| !b.writable) {
            let start = out.len();
            out.resize(start + b.len as usize, 0);
            mem.read(b.addr, &mut out[start..])
                .map_err(|_| QueueError::OutOfRange(b.addr))?;
        }
        Ok(out)
    }

    /// Scatters `data` over the device-writable buffers; returns the bytes written (less
    /// than `data.len()` if the buffers are too small).
    pub fn write_all(&self, mem: &mut Memory, mut data: &[u8]) -> Result<u32, QueueError> {
        let mut written = 0u32;
        for b in self.buffers.iter().filter(|b| b.writable) {
            if data.is_empty() {
                break;
            }
            let n = data.len().min(b.len as usize);
            mem.write(b.addr, &data[..n])
                .map_err(|_| QueueError::OutOfRange(b.addr))?;
            data = &data[n..];
            written += n as u32;
        }
        Ok(written)
    }
}

/// Register-file state of one virtqueue plus the device's private ring cursors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Queue {
    /// Size chosen by the driver (QueueNum).
    pub size: u16,
    /// QueueReady.
    pub ready: bool,
    /// Descriptor table address.
    pub desc: u64,
    /// Available (driver) ring address.
    pub avail: u64,
    /// Used (device) ring address.
    pub used: u64,
    next_avail: u16,
    next_used: u16,
}

fn read_u16(mem: &Memory, addr: u64) -> Result<u16, QueueError> {
    let mut b = [0; 2];
    mem.read(addr, &mut b)
        .map_err(|_| QueueError::OutOfRange(addr))?;
    Ok(u16::from_le_bytes(b))
}

fn write_u16(mem: &mut Memory, addr: u64, v: u16) -> Result<(), QueueError> {
    mem.write(addr, &v.to_le_bytes())
        .map_err(|_| QueueError::OutOfRange(addr))
}

impl Queue {
    /// Back to the reset state (QueueReady = 0 and all addresses cleared).
    pub fn reset(&mut self) {
        *self = Queue::default();
    }

    /// True if the driver has enabled the queue with a usable size.
    pub fn is_live(&self) -> bool {
        self.ready && self.size > 0
    }

    /// True if the driver has published a buffer the device has not taken yet.
    pub fn has_available(&self, mem: &Memory) -> Result<bool, QueueError> {
        if !self.is_live() {
            return Ok(false);
        }
        let idx = read_u16(mem, self.avail.wrapping_add(2))?;
        let pending = idx.wrapping_sub(self.next_avail);
        if pending > self.size {
            return Err(QueueError::AvailOverrun(pending));
        }
        Ok(pending != 0)
    }

    /// Takes the next available chain, or `None` if the driver has published nothing new.
    pub fn pop(&mut self, mem: &Memory) -> Result<Option<Chain>, QueueError> {
        if !self.has_available(mem)? {
            return Ok(None);
        }
        let slot = u64::from(self.next_avail % self.size);
        let head = read_u16(mem, self.avail.wrapping_add(4 + 2 * slot))?;
        let chain = self.walk(mem, head)?;
        self.next_avail = self.next_avail.wrapping_add(1);
        Ok(Some(chain))
    }

    fn walk(&self, mem: &Memory, head: u16) -> Result<Chain, QueueError> {
        let mut buffers = Vec::new();
        let mut index = head;
        loop {
            if index >= self.size {
                return Err(QueueError::BadIndex(index));
            }
            if buffers.len() >= usize::from(self.size) {
                return Err(QueueError::ChainTooLong);
            }
            let at = self.desc.wrapping_add(16 * u64::from(index));
            let mut raw = [0u8; 16];
            mem.read(at, &mut raw)
                .map_err(|_| QueueError::OutOfRange(at))?;
            let addr = u64::from_le_bytes(raw[0..8].try_into().unwrap_or_default());
            let len = u32::from_le_bytes(raw[8..12].try_into().unwrap_or_default());
            let flags = u16::from_le_bytes([raw[12], raw[13]]);
            let next = u16::from_le_bytes([raw[14], raw[15]]);
            if flags & DESC_F_INDIRECT != 0 {
                return Err(QueueError::Indirect);
            }
            // The whole buffer must lie in RAM: checked once here, so devices can trust it.
            let mut probe = [0u8; 1];
            if len > 0 {
                let last = addr
                    .checked_add(u64::from(len) - 1)
                    .ok_or(QueueError::OutOfRange(addr))?;
                mem.read(addr, &mut probe)
                    .map_err(|_| QueueError::OutOfRange(addr))?;
                mem.read(last, &mut probe)
                    .map_err(|_| QueueError::OutOfRange(last))?;
            }
            buffers.push(Buffer {
                addr,
                len,
                writable: flags & DESC_F_WRITE != 0,
            });
            if flags & DESC_F_NEXT == 0 {
                return Ok(Chain { head, buffers });
            }
            index = next;
        }
    }

    /// Returns a chain to the driver with `len` bytes written; true if the driver wants an
    /// interrupt for it.
    pub fn push_used(&mut self, mem: &mut Memory, head: u16, len: u32) -> Result<bool, QueueError> {
        let slot = u64::from(self.next_used % self.size);
        let entry = self.used.wrapping_add(4 + 8 * slot);
        let mut raw = [0u8; 8];
        raw[0..4].copy_from_slice(&u32::from(head).to_le_bytes());
        raw[4..8].copy_from_slice(&len.to_le_bytes());
        mem.write(entry, &raw)
            .map_err(|_| QueueError::OutOfRange(entry))?;
        self.next_used = self.next_used.wrapping_add(1);
        write_u16(mem, self.used.wrapping_add(2), self.next_used)?;
        let flags = read_u16(mem, self.avail)?;
        Ok(flags & AVAIL_F_NO_INTERRUPT == 0)
    }
}

/// A driver-side queue for tests: lays out rings in guest memory and publishes chains.
/// A queue's state as plain data: the driver's configuration and the device's ring indices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueState {
    /// Number of entries (0, or a power of two up to [`MAX_QUEUE_SIZE`]).
    pub size: u16,
    /// Whether the driver has enabled the queue.
    pub ready: bool,
    /// Guest physical address of the descriptor table.
    pub desc: u64,
    /// Guest physical address of the available ring.
    pub avail: u64,
    /// Guest physical address of the used ring.
    pub used: u64,
    /// The next available-ring index the device will take.
    pub next_avail: u16,
    /// The next used-ring index the device will fill.
    pub next_used: u16,
}

impl Persist for Queue {
    type State = QueueState;
    type ConstructorArgs = ();

    fn save(&self) -> QueueState {
        QueueState {
            size: self.size,
            ready: self.ready,
            desc: self.desc,
            avail: self.avail,
            used: self.used,
            next_avail: self.next_avail,
            next_used: self.next_used,
        }
    }

    /// Checks the size as the transport does when the driver writes it (§4.2.2.2); the
    /// addresses are validated against guest memory on every use, as for a live queue.
    fn restore((): (), s: &QueueState) -> Result<Queue, StateError> {
        if s.size != 0 && !(s.size.is_power_of_two() && s.size <= MAX_QUEUE_SIZE) {
            return Err(StateError::new(
                "virtqueue",
                format!(
                    "size {} is not a power of two up to {MAX_QUEUE_SIZE}",
                    s.size
                ),
            ));
        }
        Ok(Queue {
            size: s.size,
            ready: s.ready,
            desc: s.desc,
            avail: s.avail,
            used: s.used,
            next_avail: s.next_avail,
            next_used: s.next_used,
        })
    }
}

#[cfg(test)]
pub mod testing {
    use super::*;

    /// Ring layout at fixed addresses inside a test memory.
    pub struct DriverQueue {
        /// The device-side queue, configured as a driver would.
        pub queue: Queue,
        avail_idx: u16,
        next_desc: u16,
    }

    impl DriverQueue {
        /// Rings of `size` entries at `base` (descriptors, then avail, then used).
        pub fn new(base: u64, size: u16) -> DriverQueue {
            let desc = base;
            let avail = desc + 16 * u64::from(size);
            let used = (avail + 6 + 2 * u64::from(size) + 3) & !3;
            let queue = Queue {
                size,
                ready: true,
                desc,
                avail,
                used,
                ..Queue::default()
            };
            DriverQueue {
                queue,
                avail_idx: 0,
                next_desc: 0,
            }
        }

        /// Publishes a chain of `(addr, len, writable)` buffers; returns its head.
        pub fn publish(&mut self, mem: &mut Memory, bufs: &[(u64, u32, bool)]) -> u16 {
            let head = self.next_desc;
            for (i, &(addr, len, writable)) in bufs.iter().enumerate() {
                let index = self.next_desc;
                self.next_desc = (self.next_desc + 1) % self.queue.size;
                let last = i + 1 == bufs.len();
                let flags =
                    if last { 0 } else { DESC_F_NEXT } | if writable { DESC_F_WRITE } else { 0 };
                let mut raw = [0u8; 16];
                raw[0..8].copy_from_slice(&addr.to_le_bytes());
                raw[8..12].copy_from_slice(&len.to_le_bytes());
                raw[12..14].copy_from_slice(&flags.to_le_bytes());
                raw[14..16].copy_from_slice(&self.next_desc.to_le_bytes());
                mem.write(self.queue.desc + 16 * u64::from(index), &raw)
                    .unwrap();
            }
            let slot = u64::from(self.avail_idx % self.queue.size);
            mem.write(self.queue.avail + 4 + 2 * slot, &head.to_le_bytes())
                .unwrap();
            self.avail_idx = self.avail_idx.wrapping_add(1);
            mem.write(self.queue.avail + 2, &self.avail_idx.to_le_bytes())
                .unwrap();
            head
        }

        /// The used ring's index.
        pub fn used_idx(&self, mem: &Memory) -> u16 {
            read_u16(mem, self.queue.used + 2).unwrap()
        }

        /// The used-ring entry at `i`: (head, len).
        pub fn used_entry(&self, mem: &Memory, i: u16) -> (u32, u32) {
            let mut raw = [0u8; 8];
            mem.read(
                self.queue.used + 4 + 8 * u64::from(i % self.queue.size),
                &mut raw,
            )
            .unwrap();
            (
                u32::from_le_bytes(raw[0..4].try_into().unwrap()),
                u32::from_le_bytes(raw[4..8].try_into().unwrap()),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::DriverQueue;
    use super::*;
    use rv64::persist::Persist;

    const RAM: u64 = 0x8000_0000;

    fn mem() -> Memory {
        Memory::new(RAM, 0x10_0000).unwrap()
    }

    #[test]
    fn spec_2_7_a_published_chain_is_popped_once_with_its_buffers() {
        let mut m = mem();
        let mut dq = DriverQueue::new(RAM, 8);
        let head = dq.publish(
            &mut m,
            &[(RAM + 0x1000, 16, false), (RAM + 0x2000, 512, true)],
        );
        let chain = dq.queue.pop(&m).unwrap().unwrap();
        assert_eq!(chain.head, head);
        assert_eq!(chain.buffers.len(), 2);
        assert_eq!((chain.readable_len(), chain.writable_len()), (16, 512));
        assert!(dq.queue.pop(&m).unwrap().is_none());
    }

    #[test]
    fn spec_2_7_8_used_ring_gets_head_and_length() {
        let mut m = mem();
        let mut dq = DriverQueue::new(RAM, 8);
        let head = dq.publish(&mut m, &[(RAM + 0x2000, 64, true)]);
        let chain = dq.queue.pop(&m).unwrap().unwrap();
        assert!(dq.queue.push_used(&mut m, chain.head, 10).unwrap());
        assert_eq!(dq.used_idx(&m), 1);
        assert_eq!(dq.used_entry(&m, 0), (u32::from(head), 10));
    }

    #[test]
    fn a_buffer_outside_ram_is_a_driver_error_not_a_host_access() {
        let mut m = mem();
        let mut dq = DriverQueue::new(RAM, 8);
        dq.publish(&mut m, &[(RAM + 0x10_0000 - 8, 16, true)]);
        assert!(matches!(dq.queue.pop(&m), Err(QueueError::OutOfRange(_))));
        let mut dq = DriverQueue::new(RAM, 8);
        dq.publish(&mut m, &[(u64::MAX - 4, 16, true)]);
        assert!(matches!(dq.queue.pop(&m), Err(QueueError::OutOfRange(_))));
    }

    #[test]
    fn a_looping_chain_ends_with_an_error() {
        let mut m = mem();
        let mut dq = DriverQueue::new(RAM, 4);
        // Descriptor 0 points at itself with NEXT set.
        let mut raw = [0u8; 16];
        raw[0..8].copy_from_slice(&(RAM + 0x2000).to_le_bytes());
        raw[8..12].copy_from_slice(&8u32.to_le_bytes());
        raw[12..14].copy_from_slice(&DESC_F_NEXT.to_le_bytes());
        m.write(dq.queue.desc, &raw).unwrap();
        m.write(dq.queue.avail + 2, &1u16.to_le_bytes()).unwrap();
        assert_eq!(dq.queue.pop(&m).unwrap_err(), QueueError::ChainTooLong);
    }

    #[test]
    fn an_available_index_beyond_the_queue_size_is_rejected() {
        let mut m = mem();
        let mut dq = DriverQueue::new(RAM, 4);
        m.write(dq.queue.avail + 2, &100u16.to_le_bytes()).unwrap();
        assert_eq!(dq.queue.pop(&m).unwrap_err(), QueueError::AvailOverrun(100));
    }

    #[test]
    fn scatter_and_gather_follow_buffer_order() {
        let mut m = mem();
        let mut dq = DriverQueue::new(RAM, 8);
        m.write(RAM + 0x1000, b"abc").unwrap();
        m.write(RAM + 0x1100, b"de").unwrap();
        dq.publish(
            &mut m,
            &[
                (RAM + 0x1000, 3, false),
                (RAM + 0x1100, 2, false),
                (RAM + 0x2000, 2, true),
                (RAM + 0x2100, 8, true),
            ],
        );
        let chain = dq.queue.pop(&m).unwrap().unwrap();
        assert_eq!(chain.read_all(&m).unwrap(), b"abcde");
        assert_eq!(chain.write_all(&mut m, b"12345").unwrap(), 5);
        let mut out = [0u8; 3];
        m.read(RAM + 0x2100, &mut out).unwrap();
        assert_eq!(&out, b"345");
    }

    #[test]
    fn spec_4_2_2_a_restored_queue_size_must_be_a_power_of_two_up_to_the_maximum() {
        let mut dq = DriverQueue::new(RAM, 8);
        let mut m = mem();
        dq.publish(&mut m, &[(RAM + 0x2000, 8, true)]);
        dq.queue.pop(&m).unwrap().unwrap();
        let state = dq.queue.save();
        assert_eq!(state.next_avail, 1);
        assert_eq!(Queue::restore((), &state).unwrap(), dq.queue);
        for size in [3, 512, 1000] {
            let bad = QueueState {
                size,
                ..state.clone()
            };
            assert!(Queue::restore((), &bad).is_err(), "size {size}");
        }
    }
}
