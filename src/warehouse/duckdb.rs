//! The embedded default warehouse: one DuckDB file, no server.

mod stage;

use std::path::{Path, PathBuf};

use duckdb::arrow;
use duckdb::types::{TimeUnit, Value as DuckValue, ValueRef};
use duckdb::{Appender, Connection};

use super::{ClientStager, StageJob, Stager, Warehouse};
use crate::copy::load::{self, FileReport, LoadReport, RowSink};
use crate::error::{Error, Result};
use crate::schema::{ColumnType, TableSpec};
use crate::sql::{Dialect, Param};
use crate::value::QueryResult;
use crate::value::{Row, Value};

pub struct DuckDb {
    conn: Connection,
    path: PathBuf,
    /// Ctrl-C interrupts the statement running on `conn`.
    _interrupt: crate::interrupt::Registration,
}

/// DuckDB's memory cap unless configured otherwise (the `duckdb_memory` setting).
pub const DEFAULT_MEMORY_LIMIT: &str = "500MB";

impl DuckDb {
    /// Opens (or creates) a DuckDB file, turning DuckDB's low-level messages about locks and
    /// foreign files into ones that say what to do.
    pub fn open(path: &Path) -> Result<DuckDb> {
        DuckDb::open_with(path, DEFAULT_MEMORY_LIMIT)
    }

