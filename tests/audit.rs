//! Write-audit-publish: `run` checks the build inside its transaction, and a failing check
//! rolls the whole run back, so the published tables stay exactly as they were; what failed is
//! kept in `audit_failures` with sample rows. On DuckDB and PostgreSQL.

mod common;

use std::path::Path;

use common::*;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

/// Every table a run writes, each dumped sorted: what "exactly as before" compares.
fn published(wh: &mut dyn Warehouse) -> Vec<Vec<String>> {
    [
        "songplays",
        "users",
        "songs",
        "artists",
        "time",
        "staging_events",
        "staging_songs",
        "load_ledger",
        "load_errors",
    ]
    .iter()
    .map(|t| dump(wh, t))
    .collect()
}

/// A song file that breaks the rule `songs.title not null`.
fn add_untitled_song(data: &Path) -> std::path::PathBuf {
    let dir = data.join("song_data/Z/Z/Z");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("TRZZZ128F4299999.json");
    std::fs::write(
        &file,
        r#"{"num_songs": 1, "artist_id": "ARZZZ1187B9999999", "artist_latitude": null, "artist_longitude": null, "artist_location": "", "artist_name": "Nobody", "song_id": "SOZZZ12A8C999999", "title": null, "duration": 100.5, "year": 0}"#,
    )
    .unwrap();
    file
}

fn audit_rows(wh: &mut dyn Warehouse) -> Vec<(String, String, i64, String)> {
    let found = wh
        .query("SELECT table_name, rule, violations, sample FROM audit_failures ORDER BY 4")
        .unwrap();
    found
        .rows
        .iter()
        .map(|r| {
            let text = |i: usize| match &r[i] {
                sparkify::value::Value::Text(s) => s.clone(),
                other => format!("{other:?}"),
            };
            let n = match &r[2] {
                sparkify::value::Value::Int(n) => *n,
                other => panic!("violations {other:?}"),
            };
            (text(0), text(1), n, text(3))
        })
        .collect()
}

fn write_audit_publish(warehouse: &str, connect: &dyn Fn() -> Box<dyn Warehouse>) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let sources = dataset(&data, 2, 100);
    ok(&run(tmp.path(), warehouse, &sources, &[]));
    let before = published(connect().as_mut());

    // A new file whose song has no title: the build fails `songs: title not null`.
    let bad = add_untitled_song(&data);
    for attempt in 0..2 {
        let out = run(tmp.path(), warehouse, &sources, &[]);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(
            stderr.contains("nothing was published") && stderr.contains("songs title not null"),
            "{stderr}"
        );
        let mut wh = connect();
        assert!(
            published(wh.as_mut()) == before,
            "attempt {attempt}: a run whose checks failed changed the published tables"
        );
        // Replaced by each failed run, not accumulated.
        assert_eq!(
            audit_rows(wh.as_mut()),
            [(
                "songs".to_string(),
                "title not null".to_string(),
                1,
                "song_id=SOZZZ12A8C999999, title=NULL, artist_id=ARZZZ1187B9999999, year=NULL, \
                 duration=100.5"
                    .to_string()
            )]
        );
    }

    // Published anyway on request: the file is loaded, the failure stays on record.
    let out = run(tmp.path(), warehouse, &sources, &["--publish-on-failure"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("published anyway"), "{stderr}");
    let mut wh = connect();
    assert_eq!(
        count(
            wh.as_mut(),
            "SELECT COUNT(*) FROM songs WHERE title IS NULL"
        ),
        1
    );
    assert_eq!(audit_rows(wh.as_mut()).len(), 1);
    drop(wh);

    // A passing run clears the record.
    std::fs::remove_file(bad).unwrap();
    ok(&run(tmp.path(), warehouse, &sources, &["--full-refresh"]));
    assert!(audit_rows(connect().as_mut()).is_empty());
}

#[test]
fn a_failing_check_publishes_nothing_on_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("w.duckdb");
    let warehouse = format!("duckdb:{}", path.display());
    write_audit_publish(&warehouse, &|| -> Box<dyn Warehouse> {
        Box::new(DuckDb::open(&path).unwrap())
    });
}

#[test]
fn a_failing_check_publishes_nothing_on_postgres() {
    let url = pg::server().new_database();
    write_audit_publish(&url, &|| -> Box<dyn Warehouse> {
        Box::new(Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap())
    });
}

#[test]
fn accepted_values_and_expectations_block_and_warnings_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let sources = dataset(&data, 2, 100);
    let wh = format!("duckdb:{}", tmp.path().join("w.duckdb").display());
    ok(&run(tmp.path(), &wh, &sources, &[]));

    // An unknown gender only warns: the run publishes and exits 0.
    let day = data.join("log_data/2018/11/2018-11-29-events.json");
    std::fs::write(
        &day,
        r#"{"userId": "999", "level": "free", "gender": "X", "ts": 1543449600000, "page": "Home", "firstName": "Ann", "lastName": "Lee"}"#,
    )
    .unwrap();
    let stdout = ok(&run(tmp.path(), &wh, &sources, &[]));
    assert!(
        stdout.contains("warning: check users: gender in (F, M) (1 violating rows"),
        "{stdout}"
    );

    // A level outside free/paid and a song that lasts no time are errors: nothing published.
    std::fs::write(
        &day,
        r#"{"userId": "999", "level": "premium", "gender": "F", "ts": 1543449600001, "page": "Home", "firstName": "Ann", "lastName": "Lee"}"#,
    )
    .unwrap();
    let song = data.join("song_data/Z/Z/Z");
    std::fs::create_dir_all(&song).unwrap();
    std::fs::write(
        song.join("TRZZZ128F4299998.json"),
        r#"{"num_songs": 1, "artist_id": "ARZZZ1187B9999998", "artist_name": "Nobody", "song_id": "SOZZZ12A8C999998", "title": "Silence", "duration": 0, "year": 2001}"#,
    )
    .unwrap();
    let out = run(tmp.path(), &wh, &sources, &["--reload-changed"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for rule in ["users level in (free, paid)", "songs duration > 0"] {
        assert!(stderr.contains(rule), "{rule}: {stderr}");
    }
}
