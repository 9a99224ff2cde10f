//! Saying what differs when a replay diverges. The log describes the recording's state at
//! each checkpoint — its registers, a hash of each state section and the hashes of the RAM
//! pages that changed — and [`Recorded`] keeps that description, with a table of every
//! page's hash, so that a digest mismatch can be reported as the registers, sections and
//! page addresses that differ.

use machine::{Checkpoint, Machine, RAM_BASE};
use replay::ShortHash;

use crate::record::registers_of;

/// Bytes per RAM page, as [`Machine::page_hashes`] hashes them.
const PAGE_SIZE: u64 = 4096;

/// Differing pages a report lists by address; the rest are counted.
const PAGES_SHOWN: usize = 16;

/// State sections as a `StateHashes` entry carries them: tag and short hash.
pub type SectionHashes = Vec<([u8; 4], ShortHash)>;

/// ABI names of the registers in a [`replay::Payload::Registers`] entry, in order.
pub const REGISTER_NAMES: [&str; 33] = [
    "pc",
    "privilege",
    "ra",
    "sp",
    "gp",
    "tp",
    "t0",
    "t1",
    "t2",
    "s0",
    "s1",
    "a0",
    "a1",
    "a2",
    "a3",
    "a4",
    "a5",
    "a6",
    "a7",
    "s2",
    "s3",
    "s4",
    "s5",
    "s6",
    "s7",
    "s8",
    "s9",
    "s10",
    "s11",
    "t3",
    "t4",
    "t5",
    "t6",
];

/// The first 8 bytes of a hash, as the log carries it.
pub fn short<const N: usize>(hash: &[u8; N]) -> ShortHash {
    hash.first_chunk().copied().unwrap_or_default()
}

/// The names and (recorded, replayed) values of the registers that differ between two
/// [`replay::Payload::Registers`] payloads.
pub fn differing_registers(recorded: &[u8], replayed: &[u8]) -> Vec<(&'static str, u64, u64)> {
    let words = |b: &[u8]| -> Vec<u64> {
        b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect()
    };
    REGISTER_NAMES
        .iter()
        .zip(words(recorded).into_iter().zip(words(replayed)))
        .filter(|(_, (a, b))| a != b)
        .map(|(name, (a, b))| (*name, a, b))
        .collect()
}

/// The tags of the sections whose hashes differ, or that only one side has: the replayed
/// machine's order first, then sections only the recording had.
fn differing_sections(
    recorded: &[([u8; 4], ShortHash)],
    replayed: &[([u8; 4], [u8; 32])],
) -> Vec<String> {
    let name = |tag: &[u8; 4]| String::from_utf8_lossy(tag).trim_end().to_string();
    let differ = replayed
        .iter()
        .filter(|(tag, hash)| !recorded.contains(&(*tag, short(hash))))
        .map(|(tag, _)| name(tag));
    let only_recorded = recorded
        .iter()
        .filter(|(tag, _)| !replayed.iter().any(|(t, _)| t == tag))
        .map(|(tag, _)| name(tag));
    differ.chain(only_recorded).collect()
}

/// Guest-physical addresses of the pages whose hashes differ, in order.
fn differing_pages(recorded: &[ShortHash], replayed: &[[u8; 16]]) -> Vec<u64> {
    recorded
        .iter()
        .zip(replayed)
        .enumerate()
        .filter(|(_, (recorded, replayed))| **recorded != short(replayed))
        .map(|(page, _)| RAM_BASE + page as u64 * PAGE_SIZE)
        .collect()
}

/// "N RAM pages differ: ADDRESS ..." with at most [`PAGES_SHOWN`] addresses.
fn describe_pages(pages: &[u64]) -> String {
    let shown: Vec<String> = pages
        .iter()
        .take(PAGES_SHOWN)
        .map(|p| format!("{p:#x}"))
        .collect();
    let mut text = match pages.len() {
        0 => return "RAM equal".to_string(),
        1 => format!("1 RAM page differs: {}", shown.join(" ")),
        n => format!("{n} RAM pages differ: {}", shown.join(" ")),
    };
    if pages.len() > PAGES_SHOWN {
        text += &format!(" and {} more", pages.len() - PAGES_SHOWN);
    }
    text
}

