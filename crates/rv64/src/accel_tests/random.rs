//! Random programs under both engines.
//!
//! Each seed makes a program ([`generate`]) and a schedule: a sequence of `run(stop_at)`
//! calls with random stop positions (often a few positions apart, so that runs stop inside
//! blocks), and interrupt lines raised between them. Both engines get the same program and
//! schedule and must agree after every call (see [`Lockstep`]). Now and then the JIT's side
//! runs a few calls on the interpreter ([`crate::Hart::set_accel`] takes effect at the next run):
//! each engine must take over the other's state, and code that stores rewrote while the
//! interpreter ran must not come back compiled.
//!
//! `RV64_DIFF_SEED=N` runs seed `N` alone, comparing all of RAM after every run;
//! `RV64_DIFF_SEEDS=N` runs seeds `0..N` instead of the default set; `RV64_DIFF_VERBOSE=1`
//! prints what each program did (and, with one seed, its disassembly).

use super::gen::{generate, Program};
use super::layout::COUNTS;
use crate::decode::decode;
use crate::hart::{Accel, Exit};
use crate::testkit::lockstep::Lockstep;
use crate::testkit::Rng;
use crate::trap::*;

/// Seeds run by default.
const SEEDS: u64 = 300;

/// What one program did, for coverage.
#[derive(Default)]
struct Outcome {
    /// Traps taken by cause: M-mode exceptions (0..32), M-mode interrupts (32..64), then the
    /// same for S-mode.
    traps: Vec<u64>,
    runs: u64,
    /// Runs that ended in `wfi` and after a device access.
    wfi: u64,
    device: u64,
    compiled: u64,
    invalidated: u64,
}

/// The seeds to run (the one in `RV64_DIFF_SEED`, `0..RV64_DIFF_SEEDS`, or `0..default`),
/// and whether they include the default ones (coverage is checked only then).
fn seeds(default: u64) -> (Vec<u64>, bool) {
    let var = |name| {
        std::env::var(name).ok().map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
        })
    };
    if let Some(seed) = var("RV64_DIFF_SEED") {
        return (vec![seed], false);
    }
    match var("RV64_DIFF_SEEDS") {
        Some(n) => ((0..n).collect(), n >= default),
        None => ((0..default).collect(), true),
    }
}

