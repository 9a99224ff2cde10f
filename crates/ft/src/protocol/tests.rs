//! The cores against each other, one rule per test, with messages passed by hand.

use super::*;

fn identity(node: &str) -> Identity {
    Identity {
        fingerprint: [1; 32],
        disk_hash: [2; 32],
        node: node.to_owned(),
    }
}

fn config() -> Config {
    Config {
        heartbeat_ms: 20,
        timeout_ms: 300,
        max_lag_ms: 100,
        ..Config::default()
    }
}

/// The connection the tests' backups use.
const CONN: ConnId = ConnId(7);

fn primary_actions(primary: &mut Primary) -> Vec<PrimaryAction> {
    std::iter::from_fn(|| primary.poll()).collect()
}

fn backup_actions(backup: &mut Backup) -> Vec<BackupAction> {
    std::iter::from_fn(|| backup.poll()).collect()
}

/// Hands every `Send` of the primary to the backup; returns the primary's other actions.
fn to_backup(primary: &mut Primary, backup: &mut Backup, now: Millis) -> Vec<PrimaryAction> {
    let mut rest = Vec::new();
    for action in primary_actions(primary) {
        match action {
            PrimaryAction::Send { bytes, .. } => backup.message(&bytes, now),
            other => rest.push(other),
        }
    }
    rest
}

/// Hands every `Send` of the backup to the primary; returns the backup's other actions.
fn to_primary(backup: &mut Backup, primary: &mut Primary, now: Millis) -> Vec<BackupAction> {
    let mut rest = Vec::new();
    for action in backup_actions(backup) {
        match action {
            BackupAction::Send(bytes) => primary.message(CONN, &bytes, now),
            other => rest.push(other),
        }
    }
    rest
}

fn sent_messages(actions: &[PrimaryAction]) -> Vec<Message> {
    actions
        .iter()
        .filter_map(|action| match action {
            PrimaryAction::Send { bytes, .. } => {
                decode(bytes).ok().map(|envelope| envelope.message)
            }
            _ => None,
        })
        .collect()
}

/// A primary and a backup that exchanged Hellos at time 0, actions drained.
fn protected_pair(primary_epoch: u64) -> (Primary, Backup) {
    protected_pair_with(config(), primary_epoch)
}

/// Like [`protected_pair`], with the primary's config.
fn protected_pair_with(primary_config: Config, primary_epoch: u64) -> (Primary, Backup) {
    let mut primary = Primary::new(primary_config, identity("a"), primary_epoch).unwrap();
    let mut backup = Backup::new(config(), identity("b"), 0, false).unwrap();
    primary.connected(CONN, Millis(0));
    backup.connected(Millis(0));
    to_primary(&mut backup, &mut primary, Millis(0));
    to_backup(&mut primary, &mut backup, Millis(0));
    to_primary(&mut backup, &mut primary, Millis(0));
    assert!(matches!(primary.state(), PrimaryState::Protected { .. }));
    assert!(matches!(backup.state(), BackupState::Following { .. }));
    (primary, backup)
}

#[test]
fn default_config_is_valid() {
    assert_eq!(Config::default().check(), Ok(()));
}

#[test]
fn config_refuses_timeouts_under_50_ms_or_within_two_heartbeats() {
    let short = Config {
        timeout_ms: 49,
        ..Config::default()
    };
    assert_eq!(
        short.check(),
        Err(ConfigError::TimeoutTooShort { timeout_ms: 49 })
    );
    let tight = Config {
        heartbeat_ms: 40,
        timeout_ms: 60,
        ..Config::default()
    };
    assert!(matches!(
        tight.check(),
        Err(ConfigError::TimeoutWithinHeartbeats { .. })
    ));
    let silent = Config {
        heartbeat_ms: 0,
        ..Config::default()
    };
    assert_eq!(silent.check(), Err(ConfigError::ZeroHeartbeat));
    let never = Config {
        vouch_interval_positions: 0,
        ..Config::default()
    };
    assert_eq!(never.check(), Err(ConfigError::ZeroVouchInterval));
}

#[test]
fn matching_hellos_protect_the_primary_and_start_its_machine_once() {
    let mut primary = Primary::new(config(), identity("a"), 0).unwrap();
    let mut backup = Backup::new(config(), identity("b"), 0, false).unwrap();
    primary.connected(CONN, Millis(0));
    backup.connected(Millis(0));
    to_primary(&mut backup, &mut primary, Millis(0));
    let actions = primary_actions(&mut primary);
    let messages = sent_messages(&actions);
    assert!(
        matches!(&messages[0], Message::Hello(hello) if !hello.join),
        "the primary answers with its Hello, no transfer: {messages:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == PrimaryAction::Start)
            .count(),
        1
    );
    assert_eq!(
        primary.state(),
        &PrimaryState::Protected {
            backup: "b".to_owned()
        },
        "{actions:?}"
    );
}

