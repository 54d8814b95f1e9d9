//! One root-level JSON record, parsed only as far as the load needs it.
//!
//! serde_json's `Value` builds every object as a hash map (an `IndexMap`, with
//! `preserve_order`): one allocated `String` per key, one SipHash per key to insert it and
//! another per column to look it up again. Staging then reads each record once, by column. A
//! [`Plan`] says up front which first-level keys feed which slot, so an object record is parsed
//! straight into those slots: keys are compared in place (borrowed from the input), never
//! copied or hashed. Staging the 1M-event benchmark's events took 2.5 s instead of 3.3 s
//! (BENCHMARKS.md, 2026-12-03).
//!
//! Nothing of COPY's behaviour changes, because the record is parsed by the same parser with
//! the same rules: every member's value is still built as a `Value` (so whatever made a record
//! malformed before, invalid UTF-8 in a key nobody loads included, still does), a key that
//! appears twice keeps its last value as the map did, and `'auto ignorecase'` still takes the
//! first key (in document order) that matches a column. Records that are not objects are parsed
//! whole, as before. `tests::planned_rows_equal_whole_rows` holds the two ways side by side.
//! One serde_json quirk is gone at the top level: with `arbitrary_precision`, a `Value` takes an
//! object whose first key is `$serde_json::private::Number` for a number; the slots see the
//! object it is, as Redshift would.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value as Json};

pub(super) mod fast;

/// Which first-level keys a record's slots hold.
#[derive(Debug, Clone, Default)]
pub enum Plan {
    /// Parse every record whole, as a `Value` (what the reader's own tests look at).
    #[default]
    Whole,
    /// Slot `i` holds the value of the key equal to `keys[i]` (its last value, when the key
    /// appears twice).
    Exact(Vec<String>),
    /// Slot `i` holds the value of the first key, in document order, equal to `names[i]`
    /// ignoring ASCII case (`names` lower-case); a key matches the first name it can.
    IgnoreCase(Vec<String>),
}

/// A record as the reader hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// The whole value: under [`Plan::Whole`], and for a record that is not an object.
    Whole(Json),
    /// An object record's slots under an [`Plan::Exact`] or [`Plan::IgnoreCase`] plan; `None`
    /// where no key matched. Members no slot asked for were parsed and dropped.
    Slots(Vec<Option<Member>>),
}

/// One slot's value. Ranges are byte offsets into the record's raw text (the reader's
/// `Item::Value::raw`), which the converter is given with the record. Small (32 bytes), since
/// the fast reader moves one per member: a `Value` is boxed.
#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    /// A value serde_json built.
    Json(Box<Json>),
    Null,
    Bool(bool),
    /// Text with escapes, built by the fast reader.
    String(String),
    /// Text without escapes, between its quotes: valid UTF-8 without control characters (so
    /// without NUL); `ascii` when every byte is ASCII (so it is not mojibake).
    Text {
        start: usize,
        end: usize,
        ascii: bool,
    },
    /// A number as written, by JSON's grammar.
    Number(usize, usize),
}

// What the fast reader's speed depends on (moving a 80-byte `Value` per member was ~a third of
// its time); a compile error, should a variant grow.
const _: () = assert!(std::mem::size_of::<Member>() <= 32);

impl Member {
    /// The value as serde_json would have built it (for a JSONPaths lookup below the first
    /// key, which needs the tree), given the record's text; `None` when a range is not in it.
    pub fn to_json(&self, raw: &str) -> Option<Json> {
        match self {
            Member::Json(json) => Some((**json).clone()),
            Member::Null => Some(Json::Null),
            Member::Bool(b) => Some(Json::Bool(*b)),
            Member::String(text) => Some(Json::String(text.clone())),
            Member::Text { start, end, .. } => {
                raw.get(*start..*end).map(|t| Json::String(t.into()))
            }
            Member::Number(start, end) => serde_json::from_str(raw.get(*start..*end)?).ok(),
        }
    }
}

