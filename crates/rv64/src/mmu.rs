//! Address translation and the slow paths of memory access.
//!
//! - Translation: Bare, Sv39 and Sv48 page walks per the privileged spec. PTEs are read from
//!   RAM only (a PTE address outside RAM is an access fault). Accessed and dirty bits are
//!   updated by the hart (like QEMU): a walk that finds A clear, or D clear for a store,
//!   writes the PTE back to RAM with A (and D for a store) set.
//! - Software TLBs: three direct-mapped arrays (fetch, load, store) of [`TLB_SIZE`] entries
//!   mapping a virtual page to the host address of its physical page in RAM, so a hit is one
//!   entry load and then the access itself. The tag is the virtual
//!   page address OR-ed with a small *context* (effective privilege, SUM, MXR) so privilege
//!   changes need no flush, and with the TLB's *generation*: emptying a TLB (`satp` writes,
//!   `sfence.vma` of everything, a page becoming code) bumps its generation, so that no
//!   old tag matches the new contexts, and clears the array only when the generation wraps
//!   (every 31 flushes). A TLB can then be large (a workload that touches hundreds of MiB at
//!   random misses less) without making the flushes a guest does at every context switch
//!   cost more. Only RAM pages are cached there, and the store TLB never maps a page with
//!   decoded code, so fast-path stores never need decode-cache invalidation.
//! - Device TLB: device pages (physical pages outside RAM) always take the slow path, since
//!   every access must reach the [`Bus`]; a small [`DeviceTlb`] remembers their translations
//!   so that the slow path skips the page walk. It is flushed with the other TLBs.
//! - Misaligned loads and stores are performed, not trapped: inside one page they take the
//!   normal path; across a page boundary both pages are translated first (a fault reports
//!   the first byte of the faulting page) and the bytes are then accessed individually. A
//!   misaligned access to a device is an address-misaligned exception (firmware may emulate
//!   it). LR, SC and AMOs must be naturally aligned.

use crate::bus::{Bus, BusFault};
use crate::csr::{
    MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM, SATP_MODE_BARE,
    SATP_MODE_SV39, SATP_PPN,
};
use crate::decode::decode;
use crate::decode_cache::{Slot, ID_NOT_DECODED, SLOTS};
use crate::hart::{Hart, PRIV_M, PRIV_S, PRIV_U};
use crate::memory::Memory;
use crate::trap::*;

/// Entries per software TLB: 128 MiB of 4 KiB pages. `xz -9`'s match finder reads
/// hundreds of MiB at random, and took 5% less time with 32768 entries than with 4096
/// (16384 and 65536 fell in between); flushes cost the same (see [`Tlb::flush`]).
pub const TLB_SIZE: usize = 32768;
/// The empty range of [`Hart`]'s `superpages`.
pub const NO_SUPERPAGES: (u64, u64) = (u64::MAX, 0);
/// Tag of an empty TLB entry. Its bits 7 to 11 are all ones, a generation no context carries,
/// so it matches no lookup, not even with the alignment bits compiled code keeps (see
/// [`CTX_SHIFT`]).
const TLB_EMPTY: u64 = u64::MAX;
/// Where a context starts in a tag: above bits 0 to 2, which compiled code keeps from the
/// address so that one comparison also checks alignment. Bits 3 and 4 hold the privilege,
/// bit 5 SUM and bit 6 MXR (for fetches only the privilege).
pub(crate) const CTX_SHIFT: u32 = 3;
/// A TLB's generation occupies bits 7 to 11 of its contexts, above the context proper and
/// below the page address.
const GENERATION_SHIFT: u32 = 7;
/// Generations (0 to 30) a TLB goes through before a flush clears its array; the 32nd value
/// of the bits is the empty tag's.
pub(crate) const GENERATIONS: u64 = 31;

const PTE_V: u64 = 1 << 0;
const PTE_R: u64 = 1 << 1;
const PTE_W: u64 = 1 << 2;
const PTE_X: u64 = 1 << 3;
const PTE_U: u64 = 1 << 4;
const PTE_A: u64 = 1 << 6;
const PTE_D: u64 = 1 << 7;

