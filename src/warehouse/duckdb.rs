//! The embedded default warehouse: one DuckDB file, no server.

use std::path::{Path, PathBuf};

use duckdb::types::{TimeUnit, ToSqlOutput, Value, ValueRef};
use duckdb::{Appender, Connection, ToSql, appender_params_from_iter};

use super::{QueryResult, Warehouse};
use crate::copy::load::RowSink;
use crate::copy::{Cell, Row, TableSpec};
use crate::error::{Error, Result};
use crate::sql::Dialect;

pub struct DuckDb {
    conn: Connection,
    path: PathBuf,
}

impl DuckDb {
    /// Opens (or creates) a DuckDB file, turning DuckDB's low-level messages about locks and
    /// foreign files into ones that say what to do.
    pub fn open(path: &Path) -> Result<DuckDb> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            return Err(Error::warehouse(format!(
                "cannot create the warehouse {}: folder {} does not exist",
                path.display(),
                parent.display()
            )));
        }
        if path.is_dir() {
            return Err(Error::warehouse(format!(
                "the warehouse path {} is a folder, not a DuckDB file",
                path.display()
            )));
        }
        let conn = Connection::open(path).map_err(|e| open_error(path, &e))?;
        Ok(DuckDb {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self, e: duckdb::Error) -> Error {
        Error::warehouse(format!("DuckDB ({}): {e}", self.path.display()))
    }
}

fn open_error(path: &Path, e: &duckdb::Error) -> Error {
    let text = e.to_string();
    let p = path.display();
    if text.contains("Could not set lock") || text.contains("Conflicting lock") {
        let holder = text
            .split("(PID ")
            .nth(1)
            .and_then(|s| s.split(')').next())
            .map(|pid| format!(" (process {pid})"))
            .unwrap_or_default();
        Error::warehouse(format!(
            "the warehouse {p} is in use by another process{holder}; wait for it to finish, or \
             point --warehouse at another file"
        ))
    } else if text.contains("not a valid DuckDB database file") || text.contains("is not a DuckDB")
    {
        Error::warehouse(format!(
            "{p} exists but is not a DuckDB database file; choose another --warehouse path \
             rather than overwrite it"
        ))
    } else {
        Error::warehouse(format!("cannot open DuckDB warehouse {p}: {text}"))
    }
}

impl Warehouse for DuckDb {
    fn dialect(&self) -> Dialect {
        Dialect::DuckDb
    }

    fn describe(&self) -> String {
        format!("duckdb:{}", self.path.display())
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| self.err(e))
    }

    fn query(&mut self, sql: &str) -> Result<QueryResult> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        let mut kinds: Option<Vec<ColumnKind>> = None;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let kinds = match &mut kinds {
                Some(k) => k,
                None => kinds.insert(column_kinds(row.as_ref())?),
            };
            let mut cells = Vec::with_capacity(kinds.len());
            for (i, kind) in kinds.iter().enumerate() {
                cells.push(match kind {
                    ColumnKind::AlwaysNull => Cell::Null,
                    ColumnKind::Readable => cell_from(row.get_ref(i).map_err(|e| self.err(e))?),
                });
            }
            out.push(cells);
        }
        drop(rows);
        let columns = stmt.column_names();
        Ok(QueryResult { columns, rows: out })
    }

    fn bulk_sink<'a>(&'a mut self, table: &TableSpec) -> Result<Box<dyn RowSink + 'a>> {
        let appender = self.conn.appender(&table.name).map_err(|e| {
            Error::warehouse(format!("DuckDB: cannot append to {}: {e}", table.name))
        })?;
        Ok(Box::new(DuckSink {
            appender,
            table: table.name.clone(),
        }))
    }
}

struct DuckSink<'a> {
    appender: Appender<'a>,
    table: String,
}

/// Borrowed view of a cell for DuckDB's appender.
struct Param<'c>(&'c Cell);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Cell::Null => ToSqlOutput::Owned(Value::Null),
            Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Cell::Int(v) => ToSqlOutput::Owned(Value::BigInt(*v)),
            Cell::Double(v) => ToSqlOutput::Owned(Value::Double(*v)),
            Cell::Bool(v) => ToSqlOutput::Owned(Value::Boolean(*v)),
        })
    }
}

