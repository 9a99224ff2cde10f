//! Building the machine a configuration describes, with its identity: the fingerprint that
//! ties an input log (or a backup) to exactly this machine and initial state.

use std::fs;
use std::io::Read;
use std::path::Path;

use anyhow::Context;
use hostio::{FileDisk, Tap};
use machine::{Boot, Devices, FirmwareBoot, Machine, MachineConfig, Program};
use replay::Fingerprint;
use sha2::{Digest, Sha256};

use crate::config::{BootConfig, RunConfig};
use crate::record::FingerprintBuilder;
use crate::transfer::RamImage;

fn read(what: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// A machine built from a configuration, with its identity.
pub struct Built {
    /// The machine.
    pub machine: Machine,
    /// The TAP device, when the host side is attached.
    pub tap: Option<Tap>,
    /// What identifies the machine's initial state in an input log.
    pub fingerprint: Fingerprint,
}

/// Builds the machine the configuration describes. With `attach_host`, the network device is
/// connected to its TAP interface; a replay leaves it unconnected. With `resume`, the machine
/// starts from that snapshot instead of the configuration's own start (a boot, or
/// `--restore`), which still defines the fingerprint: a replay joining a recording part way.
pub fn build(
    config: &RunConfig,
    attach_host: bool,
    resume: Option<&Path>,
) -> anyhow::Result<Built> {
    build_with(
        config,
        attach_host,
        resume.map_or(Start::Configured, Start::Snapshot),
    )
}

/// Builds the machine the configuration describes in the state a primary transferred:
/// `state` (the machine without RAM and disk contents, as `Machine::save_state` writes it)
/// with the RAM of `ram`. The disk file must already hold the transferred disk: it is left
/// as it is. The TAP device is not opened: the caller has it from the machine it built
/// before the transfer.
pub fn build_from_state(config: &RunConfig, state: &[u8], ram: &RamImage) -> anyhow::Result<Built> {
    build_with(config, false, Start::State { state, ram })
}

/// Where a built machine starts.
enum Start<'a> {
    /// As the configuration says: a boot, or its `--restore` snapshot.
    Configured,
    /// From this snapshot file.
    Snapshot(&'a Path),
    /// From a transferred state and RAM.
    State { state: &'a [u8], ram: &'a RamImage },
}

fn build_with(
    config: &RunConfig,
    attach_host: bool,
    start_from: Start<'_>,
) -> anyhow::Result<Built> {
    let mut fp = FingerprintBuilder::default();
    fp.part("ram", &config.ram_size.to_le_bytes());
    let boot = match &config.boot {
        BootConfig::BareMetal { program } => {
            let path = program.display().to_string();
            let loaded = Program::load(program).context(path)?;
            fp.part("program", &read("program", program)?);
            Boot::Program(loaded)
        }
        BootConfig::Firmware {
            firmware,
            kernel,
            initrd,
            append,
        } => {
            let boot = FirmwareBoot {
                firmware: read("firmware", firmware)?,
                kernel: read("kernel", kernel)?,
                initrd: initrd.as_deref().map(|p| read("initrd", p)).transpose()?,
                bootargs: append.clone(),
            };
            fp.part("firmware", &boot.firmware)
                .part("kernel", &boot.kernel)
                .part("initrd", boot.initrd.as_deref().unwrap_or_default())
                .part("bootargs", boot.bootargs.as_bytes());
            Boot::Firmware(boot)
        }
    };
    let firmware_boot = matches!(boot, Boot::Firmware(_));
    let mut devices = Devices {
        entropy: firmware_boot,
        ..Devices::default()
    };
    fp.part("entropy", &[u8::from(firmware_boot)]);
    if let Some(drive) = &config.drive {
        let disk = FileDisk::open(&drive.path, drive.read_only)?;
        fp.part("disk", &virtio::DiskBackend::len(&disk).to_le_bytes());
        devices.disk = Some((Box::new(disk), drive.read_only));
    }
    let tap = match &config.net {
        Some(net) => {
            devices.net = Some(net.mac);
            fp.part("mac", &net.mac);
            attach_host.then(|| Tap::open(&net.tap)).transpose()?
        }
        None => None,
    };
    let machine_config = MachineConfig {
        ram_size: config.ram_size,
    };
    let start = match &config.restore {
        Some(path) => {
            let snapshot = read("snapshot", path)?;
            fp.part("snapshot", &snapshot);
            Some((path.as_path(), snapshot))
        }
        None => None,
    };
    let mut machine = match start_from {
        Start::State { state, ram } => {
            Machine::restore_state(machine_config, boot, devices, state, ram.pages())
                .context("restoring the transferred state")?
        }
        Start::Snapshot(path) => {
            let snapshot = read("snapshot", path)?;
            Machine::restore_snapshot(machine_config, boot, devices, snapshot.as_slice())
                .with_context(|| format!("restoring {}", path.display()))?
        }
        Start::Configured => match start {
            Some((path, snapshot)) => {
                Machine::restore_snapshot(machine_config, boot, devices, snapshot.as_slice())
                    .with_context(|| format!("restoring {}", path.display()))?
            }
            None => Machine::with_devices(machine_config, boot, devices)?,
        },
    };
    machine.set_accel(config.accel);
    if let Some((threshold, code_limit)) = config.jit_tuning {
        machine.tune_jit(threshold, code_limit);
    }
    Ok(Built {
        machine,
        tap,
        fingerprint: fp.finish(),
    })
}

/// A SHA-256 of the configured disk's contents (of nothing, without a disk): what a primary
/// and its backup compare, since each replica runs on its own copy of the disk.
pub fn disk_hash(config: &RunConfig) -> anyhow::Result<[u8; 32]> {
    let mut hash = Sha256::new();
    if let Some(drive) = &config.drive {
        let name = drive.path.display();
        let mut file =
            fs::File::open(&drive.path).with_context(|| format!("cannot open disk {name}"))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file
                .read(&mut buf)
                .with_context(|| format!("reading disk {name}"))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
        }
    }
    Ok(hash.finalize().into())
}
