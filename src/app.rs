//! One function per command. Each resolves its settings, calls the library, and prints for
//! people: progress and notes on stderr, results on stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::analytics;
use crate::checks::{self, CheckReport};
use crate::cli::{
    CheckArgs, Cli, Command, Format, GenerateArgs, InfraArgs, InfraCommand, LoadArgs, RunArgs,
    WaitArgs,
};
use crate::copy::compressed::{self, Compression};
use crate::copy::load::FileReport;
use crate::error::{Error, Result};
use crate::generate::{self, GenerateOptions};
use crate::infra;
use crate::output::{self, thousands};
use crate::pipeline::{
    self, Audit, Progress, RunMeta, RunPlan, RunRecord, StageReport, StageRequest,
};
use crate::settings::{LoadSettings, Settings};
use crate::source::regions;
use crate::warehouse::dry_run::DryRun;
use crate::warehouse::{self, Warehouse, WarehouseConfig};

mod copy;
mod summary;

use summary::{
    backfill_lines, build_line, check_line, match_line, print_summary, stage_line, step_row,
};

/// Where `run` writes a sample dataset when given no sources.
pub const SAMPLE_DIR: &str = "sparkify-data";
const SAMPLE_MARKER: &str = ".generated-by-sparkify";

/// What every command shares: the resolved settings and how much to print.
struct Context {
    settings: Settings,
    /// `--warehouse` as given; resolved (with its environment variable and `dwh.cfg` key) when
    /// a command opens the warehouse, so commands that do not need one never fail on it.
    warehouse_flag: Option<String>,
    quiet: bool,
    /// For `--warehouse redshift`: the source buckets found in another region than the
    /// cluster's (bucket → region), once looked up; each COPY from them carries that REGION.
    source_regions: std::cell::OnceCell<std::collections::BTreeMap<String, String>>,
    /// For `--warehouse redshift`: the sources whose files are compressed (source → how), once
    /// listed; each COPY from them carries that keyword.
    source_compression: std::cell::OnceCell<std::collections::BTreeMap<String, Compression>>,
}

impl Context {
    fn new(cli: &Cli) -> Result<Context> {
        let settings = Settings::from_process(cli.config.as_deref())?;
        if let Some(warning) = settings.permission_warning() {
            eprintln!("warning: {warning}");
        }
        crate::source::s3::configure(settings.region(), crate::settings::DEFAULT_REGION);
        Ok(Context {
            settings,
            warehouse_flag: cli.warehouse.clone(),
            quiet: cli.quiet,
            source_regions: Default::default(),
            source_compression: Default::default(),
        })
    }

    /// The warehouse's settings. For a Redshift COPY, the first call with `load` looks up the
    /// region of each `s3://` source bucket (S3 only, never the warehouse, so `--dry-run` does
    /// it too; see [`regions`]), and from then on the COPYs carry what it found.
    fn warehouse_config(&self, load: Option<&LoadSettings>) -> Result<WarehouseConfig> {
        let mut config = self.settings.warehouse(self.warehouse_flag.clone())?;
        if let WarehouseConfig::Redshift {
            copy: Some(auth), ..
        } = &mut config
        {
            if let Some(load) = load {
                self.source_regions.get_or_init(|| {
                    regions::check(&auth.region, &load.s3_sources(), |n| {
                        self.note(&format!("note: {n}"))
                    })
                });
                if self.source_compression.get().is_none() {
                    let found = server_compression(load, |n| self.note(&format!("note: {n}")))?;
                    let _ = self.source_compression.set(found);
                }
            }
            auth.source_regions = self.source_regions.get().cloned().unwrap_or_default();
            auth.source_compression = self.source_compression.get().cloned().unwrap_or_default();
        }
        Ok(config)
    }

    fn open(&self) -> Result<Box<dyn Warehouse>> {
        warehouse::open(&self.warehouse_config(None)?)
    }

    /// The warehouse, or with `--dry-run` one that prints each statement to stdout instead.
    fn open_or_dry(&self, dry_run: bool) -> Result<Box<dyn Warehouse>> {
        if dry_run {
            let config = self.warehouse_config(None)?;
            Ok(Box::new(DryRun::new(&config, Box::new(std::io::stdout()))?))
        } else {
            self.open()
        }
    }

    fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("{}", output::printable(message, true));
        }
    }
}

/// For a Redshift COPY of each `s3://` data source (the events and the songs): how its files
/// are compressed, from their names, as the pipeline reads them locally. Redshift decompresses
/// by the COPY's keyword alone, and one COPY takes one keyword, so a source whose files are of
/// two kinds is refused here, before anything is sent to the cluster (S3 is asked, as for
/// the regions, so `--dry-run` does it too). A source that cannot be listed (the cluster's
/// role may read what the user cannot list) is noted, and its own name decides.
fn server_compression(
    load: &LoadSettings,
    mut note: impl FnMut(&str),
) -> Result<std::collections::BTreeMap<String, Compression>> {
    let mut found = std::collections::BTreeMap::new();
    for (what, uri) in load.s3_sources() {
        if !matches!(what, "events" | "songs") {
            continue;
        }
        let source = crate::source::Source::parse(&uri)?;
        let kind = match source.list() {
            Ok(listing) => {
                compressed::one_keyword(&uri, listing.files.iter().map(|f| f.location.as_str()))
                    .map_err(|message| {
                        Error::usage(format!(
                            "the {what} cannot be loaded on Redshift: {message}"
                        ))
                    })?
            }
            Err(e) => {
                let kind = Compression::of_name(&uri);
                note(&format!(
                    "the {what} in {uri} could not be listed to see whether they are compressed \
                     ({e}); the COPY carries {}, as the source's own name says",
                    kind.map_or("no compression keyword".to_string(), |c| c
                        .keyword()
                        .to_string())
                ));
                kind
            }
        };
        if let Some(kind) = kind {
            // Keyed as the COPY names its source (`CopyAuth::compression_of` looks it up so).
            found.insert(source.to_string(), kind);
        }
    }
    Ok(found)
}

/// Runs the command the user asked for.
pub fn dispatch(cli: Cli) -> Result<()> {
    let ctx = Context::new(&cli)?;
    match cli.command {
        Command::Run(args) => cmd_run(&ctx, &args),
        Command::CreateTables { drop, dry_run } => cmd_create_tables(&ctx, drop, dry_run),
        Command::Etl(args) => cmd_etl(&ctx, &args),
        Command::Check(args) => cmd_check(&ctx, &args),
        Command::Query {
            sql,
            format,
            limit,
            csv_safe,
        } => cmd_query(&ctx, &sql, RowsOut::new(format, csv_safe)?, limit),
        Command::Analytics {
            name,
            format,
            limit,
            csv_safe,
        } => cmd_analytics(
            &ctx,
            name.as_deref(),
            RowsOut::new(format, csv_safe)?,
            limit,
        ),
        Command::Report { out, checks } => cmd_report(&ctx, out, &checks),
        Command::Generate(args) => cmd_generate(&ctx, &args),
        Command::Copy { statement, file } => {
            copy::cmd_copy(&ctx, statement.as_deref(), file.as_deref())
        }
        Command::Infra(cmd) => cmd_infra(&ctx, cmd),
    }
}

/// The two staging requests, from flags, environment and dwh.cfg, or a generated sample.
fn stage_requests(ctx: &Context, load: &LoadSettings, dry_run: bool) -> Result<Vec<StageRequest>> {
    let mut load = load.clone();
    if load.no_sources() && dry_run {
        return Err(Error::usage(
            "--dry-run changes nothing, so it does not generate the sample dataset either: pass \
             --songs and --events (or a dwh.cfg with [S3] SONG_DATA and LOG_DATA)",
        ));
    }
    if load.no_sources() {
        load.use_dataset(&ensure_sample(ctx, Path::new(SAMPLE_DIR))?);
    }
    load.requests()
}

