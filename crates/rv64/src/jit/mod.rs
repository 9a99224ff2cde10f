//! The just-in-time compiler: hot guest blocks translated to host code with Cranelift.
//!
//! # Tiers
//!
//! The interpreter is the first tier and the reference. It counts taken branches per target
//! (a small hashed table in the hart); when a target reaches the threshold, the block that
//! starts there is compiled and its first decode-cache slot is replaced by a *JIT slot*,
//! whose handler enters the compiled code. The original slot is kept with the block, so the
//! interpreter can still execute the instruction itself.
//!
//! By default the compiling is done by a thread of its own, so that the interpreter goes on
//! while Cranelift works: the interpreter hands it the block's decoded slots and installs
//! the code it returns at the start of a later run, after checking that the page still
//! holds the same instructions (it may have been written or evicted meanwhile). When a block
//! is compiled only changes how fast the guest runs, never what it does: a compiled block
//! and the interpreter reach the same state at every position.
//!
//! # Blocks
//!
//! A block is code of one physical page, from its start on, at most `MAX_BLOCK`
//! instructions, and only instructions the compiler handles: a run of instructions up to
//! the first jump (`jal`, `jalr`), then the runs at the targets further on in the page of
//! its `j`s and conditional branches (see `Hart::block_source`). A run goes on past
//! conditional branches: the code a branch falls through to is compiled with the branch,
//! since the interpreter, which counts taken branches, would never find it hot. A branch
//! or jump to an instruction of the block itself stays inside it: an `if` skips ahead in
//! the block's code, an `else` laid out further on is reached and left by jumps, a loop
//! loops inside it; one to anywhere else leaves it. A branch back to the block's start
//! ends its run, and what follows the loop is a block of its own. For the same reason, a
//! run cut by the block's length, its page's end or its loop's end has the block it runs
//! on into compiled as soon as compiled code reaches it ([`EXIT_RUN_ON`]).
//!
//! Integer and M-extension arithmetic, `lui`/`auipc`, loads and stores (integer
//! and FP), branches and jumps, and fences are compiled into code of their own; F/D
//! arithmetic into calls of the interpreter's FPU routine ([`fp`]); atomics and CSR
//! accesses into calls of the interpreter for that one instruction ([`interpret`]).
//! Anything else (`ecall`, `mret`, `sret`, `wfi`, `sfence.vma`, illegal instructions) ends
//! the block before it and is executed by the interpreter.
//!
//! # Exact positions
//!
//! Compiled code never lets the position pass the chain's end (`jit_end`): a block enters
//! only when its whole length fits, and a jump back inside it goes on only when the rest of
//! the block from its target fits (`EXIT_BUDGET` otherwise, at the block's start or at the
//! jump's target). A load or store that misses the TLB calls `access`, which does what the
//! interpreter's slow path would do at that instruction: fill the TLB entry of a RAM access
//! inside one page, aligned or not (the block goes on), or perform an aligned device access
//! through the device TLB — the block goes on after one the board need not see, so a
//! polling loop stays in compiled code (and reads a status register again from its last
//! load, [`Peek`], without the helper), and leaves after retiring one it must see
//! (`EXIT_DEVICE`) or at one that faulted, with its trap (`EXIT_TRAP`). Anything else (an
//! access across pages, a misaligned device access, a store into code, a page fault)
//! leaves the block at exactly that instruction (`EXIT_SIDE`), with `pc`, the position and
//! the registers the block has changed written back (compiled code keeps registers in host
//! registers and stores them on the paths that leave or call the interpreter), and the
//! interpreter executes it with its exact trap semantics. Blocks that end in a jump look their successor up in the
//! hart's jump cache and tail-call it, so hot loops never return to the interpreter.

//! # Invalidation
//!
//! Compiled blocks live in the decode cache's pages: a write to a page drops its decoded
//! slots and with them its JIT slots, and bumps `jit_epoch`, which makes the hart empty its
//! jump cache before compiled code runs again. Stores in compiled code go through the store
//! TLB, which never maps a page with decoded code, so a store into code leaves the block and
//! reaches the interpreter's invalidating slow path. `sfence.vma` and `satp` writes empty the
//! jump cache too, since it is keyed by virtual address. When the code cache reaches its
//! bound, every compiled block is dropped at once (each JIT slot gets its original
//! instruction back) and compilation starts afresh.

mod arena;
mod shim;
mod translate;

use std::collections::HashSet;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;

use crate::decode_cache::{Slot, ID_JIT, ID_LEN2};
use crate::execute::op_of;
use crate::insn::Op;
use crate::mmu::CTX_SHIFT;
use arena::Arena;
use translate::Shims;

/// What the JIT has done to one [`crate::Memory`]'s code since it was made: for tests and
/// statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitStats {
    /// Blocks compiled.
    pub compiled: u64,
    /// Times the whole code cache was emptied because it reached its size bound.
    pub evictions: u64,
    /// Compiled blocks dropped because their page was written.
    pub invalidated: u64,
    /// Bytes of host code in the cache now.
    pub code_bytes: usize,
    /// Nanoseconds spent compiling.
    pub compile_nanos: u64,
    /// Times the interpreter entered compiled code.
    pub entries: u64,
    /// Times compiled code left at an instruction for the interpreter (a TLB miss, a
    /// misaligned or device access).
    pub side_exits: u64,
    /// Times compiled code left because its successor was not compiled (or not in the fetch
    /// TLB).
    pub lookup_misses: u64,
    /// Blocks entered into the jump cache, which compiled code finds its successors in:
    /// once per successor after the cache was emptied.
    pub jump_cache_fills: u64,
    /// Instructions retired by compiled code (the rest were retired by the interpreter).
    pub compiled_instructions: u64,
}

