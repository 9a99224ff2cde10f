//! The helpers' shims: what compiled code calls instead of the System V helpers
//! ([`super::access`], [`super::interpret`], [`super::fp`]).
//!
//! A helper is called on slow paths only, but a System V call clobbers nine general
//! registers, so every value a block keeps in a register across one would need a
//! callee-saved register or a stack slot on the fast path too. Compiled code calls a shim
//! with Cranelift's `preserve_all` convention instead: the shim saves what the helper may
//! clobber, calls it and leaves its result in the hart's `jit_status`, so that calls cost
//! nothing to the code around them.
//!
//! Written by hand, not compiled by Cranelift as a `preserve_all` function: that one also
//! saves and restores the sixteen XMM registers, 32 of its 45 moves, on every load or store
//! that misses the TLB and every F/D operation. Blocks hold no values in XMM registers: they
//! compute with integers only, which `translate::block` checks before it compiles one.

use super::translate::Shims;

/// The shims of this host, or `None` where there are none (hosts other than x86-64).
pub(super) fn shims() -> Option<Shims> {
    #[cfg(target_arch = "x86_64")]
    {
        Some(Shims {
            access: x86_64::access as *const () as usize,
            interpret: x86_64::interpret as *const () as usize,
            fp: x86_64::fp as *const () as usize,
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    /// Defines `$name`, the shim of the System V helper `$helper` that `$call` calls: saves
    /// the nine general registers System V lets a callee clobber, calls the helper with the
    /// arguments as they came (the hart first, in `rdi`), stores its result in the hart's
    /// `jit_status` and restores the registers.
    macro_rules! shim {
        ($name:ident, $helper:literal, $call:literal, $($operands:tt)*) => {
            #[doc = concat!("The shim of ", $helper, ".")]
            #[unsafe(naked)]
            pub(super) unsafe extern "C" fn $name() {
                std::arch::naked_asm!(
                    "push rbp",
                    "mov rbp, rsp",
                    "push rax",
                    "push rcx",
                    "push rdx",
                    "push rsi",
                    "push rdi",
                    "push r8",
                    "push r9",
                    "push r10",
                    "push r11",
                    // The caller's stack was 16-byte aligned at the call; the return
                    // address, rbp and nine registers leave it 8 bytes off.
                    "sub rsp, 8",
                    $call,
                    // The hart, as `push rdi` saved it.
                    "mov rdi, [rbp - 40]",
                    "mov [rdi + {status}], rax",
                    "add rsp, 8",
                    "pop r11",
                    "pop r10",
                    "pop r9",
                    "pop r8",
                    "pop rdi",
                    "pop rsi",
                    "pop rdx",
                    "pop rcx",
                    "pop rax",
                    "pop rbp",
                    "ret",
                    $($operands)*
                    status = const std::mem::offset_of!(crate::Hart, jit_status),
                )
            }
        };
    }

    // `access` is generic over the bus: the one of the run is in the hart.
    shim!(
        access,
        "`access` for the run's bus (the hart's `jit_access`)",
        "call qword ptr [rdi + {helper}]",
        helper = const std::mem::offset_of!(crate::Hart, jit_access),
    );
    shim!(
        interpret,
        "`interpret`",
        "call {helper}",
        helper = sym super::super::interpret,
    );
    shim!(fp, "`fp`", "call {helper}", helper = sym super::super::fp,);
}
