//! The same pipeline in a real PostgreSQL server: same counts, same rows, idempotent, and
//! clear errors that never show the password.

mod common;

use std::net::TcpListener;

use common::*;
use sparkify::checks;
use sparkify::pipeline;
use sparkify::value::Value;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};
use sparkify::warehouse::{Warehouse, open};

fn connect(url: &str) -> Postgres {
    Postgres::connect(Target::parse(url, 5432, "disable").unwrap()).expect("connect")
}

const MODELS: [&str; 6] = [
    "songplays",
    "users",
    "songs",
    "artists",
    "time",
    "users_history",
];

#[test]
fn the_sample_gives_the_same_counts_as_duckdb_and_reruns_change_nothing() {
    let url = pg::server().new_database();
    let mut wh = connect(&url);
    let staged = build(&mut wh, &sample_dir());
    assert_eq!(staged[0].rows_loaded, 8056);
    assert_eq!(staged[1].rows_loaded, 71);
    assert_sample_counts(&mut wh);
    let report = checks::run(&mut wh).unwrap();
    assert!(report.failed().is_empty(), "{:?}", report.failed());
    assert_eq!((report.matched_songplays, report.songplays), (1, 6820));

    let before: Vec<Vec<String>> = MODELS.iter().map(|t| dump(&mut wh, t)).collect();
    build(&mut wh, &sample_dir());
    let after: Vec<Vec<String>> = MODELS.iter().map(|t| dump(&mut wh, t)).collect();
    assert!(before == after, "a second run changed the star schema");
}

#[test]
fn duckdb_and_postgres_build_identical_star_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let mut duck = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    build(&mut duck, &sample_dir());
    let mut pg = connect(&pg::server().new_database());
    build(&mut pg, &sample_dir());
    for table in MODELS.iter().chain(&["staging_events", "staging_songs"]) {
        let (d, p) = (dump(&mut duck, table), dump(&mut pg, table));
        assert_eq!(d.len(), p.len(), "{table}: row counts differ");
        if let Some(i) = (0..d.len()).find(|&i| d[i] != p[i]) {
            panic!(
                "{table} differs at sorted row {i}:\n duckdb   {}\n postgres {}",
                d[i], p[i]
            );
        }
    }
}

// sql/postgres/transform/songplays.sql sorts the events once where the common statement sorts
// them twice: the same rows, songplay_id included, on the sample and on repeated events.
#[test]
fn postgres_songplays_are_the_rows_of_the_common_statement() {
    let mut wh = connect(&pg::server().new_database());
    build(&mut wh, &sample_dir());
    assert_songplays_are_the_rows_of_the_common_statement(
        &mut wh,
        sparkify::sql::Dialect::Postgres,
    );
}

