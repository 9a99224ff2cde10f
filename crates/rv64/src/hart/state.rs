//! The hart's architectural state as plain data, for snapshots, digests and state transfer.
//!
//! Only architectural state is saved: registers, privilege, the position counters, every
//! implemented CSR's stored value, the LR reservation and the interrupt lines. TLBs, the
//! decode cache and the executor's bookkeeping are not: a restored hart starts with them
//! empty, as [`Hart::new`] builds them, and refills them on demand.

use crate::csr::{
    CsrFile, FFLAGS, FRM, LINES, MCAUSE, MCOUNTEREN, MEDELEG, MEPC, MIDELEG, MIE, MIP, MSCRATCH,
    MSTATUS, MSTATUS_FS, MTVAL, MTVEC, PMPADDR0, PMPCFG0, SATP, SCAUSE, SCOUNTEREN, SEPC, SSCRATCH,
    STVAL, STVEC,
};
use crate::hart::{Hart, PRIV_M, PRIV_S, PRIV_U};
use crate::persist::{Persist, StateError};

/// The hart's architectural state.
#[derive(Clone, Debug)]
pub struct HartState {
    /// The program counter.
    pub pc: u64,
    /// Integer registers `x0..x31` (`x0` is always 0).
    pub x: [u64; 32],
    /// FP registers, raw (singles NaN-boxed).
    pub f: [u64; 32],
    /// The privilege: 0 = U, 1 = S, 3 = M.
    pub privilege: u8,
    /// The position counter (see the `hart` module).
    pub position: u64,
    /// Traps taken since reset; never more than `position`.
    pub traps: u64,
    /// The stored CSR values.
    pub csr: CsrFile,
    /// The interrupt lines the board drives (bits of `mip`).
    pub lines: u64,
    /// The LR reservation, a physical address.
    pub reservation: Option<u64>,
}

/// A CSR whose stored value is a plain field of [`CsrFile`].
struct Field {
    name: &'static str,
    num: u16,
    get: fn(&CsrFile) -> u64,
}

/// The CSR fields restored by writing them, in an order where no write disturbs one
/// restored before it (`fflags`/`frm` writes set `mstatus.FS`, so `mstatus` comes after).
const FIELDS: &[Field] = &[
    Field {
        name: "fflags",
        num: FFLAGS,
        get: |c| u64::from(c.fflags),
    },
    Field {
        name: "frm",
        num: FRM,
        get: |c| u64::from(c.frm),
    },
    Field {
        name: "mstatus",
        num: MSTATUS,
        get: |c| c.mstatus,
    },
    Field {
        name: "medeleg",
        num: MEDELEG,
        get: |c| c.medeleg,
    },
    Field {
        name: "mideleg",
        num: MIDELEG,
        get: |c| c.mideleg,
    },
    Field {
        name: "mie",
        num: MIE,
        get: |c| c.mie,
    },
    Field {
        name: "mip",
        num: MIP,
        get: |c| c.mip,
    },
    Field {
        name: "mtvec",
        num: MTVEC,
        get: |c| c.mtvec,
    },
    Field {
        name: "mscratch",
        num: MSCRATCH,
        get: |c| c.mscratch,
    },
    Field {
        name: "mepc",
        num: MEPC,
        get: |c| c.mepc,
    },
    Field {
        name: "mcause",
        num: MCAUSE,
        get: |c| c.mcause,
    },
    Field {
        name: "mtval",
        num: MTVAL,
        get: |c| c.mtval,
    },
    Field {
        name: "stvec",
        num: STVEC,
        get: |c| c.stvec,
    },
    Field {
        name: "sscratch",
        num: SSCRATCH,
        get: |c| c.sscratch,
    },
    Field {
        name: "sepc",
        num: SEPC,
        get: |c| c.sepc,
    },
    Field {
        name: "scause",
        num: SCAUSE,
        get: |c| c.scause,
    },
    Field {
        name: "stval",
        num: STVAL,
        get: |c| c.stval,
    },
    Field {
        name: "satp",
        num: SATP,
        get: |c| c.satp,
    },
    Field {
        name: "mcounteren",
        num: MCOUNTEREN,
        get: |c| c.mcounteren,
    },
    Field {
        name: "scounteren",
        num: SCOUNTEREN,
        get: |c| c.scounteren,
    },
];

/// Every stored CSR of `csr` as (name, number, value), in restore order. The counters'
/// offsets are not CSRs and are not listed.
pub fn csr_fields(csr: &CsrFile) -> impl Iterator<Item = (String, u16, u64)> + '_ {
    let plain = FIELDS
        .iter()
        .map(|f| (f.name.to_string(), f.num, (f.get)(csr)));
    let cfg = csr
        .pmpcfg
        .iter()
        .enumerate()
        .map(|(i, &v)| (format!("pmpcfg{}", 2 * i), PMPCFG0 + 2 * i as u16, v));
    let addr = csr
        .pmpaddr
        .iter()
        .enumerate()
        .map(|(i, &v)| (format!("pmpaddr{i}"), PMPADDR0 + i as u16, v));
    plain.chain(cfg).chain(addr)
}