#[test]
fn hello_mismatch_refuses_names_the_difference_and_the_primary_keeps_waiting() {
    let mut primary = Primary::new(config(), identity("a"), 0).unwrap();
    let other_disk = Identity {
        disk_hash: [3; 32],
        ..identity("b")
    };
    let mut backup = Backup::new(config(), other_disk, 0, true).unwrap();
    primary.connected(CONN, Millis(0));
    backup.connected(Millis(0));
    to_primary(&mut backup, &mut primary, Millis(0));
    let actions = primary_actions(&mut primary);
    let messages = sent_messages(&actions);
    let [Message::Refuse { reason }] = messages.as_slice() else {
        panic!("expected one Refuse: {actions:?}");
    };
    assert!(
        reason.starts_with("disk hash 0303030303030303…"),
        "{reason}"
    );
    assert!(actions.contains(&PrimaryAction::Refused {
        reason: reason.clone()
    }));
    assert!(matches!(actions.last(), Some(PrimaryAction::Close { .. })));
    assert!(!actions.contains(&PrimaryAction::Start));
    assert_eq!(primary.state(), &PrimaryState::WaitingForBackup);

    // Nothing else happened: a good backup still joins.
    let mut good = Backup::new(config(), identity("c"), 0, false).unwrap();
    primary.connected(CONN, Millis(1));
    good.connected(Millis(1));
    to_primary(&mut good, &mut primary, Millis(1));
    assert!(matches!(primary.state(), PrimaryState::Protected { .. }));
}

/// A Hello from `identity` in `role`, as the first message on a connection.
fn hello_from(identity: &Identity, role: Role, epoch: u64, join: bool) -> Vec<u8> {
    encode(&Envelope {
        epoch,
        seq: 0,
        message: Message::Hello(identity.hello(role, epoch, join)),
    })
}

#[test]
fn a_primary_refuses_a_peer_that_is_a_primary_too() {
    let mut first = Primary::new(config(), identity("a"), 0).unwrap();
    first.connected(CONN, Millis(0));
    first.message(
        CONN,
        &hello_from(&identity("b"), Role::Primary, 0, false),
        Millis(0),
    );
    let refused: Vec<_> = primary_actions(&mut first)
        .into_iter()
        .filter(|action| matches!(action, PrimaryAction::Refused { .. }))
        .collect();
    assert_eq!(
        refused,
        [PrimaryAction::Refused {
            reason: "the peer is a primary too; it must be the backup".to_owned()
        }]
    );
}

#[test]
fn the_backup_adopts_the_primary_epoch() {
    let (_, backup) = protected_pair(5);
    assert_eq!(backup.epoch(), 5);
}

#[test]
fn a_backup_announcing_a_newer_epoch_halts_the_primary_with_exit_4() {
    let mut primary = Primary::new(config(), identity("a"), 1).unwrap();
    let mut backup = Backup::new(config(), identity("b"), 3, false).unwrap();
    primary.connected(CONN, Millis(0));
    backup.connected(Millis(0));
    to_primary(&mut backup, &mut primary, Millis(0));
    let actions = primary_actions(&mut primary);
    assert!(actions.iter().any(|action| matches!(
        action,
        PrimaryAction::Halt {
            exit_code: EXIT_NEWER_EPOCH,
            ..
        }
    )));
    assert_eq!(
        primary.state(),
        &PrimaryState::Halted {
            exit_code: EXIT_NEWER_EPOCH
        }
    );
}

#[test]
fn nothing_is_released_while_waiting_for_a_backup() {
    let mut primary = Primary::new(config(), identity("a"), 0).unwrap();
    primary.output(3, Millis(1));
    primary.position(10, 10, Millis(1));
    primary.tick(Millis(1000));
    assert_eq!(primary_actions(&mut primary), []);
}

