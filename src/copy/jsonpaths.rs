//! Redshift JSONPaths files: `{"jsonpaths": ["$['artist']", "$.auth", "$['a'][0]"]}`.
//!
//! Redshift accepts bracket notation (`$['key']`) or dot notation (`$.key`), array indexes, and
//! no wildcards or filters; one path may not mix the two notations. Values are taken *by
//! position*: the n-th path feeds the n-th column, whatever the column is called.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A parsed JSONPath expression such as `$['userId']`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub text: String,
    pub steps: Vec<Step>,
}

impl JsonPath {
    /// Parses one expression; the error says what Redshift would complain about.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix('$')
            .ok_or_else(|| format!("path {text:?} must start with '$'"))?;
        let bytes = rest.as_bytes();
        let mut steps = Vec::new();
        let (mut dot, mut bracket) = (false, false);
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => {
                    dot = true;
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && bytes[end] != b'.' && bytes[end] != b'[' {
                        end += 1;
                    }
                    let key = &rest[start..end];
                    if key.is_empty() {
                        return Err(format!("path {text:?} has an empty key after '.'"));
                    }
                    if key == "*" {
                        return Err(format!("path {text:?}: wildcards are not supported"));
                    }
                    steps.push(Step::Key(key.to_string()));
                    i = end;
                }
                b'[' => {
                    let close = rest[i..]
                        .find(']')
                        .map(|p| p + i)
                        .ok_or_else(|| format!("path {text:?} has an unclosed '['"))?;
                    let inner = rest[i + 1..close].trim();
                    if let Some(quoted) = inner
                        .strip_prefix('\'')
                        .and_then(|s| s.strip_suffix('\''))
                        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                    {
                        bracket = true;
                        steps.push(Step::Key(quoted.to_string()));
                    } else if let Ok(index) = inner.parse::<usize>() {
                        steps.push(Step::Index(index));
                    } else if inner == "*" {
                        return Err(format!("path {text:?}: wildcards are not supported"));
                    } else {
                        return Err(format!(
                            "path {text:?}: [{inner}] is neither a quoted key nor an array index"
                        ));
                    }
                    i = close + 1;
                }
                other => {
                    return Err(format!(
                        "path {text:?}: unexpected character {:?}",
                        other as char
                    ));
                }
            }
        }
        if dot && bracket {
            return Err(format!(
                "path {text:?} mixes bracket and dot notation, which Redshift refuses"
            ));
        }
        if steps.is_empty() {
            return Err(format!(
                "path {text:?} selects the whole record, not a field"
            ));
        }
        Ok(JsonPath {
            text: text.to_string(),
            steps,
        })
    }

    /// The value at this path, or `None` when any step finds nothing (Redshift loads NULL).
    pub fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.lookup(root).ok().flatten()
    }

    /// The value at this path as COPY looks it up (`copy-parameters-data-format`): an object
    /// element that is not there is `None` (NULL), but an array element that is not there
    /// (an index past the end, or an index into something that is not an array) is an error
    /// that fails the whole COPY, in Redshift's words.
    pub fn lookup<'v>(&self, root: &'v Value) -> Result<Option<&'v Value>, String> {
        lookup_steps(&self.steps, root)
    }

    /// [`JsonPath::lookup`] from the value the path's first step found.
    pub fn lookup_rest<'v>(&self, first: &'v Value) -> Result<Option<&'v Value>, String> {
        lookup_steps(self.steps.get(1..).unwrap_or_default(), first)
    }
}

fn lookup_steps<'v>(steps: &[Step], root: &'v Value) -> Result<Option<&'v Value>, String> {
    let mut current = root;
    for step in steps {
        current = match (step, current) {
            (Step::Key(k), Value::Object(map)) => match map.get(k) {
                Some(v) => v,
                None => return Ok(None),
            },
            (Step::Index(i), Value::Array(items)) => match items.get(*i) {
                Some(v) => v,
                None => return Err(ARRAY_MISS.into()),
            },
            (_, Value::Null) | (Step::Key(_), _) => return Ok(None),
            (Step::Index(_), _) => return Err(ARRAY_MISS.into()),
        };
    }
    Ok(Some(current))
}

/// Redshift's error for a JSONPaths array element that is not in the data.
pub const ARRAY_MISS: &str = "Invalid JSONPath format: Not an array or index out of range.";

/// The name of a JSONPaths file's one top-level key when it is not `jsonpaths`: Redshift then
/// ignores the file and loads with `'auto'` (`copy-usage_notes-copy-from-json`: "If the name
/// is any string other than "jsonpaths", COPY uses the 'auto' argument instead").
pub fn other_name(contents: &[u8]) -> Option<String> {
    let contents = contents.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(contents);
    match serde_json::from_slice::<Value>(contents).ok()? {
        Value::Object(map) if map.len() == 1 && !map.contains_key("jsonpaths") => {
            map.keys().next().cloned()
        }
        _ => None,
    }
}

