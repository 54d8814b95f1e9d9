//! PostgreSQL, and the wire protocol Redshift shares with it.
//!
//! Rows from the Rust COPY loader go in with `COPY ... FROM STDIN` (text format) inside the
//! step's transaction: one round trip per batch, not one per row. Query answers are fetched as
//! text and typed by the column types the server reports, so `NUMERIC` sums, timestamps and
//! anything else print exactly as PostgreSQL prints them.

use std::io::Write;
use std::time::Duration;

use postgres::types::private::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type};
use postgres::{Client, Config, CopyInWriter, SimpleQueryMessage};

use super::{ClientStager, Stager, Warehouse};
use crate::copy::load::RowSink;
use crate::error::{Error, Result};
use crate::schema::TableSpec;
use crate::secrets::{self, percent_decode};
use crate::sql::Dialect;
use crate::value::QueryResult;
use crate::value::{Row, Value};

/// The user and password a connection URL may leave out.
#[derive(Debug, Clone, Default)]
pub struct ConnDefaults {
    pub user: Option<String>,
    pub password: Option<String>,
}

/// A connection target, parsed from `postgres://` or `redshift://` URLs; `Display` never shows
/// the password.
#[derive(Clone)]
pub struct Target {
    pub scheme: String,
    pub user: String,
    pub password: Option<String>,
    pub host: String,
    pub port: u16,
    pub database: String,
    /// `disable`, `prefer` or `require`.
    pub sslmode: String,
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}@{}:{}/{}",
            self.scheme, self.user, self.host, self.port, self.database
        )
    }
}

impl Target {
    /// Parses `SCHEME://user[:password]@host[:port][/db][?sslmode=...&connect_timeout=S]`;
    /// the user is `postgres` when the URL names none.
    pub fn parse(url: &str, default_port: u16, default_sslmode: &str) -> Result<Target> {
        Target::parse_with(url, default_port, default_sslmode, &ConnDefaults::default())
    }

    /// [`Target::parse`], with what fills the user and password the URL leaves out (the
    /// settings take them from `PGUSER`/`PGPASSWORD`, as libpq does).
    pub fn parse_with(
        url: &str,
        default_port: u16,
        default_sslmode: &str,
        defaults: &ConnDefaults,
    ) -> Result<Target> {
        let bad = |why: &str| Error::usage(format!("--warehouse {}: {why}", redact(url)));
        let parts = secrets::split_url(url).ok_or_else(|| bad("expected SCHEME://..."))?;
        for pw in secrets::url_passwords(url) {
            secrets::register(&pw);
        }
        let secrets::UrlParts {
            scheme,
            userinfo,
            hostport,
            database,
            query,
        } = parts;
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((user, pw)) => (percent_decode(user), Some(percent_decode(pw))),
                None => (percent_decode(u), None),
            },
            None => (String::new(), None),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                let port: u16 =
                    p.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                        bad(&format!("port {p:?} is not a number from 1 to 65535"))
                    })?;
                (h.trim_matches(['[', ']']).to_string(), port)
            }
            _ => (hostport.to_string(), default_port),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let mut target = Target {
            scheme: scheme.to_string(),
            user: if user.is_empty() {
                defaults.user.clone().unwrap_or_else(|| "postgres".into())
            } else {
                user
            },
            password: password.or_else(|| defaults.password.clone()),
            host,
            port,
            database: if database.is_empty() {
                "postgres".into()
            } else {
                percent_decode(database)
            },
            sslmode: default_sslmode.to_string(),
            connect_timeout: Duration::from_secs(10),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslmode" => match v {
                    "disable" | "prefer" | "require" => target.sslmode = v.to_string(),
                    "verify-ca" | "verify-full" => target.sslmode = "require".into(),
                    _ => {
                        return Err(bad(&format!(
                            "sslmode {v:?} is not disable, prefer or require"
                        )));
                    }
                },
                "connect_timeout" => {
                    let secs: u64 = v.parse().map_err(|_| {
                        bad(&format!("connect_timeout {v:?} is not a number of seconds"))
                    })?;
                    target.connect_timeout = Duration::from_secs(secs.max(1));
                }
                "password" => target.password = Some(percent_decode(v)),
                "user" => target.user = percent_decode(v),
                other => return Err(bad(&format!("unknown parameter {other:?}"))),
            }
        }
        Ok(target)
    }

    fn config(&self) -> Config {
        let mut c = Config::new();
        c.user(&self.user)
            .host(&self.host)
            .port(self.port)
            .dbname(&self.database)
            .connect_timeout(self.connect_timeout)
            .application_name("sparkify")
            .ssl_mode(match self.sslmode.as_str() {
                "disable" => postgres::config::SslMode::Disable,
                "require" => postgres::config::SslMode::Require,
                _ => postgres::config::SslMode::Prefer,
            });
        if let Some(pw) = &self.password {
            c.password(pw);
        }
        c
    }

    /// Opens a session, with an error that says which server and why, never the password.
    ///
    /// The client's own timeout covers only the TCP connect; a server that accepts and then
    /// never answers would hang the startup handshake forever, so the whole attempt runs on a
    /// helper thread and is abandoned after the timeout.
    pub fn connect(&self) -> Result<Client> {
        Ok(self.connect_cancellable()?.0)
    }

    /// [`Target::connect`], and what stops the statement the session is running (a cancel
    /// request on a new connection, over TLS when the session uses it), for Ctrl-C.
    fn connect_cancellable(&self) -> Result<(Client, impl Fn() + Send + Sync + 'static)> {
        let config = self.config();
        let tls = match self.sslmode.as_str() {
            "disable" => None,
            _ => Some(tls_connector()?),
        };
        let cancel_tls = tls.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = if let Some(connector) = tls {
                config.connect(connector)
            } else {
                config.connect(postgres::NoTls)
            };
            let _ = tx.send(result);
        });
        match rx.recv_timeout(self.connect_timeout + Duration::from_secs(1)) {
            Ok(result) => {
                let client = result.map_err(|e| {
                    Error::warehouse(format!("cannot connect to {self}: {}", describe_error(&e)))
                })?;
                let token = client.cancel_token();
                let cancel = move || {
                    // Best effort: the statement may have finished, or the server be gone.
                    let _ = match &cancel_tls {
                        Some(tls) => token.cancel_query(tls.clone()),
                        None => token.cancel_query(postgres::NoTls),
                    };
                };
                Ok((client, cancel))
            }
            Err(_) => Err(Error::warehouse(format!(
                "cannot connect to {self}: no answer within {} s (is it a PostgreSQL server?)",
                self.connect_timeout.as_secs()
            ))),
        }
    }
}