#[test]
fn an_output_is_released_only_after_the_backup_acknowledges_its_position() {
    let (mut primary, mut backup) = protected_pair(0);
    primary.log(vec![0xaa; 4]);
    primary.output(15, Millis(1));
    primary.position(20, 20, Millis(1));
    // The held output made the primary vouch at once, and nothing is released yet.
    let actions = primary_actions(&mut primary);
    assert_eq!(
        sent_messages(&actions),
        [Message::Log {
            vouched: 20,
            released: 0,
            bytes: vec![0xaa; 4]
        }]
    );
    assert!(!actions
        .iter()
        .any(|action| matches!(action, PrimaryAction::Release { .. })));
    for action in actions {
        if let PrimaryAction::Send { bytes, .. } = action {
            backup.message(&bytes, Millis(2));
        }
    }
    let backup_side = to_primary(&mut backup, &mut primary, Millis(3));
    assert_eq!(
        backup_side,
        [
            BackupAction::Deliver {
                bytes: vec![0xaa; 4]
            },
            BackupAction::RunTo { vouched: 20 }
        ]
    );
    assert_eq!(
        primary_actions(&mut primary),
        [PrimaryAction::Release { through: 15 }]
    );

    // The next Log tells the backup what was released.
    primary.position(25, 25, Millis(30));
    primary.tick(Millis(30));
    let backup_side = to_backup(&mut primary, &mut backup, Millis(30));
    assert_eq!(backup_side, []);
    assert_eq!(
        backup_actions(&mut backup)
            .into_iter()
            .filter(|action| !matches!(action, BackupAction::Send(_)))
            .collect::<Vec<_>>(),
        [
            BackupAction::RunTo { vouched: 25 },
            BackupAction::Released { through: 15 }
        ]
    );
}

#[test]
fn an_output_reported_after_the_position_covering_it_is_vouched_at_once() {
    let (mut primary, _) = protected_pair(0);
    primary.position(30, 30, Millis(1));
    primary.output(25, Millis(2));
    assert_eq!(
        sent_messages(&primary_actions(&mut primary)),
        [Message::Log {
            vouched: 30,
            released: 0,
            bytes: Vec::new()
        }]
    );
}

#[test]
fn an_ack_beyond_what_was_vouched_is_a_channel_failure_not_a_release() {
    let (mut primary, _) = protected_pair(0);
    primary.output(5, Millis(1));
    primary.position(10, 10, Millis(1));
    primary_actions(&mut primary);
    let lying_ack = encode(&Envelope {
        epoch: 0,
        seq: 2,
        message: Message::Ack {
            received: 1_000,
            executed: 0,
            executed_mtime: 0,
        },
    });
    primary.message(CONN, &lying_ack, Millis(2));
    let actions = primary_actions(&mut primary);
    assert!(
        matches!(&actions[0], PrimaryAction::Close { why, .. } if why.contains("acknowledged receiving 1000")),
        "{actions:?}"
    );
    assert!(!actions
        .iter()
        .any(|action| matches!(action, PrimaryAction::Release { .. })));
    assert!(
        actions.contains(&PrimaryAction::Claim { epoch: 1 }),
        "{actions:?}"
    );
}

#[test]
fn the_primary_vouches_at_least_every_interval_of_guest_work() {
    let (mut primary, _) = protected_pair(0);
    let interval = config().vouch_interval_positions;
    primary.position(interval - 1, 0, Millis(1));
    assert_eq!(sent_messages(&primary_actions(&mut primary)), []);
    primary.position(interval, 0, Millis(1));
    assert_eq!(
        sent_messages(&primary_actions(&mut primary)),
        [Message::Log {
            vouched: interval,
            released: 0,
            bytes: Vec::new()
        }]
    );
}

#[test]
fn an_idle_primary_sends_a_heartbeat_every_interval_and_a_progress_marker_when_it_moved() {
    let (mut primary, _) = protected_pair(0);
    primary.tick(Millis(19));
    assert_eq!(primary_actions(&mut primary), []);
    primary.tick(Millis(20));
    assert_eq!(
        sent_messages(&primary_actions(&mut primary)),
        [Message::Heartbeat]
    );
    primary.position(7, 7, Millis(25));
    primary.tick(Millis(40));
    assert_eq!(
        sent_messages(&primary_actions(&mut primary)),
        [Message::Log {
            vouched: 7,
            released: 0,
            bytes: Vec::new()
        }]
    );
}

