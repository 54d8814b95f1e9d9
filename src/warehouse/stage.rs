//! The one seam between the pipeline's staging and an engine: a [`Stager`] fills a staging
//! table inside the run's transaction. The pipeline drives every engine the same way — list
//! and plan against the load ledger, clear when reloading, load, record the ledger and
//! errors, run the engine's post-load hook — and asks the engine only *how* rows get in
//! ([`Staging`]) and for the stager that does it.

use crate::copy::load::{self, FileReport, LoadOptions, LoadReport, RowSink};
use crate::copy::{FormatSpec, JsonFormat};
use crate::error::{Error, Result};
use crate::schema::TableSpec;
use crate::source::{Source, SourceFile};

/// How an engine's staging tables are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staging {
    /// sparkify's COPY-faithful loader reads exactly the files the pipeline chose (those the
    /// load ledger does not hold yet) and appends their rows.
    ClientLoader,
    /// The engine reads every object the source names by itself (Redshift's `COPY ... FROM
    /// 's3://...'`), so the table is reloaded whole and the ledger is rebuilt from what the
    /// engine reports.
    ServerCopy,
    /// The engine reads exactly the files the pipeline chose, named in a manifest it writes
    /// (Redshift's `COPY ... MANIFEST`); the ledger is filled from what the engine reports.
    ServerCopyListed,
}

/// What one staging load is asked to do.
pub struct StageJob<'a> {
    pub spec: &'a TableSpec,
    pub source: &'a Source,
    /// As the user wrote it (a server-side COPY passes it on).
    pub format: &'a FormatSpec,
    /// Resolved (JSONPaths read) for the client-side loader; `None` for a server-side COPY.
    pub json: Option<&'a JsonFormat>,
    /// The files to read; a server-side COPY of the whole source gets none.
    pub files: &'a [SourceFile],
    pub options: &'a LoadOptions,
}

/// Fills one staging table inside the current transaction.
pub trait Stager {
    /// Loads the job's rows and reports, per file, what was read, loaded and rejected. A
    /// report with `exceeded_max_errors` set leaves the transaction to be rolled back.
    fn load(
        &mut self,
        job: &StageJob<'_>,
        on_file: &mut dyn FnMut(&FileReport),
    ) -> Result<LoadReport>;

    /// Pushes out what is buffered; called once after a load that is kept.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// The client-side stager: sparkify's loader into an engine's bulk sink.
pub struct ClientStager<'a> {
    sink: Box<dyn RowSink + 'a>,
}

impl<'a> ClientStager<'a> {
    pub fn new(sink: Box<dyn RowSink + 'a>) -> ClientStager<'a> {
        ClientStager { sink }
    }
}

impl Stager for ClientStager<'_> {
    fn load(
        &mut self,
        job: &StageJob<'_>,
        on_file: &mut dyn FnMut(&FileReport),
    ) -> Result<LoadReport> {
        let json = job.json.ok_or_else(|| {
            Error::usage(format!(
                "the loader for {} was given no resolved JSON format",
                job.spec.name
            ))
        })?;
        let open = |f: &SourceFile| job.source.open(f);
        load::load(
            job.spec,
            json,
            job.files,
            &open,
            job.options,
            self.sink.as_mut(),
            on_file,
        )
    }

    fn finish(&mut self) -> Result<()> {
        self.sink.finish()
    }
}