/// The default bound on the code cache's host code, in bytes.
pub const DEFAULT_CODE_LIMIT: usize = 64 << 20;

/// Taken branches to a block's start, counted by the interpreter, before the block is
/// compiled. Cranelift takes 0.2–0.5 ms per block on this project's machines, as long as
/// the interpreter takes to run a short block some 20,000 times. Compiled inline, below a
/// few thousand a Linux boot spent more time compiling lukewarm code than it saved (at 64,
/// 20,000 blocks cost 5 s of a 12 s boot; at 8,000, 0.9 s). Compiled in the background, a
/// lower threshold queues more blocks than the compiler thread keeps up with: a boot took
/// the same time at 2,000 (4,000 blocks, 1.9 s of compiling) and longer at 1,000 (measured
/// with `vmft run --stats`).
pub const DEFAULT_THRESHOLD: u16 = 8000;

/// Longest block, in instructions.
pub(crate) const MAX_BLOCK: usize = 64;

/// Compiled code returned because its successor is not in the jump cache; `pc` is the
/// successor's.
pub(crate) const EXIT_LOOKUP: u32 = 0;
/// Compiled code returned at an instruction the interpreter must execute (`pc` is its).
pub(crate) const EXIT_SIDE: u32 = 1;
/// A block did not fit before the chain's end; `pc` is its start.
pub(crate) const EXIT_BUDGET: u32 = 2;
/// Compiled code retired a device access the board must act on; `pc` is the next
/// instruction's.
pub(crate) const EXIT_DEVICE: u32 = 3;
/// A device access faulted at `pc`; the trap is in the hart's `fault`.
pub(crate) const EXIT_TRAP: u32 = 4;
/// The interpreter executed an instruction for compiled code and left the hart exact, but
/// not as an ordinary instruction would (see [`interpret`]); the way the interpreter's
/// chain went on is in the hart's `jit_flow`.
pub(crate) const EXIT_INTERPRETED: u32 = 5;
/// As [`EXIT_LOOKUP`], from a block cut by its length, its page's end or its loop's end,
/// whose code runs on at `pc`: the successor is compiled at once. Reached only by falling
/// through, it is never a taken branch's target, and the interpreter would never find it
/// hot (an unrolled hash function in the kernel ran 70% of a boot's interpreted
/// instructions so).
pub(crate) const EXIT_RUN_ON: u32 = 6;

/// Entries of the jump cache, per fetch context.
pub(crate) const JC_SIZE: usize = 1024;
/// Fetch contexts (privileges 0..=3), each with a jump cache of its own.
pub(crate) const JC_CONTEXTS: usize = 4;
/// Bits of the hart's filter of the virtual pages the jump cache holds blocks of.
pub(crate) const JC_PAGE_BITS: usize = 4096;
/// Where the page of virtual address `va` is in the hart's `jc_pages` filter: the word and
/// its bit.
fn jc_page_bit(va: u64) -> (usize, u64) {
    let page = (va >> 12) as usize % JC_PAGE_BITS;
    (page / 64, 1 << (page % 64))
}

/// Entries of the interpreter's table of taken-branch counts.
pub(crate) const HEAT_SIZE: usize = 4096;

/// The last device load compiled code made through [`access`] whose value the bus could
/// give without the load ([`crate::Bus::peek`]: a status register): its virtual address, its
/// size and its value. A load of the same size at the same address reads it again from here
/// instead of calling the helper, so that a polling loop runs at the speed of ordinary loads.
///
/// Nothing can change such a value while compiled code does nothing but run, load and
/// store RAM and read it again: the board changes only through its accesses, which the
/// helpers make, or between the hart's runs. So every [`access`] and [`interpret`] call
/// empties it before doing anything else, and so does every entry into compiled code. The
/// translation from that address cannot change either: that takes a CSR write, an
/// `sfence.vma` or a trap, none of which happens without one of those.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct Peek {
    /// The load's virtual address.
    pub(crate) va: u64,
    /// Its size in bytes; 0 when empty.
    pub(crate) size: u64,
    /// The value the bus gave, zero-extended.
    pub(crate) value: u64,
}

/// One jump-cache entry: a virtual pc and the host code of the block compiled there. An
/// empty entry has an odd tag, which no pc has.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct JcEntry {
    pub(crate) pc: u64,
    pub(crate) code: usize,
}

/// An empty jump-cache entry.
pub(crate) const JC_EMPTY: JcEntry = JcEntry { pc: 1, code: 0 };

/// A compiled block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Block {
    /// Host address of its code.
    pub(crate) code: usize,
    /// Its length in instructions.
    pub(crate) insns: u64,
    /// The decode-cache slot its JIT slot replaced.
    pub(crate) orig: Slot,
}

/// Signature of the host trampoline: `(hart, block code) -> exit reason`.
pub(crate) type Trampoline = unsafe extern "C" fn(*mut crate::Hart, usize) -> u32;

