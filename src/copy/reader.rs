//! Splits a data file into root-level JSON values the way Redshift reads JSON data files:
//! objects (or arrays) separated by whitespace, each possibly spread over several lines.
//!
//! A malformed value does not end the file: it is reported with the line it was found on, and
//! reading resumes at the next line, so one bad line in an NDJSON file costs one row, not the
//! rest of the file. A record cut short (`{"a":12` and a line break) is only noticed on a later
//! line, often on the first byte of the next record; when a line after the bad record's first
//! starts with `{` or `[` in its first column, reading resumes at that line, so the truncated
//! record costs one row and the next record still loads.

use serde_json::Value;

/// Redshift refuses a single JSON object larger than 4 MB.
pub const MAX_OBJECT_BYTES: usize = 4 * 1024 * 1024;

/// How much of a bad record is kept for `load_errors.raw_line`.
const RAW_LINE_BYTES: usize = 1024;

/// One root-level item of a data file.
#[derive(Debug)]
pub enum Item {
    /// A parsed value; `line` is the 1-based line its last byte is on (as in STL_LOAD_ERRORS).
    Value {
        value: Value,
        line: u64,
        raw: RawSpan,
    },
    /// Text that is not valid JSON, or a value too large to load.
    Malformed {
        line: u64,
        reason: String,
        raw_line: String,
    },
}

/// Where a value sits in the file, so the raw text is only copied when an error needs it.
#[derive(Debug, Clone, Copy)]
pub struct RawSpan {
    pub start: usize,
    pub end: usize,
}

impl RawSpan {
    pub fn text(&self, bytes: &[u8]) -> String {
        clip(&bytes[self.start..self.end])
    }
}

/// Lossy, clipped copy of raw bytes for error reports. A NUL is written as its JSON escape
/// `\u0000`: PostgreSQL's text cannot hold one, and the report must be storable everywhere.
pub fn clip(bytes: &[u8]) -> String {
    let end = bytes.len().min(RAW_LINE_BYTES);
    String::from_utf8_lossy(&bytes[..end]).replace('\0', "\\u0000")
}

/// Iterator over the root-level items of `bytes`.
pub struct Items<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Line number (1-based) of `pos`.
    line: u64,
}

pub fn items(bytes: &[u8]) -> Items<'_> {
    // A UTF-8 byte-order mark is not JSON; editors on Windows add one, and dropping it loses
    // nothing.
    let pos = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    Items {
        bytes,
        pos,
        line: 1,
    }
}

impl Items<'_> {
    fn advance_to(&mut self, new_pos: usize) {
        let new_pos = new_pos.min(self.bytes.len());
        self.line += count_newlines(&self.bytes[self.pos..new_pos]);
        self.pos = new_pos;
    }

    /// Skips to the start of the line after the one containing `at`.
    fn skip_line_containing(&mut self, at: usize) {
        let at = at.min(self.bytes.len());
        let next = self.bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |p| at + p + 1);
        self.advance_to(next);
    }

    /// The record at `pos` is unfinished and ends before `len` more bytes (at the next record,
    /// or the end of the file): one rejected row, on the line of its last byte (as for a
    /// parsed value), and reading resumes after it.
    fn unfinished(&mut self, len: usize, reason: String) -> Item {
        let bad = trim_end(&self.bytes[self.pos..self.pos + len]);
        let line = self.line + count_newlines(bad);
        let raw_line = clip(bad);
        self.advance_to(self.pos + len);
        Item::Malformed {
            line,
            reason,
            raw_line,
        }
    }

    fn skip_whitespace(&mut self) {
        let start = self.pos;
        let skip = self.bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        self.advance_to(start + skip);
    }
}

impl Iterator for Items<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        self.skip_whitespace();
        if self.pos >= self.bytes.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.bytes[start..];
        let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                let end = start + stream.byte_offset();
                let raw = RawSpan { start, end };
                self.advance_to(end);
                // Redshift reports the line on which the object ends; `end` is just past it.
                let line = self.line;
                if end - start > MAX_OBJECT_BYTES {
                    return Some(Item::Malformed {
                        line,
                        reason: format!(
                            "JSON object of {} bytes exceeds the 4 MB limit",
                            end - start
                        ),
                        raw_line: raw.text(self.bytes),
                    });
                }
                Some(Item::Value { value, line, raw })
            }
            Some(Err(e)) => {
                if let Some(next) = next_record_start(rest, e.line()) {
                    let next_line = self.line + count_newlines(&rest[..next]);
                    return Some(self.unfinished(
                        next,
                        format!(
                            "truncated JSON: the record is unfinished where the next one \
                             starts, on line {next_line}"
                        ),
                    ));
                }
                if e.is_eof() {
                    return Some(self.unfinished(
                        rest.len(),
                        "truncated JSON: the file ends inside a value".into(),
                    ));
                }
                // serde_json reports the error's line relative to `start`; find that line's end
                // and resume after it.
                let err_line = self.line + e.line().saturating_sub(1) as u64;
                let err_offset = offset_of_line(rest, e.line()) + e.column().saturating_sub(1);
                let line_start = offset_of_line(rest, e.line());
                let line_end = rest[line_start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |p| line_start + p);
                let raw_line = clip(&rest[line_start..line_end]);
                let message = e.to_string();
                let reason = if message.contains("invalid unicode code point") {
                    // Raw bytes that are not UTF-8; COPY fails these too unless ACCEPTINVCHARS.
                    "invalid UTF-8 byte sequence (text must be UTF-8)".to_string()
                } else {
                    format!("malformed JSON: {}", strip_position(&message))
                };
                self.skip_line_containing(start + err_offset.min(rest.len()));
                Some(Item::Malformed {
                    line: err_line,
                    reason,
                    raw_line,
                })
            }
            None => None,
        }
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

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
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
mod tests {
    use super::*;

