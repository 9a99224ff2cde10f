use std::time::{Duration, Instant};

use machine::{Devices, InputEvent, MachineConfig, Program, RunExit, SLICE_INSTRUCTIONS};

use super::*;

// A tiny RV64I encoder for the guest below.
const ZERO: u32 = 0;
const S0: u32 = 8;
const S1: u32 = 9;
const A0: u32 = 10;
const S2: u32 = 18;
const S3: u32 = 19;
const S4: u32 = 20;
const S5: u32 = 21;
const T0: u32 = 5;
const T1: u32 = 6;
const T2: u32 = 7;
const T3: u32 = 28;
const T4: u32 = 29;
const T5: u32 = 30;
const T6: u32 = 31;

fn r_type(funct3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | 0x33
}
fn i_type(opcode: u32, funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode
}
fn s_type(funct3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 5 & 0x7f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (funct3 << 12)
        | ((imm & 0x1f) << 7)
        | 0x23
}
fn lui(rd: u32, upper: u32) -> u32 {
    (upper << 12) | (rd << 7) | 0x37
}
fn auipc(rd: u32) -> u32 {
    (rd << 7) | 0x17
}
fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r_type(0, rd, rs1, rs2)
}
fn xor(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r_type(4, rd, rs1, rs2)
}
fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 0, rd, rs1, imm)
}
fn andi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 7, rd, rs1, imm)
}
fn slli(rd: u32, rs1: u32, shamt: i32) -> u32 {
    i_type(0x13, 1, rd, rs1, shamt)
}
fn srli(rd: u32, rs1: u32, shamt: i32) -> u32 {
    i_type(0x13, 5, rd, rs1, shamt)
}
fn lbu(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x03, 4, rd, rs1, imm)
}
fn sb(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(0, rs2, rs1, imm)
}
fn sw(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(2, rs2, rs1, imm)
}
fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(3, rs2, rs1, imm)
}
fn beq(rs1: u32, rs2: u32, offset: i32) -> u32 {
    let o = offset as u32;
    ((o >> 12 & 1) << 31)
        | ((o >> 5 & 0x3f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | ((o >> 1 & 0xf) << 8)
        | ((o >> 11 & 1) << 7)
        | 0x63
}
fn j(offset: i32) -> u32 {
    let o = offset as u32;
    ((o >> 20 & 1) << 31) | ((o >> 1 & 0x3ff) << 21) | ((o >> 11 & 1) << 20) | (o & 0xff000) | 0x6f
}

/// Offset of the command pages from the start of RAM: console byte `c` stores `c` at the
/// start of command page `c & 0xf`.
const COMMANDS: u64 = 2 << 20;
/// The virtqueue, request header, status byte and data buffer, from the start of RAM.
const QUEUE: u64 = 0x1000;
const RAM: u64 = 4 << 20;
const DISK: usize = 64 * 1024;

/// A guest that, with `busy`, stores a counter at pseudo-random places in the 256 pages from
/// 1 MiB on; and for each console byte `c` stores `c` at command page `c & 0xf` and, if
/// `c & 0x10`, writes a sector holding `c & 0xe0` then zeros to the start of disk block
/// `c & 0xf` with virtio-blk.
fn program(busy: bool) -> Program {
    let mut p = vec![
        auipc(S0),
        lui(S1, 0x10000),
        lui(S2, 0x10001),
        addi(S3, ZERO, 0x5a5),
        addi(T0, ZERO, 8),
        sw(T0, S2, 0x38),
        lui(T1, 1),
        add(T1, S0, T1),
        sw(T1, S2, 0x80),
        addi(T0, T1, 0x100),
        sw(T0, S2, 0x90),
        addi(T0, T1, 0x200),
        sw(T0, S2, 0xa0),
        addi(T0, ZERO, 1),
        sw(T0, S2, 0x44),
        addi(T0, ZERO, 7),
        sw(T0, S2, 0x70),
        lui(T6, 0x100),
        add(T6, S0, T6),
        lui(T5, 0x200),
        add(T5, S0, T5),
    ];
    let top = p.len();
    if busy {
        p.extend([
            slli(T0, S3, 13),
            xor(S3, S3, T0),
            srli(T0, S3, 7),
            xor(S3, S3, T0),
            slli(T0, S3, 17),
            xor(S3, S3, T0),
            addi(S4, S4, 1),
            srli(T0, S3, 20),
            andi(T0, T0, 0xff),
            slli(T0, T0, 12),
            andi(T1, S3, 0x7f8),
            add(T0, T0, T1),
            add(T0, T0, T6),
            sd(S4, T0, 0),
        ]);
    }
    let back = |p: &Vec<u32>| -4 * (p.len() - top) as i32;
    p.extend([lbu(T0, S1, 5), andi(T0, T0, 1)]);
    p.push(beq(T0, ZERO, back(&p)));
    p.extend([
        lbu(A0, S1, 0),
        andi(T1, A0, 0xf),
        slli(T1, T1, 12),
        add(T1, T1, T5),
        sb(A0, T1, 0),
        andi(T2, A0, 0x10),
    ]);
    p.push(beq(T2, ZERO, back(&p)));
    p.extend([
        lui(T3, 1),
        add(T3, S0, T3),
        andi(T4, A0, 0xe0),
        sb(T4, T3, 0x400),
        andi(T1, A0, 0xf),
        slli(T1, T1, 3),
        sd(T1, T3, 0x308),
        addi(S5, S5, 1),
        slli(T1, S5, 16),
        sw(T1, T3, 0x100),
        sw(ZERO, S2, 0x50),
    ]);
    p.push(j(back(&p)));
    let mut image: Vec<u8> = p.iter().flat_map(|w| w.to_le_bytes()).collect();
    assert!(image.len() <= QUEUE as usize);
    image.resize(QUEUE as usize + 0x600, 0);
    let base = RAM_BASE + QUEUE;
    // Descriptors: the request header, the data buffer, the status byte (device-writable).
    for (i, (addr, len, flags, next)) in [
        (base + 0x300, 16u32, 1u16, 1u16),
        (base + 0x400, 512, 1, 2),
        (base + 0x310, 1, 2, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let d = QUEUE as usize + 16 * i;
        image[d..d + 8].copy_from_slice(&addr.to_le_bytes());
        image[d + 8..d + 12].copy_from_slice(&len.to_le_bytes());
        image[d + 12..d + 14].copy_from_slice(&flags.to_le_bytes());
        image[d + 14..d + 16].copy_from_slice(&next.to_le_bytes());
    }
    image[QUEUE as usize + 0x300] = 1; // VIRTIO_BLK_T_OUT
    Program::parse(&image).unwrap()
}

fn config(ram_size: u64) -> MachineConfig {
    MachineConfig { ram_size }
}

fn devices(disk: Vec<u8>) -> Devices {
    Devices {
        disk: Some((Box::new(disk), false)),
        net: None,
        entropy: false,
    }
}

/// A disk with data in blocks 2, 3 (its first byte only) and 9.
fn disk_image() -> Vec<u8> {
    let mut disk = vec![0u8; DISK];
    disk[2 * PAGE..3 * PAGE].fill(0x42);
    disk[3 * PAGE] = 0x77;
    disk[9 * PAGE + 100..9 * PAGE + 200].copy_from_slice(&[9; 100]);
    disk
}

fn machine(busy: bool) -> Machine {
    Machine::with_devices(config(RAM), program(busy), devices(disk_image())).unwrap()
}

fn run_to(m: &mut Machine, position: u64) {
    while m.position() < position {
        match m.run(position) {
            RunExit::Slice | RunExit::Limit => {}
            exit => panic!("unexpected exit {exit:?}"),
        }
    }
}

/// Types `c` on the console and runs until the guest has acted on it.
fn command(m: &mut Machine, c: u8) {
    m.inject(InputEvent::ConsoleBytes(vec![c]));
    let at = m.position();
    run_to(m, at + 2_000);
}

fn disk_of(m: &mut Machine) -> Vec<u8> {
    let mut disk = vec![0; m.disk_len().unwrap() as usize];
    m.read_disk(0, &mut disk).unwrap();
    disk
}

fn ram_page(m: &Machine, page: usize) -> &[u8] {
    m.memory()
        .slice(RAM_BASE + (page * PAGE) as u64, PAGE)
        .unwrap()
}

const COMMAND_PAGE: usize = COMMANDS as usize / PAGE;

/// The receiving side, applying every chunk through its encoding.
struct Receiver {
    ram: RamImage,
    disk: DiskImage<Vec<u8>>,
    bytes: usize,
}

impl Receiver {
    fn new() -> Receiver {
        Receiver {
            ram: RamImage::new(RAM),
            disk: DiskImage::new(vec![0; DISK]),
            bytes: 0,
        }
    }

    fn take(&mut self, chunk: &Chunk) {
        let bytes = chunk.encode();
        self.bytes += bytes.len();
        let applied = match chunk.kind() {
            ChunkKind::Ram => self.ram.apply(&bytes).unwrap(),
            ChunkKind::Disk => self.disk.apply(&bytes).unwrap(),
        };
        assert_eq!(&applied, chunk);
    }

    /// Stop-and-copy from `m`, then the machine the receiver builds.
    fn finish(
        mut self,
        m: &mut Machine,
        busy: bool,
        ram: &mut PrecopyRam,
        disk: &mut PrecopyDisk,
    ) -> Machine {
        for chunk in ram.final_chunks(m, 64) {
            self.take(&chunk);
        }
        for chunk in disk.final_chunks(m, 4) {
            self.take(&chunk.unwrap());
        }
        assert_eq!(ram.dirty_pages(m), 0);
        assert_eq!(disk.dirty_blocks(), 0);
        let mut state = Vec::new();
        m.save_state(&mut state).unwrap();
        let disk = self.disk.finish().unwrap();
        Machine::restore_state(
            config(RAM),
            program(busy),
            devices(disk),
            state.as_slice(),
            self.ram.pages(),
        )
        .unwrap()
    }
}

#[test]
fn a_live_precopy_over_several_rounds_restores_a_machine_with_the_same_digest() {
    let mut m = machine(true);
    run_to(&mut m, 100_000);
    let mut ram = PrecopyRam::new(&m);
    let mut disk = PrecopyDisk::new(&mut m).unwrap();
    let mut receiver = Receiver::new();
    let mut slices = 0u64;
    let mut ram_chunks = 0;
    // Run slice by slice, with guest RAM and disk writes between, and copy a little each time.
    while ram.round() < 4 || disk.round() < 3 {
        slices += 1;
        assert!(slices < 2_000, "the pre-copy does not progress");
        if slices.is_multiple_of(3) {
            let c = (slices as u8).wrapping_mul(37) | 0x10;
            m.inject(InputEvent::ConsoleBytes(vec![c]));
        }
        let at = m.position();
        run_to(&mut m, at + SLICE_INSTRUCTIONS);
        if let Some(chunk) = ram.next_chunk(&mut m, 16) {
            assert!(chunk.pages() <= 16);
            receiver.take(&chunk);
            ram_chunks += 1;
        }
        if let Some(chunk) = disk.next_chunk(&mut m, 2).unwrap() {
            receiver.take(&chunk);
        }
    }
    assert!(ram_chunks > 20, "{ram_chunks} chunks");
    let mut restored = receiver.finish(&mut m, true, &mut ram, &mut disk);
    assert_eq!(restored.position(), m.position());
    assert_eq!(restored.digest(), m.digest());
    assert_eq!(disk_of(&mut restored), disk_of(&mut m));
    assert_ne!(disk_of(&mut m), disk_image(), "the guest wrote its disk");
    for c in [0x31u8, 0x15, 0x2a, 0x3f] {
        command(&mut m, c);
        command(&mut restored, c);
        let at = m.position() + 3 * SLICE_INSTRUCTIONS;
        run_to(&mut m, at);
        run_to(&mut restored, at);
        assert_eq!(restored.digest(), m.digest(), "after command {c:#x}");
    }
    assert_eq!(disk_of(&mut restored), disk_of(&mut m));
}

#[test]
fn a_page_changed_back_after_it_was_sent_is_sent_again() {
    let mut m = machine(false);
    run_to(&mut m, 10_000);
    command(&mut m, 0x01); // command page 1 holds 0x01
    let page = COMMAND_PAGE + 1;
    let mut ram = PrecopyRam::new(&m);
    let mut receiver = Receiver::new();
    // Round 0 goes one page at a time: the program's page first, command page 1 later.
    let first = ram.next_chunk(&mut m, 1).unwrap();
    assert_eq!((first.round(), first.entries[0].0), (0, 0));
    receiver.take(&first);
    command(&mut m, 0x41); // changed before round 0 reaches it
    let mut sent_at = None;
    while let Some(chunk) = ram.next_chunk(&mut m, 1) {
        if chunk.entries[0].0 == page as u64 {
            sent_at = Some(chunk.round());
        }
        receiver.take(&chunk);
    }
    assert_eq!(sent_at, Some(0));
    assert_eq!(
        receiver.ram.pages().find(|p| p.0 == page).unwrap().1[0],
        0x41
    );
    command(&mut m, 0x01); // back to what it held when round 0 started
    assert_eq!(ram.dirty_pages(&mut m), 1);
    let chunk = ram.next_chunk(&mut m, 16).unwrap();
    assert_eq!(
        (chunk.round(), chunk.entries.clone()),
        (1, vec![(page as u64, true)])
    );
    receiver.take(&chunk);
    assert_eq!(
        receiver.ram.pages().find(|p| p.0 == page).unwrap().1,
        ram_page(&m, page)
    );
    command(&mut m, 0x01); // the same byte again: the page's contents do not change
    assert_eq!(ram.dirty_pages(&mut m), 0);
    assert!(ram.next_chunk(&mut m, 16).is_none());
}

#[test]
fn a_page_that_becomes_zero_is_sent_as_a_zero_page() {
    let mut m = machine(false);
    run_to(&mut m, 10_000);
    command(&mut m, 0x20); // command page 0 holds 0x20
    let mut ram = PrecopyRam::new(&m);
    let mut receiver = Receiver::new();
    while let Some(chunk) = ram.next_chunk(&mut m, 256) {
        receiver.take(&chunk);
    }
    assert!(receiver.ram.pages().any(|p| p.0 == COMMAND_PAGE));
    command(&mut m, 0x00); // command page 0 is all zeros again
    let chunks: Vec<Chunk> = ram.final_chunks(&mut m, 256).collect();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].entries, [(COMMAND_PAGE as u64, false)]);
    assert_eq!(chunks[0].data_len(), 0);
    receiver.take(&chunks[0]);
    assert!(!receiver.ram.pages().any(|p| p.0 == COMMAND_PAGE));
}

#[test]
fn disk_blocks_written_after_they_were_read_are_sent_again_zeros_as_zero_blocks() {
    let mut m = machine(false);
    run_to(&mut m, 10_000);
    let mut disk = PrecopyDisk::new(&mut m).unwrap();
    let mut receiver = Receiver::new();
    assert_eq!(disk.dirty_blocks(), 16, "all of round 0 is ahead");
    let mut sent = Vec::new();
    while let Some(chunk) = disk.next_chunk(&mut m, 5).unwrap() {
        assert_eq!(chunk.round(), 0);
        sent.extend(chunk.entries.clone());
        receiver.take(&chunk);
    }
    assert_eq!(
        sent,
        [(2, true), (3, true), (9, true)],
        "the non-zero blocks"
    );
    assert_eq!(disk.dirty_blocks(), 0);
    command(&mut m, 0x13); // block 3's first sector: zeros, so the block is all zero
    command(&mut m, 0x3a); // block 10's first sector starts with 0x20
    assert_eq!(disk.dirty_blocks(), 2);
    let chunk = disk.next_chunk(&mut m, 16).unwrap().unwrap();
    assert_eq!(
        (chunk.round(), chunk.entries.clone()),
        (1, vec![(3, false), (10, true)])
    );
    receiver.take(&chunk);
    assert!(disk.next_chunk(&mut m, 16).unwrap().is_none());
    command(&mut m, 0x33); // block 3 written again, after it was sent
    assert_eq!(disk.dirty_blocks(), 1);
    for chunk in disk.final_chunks(&mut m, 16) {
        receiver.take(&chunk.unwrap());
    }
    assert_eq!(receiver.disk.finish().unwrap(), disk_of(&mut m));
}

#[test]
fn the_stop_and_copy_sends_what_an_unfinished_round_has_not() {
    let mut m = machine(true);
    run_to(&mut m, 50_000);
    let mut ram = PrecopyRam::new(&m);
    let mut disk = PrecopyDisk::new(&mut m).unwrap();
    let mut receiver = Receiver::new();
    receiver.take(&ram.next_chunk(&mut m, 3).unwrap());
    receiver.take(&disk.next_chunk(&mut m, 3).unwrap().unwrap());
    command(&mut m, 0x12);
    let at = m.position() + SLICE_INSTRUCTIONS;
    run_to(&mut m, at);
    let mut restored = receiver.finish(&mut m, true, &mut ram, &mut disk);
    assert_eq!(restored.digest(), m.digest());
    assert_eq!(disk_of(&mut restored), disk_of(&mut m));
}

#[test]
fn corrupt_truncated_or_misdirected_chunks_are_errors() {
    let mut m = machine(false);
    run_to(&mut m, 10_000);
    let mut ram = PrecopyRam::new(&m);
    let chunk = ram.next_chunk(&mut m, 256).unwrap();
    let bytes = chunk.encode();
    let mut image = RamImage::new(RAM);
    for len in 0..bytes.len() {
        assert!(image.apply(&bytes[..len]).is_err(), "truncated to {len}");
    }
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        assert!(image.apply(&bad).is_err(), "flip at {at}");
    }
    assert_eq!(image.pages().count(), 0, "nothing was applied");
    let err = RamImage::new(2 * RAM).apply(&bytes).err().unwrap();
    assert_eq!(
        err.to_string(),
        "transfer chunk for 4194304 bytes of RAM, expected one for 8388608 bytes of RAM"
    );
    let mut disk = DiskImage::new(vec![0u8; DISK]);
    assert!(matches!(
        disk.apply(&bytes),
        Err(TransferError::WrongImage { .. })
    ));
    assert!(image.apply(&bytes).is_ok());
}

