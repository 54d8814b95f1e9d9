//! `sparkify infra` against a real moto server on 127.0.0.1: the whole lifecycle with what it
//! leaves in IAM, EC2 and Redshift, idempotency, resuming a half-finished `up`, a duplicate
//! ingress rule, and refusing what is unsafe. What sparkify did not create (or an earlier
//! version made) is in `infra_ownership.rs`.

mod common;
#[path = "common/infra.rs"]
mod helpers;
#[path = "common/moto.rs"]
mod moto;

use common::{ok, text};
use helpers::{ACCOUNT, group_tagged, sdk, seed_config, sparkify};

#[test]
fn up_status_pause_resume_down_the_whole_lifecycle() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let sdk = sdk(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = seed_config(tmp.path(), "life-dwh", "lifeRole");
    let cidr = ["--cidr", "203.0.113.7/32"];

    let plan = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "plan", cidr[0], cidr[1]],
    ));
    assert!(plan.contains("+ IAM role lifeRole"), "{plan}");
    assert!(
        plan.contains("+ Redshift cluster life-dwh: multi-node, 2 × ra3.large"),
        "{plan}"
    );
    assert!(
        plan.contains("+ ingress rule: tcp 5439 from 203.0.113.7/32"),
        "{plan}"
    );
    assert!(
        plan.contains("+ security group sparkify-life-dwh in vpc-"),
        "{plan}"
    );
    assert!(
        plan.contains(&format!(
            "only for database users of cluster life-dwh in account {ACCOUNT}"
        )),
        "{plan}"
    );
    assert!(
        plan.contains(
            "inline policy sparkify-s3-read: s3:GetObject on s3://udacity-dend/log_data*"
        ),
        "{plan}"
    );
    assert!(plan.contains("2 × ra3.large = $1.09/hour"), "{plan}");
    assert!(plan.contains("4 change(s)"), "{plan}");
    // plan changed nothing.
    assert!(!sdk.role_exists("lifeRole"));
    assert_eq!(sdk.cluster_status("life-dwh"), None);
    assert!(sdk.group("sparkify-life-dwh").is_none());

    let up = sparkify(tmp.path(), &env, &["infra", "up", cidr[0], cidr[1]]);
    let (stdout, stderr) = text(&up);
    let stdout_ok = ok(&up);
    assert!(
        stdout_ok.contains("+ created IAM role lifeRole"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+ creating Redshift cluster life-dwh"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("+ allowed tcp 5439 from 203.0.113.7/32 on security group sparkify-life-dwh"),
        "{stdout}"
    );
    // Role, group, cluster, rule and dwh.cfg (the password is part of the cluster).
    assert!(stdout.contains("Done: 5 change(s)."), "{stdout}");
    assert_eq!(sdk.cluster_status("life-dwh").as_deref(), Some("available"));

    // Least privilege: the role reads the configured sources only, trusts Redshift only for
    // this cluster of this account, and carries the tag.
    let role = sdk.role("lifeRole");
    assert!(role.attached.is_empty(), "{role:?}");
    assert_eq!(role.inline, ["sparkify-s3-read"]);
    assert_eq!(
        role.read_policy,
        Some(serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [
                "arn:aws:s3:::udacity-dend/log_data*",
                "arn:aws:s3:::udacity-dend/song_data*",
                "arn:aws:s3:::udacity-dend/log_json_path.json",
            ]},
            {"Effect": "Allow", "Action": "s3:ListBucket",
             "Resource": "arn:aws:s3:::udacity-dend",
             "Condition": {"StringLike": {"s3:prefix": ["log_data*", "song_data*"]}}},
        ]}))
    );
    assert_eq!(
        role.trust["Statement"][0]["Condition"],
        serde_json::json!({"StringLike": {
            "sts:ExternalId": format!("arn:aws:redshift:us-west-2:{ACCOUNT}:dbuser:life-dwh/*")
        }})
    );
    assert!(
        role.tags
            .contains(&("managed-by".into(), "sparkify".into()))
    );
    // The port is open on a group of the cluster's own, never on the VPC's default group.
    let group = sdk.group("sparkify-life-dwh").expect("sparkify's group");
    assert!(group_tagged(&group));
    let group_id = group.group_id().unwrap().to_string();
    assert_eq!(
        sdk.cluster_groups("life-dwh"),
        std::slice::from_ref(&group_id)
    );
    assert_eq!(
        sdk.port_rules("sparkify-life-dwh"),
        [(
            "203.0.113.7/32".to_string(),
            Some("managed-by sparkify: Redshift cluster life-dwh".to_string())
        )]
    );
    assert!(sdk.port_rules("default").is_empty());

    // Endpoint, role ARN and the generated password are in dwh.cfg, the rest kept as it was.
    let written = std::fs::read_to_string(&cfg).unwrap();
    assert!(written.starts_with("# Sparkify warehouse (comment kept by sparkify)\n[CLUSTER]\n"));
    assert!(
        written.contains("LOG_DATA='s3://udacity-dend/log_data'"),
        "{written}"
    );
    let ini = sparkify::config::Ini::load(&cfg).unwrap();
    let host = ini.get("CLUSTER", "HOST").expect("HOST written");
    assert!(host.starts_with("life-dwh."), "{host}");
    let arn = ini.get("IAM_ROLE", "ARN").expect("ARN written");
    assert!(arn.ends_with(":role/lifeRole"), "{arn}");
    let password = ini.get("CLUSTER", "DB_PASSWORD").expect("password stored");
    sparkify::infra::settings::validate_password(password).unwrap();
    assert!(!stdout.contains(password) && !stderr.contains(password));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Again: nothing changes, and it says so.
    let again = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", cidr[0], cidr[1]],
    ));
    assert!(again.contains("No changes"), "{again}");
    let plan = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "plan", cidr[0], cidr[1]],
    ));
    assert!(plan.contains("No changes"), "{plan}");

    let status = ok(&sparkify(tmp.path(), &env, &["infra", "status"]));
    assert!(
        status.contains("Cluster   life-dwh: available, 2 × ra3.large"),
        "{status}"
    );
    assert!(
        status.contains(&format!("Endpoint  {host}:5439")),
        "{status}"
    );
    assert!(status.contains(arn), "{status}");
    assert!(
        status.contains("tcp 5439 from 203.0.113.7/32 (managed-by sparkify"),
        "{status}"
    );
    assert!(status.contains("Running "), "{status}");
    assert!(!status.contains(password));

    let paused = ok(&sparkify(tmp.path(), &env, &["infra", "pause"]));
    assert!(paused.contains("pause requested"), "{paused}");
    assert_eq!(sdk.cluster_status("life-dwh").as_deref(), Some("paused"));
    let again = ok(&sparkify(tmp.path(), &env, &["infra", "pause"]));
    assert!(again.contains("already paused"), "{again}");
    ok(&sparkify(tmp.path(), &env, &["infra", "resume"]));
    assert_eq!(sdk.cluster_status("life-dwh").as_deref(), Some("available"));

    // down asks first; without a terminal it needs --yes.
    let refused = sparkify(tmp.path(), &env, &["infra", "down"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).1.contains("--yes"));
    assert_eq!(sdk.cluster_status("life-dwh").as_deref(), Some("available"));

    let down = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    assert!(down.contains("- cluster life-dwh is gone"), "{down}");
    assert!(
        down.contains("- removed ingress rule tcp 5439 from 203.0.113.7/32"),
        "{down}"
    );
    assert!(
        down.contains(&format!(
            "- deleted security group sparkify-life-dwh ({group_id})"
        )),
        "{down}"
    );
    assert!(down.contains("- deleted IAM role lifeRole"), "{down}");
    assert_eq!(sdk.cluster_status("life-dwh"), None);
    assert!(!sdk.role_exists("lifeRole"));
    assert!(sdk.group("sparkify-life-dwh").is_none());
    // What up wrote into dwh.cfg about them is gone too, the rest of the file kept.
    assert!(
        down.contains(
            "- removed [CLUSTER] HOST, [CLUSTER] DB_PASSWORD, [IAM_ROLE] ARN from dwh.cfg \
             (written by `infra up`)\nDone: 4 resource(s) removed."
        ),
        "{down}"
    );
    let left = sparkify::config::Ini::load(&cfg).unwrap();
    assert_eq!(left.get("CLUSTER", "HOST"), None);
    assert_eq!(left.get("CLUSTER", "DB_PASSWORD"), None);
    assert_eq!(left.get("IAM_ROLE", "ARN"), None);
    let text_left = std::fs::read_to_string(&cfg).unwrap();
    assert!(!text_left.contains(password), "{text_left}");
    assert!(
        text_left.starts_with("# Sparkify warehouse (comment kept by sparkify)\n[CLUSTER]\n"),
        "{text_left}"
    );
    assert!(
        !text_left.contains(sparkify::config::GENERATED_MARK),
        "{text_left}"
    );

    // down again (nothing left) is fine and says so.
    let again = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    assert!(again.contains("No changes"), "{again}");
    let status = ok(&sparkify(tmp.path(), &env, &["infra", "status"]));
    assert!(status.contains("No cluster life-dwh"), "{status}");
}

