//! Interrupted runs: a `run` killed at any moment (SIGKILL) or stopped with Ctrl-C (SIGINT)
//! leaves the warehouse exactly as before it, never half loaded, and the next run succeeds.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{OPENED, dataset, finish, run_state, span_after_open, spawn_watched};
use sparkify::warehouse::duckdb::DuckDb;

/// A quiet full-refresh `run` of `data` into `warehouse`, in the background.
fn spawn_run(cwd: &Path, warehouse: &str, data: &[String]) -> Child {
    common::spawn_run(cwd, warehouse, data, &["-q", "--full-refresh"])
}

fn run_to_end(cwd: &Path, warehouse: &str, data: &[String]) -> Duration {
    common::run_to_end(cwd, warehouse, data, &["-q", "--full-refresh"])
}

/// How long a test waits for one line of a run's progress before failing.
const LINE: Duration = Duration::from_secs(120);

/// What a complete run leaves behind, in a form that tells two runs apart.
fn state(path: &Path) -> Vec<i64> {
    let mut wh = DuckDb::open(path).unwrap();
    run_state(&mut wh)
}

#[test]
fn a_run_killed_at_any_moment_leaves_the_warehouse_as_before_or_as_after() {
    let tmp = tempfile::tempdir().unwrap();
    let small = dataset(&tmp.path().join("small"), 3, 200);
    let big = dataset(&tmp.path().join("big"), 20, 4000);
    let wh = "duckdb:w.duckdb";
    let path = tmp.path().join("w.duckdb");

    // What a complete run of each dataset gives, and how long the big one runs once it has
    // opened the warehouse.
    let span = span_after_open(tmp.path(), "duckdb:ref.duckdb", &big, &["--full-refresh"]);
    let after = state(&tmp.path().join("ref.duckdb"));
    run_to_end(tmp.path(), wh, &small);
    let before = state(&path);
    assert_ne!(before, after);

    let (mut as_before, mut as_after) = (0, 0);
    for i in 0..20usize {
        // Moments spread over the whole run, from just after it opened the warehouse to just
        // past its end.
        let at = span.mul_f64(0.02 + ((i * 7) % 20) as f64 / 19.0 * 1.03);
        let mut run = spawn_watched(tmp.path(), wh, &big, &["--full-refresh"]);
        assert!(
            run.wait_for(OPENED, LINE),
            "run {i} never opened the warehouse"
        );
        std::thread::sleep(at);
        let _ = run.child.kill(); // SIGKILL
        let _ = run.finish();
        let now = state(&path);
        if now == before {
            as_before += 1;
        } else if now == after {
            as_after += 1;
            // Start the next kill from the small state again.
            run_to_end(tmp.path(), wh, &small);
        } else {
            panic!(
                "kill {i} at {at:?} after opening left a half-loaded warehouse: {now:?} (before {before:?}, after {after:?})"
            );
        }
    }
    println!("20 kills: {as_before} left the warehouse as before, {as_after} as after");
    assert!(
        as_before >= 5,
        "too few kills landed inside the run ({as_before})"
    );
    // The next run succeeds and gives the same result as an uninterrupted one.
    run_to_end(tmp.path(), wh, &big);
    assert_eq!(state(&path), after);
}

#[test]
fn ctrl_c_stops_within_a_second_rolls_back_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let small = dataset(&tmp.path().join("small"), 3, 200);
    let big = dataset(&tmp.path().join("big"), 20, 4000);
    let wh = "duckdb:w.duckdb";
    run_to_end(tmp.path(), wh, &small);
    let before = state(&tmp.path().join("w.duckdb"));

    // Once the run has opened the warehouse it creates, stages and transforms for seconds.
    let run = spawn_watched(tmp.path(), wh, &big, &["--full-refresh"]);
    assert!(run.wait_for(OPENED, LINE), "the run never started");
    let signalled = Instant::now();
    let ok = Command::new("kill")
        .args(["-INT", &run.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let (status, stderr) = run.finish();
    let stopped_in = signalled.elapsed();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted (Ctrl-C)") && stderr.contains("rolled back"),
        "{stderr}"
    );
    assert!(
        stopped_in < Duration::from_millis(1500),
        "took {stopped_in:?} to stop"
    );
    assert_eq!(state(&tmp.path().join("w.duckdb")), before);
    // The interrupted run is in the history all the same, after the run before it.
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    let runs = sparkify::warehouse::Warehouse::query(
        &mut wh,
        "SELECT status, error FROM runs ORDER BY run_id",
    )
    .unwrap();
    let statuses: Vec<String> = runs.rows.iter().map(|r| format!("{:?}", r[0])).collect();
    assert_eq!(
        statuses,
        [r#"Text("published")"#, r#"Text("interrupted")"#],
        "{runs:?}"
    );
}

#[test]
fn a_second_run_on_the_same_warehouse_is_refused_while_the_first_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let small = dataset(&tmp.path().join("small"), 3, 200);
    let big = dataset(&tmp.path().join("big"), 20, 4000);
    let wh = "duckdb:w.duckdb";
    let first = spawn_watched(tmp.path(), wh, &big, &["--full-refresh"]);
    // Once the first run has opened the warehouse it holds it: start a second one.
    assert!(first.wait_for(OPENED, LINE), "the first run never started");
    let (second, stderr) = finish(spawn_run(tmp.path(), wh, &small));
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is in use by another process"), "{stderr}");
    // The first run was not disturbed.
    let (status, stderr) = first.finish();
    assert!(status.success(), "{stderr}");
    run_to_end(tmp.path(), "duckdb:ref.duckdb", &big);
    assert_eq!(
        state(&tmp.path().join("w.duckdb")),
        state(&tmp.path().join("ref.duckdb"))
    );
}

/// A size-limited tmpfs, mounted for the test (root only; CI runs as root).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(path.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_reported_as_such_and_nothing_half_written_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let small = dataset(&tmp.path().join("small"), 3, 200);
    let big = dataset(&tmp.path().join("big"), 20, 4000);
    let Some(disk) = SmallDisk::mount(&tmp.path().join("disk"), "6m") else {
        // Mounting needs root (CAP_SYS_ADMIN); the README says so. CI runs as root.
        assert_ne!(
            Command::new("id").arg("-u").output().unwrap().stdout,
            b"0\n",
            "running as root, yet a tmpfs could not be mounted"
        );
        eprintln!("not root: the disk-full test needs to mount a tmpfs; skipped");
        return;
    };
    let wh = format!("duckdb:{}", disk.0.join("w.duckdb").display());
    run_to_end(tmp.path(), &wh, &small);
    let before = state(&disk.0.join("w.duckdb"));

    let (out, stderr) = finish(spawn_run(tmp.path(), &wh, &big));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the disk is full"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(state(&disk.0.join("w.duckdb")), before);

    // Writing data or a report to a full disk says so too.
    let out = common::sparkify()
        .args([
            "generate",
            "--days",
            "30",
            "--events-per-day",
            "20000",
            "--out",
        ])
        .arg(disk.0.join("data"))
        .output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the disk is full"), "{stderr}");
    run_to_end(tmp.path(), "duckdb:ref.duckdb", &small);
    let out = common::sparkify()
        .current_dir(tmp.path())
        .args([
            "report",
            "--warehouse",
            "duckdb:ref.duckdb",
            "--out",
            "/dev/full",
        ])
        .output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the disk is full"), "{stderr}");
}
