//! The etcd arbiter: [`open`](super::open)`("etcd://HOST:PORT[,HOST:PORT…]/PREFIX")` gives an
//! [`EtcdArbiter`] on an etcd v3 cluster (etcd 3.3 or newer: it uses nested transactions).
//!
//! Claiming epoch N is **one** etcd transaction on two keys, `PREFIX/epoch` (the highest epoch
//! claimed, as 20 decimal digits so that etcd's byte-wise comparison orders epochs as numbers)
//! and `PREFIX/epoch-N` (the identity of N's winner):
//!
//! ```text
//! if version(PREFIX/epoch) == 0                      (nothing claimed yet)
//! then put PREFIX/epoch = N, put PREFIX/epoch-N = identity
//! else if value(PREFIX/epoch) < N                    (a nested transaction)
//!      then put PREFIX/epoch = N, put PREFIX/epoch-N = identity
//!      else get PREFIX/epoch-N, get PREFIX/epoch
//! ```
//!
//! The claimant wins when either comparison held, or when `PREFIX/epoch-N` already names it
//! (a claim it made before, whose answer it may have lost); otherwise it loses to the identity
//! in `PREFIX/epoch-N`, or to nobody in particular when a later epoch was claimed first. The
//! winner's identity is written in the same transaction as the epoch, so no winner is ever
//! unknown.
//!
//! # Why this is safe
//!
//! etcd's transactions are linearizable: a transaction commits only once a majority of the
//! members have it in their Raft log, and every later transaction sees it. So the step of
//! `PREFIX/epoch` from below N to N happens at most once, in one transaction, and only that
//! transaction writes `PREFIX/epoch-N`: at most one identity ever wins N. A member in a
//! minority partition cannot commit anything, nor answer a linearizable read; a client that
//! reaches only such members (or none) gets no answer within [`REQUEST_TIMEOUT`] and reports
//! [`ArbiterError::Unreachable`], and the caller waits and retries. A transaction whose answer
//! was lost may still commit later; claiming again finds it (the claimant's own identity in
//! `PREFIX/epoch-N`) or finds that it lost, and a late commit of the lost transaction can only
//! take its `else` branch. [`Claim::Won`] is only ever reported from a committed transaction.
//!
//! Requests go to one member at a time, starting with the last one that answered, each
//! bounded by [`CONNECT_TIMEOUT`] and [`REQUEST_TIMEOUT`], and ask for a leader (a member
//! without one refuses at once rather than waiting). A claim therefore answers within about
//! the number of endpoints times those timeouts.
//!
//! The client speaks plain gRPC over HTTP/2, without TLS or authentication: run the cluster on
//! a network only the hosts reach. The keys under `PREFIX` belong to vmft: a person who writes
//! `PREFIX/epoch` by hand can break the ordering above.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use etcd_client::{Client, Compare, CompareOp, ConnectOptions, Txn, TxnOp, TxnOpResponse};
use tokio::runtime::{Builder, Runtime};

use super::{check_identity, Arbiter, ArbiterError, Claim};

/// The scheme of an etcd arbiter's spec.
pub(super) const SCHEME: &str = "etcd://";

/// How long a connection to one member may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one request to one member may take, connecting included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);

/// Digits of an epoch in `PREFIX/epoch`: all of `u64::MAX`'s.
const EPOCH_DIGITS: usize = 20;

/// A parsed `etcd://HOST:PORT[,HOST:PORT…]/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdSpec {
    endpoints: Vec<String>,
    prefix: String,
}

impl EtcdSpec {
    /// Parses `etcd://HOST:PORT[,HOST:PORT…]/PREFIX`. HOST is a name, an IPv4 address or an
    /// IPv6 address in brackets; PREFIX is everything after the first `/`, without trailing
    /// slashes, and must not be empty.
    pub fn parse(spec: &str) -> Result<EtcdSpec, ArbiterError> {
        let invalid = |reason: String| ArbiterError::InvalidSpec {
            spec: spec.to_owned(),
            reason,
        };
        let rest = spec
            .strip_prefix(SCHEME)
            .ok_or_else(|| ArbiterError::UnsupportedSpec {
                spec: spec.to_owned(),
            })?;
        let (hosts, prefix) = rest
            .split_once('/')
            .ok_or_else(|| invalid("no /PREFIX after the endpoints".to_owned()))?;
        if hosts.is_empty() {
            return Err(invalid("no endpoints".to_owned()));
        }
        let endpoints = hosts
            .split(',')
            .map(|endpoint| parse_endpoint(endpoint).map_err(&invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let prefix = prefix.trim_end_matches('/');
        if prefix.is_empty() {
            return Err(invalid("empty PREFIX".to_owned()));
        }
        if prefix.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid(format!(
                "PREFIX {prefix:?} has white space or control characters"
            )));
        }
        Ok(EtcdSpec {
            endpoints,
            prefix: prefix.to_owned(),
        })
    }

