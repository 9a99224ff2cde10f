//! virtio-net (virtio 1.2 §5.1): an Ethernet interface whose frames cross the machine
//! boundary only as input events (received) and outputs (transmitted).
//!
//! Transmitted frames are queued for the front end to drain; it alone touches the host's
//! TAP device. A received frame is delivered into the guest's receive buffers when it is
//! injected; if the guest has posted none, it waits in a bounded backlog (dropped beyond it,
//! as a full NIC would), and the backlog drains when the guest posts buffers.

use std::collections::VecDeque;

use rv64::persist::{Persist, StateError};
use rv64::Memory;

use crate::block::copy_config;
use crate::mmio::VirtioDevice;
use crate::queue::{Queue, QueueError};

/// VIRTIO_NET_F_MTU: the config space states the MTU.
const F_MTU: u64 = 1 << 3;
/// VIRTIO_NET_F_MAC: the config space holds the MAC address.
const F_MAC: u64 = 1 << 5;
/// VIRTIO_NET_F_STATUS: the config space holds the link status.
const F_STATUS: u64 = 1 << 16;

/// Size of `struct virtio_net_hdr` with VIRTIO_F_VERSION_1 (num_buffers included).
pub const HEADER_LEN: usize = 12;
/// Largest frame accepted either way (Ethernet header + 1500 MTU + VLAN tag).
pub const MAX_FRAME: usize = 1518;
/// Received frames waiting for guest buffers, at most.
pub const BACKLOG_LIMIT: usize = 256;

const RX: usize = 0;
const TX: usize = 1;

/// A virtio network device.
pub struct Net {
    mac: [u8; 6],
    backlog: VecDeque<Vec<u8>>,
    transmitted: VecDeque<Vec<u8>>,
    dropped: u64,
}

impl Net {
    /// A device with hardware address `mac`.
    pub fn new(mac: [u8; 6]) -> Self {
        Net {
            mac,
            backlog: VecDeque::new(),
            transmitted: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Hands a frame received from the outside to the device (call the transport's
    /// `kick_all` afterwards). Frames over [`MAX_FRAME`] or beyond the backlog are dropped.
    pub fn receive(&mut self, frame: &[u8]) {
        if frame.len() > MAX_FRAME || self.backlog.len() >= BACKLOG_LIMIT {
            self.dropped += 1;
            return;
        }
        self.backlog.push_back(frame.to_vec());
    }

    /// Takes the frames the guest transmitted since the last call, oldest first.
    pub fn take_transmitted(&mut self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.transmitted.drain(..)
    }

    /// Frames dropped for size or a full backlog.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The hardware address.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    fn deliver(&mut self, q: &mut Queue, mem: &mut Memory) -> Result<bool, QueueError> {
        let mut notify = false;
        while let Some(frame) = self.backlog.front() {
            let Some(chain) = q.pop(mem)? else { break };
            let mut packet = vec![0u8; HEADER_LEN + frame.len()];
            packet[10..12].copy_from_slice(&1u16.to_le_bytes()); // num_buffers
            packet[HEADER_LEN..].copy_from_slice(frame);
            let written = if chain.writable_len() < packet.len() as u64 {
                // Too small for the frame: return the buffer empty, count a drop.
                self.dropped += 1;
                0
            } else {
                chain.write_all(mem, &packet)?
            };
            self.backlog.pop_front();
            notify |= q.push_used(mem, chain.head, written)?;
        }
        Ok(notify)
    }

    fn transmit(&mut self, q: &mut Queue, mem: &mut Memory) -> Result<bool, QueueError> {
        let mut notify = false;
        while let Some(chain) = q.pop(mem)? {
            if chain.readable_len() <= HEADER_LEN as u64 + MAX_FRAME as u64 {
                let packet = chain.read_all(mem)?;
                if packet.len() > HEADER_LEN {
                    self.transmitted.push_back(packet[HEADER_LEN..].to_vec());
                }
            } else {
                self.dropped += 1;
            }
            notify |= q.push_used(mem, chain.head, 0)?;
        }
        Ok(notify)
    }
}

impl VirtioDevice for Net {
    fn device_id(&self) -> u32 {
        1
    }

    fn features(&self) -> u64 {
        F_MAC | F_STATUS | F_MTU
    }

    fn queue_count(&self) -> usize {
        2
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        // struct virtio_net_config: mac[6], status u16, max_virtqueue_pairs u16, mtu u16.
        let mut config = [0u8; 12];
        config[0..6].copy_from_slice(&self.mac);
        config[6..8].copy_from_slice(&1u16.to_le_bytes()); // VIRTIO_NET_S_LINK_UP
        config[8..10].copy_from_slice(&1u16.to_le_bytes());
        config[10..12].copy_from_slice(&1500u16.to_le_bytes());
        copy_config(&config, offset, data);
    }

    fn write_config(&mut self, _offset: u64, _data: &[u8]) {}

    fn process(
        &mut self,
        queue: usize,
        queues: &mut [Queue],
        mem: &mut Memory,
    ) -> Result<bool, QueueError> {
        match (queue, queues) {
            (RX, [rx, ..]) => self.deliver(rx, mem),
            (TX, [_, tx, ..]) => self.transmit(tx, mem),
            _ => Ok(false),
        }
    }

    fn reset(&mut self) {
        self.backlog.clear();
    }
}

/// The network device's state as plain data (the MAC is configuration, not state).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetState {
    /// Received frames waiting for guest buffers, oldest first.
    pub backlog: Vec<Vec<u8>>,
    /// Transmitted frames the front end has not taken yet, oldest first.
    pub transmitted: Vec<Vec<u8>>,
    /// Frames dropped so far.
    pub dropped: u64,
}

impl Persist for Net {
    type State = NetState;
    /// The MAC address.
    type ConstructorArgs = [u8; 6];

