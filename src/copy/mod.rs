//! Redshift-`COPY`-compatible JSON loading: JSON text in, typed rows and load errors out.
//!
//! The rules follow `COPY ... FORMAT AS JSON` (see `../shared/docs/redshift-copy-json.md` and
//! the README): `'auto'` matches first-level keys to column names exactly, `'auto ignorecase'`
//! ignores case, a JSONPaths file maps values to columns by position. Missing keys load NULL,
//! extra keys are ignored, an empty string loads NULL into a non-text column, numbers load into
//! text columns as their JSON text, and anything that cannot be converted rejects the row with a
//! reason, as STL_LOAD_ERRORS would show it.

pub mod compressed;
pub mod convert;
pub mod copy_text;
mod datetime;
pub mod domain;
pub mod errors;
pub mod jsonpaths;
pub mod load;
pub mod mojibake;
pub mod reader;
pub mod record;
pub mod statement;
mod tokens;
mod words;

use std::borrow::Cow;

use serde_json::Value as Json;

pub use convert::{Conversion, Tally, View};
pub use domain::Domain;
pub use jsonpaths::JsonPath;
pub use record::{Member, Plan, Record};

use crate::error::{Error, Result};
use crate::schema::{ColumnType, TableSpec};
use crate::source::Source;
use crate::value::{Row, Value};

/// How JSON keys are matched to columns, as in `FORMAT AS JSON '...'`.
#[derive(Debug, Clone)]
pub enum JsonFormat {
    /// `'auto'`: first-level keys equal to column names, case-sensitive.
    Auto,
    /// `'auto ignorecase'`.
    AutoIgnoreCase,
    /// A JSONPaths file: the n-th path feeds the n-th column.
    Paths(Vec<JsonPath>),
}

impl JsonFormat {
    /// The text a Redshift `COPY` would carry after `FORMAT AS JSON`.
    pub fn describe(&self) -> String {
        match self {
            JsonFormat::Auto => "'auto'".into(),
            JsonFormat::AutoIgnoreCase => "'auto ignorecase'".into(),
            JsonFormat::Paths(p) => format!("JSONPaths ({} paths)", p.len()),
        }
    }
}

/// The `FORMAT AS JSON` argument as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatSpec {
    Auto,
    AutoIgnoreCase,
    JsonPaths(Source),
}

impl FormatSpec {
    /// Parses `auto`, `auto ignorecase` (or `auto-ignorecase`), or a JSONPaths file path.
    pub fn parse(text: &str) -> Result<FormatSpec> {
        let t = text.trim().trim_matches('\'');
        Ok(match t.to_ascii_lowercase().as_str() {
            "auto" => FormatSpec::Auto,
            "auto ignorecase" | "auto-ignorecase" | "ignorecase" => FormatSpec::AutoIgnoreCase,
            _ => FormatSpec::JsonPaths(Source::parse(t)?),
        })
    }

    /// As [`FormatSpec::resolve`], with Redshift's leniency: a JSONPaths file whose one
    /// top-level key is not `jsonpaths` is ignored and `'auto'` used, with a warning saying so
    /// (`copy-usage_notes-copy-from-json`).
    pub fn resolve_as_redshift(&self) -> Result<(JsonFormat, Option<String>)> {
        if let FormatSpec::JsonPaths(source) = self {
            let (location, bytes) = read_jsonpaths(source)?;
            if let Some(name) = jsonpaths::other_name(&bytes) {
                return Ok((
                    JsonFormat::Auto,
                    Some(format!(
                        "JSONPaths file {location} holds {name:?}, not \"jsonpaths\": Redshift \
                         ignores such a file and loads with 'auto', and so does this COPY"
                    )),
                ));
            }
        }
        Ok((self.resolve()?, None))
    }

    /// Reads the JSONPaths file if there is one.
    pub fn resolve(&self) -> Result<JsonFormat> {
        Ok(match self {
            FormatSpec::Auto => JsonFormat::Auto,
            FormatSpec::AutoIgnoreCase => JsonFormat::AutoIgnoreCase,
            FormatSpec::JsonPaths(source) => {
                let (location, bytes) = read_jsonpaths(source)?;
                JsonFormat::Paths(jsonpaths::parse_file(&bytes).map_err(|message| {
                    Error::JsonPaths {
                        path: location,
                        message,
                    }
                })?)
            }
        })
    }
}