/// The recording's state as the log describes it, up to the checkpoint being read.
pub struct Recorded {
    /// The short hash of every RAM page of the recording: the replaying machine's at the
    /// start (both start from the same state), updated from every `StateHashes` entry.
    pages: Vec<ShortHash>,
    /// False once a checkpoint went by without state hashes: `pages` misses its changes.
    pages_known: bool,
    /// The last registers logged, with their position.
    registers: Option<(u64, Vec<u8>)>,
    /// The last section hashes logged, with their position.
    sections: Option<(u64, SectionHashes)>,
}

impl Recorded {
    /// Starts from `machine`'s state, which must be the recording's initial state.
    pub fn start(machine: &mut Machine) -> Recorded {
        Recorded {
            pages: machine.page_hashes().iter().map(short).collect(),
            pages_known: true,
            registers: None,
            sections: None,
        }
    }

    /// Takes in a `Registers` entry at `position`.
    pub fn registers(&mut self, position: u64, registers: &[u8]) {
        self.registers = Some((position, registers.to_vec()));
    }

    /// Takes in a `StateHashes` entry at `position`. Fails if it names a page the machine
    /// does not have.
    pub fn state_hashes(
        &mut self,
        position: u64,
        sections: &[([u8; 4], ShortHash)],
        pages: &[(u32, ShortHash)],
    ) -> anyhow::Result<()> {
        let count = self.pages.len();
        for &(page, hash) in pages {
            let Some(slot) = self.pages.get_mut(page as usize) else {
                anyhow::bail!(
                    "the state hashes at position {position} name RAM page {page}; \
                     the machine has {count} pages"
                );
            };
            *slot = hash;
        }
        self.sections = Some((position, sections.to_vec()));
        Ok(())
    }

    /// Takes in the `Digest` entry that ends the checkpoint at `position`.
    pub fn digest(&mut self, position: u64) {
        if !matches!(self.sections, Some((p, _)) if p == position) {
            self.pages_known = false;
        }
    }

