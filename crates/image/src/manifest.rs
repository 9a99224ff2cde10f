//! The image directory's manifest (`vmft-image`): which files to boot and with what command
//! line, as `key = value` lines.

use std::collections::BTreeMap;
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
    /// Extra packages asked for with `vmft image build --package` (none in the default image).
    pub packages: Vec<String>,
    /// Every package whose files went in for [`Manifest::packages`], with its exact version,
    /// so the image can be built again from the same packages.
    pub package_versions: BTreeMap<String, String>,
}

impl Manifest {
    /// Writes the manifest into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let mut text = format!(
            "# vmft guest image\nfirmware = {}\nkernel = {}\ninitrd = {}\nappend = {}\nkernel_version = {}\n",
            self.firmware, self.kernel, self.initrd, self.append, self.kernel_version
        );
        if !self.packages.is_empty() {
            let versions: Vec<String> = self
                .package_versions
                .iter()
                .map(|(name, version)| format!("{name}={version}"))
                .collect();
            text += &format!(
                "packages = {}\npackage_versions = {}\n",
                self.packages.join(" "),
                versions.join(" ")
            );
        }
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
        let optional = |key: &str| {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().to_string())
                })
        };
        let get = |key: &str| {
            optional(key)
                .ok_or_else(|| Error::Manifest(format!("{}: no `{key}` line", path.display())))
        };
        let words = |key: &str| -> Vec<String> {
            optional(key)
                .unwrap_or_default()
                .split_whitespace()
                .map(String::from)
                .collect()
        };
        let package_versions = words("package_versions")
            .into_iter()
            .map(|pair| match pair.split_once('=') {
                Some((name, version)) => Ok((name.to_string(), version.to_string())),
                None => Err(Error::Manifest(format!(
                    "{}: `{pair}` in package_versions is not NAME=VERSION",
                    path.display()
                ))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Manifest {
            firmware: get("firmware")?,
            kernel: get("kernel")?,
            initrd: get("initrd")?,
            append: get("append")?,
            kernel_version: get("kernel_version")?,
            packages: words("packages"),
            package_versions,
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
            packages: Vec::new(),
            package_versions: BTreeMap::new(),
        };
        m.save(&dir).unwrap();
        // The default image's manifest has no package lines.
        assert!(!fs::read_to_string(dir.join(FILE))
            .unwrap()
            .contains("packages"));
        assert_eq!(Manifest::load(&dir).unwrap(), m);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn manifest_round_trips_packages_and_their_versions() {
        let dir = std::env::temp_dir().join(format!("vmft-manifest-pkg-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let m = Manifest {
            firmware: "fw".into(),
            kernel: "k".into(),
            initrd: "i".into(),
            append: "console=ttyS0".into(),
            kernel_version: "1".into(),
            packages: vec!["redis-server".into(), "curl".into()],
            package_versions: [
                ("redis-server", "5:8.0.2-3+deb13u3"),
                ("libc6", "2.41-12+deb13u5"),
            ]
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .into(),
        };
        m.save(&dir).unwrap();
        let text = fs::read_to_string(dir.join(FILE)).unwrap();
        assert!(text.contains("\npackages = redis-server curl\n"), "{text}");
        assert!(
            text.contains(
                "\npackage_versions = libc6=2.41-12+deb13u5 redis-server=5:8.0.2-3+deb13u3\n"
            ),
            "{text}"
        );
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
