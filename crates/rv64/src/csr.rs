//! Control and status registers: numbers, WARL masks, access rules and the CSR file.
//!
//! Access rules (Zicsr and priv spec): an unimplemented CSR, a write to a read-only CSR
//! (number bits 11:10 == 0b11) and an access below the CSR's privilege (bits 9:8) are
//! illegal; so are the counters when `mcounteren`/`scounteren` deny them, `satp` in S-mode
//! with `mstatus.TVM`, and the FP CSRs while `mstatus.FS` is Off.
//!
//! The trigger CSRs (`tselect`, `tdata1..3`, `tinfo`) are present with no trigger behind them,
//! so that software probing for triggers finds none without trapping (see [`TSELECT`]).

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
/// Trigger select (debug spec 1.0, Sdtrig, "Trigger Select (tselect, at 0x7a0)").
///
/// This hart implements no triggers, which the register descriptions allow: `tselect`,
/// `tdata1` and `tinfo` are each "optional if no triggers are implemented", and `tdata2` and
/// `tdata3` "optional if no implemented triggers use it". The hart keeps them, so that
/// software probing for triggers (OpenSBI's Sdtrig detection and enumeration) reads "none"
/// the way the chapter's enumeration algorithm expects instead of taking an illegal
/// instruction trap. Having no trigger, the hart does not claim the Sdtrig extension itself
/// ("If Sdtrig is implemented, the Trigger Module must support at least one trigger"); the
/// device tree's ISA string leaves it out. OpenSBI, which takes a readable `tselect` for
/// Sdtrig, lists `sdtrig` in its banner all the same, and counts zero triggers.
///
/// `tselect` is WARL and hard-wired to 0: "Writes of values greater than or equal to the
/// number of supported triggers may result in a different value in this register than what
/// was written or may point to a trigger where `tdata1.type`=0" — with zero triggers every
/// value is such a write, so a write of N != 0 reads back 0 and a debugger's read-back check
/// ends its enumeration. The selected trigger 0 does not exist.
///
/// Like all trigger registers except the context ones, these are "only accessible in machine
/// and Debug Mode" (number bits 9:8 = 3): from S and U they are illegal. None holds state, so
/// none is part of the hart's saved state.
pub const TSELECT: u16 = 0x7a0;
/// Trigger data 1: reads 0 and ignores writes. Its `type` field is 0, "There is no trigger at
/// this tselect", and with `type` 0 the spec hard-wires the rest: `dmode` ("If type is 0, then
/// this bit is hard-wired to 0") and `data` ("If type is 0, then this field is hard-wired to
/// 0"). `type` is WARL, and the absent trigger supports no other type. See [`TSELECT`].
pub const TDATA1: u16 = 0x7a1;
/// Trigger data 2: reads 0 and ignores writes (WARL "trigger-specific data"; the absent
/// trigger supports no type, so no value but 0 is legal). See [`TSELECT`].
pub const TDATA2: u16 = 0x7a2;
/// Trigger data 3: as [`TDATA2`].
pub const TDATA3: u16 = 0x7a3;
/// Trigger info: reads [`TINFO_NO_TRIGGER`]; "Writing this read/write CSR has no effect".
/// See [`TSELECT`].
pub const TINFO: u16 = 0x7a4;
/// `tinfo` of a trigger that does not exist: `info` (bits 15:0) is 1 — "If the currently
/// selected trigger doesn't exist, this field contains 1" — and `version` (bits 31:24) is 0.
/// The version describes the triggers implemented, of which there are none; and OpenSBI 1.6's
/// enumeration compares the whole register with 1, so version 1 would make it count a
/// trigger that is not there.
pub const TINFO_NO_TRIGGER: u64 = 1;
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
            TSELECT | TDATA1 | TDATA2 | TDATA3 => 0,
            TINFO => TINFO_NO_TRIGGER,
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
            // No trigger exists: every trigger register is hard-wired (see TSELECT).
            TSELECT | TDATA1 | TDATA2 | TDATA3 | TINFO => {}
            _ => {}
        }
        match num {
            FFLAGS | FRM | FCSR => {
                self.csr.mstatus |= MSTATUS_FS;
                CsrWrite::Quiet
            }
            STVEC | SCOUNTEREN | SENVCFG | SSCRATCH | SEPC | SCAUSE | STVAL | MTVEC
            | MCOUNTEREN | MENVCFG | MSCRATCH | MEPC | MCAUSE | MTVAL | MCYCLE | MINSTRET
            | MCOUNTINHIBIT | TSELECT | TDATA1 | TDATA2 | TDATA3 | TINFO => CsrWrite::Quiet,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hart::PRIV_U;

    const WRITE: u8 = 0;
    const SET: u8 = 1;
    const CLEAR: u8 = 2;

    /// Executes a CSR instruction on `num` in the hart's current privilege: the old value and
    /// the write's effect, or `None` for an illegal instruction.
    fn csr(h: &mut Hart, num: u16, kind: u8, src: u64, writes: bool) -> Option<(u64, CsrWrite)> {
        h.csr_instruction(num, kind, src, writes, || 0)
    }

    fn read(h: &mut Hart, num: u16) -> Option<u64> {
        csr(h, num, SET, 0, false).map(|(value, _)| value)
    }

    const TRIGGER_CSRS: [u16; 5] = [TSELECT, TDATA1, TDATA2, TDATA3, TINFO];

    #[test]
    fn sdtrig_tselect_write_beyond_the_triggers_reads_back_another_value() {
        // "Writes of values greater than or equal to the number of supported triggers may
        // result in a different value": with none, every write leaves tselect at 0.
        let mut h = Hart::new(0);
        for value in [1, 2, 0x7f, u64::MAX, 0] {
            assert_eq!(
                csr(&mut h, TSELECT, WRITE, value, true),
                Some((0, CsrWrite::Quiet))
            );
            assert_eq!(read(&mut h, TSELECT), Some(0), "after writing {value:#x}");
        }
        assert_eq!(
            csr(&mut h, TSELECT, SET, 5, true),
            Some((0, CsrWrite::Quiet))
        );
        assert_eq!(read(&mut h, TSELECT), Some(0));
    }

    #[test]
    fn sdtrig_tdata1_type_0_means_no_trigger_and_hardwires_dmode_and_data() {
        // type 0: "There is no trigger at this tselect"; dmode and data "hard-wired to 0".
        let mut h = Hart::new(0);
        let mcontrol6_execute_m: u64 = (6 << 60) | (1 << 6) | (1 << 2);
        for (kind, value) in [
            (WRITE, mcontrol6_execute_m),
            (WRITE, 15 << 60),
            (SET, u64::MAX),
        ] {
            assert_eq!(
                csr(&mut h, TDATA1, kind, value, true),
                Some((0, CsrWrite::Quiet))
            );
            assert_eq!(read(&mut h, TDATA1), Some(0));
        }
        assert_eq!(
            csr(&mut h, TDATA1, CLEAR, u64::MAX, true),
            Some((0, CsrWrite::Quiet))
        );
    }

    #[test]
    fn sdtrig_tdata2_and_tdata3_of_an_absent_trigger_read_zero() {
        let mut h = Hart::new(0);
        for num in [TDATA2, TDATA3] {
            assert_eq!(
                csr(&mut h, num, WRITE, 0x8000_0000, true),
                Some((0, CsrWrite::Quiet))
            );
            assert_eq!(read(&mut h, num), Some(0));
        }
    }

    #[test]
    fn sdtrig_tinfo_info_is_1_when_the_selected_trigger_does_not_exist() {
        // "If the currently selected trigger doesn't exist, this field contains 1";
        // "Writing this read/write CSR has no effect".
        let mut h = Hart::new(0);
        assert_eq!(read(&mut h, TINFO), Some(1));
        assert_eq!(
            csr(&mut h, TINFO, WRITE, 0xffff, true),
            Some((1, CsrWrite::Quiet))
        );
        assert_eq!(read(&mut h, TINFO), Some(TINFO_NO_TRIGGER));
        assert_eq!(h.csr(TINFO), Some(1));
    }

    #[test]
    fn sdtrig_enumeration_finds_no_trigger() {
        // The chapter's enumeration: write i to tselect, stop unless it reads back i; read
        // tinfo, stop if its info is 1 (or, without tinfo, if tdata1.type is 0).
        let mut h = Hart::new(0);
        let mut found = 0;
        for i in 0..8u64 {
            csr(&mut h, TSELECT, WRITE, i, true).expect("tselect writable from M");
            if read(&mut h, TSELECT) != Some(i) {
                break;
            }
            match read(&mut h, TINFO) {
                Some(tinfo) if tinfo & 0xffff == 1 => break,
                Some(_) => {}
                None if read(&mut h, TDATA1).expect("tdata1") >> 60 == 0 => break,
                None => {}
            }
            found += 1;
        }
        assert_eq!(found, 0);
    }

    #[test]
    fn sdtrig_registers_are_accessible_in_m_mode_only() {
        // "only accessible in machine and Debug Mode": illegal from S and U, read or write.
        for privilege in [PRIV_S, PRIV_U] {
            let mut h = Hart::new(0);
            h.privilege = privilege;
            for num in TRIGGER_CSRS {
                assert_eq!(read(&mut h, num), None, "read {num:#x} from {privilege}");
                assert_eq!(csr(&mut h, num, WRITE, 0, true), None, "write {num:#x}");
            }
        }
        let mut h = Hart::new(0);
        for num in TRIGGER_CSRS {
            assert!(read(&mut h, num).is_some(), "read {num:#x} from M");
            assert!(
                csr(&mut h, num, WRITE, 0, true).is_some(),
                "write {num:#x} from M"
            );
        }
    }

    #[test]
    fn sdtrig_registers_hold_no_state() {
        // Nothing to save: writes leave the CSR file exactly as it was.
        let mut h = Hart::new(0);
        let before = format!("{:?}", h.csr);
        for num in TRIGGER_CSRS {
            csr(&mut h, num, WRITE, u64::MAX, true).expect("writable from M");
        }
        assert_eq!(format!("{:?}", h.csr), before);
    }

    #[test]
    fn csrs_next_to_the_trigger_registers_stay_unimplemented() {
        // tcontrol, mcontext and the Debug Mode registers are not implemented.
        let mut h = Hart::new(0);
        for num in [0x7a5, 0x7a8, 0x7aa, 0x7b0, 0x7b1, 0x7b2, 0x5a8, 0x6a8] {
            assert_eq!(read(&mut h, num), None, "{num:#x}");
        }
    }
}
