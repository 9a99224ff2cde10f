//! The image directory's manifest (`vmft-image`): which files to boot and with what command
//! line, as `key = value` lines.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;

/// File name of the manifest inside an image directory.
pub const FILE: &str = "vmft-image";

/// What `vmft run --image DIR` boots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Firmware file (M-mode, loaded at the start of RAM).
    pub firmware: String,
    /// Kernel image file.
    pub kernel: String,
    /// Initramfs file.
    pub initrd: String,
    /// Kernel command line.
    pub append: String,
    /// Debian version of the kernel package, for the record.
    pub kernel_version: String,
}

impl Manifest {
    /// Writes the manifest into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let text = format!(
            "# vmft guest image\nfirmware = {}\nkernel = {}\ninitrd = {}\nappend = {}\nkernel_version = {}\n",
            self.firmware, self.kernel, self.initrd, self.append, self.kernel_version
        );
        let path = dir.join(FILE);
        fs::write(&path, text).map_err(|e| Error::io(&path, e))
    }

    /// Reads the manifest of the image in `dir`.
    pub fn load(dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join(FILE);
        let text = fs::read_to_string(&path).map_err(|e| {
            Error::Manifest(format!(
                "{}: {e} (build one with `vmft image build`)",
                path.display()
            ))
        })?;
        let get = |key: &str| {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().to_string())
                })
                .ok_or_else(|| Error::Manifest(format!("{}: no `{key}` line", path.display())))
        };
        Ok(Manifest {
            firmware: get("firmware")?,
            kernel: get("kernel")?,
            initrd: get("initrd")?,
            append: get("append")?,
            kernel_version: get("kernel_version")?,
        })
    }

    /// Absolute paths of firmware, kernel and initrd for an image in `dir`.
    pub fn paths(&self, dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
        (
            dir.join(&self.firmware),
            dir.join(&self.kernel),
            dir.join(&self.initrd),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_keeps_equals_signs_in_the_command_line() {
        let dir = std::env::temp_dir().join(format!("vmft-manifest-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let m = Manifest {
            firmware: "fw".into(),
            kernel: "k".into(),
            initrd: "i".into(),
            append: "console=ttyS0 vmft.ip=10.0.0.2/24".into(),
            kernel_version: "1".into(),
        };
        m.save(&dir).unwrap();
        assert_eq!(Manifest::load(&dir).unwrap(), m);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_key_is_named_in_the_error() {
        let dir = std::env::temp_dir().join(format!("vmft-manifest-bad-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(FILE), "firmware = fw\n").unwrap();
        let err = Manifest::load(&dir).unwrap_err().to_string();
        assert!(err.contains("no `kernel` line"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
