//! Amazon Redshift: the PostgreSQL protocol, Redshift's dialect (distribution and sort keys),
//! and server-side staging: Redshift reads S3 itself with `COPY ... FROM 's3://...'`, so no
//! row passes through this process. Per-file counts and load errors are then read back from
//! the `SYS_LOAD_DETAIL` and `SYS_LOAD_ERROR_DETAIL` views (`sql/bookkeeping/redshift_load_*.sql`)
//! into `load_ledger` and `load_errors`, so `check` reconciles Redshift loads exactly like
//! local ones. The SYS views exist on provisioned clusters and on Redshift Serverless alike;
//! the older STL tables do not exist on Serverless and miss COPYs run on concurrency scaling.
//!
//! The COPY's source, role and region are the only values written into SQL text (COPY takes
//! no parameters): each is checked for its shape first (an `s3://` URI, an IAM role ARN, a
//! region name) and quoted with Redshift's rules, which double backslashes as well as quotes.

use super::postgres::{Postgres, Target};
use super::{StageJob, Stager, Staging, Warehouse};
use crate::copy::compressed::Compression;
use crate::copy::load::{FileReport, LoadError, LoadReport};
use crate::copy::{Conversion, FormatSpec};
use crate::error::{Error, Result};
use crate::schema::TableSpec;
use crate::source::{Source, SourceFile};
use crate::sql::{self, Dialect, quote_literal_in};
use crate::value::QueryResult;
use crate::value::Value;

/// Redshift's port unless configured otherwise.
pub const DEFAULT_PORT: u16 = 5439;

/// What a server-side COPY needs besides the table and source (built by
/// [`crate::settings`] from `[IAM_ROLE] ARN` / `SPARKIFY_IAM_ROLE` and the region).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyAuth {
    pub iam_role: String,
    /// The configured (cluster's) region: the COPY's `REGION` unless the source's bucket was
    /// looked up in another.
    pub region: String,
    /// Source buckets looked up in another region than `region` (bucket → region); see
    /// [`crate::source::regions`].
    pub source_regions: std::collections::BTreeMap<String, String>,
    /// Sources whose files are compressed (the source as configured → how), found from their
    /// names before the run ([`crate::copy::compressed::one_keyword`]): the COPY of each
    /// carries the keyword.
    pub source_compression: std::collections::BTreeMap<String, Compression>,
}

impl CopyAuth {
    /// What the COPY reading `source` (the data, not a manifest of it) carries: `REGION` is
    /// the source bucket's when it was looked up in another region.
    pub fn for_source(&self, source: &Source) -> CopyAuth {
        let looked_up = match source {
            Source::S3(uri) => crate::source::s3::S3Uri::parse(uri)
                .ok()
                .and_then(|u| self.source_regions.get(&u.bucket)),
            _ => None,
        };
        CopyAuth {
            region: looked_up.unwrap_or(&self.region).clone(),
            ..self.clone()
        }
    }

