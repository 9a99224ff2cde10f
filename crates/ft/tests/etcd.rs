//! The etcd arbiter against a real etcd cluster (Debian's `etcd-server`, see `scripts/deps`):
//! three members, each in a network namespace of its own, and two claimants, each in another,
//! all on one bridge in a "switch" namespace. Needs root (CI runs as root).
//!
//! ```text
//!   m1 10.77.0.1 ┐                     ┌ c1 10.77.0.101 (claimant "host-a")
//!   m2 10.77.0.2 ├══ switch: br0 ══════┤
//!   m3 10.77.0.3 ┘                     └ c2 10.77.0.102 (claimant "host-b")
//! ```
//!
//! The members are `etcd` processes started with `ip netns exec`. Each claimant is a thread of
//! this test that moved itself into its namespace (`setns`, which changes only the calling
//! thread) before opening the arbiter, so the arbiter's own code talks to etcd over links the
//! test can cut, and the root namespace gets no address, route or link. A [`Cluster`] kills
//! its members and deletes every namespace on drop, even when the test panics; namespaces of
//! earlier test processes that died without cleaning up are removed first.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ft::arbiter::etcd::REQUEST_TIMEOUT;
use ft::arbiter::{self, Arbiter, ArbiterError, Claim};

/// Prefix of every namespace these tests make: `ve<pid in base 36>-<n><node>`.
const PREFIX: &str = "ve";
/// Members of the cluster.
const MEMBERS: usize = 3;
/// The key prefix of the arbiter in etcd.
const KEYS: &str = "vmft/test";

/// How long a claim may take to say the cluster is unreachable: each member in turn, each
/// within the arbiter's request timeout (which bounds connecting too), and some slack.
fn unreachable_within() -> Duration {
    REQUEST_TIMEOUT * MEMBERS as u32 + Duration::from_millis(1500)
}

fn member_ip(member: usize) -> String {
    format!("10.77.0.{member}")
}

fn claimant_ip(claimant: usize) -> String {
    format!("10.77.0.{}", 100 + claimant)
}

fn require_root() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next());
    assert_eq!(
        uid,
        Some("0"),
        "the etcd tests need root (network namespaces): run them as root, as CI does"
    );
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e} (scripts/deps installs it)"))
}

