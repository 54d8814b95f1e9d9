//! Printing query results and figures for people: aligned tables, CSV, JSON, and numbers with
//! thousands separators.

use std::io::Write;

use crate::error::{Error, Result};
use crate::value::QueryResult;
use crate::value::Value;

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Bytes for people: `3.6 MB`.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    match n {
        _ if n >= 1e9 => format!("{:.1} GB", n / 1e9),
        _ if n >= 1e6 => format!("{:.1} MB", n / 1e6),
        _ if n >= 1e3 => format!("{:.1} kB", n / 1e3),
        _ => format!("{n} B"),
    }
}

/// Seconds for people: `0.31 s`, `2 min 5 s`.
pub fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.2} s")
    } else {
        format!("{} min {} s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

/// A value as one line of text; NULL shows as `NULL`.
pub fn plain(cell: &Value) -> String {
    match cell {
        Value::Null => "NULL".to_string(),
        other => cell_text(other),
    }
}

fn cell_text(cell: &Value) -> String {
    match cell {
        Value::Null => String::new(),
        Value::Text(s) => s.clone(),
        Value::Int(v) => v.to_string(),
        Value::Double(v) => v.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

fn cell_json(cell: &Value) -> serde_json::Value {
    match cell {
        Value::Null => serde_json::Value::Null,
        Value::Text(s) => serde_json::Value::String(s.clone()),
        Value::Int(v) => serde_json::Value::from(*v),
        Value::Double(v) => serde_json::Number::from_f64(*v)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Bool(b) => serde_json::Value::Bool(*b),
    }
}

/// `text` with control characters written out (`\n`, `\t`, `\r`, others as `\u{1b}`), so
/// data printed on a terminal can neither move the cursor, recolour or retitle the terminal
/// (ESC sequences) nor break a table's layout. `keep_newlines` keeps line breaks and tabs, for
/// messages that are meant to span lines.
pub fn printable(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| c.is_control() && !(keep_newlines && (c == '\n' || c == '\t'));
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !escaped(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A terminal table; NULL shows as `NULL`, numbers right-aligned, control characters in the
/// data written out ([`printable`]).
pub fn table(result: &QueryResult) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(
        result
            .columns
            .iter()
            .map(|c| printable(c, false).into_owned()),
    );
    for row in &result.rows {
        t.add_row(row.iter().map(|c| {
            let cell = comfy_table::Cell::new(printable(&plain(c), false));
            if matches!(c, Value::Int(_) | Value::Double(_)) {
                cell.set_alignment(comfy_table::CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    format!(
        "{t}\n({} row{})",
        thousands(result.rows.len() as i64),
        if result.rows.len() == 1 { "" } else { "s" }
    )
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP's list).
const FORMULA_PREFIXES: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell a spreadsheet would run as a formula, made inert with a leading `'` (which
/// spreadsheets hide and treat as "this is text"). Numbers stay numbers: `-5` in an integer
/// column is data, not a formula.
fn formula_safe(cell: &Value) -> String {
    match cell {
        Value::Text(s) if s.starts_with(FORMULA_PREFIXES) => format!("'{s}"),
        other => cell_text(other),
    }
}

/// RFC 4180 CSV with a header row; NULL is an empty field. `formula_safe` (`--csv-safe`)
/// neutralises text cells and column names that start like a formula.
pub fn write_csv(result: &QueryResult, out: impl Write, formula_safe_cells: bool) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let err = |e: csv::Error| Error::io("writing CSV", std::io::Error::other(e));
    let header: Vec<String> = result
        .columns
        .iter()
        .map(|c| {
            if formula_safe_cells {
                formula_safe(&Value::Text(c.clone()))
            } else {
                c.clone()
            }
        })
        .collect();
    w.write_record(&header).map_err(err)?;
    for row in &result.rows {
        if formula_safe_cells {
            w.write_record(row.iter().map(formula_safe)).map_err(err)?;
        } else {
            w.write_record(row.iter().map(cell_text)).map_err(err)?;
        }
    }
    w.flush().map_err(|e| Error::io("writing CSV", e))
}

/// A JSON array of objects, one per row, keyed by column name.
pub fn write_json(result: &QueryResult, mut out: impl Write) -> Result<()> {
    let rows: Vec<serde_json::Value> = result
        .rows
        .iter()
        .map(|row| {
            let map: serde_json::Map<String, serde_json::Value> = result
                .columns
                .iter()
                .cloned()
                .zip(row.iter().map(cell_json))
                .collect();
            serde_json::Value::Object(map)
        })
        .collect();
    serde_json::to_writer_pretty(&mut out, &rows)
        .map_err(|e| Error::io("writing JSON", std::io::Error::other(e)))?;
    writeln!(out).map_err(|e| Error::io("writing JSON", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(6820), "6,820");
        assert_eq!(thousands(-1234567), "-1,234,567");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let r = QueryResult {
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec![Value::Text("x, \"y\"".into()), Value::Null]],
        };
        let mut buf = Vec::new();
        write_csv(&r, &mut buf, false).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "a,b\n\"x, \"\"y\"\"\",\n");
    }

    #[test]
    fn csv_safe_neutralises_formulas_in_text_but_not_numbers() {
        let r = QueryResult {
            columns: vec!["=name".into(), "n".into()],
            rows: vec![
                vec![
                    Value::Text("=HYPERLINK(\"http://x\")".into()),
                    Value::Int(-5),
                ],
                vec![Value::Text("+1".into()), Value::Double(-0.5)],
                vec![Value::Text("-2".into()), Value::Null],
                vec![Value::Text("@SUM(A1)".into()), Value::Int(1)],
                vec![Value::Text("\tx".into()), Value::Int(2)],
                vec![Value::Text("\rx".into()), Value::Int(3)],
                vec![Value::Text("plain = text".into()), Value::Int(4)],
            ],
        };
        let mut buf = Vec::new();
        write_csv(&r, &mut buf, true).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "'=name,n\n\"'=HYPERLINK(\"\"http://x\"\")\",-5\n'+1,-0.5\n'-2,\n'@SUM(A1),1\n\
             '\tx,2\n\"'\rx\",3\nplain = text,4\n"
        );
        // Without it, the data is written as it is.
        let mut buf = Vec::new();
        write_csv(&r, &mut buf, false).unwrap();
        assert!(String::from_utf8(buf).unwrap().contains("\n+1,-0.5\n"));
    }

    #[test]
    fn control_characters_from_data_are_written_out_on_the_terminal() {
        let r = QueryResult {
            columns: vec!["a\u{1b}]0;title\u{7}".into()],
            rows: vec![vec![Value::Text("red\u{1b}[31m\nline\ttab\r\u{9b}".into())]],
        };
        let t = table(&r);
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'), "{t:?}");
        assert!(t.contains("red\\u{1b}[31m\\nline\\ttab\\r\\u{9b}"), "{t}");
        assert!(t.contains("a\\u{1b}]0;title\\u{7}"), "{t}");
        assert_eq!(printable("two\nlines\u{1b}", true), "two\nlines\\u{1b}");
        assert_eq!(printable("plain", false), "plain");
    }
}
