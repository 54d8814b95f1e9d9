//! `--dry-run`: a warehouse that connects to nothing and writes every statement the command
//! would send, in order, so a user can review what will run on a paid cluster first.
//!
//! The command runs its real code path (the pipeline, the checks) against this warehouse, so
//! the order printed is the order a real run sends. Queries answer no rows: the ledger holds
//! nothing (every listed file would be loaded), counts are 0, and a Redshift COPY reports no
//! files, so no ledger rows are inserted after it. Parameters are shown as comments after their
//! statement (`--   $1 = "staging_events"`); on the wire they travel apart from the text.

use std::io::Write;

use super::postgres::copy_in_statement;
use super::redshift::{CopyAuth, copy_statement_with};
use super::{StageJob, Stager, Staging, Warehouse, WarehouseConfig};
use crate::copy::load::{FileReport, LoadReport};
use crate::error::{Error, Result};
use crate::schema::TableSpec;
use crate::source::Source;
use crate::sql::{self, Dialect, Statement};
use crate::value::{QueryResult, Value};

/// Prints statements instead of sending them.
pub struct DryRun {
    target: String,
    dialect: Dialect,
    staging: Staging,
    auth: Option<CopyAuth>,
    manifest_prefix: Option<String>,
    out: Box<dyn Write>,
}

impl DryRun {
    /// A dry run of `config`, writing to `out`, which first gets the target (never a
    /// password: [`super::postgres::Target`] does not print one).
    pub fn new(config: &WarehouseConfig, mut out: Box<dyn Write>) -> Result<DryRun> {
        let manifest_prefix = match config {
            WarehouseConfig::Redshift {
                manifest_prefix, ..
            } => manifest_prefix.clone(),
            _ => None,
        };
        let (target, dialect, staging, auth) = match config {
            WarehouseConfig::DuckDb { path, .. } => (
                format!("duckdb:{}", path.display()),
                Dialect::DuckDb,
                Staging::ClientLoader,
                None,
            ),
            WarehouseConfig::Postgres(t) => (
                t.to_string(),
                Dialect::Postgres,
                Staging::ClientLoader,
                None,
            ),
            WarehouseConfig::Redshift {
                target,
                copy,
                manifest_prefix,
                ..
            } => (
                target.to_string(),
                Dialect::Redshift,
                if manifest_prefix.is_some() {
                    Staging::ServerCopyListed
                } else {
                    Staging::ServerCopy
                },
                copy.clone(),
            ),
        };
        writeln!(
            out,
            "-- sparkify --dry-run: the statements for {target}, in order; nothing was sent\n"
        )
        .map_err(write_error)?;
        Ok(DryRun {
            target,
            dialect,
            staging,
            auth,
            manifest_prefix,
            out,
        })
    }

    fn print(&mut self, text: &str) -> Result<()> {
        self.print_bound(text, &[])
    }

    /// The statement, then the value of each parameter as a comment line after its `;`.
    fn print_bound(&mut self, text: &str, binds: &[Value]) -> Result<()> {
        let text = text.trim_end();
        let end = if text.ends_with(';') { "" } else { ";" };
        let shown = Statement {
            text: format!("{text}{end}"),
            binds: binds.to_vec(),
        };
        writeln!(self.out, "{shown}\n").map_err(write_error)
    }

    fn comment(&mut self, text: &str) -> Result<()> {
        writeln!(self.out, "-- {text}\n").map_err(write_error)
    }
}

fn write_error(e: std::io::Error) -> Error {
    Error::io("writing the dry run", e)
}

impl Warehouse for DryRun {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn describe(&self) -> String {
        self.target.clone()
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        self.print(sql)
    }

    fn query(&mut self, sql: &str) -> Result<QueryResult> {
        self.print(sql)?;
        Ok(QueryResult::default())
    }

    fn execute_bound(&mut self, sql: &str, binds: &[Value]) -> Result<()> {
        self.print_bound(sql, binds)
    }

    fn query_bound(&mut self, sql: &str, binds: &[Value]) -> Result<QueryResult> {
        self.print_bound(sql, binds)?;
        Ok(QueryResult::default())
    }

    fn staging(&self) -> Staging {
        self.staging
    }