/// The one file a JSONPaths source names, and its bytes.
fn read_jsonpaths(source: &Source) -> Result<(String, Vec<u8>)> {
    let listing = source.list().map_err(|e| Error::JsonPaths {
        path: source.to_string(),
        message: e.to_string(),
    })?;
    let [file] = listing.files.as_slice() else {
        return Err(Error::JsonPaths {
            path: source.to_string(),
            message: format!(
                "must name exactly one file, but {} match",
                listing.files.len()
            ),
        });
    };
    Ok((file.location.clone(), source.read(file)?.bytes))
}

impl std::fmt::Display for FormatSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatSpec::Auto => write!(f, "'auto'"),
            FormatSpec::AutoIgnoreCase => write!(f, "'auto ignorecase'"),
            FormatSpec::JsonPaths(s) => write!(f, "JSONPaths {s}"),
        }
    }
}

/// Why one field rejected its row.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub column: usize,
    pub raw_value: String,
    pub reason: String,
}

/// Turns parsed JSON records into rows of one table.
pub struct Converter<'a> {
    table: &'a TableSpec,
    format: &'a JsonFormat,
    repair_mojibake: bool,
    /// What each column accepts beyond its type ([`domain`]).
    domains: Vec<Option<Domain>>,
    /// The COPY's data-conversion options.
    conversion: Conversion,
    /// What the conversions changed, for the load's report.
    pub tally: Tally,
    /// An error that fails the whole COPY rather than one row (a JSONPaths array element that
    /// is not there); the first one found.
    fatal: std::sync::Mutex<Option<Fatal>>,
    /// Which data files are compressed, and how: by name (the pipeline) or COPY's keyword.
    compression: compressed::Rule,
    /// Which first-level keys feed which slot: columns under `'auto'` and `'auto ignorecase'`,
    /// the paths' first keys under JSONPaths ([`record`]).
    plan: Plan,
    /// With a JSONPaths file, how each path reads the slots.
    path_reads: Vec<PathRead>,
}

/// How a JSONPaths path finds its value in a record parsed into slots.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PathRead {
    /// The path is its first key alone, and no other path reads that key's slot: the row may
    /// take the value rather than copy it.
    Take(usize),
    /// The rest of the path is looked up in the first key's slot.
    Lookup(usize),
    /// The path starts with an array index, which finds nothing in an object: an error.
    Index,
}

/// What fails a whole load from inside one record or file.
#[derive(Debug, Clone, PartialEq)]
pub enum Fatal {
    /// A JSONPaths array element that is not there (Redshift's message and the path).
    JsonPath(String),
}

/// Where [`Converter::record_into`] puts a row's cells, in column order. A `Vec<Value>` is
/// one (a [`Row`]); DuckDB's staging keeps a chunk's text in one buffer instead of a `String`
/// per value.
pub trait Cells {
    fn value(&mut self, value: Value);

    /// Text the column takes exactly as it is in the input.
    fn text(&mut self, text: &str) {
        self.value(Value::Text(text.to_string()));
    }

    /// Text the column takes as it is, already built (it had escapes).
    fn string(&mut self, text: String) {
        self.value(Value::Text(text));
    }
}

impl Cells for Vec<Value> {
    fn value(&mut self, value: Value) {
        self.push(value);
    }
}

impl<'a> Converter<'a> {
    /// Fails, as Redshift's COPY does before reading any data, when a JSONPaths file does not
    /// have exactly one path per column.
    pub fn new(
        table: &'a TableSpec,
        format: &'a JsonFormat,
        repair_mojibake: bool,
    ) -> Result<Self, String> {
        Self::with_conversion(table, format, repair_mojibake, Conversion::default())
    }

