//! Fetching Debian riscv64 packages through apt, from the mirror the host already uses.
//!
//! vmft never names a mirror itself: it reads the host's apt sources, takes the first
//! Debian archive URI found there, and points a private apt tree (its own sources, lists and
//! archive cache under the image cache directory) at that URI for the guest's suite and the
//! riscv64 architecture. apt verifies the archive's signature with the host's Debian keyring
//! and each package against the signed hashes; cached packages are re-verified by hash.

use std::collections::BTreeMap;
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

    /// Resolves `packages` and everything they depend on (recommends and suggests left out) as
    /// apt would install them on an empty system, with `apt-get --simulate install`. Returns
    /// each package's name and the exact version apt chose.
    pub fn resolve(
        &self,
        packages: &[String],
        arch: &str,
    ) -> Result<BTreeMap<String, String>, Error> {
        let out = self
            .apt("apt-get", arch)
            .args(["-q", "--simulate", "--no-install-recommends", "install"])
            .args(packages)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Tool("apt-get", e.to_string()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(resolve_error(
                &stdout,
                &String::from_utf8_lossy(&out.stderr),
            ));
        }
        Ok(parse_simulation(&stdout))
    }

    /// The archive section (`libs`, `database`, ...) of each of `packages` (name and version).
    pub fn sections(
        &self,
        packages: &BTreeMap<String, String>,
        arch: &str,
    ) -> Result<BTreeMap<String, String>, Error> {
        let out = self
            .apt("apt-cache", arch)
            .arg("show")
            .args(
                packages
                    .iter()
                    .map(|(name, version)| format!("{name}={version}")),
            )
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Tool("apt-cache", e.to_string()))?;
        if !out.status.success() {
            return Err(Error::AptFailed(format!(
                "apt-cache show: {}",
                one_line(&String::from_utf8_lossy(&out.stderr))
            )));
        }
        Ok(parse_sections(&String::from_utf8_lossy(&out.stdout)))
    }

    /// The dependency graph (Depends and Pre-Depends) of `packages` and, recursively, of
    /// everything they depend on, from `apt-cache depends --recurse`.
    pub fn depends(&self, packages: &[String], arch: &str) -> Result<DependencyGraph, Error> {
        let out = self
            .apt("apt-cache", arch)
            .args([
                "depends",
                "--recurse",
                "--no-recommends",
                "--no-suggests",
                "--no-conflicts",
                "--no-breaks",
                "--no-replaces",
                "--no-enhances",
            ])
            .args(packages)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Tool("apt-cache", e.to_string()))?;
        if !out.status.success() {
            return Err(Error::AptFailed(format!(
                "apt-cache depends {}: {}",
                packages.join(" "),
                one_line(&String::from_utf8_lossy(&out.stderr))
            )));
        }
        Ok(parse_depends(&String::from_utf8_lossy(&out.stdout)))
    }
}

/// Reads the `Package:` and `Section:` fields of `apt-cache show` records.
fn parse_sections(text: &str) -> BTreeMap<String, String> {
    let mut sections = BTreeMap::new();
    let mut package = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Package:") {
            package = Some(name.trim().to_string());
        } else if let (Some(section), Some(name)) = (line.strip_prefix("Section:"), &package) {
            sections.insert(name.clone(), section.trim().to_string());
        }
    }
    sections
}

/// Each package's dependencies: one list of alternatives (names of real packages, virtual
/// packages replaced by their providers) per Depends or Pre-Depends entry.
pub type DependencyGraph = BTreeMap<String, Vec<Vec<String>>>;

/// Reads the `Inst NAME (VERSION ...)` lines of `apt-get --simulate install`.
fn parse_simulation(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("Inst ")?;
            let (name, rest) = rest.split_once(' ')?;
            // An upgrade shows `[OLD] (NEW ...)`; an empty status has none, but skip it anyway.
            let version = rest.split_once('(')?.1.split_whitespace().next()?;
            Some((name.to_string(), version.to_string()))
        })
        .collect()
}

/// Turns a failed `apt-get --simulate install` into an error: an unknown package, or a
/// dependency apt cannot satisfy (with apt's own explanation).
fn resolve_error(stdout: &str, stderr: &str) -> Error {
    let errors: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("E: "))
        .collect();
    for e in &errors {
        if let Some(name) = e.strip_prefix("Unable to locate package ") {
            return Error::UnknownPackage(name.trim().to_string());
        }
        // A virtual package (apt lists its providers, indented, after this line), or a
        // package with no version for this architecture.
        if e.contains("has no installation candidate") {
            let name = e.split('\'').nth(1).unwrap_or(e).to_string();
            let providers: Vec<&str> = stdout
                .lines()
                .skip_while(|l| !l.ends_with("is a virtual package provided by:"))
                .skip(1)
                .take_while(|l| l.starts_with("  "))
                .filter_map(|l| l.split_whitespace().next())
                .collect();
            return Error::NoCandidate(name, providers.join(" "));
        }
    }
    // ` redis-server : Depends: foo but it is not installable` (continuation lines are indented
    // further and name no package).
    let unmet: Vec<String> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| l.contains("Depends:"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if unmet.is_empty() {
        Error::AptFailed(format!("apt-get install --simulate: {}", errors.join("; ")))
    } else {
        Error::Unresolvable(unmet.join("; "))
    }
}

