//! Values as sparkify moves them: one typed [`Value`] per field, a [`Row`] of them, and the
//! [`QueryResult`] a warehouse answers with. A bottom-layer module that the loader,
//! warehouses, output and report all use.

use crate::error::{Error, Result};

/// One typed value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Double(f64),
    Bool(bool),
}

pub type Row = Vec<Value>;

/// Columns and rows of a query answer. Timestamps arrive as ISO-8601 text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl QueryResult {
    /// The single integer a `SELECT COUNT(*) ...` returns; NULL (a `SUM` over nothing) and
    /// no row at all (a `--dry-run` answers none) count as 0.
    pub fn scalar_i64(&self) -> Result<i64> {
        self.column_i64(0)
    }

    /// The integer in column `index` of the first row, read as [`Self::scalar_i64`] reads the
    /// first: for a statement that counts several things at once.
    pub fn column_i64(&self, index: usize) -> Result<i64> {
        let Some(row) = self.rows.first() else {
            return Ok(0);
        };
        match row.get(index) {
            Some(Value::Int(v)) => Ok(*v),
            Some(Value::Double(v)) if v.fract() == 0.0 => Ok(*v as i64),
            Some(Value::Null) => Ok(0),
            other => Err(Error::warehouse(format!(
                "expected an integer in column {}, the query returned {other:?}",
                index + 1
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rows: Vec<Vec<Value>>) -> QueryResult {
        QueryResult {
            columns: Vec::new(),
            rows,
        }
    }

    #[test]
    fn counts_are_read_by_column_and_a_missing_one_is_an_error() {
        let two = result(vec![vec![Value::Int(6820), Value::Double(1.0)]]);
        assert_eq!(two.scalar_i64().unwrap(), 6820);
        assert_eq!(two.column_i64(1).unwrap(), 1);
        let err = two.column_i64(2).unwrap_err().to_string();
        assert!(err.contains("column 3"), "{err}");
        // NULL (a SUM over nothing) and no row at all (a dry run) count as 0.
        assert_eq!(result(vec![vec![Value::Null]]).scalar_i64().unwrap(), 0);
        assert_eq!(result(Vec::new()).column_i64(1).unwrap(), 0);
        assert!(result(vec![vec![Value::Double(1.5)]]).scalar_i64().is_err());
    }
}
