//! create → stage → transform, as one warehouse transaction (see [`etl`]), so a run that is
//! interrupted, killed or fails leaves the warehouse as it was before it; `run` then checks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::copy::Cell;
pub use crate::copy::FormatSpec;
use crate::copy::load::{self, FileReport, LoadOptions, LoadReport};
use crate::error::{Error, Result};
use crate::source::{Listing, Source, SourceFile};
use crate::sql::{self, Dialect, Param};
use crate::warehouse::{Literal, StageJob, Staging, Warehouse};

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
}

/// The statements that create `sparkify`'s functions and tables in `dialect`; with `drop`,
/// dropping the tables first.
pub fn create_script(dialect: Dialect, drop: bool) -> Result<String> {
    let mut script = String::new();
    let tables = sql::all_tables()?;
    if drop {
        for t in tables.iter().rev() {
            script.push_str(&sql::statement(
                "bookkeeping/drop_table.sql",
                &[("table", Param::Text(t))],
            )?);
            script.push_str(";\n");
        }
    }
    script.push_str(sql::functions(dialect)?);
    script.push('\n');
    for t in tables {
        script.push_str(&sql::schema(t, dialect)?);
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

/// Creates every table that does not exist; with `drop`, drops `sparkify`'s tables first.
pub fn create_tables(wh: &mut dyn Warehouse, drop: bool) -> Result<Duration> {
    in_transaction(wh, |wh| create_in(wh, drop))
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
}

/// create → stage every request → transform, as **one** transaction: a run that fails, is
/// interrupted or is killed leaves the warehouse exactly as it was before it, never half
/// loaded. (Rejected rows of a load that fails on --max-errors are kept afterwards.)
pub fn etl(
    wh: &mut dyn Warehouse,
    requests: &[StageRequest],
    options: &LoadOptions,
    progress: &dyn Progress,
) -> Result<EtlReport> {
    wait_for_lock(wh, progress)?;
    let mut rejected = Vec::new();
    let outcome = in_transaction(wh, |wh| {
        let created = create_in(wh, false)?;
        let mut staged = Vec::with_capacity(requests.len());
        for request in requests {
            staged.push(stage_in(wh, request, options, progress, &mut rejected)?);
        }
        let transformed = transform_in(wh)?;
        Ok(EtlReport {
            created,
            staged,
            transformed,
        })
    });
    keep_rejected(wh, outcome, &rejected)
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

/// After a load failed on --max-errors and was rolled back, records its rejected rows, as
/// STL_LOAD_ERRORS keeps them for a failed COPY.
fn keep_rejected<T>(
    wh: &mut dyn Warehouse,
    outcome: Result<T>,
    rejected: &[(String, Vec<load::LoadError>)],
) -> Result<T> {
    if matches!(outcome, Err(Error::TooManyLoadErrors { .. })) {
        in_transaction(wh, |wh| {
            // The rolled-back run may have been the one creating the tables.
            create_in(wh, false)?;
            for (table, errors) in rejected {
                // Errors of earlier, committed loads of other files stay; those of earlier
                // failed loads, and of the files this load tried, are replaced.
                let mut files: Vec<&str> = errors.iter().map(|e| e.file.as_str()).collect();
                files.sort_unstable();
                files.dedup();
                wh.execute(&sql::statement(
                    "bookkeeping/forget_errors.sql",
                    &[
                        ("table", Param::Text(table)),
                        ("files", Param::TextList(&files)),
                    ],
                )?)?;
                insert_errors(wh, table, errors)?;
            }
            Ok(())
        })?;
    }
    outcome
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

/// Stages one table from its source with COPY semantics: the files the ledger does not hold
/// yet, or everything (see [`Refresh`]). The rows, their ledger entries and their load errors
/// commit together.
pub fn stage(
    wh: &mut dyn Warehouse,
    request: &StageRequest,
    options: &LoadOptions,
    progress: &dyn Progress,
) -> Result<StageReport> {
    let mut rejected = Vec::new();
    let outcome = in_transaction(wh, |wh| {
        stage_in(wh, request, options, progress, &mut rejected)
    });
    keep_rejected(wh, outcome, &rejected)
}

/// [`stage`] inside the caller's transaction. A load that exceeds --max-errors returns
/// `TooManyLoadErrors` and leaves its rejected rows in `rejected` for [`keep_rejected`].
fn stage_in(
    wh: &mut dyn Warehouse,
    request: &StageRequest,
    options: &LoadOptions,
    progress: &dyn Progress,
    rejected: &mut Vec<(String, Vec<load::LoadError>)>,
) -> Result<StageReport> {
    if crate::interrupt::requested() {
        return Err(Error::Interrupted);
    }
    let start = Instant::now();
    let spec = sql::table_spec(&request.table)?;
    let table = spec.name.clone();
    // The one thing that differs between engines: whether sparkify reads the files (and so
    // can skip those the ledger holds) or the engine reads the whole source itself.
    let (plan, skipped, json) = match wh.staging() {
        Staging::ClientLoader => {
            let json = request.format.resolve()?;
            let listing = list_source(request, progress)?;
            let plan = plan_files(wh, &table, request.refresh, listing.files)?;
            (
                plan,
                [listing.skipped, listing.missing].concat(),
                Some(json),
            )
        }
        Staging::ServerCopy => {
            if request.refresh != Refresh::Full {
                // COPY reads every object the prefix names; the server keeps no ledger to
                // skip by.
                progress.note(&format!(
                    "{}: Redshift reloads {table} whole from the source on every run",
                    wh.describe()
                ));
            }
            (FilePlan::whole_source(), Vec::new(), None)
        }
    };
    note_plan(&plan, &table, &request.source, progress);
    let options = LoadOptions {
        repair_mojibake: request.repair_mojibake,
        threads: match options.threads {
            // Reading S3 waits on the network, not the CPU: keep many requests in flight.
            0 if request.source.is_remote() => options.remote_concurrency,
            n => n,
        },
        ..options.clone()
    };
    let mut report = LoadReport::default();
    if plan.full_reload {
        wh.execute(&clear_statements(&table)?)?;
    }
    if plan.whole_source || !plan.files.is_empty() {
        report = load_files(
            wh,
            &spec,
            json.as_ref(),
            request,
            &plan.files,
            &options,
            progress,
        )
        .map_err(|failed| match failed {
            LoadFailure::Rejected(errors, error) => {
                rejected.push((table.clone(), errors));
                error
            }
            LoadFailure::Other(error) => error,
        })?;
        record_load(wh, &table, &report)?;
        wh.after_load(&table)?;
    }
    let mut staged = StageReport::new(table, request, &report, skipped, start);
    staged.already_loaded = plan.already_loaded;
    staged.changed = plan.changed;
    staged.full_reload = plan.full_reload;
    Ok(staged)
}

/// Which listed files to load, given what the load ledger says was loaded before.
struct FilePlan {
    files: Vec<SourceFile>,
    already_loaded: usize,
    changed: Vec<String>,
    /// Ledger entries the source no longer lists.
    gone: usize,
    full_reload: bool,
    /// The engine reads the whole source itself; `files` is empty.
    whole_source: bool,
}

impl FilePlan {
    /// The plan of an engine that reads the whole source itself: reload the table whole.
    fn whole_source() -> FilePlan {
        FilePlan {
            files: Vec::new(),
            already_loaded: 0,
            changed: Vec::new(),
            gone: 0,
            full_reload: true,
            whole_source: true,
        }
    }
}

/// Lists the source, says what is passed over, and fails as COPY does when nothing matches.
fn list_source(request: &StageRequest, progress: &dyn Progress) -> Result<Listing> {
    let listing = request.source.list()?;
    if let Some(note) = crate::source::s3::note() {
        progress.note(note);
    }
    if listing.files.is_empty() {
        return Err(Error::Source {
            path: request.source.to_string(),
            message: "no files to load (COPY fails when nothing matches)".into(),
        });
    }
    for skipped in listing.skipped.iter().take(5) {
        progress.note(&format!("skipping hidden file {skipped}"));
    }
    for missing in &listing.missing {
        progress.note(&format!(
            "skipping {missing}: listed in the manifest as optional, and it does not exist"
        ));
    }
    Ok(listing)
}

/// Says what the plan does with files that changed or disappeared since they were loaded.
fn note_plan(plan: &FilePlan, table: &str, source: &Source, progress: &dyn Progress) {
    if !plan.changed.is_empty() {
        let what = format!(
            "{} file(s) of {table} changed since they were loaded (first: {})",
            plan.changed.len(),
            plan.changed[0]
        );
        progress.note(&if plan.full_reload {
            format!("{what}: reloading {table} whole, so no row is loaded twice")
        } else {
            format!("{what}; they stay as loaded. Pass --reload-changed to reload them")
        });
    }
    if plan.gone > 0 {
        progress.note(&if plan.full_reload {
            format!(
                "{} file(s) loaded into {table} earlier are no longer listed by {source}; the \
                 reload drops their rows",
                plan.gone
            )
        } else {
            format!(
                "{} file(s) loaded into {table} earlier are no longer listed by {source}; their \
                 rows stay (pass --full-refresh to load only what the source lists now)",
                plan.gone
            )
        });
    }
}

fn plan_files(
    wh: &mut dyn Warehouse,
    table: &str,
    refresh: Refresh,
    listed: Vec<SourceFile>,
) -> Result<FilePlan> {
    if refresh == Refresh::Full {
        return Ok(FilePlan {
            files: listed,
            already_loaded: 0,
            changed: Vec::new(),
            gone: 0,
            full_reload: true,
            whole_source: false,
        });
    }
    let ledger = wh.query(&sql::statement(
        "bookkeeping/ledger_entries.sql",
        &[("table", Param::Text(table))],
    )?)?;
    let mut loaded: HashMap<String, (i64, Option<String>)> = HashMap::new();
    for row in ledger.rows {
        if let [Cell::Text(file), size, version] = row.as_slice() {
            let size = match size {
                Cell::Int(n) => *n,
                _ => -1,
            };
            let version = match version {
                Cell::Text(v) => Some(v.clone()),
                _ => None,
            };
            loaded.insert(ledger_key(file), (size, version));
        }
    }
    let mut plan = FilePlan {
        files: Vec::new(),
        already_loaded: 0,
        changed: Vec::new(),
        gone: 0,
        full_reload: false,
        whole_source: false,
    };
    let listed_count = listed.len();
    for file in &listed {
        match loaded.get(&ledger_key(&file.location)) {
            None => plan.files.push(file.clone()),
            Some((size, version)) if *size == file.size as i64 && *version == file.version => {
                plan.already_loaded += 1
            }
            Some(_) => plan.changed.push(file.location.clone()),
        }
    }
    plan.gone = loaded.len().saturating_sub(listed_count - plan.files.len());
    if !plan.changed.is_empty() && refresh == Refresh::ReloadChanged {
        plan.files = listed;
        plan.already_loaded = 0;
        plan.full_reload = true;
    }
    Ok(plan)
}

/// The identity of a loaded file: `data/x.json`, `./data/x.json` and its absolute path are
/// one file, so a run that spells the folder differently does not load it twice.
fn ledger_key(location: &str) -> String {
    if location.starts_with("s3://") {
        return location.to_string();
    }
    std::fs::canonicalize(location)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| location.to_string())
}

enum LoadFailure {
    /// More rows were rejected than --max-errors allows; the rejected rows are kept.
    Rejected(Vec<load::LoadError>, Error),
    Other(Error),
}

impl From<Error> for LoadFailure {
    fn from(e: Error) -> Self {
        LoadFailure::Other(e)
    }
}

/// Fills the table through the engine's [`Stager`]: sparkify's loader over `files`, or the
/// engine's own COPY of the whole source.
fn load_files(
    wh: &mut dyn Warehouse,
    spec: &crate::copy::TableSpec,
    json: Option<&crate::copy::JsonFormat>,
    request: &StageRequest,
    files: &[SourceFile],
    options: &LoadOptions,
    progress: &dyn Progress,
) -> std::result::Result<LoadReport, LoadFailure> {
    let mut stager = wh.stager(spec)?;
    let job = StageJob {
        spec,
        source: &request.source,
        format: &request.format,
        json,
        files,
        options,
    };
    let total_bytes = files.iter().map(|f| f.size).sum();
    progress.load_started(&request.table, files.len() as u64, total_bytes);
    let loaded = stager.load(&job, &mut |f: &FileReport| progress.file_loaded(f));
    progress.load_finished();
    let report = loaded?;
    if report.exceeded_max_errors {
        // Leave the transaction through the error path: nothing of this load stays.
        let first = report
            .errors
            .first()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let count = report.errors.len() as u64;
        return Err(LoadFailure::Rejected(
            report.errors,
            Error::TooManyLoadErrors {
                table: spec.name.clone(),
                rejected: count,
                max_errors: options.max_errors,
                first,
            },
        ));
    }
    stager.finish()?;
    Ok(report)
}

/// Empties a staging table and its bookkeeping before a full reload.
fn clear_statements(table: &str) -> Result<String> {
    sql::statement(
        "bookkeeping/clear_table.sql",
        &[("table", Param::Text(table))],
    )
}

fn record_load(wh: &mut dyn Warehouse, table: &str, report: &LoadReport) -> Result<()> {
    insert_errors(wh, table, &report.errors)?;
    let now = crate::time::now_utc();
    let rows: Vec<Vec<Literal>> = report
        .files
        .iter()
        .map(|f| {
            // The columns of sql/schema/load_ledger.sql, in order.
            vec![
                Literal::Text(table.to_string()),
                Literal::Text(f.file.clone()),
                Literal::Int(f.size as i64),
                Literal::opt_text(f.version.as_deref()),
                Literal::Int(f.rows_read as i64),
                Literal::Int(f.rows_loaded as i64),
                Literal::Int(f.rows_rejected as i64),
                Literal::Timestamp(now.clone()),
            ]
        })
        .collect();
    insert_all_columns(wh, "load_ledger", &rows)
}

fn insert_errors(wh: &mut dyn Warehouse, table: &str, errors: &[load::LoadError]) -> Result<()> {
    let now = crate::time::now_utc();
    let rows: Vec<Vec<Literal>> = errors
        .iter()
        .map(|e| {
            // The columns of sql/schema/load_errors.sql, in order.
            vec![
                Literal::Text(table.to_string()),
                Literal::Text(e.file.clone()),
                Literal::Int(e.line as i64),
                Literal::opt_text(e.column_name.as_deref()),
                Literal::opt_text(e.column_type.as_deref()),
                Literal::opt_text(e.raw_value.as_deref()),
                Literal::Text(e.raw_line.clone()),
                Literal::Text(e.reason.clone()),
                Literal::Timestamp(now.clone()),
            ]
        })
        .collect();
    insert_all_columns(wh, "load_errors", &rows)
}

/// Inserts rows that give every column of `table`, in the order its DDL declares them (the
/// DDL is the one list of the columns).
fn insert_all_columns(wh: &mut dyn Warehouse, table: &str, rows: &[Vec<Literal>]) -> Result<()> {
    let columns = sql::column_names(table)?;
    if let Some(row) = rows.iter().find(|r| r.len() != columns.len()) {
        return Err(Error::usage(format!(
            "{table} has {} columns in sql/schema/{table}.sql, a row to insert has {}",
            columns.len(),
            row.len()
        )));
    }
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    wh.insert_rows(table, &columns, rows)
}

/// Rebuilds the star schema from staging in one transaction, and counts each model.
pub fn transform(wh: &mut dyn Warehouse) -> Result<TransformReport> {
    in_transaction(wh, transform_in)
}

fn transform_in(wh: &mut dyn Warehouse) -> Result<TransformReport> {
    let start = Instant::now();
    let dialect = wh.dialect();
    let mut models = Vec::new();
    for model in sql::models()? {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        wh.execute(sql::transform(model, dialect)?)?;
        let count = sql::statement(
            "bookkeeping/row_count.sql",
            &[("table", Param::Text(model))],
        )?;
        models.push((model.to_string(), wh.count(&count)?));
    }
    Ok(TransformReport {
        models,
        elapsed: start.elapsed(),
    })
}