// sql/postgres/transform/users.sql and users_history.sql find each user's latest event and
// level periods through scratch tables a parallel plan can read; the same rows as the common
// statements, on the sample and on users built to reach every branch: levels that flap, events
// at one instant with different levels, sessions and items (NULLs among them), events without
// a time or a level, a user whose every event lacks a time. No scratch table outlives the run.
#[test]
fn postgres_users_and_history_are_the_rows_of_the_common_statements() {
    let mut wh = connect(&pg::server().new_database());
    build(&mut wh, &sample_dir());
    wh.execute(
        "INSERT INTO staging_events (page, ts, userid, sessionid, iteminsession, level, \
         firstname, lastname, gender) VALUES
         ('Home',     1542000000000, 9001, 1,    0,    'free', 'Ann', 'A', 'F'),
         ('NextSong', 1542000000001, 9001, 1,    1,    'paid', 'Ann', 'A', 'F'),
         ('NextSong', 1542000000001, 9001, 2,    0,    'free', 'Ann', 'B', 'F'),
         ('NextSong', 1542000000001, 9001, NULL, 5,    'paid', 'Ann', 'C', 'F'),
         ('NextSong', 1542000000002, 9001, 2,    1,    'paid', 'Ann', 'A', 'F'),
         ('NextSong', 1542000000003, 9001, 2,    2,    'free', 'Ann', 'A', 'F'),
         ('NextSong', 1542000000004, 9001, 2,    NULL, 'free', 'Ann', 'D', 'F'),
         ('NextSong', 1542000000004, 9001, 2,    3,    'free', NULL,  'E', NULL),
         ('Home',     NULL,          9001, 9,    9,    'paid', 'Ann', 'Z', 'F'),
         ('Home',     1542000000009, 9001, 9,    9,    NULL,   'Ann', 'Y', 'F'),
         ('Home',     1542000000000, 9002, 1,    0,    'free', 'Bo',  'B', 'M'),
         ('Home',     1542000000000, 9002, 1,    0,    'free', 'Bo',  'C', 'M'),
         ('Home',     1542000000005, 9002, NULL, NULL, 'free', 'Bo',  'D', 'M'),
         ('Home',     NULL,          9003, 1,    0,    'paid', 'Cy',  'C', NULL),
         ('Home',     NULL,          9003, 2,    0,    'free', 'Cy',  'D', NULL),
         ('Home',     1542000000000, NULL, 1,    0,    'paid', 'No',  'N', NULL)",
    )
    .unwrap();
    let tables = ["user_latest", "users", "users_history"];
    // (common, PostgreSQL's own) for each model, in transform order.
    let texts = ["users_history", "users"].map(|model| {
        let common = sparkify::sql::file(&format!("transform/{model}.sql")).unwrap();
        let own = sparkify::sql::transform(model, sparkify::sql::Dialect::Postgres).unwrap();
        assert_ne!(common, own, "PostgreSQL has its own {model} statements");
        (common, own)
    });
    for (common, _) in texts {
        wh.execute(common).unwrap();
    }
    let expected: Vec<Vec<String>> = tables.iter().map(|t| dump(&mut wh, t)).collect();
    for (_, own) in texts {
        wh.execute(own).unwrap();
    }
    for (table, expected) in tables.iter().zip(&expected) {
        assert_eq!(&dump(&mut wh, table), expected, "{table}");
    }
    // The sample's 97 users and the three above; 9001's periods: free, paid, free from ...003.
    assert_eq!(expected[1].len(), 97 + 3);
    assert_eq!(
        count(
            &mut wh,
            "SELECT COUNT(*) FROM users_history WHERE user_id = 9001"
        ),
        3
    );
    let scratch = count(
        &mut wh,
        "SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'sparkify_scratch%'",
    );
    assert_eq!(scratch, 0, "a scratch table outlived its transform");
}

#[test]
fn every_built_in_question_answers_the_same_on_postgres_and_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let mut duck = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    build(&mut duck, &sample_dir());
    let mut pg = connect(&pg::server().new_database());
    build(&mut pg, &sample_dir());
    for q in sparkify::analytics::questions() {
        let d = sparkify::analytics::run(&mut duck, q.name, None).unwrap();
        let p = sparkify::analytics::run(&mut pg, q.name, None).unwrap();
        assert_eq!(d.columns, p.columns, "{}", q.name);
        assert!(!d.rows.is_empty(), "{} has no rows", q.name);
        assert_eq!(d.rows, p.rows, "{} answers differ", q.name);
    }
    // The report builds on PostgreSQL too.
    let html = sparkify::analytics::report::build(&mut pg).unwrap();
    assert_eq!(html.matches("<svg").count(), 7);
}

