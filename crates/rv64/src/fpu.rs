//! IEEE-754 arithmetic for the F and D extensions, bit-exact with RISC-V.

use crate::insn::Op;

/// Computes an F/D computational op ([`Op::is_fp_compute`]) on raw register values.
///
/// `rm` is the resolved rounding mode (0..=4). Sources are raw 64-bit register contents
/// (FP registers as stored, NaN-boxing unchecked; integer registers for
/// [`Op::fp_reads_int`] ops). Returns the raw value to write to the destination (single
/// results NaN-boxed, integer results sign-extended as the spec says) and the accrued
/// exception flags (NV=16, DZ=8, OF=4, UF=2, NX=1).
pub fn compute(_op: Op, _rm: u8, _a: u64, _b: u64, _c: u64) -> (u64, u8) {
    (0, 0)
}