#[test]
fn well_checksummed_nonsense_is_refused() {
    // Chunks a hostile sender could checksum correctly: each must fail to decode.
    let good = Chunk {
        kind: ChunkKind::Ram,
        round: 0,
        image_len: RAM,
        entries: vec![(1, true), (2, false)],
        data: vec![1; PAGE],
    };
    let reseal = |mut bytes: Vec<u8>| {
        let n = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..n]);
        bytes[n..].copy_from_slice(&crc.to_le_bytes());
        bytes
    };
    let bytes = good.encode();
    assert_eq!(Chunk::decode(&bytes).unwrap(), good);
    let entry = |bytes: &mut Vec<u8>, i: usize, word: u64| {
        bytes[HEAD_LEN + 8 * i..HEAD_LEN + 8 * i + 8].copy_from_slice(&word.to_le_bytes());
    };
    let mut cases = Vec::new();
    let mut b = bytes.clone();
    entry(&mut b, 1, 1 << 1 | 1); // page 1 twice
    cases.push(("out of order", b));
    let mut b = bytes.clone();
    entry(&mut b, 1, (RAM / PAGE as u64) << 1 | 1); // past the end of RAM
    cases.push(("out of order or past", b));
    let mut b = bytes.clone();
    entry(&mut b, 1, 2 << 1); // a second data page the data does not hold
    cases.push(("cannot hold", b));
    let mut b = bytes.clone();
    b[17..21].copy_from_slice(&u32::MAX.to_le_bytes()); // a huge entry count
    cases.push(("entries in", b));
    let mut b = bytes.clone();
    b[4] = 9;
    cases.push(("unknown image", b));
    for (what, bad) in cases {
        let err = Chunk::decode(&reseal(bad)).err().unwrap();
        assert!(
            matches!(&err, TransferError::Malformed { reason, .. } if reason.contains(what)),
            "{what}: {err}"
        );
    }
}

