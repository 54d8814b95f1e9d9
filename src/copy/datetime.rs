//! TIMESTAMP and DATE values under TIMEFORMAT and DATEFORMAT (`copy-parameters-data-conversion`):
//! `'epochsecs'` and `'epochmillisecs'` (numbers, for TIMESTAMP), `'auto'`, Redshift's default
//! (`YYYY-MM-DD HH:MI:SS`, `YYYY-MM-DD`), or a pattern of YYYY, YY, MM, MON, DD, HH24, HH12, HH,
//! MI, SS (with `.SSSSSS` for fractions), AM/PM and literal characters. Values travel to the
//! warehouse as `YYYY-MM-DD HH:MM:SS[.ffffff]` and `YYYY-MM-DD` text, which every engine parses.

use super::convert::Conversion;
use super::domain::{MAX_EPOCH_MS, MIN_EPOCH_MS};
use super::statement::TimeFormat;
use crate::value::Value;

#[derive(Debug, Default, Clone, Copy)]
struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Microseconds.
    micros: u32,
}

/// A TIMESTAMP value; `from_number` when the JSON value was a number.
pub(super) fn timestamp(text: &str, conv: &Conversion, from_number: bool) -> Result<Value, String> {
    let format = conv.time_format.as_ref();
    let scale = match format {
        Some(TimeFormat::EpochSecs) => Some(1_000_000_i64),
        Some(TimeFormat::EpochMillisecs) => Some(1_000),
        _ => None,
    };
    if let Some(micros_per_unit) = scale {
        let units: i64 = text
            .parse()
            .map_err(|_| format!("invalid epoch value {text:?} for TIMESTAMP"))?;
        let micros = units
            .checked_mul(micros_per_unit)
            .filter(|m| (MIN_EPOCH_MS * 1000..=MAX_EPOCH_MS * 1000 + 999).contains(m))
            .ok_or_else(|| {
                format!("value {text} is out of range for TIMESTAMP (years 1 to 9999)")
            })?;
        return Ok(Value::Text(crate::time::format_timestamp_micros(micros)));
    }
    if from_number {
        return Err(format!(
            "a number cannot load into column type TIMESTAMP unless TIMEFORMAT is 'epochsecs' \
             or 'epochmillisecs'; got {text}"
        ));
    }
    let parts = match format {
        Some(TimeFormat::Pattern(p)) => by_pattern(text, p, "TIMESTAMP")?,
        Some(TimeFormat::Auto) => {
            iso(text, true).ok_or_else(|| bad(text, "TIMESTAMP", "'auto'"))?
        }
        _ => iso(text, false)
            .ok_or_else(|| bad(text, "TIMESTAMP", "the default YYYY-MM-DD HH:MI:SS"))?,
    };
    // The fraction's trailing zeros dropped, as the engines print timestamps.
    let frac = if parts.micros > 0 {
        format!(".{:06}", parts.micros)
            .trim_end_matches('0')
            .to_string()
    } else {
        String::new()
    };
    Ok(Value::Text(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{frac}",
        parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second
    )))
}

/// A DATE value.
pub(super) fn date(text: &str, conv: &Conversion) -> Result<Value, String> {
    let parts = match conv.date_format.as_ref() {
        Some(TimeFormat::Pattern(p)) => by_pattern(text, p, "DATE")?,
        Some(TimeFormat::Auto) => iso(text, true)
            .filter(|p| p.hour == 0 && p.minute == 0 && p.second == 0 && p.micros == 0)
            .ok_or_else(|| bad(text, "DATE", "'auto'"))?,
        _ => iso_date(text).ok_or_else(|| bad(text, "DATE", "the default YYYY-MM-DD"))?,
    };
    Ok(Value::Text(format!(
        "{:04}-{:02}-{:02}",
        parts.year, parts.month, parts.day
    )))
}

fn bad(text: &str, ty: &str, format: &str) -> String {
    format!("invalid {ty} {text:?}: does not match {format}")
}