#[test]
fn load_errors_and_max_errors_behave_as_on_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("log_data")).unwrap();
    let good = r#"{"artist":"A\tB\\C","auth":"Logged In","firstName":"A","gender":"F","itemInSession":0,"lastName":"B","length":1.5,"level":"free","location":"X","method":"PUT","page":"NextSong","registration":1540919166796.0,"sessionId":1,"song":"line\nbreak","status":200,"ts":1541105830796,"userAgent":"UA","userId":"7"}"#;
    let bad = good.replace(r#""sessionId":1"#, r#""sessionId":"one""#);
    std::fs::write(dir.join("log_data/d.json"), [good, &bad, good].join("\n")).unwrap();
    std::fs::write(
        dir.join("log_json_path.json"),
        sparkify::generate::JSONPATHS,
    )
    .unwrap();
    let mut wh = connect(&pg::server().new_database());
    sparkify::pipeline::create_tables(&mut wh, false, &sparkify::pipeline::Silent).unwrap();
    let request = events_request(dir, jsonpaths(dir), true);
    let opts = |max_errors| sparkify::copy::load::LoadOptions {
        max_errors,
        ..Default::default()
    };
    let err = sparkify::pipeline::stage(&mut wh, &request, &opts(0), &sparkify::pipeline::Silent)
        .unwrap_err();
    assert!(
        matches!(err, sparkify::Error::TooManyLoadErrors { .. }),
        "{err}"
    );
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM staging_events"), 0);
    assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM load_errors"), 1);

    let r = sparkify::pipeline::stage(&mut wh, &request, &opts(1), &sparkify::pipeline::Silent)
        .unwrap();
    assert_eq!((r.rows_read, r.rows_loaded, r.rows_rejected), (3, 2, 1));
    // Tabs, backslashes and newlines survive COPY's text format.
    let artists = wh
        .query("SELECT DISTINCT artist, song FROM staging_events")
        .unwrap();
    assert_eq!(
        artists.rows,
        vec![vec![
            sparkify::value::Value::Text("A\tB\\C".into()),
            sparkify::value::Value::Text("line\nbreak".into())
        ]]
    );
    let line = count(
        &mut wh,
        "SELECT line FROM load_errors WHERE column_name = 'sessionid'",
    );
    assert_eq!(line, 2);
}

/// `sparkify ARGS` in a fresh folder, with `envs` and none of the developer's settings.
fn sparkify_cli(args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = sparkify()
        .args(args)
        .current_dir(tmp.path())
        .envs(envs.iter().copied())
        .output();
    let (stdout, stderr) = text(&out);
    (out.status.code(), stdout, stderr)
}

#[test]
fn the_cli_runs_against_postgres_with_the_password_in_the_url_or_pgpassword() {
    let url = pg::server().new_database();
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), &url, &sample_sources(), &[]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("transform songplays            6,820"),
        "{stdout}"
    );
    assert!(stdout.contains("All 61 checks passed"), "{stdout}");
    assert!(!stdout.contains(pg::PASSWORD) && !stderr.contains(pg::PASSWORD));

    // The same warehouse with the password from PGPASSWORD instead of the URL.
    let without_pw = url.replace(&format!(":{}@", pg::PASSWORD), "@");
    let (code, stdout, stderr) = sparkify_cli(
        &[
            "query",
            "--warehouse",
            &without_pw,
            "SELECT COUNT(*) AS n FROM users",
            "--format",
            "csv",
        ],
        &[("PGPASSWORD", pg::PASSWORD)],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "n\n97\n");
}

