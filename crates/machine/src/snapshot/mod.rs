//! Snapshots: the whole machine's state in one self-delimiting, checksummed byte stream, for
//! `--save-at`/`--restore`, and machine states, the same without RAM and disk contents, for
//! handing a running guest to a new backup.
//!
//! [`Machine::save_snapshot`] writes one; [`Machine::restore_snapshot`] builds a machine from
//! one, given the same configuration, boot images and devices as the machine that wrote it
//! (they are host resources and large images, not state: the snapshot only records a
//! fingerprint of them and refuses to restore onto anything else). [`Machine::digest`],
//! [`Machine::checkpoint`] and [`Machine::state_summary`] hash the same state for divergence
//! detection.
//!
//! A live transfer moves RAM and disk contents while the guest runs (pre-copy), then stops it
//! for the rest and the state: [`Machine::save_state`] writes everything but RAM and disk
//! contents (a few KiB, in microseconds), and [`Machine::restore_state`] builds the machine
//! from such a state and the RAM pages the caller received, leaving the disk, which the
//! caller received too, as it is.
//!
//! Each component saves a plain-data state ([`rv64::persist::Persist`]) that is restored
//! through a checked constructor: a snapshot that passes its checksum but holds a state no
//! machine could have is refused with an error, never a panic.
//!
//! # Format (version 1)
//!
//! Integers are little-endian; CRC32 is the IEEE polynomial (`crc32fast`).
//!
//! | Offset | Size | Field                                                                 |
//! |-------:|-----:|-----------------------------------------------------------------------|
//! |      0 |    8 | magic `VMFTSNAP` ([`MAGIC`])                                           |
//! |      8 |    2 | format version, u16 ([`VERSION`])                                      |
//! |     10 |    2 | flags, u16: bit 0 ([`FLAG_STATE`]) marks a machine state; others are 0 |
//! |     12 |    8 | total length of the snapshot in bytes, u64, checksum included         |
//! |     20 |    8 | RAM size, u64                                                          |
//! |     28 |   32 | boot fingerprint ([`Boot::fingerprint`])                               |
//! |     60 |    1 | devices: bit 0 virtio-blk, bit 1 virtio-net, bit 2 virtio-rng          |
//! |     61 |    1 | 1 if the disk is read-only, else 0 (0 without a disk)                  |
//! |     62 |    6 | MAC address (zero without a network device)                            |
//! |     68 |    8 | disk size in bytes, u64 (0 without a disk)                             |
//! |     76 |    … | sections, in the order below                                           |
//! |  len-4 |    4 | CRC32 of every byte before it                                          |
//!
//! A section is a 4-byte ASCII tag, a u64 body length and the body, which must decode
//! exactly. Bodies encode the components' state structs field by field (see `codec.rs`):
//!
//! | Tag    | Body                                                                          |
//! |--------|-------------------------------------------------------------------------------|
//! | `HART` | [`HartState`]: pc, registers, privilege, position, traps, CSRs, lines, reservation |
//! | `MACH` | positions before the last reset, final exit, `wfi` sleep, HTIF addresses       |
//! | `CLNT` | [`crate::clint::ClintState`]                                                   |
//! | `UART` | [`crate::uart::UartState`]                                                     |
//! | `PLIC` | [`crate::plic::PlicState`]                                                     |
//! | `BORD` | pending power request, pending queue notifications, untaken console output    |
//! | `VBLK` | virtio-blk transport and device (only with a disk)                            |
//! | `VNET` | virtio-net transport and device, backlog and untaken frames (only with a NIC) |
//! | `VRNG` | virtio-rng transport and device (only with an entropy device)                 |
//! | `RAM ` | RAM contents, sparse and compressed (see `pages.rs`)                           |
//! | `DISK` | the disk's contents, sparse and compressed (only with a disk)                  |
//!
//! A machine state ([`Machine::save_state`]) is a snapshot with flag [`FLAG_STATE`] and
//! without the `RAM ` and `DISK` sections. Each kind is refused where the other is expected
//! ([`SnapshotError::WrongKind`]).
//!
//! The snapshot is checked as a whole before any section is decoded: its length first, then
//! the checksum, then the configuration. Restoring writes the saved disk contents back to
//! the disk backend (only the 4 KiB pages that differ), as the last step, after every other
//! section has been decoded and validated.

