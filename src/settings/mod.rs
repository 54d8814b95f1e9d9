//! Settings: flags win over environment variables, which win over `dwh.cfg`, which wins over
//! the declared default. This is the only module that reads the environment or `dwh.cfg`;
//! everything below the command line receives typed values ([`LoadSettings`],
//! [`WarehouseConfig`], [`ClusterConfig`], [`CopyAuth`], [`Wait`]).
//!
//! What each setting is, and where it may come from, is declared once in [`decl`].

mod cluster;
pub mod decl;
mod doc;
mod typed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use decl::{DECLS, Decl};
pub use doc::markdown_table;
pub use typed::LoadSettings;

pub use crate::warehouse::WarehouseConfig;

pub use crate::infra::Wait;
pub use crate::infra::settings::ClusterConfig;
pub use crate::warehouse::redshift::CopyAuth;

use crate::config::Ini;
use crate::error::{Error, Result};

/// The file read when `--config` is not given and it exists in the working directory.
pub const DEFAULT_CONFIG: &str = "dwh.cfg";
pub use crate::source::s3::DEFAULT_REGION;
pub use crate::warehouse::redshift::DEFAULT_PORT as REDSHIFT_PORT;
/// PostgreSQL's port unless the URL names one.
pub const POSTGRES_PORT: u16 = 5432;

/// Where a value came from; `infra plan` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env(&'static str),
    Config(&'static str, &'static str),
    Default,
}

/// The raw material of every setting: the parsed `dwh.cfg` and the declared environment
/// variables, read once.
#[derive(Clone, Default)]
pub struct Settings {
    ini: Ini,
    env: BTreeMap<String, String>,
}