    /// [`DuckDb::open`] with DuckDB's memory cap (`memory_limit`, e.g. `1GB`).
    pub fn open_with(path: &Path, memory_limit: &str) -> Result<DuckDb> {
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
        // DuckDB's default buffer pool (80 % of RAM) let a 10M-event run hold 5.4 GB; with a
        // cap DuckDB spills to `<file>.tmp` instead, and the process holds 110-170 MB beyond
        // it (allocations outside DuckDB's buffer pool, with freed blocks handed back below).
        // 500 MB since songplays is numbered by a narrow sort
        // (sql/duckdb/transform/songplays.sql): at 10M events it peaked at
        // 694-703 MB in 45.6-48.9 s, against 977-992 MB in 45.5-49.0 s under 800 MB; before
        // that change 500 MB cost 20 %. A 1M-event run peaks at 0.32 GB under either cap
        // below 800 MB (BENCHMARKS.md 2026-12-03, night).
        let limit = memory_limit;
        // SET takes no parameters; the value is quoted for DuckDB and checked by DuckDB.
        let quoted = crate::sql::quote_literal_in(Dialect::DuckDb, limit)?;
        conn.execute_batch(&format!("SET memory_limit = {quoted}"))
        .map_err(|e| {
            Error::usage(format!(
                "SPARKIFY_DUCKDB_MEMORY={limit:?} is not a memory size DuckDB accepts (e.g. 1GB): {e}"
            ))
        })?;
        // DuckDB frees the blocks it evicts into glibc's heap, which keeps them resident, and
        // hands them back (malloc_trim) only once what it freed passes this threshold while
        // it is near its cap. The default, 512 MiB, is more than the whole 500 MB cap, and a
        // 10M-event run peaked at 639-755 MB; at 64 MiB it peaked at 611-633 MB at the same
        // speed, and a 1M run at the same 340 MB (BENCHMARKS.md 2026-12-04, evening).
        // DuckDB trims at most every 100 ms, and only near its cap.
        conn.execute_batch("SET allocator_bulk_deallocation_flush_threshold = '64MiB'")
            .map_err(|e| Error::warehouse(format!("cannot set DuckDB's allocator: {e}")))?;
        stage::register(&conn)?;
        let handle = conn.interrupt_handle();
        let _interrupt = crate::interrupt::on_request(move || handle.interrupt());
        Ok(DuckDb {
            conn,
            path: path.to_path_buf(),
            _interrupt,
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
        self.query_bound(sql, &[])
    }

    fn execute_bound(&mut self, sql: &str, binds: &[Value]) -> Result<()> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        stmt.execute(duckdb::params_from_iter(binds.iter().map(duck_value)))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn query_bound(&mut self, sql: &str, binds: &[Value]) -> Result<QueryResult> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(duckdb::params_from_iter(binds.iter().map(duck_value)))
            .map_err(|e| self.err(e))?;
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
                    ColumnKind::AlwaysNull => Value::Null,
                    ColumnKind::Readable => cell_from(row.get_ref(i).map_err(|e| self.err(e))?),
                });
            }
            out.push(cells);
        }
        drop(rows);
        let columns = stmt.column_names();
        Ok(QueryResult { columns, rows: out })
    }

    fn stager<'a>(&'a mut self, _table: &TableSpec) -> Result<Box<dyn Stager + 'a>> {
        Ok(Box::new(DuckStager { db: self }))
    }

    /// Tables created with a PRIMARY KEY (sparkify before 2026-12) are rebuilt without it: see
    /// `sql::without_primary_key` for why DuckDB's tables have none. Once per warehouse; the
    /// rows stay as they are, so the star schema stays incremental.
    fn upgrade_tables(&mut self, tables: &[&str]) -> Result<Vec<String>> {
        let keyed = self.fetch(&crate::sql::statement(
            "bookkeeping/duckdb_keyed_tables.sql",
            &[],
        )?)?;
        let keyed: Vec<String> = keyed
            .rows
            .iter()
            .filter_map(|r| match r.first() {
                Some(Value::Text(t)) if tables.contains(&t.as_str()) => Some(t.clone()),
                _ => None,
            })
            .collect();
        if keyed.is_empty() {
            return Ok(Vec::new());
        }
        for table in &keyed {
            let old = format!("{table}__keyed");
            let statements = crate::sql::statements(
                "bookkeeping/duckdb_drop_primary_key.sql",
                &[("table", Param::Text(table)), ("old", Param::Text(&old))],
            )?;
            let Some((rename, rest)) = statements.split_first() else {
                return Err(Error::usage(
                    "sql/bookkeeping/duckdb_drop_primary_key.sql is empty",
                ));
            };
            self.run(rename)?;
            self.execute(&crate::sql::schema(table, Dialect::DuckDb)?)?;
            for statement in rest {
                self.run(statement)?;
            }
        }
        Ok(vec![format!(
            "{}: dropped the PRIMARY KEY of {} (sparkify no longer gives DuckDB tables one: \
             its index made rebuilds run out of memory; the unique checks enforce the same keys \
             before every commit); the rows are unchanged",
            self.describe(),
            keyed.join(", ")
        )])
    }

    /// Bookkeeping rows (the ledger: one per file, 15,000 for the song files) through DuckDB's
    /// appender: an `INSERT ... VALUES` of thousands of bound rows spent seconds in DuckDB's
    /// parser and planner alone. The appender writes in the current transaction, and casts a
    /// text value to the column's type (a TIMESTAMP) as an INSERT would.
    fn insert_rows(&mut self, table: &str, columns: &[&str], rows: &[Row]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let err = |e: duckdb::Error| Error::warehouse(format!("DuckDB: appending to {table}: {e}"));
        let mut appender = self
            .conn
            .appender_with_columns(table, columns)
            .map_err(err)?;
        for row in rows {
            appender
                .append_row(duckdb::appender_params_from_iter(
                    row.iter().map(duck_value),
                ))
                .map_err(err)?;
        }
        appender.flush().map_err(err)
    }
}

/// Stages on DuckDB's threads ([`stage`]) for local files; S3 objects go through the
/// appender, fed by `remote_concurrency` reader threads, because reading them waits on the
/// network and DuckDB's scan would keep only one request in flight per core.
struct DuckStager<'a> {
    db: &'a mut DuckDb,
}