mod codec;
mod digest;
mod pages;
#[cfg(test)]
mod tests;

use std::io::{self, Read, Write};

use rv64::hart::state::HartState;
use rv64::persist::{Persist, StateError};
use rv64::{Hart, Memory, MemoryError};
use thiserror::Error;
use virtio::DiskBackend;

use crate::board::{Board, BoardState, SlotState, VirtioSlot, SLOT_BLOCK, SLOT_ENTROPY, SLOT_NET};
use crate::htif::Htif;
use crate::machine::{Boot, Devices, Machine, MachineConfig};
use crate::RAM_BASE;
use codec::{BoardMisc, Codec, MachineState, Malformed, Reader};

pub(crate) use digest::zero_page_hashes;
pub use digest::{Checkpoint, StateDiff, StateSummary};

/// The first eight bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"VMFTSNAP";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 1;
/// Size of the header before the first section.
pub const HEADER_LEN: usize = 76;
/// Header flag of a machine state: a snapshot without RAM and disk contents.
pub const FLAG_STATE: u16 = 1;

const DEVICE_BLOCK: u8 = 1;
const DEVICE_NET: u8 = 2;
const DEVICE_ENTROPY: u8 = 4;

/// Why a snapshot could not be written or restored.
#[derive(Debug, Error)]
pub enum SnapshotError {
    /// Reading or writing the stream failed.
    #[error("snapshot I/O: {0}")]
    Io(#[from] io::Error),
    /// The stream does not start with [`MAGIC`].
    #[error("not a vmft snapshot (no VMFTSNAP magic)")]
    BadMagic,
    /// The snapshot was written in another format version.
    #[error("snapshot format version {0}; this vmft reads version {VERSION}")]
    Version(u16),
    /// The stream ended before the length the header announces.
    #[error("snapshot truncated: it ends at byte {found}, its header says {expected} bytes")]
    Truncated {
        /// Bytes present.
        found: u64,
        /// Bytes expected.
        expected: u64,
    },
    /// The checksum does not match the contents.
    #[error("snapshot checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is corrupt")]
    Checksum {
        /// The CRC32 in the file.
        stored: u32,
        /// The CRC32 of the contents.
        computed: u32,
    },
    /// The snapshot was taken on a machine with another configuration.
    #[error("snapshot belongs to another machine: {0}")]
    WrongMachine(String),
    /// A section does not decode.
    #[error("malformed snapshot section {section} at byte {offset}: {reason}")]
    Malformed {
        /// The section's tag (or `header`).
        section: String,
        /// Offset of the offending byte in the snapshot.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A section decodes to a state the component refuses.
    #[error("snapshot section {section}: {source}")]
    State {
        /// The section's tag.
        section: String,
        /// The component's objection.
        source: StateError,
    },
    /// The disk backend failed while saving or restoring its contents.
    #[error("disk contents: {0}")]
    Disk(io::Error),
    /// RAM of the configured size could not be allocated.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// A machine state where a snapshot was expected, or the other way round.
    #[error("expected a {expected}, found a {found}")]
    WrongKind {
        /// What the caller asked for.
        expected: &'static str,
        /// What the stream holds.
        found: &'static str,
    },
    /// A RAM page handed to [`Machine::restore_state`] is not a whole page within RAM.
    #[error("RAM page {page} of {len} bytes does not fit: pages are 4096 bytes within RAM")]
    RamPage {
        /// The page number, from the start of RAM.
        page: usize,
        /// Its length in bytes.
        len: usize,
    },
}

/// What a snapshot stream holds, by its header's flags.
fn kind_name(state: bool) -> &'static str {
    if state {
        "machine state (without RAM and disk)"
    } else {
        "snapshot"
    }
}

/// The machine configuration a snapshot belongs to (the header's fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    ram_size: u64,
    boot: [u8; 32],
    /// Read-only flag and size of the disk.
    block: Option<(bool, u64)>,
    net: Option<[u8; 6]>,
    entropy: bool,
}

