//! Backfill by date (`etl`/`run` `--from DATE --to DATE`): whatever the warehouse holds for a
//! range of days is replaced by what the event source holds for them now, in one transaction,
//! leaving other days as they are.
//!
//! **What "for those dates" means.** The unit a source is reprocessed by is the *file*: an
//! event file belongs to the day its name carries (the first `YYYY-MM-DD` in its base name, as
//! in `log_data/2018/11/2018-11-05-events.json`); a file whose name carries no date belongs to
//! no range and is never touched by a backfill (it is counted and said). Song files have no
//! date: a backfill does not list or touch them, nor `songs` and `artists`.
//!
//! Staging rows do not record the file they came from (the table's columns are the JSONPaths
//! file's, position by position, and Redshift's COPY can add none), so in the warehouse the
//! range's rows are found by their event time: `staging_events.ts` in the range, UTC. The two
//! agree when a day's file holds that day's events, as the logs are written (the sample's 30
//! files all do), and the backfill makes sure of it rather than assuming it: before, the rows
//! dated in the range must be exactly as many as the ledger says the range's files loaded;
//! after, every row the range's files hold now must be dated in the range. Otherwise it
//! refuses (exit 2), changing nothing, and says why; `--full-refresh` is then the way.
//!
//! **What is replaced.** Every file of the range the ledger holds is forgotten (its rows, its
//! ledger entry, its rejected rows in `load_errors`), and every file of the range the source
//! lists now is loaded again (unchanged, changed or new alike): a file of the range that
//! disappeared from the source loses its rows, as a clean load of the source now would not
//! have them. New files outside the range are not loaded (the next plain run does that).
//! Then the star schema follows: the plays of every (time, user) pair of the removed or loaded
//! rows are computed again from staging (keeping their `songplay_id`; a pair with no event left
//! loses its play), `time` gains and loses their start times, and every user the removed or
//! loaded rows name is derived again from all their staged events, so `users` and
//! `user_latest` are what a clean load gives. Rows of other dates keep their values and ids.

use std::collections::{HashMap, HashSet};

use super::ledger::KeyCache;
use super::stage::{list_source, stage_listed};
use super::{
    Build, Progress, Recorded, RunPlan, RunRecord, StageReport, StageRequest, Tally,
    TransformReport, after_attempt, audit_in, build, create_in, in_transaction, insert_run_row,
    run_models, transform_in, upgrade_in, wait_for_lock,
};
use crate::checks::CheckReport;
use crate::copy::load::LoadOptions;
use crate::error::{Error, Result};
use crate::sql::{self, Param};
use crate::value::Value;
use crate::warehouse::{Staging, Warehouse};

const MS_PER_DAY: i64 = 86_400_000;

/// Days `from` to `to`, both included, UTC, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    from: i64,
    to: i64,
}

impl DateRange {
    /// `--from` and `--to`, each `YYYY-MM-DD`; a day that does not exist, another shape or a
    /// range that ends before it starts is bad usage.
    pub fn parse(from: &str, to: &str) -> Result<DateRange> {
        let day = |flag: &str, text: &str| {
            crate::time::parse_date(text).ok_or_else(|| {
                Error::usage(format!(
                    "{flag} {text:?} is not a date: write it YYYY-MM-DD, a day of the calendar \
                     (UTC)"
                ))
            })
        };
        let range = DateRange {
            from: day("--from", from)?,
            to: day("--to", to)?,
        };
        if range.to < range.from {
            return Err(Error::usage(format!(
                "--from {from} is after --to {to}: the range runs from --from to --to, both \
                 days included"
            )));
        }
        // Keeps the range's epoch milliseconds within i64 and within the years 1 to 9999 the
        // loader accepts.
        let (low, high) = (
            crate::time::days_from_civil(1, 1, 1),
            crate::time::days_from_civil(9999, 12, 31),
        );
        if range.from < low || range.to > high {
            return Err(Error::usage(
                "--from and --to must lie within the years 0001 to 9999",
            ));
        }
        Ok(range)
    }

    /// The first millisecond of the range, in the logs' epoch milliseconds.
    pub fn start_ms(&self) -> i64 {
        self.from * MS_PER_DAY
    }