/// Generates the sample dataset into `dir` unless an earlier run did.
fn ensure_sample(ctx: &Context, dir: &Path) -> Result<PathBuf> {
    if dir.join(SAMPLE_MARKER).is_file() {
        ctx.note(&format!(
            "No sources given: using the sample dataset in {}/ (pass --songs and --events to load your own).",
            dir.display()
        ));
        return Ok(dir.to_path_buf());
    }
    if dir.exists() {
        return Err(Error::usage(format!(
            "no sources given, and {}/ exists but was not written by sparkify; pass --songs and --events",
            dir.display()
        )));
    }
    let opts = GenerateOptions::default();
    // The marker is written last and the folder appears whole, so a run killed while
    // generating never leaves a folder the next run refuses; two runs at once share one.
    let marker = (
        SAMPLE_MARKER,
        &b"written by `sparkify run`; safe to delete\n"[..],
    );
    let Some(report) = generate::generate_whole(dir, &opts, marker)? else {
        ctx.note(&format!(
            "No sources given: using the sample dataset another run just generated in {}/.",
            dir.display()
        ));
        return Ok(dir.to_path_buf());
    };
    ctx.note(&format!(
        "No sources given: generated a sample dataset in {}/ ({} song files, {} events over {} days, seed {}).\n\
         Pass --songs and --events (or a dwh.cfg) to load your own data.",
        dir.display(),
        thousands(report.song_files as i64),
        thousands(report.events as i64),
        opts.days,
        opts.seed
    ));
    Ok(dir.to_path_buf())
}

/// A progress bar by files, drawn only on a terminal.
struct Bar {
    bar: ProgressBar,
    quiet: bool,
}

impl Bar {
    fn new(quiet: bool) -> Bar {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Bar {
            bar: ProgressBar::with_draw_target(None, target),
            quiet,
        }
    }
}

impl Progress for Bar {
    fn load_started(&self, table: &str, files: u64, bytes: u64) {
        self.bar.reset();
        self.bar.set_length(files);
        self.bar.set_position(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix:>16} [{bar:30}] {pos}/{len} files {msg} {elapsed}",
        ) {
            self.bar.set_style(style.progress_chars("=> "));
        }
        self.bar.set_prefix(table.to_string());
        self.bar.set_message(format!("of {}", output::bytes(bytes)));
    }
    fn file_loaded(&self, _file: &FileReport) {
        self.bar.inc(1);
    }
    fn load_finished(&self) {
        self.bar.finish_and_clear();
    }
    fn note(&self, message: &str) {
        if !self.quiet {
            // Notes name files and keys from the sources: printable, like errors.
            self.bar
                .suspend(|| eprintln!("note: {}", output::printable(message, true)));
        }
    }
}

/// create → stage → transform as one transaction, started over on a new connection when the
/// connection is lost (see [`pipeline::etl_with_reconnect`]); the run is recorded in `runs`.
fn etl(
    ctx: &Context,
    wh: Box<dyn Warehouse>,
    load: &LoadSettings,
    dry_run: bool,
    plan: &RunPlan,
) -> (Result<pipeline::Published>, Option<RunRecord>) {
    let requests = match stage_requests(ctx, load, dry_run) {
        Ok(requests) => requests,
        Err(e) => return (Err(e), None),
    };
    let bar = Bar::new(ctx.quiet);
    let (outcome, record) = pipeline::etl_with_reconnect(
        wh,
        &|| ctx.open(),
        &requests,
        &load.options,
        &bar,
        plan,
        &|message| ctx.note(message),
    );
    (outcome, Some(record))
}

/// How a job ended, and its record in `runs` when it got as far as the warehouse.
type MaybeRecorded<T> = (Result<(Box<dyn Warehouse>, T)>, Option<RunRecord>);

