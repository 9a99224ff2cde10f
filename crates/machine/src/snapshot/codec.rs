//! The byte encoding of the components' plain-data states: little-endian integers, `bool` as
//! one byte 0 or 1, `Option` as a byte 0 (none) or 1 followed by the value, sequences as a
//! u32 count followed by the elements, fixed arrays as their elements, structs as their
//! fields in declaration order. Decoding accepts exactly what encoding produces.

use rv64::csr::CsrFile;
use rv64::hart::state::HartState;
use virtio::{BlockState, EntropyState, NetState, QueueState, TransportState};

use crate::clint::ClintState;
use crate::htif::HtifState;
use crate::plic::PlicState;
use crate::syscon::PowerRequest;
use crate::uart::UartState;
use crate::RunExit;

/// Bytes that do not decode, at an offset counted from the start of the snapshot.
#[derive(Debug)]
pub struct Malformed {
    /// Offset of the first byte that could not be decoded.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

/// A cursor over a section's bytes.
#[derive(Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Offset of `data[0]` in the snapshot, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, which starts `base` bytes into the snapshot.
    pub fn new(data: &'a [u8], base: usize) -> Reader<'a> {
        Reader { data, pos: 0, base }
    }

    /// The snapshot offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// An error at the current offset.
    pub fn error(&self, reason: impl Into<String>) -> Malformed {
        Malformed {
            offset: self.offset(),
            reason: reason.into(),
        }
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| self.error(format!("{n} bytes needed, {} left", self.remaining())))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// Fails unless every byte has been read.
    pub fn finish(&self) -> Result<(), Malformed> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(self.error(format!("{} unexpected bytes", self.remaining())))
        }
    }
}

/// A value with a byte encoding.
pub trait Codec: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Decodes one value.
    fn decode(r: &mut Reader) -> Result<Self, Malformed>;
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl Codec for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn decode(r: &mut Reader) -> Result<Self, Malformed> {
                Ok(<$t>::from_le_bytes(r.array()?))
            }
        }
    )*};
}
int_codec!(u8, u16, u32, u64);

impl Codec for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out);
    }
    fn decode(r: &mut Reader) -> Result<Self, Malformed> {
        let at = r.offset();
        usize::try_from(u64::decode(r)?).map_err(|_| Malformed {
            offset: at,
            reason: "value too large for this host".into(),
        })
    }
}

impl Codec for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn decode(r: &mut Reader) -> Result<Self, Malformed> {
        match u8::decode(r)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Malformed {
                offset: r.offset() - 1,
                reason: format!("boolean byte {b}"),
            }),
        }
    }
}

impl<T: Codec> Codec for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
        }
    }
    fn decode(r: &mut Reader) -> Result<Self, Malformed> {
        match u8::decode(r)? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(r)?)),
            b => Err(Malformed {
                offset: r.offset() - 1,
                reason: format!("option tag {b}"),
            }),
        }
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.len() as u32).encode(out);
        self.iter().for_each(|v| v.encode(out));
    }
    fn decode(r: &mut Reader) -> Result<Self, Malformed> {
        let n = u32::decode(r)? as usize;
        // Every element takes at least one byte: a count beyond the bytes left is corrupt,
        // and capping the allocation by it keeps a hostile count from reserving memory.
        if n > r.remaining() {
            return Err(r.error(format!("{n} elements in {} bytes", r.remaining())));
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::decode(r)?);
        }
        Ok(v)
    }
}

impl<T: Codec, const N: usize> Codec for [T; N] {
    fn encode(&self, out: &mut Vec<u8>) {
        self.iter().for_each(|v| v.encode(out));
    }
    fn decode(r: &mut Reader) -> Result<Self, Malformed> {
        let v = (0..N)
            .map(|_| T::decode(r))
            .collect::<Result<Vec<T>, _>>()?;
        v.try_into().map_err(|_| r.error("array length mismatch"))
    }
}

impl<A: Codec, B: Codec> Codec for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
    fn decode(r: &mut Reader) -> Result<Self, Malformed> {
        Ok((A::decode(r)?, B::decode(r)?))
    }
}

