//! Extra Debian packages in the image (`vmft image build --package NAME`): which packages go
//! in and how much of each, and the shared libraries their programs load.
//!
//! The rule:
//! - apt resolves the requested packages with their Depends and Pre-Depends (no recommends)
//!   as on an empty system; its choice among alternatives and virtual packages is kept.
//! - **Library packages** are those whose name starts with `lib` or whose archive section is
//!   `libs` (`zlib1g`).
//! - **Whole packages**: the requested packages and their direct dependencies that are not
//!   library packages. Those often hold the requested package's programs (Debian's
//!   `redis-server` is a symlink into `redis-tools`). All their files go in except
//!   documentation, manual and info pages, translations and lintian overrides.
//! - The library packages reached from the whole packages through dependencies on library
//!   packages contribute only the shared objects that the whole packages' ELF files need:
//!   the closure over `DT_NEEDED` (searched in `DT_RUNPATH`/`DT_RPATH`, then
//!   `/usr/lib/riscv64-linux-gnu` and `/usr/lib`) and the dynamic loader (`PT_INTERP`), with
//!   every symbolic link on the way.
//! - Other dependencies (of dependencies) are left out, as are maintainer scripts and empty
//!   directories; no package is configured.
//!
//! Debian trixie is usrmerged: a package path under `lib/` is stored under `usr/lib/`, and
//! the initramfs links `/lib` to `usr/lib` (see [`crate::initramfs::build`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use goblin::elf::Elf;

use crate::apt::DependencyGraph;
use crate::initramfs::{Node, Tree};

/// Where the dynamic loader looks for libraries when no cache or run path names them
/// (glibc's system search path on Debian riscv64, usrmerged).
const LIBRARY_DIRS: &[&str] = &["usr/lib/riscv64-linux-gnu", "usr/lib"];

/// Directories of a package whose files the guest never needs.
const SKIPPED_DIRS: &[&str] = &[
    "usr/share/doc/",
    "usr/share/man/",
    "usr/share/info/",
    "usr/share/locale/",
    "usr/share/lintian/",
];

/// Symbolic links followed before a path is taken for a loop.
const MAX_LINKS: usize = 40;

/// Whether a package is a library package (only its needed shared objects go in), given its
/// name and its archive section.
pub fn is_library(package: &str, section: &str) -> bool {
    package.starts_with("lib") || section == "libs"
}

/// The packages whose files go into the image.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Packages that go in whole.
    pub whole: BTreeSet<String>,
    /// Library packages that contribute the shared objects the programs need.
    pub libraries: BTreeSet<String>,
}

/// Chooses the packages for `requested` from the dependency `graph` and the set apt resolved
/// (`installed`, which settles alternatives and virtual packages), by the rule in the module
/// documentation; `is_library` tells library packages by name ([`is_library`] with the
/// package's section).
pub fn plan(
    requested: &[String],
    graph: &DependencyGraph,
    installed: &BTreeMap<String, String>,
    is_library: impl Fn(&str) -> bool,
) -> Plan {
    // In each dependency, the alternatives apt installed.
    let chosen = |package: &str| -> Vec<String> {
        graph
            .get(package)
            .into_iter()
            .flatten()
            .flat_map(|group| group.iter().filter(|d| installed.contains_key(*d)))
            .cloned()
            .collect()
    };
    let mut plan = Plan::default();
    for package in requested {
        plan.whole.insert(package.clone());
        for dep in chosen(package) {
            if !is_library(&dep) {
                plan.whole.insert(dep);
            }
        }
    }
    let mut queue: VecDeque<String> = plan.whole.iter().flat_map(|p| chosen(p)).collect();
    while let Some(dep) = queue.pop_front() {
        if is_library(&dep) && !plan.whole.contains(&dep) && plan.libraries.insert(dep.clone()) {
            queue.extend(chosen(&dep));
        }
    }
    plan
}

/// Whether a whole package's file goes into the initramfs (not documentation and the like).
pub fn keep(path: &str) -> bool {
    !SKIPPED_DIRS.iter().any(|dir| path.starts_with(dir))
}

/// Whether a library package's file may be a shared object or the dynamic loader.
pub fn in_library_dir(path: &str) -> bool {
    path.starts_with("lib/") || path.starts_with("usr/lib/")
}

