use super::*;
use crate::board::{PLIC_BASE, UART_BASE, VIRTIO_BASE, VIRTIO_STRIDE};
use crate::test_asm::*;
use crate::{InputEvent, Program, RunExit};
use rv64::Bus;

const RAM: u64 = 0x10_0000;
const MRET: u32 = 0x3020_0073;
const S2: u32 = 18;
const S3: u32 = 19;

/// A program that takes a timer interrupt every 0x1000 ticks (re-arming it in the handler),
/// echoes console input and keeps storing a counter into a 2 KiB ring of RAM.
fn busy_program() -> Program {
    let mut p = vec![auipc(T0, 0), addi(T0, T0, 0), csrrw(ZERO, MTVEC, T0)];
    p.extend([
        lui(T0, 0x2004),
        lui(T2, 0x200c),
        addi(T2, T2, -8),
        ld(T1, T2, 0),
        lui(T3, 1),
        add(T1, T1, T3),
        sd(T1, T0, 0),
        addi(T3, ZERO, 0x80),
        csrrs(ZERO, MIE, T3),
        addi(T3, ZERO, 8),
        csrrs(ZERO, MSTATUS, T3),
    ]);
    let looped = p.len();
    p.extend([
        addi(A0, A0, 1),
        andi(T4, A0, 0x7f8),
        lui(T3, 2),
        add(T4, T4, T3),
        auipc(T3, 0),
        add(T4, T4, T3),
        sd(A0, T4, 0),
        lui(T0, 0x10000),
        lbu(T1, T0, 5),
        andi(T1, T1, 1),
        beq(T1, ZERO, 12),
        lbu(T1, T0, 0),
        sb(T1, T0, 0),
    ]);
    p.push(j(-4 * (p.len() - looped) as i32));
    let handler = p.len();
    p.extend([
        lui(S2, 0x2004),
        ld(S3, S2, 0),
        lui(20, 1),
        add(S3, S3, 20),
        sd(S3, S2, 0),
        MRET,
    ]);
    p[1] = addi(T0, T0, 4 * handler as i32);
    Program::parse(&assemble(&p)).unwrap()
}

fn config() -> MachineConfig {
    MachineConfig { ram_size: RAM }
}

fn devices(disk: Vec<u8>) -> Devices {
    Devices {
        disk: Some((Box::new(disk), false)),
        net: Some([2, 0, 0, 0, 0, 7]),
        entropy: true,
    }
}

fn disk_image() -> Vec<u8> {
    let mut disk = vec![0u8; 64 * 1024];
    disk[4096..4100].copy_from_slice(b"vmft");
    disk[60_000] = 1;
    disk
}

fn busy_machine() -> Machine {
    Machine::with_devices(config(), busy_program(), devices(disk_image())).unwrap()
}

/// Runs to `position`, injecting console bytes at every slice end.
fn run_to(m: &mut Machine, position: u64) {
    while m.position() < position {
        match m.run(position) {
            RunExit::Slice | RunExit::Limit => {}
            exit => panic!("unexpected exit {exit:?}"),
        }
        let p = m.position();
        m.inject(InputEvent::ConsoleBytes(vec![b'a' + (p % 26) as u8]));
    }
}

fn save(m: &mut Machine) -> Vec<u8> {
    let mut out = Vec::new();
    let len = m.save_snapshot(&mut out).unwrap();
    assert_eq!(len, out.len() as u64);
    out
}

fn restore(bytes: &[u8]) -> Result<Machine, SnapshotError> {
    Machine::restore_snapshot(config(), busy_program(), devices(vec![0; 64 * 1024]), bytes)
}

#[test]
fn save_restore_save_gives_identical_bytes() {
    let mut m = busy_machine();
    run_to(&mut m, 150_000);
    let first = save(&mut m);
    let mut restored = restore(&first).unwrap();
    assert_eq!(save(&mut restored), first);
    assert_eq!(restored.digest(), m.digest());
}

#[test]
fn a_new_machine_s_digest_equals_one_computed_from_scratch() {
    // A new machine's page hashes are those of zeroed RAM, and only the pages its program
    // was loaded into count as written: no other page may differ from zero.
    let mut m = busy_machine();
    let loaded: Vec<usize> = m.checkpoint().changed_pages.iter().map(|p| p.0).collect();
    assert_eq!(loaded, [0], "the program fills part of the first page");
    let incremental = m.digest();
    m.page_hashes.clear();
    assert_eq!(m.digest(), incremental);
}