/// The instructions of one block, to be compiled: each slot with its byte offset from the
/// block's start, in runs of consecutive instructions (see `Hart::block_source`), and
/// the offsets where a run stops before an instruction the compiler does not handle. A
/// run that stops anywhere else without a jump was cut by the block's length, its page's
/// end or its loop's end: its code runs on into another block there.
struct Source {
    insns: Vec<(Slot, u16)>,
    unsupported_at: Vec<u16>,
}

// SAFETY: a `Slot`'s handler is a plain code address; the compiler thread only reads the
// slots' operation and operands and never calls or dereferences it.
unsafe impl Send for Source {}

/// A block for the compiler thread: its RAM page and start offset, and its instructions.
struct Request {
    page: usize,
    start: u16,
    source: Source,
}

/// What the compiler thread made of a [`Request`]: the host code, or `None` if the block
/// could not be compiled.
struct Compiled {
    page: usize,
    start: u16,
    source: Source,
    code: Option<Vec<u8>>,
    /// Time the compiling took.
    nanos: u64,
}

/// The compiler thread and the blocks it has been asked for.
struct Worker {
    requests: Option<Sender<Request>>,
    results: Receiver<Compiled>,
    /// Blocks asked for and not yet installed (RAM page, start offset).
    pending: HashSet<(usize, u16)>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the request channel ends the thread once its current block is done.
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Cranelift's state for compiling blocks, one per compiling thread.
struct Compiler {
    isa: OwnedTargetIsa,
    fctx: FunctionBuilderContext,
    ctx: cranelift_codegen::Context,
    /// The helpers' shims.
    shims: Shims,
}

impl Compiler {
    fn new(isa: OwnedTargetIsa, shims: Shims) -> Compiler {
        Compiler {
            isa,
            fctx: FunctionBuilderContext::new(),
            ctx: cranelift_codegen::Context::new(),
            shims,
        }
    }

    /// Compiles `source` into host code, or `None` if it cannot.
    fn compile(&mut self, source: &Source) -> Option<Vec<u8>> {
        translate::block(
            &*self.isa,
            &mut self.fctx,
            &mut self.ctx,
            self.shims,
            source,
        )
    }
}

/// The compiler and its code cache, owned by one RAM's decode cache.
pub(crate) struct Jit {
    compiler: Compiler,
    arena: Arena,
    /// Calls compiled code from Rust (compiled blocks use Cranelift's tail-call convention).
    trampoline: Trampoline,
    /// Compiled blocks, indexed by their JIT slot's `imm`.
    pub(crate) blocks: Vec<Block>,
    /// The compiler thread, when compiling in the background (started at the first block).
    worker: Option<Worker>,
    /// `/tmp/perf-PID.map`, when [`PERF_MAP_VAR`] asks for it: names each block's host code
    /// for `perf report`.
    perf_map: Option<std::fs::File>,
}

/// Environment variable that, set to `1`, makes the JIT write `/tmp/perf-PID.map` (the
/// format `perf report` reads for code it finds no symbols for), one line per compiled
/// block naming the guest physical address it was compiled from, as QEMU's `-perfmap` and
/// .NET's `DOTNET_PerfMapEnabled` do. For profiling compiled code; off by default.
pub const PERF_MAP_VAR: &str = "VMFT_PERF_MAP";

/// Why a JIT could not be made.
#[derive(Debug)]
pub(crate) struct Unavailable;

impl Jit {
    /// A JIT whose code cache holds at most `limit` bytes, or `None` when the host cannot
    /// run one (no code generator for it, or no executable memory).
    pub(crate) fn new(limit: usize) -> Result<Jit, Unavailable> {
        let mut flags = settings::builder();
        // Tail calls chain blocks; Cranelift's x86-64 tail calls need frame pointers.
        flags
            .set("preserve_frame_pointers", "true")
            .map_err(|_| Unavailable)?;
        flags.set("opt_level", "speed").map_err(|_| Unavailable)?;
        // The IR is built by this module's code alone, from decoded instructions; verifying
        // every function costs more than a tenth of compile time.
        flags
            .set("enable_verifier", "false")
            .map_err(|_| Unavailable)?;
        let isa = cranelift_native::builder()
            .map_err(|_| Unavailable)?
            .finish(settings::Flags::new(flags))
            .map_err(|_| Unavailable)?;
        let mut arena = Arena::new(limit).ok_or(Unavailable)?;
        let shims = shim::shims().ok_or(Unavailable)?;
        let mut compiler = Compiler::new(isa, shims);
        let code = translate::trampoline(&*compiler.isa, &mut compiler.fctx, &mut compiler.ctx)
            .ok_or(Unavailable)?;
        let at = arena.push(&code).ok_or(Unavailable)?;
        arena.seal();
        // SAFETY: `at` holds the trampoline's code, compiled for this host with the
        // System V signature of `Trampoline`.
        let trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(at) };
        Ok(Jit {
            compiler,
            arena,
            trampoline,
            blocks: Vec::new(),
            worker: None,
            perf_map: perf_map(at, code.len()),
        })
    }

    /// The trampoline into compiled code.
    pub(crate) fn trampoline(&self) -> Trampoline {
        self.trampoline
    }