    /// The compression keyword the COPY of `source` carries, if its files are compressed.
    pub fn compression_of(&self, source: &Source) -> Option<Compression> {
        self.source_compression.get(&source.to_string()).copied()
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
    copy_statement_with(
        table,
        source,
        format,
        auth,
        max_errors,
        &Conversion::default(),
        None,
    )
}

/// [`copy_statement`] with the data-conversion options (`--copy-options`), so the cluster
/// converts values as the local loader does: the same options, as the same words; and with
/// the compression keyword of the source's files (all of one kind, see
/// [`crate::copy::compressed::one_keyword`]).
pub fn copy_statement_with(
    table: &str,
    source: &Source,
    format: &FormatSpec,
    auth: &CopyAuth,
    max_errors: u64,
    conversion: &Conversion,
    compression: Option<Compression>,
) -> Result<String> {
    let literal = |v: &str| quote_literal_in(Dialect::Redshift, v);
    let from = s3_uri(source)?;
    let json = match format {
        FormatSpec::Auto => "'auto'".to_string(),
        FormatSpec::AutoIgnoreCase => "'auto ignorecase'".to_string(),
        FormatSpec::JsonPaths(paths) => literal(&s3_uri(paths)?)?,
    };
    check_role_arn(&auth.iam_role)?;
    check_region(&auth.region)?;
    let mut sql = format!(
        "COPY {table}\nFROM {}\nIAM_ROLE {}\nREGION {}\nJSON {json}\n",
        literal(&from)?,
        literal(&auth.iam_role)?,
        literal(&auth.region)?,
    );
    // Without the keyword Redshift reads the manifest's URL as a key prefix and loads the
    // manifest itself as data, skipping the files it lists.
    if source.is_manifest() {
        sql.push_str("MANIFEST\n");
    }
    // Redshift decompresses by this keyword alone, never by a file's name.
    if let Some(c) = compression {
        sql.push_str(c.keyword());
        sql.push('\n');
    }
    // 0 is Redshift's default; spelling it out only when it differs keeps the common
    // statement minimal.
    if max_errors > 0 {
        sql.push_str(&format!("MAXERROR {max_errors}\n"));
    }
    for (word, value) in conversion.words() {
        match value {
            Some(v) => sql.push_str(&format!("{word} {}\n", literal(&v)?)),
            None => sql.push_str(&format!("{word}\n")),
        }
    }
    // Staging tables are rewritten every run: skip compression analysis and statistics.
    sql.push_str("COMPUPDATE OFF\nSTATUPDATE OFF");
    Ok(sql)
}

/// The source as an `s3://bucket/key` URI with a bucket name S3 accepts.
fn s3_uri(source: &Source) -> Result<String> {
    let uri = match source {
        Source::S3(uri) => uri,
        other => {
            return Err(Error::usage(format!(
                "Redshift loads from S3 itself: {other} must be an s3:// URI (set [S3] in dwh.cfg or pass --songs/--events s3://...)"
            )));
        }
    };
    let bucket = uri
        .strip_prefix("s3://")
        .map(|rest| rest.split('/').next().unwrap_or(""))
        .unwrap_or("");
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !bucket_ok {
        return Err(Error::usage(format!(
            "{uri:?} is not an s3://BUCKET/KEY URI with a valid bucket name (3-63 characters: \
             lowercase letters, digits, '.' and '-')"
        )));
    }
    Ok(uri.clone())
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
fn check_role_arn(arn: &str) -> Result<()> {
    let bad = || {
        Error::usage(format!(
            "{arn:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME); set \
             [IAM_ROLE] ARN in dwh.cfg or SPARKIFY_IAM_ROLE"
        ))
    };
    let rest = arn.strip_prefix("arn:").ok_or_else(bad)?;
    let mut parts = rest.splitn(5, ':');
    let (partition, service, region, account, resource) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let name = resource.strip_prefix("role/").unwrap_or("");
    let ok = matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    if ok { Ok(()) } else { Err(bad()) }
}

/// An AWS region name such as `us-west-2` or `ap-southeast-1`.
fn check_region(region: &str) -> Result<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "{region:?} is not an AWS region name (e.g. us-west-2)"
        )))
    }
}

/// A Redshift cluster.
pub struct Redshift {
    inner: Postgres,
    auth: Option<CopyAuth>,
    manifest_prefix: Option<String>,
}

impl Redshift {
    /// Connects to the cluster; `copy` is what staging's COPY authenticates with, and
    /// `manifest_prefix` where it writes the manifest of the files a run loads (without one,
    /// each COPY reads the whole source).
    pub fn open(
        target: Target,
        copy: Option<CopyAuth>,
        manifest_prefix: Option<String>,
    ) -> Result<Redshift> {
        let inner = Postgres::connect_as(target, Dialect::Redshift)?;
        Ok(Redshift {
            inner,
            auth: copy,
            manifest_prefix,
        })
    }
}

