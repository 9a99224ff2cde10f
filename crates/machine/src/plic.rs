//! The platform-level interrupt controller, laid out like SiFive's PLIC in QEMU's `virt`
//! board (RISC-V PLIC specification 1.0.0): 95 level-triggered sources and two contexts for
//! hart 0 — context 0 drives the M-mode external interrupt (MEIP), context 1 the S-mode one
//! (SEIP).

/// Number of interrupt sources (1..=NUM_SOURCES; source 0 does not exist).
pub const NUM_SOURCES: usize = 95;
/// Number of contexts: hart 0 M-mode and S-mode.
pub const NUM_CONTEXTS: usize = 2;
/// Size of the register window.
pub const SIZE: u64 = 0x60_0000;

const WORDS: usize = (NUM_SOURCES + 1).div_ceil(32);
const PRIORITY_MASK: u32 = 7;

const PENDING_BASE: u64 = 0x1000;
const ENABLE_BASE: u64 = 0x2000;
const ENABLE_STRIDE: u64 = 0x80;
const CONTEXT_BASE: u64 = 0x20_0000;
const CONTEXT_STRIDE: u64 = 0x1000;

/// PLIC state. Sources are level-triggered: a source whose line is high becomes pending,
/// a claim takes it (it stays in service until completed), and completion re-arms it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plic {
    priority: [u32; NUM_SOURCES + 1],
    pending: [u32; WORDS],
    in_service: [u32; WORDS],
    level: [u32; WORDS],
    enable: [[u32; WORDS]; NUM_CONTEXTS],
    threshold: [u32; NUM_CONTEXTS],
}

impl Default for Plic {
    fn default() -> Self {
        Plic {
            priority: [0; NUM_SOURCES + 1],
            pending: [0; WORDS],
            in_service: [0; WORDS],
            level: [0; WORDS],
            enable: [[0; WORDS]; NUM_CONTEXTS],
            threshold: [0; NUM_CONTEXTS],
        }
    }
}

fn bit(source: usize) -> (usize, u32) {
    (source / 32, 1 << (source % 32))
}

impl Plic {
    /// A PLIC at reset: all priorities, enables and thresholds zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the level of interrupt line `source` (1..=95; others are ignored).
    pub fn set_line(&mut self, source: usize, high: bool) {
        if source == 0 || source > NUM_SOURCES {
            return;
        }
        let (w, m) = bit(source);
        if high {
            self.level[w] |= m;
            if self.in_service[w] & m == 0 {
                self.pending[w] |= m;
            }
        } else {
            self.level[w] &= !m;
            // A level source whose line dropped before it was claimed is no longer pending.
            self.pending[w] &= !m;
        }
    }

    /// The highest-priority pending, enabled source above `context`'s threshold (ties go to
    /// the lowest source number), or 0. Visits only the pending, enabled sources: the board
    /// asks before and after every PLIC access and the machine after every run call.
    fn best(&self, context: usize) -> usize {
        let mut best = 0;
        let mut best_priority = self.threshold[context];
        for (w, (&pending, &enable)) in self.pending.iter().zip(&self.enable[context]).enumerate() {
            let mut bits = pending & enable;
            while bits != 0 {
                let source = w * 32 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let priority = self.priority.get(source).copied().unwrap_or(0);
                if source != 0 && priority > best_priority {
                    best = source;
                    best_priority = priority;
                }
            }
        }
        best
    }

    /// Interrupt output of `context` (0: MEIP, 1: SEIP).
    pub fn output(&self, context: usize) -> bool {
        context < NUM_CONTEXTS && self.best(context) != 0
    }

    /// A 32-bit register load at `offset` within the window (claims have side effects).
    pub fn read(&mut self, offset: u64) -> u32 {
        match offset {
            o if o < PENDING_BASE => self.priority.get((o / 4) as usize).copied().unwrap_or(0),
            o if o < ENABLE_BASE => self
                .pending
                .get(((o - PENDING_BASE) / 4) as usize)
                .copied()
                .unwrap_or(0),
            o if o < CONTEXT_BASE => {
                let context = ((o - ENABLE_BASE) / ENABLE_STRIDE) as usize;
                let word = ((o - ENABLE_BASE) % ENABLE_STRIDE / 4) as usize;
                self.enable
                    .get(context)
                    .and_then(|e| e.get(word))
                    .copied()
                    .unwrap_or(0)
            }
            o => {
                let context = ((o - CONTEXT_BASE) / CONTEXT_STRIDE) as usize;
                if context >= NUM_CONTEXTS {
                    return 0;
                }
                match (o - CONTEXT_BASE) % CONTEXT_STRIDE {
                    0 => self.threshold[context],
                    4 => self.claim(context),
                    _ => 0,
                }
            }
        }
    }

