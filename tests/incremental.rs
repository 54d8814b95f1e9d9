//! Incremental runs give exactly the star schema one full load gives: the real sample and a
//! generated set split into several loads in several orders (a day that arrives late, songs
//! that arrive after their plays, an event file staged twice), on DuckDB and PostgreSQL.
//! songplay_id may differ from the full load's but stays unique and does not change when the
//! run is repeated. A warehouse built by other transform SQL is rebuilt, and says so.

mod common;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use common::*;
use sparkify::copy::load::LoadOptions;
use sparkify::pipeline::{self, Audit, Build, Progress, Refresh, Silent, StageRequest};
use sparkify::source::Source;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

/// The star schema, as sorted rows; songplays without its surrogate key.
const STAR: [(&str, &str); 6] = [
    ("songs", "SELECT * FROM songs"),
    ("artists", "SELECT * FROM artists"),
    ("users", "SELECT * FROM users"),
    (
        "songplays",
        "SELECT start_time, user_id, level, song_id, artist_id, session_id, location, \
         user_agent FROM songplays",
    ),
    ("time", "SELECT * FROM time"),
    ("users_history", "SELECT * FROM users_history"),
];

fn rows(wh: &mut dyn Warehouse, sql: &str) -> Vec<String> {
    let result = wh.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut rows: Vec<String> = result.rows.iter().map(|r| format!("{r:?}")).collect();
    rows.sort();
    rows
}

fn star(wh: &mut dyn Warehouse) -> Vec<(String, Vec<String>)> {
    STAR.iter()
        .map(|(table, sql)| (table.to_string(), rows(wh, sql)))
        .collect()
}

fn assert_same_star(got: &[(String, Vec<String>)], want: &[(String, Vec<String>)], what: &str) {
    for ((table, g), (_, w)) in got.iter().zip(want) {
        assert_eq!(g.len(), w.len(), "{what}: {table} row counts differ");
        if let Some(i) = (0..g.len()).find(|&i| g[i] != w[i]) {
            panic!(
                "{what}: {table} differs at sorted row {i}:\n incremental {}\n full load   {}",
                g[i], w[i]
            );
        }
    }
}

/// Remembers the notes a run gives.
#[derive(Default)]
struct Notes(RefCell<Vec<String>>);

impl Progress for Notes {
    fn note(&self, message: &str) {
        self.0.borrow_mut().push(message.to_string());
    }
}

/// One `run` (create → stage → transform → checks) of the files under `dir`, loading only what
/// the ledger does not hold.
fn run(
    wh: &mut dyn Warehouse,
    dir: &Path,
    jsonpaths: &Path,
    refresh: Refresh,
) -> pipeline::EtlReport {
    run_noted(wh, dir, jsonpaths, refresh, &Notes::default())
}

fn run_noted(
    wh: &mut dyn Warehouse,
    dir: &Path,
    jsonpaths: &Path,
    refresh: Refresh,
    notes: &Notes,
) -> pipeline::EtlReport {
    let requests = [
        StageRequest {
            table: "staging_events".into(),
            source: Source::Local(dir.join("events")),
            format: pipeline::FormatSpec::JsonPaths(Source::Local(jsonpaths.to_path_buf())),
            repair_mojibake: true,
            refresh,
        },
        StageRequest {
            table: "staging_songs".into(),
            source: Source::Local(dir.join("songs")),
            format: pipeline::FormatSpec::Auto,
            repair_mojibake: false,
            refresh,
        },
    ];
    let report = pipeline::etl(
        wh,
        &requests,
        &LoadOptions::default(),
        notes,
        Audit::PublishIfPassing,
    )
    .unwrap_or_else(|e| panic!("run: {e}"));
    let checks = report.checks.as_ref().expect("audited");
    assert!(checks.failed().is_empty(), "{:?}", checks.failed());
    report
}

/// Every `.json` file under `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// What one load adds to the source folders: event files, song files (by index), and event
/// files copied under another name (so the same events are staged a second time).
#[derive(Clone, Default)]
struct Load {
    events: Vec<usize>,
    songs: Vec<usize>,
    copies: Vec<usize>,
}

