//! Backfill by date (`etl`/`run` `--from DATE --to DATE`): the issue's scenario on DuckDB and
//! PostgreSQL. One day of a copy of the sample is corrupted (levels flipped, events dropped, a
//! user who does not exist, a line that cannot load), loaded in full, fixed, and backfilled;
//! then every staging, bookkeeping and star table equals a clean full load of the fixed data,
//! row for row (songplays without its surrogate key), and the rows of other dates are the very
//! rows they were, ids included. A bad range exits 2; a backfill whose checks fail publishes
//! nothing; a file of the range that disappeared takes its rows with it.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

const DAY: &str = "2018-11-05";
/// 2018-11-05 00:00 UTC and 2018-11-06 00:00 UTC, in the logs' epoch milliseconds.
const DAY_START_MS: i64 = 1_541_376_000_000;
const DAY_END_MS: i64 = 1_541_462_400_000;

/// Copies the shared sample into `dir` (a temporary folder: never into the repository).
fn copy_sample(dir: &Path) {
    let sample = sample_dir();
    for entry in walkdir::WalkDir::new(&sample) {
        let entry = entry.unwrap();
        let to = dir.join(entry.path().strip_prefix(&sample).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

fn day_file(data: &Path) -> PathBuf {
    data.join(format!("log_data/2018/11/{DAY}-events.json"))
}

/// Corrupts the day's file: every level flipped, every fifth event gone, an event of a user
/// no clean load has, and a line that cannot load (rejected into load_errors). Every event
/// keeps its time, so the file still holds only its own day.
fn corrupt_day(data: &Path) {
    let file = day_file(data);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut out = String::new();
    let mut last = String::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || i % 5 == 0 {
            continue;
        }
        let flipped = if line.contains("\"level\":\"free\"") {
            line.replace("\"level\":\"free\"", "\"level\":\"paid\"")
        } else {
            line.replace("\"level\":\"paid\"", "\"level\":\"free\"")
        };
        assert_ne!(flipped, line, "the sample's events carry a level");
        out.push_str(&flipped);
        out.push('\n');
        last = line.to_string();
    }
    let user = last
        .split("\"userId\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    out.push_str(&last.replace(&format!("\"userId\":\"{user}\""), "\"userId\":\"9999\""));
    out.push('\n');
    out.push_str("{\"artist\":\"broken\",\"ts\":\"not a number\"}\n");
    std::fs::write(&file, out).unwrap();
}

/// Every table a backfill may change, each as sorted rows; songplays without songplay_id and
/// the bookkeeping tables without their times, which differ between any two loads.
const TABLES: [(&str, &str); 11] = [
    ("staging_events", "SELECT * FROM staging_events"),
    ("staging_songs", "SELECT * FROM staging_songs"),
    (
        "load_ledger",
        "SELECT table_name, file, size_bytes, version, rows_read, rows_loaded, rows_rejected \
         FROM load_ledger",
    ),
    (
        "load_errors",
        "SELECT table_name, file, line, column_name, column_type, raw_value, raw_line, reason \
         FROM load_errors",
    ),
    (
        "songplays",
        "SELECT start_time, user_id, level, song_id, artist_id, session_id, location, \
         user_agent FROM songplays",
    ),
    ("time", "SELECT * FROM time"),
    ("users", "SELECT * FROM users"),
    ("user_latest", "SELECT * FROM user_latest"),
    ("users_history", "SELECT * FROM users_history"),
    ("songs", "SELECT * FROM songs"),
    ("artists", "SELECT * FROM artists"),
];

fn rows(wh: &mut dyn Warehouse, sql: &str) -> Vec<String> {
    let result = wh.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut rows: Vec<String> = result.rows.iter().map(|r| format!("{r:?}")).collect();
    rows.sort();
    rows
}

fn tables(wh: &mut dyn Warehouse) -> Vec<(&'static str, Vec<String>)> {
    TABLES.iter().map(|(t, sql)| (*t, rows(wh, sql))).collect()
}

