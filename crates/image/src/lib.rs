//! Builds vmft's guest images from Debian packages: OpenSBI firmware, Debian's stock riscv64
//! kernel, and an initramfs with busybox, the kernel modules the vmft board needs, a small
//! init and, on request, further Debian packages with the shared libraries they need (see
//! [`packages`]).
//!
//! Packages come through apt from the host's own configured Debian mirror (see [`apt`]); the
//! kernel version is pinned so that every build boots the same kernel.

pub mod apt;
pub mod deb;
pub mod initramfs;
pub mod kmod;
pub mod manifest;
pub mod packages;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use manifest::Manifest;

/// The guest's Debian suite.
pub const SUITE: &str = "trixie";
/// The guest's architecture.
pub const ARCH: &str = "riscv64";
/// The pinned kernel package and version.
pub const KERNEL_PACKAGE: (&str, &str) = ("linux-image-6.12.117+deb13-riscv64", "6.12.117-1");
/// The firmware package and version.
pub const OPENSBI_PACKAGE: (&str, &str) = ("opensbi", "1.6-1");
/// The userland package and version.
pub const BUSYBOX_PACKAGE: (&str, &str) = ("busybox-static", "1:1.37.0-6+b9");

/// Modules the board needs that Debian builds as modules; their dependencies come along.
const MODULES: &[&str] = &[
    "virtio_mmio",
    "virtio_blk",
    "virtio_net",
    "virtio_rng",
    "crc32c_generic",
    "ext4",
];

/// Kernel command line of the default image.
pub const DEFAULT_APPEND: &str = "console=ttyS0";

