//! `sparkify report`: one self-contained HTML file with the key figures, charts of the
//! built-in questions (inline SVG drawn by plotters, no script, no network), a data-quality
//! section and what was loaded when. The page is a minijinja template with HTML auto-escaping;
//! only the SVG that plotters wrote is inserted unescaped.

use minijinja::{Environment, Value as JinjaValue, context};
use plotters::prelude::*;

use super::run;
use crate::checks;
use crate::error::{Error, Result};
use crate::output::{bytes, thousands};
use crate::sql;
use crate::value::QueryResult;
use crate::value::Value;
use crate::warehouse::Warehouse;

const TEMPLATE: &str = include_str!("../../templates/report.html");
const CHART_SIZE: (u32, u32) = (620, 300);
const ACCENT: RGBColor = RGBColor(0x1d, 0x6f, 0xa5);

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::io("drawing a chart", std::io::Error::other(e.to_string()))
}

fn number(cell: Option<&Value>) -> f64 {
    match cell {
        Some(Value::Int(v)) => *v as f64,
        Some(Value::Double(v)) => *v,
        _ => 0.0,
    }
}

/// A cell as people read it: thousands separators, NULL as a dash.
fn display(cell: &Value) -> String {
    match cell {
        Value::Null => "–".into(),
        Value::Int(v) => thousands(*v),
        Value::Double(v) => format!("{v:.2}"),
        Value::Text(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
    }
}

fn label(cell: Option<&Value>) -> String {
    cell.map_or_else(String::new, |c| match c {
        Value::Int(v) => v.to_string(),
        other => display(other),
    })
}

/// Vertical bars, one per label.
pub fn bar_chart(labels: &[String], values: &[f64], y_desc: &str) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let top = values.iter().copied().fold(0.0, f64::max).max(1.0) * 1.12;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (0..labels.len().saturating_sub(1)).into_segmented(),
                0.0..top,
            )
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(labels.len())
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc(y_desc)
            .y_label_formatter(&|v| thousands(*v as i64))
            .draw()
            .map_err(chart_error)?;
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .style(ACCENT.filled())
                    .margin(3)
                    .data(values.iter().enumerate().map(|(i, v)| (i, *v))),
            )
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// A line over ordered labels (for time series), with a dot per point.
pub fn line_chart(labels: &[String], values: &[f64], y_desc: &str) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let top = values.iter().copied().fold(0.0, f64::max).max(1.0) * 1.12;
        let last = labels.len().saturating_sub(1).max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0..last, 0.0..top)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_labels(labels.len().min(8))
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .y_desc(y_desc)
            .y_label_formatter(&|v| thousands(*v as i64))
            .draw()
            .map_err(chart_error)?;
        let points: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
        chart
            .draw_series(LineSeries::new(points.clone(), ACCENT.stroke_width(2)))
            .map_err(chart_error)?;
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, ACCENT.filled())),
            )
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// A chart of one question: labels from column `label_col`, values from `value_col`.
fn chart_of(
    result: &QueryResult,
    label_col: usize,
    value_col: usize,
    y_desc: &str,
    line: bool,
) -> Result<String> {
    let labels: Vec<String> = result
        .rows
        .iter()
        .map(|r| label(r.get(label_col)))
        .collect();
    let values: Vec<f64> = result
        .rows
        .iter()
        .map(|r| number(r.get(value_col)))
        .collect();
    if line {
        line_chart(&labels, &values, y_desc)
    } else {
        bar_chart(&labels, &values, y_desc)
    }
}

