//! The load ledger and load errors: which files were loaded (and so are skipped next time),
//! what each read, loaded and rejected, and the rejected rows of a load that failed.

use std::collections::{HashMap, HashSet};

use super::{Refresh, create_in, in_transaction};
use crate::copy::load::{self, LoadReport};
use crate::error::{Error, Result};
use crate::source::SourceFile;
use crate::sql::{self, Param};
use crate::value::Row;
use crate::value::Value;
use crate::warehouse::Warehouse;

/// After a load failed on --max-errors and was rolled back, records its rejected rows, as
/// STL_LOAD_ERRORS keeps them for a failed COPY. They replace those of earlier failed loads (of
/// files the ledger does not hold); the rejected rows of committed loads stay as they are, so
/// `load_errors` still holds exactly the rows the ledger counts for the files it holds, and the
/// kept rows of a failed reload of a held file are not mixed into them (the error names the
/// first).
pub(super) fn keep_rejected<T>(
    wh: &mut dyn Warehouse,
    outcome: Result<T>,
    rejected: &[(String, Vec<load::LoadError>)],
) -> Result<T> {
    if matches!(outcome, Err(Error::TooManyLoadErrors { .. })) {
        in_transaction(wh, |wh| {
            // The rolled-back run may have been the one creating the tables.
            create_in(wh, false)?;
            for (table, errors) in rejected {
                wh.run(&sql::statement(
                    "bookkeeping/forget_errors.sql",
                    &[("table", Param::Text(table))],
                )?)?;
                let held: HashSet<String> = ledger_entries(wh, table)?.into_keys().collect();
                let mut keys = Keys::default();
                let failed: Vec<load::LoadError> = errors
                    .iter()
                    .filter(|e| !held.contains(keys.get(&e.file)))
                    .cloned()
                    .collect();
                insert_errors(wh, table, &failed)?;
            }
            Ok(())
        })?;
    }
    outcome
}

/// The files the ledger holds for `table` by [`ledger_key`], with the size and version each had
/// when it was loaded.
fn ledger_entries(
    wh: &mut dyn Warehouse,
    table: &str,
) -> Result<HashMap<String, (i64, Option<String>)>> {
    let ledger = wh.fetch(&sql::statement(
        "bookkeeping/ledger_entries.sql",
        &[("table", Param::Text(table))],
    )?)?;
    let mut loaded = HashMap::new();
    for row in ledger.rows {
        if let [Value::Text(file), size, version] = row.as_slice() {
            let size = match size {
                Value::Int(n) => *n,
                _ => -1,
            };
            let version = match version {
                Value::Text(v) => Some(v.clone()),
                _ => None,
            };
            loaded.insert(ledger_key(file), (size, version));
        }
    }
    Ok(loaded)
}

/// Which listed files to load, given what the load ledger says was loaded before.
pub(super) struct FilePlan {
    pub(super) files: Vec<SourceFile>,
    pub(super) already_loaded: usize,
    pub(super) changed: Vec<String>,
    /// Ledger entries the source no longer lists.
    pub(super) gone: usize,
    pub(super) full_reload: bool,
    /// The engine reads the whole source itself; `files` is empty.
    pub(super) whole_source: bool,
}

impl FilePlan {
    /// The plan of an engine that reads the whole source itself: reload the table whole.
    pub(super) fn whole_source() -> FilePlan {
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

pub(super) fn plan_files(
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
    let loaded = ledger_entries(wh, table)?;
    let mut plan = FilePlan {
        files: Vec::new(),
        already_loaded: 0,
        changed: Vec::new(),
        gone: 0,
        full_reload: false,
        whole_source: false,
    };
    if loaded.is_empty() {
        // Nothing loaded yet: every listed file is new, and no key need be resolved (a
        // `realpath` per file, the main thread's largest cost in a first load of 15,000 song
        // files).
        plan.files = listed;
        return Ok(plan);
    }
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

/// The identity of a file in `load_ledger.file` and `load_errors.file`: an `s3://` URI as it
/// is, a local path made absolute and canonical (symlinks and `..` resolved), so `data/x.json`
/// listed in one folder and `../a/data/x.json` listed in another are one file, and the same
/// relative name in another folder is another. Entries written before keys were canonical hold the
/// path as listed; applied to them, this resolves them against the current folder, as those
/// versions did.
pub(super) fn ledger_key(location: &str) -> String {
    if location.starts_with("s3://") {
        return location.to_string();
    }
    std::fs::canonicalize(location)
        .or_else(|_| std::path::absolute(location))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| location.to_string())
}

/// [`ledger_key`] of each file once: a load rejects many rows of few files.
#[derive(Default)]
struct Keys(HashMap<String, String>);

impl Keys {
    fn get(&mut self, location: &str) -> &str {
        self.0
            .entry(location.to_string())
            .or_insert_with(|| ledger_key(location))
    }
}

/// Empties a staging table and its bookkeeping before a full reload.
pub(super) fn clear(wh: &mut dyn Warehouse, table: &str) -> Result<()> {
    for statement in sql::statements(
        "bookkeeping/clear_table.sql",
        &[("table", Param::Text(table))],
    )? {
        wh.run(&statement)?;
    }
    Ok(())
}

/// A text column's value, or NULL.
fn opt_text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::Text(s.to_string()))
}

