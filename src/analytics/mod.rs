//! Ready-made business questions, one SQL file each in `sql/analytics/`. The first comment
//! line of a file is its description; the list `sparkify analytics` prints is generated from
//! the folder, in name order, so a new file is a new question. The SQL is portable across
//! DuckDB, PostgreSQL and Redshift.

pub mod report;

use crate::error::{Error, Result};
use crate::value::QueryResult;
use crate::warehouse::Warehouse;

/// One built-in question.
#[derive(Debug, Clone, Copy)]
pub struct Question {
    pub name: &'static str,
    pub description: &'static str,
    pub sql: &'static str,
}

/// Every built-in question: the files of `sql/analytics/`, in name order.
pub fn questions() -> Vec<Question> {
    crate::sql::files_in("analytics")
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

/// Runs a question; `limit` keeps the first rows, asked of the warehouse with a LIMIT after the
/// question's own ORDER BY (which so decides which rows), so no more are fetched.
pub fn run(wh: &mut dyn Warehouse, name: &str, limit: Option<usize>) -> Result<QueryResult> {
    wh.query(&statement(name, limit)?)
}

/// The SQL a question runs with `limit`.
pub fn statement(name: &str, limit: Option<usize>) -> Result<String> {
    let q = find(name)?;
    Ok(match limit {
        Some(n) => crate::sql::limited(q.sql, n as u64),
        None => q.sql.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_has_a_description_and_a_query() {
        let qs = questions();
        assert_eq!(qs.len(), 14);
        for q in qs {
            assert!(q.description.len() > 10, "{}", q.name);
            assert!(q.sql.contains("SELECT"), "{}", q.name);
        }
        assert!(find("plays-by-hour").is_ok());
        let err = find("nope").unwrap_err().to_string();
        assert!(err.contains("top_songs"), "{err}");
    }

    #[test]
    fn a_limit_is_asked_of_the_warehouse_after_the_order_by() {
        let sql = statement("top_songs", Some(5)).unwrap();
        assert!(
            sql.ends_with("ORDER BY plays DESC, song, artist\nLIMIT 5"),
            "{sql}"
        );
        assert!(!statement("top_songs", None).unwrap().contains("LIMIT"));
    }
}