    /// [`Converter::new`] with a COPY's data-conversion options.
    pub fn with_conversion(
        table: &'a TableSpec,
        format: &'a JsonFormat,
        repair_mojibake: bool,
        conversion: Conversion,
    ) -> Result<Self, String> {
        if let JsonFormat::Paths(paths) = format
            && paths.len() != table.columns.len()
        {
            return Err(format!(
                "has {} paths but table {} has {} columns; Redshift requires one path per column",
                paths.len(),
                table.name,
                table.columns.len()
            ));
        }
        let (plan, path_reads) = match format {
            JsonFormat::Auto => (
                Plan::Exact(table.columns.iter().map(|c| c.name.clone()).collect()),
                Vec::new(),
            ),
            JsonFormat::AutoIgnoreCase => (
                Plan::IgnoreCase(
                    table
                        .columns
                        .iter()
                        .map(|c| c.name.to_ascii_lowercase())
                        .collect(),
                ),
                Vec::new(),
            ),
            JsonFormat::Paths(paths) => {
                // One slot per distinct first key; the rest of each path is looked up in it.
                let mut keys: Vec<String> = Vec::new();
                let slots: Vec<Option<usize>> = paths
                    .iter()
                    .map(|path| match path.steps.first() {
                        Some(jsonpaths::Step::Key(k)) => {
                            Some(keys.iter().position(|x| x == k).unwrap_or_else(|| {
                                keys.push(k.clone());
                                keys.len() - 1
                            }))
                        }
                        _ => None,
                    })
                    .collect();
                let reads = paths
                    .iter()
                    .zip(&slots)
                    .map(|(path, slot)| match *slot {
                        None => PathRead::Index,
                        Some(i)
                            if path.steps.len() == 1
                                && slots.iter().filter(|s| **s == Some(i)).count() == 1 =>
                        {
                            PathRead::Take(i)
                        }
                        Some(i) => PathRead::Lookup(i),
                    })
                    .collect();
                (Plan::Exact(keys), reads)
            }
        };
        Ok(Converter {
            plan,
            path_reads,
            table,
            format,
            repair_mojibake,
            domains: table
                .columns
                .iter()
                .map(|c| Domain::of(&table.name, &c.name))
                .collect(),
            conversion,
            tally: Tally::default(),
            fatal: std::sync::Mutex::new(None),
            compression: compressed::Rule::default(),
        })
    }

    /// How the reader should parse records for this converter ([`Converter::record_row`]).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Converts one record, as the reader parsed it under [`Converter::plan`], into a row, or
    /// says which field rejects it: the same row as [`Converter::row`] of the whole value. Text
    /// a column takes as it is moves into the row rather than being copied. `raw` is the
    /// record's text, which the ranges of its [`Member`]s point into.
    pub fn record_row(&self, record: Record, raw: &[u8]) -> Result<Row, FieldError> {
        let mut row = Vec::with_capacity(self.table.columns.len());
        self.record_into(record, raw, &mut row)?;
        Ok(row)
    }

    /// [`Converter::record_row`] into `row`, cell by cell: text a column takes as it is goes
    /// to [`Cells::text`] (borrowed from `raw`) or [`Cells::string`] (built, with escapes),
    /// everything else to [`Cells::value`]. On an error, part of the row may have been pushed;
    /// the caller drops it.
    pub fn record_into(
        &self,
        record: Record,
        raw: &[u8],
        row: &mut impl Cells,
    ) -> Result<(), FieldError> {
        let mut slots = match record {
            Record::Whole(value) => {
                for cell in self.row(&value)? {
                    row.value(cell);
                }
                return Ok(());
            }
            Record::Slots(slots) => slots,
        };
        // One UTF-8 check for the record's ranges (a record parsed into slots is valid UTF-8;
        // if `raw` were not, every range would be reported as not found in it).
        let raw = std::str::from_utf8(raw).unwrap_or_default();
        let n = self.table.columns.len();
        match self.format {
            JsonFormat::Paths(paths) => {
                for ((i, path), read) in paths.iter().enumerate().zip(&self.path_reads) {
                    // The path's first step was taken by the reader: its key's slot.
                    let found = match *read {
                        PathRead::Take(slot) => {
                            let member = slots.get_mut(slot).and_then(Option::take);
                            self.cell_into(i, member, raw, row)?;
                            continue;
                        }
                        PathRead::Lookup(slot) => match slots.get(slot).and_then(Option::as_ref) {
                            // Looking below the first key needs the tree (rare: built here).
                            Some(Member::Json(first)) => Cow::Borrowed(&**first),
                            Some(member) => Cow::Owned(self.member_json(i, member, raw)?),
                            None => {
                                row.value(self.cell(i, None)?);
                                continue;
                            }
                        },
                        PathRead::Index => {
                            let found = Err(jsonpaths::ARRAY_MISS.to_string());
                            row.value(
                                self.cell(i, self.path_found(i, path, found)?.map(View::of))?,
                            );
                            continue;
                        }
                    };
                    let found = self.path_found(i, path, path.lookup_rest(&found))?;
                    row.value(self.cell(i, found.map(View::of))?);
                }
            }
            JsonFormat::Auto | JsonFormat::AutoIgnoreCase => {
                for i in 0..n {
                    self.cell_into(i, slots.get_mut(i).and_then(Option::take), raw, row)?;
                }
            }
        }
        Ok(())
    }

