//! create → stage → transform, as one warehouse transaction (see [`etl`]), so a run that is
//! interrupted, killed or fails leaves the warehouse as it was before it; `run` then checks.

mod backfill;
mod build;
pub mod copy_command;
pub mod history;
mod ledger;
mod retry;
mod stage;

use std::time::{Duration, Instant};

use crate::checks::{self, CheckOptions, CheckReport};
pub use crate::copy::FormatSpec;
use crate::copy::load::{FileReport, LoadOptions, LoadReport};
use crate::error::{Error, Result};
use crate::source::Source;
use crate::sql::{self, Dialect, Param};
use crate::warehouse::Warehouse;
pub use backfill::{BackfillReport, DateRange, backfill_with_reconnect, file_day};
pub use build::{Build, transform_hash};
pub use history::{RunMeta, RunRecord, RunStatus, Tally};
use ledger::keep_rejected;
pub use retry::{ETL_ATTEMPTS, etl_with_reconnect};
pub use stage::stage;
use stage::stage_in;
/// Receives progress of long steps; the command line draws bars, tests ignore it.
pub trait Progress {
    /// A load of `files` files totalling `bytes` bytes starts.
    fn load_started(&self, _table: &str, _files: u64, _bytes: u64) {}
    /// One file finished.
    fn file_loaded(&self, _file: &FileReport) {}
    /// The load ended (successfully or not).
    fn load_finished(&self) {}
    /// A message worth showing now (warnings, notes).
    fn note(&self, _message: &str) {}
}

/// Progress that shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// How a staging table is fed.
#[derive(Debug, Clone)]
pub struct StageRequest {
    pub table: String,
    pub source: Source,
    /// `'auto'`, `'auto ignorecase'` or a JSONPaths file.
    pub format: FormatSpec,
    pub repair_mojibake: bool,
    /// What to do with files loaded by an earlier run.
    pub refresh: Refresh,
}

/// What staging does with files an earlier run loaded, as the load ledger records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Refresh {
    /// Load only files the ledger does not hold and append their rows. A file whose size or
    /// version (ETag, modification time) changed since it was loaded is reported and left as
    /// loaded.
    #[default]
    Incremental,
    /// As `Incremental`, but when any file changed the table is reloaded whole, so the
    /// changed file's old rows are replaced, never duplicated.
    ReloadChanged,
    /// Empty the table and load everything the source lists.
    Full,
}

/// What staging one table did.
#[derive(Debug, Clone)]
pub struct StageReport {
    pub table: String,
    pub source: String,
    pub format: String,
    /// Files loaded by this run.
    pub files: usize,
    /// Files passed over: hidden ones, and optional manifest entries that do not exist.
    pub skipped: Vec<String>,
    /// Files an earlier run loaded, unchanged since: not read again.
    pub already_loaded: usize,
    /// Files changed since an earlier run loaded them.
    pub changed: Vec<String>,
    /// The table was emptied and loaded whole (`--full-refresh`, or a changed file with
    /// `--reload-changed`, or a warehouse that loads by itself).
    pub full_reload: bool,
    pub bytes: u64,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_rejected: u64,
    pub elapsed: Duration,
}

impl StageReport {
    fn new(
        table: String,
        request: &StageRequest,
        report: &LoadReport,
        skipped: Vec<String>,
        start: Instant,
    ) -> StageReport {
        StageReport {
            table,
            source: request.source.to_string(),
            format: request.format.to_string(),
            files: report.files.len(),
            skipped,
            already_loaded: 0,
            changed: Vec::new(),
            full_reload: true,
            bytes: report.bytes(),
            rows_read: report.rows_read(),
            rows_loaded: report.rows_loaded(),
            rows_rejected: report.rows_rejected(),
            elapsed: start.elapsed(),
        }
    }
}

/// Rows in each model after a transform.
#[derive(Debug, Clone)]
pub struct TransformReport {
    pub models: Vec<(String, i64)>,
    pub elapsed: Duration,
    /// Whether the star schema was updated from the run's new rows or rebuilt.
    pub build: Build,
}

