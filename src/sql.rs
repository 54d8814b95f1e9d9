//! The SQL that defines the warehouse, compiled into the binary from `sql/`.
//!
//! One file per table: `sql/schema/NAME.sql` creates it and declares its checks in comments
//! (`-- check: unique COL`, `-- check: not_null COL, ...`, `-- check: references COL TABLE.COL`),
//! the way dbt declares tests beside a model; `sql/transform/NAME.sql` rebuilds it from staging.
//! A dialect whose SQL differs has its own file in `sql/DIALECT/schema|transform/NAME.sql`.

use crate::copy::{Column, ColumnType, TableSpec};
use crate::error::{Error, Result};

/// The SQL dialects `sparkify` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
    Redshift,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Redshift => "redshift",
        }
    }
}

/// Staging tables, in load order.
pub const STAGING_TABLES: [&str; 2] = ["staging_events", "staging_songs"];
/// Bookkeeping of loads.
pub const AUDIT_TABLES: [&str; 2] = ["load_errors", "load_ledger"];
/// The star schema, in transform order (dimensions from staging first, `time` last because it
/// is derived from `songplays`).
pub const MODELS: [&str; 5] = ["songs", "artists", "users", "songplays", "time"];

struct SqlFile {
    path: &'static str,
    text: &'static str,
}

macro_rules! sql_files {
    ($($path:literal),* $(,)?) => {
        &[$(SqlFile { path: $path, text: include_str!(concat!("../sql/", $path)) }),*]
    };
}

static FILES: &[SqlFile] = sql_files![
    "functions/duckdb.sql",
    "functions/postgres.sql",
    "functions/redshift.sql",
    "redshift/schema/staging_events.sql",
    "redshift/schema/staging_songs.sql",
    "redshift/schema/songplays.sql",
    "redshift/schema/users.sql",
    "redshift/schema/songs.sql",
    "redshift/schema/artists.sql",
    "redshift/schema/time.sql",
    "schema/staging_events.sql",
    "schema/staging_songs.sql",
    "schema/load_errors.sql",
    "schema/load_ledger.sql",
    "schema/songplays.sql",
    "schema/users.sql",
    "schema/songs.sql",
    "schema/artists.sql",
    "schema/time.sql",
    "transform/songs.sql",
    "transform/artists.sql",
    "transform/users.sql",
    "transform/songplays.sql",
    "transform/time.sql",
];

fn find(kind: &str, name: &str, dialect: Dialect) -> Result<&'static str> {
    let specific = format!("{}/{kind}/{name}.sql", dialect.name());
    let common = format!("{kind}/{name}.sql");
    FILES
        .iter()
        .find(|f| f.path == specific)
        .or_else(|| FILES.iter().find(|f| f.path == common))
        .map(|f| f.text)
        .ok_or_else(|| Error::usage(format!("no SQL file sql/{common}")))
}

/// Helper functions the transforms call (`sparkify_epoch_ms`), in the dialect's own syntax.
pub fn functions(dialect: Dialect) -> Result<&'static str> {
    let path = format!("functions/{}.sql", dialect.name());
    FILES
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.text)
        .ok_or_else(|| Error::usage(format!("no SQL file sql/{path}")))
}

/// `CREATE TABLE` for one table.
pub fn schema(name: &str, dialect: Dialect) -> Result<&'static str> {
    find("schema", name, dialect)
}

/// The statements that rebuild one model from staging.
pub fn transform(name: &str, dialect: Dialect) -> Result<&'static str> {
    find("transform", name, dialect)
}

/// Every table `sparkify` owns, in creation order.
pub fn all_tables() -> impl Iterator<Item = &'static str> {
    STAGING_TABLES.into_iter().chain(AUDIT_TABLES).chain(MODELS)
}

/// The columns of a table, read from its `CREATE TABLE` so the loader and the DDL can never
/// disagree about order, names or types.
pub fn table_spec(name: &str) -> Result<TableSpec> {
    let bad = |e: String| Error::usage(format!("sql/schema/{name}.sql: {e}"));
    let columns = column_definitions(schema(name, Dialect::DuckDb)?)
        .map_err(bad)?
        .into_iter()
        .map(|(name, ty_text)| {
            ColumnType::parse(&ty_text)
                .map(|ty| Column {
                    name: name.clone(),
                    ty,
                })
                .ok_or_else(|| format!("column {name}: type {ty_text} cannot be loaded"))
        })
        .collect::<std::result::Result<Vec<_>, String>>()
        .map_err(bad)?;
    Ok(TableSpec {
        name: name.to_string(),
        columns,
    })
}