    fn save(&self) -> NetState {
        NetState {
            backlog: self.backlog.iter().cloned().collect(),
            transmitted: self.transmitted.iter().cloned().collect(),
            dropped: self.dropped,
        }
    }

    fn restore(mac: [u8; 6], s: &NetState) -> Result<Net, StateError> {
        if s.backlog.len() > BACKLOG_LIMIT {
            return Err(StateError::new(
                "virtio-net",
                format!("{} frames in a backlog of {BACKLOG_LIMIT}", s.backlog.len()),
            ));
        }
        if let Some(frame) = s
            .backlog
            .iter()
            .chain(&s.transmitted)
            .find(|f| f.len() > MAX_FRAME)
        {
            return Err(StateError::new(
                "virtio-net",
                format!("a {}-byte frame is longer than {MAX_FRAME}", frame.len()),
            ));
        }
        Ok(Net {
            mac,
            backlog: s.backlog.iter().cloned().collect(),
            transmitted: s.transmitted.iter().cloned().collect(),
            dropped: s.dropped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::testing::DriverQueue;

    const RAM: u64 = 0x8000_0000;

    #[test]
    fn spec_5_1_6_transmit_strips_the_header_and_outputs_the_frame() {
        let mut m = Memory::new(RAM, 0x10_0000).unwrap();
        let rx = DriverQueue::new(RAM, 8);
        let mut tx = DriverQueue::new(RAM + 0x800, 8);
        let mut net = Net::new([2, 0, 0, 0, 0, 1]);
        m.write(RAM + 0x2000 + HEADER_LEN as u64, b"frame-bytes")
            .unwrap();
        tx.publish(&mut m, &[(RAM + 0x2000, HEADER_LEN as u32 + 11, false)]);
        let mut queues = [rx.queue.clone(), tx.queue.clone()];
        assert!(net.process(TX, &mut queues, &mut m).unwrap());
        let frames: Vec<Vec<u8>> = net.take_transmitted().collect();
        assert_eq!(frames, vec![b"frame-bytes".to_vec()]);
    }

    #[test]
    fn spec_5_1_6_received_frames_wait_for_buffers_and_carry_a_header() {
        let mut m = Memory::new(RAM, 0x10_0000).unwrap();
        let mut rx = DriverQueue::new(RAM, 8);
        let mut net = Net::new([2, 0, 0, 0, 0, 1]);
        net.receive(b"incoming");
        assert!(!net
            .process(RX, std::slice::from_mut(&mut rx.queue), &mut m)
            .unwrap());
        rx.publish(&mut m, &[(RAM + 0x3000, 2048, true)]);
        assert!(net
            .process(RX, std::slice::from_mut(&mut rx.queue), &mut m)
            .unwrap());
        let mut out = [0u8; HEADER_LEN + 8];
        m.read(RAM + 0x3000, &mut out).unwrap();
        assert_eq!(&out[HEADER_LEN..], b"incoming");
        assert_eq!(u16::from_le_bytes([out[10], out[11]]), 1);
        assert_eq!(rx.used_entry(&m, 0).1, (HEADER_LEN + 8) as u32);
    }

    #[test]
    fn oversized_frames_and_a_full_backlog_are_dropped() {
        let mut net = Net::new([0; 6]);
        net.receive(&vec![0u8; MAX_FRAME + 1]);
        for _ in 0..BACKLOG_LIMIT + 3 {
            net.receive(b"x");
        }
        assert_eq!(net.dropped(), 4);
    }

    #[test]
    fn config_space_holds_mac_and_link_up() {
        let net = Net::new([2, 1, 2, 3, 4, 5]);
        let mut cfg = [0u8; 8];
        net.read_config(0, &mut cfg);
        assert_eq!(cfg, [2, 1, 2, 3, 4, 5, 1, 0]);
    }
}
