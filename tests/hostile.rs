//! Hostile input, on every warehouse in the test run (DuckDB and PostgreSQL): each file of the
//! corpus in `tests/hostile/` must load what can be loaded, reject the rest with a reason in
//! `load_errors`, keep rows read = loaded + rejected, and honour --max-errors.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use sparkify::Error;
use sparkify::copy::FormatSpec;
use sparkify::copy::load::LoadOptions;
use sparkify::pipeline::{self, Refresh, Silent, StageRequest};
use sparkify::source::Source;
use sparkify::value::Value;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// A rejected row: line, column (None for a record-level error), words of the reason.
type Rejection = (u64, Option<&'static str>, &'static str);

/// What must happen to one input: rows read and loaded, and each rejected row.
struct Expect {
    read: u64,
    loaded: u64,
    rejected: &'static [Rejection],
}

/// One `#[test]` per case and warehouse (`on_duckdb::CASE`, `on_postgres::CASE`), each on a
/// fresh warehouse, so that a failure names the input and the engine and hides no other case.
/// `files`: `tests/hostile/events/CASE.json` and what must happen to it ([`corpus_file`]);
/// `checks`: functions `fn(&mut dyn Warehouse, name)`. `name` ("duckdb: CASE") starts every
/// assertion message.
macro_rules! on_every_warehouse {
    (files { $($file:ident: $expect:expr,)* } checks { $($check:ident,)* }) => {
        /// The corpus files that have a case.
        const CORPUS_FILES: &[&str] = &[$(stringify!($file)),*];
        on_every_warehouse!(
            @engine on_duckdb, with_duckdb, { $($file: $expect,)* } { $($check,)* }
        );
        on_every_warehouse!(
            @engine on_postgres, with_postgres, { $($file: $expect,)* } { $($check,)* }
        );
    };
    (
        @engine $module:ident, $with:ident,
        { $($file:ident: $expect:expr,)* } { $($check:ident,)* }
    ) => {
        mod $module {
            use super::*;
            $(
                #[test]
                fn $file() {
                    $with(stringify!($file), |wh, name| {
                        corpus_file(wh, name, concat!(stringify!($file), ".json"), $expect)
                    });
                }
            )*
            $(
                #[test]
                fn $check() {
                    $with(stringify!($check), super::$check);
                }
            )*
        }
    };
}

fn with_duckdb(case: &str, check: fn(&mut dyn Warehouse, &str)) {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    check(&mut wh, &format!("duckdb: {case}"));
}

fn with_postgres(case: &str, check: fn(&mut dyn Warehouse, &str)) {
    let url = pg::server().new_database();
    let mut wh = Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    check(&mut wh, &format!("postgres: {case}"));
}

on_every_warehouse! {
    files {
        malformed_middle: Expect {
            read: 3,
            loaded: 2,
            rejected: &[(2, None, "malformed JSON")],
        },
        truncated_last: Expect {
            read: 3,
            loaded: 2,
            rejected: &[(3, None, "truncated JSON")],
        },
        // A record cut short, followed by good ones: the cut record is one row on its own
        // line, the next record loads (it used to be swallowed and blamed).
        truncated_in_a_number: Expect {
            read: 3,
            loaded: 2,
            rejected: &[(2, None, "truncated JSON")],
        },
        truncated_after_a_colon: Expect {
            read: 4,
            loaded: 3,
            rejected: &[(2, None, "truncated JSON")],
        },
        truncated_missing_brace: Expect {
            read: 3,
            loaded: 2,
            rejected: &[(2, None, "truncated JSON")],
        },
        empty: Expect {
            read: 0,
            loaded: 0,
            rejected: &[],
        },
        whitespace_only: Expect {
            read: 0,
            loaded: 0,
            rejected: &[],
        },
        utf8_bom: Expect {
            read: 2,
            loaded: 2,
            rejected: &[],
        },
        invalid_utf8: Expect {
            read: 3,
            loaded: 2,
            rejected: &[(2, None, "UTF-8")],
        },
        json_array: Expect {
            read: 1,
            loaded: 0,
            rejected: &[(1, None, "each record must be an object")],
        },
        nested_object: Expect {
            read: 3,
            loaded: 1,
            rejected: &[
                (2, Some("userid"), "object cannot load"),
                (3, Some("iteminsession"), "array cannot load"),
            ],
        },
        out_of_range: Expect {
            read: 3,
            loaded: 1,
            rejected: &[
                (1, Some("sessionid"), "out of range for INTEGER"),
                (2, Some("status"), "out of range for SMALLINT"),
            ],
        },
        string_for_number: Expect {
            read: 3,
            loaded: 1,
            rejected: &[
                (1, Some("iteminsession"), "invalid digit"),
                (2, Some("length"), "invalid number"),
            ],
        },
        // ts is turned into a TIMESTAMP by the transform: outside the years 1 to 9999 it is a
        // row error at load (it used to load and then fail every transform).
        ts_out_of_range: Expect {
            read: 4,
            loaded: 1,
            rejected: &[
                (1, Some("ts"), "out of range for a timestamp"),
                (2, Some("ts"), "out of range for a timestamp"),
                (3, Some("ts"), "out of range for a timestamp"),
            ],
        },
        ts_at_the_limits: Expect {
            read: 2,
            loaded: 2,
            rejected: &[],
        },
        // An escaped NUL in a string, and a raw NUL byte (not JSON): a row error each, on
        // every engine (PostgreSQL's COPY used to fail whole, DuckDB to store it).
        nul_in_string: Expect {
            read: 4,
            loaded: 2,
            rejected: &[
                (2, Some("firstname"), "NUL character"),
                (3, None, "malformed JSON"),
            ],
        },
        all_null: Expect {
            read: 1,
            loaded: 1,
            rejected: &[],
        },
        duplicate_events: Expect {
            read: 3,
            loaded: 3,
            rejected: &[],
        },
        extra_keys: Expect {
            read: 1,
            loaded: 1,
            rejected: &[],
        },
        keys_differing_in_case: Expect {
            read: 1,
            loaded: 1,
            rejected: &[],
        },
        user_without_ts: Expect {
            read: 4,
            loaded: 4,
            rejected: &[],
        },
    }
    checks {
        ten_mb_line,
        auto_matches_keys_by_case_and_ignorecase_does_not,
        blanks_around_digits_are_accepted,
        duplicate_events_make_one_song_play,
        a_user_whose_events_have_no_ts_is_still_a_user,
        an_out_of_range_ts_does_not_block_the_transform,
        ts_at_the_limits_is_the_same_timestamp_on_every_engine,
        jsonpaths_with_a_wildcard,
        jsonpaths_with_too_few_paths,
        jsonpaths_with_too_many_paths,
    }
}

