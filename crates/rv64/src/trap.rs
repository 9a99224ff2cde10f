//! Exceptions and interrupts: cause numbers, trap entry, delegation and interrupt priority.

use crate::csr::*;
use crate::hart::{Hart, PRIV_M, PRIV_S};

/// The interrupt bit of `mcause`/`scause`.
pub const INTERRUPT: u64 = 1 << 63;

/// Instruction address misaligned (never raised: with C, every target is 2-byte aligned).
pub const CAUSE_FETCH_MISALIGNED: u64 = 0;
/// Instruction access fault.
pub const CAUSE_FETCH_ACCESS: u64 = 1;
/// Illegal instruction.
pub const CAUSE_ILLEGAL: u64 = 2;
/// Breakpoint (`ebreak`).
pub const CAUSE_BREAKPOINT: u64 = 3;
/// Load address misaligned.
pub const CAUSE_LOAD_MISALIGNED: u64 = 4;
/// Load access fault.
pub const CAUSE_LOAD_ACCESS: u64 = 5;
/// Store/AMO address misaligned.
pub const CAUSE_STORE_MISALIGNED: u64 = 6;
/// Store/AMO access fault.
pub const CAUSE_STORE_ACCESS: u64 = 7;
/// Environment call from U-mode (S-mode is +1, M-mode +3).
pub const CAUSE_ECALL_U: u64 = 8;
/// Instruction page fault.
pub const CAUSE_FETCH_PAGE: u64 = 12;
/// Load page fault.
pub const CAUSE_LOAD_PAGE: u64 = 13;
/// Store/AMO page fault.
pub const CAUSE_STORE_PAGE: u64 = 15;

/// Supervisor software interrupt number.
pub const IRQ_SSI: u64 = 1;
/// Machine software interrupt number.
pub const IRQ_MSI: u64 = 3;
/// Supervisor timer interrupt number.
pub const IRQ_STI: u64 = 5;
/// Machine timer interrupt number.
pub const IRQ_MTI: u64 = 7;
/// Supervisor external interrupt number.
pub const IRQ_SEI: u64 = 9;
/// Machine external interrupt number.
pub const IRQ_MEI: u64 = 11;

/// Interrupts in decreasing priority order (priv spec: MEI, MSI, MTI, SEI, SSI, STI).
const PRIORITY: [u64; 6] = [IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI];

/// A synchronous exception: its cause and the value for `xtval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trap {
    /// Exception code (no interrupt bit).
    pub cause: u64,
    /// Trap value (faulting address, instruction bits, or 0).
    pub tval: u64,
}

impl Trap {
    /// An exception with `cause` and `tval`.
    pub const fn new(cause: u64, tval: u64) -> Trap {
        Trap { cause, tval }
    }
}

impl Hart {
    /// The highest-priority interrupt that is pending and enabled at the current privilege,
    /// as an interrupt number.
    pub(crate) fn pending_interrupt(&self) -> Option<u64> {
        let pending = self.mip() & self.csr.mie;
        if pending == 0 {
            return None;
        }
        let mstatus = self.csr.mstatus;
        let m_enabled = self.privilege < PRIV_M || mstatus & MSTATUS_MIE != 0;
        let s_enabled =
            self.privilege < PRIV_S || (self.privilege == PRIV_S && mstatus & MSTATUS_SIE != 0);
        let mut enabled = 0;
        if m_enabled {
            enabled |= pending & !self.csr.mideleg;
        }
        if s_enabled {
            enabled |= pending & self.csr.mideleg;
        }
        PRIORITY.into_iter().find(|&irq| enabled & (1 << irq) != 0)
    }

    /// Enters the trap handler for `cause` (with [`INTERRUPT`] for interrupts) taken at `epc`,
    /// delegating to S-mode when the trap comes from S or U and is delegated. Counts one
    /// position.
    pub(crate) fn take_trap(&mut self, cause: u64, tval: u64, epc: u64) {
        let interrupt = cause & INTERRUPT != 0;
        let code = cause & !INTERRUPT;
        let deleg = if interrupt {
            self.csr.mideleg
        } else {
            self.csr.medeleg
        };
        let bit = if code < 64 { 1u64 << code } else { 0 };
        let mut mstatus = self.csr.mstatus;
        if self.privilege <= PRIV_S && deleg & bit != 0 {
            self.csr.scause = cause;
            self.csr.sepc = epc;
            self.csr.stval = tval;
            let sie = mstatus & MSTATUS_SIE != 0;
            mstatus &= !(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);
            if sie {
                mstatus |= MSTATUS_SPIE;
            }
            if self.privilege == PRIV_S {
                mstatus |= MSTATUS_SPP;
            }
            self.privilege = PRIV_S;
            self.pc = vector(self.csr.stvec, cause);
        } else {
            self.csr.mcause = cause;
            self.csr.mepc = epc;
            self.csr.mtval = tval;
            let mie = mstatus & MSTATUS_MIE != 0;
            mstatus &= !(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);
            if mie {
                mstatus |= MSTATUS_MPIE;
            }
            mstatus |= u64::from(self.privilege) << MSTATUS_MPP_SHIFT;
            self.privilege = PRIV_M;
            self.pc = vector(self.csr.mtvec, cause);
        }
        self.csr.mstatus = mstatus;
        self.position += 1;
        self.traps += 1;
    }

    /// `mret`: returns to the privilege in MPP (priv spec 1.12: clearing MPRV when that is
    /// below M).
    pub(crate) fn do_mret(&mut self) {
        let mut mstatus = self.csr.mstatus;
        let mpp = ((mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) as u8;
        mstatus &= !(MSTATUS_MIE | MSTATUS_MPP);
        if mstatus & MSTATUS_MPIE != 0 {
            mstatus |= MSTATUS_MIE;
        }
        mstatus |= MSTATUS_MPIE;
        if mpp < PRIV_M {
            mstatus &= !MSTATUS_MPRV;
        }
        self.csr.mstatus = mstatus;
        self.privilege = mpp;
        self.pc = self.csr.mepc;
    }

    /// `sret`: returns to the privilege in SPP, clearing MPRV.
    pub(crate) fn do_sret(&mut self) {
        let mut mstatus = self.csr.mstatus;
        let spp = if mstatus & MSTATUS_SPP != 0 {
            PRIV_S
        } else {
            0
        };
        mstatus &= !(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
        if mstatus & MSTATUS_SPIE != 0 {
            mstatus |= MSTATUS_SIE;
        }
        mstatus |= MSTATUS_SPIE;
        self.csr.mstatus = mstatus;
        self.privilege = spp;
        self.pc = self.csr.sepc;
    }
}

/// The handler address for `cause` given a `xtvec` value: vectored mode applies to
/// interrupts only.
fn vector(tvec: u64, cause: u64) -> u64 {
    let base = tvec & !3;
    if tvec & 3 == 1 && cause & INTERRUPT != 0 {
        base.wrapping_add(4 * (cause & !INTERRUPT))
    } else {
        base
    }
}
