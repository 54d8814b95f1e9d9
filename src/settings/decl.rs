//! Every setting `sparkify` reads, declared once: its name, the commands that take it, its
//! flag, environment variables and `dwh.cfg` keys (each in the order they are tried), its
//! default and its help text. `--help` ([`crate::cli::command`]), the README's settings table
//! ([`super::markdown_table`]) and the resolution in [`super::Settings`] all read this list,
//! so a setting cannot be documented one way and read another.

/// One setting.
#[derive(Debug, Clone, Copy)]
pub struct Decl {
    /// The name code looks it up by; unique.
    pub name: &'static str,
    /// The commands whose flag this is (`"infra up"` for a subcommand); empty = every command.
    pub commands: &'static [&'static str],
    /// The long flag without `--`, when there is one.
    pub flag: Option<&'static str>,
    /// Environment variables, the first one set wins.
    pub env: &'static [&'static str],
    /// `dwh.cfg` `(SECTION, KEY)` pairs, the first one set wins (`[DEFAULT]` applies too).
    pub ini: &'static [(&'static str, &'static str)],
    /// The value used when none is given, as people read it.
    pub default: Option<&'static str>,
    /// One or two sentences; the first line is what `--help` shows.
    pub help: &'static str,
}

impl Decl {
    /// The help text with where else the value may come from, as `--help` prints it.
    pub fn help_line(&self) -> String {
        let mut text = self.help.to_string();
        let mut extra = Vec::new();
        if !self.env.is_empty() {
            extra.push(format!("env: {}", self.env.join(", ")));
        }
        if !self.ini.is_empty() {
            let keys: Vec<String> = self.ini.iter().map(|(s, k)| format!("{s}.{k}")).collect();
            extra.push(format!("dwh.cfg: {}", keys.join(", ")));
        }
        if let Some(d) = self.default {
            extra.push(format!("default: {d}"));
        }
        if !extra.is_empty() {
            text.push_str(&format!(" [{}]", extra.join("; ")));
        }
        text
    }
}

const LOAD: &[&str] = &["run", "etl"];
const INFRA: &[&str] = &[
    "infra plan",
    "infra up",
    "infra status",
    "infra pause",
    "infra resume",
    "infra down",
];
const INFRA_WAIT: &[&str] = &["infra up", "infra down"];
const ROWS_OUT: &[&str] = &["query", "analytics"];
const NONE: &[&str] = &[];
const COPY: &[&str] = &["copy"];
const CHECKS: &[&str] = &["run", "check", "report"];

/// Shorthand for a setting that is only a flag.
const fn flag(
    name: &'static str,
    commands: &'static [&'static str],
    flag: &'static str,
    default: Option<&'static str>,
    help: &'static str,
) -> Decl {
    Decl {
        name,
        commands,
        flag: Some(flag),
        env: &[],
        ini: &[],
        default,
        help,
    }
}