/// Runs the program of `seed` under both engines; the error says where they differed.
fn run_seed(seed: u64) -> Result<Outcome, String> {
    let program = generate(seed);
    let verbose = std::env::var_os("RV64_DIFF_VERBOSE").is_some();
    if verbose && std::env::var_os("RV64_DIFF_SEED").is_some() {
        eprintln!("{}", program.listing());
    }
    let mut pair = Lockstep::new(|| program.build());
    let mut schedule = Rng::new(seed ^ 0x5c4e_d01e);
    let (mut runs, mut wfi, mut device) = (0u64, 0, 0);
    while pair.position() < program.budget {
        if schedule.one_in(6) {
            let irq = schedule.pick(&[IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_MEI]);
            pair.each(|side| side.bus.lines |= 1 << irq);
        }
        if schedule.one_in(25) {
            let accel = match pair.jit.hart.accel() {
                Accel::Jit => Accel::Interp,
                Accel::Interp => Accel::Jit,
            };
            pair.jit.hart.set_accel(accel);
        }
        let step = match schedule.below(10) {
            0..=4 => schedule.range(1, 16),
            5..=7 => schedule.range(17, 300),
            _ => schedule.range(301, 3000),
        } as u64;
        let stop = (pair.position() + step).min(program.budget);
        match pair.run(stop).map_err(|e| describe(&program, &pair, e))? {
            Exit::Wfi => wfi += 1,
            Exit::Device => device += 1,
            Exit::Position => {}
        }
        runs += 1;
        if runs.is_multiple_of(8) || std::env::var_os("RV64_DIFF_SEED").is_some() {
            pair.check_ram().map_err(|e| describe(&program, &pair, e))?;
        }
    }
    pair.check_ram().map_err(|e| describe(&program, &pair, e))?;
    let mut traps = vec![0; 128];
    for (i, t) in traps.iter_mut().enumerate() {
        let mut word = [0; 8];
        pair.interp
            .mem
            .read(COUNTS + 8 * i as u64, &mut word)
            .expect("counts in RAM");
        *t = u64::from_le_bytes(word);
    }
    if verbose {
        let names = |base: usize| {
            traps[base..base + 64]
                .iter()
                .enumerate()
                .filter(|(_, &n)| n > 0)
                .map(|(i, n)| {
                    let kind = if i < 32 { "e" } else { "i" };
                    format!("{kind}{}x{n}", i % 32)
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        eprintln!(
            "seed {seed}: {:?}, {runs} runs ({wfi} wfi, {device} device), {} bus accesses, \
             budget {}, {}, M [{}] S [{}]",
            program.mode,
            pair.interp.bus.log.len(),
            program.budget,
            if pair.interp.hart.pc() == program.end {
                "ended"
            } else {
                "cut"
            },
            names(0),
            names(64)
        );
    }
    let stats = pair.jit.mem.jit_stats();
    Ok(Outcome {
        traps,
        runs,
        wfi,
        device,
        compiled: stats.compiled,
        invalidated: stats.invalidated,
    })
}

/// `error` with the program's mode and the instruction at the reference's pc.
fn describe(program: &Program, pair: &Lockstep, error: String) -> String {
    let mode = program.mode;
    let pc = pair.interp.hart.pc();
    let mut word = [0; 4];
    let insn = match pair.interp.mem.read(pc, &mut word) {
        Ok(()) => decode(u32::from_le_bytes(word)).to_string(),
        Err(_) => "(not in RAM)".into(),
    };
    format!("{mode:?}-mode program: {error}\n(interp pc {pc:#x}: {insn})")
}

/// Runs `seeds` and fails with every failing seed, each with its first difference.
fn run_seeds(seeds: &[u64]) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    for &seed in seeds {
        match run_seed(seed) {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "the engines differ on {} of {} random programs (rerun one with RV64_DIFF_SEED=N); \
         the first ones:\n{}",
        failures.len(),
        seeds.len(),
        failures[..failures.len().min(8)].join("\n")
    );
    outcomes
}

#[test]
fn random_programs_reach_the_same_state_under_both_engines_at_every_stop() {
    let (seeds, full) = seeds(SEEDS);
    let outcomes = run_seeds(&seeds);
    if !full {
        return;
    }
    // The generator must keep producing what the differential test claims to cover.
    let total = |i: usize| outcomes.iter().map(|o| o.traps[i]).sum::<u64>();
    let m = |cause: u64| total(cause as usize);
    let m_irq = |irq: u64| total(32 + irq as usize);
    let s = |cause: u64| total(64 + cause as usize);
    let s_irq = |irq: u64| total(96 + irq as usize);
    let expected = [
        ("illegal instruction", m(CAUSE_ILLEGAL) + s(CAUSE_ILLEGAL)),
        ("breakpoint", m(CAUSE_BREAKPOINT) + s(CAUSE_BREAKPOINT)),
        ("ecall from U", m(CAUSE_ECALL_U) + s(CAUSE_ECALL_U)),
        ("ecall from S", m(CAUSE_ECALL_U + 1)),
        ("ecall from M", m(CAUSE_ECALL_U + 3)),
        (
            "fetch access fault",
            m(CAUSE_FETCH_ACCESS) + s(CAUSE_FETCH_ACCESS),
        ),
        ("fetch page fault", s(CAUSE_FETCH_PAGE)),
        ("load page fault", s(CAUSE_LOAD_PAGE)),
        ("store page fault", s(CAUSE_STORE_PAGE)),
        (
            "load access fault",
            m(CAUSE_LOAD_ACCESS) + s(CAUSE_LOAD_ACCESS),
        ),
        (
            "store access fault",
            m(CAUSE_STORE_ACCESS) + s(CAUSE_STORE_ACCESS),
        ),
        (
            "load misaligned",
            m(CAUSE_LOAD_MISALIGNED) + s(CAUSE_LOAD_MISALIGNED),
        ),
        (
            "store misaligned",
            m(CAUSE_STORE_MISALIGNED) + s(CAUSE_STORE_MISALIGNED),
        ),
        ("machine software interrupt", m_irq(IRQ_MSI)),
        ("machine timer interrupt", m_irq(IRQ_MTI)),
        ("machine external interrupt", m_irq(IRQ_MEI)),
        (
            "supervisor external interrupt",
            m_irq(IRQ_SEI) + s_irq(IRQ_SEI),
        ),
        (
            "supervisor software interrupt",
            m_irq(IRQ_SSI) + s_irq(IRQ_SSI),
        ),
    ];
    let missing: Vec<_> = expected.iter().filter(|(_, n)| *n == 0).collect();
    assert!(missing.is_empty(), "no random program took: {missing:?}");
    let sum = |f: fn(&Outcome) -> u64| outcomes.iter().map(f).sum::<u64>();
    let runs = sum(|o| o.runs);
    assert!(runs > 10 * seeds.len() as u64, "only {runs} runs in all");
    assert!(sum(|o| o.wfi) > 0, "no run ended in wfi");
    assert!(sum(|o| o.device) > 0, "no run ended at a device access");
}

#[test]
fn the_jit_compiles_random_programs_and_drops_code_their_stores_overwrite() {
    let outcomes = run_seeds(&(1000..1040).collect::<Vec<_>>());
    let compiled: u64 = outcomes.iter().map(|o| o.compiled).sum();
    let invalidated: u64 = outcomes.iter().map(|o| o.invalidated).sum();
    assert!(compiled > 0, "the JIT compiled nothing");
    assert!(invalidated > 0, "no store dropped compiled code");
}