/// The manifest naming exactly `files` (Redshift's format), written under `prefix`; returns
/// its URI. Each run writes its own and leaves it, as a record of what that COPY read.
pub fn write_manifest(prefix: &str, table: &str, files: &[SourceFile]) -> Result<String> {
    let mut entries = Vec::with_capacity(files.len());
    for f in files {
        if !f.location.starts_with("s3://") {
            return Err(Error::usage(format!(
                "Redshift reads only S3: {} is not an s3:// object",
                f.location
            )));
        }
        entries.push(serde_json::json!({ "url": f.location, "mandatory": true }));
    }
    let body = serde_json::to_vec_pretty(&serde_json::json!({ "entries": entries }))
        .map_err(|e| Error::usage(format!("cannot write the manifest: {e}")))?;
    let stamp: String = crate::time::now_utc()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let uri = format!(
        "{prefix}/sparkify-{table}-{stamp}-{}.manifest",
        std::process::id()
    );
    crate::source::s3::put(&uri, body)?;
    Ok(uri)
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

    fn execute_bound(&mut self, sql: &str, binds: &[Value]) -> Result<()> {
        self.inner.execute_bound(sql, binds)
    }

    fn query_bound(&mut self, sql: &str, binds: &[Value]) -> Result<QueryResult> {
        self.inner.query_bound(sql, binds)
    }

    /// Redshift has no advisory locks: the run locks its ledger inside its transaction, so a
    /// second run waits at this point until the first commits, instead of failing later on
    /// a serialisable-isolation conflict.
    fn lock_in_transaction(&mut self) -> Result<()> {
        self.inner
            .execute(&sql::statement("bookkeeping/redshift_lock_run.sql", &[])?.text)
    }

    fn staging(&self) -> Staging {
        if self.manifest_prefix.is_some() {
            Staging::ServerCopyListed
        } else {
            Staging::ServerCopy
        }
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
            manifest_prefix: self.manifest_prefix.as_deref(),
        }))
    }
}

/// Redshift's own `COPY ... FROM 's3://...'`: the cluster reads the source, then its load
/// history says what was read and rejected, per file.
struct ServerCopy<'a> {
    inner: &'a mut Postgres,
    auth: CopyAuth,
    manifest_prefix: Option<&'a str>,
}

impl Stager for ServerCopy<'_> {
    fn load(
        &mut self,
        job: &StageJob<'_>,
        on_file: &mut dyn FnMut(&FileReport),
    ) -> Result<LoadReport> {
        // With a manifest prefix, the COPY reads exactly the files the pipeline chose.
        let source = match (self.manifest_prefix, job.files.is_empty()) {
            (Some(prefix), false) => Source::S3(write_manifest(prefix, &job.spec.name, job.files)?),
            _ => job.source.clone(),
        };
        self.inner.execute(&copy_statement_with(
            &job.spec.name,
            &source,
            job.format,
            &self.auth.for_source(job.source),
            job.options.max_errors,
            &job.options.conversion,
            self.auth.compression_of(job.source),
        )?)?;
        // What this COPY read, per file, and what it rejected.
        let files = self
            .inner
            .fetch(&sql::statement("bookkeeping/redshift_load_files.sql", &[])?)?;
        let errors = self.inner.fetch(&sql::statement(
            "bookkeeping/redshift_load_errors.sql",
            &[],
        )?)?;
        let mut report = report_from_system_tables(&files, &errors);
        with_listed_files(&mut report, job.files);
        for f in &report.files {
            on_file(f);
        }
        Ok(report)
    }
}

/// The load history knows what the COPY read; the listing knows each file's size and ETag,
/// which the ledger compares on the next run. A listed file the history does not name (an
/// empty file) is recorded as read with no rows, so it is not loaded again.
fn with_listed_files(report: &mut LoadReport, listed: &[SourceFile]) {
    for file in listed {
        match report.files.iter_mut().find(|r| r.file == file.location) {
            Some(r) => {
                r.size = file.size;
                r.version = file.version.clone();
            }
            None => report.files.push(FileReport::unread(file)),
        }
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

/// Builds the same report a local load produces from Redshift's load views: `files` is
/// `redshift_load_files.sql`'s answer (file, lines scanned, bytes scanned), `errors`
/// `redshift_load_errors.sql`'s (the columns of [`LoadError`], in order).
pub fn report_from_system_tables(files: &QueryResult, errors: &QueryResult) -> LoadReport {
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
    let files = files
        .rows
        .iter()
        .map(|r| {
            let file = text(r.first()).unwrap_or_default();
            let rejected = errors.iter().filter(|e| e.file == file).count() as u64;
            let read = int(r.get(1));
            FileReport {
                file,
                size: int(r.get(2)),
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
        errors_not_kept: 0,
        exceeded_max_errors: false,
        // Redshift's load history keeps no count of truncated or replaced values.
        ..LoadReport::default()
    }
}
