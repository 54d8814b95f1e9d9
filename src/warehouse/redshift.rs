//! Amazon Redshift: the PostgreSQL protocol, Redshift's dialect (distribution and sort keys),
//! and server-side staging: Redshift reads S3 itself with `COPY ... FROM 's3://...'`, so no
//! row passes through this process. Load errors and per-file counts are then read back from
//! `STL_LOAD_ERRORS` and `STL_LOAD_COMMITS` into `load_errors` and `load_ledger`, so `check`
//! reconciles Redshift loads exactly like local ones.

use super::postgres::{Postgres, Target};
use super::{QueryResult, Warehouse};
use crate::config::Ini;
use crate::copy::load::{FileReport, LoadError, LoadReport, RowSink};
use crate::copy::{Cell, FormatSpec, TableSpec};
use crate::error::{Error, Result};
use crate::source::Source;
use crate::sql::{Dialect, quote_literal};

/// Redshift's port when none is given.
pub const DEFAULT_PORT: u16 = 5439;
/// The seed's bucket lives in us-west-2.
pub const DEFAULT_REGION: &str = "us-west-2";

/// What a server-side COPY needs besides the table and source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyAuth {
    pub iam_role: String,
    pub region: String,
}

impl CopyAuth {
    /// `[IAM_ROLE] ARN` and the region from `dwh.cfg` (seed layout or `[DWH]` course layout),
    /// overridden by `SPARKIFY_IAM_ROLE` / `AWS_REGION`.
    pub fn from_config(ini: &Ini) -> Option<CopyAuth> {
        Self::resolve(ini, |k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// As [`CopyAuth::from_config`], with the environment given as a lookup.
    pub fn resolve(ini: &Ini, env: impl Fn(&str) -> Option<String>) -> Option<CopyAuth> {
        let iam_role = env("SPARKIFY_IAM_ROLE")
            .or_else(|| ini.get("IAM_ROLE", "ARN").map(str::to_string))
            .or_else(|| ini.get("DWH", "DWH_ROLE_ARN").map(str::to_string))?;
        let region = env("AWS_REGION")
            .or_else(|| ini.get("AWS", "REGION").map(str::to_string))
            .or_else(|| ini.get("CLUSTER", "REGION").map(str::to_string))
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        Some(CopyAuth { iam_role, region })
    }
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
    /// Connects to `redshift://user[:password]@host[:port]/db`, or with `url` = `redshift`,
    /// to the endpoint in `dwh.cfg` `[CLUSTER]` as the seed does. TLS is required unless the
    /// URL says `sslmode=disable`.
    pub fn open(url: &str, ini: &Ini) -> Result<Redshift> {
        let target = target_from(url, ini)?;
        let inner = Postgres::connect_as(target, Dialect::Redshift)?;
        Ok(Redshift {
            inner,
            auth: CopyAuth::from_config(ini),
        })
    }
}

/// The connection target for a `redshift` warehouse value.
pub fn target_from(url: &str, ini: &Ini) -> Result<Target> {
    let cfg = |keys: &[(&str, &str)]| {
        keys.iter()
            .find_map(|(s, k)| ini.get(s, k).map(str::to_string))
    };
    let url = if url == "redshift" {
        let host = cfg(&[("CLUSTER", "HOST"), ("DWH", "DWH_ENDPOINT")]).ok_or_else(|| {
            Error::usage(
                "--warehouse redshift needs the cluster endpoint: set [CLUSTER] HOST in dwh.cfg \
                 (`sparkify infra up` writes it) or pass redshift://USER@HOST:5439/DB",
            )
        })?;
        let db = cfg(&[("CLUSTER", "DB_NAME"), ("DWH", "DWH_DB")]).unwrap_or_else(|| "dev".into());
        let user = cfg(&[("CLUSTER", "DB_USER"), ("DWH", "DWH_DB_USER")])
            .unwrap_or_else(|| "awsuser".into());
        let port = cfg(&[
            ("CLUSTER", "DB_PORT"),
            ("CLUSTER", "DWH_PORT"),
            ("DWH", "DWH_PORT"),
        ])
        .unwrap_or_else(|| DEFAULT_PORT.to_string());
        format!("redshift://{user}@{host}:{port}/{db}")
    } else {
        url.to_string()
    };
    let mut target = Target::parse(&url, DEFAULT_PORT, "require")?;
    if target.password.is_none() {
        target.password = cfg(&[("CLUSTER", "DB_PASSWORD"), ("DWH", "DWH_DB_PASSWORD")]);
    }
    Ok(target)
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

    fn bulk_sink<'a>(&'a mut self, table: &TableSpec) -> Result<Box<dyn RowSink + 'a>> {
        Err(Error::usage(format!(
            "Redshift stages {} with its own COPY from S3, not through sparkify",
            table.name
        )))
    }

    fn stages_server_side(&self) -> bool {
        true
    }

    fn server_copy(
        &mut self,
        table: &str,
        source: &Source,
        format: &FormatSpec,
        max_errors: u64,
    ) -> Result<LoadReport> {
        let auth = self.auth.clone().ok_or_else(|| {
            Error::usage("Redshift COPY needs an IAM role: set [IAM_ROLE] ARN in dwh.cfg or SPARKIFY_IAM_ROLE")
        })?;
        self.inner
            .execute(&copy_statement(table, source, format, &auth, max_errors)?)?;
        // What this COPY read, per file, and what it rejected.
        let commits = self.inner.query(
            "SELECT TRIM(filename), SUM(lines_scanned) FROM stl_load_commits \
             WHERE query = pg_last_copy_id() GROUP BY 1 ORDER BY 1",
        )?;
        let errors = self.inner.query(
            "SELECT TRIM(filename), line_number, TRIM(colname), TRIM(type), \
             TRIM(raw_field_value), TRIM(raw_line), TRIM(err_reason) FROM stl_load_errors \
             WHERE query = pg_last_copy_id() ORDER BY 1, 2",
        )?;
        Ok(report_from_system_tables(&commits, &errors))
    }
}

fn text(cell: Option<&Cell>) -> Option<String> {
    match cell {
        Some(Cell::Text(s)) => Some(s.clone()),
        Some(Cell::Int(i)) => Some(i.to_string()),
        _ => None,
    }
}

fn int(cell: Option<&Cell>) -> u64 {
    match cell {
        Some(Cell::Int(i)) => (*i).max(0) as u64,
        Some(Cell::Double(d)) => d.max(0.0) as u64,
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
