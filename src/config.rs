//! The `dwh.cfg` file: parsing it and writing values back into it. What its keys mean is
//! declared in [`crate::settings`], the only reader.
//!
//! `dwh.cfg` is the seed project's INI file, read the way Python's `configparser` reads it:
//! `[SECTION]` headers, `KEY = VALUE` or `KEY: VALUE`, `#` and `;` comment lines, keys
//! case-insensitive, and `[DEFAULT]` values visible from every section. Values may be quoted
//! (`LOG_DATA='s3://udacity-dend/log_data'`, as in the seed); the quotes are not part of the
//! value. The parsed file keeps every line, so a later write-back can preserve comments.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

mod write;
pub use write::{GENERATED_MARK, Written, clear_written, ensure_value, update_file};

/// A parsed INI file.
#[derive(Clone, Default)]
pub struct Ini {
    pub path: Option<PathBuf>,
    sections: Vec<Section>,
}

#[derive(Clone)]
struct Section {
    name: String,
    entries: Vec<(String, String)>,
}

/// Sections and keys only: values may be passwords or keys.
impl std::fmt::Debug for Ini {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sections = f.debug_map();
        for s in &self.sections {
            let keys: Vec<&str> = s.entries.iter().map(|(k, _)| k.as_str()).collect();
            sections.entry(&s.name, &keys);
        }
        sections.finish()?;
        if let Some(path) = &self.path {
            write!(f, " from {}", path.display())?;
        }
        Ok(())
    }
}

impl Ini {
    /// Reads and parses a file, with errors that name the file and line.
    pub fn load(path: &Path) -> Result<Ini> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            line: 0,
            message: format!("cannot read configuration: {e}"),
        })?;
        let mut ini = Ini::parse(&text).map_err(|(line, message)| Error::Config {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        ini.path = Some(path.to_path_buf());
        Ok(ini)
    }

    /// Parses INI text; an error is `(line, message)`.
    pub fn parse(text: &str) -> std::result::Result<Ini, (usize, String)> {
        let mut ini = Ini::default();
        let mut last_key: Option<(usize, usize)> = None;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            // An indented line continues the previous value, as in configparser.
            if raw.starts_with([' ', '\t'])
                && let Some((s, e)) = last_key
            {
                let value = &mut ini.sections[s].entries[e].1;
                value.push('\n');
                value.push_str(trimmed);
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let name = rest
                    .strip_suffix(']')
                    .ok_or_else(|| {
                        (
                            line_no,
                            format!("section header {trimmed:?} has no closing ']'"),
                        )
                    })?
                    .trim();
                if name.is_empty() {
                    return Err((line_no, "empty section name '[]'".into()));
                }
                if ini.find_section(name).is_some() {
                    return Err((line_no, format!("section [{name}] appears twice")));
                }
                ini.sections.push(Section {
                    name: name.to_string(),
                    entries: Vec::new(),
                });
                last_key = None;
                continue;
            }
            // Errors name the key at most, never the line: it may be `DB_PASSWORD hunter2`.
            let split = trimmed.find(['=', ':']).ok_or_else(|| {
                let found = match trimmed.split_once(char::is_whitespace) {
                    Some((key, _)) => format!("{key:?} and a value"),
                    None => "a single word".to_string(),
                };
                (
                    line_no,
                    format!("expected KEY = VALUE, found {found} without '=' or ':'"),
                )
            })?;
            let key = trimmed[..split].trim().to_ascii_lowercase();
            if key.is_empty() {
                return Err((
                    line_no,
                    "a value without a key before its '=' or ':'".into(),
                ));
            }
            let value = unquote(trimmed[split + 1..].trim()).to_string();
            let s = ini.sections.len().checked_sub(1).ok_or_else(|| {
                (
                    line_no,
                    format!("{key:?} appears before any [SECTION] header"),
                )
            })?;
            let entries = &mut ini.sections[s].entries;
            match entries.iter().position(|(k, _)| *k == key) {
                Some(e) => {
                    entries[e].1 = value;
                    last_key = Some((s, e));
                }
                None => {
                    entries.push((key, value));
                    last_key = Some((s, entries.len() - 1));
                }
            }
        }
        Ok(ini)
    }

    fn find_section(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// Whether the file has a `[name]` section (case-insensitive).
    pub fn has_section(&self, name: &str) -> bool {
        self.find_section(name).is_some()
    }

    /// A value, looked up in `section` and then in `[DEFAULT]`; empty values count as unset.
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        [section, "DEFAULT"]
            .iter()
            .filter_map(|s| self.find_section(s))
            .find_map(|s| s.entries.iter().find(|(k, _)| *k == key))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Keys whose values are secrets, by section.
const SECRET_KEYS: &[(&str, &str)] = &[
    ("CLUSTER", "DB_PASSWORD"),
    ("DWH", "DWH_DB_PASSWORD"),
    ("AWS", "KEY"),
    ("AWS", "SECRET"),
    ("AWS", "AWS_SECRET_ACCESS_KEY"),
];

impl Ini {
    /// The secret values this file holds, so that they can be kept out of every output: the
    /// [`SECRET_KEYS`], and the password of any connection URL (`[DWH] WAREHOUSE`).
    pub fn secrets(&self) -> Vec<String> {
        let keyed = SECRET_KEYS
            .iter()
            .filter_map(|(s, k)| self.get(s, k))
            .map(str::to_string);
        let in_urls = self
            .sections
            .iter()
            .flat_map(|s| &s.entries)
            .filter(|(_, v)| v.contains("://"))
            .flat_map(|(_, v)| crate::secrets::url_passwords(v));
        keyed.chain(in_urls).collect()
    }

    /// A warning when the file holds secrets but others may read it (mode wider than 0600).
    pub fn permission_warning(&self) -> Option<String> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path.as_ref()?;
        if self.secrets().is_empty() {
            return None;
        }
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} holds passwords or keys but is readable by others (mode {mode:04o}); \
                 run `chmod 600 {}`",
                path.display(),
                path.display()
            )
        })
    }
}