fn iso_date(text: &str) -> Option<Parts> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let p = Parts {
        year: text[0..4].parse().ok()?,
        month: text[5..7].parse().ok()?,
        day: text[8..10].parse().ok()?,
        ..Parts::default()
    };
    valid(p)
}

/// `YYYY-MM-DD HH:MI:SS[.ffffff]`; with `lenient` ('auto') also a `T` separator, a date alone
/// and a trailing `Z`.
fn iso(text: &str, lenient: bool) -> Option<Parts> {
    let text = if lenient {
        text.strip_suffix('Z').unwrap_or(text)
    } else {
        text
    };
    if lenient && text.len() == 10 {
        return iso_date(text);
    }
    let (d, t) = text.split_at_checked(10)?;
    let mut p = iso_date(d)?;
    let t = match t.strip_prefix(' ') {
        Some(rest) => rest,
        None if lenient => t.strip_prefix('T')?,
        None => return None,
    };
    let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    p.hour = hms[0..2].parse().ok()?;
    p.minute = hms[3..5].parse().ok()?;
    p.second = hms[6..8].parse().ok()?;
    p.micros = fraction(frac)?;
    valid(p)
}

/// Up to six digits after the point, as microseconds.
fn fraction(digits: &str) -> Option<u32> {
    if digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    Some(digits.parse::<u32>().ok()? * 10_u32.pow(6 - digits.len() as u32))
}

