//! The decisions of `up` and `down` for the situations `tests/infra.rs` meets against moto,
//! and the ones moto cannot produce (a cluster still creating, a paused one, no security group).

use super::*;
use crate::config::Ini;

pub(crate) const CIDR: &str = "203.0.113.7/32";
pub(crate) const ARN: &str = "arn:aws:iam::123456789012:role/lifeRole";
pub(crate) const HOST: &str = "life-dwh.abc.us-west-2.redshift.amazonaws.com";
pub(crate) const GROUP: &str = "sg-0123";

/// The seed layout `tests/infra.rs` uses: no password, so `up` generates one.
pub(crate) fn settings() -> Settings {
    let ini = Ini::parse(
        "[CLUSTER]\nCLUSTER_IDENTIFIER=life-dwh\nCLUSTER_TYPE=multi-node\nNUM_NODES=2\n\
         NODE_TYPE=ra3.large\nDB_NAME=sparkify\nDB_USER=awsuser\nDWH_PORT=5439\n\
         DWH_IAM_ROLE_NAME=lifeRole\n",
    )
    .expect("test config parses");
    // No environment is read: what these tests decide depends on this text alone.
    crate::settings::Settings::new(ini, &[])
        .cluster(Some(CIDR.to_string()), false)
        .expect("test settings are valid")
}

pub(crate) fn role(managed: bool, policies: &[&str]) -> Option<RoleState> {
    Some(RoleState {
        arn: ARN.to_string(),
        managed,
        policies: policies.iter().map(|p| p.to_string()).collect(),
    })
}

pub(crate) fn cluster(status: &str, managed: bool) -> Option<ClusterState> {
    Some(ClusterState {
        status: status.to_string(),
        managed,
        node_type: Some("ra3.large".into()),
        nodes: Some(2),
        endpoint: (status == "available").then(|| (HOST.to_string(), 5439)),
        ..ClusterState::default()
    })
}

pub(crate) fn rules(rules: &[(&str, Option<&str>)]) -> Option<GroupRules> {
    Some(GroupRules {
        group: Some(GROUP.to_string()),
        rules: rules
            .iter()
            .map(|(cidr, description)| IngressRule {
                cidr: cidr.to_string(),
                description: description.map(str::to_string),
            })
            .collect(),
    })
}

/// What a finished `up` leaves: the role with its policy, the cluster available, the rule,
/// and `dwh.cfg` filled in.
pub(crate) fn everything_present() -> Observed {
    Observed {
        role: role(true, &[S3_READ_POLICY]),
        cluster: cluster("available", true),
        ingress: rules(&[(CIDR, Some(rule_description("life-dwh").as_str()))]),
        config: ConfigKeys {
            role_arn: Some(ARN.to_string()),
            host: Some(HOST.to_string()),
        },
    }
}

fn kept_role(policy_attached: bool) -> Change {
    Change::Keep(Keep::Role {
        arn: ARN.to_string(),
        policy_attached,
    })
}

fn kept_cluster(status: &str, then: Readiness) -> Change {
    Change::Keep(Keep::Cluster {
        status: status.to_string(),
        then,
    })
}

fn authorize(on: IngressTarget) -> Change {
    Change::AuthorizeIngress {
        cidr: CIDR.to_string(),
        on,
    }
}

#[test]
fn a_fresh_account_gets_everything_created_in_order() {
    assert_eq!(
        up(&settings(), &Observed::default()),
        vec![
            Change::CreateRole,
            Change::GeneratePassword,
            Change::CreateCluster {
                password: Password::Generated
            },
            authorize(IngressTarget::ClusterGroup),
            Change::WriteConfig,
        ]
    );
}

#[test]
fn a_configured_password_is_used_not_generated() {
    let mut s = settings();
    s.password = Some("Passw0rdPassw0rd".into());
    let changes = up(&s, &Observed::default());
    assert!(!changes.contains(&Change::GeneratePassword), "{changes:?}");
    assert!(changes.contains(&Change::CreateCluster {
        password: Password::Configured
    }));
}

#[test]
fn everything_present_means_no_changes() {
    assert_eq!(
        up(&settings(), &everything_present()),
        vec![
            kept_role(true),
            kept_cluster("available", Readiness::Available),
            Change::Keep(Keep::IngressRule {
                cidr: CIDR.to_string(),
                group: GROUP.to_string(),
            }),
        ]
    );
}

#[test]
fn a_half_finished_up_continues_from_the_role() {
    // The role was created (tagged) but the run stopped before the policy and the cluster.
    let seen = Observed {
        role: role(true, &[]),
        ..Observed::default()
    };
    assert_eq!(
        up(&settings(), &seen),
        vec![
            kept_role(false),
            Change::AttachPolicy {
                role_arn: ARN.to_string()
            },
            Change::GeneratePassword,
            Change::CreateCluster {
                password: Password::Generated
            },
            authorize(IngressTarget::ClusterGroup),
            Change::WriteConfig,
        ]
    );
}

#[test]
fn a_hand_made_cluster_and_role_are_used_by_up_as_they_are() {
    let mut seen = everything_present();
    seen.role = role(false, &[S3_READ_POLICY]);
    seen.cluster = cluster("available", false);
    assert_eq!(
        up(&settings(), &seen),
        up(&settings(), &everything_present())
    );
}

#[test]
fn an_existing_cluster_is_waited_for_only_when_it_gets_there_by_itself() {
    for (status, then) in [
        ("creating", Readiness::Wait),
        ("resuming", Readiness::Wait),
        ("paused", Readiness::Stays),
        ("available", Readiness::Available),
    ] {
        let mut seen = everything_present();
        seen.cluster = cluster(status, true);
        let changes = up(&settings(), &seen);
        assert_eq!(changes[1], kept_cluster(status, then), "{status}");
        // The endpoint of a cluster still on its way is known only after waiting.
        assert_eq!(
            changes.last() == Some(&Change::WriteConfig),
            then == Readiness::Wait,
            "{status}: {changes:?}"
        );
    }
}

