//! The shape of sparkify's tables as the loader sees them: names, columns and the column
//! types it converts into. A bottom-layer module: the DDL in `sql/schema/` is parsed into
//! these (see [`crate::sql::table_spec`]), and the loader, warehouses and SQL registry share
//! them.

/// Column types the loader can convert into. Staging tables use only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `VARCHAR(n)`: at most `n` bytes, as in Redshift.
    Varchar(u32),
    SmallInt,
    Integer,
    BigInt,
    Double,
    Boolean,
}

impl ColumnType {
    /// Parses the type part of a column definition, e.g. `VARCHAR(256)` or `DOUBLE PRECISION`.
    pub fn parse(sql: &str) -> Option<Self> {
        let upper = sql.trim().to_ascii_uppercase();
        let (base, arg) = match upper.split_once('(') {
            Some((b, rest)) => (
                b.trim().to_string(),
                rest.trim_end_matches(')').trim().parse().ok(),
            ),
            None => (upper.clone(), None),
        };
        Some(match base.as_str() {
            // Redshift's VARCHAR without a length is VARCHAR(256), and so is TEXT.
            "VARCHAR" | "CHARACTER VARYING" | "TEXT" => ColumnType::Varchar(arg.unwrap_or(256)),
            "SMALLINT" | "INT2" => ColumnType::SmallInt,
            "INTEGER" | "INT" | "INT4" => ColumnType::Integer,
            "BIGINT" | "INT8" => ColumnType::BigInt,
            "DOUBLE PRECISION" | "FLOAT8" | "FLOAT" | "DOUBLE" => ColumnType::Double,
            "BOOLEAN" | "BOOL" => ColumnType::Boolean,
            _ => return None,
        })
    }

    /// The SQL name used in error reasons and `load_errors.column_type`.
    pub fn sql_name(self) -> String {
        match self {
            ColumnType::Varchar(n) => format!("VARCHAR({n})"),
            ColumnType::SmallInt => "SMALLINT".into(),
            ColumnType::Integer => "INTEGER".into(),
            ColumnType::BigInt => "BIGINT".into(),
            ColumnType::Double => "DOUBLE PRECISION".into(),
            ColumnType::Boolean => "BOOLEAN".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

/// The shape of a table the loader fills: its name and columns in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub name: String,
    pub columns: Vec<Column>,
}
