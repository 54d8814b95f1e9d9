//! create → stage → transform → check. Each step is one warehouse transaction, so an
//! interrupted step leaves the warehouse as it was before that step.

use std::time::{Duration, Instant};

pub use crate::copy::FormatSpec;
use crate::copy::load::{self, FileReport, LoadOptions, LoadReport};
use crate::error::{Error, Result};
use crate::source::Source;
use crate::sql::{self, Dialect, MODELS};
use crate::warehouse::{Literal, Warehouse};

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
}

/// What staging one table did.
#[derive(Debug, Clone)]
pub struct StageReport {
    pub table: String,
    pub source: String,
    pub format: String,
    pub files: usize,
    pub skipped: Vec<String>,
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
    if drop {
        let tables: Vec<&str> = sql::all_tables().collect();
        for t in tables.iter().rev() {
            script.push_str(&format!("DROP TABLE IF EXISTS {t};\n"));
        }
    }
    script.push_str(sql::functions(dialect)?);
    script.push('\n');
    for t in sql::all_tables() {
        script.push_str(sql::schema(t, dialect)?);
        script.push('\n');
    }
    Ok(script)
}

/// The statements that rebuild the star schema from staging in `dialect`, in order.
pub fn transform_script(dialect: Dialect) -> Result<String> {
    let mut script = String::new();
    for model in MODELS {
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
                wh.execute(&format!(
                    "DELETE FROM load_errors WHERE table_name = {}",
                    sql::quote_literal(table)
                ))?;
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

/// Replaces the contents of one staging table with what its source holds, with COPY
/// semantics. The rows, their ledger entries and their load errors commit together.
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
    if wh.stages_server_side() {
        return stage_server_side_in(wh, request, options);
    }
    let start = Instant::now();
    let spec = sql::table_spec(&request.table)?;
    let format = request.format.resolve()?;
    let listing = request.source.list()?;
    if listing.files.is_empty() {
        return Err(Error::Source {
            path: request.source.to_string(),
            message: "no files to load (COPY fails when nothing matches)".into(),
        });
    }
    for skipped in listing.skipped.iter().take(5) {
        progress.note(&format!("skipping hidden file {skipped}"));
    }
    let options = LoadOptions {
        repair_mojibake: request.repair_mojibake,
        ..options.clone()
    };
    let total_bytes = listing.files.iter().map(|f| f.size).sum();
    let source = &request.source;
    let read = |f: &crate::source::SourceFile| source.read(f);
    let table = spec.name.clone();

    wh.execute(&clear_statements(&table))?;
    let report = {
        let mut sink = wh.bulk_sink(&spec)?;
        let mut on_file = |f: &FileReport| progress.file_loaded(f);
        progress.load_started(&request.table, listing.files.len() as u64, total_bytes);
        let loaded = load::load(
            &spec,
            &format,
            &listing.files,
            &read,
            &options,
            sink.as_mut(),
            &mut on_file,
        );
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
            rejected.push((table.clone(), report.errors));
            return Err(Error::TooManyLoadErrors {
                table,
                rejected: count,
                max_errors: options.max_errors,
                first,
            });
        }
        sink.finish()?;
        report
    };
    record_load(wh, &table, &report)?;
    Ok(StageReport::new(
        table,
        request,
        &report,
        listing.skipped,
        start,
    ))
}

/// Staging where the engine reads the source itself (Redshift's COPY from S3). The server's
/// per-file counts and errors go into the same ledger and error tables as a local load.
fn stage_server_side_in(
    wh: &mut dyn Warehouse,
    request: &StageRequest,
    options: &LoadOptions,
) -> Result<StageReport> {
    let start = Instant::now();
    let table = request.table.clone();
    wh.execute(&clear_statements(&table))?;
    let report = wh.server_copy(&table, &request.source, &request.format, options.max_errors)?;
    record_load(wh, &table, &report)?;
    Ok(StageReport::new(table, request, &report, Vec::new(), start))
}

/// Empties a staging table and its bookkeeping before a full reload.
fn clear_statements(table: &str) -> String {
    format!(
        "DELETE FROM {table};\nDELETE FROM load_ledger WHERE table_name = {q};\nDELETE FROM load_errors WHERE table_name = {q};",
        q = sql::quote_literal(table)
    )
}

fn record_load(wh: &mut dyn Warehouse, table: &str, report: &LoadReport) -> Result<()> {
    insert_errors(wh, table, &report.errors)?;
    let now = crate::time::now_utc();
    let rows: Vec<Vec<Literal>> = report
        .files
        .iter()
        .map(|f| {
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
    wh.insert_rows(
        "load_ledger",
        &[
            "table_name",
            "file",
            "size_bytes",
            "version",
            "rows_read",
            "rows_loaded",
            "rows_rejected",
            "loaded_at",
        ],
        &rows,
    )
}

fn insert_errors(wh: &mut dyn Warehouse, table: &str, errors: &[load::LoadError]) -> Result<()> {
    let now = crate::time::now_utc();
    let rows: Vec<Vec<Literal>> = errors
        .iter()
        .map(|e| {
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
    wh.insert_rows(
        "load_errors",
        &[
            "table_name",
            "file",
            "line",
            "column_name",
            "column_type",
            "raw_value",
            "raw_line",
            "reason",
            "logged_at",
        ],
        &rows,
    )
}

/// Rebuilds the star schema from staging in one transaction, and counts each model.
pub fn transform(wh: &mut dyn Warehouse) -> Result<TransformReport> {
    in_transaction(wh, transform_in)
}

fn transform_in(wh: &mut dyn Warehouse) -> Result<TransformReport> {
    let start = Instant::now();
    let dialect = wh.dialect();
    let mut models = Vec::new();
    for model in MODELS {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        wh.execute(sql::transform(model, dialect)?)?;
        models.push((
            model.to_string(),
            wh.count(&format!("SELECT COUNT(*) FROM {model}"))?,
        ));
    }
    Ok(TransformReport {
        models,
        elapsed: start.elapsed(),
    })
}