    /// Hands the block at `start` of RAM page `page` to the compiler thread, starting it if
    /// need be; gives `source` back if the thread cannot take it (the caller compiles it
    /// itself). A block already asked for is not asked for again.
    fn request(&mut self, page: usize, start: u16, source: Source) -> Result<(), Source> {
        if self.worker.is_none() {
            let (requests, inbox) = mpsc::channel::<Request>();
            let (outbox, results) = mpsc::channel();
            let mut compiler = Compiler::new(self.compiler.isa.clone(), self.compiler.shims);
            let spawned = thread::Builder::new()
                .name("vmft-jit".into())
                .spawn(move || {
                    for Request {
                        page,
                        start,
                        source,
                    } in inbox
                    {
                        let started = std::time::Instant::now();
                        let code = compiler.compile(&source);
                        let done = Compiled {
                            page,
                            start,
                            source,
                            code,
                            nanos: started.elapsed().as_nanos() as u64,
                        };
                        if outbox.send(done).is_err() {
                            break;
                        }
                    }
                });
            let Ok(thread) = spawned else {
                return Err(source);
            };
            self.worker = Some(Worker {
                requests: Some(requests),
                results,
                pending: HashSet::new(),
                thread: Some(thread),
            });
        }
        let Some(worker) = self.worker.as_mut() else {
            return Err(source);
        };
        if !worker.pending.insert((page, start)) {
            return Ok(());
        }
        let request = Request {
            page,
            start,
            source,
        };
        let Some(requests) = worker.requests.as_ref() else {
            return Err(request.source);
        };
        requests.send(request).map_err(|mpsc::SendError(request)| {
            worker.pending.remove(&(page, start));
            request.source
        })
    }

    /// True when the block at `start` of RAM page `page` has been handed to the compiler
    /// thread and not installed yet.
    fn pending(&self, page: usize, start: u16) -> bool {
        self.worker
            .as_ref()
            .is_some_and(|worker| worker.pending.contains(&(page, start)))
    }

    /// A block the compiler thread has finished, if any.
    fn finished(&mut self) -> Option<Compiled> {
        let worker = self.worker.as_mut()?;
        let done = worker.results.try_recv().ok()?;
        worker.pending.remove(&(done.page, done.start));
        Some(done)
    }

    /// Copies the code compiled for the block at guest physical address `pa` into the
    /// cache, returning its host address, or `None` when the cache is full.
    pub(crate) fn install(&mut self, code: &[u8], pa: u64) -> Option<usize> {
        let at = self.arena.push(code)?;
        self.arena.seal();
        if let Some(map) = self.perf_map.as_mut() {
            // A profile without names is all that a failed write costs.
            let _ = writeln!(map, "{at:x} {:x} vmft-jit-pa-{pa:x}", code.len());
        }
        Some(at)
    }

    /// The instruction `slot` stands for: itself, or for a JIT slot the original slot of its
    /// block (`None` if there is no such block).
    pub(crate) fn original(jit: Option<&Jit>, slot: Slot) -> Option<Slot> {
        if slot.id & !ID_LEN2 != ID_JIT {
            return Some(slot);
        }
        Some(jit?.blocks.get(slot.imm as usize)?.orig)
    }

    /// Bytes of compiled blocks in the cache.
    pub(crate) fn code_bytes(&self) -> usize {
        self.arena.used_by_blocks()
    }

    /// Drops every compiled block (the caller drops the pages that refer to them).
    pub(crate) fn clear(&mut self) {
        self.blocks.clear();
        self.arena.reset();
    }
}

/// The perf map file, opened and given the trampoline's line (at `at`, `len` bytes), when
/// [`PERF_MAP_VAR`] is `1`; `None` otherwise or if it cannot be created.
fn perf_map(at: usize, len: usize) -> Option<std::fs::File> {
    if std::env::var_os(PERF_MAP_VAR).is_none_or(|v| v != "1") {
        return None;
    }
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ok()?;
    writeln!(file, "{at:x} {len:x} vmft-jit-trampoline").ok()?;
    Some(file)
}

/// [`access`] for one bus type: `(hart, va, kind, store value, position) -> status`.
pub(crate) type Access = unsafe extern "C" fn(*mut crate::Hart, u64, u64, u64, u64) -> u64;

/// The interpreter's execution of one instruction for compiled code: `(bus, hart, slot, pc,
/// position) -> how its chain went on`, instantiated by the interpreter for its bus type.
pub(crate) type InterpretOne =
    unsafe fn(*mut (), &mut crate::Hart, Slot, u64, u64) -> crate::execute::Flow;

