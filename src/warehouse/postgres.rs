//! PostgreSQL, and the wire protocol Redshift shares with it.
//!
//! Rows from the Rust COPY loader go in with `COPY ... FROM STDIN` (text format) inside the
//! step's transaction: one round trip per batch, not one per row. The loader's parser threads
//! write the text ([`copy_text`]); this side only sends it. Query answers are fetched as
//! text and typed by the column types the server reports, so `NUMERIC` sums, timestamps and
//! anything else print exactly as PostgreSQL prints them.

mod binds;
mod target;

use std::io::Write;

use postgres::types::Type;
use postgres::{Client, CopyInWriter, SimpleQueryMessage};

use super::{ClientStager, Stager, Warehouse};
use crate::copy::copy_text;
use crate::copy::load::RowSink;
use crate::error::{Error, Result};
use crate::schema::TableSpec;
use crate::sql::Dialect;
use crate::value::QueryResult;
use crate::value::{Row, Value};
use binds::{Bind, Cell};

pub use target::{ConnDefaults, Target, describe_error, redact};

/// Whether `e` means the connection is gone: closed, an I/O failure, a connection-class
/// SQLSTATE (08xxx), or the server shutting down (57P01-57P03).
fn connection_lost(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        return code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03");
    }
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

/// The library error for a failed statement, told apart by whether the connection survived.
fn statement_error(target: &dyn std::fmt::Display, e: &postgres::Error) -> Error {
    let message = format!("{target}: {}", describe_error(e));
    if connection_lost(e) {
        Error::ConnectionLost(message)
    } else {
        Error::Warehouse(message)
    }
}

/// A failed COPY write, told apart by what failed. The client wraps its own error in the
/// `io::Error` (the connection closed, the socket failed, or the server or client refused
/// something), and that decides as for any statement; a bare `io::Error` is the socket.
fn copy_write_error(target: &str, e: &std::io::Error) -> Error {
    let context = format!("{target}: COPY failed");
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<postgres::Error>())
    {
        Some(pg) => statement_error(&context, pg),
        None => Error::ConnectionLost(format!("{context}: {e}")),
    }
}

/// A PostgreSQL warehouse.
pub struct Postgres {
    client: Client,
    target: Target,
    dialect: Dialect,
    /// Ctrl-C cancels the statement this session is running.
    _interrupt: crate::interrupt::Registration,
}

impl Postgres {
    pub fn connect(target: Target) -> Result<Postgres> {
        Self::connect_as(target, Dialect::Postgres)
    }

    /// Also used for Redshift, which speaks the same protocol.
    pub fn connect_as(target: Target, dialect: Dialect) -> Result<Postgres> {
        let (mut client, cancel) = target.connect_cancellable()?;
        let _interrupt = crate::interrupt::on_request(cancel);
        if dialect == Dialect::Postgres {
            // A server or database configured with standard_conforming_strings = off reads
            // backslashes in literals as escapes; sparkify's own literals assume the standard.
            client
                .batch_execute(crate::sql::file("bookkeeping/postgres_session.sql")?)
                .map_err(|e| statement_error(&target, &e))?;
        }
        Ok(Postgres {
            client,
            target,
            dialect,
            _interrupt,
        })
    }

    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    fn err(&self, e: postgres::Error) -> Error {
        statement_error(&self.target, &e)
    }
}

impl Warehouse for Postgres {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn describe(&self) -> String {
        self.target.to_string()
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        self.client
            .batch_execute(sql)
            .map_err(|e| statement_error(&self.target, &e))
    }

    /// Without statistics PostgreSQL joins the staged plays to the catalogue with a nested
    /// loop (seconds on 10k events, hours on millions).
    fn after_load(&mut self, table: &str) -> Result<()> {
        self.run(&crate::sql::statement(
            "bookkeeping/analyze.sql",
            &[("table", crate::sql::Param::Text(table))],
        )?)
    }

