//! `infra up` right after `CreateRole`: real Redshift may not see the new role yet and refuses
//! `CreateCluster` with `InvalidParameterValue: The IAM role <arn> is not valid. ...`. moto
//! never does, so a loopback proxy in front of it answers the first `CreateCluster` calls so;
//! `up` must wait (saying so) and go on. Any other refusal must not be retried.

mod common;
#[path = "common/infra.rs"]
mod helpers;
#[path = "common/moto.rs"]
mod moto;
#[path = "common/proxy.rs"]
mod proxy;

use std::sync::atomic::Ordering;

use common::{ok, text};
use helpers::{ACCOUNT, sdk, seed_config, sparkify};

const CIDR: &str = "203.0.113.7/32";
const CREATE_CLUSTER: &str = "Action=CreateCluster&";

fn not_valid(role: &str) -> String {
    proxy::query_error(
        "InvalidParameterValue",
        &format!(
            "The IAM role arn:aws:iam::{ACCOUNT}:role/{role} is not valid. The IAM role must \
             delegate access to an Amazon Redshift account."
        ),
    )
}

/// moto's environment pointed at `endpoint`, with short IAM retry waits.
fn env(endpoint: &str) -> Vec<(&'static str, String)> {
    let mut env = moto::env(endpoint);
    env.push(("SPARKIFY_IAM_RETRY_SECONDS", "0.05".into()));
    env
}

#[test]
fn a_role_redshift_cannot_see_yet_is_waited_for() {
    let m = moto::server();
    let (endpoint, calls) =
        proxy::injecting(&m.endpoint, CREATE_CLUSTER, 2, not_valid("iamRetryRole"));
    let tmp = tempfile::tempdir().unwrap();
    seed_config(tmp.path(), "iam-retry-dwh", "iamRetryRole");
    let start = std::time::Instant::now();
    let up = sparkify(
        tmp.path(),
        &env(&endpoint),
        &["infra", "up", "--cidr", CIDR],
    );
    let elapsed = start.elapsed();
    let (stdout, stderr) = text(&up);
    ok(&up);
    eprintln!("up with 2 refusals took {elapsed:?}:\n{stderr}");
    assert!(
        stdout.contains("+ creating Redshift cluster iam-retry-dwh"),
        "{stdout}"
    );
    for n in ["1 of 6", "2 of 6"] {
        assert!(
            stderr.contains(&format!(
                "may still be propagating: retrying CreateCluster in {} ({n})",
                if n.starts_with('1') {
                    "0.05 s"
                } else {
                    "0.10 s"
                }
            )),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("InvalidParameterValue: The IAM role"),
        "{stderr}"
    );
    assert!(!stderr.contains("3 of 6"), "{stderr}");
    // up looks up the source buckets' region too; moto has no udacity-dend.
    assert!(
        stdout
            .contains("note: the region of bucket udacity-dend (events, songs and JSONPaths file)")
            && stdout.contains("could not be looked up (no such bucket)"),
        "{stdout}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        sdk(&m.endpoint).cluster_status("iam-retry-dwh").as_deref(),
        Some("available")
    );
}

#[test]
fn other_refusals_are_not_retried() {
    let m = moto::server();
    let cases = [
        (
            "iam-other-dwh",
            proxy::query_error("InvalidParameterValue", "Invalid node type: ra3.large"),
        ),
        (
            "iam-unauth-dwh",
            proxy::query_error(
                "UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            ),
        ),
    ];
    for (id, answer) in cases {
        let (endpoint, calls) = proxy::injecting(&m.endpoint, CREATE_CLUSTER, usize::MAX, answer);
        let tmp = tempfile::tempdir().unwrap();
        seed_config(tmp.path(), id, &format!("{id}-role"));
        let up = sparkify(
            tmp.path(),
            &env(&endpoint),
            &["infra", "up", "--cidr", CIDR],
        );
        let (_, stderr) = text(&up);
        assert_eq!(up.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("redshift:CreateCluster {id} failed")),
            "{stderr}"
        );
        assert!(!stderr.contains("propagating"), "{stderr}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{stderr}");
        assert_eq!(sdk(&m.endpoint).cluster_status(id), None);
    }
}
