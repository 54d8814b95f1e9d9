//! Splits a data file into root-level JSON values the way Redshift reads JSON data files:
//! objects (or arrays) separated by whitespace, each possibly spread over several lines.
//!
//! A malformed value does not end the file: it is reported with the line it was found on, and
//! reading resumes at the next line, so one bad line in an NDJSON file costs one row, not the
//! rest of the file. A record cut short (`{"a":12` and a line break) is only noticed on a later
//! line, often on the first byte of the next record; when a line after the bad record's first
//! starts with `{` or `[` in its first column, reading resumes at that line, so the truncated
//! record costs one row and the next record still loads.

//!
//! The input is read as a stream, in chunks, never whole: a file of any size costs a buffer of
//! at most 256 kB, or about the largest record when that is larger, and no more than 4 MB +
//! 1 byte of a record is ever looked at. A record that does not end within that window
//! exceeds Redshift's 4 MB limit; it is measured by scanning the stream (without parsing or
//! keeping it) and rejected as one row.

use std::io::{self, Read};

use serde::de::{DeserializeSeed, IgnoredAny};
use serde_json::Value;

use super::record::{Member, ObjectSeed, Plan, Record};

/// Redshift refuses a single JSON object larger than 4 MB.
pub const MAX_OBJECT_BYTES: usize = 4 * 1024 * 1024;

/// How much of a bad record is kept for `load_errors.raw_line`.
const RAW_LINE_BYTES: usize = 1024;

/// Bytes asked of the input at a time, and the first window a record is parsed in: most
/// records are far smaller, so most are parsed once, straight from the buffer.
const CHUNK: usize = 64 * 1024;

/// The buffer's usual size: reads of up to this much at a time.
const READ: usize = 256 * 1024;

/// The most of one record ever looked at: one byte past the limit shows a record is over it.
const WINDOW: usize = MAX_OBJECT_BYTES + 1;

/// One root-level item of a data file.
#[derive(Debug)]
pub enum Item<'a> {
    /// A parsed value, as far as the reader's [`Plan`] asks; `line` is the 1-based line its
    /// last byte is on (as in STL_LOAD_ERRORS); `raw` its text, for the error report when it
    /// cannot be converted.
    Value {
        value: Record,
        line: u64,
        raw: &'a [u8],
    },
    /// Text that is not valid JSON, or a value too large to load.
    Malformed {
        line: u64,
        reason: String,
        raw_line: String,
    },
}

/// Lossy, clipped copy of raw bytes for error reports. A NUL is written as its JSON escape
/// `\u0000`: PostgreSQL's text cannot hold one, and the report must be storable everywhere.
pub fn clip(bytes: &[u8]) -> String {
    let end = bytes.len().min(RAW_LINE_BYTES);
    String::from_utf8_lossy(&bytes[..end]).replace('\0', "\\u0000")
}

/// Reads the root-level items of a stream, one at a time ([`Items::next_item`]).
pub struct Items<'p, R> {
    input: R,
    /// Bytes read from `input` are `buf[..end]`; those before `pos` are done with. The rest of
    /// `buf` is room for the next read (zeroed once, when the buffer grew).
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// `input` has no more bytes.
    eof: bool,
    /// Line number (1-based) of `pos`.
    line: u64,
    /// Bytes read from `input` so far.
    read: u64,
    /// The byte-order mark check has been made.
    started: bool,
    /// How far each record is parsed (the converter's plan, borrowed for the file).
    plan: &'p Plan,
}

/// Items parsed whole, as `serde_json::Value`s.
pub fn items<R: Read>(input: R) -> Items<'static, R> {
    static WHOLE: Plan = Plan::Whole;
    items_planned(input, &WHOLE)
}

/// Items whose objects are parsed into the slots `plan` names ([`Record::Slots`]).
pub fn items_planned<R: Read>(input: R, plan: &Plan) -> Items<'_, R> {
    Items {
        plan,
        input,
        buf: Vec::new(),
        pos: 0,
        end: 0,
        eof: false,
        line: 1,
        read: 0,
        started: false,
    }
}

/// What [`Items::next_item`] found, before the value's text is lent out.
enum Found {
    Value {
        value: Record,
        len: usize,
        /// The line breaks in its `len` bytes, when already counted.
        lines: Option<u64>,
    },
    Malformed(u64, String, String),
}

