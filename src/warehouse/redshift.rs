//! Amazon Redshift: the PostgreSQL protocol, Redshift's dialect (distribution and sort keys),
//! and server-side staging: Redshift reads S3 itself with `COPY ... FROM 's3://...'`, so no
//! row passes through this process. Load errors and per-file counts are then read back from
//! `STL_LOAD_ERRORS` and `STL_LOAD_COMMITS` (`sql/bookkeeping/redshift_load_*.sql`) into
//! `load_errors` and `load_ledger`, so `check` reconciles Redshift loads exactly like local
//! ones.

use super::postgres::{Postgres, Target};
use super::{StageJob, Stager, Staging, Warehouse};
use crate::copy::FormatSpec;
use crate::copy::load::{FileReport, LoadError, LoadReport};
use crate::error::{Error, Result};
use crate::schema::TableSpec;
use crate::source::Source;
use crate::sql::{self, Dialect, quote_literal};
use crate::value::QueryResult;
use crate::value::Value;

/// Redshift's port unless configured otherwise.
pub const DEFAULT_PORT: u16 = 5439;

/// What a server-side COPY needs besides the table and source (built by
/// [`crate::settings`] from `[IAM_ROLE] ARN` / `SPARKIFY_IAM_ROLE` and the region).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyAuth {
    pub iam_role: String,
    pub region: String,
}

/// The `COPY` Redshift runs to stage `table` from S3. Pure, so tests can pin it exactly.
pub fn copy_statement(
    table: &str,
    source: &Source,
    format: &FormatSpec,
    auth: &CopyAuth,
    max_errors: u64,
) -> Result<String> {
    let from = s3_uri(source)?;
    let json = match format {
        FormatSpec::Auto => "'auto'".to_string(),
        FormatSpec::AutoIgnoreCase => "'auto ignorecase'".to_string(),
        FormatSpec::JsonPaths(paths) => quote_literal(&s3_uri(paths)?),
    };
    let mut sql = format!(
        "COPY {table}\nFROM {}\nIAM_ROLE {}\nREGION {}\nJSON {json}\n",
        quote_literal(&from),
        quote_literal(&auth.iam_role),
        quote_literal(&auth.region),
    );
    // 0 is Redshift's default; spelling it out only when it differs keeps the common
    // statement minimal.
    if max_errors > 0 {
        sql.push_str(&format!("MAXERROR {max_errors}\n"));
    }
    // Staging tables are rewritten every run: skip compression analysis and statistics.
    sql.push_str("COMPUPDATE OFF\nSTATUPDATE OFF");
    Ok(sql)
}

fn s3_uri(source: &Source) -> Result<String> {
    match source {
        Source::S3(uri) => Ok(uri.clone()),
        other => Err(Error::usage(format!(
            "Redshift loads from S3 itself: {other} must be an s3:// URI (set [S3] in dwh.cfg or pass --songs/--events s3://...)"
        ))),
    }
}

/// A Redshift cluster.
pub struct Redshift {
    inner: Postgres,
    auth: Option<CopyAuth>,
}

impl Redshift {
    /// Connects to the cluster; `copy` is what staging's COPY authenticates with.
    pub fn open(target: Target, copy: Option<CopyAuth>) -> Result<Redshift> {
        let inner = Postgres::connect_as(target, Dialect::Redshift)?;
        Ok(Redshift { inner, auth: copy })
    }
}

impl Warehouse for Redshift {
    fn dialect(&self) -> Dialect {
        Dialect::Redshift
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        self.inner.execute(sql)
    }

    fn query(&mut self, sql: &str) -> Result<QueryResult> {
        self.inner.query(sql)
    }

    fn staging(&self) -> Staging {
        Staging::ServerCopy
    }

    fn stager<'a>(&'a mut self, _table: &TableSpec) -> Result<Box<dyn Stager + 'a>> {
        let auth = self.auth.clone().ok_or_else(|| {
            Error::usage(
                "Redshift COPY needs an IAM role: set [IAM_ROLE] ARN in dwh.cfg or SPARKIFY_IAM_ROLE",
            )
        })?;
        Ok(Box::new(ServerCopy {
            inner: &mut self.inner,
            auth,
        }))
    }
}

/// Redshift's own `COPY ... FROM 's3://...'`: the cluster reads the source, then its load
/// history says what was read and rejected, per file.
struct ServerCopy<'a> {
    inner: &'a mut Postgres,
    auth: CopyAuth,
}

impl Stager for ServerCopy<'_> {
    fn load(
        &mut self,
        job: &StageJob<'_>,
        on_file: &mut dyn FnMut(&FileReport),
    ) -> Result<LoadReport> {
        self.inner.execute(&copy_statement(
            &job.spec.name,
            job.source,
            job.format,
            &self.auth,
            job.options.max_errors,
        )?)?;
        // What this COPY read, per file, and what it rejected.
        let commits = self
            .inner
            .query(&sql::statement("bookkeeping/redshift_load_files.sql", &[])?)?;
        let errors = self.inner.query(&sql::statement(
            "bookkeeping/redshift_load_errors.sql",
            &[],
        )?)?;
        let report = report_from_system_tables(&commits, &errors);
        for f in &report.files {
            on_file(f);
        }
        Ok(report)
    }
}

fn text(cell: Option<&Value>) -> Option<String> {
    match cell {
        Some(Value::Text(s)) => Some(s.clone()),
        Some(Value::Int(i)) => Some(i.to_string()),
        _ => None,
    }
}

fn int(cell: Option<&Value>) -> u64 {
    match cell {
        Some(Value::Int(i)) => (*i).max(0) as u64,
        Some(Value::Double(d)) => d.max(0.0) as u64,
        _ => 0,
    }
}

/// Builds the same report a local load produces from Redshift's system tables.
pub fn report_from_system_tables(commits: &QueryResult, errors: &QueryResult) -> LoadReport {
    let errors: Vec<LoadError> = errors
        .rows
        .iter()
        .map(|r| LoadError {
            file: text(r.first()).unwrap_or_default(),
            line: int(r.get(1)),
            column_name: text(r.get(2)),
            column_type: text(r.get(3)),
            raw_value: text(r.get(4)),
            raw_line: text(r.get(5)).unwrap_or_default(),
            reason: text(r.get(6)).unwrap_or_default(),
        })
        .collect();
    let files = commits
        .rows
        .iter()
        .map(|r| {
            let file = text(r.first()).unwrap_or_default();
            let rejected = errors.iter().filter(|e| e.file == file).count() as u64;
            let read = int(r.get(1));
            FileReport {
                file,
                size: 0,
                version: None,
                rows_read: read,
                rows_loaded: read.saturating_sub(rejected),
                rows_rejected: rejected,
            }
        })
        .collect();
    LoadReport {
        files,
        errors,
        exceeded_max_errors: false,
    }
}