/// Executes the instruction `packed` ([`translate::pack`]) at `pc` and `position` for
/// compiled code, exactly as the interpreter would there. Returns 0 when it retired as an
/// ordinary instruction does (on to the next, position one on) without changing what
/// compiled code relies on: the translation contexts, the jump cache and the compiled
/// blocks. Otherwise (a trap, an interrupt it made pending, a device access the board must
/// see, a CSR write that changed the context, a store that dropped code) returns 1 with
/// the hart as the interpreter left it and the interpreter's [`crate::execute::Flow`] in
/// `jit_flow`; compiled code then leaves with [`EXIT_INTERPRETED`].
///
/// # Safety
/// Called only by compiled code, with the hart that `jit_enter` handed it (its `jit_mem`,
/// `jit_bus` and `jit_interpret` are those of the run, which nothing else uses while
/// compiled code runs).
pub(crate) unsafe extern "C" fn interpret(
    hart: *mut crate::Hart,
    packed: u64,
    pc: u64,
    position: u64,
) -> u64 {
    use crate::execute::Flow;
    // SAFETY: see the function's contract.
    let h = unsafe { &mut *hart };
    h.jit_peek = Peek::default();
    let (Some(interpret_one), bus) = (h.jit_interpret, h.jit_bus) else {
        return 1;
    };
    let id = packed as u8;
    // SAFETY: as above; the references end before the interpreter takes the memory.
    let (handler, epoch) = unsafe {
        let code = &(*h.jit_mem).code;
        (code.handlers()[usize::from(id)], code.jit_epoch)
    };
    let slot = Slot {
        handler,
        id,
        rd: (packed >> 8) as u8,
        rs1: (packed >> 16) as u8,
        rs2: (packed >> 24) as u8,
        imm: (packed >> 32) as i32,
    };
    let len = if id & ID_LEN2 != 0 { 2 } else { 4 };
    let before = (h.fetch_ctx, h.data_ctx, h.store_ctx, epoch, h.jc_stale);
    // SAFETY: `jit_bus` and `jit_interpret` were set together by `jit_enter` for its bus.
    let flow = unsafe { interpret_one(bus, h, slot, pc, position) };
    // SAFETY: as above; the interpreter is done with the memory.
    let epoch = unsafe { (*h.jit_mem).code.jit_epoch };
    let ordinary = matches!(flow, Flow::Exit(crate::Exit::Position))
        && h.pc == pc.wrapping_add(len)
        && h.position == position + 1
        && (h.fetch_ctx, h.data_ctx, h.store_ctx, epoch, h.jc_stale) == before;
    if ordinary {
        return 0;
    }
    h.jit_flow = Some(flow);
    1
}

/// An F/D computational op for compiled code: the instruction `raw`, executed as the
/// interpreter executes a slot with id [`crate::decode_cache::ID_FP`]. Returns 1, or 0 when the op is illegal
/// (FS off or a reserved rounding mode), having changed nothing: compiled code then leaves
/// for the interpreter to raise the trap. A call of its own rather than [`interpret`]'s
/// one-instruction chain, whose set-up costs more than the op in a loop of doubles.
///
/// # Safety
/// Called only by compiled code, with the hart that `jit_enter` handed it.
pub(crate) unsafe extern "C" fn fp(hart: *mut crate::Hart, raw: u64) -> u64 {
    // SAFETY: see the function's contract.
    let h = unsafe { &mut *hart };
    u64::from(h.exec_fp(crate::decode::decode(raw as u32)))
}

/// The slow path of a load or store in compiled code (`kind & 0xff` bytes at `va`, a store
/// of `value` with [`translate::ACCESS_STORE`] in `kind`, at `position`), which missed the
/// TLB, on the bus of type `B`: does exactly what the interpreter's slow path would do at
/// this instruction, or nothing. Returns
/// - [`translate::ACCESS_DONE`] when the access is one inside an ordinary RAM page (aligned
///   or not), done with the page walk (and its accessed and dirty bits) and the TLB entry
///   filled, or an aligned one to a device that the board need not see;
/// - [`translate::ACCESS_DEVICE_LOUD`] for an aligned device access done that the board
///   must act on before the next instruction;
/// - [`translate::ACCESS_TRAP`] when that device access faulted (the trap is in `fault`);
/// - [`translate::ACCESS_SIDE`] when the interpreter must do the access instead, having
///   done nothing it would not do again identically: across pages, misaligned to a device,
///   faulting translation, a store to a page with decoded code, or a walk whose PTE update
///   dropped compiled code.
///
/// A load that was done leaves its value in `jit_value` and in its destination, `kind >>
/// ACCESS_RD_SHIFT`, extended as `ACCESS_SIGNED` says (for the path that leaves the block).
///
/// # Safety
/// Called only by compiled code, with the hart that `jit_enter` handed it: its `jit_mem`
/// and `jit_bus` are the memory and the `B` of that run, which nothing else uses while
/// compiled code runs.
pub(crate) unsafe extern "C" fn access<B: crate::Bus>(
    hart: *mut crate::Hart,
    va: u64,
    kind: u64,
    value: u64,
    position: u64,
) -> u64 {
    use translate::{ACCESS_DEVICE_LOUD, ACCESS_DONE, ACCESS_SIDE, ACCESS_STORE, ACCESS_TRAP};
    const SIDE: u64 = ACCESS_SIDE as u64;
    // SAFETY: see the function's contract: both pointers are live and unaliased for the
    // duration of the call.
    let (h, mem) = unsafe { (&mut *hart, &mut *(*hart).jit_mem) };
    h.jit_peek = Peek::default();
    let size = kind & 0xff;
    let store = kind & ACCESS_STORE as u64 != 0;
    if (va & 0xfff) + size > 4096 {
        return SIDE;
    }
    let misaligned = va & (size - 1) != 0;
    let access = if store {
        crate::mmu::Access::Store
    } else {
        crate::mmu::Access::Load
    };
    let pa = match h.tlb_device.lookup(va, h.data_ctx, access) {
        Some(pa) => pa,
        None => {
            let epoch = mem.code.jit_epoch;
            let Ok(pa) = h.translate(mem, va, access) else {
                return SIDE;
            };
            if h.code_dropped || mem.code.jit_epoch != epoch {
                h.code_dropped = false;
                return SIDE;
            }
            if let Some(off) = mem.offset(pa & !0xfff, 4096) {
                let at = off + (pa & 0xfff) as usize;
                if !store {
                    h.tlb_load.insert(va, h.data_ctx, off, h.ram_host);
                    let Some(loaded) = mem.load(at, size as usize) else {
                        return SIDE;
                    };
                    h.load_done(kind, loaded);
                    return ACCESS_DONE as u64;
                }
                if mem.code.is_code(off / 4096) {
                    return SIDE;
                }
                // A store-TLB entry is made only with its page marked written (see
                // `Memory`), which the store does.
                if mem.store(at, size as usize, value).is_none() {
                    return SIDE;
                }
                h.tlb_store.insert(va, h.store_ctx, off, h.ram_host);
                return ACCESS_DONE as u64;
            }
            h.tlb_device.insert(va, h.data_ctx, access, pa);
            pa
        }
    };
    // A misaligned device access is the interpreter's misaligned-address exception (after
    // the same walk and device-TLB entry).
    if misaligned {
        return SIDE;
    }
    // SAFETY: by the function's contract, `jit_bus` is the run's live, unaliased `B`.
    let bus = unsafe { &mut *h.jit_bus.cast::<B>() };
    if !store {
        if let Some(value) = bus.peek(pa, size as u8) {
            h.jit_peek = Peek { va, size, value };
            h.load_done(kind, value);
            return ACCESS_DONE as u64;
        }
    }
    let result = if store {
        h.bus_store(bus, pa, size, value, position).map(|()| 0)
    } else {
        h.bus_load(bus, pa, size, position)
    };
    match result {
        Ok(loaded) => {
            if !store {
                h.load_done(kind, loaded);
            }
            if std::mem::take(&mut h.device_touched) {
                ACCESS_DEVICE_LOUD as u64
            } else {
                ACCESS_DONE as u64
            }
        }
        Err(_) => {
            h.fault = Some(access.access_fault(va));
            ACCESS_TRAP as u64
        }
    }
}