impl Stager for DuckStager<'_> {
    fn load(
        &mut self,
        job: &StageJob<'_>,
        on_file: &mut dyn FnMut(&FileReport),
    ) -> Result<LoadReport> {
        // The data-conversion options (`--copy-options`, `sparkify copy`) go through the
        // single-writer driver too: it counts what they changed (replacements,
        // truncations). The table function covers loads without them, compressed files
        // included (both paths decompress in the same reader).
        let plain = job.options.conversion == crate::copy::Conversion::default();
        if job.source.is_remote()
            || !plain
            || !stage::writes(job.spec)
            || !whole_rows(self.db, job.spec)?
        {
            let mut client = ClientStager::new(self.db.bulk_sink(job.spec)?);
            let report = client.load(job, on_file)?;
            if !report.exceeded_max_errors {
                client.finish()?;
            }
            return Ok(report);
        }
        let json = job.json.ok_or_else(|| {
            Error::usage(format!(
                "the loader for {} was given no resolved JSON format",
                job.spec.name
            ))
        })?;
        stage::load_parallel(
            &mut self.db.conn,
            job.spec,
            json,
            job.source,
            job.files,
            job.options,
            on_file,
        )
    }
}

/// Whether `spec` names every column of its table, in order: the table function's `INSERT`
/// fills whole rows, so a COPY with a column list (`sparkify copy`) goes through the appender,
/// which leaves the other columns to their DEFAULT.
fn whole_rows(db: &mut DuckDb, spec: &TableSpec) -> Result<bool> {
    let (schema, name) = spec.name.split_once('.').unwrap_or(("", &spec.name));
    let found = db.fetch(&crate::sql::statement(
        "bookkeeping/table_columns.sql",
        &[
            ("table", Param::Text(name)),
            ("schema", Param::Text(schema)),
        ],
    )?)?;
    let names: Vec<&str> = found
        .rows
        .iter()
        .filter_map(|r| match r.first() {
            Some(Value::Text(s)) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    Ok(names.len() == spec.columns.len()
        && names
            .iter()
            .zip(&spec.columns)
            .all(|(n, c)| n.eq_ignore_ascii_case(&c.name)))
}

/// A bound value as DuckDB takes it.
fn duck_value(v: &Value) -> DuckValue {
    match v {
        Value::Null => DuckValue::Null,
        Value::Text(s) => DuckValue::Text(s.clone()),
        Value::Int(n) => DuckValue::BigInt(*n),
        Value::Double(d) => DuckValue::Double(*d),
        Value::Bool(b) => DuckValue::Boolean(*b),
    }
}

impl DuckDb {
    /// Appends rows to `table` through DuckDB's appender, as Arrow record batches.
    fn bulk_sink<'a>(&'a mut self, table: &TableSpec) -> Result<Box<dyn RowSink + 'a>> {
        // Only the spec's columns: a COPY with a column list leaves the others to their
        // DEFAULT, and the appender gives them that.
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let appender = match table.name.split_once('.') {
            Some((schema, name)) => self.conn.appender_with_columns_to_db(name, schema, &names),
            None => self.conn.appender_with_columns(&table.name, &names),
        }
        .map_err(|e| Error::warehouse(format!("DuckDB: cannot append to {}: {e}", table.name)))?;
        let fields: Vec<arrow::datatypes::Field> = table
            .columns
            .iter()
            .map(|c| arrow::datatypes::Field::new(&c.name, arrow_type(&c.ty), true))
            .collect();
        Ok(Box::new(DuckSink {
            appender,
            table: table.name.clone(),
            schema: std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
            types: table.columns.iter().map(|c| c.ty).collect(),
            pending: Pending::default(),
        }))
    }
}

struct DuckSink<'a> {
    appender: Appender<'a>,
    table: String,
    schema: std::sync::Arc<arrow::datatypes::Schema>,
    types: Vec<ColumnType>,
    pending: Pending,
}

/// Rows waiting to go out as one record batch: song files arrive one row at a time. They go
/// out at [`APPEND_ROWS`] rows, or sooner at [`load::BATCH_TEXT`] bytes of text, the bound of
/// the loader's own batches (rows of 4 MB records would otherwise gather 32 GB).
#[derive(Default)]
struct Pending {
    rows: Vec<Row>,
    text: usize,
}