    fn stager<'a>(&'a mut self, _table: &TableSpec) -> Result<Box<dyn Stager + 'a>> {
        Ok(Box::new(DryStager { wh: self }))
    }

    // The hooks print what each engine's own hook sends (see postgres.rs and redshift.rs).
    fn try_lock_for_load(&mut self) -> Result<bool> {
        if self.dialect == Dialect::Postgres {
            let lock = sql::statement("bookkeeping/postgres_try_lock.sql", &[])?;
            self.print(&lock.text)?;
        }
        Ok(true)
    }

    fn lock_in_transaction(&mut self) -> Result<()> {
        if self.dialect == Dialect::Redshift {
            let lock = sql::statement("bookkeeping/redshift_lock_run.sql", &[])?;
            self.print(&lock.text)?;
        }
        Ok(())
    }

    fn after_load(&mut self, table: &str) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            let analyze = sql::statement(
                "bookkeeping/analyze.sql",
                &[("table", sql::Param::Text(table))],
            )?;
            self.print(&analyze.text)?;
        }
        Ok(())
    }

    fn after_append(&mut self) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            self.print(sql::file("bookkeeping/postgres_summarize.sql")?)?;
        }
        Ok(())
    }

    /// A real PostgreSQL load or build asks the catalogue whether to build the table's key and
    /// indexes after filling it; the question answers no rows here, so nothing follows it.
    fn defer_indexes(&mut self, table: &str) -> Result<Vec<String>> {
        if self.dialect == Dialect::Postgres {
            self.fetch(&sql::statement(
                "bookkeeping/postgres_defer_indexes.sql",
                &[("table", sql::Param::Text(table))],
            )?)?;
        }
        Ok(Vec::new())
    }
}

struct DryStager<'a> {
    wh: &'a mut DryRun,
}

impl Stager for DryStager<'_> {
    fn load(
        &mut self,
        job: &StageJob<'_>,
        _on_file: &mut dyn FnMut(&FileReport),
    ) -> Result<LoadReport> {
        match self.wh.staging {
            Staging::ServerCopy | Staging::ServerCopyListed => {
                let auth = self.wh.auth.clone().ok_or_else(|| {
                    Error::usage(
                        "Redshift COPY needs an IAM role: set [IAM_ROLE] ARN in dwh.cfg or SPARKIFY_IAM_ROLE",
                    )
                })?;
                // A real run writes the manifest of the chosen files first; a dry run writes
                // nothing, so the name stands for the one the run would choose.
                let source = match &self.wh.manifest_prefix {
                    Some(prefix) if !job.files.is_empty() => {
                        let name =
                            format!("{prefix}/sparkify-{}-TIMESTAMP.manifest", job.spec.name);
                        self.wh.comment(&format!(
                            "a manifest of {} file(s) not yet in the ledger, written to {name}",
                            job.files.len()
                        ))?;
                        Source::S3(name)
                    }
                    _ => job.source.clone(),
                };
                let copy = copy_statement_with(
                    &job.spec.name,
                    &source,
                    job.format,
                    &auth.for_source(job.source),
                    job.options.max_errors,
                    &job.options.conversion,
                    auth.compression_of(job.source),
                )?;
                self.wh.print(&copy)?;
                for read_back in [
                    "bookkeeping/redshift_load_files.sql",
                    "bookkeeping/redshift_load_errors.sql",
                ] {
                    let statement = sql::statement(read_back, &[])?;
                    self.wh.print(&statement.text)?;
                }
                self.wh.comment(&format!(
                    "then one load_ledger row per file and one load_errors row per rejected \
                     row that this COPY's load history lists, inserted into {}'s bookkeeping",
                    job.spec.name
                ))?;
            }
            Staging::ClientLoader => {
                let how = match self.wh.dialect {
                    Dialect::Postgres => copy_in_statement(job.spec),
                    _ => format!("DuckDB appender into {}", job.spec.name),
                };
                self.wh.comment(&format!(
                    "{}: sparkify's loader reads {} file(s) from {} and streams the rows in \
                     ({how}), then inserts one load_ledger row per file",
                    job.spec.name,
                    job.files.len(),
                    job.source
                ))?;
            }
        }
        Ok(LoadReport::default())
    }
}
