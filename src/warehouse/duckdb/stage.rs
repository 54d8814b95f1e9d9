//! Staging on every core: sparkify's loader registered as the DuckDB table function
//! `sparkify_stage(job)`, so that `INSERT INTO staging_x SELECT * FROM sparkify_stage(...)`
//! (sql/bookkeeping/duckdb_stage.sql) runs inside the run's transaction on DuckDB's own
//! threads. Parser threads (one per core) take the next file from a shared queue, read, parse
//! and convert it with the same code as every other engine ([`load::parse_file_into`], the
//! [`Converter`], the mojibake repair), and send its rows in chunks of a vector's size (fewer
//! rows at 16 MB of text) through a short channel; DuckDB's threads write each chunk straight
//! into their output vectors and DuckDB's parallel insert sinks them. Rejected rows and file
//! reports go to one shared collector. Why separate parser threads: a DuckDB thread that
//! parsed a whole file before emitting it held that file's rows (90 MB for a 100,000-event
//! file), and one that emitted as it parsed would have to keep a parser's state between calls.
//!
//! Why not the appender: one appender is fed by one thread, and that thread (building Arrow
//! batches and appending them) was the limit of staging, at 21-31 % of a bare parse
//! (BENCHMARKS.md). Several appenders on several connections cannot share the run's
//! transaction; a table function can.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, mpsc};
use std::time::Duration;

use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};
use duckdb::{Connection, ffi};

use crate::copy::compressed::Rule;
use crate::copy::errors::ErrorCollector;
use crate::copy::load::{self, FileReport, LoadError, LoadOptions, LoadReport, Target};
use crate::copy::{Cells, Converter, Fatal, FieldError, JsonFormat, Record};
use crate::error::{Error, Result};
use crate::schema::{ColumnType, TableSpec};
use crate::source::{Opened, Source, SourceFile};
use crate::sql::Param;
use crate::value::Value;

/// The table function's name, as sql/bookkeeping/duckdb_stage.sql calls it.
pub(super) const FUNCTION: &str = "sparkify_stage";

/// Rows per output chunk: DuckDB's vector size (`STANDARD_VECTOR_SIZE`).
const CHUNK_ROWS: usize = 2048;

/// Text per chunk after which it is sent with fewer rows, the loader's limit for its batches.
/// A record may be 4 MB, so 2,048 of them could put 8 GB in one chunk, and several chunks are
/// in flight; typical rows hold a few hundred bytes of text (500 kB a chunk), which never reach
/// it. With it, a chunk's text stays far below what its `u32` offsets can address (the limit
/// plus one row); a row that would pass that is rejected (`FileTarget::row`).
const CHUNK_TEXT: usize = load::BATCH_TEXT;

/// The text buffer a cleared batch keeps at most: eight times a chunk of the logs' events
/// (about 500 kB), so that chunks of ordinary rows never give back and regrow it, while one
/// cut at [`CHUNK_TEXT`] (whose buffer has usually just doubled to 32 MB) does not keep that.
const SPARE_TEXT: usize = 4 << 20;

/// Jobs waiting for (or inside) their `INSERT`, by id. The table function receives only the
/// id; the job itself (files, source, format) stays on the Rust side.
static JOBS: LazyLock<Mutex<HashMap<i64, Arc<Job>>>> = LazyLock::new(Default::default);
static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

/// Registers the table function on a connection (once, when the warehouse is opened).
pub(super) fn register(conn: &Connection) -> Result<()> {
    conn.register_table_function::<StageScan>(FUNCTION)
        .map_err(|e| Error::warehouse(format!("DuckDB: cannot register {FUNCTION}: {e}")))
}

/// One staging load, shared by DuckDB's threads.
struct Job {
    spec: TableSpec,
    format: JsonFormat,
    source: Source,
    files: Vec<SourceFile>,
    repair_mojibake: bool,
    /// Which files are compressed (by name in the pipeline, COPY's keyword in `sparkify copy`).
    compression: Rule,
    max_errors: u64,
    /// DuckDB threads that emit rows (DuckDB caps it at its own `threads` setting).
    threads: usize,
    /// The next file to claim.
    next: AtomicUsize,
    /// Set on MAXERROR or a failure: threads claim no more files.
    stop: AtomicBool,
    /// Full chunks from the parser threads, for whichever DuckDB thread asks next. Taken
    /// (closed) when the load is over, so a parser blocked on a full channel returns.
    chunks: Mutex<Option<mpsc::Receiver<Batch>>>,
    /// Chunks DuckDB has written, emptied for the parsers to fill again: a new chunk's few
    /// hundred kilobytes, allocated and freed 5,000 times at 10M events, cost more in page
    /// faults than the strings they replace (measured).
    spare: Mutex<Vec<Batch>>,
    collected: Mutex<Collected>,
    /// File reports for the calling thread's progress.
    progress: mpsc::Sender<FileReport>,
}