    /// The first millisecond after the range.
    pub fn end_ms(&self) -> i64 {
        (self.to + 1) * MS_PER_DAY
    }

    fn holds(&self, day: i64) -> bool {
        (self.from..=self.to).contains(&day)
    }

    fn params(&self) -> (String, String) {
        (self.start_ms().to_string(), self.end_ms().to_string())
    }
}

impl std::fmt::Display for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (from, to) = (
            crate::time::format_date(self.from),
            crate::time::format_date(self.to),
        );
        if self.from == self.to {
            write!(f, "{from}")
        } else {
            write!(f, "{from} to {to}")
        }
    }
}

/// The day a source file belongs to: the first `YYYY-MM-DD` that is a real date in its base
/// name (`2018-11-05-events.json`), or `None`.
pub fn file_day(location: &str) -> Option<i64> {
    let name = location.rsplit(['/', '\\']).next().unwrap_or(location);
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        // A date inside a longer run of digits (`12018-11-05`) is not one.
        let before = i.checked_sub(1).map(|j| bytes[j].is_ascii_digit());
        let after = bytes.get(i + 10).map(u8::is_ascii_digit);
        if before == Some(true) || after == Some(true) {
            return None;
        }
        name.get(i..i + 10).and_then(crate::time::parse_date)
    })
}

/// What a backfill did.
#[derive(Debug, Clone)]
pub struct BackfillReport {
    pub range: DateRange,
    /// Creating the tables that did not exist.
    pub created: std::time::Duration,
    /// Files of the range loaded before and loaded again now (ledger keys).
    pub replaced: Vec<String>,
    /// Files of the range the ledger did not hold, loaded now.
    pub added: Vec<String>,
    /// Files of the range loaded before that the source no longer lists: their rows are gone.
    pub removed: Vec<String>,
    /// `staging_events` rows taken out (those dated in the range).
    pub rows_removed: i64,
    /// The load of the range's files (rows read, loaded and rejected).
    pub staged: StageReport,
    /// `songplays` rows of the range before and after.
    pub plays_before: i64,
    pub plays_after: i64,
    /// Listed files whose name carries no date, left as they are.
    pub undated: usize,
    /// Listed files dated outside the range that the ledger does not hold: left for a run.
    pub new_outside: usize,
    pub transformed: TransformReport,
    /// How the star schema was updated: the range's rows, or rebuilt whole (and why).
    pub build: Build,
    pub checks: Option<CheckReport>,
    /// Its row in `runs`, written in its transaction.
    pub run: RunRecord,
}

/// One attempt at reprocessing the days of `range` from `request`'s source (the event logs), as
/// one transaction, audited by `plan` before it commits, like a run; `tally` says what it did,
/// also when it fails. See the module's documentation for what is replaced.
fn backfill_attempt(
    wh: &mut dyn Warehouse,
    request: &StageRequest,
    range: DateRange,
    options: &LoadOptions,
    progress: &dyn Progress,
    plan: &RunPlan,
    tally: &mut Tally,
) -> Result<BackfillReport> {
    if request.table != "staging_events" {
        return Err(Error::usage(format!(
            "a date backfill reprocesses event files; {} has no dates",
            request.table
        )));
    }
    *tally = Tally::default();
    wait_for_lock(wh, progress)?;
    let mut rejected = Vec::new();
    let mut failed_audit = None;
    let outcome = in_transaction(wh, |wh| {
        let created = upgrade_in(wh, progress)? + create_in(wh, false)?;
        wh.lock_in_transaction()?;
        let mut report = backfill_in(wh, request, range, options, progress, plan, &mut rejected)?;
        report.created = created;
        tally.staged = vec![report.staged.clone()];
        tally.rebuild_reason = match &report.build {
            Build::Rebuild(Some(reason)) => Some(reason.clone()),
            _ => None,
        };
        tally.build = Some(report.build.clone());
        // A backfill changes rows anywhere in its days: every rule checks every row.
        report.checks = audit_in(
            wh,
            plan.audit,
            &plan.checks,
            crate::checks::Scope::All,
            &mut failed_audit,
        )?;
        tally.checks = report.checks.clone();
        report.run = insert_run_row(wh, plan, tally)?;
        Ok(report)
    });
    after_attempt(wh, outcome, tally, failed_audit, &rejected)
}