/// A COPY the server refuses (here a CHECK constraint on the staging table) fails the run in
/// the server's words, once: it is not a lost connection, so it is not retried.
#[test]
fn a_copy_the_server_refuses_is_reported_once_not_as_a_lost_connection() {
    let url = pg::server().new_database();
    let mut wh = connect(&url);
    sparkify::pipeline::create_tables(&mut wh, false, &sparkify::pipeline::Silent).unwrap();
    wh.execute("ALTER TABLE staging_events ADD CONSTRAINT no_teapots CHECK (status <> 418)")
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.json");
    std::fs::write(
        &events,
        "{\"page\":\"Home\",\"status\":418,\"userId\":\"5\"}\n",
    )
    .unwrap();
    let hostile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/songs");
    let sources = [
        "--events".to_string(),
        events.display().to_string(),
        "--songs".to_string(),
        hostile.display().to_string(),
    ];
    let out = run(tmp.path(), &url, &sources, &[]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no_teapots"), "{stderr}");
    assert!(!stderr.contains("connection"), "{stderr}");
    assert!(!stderr.contains("attempt 2"), "{stderr}");
}

#[test]
fn connection_errors_are_clear_and_never_show_the_password() {
    let url = pg::server().new_database();
    let wrong = url.replace(pg::PASSWORD, "Wr0ngSecret");
    let (code, _, stderr) = sparkify_cli(&["check", "--warehouse", &wrong], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
    assert!(!stderr.contains("Wr0ngSecret"), "password leaked: {stderr}");

    // Nothing listens on this port.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, _, stderr) = sparkify_cli(
        &[
            "check",
            "--warehouse",
            &format!("postgres://u:Secret99@127.0.0.1:{port}/db"),
        ],
        &[],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot connect to postgres://u@127.0.0.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("Secret99"), "{stderr}");

    // A server that accepts the connection and never answers: the timeout ends the wait.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let start = std::time::Instant::now();
    let config = sparkify::settings::Settings::default()
        .warehouse(Some(format!(
            "postgres://u@127.0.0.1:{port}/db?connect_timeout=1&sslmode=disable"
        )))
        .unwrap();
    let err = open(&config)
        .err()
        .expect("a silent server cannot be a warehouse");
    assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
    assert!(err.to_string().contains("cannot connect"), "{err}");

    // A bad port is a usage error.
    let (code, _, stderr) =
        sparkify_cli(&["check", "--warehouse", "postgres://u:pw@h:70000/db"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("port \"70000\""), "{stderr}");
}

#[test]
fn values_reach_postgres_as_parameters_even_with_nonstandard_strings() {
    // A database where backslashes in literals are escapes, as on old servers and Redshift.
    let url = pg::server().new_database();
    let name = url.rsplit('/').next().unwrap().to_string();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET standard_conforming_strings = off"
        ))
        .unwrap();
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let setting: String = raw
        .query_one("SHOW standard_conforming_strings", &[])
        .unwrap()
        .get(0);
    assert_eq!(setting, "off");

    // A file name and a rejected line built to close a literal that only doubles quotes.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("log_data")).unwrap();
    let file = dir.join("log_data/x\\'; DROP TABLE songs; --\nnext\\\\.json");
    let good = r#"{"artist":"A","auth":"Logged In","firstName":"A","gender":"F","itemInSession":0,"lastName":"B","length":1.5,"level":"free","location":"X","method":"PUT","page":"NextSong","registration":1540919166796.0,"sessionId":1,"song":"S","status":200,"ts":1541105830796,"userAgent":"UA","userId":"7"}"#;
    let bad = "{\"ts\": \"x\\\\'); DROP TABLE users; --\", \"userId\": \"\0\"}";
    std::fs::write(&file, format!("{good}\n{bad}\n")).unwrap();
    std::fs::write(
        dir.join("log_json_path.json"),
        sparkify::generate::JSONPATHS,
    )
    .unwrap();
    let mut wh = connect(&url);
    sparkify::pipeline::create_tables(&mut wh, false, &sparkify::pipeline::Silent).unwrap();
    let request = events_request(dir, jsonpaths(dir), true);
    let opts = |max_errors| sparkify::copy::load::LoadOptions {
        max_errors,
        ..Default::default()
    };
    // Over --max-errors: the rejected row is recorded through the error bookkeeping, whose
    // statement takes the file names as a list.
    for _ in 0..2 {
        sparkify::pipeline::stage(&mut wh, &request, &opts(0), &sparkify::pipeline::Silent)
            .unwrap_err();
        // The second failure replaces the first one's rows: its DELETE matched the file.
        assert_eq!(count(&mut wh, "SELECT COUNT(*) FROM load_errors"), 1);
    }
    let r = sparkify::pipeline::stage(&mut wh, &request, &opts(1), &sparkify::pipeline::Silent)
        .unwrap();
    assert_eq!((r.rows_loaded, r.rows_rejected), (1, 1));

    let canonical = std::fs::canonicalize(&file).unwrap().display().to_string();
    let ledger = raw.query("SELECT file FROM load_ledger", &[]).unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].get::<_, String>(0), canonical);
    let errors = raw
        .query("SELECT file, raw_line FROM load_errors", &[])
        .unwrap();
    assert_eq!(errors.len(), 1, "the failed loads' rows were replaced");
    assert_eq!(errors[0].get::<_, String>(0), canonical);
    // PostgreSQL text cannot hold NUL: the loader keeps it as the text `\u0000`; the rest is
    // exact.
    assert_eq!(
        errors[0].get::<_, Option<String>>(1).as_deref(),
        Some(bad.replace('\0', "\\u0000").as_str())
    );
    for table in ["songs", "users", "staging_events"] {
        assert!(count(&mut wh, &format!("SELECT COUNT(*) FROM {table}")) >= 0);
    }
    // sparkify's own sessions set the standard back on.
    let on = wh.query("SHOW standard_conforming_strings").unwrap();
    assert_eq!(
        on.rows,
        vec![vec![sparkify::value::Value::Text("on".into())]]
    );
}

