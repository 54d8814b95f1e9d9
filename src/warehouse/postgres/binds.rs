//! Values bound to a statement's parameters, and values read back from a bound query: the
//! codecs between sparkify's [`Value`] and the extended protocol.

use postgres::types::private::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type};

use crate::value::Value;

/// A value bound to a parameter. It goes in text format, so the server parses it as the type
/// it inferred for the parameter, the way it would parse a literal in that place, on
/// PostgreSQL and Redshift alike (no binary encoding per type to get wrong).
#[derive(Debug)]
pub(super) struct Bind<'a>(pub(super) &'a Value);

impl Bind<'_> {
    /// The parameters as the client takes them.
    pub(super) fn refs<'b>(params: &'b [Bind<'_>]) -> Vec<&'b (dyn ToSql + Sync)> {
        params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
    }
}

impl ToSql for Bind<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let text = match self.0 {
            Value::Null => return Ok(IsNull::Yes),
            // PostgreSQL text cannot hold NUL; in bookkeeping values (a rejected raw line)
            // it is shown as U+FFFD, as the loader shows undecodable bytes.
            Value::Text(s) => s.replace('\0', "\u{FFFD}"),
            Value::Int(n) => n.to_string(),
            Value::Double(d) => format!("{d:?}"),
            Value::Bool(b) => b.to_string(),
        };
        out.extend_from_slice(text.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> postgres::types::Format {
        postgres::types::Format::Text
    }

    // Every type is accepted (the server parses the text), so there is nothing to check.
    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.to_sql(ty, out)
    }
}

/// PostgreSQL's epoch, 2000-01-01, in microseconds since 1970-01-01.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// One value of a bound query's answer, which arrives in binary format. Bookkeeping queries
/// answer integers, floats, booleans, text and timestamps; any other type is an error that
/// says to cast.
pub(super) struct Cell(pub(super) Value);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Cell, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Cell(match *ty {
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::OID => Value::Int(u32::from_sql(ty, raw)?.into()),
            Type::FLOAT4 => Value::Double(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Double(f64::from_sql(ty, raw)?),
            // Sample rows of a rule with parameters (`SELECT *` of songplays): as the text a
            // query without parameters answers. Binary: microseconds since 2000-01-01.
            Type::TIMESTAMP => Value::Text(match i64::from_sql(&Type::INT8, raw)? {
                i64::MAX => "infinity".to_string(),
                i64::MIN => "-infinity".to_string(),
                micros => crate::time::format_timestamp_micros(
                    micros.saturating_add(POSTGRES_EPOCH_MICROS),
                ),
            }),
            _ if <String as FromSql>::accepts(ty) => Value::Text(String::from_sql(ty, raw)?),
            _ => {
                return Err(format!(
                    "a query with parameters answered a {ty} column; cast it to BIGINT, \
                     DOUBLE PRECISION or VARCHAR in its SQL"
                )
                .into());
            }
        }))
    }

    fn from_sql_null(
        _ty: &Type,
    ) -> std::result::Result<Cell, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Cell(Value::Null))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}