/// One TLB entry: virtual page | context, and the distance from the virtual page to its host
/// address.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct TlbEntry {
    /// Virtual page address OR-ed with the context, or empty.
    pub tag: u64,
    /// Host address of the physical page (in the RAM allocation whose base the TLB was filled
    /// with) minus the virtual page address (wrapping): the host address of a virtual address
    /// `va` in the page is `va + addend`.
    pub addend: u64,
}

const EMPTY_ENTRY: TlbEntry = TlbEntry {
    tag: TLB_EMPTY,
    addend: 0,
};

/// A direct-mapped software TLB.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Tlb {
    /// On the heap, so that the hart stays small enough to build and move on a thread's
    /// stack; compiled code loads the pointer once per block.
    pub(crate) entries: Box<[TlbEntry; TLB_SIZE]>,
    /// The generation the contexts of this TLB's lookups carry (see [`Tlb::flush`]).
    generation: u64,
}

impl Default for Tlb {
    fn default() -> Tlb {
        let entries = vec![EMPTY_ENTRY; TLB_SIZE].into_boxed_slice();
        Tlb {
            entries: entries.try_into().expect("TLB_SIZE entries"),
            generation: 0,
        }
    }
}

impl Tlb {
    /// The entry `va` maps to.
    #[inline(always)]
    pub fn entry(&self, va: u64) -> TlbEntry {
        let index = (va >> 12) as usize & (TLB_SIZE - 1);
        // SAFETY: `index` is masked to `TLB_SIZE - 1`, inside the array.
        unsafe { *self.entries.get_unchecked(index) }
    }

    /// The RAM offset of `va` (not only of its page) under `ctx`, if its page is cached;
    /// `host` is the host address of RAM offset 0.
    #[inline(always)]
    pub fn lookup(&self, va: u64, ctx: u64, host: usize) -> Option<usize> {
        let e = self.entry(va);
        (e.tag == (va & !0xfff) | ctx)
            .then_some(va.wrapping_add(e.addend).wrapping_sub(host as u64) as usize)
    }

    /// Caches `va`'s page (under `ctx`) at RAM offset `off` (of the page); `host` is the host
    /// address of RAM offset 0.
    pub fn insert(&mut self, va: u64, ctx: u64, off: usize, host: usize) {
        self.entries[(va >> 12) as usize & (TLB_SIZE - 1)] = TlbEntry {
            tag: (va & !0xfff) | ctx,
            addend: (host as u64)
                .wrapping_add(off as u64)
                .wrapping_sub(va & !0xfff),
        };
    }

    /// Drops the entry `va`'s page would occupy, under every context.
    pub fn flush_page(&mut self, va: u64) {
        self.entries[(va >> 12) as usize & (TLB_SIZE - 1)] = EMPTY_ENTRY;
    }

    /// The generation to OR into the contexts of lookups and inserts.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Empties the TLB by moving to the next generation; the contexts must then be
    /// recomputed ([`Hart::update_ctx`]) before the next lookup. Clears the array when the
    /// generation wraps, so that no entry outlives its generation's turn.
    pub(crate) fn flush(&mut self) {
        let next = (self.generation >> GENERATION_SHIFT) + 1;
        if next == GENERATIONS {
            self.generation = 0;
            self.entries.fill(EMPTY_ENTRY);
        } else {
            self.generation = next << GENERATION_SHIFT;
        }
    }
}

/// Entries per kind of access (load, store) in the [`DeviceTlb`].
pub const DEVICE_TLB_SIZE: usize = 16;

/// Translations of device pages, for the slow paths of loads, stores and atomics.
///
/// Two direct-mapped arrays (loads, stores), tagged like [`Tlb`] (virtual page OR-ed with the
/// data context), each entry holding the physical page. A hit stands for a page walk that
/// succeeded for that kind of access under that context and found a page outside RAM; the
/// access itself still goes to the bus, which may refuse it. Filled only after such a walk
/// and emptied whenever the other TLBs are (`satp` writes, `sfence.vma`, another [`Memory`]),
/// so it never answers differently from a walk the TLBs are allowed to skip. A polling loop
/// on a device register under Sv39 then costs a lookup per access instead of a page walk.
#[derive(Clone, Debug)]
pub struct DeviceTlb {
    /// `[load, store]`: (tag or [`TLB_EMPTY`], physical page address).
    entries: [[(u64, u64); DEVICE_TLB_SIZE]; 2],
}

