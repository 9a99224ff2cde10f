//! Who a node is, and whether a peer's [`Hello`] makes it the right partner.

use std::fmt;

use thiserror::Error;

use super::wire::{one_line, Hello, Role, MAX_NODE_LEN, PROTOCOL_VERSION};

/// What a node announces about itself in its [`Hello`], apart from its epoch and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The machine fingerprint: a hash of the configuration and initial state.
    pub fingerprint: [u8; 32],
    /// A hash of the disk image the machine starts from.
    pub disk_hash: [u8; 32],
    /// The node's name, for messages and the arbiter (one line, at most [`MAX_NODE_LEN`] bytes).
    pub node: String,
}

impl Identity {
    /// The Hello this node sends in `role` at `epoch`, with `join` as [`Hello::join`].
    pub(crate) fn hello(&self, role: Role, epoch: u64, join: bool) -> Hello {
        Hello {
            version: PROTOCOL_VERSION,
            fingerprint: self.fingerprint,
            disk_hash: self.disk_hash,
            epoch,
            role,
            join,
            node: one_line(&self.node, MAX_NODE_LEN),
        }
    }
}

/// Why a peer's Hello does not make it this node's partner; the `Refuse` reason.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum HelloMismatch {
    /// The peer speaks another protocol version.
    #[error("protocol version {theirs} differs from ours ({ours})")]
    Version {
        /// Ours.
        ours: u16,
        /// The peer's.
        theirs: u16,
    },
    /// The peer runs another machine.
    #[error("machine fingerprint {} differs from ours ({})", Short(.theirs), Short(.ours))]
    Fingerprint {
        /// Ours.
        ours: [u8; 32],
        /// The peer's.
        theirs: [u8; 32],
    },
    /// The peer starts from another disk.
    #[error("disk hash {} differs from ours ({})", Short(.theirs), Short(.ours))]
    DiskHash {
        /// Ours.
        ours: [u8; 32],
        /// The peer's.
        theirs: [u8; 32],
    },
    /// The peer has our role instead of the other one.
    #[error("the peer is a {theirs} too; it must be the {wanted}")]
    Role {
        /// The peer's role.
        theirs: Role,
        /// The role a partner must have.
        wanted: Role,
    },
    /// A primary announces an epoch older than the backup's: a newer primary existed.
    #[error("the primary's epoch {theirs} is older than this backup's ({ours})")]
    StaleEpoch {
        /// Ours.
        ours: u64,
        /// The primary's.
        theirs: u64,
    },
    /// A backup of an older epoch asks to join a running primary: it read the arbiter before
    /// this primary's epoch was won.
    #[error("the backup's epoch {theirs} is older than this primary's ({ours}): an older epoch cannot join")]
    OlderEpoch {
        /// Ours.
        ours: u64,
        /// The backup's.
        theirs: u64,
    },
    /// The primary is running, so a backup must receive its state, and this one did not
    /// permit overwriting its disk.
    #[error("the primary is running: start the backup with --join to receive its state")]
    NotJoining,
}

/// Checks what both roles require alike: version, fingerprint, the other role and, when
/// `same_disk` (no state transfer overwrites the backup's disk), the disk. Epochs and joining
/// are each core's business.
pub(crate) fn check_partner(
    ours: &Hello,
    theirs: &Hello,
    same_disk: bool,
) -> Result<(), HelloMismatch> {
    if theirs.version != ours.version {
        return Err(HelloMismatch::Version {
            ours: ours.version,
            theirs: theirs.version,
        });
    }
    if theirs.fingerprint != ours.fingerprint {
        return Err(HelloMismatch::Fingerprint {
            ours: ours.fingerprint,
            theirs: theirs.fingerprint,
        });
    }
    if same_disk && theirs.disk_hash != ours.disk_hash {
        return Err(HelloMismatch::DiskHash {
            ours: ours.disk_hash,
            theirs: theirs.disk_hash,
        });
    }
    if theirs.role != ours.role.other() {
        return Err(HelloMismatch::Role {
            theirs: theirs.role,
            wanted: ours.role.other(),
        });
    }
    Ok(())
}

/// The first 8 bytes of a hash in hexadecimal, enough to tell two apart in a message.
struct Short<'a>(&'a [u8; 32]);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0[..8]
            .iter()
            .try_for_each(|byte| write!(f, "{byte:02x}"))?;
        f.write_str("…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            fingerprint: [1; 32],
            disk_hash: [2; 32],
            node: "a".to_owned(),
        }
    }

    #[test]
    fn a_primary_and_a_backup_of_the_same_machine_match() {
        let ours = identity().hello(Role::Primary, 0, false);
        assert_eq!(
            check_partner(&ours, &identity().hello(Role::Backup, 0, false), true),
            Ok(())
        );
    }

    #[test]
    fn each_difference_is_named_in_one_line() {
        let ours = identity().hello(Role::Primary, 0, false);
        let partner = identity().hello(Role::Backup, 0, false);

        let version = Hello {
            version: PROTOCOL_VERSION + 1,
            ..partner.clone()
        };
        let fingerprint = Hello {
            fingerprint: [0xab; 32],
            ..partner.clone()
        };
        let disk = Hello {
            disk_hash: [0xcd; 32],
            ..partner.clone()
        };
        let role = Hello {
            role: Role::Primary,
            ..partner
        };
        let reasons: Vec<String> = [version, fingerprint, disk, role]
            .iter()
            .map(|theirs| {
                check_partner(&ours, theirs, true)
                    .map_err(|e| e.to_string())
                    .unwrap_err()
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "protocol version 3 differs from ours (2)",
                "machine fingerprint abababababababab… differs from ours (0101010101010101…)",
                "disk hash cdcdcdcdcdcdcdcd… differs from ours (0202020202020202…)",
                "the peer is a primary too; it must be the backup",
            ]
        );
    }

    #[test]
    fn the_disk_is_not_compared_when_a_transfer_overwrites_it() {
        let ours = identity().hello(Role::Primary, 0, true);
        let other_disk = Hello {
            disk_hash: [0xcd; 32],
            ..identity().hello(Role::Backup, 0, true)
        };
        assert_eq!(check_partner(&ours, &other_disk, false), Ok(()));
        let other_machine = Hello {
            fingerprint: [0xab; 32],
            ..other_disk
        };
        assert!(matches!(
            check_partner(&ours, &other_machine, false),
            Err(HelloMismatch::Fingerprint { .. })
        ));
    }

    #[test]
    fn hello_node_name_is_clipped_to_one_line() {
        let long = Identity {
            node: format!("x\ny{}", "z".repeat(400)),
            ..identity()
        };
        let hello = long.hello(Role::Backup, 0, false);
        assert!(hello.node.starts_with("x?y"));
        assert_eq!(hello.node.len(), MAX_NODE_LEN);
    }
}
