//! The common record, read without serde: a flat object whose values are text, numbers,
//! booleans and nulls, which is every record of the Sparkify logs and song files.
//!
//! Why: with a plan, serde_json still built a `Value` per member, which for a number under
//! `arbitrary_precision` is an allocated `String`, and for text another; a `perf` profile of the
//! 10M-event run put serde_json's parse at ~15 % of its samples, those `Value`s at ~11 % and the
//! allocator at ~12 % (BENCHMARKS.md, 2026-12-04). Here a member's text and numbers stay where
//! they are in the input ([`Member::Text`], [`Member::Number`]: byte ranges of the record), and
//! only text with escapes is built, once.
//!
//! What keeps COPY's behaviour exactly as it was: this reader accepts a record only when it is
//! sure serde_json would accept it and give the same slots, and answers `None` otherwise —
//! anything nested, a key with an escape, a surrogate escape, any byte out of place, a record
//! not finished in the window. The caller then parses the record with serde_json as before, so
//! every malformed record is still found, reported and worded by serde_json alone.
//! `tests::the_fast_reader_agrees_with_serde_json` holds the two side by side on mutated
//! records; `planned_rows_equal_whole_rows` on the hostile corpus and the sample.

use super::{Filling, Member, Plan};
use crate::copy::words;

/// The slots of the object at the start of `window` (which starts with `{`), the offset just
/// past its `}` and the line breaks up to there; `None` when the record is anything but the
/// plain case. The line breaks are counted as the whitespace is skipped, the only place one can be
/// (a raw line break in a string is a control character, refused): the reader then need not
/// count them in a second pass over the record, 2.5 % of the parser threads' time at 10M
/// events.
pub(in crate::copy) fn object(
    window: &[u8],
    plan: &Plan,
) -> Option<(Vec<Option<Member>>, usize, u64)> {
    let mut filling = Filling::<&[u8]>::new(plan);
    let mut lines = 0;
    let mut at = blank(window, 1, &mut lines);
    if window.get(at) == Some(&b'}') {
        return Some((filling.slots, at + 1, lines));
    }
    loop {
        if window.get(at) != Some(&b'"') {
            return None;
        }
        // Compared as bytes (a key that is not UTF-8 is refused by `plain_text`).
        let (start, end, _) = plain_text(window, at + 1)?;
        let key = &window[start..end];
        at = blank(window, end + 1, &mut lines);
        if window.get(at) != Some(&b':') {
            return None;
        }
        at = blank(window, at + 1, &mut lines);
        let (member, next) = value(window, at)?;
        filling.put(key, key, member);
        at = blank(window, next, &mut lines);
        match window.get(at) {
            Some(b',') => at = blank(window, at + 1, &mut lines),
            // The record is valid UTF-8: every string's bytes were checked as they were read
            // (`plain`, `text`), and everything between them is ASCII by JSON's grammar.
            Some(b'}') => return Some((filling.slots, at + 1, lines)),
            _ => return None,
        }
    }
}

/// JSON's whitespace, as serde_json skips it; its line breaks are added to `lines`.
fn blank(bytes: &[u8], mut at: usize, lines: &mut u64) -> usize {
    while let Some(&b @ (b' ' | b'\n' | b'\t' | b'\r')) = bytes.get(at) {
        *lines += u64::from(b == b'\n');
        at += 1;
    }
    at
}

/// The value at `at` and the offset just past it.
fn value(bytes: &[u8], at: usize) -> Option<(Member, usize)> {
    match *bytes.get(at)? {
        b'"' => text(bytes, at + 1),
        b'-' | b'0'..=b'9' => {
            let end = number(bytes, at)?;
            Some((Member::Number(at, end), end))
        }
        b't' => literal(bytes, at, b"true", Member::Bool(true)),
        b'f' => literal(bytes, at, b"false", Member::Bool(false)),
        b'n' => literal(bytes, at, b"null", Member::Null),
        // Objects and arrays (and anything else) are left to serde_json.
        _ => None,
    }
}

fn literal(bytes: &[u8], at: usize, word: &[u8], value: Member) -> Option<(Member, usize)> {
    let end = at + word.len();
    (bytes.get(at..end)? == word).then_some((value, end))
}