    fn after_append(&mut self) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            self.execute(crate::sql::file("bookkeeping/postgres_summarize.sql")?)?;
        }
        Ok(())
    }

    /// A first load or build drops an empty table's primary key and indexes and builds them
    /// again once the table is filled (sql/bookkeeping/postgres_defer_indexes.sql says when
    /// and why).
    fn defer_indexes(&mut self, table: &str) -> Result<Vec<String>> {
        if self.dialect != Dialect::Postgres {
            return Ok(Vec::new());
        }
        let found = self.fetch(&crate::sql::statement(
            "bookkeeping/postgres_defer_indexes.sql",
            &[("table", crate::sql::Param::Text(table))],
        )?)?;
        let mut build_again = Vec::new();
        for row in &found.rows {
            if let [Value::Text(drop), Value::Text(build)] = row.as_slice() {
                self.execute(drop)?;
                build_again.push(build.clone());
            }
        }
        Ok(build_again)
    }

    /// A session-level advisory lock, so a second run waits instead of interleaving with the
    /// first. It ends with the connection, also when the process holding it is killed.
    fn try_lock_for_load(&mut self) -> Result<bool> {
        let held =
            self.query(&crate::sql::statement("bookkeeping/postgres_try_lock.sql", &[])?.text)?;
        Ok(matches!(
            held.rows.first().and_then(|r| r.first()),
            Some(Value::Bool(true))
        ))
    }

    fn query(&mut self, sql: &str) -> Result<QueryResult> {
        // Prepare for the column types, then fetch as text so every type arrives printable.
        let stmt = self.client.prepare(sql).map_err(|e| self.err(e))?;
        let columns = column_names(&stmt);
        let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
        let messages = self.client.simple_query(sql).map_err(|e| self.err(e))?;
        let mut rows = Vec::new();
        for m in messages {
            if let SimpleQueryMessage::Row(row) = m {
                let cells = (0..row.len())
                    .map(|i| typed_cell(row.get(i), types.get(i).unwrap_or(&Type::TEXT)))
                    .collect();
                rows.push(cells);
            }
        }
        Ok(QueryResult { columns, rows })
    }

    fn execute_bound(&mut self, sql: &str, binds: &[Value]) -> Result<()> {
        let params: Vec<Bind> = binds.iter().map(Bind).collect();
        self.client
            .execute(sql, &Bind::refs(&params))
            .map(|_| ())
            .map_err(|e| statement_error(&self.target, &e))
    }

    fn query_bound(&mut self, sql: &str, binds: &[Value]) -> Result<QueryResult> {
        let stmt = self.client.prepare(sql).map_err(|e| self.err(e))?;
        let columns = column_names(&stmt);
        let params: Vec<Bind> = binds.iter().map(Bind).collect();
        let found = self
            .client
            .query(&stmt, &Bind::refs(&params))
            .map_err(|e| self.err(e))?;
        let mut rows = Vec::with_capacity(found.len());
        for row in found {
            let mut cells = Vec::with_capacity(row.len());
            for i in 0..row.len() {
                let cell: Cell = row.try_get(i).map_err(|e| self.err(e))?;
                cells.push(cell.0);
            }
            rows.push(cells);
        }
        Ok(QueryResult { columns, rows })
    }

    fn stager<'a>(&'a mut self, table: &TableSpec) -> Result<Box<dyn Stager + 'a>> {
        Ok(Box::new(ClientStager::new(self.bulk_sink(table)?)))
    }
}

impl Postgres {
    /// `COPY ... FROM STDIN` in text format, inside the current transaction.
    fn bulk_sink<'a>(&'a mut self, table: &TableSpec) -> Result<Box<dyn RowSink + 'a>> {
        let sql = copy_in_statement(table);
        let target = self.target.to_string();
        let writer = self
            .client
            .copy_in(&sql)
            .map_err(|e| statement_error(&target, &e))?;
        Ok(Box::new(CopySink {
            writer: Some(writer),
            buffer: String::new(),
            target,
        }))
    }
}

fn column_names(stmt: &postgres::Statement) -> Vec<String> {
    stmt.columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect()
}

/// The `COPY ... FROM STDIN` the loader's rows go through (text format), columns in the
/// order of the table's DDL.
pub fn copy_in_statement(table: &TableSpec) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    format!("COPY {} ({}) FROM STDIN", table.name, columns.join(", "))
}

fn typed_cell(text: Option<&str>, ty: &Type) -> Value {
    let Some(t) = text else {
        return Value::Null;
    };
    match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => {
            t.parse().map_or_else(|_| Value::Text(t.into()), Value::Int)
        }
        Type::FLOAT4 | Type::FLOAT8 => t
            .parse()
            .map_or_else(|_| Value::Text(t.into()), Value::Double),
        Type::NUMERIC => match t.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => t
                .parse()
                .map_or_else(|_| Value::Text(t.into()), Value::Double),
        },
        Type::BOOL => Value::Bool(t == "t"),
        _ => Value::Text(t.to_string()),
    }
}

struct CopySink<'a> {
    writer: Option<CopyInWriter<'a>>,
    buffer: String,
    target: String,
}

impl RowSink for CopySink<'_> {
    fn append(&mut self, rows: Vec<Row>) -> Result<()> {
        self.buffer.clear();
        for row in &rows {
            copy_text::push_row(&mut self.buffer, row);
        }
        let buffer = std::mem::take(&mut self.buffer);
        let written = self.append_text(&buffer);
        self.buffer = buffer;
        written
    }

    /// Rows come as COPY text from the parser threads: this thread only writes them.
    fn takes_copy_text(&self) -> bool {
        true
    }

    fn append_text(&mut self, text: &str) -> Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| Error::warehouse("COPY already finished"))?;
        writer
            .write_all(text.as_bytes())
            .map_err(|e| copy_write_error(&self.target, &e))
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(writer) = self.writer.take() {
            writer
                .finish()
                .map_err(|e| statement_error(&self.target, &e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_write_errors_are_connection_lost_only_when_the_connection_is() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(matches!(
            copy_write_error("pg", &io),
            Error::ConnectionLost(_)
        ));
        // Any error of the client's own that is not a broken connection (a refusal) is not.
        let refused = "port=x".parse::<postgres::Config>().unwrap_err();
        let err = copy_write_error("pg", &std::io::Error::other(refused));
        assert!(matches!(err, Error::Warehouse(_)), "{err:?}");
        assert!(err.to_string().starts_with("pg: COPY failed: "), "{err}");
    }
}
