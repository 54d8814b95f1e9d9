//! Hostile input, on every warehouse in the test run (DuckDB and PostgreSQL): each file of the
//! corpus in `tests/hostile/` must load what can be loaded, reject the rest with a reason in
//! `load_errors`, keep rows read = loaded + rejected, and honour --max-errors.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use sparkify::Error;
use sparkify::copy::load::LoadOptions;
use sparkify::copy::{Cell, FormatSpec};
use sparkify::pipeline::{self, Refresh, Silent, StageRequest};
use sparkify::source::Source;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// A rejected row: line, column (None for a record-level error), words of the reason.
type Rejection = (u64, Option<&'static str>, &'static str);

/// One corpus file and what must happen to it.
struct Case {
    file: &'static str,
    read: u64,
    loaded: u64,
    /// (line, column or None for a record-level error, words of the reason)
    rejected: &'static [Rejection],
}

const CASES: &[Case] = &[
    Case {
        file: "malformed_middle.json",
        read: 3,
        loaded: 2,
        rejected: &[(2, None, "malformed JSON")],
    },
    Case {
        file: "truncated_last.json",
        read: 3,
        loaded: 2,
        rejected: &[(3, None, "truncated JSON")],
    },
    Case {
        file: "empty.json",
        read: 0,
        loaded: 0,
        rejected: &[],
    },
    Case {
        file: "whitespace_only.json",
        read: 0,
        loaded: 0,
        rejected: &[],
    },
    Case {
        file: "utf8_bom.json",
        read: 2,
        loaded: 2,
        rejected: &[],
    },
    Case {
        file: "invalid_utf8.json",
        read: 3,
        loaded: 2,
        rejected: &[(2, None, "UTF-8")],
    },
    Case {
        file: "json_array.json",
        read: 1,
        loaded: 0,
        rejected: &[(1, None, "each record must be an object")],
    },
    Case {
        file: "nested_object.json",
        read: 3,
        loaded: 1,
        rejected: &[
            (2, Some("userid"), "object cannot load"),
            (3, Some("iteminsession"), "array cannot load"),
        ],
    },
    Case {
        file: "out_of_range.json",
        read: 3,
        loaded: 1,
        rejected: &[
            (1, Some("sessionid"), "out of range for INTEGER"),
            (2, Some("status"), "out of range for SMALLINT"),
        ],
    },
    Case {
        file: "string_for_number.json",
        read: 3,
        loaded: 1,
        rejected: &[
            (1, Some("iteminsession"), "invalid digit"),
            (2, Some("length"), "invalid number"),
        ],
    },
    Case {
        file: "all_null.json",
        read: 1,
        loaded: 1,
        rejected: &[],
    },
    Case {
        file: "duplicate_events.json",
        read: 3,
        loaded: 3,
        rejected: &[],
    },
    Case {
        file: "extra_keys.json",
        read: 1,
        loaded: 1,
        rejected: &[],
    },
    Case {
        file: "keys_differing_in_case.json",
        read: 1,
        loaded: 1,
        rejected: &[],
    },
];

fn request(file: &Path, format: FormatSpec) -> StageRequest {
    StageRequest {
        table: "staging_events".into(),
        source: Source::Local(file.to_path_buf()),
        format,
        repair_mojibake: true,
        refresh: Refresh::Full,
    }
}

fn options(max_errors: u64) -> LoadOptions {
    LoadOptions {
        max_errors,
        ..LoadOptions::default()
    }
}

fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Text(s) => Some(s.clone()),
        _ => None,
    }
}