impl Pending {
    /// Takes `rows`, and gives back the rows to write now when there are enough of them.
    fn add(&mut self, rows: Vec<Row>) -> Option<Vec<Row>> {
        let text: usize = rows.iter().map(load::text_bytes).sum();
        if self.rows.is_empty() && (rows.len() >= APPEND_ROWS || text >= load::BATCH_TEXT) {
            return Some(rows);
        }
        self.rows.extend(rows);
        self.text += text;
        (self.rows.len() >= APPEND_ROWS || self.text >= load::BATCH_TEXT).then(|| self.rest())
    }

    /// Whatever is waiting.
    fn rest(&mut self) -> Vec<Row> {
        self.text = 0;
        std::mem::take(&mut self.rows)
    }
}

/// Rows per record batch handed to DuckDB (its vector size is 2,048).
const APPEND_ROWS: usize = 8192;

impl DuckSink<'_> {
    /// One column of `rows` as an Arrow array of the column's type. The converter has already
    /// checked every value against the type, so a mismatch here is a bug, reported as such.
    fn column(&self, rows: &[Row], i: usize) -> Result<arrow::array::ArrayRef> {
        use arrow::array::*;
        let mismatch = |cell: &Value| {
            Error::warehouse(format!(
                "DuckDB: appending to {}: column {} got {cell:?}",
                self.table,
                self.schema.field(i).name()
            ))
        };
        let cells = rows.iter().map(|r| r.get(i).unwrap_or(&Value::Null));
        macro_rules! ints {
            ($builder:ty, $t:ty) => {{
                let mut b = <$builder>::with_capacity(rows.len());
                for cell in cells {
                    match cell {
                        Value::Null => b.append_null(),
                        Value::Int(v) => {
                            b.append_value(<$t>::try_from(*v).map_err(|_| mismatch(cell))?)
                        }
                        other => return Err(mismatch(other)),
                    }
                }
                std::sync::Arc::new(b.finish()) as ArrayRef
            }};
        }
        Ok(match self.types[i] {
            ColumnType::SmallInt => ints!(Int16Builder, i16),
            ColumnType::Integer => ints!(Int32Builder, i32),
            ColumnType::BigInt => ints!(Int64Builder, i64),
            ColumnType::Double | ColumnType::Real => {
                let mut b = Float64Builder::with_capacity(rows.len());
                for cell in cells {
                    match cell {
                        Value::Null => b.append_null(),
                        Value::Double(v) => b.append_value(*v),
                        Value::Int(v) => b.append_value(*v as f64),
                        other => return Err(mismatch(other)),
                    }
                }
                std::sync::Arc::new(b.finish())
            }
            ColumnType::Boolean => {
                let mut b = BooleanBuilder::with_capacity(rows.len());
                for cell in cells {
                    match cell {
                        Value::Null => b.append_null(),
                        Value::Bool(v) => b.append_value(*v),
                        other => return Err(mismatch(other)),
                    }
                }
                std::sync::Arc::new(b.finish())
            }
            // Decimals, timestamps and dates travel as text, which DuckDB casts to the column's
            // type as it appends.
            ColumnType::Varchar(_)
            | ColumnType::Char(_)
            | ColumnType::Decimal(..)
            | ColumnType::Timestamp
            | ColumnType::Date => {
                let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
                for cell in cells {
                    match cell {
                        Value::Null => b.append_null(),
                        Value::Text(v) => b.append_value(v),
                        other => return Err(mismatch(other)),
                    }
                }
                std::sync::Arc::new(b.finish())
            }
        })
    }
}

fn arrow_type(ty: &ColumnType) -> arrow::datatypes::DataType {
    use arrow::datatypes::DataType as T;
    match ty {
        ColumnType::SmallInt => T::Int16,
        ColumnType::Integer => T::Int32,
        ColumnType::BigInt => T::Int64,
        ColumnType::Double | ColumnType::Real => T::Float64,
        ColumnType::Boolean => T::Boolean,
        ColumnType::Varchar(_)
        | ColumnType::Char(_)
        | ColumnType::Decimal(..)
        | ColumnType::Timestamp
        | ColumnType::Date => T::Utf8,
    }
}

