//! A seeded generator of random RV64GC programs that keep running through their own traps.
//!
//! A program is a few counted loops (some nested, closed by every kind of backward branch and
//! jump, so that their blocks get hot) whose bodies are random instructions: integer ALU
//! operations including M (with division by zero and overflow) and the W forms, shifts,
//! `lui`/`auipc`, compressed instructions, loads and stores of every width (aligned or not,
//! inside and across pages) to RAM, to the test bus's device window and to addresses that
//! fault, F and D operations and FP loads and stores, LR/SC and AMOs, CSR reads and writes
//! (counters, interrupt enables, `satp`), `ecall`, `ebreak`, `wfi`, fences, illegal
//! instructions, forward branches, calls of local functions and of a function in a page the
//! program stores to, and jumps to addresses that cannot be fetched. It runs on the machine
//! of [`super::layout`], whose handlers keep it going through its traps.

use super::layout::*;
use super::{BASE, RAM};
use crate::csr::*;
use crate::decode::decode;
use crate::hart::state::HartState;
use crate::hart::{Hart, PRIV_M, PRIV_S, PRIV_U};
use crate::insn::Op;
use crate::memory::Memory;
use crate::persist::Persist;
use crate::testkit::asm::*;
use crate::testkit::{Rng, TestBus, MISSING, STATUS, STATUS_SIZE};

/// A generated program: what RAM holds and the hart's state at the start.
pub struct Program {
    pub mode: Mode,
    /// (address, bytes) to write into fresh RAM.
    pub image: Vec<(u64, Vec<u8>)>,
    pub state: HartState,
    /// Positions to run for.
    pub budget: u64,
    /// The address of the endless loop that ends the program.
    pub end: u64,
    /// Where its code starts.
    start: u64,
}

impl Program {
    /// The program's code (its loops and functions, and the function in the stub page)
    /// disassembled, one instruction a line.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        let code = self
            .image
            .iter()
            .filter(|(a, _)| [self.start, STUB].contains(a));
        for (addr, bytes) in code {
            let mut at = 0;
            while at + 2 <= bytes.len() {
                let mut raw = [0; 4];
                let n = (bytes.len() - at).min(4);
                raw[..n].copy_from_slice(&bytes[at..at + n]);
                let insn = decode(u32::from_le_bytes(raw));
                out.push_str(&format!("{:#x}: {insn}\n", addr + at as u64));
                at += usize::from(insn.len);
            }
            out.push('\n');
        }
        out
    }

    /// A fresh hart, RAM and bus holding the program.
    pub fn build(&self) -> (Hart, Memory, TestBus) {
        let mut mem = Memory::new(BASE, RAM).expect("RAM");
        for (addr, bytes) in &self.image {
            mem.write(*addr, bytes).expect("image in RAM");
        }
        let hart = Hart::restore((), &self.state).expect("a legal initial state");
        (hart, mem, TestBus::default())
    }
}

/// What the generator is emitting into.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// A loop body: anything goes.
    Loop,
    /// A function: no calls (they write `ra`).
    Function,
}

struct Gen {
    rng: Rng,
    asm: Asm,
    privilege: u8,
    pointers: Pointers,
    /// Local functions the program may call.
    functions: Vec<Label>,
    /// Depth of forward skips being emitted.
    skips: usize,
}

