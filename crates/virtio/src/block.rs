//! virtio-blk (virtio 1.2 §5.2): a disk over a [`DiskBackend`].
//!
//! Requests complete synchronously, inside the queue notification that submitted them, so a
//! disk read is a pure function of the machine state (the disk contents are part of it) and
//! never of host timing.

use rv64::persist::{Persist, StateError};
use rv64::Memory;

use crate::mmio::VirtioDevice;
use crate::queue::{Chain, Queue, QueueError};

/// Sector size of the virtio-blk protocol.
pub const SECTOR: u64 = 512;

const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;
const T_GET_ID: u32 = 8;

const S_OK: u8 = 0;
const S_IOERR: u8 = 1;
const S_UNSUPP: u8 = 2;

/// VIRTIO_BLK_F_SEG_MAX: the config space states the most buffers per request.
const F_SEG_MAX: u64 = 1 << 2;
/// VIRTIO_BLK_F_RO: the disk is read-only.
const F_RO: u64 = 1 << 5;
/// VIRTIO_BLK_F_BLK_SIZE: the config space states the block size.
const F_BLK_SIZE: u64 = 1 << 6;
/// VIRTIO_BLK_F_FLUSH: cache flush command.
const F_FLUSH: u64 = 1 << 9;

/// Storage behind a block device: the host side (a file, an overlay) implements it.
pub trait DiskBackend {
    /// Size in bytes (a multiple of 512).
    fn len(&self) -> u64;
    /// True if the disk has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Reads `buf.len()` bytes at byte `offset`.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;
    /// Writes `data` at byte `offset`.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()>;
    /// Makes every completed write durable.
    fn flush(&mut self) -> std::io::Result<()>;
}

impl<D: DiskBackend + ?Sized> DiskBackend for Box<D> {
    fn len(&self) -> u64 {
        (**self).len()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        (**self).read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        (**self).write_at(offset, data)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        (**self).flush()
    }
}

/// A disk held in host memory: for tests, fuzzing and throw-away disks. Accesses past its
/// end are errors, as a file's would be.
impl DiskBackend for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|at| self.get(at..at.checked_add(buf.len())?))
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let dst = usize::try_from(offset)
            .ok()
            .and_then(|at| self.get_mut(at..at.checked_add(data.len())?))
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        dst.copy_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A virtio block device.
pub struct Block<B> {
    backend: B,
    read_only: bool,
    serial: [u8; 20],
}

impl<B: DiskBackend> Block<B> {
    /// A device serving `backend`; `serial` is reported by GET_ID (truncated to 20 bytes).
    pub fn new(backend: B, read_only: bool, serial: &str) -> Self {
        let mut id = [0u8; 20];
        let n = serial.len().min(20);
        id[..n].copy_from_slice(&serial.as_bytes()[..n]);
        Block {
            backend,
            read_only,
            serial: id,
        }
    }

    /// The backend, for inspection.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The backend (to flush or inspect it).
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// Executes one request; returns the status byte and the bytes written to the driver's
    /// data buffers. Guest mistakes give an error status, never a host error.
    fn execute(&mut self, chain: &Chain, mem: &mut Memory) -> Result<(u8, u32), QueueError> {
        let bufs = &chain.buffers;
        // Layout: a readable 16-byte header, data buffers, a writable status byte at the end.
        let (Some(first), Some(last)) = (bufs.first(), bufs.last()) else {
            return Ok((S_IOERR, 0));
        };
        if first.writable || first.len < 16 || !last.writable || last.len < 1 || bufs.len() < 2 {
            return Ok((S_IOERR, 0));
        }
        let mut header = [0u8; 16];
        mem.read(first.addr, &mut header)
            .map_err(|_| QueueError::OutOfRange(first.addr))?;
        let kind = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let sector = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
        let data = &bufs[1..bufs.len() - 1];
        let status_is_alone = last.len == 1;
        // A data segment may share the status buffer's descriptor only in legacy layouts; we
        // require the usual separate one-byte status.
        if !status_is_alone {
            return Ok((S_IOERR, 0));
        }
        let total: u64 = data.iter().map(|b| u64::from(b.len)).sum();
        let in_range = |len: u64| {
            sector
                .checked_mul(SECTOR)
                .and_then(|start| start.checked_add(len))
                .is_some_and(|end| end <= self.backend.len())
        };
        match kind {
            T_IN => {
                if data.iter().any(|b| !b.writable)
                    || !total.is_multiple_of(SECTOR)
                    || !in_range(total)
                {
                    return Ok((S_IOERR, 0));
                }
                let mut offset = sector * SECTOR;
                let mut written = 0u32;
                for b in data {
                    let mut buf = vec![0u8; b.len as usize];
                    if self.backend.read_at(offset, &mut buf).is_err() {
                        return Ok((S_IOERR, written));
                    }
                    mem.write(b.addr, &buf)
                        .map_err(|_| QueueError::OutOfRange(b.addr))?;
                    offset += u64::from(b.len);
                    written += b.len;
                }
                Ok((S_OK, written))
            }
            T_OUT => {
                if self.read_only {
                    return Ok((S_IOERR, 0));
                }
                if data.iter().any(|b| b.writable)
                    || !total.is_multiple_of(SECTOR)
                    || !in_range(total)
                {
                    return Ok((S_IOERR, 0));
                }
                let mut offset = sector * SECTOR;
                for b in data {
                    let mut buf = vec![0u8; b.len as usize];
                    mem.read(b.addr, &mut buf)
                        .map_err(|_| QueueError::OutOfRange(b.addr))?;
                    if self.backend.write_at(offset, &buf).is_err() {
                        return Ok((S_IOERR, 0));
                    }
                    offset += u64::from(b.len);
                }
                Ok((S_OK, 0))
            }
            T_FLUSH => Ok((
                if self.backend.flush().is_ok() {
                    S_OK
                } else {
                    S_IOERR
                },
                0,
            )),
            T_GET_ID => {
                let Some(b) = data.first().filter(|b| b.writable) else {
                    return Ok((S_IOERR, 0));
                };
                let n = (b.len as usize).min(self.serial.len());
                mem.write(b.addr, &self.serial[..n])
                    .map_err(|_| QueueError::OutOfRange(b.addr))?;
                Ok((S_OK, n as u32))
            }
            _ => Ok((S_UNSUPP, 0)),
        }
    }
}