    fn collect(input: &str) -> Vec<(u64, Result<Value, String>)> {
        items(input.as_bytes())
            .map(|item| match item {
                Item::Value { value, line, .. } => (line, Ok(value)),
                Item::Malformed { line, reason, .. } => (line, Err(reason)),
            })
            .collect()
    }

    #[test]
    fn ndjson_without_trailing_newline() {
        let got = collect("{\"a\":1}\n{\"a\":2}");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, 1);
        assert_eq!(got[1].0, 2);
    }

    #[test]
    fn concatenated_and_pretty_printed_objects() {
        let got = collect("{\"a\":1}{\"a\":2}\n\n{\n  \"a\": 3\n}\n");
        let lines: Vec<u64> = got.iter().map(|g| g.0).collect();
        // The pretty-printed object ends on line 5.
        assert_eq!(lines, vec![1, 1, 5]);
        assert!(got.iter().all(|g| g.1.is_ok()));
    }

    #[test]
    fn a_malformed_line_costs_one_row_only() {
        let got = collect("{\"a\":1}\n{\"a\": oops}\n{\"a\":3}\n");
        assert_eq!(got.len(), 3);
        assert!(got[1].1.as_ref().unwrap_err().starts_with("malformed JSON"));
        assert_eq!(got[1].0, 2);
        assert_eq!(got[2], (3, Ok(serde_json::json!({"a": 3}))));
    }

    #[test]
    fn truncated_last_line_is_reported() {
        let got = collect("{\"a\":1}\n{\"a\": 2, \"b\"");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, 2);
        assert!(got[1].1.as_ref().unwrap_err().contains("truncated"));
    }

    #[test]
    fn a_truncated_record_costs_one_row_and_the_next_record_loads() {
        // Cut after a number, after a colon (the next record would become its value), before
        // the closing brace, and after a comma.
        for bad in ["{\"a\":12", "{\"a\":", "{\"a\":1,\"b\":\"x\"", "{\"a\":1,"] {
            let got = collect(&format!("{{\"a\":0}}\n{bad}\n{{\"a\":3}}\n{{\"a\":4}}\n"));
            assert_eq!(got.len(), 4, "{bad}: {got:?}");
            assert_eq!(got[1].0, 2, "{bad}: {got:?}");
            let reason = got[1].1.as_ref().unwrap_err();
            assert!(reason.contains("truncated JSON"), "{bad}: {reason}");
            assert!(reason.contains("line 3"), "{bad}: {reason}");
            assert_eq!(got[2], (3, Ok(serde_json::json!({"a": 3}))), "{bad}");
            assert_eq!(got[3], (4, Ok(serde_json::json!({"a": 4}))), "{bad}");
        }
    }

    #[test]
    fn a_truncated_last_record_is_reported_on_its_own_line() {
        let got = collect("{\"a\":1}\n{\"a\":\n\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, 2);
        assert!(got[1].1.as_ref().unwrap_err().contains("file ends inside"));
    }

    #[test]
    fn empty_whitespace_and_bom() {
        assert!(collect("").is_empty());
        assert!(collect("  \n\t\n ").is_empty());
        let got = collect("\u{feff}{\"a\":1}");
        assert_eq!(got, vec![(1, Ok(serde_json::json!({"a": 1})))]);
    }

    #[test]
    fn invalid_utf8_is_a_load_error_not_a_crash() {
        let bytes = b"{\"a\":\"ok\"}\n{\"a\":\"\xff\xfe\"}\n{\"a\":\"ok\"}";
        let got: Vec<Item> = items(bytes).collect();
        assert_eq!(got.len(), 3);
        assert!(
            matches!(&got[1], Item::Malformed { line: 2, reason, .. } if reason.contains("UTF-8")),
            "{:?}",
            got[1]
        );
        assert!(matches!(got[2], Item::Value { line: 3, .. }));
    }
}
