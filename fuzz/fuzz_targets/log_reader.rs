//! Feeds arbitrary bytes to `replay::LogReader` and drains it. The reader must never panic nor
//! allocate without bound, and whatever it accepts must be exactly what `LogWriter` writes for
//! the decoded entries: one encoding per log, and no entry the writer would refuse.
//!
//! The first input byte selects how much of the input to make valid before decoding, so that
//! the fuzzer spends its time past the checksums as well as on them: bit 0 writes a valid magic,
//! version and flags, bit 1 the header checksum, bit 2 every complete frame's two checksums.

#![no_main]

use libfuzzer_sys::fuzz_target;
use replay::{LogReader, LogWriter, HEADER_LEN, MAGIC, MAX_PAYLOAD, VERSION};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, log)) = data.split_first() else {
        return;
    };
    let mut log = log.to_vec();
    if mode & 1 != 0 && log.len() >= 12 {
        log[..8].copy_from_slice(&MAGIC);
        log[8..10].copy_from_slice(&VERSION.to_le_bytes());
        log[10..12].fill(0);
    }
    if mode & 2 != 0 && log.len() >= HEADER_LEN {
        let crc = crc32(&log[..44]);
        log[44..48].copy_from_slice(&crc);
    }
    if mode & 4 != 0 {
        fix_frame_checksums(&mut log);
    }
    check(&log);
});

/// Decodes `log` as far as it is valid and asserts that re-encoding gives the same bytes.
fn check(log: &[u8]) {
    let Ok(mut reader) = LogReader::open(log, None) else {
        return;
    };
    let mut writer = LogWriter::new(Vec::new(), *reader.fingerprint()).expect("write to a Vec");
    while let Ok(Some(entry)) = reader.next_entry() {
        writer
            .append(&entry)
            .expect("the writer accepts every entry the reader accepts");
    }
    let valid = writer.into_inner().expect("flush to a Vec");
    assert_eq!(valid.len() as u64, reader.offset());
    assert_eq!(
        &log[..valid.len()],
        &valid[..],
        "a log decodes to what encodes it"
    );
}

/// Rewrites the checksums of every complete frame to match their bytes.
fn fix_frame_checksums(log: &mut [u8]) {
    let mut offset = HEADER_LEN;
    while log.len() >= offset + 17 {
        let crc = crc32(&log[offset..offset + 13]);
        log[offset + 13..offset + 17].copy_from_slice(&crc);
        let len = u32::from_le_bytes([
            log[offset],
            log[offset + 1],
            log[offset + 2],
            log[offset + 3],
        ]);
        if len > MAX_PAYLOAD || log.len() < offset + 17 + len as usize + 4 {
            return;
        }
        let end = offset + 17 + len as usize;
        let crc = crc32(&log[offset..end]);
        log[end..end + 4].copy_from_slice(&crc);
        offset = end + 4;
    }
}

fn crc32(bytes: &[u8]) -> [u8; 4] {
    crc32fast::hash(bytes).to_le_bytes()
}