fn assert_same(got: &[(&str, Vec<String>)], want: &[(&str, Vec<String>)], what: &str) {
    for ((table, g), (_, w)) in got.iter().zip(want) {
        if let Some(i) = (0..g.len().max(w.len())).find(|&i| g.get(i) != w.get(i)) {
            panic!(
                "{what}: {table} differs ({} rows vs {}) at sorted row {i}:\n backfilled {:?}\n \
                 clean load {:?}",
                g.len(),
                w.len(),
                g.get(i),
                w.get(i)
            );
        }
    }
}

/// The rows dated outside `first`..=`last` (both `YYYY-MM-DD`), whole (songplay_id and
/// loaded_at included): what a backfill of those days must not touch.
fn other_dates(wh: &mut dyn Warehouse, first: &str, last: &str) -> Vec<Vec<String>> {
    let day_ms = |d: &str| {
        let days = sparkify::time::parse_date(d).unwrap();
        days * 86_400_000
    };
    let (start, end) = (day_ms(first), day_ms(last) + 86_400_000);
    let outside = |column: &str| {
        format!(
            "NOT ({column} >= CAST('{first} 00:00:00' AS TIMESTAMP) AND {column} < CAST('{last} \
             00:00:00' AS TIMESTAMP) + INTERVAL '1 day')"
        )
    };
    let (first_day, last_day) = (
        sparkify::time::parse_date(first).unwrap(),
        sparkify::time::parse_date(last).unwrap(),
    );
    let all = wh
        .query(
            "SELECT file, table_name, size_bytes, version, rows_read, rows_loaded, \
             rows_rejected, loaded_at FROM load_ledger",
        )
        .unwrap();
    let mut ledger: Vec<String> = all
        .rows
        .iter()
        .filter(|row| match &row[0] {
            sparkify::value::Value::Text(file) => {
                sparkify::pipeline::file_day(file).is_none_or(|d| d < first_day || d > last_day)
            }
            other => panic!("a ledger file that is not text: {other:?}"),
        })
        .map(|row| format!("{row:?}"))
        .collect();
    ledger.sort();
    vec![
        rows(
            wh,
            &format!("SELECT * FROM songplays WHERE {}", outside("start_time")),
        ),
        rows(
            wh,
            &format!("SELECT * FROM time WHERE {}", outside("start_time")),
        ),
        rows(
            wh,
            &format!("SELECT * FROM staging_events WHERE ts < {start} OR ts >= {end}"),
        ),
        ledger,
    ]
}

/// Asserts that the rows of other dates are as they were, without printing thousands of rows.
fn assert_untouched(now: &[Vec<String>], before: &[Vec<String>], what: &str) {
    for (i, (n, b)) in now.iter().zip(before).enumerate() {
        let first = (0..n.len().max(b.len())).find(|&j| n.get(j) != b.get(j));
        assert!(
            first.is_none(),
            "{what}: part {i} ({} rows vs {}) differs at {first:?}: now {:?}, before {:?}",
            n.len(),
            b.len(),
            first.and_then(|j| n.get(j)),
            first.and_then(|j| b.get(j)),
        );
    }
}

/// `sparkify VERB --warehouse W ARGS... SOURCES...` in `cwd`.
fn sparkify_in(
    cwd: &Path,
    verb: &str,
    warehouse: &str,
    data: &Path,
    extra: &[&str],
) -> std::process::Output {
    sparkify()
        .current_dir(cwd)
        .args([verb, "--warehouse", warehouse, "--max-errors", "10"])
        .args(extra)
        .args(sources(data))
        .output()
}

