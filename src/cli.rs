//! Command-line definitions. Parsing only: `app` decides what each command does.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Configuration: flags override environment variables (SPARKIFY_*), which override dwh.cfg
(read from the working directory, or from --config). Sources may be local folders, files or
COPY-style prefixes, s3://bucket/prefix URIs (every key starting with the prefix, as Redshift
COPY reads them), or a Redshift-style *.manifest file; with none given and no dwh.cfg, `run`
generates a small sample dataset into ./sparkify-data first. S3 uses the standard AWS
settings (AWS_PROFILE, AWS_REGION, credentials, AWS_ENDPOINT_URL for MinIO/moto); with no
credentials at all it sends unsigned requests, which public buckets accept.

Loads are incremental: `run` and `etl` load only files the load ledger does not hold yet and
update the star schema from those rows (--full-refresh starts over; --from/--to reprocess a
range of days). `run` checks the result before it commits and publishes nothing that fails.

Exit codes: 0 success; 1 failure (I/O, warehouse); 2 bad usage or configuration;
3 data-quality checks failed; 4 a load was rejected (more bad rows than --max-errors or MAXERROR);
130 interrupted (Ctrl-C).";

/// Build the Sparkify star schema from JSON event logs and song files.
#[derive(Debug, Parser)]
#[command(name = "sparkify", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    // The help of every flag, its environment variables, `dwh.cfg` keys and default are
    // declared once in `settings/decl.rs` and applied by [`command`]; the flags carry no
    // defaults here, so that `settings` can tell a flag given from one left out.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[arg(long, global = true, value_name = "URL")]
    pub warehouse: Option<String>,

    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole job: create tables, stage, transform, check, and print a summary
    Run(RunArgs),
    /// Create the staging, audit and star-schema tables that do not exist yet
    CreateTables {
        #[arg(long)]
        drop: bool,
        #[arg(long)]
        dry_run: bool,
    },
    /// Stage the sources and rebuild the star schema from them
    Etl(LoadArgs),
    /// Run the data-quality checks on the warehouse
    Check(CheckArgs),
    /// Run one SQL query and print its rows
    Query {
        /// The SQL to run
        sql: String,
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        #[arg(long)]
        csv_safe: bool,
    },
    /// List the built-in business questions, or answer one (e.g. `analytics plays_by_hour`)
    Analytics {
        /// The question to answer; without it, the list of questions
        name: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        #[arg(long)]
        csv_safe: bool,
    },
    /// Write a self-contained HTML report: key figures, charts, data quality, loads
    Report {
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        checks: CheckArgs,
    },
    /// Write a Sparkify-shaped dataset (song_data/, log_data/, log_json_path.json)
    Generate(GenerateArgs),
    /// Run a Redshift COPY ... FORMAT AS JSON statement against the warehouse, on any table
    #[command(after_help = COPY_AFTER_HELP)]
    Copy {
        /// The statement, e.g. "COPY songs FROM 'data/song_data' FORMAT AS JSON 'auto'"
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        statement: Option<String>,
        #[arg(long, short = 'f', value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// The Redshift cluster, its IAM role and ingress rule, as code (AWS credentials needed)
    #[command(subcommand)]
    Infra(InfraCommand),
}

const COPY_AFTER_HELP: &str = "\
COPY table [(column, ...)] FROM 'source' FORMAT [AS] JSON 'auto' | 'auto ignorecase' | 'jsonpaths
file' [option ...], with Redshift's rules for JSON (see the README, \"Redshift COPY, locally\").
The table must exist; its columns and types come from the warehouse's catalog. Columns left
out of a column list get their DEFAULT; a column no key matches gets NULL. The source is a
local file, folder or prefix, an s3:// prefix, or a manifest with MANIFEST.

Options run locally: MAXERROR [AS] n, MANIFEST, GZIP, ZSTD, BZIP2 (read as a stream),
TIMEFORMAT and DATEFORMAT [AS] 'epochsecs' | 'epochmillisecs' | 'auto' | 'pattern',
ACCEPTINVCHARS [AS 'c'], TRUNCATECOLUMNS (the values replaced or cut are counted and
reported), BLANKSASNULL, EMPTYASNULL, ROUNDEC.
Accepted and changing nothing locally (a note says so): IAM_ROLE, CREDENTIALS, ACCESS_KEY_ID,
SECRET_ACCESS_KEY, SESSION_TOKEN, REGION, COMPUPDATE, STATUPDATE. Any other option, or a
format other than JSON, is refused (exit 2) naming it. On Redshift the statement is sent as
it is.

Prints the rows loaded and rejected, as Redshift does; rejected rows are in load_errors.
Exit 4 when more rows are rejected than MAXERROR (default 0): the table is then unchanged.
Each statement of a file runs in its own transaction, in order; the first failure stops.";

const INFRA_AFTER_HELP: &str = "\
Settings come from dwh.cfg in the seed's layout ([CLUSTER] CLUSTER_IDENTIFIER, CLUSTER_TYPE,
NUM_NODES, NODE_TYPE, DB_NAME, DB_USER, DB_PASSWORD, DWH_PORT, DWH_IAM_ROLE_NAME) or the
course template's ([DWH] DWH_CLUSTER_IDENTIFIER, ...); the role may read only the s3:// sources
in [S3] (LOG_DATA, SONG_DATA, LOG_JSONPATH). Credentials come from the standard AWS chain
(AWS_PROFILE, SSO, environment); AWS_ENDPOINT_URL points every call elsewhere (moto).
Everything sparkify creates is tagged managed-by=sparkify: up, pause and resume refuse a
cluster, role or security group of the configured names without that tag unless --adopt, and
down deletes only what has it.";