/// A backfill of `load.range` from the event source, as one transaction, started over on a new
/// connection when the connection is lost (see [`pipeline::backfill_with_reconnect`]); recorded in `runs`.
fn backfill(
    ctx: &Context,
    wh: Box<dyn Warehouse>,
    load: &LoadSettings,
    range: pipeline::DateRange,
    dry_run: bool,
    plan: &RunPlan,
) -> MaybeRecorded<pipeline::BackfillReport> {
    let requests = match stage_requests(ctx, load, dry_run) {
        Ok(requests) => requests,
        Err(e) => return (Err(e), None),
    };
    let Some(events) = requests.iter().find(|r| r.table == "staging_events") else {
        return (
            Err(Error::usage("a backfill needs the event source (--events)")),
            None,
        );
    };
    let bar = Bar::new(ctx.quiet);
    let (outcome, record) = pipeline::backfill_with_reconnect(
        wh,
        &|| ctx.open(),
        events,
        range,
        &load.options,
        &bar,
        plan,
        &|message| ctx.note(message),
    );
    (outcome, Some(record))
}

/// Runs `job` (a `run` or an `etl`) and, with `--results FILE`, writes how it ended there as
/// JSON, also when it failed, before anything reached the warehouse included.
fn recorded_job(
    ctx: &Context,
    meta: &RunMeta,
    results: Option<&Path>,
    job: impl FnOnce() -> (Result<()>, Option<RunRecord>),
) -> Result<()> {
    let (outcome, record) = job();
    let Some(path) = results else {
        return outcome;
    };
    let record = record.unwrap_or_else(|| {
        let (engine, target) = ctx
            .warehouse_config(None)
            .map(|c| warehouse::describe_config(&c))
            .unwrap_or_default();
        RunRecord::new(
            meta,
            engine,
            target,
            pipeline::Tally::default(),
            outcome.as_ref().map(|_| ()),
        )
    });
    let mut json = serde_json::to_string_pretty(&record.to_json())
        .map_err(|e| Error::io("--results", std::io::Error::other(e)))?;
    json.push('\n');
    let written = crate::files::replace(path, json.as_bytes(), 0o644)
        .map_err(|e| Error::io(format!("writing --results {}", path.display()), e));
    match (outcome, written) {
        (Ok(()), Err(e)) => Err(e),
        (outcome, Err(e)) => {
            ctx.note(&format!("warning: {e}"));
            outcome
        }
        (outcome, Ok(())) => outcome,
    }
}

/// The whole job, write-audit-publish: the checks run inside the run's transaction, and a
/// failing one rolls the run back (unless `publish_on_failure`), so a failed build is never
/// what analysts see.
fn cmd_run(ctx: &Context, args: &RunArgs) -> Result<()> {
    let meta = RunMeta::start("run");
    recorded_job(ctx, &meta, args.load.results.as_deref(), || {
        let mut record = None;
        let outcome = run_job(ctx, args, &meta, &mut record);
        (outcome, record)
    })
}

fn run_job(
    ctx: &Context,
    args: &RunArgs,
    meta: &RunMeta,
    record: &mut Option<RunRecord>,
) -> Result<()> {
    let start = Instant::now();
    // Bad settings are reported before the warehouse is opened (or created).
    let load = ctx.settings.load(&args.load)?;
    let checks = ctx.settings.check_options(&args.checks)?;
    ctx.warehouse_config(Some(&load))?;
    let audit = if args.publish_on_failure {
        Audit::PublishAnyway
    } else {
        Audit::PublishIfPassing
    };
    let plan = RunPlan {
        audit,
        checks,
        meta: meta.clone(),
    };
    let wh = ctx.open_or_dry(args.load.dry_run)?;
    if let Some(range) = load.range {
        if args.load.dry_run {
            backfill(ctx, wh, &load, range, true, &plan).0?;
            return Ok(());
        }
        ctx.note(&format!(
            "Backfilling {range} in the Sparkify warehouse in {}",
            wh.describe()
        ));
        let (outcome, done) = backfill(ctx, wh, &load, range, false, &plan);
        *record = done;
        let (wh, done) = outcome?;
        let checked = done
            .checks
            .clone()
            .ok_or_else(|| Error::usage("the backfill was not audited"))?;
        for line in backfill_lines(&done) {
            println!("{line}");
        }
        let as_run = pipeline::EtlReport {
            created: done.created,
            staged: vec![done.staged.clone()],
            transformed: done.transformed.clone(),
            checks: done.checks.clone(),
            run: done.run.clone(),
        };
        print_summary(&wh.describe(), &as_run, &checked, start.elapsed());
        if !checked.failed().is_empty() {
            ctx.note(
                "published anyway (--publish-on-failure): the failed rules and sample rows \
                 are in audit_failures",
            );
        }
        return checks_outcome(&checked);
    }
    if args.load.dry_run {
        etl(ctx, wh, &load, true, &plan).0?;
        return Ok(());
    }
    ctx.note(&format!(
        "Building the Sparkify warehouse in {}",
        wh.describe()
    ));
    let (outcome, done) = etl(ctx, wh, &load, false, &plan);
    *record = done;
    let (wh, done) = outcome?;
    let checked = done
        .checks
        .clone()
        .ok_or_else(|| Error::usage("the run was not audited"))?;
    print_summary(&wh.describe(), &done, &checked, start.elapsed());
    if !checked.failed().is_empty() {
        ctx.note(
            "published anyway (--publish-on-failure): the failed rules and sample rows are in \
             audit_failures",
        );
    }
    checks_outcome(&checked)
}