/// What the threads hand back: every file's report and every rejected row.
struct Collected {
    files: Vec<FileReport>,
    /// Kept up to MAXERROR + 1, all counted (memory stays bounded whatever the input).
    errors: ErrorCollector,
    exceeded: bool,
    /// The first failure (a file that cannot be read, Ctrl-C), which ends the scan with an
    /// error; DuckDB's own message for it is replaced by this one.
    failure: Option<Error>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic in a callback is contained by duckdb-rs and fails the query (so the run rolls
    // back); the data behind the lock is then only read for the error, so poisoning is moot.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes the job from [`JOBS`] however the load ends.
struct Registered(i64);

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&JOBS).remove(&self.0);
    }
}

impl Job {
    /// The next chunk of rows for one DuckDB thread, or `None` when the scan is over for it.
    fn next_chunk(&self) -> std::result::Result<Option<Batch>, String> {
        loop {
            if crate::interrupt::requested() {
                return Err(self.fail(Error::Interrupted));
            }
            if self.stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let chunks = lock(&self.chunks);
            let Some(chunks) = chunks.as_ref() else {
                return Ok(None);
            };
            // Waits a little at a time, so that Ctrl-C is seen while the parsers work.
            match chunks.recv_timeout(Duration::from_millis(50)) {
                Ok(chunk) => return Ok(Some(chunk)),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Every parser is done: every row has been handed out.
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(None),
            }
        }
    }

