//! Tests of the log format against the layout documented in the crate root.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};

use crate::{
    At, EndReason, Entry, Fingerprint, FramePart, Kind, LogError, LogReader, LogWriter, Payload,
    FRAME_OVERHEAD, HEADER_LEN, MAGIC, MAX_PAYLOAD, MAX_STATE_PAGES, MAX_STATE_SECTIONS,
    REGISTERS_LEN, VERSION,
};

const MACHINE: Fingerprint = [0xa5; 32];

fn entry(position: u64, payload: Payload) -> Entry {
    Entry { position, payload }
}

/// One entry of every kind, with edge values, some sharing a position.
fn every_kind() -> Vec<Entry> {
    vec![
        entry(0, Payload::ConsoleInput(b"root\n".to_vec())),
        entry(0, Payload::ConsoleInput(Vec::new())),
        entry(17, Payload::NetFrame((0..=255).collect())),
        entry(17, Payload::Entropy(vec![0xff; 64])),
        entry(
            1_000,
            Payload::ClockAnchor {
                host_ns: 1_732_000_000_123_456_789,
                mtime: u64::MAX,
                rate: 1 << 31,
            },
        ),
        entry(2_000, Payload::TimeSkip { ticks: 10_000_000 }),
        entry(
            2_000,
            Payload::Registers((0..REGISTERS_LEN).map(|i| i as u8).collect()),
        ),
        entry(
            2_000,
            Payload::StateHashes {
                sections: vec![(*b"HART", [1; 8]), (*b"VNET", [0xff; 8])],
                pages: vec![(0, [0; 8]), (7, [2; 8]), (u32::MAX, [3; 8])],
            },
        ),
        entry(
            2_000,
            Payload::StateHashes {
                sections: Vec::new(),
                pages: Vec::new(),
            },
        ),
        entry(
            2_000,
            Payload::Digest {
                digest: std::array::from_fn(|i| i as u8),
            },
        ),
        entry(
            3_000,
            Payload::Snapshot {
                name: "before-go-live ✓".into(),
            },
        ),
        entry(
            4_000,
            Payload::End {
                reason: EndReason::Fail(u64::MAX),
            },
        ),
    ]
}

fn write_log(entries: &[Entry]) -> Vec<u8> {
    let mut writer = LogWriter::new(Vec::new(), MACHINE).expect("header to a Vec");
    for e in entries {
        writer.append(e).expect("valid entry");
    }
    writer.into_inner().expect("flush to a Vec")
}

/// Reads every entry of `log`, stopping at the first error.
fn read_log(log: &[u8]) -> (Vec<Entry>, Result<(), LogError>) {
    let mut reader = match LogReader::open(log, Some(MACHINE)) {
        Ok(reader) => reader,
        Err(err) => return (Vec::new(), Err(err)),
    };
    let mut entries = Vec::new();
    loop {
        match reader.next_entry() {
            Ok(Some(e)) => entries.push(e),
            Ok(None) => return (entries, Ok(())),
            Err(err) => return (entries, Err(err)),
        }
    }
}

/// Byte offsets of the frames of `entries` in their log, and the log's length last.
fn frame_offsets(entries: &[Entry]) -> Vec<usize> {
    let mut offsets = vec![HEADER_LEN];
    for e in entries {
        let mut scratch = [0; 32];
        let len = e.payload.encode(&mut scratch).len();
        offsets.push(offsets[offsets.len() - 1] + FRAME_OVERHEAD + len);
    }
    offsets
}

/// A frame built from the documented layout, independently of the writer.
fn raw_frame(len: u32, kind: u8, position: u64, payload: &[u8]) -> Vec<u8> {
    let mut frame = len.to_le_bytes().to_vec();
    frame.push(kind);
    frame.extend_from_slice(&position.to_le_bytes());
    let prefix_crc = crc32fast::hash(&frame);
    frame.extend_from_slice(&prefix_crc.to_le_bytes());
    frame.extend_from_slice(payload);
    let crc = crc32fast::hash(&frame);
    frame.extend_from_slice(&crc.to_le_bytes());
    frame
}

