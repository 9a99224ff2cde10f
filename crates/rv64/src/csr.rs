//! Control and status registers: numbers, WARL masks, access rules and the CSR file.
//!
//! Access rules (Zicsr and priv spec): an unimplemented CSR, a write to a read-only CSR
//! (number bits 11:10 == 0b11) and an access below the CSR's privilege (bits 9:8) are
//! illegal; so are the counters when `mcounteren`/`scounteren` deny them, `satp` in S-mode
//! with `mstatus.TVM`, and the FP CSRs while `mstatus.FS` is Off.

use crate::hart::{Hart, PRIV_M, PRIV_S};
use crate::trap::{IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI};

/// Accrued FP exception flags.
pub const FFLAGS: u16 = 0x001;
/// FP dynamic rounding mode.
pub const FRM: u16 = 0x002;
/// FP control and status (frm and fflags).
pub const FCSR: u16 = 0x003;
/// Cycle counter (user view).
pub const CYCLE: u16 = 0xc00;
/// Timer (user view of the CLINT's mtime).
pub const TIME: u16 = 0xc01;
/// Instructions-retired counter (user view).
pub const INSTRET: u16 = 0xc02;
/// Supervisor status (a view of mstatus).
pub const SSTATUS: u16 = 0x100;
/// Supervisor interrupt enable (a view of mie).
pub const SIE: u16 = 0x104;
/// Supervisor trap vector.
pub const STVEC: u16 = 0x105;
/// Supervisor counter enable.
pub const SCOUNTEREN: u16 = 0x106;
/// Supervisor environment configuration.
pub const SENVCFG: u16 = 0x10a;
/// Supervisor scratch.
pub const SSCRATCH: u16 = 0x140;
/// Supervisor exception pc.
pub const SEPC: u16 = 0x141;
/// Supervisor trap cause.
pub const SCAUSE: u16 = 0x142;
/// Supervisor trap value.
pub const STVAL: u16 = 0x143;
/// Supervisor interrupt pending (a view of mip).
pub const SIP: u16 = 0x144;
/// Supervisor address translation and protection.
pub const SATP: u16 = 0x180;
/// Machine status.
pub const MSTATUS: u16 = 0x300;
/// ISA and extensions.
pub const MISA: u16 = 0x301;
/// Machine exception delegation.
pub const MEDELEG: u16 = 0x302;
/// Machine interrupt delegation.
pub const MIDELEG: u16 = 0x303;
/// Machine interrupt enable.
pub const MIE: u16 = 0x304;
/// Machine trap vector.
pub const MTVEC: u16 = 0x305;
/// Machine counter enable.
pub const MCOUNTEREN: u16 = 0x306;
/// Machine environment configuration.
pub const MENVCFG: u16 = 0x30a;
/// Machine counter inhibit (reads zero, writes ignored).
pub const MCOUNTINHIBIT: u16 = 0x320;
/// Machine scratch.
pub const MSCRATCH: u16 = 0x340;
/// Machine exception pc.
pub const MEPC: u16 = 0x341;
/// Machine trap cause.
pub const MCAUSE: u16 = 0x342;
/// Machine trap value.
pub const MTVAL: u16 = 0x343;
/// Machine interrupt pending.
pub const MIP: u16 = 0x344;
/// First PMP configuration register (pmpcfg0; odd numbers do not exist on RV64).
pub const PMPCFG0: u16 = 0x3a0;
/// First PMP address register (pmpaddr0..63 follow).
pub const PMPADDR0: u16 = 0x3b0;
/// Machine cycle counter.
pub const MCYCLE: u16 = 0xb00;
/// Machine instructions-retired counter.
pub const MINSTRET: u16 = 0xb02;
/// Vendor id (0).
pub const MVENDORID: u16 = 0xf11;
/// Architecture id (0).
pub const MARCHID: u16 = 0xf12;
/// Implementation id (0).
pub const MIMPID: u16 = 0xf13;
/// Hart id (0).
pub const MHARTID: u16 = 0xf14;
/// Configuration structure pointer (0).
pub const MCONFIGPTR: u16 = 0xf15;