/// The text whose opening quote is just before `start`: a range of the input when it has no
/// escapes, built when it has.
///
/// Most text is short ASCII (a level, a page, a name: 3 to 30 bytes), for which one scan
/// ([`ascii_end`]) finds the closing quote and shows nothing needs checking; ASCII with
/// escapes (the user agents' `\/`) is built in that same scan ([`escaped_ascii`]). Anything
/// else (bytes above ASCII, a surrogate escape, a control character, a bad escape) takes
/// [`general_text`], as before. Why: a `memchr2` call and a separate fold over the bytes cost
/// about 90 instructions for a 10-byte text, twice per member with its key, and were a third
/// of the fast reader's instructions (callgrind; BENCHMARKS.md, 2026-12-05 morning).
fn text(bytes: &[u8], start: usize) -> Option<(Member, usize)> {
    if let Some(stop) = ascii_end(bytes, start) {
        match bytes[stop] {
            b'"' => {
                let text = Member::Text {
                    start,
                    end: stop,
                    ascii: true,
                };
                return Some((text, stop + 1));
            }
            b'\\' => {
                if let Some(found) = escaped_ascii(bytes, start, stop) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    general_text(bytes, start)
}

/// The offset of the first byte at or after `at` that plain ASCII text cannot hold as it is: a
/// quote, a backslash, a control character or a byte above ASCII; `None` when `bytes` ends
/// first. Eight bytes at a time ([`words`]).
fn ascii_end(bytes: &[u8], at: usize) -> Option<usize> {
    words::find(
        bytes,
        at,
        |x| {
            words::equal(x, b'"')
                | words::equal(x, b'\\')
                | words::below(x, 0x20)
                | (x & words::HIGH)
        },
        |b| matches!(b, b'"' | b'\\' | 0..0x20 | 0x80..),
    )
}

/// Text from `start` whose first backslash is at `first`, built in one scan while it is ASCII
/// and its escapes are simple or `\u` escapes of a character that is not a surrogate; `None`
/// hands the text to [`general_text`] (which also decides what is refused). What it builds is
/// what [`unescape`] builds.
fn escaped_ascii(bytes: &[u8], start: usize, first: usize) -> Option<(Member, usize)> {
    // Room for a user agent (about 110 bytes) without growing on the way.
    let mut out = Vec::with_capacity(first - start + 160);
    let (mut from, mut at) = (start, first);
    loop {
        out.extend_from_slice(&bytes[from..at]);
        match bytes[at] {
            b'"' => return Some((Member::String(String::from_utf8(out).ok()?), at + 1)),
            b'\\' => {}
            // A control character or a byte above ASCII.
            _ => return None,
        }
        let letter = *bytes.get(at + 1)?;
        if letter == b'u' {
            // A surrogate is not a `char`: serde_json's rules decide.
            let c = char::from_u32(hex_code(bytes.get(at + 2..at + 6)?)?)?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            from = at + 6;
        } else {
            out.push(escaped_byte(letter)?);
            from = at + 2;
        }
        at = ascii_end(bytes, from)?;
    }
}

/// [`text`] for any text: bytes above ASCII, surrogate escapes, control characters.
fn general_text(bytes: &[u8], start: usize) -> Option<(Member, usize)> {
    let stop = start + memchr::memchr2(b'"', b'\\', bytes.get(start..)?)?;
    if bytes[stop] == b'"' {
        let (start, end, ascii) = plain(bytes, start, stop)?;
        return Some((Member::Text { start, end, ascii }, end + 1));
    }
    // Escapes: find the closing quote (the byte after a backslash is never it), jumping from
    // one quote or backslash to the next (byte by byte, the user agents' escaped quotes made
    // this loop 1 % of a run's instructions).
    let mut at = stop;
    let end = loop {
        match *bytes.get(at)? {
            b'\\' => at += 2,
            _ => break at,
        }
        at += memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
    };
    let raw = std::str::from_utf8(&bytes[start..end]).ok()?;
    if lowest_and_any(raw.as_bytes()).0 < 0x20 {
        return None;
    }
    let text = match unescape(raw) {
        Some(text) => text,
        // A surrogate pair (or a lone surrogate): serde_json's own rules decide.
        None => serde_json::from_slice::<String>(&bytes[start - 1..=end]).ok()?,
    };
    Some((Member::String(text), end + 1))
}

/// Text without escapes from `start` to its closing quote, when serde_json would take it as it
/// is: valid UTF-8 without a control character. The flag says it is all ASCII.
fn plain_text(bytes: &[u8], start: usize) -> Option<(usize, usize, bool)> {
    // Most keys are short ASCII: one scan shows there is nothing to check ([`text`]).
    if let Some(stop) = ascii_end(bytes, start)
        && bytes[stop] == b'"'
    {
        return Some((start, stop, true));
    }
    let stop = start + memchr::memchr2(b'"', b'\\', bytes.get(start..)?)?;
    if bytes[stop] != b'"' {
        return None;
    }
    plain(bytes, start, stop)
}

/// [`plain_text`] of the text between `start` and its closing quote at `stop`. One pass finds
/// control characters and bytes above ASCII; only text with the latter has its UTF-8 checked
/// (most text is ASCII, which is UTF-8), and the flag lets the converter skip what cannot
/// apply to ASCII (the mojibake repair). Why not one check of the whole record's UTF-8 at its
/// end: the converter checks the record again to lend its text out as `&str`, and two whole
/// passes over every record were 5 % of the parser threads' time at 10M events.
fn plain(bytes: &[u8], start: usize, stop: usize) -> Option<(usize, usize, bool)> {
    let text = &bytes[start..stop];
    let (lowest, any) = lowest_and_any(text);
    let (control, high) = (lowest < 0x20, any >= 0x80);
    if control || (high && std::str::from_utf8(text).is_err()) {
        return None;
    }
    Some((start, stop, !high))
}

/// The smallest byte of `bytes` (0xFF when empty) and all of them OR-ed together: whether
/// they hold a control character, or a NUL, and whether any is above ASCII. Two reductions
/// without an early exit, which the compiler turns into instructions that take 16 bytes at a
/// time; a loop of two `bool` flags was not (callgrind: 3 instructions per byte per flag).
pub(in crate::copy) fn lowest_and_any(bytes: &[u8]) -> (u8, u8) {
    bytes
        .iter()
        .fold((u8::MAX, 0), |(lowest, any), &b| (lowest.min(b), any | b))
}

/// `raw` (the text between the quotes) with its escapes replaced; `None` for a `\u` escape of a
/// surrogate, which serde_json pairs (or refuses) by rules of its own. Every other escape is
/// as serde_json reads it; an invalid one is `None` too, and serde_json reports it.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = *rest.as_bytes().get(at + 1)?;
        // Only an ASCII escape letter is valid, so `at + 2` is then a character boundary.
        if !escape.is_ascii() {
            return None;
        }
        rest = &rest[at + 2..];
        out.push(match escape {
            b'u' => {
                let code = hex_code(rest.as_bytes().get(..4)?)?;
                // Four ASCII hex digits: byte 4 is a character boundary.
                rest = &rest[4..];
                // A surrogate is not a `char`.
                char::from_u32(code)?
            }
            letter => char::from(escaped_byte(letter)?),
        });
    }
    out.push_str(rest);
    Some(out)
}

/// The byte a one-letter JSON escape stands for (`n`: a line break); `None` for `u`, which
/// [`hex_code`] reads, and for any letter JSON does not define.
fn escaped_byte(letter: u8) -> Option<u8> {
    Some(match letter {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        _ => return None,
    })
}

/// The code point of a `\u` escape's four hex digits (either case); `None` when `hex` is not
/// four of them.
fn hex_code(hex: &[u8]) -> Option<u32> {
    if hex.len() != 4 {
        return None;
    }
    hex.iter().try_fold(0, |code, &digit| {
        Some(code * 16 + char::from(digit).to_digit(16)?)
    })
}

/// The end of the number at `at`, when it follows JSON's grammar
/// (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`), as serde_json checks it.
fn number(bytes: &[u8], mut at: usize) -> Option<usize> {
    let digits = |at: usize| {
        bytes
            .get(at..)
            .map_or(0, |b| b.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at += digits(at),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let n = digits(at + 1);
        if n == 0 {
            return None;
        }
        at += 1 + n;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        let n = digits(at);
        if n == 0 {
            return None;
        }
        at += n;
    }
    // A digit straight after a leading zero (`01`) is not a number serde_json takes; the caller
    // refuses it, as any byte other than a delimiter after a value.
    Some(at)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value as Json;

    use super::super::super::reader::object_slots;
    use super::super::super::{Converter, JsonFormat, jsonpaths};
    use super::*;

    /// Records that probe the fast reader's edges: every kind of number, escapes (simple,
    /// `\u`, surrogate pairs, lone surrogates, invalid ones), control characters, white space,
    /// duplicate and differently cased keys, nesting, and bytes that are not UTF-8.
    const SEEDS: &[&[u8]] = &[
        br#"{"id":1,"name":"plain","n":null}"#,
        br#"{ "id" : -0.5e+10 , "name" : "sp\u00e4ter \"quoted\" \/ \\ \n\t" , "n" : true }"#,
        br#"{"id":0,"Name":"a","name":"b","NAME":"c","Name":"d","n":false}"#,
        br#"{"id":12345678901234567890123,"name":"\ud83d\ude00 pair","n":1E-3}"#,
        br#"{"id":2,"name":"\ud800 lone","n":"\udc00"}"#,
        br#"{"id":3,"name":"bad \x escape","n":"\u12G4"}"#,
        br#"{"id":4,"n":{"k":[1,2,{"deep":"x"}]},"name":[]}"#,
        br#"{"i\u0064":5,"name":"escaped key"}"#,
        b"{\"id\":6,\"name\":\"plain\",\"n\":\"caf\xc3\xa9\"}",
        b"{\"id\":7,\"name\":\"bad \xff utf8\",\"unused\":\"\xc3\"}",
        b"{\"id\":8,\r\n\"name\":\"multi line\"\n}",
        br#"{}"#,
        br#"{"id":01,"name":"leading zero"}"#,
        br#"{"id":1.,"name":"no fraction","n":-}"#,
        br#"{"id":9,"name":"trailing comma",}"#,
        br#"{"id":10 "name":"no comma"}"#,
        br#"{"id":11,"name":"after"}  {"next":1}"#,
        br#"{"ID":12,"id":13,"Id":14,"n":"1e400"}"#,
        br#"{"id":15,"name":nul,"n":tru}"#,
        br#"{"id":16,"name":"\u0000 NUL","n":"\u001f"}"#,
        b"{\"id\":17,\"name\":\"raw\ttab\"}",
        // Texts longer than a word of eight bytes, with escapes of each kind among them, so
        // that the mutations below put every kind of byte at every place of a word.
        br#"{"id":18,"name":"Mozilla\/5.0 (X11; Linux x86_64) \"q\" caf\u00e9 \\ end","n":"plain text of 30 bytes or so."}"#,
    ];

    /// The slots as values serde_json would have built, for comparing the two readers.
    fn built(slots: &[Option<Member>], raw: &[u8]) -> Vec<Option<Json>> {
        let raw = std::str::from_utf8(raw).expect("an accepted record is UTF-8");
        slots
            .iter()
            .map(|m| {
                m.as_ref()
                    .map(|m| m.to_json(raw).expect("ranges within the record"))
            })
            .collect()
    }

    /// Every record the fast reader accepts, serde_json accepts too, ending at the same byte
    /// with the same slots. Checked on the seeds and on every one-byte deletion, and insertion
    /// and replacement of a byte that matters to JSON, at every place; returns how many of the
    /// texts the fast reader took.
    fn agree(seed: &[u8], plans: &[Plan]) -> usize {
        const BYTES: &[u8] = b"\"\\,:{}[] \t\n0-.eE+tnu\x00\x1f\xff\xc3\x7f";
        let mut texts = vec![seed.to_vec()];
        for at in 0..seed.len() {
            let mut deleted = seed.to_vec();
            deleted.remove(at);
            texts.push(deleted);
            for &b in BYTES {
                let mut inserted = seed.to_vec();
                inserted.insert(at, b);
                texts.push(inserted);
                let mut replaced = seed.to_vec();
                replaced[at] = b;
                texts.push(replaced);
            }
        }
        let mut taken = 0;
        for text in texts.iter().filter(|t| t.first() == Some(&b'{')) {
            for plan in plans {
                let Some((slots, end, lines)) = object(text, plan) else {
                    continue;
                };
                taken += 1;
                let shown = String::from_utf8_lossy(text);
                assert_eq!(lines, newlines(&text[..end]), "{shown}");
                let (expected, expected_end) = object_slots(text, plan)
                    .unwrap_or_else(|e| panic!("fast took what serde_json refuses ({e}): {shown}"));
                assert_eq!(end, expected_end, "{shown}");
                assert_eq!(
                    built(&slots, &text[..end]),
                    built(&expected, &text[..end]),
                    "{plan:?} on {shown}"
                );
            }
        }
        taken
    }

    fn newlines(text: &[u8]) -> u64 {
        text.iter().filter(|&&b| b == b'\n').count() as u64
    }

    fn plans(keys: &[&str]) -> Vec<Plan> {
        vec![
            Plan::Exact(keys.iter().map(|k| k.to_string()).collect()),
            Plan::IgnoreCase(keys.iter().map(|k| k.to_ascii_lowercase()).collect()),
        ]
    }

    #[test]
    fn the_fast_reader_agrees_with_serde_json() {
        let plans = plans(&["id", "name", "n", "Name"]);
        let mut taken = 0;
        for seed in SEEDS {
            taken += agree(seed, &plans);
        }
        // The point of the reader: the plain records are its own, escapes and all. (A reader
        // that always answered `None` would agree with serde_json, and gain nothing.)
        for plain in [0, 1, 2, 3, 8, 10, 11, 16, 17, 19, 21].map(|i| SEEDS[i]) {
            for plan in &plans {
                let shown = String::from_utf8_lossy(plain);
                let (slots, _, _) =
                    object(plain, plan).unwrap_or_else(|| panic!("not taken: {shown}"));
                assert!(
                    !slots.iter().flatten().any(|m| matches!(m, Member::Json(_))),
                    "{shown}"
                );
            }
        }
        // Left to serde_json: nesting, surrogates, bad escapes, keys with escapes.
        let left = [4, 5, 6, 7, 9, 12, 13, 14, 15, 18, 20].map(|i| SEEDS[i]);
        for left in left {
            for plan in &plans {
                assert!(
                    object(left, plan).is_none(),
                    "{}",
                    String::from_utf8_lossy(left)
                );
            }
        }
        assert!(taken > 10_000, "the fast reader took only {taken} texts");
    }

    /// The word-at-a-time scan stops where a byte-by-byte one does, whatever the byte and
    /// wherever it falls in a word, and finds nothing when there is nothing.
    #[test]
    fn ascii_end_stops_where_a_byte_loop_stops() {
        let stops = |b: u8| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b);
        let by_bytes = |bytes: &[u8], at: usize| {
            bytes
                .get(at..)?
                .iter()
                .position(|&b| stops(b))
                .map(|p| at + p)
        };
        let mut checked = 0;
        for len in 0..40 {
            for at in 0..=len {
                let plain = vec![b'a'; len];
                assert_eq!(ascii_end(&plain, at), None);
                for place in at..len {
                    // Every byte value at every place, with a second one after it (the bit
                    // tricks may flag bytes after the first one wrongly, never before).
                    for byte in 0..=u8::MAX {
                        let mut bytes = plain.clone();
                        bytes[place] = byte;
                        if place + 1 < len {
                            bytes[place + 1] = b'"';
                        }
                        assert_eq!(
                            ascii_end(&bytes, at),
                            by_bytes(&bytes, at),
                            "{bytes:?} {at}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
        // Past the end of the bytes.
        assert_eq!(ascii_end(b"abc", 4), None);
    }

    #[test]
    fn the_fast_reader_takes_the_sample_and_agrees_on_it() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sparkify");
        // The plans the pipeline reads the sample with: its JSONPaths for the events, 'auto'
        // (and 'auto ignorecase') for the songs.
        let jsonpaths = std::fs::read(data.join("log_json_path.json")).expect("the JSONPaths");
        let paths = jsonpaths::parse_file(&jsonpaths).expect("valid JSONPaths");
        let plan = |table: &str, format: JsonFormat| {
            let table = crate::sql::table_spec(table).expect("a staging table");
            let converter = Converter::new(&table, &format, true).expect("a converter");
            converter.plan().clone()
        };
        let events = [plan("staging_events", JsonFormat::Paths(paths))];
        let songs = [
            plan("staging_songs", JsonFormat::Auto),
            plan("staging_songs", JsonFormat::AutoIgnoreCase),
        ];
        let (mut records, mut fast) = (0, 0);
        for entry in walkdir::WalkDir::new(&data).sort_by_file_name() {
            let entry = entry.expect("the sample is readable");
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let plans: &[Plan] = if path.starts_with(data.join("log_data")) {
                &events
            } else if path.starts_with(data.join("song_data")) {
                &songs
            } else {
                continue;
            };
            let text = std::fs::read(path).expect("a sample file");
            for line in text
                .split(|&b| b == b'\n')
                .filter(|l| l.first() == Some(&b'{'))
            {
                for plan in plans {
                    records += 1;
                    let Some((slots, end, _)) = object(line, plan) else {
                        continue;
                    };
                    fast += 1;
                    let (expected, expected_end) = object_slots(line, plan).expect("valid JSON");
                    assert_eq!(end, expected_end);
                    assert_eq!(built(&slots, &line[..end]), built(&expected, &line[..end]));
                }
            }
        }
        // Every record of the sample is a flat object: all of them take the fast way.
        assert_eq!(fast, records);
        assert!(records > 8000, "{records}");
    }
}
