//! The virtio-mmio register file, version 2 (virtio 1.2 §4.2.2), written once over the
//! [`VirtioDevice`] accessors. The transport sees offsets inside its 4 KiB window, never
//! absolute addresses.

use rv64::persist::{Persist, StateError};
use rv64::Memory;

use crate::queue::{Queue, QueueError, QueueState, MAX_QUEUE_SIZE};

const MAGIC: u32 = 0x7472_6976; // "virt"
const VENDOR: u32 = 0x7466_6d76; // "vmft"

/// VIRTIO_F_VERSION_1: the modern interface, the only one offered.
pub const F_VERSION_1: u64 = 1 << 32;

/// Device status bits (virtio 1.2 §2.1).
pub mod status {
    /// The driver found the device.
    pub const ACKNOWLEDGE: u32 = 1;
    /// The driver knows how to drive it.
    pub const DRIVER: u32 = 2;
    /// The driver is ready.
    pub const DRIVER_OK: u32 = 4;
    /// Feature negotiation is complete.
    pub const FEATURES_OK: u32 = 8;
    /// The device hit an error the driver must reset it for.
    pub const DEVICE_NEEDS_RESET: u32 = 64;
    /// The driver gave up.
    pub const FAILED: u32 = 128;
}

/// Interrupt status bit: a used buffer was returned.
pub const INT_USED_BUFFER: u32 = 1;
/// Interrupt status bit: the configuration changed (or the device needs a reset).
pub const INT_CONFIG_CHANGE: u32 = 2;

/// What a device behind the transport provides.
pub trait VirtioDevice {
    /// virtio device ID (1 net, 2 block, 4 entropy).
    fn device_id(&self) -> u32;
    /// Device feature bits offered (the transport adds [`F_VERSION_1`]).
    fn features(&self) -> u64;
    /// Number of virtqueues.
    fn queue_count(&self) -> usize;
    /// Reads the device-specific configuration space at `offset` into `data` (zeros past
    /// its end).
    fn read_config(&self, offset: u64, data: &mut [u8]);
    /// Driver write to the configuration space (ignored by devices without writable fields).
    fn write_config(&mut self, offset: u64, data: &[u8]);
    /// The driver notified `queue`, or the device should retry pending work on it: consume
    /// what it can. Returns true if any used buffer was returned with an interrupt wanted.
    fn process(
        &mut self,
        queue: usize,
        queues: &mut [Queue],
        mem: &mut Memory,
    ) -> Result<bool, QueueError>;
    /// Device reset (status written to 0): drop in-flight state.
    fn reset(&mut self);
}

/// A virtio-mmio transport around device `D`.
pub struct MmioTransport<D> {
    device: D,
    queues: Vec<Queue>,
    queue_sel: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    status: u32,
    interrupt_status: u32,
    config_generation: u32,
}

impl<D: VirtioDevice> MmioTransport<D> {
    /// Wraps `device` in a freshly reset transport.
    pub fn new(device: D) -> Self {
        let queues = vec![Queue::default(); device.queue_count()];
        MmioTransport {
            device,
            queues,
            queue_sel: 0,
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            status: 0,
            interrupt_status: 0,
            config_generation: 0,
        }
    }

    /// The device.
    pub fn device(&self) -> &D {
        &self.device
    }

    /// The device, mutably (to hand it input).
    pub fn device_mut(&mut self) -> &mut D {
        &mut self.device
    }

    /// Level of the interrupt line.
    pub fn interrupt_pending(&self) -> bool {
        self.interrupt_status != 0
    }

    /// Device status register (for diagnostics).
    pub fn status(&self) -> u32 {
        self.status
    }

    fn offered_features(&self) -> u64 {
        self.device.features() | F_VERSION_1
    }

    fn selected(&mut self) -> Option<&mut Queue> {
        self.queues.get_mut(self.queue_sel as usize)
    }

    /// Lets the device work on `queue` (after a notification or new input) and raises the
    /// interrupt if it returned buffers. A driver error marks the device as needing a reset.
    pub fn kick(&mut self, queue: usize, mem: &mut Memory) {
        if self.status & status::DRIVER_OK == 0 || self.status & status::DEVICE_NEEDS_RESET != 0 {
            return;
        }
        match self.device.process(queue, &mut self.queues, mem) {
            Ok(true) => self.interrupt_status |= INT_USED_BUFFER,
            Ok(false) => {}
            Err(_) => {
                self.status |= status::DEVICE_NEEDS_RESET;
                self.interrupt_status |= INT_CONFIG_CHANGE;
            }
        }
    }

    /// Retries every queue, for devices whose input arrived from outside.
    pub fn kick_all(&mut self, mem: &mut Memory) {
        for q in 0..self.queues.len() {
            self.kick(q, mem);
        }
    }

