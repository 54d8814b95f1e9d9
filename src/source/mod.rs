//! Where raw JSON lives, and which files a source names.
//!
//! A source is given the way a Redshift `COPY ... FROM` names one: a folder, a file, or a key
//! *prefix*. For a local path that does not exist as written, every file or folder in its parent
//! whose name starts with it is read, exactly as `FROM 's3://bucket/log_data'` also reads
//! `log_data_old/...`. Hidden files (`.DS_Store`, Spark's `.part-0.crc`) are skipped and counted,
//! since no tool writes data into them.
//!
//! A source whose name ends in `.manifest` is a Redshift-style manifest
//! (`{"entries": [{"url": "s3://...", "mandatory": true}]}`): exactly the files it lists are
//! read; a missing mandatory entry is an error, a missing optional one is passed over and
//! reported.

pub mod regions;
pub mod s3;

use std::io::Read;
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

/// One file as it was read: its bytes, and the size and version of *those* bytes (not of the
/// listing, which may be older), for the load ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The listed file's location, with the size and version of what was read.
    pub file: SourceFile,
}

/// One file opened for reading as a stream, with the size and version of what is being read
/// (the loader replaces the size with the bytes it read).
pub struct Opened {
    pub reader: Box<dyn std::io::Read>,
    /// The listed file's location, with the size and version of what is being read.
    pub file: SourceFile,
}

/// The files a source names, in a stable order, and what was passed over.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub files: Vec<SourceFile>,
    /// Hidden files passed over.
    pub skipped: Vec<String>,
    /// Optional manifest entries that do not exist.
    pub missing: Vec<String>,
}

/// A place to read JSON from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Local(PathBuf),
    /// An `s3://bucket/prefix` URI.
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
        if self.is_manifest() {
            return self.list_manifest();
        }
        match self {
            Source::Local(path) => list_local(path),
            Source::S3(uri) => s3::list(uri),
        }
    }

    /// Whether this source is a manifest naming the files to read.
    pub fn is_manifest(&self) -> bool {
        self.to_string().ends_with(".manifest")
    }

    /// Whether reading is dominated by request latency (many requests may be in flight).
    pub fn is_remote(&self) -> bool {
        matches!(self, Source::S3(_))
    }

    /// Reads one listed file whole (a local path or an `s3://` object: a manifest may mix them),
    /// with the size and version of the bytes read: the file may have changed since it was
    /// listed, and the ledger must describe what was loaded. For small files (JSONPaths); data
    /// is read with [`Source::open`].
    pub fn read(&self, file: &SourceFile) -> Result<Fetched> {
        let Opened { mut reader, file } = self.open(file)?;
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| Error::unreadable(&file.location, &e))?;
        Ok(Fetched {
            file: SourceFile {
                size: bytes.len() as u64,
                ..file
            },
            bytes,
        })
    }

    /// Opens one listed file as a stream (see [`Source::read`] for which size and version it
    /// reports): a file of any size is read a piece at a time, never held whole.
    pub fn open(&self, file: &SourceFile) -> Result<Opened> {
        if file.location.starts_with("s3://") {
            return s3::open_listed(file);
        }
        open_local(&file.location)
    }

    /// Lists the files this source names as a manifest, whatever its name ends in (COPY's
    /// `MANIFEST` keyword says so, not the name).
    pub fn list_as_manifest(&self) -> Result<Listing> {
        self.list_manifest()
    }

    fn list_manifest(&self) -> Result<Listing> {
        let name = self.to_string();
        let bad = |message: String| Error::Source {
            path: name.clone(),
            message,
        };
        let bytes = read_location(&name)?;
        let manifest: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("not a valid manifest (JSON): {e}")))?;
        let entries = manifest
            .get("entries")
            .and_then(|e| e.as_array())
            .ok_or_else(|| bad("a manifest needs an \"entries\" array".into()))?;
        let mut listing = Listing::default();
        let mut seen = std::collections::HashSet::new();
        for (i, entry) in entries.iter().enumerate() {
            let url = entry
                .get("url")
                .and_then(|u| u.as_str())
                .ok_or_else(|| bad(format!("entry {} has no \"url\" string", i + 1)))?;
            let mandatory = match entry.get("mandatory") {
                None | Some(serde_json::Value::Null) => false,
                Some(serde_json::Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(bad(format!(
                        "entry {}: \"mandatory\" must be true or false, not {other}",
                        i + 1
                    )));
                }
            };
            let location = match (self, url.starts_with("s3://")) {
                (_, true) => url.to_string(),
                // A local manifest's relative entries are relative to the manifest.
                (Source::Local(path), false) => path
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join(url)
                    .display()
                    .to_string(),
                (Source::S3(_), false) => {
                    return Err(bad(format!("entry {}: {url} is not an s3:// URL", i + 1)));
                }
            };
            if !seen.insert(location.clone()) {
                continue;
            }
            let found = if location.starts_with("s3://") {
                s3::head(&location)?
            } else {
                match std::fs::metadata(&location) {
                    Ok(m) if m.is_file() => {
                        push_file(Path::new(&location), &mut listing)?;
                        continue;
                    }
                    _ => None,
                }
            };
            match found {
                Some(file) => listing.files.push(file),
                None if mandatory => {
                    return Err(bad(format!(
                        "mandatory entry {location} does not exist; nothing was loaded"
                    )));
                }
                None => listing.missing.push(location),
            }
        }
        Ok(listing)
    }
}