#[test]
fn up_continues_a_half_finished_run_and_accepts_an_existing_rule() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let sdk = sdk(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    seed_config(tmp.path(), "half-dwh", "halfRole");
    // A run that stopped after creating the role (before its policy) and the group, and an
    // ingress rule someone already added by hand to that group.
    sdk.create_role("halfRole", helpers::OLD_TRUST, true, &[]);
    sdk.create_group("sparkify-half-dwh", true);
    sdk.allow("sparkify-half-dwh", "198.51.100.9/32", None);
    let up = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", "198.51.100.9/32"],
    ));
    assert!(up.contains("= IAM role halfRole exists"), "{up}");
    assert!(
        up.contains(
            "~ replaced the trust policy of halfRole: trusted by redshift.amazonaws.com only"
        ),
        "{up}"
    );
    assert!(
        up.contains("+ put inline policy sparkify-s3-read on halfRole: s3:GetObject on"),
        "{up}"
    );
    assert!(
        up.contains("= security group sparkify-half-dwh exists"),
        "{up}"
    );
    assert!(up.contains("+ creating Redshift cluster half-dwh"), "{up}");
    assert!(
        up.contains("= ingress rule tcp 5439 from 198.51.100.9/32 exists"),
        "{up}"
    );
    assert_eq!(sdk.cluster_status("half-dwh").as_deref(), Some("available"));
    let down = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    // The hand-made rule has no sparkify description: it is not revoked on its own, but goes
    // with sparkify's group.
    assert!(!down.contains("removed ingress rule"), "{down}");
    assert!(
        down.contains("- deleted security group sparkify-half-dwh"),
        "{down}"
    );
    assert!(down.contains("- deleted IAM role halfRole"), "{down}");
}

