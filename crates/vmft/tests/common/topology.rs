//! The fault-tolerance test network of DESIGN.md ("Hosts and networks in tests"), built by
//! `scripts/ft-net`: host A and host B (network namespaces, each with a TAP device `tap0` on a
//! bridge to its uplink), clients, and a switch bridge joining them, plus a direct
//! logging-channel link between A and B. [`Topology`] removes it all on drop, even when the test
//! panics; [`Process`] kills a process started in it.
//!
//! ```text
//!   A: tap0 ─ br0 ─ up0 ══ pa ┐                   ┌ pb ══ up0 ─ br0 ─ tap0 :B
//!   A: ch0 10.99.0.1/30 ══════│═══ switch: br0 ═══│══════ ch0 10.99.0.2/30 :B
//!                             └ pc ══ eth0 10.0.2.2/24 :clients
//! ```
//!
//! [`Topology::with_etcd`] adds a management network (a bridge of its own, neither the switch
//! nor the logging channel) joining A (`mg0` 10.98.0.11) and B (`mg0` 10.98.0.12) to a
//! three-member etcd cluster, each member in its own namespace (10.98.0.1-3); a test can cut a
//! host's management link ([`Link::ManagementA`]) and kill or restart members.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{require_root, run};

/// The TAP device of each host's VM (created by `ft-net up`, opened by the monitor by name).
pub const TAP: &str = "tap0";
/// The guest's address on the switch's segment (`vmft.ip=10.0.2.15/24`).
pub const GUEST_IP: &str = "10.0.2.15";
/// The clients' address, also the guest's gateway (`vmft.gw=10.0.2.2`).
pub const CLIENT_IP: &str = "10.0.2.2";
/// Host A's end of the logging channel (`ch0`).
pub const CHANNEL_A_IP: &str = "10.99.0.1";
/// Host B's end of the logging channel (`ch0`).
pub const CHANNEL_B_IP: &str = "10.99.0.2";
/// The MAC address vmft gives the guest's virtio-net device unless told otherwise.
pub const GUEST_MAC: &str = "52:54:00:12:34:56";

/// Prefix of every topology made by [`Topology::unique`]: `vf<pid in base 36>-<n>`.
const PREFIX: &str = "vf";

/// A namespace of the topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// Host A (the primary's, at first).
    A,
    /// Host B (the backup's, at first).
    B,
    /// The clients: `eth0` = [`CLIENT_IP`]/24 on the switch.
    Clients,
    /// The switch: bridge `br0` with ports `pa`, `pb` and `pc`.
    Switch,
}

impl Host {
    /// The suffix `ft-net` gives this host's namespace (and takes in `ft-net exec`).
    pub fn suffix(self) -> &'static str {
        match self {
            Host::A => "a",
            Host::B => "b",
            Host::Clients => "c",
            Host::Switch => "sw",
        }
    }
}

/// A link that a test can cut ([`Topology::cut`]) and restore ([`Topology::restore`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Host A's uplink to the switch (its switch port `pa`).
    UplinkA,
    /// Host B's uplink to the switch (its switch port `pb`).
    UplinkB,
    /// The clients' link to the switch (switch port `pc`).
    Clients,
    /// The logging channel between A and B (`ch0`).
    Channel,
    /// Host A's link to the management network and etcd (its port `mga` there).
    ManagementA,
    /// Host B's link to the management network and etcd (its port `mgb` there).
    ManagementB,
}

impl Link {
    fn name(self) -> &'static str {
        match self {
            Link::UplinkA => "a",
            Link::UplinkB => "b",
            Link::Clients => "c",
            Link::Channel => "ch",
            Link::ManagementA => "mga",
            Link::ManagementB => "mgb",
        }
    }
}

/// The path of `scripts/ft-net`.
pub fn ft_net() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ft-net")
}

/// The path of `scripts/ft-client`.
pub fn ft_client() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ft-client")
}

/// One built topology; `scripts/ft-net down` removes it (and kills whatever still runs in it)
/// when this is dropped.
#[derive(Debug)]
pub struct Topology {
    prefix: String,
    etcd: bool,
}

