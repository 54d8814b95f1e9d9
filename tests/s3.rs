//! S3 sources against a real S3-compatible server (moto on 127.0.0.1): COPY's prefix rule,
//! manifests, unsigned requests, and incremental loads that never load an object twice.

mod common;
// Only the AWS tests build the moto helpers (and the SDK code they pull in).
#[path = "common/moto.rs"]
mod moto;
#[path = "common/proxy.rs"]
mod proxy;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use moto::Moto;
use sparkify::warehouse::duckdb::DuckDb;

const STAR: [&str; 7] = [
    "staging_events",
    "staging_songs",
    "songplays",
    "users",
    "songs",
    "artists",
    "time",
];

/// `sparkify ARGS` in `cwd` with `env` (the moto server's) and none of the developer's settings.
fn sparkify(cwd: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    common::sparkify()
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .output()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn open(path: &Path) -> DuckDb {
    DuckDb::open(path).unwrap()
}

fn events_dir() -> PathBuf {
    sample_dir().join("log_data/2018/11")
}

/// The sample's 30 daily log files, in day order.
fn log_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 30);
    files
}

fn upload_logs(m: &Moto, bucket: &str, files: &[PathBuf]) {
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy();
        m.put(
            bucket,
            &format!("log_data/2018/11/{name}"),
            std::fs::read(f).unwrap(),
        );
    }
}

fn upload_catalogue(m: &Moto, bucket: &str) {
    m.upload_dir(bucket, "song_data", &sample_dir().join("song_data"));
    m.put(
        bucket,
        "log_json_path.json",
        std::fs::read(sample_dir().join("log_json_path.json")).unwrap(),
    );
}

fn s3_args(bucket: &str, warehouse: &Path) -> Vec<String> {
    vec![
        "--warehouse".into(),
        format!("duckdb:{}", warehouse.display()),
        "--songs".into(),
        format!("s3://{bucket}/song_data"),
        "--events".into(),
        format!("s3://{bucket}/log_data"),
        "--jsonpaths".into(),
        format!("s3://{bucket}/log_json_path.json"),
    ]
}

fn run_args<'a>(command: &'a str, args: &'a [String], extra: &'a [&'a str]) -> Vec<&'a str> {
    let mut v = vec![command];
    v.extend(args.iter().map(String::as_str));
    v.extend(extra);
    v
}

#[test]
fn the_sample_loads_from_s3_exactly_as_from_the_local_folder() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    m.create_bucket("sample");
    upload_catalogue(m, "sample");
    upload_logs(m, "sample", &log_files());

    let tmp = tempfile::tempdir().unwrap();
    let from_s3 = tmp.path().join("s3.duckdb");
    let args = s3_args("sample", &from_s3);
    let out = ok(&sparkify(tmp.path(), &env, &run_args("run", &args, &[])));
    assert!(out.contains("All 61 checks passed"), "{out}");

    let local = tmp.path().join("local.duckdb");
    let mut wh = open(&local);
    build(&mut wh, &sample_dir());
    let mut s3 = open(&from_s3);
    assert_sample_counts(&mut s3);
    for table in STAR {
        assert_eq!(dump(&mut s3, table), dump(&mut wh, table), "{table}");
    }
    // The ledger names the objects, with their ETags.
    let etags = count(
        &mut s3,
        "SELECT COUNT(*) FROM load_ledger WHERE file LIKE 's3://sample/%' AND version LIKE 'etag:%'",
    );
    assert_eq!(etags, 101);
}