    /// Device reset, as when the driver writes 0 to the status register.
    pub fn reset(&mut self) {
        self.queues.iter_mut().for_each(Queue::reset);
        self.queue_sel = 0;
        self.device_features_sel = 0;
        self.driver_features_sel = 0;
        self.driver_features = 0;
        self.status = 0;
        self.interrupt_status = 0;
        self.device.reset();
    }

    /// A 32-bit (or narrower, for configuration space) load at `offset`.
    pub fn read(&mut self, offset: u64, size: u8) -> u64 {
        if offset >= 0x100 {
            let mut buf = [0u8; 8];
            let n = usize::from(size.min(8));
            self.device.read_config(offset - 0x100, &mut buf[..n]);
            return u64::from_le_bytes(buf);
        }
        if size != 4 {
            return 0;
        }
        let q = self.queues.get(self.queue_sel as usize);
        let v: u32 = match offset {
            0x000 => MAGIC,
            0x004 => 2,
            0x008 => self.device.device_id(),
            0x00c => VENDOR,
            0x010 => match self.device_features_sel {
                0 => self.offered_features() as u32,
                1 => (self.offered_features() >> 32) as u32,
                _ => 0,
            },
            0x034 => q.map_or(0, |_| u32::from(MAX_QUEUE_SIZE)),
            0x044 => q.map_or(0, |q| u32::from(q.ready)),
            0x060 => self.interrupt_status,
            0x070 => self.status,
            0x0b0 | 0x0b4 => u32::MAX, // no shared memory regions: length -1
            0x0fc => self.config_generation,
            _ => 0,
        };
        u64::from(v)
    }

    /// A store at `offset`. Returns the queue the driver notified, if the store was a
    /// notification: the caller runs [`MmioTransport::kick`] with guest memory right after
    /// the storing instruction (the hart holds memory while it executes).
    pub fn write(&mut self, offset: u64, size: u8, value: u64) -> Option<usize> {
        if offset >= 0x100 {
            let n = usize::from(size.min(8));
            self.device
                .write_config(offset - 0x100, &value.to_le_bytes()[..n]);
            self.config_generation = self.config_generation.wrapping_add(1);
            return None;
        }
        if size != 4 {
            return None;
        }
        let v = value as u32;
        let set_low = |r: &mut u64, v: u32| *r = (*r & !0xffff_ffff) | u64::from(v);
        let set_high = |r: &mut u64, v: u32| *r = (*r & 0xffff_ffff) | (u64::from(v) << 32);
        // Queue registers may only change while the queue is not ready (§4.2.2.3).
        let configurable = self.selected().is_some_and(|q| !q.ready);
        match offset {
            0x014 => self.device_features_sel = v,
            0x020 => match self.driver_features_sel {
                0 => set_low(&mut self.driver_features, v),
                1 => set_high(&mut self.driver_features, v),
                _ => {}
            },
            0x024 => self.driver_features_sel = v,
            0x030 => self.queue_sel = v,
            0x038 if configurable => {
                if let Some(q) = self.selected() {
                    // Sizes must be powers of two no larger than the maximum; others disable it.
                    q.size = if v.is_power_of_two() && v <= u32::from(MAX_QUEUE_SIZE) {
                        v as u16
                    } else {
                        0
                    };
                }
            }
            0x044 => {
                if let Some(q) = self.selected() {
                    q.ready = v & 1 == 1;
                }
            }
            0x050 => return Some(v as usize),
            0x064 => self.interrupt_status &= !v,
            0x070 => self.write_status(v),
            0x080 if configurable => self
                .selected()
                .into_iter()
                .for_each(|q| set_low(&mut q.desc, v)),
            0x084 if configurable => self
                .selected()
                .into_iter()
                .for_each(|q| set_high(&mut q.desc, v)),
            0x090 if configurable => self
                .selected()
                .into_iter()
                .for_each(|q| set_low(&mut q.avail, v)),
            0x094 if configurable => self
                .selected()
                .into_iter()
                .for_each(|q| set_high(&mut q.avail, v)),
            0x0a0 if configurable => self
                .selected()
                .into_iter()
                .for_each(|q| set_low(&mut q.used, v)),
            0x0a4 if configurable => self
                .selected()
                .into_iter()
                .for_each(|q| set_high(&mut q.used, v)),
            _ => {}
        }
        None
    }