    /// The members' `HOST:PORT`s, in the spec's order.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The prefix of the arbiter's keys.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key holding the highest epoch claimed.
    fn epoch_key(&self) -> String {
        format!("{}/epoch", self.prefix)
    }

    /// The key holding the identity of `epoch`'s winner.
    fn winner_key(&self, epoch: u64) -> String {
        format!("{}/epoch-{epoch}", self.prefix)
    }
}

/// Checks one `HOST:PORT` of a spec.
fn parse_endpoint(endpoint: &str) -> Result<String, String> {
    if endpoint.is_empty() {
        return Err("an empty endpoint (two commas, or a comma at an end)".to_owned());
    }
    let (host, port) = endpoint
        .rsplit_once(':')
        .ok_or_else(|| format!("endpoint {endpoint:?} has no :PORT"))?;
    let port_ok = !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p != 0);
    if !port_ok {
        return Err(format!(
            "endpoint {endpoint:?} has a bad port {port:?} (1-65535)"
        ));
    }
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        }
    };
    if !host_ok {
        return Err(format!(
            "endpoint {endpoint:?} has a bad host {host:?} (a name, an IPv4 address or [IPv6])"
        ));
    }
    Ok(endpoint.to_owned())
}

/// The arbiter on an etcd v3 cluster: one transaction per claim.
///
/// See the [module documentation](self) for the transaction and why it is safe. The client is
/// asynchronous; the arbiter drives it on a current-thread runtime of its own, on the thread
/// that calls it.
pub struct EtcdArbiter {
    spec: EtcdSpec,
    runtime: Runtime,
    /// One client per member, made when first needed and dropped when it fails.
    clients: Vec<Option<Client>>,
    /// The member to ask first: the last one that answered.
    preferred: usize,
}

impl fmt::Debug for EtcdArbiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtcdArbiter")
            .field("spec", &self.spec)
            .field("preferred", &self.preferred)
            .finish_non_exhaustive()
    }
}

impl EtcdArbiter {
    /// The arbiter on the cluster that `spec` names. Nothing is contacted until a request.
    pub fn new(spec: EtcdSpec) -> Result<EtcdArbiter, ArbiterError> {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                ArbiterError::Unreachable(format!("cannot start the etcd client's runtime: {e}"))
            })?;
        Ok(EtcdArbiter {
            clients: vec![None; spec.endpoints.len()],
            spec,
            runtime,
            preferred: 0,
        })
    }

    /// Runs `op` against one member after another, starting with the preferred one, until one
    /// answers within [`REQUEST_TIMEOUT`]; [`ArbiterError::Unreachable`] when none does.
    fn request<T, F, Fut>(&mut self, what: &str, op: F) -> Result<T, ArbiterError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let count = self.spec.endpoints.len();
        let mut failures = Vec::with_capacity(count);
        for index in (0..count).map(|i| (self.preferred + i) % count) {
            let endpoint = &self.spec.endpoints[index];
            let slot = &mut self.clients[index];
            let answer = self.runtime.block_on(async {
                let attempt = async {
                    let client = match slot {
                        Some(client) => client.clone(),
                        None => slot.insert(connect(endpoint).await?).clone(),
                    };
                    op(client).await
                };
                tokio::time::timeout(REQUEST_TIMEOUT, attempt).await
            });
            match answer {
                Ok(Ok(value)) => {
                    self.preferred = index;
                    return Ok(value);
                }
                Ok(Err(error)) => failures.push(format!("{endpoint}: {}", one_line(&error))),
                Err(_) => {
                    failures.push(format!("{endpoint}: no answer within {REQUEST_TIMEOUT:?}"))
                }
            }
            // A fresh connection next time: a stalled HTTP/2 connection may never recover.
            *slot = None;
        }
        Err(ArbiterError::Unreachable(format!(
            "no etcd member answered {what}: {}",
            failures.join("; ")
        )))
    }
}

/// A client of the one member at `endpoint`, which needs a leader to answer.
async fn connect(endpoint: &str) -> Result<Client, etcd_client::Error> {
    let options = ConnectOptions::new()
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_timeout(REQUEST_TIMEOUT)
        .with_require_leader(true);
    Client::connect([format!("http://{endpoint}")], Some(options)).await
}

