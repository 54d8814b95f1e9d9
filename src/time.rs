//! Calendar arithmetic for printing timestamps in UTC, without pulling in a date crate for the
//! three conversions `sparkify` needs.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's `civil_from_days`.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01, the inverse of [`civil_from_days`] (Howard
/// Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A calendar date written `YYYY-MM-DD` → days since 1970-01-01; `None` unless `text` is
/// exactly that shape and names a day that exists (no 2018-11-31, no 2019-02-29).
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let year: i64 = text[0..4].parse().ok()?;
    let month: u32 = text[5..7].parse().ok()?;
    let day: u32 = text[8..10].parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // A day past the month's end comes back as another date.
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Microseconds since midnight → `HH:MM:SS[.fff]`, trailing zeros of the fraction dropped as
/// DuckDB and PostgreSQL print it, so results compare equal across engines.
pub fn format_time_of_day(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if frac == 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        let digits = format!("{frac:06}");
        format!("{h:02}:{m:02}:{s:02}.{}", digits.trim_end_matches('0'))
    }
}

/// Microseconds since the epoch → `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC).
pub fn format_timestamp_micros(micros: i64) -> String {
    let day_micros = 86_400_000_000_i64;
    let days = micros.div_euclid(day_micros);
    let rest = micros.rem_euclid(day_micros);
    format!("{} {}", format_date(days), format_time_of_day(rest))
}

/// `YYYY-MM-DD` at the start of `text` → days since 1970-01-01, when it is a real date.
pub fn date_prefix_days(text: &str) -> Option<i64> {
    let head = text.get(..10)?;
    let b = head.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = &head[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Hinnant's days_from_civil; a date such as 02-30 does not come back as itself.
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (civil_from_days(days) == (y, m as u32, d as u32)).then_some(days)
}

/// The current time in milliseconds since the epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The current time as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    format_timestamp_micros(secs * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_at_the_start_of_names() {
        assert_eq!(date_prefix_days("1970-01-01"), Some(0));
        assert_eq!(date_prefix_days("2018-11-30-events.json"), Some(17_865));
        assert_eq!(format_date(17_865), "2018-11-30");
        assert_eq!(date_prefix_days("2000-02-29-events.json"), Some(11_016));
        for bad in [
            "2018-02-30-events.json",
            "2018-13-01",
            "events.json",
            "2018-1-01-x",
            "",
        ] {
            assert_eq!(date_prefix_days(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_known_instants() {
        // The first event of the sample: 1541105830796 ms.
        assert_eq!(
            format_timestamp_micros(1_541_105_830_796_000),
            "2018-11-01 20:57:10.796"
        );
        assert_eq!(format_timestamp_micros(0), "1970-01-01 00:00:00");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(format_date(11_016), "2000-02-29");
    }

    #[test]
    fn parses_dates_that_exist_only() {
        assert_eq!(parse_date("2000-02-29"), Some(11_016));
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2018-11-05"), Some(17_840));
        for bad in [
            "2018-11-31",
            "2019-02-29",
            "2018-13-01",
            "2018-00-10",
            "2018-11-00",
            "2018-11-5",
            "18-11-05",
            "2018/11/05",
            "2018-11-05T00",
            "+018-11-05",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        for days in [-800_000, -1, 0, 17_840, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