/// Names only: the values may be passwords or keys.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("config", &self.ini)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Environment variables that hold secrets, whether a declaration reads them or the AWS SDK.
const SECRET_ENV: [&str; 3] = ["PGPASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

impl Settings {
    /// Reads the environment variables the declarations name (and only those) and the
    /// configuration file: `--config FILE` (which must exist), else `SPARKIFY_CONFIG`, else
    /// `./dwh.cfg` when present.
    pub fn from_process(config_flag: Option<&Path>) -> Result<Settings> {
        let env: BTreeMap<String, String> = DECLS
            .iter()
            .flat_map(|d| d.env.iter())
            .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v)))
            .collect();
        let probe = Settings {
            ini: Ini::default(),
            env,
        };
        probe.register_secrets();
        let ini = match probe.lookup("config", config_flag.map(|p| p.display().to_string())) {
            Some((path, _)) => load_explicit(Path::new(&path))?,
            None if Path::new(DEFAULT_CONFIG).is_file() => Ini::load(Path::new(DEFAULT_CONFIG))?,
            None => Ini::default(),
        };
        let settings = Settings { ini, ..probe };
        settings.register_secrets();
        Ok(settings)
    }

    /// Hands every secret these settings hold to [`crate::secrets`], so no printed error
    /// can show one: `dwh.cfg`'s, the secret environment variables, and the password of every
    /// URL in the environment.
    fn register_secrets(&self) {
        for secret in self.ini.secrets() {
            crate::secrets::register(&secret);
        }
        for var in SECRET_ENV {
            if let Ok(value) = std::env::var(var) {
                crate::secrets::register(&value);
            }
        }
        for value in self.env.values() {
            for pw in crate::secrets::url_passwords(value) {
                crate::secrets::register(&pw);
            }
        }
    }

    /// Settings from a parsed file and a given environment (for tests and embedding).
    pub fn new(ini: Ini, env: &[(&str, &str)]) -> Settings {
        Settings {
            ini,
            env: env
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The configuration file that was read, if any.
    pub fn config_path(&self) -> Option<&Path> {
        self.ini.path.as_deref()
    }

    /// A warning when the file holds secrets but others may read it.
    pub fn permission_warning(&self) -> Option<String> {
        self.ini.permission_warning()
    }

    /// The value of setting `name`: `flag` when given, else its environment variables, else
    /// its `dwh.cfg` keys, in declaration order. Empty values count as unset.
    pub fn lookup(&self, name: &str, flag: Option<String>) -> Option<(String, Origin)> {
        let d = decl::decl(name);
        if let Some(v) = flag {
            return Some((v, Origin::Flag));
        }
        for var in d.env {
            if let Some(v) = self.env.get(*var).filter(|v| !v.trim().is_empty()) {
                return Some((v.clone(), Origin::Env(var)));
            }
        }
        d.ini.iter().find_map(|(section, key)| {
            self.ini
                .get(section, key)
                .map(|v| (v.trim().to_string(), Origin::Config(section, key)))
        })
    }

    /// [`Settings::lookup`] without the origin.
    pub fn get(&self, name: &str, flag: Option<String>) -> Option<String> {
        self.lookup(name, flag).map(|(v, _)| v)
    }

    /// A text setting: the flag, else the environment or `dwh.cfg`, else the declared default.
    pub fn text(&self, name: &str, flag: Option<String>) -> String {
        self.get(name, flag)
            .unwrap_or_else(|| decl::decl(name).default.unwrap_or_default().to_string())
    }

    /// A setting parsed as `T`: the flag (already typed by the parser), else the environment or
    /// `dwh.cfg` text, else the declared default. A value that does not parse is an error
    /// naming where it came from.
    pub fn parsed<T: std::str::FromStr>(&self, name: &str, flag: Option<T>) -> Result<T> {
        if let Some(v) = flag {
            return Ok(v);
        }
        let d = decl::decl(name);
        let (text, origin) = match self.lookup(name, None) {
            Some(found) => found,
            None => {
                let default = d.default.unwrap_or_default();
                (default.to_string(), Origin::Default)
            }
        };
        text.trim().parse().map_err(|_| {
            Error::usage(format!(
                "{} = {text:?} is not a valid value: {}",
                origin_name(d, origin),
                d.help
            ))
        })
    }
}

/// How a person would name where a value was set.
pub fn origin_name(d: &Decl, origin: Origin) -> String {
    match origin {
        Origin::Flag => format!("--{}", d.flag.unwrap_or(d.name)),
        Origin::Env(var) => var.to_string(),
        Origin::Config(section, key) => format!("dwh.cfg [{section}] {key}"),
        Origin::Default => format!("the default of {}", d.name),
    }
}

fn load_explicit(path: &Path) -> Result<Ini> {
    if !path.exists() {
        return Err(Error::Config {
            path: PathBuf::from(path),
            line: 0,
            message: "configuration file not found".into(),
        });
    }
    Ini::load(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ini(text: &str) -> Ini {
        Ini::parse(text).unwrap()
    }

    #[test]
    fn debug_shows_names_not_values() {
        let s = Settings::new(
            ini("[CLUSTER]\nDB_PASSWORD=Hunter2pw\n[DWH]\nWAREHOUSE=postgres://u:UrlPw99@h/d\n"),
            &[("PGPASSWORD", "EnvPw123")],
        );
        let shown = format!("{s:?}");
        assert!(
            shown.contains("db_password") && shown.contains("PGPASSWORD"),
            "{shown}"
        );
        for secret in ["Hunter2pw", "UrlPw99", "EnvPw123"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn a_missing_explicit_config_is_an_error() {
        let err = Settings::from_process(Some(Path::new("/nonexistent/dwh.cfg"))).unwrap_err();
        assert!(err.to_string().contains("not found"), "{err}");
    }

    #[test]
    fn flags_win_over_the_environment_which_wins_over_dwh_cfg() {
        let s = Settings::new(
            ini("[S3]\nSONG_DATA='s3://cfg/song_data'\nLOG_DATA=cfg/log\n"),
            &[("SPARKIFY_SONGS", "env/songs")],
        );
        assert_eq!(
            s.lookup("songs", Some("flag/songs".into())),
            Some(("flag/songs".into(), Origin::Flag))
        );
        assert_eq!(
            s.lookup("songs", None),
            Some(("env/songs".into(), Origin::Env("SPARKIFY_SONGS")))
        );
        assert_eq!(
            s.lookup("events", None),
            Some(("cfg/log".into(), Origin::Config("S3", "LOG_DATA")))
        );
        assert_eq!(s.lookup("jsonpaths", None), None);
    }

    #[test]
    fn typed_values_fall_back_to_the_declared_default_and_name_bad_input() {
        let s = Settings::new(Ini::default(), &[("SPARKIFY_MAX_ERRORS", "many")]);
        let err = s.parsed::<u64>("max_errors", None).unwrap_err();
        assert!(err.to_string().contains("SPARKIFY_MAX_ERRORS"), "{err}");
        assert_eq!(s.parsed::<u64>("max_errors", Some(7)).unwrap(), 7);
        let s = Settings::default();
        assert_eq!(s.parsed::<u64>("max_errors", None).unwrap(), 0);
        assert_eq!(s.parsed::<u16>("concurrency", None).unwrap(), 32);
        assert_eq!(s.parsed::<f64>("poll", None).unwrap(), 15.0);
    }

    #[test]
    fn every_declared_default_that_looks_like_a_value_parses() {
        // A default written as a number must be one, or `parsed` would fail at run time (a
        // memory size such as DuckDB's `500MB` is DuckDB's to read).
        for d in DECLS {
            if let Some(def) = d.default
                && def.starts_with(|c: char| c.is_ascii_digit())
                && !def.contains(' ')
                && !["KB", "MB", "GB"].iter().any(|unit| def.ends_with(unit))
            {
                assert!(def.parse::<f64>().is_ok(), "{}: {def}", d.name);
            }
        }
    }

    #[test]
    fn names_and_flags_are_unique() {
        let mut names: Vec<&str> = DECLS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate setting names");
        for d in DECLS {
            if let Some(f) = d.flag {
                let commands: &[&str] = if d.commands.is_empty() {
                    &["run"]
                } else {
                    d.commands
                };
                for c in commands {
                    assert_eq!(
                        decl::for_flag(c, f).map(|x| x.name),
                        Some(d.name),
                        "--{f} of {c}"
                    );
                }
            }
        }
    }
}
