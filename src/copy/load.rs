//! The parallel load driver: reads files on worker threads, converts them to rows, and hands
//! bounded batches to one writer (the warehouse), which is the only thread that touches the
//! database. For a sink that takes COPY text (PostgreSQL), the worker threads write the rows
//! in it, and the writer only passes the bytes on. Files are read as streams, so memory stays
//! bounded by `threads × (one record's buffer + one batch)` plus the channel, whatever the
//! files' sizes.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{PoisonError, mpsc};

use super::compressed::{self, DecompressError};
use super::convert::ReplaceInvalid;
use super::copy_text;
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

    /// Whether the sink takes its rows as lines of COPY's text format ([`copy_text`]) through
    /// [`RowSink::append_text`] instead of [`RowSink::append`]: then the parser threads write
    /// the lines, and the thread that feeds the sink only hands them on.
    fn takes_copy_text(&self) -> bool {
        false
    }

    /// Whole lines of COPY text, for a sink that [takes them](RowSink::takes_copy_text).
    fn append_text(&mut self, text: &str) -> Result<()> {
        let _ = text;
        Err(Error::warehouse(
            "internal error: rows sent as COPY text to a sink that does not take it",
        ))
    }

    /// Pushes out anything buffered; errors surface here rather than at drop.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
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

/// Reads and parses one file, handing `target` each record, to convert into a row or reject,
/// in file order. The report's size is that of the bytes read from the source (compressed,
/// for a compressed file); a failed read is an error, not a row. Everything is streamed: the
/// source, the decompression (as the converter's [`compressed::Rule`] says) and the
/// ACCEPTINVCHARS repair are `Read` adapters, one over the other, so no file is held whole,
/// compressed or not. A file that cannot be decompressed fails the load, naming the file.
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

/// [`parse_file_into`] of the text stream, a record at a time; an `Err` is a failed read.
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

/// A parser thread's rows for the sink: values, or the lines of COPY text it takes instead.
enum Rows {
    Values(Vec<Row>),
    Text(String),
}

/// The COPY text a batch keeps when it goes back to the parser threads: four times a batch
/// of the logs' events (about 1 MB), so that batches of ordinary rows never give back and
/// regrow it, while one cut at [`BATCH_TEXT`] does not keep 16 MB.
const SPARE_TEXT: usize = 4 << 20;

/// Buffers of COPY text the sink has written, for the parser threads to fill again: a new
/// megabyte per batch, allocated on one thread and freed on another, cost more in page faults
/// (the kernel zeroing fresh pages) than printing the rows into it (measured: 4-6 s of system
/// time at 10M events).
type Spare = std::sync::Mutex<Vec<String>>;

enum Msg {
    Batch(Rows, Vec<LoadError>),
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
    let text = sink.takes_copy_text();
    let (tx, rx) = mpsc::sync_channel::<Msg>(threads * 2);
    let spare = Spare::default();

    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop, converter, spare) = (&next, &stop, &converter, &spare);
            let batch = Batching {
                rows: batch_rows,
                text,
                columns: table.columns.len(),
            };
            scope.spawn(move || {
                let batch = Batcher::new(batch, &tx, spare);
                worker(table, files, open, converter, batch, next, stop, &tx)
            });
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
                    } else {
                        let appended = match rows {
                            Rows::Values(rows) if !rows.is_empty() => sink.append(rows),
                            Rows::Text(mut text) if !text.is_empty() => {
                                let appended = sink.append_text(&text);
                                text.clear();
                                text.shrink_to(SPARE_TEXT);
                                let mut spare =
                                    spare.lock().unwrap_or_else(PoisonError::into_inner);
                                if spare.len() < 2 * threads + 2 {
                                    spare.push(text);
                                }
                                appended
                            }
                            _ => Ok(()),
                        };
                        if let Err(e) = appended {
                            failure = Some(e);
                        }
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

/// How a parser thread batches its rows: how many per batch, and whether as COPY text.
#[derive(Clone, Copy)]
struct Batching {
    rows: usize,
    text: bool,
    /// The table's columns: a COPY text line has one value for each.
    columns: usize,
}

/// One parser thread's batch being filled, and where full batches go.
struct Batcher<'t> {
    how: Batching,
    rows: Rows,
    /// Rows in `rows`, and the bytes of their text (COPY text: the lines).
    count: usize,
    text: usize,
    errors: Vec<LoadError>,
    tx: &'t mpsc::SyncSender<Msg>,
    spare: &'t Spare,
    /// Set when the receiver is gone (the load failed): the rest is discarded.
    closed: bool,
}