#[test]
fn down_touches_only_what_sparkify_created() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let sdk = sdk(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    seed_config(tmp.path(), "foreign-dwh", "foreignRole");
    sdk.create_cluster("foreign-dwh", None, false);
    let out = sparkify(tmp.path(), &env, &["infra", "down", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("not created by sparkify"),
        "{}",
        text(&out).1
    );
    assert_eq!(
        sdk.cluster_status("foreign-dwh").as_deref(),
        Some("available")
    );
}

#[test]
fn unsafe_or_impossible_requests_are_refused_with_clear_messages() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    seed_config(tmp.path(), "safe-dwh", "safeRole");

    let anywhere = sparkify(tmp.path(), &env, &["infra", "up", "--cidr", "0.0.0.0/0"]);
    assert_eq!(anywhere.status.code(), Some(2));
    assert!(text(&anywhere).1.contains("--allow-anywhere"));

    let no_cidr = sparkify(tmp.path(), &env, &["infra", "up"]);
    assert_eq!(no_cidr.status.code(), Some(2));
    assert!(text(&no_cidr).1.contains("--cidr"), "{}", text(&no_cidr).1);

    let no_creds: Vec<(&str, String)> = env
        .iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS_KEY_ID") && !k.starts_with("AWS_SECRET"))
        .cloned()
        .collect();
    let out = sparkify(tmp.path(), &no_creds, &["infra", "status"]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("no AWS credentials found"),
        "{}",
        text(&out).1
    );

    let nothing = sparkify(tmp.path(), &env, &["infra", "pause"]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(text(&nothing).1.contains("there is no cluster safe-dwh"));
}

#[test]
fn the_course_template_layout_and_static_keys_work_with_a_warning() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("dwh.cfg"),
        "[AWS]\nKEY=test\nSECRET=test-secret-value\n\n[DWH]\nDWH_CLUSTER_TYPE=single-node\n\
         DWH_NUM_NODES=1\nDWH_NODE_TYPE=ra3.xlplus\nDWH_CLUSTER_IDENTIFIER=template-dwh\n\
         DWH_DB=dwh\nDWH_DB_USER=dwhuser\nDWH_DB_PASSWORD=Passw0rd\nDWH_PORT=5439\n\
         DWH_IAM_ROLE_NAME=templateRole\n",
    )
    .unwrap();
    let out = sparkify(tmp.path(), &env, &["infra", "up", "--cidr", "192.0.2.1/32"]);
    let stdout = ok(&out);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("prefer an AWS profile"), "{stderr}");
    // No [S3] sources: the role can read nothing, and `up` says so.
    assert!(
        stderr.contains("warning: no s3:// source is configured"),
        "{stderr}"
    );
    assert!(!stdout.contains("test-secret-value") && !stderr.contains("test-secret-value"));
    assert!(!stdout.contains("Passw0rd") && !stderr.contains("Passw0rd"));
    let ini = sparkify::config::Ini::load(&tmp.path().join("dwh.cfg")).unwrap();
    assert!(
        ini.get("DWH", "DWH_ENDPOINT")
            .is_some_and(|h| h.starts_with("template-dwh."))
    );
    assert!(
        ini.get("DWH", "DWH_ROLE_ARN")
            .is_some_and(|a| a.ends_with(":role/templateRole"))
    );
    ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
}

