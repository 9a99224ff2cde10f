//! The machine a front end runs, as checked configuration: what it boots, its RAM and
//! devices, and what the run does (limits, recording, snapshots). The command line parses
//! into it; the engine builds and runs machines from it.

use std::path::PathBuf;

/// What the machine boots.
#[derive(Debug, PartialEq, Eq)]
pub enum BootConfig {
    /// A bare-metal program (`--bios none`).
    BareMetal {
        /// The program file.
        program: PathBuf,
    },
    /// Firmware, kernel, initrd and command line.
    Firmware {
        /// Firmware file.
        firmware: PathBuf,
        /// Kernel image file.
        kernel: PathBuf,
        /// Initrd file.
        initrd: Option<PathBuf>,
        /// Kernel command line.
        append: String,
    },
}

/// The guest's network interface.
#[derive(Debug, PartialEq, Eq)]
pub struct NetConfig {
    /// Host TAP interface name.
    pub tap: String,
    /// Guest MAC address.
    pub mac: [u8; 6],
}

/// The guest's disk.
#[derive(Debug, PartialEq, Eq)]
pub struct DriveConfig {
    /// Raw image file.
    pub path: PathBuf,
    /// Attach read-only.
    pub read_only: bool,
}

/// Everything `vmft run` needs, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// What to boot.
    pub boot: BootConfig,
    /// Guest RAM size in bytes.
    pub ram_size: u64,
    /// Network interface, if any.
    pub net: Option<NetConfig>,
    /// Disk, if any.
    pub drive: Option<DriveConfig>,
    /// Position at which to stop, if any.
    pub max_instructions: Option<u64>,
    /// Whether to print statistics at exit.
    pub stats: bool,
    /// Where to record the input log, if anywhere.
    pub record: Option<PathBuf>,
    /// Where and when to save a snapshot.
    pub save_at: Option<(u64, PathBuf)>,
    /// A snapshot to start from.
    pub restore: Option<PathBuf>,
    /// How the hart executes guest code.
    pub accel: machine::Accel,
    /// The JIT's compile threshold and code-cache bound ([`machine::Machine::tune_jit`]),
    /// unless its defaults.
    pub jit_tuning: Option<(u16, usize)>,
}
