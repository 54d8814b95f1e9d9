//! The whole pipeline on the real public sample, in a real DuckDB file.

mod common;

use std::collections::HashMap;

use common::*;
use sparkify::checks;
use sparkify::copy::load::LoadOptions;
use sparkify::pipeline::{self, FormatSpec, Silent};
use sparkify::value::Value;
use sparkify::warehouse::{Warehouse, duckdb::DuckDb};

fn open(dir: &tempfile::TempDir) -> DuckDb {
    DuckDb::open(&dir.path().join("w.duckdb")).expect("open duckdb")
}

#[test]
fn the_sample_builds_the_documented_star_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    let staged = build(&mut wh, &sample_dir());

    assert_eq!(staged[0].files, 30);
    assert_eq!(staged[0].rows_read, 8056);
    assert_eq!(staged[0].rows_loaded, 8056);
    assert_eq!(staged[0].rows_rejected, 0);
    assert_eq!(staged[1].files, 71);
    assert_eq!(staged[1].rows_loaded, 71);

    assert_sample_counts(&mut wh);
    // SOURCE.md: exactly one NextSong event matches the catalogue (Elena, "Setanta matins").
    let matched = wh
        .query("SELECT song_id, artist_id, user_id FROM songplays WHERE song_id IS NOT NULL")
        .unwrap();
    assert_eq!(matched.rows.len(), 1);
    assert_eq!(matched.rows[0][0], Value::Text("SOZCTXZ12AB0182364".into()));

    let report = checks::run(&mut wh).unwrap();
    assert!(report.failed().is_empty(), "{:?}", report.failed());
    // Every declared check ran, exactly once: 61 on the sample, as the README shows (59
    // counted rules, freshness against the newest file and volume by day).
    assert_eq!(report.results.len(), 61, "{:?}", report.results.len());
    assert_eq!((report.matched_songplays, report.songplays), (1, 6820));
}

#[test]
fn a_second_run_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    build(&mut wh, &sample_dir());
    let tables = [
        "songplays",
        "users",
        "songs",
        "artists",
        "time",
        "staging_events",
        "staging_songs",
    ];
    let before: Vec<Vec<String>> = tables.iter().map(|t| dump(&mut wh, t)).collect();
    build(&mut wh, &sample_dir());
    let after: Vec<Vec<String>> = tables.iter().map(|t| dump(&mut wh, t)).collect();
    for ((t, b), a) in tables.iter().zip(&before).zip(&after) {
        assert_eq!(b.len(), a.len(), "{t} row count changed");
        assert!(b == a, "{t} contents changed");
    }
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM load_ledger"), 101);
}

/// Independently of the SQL: the latest level of each user, read straight from the JSON.
#[test]
fn users_carry_the_level_of_their_latest_event() {
    let mut latest: HashMap<i64, (i64, String)> = HashMap::new();
    for entry in walk(&sample_dir().join("log_data")) {
        for line in std::fs::read_to_string(entry).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let Some(uid) = v["userId"].as_str().and_then(|s| s.parse::<i64>().ok()) else {
                continue;
            };
            let ts = v["ts"].as_i64().unwrap();
            let level = v["level"].as_str().unwrap().to_string();
            let slot = latest.entry(uid).or_insert((i64::MIN, String::new()));
            if ts > slot.0 {
                *slot = (ts, level);
            }
        }
    }
    assert_eq!(latest.len(), 97);

    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    build(&mut wh, &sample_dir());
    let rows = wh.query("SELECT user_id, level FROM users").unwrap().rows;
    assert_eq!(rows.len(), 97);
    for row in rows {
        let (Value::Int(uid), Value::Text(level)) = (&row[0], &row[1]) else {
            panic!("unexpected row {row:?}");
        };
        assert_eq!(&latest[uid].1, level, "user {uid}");
    }
    // The 8 users who switched between free and paid during the month.
    assert_eq!(
        count(
            &mut wh,
            "SELECT COUNT(*) FROM (SELECT userid FROM staging_events WHERE userid IS NOT NULL \
             GROUP BY userid HAVING COUNT(DISTINCT level) > 1) switched"
        ),
        8
    );
}