impl crate::Hart {
    /// Leaves the value `loaded` of a load [`access`] did (`kind` as it was given) in
    /// `jit_value` and in the load's destination, extended: sign-extended from the access's
    /// size for a signed load, kept as it is otherwise (as the interpreter keeps a device's
    /// value).
    fn load_done(&mut self, kind: u64, loaded: u64) {
        use translate::{ACCESS_RD_SHIFT, ACCESS_SIGNED};
        let shift = 64 - 8 * (kind & 0xff) as u32;
        let value = if kind & ACCESS_SIGNED as u64 != 0 && shift > 0 {
            ((loaded << shift) as i64 >> shift) as u64
        } else {
            loaded
        };
        self.jit_value = value;
        let rd = (kind >> ACCESS_RD_SHIFT) as usize & 0xff;
        if (1..32).contains(&rd) {
            self.x[rd] = value;
        }
    }

    /// The jump cache's table for the current fetch context: one per privilege.
    fn jc_context(&self) -> usize {
        (self.fetch_ctx >> CTX_SHIFT) as usize & (JC_CONTEXTS - 1)
    }

    /// Marks every table of the jump cache stale: each is emptied before its context next
    /// enters compiled code.
    pub(crate) fn jump_cache_stale(&mut self) {
        self.jc_stale = u8::MAX;
        self.jc_pages = [0; JC_PAGE_BITS / 64];
    }

    /// Marks the jump cache stale if it may hold a block of `va`'s page, whose translation
    /// an `sfence.vma` dropped.
    pub(crate) fn jump_cache_stale_at(&mut self, va: u64) {
        let (word, bit) = jc_page_bit(va);
        if self.jc_pages[word] & bit != 0 {
            self.jump_cache_stale();
        }
    }

    /// Empties the jump cache if blocks were dropped or translations changed since it was
    /// filled, and points `jc_base` at the current fetch context's table.
    pub(crate) fn sync_jump_cache(&mut self, mem: &crate::Memory) {
        if self.jc_epoch != mem.code.jit_epoch {
            self.jump_cache_stale();
            self.jc_epoch = mem.code.jit_epoch;
        }
        let context = self.jc_context();
        let table = context * JC_SIZE;
        if self.jc_stale & (1 << context) != 0 {
            self.jc[table..table + JC_SIZE].fill(JC_EMPTY);
            self.jc_stale &= !(1 << context);
        }
        self.jc_base = self.jc[table..].as_ptr();
    }

    /// The compiled code of the block at virtual `pc`, entered into the jump cache; `None`
    /// if there is none (or `pc`'s page is not in the fetch TLB).
    pub(crate) fn jit_find(&mut self, mem: &mut crate::Memory, pc: u64) -> Option<usize> {
        let off = self
            .tlb_fetch
            .lookup(pc & !0xfff, self.fetch_ctx, self.ram_host)?;
        let slot = *mem.code.slot_mut(off / 4096, (pc & 0xfff) as usize >> 1)?;
        if slot.id & !ID_LEN2 != ID_JIT {
            return None;
        }
        let code = mem.code.jit.as_ref()?.blocks.get(slot.imm as usize)?.code;
        let table = self.jc_context() * JC_SIZE;
        self.jc[table + ((pc >> 1) as usize & (JC_SIZE - 1))] = JcEntry { pc, code };
        mem.code.jit_stats.jump_cache_fills += 1;
        let (word, bit) = jc_page_bit(pc);
        self.jc_pages[word] |= bit;
        Some(code)
    }

