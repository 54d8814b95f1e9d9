//! The data-quality rules declared beside each table, dbt-style, as comment lines of
//! `sql/schema/NAME.sql`:
//!
//! ```text
//! -- check: unique song_id
//! -- check: not_null song_id, title
//! -- check: references user_id users.user_id
//! -- check: accepted_values level free, paid
//! -- check: expect duration > 0
//! -- check: warn accepted_values gender F, M
//! -- check: freshness ts
//! -- check: warn volume ts
//! -- check: no_rows users_history_overlaps
//! ```
//!
//! `expect COLUMN CONDITION` holds for every row whose COLUMN is not NULL (the condition is SQL
//! that the three engines share, and names the column itself). It may use `:'now'` (the
//! current UTC time, as text) and `:'next_year'`, bound when the check runs: the engines' own
//! clocks differ (DuckDB needs its ICU extension for time zones). A leading `warn` makes a
//! failure reported but not blocking: it does not stop a run from publishing, nor fail `check`.
//!
//! `freshness COLUMN` and `volume COLUMN` judge a column of epoch milliseconds (UTC) against
//! thresholds that are settings (see [`crate::checks::CheckOptions`]): freshness compares the
//! newest value with the date in the newest loaded file's name and, when asked, with now;
//! volume compares each day's row count with the days around it. A freshness failure is an
//! error or a warning by which threshold it crosses; declared `warn`, it only ever warns.
//!
//! `no_rows NAME` is a rule about several rows (periods that overlap, a level that disagrees
//! with another table) that one line cannot say: `sql/violations/NAME.sql` is a query listing
//! the rows that break it, named by its `-- rule:` header; the rule holds when it lists none.
//!
//! A table the incremental SQL updates also says which of its rows a run may have written or
//! removed, as `-- changed: KEY IN (SELECT ... FROM scratch)`: the keys, read from the scratch
//! tables of the run (`sql/incremental/`). An incremental run whose warehouse passed every check
//! before it checks only those rows (see `src/checks.rs`).

use super::file;
use crate::error::{Error, Result};

/// What a failing rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The run is not published and `check` exits 3.
    Error,
    /// Reported only.
    Warn,
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
    /// `column` (when not NULL) is one of `values`.
    AcceptedValues {
        column: String,
        values: Vec<String>,
    },
    /// Every row whose `column` is not NULL satisfies the SQL `condition`.
    Expect {
        column: String,
        condition: String,
    },
    /// The newest `column` value (epoch milliseconds) is recent enough: against the date in
    /// the newest loaded file's name, and (when thresholds are set) against now.
    Freshness {
        column: String,
    },
    /// No day has far fewer rows (by `column`, epoch milliseconds) than the days around it.
    Volume {
        column: String,
    },
    /// The query `sql/violations/NAME.sql` lists no rows; `rule` is its `-- rule:` header.
    NoRows {
        name: String,
        rule: String,
    },
}

/// A rule with its severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub severity: Severity,
    pub check: CheckDecl,
}

/// The checks declared in `sql/schema/NAME.sql`.
pub fn checks(name: &str) -> Result<Vec<Declared>> {
    let ddl = file(&format!("schema/{name}.sql"))?;
    let mut out = Vec::new();
    for line in ddl.lines() {
        let Some(decl) = line.trim().strip_prefix("-- check:") else {
            continue;
        };
        let decl = decl.trim();
        let (severity, decl) = match decl.strip_prefix("warn ") {
            Some(rest) => (Severity::Warn, rest.trim()),
            None => (Severity::Error, decl),
        };
        let (kind, args) = decl.split_once(' ').unwrap_or((decl, ""));
        let list = |text: &str| -> Vec<String> {
            text.split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect()
        };
        let bad = || Error::usage(format!("sql/schema/{name}.sql: bad check {decl:?}"));
        let column_and_rest = || -> Result<(String, &str)> {
            let args = args.trim();
            let (column, rest) = args.split_once(' ').ok_or_else(bad)?;
            Ok((column.to_string(), rest.trim()))
        };
        let mut push = |check| out.push(Declared { severity, check });
        match kind {
            "unique" => push(CheckDecl::Unique(list(args))),
            "not_null" => {
                for column in list(args) {
                    push(CheckDecl::NotNull(column));
                }
            }
            "references" => {
                let (column, target) = column_and_rest()?;
                let (table, target) = target.split_once('.').ok_or_else(bad)?;
                push(CheckDecl::References {
                    column,
                    table: table.to_string(),
                    target: target.to_string(),
                });
            }
            "accepted_values" => {
                let (column, values) = column_and_rest()?;
                push(CheckDecl::AcceptedValues {
                    column,
                    values: list(values),
                });
            }
            "expect" => {
                let (column, _) = column_and_rest()?;
                push(CheckDecl::Expect {
                    column,
                    condition: args.trim().to_string(),
                });
            }
            "freshness" | "volume" => {
                let column = args.trim();
                if !super::params_is_name(column) {
                    return Err(bad());
                }
                let column = column.to_string();
                push(if kind == "freshness" {
                    CheckDecl::Freshness { column }
                } else {
                    CheckDecl::Volume { column }
                });
            }
            "no_rows" => {
                let name = args.trim();
                let path = format!("violations/{name}.sql");
                let text = file(&path)?;
                let rule = super::header(text, "rule")
                    .ok_or_else(|| Error::usage(format!("sql/{path}: no `-- rule:` header")))?;
                push(CheckDecl::NoRows {
                    name: name.to_string(),
                    rule: rule.to_string(),
                });
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// The rows of a table an incremental run may have written or removed: those whose `key` is
/// among the values `keys` (a `SELECT` of one column) returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub key: String,
    pub keys: String,
}

/// The `-- changed: KEY IN (SELECT ...)` declaration of `sql/schema/NAME.sql`, if any.
pub fn changed(name: &str) -> Result<Option<Changed>> {
    let ddl = file(&format!("schema/{name}.sql"))?;
    let bad = |decl: &str| Error::usage(format!("sql/schema/{name}.sql: bad changed {decl:?}"));
    let mut found = None;
    for line in ddl.lines() {
        let Some(decl) = line.trim().strip_prefix("-- changed:") else {
            continue;
        };
        let decl = decl.trim();
        let (key, keys) = decl.split_once(" IN (").ok_or_else(|| bad(decl))?;
        let keys = keys.strip_suffix(')').ok_or_else(|| bad(decl))?;
        if found.is_some() || key.contains(' ') || !keys.trim_start().starts_with("SELECT ") {
            return Err(bad(decl));
        }
        found = Some(Changed {
            key: key.trim().to_string(),
            keys: keys.trim().to_string(),
        });
    }
    Ok(found)
}