fn backfill_in(
    wh: &mut dyn Warehouse,
    request: &StageRequest,
    range: DateRange,
    options: &LoadOptions,
    progress: &dyn Progress,
    plan: &RunPlan,
    rejected: &mut Vec<(String, Vec<crate::copy::load::LoadError>)>,
) -> Result<BackfillReport> {
    if wh.staging() == Staging::ServerCopy {
        return Err(Error::usage(format!(
            "{}: a date backfill loads only the files of its range, but Redshift's COPY of the \
             events prefix reads every file under it, so the range's rows could not be told \
             from the others. Set [S3] MANIFEST_PREFIX (or SPARKIFY_MANIFEST_PREFIX) to a \
             writable s3:// prefix: sparkify then lists the source itself and COPYs a manifest \
             of exactly the range's files",
            wh.describe()
        )));
    }
    let table = request.table.as_str();
    let build = build::decide(wh, false, progress)?;
    let (from_ms, to_ms) = range.params();
    let bounds = [
        ("from_ms", Param::Text(&from_ms)),
        ("to_ms", Param::Text(&to_ms)),
    ];

    // What the source lists now, by day.
    let listing = list_source(request, progress)?;
    let mut keys = KeyCache::default();
    let held = ledger_rows(wh, table, &mut keys)?;
    let mut in_range = Vec::new();
    let mut listed_keys = HashSet::new();
    let (mut undated, mut new_outside) = (0, 0);
    for file in listing.files {
        let key = keys.key(&file.location).to_string();
        match file_day(&file.location) {
            Some(day) if range.holds(day) => {
                listed_keys.insert(key);
                in_range.push(file);
            }
            Some(_) if !held.contains_key(&key) => new_outside += 1,
            Some(_) => {}
            None => undated += 1,
        }
    }
    // What the warehouse holds for the range.
    let mut held_in_range: Vec<(&String, i64)> = held
        .iter()
        .filter(|(key, _)| file_day(key).is_some_and(|d| range.holds(d)))
        .map(|(key, loaded)| (key, *loaded))
        .collect();
    held_in_range.sort();
    let expected: i64 = held_in_range.iter().map(|(_, loaded)| loaded).sum();
    let mut replaced = Vec::new();
    let mut removed = Vec::new();
    for (key, _) in &held_in_range {
        if listed_keys.contains(*key) {
            replaced.push((*key).clone());
        } else {
            removed.push((*key).clone());
        }
    }
    let held_keys: HashSet<&String> = held_in_range.iter().map(|(k, _)| *k).collect();
    let mut added: Vec<String> = listed_keys
        .iter()
        .filter(|k| !held_keys.contains(k))
        .cloned()
        .collect();
    added.sort();
    say_plan(progress, range, undated, new_outside, &removed);
    let dated = wh
        .fetch(&sql::statement("backfill/events_in_range.sql", &bounds)?)?
        .scalar_i64()?;
    if dated != expected {
        return Err(Error::usage(format!(
            "cannot backfill {range}: staging_events holds {dated} event(s) dated in it, but the \
             load ledger says its {} file(s) (by the date in their names) loaded {expected}, so \
             some file holds events of other days, or a file without a date in its name holds \
             events of these. A date backfill finds a file's rows by their dates and would \
             replace the wrong ones; nothing was changed. Reload everything with --full-refresh",
            held_in_range.len()
        )));
    }

    let plays_in_range = sql::statement("backfill/plays_in_range.sql", &bounds)?;
    let plays_before = wh.fetch(&plays_in_range)?.scalar_i64()?;
    // Out with the range's rows and their bookkeeping (of every file of the range, held or
    // listed: rejected rows of a failed load of one go too).
    for statement in sql::statements("backfill/remove.sql", &bounds)? {
        wh.run(&statement)?;
    }
    let forget: Vec<&str> = held_keys
        .iter()
        .map(|k| k.as_str())
        .chain(listed_keys.iter().map(String::as_str))
        .collect::<HashSet<&str>>()
        .into_iter()
        .collect();
    // One statement per slice keeps the number of bind parameters small on every engine.
    for chunk in forget.chunks(500) {
        for statement in sql::statements(
            "backfill/forget_files.sql",
            &[
                ("table", Param::Text(table)),
                ("files", Param::TextList(chunk)),
            ],
        )? {
            wh.run(&statement)?;
        }
    }
    // In with what the source holds for the range now, into staging_events_new first.
    in_range.sort_by(|a, b| a.location.cmp(&b.location));
    let staged = stage_listed(wh, request, in_range, options, progress, rejected)?;
    let undated_rows = wh
        .fetch(&sql::statement("backfill/outside_range.sql", &bounds)?)?
        .scalar_i64()?;
    if undated_rows > 0 {
        return Err(Error::usage(format!(
            "cannot backfill {range}: its files hold {undated_rows} event(s) dated outside it \
             (or without a ts). A date backfill finds a file's rows by their dates, so a later \
             backfill could not find these; nothing was changed. Widen the range to their days, \
             or reload everything with --full-refresh"
        )));
    }
    for statement in sql::statements("backfill/arrived.sql", &[])? {
        wh.run(&statement)?;
    }
    build::move_new_rows(wh)?;
    let transformed = match &build {
        Build::Incremental => {
            run_models(wh, Build::Incremental, |model| match model {
                "songplays" => replace_plays(),
                "time" | "users" | "users_history" => sql::file(&format!("backfill/{model}.sql")),
                // Song files have no date: songs and artists stay as they are.
                _ => Ok(""),
            })?
        }
        Build::Rebuild(_) => transform_in(wh, build.clone())?,
    };
    build::clear_increment(wh)?;
    build::record_state(wh)?;
    let plays_after = wh.fetch(&plays_in_range)?.scalar_i64()?;
    Ok(BackfillReport {
        range,
        created: std::time::Duration::ZERO,
        replaced,
        added,
        removed,
        rows_removed: dated,
        staged,
        plays_before,
        plays_after,
        undated,
        new_outside,
        transformed,
        build,
        checks: None,
        // Replaced by the row written before COMMIT, once the checks have run.
        run: RunRecord::new(
            &plan.meta,
            wh.dialect().name(),
            wh.describe(),
            Tally::default(),
            Ok(()),
        ),
    })
}