/// A package path's place in the usrmerged initramfs: `lib/...` becomes `usr/lib/...`.
pub fn merged_path(path: &str) -> String {
    let path = path.trim_start_matches('/');
    if path == "lib" || path.starts_with("lib/") {
        format!("usr/{path}")
    } else {
        path.to_string()
    }
}

/// What the dynamic linker needs to start one ELF file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// `PT_INTERP`: the dynamic loader's absolute path.
    pub interpreter: Option<String>,
    /// `DT_NEEDED`: the shared objects' names.
    pub libraries: Vec<String>,
    /// `DT_RUNPATH` and `DT_RPATH` directories.
    pub run_path: Vec<String>,
}

/// Reads what an ELF file needs; `None` when `data` is not an ELF file.
pub fn elf_needs(data: &[u8]) -> Option<Needs> {
    if !data.starts_with(b"\x7fELF") {
        return None;
    }
    let elf = Elf::parse(data).ok()?;
    let run_path = elf
        .runpaths
        .iter()
        .chain(&elf.rpaths)
        .flat_map(|p| p.split(':'))
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    Some(Needs {
        interpreter: elf.interpreter.map(String::from),
        libraries: elf.libraries.iter().map(|l| l.to_string()).collect(),
        run_path,
    })
}

/// The files of `libraries` that the ELF files in `whole` need, directly or through each
/// other: shared objects by `DT_NEEDED`, the dynamic loader, and the symbolic links that lead
/// to them. `needs` reads an ELF file ([`elf_needs`]). Also returns a warning for each
/// library or loader no package provides.
pub fn closure(
    whole: &Tree,
    libraries: &Tree,
    needs: impl Fn(&[u8]) -> Option<Needs>,
) -> (Tree, Vec<String>) {
    let mut selected = Tree::new();
    let mut warnings = Vec::new();
    let mut visited = BTreeSet::new();
    let mut queue: VecDeque<String> = whole
        .iter()
        .filter(|(_, node)| matches!(node, Node::File { .. }))
        .map(|(path, _)| path.clone())
        .collect();
    while let Some(path) = queue.pop_front() {
        if !visited.insert(path.clone()) {
            continue;
        }
        let Some(Node::File { data, .. }) = whole.get(&path).or_else(|| libraries.get(&path))
        else {
            continue;
        };
        let Some(needs) = needs(data) else { continue };
        let dir = parent(&path);
        let mut found = |candidate: &str, selected: &mut Tree| -> bool {
            let Some(chain) = follow(candidate, whole, libraries) else {
                return false;
            };
            for link in &chain {
                if let Some(node) = libraries.get(link).filter(|_| !whole.contains_key(link)) {
                    selected.insert(link.clone(), node.clone());
                }
            }
            queue.extend(chain.last().cloned());
            true
        };
        if let Some(interpreter) = &needs.interpreter {
            if !found(interpreter, &mut selected) {
                warnings.push(format!(
                    "/{path} needs the loader {interpreter}, which no package provides"
                ));
            }
        }
        let search: Vec<String> = needs
            .run_path
            .iter()
            .map(|p| p.replace("$ORIGIN", &format!("/{dir}")))
            .chain(LIBRARY_DIRS.iter().map(|d| d.to_string()))
            .collect();
        for library in &needs.libraries {
            let hit = if library.contains('/') {
                found(&join(dir, library), &mut selected)
            } else {
                search
                    .iter()
                    .any(|d| found(&join(d, library), &mut selected))
            };
            if !hit {
                warnings.push(format!(
                    "/{path} needs {library}, which none of the packages provides"
                ));
            }
        }
    }
    (selected, warnings)
}

/// The paths from `path` through its symbolic links to a file in `whole` or `libraries`
/// (normalized, usrmerged); `None` if there is no such file.
fn follow(path: &str, whole: &Tree, libraries: &Tree) -> Option<Vec<String>> {
    let mut chain = Vec::new();
    let mut path = normalize(path);
    for _ in 0..MAX_LINKS {
        chain.push(path.clone());
        match whole.get(&path).or_else(|| libraries.get(&path))? {
            Node::File { .. } => return Some(chain),
            Node::Symlink(target) => path = normalize(&join(parent(&path), target)),
        }
    }
    None
}

