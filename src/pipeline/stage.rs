//! Staging one table: list and plan against the load ledger, clear when reloading, fill it
//! through the engine's [`Stager`](crate::warehouse::Stager), record the ledger, run the
//! engine's post-load hook. Every engine goes through this one path.

use std::time::Instant;

use super::ledger::{FilePlan, clear, keep_rejected, plan_files, record_load};
use super::{Progress, Refresh, StageReport, StageRequest, in_transaction};
use crate::copy::load::{self, FileReport, LoadOptions, LoadReport};
use crate::error::{Error, Result};
use crate::source::{Listing, Source, SourceFile};
use crate::sql;
use crate::warehouse::{StageJob, Staging, Warehouse};

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
        wh.lock_in_transaction()?;
        let staged = stage_in(wh, request, options, progress, &mut rejected, false)?;
        // Staging now holds rows the star schema was not built from: the next run rebuilds.
        super::build::forget_state(wh)?;
        Ok(staged)
    });
    keep_rejected(wh, outcome, &rejected)
}

/// [`stage`] inside the caller's transaction. A load that exceeds --max-errors returns
/// `TooManyLoadErrors` and leaves its rejected rows in `rejected` for [`keep_rejected`].
/// The caller has taken the run's lock ([`Warehouse::lock_in_transaction`]). With `into_new`,
/// rows appended to the table go into its new-rows table instead ([`sql::new_rows_table`]), for
/// an incremental update of the star schema; a table reloaded whole is loaded in place.
pub(super) fn stage_in(
    wh: &mut dyn Warehouse,
    request: &StageRequest,
    options: &LoadOptions,
    progress: &dyn Progress,
    rejected: &mut Vec<(String, Vec<load::LoadError>)>,
    into_new: bool,
) -> Result<StageReport> {
    if crate::interrupt::requested() {
        return Err(Error::Interrupted);
    }
    let start = Instant::now();
    let spec = sql::table_spec(&request.table)?;
    let table = spec.name.clone();
    // The one thing that differs between engines: whether sparkify reads the files (and so
    // can skip those the ledger holds) or the engine reads the whole source itself.
    let staging = wh.staging();
    let (plan, skipped, json) = match staging {
        Staging::ClientLoader | Staging::ServerCopyListed => {
            // The engine's own COPY reads the JSONPaths file itself.
            let json = match staging {
                Staging::ClientLoader => Some(request.format.resolve()?),
                _ => None,
            };
            let listing = list_source(request, progress)?;
            let plan = plan_files(wh, &table, request.refresh, listing.files)?;
            (plan, [listing.skipped, listing.missing].concat(), json)
        }
        Staging::ServerCopy => {
            if request.refresh != Refresh::Full {
                // COPY reads every object the prefix names; the server keeps no ledger to
                // skip by.
                progress.note(&format!(
                    "{}: Redshift reloads {table} whole from the source on every run (set \
                     [S3] MANIFEST_PREFIX to a writable s3:// prefix to load only new files)",
                    wh.describe()
                ));
            }
            (FilePlan::whole_source(), Vec::new(), None)
        }
    };
    note_plan(&plan, &table, &request.source, progress);
    load_plan(
        wh,
        request,
        spec,
        plan,
        skipped,
        json,
        (options, progress),
        rejected,
        into_new,
        start,
    )
}

/// Loads exactly `files` of `request`'s table (a date backfill's, listed and chosen by the
/// caller) into the table's new-rows table, and records them in the ledger, inside the
/// caller's transaction and lock. The engine must load what it is given: sparkify's loader,
/// or a COPY of a manifest of those files.
pub(super) fn stage_listed(
    wh: &mut dyn Warehouse,
    request: &StageRequest,
    files: Vec<SourceFile>,
    options: &LoadOptions,
    progress: &dyn Progress,
    rejected: &mut Vec<(String, Vec<load::LoadError>)>,
) -> Result<StageReport> {
    let start = Instant::now();
    let spec = sql::table_spec(&request.table)?;
    let json = match wh.staging() {
        Staging::ClientLoader => Some(request.format.resolve()?),
        Staging::ServerCopyListed => None,
        Staging::ServerCopy => {
            return Err(Error::usage(format!(
                "{}: cannot load chosen files of {}: the engine's COPY reads the whole source",
                wh.describe(),
                request.table
            )));
        }
    };
    let plan = FilePlan {
        files,
        already_loaded: 0,
        changed: Vec::new(),
        gone: 0,
        full_reload: false,
        whole_source: false,
    };
    load_plan(
        wh,
        request,
        spec,
        plan,
        Vec::new(),
        json,
        (options, progress),
        rejected,
        true,
        start,
    )
}