    /// What differs, recorded -> replayed, between the recording at the checkpoint at
    /// `position` and `machine`, whose checkpoint there is `replayed`: the registers, the
    /// state sections by tag and the RAM pages by address, separated by semicolons.
    pub fn report(&self, position: u64, machine: &mut Machine, replayed: &Checkpoint) -> String {
        let at = |p: &u64| *p == position;
        let registers = match self.registers.as_ref().filter(|(p, _)| at(p)) {
            Some((_, recorded)) => {
                let diff = differing_registers(recorded, &registers_of(machine));
                match diff.is_empty() {
                    true => "registers equal".to_string(),
                    false => diff
                        .iter()
                        .map(|(name, was, is)| format!("{name} {was:#x} -> {is:#x}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            }
            None => format!(
                "no registers logged; replayed pc {:#x}, privilege {}",
                machine.hart().pc(),
                machine.hart().privilege()
            ),
        };
        let Some((_, sections)) = self.sections.as_ref().filter(|(p, _)| at(p)) else {
            return format!("{registers}; no state hashes logged");
        };
        let sections = differing_sections(sections, &replayed.sections);
        let sections = match sections.is_empty() {
            true => "sections equal".to_string(),
            false => format!("sections differ: {}", sections.join(", ")),
        };
        let pages = match self.pages_known {
            true => describe_pages(&differing_pages(&self.pages, machine.page_hashes())),
            false => "RAM pages unknown (a checkpoint without state hashes)".to_string(),
        };
        format!("{registers}; {sections}; {pages}")
    }
}

#[cfg(test)]
mod tests {
    use machine::{MachineConfig, Program};

    use super::*;

    /// A machine of 256 pages whose program is `j .` (raw, at the start of RAM).
    fn spinning_machine() -> Machine {
        let program = Program::parse(&0x6f_u32.to_le_bytes()).unwrap();
        Machine::new(MachineConfig { ram_size: 1 << 20 }, program).unwrap()
    }

    #[test]
    fn a_report_names_what_the_log_says_differs_and_says_what_it_cannot_know() {
        let mut machine = spinning_machine();
        let mut recorded = Recorded::start(&mut machine);
        let checkpoint = machine.checkpoint();
        let mut sections: SectionHashes = checkpoint
            .sections
            .iter()
            .map(|(tag, hash)| (*tag, short(hash)))
            .collect();
        if let Some(uart) = sections.iter_mut().find(|(tag, _)| tag == b"UART") {
            uart.1 = [0xee; 8];
        }
        let registers = registers_of(&machine);
        let mut report =
            |recorded: &Recorded, position| recorded.report(position, &mut machine, &checkpoint);

        recorded.registers(0, &registers);
        recorded.state_hashes(0, &sections, &[(5, [1; 8])]).unwrap();
        recorded.digest(0);
        assert_eq!(
            report(&recorded, 0),
            "registers equal; sections differ: UART; 1 RAM page differs: 0x80005000"
        );

        // A checkpoint with neither registers nor state hashes: nothing to compare.
        recorded.digest(10);
        assert_eq!(
            report(&recorded, 10),
            "no registers logged; replayed pc 0x80000000, privilege 3; no state hashes logged"
        );

        // The page hashes have missed that checkpoint's changes for good.
        recorded.registers(20, &registers);
        recorded.state_hashes(20, &sections, &[]).unwrap();
        recorded.digest(20);
        assert_eq!(
            report(&recorded, 20),
            "registers equal; sections differ: UART; \
             RAM pages unknown (a checkpoint without state hashes)"
        );

        let err = recorded
            .state_hashes(30, &sections, &[(256, [0; 8])])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the state hashes at position 30 name RAM page 256; the machine has 256 pages"
        );
    }

    #[test]
    fn differing_registers_are_named() {
        let mut a = vec![0u8; replay::REGISTERS_LEN];
        let mut b = a.clone();
        b[0] = 4; // pc
        b[8 * 11] = 1; // a0 = x10, the 12th word
        a[8 * 11 + 1] = 2;
        let diff = differing_registers(&a, &b);
        assert_eq!(diff, vec![("pc", 0, 4), ("a0", 0x200, 1)]);
    }

    #[test]
    fn sections_that_differ_or_exist_on_one_side_only_are_named() {
        let full = |b: u8| [b; 32];
        let recorded = [
            (*b"HART", short(&full(1))),
            (*b"UART", short(&full(2))),
            (*b"VRNG", short(&full(3))),
        ];
        let replayed = [
            (*b"HART", full(1)),
            (*b"UART", full(9)),
            (*b"VNET", full(4)),
        ];
        assert_eq!(
            differing_sections(&recorded, &replayed),
            ["UART", "VNET", "VRNG"]
        );
        assert!(differing_sections(&recorded[..1], &replayed[..1]).is_empty());
    }

    #[test]
    fn pages_written_in_either_run_alone_are_found_by_comparing_whole_tables() {
        // Page 1 changed in the recording only, page 3 in the replay only, page 2 in both
        // alike: a comparison of the pages either run wrote would need both lists.
        let replayed = [[0; 16], [0; 16], [7; 16], [5; 16]];
        let recorded = [[0; 8], [6; 8], [7; 8], [0; 8]];
        assert_eq!(
            differing_pages(&recorded, &replayed),
            [RAM_BASE + 0x1000, RAM_BASE + 0x3000]
        );
    }

    #[test]
    fn a_report_lists_sixteen_pages_and_counts_the_rest() {
        assert_eq!(describe_pages(&[]), "RAM equal");
        assert_eq!(
            describe_pages(&[0x8000_1000]),
            "1 RAM page differs: 0x80001000"
        );
        let pages: Vec<u64> = (0..20).map(|p| RAM_BASE + p * PAGE_SIZE).collect();
        let text = describe_pages(&pages);
        assert!(text.starts_with("20 RAM pages differ: 0x80000000 0x80001000 "));
        assert!(text.ends_with(" 0x8000f000 and 4 more"), "{text}");
    }
}