fn unquote(value: &str) -> &str {
    for q in ['\'', '"'] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "\
[CLUSTER]
HOST=''
DB_NAME=''
DB_PORT='5439'

[IAM_ROLE]
ARN=

[S3]
LOG_DATA='s3://udacity-dend/log_data'
LOG_JSONPATH='s3://udacity-dend/log_json_path.json'
SONG_DATA='s3://udacity-dend/song_data'
";

    #[test]
    fn reads_the_seed_file_with_quoted_values() {
        let ini = Ini::parse(SEED).unwrap();
        assert_eq!(
            ini.get("S3", "LOG_DATA"),
            Some("s3://udacity-dend/log_data")
        );
        assert_eq!(
            ini.get("s3", "song_data"),
            Some("s3://udacity-dend/song_data")
        );
        assert_eq!(ini.get("CLUSTER", "DB_PORT"), Some("5439"));
        // `''` and an empty value both mean "not set".
        assert_eq!(ini.get("CLUSTER", "HOST"), None);
        assert_eq!(ini.get("IAM_ROLE", "ARN"), None);
    }

    #[test]
    fn default_section_comments_colons_and_continuations() {
        let ini = Ini::parse(
            "# comment\n[DEFAULT]\nREGION = us-west-2\n; another\n[DWH]\nDWH_DB: dwh\nNOTE = one\n  two\n",
        )
        .unwrap();
        assert_eq!(ini.get("DWH", "REGION"), Some("us-west-2"));
        assert_eq!(ini.get("DWH", "dwh_db"), Some("dwh"));
        assert_eq!(ini.get("DWH", "NOTE"), Some("one\ntwo"));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, needle) in [
            ("[S3\nA=1\n", 1, "closing ']'"),
            ("A=1\n", 1, "before any [SECTION]"),
            ("[S3]\njust words\n", 2, "expected KEY = VALUE"),
            ("[S3]\n=1\n", 2, "without a key"),
            ("[S3]\n[S3]\n", 2, "appears twice"),
            (
                "[CLUSTER]\nDB_PASSWORD hunter2\n",
                2,
                "\"DB_PASSWORD\" and a value",
            ),
            ("[CLUSTER]\nhunter2\n", 2, "a single word"),
            ("[CLUSTER]\n=hunter2\n", 2, "without a key"),
        ] {
            let (l, msg) = Ini::parse(text).unwrap_err();
            assert_eq!(l, line, "{text}");
            assert!(msg.contains(needle), "{text}: {msg}");
            assert!(!msg.contains("hunter2"), "{text}: {msg}");
        }
    }

    #[test]
    fn secrets_in_a_world_readable_file_are_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dwh.cfg");
        std::fs::write(
            &path,
            "[CLUSTER]\nDB_PASSWORD=hunter2\n[AWS]\nSECRET='abc'\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let ini = Ini::load(&path).unwrap();
        assert_eq!(ini.secrets(), vec!["hunter2", "abc"]);
        assert!(!format!("{ini:?}").contains("hunter2"), "{ini:?}");
        let warning = ini.permission_warning().unwrap();
        assert!(
            warning.contains("mode 0644") && warning.contains("chmod 600"),
            "{warning}"
        );
        assert!(!warning.contains("hunter2"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(Ini::load(&path).unwrap().permission_warning(), None);
        // A password in a warehouse URL is a secret too.
        std::fs::write(&path, "[DWH]\nWAREHOUSE=postgres://u:hunter2@h/db\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let ini = Ini::load(&path).unwrap();
        assert_eq!(ini.secrets(), vec!["hunter2"]);
        assert!(ini.permission_warning().is_some());
        std::fs::write(&path, "[S3]\nLOG_DATA=x\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(Ini::load(&path).unwrap().permission_warning(), None);
    }

    #[test]
    fn update_file_keeps_comments_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dwh.cfg");
        std::fs::write(
            &path,
            "# my cluster\n[CLUSTER]\nHOST = old.example\n; keep me\nDB_NAME='sparkify'\n\n[S3]\nLOG_DATA='s3://b/log_data'\n",
        )
        .unwrap();
        update_file(
            &path,
            &[
                ("CLUSTER", "HOST", "new.example"),
                ("cluster", "DB_PASSWORD", "pw"),
                ("IAM_ROLE", "ARN", "arn:aws:iam::1:role/r"),
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "# my cluster\n[CLUSTER]\nHOST = new.example\n; keep me\nDB_NAME='sparkify'\nDB_PASSWORD=pw\n\n[S3]\nLOG_DATA='s3://b/log_data'\n\n[IAM_ROLE]\nARN=arn:aws:iam::1:role/r\n"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let ini = Ini::load(&path).unwrap();
        assert_eq!(ini.get("CLUSTER", "HOST"), Some("new.example"));
    }
}