fn cmd_etl(ctx: &Context, args: &LoadArgs) -> Result<()> {
    let meta = RunMeta::start("etl");
    recorded_job(ctx, &meta, args.results.as_deref(), || {
        let mut record = None;
        let outcome = etl_job(ctx, args, &meta, &mut record);
        (outcome, record)
    })
}

fn etl_job(
    ctx: &Context,
    args: &LoadArgs,
    meta: &RunMeta,
    record: &mut Option<RunRecord>,
) -> Result<()> {
    let start = Instant::now();
    let load = ctx.settings.load(args)?;
    ctx.warehouse_config(Some(&load))?;
    let plan = RunPlan {
        audit: Audit::Off,
        checks: Default::default(),
        meta: meta.clone(),
    };
    if let Some(range) = load.range {
        let (outcome, done) = backfill(
            ctx,
            ctx.open_or_dry(args.dry_run)?,
            &load,
            range,
            args.dry_run,
            &plan,
        );
        *record = done;
        let (_, done) = outcome?;
        if args.dry_run {
            return Ok(());
        }
        let mut lines = backfill_lines(&done);
        lines.push(stage_line(&done.staged));
        print_etl(lines, &done.transformed, &done.run, start);
        return Ok(());
    }
    let (outcome, done) = etl(
        ctx,
        ctx.open_or_dry(args.dry_run)?,
        &load,
        args.dry_run,
        &plan,
    );
    *record = done;
    let (_, done) = outcome?;
    if args.dry_run {
        return Ok(());
    }
    let lines = done.staged.iter().map(stage_line).collect();
    print_etl(lines, &done.transformed, &done.run, start);
    Ok(())
}

/// What `etl` prints: `lines` (what was staged), each model's rows, how the star schema was
/// built, and how long it all took.
fn print_etl(
    lines: Vec<String>,
    transformed: &pipeline::TransformReport,
    run: &RunRecord,
    start: Instant,
) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    for (model, rows) in &transformed.models {
        let _ = writeln!(
            out,
            "{}",
            step_row(&format!("transform {model}"), &thousands(*rows), "")
        );
    }
    let _ = writeln!(out, "{}", build_line(run));
    let _ = writeln!(out, "done in {}", output::duration(start.elapsed()));
}

fn cmd_create_tables(ctx: &Context, drop: bool, dry_run: bool) -> Result<()> {
    let mut wh = ctx.open_or_dry(dry_run)?;
    let took = pipeline::create_tables(wh.as_mut(), drop, &Bar::new(ctx.quiet))?;
    if dry_run {
        return Ok(());
    }
    println!(
        "{} tables ready in {} ({})",
        crate::sql::all_tables()?.len(),
        wh.describe(),
        output::duration(took)
    );
    Ok(())
}

