//! COPY error handling end to end: rejected rows land in `load_errors` with file, line, column
//! and reason; `--max-errors` decides whether the load keeps anything.

mod common;

use std::path::Path;

use common::*;
use sparkify::Error;
use sparkify::copy::load::LoadOptions;
use sparkify::pipeline::{self, FormatSpec, Silent};
use sparkify::value::Value;
use sparkify::warehouse::{Warehouse, duckdb::DuckDb};

const GOOD: &str = r#"{"artist":null,"auth":"Logged In","firstName":"A","gender":"F","itemInSession":0,"lastName":"B","length":null,"level":"free","location":"X","method":"GET","page":"Home","registration":1540919166796.0,"sessionId":1,"song":null,"status":200,"ts":1541105830796,"userAgent":"UA","userId":"7"}"#;

/// Three good rows around two bad ones: a text `userId` and a malformed line.
fn write_events(dir: &Path) {
    let log = dir.join("log_data");
    std::fs::create_dir_all(&log).unwrap();
    let bad_user = GOOD.replace(r#""userId":"7""#, r#""userId":"seven""#);
    let text = [GOOD, &bad_user, GOOD, r#"{"artist": oops}"#, GOOD].join("\n");
    std::fs::write(log.join("day1.json"), text).unwrap();
    std::fs::write(
        dir.join("log_json_path.json"),
        sparkify::generate::JSONPATHS,
    )
    .unwrap();
}

fn stage(wh: &mut DuckDb, dir: &Path, max_errors: u64) -> sparkify::Result<pipeline::StageReport> {
    let options = LoadOptions {
        max_errors,
        ..LoadOptions::default()
    };
    pipeline::stage(
        wh,
        &events_request(dir, jsonpaths(dir), true),
        &options,
        &Silent,
    )
}

#[test]
fn rejected_rows_are_recorded_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    write_events(tmp.path());
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();

    let report = stage(&mut wh, tmp.path(), 2).unwrap();
    assert_eq!(
        (report.rows_read, report.rows_loaded, report.rows_rejected),
        (5, 3, 2)
    );
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM staging_events"), 3);

    let errors = wh
        .query("SELECT file, line, column_name, raw_value, reason FROM load_errors ORDER BY line")
        .unwrap()
        .rows;
    assert_eq!(errors.len(), 2);
    let file = tmp.path().join("log_data/day1.json").display().to_string();
    assert_eq!(errors[0][0], Value::Text(file.clone()));
    assert_eq!(errors[0][1], Value::Int(2));
    assert_eq!(errors[0][2], Value::Text("userid".into()));
    assert_eq!(errors[0][3], Value::Text("seven".into()));
    assert!(matches!(&errors[0][4], Value::Text(r) if r.contains("invalid digit")));
    assert_eq!(errors[1][1], Value::Int(4));
    assert_eq!(errors[1][2], Value::Null);
    assert!(matches!(&errors[1][4], Value::Text(r) if r.starts_with("malformed JSON")));

    let ledger = wh
        .query("SELECT rows_read, rows_loaded, rows_rejected FROM load_ledger")
        .unwrap()
        .rows;
    assert_eq!(
        ledger,
        vec![vec![Value::Int(5), Value::Int(3), Value::Int(2)]]
    );
}

#[test]
fn exceeding_max_errors_loads_nothing_but_keeps_the_errors() {
    let tmp = tempfile::tempdir().unwrap();
    write_events(tmp.path());
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    // A good earlier load, which a failed load must leave untouched.
    stage(&mut wh, tmp.path(), 10).unwrap();
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM staging_events"), 3);

    for max in [0, 1] {
        let err = stage(&mut wh, tmp.path(), max).unwrap_err();
        match &err {
            Error::TooManyLoadErrors {
                table,
                rejected,
                max_errors,
                ..
            } => {
                assert_eq!(table, "staging_events");
                assert!(*rejected > *max_errors);
                assert_eq!(*max_errors, max);
            }
            other => panic!("expected TooManyLoadErrors, got {other}"),
        }
        assert!(err.to_string().contains("nothing was loaded"), "{err}");
        assert_eq!(
            count(&mut wh, "SELECT COUNT(*) FROM staging_events"),
            3,
            "max {max}"
        );
        assert_eq!(
            count(&mut wh, "SELECT SUM(rows_loaded) FROM load_ledger"),
            3
        );
        // Exactly: the good load's two rejected rows, which the ledger counts, and nothing
        // else (a count of "at least one" would pass with rows lost or doubled).
        assert_eq!(
            count(&mut wh, "SELECT COUNT(*) FROM load_errors"),
            2,
            "max {max}"
        );
    }
}

#[test]
fn a_jsonpaths_file_with_the_wrong_number_of_paths_fails_before_loading() {
    let tmp = tempfile::tempdir().unwrap();
    write_events(tmp.path());
    std::fs::write(
        tmp.path().join("short.json"),
        r#"{"jsonpaths": ["$.artist"]}"#,
    )
    .unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    let request = events_request(
        tmp.path(),
        FormatSpec::JsonPaths(sparkify::source::Source::Local(
            tmp.path().join("short.json"),
        )),
        true,
    );
    let err = pipeline::stage(&mut wh, &request, &LoadOptions::default(), &Silent).unwrap_err();
    assert!(matches!(err, Error::JsonPaths { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("1 paths but table staging_events has 18 columns"),
        "{err}"
    );
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM staging_events"), 0);
}

#[test]
fn a_missing_source_folder_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    let err = pipeline::stage(
        &mut wh,
        &songs_request(&tmp.path().join("nowhere")),
        &LoadOptions::default(),
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Source { .. }), "{err}");
    assert!(err.to_string().contains("nowhere"), "{err}");
}

#[test]
fn parallel_loading_gives_the_same_rows_as_one_thread() {
    let dir = sample_dir();
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    let mut dumps = Vec::new();
    for (threads, batch_rows) in [(1, 4096), (4, 7)] {
        let options = LoadOptions {
            threads,
            batch_rows,
            ..LoadOptions::default()
        };
        let r = pipeline::stage(
            &mut wh,
            &events_request(&dir, jsonpaths(&dir), true),
            &options,
            &Silent,
        )
        .unwrap();
        assert_eq!(r.rows_loaded, 8056);
        dumps.push(dump(&mut wh, "staging_events"));
    }
    assert!(dumps[0] == dumps[1]);
}

/// A load with far more bad rows than --max-errors keeps only the first MAXERROR + 1 of them
/// (enough to say why it failed), yet counts and reports every one.
#[test]
fn the_kept_load_errors_stop_at_max_errors_plus_one_and_all_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    write_events(tmp.path());
    let bad_user = GOOD.replace(r#""userId":"7""#, r#""userId":"seven""#);
    let text = vec![bad_user.as_str(); 5000].join("\n");
    std::fs::write(tmp.path().join("log_data/day1.json"), text).unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();

    let err = stage(&mut wh, tmp.path(), 5).unwrap_err();
    match &err {
        Error::TooManyLoadErrors {
            rejected,
            max_errors,
            ..
        } => assert_eq!((*rejected, *max_errors), (5000, 5), "{err}"),
        other => panic!("expected TooManyLoadErrors, got {other}"),
    }
    assert!(err.to_string().contains("5000 bad row(s)"), "{err}");
    // The kept rows are the first six, in file order.
    let lines = wh
        .query("SELECT line FROM load_errors ORDER BY line")
        .unwrap()
        .rows;
    let lines: Vec<Value> = lines.into_iter().flatten().collect();
    assert_eq!(lines.len(), 6, "kept {} rejected rows", lines.len());
    assert_eq!(lines, (1..=6).map(Value::Int).collect::<Vec<_>>());
}
