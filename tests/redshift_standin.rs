//! The Redshift code path run for real against a stand-in, since no cluster is reachable here.
//!
//! The stand-in is a real PostgreSQL server behind a small wire-protocol proxy. `sparkify run
//! --warehouse redshift://...` connects to the proxy exactly as to a cluster and sends its
//! Redshift statements; the proxy passes every message through, except two it translates:
//! - the Redshift create script (DISTKEY, SORTKEY, IDENTITY: not PostgreSQL) becomes the
//!   PostgreSQL one, which declares the same columns (a unit test in `src/sql.rs` checks that);
//! - `COPY ... FROM 's3://...'` becomes a call of `standin_copy(statement, files)`, a PL/pgSQL
//!   function that records the statement, fills the staging table with the rows the test
//!   prepared for those files, and writes what Redshift would write into `sys_load_detail` and
//!   `sys_load_error_detail` under a new query id that `pg_last_copy_id()` then returns. For a
//!   `COPY ... MANIFEST` the proxy reads the manifest from moto's S3 and passes its URLs as
//!   `files`, so only the files it names are loaded, as on Redshift.
//!
//! What this proves: the COPY sparkify sends (captured verbatim), that it reads the load
//! history back through the SYS views of the COPY it just ran and fills `load_ledger` and
//! `load_errors` from them (bound parameters, through the extended protocol), the run lock,
//! the transforms and the checks, all in one transaction, through the same binary and
//! connection code as a real cluster. What it does not prove: that Redshift accepts the COPY
//! (its options are pinned by golden files and a Redshift SQL parser in `redshift_sql.rs`),
//! how Redshift counts lines in SYS_LOAD_DETAIL, IAM access to S3, TLS to a cluster, and
//! Redshift's serializable isolation under two concurrent runs.

mod common;
#[path = "common/moto.rs"]
mod moto;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::*;
use sparkify::copy::FormatSpec;
use sparkify::pipeline::create_script;
use sparkify::source::Source;
use sparkify::sql::Dialect;
use sparkify::warehouse::redshift::{CopyAuth, copy_statement};

const ROLE: &str = "arn:aws:iam::123456789012:role/sparkify-standin";
const BUCKET: &str = "s3://sparkify-standin";

/// Reads one message of the frontend protocol after startup: type byte and body.
fn read_message(from: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    from.read_exact(&mut head).ok()?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let mut body = vec![0u8; len.checked_sub(4)?];
    from.read_exact(&mut body).ok()?;
    Some((head[0], body))
}

fn write_message(to: &mut TcpStream, kind: u8, body: &[u8]) -> std::io::Result<()> {
    let mut out = vec![kind];
    out.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(body);
    to.write_all(&out)
}

/// What the proxy saw and how it translates.
struct Standin {
    /// Every simple-protocol statement the client sent, as sent.
    seen: Mutex<Vec<String>>,
    redshift_ddl: Vec<String>,
    postgres_ddl: Vec<String>,
    /// Where manifests are read from.
    s3: Option<&'static moto::Moto>,
}

impl Standin {
    fn new(s3: Option<&'static moto::Moto>) -> Arc<Standin> {
        Arc::new(Standin {
            seen: Mutex::new(Vec::new()),
            redshift_ddl: vec![
                create_script(Dialect::Redshift, false).unwrap(),
                create_script(Dialect::Redshift, true).unwrap(),
            ],
            postgres_ddl: vec![
                create_script(Dialect::Postgres, false).unwrap(),
                create_script(Dialect::Postgres, true).unwrap(),
            ],
            s3,
        })
    }

