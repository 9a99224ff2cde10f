//! What an operator sees of a running pair: `vmft status` on each side's control socket and
//! each side's `/metrics`, read while the pair runs, agree with each other and with the other
//! side; after the backup is killed, the primary's status says it runs alone in the next
//! epoch.
//!
//! The pair runs the default guest image on loopback, without network, printing a line every
//! 0.2 s. It needs no root and no namespaces; it runs two machines, so it takes the pair
//! tests' turn (one at a time within this binary).

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::topology::Process;
use common::{image, ScratchDir};
use serde_json::Value;

/// How long the pair may take to form and then to notice a killed backup.
const LIMIT: Duration = Duration::from_secs(60);

fn vmft() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vmft"))
}

fn arg(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// A loopback address with a port free a moment ago.
fn free_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").to_string()
}

/// `vmft status SOCKET [--json]`.
fn status(socket: &Path, json: bool) -> Output {
    let mut command = vmft();
    command.arg("status").arg(socket);
    if json {
        command.arg("--json");
    }
    command.output().expect("vmft status runs")
}

/// The status of the side at `socket`, as JSON.
fn status_json(socket: &Path) -> Value {
    let out = status(socket, true);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "vmft status {}: {}{text}",
        socket.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `GET path` from `address`: the status line and the body.
fn http_get(address: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).expect("connects to the metrics endpoint");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("sends the request");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("reads the reply");
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
}