/// `error` on one line, briefly: for a gRPC status, its message and the innermost cause (the
/// status's own text carries the whole chain of causes in debug form).
fn one_line(error: &etcd_client::Error) -> String {
    let text = match error {
        etcd_client::Error::GRpcStatus(status) => {
            let mut root = None;
            let mut cause = std::error::Error::source(status);
            while let Some(error) = cause {
                root = Some(error);
                cause = error.source();
            }
            match root {
                Some(root) => format!("{}: {root}", status.message()),
                None => status.message().to_owned(),
            }
        }
        other => other.to_string(),
    };
    text.replace(['\n', '\r'], " ")
}

/// The epoch that `PREFIX/epoch` holds, refusing a value vmft did not write.
fn parse_epoch(key: &str, value: &[u8]) -> Result<u64, ArbiterError> {
    std::str::from_utf8(value)
        .ok()
        .filter(|v| v.len() == EPOCH_DIGITS && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ArbiterError::Unreachable(format!(
                "etcd key {key} holds {:?}, not an epoch as vmft writes it ({EPOCH_DIGITS} digits)",
                String::from_utf8_lossy(value)
            ))
        })
}

impl Arbiter for EtcdArbiter {
    fn claim(&mut self, epoch: u64, identity: &str) -> Result<Claim, ArbiterError> {
        check_identity(identity)?;
        let (epoch_key, winner_key) = (self.spec.epoch_key(), self.spec.winner_key(epoch));
        let value = format!("{epoch:0width$}", width = EPOCH_DIGITS);
        let record = [
            TxnOp::put(epoch_key.as_str(), value.as_str(), None),
            TxnOp::put(winner_key.as_str(), identity, None),
        ];
        let later = Txn::new()
            .when([Compare::value(
                epoch_key.as_str(),
                CompareOp::Less,
                value.as_str(),
            )])
            .and_then(record.clone())
            .or_else([
                TxnOp::get(winner_key.as_str(), None),
                TxnOp::get(epoch_key.as_str(), None),
            ]);
        let txn = Txn::new()
            .when([Compare::version(epoch_key.as_str(), CompareOp::Equal, 0)])
            .and_then(record)
            .or_else([TxnOp::txn(later)]);
        let response = self.request(&format!("the claim of epoch {epoch}"), |mut client| {
            let txn = txn.clone();
            async move { client.txn(txn).await }
        })?;
        if response.succeeded() {
            return Ok(Claim::Won);
        }
        let unexpected = || {
            ArbiterError::Unreachable(format!(
                "etcd answered the claim of epoch {epoch} with an unexpected response"
            ))
        };
        let Some(TxnOpResponse::Txn(later)) = response.op_responses().into_iter().next() else {
            return Err(unexpected());
        };
        if later.succeeded() {
            return Ok(Claim::Won);
        }
        let mut gets = later.op_responses().into_iter();
        let (Some(TxnOpResponse::Get(winner)), Some(TxnOpResponse::Get(current))) =
            (gets.next(), gets.next())
        else {
            return Err(unexpected());
        };
        if let Some(kv) = winner.kvs().first() {
            let winner = String::from_utf8_lossy(kv.value()).into_owned();
            return Ok(if winner == identity {
                Claim::Won
            } else {
                Claim::Lost { winner }
            });
        }
        // Nobody recorded N, yet the epoch is not below N: a later epoch was claimed first.
        let current = current.kvs().first().ok_or_else(unexpected)?;
        let current = parse_epoch(&epoch_key, current.value())?;
        Ok(Claim::Lost {
            winner: format!("(nobody: the later epoch {current} was claimed first)"),
        })
    }