    fn translate(&self, sql: &str) -> String {
        if let Some(i) = self.redshift_ddl.iter().position(|d| d == sql) {
            return self.postgres_ddl[i].clone();
        }
        if sql.starts_with("COPY ") && sql.contains("\nFROM 's3://") {
            let files = if sql.contains("\nMANIFEST\n") {
                let from = sql.split("\nFROM 's3://").nth(1).unwrap();
                let (bucket, key) = from.split_once('\'').unwrap().0.split_once('/').unwrap();
                let manifest = self.s3.expect("moto for manifests").get(bucket, key);
                let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
                let urls: Vec<String> = manifest["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| format!("$u${}$u$", e["url"].as_str().unwrap()))
                    .collect();
                format!("ARRAY[{}]::TEXT[]", urls.join(", "))
            } else {
                "NULL".to_string()
            };
            return format!("SELECT standin_copy($standin${sql}$standin$, {files})");
        }
        sql.to_string()
    }
}

/// Starts the proxy in front of the PostgreSQL server at `upstream` (host:port); returns its
/// port.
fn start_proxy(upstream: String, standin: Arc<Standin>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let upstream = upstream.clone();
            let standin = standin.clone();
            std::thread::spawn(move || {
                let mut server = TcpStream::connect(&upstream).unwrap();
                // Startup message: length, then the rest, passed through as is.
                let mut len = [0u8; 4];
                if client.read_exact(&mut len).is_err() {
                    return;
                }
                let mut rest = vec![0u8; u32::from_be_bytes(len) as usize - 4];
                client.read_exact(&mut rest).unwrap();
                server.write_all(&len).unwrap();
                server.write_all(&rest).unwrap();
                let mut back_from = server.try_clone().unwrap();
                let mut back_to = client.try_clone().unwrap();
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut back_from, &mut back_to);
                    let _ = back_to.shutdown(std::net::Shutdown::Both);
                });
                while let Some((kind, body)) = read_message(&mut client) {
                    let body = if kind == b'Q' {
                        let sql = String::from_utf8_lossy(&body[..body.len() - 1]).into_owned();
                        standin.seen.lock().unwrap().push(sql.clone());
                        let mut out = standin.translate(&sql).into_bytes();
                        out.push(0);
                        out
                    } else {
                        body
                    };
                    if write_message(&mut server, kind, &body).is_err() {
                        break;
                    }
                }
                let _ = server.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    port
}

/// The tables and functions that stand in for Redshift's COPY and its SYS views. The test
/// fills `standin_rows_*` (the rows each file yields, by file; NULL for "every file"),
/// `standin_detail` and `standin_errors` from what sparkify's own loader read from the same
/// files.
const STANDIN_SQL: &str = r#"
CREATE TABLE standin_detail (table_name TEXT, file_name TEXT, lines_scanned INTEGER,
                             bytes_scanned BIGINT);
CREATE TABLE standin_errors (table_name TEXT, file_name TEXT, line_number BIGINT,
                             column_name TEXT, column_type TEXT, error_message TEXT);
CREATE TABLE sys_load_detail (query_id BIGINT, file_name CHAR(256), lines_scanned INTEGER,
                              bytes_scanned BIGINT);
CREATE TABLE sys_load_error_detail (query_id BIGINT, file_name CHAR(256), line_number BIGINT,
                                    column_name CHAR(127), column_type CHAR(10),
                                    error_code INTEGER, error_message CHAR(512));
CREATE TABLE standin_copies (query_id SERIAL, statement TEXT);
CREATE FUNCTION pg_last_copy_id() RETURNS BIGINT LANGUAGE sql
    AS $$ SELECT CAST(current_setting('standin.last_copy') AS BIGINT) $$;
CREATE FUNCTION standin_copy(statement TEXT, files TEXT[]) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    qid BIGINT;
    tbl TEXT := substring(statement FROM '^COPY (\w+)');
    -- An incremental run copies into the staging table's new-rows table.
    base TEXT := regexp_replace(tbl, '_new$', '');
    cols TEXT;
