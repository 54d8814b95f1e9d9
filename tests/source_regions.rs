//! Source buckets in another region than the cluster: `infra plan` and
//! `run --warehouse redshift --dry-run` look each bucket's region up (moto's S3 keeps the
//! LocationConstraint it was created with), say what crossing regions costs, and the COPY
//! carries the bucket's REGION; a bucket that cannot be looked up is a note, not an error.

mod common;
#[path = "common/infra.rs"]
mod helpers;
#[path = "common/moto.rs"]
mod moto;

use common::{ok, text};
use helpers::sparkify;

/// A dwh.cfg for a cluster in moto's us-west-2 reading events (and their JSONPaths file)
/// from `events_bucket` and songs from `songs_bucket`.
fn config(dir: &std::path::Path, events_bucket: &str, songs_bucket: &str) {
    std::fs::write(
        dir.join("dwh.cfg"),
        format!(
            "[CLUSTER]\nCLUSTER_IDENTIFIER=regions-dwh\nHOST=regions-dwh.example.us-west-2.\
             redshift.amazonaws.com\nDB_NAME=sparkify\nDB_USER=awsuser\nDB_PASSWORD=Pw123456789\n\
             DWH_PORT=5439\nDWH_IAM_ROLE_NAME=regionsRole\n\n[IAM_ROLE]\n\
             ARN=arn:aws:iam::123456789012:role/regionsRole\n\n[S3]\n\
             LOG_DATA=s3://{events_bucket}/log_data\n\
             LOG_JSONPATH=s3://{events_bucket}/log_json_path.json\n\
             SONG_DATA=s3://{songs_bucket}/song_data\n"
        ),
    )
    .unwrap();
}

const CROSS: &str = "note: the events and JSONPaths file in s3://regions-eu are in eu-west-1, \
                     the cluster in us-west-2: the COPY carries REGION 'eu-west-1'. Data \
                     transfer between regions is billed per GB and the COPY is slower";

#[test]
fn a_bucket_in_another_region_is_noted_and_its_copy_carries_its_region() {
    let m = moto::server();
    m.create_bucket_in("regions-eu", "eu-west-1");
    m.create_bucket("regions-here");
    let env = moto::env(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    config(tmp.path(), "regions-eu", "regions-here");

    let plan = sparkify(
        tmp.path(),
        &env,
        &["infra", "plan", "--cidr", "203.0.113.7/32"],
    );
    let plan = ok(&plan);
    assert!(plan.contains(CROSS), "{plan}");
    assert!(!plan.contains("regions-here are in"), "{plan}");

    let dry = sparkify(
        tmp.path(),
        &env,
        &["--warehouse", "redshift", "run", "--dry-run"],
    );
    let (stdout, stderr) = text(&dry);
    ok(&dry);
    assert!(stderr.contains(CROSS), "{stderr}");
    assert!(
        stdout.contains(
            "COPY staging_events\nFROM 's3://regions-eu/log_data'\n\
             IAM_ROLE 'arn:aws:iam::123456789012:role/regionsRole'\nREGION 'eu-west-1'\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "COPY staging_songs\nFROM 's3://regions-here/song_data'\n\
             IAM_ROLE 'arn:aws:iam::123456789012:role/regionsRole'\nREGION 'us-west-2'\n"
        ),
        "{stdout}"
    );
}

#[test]
fn a_bucket_that_cannot_be_looked_up_is_a_note() {
    let m = moto::server();
    m.create_bucket("regions-songs-ok");
    let env = moto::env(&m.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    config(tmp.path(), "regions-no-such-bucket", "regions-songs-ok");
    let note = "note: the region of bucket regions-no-such-bucket (events and JSONPaths file) \
                could not be looked up (no such bucket); its COPY carries the configured \
                REGION 'us-west-2'";

    let plan = ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "plan", "--cidr", "203.0.113.7/32"],
    ));
    assert!(plan.contains(note), "{plan}");

    let dry = sparkify(
        tmp.path(),
        &env,
        &["--warehouse", "redshift", "run", "--dry-run"],
    );
    let (stdout, stderr) = text(&dry);
    ok(&dry);
    assert!(stderr.contains(note), "{stderr}");
    assert!(
        stdout.contains(
            "FROM 's3://regions-no-such-bucket/log_data'\nIAM_ROLE \
                         'arn:aws:iam::123456789012:role/regionsRole'\nREGION 'us-west-2'\n"
        ),
        "{stdout}"
    );
}