/// The program of `seed`.
pub fn generate(seed: u64) -> Program {
    let mut rng = Rng::new(seed);
    let mode = match rng.below(10) {
        0..=2 => Mode::M,
        3 => Mode::MPrv,
        4..=6 => Mode::S,
        _ => Mode::U,
    };
    let start = CODE + (rng.below(0x1000) & !1);
    let pointers = Pointers::new(&mut rng);
    let mut g = Gen {
        rng,
        asm: Asm::new(start),
        privilege: mode.privilege(),
        pointers,
        functions: Vec::new(),
        skips: 0,
    };
    let functions: Vec<Label> = (0..g.rng.below(3)).map(|_| g.asm.label()).collect();
    g.functions = functions.clone();

    for _ in 0..g.rng.range(2, 8) {
        g.emit_loop(OUTER);
    }
    let end = g.asm.here();
    if g.rng.one_in(2) {
        g.asm.put(SPIN);
    } else {
        let spin = g.asm.bound();
        g.asm.c_j(spin);
    }
    for f in functions {
        g.asm.bind(f);
        g.emit_function_body();
    }
    assert!(g.asm.here() <= CODE_END, "program too long");

    let mut stub = Asm::new(STUB);
    std::mem::swap(&mut g.asm, &mut stub);
    g.emit_function_body();
    std::mem::swap(&mut g.asm, &mut stub);

    let code = g.asm.finish();
    let image = vec![
        (M_HANDLER, m_handler()),
        (S_HANDLER, s_handler()),
        (start, code),
        (STUB, stub.finish()),
        (CONSTS, constants(&mut g.rng, mode)),
        (SP_PAGE, (0..0x2000).map(|_| g.rng.next() as u8).collect()),
        (
            STUB_PAGE + 0x800,
            (0..0x2800).map(|_| g.rng.next() as u8).collect(),
        ),
        (
            REGION2,
            (0..REGION2_PAGES * 0x1000)
                .map(|_| g.rng.next() as u8)
                .collect(),
        ),
    ];
    let mut image = image;
    if mode != Mode::M {
        image.extend(page_tables(&mut g.rng, mode, start));
    }
    let state = initial_state(&mut g.rng, mode, start, pointers);
    let budget = g.rng.range(2_000, 20_000) as u64;
    Program {
        mode,
        image,
        state,
        budget,
        end,
        start,
    }
}

impl Gen {
    fn pool(&mut self) -> u32 {
        self.rng.pick(&POOL)
    }

    /// A source register: usually one of the pool, sometimes any.
    fn src(&mut self) -> u32 {
        if self.rng.one_in(3) {
            self.rng.below(32) as u32
        } else {
            self.pool()
        }
    }

    /// A register of `x8..x15` to read.
    fn c_src(&mut self) -> u32 {
        self.rng.range(8, 15) as u32
    }

    /// An immediate that is often an edge case.
    fn imm12(&mut self) -> i32 {
        match self.rng.below(6) {
            0 => self.rng.pick(&[0, 1, -1, 2047, -2048, 0x7ff, 0x555]),
            _ => self.rng.range(-2048, 2047) as i32,
        }
    }

    /// An offset from pointer register `base` for an access of `size` bytes within `span`:
    /// mostly aligned, sometimes not, sometimes across a page boundary.
    fn offset(&mut self, base: u32, size: i32, span: i32) -> i32 {
        // Page boundaries within reach of the pointers that have one.
        let boundary = match base {
            T5 => Some((STUB_PAGE + 0x1000).wrapping_sub(self.pointers.window) as i32),
            T4 => Some(0),
            _ => None,
        };
        if let (Some(boundary), true) = (boundary, self.rng.one_in(6)) {
            return boundary - self.rng.range(1, i64::from(size.max(2)) - 1) as i32;
        }
        let off = self.rng.range(-i64::from(span), i64::from(span) - 8) as i32;
        if self.rng.one_in(4) {
            off
        } else {
            off & !(size - 1)
        }
    }

    /// A counted loop with `counter`, whose body may hold one inner loop.
    fn emit_loop(&mut self, counter: u32) {
        let n = self.rng.range(1, if counter == OUTER { 20 } else { 8 }) as i32;
        if counter == OUTER && self.rng.one_in(2) {
            self.asm.put16(c_li(counter, n));
        } else {
            self.asm.put(addi(counter, 0, n));
        }
        let top = self.asm.bound();
        let items = self.rng.range(3, 24);
        let inner_at = if counter == OUTER && self.rng.one_in(3) {
            self.rng.range(0, items)
        } else {
            -1
        };
        for i in 0..items {
            if i == inner_at {
                self.emit_loop(INNER);
            }
            self.emit_item(Context::Loop);
        }
        if counter == OUTER && self.rng.one_in(2) {
            self.asm.put16(c_addi(counter, -1));
        } else {
            self.asm.put(addi(counter, counter, -1));
        }
        let back = self.asm.offset_to(top);
        // Conditional branches reach 4 KiB back.
        let close = if back < -4000 { 4 } else { self.rng.below(6) };
        match close {
            0 => self.asm.put(bne(counter, 0, back)),
            1 => self.asm.put(blt(0, counter, back)),
            2 => self.asm.put(bltu(0, counter, back)),
            3 if counter == OUTER && back >= -256 => self.asm.put16(c_bz(true, counter, back)),
            4 => {
                let out = self.asm.label();
                self.asm.branch(0, counter, 0, out);
                let back = self.asm.offset_to(top);
                self.asm.put(jal(0, back));
                self.asm.bind(out);
            }
            _ => {
                let out = self.asm.label();
                self.asm.branch(0, counter, 0, out);
                let back = self.asm.offset_to(top);
                if back >= -2048 {
                    self.asm.put16(c_j(back));
                } else {
                    self.asm.put(jal(0, back));
                }
                self.asm.bind(out);
            }
        }
    }

