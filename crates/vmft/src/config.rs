//! Turning `vmft run`'s arguments into a checked configuration.

use std::path::PathBuf;

use thiserror::Error;

use engine::config::{BootConfig, DriveConfig, NetConfig, RunConfig};

use crate::cli::{AccelArg, FtArgs, RunArgs};

/// Largest guest RAM accepted.
pub const MAX_MEMORY: u64 = 64 << 30;
/// Guest RAM is allocated in whole pages.
pub const PAGE_SIZE: u64 = 4096;

/// A bad argument.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `--memory` is not a number with an optional suffix.
    #[error("invalid --memory '{0}': expected bytes or a number with a K, M or G suffix")]
    MemorySyntax(String),
    /// `--memory` is zero.
    #[error("--memory must not be zero")]
    MemoryZero,
    /// `--memory` is not a whole number of pages.
    #[error("--memory {0} is not a multiple of the 4K page size")]
    MemoryNotPageMultiple(u64),
    /// `--memory` is larger than [`MAX_MEMORY`].
    #[error("--memory '{0}' is larger than the 64G maximum")]
    MemoryTooLarge(String),
    /// Nothing to boot.
    #[error("nothing to run: give --kernel (with --bios none or firmware) or --image")]
    NoKernel,
    /// `--initrd` or `--append` without firmware.
    #[error("--initrd and --append need firmware (--bios FILE) or --image")]
    KernelArgsWithoutFirmware,
    /// `--net` is not `none` or `tap=NAME[,mac=..]`.
    #[error("invalid --net '{0}': expected none or tap=NAME[,mac=XX:XX:XX:XX:XX:XX]")]
    Net(String),
    /// The guest image's manifest could not be read.
    #[error("{0}")]
    Image(String),
    /// `--save-at` is not `POSITION:FILE`.
    #[error("invalid --save-at '{0}': expected POSITION:FILE")]
    SaveAt(String),
}

/// QEMU's default MAC address for the first NIC, so guests see a familiar address.
pub const DEFAULT_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

/// Checks `vmft run`'s arguments (and `vmft replay`'s, which describe the same machine).
pub fn run_config(args: RunArgs) -> Result<RunConfig, ConfigError> {
    let boot = match (&args.image, args.bios.as_deref()) {
        (Some(dir), _) => {
            let manifest =
                image::Manifest::load(dir).map_err(|e| ConfigError::Image(e.to_string()))?;
            let (firmware, kernel, initrd) = manifest.paths(dir);
            let mut append = manifest.append.clone();
            if let Some(extra) = &args.append {
                append = format!("{append} {extra}");
            }
            BootConfig::Firmware {
                firmware,
                kernel,
                initrd: Some(initrd),
                append,
            }
        }
        (None, None | Some("none")) => {
            if args.initrd.is_some() || args.append.is_some() {
                return Err(ConfigError::KernelArgsWithoutFirmware);
            }
            BootConfig::BareMetal {
                program: args.kernel.clone().ok_or(ConfigError::NoKernel)?,
            }
        }
        (None, Some(firmware)) => BootConfig::Firmware {
            firmware: PathBuf::from(firmware),
            kernel: args.kernel.clone().ok_or(ConfigError::NoKernel)?,
            initrd: args.initrd.clone(),
            append: args.append.clone().unwrap_or_default(),
        },
    };
    let drive = args
        .drive
        .as_deref()
        .map(|spec| match spec.strip_suffix(",readonly") {
            Some(path) => DriveConfig {
                path: path.into(),
                read_only: true,
            },
            None => DriveConfig {
                path: spec.into(),
                read_only: false,
            },
        });
    Ok(RunConfig {
        boot,
        ram_size: parse_memory_size(&args.memory)?,
        net: parse_net(&args.net)?,
        drive,
        max_instructions: args.max_instructions,
        stats: args.stats,
        record: args.record,
        save_at: args.save_at.as_deref().map(parse_save_at).transpose()?,
        restore: args.restore,
        accel: match args.accel {
            AccelArg::Interp => machine::Accel::Interp,
            AccelArg::Jit => machine::Accel::Jit,
        },
        jit_tuning: args
            .jit_threshold
            .map(|threshold| (threshold, rv64::jit::DEFAULT_CODE_LIMIT)),
    })
}

