//! The library's error type. Every failure a user can cause or meet maps to one variant, so the
//! binary can choose an exit code by kind instead of by parsing messages.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or configuration asks for something that cannot work.
    #[error("{0}")]
    Usage(String),

    /// `dwh.cfg` (or another INI file) is not valid.
    #[error("{path}:{line}: {message}")]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },

    /// A source folder, file or prefix that does not exist or cannot be read.
    #[error("{path}: {message}")]
    Source { path: String, message: String },

    /// A JSONPaths file that Redshift would refuse; never counted against MAXERROR.
    #[error("JSONPaths file {path}: {message}")]
    JsonPaths { path: String, message: String },

    /// More rows were rejected than `--max-errors` allows; nothing of the load was kept.
    #[error(
        "load of {table} rejected: {rejected} bad row(s), more than --max-errors {max_errors}; nothing was loaded. First error: {first}"
    )]
    TooManyLoadErrors {
        table: String,
        rejected: u64,
        max_errors: u64,
        first: String,
    },

    /// A `sparkify copy` statement rejected more rows than its MAXERROR; the table is as before.
    #[error(
        "COPY into {table} rejected: {rejected} bad row(s), more than MAXERROR {max_errors}; the table is unchanged (every rejected row is in load_errors). First error: {first}"
    )]
    CopyRejected {
        table: String,
        rejected: u64,
        max_errors: u64,
        first: String,
    },

    /// The warehouse refused a statement or could not be reached.
    #[error("{0}")]
    Warehouse(String),

    /// The connection to the warehouse broke during the work (server stopped or restarted,
    /// network cut). The transaction it was in either committed whole (if it broke during
    /// COMMIT) or not at all.
    #[error(
        "{0} (the connection to the warehouse was lost; the run is one transaction, so the \
         warehouse holds all of it or none of it, never part; running again is safe)"
    )]
    ConnectionLost(String),

    /// An AWS API refused a request or could not be reached (`sparkify infra`).
    #[error("{0}")]
    Aws(String),

    /// Data-quality checks ran and some failed.
    #[error("{failed} data-quality check(s) failed")]
    ChecksFailed { failed: usize },

    /// The run's checks failed before COMMIT, so it was rolled back (write-audit-publish).
    #[error(
        "{} data-quality check(s) failed, so nothing was published: the warehouse is as it was \
         before this run (see audit_failures for sample rows). Failed: {}",
        .rules.len(),
        .rules.join("; ")
    )]
    NotPublished { rules: Vec<String> },

    /// The user interrupted the run (Ctrl-C).
    #[error(
        "interrupted (Ctrl-C): the unfinished work was rolled back; the warehouse is as it was before"
    )]
    Interrupted,

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    pub fn warehouse(message: impl Into<String>) -> Self {
        Error::Warehouse(message.into())
    }

    /// The process exit code this error ends `sparkify` with (see `sparkify --help`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Config { .. } | Error::JsonPaths { .. } => 2,
            Error::ChecksFailed { .. } | Error::NotPublished { .. } => 3,
            Error::TooManyLoadErrors { .. } | Error::CopyRejected { .. } => 4,
            Error::Interrupted => 130,
            Error::Source { .. }
            | Error::Warehouse(_)
            | Error::ConnectionLost(_)
            | Error::Aws(_)
            | Error::Io { .. } => 1,
        }
    }

    /// A source file (or object) that could not be opened or read to its end.
    pub fn unreadable(path: &str, e: &std::io::Error) -> Self {
        Error::Source {
            path: path.to_string(),
            message: format!("cannot read file: {e}"),
        }
    }
}