/// The statements that create `sparkify`'s functions and tables in `dialect`; with `drop`,
/// dropping the tables first.
pub fn create_script(dialect: Dialect, drop: bool) -> Result<String> {
    let mut script = String::new();
    let tables = sql::all_tables()?;
    if drop {
        for t in tables.iter().rev() {
            // Names only: no parameters, so the text is the whole statement.
            script.push_str(
                &sql::statement("bookkeeping/drop_table.sql", &[("table", Param::Text(t))])?.text,
            );
            script.push_str(";\n");
        }
    }
    script.push_str(sql::functions(dialect)?);
    script.push('\n');
    for t in tables {
        script.push_str(&sql::schema(t, dialect)?);
        script.push('\n');
    }
    if let Some(indexes) = sql::indexes(dialect) {
        script.push_str(indexes);
        script.push('\n');
    }
    Ok(script)
}

/// The statements that rebuild the star schema from staging in `dialect`, in order.
pub fn transform_script(dialect: Dialect) -> Result<String> {
    let mut script = String::new();
    for model in sql::models()? {
        script.push_str(sql::transform(model, dialect)?);
        script.push('\n');
    }
    Ok(script)
}

/// The statements that update the star schema from the rows new in a run, in `dialect`, in
/// order (the rows have been moved from `staging_*_new` into staging before).
pub fn incremental_script(dialect: Dialect) -> Result<String> {
    let mut script = String::new();
    for model in sql::models()? {
        script.push_str(sql::incremental(model, dialect)?);
        script.push('\n');
    }
    Ok(script)
}

/// Creates every table that does not exist; with `drop`, drops `sparkify`'s tables first.
/// Tables an older sparkify created are brought to today's DDL first, saying so.
pub fn create_tables(
    wh: &mut dyn Warehouse,
    drop: bool,
    progress: &dyn Progress,
) -> Result<Duration> {
    in_transaction(wh, |wh| {
        let start = Instant::now();
        if !drop {
            upgrade_in(wh, progress)?;
        }
        create_in(wh, drop)?;
        Ok(start.elapsed())
    })
}

/// Brings tables an older sparkify created to today's DDL ([`Warehouse::upgrade_tables`]).
/// Done where a run creates its tables, not where a failed run's bookkeeping does: those
/// only need the tables to exist.
fn upgrade_in(wh: &mut dyn Warehouse, progress: &dyn Progress) -> Result<Duration> {
    let start = Instant::now();
    for note in wh.upgrade_tables(&sql::all_tables()?)? {
        progress.note(&note);
    }
    Ok(start.elapsed())
}

fn create_in(wh: &mut dyn Warehouse, drop: bool) -> Result<Duration> {
    let start = Instant::now();
    wh.execute(&create_script(wh.dialect(), drop)?)?;
    Ok(start.elapsed())
}

/// What one `etl` or `run` did.
#[derive(Debug, Clone)]
pub struct EtlReport {
    pub created: Duration,
    pub staged: Vec<StageReport>,
    pub transformed: TransformReport,
    /// The checks run before COMMIT, when the run was audited.
    pub checks: Option<CheckReport>,
    /// Its row in `runs`, written in its transaction.
    pub run: RunRecord,
}

/// A run that published: the warehouse (a new connection after a reconnect) and its report.
pub type Published = (Box<dyn Warehouse>, EtlReport);

/// How a recorded job ended (with the warehouse it ended on, when it published) and its record
/// in `runs`.
pub type Recorded<T> = (Result<(Box<dyn Warehouse>, T)>, RunRecord);

/// Whether a run checks its result before it commits (write-audit-publish).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audit {
    /// Commit without checking (`etl`; `check` runs the rules later).
    Off,
    /// Run every check inside the transaction; a failure rolls the whole run back, so
    /// analysts never see a build that failed its checks.
    PublishIfPassing,
    /// Check, record what failed, and commit anyway (`--publish-on-failure`).
    PublishAnyway,
}

/// How a run is audited and recorded.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub audit: Audit,
    /// The thresholds of the freshness and volume rules.
    pub checks: CheckOptions,
    pub meta: RunMeta,
}

impl RunPlan {
    /// A plan with the default check thresholds, named `run` when audited and `etl` when not.
    pub fn new(audit: Audit) -> RunPlan {
        let command = if audit == Audit::Off { "etl" } else { "run" };
        RunPlan {
            audit,
            checks: CheckOptions::default(),
            meta: RunMeta::start(command),
        }
    }
}

