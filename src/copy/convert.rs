//! One JSON value into one column type under COPY's data-conversion rules, including the
//! options that change them (`copy-parameters-data-conversion`): TIMEFORMAT, DATEFORMAT,
//! TRUNCATECOLUMNS, BLANKSASNULL, EMPTYASNULL, ROUNDEC. Without options the rules are the ones
//! the pipeline has always loaded its staging tables by.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value as Json;

use super::mojibake;
use super::statement::{CopyOption, TimeFormat};
use crate::schema::ColumnType;
use crate::value::Value;

/// The data-conversion options of a COPY; the default is COPY without any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversion {
    /// TIMEFORMAT; `None` is Redshift's default, `YYYY-MM-DD HH:MI:SS`.
    pub time_format: Option<TimeFormat>,
    /// DATEFORMAT; `None` is Redshift's default, `YYYY-MM-DD`.
    pub date_format: Option<TimeFormat>,
    /// TRUNCATECOLUMNS: text longer than its column is cut (and counted) instead of rejected.
    pub truncate_columns: bool,
    /// BLANKSASNULL: text of white space only loads NULL into CHAR/VARCHAR.
    pub blanks_as_null: bool,
    /// EMPTYASNULL: `""` loads NULL into CHAR/VARCHAR.
    pub empty_as_null: bool,
    /// ROUNDEC: extra decimal digits round instead of being truncated.
    pub round_dec: bool,
    /// ACCEPTINVCHARS: each byte of invalid UTF-8 becomes this character instead of
    /// rejecting its row.
    pub accept_inv_chars: Option<char>,
}

impl Conversion {
    /// The data-conversion options among `options`; any other option is an error naming
    /// it (`what` says where the options came from).
    pub fn from_options(options: &[CopyOption], what: &str) -> Result<Conversion, String> {
        let mut c = Conversion::default();
        for option in options {
            match option {
                CopyOption::TimeFormat(f) => c.time_format = Some(f.clone()),
                CopyOption::DateFormat(f) => c.date_format = Some(f.clone()),
                CopyOption::TruncateColumns => c.truncate_columns = true,
                CopyOption::BlanksAsNull => c.blanks_as_null = true,
                CopyOption::EmptyAsNull => c.empty_as_null = true,
                CopyOption::RoundDec => c.round_dec = true,
                CopyOption::AcceptInvChars(ch) => c.accept_inv_chars = Some(*ch),
                CopyOption::Compressed(c) => {
                    return Err(format!(
                        "{what} takes the data-conversion options only; {} is not needed: the \
                         pipeline decompresses each file its name says is compressed (.gz, \
                         .zst, .bz2), and the Redshift COPY gets the keyword from those names",
                        c.keyword()
                    ));
                }
                other => {
                    return Err(format!(
                        "{what} takes the data-conversion options only (TIMEFORMAT, DATEFORMAT, \
                         ACCEPTINVCHARS, TRUNCATECOLUMNS, BLANKSASNULL, EMPTYASNULL, ROUNDEC); \
                         {} has a setting of its own",
                        other.keyword()
                    ));
                }
            }
        }
        Ok(c)
    }

    /// The options as COPY words, in one fixed order, values not yet quoted: what a Redshift
    /// COPY carries so it converts as the local loader does.
    pub fn words(&self) -> Vec<(&'static str, Option<String>)> {
        let format = |f: &TimeFormat| match f {
            TimeFormat::Auto => "auto".to_string(),
            TimeFormat::EpochSecs => "epochsecs".to_string(),
            TimeFormat::EpochMillisecs => "epochmillisecs".to_string(),
            TimeFormat::Pattern(p) => p.clone(),
        };
        let mut words = Vec::new();
        if let Some(f) = &self.time_format {
            words.push(("TIMEFORMAT", Some(format(f))));
        }
        if let Some(f) = &self.date_format {
            words.push(("DATEFORMAT", Some(format(f))));
        }
        if let Some(c) = self.accept_inv_chars {
            words.push(("ACCEPTINVCHARS AS", Some(c.to_string())));
        }
        for (on, word) in [
            (self.truncate_columns, "TRUNCATECOLUMNS"),
            (self.blanks_as_null, "BLANKSASNULL"),
            (self.empty_as_null, "EMPTYASNULL"),
            (self.round_dec, "ROUNDEC"),
        ] {
            if on {
                words.push((word, None));
            }
        }
        words
    }
}