/// A table of the first `limit` rows of `query` (one of sparkify's own, ending in its ORDER BY)
/// and the number of all its rows: only the rows shown are fetched, the rest are counted by the
/// warehouse.
fn first_rows(
    wh: &mut dyn Warehouse,
    title: &str,
    query: &str,
    limit: usize,
) -> Result<(JinjaValue, i64)> {
    let shown = wh.query(&sql::limited(query, limit as u64))?;
    let total = wh.count(&sql::count_of(query))?;
    let rows: Vec<Vec<String>> = shown
        .rows
        .iter()
        .map(|r| r.iter().map(display).collect())
        .collect();
    let table = context! {
        title => title,
        columns => shown.columns.iter().map(|c| c.replace('_', " ")).collect::<Vec<_>>(),
        more => (total - rows.len() as i64).max(0),
        rows => rows,
    };
    Ok((table, total))
}

/// [`first_rows`] of a built-in question.
fn question_rows(
    wh: &mut dyn Warehouse,
    title: &str,
    name: &str,
    limit: usize,
) -> Result<JinjaValue> {
    let q = super::find(name)?;
    Ok(first_rows(wh, title, q.sql, limit)?.0)
}

/// A share for people: one decimal, or two below 1 % so that a small share is not shown as 0.
fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "–".into();
    }
    let p = part as f64 * 100.0 / whole as f64;
    if p > 0.0 && p < 1.0 {
        format!("{p:.2} %")
    } else {
        format!("{p:.1} %")
    }
}

/// Builds the report from what the warehouse holds now, with the default check thresholds.
pub fn build(wh: &mut dyn Warehouse) -> Result<String> {
    build_with(wh, &checks::CheckOptions::default())
}

/// How many of the latest runs the report lists.
const RUNS_SHOWN: usize = 10;

