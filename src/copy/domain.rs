//! What a staging column accepts beyond its SQL type. The transforms turn some staged values
//! into other types: `staging_events.ts`, epoch milliseconds in a BIGINT, becomes
//! `songplays.start_time`, a TIMESTAMP. A value the transform cannot convert would fail the
//! whole transform, after the load, on every run, where `--max-errors` cannot help; so such a
//! value is rejected at load instead, as a row error that names the column and says why.

use crate::value::Value;

/// A rule on the values of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Epoch milliseconds that the transforms turn into a TIMESTAMP (`sparkify_epoch_ms`).
    EpochMillis,
}

/// The columns with a rule. A test below checks that every value the transforms convert
/// comes from one of these.
const RULES: &[(&str, &str, Domain)] = &[("staging_events", "ts", Domain::EpochMillis)];

/// 0001-01-01 00:00:00.000 UTC in epoch milliseconds.
pub const MIN_EPOCH_MS: i64 = -62_135_596_800_000;
/// 9999-12-31 23:59:59.999 UTC in epoch milliseconds.
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;

impl Domain {
    /// The rule on `table.column`, if it has one.
    pub fn of(table: &str, column: &str) -> Option<Domain> {
        RULES
            .iter()
            .find(|(t, c, _)| *t == table && c.eq_ignore_ascii_case(column))
            .map(|(_, _, d)| *d)
    }

    /// Whether a converted value is in the domain; the reason when not.
    ///
    /// Timestamps: the years 1 to 9999. PostgreSQL's TIMESTAMP holds 4713 BC to 294276 AD and
    /// DuckDB's 290309 BC to 294247 AD, and they do not print years before 1 alike (PostgreSQL
    /// adds " BC"); within these years both engines give the same timestamp, to the
    /// millisecond, printed the same way, and the time dimension's year fits its column.
    pub fn check(self, value: &Value) -> Result<(), String> {
        match (self, value) {
            (Domain::EpochMillis, Value::Int(ms))
                if !(MIN_EPOCH_MS..=MAX_EPOCH_MS).contains(ms) =>
            {
                Err(format!(
                    "value {ms} is out of range for a timestamp in epoch milliseconds \
                     (0001-01-01 to 9999-12-31 UTC, {MIN_EPOCH_MS} to {MAX_EPOCH_MS})"
                ))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_the_first_and_last_millisecond_of_years_1_and_9999() {
        let day_ms = 86_400_000_i64;
        let (y, m, d) = crate::time::civil_from_days(MIN_EPOCH_MS.div_euclid(day_ms));
        assert_eq!((y, m, d), (1, 1, 1));
        assert_eq!(MIN_EPOCH_MS.rem_euclid(day_ms), 0);
        let (y, m, d) = crate::time::civil_from_days(MAX_EPOCH_MS.div_euclid(day_ms));
        assert_eq!((y, m, d), (9999, 12, 31));
        assert_eq!(MAX_EPOCH_MS.rem_euclid(day_ms), day_ms - 1);
    }

    #[test]
    fn timestamps_outside_years_1_to_9999_are_rejected() {
        let ts = Domain::of("staging_events", "ts").unwrap();
        for ok in [MIN_EPOCH_MS, 0, 1_541_105_830_796, MAX_EPOCH_MS] {
            assert_eq!(ts.check(&Value::Int(ok)), Ok(()), "{ok}");
        }
        assert_eq!(ts.check(&Value::Null), Ok(()));
        for bad in [MIN_EPOCH_MS - 1, MAX_EPOCH_MS + 1, i64::MIN, i64::MAX] {
            let err = ts.check(&Value::Int(bad)).unwrap_err();
            assert!(err.contains("out of range for a timestamp"), "{bad}: {err}");
        }
        assert_eq!(Domain::of("staging_events", "userid"), None);
        assert_eq!(Domain::of("staging_songs", "ts"), None);
    }

    fn transforms() -> Vec<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sql/transform");
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                (path.display().to_string(), text)
            })
            .collect();
        files.sort();
        files
    }

    /// Every conversion in the transforms is covered: `sparkify_epoch_ms` only of a column
    /// with the rule, and no `CAST` but of an `EXTRACT` from a timestamp (always in range).
    /// A new conversion fails this test until its column gets a rule here.
    #[test]
    fn every_conversion_in_the_transforms_has_a_rule() {
        let mut conversions = 0;
        for (path, text) in transforms() {
            let code: String = text
                .lines()
                .map(|l| l.split("--").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n")
                .to_ascii_lowercase();
            for (at, _) in code.match_indices("sparkify_epoch_ms(") {
                let arg = &code[at + "sparkify_epoch_ms(".len()..];
                let arg = &arg[..arg.find(')').unwrap()];
                let column = arg.rsplit('.').next().unwrap().trim();
                assert!(
                    RULES
                        .iter()
                        .any(|(_, c, d)| *c == column && *d == Domain::EpochMillis),
                    "{path}: sparkify_epoch_ms({arg}) converts a column without a rule"
                );
                conversions += 1;
            }
            for (at, _) in code.match_indices("cast(") {
                let arg = code[at + "cast(".len()..].trim_start();
                assert!(
                    arg.starts_with("extract("),
                    "{path}: a CAST of something other than EXTRACT needs a rule in \
                     src/copy/domain.rs: {}",
                    &code[at..(at + 60).min(code.len())]
                );
            }
        }
        assert!(conversions > 0, "no sparkify_epoch_ms in the transforms");
    }
}
