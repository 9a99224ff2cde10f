//! The guest's initramfs: busybox, the board's kernel modules and an init, as a cpio (newc)
//! archive the kernel unpacks into its root filesystem.

use std::io::Write;

use crate::kmod::Module;

/// Printed on the console once the guest's userland is up and configured.
pub const READY_MARKER: &str = "vmft-guest: ready";

/// The init (PID 1 until it hands over to busybox init).
///
/// Kernel parameters it understands: `vmft.ip=ADDR/PREFIX` and `vmft.gw=ADDR` configure eth0;
/// everything after `--` on the command line is a command to run instead of a shell, after
/// which the guest powers off.
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
    esac
done
if [ -n "$ip" ]; then
    ip addr add "$ip" dev eth0 && ip link set eth0 up
    [ -n "$gw" ] && ip route add default via "$gw"
fi
echo "vmft-guest: ready"
if [ $# -gt 0 ]; then
    "$@"
    echo "vmft-guest: command exited with status $?"
    sync
    poweroff -f
fi
exec /sbin/init
"#;

/// busybox init's table: a shell on the console, respawned; clean unmount on poweroff.
const INITTAB: &str = "::respawn:-/bin/sh\n::shutdown:/bin/sync\n::shutdown:/bin/umount -a -r\n";

/// Builds the archive from the busybox binary and the modules (in load order).
pub fn build(busybox: &[u8], modules: &[Module]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut ino = 1;
    let mut entry =
        |out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]| -> std::io::Result<()> {
            let size = u32::try_from(data.len())
                .map_err(|_| std::io::Error::other(format!("{name} is over 4 GiB")))?;
            let mut builder = cpio::NewcBuilder::new(name)
                .ino(ino)
                .mode(mode)
                .nlink(if mode & 0o170000 == 0o040000 { 2 } else { 1 });
            if mode & 0o170000 == 0o020000 {
                // The only device node: /dev/console (5, 1), so init has a console before devtmpfs.
                builder = builder.rdev_major(5).rdev_minor(1);
            }
            let mut writer = builder.write(&mut *out, size);
            writer.write_all(data)?;
            writer.finish()?;
            ino += 1;
            Ok(())
        };
    const DIR: u32 = 0o040755;
    const EXEC: u32 = 0o100755;
    const FILE: u32 = 0o100644;
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
        entry(&mut out, dir, DIR, &[])?;
    }
    entry(&mut out, "dev/console", 0o020600, &[])?;
    entry(&mut out, "bin/busybox", EXEC, busybox)?;
    entry(&mut out, "bin/sh", 0o120777, b"busybox")?;
    entry(&mut out, "init", EXEC, INIT.as_bytes())?;
    entry(&mut out, "etc/inittab", FILE, INITTAB.as_bytes())?;
    let list: String = modules.iter().map(|m| format!("{}\n", m.name)).collect();
    entry(&mut out, "etc/vmft/modules", FILE, list.as_bytes())?;
    for module in modules {
        entry(&mut out, &module.path, FILE, &module.object)?;
    }
    cpio::newc::trailer(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_is_newc_with_init_and_modules_and_a_trailer() {
        let modules = [Module {
            name: "m".into(),
            path: "lib/modules/m.ko".into(),
            object: vec![1, 2, 3],
        }];
        let archive = build(b"BB", &modules).unwrap();
        let mut names = Vec::new();
        let mut rest: &[u8] = &archive;
        loop {
            let reader = cpio::NewcReader::new(rest).unwrap();
            if reader.entry().is_trailer() {
                break;
            }
            names.push(reader.entry().name().to_string());
            rest = reader.finish().unwrap();
        }
        for want in [
            "init",
            "bin/busybox",
            "bin/sh",
            "etc/inittab",
            "etc/vmft/modules",
            "lib/modules/m.ko",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "{want} missing from {names:?}"
            );
        }
    }

    #[test]
    fn init_prints_the_ready_marker() {
        assert!(INIT.contains(&format!("echo \"{READY_MARKER}\"")));
    }
}