    fn claim(&mut self, context: usize) -> u32 {
        let source = self.best(context);
        if source != 0 {
            let (w, m) = bit(source);
            self.pending[w] &= !m;
            self.in_service[w] |= m;
        }
        source as u32
    }

    /// A 32-bit register store at `offset` within the window.
    pub fn write(&mut self, offset: u64, value: u32) {
        match offset {
            o if o < PENDING_BASE => {
                let source = (o / 4) as usize;
                if (1..=NUM_SOURCES).contains(&source) {
                    self.priority[source] = value & PRIORITY_MASK;
                }
            }
            o if o < ENABLE_BASE => {} // pending bits are read-only
            o if o < CONTEXT_BASE => {
                let context = ((o - ENABLE_BASE) / ENABLE_STRIDE) as usize;
                let word = ((o - ENABLE_BASE) % ENABLE_STRIDE / 4) as usize;
                if let Some(e) = self.enable.get_mut(context).and_then(|e| e.get_mut(word)) {
                    // Source 0 does not exist; bits past the last source are hardwired to zero.
                    let valid = (0..32)
                        .filter(|b| (1..=NUM_SOURCES).contains(&(32 * word + b)))
                        .fold(0u32, |acc, b| acc | 1 << b);
                    *e = value & valid;
                }
            }
            o => {
                let context = ((o - CONTEXT_BASE) / CONTEXT_STRIDE) as usize;
                if context >= NUM_CONTEXTS {
                    return;
                }
                match (o - CONTEXT_BASE) % CONTEXT_STRIDE {
                    0 => self.threshold[context] = value & PRIORITY_MASK,
                    4 => self.complete(context, value as usize),
                    _ => {}
                }
            }
        }
    }

    fn complete(&mut self, context: usize, source: usize) {
        if source == 0 || source > NUM_SOURCES {
            return;
        }
        let (w, m) = bit(source);
        // Completion of a source not enabled for this context is ignored (spec §8).
        if self.enable[context][w] & m == 0 {
            return;
        }
        self.in_service[w] &= !m;
        if self.level[w] & m != 0 {
            self.pending[w] |= m;
        }
    }
}

/// The PLIC's state as plain data. Bit `n` of word `n / 32` of each bitmap is source `n`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlicState {
    /// Priority of each source (index 0, the absent source 0, is always 0).
    pub priority: Vec<u32>,
    /// Pending bits.
    pub pending: [u32; WORDS],
    /// Claimed, not yet completed sources.
    pub in_service: [u32; WORDS],
    /// The sources' line levels.
    pub level: [u32; WORDS],
    /// Enable bits of each context.
    pub enable: [[u32; WORDS]; NUM_CONTEXTS],
    /// Priority threshold of each context.
    pub threshold: [u32; NUM_CONTEXTS],
}

impl rv64::persist::Persist for Plic {
    type State = PlicState;
    type ConstructorArgs = ();

    fn save(&self) -> PlicState {
        PlicState {
            priority: self.priority.to_vec(),
            pending: self.pending,
            in_service: self.in_service,
            level: self.level,
            enable: self.enable,
            threshold: self.threshold,
        }
    }

