//! The `sparkify` binary as a user runs it: exit codes, messages, and the zero-configuration
//! `run`.

mod common;

use std::ffi::OsString;
use std::path::Path;
use std::process::Output;

use common::bin::{self, Sparkify, is_cleared};
use common::{ok, text};

/// `sparkify ARGS` in `cwd`, with none of the developer's settings.
fn sparkify(cwd: &Path, args: &[&str]) -> Output {
    common::sparkify().args(args).current_dir(cwd).output()
}

#[test]
fn run_with_no_configuration_generates_data_and_builds_the_warehouse() {
    let tmp = tempfile::tempdir().unwrap();
    let out = sparkify(tmp.path(), &["run"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("generated a sample dataset in sparkify-data/"),
        "{stderr}"
    );
    assert!(tmp.path().join("sparkify.duckdb").is_file());
    assert!(stdout.contains("checks passed"), "{stdout}");
    assert!(stdout.contains("transform songplays"), "{stdout}");

    // Same counts a second time, from the same generated data.
    let again = sparkify(tmp.path(), &["run"]);
    let (stdout2, stderr2) = text(&again);
    assert!(again.status.success(), "{stderr2}");
    assert!(stderr2.contains("using the sample dataset"), "{stderr2}");
    let counts = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("transform"))
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(counts(&stdout), counts(&stdout2));
    assert_eq!(counts(&stdout).len(), 6, "one line per model");
    // The second run finds every file in the load ledger and loads nothing twice.
    let staged: Vec<&str> = stdout2.lines().filter(|l| l.starts_with("stage")).collect();
    assert_eq!(staged.len(), 2, "{stdout2}");
    assert!(
        staged[0].contains(" 0 files") && staged[0].contains("30 already loaded, skipped"),
        "{stdout2}"
    );
    assert!(
        staged[1].contains(" 0 files") && staged[1].contains("400 already loaded, skipped"),
        "{stdout2}"
    );
}