/// Checks the machine arguments of `vmft primary` and `vmft backup`: those of `vmft run`,
/// less the ones a pair has no use for.
pub fn pair_config(args: RunArgs) -> anyhow::Result<RunConfig> {
    if args.record.is_some() {
        anyhow::bail!("--record is for `vmft run`: a pair's log goes over the logging channel");
    }
    if args.save_at.is_some() || args.restore.is_some() {
        anyhow::bail!("--save-at and --restore are for `vmft run`: a pair starts from a boot");
    }
    Ok(run_config(args)?)
}

/// The fault-tolerance options of `vmft primary` and `vmft backup`.
pub fn ft_options(args: FtArgs, join: bool, listen: Option<String>) -> ft::driver::Options {
    ft::driver::Options {
        max_pause_ms: args.max_pause_ms,
        transfer_mbps: args.transfer_mbps,
        join,
        listen,
        key_file: args.key_file,
        arbiter: args.arbiter,
        heartbeat_ms: args.heartbeat_ms,
        timeout_ms: args.timeout_ms,
        max_lag_ms: args.max_lag_ms,
        node: args.node,
        control: args.control,
        metrics: args.metrics,
    }
}

/// Parses `--save-at POSITION:FILE`.
pub fn parse_save_at(text: &str) -> Result<(u64, PathBuf), ConfigError> {
    let bad = || ConfigError::SaveAt(text.to_string());
    let (position, file) = text.split_once(':').ok_or_else(bad)?;
    if file.is_empty() {
        return Err(bad());
    }
    Ok((position.parse().map_err(|_| bad())?, PathBuf::from(file)))
}

/// Parses `--net`: `none`, or `tap=NAME` with an optional `,mac=XX:XX:XX:XX:XX:XX`.
pub fn parse_net(text: &str) -> Result<Option<NetConfig>, ConfigError> {
    if text == "none" {
        return Ok(None);
    }
    let bad = || ConfigError::Net(text.to_string());
    let mut parts = text.split(',');
    let tap = parts
        .next()
        .and_then(|p| p.strip_prefix("tap="))
        .filter(|name| !name.is_empty())
        .ok_or_else(bad)?;
    let mut mac = DEFAULT_MAC;
    for part in parts {
        let value = part.strip_prefix("mac=").ok_or_else(bad)?;
        let bytes: Vec<u8> = value
            .split(':')
            .map(|b| u8::from_str_radix(b, 16))
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        mac = bytes.try_into().map_err(|_| bad())?;
        if mac[0] & 1 != 0 {
            return Err(bad()); // a multicast address cannot name one interface
        }
    }
    Ok(Some(NetConfig {
        tap: tap.to_string(),
        mac,
    }))
}

