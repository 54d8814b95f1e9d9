//! Ready-made business questions, one SQL file each in `sql/analytics/`. The first comment
//! line of a file is its description; the list `sparkify analytics` prints is generated from
//! them. The SQL is portable across DuckDB, PostgreSQL and Redshift.

pub mod report;

use crate::error::{Error, Result};
use crate::warehouse::{QueryResult, Warehouse};

/// One built-in question.
#[derive(Debug, Clone, Copy)]
pub struct Question {
    pub name: &'static str,
    pub description: &'static str,
    pub sql: &'static str,
}

macro_rules! questions {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../sql/analytics/", $name, ".sql")))),*]
    };
}

static FILES: &[(&str, &str)] = questions![
    "top_songs",
    "top_artists",
    "plays_by_hour",
    "plays_by_weekday",
    "free_vs_paid",
    "top_locations",
    "top_platforms",
    "busiest_users",
    "daily_active_users",
    "session_lengths",
    "level_changes",
];

/// Every built-in question, in a stable order.
pub fn questions() -> Vec<Question> {
    FILES
        .iter()
        .map(|(name, sql)| Question {
            name,
            description: sql
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("-- "))
                .unwrap_or(""),
            sql,
        })
        .collect()
}

/// The question called `name`, or an error listing the known ones.
pub fn find(name: &str) -> Result<Question> {
    questions()
        .into_iter()
        .find(|q| q.name == name || q.name.replace('_', "-") == name)
        .ok_or_else(|| {
            let names: Vec<&str> = questions().iter().map(|q| q.name).collect();
            Error::usage(format!(
                "no built-in question {name:?}; choose one of: {}",
                names.join(", ")
            ))
        })
}

/// Runs a question; `limit` keeps the first rows (applied here, so the question's own ORDER BY
/// decides which).
pub fn run(wh: &mut dyn Warehouse, name: &str, limit: Option<usize>) -> Result<QueryResult> {
    let q = find(name)?;
    let mut result = wh.query(q.sql)?;
    if let Some(n) = limit {
        result.rows.truncate(n);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_has_a_description_and_a_query() {
        let qs = questions();
        assert_eq!(qs.len(), 11);
        for q in qs {
            assert!(q.description.len() > 10, "{}", q.name);
            assert!(q.sql.contains("SELECT"), "{}", q.name);
        }
        assert!(find("plays-by-hour").is_ok());
        let err = find("nope").unwrap_err().to_string();
        assert!(err.contains("top_songs"), "{err}");
    }
}