/// What the conversions changed silently, counted so it can be reported.
#[derive(Debug, Default)]
pub struct Tally {
    /// Values cut by TRUNCATECOLUMNS.
    pub truncated: AtomicU64,
    /// Bytes of invalid UTF-8 replaced by ACCEPTINVCHARS, and the lines they were on.
    pub replaced: AtomicU64,
    pub replaced_lines: AtomicU64,
}

/// With ACCEPTINVCHARS, `bytes` with each byte of every invalid UTF-8 sequence replaced by
/// `with`, counted in `tally`; `None` when the bytes are valid UTF-8 already. The loader
/// streams files through [`ReplaceInvalid`]; this is the same repair of bytes in memory.
pub fn replace_invalid_utf8(bytes: &[u8], with: char, tally: &Tally) -> Option<Vec<u8>> {
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    // Reading a slice cannot fail.
    ReplaceInvalid::new(bytes, with, tally)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// ACCEPTINVCHARS as a `Read` adapter: the stream under it with each byte of every invalid
/// UTF-8 sequence replaced by `with` (`copy-parameters-data-conversion`: "an invalid
/// three-byte character will be replaced with '^^^'"), counted in `tally` (bytes, and the lines
/// they are on). A sequence cut by a read's boundary is kept back until the next read decides
/// whether it is whole, so the result does not depend on how the stream is chunked; only at
/// the stream's end is an unfinished sequence invalid. `with` is ASCII (the statement parser
/// allows nothing else), so the result is valid UTF-8.
pub struct ReplaceInvalid<'t, R> {
    inner: R,
    with: u8,
    tally: &'t Tally,
    /// Bytes read but not yet repaired: at most the start of one sequence (3 bytes) between
    /// reads.
    input: Vec<u8>,
    /// Repaired bytes not yet handed out, from `done` on.
    output: Vec<u8>,
    done: usize,
    eof: bool,
    /// The line (1-based) the next byte is on, and the last line a replacement was counted on.
    line: u64,
    counted: u64,
}

/// Bytes asked of the stream under [`ReplaceInvalid`] at a time.
const REPAIR_CHUNK: usize = 64 * 1024;

impl<'t, R: Read> ReplaceInvalid<'t, R> {
    pub fn new(inner: R, with: char, tally: &'t Tally) -> Self {
        ReplaceInvalid {
            inner,
            with: u8::try_from(with).ok().filter(u8::is_ascii).unwrap_or(b'?'),
            tally,
            input: Vec::new(),
            output: Vec::new(),
            done: 0,
            eof: false,
            line: 1,
            counted: 0,
        }
    }

    fn valid(&mut self, bytes: &[u8]) {
        self.line += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        self.output.extend_from_slice(bytes);
    }

    fn replace(&mut self, n: usize) {
        self.output.extend(std::iter::repeat_n(self.with, n));
        self.tally.replaced.fetch_add(n as u64, Ordering::Relaxed);
        if self.line != self.counted {
            self.tally.replaced_lines.fetch_add(1, Ordering::Relaxed);
            self.counted = self.line;
        }
    }

    /// Repairs what `input` holds into `output`, keeping back an unfinished sequence at its
    /// end unless the stream has ended.
    fn repair(&mut self) {
        let input = std::mem::take(&mut self.input);
        let mut rest = &input[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(_) => {
                    self.valid(rest);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (good, after) = rest.split_at(e.valid_up_to());
                    self.valid(good);
                    match e.error_len() {
                        Some(n) => {
                            self.replace(n);
                            rest = &after[n..];
                        }
                        // Unfinished at the end: the next read may complete it.
                        None if !self.eof => {
                            rest = after;
                            break;
                        }
                        None => {
                            self.replace(after.len());
                            rest = &[];
                            break;
                        }
                    }
                }
            }
        }
        self.input = rest.to_vec();
    }
}