    /// One parser thread: claims files until none is left, and sends their rows in full
    /// chunks (small files gathered, a song file holds one row), so that DuckDB sinks whole
    /// vectors. Rows are sent as they are parsed: memory holds a few chunks per parser, not a
    /// file's rows (a 100,000-event file was 90 MB of rows).
    fn produce(&self, chunks: mpsc::SyncSender<Batch>) {
        // One converter for every file this thread reads, not one per file (a song file holds
        // one row). It keeps nothing from one file to the next but the first fatal error,
        // which ends the load at that file anyway; its tally of conversions stays 0 here (only
        // loads without conversion options come here).
        let converter = match converter(
            &self.spec,
            &self.format,
            self.repair_mojibake,
            self.compression,
        ) {
            Ok(converter) => converter,
            Err(e) => {
                self.fail(e);
                return;
            }
        };
        let mut filler = Filler {
            spec: &self.spec,
            batch: Batch::new(&self.spec),
            chunks: &chunks,
            spare: &self.spare,
            closed: false,
        };
        while !filler.closed && !self.stop.load(Ordering::Relaxed) {
            if crate::interrupt::requested() {
                self.fail(Error::Interrupted);
                return;
            }
            let Some(file) = self.files.get(self.next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            if self.parse(file, &converter, &mut filler).is_err() {
                return;
            }
        }
        if !filler.closed && filler.batch.rows > 0 {
            let _ = chunks.send(filler.batch);
        }
    }

    /// Reads and converts one file into `filler`'s chunks; its report and rejected rows go to
    /// the collector. A load over MAXERROR sets `stop`.
    fn parse(
        &self,
        file: &SourceFile,
        converter: &Converter<'_>,
        filler: &mut Filler<'_>,
    ) -> std::result::Result<(), String> {
        // The report (and so the ledger) describes what was read, which may differ from the
        // listing when the file changed in between. Streamed: neither the file's bytes nor its
        // rows are ever held whole.
        let Opened {
            mut reader,
            file: read_file,
        } = self.source.open(file).map_err(|e| self.fail(e))?;
        let mut errors = ErrorCollector::new(self.max_errors);
        let mut target = FileTarget {
            filler,
            errors: &mut errors,
        };
        let report = load::parse_file_into(
            reader.as_mut(),
            &read_file,
            &self.spec,
            converter,
            &mut target,
        )
        .map_err(|e| self.fail(e))?;
        // A JSONPaths array element that is not there fails the whole COPY, as on Redshift.
        if let Some(Fatal::JsonPath(message)) = converter.fatal() {
            return Err(self.fail(Error::JsonPaths {
                path: format!("for {}", self.spec.name),
                message: format!("{message} in {}; nothing was loaded", read_file.location),
            }));
        }
        let mut collected = lock(&self.collected);
        collected.errors.absorb(errors);
        if collected.errors.exceeded() {
            // The caller rolls back: whatever was inserted is discarded, so stop now.
            collected.exceeded = true;
            self.stop.store(true, Ordering::Relaxed);
            return Ok(());
        }
        // The receiver is gone only when the load is over; the report stays in `files`.
        let _ = self.progress.send(report.clone());
        collected.files.push(report);
        Ok(())
    }

    /// Records the first failure, stops the other threads, and says what DuckDB should show.
    fn fail(&self, e: Error) -> String {
        self.stop.store(true, Ordering::Relaxed);
        let text = e.to_string();
        lock(&self.collected).failure.get_or_insert(e);
        text
    }
}

/// A chunk of rows on its way to DuckDB's vectors: each column stored as its vector stores it
/// (fixed-width values as DuckDB's physical type, text as ranges of one buffer), so that
/// DuckDB's threads copy each fixed-width column at once (text still goes in row by row). Why
/// not a [`Row`](crate::value::Row) per record: a
/// `String` per text value, allocated on a parser thread and freed on a DuckDB thread
/// (BENCHMARKS.md, 2026-12-04). Why typed columns rather than one cell enum: the parser threads
/// write every value of a load and DuckDB's threads read it back (180M values at 10M events),
/// and an enum cell was 24 bytes (16 with `u32` text offsets); a text range is 8 and an
/// integer its own width.
struct Batch {
    rows: usize,
    /// One per column, each `rows` long between rows.
    columns: Vec<Column>,
    /// The column the next value of the row being converted goes to.
    next: usize,
    text: String,
    /// A value that did not fit its column's type in the row being converted: a bug (the
    /// converter checks every value against the column), reported for that row.
    mismatch: Option<String>,
}

/// One column of a [`Batch`].
#[derive(Debug)]
enum Column {
    SmallInt(Fixed<i16>),
    Integer(Fixed<i32>),
    BigInt(Fixed<i64>),
    Double(Fixed<f64>),
    Boolean(Fixed<bool>),
    Text(Vec<Span>),
    /// A type [`logical_type`] has no vector for (such tables go through the appender).
    Unwritable,
}

/// Fixed-width values, with a placeholder at each NULL, and the rows that are NULL in order.
#[derive(Debug)]
struct Fixed<T> {
    values: Vec<T>,
    nulls: Vec<usize>,
}

impl<T: Default> Fixed<T> {
    fn new() -> Fixed<T> {
        Fixed {
            values: Vec::with_capacity(CHUNK_ROWS),
            nulls: Vec::new(),
        }
    }

    fn push(&mut self, value: Option<T>) {
        if value.is_none() {
            self.nulls.push(self.values.len());
        }
        self.values.push(value.unwrap_or_default());
    }

    fn truncate(&mut self, rows: usize) {
        self.values.truncate(rows);
        while self.nulls.last().is_some_and(|&row| row >= rows) {
            self.nulls.pop();
        }
    }

    fn clear(&mut self) {
        self.values.clear();
        self.nulls.clear();
    }
}

/// Text in a [`Batch`]: a range of its buffer, or NULL. `u32` offsets, kept in range by
/// [`CHUNK_TEXT`] and the row check in `FileTarget::row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// NULL: a range no text has (it ends before it starts).
    const NULL: Span = Span {
        start: u32::MAX,
        end: 0,
    };

    fn is_null(self) -> bool {
        self == Span::NULL
    }
}

impl Column {
    fn of(ty: &ColumnType) -> Column {
        match ty {
            ColumnType::SmallInt => Column::SmallInt(Fixed::new()),
            ColumnType::Integer => Column::Integer(Fixed::new()),
            ColumnType::BigInt => Column::BigInt(Fixed::new()),
            ColumnType::Double => Column::Double(Fixed::new()),
            ColumnType::Boolean => Column::Boolean(Fixed::new()),
            ColumnType::Varchar(_) | ColumnType::Char(_) => {
                Column::Text(Vec::with_capacity(CHUNK_ROWS))
            }
            ColumnType::Real
            | ColumnType::Decimal(..)
            | ColumnType::Timestamp
            | ColumnType::Date => Column::Unwritable,
        }
    }