impl Identity {
    fn encode(&self, flags: u16, total_len: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&MAGIC);
        VERSION.encode(out);
        flags.encode(out);
        total_len.encode(out);
        self.ram_size.encode(out);
        out.extend_from_slice(&self.boot);
        let mut devices = 0;
        for (present, bit) in [
            (self.block.is_some(), DEVICE_BLOCK),
            (self.net.is_some(), DEVICE_NET),
            (self.entropy, DEVICE_ENTROPY),
        ] {
            if present {
                devices |= bit;
            }
        }
        devices.encode(out);
        self.block.is_some_and(|(ro, _)| ro).encode(out);
        out.extend_from_slice(&self.net.unwrap_or_default());
        self.block.map_or(0, |(_, len)| len).encode(out);
    }

    /// Decodes the configuration fields of a header whose magic, version, flags and length
    /// have been checked.
    fn decode(header: &[u8]) -> Result<Identity, Malformed> {
        let mut r = Reader::new(header, 0);
        r.bytes(20)?;
        let ram_size = u64::decode(&mut r)?;
        let boot = r.array()?;
        let devices = u8::decode(&mut r)?;
        if devices & !(DEVICE_BLOCK | DEVICE_NET | DEVICE_ENTROPY) != 0 {
            return Err(Malformed {
                offset: 60,
                reason: format!("unknown device bits {devices:#x}"),
            });
        }
        let read_only = bool::decode(&mut r)?;
        let mac = r.array()?;
        let disk_len = u64::decode(&mut r)?;
        let block = (devices & DEVICE_BLOCK != 0).then_some((read_only, disk_len));
        let net = (devices & DEVICE_NET != 0).then_some(mac);
        let identity = Identity {
            ram_size,
            boot,
            block,
            net,
            entropy: devices & DEVICE_ENTROPY != 0,
        };
        let mut canonical = Vec::new();
        identity.encode(0, 0, &mut canonical);
        if canonical[20..] != header[20..HEADER_LEN] {
            return Err(Malformed {
                offset: 61,
                reason: "fields of absent devices are not zero".into(),
            });
        }
        Ok(identity)
    }

    /// Why a machine of identity `self` cannot take a snapshot of identity `saved`.
    fn mismatch(&self, saved: &Identity) -> Option<String> {
        let mib = |n: u64| format!("{} MiB", n >> 20);
        let disk = |b: Option<(bool, u64)>| match b {
            None => "no disk".to_string(),
            Some((ro, len)) => format!(
                "a {}-byte {} disk",
                len,
                if ro { "read-only" } else { "writable" }
            ),
        };
        let mac = |m: Option<[u8; 6]>| match m {
            None => "no network device".to_string(),
            Some(m) => format!(
                "MAC {}",
                m.iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            ),
        };
        let rng = |e: bool| {
            if e {
                "an entropy device"
            } else {
                "no entropy device"
            }
        };
        if saved.ram_size != self.ram_size {
            Some(format!(
                "it was taken with {} of RAM ({} bytes), this machine has {} ({} bytes)",
                mib(saved.ram_size),
                saved.ram_size,
                mib(self.ram_size),
                self.ram_size
            ))
        } else if saved.boot != self.boot {
            Some("it was taken with other boot images (firmware, kernel, initrd, command line or program)".into())
        } else if saved.block != self.block {
            Some(format!(
                "it was taken with {}, this machine has {}",
                disk(saved.block),
                disk(self.block)
            ))
        } else if saved.net != self.net {
            Some(format!(
                "it was taken with {}, this machine has {}",
                mac(saved.net),
                mac(self.net)
            ))
        } else if saved.entropy != self.entropy {
            Some(format!(
                "it was taken with {}, this machine has {}",
                rng(saved.entropy),
                rng(self.entropy)
            ))
        } else {
            None
        }
    }
}