fn valid(p: Parts) -> Option<Parts> {
    let leap = p.year % 4 == 0 && (p.year % 100 != 0 || p.year % 400 == 0);
    let days = match p.month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((1..=9999).contains(&p.year)
        && (1..=days).contains(&p.day)
        && p.hour < 24
        && p.minute < 60
        && p.second < 60)
        .then_some(p)
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Reads `text` by a Redshift datetime pattern.
fn by_pattern(text: &str, pattern: &str, ty: &str) -> Result<Parts, String> {
    let fail = || bad(text, ty, &format!("'{pattern}'"));
    let mut p = Parts {
        month: 1,
        day: 1,
        ..Parts::default()
    };
    let (mut pat, mut rest) = (pattern, text);
    let mut pm: Option<bool> = None;
    let mut twelve = false;
    // Reads 1..=max digits.
    let number = |rest: &mut &str, max: usize| -> Option<i64> {
        let n = rest
            .bytes()
            .take(max)
            .take_while(u8::is_ascii_digit)
            .count();
        if n == 0 {
            return None;
        }
        let v = rest[..n].parse().ok()?;
        *rest = &rest[n..];
        Some(v)
    };
    while !pat.is_empty() {
        let upper = pat.to_ascii_uppercase();
        let token = [
            "YYYY", "HH24", "HH12", "MON", "YY", "MM", "DD", "HH", "MI", "SS", "AM", "PM",
        ]
        .into_iter()
        .find(|t| upper.starts_with(t));
        let Some(token) = token else {
            let c = pat.chars().next().ok_or_else(fail)?;
            rest = rest.strip_prefix(c).ok_or_else(fail)?;
            pat = &pat[c.len_utf8()..];
            continue;
        };
        pat = &pat[token.len()..];
        let value = |rest: &mut &str, max| number(rest, max).ok_or_else(fail);
        match token {
            "YYYY" => p.year = value(&mut rest, 4)?,
            "YY" => {
                let y = value(&mut rest, 2)?;
                p.year = if y < 70 { 2000 + y } else { 1900 + y };
            }
            "MM" => p.month = value(&mut rest, 2)? as u32,
            "MON" => {
                let name = rest.get(..3).ok_or_else(fail)?.to_ascii_uppercase();
                let m = MONTHS.iter().position(|m| *m == name).ok_or_else(fail)?;
                p.month = m as u32 + 1;
                rest = &rest[3..];
            }
            "DD" => p.day = value(&mut rest, 2)? as u32,
            "HH24" | "HH" => p.hour = value(&mut rest, 2)? as u32,
            "HH12" => {
                p.hour = value(&mut rest, 2)? as u32;
                twelve = true;
            }
            "MI" => p.minute = value(&mut rest, 2)? as u32,
            "SS" => {
                p.second = value(&mut rest, 2)? as u32;
                // `SS.SSSSSS`: a fraction of a second, when the data has one.
                let upper = pat.to_ascii_uppercase();
                if upper.starts_with(".S") {
                    let n = 1 + upper[1..].bytes().take_while(|&b| b == b'S').count();
                    pat = &pat[n..];
                    if let Some(after) = rest.strip_prefix('.') {
                        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                        p.micros = fraction(&after[..digits]).ok_or_else(fail)?;
                        rest = &after[digits..];
                    }
                }
            }
            _ => {
                // AM or PM in the pattern: the data says which.
                let marker = rest.get(..2).ok_or_else(fail)?.to_ascii_uppercase();
                pm = Some(match marker.as_str() {
                    "AM" => false,
                    "PM" => true,
                    _ => return Err(fail()),
                });
                rest = &rest[2..];
            }
        }
    }
    if !rest.is_empty() {
        return Err(fail());
    }
    if twelve || pm.is_some() {
        if !(1..=12).contains(&p.hour) {
            return Err(fail());
        }
        p.hour %= 12;
        if pm == Some(true) {
            p.hour += 12;
        }
    }
    valid(p).ok_or_else(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str, format: Option<TimeFormat>, number: bool) -> Result<Value, String> {
        let conv = Conversion {
            time_format: format,
            ..Conversion::default()
        };
        timestamp(text, &conv, number)
    }

    fn text(s: &str) -> Result<Value, String> {
        Ok(Value::Text(s.into()))
    }

    #[test]
    fn epoch_formats_load_numbers() {
        // The logs' ts, with TIMEFORMAT 'epochmillisecs' (copy-parameters-data-conversion).
        assert_eq!(
            ts("1541105830796", Some(TimeFormat::EpochMillisecs), true),
            text("2018-11-01 20:57:10.796")
        );
        assert_eq!(
            ts("1541105830", Some(TimeFormat::EpochSecs), true),
            text("2018-11-01 20:57:10")
        );
        assert!(
            ts("1541105830796", None, true)
                .unwrap_err()
                .contains("unless TIMEFORMAT")
        );
        assert!(
            ts("1e400", Some(TimeFormat::EpochSecs), true)
                .unwrap_err()
                .contains("invalid epoch")
        );
        assert!(
            ts("999999999999999", Some(TimeFormat::EpochSecs), true)
                .unwrap_err()
                .contains("out of range")
        );
    }

    #[test]
    fn default_auto_and_patterns() {
        assert_eq!(
            ts("2018-11-01 21:01:46", None, false),
            text("2018-11-01 21:01:46")
        );
        assert_eq!(
            ts("2018-11-01 21:01:46.5", None, false),
            text("2018-11-01 21:01:46.5")
        );
        assert!(ts("2018-11-01T21:01:46", None, false).is_err());
        assert_eq!(
            ts("2018-11-01T21:01:46Z", Some(TimeFormat::Auto), false),
            text("2018-11-01 21:01:46")
        );
        assert_eq!(
            ts(
                "01/11/2018 09.01 PM",
                Some(TimeFormat::Pattern("DD/MM/YYYY HH12.MI AM".into())),
                false
            ),
            text("2018-11-01 21:01:00")
        );
        assert_eq!(
            ts(
                "2018-Nov-01 21:01:46.123",
                Some(TimeFormat::Pattern("YYYY-MON-DD HH24:MI:SS.SSS".into())),
                false
            ),
            text("2018-11-01 21:01:46.123")
        );
        assert!(
            ts("2018-02-30 00:00:00", None, false)
                .unwrap_err()
                .contains("invalid TIMESTAMP")
        );
        let conv = Conversion {
            date_format: Some(TimeFormat::Pattern("MM/DD/YYYY".into())),
            ..Conversion::default()
        };
        assert_eq!(date("11/01/2018", &conv), text("2018-11-01"));
        assert!(date("2018-11-01", &conv).is_err());
        assert_eq!(
            date("2016-02-29", &Conversion::default()),
            text("2016-02-29")
        );
        assert!(date("2018-02-29", &Conversion::default()).is_err());
    }
}
