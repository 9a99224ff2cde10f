//! Command-line arguments, named like QEMU's where they mean the same thing.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Fault-tolerant RISC-V virtual machines.
#[derive(Debug, Parser)]
#[command(name = "vmft", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a machine: a single-hart RV64GC system laid out like QEMU's `virt` board.
    ///
    /// Either a bare-metal program (`--bios none --kernel PROGRAM`), firmware with a kernel
    /// (`--bios FW --kernel IMAGE [--initrd FILE] [--append ARGS]`), or a built guest image
    /// (`--image DIR`). The console (16550 UART, and HTIF for bare-metal programs) is
    /// connected to standard input and output. The exit status is 0 when the guest powers off
    /// or passes, the guest's failure code (clamped to 1..=255) when it fails, 124 when
    /// --max-instructions runs out, 1 when the guest idles with nothing left to wake it, and 2
    /// on bad arguments or unloadable images.
    Run(RunArgs),
    /// Replay a log recorded with `vmft run --record`: the same machine arguments, the same
    /// initial state, every logged input at exactly its position, as fast as possible. The
    /// console output is reproduced byte for byte; the first divergence stops the replay
    /// with an error naming the position. `--from-snapshot` starts the replay part way,
    /// at a snapshot saved while recording.
    Replay(ReplayArgs),
    /// Show what a recorded log holds: entries and bytes by kind, the positions and host time
    /// they span, and with --entries every entry on a line (byte offset, position, kind,
    /// what it carries). A corrupt or truncated log stops with the error a replay would give.
    Log(LogArgs),
    /// Build and manage guest images.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Run a machine as the primary of a fault-tolerant pair: wait for a backup on --listen,
    /// then run live from the same initial state, streaming every input to the backup over
    /// the authenticated logging channel and holding every output (console bytes, frames)
    /// until the backup has acknowledged the log up to it. If the backup fails, win the
    /// arbiter for the next epoch and go on alone.
    ///
    /// Exit status: the guest's, as `vmft run`; 3 when another side won the arbiter; 4 when a
    /// peer showed a newer epoch; 2 on bad arguments or a refused peer configuration.
    Primary(PrimaryArgs),
    /// Run a machine as the backup of a fault-tolerant pair: connect to the primary, check
    /// that both have the same machine, disk and key, replay its log as it arrives without
    /// running past what it vouched for, check every state digest and drop every output.
    /// When the primary fails, execute everything received, win the arbiter for the next
    /// epoch and go live: read and write the network, announce the guest's MAC, release
    /// outputs.
    ///
    /// Exit status: as `vmft primary`, and 5 when the backup diverged from the primary.
    Backup(BackupArgs),
    /// Write a new pre-shared key for the logging channel to FILE (mode 0600); copy it to
    /// both hosts of a pair.
    Keygen(KeygenArgs),
    /// Show the status of a side of a fault-tolerant pair, read from its control socket
    /// (`vmft primary|backup --control PATH`): role, state, epoch, peer, whether the pair is
    /// protected, the backup's lag, held outputs, the logging channel's traffic and round
    /// trip, position and uptime, as aligned `key: value` lines (or JSON with --json).
    ///
    /// Exit status: 0, or 2 when PATH is missing or is not a vmft control socket.
    Status(StatusArgs),
}

/// Arguments of `vmft status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The side's control socket.
    #[arg(value_name = "PATH")]
    pub socket: PathBuf,

    /// Print the status as a JSON object instead of `key: value` lines.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `vmft keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the key; an existing file is not overwritten.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Options both sides of a fault-tolerant pair take.
#[derive(Debug, Args)]
pub struct FtArgs {
    /// The pre-shared key of the logging channel (`vmft keygen` writes one); both sides must
    /// hold the same key.
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,

    /// The arbiter that decides which side may go on alone: `file:DIR`, a directory on
    /// storage both hosts share, where epochs are claimed by creating files atomically; or
    /// `etcd://HOST:PORT[,HOST:PORT...]/PREFIX`, an etcd cluster where a claim is one
    /// transaction under PREFIX.
    #[arg(long, value_name = "SPEC")]
    pub arbiter: String,

    /// Milliseconds between heartbeats in each direction when nothing else is sent.
    #[arg(long, value_name = "MS", default_value_t = 20)]
    pub heartbeat_ms: u64,

