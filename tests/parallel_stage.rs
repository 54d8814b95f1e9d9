//! Staging into DuckDB runs on DuckDB's own threads (sparkify's loader as a table function).
//! It must stage exactly what the single-threaded loader produces: the same multiset of rows
//! and the same rejected rows, on the real sample and on a generated set with many files and
//! bad rows spread over them.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use sparkify::copy::load::{self, LoadError, LoadOptions, RowSink};
use sparkify::pipeline::{self, Audit, FormatSpec, Refresh, Silent, StageRequest};
use sparkify::schema::ColumnType;
use sparkify::value::{Row, Value};
use sparkify::warehouse::{Warehouse, duckdb::DuckDb};

/// Collects what the single-threaded driver hands its one writer.
struct Collect(Vec<Row>);

impl RowSink for Collect {
    fn append(&mut self, rows: Vec<Row>) -> sparkify::Result<()> {
        self.0.extend(rows);
        Ok(())
    }
}

/// A multiset of rows: each row's text and how often it occurs.
type Bag = BTreeMap<String, usize>;

fn bag(rows: impl IntoIterator<Item = String>) -> Bag {
    let mut bag = Bag::new();
    for r in rows {
        *bag.entry(r).or_default() += 1;
    }
    bag
}

/// The rows and errors of `request` through the single-threaded driver, with values as DuckDB
/// stores them (an integer in a DOUBLE column is a double).
fn reference(request: &StageRequest, max_errors: u64) -> (Bag, Bag) {
    let spec = sparkify::sql::table_spec(&request.table).unwrap();
    let json = request.format.resolve().unwrap();
    let files = request.source.list().unwrap().files;
    let read = |f: &sparkify::source::SourceFile| request.source.open(f);
    let options = LoadOptions {
        threads: 1,
        max_errors,
        repair_mojibake: request.repair_mojibake,
        ..LoadOptions::default()
    };
    let mut sink = Collect(Vec::new());
    let report = load::load(
        &spec,
        &json,
        &files,
        &read,
        &options,
        &mut sink,
        &mut |_| {},
    )
    .expect("single-threaded load");
    assert!(!report.exceeded_max_errors);
    let rows = sink.0.into_iter().map(|row| {
        let row: Row = row
            .into_iter()
            .zip(&spec.columns)
            .map(|(v, c)| match (v, &c.ty) {
                (Value::Int(n), ColumnType::Double) => Value::Double(n as f64),
                (v, _) => v,
            })
            .collect();
        format!("{row:?}")
    });
    (bag(rows), bag(report.errors.iter().map(error_text)))
}

fn error_text(e: &LoadError) -> String {
    let file = Path::new(&e.file).file_name().unwrap().to_string_lossy();
    format!(
        "{file}:{} {:?} {:?} {:?} {:?} {:?}",
        e.line, e.column_name, e.column_type, e.raw_value, e.raw_line, e.reason
    )
}

/// How a load reaches the staging table; DuckDB takes different insert paths for them.
#[derive(Debug, Clone, Copy)]
enum Route {
    /// `run` on a new warehouse: the tables are created in the load's own transaction, and
    /// the other table is staged after it in the same transaction.
    FreshRun,
    /// A full reload into tables that exist: the table is emptied first.
    FullReload,
}

