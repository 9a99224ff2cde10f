//! The metrics endpoint (`--metrics ADDR:PORT`): the figures of the [`Status`] as Prometheus
//! text exposition (format 0.0.4) at `GET /metrics`, served by `tiny_http` on a thread of its
//! own. A scrape copies the status and renders it off the protocol thread.

use std::fmt::Write as _;
use std::thread;

use anyhow::Context;
use tiny_http::{Header, Method, Response, Server};
use tracing::debug;

use crate::status::{Board, Role, State, Status};

/// The content type of the text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves `board` at `http://address/metrics` until the process exits.
pub fn serve(address: &str, board: Board) -> anyhow::Result<()> {
    let server = Server::http(address)
        .map_err(|e| anyhow::anyhow!("--metrics {address}: cannot listen: {e}"))?;
    thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let path = request.url().split('?').next().unwrap_or_default();
                let response = match (request.method(), path) {
                    (Method::Get | Method::Head, "/metrics") => {
                        let body = render(&board.snapshot());
                        let response = Response::from_string(body);
                        match Header::from_bytes("Content-Type", CONTENT_TYPE) {
                            Ok(header) => response.with_header(header),
                            Err(()) => response,
                        }
                    }
                    (_, "/metrics") => {
                        Response::from_string("only GET /metrics\n").with_status_code(405)
                    }
                    _ => Response::from_string("not found: try /metrics\n").with_status_code(404),
                };
                if let Err(error) = request.respond(response) {
                    debug!("metrics: a scraper went away: {error}");
                }
            }
        })
        .context("starting the metrics thread")?;
    Ok(())
}

/// `status` as Prometheus text: every metric with its HELP and TYPE lines; a figure that is
/// unknown has no sample.
pub fn render(status: &Status) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let plain = |value: Option<String>| -> Vec<(String, String)> {
        value.map(|v| (String::new(), v)).into_iter().collect()
    };
    let flag = |on: bool| if on { "1" } else { "0" }.to_owned();
    metric(
        "vmft_info",
        "gauge",
        "This side of the pair: its version, node and peer names (always 1).",
        &[(
            labels(&[
                ("version", &status.vmft),
                ("node", &status.node),
                ("peer", status.peer.as_deref().unwrap_or("")),
            ]),
            "1".to_owned(),
        )],
    );
    let roles: Vec<_> = Role::ALL
        .iter()
        .map(|&role| (labels(&[("role", role.name())]), flag(role == status.role)))
        .collect();
    metric(
        "vmft_role",
        "gauge",
        "1 for the role this side plays: primary, backup or live-backup.",
        &roles,
    );
    let states: Vec<_> = State::ALL
        .iter()
        .map(|&state| {
            (
                labels(&[("state", state.name())]),
                flag(state == status.state),
            )
        })
        .collect();
    metric(
        "vmft_state",
        "gauge",
        "1 for the state this side is in.",
        &states,
    );
    metric(
        "vmft_epoch",
        "gauge",
        "The epoch this side is in.",
        &plain(Some(status.epoch.to_string())),
    );
    metric(
        "vmft_protected",
        "gauge",
        "1 while the pair is whole (a backup follows the primary), else 0.",
        &plain(Some(flag(status.protected))),
    );
    metric(
        "vmft_position",
        "gauge",
        "The machine's position: instructions retired plus traps taken.",
        &plain(Some(status.position.to_string())),
    );
    metric(
        "vmft_lag_positions",
        "gauge",
        "How many positions the backup's execution trails.",
        &plain(status.lag_positions.map(|v| v.to_string())),
    );
    metric(
        "vmft_lag_ms",
        "gauge",
        "How far the backup's execution trails, in ms (guest time on the primary, wall time on the backup).",
        &plain(status.lag_ms.map(|v| v.to_string())),
    );
    metric(
        "vmft_held_outputs",
        "gauge",
        "Outputs held until the backup acknowledges their log.",
        &plain(Some(status.held_outputs.to_string())),
    );
    metric(
        "vmft_oldest_held_output_ms",
        "gauge",
        "How long the oldest held output has waited, in ms.",
        &plain(status.oldest_held_ms.map(|v| v.to_string())),
    );
    metric(
        "vmft_channel_bytes_sent_total",
        "counter",
        "Bytes of protocol messages sent on the logging channel.",
        &plain(Some(status.channel_bytes_sent.to_string())),
    );
    metric(
        "vmft_channel_bytes_received_total",
        "counter",
        "Bytes of protocol messages received on the logging channel.",
        &plain(Some(status.channel_bytes_received.to_string())),
    );
    metric(
        "vmft_channel_send_bytes_per_second",
        "gauge",
        "Bytes per second sent on the logging channel over about the last second.",
        &plain(Some(status.channel_send_bytes_per_second.to_string())),
    );
    metric(
        "vmft_channel_receive_bytes_per_second",
        "gauge",
        "Bytes per second received on the logging channel over about the last second.",
        &plain(Some(status.channel_receive_bytes_per_second.to_string())),
    );
    metric(
        "vmft_heartbeat_rtt_ms",
        "gauge",
        "The last round trip on the logging channel, from a log message to its acknowledgement, in ms.",
        &plain(status.heartbeat_rtt_ms.map(|v| v.to_string())),
    );
    metric(
        "vmft_uptime_seconds",
        "gauge",
        "Seconds since this side started.",
        &plain(Some(status.uptime_seconds.to_string())),
    );
    out
}

/// `{name="value",...}` with the values escaped as the text format requires.
fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            let escaped = value
                .replace('\\', r"\\")
                .replace('"', "\\\"")
                .replace('\n', r"\n");
            format!("{name}=\"{escaped}\"")
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;

    #[test]
    fn every_metric_has_help_and_type_and_unknown_figures_have_no_sample() {
        let mut status = Status::new("a \"quoted\"\\node", Role::Backup, 4);
        status.state = State::Following;
        status.protected = true;
        status.lag_positions = Some(12);
        let text = render(&status);
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        for name in &names {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
        }
        for line in [
            "vmft_role{role=\"backup\"} 1",
            "vmft_role{role=\"primary\"} 0",
            "vmft_state{state=\"following\"} 1",
            "vmft_epoch 4",
            "vmft_protected 1",
            "vmft_lag_positions 12",
            "vmft_channel_bytes_sent_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line}:\n{text}");
        }
        assert!(text.contains(r#"node="a \"quoted\"\\node""#), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("vmft_lag_ms ")));
        assert!(!text
            .lines()
            .any(|l| l.starts_with("vmft_heartbeat_rtt_ms ")));
    }

    fn get(address: &str, path: &str) -> String {
        let mut stream = TcpStream::connect(address).expect("connects");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("sends");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("reads");
        reply
    }

    #[test]
    fn metrics_are_served_at_slash_metrics_and_nothing_else() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("its address").to_string();
        drop(listener);
        let board = Board::new(Status::new("a", Role::Primary, 2));
        serve(&address, board).expect("serves");
        let reply = get(&address, "/metrics");
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.contains("version=0.0.4"), "{reply}");
        assert!(reply.contains("\nvmft_epoch 2\n"), "{reply}");
        assert!(get(&address, "/").starts_with("HTTP/1.1 404"));
        assert!(serve(&address, Board::new(Status::new("b", Role::Backup, 1))).is_err());
    }
}
