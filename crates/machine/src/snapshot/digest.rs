//! State digests, which replay compares to detect divergence, and state summaries, which say
//! what differs when two digests do not match.
//!
//! Both cover what a snapshot covers except two things: the disk's contents (reading a
//! whole disk at every digest would dominate; the disk changes only through guest requests
//! whose data passes through RAM, which is covered) and the console output and transmitted
//! frames the front end has not taken yet (when it drains them is the front end's business,
//! not machine state).
//!
//! A digest is a hash of the position, of a hash of each state section ([`Checkpoint`] hands
//! these out, so that a log can carry them and a replay can name the sections that differ)
//! and of a hash of each RAM page.
//!
//! RAM dominates the cost. The machine keeps a hash of every page and rehashes only the pages
//! written since they were last brought up to date ([`Memory::take_written_pages`]): a new
//! machine starts from the hashes of all-zero RAM, so only what the boot loads and the guest
//! writes is ever read; a restored machine hashes all of RAM once. The pages whose hash
//! changed come out of the same pass ([`Checkpoint::changed_pages`]), so a log can carry the
//! changes and a replay keep the recording's page hashes. A state summary reads RAM in
//! 256 KiB windows through [`Memory::read`].

use std::fmt;

use rv64::hart::state::{csr_fields, HartState};
use rv64::persist::Persist;
use rv64::Memory;

use super::pages::{is_zero, PAGE, RUN_PAGES};
use super::tag_name;
use crate::machine::Machine;
use crate::RAM_BASE;

/// Calls `f(first page, bytes)` for every window of RAM, in order.
fn ram_windows(mem: &Memory, mut f: impl FnMut(u64, &[u8])) {
    let mut buf = vec![0u8; PAGE * RUN_PAGES];
    let mut offset = 0;
    while offset < mem.size() {
        let n = (mem.size() - offset).min(buf.len() as u64) as usize;
        let window = &mut buf[..n];
        if mem.read(RAM_BASE + offset, window).is_err() {
            // Unreachable: the window lies within RAM by construction.
            return;
        }
        f(offset / PAGE as u64, window);
        offset += n as u64;
    }
}

/// The page hashes of `mem` while it is all zeros, as new RAM is; clears its written marks,
/// so that the first digest reads only the pages written since (by the boot and the guest),
/// not all of RAM.
pub(crate) fn zero_page_hashes(mem: &mut Memory) -> Vec<[u8; 16]> {
    mem.clear_written();
    vec![[0; 16]; (mem.size() / PAGE as u64) as usize]
}

/// A machine's state digest together with what it is made of (see [`Machine::checkpoint`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The state digest, as [`Machine::digest`] computes it.
    pub digest: [u8; 32],
    /// Every state section but RAM, as the digest sees it (outputs left out): its tag
    /// (`HART`, `MACH`, `UART`, `VNET`, ...) and a BLAKE3 hash of its encoding.
    pub sections: Vec<([u8; 4], [u8; 32])>,
    /// The RAM pages whose hash changed since the page hashes were last brought up to date
    /// (by a checkpoint, a digest or [`Machine::page_hashes`]; since the machine was built or
    /// restored, the first time): page number from the start of RAM and the new hash, in
    /// increasing page order.
    pub changed_pages: Vec<(usize, [u8; 16])>,
}

impl Machine {
    /// A BLAKE3 hash of the machine's state at the current position: the position, the
    /// hart, every device and RAM (see the module documentation for what is left out). Two
    /// machines with equal digests continue identically from equal inputs.
    pub fn digest(&mut self) -> [u8; 32] {
        self.checkpoint().digest
    }