impl<R: Read> Items<'_, R> {
    /// How many bytes were read from the input: its whole size once every item is read.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Reads until at least `want` unconsumed bytes are buffered, or the input ends.
    ///
    /// The buffer grows to [`READ`] bytes (more only when a record needs a larger window) and
    /// is read into as far as it has room. When the room left is too small, the unconsumed
    /// bytes (fewer than `want`) move to its front. Why: growing the buffer for each read
    /// zeroed every byte of the input before reading it, and dropping the consumed half of
    /// the buffer moved about as many bytes again.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        while self.end - self.pos < want && !self.eof {
            let need = want - (self.end - self.pos);
            if self.buf.len() - self.end < need {
                if self.pos > 0 {
                    self.buf.copy_within(self.pos..self.end, 0);
                    self.end -= self.pos;
                    self.pos = 0;
                }
                // Doubling up to `READ` (a small file costs a small buffer), and as far as a
                // large record needs.
                if self.buf.len() - self.end < need || self.buf.len() < READ {
                    let double = (self.buf.len() * 2).min(READ);
                    self.buf.resize((self.end + need).max(double).max(CHUNK), 0);
                }
            }
            let n = loop {
                match self.input.read(&mut self.buf[self.end..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.end += n;
            self.read += n as u64;
            self.eof = n == 0;
        }
        Ok(())
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.pos);
        self.line += count_newlines(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
    }

    fn skip_whitespace(&mut self) -> io::Result<()> {
        loop {
            self.fill(1)?;
            let avail = self.avail();
            let blanks = avail.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let all = blanks == avail.len();
            self.consume(blanks);
            if !all || self.eof {
                return Ok(());
            }
        }
    }

    /// Skips `at` buffered bytes, then up to and including the next line break, however far.
    fn skip_line_from(&mut self, at: usize) -> io::Result<()> {
        self.consume(at);
        loop {
            self.fill(1)?;
            let avail = self.avail();
            if avail.is_empty() {
                return Ok(());
            }
            match avail.iter().position(|&b| b == b'\n') {
                Some(p) => {
                    self.consume(p + 1);
                    return Ok(());
                }
                None => {
                    let n = avail.len();
                    self.consume(n);
                }
            }
        }
    }

    /// The next item, or `None` at the end of the input; an `Err` is a failed read.
    pub fn next_item(&mut self) -> io::Result<Option<Item<'_>>> {
        Ok(match self.find()? {
            None => None,
            Some(Found::Value { value, len, lines }) => {
                let start = self.pos;
                match lines {
                    // The fast reader counted them as it read the record.
                    Some(lines) => {
                        self.line += lines;
                        self.pos += len;
                    }
                    None => self.consume(len),
                }
                Some(Item::Value {
                    value,
                    line: self.line,
                    raw: &self.buf[start..start + len],
                })
            }
            Some(Found::Malformed(line, reason, raw_line)) => Some(Item::Malformed {
                line,
                reason,
                raw_line,
            }),
        })
    }

    fn find(&mut self) -> io::Result<Option<Found>> {
        if !self.started {
            self.started = true;
            // A UTF-8 byte-order mark is not JSON; editors on Windows add one, and dropping it
            // loses nothing.
            self.fill(3)?;
            if self.avail().starts_with(b"\xEF\xBB\xBF") {
                self.consume(3);
            }
        }
        self.skip_whitespace()?;
        if self.avail().is_empty() {
            return Ok(None);
        }
        let mut want = CHUNK;
        loop {
            self.fill(want)?;
            let avail = self.avail().len();
            let len = avail.min(want);
            // The window holds the rest of the input: nothing more can complete the record.
            let whole = self.eof && len == avail;
            let window = &self.buf[self.pos..self.pos + len];
            // The first try parses at once; a record that did not fit is then only measured
            // (nothing is built) until it is known to end within the limit.
            let measured = if want == CHUNK {
                parse_record(window, self.plan).map(|(value, end, lines)| (Some(value), end, lines))
            } else {
                measure(window).map(|end| (None, end, None))
            };
            match measured {
                Ok((value, end, lines)) => {
                    if end == len && !whole {
                        // A number may go on past the window; the next byte decides.
                        if len < WINDOW {
                            want = (want * 2).min(WINDOW);
                            continue;
                        }
                        return self.too_large().map(Some);
                    }
                    if end > MAX_OBJECT_BYTES {
                        return self.too_large().map(Some);
                    }
                    let (value, lines) = match value {
                        Some(value) => (value, lines),
                        None => match parse_record(&window[..end], self.plan) {
                            Ok((value, _, lines)) => (value, lines),
                            Err(e) => return self.bad(e, len, whole).map(Some),
                        },
                    };
                    return Ok(Some(Found::Value {
                        value,
                        len: end,
                        lines,
                    }));
                }
                Err(e) if e.is_eof() && !whole && len < WINDOW => {
                    want = (want * 2).min(WINDOW);
                }
                Err(e) => return self.bad(e, len, whole).map(Some),
            }
        }
    }

    /// The record at `pos` is unfinished and ends before `len` more bytes (at the next record,
    /// or the end of the file): one rejected row, on the line of its last byte (as for a
    /// parsed value), and reading resumes after it.
    fn unfinished(&mut self, len: usize, reason: String) -> Found {
        let bad = trim_end(&self.avail()[..len]);
        let line = self.line + count_newlines(bad);
        let raw_line = clip(bad);
        self.consume(len);
        Found::Malformed(line, reason, raw_line)
    }

    /// The record at `pos` failed to parse with `e` in a window of `len` bytes (`whole` when
    /// that is the rest of the input).
    fn bad(&mut self, e: serde_json::Error, len: usize, whole: bool) -> io::Result<Found> {
        let rest = &self.avail()[..len];
        if let Some(next) = next_record_start(rest, e.line()) {
            let next_line = self.line + count_newlines(&rest[..next]);
            return Ok(self.unfinished(
                next,
                format!(
                    "truncated JSON: the record is unfinished where the next one starts, on \
                     line {next_line}"
                ),
            ));
        }
        if e.is_eof() {
            if whole {
                return Ok(
                    self.unfinished(len, "truncated JSON: the file ends inside a value".into())
                );
            }
            // Valid so far and longer than the window.
            return self.too_large();
        }
        // serde_json reports the error's line relative to `pos`; find that line's end and
        // resume after it.
        let err_line = self.line + e.line().saturating_sub(1) as u64;
        let line_start = offset_of_line(rest, e.line());
        let err_offset = (line_start + e.column().saturating_sub(1)).min(len);
        let message = e.to_string();
        let reason = if message.contains("invalid unicode code point") {
            // Raw bytes that are not UTF-8; COPY fails these too unless ACCEPTINVCHARS.
            "invalid UTF-8 byte sequence (text must be UTF-8)".to_string()
        } else {
            format!("malformed JSON: {}", strip_position(&message))
        };
        // The bad line as far as the report keeps it, which may reach past the window.
        self.fill(line_start + RAW_LINE_BYTES)?;
        let rest = self.avail();
        let line_end = rest[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |p| line_start + p);
        let raw_line = clip(&rest[line_start..line_end]);
        self.skip_line_from(err_offset)?;
        Ok(Found::Malformed(err_line, reason, raw_line))
    }

    /// The record at `pos` goes on past the 4 MB limit: scans to its end through the stream,
    /// counting but not keeping its bytes, and rejects it as one row.
    fn too_large(&mut self) -> io::Result<Found> {
        let raw_line = clip(self.avail());
        let mut scan = Scan::default();
        let mut size: u64 = 0;
        let closed = loop {
            self.fill(1)?;
            let avail = self.avail();
            if avail.is_empty() {
                break false;
            }
            let (taken, done) = match scan.feed(avail) {
                Some(n) => (n, true),
                None => (avail.len(), false),
            };
            self.consume(taken);
            size += taken as u64;
            if done {
                break true;
            }
        };
        let reason = if closed {
            format!("JSON object of {size} bytes exceeds the 4 MB limit")
        } else {
            "truncated JSON: the file ends inside a value (of over 4 MB)".into()
        };
        Ok(Found::Malformed(self.line, reason, raw_line))
    }
}

