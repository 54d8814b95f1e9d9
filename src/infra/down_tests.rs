//! The decisions of `down`: what sparkify made goes, in reverse order, and nothing else.

use super::tests::*;
use super::*;
use crate::infra::policy::READ_POLICY_NAME;

fn down_ok(seen: &Observed) -> Vec<Change> {
    down(&settings(), None, seen).expect("down is allowed")
}

fn delete_cluster() -> Change {
    Change::DeleteCluster {
        already_deleting: false,
        final_snapshot: None,
    }
}

fn revoke(group: &str) -> Change {
    Change::RevokeRule {
        group: group.to_string(),
        cidr: CIDR.to_string(),
    }
}

fn delete_group() -> Change {
    Change::DeleteGroup {
        id: GROUP.to_string(),
    }
}

#[test]
fn down_removes_what_up_made_in_reverse_order_and_leaves_other_rules() {
    let mut seen = everything_present();
    if let Some(net) = &mut seen.network {
        net.group = group(rules(&[
            ("198.51.100.9/32", None),
            (CIDR, Some(ours().as_str())),
            ("192.0.2.1/32", Some(rule_description("other-dwh").as_str())),
        ]));
    }
    assert_eq!(
        down_ok(&seen),
        vec![
            delete_cluster(),
            // Only sparkify's rule for this cluster is revoked; the group goes whole after it.
            revoke(GROUP),
            delete_group(),
            Change::DeleteInlinePolicy {
                name: READ_POLICY_NAME.to_string()
            },
            Change::DeleteRole {
                arn: ARN.to_string()
            },
        ]
    );
}

#[test]
fn down_also_removes_what_an_earlier_version_made() {
    // Its rule on the VPC's default group (kept: the group and a hand-made rule on it), its
    // managed policy on the role.
    let mut seen = everything_present();
    seen.role = old_role();
    seen.network = Some(Network {
        vpc_id: VPC.to_string(),
        group: None,
        default_group: default_group(rules(&[
            ("198.51.100.9/32", None),
            (CIDR, Some(ours().as_str())),
        ])),
    });
    assert_eq!(
        down_ok(&seen),
        vec![
            delete_cluster(),
            revoke(DEFAULT_GROUP),
            Change::Keep(Keep::GroupAbsent),
            Change::DetachPolicy {
                policy: S3_READ_POLICY.to_string()
            },
            Change::DeleteRole {
                arn: ARN.to_string()
            },
        ]
    );
}

#[test]
fn down_refuses_an_untagged_hand_made_cluster() {
    let mut seen = everything_present();
    seen.cluster = cluster("available", false);
    let err = down(&settings(), None, &seen).expect_err("refused");
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "cluster life-dwh was not created by sparkify (no managed-by=sparkify tag); sparkify \
         deletes only what it created"
    );
}

#[test]
fn down_keeps_a_hand_made_role_and_group() {
    let mut seen = everything_present();
    seen.role = role(false);
    if let Some(g) = seen.network.as_mut().and_then(|n| n.group.as_mut()) {
        g.managed = false;
    }
    assert_eq!(
        down_ok(&seen),
        vec![
            delete_cluster(),
            Change::Keep(Keep::GroupNotManaged {
                id: GROUP.to_string()
            }),
            Change::Keep(Keep::RoleNotManaged),
        ]
    );
}

#[test]
fn down_keeps_a_role_another_cluster_still_uses() {
    let mut seen = everything_present();
    if let Some(r) = &mut seen.role {
        r.used_by = vec!["other-dwh".to_string()];
    }
    let changes = down_ok(&seen);
    assert_eq!(
        changes.last(),
        Some(&Change::Keep(Keep::RoleInUse {
            clusters: vec!["other-dwh".to_string()]
        }))
    );
    assert!(
        !changes.iter().any(|c| matches!(
            c,
            Change::DeleteRole { .. } | Change::DeleteInlinePolicy { .. }
        )),
        "{changes:?}"
    );
}

#[test]
fn down_finishes_what_an_interrupted_down_left() {
    // The cluster is gone; its rule, its group and the role remain.
    let mut seen = everything_present();
    seen.cluster = None;
    assert_eq!(
        down_ok(&seen)[..3],
        [
            Change::Keep(Keep::ClusterAbsent),
            revoke(GROUP),
            delete_group()
        ]
    );
    // Stopped while the cluster was being deleted: wait for it, keep the snapshot asked for.
    let mut seen = everything_present();
    seen.cluster = cluster("deleting", true);
    assert_eq!(
        down(&settings(), Some("last"), &seen).expect("down is allowed")[0],
        Change::DeleteCluster {
            already_deleting: true,
            final_snapshot: Some("last".into())
        }
    );
}

#[test]
fn down_with_nothing_left_changes_nothing() {
    assert_eq!(
        down_ok(&fresh()),
        vec![
            Change::Keep(Keep::ClusterAbsent),
            Change::Keep(Keep::GroupAbsent),
            Change::Keep(Keep::RoleAbsent)
        ]
    );
    // No VPC to look in: the cluster and the role are still dealt with.
    assert_eq!(
        down_ok(&Observed::default()),
        vec![
            Change::Keep(Keep::ClusterAbsent),
            Change::Keep(Keep::RoleAbsent)
        ]
    );
}
