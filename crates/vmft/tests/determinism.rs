//! Determinism, device by device: the machine is a pure function of its initial state and its
//! input log, whichever execution engine (`--accel interp` or `jit`) runs it. For every device
//! that takes input — the console (typed keys), the network (received frames), the entropy
//! device, the clock (anchors and idle time skips) and the disk (whose requests complete from
//! machine state alone) — a recorded Linux session whose workload exercises the device must
//! - replay twice, once under the other engine than the recording's and once under its own,
//!   each time with every state digest matching, the recording's console output byte for
//!   byte and the disk as the recording left it;
//! - replay (under the other engine) from a snapshot saved (Ctrl-A s) in the middle of the
//!   workload, after the device's input has started, with every later digest matching and the
//!   console output after the snapshot;
//! - fail to replay, from that snapshot, once one of the device's inputs after it is altered
//!   in the log (checksums intact): the checks can fail. The disk has no input of its own
//!   (its requests carry guest data through RAM); its test checks the disk files too.
//!
//! The devices' sessions are recorded under the two engines in turn, so logs of each replay
//! under the other; a compute-bound session, where the JIT does most of the work, is recorded
//! under each engine and replayed under the other.
//!
//! The guest boots once, to its shell with every device attached, and saves a snapshot there;
//! each test records its session from that snapshot (`--restore`), so it pays only for its
//! workload. Every vmft runs in a network namespace of its own with a TAP device ([`NetNs`]),
//! deleted even when a test fails; the guest's traffic never leaves it. Needs root.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::Duration;

use common::{image, timeout, Console, Guest, NetNs, ScratchDir, Vmm, READY_MARKER};
use replay::{Entry, Kind, LogReader, LogWriter, Payload};

/// Wall-clock limit of one monitor run.
const LIMIT: Duration = Duration::from_secs(600);
/// The guest's TAP device, in each test's own namespace.
const TAP: &str = "vmftd0";
/// The host's end of the TAP link.
const HOST_ADDR: &str = "10.0.2.1/24";
/// The guest's address.
const GUEST: &str = "10.0.2.15";
/// The guest's disk.
const DISK_SIZE: u64 = 4 << 20;
/// The page the network workload serves.
const PAGE: &str = "vmft determinism page";

/// vmft's execution engines (`--accel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Interp,
    Jit,
}

impl Engine {
    fn arg(self) -> &'static str {
        match self {
            Engine::Interp => "interp",
            Engine::Jit => "jit",
        }
    }

    fn other(self) -> Engine {
        match self {
            Engine::Interp => Engine::Jit,
            Engine::Jit => Engine::Interp,
        }
    }
}

/// The machine every test records on: the image's guest with a network device, an address,
/// and the disk `disk`, run under `engine`.
fn machine(disk: &Path, engine: Engine) -> Guest<'static> {
    Guest::new(image())
        .tap(TAP)
        .append(&format!("vmft.ip={GUEST}/24"))
        .drive(disk)
        .accel(engine.arg())
}

fn create_disk(path: &Path) {
    std::fs::File::create(path)
        .and_then(|f| f.set_len(DISK_SIZE))
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
}

/// The snapshot every session starts from: the guest booted to its shell prompt.
struct Base {
    /// The directory that holds the snapshot (a static is never dropped: see
    /// [`remove_stale_bases`]).
    _dir: ScratchDir,
    snapshot: PathBuf,
}

/// Boots the guest once per test process and saves the [`Base`] snapshot.
fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        const NAME: &str = "determinism-base";
        remove_stale_bases(NAME);
        let dir = ScratchDir::new(NAME);
        let disk = dir.join("disk.img");
        create_disk(&disk);
        let netns = NetNs::with_tap(TAP, HOST_ADDR);
        let mut console = machine(&disk, Engine::Jit)
            .in_netns(netns.name())
            .current_dir(dir.path())
            .boot_on_terminal(Vmm::Vmft, timeout(LIMIT));
        console.expect(READY_MARKER);
        console.expect("# ");
        let (name, _) = console.save_snapshot();
        console.send_keys(b"\x01x");
        console.expect_clean_exit();
        Base {
            snapshot: dir.path().join(name),
            _dir: dir,
        }
    })
}

