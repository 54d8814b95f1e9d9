//! `users_history` (each user's level over time) and the questions built on it, checked against
//! an independent computation in this file: the raw JSON log files read with serde_json, the
//! periods worked out in Rust, never by the SQL under test. On DuckDB and PostgreSQL, built in
//! one load and day by day (with a day that arrives late, after later days), and on a small
//! hand-written log with the awkward cases (events at the same instant, level flapping, events
//! without a user, a time or a level).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;
use sparkify::copy::load::LoadOptions;
use sparkify::pipeline::{self, Audit, Build, Refresh, Silent, StageRequest};
use sparkify::source::Source;
use sparkify::value::Value;
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

/// users_history's rows on the shared sample: 97 users, 89 of whom keep one level all month,
/// 7 change once and one (user 15) twice.
const SAMPLE_PERIODS: usize = 106;

/// One event of the logs, as far as levels go.
#[derive(Debug, Clone)]
struct Event {
    user: i64,
    ts: i64,
    session: Option<i64>,
    item: Option<i64>,
    level: Option<String>,
    page: Option<String>,
}

fn int(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: &serde_json::Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The events of these files with a user and a time (the others say nothing about anyone's
/// level at any time).
fn events_of(files: &[PathBuf]) -> Vec<Event> {
    let mut out = Vec::new();
    for file in files {
        let body = std::fs::read_to_string(file).unwrap();
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            let e: serde_json::Value = serde_json::from_str(line).unwrap();
            let (Some(user), Some(ts)) = (int(&e["userId"]), int(&e["ts"])) else {
                continue;
            };
            out.push(Event {
                user,
                ts,
                session: int(&e["sessionId"]),
                item: int(&e["itemInSession"]),
                level: text(&e["level"]),
                page: text(&e["page"]),
            });
        }
    }
    out
}

fn event_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// One period: user, level, from and to (epoch ms, `to` None while current).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Period {
    user: i64,
    level: String,
    from: i64,
    to: Option<i64>,
}

/// The periods, worked out by walking each user's instants in time order. At an instant with
/// several events the level is the one of the event with the highest session, then item (a
/// missing one counts lowest), then the first level alphabetically: the event `users` takes
/// as the latest.
fn periods(events: &[Event]) -> Vec<Period> {
    type Key = (Option<i64>, Option<i64>, std::cmp::Reverse<String>);
    let mut at: BTreeMap<(i64, i64), Key> = BTreeMap::new();
    for e in events {
        let Some(level) = &e.level else { continue };
        let key = (e.session, e.item, std::cmp::Reverse(level.clone()));
        let slot = at.entry((e.user, e.ts)).or_insert_with(|| key.clone());
        if key > *slot {
            *slot = key;
        }
    }
    let mut out: Vec<Period> = Vec::new();
    for ((user, ts), (_, _, std::cmp::Reverse(level))) in at {
        match out.last_mut() {
            Some(last) if last.user == user && last.level == level => {}
            Some(last) if last.user == user => {
                last.to = Some(ts);
                out.push(Period {
                    user,
                    level,
                    from: ts,
                    to: None,
                });
            }
            _ => out.push(Period {
                user,
                level,
                from: ts,
                to: None,
            }),
        }
    }
    out
}

fn stamp(ms: i64) -> Value {
    Value::Text(sparkify::time::format_timestamp_micros(ms * 1000))
}

/// The rows users_history should hold, as the warehouse answers them.
fn expected_rows(periods: &[Period]) -> Vec<Vec<Value>> {
    periods
        .iter()
        .map(|p| {
            vec![
                Value::Int(p.user),
                Value::Text(p.level.clone()),
                stamp(p.from),
                p.to.map_or(Value::Null, stamp),
                Value::Bool(p.to.is_none()),
            ]
        })
        .collect()
}

fn history(wh: &mut dyn Warehouse) -> Vec<Vec<Value>> {
    wh.query(
        "SELECT user_id, level, valid_from, valid_to, is_current FROM users_history \
         ORDER BY user_id, valid_from",
    )
    .unwrap()
    .rows
}