impl Plan {
    /// Whether records starting with `{` are parsed into slots.
    pub fn slots(&self) -> bool {
        !matches!(self, Plan::Whole)
    }

    fn len(&self) -> usize {
        match self {
            Plan::Whole => 0,
            Plan::Exact(keys) => keys.len(),
            Plan::IgnoreCase(names) => names.len(),
        }
    }

    /// The slot the key whose text is `key` feeds, trying `hint` first: records of one file
    /// usually list their keys in one order, so the slot after the last match is most often
    /// the right one. (Bytes: the fast reader compares keys before it has made them `&str`.)
    #[inline]
    fn slot_of(&self, key: &[u8], hint: usize) -> Option<usize> {
        match self {
            Plan::Whole => None,
            Plan::Exact(keys) => {
                if keys.get(hint).is_some_and(|k| k.as_bytes() == key) {
                    return Some(hint);
                }
                keys.iter().position(|k| k.as_bytes() == key)
            }
            // The first name that matches.
            Plan::IgnoreCase(names) => names
                .iter()
                .position(|n| n.as_bytes().eq_ignore_ascii_case(key)),
        }
    }

    /// The slots of an object serde_json already built as a map (each key once, at its first
    /// place, holding its last value): the first key to reach a slot keeps it.
    pub(super) fn map_slots<'v>(&self, map: &'v Map<String, Json>) -> Vec<Option<&'v Json>> {
        let mut slots = vec![None; self.len()];
        let mut hint = 0;
        for (key, value) in map {
            if let Some(slot) = self.slot_of(key.as_bytes(), hint) {
                hint = slot + 1;
                slots[slot].get_or_insert(value);
            }
        }
        slots
    }
}

/// Parses one object (the deserializer must be at its `{`) into the plan's slots.
pub(super) struct ObjectSeed<'p>(pub &'p Plan);

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Vec<Option<Member>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Vec<Option<Member>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut filling = Filling::<Cow<'de, str>>::new(self.0);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            // Every value is built, wanted or not, so that it is checked exactly as before.
            let value = Member::Json(Box::new(map.next_value()?));
            filling.put(key.as_bytes(), key.clone(), value);
        }
        Ok(filling.slots)
    }
}

/// An object's slots filled member by member as serde_json's map kept them, for both readers.
pub(super) struct Filling<'p, K> {
    plan: &'p Plan,
    pub(super) slots: Vec<Option<Member>>,
    /// Under IgnoreCase, the exact key that claimed each slot: only a later member with that
    /// same key replaces the value (the map kept one entry per distinct key, at its first
    /// place, holding its last value); other spellings are ignored. Empty under Exact, where
    /// a key's last value wins.
    claims: Vec<Option<K>>,
    /// Where the last key matched (`Plan::slot_of`).
    hint: usize,
}

impl<'p, K: PartialEq + Clone> Filling<'p, K> {
    pub(super) fn new(plan: &'p Plan) -> Self {
        // Not `vec![None; n]`, which clones its element into each place, a match on the
        // member's kind each time (430 instructions a record, with the allocation).
        fn nones<T>(n: usize) -> Vec<Option<T>> {
            let mut nones = Vec::with_capacity(n);
            nones.resize_with(n, || None);
            nones
        }
        Filling {
            plan,
            slots: nones(plan.len()),
            claims: match plan {
                Plan::IgnoreCase(_) => nones(plan.len()),
                _ => Vec::new(),
            },
            hint: 0,
        }
    }

    /// The member `key` (whose text is `bytes`) with `value`.
    #[inline]
    pub(super) fn put(&mut self, bytes: &[u8], key: K, value: Member) {
        let Some(slot) = self.plan.slot_of(bytes, self.hint) else {
            return;
        };
        self.hint = slot + 1;
        match self.claims.get_mut(slot) {
            None => self.slots[slot] = Some(value),
            Some(claim @ None) => {
                *claim = Some(key);
                self.slots[slot] = Some(value);
            }
            Some(Some(claimed)) if *claimed == key => self.slots[slot] = Some(value),
            Some(Some(_)) => {}
        }
    }
}