/// mstatus.SIE
pub const MSTATUS_SIE: u64 = 1 << 1;
/// mstatus.MIE
pub const MSTATUS_MIE: u64 = 1 << 3;
/// mstatus.SPIE
pub const MSTATUS_SPIE: u64 = 1 << 5;
/// mstatus.MPIE
pub const MSTATUS_MPIE: u64 = 1 << 7;
/// mstatus.SPP
pub const MSTATUS_SPP: u64 = 1 << 8;
/// Shift of mstatus.MPP.
pub const MSTATUS_MPP_SHIFT: u32 = 11;
/// mstatus.MPP
pub const MSTATUS_MPP: u64 = 3 << MSTATUS_MPP_SHIFT;
/// mstatus.FS
pub const MSTATUS_FS: u64 = 3 << 13;
/// mstatus.MPRV
pub const MSTATUS_MPRV: u64 = 1 << 17;
/// mstatus.SUM
pub const MSTATUS_SUM: u64 = 1 << 18;
/// mstatus.MXR
pub const MSTATUS_MXR: u64 = 1 << 19;
/// mstatus.TVM
pub const MSTATUS_TVM: u64 = 1 << 20;
/// mstatus.TW
pub const MSTATUS_TW: u64 = 1 << 21;
/// mstatus.TSR
pub const MSTATUS_TSR: u64 = 1 << 22;
/// mstatus.UXL and SXL, both fixed at 2 (64-bit).
const MSTATUS_XL: u64 = (2 << 32) | (2 << 34);
/// mstatus.SD
const MSTATUS_SD: u64 = 1 << 63;

/// mstatus bits writable from M-mode.
const MSTATUS_WRITABLE: u64 = MSTATUS_SIE
    | MSTATUS_MIE
    | MSTATUS_SPIE
    | MSTATUS_MPIE
    | MSTATUS_SPP
    | MSTATUS_MPP
    | MSTATUS_FS
    | MSTATUS_MPRV
    | MSTATUS_SUM
    | MSTATUS_MXR
    | MSTATUS_TVM
    | MSTATUS_TW
    | MSTATUS_TSR;
/// sstatus bits visible to S-mode (SIE SPIE UBE SPP VS FS XS SUM MXR UXL SD).
const SSTATUS_READABLE: u64 = MSTATUS_SIE
    | MSTATUS_SPIE
    | (1 << 6)
    | MSTATUS_SPP
    | (3 << 9)
    | MSTATUS_FS
    | (3 << 15)
    | MSTATUS_SUM
    | MSTATUS_MXR
    | (3 << 32)
    | MSTATUS_SD;
/// sstatus bits writable from S-mode.
const SSTATUS_WRITABLE: u64 =
    MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;

/// misa: RV64 with A, C, D, F, I, M, S, U.
const MISA_VALUE: u64 = (2 << 62)
    | (1 << 0)
    | (1 << 2)
    | (1 << 3)
    | (1 << 5)
    | (1 << 8)
    | (1 << 12)
    | (1 << 18)
    | (1 << 20);

/// Exceptions that may be delegated (all but ecall-from-M and the reserved codes 10, 14).
const MEDELEG_WRITABLE: u64 = 0xb3ff;
/// Supervisor-level interrupts: the only delegable ones.
pub const S_INTERRUPTS: u64 = (1 << IRQ_SSI) | (1 << IRQ_STI) | (1 << IRQ_SEI);
/// Interrupt enable bits that exist.
const MIE_WRITABLE: u64 = S_INTERRUPTS | (1 << IRQ_MSI) | (1 << IRQ_MTI) | (1 << IRQ_MEI);
/// Interrupt lines the board drives.
pub const LINES: u64 = (1 << IRQ_MSI) | (1 << IRQ_MTI) | (1 << IRQ_SEI) | (1 << IRQ_MEI);
/// satp.PPN
pub const SATP_PPN: u64 = (1 << 44) - 1;
/// Bare translation mode.
pub const SATP_MODE_BARE: u64 = 0;
/// Sv39 translation mode.
pub const SATP_MODE_SV39: u64 = 8;
/// Sv48 translation mode.
pub const SATP_MODE_SV48: u64 = 9;
/// pmpaddr holds physical address bits 55:2.
const PMPADDR_MASK: u64 = (1 << 54) - 1;
/// pmpcfg bytes without their reserved bits 6:5.
const PMPCFG_MASK: u64 = 0x9f9f_9f9f_9f9f_9f9f;