    /// A path's lookup, where an array element that is not there fails the whole load.
    fn path_found<'v>(
        &self,
        column: usize,
        path: &JsonPath,
        found: std::result::Result<Option<&'v Json>, String>,
    ) -> Result<Option<&'v Json>, FieldError> {
        found.map_err(|reason| {
            self.fail(Fatal::JsonPath(format!("{reason} (path {})", path.text)));
            FieldError {
                column,
                raw_value: String::new(),
                reason,
            }
        })
    }

    /// Converts one root-level JSON value into a row, or says which field rejects it.
    pub fn row(&self, record: &Json) -> Result<Row, FieldError> {
        let n = self.table.columns.len();
        let mut row = Vec::with_capacity(n);
        match self.format {
            JsonFormat::Paths(paths) => {
                for (i, path) in paths.iter().enumerate() {
                    let found = self.path_found(i, path, path.lookup(record))?;
                    row.push(self.cell(i, found.map(View::of))?);
                }
            }
            JsonFormat::Auto | JsonFormat::AutoIgnoreCase => {
                let Json::Object(map) = record else {
                    return Err(FieldError {
                        column: usize::MAX,
                        raw_value: reader::clip(record.to_string().as_bytes()),
                        reason: format!(
                            "a JSON {} cannot be loaded with {}: each record must be an object",
                            kind(record),
                            self.format.describe()
                        ),
                    });
                };
                // The plan matches keys to columns, as the reader does for a record it parses
                // into slots itself.
                for (i, slot) in self.plan.map_slots(map).into_iter().enumerate() {
                    row.push(self.cell(i, slot.map(View::of))?);
                }
            }
        }
        Ok(row)
    }

    /// [`Converter::cell`] of a slot's value into `row`, where the row may keep text: text that
    /// a text column without a [`Domain`] takes as it is (no repair, no NULL rule, within the
    /// length, no NUL) goes to the row as it is, built or borrowed; anything else the usual
    /// way.
    fn cell_into(
        &self,
        column: usize,
        value: Option<Member>,
        raw: &str,
        row: &mut impl Cells,
    ) -> Result<(), FieldError> {
        match value {
            Some(Member::Json(json)) => match *json {
                Json::String(text) => self.string_into(column, text, row)?,
                json => row.value(self.cell(column, Some(View::of(&json)))?),
            },
            Some(Member::String(text)) => self.string_into(column, text, row)?,
            Some(Member::Null) => row.value(self.cell(column, Some(View::Null))?),
            Some(Member::Bool(b)) => row.value(self.cell(column, Some(View::Bool(b)))?),
            Some(Member::Text { start, end, ascii }) => {
                let text = self.member_text(column, raw, start, end)?;
                // The reader found no control character (so no NUL) and saw whether every
                // byte is ASCII: the text is not scanned again.
                let bytes = TextBytes { nul: false, ascii };
                if self.keeps(column, text, bytes) {
                    row.text(text);
                } else {
                    row.value(self.cell(column, Some(View::Text(text)))?);
                }
            }
            Some(Member::Number(start, end)) => {
                let text = self.member_text(column, raw, start, end)?;
                row.value(self.cell(column, Some(View::Number(text)))?);
            }
            None => row.value(self.cell(column, None)?),
        }
        Ok(())
    }

    /// [`Converter::cell_into`] of text already built: moved into the row when the column
    /// takes it as it is.
    fn string_into(
        &self,
        column: usize,
        text: String,
        row: &mut impl Cells,
    ) -> Result<(), FieldError> {
        if self.takes_as_is(column, &text) {
            row.string(text);
        } else {
            row.value(self.cell(column, Some(View::Text(&text)))?);
        }
        Ok(())
    }

    /// Whether column `column` keeps `text` exactly as it is.
    fn takes_as_is(&self, column: usize, text: &str) -> bool {
        match self.table.columns[column].ty {
            ColumnType::Varchar(_) | ColumnType::Char(_) => {
                self.keeps(column, text, TextBytes::of(text))
            }
            _ => false,
        }
    }

    /// [`Converter::takes_as_is`], given what `text`'s bytes hold.
    fn keeps(&self, column: usize, text: &str, bytes: TextBytes) -> bool {
        match self.table.columns[column].ty {
            ColumnType::Varchar(max) | ColumnType::Char(max) => {
                let changed_or_rejected = text.len() > max as usize
                    || text.is_empty()
                    || (self.conversion.blanks_as_null && text.trim().is_empty())
                    || bytes.nul
                    // ASCII is never mojibake (the repair reads code points above it).
                    || (!bytes.ascii && self.repair_mojibake && mojibake::repair(text).is_some())
                    || self.domains.get(column).copied().flatten().is_some();
                !changed_or_rejected
            }
            _ => false,
        }
    }

    /// The text a member's range points at in `raw`; an error only when `raw` is not the text
    /// the record was read from (a caller's mistake, reported rather than panicking).
    fn member_text<'r>(
        &self,
        column: usize,
        raw: &'r str,
        start: usize,
        end: usize,
    ) -> Result<&'r str, FieldError> {
        raw.get(start..end)
            .ok_or_else(|| self.not_from(column, raw))
    }

    /// [`Member::to_json`], or the same error as [`Converter::member_text`].
    fn member_json(&self, column: usize, member: &Member, raw: &str) -> Result<Json, FieldError> {
        member
            .to_json(raw)
            .ok_or_else(|| self.not_from(column, raw))
    }

    fn not_from(&self, column: usize, raw: &str) -> FieldError {
        FieldError {
            column,
            raw_value: reader::clip(raw.as_bytes()),
            reason: "internal error: the record's value is not in the text it was read from".into(),
        }
    }

    fn cell(&self, column: usize, value: Option<View<'_>>) -> Result<Value, FieldError> {
        let col = &self.table.columns[column];
        let Some(value) = value else {
            return self.not_null(column, Value::Null, "");
        };
        convert::convert_view(
            value,
            col.ty,
            self.repair_mojibake,
            &self.conversion,
            &self.tally,
        )
        .and_then(|v| match self.domains.get(column).copied().flatten() {
            Some(domain) => domain.check(&v).map(|()| v),
            None => Ok(v),
        })
        .and_then(|v| match (&v, col.not_null) {
            // Redshift's wording (load error 1213).
            (Value::Null, true) => Err("Missing data for not-null field".to_string()),
            _ => Ok(v),
        })
        .map_err(|reason| FieldError {
            column,
            raw_value: reader::clip(value.raw_text().as_bytes()),
            reason,
        })
    }
}