/// Two lines of the first day's log, re-serialised as NDJSON.
fn some_events(n: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(&log_files()[0]).unwrap();
    let mut out = String::new();
    for line in text.lines().take(n) {
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

#[test]
fn a_prefix_matches_keys_as_copy_does_including_sibling_folders() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    m.create_bucket("prefixes");
    upload_catalogue(m, "prefixes");
    m.put("prefixes", "log_data/2018/11/a.json", some_events(2));
    m.put("prefixes", "log_data/2018/12/b.json", some_events(3));
    m.put("prefixes", "log_data_old/c.json", some_events(4));
    m.put("prefixes", "log_data/2018/", Vec::new()); // a "folder" marker
    m.put("prefixes", "log_data/2018/11/.part-0.crc", b"junk".to_vec());
    m.put("prefixes", "other/d.json", some_events(5));

    let tmp = tempfile::tempdir().unwrap();
    let count_events = |prefix: &str, name: &str| {
        let wh_path = tmp.path().join(name);
        let mut args = s3_args("prefixes", &wh_path);
        args[5] = format!("s3://prefixes/{prefix}");
        let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
        ok(&out);
        let mut wh = open(&wh_path);
        (
            count(&mut wh, "SELECT COUNT(*) FROM staging_events"),
            count(
                &mut wh,
                "SELECT COUNT(*) FROM load_ledger WHERE table_name = 'staging_events'",
            ),
            stderr(&out),
        )
    };
    // `log_data` also reads `log_data_old/`, exactly as Redshift COPY does; the folder
    // marker and the hidden file are passed over.
    let (rows, files, _) = count_events("log_data", "a.duckdb");
    assert_eq!((rows, files), (2 + 3 + 4, 3));
    // A nested prefix that ends mid-name.
    let (rows, files, _) = count_events("log_data/2018/1", "b.duckdb");
    assert_eq!((rows, files), (2 + 3, 2));
    let (rows, files, _) = count_events("log_data/", "c.duckdb");
    assert_eq!((rows, files), (2 + 3, 2));
    // Nothing matching is an error, as COPY fails on an empty prefix.
    let wh_path = tmp.path().join("d.duckdb");
    let mut args = s3_args("prefixes", &wh_path);
    args[5] = "s3://prefixes/nothing_here".into();
    let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no files to load"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_manifest_loads_exactly_its_entries_and_a_missing_mandatory_one_fails() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    m.create_bucket("manifests");
    upload_catalogue(m, "manifests");
    m.put("manifests", "log_data/a.json", some_events(2));
    m.put("manifests", "log_data/b.json", some_events(3));
    m.put("manifests", "log_data/c.json", some_events(4));
    m.put(
        "manifests",
        "events.manifest",
        br#"{"entries": [
            {"url": "s3://manifests/log_data/a.json", "mandatory": true},
            {"url": "s3://manifests/log_data/c.json", "mandatory": true},
            {"url": "s3://manifests/log_data/late.json", "mandatory": false}
        ]}"#
        .to_vec(),
    );
    m.put(
        "manifests",
        "strict.manifest",
        br#"{"entries": [
            {"url": "s3://manifests/log_data/a.json", "mandatory": true},
            {"url": "s3://manifests/log_data/late.json", "mandatory": true}
        ]}"#
        .to_vec(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let wh_path = tmp.path().join("w.duckdb");
    let mut args = s3_args("manifests", &wh_path);
    args[5] = "s3://manifests/events.manifest".into();
    let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
    ok(&out);
    assert!(
        stderr(&out).contains("late.json: listed in the manifest as optional"),
        "{}",
        stderr(&out)
    );
    let mut wh = open(&wh_path);
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM staging_events"), 6);
    drop(wh);

    let strict = tmp.path().join("strict.duckdb");
    let mut args = s3_args("manifests", &strict);
    args[5] = "s3://manifests/strict.manifest".into();
    let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("mandatory entry s3://manifests/log_data/late.json does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn days_1_to_15_then_1_to_30_equal_one_load_of_30_days() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    m.create_bucket("daily");
    upload_catalogue(m, "daily");
    let logs = log_files();
    upload_logs(m, "daily", &logs[..15]);

    let tmp = tempfile::tempdir().unwrap();
    let incremental = tmp.path().join("inc.duckdb");
    let args = s3_args("daily", &incremental);
    let first = ok(&sparkify(tmp.path(), &env, &run_args("etl", &args, &[])));
    assert!(first.contains("15 files"), "{first}");

    upload_logs(m, "daily", &logs[15..]);
    let second = ok(&sparkify(tmp.path(), &env, &run_args("etl", &args, &[])));
    let events_line = second
        .lines()
        .find(|l| l.starts_with("stage staging_events"))
        .unwrap();
    assert!(
        events_line.contains("15 files") && events_line.contains("15 already loaded, skipped"),
        "{second}"
    );
    let songs_line = second
        .lines()
        .find(|l| l.starts_with("stage staging_songs"))
        .unwrap();
    assert!(
        songs_line.contains(" 0 files") && songs_line.contains("71 already loaded, skipped"),
        "{second}"
    );
    // A third run finds nothing new and changes nothing.
    let before: Vec<Vec<String>> = {
        let mut wh = open(&incremental);
        STAR.iter().map(|t| dump(&mut wh, t)).collect()
    };
    ok(&sparkify(tmp.path(), &env, &run_args("etl", &args, &[])));

    let single = tmp.path().join("single.duckdb");
    ok(&sparkify(
        tmp.path(),
        &env,
        &run_args("etl", &s3_args("daily", &single), &[]),
    ));
    // The reconciliation checks hold over loads made in two steps.
    let checked = ok(&sparkify(
        tmp.path(),
        &env,
        &[
            "check",
            "--warehouse",
            &format!("duckdb:{}", incremental.display()),
        ],
    ));
    // (`ok` above: exit code 0, so every check passed.)
    assert!(checked.contains("ok   songplays"), "{checked}");
    let mut inc = open(&incremental);
    let mut one = open(&single);
    assert_sample_counts(&mut inc);
    for (i, table) in STAR.iter().enumerate() {
        let rows = dump(&mut inc, table);
        assert_eq!(rows, dump(&mut one, table), "{table}");
        assert_eq!(rows, before[i], "{table} changed on a run with nothing new");
    }
}

#[test]
fn a_changed_object_is_reported_and_reloaded_only_when_asked_never_twice() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    m.create_bucket("changes");
    upload_catalogue(m, "changes");
    m.put("changes", "log_data/a.json", some_events(5));
    m.put("changes", "log_data/b.json", some_events(3));

    let tmp = tempfile::tempdir().unwrap();
    let wh_path = tmp.path().join("w.duckdb");
    let args = s3_args("changes", &wh_path);
    ok(&sparkify(tmp.path(), &env, &run_args("etl", &args, &[])));
    let staged = |wh_path: &Path| {
        let mut wh = open(wh_path);
        (
            count(&mut wh, "SELECT COUNT(*) FROM staging_events"),
            count(
                &mut wh,
                "SELECT COUNT(*) FROM load_ledger WHERE table_name = 'staging_events'",
            ),
        )
    };
    assert_eq!(staged(&wh_path), (8, 2));

    // The same key, new content (and so a new ETag).
    m.put("changes", "log_data/a.json", some_events(2));
    let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
    let stdout = ok(&out);
    assert!(stdout.contains("1 changed, left as loaded"), "{stdout}");
    assert!(
        stderr(&out).contains("--reload-changed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(staged(&wh_path), (8, 2));

    let out = sparkify(
        tmp.path(),
        &env,
        &run_args("etl", &args, &["--reload-changed"]),
    );
    ok(&out);
    assert_eq!(staged(&wh_path), (2 + 3, 2));

    // --full-refresh loads exactly what the source lists now.
    m.delete("changes", "log_data/b.json");
    let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
    ok(&out);
    assert!(
        stderr(&out).contains("no longer listed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(staged(&wh_path), (5, 2));
    ok(&sparkify(
        tmp.path(),
        &env,
        &run_args("etl", &args, &["--full-refresh"]),
    ));
    assert_eq!(staged(&wh_path), (2, 1));
}

#[test]
fn without_credentials_requests_go_unsigned_and_bad_buckets_are_named() {
    let m = moto::server();
    m.create_bucket("public");
    upload_catalogue(m, "public");
    m.put("public", "log_data/a.json", some_events(4));
    // Like the seed's udacity-dend: anyone may list and read.
    m.make_public("public");
    let env: Vec<(&str, String)> = moto::env(&m.endpoint)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS_KEY_ID") && !k.starts_with("AWS_SECRET"))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let wh_path = tmp.path().join("w.duckdb");
    let args = s3_args("public", &wh_path);
    let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
    ok(&out);
    assert!(
        stderr(&out).contains("unsigned requests"),
        "{}",
        stderr(&out)
    );
    let mut wh = open(&wh_path);
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM staging_events"), 4);

    // A bucket that does not exist is named as such, for data (exit 1) and for the JSONPaths
    // file (exit 2, a configuration error).
    let env = moto::env(&m.endpoint);
    let mut args = s3_args("public", &tmp.path().join("x.duckdb"));
    args[3] = "s3://no-such-bucket/song_data".into();
    let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("s3://no-such-bucket/song_data: cannot list: no such bucket"),
        "{}",
        stderr(&out)
    );
    let args = s3_args("no-such-bucket", &tmp.path().join("y.duckdb"));
    let out = sparkify(tmp.path(), &env, &run_args("etl", &args, &[]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no such bucket"), "{}", stderr(&out));
}

/// A loopback proxy in front of moto that answers the first `fail_first` GETs of objects under
/// `log_data/` with `status` (S3's own throttling or server-error reply) and passes everything
/// else through. moto itself cannot be made to throttle.
fn failing_proxy(upstream: &str, status: u16, fail_first: usize) -> (String, Arc<AtomicUsize>) {
    let log_data_get: proxy::Matcher = Arc::new(|head, _body| {
        let first = head.lines().next().unwrap_or_default();
        first.starts_with("GET ") && first.contains("/log_data/")
    });
    proxy::injecting_when(upstream, log_data_get, fail_first, proxy::s3_error(status))
}

#[test]
fn throttled_and_failing_requests_are_retried_then_reported() {
    let m = moto::server();
    m.create_bucket("flaky");
    upload_catalogue(m, "flaky");
    m.put("flaky", "log_data/a.json", some_events(3));
    m.put("flaky", "log_data/b.json", some_events(2));
    let tmp = tempfile::tempdir().unwrap();

    // Three "SlowDown" answers: the SDK's standard retry (5 attempts, backoff) gets through.
    let (endpoint, injected) = failing_proxy(&m.endpoint, 503, 3);
    let env = moto::env(&endpoint);
    let wh_path = tmp.path().join("w.duckdb");
    ok(&sparkify(
        tmp.path(),
        &env,
        &run_args("etl", &s3_args("flaky", &wh_path), &[]),
    ));
    // Exactly the three refused GETs, then one that succeeds for each of the two objects: a
    // retry that read an object twice, or skipped one, would show here.
    assert_eq!(injected.load(Ordering::SeqCst), 5);
    let mut wh = open(&wh_path);
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM staging_events"), 5);
    drop(wh);

    // A server that keeps failing: a clear error after the retries, nothing loaded.
    let (endpoint, _) = failing_proxy(&m.endpoint, 500, usize::MAX);
    let env = moto::env(&endpoint);
    let wh_path = tmp.path().join("x.duckdb");
    let out = sparkify(
        tmp.path(),
        &env,
        &run_args("etl", &s3_args("flaky", &wh_path), &[]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot read: InternalError"),
        "{}",
        stderr(&out)
    );
}

/// A ListObjectsV2 answer naming `keys`, as S3 gives it.
fn listing_of(bucket: &str, prefix: &str, keys: &[&str]) -> String {
    let contents: String = keys
        .iter()
        .map(|k| {
            format!(
                "<Contents><Key>{k}</Key><LastModified>2026-12-02T00:00:00.000Z</LastModified>\
                 <ETag>&quot;0&quot;</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass>\
                 </Contents>"
            )
        })
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult \
         xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{bucket}</Name>\
         <Prefix>{prefix}</Prefix><KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys>\
         <IsTruncated>false</IsTruncated>{contents}</ListBucketResult>",
        keys.len()
    );
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{xml}",
        xml.len()
    )
}

#[test]
fn a_listing_that_names_a_key_outside_the_prefix_is_an_error_not_a_panic() {
    let m = moto::server();
    m.create_bucket("outside");
    upload_catalogue(m, "outside");
    m.put("outside", "x/log/a.json", some_events(2));
    // The events prefix `x/log` has its folder at byte 2, inside the `é` of `aé.json`: slicing
    // the listed key there panicked. Only the listing of that prefix is answered by the proxy.
    let list_events: proxy::Matcher = Arc::new(|head, _body| {
        let first = head.lines().next().unwrap_or_default();
        first.starts_with("GET ") && first.contains("list-type=2") && first.contains("x%2Flog")
    });
    let (endpoint, answered) = proxy::injecting_when(
        &m.endpoint,
        list_events,
        usize::MAX,
        listing_of("outside", "x/log", &["x/log/a.json", "aé.json"]),
    );
    let tmp = tempfile::tempdir().unwrap();
    let wh_path = tmp.path().join("w.duckdb");
    let mut args = s3_args("outside", &wh_path);
    args[5] = "s3://outside/x/log".into();
    let out = sparkify(
        tmp.path(),
        &moto::env(&endpoint),
        &run_args("etl", &args, &[]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("s3://outside/aé.json, which is not under the prefix"),
        "{}",
        stderr(&out)
    );
    assert_eq!(answered.load(Ordering::SeqCst), 1);
}