BEGIN
    INSERT INTO standin_copies (statement) VALUES (statement) RETURNING query_id INTO qid;
    SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
    FROM information_schema.columns
    WHERE table_name = tbl AND table_schema = current_schema();
    EXECUTE format('INSERT INTO %I SELECT %s FROM %I WHERE $1 IS NULL OR standin_file = ANY($1)',
                   tbl, cols, 'standin_rows_' || base) USING files;
    INSERT INTO sys_load_detail
        SELECT qid, file_name, lines_scanned, bytes_scanned FROM standin_detail
        WHERE table_name = base AND (files IS NULL OR file_name = ANY(files));
    INSERT INTO sys_load_error_detail
        SELECT qid, file_name, line_number, column_name, column_type, 1214, error_message
        FROM standin_errors
        WHERE table_name = base AND (files IS NULL OR file_name = ANY(files));
    PERFORM set_config('standin.last_copy', CAST(qid AS TEXT), false);
    RETURN qid;
END $$;
"#;

/// Records what sparkify's loader staged from local `root` as the stand-in's answer for the
/// same files under `bucket`; with `by_file`, each row is tagged with its file (the caller
/// staged one file at a time) and appended.
fn record_reference(
    client: &mut postgres::Client,
    root: &str,
    bucket: &str,
    by_file: Option<&str>,
) {
    let file: Option<String> = by_file.map(|f| f.replace(root, bucket));
    for t in ["staging_events", "staging_songs"] {
        let exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = $1)",
                &[&format!("standin_rows_{t}")],
            )
            .unwrap()
            .get(0);
        if !exists {
            client
                .batch_execute(&format!(
                    "CREATE TABLE standin_rows_{t} AS SELECT CAST(NULL AS TEXT) AS standin_file, * FROM {t} WHERE false"
                ))
                .unwrap();
        }
        client
            .execute(
                &format!("INSERT INTO standin_rows_{t} SELECT CAST($1 AS TEXT), * FROM {t}"),
                &[&file],
            )
            .unwrap();
    }
    client
        .execute(
            "INSERT INTO standin_detail SELECT table_name, replace(file, $1, $2), rows_read, \
             size_bytes FROM load_ledger",
            &[&root, &bucket],
        )
        .unwrap();
    client
        .execute(
            "INSERT INTO standin_errors SELECT table_name, replace(file, $1, $2), line, \
             column_name, column_type, reason FROM load_errors",
            &[&root, &bucket],
        )
        .unwrap();
}

/// The proxy's URL for `url`'s database, as a `redshift://` warehouse without TLS.
fn through_proxy(url: &str, standin: Arc<Standin>) -> String {
    let upstream = url
        .split('@')
        .nth(1)
        .and_then(|h| h.split('/').next())
        .unwrap()
        .to_string();
    let port = start_proxy(upstream.clone(), standin);
    format!(
        "{}?sslmode=disable",
        url.replacen("postgres://", "redshift://", 1).replacen(
            &upstream,
            &format!("127.0.0.1:{port}"),
            1
        )
    )
}

/// Every COPY statement the stand-in received, in order.
fn copies_sent(client: &mut postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT statement FROM standin_copies ORDER BY query_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn pg_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connect to the test server")
}

fn counts(client: &mut postgres::Client) -> Vec<i64> {
    [
        "songplays",
        "users",
        "songs",
        "artists",
        "time",
        "staging_events",
        "staging_songs",
        "load_errors",
    ]
    .iter()
    .map(|t| {
        client
            .query_one(&format!("SELECT COUNT(*) FROM {t}"), &[])
            .unwrap()
            .get::<_, i64>(0)
    })
    .collect()
}