impl Boot {
    /// A hash of everything the machine loads at boot and on every reset: the program's
    /// segments, entry point and HTIF symbols, or the firmware, kernel, initrd and command
    /// line. Two boots with the same fingerprint build the same initial machine.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"vmft boot v1");
        fn blob(h: &mut blake3::Hasher, bytes: &[u8]) {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        match self {
            Boot::Program(p) => {
                h.update(&[0]);
                let mut fixed = Vec::new();
                p.entry().encode(&mut fixed);
                p.tohost().encode(&mut fixed);
                p.fromhost().encode(&mut fixed);
                p.segments().len().encode(&mut fixed);
                h.update(&fixed);
                for s in p.segments() {
                    h.update(&s.addr.to_le_bytes());
                    h.update(&s.mem_size.to_le_bytes());
                    blob(&mut h, &s.data);
                }
            }
            Boot::Firmware(f) => {
                h.update(&[1]);
                blob(&mut h, &f.firmware);
                blob(&mut h, &f.kernel);
                h.update(&[u8::from(f.initrd.is_some())]);
                if let Some(initrd) = &f.initrd {
                    blob(&mut h, initrd);
                }
                blob(&mut h, f.bootargs.as_bytes());
            }
        }
        *h.finalize().as_bytes()
    }
}

/// The tags of the sections a machine of identity `id` has, in order; the RAM and disk
/// sections only with `contents`.
fn section_tags(id: &Identity, contents: bool) -> Vec<&'static [u8; 4]> {
    let mut tags: Vec<&'static [u8; 4]> =
        vec![b"HART", b"MACH", b"CLNT", b"UART", b"PLIC", b"BORD"];
    if id.block.is_some() {
        tags.push(b"VBLK");
    }
    if id.net.is_some() {
        tags.push(b"VNET");
    }
    if id.entropy {
        tags.push(b"VRNG");
    }
    if contents {
        tags.push(b"RAM ");
        if id.block.is_some() {
            tags.push(b"DISK");
        }
    }
    tags
}

fn tag_name(tag: &[u8]) -> String {
    String::from_utf8_lossy(tag).trim_end().to_string()
}

impl Machine {
    /// The configuration this machine's snapshots belong to.
    fn identity(&self) -> Identity {
        let block = match &self.board.virtio[SLOT_BLOCK] {
            Some(VirtioSlot::Block(t)) => {
                Some((t.device().save().read_only, t.device().backend().len()))
            }
            _ => None,
        };
        Identity {
            ram_size: self.mem.size(),
            boot: self.boot_fingerprint(),
            block,
            net: self.mac(),
            entropy: matches!(
                self.board.virtio[SLOT_ENTROPY],
                Some(VirtioSlot::Entropy(_))
            ),
        }
    }

    /// Every section but RAM and disk, as (tag, body). Without `outputs`, console output and
    /// transmitted frames the front end has not taken yet are left out (the digest's view:
    /// when the front end drains them is not machine state).
    fn component_sections(&self, outputs: bool) -> Vec<(&'static [u8; 4], Vec<u8>)> {
        let encode = |value: &dyn Fn(&mut Vec<u8>)| {
            let mut out = Vec::new();
            value(&mut out);
            out
        };
        let board = self.board.save();
        let machine = MachineState {
            base: self.base,
            halted: self.halted,
            sleeping: self.sleeping,
            htif: self.htif.map(|h| h.save()),
        };
        let misc = BoardMisc {
            power: board.power,
            notified: board.notified.clone(),
            output: if outputs {
                board.output.clone()
            } else {
                Vec::new()
            },
        };
        let mut sections = vec![
            (b"HART", encode(&|o| self.hart.save().encode(o))),
            (b"MACH", encode(&|o| machine.encode(o))),
            (b"CLNT", encode(&|o| board.clint.encode(o))),
            (b"UART", encode(&|o| board.uart.encode(o))),
            (b"PLIC", encode(&|o| board.plic.encode(o))),
            (b"BORD", encode(&|o| misc.encode(o))),
        ];
        for slot in board.virtio.into_iter().flatten() {
            sections.push(match slot {
                SlotState::Block(t) => (b"VBLK", encode(&|o| t.encode(o))),
                SlotState::Net(mut t) => {
                    if !outputs {
                        t.device.transmitted.clear();
                    }
                    (b"VNET", encode(&|o| t.encode(o)))
                }
                SlotState::Entropy(t) => (b"VRNG", encode(&|o| t.encode(o))),
            });
        }
        sections
    }