/// A key, borrowed from the input when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::atomic::Ordering;

    use super::super::reader::{self, Item};
    use super::super::tests::spec;
    use super::super::{Conversion, Converter, FieldError, JsonFormat, JsonPath};
    use crate::schema::{ColumnType, TableSpec};
    use crate::value::{Row, Value};

    /// What one record became: a row, a rejected field, or a malformed record.
    type Outcome = (u64, Result<Row, Result<FieldError, String>>);

    /// Every item of `text`, read whole and converted with `row`, or read under the
    /// converter's plan and converted with `record_row`.
    fn outcomes(text: &[u8], converter: &Converter<'_>, planned: bool) -> Vec<Outcome> {
        let mut items = if planned {
            reader::items_planned(text, converter.plan())
        } else {
            reader::items(text)
        };
        let mut got = Vec::new();
        while let Some(item) = items.next_item().unwrap() {
            got.push(match item {
                Item::Value { value, line, raw } => {
                    // The point of a plan: objects are never built as maps.
                    if planned {
                        assert_eq!(
                            matches!(value, super::Record::Slots(_)),
                            raw.first() == Some(&b'{'),
                            "{value:?}"
                        );
                    }
                    let row = if planned {
                        converter.record_row(value, raw)
                    } else {
                        match &value {
                            super::Record::Whole(json) => converter.row(json),
                            other => panic!("read whole, got {other:?}"),
                        }
                    };
                    (line, row.map_err(Ok))
                }
                Item::Malformed { line, reason, .. } => (line, Err(Err(reason))),
            });
        }
        got
    }

    fn assert_same(text: &[u8], table: &TableSpec, format: &JsonFormat) {
        // Without conversion options, and with those that change text on its way into a row.
        let options = Conversion {
            truncate_columns: true,
            blanks_as_null: true,
            empty_as_null: true,
            ..Conversion::default()
        };
        for conversion in [Conversion::default(), options] {
            let new = || Converter::with_conversion(table, format, true, conversion.clone());
            let (whole, planned) = (new().unwrap(), new().unwrap());
            let expected = outcomes(text, &whole, false);
            let got = outcomes(text, &planned, true);
            assert_eq!(
                got,
                expected,
                "{format:?} on {}",
                String::from_utf8_lossy(text)
            );
            assert_eq!(planned.fatal(), whole.fatal(), "{format:?}");
            assert_eq!(
                planned.tally.truncated.load(Ordering::Relaxed),
                whole.tally.truncated.load(Ordering::Relaxed)
            );
        }
    }

    /// copy's own test table, with the column `id` NOT NULL (so a record without it is
    /// rejected, and the two ways must reject it alike).
    fn table(columns: &[(&str, ColumnType)]) -> TableSpec {
        let mut table = spec(columns);
        for column in &mut table.columns {
            column.not_null = column.name == "id";
        }
        table
    }

    fn paths(texts: &[&str]) -> JsonFormat {
        JsonFormat::Paths(texts.iter().map(|t| JsonPath::parse(t).unwrap()).collect())
    }

    /// Records that probe each rule the map used to apply: duplicate keys (the last value, at
    /// the first key's place), spellings that differ only in case, escaped keys, nested values,
    /// NULLs, keys no column wants (still parsed, so still rejected when malformed), records
    /// that are not objects, and malformed ones.
    const HOSTILE: &[u8] = b"{\"id\":1,\"Name\":\"a\",\"name\":\"b\",\"NAME\":\"c\",\"Name\":\"d\"}
{\"id\":2,\"name\":\"x\",\"name\":\"y\",\"n\":[1,{\"k\":\"v\"}],\"extra\":{\"deep\":[1,2]}}
{\"i\\u0064\":3,\"na\\u006de\":\"escaped keys\",\"n\":{\"k\":[10,20]}}
{\"id\":4,\"name\":null,\"n\":null}
{\"name\":\"no id\"}
{\"id\":5,\"unused\":\"\xff\xfe\",\"name\":\"bad UTF-8 in a key nobody loads\"}
{\"id\":6,\"name\":\"t\",\"n\":[1,2,3],}
[1,2,3]
\"a string\"
42
{\"id\":7,\"ID\":8,\"Id\":9,\"n\":{\"k\":\"not an array\"}}
{\"id\":8,\"name\":\"sp\xc3\xa4ter\", \"n\" : { \"k\" : [ 1 ] } }
{}
{\"id\":9,\"name\":
{\"id\":10,\"name\":\"after a truncated record\"}
{\"id\":11,\"name\":\"sp\xc3\x83\xc2\xa4ter\",\"n\":\"\"}
{\"id\":12,\"name\":\"NUL \\u0000 inside\",\"n\":\"   \"}
{\"id\":13,\"name\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}
{\"id\":\"14\",\"name\":14.5,\"n\":true}
";

    #[test]
    fn planned_rows_equal_whole_rows() {
        let t = table(&[
            ("id", ColumnType::Integer),
            ("name", ColumnType::Varchar(64)),
            ("n", ColumnType::Varchar(64)),
        ]);
        assert_same(HOSTILE, &t, &JsonFormat::Auto);
        assert_same(HOSTILE, &t, &JsonFormat::AutoIgnoreCase);
        for format in [
            paths(&["$['id']", "$['name']", "$['n']"]),
            paths(&["$.id", "$.n.k", "$.name"]),
            // One key feeding two columns, and an array index under a key.
            paths(&["$['id']", "$['n']['k'][1]", "$['n']['k']"]),
            // A path that starts with an array index finds an object: the load fails.
            paths(&["$['id']", "$[0]", "$['name']"]),
            paths(&["$['ID']", "$['Name']", "$['missing']['deeper']"]),
        ] {
            assert_same(HOSTILE, &t, &format);
        }
        // Columns whose names differ only in case: a key matches the first of them.
        let cased = table(&[
            ("Name", ColumnType::Varchar(8)),
            ("NAME", ColumnType::Varchar(8)),
        ]);
        assert_same(HOSTILE, &cased, &JsonFormat::AutoIgnoreCase);
        // Both ways share the plan's matching, so pin the rule itself too: every spelling of
        // `name` matches the first column; the first spelling (`Name`) keeps its last value.
        let converter = Converter::new(&cased, &JsonFormat::AutoIgnoreCase, true).unwrap();
        let first = HOSTILE.split(|&b| b == b'\n').next().unwrap_or_default();
        let record = serde_json::from_slice(first).unwrap();
        assert_eq!(
            converter.row(&record).unwrap(),
            vec![Value::Text("d".into()), Value::Null]
        );
        assert_same(HOSTILE, &cased, &JsonFormat::Auto);
    }

    #[test]
    fn planned_rows_equal_whole_rows_on_the_sample_data() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sparkify");
        let jsonpaths = std::fs::read(data.join("log_json_path.json")).unwrap();
        let events = JsonFormat::Paths(super::super::jsonpaths::parse_file(&jsonpaths).unwrap());
        let events_table = crate::sql::table_spec("staging_events").unwrap();
        let songs_table = crate::sql::table_spec("staging_songs").unwrap();
        let mut files = 0;
        for entry in walkdir::WalkDir::new(&data).sort_by_file_name() {
            let entry = entry.unwrap();
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let text = std::fs::read(path).unwrap();
            if path.starts_with(data.join("log_data")) {
                assert_same(&text, &events_table, &events);
            } else if path.starts_with(data.join("song_data")) {
                assert_same(&text, &songs_table, &JsonFormat::AutoIgnoreCase);
                assert_same(&text, &songs_table, &JsonFormat::Auto);
            } else {
                continue;
            }
            files += 1;
        }
        assert_eq!(
            files,
            30 + 71,
            "the sample's 30 log files and 71 song files"
        );
    }
}