/// Where sql/incremental/songplays.sql, having chosen its (time, user) pairs, replaces their
/// plays.
const REPLACE_STEP: &str = "-- The rows being replaced";

/// The plays of changed_plays' pairs (of the removed rows and of the loaded ones), computed
/// again from all staged events, replacing the pairs' rows and keeping their songplay_id
/// values; a pair with no event left loses its play. This is the incremental update's own
/// replacement step (the backfill chose the pairs itself, in remove.sql and arrived.sql), so a
/// play computed again is the same play either way.
fn replace_plays() -> Result<&'static str> {
    let text = sql::file("incremental/songplays.sql")?;
    text.find(REPLACE_STEP)
        .map(|at| &text[at..])
        .ok_or_else(|| {
            Error::usage(format!(
                "sql/incremental/songplays.sql: no `{REPLACE_STEP}` step for a backfill to run"
            ))
        })
}

/// Says what the backfill leaves alone and what it drops, before it starts.
fn say_plan(
    progress: &dyn Progress,
    range: DateRange,
    undated: usize,
    new_outside: usize,
    removed: &[String],
) {
    if undated > 0 {
        progress.note(&format!(
            "{undated} event file(s) have no date in their name: a backfill by date leaves them \
             as loaded"
        ));
    }
    if new_outside > 0 {
        progress.note(&format!(
            "{new_outside} new event file(s) are dated outside {range}: not loaded by this \
             backfill (a run without --from/--to loads them)"
        ));
    }
    if let Some(first) = removed.first() {
        progress.note(&format!(
            "{} event file(s) of {range} are no longer in the source (first: {first}): their \
             rows, ledger entries and rejected rows are removed",
            removed.len()
        ));
    }
}

