//! Command-line definitions. Parsing only: `app` decides what each command does.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Configuration: flags override environment variables (SPARKIFY_*), which override dwh.cfg
(read from the working directory, or from --config). Sources may be local folders, files or
COPY-style prefixes, s3://bucket/prefix URIs (every key starting with the prefix, as Redshift
COPY reads them), or a Redshift-style *.manifest file; with none given and no dwh.cfg, `run`
generates a small sample dataset into ./sparkify-data first. S3 uses the standard AWS
settings (AWS_PROFILE, AWS_REGION, credentials, AWS_ENDPOINT_URL for MinIO/moto); with no
credentials at all it sends unsigned requests, which public buckets accept.

Loads are incremental: `run` and `etl` load only files the load ledger does not hold yet and
rebuild the star schema from all staged rows (--full-refresh starts over).

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
    /// The Redshift cluster, its IAM role and ingress rule, as code (AWS credentials needed)
    #[command(subcommand)]
    Infra(InfraCommand),
}

const INFRA_AFTER_HELP: &str = "\
Settings come from dwh.cfg in the seed's layout ([CLUSTER] CLUSTER_IDENTIFIER, CLUSTER_TYPE,
NUM_NODES, NODE_TYPE, DB_NAME, DB_USER, DB_PASSWORD, DWH_PORT, DWH_IAM_ROLE_NAME) or the
course template's ([DWH] DWH_CLUSTER_IDENTIFIER, ...). Credentials come from the standard AWS
chain (AWS_PROFILE, SSO, environment); AWS_ENDPOINT_URL points every call elsewhere (moto).
Everything sparkify creates is tagged managed-by=sparkify, and `down` deletes only that.";

/// `sparkify infra ...`
#[derive(Debug, Subcommand)]
pub enum InfraCommand {
    /// Show what `up` would create or change, and the hourly cost (changes nothing)
    #[command(after_help = INFRA_AFTER_HELP)]
    Plan(InfraArgs),
    /// Create what is missing, wait until the cluster is available, write HOST and ARN to dwh.cfg
    #[command(after_help = INFRA_AFTER_HELP)]
    Up {
        #[command(flatten)]
        args: InfraArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Cluster state, endpoint, nodes, role, ingress rules and running time
    Status(InfraArgs),
    /// Pause the cluster (compute is not billed while paused)
    Pause(InfraArgs),
    /// Resume a paused cluster
    Resume(InfraArgs),
    /// Delete the cluster, then its ingress rule and IAM role (only what sparkify created)
    Down {
        #[command(flatten)]
        args: InfraArgs,
        #[command(flatten)]
        wait: WaitArgs,
        /// Keep a final snapshot under this name (by default none is taken)
        #[arg(long, value_name = "NAME")]
        final_snapshot: Option<String>,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct InfraArgs {
    /// The one address range allowed to reach the cluster's port, e.g. 203.0.113.7/32
    /// [env: SPARKIFY_CIDR; dwh.cfg CLUSTER.CIDR]
    #[arg(long, value_name = "CIDR")]
    pub cidr: Option<String>,
    /// Allow --cidr 0.0.0.0/0 (the whole internet)
    #[arg(long)]
    pub allow_anywhere: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Give up waiting for the cluster after this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub timeout: u64,
    /// Seconds between status polls while waiting
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 15.0,
        env = "SPARKIFY_POLL_SECONDS"
    )]
    pub poll: f64,
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

    /// Parser threads [default: one per CPU; for s3:// sources, --concurrency]
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Objects read from S3 at once (small objects: latency, not bandwidth, dominates)
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub concurrency: u16,

    /// Empty the staging tables and load every file again (by default only files the load
    /// ledger does not hold are loaded, and their rows appended)
    #[arg(long)]
    pub full_refresh: bool,

    /// Reload a table whole when one of its files changed (size or ETag/modification time)
    /// since it was loaded; by default a changed file is reported and left as loaded
    #[arg(long, conflicts_with = "full_refresh")]
    pub reload_changed: bool,

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