#[test]
fn an_incremental_digest_equals_one_computed_from_scratch() {
    // The busy program stores to RAM on every loop through the store TLB's fast path; the
    // written-page marks must catch every one of those pages between digests.
    let mut m = busy_machine();
    for target in [50_000, 120_000, 260_000] {
        run_to(&mut m, target);
        let incremental = m.digest();
        m.page_hashes.clear();
        assert_eq!(m.digest(), incremental, "at {target}");
    }
}

#[test]
fn the_changed_pages_of_each_checkpoint_bring_an_earlier_page_table_up_to_date() {
    // What a replay relies on to keep the recording's page hashes from the log: the table at
    // the start plus each checkpoint's changes is the table at that checkpoint.
    let mut m = busy_machine();
    let mut table = m.page_hashes().to_vec();
    for target in [50_000, 120_000, 260_000] {
        run_to(&mut m, target);
        let checkpoint = m.checkpoint();
        let changed = &checkpoint.changed_pages;
        assert!(!changed.is_empty(), "the program stores at {target}");
        assert!(changed.windows(2).all(|w| w[0].0 < w[1].0), "in page order");
        for &(page, hash) in changed {
            assert_ne!(
                table[page], hash,
                "page {page} is listed but did not change"
            );
            table[page] = hash;
        }
        assert_eq!(table, m.page_hashes(), "at {target}");
        assert_eq!(checkpoint.digest, m.digest());
    }
}

#[test]
fn a_page_written_with_the_bytes_it_held_is_not_a_changed_page() {
    let mut m = busy_machine();
    run_to(&mut m, 10_000);
    m.checkpoint();
    let (same, other) = (RAM_BASE + 0x5_0000, RAM_BASE + 0x6_0123);
    let mut byte = [0u8];
    m.mem.read(same, &mut byte).unwrap();
    m.mem.write(same, &byte).unwrap();
    m.mem.read(other, &mut byte).unwrap();
    m.mem.write(other, &[!byte[0]]).unwrap();
    let changed: Vec<usize> = m.checkpoint().changed_pages.iter().map(|p| p.0).collect();
    assert_eq!(changed, [0x60]);
    assert!(
        m.checkpoint().changed_pages.is_empty(),
        "nothing written since"
    );
}

#[test]
fn checkpoint_sections_are_each_component_and_only_a_changed_one_hashes_differently() {
    let mut m = busy_machine();
    run_to(&mut m, 10_000);
    let before = m.checkpoint();
    let tags: Vec<&[u8; 4]> = before.sections.iter().map(|(tag, _)| tag).collect();
    assert_eq!(
        tags,
        [b"HART", b"MACH", b"CLNT", b"UART", b"PLIC", b"BORD", b"VBLK", b"VNET", b"VRNG"]
    );
    m.board.uart.receive(b"z");
    let after = m.checkpoint();
    assert_ne!(after.digest, before.digest);
    let differing: Vec<&[u8; 4]> = after
        .sections
        .iter()
        .zip(&before.sections)
        .filter(|(a, b)| a != b)
        .map(|((tag, _), _)| tag)
        .collect();
    assert_eq!(differing, [b"UART"]);
    assert!(after.changed_pages.is_empty());
}

#[test]
fn a_restored_machine_continues_exactly_like_the_original() {
    let mut m = busy_machine();
    run_to(&mut m, 100_000);
    let mut restored = restore(&save(&mut m)).unwrap();
    for target in [130_000, 200_000, 350_000] {
        run_to(&mut m, target);
        run_to(&mut restored, target);
        assert_eq!(restored.digest(), m.digest(), "at {target}");
        assert_eq!(restored.take_output(), m.take_output());
    }
    assert!(
        m.hart().csr(rv64::csr::MCAUSE).unwrap() >> 63 == 1,
        "timer interrupts were taken"
    );
    assert!(m.state_summary().diff(&restored.state_summary()).is_empty());
}