impl<'t> Batcher<'t> {
    fn new(how: Batching, tx: &'t mpsc::SyncSender<Msg>, spare: &'t Spare) -> Batcher<'t> {
        let mut batcher = Batcher {
            how,
            rows: Rows::Values(Vec::new()),
            count: 0,
            text: 0,
            errors: Vec::new(),
            tx,
            spare,
            closed: false,
        };
        batcher.rows = batcher.empty();
        batcher
    }

    fn empty(&self) -> Rows {
        if !self.how.text {
            return Rows::Values(Vec::with_capacity(self.how.rows));
        }
        let spare = self
            .spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        Rows::Text(spare.unwrap_or_default())
    }

    /// Sends the batch once it holds `batch_rows` rows and rejected rows, or [`BATCH_TEXT`].
    fn send_when_full(&mut self) {
        if self.count + self.errors.len() >= self.how.rows || self.text >= BATCH_TEXT {
            self.send();
        }
    }

    fn send(&mut self) {
        let rows = self.empty();
        let batch = Msg::Batch(
            std::mem::replace(&mut self.rows, rows),
            std::mem::take(&mut self.errors),
        );
        (self.count, self.text) = (0, 0);
        if !self.closed {
            self.closed = self.tx.send(batch).is_err();
        }
    }
}

impl Target for Batcher<'_> {
    fn row(
        &mut self,
        converter: &Converter<'_>,
        record: Record,
        raw: &[u8],
    ) -> std::result::Result<(), FieldError> {
        match &mut self.rows {
            Rows::Values(rows) => {
                let row = converter.record_row(record, raw)?;
                self.text += text_bytes(&row);
                rows.push(row);
            }
            Rows::Text(text) => {
                let mut line = copy_text::Line::new(text);
                let columns = self.how.columns;
                let converted = converter
                    .record_into(record, raw, &mut line)
                    .and_then(|()| {
                        // One value per column, or the server would reject the whole COPY for
                        // one row (a bug, said so).
                        if line.cells == columns {
                            return Ok(());
                        }
                        Err(FieldError {
                            column: usize::MAX,
                            raw_value: String::new(),
                            reason: format!(
                                "internal error: {} values for {columns} columns",
                                line.cells
                            ),
                        })
                    });
                if let Err(e) = converted {
                    line.discard();
                    return Err(e);
                }
                line.end();
                self.text = text.len();
            }
        }
        self.count += 1;
        self.send_when_full();
        Ok(())
    }

    fn reject(&mut self, error: LoadError) {
        self.errors.push(error);
        self.send_when_full();
    }
}

