//! The text of `plan` and `status`, line for line (the README shows the same lines).

use super::*;
use crate::infra::diff::tests::{
    ARN, CIDR, DEFAULT_GROUP, GROUP, HOST, cluster, default_group, everything_present, fresh,
    group, old_role, ours, role, rules, settings,
};
use crate::infra::diff::{self, ClusterState, Network, Observed};

#[derive(Default)]
struct Lines(Vec<String>);

impl Report for Lines {
    fn line(&mut self, text: &str) {
        self.0.push(text.to_string());
    }
}

fn plan_with(s: &Settings, seen: &Observed, adopt: bool) -> Vec<String> {
    let mut out = Lines::default();
    let changes = diff::up(s, seen, adopt).expect("up is allowed");
    plan(s, seen, &changes, &mut out);
    out.0
}

fn plan_of(s: &Settings, seen: &Observed) -> Vec<String> {
    plan_with(s, seen, false)
}

const HEADER: &str =
    "Plan for Redshift cluster life-dwh in us-west-2 (nothing is changed by `plan`):";
const COST: &str = "Estimated cost: 2 × ra3.large = $1.09/hour (about $792.78/month if never \
                    paused); on-demand list price in us-east-1 as of 2026-12-02, other regions \
                    differ";
const SHAPE: &str = "multi-node, 2 × ra3.large, database sparkify, user awsuser, port 5439";
const TRUSTED: &str = "trusted by redshift.amazonaws.com only for database users of cluster \
                       life-dwh in account 123456789012";
const GRANTS: &str = "s3:GetObject on s3://udacity-dend/log_data*, s3://udacity-dend/song_data*, \
                      s3://udacity-dend/log_json_path.json; s3:ListBucket under \
                      s3://udacity-dend/log_data*, s3://udacity-dend/song_data*";

#[test]
fn the_plan_for_a_fresh_account() {
    assert_eq!(
        plan_of(&settings(), &fresh()),
        vec![
            HEADER.to_string(),
            format!("  + IAM role lifeRole: {TRUSTED}, tagged managed-by=sparkify"),
            format!("      inline policy sparkify-s3-read: {GRANTS}"),
            "  + security group sparkify-life-dwh in vpc-0abc, tagged managed-by=sparkify"
                .to_string(),
            format!("  + Redshift cluster life-dwh: {SHAPE}, in security group sparkify-life-dwh"),
            "      master password: generated, stored only in dwh.cfg (mode 0600)".to_string(),
            format!("  + ingress rule: tcp 5439 from {CIDR} on security group sparkify-life-dwh"),
            COST.to_string(),
            "4 change(s). Apply them with `sparkify infra up`.".to_string(),
        ]
    );
}

#[test]
fn the_plan_when_everything_exists() {
    assert_eq!(
        plan_of(&settings(), &everything_present()),
        vec![
            HEADER.to_string(),
            format!("  = IAM role lifeRole exists ({ARN}), as configured"),
            format!("  = security group sparkify-life-dwh exists ({GROUP})"),
            format!("  = Redshift cluster life-dwh exists: available ({SHAPE})"),
            format!("  = ingress rule: tcp 5439 from {CIDR} exists on sparkify-life-dwh"),
            COST.to_string(),
            "No changes: everything exists as configured.".to_string(),
        ]
    );
}

#[test]
fn the_plan_for_what_an_earlier_version_made() {
    let mut seen = everything_present();
    seen.role = old_role();
    seen.cluster = cluster("available", true).map(|c| ClusterState {
        security_groups: vec![DEFAULT_GROUP.to_string()],
        ..c
    });
    seen.network = Some(Network {
        vpc_id: "vpc-0abc".into(),
        group: None,
        default_group: default_group(rules(&[(CIDR, Some(ours().as_str()))])),
    });
    assert_eq!(
        plan_of(&settings(), &seen),
        vec![
            HEADER.to_string(),
            format!("  = IAM role lifeRole exists ({ARN})"),
            format!("  ~ IAM role lifeRole: trust policy replaced, {TRUSTED}"),
            format!("  ~ IAM role lifeRole: inline policy sparkify-s3-read added: {GRANTS}"),
            "  ~ IAM role lifeRole: AmazonS3ReadOnlyAccess detached (replaced by \
             sparkify-s3-read)"
                .to_string(),
            "  + security group sparkify-life-dwh in vpc-0abc, tagged managed-by=sparkify"
                .to_string(),
            format!("  = Redshift cluster life-dwh exists: available ({SHAPE})"),
            "  ~ Redshift cluster life-dwh: put in security group sparkify-life-dwh (its other \
             groups kept)"
                .to_string(),
            format!("  + ingress rule: tcp 5439 from {CIDR} on security group sparkify-life-dwh"),
            format!(
                "  - ingress rule: tcp 5439 from {CIDR} on {DEFAULT_GROUP}, the VPC's default \
                 group (an earlier version's; the rule moves to sparkify-life-dwh)"
            ),
            COST.to_string(),
            "7 change(s). Apply them with `sparkify infra up`.".to_string(),
        ]
    );
}