    /// A function's body and its return.
    fn emit_function_body(&mut self) {
        for _ in 0..self.rng.range(1, 8) {
            self.emit_item(Context::Function);
        }
        if self.rng.one_in(2) {
            self.asm.put16(c_jr(RA));
        } else {
            self.asm.put(jalr(0, RA, 0));
        }
    }

    fn emit_item(&mut self, ctx: Context) {
        match self.rng.below(100) {
            0..=13 => self.alu_reg(),
            14..=23 => self.alu_imm(),
            24..=33 => self.alu_compressed(),
            34..=41 => self.load(T5, 2040),
            42..=47 => self.store(T5, 2040),
            48..=50 => self.device_access(),
            51..=55 => {
                if self.rng.one_in(2) {
                    self.load(T4, 2040)
                } else {
                    self.store(T4, 2040)
                }
            }
            56..=58 => self.computed_access(),
            59..=63 => self.compressed_access(),
            64..=67 => self.fp_access(),
            68..=75 => self.fp_compute(),
            76..=79 => self.atomic(),
            80..=84 => self.csr(),
            85..=88 => self.system(),
            89..=92 => self.skip(ctx),
            93..=94 if ctx == Context::Loop => self.call(),
            95 if ctx == Context::Loop => self.bad_jump(),
            96 => self.missing_access(),
            _ => {
                let rd = self.pool();
                let k = self.rng.below(K_COUNT as u64) as i32;
                self.asm.put(ld(rd, S10, 8 * k));
            }
        }
    }

    fn alu_reg(&mut self) {
        const OPS: [(u32, u32); 18] = [
            (0, 0),
            (0x20, 0),
            (0, 1),
            (0, 2),
            (0, 3),
            (0, 4),
            (0, 5),
            (0x20, 5),
            (0, 6),
            (0, 7),
            (1, 0),
            (1, 1),
            (1, 2),
            (1, 3),
            (1, 4),
            (1, 5),
            (1, 6),
            (1, 7),
        ];
        const OPS32: [(u32, u32); 10] = [
            (0, 0),
            (0x20, 0),
            (0, 1),
            (0, 5),
            (0x20, 5),
            (1, 0),
            (1, 4),
            (1, 5),
            (1, 6),
            (1, 7),
        ];
        let rd = self.pool();
        let (mut rs1, mut rs2) = (self.src(), self.src());
        if self.rng.one_in(6) {
            // Division overflow and division by zero.
            let (a, b) = (self.pool(), self.pool());
            self.asm.put(ld(a, S10, 8 * K_MIN));
            self.asm.put(ld(b, S10, 8 * K_MINUS_ONE));
            rs1 = a;
            rs2 = if self.rng.one_in(3) { 0 } else { b };
        }
        let word = if self.rng.one_in(3) {
            let (f7, f3) = self.rng.pick(&OPS32);
            op32(f7, f3, rd, rs1, rs2)
        } else {
            let (f7, f3) = self.rng.pick(&OPS);
            op(f7, f3, rd, rs1, rs2)
        };
        self.asm.put(word);
    }