/// A 512 MiB machine whose RAM holds `pages` pages of compressible, distinct data (and the
/// program), built through `restore_state`: synthetic RAM without running a guest.
fn big_machine(pages: usize) -> Machine {
    let ram_size = 512 << 20;
    let program = program(false);
    let mut m = Machine::new(config(ram_size), program.clone()).unwrap();
    let mut state = Vec::new();
    m.save_state(&mut state).unwrap();
    let mut data = vec![0u8; pages * PAGE];
    for (i, word) in data.chunks_mut(8).enumerate() {
        // Text-like: mostly small values, a counter in every eighth word.
        let value = if i % 8 == 0 {
            i as u64
        } else {
            (i % 64) as u64
        };
        word.copy_from_slice(&value.to_le_bytes());
    }
    let code = ram_page(&m, 0).to_vec();
    let ram = std::iter::once((0, code.as_slice())).chain(
        data.chunks(PAGE)
            .enumerate()
            .map(|(i, page)| (16 + 2 * i, page)),
    );
    Machine::restore_state(
        config(ram_size),
        program,
        Devices::default(),
        &state[..],
        ram,
    )
    .unwrap()
}

#[test]
fn an_idle_guest_s_transfer_is_about_its_non_zero_pages() {
    let mut m = big_machine(0);
    run_to(&mut m, 20_000);
    let nonzero = m.page_hashes().iter().filter(|h| **h != [0; 16]).count();
    let mut ram = PrecopyRam::new(&m);
    let mut bytes = 0;
    let mut image = RamImage::new(512 << 20);
    while let Some(chunk) = ram.next_chunk(&mut m, 256) {
        let encoded = chunk.encode();
        bytes += encoded.len();
        image.apply(&encoded).unwrap();
    }
    assert_eq!(image.pages().count(), nonzero);
    eprintln!(
        "idle 512 MiB guest: {nonzero} non-zero pages ({} bytes), {bytes} bytes sent ({:.4} of RAM)",
        nonzero * PAGE,
        bytes as f64 / (512 << 20) as f64
    );
    assert!(bytes <= nonzero * PAGE + 64, "{bytes} bytes");
    assert_eq!(
        ram.dirty_pages(&mut m),
        0,
        "an idle guest writes nothing more"
    );
}

