//! Command-line definitions. Parsing only: `app` decides what each command does.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Configuration: flags override environment variables (SPARKIFY_*), which override dwh.cfg
(read from the working directory, or from --config). Sources may be folders, files or
COPY-style prefixes; with none given and no dwh.cfg, `run` generates a small sample dataset
into ./sparkify-data first.

Exit codes: 0 success; 1 failure (I/O, warehouse); 2 bad usage or configuration;
3 data-quality checks failed; 4 a load was rejected (more bad rows than --max-errors);
130 interrupted (Ctrl-C).";

/// Build the Sparkify star schema from JSON event logs and song files.
#[derive(Debug, Parser)]
#[command(name = "sparkify", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// INI settings file in the seed's dwh.cfg format [default: ./dwh.cfg when present]
    #[arg(long, global = true, env = "SPARKIFY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where the warehouse is: duckdb:PATH [default: duckdb:sparkify.duckdb]
    #[arg(long, global = true, env = "SPARKIFY_WAREHOUSE", value_name = "URL")]
    pub warehouse: Option<String>,

    /// Print only the results, no progress or notes
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole job: create tables, stage, transform, check, and print a summary
    Run(LoadArgs),
    /// Create the staging, audit and star-schema tables that do not exist yet
    CreateTables {
        /// Drop sparkify's tables first (all their data is lost)
        #[arg(long)]
        drop: bool,
    },
    /// Stage the sources and rebuild the star schema from them
    Etl(LoadArgs),
    /// Run the data-quality checks on the warehouse
    Check,
    /// Run one SQL query and print its rows
    Query {
        /// The SQL to run
        sql: String,
        /// Output format [default: table on a terminal, csv otherwise]
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Print at most N rows
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// List the built-in business questions, or answer one (e.g. `analytics plays_by_hour`)
    Analytics {
        /// The question to answer; without it, the list of questions
        name: Option<String>,
        /// Output format [default: table on a terminal, csv otherwise]
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Print at most N rows
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Write a self-contained HTML report: key figures, charts, data quality, loads
    Report {
        /// The HTML file to write
        #[arg(long, value_name = "FILE", default_value = "sparkify-report.html")]
        out: PathBuf,
    },
    /// Write a Sparkify-shaped dataset (song_data/, log_data/, log_json_path.json)
    Generate(GenerateArgs),
}

/// How `query` prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Song files: a folder, file or prefix [env: SPARKIFY_SONGS; dwh.cfg S3.SONG_DATA]
    #[arg(long, value_name = "PATH")]
    pub songs: Option<String>,

    /// Event logs: a folder, file or prefix [env: SPARKIFY_EVENTS; dwh.cfg S3.LOG_DATA]
    #[arg(long, value_name = "PATH")]
    pub events: Option<String>,

    /// JSONPaths file for the events [env: SPARKIFY_JSONPATHS; dwh.cfg S3.LOG_JSONPATH]
    #[arg(long, value_name = "FILE")]
    pub jsonpaths: Option<String>,

    /// How event keys map to columns: auto, 'auto ignorecase', or a JSONPaths file
    /// [default: --jsonpaths when given, else 'auto ignorecase']
    #[arg(long, value_name = "FORMAT", conflicts_with = "jsonpaths")]
    pub events_format: Option<String>,

    /// How song keys map to columns: auto, 'auto ignorecase', or a JSONPaths file
    #[arg(long, value_name = "FORMAT", default_value = "auto")]
    pub songs_format: String,

    /// Bad rows a load may skip before it fails and loads nothing (Redshift's MAXERROR)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        env = "SPARKIFY_MAX_ERRORS"
    )]
    pub max_errors: u64,

    /// Parser threads [default: one per CPU]
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Keep double-encoded UTF-8 in the events as it is (by default it is repaired)
    #[arg(long)]
    pub keep_mojibake: bool,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Folder to write into (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Songs in the catalogue (one file each)
    #[arg(long, default_value_t = 400)]
    pub songs: u64,
    /// Distinct users
    #[arg(long, default_value_t = 120)]
    pub users: u64,
    /// Days of logs (one file per day)
    #[arg(long, default_value_t = 30)]
    pub days: u64,
    /// Events per day
    #[arg(long, default_value_t = 300)]
    pub events_per_day: u64,
    /// Seed: the same seed writes byte-identical files
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Share of song plays that match a song of the catalogue, 0 to 1
    #[arg(long, default_value_t = 0.6)]
    pub match_rate: f64,
}