fn check_corpus(wh: &mut dyn Warehouse, engine: &str) {
    pipeline::create_tables(wh, false).unwrap();
    let big = tempfile::tempdir().unwrap();
    // A 10 MB line: over Redshift's 4 MB object limit, so rejected, not loaded or crashed on.
    let ten_mb = big.path().join("ten_mb_line.json");
    std::fs::write(
        &ten_mb,
        format!(
            "{{\"page\":\"NextSong\",\"song\":\"{}\",\"userId\":\"1\"}}",
            "x".repeat(10 << 20)
        ),
    )
    .unwrap();

    let mut cases: Vec<(PathBuf, u64, u64, Vec<Rejection>)> = CASES
        .iter()
        .map(|c| {
            (
                corpus().join("events").join(c.file),
                c.read,
                c.loaded,
                c.rejected.to_vec(),
            )
        })
        .collect();
    cases.push((ten_mb, 1, 0, vec![(1, None, "exceeds the 4 MB limit")]));

    for (path, read, loaded, rejected) in cases {
        let name = format!("{engine}: {}", path.file_name().unwrap().to_string_lossy());
        let r = pipeline::stage(
            wh,
            &request(&path, FormatSpec::AutoIgnoreCase),
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
        for (row, (line, column, reason)) in errors.iter().zip(&rejected) {
            assert_eq!(
                text(&row[0]).as_deref(),
                Some(path.display().to_string().as_str()),
                "{name}"
            );
            assert_eq!(row[1], Cell::Int(*line as i64), "{name}");
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
                &request(&path, FormatSpec::AutoIgnoreCase),
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

    // Keys differing only in case: 'auto' matches none of them, 'auto ignorecase' the first.
    let case_file = corpus().join("events/keys_differing_in_case.json");
    pipeline::stage(
        wh,
        &request(&case_file, FormatSpec::Auto),
        &options(0),
        &Silent,
    )
    .unwrap();
    assert_eq!(
        count(wh, "SELECT COUNT(userid) FROM staging_events"),
        0,
        "{engine}"
    );
    pipeline::stage(
        wh,
        &request(&case_file, FormatSpec::AutoIgnoreCase),
        &options(0),
        &Silent,
    )
    .unwrap();
    assert_eq!(
        count(wh, "SELECT MAX(userid) FROM staging_events"),
        5,
        "{engine}"
    );
    // Leading and trailing blanks around digits are accepted, as COPY does.
    let s = corpus().join("events/string_for_number.json");
    pipeline::stage(
        wh,
        &request(&s, FormatSpec::AutoIgnoreCase),
        &options(5),
        &Silent,
    )
    .unwrap();
    assert_eq!(
        count(wh, "SELECT MAX(userid) FROM staging_events"),
        7,
        "{engine}"
    );

    // Duplicate events stage as read but make one song play.
    let dup = corpus().join("events/duplicate_events.json");
    pipeline::stage(
        wh,
        &request(&dup, FormatSpec::AutoIgnoreCase),
        &options(0),
        &Silent,
    )
    .unwrap();
    let songs = StageRequest {
        table: "staging_songs".into(),
        source: Source::Local(corpus().join("songs")),
        format: FormatSpec::Auto,
        repair_mojibake: false,
        refresh: Refresh::Full,
    };
    let r = pipeline::stage(wh, &songs, &options(0), &Silent).unwrap();
    // One file holding two objects gives two rows; hidden files are skipped and reported.
    assert_eq!((r.files, r.rows_loaded), (1, 2), "{engine}");
    assert_eq!(r.skipped.len(), 2, "{engine}: {:?}", r.skipped);
    pipeline::transform(wh).unwrap();
    assert_eq!(count(wh, "SELECT COUNT(*) FROM songplays"), 1, "{engine}");
    assert_eq!(
        count(wh, "SELECT COUNT(*) FROM songplays WHERE song_id = 'SO1'"),
        1,
        "{engine}"
    );

    // Bad JSONPaths files fail before any row is read, whatever --max-errors says.
    for (file, needle) in [
        ("jsonpaths_bad_path.json", "wildcards"),
        (
            "jsonpaths_too_few.json",
            "2 paths but table staging_events has 18 columns",
        ),
        (
            "jsonpaths_too_many.json",
            "19 paths but table staging_events has 18 columns",
        ),
    ] {
        let format = FormatSpec::JsonPaths(Source::Local(corpus().join(file)));
        let err = pipeline::stage(
            wh,
            &request(&corpus().join("events/extra_keys.json"), format),
            &options(1000),
            &Silent,
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::JsonPaths { .. }),
            "{engine} {file}: {err}"
        );
        assert!(err.to_string().contains(needle), "{engine} {file}: {err}");
    }
}

#[test]
fn the_hostile_corpus_on_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    check_corpus(&mut wh, "duckdb");
}

#[test]
fn the_hostile_corpus_on_postgres() {
    let url = pg::server().new_database();
    let mut wh = Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap();
    check_corpus(&mut wh, "postgres");
}

#[test]
fn the_cli_explains_a_rejected_load_and_exits_4() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sparkify"))
        .args(["etl", "--events"])
        .arg(corpus().join("events/nested_object.json"))
        .arg("--songs")
        .arg(corpus().join("songs"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
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
    // The rejected rows are there to inspect.
    let out = Command::new(env!("CARGO_BIN_EXE_sparkify"))
        .args([
            "query",
            "SELECT line, column_name FROM load_errors ORDER BY line",
            "--format",
            "csv",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "line,column_name\n2,userid\n3,iteminsession\n"
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
    pipeline::create_tables(&mut wh, false).unwrap();
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
    assert_eq!(stored, vec![vec![Cell::Text(evil.display().to_string())]]);
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM users"), 0);
}

#[test]
fn configured_secrets_never_reach_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("dwh.cfg");
    // Port 9 (discard) on loopback: nothing listens, so the Redshift connection fails fast.
    std::fs::write(
        &cfg,
        "[CLUSTER]\nHOST=127.0.0.1\nDB_PORT=9\nDB_USER=awsuser\nDB_PASSWORD=Sup3rSecretPw\n\
         [AWS]\nKEY=AKIAEXAMPLEKEY0001\nSECRET=wJalrXUtnFEMIexampleSecretKey\n",
    )
    .unwrap();
    let secrets = [
        "Sup3rSecretPw",
        "AKIAEXAMPLEKEY0001",
        "wJalrXUtnFEMIexampleSecretKey",
    ];
    for args in [
        vec!["run"],
        vec!["check", "--warehouse", "redshift"],
        vec![
            "query",
            "SELECT 1",
            "--warehouse",
            "redshift://awsuser@127.0.0.1:9/dev?connect_timeout=2",
        ],
        vec!["--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sparkify"))
            .args(&args)
            .current_dir(tmp.path())
            .env_remove("SPARKIFY_WAREHOUSE")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for s in secrets {
            assert!(!all.contains(s), "{args:?} printed a secret:\n{all}");
        }
        if args[0] == "run" {
            assert!(out.status.success(), "{all}");
            assert!(
                all.contains("readable by others"),
                "no permission warning:\n{all}"
            );
        }
        if args[0] == "check" {
            assert_eq!(out.status.code(), Some(1), "{all}");
            assert!(
                all.contains("cannot connect to redshift://awsuser@127.0.0.1:9/dev"),
                "{all}"
            );
        }
    }
    // The report holds no secrets either.
    let out = Command::new(env!("CARGO_BIN_EXE_sparkify"))
        .args(["report", "--out", "r.html"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(tmp.path().join("r.html")).unwrap();
    for s in secrets {
        assert!(!html.contains(s));
    }
}