fn run_ok(program: &str, args: &[&str]) -> Output {
    let output = run(program, args);
    assert!(
        output.status.success(),
        "`{program} {}` failed ({}): {}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn base36(mut n: u32) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit(n % 36, 36).unwrap_or('0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

/// Kills whatever runs in namespace `ns` and deletes it; never panics (it runs on unwinding).
fn delete_netns(ns: &str) {
    if let Ok(output) = Command::new("ip").args(["netns", "pids", ns]).output() {
        for pid in String::from_utf8_lossy(&output.stdout).split_whitespace() {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
    let deleted = Command::new("ip").args(["netns", "delete", ns]).output();
    if Path::new("/run/netns").join(ns).exists() {
        eprintln!("warning: cannot delete network namespace {ns}: {deleted:?}");
    }
}

/// Deletes the namespaces of earlier test processes that died before they could.
fn remove_stale() {
    let list = run_ok("ip", &["netns", "list"]);
    for line in String::from_utf8_lossy(&list.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some((pid, rest)) = name.strip_prefix(PREFIX).and_then(|r| r.split_once('-')) else {
            continue;
        };
        let count = rest.bytes().take_while(u8::is_ascii_digit).count();
        let node = &rest[count..];
        let known = node == "sw"
            || ["m", "c"].iter().any(|kind| {
                node.strip_prefix(kind)
                    .is_some_and(|n| n.len() == 1 && n.bytes().all(|b| b.is_ascii_digit()))
            });
        let Ok(pid) = u32::from_str_radix(pid, 36) else {
            continue;
        };
        if count > 0 && known && !Path::new("/proc").join(pid.to_string()).exists() {
            delete_netns(name);
        }
    }
}

/// The network, the members and their data; all removed on drop.
struct Cluster {
    prefix: String,
    namespaces: Vec<String>,
    data: tempfile::TempDir,
    members: Vec<Option<Child>>,
}

impl Cluster {
    /// Builds the network and starts the three members.
    fn start() -> Cluster {
        require_root();
        remove_stale();
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let prefix = format!(
            "{PREFIX}{}-{}",
            base36(std::process::id()),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        // Owned from the start, so that even a half-built cluster is removed.
        let mut cluster = Cluster {
            prefix,
            namespaces: Vec::new(),
            data: tempfile::tempdir().expect("temporary directory"),
            members: (0..MEMBERS).map(|_| None).collect(),
        };
        let switch = cluster.add_netns("sw");
        run_ok(
            "ip",
            &[
                "-n",
                &switch,
                "link",
                "add",
                "br0",
                "type",
                "bridge",
                "stp_state",
                "0",
                "forward_delay",
                "0",
            ],
        );
        run_ok("ip", &["-n", &switch, "link", "set", "br0", "up"]);
        let nodes = (1..=MEMBERS)
            .map(|m| (format!("m{m}"), member_ip(m)))
            .chain((1..=2).map(|c| (format!("c{c}"), claimant_ip(c))));
        for (node, ip) in nodes {
            let ns = cluster.add_netns(&node);
            // eth0 in the node's namespace, port `node` on the switch; never in the root's.
            run_ok(
                "ip",
                &[
                    "-n", &ns, "link", "add", "eth0", "type", "veth", "peer", "name", &node,
                    "netns", &switch,
                ],
            );
            run_ok(
                "ip",
                &["-n", &ns, "addr", "add", &format!("{ip}/24"), "dev", "eth0"],
            );
            run_ok("ip", &["-n", &ns, "link", "set", "eth0", "up"]);
            run_ok(
                "ip",
                &["-n", &switch, "link", "set", &node, "master", "br0"],
            );
            run_ok("ip", &["-n", &switch, "link", "set", &node, "up"]);
        }
        for member in 1..=MEMBERS {
            cluster.start_member(member);
        }
        cluster
    }

    fn netns(&self, node: &str) -> String {
        format!("{}{node}", self.prefix)
    }

    fn add_netns(&mut self, node: &str) -> String {
        let ns = self.netns(node);
        run_ok("ip", &["netns", "add", &ns]);
        self.namespaces.push(ns.clone());
        run_ok("ip", &["-n", &ns, "link", "set", "lo", "up"]);
        ns
    }

    /// The arbiter spec naming every member.
    fn spec(&self) -> String {
        let endpoints: Vec<String> = (1..=MEMBERS)
            .map(|m| format!("{}:2379", member_ip(m)))
            .collect();
        format!("etcd://{}/{KEYS}", endpoints.join(","))
    }

    fn log(&self, member: usize) -> PathBuf {
        self.data.path().join(format!("m{member}.log"))
    }

    /// Starts (or restarts, on its data) member `member` (1-based).
    fn start_member(&mut self, member: usize) {
        let ip = member_ip(member);
        let cluster: Vec<String> = (1..=MEMBERS)
            .map(|m| format!("m{m}=http://{}:2380", member_ip(m)))
            .collect();
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log(member))
            .expect("member log");
        let log_err = log.try_clone().expect("member log");
        let data = self.data.path().join(format!("m{member}"));
        let child = Command::new("ip")
            .args(["netns", "exec", &self.netns(&format!("m{member}")), "etcd"])
            .args(["--name", &format!("m{member}")])
            .arg("--data-dir")
            .arg(&data)
            .args(["--listen-client-urls", &format!("http://{ip}:2379")])
            .args(["--advertise-client-urls", &format!("http://{ip}:2379")])
            .args(["--listen-peer-urls", &format!("http://{ip}:2380")])
            .args([
                "--initial-advertise-peer-urls",
                &format!("http://{ip}:2380"),
            ])
            .args(["--initial-cluster", &cluster.join(",")])
            .args(["--initial-cluster-token", &self.prefix])
            .args(["--initial-cluster-state", "new"])
            // Fast elections: a lost leader is replaced within about a second.
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start etcd (scripts/deps installs it): {e}"));
        self.members[member - 1] = Some(child);
    }

    /// Kills member `member` with SIGKILL.
    fn kill_member(&mut self, member: usize) {
        if let Some(mut child) = self.members[member - 1].take() {
            child.kill().expect("kill etcd");
            child.wait().expect("wait for etcd");
        }
    }

    /// Cuts (`down`) or restores (`up`) claimant `claimant`'s link at its switch port.
    fn set_claimant_link(&self, claimant: usize, state: &str) {
        let port = format!("c{claimant}");
        run_ok(
            "ip",
            &["-n", &self.netns("sw"), "link", "set", &port, state],
        );
    }

    /// What etcd holds under the arbiter's prefix, read with etcdctl from member 2's namespace.
    fn etcdctl_get(&self, key: &str) -> String {
        let endpoint = format!("http://{}:2379", member_ip(2));
        let output = Command::new("ip")
            .args(["netns", "exec", &self.netns("m2"), "etcdctl"])
            .args(["--endpoints", &endpoint, "get", "--print-value-only", key])
            .env("ETCDCTL_API", "3")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run etcdctl (scripts/deps installs it): {e}"));
        assert!(
            output.status.success(),
            "etcdctl get {key}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_owned()
    }

    /// A claimant named `name` in claimant `claimant`'s namespace, once it reaches the cluster.
    fn claimant(&self, claimant: usize, name: &str) -> Claimant {
        let claimant = Claimant::start(&self.netns(&format!("c{claimant}")), &self.spec(), name);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match claimant.highest_epoch() {
                Ok(_) => return claimant,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("waiting for the cluster: {e}");
                    thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!("the cluster never answered {name}: {e}"),
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for member in 1..=MEMBERS {
            if let Some(mut child) = self.members[member - 1].take() {
                let _ = child.kill();
                let _ = child.wait();
            }
            if thread::panicking() {
                let log = std::fs::read_to_string(self.log(member)).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                eprintln!("--- etcd m{member}, last lines:");
                for line in tail.iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
        for ns in self.namespaces.iter().rev() {
            delete_netns(ns);
        }
    }
}

type Job = Box<dyn FnOnce(&mut dyn Arbiter) + Send>;

/// A thread in a claimant's namespace with its own arbiter, doing what it is asked.
struct Claimant {
    name: String,
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Claimant {
    fn start(ns: &str, spec: &str, name: &str) -> Claimant {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, started) = mpsc::channel();
        let (ns, spec) = (ns.to_owned(), spec.to_owned());
        let thread = thread::spawn(move || {
            let opened = enter_netns(&ns).and_then(|()| {
                arbiter::open(&spec).map_err(|e| format!("cannot open the arbiter: {e}"))
            });
            let mut arbiter = match opened {
                Ok(arbiter) => {
                    let _ = ready.send(Ok(()));
                    arbiter
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return;
                }
            };
            for job in inbox {
                job(arbiter.as_mut());
            }
        });
        started
            .recv()
            .expect("claimant thread")
            .unwrap_or_else(|e| panic!("claimant {name}: {e}"));
        Claimant {
            name: name.to_owned(),
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    /// Asks the claimant's thread to run `job`; the answer comes on the receiver.
    fn ask<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut dyn Arbiter) -> T + Send + 'static,
    ) -> Receiver<T> {
        let (answer, answered) = mpsc::channel();
        let job: Job = Box::new(move |arbiter| {
            let _ = answer.send(job(arbiter));
        });
        self.jobs
            .as_ref()
            .expect("claimant running")
            .send(job)
            .expect("claimant thread alive");
        answered
    }

    fn claim_later(&self, epoch: u64) -> Receiver<Result<Claim, ArbiterError>> {
        let name = self.name.clone();
        self.ask(move |arbiter| arbiter.claim(epoch, &name))
    }

    fn claim(&self, epoch: u64) -> Result<Claim, ArbiterError> {
        self.claim_later(epoch).recv().expect("claimant answers")
    }

    fn highest_epoch(&self) -> Result<u64, ArbiterError> {
        self.ask(|arbiter| arbiter.highest_epoch())
            .recv()
            .expect("claimant answers")
    }

    /// Claims `epoch` (retrying while the arbiter is unreachable, as the protocol does) until
    /// it gets an answer, within `patience`.
    fn claim_until_answered(&self, epoch: u64, patience: Duration) -> Claim {
        let deadline = Instant::now() + patience;
        loop {
            match self.claim(epoch) {
                Ok(claim) => return claim,
                Err(ArbiterError::Unreachable(e)) if Instant::now() < deadline => {
                    eprintln!("{} retries epoch {epoch}: {e}", self.name);
                    thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("{}: epoch {epoch}: {e}", self.name),
            }
        }
    }

    /// Claims `epoch` expecting the arbiter to be unreachable, promptly.
    fn assert_unreachable(&self, epoch: u64) {
        let start = Instant::now();
        let answer = self.claim(epoch);
        let took = start.elapsed();
        assert!(
            matches!(answer, Err(ArbiterError::Unreachable(_))),
            "{} claimed epoch {epoch} without a quorum: {answer:?}",
            self.name
        );
        assert!(
            took < unreachable_within(),
            "{}: unreachable only after {took:?}",
            self.name
        );
    }
}

impl Drop for Claimant {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Moves this thread (only) into network namespace `ns`.
fn enter_netns(ns: &str) -> Result<(), String> {
    let file = File::open(Path::new("/run/netns").join(ns))
        .map_err(|e| format!("cannot open namespace {ns}: {e}"))?;
    // SAFETY: setns only reads the descriptor, which `file` keeps open for the call; a network
    // namespace change affects only the calling thread and the sockets it creates afterwards.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(format!(
            "cannot enter namespace {ns}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Both claimants race for `epoch`, retrying while the arbiter is unreachable, until both
/// have an answer; asserts that exactly one ever won and that the other lost to it, and
/// returns the winner's name.
fn race(a: &Claimant, b: &Claimant, epoch: u64, patience: Duration) -> String {
    let deadline = Instant::now() + patience;
    let mut winners: Vec<String> = Vec::new();
    let mut last: [Option<Claim>; 2] = [None, None];
    loop {
        let answers = [a.claim_later(epoch), b.claim_later(epoch)];
        for ((claimant, answer), last) in [a, b].into_iter().zip(answers).zip(last.iter_mut()) {
            match answer.recv().expect("claimant answers") {
                Ok(claim) => {
                    if claim == Claim::Won && !winners.contains(&claimant.name) {
                        winners.push(claimant.name.clone());
                    }
                    *last = Some(claim);
                }
                Err(ArbiterError::Unreachable(e)) => {
                    eprintln!("{} retries epoch {epoch}: {e}", claimant.name);
                }
                Err(e) => panic!("{}: epoch {epoch}: {e}", claimant.name),
            }
        }
        assert!(winners.len() <= 1, "epoch {epoch}: both won: {winners:?}");
        if let [Some(x), Some(y)] = &last {
            let winner = winners.first().expect("one winner").clone();
            let lost = Claim::Lost {
                winner: winner.clone(),
            };
            let expected = if winner == a.name {
                [Claim::Won, lost]
            } else {
                [lost, Claim::Won]
            };
            assert_eq!([x, y], [&expected[0], &expected[1]], "epoch {epoch}");
            return winner;
        }
        assert!(Instant::now() < deadline, "epoch {epoch}: undecided");
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn racing_claimants_have_exactly_one_winner() {
    let cluster = Cluster::start();
    let a = cluster.claimant(1, "host-a/backup");
    let b = cluster.claimant(2, "host-b/primary");
    assert_eq!(a.highest_epoch().expect("highest"), 0);

    const ROUNDS: u64 = 40;
    let mut wins = [0, 0];
    let mut winners = Vec::new();
    for epoch in 1..=ROUNDS {
        let winner = race(&a, &b, epoch, Duration::from_secs(10));
        wins[usize::from(winner == b.name)] += 1;
        winners.push(winner);
        assert_eq!(b.highest_epoch().expect("highest"), epoch);
    }
    eprintln!("wins: {} {}, {} {}", a.name, wins[0], b.name, wins[1]);

    // What etcd holds, read by etcdctl: the epoch (20 digits) and each epoch's winner.
    assert_eq!(
        cluster.etcdctl_get(&format!("{KEYS}/epoch")),
        format!("{ROUNDS:020}")
    );
    assert_eq!(cluster.etcdctl_get(&format!("{KEYS}/epoch-1")), winners[0]);
    assert_eq!(
        cluster.etcdctl_get(&format!("{KEYS}/epoch-{ROUNDS}")),
        winners[winners.len() - 1]
    );

    // Claiming again: the winner wins again, the loser loses again.
    let (winner, loser) = if winners[0] == a.name {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert_eq!(winner.claim(1).expect("again"), Claim::Won);
    assert_eq!(
        loser.claim(1).expect("again"),
        Claim::Lost {
            winner: winner.name.clone()
        }
    );

    // A jump ahead, then a claim of an epoch in between: the later epoch holds.
    assert_eq!(a.claim(ROUNDS + 10).expect("ahead"), Claim::Won);
    match b.claim(ROUNDS + 5).expect("stale") {
        Claim::Lost { winner } => {
            let later = format!("later epoch {}", ROUNDS + 10);
            assert!(winner.contains(&later), "{winner}");
        }
        Claim::Won => panic!("a stale epoch won"),
    }
    assert_eq!(b.highest_epoch().expect("highest"), ROUNDS + 10);
}

#[test]
fn a_quorum_survives_one_member_and_nothing_wins_without_one() {
    let mut cluster = Cluster::start();
    let a = cluster.claimant(1, "host-a");
    let b = cluster.claimant(2, "host-b");
    race(&a, &b, 1, Duration::from_secs(10));

    // The first member (every claimant's first choice) dies: two of three still decide.
    cluster.kill_member(1);
    for epoch in 2..=6 {
        race(&a, &b, epoch, Duration::from_secs(10));
    }
    assert_eq!(a.highest_epoch().expect("highest"), 6);

    // No quorum: nobody wins, nobody waits long to hear it.
    cluster.kill_member(2);
    cluster.kill_member(3);
    for _ in 0..3 {
        let answers = [a.claim_later(7), b.claim_later(7)];
        for (claimant, answer) in [&a, &b].into_iter().zip(answers) {
            let answer = answer.recv().expect("claimant answers");
            assert!(
                matches!(answer, Err(ArbiterError::Unreachable(_))),
                "{}: {answer:?}",
                claimant.name
            );
        }
        a.assert_unreachable(7);
    }
    assert!(matches!(
        b.highest_epoch(),
        Err(ArbiterError::Unreachable(_))
    ));

    // The members come back on their data: exactly one claimant wins epoch 7.
    for member in 1..=MEMBERS {
        cluster.start_member(member);
    }
    race(&a, &b, 7, Duration::from_secs(20));
    assert_eq!(b.highest_epoch().expect("highest"), 7);
}

#[test]
fn a_claimant_cut_off_from_the_members_never_wins() {
    let cluster = Cluster::start();
    let a = cluster.claimant(1, "host-a");
    let b = cluster.claimant(2, "host-b");

    // a has open connections to the members (it read the epoch); its link goes down.
    cluster.set_claimant_link(1, "down");
    a.assert_unreachable(1);
    assert_eq!(
        b.claim_until_answered(1, Duration::from_secs(10)),
        Claim::Won
    );
    a.assert_unreachable(1);
    a.assert_unreachable(2);
    let start = Instant::now();
    assert!(matches!(
        a.highest_epoch(),
        Err(ArbiterError::Unreachable(_))
    ));
    assert!(start.elapsed() < unreachable_within());

    // Back on the network, a learns that it lost epoch 1, and can win the next.
    cluster.set_claimant_link(1, "up");
    assert_eq!(
        a.claim_until_answered(1, Duration::from_secs(10)),
        Claim::Lost {
            winner: "host-b".to_owned()
        }
    );
    assert_eq!(
        a.claim_until_answered(2, Duration::from_secs(10)),
        Claim::Won
    );
    assert_eq!(
        b.claim(2).expect("claim"),
        Claim::Lost {
            winner: "host-a".to_owned()
        }
    );
}
