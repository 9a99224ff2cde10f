//! The channel's pre-shared key and its key file.
//!
//! A key file holds the 32 key bytes as 64 hexadecimal digits on one line. It is created with
//! mode 0600 and never overwritten; a key file that group or others may access is refused, the
//! way ssh refuses a private key anyone can read.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Length of a key in bytes.
pub const KEY_LEN: usize = 32;

/// A pre-shared key for the logging channel: 32 random bytes that both hosts hold.
///
/// Its `Debug` form never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_LEN]);

/// Why a key could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file does not exist.
    #[error("key file {} does not exist (create one with `vmft keygen {}`)", path.display(), path.display())]
    Missing {
        /// The key file.
        path: PathBuf,
    },
    /// `generate_file` found a file already at the path.
    #[error("key file {} already exists; refusing to overwrite it", path.display())]
    Exists {
        /// The key file.
        path: PathBuf,
    },
    /// The key file does not hold hexadecimal digits on one line.
    #[error("key file {} is malformed: {reason}", path.display())]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// What is wrong with its contents.
        reason: String,
    },
    /// The key file holds hexadecimal digits, but not 64 of them.
    #[error("key file {} holds {digits} hex digits; a key is {} hex digits ({KEY_LEN} bytes)", path.display(), 2 * KEY_LEN)]
    WrongLength {
        /// The key file.
        path: PathBuf,
        /// How many hex digits it holds.
        digits: usize,
    },
    /// Group or others may access the key file.
    #[error("key file {} is accessible by group or others (mode {mode:04o}); run `chmod 600 {}`", path.display(), path.display())]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Any other I/O error on the key file.
    #[error("key file {}: {source}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The operating system gave no randomness for a new key.
    #[error("no randomness for a new key: {0}")]
    Random(getrandom::Error),
}

impl Key {
    /// A new key from the operating system's randomness.
    pub fn generate() -> Result<Key, KeyError> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::getrandom(&mut bytes).map_err(KeyError::Random)?;
        Ok(Key(bytes))
    }

    /// Writes a new key to a new file at `path` (mode 0600, 64 hex digits and a newline) and
    /// returns it. Refuses to overwrite an existing file.
    pub fn generate_file(path: &Path) -> Result<Key, KeyError> {
        let key = Key::generate()?;
        let io_err = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => KeyError::Exists {
                    path: path.to_owned(),
                },
                _ => io_err(e),
            })?;
        let mut line = String::with_capacity(2 * KEY_LEN + 1);
        for b in key.0 {
            line.push_str(&format!("{b:02x}"));
        }
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        Ok(key)
    }

    /// Reads the key in the key file at `path`, refusing a file that group or others may
    /// access.
    pub fn load(path: &Path) -> Result<Key, KeyError> {
        let io_err = |source: io::Error| match source.kind() {
            io::ErrorKind::NotFound => KeyError::Missing {
                path: path.to_owned(),
            },
            _ => KeyError::Io {
                path: path.to_owned(),
                source,
            },
        };
        let meta = fs::metadata(path).map_err(io_err)?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
        let text = fs::read(path).map_err(io_err)?;
        let malformed = |reason: String| KeyError::Malformed {
            path: path.to_owned(),
            reason,
        };
        let text = std::str::from_utf8(&text)
            .map_err(|_| malformed("it is not text".to_owned()))?
            .trim_end_matches(['\n', '\r']);
        if let Some(at) = text.find(|c: char| !c.is_ascii_hexdigit()) {
            let c = text[at..].chars().next().unwrap_or_default();
            return Err(malformed(format!(
                "{c:?} at character {} is not a hex digit (a key file is one line of {} hex digits)",
                at + 1,
                2 * KEY_LEN
            )));
        }
        if text.len() != 2 * KEY_LEN {
            return Err(KeyError::WrongLength {
                path: path.to_owned(),
                digits: text.len(),
            });
        }
        let mut bytes = [0u8; KEY_LEN];
        for (i, b) in bytes.iter_mut().enumerate() {
            // Every character is an ASCII hex digit, so this slice and parse cannot fail.
            *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                .map_err(|e| malformed(e.to_string()))?;
        }
        Ok(Key(bytes))
    }

    /// The key's bytes, for the Noise handshake.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temporary directory")
    }

    #[test]
    fn generate_file_then_load() {
        let d = dir();
        let path = d.path().join("ft.key");
        let key = Key::generate_file(&path).expect("keygen");
        let meta = fs::metadata(&path).expect("metadata");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(text.len(), 65);
        assert!(text.ends_with('\n'));
        assert_eq!(Key::load(&path).expect("load"), key);
        assert_ne!(Key::generate().expect("random"), key);
    }

    #[test]
    fn generate_file_refuses_to_overwrite() {
        let d = dir();
        let path = d.path().join("ft.key");
        fs::write(&path, "precious\n").expect("write");
        let err = Key::generate_file(&path).expect_err("must refuse");
        assert!(matches!(err, KeyError::Exists { .. }), "{err}");
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        assert_eq!(fs::read_to_string(&path).expect("read"), "precious\n");
    }

    #[test]
    fn generate_file_in_missing_directory_is_io() {
        let d = dir();
        let err = Key::generate_file(&d.path().join("no/such/ft.key")).expect_err("no dir");
        assert!(matches!(err, KeyError::Io { .. }), "{err}");
    }

    fn write_key_file(path: &Path, text: &str, mode: u32) {
        fs::write(path, text).expect("write");
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn load_errors_are_one_clear_line() {
        let d = dir();
        let path = d.path().join("ft.key");

        let err = Key::load(&path).expect_err("missing");
        assert!(matches!(err, KeyError::Missing { .. }), "{err}");
        assert!(err.to_string().contains("vmft keygen"), "{err}");

        write_key_file(&path, &format!("{}zz\n", "0".repeat(62)), 0o600);
        let err = Key::load(&path).expect_err("not hex");
        assert!(matches!(err, KeyError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains("character 63"), "{err}");

        write_key_file(
            &path,
            &format!("{}\n{}\n", "0".repeat(64), "0".repeat(64)),
            0o600,
        );
        let err = Key::load(&path).expect_err("two lines");
        assert!(matches!(err, KeyError::Malformed { .. }), "{err}");

        write_key_file(&path, &"ab".repeat(16), 0o600);
        let err = Key::load(&path).expect_err("short");
        assert!(
            matches!(err, KeyError::WrongLength { digits: 32, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("64 hex digits (32 bytes)"),
            "{err}"
        );

        fs::write(&path, [0xff, 0xfe, 0x00]).expect("write");
        let err = Key::load(&path).expect_err("binary");
        assert!(matches!(err, KeyError::Malformed { .. }), "{err}");

        write_key_file(&path, &format!("{}\n", "AB".repeat(32)), 0o644);
        let err = Key::load(&path).expect_err("group readable");
        assert!(
            matches!(err, KeyError::Permissions { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");

        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).expect("chmod");
        assert_eq!(
            Key::load(&path).expect("upper-case hex, read-only").bytes(),
            &[0xab; 32]
        );

        for err in [
            KeyError::Missing { path: path.clone() },
            KeyError::Permissions {
                path: path.clone(),
                mode: 0o644,
            },
        ] {
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let key = Key([0x5a; KEY_LEN]);
        assert_eq!(format!("{key:?}"), "Key(..)");
    }
}