fn raw_log(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut log = write_log(&[]);
    frames.iter().for_each(|f| log.extend_from_slice(f));
    log
}

#[test]
fn every_kind_round_trips_through_writer_and_reader() {
    let entries = every_kind();
    let log = write_log(&entries);
    assert_eq!(log.len(), *frame_offsets(&entries).last().unwrap());
    let (read, result) = read_log(&log);
    result.expect("a written log reads back");
    assert_eq!(read, entries);
}

#[test]
fn end_reasons_round_trip() {
    for reason in [
        EndReason::Poweroff,
        EndReason::Fail(0),
        EndReason::Fail(3),
        EndReason::Stopped,
    ] {
        let entries = [entry(5, Payload::End { reason })];
        let (read, result) = read_log(&write_log(&entries));
        result.expect("a written log reads back");
        assert_eq!(read, entries);
    }
}

#[test]
fn header_layout_matches_the_format_table() {
    let log = write_log(&[]);
    assert_eq!(log.len(), HEADER_LEN);
    assert_eq!(&log[..8], b"VMFTLOG\0");
    assert_eq!(&log[8..10], &2u16.to_le_bytes());
    assert_eq!(&log[10..12], &[0, 0]);
    assert_eq!(&log[12..44], &MACHINE);
    assert_eq!(&log[44..48], &crc32fast::hash(&log[..44]).to_le_bytes());
}

#[test]
fn frame_layout_matches_the_format_table() {
    let entries = [
        entry(7, Payload::NetFrame(vec![1, 2, 3])),
        entry(9, Payload::TimeSkip { ticks: 0x0102 }),
        entry(
            9,
            Payload::StateHashes {
                sections: vec![(*b"UART", [5; 8])],
                pages: vec![(0x0102, [6; 8]), (0x0203, [7; 8])],
            },
        ),
        entry(
            9,
            Payload::End {
                reason: EndReason::Fail(4),
            },
        ),
    ];
    let mut state_hashes = vec![1, 0];
    state_hashes.extend_from_slice(b"UART");
    state_hashes.extend_from_slice(&[5; 8]);
    state_hashes.extend_from_slice(&[2, 1, 0, 0]);
    state_hashes.extend_from_slice(&[6; 8]);
    state_hashes.extend_from_slice(&[3, 2, 0, 0]);
    state_hashes.extend_from_slice(&[7; 8]);
    let expected = raw_log(&[
        raw_frame(3, 2, 7, &[1, 2, 3]),
        raw_frame(8, 5, 9, &0x0102u64.to_le_bytes()),
        raw_frame(38, 10, 9, &state_hashes),
        raw_frame(9, 8, 9, &[1, 4, 0, 0, 0, 0, 0, 0, 0]),
    ]);
    assert_eq!(write_log(&entries), expected);
}

/// A pipe: the writer's bytes arrive in chunks of at most three bytes, with interrupted reads
/// between them, and a read of an empty pipe would block (reported as `WouldBlock`).
#[derive(Default)]
struct Pipe {
    chunks: VecDeque<Vec<u8>>,
    interrupt: bool,
}

struct PipeEnd<'a>(&'a std::cell::RefCell<Pipe>);

impl Write for PipeEnd<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut pipe = self.0.borrow_mut();
        buf.chunks(3)
            .for_each(|c| pipe.chunks.push_back(c.to_vec()));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for PipeEnd<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut pipe = self.0.borrow_mut();
        pipe.interrupt = !pipe.interrupt;
        if pipe.interrupt {
            return Err(ErrorKind::Interrupted.into());
        }
        let Some(mut chunk) = pipe.chunks.pop_front() else {
            return Err(ErrorKind::WouldBlock.into());
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        if n < chunk.len() {
            pipe.chunks.push_front(chunk.split_off(n));
        }
        Ok(n)
    }
}