/// The hart's CSR state (views such as sstatus, sie, sip and the counters are computed).
#[derive(Clone, Debug)]
pub struct CsrFile {
    /// mstatus without its computed fields (SD, UXL, SXL).
    pub mstatus: u64,
    /// medeleg
    pub medeleg: u64,
    /// mideleg
    pub mideleg: u64,
    /// mie
    pub mie: u64,
    /// The software-writable bits of mip (SSIP, STIP, SEIP).
    pub mip: u64,
    /// mtvec
    pub mtvec: u64,
    /// mscratch
    pub mscratch: u64,
    /// mepc
    pub mepc: u64,
    /// mcause
    pub mcause: u64,
    /// mtval
    pub mtval: u64,
    /// stvec
    pub stvec: u64,
    /// sscratch
    pub sscratch: u64,
    /// sepc
    pub sepc: u64,
    /// scause
    pub scause: u64,
    /// stval
    pub stval: u64,
    /// satp
    pub satp: u64,
    /// mcounteren
    pub mcounteren: u64,
    /// scounteren
    pub scounteren: u64,
    /// pmpcfg0, 2, .., 14
    pub pmpcfg: [u64; 8],
    /// pmpaddr0..63
    pub pmpaddr: [u64; 64],
    /// fflags (5 bits)
    pub fflags: u8,
    /// frm (3 bits)
    pub frm: u8,
    /// mcycle minus position.
    pub cycle_offset: u64,
    /// minstret minus retired instructions.
    pub instret_offset: u64,
}

impl Default for CsrFile {
    fn default() -> CsrFile {
        CsrFile {
            mstatus: 0,
            medeleg: 0,
            mideleg: 0,
            mie: 0,
            mip: 0,
            mtvec: 0,
            mscratch: 0,
            mepc: 0,
            mcause: 0,
            mtval: 0,
            stvec: 0,
            sscratch: 0,
            sepc: 0,
            scause: 0,
            stval: 0,
            satp: 0,
            mcounteren: 0,
            scounteren: 0,
            pmpcfg: [0; 8],
            pmpaddr: [0; 64],
            fflags: 0,
            frm: 0,
            cycle_offset: 0,
            instret_offset: 0,
        }
    }
}

/// WARL legalisation of xtvec: mode 2 and 3 are reserved, so bit 1 is kept clear.
fn legal_tvec(value: u64) -> u64 {
    value & !2
}

/// The result of executing a CSR instruction's write half.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrWrite {
    /// No write was performed, or it cannot change interrupts or translation.
    Quiet,
    /// The write may change pending/enabled interrupts or the privilege context of data
    /// accesses (`mstatus` MPRV, MPP, SUM, MXR), but not the page tables.
    Context,
    /// The write may change address translation (`satp`).
    Recheck,
}

impl Hart {
    /// mip as software reads it: writable bits OR the board's lines.
    pub(crate) fn mip(&self) -> u64 {
        self.csr.mip | self.lines
    }

    /// mstatus with its computed fields.
    fn mstatus_value(&self) -> u64 {
        let m = self.csr.mstatus | MSTATUS_XL;
        if m & MSTATUS_FS == MSTATUS_FS {
            m | MSTATUS_SD
        } else {
            m
        }
    }