#[test]
fn start_time_and_time_units_are_utc() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    build(&mut wh, &sample_dir());
    // The earliest NextSong event and its calendar units, computed by hand from ts.
    let first = wh
        .query(
            "SELECT CAST(s.start_time AS VARCHAR), t.hour, t.day, t.week, t.month, t.year, t.weekday \
             FROM songplays s JOIN time t ON t.start_time = s.start_time \
             ORDER BY s.songplay_id LIMIT 1",
        )
        .unwrap();
    let min_ts = count(
        &mut wh,
        "SELECT MIN(ts) FROM staging_events WHERE page = 'NextSong'",
    );
    let expected = sparkify::time::format_timestamp_micros(min_ts * 1000);
    assert_eq!(first.rows[0][0], Value::Text(expected.clone()));
    assert!(expected.starts_with("2018-11-01 21:"), "{expected}");
    // 2018-11-01 was a Thursday (weekday 4), in ISO week 44.
    assert_eq!(
        first.rows[0][1..],
        [
            Value::Int(21),
            Value::Int(1),
            Value::Int(44),
            Value::Int(11),
            Value::Int(2018),
            Value::Int(4)
        ]
    );
}

#[test]
fn auto_is_case_sensitive_and_ignorecase_is_not_on_the_real_logs() {
    let dir = sample_dir();
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    let options = LoadOptions::default();

    // 'auto': `userId`, `firstName`, ... never equal the lower-case column names: NULL.
    let r = pipeline::stage(
        &mut wh,
        &events_request(&dir, FormatSpec::Auto, true),
        &options,
        &Silent,
    )
    .unwrap();
    assert_eq!(r.rows_loaded, 8056);
    assert_eq!(
        count(&mut wh, "SELECT COUNT(userid) FROM staging_events"),
        0
    );
    assert_eq!(
        count(&mut wh, "SELECT COUNT(firstname) FROM staging_events"),
        0
    );
    // Keys that are already lower case still load.
    assert_eq!(
        count(&mut wh, "SELECT COUNT(page) FROM staging_events"),
        8056
    );

    // 'auto ignorecase' fills them: 8056 - 286 logged-out events have a user.
    let r = pipeline::stage(
        &mut wh,
        &events_request(&dir, FormatSpec::AutoIgnoreCase, true),
        &options,
        &Silent,
    )
    .unwrap();
    assert_eq!(r.rows_loaded, 8056);
    assert_eq!(
        count(&mut wh, "SELECT COUNT(userid) FROM staging_events"),
        7770
    );
    let ignorecase = dump(&mut wh, "staging_events");

    // The JSONPaths file gives exactly the same rows.
    pipeline::stage(
        &mut wh,
        &events_request(&dir, jsonpaths(&dir), true),
        &options,
        &Silent,
    )
    .unwrap();
    assert_eq!(dump(&mut wh, "staging_events"), ignorecase);
}

#[test]
fn double_encoded_names_are_repaired_in_staging() {
    let dir = sample_dir();
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    let options = LoadOptions::default();
    pipeline::stage(
        &mut wh,
        &events_request(&dir, jsonpaths(&dir), true),
        &options,
        &Silent,
    )
    .unwrap();
    // SOURCE.md: "Björk" arrives as Bj\u00c3\u0083\u00c2\u00b6rk (33 plays in the sample).
    assert_eq!(
        count(
            &mut wh,
            "SELECT COUNT(*) FROM staging_events WHERE artist = 'Björk'"
        ),
        33
    );
    assert_eq!(
        count(
            &mut wh,
            "SELECT COUNT(*) FROM staging_events WHERE artist = 'Beyoncé'"
        ),
        23
    );
    assert_eq!(
        count(
            &mut wh,
            "SELECT COUNT(*) FROM staging_events WHERE artist LIKE '%' || chr(195) || chr(131) || '%'"
        ),
        0
    );
    pipeline::stage(
        &mut wh,
        &events_request(&dir, jsonpaths(&dir), false),
        &options,
        &Silent,
    )
    .unwrap();
    assert_eq!(
        count(
            &mut wh,
            "SELECT COUNT(*) FROM staging_events WHERE artist = 'Björk'"
        ),
        0
    );
}

