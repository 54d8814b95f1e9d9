//! `sparkify infra` against moto with what sparkify did not make as it makes it today: a
//! cluster and role made by hand (refused by `up`, `plan`, `pause` and `resume` unless
//! `--adopt`), and what an earlier version made (`AmazonS3ReadOnlyAccess`, a trust policy for
//! any cluster, the rule on the VPC's default group), which `up` brings to least privilege.

mod common;
#[path = "common/infra.rs"]
mod helpers;
#[path = "common/moto.rs"]
mod moto;

use common::{ok, text};
use helpers::{ACCOUNT, OLD_TRUST, group_tagged, sdk, seed_config, sparkify};

const READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const CIDR: &str = "203.0.113.7/32";

#[test]
fn what_an_earlier_version_made_is_brought_to_least_privilege() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let sdk = sdk(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    seed_config(tmp.path(), "old-dwh", "oldRole");
    // As `up` left things before: the role with the managed policy and an open trust policy,
    // the cluster in no group of its own, its rule on the VPC's default group.
    let arn = sdk.create_role("oldRole", OLD_TRUST, true, &[READ_ONLY]);
    sdk.create_cluster("old-dwh", Some(&arn), true);
    let description = "managed-by sparkify: Redshift cluster old-dwh";
    sdk.allow("default", CIDR, Some(description));
    sdk.allow("default", "198.51.100.9/32", None);

    let plan = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "plan", "--cidr", CIDR],
    ));
    for expected in [
        "  ~ IAM role oldRole: trust policy replaced, trusted by redshift.amazonaws.com only for \
         database users of cluster old-dwh in account 123456789012",
        "  ~ IAM role oldRole: inline policy sparkify-s3-read added: s3:GetObject on",
        "  ~ IAM role oldRole: AmazonS3ReadOnlyAccess detached (replaced by sparkify-s3-read)",
        "  + security group sparkify-old-dwh in vpc-",
        "  ~ Redshift cluster old-dwh: put in security group sparkify-old-dwh",
        "  + ingress rule: tcp 5439 from 203.0.113.7/32 on security group sparkify-old-dwh",
        "  - ingress rule: tcp 5439 from 203.0.113.7/32 on sg-",
        "7 change(s)",
    ] {
        assert!(plan.contains(expected), "{expected}\n{plan}");
    }
    assert_eq!(
        sdk.role("oldRole").attached,
        [READ_ONLY],
        "plan changed nothing"
    );

    let up = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", CIDR],
    ));
    assert!(
        up.contains(
            "- detached AmazonS3ReadOnlyAccess from oldRole (replaced by sparkify-s3-read)"
        ),
        "{up}"
    );
    assert!(
        up.contains("- removed the earlier ingress rule tcp 5439 from 203.0.113.7/32 on sg-"),
        "{up}"
    );
    let role = sdk.role("oldRole");
    assert!(role.attached.is_empty(), "{role:?}");
    assert_eq!(role.inline, ["sparkify-s3-read"]);
    assert_eq!(
        role.trust["Statement"][0]["Condition"]["StringLike"]["sts:ExternalId"],
        format!("arn:aws:redshift:us-west-2:{ACCOUNT}:dbuser:old-dwh/*")
    );
    let group = sdk.group("sparkify-old-dwh").expect("sparkify's group");
    assert!(group_tagged(&group));
    assert!(
        sdk.cluster_groups("old-dwh")
            .contains(&group.group_id().unwrap().to_string())
    );
    assert_eq!(
        sdk.port_rules("sparkify-old-dwh"),
        [(CIDR.to_string(), Some(description.to_string()))]
    );
    // Only sparkify's rule left the shared group.
    assert_eq!(
        sdk.port_rules("default"),
        [("198.51.100.9/32".to_string(), None)]
    );

    let again = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", CIDR],
    ));
    assert!(again.contains("No changes"), "{again}");

    let down = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    assert!(
        down.contains("- deleted security group sparkify-old-dwh"),
        "{down}"
    );
    assert!(down.contains("- deleted IAM role oldRole"), "{down}");
    assert!(!sdk.role_exists("oldRole"));
    assert_eq!(
        sdk.port_rules("default"),
        [("198.51.100.9/32".to_string(), None)]
    );
}

/// Runs `args`, which must be refused (exit 2) for what sparkify did not create; returns stderr.
fn refused(tmp: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> String {
    let out = sparkify(tmp, env, args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
    assert!(stderr.contains("pass --adopt"), "{args:?}: {stderr}");
    stderr
}

#[test]
fn up_pause_and_resume_refuse_what_sparkify_did_not_create_unless_adopted() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let sdk = sdk(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    seed_config(tmp.path(), "their-dwh", "theirRole");
    let arn = sdk.create_role("theirRole", OLD_TRUST, false, &[READ_ONLY]);
    sdk.create_cluster("their-dwh", Some(&arn), false);

    let stderr = refused(tmp.path(), &env, &["infra", "up", "--cidr", CIDR]);
    assert!(
        stderr.contains(
            "IAM role theirRole and Redshift cluster their-dwh exist but were not created by \
             sparkify (no managed-by=sparkify tag)"
        ),
        "{stderr}"
    );
    refused(tmp.path(), &env, &["infra", "plan", "--cidr", CIDR]);
    refused(tmp.path(), &env, &["infra", "pause"]);
    refused(tmp.path(), &env, &["infra", "resume"]);
    // Nothing was touched.
    assert!(sdk.group("sparkify-their-dwh").is_none());
    assert!(!sdk.cluster_tagged("their-dwh"));
    assert_eq!(
        sdk.cluster_status("their-dwh").as_deref(),
        Some("available")
    );
    let role = sdk.role("theirRole");
    assert!(role.tags.is_empty() && role.inline.is_empty(), "{role:?}");
    assert_eq!(role.attached, [READ_ONLY]);

    // Adopted by `pause`: tagged, then paused; `resume` needs no --adopt any more.
    let paused = ok(&sparkify(tmp.path(), &env, &["infra", "pause", "--adopt"]));
    assert!(
        paused.contains("+ adopted Redshift cluster their-dwh: tagged managed-by=sparkify"),
        "{paused}"
    );
    assert!(sdk.cluster_tagged("their-dwh"));
    assert_eq!(sdk.cluster_status("their-dwh").as_deref(), Some("paused"));
    ok(&sparkify(tmp.path(), &env, &["infra", "resume"]));

    // The role is still not sparkify's: `up` names only it.
    let stderr = refused(tmp.path(), &env, &["infra", "up", "--cidr", CIDR]);
    assert!(
        stderr.starts_with("sparkify: IAM role theirRole exists but was not created by sparkify"),
        "{stderr}"
    );

    let up = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", CIDR, "--adopt"],
    ));
    assert!(
        up.contains("+ adopted IAM role theirRole: tagged managed-by=sparkify"),
        "{up}"
    );
    assert!(
        up.contains("+ put cluster their-dwh in security group sparkify-their-dwh"),
        "{up}"
    );
    let role = sdk.role("theirRole");
    assert!(
        role.tags
            .contains(&("managed-by".into(), "sparkify".into()))
    );
    assert!(
        role.attached.is_empty() && role.read_policy.is_some(),
        "{role:?}"
    );

    // Adopted means sparkify's: no --adopt needed any more, and `down` removes it.
    let again = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", CIDR],
    ));
    assert!(again.contains("No changes"), "{again}");
    let down = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    assert!(down.contains("- cluster their-dwh is gone"), "{down}");
    assert!(!sdk.role_exists("theirRole"));
}
