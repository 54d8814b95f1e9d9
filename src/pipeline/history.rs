//! The run history: every `run` and `etl` leaves a row in `runs`, and `--results FILE` gets the
//! same as JSON. A run that publishes writes its row inside its own transaction (the row exists
//! exactly when the run was committed); a run that was rolled back writes it afterwards in a
//! transaction of its own, as `audit_failures` and `load_errors` are kept.

use std::time::Instant;

use super::{Build, StageReport};
use crate::checks::CheckReport;
use crate::error::{Error, Result};
use crate::sql::Severity;
use crate::value::{Row, Value};
use crate::warehouse::Warehouse;

/// Version of the `--results` JSON shape; it changes only when a field changes meaning or goes.
pub const RESULTS_VERSION: u32 = 1;

/// Longest error message kept in `runs.error` (its column is VARCHAR(4096), in bytes).
const ERROR_BYTES: usize = 4000;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Committed: analysts see it (with `--publish-on-failure`, also when checks failed).
    Published,
    /// Rolled back because an error-severity check failed.
    ChecksFailed,
    /// Rolled back because a load rejected more rows than `--max-errors`.
    RejectedLoad,
    /// Rolled back, or never started, because of another failure.
    Error,
    /// Rolled back because the user pressed Ctrl-C.
    Interrupted,
}

impl RunStatus {
    /// The word in `runs.status` and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Published => "published",
            RunStatus::ChecksFailed => "checks_failed",
            RunStatus::RejectedLoad => "rejected_load",
            RunStatus::Error => "error",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// The status of a run that failed with `e`.
    pub fn of_error(e: &Error) -> RunStatus {
        if crate::interrupt::requested() {
            return RunStatus::Interrupted;
        }
        match e {
            Error::NotPublished { .. } => RunStatus::ChecksFailed,
            Error::TooManyLoadErrors { .. } => RunStatus::RejectedLoad,
            Error::Interrupted => RunStatus::Interrupted,
            _ => RunStatus::Error,
        }
    }
}

/// Who a run is: known before it starts, the same over every reconnect attempt.
#[derive(Debug, Clone)]
pub struct RunMeta {
    /// `YYYYMMDDTHHMMSS.mmmZ-PID`: unique per process and millisecond, ordered by start.
    pub id: String,
    /// `run` or `etl`.
    pub command: &'static str,
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    pub started: String,
    clock: Instant,
}

impl RunMeta {
    /// A run of `command` starting now.
    pub fn start(command: &'static str) -> RunMeta {
        let ms = crate::time::now_millis();
        let stamp = crate::time::format_timestamp_micros(ms.div_euclid(1000) * 1_000_000);
        let compact: String = stamp.chars().filter(char::is_ascii_digit).collect();
        let id = format!(
            "{}T{}.{:03}Z-{}",
            &compact[..8.min(compact.len())],
            compact.get(8..).unwrap_or(""),
            ms.rem_euclid(1000),
            std::process::id()
        );
        RunMeta {
            id,
            command,
            started: stamp,
            clock: Instant::now(),
        }
    }
}

/// What a run did so far: filled in as it goes, so a run that fails half-way still says what
/// it had staged and checked.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub staged: Vec<StageReport>,
    pub build: Option<Build>,
    /// Why the star schema was rebuilt, as the summary says it.
    pub rebuild_reason: Option<String>,
    pub checks: Option<CheckReport>,
    /// Rows rejected by a load that failed (not in `staged`).
    pub rejected_by_failed_load: u64,
}

/// One row of `runs`, and the `--results` JSON.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub meta: RunMeta,
    pub finished: String,
    pub seconds: f64,
    pub status: RunStatus,
    pub engine: &'static str,
    pub warehouse: String,
    pub tally: Tally,
    /// The error, secrets scrubbed.
    pub error: Option<String>,
    pub exit_code: u8,
    /// Whether the row reached `runs` (not when the warehouse could not be reached).
    pub recorded: bool,
}

impl RunRecord {
    /// The record of a run that ended now with `outcome`.
    pub fn new(
        meta: &RunMeta,
        engine: &'static str,
        warehouse: String,
        tally: Tally,
        outcome: std::result::Result<(), &Error>,
    ) -> RunRecord {
        let (status, error, exit_code) = match outcome {
            Ok(()) => {
                let failed = tally
                    .checks
                    .as_ref()
                    .is_some_and(|c| !c.failed().is_empty());
                (RunStatus::Published, None, if failed { 3 } else { 0 })
            }
            Err(e) => {
                let status = RunStatus::of_error(e);
                let code = if status == RunStatus::Interrupted {
                    130
                } else {
                    e.exit_code()
                };
                (status, Some(crate::secrets::scrub(&e.to_string())), code)
            }
        };
        RunRecord {
            meta: meta.clone(),
            finished: crate::time::now_utc(),
            seconds: meta.clock.elapsed().as_secs_f64(),
            status,
            engine,
            warehouse,
            tally,
            error,
            exit_code,
            recorded: false,
        }
    }

    pub fn files_staged(&self) -> u64 {
        self.tally.staged.iter().map(|s| s.files as u64).sum()
    }

    pub fn rows_staged(&self) -> u64 {
        self.tally.staged.iter().map(|s| s.rows_loaded).sum()
    }