/// Hides the password of a URL (user info or `password=`) for error messages.
pub fn redact(url: &str) -> String {
    secrets::redact_url(url)
}

/// The server's own message when there is one (wrong password, missing table, ...), else the
/// client's (refused, timed out).
pub fn describe_error(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut m = db.message().to_string();
        if let Some(detail) = db.detail() {
            m.push_str(&format!(" ({detail})"));
        }
        return m;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// TLS with ring and Mozilla's root certificates, chosen explicitly (see Cargo.toml).
fn tls_connector() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::warehouse(format!("cannot set up TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

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
        let columns: Vec<String> = stmt
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
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
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client
            .execute(sql, &refs)
            .map(|_| ())
            .map_err(|e| statement_error(&self.target, &e))
    }

    fn query_bound(&mut self, sql: &str, binds: &[Value]) -> Result<QueryResult> {
        let stmt = self.client.prepare(sql).map_err(|e| self.err(e))?;
        let columns: Vec<String> = stmt
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let params: Vec<Bind> = binds.iter().map(Bind).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let found = self.client.query(&stmt, &refs).map_err(|e| self.err(e))?;
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

/// A value bound to a parameter. It goes in text format, so the server parses it as the type
/// it inferred for the parameter, the way it would parse a literal in that place, on
/// PostgreSQL and Redshift alike (no binary encoding per type to get wrong).
#[derive(Debug)]
struct Bind<'a>(&'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let text = match self.0 {
            Value::Null => return Ok(IsNull::Yes),
            // PostgreSQL text cannot hold NUL; in bookkeeping values (a rejected raw line)
            // it is shown as U+FFFD, as the loader shows undecodable bytes.
            Value::Text(s) => s.replace('\0', "\u{FFFD}"),
            Value::Int(n) => n.to_string(),
            Value::Double(d) => format!("{d:?}"),
            Value::Bool(b) => b.to_string(),
        };
        out.extend_from_slice(text.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> postgres::types::Format {
        postgres::types::Format::Text
    }

    // Every type is accepted (the server parses the text), so there is nothing to check.
    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.to_sql(ty, out)
    }
}

/// One value of a bound query's answer, which arrives in binary format. Bookkeeping queries
/// answer integers, floats, booleans and text; any other type is an error that says to cast.
struct Cell(Value);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Cell, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Cell(match *ty {
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::OID => Value::Int(u32::from_sql(ty, raw)?.into()),
            Type::FLOAT4 => Value::Double(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Double(f64::from_sql(ty, raw)?),
            _ if <String as FromSql>::accepts(ty) => Value::Text(String::from_sql(ty, raw)?),
            _ => {
                return Err(format!(
                    "a query with parameters answered a {ty} column; cast it to BIGINT, \
                     DOUBLE PRECISION or VARCHAR in its SQL"
                )
                .into());
            }
        }))
    }

    fn from_sql_null(
        _ty: &Type,
    ) -> std::result::Result<Cell, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Cell(Value::Null))
    }

    fn accepts(_ty: &Type) -> bool {
        true
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

/// COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
fn push_text_field(buf: &mut String, cell: &Value) {
    match cell {
        Value::Null => buf.push_str("\\N"),
        Value::Int(v) => buf.push_str(&v.to_string()),
        Value::Double(v) => buf.push_str(&format!("{v:?}")),
        Value::Bool(b) => buf.push(if *b { 't' } else { 'f' }),
        Value::Text(s) => {
            for c in s.chars() {
                match c {
                    '\\' => buf.push_str("\\\\"),
                    '\t' => buf.push_str("\\t"),
                    '\n' => buf.push_str("\\n"),
                    '\r' => buf.push_str("\\r"),
                    other => buf.push(other),
                }
            }
        }
    }
}

impl RowSink for CopySink<'_> {
    fn append(&mut self, rows: Vec<Row>) -> Result<()> {
        self.buffer.clear();
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    self.buffer.push('\t');
                }
                push_text_field(&mut self.buffer, cell);
            }
            self.buffer.push('\n');
        }
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| Error::warehouse("COPY already finished"))?;
        writer
            .write_all(self.buffer.as_bytes())
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
    fn urls_parse_with_defaults_and_never_show_the_password() {
        let t = Target::parse(
            "postgres://ann:s%40cret@db.example:6543/dwh?sslmode=require",
            5432,
            "prefer",
        )
        .unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.database.as_str()),
            ("db.example", 6543, "dwh")
        );
        assert_eq!(t.password.as_deref(), Some("s@cret"));
        assert_eq!(t.sslmode, "require");
        assert_eq!(t.to_string(), "postgres://ann@db.example:6543/dwh");
        assert!(!format!("{t:?}").contains("cret"));

        let t = Target::parse("redshift://awsuser@cluster.example/dev", 5439, "require").unwrap();
        assert_eq!((t.port, t.sslmode.as_str()), (5439, "require"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_password() {
        for (url, needle) in [
            ("postgres://u:pw@host:99999/db", "port \"99999\""),
            ("postgres://u:pw@host:abc/db", "port \"abc\""),
            ("postgres://u:pw@/db", "no host"),
            ("postgres://u:pw@h/db?sslmode=maybe", "sslmode"),
            ("postgres://u:pw@h/db?color=red", "unknown parameter"),
        ] {
            let err = Target::parse(url, 5432, "prefer").unwrap_err().to_string();
            assert!(err.contains(needle), "{url}: {err}");
            assert!(!err.contains(":pw@"), "password leaked: {err}");
        }
    }

    #[test]
    fn copy_write_errors_are_connection_lost_only_when_the_connection_is() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(matches!(
            copy_write_error("pg", &io),
            Error::ConnectionLost(_)
        ));
        // Any error of the client's own that is not a broken connection (a refusal) is not.
        let refused = "port=x".parse::<Config>().unwrap_err();
        let err = copy_write_error("pg", &std::io::Error::other(refused));
        assert!(matches!(err, Error::Warehouse(_)), "{err:?}");
        assert!(err.to_string().starts_with("pg: COPY failed: "), "{err}");
    }

    #[test]
    fn copy_text_format_escapes() {
        let mut buf = String::new();
        for c in [
            Value::Text("a\tb\\c\nd".into()),
            Value::Null,
            Value::Double(269.58322),
            Value::Int(-3),
            Value::Bool(true),
        ] {
            push_text_field(&mut buf, &c);
            buf.push('|');
        }
        assert_eq!(buf, "a\\tb\\\\c\\nd|\\N|269.58322|-3|t|");
    }
}