    /// Counts a jump to `target` (a taken branch in the interpreter, or a successor compiled
    /// code could not find); true when that made `target` hot, and its count starts again.
    /// A count never passes the threshold, so it never wraps.
    #[inline(always)]
    pub(crate) fn heat_up(&mut self, target: u64) -> bool {
        let heat = &mut self.heat[(target >> 1) as usize & (HEAT_SIZE - 1)];
        *heat = heat.wrapping_add(1);
        if *heat < self.jit_threshold {
            return false;
        }
        *heat = 0;
        true
    }

    /// The successor at `pc` that compiled code could not find in the jump cache: its
    /// compiled code, if it has some or has become hot enough to be compiled now, as it
    /// has at once if compiled code `runs_on` into it (see [`EXIT_RUN_ON`]).
    pub(crate) fn jit_next(
        &mut self,
        mem: &mut crate::Memory,
        pc: u64,
        left: u64,
        runs_on: bool,
    ) -> Option<usize> {
        if left > 0 {
            // With positions left, the interpreter fetches `pc` next: translate it as that
            // fetch would (through the fetch TLB, filling it on a miss), so that the block
            // there can be found. (Compiled code never fills the fetch TLB, and two hot
            // pages that share an entry would otherwise keep sending each other back to the
            // interpreter.)
            if self.fetch_page(mem, pc).is_err() {
                return None;
            }
            self.code_dropped = false;
            self.sync_jump_cache(mem);
        }
        if let Some(code) = self.jit_find(mem, pc) {
            return Some(code);
        }
        if !runs_on && !self.heat_up(pc) {
            return None;
        }
        self.jit_compile(mem, pc);
        self.sync_jump_cache(mem);
        self.jit_find(mem, pc)
    }

    /// Compiles the block starting at virtual `pc` and installs its JIT slot (or has the
    /// compiler thread do it). Does nothing when the block cannot be compiled now (its page
    /// is not in the fetch TLB, its first instruction is one the compiler does not handle,
    /// it is compiled already, or the host has no JIT).
    pub(crate) fn jit_compile(&mut self, mem: &mut crate::Memory, pc: u64) {
        if mem.code.jit_unavailable {
            return;
        }
        // Only a page the fetch TLB already maps: a page walk could set a PTE's accessed
        // bit, an architectural effect, for code the guest may never reach (the target of
        // a branch is compiled before it executes, and a run may stop in between).
        let Some(page_off) = self
            .tlb_fetch
            .lookup(pc & !0xfff, self.fetch_ctx, self.ram_host)
        else {
            return;
        };
        let page = page_off / 4096;
        let start = (pc & 0xfff) as u16;
        // Compiled code that runs on into a block being compiled asks for it at each arrival.
        if mem
            .code
            .jit
            .as_ref()
            .is_some_and(|jit| jit.pending(page, start))
        {
            return;
        }
        let Some(mut source) = self.block_source(mem, pc, page_off) else {
            return;
        };
        if mem.code.jit.is_none() {
            match Jit::new(mem.code.jit_code_limit) {
                Ok(jit) => mem.code.jit = Some(Box::new(jit)),
                Err(Unavailable) => {
                    mem.code.jit_unavailable = true;
                    return;
                }
            }
        }
        let Some(jit) = mem.code.jit.as_mut() else {
            return;
        };
        if mem.code.jit_background {
            match jit.request(page, start, source) {
                Ok(()) => return,
                Err(back) => source = back,
            }
        }
        let started = std::time::Instant::now();
        let code = jit.compiler.compile(&source);
        mem.code.jit_stats.compile_nanos += started.elapsed().as_nanos() as u64;
        if let Some(code) = code {
            jit_install(mem, page, start, &source.insns, &code);
        }
    }

