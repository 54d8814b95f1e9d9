//! One interface over the engines `sparkify` builds the star schema in.
//!
//! The pipeline asks a warehouse for its dialect, to run SQL, to answer queries, and for the
//! [`Stager`] that fills a staging table (sparkify's loader into a bulk sink, or the engine's
//! own COPY); locking and post-load work are hooks. It never branches on the engine.

pub mod dry_run;
pub mod duckdb;
pub mod iam_login;
pub mod postgres;
pub mod redshift;
pub mod stage;

pub use stage::{ClientStager, StageJob, Stager, Staging};

use crate::error::Result;
use crate::schema::TableSpec;
use crate::sql::{Dialect, Statement};
use crate::value::{QueryResult, Row, Value};

/// A SQL engine holding the warehouse.
pub trait Warehouse {
    fn dialect(&self) -> Dialect;

    /// Where the warehouse is, safe to print (never a password).
    fn describe(&self) -> String;

    /// Runs one or more statements that return nothing.
    fn execute(&mut self, sql: &str) -> Result<()>;

    /// Runs one query and returns all its rows.
    fn query(&mut self, sql: &str) -> Result<QueryResult>;

    /// Runs one statement whose `$1`, `$2`, ... take `binds`. Values reach the server as
    /// parameters, never as SQL text.
    fn execute_bound(&mut self, sql: &str, binds: &[Value]) -> Result<()>;

    /// Runs one query whose `$1`, `$2`, ... take `binds`, and returns all its rows.
    fn query_bound(&mut self, sql: &str, binds: &[Value]) -> Result<QueryResult>;

    /// Runs a statement of `sql/` (see [`crate::sql::statement`]).
    fn run(&mut self, statement: &Statement) -> Result<()> {
        if statement.binds.is_empty() {
            self.execute(&statement.text)
        } else {
            self.execute_bound(&statement.text, &statement.binds)
        }
    }

    /// Runs a query of `sql/` and returns all its rows.
    fn fetch(&mut self, statement: &Statement) -> Result<QueryResult> {
        if statement.binds.is_empty() {
            self.query(&statement.text)
        } else {
            self.query_bound(&statement.text, &statement.binds)
        }
    }

    /// How this engine's staging tables are filled (see [`stage`]).
    fn staging(&self) -> Staging {
        Staging::ClientLoader
    }

