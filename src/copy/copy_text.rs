//! Rows in the text format of PostgreSQL's `COPY ... FROM STDIN`: one line per row, cells
//! separated by tabs, `\N` for NULL, and backslash escapes for a backslash, tab, newline and
//! carriage return inside text.
//!
//! It lives beside the loader rather than in the PostgreSQL warehouse because the parser
//! threads write it ([`super::load`]): a sink that takes COPY text gets whole lines, and the
//! one thread that talks to the server only moves bytes. Building a `Vec<Value>` per row (a
//! `String` per text cell) and printing it on that thread was most of the client's work in a
//! PostgreSQL load, on the two cores the server's `COPY` needs one of (BENCHMARKS.md).

use super::Cells;
use super::words;
use crate::value::Value;

/// Appends `cell` to `buf` as COPY text.
///
/// Nothing allocates: numbers go through stack buffers, and text is copied in runs between
/// the bytes that need escaping. A double prints its shortest round-trip digits (ryu), which
/// the server reads back as the same double.
pub fn push_field(buf: &mut String, cell: &Value) {
    match cell {
        Value::Null => buf.push_str("\\N"),
        Value::Int(v) => buf.push_str(itoa::Buffer::new().format(*v)),
        Value::Double(v) => buf.push_str(ryu::Buffer::new().format(*v)),
        Value::Bool(b) => buf.push(if *b { 't' } else { 'f' }),
        Value::Text(s) => push_escaped(buf, s),
    }
}

/// Appends `row` to `buf` as one COPY text line, newline included.
pub fn push_row(buf: &mut String, row: &[Value]) {
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            buf.push('\t');
        }
        push_field(buf, cell);
    }
    buf.push('\n');
}

/// `text` with COPY's escapes: backslash, tab, newline and carriage return.
fn push_escaped(buf: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut from = 0;
    let mut at = 0;
    while let Some(found) = maybe_escaped(bytes, at) {
        let escape = match bytes[found] {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            b'\r' => "\\r",
            // Another control character, which the text format takes as it is.
            _ => {
                at = found + 1;
                continue;
            }
        };
        // Each byte found is ASCII, so every split falls on a character boundary.
        buf.push_str(&text[from..found]);
        buf.push_str(escape);
        (from, at) = (found + 1, found + 1);
    }
    buf.push_str(&text[from..]);
}

/// The offset of the first backslash or control character at or after `at`, the only bytes
/// that may need an escape; `None` when `bytes` ends first. Eight bytes at a time: every text
/// cell of a load passes through here, and a byte-by-byte search for four bytes was 8 % of a
/// PostgreSQL load's client time.
fn maybe_escaped(bytes: &[u8], at: usize) -> Option<usize> {
    words::find(
        bytes,
        at,
        |x| words::equal(x, b'\\') | words::below(x, 0x20),
        |b| b == b'\\' || b < 0x20,
    )
}

/// One row being written as a COPY text line at the end of a buffer, cell by cell, as
/// [`super::Converter::record_into`] hands them over. The line's newline is added by
/// [`Line::end`], once the row is known to be whole.
pub struct Line<'a> {
    buf: &'a mut String,
    /// Where the line starts, to take it back ([`Line::discard`]).
    start: usize,
    pub cells: usize,
}

impl<'a> Line<'a> {
    pub fn new(buf: &'a mut String) -> Line<'a> {
        let start = buf.len();
        Line {
            buf,
            start,
            cells: 0,
        }
    }

    /// Ends the line.
    pub fn end(self) {
        self.buf.push('\n');
    }

    /// Takes the line back out of the buffer: nothing of a rejected row stays.
    pub fn discard(self) {
        self.buf.truncate(self.start);
    }

    fn separate(&mut self) {
        if self.cells > 0 {
            self.buf.push('\t');
        }
        self.cells += 1;
    }
}

impl Cells for Line<'_> {
    fn value(&mut self, value: Value) {
        self.separate();
        push_field(self.buf, &value);
    }

    fn text(&mut self, text: &str) {
        self.separate();
        push_escaped(self.buf, text);
    }

    fn string(&mut self, text: String) {
        self.text(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_format_escapes() {
        let mut buf = String::new();
        for c in [
            Value::Text("a\tb\\c\nd".into()),
            Value::Text("é\r\\ü\t".into()),
            Value::Text("plain, ünïcode".into()),
            Value::Text(String::new()),
            Value::Null,
            Value::Double(269.58322),
            Value::Int(-3),
            Value::Int(i64::MIN),
            Value::Bool(true),
        ] {
            push_field(&mut buf, &c);
            buf.push('|');
        }
        assert_eq!(
            buf,
            "a\\tb\\\\c\\nd|é\\r\\\\ü\\t|plain, ünïcode||\\N|269.58322|-3|-9223372036854775808|t|"
        );
    }

    /// Every double is printed with digits that read back as the same double (PostgreSQL's
    /// float8in reads them as Rust's parser does), in the spellings the server accepts.
    #[test]
    fn copy_text_doubles_read_back_exactly() {
        for v in [
            0.1,
            -0.0,
            1e-7,
            1e16,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            269.58322,
            1542241826796.0,
            0.30000000000000004,
        ] {
            let mut buf = String::new();
            push_field(&mut buf, &Value::Double(v));
            let back: f64 = buf.parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v:?} printed as {buf}");
        }
        for (v, text) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            let mut buf = String::new();
            push_field(&mut buf, &Value::Double(v));
            assert_eq!(buf, text);
        }
    }

    /// Escaping word by word gives what escaping byte by byte gives, whatever the byte and
    /// wherever it falls in a word (and in the tail after the last whole word).
    #[test]
    fn escapes_wherever_the_byte_falls() {
        let by_bytes = |text: &str| {
            let mut out = String::new();
            for c in text.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
            out
        };
        let specials = [
            '\\', '\t', '\n', '\r', '\u{1}', '\u{1f}', ' ', '\u{7f}', 'é', '€', ']', '\\',
        ];
        for len in 0..20_usize {
            for at in 0..len.max(1) {
                for special in specials {
                    for second in [None, Some(len / 2), Some(len.saturating_sub(1))] {
                        let mut chars: Vec<char> =
                            "abcdefghijklmnopqrstuvwxyz".chars().take(len).collect();
                        if let Some(c) = chars.get_mut(at) {
                            *c = special;
                        }
                        if let Some(c) = second.and_then(|i| chars.get_mut(i)) {
                            *c = '\\';
                        }
                        let text: String = chars.into_iter().collect();
                        let mut buf = String::from("x");
                        push_escaped(&mut buf, &text);
                        assert_eq!(buf[1..], by_bytes(&text), "{text:?}");
                    }
                }
            }
        }
    }

    /// A line is its cells in order, tab-separated, as `push_field` prints each of them
    /// (whichever of the three ways the converter hands it over), ended by a newline; a
    /// dropped line leaves the buffer as it was.
    #[test]
    fn a_line_is_its_cells_and_a_dropped_line_leaves_nothing() {
        let mut buf = String::from("before\n");
        let mut line = Line::new(&mut buf);
        line.text("a\tb");
        line.value(Value::Null);
        line.string("c\\d".to_string());
        line.value(Value::Int(7));
        assert_eq!(line.cells, 4);
        line.end();
        assert_eq!(buf, "before\na\\tb\t\\N\tc\\\\d\t7\n");

        let kept = buf.clone();
        let mut line = Line::new(&mut buf);
        line.text("half a row");
        line.value(Value::Double(1.5));
        line.discard();
        assert_eq!(buf, kept);
    }
}