#[test]
fn every_device_state_survives_a_round_trip() {
    let mut m = busy_machine();
    run_to(&mut m, 20_000);
    m.inject(InputEvent::NetFrame(b"a frame for the guest".to_vec()));
    m.inject(InputEvent::Entropy(vec![7; 100]));
    m.inject(InputEvent::ConsoleBytes(b"typed".to_vec()));
    let b = &mut m.board;
    // Configure queue 0 of the network device and raise a PLIC priority and enable.
    let net = VIRTIO_BASE + VIRTIO_STRIDE;
    for (off, value) in [(0x030, 0), (0x038, 64), (0x080, 0x8000_4000), (0x070, 7)] {
        b.store(net + off, 4, value, 0).unwrap();
    }
    b.store(PLIC_BASE + 4 * 10, 4, 5, 0).unwrap();
    b.store(PLIC_BASE + 0x2000, 4, 1 << 10, 0).unwrap();
    b.store(UART_BASE + 7, 1, 0x5a, 0).unwrap();
    m.board.output.extend_from_slice(b"untaken");
    if let Some(VirtioSlot::Net(t)) = &mut m.board.virtio[SLOT_NET] {
        t.device_mut().receive(b"second");
    }
    let mut restored = restore(&save(&mut m)).unwrap();
    assert_eq!(restored.board.save(), m.board.save());
    assert_eq!(restored.digest(), m.digest());
    let Some(VirtioSlot::Block(t)) = &mut restored.board.virtio[SLOT_BLOCK] else {
        panic!("no disk");
    };
    assert_eq!(t.device_mut().backend_mut().len(), 64 * 1024);
    let mut contents = vec![0; 64 * 1024];
    t.device_mut()
        .backend_mut()
        .read_at(0, &mut contents)
        .unwrap();
    assert_eq!(
        contents,
        disk_image(),
        "the disk contents were written back"
    );
}

#[test]
fn a_flipped_byte_anywhere_is_detected() {
    let mut m = busy_machine();
    run_to(&mut m, 5_000);
    let bytes = save(&mut m);
    assert!(bytes.len() < 16_384, "{} bytes", bytes.len());
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        let err = restore(&bad)
            .err()
            .unwrap_or_else(|| panic!("flip at {at} accepted"));
        if at >= 20 {
            assert!(
                matches!(err, SnapshotError::Checksum { .. }),
                "flip at {at}: {err}"
            );
        }
    }
}

#[test]
fn truncation_at_every_offset_is_an_error() {
    let mut m = busy_machine();
    let bytes = save(&mut m);
    for len in 0..bytes.len() {
        let err = restore(&bytes[..len]).err().unwrap();
        assert!(
            matches!(err, SnapshotError::Truncated { .. }),
            "at {len}: {err}"
        );
    }
}

#[test]
fn a_snapshot_of_a_machine_with_other_ram_is_refused_by_size() {
    let mut m = busy_machine();
    let bytes = save(&mut m);
    let other = MachineConfig { ram_size: 2 * RAM };
    let err = Machine::restore_snapshot(other, busy_program(), devices(disk_image()), &bytes[..])
        .err()
        .unwrap();
    assert!(matches!(err, SnapshotError::WrongMachine(_)));
    assert_eq!(
        err.to_string(),
        "snapshot belongs to another machine: it was taken with 1 MiB of RAM (1048576 bytes), \
         this machine has 2 MiB (2097152 bytes)"
    );
}

#[test]
fn a_snapshot_is_refused_with_other_boot_images_or_devices() {
    let mut m = busy_machine();
    let bytes = save(&mut m);
    let other_program = Program::parse(&assemble(&[j(0)])).unwrap();
    let err = Machine::restore_snapshot(config(), other_program, devices(disk_image()), &bytes[..]);
    assert!(matches!(err, Err(SnapshotError::WrongMachine(_))));
    let mut no_net = devices(disk_image());
    no_net.net = None;
    let err = Machine::restore_snapshot(config(), busy_program(), no_net, &bytes[..]);
    assert!(
        matches!(err, Err(SnapshotError::WrongMachine(w)) if w.contains("MAC 02:00:00:00:00:07"))
    );
    let small_disk = devices(vec![0; 4096]);
    let err = Machine::restore_snapshot(config(), busy_program(), small_disk, &bytes[..]);
    assert!(matches!(err, Err(SnapshotError::WrongMachine(w)) if w.contains("disk")));
}

/// Rewrites the checksum after an edit.
fn fix_crc(bytes: &mut [u8]) {
    let body = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn a_state_no_machine_could_have_is_refused_even_with_a_valid_checksum() {
    let mut m = busy_machine();
    let bytes = save(&mut m);
    let hart_body = HEADER_LEN + 12;
    let privilege = hart_body + 8 + 256 + 256;
    let mut bad = bytes.clone();
    bad[privilege] = 2;
    fix_crc(&mut bad);
    let err = restore(&bad).err().unwrap();
    assert!(
        matches!(&err, SnapshotError::State { section, .. } if section == "HART"),
        "{err}"
    );
    let mut bad = bytes.clone();
    bad[HEADER_LEN] = b'X';
    fix_crc(&mut bad);
    let err = restore(&bad).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "malformed snapshot section HART at byte {HEADER_LEN}: found section \"XART\" instead"
        )
    );
}