#[test]
fn down_finishes_what_an_interrupted_down_left() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let sdk = sdk(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = seed_config(tmp.path(), "cut-dwh", "cutRole");
    // A dwh.cfg from before DC2 was deprecated: `up` goes on, but says so.
    let text_before = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text_before.replace("ra3.large", "dc2.large")).unwrap();
    let up = sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", "192.0.2.77/32"],
    );
    ok(&up);
    let stderr = text(&up).1;
    assert!(
        stderr.contains("warning: node type dc2.large is deprecated"),
        "{stderr}"
    );
    // A `down` stopped right after the cluster was deleted: the rule and the role remain.
    sdk.rt.block_on(async {
        sdk.redshift
            .delete_cluster()
            .cluster_identifier("cut-dwh")
            .skip_final_cluster_snapshot(true)
            .send()
            .await
            .unwrap();
    });
    let down = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    assert!(down.contains("= cluster cut-dwh does not exist"), "{down}");
    assert!(
        down.contains("- removed ingress rule tcp 5439 from 192.0.2.77/32"),
        "{down}"
    );
    assert!(
        down.contains("- deleted security group sparkify-cut-dwh"),
        "{down}"
    );
    assert!(down.contains("- deleted IAM role cutRole"), "{down}");
    assert!(sdk.group("sparkify-cut-dwh").is_none());
}

#[test]
fn down_keeps_a_role_another_cluster_still_uses_and_a_password_the_user_chose() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let sdk = sdk(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = seed_config(tmp.path(), "shared-dwh", "sharedRole");
    let mut text_cfg = std::fs::read_to_string(&cfg).unwrap();
    text_cfg = text_cfg.replace("HOST=\n", "HOST=\nDB_PASSWORD=Chosen12345\n");
    std::fs::write(&cfg, text_cfg).unwrap();
    ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", "203.0.113.7/32"],
    ));
    let arn = sparkify::config::Ini::load(&cfg)
        .unwrap()
        .get("IAM_ROLE", "ARN")
        .unwrap()
        .to_string();
    // A second cluster, made by hand, reads S3 with the same role.
    sdk.create_cluster("other-dwh", Some(&arn), false);
    let down = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    assert!(
        down.contains("= IAM role sharedRole is still used by cluster other-dwh: kept"),
        "{down}"
    );
    assert!(sdk.role_exists("sharedRole"));
    assert_eq!(sdk.role("sharedRole").inline, ["sparkify-s3-read"]);
    assert_eq!(sdk.cluster_status("shared-dwh"), None);
    // The role's ARN stays (the role does); the user's own password stays; the host goes.
    let left = sparkify::config::Ini::load(&cfg).unwrap();
    assert_eq!(left.get("IAM_ROLE", "ARN"), Some(arn.as_str()));
    assert_eq!(left.get("CLUSTER", "DB_PASSWORD"), Some("Chosen12345"));
    assert_eq!(left.get("CLUSTER", "HOST"), None);
}