impl<R: Read> Read for ReplaceInvalid<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.done == self.output.len() {
            if self.eof && self.input.is_empty() {
                return Ok(0);
            }
            self.output.clear();
            self.done = 0;
            if !self.eof {
                let old = self.input.len();
                self.input.resize(old + REPAIR_CHUNK, 0);
                let n = loop {
                    match self.inner.read(&mut self.input[old..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            self.input.truncate(old);
                            return Err(e);
                        }
                    }
                };
                self.input.truncate(old + n);
                self.eof = n == 0;
            }
            self.repair();
        }
        let n = out.len().min(self.output.len() - self.done);
        out[..n].copy_from_slice(&self.output[self.done..self.done + n]);
        self.done += n;
        Ok(n)
    }
}

/// One JSON value as the conversion looks at it: text and numbers borrowed, from a `Value`
/// serde_json built or straight from the input (copy::record::fast).
#[derive(Debug, Clone, Copy)]
pub enum View<'a> {
    Null,
    Bool(bool),
    Text(&'a str),
    /// The number as written (serde_json's `arbitrary_precision` keeps that text too).
    Number(&'a str),
    /// An array or an object.
    Nested(&'a Json),
}

impl<'a> View<'a> {
    pub fn of(value: &'a Json) -> Self {
        match value {
            Json::Null => View::Null,
            Json::Bool(b) => View::Bool(*b),
            Json::String(s) => View::Text(s),
            Json::Number(n) => View::Number(n.as_str()),
            Json::Array(_) | Json::Object(_) => View::Nested(value),
        }
    }

    /// The value's JSON text, as a load error shows it (text without its quotes).
    pub fn raw_text(self) -> String {
        match self {
            View::Null => "null".into(),
            View::Bool(b) => b.to_string(),
            View::Text(s) | View::Number(s) => s.to_string(),
            View::Nested(json) => json.to_string(),
        }
    }
}

/// Converts one JSON value to a column type under COPY's rules.
pub fn convert(
    value: &Json,
    ty: ColumnType,
    repair_mojibake: bool,
    conv: &Conversion,
    tally: &Tally,
) -> Result<Value, String> {
    convert_view(View::of(value), ty, repair_mojibake, conv, tally)
}

/// [`convert`] of a [`View`].
pub fn convert_view(
    value: View<'_>,
    ty: ColumnType,
    repair_mojibake: bool,
    conv: &Conversion,
    tally: &Tally,
) -> Result<Value, String> {
    let text_cell = |text: String, max: u32| text_cell(text, max, conv, tally);
    match value {
        View::Null => Ok(Value::Null),
        View::Text(s) => match ty {
            ColumnType::Varchar(max) | ColumnType::Char(max) => {
                if (conv.empty_as_null && s.is_empty())
                    || (conv.blanks_as_null && !s.is_empty() && s.trim().is_empty())
                {
                    return Ok(Value::Null);
                }
                let text = if repair_mojibake {
                    mojibake::repair(s).unwrap_or_else(|| s.to_string())
                } else {
                    s.to_string()
                };
                text_cell(text, max)
            }
            // COPY loads an empty string as NULL into any non-character column.
            _ if s.is_empty() => Ok(Value::Null),
            ColumnType::Boolean => parse_bool(s.trim()),
            ColumnType::Double => parse_double(s.trim()),
            ColumnType::Real => parse_real(s.trim()),
            ColumnType::Decimal(p, sc) => parse_decimal(s.trim(), p, sc, conv.round_dec),
            ColumnType::Timestamp => super::datetime::timestamp(s.trim(), conv, false),
            ColumnType::Date => super::datetime::date(s.trim(), conv),
            _ => parse_int(s.trim(), ty),
        },
        View::Number(text) => {
            // The number exactly as written; borrowed, since only a text column keeps a copy.
            match ty {
                ColumnType::Varchar(max) | ColumnType::Char(max) => {
                    text_cell(text.to_string(), max)
                }
                ColumnType::Double => parse_double(text),
                ColumnType::Real => parse_real(text),
                ColumnType::Decimal(p, sc) => parse_decimal(text, p, sc, conv.round_dec),
                ColumnType::Timestamp => super::datetime::timestamp(text, conv, true),
                ColumnType::Date => Err(format!(
                    "a number cannot load into column type DATE (a date is a string such as \
                     \"2018-11-01\"); got {text}"
                )),
                ColumnType::Boolean => match text {
                    "0" => Ok(Value::Bool(false)),
                    "1" => Ok(Value::Bool(true)),
                    _ => Err(format!("invalid boolean {text}")),
                },
                _ => parse_int(text, ty),
            }
        }
        View::Bool(b) => match ty {
            ColumnType::Boolean => Ok(Value::Bool(b)),
            ColumnType::Varchar(max) | ColumnType::Char(max) => text_cell(b.to_string(), max),
            _ => Err(format!(
                "a boolean cannot load into column type {}",
                ty.sql_name()
            )),
        },
        View::Nested(value) => match ty {
            // Redshift loads a nested object or array into a text column as its JSON text.
            ColumnType::Varchar(max) | ColumnType::Char(max) => text_cell(value.to_string(), max),
            _ => Err(format!(
                "a JSON {} cannot load into column type {}",
                super::kind(value),
                ty.sql_name()
            )),
        },
    }
}

fn text_cell(
    mut text: String,
    max: u32,
    conv: &Conversion,
    tally: &Tally,
) -> Result<Value, String> {
    // PostgreSQL's and Redshift's text types cannot hold U+0000, and one in a COPY stream fails
    // the whole COPY; DuckDB would store it. Rejecting the row here keeps every engine alike.
    if let Some(at) = text.find('\0') {
        return Err(format!(
            "text holds a NUL character (\\u0000) at byte {at}, which PostgreSQL and Redshift \
             cannot store"
        ));
    }
    if text.len() > max as usize {
        if !conv.truncate_columns {
            return Err(format!(
                "value of {} bytes is longer than VARCHAR({max})",
                text.len()
            ));
        }
        // Lengths are in bytes, as in Redshift; never cut inside a character.
        let mut cut = max as usize;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        tally.truncated.fetch_add(1, Ordering::Relaxed);
    }
    Ok(Value::Text(text))
}

pub(super) fn parse_int(text: &str, ty: ColumnType) -> Result<Value, String> {
    let invalid = || format!("invalid digit in {text:?} for {}", ty.sql_name());
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    if digits.is_empty() {
        return Err(invalid());
    }
    // One pass that checks and adds up the digits (a check, then `str::parse`, read each
    // number twice: 5 % of the converter's instructions at 10M events). Past i64 the value is
    // only out of range, but the digits after are still checked: an invalid digit is the
    // error to report, as before.
    let mut value = Some(0i64);
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(invalid());
        }
        let digit = i64::from(b - b'0');
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| match negative {
                true => v.checked_sub(digit),
                false => v.checked_add(digit),
            });
    }
    let (min, max) = match ty {
        ColumnType::SmallInt => (i64::from(i16::MIN), i64::from(i16::MAX)),
        ColumnType::Integer => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    match value {
        Some(v) if (min..=max).contains(&v) => Ok(Value::Int(v)),
        _ => Err(format!(
            "value {text} is out of range for {}",
            ty.sql_name()
        )),
    }
}

