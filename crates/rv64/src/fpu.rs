//! IEEE-754 arithmetic for the F and D extensions, bit-exact with RISC-V.
//!
//! Rounded arithmetic and conversions go to Berkeley SoftFloat 3 built with its RISC-V
//! specialization (canonical NaNs, tininess detected after rounding, the RISC-V saturation
//! values for out-of-range float-to-integer conversions). SoftFloat keeps its rounding mode
//! and exception flags in thread-local variables: every call here sets the rounding mode and
//! clears the flags before the operation and reads the flags after it, so no state carries
//! from one operation to the next. Sign injection, moves, comparisons, min/max and
//! classification are bit manipulations done here without SoftFloat.

use crate::insn::Op;
use softfloat_sys as sf;

/// The invalid-operation flag (NV) in `fflags`.
const NV: u8 = 16;
/// Mask of the five `fflags` bits; SoftFloat's flag bits have the same layout.
const FFLAGS_MASK: u8 = 0x1f;
/// The upper half of a properly NaN-boxed single-precision value.
const BOX: u64 = 0xffff_ffff_0000_0000;

/// Bit layout of one IEEE-754 binary format, on values right-aligned in a `u64`.
#[derive(Clone, Copy)]
struct Format {
    sign: u64,
    /// Exponent mask; also the bit pattern of +infinity.
    exp: u64,
    /// The most significant fraction bit: set in quiet NaNs, clear in signaling NaNs.
    quiet: u64,
    /// The canonical NaN.
    nan: u64,
}

const S: Format = Format {
    sign: 1 << 31,
    exp: 0x7f80_0000,
    quiet: 1 << 22,
    nan: 0x7fc0_0000,
};
const D: Format = Format {
    sign: 1 << 63,
    exp: 0x7ff0_0000_0000_0000,
    quiet: 1 << 51,
    nan: 0x7ff8_0000_0000_0000,
};

impl Format {
    fn is_nan(self, x: u64) -> bool {
        x & !self.sign > self.exp
    }

    fn is_snan(self, x: u64) -> bool {
        self.is_nan(x) && x & self.quiet == 0
    }

    /// `x == y` for non-NaN operands (+0 equals -0).
    fn eq(self, x: u64, y: u64) -> bool {
        x == y || (x | y) & !self.sign == 0
    }

    /// `x < y` for non-NaN operands (-0 is not less than +0).
    fn lt(self, x: u64, y: u64) -> bool {
        let x_neg = x & self.sign != 0;
        let y_neg = y & self.sign != 0;
        if x_neg != y_neg {
            x_neg && (x | y) & !self.sign != 0
        } else if x_neg {
            x > y
        } else {
            x < y
        }
    }

    /// `feq`: quiet comparison, NV only for a signaling NaN operand.
    fn feq(self, x: u64, y: u64) -> (u64, u8) {
        if self.is_nan(x) || self.is_nan(y) {
            (
                0,
                if self.is_snan(x) || self.is_snan(y) {
                    NV
                } else {
                    0
                },
            )
        } else {
            (self.eq(x, y) as u64, 0)
        }
    }

    /// `flt`/`fle`: signaling comparisons, NV for any NaN operand.
    fn fcmp(self, x: u64, y: u64, or_equal: bool) -> (u64, u8) {
        if self.is_nan(x) || self.is_nan(y) {
            (0, NV)
        } else {
            ((self.lt(x, y) || (or_equal && self.eq(x, y))) as u64, 0)
        }
    }

    /// IEEE 754-2019 minimumNumber / maximumNumber with -0 < +0: a NaN operand yields the
    /// other operand, two NaNs the canonical NaN, and a signaling NaN raises NV.
    fn min_max(self, x: u64, y: u64, max: bool) -> (u64, u8) {
        let flags = if self.is_snan(x) || self.is_snan(y) {
            NV
        } else {
            0
        };
        let r = match (self.is_nan(x), self.is_nan(y)) {
            (true, true) => self.nan,
            (true, false) => y,
            (false, true) => x,
            (false, false) => {
                let (lo, hi) = if self.lt(y, x) || (self.eq(x, y) && y & self.sign != 0) {
                    (y, x)
                } else {
                    (x, y)
                };
                if max {
                    hi
                } else {
                    lo
                }
            }
        };
        (r, flags)
    }

    /// `fclass`: a one-hot mask of the operand's class (bit 0 -inf ... bit 9 quiet NaN).
    fn class(self, x: u64) -> u64 {
        let neg = x & self.sign != 0;
        let mag = x & !self.sign;
        let bit = if mag == self.exp {
            if neg {
                0
            } else {
                7
            }
        } else if mag > self.exp {
            if x & self.quiet != 0 {
                9
            } else {
                8
            }
        } else if mag == 0 {
            if neg {
                3
            } else {
                4
            }
        } else if mag & self.exp == 0 {
            if neg {
                2
            } else {
                5
            }
        } else if neg {
            1
        } else {
            6
        };
        1 << bit
    }
}

/// A single-precision source: the low word if properly NaN-boxed, else the canonical NaN.
#[inline]
fn unbox(v: u64) -> u64 {
    if v & BOX == BOX {
        v & 0xffff_ffff
    } else {
        S.nan
    }
}

/// A single-precision result NaN-boxed for the FP register file.
#[inline]
fn nan_box(v: u32) -> u64 {
    BOX | v as u64
}

/// A 32-bit integer result sign-extended to XLEN.
#[inline]
fn sext32(v: u32) -> u64 {
    v as i32 as i64 as u64
}

/// Computes an F/D computational op ([`Op::is_fp_compute`]) on raw register values.
///
/// `rm` is the resolved rounding mode (0..=4). Sources are raw 64-bit register contents
/// (FP registers as stored, NaN-boxing unchecked; integer registers for
/// [`Op::fp_reads_int`] ops). Returns the raw value to write to the destination (single
/// results NaN-boxed, integer results sign-extended as the spec says) and the accrued
/// exception flags (NV=16, DZ=8, OF=4, UF=2, NX=1). Any other op returns `(0, 0)`.
pub fn compute(op: Op, rm: u8, a: u64, b: u64, c: u64) -> (u64, u8) {
    use Op::*;
    match op {
        FsgnjS => (BOX | (unbox(a) & !S.sign) | (unbox(b) & S.sign), 0),
        FsgnjnS => (BOX | (unbox(a) & !S.sign) | (!unbox(b) & S.sign), 0),
        FsgnjxS => (BOX | (unbox(a) ^ (unbox(b) & S.sign)), 0),
        FsgnjD => ((a & !D.sign) | (b & D.sign), 0),
        FsgnjnD => ((a & !D.sign) | (!b & D.sign), 0),
        FsgnjxD => (a ^ (b & D.sign), 0),
        FminS | FmaxS => {
            let (r, flags) = S.min_max(unbox(a), unbox(b), op == FmaxS);
            (BOX | r, flags)
        }
        FminD | FmaxD => D.min_max(a, b, op == FmaxD),
        FeqS => S.feq(unbox(a), unbox(b)),
        FltS => S.fcmp(unbox(a), unbox(b), false),
        FleS => S.fcmp(unbox(a), unbox(b), true),
        FeqD => D.feq(a, b),
        FltD => D.fcmp(a, b, false),
        FleD => D.fcmp(a, b, true),
        FclassS => (S.class(unbox(a)), 0),
        FclassD => (D.class(a), 0),
        FmvXW => (sext32(a as u32), 0),
        FmvWX => (nan_box(a as u32), 0),
        FmvXD | FmvDX => (a, 0),
        _ => softfloat(op, rm, a, b, c),
    }
}

/// The ops that round or may raise flags other than NV, done by SoftFloat; any op that is
/// not one of them gives `(0, 0)`.
fn softfloat(op: Op, rm: u8, a: u64, b: u64, c: u64) -> (u64, u8) {
    use Op::*;
    let s = |v: u64| sf::float32_t { v: unbox(v) as u32 };
    let neg_s = |v: u64| sf::float32_t {
        v: unbox(v) as u32 ^ (1 << 31),
    };
    let d = |v: u64| sf::float64_t { v };
    let neg_d = |v: u64| sf::float64_t { v: v ^ D.sign };
    let rs = |r: sf::float32_t| nan_box(r.v);
    let rd = |r: sf::float64_t| r.v;
    // SAFETY: the helpers only store to SoftFloat's thread-local rounding mode and flags.
    unsafe {
        sf::softfloat_roundingMode_write_helper(rm);
        sf::softfloat_exceptionFlags_write_helper(0);
    }
    // SAFETY: SoftFloat's operations take and return plain values; besides their
    // arguments they only read the thread-local rounding mode and update the thread-local
    // flags set up above. No pointers are involved.
    let r = unsafe {
        match op {
            // Fused multiply-add: the negations are applied to the inputs so the single
            // rounding and the canonical-NaN result are SoftFloat's.
            FmaddS => rs(sf::f32_mulAdd(s(a), s(b), s(c))),
            FmsubS => rs(sf::f32_mulAdd(s(a), s(b), neg_s(c))),
            FnmsubS => rs(sf::f32_mulAdd(neg_s(a), s(b), s(c))),
            FnmaddS => rs(sf::f32_mulAdd(neg_s(a), s(b), neg_s(c))),
            FaddS => rs(sf::f32_add(s(a), s(b))),
            FsubS => rs(sf::f32_sub(s(a), s(b))),
            FmulS => rs(sf::f32_mul(s(a), s(b))),
            FdivS => rs(sf::f32_div(s(a), s(b))),
            FsqrtS => rs(sf::f32_sqrt(s(a))),
            FcvtWS => sext32(sf::f32_to_i32(s(a), rm, true) as u32),
            FcvtWuS => sext32(sf::f32_to_ui32(s(a), rm, true) as u32),
            FcvtLS => sf::f32_to_i64(s(a), rm, true) as u64,
            FcvtLuS => sf::f32_to_ui64(s(a), rm, true) as u64,
            FcvtSW => rs(sf::i32_to_f32(a as i32)),
            FcvtSWu => rs(sf::ui32_to_f32(a as u32)),
            FcvtSL => rs(sf::i64_to_f32(a as i64)),
            FcvtSLu => rs(sf::ui64_to_f32(a)),
            FmaddD => rd(sf::f64_mulAdd(d(a), d(b), d(c))),
            FmsubD => rd(sf::f64_mulAdd(d(a), d(b), neg_d(c))),
            FnmsubD => rd(sf::f64_mulAdd(neg_d(a), d(b), d(c))),
            FnmaddD => rd(sf::f64_mulAdd(neg_d(a), d(b), neg_d(c))),
            FaddD => rd(sf::f64_add(d(a), d(b))),
            FsubD => rd(sf::f64_sub(d(a), d(b))),
            FmulD => rd(sf::f64_mul(d(a), d(b))),
            FdivD => rd(sf::f64_div(d(a), d(b))),
            FsqrtD => rd(sf::f64_sqrt(d(a))),
            FcvtSD => rs(sf::f64_to_f32(d(a))),
            FcvtDS => rd(sf::f32_to_f64(s(a))),
            FcvtWD => sext32(sf::f64_to_i32(d(a), rm, true) as u32),
            FcvtWuD => sext32(sf::f64_to_ui32(d(a), rm, true) as u32),
            FcvtLD => sf::f64_to_i64(d(a), rm, true) as u64,
            FcvtLuD => sf::f64_to_ui64(d(a), rm, true) as u64,
            FcvtDW => rd(sf::i32_to_f64(a as i32)),
            FcvtDWu => rd(sf::ui32_to_f64(a as u32)),
            FcvtDL => rd(sf::i64_to_f64(a as i64)),
            FcvtDLu => rd(sf::ui64_to_f64(a)),
            _ => 0,
        }
    };
    // SAFETY: reads SoftFloat's thread-local flags.
    let flags = unsafe { sf::softfloat_exceptionFlags_read_helper() };
    (r, flags & FFLAGS_MASK)
}

#[cfg(test)]
mod tests {
    //! Reference vectors were produced by running each instruction under QEMU 7.2
    //! (`qemu-system-riscv64 -machine virt`, bare metal) with `frm` set to the listed
    //! rounding mode and reading back the raw destination register and `fflags`.

    use super::*;
    use Op::*;

    const DZ: u8 = 8;
    const OF: u8 = 4;
    const UF: u8 = 2;
    const NX: u8 = 1;
    /// The NaN-boxing upper word of a single-precision register value.
    const B: u64 = BOX;

    /// `(op, rm, a, b, c, expected result, expected fflags)`.
    type Vector = (Op, u8, u64, u64, u64, u64, u8);