/// The issue's scenario on one engine: `warehouse`/`open` name the warehouse that is
/// backfilled, `clean`/`open_clean` one for the clean full load to compare with.
fn corrupt_fix_backfill_equals_clean_load(
    warehouse: &str,
    open: &dyn Fn() -> Box<dyn Warehouse>,
    clean: &str,
    open_clean: &dyn Fn() -> Box<dyn Warehouse>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    copy_sample(&data);
    corrupt_day(&data);
    ok(&sparkify_in(tmp.path(), "run", warehouse, &data, &[]));
    let (corrupt_rows, before) = {
        let mut wh = open();
        let errors = count(wh.as_mut(), "SELECT COUNT(*) FROM load_errors");
        assert_eq!(errors, 1, "the corrupt day's bad line is rejected");
        assert_eq!(
            count(
                wh.as_mut(),
                "SELECT COUNT(*) FROM users WHERE user_id = 9999"
            ),
            1
        );
        (
            count(
                wh.as_mut(),
                &format!(
                    "SELECT COUNT(*) FROM staging_events WHERE ts >= {DAY_START_MS} AND ts < \
                     {DAY_END_MS}"
                ),
            ),
            other_dates(wh.as_mut(), DAY, DAY),
        )
    };

    // The source is fixed; the day is reprocessed.
    std::fs::copy(
        sample_dir().join(format!("log_data/2018/11/{DAY}-events.json")),
        day_file(&data),
    )
    .unwrap();
    let out = sparkify_in(
        tmp.path(),
        "etl",
        warehouse,
        &data,
        &["--from", DAY, "--to", DAY],
    );
    let stdout = ok(&out);
    // It says what it replaced: the file, and the rows removed and added.
    assert!(stdout.contains(&format!("{DAY}-events.json")), "{stdout}");
    assert!(stdout.contains("1 file(s) replaced"), "{stdout}");
    assert!(
        stdout.contains(&format!("{corrupt_rows} row(s) removed, 408 added")),
        "{stdout}"
    );

    ok(&sparkify_in(tmp.path(), "run", clean, &data, &[]));
    let want = tables(open_clean().as_mut());
    let mut wh = open();
    assert_same(&tables(wh.as_mut()), &want, "after the backfill");
    assert_untouched(
        &other_dates(wh.as_mut(), DAY, DAY),
        &before,
        "a backfill of one day changed rows of other dates",
    );
    assert_eq!(
        count(
            wh.as_mut(),
            "SELECT COUNT(*) - COUNT(DISTINCT songplay_id) FROM songplays"
        ),
        0
    );
    for scratch in [
        "staging_events_new",
        "user_candidates",
        "changed_plays",
        "replaced_plays",
    ] {
        assert_eq!(
            count(wh.as_mut(), &format!("SELECT COUNT(*) FROM {scratch}")),
            0,
            "{scratch} is left filled"
        );
    }
    let report = sparkify::checks::run(wh.as_mut()).unwrap();
    assert!(report.failed().is_empty(), "{:?}", report.failed());

    // Backfilling the same day again changes nothing, ids included.
    let all = rows(wh.as_mut(), "SELECT * FROM songplays");
    drop(wh);
    ok(&sparkify_in(
        tmp.path(),
        "etl",
        warehouse,
        &data,
        &["--from", DAY, "--to", DAY],
    ));
    let mut wh = open();
    assert_eq!(rows(wh.as_mut(), "SELECT * FROM songplays"), all);
    // Each backfill left its row in the run history, like any run.
    assert_eq!(
        rows(
            wh.as_mut(),
            "SELECT command || ' ' || status || ' ' || CAST(files_staged AS VARCHAR) FROM runs \
             ORDER BY run_id DESC LIMIT 1"
        ),
        [r#"[Text("etl published 1")]"#]
    );
}

#[test]
fn duckdb_backfill_of_a_fixed_day_equals_a_clean_load() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.duckdb"), tmp.path().join("b.duckdb"));
    corrupt_fix_backfill_equals_clean_load(
        &format!("duckdb:{}", a.display()),
        &|| Box::new(DuckDb::open(&a).unwrap()),
        &format!("duckdb:{}", b.display()),
        &|| Box::new(DuckDb::open(&b).unwrap()),
    );
}