    /// How many values it holds (`None` for [`Column::Unwritable`], which holds none).
    fn len(&self) -> Option<usize> {
        match self {
            Column::SmallInt(f) => Some(f.values.len()),
            Column::Integer(f) => Some(f.values.len()),
            Column::BigInt(f) => Some(f.values.len()),
            Column::Double(f) => Some(f.values.len()),
            Column::Boolean(f) => Some(f.values.len()),
            Column::Text(spans) => Some(spans.len()),
            Column::Unwritable => None,
        }
    }

    fn truncate(&mut self, rows: usize) {
        match self {
            Column::SmallInt(f) => f.truncate(rows),
            Column::Integer(f) => f.truncate(rows),
            Column::BigInt(f) => f.truncate(rows),
            Column::Double(f) => f.truncate(rows),
            Column::Boolean(f) => f.truncate(rows),
            Column::Text(spans) => spans.truncate(rows),
            Column::Unwritable => {}
        }
    }

    fn clear(&mut self) {
        match self {
            Column::SmallInt(f) => f.clear(),
            Column::Integer(f) => f.clear(),
            Column::BigInt(f) => f.clear(),
            Column::Double(f) => f.clear(),
            Column::Boolean(f) => f.clear(),
            Column::Text(spans) => spans.clear(),
            Column::Unwritable => {}
        }
    }

    /// Adds `value` (text is added by [`Batch::text`]); `false` when it does not fit the
    /// column's type, which adds nothing.
    fn push(&mut self, value: &Value) -> bool {
        match (self, value) {
            (Column::SmallInt(f), Value::Null) => f.push(None),
            (Column::Integer(f), Value::Null) => f.push(None),
            (Column::BigInt(f), Value::Null) => f.push(None),
            (Column::Double(f), Value::Null) => f.push(None),
            (Column::Boolean(f), Value::Null) => f.push(None),
            (Column::Text(spans), Value::Null) => spans.push(Span::NULL),
            (Column::SmallInt(f), Value::Int(n)) => match i16::try_from(*n) {
                Ok(n) => f.push(Some(n)),
                Err(_) => return false,
            },
            (Column::Integer(f), Value::Int(n)) => match i32::try_from(*n) {
                Ok(n) => f.push(Some(n)),
                Err(_) => return false,
            },
            (Column::BigInt(f), Value::Int(n)) => f.push(Some(*n)),
            (Column::Double(f), Value::Double(d)) => f.push(Some(*d)),
            (Column::Double(f), Value::Int(n)) => f.push(Some(*n as f64)),
            (Column::Boolean(f), Value::Bool(b)) => f.push(Some(*b)),
            _ => return false,
        }
        true
    }
}

impl Batch {
    fn new(spec: &TableSpec) -> Batch {
        Batch {
            rows: 0,
            columns: spec.columns.iter().map(|c| Column::of(&c.ty)).collect(),
            next: 0,
            text: String::new(),
            mismatch: None,
        }
    }

    fn clear(&mut self) {
        self.rows = 0;
        self.next = 0;
        self.columns.iter_mut().for_each(Column::clear);
        self.text.clear();
        self.text.shrink_to(SPARE_TEXT);
        self.mismatch = None;
    }

    /// Drops the values of the row being converted.
    fn drop_row(&mut self, text: usize) {
        for column in &mut self.columns {
            column.truncate(self.rows);
        }
        self.next = 0;
        self.text.truncate(text);
        self.mismatch = None;
    }

    /// Moves on to the next column; past the last one, the count tells the row is wrong
    /// (`FileTarget::row`).
    fn advance(&mut self) {
        self.next += 1;
    }

    fn push_span(&mut self, span: Span) {
        match self.columns.get_mut(self.next) {
            Some(Column::Text(spans)) => spans.push(span),
            Some(_) => self.mismatched(format!("text for column {}", self.next)),
            None => {}
        }
        self.advance();
    }

    fn mismatched(&mut self, what: String) {
        self.mismatch.get_or_insert(what);
    }
}

impl Cells for Batch {
    fn value(&mut self, value: Value) {
        if let Value::Text(text) = &value {
            return self.text(text);
        }
        if let Some(column) = self.columns.get_mut(self.next)
            && !column.push(&value)
        {
            let what = format!("{value:?} for column {}", self.next);
            self.mismatched(what);
        }
        self.advance();
    }

    fn text(&mut self, text: &str) {
        // Within range by [`CHUNK_TEXT`]; if not, the row is rejected as an internal error
        // (`FileTarget::row`) before the chunk is written.
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        let start = offset(self.text.len());
        self.text.push_str(text);
        let end = offset(self.text.len());
        self.push_span(Span { start, end });
    }
}