/// The sample with one broken event line, in a folder of its own.
fn sample_with_a_bad_line(dir: &Path) {
    let sample = sample_dir();
    for sub in ["song_data", "log_data"] {
        for entry in walkdir(&sample.join(sub)) {
            let to = dir.join(entry.strip_prefix(&sample).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&entry, &to).unwrap();
        }
    }
    std::fs::copy(
        sample.join("log_json_path.json"),
        dir.join("log_json_path.json"),
    )
    .unwrap();
    let day = dir.join("log_data/2018/11/2018-11-01-events.json");
    let mut text = std::fs::read_to_string(&day).unwrap();
    text.push_str("\n{\"ts\": \"not a time\", \"userId\": \"x\\\\'; DROP TABLE songs; --\"}\n");
    std::fs::write(&day, text).unwrap();
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_redshift_run_copies_reads_the_sys_views_back_and_reconciles() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    sample_with_a_bad_line(&data);
    let url = pg::server().new_database();
    let local: Vec<String> = sources(&data);

    // 1. What sparkify's own loader stages from these files, as the reference.
    ok(&run(tmp.path(), &url, &local, &["--max-errors", "5"]));
    let mut client = pg_client(&url);
    let reference = counts(&mut client);
    assert_eq!(reference[7], 1, "the broken line is rejected");
    let root = format!("{}", std::fs::canonicalize(&data).unwrap().display());
    client.batch_execute(STANDIN_SQL).unwrap();
    record_reference(&mut client, &root, BUCKET, None);
    ok(&sparkify()
        .current_dir(tmp.path())
        .args(["create-tables", "--drop", "--warehouse", &url])
        .output());

    // 2. The same files "in S3", loaded by Redshift's COPY through the stand-in.
    let standin = Standin::new(None);
    let redshift = through_proxy(&url, standin.clone());
    let s3 = vec![
        "--songs".to_string(),
        format!("{BUCKET}/song_data"),
        "--events".to_string(),
        format!("{BUCKET}/log_data"),
        "--jsonpaths".to_string(),
        format!("{BUCKET}/log_json_path.json"),
    ];
    let out = run_command(tmp.path(), &redshift, &s3, &["--max-errors", "5"])
        .env("SPARKIFY_IAM_ROLE", ROLE)
        .env("AWS_REGION", "us-west-2")
        // The bucket-region lookup must not leave 127.0.0.1: nothing answers on port 9.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output();
    let stdout = ok(&out);

    // The same star schema, staging and rejected row as the local load.
    assert_eq!(counts(&mut client), reference, "{stdout}");
    // The ledger names the objects, with Redshift's per-file counts.
    let ledger = client
        .query(
            "SELECT file, rows_rejected FROM load_ledger WHERE rows_rejected > 0",
            &[],
        )
        .unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        ledger[0].get::<_, String>(0),
        format!("{BUCKET}/log_data/2018/11/2018-11-01-events.json")
    );
    let reason: String = client
        .query_one("SELECT reason FROM load_errors", &[])
        .unwrap()
        .get(0);
    assert!(reason.ends_with("(load error 1214)"), "{reason}");

    // The COPYs sent are exactly the pinned ones, and the run locked its ledger first.
    let auth = CopyAuth {
        iam_role: ROLE.into(),
        region: "us-west-2".into(),
        source_regions: Default::default(),
        source_compression: Default::default(),
    };
    let copies = copies_sent(&mut client);
    let s3source = |k: &str| Source::S3(format!("{BUCKET}/{k}"));
    let expected: Vec<String> = [
        (
            "staging_events",
            "log_data",
            FormatSpec::JsonPaths(s3source("log_json_path.json")),
        ),
        ("staging_songs", "song_data", FormatSpec::Auto),
    ]
    .iter()
    .map(|(t, k, f)| copy_statement(t, &s3source(k), f, &auth, 5).unwrap())
    .collect();
    let mut sorted = copies.clone();
    sorted.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(sorted, want);
    let seen = standin.seen.lock().unwrap().clone();
    let lock = seen.iter().position(|s| s.starts_with("LOCK load_ledger"));
    let first_copy = seen.iter().position(|s| s.starts_with("COPY "));
    assert!(
        matches!((lock, first_copy), (Some(l), Some(c)) if l < c),
        "{seen:#?}"
    );

    // `check` through the same connection reconciles ledger, staging and load_errors.
    let check = sparkify()
        .current_dir(tmp.path())
        .args(["check", "--warehouse", &redshift])
        .output();
    ok(&check);
}