impl Default for DeviceTlb {
    fn default() -> DeviceTlb {
        DeviceTlb {
            entries: [[(TLB_EMPTY, 0); DEVICE_TLB_SIZE]; 2],
        }
    }
}

impl DeviceTlb {
    fn slot(va: u64) -> usize {
        (va >> 12) as usize & (DEVICE_TLB_SIZE - 1)
    }

    /// The physical address of `va` for a load (`Access::Load`) or store under `ctx`, if its
    /// page is cached.
    #[inline]
    pub fn lookup(&self, va: u64, ctx: u64, access: Access) -> Option<u64> {
        let (tag, page) = self.entries[usize::from(access == Access::Store)][Self::slot(va)];
        (tag == (va & !0xfff) | ctx).then_some(page | (va & 0xfff))
    }

    /// Caches the translation of `va`'s page to `pa`'s (a page outside RAM) for `access`
    /// under `ctx`.
    pub fn insert(&mut self, va: u64, ctx: u64, access: Access, pa: u64) {
        self.entries[usize::from(access == Access::Store)][Self::slot(va)] =
            ((va & !0xfff) | ctx, pa & !0xfff);
    }

    /// Drops the entries `va`'s page would occupy, under every context.
    pub fn flush_page(&mut self, va: u64) {
        for kind in &mut self.entries {
            kind[Self::slot(va)] = (TLB_EMPTY, 0);
        }
    }

    /// Empties the TLB.
    pub fn flush(&mut self) {
        *self = DeviceTlb::default();
    }
}

/// A TLB context without its generation: the privilege in bits 3 and 4, SUM in bit 5 and MXR
/// in bit 6 (see [`CTX_SHIFT`]).
fn context(privilege: u8, sum: bool, mxr: bool) -> u64 {
    (u64::from(privilege) | u64::from(sum) << 2 | u64::from(mxr) << 3) << CTX_SHIFT
}

/// The kind of a memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Instruction fetch.
    Fetch,
    /// Load (and LR).
    Load,
    /// Store, SC and AMO.
    Store,
}

impl Access {
    fn page_fault(self, va: u64) -> Trap {
        let cause = match self {
            Access::Fetch => CAUSE_FETCH_PAGE,
            Access::Load => CAUSE_LOAD_PAGE,
            Access::Store => CAUSE_STORE_PAGE,
        };
        Trap::new(cause, va)
    }

    pub(crate) fn access_fault(self, va: u64) -> Trap {
        let cause = match self {
            Access::Fetch => CAUSE_FETCH_ACCESS,
            Access::Load => CAUSE_LOAD_ACCESS,
            Access::Store => CAUSE_STORE_ACCESS,
        };
        Trap::new(cause, va)
    }

    fn misaligned(self, va: u64) -> Trap {
        let cause = match self {
            Access::Fetch => CAUSE_FETCH_MISALIGNED,
            Access::Load => CAUSE_LOAD_MISALIGNED,
            Access::Store => CAUSE_STORE_MISALIGNED,
        };
        Trap::new(cause, va)
    }
}

/// Where an aligned atomic access goes.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// RAM at this offset.
    Ram(usize),
    /// A device at this physical address.
    Bus(u64),
}

