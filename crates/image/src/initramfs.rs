//! The guest's initramfs: busybox, the board's kernel modules, an init and any files from
//! extra packages, as a cpio (newc) archive the kernel unpacks into its root filesystem.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use crate::kmod::Module;
use crate::packages::merged_path;

/// A file or symbolic link for the initramfs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A regular file.
    File {
        /// Permission bits.
        mode: u32,
        /// Contents.
        data: Vec<u8>,
    },
    /// A symbolic link and its target.
    Symlink(String),
}

/// Files by their path in the root filesystem (relative, no leading `/`).
pub type Tree = BTreeMap<String, Node>;

/// Printed on the console once the guest's userland is up and configured.
pub const READY_MARKER: &str = "vmft-guest: ready";

/// The init (PID 1 until it hands over to busybox init).
///
/// Kernel parameters it understands: `vmft.ip=ADDR/PREFIX` and `vmft.gw=ADDR` configure eth0;
/// `vmft.mount=DEVICE:DIR` (repeatable) mounts an ext4 filesystem, creating the directory;
/// everything after `--` on the command line is a command to run instead of a shell, after
/// which the guest unmounts those filesystems and powers off.
const INIT: &str = r#"#!/bin/busybox sh
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run /mnt
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
for m in $(cat /etc/vmft/modules); do
    insmod "/lib/modules/$m.ko" || echo "vmft-guest: failed to load $m"
done
ip link set lo up
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        vmft.ip=*) ip="${arg#vmft.ip=}" ;;
        vmft.gw=*) gw="${arg#vmft.gw=}" ;;
        vmft.mount=*) mounts="$mounts ${arg#vmft.mount=}" ;;
    esac
done
if [ -n "$ip" ]; then
    ip addr add "$ip" dev eth0 && ip link set eth0 up
    [ -n "$gw" ] && ip route add default via "$gw"
fi
for m in $mounts; do
    mkdir -p "${m#*:}" && mount -t ext4 "${m%%:*}" "${m#*:}" || echo "vmft-guest: cannot mount $m"
