//! Fetching Debian riscv64 packages through apt, from the mirror the host already uses.
//!
//! vmft never names a mirror itself: it reads the host's apt sources, takes the first
//! Debian archive URI found there, and points a private apt tree (its own sources, lists and
//! archive cache under the image cache directory) at that URI for the guest's suite and the
//! riscv64 architecture. apt verifies the archive's signature with the host's Debian keyring
//! and each package against the signed hashes; cached packages are re-verified by hash.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::Error;

/// Where the host keeps its apt sources.
const HOST_SOURCES: &[&str] = &["/etc/apt/sources.list", "/etc/apt/sources.list.d"];

/// The keyring apt uses to verify the Debian archive (package debian-archive-keyring).
const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// Returns the URI of the first Debian archive (not a security or ports archive) in the host's
/// apt sources, in one-line (`deb URI suite comp...`) or deb822 (`URIs:`) form.
pub fn host_debian_mirror() -> Result<String, Error> {
    let mut files = Vec::new();
    for source in HOST_SOURCES {
        let path = Path::new(source);
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|e| Error::io(path, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("list" | "sources")
                    )
                })
                .collect();
            entries.sort();
            files.extend(entries);
        } else if path.is_file() {
            files.push(path.to_path_buf());
        }
    }
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        if let Some(uri) = debian_uri_in(&text) {
            return Ok(uri);
        }
    }
    Err(Error::NoMirror)
}

