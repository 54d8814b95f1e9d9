//! The decisions of `up` for the situations `tests/infra.rs` meets against moto, and the ones
//! moto cannot produce (a cluster still creating, a paused one, no default VPC, an unknown
//! account). The fixtures are shared with `down_tests.rs` and `render_tests.rs`.

use super::*;
use crate::config::Ini;
use crate::infra::policy::READ_POLICY_NAME;

pub(crate) const CIDR: &str = "203.0.113.7/32";
pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const REGION: &str = "us-west-2";
pub(crate) const ARN: &str = "arn:aws:iam::123456789012:role/lifeRole";
pub(crate) const HOST: &str = "life-dwh.abc.us-west-2.redshift.amazonaws.com";
pub(crate) const VPC: &str = "vpc-0abc";
/// sparkify's own group, `sparkify-life-dwh`.
pub(crate) const GROUP: &str = "sg-0123";
/// The VPC's shared default group.
pub(crate) const DEFAULT_GROUP: &str = "sg-0def";
/// The trust policy of an earlier version: any Redshift cluster.
pub(crate) const OLD_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"redshift.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The seed layout `tests/infra.rs` uses, with the seed's S3 sources: no password, so `up`
/// generates one.
pub(crate) fn settings() -> Settings {
    let ini = Ini::parse(
        "[CLUSTER]\nCLUSTER_IDENTIFIER=life-dwh\nCLUSTER_TYPE=multi-node\nNUM_NODES=2\n\
         NODE_TYPE=ra3.large\nDB_NAME=sparkify\nDB_USER=awsuser\nDWH_PORT=5439\n\
         DWH_IAM_ROLE_NAME=lifeRole\n[S3]\nLOG_DATA='s3://udacity-dend/log_data'\n\
         LOG_JSONPATH='s3://udacity-dend/log_json_path.json'\n\
         SONG_DATA='s3://udacity-dend/song_data'\n",
    )
    .expect("test config parses");
    // No environment is read: what these tests decide depends on this text alone.
    crate::settings::Settings::new(ini, &[])
        .cluster(Some(CIDR.to_string()), false)
        .expect("test settings are valid")
}

pub(crate) fn trust() -> String {
    policy::trust_policy(REGION, Some(ACCOUNT), "life-dwh")
}

pub(crate) fn read() -> String {
    policy::read_policy(REGION, &settings().sources).expect("sources are configured")
}

/// A role as `up` leaves it: trusted for this cluster, with the read policy.
pub(crate) fn role(managed: bool) -> Option<RoleState> {
    Some(RoleState {
        arn: ARN.to_string(),
        managed,
        policies: Vec::new(),
        inline: vec![READ_POLICY_NAME.to_string()],
        read_policy: Some(read()),
        trust: trust(),
        used_by: Vec::new(),
    })
}

/// A role as an earlier version left it: `AmazonS3ReadOnlyAccess`, trusted by any cluster.
pub(crate) fn old_role() -> Option<RoleState> {
    Some(RoleState {
        arn: ARN.to_string(),
        managed: true,
        policies: vec![S3_READ_POLICY.to_string()],
        inline: Vec::new(),
        read_policy: None,
        trust: OLD_TRUST.to_string(),
        used_by: Vec::new(),
    })
}

pub(crate) fn cluster(status: &str, managed: bool) -> Option<ClusterState> {
    Some(ClusterState {
        status: status.to_string(),
        managed,
        node_type: Some("ra3.large".into()),
        nodes: Some(2),
        endpoint: (status == "available").then(|| (HOST.to_string(), 5439)),
        security_groups: vec![GROUP.to_string()],
        ..ClusterState::default()
    })
}

pub(crate) fn rules(rules: &[(&str, Option<&str>)]) -> Vec<IngressRule> {
    rules
        .iter()
        .map(|(cidr, description)| IngressRule {
            cidr: cidr.to_string(),
            description: description.map(str::to_string),
        })
        .collect()
}

/// sparkify's group with `rules`.
pub(crate) fn group(rules: Vec<IngressRule>) -> Option<GroupState> {
    Some(GroupState {
        id: GROUP.to_string(),
        managed: true,
        rules,
    })
}

pub(crate) fn default_group(rules: Vec<IngressRule>) -> Option<GroupState> {
    Some(GroupState {
        id: DEFAULT_GROUP.to_string(),
        managed: false,
        rules,
    })
}

pub(crate) fn ours() -> String {
    rule_description("life-dwh")
}

