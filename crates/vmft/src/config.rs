//! Turning `vmft run`'s arguments into a checked configuration.

use std::path::PathBuf;

use thiserror::Error;

use crate::cli::RunArgs;

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
    /// `--bios` names firmware.
    #[error("only --bios none is supported until firmware boot lands")]
    UnsupportedBios,
}

/// Everything `vmft run` needs, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// The program to load.
    pub kernel: PathBuf,
    /// Guest RAM size in bytes.
    pub ram_size: u64,
    /// Position at which to stop, if any.
    pub max_instructions: Option<u64>,
    /// Whether to print statistics at exit.
    pub stats: bool,
}

impl RunConfig {
    /// Checks the arguments.
    pub fn from_args(args: RunArgs) -> Result<RunConfig, ConfigError> {
        if args.bios != "none" {
            return Err(ConfigError::UnsupportedBios);
        }
        Ok(RunConfig {
            kernel: args.kernel,
            ram_size: parse_memory_size(&args.memory)?,
            max_instructions: args.max_instructions,
            stats: args.stats,
        })
    }
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

    fn args(bios: &str) -> RunArgs {
        RunArgs {
            bios: bios.into(),
            kernel: "k".into(),
            memory: "1M".into(),
            max_instructions: Some(5),
            stats: true,
        }
    }

    #[test]
    fn bios_other_than_none_is_rejected() {
        assert_eq!(
            RunConfig::from_args(args("opensbi")),
            Err(ConfigError::UnsupportedBios)
        );
        let config = RunConfig::from_args(args("none")).unwrap();
        assert_eq!(config.ram_size, 1 << 20);
        assert_eq!(config.max_instructions, Some(5));
    }
}