    fn alu_imm(&mut self) {
        let rd = self.pool();
        let rs1 = self.src();
        let word = match self.rng.below(12) {
            0..=4 => {
                let f3 = self.rng.pick(&[0, 2, 3, 4, 6, 7]);
                op_imm(f3, rd, rs1, self.imm12())
            }
            5 => slli(rd, rs1, self.rng.below(64) as u32),
            6 => srli(rd, rs1, self.rng.below(64) as u32),
            7 => srai(rd, rs1, self.rng.below(64) as u32),
            8 => op_imm32(0, rd, rs1, self.imm12()),
            9 => {
                let shamt = self.rng.below(32) as i32;
                match self.rng.below(3) {
                    0 => op_imm32(1, rd, rs1, shamt),
                    1 => op_imm32(5, rd, rs1, shamt),
                    _ => op_imm32(5, rd, rs1, 0x400 | shamt),
                }
            }
            10 => lui(rd, self.rng.next() as u32),
            _ => auipc(rd, self.rng.next() as u32),
        };
        self.asm.put(word);
    }

    fn alu_compressed(&mut self) {
        let rd = self.pool();
        let rc = self.rng.pick(&C_POOL);
        let imm6 = self.rng.range(-32, 31) as i32;
        let half = match self.rng.below(16) {
            0 => c_addi(rd, imm6),
            1 => c_addiw(rd, imm6),
            2 => c_li(rd, imm6),
            3 => c_lui(rd, if imm6 == 0 { 1 } else { imm6 }),
            4 => c_slli(rd, self.rng.range(1, 63) as u32),
            5 => c_srli(rc, self.rng.range(1, 63) as u32),
            6 => c_srai(rc, self.rng.range(1, 63) as u32),
            7 => c_andi(rc, imm6),
            8 => c_sub(rc, self.c_src()),
            9 => c_xor(rc, self.c_src()),
            10 => c_or(rc, self.c_src()),
            11 => c_and(rc, self.c_src()),
            12 => c_subw(rc, self.c_src()),
            13 => c_addw(rc, self.c_src()),
            14 => {
                let rs2 = self.rng.range(1, 31) as u32;
                if self.rng.one_in(2) {
                    c_mv(rd, rs2)
                } else {
                    c_add(rd, rs2)
                }
            }
            _ => c_addi4spn(rc, 4 * self.rng.range(1, 255) as i32),
        };
        self.asm.put16(half);
    }

    fn load(&mut self, base: u32, span: i32) {
        let f3 = self.rng.below(7) as u32;
        let size = 1 << (f3 & 3);
        let rd = if self.rng.one_in(20) { 0 } else { self.pool() };
        let off = self.offset(base, size, span);
        self.asm.put(load(f3, rd, base, off));
    }

    fn store(&mut self, base: u32, span: i32) {
        let f3 = self.rng.below(4) as u32;
        let off = self.offset(base, 1 << f3, span);
        let rs2 = self.src();
        self.asm.put(store(f3, rs2, base, off));
    }

    /// A load or store in the device window: usually aligned (a misaligned device access is
    /// a misaligned-address exception); one in three in the status window, whose loads
    /// compiled code may answer from an earlier one.
    fn device_access(&mut self) {
        let f3 = self.rng.below(4) as u32;
        let size = 1 << f3;
        let off = if self.rng.one_in(3) {
            let middle = (STATUS + STATUS_SIZE / 2 - DEVICE) as i32;
            middle
                + if self.rng.one_in(5) {
                    self.rng.range(-32, 32) as i32
                } else {
                    self.rng.range(-4, 4) as i32 * size
                }
        } else if self.rng.one_in(5) {
            self.rng.range(-64, 64) as i32
        } else {
            self.rng.range(-8, 8) as i32 * size
        };
        if self.rng.one_in(2) {
            let rd = self.pool();
            let f3 = if self.rng.one_in(2) && f3 < 3 {
                f3 + 4
            } else {
                f3
            };
            self.asm.put(load(f3, rd, T3, off));
        } else {
            let rs2 = self.src();
            self.asm.put(store(f3, rs2, T3, off));
        }
    }

    /// An access at an address computed from a random register.
    fn computed_access(&mut self) {
        let src = self.src();
        if self.rng.one_in(2) {
            self.asm.put(andi(T2, src, 0x7ff));
            self.asm.put(add(T2, T2, T5));
        } else {
            // REGION2 + 0x1000 + 0..0x7ff8: across most of the region.
            self.asm.put(slli(T2, src, 52));
            self.asm.put(srli(T2, T2, 49));
            self.asm.put(add(T2, T2, T4));
        }
        let off = self.rng.range(-8, 8) as i32;
        let f3 = self.rng.below(4) as u32;
        if self.rng.one_in(2) {
            let rd = self.pool();
            self.asm.put(load(f3, rd, T2, off));
        } else {
            let rs2 = self.src();
            self.asm.put(store(f3, rs2, T2, off));
        }
    }