    fn check(vectors: &[Vector]) {
        let mut failures = Vec::new();
        for &(op, rm, a, b, c, want, want_flags) in vectors {
            let got = compute(op, rm, a, b, c);
            if got != (want, want_flags) {
                failures.push(format!(
                    "{op:?} rm={rm} a={a:#x} b={b:#x} c={c:#x}: got ({:#x}, {}), want ({want:#x}, {want_flags})",
                    got.0, got.1
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// Every computational F/D op has at least one reference vector.
    #[test]
    fn every_fp_compute_op_is_covered() {
        let mut seen = [false; 256];
        for &(op, ..) in ALL.iter().flat_map(|v| v.iter()) {
            assert!(op.is_fp_compute(), "{op:?}");
            seen[op as usize] = true;
        }
        let covered = seen.iter().filter(|&&s| s).count();
        // FmaddS..=FmvDX less the two loads and two stores (Flw/Fsw are before FmaddS).
        let expected = (FmvDX as usize - FmaddS as usize + 1) - 2;
        assert_eq!(covered, expected);
    }

    /// fflags accrue per instruction: an exact op after an invalid one reports no flags, and
    /// a rounding mode used once does not stick.
    #[test]
    fn flags_and_rounding_mode_do_not_carry_between_ops() {
        assert_eq!(compute(FdivS, 0, B, B, 0).1, NV);
        assert_eq!(
            compute(FaddS, 0, B | 0x3f80_0000, B | 0x3f80_0000, 0),
            (B | 0x4000_0000, 0)
        );
        let third_rup = compute(FdivD, 3, 0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000, 0);
        let third_rne = compute(FdivD, 0, 0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000, 0);
        assert_eq!(third_rup, (0x3fd5_5555_5555_5556, NX));
        assert_eq!(third_rne, (0x3fd5_5555_5555_5555, NX));
    }

    /// The rm field (RNE=0, RTZ=1, RDN=2, RUP=3, RMM=4) and fflags (NV, DZ, OF, UF, NX) are
    /// passed to and from SoftFloat unchanged, which needs its encodings to be RISC-V's.
    #[test]
    fn softfloat_encodings_equal_riscv_rm_and_fflags() {
        assert_eq!(sf::softfloat_round_near_even, 0);
        assert_eq!(sf::softfloat_round_minMag, 1);
        assert_eq!(sf::softfloat_round_min, 2);
        assert_eq!(sf::softfloat_round_max, 3);
        assert_eq!(sf::softfloat_round_near_maxMag, 4);
        assert_eq!(sf::softfloat_flag_invalid, NV);
        assert_eq!(sf::softfloat_flag_infinite, DZ);
        assert_eq!(sf::softfloat_flag_overflow, OF);
        assert_eq!(sf::softfloat_flag_underflow, UF);
        assert_eq!(sf::softfloat_flag_inexact, NX);
    }

    /// FCVT.WU/LU of a negative value that rounds to zero gives 0 with only NX (not NV).
    #[test]
    fn fcvt_unsigned_of_negative_rounding_to_zero_is_inexact_not_invalid() {
        let minus_0_3 = 0xbfd3_3333_3333_3333;
        assert_eq!(compute(FcvtWuD, 1, minus_0_3, 0, 0), (0, NX));
        assert_eq!(compute(FcvtLuD, 0, minus_0_3, 0, 0), (0, NX));
        assert_eq!(compute(FcvtWuD, 2, minus_0_3, 0, 0), (0, NV));
    }

    /// Static rm 0..=4 (RNE, RTZ, RDN, RUP, RMM) on inexact results, ties (1 + 2^-24) and
    /// conversions.
    #[test]
    fn each_rounding_mode_rounds_as_specified() {
        check(ROUNDING_MODES);
    }

    /// NV, DZ, OF (per rounding mode), UF (tininess after rounding) and NX.
    #[test]
    fn each_exception_sets_its_fflags_bit() {
        check(EXCEPTION_FLAGS);
    }

    /// Spec 11.3: NaN results are the canonical NaN, whatever the input payload; sNaN inputs raise
    /// NV.
    #[test]
    fn nan_results_are_the_canonical_nan() {
        check(CANONICAL_NAN);
    }

    /// Spec 13.2: an improperly NaN-boxed single source reads as the canonical NaN; single results
    /// are boxed.
    #[test]
    fn single_sources_are_unboxed_and_results_nan_boxed() {
        check(NAN_BOXING);
    }

    /// IEEE 754-2019 minimumNumber/maximumNumber: -0 < +0, a NaN yields the other operand, sNaN
    /// raises NV.
    #[test]
    fn fmin_fmax_are_minimum_number_and_maximum_number() {
        check(FMIN_FMAX);
    }

    /// FEQ raises NV only for sNaN; FLT/FLE raise NV for any NaN; NaN compares false.
    #[test]
    fn feq_is_quiet_and_flt_fle_signal_on_nan() {
        check(COMPARE);
    }

    /// Spec table "domains of float-to-integer conversions": NaN/+inf/overflow give the maximum,
    /// -inf/underflow the minimum, with NV; 32-bit results are sign-extended.
    #[test]
    fn fcvt_to_int_saturates_per_spec_table() {
        check(FCVT_TO_INT_SATURATION);
    }

    /// W/WU sources use the low 32 bits of the integer register; results round per rm.
    #[test]
    fn fcvt_from_int_reads_low_word_for_w_and_rounds() {
        check(FCVT_FROM_INT);
    }

    /// FCLASS: bit 0 -inf .. bit 9 quiet NaN, exactly one bit set.
    #[test]
    fn fclass_sets_one_bit_per_class() {
        check(FCLASS);
    }

    /// FMADD a*b+c, FMSUB a*b-c, FNMSUB -(a*b)+c, FNMADD -(a*b)-c with one rounding; inf*0 raises
    /// NV even with a quiet NaN addend.
    #[test]
    fn fused_multiply_add_rounds_once_and_negates_the_product() {
        check(FUSED_MULTIPLY_ADD);
    }

    /// FSGNJ/FSGNJN/FSGNJX copy, invert or xor the sign bit without canonicalising NaNs.
    #[test]
    fn sign_injection_operates_on_raw_bits() {
        check(SIGN_INJECTION_AND_MOVES);
    }

    /// FADD/FSUB/FMUL/FDIV/FSQRT and FCVT.S.D/FCVT.D.S on ordinary operands; x - x is -0 only under
    /// RDN.
    #[test]
    fn basic_arithmetic_matches_reference() {
        check(SQRT_AND_BASIC_ARITHMETIC);
    }

    #[rustfmt::skip]
    const ROUNDING_MODES: &[Vector] = &[
        (FdivS, 0, B | 0x3f800000, B | 0x40400000, 0, B | 0x3eaaaaab, NX),
        (FdivS, 0, B | 0xbf800000, B | 0x40400000, 0, B | 0xbeaaaaab, NX),
        (FdivD, 0, 0x3ff0000000000000, 0x4008000000000000, 0, 0x3fd5555555555555, NX),
        (FdivD, 0, 0xbff0000000000000, 0x4008000000000000, 0, 0xbfd5555555555555, NX),
        (FaddS, 0, B | 0x3f800000, B | 0x33800000, 0, B | 0x3f800000, NX),
        (FaddS, 0, B | 0x3f800001, B | 0x33800000, 0, B | 0x3f800002, NX),
        (FaddD, 0, 0x3ff0000000000000, 0x3ca0000000000000, 0, 0x3ff0000000000000, NX),
        (FaddD, 0, 0xbff0000000000000, 0xbca0000000000000, 0, 0xbff0000000000000, NX),
        (FsubS, 0, B | 0x3f800000, B | 0x30800000, 0, B | 0x3f800000, NX),
        (FsubD, 0, 0xbff0000000000000, 0x3c30000000000000, 0, 0xbff0000000000000, NX),
        (FmulS, 0, B | 0x3eaaaaab, B | 0x40400000, 0, B | 0x3f800000, NX),
        (FmulD, 0, 0x3fd5555555555555, 0x4008000000000000, 0, 0x3ff0000000000000, NX),
        (FsqrtS, 0, B | 0x40000000, 0, 0, B | 0x3fb504f3, NX),
        (FsqrtD, 0, 0x4000000000000000, 0, 0, 0x3ff6a09e667f3bcd, NX),
        (FmaddS, 0, B | 0x3eaaaaab, B | 0x40400000, B | 0xbf800000, B | 0x33000000, 0),
        (FmaddD, 0, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, 0xbc90000000000000, 0),
        (FcvtWS, 0, B | 0x40200000, 0, 0, 0x2, NX),
        (FcvtWS, 0, B | 0xc0200000, 0, 0, B | 0xfffffffe, NX),
        (FcvtLD, 0, 0xc00c000000000000, 0, 0, B | 0xfffffffc, NX),
        (FcvtWuD, 0, 0x3fe0000000000000, 0, 0, 0, NX),
        (FcvtLS, 0, B | 0xbfc00000, 0, 0, B | 0xfffffffe, NX),
        (FcvtLuS, 0, B | 0x40200000, 0, 0, 0x2, NX),
        (FcvtWD, 0, 0x4004000000000000, 0, 0, 0x2, NX),
        (FcvtLuD, 0, 0x401e000000000000, 0, 0, 0x8, NX),
        (FcvtSW, 0, 0x1000001, 0, 0, B | 0x4b800000, NX),
        (FcvtSW, 0, B | 0xfefffffd, 0, 0, B | 0xcb800002, NX),
        (FcvtSWu, 0, 0xffffffff, 0, 0, B | 0x4f800000, NX),
        (FcvtSL, 0, 0x4000000000000001, 0, 0, B | 0x5e800000, NX),
        (FcvtSLu, 0, B | 0xffffffff, 0, 0, B | 0x5f800000, NX),
        (FcvtDL, 0, 0x4000000000000001, 0, 0, 0x43d0000000000000, NX),
        (FcvtDLu, 0, B | 0xffffffff, 0, 0, 0x43f0000000000000, NX),
        (FcvtDL, 0, 0xbffffffffffffffd, 0, 0, 0xc3d0000000000000, NX),
        (FcvtSD, 0, 0x3fd5555555555555, 0, 0, B | 0x3eaaaaab, NX),
        (FcvtSD, 0, 0xbfd5555555555555, 0, 0, B | 0xbeaaaaab, NX),
        (FdivS, 1, B | 0x3f800000, B | 0x40400000, 0, B | 0x3eaaaaaa, NX),
        (FdivS, 1, B | 0xbf800000, B | 0x40400000, 0, B | 0xbeaaaaaa, NX),
        (FdivD, 1, 0x3ff0000000000000, 0x4008000000000000, 0, 0x3fd5555555555555, NX),
        (FdivD, 1, 0xbff0000000000000, 0x4008000000000000, 0, 0xbfd5555555555555, NX),
        (FaddS, 1, B | 0x3f800000, B | 0x33800000, 0, B | 0x3f800000, NX),
        (FaddS, 1, B | 0x3f800001, B | 0x33800000, 0, B | 0x3f800001, NX),
        (FaddD, 1, 0x3ff0000000000000, 0x3ca0000000000000, 0, 0x3ff0000000000000, NX),
        (FaddD, 1, 0xbff0000000000000, 0xbca0000000000000, 0, 0xbff0000000000000, NX),
        (FsubS, 1, B | 0x3f800000, B | 0x30800000, 0, B | 0x3f7fffff, NX),
        (FsubD, 1, 0xbff0000000000000, 0x3c30000000000000, 0, 0xbff0000000000000, NX),
        (FmulS, 1, B | 0x3eaaaaab, B | 0x40400000, 0, B | 0x3f800000, NX),
        (FmulD, 1, 0x3fd5555555555555, 0x4008000000000000, 0, 0x3fefffffffffffff, NX),
        (FsqrtS, 1, B | 0x40000000, 0, 0, B | 0x3fb504f3, NX),
        (FsqrtD, 1, 0x4000000000000000, 0, 0, 0x3ff6a09e667f3bcc, NX),
        (FmaddS, 1, B | 0x3eaaaaab, B | 0x40400000, B | 0xbf800000, B | 0x33000000, 0),
        (FmaddD, 1, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, 0xbc90000000000000, 0),
        (FcvtWS, 1, B | 0x40200000, 0, 0, 0x2, NX),
        (FcvtWS, 1, B | 0xc0200000, 0, 0, B | 0xfffffffe, NX),
        (FcvtLD, 1, 0xc00c000000000000, 0, 0, B | 0xfffffffd, NX),
        (FcvtWuD, 1, 0x3fe0000000000000, 0, 0, 0, NX),
        (FcvtLS, 1, B | 0xbfc00000, 0, 0, B | 0xffffffff, NX),
        (FcvtLuS, 1, B | 0x40200000, 0, 0, 0x2, NX),
        (FcvtWD, 1, 0x4004000000000000, 0, 0, 0x2, NX),
        (FcvtLuD, 1, 0x401e000000000000, 0, 0, 0x7, NX),
        (FcvtSW, 1, 0x1000001, 0, 0, B | 0x4b800000, NX),
        (FcvtSW, 1, B | 0xfefffffd, 0, 0, B | 0xcb800001, NX),
        (FcvtSWu, 1, 0xffffffff, 0, 0, B | 0x4f7fffff, NX),
        (FcvtSL, 1, 0x4000000000000001, 0, 0, B | 0x5e800000, NX),
        (FcvtSLu, 1, B | 0xffffffff, 0, 0, B | 0x5f7fffff, NX),
        (FcvtDL, 1, 0x4000000000000001, 0, 0, 0x43d0000000000000, NX),
        (FcvtDLu, 1, B | 0xffffffff, 0, 0, 0x43efffffffffffff, NX),
        (FcvtDL, 1, 0xbffffffffffffffd, 0, 0, 0xc3d0000000000000, NX),
        (FcvtSD, 1, 0x3fd5555555555555, 0, 0, B | 0x3eaaaaaa, NX),
        (FcvtSD, 1, 0xbfd5555555555555, 0, 0, B | 0xbeaaaaaa, NX),
        (FdivS, 2, B | 0x3f800000, B | 0x40400000, 0, B | 0x3eaaaaaa, NX),
        (FdivS, 2, B | 0xbf800000, B | 0x40400000, 0, B | 0xbeaaaaab, NX),
        (FdivD, 2, 0x3ff0000000000000, 0x4008000000000000, 0, 0x3fd5555555555555, NX),
        (FdivD, 2, 0xbff0000000000000, 0x4008000000000000, 0, 0xbfd5555555555556, NX),
        (FaddS, 2, B | 0x3f800000, B | 0x33800000, 0, B | 0x3f800000, NX),
        (FaddS, 2, B | 0x3f800001, B | 0x33800000, 0, B | 0x3f800001, NX),
        (FaddD, 2, 0x3ff0000000000000, 0x3ca0000000000000, 0, 0x3ff0000000000000, NX),
        (FaddD, 2, 0xbff0000000000000, 0xbca0000000000000, 0, 0xbff0000000000001, NX),
        (FsubS, 2, B | 0x3f800000, B | 0x30800000, 0, B | 0x3f7fffff, NX),
        (FsubD, 2, 0xbff0000000000000, 0x3c30000000000000, 0, 0xbff0000000000001, NX),
        (FmulS, 2, B | 0x3eaaaaab, B | 0x40400000, 0, B | 0x3f800000, NX),
        (FmulD, 2, 0x3fd5555555555555, 0x4008000000000000, 0, 0x3fefffffffffffff, NX),
        (FsqrtS, 2, B | 0x40000000, 0, 0, B | 0x3fb504f3, NX),
        (FsqrtD, 2, 0x4000000000000000, 0, 0, 0x3ff6a09e667f3bcc, NX),
        (FmaddS, 2, B | 0x3eaaaaab, B | 0x40400000, B | 0xbf800000, B | 0x33000000, 0),
        (FmaddD, 2, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, 0xbc90000000000000, 0),
        (FcvtWS, 2, B | 0x40200000, 0, 0, 0x2, NX),
        (FcvtWS, 2, B | 0xc0200000, 0, 0, B | 0xfffffffd, NX),
        (FcvtLD, 2, 0xc00c000000000000, 0, 0, B | 0xfffffffc, NX),
        (FcvtWuD, 2, 0x3fe0000000000000, 0, 0, 0, NX),
        (FcvtLS, 2, B | 0xbfc00000, 0, 0, B | 0xfffffffe, NX),
        (FcvtLuS, 2, B | 0x40200000, 0, 0, 0x2, NX),
        (FcvtWD, 2, 0x4004000000000000, 0, 0, 0x2, NX),
        (FcvtLuD, 2, 0x401e000000000000, 0, 0, 0x7, NX),
        (FcvtSW, 2, 0x1000001, 0, 0, B | 0x4b800000, NX),
        (FcvtSW, 2, B | 0xfefffffd, 0, 0, B | 0xcb800002, NX),
        (FcvtSWu, 2, 0xffffffff, 0, 0, B | 0x4f7fffff, NX),
        (FcvtSL, 2, 0x4000000000000001, 0, 0, B | 0x5e800000, NX),
        (FcvtSLu, 2, B | 0xffffffff, 0, 0, B | 0x5f7fffff, NX),
        (FcvtDL, 2, 0x4000000000000001, 0, 0, 0x43d0000000000000, NX),
        (FcvtDLu, 2, B | 0xffffffff, 0, 0, 0x43efffffffffffff, NX),
        (FcvtDL, 2, 0xbffffffffffffffd, 0, 0, 0xc3d0000000000001, NX),
        (FcvtSD, 2, 0x3fd5555555555555, 0, 0, B | 0x3eaaaaaa, NX),
        (FcvtSD, 2, 0xbfd5555555555555, 0, 0, B | 0xbeaaaaab, NX),
        (FdivS, 3, B | 0x3f800000, B | 0x40400000, 0, B | 0x3eaaaaab, NX),
        (FdivS, 3, B | 0xbf800000, B | 0x40400000, 0, B | 0xbeaaaaaa, NX),
        (FdivD, 3, 0x3ff0000000000000, 0x4008000000000000, 0, 0x3fd5555555555556, NX),
        (FdivD, 3, 0xbff0000000000000, 0x4008000000000000, 0, 0xbfd5555555555555, NX),
        (FaddS, 3, B | 0x3f800000, B | 0x33800000, 0, B | 0x3f800001, NX),
        (FaddS, 3, B | 0x3f800001, B | 0x33800000, 0, B | 0x3f800002, NX),
        (FaddD, 3, 0x3ff0000000000000, 0x3ca0000000000000, 0, 0x3ff0000000000001, NX),
        (FaddD, 3, 0xbff0000000000000, 0xbca0000000000000, 0, 0xbff0000000000000, NX),
        (FsubS, 3, B | 0x3f800000, B | 0x30800000, 0, B | 0x3f800000, NX),
        (FsubD, 3, 0xbff0000000000000, 0x3c30000000000000, 0, 0xbff0000000000000, NX),
        (FmulS, 3, B | 0x3eaaaaab, B | 0x40400000, 0, B | 0x3f800001, NX),
        (FmulD, 3, 0x3fd5555555555555, 0x4008000000000000, 0, 0x3ff0000000000000, NX),
        (FsqrtS, 3, B | 0x40000000, 0, 0, B | 0x3fb504f4, NX),
        (FsqrtD, 3, 0x4000000000000000, 0, 0, 0x3ff6a09e667f3bcd, NX),
        (FmaddS, 3, B | 0x3eaaaaab, B | 0x40400000, B | 0xbf800000, B | 0x33000000, 0),
        (FmaddD, 3, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, 0xbc90000000000000, 0),
        (FcvtWS, 3, B | 0x40200000, 0, 0, 0x3, NX),
        (FcvtWS, 3, B | 0xc0200000, 0, 0, B | 0xfffffffe, NX),
        (FcvtLD, 3, 0xc00c000000000000, 0, 0, B | 0xfffffffd, NX),
        (FcvtWuD, 3, 0x3fe0000000000000, 0, 0, 0x1, NX),
        (FcvtLS, 3, B | 0xbfc00000, 0, 0, B | 0xffffffff, NX),
        (FcvtLuS, 3, B | 0x40200000, 0, 0, 0x3, NX),
        (FcvtWD, 3, 0x4004000000000000, 0, 0, 0x3, NX),
        (FcvtLuD, 3, 0x401e000000000000, 0, 0, 0x8, NX),
        (FcvtSW, 3, 0x1000001, 0, 0, B | 0x4b800001, NX),
        (FcvtSW, 3, B | 0xfefffffd, 0, 0, B | 0xcb800001, NX),
        (FcvtSWu, 3, 0xffffffff, 0, 0, B | 0x4f800000, NX),
        (FcvtSL, 3, 0x4000000000000001, 0, 0, B | 0x5e800001, NX),
        (FcvtSLu, 3, B | 0xffffffff, 0, 0, B | 0x5f800000, NX),
        (FcvtDL, 3, 0x4000000000000001, 0, 0, 0x43d0000000000001, NX),
        (FcvtDLu, 3, B | 0xffffffff, 0, 0, 0x43f0000000000000, NX),
        (FcvtDL, 3, 0xbffffffffffffffd, 0, 0, 0xc3d0000000000000, NX),
        (FcvtSD, 3, 0x3fd5555555555555, 0, 0, B | 0x3eaaaaab, NX),
        (FcvtSD, 3, 0xbfd5555555555555, 0, 0, B | 0xbeaaaaaa, NX),
        (FdivS, 4, B | 0x3f800000, B | 0x40400000, 0, B | 0x3eaaaaab, NX),
        (FdivS, 4, B | 0xbf800000, B | 0x40400000, 0, B | 0xbeaaaaab, NX),
        (FdivD, 4, 0x3ff0000000000000, 0x4008000000000000, 0, 0x3fd5555555555555, NX),
        (FdivD, 4, 0xbff0000000000000, 0x4008000000000000, 0, 0xbfd5555555555555, NX),
        (FaddS, 4, B | 0x3f800000, B | 0x33800000, 0, B | 0x3f800001, NX),
        (FaddS, 4, B | 0x3f800001, B | 0x33800000, 0, B | 0x3f800002, NX),
        (FaddD, 4, 0x3ff0000000000000, 0x3ca0000000000000, 0, 0x3ff0000000000001, NX),
        (FaddD, 4, 0xbff0000000000000, 0xbca0000000000000, 0, 0xbff0000000000001, NX),
        (FsubS, 4, B | 0x3f800000, B | 0x30800000, 0, B | 0x3f800000, NX),
        (FsubD, 4, 0xbff0000000000000, 0x3c30000000000000, 0, 0xbff0000000000000, NX),
        (FmulS, 4, B | 0x3eaaaaab, B | 0x40400000, 0, B | 0x3f800000, NX),
        (FmulD, 4, 0x3fd5555555555555, 0x4008000000000000, 0, 0x3ff0000000000000, NX),
        (FsqrtS, 4, B | 0x40000000, 0, 0, B | 0x3fb504f3, NX),
        (FsqrtD, 4, 0x4000000000000000, 0, 0, 0x3ff6a09e667f3bcd, NX),
        (FmaddS, 4, B | 0x3eaaaaab, B | 0x40400000, B | 0xbf800000, B | 0x33000000, 0),
        (FmaddD, 4, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, 0xbc90000000000000, 0),
        (FcvtWS, 4, B | 0x40200000, 0, 0, 0x3, NX),
        (FcvtWS, 4, B | 0xc0200000, 0, 0, B | 0xfffffffd, NX),
        (FcvtLD, 4, 0xc00c000000000000, 0, 0, B | 0xfffffffc, NX),
        (FcvtWuD, 4, 0x3fe0000000000000, 0, 0, 0x1, NX),
        (FcvtLS, 4, B | 0xbfc00000, 0, 0, B | 0xfffffffe, NX),
        (FcvtLuS, 4, B | 0x40200000, 0, 0, 0x3, NX),
        (FcvtWD, 4, 0x4004000000000000, 0, 0, 0x3, NX),
        (FcvtLuD, 4, 0x401e000000000000, 0, 0, 0x8, NX),
        (FcvtSW, 4, 0x1000001, 0, 0, B | 0x4b800001, NX),
        (FcvtSW, 4, B | 0xfefffffd, 0, 0, B | 0xcb800002, NX),
        (FcvtSWu, 4, 0xffffffff, 0, 0, B | 0x4f800000, NX),
        (FcvtSL, 4, 0x4000000000000001, 0, 0, B | 0x5e800000, NX),
        (FcvtSLu, 4, B | 0xffffffff, 0, 0, B | 0x5f800000, NX),
        (FcvtDL, 4, 0x4000000000000001, 0, 0, 0x43d0000000000000, NX),
        (FcvtDLu, 4, B | 0xffffffff, 0, 0, 0x43f0000000000000, NX),
        (FcvtDL, 4, 0xbffffffffffffffd, 0, 0, 0xc3d0000000000000, NX),
        (FcvtSD, 4, 0x3fd5555555555555, 0, 0, B | 0x3eaaaaab, NX),
        (FcvtSD, 4, 0xbfd5555555555555, 0, 0, B | 0xbeaaaaab, NX),
    ];

    #[rustfmt::skip]
    const EXCEPTION_FLAGS: &[Vector] = &[
        (FmulS, 0, B, B | 0x7f800000, 0, B | 0x7fc00000, NV),
        (FmulD, 0, 0x7ff0000000000000, 0x8000000000000000, 0, 0x7ff8000000000000, NV),
        (FsubS, 0, B | 0x7f800000, B | 0x7f800000, 0, B | 0x7fc00000, NV),
        (FaddD, 0, 0x7ff0000000000000, 0xfff0000000000000, 0, 0x7ff8000000000000, NV),
        (FsqrtS, 0, B | 0xbf800000, 0, 0, B | 0x7fc00000, NV),
        (FsqrtD, 0, 0xbff0000000000000, 0, 0, 0x7ff8000000000000, NV),
        (FsqrtS, 0, B | 0x80000000, 0, 0, B | 0x80000000, 0),
        (FsqrtD, 0, 0xfff0000000000000, 0, 0, 0x7ff8000000000000, NV),
        (FdivS, 0, B, B, 0, B | 0x7fc00000, NV),
        (FdivD, 0, 0x7ff0000000000000, 0x7ff0000000000000, 0, 0x7ff8000000000000, NV),
        (FdivS, 0, B | 0x3f800000, B, 0, B | 0x7f800000, DZ),
        (FdivS, 0, B | 0xbf800000, B, 0, B | 0xff800000, DZ),
        (FdivD, 0, 0x3ff0000000000000, 0x8000000000000000, 0, 0xfff0000000000000, DZ),
        (FdivD, 0, 0, 0, 0, 0x7ff8000000000000, NV),
        (FdivS, 0, B | 0x7f800000, B, 0, B | 0x7f800000, 0),
        (FmulS, 0, B | 0x7f7fffff, B | 0x40000000, 0, B | 0x7f800000, OF | NX),
        (FmulS, 0, B | 0x7f7fffff, B | 0xc0000000, 0, B | 0xff800000, OF | NX),
        (FaddD, 0, 0x7fefffffffffffff, 0x7fefffffffffffff, 0, 0x7ff0000000000000, OF | NX),
        (FmulD, 0, 0xffefffffffffffff, 0x4000000000000000, 0, 0xfff0000000000000, OF | NX),
        (FmulS, 0, B | 0x1, B | 0x3f000000, 0, B, UF | NX),
        (FmulD, 0, 0x1, 0xbfe0000000000000, 0, 0x8000000000000000, UF | NX),
        (FmulS, 0, B | 0x800000, B | 0x3f400000, 0, B | 0x600000, 0),
        (FmulD, 0, 0x10000000000000, 0x3fe8000000000000, 0, 0xc000000000000, 0),
        (FmulS, 1, B | 0x7f7fffff, B | 0x40000000, 0, B | 0x7f7fffff, OF | NX),
        (FmulS, 1, B | 0x7f7fffff, B | 0xc0000000, 0, B | 0xff7fffff, OF | NX),
        (FaddD, 1, 0x7fefffffffffffff, 0x7fefffffffffffff, 0, 0x7fefffffffffffff, OF | NX),
        (FmulD, 1, 0xffefffffffffffff, 0x4000000000000000, 0, 0xffefffffffffffff, OF | NX),
        (FmulS, 1, B | 0x1, B | 0x3f000000, 0, B, UF | NX),
        (FmulD, 1, 0x1, 0xbfe0000000000000, 0, 0x8000000000000000, UF | NX),
        (FmulS, 1, B | 0x800000, B | 0x3f400000, 0, B | 0x600000, 0),
        (FmulD, 1, 0x10000000000000, 0x3fe8000000000000, 0, 0xc000000000000, 0),
        (FmulS, 2, B | 0x7f7fffff, B | 0x40000000, 0, B | 0x7f7fffff, OF | NX),
        (FmulS, 2, B | 0x7f7fffff, B | 0xc0000000, 0, B | 0xff800000, OF | NX),
        (FaddD, 2, 0x7fefffffffffffff, 0x7fefffffffffffff, 0, 0x7fefffffffffffff, OF | NX),
        (FmulD, 2, 0xffefffffffffffff, 0x4000000000000000, 0, 0xfff0000000000000, OF | NX),
        (FmulS, 2, B | 0x1, B | 0x3f000000, 0, B, UF | NX),
        (FmulD, 2, 0x1, 0xbfe0000000000000, 0, 0x8000000000000001, UF | NX),
        (FmulS, 2, B | 0x800000, B | 0x3f400000, 0, B | 0x600000, 0),
        (FmulD, 2, 0x10000000000000, 0x3fe8000000000000, 0, 0xc000000000000, 0),
        (FmulS, 3, B | 0x7f7fffff, B | 0x40000000, 0, B | 0x7f800000, OF | NX),
        (FmulS, 3, B | 0x7f7fffff, B | 0xc0000000, 0, B | 0xff7fffff, OF | NX),
        (FaddD, 3, 0x7fefffffffffffff, 0x7fefffffffffffff, 0, 0x7ff0000000000000, OF | NX),
        (FmulD, 3, 0xffefffffffffffff, 0x4000000000000000, 0, 0xffefffffffffffff, OF | NX),
        (FmulS, 3, B | 0x1, B | 0x3f000000, 0, B | 0x1, UF | NX),
        (FmulD, 3, 0x1, 0xbfe0000000000000, 0, 0x8000000000000000, UF | NX),
        (FmulS, 3, B | 0x800000, B | 0x3f400000, 0, B | 0x600000, 0),
        (FmulD, 3, 0x10000000000000, 0x3fe8000000000000, 0, 0xc000000000000, 0),
        (FmulS, 4, B | 0x7f7fffff, B | 0x40000000, 0, B | 0x7f800000, OF | NX),
        (FmulS, 4, B | 0x7f7fffff, B | 0xc0000000, 0, B | 0xff800000, OF | NX),
        (FaddD, 4, 0x7fefffffffffffff, 0x7fefffffffffffff, 0, 0x7ff0000000000000, OF | NX),
        (FmulD, 4, 0xffefffffffffffff, 0x4000000000000000, 0, 0xfff0000000000000, OF | NX),
        (FmulS, 4, B | 0x1, B | 0x3f000000, 0, B | 0x1, UF | NX),
        (FmulD, 4, 0x1, 0xbfe0000000000000, 0, 0x8000000000000001, UF | NX),
        (FmulS, 4, B | 0x800000, B | 0x3f400000, 0, B | 0x600000, 0),
        (FmulD, 4, 0x10000000000000, 0x3fe8000000000000, 0, 0xc000000000000, 0),
        (FmulS, 0, B | 0x800000, B | 0x3f000000, 0, B | 0x400000, 0),
        (FmulD, 0, 0x10000000000000, 0x3fe0000000000000, 0, 0x8000000000000, 0),
        (FcvtSD, 0, 0x380ffffff0000000, 0, 0, B | 0x800000, NX),
        (FcvtSD, 1, 0x380ffffff0000000, 0, 0, B | 0x7fffff, UF | NX),
        (FmulD, 0, 0x3fefffffffffffff, 0x10000000000001, 0, 0x10000000000000, NX),
        (FmulD, 0, 0x3fefffffffffffff, 0x10000000000000, 0, 0x10000000000000, UF | NX),
        (FmaddS, 0, B, B | 0x7f800000, B | 0x7fc00000, B | 0x7fc00000, NV),
        (FmaddD, 0, 0x7ff0000000000000, 0, 0x7ff8000000000000, 0x7ff8000000000000, NV),
        (FaddS, 0, B | 0x3f800000, B | 0x3f800000, 0, B | 0x40000000, 0),
        (FdivS, 0, B | 0x3f800000, B | 0x40400000, 0, B | 0x3eaaaaab, NX),
    ];

    #[rustfmt::skip]
    const CANONICAL_NAN: &[Vector] = &[
        (FdivS, 0, B, B, 0, B | 0x7fc00000, NV),
        (FdivD, 0, 0, 0, 0, 0x7ff8000000000000, NV),
        (FaddS, 0, B | 0x7fc12345, B | 0x3f800000, 0, B | 0x7fc00000, 0),
        (FaddD, 0, 0x7ff8000000012345, 0x3ff0000000000000, 0, 0x7ff8000000000000, 0),
        (FaddS, 0, B | 0x3f800000, B | 0xffc00000, 0, B | 0x7fc00000, 0),
        (FmulD, 0, 0xfff8000000000000, 0x7ff8000000012345, 0, 0x7ff8000000000000, 0),
        (FaddS, 0, B | 0x7f800001, B | 0x3f800000, 0, B | 0x7fc00000, NV),
        (FaddD, 0, 0x3ff0000000000000, 0x7ff0000000000001, 0, 0x7ff8000000000000, NV),
        (FsubS, 0, B | 0xffa00000, B | 0x7fc12345, 0, B | 0x7fc00000, NV),
        (FdivD, 0, 0x7ff8000000012345, 0x7ff0000000000001, 0, 0x7ff8000000000000, NV),
        (FsqrtS, 0, B | 0x7fc12345, 0, 0, B | 0x7fc00000, 0),
        (FsqrtD, 0, 0x7ff0000000000001, 0, 0, 0x7ff8000000000000, NV),
        (FcvtDS, 0, B | 0x7fc12345, 0, 0, 0x7ff8000000000000, 0),
        (FcvtDS, 0, B | 0x7f800001, 0, 0, 0x7ff8000000000000, NV),
        (FcvtDS, 0, B | 0xffc00000, 0, 0, 0x7ff8000000000000, 0),
        (FcvtSD, 0, 0x7ff8000000012345, 0, 0, B | 0x7fc00000, 0),
        (FcvtSD, 0, 0x7ff0000000000001, 0, 0, B | 0x7fc00000, NV),
        (FcvtSD, 0, 0xfff8000000000000, 0, 0, B | 0x7fc00000, 0),
        (FmaddS, 0, B | 0x7fc12345, B | 0x3f800000, B | 0x3f800000, B | 0x7fc00000, 0),
        (FnmaddS, 0, B | 0xffc00000, B | 0x3f800000, B | 0x3f800000, B | 0x7fc00000, 0),
        (FnmsubS, 0, B | 0x3f800000, B | 0x3f800000, B | 0x7f800001, B | 0x7fc00000, NV),
        (FmsubD, 0, 0x7ff8000000012345, 0x3ff0000000000000, 0x3ff0000000000000, 0x7ff8000000000000, 0),
        (FnmaddD, 0, 0x3ff0000000000000, 0xfff8000000000000, 0x3ff0000000000000, 0x7ff8000000000000, 0),
        (FnmsubD, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0x7ff0000000000001, 0x7ff8000000000000, NV),
    ];

    #[rustfmt::skip]
    const NAN_BOXING: &[Vector] = &[
        (FaddS, 0, 0x3f800000, B | 0x3f800000, 0, B | 0x7fc00000, 0),
        (FaddS, 0, 0xfffffffe3f800000, B | 0x3f800000, 0, B | 0x7fc00000, 0),
        (FmulS, 0, B | 0x40000000, 0x7fffffff40000000, 0, B | 0x7fc00000, 0),
        (FsgnjS, 0, 0x3f800000, B | 0x3f800000, 0, B | 0x7fc00000, 0),
        (FsgnjnS, 0, B | 0x3f800000, 0xbf800000, 0, B | 0xbf800000, 0),
        (FsgnjxS, 0, 0x12345678bf800000, B | 0xbf800000, 0, B | 0xffc00000, 0),
        (FmvXW, 0, 0x12345678bf800000, 0, 0, B | 0xbf800000, 0),
        (FmvXW, 0, 0x123456783f800000, 0, 0, 0x3f800000, 0),
        (FmvXW, 0, B | 0x80000000, 0, 0, B | 0x80000000, 0),
        (FmvWX, 0, 0x1234567880000000, 0, 0, B | 0x80000000, 0),
        (FmvWX, 0, 0x3f800000, 0, 0, B | 0x3f800000, 0),
        (FclassS, 0, 0x3f800000, 0, 0, 0x200, 0),
        (FcvtDS, 0, 0x3f800000, 0, 0, 0x7ff8000000000000, 0),
        (FcvtWS, 0, 0x40000000, 0, 0, 0x7fffffff, NV),
        (FeqS, 0, 0x3f800000, 0x3f800000, 0, 0, 0),
        (FleS, 0, 0x3f800000, B | 0x3f800000, 0, 0, NV),
        (FminS, 0, 0x3f800000, B | 0x40000000, 0, B | 0x40000000, 0),
        (FmaxS, 0, B | 0xc0000000, 0x3f800000, 0, B | 0xc0000000, 0),
        (FmaddS, 0, B | 0x3f800000, B | 0x3f800000, 0x3f800000, B | 0x7fc00000, 0),
        (FsqrtS, 0, 0x40800000, 0, 0, B | 0x7fc00000, 0),
        (FcvtSD, 0, 0x3ff8000000000000, 0, 0, B | 0x3fc00000, 0),
        (FcvtSW, 0, 0x7, 0, 0, B | 0x40e00000, 0),
        (FmvDX, 0, 0x123456789abcdef0, 0, 0, 0x123456789abcdef0, 0),
        (FmvXD, 0, 0x123456789abcdef0, 0, 0, 0x123456789abcdef0, 0),
    ];

    #[rustfmt::skip]
    const FMIN_FMAX: &[Vector] = &[
        (FminS, 0, B, B | 0x80000000, 0, B | 0x80000000, 0),
        (FminS, 0, B | 0x80000000, B, 0, B | 0x80000000, 0),
        (FminS, 0, B | 0x3f800000, B | 0x40000000, 0, B | 0x3f800000, 0),
        (FminS, 0, B | 0x40000000, B | 0x3f800000, 0, B | 0x3f800000, 0),
        (FminS, 0, B | 0xc0400000, B | 0x3f800000, 0, B | 0xc0400000, 0),
        (FminS, 0, B | 0x3f800000, B | 0xc0400000, 0, B | 0xc0400000, 0),
        (FminS, 0, B | 0x7fc00000, B | 0x3f800000, 0, B | 0x3f800000, 0),
        (FminS, 0, B | 0x3f800000, B | 0x7fc12345, 0, B | 0x3f800000, 0),
        (FminS, 0, B | 0x7f800001, B | 0x3f800000, 0, B | 0x3f800000, NV),
        (FminS, 0, B | 0x3f800000, B | 0x7f800001, 0, B | 0x3f800000, NV),
        (FminS, 0, B | 0x7fc00000, B | 0x7fc12345, 0, B | 0x7fc00000, 0),
        (FminS, 0, B | 0x7f800001, B | 0x7fc00000, 0, B | 0x7fc00000, NV),
        (FminS, 0, B | 0x7f800001, B | 0x7f800001, 0, B | 0x7fc00000, NV),
        (FminS, 0, B | 0x80000000, B | 0x80000000, 0, B | 0x80000000, 0),
        (FmaxS, 0, B, B | 0x80000000, 0, B, 0),
        (FmaxS, 0, B | 0x80000000, B, 0, B, 0),
        (FmaxS, 0, B | 0x3f800000, B | 0x40000000, 0, B | 0x40000000, 0),
        (FmaxS, 0, B | 0x40000000, B | 0x3f800000, 0, B | 0x40000000, 0),
        (FmaxS, 0, B | 0xc0400000, B | 0x3f800000, 0, B | 0x3f800000, 0),
        (FmaxS, 0, B | 0x3f800000, B | 0xc0400000, 0, B | 0x3f800000, 0),
        (FmaxS, 0, B | 0x7fc00000, B | 0x3f800000, 0, B | 0x3f800000, 0),
        (FmaxS, 0, B | 0x3f800000, B | 0x7fc12345, 0, B | 0x3f800000, 0),
        (FmaxS, 0, B | 0x7f800001, B | 0x3f800000, 0, B | 0x3f800000, NV),
        (FmaxS, 0, B | 0x3f800000, B | 0x7f800001, 0, B | 0x3f800000, NV),
        (FmaxS, 0, B | 0x7fc00000, B | 0x7fc12345, 0, B | 0x7fc00000, 0),
        (FmaxS, 0, B | 0x7f800001, B | 0x7fc00000, 0, B | 0x7fc00000, NV),
        (FmaxS, 0, B | 0x7f800001, B | 0x7f800001, 0, B | 0x7fc00000, NV),
        (FmaxS, 0, B | 0x80000000, B | 0x80000000, 0, B | 0x80000000, 0),
        (FminD, 0, 0, 0x8000000000000000, 0, 0x8000000000000000, 0),
        (FminD, 0, 0x8000000000000000, 0, 0, 0x8000000000000000, 0),
        (FminD, 0, 0x3ff0000000000000, 0x4000000000000000, 0, 0x3ff0000000000000, 0),
        (FminD, 0, 0x4000000000000000, 0x3ff0000000000000, 0, 0x3ff0000000000000, 0),
        (FminD, 0, 0xc008000000000000, 0x3ff0000000000000, 0, 0xc008000000000000, 0),
        (FminD, 0, 0x3ff0000000000000, 0xc008000000000000, 0, 0xc008000000000000, 0),
        (FminD, 0, 0x7ff8000000000000, 0x3ff0000000000000, 0, 0x3ff0000000000000, 0),
        (FminD, 0, 0x3ff0000000000000, 0x7ff8000000012345, 0, 0x3ff0000000000000, 0),
        (FminD, 0, 0x7ff0000000000001, 0x3ff0000000000000, 0, 0x3ff0000000000000, NV),
        (FminD, 0, 0x3ff0000000000000, 0x7ff0000000000001, 0, 0x3ff0000000000000, NV),
        (FminD, 0, 0x7ff8000000000000, 0x7ff8000000012345, 0, 0x7ff8000000000000, 0),
        (FminD, 0, 0x7ff0000000000001, 0x7ff8000000000000, 0, 0x7ff8000000000000, NV),
        (FminD, 0, 0x7ff0000000000001, 0x7ff0000000000001, 0, 0x7ff8000000000000, NV),
        (FminD, 0, 0x8000000000000000, 0x8000000000000000, 0, 0x8000000000000000, 0),
        (FmaxD, 0, 0, 0x8000000000000000, 0, 0, 0),
        (FmaxD, 0, 0x8000000000000000, 0, 0, 0, 0),
        (FmaxD, 0, 0x3ff0000000000000, 0x4000000000000000, 0, 0x4000000000000000, 0),
        (FmaxD, 0, 0x4000000000000000, 0x3ff0000000000000, 0, 0x4000000000000000, 0),
        (FmaxD, 0, 0xc008000000000000, 0x3ff0000000000000, 0, 0x3ff0000000000000, 0),
        (FmaxD, 0, 0x3ff0000000000000, 0xc008000000000000, 0, 0x3ff0000000000000, 0),
        (FmaxD, 0, 0x7ff8000000000000, 0x3ff0000000000000, 0, 0x3ff0000000000000, 0),
        (FmaxD, 0, 0x3ff0000000000000, 0x7ff8000000012345, 0, 0x3ff0000000000000, 0),
        (FmaxD, 0, 0x7ff0000000000001, 0x3ff0000000000000, 0, 0x3ff0000000000000, NV),
        (FmaxD, 0, 0x3ff0000000000000, 0x7ff0000000000001, 0, 0x3ff0000000000000, NV),
        (FmaxD, 0, 0x7ff8000000000000, 0x7ff8000000012345, 0, 0x7ff8000000000000, 0),
        (FmaxD, 0, 0x7ff0000000000001, 0x7ff8000000000000, 0, 0x7ff8000000000000, NV),
        (FmaxD, 0, 0x7ff0000000000001, 0x7ff0000000000001, 0, 0x7ff8000000000000, NV),
        (FmaxD, 0, 0x8000000000000000, 0x8000000000000000, 0, 0x8000000000000000, 0),
    ];

    #[rustfmt::skip]
    const COMPARE: &[Vector] = &[
        (FeqS, 0, B, B | 0x80000000, 0, 0x1, 0),
        (FeqS, 0, B | 0x3f800000, B | 0x40000000, 0, 0, 0),
        (FeqS, 0, B | 0x40000000, B | 0x3f800000, 0, 0, 0),
        (FeqS, 0, B | 0x3f800000, B | 0x3f800000, 0, 0x1, 0),
        (FeqS, 0, B | 0xc0400000, B | 0x3f800000, 0, 0, 0),
        (FeqS, 0, B | 0xc0400000, B | 0xc0400000, 0, 0x1, 0),
        (FeqS, 0, B | 0xff800000, B | 0x7f800000, 0, 0, 0),
        (FeqS, 0, B | 0x7fc00000, B | 0x3f800000, 0, 0, 0),
        (FeqS, 0, B | 0x3f800000, B | 0x7f800001, 0, 0, NV),
        (FeqS, 0, B | 0x7fc00000, B | 0x7fc00000, 0, 0, 0),
        (FltS, 0, B, B | 0x80000000, 0, 0, 0),
        (FltS, 0, B | 0x3f800000, B | 0x40000000, 0, 0x1, 0),
        (FltS, 0, B | 0x40000000, B | 0x3f800000, 0, 0, 0),
        (FltS, 0, B | 0x3f800000, B | 0x3f800000, 0, 0, 0),
        (FltS, 0, B | 0xc0400000, B | 0x3f800000, 0, 0x1, 0),
        (FltS, 0, B | 0xc0400000, B | 0xc0400000, 0, 0, 0),
        (FltS, 0, B | 0xff800000, B | 0x7f800000, 0, 0x1, 0),
        (FltS, 0, B | 0x7fc00000, B | 0x3f800000, 0, 0, NV),
        (FltS, 0, B | 0x3f800000, B | 0x7f800001, 0, 0, NV),
        (FltS, 0, B | 0x7fc00000, B | 0x7fc00000, 0, 0, NV),
        (FleS, 0, B, B | 0x80000000, 0, 0x1, 0),
        (FleS, 0, B | 0x3f800000, B | 0x40000000, 0, 0x1, 0),
        (FleS, 0, B | 0x40000000, B | 0x3f800000, 0, 0, 0),
        (FleS, 0, B | 0x3f800000, B | 0x3f800000, 0, 0x1, 0),
        (FleS, 0, B | 0xc0400000, B | 0x3f800000, 0, 0x1, 0),
        (FleS, 0, B | 0xc0400000, B | 0xc0400000, 0, 0x1, 0),
        (FleS, 0, B | 0xff800000, B | 0x7f800000, 0, 0x1, 0),
        (FleS, 0, B | 0x7fc00000, B | 0x3f800000, 0, 0, NV),
        (FleS, 0, B | 0x3f800000, B | 0x7f800001, 0, 0, NV),
        (FleS, 0, B | 0x7fc00000, B | 0x7fc00000, 0, 0, NV),
        (FeqD, 0, 0, 0x8000000000000000, 0, 0x1, 0),
        (FeqD, 0, 0x3ff0000000000000, 0x4000000000000000, 0, 0, 0),
        (FeqD, 0, 0x4000000000000000, 0x3ff0000000000000, 0, 0, 0),
        (FeqD, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0, 0x1, 0),
        (FeqD, 0, 0xc008000000000000, 0x3ff0000000000000, 0, 0, 0),
        (FeqD, 0, 0xc008000000000000, 0xc008000000000000, 0, 0x1, 0),
        (FeqD, 0, 0xfff0000000000000, 0x7ff0000000000000, 0, 0, 0),
        (FeqD, 0, 0x7ff8000000000000, 0x3ff0000000000000, 0, 0, 0),
        (FeqD, 0, 0x3ff0000000000000, 0x7ff0000000000001, 0, 0, NV),
        (FeqD, 0, 0x7ff8000000000000, 0x7ff8000000000000, 0, 0, 0),
        (FltD, 0, 0, 0x8000000000000000, 0, 0, 0),
        (FltD, 0, 0x3ff0000000000000, 0x4000000000000000, 0, 0x1, 0),
        (FltD, 0, 0x4000000000000000, 0x3ff0000000000000, 0, 0, 0),
        (FltD, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0, 0, 0),
        (FltD, 0, 0xc008000000000000, 0x3ff0000000000000, 0, 0x1, 0),
        (FltD, 0, 0xc008000000000000, 0xc008000000000000, 0, 0, 0),
        (FltD, 0, 0xfff0000000000000, 0x7ff0000000000000, 0, 0x1, 0),
        (FltD, 0, 0x7ff8000000000000, 0x3ff0000000000000, 0, 0, NV),
        (FltD, 0, 0x3ff0000000000000, 0x7ff0000000000001, 0, 0, NV),
        (FltD, 0, 0x7ff8000000000000, 0x7ff8000000000000, 0, 0, NV),
        (FleD, 0, 0, 0x8000000000000000, 0, 0x1, 0),
        (FleD, 0, 0x3ff0000000000000, 0x4000000000000000, 0, 0x1, 0),
        (FleD, 0, 0x4000000000000000, 0x3ff0000000000000, 0, 0, 0),
        (FleD, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0, 0x1, 0),
        (FleD, 0, 0xc008000000000000, 0x3ff0000000000000, 0, 0x1, 0),
        (FleD, 0, 0xc008000000000000, 0xc008000000000000, 0, 0x1, 0),
        (FleD, 0, 0xfff0000000000000, 0x7ff0000000000000, 0, 0x1, 0),
        (FleD, 0, 0x7ff8000000000000, 0x3ff0000000000000, 0, 0, NV),
        (FleD, 0, 0x3ff0000000000000, 0x7ff0000000000001, 0, 0, NV),
        (FleD, 0, 0x7ff8000000000000, 0x7ff8000000000000, 0, 0, NV),
    ];

    #[rustfmt::skip]
    const FCVT_TO_INT_SATURATION: &[Vector] = &[
        (FcvtWS, 0, B | 0x7fc00000, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0x7f800001, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0xffc00000, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0x7f800000, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0xff800000, 0, 0, B | 0x80000000, NV),
        (FcvtWS, 0, B | 0x4f32d05e, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0xcf32d05e, 0, 0, B | 0x80000000, NV),
        (FcvtWS, 0, B | 0x4f9502f9, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0x5f0ac723, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0xdf0ac723, 0, 0, B | 0x80000000, NV),
        (FcvtWS, 0, B | 0x5f8ac723, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0x4f000000, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0xcf000000, 0, 0, B | 0x80000000, 0),
        (FcvtWS, 0, B | 0x4f800000, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0x5f000000, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0xdf000000, 0, 0, B | 0x80000000, NV),
        (FcvtWS, 0, B | 0x5f800000, 0, 0, 0x7fffffff, NV),
        (FcvtWS, 0, B | 0xbf800000, 0, 0, B | 0xffffffff, 0),
        (FcvtWS, 0, B | 0x80000000, 0, 0, 0, 0),
        (FcvtWS, 0, B | 0x3f000000, 0, 0, 0, NX),
        (FcvtWS, 0, B | 0xbf000000, 0, 0, 0, NX),
        (FcvtWS, 0, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtWS, 0, B | 0xbf333333, 0, 0, B | 0xffffffff, NX),
        (FcvtWS, 1, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtWS, 1, B | 0xbf333333, 0, 0, 0, NX),
        (FcvtWS, 2, B | 0xbe99999a, 0, 0, B | 0xffffffff, NX),
        (FcvtWS, 2, B | 0xbf333333, 0, 0, B | 0xffffffff, NX),
        (FcvtWS, 3, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtWS, 3, B | 0xbf333333, 0, 0, 0, NX),
        (FcvtWS, 4, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtWS, 4, B | 0xbf333333, 0, 0, B | 0xffffffff, NX),
        (FcvtWuS, 0, B | 0x7fc00000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0x7f800001, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0xffc00000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0x7f800000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0xff800000, 0, 0, 0, NV),
        (FcvtWuS, 0, B | 0x4f32d05e, 0, 0, B | 0xb2d05e00, 0),
        (FcvtWuS, 0, B | 0xcf32d05e, 0, 0, 0, NV),
        (FcvtWuS, 0, B | 0x4f9502f9, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0x5f0ac723, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0xdf0ac723, 0, 0, 0, NV),
        (FcvtWuS, 0, B | 0x5f8ac723, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0x4f000000, 0, 0, B | 0x80000000, 0),
        (FcvtWuS, 0, B | 0xcf000000, 0, 0, 0, NV),
        (FcvtWuS, 0, B | 0x4f800000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0x5f000000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0xdf000000, 0, 0, 0, NV),
        (FcvtWuS, 0, B | 0x5f800000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuS, 0, B | 0xbf800000, 0, 0, 0, NV),
        (FcvtWuS, 0, B | 0x80000000, 0, 0, 0, 0),
        (FcvtWuS, 0, B | 0x3f000000, 0, 0, 0, NX),
        (FcvtWuS, 0, B | 0xbf000000, 0, 0, 0, NX),
        (FcvtWuS, 0, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtWuS, 0, B | 0xbf333333, 0, 0, 0, NV),
        (FcvtWuS, 1, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtWuS, 1, B | 0xbf333333, 0, 0, 0, NX),
        (FcvtWuS, 2, B | 0xbe99999a, 0, 0, 0, NV),
        (FcvtWuS, 2, B | 0xbf333333, 0, 0, 0, NV),
        (FcvtWuS, 3, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtWuS, 3, B | 0xbf333333, 0, 0, 0, NX),
        (FcvtWuS, 4, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtWuS, 4, B | 0xbf333333, 0, 0, 0, NV),
        (FcvtLS, 0, B | 0x7fc00000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLS, 0, B | 0x7f800001, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLS, 0, B | 0xffc00000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLS, 0, B | 0x7f800000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLS, 0, B | 0xff800000, 0, 0, 0x8000000000000000, NV),
        (FcvtLS, 0, B | 0x4f32d05e, 0, 0, 0xb2d05e00, 0),
        (FcvtLS, 0, B | 0xcf32d05e, 0, 0, B | 0x4d2fa200, 0),
        (FcvtLS, 0, B | 0x4f9502f9, 0, 0, 0x12a05f200, 0),
        (FcvtLS, 0, B | 0x5f0ac723, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLS, 0, B | 0xdf0ac723, 0, 0, 0x8000000000000000, NV),
        (FcvtLS, 0, B | 0x5f8ac723, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLS, 0, B | 0x4f000000, 0, 0, 0x80000000, 0),
        (FcvtLS, 0, B | 0xcf000000, 0, 0, B | 0x80000000, 0),
        (FcvtLS, 0, B | 0x4f800000, 0, 0, 0x100000000, 0),
        (FcvtLS, 0, B | 0x5f000000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLS, 0, B | 0xdf000000, 0, 0, 0x8000000000000000, 0),
        (FcvtLS, 0, B | 0x5f800000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLS, 0, B | 0xbf800000, 0, 0, B | 0xffffffff, 0),
        (FcvtLS, 0, B | 0x80000000, 0, 0, 0, 0),
        (FcvtLS, 0, B | 0x3f000000, 0, 0, 0, NX),
        (FcvtLS, 0, B | 0xbf000000, 0, 0, 0, NX),
        (FcvtLS, 0, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtLS, 0, B | 0xbf333333, 0, 0, B | 0xffffffff, NX),
        (FcvtLS, 1, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtLS, 1, B | 0xbf333333, 0, 0, 0, NX),
        (FcvtLS, 2, B | 0xbe99999a, 0, 0, B | 0xffffffff, NX),
        (FcvtLS, 2, B | 0xbf333333, 0, 0, B | 0xffffffff, NX),
        (FcvtLS, 3, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtLS, 3, B | 0xbf333333, 0, 0, 0, NX),
        (FcvtLS, 4, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtLS, 4, B | 0xbf333333, 0, 0, B | 0xffffffff, NX),
        (FcvtLuS, 0, B | 0x7fc00000, 0, 0, B | 0xffffffff, NV),
        (FcvtLuS, 0, B | 0x7f800001, 0, 0, B | 0xffffffff, NV),
        (FcvtLuS, 0, B | 0xffc00000, 0, 0, B | 0xffffffff, NV),
        (FcvtLuS, 0, B | 0x7f800000, 0, 0, B | 0xffffffff, NV),
        (FcvtLuS, 0, B | 0xff800000, 0, 0, 0, NV),
        (FcvtLuS, 0, B | 0x4f32d05e, 0, 0, 0xb2d05e00, 0),
        (FcvtLuS, 0, B | 0xcf32d05e, 0, 0, 0, NV),
        (FcvtLuS, 0, B | 0x4f9502f9, 0, 0, 0x12a05f200, 0),
        (FcvtLuS, 0, B | 0x5f0ac723, 0, 0, 0x8ac7230000000000, 0),
        (FcvtLuS, 0, B | 0xdf0ac723, 0, 0, 0, NV),
        (FcvtLuS, 0, B | 0x5f8ac723, 0, 0, B | 0xffffffff, NV),
        (FcvtLuS, 0, B | 0x4f000000, 0, 0, 0x80000000, 0),
        (FcvtLuS, 0, B | 0xcf000000, 0, 0, 0, NV),
        (FcvtLuS, 0, B | 0x4f800000, 0, 0, 0x100000000, 0),
        (FcvtLuS, 0, B | 0x5f000000, 0, 0, 0x8000000000000000, 0),
        (FcvtLuS, 0, B | 0xdf000000, 0, 0, 0, NV),
        (FcvtLuS, 0, B | 0x5f800000, 0, 0, B | 0xffffffff, NV),
        (FcvtLuS, 0, B | 0xbf800000, 0, 0, 0, NV),
        (FcvtLuS, 0, B | 0x80000000, 0, 0, 0, 0),
        (FcvtLuS, 0, B | 0x3f000000, 0, 0, 0, NX),
        (FcvtLuS, 0, B | 0xbf000000, 0, 0, 0, NX),
        (FcvtLuS, 0, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtLuS, 0, B | 0xbf333333, 0, 0, 0, NV),
        (FcvtLuS, 1, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtLuS, 1, B | 0xbf333333, 0, 0, 0, NX),
        (FcvtLuS, 2, B | 0xbe99999a, 0, 0, 0, NV),
        (FcvtLuS, 2, B | 0xbf333333, 0, 0, 0, NV),
        (FcvtLuS, 3, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtLuS, 3, B | 0xbf333333, 0, 0, 0, NX),
        (FcvtLuS, 4, B | 0xbe99999a, 0, 0, 0, NX),
        (FcvtLuS, 4, B | 0xbf333333, 0, 0, 0, NV),
        (FcvtWD, 0, 0x7ff8000000000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0x7ff0000000000001, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xfff8000000000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0x7ff0000000000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xfff0000000000000, 0, 0, B | 0x80000000, NV),
        (FcvtWD, 0, 0x41e65a0bc0000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xc1e65a0bc0000000, 0, 0, B | 0x80000000, NV),
        (FcvtWD, 0, 0x41f2a05f20000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0x43e158e460913d00, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xc3e158e460913d00, 0, 0, B | 0x80000000, NV),
        (FcvtWD, 0, 0x43f158e460913d00, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0x41e0000000000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xc1e0000000000000, 0, 0, B | 0x80000000, 0),
        (FcvtWD, 0, 0x41f0000000000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0x43e0000000000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xc3e0000000000000, 0, 0, B | 0x80000000, NV),
        (FcvtWD, 0, 0x43f0000000000000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xbff0000000000000, 0, 0, B | 0xffffffff, 0),
        (FcvtWD, 0, 0x8000000000000000, 0, 0, 0, 0),
        (FcvtWD, 0, 0x3fe0000000000000, 0, 0, 0, NX),
        (FcvtWD, 0, 0xbfe0000000000000, 0, 0, 0, NX),
        (FcvtWD, 0, 0x41efffffffe00000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xc1e0000000200000, 0, 0, B | 0x80000000, NV),
        (FcvtWD, 0, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0x41dfffffffc00000, 0, 0, 0x7fffffff, 0),
        (FcvtWD, 0, 0xc1e0000000100000, 0, 0, B | 0x80000000, NX),
        (FcvtWD, 0, 0x41effffffff00000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtWD, 0, 0xbfe6666666666666, 0, 0, B | 0xffffffff, NX),
        (FcvtWD, 1, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtWD, 1, 0xbfe6666666666666, 0, 0, 0, NX),
        (FcvtWD, 2, 0xbfd3333333333333, 0, 0, B | 0xffffffff, NX),
        (FcvtWD, 2, 0xbfe6666666666666, 0, 0, B | 0xffffffff, NX),
        (FcvtWD, 3, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtWD, 3, 0xbfe6666666666666, 0, 0, 0, NX),
        (FcvtWD, 4, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtWD, 4, 0xbfe6666666666666, 0, 0, B | 0xffffffff, NX),
        (FcvtWD, 0, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 0, 0xc1e0000000100000, 0, 0, B | 0x80000000, NX),
        (FcvtWD, 1, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NX),
        (FcvtWD, 1, 0xc1e0000000100000, 0, 0, B | 0x80000000, NX),
        (FcvtWD, 2, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NX),
        (FcvtWD, 2, 0xc1e0000000100000, 0, 0, B | 0x80000000, NV),
        (FcvtWD, 3, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 3, 0xc1e0000000100000, 0, 0, B | 0x80000000, NX),
        (FcvtWD, 4, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NV),
        (FcvtWD, 4, 0xc1e0000000100000, 0, 0, B | 0x80000000, NV),
        (FcvtWuD, 0, 0x7ff8000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0x7ff0000000000001, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0xfff8000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0x7ff0000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0xfff0000000000000, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x41e65a0bc0000000, 0, 0, B | 0xb2d05e00, 0),
        (FcvtWuD, 0, 0xc1e65a0bc0000000, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x41f2a05f20000000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0x43e158e460913d00, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0xc3e158e460913d00, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x43f158e460913d00, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0x41e0000000000000, 0, 0, B | 0x80000000, 0),
        (FcvtWuD, 0, 0xc1e0000000000000, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x41f0000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0x43e0000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0xc3e0000000000000, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x43f0000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0xbff0000000000000, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x8000000000000000, 0, 0, 0, 0),
        (FcvtWuD, 0, 0x3fe0000000000000, 0, 0, 0, NX),
        (FcvtWuD, 0, 0xbfe0000000000000, 0, 0, 0, NX),
        (FcvtWuD, 0, 0x41efffffffe00000, 0, 0, B | 0xffffffff, 0),
        (FcvtWuD, 0, 0xc1e0000000200000, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x41dfffffffe00000, 0, 0, B | 0x80000000, NX),
        (FcvtWuD, 0, 0x41dfffffffc00000, 0, 0, 0x7fffffff, 0),
        (FcvtWuD, 0, 0xc1e0000000100000, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x41effffffff00000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 0, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtWuD, 0, 0xbfe6666666666666, 0, 0, 0, NV),
        (FcvtWuD, 1, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtWuD, 1, 0xbfe6666666666666, 0, 0, 0, NX),
        (FcvtWuD, 2, 0xbfd3333333333333, 0, 0, 0, NV),
        (FcvtWuD, 2, 0xbfe6666666666666, 0, 0, 0, NV),
        (FcvtWuD, 3, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtWuD, 3, 0xbfe6666666666666, 0, 0, 0, NX),
        (FcvtWuD, 4, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtWuD, 4, 0xbfe6666666666666, 0, 0, 0, NV),
        (FcvtWuD, 0, 0x41effffffff00000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 1, 0x41effffffff00000, 0, 0, B | 0xffffffff, NX),
        (FcvtWuD, 2, 0x41effffffff00000, 0, 0, B | 0xffffffff, NX),
        (FcvtWuD, 3, 0x41effffffff00000, 0, 0, B | 0xffffffff, NV),
        (FcvtWuD, 4, 0x41effffffff00000, 0, 0, B | 0xffffffff, NV),
        (FcvtLD, 0, 0x7ff8000000000000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLD, 0, 0x7ff0000000000001, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLD, 0, 0xfff8000000000000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLD, 0, 0x7ff0000000000000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLD, 0, 0xfff0000000000000, 0, 0, 0x8000000000000000, NV),
        (FcvtLD, 0, 0x41e65a0bc0000000, 0, 0, 0xb2d05e00, 0),
        (FcvtLD, 0, 0xc1e65a0bc0000000, 0, 0, B | 0x4d2fa200, 0),
        (FcvtLD, 0, 0x41f2a05f20000000, 0, 0, 0x12a05f200, 0),
        (FcvtLD, 0, 0x43e158e460913d00, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLD, 0, 0xc3e158e460913d00, 0, 0, 0x8000000000000000, NV),
        (FcvtLD, 0, 0x43f158e460913d00, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLD, 0, 0x41e0000000000000, 0, 0, 0x80000000, 0),
        (FcvtLD, 0, 0xc1e0000000000000, 0, 0, B | 0x80000000, 0),
        (FcvtLD, 0, 0x41f0000000000000, 0, 0, 0x100000000, 0),
        (FcvtLD, 0, 0x43e0000000000000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLD, 0, 0xc3e0000000000000, 0, 0, 0x8000000000000000, 0),
        (FcvtLD, 0, 0x43f0000000000000, 0, 0, 0x7fffffffffffffff, NV),
        (FcvtLD, 0, 0xbff0000000000000, 0, 0, B | 0xffffffff, 0),
        (FcvtLD, 0, 0x8000000000000000, 0, 0, 0, 0),
        (FcvtLD, 0, 0x3fe0000000000000, 0, 0, 0, NX),
        (FcvtLD, 0, 0xbfe0000000000000, 0, 0, 0, NX),
        (FcvtLD, 0, 0x41efffffffe00000, 0, 0, 0xffffffff, 0),
        (FcvtLD, 0, 0xc1e0000000200000, 0, 0, B | 0x7fffffff, 0),
        (FcvtLD, 0, 0x41dfffffffe00000, 0, 0, 0x80000000, NX),
        (FcvtLD, 0, 0x41dfffffffc00000, 0, 0, 0x7fffffff, 0),
        (FcvtLD, 0, 0xc1e0000000100000, 0, 0, B | 0x80000000, NX),
        (FcvtLD, 0, 0x41effffffff00000, 0, 0, 0x100000000, NX),
        (FcvtLD, 0, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtLD, 0, 0xbfe6666666666666, 0, 0, B | 0xffffffff, NX),
        (FcvtLD, 1, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtLD, 1, 0xbfe6666666666666, 0, 0, 0, NX),
        (FcvtLD, 2, 0xbfd3333333333333, 0, 0, B | 0xffffffff, NX),
        (FcvtLD, 2, 0xbfe6666666666666, 0, 0, B | 0xffffffff, NX),
        (FcvtLD, 3, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtLD, 3, 0xbfe6666666666666, 0, 0, 0, NX),
        (FcvtLD, 4, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtLD, 4, 0xbfe6666666666666, 0, 0, B | 0xffffffff, NX),
        (FcvtLuD, 0, 0x7ff8000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtLuD, 0, 0x7ff0000000000001, 0, 0, B | 0xffffffff, NV),
        (FcvtLuD, 0, 0xfff8000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtLuD, 0, 0x7ff0000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtLuD, 0, 0xfff0000000000000, 0, 0, 0, NV),
        (FcvtLuD, 0, 0x41e65a0bc0000000, 0, 0, 0xb2d05e00, 0),
        (FcvtLuD, 0, 0xc1e65a0bc0000000, 0, 0, 0, NV),
        (FcvtLuD, 0, 0x41f2a05f20000000, 0, 0, 0x12a05f200, 0),
        (FcvtLuD, 0, 0x43e158e460913d00, 0, 0, 0x8ac7230489e80000, 0),
        (FcvtLuD, 0, 0xc3e158e460913d00, 0, 0, 0, NV),
        (FcvtLuD, 0, 0x43f158e460913d00, 0, 0, B | 0xffffffff, NV),
        (FcvtLuD, 0, 0x41e0000000000000, 0, 0, 0x80000000, 0),
        (FcvtLuD, 0, 0xc1e0000000000000, 0, 0, 0, NV),
        (FcvtLuD, 0, 0x41f0000000000000, 0, 0, 0x100000000, 0),
        (FcvtLuD, 0, 0x43e0000000000000, 0, 0, 0x8000000000000000, 0),
        (FcvtLuD, 0, 0xc3e0000000000000, 0, 0, 0, NV),
        (FcvtLuD, 0, 0x43f0000000000000, 0, 0, B | 0xffffffff, NV),
        (FcvtLuD, 0, 0xbff0000000000000, 0, 0, 0, NV),
        (FcvtLuD, 0, 0x8000000000000000, 0, 0, 0, 0),
        (FcvtLuD, 0, 0x3fe0000000000000, 0, 0, 0, NX),
        (FcvtLuD, 0, 0xbfe0000000000000, 0, 0, 0, NX),
        (FcvtLuD, 0, 0x41efffffffe00000, 0, 0, 0xffffffff, 0),
        (FcvtLuD, 0, 0xc1e0000000200000, 0, 0, 0, NV),
        (FcvtLuD, 0, 0x41dfffffffe00000, 0, 0, 0x80000000, NX),
        (FcvtLuD, 0, 0x41dfffffffc00000, 0, 0, 0x7fffffff, 0),
        (FcvtLuD, 0, 0xc1e0000000100000, 0, 0, 0, NV),
        (FcvtLuD, 0, 0x41effffffff00000, 0, 0, 0x100000000, NX),
        (FcvtLuD, 0, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtLuD, 0, 0xbfe6666666666666, 0, 0, 0, NV),
        (FcvtLuD, 1, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtLuD, 1, 0xbfe6666666666666, 0, 0, 0, NX),
        (FcvtLuD, 2, 0xbfd3333333333333, 0, 0, 0, NV),
        (FcvtLuD, 2, 0xbfe6666666666666, 0, 0, 0, NV),
        (FcvtLuD, 3, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtLuD, 3, 0xbfe6666666666666, 0, 0, 0, NX),
        (FcvtLuD, 4, 0xbfd3333333333333, 0, 0, 0, NX),
        (FcvtLuD, 4, 0xbfe6666666666666, 0, 0, 0, NV),
    ];

    #[rustfmt::skip]
    const FCVT_FROM_INT: &[Vector] = &[
        (FcvtSW, 0, 0, 0, 0, B, 0),
        (FcvtSW, 0, 0x1, 0, 0, B | 0x3f800000, 0),
        (FcvtSW, 0, B | 0xffffffff, 0, 0, B | 0xbf800000, 0),
        (FcvtSW, 0, 0xffffffff, 0, 0, B | 0xbf800000, 0),
        (FcvtSW, 0, 0x123456787fffffff, 0, 0, B | 0x4f000000, NX),
        (FcvtSW, 0, 0x8000000000000000, 0, 0, B, 0),
        (FcvtSW, 0, 0x7fffffffffffffff, 0, 0, B | 0xbf800000, 0),
        (FcvtSW, 0, B | 0x80000000, 0, 0, B | 0xcf000000, 0),
        (FcvtSWu, 0, 0, 0, 0, B, 0),
        (FcvtSWu, 0, 0x1, 0, 0, B | 0x3f800000, 0),
        (FcvtSWu, 0, B | 0xffffffff, 0, 0, B | 0x4f800000, NX),
        (FcvtSWu, 0, 0xffffffff, 0, 0, B | 0x4f800000, NX),
        (FcvtSWu, 0, 0x123456787fffffff, 0, 0, B | 0x4f000000, NX),
        (FcvtSWu, 0, 0x8000000000000000, 0, 0, B, 0),
        (FcvtSWu, 0, 0x7fffffffffffffff, 0, 0, B | 0x4f800000, NX),
        (FcvtSWu, 0, B | 0x80000000, 0, 0, B | 0x4f000000, 0),
        (FcvtSL, 0, 0, 0, 0, B, 0),
        (FcvtSL, 0, 0x1, 0, 0, B | 0x3f800000, 0),
        (FcvtSL, 0, B | 0xffffffff, 0, 0, B | 0xbf800000, 0),
        (FcvtSL, 0, 0xffffffff, 0, 0, B | 0x4f800000, NX),
        (FcvtSL, 0, 0x123456787fffffff, 0, 0, B | 0x5d91a2b4, NX),
        (FcvtSL, 0, 0x8000000000000000, 0, 0, B | 0xdf000000, 0),
        (FcvtSL, 0, 0x7fffffffffffffff, 0, 0, B | 0x5f000000, NX),
        (FcvtSL, 0, B | 0x80000000, 0, 0, B | 0xcf000000, 0),
        (FcvtSLu, 0, 0, 0, 0, B, 0),
        (FcvtSLu, 0, 0x1, 0, 0, B | 0x3f800000, 0),
        (FcvtSLu, 0, B | 0xffffffff, 0, 0, B | 0x5f800000, NX),
        (FcvtSLu, 0, 0xffffffff, 0, 0, B | 0x4f800000, NX),
        (FcvtSLu, 0, 0x123456787fffffff, 0, 0, B | 0x5d91a2b4, NX),
        (FcvtSLu, 0, 0x8000000000000000, 0, 0, B | 0x5f000000, 0),
        (FcvtSLu, 0, 0x7fffffffffffffff, 0, 0, B | 0x5f000000, NX),
        (FcvtSLu, 0, B | 0x80000000, 0, 0, B | 0x5f800000, NX),
        (FcvtDW, 0, 0, 0, 0, 0, 0),
        (FcvtDW, 0, 0x1, 0, 0, 0x3ff0000000000000, 0),
        (FcvtDW, 0, B | 0xffffffff, 0, 0, 0xbff0000000000000, 0),
        (FcvtDW, 0, 0xffffffff, 0, 0, 0xbff0000000000000, 0),
        (FcvtDW, 0, 0x123456787fffffff, 0, 0, 0x41dfffffffc00000, 0),
        (FcvtDW, 0, 0x8000000000000000, 0, 0, 0, 0),
        (FcvtDW, 0, 0x7fffffffffffffff, 0, 0, 0xbff0000000000000, 0),
        (FcvtDW, 0, B | 0x80000000, 0, 0, 0xc1e0000000000000, 0),
        (FcvtDWu, 0, 0, 0, 0, 0, 0),
        (FcvtDWu, 0, 0x1, 0, 0, 0x3ff0000000000000, 0),
        (FcvtDWu, 0, B | 0xffffffff, 0, 0, 0x41efffffffe00000, 0),
        (FcvtDWu, 0, 0xffffffff, 0, 0, 0x41efffffffe00000, 0),
        (FcvtDWu, 0, 0x123456787fffffff, 0, 0, 0x41dfffffffc00000, 0),
        (FcvtDWu, 0, 0x8000000000000000, 0, 0, 0, 0),
        (FcvtDWu, 0, 0x7fffffffffffffff, 0, 0, 0x41efffffffe00000, 0),
        (FcvtDWu, 0, B | 0x80000000, 0, 0, 0x41e0000000000000, 0),
        (FcvtDL, 0, 0, 0, 0, 0, 0),
        (FcvtDL, 0, 0x1, 0, 0, 0x3ff0000000000000, 0),
        (FcvtDL, 0, B | 0xffffffff, 0, 0, 0xbff0000000000000, 0),
        (FcvtDL, 0, 0xffffffff, 0, 0, 0x41efffffffe00000, 0),
        (FcvtDL, 0, 0x123456787fffffff, 0, 0, 0x43b2345678800000, NX),
        (FcvtDL, 0, 0x8000000000000000, 0, 0, 0xc3e0000000000000, 0),
        (FcvtDL, 0, 0x7fffffffffffffff, 0, 0, 0x43e0000000000000, NX),
        (FcvtDL, 0, B | 0x80000000, 0, 0, 0xc1e0000000000000, 0),
        (FcvtDLu, 0, 0, 0, 0, 0, 0),
        (FcvtDLu, 0, 0x1, 0, 0, 0x3ff0000000000000, 0),
        (FcvtDLu, 0, B | 0xffffffff, 0, 0, 0x43f0000000000000, NX),
        (FcvtDLu, 0, 0xffffffff, 0, 0, 0x41efffffffe00000, 0),
        (FcvtDLu, 0, 0x123456787fffffff, 0, 0, 0x43b2345678800000, NX),
        (FcvtDLu, 0, 0x8000000000000000, 0, 0, 0x43e0000000000000, 0),
        (FcvtDLu, 0, 0x7fffffffffffffff, 0, 0, 0x43e0000000000000, NX),
        (FcvtDLu, 0, B | 0x80000000, 0, 0, 0x43effffffff00000, 0),
    ];

    #[rustfmt::skip]
    const FCLASS: &[Vector] = &[
        (FclassS, 0, B | 0xff800000, 0, 0, 0x1, 0),
        (FclassS, 0, B | 0xbf800000, 0, 0, 0x2, 0),
        (FclassS, 0, B | 0x80000001, 0, 0, 0x4, 0),
        (FclassS, 0, B | 0x80000000, 0, 0, 0x8, 0),
        (FclassS, 0, B, 0, 0, 0x10, 0),
        (FclassS, 0, B | 0x1, 0, 0, 0x20, 0),
        (FclassS, 0, B | 0x3f800000, 0, 0, 0x40, 0),
        (FclassS, 0, B | 0x7f800000, 0, 0, 0x80, 0),
        (FclassS, 0, B | 0x7f800001, 0, 0, 0x100, 0),
        (FclassS, 0, B | 0x7fc00000, 0, 0, 0x200, 0),
        (FclassS, 0, B | 0xffc00000, 0, 0, 0x200, 0),
        (FclassS, 0, B | 0x807fffff, 0, 0, 0x4, 0),
        (FclassS, 0, B | 0x7f7fffff, 0, 0, 0x40, 0),
        (FclassD, 0, 0xfff0000000000000, 0, 0, 0x1, 0),
        (FclassD, 0, 0xbff0000000000000, 0, 0, 0x2, 0),
        (FclassD, 0, 0x8000000000000001, 0, 0, 0x4, 0),
        (FclassD, 0, 0x8000000000000000, 0, 0, 0x8, 0),
        (FclassD, 0, 0, 0, 0, 0x10, 0),
        (FclassD, 0, 0x1, 0, 0, 0x20, 0),
        (FclassD, 0, 0x3ff0000000000000, 0, 0, 0x40, 0),
        (FclassD, 0, 0x7ff0000000000000, 0, 0, 0x80, 0),
        (FclassD, 0, 0x7ff0000000000001, 0, 0, 0x100, 0),
        (FclassD, 0, 0x7ff8000000000000, 0, 0, 0x200, 0),
        (FclassD, 0, 0xfff8000000000000, 0, 0, 0x200, 0),
        (FclassD, 0, 0x7fefffffffffffff, 0, 0, 0x40, 0),
    ];

    #[rustfmt::skip]
    const FUSED_MULTIPLY_ADD: &[Vector] = &[
        (FmaddS, 0, B | 0x40000000, B | 0x40400000, B | 0x3f800000, B | 0x40e00000, 0),
        (FmaddS, 0, B, B | 0x40a00000, B, B, 0),
        (FmaddS, 0, B, B | 0x40a00000, B | 0x80000000, B, 0),
        (FmaddS, 2, B | 0x3f800000, B | 0x3f800000, B | 0xbf800000, B | 0x80000000, 0),
        (FmaddS, 0, B | 0x3f800000, B | 0x3f800000, B | 0xbf800000, B, 0),
        (FmaddS, 2, B | 0x3f800000, B | 0x3f800000, B | 0x3f800000, B | 0x40000000, 0),
        (FmaddS, 0, B | 0x7f800000, B, B | 0x7fc00000, B | 0x7fc00000, NV),
        (FmaddS, 0, B | 0x7f800000, B | 0x3f800000, B | 0xff800000, B | 0x7fc00000, NV),
        (FmaddS, 0, B | 0x7f800000, B | 0x3f800000, B | 0x7f800000, B | 0x7f800000, 0),
        (FmsubS, 0, B | 0x40000000, B | 0x40400000, B | 0x3f800000, B | 0x40a00000, 0),
        (FmsubS, 0, B, B | 0x40a00000, B, B, 0),
        (FmsubS, 0, B, B | 0x40a00000, B | 0x80000000, B, 0),
        (FmsubS, 2, B | 0x3f800000, B | 0x3f800000, B | 0xbf800000, B | 0x40000000, 0),
        (FmsubS, 0, B | 0x3f800000, B | 0x3f800000, B | 0xbf800000, B | 0x40000000, 0),
        (FmsubS, 2, B | 0x3f800000, B | 0x3f800000, B | 0x3f800000, B | 0x80000000, 0),
        (FmsubS, 0, B | 0x7f800000, B, B | 0x7fc00000, B | 0x7fc00000, NV),
        (FmsubS, 0, B | 0x7f800000, B | 0x3f800000, B | 0xff800000, B | 0x7f800000, 0),
        (FmsubS, 0, B | 0x7f800000, B | 0x3f800000, B | 0x7f800000, B | 0x7fc00000, NV),
        (FnmsubS, 0, B | 0x40000000, B | 0x40400000, B | 0x3f800000, B | 0xc0a00000, 0),
        (FnmsubS, 0, B, B | 0x40a00000, B, B, 0),
        (FnmsubS, 0, B, B | 0x40a00000, B | 0x80000000, B | 0x80000000, 0),
        (FnmsubS, 2, B | 0x3f800000, B | 0x3f800000, B | 0xbf800000, B | 0xc0000000, 0),
        (FnmsubS, 0, B | 0x3f800000, B | 0x3f800000, B | 0xbf800000, B | 0xc0000000, 0),
        (FnmsubS, 2, B | 0x3f800000, B | 0x3f800000, B | 0x3f800000, B | 0x80000000, 0),
        (FnmsubS, 0, B | 0x7f800000, B, B | 0x7fc00000, B | 0x7fc00000, NV),
        (FnmsubS, 0, B | 0x7f800000, B | 0x3f800000, B | 0xff800000, B | 0xff800000, 0),
        (FnmsubS, 0, B | 0x7f800000, B | 0x3f800000, B | 0x7f800000, B | 0x7fc00000, NV),
        (FnmaddS, 0, B | 0x40000000, B | 0x40400000, B | 0x3f800000, B | 0xc0e00000, 0),
        (FnmaddS, 0, B, B | 0x40a00000, B, B | 0x80000000, 0),
        (FnmaddS, 0, B, B | 0x40a00000, B | 0x80000000, B, 0),
        (FnmaddS, 2, B | 0x3f800000, B | 0x3f800000, B | 0xbf800000, B | 0x80000000, 0),
        (FnmaddS, 0, B | 0x3f800000, B | 0x3f800000, B | 0xbf800000, B, 0),
        (FnmaddS, 2, B | 0x3f800000, B | 0x3f800000, B | 0x3f800000, B | 0xc0000000, 0),
        (FnmaddS, 0, B | 0x7f800000, B, B | 0x7fc00000, B | 0x7fc00000, NV),
        (FnmaddS, 0, B | 0x7f800000, B | 0x3f800000, B | 0xff800000, B | 0x7fc00000, NV),
        (FnmaddS, 0, B | 0x7f800000, B | 0x3f800000, B | 0x7f800000, B | 0xff800000, 0),
        (FmaddS, 0, B | 0x3f800800, B | 0x3f800800, B | 0xbf800000, B | 0x3a000400, 0),
        (FmsubS, 0, B | 0x3f800800, B | 0x3f800800, B | 0x3f800000, B | 0x3a000400, 0),
        (FmaddD, 0, 0x4000000000000000, 0x4008000000000000, 0x3ff0000000000000, 0x401c000000000000, 0),
        (FmaddD, 0, 0, 0x4014000000000000, 0, 0, 0),
        (FmaddD, 0, 0, 0x4014000000000000, 0x8000000000000000, 0, 0),
        (FmaddD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x8000000000000000, 0),
        (FmaddD, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0, 0),
        (FmaddD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000, 0x4000000000000000, 0),
        (FmaddD, 0, 0x7ff0000000000000, 0, 0x7ff8000000000000, 0x7ff8000000000000, NV),
        (FmaddD, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, NV),
        (FmaddD, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0x7ff0000000000000, 0x7ff0000000000000, 0),
        (FmsubD, 0, 0x4000000000000000, 0x4008000000000000, 0x3ff0000000000000, 0x4014000000000000, 0),
        (FmsubD, 0, 0, 0x4014000000000000, 0, 0, 0),
        (FmsubD, 0, 0, 0x4014000000000000, 0x8000000000000000, 0, 0),
        (FmsubD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x4000000000000000, 0),
        (FmsubD, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x4000000000000000, 0),
        (FmsubD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000, 0x8000000000000000, 0),
        (FmsubD, 0, 0x7ff0000000000000, 0, 0x7ff8000000000000, 0x7ff8000000000000, NV),
        (FmsubD, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0xfff0000000000000, 0x7ff0000000000000, 0),
        (FmsubD, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0x7ff0000000000000, 0x7ff8000000000000, NV),
        (FnmsubD, 0, 0x4000000000000000, 0x4008000000000000, 0x3ff0000000000000, 0xc014000000000000, 0),
        (FnmsubD, 0, 0, 0x4014000000000000, 0, 0, 0),
        (FnmsubD, 0, 0, 0x4014000000000000, 0x8000000000000000, 0x8000000000000000, 0),
        (FnmsubD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0xc000000000000000, 0),
        (FnmsubD, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0xc000000000000000, 0),
        (FnmsubD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000, 0x8000000000000000, 0),
        (FnmsubD, 0, 0x7ff0000000000000, 0, 0x7ff8000000000000, 0x7ff8000000000000, NV),
        (FnmsubD, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0xfff0000000000000, 0xfff0000000000000, 0),
        (FnmsubD, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0x7ff0000000000000, 0x7ff8000000000000, NV),
        (FnmaddD, 0, 0x4000000000000000, 0x4008000000000000, 0x3ff0000000000000, 0xc01c000000000000, 0),
        (FnmaddD, 0, 0, 0x4014000000000000, 0, 0x8000000000000000, 0),
        (FnmaddD, 0, 0, 0x4014000000000000, 0x8000000000000000, 0, 0),
        (FnmaddD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x8000000000000000, 0),
        (FnmaddD, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0, 0),
        (FnmaddD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000, 0xc000000000000000, 0),
        (FnmaddD, 0, 0x7ff0000000000000, 0, 0x7ff8000000000000, 0x7ff8000000000000, NV),
        (FnmaddD, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, NV),
        (FnmaddD, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0),
        (FmaddD, 0, 0x3ff0000002000000, 0x3ff0000002000000, 0xbff0000000000000, 0x3e50000001000000, 0),
        (FnmaddD, 0, 0x3ff0000002000000, 0x3ff0000002000000, 0xbff0000000000000, 0xbe50000001000000, 0),
    ];

    #[rustfmt::skip]
    const SIGN_INJECTION_AND_MOVES: &[Vector] = &[
        (FsgnjS, 0, B | 0x3f800000, B | 0xc0000000, 0, B | 0xbf800000, 0),
        (FsgnjS, 0, B | 0xbf800000, B | 0xc0000000, 0, B | 0xbf800000, 0),
        (FsgnjS, 0, B | 0xbf800000, B | 0x40000000, 0, B | 0x3f800000, 0),
        (FsgnjS, 0, B | 0x7fc12345, B | 0xbf800000, 0, B | 0xffc12345, 0),
        (FsgnjS, 0, B | 0x3f800000, B | 0x40000000, 0, B | 0x3f800000, 0),
        (FsgnjnS, 0, B | 0x3f800000, B | 0xc0000000, 0, B | 0x3f800000, 0),
        (FsgnjnS, 0, B | 0xbf800000, B | 0xc0000000, 0, B | 0x3f800000, 0),
        (FsgnjnS, 0, B | 0xbf800000, B | 0x40000000, 0, B | 0xbf800000, 0),
        (FsgnjnS, 0, B | 0x7fc12345, B | 0xbf800000, 0, B | 0x7fc12345, 0),
        (FsgnjnS, 0, B | 0x3f800000, B | 0x40000000, 0, B | 0xbf800000, 0),
        (FsgnjxS, 0, B | 0x3f800000, B | 0xc0000000, 0, B | 0xbf800000, 0),
        (FsgnjxS, 0, B | 0xbf800000, B | 0xc0000000, 0, B | 0x3f800000, 0),
        (FsgnjxS, 0, B | 0xbf800000, B | 0x40000000, 0, B | 0xbf800000, 0),
        (FsgnjxS, 0, B | 0x7fc12345, B | 0xbf800000, 0, B | 0xffc12345, 0),
        (FsgnjxS, 0, B | 0x3f800000, B | 0x40000000, 0, B | 0x3f800000, 0),
        (FsgnjD, 0, 0x3ff0000000000000, 0xc000000000000000, 0, 0xbff0000000000000, 0),
        (FsgnjD, 0, 0xbff0000000000000, 0xc000000000000000, 0, 0xbff0000000000000, 0),
        (FsgnjD, 0, 0xbff0000000000000, 0x4000000000000000, 0, 0x3ff0000000000000, 0),
        (FsgnjD, 0, 0x7ff8000000012345, 0xbff0000000000000, 0, 0xfff8000000012345, 0),
        (FsgnjD, 0, 0x3ff0000000000000, 0x4000000000000000, 0, 0x3ff0000000000000, 0),
        (FsgnjnD, 0, 0x3ff0000000000000, 0xc000000000000000, 0, 0x3ff0000000000000, 0),
        (FsgnjnD, 0, 0xbff0000000000000, 0xc000000000000000, 0, 0x3ff0000000000000, 0),
        (FsgnjnD, 0, 0xbff0000000000000, 0x4000000000000000, 0, 0xbff0000000000000, 0),
        (FsgnjnD, 0, 0x7ff8000000012345, 0xbff0000000000000, 0, 0x7ff8000000012345, 0),
        (FsgnjnD, 0, 0x3ff0000000000000, 0x4000000000000000, 0, 0xbff0000000000000, 0),
        (FsgnjxD, 0, 0x3ff0000000000000, 0xc000000000000000, 0, 0xbff0000000000000, 0),
        (FsgnjxD, 0, 0xbff0000000000000, 0xc000000000000000, 0, 0x3ff0000000000000, 0),
        (FsgnjxD, 0, 0xbff0000000000000, 0x4000000000000000, 0, 0xbff0000000000000, 0),
        (FsgnjxD, 0, 0x7ff8000000012345, 0xbff0000000000000, 0, 0xfff8000000012345, 0),
        (FsgnjxD, 0, 0x3ff0000000000000, 0x4000000000000000, 0, 0x3ff0000000000000, 0),
    ];

    #[rustfmt::skip]
    const SQRT_AND_BASIC_ARITHMETIC: &[Vector] = &[
        (FsqrtS, 0, B | 0x40800000, 0, 0, B | 0x40000000, 0),
        (FsqrtD, 0, 0x4022000000000000, 0, 0, 0x4008000000000000, 0),
        (FsqrtS, 0, B | 0x7f800000, 0, 0, B | 0x7f800000, 0),
        (FsqrtD, 0, 0x8000000000000000, 0, 0, 0x8000000000000000, 0),
        (FaddS, 0, B | 0x3fc00000, B | 0x40100000, 0, B | 0x40700000, 0),
        (FaddD, 0, 0x3ff8000000000000, 0x4002000000000000, 0, 0x400e000000000000, 0),
        (FsubS, 0, B | 0x3f800000, B | 0x3f800000, 0, B, 0),
        (FsubS, 2, B | 0x3f800000, B | 0x3f800000, 0, B | 0x80000000, 0),
        (FsubD, 2, 0x3ff0000000000000, 0x3ff0000000000000, 0, 0x8000000000000000, 0),
        (FmulS, 0, B | 0xbfc00000, B | 0x40800000, 0, B | 0xc0c00000, 0),
        (FmulD, 0, 0xbff8000000000000, 0x4010000000000000, 0, 0xc018000000000000, 0),
        (FdivS, 0, B | 0x40e00000, B | 0x40000000, 0, B | 0x40600000, 0),
        (FdivD, 0, 0x401c000000000000, 0xc000000000000000, 0, 0xc00c000000000000, 0),
        (FcvtDS, 0, B | 0x3eaaaaab, 0, 0, 0x3fd5555560000000, 0),
        (FcvtDS, 0, B | 0x1, 0, 0, 0x36a0000000000000, 0),
        (FcvtSD, 0, 0x7e37e43c8800759c, 0, 0, B | 0x7f800000, OF | NX),
        (FcvtSD, 0, 0x1a56e1fc2f8f359, 0, 0, B, UF | NX),
        (FcvtSD, 0, 0xfff0000000000000, 0, 0, B | 0xff800000, 0),
    ];

    const ALL: &[&[Vector]] = &[
        ROUNDING_MODES,
        EXCEPTION_FLAGS,
        CANONICAL_NAN,
        NAN_BOXING,
        FMIN_FMAX,
        COMPARE,
        FCVT_TO_INT_SATURATION,
        FCVT_FROM_INT,
        FCLASS,
        FUSED_MULTIPLY_ADD,
        SIGN_INJECTION_AND_MOVES,
        SQRT_AND_BASIC_ARITHMETIC,
    ];
}
