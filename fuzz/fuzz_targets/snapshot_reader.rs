//! Feeds arbitrary bytes to `Machine::restore_snapshot` for a small machine with every device.
//! The reader must never panic nor allocate without bound, and whatever it accepts must
//! describe a machine that runs and saves again.
//!
//! The first input byte selects the mode. Bit 0 clear: the rest of the input is the snapshot
//! (with its checksum rewritten to match when bit 1 is set). Bit 0 set: the rest is a list of
//! edits `(offset u16, xor byte)` applied to a valid snapshot of the machine, whose checksum
//! is then rewritten, so that the fuzzer spends its time in the sections' decoders.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use machine::{Devices, Machine, MachineConfig, Program, RunExit};

const RAM: u64 = 64 * 1024;
const DISK: usize = 16 * 1024;

/// A program that counts in a0, stores it to RAM and prints to the UART, forever.
fn program() -> Program {
    let words: [u32; 6] = [
        0x0015_0513, // addi a0, a0, 1
        0x1000_02b7, // lui t0, 0x10000
        0x0000_0317, // auipc t1, 0
        0x40a3_3023, // sd a0, 1024(t1)
        0x00a2_8023, // sb a0, 0(t0)
        0xfedf_f06f, // j -20
    ];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    Program::parse(&bytes).expect("a raw binary")
}

fn devices() -> Devices {
    Devices {
        disk: Some((Box::new(vec![0u8; DISK]), false)),
        net: Some([2, 0, 0, 0, 0, 1]),
        entropy: true,
    }
}

fn config() -> MachineConfig {
    MachineConfig { ram_size: RAM }
}

/// A valid snapshot of the machine after it has run a little and taken some input.
fn valid() -> &'static [u8] {
    static SNAPSHOT: OnceLock<Vec<u8>> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let mut m = Machine::with_devices(config(), program(), devices()).expect("machine");
        m.inject(machine::InputEvent::ConsoleBytes(b"in".to_vec()));
        m.inject(machine::InputEvent::NetFrame(b"frame".to_vec()));
        m.inject(machine::InputEvent::Entropy(vec![1, 2, 3]));
        assert_eq!(m.run(1000), RunExit::Limit);
        let mut out = Vec::new();
        m.save_snapshot(&mut out).expect("save");
        out
    })
}

fn fix_crc(bytes: &mut [u8]) {
    if bytes.len() >= 4 {
        let body = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut snapshot = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        let mut s = valid().to_vec();
        for edit in rest.chunks_exact(3) {
            let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % s.len();
            s[at] ^= edit[2];
        }
        s
    };
    if mode & 3 != 0 {
        fix_crc(&mut snapshot);
    }
    let Ok(mut m) = Machine::restore_snapshot(config(), program(), devices(), &snapshot[..]) else {
        return;
    };
    let mut again = Vec::new();
    m.save_snapshot(&mut again)
        .expect("a restored machine saves");
    let _ = m.digest();
    let _ = m.run(m.position().saturating_add(200));
});