#[test]
fn the_plan_for_adopting_what_sparkify_did_not_create() {
    let mut seen = everything_present();
    seen.role = role(false);
    seen.cluster = cluster("available", false);
    if let Some(net) = &mut seen.network {
        net.group = group(rules(&[(CIDR, None)])).map(|g| diff::GroupState {
            managed: false,
            ..g
        });
    }
    let lines = plan_with(&settings(), &seen, true);
    assert_eq!(
        lines[1..8],
        [
            format!("  = IAM role lifeRole exists ({ARN})"),
            "  ~ IAM role lifeRole: adopted, tagged managed-by=sparkify".to_string(),
            format!("  = security group sparkify-life-dwh exists ({GROUP})"),
            format!(
                "  ~ security group sparkify-life-dwh ({GROUP}): adopted, tagged \
                 managed-by=sparkify"
            ),
            format!("  = Redshift cluster life-dwh exists: available ({SHAPE})"),
            "  ~ Redshift cluster life-dwh: adopted, tagged managed-by=sparkify".to_string(),
            format!("  = ingress rule: tcp 5439 from {CIDR} exists on sparkify-life-dwh"),
        ]
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("3 change(s). Apply them with `sparkify infra up`.")
    );
}

#[test]
fn the_plan_after_a_half_finished_up_with_a_configured_password() {
    let mut s = settings();
    s.password = Some("Passw0rdPassw0rd".into());
    let mut seen = fresh();
    seen.role = role(true);
    let lines = plan_of(&s, &seen);
    assert_eq!(
        lines[1..5],
        [
            format!("  = IAM role lifeRole exists ({ARN}), as configured"),
            "  + security group sparkify-life-dwh in vpc-0abc, tagged managed-by=sparkify"
                .to_string(),
            format!("  + Redshift cluster life-dwh: {SHAPE}, in security group sparkify-life-dwh"),
            "      master password: from dwh.cfg (not shown)".to_string(),
        ]
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("3 change(s). Apply them with `sparkify infra up`.")
    );
}

#[test]
fn the_plan_names_the_group_or_says_why_there_is_no_rule() {
    let mut seen = everything_present();
    if let Some(net) = &mut seen.network {
        net.group = group(Vec::new());
    }
    assert_eq!(
        plan_of(&settings(), &seen)[4],
        format!("  + ingress rule: tcp 5439 from {CIDR} on security group sparkify-life-dwh")
    );

    let mut s = settings();
    s.cidr = None;
    let lines = plan_of(&s, &fresh());
    assert_eq!(
        lines[6],
        "  ! no ingress rule: give the address allowed to connect with --cidr (e.g. --cidr \
         203.0.113.7/32) or [CLUSTER] CIDR; `up` refuses without it"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("3 change(s). Apply them with `sparkify infra up`.")
    );
}

#[test]
fn the_plan_says_when_the_role_gets_no_read_policy() {
    let mut s = settings();
    s.sources.clear();
    let lines = plan_of(&s, &fresh());
    assert_eq!(
        lines[1..3],
        [
            format!("  + IAM role lifeRole: {TRUSTED}, tagged managed-by=sparkify"),
            format!("  ! {}", NO_SOURCES),
        ]
    );
    assert!(NO_SOURCES.contains("[S3] LOG_DATA"), "{NO_SOURCES}");
}