    /// The state digest with the hashes it is made of: one per state section and the RAM
    /// pages whose hash changed. Costs what [`Machine::digest`] costs: RAM pages are rehashed
    /// only if written since the page hashes were last brought up to date.
    pub fn checkpoint(&mut self) -> Checkpoint {
        let sections: Vec<([u8; 4], [u8; 32])> = self
            .component_sections(false)
            .into_iter()
            .map(|(tag, body)| (*tag, *blake3::hash(&body).as_bytes()))
            .collect();
        let changed_pages = self.refresh_page_hashes();
        let mut h = blake3::Hasher::new();
        h.update(b"vmft digest v2");
        h.update(&self.position().to_le_bytes());
        for (tag, hash) in &sections {
            h.update(tag);
            h.update(hash);
        }
        for page_hash in &self.page_hashes {
            h.update(page_hash);
        }
        Checkpoint {
            digest: *h.finalize().as_bytes(),
            sections,
            changed_pages,
        }
    }

    /// A 128-bit BLAKE3 hash of every RAM page (zeros for an all-zero page), by page number
    /// from the start of RAM, brought up to date first: a replay compares these with the
    /// recording's. Pages rehashed here do not count as changed at the next
    /// [`Machine::checkpoint`].
    pub fn page_hashes(&mut self) -> &[[u8; 16]] {
        self.refresh_page_hashes();
        &self.page_hashes
    }

    /// Brings the per-page RAM hashes up to date: the pages written since they last were, or
    /// all pages if there are none yet (a restored machine). An all-zero page hashes to zeros.
    /// Returns the pages whose hash changed (from zero, for a table just made), with their
    /// new hashes, in increasing order.
    fn refresh_page_hashes(&mut self) -> Vec<(usize, [u8; 16])> {
        let pages = (self.mem.size() / PAGE as u64) as usize;
        let written = self.mem.take_written_pages();
        let all: Vec<usize>;
        let stale = if self.page_hashes.len() == pages {
            &written
        } else {
            self.page_hashes = vec![[0; 16]; pages];
            all = (0..pages).collect();
            &all
        };
        let mut changed = Vec::new();
        for &page in stale {
            let Ok(bytes) = self.mem.slice(RAM_BASE + (page * PAGE) as u64, PAGE) else {
                continue; // unreachable: `page` indexes this RAM
            };
            let hash = match is_zero(bytes) {
                true => [0; 16],
                false => {
                    let full = blake3::hash(bytes);
                    let mut short = [0u8; 16];
                    short.copy_from_slice(&full.as_bytes()[..16]);
                    short
                }
            };
            if let Some(slot) = self.page_hashes.get_mut(page).filter(|slot| **slot != hash) {
                *slot = hash;
                changed.push((page, hash));
            }
        }
        changed
    }

    /// What [`StateSummary::diff`] needs to say how two machines differ: the hart's state,
    /// a hash of each device's state and a hash of each non-zero RAM page. Costs about as
    /// much as [`Machine::digest`].
    pub fn state_summary(&self) -> StateSummary {
        let sections = self
            .component_sections(false)
            .into_iter()
            .map(|(tag, body)| (tag_name(tag), *blake3::hash(&body).as_bytes()))
            .collect();
        let mut pages = Vec::new();
        ram_windows(&self.mem, |first, window| {
            for (i, page) in window.chunks(PAGE).enumerate() {
                if !is_zero(page) {
                    let mut hash = [0u8; 16];
                    hash.copy_from_slice(&blake3::hash(page).as_bytes()[..16]);
                    pages.push((first + i as u64, hash));
                }
            }
        });
        StateSummary {
            position: self.position(),
            hart: self.hart.save(),
            sections,
            pages,
        }
    }
}

/// A machine's state in a form two machines can be compared by (see
/// [`Machine::state_summary`]).
#[derive(Clone, Debug)]
pub struct StateSummary {
    /// The machine's position.
    pub position: u64,
    /// The hart's architectural state.
    pub hart: HartState,
    /// Each state section (as in a snapshot, outputs left out) with a hash of its encoding.
    pub sections: Vec<(String, [u8; 32])>,
    /// The non-zero RAM pages: page number (from the start of RAM) and a 128-bit hash.
    pub pages: Vec<(u64, [u8; 16])>,
}