/// A catalogue song with a non-ASCII artist and a play of it written the way the logs write
/// it: the play matches only when the mojibake is repaired.
#[test]
fn repair_lets_double_encoded_plays_match_the_catalogue() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let song_dir = data.join("song_data/A/B/C");
    std::fs::create_dir_all(&song_dir).unwrap();
    std::fs::create_dir_all(data.join("log_data")).unwrap();
    std::fs::write(
        song_dir.join("TRABC.json"),
        r#"{"num_songs": 1, "artist_id": "ARBJORK", "artist_latitude": null, "artist_longitude": null, "artist_location": "", "artist_name": "Bj\u00f6rk", "song_id": "SOJOGA", "title": "J\u00f3ga", "duration": 305.47546, "year": 1997}"#,
    )
    .unwrap();
    std::fs::write(
        data.join("log_data/2018-11-01-events.json"),
        r#"{"artist":"Bj\u00c3\u0083\u00c2\u00b6rk","auth":"Logged In","firstName":"A","gender":"F","itemInSession":0,"lastName":"B","length":305.47546,"level":"free","location":"X","method":"PUT","page":"NextSong","registration":1540919166796.0,"sessionId":1,"song":"J\u00c3\u0083\u00c2\u00b3ga","status":200,"ts":1541105830796,"userAgent":"UA","userId":"7"}"#,
    )
    .unwrap();
    std::fs::write(
        data.join("log_json_path.json"),
        sparkify::generate::JSONPATHS,
    )
    .unwrap();

    for (repair, expected) in [(true, 1), (false, 0)] {
        let mut wh = DuckDb::open(&tmp.path().join(format!("w{repair}.duckdb"))).unwrap();
        pipeline::create_tables(&mut wh, false, &Silent).unwrap();
        let options = LoadOptions::default();
        pipeline::stage(
            &mut wh,
            &events_request(&data, jsonpaths(&data), repair),
            &options,
            &Silent,
        )
        .unwrap();
        pipeline::stage(&mut wh, &songs_request(&data), &options, &Silent).unwrap();
        pipeline::transform(&mut wh).unwrap();
        assert_eq!(
            count(
                &mut wh,
                "SELECT COUNT(*) FROM songplays WHERE song_id = 'SOJOGA' AND artist_id = 'ARBJORK'"
            ),
            expected,
            "repair = {repair}"
        );
    }
}

/// Tables of the warehouse that carry a PRIMARY KEY constraint.
fn keyed_tables(wh: &mut dyn Warehouse) -> Vec<String> {
    let keyed = wh
        .query(
            "SELECT table_name FROM duckdb_constraints() \
             WHERE constraint_type = 'PRIMARY KEY' ORDER BY table_name",
        )
        .unwrap();
    keyed.rows.iter().map(|r| format!("{:?}", r[0])).collect()
}

// DuckDB enforces a PRIMARY KEY with an in-memory ART index kept up row by row: a rebuild of a
// 10M-event warehouse (`--full-refresh`) ran out of a 1 GB memory cap with the keys (see
// `sql::without_primary_key`). The `unique` checks enforce the same keys before every COMMIT.
#[test]
fn duckdb_tables_carry_no_primary_key() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    build(&mut wh, &sample_dir());
    assert_eq!(keyed_tables(&mut wh), Vec::<String>::new());
    // The columns keep their NOT NULL.
    let not_null = count(
        &mut wh,
        "SELECT COUNT(*) FROM duckdb_constraints() WHERE table_name = 'songplays' \
         AND constraint_type = 'NOT NULL'",
    );
    assert_eq!(not_null, 3);
}

// A warehouse an older sparkify made has the keys: the next run rebuilds those tables without
// them, rows unchanged, and says so; the star schema stays incremental.
#[test]
fn a_run_drops_the_primary_keys_an_older_sparkify_created() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("w.duckdb");
    let warehouse = format!("duckdb:{}", file.display());
    ok(&run(tmp.path(), &warehouse, &sample_sources(), &[]));
    let star = sparkify::sql::models().unwrap();
    let before: Vec<Vec<String>> = {
        let mut wh = DuckDb::open(&file).unwrap();
        for table in star {
            // The DDL as sql/schema has it, keys included: what older versions created.
            let ddl = sparkify::sql::file(&format!("schema/{table}.sql")).unwrap();
            assert!(ddl.contains("PRIMARY KEY"), "{table}");
            wh.execute(&format!(
                "BEGIN; ALTER TABLE {table} RENAME TO {table}_now; {ddl}
                 INSERT INTO {table} SELECT * FROM {table}_now; DROP TABLE {table}_now; COMMIT;"
            ))
            .unwrap();
        }
        assert_eq!(keyed_tables(&mut wh).len(), star.len());
        star.iter().map(|t| dump(&mut wh, t)).collect()
    };
    let out = run(tmp.path(), &warehouse, &sample_sources(), &[]);
    let stdout = ok(&out);
    let (_, stderr) = text(&out);
    let said = format!("{stdout}{stderr}");
    assert!(said.contains("PRIMARY KEY"), "{said}");
    assert!(said.contains("songplays"), "{said}");
    assert!(said.contains("Build: incremental"), "{said}");
    let mut wh = DuckDb::open(&file).unwrap();
    assert_eq!(keyed_tables(&mut wh), Vec::<String>::new());
    let after: Vec<Vec<String>> = star.iter().map(|t| dump(&mut wh, t)).collect();
    assert_eq!(before, after);
    // Once is enough: the next run has nothing to say about keys.
    let again = run(tmp.path(), &warehouse, &sample_sources(), &[]);
    let (stdout, stderr) = text(&again);
    assert!(!format!("{stdout}{stderr}").contains("PRIMARY KEY"));
}