/// The value at the start of `window` and the offset just past it.
fn parse_value(window: &[u8]) -> Result<(Value, usize), serde_json::Error> {
    let mut stream = serde_json::Deserializer::from_slice(window).into_iter::<Value>();
    match stream.next() {
        Some(Ok(value)) => Ok((value, stream.byte_offset())),
        Some(Err(e)) => Err(e),
        None => Err(serde::de::Error::custom("no value")),
    }
}

/// [`parse_value`] as far as `plan` asks: an object is parsed into its slots (the same parser,
/// the same errors), anything else whole. Also returns the line breaks in the record when the
/// fast reader counted them (otherwise `consume` counts them).
fn parse_record(
    window: &[u8],
    plan: &Plan,
) -> Result<(Record, usize, Option<u64>), serde_json::Error> {
    if !plan.slots() || window.first() != Some(&b'{') {
        return parse_value(window).map(|(value, end)| (Record::Whole(value), end, None));
    }
    // The plain record without serde (record::fast); anything else as before.
    Ok(match super::record::fast::object(window, plan) {
        Some((slots, end, lines)) => (Record::Slots(slots), end, Some(lines)),
        None => {
            let (slots, end) = object_slots(window, plan)?;
            (Record::Slots(slots), end, None)
        }
    })
}