/// One parser thread's chunk being filled, and where full chunks go.
struct Filler<'s> {
    /// The table, to make a new chunk when no spare one is left.
    spec: &'s TableSpec,
    batch: Batch,
    chunks: &'s mpsc::SyncSender<Batch>,
    spare: &'s Mutex<Vec<Batch>>,
    /// Set when the receiver is gone (the load is over, or failed): the rest is discarded.
    closed: bool,
}

/// Where one file's records go: rows into the parser's chunk, rejected rows to the file's
/// collector.
struct FileTarget<'f, 's> {
    filler: &'f mut Filler<'s>,
    errors: &'f mut ErrorCollector,
}

impl Target for FileTarget<'_, '_> {
    fn row(
        &mut self,
        converter: &Converter<'_>,
        record: Record,
        raw: &[u8],
    ) -> std::result::Result<(), FieldError> {
        let filler = &mut *self.filler;
        if filler.closed {
            return Ok(());
        }
        let batch = &mut filler.batch;
        let text = batch.text.len();
        let converted = converter.record_into(record, raw, batch).and_then(|()| {
            let internal = |reason: String| FieldError {
                column: usize::MAX,
                raw_value: String::new(),
                reason: format!("internal error: {reason}"),
            };
            // One value per column, or the chunk's rows would shift (a bug, said so).
            if batch.next != batch.columns.len() {
                return Err(internal(format!(
                    "{} values for {} columns",
                    batch.next,
                    batch.columns.len()
                )));
            }
            if let Some(what) = batch.mismatch.take() {
                return Err(internal(format!("{what} does not fit its type")));
            }
            // The chunk held less than CHUNK_TEXT before this row, whose text comes from one
            // record of at most 4 MB, so this cannot happen short of a JSONPaths file naming
            // one huge value a thousand times; then the row's offsets would not fit its cells.
            if u32::try_from(batch.text.len()).is_err() {
                return Err(internal(format!(
                    "{} bytes of text in one chunk",
                    batch.text.len()
                )));
            }
            Ok(())
        });
        if let Err(e) = converted {
            // Nothing of a rejected row stays in the chunk.
            batch.drop_row(text);
            return Err(e);
        }
        batch.rows += 1;
        batch.next = 0;
        if batch.rows == CHUNK_ROWS || batch.text.len() >= CHUNK_TEXT {
            let next = lock(filler.spare)
                .pop()
                .unwrap_or_else(|| Batch::new(filler.spec));
            let full = std::mem::replace(batch, next);
            filler.closed = filler.chunks.send(full).is_err();
        }
        Ok(())
    }

    fn reject(&mut self, error: LoadError) {
        self.errors.push(error);
    }
}

/// The converter of one load: the one [`load_parallel`] checks before anything is read, and
/// the one each parser thread builds for itself.
fn converter<'a>(
    table: &'a TableSpec,
    format: &'a JsonFormat,
    repair_mojibake: bool,
    compression: Rule,
) -> Result<Converter<'a>> {
    Converter::new(table, format, repair_mojibake)
        .map(|converter| converter.with_compression(compression))
        .map_err(|message| Error::JsonPaths {
            path: format!("for {}", table.name),
            message,
        })
}