/// Records a committed load: its rejected rows and ledger entries. The rejected rows kept from
/// earlier failed loads of the table go: this load tried again every file the ledger did not
/// hold, and what it rejected is now the record.
pub(super) fn record_load(wh: &mut dyn Warehouse, table: &str, report: &LoadReport) -> Result<()> {
    wh.run(&sql::statement(
        "bookkeeping/forget_errors.sql",
        &[("table", Param::Text(table))],
    )?)?;
    insert_errors(wh, table, &report.errors)?;
    let now = crate::time::now_utc();
    let rows: Vec<Row> = report
        .files
        .iter()
        .map(|f| {
            // The columns of sql/schema/load_ledger.sql, in order.
            vec![
                Value::Text(table.to_string()),
                Value::Text(ledger_key(&f.file)),
                Value::Int(f.size as i64),
                opt_text(f.version.as_deref()),
                Value::Int(f.rows_read as i64),
                Value::Int(f.rows_loaded as i64),
                Value::Int(f.rows_rejected as i64),
                Value::Text(now.clone()),
            ]
        })
        .collect();
    insert_all_columns(wh, "load_ledger", &rows)
}

/// Replaces the recorded audit failures with `report`'s: one row per sample row of each failed
/// rule (one with no sample for a rule that counts rather than lists).
pub(super) fn record_audit_failures(
    wh: &mut dyn Warehouse,
    report: &crate::checks::CheckReport,
) -> Result<()> {
    wh.run(&sql::statement(
        "bookkeeping/clear_audit_failures.sql",
        &[],
    )?)?;
    let now = crate::time::now_utc();
    let mut rows: Vec<Row> = Vec::new();
    for failed in report.failed() {
        let row = |sample: Option<&String>| {
            // The columns of sql/schema/audit_failures.sql, in order.
            vec![
                Value::Text(failed.table.clone()),
                Value::Text(failed.name.clone()),
                Value::Int(failed.violations),
                opt_text(sample.map(String::as_str)),
                Value::Text(now.clone()),
            ]
        };
        if failed.samples.is_empty() {
            rows.push(row(None));
        }
        rows.extend(failed.samples.iter().map(|s| row(Some(s))));
    }
    insert_all_columns(wh, "audit_failures", &rows)
}

pub(super) fn insert_errors(
    wh: &mut dyn Warehouse,
    table: &str,
    errors: &[load::LoadError],
) -> Result<()> {
    let now = crate::time::now_utc();
    let mut keys = Keys::default();
    let rows: Vec<Row> = errors
        .iter()
        .map(|e| {
            // The columns of sql/schema/load_errors.sql, in order.
            vec![
                Value::Text(table.to_string()),
                Value::Text(keys.get(&e.file).to_string()),
                Value::Int(e.line as i64),
                opt_text(e.column_name.as_deref()),
                opt_text(e.column_type.as_deref()),
                opt_text(e.raw_value.as_deref()),
                Value::Text(e.raw_line.clone()),
                Value::Text(e.reason.clone()),
                Value::Text(now.clone()),
            ]
        })
        .collect();
    insert_all_columns(wh, "load_errors", &rows)
}

/// Inserts rows that give every column of `table`, in the order its DDL declares them (the
/// DDL is the one list of the columns).
pub(super) fn insert_all_columns(wh: &mut dyn Warehouse, table: &str, rows: &[Row]) -> Result<()> {
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