/// A rule with bound values (`accepted_values`) that fails on a table with a timestamp column
/// keeps its sample rows on PostgreSQL too, timestamps printed as DuckDB prints them: the
/// bound query's binary answer is decoded, not refused.
#[test]
fn a_failing_bound_rule_shows_its_sample_rows_with_their_timestamps() {
    let url = pg::server().new_database();
    let mut wh = connect(&url);
    build(&mut wh, &sample_dir());
    wh.execute(
        "UPDATE songplays SET level = 'gold' WHERE songplay_id = \
         (SELECT MIN(songplay_id) FROM songplays)",
    )
    .unwrap();
    let answer = wh
        .query("SELECT CAST(start_time AS VARCHAR) FROM songplays WHERE level = 'gold'")
        .unwrap();
    let want = match &answer.rows[0][0] {
        sparkify::value::Value::Text(t) => t.clone(),
        other => panic!("{other:?}"),
    };
    let report = checks::run(&mut wh).unwrap();
    let failed = report.failed();
    let rule = failed
        .iter()
        .find(|r| r.table == "songplays" && r.name.starts_with("level in"))
        .unwrap_or_else(|| panic!("{failed:?}"));
    assert_eq!(rule.violations, 1);
    assert_eq!(rule.samples.len(), 1, "{:?}", rule.samples);
    assert!(
        rule.samples[0].contains("level=gold") && rule.samples[0].contains(&want),
        "{:?} should name {want}",
        rule.samples
    );
}

/// PostgreSQL enforces the star tables' primary keys, so a `unique` rule whose columns hold a
/// table's key is answered from the catalogue instead of by grouping every row (6.5 s for
/// songplays at 10M events). Only a primary key among the rule's columns counts, and where
/// none is left the rule reads the rows again and finds the copies.
#[test]
fn unique_rules_trust_an_enforced_primary_key_and_only_that() {
    let mut wh = connect(&pg::server().new_database());
    build(&mut wh, &sample_dir());
    let holds = |wh: &mut Postgres, table: &str, columns: &[&str]| {
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        checks::primary_key_holds(wh, table, &columns).unwrap()
    };
    assert!(holds(&mut wh, "songplays", &["songplay_id"]));
    assert!(holds(&mut wh, "users_history", &["user_id", "valid_from"]));
    // The key among more columns than it has still makes them unique; fewer do not.
    assert!(holds(&mut wh, "time", &["start_time", "hour"]));
    assert!(!holds(&mut wh, "users_history", &["user_id"]));
    assert!(!holds(&mut wh, "songplays", &["user_id"]));
    assert!(!holds(&mut wh, "no_such_table", &["id"]));

    // A unique index is not enough: it lets rows with NULL keys repeat, which the rule counts.
    wh.execute("ALTER TABLE time DROP CONSTRAINT time_pkey")
        .unwrap();
    wh.execute("CREATE UNIQUE INDEX time_start ON time (start_time)")
        .unwrap();
    assert!(!holds(&mut wh, "time", &["start_time"]));
    wh.execute("DROP INDEX time_start").unwrap();
    wh.execute("INSERT INTO time SELECT * FROM time ORDER BY start_time LIMIT 2")
        .unwrap();
    let report = checks::run(&mut wh).unwrap();
    let failed = report.failed();
    let rule = failed
        .iter()
        .find(|r| r.table == "time" && r.name == "unique (start_time)")
        .unwrap_or_else(|| panic!("{failed:?}"));
    assert_eq!(rule.violations, 2);
    assert_eq!(rule.samples.len(), 2, "{:?}", rule.samples);
}