    /// Instructions retired since reset, as minstret counts them.
    fn retired(&self) -> u64 {
        self.position - self.traps
    }

    /// Whether the current privilege may access CSR `num` at all (for writing if `write`).
    fn csr_allowed(&self, num: u16, write: bool) -> bool {
        if write && num >> 10 == 3 {
            return false;
        }
        if u16::from(self.privilege) < (num >> 8) & 3 {
            return false;
        }
        match num {
            FFLAGS | FRM | FCSR => self.csr.mstatus & MSTATUS_FS != 0,
            SATP => !(self.privilege == PRIV_S && self.csr.mstatus & MSTATUS_TVM != 0),
            0xc00..=0xc1f => {
                let bit = 1u64 << (num & 31);
                match self.privilege {
                    PRIV_M => true,
                    PRIV_S => self.csr.mcounteren & bit != 0,
                    _ => self.csr.mcounteren & self.csr.scounteren & bit != 0,
                }
            }
            _ => true,
        }
    }

    /// The value of CSR `num` regardless of privilege, or `None` if it is not implemented.
    /// `time` supplies the `time` CSR.
    pub(crate) fn csr_value(&self, num: u16, time: impl FnOnce() -> Option<u64>) -> Option<u64> {
        let c = &self.csr;
        Some(match num {
            FFLAGS => u64::from(c.fflags),
            FRM => u64::from(c.frm),
            FCSR => u64::from(c.frm) << 5 | u64::from(c.fflags),
            CYCLE | MCYCLE => self.position.wrapping_add(c.cycle_offset),
            TIME => time()?,
            INSTRET | MINSTRET => self.retired().wrapping_add(c.instret_offset),
            0xc03..=0xc1f | 0xb03..=0xb1f | 0x323..=0x33f | MCOUNTINHIBIT => 0,
            SSTATUS => self.mstatus_value() & SSTATUS_READABLE,
            SIE => c.mie & c.mideleg,
            STVEC => c.stvec,
            SCOUNTEREN => c.scounteren,
            SENVCFG | MENVCFG => 0,
            SSCRATCH => c.sscratch,
            SEPC => c.sepc,
            SCAUSE => c.scause,
            STVAL => c.stval,
            SIP => self.mip() & c.mideleg,
            SATP => c.satp,
            MSTATUS => self.mstatus_value(),
            MISA => MISA_VALUE,
            MEDELEG => c.medeleg,
            MIDELEG => c.mideleg,
            MIE => c.mie,
            MTVEC => c.mtvec,
            MCOUNTEREN => c.mcounteren,
            MSCRATCH => c.mscratch,
            MEPC => c.mepc,
            MCAUSE => c.mcause,
            MTVAL => c.mtval,
            MIP => self.mip(),
            0x3a0..=0x3af if num.is_multiple_of(2) => {
                *c.pmpcfg.get(usize::from(num - PMPCFG0) / 2)?
            }
            0x3b0..=0x3ef => *c.pmpaddr.get(usize::from(num - PMPADDR0))?,
            MVENDORID | MARCHID | MIMPID | MHARTID | MCONFIGPTR => 0,
            _ => return None,
        })
    }