#[test]
fn a_missing_rule_goes_on_the_group_found_or_the_vpc_default() {
    let mut seen = everything_present();
    seen.ingress = rules(&[("198.51.100.9/32", None)]);
    assert_eq!(
        up(&settings(), &seen)[2],
        authorize(IngressTarget::Group(GROUP.to_string()))
    );
    seen.ingress = Some(GroupRules::default());
    assert_eq!(
        up(&settings(), &seen)[2],
        authorize(IngressTarget::VpcDefault)
    );
}

#[test]
fn a_rule_made_by_hand_for_the_same_cidr_counts_as_present() {
    let mut seen = everything_present();
    seen.ingress = rules(&[(CIDR, None)]);
    assert_eq!(
        up(&settings(), &seen),
        up(&settings(), &everything_present())
    );
}

#[test]
fn without_a_cidr_there_is_no_rule_to_add() {
    let mut s = settings();
    s.cidr = None;
    let changes = up(&s, &Observed::default());
    assert_eq!(changes[3], Change::Keep(Keep::NoIngressRule), "{changes:?}");
}

#[test]
fn dwh_cfg_is_rewritten_when_it_lacks_or_differs_from_the_endpoint_or_arn() {
    let mut seen = everything_present();
    seen.config.host = None;
    assert_eq!(up(&settings(), &seen).last(), Some(&Change::WriteConfig));
    let mut seen = everything_present();
    seen.config.role_arn = Some("arn:aws:iam::123456789012:role/old".into());
    assert_eq!(up(&settings(), &seen).last(), Some(&Change::WriteConfig));
}

#[test]
fn config_updates_write_both_keys_or_none() {
    let keys = settings().write_back_keys();
    let current = ConfigKeys {
        role_arn: Some(ARN.into()),
        host: Some(HOST.into()),
    };
    assert!(config_updates(&keys, ARN, Some(HOST), &current).is_empty());
    let stale = ConfigKeys {
        role_arn: Some(ARN.into()),
        host: Some(String::new()),
    };
    assert_eq!(
        config_updates(&keys, ARN, Some(HOST), &stale),
        vec![
            ("IAM_ROLE", "ARN", ARN.to_string()),
            ("CLUSTER", "HOST", HOST.to_string()),
        ]
    );
    // No endpoint yet (a paused cluster): only the ARN.
    assert_eq!(
        config_updates(&keys, ARN, None, &ConfigKeys::default()),
        vec![("IAM_ROLE", "ARN", ARN.to_string())]
    );
}

#[test]
fn down_removes_what_up_made_in_reverse_order_and_leaves_hand_made_rules() {
    let mut seen = everything_present();
    seen.ingress = rules(&[
        ("198.51.100.9/32", None),
        (CIDR, Some(rule_description("life-dwh").as_str())),
        ("192.0.2.1/32", Some(rule_description("other-dwh").as_str())),
    ]);
    assert_eq!(
        down(&settings(), None, &seen).expect("down is allowed"),
        vec![
            Change::DeleteCluster {
                already_deleting: false,
                final_snapshot: None
            },
            Change::RevokeRule {
                group: GROUP.to_string(),
                cidr: CIDR.to_string()
            },
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
fn down_keeps_a_hand_made_role() {
    let mut seen = everything_present();
    seen.role = role(false, &[S3_READ_POLICY]);
    let changes = down(&settings(), None, &seen).expect("down is allowed");
    assert_eq!(changes.last(), Some(&Change::Keep(Keep::RoleNotManaged)));
    assert!(
        !changes
            .iter()
            .any(|c| matches!(c, Change::DetachPolicy { .. } | Change::DeleteRole { .. })),
        "{changes:?}"
    );
}

#[test]
fn down_finishes_what_an_interrupted_down_left() {
    // The cluster is gone; its rule (on the default group) and the role remain.
    let mut seen = everything_present();
    seen.cluster = None;
    assert_eq!(
        down(&settings(), None, &seen).expect("down is allowed"),
        vec![
            Change::Keep(Keep::ClusterAbsent),
            Change::RevokeRule {
                group: GROUP.to_string(),
                cidr: CIDR.to_string()
            },
            Change::DetachPolicy {
                policy: S3_READ_POLICY.to_string()
            },
            Change::DeleteRole {
                arn: ARN.to_string()
            },
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
        down(&settings(), None, &Observed::default()).expect("down is allowed"),
        vec![
            Change::Keep(Keep::ClusterAbsent),
            Change::Keep(Keep::RoleAbsent)
        ]
    );
}

#[test]
fn the_cluster_always_comes_after_what_it_needs() {
    // The applier relies on this order: the role ARN and the password exist before the cluster
    // is created.
    let situations = [
        Observed::default(),
        Observed {
            role: role(true, &[]),
            ..Observed::default()
        },
        Observed {
            role: role(false, &[S3_READ_POLICY]),
            ..Observed::default()
        },
    ];
    for seen in &situations {
        let changes = up(&settings(), seen);
        let at = |wanted: fn(&Change) -> bool| changes.iter().position(wanted);
        let cluster = at(|c| matches!(c, Change::CreateCluster { .. })).expect("created");
        let role = at(|c| matches!(c, Change::CreateRole | Change::Keep(Keep::Role { .. })))
            .expect("role step");
        let password = at(|c| *c == Change::GeneratePassword).expect("password step");
        assert!(role < cluster && password < cluster, "{changes:?}");
    }
}
