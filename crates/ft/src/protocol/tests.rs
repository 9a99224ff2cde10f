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
            PrimaryAction::Send(bytes) => backup.message(&bytes, now),
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
            BackupAction::Send(bytes) => primary.message(&bytes, now),
            other => rest.push(other),
        }
    }
    rest
}

fn sent_messages(actions: &[PrimaryAction]) -> Vec<Message> {
    actions
        .iter()
        .filter_map(|action| match action {
            PrimaryAction::Send(bytes) => decode(bytes).ok().map(|envelope| envelope.message),
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
    let mut backup = Backup::new(config(), identity("b"), 0).unwrap();
    primary.connected(Millis(0));
    backup.connected(Millis(0));
    to_backup(&mut primary, &mut backup, Millis(0));
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
    let mut backup = Backup::new(config(), identity("b"), 0).unwrap();
    primary.connected(Millis(0));
    backup.connected(Millis(0));
    to_backup(&mut primary, &mut backup, Millis(0));
    let actions = to_primary(&mut backup, &mut primary, Millis(0));
    assert_eq!(
        actions.len(),
        1,
        "the backup reports Following: {actions:?}"
    );
    let actions = primary_actions(&mut primary);
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
    let mut backup = Backup::new(config(), other_disk, 0).unwrap();
    primary.connected(Millis(0));
    backup.connected(Millis(0));
    primary_actions(&mut primary);
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
    let mut good = Backup::new(config(), identity("c"), 0).unwrap();
    primary.connected(Millis(1));
    good.connected(Millis(1));
    to_backup(&mut primary, &mut good, Millis(1));
    to_primary(&mut good, &mut primary, Millis(1));
    assert!(matches!(primary.state(), PrimaryState::Protected { .. }));
}

#[test]
fn two_primaries_refuse_each_other_by_role() {
    let mut first = Primary::new(config(), identity("a"), 0).unwrap();
    let mut second = Primary::new(config(), identity("b"), 0).unwrap();
    first.connected(Millis(0));
    second.connected(Millis(0));
    for action in primary_actions(&mut second) {
        if let PrimaryAction::Send(bytes) = action {
            first.message(&bytes, Millis(0));
        }
    }
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
    let mut backup = Backup::new(config(), identity("b"), 3).unwrap();
    primary.connected(Millis(0));
    backup.connected(Millis(0));
    // The backup refuses the stale primary; the primary halts on the backup's Hello first.
    to_backup(&mut primary, &mut backup, Millis(0));
    let backup_side = backup_actions(&mut backup);
    assert!(backup_side.iter().any(|action| matches!(action,
        BackupAction::Refused { reason } if reason.contains("epoch 1 is older than this backup's (3)"))));
    for action in backup_side {
        if let BackupAction::Send(bytes) = action {
            primary.message(&bytes, Millis(0));
        }
    }
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
        if let PrimaryAction::Send(bytes) = action {
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
        seq: 1,
        message: Message::Ack {
            received: 1_000,
            executed: 0,
            executed_mtime: 0,
        },
    });
    primary.message(&lying_ack, Millis(2));
    let actions = primary_actions(&mut primary);
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
        matches!(&actions[0], PrimaryAction::Close { why } if why.contains("silent for 301 ms"))
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
    primary.disconnected(Millis(5));
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
            PrimaryAction::Send(bytes) => Some(bytes),
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
