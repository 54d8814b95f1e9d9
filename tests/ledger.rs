//! The load ledger end to end through the binary: its keys do not depend on the folder a run
//! starts in, and a load rejected for --max-errors leaves a warehouse that `check` accepts, with
//! the rejected rows kept. On DuckDB and PostgreSQL.

mod common;

use std::path::Path;

use common::*;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

/// `--songs/--events/--jsonpaths` under `prefix`, as a person types them (relative or not).
fn sources_under(prefix: &str) -> Vec<String> {
    let at = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        }
    };
    vec![
        "--songs".into(),
        at("song_data"),
        "--events".into(),
        at("log_data"),
        "--jsonpaths".into(),
        at("log_json_path.json"),
    ]
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn counts(wh: &mut dyn Warehouse) -> Vec<i64> {
    [
        "staging_events",
        "staging_songs",
        "load_ledger",
        "load_errors",
    ]
    .iter()
    .map(|t| count(wh, &format!("SELECT COUNT(*) FROM {t}")))
    .collect()
}

#[test]
fn the_ledger_is_the_same_from_any_folder_and_other_folders_are_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let a = root.join("a");
    dataset(&a, 2, 40);
    let warehouse = format!("duckdb:{}", root.join("w.duckdb").display());

    // From inside a, with paths relative to it.
    ok(&run(&a, &warehouse, &sources_under(""), &[]));
    let first = counts(&mut DuckDb::open(&root.join("w.duckdb")).unwrap());
    assert!(first[0] > 0 && first[2] > 0, "{first:?}");

    // From its parent, naming the same files differently: nothing is loaded again.
    let out = ok(&run(root, &warehouse, &sources_under("a"), &[]));
    assert!(out.contains("already loaded, skipped"), "{out}");
    let mut wh = DuckDb::open(&root.join("w.duckdb")).unwrap();
    assert_eq!(counts(&mut wh), first);
    // The ledger holds one canonical key per file, whatever folder the run started in.
    let relative = count(
        &mut wh,
        "SELECT COUNT(*) FROM load_ledger WHERE file NOT LIKE '/%'",
    );
    assert_eq!(relative, 0);
    drop(wh);

    // Another folder whose files have the same relative names holds other files: they load.
    let b = root.join("b");
    copy_dir(&a, &b);
    ok(&run(&b, &warehouse, &sources_under(""), &[]));
    let third = counts(&mut DuckDb::open(&root.join("w.duckdb")).unwrap());
    assert_eq!(
        third[0],
        2 * first[0],
        "staging_events: {third:?} after {first:?}"
    );
    assert_eq!(
        third[2],
        2 * first[2],
        "load_ledger: {third:?} after {first:?}"
    );
    // And every reconciliation still holds.
    run_state(&mut DuckDb::open(&root.join("w.duckdb")).unwrap());
}

const GOOD: &str = r#"{"artist":null,"auth":"Logged In","firstName":"A","gender":"F","itemInSession":0,"lastName":"B","length":null,"level":"free","location":"X","method":"GET","page":"Home","registration":1540919166796.0,"sessionId":1,"song":null,"status":200,"ts":1541105830796,"userAgent":"UA","userId":"7"}"#;

/// First load OK; a new file with 3 bad rows makes the next incremental load fail (exit 4);
/// `check` still passes and says the rejected rows are kept; a load that accepts them then
/// records them as its own.
fn a_rejected_incremental_load_leaves_check_passing(
    warehouse: &str,
    open: &dyn Fn() -> Box<dyn Warehouse>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sources = dataset(dir, 2, 40);
    ok(&run(dir, warehouse, &sources, &[]));
    let before = counts(open().as_mut());

    let bad = GOOD.replace(r#""userId":"7""#, r#""userId":"seven""#);
    std::fs::write(
        dir.join("log_data/late.json"),
        [GOOD, &bad, &bad, &bad].join("\n"),
    )
    .unwrap();
    let out = run(dir, warehouse, &sources, &["--max-errors", "1"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}{stderr}");
    let mut wh = open();
    let after = counts(wh.as_mut());
    assert_eq!(
        after[..3],
        before[..3],
        "the failed load changed the warehouse"
    );
    // --max-errors 1 keeps the first 2 rejected rows (MAXERROR + 1); the third is counted.
    assert_eq!(after[3], before[3] + 2, "the rejected rows are kept");
    drop(wh);

    let check = |expect_kept: Option<&str>| {
        let out = sparkify()
            .current_dir(dir)
            .args(["check", "--warehouse", warehouse])
            .output();
        let stdout = ok(&out);
        match expect_kept {
            Some(n) => assert!(
                stdout.contains(&format!(
                    "Rows rejected by failed loads, kept in load_errors: {n}"
                )),
                "{stdout}"
            ),
            None => assert!(!stdout.contains("kept in load_errors"), "{stdout}"),
        }
    };
    check(Some("2"));

    // A load that accepts the bad rows records them as its own, replacing the kept ones.
    ok(&run(dir, warehouse, &sources, &["--max-errors", "10"]));
    check(None);
    let mut wh = open();
    let last = counts(wh.as_mut());
    assert_eq!(last[0], before[0] + 1);
    assert_eq!(last[3], before[3] + 3);
    run_state(wh.as_mut());
}

#[test]
fn a_rejected_incremental_load_leaves_check_passing_on_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("w.duckdb");
    let warehouse = format!("duckdb:{}", path.display());
    a_rejected_incremental_load_leaves_check_passing(&warehouse, &|| {
        Box::new(DuckDb::open(&path).unwrap())
    });
}

#[test]
fn a_rejected_incremental_load_leaves_check_passing_on_postgres() {
    let url = pg::server().new_database();
    a_rejected_incremental_load_leaves_check_passing(&url, &|| {
        Box::new(Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap())
    });
}