    /// [`Boot::fingerprint`] of the machine's boot images. The first call hashes them (tens
    /// of milliseconds for a Linux boot); later calls, and a restored machine's, are free.
    pub fn boot_fingerprint(&self) -> [u8; 32] {
        *self.fingerprint.get_or_init(|| self.program.fingerprint())
    }

    /// Writes a snapshot of the machine to `w` and returns its length in bytes. The snapshot
    /// is assembled in memory (its RAM and disk sections compressed), then written at once.
    ///
    /// Takes `&mut self` only because reading the disk backend does; the machine does not
    /// change. Take the console output and transmitted frames first if they should not be
    /// in the snapshot.
    pub fn save_snapshot(&mut self, w: impl Write) -> Result<u64, SnapshotError> {
        let out = self.encode(true)?;
        write_out(out, w)
    }

    /// Writes the machine's state without RAM and disk contents to `w` (a snapshot with flag
    /// [`FLAG_STATE`]: the hart, the devices and the identity header, a few KiB) and returns
    /// its length in bytes: what a live transfer sends last, with the machine stopped, after
    /// the RAM and disk contents. Reads neither RAM nor the disk. The boot fingerprint is
    /// hashed at the first call unless [`Machine::boot_fingerprint`] was called before.
    ///
    /// Take the console output and transmitted frames first if they should not be in the
    /// state.
    pub fn save_state(&mut self, w: impl Write) -> Result<u64, SnapshotError> {
        let out = self.encode(false)?;
        write_out(out, w)
    }

    /// The snapshot's bytes (with `contents`) or the state's (without), checksum left out.
    fn encode(&mut self, contents: bool) -> Result<Vec<u8>, SnapshotError> {
        let identity = self.identity();
        let mut out = Vec::new();
        let flags = if contents { 0 } else { FLAG_STATE };
        identity.encode(flags, 0, &mut out);
        for (tag, body) in self.component_sections(true) {
            out.extend_from_slice(tag);
            (body.len() as u64).encode(&mut out);
            out.extend_from_slice(&body);
        }
        if !contents {
            return Ok(out);
        }
        let section = |out: &mut Vec<u8>, tag: &[u8; 4]| {
            out.extend_from_slice(tag);
            out.extend_from_slice(&[0; 8]);
            out.len()
        };
        let close = |out: &mut Vec<u8>, start: usize| {
            let len = (out.len() - start) as u64;
            out[start - 8..start].copy_from_slice(&len.to_le_bytes());
        };
        let start = section(&mut out, b"RAM ");
        let mem = &self.mem;
        pages::encode(mem.size(), &mut out, |off, buf| {
            mem.read(RAM_BASE + off, buf)
        })?;
        close(&mut out, start);
        if let Some(VirtioSlot::Block(t)) = &mut self.board.virtio[SLOT_BLOCK] {
            let disk = t.device_mut().backend_mut();
            let start = section(&mut out, b"DISK");
            pages::encode(disk.len(), &mut out, |off, buf| disk.read_at(off, buf))
                .map_err(SnapshotError::Disk)?;
            close(&mut out, start);
        }
        Ok(out)
    }