/// Parses the contents of a JSONPaths file.
pub fn parse_file(contents: &[u8]) -> Result<Vec<JsonPath>, String> {
    let contents = contents.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(contents);
    let value: Value =
        serde_json::from_slice(contents).map_err(|e| format!("not valid JSON ({e})"))?;
    let Value::Object(map) = value else {
        return Err("must be one JSON object with the key \"jsonpaths\"".into());
    };
    if map.len() != 1 || !map.contains_key("jsonpaths") {
        return Err(format!(
            "must hold exactly one key, \"jsonpaths\"; found {}",
            map.keys()
                .map(|k| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let Some(Value::Array(paths)) = map.get("jsonpaths") else {
        return Err("the key \"jsonpaths\" must hold an array of path strings".into());
    };
    if paths.is_empty() {
        return Err("the \"jsonpaths\" array is empty".into());
    }
    paths
        .iter()
        .enumerate()
        .map(|(n, p)| match p {
            Value::String(s) => JsonPath::parse(s).map_err(|e| format!("entry {}: {e}", n + 1)),
            other => Err(format!("entry {} is {other}, not a string", n + 1)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bracket_and_dot_notation_find_the_same_value() {
        let v = json!({"userId": "39", "a": {"b": [10, 20]}});
        let bracket = JsonPath::parse("$['userId']").unwrap();
        let dot = JsonPath::parse("$.userId").unwrap();
        assert_eq!(bracket.find(&v), Some(&json!("39")));
        assert_eq!(dot.find(&v), Some(&json!("39")));
        let nested = JsonPath::parse("$['a']['b'][1]").unwrap();
        assert_eq!(nested.find(&v), Some(&json!(20)));
        assert_eq!(
            JsonPath::parse("$.a.b[0]").unwrap().find(&v),
            Some(&json!(10))
        );
        assert_eq!(JsonPath::parse("$.missing").unwrap().find(&v), None);
        assert_eq!(JsonPath::parse("$.a.b[5]").unwrap().find(&v), None);
    }

    #[test]
    fn a_missing_object_element_is_null_but_a_missing_array_element_is_an_error() {
        // copy-parameters-data-format: NULL for a missing object element; an array element
        // that is not there fails the COPY with Redshift's message.
        let v = json!({"a": {"b": [10]}, "s": "text", "n": null});
        assert_eq!(JsonPath::parse("$.a.c").unwrap().lookup(&v), Ok(None));
        assert_eq!(JsonPath::parse("$.x.y[0]").unwrap().lookup(&v), Ok(None));
        assert_eq!(JsonPath::parse("$.n[0]").unwrap().lookup(&v), Ok(None));
        assert_eq!(
            JsonPath::parse("$.a.b[0]").unwrap().lookup(&v),
            Ok(Some(&json!(10)))
        );
        for missing in ["$.a.b[1]", "$.s[0]", "$.a[0]"] {
            assert_eq!(
                JsonPath::parse(missing).unwrap().lookup(&v),
                Err(ARRAY_MISS.to_string()),
                "{missing}"
            );
        }
    }

    #[test]
    fn a_file_named_otherwise_than_jsonpaths_is_told_apart() {
        assert_eq!(other_name(br#"{"paths": ["$.a"]}"#), Some("paths".into()));
        assert_eq!(other_name(br#"{"jsonpaths": ["$.a"]}"#), None);
        assert_eq!(other_name(br#"{"a": 1, "b": 2}"#), None);
        assert_eq!(other_name(b"[]"), None);
    }

    #[test]
    fn bad_paths_are_refused_with_a_reason() {
        for (path, needle) in [
            ("userId", "must start with '$'"),
            ("$.a['b']", "mixes"),
            ("$[*]", "wildcards"),
            ("$.*", "wildcards"),
            ("$['a'", "unclosed"),
            ("$", "whole record"),
            ("$[x]", "neither"),
        ] {
            let err = JsonPath::parse(path).unwrap_err();
            assert!(err.contains(needle), "{path}: {err}");
        }
    }

    #[test]
    fn file_must_be_one_jsonpaths_object() {
        assert_eq!(
            parse_file(br#"{"jsonpaths": ["$.a", "$['b']"]}"#)
                .unwrap()
                .len(),
            2
        );
        assert!(parse_file(b"[]").unwrap_err().contains("one JSON object"));
        assert!(
            parse_file(br#"{"paths": []}"#)
                .unwrap_err()
                .contains("\"paths\"")
        );
        assert!(
            parse_file(br#"{"jsonpaths": []}"#)
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            parse_file(br#"{"jsonpaths": [1]}"#)
                .unwrap_err()
                .contains("entry 1")
        );
        assert!(parse_file(b"{").unwrap_err().contains("not valid JSON"));
    }
}