#[allow(clippy::too_many_arguments)]
fn worker(
    table: &TableSpec,
    files: &[SourceFile],
    open: &(dyn Fn(&SourceFile) -> Result<Opened> + Sync),
    converter: &Converter<'_>,
    mut batch: Batcher<'_>,
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
        let report = match parse_file_into(reader.as_mut(), &file, table, converter, &mut batch) {
            Ok(report) => report,
            Err(e) => {
                let _ = tx.send(Msg::Failed(e));
                return;
            }
        };
        // A file's rows are all sent before its report, which the ledger is built from.
        batch.send();
        if batch.closed || tx.send(Msg::Done(report)).is_err() {
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

    /// The rows of a load as a sink of values gets them, printed as COPY text lines.
    struct Values(Vec<String>);

    impl RowSink for Values {
        fn append(&mut self, rows: Vec<Row>) -> Result<()> {
            for row in rows {
                let mut line = String::new();
                copy_text::push_row(&mut line, &row);
                line.pop();
                self.0.push(line);
            }
            Ok(())
        }
    }

    /// The lines of a load as a sink that takes COPY text gets them.
    struct Lines(Vec<String>);

    impl RowSink for Lines {
        fn append(&mut self, _: Vec<Row>) -> Result<()> {
            panic!("rows as values to a sink that takes COPY text")
        }

        fn takes_copy_text(&self) -> bool {
            true
        }

        fn append_text(&mut self, text: &str) -> Result<()> {
            let lines = text.strip_suffix('\n').expect("whole lines");
            self.0.extend(lines.split('\n').map(String::from));
            Ok(())
        }
    }

    /// Loads `dir` as `table` both ways and checks that the parser threads' COPY text is the
    /// rows printed, line for line, and that both loads report the same; gives the lines.
    fn both_ways(dir: &std::path::Path, table: &str, format: &JsonFormat) -> Vec<String> {
        let table = crate::sql::table_spec(table).unwrap();
        let source = Source::parse(&dir.to_string_lossy()).unwrap();
        let files = source.list().unwrap().files;
        let open = |file: &SourceFile| source.open(file);
        let options = LoadOptions {
            max_errors: 100,
            ..LoadOptions::default()
        };
        let run = |sink: &mut dyn RowSink| {
            load(&table, format, &files, &open, &options, sink, &mut |_| {}).unwrap()
        };
        let mut values = Values(Vec::new());
        let mut by_values = run(&mut values);
        let mut lines = Lines(Vec::new());
        let mut by_lines = run(&mut lines);
        // Parser threads finish files and batches in any order.
        for report in [&mut by_values, &mut by_lines] {
            report.errors.sort_by_key(|e| (e.file.clone(), e.line));
        }
        assert_eq!(format!("{by_lines:?}"), format!("{by_values:?}"));
        assert_eq!(by_lines.rows_loaded(), lines.0.len() as u64);
        values.0.sort();
        lines.0.sort();
        assert!(lines.0 == values.0, "the COPY text differs from the rows");
        lines.0
    }

    /// A sink that takes COPY text gets, from the parser threads, exactly the rows a sink of
    /// values gets, printed: on the sample's 30 log files, and on hostile records whose text
    /// needs every escape and whose bad values reject the row after some of its cells were
    /// written (nothing of them may stay).
    #[test]
    fn copy_text_from_the_parser_threads_is_the_rows_printed() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sparkify");
        let jsonpaths = std::fs::read(data.join("log_json_path.json")).unwrap();
        let events = JsonFormat::Paths(super::super::jsonpaths::parse_file(&jsonpaths).unwrap());
        let sample = both_ways(&data.join("log_data"), "staging_events", &events);
        assert_eq!(sample.len(), 8056, "the sample's events");

        let dir = tempfile::tempdir().unwrap();
        let hostile = [
            r#"{"artist":"tab\there back\\slash new\nline cr\r \u0001 end","userId":"7","ts":1541105830796,"itemInSession":3,"length":12.5,"page":"NextSong","song":"S\u00e9\\"}"#,
            r#"{"artist":"rejected at its fifth column","auth":"a","firstName":"f","gender":"g","itemInSession":"seven","ts":1,"userId":"1"}"#,
            r#"not JSON at all"#,
            r#"{"userId":"","ts":1541105830796,"registration":1540919166796.0,"status":200,"sessionId":99,"location":"Salt Lake City, UT\\","userAgent":"\"Mozilla\"\t"}"#,
            r#"{"artist":"too long a number","length":1e400,"userId":"2"}"#,
        ];
        std::fs::write(dir.path().join("hostile.json"), hostile.join("\n")).unwrap();
        let lines = both_ways(dir.path(), "staging_events", &events);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("tab\\there back\\\\slash new\\nline cr\\r \u{1} end\t")),
            "{lines:#?}"
        );
        assert!(
            lines.iter().all(|l| l.split('\t').count() == 18),
            "{lines:#?}"
        );
    }
}