    /// Builds the machine a snapshot describes. `config`, `boot` and `devices` must be what
    /// the saving machine was built with ([`Machine::with_devices`]); a snapshot of another
    /// configuration is refused with [`SnapshotError::WrongMachine`]. Reads exactly the
    /// snapshot's length from `r`.
    ///
    /// The saved disk contents are written to the disk backend, last: on any error before,
    /// the backend is untouched.
    pub fn restore_snapshot(
        config: MachineConfig,
        boot: impl Into<Boot>,
        devices: Devices,
        r: impl Read,
    ) -> Result<Machine, SnapshotError> {
        restore(config, boot.into(), devices, r, None::<std::iter::Empty<_>>)
    }

    /// Builds the machine a machine state ([`Machine::save_state`]) describes, with RAM
    /// holding the pages `ram` yields, (page number from the start of RAM, its 4096 bytes),
    /// in any order (a later page wins), and zeros elsewhere. `config`, `boot` and `devices`
    /// are checked as by [`Machine::restore_snapshot`], with the same errors; a full
    /// snapshot is refused with [`SnapshotError::WrongKind`], a page that is not 4096 bytes
    /// within RAM with [`SnapshotError::RamPage`]. Reads exactly the state's length from `r`.
    ///
    /// The disk backend is left as it is: the caller has given it the saving machine's
    /// contents. The first digest of the new machine hashes only the pages `ram` yields.
    pub fn restore_state<'a>(
        config: MachineConfig,
        boot: impl Into<Boot>,
        devices: Devices,
        r: impl Read,
        ram: impl IntoIterator<Item = (usize, &'a [u8])>,
    ) -> Result<Machine, SnapshotError> {
        restore(config, boot.into(), devices, r, Some(ram))
    }
}