/// Loads `files` into `table` through `sparkify_stage`, on DuckDB's threads, inside the
/// connection's current transaction. `on_file` sees each file as it finishes. As with
/// [`load::load`], a report with `exceeded_max_errors` (or an `Err`) leaves the transaction to
/// be rolled back.
#[allow(clippy::too_many_arguments)]
pub(super) fn load_parallel(
    conn: &mut Connection,
    table: &TableSpec,
    format: &JsonFormat,
    source: &Source,
    files: &[SourceFile],
    options: &LoadOptions,
    on_file: &mut dyn FnMut(&FileReport),
) -> Result<LoadReport> {
    // A JSONPaths file with the wrong number of paths fails before anything is read.
    converter(table, format, options.repair_mojibake, options.compression)?;
    let (progress, reports) = mpsc::channel();
    let job = Arc::new(Job {
        spec: table.clone(),
        format: format.clone(),
        source: source.clone(),
        files: files.to_vec(),
        repair_mojibake: options.repair_mojibake,
        compression: options.compression,
        max_errors: options.max_errors,
        // 0 means every core; DuckDB caps this at its own `threads` setting.
        threads: match options.threads {
            0 => files.len(),
            n => n.min(files.len()),
        }
        .max(1),
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        chunks: Mutex::new(None),
        spare: Mutex::new(Vec::new()),
        collected: Mutex::new(Collected {
            files: Vec::new(),
            errors: ErrorCollector::new(options.max_errors),
            exceeded: false,
            failure: None,
        }),
        progress,
    });
    let id = i64::try_from(NEXT_JOB.fetch_add(1, Ordering::Relaxed))
        .map_err(|_| Error::warehouse("DuckDB: staging job ids exhausted"))?;
    lock(&JOBS).insert(id, job.clone());
    let _registered = Registered(id);

    let id_text = id.to_string();
    let statements = crate::sql::statements(
        "bookkeeping/duckdb_stage.sql",
        &[
            ("table", Param::Text(&table.name)),
            ("job", Param::Text(&id_text)),
        ],
    )?;
    // Parser threads, as many as the other engines' loader uses (DuckDB's threads that emit
    // their rows come on top): parsing a chunk and sinking the previous one overlap. The
    // channel holds two chunks per parser.
    let parsers = load::parser_threads(options.threads, files.len());
    let (sender, receiver) = mpsc::sync_channel(parsers * 2);
    *lock(&job.chunks) = Some(receiver);
    let inserted = std::thread::scope(|scope| {
        let parsing: Vec<_> = (0..parsers)
            .map(|_| {
                let (job, sender) = (&job, sender.clone());
                scope.spawn(move || job.produce(sender))
            })
            .collect();
        // The parsers hold the only senders: the channel closes when the last one is done.
        drop(sender);
        // The statement runs on its own thread so that this one can report progress (the
        // caller's `on_file` need not be Send) while DuckDB's threads load.
        let running = scope.spawn(move || -> std::result::Result<(), duckdb::Error> {
            let run = |s: &crate::sql::Statement| -> std::result::Result<(), duckdb::Error> {
                let mut stmt = conn.prepare(&s.text)?;
                stmt.execute(duckdb::params_from_iter(
                    s.binds.iter().map(super::duck_value),
                ))?;
                Ok(())
            };
            let outcome = statements.iter().try_for_each(run);
            if outcome.is_err()
                && let Some(restore) = statements.last()
            {
                // The last statement restores the session setting; the transaction is rolled
                // back by the caller, but the setting would outlive it.
                let _ = run(restore);
            }
            outcome
        });
        while !running.is_finished() {
            if let Ok(report) = reports.recv_timeout(Duration::from_millis(50)) {
                on_file(&report);
            }
        }
        for report in reports.try_iter() {
            on_file(&report);
        }
        let inserted = running.join();
        // However the statement ended, no thread takes rows any more: a parser waiting on a
        // full channel gets an error and returns, claiming nothing further.
        job.stop.store(true, Ordering::Relaxed);
        drop(lock(&job.chunks).take());
        for parser in parsing {
            if let Err(panic) = parser.join() {
                std::panic::resume_unwind(panic);
            }
        }
        inserted
    });
    let inserted = match inserted {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let mut collected = std::mem::replace(
        &mut *lock(&job.collected),
        Collected {
            files: Vec::new(),
            errors: ErrorCollector::new(options.max_errors),
            exceeded: false,
            failure: None,
        },
    );
    if let Some(failure) = collected.failure.take() {
        return Err(failure);
    }
    if let Err(e) = inserted {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        return Err(Error::warehouse(format!(
            "DuckDB: staging {}: {e}",
            table.name
        )));
    }
    // Files finish in any order; report them in listing order, as the other engines do.
    collected.files.sort_by(|a, b| a.file.cmp(&b.file));
    let (errors, errors_not_kept) = collected.errors.into_parts();
    Ok(LoadReport {
        files: collected.files,
        errors,
        errors_not_kept,
        exceeded_max_errors: collected.exceeded,
        // Only loads without conversion options come here (no ACCEPTINVCHARS, no
        // TRUNCATECOLUMNS): nothing changed.
        replaced: 0,
        replaced_lines: 0,
        truncated: 0,
    })
}

/// The table function. Its bind data is the job; DuckDB calls `func` from several threads.
struct StageScan;

struct Bound {
    job: Arc<Job>,
}

impl VTab for StageScan {
    type InitData = ();
    type BindData = Bound;

    fn bind(bind: &BindInfo) -> std::result::Result<Bound, Box<dyn std::error::Error>> {
        let id = bind.get_parameter(0).to_int64();
        let job = lock(&JOBS).get(&id).cloned().ok_or_else(|| {
            format!("{FUNCTION}: no staging job {id} (it is internal to sparkify)")
        })?;
        for column in &job.spec.columns {
            let ty = logical_type(&column.ty).ok_or_else(|| {
                format!(
                    "{FUNCTION}: column {} has a type it does not write",
                    column.name
                )
            })?;
            bind.add_result_column(&column.name, ty);
        }
        Ok(Bound { job })
    }

    fn init(init: &InitInfo) -> std::result::Result<(), Box<dyn std::error::Error>> {
        // SAFETY: `get_bind_data` returns the pointer `bind` stored for this very scan (a
        // `Box<Bound>` that duckdb-rs frees only when DuckDB destroys the bind data, after
        // every init and func call of the scan), and `Bound` is only ever read.
        let bound = unsafe { init.get_bind_data::<Bound>().as_ref() };
        let threads = bound.map_or(1, |b| b.job.threads).max(1);
        // DuckDB caps this at its own `threads` setting.
        init.set_max_threads(threads as u64);
        Ok(())
    }

    fn func(
        info: &TableFunctionInfo<Self>,
        output: &mut DataChunkHandle,
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let job = &info.get_bind_data().job;
        match job.next_chunk()? {
            Some(mut batch) => {
                write_chunk(&job.spec, &batch, output).map_err(|e| job.fail(e))?;
                output.set_len(batch.rows);
                batch.clear();
                let mut spare = lock(&job.spare);
                // As many as can be in flight; more would only hold memory.
                if spare.len() < 2 * job.threads.max(2) {
                    spare.push(batch);
                }
            }
            None => output.set_len(0),
        }
        Ok(())
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::Bigint)])
    }
}