impl Hart {
    /// The privilege data accesses are checked at (MPRV applies MPP to M-mode loads/stores).
    pub(crate) fn data_privilege(&self) -> u8 {
        let m = self.csr.mstatus;
        if self.privilege == PRIV_M && m & MSTATUS_MPRV != 0 {
            ((m & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) as u8
        } else {
            self.privilege
        }
    }

    /// Recomputes the TLB contexts after a change of privilege, mstatus or a TLB's
    /// generation.
    pub(crate) fn update_ctx(&mut self) {
        let m = self.csr.mstatus;
        self.fetch_ctx = context(self.privilege, false, false) | self.tlb_fetch.generation();
        let data = context(
            self.data_privilege(),
            m & MSTATUS_SUM != 0,
            m & MSTATUS_MXR != 0,
        );
        self.data_ctx = data | self.tlb_load.generation();
        self.store_ctx = data | self.tlb_store.generation();
    }

    /// Empties every TLB.
    pub(crate) fn flush_tlbs(&mut self) {
        self.jump_cache_stale();
        self.tlb_fetch.flush();
        self.tlb_load.flush();
        self.tlb_store.flush();
        self.tlb_device.flush();
        self.superpages = NO_SUPERPAGES;
        self.update_ctx();
    }

    /// Empties the store TLB: a page became a code page, or written-page marks were taken.
    pub(crate) fn flush_store_tlb(&mut self) {
        self.tlb_store.flush();
        self.update_ctx();
    }

    /// `sfence.vma` for the virtual address `va` (any address space): drops the TLB entries
    /// of `va`'s page, or every entry when `va` may lie in a superpage the TLBs hold 4 KiB
    /// pieces of.
    pub(crate) fn flush_tlbs_at(&mut self, va: u64) {
        let (lo, hi) = self.superpages;
        if (lo..=hi).contains(&va) {
            self.flush_tlbs();
            return;
        }
        self.jump_cache_stale_at(va);
        self.tlb_fetch.flush_page(va);
        self.tlb_load.flush_page(va);
        self.tlb_store.flush_page(va);
        self.tlb_device.flush_page(va);
    }

    /// Translates `va` for `access`, returning the physical address.
    pub(crate) fn translate(
        &mut self,
        mem: &mut Memory,
        va: u64,
        access: Access,
    ) -> Result<u64, Trap> {
        let m = self.csr.mstatus;
        let (privilege, sum, mxr) = match access {
            Access::Fetch => (self.privilege, false, false),
            _ => (
                self.data_privilege(),
                m & MSTATUS_SUM != 0,
                m & MSTATUS_MXR != 0,
            ),
        };
        let mode = self.csr.satp >> 60;
        if privilege == PRIV_M || mode == SATP_MODE_BARE {
            return Ok(va);
        }
        let levels: u32 = if mode == SATP_MODE_SV39 { 3 } else { 4 };
        let va_bits = 12 + 9 * levels;
        let shift = 64 - va_bits;
        if (((va << shift) as i64) >> shift) as u64 != va {
            return Err(access.page_fault(va));
        }
        let mut table = (self.csr.satp & SATP_PPN) << 12;
        for level in (0..levels).rev() {
            let vpn = (va >> (12 + 9 * level)) & 0x1ff;
            let pte_addr = table + vpn * 8;
            let off = mem.offset(pte_addr, 8).ok_or(access.access_fault(va))?;
            let pte = mem.load(off, 8).ok_or(access.access_fault(va))?;
            if pte & PTE_V == 0 || (pte & PTE_R == 0 && pte & PTE_W != 0) || pte >> 54 != 0 {
                return Err(access.page_fault(va));
            }
            let ppn = (pte >> 10) & SATP_PPN;
            if pte & (PTE_R | PTE_X) == 0 {
                if pte & (PTE_D | PTE_A | PTE_U) != 0 || level == 0 {
                    return Err(access.page_fault(va));
                }
                table = ppn << 12;
                continue;
            }
            let user = pte & PTE_U != 0;
            let privilege_ok = match privilege {
                PRIV_U => user,
                PRIV_S => !user || (access != Access::Fetch && sum),
                _ => true,
            };
            let permission_ok = match access {
                Access::Fetch => pte & PTE_X != 0,
                Access::Load => pte & PTE_R != 0 || (mxr && pte & PTE_X != 0),
                Access::Store => pte & PTE_W != 0,
            };
            let low_mask = (1u64 << (9 * level)) - 1;
            if !privilege_ok || !permission_ok || ppn & low_mask != 0 {
                return Err(access.page_fault(va));
            }
            let wanted = PTE_A | if access == Access::Store { PTE_D } else { 0 };
            if pte & wanted != wanted {
                let dropped = mem
                    .store(off, 8, pte | wanted)
                    .ok_or(access.access_fault(va))?;
                self.code_dropped |= dropped;
            }
            let page_offset_mask = (1u64 << (12 + 9 * level)) - 1;
            if level > 0 {
                let (lo, hi) = self.superpages;
                self.superpages = (
                    lo.min(va & !page_offset_mask),
                    hi.max(va | page_offset_mask),
                );
            }
            return Ok((ppn << 12) | (va & page_offset_mask));
        }
        Err(access.page_fault(va))
    }

    /// The RAM offset of the page of instruction address `va`, via the fetch TLB.
    pub(crate) fn fetch_page(&mut self, mem: &mut Memory, va: u64) -> Result<usize, Trap> {
        if let Some(off) = self
            .tlb_fetch
            .lookup(va & !0xfff, self.fetch_ctx, self.ram_host)
        {
            return Ok(off);
        }
        let pa = self.translate(mem, va, Access::Fetch)?;
        let off = mem
            .offset(pa & !0xfff, 4096)
            .ok_or(Access::Fetch.access_fault(va))?;
        self.tlb_fetch
            .insert(va, self.fetch_ctx, off, self.ram_host);
        Ok(off)
    }

    /// Fetches and decodes the instruction at `pc` through the decode cache and returns
    /// its slot: slot `(pc & 0xfff) / 2` of the block of `pc`'s page, or, for an instruction
    /// that straddles a page boundary (never cached), of the hart's straddle block. Either
    /// block has at least [`SLOTS`] + 1 slots and every slot not yet decoded is
    /// not decoded. Instructions are fetched from RAM only.
    #[inline(never)]
    pub(crate) fn fetch_slow(&mut self, mem: &mut Memory, pc: u64) -> Result<*const Slot, Trap> {
        let off = self.fetch_page(mem, pc)?;
        let in_page = (pc & 0xfff) as usize;
        let slot = in_page >> 1;
        let (block, created) = mem
            .code
            .block(off / 4096)
            .ok_or(Access::Fetch.access_fault(pc))?;
        if created {
            self.flush_store_tlb();
        }
        self.code_dropped = false;
        debug_assert!(slot < SLOTS);
        // SAFETY: `block` points at a live block of SLOTS + 1 entries and `slot` < 4096 / 2.
        let ip = unsafe { block.add(slot) };
        // SAFETY: as above; no reference into the block is live.
        if unsafe { (*ip).id } != ID_NOT_DECODED {
            return Ok(ip);
        }
        let lo = mem
            .load(off + in_page, 2)
            .ok_or(Access::Fetch.access_fault(pc))?;
        let raw = if lo & 3 != 3 {
            lo
        } else if in_page == 0xffe {
            let next = pc.wrapping_add(2);
            let off1 = self.fetch_page(mem, next)?;
            let hi = mem.load(off1, 2).ok_or(Access::Fetch.access_fault(next))?;
            self.code_dropped = false;
            let raw = (lo | hi << 16) as u32;
            let straddle = &mut self.straddle[SLOTS - 1];
            *straddle = Slot::new(&decode(raw), raw, mem.code.handlers());
            return Ok(straddle);
        } else {
            mem.load(off + in_page, 4)
                .ok_or(Access::Fetch.access_fault(pc))?
        };
        // SAFETY: as above; no reference into the block is live.
        unsafe { *ip = Slot::new(&decode(raw as u32), raw as u32, mem.code.handlers()) };
        Ok(ip)
    }

    /// Translates both pages of a page-crossing access of `size` bytes at `va`, returning the
    /// RAM offset of every byte.
    fn split_offsets(
        &mut self,
        mem: &mut Memory,
        va: u64,
        size: u64,
        access: Access,
    ) -> Result<[usize; 8], Trap> {
        let first = 4096 - (va & 0xfff);
        let va1 = va.wrapping_add(first);
        let pa0 = self.translate(mem, va, access)?;
        let pa1 = self.translate(mem, va1, access)?;
        let off0 = mem.offset(pa0, first).ok_or(access.misaligned(va))?;
        let off1 = mem.offset(pa1, size - first).ok_or(access.misaligned(va))?;
        let mut offs = [0usize; 8];
        for (i, o) in offs.iter_mut().enumerate().take(size as usize) {
            let i = i as u64;
            *o = if i < first {
                off0 + i as usize
            } else {
                off1 + (i - first) as usize
            };
        }
        Ok(offs)
    }

    /// A load of `size` bytes at `va` that missed the load TLB. An aligned load from a device
    /// page the device TLB holds goes straight to the bus, from the caller's frame (a polled
    /// device register costs little more than a RAM load); everything else takes
    /// [`Hart::load_walk`].
    #[inline]
    pub(crate) fn load_slow<B: Bus>(
        &mut self,
        mem: &mut Memory,
        bus: &mut B,
        va: u64,
        size: u64,
        position: u64,
    ) -> Result<u64, Trap> {
        if va & (size - 1) == 0 {
            if let Some(pa) = self.tlb_device.lookup(va, self.data_ctx, Access::Load) {
                return self
                    .bus_load(bus, pa, size, position)
                    .map_err(|_| Access::Load.access_fault(va));
            }
        }
        self.load_walk(mem, bus, va, size, position)
    }

    /// A load that missed the load TLB and the device TLB (or is misaligned).
    #[inline(never)]
    fn load_walk<B: Bus>(
        &mut self,
        mem: &mut Memory,
        bus: &mut B,
        va: u64,
        size: u64,
        position: u64,
    ) -> Result<u64, Trap> {
        let fault = Access::Load.access_fault(va);
        if (va & 0xfff) + size > 4096 {
            let offs = self.split_offsets(mem, va, size, Access::Load)?;
            let mut value = 0;
            for (i, &o) in offs.iter().enumerate().take(size as usize) {
                value |= mem.load(o, 1).ok_or(fault)? << (8 * i);
            }
            return Ok(value);
        }
        let pa = self.translate(mem, va, Access::Load)?;
        if let Some(off) = mem.offset(pa & !0xfff, 4096) {
            self.tlb_load.insert(va, self.data_ctx, off, self.ram_host);
            return mem
                .load(off + (pa & 0xfff) as usize, size as usize)
                .ok_or(fault);
        }
        self.tlb_device.insert(va, self.data_ctx, Access::Load, pa);
        if va & (size - 1) != 0 {
            return Err(Access::Load.misaligned(va));
        }
        self.bus_load(bus, pa, size, position).map_err(|_| fault)
    }

    /// A store of `size` bytes at `va` that missed the store TLB; like [`Hart::load_slow`],
    /// an aligned store to a device page the device TLB holds goes straight to the bus.
    #[inline]
    pub(crate) fn store_slow<B: Bus>(
        &mut self,
        mem: &mut Memory,
        bus: &mut B,
        va: u64,
        size: u64,
        value: u64,
        position: u64,
    ) -> Result<(), Trap> {
        if va & (size - 1) == 0 {
            if let Some(pa) = self.tlb_device.lookup(va, self.data_ctx, Access::Store) {
                return self
                    .bus_store(bus, pa, size, value, position)
                    .map_err(|_| Access::Store.access_fault(va));
            }
        }
        self.store_walk(mem, bus, va, size, value, position)
    }

    /// A store that missed the store TLB and the device TLB (or is misaligned).
    #[inline(never)]
    fn store_walk<B: Bus>(
        &mut self,
        mem: &mut Memory,
        bus: &mut B,
        va: u64,
        size: u64,
        value: u64,
        position: u64,
    ) -> Result<(), Trap> {
        let fault = Access::Store.access_fault(va);
        if (va & 0xfff) + size > 4096 {
            let offs = self.split_offsets(mem, va, size, Access::Store)?;
            for (i, &o) in offs.iter().enumerate().take(size as usize) {
                self.code_dropped |= mem.store(o, 1, value >> (8 * i)).ok_or(fault)?;
            }
            return Ok(());
        }
        let pa = self.translate(mem, va, Access::Store)?;
        if let Some(off) = mem.offset(pa & !0xfff, 4096) {
            self.code_dropped |= mem
                .store(off + (pa & 0xfff) as usize, size as usize, value)
                .ok_or(fault)?;
            self.tlb_store
                .insert(va, self.store_ctx, off, self.ram_host);
            return Ok(());
        }
        self.tlb_device.insert(va, self.data_ctx, Access::Store, pa);
        if va & (size - 1) != 0 {
            return Err(Access::Store.misaligned(va));
        }
        self.bus_store(bus, pa, size, value, position)
            .map_err(|_| fault)
    }

    /// Loads `size` bytes at physical `pa` from the bus, and notes in `device_touched`
    /// whether the board needs attention before the next instruction (see [`Bus`]).
    #[inline]
    pub(crate) fn bus_load<B: Bus>(
        &mut self,
        bus: &mut B,
        pa: u64,
        size: u64,
        position: u64,
    ) -> Result<u64, BusFault> {
        let value = bus.load(pa, size as u8, position);
        self.device_touched |= bus.take_attention();
        value
    }

    /// Stores `size` bytes of `value` at physical `pa` on the bus, and notes in
    /// `device_touched` whether the board needs attention before the next instruction.
    #[inline]
    pub(crate) fn bus_store<B: Bus>(
        &mut self,
        bus: &mut B,
        pa: u64,
        size: u64,
        value: u64,
        position: u64,
    ) -> Result<(), BusFault> {
        let result = bus.store(pa, size as u8, value, position);
        self.device_touched |= bus.take_attention();
        result
    }

    /// Resolves a naturally aligned LR (`Load`), SC or AMO (`Store`) of `size` bytes at `va`.
    pub(crate) fn atomic_target(
        &mut self,
        mem: &mut Memory,
        va: u64,
        size: u64,
        access: Access,
    ) -> Result<Target, Trap> {
        if va & (size - 1) != 0 {
            return Err(access.misaligned(va));
        }
        let (tlb, ctx) = if access == Access::Store {
            (&self.tlb_store, self.store_ctx)
        } else {
            (&self.tlb_load, self.data_ctx)
        };
        if let Some(off) = tlb.lookup(va, ctx, self.ram_host) {
            return Ok(Target::Ram(off));
        }
        if let Some(pa) = self.tlb_device.lookup(va, self.data_ctx, access) {
            return Ok(Target::Bus(pa));
        }
        let pa = self.translate(mem, va, access)?;
        match mem.offset(pa & !0xfff, 4096) {
            Some(off) => {
                let page = off / 4096;
                if access == Access::Load {
                    self.tlb_load.insert(va, self.data_ctx, off, self.ram_host);
                } else if !mem.code.is_code(page) {
                    // Stores through a store-TLB entry do not mark their page, so making the
                    // entry must: an SC that fails stores nothing and would leave it unmarked.
                    mem.mark_written(off);
                    self.tlb_store
                        .insert(va, self.store_ctx, off, self.ram_host);
                }
                Ok(Target::Ram(off + (pa & 0xfff) as usize))
            }
            None => {
                self.tlb_device.insert(va, self.data_ctx, access, pa);
                Ok(Target::Bus(pa))
            }
        }
    }

    /// Reads the raw bits of the `len`-byte instruction at `pc` (for `xtval` of an illegal
    /// instruction); 0 if they cannot be fetched.
    pub(crate) fn raw_instruction(&mut self, mem: &mut Memory, pc: u64, len: u8) -> u64 {
        let mut raw = 0;
        for half in 0..u64::from(len / 2) {
            let va = pc.wrapping_add(2 * half);
            let Ok(off) = self.fetch_page(mem, va) else {
                return 0;
            };
            let Some(bits) = mem.load(off + (va & 0xfff) as usize, 2) else {
                return 0;
            };
            raw |= bits << (16 * half);
        }
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every context the hart can form: privilege, SUM, MXR and generation.
    fn contexts() -> Vec<u64> {
        let mut all = Vec::new();
        for privilege in [PRIV_U, PRIV_S, PRIV_M] {
            for (sum, mxr) in [(false, false), (false, true), (true, false), (true, true)] {
                for generation in 0..GENERATIONS {
                    all.push(context(privilege, sum, mxr) | generation << GENERATION_SHIFT);
                }
            }
        }
        all
    }

    /// The hit test of compiled code (`Translator::tlb_probe`): the page of the access's
    /// last byte, XOR-ed with the tag, equals the context.
    fn compiled_hit(tag: u64, va: u64, n: u64, ctx: u64) -> bool {
        (va.wrapping_add(n - 1) & !0xfff) ^ tag == ctx
    }

    #[test]
    fn the_compiled_hit_test_matches_only_an_access_inside_the_entrys_page_and_context() {
        let pages = [0, 0x5000, 0xffff_ffff_ffff_f000];
        let all = contexts();
        for &page in &pages {
            for n in [1, 2, 4, 8] {
                for low in (0..16).chain(0xff0..0x1000) {
                    let va = page | low;
                    let inside = low + n <= 4096;
                    for &ctx in &all {
                        assert!(!compiled_hit(TLB_EMPTY, va, n, ctx), "empty entry hit");
                        for &made in &all {
                            let tag = page | made;
                            let hit = compiled_hit(tag, va, n, ctx);
                            assert_eq!(hit, inside && made == ctx, "va {va:#x} n {n}");
                            // The one other kind of page this entry may hold: one with the
                            // same index.
                            let other = compiled_hit(tag ^ (TLB_SIZE as u64) << 12, va, n, ctx);
                            assert!(!other, "another page hit");
                        }
                    }
                }
            }
        }
    }
}
