//! Where raw JSON lives, and which files a source names.
//!
//! A source is given the way a Redshift `COPY ... FROM` names one: a folder, a file, or a key
//! *prefix*. For a local path that does not exist as written, every file or folder in its parent
//! whose name starts with it is read, exactly as `FROM 's3://bucket/log_data'` also reads
//! `log_data_old/...`. Hidden files (`.DS_Store`, Spark's `.part-0.crc`) are skipped and counted,
//! since no tool writes data into them.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One file to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// What a person sees in reports and `load_errors.file`.
    pub location: String,
    pub size: u64,
    /// A change marker (modification time for local files), recorded in the load ledger.
    pub version: Option<String>,
}

/// The files a source names, in a stable order, and what was passed over.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub files: Vec<SourceFile>,
    pub skipped: Vec<String>,
}

/// A place to read JSON from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Local(PathBuf),
    /// An `s3://bucket/prefix` URI. Redshift reads these itself; the local loader cannot yet.
    S3(String),
}

impl Source {
    /// Parses a source as given on the command line or in `dwh.cfg`.
    pub fn parse(spec: &str) -> Result<Source> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(Error::usage("an empty source path was given"));
        }
        if spec.starts_with("s3://") {
            return Ok(Source::S3(spec.to_string()));
        }
        if let Some(scheme) = spec.split_once("://").map(|(s, _)| s) {
            return Err(Error::usage(format!(
                "{spec}: {scheme}:// sources are not supported; use a local path or s3://"
            )));
        }
        Ok(Source::Local(PathBuf::from(spec)))
    }

    /// Lists the files this source names, like COPY's prefix match.
    pub fn list(&self) -> Result<Listing> {
        match self {
            Source::Local(path) => list_local(path),
            Source::S3(uri) => Err(s3_not_readable(uri)),
        }
    }

    /// Reads one listed file whole.
    pub fn read(&self, file: &SourceFile) -> Result<Vec<u8>> {
        match self {
            Source::Local(_) => std::fs::read(&file.location).map_err(|e| Error::Source {
                path: file.location.clone(),
                message: format!("cannot read file: {e}"),
            }),
            Source::S3(uri) => Err(s3_not_readable(uri)),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Local(p) => write!(f, "{}", p.display()),
            Source::S3(uri) => write!(f, "{uri}"),
        }
    }
}

fn s3_not_readable(uri: &str) -> Error {
    Error::Source {
        path: uri.to_string(),
        message: format!(
            "this build loads s3:// sources only into Redshift (which reads S3 itself); for the \
             embedded or PostgreSQL warehouse copy the files first (`aws s3 sync {uri} ./data`) \
             and pass the folder"
        ),
    }
}

fn source_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Source {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn list_local(path: &Path) -> Result<Listing> {
    let mut listing = Listing::default();
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => walk(path, &mut listing)?,
        Ok(_) => push_file(path, &mut listing)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            list_prefix(path, &mut listing)?;
        }
        Err(e) => return Err(source_error(path, format!("cannot open: {e}"))),
    }
    listing.files.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(listing)
}

/// COPY's prefix rule for a path that does not exist as written.
fn list_prefix(path: &Path, listing: &mut Listing) -> Result<()> {
    let prefix = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| source_error(path, "no such file or folder"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let entries = std::fs::read_dir(&parent).map_err(|e| {
        source_error(
            path,
            format!(
                "no such file or folder (and its folder {} cannot be read: {e})",
                parent.display()
            ),
        )
    })?;
    let mut matched = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| source_error(&parent, format!("cannot list: {e}")))?;
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            matched.push(entry.path());
        }
    }
    if matched.is_empty() {
        return Err(source_error(
            path,
            "no such file or folder, and nothing in its folder starts with that name",
        ));
    }
    matched.sort();
    for m in matched {
        if m.is_dir() {
            walk(&m, listing)?;
        } else {
            push_file(&m, listing)?;
        }
    }
    Ok(())
}

fn walk(dir: &Path, listing: &mut Listing) -> Result<()> {
    let mut entries = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = entries.next() {
        let entry = entry.map_err(|e| {
            let at = e.path().unwrap_or(dir).to_path_buf();
            source_error(&at, format!("cannot list: {e}"))
        })?;
        if entry.depth() > 0 && is_hidden(entry.file_name()) {
            listing.skipped.push(entry.path().display().to_string());
            if entry.file_type().is_dir() {
                entries.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_file() {
            push_file(entry.path(), listing)?;
        }
    }
    Ok(())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn push_file(path: &Path, listing: &mut Listing) -> Result<()> {
    let meta =
        std::fs::metadata(path).map_err(|e| source_error(path, format!("cannot open: {e}")))?;
    let version = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("mtime:{}.{:09}", d.as_secs(), d.subsec_nanos()));
    listing.files.push(SourceFile {
        location: path.display().to_string(),
        size: meta.len(),
        version,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"{}").unwrap();
    }

    fn names(listing: &Listing, root: &Path) -> Vec<String> {
        listing
            .files
            .iter()
            .map(|f| {
                Path::new(&f.location)
                    .strip_prefix(root)
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn a_folder_lists_all_files_below_it_sorted_and_skips_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("log_data/2018/11/b.json"));
        touch(&root.join("log_data/2018/11/a.json"));
        touch(&root.join("log_data/.DS_Store"));
        touch(&root.join("log_data/2018/.part-0.crc"));
        let listing = Source::Local(root.join("log_data")).list().unwrap();
        assert_eq!(
            names(&listing, root),
            vec!["log_data/2018/11/a.json", "log_data/2018/11/b.json"]
        );
        assert_eq!(listing.skipped.len(), 2);
    }

    #[test]
    fn a_missing_path_is_a_prefix_as_in_copy() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("log_data/x.json"));
        touch(&root.join("log_data_old/y.json"));
        touch(&root.join("log_data.bak"));
        touch(&root.join("other/z.json"));
        let listing = Source::Local(root.join("log_data")).list().unwrap();
        // `log_data` exists, so it is a folder: only its own files.
        assert_eq!(names(&listing, root), vec!["log_data/x.json"]);
        let listing = Source::Local(root.join("log_")).list().unwrap();
        assert_eq!(
            names(&listing, root),
            vec!["log_data.bak", "log_data/x.json", "log_data_old/y.json"]
        );
    }

    #[test]
    fn nothing_matching_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Source::Local(dir.path().join("nope")).list().unwrap_err();
        assert!(err.to_string().contains("no such file or folder"), "{err}");
        let err = Source::Local(dir.path().join("missing/deeper"))
            .list()
            .unwrap_err();
        assert!(err.to_string().contains("cannot be read"), "{err}");
    }

    #[test]
    fn s3_sources_parse_but_are_not_read_locally() {
        let s3 = Source::parse("s3://udacity-dend/log_data").unwrap();
        assert_eq!(s3, Source::S3("s3://udacity-dend/log_data".into()));
        let err = s3.list().unwrap_err();
        assert!(err.to_string().contains("aws s3 sync"), "{err}");
        let err = Source::parse("ftp://x/y").unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");
    }

    #[test]
    fn reading_a_folder_as_a_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let source = Source::Local(dir.path().to_path_buf());
        let fake = SourceFile {
            location: dir.path().display().to_string(),
            size: 0,
            version: None,
        };
        let err = source.read(&fake).unwrap_err();
        assert!(err.to_string().contains("cannot read file"), "{err}");
    }
}