    /// A load or store at an address with nothing behind it (an access fault).
    fn missing_access(&mut self) {
        self.asm.put(lui(T2, (MISSING >> 12) as u32));
        let f3 = self.rng.below(4) as u32;
        if self.rng.one_in(2) {
            let rd = self.pool();
            self.asm.put(load(f3, rd, T2, 8));
        } else {
            let rs2 = self.src();
            self.asm.put(store(f3, rs2, T2, 8));
        }
    }

    fn compressed_access(&mut self) {
        let rd = self.pool();
        let rc = self.rng.pick(&C_POOL);
        let any = self.rng.below(32) as u32;
        let fc = self.rng.range(8, 15) as u32;
        let w = 4 * self.rng.below(64) as i32;
        let d = 8 * self.rng.below(64) as i32;
        let half = match self.rng.below(12) {
            0 => c_lwsp(rd, w),
            1 => c_ldsp(rd, d),
            2 => c_swsp(any, w),
            3 => c_sdsp(any, d),
            4 => c_lw(rc, S1, w & 0x7c),
            5 => c_ld(rc, S1, d & 0xf8),
            6 => c_sw(self.c_src(), S1, w & 0x7c),
            7 => c_sd(self.c_src(), S1, d & 0xf8),
            8 => c_fld(fc, S1, d & 0xf8),
            9 => c_fsd(fc, S1, d & 0xf8),
            10 => c_fldsp(any, d),
            _ => c_fsdsp(any, d),
        };
        self.asm.put16(half);
    }

    fn fp_access(&mut self) {
        let base = self.rng.pick(&[T5, T5, T4, SP, T3]);
        let span = if base == T3 { 64 } else { 2040 };
        let double = self.rng.one_in(2);
        let size = if double { 8 } else { 4 };
        let off = self.offset(base, size, span);
        let f = self.rng.below(32) as u32;
        let word = match (self.rng.one_in(2), double) {
            (true, false) => flw(f, base, off),
            (true, true) => fld(f, base, off),
            (false, false) => fsw(f, base, off),
            (false, true) => fsd(f, base, off),
        };
        self.asm.put(word);
    }

    /// A rounding mode: one of the five, dynamic, or (rarely) reserved.
    fn rm(&mut self) -> u32 {
        match self.rng.below(20) {
            0 => self.rng.pick(&[5, 6]),
            1..=8 => 7,
            _ => self.rng.below(5) as u32,
        }
    }

    fn fp_compute(&mut self) {
        let double = self.rng.one_in(2);
        let (fd, fa, fb, fc) = (
            self.rng.below(32) as u32,
            self.rng.below(32) as u32,
            self.rng.below(32) as u32,
            self.rng.below(32) as u32,
        );
        let rd = self.pool();
        let rs = self.src();
        let rm = self.rm();
        let word = match self.rng.below(13) {
            0..=2 => fp(self.rng.below(4) as u32, double, rm, fd, fa, fb),
            3 => fp(0xb, double, rm, fd, fa, 0),
            4 => fp(4, double, self.rng.below(3) as u32, fd, fa, fb),
            5 => fp(5, double, self.rng.below(2) as u32, fd, fa, fb),
            6 => fp(8, double, rm, fd, fa, u32::from(!double)),
            7 => fp(0x14, double, self.rng.below(3) as u32, rd, fa, fb),
            8 => fp(0x1c, double, self.rng.below(2) as u32, rd, fa, 0),
            9 => fp(0x18, double, rm, rd, fa, self.rng.below(4) as u32),
            10 => fp(0x1a, double, rm, fd, rs, self.rng.below(4) as u32),
            11 => fp(0x1e, double, 0, fd, rs, 0),
            _ => {
                let opcode = self.rng.pick(&[0x43, 0x47, 0x4b, 0x4f]);
                fma(opcode, double, rm, fd, fa, fb, fc)
            }
        };
        self.asm.put(word);
    }