fn assert_history(wh: &mut dyn Warehouse, want: &[Period], what: &str) {
    let got = history(wh);
    let want = expected_rows(want);
    assert_eq!(got.len(), want.len(), "{what}: row counts differ");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!(
            "{what}: users_history differs at row {i}:\n warehouse   {:?}\n independent {:?}",
            got[i], want[i]
        );
    }
}

fn postgres() -> Postgres {
    let url = pg::server().new_database();
    Postgres::connect(Target::parse(&url, 5432, "disable").unwrap()).unwrap()
}

fn sample_periods() -> Vec<Period> {
    periods(&events_of(&event_files(&sample_dir().join("log_data"))))
}

#[test]
fn the_independent_computation_sees_the_sample_as_documented() {
    let all = sample_periods();
    assert_eq!(all.len(), SAMPLE_PERIODS);
    let users: BTreeSet<i64> = all.iter().map(|p| p.user).collect();
    assert_eq!(users.len(), 97);
    let of_15: Vec<&str> = all
        .iter()
        .filter(|p| p.user == 15)
        .map(|p| p.level.as_str())
        .collect();
    assert_eq!(of_15, ["paid", "free", "paid"]);
}

fn sample_equals_the_raw_json(wh: &mut dyn Warehouse) {
    build(wh, &sample_dir());
    assert_history(wh, &sample_periods(), "the sample");
    let report = sparkify::checks::run(wh).unwrap();
    assert!(report.failed().is_empty(), "{:?}", report.failed());
}

#[test]
fn duckdb_history_of_the_sample_equals_the_raw_json() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    sample_equals_the_raw_json(&mut wh);
}

#[test]
fn postgres_history_of_the_sample_equals_the_raw_json_and_duckdb() {
    let mut wh = postgres();
    sample_equals_the_raw_json(&mut wh);
    let tmp = tempfile::tempdir().unwrap();
    let mut duck = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    build(&mut duck, &sample_dir());
    assert_eq!(history(&mut wh), history(&mut duck));
}

// ---- the questions -------------------------------------------------------------------------

/// Monday of the week of `ms` (UTC), as the warehouse prints a DATE.
fn week_of(ms: i64) -> Value {
    let days = ms.div_euclid(86_400_000);
    // 1970-01-01 was a Thursday: three days after a Monday.
    let monday = days - (days + 3).rem_euclid(7);
    Value::Text(sparkify::time::format_date(monday))
}

/// Each change of level: (user, from level, to level, when).
fn changes(all: &[Period]) -> Vec<(i64, &str, &str, i64)> {
    all.windows(2)
        .filter(|w| w[0].user == w[1].user)
        .map(|w| {
            (
                w[1].user,
                w[0].level.as_str(),
                w[1].level.as_str(),
                w[1].from,
            )
        })
        .collect()
}