/// Every setting, in the order the README's table lists them.
pub static DECLS: &[Decl] = &[
    // Every command.
    Decl {
        name: "config",
        commands: NONE,
        flag: Some("config"),
        env: &["SPARKIFY_CONFIG"],
        ini: &[],
        default: Some("./dwh.cfg when present"),
        help: "INI settings file in the seed's dwh.cfg layout",
    },
    Decl {
        name: "warehouse",
        commands: NONE,
        flag: Some("warehouse"),
        env: &["SPARKIFY_WAREHOUSE"],
        ini: &[("DWH", "WAREHOUSE")],
        default: Some("duckdb:sparkify.duckdb"),
        help: "Where the warehouse is: duckdb:PATH, postgres://USER@HOST/DB, \
               redshift://USER@HOST:5439/DB, or redshift for the cluster in dwh.cfg",
    },
    flag(
        "quiet",
        NONE,
        "quiet",
        None,
        "Print only the results, no progress or notes",
    ),
    // Loading: run and etl.
    Decl {
        name: "songs",
        commands: LOAD,
        flag: Some("songs"),
        env: &["SPARKIFY_SONGS"],
        ini: &[("S3", "SONG_DATA")],
        default: Some("a generated sample when no source is configured"),
        help: "Song files: a folder, file, COPY-style prefix, s3:// URI or .manifest",
    },
    Decl {
        name: "events",
        commands: LOAD,
        flag: Some("events"),
        env: &["SPARKIFY_EVENTS"],
        ini: &[("S3", "LOG_DATA")],
        default: Some("a generated sample when no source is configured"),
        help: "Event logs: a folder, file, COPY-style prefix, s3:// URI or .manifest",
    },
    Decl {
        name: "jsonpaths",
        commands: LOAD,
        flag: Some("jsonpaths"),
        env: &["SPARKIFY_JSONPATHS"],
        ini: &[("S3", "LOG_JSONPATH")],
        default: None,
        help: "JSONPaths file mapping event keys to columns",
    },
    flag(
        "events_format",
        LOAD,
        "events-format",
        Some("--jsonpaths when given, else 'auto ignorecase'"),
        "How event keys map to columns: auto, 'auto ignorecase', or a JSONPaths file",
    ),
    flag(
        "songs_format",
        LOAD,
        "songs-format",
        Some("auto"),
        "How song keys map to columns: auto, 'auto ignorecase', or a JSONPaths file",
    ),
    Decl {
        name: "copy_options",
        commands: LOAD,
        flag: Some("copy-options"),
        env: &["SPARKIFY_COPY_OPTIONS"],
        ini: &[("COPY", "OPTIONS")],
        default: None,
        help: "Redshift COPY data-conversion options for staging, e.g. \"TRUNCATECOLUMNS \
               ACCEPTINVCHARS AS '?'\" (TIMEFORMAT, DATEFORMAT, ACCEPTINVCHARS, TRUNCATECOLUMNS, \
               BLANKSASNULL, EMPTYASNULL, ROUNDEC); the Redshift COPY carries the same words",
    },
    Decl {
        name: "max_errors",
        commands: LOAD,
        flag: Some("max-errors"),
        env: &["SPARKIFY_MAX_ERRORS"],
        ini: &[],
        default: Some("0"),
        help: "Bad rows a load may skip before it fails and loads nothing (Redshift's MAXERROR)",
    },
    flag(
        "threads",
        LOAD,
        "threads",
        Some("one per CPU; for s3:// sources, --concurrency"),
        "Parser threads, 1 to 512",
    ),
    flag(
        "concurrency",
        LOAD,
        "concurrency",
        Some("32"),
        "S3 objects read at once, 1 to 512 (small objects: latency, not bandwidth, dominates)",
    ),
    flag(
        "full_refresh",
        LOAD,
        "full-refresh",
        None,
        "Empty the staging tables, load every file again and rebuild the star schema from all \
         rows (by default only files the load ledger does not hold are loaded, and the star \
         schema is updated from their rows)",
    ),
    flag(
        "reload_changed",
        LOAD,
        "reload-changed",
        None,
        "Reload a table whole when one of its files changed (size or ETag/modification time) \
         since it was loaded; by default a changed file is reported and left as loaded",
    ),
    flag(
        "from",
        LOAD,
        "from",
        None,
        "Backfill: reprocess the event files dated from this day (YYYY-MM-DD, UTC, the date in \
         the file's name) to --to, both included: their rows, ledger entries and rejected rows \
         are replaced by what the source holds for those days now, and the star schema follows; \
         other days, undated files and song files are left as they are",
    ),
    flag(
        "to",
        LOAD,
        "to",
        None,
        "Backfill: the last day reprocessed (YYYY-MM-DD, UTC, included); see --from",
    ),
    flag(
        "keep_mojibake",
        LOAD,
        "keep-mojibake",
        None,
        "Keep double-encoded UTF-8 in the events as it is (by default it is repaired)",
    ),
    flag(
        "results",
        LOAD,
        "results",
        None,
        "Write how the run ended to FILE as JSON, also when it fails (status, exit code, counts, \
         checks; the shape is in the README, \"Run history\"), replaced whole, for orchestrators",
    ),
    // The thresholds of the freshness and volume checks: run, check, report.
    Decl {
        name: "freshness_file_warn_hours",
        commands: CHECKS,
        flag: Some("freshness-file-warn-hours"),
        env: &["SPARKIFY_FRESHNESS_FILE_WARN_HOURS"],
        ini: &[("CHECKS", "FRESHNESS_FILE_WARN_HOURS")],
        default: Some("12"),
        help: "Freshness: warn when the newest event lies more than this many hours before the \
               end of the day in the newest loaded file's name (YYYY-MM-DD-events.json), or off",
    },
    Decl {
        name: "freshness_file_error_hours",
        commands: CHECKS,
        flag: Some("freshness-file-error-hours"),
        env: &["SPARKIFY_FRESHNESS_FILE_ERROR_HOURS"],
        ini: &[("CHECKS", "FRESHNESS_FILE_ERROR_HOURS")],
        default: Some("24"),
        help: "Freshness: fail (an error unless the rule is declared warn) when the newest event \
               lies more than this many hours before the end of the newest file's day, or off",
    },
    Decl {
        name: "freshness_now_warn_hours",
        commands: CHECKS,
        flag: Some("freshness-now-warn-hours"),
        env: &["SPARKIFY_FRESHNESS_NOW_WARN_HOURS"],
        ini: &[("CHECKS", "FRESHNESS_NOW_WARN_HOURS")],
        default: Some("off"),
        help: "Freshness: warn when the newest event is more than this many hours old (off by \
               default: sample data is from 2018)",
    },
    Decl {
        name: "freshness_now_error_hours",
        commands: CHECKS,
        flag: Some("freshness-now-error-hours"),
        env: &["SPARKIFY_FRESHNESS_NOW_ERROR_HOURS"],
        ini: &[("CHECKS", "FRESHNESS_NOW_ERROR_HOURS")],
        default: Some("off"),
        help: "Freshness: fail when the newest event is more than this many hours old (off by \
               default)",
    },
    Decl {
        name: "volume_window_days",
        commands: CHECKS,
        flag: Some("volume-window-days"),
        env: &["SPARKIFY_VOLUME_WINDOW_DAYS"],
        ini: &[("CHECKS", "VOLUME_WINDOW_DAYS")],
        default: Some("3"),
        help: "Volume: a day is compared with the median of this many days either side of it \
               (1 to 366)",
    },
    Decl {
        name: "volume_min_percent",
        commands: CHECKS,
        flag: Some("volume-min-percent"),
        env: &["SPARKIFY_VOLUME_MIN_PERCENT"],
        ini: &[("CHECKS", "VOLUME_MIN_PERCENT")],
        default: Some("10"),
        help: "Volume: a day with fewer events than this percentage of that median is flagged \
               (0 to 100)",
    },
    // Engines.
    Decl {
        name: "duckdb_memory",
        commands: NONE,
        flag: None,
        env: &["SPARKIFY_DUCKDB_MEMORY"],
        ini: &[],
        default: Some("500MB"),
        help: "DuckDB's memory cap; beyond it DuckDB spills to <file>.tmp",
    },
    Decl {
        name: "pg_user",
        commands: NONE,
        flag: None,
        env: &["PGUSER"],
        ini: &[],
        default: Some("postgres"),
        help: "PostgreSQL user when the warehouse URL names none",
    },
    Decl {
        name: "pg_password",
        commands: NONE,
        flag: None,
        env: &["PGPASSWORD"],
        ini: &[],
        default: None,
        help: "PostgreSQL/Redshift password when the warehouse URL has none (never printed)",
    },
    // The Redshift cluster: `infra` creates it, `--warehouse redshift` connects to it.
    Decl {
        name: "cluster_host",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("CLUSTER", "HOST"), ("DWH", "DWH_ENDPOINT")],
        default: None,
        help: "The cluster's endpoint, for --warehouse redshift (infra up writes it)",
    },
    Decl {
        name: "cluster_identifier",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[
            ("CLUSTER", "CLUSTER_IDENTIFIER"),
            ("DWH", "DWH_CLUSTER_IDENTIFIER"),
        ],
        default: Some("sparkify-dwh"),
        help: "The Redshift cluster's identifier",
    },
    Decl {
        name: "cluster_type",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("CLUSTER", "CLUSTER_TYPE"), ("DWH", "DWH_CLUSTER_TYPE")],
        default: Some("multi-node"),
        help: "single-node or multi-node",
    },
    Decl {
        name: "num_nodes",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("CLUSTER", "NUM_NODES"), ("DWH", "DWH_NUM_NODES")],
        default: Some("2"),
        help: "Nodes of a multi-node cluster (at least 2)",
    },
    Decl {
        name: "node_type",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("CLUSTER", "NODE_TYPE"), ("DWH", "DWH_NODE_TYPE")],
        default: Some("ra3.large"),
        help: "The cluster's node type (RA3; DC2 is deprecated by AWS)",
    },
    Decl {
        name: "db_name",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("CLUSTER", "DB_NAME"), ("DWH", "DWH_DB")],
        default: Some("dev"),
        help: "The cluster's database",
    },
    Decl {
        name: "db_user",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("CLUSTER", "DB_USER"), ("DWH", "DWH_DB_USER")],
        default: Some("awsuser"),
        help: "The cluster's master user",
    },
    Decl {
        name: "db_password",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("CLUSTER", "DB_PASSWORD"), ("DWH", "DWH_DB_PASSWORD")],
        default: Some("generated by infra up, stored only in dwh.cfg"),
        help: "The master user's password (never printed)",
    },
    Decl {
        name: "db_port",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[
            ("CLUSTER", "DWH_PORT"),
            ("CLUSTER", "DB_PORT"),
            ("DWH", "DWH_PORT"),
        ],
        default: Some("5439"),
        help: "The cluster's port",
    },
    Decl {
        name: "iam_role_name",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[
            ("CLUSTER", "DWH_IAM_ROLE_NAME"),
            ("DWH", "DWH_IAM_ROLE_NAME"),
        ],
        default: Some("sparkify-s3-read"),
        help: "The IAM role infra creates for the cluster to read S3",
    },
    Decl {
        name: "iam_role_arn",
        commands: NONE,
        flag: None,
        env: &["SPARKIFY_IAM_ROLE"],
        ini: &[("IAM_ROLE", "ARN"), ("DWH", "DWH_ROLE_ARN")],
        default: None,
        help: "The role Redshift's COPY reads S3 with (infra up writes it)",
    },
    Decl {
        name: "manifest_prefix",
        commands: NONE,
        flag: None,
        env: &["SPARKIFY_MANIFEST_PREFIX"],
        ini: &[("S3", "MANIFEST_PREFIX")],
        default: None,
        help: "Redshift: a writable s3:// prefix for the manifest of each run's new files, so a \
               run loads only those (without it every run reloads every file)",
    },
    Decl {
        name: "region",
        commands: NONE,
        flag: None,
        env: &["AWS_REGION"],
        ini: &[
            ("AWS", "REGION"),
            ("CLUSTER", "REGION"),
            ("DWH", "DWH_REGION"),
        ],
        default: Some("S3 and infra: the AWS profile's, else us-west-2; the COPY: us-west-2"),
        help: "AWS region of the cluster, the Redshift COPY and S3 requests",
    },
    Decl {
        name: "aws_key",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("AWS", "KEY")],
        default: None,
        help: "Static access key id (seed compatibility; prefer AWS_PROFILE)",
    },
    Decl {
        name: "aws_secret",
        commands: NONE,
        flag: None,
        env: &[],
        ini: &[("AWS", "SECRET")],
        default: None,
        help: "Static secret key (seed compatibility; never printed)",
    },
    // infra
    Decl {
        name: "cidr",
        commands: INFRA,
        flag: Some("cidr"),
        env: &["SPARKIFY_CIDR"],
        ini: &[("CLUSTER", "CIDR"), ("DWH", "DWH_CIDR")],
        default: None,
        help: "The one address range allowed to reach the cluster's port, e.g. 203.0.113.7/32",
    },
    flag(
        "adopt",
        &["infra plan", "infra up", "infra pause", "infra resume"],
        "adopt",
        None,
        "Take over a cluster, IAM role or security group of the configured names that sparkify \
         did not create: tag it managed-by=sparkify and manage it (infra down then deletes it); \
         without this, such resources are refused",
    ),
    flag(
        "allow_anywhere",
        INFRA,
        "allow-anywhere",
        None,
        "Allow an ingress --cidr wider than /16, such as 0.0.0.0/0 (the whole internet)",
    ),
    flag(
        "timeout",
        INFRA_WAIT,
        "timeout",
        Some("1800"),
        "Give up waiting for the cluster after this many seconds",
    ),
    Decl {
        name: "poll",
        commands: INFRA_WAIT,
        flag: Some("poll"),
        env: &["SPARKIFY_POLL_SECONDS"],
        ini: &[],
        default: Some("15"),
        help: "Seconds between status polls while waiting, 0.01 to 3600",
    },
    Decl {
        name: "iam_retry",
        commands: NONE,
        flag: None,
        env: &["SPARKIFY_IAM_RETRY_SECONDS"],
        ini: &[],
        default: Some("2"),
        help: "infra up: seconds before the first retry of a CreateCluster refused while a new \
               IAM role propagates (0.01 to 60); the wait doubles, 6 retries (2 s: 126 s in all)",
    },
    flag(
        "final_snapshot",
        &["infra down"],
        "final-snapshot",
        None,
        "Keep a final snapshot under this name (by default none is taken)",
    ),
    flag(
        "yes",
        &["infra down"],
        "yes",
        None,
        "Do not ask for confirmation",
    ),
    // One-off commands.
    flag(
        "drop",
        &["create-tables"],
        "drop",
        None,
        "Drop sparkify's tables first (all their data is lost)",
    ),
    flag(
        "publish_on_failure",
        &["run"],
        "publish-on-failure",
        None,
        "Commit the run even when data-quality checks fail (by default a failing check rolls \
         the whole run back and nothing is published); the failures are kept in audit_failures",
    ),
    flag(
        "dry_run",
        &["run", "etl", "create-tables"],
        "dry-run",
        None,
        "Connect to nothing: print the warehouse target and every statement the command would \
         send, in order, for review (e.g. before a paid cluster runs them); for Redshift it \
         still asks S3 each source bucket's region, for the COPY's REGION",
    ),
    flag(
        "format",
        ROWS_OUT,
        "format",
        Some("table on a terminal, csv otherwise"),
        "Output format",
    ),
    flag("limit", ROWS_OUT, "limit", None, "Print at most N rows"),
    flag(
        "csv_safe",
        ROWS_OUT,
        "csv-safe",
        None,
        "CSV for spreadsheets: a text cell starting with =, +, -, @, tab or carriage return \
         gets a leading ' so it is not run as a formula (numbers are left as they are)",
    ),
    flag(
        "copy_file",
        COPY,
        "file",
        None,
        "A file of one or more COPY statements separated by ;, run in order",
    ),
    flag(
        "report_out",
        &["report"],
        "out",
        Some("sparkify-report.html"),
        "The HTML file to write",
    ),
    flag(
        "generate_out",
        &["generate"],
        "out",
        None,
        "Folder to write into (created if missing)",
    ),
    flag(
        "generate_songs",
        &["generate"],
        "songs",
        Some("400"),
        "Songs in the catalogue (one file each)",
    ),
    flag(
        "generate_users",
        &["generate"],
        "users",
        Some("120"),
        "Distinct users",
    ),
    flag(
        "generate_days",
        &["generate"],
        "days",
        Some("30"),
        "Days of logs (one file per day)",
    ),
    flag(
        "generate_events_per_day",
        &["generate"],
        "events-per-day",
        Some("300"),
        "Events per day",
    ),
    flag(
        "generate_seed",
        &["generate"],
        "seed",
        Some("42"),
        "Seed: the same seed writes byte-identical files",
    ),
    flag(
        "generate_match_rate",
        &["generate"],
        "match-rate",
        Some("0.6"),
        "Share of song plays that match a song of the catalogue, 0 to 1",
    ),
    flag(
        "generate_compress",
        &["generate"],
        "compress",
        None,
        "Compress every data file as it is written: gzip (NAME.json.gz), zstd (.json.zst) or bzip2 (.json.bz2); run and etl decompress them by their names",
    ),
];

/// The declaration of `name`. Names are fixed in this file, so an unknown one is a bug.
pub fn decl(name: &str) -> &'static Decl {
    DECLS
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("setting {name:?} is not declared in settings/decl.rs"))
}

/// The declaration of the flag `--long` of `command` (`"run"`, `"infra up"`, ...).
pub fn for_flag(command: &str, long: &str) -> Option<&'static Decl> {
    DECLS
        .iter()
        .find(|d| d.flag == Some(long) && (d.commands.is_empty() || d.commands.contains(&command)))
}
