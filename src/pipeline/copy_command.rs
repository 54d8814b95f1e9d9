//! `sparkify copy`: one Redshift `COPY ... FORMAT AS JSON` statement run against the current
//! warehouse, on any table. The table's shape comes from the warehouse's catalog
//! (`information_schema.columns`), the rows from the pipeline's loader through the engine's
//! [`Stager`](crate::warehouse::Stager), in one transaction; rejected rows go to `load_errors`
//! as the pipeline's do. On Redshift the statement is sent as it is.

use super::{Progress, in_transaction, ledger};
use crate::copy::load::{FileReport, LoadOptions, LoadReport};
use crate::copy::statement::{CopyOption, CopyStatement, JsonArg};
use crate::copy::{Conversion, FormatSpec};
use crate::error::{Error, Result};
use crate::schema::{Column, ColumnType, TableSpec};
use crate::source::Source;
use crate::sql::{self, Dialect, Param};
use crate::value::Value;
use crate::warehouse::{StageJob, Warehouse};

/// What one COPY did.
#[derive(Debug, Clone, Default)]
pub struct CopyOutcome {
    pub table: String,
    pub files: usize,
    pub rows_loaded: u64,
    pub rows_rejected: u64,
    /// Values TRUNCATECOLUMNS cut.
    pub truncated: u64,
    /// Bytes of invalid UTF-8 ACCEPTINVCHARS replaced, on how many lines, and by what.
    pub replaced: u64,
    pub replaced_lines: u64,
    pub replacement: Option<char>,
    /// The statement went to Redshift as written; the counts are not known here.
    pub sent_as_is: bool,
}

/// What the statement's options ask for, resolved.
struct Plan {
    format: FormatSpec,
    max_errors: u64,
    manifest: bool,
    conversion: Conversion,
    compression: Option<crate::copy::compressed::Compression>,
}

/// Why each option that changes nothing locally changes nothing.
fn no_op_note(option: &str) -> String {
    let why = match option {
        "IAM_ROLE" | "CREDENTIALS" | "ACCESS_KEY_ID" | "SECRET_ACCESS_KEY" | "SESSION_TOKEN" => {
            "sparkify reads the source with your own AWS credentials (the standard chain)"
        }
        "REGION" => "sparkify finds an s3:// bucket's region by itself",
        _ => "only Redshift keeps compression encodings and planner statistics",
    };
    format!("{option} accepted; locally it changes nothing ({why})")
}

fn plan(statement: &CopyStatement, progress: &dyn Progress) -> Result<Plan> {
    let mut plan = Plan {
        format: FormatSpec::Auto,
        max_errors: 0,
        manifest: false,
        conversion: Conversion::default(),
        compression: None,
    };
    for option in &statement.options {
        match option {
            CopyOption::Json(JsonArg::Auto) => plan.format = FormatSpec::Auto,
            CopyOption::Json(JsonArg::AutoIgnoreCase) => plan.format = FormatSpec::AutoIgnoreCase,
            CopyOption::Json(JsonArg::Paths(p)) => {
                plan.format = FormatSpec::JsonPaths(Source::parse(p)?)
            }
            CopyOption::MaxError(n) => plan.max_errors = *n,
            CopyOption::Manifest => plan.manifest = true,
            CopyOption::Compressed(c) => plan.compression = Some(*c),
            CopyOption::NoOp(name) => progress.note(&no_op_note(name)),
            // The data-conversion options, read together below.
            _ => {}
        }
    }
    let conversions: Vec<CopyOption> = statement
        .options
        .iter()
        .filter(|o| {
            !matches!(
                o,
                CopyOption::Json(_)
                    | CopyOption::MaxError(_)
                    | CopyOption::Manifest
                    | CopyOption::Compressed(_)
                    | CopyOption::NoOp(_)
            )
        })
        .cloned()
        .collect();
    plan.conversion = Conversion::from_options(&conversions, "COPY").map_err(Error::usage)?;
    Ok(plan)
}

