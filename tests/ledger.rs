//! The load ledger end to end through the binary: its keys do not depend on the folder a run
//! starts in.

mod common;

use std::path::Path;

use common::*;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;

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