fn questions_answer_as_the_raw_json_does(wh: &mut dyn Warehouse) {
    build(wh, &sample_dir());
    let files = event_files(&sample_dir().join("log_data"));
    let events = events_of(&files);
    let all = periods(&events);
    let ask = |wh: &mut dyn Warehouse, name: &str| {
        sparkify::analytics::run(wh, name, None)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .rows
    };

    // Conversions per week.
    let mut weeks: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (_, from, to, when) in changes(&all) {
        let Value::Text(week) = week_of(when) else {
            unreachable!()
        };
        let slot = weeks.entry(week).or_default();
        match (from, to) {
            ("free", "paid") => slot.0 += 1,
            ("paid", "free") => slot.1 += 1,
            other => panic!("unexpected change {other:?}"),
        }
    }
    let want: Vec<Vec<Value>> = weeks
        .into_iter()
        .map(|(w, (up, down))| vec![Value::Text(w), Value::Int(up), Value::Int(down)])
        .collect();
    assert_eq!(ask(wh, "conversions_by_week"), want);
    assert_eq!(
        want.iter()
            .map(|r| match r[1] {
                Value::Int(n) => n,
                _ => 0,
            })
            .sum::<i64>(),
        8,
        "the sample's upgrades"
    );

    // Time from the first event to the first paid period, for users who started free.
    let mut by_user: BTreeMap<i64, Vec<&Period>> = BTreeMap::new();
    for p in &all {
        by_user.entry(p.user).or_default().push(p);
    }
    let mut want: Vec<(i64, i64, i64, i64)> = by_user
        .iter()
        .filter(|(_, ps)| ps[0].level == "free")
        .filter_map(|(user, ps)| {
            let paid = ps.iter().find(|p| p.level == "paid")?;
            // Hours to one decimal, rounded half away from zero as ROUND does, in tenths.
            let tenths = ((paid.from - ps[0].from) as f64 / 360_000.0).round() as i64;
            Some((tenths, *user, ps[0].from, paid.from))
        })
        .collect();
    want.sort();
    let got = ask(wh, "time_to_paid");
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (row, (tenths, user, seen, paid)) in got.iter().zip(&want) {
        assert_eq!(row[..3], [Value::Int(*user), stamp(*seen), stamp(*paid)]);
        let hours = match row[3] {
            Value::Double(h) => h,
            Value::Int(h) => h as f64,
            ref other => panic!("hours_to_paid {other:?}"),
        };
        assert!(
            (hours * 10.0 - *tenths as f64).abs() < 1e-6,
            "user {user}: {hours} hours, expected {tenths} tenths"
        );
    }
    assert_eq!(want.len(), 7, "users who started free and paid later");

    // Plays before and from the first upgrade: a play is a NextSong event, an event repeated in
    // the logs once.
    let plays: BTreeSet<(i64, Option<i64>, Option<i64>, i64)> = events
        .iter()
        .filter(|e| e.page.as_deref() == Some("NextSong"))
        .map(|e| (e.user, e.session, e.item, e.ts))
        .collect();
    let mut first_upgrade: BTreeMap<i64, i64> = BTreeMap::new();
    for (user, from, to, when) in changes(&all) {
        if (from, to) == ("free", "paid") {
            first_upgrade.entry(user).or_insert(when);
        }
    }
    let mut want: Vec<(i64, i64, i64, i64)> = first_upgrade
        .iter()
        .map(|(&user, &at)| {
            let mine = plays.iter().filter(|p| p.0 == user);
            let before = mine.clone().filter(|p| p.3 < at).count() as i64;
            let after = mine.filter(|p| p.3 >= at).count() as i64;
            (at, user, before, after)
        })
        .collect();
    want.sort();
    let want: Vec<Vec<Value>> = want
        .into_iter()
        .map(|(at, user, before, after)| {
            vec![
                Value::Int(user),
                stamp(at),
                Value::Int(before),
                Value::Int(after),
            ]
        })
        .collect();
    assert_eq!(ask(wh, "plays_around_conversion"), want);
    assert_eq!(want.len(), 8);
}

#[test]
fn duckdb_questions_on_the_history_answer_as_the_raw_json() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wh = DuckDb::open(&tmp.path().join("w.duckdb")).unwrap();
    questions_answer_as_the_raw_json_does(&mut wh);
}

#[test]
fn postgres_questions_on_the_history_answer_as_the_raw_json() {
    questions_answer_as_the_raw_json_does(&mut postgres());
}

// ---- day by day ----------------------------------------------------------------------------

/// One audited, incremental `run` of what the source folders under `dir` hold now.
fn run(wh: &mut dyn Warehouse, dir: &Path, jsonpaths: &Path) -> pipeline::EtlReport {
    let request = |table: &str, folder: &str, format| StageRequest {
        table: table.into(),
        source: Source::Local(dir.join(folder)),
        format,
        repair_mojibake: false,
        refresh: Refresh::Incremental,
    };
    let requests = [
        request(
            "staging_events",
            "events",
            pipeline::FormatSpec::JsonPaths(Source::Local(jsonpaths.to_path_buf())),
        ),
        request("staging_songs", "songs", pipeline::FormatSpec::Auto),
    ];
    pipeline::etl(
        wh,
        &requests,
        &LoadOptions::default(),
        &Silent,
        Audit::PublishIfPassing,
    )
    .unwrap_or_else(|e| panic!("run: {e}"))
}

fn link(file: &Path, folder: &Path) {
    std::os::unix::fs::symlink(file, folder.join(file.file_name().unwrap())).unwrap();
}

/// The day to hold back: one whose late arrival changes the history before the users' current
/// periods (a change of level in it, for a user with events on later days), found by the
/// independent computation.
fn late_day(days: &[PathBuf]) -> usize {
    (0..days.len())
        .find(|&d| {
            let others: Vec<PathBuf> = (0..days.len())
                .filter(|&i| i != d)
                .map(|i| days[i].clone())
                .collect();
            let before = periods(&events_of(&others));
            let after = periods(&events_of(days));
            moved_into_the_past(&before, &after)
        })
        .expect("a day whose late arrival rewrites history")
}