impl Topology {
    /// Builds the topology with namespaces `PREFIX{sw,a,b,c}` (`prefix`: 1-13 letters, digits,
    /// `_` or `-`), replacing any earlier one with the same prefix. Fails the test if it cannot.
    pub fn up(prefix: &str) -> Topology {
        Topology::build(prefix, false)
    }

    fn build(prefix: &str, etcd: bool) -> Topology {
        require_root("the fault-tolerance test network");
        let mut args = vec!["up", prefix];
        if etcd {
            args.push("--etcd");
        }
        let output = ft_net_cmd(&args);
        // Owned from here on, so that even a half-built topology is removed.
        let topology = Topology {
            prefix: prefix.to_string(),
            etcd,
        };
        assert!(
            output.status.success(),
            "`ft-net {}` failed ({}):\n{}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        topology
    }

    /// [`Topology::up`] with a prefix no other test (in this process or another) uses:
    /// `vf<pid in base 36>-<n>`. Also removes topologies of earlier test processes that died
    /// before they could clean up.
    pub fn unique() -> Topology {
        Topology::build(&unique_prefix(), false)
    }

    /// [`Topology::unique`] with the management network and a running three-member etcd
    /// cluster (`ft-net up PREFIX --etcd`), returned once the cluster has a quorum.
    pub fn with_etcd() -> Topology {
        Topology::build(&unique_prefix(), true)
    }

    /// The `--arbiter` spec of this topology's etcd cluster:
    /// `etcd://10.98.0.1:2379,10.98.0.2:2379,10.98.0.3:2379/vmft-PREFIX`.
    pub fn etcd_spec(&self) -> String {
        assert!(self.etcd, "the topology {} has no etcd", self.prefix);
        let endpoints: Vec<String> = (1..=3).map(|m| format!("10.98.0.{m}:2379")).collect();
        format!("etcd://{}/vmft-{}", endpoints.join(","), self.prefix)
    }

    /// Kills etcd member `member` (1-3) with SIGKILL.
    pub fn kill_etcd_member(&self, member: u8) {
        self.etcd_cmd(&["stop", &member.to_string()]);
    }

    /// Restarts etcd member `member` (1-3) on its data; returns without waiting for a quorum.
    pub fn start_etcd_member(&self, member: u8) {
        self.etcd_cmd(&["start", &member.to_string()]);
    }

    /// Waits (up to 30 s, failing the test after) until the running members have a quorum.
    pub fn wait_for_etcd(&self) {
        self.etcd_cmd(&["wait", "30"]);
    }

    fn etcd_cmd(&self, args: &[&str]) {
        assert!(self.etcd, "the topology {} has no etcd", self.prefix);
        let mut all = vec!["etcd", &self.prefix];
        all.extend_from_slice(args);
        let output = ft_net_cmd(&all);
        assert!(
            output.status.success(),
            "`ft-net {}` failed: {}",
            all.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The prefix of this topology's namespaces.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The network namespace of `host` (for [`super::Guest::in_netns`] or `ip netns exec`).
    pub fn netns(&self, host: Host) -> String {
        format!("{}{}", self.prefix, host.suffix())
    }

    /// A command that runs `program` inside `host`'s namespace (`ip netns exec`, which execs
    /// `program` in place: the child's pid is the program's).
    pub fn command(&self, host: Host, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.netns(host)])
            .arg(program)
            .stdin(Stdio::null());
        command
    }

    /// Runs `program args` in `host`'s namespace and returns its output.
    pub fn run(&self, host: Host, program: &str, args: &[&str]) -> Output {
        self.command(host, program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program} in {}: {e}", self.netns(host)))
    }

    /// [`Topology::run`], failing the test unless `program` exits with status 0.
    pub fn run_ok(&self, host: Host, program: &str, args: &[&str]) -> Output {
        let output = self.run(host, program, args);
        assert!(
            output.status.success(),
            "`{program} {}` in {} failed ({}):\n{}{}",
            args.join(" "),
            self.netns(host),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Cuts `link` (`ip link set down` on one end: both ends lose their carrier).
    pub fn cut(&self, link: Link) {
        self.set_link(link, "down");
    }

    /// Restores a link that [`Topology::cut`] cut.
    pub fn restore(&self, link: Link) {
        self.set_link(link, "up");
    }

    fn set_link(&self, link: Link, state: &str) {
        let output = ft_net_cmd(&["link", &self.prefix, link.name(), state]);
        assert!(
            output.status.success(),
            "`ft-net link {} {} {state}` failed: {}",
            self.prefix,
            link.name(),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The switch port (`pa`, `pb` or `pc`) on which the switch has learned `mac`, if any.
    pub fn switch_port_of(&self, mac: &str) -> Option<String> {
        let fdb = self.run_ok(Host::Switch, "bridge", &["fdb", "show", "br", "br0"]);
        let fdb = String::from_utf8_lossy(&fdb.stdout).into_owned();
        // Learned entries read `MAC dev PORT master br0`; the bridge's own are `permanent`.
        fdb.lines()
            .filter(|line| !line.contains("permanent"))
            .find_map(
                |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                    [m, "dev", port, ..] if m.eq_ignore_ascii_case(mac) => Some(port.to_string()),
                    _ => None,
                },
            )
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        // Never panic here: this may run while the test is already unwinding.
        match Command::new(ft_net())
            .args(["down", &self.prefix])
            .stdin(Stdio::null())
            .output()
        {
            Ok(output) if output.status.success() => {}
            Ok(output) => eprintln!(
                "warning: `ft-net down {}` failed ({}): {}",
                self.prefix,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(e) => eprintln!("warning: cannot run `ft-net down {}`: {e}", self.prefix),
        }
    }
}

fn ft_net_cmd(args: &[&str]) -> Output {
    let script = ft_net();
    Command::new(&script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()))
}

/// A prefix no other test (in this process or another) uses, after removing the topologies of
/// earlier test processes that died before they could.
fn unique_prefix() -> String {
    require_root("the fault-tolerance test network");
    remove_stale();
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{PREFIX}{}-{}",
        base36(std::process::id()),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

fn base36(mut n: u32) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit(n % 36, 36).expect("a base-36 digit"));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

/// Removes the topologies `vf<pid>-<n>` of test processes that no longer exist (a run that was
/// killed, so its guards never dropped).
fn remove_stale() {
    let list = run("ip", &["netns", "list"]);
    let mut stale: Vec<String> = Vec::new();
    for line in String::from_utf8_lossy(&list.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some((pid, rest)) = name.strip_prefix(PREFIX).and_then(|r| r.split_once('-')) else {
            continue;
        };
        let count = rest.bytes().take_while(u8::is_ascii_digit).count();
        let suffix = &rest[count..];
        if count == 0 || !["sw", "a", "b", "c", "mg", "e1", "e2", "e3"].contains(&suffix) {
            continue;
        }
        let Ok(pid) = u32::from_str_radix(pid, 36) else {
            continue;
        };
        if !std::path::Path::new("/proc").join(pid.to_string()).exists() {
            let prefix = name[..name.len() - suffix.len()].to_string();
            if !stale.contains(&prefix) {
                stale.push(prefix);
            }
        }
    }
    for prefix in stale {
        ft_net_cmd(&["down", &prefix]);
    }
}

/// A process a test started (e.g. a monitor in a host's namespace), killed with SIGKILL and
/// waited for on drop unless it has already exited.
#[derive(Debug)]
pub struct Process {
    child: Child,
    what: String,
}

impl Process {
    /// Starts `command`, failing the test if it cannot.
    pub fn spawn(mut command: Command) -> Process {
        let what = format!("{command:?}");
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Process { child, what }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The child, e.g. to take its piped output.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Kills it with SIGKILL (as a host failure would) and waits for it; returns how it ended.
    pub fn kill(&mut self) -> ExitStatus {
        // An error means it had already exited; wait() reports how.
        let _ = self.child.kill();
        self.child
            .wait()
            .unwrap_or_else(|e| panic!("cannot wait for {}: {e}", self.what))
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `limit` for it to exit by itself; `None` if it is still running then.
    pub fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() >= deadline => return None,
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("cannot wait for {}: {e}", self.what),
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