/// The files the ledger holds for `table` (ledger keys), with the rows each loaded.
fn ledger_rows(
    wh: &mut dyn Warehouse,
    table: &str,
    keys: &mut KeyCache,
) -> Result<HashMap<String, i64>> {
    let rows = wh.fetch(&sql::statement(
        "backfill/ledger_rows.sql",
        &[("table", Param::Text(table))],
    )?)?;
    let mut held = HashMap::new();
    for row in rows.rows {
        if let [Value::Text(file), loaded] = row.as_slice() {
            let loaded = match loaded {
                Value::Int(n) => *n,
                _ => 0,
            };
            held.insert(keys.key(file).to_string(), loaded);
        }
    }
    Ok(held)
}

/// Runs a backfill ([`backfill_attempt`]) once per attempt, starting over on a new connection when it is lost, as
/// `run` and `etl` do; recorded in `runs` once, whatever the outcome.
#[allow(clippy::too_many_arguments)] // backfill's arguments, plus how to reconnect and say so
pub fn backfill_with_reconnect(
    wh: Box<dyn Warehouse>,
    open: &dyn Fn() -> Result<Box<dyn Warehouse>>,
    request: &StageRequest,
    range: DateRange,
    options: &LoadOptions,
    progress: &dyn Progress,
    plan: &RunPlan,
    say: &dyn Fn(&str),
) -> Recorded<BackfillReport> {
    super::retry::recorded_with_reconnect(
        wh,
        open,
        progress,
        plan,
        say,
        &mut |wh, tally| backfill_attempt(wh, request, range, options, progress, plan, tally),
        |r: &BackfillReport| r.run.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_belongs_to_the_date_in_its_name() {
        let day = |s| crate::time::parse_date(s).unwrap();
        assert_eq!(
            file_day("/data/log_data/2018/11/2018-11-05-events.json"),
            Some(day("2018-11-05"))
        );
        assert_eq!(
            file_day("s3://b/log_data/2018/11/2018-11-30-events.json"),
            Some(day("2018-11-30"))
        );
        assert_eq!(file_day("events-2018-11-05.json"), Some(day("2018-11-05")));
        // The folders' names do not count, only the file's.
        assert_eq!(file_day("/data/2018-11-05/events.json"), None);
        assert_eq!(file_day("events.json"), None);
        assert_eq!(file_day("2018-11-31-events.json"), None);
        assert_eq!(file_day("12018-11-05-events.json"), None);
        assert_eq!(file_day("2018-11-051.json"), None);
    }

    #[test]
    fn a_range_is_two_real_days_in_order() {
        let r = DateRange::parse("2018-11-05", "2018-11-05").unwrap();
        assert_eq!(
            (r.start_ms(), r.end_ms()),
            (1_541_376_000_000, 1_541_462_400_000)
        );
        assert_eq!(r.to_string(), "2018-11-05");
        let r = DateRange::parse("2018-11-01", "2018-11-30").unwrap();
        assert_eq!(r.to_string(), "2018-11-01 to 2018-11-30");
        for (from, to, said) in [
            ("2018-11-06", "2018-11-05", "is after --to"),
            (
                "2018-11-31",
                "2018-12-01",
                "--from \"2018-11-31\" is not a date",
            ),
            (
                "2018-11-01",
                "2018-11-5",
                "--to \"2018-11-5\" is not a date",
            ),
            ("0000-12-31", "2018-11-05", "years 0001 to 9999"),
        ] {
            let e = DateRange::parse(from, to).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{e}");
            assert!(e.to_string().contains(said), "{e}");
        }
    }

    #[test]
    fn the_backfill_replaces_plays_with_the_incremental_update_s_step() {
        // The incremental update's pairs are chosen before the step, from this run's rows; a
        // backfill chooses its own, so the step must not (re)fill changed_plays.
        let step = replace_plays().unwrap();
        assert!(step.starts_with(REPLACE_STEP), "{step}");
        assert!(!step.contains("INSERT INTO changed_plays"), "{step}");
        assert!(step.contains("INSERT INTO songplays"), "{step}");
    }
}