    fn write_status(&mut self, v: u32) {
        if v == 0 {
            self.reset();
            return;
        }
        let mut v = v;
        if v & status::FEATURES_OK != 0 && self.status & status::FEATURES_OK == 0 {
            // Accept only a subset of what was offered, and only the modern interface.
            let ok = self.driver_features & !self.offered_features() == 0
                && self.driver_features & F_VERSION_1 != 0;
            if !ok {
                v &= !status::FEATURES_OK;
            }
        }
        self.status = v | (self.status & status::DEVICE_NEEDS_RESET);
    }

    /// Feature bits the driver accepted.
    pub fn driver_features(&self) -> u64 {
        self.driver_features
    }
}
/// A transport's state as plain data: its registers, its queues and its device's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportState<S> {
    /// The device's own state.
    pub device: S,
    /// One state per queue of the device.
    pub queues: Vec<QueueState>,
    /// `QueueSel`.
    pub queue_sel: u32,
    /// `DeviceFeaturesSel`.
    pub device_features_sel: u32,
    /// `DriverFeaturesSel`.
    pub driver_features_sel: u32,
    /// The features the driver wrote.
    pub driver_features: u64,
    /// The device status.
    pub status: u32,
    /// `InterruptStatus`.
    pub interrupt_status: u32,
    /// `ConfigGeneration`.
    pub config_generation: u32,
}

impl<D: VirtioDevice + Persist> Persist for MmioTransport<D> {
    type State = TransportState<D::State>;
    type ConstructorArgs = D::ConstructorArgs;

    fn save(&self) -> Self::State {
        TransportState {
            device: self.device.save(),
            queues: self.queues.iter().map(Queue::save).collect(),
            queue_sel: self.queue_sel,
            device_features_sel: self.device_features_sel,
            driver_features_sel: self.driver_features_sel,
            driver_features: self.driver_features,
            status: self.status,
            interrupt_status: self.interrupt_status,
            config_generation: self.config_generation,
        }
    }

    /// Rebuilds the device, then the queues (exactly as many as the device has).
    fn restore(args: D::ConstructorArgs, s: &Self::State) -> Result<Self, StateError> {
        let device = D::restore(args, &s.device)?;
        if s.queues.len() != device.queue_count() {
            return Err(StateError::new(
                "virtio-mmio",
                format!(
                    "{} queues saved for a device with {}",
                    s.queues.len(),
                    device.queue_count()
                ),
            ));
        }
        if s.interrupt_status & !(INT_USED_BUFFER | INT_CONFIG_CHANGE) != 0 {
            return Err(StateError::new(
                "virtio-mmio",
                format!(
                    "interrupt status {:#x} has undefined bits",
                    s.interrupt_status
                ),
            ));
        }
        let queues = s
            .queues
            .iter()
            .map(|q| Queue::restore((), q))
            .collect::<Result<_, _>>()?;
        Ok(MmioTransport {
            device,
            queues,
            queue_sel: s.queue_sel,
            device_features_sel: s.device_features_sel,
            driver_features_sel: s.driver_features_sel,
            driver_features: s.driver_features,
            status: s.status,
            interrupt_status: s.interrupt_status,
            config_generation: s.config_generation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Net, MAX_FRAME};
    use crate::rng::{Entropy, POOL_LIMIT};

    #[test]
    fn a_transport_round_trips_with_its_registers_queues_and_device() {
        let mut t = MmioTransport::new(Net::new([2, 0, 0, 0, 0, 1]));
        t.write(0x030, 4, 1);
        t.write(0x038, 4, 128);
        t.write(0x080, 4, 0x8000_0000);
        t.write(0x070, 4, u64::from(status::ACKNOWLEDGE | status::DRIVER));
        t.device_mut().receive(b"frame");
        let state = t.save();
        let restored = MmioTransport::<Net>::restore([2, 0, 0, 0, 0, 1], &state).unwrap();
        assert_eq!(restored.save(), state);
        assert_eq!(restored.device().mac(), [2, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn restored_states_beyond_the_devices_limits_are_refused() {
        let t = MmioTransport::new(Net::new([0; 6]));
        let mut state = t.save();
        state.queues.pop();
        assert!(
            MmioTransport::<Net>::restore([0; 6], &state).is_err(),
            "queue count"
        );
        let mut state = t.save();
        state.interrupt_status = 4;
        assert!(
            MmioTransport::<Net>::restore([0; 6], &state).is_err(),
            "interrupt bits"
        );
        let mut state = t.save();
        state.device.backlog.push(vec![0; MAX_FRAME + 1]);
        assert!(
            MmioTransport::<Net>::restore([0; 6], &state).is_err(),
            "frame length"
        );
        let mut state = MmioTransport::new(Entropy::new()).save();
        state.device.pool = vec![0; POOL_LIMIT + 1];
        assert!(
            MmioTransport::<Entropy>::restore((), &state).is_err(),
            "pool size"
        );
    }
}