/// Implements [`Codec`] for a struct as the sequence of its fields.
macro_rules! struct_codec {
    ($t:ident $(<$g:ident>)? { $($f:ident),* $(,)? }) => {
        impl$(<$g: Codec>)? Codec for $t$(<$g>)? {
            fn encode(&self, out: &mut Vec<u8>) {
                $(self.$f.encode(out);)*
            }
            fn decode(r: &mut Reader) -> Result<Self, Malformed> {
                Ok($t { $($f: Codec::decode(r)?,)* })
            }
        }
    };
}

struct_codec!(CsrFile {
    mstatus,
    medeleg,
    mideleg,
    mie,
    mip,
    mtvec,
    mscratch,
    mepc,
    mcause,
    mtval,
    stvec,
    sscratch,
    sepc,
    scause,
    stval,
    satp,
    mcounteren,
    scounteren,
    pmpcfg,
    pmpaddr,
    fflags,
    frm,
    cycle_offset,
    instret_offset,
});
struct_codec!(HartState {
    pc,
    x,
    f,
    privilege,
    position,
    traps,
    csr,
    lines,
    reservation
});
struct_codec!(ClintState {
    msip,
    mtimecmp,
    anchor_position,
    anchor_mtime,
    rate
});
struct_codec!(UartState {
    rx,
    ier,
    lcr,
    mcr,
    scr,
    fcr,
    dll,
    dlm,
    thr_interrupt
});
struct_codec!(PlicState {
    priority,
    pending,
    in_service,
    level,
    enable,
    threshold
});
struct_codec!(HtifState { tohost, fromhost });
struct_codec!(QueueState {
    size,
    ready,
    desc,
    avail,
    used,
    next_avail,
    next_used
});
struct_codec!(TransportState<S> {
    device, queues, queue_sel, device_features_sel, driver_features_sel, driver_features,
    status, interrupt_status, config_generation,
});
struct_codec!(BlockState { read_only, serial });
struct_codec!(NetState {
    backlog,
    transmitted,
    dropped
});
struct_codec!(EntropyState { pool, waiting });
struct_codec!(MachineState {
    base,
    halted,
    sleeping,
    htif
});
struct_codec!(BoardMisc {
    power,
    notified,
    output
});

/// The machine's own state, beside its components'.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineState {
    /// Positions executed before the last reset.
    pub base: u64,
    /// The final exit, once the guest has powered off or failed.
    pub halted: Option<RunExit>,
    /// Whether the hart sleeps in `wfi`.
    pub sleeping: bool,
    /// The HTIF, if the program has one.
    pub htif: Option<HtifState>,
}

/// The board's state that belongs to no device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardMisc {
    /// A power request not yet taken by the machine.
    pub power: Option<PowerRequest>,
    /// Queue notifications (slot, queue) not yet run.
    pub notified: Vec<(usize, usize)>,
    /// Console output not yet taken by the front end.
    pub output: Vec<u8>,
}

impl Codec for PowerRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            PowerRequest::Poweroff => out.push(0),
            PowerRequest::Fail(code) => {
                out.push(1);
                code.encode(out);
            }
            PowerRequest::Reset => out.push(2),
        }
    }
    fn decode(r: &mut Reader) -> Result<Self, Malformed> {
        match u8::decode(r)? {
            0 => Ok(PowerRequest::Poweroff),
            1 => Ok(PowerRequest::Fail(u16::decode(r)?)),
            2 => Ok(PowerRequest::Reset),
            b => Err(Malformed {
                offset: r.offset() - 1,
                reason: format!("power request {b}"),
            }),
        }
    }
}

/// The final exits a halted machine can hold: power-off and failure.
impl Codec for RunExit {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            RunExit::Fail(code) => {
                out.push(1);
                code.encode(out);
            }
            _ => out.push(0),
        }
    }
    fn decode(r: &mut Reader) -> Result<Self, Malformed> {
        match u8::decode(r)? {
            0 => Ok(RunExit::Poweroff),
            1 => Ok(RunExit::Fail(u64::decode(r)?)),
            b => Err(Malformed {
                offset: r.offset() - 1,
                reason: format!("final exit {b}"),
            }),
        }
    }
}