fn parse_double(text: &str) -> Result<Value, String> {
    // Rust also parses "inf" and "NaN"; a warehouse column should not receive them from text.
    let looks_numeric = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(v) if looks_numeric && v.is_finite() => Ok(Value::Double(v)),
        Ok(_) if looks_numeric => Err(format!("value {text} is out of range for DOUBLE PRECISION")),
        _ => Err(format!("invalid number {text:?} for DOUBLE PRECISION")),
    }
}

fn parse_real(text: &str) -> Result<Value, String> {
    match parse_double(text) {
        Ok(Value::Double(v)) if v.abs() > f64::from(f32::MAX) => {
            Err(format!("value {text} is out of range for REAL"))
        }
        other => other.map_err(|e| e.replace("DOUBLE PRECISION", "REAL")),
    }
}

fn parse_bool(text: &str) -> Result<Value, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" => Ok(Value::Bool(true)),
        "false" | "f" | "0" | "no" | "n" => Ok(Value::Bool(false)),
        _ => Err(format!("invalid boolean {text:?}")),
    }
}

/// A decimal number as text (`-20.259`, `1.5e2`) into `DECIMAL(precision, scale)`, exactly:
/// digits beyond the scale are truncated (`copy-parameters-data-conversion`, ROUNDEC: "By
/// default, COPY truncates values when necessary to fit the scale of the column"), or rounded
/// half away from zero with ROUNDEC. The result travels as its decimal text.
pub(super) fn parse_decimal(
    text: &str,
    precision: u8,
    scale: u8,
    round: bool,
) -> Result<Value, String> {
    let ty = ColumnType::Decimal(precision, scale).sql_name();
    let invalid = || format!("invalid digit in {text:?} for {ty}");
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            &unsigned[..at],
            unsigned[at + 1..].parse::<i32>().map_err(|_| invalid())?,
        ),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Err(invalid());
    }
    // All digits, and where the decimal point falls among them.
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let point = int_part.len() as i64 + i64::from(exponent);
    if !(-1000..=1000).contains(&point) {
        return Err(format!("value {text} is out of range for {ty}"));
    }
    let digit_at = |i: i64| -> u8 {
        if i < 0 || i >= digits.len() as i64 {
            0
        } else {
            digits[i as usize]
        }
    };
    // The kept digits: everything before the point, then `scale` digits after it.
    let kept_end = point + i64::from(scale);
    let mut kept: Vec<u8> = (point.min(0)..kept_end).map(digit_at).collect();
    if point <= 0 {
        kept.insert(0, 0);
    }
    if round && digit_at(kept_end) >= 5 {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, 1);
                break;
            }
            i -= 1;
            if kept[i] == 9 {
                kept[i] = 0;
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let split = kept.len() - usize::from(scale);
    let int_digits: String = kept[..split]
        .iter()
        .map(|d| (b'0' + d) as char)
        .collect::<String>()
        .trim_start_matches('0')
        .to_string();
    let frac_digits: String = kept[split..].iter().map(|d| (b'0' + d) as char).collect();
    if int_digits.len() > usize::from(precision.saturating_sub(scale)) {
        return Err(format!("value {text} is out of range for {ty}"));
    }
    let zero = int_digits.is_empty() && frac_digits.bytes().all(|b| b == b'0');
    let mut out = String::new();
    if negative && !zero {
        out.push('-');
    }
    out.push_str(if int_digits.is_empty() {
        "0"
    } else {
        &int_digits
    });
    if scale > 0 {
        out.push('.');
        out.push_str(&frac_digits);
    }
    Ok(Value::Text(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str, p: u8, s: u8, round: bool) -> Result<String, String> {
        parse_decimal(text, p, s, round).map(|v| match v {
            Value::Text(t) => t,
            other => panic!("{other:?}"),
        })
    }

    /// The integer parse as it was before it became one pass: the digits checked, then
    /// `str::parse`, then the column's range. The oracle the one-pass parse is held to.
    fn parse_int_in_two_passes(text: &str, ty: ColumnType) -> Result<Value, String> {
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("invalid digit in {text:?} for {}", ty.sql_name()));
        }
        let (min, max) = match ty {
            ColumnType::SmallInt => (i64::from(i16::MIN), i64::from(i16::MAX)),
            ColumnType::Integer => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        match text.parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(Value::Int(v)),
            _ => Err(format!(
                "value {text} is out of range for {}",
                ty.sql_name()
            )),
        }
    }

    #[test]
    fn integers_parse_in_one_pass_as_they_did_in_two() {
        let mut texts: Vec<String> = [
            "",
            "+",
            "-",
            "0",
            "-0",
            "+0",
            "007",
            "+42",
            "-42",
            "1x",
            "x1",
            "1.5",
            "1e3",
            " 1",
            "1 ",
            "--1",
            "+-1",
            "-+1",
            "٣",
            "32767",
            "32768",
            "-32768",
            "-32769",
            "2147483647",
            "2147483648",
            "-2147483648",
            "-2147483649",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
            "99999999999999999999x",
            "-99999999999999999999",
            "00000000000000000000000000001",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        // Every prefix of i64's extremes and of a long number, with and without a sign.
        for long in [
            "9223372036854775807",
            "9223372036854775808",
            "123456789012345678901",
        ] {
            for end in 1..=long.len() {
                for sign in ["", "-", "+"] {
                    texts.push(format!("{sign}{}", &long[..end]));
                }
            }
        }
        for ty in [
            ColumnType::SmallInt,
            ColumnType::Integer,
            ColumnType::BigInt,
        ] {
            for text in &texts {
                assert_eq!(
                    parse_int(text, ty),
                    parse_int_in_two_passes(text, ty),
                    "{text:?} as {ty:?}"
                );
            }
        }
    }

    #[test]
    fn decimals_truncate_extra_digits_unless_roundec() {
        // copy-parameters-data-conversion (ROUNDEC): "if a value of 20.259 is loaded into a
        // DECIMAL(8,2) column, COPY truncates the value to 20.25 by default"; with ROUNDEC, 20.26.
        assert_eq!(dec("20.259", 8, 2, false).unwrap(), "20.25");
        assert_eq!(dec("20.259", 8, 2, true).unwrap(), "20.26");
        assert_eq!(dec("-20.259", 8, 2, false).unwrap(), "-20.25");
        assert_eq!(dec("-20.255", 8, 2, true).unwrap(), "-20.26");
        assert_eq!(
            dec("9.999", 3, 2, true).unwrap_err(),
            "value 9.999 is out of range for DECIMAL(3,2)"
        );
        assert_eq!(dec("9.999", 3, 2, false).unwrap(), "9.99");
        assert_eq!(dec("1.5e2", 8, 2, false).unwrap(), "150.00");
        assert_eq!(dec("125e-3", 8, 2, false).unwrap(), "0.12");
        assert_eq!(dec(".5", 8, 0, true).unwrap(), "1");
        assert_eq!(dec("-0.001", 8, 2, false).unwrap(), "0.00");
        assert_eq!(dec("7", 18, 0, false).unwrap(), "7");
        assert_eq!(dec("0007.10", 5, 1, false).unwrap(), "7.1");
        assert!(
            dec("123456", 5, 0, false)
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            dec("1.2.3", 5, 0, false)
                .unwrap_err()
                .contains("invalid digit")
        );
        assert!(
            dec("abc", 5, 0, false)
                .unwrap_err()
                .contains("invalid digit")
        );
        assert!(dec("1e99999", 5, 0, false).is_err());
    }

    #[test]
    fn truncatecolumns_cuts_at_a_character_boundary_and_counts() {
        let conv = Conversion {
            truncate_columns: true,
            ..Conversion::default()
        };
        let tally = Tally::default();
        let v = convert(
            &Json::from("Björk"),
            ColumnType::Varchar(3),
            false,
            &conv,
            &tally,
        );
        // "Bj" is 2 bytes and "ö" 2 more: the cut falls inside it, so it is left out.
        assert_eq!(v, Ok(Value::Text("Bj".into())));
        assert_eq!(tally.truncated.load(Ordering::Relaxed), 1);
        let none = Conversion::default();
        let err = convert(
            &Json::from("Björk"),
            ColumnType::Varchar(3),
            false,
            &none,
            &tally,
        );
        assert!(err.unwrap_err().contains("longer than VARCHAR(3)"));
    }

    #[test]
    fn acceptinvchars_replaces_each_invalid_byte_and_counts_bytes_and_lines() {
        let tally = Tally::default();
        assert_eq!(
            replace_invalid_utf8(b"{\"a\": \"caf\xc3\xa9\"}", '?', &tally),
            None
        );
        // A truncated three-byte sequence (two bytes) and a stray byte on line 1; one on line 3.
        let fixed = replace_invalid_utf8(b"\xe2\x82 x \xff\n\nend\x80", '^', &tally).unwrap();
        assert_eq!(fixed, b"^^ x ^\n\nend^");
        assert_eq!(tally.replaced.load(Ordering::Relaxed), 4);
        assert_eq!(tally.replaced_lines.load(Ordering::Relaxed), 2);
    }

    /// A reader that hands out its bytes `step` at a time, as a stream's reads may.
    struct Dribble<'a>(&'a [u8], usize);

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn acceptinvchars_streams_and_a_sequence_split_between_reads_is_judged_whole() {
        // A valid three-byte character (€) and a valid two-byte one (é) cut by every possible
        // read boundary stay as they are; an invalid sequence (a three-byte start with one
        // continuation byte, then ASCII) is replaced per byte wherever the cut falls, and so
        // is a sequence left unfinished by the end of the stream.
        let text: &[u8] =
            b"{\"a\": \"\xe2\x82\xac caf\xc3\xa9\"}\n{\"b\": \"\xe2\x82x\"}\n\xe2\x82";
        let expected: &[u8] = b"{\"a\": \"\xe2\x82\xac caf\xc3\xa9\"}\n{\"b\": \"^^x\"}\n^^";
        for step in 1..=text.len() {
            let tally = Tally::default();
            let mut out = Vec::new();
            ReplaceInvalid::new(Dribble(text, step), '^', &tally)
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, expected, "reads of {step} byte(s)");
            assert_eq!(tally.replaced.load(Ordering::Relaxed), 4, "step {step}");
            assert_eq!(
                tally.replaced_lines.load(Ordering::Relaxed),
                2,
                "step {step}"
            );
        }
        // Past the adapter's own read size too: the cut falls inside the € at 64 KiB.
        let mut big = vec![b' '; REPAIR_CHUNK - 1];
        big.extend_from_slice(b"\xe2\x82\xac\xff");
        let tally = Tally::default();
        let mut out = Vec::new();
        ReplaceInvalid::new(&big[..], '?', &tally)
            .read_to_end(&mut out)
            .unwrap();
        assert!(
            out.ends_with(" \u{20ac}?".as_bytes()),
            "{:?}",
            &out[out.len() - 8..]
        );
        assert_eq!(tally.replaced.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn empty_and_blank_text_load_null_only_when_asked() {
        let tally = Tally::default();
        let v = ColumnType::Varchar(10);
        let plain = Conversion::default();
        let empty = Conversion {
            empty_as_null: true,
            ..Conversion::default()
        };
        let blanks = Conversion {
            blanks_as_null: true,
            ..Conversion::default()
        };
        let run = |s: &str, c: &Conversion| convert(&Json::from(s), v, false, c, &tally);
        assert_eq!(run("", &plain), Ok(Value::Text(String::new())));
        assert_eq!(run("  ", &plain), Ok(Value::Text("  ".into())));
        assert_eq!(run("", &empty), Ok(Value::Null));
        assert_eq!(run("  ", &empty), Ok(Value::Text("  ".into())));
        assert_eq!(run("  ", &blanks), Ok(Value::Null));
        assert_eq!(run("", &blanks), Ok(Value::Text(String::new())));
        assert_eq!(run(" x ", &blanks), Ok(Value::Text(" x ".into())));
    }
}