    pub fn rows_rejected(&self) -> u64 {
        self.tally
            .staged
            .iter()
            .map(|s| s.rows_rejected)
            .sum::<u64>()
            + self.tally.rejected_by_failed_load
    }

    /// (passed, failed, warned), when the run was audited.
    pub fn check_counts(&self) -> Option<(usize, usize, usize)> {
        self.tally.checks.as_ref().map(|c| {
            let passed = c.results.iter().filter(|r| r.passed()).count();
            (passed, c.failed().len(), c.warned().len())
        })
    }

    pub fn build_name(&self) -> Option<&'static str> {
        self.tally.build.as_ref().map(|b| match b {
            Build::Incremental => "incremental",
            Build::Rebuild(_) => "rebuild",
        })
    }

    /// The row, in the column order of `sql/schema/runs.sql`.
    fn row(&self) -> Row {
        let int = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
        let opt_text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::Text(s.to_string()));
        let counts = self.check_counts();
        let count = |pick: fn((usize, usize, usize)) -> usize| {
            counts.map_or(Value::Null, |c| Value::Int(pick(c) as i64))
        };
        let error = self.error.as_deref().map(|e| {
            let mut end = e.len().min(ERROR_BYTES);
            while !e.is_char_boundary(end) {
                end -= 1;
            }
            &e[..end]
        });
        vec![
            Value::Text(self.meta.id.clone()),
            Value::Text(self.meta.command.to_string()),
            Value::Text(self.status.name().to_string()),
            Value::Text(self.meta.started.clone()),
            Value::Text(self.finished.clone()),
            opt_text(self.build_name()),
            opt_text(self.tally.rebuild_reason.as_deref()),
            int(self.files_staged()),
            int(self.rows_staged()),
            int(self.rows_rejected()),
            count(|c| c.0),
            count(|c| c.1),
            count(|c| c.2),
            Value::Text(env!("CARGO_PKG_VERSION").to_string()),
            Value::Text(self.engine.to_string()),
            opt_text(error),
        ]
    }

    /// Inserts the row (inside whatever transaction the caller has open).
    pub(super) fn insert(&mut self, wh: &mut dyn Warehouse) -> Result<()> {
        super::ledger::insert_all_columns(wh, "runs", &[self.row()])?;
        self.recorded = true;
        Ok(())
    }

    /// The `--results` JSON (see the README, "Run history").
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let iso = |t: &str| format!("{}Z", t.replacen(' ', "T", 1));
        let tables: Vec<serde_json::Value> = self
            .tally
            .staged
            .iter()
            .map(|s| {
                json!({
                    "table": s.table,
                    "source": s.source,
                    "files": s.files,
                    "already_loaded": s.already_loaded,
                    "bytes": s.bytes,
                    "rows_read": s.rows_read,
                    "rows_loaded": s.rows_loaded,
                    "rows_rejected": s.rows_rejected,
                    "reloaded_whole": s.full_reload,
                })
            })
            .collect();
        let checks = self.tally.checks.as_ref().map(|c| {
            let (passed, failed, warned) = self.check_counts().unwrap_or_default();
            let results: Vec<serde_json::Value> = c
                .results
                .iter()
                .map(|r| {
                    let status = match (r.passed(), r.severity) {
                        (true, _) => "passed",
                        (false, Severity::Error) => "failed",
                        (false, Severity::Warn) => "warned",
                    };
                    json!({
                        "table": r.table,
                        "rule": r.name,
                        "status": status,
                        "violations": r.violations,
                        "detail": r.detail,
                    })
                })
                .collect();
            json!({
                "passed": passed,
                "failed": failed,
                "warned": warned,
                "results": results,
            })
        });
        json!({
            "sparkify_results": RESULTS_VERSION,
            "run_id": self.meta.id,
            "command": self.meta.command,
            "status": self.status.name(),
            "exit_code": self.exit_code,
            "started": iso(&self.meta.started),
            "finished": iso(&self.finished),
            "seconds": (self.seconds * 1000.0).round() / 1000.0,
            "sparkify_version": env!("CARGO_PKG_VERSION"),
            "engine": self.engine,
            "warehouse": self.warehouse,
            "build": self.build_name(),
            "rebuild_reason": self.tally.rebuild_reason,
            "files_staged": self.files_staged(),
            "rows_staged": self.rows_staged(),
            "rows_rejected": self.rows_rejected(),
            "tables": tables,
            "checks": checks,
            "error": self.error,
            "recorded": self.recorded,
        })
    }
}

/// Records a run that did not publish, in a transaction of its own (creating the tables when
/// the failed run was the one that would have). A failure here is returned for the caller to
/// report; it never replaces the run's own error.
pub(super) fn record_failed(wh: &mut dyn Warehouse, record: &mut RunRecord) -> Result<()> {
    let attempt = |wh: &mut dyn Warehouse, record: &mut RunRecord| {
        super::in_transaction(wh, |wh| {
            super::create_in(wh, false)?;
            record.insert(wh)
        })
    };
    match attempt(wh, record) {
        // Ctrl-C sets the flag the run stops on, then asks each connection to stop its
        // statement. When the run has already stopped on the flag, DuckDB keeps that late
        // request pending and fails the next statement it runs, which is this record's (the
        // interrupted run then went missing from `runs` under load in tests/failures.rs). The
        // failed statement clears DuckDB's pending interrupt, so a second attempt records it.
        Err(_) if crate::interrupt::requested() => attempt(wh, record),
        other => other,
    }
}
