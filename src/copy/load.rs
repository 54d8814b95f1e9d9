//! The parallel load driver: reads files on worker threads, converts them to rows, and hands
//! bounded batches to one writer (the warehouse), which is the only thread that touches the
//! database. Files are read as streams, so memory stays bounded by `threads × (one record's
//! buffer + one batch)` plus the channel, whatever the files' sizes.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use super::compressed::{self, DecompressError};
use super::convert::ReplaceInvalid;
use super::errors::ErrorCollector;
use super::reader::{self, Item};
use super::{Conversion, Converter, Fatal, FieldError, JsonFormat, Record};
use crate::error::{Error, Result};
use crate::schema::TableSpec;
use crate::source::{Opened, SourceFile};
use crate::value::Row;

/// Knobs of one load, mirroring the COPY options they stand for.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `MAXERROR`: how many rows may be rejected before the whole load fails.
    pub max_errors: u64,
    /// Undo double-encoded UTF-8 in text columns (see [`super::mojibake`]).
    pub repair_mojibake: bool,
    /// Parser threads; 0 means one per CPU, or `remote_concurrency` for S3 sources.
    pub threads: usize,
    /// Files read at once from a remote source (S3), where latency, not CPU, dominates.
    pub remote_concurrency: usize,
    /// Rows per batch handed to the writer.
    pub batch_rows: usize,
    /// The COPY's data-conversion options (TIMEFORMAT, TRUNCATECOLUMNS, ...).
    pub conversion: Conversion,
    /// Which data files are compressed: by their names (the pipeline), or every file as
    /// COPY's GZIP, ZSTD or BZIP2 says.
    pub compression: compressed::Rule,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_errors: 0,
            repair_mojibake: false,
            threads: 0,
            remote_concurrency: 32,
            batch_rows: 4096,
            conversion: Conversion::default(),
            compression: compressed::Rule::ByName,
        }
    }
}

/// Text per batch after which a batch goes to the writer with fewer than `batch_rows` rows. A
/// record may be 4 MB, so 4,096 of them could make a batch of 16 GB, with two per parser thread
/// in flight; typical rows hold a few hundred bytes of text (about 1 MB a batch), which never
/// reach it.
pub const BATCH_TEXT: usize = 16 << 20;

/// The bytes of text in `row`: what a batch's size is counted in (numbers are a few bytes).
pub fn text_bytes(row: &Row) -> usize {
    row.iter()
        .map(|value| match value {
            crate::value::Value::Text(text) => text.len(),
            _ => 0,
        })
        .sum()
}

/// One rejected row, with what STL_LOAD_ERRORS would show.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub line: u64,
    pub column_name: Option<String>,
    pub column_type: Option<String>,
    pub raw_value: Option<String>,
    pub raw_line: String,
    pub reason: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(col) = &self.column_name {
            write!(f, " column {col}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    pub size: u64,
    pub version: Option<String>,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_rejected: u64,
}

impl FileReport {
    /// A file as listed, before any row of it is read.
    pub fn unread(file: &SourceFile) -> FileReport {
        FileReport {
            file: file.location.clone(),
            size: file.size,
            version: file.version.clone(),
            rows_read: 0,
            rows_loaded: 0,
            rows_rejected: 0,
        }
    }
}

/// The outcome of loading a set of files into one table.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub files: Vec<FileReport>,
    /// The rejected rows, at most `max_errors + 1` of them (see [`ErrorCollector`]).
    pub errors: Vec<LoadError>,
    /// Rows rejected after `errors` was full: counted, not kept.
    pub errors_not_kept: u64,
    /// More rows were rejected than `max_errors` allows: reading stopped early and the rows
    /// handed to the sink must be discarded. `errors` still says why, as STL_LOAD_ERRORS does
    /// for a failed COPY.
    pub exceeded_max_errors: bool,
    /// Values TRUNCATECOLUMNS cut to fit their column.
    pub truncated: u64,
    /// Bytes of invalid UTF-8 ACCEPTINVCHARS replaced, and on how many lines.
    pub replaced: u64,
    pub replaced_lines: u64,
}

impl LoadReport {
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows_read).sum()
    }
    pub fn rows_loaded(&self) -> u64 {
        self.files.iter().map(|f| f.rows_loaded).sum()
    }
    pub fn rows_rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rows_rejected).sum()
    }
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
    /// Every rejected row found, kept in `errors` or only counted.
    pub fn errors_found(&self) -> u64 {
        self.errors.len() as u64 + self.errors_not_kept
    }
}

/// Where converted rows go; implemented by each warehouse's bulk path.
pub trait RowSink {
    fn append(&mut self, rows: Vec<Row>) -> Result<()>;

