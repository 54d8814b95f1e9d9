//! Failures on a real PostgreSQL server: the server stopped in the middle of a run (and
//! started again, or not), `run` killed at random moments, and two runs at once.

mod common;

use std::time::{Duration, Instant};

use common::pg;
use common::{
    OPENED, dataset, finish, run_state, run_to_end, span_after_open, spawn_run, spawn_watched,
};
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::postgres::{Postgres, Target};

/// Row counts that tell the states apart, after checking the warehouse is consistent; empty
/// when the tables do not exist.
fn state(url: &str) -> Vec<i64> {
    let mut wh = Postgres::connect(Target::parse(url, 5432, "disable").unwrap()).unwrap();
    if wh
        .count("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'songplays'")
        .unwrap()
        == 0
    {
        return Vec::new();
    }
    run_state(&mut wh)
}

/// Waits until a run holds its advisory lock on `db`: it is inside its transaction. Then
/// flushes what earlier runs committed: the test server commits asynchronously
/// (`synchronous_commit=off`), and an immediate stop right after a commit would lose it.
fn wait_for_run_lock(db: &str) {
    let mut wh = Postgres::connect(Target::parse(db, 5432, "disable").unwrap()).unwrap();
    let mut flush = postgres::Client::connect(db, postgres::NoTls).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while wh
        .count(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = \
             (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .unwrap()
        == 0
    {
        assert!(Instant::now() < deadline, "the run never took its lock");
        std::thread::sleep(Duration::from_millis(10));
    }
    flush.batch_execute("CHECKPOINT").unwrap();
}

#[test]
fn postgres_stopped_mid_run_is_retried_on_reconnect_or_reported_and_nothing_is_half_done() {
    let server = pg::dedicated();
    let tmp = tempfile::tempdir().unwrap();
    let small = dataset(&tmp.path().join("small"), 3, 200);
    let big = dataset(&tmp.path().join("big"), 20, 4000);
    let reference = server.new_database();
    run_to_end(tmp.path(), &reference, &big, &[]);
    let after = state(&reference);

    // Stopped for a moment: the run reconnects, starts over and ends as an uninterrupted one.
    let db = server.new_database();
    run_to_end(tmp.path(), &db, &small, &[]);
    let child = spawn_run(tmp.path(), &db, &big, &["--full-refresh"]);
    wait_for_run_lock(&db);
    server.stop();
    std::thread::sleep(Duration::from_millis(1500));
    server.start_again();
    let (out, stderr) = finish(child);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the connection was lost") && stderr.contains("attempt 2 of 3"),
        "{stderr}"
    );
    assert_eq!(state(&db), after);

    // Stopped for good: a clear error, exit 1, and after a restart the database is exactly
    // as it was before the run.
    let db = server.new_database();
    run_to_end(tmp.path(), &db, &small, &[]);
    let before = state(&db);
    let child = spawn_run(tmp.path(), &db, &big, &["--full-refresh"]);
    wait_for_run_lock(&db);
    server.stop();
    let (out, stderr) = finish(child);
    server.start_again();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("reconnecting failed") && stderr.contains("running again is safe"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(state(&db), before);
    // And the next run succeeds with the uninterrupted result.
    run_to_end(tmp.path(), &db, &big, &["--full-refresh"]);
    assert_eq!(state(&db), after);
}

#[test]
fn a_run_on_postgres_killed_at_any_moment_leaves_it_as_before_or_as_after() {
    let server = pg::server();
    let tmp = tempfile::tempdir().unwrap();
    let small = dataset(&tmp.path().join("small"), 3, 200);
    let big = dataset(&tmp.path().join("big"), 20, 4000);
    let reference = server.new_database();
    let span = span_after_open(tmp.path(), &reference, &big, &[]);
    let after = state(&reference);
    let db = server.new_database();
    run_to_end(tmp.path(), &db, &small, &[]);
    let before = state(&db);
    assert_ne!(before, after);

    let (mut as_before, mut as_after) = (0, 0);
    for i in 0..20usize {
        // Moments spread over the run from when it opened the warehouse (see failures.rs).
        let at = span.mul_f64(0.02 + ((i * 7) % 20) as f64 / 19.0 * 1.03);
        let mut run = spawn_watched(tmp.path(), &db, &big, &["--full-refresh"]);
        assert!(
            run.wait_for(OPENED, Duration::from_secs(120)),
            "run {i} never started"
        );
        std::thread::sleep(at);
        let _ = run.child.kill(); // SIGKILL
        let _ = run.finish();
        let now = state(&db);
        if now == before {
            as_before += 1;
        } else if now == after {
            as_after += 1;
            run_to_end(tmp.path(), &db, &small, &["--full-refresh"]);
        } else {
            panic!("kill {i} at {at:?} after opening left a half-loaded database: {now:?}");
        }
    }
    println!("20 kills on PostgreSQL: {as_before} as before, {as_after} as after");
    assert!(
        as_before >= 5,
        "too few kills landed inside the run ({as_before})"
    );
    // The server may still be finishing a killed run's statement: the next run waits for it.
    run_to_end(tmp.path(), &db, &big, &["--full-refresh"]);
    assert_eq!(state(&db), after);
}

#[test]
fn a_second_run_on_the_same_postgres_database_waits_for_the_first() {
    let server = pg::server();
    let tmp = tempfile::tempdir().unwrap();
    let big = dataset(&tmp.path().join("big"), 20, 4000);
    let reference = server.new_database();
    run_to_end(tmp.path(), &reference, &big, &[]);
    let db = server.new_database();
    let first = spawn_run(tmp.path(), &db, &big, &[]);
    // Start the second once the first holds the lock.
    let mut wh = Postgres::connect(Target::parse(&db, 5432, "disable").unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while wh
        .count(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
             (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .unwrap()
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the first run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let (second, stderr) = finish(spawn_run(tmp.path(), &db, &big, &[]));
    assert!(second.status.success(), "{stderr}");
    assert!(
        stderr.contains("another sparkify run is loading") && stderr.contains("waiting"),
        "{stderr}"
    );
    let (first, stderr) = finish(first);
    assert!(first.status.success(), "{stderr}");
    // One load, not two interleaved ones: the second found every file already loaded.
    assert_eq!(state(&db), state(&reference));
}
