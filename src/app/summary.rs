//! The summary `run` and `etl` print: one row per step, the match rate, failed and warned
//! checks, and the verdict.

use super::*;

/// One line of a step table: step, rows and time in aligned columns, no trailing blanks.
pub(super) fn step_row(step: &str, rows: &str, time: &str) -> String {
    format!("{step:<24}{rows:>12}  {time:>9}")
        .trim_end()
        .to_string()
}

pub(super) fn stage_line(s: &StageReport) -> String {
    let mut line = format!(
        "{}   {} read, {} rejected, {} files, {}",
        step_row(
            &format!("stage {}", s.table),
            &thousands(s.rows_loaded as i64),
            &output::duration(s.elapsed)
        ),
        thousands(s.rows_read as i64),
        thousands(s.rows_rejected as i64),
        thousands(s.files as i64),
        output::bytes(s.bytes),
    );
    if s.already_loaded > 0 {
        line.push_str(&format!(
            "; {} already loaded, skipped",
            thousands(s.already_loaded as i64)
        ));
    }
    if !s.changed.is_empty() && !s.full_reload {
        line.push_str(&format!(
            "; {} changed, left as loaded",
            thousands(s.changed.len() as i64)
        ));
    }
    line
}

/// Whether the run updated the star schema from its new rows or rebuilt it, and why.
pub(super) fn build_line(run: &RunRecord) -> String {
    match (run.build_name(), &run.tally.rebuild_reason) {
        (Some("incremental"), _) => {
            "Build: incremental (the star schema was updated from this run's new rows).".to_string()
        }
        (_, Some(reason)) => format!("Build: full rebuild from all staged rows ({reason})."),
        _ => "Build: full rebuild from all staged rows.".to_string(),
    }
}

/// What a failed rule found: its own words when it has them, else the rows that break it.
pub(super) fn check_line(r: &crate::checks::CheckResult) -> String {
    match &r.detail {
        Some(detail) => detail.clone(),
        None => format!("{} violating rows", thousands(r.violations)),
    }
}

pub(super) fn match_line(report: &CheckReport) -> String {
    format!(
        "Song plays matched to a catalogue song: {} of {} ({:.2} %)",
        thousands(report.matched_songplays),
        thousands(report.songplays),
        report.match_rate() * 100.0
    )
}

pub(super) fn print_summary(
    warehouse: &str,
    done: &pipeline::EtlReport,
    checked: &CheckReport,
    total: std::time::Duration,
) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Warehouse: {warehouse}");
    for s in &done.staged {
        let _ = writeln!(out, "  {:<15} {} ({})", s.table, s.source, s.format);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", step_row("step", "rows", "time"));
    let _ = writeln!(
        out,
        "{}",
        step_row("create tables", "", &output::duration(done.created))
    );
    for s in &done.staged {
        let _ = writeln!(out, "{}", stage_line(s));
    }
    let models = &done.transformed.models;
    for (i, (model, rows)) in models.iter().enumerate() {
        // The transforms run as one statement batch; their time goes on the last line.
        let time = if i + 1 == models.len() {
            output::duration(done.transformed.elapsed)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}",
            step_row(&format!("transform {model}"), &thousands(*rows), &time)
        );
    }
    let passed = checked.results.iter().filter(|r| r.passed()).count();
    let _ = writeln!(
        out,
        "{}",
        step_row(
            "checks",
            &format!("{passed}/{}", checked.results.len()),
            &output::duration(checked.elapsed)
        )
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", build_line(&done.run));
    let _ = writeln!(out, "{}", match_line(checked));
    for f in checked.failed() {
        let _ = writeln!(
            out,
            "FAILED check {}: {} ({})",
            f.table,
            f.name,
            check_line(f)
        );
    }
    for w in checked.warned() {
        let _ = writeln!(
            out,
            "warning: check {}: {} ({}; warn severity, not blocking)",
            w.table,
            w.name,
            check_line(w)
        );
    }
    let verdict = if checked.failed().is_empty() && checked.warned().is_empty() {
        format!("All {} checks passed", checked.results.len())
    } else if checked.failed().is_empty() {
        format!(
            "{} of {} checks passed, {} warned",
            passed,
            checked.results.len(),
            checked.warned().len()
        )
    } else {
        format!(
            "{} of {} checks FAILED",
            checked.failed().len(),
            checked.results.len()
        )
    };
    let _ = writeln!(out, "{verdict}. Total time {}.", output::duration(total));
}

/// What a backfill replaced, for people: the files (replaced, added, removed, each named), the
/// staging rows removed and added, and the range's plays before and after.
pub(super) fn backfill_lines(b: &pipeline::BackfillReport) -> Vec<String> {
    let mut lines = vec![
        format!(
            "Backfill of {}: event files by the date in their names (song files and files \
             without a date are not touched)",
            b.range
        ),
        format!(
            "  {} file(s) replaced, {} added, {} removed",
            b.replaced.len(),
            b.added.len(),
            b.removed.len()
        ),
    ];
    for (what, files) in [
        ("replaced", &b.replaced),
        ("added", &b.added),
        ("removed", &b.removed),
    ] {
        lines.extend(files.iter().map(|f| format!("    {what:<9}{f}")));
    }
    lines.push(format!(
        "  staging_events: {} row(s) removed, {} added, {} rejected ({} read)",
        thousands(b.rows_removed),
        thousands(b.staged.rows_loaded as i64),
        thousands(b.staged.rows_rejected as i64),
        thousands(b.staged.rows_read as i64),
    ));
    lines.push(format!(
        "  songplays of {}: {} before, {} after",
        b.range,
        thousands(b.plays_before),
        thousands(b.plays_after)
    ));
    lines
}