/// create → stage every request → transform, as **one** transaction: a run that fails, is
/// interrupted or is killed leaves the warehouse exactly as it was before it, never half
/// loaded. (Rejected rows of a load that fails on --max-errors are kept afterwards, and so is
/// the run's row in `runs`.)
pub fn etl(
    wh: &mut dyn Warehouse,
    requests: &[StageRequest],
    options: &LoadOptions,
    progress: &dyn Progress,
    audit: Audit,
) -> Result<EtlReport> {
    etl_recorded(wh, requests, options, progress, &RunPlan::new(audit)).0
}

/// [`etl`] by `plan`, with the run's record (also written to `runs`, whatever the outcome).
pub fn etl_recorded(
    wh: &mut dyn Warehouse,
    requests: &[StageRequest],
    options: &LoadOptions,
    progress: &dyn Progress,
    plan: &RunPlan,
) -> (Result<EtlReport>, RunRecord) {
    let mut tally = Tally::default();
    let outcome = etl_attempt(wh, requests, options, progress, plan, &mut tally);
    finish_run(
        Some(wh),
        plan,
        tally,
        outcome,
        progress,
        |report: &EtlReport| report.run.clone(),
    )
}

/// The record of a run that ended with `outcome`; one that did not publish is written to
/// `runs` now, in a transaction of its own (not over a connection that was lost).
pub(crate) fn finish_run<T>(
    wh: Option<&mut dyn Warehouse>,
    plan: &RunPlan,
    tally: Tally,
    outcome: Result<T>,
    progress: &dyn Progress,
    record_of: impl Fn(&T) -> RunRecord,
) -> (Result<T>, RunRecord) {
    let e = match outcome {
        Ok(report) => {
            let record = record_of(&report);
            return (Ok(report), record);
        }
        Err(e) => e,
    };
    let (engine, target) = wh
        .as_ref()
        .map_or(("", String::new()), |w| (w.dialect().name(), w.describe()));
    let mut record = RunRecord::new(&plan.meta, engine, target, tally, Err(&e));
    if let Some(wh) = wh
        && !matches!(e, Error::ConnectionLost(_))
        && let Err(why) = history::record_failed(wh, &mut record)
    {
        progress.note(&format!("this run could not be recorded in runs: {why}"));
    }
    (Err(e), record)
}

/// One attempt at a run: the transaction, with the run's row written before COMMIT when it
/// publishes; `tally` says what it did, also when it fails.
fn etl_attempt(
    wh: &mut dyn Warehouse,
    requests: &[StageRequest],
    options: &LoadOptions,
    progress: &dyn Progress,
    plan: &RunPlan,
    tally: &mut Tally,
) -> Result<EtlReport> {
    *tally = Tally::default();
    wait_for_lock(wh, progress)?;
    let mut rejected = Vec::new();
    let mut failed_audit = None;
    let outcome = in_transaction(wh, |wh| {
        // The step "create tables" includes bringing older tables up to date.
        let created = upgrade_in(wh, progress)? + create_in(wh, false)?;
        // Decided under the run's lock, so no other run changes the warehouse in between.
        wh.lock_in_transaction()?;
        let full = requests.iter().any(|r| r.refresh == Refresh::Full);
        let mut build = build::decide(wh, full, progress)?;
        tally.build = Some(build.clone());
        let into_new = build == Build::Incremental;
        // Read before the run changes anything: an incremental run on a warehouse that passed
        // every check checks only what it changed.
        let passed_before = into_new && plan.audit != Audit::Off && build::passed_checks(wh)?;
        for request in requests {
            let report = stage_in(wh, request, options, progress, &mut rejected, into_new)?;
            tally.staged.push(report);
        }
        if let Some(whole) = tally.staged.iter().find(|s| s.full_reload && into_new) {
            let reason = format!(
                "{} was reloaded whole: rebuilding the star schema from all staged rows",
                whole.table
            );
            progress.note(&reason);
            build = Build::Rebuild(Some(reason));
        }
        tally.rebuild_reason = match &build {
            Build::Incremental => None,
            Build::Rebuild(Some(reason)) => Some(reason.clone()),
            Build::Rebuild(None) if full => {
                Some("--full-refresh: staging was emptied and every file loaded again".to_string())
            }
            Build::Rebuild(None) => Some("the first build of the star schema".to_string()),
        };
        tally.build = Some(build.clone());
        if into_new {
            build::move_new_rows(wh)?;
        }
        wh.after_append()?;
        // Before the scratch tables are emptied, the checks read what changed there.
        let scope = if passed_before && build == Build::Incremental {
            checks::Scope::Changed
        } else {
            checks::Scope::All
        };
        let transformed = match build {
            Build::Incremental => {
                let new_rows = tally
                    .staged
                    .iter()
                    .any(|s| s.rows_loaded > 0 || s.files > 0);
                update_in(wh, new_rows)?
            }
            Build::Rebuild(_) => transform_in(wh, build)?,
        };
        wh.after_append()?;
        build::record_state(wh)?;
        let checks = audit_in(wh, plan.audit, &plan.checks, scope, &mut failed_audit)?;
        if into_new {
            build::clear_increment(wh)?;
        }
        tally.checks = checks.clone();
        let run = insert_run_row(wh, plan, tally)?;
        Ok(EtlReport {
            created,
            staged: tally.staged.clone(),
            transformed,
            checks,
            run,
        })
    });
    after_attempt(wh, outcome, tally, failed_audit, &rejected)
}

