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
        let mut command = self.net.command(host, env!("CARGO_BIN_EXE_vmft"));
        command
            .arg(role)
            .args(["--image", &arg(&redis_image().dir), "--memory", "512M"])
            .args(["--net", "tap=tap0", "--drive", &arg(&self.dir.join(disk))])
            .args(["--append", REDIS_APPEND])
            .args(["--key-file", &arg(&self.dir.join("key"))])
            .args([
                "--arbiter",
                &format!("file:{}", arg(&self.dir.join("arbiter"))),
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
        let path = match console {
            true => self.sides[side].err.with_extension("out"),
            false => self.sides[side].err.clone(),
        };
        let deadline = Instant::now() + LIMIT;
        while !read(&path).contains(needle) {
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
    let acked = hosts.dir.join("acked.jsonl");
    let load = 14 * rounds as u32 + 10;
    let mut client_command = hosts.net.command(Host::Clients, ft_client());
    client_command
        .args(["write", "--host", GUEST_IP, "--prefix", "k"])
        .args(["--duration", &load.to_string(), "--out", &arg(&acked)])
        .stdout(File::create(hosts.dir.join("client.out")).expect("client log"))
        .stderr(Stdio::null());
    let mut client = Process::spawn(client_command);
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
        hosts.wait_for(primary, "primary protected", false);
        eprintln!(
            "round {round}: {:?} went live in epoch {epoch}; a backup on {:?} joined it",
            survivor_host,
            other(survivor_host)
        );
        std::thread::sleep(Duration::from_secs(2));
    }

    let status = client
        .wait_timeout(Duration::from_secs(u64::from(load) + 60))
        .unwrap_or_else(|| hosts.fail("the client did not finish"));
    let summary = read(&hosts.dir.join("client.out"));
    if !status.success() || !summary.contains(r#""connection": "kept""#) {
        hosts.fail(&format!(
            "the client's connection did not survive: {summary}"
        ));
    }
    let check = hosts
        .net
        .command(Host::Clients, ft_client())
        .args(["check", "--host", GUEST_IP, "--file", &arg(&acked)])
        .output()
        .expect("ft-client check");
    let checked = String::from_utf8_lossy(&check.stdout);
    if !check.status.success() || !checked.contains(r#""missing": 0, "wrong": 0"#) {
        hosts.fail(&format!("acknowledged writes are missing: {checked}"));
    }
    eprintln!("{rounds} chained failovers; client: {}", summary.trim());
}