/// The rows and errors of `request` staged into a fresh DuckDB file with `threads` threads.
fn staged(
    dir: &Path,
    request: &StageRequest,
    then: &StageRequest,
    threads: usize,
    max_errors: u64,
    route: Route,
) -> (Bag, Bag) {
    let file = dir.join(format!("w{threads}-{route:?}.duckdb"));
    let _ = std::fs::remove_file(&file);
    let mut wh = DuckDb::open(&file).unwrap();
    let options = LoadOptions {
        threads,
        max_errors,
        ..LoadOptions::default()
    };
    match route {
        Route::FreshRun => {
            let requests = [request, then].map(|r| StageRequest {
                refresh: Refresh::Incremental,
                ..r.clone()
            });
            pipeline::etl(&mut wh, &requests, &options, &Silent, Audit::Off).expect("etl");
        }
        Route::FullReload => {
            pipeline::create_tables(&mut wh, false, &Silent).unwrap();
            pipeline::stage(&mut wh, request, &options, &Silent).expect("stage");
        }
    }
    let rows = wh
        .query(&format!("SELECT * FROM {}", request.table))
        .unwrap()
        .rows
        .into_iter()
        .map(|r| format!("{r:?}"));
    let errors = wh
        .query_bound(
            "SELECT file, line, column_name, column_type, raw_value, raw_line, reason \
             FROM load_errors WHERE table_name = $1",
            &[Value::Text(request.table.clone())],
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| {
            let text = |v: &Value| match v {
                Value::Text(t) => Some(t.clone()),
                _ => None,
            };
            let line = match r[1] {
                Value::Int(n) => n as u64,
                ref other => panic!("line {other:?}"),
            };
            error_text(&LoadError {
                file: text(&r[0]).unwrap(),
                line,
                column_name: text(&r[2]),
                column_type: text(&r[3]),
                raw_value: text(&r[4]),
                raw_line: text(&r[5]).unwrap(),
                reason: text(&r[6]).unwrap(),
            })
        });
    (bag(rows), bag(errors))
}

/// `then` is the other table, staged after `request` by the fresh run.
fn assert_same(
    dir: &Path,
    request: &StageRequest,
    then: &StageRequest,
    max_errors: u64,
    min_rows: usize,
) {
    let (rows, errors) = reference(request, max_errors);
    assert!(
        rows.values().sum::<usize>() >= min_rows,
        "{}: the reference holds {} rows",
        request.table,
        rows.values().sum::<usize>()
    );
    for threads in [1, 4] {
        for route in [Route::FreshRun, Route::FullReload] {
            let (got_rows, got_errors) = staged(dir, request, then, threads, max_errors, route);
            assert_eq!(
                got_rows.values().sum::<usize>(),
                rows.values().sum::<usize>(),
                "{} with {threads} thread(s), {route:?}: row count",
                request.table
            );
            assert!(got_rows == rows, "{} {route:?}: rows differ", request.table);
            assert_eq!(
                got_errors, errors,
                "{} {route:?}: errors differ",
                request.table
            );
        }
    }
}

#[test]
fn the_sample_stages_the_same_rows_as_the_single_threaded_loader() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = sample_dir();
    let events = events_request(&sample, jsonpaths(&sample), true);
    let songs = songs_request(&sample);
    assert_same(tmp.path(), &events, &songs, 0, 8056);
    assert_same(tmp.path(), &songs, &events, 0, 71);
    // 'auto ignorecase' and mojibake kept as it is take other paths through the converter.
    assert_same(
        tmp.path(),
        &events_request(&sample, FormatSpec::AutoIgnoreCase, false),
        &songs,
        0,
        8056,
    );
}

#[test]
fn many_files_with_bad_rows_stage_the_same_rows_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Files of more than one DuckDB vector (2,048 rows), so that parsed chunks wait for a thread.
    dataset(&data, 40, 2600);
    // Bad rows in every third day's file: a malformed line, a text in an integer column.
    let log = data.join("log_data");
    let mut days: Vec<_> = walk(&log);
    days.sort();
    assert!(days.len() >= 40, "{} log files", days.len());
    let mut bad = 0;
    for (i, file) in days.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let mut text = std::fs::read_to_string(file).unwrap();
        let first = text.lines().next().unwrap().to_string();
        let wrong_type = first.replacen("\"sessionId\":", "\"sessionId\":\"x\",\"was\":", 1);
        assert_ne!(wrong_type, first, "no sessionId in {}", file.display());
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("{{\"artist\": oops {i}}}\n{wrong_type}\n"));
        std::fs::write(file, text).unwrap();
        bad += 2;
    }
    let (_, errors) = reference(&events_request(&data, jsonpaths(&data), true), 10_000);
    assert_eq!(errors.values().sum::<usize>(), bad);
    let events = events_request(&data, jsonpaths(&data), true);
    let songs = songs_request(&data);
    assert_same(tmp.path(), &events, &songs, 10_000, 100_000);
    assert_same(tmp.path(), &songs, &events, 10_000, 300);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