#[test]
fn postgres_backfill_of_a_fixed_day_equals_a_clean_load() {
    let (a, b) = (pg::server().new_database(), pg::server().new_database());
    let connect = |url: &str| -> Box<dyn Warehouse> {
        Box::new(Postgres::connect(Target::parse(url, 5432, "disable").unwrap()).unwrap())
    };
    corrupt_fix_backfill_equals_clean_load(&a, &|| connect(&a), &b, &|| connect(&b));
}

/// Bad dates and an inverted range exit 2 with a message naming the problem, before anything
/// is opened.
#[test]
fn a_bad_date_range_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let warehouse = format!("duckdb:{}", tmp.path().join("w.duckdb").display());
    for (verb, range, said) in [
        (
            "etl",
            ["--from", "2018-11-31", "--to", "2018-12-01"],
            "2018-11-31",
        ),
        (
            "etl",
            ["--from", "2018-11-5", "--to", "2018-11-06"],
            "YYYY-MM-DD",
        ),
        (
            "run",
            ["--from", "2018-11-06", "--to", "2018-11-05"],
            "after",
        ),
        (
            "etl",
            ["--from", "yesterday", "--to", "2018-11-05"],
            "YYYY-MM-DD",
        ),
    ] {
        let out = sparkify_in(tmp.path(), verb, &warehouse, &sample_dir(), &range);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{range:?}: {stderr}");
        assert!(stderr.contains(said), "{range:?}: {stderr}");
    }
    // One end alone is refused too, and --full-refresh does not mix with a range.
    for extra in [
        &["--from", "2018-11-05"][..],
        &["--to", "2018-11-05"],
        &[
            "--from",
            "2018-11-05",
            "--to",
            "2018-11-05",
            "--full-refresh",
        ],
    ] {
        let out = sparkify_in(tmp.path(), "etl", &warehouse, &sample_dir(), extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out).1);
    }
    assert!(!tmp.path().join("w.duckdb").exists());
}

/// Every table a run publishes, dumped whole.
fn published(wh: &mut dyn Warehouse) -> Vec<Vec<String>> {
    [
        "songplays",
        "users",
        "user_latest",
        "users_history",
        "songs",
        "artists",
        "time",
        "staging_events",
        "staging_songs",
        "load_ledger",
        "load_errors",
        "transform_state",
    ]
    .iter()
    .map(|t| dump(wh, t))
    .collect()
}

/// `run --from --to` is audited like any run: a backfill that fails a check (a new user whose
/// one event has no level, so `users.level` is NULL) is rolled back whole and publishes
/// nothing.
fn failing_backfill_publishes_nothing(warehouse: &str, open: &dyn Fn() -> Box<dyn Warehouse>) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    copy_sample(&data);
    ok(&sparkify_in(tmp.path(), "run", warehouse, &data, &[]));
    let before = published(open().as_mut());
    let file = day_file(&data);
    let mut text_now = std::fs::read_to_string(&file).unwrap();
    let last = text_now.lines().last().unwrap().to_string();
    let levelless = last
        .replace("\"level\":\"free\",", "")
        .replace("\"level\":\"paid\",", "")
        .replace("\"userId\":\"12\"", "\"userId\":\"9998\"");
    assert!(
        !levelless.contains("level") && levelless.contains("9998"),
        "{levelless}"
    );
    text_now.push('\n');
    text_now.push_str(&levelless);
    std::fs::write(&file, text_now).unwrap();
    let out = sparkify_in(
        tmp.path(),
        "run",
        warehouse,
        &data,
        &["--from", DAY, "--to", DAY],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("nothing was published"), "{stderr}");
    assert!(stderr.contains("users level not null"), "{stderr}");
    let mut wh = open();
    assert_eq!(published(wh.as_mut()), before);
    assert!(count(wh.as_mut(), "SELECT COUNT(*) FROM audit_failures") > 0);
    // The rolled-back backfill is in the run history all the same, after the first run.
    assert_eq!(
        rows(
            wh.as_mut(),
            "SELECT command || ' ' || status || ' ' || CAST(files_staged AS VARCHAR) || ' ' || \
             CAST(checks_failed AS VARCHAR) FROM runs ORDER BY run_id"
        ),
        [
            r#"[Text("run checks_failed 1 1")]"#,
            r#"[Text("run published 101 0")]"#
        ]
    );
}