/// Builds the report from what the warehouse holds now.
pub fn build_with(wh: &mut dyn Warehouse, options: &checks::CheckOptions) -> Result<String> {
    let quality = checks::run_with(wh, options)?;
    let plays = quality.songplays;
    // Figures take no values, so each statement is its text.
    let figure = |name: &str| sql::statement(&format!("figures/{name}.sql"), &[]).map(|s| s.text);
    let users = wh.count(&figure("listeners")?)?;
    let paid_plays = wh.count(&figure("paid_plays")?)?;
    let sessions = wh.count(&figure("sessions")?)?;
    let days = wh.count(&figure("days")?)?;
    let songs = wh.count(&figure("songs")?)?;
    let artists = wh.count(&figure("artists")?)?;
    let period = wh.query(&figure("period")?)?;
    let period_text = match period
        .rows
        .first()
        .map(|r| (label(r.first()), label(r.get(1))))
    {
        Some((a, b)) if !a.is_empty() && a != "–" => format!("{a} – {b} UTC"),
        _ => "no plays yet".to_string(),
    };

    let q = |wh: &mut dyn Warehouse, name: &str| run(wh, name, None);
    let by_hour = q(wh, "plays_by_hour")?;
    let by_weekday = q(wh, "plays_by_weekday")?;
    let daily = q(wh, "daily_active_users")?;
    let levels = q(wh, "free_vs_paid")?;
    let session_lengths = q(wh, "session_lengths")?;
    let platforms = q(wh, "top_platforms")?;
    let conversions = q(wh, "conversions_by_week")?;
    let upgrades: f64 = conversions.rows.iter().map(|r| number(r.get(1))).sum();
    let peak_hour = by_hour
        .rows
        .iter()
        .max_by(|a, b| number(a.get(1)).total_cmp(&number(b.get(1))))
        .map(|r| format!("{}:00", label(r.first())))
        .unwrap_or_else(|| "–".into());

    let chart = |title: &str, caption: String, svg: String| {
        context! { title => title, caption => caption, svg => JinjaValue::from_safe_string(svg) }
    };
    let charts = vec![
        chart(
            "Plays by hour of day",
            format!("Busiest hour: {peak_hour} UTC."),
            chart_of(&by_hour, 0, 1, "plays", false)?,
        ),
        chart(
            "Plays by weekday",
            "Sunday to Saturday, UTC.".into(),
            chart_of(&by_weekday, 1, 2, "plays", false)?,
        ),
        chart(
            "Daily active listeners",
            format!("Distinct listeners per day over {} days.", thousands(days)),
            chart_of(&daily, 0, 1, "listeners", true)?,
        ),
        chart(
            "Free vs paid plays",
            format!(
                "{} of plays come from paid subscribers.",
                percent(paid_plays, plays)
            ),
            chart_of(&levels, 0, 1, "plays", false)?,
        ),
        chart(
            "Songs per session",
            format!("{} listening sessions.", thousands(sessions)),
            chart_of(&session_lengths, 0, 1, "sessions", false)?,
        ),
        chart(
            "Platforms",
            "Plays by the listener's operating system.".into(),
            chart_of(&platforms, 0, 1, "plays", false)?,
        ),
        chart(
            "Free → paid upgrades per week",
            format!(
                "{} upgrades, by the week (from Monday, UTC) the first paid event was seen.",
                thousands(upgrades as i64)
            ),
            chart_of(&conversions, 0, 1, "upgrades", false)?,
        ),
    ];

    let tables = vec![
        question_rows(wh, "Most played songs", "top_songs", 10)?,
        question_rows(wh, "Most played artists", "top_artists", 10)?,
        question_rows(wh, "Busiest listeners", "busiest_users", 10)?,
        question_rows(wh, "Top locations", "top_locations", 10)?,
        question_rows(wh, "Free ↔ paid conversions", "level_changes", 20)?,
        question_rows(wh, "Time from first event to paid", "time_to_paid", 10)?,
        question_rows(
            wh,
            "Plays before and from the first upgrade",
            "plays_around_conversion",
            10,
        )?,
    ];

    let check_rows: Vec<JinjaValue> = quality
        .results
        .iter()
        .map(|r| {
            context! { table => &r.table, name => &r.name, passed => r.passed(), violations => thousands(r.violations) }
        })
        .collect();
    let (errors, error_count) = first_rows(wh, "Load errors", &figure("load_errors")?, 20)?;
    let last_runs = sql::statement("monitors/last_runs.sql", &[])?.text;
    let (runs, _) = first_rows(wh, "Latest runs", &last_runs, RUNS_SHOWN)?;
    let loads = wh.query(&figure("loads")?)?;
    let load_rows: Vec<JinjaValue> = loads
        .rows
        .iter()
        .map(|r| {
            context! {
                table => label(r.first()),
                files => display(r.get(1).unwrap_or(&Value::Null)),
                size => bytes(number(r.get(2)) as u64),
                read => display(r.get(3).unwrap_or(&Value::Null)),
                loaded => display(r.get(4).unwrap_or(&Value::Null)),
                rejected => display(r.get(5).unwrap_or(&Value::Null)),
                at => label(r.get(6)),
            }
        })
        .collect();

    let figures = vec![
        context! { label => "Song plays", value => thousands(plays) },
        context! { label => "Listeners", value => thousands(users) },
        context! { label => "Paid share of plays", value => percent(paid_plays, plays) },
        context! { label => "Sessions", value => thousands(sessions) },
        context! { label => "Songs / artists in catalogue", value => format!("{} / {}", thousands(songs), thousands(artists)) },
        context! { label => "Plays matched to catalogue", value => percent(quality.matched_songplays, quality.songplays) },
    ];

    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| Error::usage(format!("report template: {e}")))?;
    let page = env
        .get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                warehouse => wh.describe(),
                generated_at => crate::time::now_utc(),
                period => period_text,
                figures => figures,
                charts => charts,
                tables => tables,
                checks => check_rows,
                checks_failed => quality.failed().len(),
                checks_total => quality.results.len(),
                match_line => format!(
                    "{} of {} song plays matched a catalogue song ({}).",
                    thousands(quality.matched_songplays),
                    thousands(quality.songplays),
                    percent(quality.matched_songplays, quality.songplays)
                ),
                load_errors => errors,
                runs => runs,
                load_error_count => thousands(error_count),
                loads => load_rows,
            })
        })
        .map_err(|e| Error::usage(format!("rendering the report: {e}")))?;
    Ok(page)
}