/// The rows of a catalogue query that answers (name, index OID, definition), in its order.
fn index_rows(wh: &mut Postgres, sql: &str) -> Vec<(String, i64, String)> {
    let result = wh.query(sql).unwrap();
    result
        .rows
        .iter()
        .map(|row| match row.as_slice() {
            [Value::Text(name), Value::Int(index), Value::Text(def)] => {
                (name.clone(), *index, def.clone())
            }
            other => panic!("{other:?}"),
        })
        .collect()
}

/// After a first build: each index `created` listed is there again, defined the same and
/// `state` (" enforced", " valid"), with a new OID, i.e. built again after the rows.
fn assert_built_again(
    created: &[(String, i64, String)],
    built: &[(String, i64, String)],
    state: &str,
) {
    assert_eq!(built.len(), created.len(), "{built:?}");
    for (before, after) in created.iter().zip(built) {
        assert_eq!(
            (&before.0, &before.2),
            (&after.0, &after.2),
            "the same index"
        );
        assert!(after.2.ends_with(state), "{after:?}");
        assert_ne!(before.1, after.1, "{}: not built after the rows", before.0);
    }
}

/// Each star table's primary key index, by table: its OID (new when the key is built again),
/// and the key as PostgreSQL defines it (name, columns, valid and immediately enforced).
fn primary_keys(wh: &mut Postgres) -> Vec<(String, i64, String)> {
    index_rows(
        wh,
        "SELECT CAST(c.relname AS TEXT), CAST(i.indexrelid AS BIGINT),
                k.conname || ' ' || pg_get_constraintdef(k.oid)
                || CASE WHEN i.indisvalid AND i.indimmediate THEN ' enforced' ELSE '' END
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.contype = 'p'
         WHERE i.indisprimary
           AND c.relname IN ('songplays', 'users', 'songs', 'artists', 'time', 'users_history')
         ORDER BY 1",
    )
}

/// A first build fills empty star tables, and PostgreSQL keeps a B-tree up row by row during an
/// INSERT: the build drops each empty table's primary key and adds it back after the table is
/// filled (one sorted build; at 10M events `time` and `songplays` took 2.5 s and 3 s less).
/// The same keys come back, enforced. A rebuild of tables that hold rows keeps their keys (so
/// readers are not locked out of the old rows until the run commits), and so does a table
/// whose key another table's foreign key references.
#[test]
fn a_first_build_adds_the_primary_keys_after_the_load_and_only_then() {
    let mut wh = connect(&pg::server().new_database());
    pipeline::create_tables(&mut wh, false, &pipeline::Silent).unwrap();
    let created = primary_keys(&mut wh);
    assert_eq!(created.len(), 6, "{created:?}");
    build(&mut wh, &sample_dir());
    assert_sample_counts(&mut wh);
    let built = primary_keys(&mut wh);
    assert_built_again(&created, &built, " enforced");
    // The keys hold: a copied row is refused.
    assert!(
        wh.execute("INSERT INTO time SELECT * FROM time LIMIT 1")
            .is_err()
    );
    pipeline::transform(&mut wh).unwrap();
    assert_eq!(
        primary_keys(&mut wh),
        built,
        "a rebuild over rows kept its keys"
    );

    let mut wh = connect(&pg::server().new_database());
    pipeline::create_tables(&mut wh, false, &pipeline::Silent).unwrap();
    wh.execute("CREATE TABLE play_notes (songplay_id BIGINT REFERENCES songplays (songplay_id))")
        .unwrap();
    let created = primary_keys(&mut wh);
    build(&mut wh, &sample_dir());
    assert_sample_counts(&mut wh);
    for (before, after) in created.iter().zip(&primary_keys(&mut wh)) {
        assert_eq!(
            before.0 == "songplays",
            before.1 == after.1,
            "{before:?} {after:?}"
        );
    }
}

