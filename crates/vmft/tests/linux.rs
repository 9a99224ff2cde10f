//! Acceptance tests: Debian's riscv64 kernel under OpenSBI boots on vmft with the default guest
//! image (`vmft image build`) and its userland works — console, network, disk and arithmetic —
//! and so does a Debian program added to the image (Redis, `vmft image build --package`).
//!
//! Every test boots under vmft; `VMFT_TEST_VMM=qemu` runs the same tests under
//! `qemu-system-riscv64` (see `common`). The network tests need root; CI runs as root.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{
    ext4_disk, image, redis_image, run_ok, timeout, Guest, NetNs, ScratchFile, Vmm, COMMAND_OK,
    READY_MARKER, REDIS_APPEND, REDIS_READY,
};

/// Wall-clock limit of one boot: generous, since an interpreter boots Linux far slower than
/// QEMU's JIT and the tests run side by side on few cores.
const BOOT_LIMIT: Duration = Duration::from_secs(900);

#[test]
fn boots_to_a_shell_and_runs_typed_commands() {
    let mut console = Guest::new(image()).boot(Vmm::from_env(), timeout(BOOT_LIMIT));
    console.expect(READY_MARKER);
    console.expect("# ");
    console.send_line("echo vmft-$((6*7))");
    console.expect("vmft-42");
    console.expect("# ");
    console.send_line("poweroff");
    console.expect_clean_exit();
}

#[test]
fn guest_answers_ping_and_serves_http_over_tap() {
    let netns = NetNs::with_tap("vmft0", "10.0.2.1/24");
    serve_http_over_tap(&netns, "vmft0", None);
}

#[test]
fn a_recorded_session_replays_with_identical_console_and_state() {
    if Vmm::from_env() != Vmm::Vmft {
        return; // recording is vmft's own; the QEMU flavour has nothing to compare
    }
    let log = ScratchFile::new("session.log");
    let disk = ScratchFile::new("session-disk.img");
    let pristine = ScratchFile::new("session-disk-pristine.img");
    std::fs::write(disk.path(), vec![0u8; 1 << 20]).expect("create the disk");
    std::fs::copy(disk.path(), pristine.path()).expect("copy the disk");
    let netns = NetNs::with_tap("vmft1", "10.0.2.1/24");
    let (guest, live) = serve_http_over_tap(&netns, "vmft1", Some((log.path(), disk.path())));
    let written = std::fs::read(disk.path()).expect("read the disk");
    assert!(
        written.starts_with(b"vmft-disk-done\n"),
        "the guest wrote its disk"
    );
    // The disk is part of the machine: replay from a copy of it as it was.
    let replayed = guest.drive(pristine.path()).replay(log.path());
    let stderr = String::from_utf8_lossy(&replayed.stderr);
    assert!(replayed.status.success(), "vmft replay failed: {stderr}");
    assert!(
        stderr.contains("state digests matched") && !stderr.contains(" 0 state digests"),
        "{stderr}"
    );
    if replayed.stdout != live {
        panic!(
            "replayed console differs from the live one\n----- live -----\n{}\n----- replay -----\n{}",
            String::from_utf8_lossy(&live),
            String::from_utf8_lossy(&replayed.stdout)
        );
    }
}

