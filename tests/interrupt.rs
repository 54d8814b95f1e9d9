//! Ctrl-C during one long statement: the engine's own interrupt (DuckDB) or cancel request
//! (PostgreSQL) stops it, the statement's work is rolled back, and sparkify exits 130 at once
//! instead of when the statement would have finished (minutes here).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A cross join that runs for minutes, writing a table that must not appear.
const LONG: &str = "CREATE TABLE big AS SELECT SUM(a.x * b.x) AS s \
                    FROM (SELECT * FROM generate_series(1, 300000) AS t(x)) a, \
                         (SELECT * FROM generate_series(1, 1000000) AS t(x)) b";

fn start(cwd: &std::path::Path, warehouse: &str) -> Child {
    sparkify()
        .current_dir(cwd)
        .args(["query", "--warehouse", warehouse, LONG])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
}

/// Sends Ctrl-C; returns how long the process took to exit after it, and its stderr.
fn interrupt(child: Child) -> (Duration, Option<i32>, String) {
    let signalled = Instant::now();
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let (out, stderr) = finish(child);
    (signalled.elapsed(), out.status.code(), stderr)
}

fn check(took: Duration, code: Option<i32>, stderr: &str, engine: &str) {
    println!("{engine}: Ctrl-C to exit in {took:?}");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    assert!(
        took < Duration::from_secs(3),
        "{engine}: took {took:?} from Ctrl-C to exit"
    );
}

/// CPU time `pid` has used so far (user + system), in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum())
}

#[test]
fn ctrl_c_stops_a_long_duckdb_statement_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = format!("duckdb:{}", tmp.path().join("w.duckdb").display());
    let child = start(tmp.path(), &wh);
    // DuckDB shows no sign that the statement started, but only the join burns CPU: opening
    // the file and preparing take milliseconds of it. Half a second of CPU means it runs.
    let deadline = Instant::now() + Duration::from_secs(60);
    while cpu_ticks(child.id()) < 50 {
        assert!(Instant::now() < deadline, "the statement never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (took, code, stderr) = interrupt(child);
    check(took, code, &stderr, "DuckDB");
    let after = sparkify()
        .current_dir(tmp.path())
        .args([
            "query",
            "--warehouse",
            &wh,
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'big'",
        ])
        .output();
    assert_eq!(ok(&after).lines().last(), Some("0"));
}

#[test]
fn ctrl_c_cancels_a_long_postgres_statement_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let url = pg::server().new_database();
    let child = start(tmp.path(), &url);
    // Wait until the server runs the statement.
    let mut watch = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running: i64 = watch
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' \
                 AND query LIKE 'CREATE TABLE big%'",
                &[],
            )
            .unwrap()
            .get(0);
        if running > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the statement never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (took, code, stderr) = interrupt(child);
    check(took, code, &stderr, "PostgreSQL");
    let exists: bool = watch
        .query_one("SELECT to_regclass('big') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!exists, "the cancelled statement's table exists");
}