#[test]
fn wrong_magic_and_version_are_named() {
    let mut m = busy_machine();
    let mut bytes = save(&mut m);
    bytes[8] = 9;
    assert!(matches!(restore(&bytes), Err(SnapshotError::Version(9))));
    bytes[0] = b'X';
    assert!(matches!(restore(&bytes), Err(SnapshotError::BadMagic)));
}

#[test]
fn the_summary_diff_names_the_differing_registers_devices_and_pages() {
    let mut a = busy_machine();
    run_to(&mut a, 10_000);
    let mut b = restore(&save(&mut a)).unwrap();
    assert_eq!(a.digest(), b.digest());
    b.mem.write(RAM_BASE + 0x5_0000, &[1]).unwrap();
    b.hart = {
        let mut s = b.hart.save();
        s.x[5] ^= 1;
        Hart::restore((), &s).unwrap()
    };
    b.board.uart.receive(b"z");
    assert_ne!(a.digest(), b.digest());
    let diff = a.state_summary().diff(&b.state_summary());
    assert_eq!(diff.pages, vec![RAM_BASE + 0x5_0000]);
    assert_eq!(diff.sections, vec!["UART".to_string()]);
    assert_eq!(diff.registers.len(), 1);
    assert_eq!(diff.registers[0].0, "x5");
    assert!(
        diff.to_string().contains("1 RAM pages differ: 0x80050000"),
        "{diff}"
    );
}

#[test]
fn untaken_output_is_in_the_snapshot_but_not_in_the_digest() {
    let mut m = busy_machine();
    run_to(&mut m, 1_000);
    let digest = m.digest();
    m.board.output.extend_from_slice(b"xyz");
    assert_eq!(m.digest(), digest);
    let mut restored = restore(&save(&mut m)).unwrap();
    assert_eq!(restored.take_output(), m.take_output());
}

fn save_state(m: &mut Machine) -> Vec<u8> {
    let mut out = Vec::new();
    let len = m.save_state(&mut out).unwrap();
    assert_eq!(len, out.len() as u64);
    out
}

/// The machine's non-zero RAM pages, as a transfer would deliver them.
fn ram_pages(m: &Machine) -> Vec<(usize, Vec<u8>)> {
    let mem = m.memory();
    (0..(mem.size() as usize / pages::PAGE))
        .filter_map(|page| {
            let bytes = mem
                .slice(RAM_BASE + (page * pages::PAGE) as u64, pages::PAGE)
                .unwrap();
            (!pages::is_zero(bytes)).then(|| (page, bytes.to_vec()))
        })
        .collect()
}

fn restore_state(
    state: &[u8],
    ram: &[(usize, Vec<u8>)],
    disk: Vec<u8>,
) -> Result<Machine, SnapshotError> {
    let ram = ram.iter().map(|(page, bytes)| (*page, bytes.as_slice()));
    Machine::restore_state(config(), busy_program(), devices(disk), state, ram)
}

#[test]
fn a_state_with_the_ram_pages_restores_the_machine_and_leaves_the_disk_alone() {
    let mut m = busy_machine();
    run_to(&mut m, 150_000);
    let state = save_state(&mut m);
    assert!(state.len() < 4096, "{} bytes", state.len());
    let disk = vec![0x5a; 64 * 1024];
    let mut restored = restore_state(&state, &ram_pages(&m), disk.clone()).unwrap();
    assert_eq!(restored.digest(), m.digest());
    let mut contents = vec![0; disk.len()];
    restored.read_disk(0, &mut contents).unwrap();
    assert_eq!(contents, disk, "the disk is the caller's");
    assert_eq!(save_state(&mut restored), state);
    for target in [200_000, 300_000] {
        run_to(&mut m, target);
        run_to(&mut restored, target);
        assert_eq!(restored.digest(), m.digest(), "at {target}");
        assert_eq!(restored.take_output(), m.take_output());
    }
}