/// The files of a generated dataset under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir(dir)
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn with_a_manifest_prefix_each_redshift_run_copies_only_the_new_files() {
    let moto = moto::server();
    let bucket = "sparkify-incremental";
    moto.create_bucket(bucket);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    ok(&sparkify()
        .args(["generate", "--songs", "12", "--users", "6", "--days", "3"])
        .args(["--events-per-day", "40", "--out"])
        .arg(&data)
        .output());
    let data = std::fs::canonicalize(&data).unwrap();
    let root = data.display().to_string();
    let s3_bucket = format!("s3://{bucket}");
    let all = files_under(&data);
    let (last_day, first_days): (Vec<String>, Vec<String>) = {
        let days: Vec<&String> = all.iter().filter(|f| f.starts_with("log_data/")).collect();
        let last = days.last().unwrap().to_string();
        (
            vec![last.clone()],
            all.iter().filter(|f| **f != last).cloned().collect(),
        )
    };

    // What each file yields, read by sparkify's own loader one file at a time.
    let url = pg::server().new_database();
    let mut client = pg_client(&url);
    client.batch_execute(STANDIN_SQL).unwrap();
    let mut wh = sparkify::warehouse::postgres::Postgres::connect(
        sparkify::warehouse::postgres::Target::parse(&url, 5432, "disable").unwrap(),
    )
    .unwrap();
    sparkify::pipeline::create_tables(&mut wh, false, &sparkify::pipeline::Silent).unwrap();
    for file in all
        .iter()
        .filter(|f| f.ends_with(".json") && !f.contains("json_path"))
    {
        let (table, format) = if file.starts_with("log_data/") {
            ("staging_events", jsonpaths(&data))
        } else {
            ("staging_songs", FormatSpec::Auto)
        };
        let request = sparkify::pipeline::StageRequest {
            table: table.into(),
            source: Source::Local(data.join(file)),
            format,
            repair_mojibake: false,
            refresh: sparkify::pipeline::Refresh::Full,
        };
        sparkify::pipeline::stage(
            &mut wh,
            &request,
            &Default::default(),
            &sparkify::pipeline::Silent,
        )
        .unwrap();
        record_reference(
            &mut client,
            &root,
            &s3_bucket,
            Some(&data.join(file).display().to_string()),
        );
        client
            .batch_execute(&format!(
                "DELETE FROM {table}; DELETE FROM load_ledger; DELETE FROM load_errors"
            ))
            .unwrap();
    }
    drop(wh);
    ok(&sparkify()
        .args(["create-tables", "--drop", "--warehouse", &url])
        .output());

    // The first two days in S3; each Redshift run goes through the stand-in.
    let put = |files: &[String]| {
        for f in files {
            moto.put(bucket, f, std::fs::read(data.join(f)).unwrap());
        }
    };
    put(&first_days);
    let standin = Standin::new(Some(moto));
    let redshift = through_proxy(&url, standin.clone());
    let s3_sources = vec![
        "--songs".to_string(),
        format!("{s3_bucket}/song_data"),
        "--events".to_string(),
        format!("{s3_bucket}/log_data"),
        "--jsonpaths".to_string(),
        format!("{s3_bucket}/log_json_path.json"),
    ];
    let redshift_run = || {
        ok(&run_command(tmp.path(), &redshift, &s3_sources, &[])
            .env("SPARKIFY_IAM_ROLE", ROLE)
            .envs(moto::env(&moto.endpoint))
            .env(
                "SPARKIFY_MANIFEST_PREFIX",
                format!("{s3_bucket}/manifests/"),
            )
            .output())
    };
    let copies = copies_sent;
    let manifest_urls = |copy: &str| -> Vec<String> {
        let from = copy.split("\nFROM 's3://").nth(1).unwrap();
        let (b, key) = from.split_once('\'').unwrap().0.split_once('/').unwrap();
        let m: serde_json::Value = serde_json::from_slice(&moto.get(b, key)).unwrap();
        m["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["url"].as_str().unwrap().to_string())
            .collect()
    };
    let staged = |client: &mut postgres::Client| -> i64 {
        client
            .query_one("SELECT COUNT(*) FROM staging_events", &[])
            .unwrap()
            .get(0)
    };
    let expected_rows = |client: &mut postgres::Client, files: &[String]| -> i64 {
        let urls: Vec<String> = files.iter().map(|f| format!("{s3_bucket}/{f}")).collect();
        client
            .query_one(
                "SELECT COUNT(*) FROM standin_rows_staging_events WHERE standin_file = ANY($1)",
                &[&urls],
            )
            .unwrap()
            .get(0)
    };

    redshift_run();
    let first = copies(&mut client);
    assert_eq!(first.len(), 2, "{first:#?}");
    assert!(
        first.iter().all(|c| c.contains("\nMANIFEST\n")),
        "{first:#?}"
    );
    let events_copy = first
        .iter()
        .find(|c| c.starts_with("COPY staging_events"))
        .unwrap();
    let day_files: Vec<String> = first_days
        .iter()
        .filter(|f| f.starts_with("log_data/"))
        .map(|f| format!("{s3_bucket}/{f}"))
        .collect();
    assert_eq!(manifest_urls(events_copy), day_files);
    assert_eq!(staged(&mut client), expected_rows(&mut client, &first_days));

    // A new day arrives: the next run copies that file only, and the songs not at all.
    put(&last_day);
    redshift_run();
    let second = copies(&mut client)[2..].to_vec();
    assert_eq!(second.len(), 1, "{second:#?}");
    assert_eq!(
        manifest_urls(&second[0]),
        [format!("{s3_bucket}/{}", last_day[0])]
    );
    assert_eq!(staged(&mut client), expected_rows(&mut client, &all));
    let ledger: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM load_ledger WHERE table_name = 'staging_events'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(ledger, 3);

    // Nothing new: no COPY at all, and the star schema stays.
    let before = counts(&mut client);
    redshift_run();
    assert_eq!(copies(&mut client).len(), 3);
    assert_eq!(counts(&mut client), before);
    assert_eq!(
        moto.keys(bucket, "manifests/").len(),
        3,
        "one manifest per COPY, left as a record"
    );

    // A backfill of the second day: one COPY of a manifest naming exactly that day's file;
    // its rows replaced by the same rows, so staging and the star schema count as before.
    let second_day = day_files[1].rsplit('/').next().unwrap()[..10].to_string();
    ok(&sparkify()
        .current_dir(tmp.path())
        .args(["etl", "--warehouse", &redshift, "--from", &second_day])
        .args(["--to", &second_day])
        .args(&s3_sources)
        .env("SPARKIFY_IAM_ROLE", ROLE)
        .envs(moto::env(&moto.endpoint))
        .env(
            "SPARKIFY_MANIFEST_PREFIX",
            format!("{s3_bucket}/manifests/"),
        )
        .output());
    let backfilled = copies(&mut client)[3..].to_vec();
    assert_eq!(backfilled.len(), 1, "{backfilled:#?}");
    assert!(
        backfilled[0].starts_with("COPY staging_events_new"),
        "{backfilled:#?}"
    );
    assert_eq!(manifest_urls(&backfilled[0]), [day_files[1].clone()]);
    assert_eq!(counts(&mut client), before);
    assert_eq!(staged(&mut client), expected_rows(&mut client, &all));
    let ledger: Vec<(String, i64)> = client
        .query(
            "SELECT file, rows_loaded FROM load_ledger WHERE table_name = 'staging_events' \
             ORDER BY file",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(ledger.len(), 3, "{ledger:?}");
    assert_eq!(
        ledger.iter().map(|(_, n)| n).sum::<i64>(),
        staged(&mut client),
        "the ledger's rows, the second day's read back from the backfill's COPY: {ledger:?}"
    );
}