/// An account with a default VPC and nothing of sparkify's.
pub(crate) fn fresh() -> Observed {
    Observed {
        region: REGION.to_string(),
        account: Some(ACCOUNT.to_string()),
        network: Some(Network {
            vpc_id: VPC.to_string(),
            group: None,
            default_group: default_group(Vec::new()),
        }),
        ..Observed::default()
    }
}

/// What a finished `up` leaves: the role with its policies, the group with the rule, the
/// cluster available in it, and `dwh.cfg` filled in.
pub(crate) fn everything_present() -> Observed {
    let mut seen = fresh();
    seen.role = role(true);
    seen.cluster = cluster("available", true);
    if let Some(net) = &mut seen.network {
        net.group = group(rules(&[(CIDR, Some(ours().as_str()))]));
    }
    seen.config = ConfigKeys {
        role_arn: Some(ARN.to_string()),
        host: Some(HOST.to_string()),
    };
    seen
}

/// `up`'s changes, which must be allowed.
fn up_ok(s: &Settings, seen: &Observed) -> Vec<Change> {
    up(s, seen, false).expect("up is allowed")
}

fn kept_role(converged: bool) -> Change {
    Change::Keep(Keep::Role {
        arn: ARN.to_string(),
        converged,
    })
}

fn kept_cluster(status: &str, then: Readiness) -> Change {
    Change::Keep(Keep::Cluster {
        status: status.to_string(),
        then,
    })
}

fn authorize(group: Option<&str>) -> Change {
    Change::AuthorizeIngress {
        cidr: CIDR.to_string(),
        group: group.map(str::to_string),
    }
}

fn create_role() -> Change {
    Change::CreateRole {
        trust: trust(),
        account: Some(ACCOUNT.to_string()),
        read_policy: Some(read()),
    }
}

fn create_group() -> Change {
    Change::CreateGroup {
        vpc: VPC.to_string(),
    }
}

#[test]
fn a_fresh_account_gets_everything_created_in_order() {
    assert_eq!(
        up_ok(&settings(), &fresh()),
        vec![
            create_role(),
            create_group(),
            Change::GeneratePassword,
            Change::CreateCluster {
                password: Password::Generated
            },
            authorize(None),
            Change::WriteConfig,
        ]
    );
}

#[test]
fn a_configured_password_is_used_not_generated() {
    let mut s = settings();
    s.password = Some("Passw0rdPassw0rd".into());
    let changes = up_ok(&s, &fresh());
    assert!(!changes.contains(&Change::GeneratePassword), "{changes:?}");
    assert!(changes.contains(&Change::CreateCluster {
        password: Password::Configured
    }));
}

