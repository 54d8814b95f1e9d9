//! The text of `plan` and `status`, line for line as `sparkify infra` printed it before the
//! decisions moved into `diff` (the README shows the same lines).

use super::*;
use crate::infra::diff::tests::{
    ARN, CIDR, GROUP, HOST, cluster, everything_present, role, rules, settings,
};
use crate::infra::diff::{self, Observed};

#[derive(Default)]
struct Lines(Vec<String>);

impl Report for Lines {
    fn line(&mut self, text: &str) {
        self.0.push(text.to_string());
    }
}

fn plan_of(s: &Settings, seen: &Observed) -> Vec<String> {
    let mut out = Lines::default();
    plan(s, "us-west-2", &diff::up(s, seen), &mut out);
    out.0
}

const HEADER: &str =
    "Plan for Redshift cluster life-dwh in us-west-2 (nothing is changed by `plan`):";
const COST: &str = "Estimated cost: 2 × ra3.large = $1.09/hour (about $792.78/month if never \
                    paused); on-demand list price in us-east-1 as of 2026-12-02, other regions \
                    differ";
const SHAPE: &str = "multi-node, 2 × ra3.large, database sparkify, user awsuser, port 5439";

#[test]
fn the_plan_for_a_fresh_account() {
    assert_eq!(
        plan_of(&settings(), &Observed::default()),
        vec![
            HEADER.to_string(),
            "  + IAM role lifeRole: trusted by redshift.amazonaws.com, AmazonS3ReadOnlyAccess \
             attached, tagged managed-by=sparkify"
                .to_string(),
            format!("  + Redshift cluster life-dwh: {SHAPE}"),
            "      master password: generated, stored only in dwh.cfg (mode 0600)".to_string(),
            format!("  + ingress rule: tcp 5439 from {CIDR} on the cluster's VPC security group"),
            COST.to_string(),
            "3 change(s). Apply them with `sparkify infra up`.".to_string(),
        ]
    );
}

#[test]
fn the_plan_when_everything_exists() {
    assert_eq!(
        plan_of(&settings(), &everything_present()),
        vec![
            HEADER.to_string(),
            format!("  = IAM role lifeRole exists ({ARN}), AmazonS3ReadOnlyAccess attached"),
            format!("  = Redshift cluster life-dwh exists: available ({SHAPE})"),
            format!("  = ingress rule: tcp 5439 from {CIDR} exists"),
            COST.to_string(),
            "No changes: everything exists as configured.".to_string(),
        ]
    );
}

#[test]
fn the_plan_after_a_half_finished_up_with_a_configured_password() {
    let mut s = settings();
    s.password = Some("Passw0rdPassw0rd".into());
    let seen = Observed {
        role: role(true, &[]),
        ..Observed::default()
    };
    let lines = plan_of(&s, &seen);
    assert_eq!(
        lines[1..4],
        [
            format!(
                "  ~ IAM role lifeRole exists ({ARN}); AmazonS3ReadOnlyAccess will be attached"
            ),
            format!("  + Redshift cluster life-dwh: {SHAPE}"),
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
    seen.ingress = rules(&[]);
    assert_eq!(
        plan_of(&settings(), &seen)[3],
        format!("  + ingress rule: tcp 5439 from {CIDR} on security group {GROUP}")
    );
    seen.ingress = Some(diff::GroupRules::default());
    assert_eq!(
        plan_of(&settings(), &seen)[3],
        format!("  + ingress rule: tcp 5439 from {CIDR} on security group (the VPC's default)")
    );

    let mut s = settings();
    s.cidr = None;
    let lines = plan_of(&s, &Observed::default());
    assert_eq!(
        lines[4],
        "  ! no ingress rule: give the address allowed to connect with --cidr (e.g. --cidr \
         203.0.113.7/32) or [CLUSTER] CIDR; `up` refuses without it"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("2 change(s). Apply them with `sparkify infra up`.")
    );
}

#[test]
fn the_plan_warns_when_the_port_is_open_to_everyone() {
    let mut s = settings();
    s.cidr = Some(settings::ANYWHERE.to_string());
    let lines = plan_of(&s, &Observed::default());
    assert_eq!(
        lines[5..7],
        [
            "warning: the ingress rule opens the cluster's port to the whole internet".to_string(),
            COST.to_string(),
        ]
    );
}

#[test]
fn the_plan_says_a_dc2_node_type_is_deprecated() {
    let mut s = settings();
    s.node_type.value = "dc2.large".into();
    let lines = plan_of(&s, &Observed::default());
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
    let lines = plan_of(&settings(), &Observed::default());
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
    let ingress = rules(&[(CIDR, Some(diff::rule_description("life-dwh").as_str()))]);
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
