//! The rejected rows of one load, kept up to a bound.
//!
//! A load fails once more than `MAXERROR` rows are rejected, and that failure only needs the
//! rows up to the first one past the limit to explain it; rows rejected after that are counted
//! but not kept, so a file of millions of bad rows costs a counter, not millions of
//! [`LoadError`]s in memory (nor in `load_errors`).

use super::load::LoadError;

/// Collects rejected rows: the first `MAXERROR + 1` are kept, every one is counted.
#[derive(Debug, Clone, Default)]
pub struct ErrorCollector {
    max_errors: u64,
    kept: Vec<LoadError>,
    /// Rows rejected after the kept ones were full.
    not_kept: u64,
}

impl ErrorCollector {
    /// A collector for a load that allows `max_errors` rejected rows.
    pub fn new(max_errors: u64) -> ErrorCollector {
        ErrorCollector {
            max_errors,
            kept: Vec::new(),
            not_kept: 0,
        }
    }

    /// How many rows are kept at most: every allowed one and the first one too many.
    pub fn capacity(&self) -> u64 {
        self.max_errors.saturating_add(1)
    }

    pub fn push(&mut self, error: LoadError) {
        if (self.kept.len() as u64) < self.capacity() {
            self.kept.push(error);
        } else {
            self.not_kept += 1;
        }
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = LoadError>) {
        for error in errors {
            self.push(error);
        }
    }

    /// Every rejected row seen, kept or not.
    /// Adds what another collector (one file's, on another thread) kept and counted.
    pub fn absorb(&mut self, other: ErrorCollector) {
        let (kept, not_kept) = other.into_parts();
        self.extend(kept);
        self.not_kept = self.not_kept.saturating_add(not_kept);
    }

    pub fn total(&self) -> u64 {
        self.kept.len() as u64 + self.not_kept
    }

    /// More rows were rejected than `MAXERROR` allows.
    pub fn exceeded(&self) -> bool {
        self.total() > self.max_errors
    }

    /// The kept rows, in the order they arrived, and how many more were counted.
    pub fn into_parts(self) -> (Vec<LoadError>, u64) {
        (self.kept, self.not_kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(line: u64) -> LoadError {
        LoadError {
            file: "f.json".into(),
            line,
            column_name: None,
            column_type: None,
            raw_value: None,
            raw_line: String::new(),
            reason: "bad".into(),
        }
    }

    #[test]
    fn keeps_max_errors_plus_one_and_counts_the_rest() {
        let mut errors = ErrorCollector::new(2);
        errors.extend((1..=2).map(error));
        assert!(!errors.exceeded());
        errors.extend((3..=1000).map(error));
        assert!(errors.exceeded());
        assert_eq!(errors.total(), 1000);
        let (kept, not_kept) = errors.into_parts();
        assert_eq!(
            kept.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(not_kept, 997);
    }

    #[test]
    fn the_largest_max_errors_does_not_overflow() {
        let mut errors = ErrorCollector::new(u64::MAX);
        errors.push(error(1));
        assert_eq!(errors.capacity(), u64::MAX);
        assert!(!errors.exceeded());
        assert_eq!(errors.total(), 1);
    }
}