/// Every file of the corpus has its case above: a new file cannot go untested.
#[test]
fn every_corpus_file_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(corpus().join("events"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut cases: Vec<String> = CORPUS_FILES.iter().map(|c| format!("{c}.json")).collect();
    cases.sort();
    assert_eq!(files, cases);
}

fn request(file: &Path, format: FormatSpec) -> StageRequest {
    StageRequest {
        table: "staging_events".into(),
        source: Source::Local(file.to_path_buf()),
        format,
        repair_mojibake: true,
        refresh: Refresh::Full,
    }
}

/// Stages `file` into staging_events with `'auto ignorecase'` and `--max-errors max_errors`,
/// failing the test (named `name`) if the load fails.
fn stage_ignorecase(
    wh: &mut dyn Warehouse,
    name: &str,
    file: &Path,
    max_errors: u64,
) -> pipeline::StageReport {
    pipeline::stage(
        wh,
        &request(file, FormatSpec::AutoIgnoreCase),
        &options(max_errors),
        &Silent,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn options(max_errors: u64) -> LoadOptions {
    LoadOptions {
        max_errors,
        ..LoadOptions::default()
    }
}

fn text(c: &Value) -> Option<String> {
    match c {
        Value::Text(s) => Some(s.clone()),
        _ => None,
    }
}

/// A file of `tests/hostile/events/` loads what can be loaded, rejects the rest with a reason
/// in `load_errors`, keeps rows read = loaded + rejected, and honours --max-errors.
fn corpus_file(wh: &mut dyn Warehouse, name: &str, file: &str, expect: Expect) {
    check_file(wh, name, &corpus().join("events").join(file), expect);
}

/// A 10 MB line: over Redshift's 4 MB object limit, so rejected, not loaded or crashed on.
fn ten_mb_line(wh: &mut dyn Warehouse, name: &str) {
    let big = tempfile::tempdir().unwrap();
    let ten_mb = big.path().join("ten_mb_line.json");
    std::fs::write(
        &ten_mb,
        format!(
            "{{\"page\":\"NextSong\",\"song\":\"{}\",\"userId\":\"1\"}}",
            "x".repeat(10 << 20)
        ),
    )
    .unwrap();
    let expect = Expect {
        read: 1,
        loaded: 0,
        rejected: &[(1, None, "exceeds the 4 MB limit")],
    };
    check_file(wh, name, &ten_mb, expect);
}

fn check_file(wh: &mut dyn Warehouse, name: &str, path: &Path, expect: Expect) {
    let Expect {
        read,
        loaded,
        rejected,
    } = expect;
    let r = pipeline::stage(
        wh,
        &request(path, FormatSpec::AutoIgnoreCase),
        &options(100),
        &Silent,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        (r.rows_read, r.rows_loaded, r.rows_rejected),
        (read, loaded, rejected.len() as u64),
        "{name}"
    );
    assert_eq!(r.rows_read, r.rows_loaded + r.rows_rejected, "{name}");
    assert_eq!(
        count(wh, "SELECT COUNT(*) FROM staging_events"),
        loaded as i64,
        "{name}"
    );
    let errors = wh
        .query("SELECT file, line, column_name, reason FROM load_errors ORDER BY line")
        .unwrap()
        .rows;
    assert_eq!(errors.len(), rejected.len(), "{name}: {errors:?}");
    for (row, (line, column, reason)) in errors.iter().zip(rejected) {
        assert_eq!(
            text(&row[0]).as_deref(),
            Some(path.display().to_string().as_str()),
            "{name}"
        );
        assert_eq!(row[1], Value::Int(*line as i64), "{name}");
        assert_eq!(text(&row[2]).as_deref(), *column, "{name}");
        let got = text(&row[3]).unwrap_or_default();
        assert!(
            got.contains(reason),
            "{name}: reason {got:?} lacks {reason:?}"
        );
    }
    // MAXERROR 0: a file with any bad row loads nothing, and says so.
    if !rejected.is_empty() {
        let err = pipeline::stage(
            wh,
            &request(path, FormatSpec::AutoIgnoreCase),
            &options(0),
            &Silent,
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::TooManyLoadErrors { .. }),
            "{name}: {err}"
        );
        // The failed load changed nothing: the previous load's rows are still there.
        assert_eq!(
            count(wh, "SELECT COUNT(*) FROM staging_events"),
            loaded as i64,
            "{name}"
        );
        assert_eq!(
            count(wh, "SELECT COUNT(*) FROM load_errors") as usize,
            rejected.len(),
            "{name}"
        );
    }
}

/// Keys differing only in case: 'auto' matches none of them, 'auto ignorecase' the first.
fn auto_matches_keys_by_case_and_ignorecase_does_not(wh: &mut dyn Warehouse, name: &str) {
    let case_file = corpus().join("events/keys_differing_in_case.json");
    pipeline::stage(
        wh,
        &request(&case_file, FormatSpec::Auto),
        &options(0),
        &Silent,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        count(wh, "SELECT COUNT(userid) FROM staging_events"),
        0,
        "{name}"
    );
    stage_ignorecase(wh, name, &case_file, 0);
    assert_eq!(
        count(wh, "SELECT MAX(userid) FROM staging_events"),
        5,
        "{name}"
    );
}

/// Leading and trailing blanks around digits are accepted, as COPY does.
fn blanks_around_digits_are_accepted(wh: &mut dyn Warehouse, name: &str) {
    let s = corpus().join("events/string_for_number.json");
    stage_ignorecase(wh, name, &s, 5);
    assert_eq!(
        count(wh, "SELECT MAX(userid) FROM staging_events"),
        7,
        "{name}"
    );
}

/// Duplicate events stage as read but make one song play.
fn duplicate_events_make_one_song_play(wh: &mut dyn Warehouse, name: &str) {
    let dup = corpus().join("events/duplicate_events.json");
    stage_ignorecase(wh, name, &dup, 0);
    let songs = StageRequest {
        table: "staging_songs".into(),
        source: Source::Local(corpus().join("songs")),
        format: FormatSpec::Auto,
        repair_mojibake: false,
        refresh: Refresh::Full,
    };
    let r =
        pipeline::stage(wh, &songs, &options(0), &Silent).unwrap_or_else(|e| panic!("{name}: {e}"));
    // One file holding two objects gives two rows; hidden files are skipped and reported.
    assert_eq!((r.files, r.rows_loaded), (1, 2), "{name}");
    assert_eq!(r.skipped.len(), 2, "{name}: {:?}", r.skipped);
    pipeline::transform(wh).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(count(wh, "SELECT COUNT(*) FROM songplays"), 1, "{name}");
    assert_eq!(
        count(wh, "SELECT COUNT(*) FROM songplays WHERE song_id = 'SO1'"),
        1,
        "{name}"
    );
}

/// A user is the attributes of their latest event; when none of their events has a `ts`, the
/// latest is the one with the highest session (then item), and an event with a `ts` beats any
/// without.
fn a_user_whose_events_have_no_ts_is_still_a_user(wh: &mut dyn Warehouse, name: &str) {
    let file = corpus().join("events/user_without_ts.json");
    stage_ignorecase(wh, name, &file, 0);
    pipeline::transform(wh).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(count(wh, "SELECT COUNT(*) FROM users"), 2, "{name}");
    assert_eq!(
        count(
            wh,
            "SELECT COUNT(*) FROM users WHERE user_id = 8 AND level = 'paid' AND last_name = 'New'"
        ),
        1,
        "{name}"
    );
    assert_eq!(
        count(
            wh,
            "SELECT COUNT(*) FROM users WHERE user_id = 9 AND level = 'free' AND last_name = 'Timed'"
        ),
        1,
        "{name}"
    );
}

/// The rows an out-of-range `ts` cost are rejected at load; the transform then runs.
fn an_out_of_range_ts_does_not_block_the_transform(wh: &mut dyn Warehouse, name: &str) {
    let file = corpus().join("events/ts_out_of_range.json");
    let r = stage_ignorecase(wh, name, &file, 3);
    assert_eq!((r.rows_loaded, r.rows_rejected), (1, 3), "{name}");
    pipeline::transform(wh).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(count(wh, "SELECT COUNT(*) FROM songplays"), 1, "{name}");
}

/// The first and last millisecond of the accepted range transform to the same timestamps,
/// printed alike, on every engine.
fn ts_at_the_limits_is_the_same_timestamp_on_every_engine(wh: &mut dyn Warehouse, name: &str) {
    let file = corpus().join("events/ts_at_the_limits.json");
    stage_ignorecase(wh, name, &file, 0);
    pipeline::transform(wh).unwrap_or_else(|e| panic!("{name}: {e}"));
    let got = wh
        .query("SELECT t.start_time, t.year FROM time t ORDER BY t.start_time")
        .unwrap()
        .rows;
    let want = [
        ("0001-01-01 00:00:00", 1),
        ("9999-12-31 23:59:59.999", 9999),
    ];
    let want: Vec<Vec<Value>> = want
        .iter()
        .map(|(t, y)| vec![Value::Text(t.to_string()), Value::Int(*y)])
        .collect();
    assert_eq!(got, want, "{name}");
}

fn jsonpaths_with_a_wildcard(wh: &mut dyn Warehouse, name: &str) {
    bad_jsonpaths(wh, name, "jsonpaths_bad_path.json", "wildcards");
}

fn jsonpaths_with_too_few_paths(wh: &mut dyn Warehouse, name: &str) {
    bad_jsonpaths(
        wh,
        name,
        "jsonpaths_too_few.json",
        "2 paths but table staging_events has 18 columns",
    );
}

fn jsonpaths_with_too_many_paths(wh: &mut dyn Warehouse, name: &str) {
    bad_jsonpaths(
        wh,
        name,
        "jsonpaths_too_many.json",
        "19 paths but table staging_events has 18 columns",
    );
}

/// A bad JSONPaths file fails before any row is read, whatever --max-errors says.
fn bad_jsonpaths(wh: &mut dyn Warehouse, name: &str, file: &str, needle: &str) {
    let format = FormatSpec::JsonPaths(Source::Local(corpus().join(file)));
    let err = pipeline::stage(
        wh,
        &request(&corpus().join("events/extra_keys.json"), format),
        &options(1000),
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, Error::JsonPaths { .. }), "{name}: {err}");
    assert!(err.to_string().contains(needle), "{name}: {err}");
    assert_eq!(
        count(wh, "SELECT COUNT(*) FROM staging_events"),
        0,
        "{name}"
    );
}

#[test]
fn the_cli_explains_a_rejected_load_and_exits_4() {
    let tmp = tempfile::tempdir().unwrap();
    let out = sparkify()
        .args(["etl", "--events"])
        .arg(corpus().join("events/nested_object.json"))
        .arg("--songs")
        .arg(corpus().join("songs"))
        .current_dir(tmp.path())
        .output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("load of staging_events rejected: 2 bad row(s), more than --max-errors 0; nothing was loaded"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nested_object.json:2 column userid"),
        "{stderr}"
    );
    // The rejected rows are there to inspect, up to --max-errors + 1 of them: the first is
    // kept, the second only counted (the message above says 2).
    let out = sparkify()
        .args([
            "query",
            "SELECT line, column_name FROM load_errors ORDER BY line",
            "--format",
            "csv",
        ])
        .current_dir(tmp.path())
        .output();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "line,column_name\n2,userid\n"
    );
}

#[test]
fn a_hostile_file_name_cannot_inject_sql() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    std::fs::create_dir_all(&dir).unwrap();
    let evil = dir.join("x'); DROP TABLE users; --.json");
    std::fs::copy(corpus().join("events/extra_keys.json"), &evil).unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    let r = pipeline::stage(
        &mut wh,
        &request(&dir, FormatSpec::AutoIgnoreCase),
        &options(0),
        &Silent,
    )
    .unwrap();
    assert_eq!(r.rows_loaded, 1);
    // The name is stored as data, and the table it names in SQL is still there.
    let stored = wh.query("SELECT file FROM load_ledger").unwrap().rows;
    assert_eq!(stored, vec![vec![Value::Text(evil.display().to_string())]]);
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM users"), 0);
}
