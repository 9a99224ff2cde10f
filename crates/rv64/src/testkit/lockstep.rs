//! One program under both engines in lock step: the interpreter (the reference) and the JIT,
//! each with its own hart, RAM and [`TestBus`], given the same sequence of `run(stop_at)`
//! calls and the same changes between them, and compared after every call.
//!
//! After each call the two sides must agree on the exit, the whole saved hart state
//! ([`HartState`]: pc, position, registers, privilege, every stored CSR, the reservation,
//! the interrupt lines), the bus accesses made (with their positions), and the contents of
//! every RAM page either side marked written. [`Lockstep::check_ram`] also compares all of
//! RAM, and checks on each side that every page whose contents changed was marked written
//! ([`Memory::take_written_pages`]): state digests, snapshots and live state transfer rely
//! on those marks.

use crate::hart::state::{csr_fields, HartState};
use crate::hart::{Accel, Exit, Hart};
use crate::memory::Memory;
use crate::persist::Persist;
use crate::testkit::{Rng, TestBus};

const PAGE: usize = 4096;

/// One engine's machine.
pub struct Side {
    pub hart: Hart,
    pub mem: Memory,
    pub bus: TestBus,
    /// RAM as of the last comparison, kept up to date through the written marks.
    shadow: Vec<u8>,
    /// Bus accesses already compared.
    logged: usize,
}

impl Side {
    fn new(hart: Hart, mem: Memory, bus: TestBus) -> Side {
        let shadow = mem
            .slice(mem.base(), mem.size() as usize)
            .expect("RAM")
            .to_vec();
        Side {
            hart,
            mem,
            bus,
            shadow,
            logged: 0,
        }
    }

    fn ram(&self) -> &[u8] {
        self.mem
            .slice(self.mem.base(), self.mem.size() as usize)
            .expect("RAM")
    }

    /// Hands the bus's interrupt lines to the hart and runs it.
    fn run(&mut self, stop_at: u64) -> Exit {
        self.hart.set_interrupt_lines(self.bus.lines);
        self.hart.run(&mut self.mem, &mut self.bus, stop_at)
    }
}

/// The two engines' machines; see the module documentation.
pub struct Lockstep {
    pub interp: Side,
    pub jit: Side,
}

impl Lockstep {
    /// Two machines built by `make` (called once per side, so it must build the same machine
    /// each time): one on the interpreter, one on the JIT compiling every block at its first
    /// taken branch, in the interpreter's thread so that runs repeat exactly.
    pub fn new(make: impl Fn() -> (Hart, Memory, TestBus)) -> Lockstep {
        let (mut hart, mem, bus) = make();
        hart.set_accel(Accel::Interp);
        let interp = Side::new(hart, mem, bus);
        let (mut hart, mut mem, bus) = make();
        hart.set_accel(Accel::Jit);
        hart.set_jit_threshold(1);
        mem.set_jit_background(false);
        let jit = Side::new(hart, mem, bus);
        Lockstep { interp, jit }
    }

    /// Applies `change` to both sides (raising interrupt lines, say).
    pub fn each(&mut self, mut change: impl FnMut(&mut Side)) {
        change(&mut self.interp);
        change(&mut self.jit);
    }

    /// The position (both sides agree on it after every successful [`Lockstep::run`]).
    pub fn position(&self) -> u64 {
        self.interp.hart.position()
    }

    /// Runs both sides to `stop_at` and compares them; the error names the first difference.
    pub fn run(&mut self, stop_at: u64) -> Result<Exit, String> {
        let start = self.position();
        let exit = self.interp.run(stop_at);
        let jit_exit = self.jit.run(stop_at);
        let (at, jit_at) = (self.interp.hart.position(), self.jit.hart.position());
        let context = |what: String| {
            format!(
                "after run(stop_at = {stop_at}) from position {start}, at position {at} \
                 (interp) / {jit_at} (jit): {what}"
            )
        };
        if exit != jit_exit {
            return Err(context(format!("exit: interp {exit:?}, jit {jit_exit:?}")));
        }
        diff_hart(&self.interp.hart.save(), &self.jit.hart.save()).map_err(context)?;
        self.diff_bus().map_err(context)?;
        self.diff_written().map_err(context)?;
        Ok(exit)
    }

