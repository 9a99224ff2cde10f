//! Plays a misbehaving guest driver against the virtio-mmio transport of each device: the
//! input is a script of register writes, register reads, RAM writes (descriptor tables,
//! rings, buffers), notifications and host input. Whatever the driver does — loops in
//! descriptor chains, buffers outside RAM, rings that wrap, resets at any moment — the
//! device must never panic, and anything it writes stays inside guest RAM (`Memory` refuses
//! the rest).
//!
//! Script bytes: the first selects the device (block, net, entropy); then each operation
//! starts with an opcode byte:
//! - 0: register write: offset byte (× 4), value u32;
//! - 1: register read: offset byte (× 4);
//! - 2: RAM write: address u16, length byte, that many data bytes;
//! - 3: notify: queue byte (a write to QueueNotify);
//! - 4: host input: a frame to the net device / entropy to the rng (length byte, data).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rv64::Memory;
use virtio::{Block, Entropy, MmioTransport, Net, VirtioDevice};

const RAM_BASE: u64 = 0x8000_0000;
const RAM: u64 = 64 * 1024;
const QUEUE_NOTIFY: u64 = 0x50;

/// Reads the script.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Runs `script` against `transport`; `input` hands host input to the device.
fn drive<D: VirtioDevice>(
    mut transport: MmioTransport<D>,
    mut script: Script<'_>,
    input: impl Fn(&mut D, &[u8]),
) -> Option<()> {
    let mut mem = Memory::new(RAM_BASE, RAM).expect("RAM");
    loop {
        match script.u8()? % 5 {
            0 => {
                let offset = u64::from(script.u8()?) * 4;
                let value = script.u32()?;
                if let Some(queue) = transport.write(offset, 4, u64::from(value)) {
                    transport.kick(queue, &mut mem);
                }
            }
            1 => {
                let offset = u64::from(script.u8()?) * 4;
                transport.read(offset, 4);
            }
            2 => {
                let addr = RAM_BASE + u64::from(script.u16()?);
                let len = usize::from(script.u8()?);
                let data = script.bytes(len)?;
                let _ = mem.write(addr, data);
            }
            3 => {
                let queue = script.u8()?;
                if let Some(queue) = transport.write(QUEUE_NOTIFY, 4, u64::from(queue)) {
                    transport.kick(queue, &mut mem);
                }
            }
            _ => {
                let len = usize::from(script.u8()?);
                let data = script.bytes(len)?;
                input(transport.device_mut(), data);
                transport.kick_all(&mut mem);
            }
        }
        transport.interrupt_pending();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&device, rest)) = data.split_first() else {
        return;
    };
    let script = Script(rest);
    match device % 3 {
        0 => {
            let disk = vec![0u8; 8192];
            let block = Block::new(disk, device & 4 != 0, "fuzz");
            drive(MmioTransport::new(block), script, |_, _| {});
        }
        1 => {
            let net = Net::new([2, 0, 0, 0, 0, 1]);
            drive(MmioTransport::new(net), script, |net, frame| {
                net.receive(frame)
            });
        }
        _ => {
            drive(MmioTransport::new(Entropy::new()), script, |rng, bytes| {
                rng.add_entropy(bytes)
            });
        }
    }
});