/// Whether the table function writes every column of `spec`: the types of sparkify's own
/// staging tables. Other tables (`sparkify copy` into REAL, DECIMAL, DATE or TIMESTAMP columns)
/// are loaded through the appender.
pub(super) fn writes(spec: &TableSpec) -> bool {
    spec.columns.iter().all(|c| logical_type(&c.ty).is_some())
}

fn logical_type(ty: &ColumnType) -> Option<LogicalTypeHandle> {
    let id = match ty {
        ColumnType::SmallInt => LogicalTypeId::Smallint,
        ColumnType::Integer => LogicalTypeId::Integer,
        ColumnType::BigInt => LogicalTypeId::Bigint,
        ColumnType::Double => LogicalTypeId::Double,
        ColumnType::Boolean => LogicalTypeId::Boolean,
        ColumnType::Varchar(_) | ColumnType::Char(_) => LogicalTypeId::Varchar,
        ColumnType::Real | ColumnType::Decimal(..) | ColumnType::Timestamp | ColumnType::Date => {
            return None;
        }
    };
    Some(LogicalTypeHandle::from(id))
}

/// Writes `batch` (at most [`CHUNK_ROWS`] rows) into the output vectors, column by column.
/// The converter has already checked every value against its column's type and the batch
/// stores each column in its vector's type, so a mismatch here is a bug, reported as such.
fn write_chunk(spec: &TableSpec, batch: &Batch, output: &mut DataChunkHandle) -> Result<()> {
    let rows = batch.rows;
    for (i, column) in spec.columns.iter().enumerate() {
        let mut vector = output.flat_vector(i);
        if rows > vector.capacity() {
            return Err(Error::warehouse(format!(
                "DuckDB: {rows} rows do not fit a vector of {}",
                vector.capacity()
            )));
        }
        let values = batch
            .columns
            .get(i)
            .filter(|values| values.len() == Some(rows))
            .ok_or_else(|| {
                Error::warehouse(format!(
                    "DuckDB: staging {}: column {} has not {rows} values",
                    spec.name, column.name
                ))
            })?;
        macro_rules! fixed {
            ($t:ty, $fixed:expr) => {{
                let fixed: &Fixed<$t> = $fixed;
                // SAFETY: the vector's type is the one `bind` declared for this column
                // (`logical_type`), and `Column::of` gave the batch's column the same
                // physical type `$t` (SMALLINT i16, INTEGER i32, BIGINT i64, DOUBLE f64,
                // BOOLEAN a one-byte bool); `copy` checks the length against the capacity;
                // `vector` is the only handle to this column's storage while it is written
                // (`output` is borrowed mutably).
                unsafe { vector.copy::<$t>(&fixed.values) };
                for &row in &fixed.nulls {
                    vector.set_null(row);
                }
            }};
        }
        let mismatch = || {
            Error::warehouse(format!(
                "DuckDB: staging {}: column {} ({:?}) holds other values",
                spec.name, column.name, column.ty
            ))
        };
        match (&column.ty, values) {
            (ColumnType::SmallInt, Column::SmallInt(f)) => fixed!(i16, f),
            (ColumnType::Integer, Column::Integer(f)) => fixed!(i32, f),
            (ColumnType::BigInt, Column::BigInt(f)) => fixed!(i64, f),
            (ColumnType::Double, Column::Double(f)) => fixed!(f64, f),
            (ColumnType::Boolean, Column::Boolean(f)) => fixed!(bool, f),
            (ColumnType::Varchar(_) | ColumnType::Char(_), Column::Text(spans)) => {
                // SAFETY: `output` is the scan's live output chunk, which has one vector per
                // column of `spec` (`bind` declared them), so `i` names one of them.
                let raw = unsafe { ffi::duckdb_data_chunk_get_vector(output.get_ptr(), i as u64) };
                for (row, span) in spans.iter().enumerate() {
                    if span.is_null() {
                        vector.set_null(row);
                        continue;
                    }
                    // `str::get` only gives whole characters of the batch's `String`: valid
                    // UTF-8, which is why DuckDB need not check it again. (The checking call
                    // validated every text a second time: 0.9 % of a run's instructions.)
                    let Some(text) = batch.text.get(span.start as usize..span.end as usize) else {
                        return Err(mismatch());
                    };
                    // SAFETY: `raw` is this VARCHAR column's vector, `row` is below its
                    // capacity (checked above), and DuckDB copies the bytes before returning.
                    unsafe {
                        ffi::duckdb_unsafe_vector_assign_string_element_len(
                            raw,
                            row as u64,
                            text.as_ptr().cast(),
                            text.len() as u64,
                        );
                    }
                }
            }
            _ => return Err(mismatch()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows with a lot of text go out in chunks of fewer rows: 2,048 records of up to 4 MB
    /// each would otherwise make one chunk of up to 8 GB (and several are in flight), and the
    /// cells' `u32` offsets rely on the limit. Nothing is lost or moved on the way.
    #[test]
    fn chunks_are_sent_before_their_text_passes_the_limit() {
        use load::wide::{COLUMNS, RECORD_TEXT, RECORDS, cell};
        let spec = load::wide::table();
        let input = load::wide::input();

        let converter = converter(&spec, &JsonFormat::Auto, false, Rule::default()).unwrap();
        let (sender, receiver) = mpsc::sync_channel(RECORDS);
        let spare = Mutex::new(Vec::new());
        let mut filler = Filler {
            spec: &spec,
            batch: Batch::new(&spec),
            chunks: &sender,
            spare: &spare,
            closed: false,
        };
        let mut errors = ErrorCollector::new(0);
        let file = SourceFile {
            location: "wide.json".into(),
            size: input.len() as u64,
            version: None,
        };
        let report = load::parse_file_into(
            &mut input.as_bytes(),
            &file,
            &spec,
            &converter,
            &mut FileTarget {
                filler: &mut filler,
                errors: &mut errors,
            },
        )
        .unwrap();
        assert_eq!(report.rows_loaded, RECORDS as u64, "{report:?}");

        let last = std::mem::replace(&mut filler.batch, Batch::new(&spec));
        drop(filler);
        drop(sender);
        let sent: Vec<Batch> = receiver.try_iter().collect();
        assert!(sent.len() >= 2, "{} chunks sent before the end", sent.len());
        for chunk in &sent {
            assert!(chunk.rows < CHUNK_ROWS);
            assert!(
                chunk.text.len() >= CHUNK_TEXT,
                "sent early: {}",
                chunk.text.len()
            );
            assert!(
                chunk.text.len() < CHUNK_TEXT + RECORD_TEXT,
                "{}",
                chunk.text.len()
            );
        }
        let mut record = 0;
        for chunk in sent.iter().chain([&last]) {
            for row in 0..chunk.rows {
                for column in 0..COLUMNS {
                    let Column::Text(spans) = &chunk.columns[column] else {
                        panic!("column {column}: not text");
                    };
                    let Span { start, end } = spans[row];
                    assert_eq!(
                        chunk.text.get(start as usize..end as usize),
                        Some(cell(record, column).as_str()),
                        "record {record} column {column}"
                    );
                }
                record += 1;
            }
        }
        assert_eq!(record, RECORDS);
    }
}