/// The columns of `table` as the warehouse's catalog describes them; the columns the COPY
/// loads (its column list, or all of them), in that order.
pub fn table_spec(
    wh: &mut dyn Warehouse,
    table: &str,
    column_list: Option<&[String]>,
) -> Result<TableSpec> {
    let (schema, name) = table.split_once('.').unwrap_or(("", table));
    let found = wh.fetch(&sql::statement(
        "bookkeeping/table_columns.sql",
        &[
            ("table", Param::Text(name)),
            ("schema", Param::Text(schema)),
        ],
    )?)?;
    if found.rows.is_empty() {
        return Err(Error::usage(format!(
            "table {table} does not exist in {} (COPY loads an existing table: create it first, \
             e.g. with sparkify query \"CREATE TABLE {table} (...)\")",
            wh.describe()
        )));
    }
    let text = |v: Option<&Value>| match v {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    };
    let int = |v: Option<&Value>| match v {
        Some(Value::Int(n)) => Some(*n),
        _ => None,
    };
    // Every column with its type, or the catalog's type name when the loader has none.
    let mut all: Vec<(String, std::result::Result<ColumnType, String>, bool)> = Vec::new();
    for row in &found.rows {
        let column = text(row.first());
        let data_type = text(row.get(1));
        let ty = ColumnType::from_catalog(
            &data_type,
            int(row.get(2)),
            int(row.get(3)),
            int(row.get(4)),
        )
        .ok_or(data_type);
        let not_null = text(row.get(5)).eq_ignore_ascii_case("NO");
        all.push((column, ty, not_null));
    }
    let wanted: Vec<String> = match column_list {
        Some(list) => list.to_vec(),
        None => all.iter().map(|(c, ..)| c.clone()).collect(),
    };
    let mut columns = Vec::new();
    for want in &wanted {
        let Some((name, ty, not_null)) = all.iter().find(|(c, ..)| c == want) else {
            return Err(Error::usage(format!(
                "column {want} of the column list does not exist in table {table} (its columns: \
                 {})",
                all.iter()
                    .map(|(c, ..)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let ty = ty.clone().map_err(|data_type| {
            Error::usage(format!(
                "column {name} of {table} has type {data_type}, which sparkify copy cannot load \
                 JSON into (it loads CHAR, VARCHAR, SMALLINT, INTEGER, BIGINT, DECIMAL, REAL, \
                 DOUBLE PRECISION, BOOLEAN, DATE and TIMESTAMP); leave it out with a column \
                 list, and it gets its DEFAULT"
            ))
        })?;
        columns.push(Column {
            name: name.clone(),
            ty,
            not_null: *not_null,
        });
    }
    Ok(TableSpec {
        name: table.to_string(),
        columns,
    })
}

/// Runs one COPY statement in its own transaction. More rejected rows than MAXERROR roll it
/// back (the table is unchanged) and keep the rejected rows in `load_errors`.
pub fn run_copy(
    wh: &mut dyn Warehouse,
    statement: &CopyStatement,
    base: &LoadOptions,
    progress: &dyn Progress,
) -> Result<CopyOutcome> {
    if wh.dialect() == Dialect::Redshift {
        // Redshift runs its own COPY, with its own rules: nothing to emulate.
        wh.execute(&statement.text)?;
        return Ok(CopyOutcome {
            table: statement.table.clone(),
            sent_as_is: true,
            ..CopyOutcome::default()
        });
    }
    let plan = plan(statement, progress)?;
    let source = Source::parse(&statement.from)?;
    let listing = if plan.manifest {
        source.list_as_manifest()?
    } else if source.is_manifest() {
        return Err(Error::usage(format!(
            "{source} ends in .manifest but the COPY does not say MANIFEST: Redshift would load \
             the manifest itself as data. Add MANIFEST to load the files it lists"
        )));
    } else {
        source.list()?
    };
    if listing.files.is_empty() {
        return Err(Error::Source {
            path: source.to_string(),
            message: "no files to load (COPY fails when nothing matches)".into(),
        });
    }
    for skipped in listing.skipped.iter().take(5) {
        progress.note(&format!("skipping hidden file {skipped}"));
    }
    for missing in &listing.missing {
        progress.note(&format!(
            "skipping {missing}: listed in the manifest as optional, and it does not exist"
        ));
    }
    let (json, warning) = plan.format.resolve_as_redshift()?;
    if let Some(warning) = warning {
        progress.note(&warning);
    }
    let spec = table_spec(wh, &statement.table, statement.columns.as_deref())?;
    let options = LoadOptions {
        max_errors: plan.max_errors,
        conversion: plan.conversion.clone(),
        // Redshift's rule: the keyword alone says whether a file is compressed, not its name.
        compression: crate::copy::compressed::Rule::Keyword(plan.compression),
        repair_mojibake: false,
        threads: match base.threads {
            0 if source.is_remote() => base.remote_concurrency,
            n => n,
        },
        ..base.clone()
    };
    // load_errors is sparkify's STL_LOAD_ERRORS; a database that never ran the pipeline
    // gets it here.
    wh.execute(&sql::schema("load_errors", wh.dialect())?)?;
    // A COPY into one of sparkify's own tables changes what the last audited run checked.
    let own_table = sql::all_tables()?.contains(&spec.name.as_str());
    if own_table {
        wh.execute(&sql::schema("audit_state", wh.dialect())?)?;
    }
    let job = StageJob {
        spec: &spec,
        source: &source,
        format: &plan.format,
        json: Some(&json),
        files: &listing.files,
        options: &options,
    };
    let total_bytes = listing.files.iter().map(|f| f.size).sum();
    progress.load_started(&spec.name, listing.files.len() as u64, total_bytes);
    let mut rejected: Option<LoadReport> = None;
    let outcome = in_transaction(wh, |wh| {
        let report = {
            let mut stager = wh.stager(&spec)?;
            let report = stager.load(&job, &mut |f: &FileReport| progress.file_loaded(f))?;
            if !report.exceeded_max_errors {
                stager.finish()?;
            }
            report
        };
        if report.exceeded_max_errors {
            let error = Error::CopyRejected {
                table: spec.name.clone(),
                rejected: report.errors.len() as u64,
                max_errors: plan.max_errors,
                first: report
                    .errors
                    .first()
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
            };
            rejected = Some(report);
            return Err(error);
        }
        ledger::insert_errors(wh, &spec.name, &report.errors)?;
        if own_table {
            wh.run(&sql::statement(
                "bookkeeping/forget_checks_passed.sql",
                &[],
            )?)?;
        }
        Ok(report)
    });
    progress.load_finished();
    if let (Err(Error::CopyRejected { .. }), Some(report)) = (&outcome, &rejected) {
        // As STL_LOAD_ERRORS keeps the rows of a failed COPY: they say why it failed.
        in_transaction(wh, |wh| {
            ledger::insert_errors(wh, &spec.name, &report.errors)
        })?;
    }
    let report = outcome?;
    Ok(CopyOutcome {
        table: spec.name.clone(),
        files: report.files.len(),
        rows_loaded: report.rows_loaded(),
        rows_rejected: report.rows_rejected(),
        truncated: report.truncated,
        replaced: report.replaced,
        replaced_lines: report.replaced_lines,
        replacement: plan.conversion.accept_inv_chars,
        sent_as_is: false,
    })
}
