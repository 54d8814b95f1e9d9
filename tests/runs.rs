//! The run history (`runs`, `--results FILE`) and the freshness and volume checks, on DuckDB and
//! PostgreSQL: a passing, a check-failing and a rejected-load run each leave their row (the
//! rolled-back ones too), the JSON says the same, freshness warns and fails by its thresholds,
//! a dip in daily volume is found, and the report lists the latest runs.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value as Json;
use sparkify::value::Value;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

type Connect<'a> = &'a dyn Fn() -> Box<dyn Warehouse>;

/// The rows of `runs`, oldest first, as (column → value) maps.
fn runs(wh: &mut dyn Warehouse) -> Vec<std::collections::BTreeMap<String, Value>> {
    let found = wh
        .query(
            "SELECT run_id, command, status, build, rebuild_reason, files_staged, rows_staged, \
             rows_rejected, checks_passed, checks_failed, checks_warned, sparkify_version, \
             engine, error, CAST(started AS VARCHAR(32)) AS started FROM runs ORDER BY run_id",
        )
        .unwrap();
    found
        .rows
        .iter()
        .map(|r| {
            found
                .columns
                .iter()
                .cloned()
                .zip(r.iter().cloned())
                .collect()
        })
        .collect()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn txt(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => panic!("not text: {other:?}"),
    }
}

fn results(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn files_in(dir: &Path) -> i64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_type().is_file()))
        .count() as i64
}