impl RowSink for DuckSink<'_> {
    fn append(&mut self, rows: Vec<Row>) -> Result<()> {
        for row in &rows {
            self.appender
                .append_row(appender_params_from_iter(row.iter().map(Param)))
                .map_err(|e| {
                    Error::warehouse(format!("DuckDB: appending to {}: {e}", self.table))
                })?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.appender
            .flush()
            .map_err(|e| Error::warehouse(format!("DuckDB: writing {}: {e}", self.table)))
    }
}

enum ColumnKind {
    Readable,
    /// DuckDB's NULL type (`SELECT NULL AS c`), which duckdb-rs cannot read.
    AlwaysNull,
}

/// duckdb-rs panics on Arrow types it does not know; find them before reading any value.
fn column_kinds(stmt: &duckdb::Statement<'_>) -> Result<Vec<ColumnKind>> {
    use duckdb::arrow::datatypes::DataType as T;
    (0..stmt.column_count())
        .map(|i| match stmt.column_type(i) {
            T::Null => Ok(ColumnKind::AlwaysNull),
            T::Boolean
            | T::Int8
            | T::Int16
            | T::Int32
            | T::Int64
            | T::UInt8
            | T::UInt16
            | T::UInt32
            | T::UInt64
            | T::Float16
            | T::Float32
            | T::Float64
            | T::Decimal32(..)
            | T::Decimal64(..)
            | T::Decimal128(..)
            | T::Utf8
            | T::LargeUtf8
            | T::Binary
            | T::LargeBinary
            | T::FixedSizeBinary(_)
            | T::Date32
            | T::Date64
            | T::Time32(_)
            | T::Time64(_)
            | T::Timestamp(..)
            | T::Interval(_)
            | T::List(_)
            | T::LargeList(_)
            | T::FixedSizeList(..)
            | T::Struct(_)
            | T::Map(..)
            | T::Union(..)
            | T::Dictionary(..) => Ok(ColumnKind::Readable),
            other => Err(Error::warehouse(format!(
                "column {} has type {other}, which sparkify cannot read; CAST it to VARCHAR",
                stmt.column_name(i).map_or("?", |n| n.as_str())
            ))),
        })
        .collect()
}

/// Converts a DuckDB value into the engine-neutral cell.
fn cell_from(value: ValueRef<'_>) -> Cell {
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Boolean(b) => Cell::Bool(b),
        ValueRef::TinyInt(v) => Cell::Int(v.into()),
        ValueRef::SmallInt(v) => Cell::Int(v.into()),
        ValueRef::Int(v) => Cell::Int(v.into()),
        ValueRef::BigInt(v) => Cell::Int(v),
        ValueRef::UTinyInt(v) => Cell::Int(v.into()),
        ValueRef::USmallInt(v) => Cell::Int(v.into()),
        ValueRef::UInt(v) => Cell::Int(v.into()),
        ValueRef::UBigInt(v) => i64::try_from(v).map_or(Cell::Double(v as f64), Cell::Int),
        ValueRef::HugeInt(v) => i64::try_from(v).map_or(Cell::Double(v as f64), Cell::Int),
        ValueRef::UHugeInt(v) => i64::try_from(v).map_or(Cell::Double(v as f64), Cell::Int),
        ValueRef::Float(v) => Cell::Double(v.into()),
        ValueRef::Double(v) => Cell::Double(v),
        ValueRef::Decimal(d) => {
            let text = d.to_string();
            match text.parse::<i64>() {
                Ok(i) => Cell::Int(i),
                Err(_) => text.parse::<f64>().map_or(Cell::Text(text), Cell::Double),
            }
        }
        ValueRef::Text(bytes) => Cell::Text(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Timestamp(unit, v) => Cell::Text(format_timestamp(to_micros(unit, v))),
        ValueRef::Date32(days) => Cell::Text(crate::time::format_date(i64::from(days))),
        ValueRef::Time64(unit, v) => {
            let us = to_micros(unit, v);
            Cell::Text(crate::time::format_time_of_day(us))
        }
        other => match other.to_owned() {
            Value::Interval {
                months,
                days,
                nanos,
            } => Cell::Text(format!(
                "{months} months {days} days {} s",
                nanos as f64 / 1e9
            )),
            v => Cell::Text(format!("{v:?}")),
        },
    }
}

fn to_micros(unit: TimeUnit, v: i64) -> i64 {
    match unit {
        TimeUnit::Second => v.saturating_mul(1_000_000),
        TimeUnit::Millisecond => v.saturating_mul(1_000),
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v / 1_000,
    }
}

fn format_timestamp(micros: i64) -> String {
    crate::time::format_timestamp_micros(micros)
}