/// Reads `apt-cache depends --recurse` output: a package name at the start of a line, then
/// `  Depends: NAME` lines (` |Depends:` continues a list of alternatives into the next line;
/// a `<virtual>` name is followed by its providers, indented by four spaces).
fn parse_depends(text: &str) -> DependencyGraph {
    let mut graph = DependencyGraph::new();
    let mut current: Option<String> = None;
    // Whether the last entry ended with `|`, so the next one joins its alternatives.
    let mut continues = false;
    let strip_arch = |name: &str| name.split(':').next().unwrap_or(name).to_string();
    for line in text.lines() {
        if !line.starts_with(' ') {
            let name = line.trim();
            current = (!name.is_empty() && !name.starts_with('<')).then(|| strip_arch(name));
            if let Some(name) = &current {
                graph.entry(name.clone()).or_default();
            }
            continues = false;
            continue;
        }
        let Some(package) = &current else { continue };
        let groups = graph.entry(package.clone()).or_default();
        if let Some(provider) = line.strip_prefix("    ") {
            // A provider of the virtual package named on the line before.
            if let Some(group) = groups.last_mut() {
                group.push(strip_arch(provider.trim()));
            }
            continue;
        }
        let alternative = line.starts_with(" |");
        let Some((kind, name)) = line.trim_start_matches([' ', '|']).split_once(':') else {
            continue;
        };
        if kind != "Depends" && kind != "PreDepends" {
            continue;
        }
        let name = name.trim();
        let entry = if name.starts_with('<') {
            Vec::new() // a virtual package: its providers follow
        } else {
            vec![strip_arch(name)]
        };
        match groups.last_mut() {
            Some(group) if continues => group.extend(entry),
            _ => groups.push(entry),
        }
        continues = alternative;
    }
    graph
}

/// The first line of a tool's message, for a one-line error.
fn one_line(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start_matches("E: ").trim())
        .find(|l| !l.is_empty())
        .unwrap_or("failed")
        .to_string()
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
    use super::*;

    #[test]
    fn simulation_gives_each_package_and_its_exact_version() {
        let text = "Reading package lists...\n\
            Inst libc6 (2.41-12+deb13u5 Debian:13.8/stable [riscv64]) []\n\
            Inst redis-server (5:8.0.2-3+deb13u3 Debian:13.8/stable [riscv64])\n\
            Conf libc6 (2.41-12+deb13u5 Debian:13.8/stable [riscv64])\n";
        let packages = parse_simulation(text);
        assert_eq!(packages.len(), 2);
        assert_eq!(packages["redis-server"], "5:8.0.2-3+deb13u3");
        assert_eq!(packages["libc6"], "2.41-12+deb13u5");
    }

    #[test]
    fn sections_come_from_the_package_records() {
        let text = "Package: zlib1g\nVersion: 1:1.3\nSection: libs\n\n\
            Package: redis-tools\nSection: database\nDescription: x\n";
        let sections = parse_sections(text);
        assert_eq!(sections["zlib1g"], "libs");
        assert_eq!(sections["redis-tools"], "database");
    }

    #[test]
    fn depends_output_becomes_groups_of_alternatives_with_virtual_providers() {
        let text = "redis-server\n  PreDepends: init-system-helpers\n  Depends: redis-tools\n\
            libpam-modules\n  PreDepends: libaudit1\n |PreDepends: debconf\n  PreDepends: <debconf-2.0>\n\
            \x20   cdebconf\n    debconf\n  PreDepends: libpam-modules-bin\n\
            <debconf-2.0>\ninit-system-helpers\n";
        let graph = parse_depends(text);
        let groups = |p: &str| graph[p].clone();
        assert_eq!(
            groups("redis-server"),
            [vec!["init-system-helpers"], vec!["redis-tools"]]
        );
        assert_eq!(
            groups("libpam-modules"),
            [
                vec!["libaudit1"],
                vec!["debconf", "cdebconf", "debconf"],
                vec!["libpam-modules-bin"]
            ]
        );
        assert!(graph["init-system-helpers"].is_empty());
        assert!(!graph.contains_key("<debconf-2.0>"));
    }

    #[test]
    fn apt_failures_become_unknown_package_or_unresolvable_errors() {
        let unknown = resolve_error("", "E: Unable to locate package nosuchpkg\n");
        assert!(matches!(unknown, Error::UnknownPackage(ref p) if p == "nosuchpkg"));
        let stdout =
            "Package awk is a virtual package provided by:\n  mawk 1.3.4-1\n  gawk 1:5.2.1-2\n\n";
        let virtual_package =
            resolve_error(stdout, "E: Package 'awk' has no installation candidate");
        assert_eq!(
            virtual_package.to_string(),
            "awk has no installation candidate; it is a virtual package: ask for one of mawk gawk"
        );
        let stdout = "The following packages have unmet dependencies:\n \
            app : Depends: libgone1 but it is not installable\n";
        let unresolvable = resolve_error(
            stdout,
            "E: Unable to correct problems, you have held broken packages.\n",
        );
        assert_eq!(
            unresolvable.to_string(),
            "unresolvable dependencies: app : Depends: libgone1 but it is not installable"
        );
    }

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