#[test]
fn the_plan_warns_when_the_port_is_open_to_everyone() {
    let mut s = settings();
    s.cidr = Some(settings::ANYWHERE.to_string());
    let lines = plan_of(&s, &fresh());
    assert_eq!(
        lines[7..9],
        [
            "warning: the ingress rule opens the cluster's port to the whole internet".to_string(),
            COST.to_string(),
        ]
    );
    // Any range that needed --allow-anywhere is warned about, with its size.
    s.cidr = Some("10.0.0.0/8".to_string());
    let lines = plan_of(&s, &fresh());
    assert_eq!(
        lines[7],
        "warning: the ingress rule opens the cluster's port to 16,777,216 addresses (10.0.0.0/8)"
    );
}

#[test]
fn the_plan_says_a_dc2_node_type_is_deprecated() {
    let mut s = settings();
    s.node_type.value = "dc2.large".into();
    let lines = plan_of(&s, &fresh());
    let warning = lines
        .iter()
        .find(|l| l.starts_with("warning: "))
        .expect("a warning");
    assert!(
        warning.starts_with("warning: node type dc2.large is deprecated: AWS retired the DC"),
        "{warning}"
    );
    assert!(warning.contains("NODE_TYPE = ra3.large"), "{warning}");
    // Still priced (at its old rate), so the estimate stays honest.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Estimated cost: 2 × dc2.large = $0.50/hour")),
        "{lines:?}"
    );
    // The default node type plans without a warning.
    let lines = plan_of(&settings(), &fresh());
    assert!(
        !lines.iter().any(|l| l.starts_with("warning: ")),
        "{lines:?}"
    );
}

#[test]
fn an_unknown_node_type_has_no_price() {
    let mut s = settings();
    s.node_type.value = "xx.huge".into();
    assert_eq!(
        cost_line(&s),
        "Estimated cost: unknown for node type xx.huge (not in sparkify's price table)"
    );
}

#[test]
fn status_of_a_running_cluster() {
    let mut c = cluster("available", true).expect("a cluster");
    c.db_name = Some("sparkify".into());
    c.master_user = Some("awsuser".into());
    c.iam_roles = vec![ARN.to_string()];
    c.created_secs = Some(0);
    let ingress = Some(diff::GroupRules {
        group: Some(GROUP.to_string()),
        rules: rules(&[(CIDR, Some(ours().as_str()))]),
    });
    let mut out = Lines::default();
    status(
        &settings(),
        "us-west-2",
        Some(&c),
        ingress.as_ref(),
        3600,
        &mut out,
    );
    assert_eq!(
        out.0,
        vec![
            "Cluster   life-dwh: available, 2 × ra3.large".to_string(),
            format!("Endpoint  {HOST}:5439"),
            "Database  sparkify (user awsuser)".to_string(),
            format!("Role      {ARN}"),
            format!(
                "Ingress   {GROUP}: tcp 5439 from {CIDR} (managed-by sparkify: Redshift cluster \
                 life-dwh)"
            ),
            "Running   60 min 0 s since 1970-01-01 00:00:00 UTC; about $1.09 so far at \
             $1.09/hour (since creation, paused time included)"
                .to_string(),
        ]
    );
}

#[test]
fn status_with_a_creation_time_out_of_range_says_so() {
    for created in [i64::MAX, i64::MIN, i64::MAX / 1000] {
        let mut c = cluster("available", true).expect("a cluster");
        c.created_secs = Some(created);
        let mut out = Lines::default();
        status(&settings(), "us-west-2", Some(&c), None, 3600, &mut out);
        assert_eq!(
            out.0.last().map(String::as_str),
            Some(
                format!(
                    "Running   since an impossible creation time ({created} s since 1970, as \
                     Redshift reported it)"
                )
                .as_str()
            ),
            "{created}"
        );
    }
}

#[test]
fn status_of_a_hand_made_cluster_without_group_and_of_no_cluster() {
    let mut c = cluster("creating", false).expect("a cluster");
    c.node_type = None;
    c.nodes = None;
    let mut out = Lines::default();
    status(&settings(), "us-west-2", Some(&c), None, 0, &mut out);
    assert_eq!(
        out.0,
        vec![
            "Cluster   life-dwh: creating, 1 × ? (not created by sparkify)",
            "Endpoint  (none yet)",
            "Database  ? (user ?)",
            "Role      (none)",
            "Ingress   (no security group found)",
        ]
    );
    let mut out = Lines::default();
    status(&settings(), "us-west-2", None, None, 0, &mut out);
    assert_eq!(
        out.0,
        vec!["No cluster life-dwh in us-west-2 (create it with `sparkify infra up`)."]
    );
}