    /// Pushes out anything buffered; errors surface here rather than at drop.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Reads and parses one file, handing `emit` each good row or rejected row in file order. The
/// report's size is that of the bytes read from the source (compressed, for a compressed
/// file); a failed read is an error, not a row. Everything is streamed: the source, the
/// decompression (as the converter's [`compressed::Rule`] says) and the ACCEPTINVCHARS repair
/// are `Read` adapters, one over the other, so no file is held whole, compressed or not. A file
/// that cannot be decompressed fails the load, naming the file.
pub fn parse_file(
    input: &mut dyn std::io::Read,
    file: &SourceFile,
    table: &TableSpec,
    converter: &Converter<'_>,
    emit: impl FnMut(std::result::Result<Row, LoadError>),
) -> Result<FileReport> {
    parse_file_into(input, file, table, converter, &mut Emit(emit))
}

/// Where [`parse_file_into`] puts each record of a file: converted into the next row, or
/// rejected.
pub trait Target {
    /// Converts one record (`raw` its text) into the next row with `converter`
    /// ([`Converter::record_into`]); on an error, no part of the row may remain.
    fn row(
        &mut self,
        converter: &Converter<'_>,
        record: Record,
        raw: &[u8],
    ) -> std::result::Result<(), FieldError>;

    fn reject(&mut self, error: LoadError);
}

/// [`parse_file`]'s target: each row built as a [`Row`] and handed over.
struct Emit<F>(F);

impl<F: FnMut(std::result::Result<Row, LoadError>)> Target for Emit<F> {
    fn row(
        &mut self,
        converter: &Converter<'_>,
        record: Record,
        raw: &[u8],
    ) -> std::result::Result<(), FieldError> {
        (self.0)(Ok(converter.record_row(record, raw)?));
        Ok(())
    }

    fn reject(&mut self, error: LoadError) {
        (self.0)(Err(error));
    }
}

/// [`parse_file`] into any [`Target`].
pub fn parse_file_into(
    input: &mut dyn std::io::Read,
    file: &SourceFile,
    table: &TableSpec,
    converter: &Converter<'_>,
    target: &mut impl Target,
) -> Result<FileReport> {
    let (counting, source) = compressed::Counting::new(input);
    let mut stream: Box<dyn std::io::Read + '_> = Box::new(counting);
    let rule = converter.compression();
    if let Some(compression) = rule.of(&file.location) {
        stream = compressed::decoder(stream, compression, rule, source.clone());
    }
    if let Some(with) = converter.replacement() {
        stream = Box::new(ReplaceInvalid::new(stream, with, &converter.tally));
    }
    let report = parse_stream(stream.as_mut(), file, table, converter, target).map_err(|e| {
        match DecompressError::in_error(&e) {
            Some(message) => Error::Source {
                path: file.location.clone(),
                message: message.to_string(),
            },
            None => Error::unreadable(&file.location, &e),
        }
    })?;
    Ok(FileReport {
        size: source.bytes.get(),
        ..report
    })
}

/// [`parse_file`] of the text stream, a record at a time; an `Err` is a failed read.
fn parse_stream(
    input: &mut dyn std::io::Read,
    file: &SourceFile,
    table: &TableSpec,
    converter: &Converter<'_>,
    target: &mut impl Target,
) -> std::io::Result<FileReport> {
    let mut report = FileReport::unread(file);
    // Objects are parsed into the converter's columns, not into hash maps (copy::record).
    let mut items = reader::items_planned(input, converter.plan());
    while let Some(item) = items.next_item()? {
        report.rows_read += 1;
        let rejected = match item {
            Item::Value { value, line, raw } => match target.row(converter, value, raw) {
                Ok(()) => None,
                Err(field) => {
                    let column = table.columns.get(field.column);
                    Some(LoadError {
                        file: file.location.clone(),
                        line,
                        column_name: column.map(|c| c.name.clone()),
                        column_type: column.map(|c| c.ty.sql_name()),
                        raw_value: Some(field.raw_value),
                        raw_line: reader::clip(raw),
                        reason: field.reason,
                    })
                }
            },
            Item::Malformed {
                line,
                reason,
                raw_line,
            } => Some(LoadError {
                file: file.location.clone(),
                line,
                column_name: None,
                column_type: None,
                raw_value: None,
                raw_line,
                reason,
            }),
        };
        match rejected {
            Some(e) => {
                report.rows_rejected += 1;
                target.reject(e);
            }
            None => report.rows_loaded += 1,
        }
    }
    Ok(report)
}

/// How many threads parse `files` files: `requested`, or one per CPU when it is 0, and never
/// more than there are files (but at least one).
pub fn parser_threads(requested: usize, files: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    }
    .min(files.max(1))
}