    /// Milliseconds of silence on the logging channel after which the peer counts as
    /// failed (at least 50).
    #[arg(long, value_name = "MS", default_value_t = 300)]
    pub timeout_ms: u64,

    /// How far (in milliseconds of guest time) the backup may lag behind the primary before
    /// the primary slows down.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub max_lag_ms: u64,

    /// The longest a primary may stop its guest for the last step of a live state transfer
    /// to a joining backup; if the guest writes too fast to get there, the join is given up.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    pub max_pause_ms: u64,

    /// A cap on the live state transfer's bandwidth, in Mbit/s (none by default).
    #[arg(long, value_name = "MBPS")]
    pub transfer_mbps: Option<u64>,

    /// This side's name at the arbiter and in messages. Default: the host name and the
    /// process id.
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,

    /// Serve this side's status on a Unix socket at PATH, for `vmft status PATH`. A socket
    /// left there by a side that exited is replaced. Default: no control socket.
    #[arg(long, value_name = "PATH")]
    pub control: Option<PathBuf>,

    /// Serve this side's status as Prometheus metrics over HTTP at
    /// `http://ADDR:PORT/metrics`. Default: no metrics endpoint.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<String>,
}

/// Arguments of `vmft primary`.
#[derive(Debug, Args)]
pub struct PrimaryArgs {
    /// The machine; the backup must be given the same one (and a copy of the same disk).
    #[command(flatten)]
    pub machine: RunArgs,

    /// Where to listen for the backup's logging channel.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: String,

    /// Fault-tolerance options.
    #[command(flatten)]
    pub ft: FtArgs,
}

/// Arguments of `vmft backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The machine, exactly as given to the primary, with its own copy of the disk.
    #[command(flatten)]
    pub machine: RunArgs,

    /// The primary's logging-channel address.
    #[arg(long, value_name = "ADDR:PORT")]
    pub primary: String,

    /// Join a primary that is already running: receive its state by live transfer, which
    /// overwrites this side's disk file. Without it, the backup joins only a primary that
    /// waits for its first backup.
    #[arg(long)]
    pub join: bool,

    /// Once this backup goes live, listen here for a new backup of its own (re-protection).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,

    /// Fault-tolerance options.
    #[command(flatten)]
    pub ft: FtArgs,
}

/// Arguments of `vmft log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The log, as `vmft run --record` wrote it.
    #[arg(value_name = "LOG")]
    pub log: PathBuf,

    /// List every entry before the summary.
    #[arg(long)]
    pub entries: bool,
}

/// `vmft image` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build the default guest from Debian trixie riscv64 packages (OpenSBI, the stock
    /// kernel, busybox) fetched with apt from the host's configured Debian mirror, with any
    /// further packages given with --package.
    Build(ImageBuildArgs),
}

/// Arguments of `vmft image build`.
#[derive(Debug, Args)]
pub struct ImageBuildArgs {
    /// Directory to write the image to (firmware, kernel, initramfs and the `vmft-image`
    /// manifest). Default: the `image` directory under the cache directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Debian archive URI to use instead of the one in the host's apt sources.
    #[arg(long, value_name = "URI")]
    pub mirror: Option<String>,

    /// Where downloaded packages are cached. Default: $XDG_CACHE_HOME/vmft or ~/.cache/vmft.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,

    /// Add a Debian package (repeatable): its files, those of its direct dependencies not
    /// named lib*, and the shared libraries their programs need. Versions are apt's
    /// candidates; the manifest records them.
    #[arg(long = "package", value_name = "NAME")]
    pub packages: Vec<String>,
}

/// Arguments of `vmft replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The log to replay.
    #[arg(value_name = "LOG")]
    pub log: PathBuf,

    /// The machine, exactly as it was given to `vmft run --record` (with its `--restore`,
    /// if the recording started from a snapshot).
    #[command(flatten)]
    pub machine: RunArgs,

    /// Start the replay at a snapshot saved during the recording (by `--save-at` or Ctrl-A s)
    /// instead of at the recording's start: the log must have that snapshot's entry at the
    /// snapshot's position, and the state digest logged with it must match. Log entries
    /// before it are skipped; every later one is replayed and checked. The machine arguments
    /// still describe the recording's start, which the log's fingerprint identifies.
    #[arg(long, value_name = "FILE")]
    pub from_snapshot: Option<PathBuf>,
}