fn load(events: impl IntoIterator<Item = usize>, songs: impl IntoIterator<Item = usize>) -> Load {
    Load {
        events: events.into_iter().collect(),
        songs: songs.into_iter().collect(),
        copies: Vec::new(),
    }
}

/// Links each file into the source folders (the ledger keys files by their canonical path, so
/// a link is the file itself), or copies it for `copies`.
fn add(dir: &Path, data: &Path, step: &Load) {
    let (events, songs) = (
        json_files(&data.join("log_data")),
        json_files(&data.join("song_data")),
    );
    for (i, folder, files) in [
        (&step.events, "events", &events),
        (&step.songs, "songs", &songs),
    ]
    .into_iter()
    .flat_map(|(idx, folder, files)| idx.iter().map(move |i| (i, folder, files)))
    {
        let file = &files[*i];
        let link = dir.join(folder).join(format!(
            "{i:04}-{}",
            file.file_name().unwrap().to_string_lossy()
        ));
        std::os::unix::fs::symlink(file, link).unwrap();
    }
    for i in &step.copies {
        std::fs::copy(
            &events[*i],
            dir.join("events").join(format!("copy-{i:04}.json")),
        )
        .unwrap();
    }
}

/// Loads `data` in `loads` steps into `wh` and asserts the star schema equals `want` (one full
/// load of everything), songplay_id unique, and a repeated run changes nothing, ids included.
fn loads_equal_one_load(
    wh: &mut dyn Warehouse,
    data: &Path,
    loads: &[Load],
    want: &[(String, Vec<String>)],
    what: &str,
) {
    let tmp = tempfile::tempdir().unwrap();
    for folder in ["events", "songs"] {
        std::fs::create_dir(tmp.path().join(folder)).unwrap();
    }
    let jsonpaths = data.join("log_json_path.json");
    for (n, step) in loads.iter().enumerate() {
        add(tmp.path(), data, step);
        let report = run(wh, tmp.path(), &jsonpaths, Refresh::Incremental);
        let expected = if n == 0 {
            Build::Rebuild(None)
        } else {
            Build::Incremental
        };
        assert_eq!(report.transformed.build, expected, "{what}: load {n}");
        assert_eq!(
            count(
                wh,
                "SELECT COUNT(*) - COUNT(DISTINCT songplay_id) FROM songplays"
            ),
            0,
            "{what}: load {n} repeated a songplay_id"
        );
    }
    assert_same_star(&star(wh), want, what);
    for scratch in [
        "staging_events_new",
        "staging_songs_new",
        "user_candidates",
        "changed_plays",
        "replaced_plays",
        "history_users",
        "history_changes",
    ] {
        assert_eq!(
            count(wh, &format!("SELECT COUNT(*) FROM {scratch}")),
            0,
            "{what}: {scratch} is left filled"
        );
    }
    let ids = rows(wh, "SELECT * FROM songplays");
    let again = run(wh, tmp.path(), &jsonpaths, Refresh::Incremental);
    assert_eq!(again.transformed.build, Build::Incremental);
    assert_eq!(
        rows(wh, "SELECT * FROM songplays"),
        ids,
        "{what}: a repeated run changed songplays"
    );
}

/// The star schema of one load of every file of `data` (with the `copies` staged twice).
fn one_load(wh: &mut dyn Warehouse, data: &Path, everything: &Load) -> Vec<(String, Vec<String>)> {
    let tmp = tempfile::tempdir().unwrap();
    for folder in ["events", "songs"] {
        std::fs::create_dir(tmp.path().join(folder)).unwrap();
    }
    add(tmp.path(), data, everything);
    run(
        wh,
        tmp.path(),
        &data.join("log_json_path.json"),
        Refresh::Incremental,
    );
    star(wh)
}