#[test]
fn a_restored_state_s_first_digest_hashes_only_the_pages_given() {
    let mut m = busy_machine();
    run_to(&mut m, 50_000);
    let ram = ram_pages(&m);
    let mut restored = restore_state(&save_state(&mut m), &ram, disk_image()).unwrap();
    let changed: Vec<usize> = restored
        .checkpoint()
        .changed_pages
        .iter()
        .map(|p| p.0)
        .collect();
    let given: Vec<usize> = ram.iter().map(|p| p.0).collect();
    assert_eq!(changed, given);
    restored.page_hashes.clear();
    assert_eq!(restored.digest(), m.digest());
}

#[test]
fn a_state_is_not_a_snapshot_and_a_snapshot_is_not_a_state() {
    let mut m = busy_machine();
    run_to(&mut m, 10_000);
    let state = save_state(&mut m);
    let err = restore(&state).err().unwrap();
    assert_eq!(
        err.to_string(),
        "expected a snapshot, found a machine state (without RAM and disk)"
    );
    let err = restore_state(&save(&mut m), &[], disk_image())
        .err()
        .unwrap();
    assert!(matches!(err, SnapshotError::WrongKind { .. }), "{err}");
}

#[test]
fn a_corrupt_or_truncated_state_is_an_error() {
    let mut m = busy_machine();
    run_to(&mut m, 5_000);
    let state = save_state(&mut m);
    let ram = ram_pages(&m);
    for at in 0..state.len() {
        let mut bad = state.clone();
        bad[at] ^= 0x10;
        assert!(
            restore_state(&bad, &ram, disk_image()).is_err(),
            "flip at {at}"
        );
    }
    for len in 0..state.len() {
        let err = restore_state(&state[..len], &ram, disk_image()).err();
        assert!(
            matches!(err, Some(SnapshotError::Truncated { .. })),
            "at {len}"
        );
    }
}

#[test]
fn a_ram_page_outside_ram_or_of_another_size_is_refused() {
    let mut m = busy_machine();
    let state = save_state(&mut m);
    let pages = RAM as usize / pages::PAGE;
    for (page, len) in [(pages, pages::PAGE), (0, 100), (usize::MAX, pages::PAGE)] {
        let err = restore_state(&state, &[(page, vec![1; len])], disk_image())
            .err()
            .unwrap();
        assert!(
            matches!(err, SnapshotError::RamPage { page: p, len: l } if p == page && l == len),
            "{err}"
        );
    }
}

#[test]
fn tracked_disk_writes_mark_their_blocks_and_reads_see_them() {
    let mut m = busy_machine();
    assert_eq!(m.disk_len(), Some(64 * 1024));
    let dirty = m.track_disk_writes().unwrap();
    assert_eq!(dirty.blocks(), 16);
    assert!(dirty.peek().iter().all(|&w| w == 0));
    let Some(VirtioSlot::Block(t)) = &mut m.board.virtio[SLOT_BLOCK] else {
        panic!("no disk");
    };
    // 8 bytes across the boundary of blocks 2 and 3, and one sector in block 9.
    t.device_mut()
        .backend_mut()
        .write_at(3 * 4096 - 4, b"straddle")
        .unwrap();
    t.device_mut()
        .backend_mut()
        .write_at(9 * 4096 + 512, &[1; 512])
        .unwrap();
    let again = m.track_disk_writes().unwrap();
    assert_eq!(again.peek(), vec![0b10_0000_1100], "the same bitmap");
    let mut buf = [0u8; 8];
    m.read_disk(3 * 4096 - 4, &mut buf).unwrap();
    assert_eq!(&buf, b"straddle");
    dirty.clear(3, 1);
    assert_eq!(dirty.take(), vec![0b10_0000_0100]);
    assert_eq!(dirty.peek(), vec![0]);
    let mut no_disk = Machine::new(config(), busy_program()).unwrap();
    assert!(no_disk.track_disk_writes().is_none());
    assert!(no_disk.read_disk(0, &mut buf).is_err());
}

#[test]
fn save_state_is_cheap() {
    // Reads no RAM: a 512 MiB machine's state costs what a 1 MiB machine's does.
    let big = MachineConfig {
        ram_size: 512 << 20,
    };
    let mut m = Machine::with_devices(big, busy_program(), devices(disk_image())).unwrap();
    run_to(&mut m, 100_000);
    m.boot_fingerprint();
    let mut out = Vec::with_capacity(8192);
    let start = std::time::Instant::now();
    let runs = 100;
    for _ in 0..runs {
        out.clear();
        m.save_state(&mut out).unwrap();
    }
    let each = start.elapsed() / runs;
    eprintln!("save_state: {} bytes in {each:?}", out.len());
    assert!(each < std::time::Duration::from_millis(1), "{each:?}");
}