fn history(warehouse: &str, connect: Connect) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let sources = dataset(&data, 2, 100);
    let json = |name: &str| tmp.path().join(name);
    let with_results = |name: &str| vec!["--results".to_string(), json(name).display().to_string()];

    // 1. A passing first run: published, a rebuild, every file and row counted.
    let r = with_results("ok.json");
    let stdout = ok(&run(tmp.path(), warehouse, &sources, &strs(&r)));
    assert!(
        stdout.contains(
            "Build: full rebuild from all staged rows (the first build of the star schema)."
        ),
        "{stdout}"
    );
    let files = files_in(&data.join("song_data")) + files_in(&data.join("log_data"));
    let (events, songs) = {
        let mut wh = connect();
        (
            count(wh.as_mut(), "SELECT COUNT(*) FROM staging_events"),
            count(wh.as_mut(), "SELECT COUNT(*) FROM staging_songs"),
        )
    };
    let rows = runs(connect().as_mut());
    assert_eq!(rows.len(), 1);
    let first = &rows[0];
    assert_eq!(txt(&first["command"]), "run");
    assert_eq!(txt(&first["status"]), "published");
    assert_eq!(txt(&first["build"]), "rebuild");
    assert_eq!(int(&first["files_staged"]), files);
    assert_eq!(int(&first["rows_staged"]), events + songs);
    assert_eq!(int(&first["rows_rejected"]), 0);
    assert_eq!(int(&first["checks_passed"]), 61);
    assert_eq!(int(&first["checks_failed"]), 0);
    assert_eq!(int(&first["checks_warned"]), 0);
    assert_eq!(txt(&first["sparkify_version"]), env!("CARGO_PKG_VERSION"));
    assert_eq!(first["error"], Value::Null);
    let ok_json = results(&json("ok.json"));
    assert_eq!(ok_json["sparkify_results"], 1);
    assert_eq!(
        ok_json["run_id"].as_str(),
        Some(txt(&first["run_id"]).as_str())
    );
    assert_eq!(ok_json["status"], "published");
    assert_eq!(ok_json["exit_code"], 0);
    assert_eq!(ok_json["command"], "run");
    assert_eq!(ok_json["engine"], txt(&first["engine"]));
    assert_eq!(ok_json["build"], "rebuild");
    assert_eq!(ok_json["files_staged"], files);
    assert_eq!(ok_json["rows_staged"], events + songs);
    assert_eq!(ok_json["checks"]["passed"], 61);
    assert_eq!(ok_json["checks"]["results"].as_array().unwrap().len(), 61);
    assert_eq!(ok_json["tables"][0]["table"], "staging_events");
    assert_eq!(ok_json["tables"][0]["rows_loaded"], events);
    assert_eq!(ok_json["recorded"], true);
    assert_eq!(ok_json["error"], Json::Null);

    // 2. A song without a title fails a check: rolled back, but its row stays.
    let dir = data.join("song_data/Z/Z/Z");
    std::fs::create_dir_all(&dir).unwrap();
    let bad_song = dir.join("TRZZZ128F4299999.json");
    std::fs::write(
        &bad_song,
        r#"{"num_songs": 1, "artist_id": "ARZZZ1187B9999999", "artist_name": "Nobody", "song_id": "SOZZZ12A8C999999", "title": null, "duration": 100.5, "year": 0}"#,
    )
    .unwrap();
    let r = with_results("failed.json");
    let out = run(tmp.path(), warehouse, &sources, &strs(&r));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let rows = runs(connect().as_mut());
    assert_eq!(rows.len(), 2, "the rolled-back run left no row");
    let failed = &rows[1];
    assert_eq!(txt(&failed["status"]), "checks_failed");
    assert_eq!(txt(&failed["build"]), "incremental");
    assert_eq!(int(&failed["files_staged"]), 1);
    assert_eq!(int(&failed["rows_staged"]), 1);
    assert_eq!(int(&failed["checks_failed"]), 1);
    assert_eq!(int(&failed["checks_passed"]), 60);
    assert!(
        txt(&failed["error"]).contains("nothing was published"),
        "{failed:?}"
    );
    // The rolled-back run's staging is gone: the file is not in the ledger.
    assert_eq!(
        count(
            connect().as_mut(),
            "SELECT COUNT(*) FROM load_ledger WHERE file LIKE '%TRZZZ128F4299999.json'"
        ),
        0
    );
    let failed_json = results(&json("failed.json"));
    assert_eq!(failed_json["status"], "checks_failed");
    assert_eq!(failed_json["exit_code"], 3);
    assert_eq!(
        failed_json["run_id"].as_str(),
        Some(txt(&failed["run_id"]).as_str())
    );
    assert_eq!(failed_json["checks"]["failed"], 1);
    assert_eq!(failed_json["recorded"], true);
    let failures: Vec<&Json> = failed_json["checks"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "failed")
        .collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["table"], "songs");
    assert_eq!(failures[0]["rule"], "title not null");
    assert_eq!(failures[0]["violations"], 1);
    assert!(
        failed_json["error"]
            .as_str()
            .is_some_and(|e| e.contains("songs title not null")),
        "{failed_json}"
    );
    std::fs::remove_file(bad_song).unwrap();

    // 3. A load rejected for --max-errors: rolled back, its row says how many were rejected.
    let day = data.join("log_data/2018/11/2018-11-03-events.json");
    std::fs::create_dir_all(day.parent().unwrap()).unwrap();
    std::fs::write(
        &day,
        "{\"userId\": \"5\", \"ts\": \"soon\", \"page\": \"Home\"}\n\
         {\"userId\": \"6\", \"ts\": \"later\", \"page\": \"Home\"}\n",
    )
    .unwrap();
    let r = with_results("rejected.json");
    let out = run(tmp.path(), warehouse, &sources, &strs(&r));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    let rows = runs(connect().as_mut());
    assert_eq!(rows.len(), 3);
    let rejected = &rows[2];
    assert_eq!(txt(&rejected["status"]), "rejected_load");
    assert_eq!(int(&rejected["rows_rejected"]), 2);
    assert_eq!(rejected["checks_passed"], Value::Null, "no checks ran");
    let rejected_json = results(&json("rejected.json"));
    assert_eq!(rejected_json["status"], "rejected_load");
    assert_eq!(rejected_json["exit_code"], 4);
    assert_eq!(rejected_json["rows_rejected"], 2);
    assert_eq!(rejected_json["checks"], Json::Null);
    std::fs::remove_file(&day).unwrap();

    // 4. `etl` is recorded too, unaudited.
    let r = with_results("etl.json");
    let out = sparkify()
        .current_dir(tmp.path())
        .args(["--warehouse", warehouse, "etl"])
        .args(&sources)
        .args(&r)
        .output();
    let stdout = ok(&out);
    assert!(
        stdout.contains("Build: incremental (the star schema was updated"),
        "{stdout}"
    );
    let rows = runs(connect().as_mut());
    assert_eq!(rows.len(), 4);
    assert_eq!(txt(&rows[3]["command"]), "etl");
    assert_eq!(txt(&rows[3]["status"]), "published");
    assert_eq!(rows[3]["checks_passed"], Value::Null);
    assert_eq!(results(&json("etl.json"))["checks"], Json::Null);

    // The report lists the latest runs, newest first.
    let html = sparkify::analytics::report::build(connect().as_mut()).unwrap();
    let section = &html[html.find("Latest runs").expect("a run history section")..];
    let mut at = 0;
    for row in rows.iter().rev() {
        let id = txt(&row["run_id"]);
        let found = section[at..]
            .find(&format!("<td>{id}</td>"))
            .unwrap_or_else(|| panic!("run {id} not listed in order"));
        at += found;
    }
    for status in ["published", "checks_failed", "rejected_load"] {
        assert!(section.contains(&format!("<td>{status}</td>")), "{status}");
    }
}

