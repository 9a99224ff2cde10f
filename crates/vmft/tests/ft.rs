//! The fault-tolerant pair on real processes and real networks: a primary on host A and a
//! backup on host B (network namespaces, TAP devices bridged to a switch, the logging channel
//! on its own link), serving Debian's Redis to a client in a third namespace. The client's
//! view is what counts: its one TCP connection, and every write it saw acknowledged.
//!
//! Most pairs use the file arbiter; those of the `etcd_*` tests and the partition trials use
//! the etcd arbiter: a three-member etcd cluster on a management network of the topology's own
//! (see `common::topology`), which a test can cut off from a host, or stop member by member.
//!
//! The tests need root and build the Redis guest image on first use. They run one at a time
//! (two machines already fill this project's two cores). `VMFT_FT_TRIALS` sets the number of
//! primary-kill trials (default 5), `VMFT_FT_PARTITIONS` the number of partition trials
//! (default 10), `VMFT_FT_PARTITION_ARBITER=file` runs those with the file arbiter instead of
//! etcd, and `VMFT_FT_SEED` replays their random choices.

mod common;

use std::fs::File;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::topology::{ft_client, Host, Link, Process, Topology, CHANNEL_A_IP, GUEST_IP};
use common::{ext4_disk, image, redis_image, require_root, ScratchDir, REDIS_APPEND, REDIS_READY};

/// The logging channel's port on host A.
const CHANNEL_PORT: u16 = 7700;
/// Guest memory of every machine here.
const MEMORY: &str = "512M";
/// Size of each replica's data disk.
const DISK_BYTES: u64 = 64 << 20;
/// How long a pair may take to boot Redis.
const BOOT_LIMIT: Duration = Duration::from_secs(180);
/// How long a process may take to exit once it should.
const EXIT_LIMIT: Duration = Duration::from_secs(60);

/// The pair tests run one at a time: each runs two machines on two cores.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static PAIRS: Mutex<()> = Mutex::new(());
    PAIRS.lock().unwrap_or_else(|e| e.into_inner())
}

fn vmft() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vmft"))
}

fn arg(path: &Path) -> String {
    path.display().to_string()
}