/// The run's row in `runs`, inserted before COMMIT, so it exists exactly when the run (or
/// backfill) was published.
fn insert_run_row(wh: &mut dyn Warehouse, plan: &RunPlan, tally: &Tally) -> Result<RunRecord> {
    let mut run = RunRecord::new(
        &plan.meta,
        wh.dialect().name(),
        wh.describe(),
        tally.clone(),
        Ok(()),
    );
    run.insert(wh)?;
    Ok(run)
}

/// After a run's (or backfill's) transaction: `tally` learns what failed, and the failed
/// checks' samples and a rejected load's rows are kept, each in a transaction of its own.
fn after_attempt<T>(
    wh: &mut dyn Warehouse,
    outcome: Result<T>,
    tally: &mut Tally,
    failed_audit: Option<CheckReport>,
    rejected: &[(String, Vec<crate::copy::load::LoadError>)],
) -> Result<T> {
    if let Some(report) = &failed_audit {
        tally.checks = Some(report.clone());
    }
    if let Err(Error::TooManyLoadErrors { rejected, .. }) = &outcome {
        tally.rejected_by_failed_load = *rejected;
    }
    let outcome = keep_audit_failures(wh, outcome, failed_audit)?;
    keep_rejected(wh, outcome, rejected)
}

/// The checks, inside the run's transaction. Passing clears the failures an earlier run left;
/// failing either records them and lets the run commit (`PublishAnyway`) or hands them to
/// `failed` and fails the transaction, which rolls the run back.
fn audit_in(
    wh: &mut dyn Warehouse,
    audit: Audit,
    options: &CheckOptions,
    scope: checks::Scope,
    failed: &mut Option<CheckReport>,
) -> Result<Option<CheckReport>> {
    if audit == Audit::Off {
        return Ok(None);
    }
    let report = checks::run_in(wh, options, scope)?;
    if report.failed().is_empty() {
        wh.run(&sql::statement(
            "bookkeeping/clear_audit_failures.sql",
            &[],
        )?)?;
        // Warnings too: a rule that warns about old rows keeps being checked whole, so it keeps
        // being reported.
        if report.warned().is_empty() {
            build::record_checks_passed(wh)?;
        }
    } else if audit == Audit::PublishAnyway {
        ledger::record_audit_failures(wh, &report)?;
    } else {
        let rules = not_published(&report);
        *failed = Some(report);
        return Err(rules);
    }
    Ok(Some(report))
}

fn not_published(report: &CheckReport) -> Error {
    Error::NotPublished {
        rules: report
            .failed()
            .iter()
            .map(|r| match &r.detail {
                Some(detail) => format!("{} {} ({detail})", r.table, r.name),
                None => format!("{} {} ({} violating)", r.table, r.name, r.violations),
            })
            .collect(),
    }
}