/// `sparkify infra ...`
#[derive(Debug, Subcommand)]
pub enum InfraCommand {
    /// Show what `up` would create or change, and the hourly cost (changes nothing)
    #[command(after_help = INFRA_AFTER_HELP)]
    Plan {
        #[command(flatten)]
        args: InfraArgs,
        #[command(flatten)]
        adopt: AdoptArgs,
    },
    /// Create what is missing (role, security group, cluster, ingress rule), bring the rest to
    /// the settings, wait until the cluster is available, write HOST and ARN to dwh.cfg
    #[command(after_help = INFRA_AFTER_HELP)]
    Up {
        #[command(flatten)]
        args: InfraArgs,
        #[command(flatten)]
        adopt: AdoptArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Cluster state, endpoint, nodes, role, ingress rules and running time
    Status(InfraArgs),
    /// Pause the cluster (compute is not billed while paused)
    Pause {
        #[command(flatten)]
        args: InfraArgs,
        #[command(flatten)]
        adopt: AdoptArgs,
    },
    /// Resume a paused cluster
    Resume {
        #[command(flatten)]
        args: InfraArgs,
        #[command(flatten)]
        adopt: AdoptArgs,
    },
    /// Delete the cluster, then its ingress rule, security group and IAM role (only what
    /// sparkify created)
    Down {
        #[command(flatten)]
        args: InfraArgs,
        #[command(flatten)]
        wait: WaitArgs,
        #[arg(long, value_name = "NAME")]
        final_snapshot: Option<String>,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct InfraArgs {
    #[arg(long, value_name = "CIDR")]
    pub cidr: Option<String>,
    #[arg(long)]
    pub allow_anywhere: bool,
}

/// `--adopt`: use (and tag) a cluster, role or group that sparkify did not create.
#[derive(Debug, Clone, Args)]
pub struct AdoptArgs {
    #[arg(long)]
    pub adopt: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    #[arg(long, value_name = "SECONDS")]
    pub poll: Option<f64>,
}

/// How `query` prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// `run`: what `etl` takes, and what to do when the checks fail.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    #[arg(long)]
    pub publish_on_failure: bool,
    #[command(flatten)]
    pub checks: CheckArgs,
}

/// The thresholds of the freshness and volume checks (`run`, `check`, `report`): hours, or
/// `off`.
#[derive(Debug, Clone, Default, Args)]
pub struct CheckArgs {
    #[arg(long, value_name = "HOURS")]
    pub freshness_file_warn_hours: Option<String>,
    #[arg(long, value_name = "HOURS")]
    pub freshness_file_error_hours: Option<String>,
    #[arg(long, value_name = "HOURS")]
    pub freshness_now_warn_hours: Option<String>,
    #[arg(long, value_name = "HOURS")]
    pub freshness_now_error_hours: Option<String>,
    #[arg(long, value_name = "DAYS")]
    pub volume_window_days: Option<u32>,
    #[arg(long, value_name = "PERCENT")]
    pub volume_min_percent: Option<f64>,
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    #[arg(long, value_name = "PATH")]
    pub songs: Option<String>,
    #[arg(long, value_name = "PATH")]
    pub events: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub jsonpaths: Option<String>,
    #[arg(long, value_name = "FORMAT", conflicts_with = "jsonpaths")]
    pub events_format: Option<String>,
    #[arg(long, value_name = "FORMAT")]
    pub songs_format: Option<String>,
    #[arg(long, value_name = "OPTIONS")]
    pub copy_options: Option<String>,
    #[arg(long, value_name = "N")]
    pub max_errors: Option<u64>,
    // Bounded like --concurrency: each thread holds a file and a batch in memory, and
    // threads beyond the CPUs (or the objects in flight) only cost memory.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=512))]
    pub threads: Option<u16>,
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=512))]
    pub concurrency: Option<u16>,
    #[arg(long)]
    pub full_refresh: bool,
    #[arg(long, conflicts_with = "full_refresh")]
    pub reload_changed: bool,
    // Both ends or neither; a backfill decides itself what it reloads, so it does not mix
    // with the flags that reload more.
    #[arg(long, value_name = "DATE", requires = "to", conflicts_with_all = ["full_refresh", "reload_changed"])]
    pub from: Option<String>,
    #[arg(long, value_name = "DATE", requires = "from")]
    pub to: Option<String>,
    #[arg(long)]
    pub keep_mojibake: bool,
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub results: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, value_name = "N")]
    pub songs: Option<u64>,
    #[arg(long, value_name = "N")]
    pub users: Option<u64>,
    #[arg(long, value_name = "N")]
    pub days: Option<u64>,
    #[arg(long, value_name = "N")]
    pub events_per_day: Option<u64>,
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[arg(long, value_name = "SHARE")]
    pub match_rate: Option<f64>,
    #[arg(long, value_name = "gzip|zstd|bzip2")]
    pub compress: Option<String>,
}

