//! Typed values built from the declared settings, one per consumer: the loader, the
//! warehouse connection, the Redshift COPY, the cluster and the infra waits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{DEFAULT_REGION, Origin, POSTGRES_PORT, REDSHIFT_PORT, Settings, decl};
use crate::checks::{CheckOptions, Thresholds};
use crate::cli::{CheckArgs, GenerateArgs, LoadArgs, WaitArgs};
use crate::copy::Conversion;
use crate::copy::compressed::Compression;
use crate::copy::load::LoadOptions;
use crate::copy::statement::parse_options;
use crate::error::{Error, Result};
use crate::generate::GenerateOptions;
use crate::infra::Wait;
use crate::pipeline::{DateRange, FormatSpec, Refresh, StageRequest};
use crate::source::Source;
use crate::warehouse::WarehouseConfig;
use crate::warehouse::iam_login::{IamLogin, cluster_of_host};
use crate::warehouse::postgres::{self, ConnDefaults, Target};
use crate::warehouse::redshift::CopyAuth;

/// What `run` and `etl` load, and how.
#[derive(Debug, Clone)]
pub struct LoadSettings {
    pub songs: Option<String>,
    pub events: Option<String>,
    pub jsonpaths: Option<String>,
    pub events_format: Option<String>,
    pub songs_format: String,
    pub refresh: Refresh,
    /// `--from`/`--to`: reprocess these days instead of loading what is new.
    pub range: Option<DateRange>,
    pub repair_mojibake: bool,
    pub options: LoadOptions,
}

impl LoadSettings {
    /// Whether neither source is configured (then `run` generates a sample).
    pub fn no_sources(&self) -> bool {
        self.songs.is_none() && self.events.is_none()
    }

    /// Points both sources and the JSONPaths file at a dataset written by `generate`.
    pub fn use_dataset(&mut self, dir: &Path) {
        self.songs = Some(dir.join("song_data").display().to_string());
        self.events = Some(dir.join("log_data").display().to_string());
        self.jsonpaths = Some(dir.join("log_json_path.json").display().to_string());
    }

    /// The `s3://` sources among the configured ones, named for notes: the events, the
    /// songs and the JSONPaths file (`--jsonpaths`, or `--events-format` naming one).
    pub fn s3_sources(&self) -> Vec<crate::source::regions::Named> {
        let paths = self.events_format.as_ref().or(self.jsonpaths.as_ref());
        [
            ("events", self.events.as_ref()),
            ("songs", self.songs.as_ref()),
            ("JSONPaths file", paths),
        ]
        .into_iter()
        .filter_map(|(what, uri)| Some((what, uri?.clone())))
        .filter(|(_, uri)| uri.starts_with("s3://"))
        .collect()
    }

    /// The two staging requests.
    pub fn requests(&self) -> Result<Vec<StageRequest>> {
        let (songs, events) = match (&self.songs, &self.events) {
            (Some(s), Some(e)) => (s, e),
            (None, _) => {
                return Err(Error::usage(
                    "--events was given without --songs; give both (or set S3.SONG_DATA in dwh.cfg)",
                ));
            }
            (_, None) => {
                return Err(Error::usage(
                    "--songs was given without --events; give both (or set S3.LOG_DATA in dwh.cfg)",
                ));
            }
        };
        let events_format = match (&self.events_format, &self.jsonpaths) {
            (Some(f), _) => FormatSpec::parse(f)?,
            (None, Some(p)) => FormatSpec::JsonPaths(Source::parse(p)?),
            // The log keys are camelCase and the columns their lower-case forms: only
            // case-insensitive matching fills them without a JSONPaths file.
            (None, None) => FormatSpec::AutoIgnoreCase,
        };
        Ok(vec![
            StageRequest {
                table: "staging_events".into(),
                source: Source::parse(events)?,
                format: events_format,
                repair_mojibake: self.repair_mojibake,
                refresh: self.refresh,
            },
            StageRequest {
                table: "staging_songs".into(),
                source: Source::parse(songs)?,
                format: FormatSpec::parse(&self.songs_format)?,
                repair_mojibake: false,
                refresh: self.refresh,
            },
        ])
    }
}