/// The value of the sample `name` (with exactly `labels`, e.g. `{role="primary"}`, or none).
fn sample(metrics: &str, name: &str, labels: &str) -> Option<f64> {
    let prefix = format!("{name}{labels} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.trim().parse().ok())
}

/// One side of the pair and where it serves its status.
struct Side {
    process: Process,
    control: PathBuf,
    metrics: String,
    err: PathBuf,
}

impl Side {
    fn metrics(&self) -> String {
        let (status, body) = http_get(&self.metrics, "/metrics");
        assert!(status.contains(" 200 "), "GET /metrics: {status}\n{body}");
        body
    }

    /// Checks that the metrics say what the status (`json`) says.
    fn metrics_agree_with(&self, json: &Value) {
        let metrics = self.metrics();
        let role = json["role"].as_str().expect("a role");
        let state = json["state"].as_str().expect("a state");
        let number = |key: &str| json[key].as_f64().unwrap_or(f64::NAN);
        let checks = [
            ("vmft_role", format!("{{role=\"{role}\"}}"), 1.0),
            ("vmft_state", format!("{{state=\"{state}\"}}"), 1.0),
            ("vmft_epoch", String::new(), number("epoch")),
            (
                "vmft_protected",
                String::new(),
                if json["protected"] == Value::Bool(true) {
                    1.0
                } else {
                    0.0
                },
            ),
        ];
        for (name, labels, expected) in checks {
            assert_eq!(
                sample(&metrics, name, &labels),
                Some(expected),
                "{name}{labels} in the metrics of {json}:\n{metrics}"
            );
        }
        for name in [
            "vmft_lag_positions",
            "vmft_lag_ms",
            "vmft_held_outputs",
            "vmft_channel_bytes_sent_total",
            "vmft_channel_bytes_received_total",
            "vmft_heartbeat_rtt_ms",
        ] {
            assert!(
                metrics.contains(&format!("# HELP {name} "))
                    && metrics.contains(&format!("# TYPE {name} ")),
                "{name} lacks HELP or TYPE:\n{metrics}"
            );
        }
        let peer = json["peer"].as_str().unwrap_or("");
        assert!(
            metrics.contains(&format!("peer=\"{peer}\"")),
            "vmft_info should name the peer {peer:?}:\n{metrics}"
        );
    }
}

/// Polls the side at `socket` until `done` holds for its status; fails after [`LIMIT`] with
/// what the side said.
fn wait_for(side: &mut Side, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + LIMIT;
    loop {
        if side.control.exists() {
            let out = status(&side.control, true);
            if out.status.success() {
                let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
                if done(&json) {
                    return json;
                }
            }
        }
        assert!(
            side.process.is_running(),
            "the side exited before {what}: {}",
            read(&side.err)
        );
        assert!(
            Instant::now() < deadline,
            "no {what} within {LIMIT:?}: {}",
            read(&side.err)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A primary and a backup of the default image on loopback, with their control sockets and
/// metrics endpoints.
struct Pair {
    // Field order is drop order: the processes die before their directory goes.
    primary: Side,
    backup: Side,
    /// The primary's logging-channel address.
    listen: String,
    _dir: ScratchDir,
}

impl Pair {
    /// Starts the primary, checks its status while it waits, starts the backup and returns
    /// once the primary is protected (with a measured round trip) and the backup follows.
    fn start(name: &str) -> Pair {
        let dir = ScratchDir::new(name);
        let key = dir.join("key");
        assert!(vmft()
            .arg("keygen")
            .arg(&key)
            .status()
            .expect("vmft keygen")
            .success());
        std::fs::create_dir(dir.join("arbiter")).expect("the arbiter directory");
        let image = image();
        let spawn = |role: &str, node: &str, peer: [&str; 2]| {
            let (control, metrics) = (dir.join(&format!("{role}.sock")), free_address());
            let err = dir.join(&format!("{role}.err"));
            let mut command = vmft();
            command
                .arg(role)
                .args(["--image", &arg(&image.dir), "--memory", "256M"])
                .args([
                    "--append",
                    "-- sh -c \"while true; do echo tick; sleep 0.2; done\"",
                ])
                .args(peer)
                .args(["--key-file", &arg(&key), "--node", node])
                .args(["--arbiter", &format!("file:{}", arg(&dir.join("arbiter")))])
                .args(["--control", &arg(&control), "--metrics", &metrics])
                .stdin(Stdio::null())
                .stdout(File::create(dir.join(&format!("{role}.out"))).expect("stdout file"))
                .stderr(File::create(&err).expect("stderr file"));
            Side {
                process: Process::spawn(command),
                control,
                metrics,
                err,
            }
        };
        let mut primary = spawn("primary", "a", ["--listen", "127.0.0.1:0"]);
        let deadline = Instant::now() + LIMIT;
        let listen = loop {
            let said = read(&primary.err);
            if let Some(rest) = said.split("listening on ").nth(1) {
                break rest.split(';').next().unwrap_or_default().to_owned();
            }
            assert!(primary.process.is_running(), "the primary exited: {said}");
            assert!(
                Instant::now() < deadline,
                "the primary did not listen: {said}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let waiting = status_json(&primary.control);
        assert_eq!(waiting["role"], "primary", "{waiting}");
        assert_eq!(waiting["state"], "waiting", "{waiting}");
        assert_eq!(waiting["epoch"], 1, "{waiting}");
        assert_eq!(waiting["protected"], false, "{waiting}");
        assert_eq!(waiting["peer"], Value::Null, "{waiting}");
        let mut backup = spawn("backup", "b", ["--primary", &listen]);
        wait_for(&mut primary, "a protected primary", |s| {
            s["state"] == "protected" && !s["heartbeat_rtt_ms"].is_null()
        });
        wait_for(&mut backup, "a following backup", |s| {
            s["state"] == "following" && s["position"].as_u64() > Some(0)
        });
        Pair {
            primary,
            backup,
            listen,
            _dir: dir,
        }
    }
}

/// The pair tests run one at a time: each runs two machines on two cores.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static PAIRS: Mutex<()> = Mutex::new(());
    PAIRS.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn status_and_metrics_of_both_sides_agree_and_the_primary_shows_it_runs_alone_after_the_backup_dies(
) {
    let _one = one_at_a_time();
    let started = Instant::now();
    let Pair {
        mut primary,
        mut backup,
        listen,
        _dir,
    } = Pair::start("ft-status");
    // Give the log and the acknowledgements a moment to flow.
    std::thread::sleep(Duration::from_secs(2));

    // Read the backup, the primary, then the backup again: bytes cannot arrive before they
    // are sent.
    let b1 = status_json(&backup.control);
    let p = status_json(&primary.control);
    let b2 = status_json(&backup.control);
    for (side, role, state, peer) in [
        (&p, "primary", "protected", "b"),
        (&b1, "backup", "following", "a"),
    ] {
        assert_eq!(side["role"], role, "{side}");
        assert_eq!(side["state"], state, "{side}");
        assert_eq!(side["epoch"], 1, "{side}");
        assert_eq!(side["protected"], true, "{side}");
        assert_eq!(side["peer"], peer, "{side}");
        assert!(side["peer_address"].is_string(), "{side}");
        assert!(side["channel_bytes_sent"].as_u64() > Some(0), "{side}");
        assert!(side["lag_positions"].is_u64(), "{side}");
        assert!(side["lag_ms"].is_u64(), "{side}");
    }
    assert_eq!(p["node"], b1["peer"]);
    assert_eq!(b1["node"], p["peer"]);
    let backup_address = p["peer_address"].as_str().unwrap_or_default();
    assert!(backup_address.starts_with("127.0.0.1:"), "{p}");
    assert_eq!(
        b1["peer_address"].as_str(),
        Some(listen.as_str()),
        "the backup names the primary's address"
    );
    let count = |side: &Value, key: &str| side[key].as_u64().unwrap_or(0);
    assert!(
        count(&b1, "channel_bytes_received") <= count(&p, "channel_bytes_sent"),
        "the backup received more than the primary sent: {b1} {p}"
    );
    assert!(
        count(&p, "channel_bytes_received") <= count(&b2, "channel_bytes_sent"),
        "the primary received more than the backup sent: {p} {b2}"
    );
    let rtt = p["heartbeat_rtt_ms"]
        .as_f64()
        .expect("a measured round trip");
    assert!(rtt > 0.0 && rtt < 1000.0, "round trip {rtt} ms");
    assert!(p["channel_send_bytes_per_second"].as_u64() > Some(0), "{p}");
    assert!(p["uptime_seconds"].as_f64() > Some(0.0), "{p}");

    // The metrics say what the status says, on both sides.
    primary.metrics_agree_with(&status_json(&primary.control));
    backup.metrics_agree_with(&status_json(&backup.control));
    let (not_found, _) = http_get(&primary.metrics, "/");
    assert!(not_found.contains(" 404 "), "{not_found}");

    // The text form: aligned `key: value` lines.
    let out = status(&primary.control, false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key}:")))
            .map(|l| l[key.len() + 1..].trim().to_owned())
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
    };
    assert_eq!(line("role"), "primary");
    assert_eq!(line("state"), "protected");
    assert_eq!(line("protected"), "yes");
    assert_eq!(line("peer"), "b");
    let column = |l: &str| l.len() - l.split_once(':').map_or("", |(_, v)| v).trim_start().len();
    let columns: Vec<usize> = text.lines().map(column).collect();
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "not aligned:\n{text}"
    );

    // The backup dies: the primary wins epoch 2 and says it runs alone.
    backup.process.kill();
    let alone = wait_for(&mut primary, "a primary alone in epoch 2", |s| {
        s["state"] == "unprotected" && s["epoch"] == 2
    });
    assert_eq!(alone["protected"], false, "{alone}");
    assert_eq!(alone["peer"], Value::Null, "{alone}");
    assert_eq!(alone["held_outputs"], 0, "{alone}");
    primary.metrics_agree_with(&alone);
    let metrics = primary.metrics();
    assert_eq!(sample(&metrics, "vmft_epoch", ""), Some(2.0), "{metrics}");
    assert_eq!(
        sample(&metrics, "vmft_protected", ""),
        Some(0.0),
        "{metrics}"
    );
    let said = read(&primary.err);
    assert!(
        said.contains("primary alone, unprotected in epoch 2"),
        "the primary's lines: {said}"
    );
    assert!(
        said.lines().all(|l| l.starts_with("vmft: ")),
        "every line of the primary starts with `vmft: `: {said}"
    );
    eprintln!(
        "status and metrics agreed; round trip {rtt:.3} ms; {:.1?} in all",
        started.elapsed()
    );
}

#[test]
fn a_backup_that_went_live_shows_itself_as_the_live_backup_of_the_next_epoch() {
    let _one = one_at_a_time();
    let started = Instant::now();
    let Pair {
        mut primary,
        mut backup,
        _dir,
        ..
    } = Pair::start("ft-status-live");
    primary.process.kill();
    let live = wait_for(&mut backup, "a live backup in epoch 2", |s| {
        s["role"] == "live-backup" && s["epoch"] == 2
    });
    assert_eq!(live["state"], "unprotected", "{live}");
    assert_eq!(live["protected"], false, "{live}");
    assert_eq!(live["peer"], Value::Null, "{live}");
    assert_eq!(live["lag_positions"], Value::Null, "{live}");
    backup.metrics_agree_with(&live);
    // The live machine runs on: its position moves with its outputs.
    let moved = wait_for(&mut backup, "a live backup running on", |s| {
        s["position"].as_u64() > live["position"].as_u64()
    });
    assert_eq!(moved["role"], "live-backup", "{moved}");
    assert!(
        read(&backup.err).contains("vmft: live in epoch 2"),
        "{}",
        read(&backup.err)
    );
    eprintln!(
        "the live backup showed itself; {:.1?} in all",
        started.elapsed()
    );
}