// sql/duckdb/transform/songplays.sql arranges the work of sql/transform/songplays.sql for
// DuckDB (narrow sorts instead of whole-row ones): the same rows, songplay_id included, on the
// sample and on events repeated in the logs, with NULL sessions and items among them.
#[test]
fn duckdb_songplays_are_the_rows_of_the_common_statement() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    build(&mut wh, &sample_dir());
    assert_songplays_are_the_rows_of_the_common_statement(&mut wh, sparkify::sql::Dialect::DuckDb);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// On DuckDB a `unique` rule counts repeated keys from one sort of the keys, where PostgreSQL
/// and Redshift group them: it must count what the grouping counts, on a warehouse broken on
/// purpose at both ends of the key order and with NULL keys (the constraints that forbid them
/// dropped, as the rule cannot assume them): a key repeated three times and one twice, the
/// smallest and the largest key repeated, a pair of a two-column key repeated and one whose
/// second column is NULL twice, a single all-NULL key at the end of the order (not repeated),
/// and a table whose every key is NULL (one repeated key, at the start of the order).
#[test]
fn duckdb_unique_rules_count_the_keys_the_grouping_counts() {
    use sparkify::checks::Scope;
    use sparkify::sql::Dialect;
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    build(&mut wh, &sample_dir());
    for sql in [
        "INSERT INTO songplays SELECT * FROM songplays WHERE songplay_id IN (1, 2)",
        "INSERT INTO songplays SELECT * FROM songplays WHERE songplay_id = 1 LIMIT 1",
        "INSERT INTO time SELECT * FROM time
         WHERE start_time = (SELECT MIN(start_time) FROM time)
            OR start_time = (SELECT MAX(start_time) FROM time)",
        "ALTER TABLE users_history ALTER COLUMN valid_from DROP NOT NULL",
        "INSERT INTO users_history SELECT * FROM users_history
         WHERE user_id = (SELECT MIN(user_id) FROM users_history)",
        "INSERT INTO users_history (user_id, level, valid_from, is_current)
         SELECT MAX(user_id), 'free', NULL, FALSE FROM users_history",
        "INSERT INTO users_history (user_id, level, valid_from, is_current)
         SELECT MAX(user_id), 'paid', NULL, FALSE FROM users_history",
        "ALTER TABLE user_latest ALTER COLUMN userid DROP NOT NULL",
        "UPDATE user_latest SET userid = NULL WHERE userid = (SELECT MAX(userid) FROM user_latest)",
        "ALTER TABLE load_ledger ALTER COLUMN table_name DROP NOT NULL",
        "ALTER TABLE load_ledger ALTER COLUMN file DROP NOT NULL",
        "UPDATE load_ledger SET table_name = NULL, file = NULL",
    ] {
        wh.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let report = checks::run(&mut wh).unwrap();
    let rules = checks::rule_sql(Scope::All, Dialect::DuckDb).unwrap();
    let mut found = HashMap::new();
    for (table, name, sql) in rules
        .iter()
        .filter(|(_, name, _)| name.starts_with("unique ("))
    {
        assert!(
            !sql.text.contains("GROUP BY"),
            "{table}: {name} by sort: {}",
            sql.text
        );
        let columns = &name["unique (".len()..name.len() - 1];
        let grouped = count(
            &mut wh,
            &format!(
                "SELECT COUNT(*) FROM (SELECT {columns} FROM {table} GROUP BY {columns} \
                 HAVING COUNT(*) > 1) duplicated"
            ),
        );
        let result = report
            .results
            .iter()
            .find(|r| r.table == *table && r.name == *name)
            .unwrap_or_else(|| panic!("{table}: {name} not run"));
        assert_eq!(result.violations, grouped, "{table}: {name}");
        found.insert(table.as_str(), grouped);
    }
    let expected = HashMap::from([
        ("songplays", 2),
        ("time", 2),
        ("users_history", 2),
        ("user_latest", 0),
        ("load_ledger", 1),
        ("users", 0),
        ("songs", 0),
        ("artists", 0),
    ]);
    assert_eq!(found, expected);
    for dialect in [Dialect::Postgres, Dialect::Redshift] {
        for (table, name, sql) in checks::rule_sql(Scope::All, dialect).unwrap() {
            if name.starts_with("unique (") {
                assert!(
                    sql.text.contains("GROUP BY"),
                    "{dialect:?} {table}: {}",
                    sql.text
                );
            }
        }
    }
}

/// DuckDB's own text of "one songplay per NextSong event" counts the distinct events the
/// common text counts, NULL sessions and items included (two keys that differ only in which
/// field is NULL are two events), on a warehouse that breaks the rule.
#[test]
fn duckdb_counts_distinct_events_as_the_common_rule_does() {
    use sparkify::checks::Scope;
    use sparkify::sql::Dialect;
    const RULE: &str = "one songplay per NextSong event";
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = open(&tmp);
    build(&mut wh, &sample_dir());
    for sql in [
        // Two copies of a play without a session or an item: one new event.
        "INSERT INTO staging_events SELECT * REPLACE (NULL AS sessionid, NULL AS iteminsession,
                                                     ts + 1 AS ts)
         FROM staging_events WHERE rowid = (
             SELECT MIN(rowid) FROM staging_events WHERE page = 'NextSong')",
        "INSERT INTO staging_events SELECT * REPLACE (NULL AS sessionid, NULL AS iteminsession,
                                                     ts + 1 AS ts)
         FROM staging_events WHERE rowid = (
             SELECT MIN(rowid) FROM staging_events WHERE page = 'NextSong')",
        // Two copies of a play with only its item NULL: one more.
        "INSERT INTO staging_events SELECT * REPLACE (NULL AS iteminsession, ts + 2 AS ts)
         FROM staging_events WHERE rowid = (
             SELECT MAX(rowid) FROM staging_events
             WHERE page = 'NextSong' AND sessionid IS NOT NULL AND iteminsession IS NOT NULL)",
        "INSERT INTO staging_events SELECT * REPLACE (NULL AS iteminsession, ts + 2 AS ts)
         FROM staging_events WHERE rowid = (
             SELECT MAX(rowid) FROM staging_events
             WHERE page = 'NextSong' AND sessionid IS NOT NULL AND iteminsession IS NOT NULL)",
        // Two plays that differ only in which of session and item is NULL: two new events.
        "INSERT INTO staging_events SELECT * REPLACE (NULL AS sessionid, 1 AS iteminsession,
                                                     ts + 3 AS ts)
         FROM staging_events WHERE rowid = (
             SELECT MIN(rowid) FROM staging_events WHERE page = 'NextSong')",
        "INSERT INTO staging_events SELECT * REPLACE (1 AS sessionid, NULL AS iteminsession,
                                                     ts + 3 AS ts)
         FROM staging_events WHERE rowid = (
             SELECT MIN(rowid) FROM staging_events WHERE page = 'NextSong')",
        // A copy of an event already played: no new event.
        "INSERT INTO staging_events SELECT * FROM staging_events
         WHERE rowid = (SELECT MIN(rowid) FROM staging_events WHERE page = 'NextSong')",
        // And three plays fewer.
        "DELETE FROM songplays WHERE songplay_id IN (3, 5, 7)",
    ] {
        wh.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let common = sparkify::sql::file("checks/one_songplay_per_event.sql").unwrap();
    let expected = count(&mut wh, common);
    assert_eq!(expected, 7, "four new events and three plays fewer");
    let rules = checks::rule_sql(Scope::All, Dialect::DuckDb).unwrap();
    let (_, _, own) = rules
        .iter()
        .find(|(_, name, _)| name == RULE)
        .unwrap_or_else(|| panic!("no rule {RULE}"));
    assert_ne!(own.text, common, "DuckDB has its own text");
    assert_eq!(count(&mut wh, &own.text), expected);
    let report = checks::run(&mut wh).unwrap();
    let found = report
        .results
        .iter()
        .find(|r| r.name == RULE)
        .unwrap_or_else(|| panic!("{RULE} not run"));
    assert_eq!(found.violations, expected);
}
