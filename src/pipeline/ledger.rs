//! The load ledger and load errors: which files were loaded (and so are skipped next time),
//! what each read, loaded and rejected, and the rejected rows of a load that failed.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

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
                let mut keys = KeyCache::default();
                let held: HashSet<String> =
                    ledger_entries(wh, table, &mut keys)?.into_keys().collect();
                let failed: Vec<load::LoadError> = errors
                    .iter()
                    .filter(|e| !held.contains(keys.key(&e.file)))
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
    keys: &mut KeyCache,
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
            loaded.insert(keys.key(file).to_string(), (size, version));
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
    let mut keys = KeyCache::default();
    let loaded = ledger_entries(wh, table, &mut keys)?;
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
        match loaded.get(keys.key(&file.location)) {
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
fn ledger_key(location: &str) -> String {
    if location.starts_with("s3://") {
        return location.to_string();
    }
    std::fs::canonicalize(location)
        .or_else(|_| std::path::absolute(location))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| location.to_string())
}

/// [`ledger_key`] of many files at once, giving exactly what it gives, each location's key
/// worked out once (a load rejects many rows of few files). `canonicalize` is a `realpath`,
/// which reads every component of a path as a possible symlink: about ten failed `readlink`s
/// per song file, 300,000 in a new day's run whose ledger and listing each name 15,000 song
/// files (about 0.25 s of a 2.0-2.8 s run at 10M events). Here each folder is resolved once for
/// the files in it, and a file or folder adds one `lstat` to learn whether it is a symlink
/// itself (then it is resolved as `ledger_key` does). Paths with `.` or `..` in them, and
/// whatever cannot be read, go to `ledger_key`.
#[derive(Default)]
pub(super) struct KeyCache {
    keys: HashMap<String, String>,
    paths: HashMap<PathBuf, Option<PathBuf>>,
}

impl KeyCache {
    pub(super) fn key(&mut self, location: &str) -> &str {
        if !self.keys.contains_key(location) {
            let key = self.work_out(location);
            self.keys.insert(location.to_string(), key);
        }
        &self.keys[location]
    }

    fn work_out(&mut self, location: &str) -> String {
        if location.starts_with("s3://") {
            return location.to_string();
        }
        let resolved = match std::path::absolute(location) {
            Ok(path) if plain(&path) => self.resolve(&path),
            _ => None,
        };
        match resolved {
            Some(path) => path.display().to_string(),
            None => ledger_key(location),
        }
    }

    /// The canonical form of `path` (absolute, of plain names only), or `None` where it
    /// cannot be read.
    fn resolve(&mut self, path: &Path) -> Option<PathBuf> {
        if let Some(known) = self.paths.get(path) {
            return known.clone();
        }
        let resolved = match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => {
                let parent = self.resolve(parent);
                match (parent, std::fs::symlink_metadata(path)) {
                    (Some(parent), Ok(meta)) if !meta.file_type().is_symlink() => {
                        Some(parent.join(name))
                    }
                    (Some(_), Ok(_)) => std::fs::canonicalize(path).ok(),
                    _ => None,
                }
            }
            // The root.
            _ => std::fs::canonicalize(path).ok(),
        };
        self.paths.insert(path.to_path_buf(), resolved.clone());
        resolved
    }
}

/// Whether `path` is absolute and written with plain names only: no `.`, `..` or repeated
/// separator, which `Path::components` would hide (`a/./b` has the components of `a/b`).
fn plain(path: &Path) -> bool {
    path.is_absolute()
        && path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
        && path.components().collect::<PathBuf>().as_os_str() == path.as_os_str()
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
    let mut keys = KeyCache::default();
    let rows: Vec<Row> = report
        .files
        .iter()
        .map(|f| {
            // The columns of sql/schema/load_ledger.sql, in order.
            vec![
                Value::Text(table.to_string()),
                Value::Text(keys.key(&f.file).to_string()),
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
    let mut keys = KeyCache::default();
    let rows: Vec<Row> = errors
        .iter()
        .map(|e| {
            // The columns of sql/schema/load_errors.sql, in order.
            vec![
                Value::Text(table.to_string()),
                Value::Text(keys.key(&e.file).to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache gives `ledger_key`'s answer for every kind of path a listing or a ledger can
    /// hold: plain, through a symlinked folder, a symlinked file, with `.` or `..`, relative,
    /// missing, under a missing folder, an S3 URI; asked in either order, so that what one
    /// path put in the cache cannot change another's answer.
    #[test]
    fn cached_ledger_keys_are_ledger_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("data/A/B")).unwrap();
        std::fs::write(root.join("data/A/B/TR1.json"), "{}").unwrap();
        std::fs::write(root.join("data/A/TR2.json"), "{}").unwrap();
        std::os::unix::fs::symlink(root.join("data/A"), root.join("linked")).unwrap();
        std::os::unix::fs::symlink(root.join("data/A/B/TR1.json"), root.join("data/A/TR3.json"))
            .unwrap();
        std::os::unix::fs::symlink("B", root.join("data/A/rel")).unwrap();
        let r = root.display();
        let paths = [
            format!("{r}/data/A/B/TR1.json"),
            format!("{r}/data/A/TR2.json"),
            format!("{r}/linked/B/TR1.json"),
            format!("{r}/linked/TR2.json"),
            format!("{r}/data/A/TR3.json"),
            format!("{r}/linked/TR3.json"),
            format!("{r}/data/A/rel/TR1.json"),
            format!("{r}/data/A/./B/TR1.json"),
            format!("{r}/linked/./B/TR1.json"),
            format!("{r}/linked/."),
            format!("{r}/data/A/B/../TR2.json"),
            format!("{r}/linked/../data/A/TR2.json"),
            format!("{r}//data/A/TR2.json"),
            format!("{r}/data/A/B/missing.json"),
            format!("{r}/data/missing/TR1.json"),
            format!("{r}/data/A/TR2.json/TR1.json"),
            "relative/missing.json".to_string(),
            "s3://bucket/song_data/A/TR1.json".to_string(),
        ];
        let expected: Vec<String> = paths.iter().map(|p| ledger_key(p)).collect();
        assert_eq!(expected[0], expected[2], "the fixture: a symlinked folder");
        assert_eq!(expected[0], expected[4], "the fixture: a symlinked file");
        let mut keys = KeyCache::default();
        for (p, e) in paths.iter().zip(&expected) {
            assert_eq!(keys.key(p), e, "{p}");
        }
        let mut keys = KeyCache::default();
        for (p, e) in paths.iter().zip(&expected).rev() {
            assert_eq!(keys.key(p), e, "{p}");
        }
        // Asked again, from the cache.
        for (p, e) in paths.iter().zip(&expected) {
            assert_eq!(keys.key(p), e, "{p}");
        }
    }
}
