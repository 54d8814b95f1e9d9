//! Asking the warehouse for only the rows that will be shown (`--limit`, the report's tables),
//! instead of fetching every row and cutting the list afterwards, which holds the whole answer
//! in memory first.
//!
//! The count is written into the SQL as digits: it is a `u64`, so its text cannot be anything
//! else, and the PostgreSQL path that answers every column type (the simple query protocol)
//! takes no bind parameters.

use super::split_statements;

/// One of sparkify's own queries (a file of `sql/analytics/` or `sql/figures/`, which ends in
/// its ORDER BY) limited to its first `rows` rows. The LIMIT is appended, so the query's own
/// ORDER BY decides which rows come first, on every engine.
pub fn limited(query: &str, rows: u64) -> String {
    let body = query.trim_end().trim_end_matches(';').trim_end();
    format!("{body}\nLIMIT {rows}")
}

/// How many rows one of sparkify's own queries answers, counted by the warehouse.
pub fn count_of(query: &str) -> String {
    let body = query.trim_end().trim_end_matches(';').trim_end();
    format!("SELECT COUNT(*) FROM (\n{body}\n) AS all_rows")
}

/// A query the user typed, limited to its first `rows` rows: wrapped as a derived table, as it
/// may carry its own LIMIT, and the outer LIMIT keeps its order (DuckDB and PostgreSQL keep a
/// derived table's ORDER BY through a plain LIMIT). `None` for what cannot be wrapped: several
/// statements, or a statement that is not a query (`SHOW`, `PRAGMA`, `INSERT ... RETURNING`);
/// those run as typed and their answer is cut afterwards.
pub fn user_query_limited(query: &str, rows: u64) -> Option<String> {
    let statements = split_statements(query);
    let [one] = statements.as_slice() else {
        return None;
    };
    let first = first_word(one)?.to_ascii_uppercase();
    matches!(
        first.as_str(),
        "SELECT" | "WITH" | "VALUES" | "TABLE" | "FROM" | "("
    )
    .then(|| format!("SELECT * FROM (\n{one}\n) AS first_rows\nLIMIT {rows}"))
}

/// The first word of `sql` after comments and blanks, or `(`.
fn first_word(sql: &str) -> Option<&str> {
    let mut rest = sql.trim_start();
    loop {
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    if rest.starts_with('(') {
        return Some("(");
    }
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_queries_get_the_limit_after_their_order_by() {
        assert_eq!(
            limited("-- Top\nSELECT a FROM t\nORDER BY a DESC;\n", 5),
            "-- Top\nSELECT a FROM t\nORDER BY a DESC\nLIMIT 5"
        );
    }

    #[test]
    fn own_queries_are_counted_whole() {
        assert_eq!(
            count_of("SELECT a FROM t\nORDER BY a;"),
            "SELECT COUNT(*) FROM (\nSELECT a FROM t\nORDER BY a\n) AS all_rows"
        );
    }

    #[test]
    fn a_typed_query_is_wrapped_and_anything_else_is_left_alone() {
        assert_eq!(
            user_query_limited("  -- mine\n  select * from t limit 100;  ", 3).as_deref(),
            Some("SELECT * FROM (\n-- mine\n  select * from t limit 100\n) AS first_rows\nLIMIT 3")
        );
        assert!(user_query_limited("WITH x AS (SELECT 1) SELECT * FROM x", 1).is_some());
        assert!(user_query_limited("/* c */ (SELECT 1) UNION (SELECT 2)", 1).is_some());
        for other in [
            "SHOW TABLES",
            "PRAGMA database_size",
            "INSERT INTO t VALUES (1) RETURNING *",
            "SELECT 1; SELECT 2",
            "",
            "-- only a comment",
        ] {
            assert_eq!(user_query_limited(other, 3), None, "{other}");
        }
    }
}