/// Arguments of `vmft run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Firmware to start in M-mode at 0x80000000: `none` starts the kernel directly in
    /// M-mode at its entry point with a0 = 0 (hart id) and a1 = 0; a file (e.g. OpenSBI's
    /// fw_jump.bin) is loaded at the start of RAM and entered with a0 = 0 and a1 = the
    /// device tree's address, with the kernel at 0x80200000.
    #[arg(long, value_name = "FIRMWARE")]
    pub bios: Option<String>,

    /// With `--bios none`: the program to run, an ELF64 RISC-V executable (loaded at its
    /// segments' physical addresses; `tohost`/`fromhost` symbols enable HTIF) or a raw binary
    /// (loaded and started at 0x80000000). With firmware: the kernel image, loaded raw at
    /// 0x80200000.
    #[arg(long, value_name = "PROGRAM")]
    pub kernel: Option<PathBuf>,

    /// Initial RAM disk for the kernel (with firmware only).
    #[arg(long, value_name = "FILE")]
    pub initrd: Option<PathBuf>,

    /// Kernel command line (with firmware only). With --image it is appended to the image's
    /// own command line.
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true)]
    pub append: Option<String>,

    /// Boot a guest image built by `vmft image build`: its firmware, kernel, initramfs and
    /// command line.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["bios", "kernel", "initrd"])]
    pub image: Option<PathBuf>,

    /// Guest RAM size at 0x80000000: bytes, or a number with a K, M or G suffix (binary
    /// units); a multiple of 4K, at most 64G.
    #[arg(short = 'm', long, value_name = "SIZE", default_value = "256M")]
    pub memory: String,

    /// Network interface: `tap=NAME[,mac=52:54:00:12:34:56]` attaches a virtio-net device to
    /// the host TAP interface NAME (created if it does not exist and vmft may); `none` (the
    /// default) gives the guest no network.
    #[arg(long, value_name = "BACKEND", default_value = "none")]
    pub net: String,

    /// Raw disk image attached as a virtio-blk device (/dev/vda in Linux), read-write:
    /// guest writes reach the file and flushes are honoured. `FILE,readonly` attaches it
    /// read-only.
    #[arg(long, value_name = "FILE")]
    pub drive: Option<String>,

    /// Stop with exit status 124 after this many instructions (positions: instructions
    /// retired plus traps taken); a replay stops there too.
    #[arg(long, value_name = "N")]
    pub max_instructions: Option<u64>,

    /// At exit, print the instruction count, wall-clock seconds and MIPS to standard error.
    #[arg(long)]
    pub stats: bool,

    /// Record every input event with its position into this log file, for `vmft replay`.
    /// State digests are logged too, so that a replay checks it reproduces the same state.
    /// (`vmft run` only.)
    #[arg(long, value_name = "LOG")]
    pub record: Option<PathBuf>,

    /// Save a snapshot of the whole machine (hart, devices, RAM, disk) to FILE when the
    /// position reaches POSITION (`POSITION:FILE`). (`vmft run` only.)
    #[arg(long, value_name = "POSITION:FILE")]
    pub save_at: Option<String>,

    /// Start from a snapshot saved by --save-at instead of booting; the other machine
    /// arguments must describe the same machine.
    #[arg(long, value_name = "FILE")]
    pub restore: Option<PathBuf>,

    /// How guest code is executed: `jit` compiles hot blocks to host code, `interp` runs the
    /// interpreter alone (the reference). Both reach exactly the same state at every position,
    /// so a log recorded under one replays under the other.
    #[arg(long, value_enum, default_value_t = AccelArg::Jit)]
    pub accel: AccelArg,

    /// With `--accel jit`: compile a block once the interpreter has branched to it N times
    /// (1 compiles every block at its first taken branch, which tests use to run short
    /// programs on compiled code). Default: the JIT's own.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jit_threshold: Option<u16>,
}

/// The values of `--accel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AccelArg {
    /// The interpreter alone.
    Interp,
    /// The interpreter with a just-in-time compiler for hot blocks.
    Jit,
}
