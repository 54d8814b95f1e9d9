//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod bin;
pub mod pg;

// Each test binary uses a different part of these (some none), as with `dead_code` above.
#[allow(unused_imports)]
pub use bin::{
    OPENED, Watched, finish, ok, run, run_command, run_to_end, span_after_open, sparkify,
    spawn_run, spawn_watched, text,
};

use std::path::{Path, PathBuf};

use sparkify::copy::load::LoadOptions;
use sparkify::pipeline::{self, FormatSpec, Refresh, Silent, StageReport, StageRequest};
use sparkify::source::Source;
use sparkify::warehouse::Warehouse;

/// Rows per table after building the star schema from the real sample (SOURCE.md's counts;
/// `time` has 6,813 rows because 7 pairs of plays share a start time).
pub const SAMPLE_COUNTS: [(&str, i64); 9] = [
    ("staging_events", 8056),
    ("staging_songs", 71),
    ("songplays", 6820),
    ("users", 97),
    ("songs", 71),
    ("artists", 69),
    ("time", 6813),
    ("load_errors", 0),
    ("load_ledger", 101),
];

/// Asserts [`SAMPLE_COUNTS`].
pub fn assert_sample_counts(wh: &mut dyn Warehouse) {
    for (table, expected) in SAMPLE_COUNTS {
        assert_eq!(
            count(wh, &format!("SELECT COUNT(*) FROM {table}")),
            expected,
            "{table}"
        );
    }
}

/// Generates a dataset of `days` × `per_day` events (300 songs) into `dir` and returns the
/// `--songs/--events/--jsonpaths` arguments that load it.
pub fn dataset(dir: &Path, days: u64, per_day: u64) -> Vec<String> {
    sparkify::generate::generate(
        dir,
        &sparkify::generate::GenerateOptions {
            songs: 300,
            users: 80,
            days,
            events_per_day: per_day,
            seed: days,
            match_rate: 0.5,
            compress: None,
        },
        |_| {},
    )
    .unwrap();
    sources(dir)
}

/// The `--songs/--events/--jsonpaths` arguments that load a dataset laid out as the sample is.
pub fn sources(dir: &Path) -> Vec<String> {
    vec![
        "--songs".into(),
        dir.join("song_data").display().to_string(),
        "--events".into(),
        dir.join("log_data").display().to_string(),
        "--jsonpaths".into(),
        dir.join("log_json_path.json").display().to_string(),
    ]
}

/// Row counts of [`STATE_TABLES`] after asserting that every data-quality check passes: what a
/// run leaves behind, in a form that tells a complete run from an interrupted one.
pub fn run_state(wh: &mut dyn Warehouse) -> Vec<i64> {
    let report = sparkify::checks::run(wh).unwrap();
    assert!(
        report.failed().is_empty(),
        "inconsistent warehouse: {:?}",
        report.failed()
    );
    STATE_TABLES
        .iter()
        .map(|t| count(wh, &format!("SELECT COUNT(*) FROM {t}")))
        .collect()
}

/// The tables whose row counts tell a complete run from an interrupted one.
pub const STATE_TABLES: [&str; 6] = [
    "staging_events",
    "staging_songs",
    "songplays",
    "users",
    "time",
    "load_ledger",
];

/// The real public sample beside the project (never copied into it).
pub fn sample_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("SPARKIFY_SAMPLE_DATA") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sparkify")
}

/// The `--songs/--events/--jsonpaths` arguments that load the real sample.
pub fn sample_sources() -> Vec<String> {
    sources(&sample_dir())
}

pub fn events_request(dir: &Path, format: FormatSpec, repair: bool) -> StageRequest {
    StageRequest {
        table: "staging_events".into(),
        source: Source::Local(dir.join("log_data")),
        format,
        repair_mojibake: repair,
        refresh: Refresh::Full,
    }
}

pub fn songs_request(dir: &Path) -> StageRequest {
    StageRequest {
        table: "staging_songs".into(),
        source: Source::Local(dir.join("song_data")),
        format: FormatSpec::Auto,
        repair_mojibake: false,
        refresh: Refresh::Full,
    }
}

pub fn jsonpaths(dir: &Path) -> FormatSpec {
    FormatSpec::JsonPaths(Source::Local(dir.join("log_json_path.json")))
}

/// create → stage (JSONPaths for events, as the seed does) → transform.
pub fn build(wh: &mut dyn Warehouse, dir: &Path) -> Vec<StageReport> {
    pipeline::create_tables(wh, false, &pipeline::Silent).expect("create tables");
    let options = LoadOptions::default();
    let staged = vec![
        pipeline::stage(
            wh,
            &events_request(dir, jsonpaths(dir), true),
            &options,
            &Silent,
        )
        .expect("stage events"),
        pipeline::stage(wh, &songs_request(dir), &options, &Silent).expect("stage songs"),
    ];
    pipeline::transform(wh).expect("transform");
    staged
}