/// The command line as clap parses it, with every flag's help taken from its declaration in
/// `settings/decl.rs` (help, environment variables, `dwh.cfg` keys, default).
pub fn command() -> clap::Command {
    with_declared_help(Cli::command(), "")
}

/// Parses the process's arguments (exits with clap's message and code 2 on bad usage).
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn with_declared_help(cmd: clap::Command, parent: &str) -> clap::Command {
    let path = match (parent, cmd.get_name()) {
        ("", _) => String::new(),
        ("sparkify", name) => name.to_string(),
        (p, name) => format!("{p} {name}"),
    };
    let here = if path.is_empty() {
        "sparkify"
    } else {
        path.as_str()
    };
    let lookup = if path.is_empty() {
        "run"
    } else {
        path.as_str()
    };
    cmd.mut_args(|arg| {
        match arg
            .get_long()
            .and_then(|long| crate::settings::decl::for_flag(lookup, long))
        {
            Some(d) => arg.help(d.help_line()),
            None => arg,
        }
    })
    .mut_subcommands(|sub| with_declared_help(sub, here))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::decl::{DECLS, for_flag};

    /// `(command path, long flag)` of every flag clap knows, global ones under "".
    fn flags(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long()
                && !matches!(long, "help" | "version")
                && (!arg.is_global_set() || path.is_empty())
            {
                out.push((path.to_string(), long.to_string()));
            }
        }
        for sub in cmd.get_subcommands() {
            let p = if path.is_empty() {
                sub.get_name().to_string()
            } else {
                format!("{path} {}", sub.get_name())
            };
            flags(sub, &p, out);
        }
    }

    #[test]
    fn every_flag_is_declared_and_every_declared_flag_exists() {
        let mut found = Vec::new();
        flags(&Cli::command(), "", &mut found);
        for (path, long) in &found {
            let lookup = if path.is_empty() { "run" } else { path };
            assert!(
                for_flag(lookup, long).is_some(),
                "--{long} of `{path}` is not declared in settings/decl.rs"
            );
        }
        for d in DECLS {
            let Some(f) = d.flag else { continue };
            let paths: Vec<&str> = if d.commands.is_empty() {
                vec![""]
            } else {
                d.commands.to_vec()
            };
            for p in paths {
                assert!(
                    found.iter().any(|(fp, fl)| fp == p && fl == f),
                    "setting {} declares --{f} for `{p}`, which clap does not have",
                    d.name
                );
            }
        }
    }

    #[test]
    fn help_shows_the_declared_text_environment_and_default() {
        // Global flags reach the subcommands when the command is built; help wraps lines.
        let flat = |help: String| help.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut cmd = command();
        cmd.build();
        let run = cmd.find_subcommand_mut("run").unwrap();
        let help = flat(run.render_help().to_string());
        assert!(help.contains("Redshift's MAXERROR"), "{help}");
        assert!(help.contains("env: SPARKIFY_MAX_ERRORS"), "{help}");
        assert!(help.contains("dwh.cfg: S3.SONG_DATA"), "{help}");
        assert!(help.contains("env: SPARKIFY_WAREHOUSE"), "{help}");
        let mut cmd = command();
        cmd.build();
        let down = cmd
            .find_subcommand_mut("infra")
            .unwrap()
            .find_subcommand_mut("down")
            .unwrap();
        let help = flat(down.render_help().to_string());
        assert!(help.contains("env: SPARKIFY_POLL_SECONDS"), "{help}");
        assert!(help.contains("Do not ask for confirmation"), "{help}");
    }

    #[test]
    fn adopt_is_offered_where_sparkify_would_otherwise_refuse() {
        let flat = |help: String| help.split_whitespace().collect::<Vec<_>>().join(" ");
        for (sub, offered) in [
            ("plan", true),
            ("up", true),
            ("pause", true),
            ("resume", true),
            ("status", false),
            ("down", false),
        ] {
            let mut cmd = command();
            cmd.build();
            let sub_cmd = cmd
                .find_subcommand_mut("infra")
                .and_then(|i| i.find_subcommand_mut(sub))
                .unwrap_or_else(|| panic!("infra {sub}"));
            let help = flat(sub_cmd.render_help().to_string());
            assert_eq!(
                help.contains("--adopt Take over a cluster, IAM role or security group"),
                offered,
                "infra {sub}: {help}"
            );
        }
    }
}