/// The part of staging after the plan: clear when reloading whole, load, record the ledger,
/// run the engine's post-load hook, say what the COPY options changed.
#[allow(clippy::too_many_arguments)]
fn load_plan(
    wh: &mut dyn Warehouse,
    request: &StageRequest,
    mut spec: crate::schema::TableSpec,
    plan: FilePlan,
    skipped: Vec<String>,
    json: Option<crate::copy::JsonFormat>,
    (options, progress): (&LoadOptions, &dyn Progress),
    rejected: &mut Vec<(String, Vec<load::LoadError>)>,
    into_new: bool,
    start: Instant,
) -> Result<StageReport> {
    let table = spec.name.clone();
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
    if !plan.full_reload && into_new {
        spec.name = sql::new_rows_table(&table);
    }
    let loads = plan.whole_source || !plan.files.is_empty();
    // A first load fills an empty table: an engine may build its indexes once the rows are in
    // (Warehouse::defer_indexes). Asked before a full reload empties the table, so a table
    // that held rows keeps its indexes for the readers of those rows.
    let build_again = if loads {
        wh.defer_indexes(&spec.name)?
    } else {
        Vec::new()
    };
    if plan.full_reload {
        clear(wh, &table)?;
    }
    if loads {
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
        for statement in &build_again {
            wh.execute(statement)?;
        }
        record_load(wh, &table, &report)?;
        wh.after_load(&spec.name)?;
        // What --copy-options changed is said, never silent (Redshift logs replacements in
        // STL_REPLACEMENTS).
        if report.replaced > 0 {
            progress.note(&format!(
                "{table}: {} invalid UTF-8 byte(s) replaced in {} line(s) (ACCEPTINVCHARS)",
                report.replaced, report.replaced_lines
            ));
        }
        if report.truncated > 0 {
            progress.note(&format!(
                "{table}: {} value(s) truncated to fit their column (TRUNCATECOLUMNS)",
                report.truncated
            ));
        }
    }
    let mut staged = StageReport::new(table, request, &report, skipped, start);
    staged.already_loaded = plan.already_loaded;
    staged.changed = plan.changed;
    staged.full_reload = plan.full_reload;
    Ok(staged)
}

/// Lists the source, says what is passed over, and fails as COPY does when nothing matches.
pub(super) fn list_source(request: &StageRequest, progress: &dyn Progress) -> Result<Listing> {
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

pub(super) enum LoadFailure {
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
    spec: &crate::schema::TableSpec,
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
    // A server-side COPY reads the whole source: there is no list of files to count.
    let counted = !files.is_empty();
    if counted {
        let total_bytes = files.iter().map(|f| f.size).sum();
        progress.load_started(&request.table, files.len() as u64, total_bytes);
    }
    let loaded = stager.load(&job, &mut |f: &FileReport| {
        if counted {
            progress.file_loaded(f)
        }
    });
    if counted {
        progress.load_finished();
    }
    let report = loaded?;
    if report.exceeded_max_errors {
        // Leave the transaction through the error path: nothing of this load stays.
        let first = report
            .errors
            .first()
            .map(|e| e.to_string())
            .unwrap_or_default();
        // The kept rows explain the failure; the count says how many there were.
        let count = report.errors_found();
        return Err(LoadFailure::Rejected(
            report.errors,
            Error::TooManyLoadErrors {
                table: request.table.clone(),
                rejected: count,
                max_errors: options.max_errors,
                first,
            },
        ));
    }
    stager.finish()?;
    Ok(report)
}