fn read_location(location: &str) -> Result<Vec<u8>> {
    if location.starts_with("s3://") {
        return s3::read(location);
    }
    std::fs::read(location).map_err(|e| Error::unreadable(location, &e))
}

/// Opens a local file, taking its size and modification time from the opened handle (not from
/// the path, which another file may take meanwhile). The metadata is taken before reading: a
/// file written while it is read then looks changed to the next run, never unchanged.
fn open_local(location: &str) -> Result<Opened> {
    let failed = |e: std::io::Error| Error::unreadable(location, &e);
    let handle = std::fs::File::open(location).map_err(failed)?;
    let meta = handle.metadata().map_err(failed)?;
    Ok(Opened {
        file: SourceFile {
            location: location.to_string(),
            size: meta.len(),
            version: mtime_version(&meta),
        },
        reader: Box::new(handle),
    })
}

/// The ledger's version of a local file: its modification time.
fn mtime_version(meta: &std::fs::Metadata) -> Option<String> {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("mtime:{}.{:09}", d.as_secs(), d.subsec_nanos()))
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Local(p) => write!(f, "{}", p.display()),
            Source::S3(uri) => write!(f, "{uri}"),
        }
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
    listing.files.push(SourceFile {
        location: path.display().to_string(),
        size: meta.len(),
        version: mtime_version(&meta),
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
    fn s3_uris_and_unknown_schemes() {
        let s3 = Source::parse("s3://udacity-dend/log_data").unwrap();
        assert_eq!(s3, Source::S3("s3://udacity-dend/log_data".into()));
        assert!(s3.is_remote());
        let err = Source::parse("ftp://x/y").unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");
    }

    #[test]
    fn a_local_manifest_lists_exactly_its_entries() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("data/a.json"));
        touch(&root.join("data/b.json"));
        touch(&root.join("data/c.json"));
        let manifest = root.join("load.manifest");
        std::fs::write(
            &manifest,
            r#"{"entries": [
                {"url": "data/b.json", "mandatory": true},
                {"url": "data/a.json"},
                {"url": "data/a.json"},
                {"url": "data/gone.json", "mandatory": false}
            ]}"#,
        )
        .unwrap();
        let listing = Source::Local(manifest.clone()).list().unwrap();
        assert_eq!(names(&listing, root), vec!["data/b.json", "data/a.json"]);
        assert_eq!(listing.missing.len(), 1);
        assert!(listing.missing[0].ends_with("data/gone.json"));

        std::fs::write(
            &manifest,
            r#"{"entries": [{"url": "data/gone.json", "mandatory": true}]}"#,
        )
        .unwrap();
        let err = Source::Local(manifest.clone()).list().unwrap_err();
        assert!(err.to_string().contains("mandatory entry"), "{err}");
        std::fs::write(&manifest, r#"{"files": []}"#).unwrap();
        let err = Source::Local(manifest).list().unwrap_err();
        assert!(err.to_string().contains("\"entries\""), "{err}");
    }

    #[test]
    fn a_read_reports_the_size_and_mtime_of_what_it_read_not_of_the_listing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(&path, b"{}").unwrap();
        let source = Source::Local(path.clone());
        let listed = source.list().unwrap().files.remove(0);
        assert_eq!(listed.size, 2);
        // Replaced between the listing and the read, by a longer file with another mtime.
        std::fs::write(&path, b"{}\n{}\n").unwrap();
        let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let fetched = source.read(&listed).unwrap();
        assert_eq!(fetched.bytes, b"{}\n{}\n");
        assert_eq!(fetched.file.location, listed.location);
        assert_eq!(fetched.file.size, 6);
        assert_eq!(
            fetched.file.version.as_deref(),
            Some("mtime:1000000.000000000")
        );
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
