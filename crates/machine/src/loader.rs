//! Program loading: ELF64 RISC-V executables and raw binaries.
//!
//! An ELF file's `PT_LOAD` segments go to their physical addresses (`p_paddr`), the part of
//! `p_memsz` beyond `p_filesz` zero-filled, and the hart starts at `e_entry`. The `tohost` and
//! `fromhost` symbols, if the symbol table has them, locate the HTIF words. A file without the
//! ELF magic is a raw binary loaded at [`RAM_BASE`], which is also its entry point.

use std::path::Path;

use goblin::elf::program_header::PT_LOAD;
use goblin::elf::section_header::{SHF_ALLOC, SHT_NOBITS};
use goblin::elf::Elf;
use rv64::Memory;
use thiserror::Error;

use crate::RAM_BASE;

/// Why a program could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read the program")]
    Read(#[from] std::io::Error),
    /// The file is empty.
    #[error("the program is empty")]
    Empty,
    /// The file ends before the ELF structures it declares.
    #[error("truncated ELF file: {0}")]
    Truncated(&'static str),
    /// The ELF structures are inconsistent.
    #[error("malformed ELF file: {0}")]
    Malformed(String),
    /// The ELF file is for another architecture.
    #[error("not a RISC-V program (ELF machine {0:#x}{name})", name = machine_name(*.0))]
    NotRiscv(u16),
    /// The ELF file is 32-bit.
    #[error("not a 64-bit program (ELF class 32)")]
    Not64Bit,
    /// The ELF file is big-endian.
    #[error("not a little-endian program")]
    NotLittleEndian,
    /// The ELF file has nothing to load.
    #[error("the program has no loadable segment")]
    NoSegments,
    /// A segment lies (partly) outside guest RAM.
    #[error(
        "program does not fit in memory: segment {addr:#x} +{len:#x} beyond RAM {ram_base:#x}+{ram_size:#x}"
    )]
    DoesNotFit {
        /// Physical address of the segment.
        addr: u64,
        /// Size of the segment in memory.
        len: u64,
        /// Physical address of RAM.
        ram_base: u64,
        /// Size of RAM.
        ram_size: u64,
    },
    /// The entry point lies outside guest RAM.
    #[error("entry point {entry:#x} is outside RAM {ram_base:#x}+{ram_size:#x}")]
    EntryOutsideRam {
        /// The entry point.
        entry: u64,
        /// Physical address of RAM.
        ram_base: u64,
        /// Size of RAM.
        ram_size: u64,
    },
}

fn machine_name(machine: u16) -> &'static str {
    match machine {
        0x03 => ", x86",
        0x28 => ", ARM",
        0x3e => ", x86-64",
        0xb7 => ", AArch64",
        _ => "",
    }
}

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const EM_RISCV: u16 = 243;
const ELF64_HEADER_LEN: usize = 64;

/// A contiguous piece of the program's memory image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Physical load address.
    pub addr: u64,
    /// Bytes from the file.
    pub data: Vec<u8>,
    /// Size in memory; the bytes beyond `data` are zero.
    pub mem_size: u64,
}

/// A parsed program, kept by the machine so that a reset can load it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    segments: Vec<Segment>,
    entry: u64,
    tohost: Option<u64>,
    fromhost: Option<u64>,
}

impl Program {
    /// Reads and parses the program at `path`.
    pub fn load(path: &Path) -> Result<Program, LoadError> {
        Program::parse(&std::fs::read(path)?)
    }

    /// Parses an ELF image, or takes any other bytes as a raw binary at [`RAM_BASE`].
    pub fn parse(bytes: &[u8]) -> Result<Program, LoadError> {
        if bytes.is_empty() {
            return Err(LoadError::Empty);
        }
        if bytes.starts_with(ELF_MAGIC) {
            return parse_elf(bytes);
        }
        Ok(Program {
            segments: vec![Segment {
                addr: RAM_BASE,
                data: bytes.to_vec(),
                mem_size: bytes.len() as u64,
            }],
            entry: RAM_BASE,
            tohost: None,
            fromhost: None,
        })
    }

    /// The segments to load.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The entry point.
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// Address of the `tohost` symbol, if any.
    pub fn tohost(&self) -> Option<u64> {
        self.tohost
    }

    /// Address of the `fromhost` symbol, if any.
    pub fn fromhost(&self) -> Option<u64> {
        self.fromhost
    }