pub fn count(wh: &mut dyn Warehouse, sql: &str) -> i64 {
    wh.count(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every row of a table in a stable order, as text, for whole-content comparisons.
pub fn dump(wh: &mut dyn Warehouse, table: &str) -> Vec<String> {
    let result = wh
        .query(&format!("SELECT * FROM {table}"))
        .unwrap_or_else(|e| panic!("dump {table}: {e}"));
    let mut rows: Vec<String> = result.rows.iter().map(|r| format!("{r:?}")).collect();
    rows.sort();
    rows
}

/// A dialect's own `songplays` statement gives the rows of the common one, `songplay_id`
/// included: on the sample already built in `wh`, and on events repeated in the logs (with
/// NULL sessions and items among them) and twin catalogue songs added here.
pub fn assert_songplays_are_the_rows_of_the_common_statement(
    wh: &mut dyn Warehouse,
    dialect: sparkify::sql::Dialect,
) {
    // Between the sample's own times (November 2018), so numbers interleave with its plays.
    wh.execute(
        "INSERT INTO staging_events (page, ts, userid, sessionid, iteminsession, level, song, \
         artist, length, location, useragent) VALUES
         ('NextSong', 1542000000000, 9001, 1, 0, 'free', 'B', 'x', 1.0, 'here', 'ua'),
         ('NextSong', 1542000000000, 9001, 1, 0, 'paid', 'A', 'x', 1.0, 'here', 'ua'),
         ('NextSong', 1542000000000, 9001, 1, 0, 'free', NULL, 'x', 1.0, 'here', 'ua'),
         ('NextSong', 1542000000000, 9001, 2, 0, 'free', 'C', 'x', 1.0, 'here', 'ua'),
         ('NextSong', 1542000000000, 9001, NULL, NULL, 'free', 'D', 'y', 2.0, NULL, NULL),
         ('NextSong', 1542000000000, 9001, NULL, NULL, 'paid', 'D', 'y', 2.0, NULL, NULL),
         ('NextSong', 1542000000000, 9001, NULL, 3, 'paid', 'E', 'y', 2.0, 'a', 'b'),
         ('NextSong', 1542000000000, 9001, NULL, 3, 'paid', 'E', 'y', 2.0, 'a', 'b'),
         ('NextSong', 1542000000001, 9002, 5, NULL, 'free', 'F', 'z', 3.0, 'b', 'c'),
         ('NextSong', 1542000000001, 9002, 5, 1, 'free', 'F', 'z', 3.0, 'b', 'c'),
         ('NextSong', 1542000000003, 9002, NULL, 7, 'free', 'F', 'z', 3.0, 'b', 'c'),
         ('NextSong', NULL, 9003, 1, 1, 'free', 'G', 'z', 3.0, 'b', 'c'),
         ('NextSong', 1542000000002, NULL, 1, 1, 'free', 'G', 'z', 3.0, 'b', 'c'),
         ('Home', 1542000000002, 9003, 1, 2, 'free', NULL, NULL, NULL, 'b', 'c')",
    )
    .unwrap();
    // Two catalogue songs alike in title, artist and duration: the lowest song_id is taken.
    wh.execute(
        "INSERT INTO staging_songs (song_id, title, artist_id, artist_name, duration) VALUES
         ('SOTWINB', 'A', 'ARX', 'x', 1.0), ('SOTWINA', 'A', 'ARX', 'x', 1.0)",
    )
    .unwrap();
    let common = sparkify::sql::file("transform/songplays.sql").unwrap();
    let own = sparkify::sql::transform("songplays", dialect).unwrap();
    assert_ne!(common, own, "{dialect:?} has its own songplays statement");
    wh.execute(common).unwrap();
    let expected = dump(wh, "songplays");
    wh.execute(own).unwrap();
    assert_eq!(dump(wh, "songplays"), expected);
    // The sample's 6,820 plays and the 7 distinct events above: the first copy by song, so
    // the repeated (9001, 1, 0) is the paid play of 'A'.
    assert_eq!(expected.len(), 6820 + 7);
    assert_eq!(
        count(
            wh,
            "SELECT COUNT(*) FROM songplays WHERE user_id = 9001 AND session_id = 1 \
             AND level = 'paid' AND song_id = 'SOTWINA'"
        ),
        1
    );
}