#[test]
fn everything_present_means_no_changes() {
    assert_eq!(
        up_ok(&settings(), &everything_present()),
        vec![
            kept_role(true),
            Change::Keep(Keep::Group {
                id: GROUP.to_string()
            }),
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
    // The role was created (tagged) but the run stopped before its policies and the rest.
    let mut seen = fresh();
    seen.role = Some(RoleState {
        arn: ARN.to_string(),
        managed: true,
        trust: trust(),
        ..RoleState::default()
    });
    assert_eq!(
        up_ok(&settings(), &seen),
        vec![
            kept_role(false),
            Change::PutReadPolicy {
                document: read(),
                replaces: false
            },
            create_group(),
            Change::GeneratePassword,
            Change::CreateCluster {
                password: Password::Generated
            },
            authorize(None),
            Change::WriteConfig,
        ]
    );
}

#[test]
fn what_an_earlier_version_made_is_brought_to_least_privilege() {
    // Its role: AmazonS3ReadOnlyAccess, trusted by any cluster; its cluster: in the VPC's
    // default group, which carries its rule.
    let mut seen = everything_present();
    seen.role = old_role();
    seen.cluster = cluster("available", true).map(|c| ClusterState {
        security_groups: vec![DEFAULT_GROUP.to_string()],
        ..c
    });
    seen.network = Some(Network {
        vpc_id: VPC.to_string(),
        group: None,
        default_group: default_group(rules(&[
            ("198.51.100.9/32", None),
            (CIDR, Some(ours().as_str())),
        ])),
    });
    assert_eq!(
        up_ok(&settings(), &seen),
        vec![
            kept_role(false),
            Change::UpdateTrust {
                trust: trust(),
                account: ACCOUNT.to_string()
            },
            // The inline policy before the managed one goes: COPY can read throughout.
            Change::PutReadPolicy {
                document: read(),
                replaces: false
            },
            Change::DetachPolicy {
                policy: S3_READ_POLICY.to_string()
            },
            create_group(),
            kept_cluster("available", Readiness::Available),
            Change::JoinGroup {
                keep: vec![DEFAULT_GROUP.to_string()]
            },
            authorize(None),
            // Only sparkify's old rule leaves the default group, after the new one is in place.
            Change::RevokeRule {
                group: DEFAULT_GROUP.to_string(),
                cidr: CIDR.to_string()
            },
        ]
    );
}

#[test]
fn changed_sources_update_the_read_policy() {
    let mut seen = everything_present();
    let mut s = settings();
    s.sources.pop();
    let changes = up_ok(&s, &seen);
    assert_eq!(
        changes[..2],
        [
            kept_role(false),
            Change::PutReadPolicy {
                document: policy::read_policy(REGION, &s.sources).unwrap(),
                replaces: true
            }
        ]
    );
    // The same policy as IAM returns it (URL-encoded, other spacing) is no change.
    if let Some(r) = &mut seen.role {
        r.read_policy = Some(read().replace('{', "%7B").replace(':', "%3A"));
    }
    assert_eq!(up_ok(&settings(), &seen)[0], kept_role(true));
}

#[test]
fn without_s3_sources_the_role_gets_no_read_policy_and_keeps_what_it_has() {
    let mut s = settings();
    s.sources.clear();
    let changes = up_ok(&s, &fresh());
    assert_eq!(
        changes[..2],
        [
            Change::CreateRole {
                trust: trust(),
                account: Some(ACCOUNT.to_string()),
                read_policy: None
            },
            Change::Keep(Keep::NoSources)
        ]
    );
    // An earlier version's managed policy stays until there is something to replace it with
    // (a run may name its sources as flags, which `infra` does not see).
    let mut seen = everything_present();
    seen.role = old_role();
    let changes = up_ok(&s, &seen);
    assert!(
        !changes.iter().any(|c| matches!(
            c,
            Change::DetachPolicy { .. } | Change::PutReadPolicy { .. }
        )),
        "{changes:?}"
    );
    assert!(changes.contains(&Change::Keep(Keep::NoSources)));
}

#[test]
fn without_the_account_the_trust_policy_is_created_open_and_never_loosened() {
    let mut seen = fresh();
    seen.account = None;
    assert_eq!(
        up_ok(&settings(), &seen)[0],
        Change::CreateRole {
            trust: policy::trust_policy(REGION, None, "life-dwh"),
            account: None,
            read_policy: Some(read())
        }
    );
    let mut seen = everything_present();
    seen.account = None;
    assert_eq!(up_ok(&settings(), &seen)[0], kept_role(true));
}

#[test]
fn the_cluster_account_names_the_trust_when_the_caller_is_unknown() {
    let mut seen = everything_present();
    seen.account = None;
    seen.role = old_role();
    if let Some(c) = &mut seen.cluster {
        c.account = Some(ACCOUNT.to_string());
    }
    assert!(up_ok(&settings(), &seen).contains(&Change::UpdateTrust {
        trust: trust(),
        account: ACCOUNT.to_string()
    }));
}

#[test]
fn what_sparkify_did_not_create_is_refused_unless_adopted() {
    let mut seen = everything_present();
    seen.role = role(false);
    seen.cluster = cluster("available", false);
    if let Some(g) = seen.network.as_mut().and_then(|n| n.group.as_mut()) {
        g.managed = false;
    }
    let err = up(&settings(), &seen, false).expect_err("refused");
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "IAM role lifeRole, Redshift cluster life-dwh and security group sparkify-life-dwh \
         exist but were not created by sparkify (no managed-by=sparkify tag), and sparkify does \
         not take over resources by accident: pass --adopt to make them sparkify's (tagged \
         managed-by=sparkify, changed to match the settings, and deleted by `infra down`), or \
         configure other names in dwh.cfg"
    );
    let mut one = everything_present();
    one.cluster = cluster("available", false);
    let err = up(&settings(), &one, false).expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("Redshift cluster life-dwh exists but was not created by sparkify"),
        "{err}"
    );
    assert_eq!(
        up(&settings(), &seen, true).expect("adopted"),
        vec![
            kept_role(false),
            Change::TagRole,
            Change::Keep(Keep::Group {
                id: GROUP.to_string()
            }),
            Change::TagGroup {
                id: GROUP.to_string()
            },
            kept_cluster("available", Readiness::Available),
            Change::TagCluster {
                arn: "arn:aws:redshift:us-west-2:123456789012:cluster:life-dwh".into()
            },
            Change::Keep(Keep::IngressRule {
                cidr: CIDR.to_string(),
                group: GROUP.to_string(),
            }),
        ]
    );
}