/// Boots a guest on the TAP device `tap` in `netns` that serves a page with busybox httpd;
/// pings it and fetches the page from the namespace, types a line on its console, and
/// checks it powers off cleanly. With `record` = (log, disk), the run is recorded and the
/// guest also writes the typed line to the disk. Returns the guest and its console output.
fn serve_http_over_tap<'a>(
    netns: &NetNs,
    tap: &str,
    record: Option<(&Path, &Path)>,
) -> (Guest<'a>, Vec<u8>) {
    const PAGE: &str = "vmft serves this page over virtio-net";
    let disk_write = match record {
        Some(_) => " && echo vmft-disk-$line | dd of=/dev/vda conv=fsync 2>/dev/null",
        None => "",
    };
    let mut guest = Guest::new(image())
        .tap(tap)
        .in_netns(netns.name())
        .append("vmft.ip=10.0.2.15/24")
        .command(&format!(
            "mkdir -p /www && echo {PAGE} > /www/index.html && httpd -p 80 -h /www && echo vmft-test: serving && read line && echo vmft-test: typed $line{disk_write}"
        ));
    if let Some((log, disk)) = record {
        guest = guest.record(log).drive(disk);
    }
    let mut console = guest.boot(Vmm::from_env(), timeout(BOOT_LIMIT));
    console.expect(READY_MARKER);
    console.expect("vmft-test: serving");

    let ping = netns.exec("ping", &["-c", "3", "-w", "120", "10.0.2.15"]);
    if !ping.status.success() {
        console.fail(&format!(
            "ping 10.0.2.15 from the namespace failed ({}):\n{}{}",
            ping.status,
            String::from_utf8_lossy(&ping.stdout),
            String::from_utf8_lossy(&ping.stderr)
        ));
    }
    let curl = netns.exec(
        "curl",
        &[
            "--silent",
            "--show-error",
            "--noproxy",
            "*",
            "--max-time",
            "120",
            "http://10.0.2.15/",
        ],
    );
    let page = String::from_utf8_lossy(&curl.stdout);
    if !curl.status.success() || page != format!("{PAGE}\n") {
        console.fail(&format!(
            "curl http://10.0.2.15/ from the namespace: {}, page {page:?}, stderr {}",
            curl.status,
            String::from_utf8_lossy(&curl.stderr)
        ));
    }

    console.send_line("done");
    console.expect("vmft-test: typed done");
    console.expect(COMMAND_OK);
    console.expect_clean_exit();
    let output = console.console_bytes();
    (guest, output)
}

#[test]
fn guest_reboot_restarts_the_machine_with_its_disk() {
    let disk = ScratchFile::new("reboot.img");
    std::fs::write(disk.path(), vec![0u8; 1 << 20]).expect("create the disk");
    let mut console = Guest::new(image())
        .drive(disk.path())
        .command(
            "if dd if=/dev/vda bs=6 count=1 2>/dev/null | grep -q booted; then echo vmft-test: second boot; else echo booted | dd of=/dev/vda conv=fsync 2>/dev/null; echo vmft-test: rebooting; reboot -f; fi",
        )
        .boot(Vmm::from_env(), timeout(BOOT_LIMIT));
    console.expect("vmft-test: rebooting");
    console.expect(READY_MARKER);
    console.expect("vmft-test: second boot");
    console.expect(COMMAND_OK);
    console.expect_clean_exit();
}