/// Parses a RAM size: decimal bytes, or a number followed by K, M or G (powers of 1024).
pub fn parse_memory_size(text: &str) -> Result<u64, ConfigError> {
    let syntax = || ConfigError::MemorySyntax(text.to_string());
    let (digits, shift) = match text.char_indices().last() {
        Some((i, 'k' | 'K')) => (&text[..i], 10),
        Some((i, 'm' | 'M')) => (&text[..i], 20),
        Some((i, 'g' | 'G')) => (&text[..i], 30),
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    let too_large = || ConfigError::MemoryTooLarge(text.to_string());
    let number: u64 = digits.parse().map_err(|_| too_large())?;
    let size = number.checked_mul(1 << shift).ok_or_else(too_large)?;
    if size == 0 {
        return Err(ConfigError::MemoryZero);
    }
    if size > MAX_MEMORY {
        return Err(too_large());
    }
    if size % PAGE_SIZE != 0 {
        return Err(ConfigError::MemoryNotPageMultiple(size));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_size_accepts_bytes_and_binary_suffixes() {
        assert_eq!(parse_memory_size("4096"), Ok(4096));
        assert_eq!(parse_memory_size("64K"), Ok(64 << 10));
        assert_eq!(parse_memory_size("256M"), Ok(256 << 20));
        assert_eq!(parse_memory_size("256m"), Ok(256 << 20));
        assert_eq!(parse_memory_size("2G"), Ok(2 << 30));
        assert_eq!(parse_memory_size("64G"), Ok(MAX_MEMORY));
    }

    #[test]
    fn memory_size_rejects_zero() {
        assert_eq!(parse_memory_size("0"), Err(ConfigError::MemoryZero));
        assert_eq!(parse_memory_size("0M"), Err(ConfigError::MemoryZero));
    }

    #[test]
    fn memory_size_rejects_partial_pages() {
        assert_eq!(
            parse_memory_size("1000"),
            Err(ConfigError::MemoryNotPageMultiple(1000))
        );
        assert_eq!(
            parse_memory_size("1K"),
            Err(ConfigError::MemoryNotPageMultiple(1024))
        );
    }

    #[test]
    fn memory_size_rejects_absurd_sizes() {
        assert!(matches!(
            parse_memory_size("65G"),
            Err(ConfigError::MemoryTooLarge(_))
        ));
        assert!(matches!(
            parse_memory_size("99999999999999999999"),
            Err(ConfigError::MemoryTooLarge(_))
        ));
        assert!(matches!(
            parse_memory_size("17179869184G"),
            Err(ConfigError::MemoryTooLarge(_))
        ));
    }

    #[test]
    fn memory_size_rejects_garbage() {
        for text in ["banana", "", "M", "12T", "-4K", "1.5G", " 4096", "4 K"] {
            assert!(
                matches!(parse_memory_size(text), Err(ConfigError::MemorySyntax(_))),
                "{text:?}"
            );
        }
    }

    fn args(bios: Option<&str>) -> RunArgs {
        RunArgs {
            bios: bios.map(Into::into),
            kernel: Some("k".into()),
            initrd: None,
            append: None,
            image: None,
            memory: "1M".into(),
            net: "none".into(),
            drive: None,
            max_instructions: Some(5),
            stats: true,
            record: None,
            save_at: None,
            restore: None,
            accel: AccelArg::Jit,
            jit_threshold: None,
        }
    }

    #[test]
    fn save_at_takes_a_position_and_a_file() {
        assert_eq!(parse_save_at("1000:s.snap"), Ok((1000, "s.snap".into())));
        for bad in ["1000", "x:s", "1000:", ":s"] {
            assert!(parse_save_at(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bios_none_boots_the_kernel_bare_metal_and_a_file_is_firmware() {
        let config = run_config(args(Some("none"))).unwrap();
        assert_eq!(
            config.boot,
            BootConfig::BareMetal {
                program: "k".into()
            }
        );
        assert_eq!(config.ram_size, 1 << 20);
        assert_eq!(config.max_instructions, Some(5));
        let config = run_config(args(Some("fw.bin"))).unwrap();
        assert!(matches!(config.boot, BootConfig::Firmware { .. }));
    }

    #[test]
    fn initrd_without_firmware_is_rejected() {
        let mut a = args(None);
        a.initrd = Some("i".into());
        assert_eq!(run_config(a), Err(ConfigError::KernelArgsWithoutFirmware));
    }

    #[test]
    fn net_accepts_none_and_tap_with_an_optional_mac() {
        assert_eq!(parse_net("none"), Ok(None));
        assert_eq!(
            parse_net("tap=tap0"),
            Ok(Some(NetConfig {
                tap: "tap0".into(),
                mac: DEFAULT_MAC
            }))
        );
        assert_eq!(
            parse_net("tap=t1,mac=02:00:00:00:00:2a")
                .unwrap()
                .unwrap()
                .mac,
            [2, 0, 0, 0, 0, 0x2a]
        );
        for bad in [
            "tap=",
            "user",
            "tap=t,mac=zz",
            "tap=t,mac=01:00:00:00:00:01",
            "tap=t,x=1",
        ] {
            assert!(parse_net(bad).is_err(), "{bad}");
        }
    }
}
