//! Fills the placeholders of a SQL file. Values never become SQL text: they go to the server
//! as bind parameters, so no quoting rule of any dialect (Redshift's backslash escapes,
//! PostgreSQL with `standard_conforming_strings` off) can turn a value into a statement.
//!
//! The placeholders are psql's, so a file can also be run by hand with
//! `psql -v table=staging_events -f FILE`: `:name` pastes a name (a table), which must be a
//! plain SQL identifier, and `:'name'` stands for a value, which becomes a positional
//! parameter (`$1`, `$2`, ... in order of appearance; PostgreSQL, Redshift and DuckDB all read
//! that form). A list value becomes one parameter per item separated by commas, or `NULL` when
//! it is empty (for `IN (:'files')`, which then matches nothing). `::` (a cast) is not a
//! placeholder, and nothing inside a string literal or a `--` comment is.

use crate::value::Value;

/// A value for a placeholder.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Text(&'a str),
    TextList(&'a [&'a str]),
}

/// `text` with every name placeholder replaced by its name and every value placeholder by
/// `$n`, and the values those parameters take, in order. A placeholder without a value, and a
/// list or a non-identifier pasted as a name, are errors, so a typo cannot send a broken
/// statement. A value no placeholder uses is allowed: callers that run several files alike
/// (the reconciliation rules) pass the same values to each.
pub(crate) fn fill(text: &str, params: &[(&str, Param)]) -> Result<(String, Vec<Value>), String> {
    let mut out = String::with_capacity(text.len());
    let mut binds = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        if rest.starts_with("--") {
            let end = rest.find('\n').unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if c == '\'' {
            // A string literal; `''` inside it is an escaped quote, which this also covers.
            let end = rest[1..].find('\'').map_or(rest.len(), |i| i + 2);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if rest.starts_with("::") {
            out.push_str("::");
            rest = &rest[2..];
        } else if c == ':' {
            let (name, quoted, consumed) = placeholder(&rest[1..])
                .ok_or_else(|| format!("a ':' that is no placeholder near {:?}", head(rest)))?;
            let (_, value) = params
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| format!("no value for the placeholder {}", head(rest)))?;
            out.push_str(&paste(name, *value, quoted, &mut binds)?);
            rest = &rest[1 + consumed..];
        } else {
            out.push(c);
            rest = &rest[len..];
        }
    }
    Ok((out, binds))
}

fn head(s: &str) -> &str {
    let end = s.char_indices().nth(24).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(crate) fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && s.chars().all(is_name_char)
}

/// After a ':': `(name, quoted, bytes consumed)` of `name` or `'name'`.
fn placeholder(after: &str) -> Option<(&str, bool, usize)> {
    if let Some(inner) = after.strip_prefix('\'') {
        let end = inner.find('\'')?;
        let name = &inner[..end];
        is_name(name).then_some((name, true, end + 2))
    } else {
        let end = after
            .find(|c: char| !is_name_char(c))
            .unwrap_or(after.len());
        let name = &after[..end];
        is_name(name).then_some((name, false, end))
    }
}

/// What replaces one placeholder; a value is pushed onto `binds` and its `$n` returned.
fn paste(name: &str, value: Param, quoted: bool, binds: &mut Vec<Value>) -> Result<String, String> {
    let mut bind = |v: &str| {
        binds.push(Value::Text(v.to_string()));
        format!("${}", binds.len())
    };
    match (value, quoted) {
        (Param::Text(v), true) => Ok(bind(v)),
        (Param::TextList([]), true) => Ok("NULL".into()),
        (Param::TextList(items), true) => {
            Ok(items.iter().map(|v| bind(v)).collect::<Vec<_>>().join(", "))
        }
        (Param::Text(v), false) if is_name(v) => Ok(v.to_string()),
        (Param::Text(v), false) => Err(format!(
            ":{name} pastes a name, and {v:?} is not a plain SQL name"
        )),
        (Param::TextList(_), false) => Err(format!(":{name} is a list; write :'{name}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &str) -> Value {
        Value::Text(v.into())
    }

    #[test]
    fn names_are_pasted_and_values_become_parameters() {
        let sql = "DELETE FROM load_ledger WHERE table_name = :'table' AND :'table' <> 'x'";
        assert_eq!(
            fill(sql, &[("table", Param::Text("staging_events"))]).unwrap(),
            (
                "DELETE FROM load_ledger WHERE table_name = $1 AND $2 <> 'x'".to_string(),
                vec![text("staging_events"), text("staging_events")]
            )
        );
        let sql = "SELECT 1 FROM :t WHERE file IN (:'files') AND x::text = ':no' -- :nor\n";
        let files = ["a.json", "it's\\'; DROP TABLE songs; --.json"];
        assert_eq!(
            fill(
                sql,
                &[
                    ("files", Param::TextList(&files)),
                    ("t", Param::Text("songs"))
                ]
            )
            .unwrap(),
            (
                "SELECT 1 FROM songs WHERE file IN ($1, $2) AND x::text = ':no' -- :nor\n"
                    .to_string(),
                vec![text(files[0]), text(files[1])]
            )
        );
        assert_eq!(
            fill("IN (:'files')", &[("files", Param::TextList(&[]))]).unwrap(),
            ("IN (NULL)".to_string(), vec![])
        );
    }

    #[test]
    fn mistakes_are_errors_not_statements() {
        let table = [("table", Param::Text("users"))];
        assert!(
            fill("SELECT :tabel", &table)
                .unwrap_err()
                .contains(":tabel")
        );
        assert_eq!(fill("SELECT 1", &table).unwrap().0, "SELECT 1");
        let hostile = [("table", Param::Text("users; DROP TABLE songs"))];
        assert!(fill("SELECT COUNT(*) FROM :table", &hostile).is_err());
        // As a value the same text is a parameter, so it stays a value.
        assert_eq!(
            fill("SELECT :'table'", &hostile).unwrap(),
            (
                "SELECT $1".to_string(),
                vec![text("users; DROP TABLE songs")]
            )
        );
        let list = [("files", Param::TextList(&["a"]))];
        assert!(fill("FROM :files", &list).is_err());
    }
}