    fn atomic(&mut self) {
        const OPS: [u32; 11] = [2, 3, 1, 0, 4, 0xc, 8, 0x10, 0x14, 0x18, 0x1c];
        let double = self.rng.one_in(2);
        let size = if double { 8 } else { 4 };
        let (base, off) = match self.rng.below(8) {
            0 => (T3, 8 * self.rng.range(-4, 4) as i32),
            1 => (T4, self.offset(T4, size, 2040)),
            _ => (T5, self.offset(T5, size, 2040)),
        };
        let off = if self.rng.one_in(10) { off | 2 } else { off };
        self.asm.put(addi(T2, base, off));
        let rd = if self.rng.one_in(10) { 0 } else { self.pool() };
        let order = self.rng.below(4) as u32;
        if self.rng.one_in(3) {
            // A reservation and its store-conditional, with a little in between.
            self.asm.put(amo(2, double, order, rd, 0, T2));
            for _ in 0..self.rng.below(3) {
                self.alu_imm();
            }
            let rd = self.pool();
            let rs2 = self.src();
            self.asm.put(amo(3, double, order, rd, rs2, T2));
        } else {
            let funct5 = self.rng.pick(&OPS);
            let rs2 = self.src();
            self.asm.put(amo(funct5, double, order, rd, rs2, T2));
        }
    }

    fn csr(&mut self) {
        const M_READ: [u16; 37] = [
            MSTATUS,
            MISA,
            MEDELEG,
            MIDELEG,
            MIE,
            MIP,
            MTVEC,
            MSCRATCH,
            MEPC,
            MCAUSE,
            MTVAL,
            SSTATUS,
            SIE,
            SIP,
            STVEC,
            SSCRATCH,
            SEPC,
            SCAUSE,
            STVAL,
            SATP,
            CYCLE,
            TIME,
            INSTRET,
            MCYCLE,
            MINSTRET,
            FFLAGS,
            FRM,
            FCSR,
            MHARTID,
            0x7c0,
            MENVCFG,
            SENVCFG,
            MCOUNTINHIBIT,
            PMPCFG0,
            PMPADDR0,
            MCOUNTEREN,
            SCOUNTEREN,
        ];
        const S_READ: [u16; 18] = [
            SSTATUS, SIE, SIP, STVEC, SSCRATCH, SEPC, SCAUSE, STVAL, SATP, CYCLE, TIME, INSTRET,
            FFLAGS, FRM, FCSR, MSTATUS, MSCRATCH, 0x7c0,
        ];
        const U_READ: [u16; 8] = [CYCLE, TIME, INSTRET, FFLAGS, FRM, FCSR, SSTATUS, MSTATUS];
        let rd = if self.rng.one_in(8) { 0 } else { self.pool() };
        let src = self.src();
        let (status, ie, ip, scratch) = match self.privilege {
            PRIV_M => (MSTATUS, MIE, MIP, MSCRATCH),
            _ => (SSTATUS, SIE, SIP, SSCRATCH),
        };
        match self.rng.below(10) {
            0..=3 => {
                let num = match self.privilege {
                    PRIV_M => self.rng.pick(&M_READ),
                    PRIV_S => self.rng.pick(&S_READ),
                    _ => self.rng.pick(&U_READ),
                };
                self.asm.put(csrrs(rd, num, 0));
            }
            4 => {
                let num = self.rng.pick(&[FFLAGS, FRM, FCSR, scratch, CYCLE]);
                let f3 = self.rng.pick(&[1, 2, 3]);
                self.asm.put(csr(f3, rd, num, src));
            }
            5 => {
                let num = self.rng.pick(&[FFLAGS, FRM, FCSR]);
                let f3 = self.rng.pick(&[5, 6, 7]);
                let zimm = self.rng.below(32) as u32;
                self.asm.put(csr(f3, rd, num, zimm));
            }
            6 if self.privilege == PRIV_M => {
                let num = self.rng.pick(&[MCYCLE, MINSTRET]);
                self.asm.put(csrrw(rd, num, src));
            }
            6 | 7 => {
                // Global interrupt enables and the FP unit on and off.
                if self.rng.one_in(3) {
                    self.asm.put(lui(T2, 6)); // FS
                    let f3 = if self.rng.one_in(4) { 3 } else { 2 };
                    self.asm.put(csr(f3, rd, status, T2));
                } else {
                    let bit = if self.privilege == PRIV_M {
                        self.rng.pick(&[8, 2])
                    } else {
                        2
                    };
                    let f3 = self.rng.pick(&[6, 7]);
                    self.asm.put(csr(f3, rd, status, bit));
                }
            }
            8 if self.rng.one_in(4) => {
                // Rewriting satp with its value: the TLBs are flushed.
                self.asm.put(csrrs(T2, SATP, 0));
                self.asm.put(csrrw(rd, SATP, T2));
            }
            8 => {
                let mask = self.rng.pick(&[2, 8, 0x80, 0x200, -2048, 0x2aa, -1]);
                self.asm.put(addi(T2, 0, mask));
                let f3 = self.rng.pick(&[2, 3]);
                self.asm.put(csr(f3, rd, ie, T2));
            }
            _ => {
                // The supervisor software interrupt, raised and cleared by software.
                let f3 = self.rng.pick(&[6, 7]);
                self.asm.put(csr(f3, rd, ip, 2));
            }
        }
    }