impl Settings {
    /// `run`/`etl` settings.
    pub fn load(&self, args: &LoadArgs) -> Result<LoadSettings> {
        let concurrency: u16 = self.parsed("concurrency", args.concurrency)?;
        if !(1..=512).contains(&concurrency) {
            return Err(Error::usage("--concurrency must be between 1 and 512"));
        }
        let refresh = if args.full_refresh {
            Refresh::Full
        } else if args.reload_changed {
            Refresh::ReloadChanged
        } else {
            Refresh::Incremental
        };
        let range = match (&args.from, &args.to) {
            (Some(from), Some(to)) => Some(DateRange::parse(from, to)?),
            (None, None) => None,
            _ => return Err(Error::usage("--from and --to go together: give both")),
        };
        Ok(LoadSettings {
            songs: self.get("songs", args.songs.clone()),
            events: self.get("events", args.events.clone()),
            jsonpaths: self.get("jsonpaths", args.jsonpaths.clone()),
            events_format: self.get("events_format", args.events_format.clone()),
            songs_format: self.parsed("songs_format", args.songs_format.clone())?,
            refresh,
            range,
            repair_mojibake: !args.keep_mojibake,
            options: LoadOptions {
                conversion: self.copy_options(args.copy_options.clone())?,
                max_errors: self.parsed("max_errors", args.max_errors)?,
                // 0 means "decide": one per CPU, or --concurrency for S3.
                threads: args.threads.map_or(0, usize::from),
                remote_concurrency: usize::from(concurrency),
                ..LoadOptions::default()
            },
        })
    }

    /// `--copy-options` / `[COPY] OPTIONS`: the data-conversion options staging applies, parsed
    /// as COPY parses them.
    fn copy_options(&self, flag: Option<String>) -> Result<Conversion> {
        let Some((text, _)) = self.lookup("copy_options", flag) else {
            return Ok(Conversion::default());
        };
        let bad = |e: String| Error::usage(format!("--copy-options {text:?}: {e}"));
        let options = parse_options(&text).map_err(|e| bad(e.to_string()))?;
        Conversion::from_options(&options, "--copy-options").map_err(bad)
    }

    /// The thresholds of the freshness and volume checks.
    pub fn check_options(&self, args: &CheckArgs) -> Result<CheckOptions> {
        let hours = |name: &str, flag: &Option<String>| -> Result<Option<f64>> {
            let (text, origin) = match self.lookup(name, flag.clone()) {
                Some(found) => found,
                None => (
                    decl::decl(name).default.unwrap_or("off").to_string(),
                    Origin::Default,
                ),
            };
            let text = text.trim();
            if text.eq_ignore_ascii_case("off") {
                return Ok(None);
            }
            match text.parse::<f64>() {
                Ok(h) if h.is_finite() && h >= 0.0 => Ok(Some(h)),
                _ => Err(Error::usage(format!(
                    "{} = {text:?} is not a number of hours (0 or more) or off",
                    super::origin_name(decl::decl(name), origin)
                ))),
            }
        };
        let window: u32 = self.parsed("volume_window_days", args.volume_window_days)?;
        if !(1..=366).contains(&window) {
            return Err(Error::usage(
                "--volume-window-days must be between 1 and 366",
            ));
        }
        let percent: f64 = self.parsed("volume_min_percent", args.volume_min_percent)?;
        if !(0.0..=100.0).contains(&percent) {
            return Err(Error::usage(
                "--volume-min-percent must be between 0 and 100",
            ));
        }
        Ok(CheckOptions {
            freshness_vs_file: Thresholds {
                warn_hours: hours("freshness_file_warn_hours", &args.freshness_file_warn_hours)?,
                error_hours: hours(
                    "freshness_file_error_hours",
                    &args.freshness_file_error_hours,
                )?,
            },
            freshness_vs_now: Thresholds {
                warn_hours: hours("freshness_now_warn_hours", &args.freshness_now_warn_hours)?,
                error_hours: hours("freshness_now_error_hours", &args.freshness_now_error_hours)?,
            },
            volume_window_days: window,
            volume_min_percent: percent,
        })
    }