/// Whether `after` holds a period that starts before the period that was current in `before`
/// for its user, and that `before` did not have.
fn moved_into_the_past(before: &[Period], after: &[Period]) -> bool {
    let current: BTreeMap<i64, i64> = before
        .iter()
        .filter(|p| p.to.is_none())
        .map(|p| (p.user, p.from))
        .collect();
    let starts: BTreeSet<(i64, i64)> = before.iter().map(|p| (p.user, p.from)).collect();
    after.iter().any(|p| {
        current.get(&p.user).is_some_and(|&c| p.from < c) && !starts.contains(&(p.user, p.from))
    })
}

fn day_by_day_equals_one_load(open: &dyn Fn() -> Box<dyn Warehouse>) {
    let sample = sample_dir();
    let jsonpaths = sample.join("log_json_path.json");
    let days = event_files(&sample.join("log_data"));
    assert_eq!(days.len(), 30);
    let late = late_day(&days);
    let order: Vec<usize> = (0..days.len())
        .filter(|&d| d != late)
        .chain([late])
        .collect();

    let tmp = tempfile::tempdir().unwrap();
    let (events, songs) = (tmp.path().join("events"), tmp.path().join("songs"));
    std::fs::create_dir(&events).unwrap();
    std::fs::create_dir(&songs).unwrap();
    for song in event_files(&sample.join("song_data")) {
        link(&song, &songs);
    }
    let mut wh = open();
    let mut loaded = Vec::new();
    let mut before_late = Vec::new();
    for (n, &d) in order.iter().enumerate() {
        link(&days[d], &events);
        loaded.push(days[d].clone());
        if d == late {
            before_late = history(wh.as_mut());
        }
        let report = run(wh.as_mut(), tmp.path(), &jsonpaths);
        let expected = if n == 0 {
            Build::Rebuild(None)
        } else {
            Build::Incremental
        };
        assert_eq!(report.transformed.build, expected, "day {d}");
        let want = periods(&events_of(&loaded));
        assert_history(wh.as_mut(), &want, &format!("after load {n} (day {d})"));
    }
    // The late day did rewrite history, so the test is the one it means to be.
    let after = history(wh.as_mut());
    assert!(before_late.iter().any(|row| !after.contains(row)));

    // And one load of everything gives the same rows.
    let mut full = open();
    build(full.as_mut(), &sample);
    assert_eq!(history(full.as_mut()), after);
    assert_eq!(after.len(), SAMPLE_PERIODS);
}

#[test]
fn duckdb_day_by_day_with_a_late_day_equals_one_load() {
    let tmp = tempfile::tempdir().unwrap();
    let n = std::cell::Cell::new(0);
    day_by_day_equals_one_load(&|| {
        n.set(n.get() + 1);
        Box::new(DuckDb::open(&tmp.path().join(format!("w{}.duckdb", n.get()))).unwrap())
    });
}

#[test]
fn postgres_day_by_day_with_a_late_day_equals_one_load() {
    day_by_day_equals_one_load(&|| Box::new(postgres()));
}

// ---- the awkward cases ---------------------------------------------------------------------

/// A log line with these fields (the rest as the sample has them).
fn line(user: &str, ts: i64, session: i64, item: i64, level: Option<&str>, page: &str) -> String {
    serde_json::json!({
        "artist": if page == "NextSong" { serde_json::json!("Artist") } else { serde_json::Value::Null },
        "auth": "Logged In", "firstName": "F", "gender": "F", "itemInSession": item,
        "lastName": "L", "length": if page == "NextSong" { serde_json::json!(200.0) } else { serde_json::Value::Null },
        "level": level, "location": "Here", "method": "PUT", "page": page,
        "registration": 1540919166796.0_f64, "sessionId": session,
        "song": if page == "NextSong" { serde_json::json!("Song") } else { serde_json::Value::Null },
        "status": 200, "ts": ts, "userAgent": "UA", "userId": user,
    })
    .to_string()
}