fn cmd_check(ctx: &Context, args: &CheckArgs) -> Result<()> {
    let options = ctx.settings.check_options(args)?;
    let mut wh = ctx.open()?;
    let report = checks::run_with(wh.as_mut(), &options)?;
    let mut out = std::io::stdout().lock();
    for r in &report.results {
        let status = match (r.passed(), r.severity) {
            (true, _) => "ok  ",
            (false, crate::sql::Severity::Warn) => "warn",
            (false, crate::sql::Severity::Error) => "FAIL",
        };
        let detail = if r.passed() {
            String::new()
        } else {
            format!("  ({})", check_line(r))
        };
        let _ = writeln!(out, "{status} {:<12} {}{detail}", r.table, r.name);
    }
    let _ = writeln!(out, "{}", match_line(&report));
    if report.kept_rejected > 0 {
        let _ = writeln!(
            out,
            "Rows rejected by failed loads, kept in load_errors: {} (their files are not in the \
             ledger; the next successful load of the table replaces them)",
            thousands(report.kept_rejected)
        );
    }
    checks_outcome(&report)
}

fn cmd_query(ctx: &Context, sql: &str, format: RowsOut, limit: Option<usize>) -> Result<()> {
    let mut wh = ctx.open()?;
    // The warehouse is asked for the first rows only, so a big answer is never held whole;
    // what cannot be wrapped in a LIMIT (SHOW, PRAGMA, ...) is cut afterwards.
    let limited = limit.and_then(|n| crate::sql::user_query_limited(sql, n as u64));
    let mut result = wh.query(limited.as_deref().unwrap_or(sql))?;
    if let Some(n) = limit {
        result.rows.truncate(n);
    }
    print_result(&result, format)
}

/// Prints rows as a table on a terminal and as CSV into a pipe, unless told otherwise.
/// How `query` and `analytics` print rows: `--format` and `--csv-safe`.
struct RowsOut {
    format: Option<Format>,
    csv_safe: bool,
}

impl RowsOut {
    fn new(format: Option<Format>, csv_safe: bool) -> Result<RowsOut> {
        if csv_safe && matches!(format, Some(Format::Table | Format::Json)) {
            return Err(Error::usage(
                "--csv-safe is for --format csv (a table and JSON are not read as formulas)",
            ));
        }
        Ok(RowsOut { format, csv_safe })
    }
}

fn print_result(result: &crate::value::QueryResult, how: RowsOut) -> Result<()> {
    let format = how.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Csv
    });
    let stdout = std::io::stdout().lock();
    match format {
        Format::Table => {
            let mut out = stdout;
            writeln!(out, "{}", output::table(result)).map_err(|e| Error::io("stdout", e))
        }
        Format::Csv => output::write_csv(result, stdout, how.csv_safe),
        Format::Json => output::write_json(result, stdout),
    }
}

fn cmd_analytics(
    ctx: &Context,
    name: Option<&str>,
    format: RowsOut,
    limit: Option<usize>,
) -> Result<()> {
    let Some(name) = name else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Built-in questions (sparkify analytics NAME):");
        for q in analytics::questions() {
            let _ = writeln!(out, "  {:<20} {}", q.name, q.description);
        }
        return Ok(());
    };
    // Check the name before connecting, so a typo is reported at once.
    analytics::find(name)?;
    let mut wh = ctx.open()?;
    let result = analytics::run(wh.as_mut(), name, limit)?;
    print_result(&result, format)
}

fn cmd_report(ctx: &Context, out: Option<PathBuf>, checks: &CheckArgs) -> Result<()> {
    let out: PathBuf = ctx.settings.parsed("report_out", out)?;
    let out = out.as_path();
    let options = ctx.settings.check_options(checks)?;
    let mut wh = ctx.open()?;
    let html = analytics::report::build_with(wh.as_mut(), &options)?;
    // Whole or not at all, and readable by its owner only: it names listeners.
    crate::files::replace(out, html.as_bytes(), 0o600)
        .map_err(|e| Error::io(format!("writing {}", out.display()), e))?;
    println!(
        "wrote {} (open it in any browser; it needs no network)",
        out.display()
    );
    Ok(())
}