done
echo "vmft-guest: ready"
if [ $# -gt 0 ]; then
    "$@"
    echo "vmft-guest: command exited with status $?"
    for m in $mounts; do umount "${m#*:}"; done
    sync
    poweroff -f
fi
exec /sbin/init
"#;

/// busybox init's table: a shell on the console, respawned; clean unmount on poweroff.
const INITTAB: &str = "::respawn:-/bin/sh\n::shutdown:/bin/sync\n::shutdown:/bin/umount -a -r\n";

/// Builds the archive from the busybox binary, the modules (in load order) and `extra` files.
///
/// Without extra files the layout is the default image's: `/lib` is a directory holding the
/// modules. With them it is usrmerged like the Debian system the files come from: `/lib` is a
/// symbolic link to `usr/lib` (where the modules then are), and every directory an extra file
/// lies in is created. Extra paths must already be usrmerged (no `lib/` prefix, see
/// [`merged_path`]); a path that is already in the archive is an error.
pub fn build(busybox: &[u8], modules: &[Module], extra: &Tree) -> std::io::Result<Vec<u8>> {
    const EXEC: u32 = 0o100755;
    const FILE: u32 = 0o100644;
    const LINK: u32 = 0o120777;
    let merged = !extra.is_empty();
    let place = |path: &str| {
        if merged {
            merged_path(path)
        } else {
            path.to_string()
        }
    };
    let mut archive = Archive::default();
    for dir in [
        "bin",
        "dev",
        "etc",
        "etc/vmft",
        "lib",
        "lib/modules",
        "proc",
        "sys",
        "tmp",
        "root",
    ] {
        if merged && dir == "lib" {
            archive.dir("usr")?;
            archive.dir("usr/lib")?;
            archive.entry("lib", LINK, b"usr/lib")?;
        } else {
            archive.dir(&place(dir))?;
        }
    }
    archive.entry("dev/console", 0o020600, &[])?;
    archive.entry("bin/busybox", EXEC, busybox)?;
    archive.entry("bin/sh", LINK, b"busybox")?;
    archive.entry("init", EXEC, INIT.as_bytes())?;
    archive.entry("etc/inittab", FILE, INITTAB.as_bytes())?;
    let list: String = modules.iter().map(|m| format!("{}\n", m.name)).collect();
    archive.entry("etc/vmft/modules", FILE, list.as_bytes())?;
    for module in modules {
        archive.entry(&place(&module.path), FILE, &module.object)?;
    }
    for (path, node) in extra {
        if let Some((parent, _)) = path.rsplit_once('/') {
            archive.dirs_to(parent)?;
        }
        match node {
            Node::File { mode, data } => archive.entry(path, 0o100000 | (mode & 0o7777), data)?,
            Node::Symlink(target) => archive.entry(path, LINK, target.as_bytes())?,
        }
    }
    cpio::newc::trailer(&mut archive.out)?;
    Ok(archive.out)
}

/// A cpio archive being written, with the paths it holds.
#[derive(Default)]
struct Archive {
    out: Vec<u8>,
    paths: BTreeSet<String>,
}

impl Archive {
    /// Appends one entry: `data` is a file's contents or a symbolic link's target.
    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) -> std::io::Result<()> {
        if !self.paths.insert(name.to_string()) {
            return Err(std::io::Error::other(format!(
                "/{name} is in the initramfs twice"
            )));
        }
        let size = u32::try_from(data.len())
            .map_err(|_| std::io::Error::other(format!("{name} is over 4 GiB")))?;
        let ino = u32::try_from(self.paths.len()).map_err(std::io::Error::other)?;
        let mut builder = cpio::NewcBuilder::new(name)
            .ino(ino)
            .mode(mode)
            .nlink(if mode & 0o170000 == 0o040000 { 2 } else { 1 });
        if mode & 0o170000 == 0o020000 {
            // The only device node: /dev/console (5, 1), so init has a console before devtmpfs.
            builder = builder.rdev_major(5).rdev_minor(1);
        }
        let mut writer = builder.write(&mut self.out, size);
        writer.write_all(data)?;
        writer.finish()?;
        Ok(())
    }

    /// Appends a directory.
    fn dir(&mut self, name: &str) -> std::io::Result<()> {
        self.entry(name, 0o040755, &[])
    }

    /// Appends `path` and each of its parents that the archive does not hold yet, outermost
    /// first (the kernel creates no missing parents).
    fn dirs_to(&mut self, path: &str) -> std::io::Result<()> {
        let mut end = 0;
        while end < path.len() {
            end = path[end..].find('/').map_or(path.len(), |i| end + i);
            let dir = &path[..end];
            if !self.paths.contains(dir) {
                self.dir(dir)?;
            }
            end += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Name, mode and contents of each entry, in order.
    fn entries(archive: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let mut entries = Vec::new();
        let mut rest: &[u8] = archive;
        loop {
            let mut reader = cpio::NewcReader::new(rest).unwrap();
            if reader.entry().is_trailer() {
                return entries;
            }
            let (name, mode) = (reader.entry().name().to_string(), reader.entry().mode());
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut reader, &mut data).unwrap();
            entries.push((name, mode, data));
            rest = reader.finish().unwrap();
        }
    }

    fn module() -> Module {
        Module {
            name: "m".into(),
            path: "lib/modules/m.ko".into(),
            object: vec![1, 2, 3],
        }
    }

    #[test]
    fn archive_is_newc_with_init_and_modules_and_a_trailer() {
        let archive = build(b"BB", &[module()], &Tree::new()).unwrap();
        let names: Vec<String> = entries(&archive).into_iter().map(|e| e.0).collect();
        for want in [
            "init",
            "bin/busybox",
            "bin/sh",
            "etc/inittab",
            "etc/vmft/modules",
            "lib",
            "lib/modules/m.ko",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "{want} missing from {names:?}"
            );
        }
        assert!(!names.iter().any(|n| n.starts_with("usr")), "{names:?}");
    }

    #[test]
    fn extra_files_make_a_usrmerged_tree_with_symlinks_and_parent_directories() {
        let extra: Tree = [
            (
                "usr/bin/redis-check-rdb".to_string(),
                Node::File {
                    mode: 0o755,
                    data: b"ELF".to_vec(),
                },
            ),
            (
                "usr/bin/redis-server".to_string(),
                Node::Symlink("redis-check-rdb".into()),
            ),
            (
                "usr/lib/riscv64-linux-gnu/libc.so.6".to_string(),
                Node::File {
                    mode: 0o644,
                    data: b"libc".to_vec(),
                },
            ),
        ]
        .into();
        let entries = entries(&build(b"BB", &[module()], &extra).unwrap());
        let find = |name: &str| {
            let i = entries.iter().position(|e| e.0 == name);
            let i = i.unwrap_or_else(|| panic!("{name} missing"));
            (i, entries[i].1, entries[i].2.clone())
        };
        assert_eq!(find("lib").1, 0o120777);
        assert_eq!(find("lib").2, b"usr/lib");
        assert_eq!(find("usr/lib/modules/m.ko").2, [1, 2, 3]);
        let (link, mode, target) = find("usr/bin/redis-server");
        assert_eq!(
            (mode, target.as_slice()),
            (0o120777, &b"redis-check-rdb"[..])
        );
        assert_eq!(find("usr/bin/redis-check-rdb").1, 0o100755);
        // Each parent directory comes before what it holds.
        let (usr_bin, mode, _) = find("usr/bin");
        assert_eq!(mode, 0o040755);
        assert!(find("usr").0 < usr_bin && usr_bin < link);
        assert!(
            find("usr/lib/riscv64-linux-gnu").0 < find("usr/lib/riscv64-linux-gnu/libc.so.6").0
        );
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }

    #[test]
    fn an_extra_file_cannot_replace_one_of_the_image() {
        let extra: Tree = [("init".to_string(), Node::Symlink("x".into()))].into();
        let err = build(b"BB", &[], &extra).unwrap_err();
        assert_eq!(err.to_string(), "/init is in the initramfs twice");
    }

    #[test]
    fn init_prints_the_ready_marker() {
        assert!(INIT.contains(&format!("echo \"{READY_MARKER}\"")));
    }
}