/// The indexes that are not primary keys on the tables a first load and a first build fill
/// (sql/indexes/postgres.sql), by name: OID (new when the index is built again), and the
/// index as PostgreSQL defines it, with whether it is valid.
fn brin_indexes(wh: &mut Postgres) -> Vec<(String, i64, String)> {
    index_rows(
        wh,
        "SELECT CAST(c.relname AS TEXT), CAST(i.indexrelid AS BIGINT),
                pg_get_indexdef(i.indexrelid)
                || CASE WHEN i.indisvalid AND i.indisready THEN ' valid' ELSE '' END
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         WHERE NOT i.indisprimary
           AND i.indrelid IN (CAST('staging_events' AS regclass),
                              CAST('songplays' AS regclass))
         ORDER BY 1",
    )
}

/// Likewise the BRIN indexes: a first load into an empty `staging_events`, and a first build of
/// `songplays`, drop the table's BRIN index and build it once the rows are in (PostgreSQL 15
/// otherwise reads the index's metapage and range map for every row it inserts; at 10M events
/// the COPY took about 1.5 s longer with the index). The same indexes come back, valid, with
/// every page range summarized. A load into a table that holds rows, and a rebuild over rows,
/// keep them: dropping an index locks readers out of the old rows until the run commits.
#[test]
fn a_first_load_and_build_build_the_brin_indexes_after_the_rows_and_only_then() {
    let mut wh = connect(&pg::server().new_database());
    pipeline::create_tables(&mut wh, false, &pipeline::Silent).unwrap();
    let created = brin_indexes(&mut wh);
    let names: Vec<&str> = created.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, ["songplays_start_time", "staging_events_ts"]);
    build(&mut wh, &sample_dir());
    assert_sample_counts(&mut wh);
    let built = brin_indexes(&mut wh);
    assert_built_again(&created, &built, " valid");
    // Built over the rows, so every range is summarized already: nothing is left to do.
    let unsummarized = wh
        .query(
            "SELECT brin_summarize_new_values(CAST('staging_events_ts' AS regclass))
                  + brin_summarize_new_values(CAST('songplays_start_time' AS regclass))",
        )
        .unwrap();
    assert_eq!(unsummarized.rows, [[Value::Int(0)]]);

    // Staging again over its rows (a full reload empties the table inside the same
    // transaction), and a rebuild over rows: the indexes stay as they are.
    let options = sparkify::copy::load::LoadOptions::default();
    let dir = sample_dir();
    pipeline::stage(
        &mut wh,
        &events_request(&dir, jsonpaths(&dir), true),
        &options,
        &pipeline::Silent,
    )
    .unwrap();
    pipeline::transform(&mut wh).unwrap();
    assert_sample_counts(&mut wh);
    assert_eq!(brin_indexes(&mut wh), built, "kept over rows");
}

/// Likewise a `not_null` rule on a column PostgreSQL keeps NOT NULL holds without reading the
/// rows (0.3 s a rule on songplays at 10M events); a column without the constraint is read,
/// and the rule finds its NULLs.
#[test]
fn not_null_rules_trust_a_not_null_column_and_only_that() {
    let mut wh = connect(&pg::server().new_database());
    build(&mut wh, &sample_dir());
    assert!(checks::not_null_holds(&mut wh, "songplays", "user_id").unwrap());
    assert!(checks::not_null_holds(&mut wh, "time", "start_time").unwrap());
    // time's calendar units are NOT NULL too: six rules over 8.3M rows, ~1 s at 10M events.
    for unit in ["hour", "day", "week", "month", "year", "weekday"] {
        assert!(
            checks::not_null_holds(&mut wh, "time", unit).unwrap(),
            "{unit}"
        );
    }
    assert!(!checks::not_null_holds(&mut wh, "songplays", "level").unwrap());
    assert!(!checks::not_null_holds(&mut wh, "songplays", "no_such_column").unwrap());
    assert!(!checks::not_null_holds(&mut wh, "no_such_table", "user_id").unwrap());

    wh.execute("ALTER TABLE songplays ALTER COLUMN user_id DROP NOT NULL")
        .unwrap();
    assert!(!checks::not_null_holds(&mut wh, "songplays", "user_id").unwrap());
    wh.execute("UPDATE songplays SET user_id = NULL WHERE songplay_id IN (1, 2, 3)")
        .unwrap();
    let report = checks::run(&mut wh).unwrap();
    let failed = report.failed();
    let rule = failed
        .iter()
        .find(|r| r.table == "songplays" && r.name == "user_id not null")
        .unwrap_or_else(|| panic!("{failed:?}"));
    assert_eq!(rule.violations, 3);
}