/// What [`Converter::keeps`] needs to know of a text's bytes: whether it holds a NUL (which
/// COPY changes or rejects) and whether it is all ASCII (which the mojibake repair leaves
/// alone). The fast reader knows both for the text it reads; other text is scanned once for
/// both, where two scans (`memchr` for the NUL, `is_ascii` in the repair) were 6 % of the
/// parser threads' time at 10M events.
#[derive(Debug, Clone, Copy)]
struct TextBytes {
    nul: bool,
    ascii: bool,
}

impl TextBytes {
    fn of(text: &str) -> TextBytes {
        let (lowest, any) = record::fast::lowest_and_any(text.as_bytes());
        TextBytes {
            nul: lowest == 0,
            ascii: any < 0x80,
        }
    }
}

impl Converter<'_> {
    /// With ACCEPTINVCHARS, the character that replaces each byte of invalid UTF-8 before the
    /// text is parsed ([`convert::ReplaceInvalid`]).
    pub fn replacement(&self) -> Option<char> {
        self.conversion.accept_inv_chars
    }

    /// The error that fails the whole load, when a record or file had one.
    pub fn fatal(&self) -> Option<Fatal> {
        self.fatal.lock().ok().and_then(|f| f.clone())
    }

    /// Records what fails the whole load (the first such error is kept).
    pub fn fail(&self, fatal: Fatal) {
        if let Ok(mut slot) = self.fatal.lock() {
            slot.get_or_insert(fatal);
        }
    }

    /// Reads data files as `rule` says (by name, or COPY's GZIP, ZSTD, BZIP2).
    pub fn with_compression(mut self, rule: compressed::Rule) -> Self {
        self.compression = rule;
        self
    }

    pub fn compression(&self) -> compressed::Rule {
        self.compression
    }

    /// A NULL (a key or path that found nothing) for a NOT NULL column rejects the row.
    fn not_null(&self, column: usize, v: Value, raw: &str) -> Result<Value, FieldError> {
        if matches!(v, Value::Null) && self.table.columns[column].not_null {
            return Err(FieldError {
                column,
                raw_value: raw.to_string(),
                reason: "Missing data for not-null field".into(),
            });
        }
        Ok(v)
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Converts one JSON value to a column type under COPY's rules, without conversion options.
pub fn convert(value: &Json, ty: ColumnType, repair_mojibake: bool) -> Result<Value, String> {
    convert::convert(
        value,
        ty,
        repair_mojibake,
        &Conversion::default(),
        &Tally::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;
    use serde_json::json;

    pub(super) fn spec(cols: &[(&str, ColumnType)]) -> TableSpec {
        TableSpec {
            name: "t".into(),
            columns: cols
                .iter()
                .map(|(n, ty)| Column {
                    name: n.to_string(),
                    ty: *ty,
                    not_null: false,
                })
                .collect(),
        }
    }

    const V: ColumnType = ColumnType::Varchar(256);

    #[test]
    fn auto_matches_keys_case_sensitively() {
        let t = spec(&[("userid", ColumnType::Integer), ("page", V)]);
        let c = Converter::new(&t, &JsonFormat::Auto, false).unwrap();
        // `userId` is not `userid`: Redshift loads NULL silently, and so do we.
        let row = c.row(&json!({"userId": "39", "page": "Home"})).unwrap();
        assert_eq!(row, vec![Value::Null, Value::Text("Home".into())]);
    }

    #[test]
    fn auto_ignorecase_matches_any_case() {
        let t = spec(&[("userid", ColumnType::Integer), ("page", V)]);
        let c = Converter::new(&t, &JsonFormat::AutoIgnoreCase, false).unwrap();
        let row = c.row(&json!({"userId": "39", "PAGE": "Home"})).unwrap();
        assert_eq!(row, vec![Value::Int(39), Value::Text("Home".into())]);
    }

    #[test]
    fn jsonpaths_map_by_position_not_by_name() {
        let t = spec(&[("first_col", V), ("second_col", ColumnType::BigInt)]);
        let f = JsonFormat::Paths(vec![
            JsonPath::parse("$['name']").unwrap(),
            JsonPath::parse("$.ts").unwrap(),
        ]);
        let c = Converter::new(&t, &f, false).unwrap();
        let row = c
            .row(&json!({"ts": 1541105830796_i64, "name": "x"}))
            .unwrap();
        assert_eq!(
            row,
            vec![Value::Text("x".into()), Value::Int(1541105830796)]
        );
        // A path that finds nothing loads NULL.
        let row = c.row(&json!({"other": 1})).unwrap();
        assert_eq!(row, vec![Value::Null, Value::Null]);
    }

    #[test]
    fn jsonpaths_count_must_equal_column_count() {
        let t = spec(&[("a", V), ("b", V)]);
        let f = JsonFormat::Paths(vec![JsonPath::parse("$.a").unwrap()]);
        let err = Converter::new(&t, &f, false).err().unwrap();
        assert!(err.contains("1 paths but table t has 2 columns"), "{err}");
    }

    #[test]
    fn missing_keys_load_null_and_extra_keys_are_ignored() {
        let t = spec(&[("a", V), ("b", ColumnType::Integer)]);
        let c = Converter::new(&t, &JsonFormat::Auto, false).unwrap();
        let row = c.row(&json!({"a": "x", "zzz": [1, 2]})).unwrap();
        assert_eq!(row, vec![Value::Text("x".into()), Value::Null]);
    }

    #[test]
    fn empty_string_is_null_only_for_non_text_columns() {
        assert_eq!(
            convert(&json!(""), ColumnType::Integer, false),
            Ok(Value::Null)
        );
        assert_eq!(
            convert(&json!(""), ColumnType::Double, false),
            Ok(Value::Null)
        );
        assert_eq!(
            convert(&json!(""), V, false),
            Ok(Value::Text(String::new()))
        );
    }

    #[test]
    fn numbers_and_numeric_strings_cross_over() {
        // The real song data has artist names that are JSON numbers.
        let n: Json = serde_json::from_str("311").unwrap();
        assert_eq!(convert(&n, V, false), Ok(Value::Text("311".into())));
        // Digits in a string load into a numeric column (`userId` is a string in the logs).
        assert_eq!(
            convert(&json!("39"), ColumnType::Integer, false),
            Ok(Value::Int(39))
        );
        assert_eq!(
            convert(&json!("269.58322"), ColumnType::Double, false),
            Ok(Value::Double(269.58322))
        );
        // A float number keeps its text exactly as written.
        let f: Json = serde_json::from_str("1540919166796.0").unwrap();
        assert_eq!(
            convert(&f, V, false),
            Ok(Value::Text("1540919166796.0".into()))
        );
        assert_eq!(
            convert(&f, ColumnType::Double, false),
            Ok(Value::Double(1540919166796.0))
        );
    }

    #[test]
    fn conversion_errors_are_reasons() {
        let cases = [
            (json!("abc"), ColumnType::Integer, "invalid digit"),
            (json!("1.5"), ColumnType::Integer, "invalid digit"),
            (
                serde_json::from_str::<Json>("1.5").unwrap(),
                ColumnType::BigInt,
                "invalid digit",
            ),
            (
                json!(3_000_000_000_i64),
                ColumnType::Integer,
                "out of range",
            ),
            (json!(40000), ColumnType::SmallInt, "out of range"),
            (
                serde_json::from_str::<Json>("99999999999999999999").unwrap(),
                ColumnType::BigInt,
                "out of range",
            ),
            (
                serde_json::from_str::<Json>("1e400").unwrap(),
                ColumnType::Double,
                "out of range",
            ),
            (json!("NaN"), ColumnType::Double, "invalid number"),
            (json!("twelve"), ColumnType::Double, "invalid number"),
            (json!({"a": 1}), ColumnType::Integer, "object cannot load"),
            (json!([1]), ColumnType::Double, "array cannot load"),
            (json!(true), ColumnType::Integer, "boolean cannot load"),
            (json!("x".repeat(300)), V, "longer than VARCHAR(256)"),
            (json!("a\u{0}b"), V, "NUL character"),
        ];
        for (value, ty, needle) in cases {
            let err = convert(&value, ty, false).unwrap_err();
            assert!(err.contains(needle), "{value} as {ty:?}: {err}");
        }
    }

    #[test]
    fn nested_values_load_into_text_as_json() {
        assert_eq!(
            convert(&json!({"a": [1, 2]}), V, false),
            Ok(Value::Text(r#"{"a":[1,2]}"#.into()))
        );
    }

    #[test]
    fn a_bad_field_names_its_column() {
        let t = spec(&[("a", V), ("b", ColumnType::Integer)]);
        let c = Converter::new(&t, &JsonFormat::Auto, false).unwrap();
        let err = c.row(&json!({"a": "ok", "b": "x1"})).unwrap_err();
        assert_eq!(err.column, 1);
        assert_eq!(err.raw_value, "x1");
    }

    #[test]
    fn mojibake_is_repaired_only_when_asked() {
        let raw = json!("Bj\u{c3}\u{83}\u{c2}\u{b6}rk");
        assert_eq!(convert(&raw, V, true), Ok(Value::Text("Björk".into())));
        assert_eq!(
            convert(&raw, V, false),
            Ok(Value::Text("Bj\u{c3}\u{83}\u{c2}\u{b6}rk".into()))
        );
    }

    #[test]
    fn column_types_parse_from_ddl() {
        assert_eq!(
            ColumnType::parse("VARCHAR(18)"),
            Some(ColumnType::Varchar(18))
        );
        assert_eq!(ColumnType::parse("varchar"), Some(ColumnType::Varchar(256)));
        assert_eq!(
            ColumnType::parse("double precision"),
            Some(ColumnType::Double)
        );
        assert_eq!(ColumnType::parse("INTEGER"), Some(ColumnType::Integer));
        assert_eq!(ColumnType::parse("TIMESTAMP"), None);
    }
}
