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
    /// `CHAR(n)`: at most `n` bytes (the engine pads it).
    Char(u32),
    /// `REAL` (FLOAT4).
    Real,
    /// `DECIMAL(precision, scale)`; values travel as their exact decimal text.
    Decimal(u8, u8),
    /// `TIMESTAMP` (without time zone); values travel as `YYYY-MM-DD HH:MM:SS[.ffffff]`.
    Timestamp,
    /// `DATE`; values travel as `YYYY-MM-DD`.
    Date,
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
            ColumnType::Varchar(UNLIMITED) => "VARCHAR".into(),
            ColumnType::Varchar(n) => format!("VARCHAR({n})"),
            ColumnType::SmallInt => "SMALLINT".into(),
            ColumnType::Integer => "INTEGER".into(),
            ColumnType::BigInt => "BIGINT".into(),
            ColumnType::Double => "DOUBLE PRECISION".into(),
            ColumnType::Boolean => "BOOLEAN".into(),
            ColumnType::Char(n) => format!("CHAR({n})"),
            ColumnType::Real => "REAL".into(),
            ColumnType::Decimal(p, s) => format!("DECIMAL({p},{s})"),
            ColumnType::Timestamp => "TIMESTAMP".into(),
            ColumnType::Date => "DATE".into(),
        }
    }

    /// Whether the column holds text (CHAR/VARCHAR): COPY treats `""` differently there.
    pub fn is_character(self) -> bool {
        matches!(self, ColumnType::Varchar(_) | ColumnType::Char(_))
    }

    /// The type of a column as `information_schema.columns` describes it on DuckDB or
    /// PostgreSQL (`data_type`, `character_maximum_length`, `numeric_precision`,
    /// `numeric_scale`); `None` for a type the loader cannot convert into. A text type
    /// without a length (PostgreSQL's `text`, DuckDB's `VARCHAR`) has no limit.
    pub fn from_catalog(
        data_type: &str,
        length: Option<i64>,
        precision: Option<i64>,
        scale: Option<i64>,
    ) -> Option<ColumnType> {
        let upper = data_type.trim().to_ascii_uppercase();
        let base = upper.split('(').next().unwrap_or("").trim();
        let len = |default: u32| {
            length
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(default)
        };
        Some(match base {
            "CHARACTER VARYING" | "VARCHAR" | "TEXT" => ColumnType::Varchar(len(UNLIMITED)),
            "CHARACTER" | "CHAR" | "BPCHAR" => ColumnType::Char(len(1)),
            "SMALLINT" | "INT2" => ColumnType::SmallInt,
            "INTEGER" | "INT" | "INT4" => ColumnType::Integer,
            "BIGINT" | "INT8" => ColumnType::BigInt,
            "DOUBLE PRECISION" | "DOUBLE" | "FLOAT8" => ColumnType::Double,
            "REAL" | "FLOAT" | "FLOAT4" => ColumnType::Real,
            "BOOLEAN" | "BOOL" => ColumnType::Boolean,
            // Redshift's NUMERIC without precision is DECIMAL(18,0).
            "NUMERIC" | "DECIMAL" => ColumnType::Decimal(
                precision.and_then(|p| u8::try_from(p).ok()).unwrap_or(18),
                scale.and_then(|s| u8::try_from(s).ok()).unwrap_or(0),
            ),
            "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" => ColumnType::Timestamp,
            "DATE" => ColumnType::Date,
            _ => return None,
        })
    }
}

/// The length of a text column that has none: no limit.
pub const UNLIMITED: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    /// `NOT NULL`: a NULL for it rejects the row, as COPY does.
    pub not_null: bool,
}

/// The shape of a table the loader fills: its name and columns in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub name: String,
    pub columns: Vec<Column>,
}