#[test]
fn run_on_the_real_sample_prints_the_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::run(
        tmp.path(),
        "duckdb:sample.duckdb",
        &common::sample_sources(),
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for needle in [
        "stage staging_events           8,056",
        "stage staging_songs               71",
        "transform songplays            6,820",
        "transform users                   97",
        "transform artists                 69",
        "matched to a catalogue song: 1 of 6,820",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
    // Global flags go before or after the subcommand.
    let q = sparkify(
        tmp.path(),
        &[
            "--warehouse",
            "duckdb:sample.duckdb",
            "query",
            "SELECT COUNT(*) AS n FROM users",
            "--format",
            "json",
        ],
    );
    let (qout, qerr) = text(&q);
    assert!(q.status.success(), "{qerr}");
    let parsed: serde_json::Value = serde_json::from_str(&qout).unwrap();
    assert_eq!(parsed, serde_json::json!([{"n": 97}]));

    let c = sparkify(
        tmp.path(),
        &["check", "--warehouse", "duckdb:sample.duckdb"],
    );
    let (cout, cerr) = text(&c);
    assert!(c.status.success(), "{cout}{cerr}");
    assert!(
        cout.contains("ok   songplays    user_id references users.user_id"),
        "{cout}"
    );
}

#[test]
fn query_prints_csv_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = sparkify(
        tmp.path(),
        &[
            "query",
            "SELECT 1 AS a, 'x,y' AS b, NULL AS c",
            "--format",
            "csv",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, "a,b,c\n1,\"x,y\",\n");
}

#[test]
fn bad_inputs_get_clear_messages_and_meaningful_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // A missing source folder: exit 1, the path in the message.
    let out = sparkify(
        dir,
        &[
            "run",
            "--songs",
            "no_songs_here",
            "--events",
            "no_events_here",
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no_events_here") && stderr.contains("no such file or folder"),
        "{stderr}"
    );

    // One source without the other: usage error.
    let out = sparkify(dir, &["run", "--songs", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--songs was given without --events"));

    // A malformed dwh.cfg: exit 2, file and line named.
    std::fs::write(dir.join("bad.cfg"), "[S3]\nLOG_DATA\n").unwrap();
    let out = sparkify(dir, &["--config", "bad.cfg", "check"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.cfg:2: expected KEY = VALUE"),
        "{stderr}"
    );

    // A file that is not a DuckDB database is refused, not overwritten.
    std::fs::write(dir.join("notes.duckdb"), "shopping list\n".repeat(400)).unwrap();
    let out = sparkify(dir, &["--warehouse", "duckdb:notes.duckdb", "check"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not a DuckDB database file"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.duckdb")).unwrap(),
        "shopping list\n".repeat(400)
    );

    // An unknown warehouse scheme.
    let out = sparkify(dir, &["--warehouse", "oracle://x", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("unknown or unsupported scheme"));

    // A query error is the warehouse's message, exit 1, no panic.
    let out = sparkify(dir, &["query", "SELECT * FROM no_such_table"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no_such_table") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn a_warehouse_in_use_by_another_process_is_reported_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("busy.duckdb");
    // This test process holds DuckDB's write lock on the file.
    let holder = duckdb::Connection::open(&path).unwrap();
    holder.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
    let out = sparkify(tmp.path(), &["--warehouse", "duckdb:busy.duckdb", "check"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("in use by another process"), "{stderr}");
    drop(holder);
}

#[test]
fn failed_checks_exit_with_3() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(sparkify(tmp.path(), &["run", "-q"]).status.success());
    // Break a foreign key behind sparkify's back.
    let conn = duckdb::Connection::open(tmp.path().join("sparkify.duckdb")).unwrap();
    conn.execute_batch("DELETE FROM users WHERE user_id = (SELECT MIN(user_id) FROM songplays)")
        .unwrap();
    drop(conn);
    let out = sparkify(tmp.path(), &["check"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.contains("FAIL songplays    user_id references users.user_id"),
        "{stdout}"
    );
}

#[test]
fn help_explains_the_commands_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = sparkify(tmp.path(), &["--help"]);
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    for needle in [
        "run",
        "create-tables",
        "etl",
        "check",
        "query",
        "generate",
        "Exit codes",
    ] {
        assert!(stdout.contains(needle), "{needle} missing from --help");
    }
}

/// `SELECT current_setting('<setting>')` on a new DuckDB warehouse in `dir`, through the CLI
/// with `SPARKIFY_DUCKDB_MEMORY` set to `memory` (empty: the default cap).
fn duckdb_setting(dir: &Path, setting: &str, memory: &str) -> Output {
    common::sparkify()
        .current_dir(dir)
        .env("SPARKIFY_DUCKDB_MEMORY", memory)
        .args([
            "query",
            "--warehouse",
            "duckdb:w.duckdb",
            "--format",
            "csv",
            &format!("SELECT current_setting('{setting}') AS s"),
        ])
        .output()
}

#[test]
fn the_duckdb_memory_cap_is_applied_and_a_bad_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let query = |limit: &str| duckdb_setting(tmp.path(), "memory_limit", limit);
    let out = query("");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // The default cap, as DuckDB reports it.
    assert!(
        stdout.contains("476.8 MiB") || stdout.contains("500.0 MB"),
        "{stdout}"
    );
    let out = query("lots");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SPARKIFY_DUCKDB_MEMORY"), "{stderr}");
}

/// Under its cap DuckDB frees blocks into glibc's heap, which keeps them; DuckDB hands them back
/// (`malloc_trim`) only once the freed memory passes `allocator_bulk_deallocation_flush_threshold`,
/// 512 MiB by default, more than the whole 500 MB cap. sparkify lowers it, which held a 10M-event
/// run's peak at 611-672 MB instead of 639-755 MB (BENCHMARKS.md, 2026-12-04 evening).
#[test]
fn the_duckdb_allocator_gives_freed_memory_back_under_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let out = duckdb_setting(
        tmp.path(),
        "allocator_bulk_deallocation_flush_threshold",
        "",
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("64.0 MiB"), "{stdout}");
}

#[test]
fn the_same_files_named_another_way_are_not_loaded_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = sparkify(
        tmp.path(),
        &[
            "generate", "-q", "--out", "data", "--songs", "20", "--days", "2",
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    let first = sparkify(
        tmp.path(),
        &[
            "etl",
            "--songs",
            "data/song_data",
            "--events",
            "data/log_data",
        ],
    );
    assert!(first.status.success(), "{:?}", text(&first));
    let absolute = |p: &str| data.join(p).display().to_string();
    let second = sparkify(
        tmp.path(),
        &[
            "etl",
            "--songs",
            &absolute("song_data"),
            "--events",
            &format!("{}/../data/./log_data", data.display()),
        ],
    );
    let (stdout, stderr) = text(&second);
    assert!(second.status.success(), "{stderr}");
    assert!(stdout.contains("2 already loaded, skipped"), "{stdout}");
    assert!(stdout.contains("20 already loaded, skipped"), "{stdout}");
}

/// The filter behind every `sparkify` the tests start: given an environment, which variables
/// the child keeps.
#[test]
fn the_test_harness_drops_every_sparkify_aws_and_pg_variable_and_keeps_the_rest() {
    let parent: Vec<(OsString, OsString)> = [
        ("PATH", "/usr/local/bin:/usr/bin"),
        ("HOME", "/home/dev"),
        ("SPARKIFY_CIDR", "0.0.0.0/0"),
        ("SPARKIFY_WAREHOUSE", "postgres://nowhere"),
        ("SPARKIFY_SONGS", "s3://somebody-else/song_data"),
        ("LANG", "C.UTF-8"),
        ("AWS_PROFILE", "nope"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
        ("PGUSER", "nobody"),
        ("PGPASSWORD", "hunter2"),
        ("PG_BIN", "/opt/pg/bin"),
        ("TMPDIR", "/tmp"),
        // The prefix must start the name; anywhere else it is someone else's variable.
        ("MY_AWS_THING", "kept"),
        ("XSPARKIFY_", "kept"),
    ]
    .into_iter()
    .map(|(k, v)| (OsString::from(k), OsString::from(v)))
    .collect();
    let kept: Vec<OsString> = bin::inherited(parent.clone())
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        kept,
        [
            "PATH",
            "HOME",
            "LANG",
            "TMPDIR",
            "MY_AWS_THING",
            "XSPARKIFY_"
        ]
        .map(OsString::from)
    );
    for (name, _) in &parent {
        assert_eq!(
            is_cleared(name),
            !kept.contains(name),
            "{}",
            name.to_string_lossy()
        );
    }
}

/// The same filter on a real `sparkify`: settings that would each make this query fail (or
/// go elsewhere) are in the environment the harness starts from, and the child sees none of
/// them. (The test's own environment is shared by parallel threads, so it is not changed.)
#[test]
fn a_developers_settings_do_not_reach_the_sparkify_a_test_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let shell = [
        (
            "SPARKIFY_WAREHOUSE",
            "postgres://nobody@127.0.0.1:9/nowhere?connect_timeout=1",
        ),
        ("SPARKIFY_CONFIG", "/nonexistent/dwh.cfg"),
        ("SPARKIFY_DUCKDB_MEMORY", "lots"),
        ("AWS_PROFILE", "nope"),
        ("PGUSER", "nobody"),
    ];
    let parent =
        std::env::vars_os().chain(shell.map(|(k, v)| (OsString::from(k), OsString::from(v))));
    let out = Sparkify::with_parent_env(parent)
        .current_dir(tmp.path())
        .args([
            "query",
            "--format",
            "csv",
            "SELECT current_setting('memory_limit') AS m",
        ])
        .output();
    let stdout = ok(&out);
    // The default warehouse, in the working directory, with the default memory cap.
    assert!(tmp.path().join("sparkify.duckdb").is_file(), "{stdout}");
    assert!(
        stdout.contains("476.8 MiB") || stdout.contains("500.0 MB"),
        "{stdout}"
    );
}

#[test]
fn settings_from_the_environment_and_dwh_cfg_reach_the_run_and_bad_ones_fail_first() {
    let tmp = tempfile::tempdir().unwrap();
    // A bad value in the environment is a usage error naming the variable, reported before
    // the warehouse file is created.
    let out = common::sparkify()
        .args(["run"])
        .env("SPARKIFY_MAX_ERRORS", "many")
        .current_dir(tmp.path())
        .output();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SPARKIFY_MAX_ERRORS"), "{stderr}");
    assert!(!tmp.path().join("sparkify.duckdb").exists());

    // dwh.cfg names the warehouse and the sources; the environment overrides the warehouse.
    let sources = common::sample_sources();
    let cfg = format!(
        "[DWH]\nWAREHOUSE=duckdb:from-cfg.duckdb\n[S3]\nSONG_DATA={}\nLOG_DATA={}\nLOG_JSONPATH={}\n",
        sources[1], sources[3], sources[5]
    );
    std::fs::write(tmp.path().join("dwh.cfg"), cfg).unwrap();
    let out = common::sparkify()
        .args(["etl"])
        .current_dir(tmp.path())
        .output();
    let stdout = ok(&out);
    assert!(stdout.contains("stage staging_events"), "{stdout}");
    assert!(tmp.path().join("from-cfg.duckdb").is_file());
    let out = common::sparkify()
        .args(["check"])
        .env("SPARKIFY_WAREHOUSE", "duckdb:from-env.duckdb")
        .current_dir(tmp.path())
        .output();
    // An empty warehouse fails no rule but has nothing: what matters is which file it opened.
    let _ = text(&out);
    assert!(tmp.path().join("from-env.duckdb").is_file());
}