    /// The instructions of the block at virtual `pc` (RAM offset `page_off` for its page);
    /// `None` if the first one is an instruction the compiler does not handle or is
    /// compiled already.
    ///
    /// A block starts as a run of consecutive instructions up to a jump, a branch back to
    /// its start (a loop: what follows runs once per loop, and is a block of its own), an
    /// instruction of the block, an instruction the compiler does not handle or its page's
    /// end. A `j` to an instruction further on in the page goes on there; the targets
    /// further on in the page of its conditional branches are added after it, each as
    /// another such run, as long as the block stays within [`MAX_BLOCK`] instructions. The
    /// code a branch or a jump of the block leads to then stays in compiled code: an `if`,
    /// an `else` and the back edges of inner loops.
    fn block_source(
        &mut self,
        mem: &mut crate::Memory,
        pc: u64,
        page_off: usize,
    ) -> Option<Source> {
        let start = (pc & 0xfff) as u16;
        let mut insns: Vec<(Slot, u16)> = Vec::with_capacity(MAX_BLOCK);
        let mut unsupported_at = Vec::new();
        let mut in_block = [false; 2048];
        let mut runs = std::collections::VecDeque::from([start]);
        'runs: while let Some(run) = runs.pop_front() {
            let mut off = run;
            while insns.len() < MAX_BLOCK && off < 4096 && !in_block[usize::from(off >> 1)] {
                // Not an instruction that straddles into the next page: fetching its second
                // half would walk that page's translation (setting its PTE's accessed bit)
                // for code the guest may never reach.
                if off == 4094 && mem.load(page_off + 4094, 2).is_none_or(|low| low & 3 == 3) {
                    unsupported_at.push(off - start);
                    continue 'runs;
                }
                let at = pc.wrapping_add(u64::from(off - start));
                let Ok(ip) = self.fetch_slow(mem, at) else {
                    unsupported_at.push(off - start);
                    continue 'runs;
                };
                // SAFETY: `fetch_slow` returned a slot of a live decode-cache block, and
                // nothing has touched the cache since.
                let slot = unsafe { *ip };
                if insns.is_empty() && slot.id & !ID_LEN2 == ID_JIT {
                    return None;
                }
                let original = Jit::original(mem.code.jit.as_deref(), slot);
                let Some(slot) = original.filter(|slot| translate::supported(slot.id)) else {
                    unsupported_at.push(off - start);
                    continue 'runs;
                };
                let rel = off - start;
                insns.push((slot, rel));
                in_block[usize::from(off >> 1)] = true;
                let op = op_of(slot.id);
                let target = i64::from(off) + i64::from(slot.imm);
                let in_page = (i64::from(start)..4096).contains(&target);
                off += if slot.id & ID_LEN2 != 0 { 2 } else { 4 };
                match op {
                    Op::Jal if slot.rd == crate::insn::X0_SINK && in_page => {
                        runs.push_front(target as u16);
                        continue 'runs;
                    }
                    Op::Jal | Op::Jalr => continue 'runs,
                    _ if translate::targets_start(slot, rel) => continue 'runs,
                    _ if translate::is_branch(op) && in_page => {
                        runs.push_back(target as u16);
                    }
                    _ => {}
                }
            }
        }
        (!insns.is_empty()).then_some(Source {
            insns,
            unsupported_at,
        })
    }

    /// Installs the blocks the compiler thread has finished since the last call.
    pub(crate) fn jit_poll(&mut self, mem: &mut crate::Memory) {
        while let Some(done) = mem.code.jit.as_mut().and_then(|jit| jit.finished()) {
            mem.code.jit_stats.compile_nanos += done.nanos;
            if let Some(code) = &done.code {
                jit_install(mem, done.page, done.start, &done.source.insns, code);
            }
        }
    }
}

/// Copies `code`, compiled from `insns` (the block at `start` of RAM page `page`), into the
/// code cache and replaces the block's first slot by a JIT slot, if the page still holds
/// those instructions decoded (it may have been written, or evicted, since they were read).
fn jit_install(
    mem: &mut crate::Memory,
    page: usize,
    start: u16,
    insns: &[(Slot, u16)],
    code: &[u8],
) {
    if !decoded_as(mem, page, start, insns) {
        return;
    }
    let pa = mem.base() + ((page as u64) << 12) + u64::from(start);
    let Some(jit) = mem.code.jit.as_mut() else {
        return;
    };
    let addr = match jit.install(code, pa) {
        Some(addr) => addr,
        None => {
            mem.code.evict_compiled();
            mem.code.jit_stats.evictions += 1;
            match mem.code.jit.as_mut().and_then(|jit| jit.install(code, pa)) {
                Some(addr) => addr,
                None => return,
            }
        }
    };
    let Some(jit) = mem.code.jit.as_mut() else {
        return;
    };
    let index = jit.blocks.len();
    let code_bytes = jit.code_bytes();
    let Some(&mut orig) = mem.code.slot_mut(page, usize::from(start >> 1)) else {
        return;
    };
    let id = ID_JIT | (orig.id & ID_LEN2);
    let handler = mem.code.handlers()[usize::from(id)];
    let Some(first) = mem.code.slot_mut(page, usize::from(start >> 1)) else {
        return;
    };
    *first = Slot {
        handler,
        id,
        rd: 0,
        rs1: 0,
        rs2: 0,
        imm: index as i32,
    };
    if let Some(jit) = mem.code.jit.as_mut() {
        jit.blocks.push(Block {
            code: addr,
            insns: insns.len() as u64,
            orig,
        });
    }
    mem.code.jit_blocks[page] += 1;
    mem.code.jit_stats.compiled += 1;
    mem.code.jit_stats.code_bytes = code_bytes;
}

/// True when RAM page `page` holds `insns` (offsets from `start`) decoded, the first not yet
/// replaced by a JIT slot, and any later JIT slot standing for its original instruction.
fn decoded_as(mem: &mut crate::Memory, page: usize, start: u16, insns: &[(Slot, u16)]) -> bool {
    insns.iter().enumerate().all(|(i, &(want, off))| {
        let index = usize::from((start + off) >> 1);
        let Some(&mut slot) = mem.code.slot_mut(page, index) else {
            return false;
        };
        if i == 0 && slot.id & !ID_LEN2 == ID_JIT {
            return false;
        }
        let Some(slot) = Jit::original(mem.code.jit.as_deref(), slot) else {
            return false;
        };
        (slot.id, slot.rd, slot.rs1, slot.rs2, slot.imm)
            == (want.id, want.rd, want.rs1, want.rs2, want.imm)
    })
}