    /// Writes `value` to CSR `num` (already known to exist and be writable here).
    fn csr_set(&mut self, num: u16, value: u64) -> CsrWrite {
        let c = &mut self.csr;
        match num {
            FFLAGS => c.fflags = (value & 0x1f) as u8,
            FRM => c.frm = (value & 7) as u8,
            FCSR => {
                c.fflags = (value & 0x1f) as u8;
                c.frm = ((value >> 5) & 7) as u8;
            }
            MCYCLE => c.cycle_offset = value.wrapping_sub(self.position + 1),
            MINSTRET => {
                c.instret_offset = value.wrapping_sub(self.position - self.traps + 1);
            }
            SSTATUS => {
                c.mstatus = (c.mstatus & !SSTATUS_WRITABLE) | (value & SSTATUS_WRITABLE);
            }
            SIE => c.mie = (c.mie & !c.mideleg) | (value & c.mideleg),
            STVEC => c.stvec = legal_tvec(value),
            SCOUNTEREN => c.scounteren = value & 0xffff_ffff,
            SSCRATCH => c.sscratch = value,
            SEPC => c.sepc = value & !1,
            SCAUSE => c.scause = value,
            STVAL => c.stval = value,
            SIP => {
                let mask = c.mideleg & (1 << IRQ_SSI);
                c.mip = (c.mip & !mask) | (value & mask);
            }
            SATP => {
                let mode = value >> 60;
                if matches!(mode, SATP_MODE_BARE | SATP_MODE_SV39 | SATP_MODE_SV48) {
                    c.satp = (mode << 60) | (value & SATP_PPN);
                    self.flush_tlbs();
                }
            }
            MSTATUS => {
                let mut v = value & MSTATUS_WRITABLE;
                if v & MSTATUS_MPP == 2 << MSTATUS_MPP_SHIFT {
                    v = (v & !MSTATUS_MPP) | (c.mstatus & MSTATUS_MPP);
                }
                c.mstatus = v;
            }
            MEDELEG => c.medeleg = value & MEDELEG_WRITABLE,
            MIDELEG => c.mideleg = value & S_INTERRUPTS,
            MIE => c.mie = value & MIE_WRITABLE,
            MTVEC => c.mtvec = legal_tvec(value),
            MCOUNTEREN => c.mcounteren = value & 0xffff_ffff,
            MSCRATCH => c.mscratch = value,
            MEPC => c.mepc = value & !1,
            MCAUSE => c.mcause = value,
            MTVAL => c.mtval = value,
            MIP => c.mip = value & S_INTERRUPTS,
            0x3a0..=0x3af => {
                if let Some(r) = c.pmpcfg.get_mut(usize::from(num - PMPCFG0) / 2) {
                    *r = value & PMPCFG_MASK;
                }
            }
            0x3b0..=0x3ef => {
                if let Some(r) = c.pmpaddr.get_mut(usize::from(num - PMPADDR0)) {
                    *r = value & PMPADDR_MASK;
                }
            }
            _ => {}
        }
        match num {
            FFLAGS | FRM | FCSR => {
                self.csr.mstatus |= MSTATUS_FS;
                CsrWrite::Quiet
            }
            STVEC | SCOUNTEREN | SENVCFG | SSCRATCH | SEPC | SCAUSE | STVAL | MTVEC
            | MCOUNTEREN | MENVCFG | MSCRATCH | MEPC | MCAUSE | MTVAL | MCYCLE | MINSTRET
            | MCOUNTINHIBIT => CsrWrite::Quiet,
            SATP => CsrWrite::Recheck,
            _ => CsrWrite::Context,
        }
    }

    /// Executes a CSR instruction on `num`: returns the old value (for `rd`) and whether the
    /// write may change interrupts or translation, or `None` when the access is illegal.
    ///
    /// `src` is the operand (register value or zimm); `kind` is 0 for write, 1 for set, 2 for
    /// clear; `writes` is false for set/clear with `rs1 = x0` or zimm 0.
    pub(crate) fn csr_instruction(
        &mut self,
        num: u16,
        kind: u8,
        src: u64,
        writes: bool,
        time: impl FnOnce() -> u64,
    ) -> Option<(u64, CsrWrite)> {
        if !self.csr_allowed(num, writes) {
            return None;
        }
        let old = self.csr_value(num, || Some(time()))?;
        if !writes {
            return Some((old, CsrWrite::Quiet));
        }
        // Only mip's software-writable SEIP takes part in a read-modify-write; the external
        // line OR-ed into the value read must not latch into it (privileged spec, mip.SEIP).
        let base = if num == MIP { self.csr.mip } else { old };
        let new = match kind {
            0 => src,
            1 => base | src,
            _ => base & !src,
        };
        Some((old, self.csr_set(num, new)))
    }
}