#[test]
fn pause_and_resume_refuse_a_cluster_sparkify_did_not_create() {
    let theirs = cluster("available", false).unwrap_or_default();
    let err = check_cluster_is_ours("life-dwh", &theirs, false).expect_err("refused");
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    assert!(err.to_string().contains("--adopt"), "{err}");
    assert!(check_cluster_is_ours("life-dwh", &theirs, true).is_ok());
    let ours = cluster("available", true).unwrap_or_default();
    assert!(check_cluster_is_ours("life-dwh", &ours, false).is_ok());
}

#[test]
fn without_a_default_vpc_up_refuses() {
    let mut seen = fresh();
    seen.network = None;
    let err = up(&settings(), &seen, false).expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("there is no default VPC in us-west-2"),
        "{err}"
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
        let changes = up_ok(&settings(), &seen);
        assert_eq!(changes[2], kept_cluster(status, then), "{status}");
        // The endpoint of a cluster still on its way is known only after waiting.
        assert_eq!(
            changes.last() == Some(&Change::WriteConfig),
            then == Readiness::Wait,
            "{status}: {changes:?}"
        );
    }
}

#[test]
fn a_missing_rule_goes_on_sparkifys_group_and_a_hand_made_one_counts() {
    let mut seen = everything_present();
    if let Some(net) = &mut seen.network {
        net.group = group(rules(&[("198.51.100.9/32", None)]));
    }
    assert_eq!(up_ok(&settings(), &seen)[3], authorize(Some(GROUP)));
    // The same CIDR added by hand, without sparkify's description: present.
    if let Some(net) = &mut seen.network {
        net.group = group(rules(&[(CIDR, None)]));
    }
    assert_eq!(
        up_ok(&settings(), &seen),
        up_ok(&settings(), &everything_present())
    );
    // A rule on the default group never counts: the rule belongs on sparkify's group.
    let mut seen = fresh();
    if let Some(net) = &mut seen.network {
        net.default_group = default_group(rules(&[(CIDR, None)]));
    }
    let changes = up_ok(&settings(), &seen);
    assert!(changes.contains(&authorize(None)), "{changes:?}");
    assert!(
        !changes
            .iter()
            .any(|c| matches!(c, Change::RevokeRule { .. })),
        "a hand-made rule stays: {changes:?}"
    );
}

#[test]
fn without_a_cidr_there_is_no_rule_to_add() {
    let mut s = settings();
    s.cidr = None;
    let changes = up_ok(&s, &fresh());
    assert_eq!(changes[4], Change::Keep(Keep::NoIngressRule), "{changes:?}");
}

#[test]
fn dwh_cfg_is_rewritten_when_it_lacks_or_differs_from_the_endpoint_or_arn() {
    let mut seen = everything_present();
    seen.config.host = None;
    assert_eq!(up_ok(&settings(), &seen).last(), Some(&Change::WriteConfig));
    let mut seen = everything_present();
    seen.config.role_arn = Some("arn:aws:iam::123456789012:role/old".into());
    assert_eq!(up_ok(&settings(), &seen).last(), Some(&Change::WriteConfig));
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
fn the_cluster_always_comes_after_what_it_needs() {
    // The applier relies on this order: the role ARN, the group id and the password exist
    // before the cluster is created.
    let mut half = fresh();
    half.role = old_role();
    let mut with_group = fresh();
    with_group.role = role(true);
    if let Some(net) = &mut with_group.network {
        net.group = group(Vec::new());
    }
    for seen in [fresh(), half, with_group] {
        let changes = up_ok(&settings(), &seen);
        let at = |wanted: fn(&Change) -> bool| changes.iter().position(wanted);
        let cluster = at(|c| matches!(c, Change::CreateCluster { .. })).expect("created");
        let role = at(|c| {
            matches!(
                c,
                Change::CreateRole { .. } | Change::Keep(Keep::Role { .. })
            )
        })
        .expect("role step");
        let group = at(|c| {
            matches!(
                c,
                Change::CreateGroup { .. } | Change::Keep(Keep::Group { .. })
            )
        })
        .expect("group step");
        let password = at(|c| *c == Change::GeneratePassword).expect("password step");
        let rule = at(|c| matches!(c, Change::AuthorizeIngress { .. })).expect("rule step");
        assert!(
            role < cluster && group < cluster && password < cluster && group < rule,
            "{changes:?}"
        );
    }
}