    fn system(&mut self) {
        match self.rng.below(12) {
            0 => self.asm.put(ECALL),
            1 => self.asm.put(EBREAK),
            2 => self.asm.put16(C_EBREAK),
            3 => self.asm.put(WFI),
            4 => self.asm.put(FENCE),
            5 => self.asm.put(FENCE_I),
            6 => {
                let rs1 = self.rng.pick(&[0, T5, T4]);
                self.asm.put(sfence_vma(rs1, 0));
            }
            7 if self.privilege != PRIV_M => self.asm.put(MRET),
            8 if self.privilege == PRIV_U => self.asm.put(SRET),
            7..=9 => {
                let half = self.rng.pick(&[0, c_lui(5, 0), c_addi4spn(10, 0)]);
                self.asm.put16(half);
            }
            _ => {
                let word = loop {
                    let w = self.rng.next() as u32 | 3;
                    if decode(w).op == Op::Illegal {
                        break w;
                    }
                };
                self.asm.put(word);
            }
        }
    }

    /// A forward branch or jump over a few items.
    fn skip(&mut self, ctx: Context) {
        if self.skips >= 2 {
            return self.alu_reg();
        }
        let over = self.asm.label();
        let kind = self.rng.below(8);
        match kind {
            0..=4 => {
                let f3 = self.rng.pick(&[0, 1, 4, 5, 6, 7]);
                let (a, b) = (self.src(), self.src());
                self.asm.branch(f3, a, b, over);
            }
            5 => {
                let rs1 = self.c_src();
                self.asm.c_bz(self.rng.one_in(2), rs1, over);
            }
            6 => self.asm.jal(0, over),
            _ => self.asm.c_j(over),
        }
        self.skips += 1;
        for _ in 0..self.rng.range(1, 3) {
            match self.rng.below(3) {
                0 => self.alu_compressed(),
                1 => self.alu_imm(),
                // Anything, unless a compressed branch must reach past it.
                _ if kind != 5 => self.emit_item(ctx),
                _ => self.alu_reg(),
            }
        }
        self.skips -= 1;
        self.asm.bind(over);
    }

    /// A call of a local function or of the function in the stub page.
    fn call(&mut self) {
        if !self.functions.is_empty() && self.rng.one_in(2) {
            let f = self.rng.pick(&self.functions);
            self.asm.jal(RA, f);
        } else {
            self.asm.put(ld(T2, S10, 8 * K_STUB));
            if self.rng.one_in(2) {
                self.asm.put16(c_jalr(T2));
            } else {
                self.asm.put(jalr(RA, T2, 0));
            }
        }
    }

    /// A call of an address that cannot be fetched: the handler returns to `ra`.
    fn bad_jump(&mut self) {
        let k = K_BAD_FETCH + self.rng.below(2) as i32;
        self.asm.put(ld(T2, S10, 8 * k));
        if self.rng.one_in(2) {
            self.asm.put16(c_jalr(T2));
        } else {
            self.asm.put(jalr(RA, T2, 0));
        }
    }
}
