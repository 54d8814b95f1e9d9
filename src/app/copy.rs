//! `sparkify copy`: Redshift COPY statements run against the current warehouse.

use std::io::Write;
use std::path::Path;

use super::{Bar, Context};
use crate::copy::load::LoadOptions;
use crate::copy::statement::parse_script;
use crate::error::{Error, Result};
use crate::output::thousands;
use crate::pipeline::copy_command::{CopyOutcome, run_copy};

/// Parses every statement first (a typo in the third must not leave the first two loaded),
/// then runs them in order, each in its own transaction; the first failure stops.
pub(super) fn cmd_copy(ctx: &Context, statement: Option<&str>, file: Option<&Path>) -> Result<()> {
    let (text, origin) = match (statement, file) {
        (_, Some(path)) => (
            std::fs::read_to_string(path)
                .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?,
            path.display().to_string(),
        ),
        (Some(s), None) => (s.to_string(), "COPY statement".to_string()),
        (None, None) => {
            return Err(Error::usage(
                "give a COPY statement, or -f FILE with one or more",
            ));
        }
    };
    let statements = parse_script(&text).map_err(|e| Error::usage(format!("{origin}: {e}")))?;
    let mut wh = ctx.open()?;
    let bar = Bar::new(ctx.quiet);
    for (n, statement) in statements.iter().enumerate() {
        let outcome = run_copy(wh.as_mut(), statement, &LoadOptions::default(), &bar);
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                if statements.len() > 1 {
                    ctx.note(&format!(
                        "statement {} of {} (line {} of {origin}) failed; {} after it did not run",
                        n + 1,
                        statements.len(),
                        statement.line,
                        statements.len() - n - 1
                    ));
                }
                return Err(e);
            }
        };
        print_outcome(&outcome);
    }
    Ok(())
}

/// What Redshift prints after a COPY, with sparkify's table of rejected rows.
fn print_outcome(o: &CopyOutcome) {
    let mut out = std::io::stdout().lock();
    if o.sent_as_is {
        let _ = writeln!(out, "COPY {}: sent to Redshift as written", o.table);
        return;
    }
    let _ = writeln!(
        out,
        "INFO:  Load into table '{}' completed, {} record(s) loaded successfully.",
        o.table,
        thousands(o.rows_loaded as i64)
    );
    if o.rows_rejected > 0 {
        let _ = writeln!(
            out,
            "INFO:  Load into table '{}' completed, {} record(s) could not be loaded.  Check \
             'load_errors' table for details.",
            o.table,
            thousands(o.rows_rejected as i64)
        );
    }
    if let (true, Some(c)) = (o.replaced > 0, o.replacement) {
        let _ = writeln!(
            out,
            "INFO:  {} invalid UTF-8 byte(s) replaced with '{c}' in {} line(s) (ACCEPTINVCHARS).",
            thousands(o.replaced as i64),
            thousands(o.replaced_lines as i64)
        );
    }
    if o.truncated > 0 {
        let _ = writeln!(
            out,
            "INFO:  {} value(s) truncated to fit their column (TRUNCATECOLUMNS).",
            thousands(o.truncated as i64)
        );
    }
}