impl Persist for Hart {
    type State = HartState;
    type ConstructorArgs = ();

    fn save(&self) -> HartState {
        let mut x = [0; 32];
        x.copy_from_slice(&self.x[..32]);
        HartState {
            pc: self.pc,
            x,
            f: self.f,
            privilege: self.privilege,
            position: self.position,
            traps: self.traps,
            csr: self.csr.clone(),
            lines: self.lines,
            reservation: self.reservation,
        }
    }

    /// Builds a fresh hart (empty TLBs and decode state) and sets its architectural state.
    /// Each CSR is written the way an M-mode `csrw` writes it and must read back unchanged,
    /// so the CSRs' own WARL rules decide what is a legal stored value.
    fn restore((): (), s: &HartState) -> Result<Hart, StateError> {
        let bad = |reason: String| Err(StateError::new("hart", reason));
        if !matches!(s.privilege, PRIV_U | PRIV_S | PRIV_M) {
            return bad(format!("privilege {} is not U, S or M", s.privilege));
        }
        if s.pc & 1 != 0 {
            return bad(format!("pc {:#x} is odd", s.pc));
        }
        if s.x[0] != 0 {
            return bad(format!("x0 holds {:#x}", s.x[0]));
        }
        if s.traps > s.position {
            return bad(format!(
                "{} traps taken in {} positions",
                s.traps, s.position
            ));
        }
        if s.lines & !LINES != 0 {
            return bad(format!(
                "interrupt lines {:#x} include undriven bits",
                s.lines
            ));
        }
        let mut hart = Hart::new(s.pc);
        hart.csr.mstatus = MSTATUS_FS;
        for (_, num, value) in csr_fields(&s.csr) {
            hart.csr_instruction(num, 0, value, true, || 0);
        }
        for ((name, _, wanted), (_, _, legal)) in csr_fields(&s.csr).zip(csr_fields(&hart.csr)) {
            if wanted != legal {
                return bad(format!("{name} = {wanted:#x} is not a legal value"));
            }
        }
        hart.csr.cycle_offset = s.csr.cycle_offset;
        hart.csr.instret_offset = s.csr.instret_offset;
        hart.x[..32].copy_from_slice(&s.x);
        hart.f = s.f;
        hart.privilege = s.privilege;
        hart.position = s.position;
        hart.traps = s.traps;
        hart.lines = s.lines;
        hart.reservation = s.reservation;
        Ok(hart)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{MSTATUS_MPP, SATP_MODE_SV39};

    fn busy_hart() -> Hart {
        let mut h = Hart::new(0x8000_0000);
        h.pc = 0x8000_1234;
        for r in 1..32 {
            h.x[r] = 0x1111 * r as u64;
            h.f[r] = !(r as u64);
        }
        h.privilege = PRIV_S;
        h.position = 1000;
        h.traps = 7;
        h.csr.mstatus = MSTATUS_FS | MSTATUS_MPP;
        h.csr.satp = (SATP_MODE_SV39 << 60) | 0x8_0042;
        h.csr.mepc = 0x8000_0010;
        h.csr.pmpaddr[5] = 0x2000_0000;
        h.csr.pmpcfg[0] = 0x1f;
        h.csr.fflags = 0x11;
        h.csr.frm = 3;
        h.csr.cycle_offset = 99;
        h.lines = 1 << 7;
        h.reservation = Some(0x8000_0100);
        h
    }

    #[test]
    fn a_restored_hart_saves_the_same_state() {
        let state = busy_hart().save();
        let restored = Hart::restore((), &state).unwrap();
        assert_eq!(format!("{:?}", restored.save()), format!("{state:?}"));
        assert_eq!(restored.csr(SATP), Some((SATP_MODE_SV39 << 60) | 0x8_0042));
        assert_eq!(restored.position(), 1000);
    }

    #[test]
    fn privilege_2_is_reserved_and_refused() {
        let mut state = busy_hart().save();
        state.privilege = 2;
        assert!(Hart::restore((), &state).is_err());
    }

    #[test]
    fn csr_values_outside_their_warl_range_are_refused() {
        let cases: [fn(&mut CsrFile); 5] = [
            |c| c.mstatus = (c.mstatus & !MSTATUS_MPP) | (2 << 11), // MPP = 2 (reserved)
            |c| c.satp = 5 << 60,                                   // reserved mode
            |c| c.frm = 8,
            |c| c.mtvec = 2,
            |c| c.mie = 1 << 40,
        ];
        for (i, spoil) in cases.iter().enumerate() {
            let mut state = busy_hart().save();
            spoil(&mut state.csr);
            assert!(Hart::restore((), &state).is_err(), "case {i}");
        }
    }

    #[test]
    fn more_traps_than_positions_and_a_nonzero_x0_are_refused() {
        let mut state = busy_hart().save();
        state.traps = state.position + 1;
        assert!(Hart::restore((), &state).is_err());
        let mut state = busy_hart().save();
        state.x[0] = 1;
        assert!(Hart::restore((), &state).is_err());
    }
}