/// Appends the checksum to a snapshot's bytes, fills in its length and writes it to `w`.
fn write_out(mut out: Vec<u8>, mut w: impl Write) -> Result<u64, SnapshotError> {
    let total = out.len() as u64 + 4;
    out[12..20].copy_from_slice(&total.to_le_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    w.write_all(&out)?;
    w.flush()?;
    Ok(total)
}

/// [`Machine::restore_snapshot`] (without `ram`) and [`Machine::restore_state`] (with it).
fn restore<'a>(
    config: MachineConfig,
    boot: Boot,
    devices: Devices,
    r: impl Read,
    ram: Option<impl IntoIterator<Item = (usize, &'a [u8])>>,
) -> Result<Machine, SnapshotError> {
    let fingerprint = boot.fingerprint();
    let expected = Identity {
        ram_size: config.ram_size,
        boot: fingerprint,
        block: devices.disk.as_ref().map(|(disk, ro)| (*ro, disk.len())),
        net: devices.net,
        entropy: devices.entropy,
    };
    let (bytes, flags) = read_checked(r)?;
    let is_state = flags & FLAG_STATE != 0;
    if is_state != ram.is_some() {
        return Err(SnapshotError::WrongKind {
            expected: kind_name(ram.is_some()),
            found: kind_name(is_state),
        });
    }
    let header_error = |e: Malformed| SnapshotError::Malformed {
        section: "header".into(),
        offset: e.offset,
        reason: e.reason,
    };
    let saved = Identity::decode(&bytes[..HEADER_LEN]).map_err(header_error)?;
    if let Some(why) = expected.mismatch(&saved) {
        return Err(SnapshotError::WrongMachine(why));
    }
    let mut sections = Sections {
        r: Reader::new(&bytes[..bytes.len() - 4], 0),
        tags: section_tags(&saved, !is_state).into_iter(),
    };
    sections.r.bytes(HEADER_LEN).map_err(header_error)?;
    let hart: HartState = sections.decode()?;
    let machine: MachineState = sections.decode()?;
    let mut board = BoardState {
        clint: sections.decode()?,
        uart: sections.decode()?,
        plic: sections.decode()?,
        virtio: Default::default(),
        power: None,
        notified: Vec::new(),
        output: Vec::new(),
    };
    let misc: BoardMisc = sections.decode()?;
    (board.power, board.notified, board.output) = (misc.power, misc.notified, misc.output);
    if saved.block.is_some() {
        board.virtio[SLOT_BLOCK] = Some(SlotState::Block(sections.decode()?));
    }
    if saved.net.is_some() {
        board.virtio[SLOT_NET] = Some(SlotState::Net(sections.decode()?));
    }
    if saved.entropy {
        board.virtio[SLOT_ENTROPY] = Some(SlotState::Entropy(sections.decode()?));
    }
    let mut mem = Memory::new(RAM_BASE, config.ram_size)?;
    // RAM starts as zeros with matching page hashes: the first digest hashes only the pages
    // written below.
    let page_hashes = zero_page_hashes(&mut mem);
    let mut disk = None;
    match ram {
        Some(ram) => {
            for (page, data) in ram {
                let end = (page as u64)
                    .checked_add(1)
                    .and_then(|n| n.checked_mul(pages::PAGE as u64));
                let fits = data.len() == pages::PAGE && end.is_some_and(|e| e <= config.ram_size);
                if !fits {
                    let len = data.len();
                    return Err(SnapshotError::RamPage { page, len });
                }
                mem.write(RAM_BASE + (page * pages::PAGE) as u64, data)?;
            }
        }
        None => {
            let (tag, mut r) = sections.next()?;
            pages::decode(&mut r, tag, config.ram_size, |piece| match piece {
                pages::Piece::Data(off, data) => Ok(mem.write(RAM_BASE + off, data)?),
                pages::Piece::Zero(..) => Ok(()),
            })?;
            if saved.block.is_some() {
                disk = Some(sections.next()?);
            }
        }
    }
    sections.r.finish().map_err(|e| malformed(b"end ", e))?;

    let state = |tag: &[u8], source: StateError| SnapshotError::State {
        section: tag_name(tag),
        source,
    };
    let hart = Hart::restore((), &hart).map_err(|e| state(b"HART", e))?;
    let htif = match &machine.htif {
        Some(h) => {
            Some(Htif::restore((RAM_BASE, config.ram_size), h).map_err(|e| state(b"MACH", e))?)
        }
        None => None,
    };
    let mut board = Board::restore(devices, &board).map_err(|e| state(b"BORD", e))?;
    if let (Some((tag, r)), Some(VirtioSlot::Block(t))) = (disk, &mut board.virtio[SLOT_BLOCK]) {
        restore_disk(t.device_mut().backend_mut(), tag, r)?;
    }
    Ok(Machine {
        program: boot,
        hart,
        mem,
        board,
        htif,
        base: machine.base,
        halted: machine.halted,
        sleeping: machine.sleeping,
        page_hashes,
        fingerprint: fingerprint.into(),
        disk_dirty: None,
        accel: rv64::Accel::default(),
        jit_tuning: None,
    })
}

fn malformed(tag: &[u8], e: Malformed) -> SnapshotError {
    SnapshotError::Malformed {
        section: tag_name(tag),
        offset: e.offset,
        reason: e.reason,
    }
}

/// Writes the saved disk image in `r` to `disk`, touching only pages that differ. The image
/// is decoded once without writing, so a run that does not decode leaves the disk untouched.
fn restore_disk(disk: &mut impl DiskBackend, tag: &[u8], r: Reader) -> Result<(), SnapshotError> {
    let len = disk.len();
    pages::decode(&mut r.clone(), tag, len, |_| Ok(()))?;
    let mut current = vec![0u8; pages::PAGE];
    let zeros = [0u8; pages::PAGE];
    let mut sync = |off: u64, wanted: &[u8]| -> Result<(), SnapshotError> {
        for (i, page) in wanted.chunks(pages::PAGE).enumerate() {
            let at = off + (i * pages::PAGE) as u64;
            let current = &mut current[..page.len()];
            disk.read_at(at, current).map_err(SnapshotError::Disk)?;
            if current != page {
                disk.write_at(at, page).map_err(SnapshotError::Disk)?;
            }
        }
        Ok(())
    };
    pages::decode(&mut r.clone(), tag, len, |piece| match piece {
        pages::Piece::Data(off, data) => sync(off, data),
        pages::Piece::Zero(mut off, mut n) => {
            while n > 0 {
                let k = n.min(pages::PAGE as u64);
                sync(off, &zeros[..k as usize])?;
                off += k;
                n -= k;
            }
            Ok(())
        }
    })?;
    disk.flush().map_err(SnapshotError::Disk)
}

/// The sections of a snapshot, read in their required order.
struct Sections<'a> {
    r: Reader<'a>,
    tags: std::vec::IntoIter<&'static [u8; 4]>,
}