impl<B: DiskBackend> VirtioDevice for Block<B> {
    fn device_id(&self) -> u32 {
        2
    }

    fn features(&self) -> u64 {
        F_SEG_MAX | F_BLK_SIZE | F_FLUSH | if self.read_only { F_RO } else { 0 }
    }

    fn queue_count(&self) -> usize {
        1
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        // struct virtio_blk_config: capacity (u64 sectors), size_max (u32), seg_max (u32),
        // geometry (4 bytes), blk_size (u32).
        let mut config = [0u8; 24];
        config[0..8].copy_from_slice(&(self.backend.len() / SECTOR).to_le_bytes());
        config[12..16]
            .copy_from_slice(&(u32::from(crate::queue::MAX_QUEUE_SIZE) - 2).to_le_bytes());
        config[20..24].copy_from_slice(&(SECTOR as u32).to_le_bytes());
        copy_config(&config, offset, data);
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
        while let Some(chain) = q.pop(mem)? {
            let (status, written) = self.execute(&chain, mem)?;
            if let Some(last) = chain.buffers.last().filter(|b| b.writable && b.len >= 1) {
                mem.write(last.addr + u64::from(last.len) - 1, &[status])
                    .map_err(|_| QueueError::OutOfRange(last.addr))?;
            }
            notify |= q.push_used(mem, chain.head, written + 1)?;
        }
        Ok(notify)
    }

    fn reset(&mut self) {}
}

/// Copies the part of `config` at `offset` into `data`, zero past its end.
pub(crate) fn copy_config(config: &[u8], offset: u64, data: &mut [u8]) {
    for (i, byte) in data.iter_mut().enumerate() {
        *byte = usize::try_from(offset)
            .ok()
            .and_then(|o| o.checked_add(i))
            .and_then(|o| config.get(o))
            .copied()
            .unwrap_or(0);
    }
}

/// An in-memory disk, for tests.
/// The block device's state as plain data. The disk's contents live in its backend; a
/// snapshot stores them separately (the machine's `DISK` section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockState {
    /// Whether the guest was offered a read-only disk.
    pub read_only: bool,
    /// The serial number the guest reads with `VIRTIO_BLK_T_GET_ID`.
    pub serial: [u8; 20],
}

impl<B: DiskBackend> Persist for Block<B> {
    type State = BlockState;
    /// The backend, and whether it is read-only.
    type ConstructorArgs = (B, bool);

    fn save(&self) -> BlockState {
        BlockState {
            read_only: self.read_only,
            serial: self.serial,
        }
    }