enum Msg {
    Batch(Vec<Row>, Vec<LoadError>),
    Done(FileReport),
    Failed(Error),
}

/// Loads `files` into `sink` with COPY semantics. Every file read has a report and every
/// rejected row an error. When the report says `exceeded_max_errors`, or on `Err`, the caller
/// must discard what the sink received (the warehouses roll back their transaction).
pub fn load(
    table: &TableSpec,
    format: &JsonFormat,
    files: &[SourceFile],
    open: &(dyn Fn(&SourceFile) -> Result<Opened> + Sync),
    options: &LoadOptions,
    sink: &mut dyn RowSink,
    on_file: &mut dyn FnMut(&FileReport),
) -> Result<LoadReport> {
    let converter = Converter::with_conversion(
        table,
        format,
        options.repair_mojibake,
        options.conversion.clone(),
    )
    .map_err(|message| Error::JsonPaths {
        path: format!("for {}", table.name),
        message,
    })?
    .with_compression(options.compression);
    let threads = parser_threads(options.threads, files.len());
    let batch_rows = options.batch_rows.max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Msg>(threads * 2);

    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop, converter) = (&next, &stop, &converter);
            scope.spawn(move || worker(table, files, open, converter, batch_rows, next, stop, &tx));
        }
        drop(tx);

        let mut report = LoadReport::default();
        let mut errors = ErrorCollector::new(options.max_errors);
        let mut failure: Option<Error> = None;
        // Keep receiving until every worker has hung up, even after a failure, so no worker
        // stays blocked on a full channel.
        for msg in rx {
            if failure.is_some() {
                continue;
            }
            if report.exceeded_max_errors {
                // Count the rejected rows of the files still being read; discard the rest.
                if let Msg::Batch(_, rejected) = msg {
                    errors.extend(rejected);
                }
                continue;
            }
            if crate::interrupt::requested() {
                failure = Some(Error::Interrupted);
                stop.store(true, Ordering::Relaxed);
                continue;
            }
            match msg {
                Msg::Batch(rows, rejected) => {
                    errors.extend(rejected);
                    if errors.exceeded() {
                        report.exceeded_max_errors = true;
                        stop.store(true, Ordering::Relaxed);
                    } else if !rows.is_empty()
                        && let Err(e) = sink.append(rows)
                    {
                        failure = Some(e);
                    }
                }
                Msg::Done(file) => {
                    on_file(&file);
                    report.files.push(file);
                }
                Msg::Failed(e) => failure = Some(e),
            }
            if failure.is_some() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        (report.errors, report.errors_not_kept) = errors.into_parts();
        // Not a row error: the COPY fails whole, whatever MAXERROR says.
        if let (None, Some(Fatal::JsonPath(message))) = (&failure, converter.fatal()) {
            let at = report
                .errors
                .iter()
                .find(|e| message.starts_with(&e.reason))
                .map(|e| format!(" at {}:{}", e.file, e.line))
                .unwrap_or_default();
            failure = Some(Error::JsonPaths {
                path: format!("for {}", table.name),
                message: format!("{message}{at}; nothing was loaded"),
            });
        }
        match failure {
            Some(e) => Err(e),
            None => {
                // Files finish in any order; report them in listing order.
                report.files.sort_by(|a, b| a.file.cmp(&b.file));
                report.truncated = converter.tally.truncated.load(Ordering::Relaxed);
                report.replaced = converter.tally.replaced.load(Ordering::Relaxed);
                report.replaced_lines = converter.tally.replaced_lines.load(Ordering::Relaxed);
                Ok(report)
            }
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn worker(
    table: &TableSpec,
    files: &[SourceFile],
    open: &(dyn Fn(&SourceFile) -> Result<Opened> + Sync),
    converter: &Converter<'_>,
    batch_rows: usize,
    next: &AtomicUsize,
    stop: &AtomicBool,
    tx: &mpsc::SyncSender<Msg>,
) {
    loop {
        if stop.load(Ordering::Relaxed) || crate::interrupt::requested() {
            return;
        }
        let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) else {
            return;
        };
        // The report (and so the ledger) describes what was read, which may differ from the
        // listing when the file changed in between.
        let Opened { mut reader, file } = match open(file) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.send(Msg::Failed(e));
                return;
            }
        };
        let mut rows = Vec::with_capacity(batch_rows);
        let mut text = 0;
        let mut errors = Vec::new();
        let mut send_failed = false;
        let parsed = parse_file(reader.as_mut(), &file, table, converter, |item| {
            match item {
                Ok(row) => {
                    text += text_bytes(&row);
                    rows.push(row);
                }
                Err(e) => errors.push(e),
            }
            if (rows.len() + errors.len() >= batch_rows || text >= BATCH_TEXT) && !send_failed {
                text = 0;
                let batch = std::mem::replace(&mut rows, Vec::with_capacity(batch_rows));
                send_failed = tx
                    .send(Msg::Batch(batch, std::mem::take(&mut errors)))
                    .is_err();
            }
        });
        let report = match parsed {
            Ok(report) => report,
            Err(e) => {
                let _ = tx.send(Msg::Failed(e));
                return;
            }
        };
        if send_failed
            || tx.send(Msg::Batch(rows, errors)).is_err()
            || tx.send(Msg::Done(report)).is_err()
        {
            return;
        }
    }
}