/// The directory part of a relative path (`""` at the top).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `target` relative to directory `dir`, or `target` itself if it is absolute.
fn join(dir: &str, target: &str) -> String {
    if target.starts_with('/') || dir.is_empty() {
        target.to_string()
    } else {
        format!("{dir}/{target}")
    }
}

/// Resolves `.` and `..` and drops the leading `/`, then usrmerges.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    merged_path(&parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn graph(edges: &[(&str, &[&[&str]])]) -> DependencyGraph {
        edges
            .iter()
            .map(|(p, groups)| (p.to_string(), groups.iter().map(|g| names(g)).collect()))
            .collect()
    }

    #[test]
    fn whole_packages_are_the_requested_ones_and_their_direct_non_library_dependencies() {
        let g = graph(&[
            (
                "redis-server",
                &[&["init-system-helpers"], &["redis-tools"]],
            ),
            (
                "redis-tools",
                &[&["adduser"], &["libc6"], &["libssl3t64"], &["libjemalloc2"]],
            ),
            ("adduser", &[&["passwd"]]),
            ("passwd", &[&["libpam0g"]]),
            (
                "libssl3t64",
                &[&["libc6"], &["zlib1g"], &["openssl-provider-legacy"]],
            ),
            ("zlib1g", &[&["libc6"]]),
            ("libjemalloc2", &[&["libc6"], &["libstdc++6"]]),
            ("libc6", &[&["libgcc-s1"]]),
            ("libgcc-s1", &[&["libc6"]]),
            ("libstdc++6", &[&["libc6"]]),
        ]);
        let installed = [
            "redis-server",
            "redis-tools",
            "init-system-helpers",
            "adduser",
            "passwd",
            "libpam0g",
            "libc6",
            "libssl3t64",
            "zlib1g",
            "openssl-provider-legacy",
            "libjemalloc2",
            "libgcc-s1",
            "libstdc++6",
        ]
        .iter()
        .map(|p| (p.to_string(), "1".to_string()))
        .collect();
        let sections: BTreeMap<&str, &str> = [("zlib1g", "libs")].into();
        let library = |p: &str| is_library(p, sections.get(p).copied().unwrap_or("misc"));
        let plan = plan(&names(&["redis-server"]), &g, &installed, library);
        assert_eq!(
            plan.whole,
            ["init-system-helpers", "redis-server", "redis-tools"]
                .map(String::from)
                .into()
        );
        // Through library packages only (zlib1g by its section); libpam0g hangs off passwd.
        assert_eq!(
            plan.libraries,
            [
                "libc6",
                "libgcc-s1",
                "libjemalloc2",
                "libssl3t64",
                "libstdc++6",
                "zlib1g"
            ]
            .map(String::from)
            .into()
        );
    }

    #[test]
    fn the_alternative_apt_installed_is_the_one_taken() {
        let g = graph(&[("app", &[&["debconf", "cdebconf"], &["libfoo1", "libbar1"]])]);
        let installed = [("app", "1"), ("cdebconf", "2"), ("libbar1", "3")]
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .into();
        let plan = plan(&names(&["app"]), &g, &installed, |p| is_library(p, "misc"));
        assert_eq!(plan.whole, ["app", "cdebconf"].map(String::from).into());
        assert_eq!(plan.libraries, ["libbar1"].map(String::from).into());
    }

    #[test]
    fn usrmerge_and_the_file_filter() {
        assert_eq!(merged_path("lib/ld.so"), "usr/lib/ld.so");
        assert_eq!(merged_path("/lib"), "usr/lib");
        assert_eq!(merged_path("library/x"), "library/x");
        assert_eq!(merged_path("usr/bin/x"), "usr/bin/x");
        assert_eq!(normalize("/lib/./a/../ld.so"), "usr/lib/ld.so");
        assert!(keep("usr/bin/redis-cli"));
        assert!(keep("etc/redis/redis.conf"));
        assert!(!keep("usr/share/doc/redis-tools/copyright"));
        assert!(!keep("usr/share/man/man1/redis-cli.1.gz"));
        assert!(in_library_dir("lib/riscv64-linux-gnu/libc.so.6"));
        assert!(!in_library_dir("usr/share/zoneinfo/UTC"));
    }

    fn file(data: &str) -> Node {
        Node::File {
            mode: 0o644,
            data: data.as_bytes().to_vec(),
        }
    }

    fn link(target: &str) -> Node {
        Node::Symlink(target.into())
    }

    /// A stand-in for ELF files: `ELF interp=/x needs=a,b runpath=/d`.
    fn fake_needs(data: &[u8]) -> Option<Needs> {
        let text = std::str::from_utf8(data).ok()?.strip_prefix("ELF")?;
        let mut needs = Needs::default();
        for word in text.split_whitespace() {
            let (key, value) = word.split_once('=')?;
            let list = value.split(',').map(String::from);
            match key {
                "interp" => needs.interpreter = Some(value.into()),
                "needs" => needs.libraries.extend(list),
                "runpath" => needs.run_path.extend(list),
                _ => return None,
            }
        }
        Some(needs)
    }

    #[test]
    fn closure_follows_needed_libraries_links_and_the_loader() {
        let whole: Tree = [
            (
                "usr/bin/server",
                file("ELF interp=/lib/ld-linux-riscv64-lp64d.so.1 needs=libssl.so.3,libc.so.6"),
            ),
            ("usr/bin/alias", link("server")),
            ("usr/bin/script", file("#!/bin/sh")),
        ]
        .map(|(p, n)| (p.to_string(), n))
        .into();
        let libraries: Tree = [
            (
                "usr/lib/ld-linux-riscv64-lp64d.so.1",
                link("riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1"),
            ),
            (
                "usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1",
                file("ELF"),
            ),
            ("usr/lib/riscv64-linux-gnu/libc.so.6", file("ELF")),
            (
                "usr/lib/riscv64-linux-gnu/libssl.so.3",
                file("ELF needs=libcrypto.so.3,libc.so.6"),
            ),
            (
                "usr/lib/riscv64-linux-gnu/libcrypto.so.3",
                file("ELF needs=libz.so.1"),
            ),
            ("usr/lib/riscv64-linux-gnu/libz.so.1", link("libz.so.1.3")),
            ("usr/lib/riscv64-linux-gnu/libz.so.1.3", file("ELF")),
            ("usr/lib/riscv64-linux-gnu/libunused.so.1", file("ELF")),
            ("usr/lib/riscv64-linux-gnu/gconv/UTF-7.so", file("ELF")),
        ]
        .map(|(p, n)| (p.to_string(), n))
        .into();
        let (selected, warnings) = closure(&whole, &libraries, fake_needs);
        assert!(warnings.is_empty(), "{warnings:?}");
        let paths: Vec<&str> = selected.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "usr/lib/ld-linux-riscv64-lp64d.so.1",
                "usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1",
                "usr/lib/riscv64-linux-gnu/libc.so.6",
                "usr/lib/riscv64-linux-gnu/libcrypto.so.3",
                "usr/lib/riscv64-linux-gnu/libssl.so.3",
                "usr/lib/riscv64-linux-gnu/libz.so.1",
                "usr/lib/riscv64-linux-gnu/libz.so.1.3",
            ]
        );
        assert!(matches!(
            &selected["usr/lib/riscv64-linux-gnu/libz.so.1"],
            Node::Symlink(t) if t == "libz.so.1.3"
        ));
    }

    #[test]
    fn closure_searches_the_run_path_and_warns_about_missing_libraries() {
        let whole: Tree = [(
            "usr/bin/app",
            file("ELF needs=libprivate.so,libgone.so.2 runpath=$ORIGIN/../lib/app"),
        )]
        .map(|(p, n)| (p.to_string(), n))
        .into();
        let libraries: Tree = [("usr/lib/app/libprivate.so", file("ELF"))]
            .map(|(p, n)| (p.to_string(), n))
            .into();
        let (selected, warnings) = closure(&whole, &libraries, fake_needs);
        assert_eq!(
            selected.keys().collect::<Vec<_>>(),
            ["usr/lib/app/libprivate.so"]
        );
        assert_eq!(
            warnings,
            ["/usr/bin/app needs libgone.so.2, which none of the packages provides"]
        );
    }

    #[test]
    fn elf_needs_reads_a_real_dynamic_executable() {
        // This test's own executable: a dynamically linked ELF file on every Linux host.
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let needs = elf_needs(&exe).expect("an ELF file");
        assert!(needs.interpreter.is_some(), "{needs:?}");
        assert!(
            needs.libraries.iter().any(|l| l.starts_with("libc.so")),
            "{needs:?}"
        );
        assert_eq!(elf_needs(b"#!/bin/sh\n"), None);
    }
}