fn duckdb(path: PathBuf) -> impl Fn() -> Box<dyn Warehouse> {
    move || -> Box<dyn Warehouse> { Box::new(DuckDb::open(&path).unwrap()) }
}

fn postgres(url: String) -> impl Fn() -> Box<dyn Warehouse> {
    move || -> Box<dyn Warehouse> {
        Box::new(Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap())
    }
}

#[test]
fn every_run_leaves_its_row_and_results_on_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("w.duckdb");
    history(&format!("duckdb:{}", path.display()), &duckdb(path));
}

#[test]
fn every_run_leaves_its_row_and_results_on_postgres() {
    let url = pg::server().new_database();
    history(&url, &postgres(url.clone()));
}

#[test]
fn results_are_written_when_the_warehouse_cannot_be_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let sources = dataset(&data, 1, 10);
    let file = tmp.path().join("r.json");
    let warehouse = format!(
        "duckdb:{}",
        tmp.path().join("no/such/dir/w.duckdb").display()
    );
    let out = run(
        tmp.path(),
        &warehouse,
        &sources,
        &["--results", &file.display().to_string()],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let json = results(&file);
    assert_eq!(json["status"], "error");
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["recorded"], false);
    assert_eq!(json["engine"], "duckdb");
    assert!(
        json["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{json}"
    );
}

/// One event line at `ms`, enough for staging and the star schema.
fn event(ms: i64, item: i64) -> String {
    format!(
        r#"{{"artist":null,"auth":"Logged In","firstName":"Ann","gender":"F","itemInSession":{item},"lastName":"Lee","length":null,"level":"free","location":"Here","method":"GET","page":"Home","registration":1540919166796.0,"sessionId":1,"song":null,"status":200,"ts":{ms},"userAgent":"x","userId":"7"}}"#
    )
}

const DAY: i64 = 86_400_000;
/// 2018-11-01T00:00:00Z.
const NOV_1: i64 = 1_541_030_400_000;

/// Replaces the dataset's event logs with `days` (day of November 2018, events that day, one a
/// second from 20:00 UTC), each in a file named `file_day`.
fn write_days(data: &Path, days: &[(i64, i64, i64)]) {
    let logs = data.join("log_data");
    std::fs::remove_dir_all(&logs).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    for (file_day, day, events) in days {
        let name = logs.join(format!("2018-11-{file_day:02}-events.json"));
        let start = NOV_1 + (day - 1) * DAY + 20 * 3_600_000;
        let mut text = String::new();
        for i in 0..*events {
            text.push_str(&event(start + i * 1000, i));
            text.push('\n');
        }
        let mut old = std::fs::read_to_string(&name).unwrap_or_default();
        old.push_str(&text);
        std::fs::write(&name, old).unwrap();
    }
}