/// Test input of wide records, for the tests that batches are bounded by their text (here and
/// in DuckDB's staging): `RECORDS` NDJSON objects of `COLUMNS` text members `c0`, `c1`, ...
#[cfg(test)]
pub(crate) mod wide {
    use crate::schema::{Column, ColumnType, TableSpec};

    pub const COLUMNS: usize = 20;
    pub const RECORDS: usize = 40;
    const WIDTH: usize = 60_000;
    /// The most text one record's row holds (each cell is `WIDTH` bytes and a short suffix).
    pub const RECORD_TEXT: usize = COLUMNS * (WIDTH + 6);
    // The tests must pass the bound twice, or they could not see a batch cut by it.
    const _: () = assert!(RECORDS * RECORD_TEXT > 2 * super::BATCH_TEXT);

    /// The table the records fit: `COLUMNS` columns of `VARCHAR(65535)`.
    pub fn table() -> TableSpec {
        TableSpec {
            name: "wide".into(),
            columns: (0..COLUMNS)
                .map(|i| Column {
                    name: format!("c{i}"),
                    ty: ColumnType::Varchar(65_535),
                    not_null: false,
                })
                .collect(),
        }
    }

    /// One cell's text: a letter repeated, then its record and column, so that each cell
    /// tells where it came from.
    pub fn cell(record: usize, column: usize) -> String {
        let letter = char::from(b'a' + (record * COLUMNS + column) as u8 % 26);
        format!("{}{record}-{column}", letter.to_string().repeat(WIDTH))
    }

    /// The records, one per line.
    pub fn input() -> String {
        let mut input = String::new();
        for record in 0..RECORDS {
            let members: Vec<String> = (0..COLUMNS)
                .map(|column| format!("\"c{column}\": \"{}\"", cell(record, column)))
                .collect();
            input.push_str(&format!("{{{}}}\n", members.join(", ")));
        }
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;
    use crate::value::Value;

    /// What each `append` received: its rows' count and text.
    struct Batches(Vec<(usize, usize)>, Vec<Row>);

    impl RowSink for Batches {
        fn append(&mut self, rows: Vec<Row>) -> Result<()> {
            self.0.push((rows.len(), rows.iter().map(text_bytes).sum()));
            self.1.extend(rows);
            Ok(())
        }
    }

    /// Rows with a lot of text reach the writer in batches of fewer rows: 4,096 records of up
    /// to 4 MB each would otherwise make one batch of up to 16 GB. Nothing is lost or changed.
    #[test]
    fn batches_are_handed_on_before_their_text_passes_the_limit() {
        use wide::{COLUMNS, RECORD_TEXT, RECORDS, cell};
        let table = wide::table();
        let input = wide::input();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("wide.json"), &input).unwrap();
        let source = Source::parse(&dir.path().to_string_lossy()).unwrap();
        let files = source.list().unwrap().files;
        let open = |file: &SourceFile| source.open(file);
        let mut sink = Batches(Vec::new(), Vec::new());
        let report = load(
            &table,
            &JsonFormat::Auto,
            &files,
            &open,
            &LoadOptions::default(),
            &mut sink,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(report.files[0].rows_loaded, RECORDS as u64, "{report:?}");

        let (full, last) = sink.0.split_at(sink.0.len() - 1);
        assert!(full.len() >= 2, "{} batches before the last", full.len());
        for &(rows, text) in full {
            assert!(rows < LoadOptions::default().batch_rows);
            assert!(text >= BATCH_TEXT, "handed on early: {text}");
            assert!(text < BATCH_TEXT + RECORD_TEXT, "{text}");
        }
        assert!(last[0].1 < BATCH_TEXT + RECORD_TEXT);
        assert_eq!(sink.1.len(), RECORDS);
        for (record, row) in sink.1.iter().enumerate() {
            let expected: Row = (0..COLUMNS).map(|c| Value::Text(cell(record, c))).collect();
            assert!(*row == expected, "record {record} changed");
        }
    }
}