#[test]
fn duckdb_failing_backfill_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("w.duckdb");
    failing_backfill_publishes_nothing(&format!("duckdb:{}", path.display()), &|| {
        Box::new(DuckDb::open(&path).unwrap())
    });
}

#[test]
fn postgres_failing_backfill_publishes_nothing() {
    let url = pg::server().new_database();
    failing_backfill_publishes_nothing(&url, &|| {
        Box::new(Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap())
    });
}

/// A file of the range that the source no longer holds: its rows, ledger entry and errors go,
/// as a clean load of what the source holds now would have none of them; a new file of the
/// range is loaded; a new file outside the range is left for the next run, and said so.
#[test]
fn a_file_gone_from_the_range_takes_its_rows_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    copy_sample(&data);
    let (a, b) = (tmp.path().join("a.duckdb"), tmp.path().join("b.duckdb"));
    let wa = format!("duckdb:{}", a.display());
    ok(&sparkify_in(tmp.path(), "run", &wa, &data, &[]));
    let before = other_dates(&mut DuckDb::open(&a).unwrap(), "2018-11-04", DAY);
    let moved = data.join("log_data/2018/11/2018-11-30-events.json");
    let aside = tmp.path().join("2018-11-30-events.json");
    std::fs::rename(&moved, &aside).unwrap();
    std::fs::remove_file(day_file(&data)).unwrap();
    let out = sparkify_in(
        tmp.path(),
        "etl",
        &wa,
        &data,
        &["--from", "2018-11-04", "--to", DAY],
    );
    let stdout = ok(&out);
    assert!(
        stdout.contains("1 file(s) replaced, 0 added, 1 removed"),
        "{stdout}"
    );
    assert!(stdout.contains("597 row(s) removed, 189 added"), "{stdout}");
    let mut wh = DuckDb::open(&a).unwrap();
    assert_eq!(
        count(
            &mut wh,
            &format!(
                "SELECT COUNT(*) FROM staging_events WHERE ts >= {DAY_START_MS} AND ts < \
                 {DAY_END_MS}"
            )
        ),
        0
    );
    // Nothing outside the range moved, although 2018-11-30 is gone from the source too: the
    // range is all a backfill touches.
    assert_untouched(
        &other_dates(&mut wh, "2018-11-04", DAY),
        &before,
        "a backfill with a file gone",
    );
    drop(wh);
    // Equal to a clean load of what the source holds now plus the day outside the range.
    std::fs::rename(&aside, &moved).unwrap();
    ok(&sparkify_in(
        tmp.path(),
        "run",
        &format!("duckdb:{}", b.display()),
        &data,
        &[],
    ));
    assert_same(
        &tables(&mut DuckDb::open(&a).unwrap()),
        &tables(&mut DuckDb::open(&b).unwrap()),
        "after a file of the range disappeared",
    );
}