/// Figures for the run loop's budget and a stop-and-copy's pause: run with
/// `cargo test --release -p engine transfer_costs -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test"]
fn transfer_costs() {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed()
    };
    let per = |d: Duration, n: usize| d / n.max(1) as u32;
    let pages = 32_768; // 128 MiB of data
    let mut m = big_machine(pages);
    m.boot_fingerprint();
    let t = time(&mut || {
        m.page_hashes();
    });
    println!("first page hashes of 512 MiB with {pages} data pages: {t:?}");
    let mut state = Vec::new();
    let t = time(&mut || {
        for _ in 0..100 {
            state.clear();
            m.save_state(&mut state).unwrap();
        }
    });
    println!("save_state: {} bytes, {:?} each", state.len(), per(t, 100));
    let mut ram = PrecopyRam::new(&m);
    let mut chunks = Vec::new();
    let t = time(&mut || {
        while let Some(chunk) = ram.next_chunk(&mut m, 256) {
            chunks.push(chunk);
        }
    });
    println!(
        "next_chunk of 256 pages: {:?} each ({} chunks, new-round scans included)",
        per(t, chunks.len()),
        chunks.len()
    );
    let mut encoded = Vec::new();
    let t = time(&mut || encoded = chunks.iter().map(Chunk::encode).collect());
    let sent: usize = encoded.iter().map(Vec::len).sum();
    println!(
        "encode (lz4) of 256 pages: {:?} each; {sent} bytes for {} bytes of data ({:.3})",
        per(t, chunks.len()),
        pages * PAGE,
        sent as f64 / (pages * PAGE) as f64
    );
    let mut image = RamImage::new(512 << 20);
    let t = time(&mut || encoded.iter().for_each(|c| drop(image.apply(c).unwrap())));
    println!(
        "RamImage::apply of 256 pages: {:?} each",
        per(t, encoded.len())
    );
    let t = time(&mut || assert_eq!(ram.dirty_pages(&mut m), 0));
    println!("dirty_pages (scan of 131072 page hashes, nothing written): {t:?}");
    let t = time(&mut || {
        let restored = Machine::restore_state(
            config(512 << 20),
            program(false),
            Devices::default(),
            &state[..],
            image.pages(),
        );
        drop(restored.unwrap());
    });
    println!("restore_state with {} pages: {t:?}", pages + 1);
    for dirty in [100, 1_000, 10_000] {
        // Dirty `dirty` pages as the guest would, by restoring with changed contents, then
        // measure the stop-and-copy: final chunks (copy) and the state.
        let mut m2 = big_machine(pages);
        let mut ram = PrecopyRam::new(&m2);
        while ram.next_chunk(&mut m2, 4096).is_some() {}
        let mut state = Vec::new();
        m2.save_state(&mut state).unwrap();
        let changed = vec![0xa5u8; PAGE];
        let mut contents: Vec<(usize, Vec<u8>)> = Vec::new();
        for page in 0..(512usize << 20) / PAGE {
            let bytes = ram_page(&m2, page);
            if page >= 16 && page < 16 + dirty {
                contents.push((page, changed.clone()));
            } else if bytes.iter().any(|&b| b != 0) {
                contents.push((page, bytes.to_vec()));
            }
        }
        let mut m3 = Machine::restore_state(
            config(512 << 20),
            program(false),
            Devices::default(),
            &state[..],
            contents.iter().map(|(p, b)| (*p, b.as_slice())),
        )
        .unwrap();
        m3.boot_fingerprint();
        // The transfer's record of what was sent is the old machine's; its hashes match m3's
        // except for the changed pages.
        m3.page_hashes();
        let mut n = 0;
        let mut bytes = 0;
        let t = time(&mut || {
            for chunk in ram.final_chunks(&mut m3, 256) {
                n += chunk.pages();
                bytes += chunk.data_len();
            }
            state.clear();
            m3.save_state(&mut state).unwrap();
        });
        println!("stop-and-copy of {dirty} dirty pages: {n} pages copied, {bytes} bytes, {t:?} (compression and sending not included)");
    }
}
