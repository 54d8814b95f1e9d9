//! One interface over the engines `sparkify` builds the star schema in.
//!
//! The pipeline only asks a warehouse for its dialect, to run SQL, to answer queries, and for a
//! bulk sink that receives rows from the Rust COPY loader. It never branches on the engine.

pub mod duckdb;
pub mod postgres;
pub mod redshift;

use crate::config::Ini;
use crate::copy::load::{LoadReport, RowSink};
use crate::copy::{Cell, FormatSpec, TableSpec};
use crate::error::{Error, Result};
use crate::source::Source;
use crate::sql::{Dialect, quote_literal};

/// Columns and rows of a query answer. Timestamps arrive as ISO-8601 text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl QueryResult {
    /// The single integer a `SELECT COUNT(*) ...` returns.
    pub fn scalar_i64(&self) -> Result<i64> {
        match self.rows.first().and_then(|r| r.first()) {
            Some(Cell::Int(v)) => Ok(*v),
            Some(Cell::Double(v)) if v.fract() == 0.0 => Ok(*v as i64),
            Some(Cell::Null) => Ok(0),
            other => Err(Error::warehouse(format!(
                "expected one integer, the query returned {other:?}"
            ))),
        }
    }
}

/// A SQL engine holding the warehouse.
pub trait Warehouse {
    fn dialect(&self) -> Dialect;

    /// Where the warehouse is, safe to print (never a password).
    fn describe(&self) -> String;

    /// Runs one or more statements that return nothing.
    fn execute(&mut self, sql: &str) -> Result<()>;

    /// Runs one query and returns all its rows.
    fn query(&mut self, sql: &str) -> Result<QueryResult>;

    /// A fast path for appending many rows to `table` inside the current transaction.
    fn bulk_sink<'a>(&'a mut self, table: &TableSpec) -> Result<Box<dyn RowSink + 'a>>;

    /// The staging method: `false` (the default) when rows come from sparkify's own loader
    /// through [`Warehouse::bulk_sink`], `true` when the engine reads the source itself
    /// (Redshift's `COPY ... FROM 's3://...'`) through [`Warehouse::server_copy`].
    fn stages_server_side(&self) -> bool {
        false
    }

    /// Loads `table` from `source` on the server, inside the current transaction.
    fn server_copy(
        &mut self,
        table: &str,
        _source: &Source,
        _format: &FormatSpec,
        _max_errors: u64,
    ) -> Result<LoadReport> {
        Err(Error::usage(format!(
            "{} cannot load {table} by itself; sparkify's loader does it",
            self.describe()
        )))
    }

    /// Takes the lock that keeps two `sparkify` runs from loading this warehouse at once, held
    /// until the connection closes; `false` when another run holds it. DuckDB locks its whole
    /// file anyway, and Redshift has no advisory locks.
    fn try_lock_for_load(&mut self) -> Result<bool> {
        Ok(true)
    }

    /// Refreshes the planner's statistics of a freshly loaded table, inside the transaction.
    /// PostgreSQL needs it: without statistics it joins the staged plays to the catalogue
    /// with a nested loop (seconds on 10k events, hours on millions).
    fn analyze(&mut self, _table: &str) -> Result<()> {
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

/// The default warehouse: an embedded DuckDB file in the working directory.
pub const DEFAULT_WAREHOUSE: &str = "duckdb:sparkify.duckdb";

/// Opens the warehouse a `--warehouse` value names: `duckdb:PATH` (or a `.duckdb` path),
/// `postgres://...`, `redshift://...`, or `redshift` for the endpoint in `dwh.cfg`.
pub fn open(spec: &str, ini: &Ini) -> Result<Box<dyn Warehouse>> {
    let spec = spec.trim();
    if let Some(path) = spec.strip_prefix("duckdb:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(Error::usage(
                "--warehouse duckdb: needs a file path, e.g. duckdb:sparkify.duckdb",
            ));
        }
        return Ok(Box::new(duckdb::DuckDb::open(std::path::Path::new(path))?));
    }
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        let target = postgres::Target::parse(spec, 5432, "prefer")?;
        return Ok(Box::new(postgres::Postgres::connect(target)?));
    }
    if spec == "redshift" || spec.starts_with("redshift://") {
        return Ok(Box::new(redshift::Redshift::open(spec, ini)?));
    }
    if let Some((scheme, _)) = spec.split_once("://") {
        return Err(Error::usage(format!(
            "--warehouse: unknown or unsupported scheme {scheme:?}; use duckdb:PATH, \
             postgres://USER@HOST:PORT/DB or redshift://USER@HOST:5439/DB"
        )));
    }
    if spec.ends_with(".duckdb") || spec.ends_with(".db") {
        return Ok(Box::new(duckdb::DuckDb::open(std::path::Path::new(spec))?));
    }
    Err(Error::usage(format!(
        "--warehouse {:?} is not understood; use duckdb:PATH (e.g. duckdb:sparkify.duckdb), \
         postgres://... or redshift://...",
        postgres::redact(spec)
    )))
}