    /// Refuses a state whose guest saw a different write permission than `args` offer.
    fn restore((backend, read_only): (B, bool), s: &BlockState) -> Result<Self, StateError> {
        if s.read_only != read_only {
            return Err(StateError::new(
                "virtio-blk",
                format!(
                    "the guest saw a {} disk",
                    if s.read_only { "read-only" } else { "writable" }
                ),
            ));
        }
        Ok(Block {
            backend,
            read_only,
            serial: s.serial,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::testing::DriverQueue;

    const RAM: u64 = 0x8000_0000;

    fn setup() -> (Memory, DriverQueue, Block<Vec<u8>>) {
        let mem = Memory::new(RAM, 0x10_0000).unwrap();
        let mut disk = vec![0u8; 8 * 512];
        disk[512..517].copy_from_slice(b"hello");
        (
            mem,
            DriverQueue::new(RAM, 16),
            Block::new(disk, false, "vmft-disk"),
        )
    }

    fn status(m: &Memory) -> u8 {
        let mut s = [0xffu8];
        m.read(RAM + 0x3000, &mut s).unwrap();
        s[0]
    }

    /// Submits a request of `kind` at `sector`: the header at 0x1000, an optional data
    /// buffer `(len, device-writable)` at 0x2000 and the status byte at 0x3000. Runs the
    /// device; returns the status byte and whether the driver gets an interrupt.
    fn submit(
        m: &mut Memory,
        dq: &mut DriverQueue,
        blk: &mut Block<Vec<u8>>,
        kind: u32,
        sector: u64,
        data: Option<(u32, bool)>,
    ) -> (u8, bool) {
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&kind.to_le_bytes());
        h[8..16].copy_from_slice(&sector.to_le_bytes());
        m.write(RAM + 0x1000, &h).unwrap();
        let mut bufs = vec![(RAM + 0x1000, 16, false)];
        bufs.extend(data.map(|(len, writable)| (RAM + 0x2000, len, writable)));
        bufs.push((RAM + 0x3000, 1, true));
        dq.publish(m, &bufs);
        let notify = blk
            .process(0, std::slice::from_mut(&mut dq.queue), m)
            .unwrap();
        (status(m), notify)
    }

    #[test]
    fn spec_5_2_6_read_returns_sector_data_and_ok() {
        let (mut m, mut dq, mut blk) = setup();
        let (status, notify) = submit(&mut m, &mut dq, &mut blk, T_IN, 1, Some((512, true)));
        assert_eq!((status, notify), (S_OK, true));
        let mut out = [0u8; 5];
        m.read(RAM + 0x2000, &mut out).unwrap();
        assert_eq!(&out, b"hello");
        assert_eq!(dq.used_entry(&m, 0).1, 513);
    }

    #[test]
    fn spec_5_2_6_write_reaches_the_backend() {
        let (mut m, mut dq, mut blk) = setup();
        m.write(RAM + 0x2000, &[7u8; 512]).unwrap();
        let (status, _) = submit(&mut m, &mut dq, &mut blk, T_OUT, 2, Some((512, false)));
        assert_eq!(status, S_OK);
        assert!(blk.backend[1024..1536].iter().all(|&b| b == 7));
    }

    #[test]
    fn a_request_past_the_end_of_the_disk_gets_ioerr() {
        let (mut m, mut dq, mut blk) = setup();
        let past_end = submit(&mut m, &mut dq, &mut blk, T_IN, 7, Some((1024, true)));
        assert_eq!(past_end.0, S_IOERR);
        let overflowing = u64::MAX / 256;
        let wrapped = submit(
            &mut m,
            &mut dq,
            &mut blk,
            T_IN,
            overflowing,
            Some((512, true)),
        );
        assert_eq!(wrapped.0, S_IOERR);
    }

    #[test]
    fn write_to_a_read_only_disk_gets_ioerr_and_changes_nothing() {
        let (mut m, mut dq, _) = setup();
        let mut blk = Block::new(vec![0u8; 4096], true, "ro");
        assert_ne!(blk.features() & F_RO, 0);
        m.write(RAM + 0x2000, &[9u8; 512]).unwrap();
        let (status, _) = submit(&mut m, &mut dq, &mut blk, T_OUT, 0, Some((512, false)));
        assert_eq!(status, S_IOERR);
        assert!(blk.backend.iter().all(|&b| b == 0));
    }

    #[test]
    fn unknown_request_types_are_unsupported_and_get_id_returns_the_serial() {
        let (mut m, mut dq, mut blk) = setup();
        assert_eq!(submit(&mut m, &mut dq, &mut blk, 99, 0, None).0, S_UNSUPP);
        let (status, _) = submit(&mut m, &mut dq, &mut blk, T_GET_ID, 0, Some((20, true)));
        assert_eq!(status, S_OK);
        let mut id = [0u8; 9];
        m.read(RAM + 0x2000, &mut id).unwrap();
        assert_eq!(&id, b"vmft-disk");
    }

    #[test]
    fn a_malformed_chain_gets_ioerr_not_a_panic() {
        let (mut m, mut dq, mut blk) = setup();
        // Header too short and writable.
        dq.publish(&mut m, &[(RAM + 0x1000, 4, true), (RAM + 0x3000, 1, true)]);
        blk.process(0, std::slice::from_mut(&mut dq.queue), &mut m)
            .unwrap();
        assert_eq!(status(&m), S_IOERR);
    }

    #[test]
    fn config_space_reports_capacity_in_sectors() {
        let (_, _, blk) = setup();
        let mut cap = [0u8; 8];
        blk.read_config(0, &mut cap);
        assert_eq!(u64::from_le_bytes(cap), 8);
        let mut past = [0xffu8; 4];
        blk.read_config(1000, &mut past);
        assert_eq!(past, [0; 4]);
    }
}
