//! The reader's tests: records cut at every place, over the limit, malformed, truncated.

use super::*;

fn collect(input: &str) -> Vec<(u64, Result<Value, String>)> {
    collect_from(input.as_bytes())
}

fn collect_from(input: impl Read) -> Vec<(u64, Result<Value, String>)> {
    let mut items = items(input);
    let mut got = Vec::new();
    while let Some(item) = items.next_item().unwrap() {
        got.push(match item {
            Item::Value {
                value: Record::Whole(value),
                line,
                ..
            } => (line, Ok(value)),
            Item::Value { value, .. } => panic!("not parsed whole: {value:?}"),
            Item::Malformed { line, reason, .. } => (line, Err(reason)),
        });
    }
    got
}

/// Hands out its bytes a few at a time, as a network body may, so records and numbers are
/// cut at every possible place.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.step = self.step % 7 + 1;
        let n = self.step.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn a_stream_cut_anywhere_reads_as_the_whole_input() {
    // Enough records to cross several chunks, with numbers, escapes, a bad line, a
    // truncated record and a pretty-printed one.
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "{{\"n\":{i},\"s\":\"a\\\"}}\\\\\",\"x\":12345678}}\n"
        ));
        if i % 500 == 7 {
            text.push_str("{\"a\": oops}\n{\"a\":12\n{\n  \"b\": [1,\n 2]\n}\n");
        }
    }
    let whole = collect(&text);
    assert_eq!(whole.len(), 3000 + 6 * 3);
    let trickled = collect_from(Trickle {
        bytes: text.as_bytes(),
        step: 0,
    });
    assert_eq!(trickled, whole);
    let mut items = items(text.as_bytes());
    while items.next_item().unwrap().is_some() {}
    assert_eq!(items.bytes_read(), text.len() as u64);
}

/// A small file costs a small buffer, and a file of small records of any length is read
/// through one of `READ` bytes: it grows by doubling, so that reads are large and the tail
/// moved to the front is small against what was read (a buffer left at 64 kB would move
/// nearly all of itself for each record).
#[test]
fn the_buffer_is_as_small_as_the_records_allow() {
    let mut small = items(&b"{\"a\":1}\n"[..]);
    while small.next_item().unwrap().is_some() {}
    assert_eq!(small.buf.len(), CHUNK);

    let text: String = (0..100_000)
        .map(|i| format!("{{\"n\":{i},\"s\":\"some text\"}}\n"))
        .collect();
    let mut large = items(text.as_bytes());
    let mut records = 0;
    while large.next_item().unwrap().is_some() {
        records += 1;
    }
    assert_eq!(records, 100_000);
    assert_eq!(large.bytes_read(), text.len() as u64);
    assert_eq!(large.buf.len(), READ);
}

#[test]
fn a_record_over_4_mb_is_measured_not_parsed_and_the_next_one_loads() {
    let huge = 20 * 1024 * 1024;
    let record = format!("{{\"a\":\"{}\",\"b\":[{{}}]}}", "x\\\"}".repeat(huge / 4));
    let text = format!("{{\"a\":1}}\n{record}\n{{\"a\":3}}\n");
    let mut items = items(text.as_bytes());
    let mut got = Vec::new();
    while let Some(item) = items.next_item().unwrap() {
        got.push(match item {
            Item::Value {
                value: Record::Whole(value),
                line,
                ..
            } => (line, Ok(value)),
            Item::Value { value, .. } => panic!("not parsed whole: {value:?}"),
            Item::Malformed { line, reason, .. } => (line, Err(reason)),
        });
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got[1],
        (
            2,
            Err(format!(
                "JSON object of {} bytes exceeds the 4 MB limit",
                record.len()
            ))
        )
    );
    assert_eq!(got[2], (3, Ok(serde_json::json!({"a": 3}))));
    // What was held at once stayed about twice the window, not the record.
    assert!(
        items.buf.capacity() <= 4 * WINDOW,
        "buffer of {} bytes",
        items.buf.capacity()
    );
}

#[test]
fn a_malformed_line_longer_than_the_window_costs_one_row() {
    let long = format!("{{\"a\": [{}oops]}}", "1,".repeat(3 * 1024 * 1024));
    let got = collect(&format!("{{\"a\":1}}\n{long}\n{{\"a\":3}}\n"));
    assert_eq!(got.len(), 3, "{:?}", &got[1]);
    assert_eq!(got[1].0, 2);
    assert!(
        got[1].1.as_ref().unwrap_err().contains("4 MB"),
        "{:?}",
        got[1]
    );
    assert_eq!(got[2], (3, Ok(serde_json::json!({"a": 3}))));
}

#[test]
fn a_record_that_never_ends_is_one_row_at_the_end_of_the_file() {
    let text = format!("{{\"a\":1}}\n{{\"a\":\"{}", "y".repeat(5 * 1024 * 1024));
    let got = collect(&text);
    assert_eq!(got.len(), 2);
    assert!(
        got[1].1.as_ref().unwrap_err().contains("file ends inside"),
        "{:?}",
        got[1]
    );
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

/// The fast reader counts a record's line breaks as it reads it (record::fast); each item
/// must still be on the line of its last byte, the line whole parsing gives, whether the
/// records before it spread over lines or not.
#[test]
fn planned_records_are_on_the_lines_of_whole_records() {
    let text = "{\"a\":1}{\"a\":2}\n\n{\n  \"a\": 3\n}\n{ \"a\" :\r\n 4 ,\n\"b\":\t5}\n\
                {\"a\": \"x\ny\"}\n{\"a\":\n[6]}\n{\"a\":7}\n\n\n{\"a\":\"8\"\n}";
    let lines = |mut items: Items<'_, &[u8]>| {
        let mut lines = Vec::new();
        while let Some(item) = items.next_item().unwrap() {
            lines.push(match item {
                Item::Value { line, .. } => (line, true),
                Item::Malformed { line, .. } => (line, false),
            });
        }
        lines
    };
    let whole = lines(items(text.as_bytes()));
    assert_eq!(
        whole,
        vec![
            (1, true),
            (1, true),
            (5, true),
            (8, true),
            (10, false),
            (12, true),
            (13, true),
            (17, true),
        ]
    );
    let plan = Plan::Exact(vec!["a".to_string()]);
    assert_eq!(lines(items_planned(text.as_bytes(), &plan)), whole);
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
    let got = collect_from(&bytes[..]);
    assert_eq!(got.len(), 3);
    assert!(
        matches!(&got[1], (2, Err(reason)) if reason.contains("UTF-8")),
        "{:?}",
        got[1]
    );
    assert!(matches!(got[2], (3, Ok(_))));
}