/// The object at the start of `window` parsed by serde_json into `plan`'s slots, and the
/// offset just past it.
pub(super) fn object_slots(
    window: &[u8],
    plan: &Plan,
) -> Result<(Vec<Option<Member>>, usize), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(window);
    let slots = ObjectSeed(plan).deserialize(&mut de)?;
    // The deserializer has no public offset, but a stream made from it starts at its position:
    // just past the object's `}` (an object needs no delimiter after it, unlike a number).
    Ok((slots, de.into_iter::<IgnoredAny>().byte_offset()))
}

/// Where the value at the start of `window` ends, checked as JSON but not built.
fn measure(window: &[u8]) -> Result<usize, serde_json::Error> {
    let mut stream = serde_json::Deserializer::from_slice(window).into_iter::<IgnoredAny>();
    match stream.next() {
        Some(Ok(_)) => Ok(stream.byte_offset()),
        Some(Err(e)) => Err(e),
        None => Err(serde::de::Error::custom("no value")),
    }
}

/// Finds the end of a JSON value fed to it piece by piece, by brackets and strings alone.
#[derive(Default)]
struct Scan {
    depth: u64,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl Scan {
    /// How many bytes of `bytes` the value takes, when it ends among them.
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                // A bare number or word ends where whitespace or a comma starts.
                _ if self.depth == 0 && self.started && (b.is_ascii_whitespace() || b == b',') => {
                    return Some(i);
                }
                _ => {}
            }
            self.started = true;
        }
        None
    }
}

/// Where the next record starts when the record at the start of `rest` is unfinished: the
/// first line after the first, up to `err_line` (1-based, where the parser gave up), whose
/// first byte opens an object or array. NDJSON writers start every record in column 1, and the
/// parser takes `{"a":` followed by the next record as one value with a nested object, so the
/// error can be reported a line or more after the record that swallowed the bad one.
fn next_record_start(rest: &[u8], err_line: usize) -> Option<usize> {
    let mut line = 1;
    for (i, &b) in rest.iter().enumerate() {
        if b != b'\n' {
            continue;
        }
        line += 1;
        if line > err_line {
            return None;
        }
        if matches!(rest.get(i + 1), Some(b'{' | b'[')) {
            return Some(i + 1);
        }
    }
    None
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let blanks = bytes
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    &bytes[..bytes.len() - blanks]
}

/// Every consumed byte passes through here once, except a record the fast reader took (it
/// counts while it skips whitespace); `memchr` looks for the newline with SIMD, where a
/// byte-by-byte filter took 2 % of a 1M-event run's samples.
fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Byte offset where 1-based `line` starts in `bytes`.
fn offset_of_line(bytes: &[u8], line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    let mut seen = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            seen += 1;
            if seen == line - 1 {
                return i + 1;
            }
        }
    }
    bytes.len()
}

/// serde_json appends " at line L column C", which is relative to our restart point and so
/// misleading; the load error carries the absolute line instead.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |cut| &message[..cut])
}

#[cfg(test)]
mod tests;