    /// Runs both sides to position `end` in runs of random lengths drawn from `rng` (often
    /// a few positions, so that runs stop inside blocks), comparing them after each run and
    /// all of RAM every few runs and at the end.
    pub fn run_in_steps(&mut self, end: u64, rng: &mut Rng) -> Result<(), String> {
        let mut runs = 0u64;
        while self.position() < end {
            let step = match rng.below(10) {
                0..=4 => rng.range(1, 16),
                5..=7 => rng.range(17, 300),
                _ => rng.range(301, 3000),
            } as u64;
            self.run((self.position() + step).min(end))?;
            runs += 1;
            if runs.is_multiple_of(8) {
                self.check_ram()?;
            }
        }
        self.check_ram()
    }

    /// Compares all of RAM between the sides, and checks that each side marked every page
    /// it changed since the last comparison.
    pub fn check_ram(&mut self) -> Result<(), String> {
        self.diff_written()?;
        for (name, side) in [("interp", &self.interp), ("jit", &self.jit)] {
            if let Some(page) = first_page_difference(side.ram(), &side.shadow) {
                return Err(format!(
                    "{name}: RAM page {:#x} changed but was not marked written",
                    side.mem.base() + (page * PAGE) as u64
                ));
            }
        }
        if let Some(page) = first_page_difference(self.interp.ram(), self.jit.ram()) {
            return Err(ram_difference(&self.interp, &self.jit, page));
        }
        Ok(())
    }

    /// Compares the bus accesses made since the last comparison.
    fn diff_bus(&mut self) -> Result<(), String> {
        let a = &self.interp.bus.log[self.interp.logged..];
        let b = &self.jit.bus.log[self.jit.logged..];
        if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
            return Err(format!(
                "bus access {i} of this run: interp {:x?}, jit {:x?}",
                a.get(i),
                b.get(i)
            ));
        }
        if self.interp.bus.lines != self.jit.bus.lines {
            return Err(format!(
                "bus lines: interp {:#x}, jit {:#x}",
                self.interp.bus.lines, self.jit.bus.lines
            ));
        }
        self.interp.logged = self.interp.bus.log.len();
        self.jit.logged = self.jit.bus.log.len();
        Ok(())
    }

    /// Takes both sides' written marks, compares the marked pages between the sides and
    /// brings the shadows up to date.
    fn diff_written(&mut self) -> Result<(), String> {
        let a = self.interp.mem.take_written_pages();
        let b = self.jit.mem.take_written_pages();
        for &page in a.iter().chain(&b) {
            let range = page * PAGE..(page + 1) * PAGE;
            if self.interp.ram()[range.clone()] != self.jit.ram()[range] {
                return Err(ram_difference(&self.interp, &self.jit, page));
            }
        }
        for (side, pages) in [(&mut self.interp, a), (&mut self.jit, b)] {
            for page in pages {
                let range = page * PAGE..(page + 1) * PAGE;
                let ram = side.mem.slice(side.mem.base(), side.mem.size() as usize);
                side.shadow[range.clone()].copy_from_slice(&ram.expect("RAM")[range]);
            }
        }
        Ok(())
    }
}

/// The index of the first 4 KiB page where `a` and `b` differ.
fn first_page_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.chunks(PAGE).zip(b.chunks(PAGE)).position(|(x, y)| x != y)
}