    /// The stager that fills `table` inside the current transaction.
    fn stager<'a>(&'a mut self, table: &TableSpec) -> Result<Box<dyn Stager + 'a>>;

    /// Hook before a load: takes the lock that keeps two `sparkify` runs from loading this
    /// warehouse at once, held until the connection closes; `false` when another run holds
    /// it. DuckDB locks its whole file anyway, and Redshift has no advisory locks.
    fn try_lock_for_load(&mut self) -> Result<bool> {
        Ok(true)
    }

    /// Hook in a run's transaction before its tables are created: brings tables an older
    /// sparkify created (any of `tables`) to today's DDL, keeping their rows, and says what it
    /// changed, one line each.
    fn upgrade_tables(&mut self, _tables: &[&str]) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Hook at the start of a load's transaction, after the tables exist: engines without a
    /// session lock ([`Warehouse::try_lock_for_load`]) take a lock here that holds until the
    /// transaction ends.
    fn lock_in_transaction(&mut self) -> Result<()> {
        Ok(())
    }

    /// Hook after a staging table was loaded, inside the transaction (PostgreSQL refreshes
    /// the planner's statistics here).
    fn after_load(&mut self, _table: &str) -> Result<()> {
        Ok(())
    }

    /// Hook after a run appended rows to its tables, inside the transaction: once staging
    /// holds the run's rows, and once the models are built (PostgreSQL summarizes the new page
    /// ranges of its BRIN indexes, so the next statements read only the ranges they need).
    fn after_append(&mut self) -> Result<()> {
        Ok(())
    }

    /// Hook before a first load or a rebuild fills `table`, inside the transaction: an engine
    /// that keeps its indexes up row by row may drop the key and the indexes of an empty table
    /// and return the statements that build them again, which the caller runs once the table
    /// is filled (PostgreSQL; DuckDB's tables have no keys or indexes of sparkify's, Redshift's
    /// keys are not enforced and it has no indexes).
    fn defer_indexes(&mut self, _table: &str) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    fn begin(&mut self) -> Result<()> {
        self.execute("BEGIN TRANSACTION")
    }

    fn commit(&mut self) -> Result<()> {
        self.execute("COMMIT")
    }

    fn rollback(&mut self) -> Result<()> {
        self.execute("ROLLBACK")
    }

    /// `SELECT COUNT(*)`-style shortcut.
    fn count(&mut self, sql: &str) -> Result<i64> {
        self.query(sql)?.scalar_i64()
    }

    /// Inserts a modest number of rows (bookkeeping: the ledger, rejected rows) as one
    /// parameterised `INSERT ... VALUES` per chunk; bulk data goes through the [`Stager`].
    fn insert_rows(&mut self, table: &str, columns: &[&str], rows: &[Row]) -> Result<()> {
        // PostgreSQL takes at most 65,535 parameters in one statement.
        let per_chunk = (MAX_BINDS / columns.len().max(1)).max(1);
        for chunk in rows.chunks(per_chunk) {
            let mut n = 0;
            let values: Vec<String> = chunk
                .iter()
                .map(|row| {
                    let marks: Vec<String> = row
                        .iter()
                        .map(|_| {
                            n += 1;
                            format!("${n}")
                        })
                        .collect();
                    format!("({})", marks.join(", "))
                })
                .collect();
            let binds: Vec<Value> = chunk.iter().flatten().cloned().collect();
            self.execute_bound(
                &format!(
                    "INSERT INTO {table} ({}) VALUES {}",
                    columns.join(", "),
                    values.join(",\n")
                ),
                &binds,
            )?;
        }
        Ok(())
    }
}

/// Parameters per statement [`Warehouse::insert_rows`] stays under.
const MAX_BINDS: usize = 30_000;

/// The engine and target of `config` as an open warehouse would describe them (never a
/// password), for a run that failed before it could open one.
pub fn describe_config(config: &WarehouseConfig) -> (&'static str, String) {
    match config {
        WarehouseConfig::DuckDb { path, .. } => ("duckdb", format!("duckdb:{}", path.display())),
        WarehouseConfig::Postgres(t) => ("postgres", t.to_string()),
        WarehouseConfig::Redshift { target, .. } => ("redshift", target.to_string()),
    }
}

/// Which warehouse to open, with everything needed to open it (the settings resolve it).
// A process holds one or two of these: boxing the large variant would save nothing worth it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum WarehouseConfig {
    DuckDb {
        path: std::path::PathBuf,
        /// DuckDB's `memory_limit`, e.g. `1GB`.
        memory_limit: String,
    },
    Postgres(postgres::Target),
    Redshift {
        target: postgres::Target,
        /// `None` when no IAM role is configured; staging then fails with a clear message.
        copy: Option<redshift::CopyAuth>,
        /// With no password configured: where to get temporary credentials.
        iam: Option<iam_login::IamLogin>,
        /// Where each run writes the manifest of the files it loads (incremental loads).
        manifest_prefix: Option<String>,
    },
}

/// Opens the warehouse the settings resolved.
pub fn open(config: &WarehouseConfig) -> Result<Box<dyn Warehouse>> {
    Ok(match config {
        WarehouseConfig::DuckDb { path, memory_limit } => {
            Box::new(duckdb::DuckDb::open_with(path, memory_limit)?)
        }
        WarehouseConfig::Postgres(target) => Box::new(postgres::Postgres::connect(target.clone())?),
        WarehouseConfig::Redshift {
            target,
            copy,
            iam,
            manifest_prefix,
        } => {
            let mut target = target.clone();
            if let (None, Some(login)) = (&target.password, iam) {
                let (user, password) =
                    login.temporary_credentials(&target.user, &target.database)?;
                target.user = user;
                target.password = Some(password);
            }
            Box::new(redshift::Redshift::open(
                target,
                copy.clone(),
                manifest_prefix.clone(),
            )?)
        }
    })
}
