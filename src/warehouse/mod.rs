//! One interface over the engines `sparkify` builds the star schema in.
//!
//! The pipeline asks a warehouse for its dialect, to run SQL, to answer queries, and for the
//! [`Stager`] that fills a staging table (sparkify's loader into a bulk sink, or the engine's
//! own COPY); locking and post-load work are hooks. It never branches on the engine.

pub mod duckdb;
pub mod postgres;
pub mod redshift;
pub mod stage;

pub use stage::{ClientStager, StageJob, Stager, Staging};

use crate::error::Result;
use crate::schema::TableSpec;
use crate::sql::{Dialect, quote_literal};
use crate::value::QueryResult;

/// A SQL engine holding the warehouse.
pub trait Warehouse {
    fn dialect(&self) -> Dialect;

    /// Where the warehouse is, safe to print (never a password).
    fn describe(&self) -> String;

    /// Runs one or more statements that return nothing.
    fn execute(&mut self, sql: &str) -> Result<()>;

    /// Runs one query and returns all its rows.
    fn query(&mut self, sql: &str) -> Result<QueryResult>;

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

    /// Hook after a staging table was loaded, inside the transaction (PostgreSQL refreshes
    /// the planner's statistics here).
    fn after_load(&mut self, _table: &str) -> Result<()> {
        Ok(())
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

    /// Inserts a modest number of rows with literal `VALUES`; for bookkeeping tables, where the
    /// statement is portable and the row count small. Bulk data goes through [`bulk_sink`].
    fn insert_rows(&mut self, table: &str, columns: &[&str], rows: &[Vec<Literal>]) -> Result<()> {
        for chunk in rows.chunks(500) {
            let values: Vec<String> = chunk
                .iter()
                .map(|row| {
                    let cells: Vec<String> = row.iter().map(Literal::sql).collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            self.execute(&format!(
                "INSERT INTO {table} ({}) VALUES {}",
                columns.join(", "),
                values.join(",\n")
            ))?;
        }
        Ok(())
    }
}

/// A value written into SQL text by [`Warehouse::insert_rows`].
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Text(String),
    Int(i64),
    /// `YYYY-MM-DD HH:MM:SS` in UTC.
    Timestamp(String),
}

impl Literal {
    pub fn sql(&self) -> String {
        match self {
            Literal::Null => "NULL".into(),
            Literal::Text(s) => quote_literal(s),
            Literal::Int(v) => v.to_string(),
            Literal::Timestamp(t) => format!("CAST({} AS TIMESTAMP)", quote_literal(t)),
        }
    }

    pub fn opt_text(value: Option<&str>) -> Literal {
        value.map_or(Literal::Null, |s| Literal::Text(s.to_string()))
    }
}

/// Which warehouse to open, with everything needed to open it (the settings resolve it).
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
    },
}

/// Opens the warehouse the settings resolved.
pub fn open(config: &WarehouseConfig) -> Result<Box<dyn Warehouse>> {
    Ok(match config {
        WarehouseConfig::DuckDb { path, memory_limit } => {
            Box::new(duckdb::DuckDb::open_with(path, memory_limit)?)
        }
        WarehouseConfig::Postgres(target) => Box::new(postgres::Postgres::connect(target.clone())?),
        WarehouseConfig::Redshift { target, copy } => {
            Box::new(redshift::Redshift::open(target.clone(), copy.clone())?)
        }
    })
}
