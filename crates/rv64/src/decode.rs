//! Instruction decoding: raw bits to [`Insn`].

use crate::insn::Insn;

/// Decodes one instruction. If the low two bits of `raw` are not `0b11`, only the low 16 bits
/// are used and the result is a compressed instruction (`len == 2`).
pub fn decode(raw: u32) -> Insn {
    let len = if raw & 3 == 3 { 4 } else { 2 };
    Insn::illegal(if len == 2 { raw & 0xffff } else { raw }, len)
}
