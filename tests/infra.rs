//! `sparkify infra` against a real moto server on 127.0.0.1: the whole lifecycle, idempotency,
//! resuming a half-finished `up`, a duplicate ingress rule, and refusing what is unsafe.

mod common;
#[path = "common/moto.rs"]
mod moto;

use std::path::Path;
use std::process::Output;

use common::{ok, text};

/// `sparkify ARGS` in `cwd` with `env` (the moto server's), polling fast, and none of the
/// developer's settings (a `SPARKIFY_CIDR` or an `AWS_PROFILE` would change what `up` does).
fn sparkify(cwd: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    common::sparkify()
        .current_dir(cwd)
        .env("SPARKIFY_POLL_SECONDS", "0.05")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .output()
}

/// A seed-layout dwh.cfg for cluster `id` and role `role`, with no password (so `up` makes
/// one) and a comment that must survive the write-back.
fn seed_config(dir: &Path, id: &str, role: &str) -> std::path::PathBuf {
    let path = dir.join("dwh.cfg");
    std::fs::write(
        &path,
        format!(
            "# Sparkify warehouse (comment kept by sparkify)\n[CLUSTER]\nCLUSTER_IDENTIFIER={id}\n\
             CLUSTER_TYPE=multi-node\nNUM_NODES=2\nNODE_TYPE=ra3.large\nDB_NAME=sparkify\n\
             DB_USER=awsuser\nDWH_PORT=5439\nDWH_IAM_ROLE_NAME={role}\nHOST=\n\n[IAM_ROLE]\nARN=\n\n\
             [S3]\nLOG_DATA='s3://udacity-dend/log_data'\n"
        ),
    )
    .unwrap();
    path
}

/// AWS clients for setting up situations the tests need.
struct Sdk {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    redshift: aws_sdk_redshift::Client,
    ec2: aws_sdk_ec2::Client,
}

fn sdk(endpoint: &str) -> Sdk {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(sparkify::aws::http_client())
            .region(aws_config::Region::new("us-west-2"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load(),
    );
    Sdk {
        iam: aws_sdk_iam::Client::new(&config),
        redshift: aws_sdk_redshift::Client::new(&config),
        ec2: aws_sdk_ec2::Client::new(&config),
        rt,
    }
}

fn cluster_status(sdk: &Sdk, id: &str) -> Option<String> {
    sdk.rt.block_on(async {
        match sdk
            .redshift
            .describe_clusters()
            .cluster_identifier(id)
            .send()
            .await
        {
            Ok(out) => out
                .clusters()
                .first()
                .and_then(|c| c.cluster_status())
                .map(str::to_string),
            Err(_) => None,
        }
    })
}

fn role_exists(sdk: &Sdk, name: &str) -> bool {
    sdk.rt
        .block_on(sdk.iam.get_role().role_name(name).send())
        .is_ok()
}

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
    assert!(plan.contains("2 × ra3.large = $1.09/hour"), "{plan}");
    assert!(plan.contains("3 change(s)"), "{plan}");
    // plan changed nothing.
    assert!(!role_exists(&sdk, "lifeRole"));
    assert_eq!(cluster_status(&sdk, "life-dwh"), None);

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
        stdout.contains("+ allowed tcp 5439 from 203.0.113.7/32"),
        "{stdout}"
    );
    assert_eq!(
        cluster_status(&sdk, "life-dwh").as_deref(),
        Some("available")
    );

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
    assert_eq!(cluster_status(&sdk, "life-dwh").as_deref(), Some("paused"));
    let again = ok(&sparkify(tmp.path(), &env, &["infra", "pause"]));
    assert!(again.contains("already paused"), "{again}");
    ok(&sparkify(tmp.path(), &env, &["infra", "resume"]));
    assert_eq!(
        cluster_status(&sdk, "life-dwh").as_deref(),
        Some("available")
    );

    // down asks first; without a terminal it needs --yes.
    let refused = sparkify(tmp.path(), &env, &["infra", "down"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).1.contains("--yes"));
    assert_eq!(
        cluster_status(&sdk, "life-dwh").as_deref(),
        Some("available")
    );

    let down = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    assert!(down.contains("- cluster life-dwh is gone"), "{down}");
    assert!(
        down.contains("- removed ingress rule tcp 5439 from 203.0.113.7/32"),
        "{down}"
    );
    assert!(down.contains("- deleted IAM role lifeRole"), "{down}");
    assert_eq!(cluster_status(&sdk, "life-dwh"), None);
    assert!(!role_exists(&sdk, "lifeRole"));

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
    // A run that stopped after creating the role (and before the cluster), and an ingress rule
    // someone already added by hand.
    sdk.rt.block_on(async {
        sdk.iam
            .create_role()
            .role_name("halfRole")
            .assume_role_policy_document("{}")
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("managed-by")
                    .value("sparkify")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let vpcs = sdk
            .ec2
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("isDefault")
                    .values("true")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let vpc = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
        let groups = sdk
            .ec2
            .describe_security_groups()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("vpc-id")
                    .values(vpc)
                    .build(),
            )
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-name")
                    .values("default")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let group = groups.security_groups()[0].group_id().unwrap().to_string();
        sdk.ec2
            .authorize_security_group_ingress()
            .group_id(group)
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(5439)
                    .to_port(5439)
                    .ip_ranges(
                        aws_sdk_ec2::types::IpRange::builder()
                            .cidr_ip("198.51.100.9/32")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let up = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", "198.51.100.9/32"],
    ));
    assert!(up.contains("= IAM role halfRole exists"), "{up}");
    assert!(up.contains("+ attached AmazonS3ReadOnlyAccess"), "{up}");
    assert!(up.contains("+ creating Redshift cluster half-dwh"), "{up}");
    assert!(
        up.contains("= ingress rule tcp 5439 from 198.51.100.9/32 exists"),
        "{up}"
    );
    assert_eq!(
        cluster_status(&sdk, "half-dwh").as_deref(),
        Some("available")
    );
    let down = ok(&sparkify(tmp.path(), &env, &["infra", "down", "--yes"]));
    // The hand-made rule has no sparkify description: it stays.
    assert!(!down.contains("removed ingress rule"), "{down}");
    assert!(down.contains("- deleted IAM role halfRole"), "{down}");
}

#[test]
fn down_touches_only_what_sparkify_created() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let sdk = sdk(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    seed_config(tmp.path(), "foreign-dwh", "foreignRole");
    sdk.rt.block_on(async {
        sdk.redshift
            .create_cluster()
            .cluster_identifier("foreign-dwh")
            .cluster_type("single-node")
            .node_type("ra3.large")
            .master_username("admin")
            .master_user_password("Passw0rdPassw0rd")
            .send()
            .await
            .unwrap();
    });
    let out = sparkify(tmp.path(), &env, &["infra", "down", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("not created by sparkify"),
        "{}",
        text(&out).1
    );
    assert_eq!(
        cluster_status(&sdk, "foreign-dwh").as_deref(),
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
    assert!(down.contains("- deleted IAM role cutRole"), "{down}");
}