/// The volume monitor has PostgreSQL's own text (sql/postgres/monitors/daily_counts.sql), which
/// hashes the days where the common one sorts every row: the same days and counts (the checks
/// send the text `rule_sql` lists: both come from `Monitor::daily_counts`).
#[test]
fn postgres_volume_monitor_counts_the_days_the_common_text_counts() {
    use sparkify::checks::Scope;
    use sparkify::sql::Dialect;
    let mut wh = connect(&pg::server().new_database());
    build(&mut wh, &sample_dir());
    let volume = |dialect| {
        let rules = checks::rule_sql(Scope::All, dialect).unwrap();
        let found: Vec<String> = rules
            .into_iter()
            .filter(|(_, name, _)| name.ends_with("volume by day"))
            .map(|(_, _, sql)| sql.text)
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].clone()
    };
    let (common, own) = (volume(Dialect::DuckDb), volume(Dialect::Postgres));
    assert_ne!(common, own, "PostgreSQL has its own volume text");
    let expected = wh.query(&common).unwrap().rows;
    assert_eq!(expected.len(), 30, "the sample's 30 days");
    assert_eq!(wh.query(&own).unwrap().rows, expected);
}

/// Two rules have PostgreSQL's own text (sql/postgres/checks/, sql/postgres/violations/), for a
/// better plan on the same rows: on a warehouse broken on purpose both count what the common
/// text counts, and the checks run the PostgreSQL text.
#[test]
fn postgres_rule_texts_count_what_the_common_ones_count() {
    use sparkify::checks::Scope;
    use sparkify::sql::Dialect;
    let mut wh = connect(&pg::server().new_database());
    build(&mut wh, &sample_dir());
    wh.execute(
        "UPDATE songplays SET level = CASE level WHEN 'free' THEN 'paid' ELSE 'free' END
         WHERE songplay_id % 50 = 0",
    )
    .unwrap();
    wh.execute("DELETE FROM songplays WHERE songplay_id % 70 = 0")
        .unwrap();
    let report = checks::run(&mut wh).unwrap();
    // Redshift runs the common text of both rules (DuckDB has its own of the second).
    let common = checks::rule_sql(Scope::All, Dialect::Redshift).unwrap();
    let own = checks::rule_sql(Scope::All, Dialect::Postgres).unwrap();
    for rule in [
        "level agrees with users_history at start_time",
        "one songplay per NextSong event",
    ] {
        let text = |rules: &[(String, String, sparkify::sql::Statement)]| {
            rules
                .iter()
                .find(|(_, name, _)| name == rule)
                .map(|(_, _, sql)| sql.text.clone())
                .unwrap_or_else(|| panic!("no rule {rule}"))
        };
        let (common, own) = (text(&common), text(&own));
        assert_ne!(common, own, "{rule}: PostgreSQL has its own text");
        let expected = count(&mut wh, &common);
        assert!(expected > 0, "{rule}: the warehouse breaks it");
        assert_eq!(count(&mut wh, &own), expected, "{rule}");
        let found = report
            .results
            .iter()
            .find(|r| r.name == rule)
            .unwrap_or_else(|| panic!("{rule} not run"));
        assert_eq!(found.violations, expected, "{rule}");
    }
}
