//! Whether a run updates the star schema from the rows it staged or rebuilds it from all of
//! them, and the update itself.
//!
//! An incremental run stages its new files into `staging_*_new` (see
//! [`sql::new_rows_table`]), moves those rows on into staging, and runs `sql/incremental/`,
//! which reads the new rows for what changed and staging for the rest, giving row for row
//! what `sql/transform/` gives from all staged rows. It rebuilds instead when it cannot know
//! the star schema matches staging: the first build, `--full-refresh`, a staging table
//! reloaded whole (`--reload-changed`, Redshift's COPY of a whole prefix), staging loaded on its
//! own, or transform SQL that hashes otherwise than the SQL that built it (another sparkify
//! version), recorded in `transform_state`.

use super::Progress;
use crate::error::Result;
use crate::sql::{self, Dialect, Param};
use crate::value::Value;
use crate::warehouse::{Staging, Warehouse};

/// How a run brings the star schema up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Build {
    /// From the rows this run staged, kept apart in `staging_*_new` until then.
    Incremental,
    /// From all staged rows; the reason is said when the user may not expect it.
    Rebuild(Option<String>),
}

/// What the star schema was built with: the hash of the transform SQL (every dialect's
/// transforms, incremental updates and helper functions, and the DDL of the tables they fill),
/// FNV-1a, so it is the same on every platform and build.
pub fn transform_hash() -> Result<String> {
    const DIALECTS: [Dialect; 3] = [Dialect::DuckDb, Dialect::Postgres, Dialect::Redshift];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |text: &str| {
        // A separator after each text, so moving text between files changes the hash too.
        for byte in text.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for dialect in DIALECTS {
        feed(sql::functions(dialect)?);
        for model in sql::models()? {
            feed(sql::transform(model, dialect)?);
            feed(sql::incremental(model, dialect)?);
        }
    }
    // A backfill by date updates the star schema too (sql/backfill/).
    for (_, text) in sql::files_in("backfill") {
        feed(text);
    }
    for table in sql::models()?.iter().chain(sql::INCREMENT_TABLES.iter()) {
        feed(&sql::schema(table, Dialect::DuckDb)?);
    }
    Ok(format!("{hash:016x}"))
}

/// Decides, inside the run's transaction and before staging, whether this run can update the
/// star schema from its new rows. `full` is `--full-refresh`.
pub(super) fn decide(wh: &mut dyn Warehouse, full: bool, progress: &dyn Progress) -> Result<Build> {
    if full {
        return Ok(Build::Rebuild(None));
    }
    if wh.staging() == Staging::ServerCopy {
        return Ok(Build::Rebuild(Some(format!(
            "{}: staging is reloaded whole, so the star schema is rebuilt from all staged rows",
            wh.describe()
        ))));
    }
    let state = wh.fetch(&sql::statement("bookkeeping/transform_state.sql", &[])?)?;
    let built = state.rows.first().map(|row| match row.as_slice() {
        [Value::Text(hash), Value::Text(version)] => (hash.clone(), version.clone()),
        _ => (String::new(), String::from("an unknown version")),
    });
    let reason = match built {
        Some((hash, _)) if hash == transform_hash()? => return Ok(Build::Incremental),
        Some((_, version)) => format!(
            "the transform SQL changed since the star schema was built (by sparkify {version}): \
             rebuilding it from all staged rows, so no row keeps the old rules"
        ),
        None => {
            let loaded = wh.fetch(&sql::statement("figures/loads.sql", &[])?)?;
            if loaded.rows.is_empty() {
                // The first build: nothing to explain.
                return Ok(Build::Rebuild(None));
            }
            "the warehouse has no record of the transform SQL that built its star schema (an \
             earlier sparkify version, or staging loaded on its own): rebuilding it from all \
             staged rows"
                .to_string()
        }
    };
    progress.note(&reason);
    Ok(Build::Rebuild(Some(reason)))
}

/// Whether the warehouse as it stands passed every check of the run that built it (see
/// `sql/schema/audit_state.sql`): read before this run changes anything.
pub(super) fn passed_checks(wh: &mut dyn Warehouse) -> Result<bool> {
    let passed = wh.fetch(&sql::statement("bookkeeping/audit_state.sql", &[])?)?;
    Ok(passed.scalar_i64()? > 0)
}

/// Records that every check passed on the warehouse as it now stands.
pub(super) fn record_checks_passed(wh: &mut dyn Warehouse) -> Result<()> {
    let now = crate::time::now_utc();
    for statement in sql::statements(
        "bookkeeping/record_checks_passed.sql",
        &[("now", Param::Text(&now))],
    )? {
        wh.run(&statement)?;
    }
    Ok(())
}

/// Moves the rows this run staged into `staging_*_new` on into staging.
pub(super) fn move_new_rows(wh: &mut dyn Warehouse) -> Result<()> {
    for table in sql::STAGING_TABLES {
        let new = sql::new_rows_table(table);
        wh.run(&sql::statement(
            "bookkeeping/move_new_rows.sql",
            &[
                ("table", Param::Text(table)),
                ("new_table", Param::Text(&new)),
            ],
        )?)?;
    }
    Ok(())
}

/// Empties the tables an incremental run works in.
pub(super) fn clear_increment(wh: &mut dyn Warehouse) -> Result<()> {
    for statement in sql::statements("bookkeeping/clear_increment.sql", &[])? {
        wh.run(&statement)?;
    }
    Ok(())
}

/// Records that the star schema now matches staging, built by this version's SQL.
pub(super) fn record_state(wh: &mut dyn Warehouse) -> Result<()> {
    let hash = transform_hash()?;
    let now = crate::time::now_utc();
    for statement in sql::statements(
        "bookkeeping/record_transform_state.sql",
        &[
            ("hash", Param::Text(&hash)),
            ("version", Param::Text(env!("CARGO_PKG_VERSION"))),
            ("now", Param::Text(&now)),
        ],
    )? {
        wh.run(&statement)?;
    }
    Ok(())
}

/// Staging changed without the star schema: the next run must rebuild it.
pub(super) fn forget_state(wh: &mut dyn Warehouse) -> Result<()> {
    for statement in sql::statements("bookkeeping/forget_transform_state.sql", &[])? {
        wh.run(&statement)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_and_covers_every_model() {
        let hash = transform_hash().unwrap();
        assert_eq!(hash.len(), 16);
        assert_eq!(hash, transform_hash().unwrap());
        for model in sql::models().unwrap() {
            for dialect in [Dialect::DuckDb, Dialect::Postgres, Dialect::Redshift] {
                sql::incremental(model, dialect).unwrap();
            }
        }
    }

    #[test]
    fn each_new_rows_table_has_its_staging_tables_columns() {
        // move_new_rows.sql moves rows with `SELECT *`, and the loader fills the new-rows
        // table with the staging table's columns.
        for table in sql::STAGING_TABLES {
            let new = sql::new_rows_table(table);
            assert!(sql::INCREMENT_TABLES.contains(&new.as_str()), "{new}");
            for dialect in [Dialect::DuckDb, Dialect::Redshift] {
                assert_eq!(
                    sql::column_definitions(&sql::schema(table, dialect).unwrap()).unwrap(),
                    sql::column_definitions(&sql::schema(&new, dialect).unwrap()).unwrap(),
                    "{new}"
                );
            }
        }
    }
}