#[test]
fn reader_streams_each_entry_as_soon_as_its_frame_arrives() {
    let pipe = std::cell::RefCell::new(Pipe::default());
    let mut writer = LogWriter::new(PipeEnd(&pipe), MACHINE).unwrap();
    writer.flush().unwrap();
    let mut reader = LogReader::open(PipeEnd(&pipe), Some(MACHINE)).unwrap();
    for e in every_kind() {
        writer.append(&e).unwrap();
        writer.flush().unwrap();
        assert_eq!(reader.next_entry().unwrap(), Some(e));
    }
    let err = reader.next_entry().unwrap_err();
    assert!(
        matches!(&err, LogError::Io { source, .. } if source.kind() == ErrorKind::WouldBlock),
        "{err}"
    );
}

#[test]
fn a_flipped_bit_anywhere_in_an_entry_is_a_checksum_error_at_that_entry() {
    let entries = every_kind();
    let log = write_log(&entries);
    let offsets = frame_offsets(&entries);
    for (index, frame) in offsets.windows(2).enumerate() {
        for byte in frame[0]..frame[1] {
            for bit in 0..8 {
                let mut bad = log.clone();
                bad[byte] ^= 1 << bit;
                let (read, result) = read_log(&bad);
                assert_eq!(read, entries[..index], "byte {byte} bit {bit}");
                let part = if byte - frame[0] < 17 {
                    FramePart::Prefix
                } else {
                    FramePart::Frame
                };
                match result {
                    Err(LogError::ChecksumMismatch { at, part: got, .. }) => {
                        assert_eq!(at.offset, frame[0] as u64, "byte {byte} bit {bit}");
                        assert_eq!(got, part, "byte {byte} bit {bit}");
                        if part == FramePart::Frame {
                            assert_eq!(at.position, Some(entries[index].position));
                        }
                    }
                    other => panic!("byte {byte} bit {bit}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn a_flipped_bit_anywhere_in_the_header_is_refused() {
    let log = write_log(&every_kind());
    for byte in 0..HEADER_LEN {
        for bit in 0..8 {
            let mut bad = log.clone();
            bad[byte] ^= 1 << bit;
            let err = LogReader::open(&bad[..], None).err();
            let ok = match byte {
                0..=7 => matches!(err, Some(LogError::BadMagic)),
                8..=9 => matches!(err, Some(LogError::UnsupportedVersion { .. })),
                _ => matches!(err, Some(LogError::HeaderChecksum { .. })),
            };
            assert!(ok, "byte {byte} bit {bit}: {err:?}");
        }
    }
}

#[test]
fn truncation_is_a_clean_end_only_between_entries() {
    let entries = every_kind();
    let log = write_log(&entries);
    let offsets = frame_offsets(&entries);
    for cut in 0..log.len() {
        let (read, result) = read_log(&log[..cut]);
        if cut < HEADER_LEN {
            assert!(
                matches!(result, Err(LogError::TruncatedHeader { len }) if len == cut as u64),
                "cut {cut}: {result:?}"
            );
            continue;
        }
        let index = offsets.iter().rposition(|&o| o <= cut).unwrap();
        assert_eq!(read, entries[..index], "cut {cut}");
        if offsets[index] == cut {
            assert!(result.is_ok(), "cut {cut} at a boundary: {result:?}");
        } else {
            match result {
                Err(LogError::TruncatedEntry { at, end }) => {
                    assert_eq!(at.offset, offsets[index] as u64, "cut {cut}");
                    assert_eq!(end, cut as u64, "cut {cut}");
                }
                other => panic!("cut {cut}: {other:?}"),
            }
        }
    }
}

#[test]
fn a_log_for_another_machine_is_refused() {
    let log = write_log(&every_kind());
    let other = [0x5a; 32];
    match LogReader::open(&log[..], Some(other)) {
        Err(LogError::WrongFingerprint { expected, found }) => {
            assert_eq!(expected, other);
            assert_eq!(found, MACHINE);
        }
        other => panic!("{:?}", other.err()),
    }
    let reader = LogReader::open(&log[..], None).expect("no expectation accepts any machine");
    assert_eq!(reader.fingerprint(), &MACHINE);
}

/// Rewrites header bytes and fixes the header checksum.
fn with_header(edit: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let mut log = write_log(&[]);
    edit(&mut log);
    let crc = crc32fast::hash(&log[..44]);
    log[44..48].copy_from_slice(&crc.to_le_bytes());
    log
}

#[test]
fn other_format_versions_are_refused() {
    for version in [0u16, VERSION - 1, VERSION + 1, u16::MAX] {
        let log = with_header(|h| h[8..10].copy_from_slice(&version.to_le_bytes()));
        assert!(matches!(
            LogReader::open(&log[..], None).err(),
            Some(LogError::UnsupportedVersion { version: v }) if v == version
        ));
        // The version is judged before the rest of a (possibly differently sized) header.
        assert!(matches!(
            LogReader::open(&log[..10], None).err(),
            Some(LogError::UnsupportedVersion { .. })
        ));
    }
}

#[test]
fn undefined_header_flags_are_refused() {
    let log = with_header(|h| h[10] = 1);
    assert!(matches!(
        LogReader::open(&log[..], None).err(),
        Some(LogError::UnsupportedFlags { flags: 1 })
    ));
}

#[test]
fn bad_magic_is_refused_even_in_a_short_stream() {
    for input in [&b"VMFTLOG\x01"[..], b"\x7fELF", b"v", b"VMFTLOG\0\x02"] {
        let err = LogReader::open(input, None).err();
        let expected_magic = input.len() <= MAGIC.len() || input[..8] != MAGIC;
        if expected_magic {
            assert!(
                matches!(err, Some(LogError::BadMagic)),
                "{input:?}: {err:?}"
            );
        } else {
            assert!(
                matches!(err, Some(LogError::TruncatedHeader { .. })),
                "{input:?}: {err:?}"
            );
        }
    }
    assert!(matches!(
        LogReader::open(&b""[..], None).err(),
        Some(LogError::TruncatedHeader { len: 0 })
    ));
}

#[test]
fn positions_never_go_backwards() {
    let mut writer = LogWriter::new(Vec::new(), MACHINE).unwrap();
    writer
        .append(&entry(10, Payload::TimeSkip { ticks: 1 }))
        .unwrap();
    writer
        .append(&entry(10, Payload::TimeSkip { ticks: 2 }))
        .unwrap();
    let offset = writer.offset();
    match writer.append(&entry(9, Payload::TimeSkip { ticks: 3 })) {
        Err(LogError::PositionBackwards { at, previous: 10 }) => {
            assert_eq!(
                at,
                At {
                    offset,
                    position: Some(9)
                }
            );
        }
        other => panic!("{other:?}"),
    }
    writer
        .append(&entry(11, Payload::TimeSkip { ticks: 4 }))
        .unwrap();
    assert_eq!(writer.offset(), offset + FRAME_OVERHEAD as u64 + 8);

    let log = raw_log(&[raw_frame(0, 1, 10, &[]), raw_frame(0, 1, 9, &[])]);
    let (read, result) = read_log(&log);
    assert_eq!(read.len(), 1);
    match result {
        Err(LogError::PositionBackwards { at, previous: 10 }) => {
            let second = (HEADER_LEN + FRAME_OVERHEAD) as u64;
            assert_eq!(
                at,
                At {
                    offset: second,
                    position: Some(9)
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn payloads_are_capped_at_16_mib() {
    let mut writer = LogWriter::new(Vec::new(), MACHINE).unwrap();
    let max = MAX_PAYLOAD as usize;
    let mut bytes = vec![0x42; max + 1];
    assert!(matches!(
        writer.append(&entry(0, Payload::NetFrame(bytes.clone()))),
        Err(LogError::Oversized { len, .. }) if len == max as u64 + 1
    ));
    bytes.truncate(max);
    let at_cap = [entry(0, Payload::NetFrame(bytes))];
    writer.append(&at_cap[0]).unwrap();
    let (read, result) = read_log(&writer.into_inner().unwrap());
    result.unwrap();
    assert_eq!(read, at_cap);

    // A length over the cap is refused from the prefix alone, before any payload is read.
    let prefix = &raw_frame(MAX_PAYLOAD + 1, 2, 0, &[])[..17];
    let (_, result) = read_log(&raw_log(&[prefix.to_vec()]));
    assert!(matches!(
        result,
        Err(LogError::Oversized { at: At { offset: 48, position: Some(0) }, len })
            if len == u64::from(MAX_PAYLOAD) + 1
    ));
}

#[test]
fn a_claimed_length_commits_no_memory_before_its_bytes_arrive() {
    // A valid prefix claiming the largest payload, then nothing: a torn frame, not a 16 MiB read.
    let prefix = &raw_frame(MAX_PAYLOAD, 2, 0, &[])[..17];
    let (_, result) = read_log(&raw_log(&[prefix.to_vec()]));
    assert!(
        matches!(result, Err(LogError::TruncatedEntry { end: 65, .. })),
        "{result:?}"
    );
}

#[test]
fn unknown_kinds_are_errors_naming_their_offset() {
    for kind in [0u8, 11, 0xff] {
        let log = raw_log(&[raw_frame(1, 1, 3, b"x"), raw_frame(0, kind, 4, &[])]);
        let (read, result) = read_log(&log);
        assert_eq!(read, [entry(3, Payload::ConsoleInput(b"x".to_vec()))]);
        let second = (HEADER_LEN + FRAME_OVERHEAD + 1) as u64;
        assert!(
            matches!(result, Err(LogError::UnknownKind { at, kind: k })
                if at == At { offset: second, position: Some(4) } && k == kind),
            "kind {kind}: {result:?}"
        );
    }
}

#[test]
fn payloads_must_have_their_kind_layout() {
    let cases: [(Kind, Vec<u8>); 8] = [
        (Kind::ClockAnchor, vec![0; 23]),
        (Kind::TimeSkip, vec![0; 9]),
        (Kind::Digest, vec![0; 31]),
        (Kind::End, vec![0; 8]),
        (Kind::Registers, vec![0; REGISTERS_LEN - 1]),
        (Kind::End, vec![3, 0, 0, 0, 0, 0, 0, 0, 0]),
        (Kind::End, vec![0, 1, 0, 0, 0, 0, 0, 0, 0]),
        (Kind::Snapshot, vec![b'a', 0xff]),
    ];
    for (kind, payload) in cases {
        let log = raw_log(&[raw_frame(payload.len() as u32, kind as u8, 0, &payload)]);
        let (_, result) = read_log(&log);
        assert!(
            matches!(result, Err(LogError::Malformed { at, kind: k, .. })
                if at.offset == 48 && k == kind),
            "{kind} {payload:?}: {result:?}"
        );
    }
}

/// A `StateHashes` payload from its parts: the section count as given, then `items`, each
/// a 4-byte head (tag or page) and an 8-byte hash.
fn state_hashes_payload(count: u16, items: &[([u8; 4], u8)]) -> Vec<u8> {
    let mut payload = count.to_le_bytes().to_vec();
    for (head, hash) in items {
        payload.extend_from_slice(head);
        payload.extend_from_slice(&[*hash; 8]);
    }
    payload
}

#[test]
fn malformed_state_hashes_are_errors_naming_their_offset_and_what_is_wrong() {
    let page = |n: u32| (n.to_le_bytes(), 0);
    let too_many_sections: Vec<_> = (0..=MAX_STATE_SECTIONS as u8)
        .map(|i| ([b'A', b'A', b'A', b'A' + i], 0))
        .collect();
    let cases: [(Vec<u8>, &str); 9] = [
        (Vec::new(), "state hashes end before their section count"),
        (vec![1], "state hashes end before their section count"),
        (
            state_hashes_payload(2, &[(*b"HART", 1)]),
            "state sections run past the end of the payload",
        ),
        (
            [state_hashes_payload(1, &[(*b"HART", 1)]), vec![0; 11]].concat(),
            "page hashes are not whole 12-byte (page, hash) pairs",
        ),
        (
            state_hashes_payload(33, &too_many_sections),
            "more than 32 state sections",
        ),
        (
            state_hashes_payload(1, &[(*b"HA\0T", 1)]),
            "a state section tag is not printable ASCII",
        ),
        (
            state_hashes_payload(2, &[(*b"UART", 1), (*b"UART", 2)]),
            "a state section tag appears twice",
        ),
        (
            state_hashes_payload(0, &[page(3), page(3)]),
            "page numbers are not in increasing order",
        ),
        (
            state_hashes_payload(0, &[page(4), page(3)]),
            "page numbers are not in increasing order",
        ),
    ];
    for (payload, reason) in cases {
        let log = raw_log(&[
            raw_frame(0, 1, 6, &[]),
            raw_frame(payload.len() as u32, 10, 7, &payload),
        ]);
        let (read, result) = read_log(&log);
        assert_eq!(read.len(), 1);
        let err = result.expect_err(reason);
        assert_eq!(
            err.to_string(),
            format!("malformed StateHashes entry at byte 69 (position 7): {reason}"),
            "{payload:?}"
        );
    }
}

#[test]
fn state_hashes_are_capped_at_2_pow_20_pages() {
    let pages = |n: usize| (0..n as u32).map(|p| (p, [p as u8; 8])).collect::<Vec<_>>();
    let at_cap = entry(
        1,
        Payload::StateHashes {
            sections: Vec::new(),
            pages: pages(MAX_STATE_PAGES),
        },
    );
    let (read, result) = read_log(&write_log(std::slice::from_ref(&at_cap)));
    result.unwrap();
    assert_eq!(read, [at_cap]);

    let over = Payload::StateHashes {
        sections: Vec::new(),
        pages: pages(MAX_STATE_PAGES + 1),
    };
    let mut writer = LogWriter::new(Vec::new(), MACHINE).unwrap();
    let err = writer.append(&entry(1, over.clone())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed StateHashes entry at byte 48 (position 1): more than 2^20 page hashes"
    );
    let mut scratch = [0; 32];
    let payload = over.encode(&mut scratch);
    let log = raw_log(&[raw_frame(payload.len() as u32, 10, 1, &payload)]);
    let (_, result) = read_log(&log);
    assert!(
        matches!(&result, Err(LogError::Malformed { at, kind: Kind::StateHashes, reason })
            if at.offset == 48 && reason.contains("2^20")),
        "{result:?}"
    );
}

#[test]
fn the_writer_refuses_what_the_reader_would_refuse() {
    let refused = [
        Payload::Registers(vec![0; REGISTERS_LEN + 8]),
        Payload::StateHashes {
            sections: vec![(*b"VBLK", [0; 8]), (*b"VBLK", [1; 8])],
            pages: Vec::new(),
        },
        Payload::StateHashes {
            sections: vec![(*b"\tBLK", [0; 8])],
            pages: Vec::new(),
        },
        Payload::StateHashes {
            sections: Vec::new(),
            pages: vec![(9, [0; 8]), (2, [0; 8])],
        },
        Payload::StateHashes {
            sections: (0..=MAX_STATE_SECTIONS as u8)
                .map(|i| ([b'0', b'0', b'0', b'0' + i], [0; 8]))
                .collect(),
            pages: Vec::new(),
        },
    ];
    for payload in refused {
        let mut writer = LogWriter::new(Vec::new(), MACHINE).unwrap();
        let kind = payload.kind();
        let result = writer.append(&entry(3, payload));
        let first = At {
            offset: HEADER_LEN as u64,
            position: Some(3),
        };
        assert!(
            matches!(result, Err(LogError::Malformed { at, kind: k, .. })
                if at == first && k == kind),
            "{result:?}"
        );
        assert_eq!(writer.offset(), HEADER_LEN as u64, "nothing was written");
    }
}

#[test]
fn nothing_follows_the_end_entry() {
    let end = entry(
        5,
        Payload::End {
            reason: EndReason::Stopped,
        },
    );
    let mut writer = LogWriter::new(Vec::new(), MACHINE).unwrap();
    writer.append(&end).unwrap();
    assert!(matches!(
        writer.append(&entry(5, Payload::TimeSkip { ticks: 1 })),
        Err(LogError::AfterEnd { .. })
    ));

    let mut log = write_log(std::slice::from_ref(&end));
    let end_of_log = log.len() as u64;
    log.push(0);
    let (read, result) = read_log(&log);
    assert_eq!(read, [end]);
    assert!(matches!(
        result,
        Err(LogError::AfterEnd { at: At { offset, position: None } }) if offset == end_of_log
    ));
}

/// xorshift64*: a deterministic pseudo-random source for the property tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, max: u64) -> Vec<u8> {
        (0..self.below(max + 1))
            .map(|_| self.next() as u8)
            .collect()
    }
}

fn random_log(rng: &mut Rng) -> Vec<Entry> {
    let mut position = rng.below(1000);
    let mut entries = Vec::new();
    for _ in 0..rng.below(12) {
        position += rng.below(3) * rng.below(1 << 20);
        let payload = match rng.below(8) {
            0 => Payload::ConsoleInput(rng.bytes(8)),
            1 => Payload::NetFrame(rng.bytes(1514)),
            2 => Payload::Entropy(rng.bytes(64)),
            3 => Payload::ClockAnchor {
                host_ns: rng.next(),
                mtime: rng.next(),
                rate: rng.next(),
            },
            4 => Payload::TimeSkip { ticks: rng.next() },
            5 => Payload::Digest {
                digest: std::array::from_fn(|_| rng.next() as u8),
            },
            6 => {
                let mut page = 0u32;
                Payload::StateHashes {
                    sections: (0..rng.below(10))
                        .map(|i| ([b'S', b'E', b'C', b'0' + i as u8], rng.next().to_le_bytes()))
                        .collect(),
                    pages: (0..rng.below(20))
                        .map(|_| {
                            page += 1 + rng.below(100) as u32;
                            (page, rng.next().to_le_bytes())
                        })
                        .collect(),
                }
            }
            _ => Payload::Snapshot {
                name: format!("snap-{}", rng.next()),
            },
        };
        entries.push(entry(position, payload));
    }
    if rng.below(2) == 0 {
        entries.push(entry(
            position,
            Payload::End {
                reason: EndReason::Fail(rng.next()),
            },
        ));
    }
    entries
}

/// Decodes `log` as far as it is valid and encodes what was decoded again.
fn valid_prefix(log: &[u8]) -> Result<Vec<u8>, LogError> {
    let mut reader = LogReader::open(log, None)?;
    let mut writer = LogWriter::new(Vec::new(), *reader.fingerprint())?;
    while let Ok(Some(e)) = reader.next_entry() {
        writer.append(&e)?;
    }
    assert_eq!(writer.offset(), reader.offset());
    writer.into_inner()
}

#[test]
fn random_logs_round_trip_and_mutated_logs_decode_only_to_what_re_encodes_identically() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2_000 {
        let entries = random_log(&mut rng);
        let log = write_log(&entries);
        let (read, result) = read_log(&log);
        result.expect("a written log reads back");
        assert_eq!(read, entries);

        let mut bad = log.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(bad.len() as u64) as usize;
            match rng.below(4) {
                0 => bad[at] ^= 1 << rng.below(8),
                1 => bad.truncate(at),
                2 => bad.insert(at, rng.next() as u8),
                _ => {
                    let from = rng.below(log.len() as u64) as usize;
                    bad.extend_from_slice(&log[from..]);
                }
            }
            if bad.is_empty() {
                break;
            }
        }
        // Whatever decodes must be exactly a prefix of the input: no input is read two ways.
        if let Ok(valid) = valid_prefix(&bad) {
            assert_eq!(bad.get(..valid.len()), Some(&valid[..]));
        }
    }
}