/// The sample's 30 days and 71 songs in several splits and orders.
fn sample_splits() -> (Load, Vec<(&'static str, Vec<Load>)>) {
    let all = Load {
        copies: vec![4],
        ..load(0..30, 0..71)
    };
    let splits = vec![
        (
            "three loads in order, songs first",
            vec![load(0..10, 0..71), load(10..20, []), load(20..30, [])],
        ),
        (
            "a late day, songs split around it, an event file staged twice",
            vec![
                load((0..30).filter(|d| *d != 12), 0..40),
                Load {
                    copies: vec![4],
                    ..load([12], [])
                },
                load([], 40..71),
            ],
        ),
        (
            "days in reverse, songs after their plays",
            vec![
                // A source with no files fails, as COPY does: one song to start with.
                load(20..30, [70]),
                load(10..20, []),
                load(0..10, 0..35),
                Load {
                    copies: vec![4],
                    ..load([], 35..70)
                },
            ],
        ),
    ];
    (all, splits)
}

/// A generated set where most plays match the catalogue, loaded with the songs after the plays
/// they match, in halves, and a day arriving late.
fn generated(dir: &Path) -> (Load, Vec<(&'static str, Vec<Load>)>) {
    sparkify::generate::generate(
        dir,
        &sparkify::generate::GenerateOptions {
            songs: 120,
            users: 30,
            days: 6,
            events_per_day: 250,
            seed: 7,
            match_rate: 0.9,
            compress: None,
        },
        |_| {},
    )
    .unwrap();
    let songs = json_files(&dir.join("song_data")).len();
    let all = Load {
        copies: vec![2],
        ..load(0..6, 0..songs)
    };
    let splits = vec![
        (
            "generated: plays first, then songs in halves, a late day, a day twice",
            vec![
                // A source with no files fails, as COPY does: one song to start with.
                load([0, 1, 3, 4, 5], [0]),
                load([], (2..songs).step_by(2)),
                Load {
                    copies: vec![2],
                    ..load([2], [])
                },
                load([], (1..songs).step_by(2)),
            ],
        ),
        (
            "generated: one day at a time, songs with the first",
            (0..6)
                .map(|d| Load {
                    copies: if d == 5 { vec![2] } else { vec![] },
                    ..load([d], if d == 0 { 0..songs } else { 0..0 })
                })
                .collect(),
        ),
    ];
    (all, splits)
}

fn every_split_equals_one_load(open: &dyn Fn() -> Box<dyn Warehouse>) {
    let data = sample_dir();
    let (all, splits) = sample_splits();
    let want = one_load(open().as_mut(), &data, &all);
    for (what, loads) in &splits {
        loads_equal_one_load(open().as_mut(), &data, loads, &want, what);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (all, splits) = generated(tmp.path());
    let want = one_load(open().as_mut(), tmp.path(), &all);
    let matched = want[3]
        .1
        .iter()
        .filter(|r| !r.contains(", Null, Null, "))
        .count();
    assert!(
        matched > 100,
        "the generated plays should mostly match: {matched}"
    );
    for (what, loads) in &splits {
        loads_equal_one_load(open().as_mut(), tmp.path(), loads, &want, what);
    }
}

#[test]
fn duckdb_loads_in_any_split_and_order_equal_one_load() {
    let tmp = tempfile::tempdir().unwrap();
    let n = std::cell::Cell::new(0);
    every_split_equals_one_load(&|| {
        n.set(n.get() + 1);
        Box::new(DuckDb::open(&tmp.path().join(format!("w{}.duckdb", n.get()))).unwrap())
    });
}

#[test]
fn postgres_loads_in_any_split_and_order_equal_one_load() {
    every_split_equals_one_load(&|| {
        let url = pg::server().new_database();
        Box::new(Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap())
    });
}

/// A warehouse whose star schema another version's transform SQL built is rebuilt, with a
/// note saying why; one without any record of it too.
#[test]
fn other_transform_sql_rebuilds_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    let data = tempfile::tempdir().unwrap();
    for folder in ["events", "songs"] {
        std::fs::create_dir(data.path().join(folder)).unwrap();
    }
    let sample = sample_dir();
    add(data.path(), &sample, &load(0..30, 0..71));
    let jsonpaths = sample.join("log_json_path.json");
    run(&mut wh, data.path(), &jsonpaths, Refresh::Incremental);
    let built = star(&mut wh);

    // As if an earlier version had built it, by other rules: its time table differs.
    wh.execute(
        "UPDATE transform_state SET transform_hash = 'another', sparkify_version = '0.0.9'; \
         DELETE FROM time WHERE hour < 12",
    )
    .unwrap();
    let notes = Notes::default();
    let report = run_noted(
        &mut wh,
        data.path(),
        &jsonpaths,
        Refresh::Incremental,
        &notes,
    );
    assert!(matches!(report.transformed.build, Build::Rebuild(Some(_))));
    let said = notes.0.borrow().join("\n");
    assert!(
        said.contains(
            "the transform SQL changed since the star schema was built (by sparkify 0.0.9)"
        ),
        "{said}"
    );
    assert_same_star(&star(&mut wh), &built, "after the rebuild");
    let hash = rows(&mut wh, "SELECT transform_hash FROM transform_state");
    assert_eq!(
        hash,
        [format!("[Text({:?})]", pipeline::transform_hash().unwrap())]
    );

    // No record at all (a warehouse of a version before the record): rebuilt too.
    wh.execute("DELETE FROM transform_state; DELETE FROM users WHERE level = 'free'")
        .unwrap();
    let notes = Notes::default();
    let report = run_noted(
        &mut wh,
        data.path(),
        &jsonpaths,
        Refresh::Incremental,
        &notes,
    );
    assert!(matches!(report.transformed.build, Build::Rebuild(Some(_))));
    assert!(
        notes
            .0
            .borrow()
            .iter()
            .any(|n| n.contains("no record of the transform SQL")),
        "{:?}",
        notes.0.borrow()
    );
    assert_same_star(&star(&mut wh), &built, "after the rebuild");

    // --full-refresh rebuilds without a note; the next run is incremental again.
    let report = run(&mut wh, data.path(), &jsonpaths, Refresh::Full);
    assert_eq!(report.transformed.build, Build::Rebuild(None));
    let report = run(&mut wh, data.path(), &jsonpaths, Refresh::Incremental);
    assert_eq!(report.transformed.build, Build::Incremental);
    assert_same_star(&star(&mut wh), &built, "after --full-refresh");
}

/// A changed file reloaded with --reload-changed empties its staging table and loads it whole:
/// the star schema is rebuilt from all rows (an update from "new" rows would double them), and
/// the run says so.
#[test]
fn a_staging_table_reloaded_whole_rebuilds_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    let data = tempfile::tempdir().unwrap();
    for folder in ["events", "songs"] {
        std::fs::create_dir(data.path().join(folder)).unwrap();
    }
    let sample = sample_dir();
    add(
        data.path(),
        &sample,
        &Load {
            copies: vec![3],
            ..load(0..30, 0..71)
        },
    );
    let jsonpaths = sample.join("log_json_path.json");
    run(&mut wh, data.path(), &jsonpaths, Refresh::Incremental);
    let built = star(&mut wh);
    let staged = count(&mut wh, "SELECT COUNT(*) FROM staging_events");

    // The copied file changes (a line is added to it, an event already in the logs).
    let copy = data.path().join("events").join("copy-0003.json");
    let mut text = std::fs::read_to_string(&copy).unwrap();
    let first = text.lines().next().unwrap().to_string();
    text.push_str(&first);
    text.push('\n');
    std::fs::write(&copy, text).unwrap();
    let notes = Notes::default();
    let report = run_noted(
        &mut wh,
        data.path(),
        &jsonpaths,
        Refresh::ReloadChanged,
        &notes,
    );
    assert!(matches!(report.transformed.build, Build::Rebuild(Some(_))));
    assert!(
        notes
            .0
            .borrow()
            .iter()
            .any(|n| n.contains("staging_events was reloaded whole: rebuilding the star schema")),
        "{:?}",
        notes.0.borrow()
    );
    // Reloaded whole: the changed file's rows replaced, not added to.
    assert_eq!(
        count(&mut wh, "SELECT COUNT(*) FROM staging_events"),
        staged + 1
    );
    assert_same_star(&star(&mut wh), &built, "after the reload");
}

/// One audited run of the files under `dir` that is expected to fail its checks: the rules it
/// names.
fn run_failing(wh: &mut dyn Warehouse, dir: &Path, jsonpaths: &Path, audit: Audit) -> String {
    let requests = [
        StageRequest {
            table: "staging_events".into(),
            source: Source::Local(dir.join("events")),
            format: pipeline::FormatSpec::JsonPaths(Source::Local(jsonpaths.to_path_buf())),
            repair_mojibake: true,
            refresh: Refresh::Incremental,
        },
        StageRequest {
            table: "staging_songs".into(),
            source: Source::Local(dir.join("songs")),
            format: pipeline::FormatSpec::Auto,
            repair_mojibake: false,
            refresh: Refresh::Incremental,
        },
    ];
    match pipeline::etl(wh, &requests, &LoadOptions::default(), &Silent, audit) {
        Err(e @ sparkify::error::Error::NotPublished { .. }) => e.to_string(),
        Err(e) => panic!("run failed otherwise: {e}"),
        Ok(report) => {
            let failed = report.checks.map(|c| c.failed().len()).unwrap_or_default();
            if audit == Audit::Off || failed > 0 {
                format!("published with {failed} failed rules")
            } else {
                panic!("the run passed its checks")
            }
        }
    }
}

/// Writes `day` of the sample into the events folder under another name, with the level of
/// its first NextSong event changed to one the rules refuse.
fn add_premium_day(dir: &Path, day: usize) {
    let file = &json_files(&sample_dir().join("log_data"))[day];
    let text = std::fs::read_to_string(file).unwrap();
    let mut changed = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if !changed && line.contains(r#""page":"NextSong""#) && line.contains(r#""level":"#) {
                changed = true;
                line.replace(r#""level":"free""#, r#""level":"premium""#)
                    .replace(r#""level":"paid""#, r#""level":"premium""#)
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(changed);
    std::fs::write(
        dir.join("events").join(format!("premium-{day:04}.json")),
        lines.join("\n"),
    )
    .unwrap();
}

/// An incremental run on a warehouse that passed its checks checks only the rows it changed;
/// a new day that breaks a rule still fails the run and publishes nothing. A warehouse whose
/// last build was not checked (`etl`) is checked whole by the next run, so what that build
/// broke is still found.
fn narrowed_checks_still_catch_what_a_new_day_breaks(wh: &mut dyn Warehouse) {
    let data = tempfile::tempdir().unwrap();
    for folder in ["events", "songs"] {
        std::fs::create_dir(data.path().join(folder)).unwrap();
    }
    let sample = sample_dir();
    let jsonpaths = sample.join("log_json_path.json");
    add(data.path(), &sample, &load(0..20, 0..71));
    run(wh, data.path(), &jsonpaths, Refresh::Incremental);
    let before = star(wh);

    // A new day with a play at level "premium": the incremental run fails, nothing changes.
    add_premium_day(data.path(), 20);
    let said = run_failing(wh, data.path(), &jsonpaths, Audit::PublishIfPassing);
    assert!(said.contains("songplays level in (free, paid)"), "{said}");
    assert_same_star(&star(wh), &before, "after a failed new day");

    // The same day loaded without checks (`etl`), then a clean day with checks: the run must
    // check the whole warehouse, where the premium play of the day before is.
    run_failing(wh, data.path(), &jsonpaths, Audit::Off);
    add(data.path(), &sample, &load([21], []));
    let said = run_failing(wh, data.path(), &jsonpaths, Audit::PublishIfPassing);
    assert!(said.contains("songplays level in (free, paid)"), "{said}");

    // Passing again (a full refresh without the premium day), then a song without a title
    // COPYed straight into songs, then a clean day: checked whole again.
    std::fs::remove_file(data.path().join("events/premium-0020.json")).unwrap();
    run(wh, data.path(), &jsonpaths, Refresh::Full);
    let untitled = data.path().join("untitled.json");
    std::fs::write(
        &untitled,
        r#"{"song_id": "SOZZZ12A8C999999", "title": null, "artist_id": "ARZZZ1187B9999999", "year": 0, "duration": 100.5}"#,
    )
    .unwrap();
    let copy = sparkify::copy::statement::parse_script(&format!(
        "COPY songs FROM '{}' FORMAT AS JSON 'auto'",
        untitled.display()
    ))
    .unwrap();
    pipeline::copy_command::run_copy(wh, &copy[0], &LoadOptions::default(), &Silent).unwrap();
    add(data.path(), &sample, &load([22], []));
    let said = run_failing(wh, data.path(), &jsonpaths, Audit::PublishIfPassing);
    assert!(said.contains("songs title not null"), "{said}");
}

#[test]
fn duckdb_narrowed_checks_still_catch_what_a_new_day_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    narrowed_checks_still_catch_what_a_new_day_breaks(&mut wh);
}

#[test]
fn postgres_narrowed_checks_still_catch_what_a_new_day_breaks() {
    let url = pg::server().new_database();
    let mut wh = Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap();
    narrowed_checks_still_catch_what_a_new_day_breaks(&mut wh);
}

/// The narrowed rules, run on a passing warehouse with an incremental run's scratch tables
/// filled by hand, find each kind of break the run could make in the rows it changed: a bad
/// value in a changed play, a changed play lost, its time row lost, and a user it touched
/// removed while old plays still point to it. A bad value in a play the run did not touch is
/// left to the full checks (that is the narrowing; the pipeline only narrows when the
/// warehouse passed before).
fn narrowed_rules_find_each_break(wh: &mut dyn Warehouse) {
    use sparkify::checks::{self, Scope};
    let data = tempfile::tempdir().unwrap();
    for folder in ["events", "songs"] {
        std::fs::create_dir(data.path().join(folder)).unwrap();
    }
    let sample = sample_dir();
    add(data.path(), &sample, &load(0..30, 0..71));
    run(
        wh,
        data.path(),
        &jsonpaths_of(&sample),
        Refresh::Incremental,
    );
    // The changed pairs: every play of the latest time; the touched user: another user.
    let setup = "INSERT INTO changed_plays (ts, start_time, user_id) \
         SELECT ts, sparkify_epoch_ms(ts), userid FROM staging_events \
         WHERE page = 'NextSong' AND ts = (SELECT MAX(ts) FROM staging_events WHERE page = 'NextSong'); \
         INSERT INTO user_candidates (userid, ts) SELECT MIN(user_id), 0 FROM songplays \
         WHERE user_id NOT IN (SELECT user_id FROM changed_plays); \
         INSERT INTO history_users (user_id, late) SELECT MAX(user_id), 0 FROM songplays \
         WHERE user_id NOT IN (SELECT user_id FROM changed_plays)";
    let changed = "start_time IN (SELECT start_time FROM changed_plays)";
    let flip = "CASE level WHEN 'free' THEN 'paid' ELSE 'free' END";
    let history_users = "user_id IN (SELECT user_id FROM history_users)";
    let breaks = [
        (
            format!("UPDATE songplays SET level = 'premium' WHERE {changed}"),
            "songplays: level in (free, paid)",
            true,
        ),
        (
            format!("DELETE FROM songplays WHERE {changed}"),
            "songplays: one songplay per NextSong event",
            true,
        ),
        (
            format!("DELETE FROM time WHERE {changed}"),
            "songplays: start_time references time.start_time",
            true,
        ),
        (
            "DELETE FROM users WHERE user_id IN (SELECT userid FROM user_candidates)".to_string(),
            "songplays: user_id references users.user_id",
            true,
        ),
        (
            format!("UPDATE songplays SET level = 'premium' WHERE NOT {changed}"),
            "songplays: level in (free, paid)",
            false,
        ),
        // A play the run wrote that disagrees with the history, a history the run changed that
        // disagrees with old plays, and neither (left to the full checks).
        (
            format!("UPDATE songplays SET level = {flip} WHERE {changed}"),
            "songplays: level agrees with users_history at start_time",
            true,
        ),
        (
            format!("UPDATE users_history SET level = {flip} WHERE {history_users}"),
            "songplays: level agrees with users_history at start_time",
            true,
        ),
        (
            format!(
                "UPDATE songplays SET level = {flip} WHERE NOT {changed} AND NOT {history_users}"
            ),
            "songplays: level agrees with users_history at start_time",
            false,
        ),
    ];
    for (sql, rule, found) in breaks {
        wh.begin().unwrap();
        wh.execute(setup).unwrap();
        let clean = checks::run_scoped(wh, Scope::Changed).unwrap();
        assert!(clean.failed().is_empty(), "{:?}", clean.failed());
        wh.execute(&sql).unwrap();
        let narrowed = checks::run_scoped(wh, Scope::Changed).unwrap();
        let whole = checks::run(wh).unwrap();
        wh.rollback().unwrap();
        // By table and name: users_history's rule on user_id has the same name as
        // songplays', and it is not narrowed, so a name alone would pass for either.
        let names = |r: &checks::CheckReport| -> Vec<String> {
            r.failed()
                .iter()
                .map(|f| format!("{}: {}", f.table, f.name))
                .collect()
        };
        assert!(
            names(&whole).iter().any(|n| n == rule),
            "{sql}: {:?}",
            names(&whole)
        );
        assert_eq!(
            names(&narrowed).iter().any(|n| n == rule),
            found,
            "{sql}: {:?}",
            names(&narrowed)
        );
    }
}

/// A narrowed reference rule reads the rows outside the changed range that point to a key the
/// run removed from the target, unless the target's changed keys are the changed keys of the
/// referencing column itself: then every removed key lies inside the range the rule reads
/// anyway. songplays.start_time → time is such a rule (on PostgreSQL the dropped clause hashed
/// all of `time`, 2.9-3.3 s of a new day at 10M events); songplays.user_id → users is not
/// (a touched user's old plays), and `narrowed_rules_find_each_break` deletes such a user.
#[test]
fn a_narrowed_reference_reads_outside_its_range_only_where_a_removed_key_can_be() {
    use sparkify::checks::{Scope, rule_sql};
    for dialect in [
        sparkify::sql::Dialect::DuckDb,
        sparkify::sql::Dialect::Postgres,
        sparkify::sql::Dialect::Redshift,
    ] {
        let rules = rule_sql(Scope::Changed, dialect).unwrap();
        let text = |name: &str| {
            rules
                .iter()
                .find(|(table, rule, _)| table == "songplays" && rule == name)
                .map(|(_, _, sql)| sql.text.clone())
                .unwrap_or_else(|| panic!("songplays: {name}"))
        };
        let time = text("start_time references time.start_time");
        assert!(!time.contains("gone"), "{dialect:?}: {time}");
        assert!(time.contains("BETWEEN"), "{dialect:?}: {time}");
        for (column, target) in [
            ("user_id", "users"),
            ("song_id", "songs"),
            ("artist_id", "artists"),
        ] {
            let sql = text(&format!("{column} references {target}.{column}"));
            assert!(sql.contains("gone"), "{dialect:?}: {sql}");
        }
    }
}

fn jsonpaths_of(sample: &Path) -> PathBuf {
    sample.join("log_json_path.json")
}

#[test]
fn duckdb_narrowed_rules_find_each_break() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    narrowed_rules_find_each_break(&mut wh);
}

#[test]
fn postgres_narrowed_rules_find_each_break() {
    let url = pg::server().new_database();
    let mut wh = Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap();
    narrowed_rules_find_each_break(&mut wh);
}

/// The BRIN indexes an incremental PostgreSQL run reads by hold a summary of every page range
/// after each run: a range never summarized is read by every statement that uses the index,
/// and with autovacuum off (or not yet run, as right after a load) that is the whole history.
#[test]
fn postgres_runs_leave_every_brin_range_summarized() {
    let url = pg::server().new_database();
    let mut wh = Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap();
    pipeline::create_tables(&mut wh, false, &Silent).unwrap();
    // Nothing but the run itself may summarize the ranges.
    for table in ["staging_events", "songplays"] {
        wh.execute(&format!(
            "ALTER TABLE {table} SET (autovacuum_enabled = false)"
        ))
        .unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    for folder in ["events", "songs"] {
        std::fs::create_dir(data.path().join(folder)).unwrap();
    }
    let sample = sample_dir();
    let jsonpaths = sample.join("log_json_path.json");
    let unsummarized = "SELECT brin_summarize_new_values('staging_events_ts'), \
                        brin_summarize_new_values('songplays_start_time')";
    for (what, step) in [
        ("the first load", load(0..29, 0..71)),
        ("a new day", load([29], [])),
    ] {
        add(data.path(), &sample, &step);
        run(&mut wh, data.path(), &jsonpaths, Refresh::Incremental);
        assert_eq!(
            rows(&mut wh, unsummarized),
            vec!["[Int(0), Int(0)]".to_string()],
            "after {what}, ranges were left unsummarized"
        );
    }
}