fn freshness(warehouse: &str, connect: Connect) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let sources = dataset(&data, 1, 10);
    // Days 1-3 in their own files; the file named the 5th holds events of the 4th from 20:00:
    // the newest event lies 28 h before the end of the newest file's day.
    write_days(&data, &[(1, 1, 40), (2, 2, 40), (3, 3, 40), (5, 4, 40)]);
    let no_volume = ["--volume-min-percent", "0"];

    // Above the error threshold (24 h by default): an error, nothing published.
    let out = run(tmp.path(), warehouse, &sources, &no_volume);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "staging_events ts freshness vs newest file (newest ts 2018-11-04 20:00:39 is 28.0 h \
             before the end of 2018-11-05, the day of the newest file (2018-11-05-events.json); \
             warn above 12 h, error above 24 h)"
        ),
        "{stderr}"
    );
    assert_eq!(
        count(connect().as_mut(), "SELECT COUNT(*) FROM staging_events"),
        0
    );

    // Between the thresholds: a warning, published.
    let mut args = no_volume.to_vec();
    args.extend(["--freshness-file-error-hours", "48"]);
    let stdout = ok(&run(tmp.path(), warehouse, &sources, &args));
    assert!(
        stdout.contains("warning: check staging_events: ts freshness vs newest file (newest ts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("60 of 61 checks passed, 1 warned"),
        "{stdout}"
    );

    // Below both: passes. Against now (off by default): the 2018 data is years old.
    let mut args = no_volume.to_vec();
    args.extend(["--freshness-file-warn-hours", "40"]);
    args.extend(["--freshness-file-error-hours", "off"]);
    let stdout = ok(&run(tmp.path(), warehouse, &sources, &args));
    assert!(stdout.contains("All 61 checks passed"), "{stdout}");
    args.extend(["--freshness-now-warn-hours", "24"]);
    let stdout = ok(&run(tmp.path(), warehouse, &sources, &args));
    assert!(
        stdout.contains("warning: check staging_events: ts freshness vs now (newest ts 2018-11-04"),
        "{stdout}"
    );
    args.extend(["--freshness-now-error-hours", "72"]);
    let out = run(tmp.path(), warehouse, &sources, &args);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("staging_events ts freshness vs now"),
        "{stderr}"
    );
    // `check` takes the same thresholds from the environment.
    let out = sparkify()
        .current_dir(tmp.path())
        .args(["--warehouse", warehouse, "check"])
        .env("SPARKIFY_FRESHNESS_NOW_ERROR_HOURS", "72")
        .output();
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("FAIL staging_events ts freshness vs now"),
        "{stdout}"
    );
}

/// Day 5 has 3 events and day 7 none, against 40 on the days around them.
fn volume(warehouse: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let sources = dataset(&data, 1, 10);
    let days: Vec<(i64, i64, i64)> = (1..=9)
        .filter(|d| *d != 7)
        .map(|d| (d, d, if d == 5 { 3 } else { 40 }))
        .collect();
    write_days(&data, &days);
    let file = tmp.path().join("r.json");
    let out = run(
        tmp.path(),
        warehouse,
        &sources,
        &["--results", &file.display().to_string()],
    );
    let stdout = ok(&out);
    assert!(
        stdout.contains(
            "warning: check staging_events: ts volume by day (2 days, first 2018-11-05: 3 rows, \
             7.5 % of the median 40 of the 3 days either side (below 10 %); warn severity"
        ),
        "{stdout}"
    );
    let json = results(&file);
    assert_eq!(json["status"], "published");
    assert_eq!(json["checks"]["warned"], 1);
    let volume: Vec<&Json> = json["checks"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "ts volume by day")
        .collect();
    assert_eq!(volume.len(), 1);
    assert_eq!(volume[0]["status"], "warned");
    assert_eq!(volume[0]["violations"], 2);
    let out = sparkify()
        .current_dir(tmp.path())
        .args(["--warehouse", warehouse, "check"])
        .output();
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("warn staging_events ts volume by day  (2 days, first 2018-11-05"),
        "{stdout}"
    );
    // 7.5 % is not below 5 %: only the empty day 7 is left.
    let out = sparkify()
        .current_dir(tmp.path())
        .args([
            "--warehouse",
            warehouse,
            "check",
            "--volume-min-percent",
            "5",
        ])
        .output();
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("warn staging_events ts volume by day  (2018-11-07: 0 rows, 0.0 %"),
        "{stdout}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning does not fail `check`"
    );
}

#[test]
fn freshness_and_volume_on_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("w.duckdb");
    freshness(&format!("duckdb:{}", path.display()), &duckdb(path));
    volume(&format!("duckdb:{}", tmp.path().join("v.duckdb").display()));
}

#[test]
fn freshness_and_volume_on_postgres() {
    let url = pg::server().new_database();
    freshness(&url, &postgres(url.clone()));
    volume(&pg::server().new_database());
}