    /// Refuses priorities and thresholds above 7 and bits for source 0.
    fn restore((): (), s: &PlicState) -> Result<Plic, rv64::persist::StateError> {
        let bad = |reason: String| Err(rv64::persist::StateError::new("plic", reason));
        let Ok(priority) = <[u32; NUM_SOURCES + 1]>::try_from(s.priority.as_slice()) else {
            return bad(format!(
                "{} priorities for {} sources",
                s.priority.len(),
                NUM_SOURCES + 1
            ));
        };
        if priority[0] != 0 || priority.iter().any(|&p| p > PRIORITY_MASK) {
            return bad("a priority is out of range".into());
        }
        if s.threshold.iter().any(|&t| t > PRIORITY_MASK) {
            return bad("a threshold is above 7".into());
        }
        let bitmaps = [
            &s.pending,
            &s.in_service,
            &s.level,
            &s.enable[0],
            &s.enable[1],
        ];
        if bitmaps.iter().any(|b| b[0] & 1 != 0) {
            return bad("source 0 is set in a bitmap".into());
        }
        Ok(Plic {
            priority,
            pending: s.pending,
            in_service: s.in_service,
            level: s.level,
            enable: s.enable,
            threshold: s.threshold,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(context: u64, reg: u64) -> u64 {
        CONTEXT_BASE + CONTEXT_STRIDE * context + reg
    }

    fn enabled(source: usize, priority: u32) -> Plic {
        let mut p = Plic::new();
        p.write(4 * source as u64, priority);
        p.write(ENABLE_BASE + 0x80, 1 << source); // context 1 (S-mode)
        p
    }

    #[test]
    fn a_high_line_with_priority_above_threshold_raises_the_context_output() {
        let mut p = enabled(10, 1);
        assert!(!p.output(1));
        p.set_line(10, true);
        assert!(p.output(1));
        assert!(!p.output(0), "not enabled for the M-mode context");
        p.write(ctx(1, 0), 1);
        assert!(!p.output(1), "priority must exceed the threshold");
    }

    #[test]
    fn claim_returns_the_source_and_completion_rearms_a_line_still_high() {
        let mut p = enabled(3, 2);
        p.set_line(3, true);
        assert_eq!(p.read(ctx(1, 4)), 3);
        assert!(!p.output(1), "in service until completed");
        assert_eq!(p.read(ctx(1, 4)), 0, "nothing else pending");
        p.write(ctx(1, 4), 3);
        assert!(p.output(1), "line still high: pending again");
        p.set_line(3, false);
        assert!(!p.output(1));
    }

    #[test]
    fn the_highest_priority_wins_and_ties_go_to_the_lowest_source() {
        let mut p = Plic::new();
        for (s, prio) in [(1, 1), (2, 3), (5, 3)] {
            p.write(4 * s, prio);
        }
        p.write(ENABLE_BASE, 0b100110);
        for s in [1, 2, 5] {
            p.set_line(s, true);
        }
        assert_eq!(p.read(ctx(0, 4)), 2);
        assert_eq!(p.read(ctx(0, 4)), 5);
        assert_eq!(p.read(ctx(0, 4)), 1);
    }

    #[test]
    fn sources_in_every_enable_word_are_ranked_together_above_the_threshold() {
        let mut p = Plic::new();
        for (s, prio) in [(10, 5), (40, 2), (70, 5), (95, 5), (33, 7)] {
            p.write(4 * s, prio);
        }
        for s in [10u64, 40, 70, 95] {
            let addr = ENABLE_BASE + 4 * (s / 32);
            let word = p.read(addr);
            p.write(addr, word | 1 << (s % 32));
        }
        p.write(ctx(0, 0), 1);
        for s in [10, 40, 70, 95, 33] {
            p.set_line(s, true);
        }
        // Source 33 is pending but not enabled for context 0; 40 is above the threshold of 1.
        assert_eq!(p.read(ctx(0, 4)), 10);
        assert_eq!(p.read(ctx(0, 4)), 70);
        assert_eq!(p.read(ctx(0, 4)), 95);
        p.write(ctx(0, 0), 2);
        assert!(!p.output(0), "40 has priority 2, not above the threshold");
        p.write(ctx(0, 0), 1);
        assert_eq!(p.read(ctx(0, 4)), 40);
        assert_eq!(p.read(ctx(0, 4)), 0);
    }

    #[test]
    fn source_zero_and_registers_past_the_end_are_inert() {
        let mut p = Plic::new();
        p.write(0, 7);
        assert_eq!(p.read(0), 0);
        p.write(ENABLE_BASE, u32::MAX);
        assert_eq!(p.read(ENABLE_BASE) & 1, 0);
        p.write(ENABLE_BASE + 8, u32::MAX);
        assert_eq!(
            p.read(ENABLE_BASE + 8),
            u32::MAX,
            "sources 64..=95 all exist"
        );
        p.write(ENABLE_BASE + 12, u32::MAX);
        assert_eq!(p.read(ENABLE_BASE + 12), 0, "no sources past 95");
        p.write(ctx(5, 0), 3);
        assert_eq!(p.read(ctx(5, 0)), 0);
        p.set_line(200, true);
        p.write(ctx(0, 4), 4000);
    }
}
