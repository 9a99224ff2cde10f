//! Re-protection on real processes and networks: a backup joins a running primary by live
//! state transfer, and the pair survives failure after failure. Hosts A and B take turns:
//! the primary on one is killed with `kill -9`, the backup on the other goes live, and a new
//! backup joins it from the first host, while one client keeps writing to Redis over one TCP
//! connection.
//!
//! Needs root; builds the Redis guest image on first use. `VMFT_REPROTECT_ROUNDS` sets the
//! number of chained failovers (default 3).

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::topology::{ft_client, Host, Process, Topology, GUEST_IP};
use common::{ext4_disk, redis_image, require_root, ScratchDir, REDIS_APPEND, REDIS_READY};

/// The logging channel's port on either host.
const PORT: u16 = 7700;
/// How long a pair may take to boot Redis, and a join to complete.
const LIMIT: Duration = Duration::from_secs(180);

fn arg(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// The logging channel's address of `host`.
fn channel(host: Host) -> String {
    match host {
        Host::A => format!("{}:{PORT}", common::topology::CHANNEL_A_IP),
        _ => format!("{}:{PORT}", common::topology::CHANNEL_B_IP),
    }
}

fn other(host: Host) -> Host {
    match host {
        Host::A => Host::B,
        _ => Host::A,
    }
}

/// One replica: its process and where it logs.
struct Side {
    process: Process,
    host: Host,
    err: PathBuf,
}

/// Hosts A and B, their disks, key and arbiter, and the replicas running on them.
struct Hosts {
    // Field order is drop order: the processes die before their network goes.
    sides: Vec<Side>,
    net: Topology,
    dir: ScratchDir,
    started: usize,
}

impl Hosts {
    fn new(name: &str) -> Hosts {
        require_root("the re-protection tests");
        redis_image();
        let net = Topology::unique();
        let dir = ScratchDir::new(name);
        let status = Command::new(env!("CARGO_BIN_EXE_vmft"))
            .arg("keygen")
            .arg(dir.join("key"))
            .status()
            .expect("vmft keygen");
        assert!(status.success());
        std::fs::create_dir(dir.join("arbiter")).expect("the arbiter directory");
        ext4_disk(&dir.join("a.img"), 64 << 20);
        std::fs::copy(dir.join("a.img"), dir.join("b.img")).expect("copy the disk");
        Hosts {
            sides: Vec::new(),
            net,
            dir,
            started: 0,
        }
    }

    /// Starts `vmft ROLE` on `host` with the Redis machine and `extra` arguments.
    fn start(&mut self, host: Host, role: &str, extra: &[String]) -> usize {
        let disk = if host == Host::A { "a.img" } else { "b.img" };
        self.start_with(host, role, extra, disk, "arbiter")
    }

    /// [`Hosts::start`] with the disk file and arbiter directory named.
    fn start_with(
        &mut self,
        host: Host,
        role: &str,
        extra: &[String],
        disk: &str,
        arbiter: &str,
    ) -> usize {
        let mut command = self.net.command(host, env!("CARGO_BIN_EXE_vmft"));
        command
            .arg(role)
            .args(["--image", &arg(&redis_image().dir), "--memory", "512M"])
            .args(["--net", "tap=tap0", "--drive", &arg(&self.dir.join(disk))])
            .args(["--append", REDIS_APPEND])
            .args(["--key-file", &arg(&self.dir.join("key"))])
            .args([
                "--arbiter",
                &format!("file:{}", arg(&self.dir.join(arbiter))),
            ])
            .args(extra);
        self.started += 1;
        let name = format!(
            "{}-{role}-{}",
            if host == Host::A { "a" } else { "b" },
            self.started
        );
        let file = |suffix: &str| {
            let path = self.dir.join(&format!("{name}.{suffix}"));
            (File::create(&path).expect("a log file"), path)
        };
        let ((out, _), (err, err_path)) = (file("out"), file("err"));
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        self.sides.push(Side {
            process: Process::spawn(command),
            host,
            err: err_path,
        });
        self.sides.len() - 1
    }

    /// Waits until side `side`'s standard error (or, with `console`, its console) shows
    /// `needle`.
    fn wait_for(&mut self, side: usize, needle: &str, console: bool) {
        self.wait_for_line(side, &[needle], console);
    }

    /// Waits until side `side`'s standard error (or console) has a line with every one of
    /// `needles`.
    fn wait_for_line(&mut self, side: usize, needles: &[&str], console: bool) {
        let path = match console {
            true => self.sides[side].err.with_extension("out"),
            false => self.sides[side].err.clone(),
        };
        let needle = needles.join(" ... ");
        let deadline = Instant::now() + LIMIT;
        while !read(&path)
            .lines()
            .any(|line| needles.iter().all(|n| line.contains(n)))
        {
            if !self.sides[side].process.is_running() {
                self.fail(&format!("side {side} exited before showing {needle:?}"));
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "side {side} did not show {needle:?} within {LIMIT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn fail(&self, why: &str) -> ! {
        let logs: Vec<String> = self
            .sides
            .iter()
            .enumerate()
            .map(|(i, s)| format!("--- side {i} on {:?}:\n{}", s.host, read(&s.err)))
            .collect();
        panic!("{why}\n{}", logs.join("\n"));
    }

    fn kill(&mut self, side: usize) -> ExitStatus {
        self.sides[side].process.kill()
    }

    /// Starts the one client, writing for `seconds`.
    fn client(&self, seconds: u32) -> Process {
        let mut command = self.net.command(Host::Clients, ft_client());
        command
            .args(["write", "--host", GUEST_IP, "--prefix", "k"])
            .args(["--duration", &seconds.to_string()])
            .args(["--out", &arg(&self.dir.join("acked.jsonl"))])
            .stdout(File::create(self.dir.join("client.out")).expect("client log"))
            .stderr(Stdio::null());
        Process::spawn(command)
    }

    /// Waits for the client: its connection must have lasted, and every write it saw
    /// acknowledged must be there, read back on a new connection. Returns its summary.
    fn client_lost_nothing(&self, client: &mut Process, seconds: u32) -> String {
        let status = client
            .wait_timeout(Duration::from_secs(u64::from(seconds) + 60))
            .unwrap_or_else(|| self.fail("the client did not finish"));
        let summary = read(&self.dir.join("client.out"));
        if !status.success() || !summary.contains(r#""connection": "kept""#) {
            self.fail(&format!(
                "the client's connection did not survive: {summary}"
            ));
        }
        let check = self
            .net
            .command(Host::Clients, ft_client())
            .args(["check", "--host", GUEST_IP])
            .args(["--file", &arg(&self.dir.join("acked.jsonl"))])
            .output()
            .expect("ft-client check");
        let checked = String::from_utf8_lossy(&check.stdout);
        if !check.status.success() || !checked.contains(r#""missing": 0, "wrong": 0"#) {
            self.fail(&format!("acknowledged writes are missing: {checked}"));
        }
        summary
    }

    /// Waits for side `side` to exit by itself.
    fn exits(&mut self, side: usize) -> ExitStatus {
        let status = self.sides[side].process.wait_timeout(LIMIT);
        status.unwrap_or_else(|| self.fail(&format!("side {side} did not exit")))
    }
}

#[test]
fn chained_failovers_keep_one_client_connection_and_every_acknowledged_write() {
    let rounds: usize = std::env::var("VMFT_REPROTECT_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let mut hosts = Hosts::new("reprotect-chain");
    let listen = |host| vec!["--listen".to_owned(), channel(host)];
    let mut primary = hosts.start(Host::A, "primary", &listen(Host::A));
    let mut joining = [
        vec![
            "--primary".to_owned(),
            channel(Host::A),
            "--join".to_owned(),
        ],
        listen(Host::B),
    ]
    .concat();
    let mut backup = hosts.start(Host::B, "backup", &joining);
    hosts.wait_for(primary, REDIS_READY, true);

    // One client for every round: it must never lose its connection.
    let load = 14 * rounds as u32 + 10;
    let mut client = hosts.client(load);
    std::thread::sleep(Duration::from_secs(2));

    for round in 0..rounds {
        let epoch = round + 2;
        let survivor_host = hosts.sides[backup].host;
        hosts.kill(primary);
        hosts.wait_for(backup, &format!("vmft: live in epoch {epoch}"), false);
        // The survivor is the primary now; a new backup joins it from the dead side's host.
        primary = backup;
        joining = [
            vec![
                "--primary".to_owned(),
                channel(survivor_host),
                "--join".to_owned(),
            ],
            listen(other(survivor_host)),
        ]
        .concat();
        backup = hosts.start(other(survivor_host), "backup", &joining);
        hosts.wait_for(backup, "in sync at position", false);
        let protected_in = format!("in epoch {epoch}");
        hosts.wait_for_line(primary, &["primary protected", &protected_in], false);
        eprintln!(
            "round {round}: {:?} went live in epoch {epoch}; a backup on {:?} joined it",
            survivor_host,
            other(survivor_host)
        );
        std::thread::sleep(Duration::from_secs(2));
    }

    let summary = hosts.client_lost_nothing(&mut client, load);
    eprintln!("{rounds} chained failovers; client: {}", summary.trim());
}

#[test]
fn bad_joiners_and_one_killed_mid_transfer_leave_the_primary_serving_then_a_good_one_takes_over() {
    let mut hosts = Hosts::new("reprotect-faults");
    let listen = |host| vec!["--listen".to_owned(), channel(host)];
    let joiner = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--primary".to_owned(), channel(Host::A)];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let primary = hosts.start(Host::A, "primary", &listen(Host::A));
    let first = hosts.start(Host::B, "backup", &joiner(&[]));
    hosts.wait_for(primary, REDIS_READY, true);
    let load = 60;
    let mut client = hosts.client(load);
    std::thread::sleep(Duration::from_secs(2));
    // The first backup dies: the primary goes on alone, in epoch 2.
    hosts.kill(first);
    hosts.wait_for(primary, "primary alone, unprotected in epoch 2", false);

    // Refused, each with one line, while the primary serves on.
    std::fs::write(hosts.dir.join("small.img"), vec![0u8; 32 << 20]).expect("a smaller disk");
    std::fs::create_dir(hosts.dir.join("stale-arbiter")).expect("an arbiter of its own");
    for (what, extra, disk, arbiter, expected) in [
        (
            "another disk",
            joiner(&["--join"]),
            "small.img",
            "arbiter",
            "machine fingerprint",
        ),
        (
            "an older epoch",
            joiner(&["--join"]),
            "b.img",
            "stale-arbiter",
            "older epoch",
        ),
        ("no --join", joiner(&[]), "b.img", "arbiter", "--join"),
    ] {
        let side = hosts.start_with(Host::B, "backup", &extra, disk, arbiter);
        let status = hosts.exits(side);
        let said = read(&hosts.sides[side].err);
        assert_eq!(status.code(), Some(2), "a joiner with {what}: {said}");
        assert!(said.contains(expected), "a joiner with {what} said: {said}");
    }
    // A joiner killed in the middle of the transfer: the primary is alone again.
    let doomed = hosts.start(Host::B, "backup", &joiner(&["--join"]));
    hosts.wait_for(primary, "primary transferring its state", false);
    hosts.kill(doomed);
    hosts.wait_for(primary, "backup lost during the state transfer", false);

    // A good joiner syncs, the primary dies, the joiner goes live: nothing was lost.
    let good = hosts.start(
        Host::B,
        "backup",
        &[joiner(&["--join"]), listen(Host::B)].concat(),
    );
    hosts.wait_for(good, "in sync at position", false);
    hosts.wait_for_line(primary, &["primary protected", "in epoch 2"], false);
    std::thread::sleep(Duration::from_secs(2));
    hosts.kill(primary);
    hosts.wait_for(good, "vmft: live in epoch 3", false);
    let summary = hosts.client_lost_nothing(&mut client, load);
    eprintln!("client: {}", summary.trim());
}

#[test]
fn a_second_backup_is_refused_while_one_is_attached_and_the_pair_runs_on() {
    require_root("the re-protection tests");
    let dir = ScratchDir::new("reprotect-second");
    let vmft = || Command::new(env!("CARGO_BIN_EXE_vmft"));
    assert!(vmft()
        .arg("keygen")
        .arg(dir.join("key"))
        .status()
        .expect("keygen")
        .success());
    std::fs::create_dir(dir.join("arbiter")).expect("the arbiter directory");
    let machine = [
        "--image".to_owned(),
        arg(&common::image().dir),
        "--memory".into(),
        "256M".into(),
        "--append".into(),
        "-- sh -c \"sleep 6; echo pair-done\"".into(),
        "--key-file".into(),
        arg(&dir.join("key")),
        "--arbiter".into(),
        format!("file:{}", arg(&dir.join("arbiter"))),
    ];
    let spawn = |role: &str, name: &str, extra: &[&str]| {
        let mut command = vmft();
        command
            .arg(role)
            .args(&machine)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(File::create(dir.join(&format!("{name}.out"))).expect("a log"))
            .stderr(File::create(dir.join(&format!("{name}.err"))).expect("a log"));
        Process::spawn(command)
    };
    let mut primary = spawn("primary", "primary", &["--listen", "127.0.0.1:0"]);
    let deadline = Instant::now() + LIMIT;
    let address = loop {
        let said = read(&dir.join("primary.err"));
        if let Some(rest) = said.split("listening on ").nth(1) {
            break rest.split(';').next().unwrap_or_default().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the primary did not listen: {said}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut first = spawn("backup", "first", &["--primary", &address]);
    while !read(&dir.join("primary.err")).contains("primary protected") {
        assert!(
            Instant::now() < deadline,
            "{}",
            read(&dir.join("primary.err"))
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut second = spawn("backup", "second", &["--primary", &address, "--join"]);
    let refused = second.wait_timeout(LIMIT).expect("the second backup exits");
    let said = read(&dir.join("second.err"));
    assert_eq!(refused.code(), Some(2), "the second backup: {said}");
    assert!(
        read(&dir.join("primary.err")).contains("refused another backup"),
        "{}",
        read(&dir.join("primary.err"))
    );
    // The pair is unharmed: the guest runs to its end on both sides.
    for (process, name) in [(&mut primary, "primary"), (&mut first, "first")] {
        let status = process.wait_timeout(LIMIT).expect("the pair finishes");
        assert!(
            status.success(),
            "{name}: {}",
            read(&dir.join(&format!("{name}.err")))
        );
    }
    assert!(read(&dir.join("primary.out")).contains("pair-done"));
}