/// `vmft ARGS` with its standard output and error going to `out` and `err`.
fn logged(mut command: Command, out: &Path, err: &Path) -> Command {
    let file = |p: &Path| File::create(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    command
        .stdin(Stdio::null())
        .stdout(file(out))
        .stderr(file(err));
    command
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// The arbiter of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arbiter {
    /// `file:DIR`, DIR in the test's scratch directory (both "hosts" share this machine's disk).
    File,
    /// The topology's own three-member etcd cluster, on its management network.
    Etcd,
}

/// A primary and a backup of the Redis guest, on hosts A and B of their own topology.
struct Pair {
    // Field order is drop order: the processes die before their network goes.
    primary: Process,
    backup: Process,
    net: Topology,
    dir: ScratchDir,
}

impl Pair {
    /// Builds the topology, gives each host its own copy of an empty data disk and starts
    /// the pair; returns once Redis is up.
    fn start(name: &str) -> Pair {
        Pair::start_with(name, Arbiter::File)
    }

    /// [`Pair::start`] with the given arbiter.
    fn start_with(name: &str, arbiter: Arbiter) -> Pair {
        require_root("the fault-tolerance tests");
        let image = redis_image();
        let net = match arbiter {
            Arbiter::File => Topology::unique(),
            Arbiter::Etcd => Topology::with_etcd(),
        };
        let arbiter = match arbiter {
            Arbiter::File => String::new(),
            Arbiter::Etcd => net.etcd_spec(),
        };
        let dir = ScratchDir::new(name);
        let key = dir.join("key");
        let status = vmft()
            .arg("keygen")
            .arg(&key)
            .status()
            .expect("vmft keygen");
        assert!(status.success(), "vmft keygen failed: {status}");
        std::fs::create_dir(dir.join("arbiter")).expect("the arbiter directory");
        let arbiter = match arbiter.is_empty() {
            true => format!("file:{}", arg(&dir.join("arbiter"))),
            false => arbiter,
        };
        ext4_disk(&dir.join("a.img"), DISK_BYTES);
        std::fs::copy(dir.join("a.img"), dir.join("b.img")).expect("copy the disk");
        let side = |host: Host, role: &str, disk: &str, peer: [&str; 2]| {
            let mut command = net.command(host, env!("CARGO_BIN_EXE_vmft"));
            command
                .arg(role)
                .args(["--image", &arg(&image.dir), "--memory", MEMORY])
                .args(["--net", "tap=tap0", "--drive", &arg(&dir.join(disk))])
                .args(["--append", REDIS_APPEND])
                .args(peer)
                .args(["--key-file", &arg(&key)])
                .args(["--arbiter", &arbiter])
                .args(["--control", &arg(&dir.join(&format!("{role}.sock")))]);
            let out = dir.join(&format!("{role}.out"));
            Process::spawn(logged(command, &out, &dir.join(&format!("{role}.err"))))
        };
        let listen = format!("{CHANNEL_A_IP}:{CHANNEL_PORT}");
        let primary = side(Host::A, "primary", "a.img", ["--listen", &listen]);
        let backup = side(Host::B, "backup", "b.img", ["--primary", &listen]);
        let mut pair = Pair {
            primary,
            backup,
            net,
            dir,
        };
        pair.wait_for("primary.out", REDIS_READY, BOOT_LIMIT);
        pair
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn log(&self, name: &str) -> String {
        read(&self.path(name))
    }

    /// Waits until `file` holds `needle`, failing early if either side exits.
    fn wait_for(&mut self, file: &str, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.log(file).contains(needle) {
            if !self.primary.is_running() || !self.backup.is_running() {
                self.fail(&format!("a side exited before {file} showed {needle:?}"));
            }
            if Instant::now() > deadline {
                self.fail(&format!("{file} did not show {needle:?} within {limit:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits up to `limit` until `file` holds `needle`, whatever the sides do meanwhile.
    fn shows_within(&self, file: &str, needle: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.log(file).contains(needle) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The backup's go-live line for epoch 2, if it printed one.
    fn went_live(&self) -> Option<String> {
        self.log("backup.err")
            .lines()
            .find(|l| l.contains("vmft: live in epoch"))
            .map(str::to_owned)
    }

    /// Waits until one side exits; fails the test unless it halted (exit status 3 or 4)
    /// while the other runs on, having said it went on in epoch 2. Returns the loser:
    /// "primary" or "backup".
    fn exactly_one_goes_on(&mut self, what: &str) -> &'static str {
        let deadline = Instant::now() + EXIT_LIMIT;
        let (primary, backup) = loop {
            let statuses = (
                self.primary.child_mut().try_wait().ok().flatten(),
                self.backup.child_mut().try_wait().ok().flatten(),
            );
            if statuses.0.is_some() || statuses.1.is_some() || Instant::now() > deadline {
                break statuses;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // Had both halted, the second would exit within moments of the first.
        std::thread::sleep(Duration::from_millis(500));
        let (primary, backup) = (
            primary.or_else(|| self.primary.child_mut().try_wait().ok().flatten()),
            backup.or_else(|| self.backup.child_mut().try_wait().ok().flatten()),
        );
        let halted =
            |status: Option<ExitStatus>| matches!(status.and_then(|s| s.code()), Some(3 | 4));
        let (loser, winner_log, winner_said) = match (primary, backup) {
            (Some(p), None) if halted(Some(p)) => {
                ("primary", "backup.err", "vmft: live in epoch 2")
            }
            (None, Some(b)) if halted(Some(b)) => (
                "backup",
                "primary.err",
                "primary alone, unprotected in epoch 2",
            ),
            other => self.fail(&format!("{what}: expected one side to halt, got {other:?}")),
        };
        if !self.log(winner_log).contains(winner_said) {
            self.fail(&format!(
                "{what}: the {loser} halted but the other side did not go on"
            ));
        }
        loser
    }

    /// Fails the test with what both sides said.
    fn fail(&self, why: &str) -> ! {
        let tail = |name: &str| {
            let text = self.log(name);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(15)..].join("\n")
        };
        panic!(
            "{why}\n--- primary stderr:\n{}\n--- backup stderr:\n{}\n--- primary console (end):\n{}\n--- backup console (end):\n{}",
            self.log("primary.err"),
            self.log("backup.err"),
            tail("primary.out"),
            tail("backup.out"),
        );
    }

    /// Starts the writing client: one connection for `seconds`, acknowledged writes logged.
    fn client(&self, seconds: u32, reads: bool) -> Process {
        let mut command = self.net.command(Host::Clients, ft_client());
        command
            .args(["write", "--host", GUEST_IP, "--prefix", "k"])
            .args(["--duration", &seconds.to_string()])
            .args(["--out", &arg(&self.path("acked.jsonl"))]);
        if reads {
            command.arg("--reads");
        }
        Process::spawn(logged(
            command,
            &self.path("client.out"),
            &self.path("client.err"),
        ))
    }

    /// Waits for the client and returns its summary line, failing unless its connection
    /// lasted the whole run and it saw writes acknowledged.
    fn client_kept_its_connection(&self, client: &mut Process, seconds: u32) -> String {
        let status = client
            .wait_timeout(Duration::from_secs(u64::from(seconds) + 60))
            .unwrap_or_else(|| self.fail("the client did not finish"));
        let summary = self.log("client.out");
        if !status.success() || !summary.contains(r#""connection": "kept""#) {
            self.fail(&format!(
                "the client's connection did not survive ({status}): {summary}{}",
                self.log("client.err")
            ));
        }
        let acked = json_number(&summary, "acked");
        if acked < 10.0 {
            self.fail(&format!("too few writes acknowledged: {summary}"));
        }
        summary
    }

    /// Reads back, on a new connection, every write the client saw acknowledged.
    fn every_acknowledged_write_is_there(&self) {
        let output = self
            .net
            .command(Host::Clients, ft_client())
            .args(["check", "--host", GUEST_IP])
            .args(["--file", &arg(&self.path("acked.jsonl"))])
            .output()
            .expect("ft-client check");
        let summary = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() || !summary.contains(r#""missing": 0, "wrong": 0"#) {
            self.fail(&format!(
                "acknowledged writes are missing: {summary}{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }

    /// Shuts Redis down, so that the guest powers off.
    fn shut_redis_down(&self) {
        // The reply may be a closed connection: Redis exits as it answers.
        let _ = self
            .net
            .command(Host::Clients, "redis-cli")
            .args(["-h", GUEST_IP, "shutdown"])
            .output();
    }

    /// Waits for the primary (`primary`) or the backup to exit.
    fn exits(&mut self, primary: bool) -> ExitStatus {
        let (process, what) = match primary {
            true => (&mut self.primary, "primary"),
            false => (&mut self.backup, "backup"),
        };
        let status = process.wait_timeout(EXIT_LIMIT);
        status.unwrap_or_else(|| self.fail(&format!("the {what} did not exit")))
    }
}

/// The number after `"key":` in a JSON line.
fn json_number(json: &str, key: &str) -> f64 {
    let start = json
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + key.len()
        + 3;
    json[start..]
        .trim_start()
        .split([',', '}'])
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{key} in {json} is not a number"))
}

#[test]
fn a_pair_serves_redis_under_load_with_every_digest_matching_and_the_backup_within_its_lag() {
    let _one = one_at_a_time();
    let mut pair = Pair::start("ft-load");
    let mut client = pair.client(8, true);
    // The backup's lag under the client's load, as the primary's status shows it (guest time,
    // what --max-lag-ms bounds), every 100 ms while the client writes.
    let mut lags = Vec::new();
    while client.is_running() {
        let status = vmft()
            .args(["status", "--json"])
            .arg(pair.path("primary.sock"))
            .output()
            .expect("vmft status");
        let json = String::from_utf8_lossy(&status.stdout);
        if let Some(lag) = json
            .split("\"lag_ms\":")
            .nth(1)
            .and_then(|rest| rest.trim_start().split([',', '\n', '}']).next())
            .and_then(|n| n.trim().parse::<u64>().ok())
        {
            lags.push(lag);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let summary = pair.client_kept_its_connection(&mut client, 8);
    pair.every_acknowledged_write_is_there();
    pair.shut_redis_down();
    let primary = pair.exits(true);
    let backup = pair.exits(false);
    if !primary.success() || !backup.success() {
        pair.fail(&format!(
            "the guest powered off, but the primary exited {primary} and the backup {backup}"
        ));
    }
    let backup_said = pair.log("backup.err");
    let digests = backup_said
        .lines()
        .find_map(|l| l.split("log entries; ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| pair.fail("the backup did not say how many digests matched"));
    assert!(digests >= 2, "the backup checked {digests} digests");
    // Flow control keeps the backup within the bound under the load: the primary slows down
    // as soon as the lag passes it, so only a brief excursion may go past (at most one
    // throttled slice and the acknowledgement's round trip).
    lags.sort_unstable();
    assert!(lags.len() >= 20, "too few status samples: {lags:?}");
    let (median, max) = (lags[lags.len() / 2], lags[lags.len() - 1]);
    assert!(
        median <= 100,
        "median lag {median} ms over the 100 ms bound: {lags:?}"
    );
    assert!(
        max <= 300,
        "lag peaked at {max} ms, far over the 100 ms bound: {lags:?}"
    );
    let primary_said = pair.log("primary.err");
    assert!(
        primary_said.contains("backup lag (guest time): median"),
        "{primary_said}"
    );
    assert!(!pair.log("primary.err").contains("never acknowledged"));
    eprintln!(
        "client: {summary}backup: {digests} digests matched; lag median {median} ms, max {max} ms"
    );
}

/// The trials' random choices (SplitMix64), seeded from `VMFT_FT_SEED` or the clock; the
/// seed is printed so that a failing trial can be replayed.
struct Choices(u64);

impl Choices {
    fn seeded(what: &str) -> Choices {
        let seed = std::env::var("VMFT_FT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |d| d.as_secs())
            });
        eprintln!("{what} from VMFT_FT_SEED={seed}");
        Choices(seed)
    }

    /// A number below `bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % bound
    }

    /// A moment between 1 and 5 s into a load.
    fn moment(&mut self) -> Duration {
        Duration::from_millis(1000 + self.below(4000))
    }
}

/// The number of trials `variable` asks for, or `default`.
fn trials(variable: &str, default: usize) -> usize {
    std::env::var(variable)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// One primary-kill trial: a client writes over one connection for 9 s; `before_kill` runs
/// `moment` into the load, and the primary is killed with SIGKILL right after. The client
/// must keep its connection and every acknowledged write, and the backup must go live in
/// epoch 2 and go on. Returns a line for the test's output.
fn primary_kill_trial(
    name: &str,
    arbiter: Arbiter,
    moment: Duration,
    before_kill: impl FnOnce(&Pair),
) -> String {
    let mut pair = Pair::start_with(name, arbiter);
    let load = 9;
    let mut client = pair.client(load, false);
    std::thread::sleep(moment);
    before_kill(&pair);
    let killed = pair.primary.kill();
    assert!(!killed.success(), "the primary was still running: {killed}");
    let summary = pair.client_kept_its_connection(&mut client, load);
    pair.every_acknowledged_write_is_there();
    let went_live = pair
        .went_live()
        .filter(|l| l.contains("vmft: live in epoch 2 "))
        .unwrap_or_else(|| pair.fail("the backup did not go live in epoch 2"));
    if !pair.backup.is_running() {
        pair.fail("the backup stopped after going live");
    }
    format!(
        "primary killed {moment:?} into the load ({arbiter:?} arbiter); client: {}; {went_live}",
        summary.trim()
    )
}

#[test]
fn kill_9_of_the_primary_mid_load_keeps_the_client_s_connection_and_every_acknowledged_write() {
    let _one = one_at_a_time();
    let mut choices = Choices::seeded("kill moments");
    for trial in 0..trials("VMFT_FT_TRIALS", 5) {
        let moment = choices.moment();
        let name = format!("ft-kill-primary-{trial}");
        let line = primary_kill_trial(&name, Arbiter::File, moment, |_| {});
        eprintln!("trial {trial}: {line}");
    }
}

#[test]
fn etcd_kill_9_of_the_primary_fails_over_as_with_the_file_arbiter() {
    let _one = one_at_a_time();
    let moment = Choices::seeded("kill moment").moment();
    let line = primary_kill_trial("ft-etcd-kill-primary", Arbiter::Etcd, moment, |_| {});
    eprintln!("{line}");
}

#[test]
fn etcd_with_one_member_killed_the_primary_s_kill_still_fails_over() {
    let _one = one_at_a_time();
    let moment = Choices::seeded("kill moment").moment();
    // Member 1 is every arbiter client's first choice; it dies half a second before the
    // primary, so the backup's claim meets a dead member and, if it led, an election.
    let line = primary_kill_trial("ft-etcd-member-down", Arbiter::Etcd, moment, |pair| {
        pair.net.kill_etcd_member(1);
        std::thread::sleep(Duration::from_millis(500));
    });
    eprintln!("etcd member 1 killed 0.5 s before the primary: {line}");
}

#[test]
fn kill_9_of_the_backup_leaves_the_primary_serving_alone_without_a_client_error() {
    let _one = one_at_a_time();
    let mut pair = Pair::start("ft-kill-backup");
    let load = 8;
    let mut client = pair.client(load, true);
    std::thread::sleep(Duration::from_secs(3));
    pair.backup.kill();
    let summary = pair.client_kept_its_connection(&mut client, load);
    pair.every_acknowledged_write_is_there();
    let primary_said = pair.log("primary.err");
    if !primary_said.contains("primary alone, unprotected in epoch 2") {
        pair.fail("the primary did not go on alone in epoch 2");
    }
    if !pair.primary.is_running() {
        pair.fail("the primary stopped after its backup died");
    }
    eprintln!("client: {}", summary.trim());
}

/// Pseudo-random bytes, as a peer that speaks no protocol at all sends them.
fn garbage(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn wrong_key_machine_disk_or_garbage_is_refused_at_both_ends_and_the_pair_still_forms() {
    let _one = one_at_a_time();
    require_root("the fault-tolerance tests");
    let dir = ScratchDir::new("ft-refusals");
    let keygen = |name: &str| {
        let status = vmft().arg("keygen").arg(dir.join(name)).status();
        assert!(status.expect("vmft keygen").success());
        dir.join(name)
    };
    let (key, other_key) = (keygen("key"), keygen("other-key"));
    std::fs::create_dir(dir.join("arbiter")).expect("the arbiter directory");
    std::fs::write(dir.join("a.img"), vec![0u8; 1 << 20]).expect("a disk");
    std::fs::copy(dir.join("a.img"), dir.join("b.img")).expect("its copy");
    let mut other_disk = vec![0u8; 1 << 20];
    other_disk[4096] = 1;
    std::fs::write(dir.join("c.img"), other_disk).expect("another disk");
    let image = image();
    let machine = |memory: &str, disk: &str| -> Vec<String> {
        vec![
            "--image".into(),
            arg(&image.dir),
            "--memory".into(),
            memory.into(),
            "--drive".into(),
            arg(&dir.join(disk)),
            "--append".into(),
            "-- sh -c \"echo pair-formed\"".into(),
            "--arbiter".into(),
            format!("file:{}", arg(&dir.join("arbiter"))),
        ]
    };

    let mut primary_command = vmft();
    primary_command
        .arg("primary")
        .args(machine(MEMORY, "a.img"))
        .args(["--listen", "127.0.0.1:0", "--key-file", &arg(&key)]);
    let (p_out, p_err) = (dir.join("primary.out"), dir.join("primary.err"));
    let mut primary = Process::spawn(logged(primary_command, &p_out, &p_err));
    let deadline = Instant::now() + Duration::from_secs(30);
    let address = loop {
        let said = read(&p_err);
        if let Some(rest) = said.split("listening on ").nth(1) {
            break rest.split(';').next().unwrap_or_default().to_owned();
        }
        assert!(primary.is_running(), "the primary exited: {said}");
        assert!(
            Instant::now() < deadline,
            "the primary did not listen: {said}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    let backup = |name: &str, machine: Vec<String>, key: &Path, to: &str| {
        let mut command = vmft();
        command
            .arg("backup")
            .args(machine)
            .args(["--primary", to, "--key-file", &arg(key)]);
        let (out, err) = (
            dir.join(&format!("{name}.out")),
            dir.join(&format!("{name}.err")),
        );
        let mut process = Process::spawn(logged(command, &out, &err));
        let status = process
            .wait_timeout(EXIT_LIMIT)
            .unwrap_or_else(|| panic!("backup {name} did not exit: {}", read(&err)));
        (status, read(&err))
    };
    let mut refused = |name: &str, machine: Vec<String>, key: &Path, expected: &str| {
        let (status, said) = backup(name, machine, key, &address);
        assert_eq!(status.code(), Some(2), "backup {name}: {said}");
        assert!(said.contains(expected), "backup {name} said: {said}");
        let error_lines = said.lines().filter(|l| l.contains("error")).count();
        assert_eq!(error_lines, 1, "one error line from backup {name}: {said}");
        assert!(primary.is_running(), "the primary died of {name}");
    };
    refused(
        "wrong-key",
        machine(MEMORY, "b.img"),
        &other_key,
        "the peer holds another key",
    );
    refused(
        "wrong-machine",
        machine("256M", "b.img"),
        &key,
        "machine fingerprint",
    );
    refused("wrong-disk", machine(MEMORY, "c.img"), &key, "disk hash");

    // A peer that sends garbage to the primary, and a "primary" that sends garbage back.
    let mut peer = TcpStream::connect(&address).expect("connect to the primary");
    let _ = peer.write_all(&garbage(4096));
    let impostor = TcpListener::bind("127.0.0.1:0").expect("a fake primary");
    let fake = impostor.local_addr().expect("its address").to_string();
    let answering = std::thread::spawn(move || {
        if let Ok((mut stream, _)) = impostor.accept() {
            let _ = stream.write_all(&garbage(4096));
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let (status, said) = backup("to-garbage", machine(MEMORY, "b.img"), &key, &fake);
    let _ = answering.join();
    assert_eq!(status.code(), Some(2), "a backup facing garbage: {said}");
    assert!(
        said.contains("does not speak the vmft logging channel"),
        "{said}"
    );
    drop(peer);

    // After all that, the right backup joins and the pair runs the guest to its end.
    let (status, said) = backup("right", machine(MEMORY, "b.img"), &key, &address);
    assert!(status.success(), "the right backup: {status}: {said}");
    let status = primary
        .wait_timeout(EXIT_LIMIT)
        .unwrap_or_else(|| panic!("the primary did not finish: {}", read(&p_err)));
    let primary_said = read(&p_err);
    assert!(status.success(), "the primary: {status}: {primary_said}");
    assert!(read(&p_out).contains("pair-formed"), "{}", read(&p_out));
    for (what, expected) in [
        ("wrong key", "another key"),
        ("another machine", "machine fingerprint"),
        ("another disk", "disk hash"),
        ("garbage", "does not speak the vmft logging channel"),
    ] {
        assert!(
            primary_said.contains(expected),
            "the primary said nothing of the {what}: {primary_said}"
        );
    }
}

/// How a partition trial cuts the logging channel.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// `ip link set ch0 down` on one host: both directions stop.
    LinkDown(Host),
    /// `iptables` drops what one host sends on the channel: one direction only.
    DropFrom(Host),
}

impl Cut {
    fn choose(choices: &mut Choices) -> Cut {
        let host = if choices.below(2) == 0 {
            Host::A
        } else {
            Host::B
        };
        match choices.below(2) {
            0 => Cut::LinkDown(host),
            _ => Cut::DropFrom(host),
        }
    }

    fn apply(self, net: &Topology) {
        match self {
            Cut::LinkDown(host) => net.run_ok(host, "ip", &["link", "set", "ch0", "down"]),
            Cut::DropFrom(host) => net.run_ok(
                host,
                "iptables",
                &["-A", "OUTPUT", "-o", "ch0", "-j", "DROP"],
            ),
        };
    }
}

/// A capture of the frames that enter the switch from one host's port with the guest's MAC
/// as their source: what that host's replica sent to the world.
struct Capture {
    tcpdump: Process,
    file: PathBuf,
}

impl Capture {
    fn start(pair: &Pair, port: &str) -> Capture {
        let file = pair.path(&format!("{port}.pcap"));
        let mut command = pair.net.command(Host::Switch, "tcpdump");
        command
            .args(["-i", port, "-Q", "in", "-U", "-n", "-w"])
            .arg(&file)
            .args(["ether", "src", common::topology::GUEST_MAC])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let capture = Capture {
            tcpdump: Process::spawn(command),
            file,
        };
        // tcpdump creates the file once it listens.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !capture.file.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        capture
    }

    /// Stops the capture and returns the arrival time (seconds since the Unix epoch) of
    /// every frame it saw.
    fn frames(mut self) -> Vec<f64> {
        // SIGTERM lets tcpdump flush; the guard kills it if it does not stop.
        let _ = Command::new("kill")
            .arg(self.tcpdump.id().to_string())
            .status();
        let _ = self.tcpdump.wait_timeout(Duration::from_secs(5));
        let output = Command::new("tcpdump")
            .args(["-r"])
            .arg(&self.file)
            .args(["-tt", "-n"])
            .output()
            .expect("tcpdump -r");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect()
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[test]
fn a_partitioned_logging_channel_leaves_exactly_one_side_serving_and_the_other_silent() {
    let _one = one_at_a_time();
    let mut choices = Choices::seeded("partitions");
    for trial in 0..trials("VMFT_FT_PARTITIONS", 10) {
        let cut = Cut::choose(&mut choices);
        let moment = choices.moment();
        let arbiter = partition_arbiter();
        let mut pair = Pair::start_with(&format!("ft-partition-{trial}"), arbiter);
        let captures = [Capture::start(&pair, "pa"), Capture::start(&pair, "pb")];
        let load = 9;
        let mut client = pair.client(load, false);
        std::thread::sleep(moment);
        let cut_at = unix_now();
        cut.apply(&pair.net);
        let summary = pair.client_kept_its_connection(&mut client, load);
        pair.every_acknowledged_write_is_there();

        // Exactly one side halts (having lost the arbiter, or seen the winner's epoch); the
        // other goes on in epoch 2.
        let loser = pair.exactly_one_goes_on(&format!("{cut:?} {moment:?} into the load"));

        // The loser sent nothing to the world once the winner could have gone live: that
        // takes the failure timeout (300 ms) after the cut at the least. A losing backup
        // never sent anything.
        let [from_a, from_b] = captures.map(Capture::frames);
        let (late, silent_since) = match loser {
            "primary" => (
                from_a.iter().filter(|&&t| t > cut_at + 0.3).count(),
                "0.3 s after the cut",
            ),
            _ => (from_b.len(), "the start"),
        };
        if late > 0 {
            pair.fail(&format!(
                "{late} frames from the losing {loser}'s host since {silent_since}"
            ));
        }
        eprintln!(
            "partition {trial} ({arbiter:?} arbiter): {cut:?} {moment:?} into the load; \
             the {loser} halted; frames from A {}, from B {}; client: {}",
            from_a.len(),
            from_b.len(),
            summary.trim()
        );
    }
}

/// The partition trials' arbiter: etcd, unless `VMFT_FT_PARTITION_ARBITER=file`.
fn partition_arbiter() -> Arbiter {
    match std::env::var("VMFT_FT_PARTITION_ARBITER").as_deref() {
        Ok("file") => Arbiter::File,
        Ok("etcd") | Err(_) => Arbiter::Etcd,
        Ok(other) => panic!("VMFT_FT_PARTITION_ARBITER={other}: file or etcd"),
    }
}

/// How long the tests below leave a pair without a quorum: ten failure timeouts and more
/// than one whole claim's attempt on every member.
const NO_QUORUM: Duration = Duration::from_secs(4);

/// Kills every etcd member of the pair's topology.
fn stop_etcd(pair: &Pair) {
    for member in 1..=3 {
        pair.net.kill_etcd_member(member);
    }
}

/// Restarts every etcd member of the pair's topology on its data; returns when (as seen by
/// this test's clock) the members were started.
fn restart_etcd(pair: &Pair) -> f64 {
    let at = unix_now();
    for member in 1..=3 {
        pair.net.start_etcd_member(member);
    }
    at
}

/// Frames (arrival times) strictly between `from` and `to`.
fn between(frames: &[f64], from: f64, to: f64) -> usize {
    frames.iter().filter(|&&t| t > from && t < to).count()
}

#[test]
fn etcd_down_the_backup_of_a_killed_primary_waits_and_goes_live_once_etcd_is_back() {
    let _one = one_at_a_time();
    let mut pair = Pair::start_with("ft-etcd-down-kill", Arbiter::Etcd);
    let captures = [Capture::start(&pair, "pa"), Capture::start(&pair, "pb")];
    let load = 12;
    let mut client = pair.client(load, false);
    std::thread::sleep(Duration::from_secs(2));
    stop_etcd(&pair);
    let killed_at = unix_now();
    pair.primary.kill();

    // Without a quorum the backup detects the failure, cannot win epoch 2 and waits: it does
    // not go live, and nothing leaves host B.
    std::thread::sleep(NO_QUORUM);
    if let Some(line) = pair.went_live() {
        pair.fail(&format!("the backup went live without a quorum: {line}"));
    }
    if !pair.backup.is_running() {
        pair.fail("the backup stopped while etcd was down");
    }
    let restored_at = restart_etcd(&pair);

    // With etcd back, the backup wins epoch 2 and goes live.
    if !pair.shows_within(
        "backup.err",
        "vmft: live in epoch 2 ",
        Duration::from_secs(30),
    ) {
        pair.fail("the backup did not go live in epoch 2 once etcd was back");
    }
    let went_live = pair.went_live().unwrap_or_default();
    // The client's connection may have given up during the wait; what it saw acknowledged
    // must all be there.
    let status = client
        .wait_timeout(Duration::from_secs(u64::from(load) + 60))
        .unwrap_or_else(|| pair.fail("the client did not finish"));
    pair.every_acknowledged_write_is_there();
    if !pair.backup.is_running() {
        pair.fail("the backup stopped after going live");
    }
    let [from_a, from_b] = captures.map(Capture::frames);
    let early = between(&from_b, 0.0, restored_at);
    if early > 0 {
        pair.fail(&format!(
            "{early} frames from host B before etcd was back ({:.3} s after the kill)",
            restored_at - killed_at
        ));
    }
    if from_b.is_empty() {
        pair.fail("the live backup sent nothing");
    }
    eprintln!(
        "etcd down {:.1} s: {went_live}; frames from A {}, from B {} (all after etcd was back); \
         client ({status}): {}",
        restored_at - killed_at,
        from_a.len(),
        from_b.len(),
        pair.log("client.out").trim()
    );
}

#[test]
fn etcd_down_a_cut_channel_leaves_both_sides_waiting_then_exactly_one_goes_on() {
    let _one = one_at_a_time();
    let mut pair = Pair::start_with("ft-etcd-down-cut", Arbiter::Etcd);
    let captures = [Capture::start(&pair, "pa"), Capture::start(&pair, "pb")];
    let load = 12;
    let mut client = pair.client(load, false);
    std::thread::sleep(Duration::from_secs(2));
    stop_etcd(&pair);
    let cut_at = unix_now();
    pair.net.cut(Link::Channel);

    // Both sides live and each thinks the other failed; neither can win epoch 2, so neither
    // goes on: the backup stays shut, the primary holds its outputs.
    std::thread::sleep(NO_QUORUM);
    if !pair.primary.is_running() || !pair.backup.is_running() {
        pair.fail("a side stopped while etcd was down");
    }
    for (file, said) in [
        ("backup.err", "vmft: live in epoch"),
        ("primary.err", "primary alone"),
    ] {
        if pair.log(file).contains(said) {
            pair.fail(&format!("{file} says {said:?} without a quorum"));
        }
    }
    let restored_at = restart_etcd(&pair);

    // With etcd back exactly one wins epoch 2; the other loses and halts.
    let loser = pair.exactly_one_goes_on("a cut channel with etcd down, then etcd back");
    let status = client
        .wait_timeout(Duration::from_secs(u64::from(load) + 60))
        .unwrap_or_else(|| pair.fail("the client did not finish"));
    pair.every_acknowledged_write_is_there();
    let [from_a, from_b] = captures.map(Capture::frames);
    // Nothing left either host while nobody held epoch 2 (the primary may still release, at
    // the cut, what the backup had acknowledged); the loser sent nothing after the cut.
    let held = between(&from_a, cut_at + 0.3, restored_at) + between(&from_b, 0.0, restored_at);
    if held > 0 {
        pair.fail(&format!("{held} frames left the hosts while etcd was down"));
    }
    let late = match loser {
        "primary" => between(&from_a, cut_at + 0.3, f64::INFINITY),
        _ => from_b.len(),
    };
    if late > 0 {
        pair.fail(&format!("{late} frames from the losing {loser}'s host"));
    }
    eprintln!(
        "etcd down {:.1} s with the channel cut; then the {loser} halted; frames from A {}, \
         from B {}; client ({status}): {}",
        restored_at - cut_at,
        from_a.len(),
        from_b.len(),
        pair.log("client.out").trim()
    );
}

#[test]
fn etcd_a_primary_cut_off_from_its_backup_and_etcd_never_goes_on_and_releases_nothing() {
    let _one = one_at_a_time();
    let moment = Choices::seeded("cut moment").moment();
    let mut pair = Pair::start_with("ft-etcd-isolated", Arbiter::Etcd);
    let captures = [Capture::start(&pair, "pa"), Capture::start(&pair, "pb")];
    let load = 9;
    let mut client = pair.client(load, false);
    std::thread::sleep(moment);
    // Host A keeps its uplink to the clients, and loses its peer and the arbiter at once.
    let cut_at = unix_now();
    pair.net.cut(Link::ManagementA);
    pair.net.cut(Link::Channel);

    // B wins epoch 2 and serves; the client's connection survives on it.
    if !pair.shows_within(
        "backup.err",
        "vmft: live in epoch 2 ",
        Duration::from_secs(30),
    ) {
        pair.fail("the backup did not go live in epoch 2");
    }
    let summary = pair.client_kept_its_connection(&mut client, load);
    pair.every_acknowledged_write_is_there();
    if !pair.backup.is_running() {
        pair.fail("the backup stopped after going live");
    }
    // A never went on alone: it cannot reach etcd, so it waits (or halts) with its outputs
    // held.
    if pair.log("primary.err").contains("primary alone") {
        pair.fail("the isolated primary went on alone");
    }
    let primary_waited = pair.primary.is_running();

    // Back on the management network, A learns that B won epoch 2, and halts.
    let restored_at = unix_now();
    pair.net.restore(Link::ManagementA);
    let status = pair.exits(true);
    if !matches!(status.code(), Some(3 | 4)) {
        pair.fail(&format!("the isolated primary exited {status}, not halted"));
    }
    let [from_a, from_b] = captures.map(Capture::frames);
    let late = between(&from_a, cut_at + 0.3, f64::INFINITY);
    if late > 0 {
        pair.fail(&format!(
            "{late} frames from host A since 0.3 s after it was cut off"
        ));
    }
    eprintln!(
        "A cut off {moment:?} into the load; it {} for {:.1} s, then halted ({status}) once \
         it reached etcd; frames from A {}, from B {} (the first {:.3} s after the cut); {}; \
         client: {}",
        if primary_waited {
            "waited"
        } else {
            "had halted"
        },
        restored_at - cut_at,
        from_a.len(),
        from_b.len(),
        from_b
            .iter()
            .find(|&&t| t > cut_at)
            .map_or(-1.0, |t| t - cut_at),
        pair.went_live().unwrap_or_default(),
        summary.trim()
    );
}