impl<'a> Sections<'a> {
    /// The next section: its tag and a reader over its body.
    fn next(&mut self) -> Result<(&'static [u8; 4], Reader<'a>), SnapshotError> {
        let Some(tag) = self.tags.next() else {
            return Err(malformed(
                b"end ",
                self.r.error("no more sections expected"),
            ));
        };
        let at = self.r.offset();
        let found: [u8; 4] = self.r.array().map_err(|e| malformed(tag, e))?;
        if &found != tag {
            return Err(malformed(
                tag,
                Malformed {
                    offset: at,
                    reason: format!("found section {:?} instead", tag_name(&found)),
                },
            ));
        }
        let len = u64::decode(&mut self.r).map_err(|e| malformed(tag, e))?;
        let start = self.r.offset();
        let body = usize::try_from(len)
            .map_err(|_| self.r.error("section too long"))
            .and_then(|len| self.r.bytes(len))
            .map_err(|e| malformed(tag, e))?;
        Ok((tag, Reader::new(body, start)))
    }

    /// Decodes the next section as a `T`, which must take all of it.
    fn decode<T: Codec>(&mut self) -> Result<T, SnapshotError> {
        let (tag, mut r) = self.next()?;
        let value = T::decode(&mut r).map_err(|e| malformed(tag, e))?;
        r.finish().map_err(|e| malformed(tag, e))?;
        Ok(value)
    }
}

/// Reads a whole snapshot from `r` and checks its magic, version, flags, length and
/// checksum; returns it with its flags. Memory grows with the bytes actually read, never with
/// the length the header claims.
fn read_checked(r: impl Read) -> Result<(Vec<u8>, u16), SnapshotError> {
    let mut r = r;
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    (&mut r).take(HEADER_LEN as u64).read_to_end(&mut bytes)?;
    let n = bytes.len().min(MAGIC.len());
    if bytes[..n] != MAGIC[..n] {
        return Err(SnapshotError::BadMagic);
    }
    if bytes.len() >= 10 {
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version != VERSION {
            return Err(SnapshotError::Version(version));
        }
    }
    if bytes.len() < HEADER_LEN {
        return Err(SnapshotError::Truncated {
            found: bytes.len() as u64,
            expected: HEADER_LEN as u64,
        });
    }
    let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&bytes[12..20]);
    let total = u64::from_le_bytes(len_bytes);
    let unknown = flags & !FLAG_STATE;
    if unknown != 0 || total < HEADER_LEN as u64 + 4 {
        return Err(SnapshotError::Malformed {
            section: "header".into(),
            offset: if unknown != 0 { 10 } else { 12 },
            reason: if unknown != 0 {
                format!("unknown flags {flags:#x}")
            } else {
                format!("total length {total} is shorter than a header")
            },
        });
    }
    r.take(total - HEADER_LEN as u64).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < total {
        return Err(SnapshotError::Truncated {
            found: bytes.len() as u64,
            expected: total,
        });
    }
    let body = bytes.len() - 4;
    let mut stored = [0u8; 4];
    stored.copy_from_slice(&bytes[body..]);
    let stored = u32::from_le_bytes(stored);
    let computed = crc32fast::hash(&bytes[..body]);
    if stored != computed {
        return Err(SnapshotError::Checksum { stored, computed });
    }
    Ok((bytes, flags))
}