/// Same-instant events, flapping, repeats and events without a user, time or level, built
/// without an audit so that one deliberate disagreement can be seen in the checks.
#[test]
fn ties_flapping_and_events_without_a_user_follow_the_documented_rules() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    std::fs::create_dir_all(data.join("log_data")).unwrap();
    std::fs::create_dir_all(data.join("song_data")).unwrap();
    std::fs::copy(
        sample_dir().join("log_json_path.json"),
        data.join("log_json_path.json"),
    )
    .unwrap();
    let song = event_files(&sample_dir().join("song_data"))[0].clone();
    std::fs::copy(&song, data.join("song_data/song.json")).unwrap();
    let t = 1_541_000_000_000_i64;
    let lines = [
        // User 1 flaps free -> paid -> free -> paid; a repeated event changes nothing.
        line("1", t, 1, 0, Some("free"), "Home"),
        line("1", t + 1000, 1, 1, Some("free"), "NextSong"),
        line("1", t + 1000, 1, 1, Some("free"), "NextSong"),
        line("1", t + 2000, 1, 2, Some("paid"), "NextSong"),
        line("1", t + 3000, 1, 3, Some("free"), "Home"),
        line("1", t + 4000, 2, 0, Some("paid"), "NextSong"),
        // User 2: two events at one instant; the higher item wins (paid), and the play at that
        // instant is free, so songplays disagrees with the history there.
        line("2", t, 5, 0, Some("free"), "Home"),
        line("2", t + 500, 5, 1, Some("free"), "NextSong"),
        line("2", t + 500, 5, 2, Some("paid"), "Submit Upgrade"),
        // User 3: a full tie (same session and item): the first level alphabetically, as users
        // takes it; an earlier event without a level says nothing.
        line("3", t, 7, 0, Some("paid"), "Home"),
        line("3", t, 7, 0, Some("free"), "Home"),
        line("3", t - 100, 7, 1, None, "Home"),
        // No user, or no time: skipped.
        line("", t + 50, 9, 0, Some("paid"), "Home"),
    ];
    let mut body = lines.join("\n");
    body.push('\n');
    // An event without a ts.
    body.push_str(&line("4", 0, 3, 0, Some("paid"), "Home").replace("\"ts\":0", "\"ts\":null"));
    body.push('\n');
    std::fs::write(data.join("log_data/events.json"), body).unwrap();

    let events = events_of(&event_files(&data.join("log_data")));
    let want = periods(&events);
    let ms = |p: &Period| (p.user, p.level.clone(), p.from - t, p.to.map(|x| x - t));
    assert_eq!(
        want.iter().map(ms).collect::<Vec<_>>(),
        [
            (1, "free".into(), 0, Some(2000)),
            (1, "paid".into(), 2000, Some(3000)),
            (1, "free".into(), 3000, Some(4000)),
            (1, "paid".into(), 4000, None),
            (2, "free".into(), 0, Some(500)),
            (2, "paid".into(), 500, None),
            (3, "free".into(), 0, None),
        ]
    );

    let open_duck = |tmp: &tempfile::TempDir| -> Box<dyn Warehouse> {
        Box::new(DuckDb::open(&tmp.path().join("w.duckdb")).unwrap())
    };
    let tmp = tempfile::tempdir().unwrap();
    for mut wh in [open_duck(&tmp), Box::new(postgres()) as Box<dyn Warehouse>] {
        build(wh.as_mut(), data);
        assert_history(wh.as_mut(), &want, "the awkward cases");
        // users agrees with each current period (user 4 has no event with a time, so no
        // period: the rule leaves it out); the one play at user 2's split instant does not.
        let report = sparkify::checks::run(wh.as_mut()).unwrap();
        let failed: Vec<(String, String, i64)> = report
            .failed()
            .iter()
            .map(|r| (r.table.clone(), r.name.clone(), r.violations))
            .collect();
        assert_eq!(
            failed,
            [(
                "songplays".to_string(),
                "level agrees with users_history at start_time".to_string(),
                1
            )]
        );
        let sample = &report
            .failed()
            .first()
            .map(|r| r.samples.clone())
            .unwrap_or_default();
        assert!(
            sample.len() == 1 && sample[0].contains("level=free, history_level=paid"),
            "{sample:?}"
        );
    }
}