fn cmd_generate(ctx: &Context, args: &GenerateArgs) -> Result<()> {
    let opts = ctx.settings.generate(args)?;
    let start = Instant::now();
    let total = opts.days * opts.events_per_day;
    let bar = Bar::new(ctx.quiet);
    bar.bar.set_length(total);
    if let Ok(style) =
        ProgressStyle::with_template("generating [{bar:30}] {pos}/{len} events {elapsed}")
    {
        bar.bar.set_style(style.progress_chars("=> "));
    }
    let report = generate::generate(&args.out, &opts, |events| bar.bar.set_position(events))?;
    bar.bar.finish_and_clear();
    let size = match opts.compress {
        Some(c) => format!(
            "{} of JSON, {} as {}",
            output::bytes(report.bytes),
            output::bytes(report.stored_bytes),
            c.keyword().to_ascii_lowercase()
        ),
        None => output::bytes(report.bytes),
    };
    println!(
        "wrote {} song files and {} log files ({} events, {} NextSong, {size}) to {} in {}",
        thousands(report.song_files as i64),
        thousands(report.log_files as i64),
        thousands(report.events as i64),
        thousands(report.next_song_events as i64),
        args.out.display(),
        output::duration(start.elapsed())
    );
    Ok(())
}

fn checks_outcome(report: &CheckReport) -> Result<()> {
    let failed = report.failed().len();
    if failed == 0 {
        Ok(())
    } else {
        Err(Error::ChecksFailed { failed })
    }
}

/// Prints infra progress: lines to stdout, waiting states on a spinner (terminal only).
struct InfraOut {
    spinner: ProgressBar,
    quiet: bool,
}

impl infra::Report for InfraOut {
    fn line(&mut self, text: &str) {
        self.spinner.suspend(|| println!("{text}"));
    }
    fn waiting(&mut self, text: &str) {
        self.spinner.set_message(text.to_string());
        self.spinner.tick();
    }
    fn warn(&mut self, text: &str) {
        if !self.quiet {
            self.spinner.suspend(|| eprintln!("warning: {text}"));
        }
    }
}

fn cmd_infra(ctx: &Context, cmd: InfraCommand) -> Result<()> {
    let target = if ctx.quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let mut out = InfraOut {
        spinner: ProgressBar::with_draw_target(None, target),
        quiet: ctx.quiet,
    };
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        out.spinner.set_style(style);
    }
    let settings = |a: &InfraArgs| ctx.settings.cluster(a.cidr.clone(), a.allow_anywhere);
    let wait = |w: &WaitArgs| ctx.settings.wait(w);
    let result = match cmd {
        InfraCommand::Plan { args, adopt } => {
            let s = settings(&args)?;
            let aws = infra::Aws::connect(&s, &mut out)?;
            infra::plan(&aws, &s, adopt.adopt, &mut out)
        }
        InfraCommand::Up {
            args,
            adopt,
            wait: w,
        } => {
            let s = settings(&args)?;
            let w = wait(&w)?;
            let aws = infra::Aws::connect(&s, &mut out)?;
            infra::up(&aws, &s, &w, adopt.adopt, &mut out)
        }
        InfraCommand::Status(a) => {
            let s = settings(&a)?;
            let aws = infra::Aws::connect(&s, &mut out)?;
            infra::show_status(&aws, &s, &mut out)
        }
        InfraCommand::Pause { args, adopt } => {
            let s = settings(&args)?;
            let aws = infra::Aws::connect(&s, &mut out)?;
            infra::pause_or_resume(&aws, &s, true, adopt.adopt, &mut out)
        }
        InfraCommand::Resume { args, adopt } => {
            let s = settings(&args)?;
            let aws = infra::Aws::connect(&s, &mut out)?;
            infra::pause_or_resume(&aws, &s, false, adopt.adopt, &mut out)
        }
        InfraCommand::Down {
            args,
            wait: w,
            final_snapshot,
            yes,
        } => {
            let s = settings(&args)?;
            let w = wait(&w)?;
            crate::prompt::confirm(&infra::down_confirmation(&s), yes)?;
            let aws = infra::Aws::connect(&s, &mut out)?;
            infra::down(&aws, &s, final_snapshot.as_deref(), &w, &mut out)
        }
    };
    out.spinner.finish_and_clear();
    result
}