/// After a run rolled back for failed checks, records what failed, committed on its own (as
/// rejected rows are), so it can be looked at.
fn keep_audit_failures<T>(
    wh: &mut dyn Warehouse,
    outcome: Result<T>,
    failed: Option<CheckReport>,
) -> Result<Result<T>> {
    if let (Err(Error::NotPublished { .. }), Some(report)) = (&outcome, &failed) {
        in_transaction(wh, |wh| {
            create_in(wh, false)?;
            ledger::record_audit_failures(wh, report)
        })?;
    }
    Ok(outcome)
}

/// How long a run waits for another run on the same warehouse to finish.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Waits (up to [`LOCK_WAIT`]) while another `sparkify` run loads the same warehouse.
fn wait_for_lock(wh: &mut dyn Warehouse, progress: &dyn Progress) -> Result<()> {
    if wh.try_lock_for_load()? {
        return Ok(());
    }
    progress.note(&format!(
        "another sparkify run is loading {}; waiting for it to finish (up to {} s)",
        wh.describe(),
        LOCK_WAIT.as_secs()
    ));
    let start = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        if wh.try_lock_for_load()? {
            return Ok(());
        }
        if start.elapsed() >= LOCK_WAIT {
            return Err(Error::warehouse(format!(
                "{}: another sparkify run has been loading it for over {} s; try again when it \
                 has finished",
                wh.describe(),
                LOCK_WAIT.as_secs()
            )));
        }
    }
}

/// Runs `f` in a transaction, rolling back when it fails.
pub fn in_transaction<T>(
    wh: &mut dyn Warehouse,
    f: impl FnOnce(&mut dyn Warehouse) -> Result<T>,
) -> Result<T> {
    wh.begin()?;
    match f(wh) {
        Ok(v) => {
            wh.commit()?;
            Ok(v)
        }
        Err(e) => {
            // The original error matters; a failed rollback (e.g. a dropped connection) is
            // implied by it.
            let _ = wh.rollback();
            Err(e)
        }
    }
}

/// Rebuilds the star schema from staging in one transaction, and counts each model.
pub fn transform(wh: &mut dyn Warehouse) -> Result<TransformReport> {
    in_transaction(wh, |wh| {
        let report = transform_in(wh, Build::Rebuild(None))?;
        wh.after_append()?;
        build::record_state(wh)?;
        Ok(report)
    })
}

fn transform_in(wh: &mut dyn Warehouse, build: Build) -> Result<TransformReport> {
    let dialect = wh.dialect();
    run_models(wh, build, |model| sql::transform(model, dialect))
}

/// Updates the star schema from the rows new in this run; with none, there is nothing to do.
fn update_in(wh: &mut dyn Warehouse, new_rows: bool) -> Result<TransformReport> {
    let dialect = wh.dialect();
    run_models(wh, Build::Incremental, |model| {
        if new_rows {
            sql::incremental(model, dialect)
        } else {
            Ok("")
        }
    })
}

/// Runs each model's statements in transform order, and counts each model.
fn run_models(
    wh: &mut dyn Warehouse,
    build: Build,
    statements: impl Fn(&str) -> Result<&'static str>,
) -> Result<TransformReport> {
    let start = Instant::now();
    let mut models = Vec::new();
    for model in sql::models()? {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        let script = statements(model)?;
        if build == Build::Incremental {
            // The scratch tables an incremental update fills are read by its next statements:
            // an engine that plans from statistics (PostgreSQL) gets fresh ones first, or it
            // takes a few thousand changed plays for one row and rescans the catalogue for
            // each (minutes instead of a second, measured).
            let mut batch = String::new();
            for statement in sql::split_script(script) {
                batch.push_str(statement);
                batch.push_str(";\n");
                if let Some(table) = sql::fills_increment_table(statement) {
                    wh.execute(&batch)?;
                    batch.clear();
                    wh.after_load(table)?;
                }
            }
            if !batch.is_empty() {
                wh.execute(&batch)?;
            }
        } else if !script.is_empty() {
            let build_again = wh.defer_indexes(model)?;
            wh.execute(script)?;
            for statement in &build_again {
                wh.execute(statement)?;
            }
        }
        let count = sql::statement(
            "bookkeeping/row_count.sql",
            &[("table", Param::Text(model))],
        )?;
        models.push((model.to_string(), wh.fetch(&count)?.scalar_i64()?));
    }
    Ok(TransformReport {
        models,
        elapsed: start.elapsed(),
        build,
    })
}