    /// The same program with HTIF symbols, for tests that cannot carry a symbol table.
    #[cfg(test)]
    pub(crate) fn with_htif(self, tohost: u64, fromhost: u64) -> Program {
        Program {
            tohost: Some(tohost),
            fromhost: Some(fromhost),
            ..self
        }
    }

    /// Checks that every segment and the entry point lie in `mem`, then copies the segments in.
    pub fn load_into(&self, mem: &mut Memory) -> Result<(), LoadError> {
        let (ram_base, ram_size) = (mem.base(), mem.size());
        let in_ram = |addr: u64, len: u64| {
            addr >= ram_base
                && addr
                    .checked_add(len)
                    .is_some_and(|end| end - ram_base <= ram_size)
        };
        for s in &self.segments {
            if !in_ram(s.addr, s.mem_size) {
                return Err(LoadError::DoesNotFit {
                    addr: s.addr,
                    len: s.mem_size,
                    ram_base,
                    ram_size,
                });
            }
        }
        if !in_ram(self.entry, 2) {
            return Err(LoadError::EntryOutsideRam {
                entry: self.entry,
                ram_base,
                ram_size,
            });
        }
        const ZEROS: [u8; 4096] = [0; 4096];
        for s in &self.segments {
            let fits = |_| LoadError::DoesNotFit {
                addr: s.addr,
                len: s.mem_size,
                ram_base,
                ram_size,
            };
            mem.write(s.addr, &s.data).map_err(fits)?;
            let mut addr = s.addr + s.data.len() as u64;
            let end = s.addr + s.mem_size;
            while addr < end {
                let n = (end - addr).min(ZEROS.len() as u64);
                mem.write(addr, &ZEROS[..n as usize]).map_err(fits)?;
                addr += n;
            }
        }
        Ok(())
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    bytes
        .get(at..at + 2)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut v = [0; 8];
    if let Some(b) = bytes.get(at..at + 8) {
        v.copy_from_slice(b);
    }
    u64::from_le_bytes(v)
}

/// Whether the table at `offset` of `count` entries of `entry_size` bytes ends past `len`.
fn table_past_end(offset: u64, count: u16, entry_size: u16, len: usize) -> bool {
    let size = u64::from(count) * u64::from(entry_size);
    offset.checked_add(size).is_none_or(|end| end > len as u64)
}

/// Checks the identification and header sizes before goblin parses the rest, so that the
/// common mistakes (another architecture, a cut-off file) get precise messages.
fn check_elf_header(bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.len() < 20 {
        return Err(LoadError::Truncated("the ELF header is incomplete"));
    }
    let machine = match bytes[5] {
        ELFDATA2LSB => u16_at(bytes, 18),
        _ => u16::from_be_bytes([bytes[18], bytes[19]]),
    };
    if machine != EM_RISCV {
        return Err(LoadError::NotRiscv(machine));
    }
    if bytes[4] != ELFCLASS64 {
        return Err(LoadError::Not64Bit);
    }
    if bytes[5] != ELFDATA2LSB {
        return Err(LoadError::NotLittleEndian);
    }
    if bytes.len() < ELF64_HEADER_LEN {
        return Err(LoadError::Truncated("the ELF header is incomplete"));
    }
    let (phoff, phentsize, phnum) = (u64_at(bytes, 32), u16_at(bytes, 54), u16_at(bytes, 56));
    if table_past_end(phoff, phnum, phentsize, bytes.len()) {
        return Err(LoadError::Truncated(
            "the program header table extends past the end of the file",
        ));
    }
    let (shoff, shentsize, shnum) = (u64_at(bytes, 40), u16_at(bytes, 58), u16_at(bytes, 60));
    if shoff != 0 && table_past_end(shoff, shnum, shentsize, bytes.len()) {
        return Err(LoadError::Truncated(
            "the section header table extends past the end of the file",
        ));
    }
    Ok(())
}

/// How many leading bytes of a segment to leave out because they lie below [`RAM_BASE`] and
/// hold no section's contents.
///
/// GNU ld's default script with `-Ttext=0x80000000` maps the ELF and program headers into the
/// first `PT_LOAD` segment, one page below the text. Those bytes (headers and padding) are not
/// part of the program, so only the segment's part in RAM is loaded. Without section headers
/// nothing is known to be padding and nothing is left out.
fn header_prefix(elf: &Elf, addr: u64, offset: u64, file_size: u64) -> u64 {
    let skip = RAM_BASE.saturating_sub(addr);
    if skip == 0 || skip >= file_size || elf.section_headers.is_empty() {
        return 0;
    }
    let prefix = offset..offset + skip;
    let holds_content = elf.section_headers.iter().any(|sh| {
        sh.sh_flags & u64::from(SHF_ALLOC) != 0
            && sh.sh_type != SHT_NOBITS
            && sh.sh_size > 0
            && sh.sh_offset < prefix.end
            && sh.sh_offset.saturating_add(sh.sh_size) > prefix.start
    });
    if holds_content {
        0
    } else {
        skip
    }
}

fn parse_elf(bytes: &[u8]) -> Result<Program, LoadError> {
    check_elf_header(bytes)?;
    let elf = Elf::parse(bytes).map_err(|e| LoadError::Malformed(e.to_string()))?;
    let mut segments = Vec::new();
    for ph in elf
        .program_headers
        .iter()
        .filter(|ph| ph.p_type == PT_LOAD && ph.p_memsz > 0)
    {
        if ph.p_filesz > ph.p_memsz {
            return Err(LoadError::Malformed(format!(
                "segment at {:#x} has a file size {:#x} larger than its memory size {:#x}",
                ph.p_paddr, ph.p_filesz, ph.p_memsz
            )));
        }
        let data = usize::try_from(ph.p_offset)
            .ok()
            .zip(usize::try_from(ph.p_filesz).ok())
            .and_then(|(off, len)| bytes.get(off..off.checked_add(len)?))
            .ok_or(LoadError::Truncated(
                "a segment extends past the end of the file",
            ))?;
        let skip = header_prefix(&elf, ph.p_paddr, ph.p_offset, ph.p_filesz);
        segments.push(Segment {
            addr: ph.p_paddr + skip,
            data: data.get(skip as usize..).unwrap_or_default().to_vec(),
            mem_size: ph.p_memsz - skip,
        });
    }
    if segments.is_empty() {
        return Err(LoadError::NoSegments);
    }
    let symbol = |name: &str| {
        elf.syms
            .iter()
            .find(|sym| sym.st_value != 0 && elf.strtab.get_at(sym.st_name) == Some(name))
            .map(|sym| sym.st_value)
    };
    Ok(Program {
        entry: elf.entry,
        tohost: symbol("tohost"),
        fromhost: symbol("fromhost"),
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use goblin::elf::section_header::SHT_PROGBITS;

    const PT_LOAD_ENTRY: usize = 56;

    /// A minimal ELF64 executable: header, program headers, then the segments' bytes.
    fn elf_image(machine: u16, entry: u64, segments: &[(u64, &[u8], u64)]) -> Vec<u8> {
        let mut out = vec![0u8; ELF64_HEADER_LEN];
        out[..4].copy_from_slice(ELF_MAGIC);
        out[4] = ELFCLASS64;
        out[5] = ELFDATA2LSB;
        out[6] = 1;
        out[16..18].copy_from_slice(&2u16.to_le_bytes());
        out[18..20].copy_from_slice(&machine.to_le_bytes());
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[24..32].copy_from_slice(&entry.to_le_bytes());
        out[32..40].copy_from_slice(&(ELF64_HEADER_LEN as u64).to_le_bytes());
        out[52..54].copy_from_slice(&(ELF64_HEADER_LEN as u16).to_le_bytes());
        out[54..56].copy_from_slice(&(PT_LOAD_ENTRY as u16).to_le_bytes());
        out[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        let mut data_off = (ELF64_HEADER_LEN + PT_LOAD_ENTRY * segments.len()) as u64;
        for (addr, data, memsz) in segments {
            let mut ph = [0u8; PT_LOAD_ENTRY];
            ph[0..4].copy_from_slice(&PT_LOAD.to_le_bytes());
            ph[4..8].copy_from_slice(&7u32.to_le_bytes());
            ph[8..16].copy_from_slice(&data_off.to_le_bytes());
            ph[16..24].copy_from_slice(&addr.to_le_bytes());
            ph[24..32].copy_from_slice(&addr.to_le_bytes());
            ph[32..40].copy_from_slice(&(data.len() as u64).to_le_bytes());
            ph[40..48].copy_from_slice(&memsz.to_le_bytes());
            out.extend_from_slice(&ph);
            data_off += data.len() as u64;
        }
        for (_, data, _) in segments {
            out.extend_from_slice(data);
        }
        out
    }

    /// Appends a section header table (a null section, then `sections` as
    /// `(type, flags, file offset, size)`) to an image from [`elf_image`].
    fn with_sections(mut image: Vec<u8>, sections: &[(u32, u64, u64, u64)]) -> Vec<u8> {
        const SH_ENTRY: usize = 64;
        let shoff = image.len() as u64;
        image[40..48].copy_from_slice(&shoff.to_le_bytes());
        image[58..60].copy_from_slice(&(SH_ENTRY as u16).to_le_bytes());
        image[60..62].copy_from_slice(&(sections.len() as u16 + 1).to_le_bytes());
        image.extend_from_slice(&[0; SH_ENTRY]);
        for &(sh_type, flags, offset, size) in sections {
            let mut sh = [0u8; SH_ENTRY];
            sh[4..8].copy_from_slice(&sh_type.to_le_bytes());
            sh[8..16].copy_from_slice(&flags.to_le_bytes());
            sh[24..32].copy_from_slice(&offset.to_le_bytes());
            sh[32..40].copy_from_slice(&size.to_le_bytes());
            image.extend_from_slice(&sh);
        }
        image
    }

    fn ram(size: u64) -> Memory {
        Memory::new(RAM_BASE, size).unwrap()
    }

    #[test]
    fn pt_load_segments_go_to_their_physical_address_with_bss_zeroed() {
        let image = elf_image(
            EM_RISCV,
            RAM_BASE + 4,
            &[(RAM_BASE + 0x100, &[1, 2, 3, 4], 8)],
        );
        let program = Program::parse(&image).unwrap();
        assert_eq!(program.entry(), RAM_BASE + 4);
        let mut mem = ram(0x1000);
        mem.write(RAM_BASE + 0x104, &[0xff; 4]).unwrap();
        program.load_into(&mut mem).unwrap();
        let mut buf = [0xaa; 8];
        mem.read(RAM_BASE + 0x100, &mut buf).unwrap();
        assert_eq!(buf, [1, 2, 3, 4, 0, 0, 0, 0]);
    }

    /// The layout GNU ld gives `-Ttext=0x80000000`: headers and padding a page below RAM.
    fn headers_below_ram(text_flags: u64) -> Vec<u8> {
        let mut page = vec![0u8; 0x1000 - 120];
        page.extend_from_slice(&[0x13, 0, 0, 0]);
        let mut image = elf_image(EM_RISCV, RAM_BASE, &[(RAM_BASE - 0x1000, &[], 0x1004)]);
        // Make the segment start at file offset 0, covering the headers, like ld does.
        let ph = ELF64_HEADER_LEN;
        image[ph + 8..ph + 16].copy_from_slice(&0u64.to_le_bytes());
        image[ph + 32..ph + 40].copy_from_slice(&0x1004u64.to_le_bytes());
        image.extend_from_slice(&page);
        let text = (SHT_PROGBITS, text_flags, 0x1000, 4);
        with_sections(image, &[text])
    }

    #[test]
    fn headers_mapped_below_ram_by_the_linker_are_not_loaded() {
        let program = Program::parse(&headers_below_ram(u64::from(SHF_ALLOC))).unwrap();
        let segment = &program.segments()[0];
        assert_eq!((segment.addr, segment.mem_size), (RAM_BASE, 4));
        assert_eq!(segment.data, [0x13, 0, 0, 0]);
        program.load_into(&mut ram(0x1000)).unwrap();
    }

    #[test]
    fn section_contents_below_ram_are_still_loaded_and_rejected() {
        let mut image = headers_below_ram(u64::from(SHF_ALLOC));
        let program = Program::parse(&image).unwrap();
        assert_eq!(program.segments()[0].addr, RAM_BASE);
        // Move the section into the first page: now the prefix holds program contents.
        let sh_offset = image.len() - 64 + 24;
        image[sh_offset..sh_offset + 8].copy_from_slice(&0x800u64.to_le_bytes());
        let program = Program::parse(&image).unwrap();
        assert_eq!(program.segments()[0].addr, RAM_BASE - 0x1000);
        let err = program.load_into(&mut ram(0x1000)).unwrap_err();
        assert!(matches!(err, LoadError::DoesNotFit { .. }));
    }

    #[test]
    fn raw_binary_loads_at_ram_base_with_entry_there() {
        let program = Program::parse(&[0x13, 0, 0, 0]).unwrap();
        assert_eq!(program.entry(), RAM_BASE);
        assert_eq!(program.segments()[0].addr, RAM_BASE);
        assert_eq!(program.tohost(), None);
    }

    #[test]
    fn empty_file_is_rejected() {
        assert!(matches!(Program::parse(&[]), Err(LoadError::Empty)));
    }

    #[test]
    fn truncated_elf_header_is_rejected() {
        let image = elf_image(EM_RISCV, RAM_BASE, &[(RAM_BASE, &[0; 16], 16)]);
        assert!(matches!(
            Program::parse(&image[..40]),
            Err(LoadError::Truncated(_))
        ));
        assert!(matches!(
            Program::parse(&image[..10]),
            Err(LoadError::Truncated(_))
        ));
    }

    #[test]
    fn truncated_program_headers_are_rejected() {
        let image = elf_image(EM_RISCV, RAM_BASE, &[(RAM_BASE, &[0; 16], 16)]);
        assert!(matches!(
            Program::parse(&image[..80]),
            Err(LoadError::Truncated(_))
        ));
    }

    #[test]
    fn truncated_segment_data_is_rejected() {
        let image = elf_image(EM_RISCV, RAM_BASE, &[(RAM_BASE, &[0; 16], 16)]);
        let cut = &image[..image.len() - 1];
        assert!(matches!(Program::parse(cut), Err(LoadError::Truncated(_))));
    }

    #[test]
    fn wrong_machine_is_rejected() {
        let image = elf_image(0x3e, RAM_BASE, &[(RAM_BASE, &[0; 4], 4)]);
        let err = Program::parse(&image).unwrap_err();
        assert!(matches!(err, LoadError::NotRiscv(0x3e)));
        assert_eq!(
            err.to_string(),
            "not a RISC-V program (ELF machine 0x3e, x86-64)"
        );
    }

    #[test]
    fn elf32_and_big_endian_are_rejected() {
        let mut image = elf_image(EM_RISCV, RAM_BASE, &[(RAM_BASE, &[0; 4], 4)]);
        image[4] = 1;
        assert!(matches!(Program::parse(&image), Err(LoadError::Not64Bit)));
        image[4] = ELFCLASS64;
        image[5] = 2;
        image[18..20].copy_from_slice(&EM_RISCV.to_be_bytes());
        assert!(matches!(
            Program::parse(&image),
            Err(LoadError::NotLittleEndian)
        ));
    }

    #[test]
    fn file_size_larger_than_memory_size_is_malformed() {
        let image = elf_image(EM_RISCV, RAM_BASE, &[(RAM_BASE, &[0; 8], 4)]);
        assert!(matches!(
            Program::parse(&image),
            Err(LoadError::Malformed(_))
        ));
    }

    #[test]
    fn elf_without_loadable_segments_is_rejected() {
        let image = elf_image(EM_RISCV, RAM_BASE, &[]);
        assert!(matches!(Program::parse(&image), Err(LoadError::NoSegments)));
    }

    #[test]
    fn segment_beyond_ram_does_not_fit() {
        let image = elf_image(EM_RISCV, RAM_BASE, &[(RAM_BASE + 0x800, &[1; 4], 0x1000)]);
        let err = Program::parse(&image)
            .unwrap()
            .load_into(&mut ram(0x1000))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "program does not fit in memory: segment 0x80000800 +0x1000 beyond RAM 0x80000000+0x1000"
        );
    }

    #[test]
    fn segment_below_ram_does_not_fit() {
        let image = elf_image(EM_RISCV, RAM_BASE, &[(0x1000, &[1; 4], 4)]);
        let err = Program::parse(&image)
            .unwrap()
            .load_into(&mut ram(0x1000))
            .unwrap_err();
        assert!(matches!(err, LoadError::DoesNotFit { addr: 0x1000, .. }));
    }

    #[test]
    fn segment_whose_end_overflows_does_not_fit() {
        let image = elf_image(EM_RISCV, RAM_BASE, &[(u64::MAX - 1, &[], 4)]);
        let err = Program::parse(&image)
            .unwrap()
            .load_into(&mut ram(0x1000))
            .unwrap_err();
        assert!(matches!(err, LoadError::DoesNotFit { .. }));
    }

    #[test]
    fn raw_binary_larger_than_ram_does_not_fit() {
        let program = Program::parse(&[1; 0x2000]).unwrap();
        assert!(matches!(
            program.load_into(&mut ram(0x1000)),
            Err(LoadError::DoesNotFit { .. })
        ));
    }

    #[test]
    fn entry_outside_ram_is_rejected() {
        let image = elf_image(EM_RISCV, 0x1000, &[(RAM_BASE, &[1; 4], 4)]);
        let err = Program::parse(&image)
            .unwrap()
            .load_into(&mut ram(0x1000))
            .unwrap_err();
        assert!(matches!(
            err,
            LoadError::EntryOutsideRam { entry: 0x1000, .. }
        ));
    }
}
