//! Arguments whose size would exhaust the machine, overflow an integer or wrap silently are
//! refused up front with exit 2 and a message naming the limit, before anything is written.

mod common;

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::text;

/// Waits up to `limit` for `child`; a command that is still running then has not refused its
/// arguments (it is generating or loading), so the test fails instead of waiting for it.
fn within(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for sparkify").is_some() {
            return child.wait_with_output().expect("collect sparkify's output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect sparkify's output");
            panic!(
                "still running after {limit:?} instead of refusing its arguments: {}",
                text(&out).1
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start(cwd: &Path, args: &[&str]) -> Child {
    common::sparkify()
        .current_dir(cwd)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

#[test]
fn generator_sizes_that_overflow_or_cannot_load_are_refused_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("big");
    let out = out_dir.to_str().unwrap();
    let max = u64::MAX.to_string();
    for (args, named) in [
        // days × 86,400,000 ms overflows an i64; and far fewer days already pass the year 9999.
        (
            vec!["--days", max.as_str(), "--events-per-day", "1"],
            "--days",
        ),
        (vec!["--days", "3000000", "--events-per-day", "1"], "--days"),
        // songs × 9 (the song → artist mapping) overflows.
        (vec!["--songs", max.as_str(), "--days", "1"], "--songs"),
        // Every user's state is kept in memory.
        (vec!["--users", max.as_str(), "--days", "1"], "--users"),
        // days × events per day overflows.
        (
            vec!["--days", "1000", "--events-per-day", max.as_str()],
            "--days × --events-per-day",
        ),
    ] {
        let mut all = vec!["generate", "--out", out, "--songs", "1", "--users", "1"];
        all.extend(&args);
        let result = within(start(tmp.path(), &all), Duration::from_secs(20));
        let (_, stderr) = text(&result);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
        assert!(!out_dir.exists(), "{args:?} wrote files before refusing");
    }
}

#[test]
fn parser_threads_are_bounded_like_concurrency() {
    let tmp = tempfile::tempdir().unwrap();
    for threads in ["0", "513", "100000"] {
        let result = within(
            start(
                tmp.path(),
                &[
                    "run",
                    "--threads",
                    threads,
                    "--warehouse",
                    "duckdb:w.duckdb",
                ],
            ),
            Duration::from_secs(60),
        );
        let (_, stderr) = text(&result);
        assert_eq!(
            result.status.code(),
            Some(2),
            "--threads {threads}: {stderr}"
        );
        assert!(stderr.contains("--threads"), "{stderr}");
        assert!(stderr.contains("1..=512"), "{stderr}");
        assert!(!tmp.path().join("w.duckdb").exists());
        assert!(!tmp.path().join("sparkify-data").exists());
    }
}