    /// `generate` settings; the defaults are the sample's ([`GenerateOptions::default`]).
    pub fn generate(&self, args: &GenerateArgs) -> Result<GenerateOptions> {
        let opts = GenerateOptions {
            songs: self.parsed("generate_songs", args.songs)?,
            users: self.parsed("generate_users", args.users)?,
            days: self.parsed("generate_days", args.days)?,
            events_per_day: self.parsed("generate_events_per_day", args.events_per_day)?,
            seed: self.parsed("generate_seed", args.seed)?,
            match_rate: self.parsed("generate_match_rate", args.match_rate)?,
            compress: match args
                .compress
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None => None,
                Some("gzip" | "gz") => Some(Compression::Gzip),
                Some("zstd" | "zst") => Some(Compression::Zstd),
                Some("bzip2" | "bz2") => Some(Compression::Bzip2),
                Some(other) => {
                    return Err(Error::usage(format!(
                        "--compress {other:?}: generate writes gzip, zstd or bzip2"
                    )));
                }
            },
        };
        if !(0.0..=1.0).contains(&opts.match_rate) {
            return Err(Error::usage("--match-rate must be between 0 and 1"));
        }
        // Before `generate` multiplies them for its progress bar.
        opts.check()?;
        Ok(opts)
    }

    /// How `infra up`/`down` wait for the cluster.
    pub fn wait(&self, args: &WaitArgs) -> Result<Wait> {
        let poll: f64 = self.parsed("poll", args.poll)?;
        let poll = Duration::try_from_secs_f64(poll)
            .ok()
            .filter(|p| *p >= Duration::from_millis(10) && p.as_secs() <= 3600)
            .ok_or_else(|| Error::usage("--poll must be between 0.01 and 3600 seconds"))?;
        let iam_retry: f64 = self.parsed("iam_retry", None)?;
        let iam_retry = Duration::try_from_secs_f64(iam_retry)
            .ok()
            .filter(|p| *p >= Duration::from_millis(10) && p.as_secs() <= 60)
            .ok_or_else(|| {
                Error::usage("SPARKIFY_IAM_RETRY_SECONDS must be between 0.01 and 60")
            })?;
        Ok(Wait {
            timeout: Duration::from_secs(self.parsed("timeout", args.timeout)?),
            poll,
            iam_retry,
        })
    }

    /// The region set for sparkify (`AWS_REGION`, then `dwh.cfg`); `None` leaves it to the
    /// AWS profile, then [`DEFAULT_REGION`].
    pub fn region(&self) -> Option<String> {
        self.get("region", None)
    }

    /// What Redshift's server-side COPY needs, when an IAM role is configured.
    pub fn copy_auth(&self) -> Option<CopyAuth> {
        Some(CopyAuth {
            iam_role: self.get("iam_role_arn", None)?,
            region: self.region().unwrap_or_else(|| DEFAULT_REGION.to_string()),
            source_regions: Default::default(),
            source_compression: Default::default(),
        })
    }

    /// The warehouse `--warehouse` (or its environment variable / `dwh.cfg` key) names.
    pub fn warehouse(&self, flag: Option<String>) -> Result<WarehouseConfig> {
        let spec = self.text("warehouse", flag);
        let spec = spec.trim();
        let duckdb = |path: &str| -> Result<WarehouseConfig> {
            Ok(WarehouseConfig::DuckDb {
                path: PathBuf::from(path),
                memory_limit: self.parsed("duckdb_memory", None)?,
            })
        };
        if let Some(path) = spec.strip_prefix("duckdb:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(Error::usage(
                    "--warehouse duckdb: needs a file path, e.g. duckdb:sparkify.duckdb",
                ));
            }
            return duckdb(path);
        }
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            let target =
                Target::parse_with(spec, POSTGRES_PORT, "prefer", &self.connection_defaults())?;
            return Ok(WarehouseConfig::Postgres(target));
        }
        if spec == "redshift" || spec.starts_with("redshift://") {
            let target = self.redshift_target(spec)?;
            let iam = target
                .password
                .is_none()
                .then(|| self.iam_login(&target.host));
            return Ok(WarehouseConfig::Redshift {
                target,
                copy: self.copy_auth(),
                iam,
                manifest_prefix: self.manifest_prefix()?,
            });
        }
        if let Some((scheme, _)) = spec.split_once("://") {
            return Err(Error::usage(format!(
                "--warehouse: unknown or unsupported scheme {scheme:?}; use duckdb:PATH, \
                 postgres://USER@HOST:PORT/DB or redshift://USER@HOST:5439/DB"
            )));
        }
        if spec.ends_with(".duckdb") || spec.ends_with(".db") {
            return duckdb(spec);
        }
        Err(Error::usage(format!(
            "--warehouse {:?} is not understood; use duckdb:PATH (e.g. duckdb:sparkify.duckdb), \
             postgres://... or redshift://...",
            postgres::redact(spec)
        )))
    }

    /// Where Redshift runs write their manifests: an `s3://bucket/prefix`, without a trailing
    /// `/`.
    fn manifest_prefix(&self) -> Result<Option<String>> {
        let Some(prefix) = self.get("manifest_prefix", None) else {
            return Ok(None);
        };
        crate::source::s3::S3Uri::parse(&prefix)?;
        Ok(Some(prefix.trim_end_matches('/').to_string()))
    }

    /// Where temporary credentials come from when no password is configured: the cluster
    /// configured, else the one the endpoint names, else the default identifier.
    fn iam_login(&self, host: &str) -> IamLogin {
        let cluster_id = self
            .get("cluster_identifier", None)
            .or_else(|| cluster_of_host(host).map(str::to_string))
            .unwrap_or_else(|| self.text("cluster_identifier", None));
        IamLogin {
            cluster_id,
            region: self.region(),
            static_keys: self.static_keys(),
        }
    }

    /// `dwh.cfg` `[AWS] KEY/SECRET`, when both are given.
    pub(super) fn static_keys(&self) -> Option<(String, String)> {
        match (self.get("aws_key", None), self.get("aws_secret", None)) {
            (Some(k), Some(s)) => Some((k, s)),
            _ => None,
        }
    }

    /// `PGUSER` and `PGPASSWORD` fill what the URL leaves out, as libpq does.
    fn connection_defaults(&self) -> ConnDefaults {
        ConnDefaults {
            user: Some(self.text("pg_user", None)),
            password: self.get("pg_password", None),
        }
    }

    /// The connection to the Redshift cluster: `redshift://...`, or with `redshift` alone the
    /// endpoint, database, user and port of [`Settings::cluster`]'s configuration, so the
    /// cluster `infra up` creates is the one this connects to. TLS is required unless the URL
    /// says `sslmode=disable`; the password comes from the URL, `PGPASSWORD` or `dwh.cfg`.
    pub fn redshift_target(&self, spec: &str) -> Result<Target> {
        let url = if spec == "redshift" {
            let host = self.get("cluster_host", None).ok_or_else(|| {
                Error::usage(
                    "--warehouse redshift needs the cluster endpoint: set [CLUSTER] HOST in \
                     dwh.cfg (`sparkify infra up` writes it) or pass redshift://USER@HOST:5439/DB",
                )
            })?;
            // Only what a connection needs: the cluster's identifier, type and size are infra's
            // business and are not validated here.
            let port: u16 = self.parsed("db_port", None)?;
            format!(
                "redshift://{}@{host}:{port}/{}",
                self.text("db_user", None),
                self.text("db_name", None)
            )
        } else {
            spec.to_string()
        };
        let mut target =
            Target::parse_with(&url, REDSHIFT_PORT, "require", &self.connection_defaults())?;
        if target.password.is_none() {
            target.password = self.get("db_password", None);
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Ini;
    use crate::settings::decl;

    fn settings(text: &str) -> Settings {
        Settings::new(Ini::parse(text).unwrap(), &[])
    }

    #[test]
    fn declared_defaults_agree_with_the_constants_the_code_uses() {
        let args = GenerateArgs {
            out: PathBuf::from("x"),
            songs: None,
            users: None,
            days: None,
            events_per_day: None,
            seed: None,
            match_rate: None,
            compress: None,
        };
        let declared = Settings::default().generate(&args).unwrap();
        let sample = GenerateOptions::default();
        assert_eq!(
            (
                declared.songs,
                declared.users,
                declared.days,
                declared.events_per_day
            ),
            (
                sample.songs,
                sample.users,
                sample.days,
                sample.events_per_day
            )
        );
        assert_eq!(
            (declared.seed, declared.match_rate),
            (sample.seed, sample.match_rate)
        );
        let port: u16 = Settings::default().parsed("db_port", None).unwrap();
        assert_eq!(port, REDSHIFT_PORT);
        assert!(
            decl::decl("region")
                .default
                .unwrap()
                .contains(DEFAULT_REGION)
        );
        let memory: String = Settings::default().parsed("duckdb_memory", None).unwrap();
        assert_eq!(memory, crate::warehouse::duckdb::DEFAULT_MEMORY_LIMIT);
        let defaults = LoadOptions::default();
        let load = Settings::default()
            .load(&LoadArgs {
                songs: None,
                events: None,
                jsonpaths: None,
                events_format: None,
                songs_format: None,
                copy_options: None,
                max_errors: None,
                threads: None,
                concurrency: None,
                full_refresh: false,
                reload_changed: false,
                from: None,
                to: None,
                keep_mojibake: false,
                dry_run: false,
                results: None,
            })
            .unwrap();
        assert_eq!(load.options.remote_concurrency, defaults.remote_concurrency);
        assert_eq!(load.options.max_errors, defaults.max_errors);
        assert_eq!(load.options.conversion, defaults.conversion);
        assert!(load.no_sources());
    }

    #[test]
    fn copy_options_come_from_the_flag_the_environment_or_dwh_cfg_and_must_be_conversions() {
        let s = Settings::new(
            Ini::parse("[COPY]\nOPTIONS = ROUNDEC EMPTYASNULL\n").unwrap(),
            &[],
        );
        let c = s.copy_options(None).unwrap();
        assert!(c.round_dec && c.empty_as_null && !c.truncate_columns);
        let s = Settings::new(
            Ini::parse("[COPY]\nOPTIONS = ROUNDEC\n").unwrap(),
            &[("SPARKIFY_COPY_OPTIONS", "TRUNCATECOLUMNS")],
        );
        let c = s.copy_options(None).unwrap();
        assert!(c.truncate_columns && !c.round_dec);
        let c = s
            .copy_options(Some("ACCEPTINVCHARS AS '^'".into()))
            .unwrap();
        assert_eq!((c.accept_inv_chars, c.truncate_columns), (Some('^'), false));
        for (bad, needle) in [
            (
                "IAM_ROLE 'arn:aws:iam::1:role/r'",
                "IAM_ROLE has a setting of its own",
            ),
            ("JSON 'auto'", "JSON has a setting of its own"),
            (
                "GZIP",
                "GZIP is not needed: the pipeline decompresses each file its name says",
            ),
            ("ZSTD", "ZSTD is not needed"),
            ("LZOP", "LZOP is not supported yet"),
            ("ROUNDEC ROUNDEC", "given twice"),
        ] {
            let err = s.copy_options(Some(bad.into())).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn infra_and_the_redshift_warehouse_agree_on_one_cluster() {
        // Nothing configured but the endpoint: the database, user and port that `infra up`
        // would create are the ones `--warehouse redshift` connects to.
        let s = settings("[CLUSTER]\nHOST=example.internal\n");
        let cluster = s.cluster(None, false).unwrap();
        let target = s.redshift_target("redshift").unwrap();
        assert_eq!(target.database, cluster.db_name.value);
        assert_eq!(target.user, cluster.db_user.value);
        assert_eq!(i32::from(target.port), cluster.port.value);
        assert_eq!(
            (target.database.as_str(), target.user.as_str(), target.port),
            ("dev", "awsuser", REDSHIFT_PORT)
        );
        // A connection needs none of infra's cluster settings, valid or not.
        let s = settings(
            "[DWH]\nDWH_ENDPOINT=e.internal\nDWH_CLUSTER_IDENTIFIER=dwhCluster\nDWH_NUM_NODES=1\n",
        );
        assert!(s.cluster(None, false).is_err());
        assert_eq!(s.redshift_target("redshift").unwrap().host, "e.internal");
        // The template layout's keys are read by both as well.
        let s =
            settings("[DWH]\nDWH_ENDPOINT=e.internal\nDWH_DB=dwh\nDWH_DB_USER=u\nDWH_PORT=5440\n");
        let target = s.redshift_target("redshift").unwrap();
        assert_eq!(
            (target.database.as_str(), target.user.as_str(), target.port),
            ("dwh", "u", 5440)
        );
    }

    #[test]
    fn one_region_for_copy_infra_and_s3() {
        let s = Settings::new(
            Ini::parse("[AWS]\nREGION=eu-west-1\n").unwrap(),
            &[("SPARKIFY_IAM_ROLE", "arn:aws:iam::1:role/r")],
        );
        assert_eq!(s.region().as_deref(), Some("eu-west-1"));
        assert_eq!(s.copy_auth().unwrap().region, "eu-west-1");
        assert_eq!(
            s.cluster(None, false).unwrap().region.as_deref(),
            Some("eu-west-1")
        );
        let s = Settings::new(
            Ini::parse("[AWS]\nREGION=eu-west-1\n").unwrap(),
            &[("AWS_REGION", "ap-south-1")],
        );
        assert_eq!(s.region().as_deref(), Some("ap-south-1"));
        assert!(s.copy_auth().is_none(), "no role configured");
    }

    #[test]
    fn pguser_and_pgpassword_fill_what_the_url_leaves_out() {
        let s = Settings::new(Ini::default(), &[("PGUSER", "alice"), ("PGPASSWORD", "pw")]);
        let WarehouseConfig::Postgres(t) = s
            .warehouse(Some("postgres://db.internal/x".into()))
            .unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(
            (t.user.as_str(), t.password.as_deref()),
            ("alice", Some("pw"))
        );
        let WarehouseConfig::Postgres(t) = s
            .warehouse(Some("postgres://bob:secret@db.internal/x".into()))
            .unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(
            (t.user.as_str(), t.password.as_deref()),
            ("bob", Some("secret"))
        );
        let WarehouseConfig::Postgres(t) = Settings::default()
            .warehouse(Some("postgres://db.internal/x".into()))
            .unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(t.user, "postgres");
    }

    #[test]
    fn the_warehouse_defaults_to_the_embedded_file_with_a_memory_cap() {
        let s = Settings::new(Ini::default(), &[("SPARKIFY_DUCKDB_MEMORY", "2GB")]);
        match s.warehouse(None).unwrap() {
            WarehouseConfig::DuckDb { path, memory_limit } => {
                assert_eq!(path, PathBuf::from("sparkify.duckdb"));
                assert_eq!(memory_limit, "2GB");
            }
            other => panic!("{other:?}"),
        }
        let s = settings("[DWH]\nWAREHOUSE=duckdb:from-cfg.duckdb\n");
        assert!(matches!(
            s.warehouse(None).unwrap(),
            WarehouseConfig::DuckDb { path, memory_limit } if path.as_path() == Path::new("from-cfg.duckdb") && memory_limit == "500MB"
        ));
        assert!(
            Settings::default()
                .warehouse(Some("mysql://x".into()))
                .is_err()
        );
    }

    #[test]
    fn the_declared_check_defaults_are_the_library_defaults() {
        let options = Settings::default()
            .check_options(&CheckArgs::default())
            .unwrap();
        assert_eq!(options, CheckOptions::default());
        let off = Settings::new(
            crate::config::Ini::default(),
            &[
                ("SPARKIFY_FRESHNESS_FILE_ERROR_HOURS", "off"),
                ("SPARKIFY_FRESHNESS_NOW_WARN_HOURS", "36.5"),
            ],
        )
        .check_options(&CheckArgs::default())
        .unwrap();
        assert_eq!(off.freshness_vs_file.error_hours, None);
        assert_eq!(off.freshness_vs_now.warn_hours, Some(36.5));
        let bad = Settings::new(
            crate::config::Ini::default(),
            &[("SPARKIFY_FRESHNESS_NOW_WARN_HOURS", "soon")],
        )
        .check_options(&CheckArgs::default())
        .unwrap_err();
        assert!(
            bad.to_string()
                .contains("SPARKIFY_FRESHNESS_NOW_WARN_HOURS"),
            "{bad}"
        );
    }
}