/// The date in a file's name and its events' dates must agree, since staging finds a file's
/// rows by their dates: an undated file holding events of the range, or a file of the range
/// that now holds an event of another day, is refused with exit 2 and the warehouse is left
/// exactly as it was.
#[test]
fn dates_that_disagree_with_file_names_are_refused_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    copy_sample(&data);
    let path = tmp.path().join("w.duckdb");
    let warehouse = format!("duckdb:{}", path.display());
    // A copy of the day under a name without a date: its events are the day's too.
    let undated = data.join("log_data/2018/11/extra-events.json");
    std::fs::copy(day_file(&data), &undated).unwrap();
    ok(&sparkify_in(tmp.path(), "run", &warehouse, &data, &[]));
    let before = published(&mut DuckDb::open(&path).unwrap());
    let out = sparkify_in(
        tmp.path(),
        "etl",
        &warehouse,
        &data,
        &["--from", DAY, "--to", DAY],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("staging_events holds 816 event(s) dated in it")
            && stderr.contains("loaded 408")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert!(stderr.contains("have no date in their name"), "{stderr}");
    assert_eq!(published(&mut DuckDb::open(&path).unwrap()), before);

    // Without the undated copy (a full refresh), a day's file that now holds an event of the
    // next day is refused too.
    std::fs::remove_file(&undated).unwrap();
    ok(&sparkify_in(
        tmp.path(),
        "run",
        &warehouse,
        &data,
        &["--full-refresh"],
    ));
    let before = published(&mut DuckDb::open(&path).unwrap());
    let file = day_file(&data);
    let mut text_now = std::fs::read_to_string(&file).unwrap();
    let last = text_now.lines().last().unwrap().to_string();
    text_now.push('\n');
    text_now.push_str(&last.replace("\"ts\":1541461788796", "\"ts\":1541462400000"));
    std::fs::write(&file, text_now).unwrap();
    let out = sparkify_in(
        tmp.path(),
        "etl",
        &warehouse,
        &data,
        &["--from", DAY, "--to", DAY],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("its files hold 1 event(s) dated outside it"),
        "{stderr}"
    );
    assert_eq!(published(&mut DuckDb::open(&path).unwrap()), before);
    // Widened to the next day, it goes through.
    ok(&sparkify_in(
        tmp.path(),
        "etl",
        &warehouse,
        &data,
        &["--from", DAY, "--to", "2018-11-06"],
    ));
}

/// A warehouse whose star schema other transform SQL built (another sparkify version) cannot
/// be updated in place: the backfill swaps the range's staging rows and then rebuilds the star
/// schema from all of them, says so, and still equals a clean load.
#[test]
fn a_backfill_of_a_star_schema_built_by_other_sql_rebuilds_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    copy_sample(&data);
    corrupt_day(&data);
    let (a, b) = (tmp.path().join("a.duckdb"), tmp.path().join("b.duckdb"));
    let wa = format!("duckdb:{}", a.display());
    ok(&sparkify_in(tmp.path(), "run", &wa, &data, &[]));
    DuckDb::open(&a)
        .unwrap()
        // As if an earlier version had built it by other rules: its time table differs,
        // on days the backfill does not cover too, which only a rebuild puts right.
        .execute(
            "UPDATE transform_state SET transform_hash = 'another', sparkify_version = '0.0.9'; \
             DELETE FROM time WHERE hour < 12",
        )
        .unwrap();
    std::fs::copy(
        sample_dir().join(format!("log_data/2018/11/{DAY}-events.json")),
        day_file(&data),
    )
    .unwrap();
    let out = sparkify_in(tmp.path(), "etl", &wa, &data, &["--from", DAY, "--to", DAY]);
    ok(&out);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("the transform SQL changed since the star schema was built"),
        "{stderr}"
    );
    ok(&sparkify_in(
        tmp.path(),
        "run",
        &format!("duckdb:{}", b.display()),
        &data,
        &[],
    ));
    assert_same(
        &tables(&mut DuckDb::open(&a).unwrap()),
        &tables(&mut DuckDb::open(&b).unwrap()),
        "after a backfill that rebuilt",
    );
    assert_eq!(
        rows(
            &mut DuckDb::open(&a).unwrap(),
            "SELECT transform_hash FROM transform_state"
        ),
        [format!(
            "[Text({:?})]",
            sparkify::pipeline::transform_hash().unwrap()
        )]
    );
}
