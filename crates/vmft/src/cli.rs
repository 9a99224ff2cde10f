//! Command-line arguments, named like QEMU's where they mean the same thing.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// Run a program on a single-hart RV64GC machine laid out like QEMU's `virt` board.
    ///
    /// The console (16550 UART and HTIF) is connected to standard input and output. The exit
    /// status is 0 when the guest powers off or passes, the guest's failure code (clamped to
    /// 1..=255) when it fails, 124 when --max-instructions runs out, 1 when the guest idles
    /// with nothing left to wake it, and 2 on bad arguments or an unloadable program.
    Run(RunArgs),
}

/// Arguments of `vmft run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Firmware to start before the kernel. Only `none` is supported for now: the kernel
    /// starts directly in M-mode at its entry point, with a0 = 0 (hart id) and a1 = 0.
    #[arg(long, value_name = "FIRMWARE", default_value = "none")]
    pub bios: String,

    /// The program to run: an ELF64 RISC-V executable (loaded at its segments' physical
    /// addresses; `tohost`/`fromhost` symbols enable HTIF) or a raw binary, loaded and started
    /// at 0x80000000.
    #[arg(long, value_name = "PROGRAM")]
    pub kernel: PathBuf,

    /// Guest RAM size at 0x80000000: bytes, or a number with a K, M or G suffix (binary
    /// units); a multiple of 4K, at most 64G.
    #[arg(short = 'm', long, value_name = "SIZE", default_value = "256M")]
    pub memory: String,

    /// Stop with exit status 124 after this many instructions (positions: instructions
    /// retired plus traps taken).
    #[arg(long, value_name = "N")]
    pub max_instructions: Option<u64>,

    /// At exit, print the instruction count, wall-clock seconds and MIPS to standard error.
    #[arg(long)]
    pub stats: bool,
}