#[test]
fn ext4_written_in_the_guest_is_clean_on_the_host() {
    let disk = ScratchFile::new("ext4.img");
    ext4_disk(disk.path(), 64 << 20);

    let mut console = Guest::new(image())
        .drive(disk.path())
        .command(
            "mount -t ext4 /dev/vda /mnt && mkdir /mnt/vmft && echo written by the vmft guest > /mnt/vmft/hello.txt \
             && seq 1 50000 > /mnt/vmft/numbers.txt && umount /mnt",
        )
        .boot(Vmm::from_env(), timeout(BOOT_LIMIT));
    console.expect(READY_MARKER);
    console.expect(COMMAND_OK);
    console.expect_clean_exit();

    run_ok("e2fsck", &["-f", "-n", &disk.arg()]);
    let cat = |file: &str| {
        let out = run_ok("debugfs", &["-R", &format!("cat {file}"), &disk.arg()]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(cat("/vmft/hello.txt"), "written by the vmft guest\n");
    let numbers: String = (1..=50000).map(|i| format!("{i}\n")).collect();
    assert!(
        cat("/vmft/numbers.txt") == numbers,
        "/vmft/numbers.txt differs from `seq 1 50000`"
    );
}

/// Shell commands whose output depends only on integer and IEEE double arithmetic: a SHA-256
/// over a long stream, and awk programs (busybox awk has no libm functions, so e, pi, sqrt and
/// log come from series) printed with unambiguous `printf` formats.
const COMPUTATIONS: &[&str] = &[
    "seq 1 200000 | sha256sum",
    "awk -v f='%.12f %.6e %.15g\\n' 'function at(x,s,t,k){t=x;for(k=1;k<40;k+=2){s+=t/k;t*=-x*x}return s} \
     BEGIN{e=1;t=1;for(k=1;k<25;k++){t/=k;e+=t};p=16*at(1/5)-4*at(1/239);printf f,e*p/4,1/3e7,p}'",
    "awk -v f='%.10f %.10e %.12g\\n' 'BEGIN{r=1;for(i=0;i<8;i++)r=(r+2/r)/2;y=9/11;t=y;for(k=1;k<99;k+=2){l+=t/k;t*=y*y} \
     for(i=1;i<=100000;i++)s+=1/(i*i);printf f,r*2*l,s-1.6449,r}'",
];

#[test]
fn guest_userland_computes_like_the_host() {
    let script = COMPUTATIONS.join("; ");
    let mut console = Guest::new(image())
        .command(&format!(
            "echo vmft-test: begin; {script}; echo vmft-test: end"
        ))
        .boot(Vmm::from_env(), timeout(BOOT_LIMIT));
    console.expect(READY_MARKER);
    console.expect("vmft-test: begin");
    let guest = console.expect("vmft-test: end");
    console.expect(COMMAND_OK);
    console.expect_clean_exit();

    let host = run_ok("sh", &["-c", &script]);
    let host = String::from_utf8_lossy(&host.stdout);
    // Kernel messages may land between the guest's lines; they start with a `[ seconds]` stamp.
    let is_kernel_log = |l: &str| l.starts_with('[') && l.contains("] ");
    let lines = |s: &str| {
        s.lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty() && !is_kernel_log(l))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lines(&guest),
        lines(&host),
        "guest and host computed differently"
    );
    assert_eq!(lines(&host).len(), COMPUTATIONS.len());
}

#[test]
fn redis_keeps_its_data_on_the_virtio_disk_across_a_crash_and_a_reboot() {
    let disk = ScratchFile::new("redis.img");
    ext4_disk(disk.path(), 64 << 20);
    let netns = NetNs::with_tap("vmft2", "10.0.2.1/24");
    let guest = Guest::new(redis_image())
        .tap("vmft2")
        .in_netns(netns.name())
        .drive(disk.path())
        .append(REDIS_APPEND);
    let keys: Vec<String> = (0..50).map(|i| format!("key:{i}")).collect();
    let values: Vec<String> = (0..50).map(|i| format!("value-{}", i * i)).collect();
    let mut mset = vec!["MSET"];
    for (key, value) in keys.iter().zip(&values) {
        mset.extend([key.as_str(), value.as_str()]);
    }
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    let expected_mget = values.join("\n") + "\n";

    // First boot: write, then kill the monitor as a dying host would. With `appendfsync
    // always` Redis replies only once the append-only file is on the disk.
    let mut console = guest.boot(Vmm::from_env(), timeout(BOOT_LIMIT));
    console.expect(READY_MARKER);
    console.expect(REDIS_READY);
    let cli = |console: &common::Console, args: &[&str], want: &str| {
        let out = netns.redis_cli(args);
        let reply = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || reply != want {
            console.fail(&format!(
                "redis-cli {}: {}, reply {reply:?} (expected {want:?}), stderr {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    };
    cli(&console, &["SET", "k", "v"], "OK\n");
    cli(&console, &["GET", "k"], "v\n");
    cli(&console, &mset, "OK\n");
    for n in 1..=3 {
        cli(&console, &["INCR", "counter"], &format!("{n}\n"));
    }
    cli(&console, &mget, &expected_mget);
    drop(console);

    // Second boot from the same disk: ext4 recovers its journal, Redis replays its AOF.
    let mut console = guest.boot(Vmm::from_env(), timeout(BOOT_LIMIT));
    console.expect("DB loaded from append only file");
    console.expect(REDIS_READY);
    cli(&console, &["GET", "k"], "v\n");
    cli(&console, &["GET", "counter"], "3\n");
    cli(&console, &mget, &expected_mget);
    cli(&console, &["DBSIZE"], "52\n");
    // A clean stop: Redis exits, init unmounts /data and powers the guest off.
    netns.redis_cli(&["SHUTDOWN"]);
    console.expect(COMMAND_OK);
    console.expect_clean_exit();

    run_ok("e2fsck", &["-f", "-n", &disk.arg()]);
    let ls = run_ok("debugfs", &["-R", "ls /appendonlydir", &disk.arg()]);
    let ls = String::from_utf8_lossy(&ls.stdout);
    assert!(ls.contains("appendonly.aof.manifest"), "{ls}");
}