/// Deletes base snapshots left by test processes that no longer run (the base lives in a
/// static, which is never dropped).
fn remove_stale_bases(name: &str) {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Ok(entries) = std::fs::read_dir(scratch) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_suffix(name))
            .and_then(|f| f.strip_suffix('-'))
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Types `command` at the guest's shell and waits for it to finish; fails the test unless it
/// succeeds. Returns what it printed (after the echo of the typed line).
fn shell(console: &mut Console, command: &str) -> String {
    // The marker is printed with a format, so the echoed command line does not contain it.
    console.send_line(&format!("{command}; printf 'vmft-test-%s:%d\\n' status $?"));
    let output = console.expect("vmft-test-status:");
    let status = console.expect("\n");
    if status.trim() != "0" {
        console.fail(&format!("`{command}` exited with status {}", status.trim()));
    }
    output
}

/// Runs `program args` in `netns` and fails the test (with the guest's transcript) unless it
/// succeeds. Returns its standard output.
fn host(console: &Console, netns: &NetNs, program: &str, args: &[&str]) -> String {
    let out = netns.exec(program, args);
    if !out.status.success() {
        console.fail(&format!(
            "`{program} {}` in the namespace failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A workload step: the guest's console and the namespace its network is in.
type Step = fn(&mut Console, &NetNs);

/// A recorded session, started from the base snapshot.
struct Session {
    /// The engine it was recorded under.
    engine: Engine,
    dir: ScratchDir,
    log: PathBuf,
    /// The disk as the session left it.
    disk: PathBuf,
    /// The snapshot saved in the middle of the workload, and its position.
    snapshot: PathBuf,
    position: u64,
    /// Everything the guest printed.
    console: Vec<u8>,
}

/// Records a session named `name` under `engine` from the base snapshot: `before`, a
/// snapshot (Ctrl-A s), `after`, then `poweroff -f`.
fn record(name: &str, engine: Engine, before: Step, after: Step) -> Session {
    let base = base();
    let dir = ScratchDir::new(&format!("determinism-{name}"));
    let log = dir.join("session.log");
    let disk = dir.join("disk.img");
    create_disk(&disk);
    let netns = NetNs::with_tap(TAP, HOST_ADDR);
    let mut console = machine(&disk, engine)
        .restore(&base.snapshot)
        .record(&log)
        .in_netns(netns.name())
        .current_dir(dir.path())
        .boot_on_terminal(Vmm::Vmft, timeout(LIMIT));
    console.expect_stderr("console attached");
    before(&mut console, &netns);
    let (snapshot, position) = console.save_snapshot();
    after(&mut console, &netns);
    console.send_line("poweroff -f");
    console.expect_clean_exit();
    Session {
        engine,
        snapshot: dir.join(&snapshot),
        position,
        console: console.console_bytes(),
        log,
        disk,
        dir,
    }
}

/// The number `N` in `vmft: replayed ... log entries; N state digests matched`.
fn digests_matched(stderr: &str) -> usize {
    stderr
        .lines()
        .find_map(|l| l.strip_suffix(" state digests matched"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Replays `log` of `session` under `engine` on a fresh disk, with `extra` arguments;
/// returns the output and the disk as the replay left it.
fn replay(session: &Session, log: &Path, engine: Engine, extra: &[&str]) -> (Output, Vec<u8>) {
    let disk = session.dir.join("replay-disk.img");
    create_disk(&disk);
    let out = machine(&disk, engine)
        .restore(&base().snapshot)
        .replay_with(log, extra);
    let contents = std::fs::read(&disk).expect("read the replay's disk");
    (out, contents)
}

/// Fails the test with the replay's output unless `ok`.
fn check(ok: bool, what: &str, out: &Output) {
    assert!(
        ok,
        "{what} ({})\n----- replay stderr -----\n{}\n----- replay console -----\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The log's entries, and the index of the snapshot entry at `position`.
fn entries(log: &Path, position: u64) -> (replay::Fingerprint, Vec<Entry>, usize) {
    let file = std::fs::File::open(log).expect("open the log");
    let mut reader = LogReader::open(file, None).expect("the log opens");
    let fingerprint = *reader.fingerprint();
    let mut entries = Vec::new();
    while let Some(entry) = reader.next_entry().expect("the log reads") {
        entries.push(entry);
    }
    let at = entries
        .iter()
        .position(|e| e.position == position && e.payload.kind() == Kind::Snapshot)
        .unwrap_or_else(|| panic!("the log has no snapshot entry at position {position}"));
    (fingerprint, entries, at)
}

/// The input `payload` with its content changed.
fn altered(payload: &Payload) -> Payload {
    let flip = |bytes: &[u8]| {
        let mut bytes = bytes.to_vec();
        if let Some(last) = bytes.last_mut() {
            *last ^= 0x01;
        }
        bytes
    };
    match payload {
        Payload::ConsoleInput(b) => Payload::ConsoleInput(flip(b)),
        Payload::NetFrame(b) => Payload::NetFrame(flip(b)),
        Payload::Entropy(b) => Payload::Entropy(flip(b)),
        // A second more of idle time: timers fire at other positions.
        Payload::TimeSkip { ticks } => Payload::TimeSkip {
            ticks: ticks + 10_000_000,
        },
        other => panic!("no alteration for {:?} entries", other.kind()),
    }
}

/// Replays all of `session` under `engine`: it must succeed with the snapshot's and the
/// final digests (and any periodic ones) matching, the recording's console output and its
/// disk.
fn check_replay(session: &Session, engine: Engine) {
    let what = format!(
        "the replay under --accel {} of a session recorded under --accel {}",
        engine.arg(),
        session.engine.arg()
    );
    let (out, disk) = replay(session, &session.log, engine, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    check(out.status.success(), &format!("{what} failed"), &out);
    check(
        digests_matched(&stderr) >= 2,
        &format!("{what}: expected the snapshot's and the final digests"),
        &out,
    );
    check(
        out.stdout == session.console,
        &format!("{what}: the console differs from the recording's"),
        &out,
    );
    assert!(
        disk == std::fs::read(&session.disk).expect("read the disk"),
        "{what} left the disk other than the recording did"
    );
}

/// The determinism checks of a recorded session whose workload gives the machine inputs of
/// every kind in `kinds` after the snapshot; the first is altered for the negative check.
fn check_session(session: &Session, kinds: &[Kind]) {
    let (fingerprint, entries, at) = entries(&session.log, session.position);
    for kind in kinds {
        assert!(
            entries[at..].iter().any(|e| e.payload.kind() == *kind),
            "the workload gave the machine no {kind:?} input after the snapshot"
        );
    }

    for engine in [session.engine.other(), session.engine] {
        check_replay(session, engine);
    }

    let snapshot = session.snapshot.to_str().expect("scratch paths are UTF-8");
    let (out, disk) = replay(
        session,
        &session.log,
        session.engine.other(),
        &["--from-snapshot", snapshot],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    check(
        out.status.success(),
        "the replay from the snapshot failed",
        &out,
    );
    check(
        stderr.contains(&format!("(position {}, ", session.position))
            && digests_matched(&stderr) >= 1,
        "the replay did not start at the snapshot or checked no digest",
        &out,
    );
    check(
        !out.stdout.is_empty() && session.console.ends_with(&out.stdout),
        "the console after the snapshot is not the end of the recording's",
        &out,
    );
    assert!(
        disk == std::fs::read(&session.disk).expect("read the disk"),
        "the replay from the snapshot left the disk other than the recording did"
    );

    let Some(kind) = kinds.first() else {
        return;
    };
    let mut forged = entries;
    let victim = forged[at..]
        .iter_mut()
        .find(|e| e.payload.kind() == *kind)
        .expect("an entry of the kind");
    victim.payload = altered(&victim.payload);
    let log = session.dir.join("forged.log");
    let mut writer = LogWriter::new(
        std::fs::File::create(&log).expect("create the log"),
        fingerprint,
    )
    .expect("write the log");
    for entry in &forged {
        writer.append(entry).expect("write the log");
    }
    writer.into_inner().expect("write the log");
    let (out, _) = replay(
        session,
        &log,
        session.engine,
        &["--from-snapshot", snapshot],
    );
    check(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("divergence"),
        &format!("a replay with an altered {kind:?} entry did not diverge"),
        &out,
    );
}

#[test]
fn console_input_replays_identically_and_from_a_snapshot() {
    let session = record(
        "console",
        Engine::Jit,
        |console, _| {
            console.send_line("read -r word; echo vmft-read-$word");
            console.send_line("alpha");
            console.expect("vmft-read-alpha");
            shell(console, "echo typed | tr a-z A-Z");
        },
        |console, _| {
            console.send_line("read -r word; echo vmft-read-$word");
            console.send_line("omega");
            console.expect("vmft-read-omega");
            shell(console, "echo typed again | tr a-z A-Z");
        },
    );
    check_session(&session, &[Kind::ConsoleInput]);
}

#[test]
fn network_frames_replay_identically_and_from_a_snapshot() {
    let session = record(
        "network",
        Engine::Interp,
        |console, netns| {
            shell(
                console,
                &format!("mkdir -p /www && echo {PAGE} > /www/index.html && httpd -p 80 -h /www"),
            );
            host(
                console,
                netns,
                "ping",
                &["-c", "2", "-i", "0.2", "-w", "60", GUEST],
            );
        },
        |console, netns| {
            let url = format!("http://{GUEST}/");
            let page = host(
                console,
                netns,
                "curl",
                &[
                    "--silent",
                    "--show-error",
                    "--noproxy",
                    "*",
                    "--max-time",
                    "60",
                    &url,
                ],
            );
            if page != format!("{PAGE}\n") {
                console.fail(&format!("curl {url} fetched {page:?}"));
            }
            host(
                console,
                netns,
                "ping",
                &["-c", "2", "-i", "0.2", "-w", "60", GUEST],
            );
        },
    );
    check_session(&session, &[Kind::NetFrame]);
}

#[test]
fn entropy_replays_identically_and_from_a_snapshot() {
    let session = record(
        "entropy",
        Engine::Jit,
        |console, _| {
            shell(
                console,
                "dd if=/dev/hwrng bs=32 count=2 2>/dev/null | od -An -tx1",
            );
        },
        |console, _| {
            shell(
                console,
                "dd if=/dev/hwrng bs=64 count=4 2>/dev/null | sha256sum",
            );
        },
    );
    check_session(&session, &[Kind::Entropy]);
}

#[test]
fn clock_anchors_and_idle_skips_replay_identically_and_from_a_snapshot() {
    let session = record(
        "clock",
        Engine::Interp,
        |console, _| {
            shell(console, "sleep 0.5 && cat /proc/uptime");
        },
        |console, _| {
            // Idle (time skips), then busy (clock anchors), then idle again.
            shell(
                console,
                "sleep 0.3 && seq 1 20000 | sha256sum && sleep 0.3 && cat /proc/uptime",
            );
        },
    );
    check_session(&session, &[Kind::TimeSkip, Kind::ClockAnchor]);
}

#[test]
fn disk_reads_and_writes_replay_identically_and_from_a_snapshot() {
    let session = record(
        "disk",
        Engine::Jit,
        |console, _| {
            shell(
                console,
                "seq 1 30000 > /tmp/numbers && dd if=/tmp/numbers of=/dev/vda bs=4k conv=fsync 2>/dev/null",
            );
        },
        |console, _| {
            // Read back from the device itself, not the page cache; then write again.
            shell(
                console,
                "echo 3 > /proc/sys/vm/drop_caches && head -c $(wc -c < /tmp/numbers) /dev/vda | cmp - /tmp/numbers \
                 && echo vmft-disk-second-write | dd of=/dev/vda bs=512 seek=2048 conv=fsync 2>/dev/null",
            );
        },
    );
    let disk = std::fs::read(&session.disk).expect("read the disk");
    let numbers: String = (1..=30000).map(|i| format!("{i}\n")).collect();
    assert!(
        disk.starts_with(numbers.as_bytes()),
        "the guest wrote the numbers"
    );
    assert!(
        disk[2048 * 512..].starts_with(b"vmft-disk-second-write\n"),
        "the guest wrote its second block"
    );
    check_session(&session, &[]);
}

#[test]
fn a_compute_bound_session_recorded_under_either_engine_replays_under_the_other() {
    // Hot loops of every kind: shell arithmetic, awk, compression, hashing, sorting.
    fn before(console: &mut Console, _: &NetNs) {
        shell(
            console,
            "i=0; s=0; while [ $i -lt 1000 ]; do s=$((s + i * i % 7)); i=$((i + 1)); done; echo $s",
        );
        shell(
            console,
            "awk 'BEGIN { for (i = 0; i < 50000; i++) s += (i * i) % 13; print s }'",
        );
    }
    fn after(console: &mut Console, _: &NetNs) {
        shell(
            console,
            "seq 1 20000 | gzip -c | gzip -dc | sort -rn | sha256sum",
        );
        shell(console, "head -c 400000 /bin/busybox | gzip -c | md5sum");
    }
    for engine in [Engine::Jit, Engine::Interp] {
        let session = record(&format!("compute-{}", engine.arg()), engine, before, after);
        check_replay(&session, engine.other());
    }
}