/// Describes the first differing 8-byte word of RAM page `page`.
fn ram_difference(a: &Side, b: &Side, page: usize) -> String {
    let range = page * PAGE..(page + 1) * PAGE;
    let (x, y) = (&a.ram()[range.clone()], &b.ram()[range]);
    let word = x
        .chunks(8)
        .zip(y.chunks(8))
        .position(|(p, q)| p != q)
        .unwrap_or(0);
    let read = |s: &[u8]| {
        let mut w = [0; 8];
        w.copy_from_slice(&s[word * 8..word * 8 + 8]);
        u64::from_le_bytes(w)
    };
    format!(
        "RAM at {:#x}: interp {:#018x}, jit {:#018x}",
        a.mem.base() + (page * PAGE + word * 8) as u64,
        read(x),
        read(y)
    )
}

/// The first field in which two saved hart states differ.
pub fn diff_hart(a: &HartState, b: &HartState) -> Result<(), String> {
    let mut fields: Vec<(String, u64, u64)> = vec![
        ("pc".into(), a.pc, b.pc),
        ("position".into(), a.position, b.position),
        ("traps".into(), a.traps, b.traps),
        ("privilege".into(), a.privilege.into(), b.privilege.into()),
    ];
    fields.extend((0..32).map(|i| (format!("x{i}"), a.x[i], b.x[i])));
    fields.extend((0..32).map(|i| (format!("f{i}"), a.f[i], b.f[i])));
    fields.extend(
        csr_fields(&a.csr)
            .zip(csr_fields(&b.csr))
            .map(|((name, _, x), (_, _, y))| (name, x, y)),
    );
    fields.extend([
        (
            "cycle offset".into(),
            a.csr.cycle_offset,
            b.csr.cycle_offset,
        ),
        (
            "instret offset".into(),
            a.csr.instret_offset,
            b.csr.instret_offset,
        ),
        ("interrupt lines".into(), a.lines, b.lines),
    ]);
    if let Some((name, x, y)) = fields.into_iter().find(|(_, x, y)| x != y) {
        return Err(format!("{name}: interp {x:#x}, jit {y:#x}"));
    }
    if a.reservation != b.reservation {
        return Err(format!(
            "reservation: interp {:x?}, jit {:x?}",
            a.reservation, b.reservation
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::asm::*;

    const BASE: u64 = 0x8000_0000;

    /// Two machines running `sd x5, 0x100(x6); addi x5, x5, 1; jal x0, -8` over and over.
    fn pair() -> Lockstep {
        Lockstep::new(|| {
            let mut mem = Memory::new(BASE, 1 << 20).expect("RAM");
            let code = [sd(5, 6, 0x100), addi(5, 5, 1), jal(0, -8)];
            let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
            mem.write(BASE, &bytes).expect("in RAM");
            let mut hart = Hart::new(BASE);
            hart.set_x(6, BASE + 0x1000);
            (hart, mem, TestBus::default())
        })
    }

    #[test]
    fn a_register_difference_is_reported_by_name() {
        let mut pair = pair();
        pair.run(10).expect("the same");
        pair.jit.hart.set_x(7, 1);
        let error = pair.run(20).expect_err("x7 differs");
        assert!(error.contains("x7: interp 0x0, jit 0x1"), "{error}");
    }

    #[test]
    fn a_ram_difference_is_reported_with_its_address() {
        let mut pair = pair();
        pair.run(10).expect("the same");
        pair.jit.mem.write(BASE + 0x2008, &[1]).expect("in RAM");
        let error = pair.run(20).expect_err("RAM differs");
        assert!(error.contains("RAM at 0x80002008"), "{error}");
    }

    #[test]
    fn a_page_changed_without_its_written_mark_is_reported() {
        let mut pair = pair();
        pair.run(10).expect("the same");
        pair.jit.mem.write(BASE + 0x3000, &[1]).expect("in RAM");
        pair.jit.mem.clear_written();
        pair.interp.mem.write(BASE + 0x3000, &[1]).expect("in RAM");
        let error = pair.check_ram().expect_err("unmarked");
        assert!(
            error.contains("jit: RAM page 0x80003000 changed but was not marked written"),
            "{error}"
        );
    }
}