/// Finds a Debian archive URI in the text of one apt sources file.
fn debian_uri_in(text: &str) -> Option<String> {
    let is_debian_archive = |uri: &str| {
        let uri = uri.trim_end_matches('/');
        uri.ends_with("/debian") && !uri.contains("security") && !uri.contains("ports")
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        match words.next() {
            Some("deb") => {
                // Skip an optional `[option=value ...]` block.
                let uri =
                    words.find(|w| !w.starts_with('[') && !w.ends_with(']') && !w.contains('='));
                if let Some(uri) = uri.filter(|u| is_debian_archive(u)) {
                    return Some(uri.trim_end_matches('/').to_string());
                }
            }
            Some("URIs:") => {
                if let Some(uri) = words.find(|u| is_debian_archive(u)) {
                    return Some(uri.trim_end_matches('/').to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// A private apt tree for one suite and architecture.
pub struct AptTree {
    root: PathBuf,
}

impl AptTree {
    /// Creates (or reuses) the tree under `root` for `suite`/`arch` served from `mirror`.
    pub fn new(root: &Path, mirror: &str, suite: &str, arch: &str) -> Result<AptTree, Error> {
        if !Path::new(DEBIAN_KEYRING).exists() {
            return Err(Error::NoKeyring(DEBIAN_KEYRING));
        }
        for dir in [
            "etc/sources.list.d",
            "etc/preferences.d",
            "etc/apt.conf.d",
            "lists/partial",
            "state",
            "debs",
        ] {
            let d = root.join(dir);
            fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
        }
        let sources = format!(
            "Types: deb\nURIs: {mirror}\nSuites: {suite}\nComponents: main\nArchitectures: {arch}\nSigned-By: {DEBIAN_KEYRING}\n"
        );
        let path = root.join("etc/sources.list.d/vmft-guest.sources");
        fs::write(&path, sources).map_err(|e| Error::io(&path, e))?;
        let status = root.join("state/status");
        if !status.exists() {
            fs::write(&status, "").map_err(|e| Error::io(&status, e))?;
        }
        Ok(AptTree {
            root: root.to_path_buf(),
        })
    }

    fn options(&self, arch: &str) -> Vec<String> {
        let r = self.root.display();
        [
            format!("Dir::Etc={r}/etc"),
            "Dir::Etc::SourceList=/dev/null".to_string(),
            format!("Dir::Etc::SourceParts={r}/etc/sources.list.d"),
            format!("Dir::Etc::Parts={r}/etc/apt.conf.d"),
            format!("Dir::Etc::PreferencesParts={r}/etc/preferences.d"),
            format!("Dir::State={r}/state"),
            format!("Dir::State::Lists={r}/lists"),
            format!("Dir::State::status={r}/state/status"),
            format!("Dir::Cache={r}/cache"),
            format!("APT::Architecture={arch}"),
            format!("APT::Architectures={arch}"),
            "APT::Sandbox::User=root".to_string(),
        ]
        .into_iter()
        .flat_map(|o| ["-o".to_string(), o])
        .collect()
    }

    fn apt(&self, tool: &str, arch: &str) -> Command {
        let mut cmd = Command::new(tool);
        cmd.args(self.options(arch));
        cmd
    }

    /// Refreshes the package lists (apt shows its own progress on the terminal).
    pub fn update(&self, arch: &str) -> Result<(), Error> {
        let status = self
            .apt("apt-get", arch)
            .args(["-q", "--error-on=any", "update"])
            .stdout(Stdio::inherit())
            .status()
            .map_err(|e| Error::Tool("apt-get", e.to_string()))?;
        if !status.success() {
            return Err(Error::AptFailed(format!(
                "apt-get update could not fetch the package lists ({status}); \
                 is the mirror reachable? (apt's messages are above)"
            )));
        }
        Ok(())
    }

    /// Returns the verified `.deb` for `package` at exactly `version`, downloading it unless a
    /// cached copy matches the archive's SHA-256.
    pub fn fetch(&self, package: &str, version: &str, arch: &str) -> Result<PathBuf, Error> {
        let out = self
            .apt("apt-cache", arch)
            .args(["show", &format!("{package}={version}")])
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| Error::Tool("apt-cache", e.to_string()))?;
        if !out.status.success() {
            return Err(Error::PackageMissing {
                package: package.into(),
                version: version.into(),
            });
        }
        let record = String::from_utf8_lossy(&out.stdout);
        let field = |name: &str| {
            record
                .lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
        };
        let (Some(sha256), Some(filename)) = (field("SHA256:"), field("Filename:")) else {
            return Err(Error::AptFailed(format!(
                "apt-cache show {package} gave no SHA256/Filename"
            )));
        };
        let debs = self.root.join("debs");
        let name = filename.rsplit('/').next().unwrap_or(&filename).to_string();
        let path = debs.join(&name);
        if path.exists() && sha256_of(&path)? == sha256 {
            eprintln!("vmft: {package} {version}: cached");
            return Ok(path);
        }
        eprintln!("vmft: downloading {package} {version}");
        let status = self
            .apt("apt-get", arch)
            .args(["-q", "download", &format!("{package}={version}")])
            .current_dir(&debs)
            .stdout(Stdio::inherit())
            .status()
            .map_err(|e| Error::Tool("apt-get", e.to_string()))?;
        if !status.success() {
            return Err(Error::AptFailed(format!(
                "apt-get download {package}={version} exited with {status}"
            )));
        }
        // apt-get download names the file `package_version_arch.deb`, the epoch's colon escaped.
        let prefix = format!("{package}_{}_", version.replace(':', "%3a"));
        let downloaded = fs::read_dir(&debs)
            .map_err(|e| Error::io(&debs, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb"))
            })
            .ok_or_else(|| Error::AptFailed(format!("apt-get download left no {prefix}*.deb")))?;
        if sha256_of(&downloaded)? != sha256 {
            return Err(Error::AptFailed(format!(
                "{} does not match the archive's SHA-256",
                downloaded.display()
            )));
        }
        if downloaded != path {
            fs::rename(&downloaded, &path).map_err(|e| Error::io(&path, e))?;
        }
        Ok(path)
    }
}

fn sha256_of(path: &Path) -> Result<String, Error> {
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::debian_uri_in;

    #[test]
    fn finds_the_archive_in_deb822_sources_and_skips_security() {
        let text =
            "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: x-security\n\n\
                    Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n";
        assert_eq!(
            debian_uri_in(text).as_deref(),
            Some("http://mirror.example/debian")
        );
    }

    #[test]
    fn finds_the_archive_in_one_line_sources_with_options() {
        let text =
            "# comment\ndeb [arch=amd64 signed-by=/k.gpg] https://m.example/debian bookworm main\n";
        assert_eq!(
            debian_uri_in(text).as_deref(),
            Some("https://m.example/debian")
        );
    }

    #[test]
    fn ignores_non_debian_sources() {
        assert_eq!(
            debian_uri_in("deb https://packages.example/apt stable main\n"),
            None
        );
    }
}
