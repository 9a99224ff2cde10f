//! The fault-tolerance test network (`scripts/ft-net`, `common::topology`): clients reach both
//! hosts through the switch, the logging channel and the uplinks can be cut on their own, a
//! guest that moves from host A to host B is found again once it announces its MAC, and
//! nothing is left behind — even when the test fails. Needs root; CI runs as root.

mod common;

use std::time::Duration;

use common::topology::{
    Host, Link, Process, Topology, CHANNEL_A_IP, CHANNEL_B_IP, CLIENT_IP, GUEST_IP, GUEST_MAC, TAP,
};
use common::{image, run, timeout, Console, Guest, Vmm, READY_MARKER};

/// Wall-clock limit of one guest boot (as in the Linux tests: an interpreter on shared cores).
const BOOT_LIMIT: Duration = Duration::from_secs(900);

/// Addresses the test puts on each host's bridge for a while (the hosts have none on the
/// clients' segment otherwise).
const HOST_A_PROBE: &str = "10.0.2.101";
const HOST_B_PROBE: &str = "10.0.2.102";

/// Whether `to` answers one ping from `from` within `seconds`.
fn pings(topology: &Topology, from: Host, to: &str, seconds: u32) -> bool {
    let deadline = seconds.to_string();
    topology
        .run(from, "ping", &["-c", "1", "-w", &deadline, "-q", to])
        .status
        .success()
}

fn namespaces() -> String {
    String::from_utf8_lossy(&run("ip", &["netns", "list"]).stdout).into_owned()
}

fn assert_removed(prefix: &str) {
    let left: Vec<_> = namespaces()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| name.starts_with(prefix))
        .map(String::from)
        .collect();
    assert!(left.is_empty(), "namespaces left behind: {left:?}");
}

#[test]
fn clients_reach_both_hosts_through_the_switch_and_links_cut_separately() {
    let topology = Topology::unique();
    let prefix = topology.prefix().to_string();
    for host in [Host::A, Host::B, Host::Clients, Host::Switch] {
        assert!(
            namespaces().contains(&topology.netns(host)),
            "no namespace {}",
            topology.netns(host)
        );
    }
    for (host, probe) in [(Host::A, HOST_A_PROBE), (Host::B, HOST_B_PROBE)] {
        topology.run_ok(
            host,
            "ip",
            &["addr", "add", &format!("{probe}/24"), "dev", "br0"],
        );
    }
    // Clients to each host's bridge: over the clients' link, the switch and the host's uplink.
    assert!(pings(&topology, Host::Clients, HOST_A_PROBE, 10));
    assert!(pings(&topology, Host::Clients, HOST_B_PROBE, 10));
    // The logging channel is its own link, in both directions.
    assert!(pings(&topology, Host::A, CHANNEL_B_IP, 10));
    assert!(pings(&topology, Host::B, CHANNEL_A_IP, 10));

    // Cutting the channel leaves the client network alone, and the other way round.
    topology.cut(Link::Channel);
    assert!(!pings(&topology, Host::A, CHANNEL_B_IP, 1));
    assert!(pings(&topology, Host::Clients, HOST_A_PROBE, 10));
    topology.restore(Link::Channel);
    assert!(pings(&topology, Host::A, CHANNEL_B_IP, 10));

    topology.cut(Link::UplinkA);
    assert!(!pings(&topology, Host::Clients, HOST_A_PROBE, 1));
    assert!(pings(&topology, Host::Clients, HOST_B_PROBE, 10));
    assert!(pings(&topology, Host::A, CHANNEL_B_IP, 10));
    topology.restore(Link::UplinkA);
    assert!(pings(&topology, Host::Clients, HOST_A_PROBE, 10));

    drop(topology);
    assert_removed(&prefix);
}

#[test]
fn topology_is_removed_when_the_test_panics() {
    let prefix = std::sync::Mutex::new(String::new());
    let result = std::panic::catch_unwind(|| {
        let topology = Topology::unique();
        *prefix.lock().unwrap() = topology.prefix().to_string();
        // A process left running in a host: down must end it too.
        let _sleeper = Process::spawn({
            let mut command = topology.command(Host::B, "sleep");
            command.arg("600");
            command
        });
        panic!("a failing test");
    });
    assert!(result.is_err());
    let prefix = prefix.into_inner().unwrap();
    assert!(!prefix.is_empty());
    assert_removed(&prefix);
}

/// Boots the guest on `host`'s TAP device serving a page that names the host, and waits until
/// it serves. IPv6 is off so that the guest sends no frame of its own accord: the switch learns
/// where it is only from its replies and its announcements. On each line typed on its console,
/// it announces its MAC with a gratuitous ARP and prints `vmft-test: announced`.
fn serve_on(topology: &Topology, host: Host) -> Console {
    let name = host.suffix();
    let mut console = Guest::new(image())
        .tap(TAP)
        .in_netns(&topology.netns(host))
        .append(&format!("ipv6.disable=1 vmft.ip={GUEST_IP}/24 vmft.gw={CLIENT_IP}"))
        .command(&format!(
            "mkdir -p /www && echo served from {name} > /www/index.html && httpd -p 80 -h /www && echo vmft-test: serving && while read line; do arping -U -c 3 -I eth0 {GUEST_IP} && echo vmft-test: announced; done"
        ))
        .boot(Vmm::from_env(), timeout(BOOT_LIMIT));
    console.expect(READY_MARKER);
    console.expect("vmft-test: serving");
    console
}

fn fetch(topology: &Topology, console: &Console) -> String {
    let curl = topology.run(
        Host::Clients,
        "curl",
        &[
            "--silent",
            "--show-error",
            "--noproxy",
            "*",
            "--max-time",
            "60",
            &format!("http://{GUEST_IP}/"),
        ],
    );
    if !curl.status.success() {
        console.fail(&format!(
            "curl from the clients failed ({}): {}",
            curl.status,
            String::from_utf8_lossy(&curl.stderr)
        ));
    }
    String::from_utf8_lossy(&curl.stdout).trim().to_string()
}

#[test]
fn guest_moved_to_host_b_is_reached_after_a_gratuitous_arp() {
    let topology = Topology::unique();

    let on_a = serve_on(&topology, Host::A);
    if !pings(&topology, Host::Clients, GUEST_IP, 60) {
        on_a.fail("the clients cannot ping the guest on host A");
    }
    assert_eq!(fetch(&topology, &on_a), "served from a");
    assert_eq!(topology.switch_port_of(GUEST_MAC).as_deref(), Some("pa"));
    // Host A fails: its monitor is killed.
    drop(on_a);

    // The same guest (same MAC and address) on host B. Until it speaks, the switch still
    // sends its frames towards A (or, once that entry ages out, floods them).
    let mut on_b = serve_on(&topology, Host::B);
    assert_ne!(topology.switch_port_of(GUEST_MAC).as_deref(), Some("pb"));
    // It announces itself as a backup going live does; the switch learns B's port from that.
    on_b.send_line("announce");
    on_b.expect("vmft-test: announced");
    assert_eq!(topology.switch_port_of(GUEST_MAC).as_deref(), Some("pb"));
    if !pings(&topology, Host::Clients, GUEST_IP, 60) {
        on_b.fail("the clients cannot ping the guest on host B");
    }
    assert_eq!(fetch(&topology, &on_b), "served from b");
}