#[test]
fn the_backup_acknowledges_every_log_at_once_and_progress_every_heartbeat() {
    let (mut primary, mut backup) = protected_pair(0);
    primary.position(3, 3, Millis(1));
    primary.tick(Millis(20));
    to_backup(&mut primary, &mut backup, Millis(21));
    let acks = backup_actions(&mut backup)
        .into_iter()
        .filter_map(|action| match action {
            BackupAction::Send(bytes) => decode(&bytes).ok().map(|envelope| envelope.message),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(
        acks,
        [Message::Ack {
            received: 3,
            executed: 0,
            executed_mtime: 0
        }]
    );
    backup.executed(3, 30, Millis(22));
    backup.tick(Millis(40));
    assert_eq!(backup_actions(&mut backup), []);
    backup.tick(Millis(41));
    let actions = backup_actions(&mut backup);
    let [BackupAction::Send(bytes)] = actions.as_slice() else {
        panic!("expected one Ack");
    };
    assert_eq!(
        decode(bytes).map(|envelope| envelope.message),
        Ok(Message::Ack {
            received: 3,
            executed: 3,
            executed_mtime: 30
        })
    );
}

#[test]
fn throttle_pauses_when_the_backup_lags_more_than_max_lag_capped_at_a_heartbeat() {
    let (mut primary, mut backup) = protected_pair(0);
    let ms = MTIME_TICKS_PER_MS;
    primary.position(1, 100 * ms, Millis(1));
    assert_eq!(primary.throttle(), None, "100 ms of lag is allowed");
    primary.position(2, 105 * ms, Millis(1));
    assert_eq!(primary.throttle(), Some(Millis(5)));
    primary.position(3, 500 * ms, Millis(1));
    assert_eq!(
        primary.throttle(),
        Some(Millis(20)),
        "never more than one heartbeat"
    );

    // The backup catches up: the pause ends.
    primary.tick(Millis(20));
    to_backup(&mut primary, &mut backup, Millis(20));
    backup.executed(3, 450 * ms, Millis(21));
    backup.tick(Millis(41));
    to_primary(&mut backup, &mut primary, Millis(41));
    assert_eq!(primary.throttle(), None);
}

#[test]
fn throttle_pauses_when_unacknowledged_log_bytes_exceed_the_bound() {
    let bounded = Config {
        max_unacked_log_bytes: 1000,
        ..config()
    };
    let (mut primary, mut backup) = protected_pair_with(bounded, 0);
    primary.log(vec![0; 1001]);
    assert_eq!(primary.throttle(), Some(Millis(20)));
    primary.tick(Millis(20));
    to_backup(&mut primary, &mut backup, Millis(20));
    assert_eq!(
        primary.throttle(),
        Some(Millis(20)),
        "sent is not acknowledged"
    );
    to_primary(&mut backup, &mut primary, Millis(21));
    assert_eq!(primary.throttle(), None);
}

#[test]
fn a_silent_backup_makes_the_primary_claim_the_next_epoch_and_hold_outputs() {
    let (mut primary, _) = protected_pair(4);
    primary.output(1, Millis(1));
    primary.tick(Millis(300));
    primary_actions(&mut primary);
    primary.tick(Millis(301));
    let actions = primary_actions(&mut primary);
    assert!(
        matches!(&actions[0], PrimaryAction::Close { conn: CONN, why } if why.contains("the backup was silent for 301 ms"))
    );
    assert!(actions.contains(&PrimaryAction::Claim { epoch: 5 }));
    assert_eq!(primary.state(), &PrimaryState::Claiming { epoch: 5 });

    // An unreachable arbiter: wait a heartbeat and ask again; still nothing released.
    primary.arbiter(ArbiterResult::Unreachable, Millis(305));
    primary.output(2, Millis(1));
    primary.tick(Millis(324));
    assert_eq!(primary_actions(&mut primary), []);
    primary.tick(Millis(325));
    assert_eq!(
        primary_actions(&mut primary),
        [PrimaryAction::Claim { epoch: 5 }]
    );

    // Won: everything held is released, later outputs at once.
    primary.arbiter(ArbiterResult::Won, Millis(330));
    let actions = primary_actions(&mut primary);
    assert!(
        matches!(&actions[0], PrimaryAction::State(change) if change.state == PrimaryState::Alone && change.epoch == 5)
    );
    assert_eq!(actions[1..], [PrimaryAction::Release { through: 2 }]);
    primary.output(9, Millis(1));
    assert_eq!(
        primary_actions(&mut primary),
        [PrimaryAction::Release { through: 9 }]
    );
    assert_eq!(primary.throttle(), None);
}

#[test]
fn a_primary_that_loses_the_arbiter_halts_with_exit_3() {
    let (mut primary, _) = protected_pair(0);
    primary.disconnected(CONN, Millis(5));
    assert!(primary_actions(&mut primary).contains(&PrimaryAction::Claim { epoch: 1 }));
    primary.arbiter(
        ArbiterResult::Lost {
            winner: "b".to_owned(),
        },
        Millis(6),
    );
    let actions = primary_actions(&mut primary);
    assert_eq!(
        actions.last(),
        Some(&PrimaryAction::Halt {
            reason: "lost epoch 1 at the arbiter to b".to_owned(),
            exit_code: EXIT_LOST_ARBITER
        })
    );
}

#[test]
fn a_reordered_frame_is_a_channel_failure_and_the_backup_claims_then_goes_live() {
    let (mut primary, mut backup) = protected_pair(2);
    primary.position(10, 10, Millis(20));
    primary.tick(Millis(20));
    primary.position(20, 20, Millis(40));
    primary.tick(Millis(40));
    let sends: Vec<Vec<u8>> = primary_actions(&mut primary)
        .into_iter()
        .filter_map(|action| match action {
            PrimaryAction::Send { bytes, .. } => Some(bytes),
            _ => None,
        })
        .collect();
    assert_eq!(sends.len(), 2);
    backup.message(&sends[1], Millis(41));
    let actions = backup_actions(&mut backup);
    assert!(
        matches!(&actions[0], BackupAction::Close { why } if why.contains("number 3 arrived where 2 was due"))
    );
    assert!(actions.contains(&BackupAction::Claim { epoch: 3 }));
    assert!(!actions
        .iter()
        .any(|action| matches!(action, BackupAction::RunTo { .. })));

    backup.arbiter(ArbiterResult::Won, Millis(42));
    let actions = backup_actions(&mut backup);
    assert_eq!(actions.last(), Some(&BackupAction::GoLive { epoch: 3 }));
    assert_eq!(backup.state(), &BackupState::Live);
}

#[test]
fn a_silent_primary_makes_the_backup_claim_and_an_unreachable_arbiter_is_retried() {
    let (_, mut backup) = protected_pair(0);
    backup.tick(Millis(301));
    assert!(backup_actions(&mut backup).contains(&BackupAction::Claim { epoch: 1 }));
    backup.arbiter(ArbiterResult::Unreachable, Millis(302));
    backup.tick(Millis(321));
    assert_eq!(backup_actions(&mut backup), []);
    backup.tick(Millis(322));
    assert_eq!(
        backup_actions(&mut backup),
        [BackupAction::Claim { epoch: 1 }]
    );
    backup.arbiter(
        ArbiterResult::Lost {
            winner: "a".to_owned(),
        },
        Millis(323),
    );
    assert_eq!(
        backup.state(),
        &BackupState::Halted {
            exit_code: EXIT_LOST_ARBITER
        }
    );
}

#[test]
fn a_newer_epoch_from_the_primary_halts_the_backup_with_exit_4() {
    let (_, mut backup) = protected_pair(0);
    // Sequence number 1 was the Log sent when the pair formed.
    let newer = encode(&Envelope {
        epoch: 1,
        seq: 2,
        message: Message::Heartbeat,
    });
    backup.message(&newer, Millis(1));
    assert_eq!(
        backup.state(),
        &BackupState::Halted {
            exit_code: EXIT_NEWER_EPOCH
        }
    );
}

#[test]
fn a_log_split_over_messages_vouches_only_with_its_last_piece() {
    let (mut primary, _) = protected_pair(0);
    let big = vec![7; MAX_LOG_BYTES + 10];
    primary.log(big);
    primary.position(50, 50, Millis(1));
    let sends: Vec<Message> = sent_messages(&primary_actions(&mut primary));
    let vouched: Vec<u64> = sends
        .iter()
        .filter_map(|message| match message {
            Message::Log { vouched, .. } => Some(*vouched),
            _ => None,
        })
        .collect();
    assert_eq!(
        vouched,
        [0, 50],
        "only the last piece vouches for the new position"
    );
}

/// A primary running alone in `epoch` and a backup with `--join` that it accepted, after the
/// Hellos, with the primary's actions up to `StartTransfer` checked and everything drained.
fn joining_pair(epoch: u64) -> (Primary, Backup) {
    let mut primary = Primary::after_go_live(config(), identity("a"), epoch).unwrap();
    primary_actions(&mut primary);
    let mut backup = Backup::new(config(), identity("b"), epoch, true).unwrap();
    primary.connected(CONN, Millis(0));
    backup.connected(Millis(0));
    to_primary(&mut backup, &mut primary, Millis(0));
    let actions = to_backup(&mut primary, &mut backup, Millis(0));
    assert!(
        actions.contains(&PrimaryAction::StartTransfer),
        "{actions:?}"
    );
    assert_eq!(
        primary.state(),
        &PrimaryState::Syncing {
            backup: "b".to_owned()
        }
    );
    assert_eq!(
        backup.state(),
        &BackupState::Joining {
            primary: "a".to_owned()
        }
    );
    backup_actions(&mut backup);
    (primary, backup)
}

fn other_actions(backup: &mut Backup) -> Vec<BackupAction> {
    backup_actions(backup)
        .into_iter()
        .filter(|action| !matches!(action, BackupAction::Send(_)))
        .collect()
}

#[test]
fn a_joining_backup_gets_the_state_then_follows_the_log_from_the_sync_position() {
    let (mut primary, mut backup) = joining_pair(2);
    // While syncing, outputs go out at once and the old log is not sent.
    primary.log(vec![0xbb; 8]);
    primary.output(90, Millis(1));
    primary.position(100, 100, Millis(1));
    assert_eq!(
        primary_actions(&mut primary),
        [PrimaryAction::Release { through: 90 }]
    );
    primary.transfer(&[1, 2, 3], Millis(2));
    to_backup(&mut primary, &mut backup, Millis(2));
    assert_eq!(
        other_actions(&mut backup),
        [BackupAction::DeliverTransfer {
            bytes: vec![1, 2, 3]
        }]
    );
    primary.synced(100, [9; 32], vec![4, 5], Millis(3));
    let actions = to_backup(&mut primary, &mut backup, Millis(3));
    assert!(matches!(&actions[..], [PrimaryAction::State(change)]
        if change.state == PrimaryState::Protected { backup: "b".to_owned() } && change.epoch == 2));
    let backup_side = to_primary(&mut backup, &mut primary, Millis(3));
    assert_eq!(
        backup_side[0],
        BackupAction::Synced {
            position: 100,
            digest: [9; 32],
            state: vec![4, 5]
        }
    );
    assert_eq!(
        backup.state(),
        &BackupState::Following {
            primary: "a".to_owned()
        }
    );
    assert_eq!(backup.received(), 100);
    assert_eq!(
        primary.acknowledged(),
        100,
        "the backup acknowledged at once"
    );

    // From now on the output rule holds, and the log restarts at the sync position.
    primary.log(vec![0xcc; 8]);
    primary.output(105, Millis(4));
    primary.position(110, 110, Millis(4));
    let actions = primary_actions(&mut primary);
    assert!(!actions
        .iter()
        .any(|action| matches!(action, PrimaryAction::Release { .. })));
    assert_eq!(
        sent_messages(&actions),
        [Message::Log {
            vouched: 110,
            released: 90,
            bytes: vec![0xcc; 8]
        }]
    );
    for action in actions {
        if let PrimaryAction::Send { bytes, .. } = action {
            backup.message(&bytes, Millis(5));
        }
    }
    let backup_side = to_primary(&mut backup, &mut primary, Millis(5));
    assert_eq!(
        backup_side,
        [
            BackupAction::Deliver {
                bytes: vec![0xcc; 8]
            },
            BackupAction::RunTo { vouched: 110 },
            BackupAction::Released { through: 90 }
        ]
    );
    assert_eq!(
        primary_actions(&mut primary),
        [PrimaryAction::Release { through: 105 }]
    );
}

#[test]
fn a_second_backup_while_one_is_attached_is_refused_and_the_first_is_unharmed() {
    let (mut primary, mut backup) = protected_pair(0);
    let second = ConnId(8);
    primary.connected(second, Millis(1));
    primary.message(
        second,
        &hello_from(&identity("c"), Role::Backup, 0, true),
        Millis(1),
    );
    let actions = primary_actions(&mut primary);
    let [PrimaryAction::Send { conn, bytes }, PrimaryAction::Refused { reason }, PrimaryAction::Close { conn: closed, .. }] =
        &actions[..]
    else {
        panic!("expected a refusal: {actions:?}");
    };
    assert_eq!((*conn, *closed), (second, second));
    assert_eq!(reason, "this primary has a backup already (b)");
    assert!(matches!(
        decode(bytes).map(|e| e.message),
        Ok(Message::Refuse { .. })
    ));

    // The first backup goes on: progress reaches it and its acknowledgement releases.
    primary.output(5, Millis(2));
    primary.position(10, 10, Millis(2));
    to_backup(&mut primary, &mut backup, Millis(2));
    to_primary(&mut backup, &mut primary, Millis(2));
    assert_eq!(
        primary_actions(&mut primary),
        [PrimaryAction::Release { through: 5 }]
    );
    assert!(matches!(primary.state(), PrimaryState::Protected { .. }));

    // So does a joiner while the first one syncs, and a silent newcomer times out alone.
    let (mut primary, _) = joining_pair(1);
    primary.connected(second, Millis(1));
    primary.message(
        second,
        &hello_from(&identity("c"), Role::Backup, 1, true),
        Millis(1),
    );
    assert!(
        primary_actions(&mut primary).contains(&PrimaryAction::Refused {
            reason: "this primary has a backup already (b)".to_owned()
        })
    );
    primary.connected(ConnId(9), Millis(250));
    primary.tick(Millis(301));
    let actions = primary_actions(&mut primary);
    assert!(
        matches!(&actions[0], PrimaryAction::Close { conn: CONN, .. }),
        "{actions:?}"
    );
    primary.tick(Millis(551));
    assert!(matches!(&primary_actions(&mut primary)[..],
        [PrimaryAction::Close { conn: ConnId(9), why }] if why.contains("connecting peer was silent")));
}

#[test]
fn a_running_primary_refuses_a_backup_without_join_and_one_of_an_older_epoch() {
    let cases = [
        (
            hello_from(&identity("c"), Role::Backup, 3, false),
            "the primary is running: start the backup with --join to receive its state",
        ),
        (
            hello_from(&identity("c"), Role::Backup, 2, true),
            "the backup's epoch 2 is older than this primary's (3): an older epoch cannot join",
        ),
    ];
    for (hello, expected) in cases {
        let mut primary = Primary::after_go_live(config(), identity("a"), 3).unwrap();
        primary_actions(&mut primary);
        primary.connected(CONN, Millis(0));
        primary.message(CONN, &hello, Millis(0));
        let actions = primary_actions(&mut primary);
        assert!(
            actions.contains(&PrimaryAction::Refused {
                reason: expected.to_owned()
            }),
            "{actions:?}"
        );
        assert_eq!(primary.state(), &PrimaryState::Alone);
    }
}

#[test]
fn a_joiner_may_bring_another_disk_but_not_another_machine_and_a_newer_epoch_halts() {
    let other_disk = Identity {
        disk_hash: [3; 32],
        ..identity("c")
    };
    let other_machine = Identity {
        fingerprint: [4; 32],
        ..identity("c")
    };
    let mut primary = Primary::after_go_live(config(), identity("a"), 3).unwrap();
    primary.connected(CONN, Millis(0));
    primary.message(
        CONN,
        &hello_from(&other_machine, Role::Backup, 3, true),
        Millis(0),
    );
    assert_eq!(primary.state(), &PrimaryState::Alone);
    primary.connected(CONN, Millis(0));
    primary.message(
        CONN,
        &hello_from(&other_disk, Role::Backup, 3, true),
        Millis(0),
    );
    assert!(matches!(primary.state(), PrimaryState::Syncing { .. }));

    let mut primary = Primary::after_go_live(config(), identity("a"), 3).unwrap();
    primary.connected(CONN, Millis(0));
    primary.message(
        CONN,
        &hello_from(&identity("c"), Role::Backup, 4, true),
        Millis(0),
    );
    assert_eq!(
        primary.state(),
        &PrimaryState::Halted {
            exit_code: EXIT_NEWER_EPOCH
        }
    );
}

#[test]
fn a_backup_lost_while_syncing_leaves_the_primary_alone_in_its_epoch_ready_for_another() {
    let (mut primary, _) = joining_pair(4);
    primary.transfer(&[1; 10], Millis(1));
    primary_actions(&mut primary);
    primary.disconnected(CONN, Millis(2));
    let actions = primary_actions(&mut primary);
    assert!(matches!(&actions[0], PrimaryAction::State(change)
        if change.state == PrimaryState::Alone && change.epoch == 4
            && change.why.contains("during the state transfer")));
    assert_eq!(actions[1..], [PrimaryAction::AbortTransfer]);
    primary.transfer(&[1; 10], Millis(3));
    primary.synced(50, [0; 32], Vec::new(), Millis(3));
    assert_eq!(primary_actions(&mut primary), [], "a late chunk is dropped");
    primary.output(60, Millis(4));
    assert_eq!(
        primary_actions(&mut primary),
        [PrimaryAction::Release { through: 60 }]
    );

    let mut again = Backup::new(config(), identity("c"), 4, true).unwrap();
    primary.connected(ConnId(9), Millis(5));
    again.connected(Millis(5));
    for action in backup_actions(&mut again) {
        if let BackupAction::Send(bytes) = action {
            primary.message(ConnId(9), &bytes, Millis(5));
        }
    }
    assert!(primary_actions(&mut primary).contains(&PrimaryAction::StartTransfer));
}

#[test]
fn a_joining_backup_that_loses_its_primary_halts_with_exit_6_and_never_claims() {
    let (_, mut backup) = joining_pair(1);
    backup.tick(Millis(301));
    let actions = backup_actions(&mut backup);
    assert!(!actions.iter().any(|action| matches!(
        action,
        BackupAction::Claim { .. } | BackupAction::GoLive { .. }
    )));
    assert!(
        matches!(actions.last(), Some(BackupAction::Halt { exit_code: EXIT_NOT_IN_SYNC, reason })
        if reason.contains("holds no replica"))
    );

    // A Log before Synced is a protocol error, with the same end.
    let (mut primary, mut backup) = joining_pair(1);
    primary_actions(&mut primary);
    let log = encode(&Envelope {
        epoch: 1,
        seq: 1,
        message: Message::Log {
            vouched: 5,
            released: 0,
            bytes: Vec::new(),
        },
    });
    backup.message(&log, Millis(1));
    assert_eq!(
        backup.state(),
        &BackupState::Halted {
            exit_code: EXIT_NOT_IN_SYNC
        }
    );
}

#[test]
fn a_joining_backup_and_its_primary_keep_each_other_alive_without_log() {
    let (mut primary, mut backup) = joining_pair(1);
    primary.position(500, 500, Millis(10));
    primary.tick(Millis(20));
    assert_eq!(
        sent_messages(&primary_actions(&mut primary)),
        [Message::Heartbeat],
        "no Log before Synced"
    );
    backup.tick(Millis(20));
    to_primary(&mut backup, &mut primary, Millis(20));
    primary.tick(Millis(310));
    assert!(matches!(primary.state(), PrimaryState::Syncing { .. }));
}

#[test]
fn a_backup_without_join_refuses_a_transfer_and_a_refused_backup_never_claims() {
    let mut backup = Backup::new(config(), identity("b"), 0, false).unwrap();
    backup.connected(Millis(0));
    backup_actions(&mut backup);
    backup.message(
        &hello_from(&identity("a"), Role::Primary, 0, true),
        Millis(0),
    );
    assert!(
        backup_actions(&mut backup).contains(&BackupAction::Refused {
            reason: HelloMismatch::NotJoining.to_string()
        })
    );

    let mut backup = Backup::new(config(), identity("b"), 0, true).unwrap();
    backup.connected(Millis(0));
    backup_actions(&mut backup);
    let refuse = encode(&Envelope {
        epoch: 0,
        seq: 0,
        message: Message::Refuse {
            reason: "this primary has a backup already (c)".to_owned(),
        },
    });
    backup.message(&refuse, Millis(0));
    let actions = backup_actions(&mut backup);
    assert!(!actions
        .iter()
        .any(|action| matches!(action, BackupAction::Claim { .. })));
    assert_eq!(backup.state(), &BackupState::WaitingForPrimary);
}

#[test]
fn transfer_chunks_are_split_at_the_cap_and_an_oversized_state_gives_up_the_join() {
    let (mut primary, _) = joining_pair(1);
    primary.transfer(&vec![0; MAX_TRANSFER_BYTES + 1], Millis(1));
    let sizes: Vec<usize> = sent_messages(&primary_actions(&mut primary))
        .iter()
        .filter_map(|message| match message {
            Message::Transfer { bytes } => Some(bytes.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, [MAX_TRANSFER_BYTES, 1]);
    primary.synced(10, [0; 32], vec![0; MAX_STATE_BYTES + 1], Millis(2));
    let actions = primary_actions(&mut primary);
    assert!(matches!(&actions[0], PrimaryAction::Close { why, .. } if why.contains("exceeds")));
    assert!(actions.contains(&PrimaryAction::AbortTransfer));
    assert_eq!(primary.state(), &PrimaryState::Alone);
}

#[test]
fn a_backup_rebuilding_its_machine_after_a_join_does_not_slow_the_primary_until_it_runs() {
    let (mut primary, mut backup) = joining_pair(2);
    let ms = MTIME_TICKS_PER_MS;
    primary.position(100, 1_000 * ms, Millis(1));
    primary.synced(100, [9; 32], vec![4, 5], Millis(2));
    to_backup(&mut primary, &mut backup, Millis(2));
    to_primary(&mut backup, &mut primary, Millis(2));
    // The backup restores for a while: the primary runs a second of guest time further, and
    // the log it sends is acknowledged as received, but nothing executed yet.
    primary.position(200, 2_000 * ms, Millis(3));
    primary.tick(Millis(30));
    to_backup(&mut primary, &mut backup, Millis(30));
    backup.tick(Millis(30));
    to_primary(&mut backup, &mut primary, Millis(30));
    assert_eq!(
        primary.throttle(),
        None,
        "no flow control while the joiner rebuilds"
    );
    // Once it reports execution past the sync point, its lag counts again.
    backup.executed(150, 1_200 * ms, Millis(40));
    backup.tick(Millis(60));
    to_primary(&mut backup, &mut primary, Millis(60));
    assert_eq!(primary.throttle(), Some(Millis(20)), "800 ms behind");
}