impl RowSink for DuckSink<'_> {
    /// Appends column-wise: batches of rows become Arrow record batches that DuckDB takes as
    /// whole vectors, instead of a C call and a cast per value. The one writer thread is still
    /// what limits staging into DuckDB (more parser threads do not help; BENCHMARKS.md).
    fn append(&mut self, rows: Vec<Row>) -> Result<()> {
        match self.pending.add(rows) {
            Some(rows) => self.write(&rows),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<()> {
        let rows = self.pending.rest();
        self.write(&rows)?;
        self.appender
            .flush()
            .map_err(|e| Error::warehouse(format!("DuckDB: writing {}: {e}", self.table)))
    }
}

impl DuckSink<'_> {
    fn write(&mut self, rows: &[Row]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let columns = (0..self.types.len())
            .map(|i| self.column(rows, i))
            .collect::<Result<Vec<_>>>()?;
        let batch = arrow::record_batch::RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| Error::warehouse(format!("DuckDB: appending to {}: {e}", self.table)))?;
        self.appender
            .append_record_batch(batch)
            .map_err(|e| Error::warehouse(format!("DuckDB: appending to {}: {e}", self.table)))
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
fn cell_from(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Boolean(b) => Value::Bool(b),
        ValueRef::TinyInt(v) => Value::Int(v.into()),
        ValueRef::SmallInt(v) => Value::Int(v.into()),
        ValueRef::Int(v) => Value::Int(v.into()),
        ValueRef::BigInt(v) => Value::Int(v),
        ValueRef::UTinyInt(v) => Value::Int(v.into()),
        ValueRef::USmallInt(v) => Value::Int(v.into()),
        ValueRef::UInt(v) => Value::Int(v.into()),
        ValueRef::UBigInt(v) => i64::try_from(v).map_or(Value::Double(v as f64), Value::Int),
        ValueRef::HugeInt(v) => i64::try_from(v).map_or(Value::Double(v as f64), Value::Int),
        ValueRef::UHugeInt(v) => i64::try_from(v).map_or(Value::Double(v as f64), Value::Int),
        ValueRef::Float(v) => Value::Double(v.into()),
        ValueRef::Double(v) => Value::Double(v),
        ValueRef::Decimal(d) => {
            let text = d.to_string();
            match text.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => text.parse::<f64>().map_or(Value::Text(text), Value::Double),
            }
        }
        ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Timestamp(unit, v) => Value::Text(format_timestamp(to_micros(unit, v))),
        ValueRef::Date32(days) => Value::Text(crate::time::format_date(i64::from(days))),
        ValueRef::Time64(unit, v) => {
            let us = to_micros(unit, v);
            Value::Text(crate::time::format_time_of_day(us))
        }
        other => match other.to_owned() {
            DuckValue::Interval {
                months,
                days,
                nanos,
            } => Value::Text(format!(
                "{months} months {days} days {} s",
                nanos as f64 / 1e9
            )),
            v => Value::Text(format!("{v:?}")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(count: usize, text: usize) -> Vec<Row> {
        (0..count)
            .map(|_| vec![Value::Int(1), Value::Text("x".repeat(text))])
            .collect()
    }

    /// Small rows (a song file's one row at a time) gather up to a full record batch; rows
    /// with a lot of text go out once their text reaches the loader's bound, not at 8,192 rows.
    #[test]
    fn pending_rows_go_out_by_count_or_by_text() {
        let mut pending = Pending::default();
        for _ in 1..APPEND_ROWS {
            assert!(pending.add(rows(1, 100)).is_none());
        }
        assert_eq!(
            pending.add(rows(1, 100)).map(|r| r.len()),
            Some(APPEND_ROWS)
        );
        assert!(pending.rest().is_empty());

        let quarter = load::BATCH_TEXT / 4;
        for _ in 0..3 {
            assert!(pending.add(rows(1, quarter)).is_none());
        }
        assert_eq!(pending.add(rows(1, quarter)).map(|r| r.len()), Some(4));
        assert_eq!(
            pending.add(rows(2, load::BATCH_TEXT)).map(|r| r.len()),
            Some(2)
        );
        assert!(pending.add(rows(3, 10)).is_none());
        assert_eq!(pending.rest().len(), 3);
    }
}