/// `(name, type)` of each column of a `CREATE TABLE` written in this project's style: one
/// column per line, table constraints after the columns.
pub fn column_definitions(ddl: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let create = ddl
        .to_ascii_uppercase()
        .find("CREATE TABLE")
        .ok_or("no CREATE TABLE")?;
    let open = ddl[create..].find('(').ok_or("no column list")? + create;
    let mut columns = Vec::new();
    for line in ddl[open + 1..].lines() {
        let line = line.split("--").next().unwrap_or("").trim();
        let line = line.trim_end_matches(',').trim();
        if line.starts_with(')') {
            // Table options (DISTKEY, SORTKEY, ...) follow the column list.
            break;
        }
        if line.is_empty() {
            continue;
        }
        let upper = line.to_ascii_uppercase();
        if ["PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN"]
            .iter()
            .any(|k| upper.starts_with(k))
        {
            continue;
        }
        let (name, rest) = line
            .split_once(char::is_whitespace)
            .ok_or("column without type")?;
        // The type runs until the first constraint keyword.
        let rest_upper = rest.to_ascii_uppercase();
        let end = [
            " NOT NULL",
            " NULL",
            " DEFAULT",
            " PRIMARY",
            " ENCODE",
            " IDENTITY",
            " GENERATED",
        ]
        .iter()
        .filter_map(|k| rest_upper.find(k))
        .min()
        .unwrap_or(rest.len());
        columns.push((name.to_string(), rest[..end].trim().to_string()));
    }
    if columns.is_empty() {
        return Err("no columns".into());
    }
    Ok(columns)
}

/// A data-quality rule declared beside a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckDecl {
    /// These columns together identify a row.
    Unique(Vec<String>),
    NotNull(String),
    /// `column` values (when not NULL) exist in `table.target`.
    References {
        column: String,
        table: String,
        target: String,
    },
}

/// The checks declared in `sql/schema/NAME.sql`.
pub fn checks(name: &str) -> Result<Vec<CheckDecl>> {
    let ddl = schema(name, Dialect::DuckDb)?;
    let mut out = Vec::new();
    for line in ddl.lines() {
        let Some(decl) = line.trim().strip_prefix("-- check:") else {
            continue;
        };
        let decl = decl.trim();
        let (kind, args) = decl.split_once(' ').unwrap_or((decl, ""));
        let list = || -> Vec<String> {
            args.split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect()
        };
        let bad = || Error::usage(format!("sql/schema/{name}.sql: bad check {decl:?}"));
        match kind {
            "unique" => out.push(CheckDecl::Unique(list())),
            "not_null" => out.extend(list().into_iter().map(CheckDecl::NotNull)),
            "references" => {
                let mut parts = args.split_whitespace();
                let column = parts.next().ok_or_else(bad)?.to_string();
                let (table, target) = parts
                    .next()
                    .and_then(|t| t.split_once('.'))
                    .ok_or_else(bad)?;
                out.push(CheckDecl::References {
                    column,
                    table: table.to_string(),
                    target: target.to_string(),
                });
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// One-line description of a table: the text after `-- NAME` on its first comment line.
pub fn description(name: &str) -> Option<String> {
    let ddl = schema(name, Dialect::DuckDb).ok()?;
    let first = ddl.lines().next()?.strip_prefix("-- ")?;
    Some(first.split_once(": ").map_or(first, |(_, d)| d).to_string())
}

/// Quotes a string as a SQL literal. Every engine `sparkify` talks to uses standard strings,
/// where a quote is escaped by doubling it and backslashes are ordinary characters.
pub fn quote_literal(value: &str) -> String {
    // PostgreSQL cannot store NUL in text; it is never meaningful in these values.
    format!("'{}'", value.replace('\0', "\u{FFFD}").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_events_columns_follow_the_jsonpaths_order() {
        let spec = table_spec("staging_events").unwrap();
        let names: Vec<&str> = spec.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "artist",
                "auth",
                "firstname",
                "gender",
                "iteminsession",
                "lastname",
                "length",
                "level",
                "location",
                "method",
                "page",
                "registration",
                "sessionid",
                "song",
                "status",
                "ts",
                "useragent",
                "userid"
            ]
        );
        assert_eq!(spec.columns[17].ty, ColumnType::Integer);
        assert_eq!(spec.columns[15].ty, ColumnType::BigInt);
    }

    #[test]
    fn every_table_has_sql_and_parseable_checks() {
        for t in all_tables() {
            schema(t, Dialect::DuckDb).unwrap();
            checks(t).unwrap();
            assert!(description(t).is_some(), "{t} has no description");
        }
        for m in MODELS {
            transform(m, Dialect::Postgres).unwrap();
            assert!(!checks(m).unwrap().is_empty(), "{m} declares no checks");
        }
        assert!(
            checks("songplays")
                .unwrap()
                .contains(&CheckDecl::References {
                    column: "user_id".into(),
                    table: "users".into(),
                    target: "user_id".into()
                })
        );
    }

    #[test]
    fn dialect_schemas_keep_the_common_columns() {
        // Redshift's files add distribution and sort keys; the columns must stay the same, or
        // the loader (which reads the common file) and the server would disagree.
        for t in all_tables() {
            let common = column_definitions(schema(t, Dialect::DuckDb).unwrap()).unwrap();
            for d in [Dialect::Postgres, Dialect::Redshift] {
                let other = column_definitions(schema(t, d).unwrap()).unwrap();
                assert_eq!(common, other, "{t} on {d:?}");
            }
        }
    }

    #[test]
    fn literals_are_quoted_safely() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "'a\\b'");
        assert_eq!(
            quote_literal("x'); DROP TABLE users; --"),
            "'x''); DROP TABLE users; --'"
        );
    }
}