/// How two machines' states differ; empty if they are the same.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateDiff {
    /// The two positions, if they differ.
    pub position: Option<(u64, u64)>,
    /// Hart registers, counters and CSRs that differ: name and the two values.
    pub registers: Vec<(String, u64, u64)>,
    /// State sections other than the hart's that differ (`MACH`, `UART`, `VNET`, ...).
    pub sections: Vec<String>,
    /// Physical addresses of the RAM pages that differ.
    pub pages: Vec<u64>,
}

/// The hart's state as named values, registers first.
fn named_values(h: &HartState) -> Vec<(String, u64)> {
    let mut v = vec![
        ("pc".to_string(), h.pc),
        ("privilege".to_string(), u64::from(h.privilege)),
        ("traps".to_string(), h.traps),
        ("lines".to_string(), h.lines),
        (
            "reservation".to_string(),
            h.reservation.map_or(u64::MAX, |r| r),
        ),
        ("cycle_offset".to_string(), h.csr.cycle_offset),
        ("instret_offset".to_string(), h.csr.instret_offset),
    ];
    v.extend(h.x.iter().enumerate().map(|(i, &x)| (format!("x{i}"), x)));
    v.extend(h.f.iter().enumerate().map(|(i, &f)| (format!("f{i}"), f)));
    v.extend(csr_fields(&h.csr).map(|(name, _, value)| (name, value)));
    v
}

impl StateSummary {
    /// How `other` differs from `self`.
    pub fn diff(&self, other: &StateSummary) -> StateDiff {
        let position = (self.position != other.position).then_some((self.position, other.position));
        let registers = named_values(&self.hart)
            .into_iter()
            .zip(named_values(&other.hart))
            .filter(|((_, a), (_, b))| a != b)
            .map(|((name, a), (_, b))| (name, a, b))
            .collect();
        let mut sections: Vec<String> = self
            .sections
            .iter()
            .filter(|(tag, _)| tag != "HART")
            .filter(|s| !other.sections.contains(s))
            .map(|(tag, _)| tag.clone())
            .collect();
        for (tag, _) in &other.sections {
            if !self.sections.iter().any(|(t, _)| t == tag) {
                sections.push(tag.clone());
            }
        }
        let mut pages = Vec::new();
        let (mut a, mut b) = (self.pages.iter().peekable(), other.pages.iter().peekable());
        loop {
            let page = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(&&(pa, ha)), Some(&&(pb, hb))) if pa == pb => {
                    a.next();
                    b.next();
                    if ha == hb {
                        continue;
                    }
                    pa
                }
                (Some(&&(pa, _)), Some(&&(pb, _))) if pa < pb => a.next().map_or(pa, |p| p.0),
                (Some(_), Some(&&(pb, _))) => b.next().map_or(pb, |p| p.0),
                (Some(_), None) => a.next().map_or(0, |p| p.0),
                (None, Some(_)) => b.next().map_or(0, |p| p.0),
            };
            pages.push(RAM_BASE + page * PAGE as u64);
        }
        StateDiff {
            position,
            registers,
            sections,
            pages,
        }
    }
}

impl StateDiff {
    /// True if the two states were the same.
    pub fn is_empty(&self) -> bool {
        self.position.is_none()
            && self.registers.is_empty()
            && self.sections.is_empty()
            && self.pages.is_empty()
    }
}

/// A report for people: one line per differing item, at most 32 page addresses.
impl fmt::Display for StateDiff {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no difference");
        }
        if let Some((a, b)) = self.position {
            writeln!(f, "position: {a} vs {b}")?;
        }
        for (name, a, b) in &self.registers {
            writeln!(f, "{name}: {a:#x} vs {b:#x}")?;
        }
        if !self.sections.is_empty() {
            writeln!(f, "device state differs: {}", self.sections.join(", "))?;
        }
        if !self.pages.is_empty() {
            let shown: Vec<String> = self
                .pages
                .iter()
                .take(32)
                .map(|p| format!("{p:#x}"))
                .collect();
            let more = self.pages.len().saturating_sub(32);
            write!(
                f,
                "{} RAM pages differ: {}",
                self.pages.len(),
                shown.join(" ")
            )?;
            if more > 0 {
                write!(f, " (and {more} more)")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