/// Errors while building or reading an image.
#[derive(Debug, Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The host's apt sources name no Debian archive.
    #[error("no Debian mirror in the host's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d); add one or pass --mirror")]
    NoMirror,
    /// The Debian archive keyring is not installed.
    #[error("{0} not found: install the debian-archive-keyring package")]
    NoKeyring(&'static str),
    /// A host tool could not be started.
    #[error("cannot run {0}: {1} (is apt installed?)")]
    Tool(&'static str, String),
    /// apt failed (mirror unreachable, signature or hash mismatch).
    #[error("apt failed: {0}")]
    AptFailed(String),
    /// The pinned package version is not in the mirror.
    #[error("{package}={version} is not available from the mirror (apt-get update ran; is the mirror current?)")]
    PackageMissing {
        /// Package name.
        package: String,
        /// Pinned version.
        version: String,
    },
    /// A package does not hold what it should.
    #[error("{0}: {1}")]
    BadPackage(PathBuf, String),
    /// A package asked for with `--package` is not in the archive.
    #[error("unknown package {0}: not in Debian {SUITE}/{ARCH} main (apt-get update ran)")]
    UnknownPackage(String),
    /// A package asked for with `--package` has no version to install: a virtual package (the
    /// second field lists its providers), or one not built for the architecture.
    #[error("{} has no installation candidate{}", .0, providers_hint(.1))]
    NoCandidate(String, String),
    /// apt cannot satisfy the dependencies of the packages asked for.
    #[error("unresolvable dependencies: {0}")]
    Unresolvable(String),
    /// Module resolution failed.
    #[error("kernel modules: {0}")]
    Modules(String),
    /// An image manifest is missing or malformed.
    #[error("{0}")]
    Manifest(String),
}

/// Names the providers of a virtual package, if apt listed any.
fn providers_hint(providers: &str) -> String {
    if providers.is_empty() {
        String::new()
    } else {
        format!("; it is a virtual package: ask for one of {providers}")
    }
}

impl Error {
    fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where packages are cached between builds: `$XDG_CACHE_HOME/vmft` or `~/.cache/vmft`.
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/var/tmp"))
        .join("vmft")
}

/// Builds an image into `out` using the package cache at `cache`, from `mirror` or the host's
/// configured Debian mirror: the default image, plus the Debian `packages` (see [`packages`]
/// for what of them goes in). Returns the manifest written to `out`.
pub fn build(
    out: &Path,
    cache: &Path,
    mirror: Option<&str>,
    packages: &[String],
) -> Result<Manifest, Error> {
    let mirror = match mirror {
        Some(m) => m.trim_end_matches('/').to_string(),
        None => apt::host_debian_mirror()?,
    };
    eprintln!("vmft: building the guest image from Debian {SUITE}/{ARCH} at {mirror}");
    let tree = apt::AptTree::new(
        &cache.join(format!("apt-{SUITE}-{ARCH}")),
        &mirror,
        SUITE,
        ARCH,
    )?;
    tree.update(ARCH)?;
    let fetch = |(name, version): (&str, &str)| tree.fetch(name, version, ARCH);
    let kernel_deb = fetch(KERNEL_PACKAGE)?;
    let opensbi_deb = fetch(OPENSBI_PACKAGE)?;
    let busybox_deb = fetch(BUSYBOX_PACKAGE)?;
    let (extra, package_versions) = if packages.is_empty() {
        (initramfs::Tree::new(), BTreeMap::new())
    } else {
        package_files(&tree, packages)?
    };

    fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let write = |name: &str, data: &[u8]| {
        let path = out.join(name);
        fs::write(&path, data).map_err(|e| Error::io(&path, e))
    };

    eprintln!("vmft: unpacking firmware, kernel and busybox");
    let firmware = single_file(
        &opensbi_deb,
        "usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin",
    )?;
    write("fw_jump.bin", &firmware)?;

    let kernel_files = deb::extract(&kernel_deb, |p| {
        (p.starts_with("boot/vmlinux-")) || (p.contains("/kernel/") && p.ends_with(".ko.xz"))
    })?;
    let mut available = BTreeMap::new();
    let mut kernel = None;
    for f in kernel_files {
        let Some(data) = f.data else { continue };
        if f.path.starts_with("boot/vmlinux-") {
            kernel = Some(data);
        } else if let Some(name) = kmod::module_name(&f.path) {
            available.insert(name, (f.path, data));
        }
    }
    let kernel =
        kernel.ok_or_else(|| Error::BadPackage(kernel_deb.clone(), "no boot/vmlinux-*".into()))?;
    write("Image", &kernel)?;

    let busybox = single_file(&busybox_deb, "usr/bin/busybox")?;
    let modules = kmod::resolve(MODULES, &available)?;
    eprintln!(
        "vmft: initramfs with busybox and {} modules ({})",
        modules.len(),
        modules
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let initrd = initramfs::build(&busybox, &modules, &extra).map_err(|e| Error::io(out, e))?;
    write("initrd.cpio", &initrd)?;

    let manifest = Manifest {
        firmware: "fw_jump.bin".into(),
        kernel: "Image".into(),
        initrd: "initrd.cpio".into(),
        append: DEFAULT_APPEND.into(),
        kernel_version: KERNEL_PACKAGE.1.into(),
        packages: packages.to_vec(),
        package_versions,
    };
    manifest.save(out)?;
    eprintln!("vmft: image ready in {}", out.display());
    Ok(manifest)
}

/// Resolves, fetches and unpacks `requested` for the initramfs: the files of the whole
/// packages and the shared objects they need (see [`packages`]). Returns the files and the
/// name and version of every package they come from.
fn package_files(
    tree: &apt::AptTree,
    requested: &[String],
) -> Result<(initramfs::Tree, BTreeMap<String, String>), Error> {
    eprintln!("vmft: resolving {} with apt", requested.join(" "));
    let installed = tree.resolve(requested, ARCH)?;
    let graph = tree.depends(requested, ARCH)?;
    let sections = tree.sections(&installed, ARCH)?;
    let plan = packages::plan(requested, &graph, &installed, |name| {
        packages::is_library(name, sections.get(name).map_or("", String::as_str))
    });
    let version = |name: &String| {
        installed.get(name).cloned().ok_or_else(|| {
            Error::AptFailed(format!("apt-get install --simulate did not list {name}"))
        })
    };
    let unpack = |names: &BTreeSet<String>, wanted: fn(&str) -> bool| {
        let mut files = initramfs::Tree::new();
        for name in names {
            let deb = tree.fetch(name, &version(name)?, ARCH)?;
            for f in deb::extract(&deb, wanted)? {
                let node = match (f.data, f.link) {
                    (Some(data), _) => initramfs::Node::File { mode: f.mode, data },
                    (None, Some(target)) => initramfs::Node::Symlink(target),
                    (None, None) => continue,
                };
                files.insert(packages::merged_path(&f.path), node);
            }
        }
        Ok::<_, Error>(files)
    };
    let whole = unpack(&plan.whole, packages::keep)?;
    let libraries = unpack(&plan.libraries, packages::in_library_dir)?;
    let (mut files, warnings) = packages::closure(&whole, &libraries, packages::elf_needs);
    for warning in warnings {
        eprintln!("vmft: warning: {warning}");
    }
    eprintln!(
        "vmft: {} files from {}; {} shared objects and links from {}",
        whole.len(),
        plan.whole.iter().cloned().collect::<Vec<_>>().join(" "),
        files.len(),
        plan.libraries.iter().cloned().collect::<Vec<_>>().join(" ")
    );
    files.extend(whole);
    let versions = plan
        .whole
        .iter()
        .chain(&plan.libraries)
        .map(|name| Ok((name.clone(), version(name)?)))
        .collect::<Result<_, Error>>()?;
    Ok((files, versions))
}

fn single_file(deb: &Path, path: &str) -> Result<Vec<u8>, Error> {
    deb::extract(deb, |p| p == path)?
        .into_iter()
        .find_map(|f| f.data)
        .ok_or_else(|| Error::BadPackage(deb.to_path_buf(), format!("no {path}")))
}