    fn highest_epoch(&mut self) -> Result<u64, ArbiterError> {
        let key = self.spec.epoch_key();
        let response = self.request("a read of the highest epoch", |mut client| {
            let key = key.clone();
            async move { client.get(key, None).await }
        })?;
        match response.kvs().first() {
            Some(kv) => parse_epoch(&key, kv.value()),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arbiter::open;

    fn parsed(spec: &str) -> EtcdSpec {
        EtcdSpec::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    fn refusal(spec: &str) -> String {
        match open(spec) {
            Ok(_) => panic!("{spec}: accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn specs_name_endpoints_and_prefix() {
        let spec = parsed("etcd://10.0.0.1:2379,etcd-b.example:2379,[fd00::3]:12379/vmft/pair-1");
        assert_eq!(
            spec.endpoints(),
            ["10.0.0.1:2379", "etcd-b.example:2379", "[fd00::3]:12379"]
        );
        assert_eq!(spec.prefix(), "vmft/pair-1");
        assert_eq!(spec.epoch_key(), "vmft/pair-1/epoch");
        assert_eq!(spec.winner_key(12), "vmft/pair-1/epoch-12");

        let spec = parsed("etcd://localhost:2379/vmft//");
        assert_eq!(spec.endpoints(), ["localhost:2379"]);
        assert_eq!(spec.prefix(), "vmft");
        assert!(open("etcd://127.0.0.1:2379/vmft").is_ok());
    }

    #[test]
    fn bad_specs_say_what_is_wrong_on_one_line() {
        for (spec, reason) in [
            ("etcd://", "no /PREFIX"),
            ("etcd://10.0.0.1:2379", "no /PREFIX"),
            ("etcd:///vmft", "no endpoints"),
            ("etcd://10.0.0.1:2379/", "empty PREFIX"),
            ("etcd://10.0.0.1:2379///", "empty PREFIX"),
            ("etcd://10.0.0.1:2379/a b", "white space"),
            ("etcd://10.0.0.1/vmft", "no :PORT"),
            ("etcd://10.0.0.1:/vmft", "bad port \"\""),
            ("etcd://10.0.0.1:0/vmft", "bad port \"0\""),
            ("etcd://10.0.0.1:65536/vmft", "bad port \"65536\""),
            ("etcd://10.0.0.1:+80/vmft", "bad port \"+80\""),
            ("etcd://10.0.0.1:http/vmft", "bad port \"http\""),
            ("etcd://:2379/vmft", "bad host \"\""),
            ("etcd://fd00::1:2379/vmft", "bad host \"fd00::1\""),
            ("etcd://[fd00::zz]:2379/vmft", "bad host"),
            ("etcd://user@h:2379/vmft", "bad host"),
            ("etcd://a:1,,b:2/vmft", "an empty endpoint"),
            ("etcd://a:1,/vmft", "an empty endpoint"),
        ] {
            let err = refusal(spec);
            assert!(err.contains(reason), "{spec}: {err}");
            assert!(err.starts_with("invalid arbiter"), "{spec}: {err}");
            assert!(
                err.contains("file:DIRECTORY and etcd://HOST:PORT"),
                "{spec}: {err}"
            );
            assert!(!err.contains('\n'), "{spec}: {err}");
        }
        for spec in ["etcd:/h:1/x", "ETCD://h:1/x", "etcds://h:1/x", "h:1/x"] {
            let err = refusal(spec);
            assert!(err.starts_with("unsupported arbiter"), "{spec}: {err}");
            assert!(
                err.contains("file:DIRECTORY and etcd://HOST:PORT[,HOST:PORT...]/PREFIX"),
                "{spec}: {err}"
            );
        }
    }

    #[test]
    fn epochs_are_read_only_as_vmft_writes_them() {
        assert_eq!(parse_epoch("k", b"00000000000000000007").expect("7"), 7);
        assert_eq!(
            parse_epoch("k", u64::MAX.to_string().as_bytes()).expect("max"),
            u64::MAX
        );
        for bad in [
            &b"7"[..],
            b"",
            b"0000000000000000000x",
            b"99999999999999999999",
        ] {
            let err = parse_epoch("p/epoch", bad).expect_err("malformed");
            assert!(err.to_string().contains("p/epoch holds"), "{err}");
        }
    }

    #[test]
    fn nothing_listening_is_unreachable_and_prompt() {
        // Port 1 on the loopback refuses at once: both members are down.
        let mut arbiter = open("etcd://127.0.0.1:1,127.0.0.1:1/vmft").expect("open");
        let start = std::time::Instant::now();
        let err = arbiter.claim(1, "alpha").expect_err("nothing listens");
        assert!(matches!(err, ArbiterError::Unreachable(_)), "{err}");
        assert!(err.to_string().contains("127.0.0.1:1: "), "{err}");
        let err = arbiter.highest_epoch().expect_err("nothing listens");
        assert!(matches!(err, ArbiterError::Unreachable(_)), "{err}");
        assert!(
            start.elapsed() < 4 * REQUEST_TIMEOUT,
            "{:?}",
            start.elapsed()
        );
        let err = arbiter.claim(1, "two\nlines").expect_err("bad identity");
        assert!(matches!(err, ArbiterError::InvalidIdentity { .. }), "{err}");
    }
}
