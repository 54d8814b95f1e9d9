//! The transform order, derived from the `-- depends: a, b` headers of `sql/transform/*.sql`.
//!
//! The order is a depth-first walk: it starts from the models no other model depends on, in
//! name order, and puts each model after its dependencies, taken in the order its header
//! lists them. So a header both declares what must come first and, among those, in which
//! order; nothing else decides the order and no list of models is kept by hand.

use std::collections::BTreeMap;

/// The header that declares which models a transform needs first.
const DEPENDS: &str = "-- depends:";

/// The models named in the `-- depends:` lines of a file's leading comments, in the order
/// written.
pub(crate) fn depends(text: &str) -> Vec<&str> {
    text.lines()
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with("--"))
        .filter_map(|l| l.trim().strip_prefix(DEPENDS))
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// On the path being walked: meeting it again is a cycle.
    Visiting,
    Done,
}

/// Orders `models` (`(name, file path, file text)`) so that every model comes after the ones
/// its header names. An unknown dependency or a cycle is an error naming the file.
pub(crate) fn order<'a>(models: &[(&'a str, &str, &'a str)]) -> Result<Vec<&'a str>, String> {
    let by_name: BTreeMap<&str, (&str, Vec<&str>)> = models
        .iter()
        .map(|(name, path, text)| (*name, (*path, depends(text))))
        .collect();
    for (name, (path, deps)) in &by_name {
        for dep in deps {
            if !by_name.contains_key(dep) {
                return Err(format!(
                    "{path}: {name} depends on {dep:?}, which has no transform file"
                ));
            }
        }
    }
    let depended_on: Vec<&str> = by_name.values().flat_map(|(_, d)| d.clone()).collect();
    // Roots first, then everything else, so a cycle without a root is still found.
    let starts = by_name
        .keys()
        .filter(|m| !depended_on.contains(m))
        .chain(by_name.keys())
        .copied();
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    let mut out = Vec::with_capacity(by_name.len());
    for start in starts {
        visit(start, &by_name, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

fn visit<'a>(
    model: &'a str,
    by_name: &BTreeMap<&'a str, (&str, Vec<&'a str>)>,
    marks: &mut BTreeMap<&'a str, Mark>,
    path: &mut Vec<&'a str>,
    out: &mut Vec<&'a str>,
) -> Result<(), String> {
    match marks.get(model) {
        Some(Mark::Done) => return Ok(()),
        Some(Mark::Visiting) => {
            let from = path.iter().position(|m| *m == model).unwrap_or(0);
            let mut cycle = path[from..].to_vec();
            cycle.push(model);
            let file = by_name.get(model).map_or("", |(p, _)| *p);
            return Err(format!(
                "{file}: the transforms depend on each other in a cycle: {}",
                cycle.join(" -> ")
            ));
        }
        None => {}
    }
    marks.insert(model, Mark::Visiting);
    path.push(model);
    if let Some((_, deps)) = by_name.get(model) {
        for dep in deps {
            visit(dep, by_name, marks, path, out)?;
        }
    }
    path.pop();
    marks.insert(model, Mark::Done);
    out.push(model);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(specs: &[(&'a str, &'a str)]) -> Vec<(&'a str, String, &'a str)> {
        specs
            .iter()
            .map(|(name, text)| (*name, format!("sql/transform/{name}.sql"), *text))
            .collect()
    }

    fn run(specs: &[(&'static str, &'static str)]) -> Result<Vec<&'static str>, String> {
        let owned = files(specs);
        let borrowed: Vec<(&str, &str, &str)> =
            owned.iter().map(|(n, p, t)| (*n, p.as_str(), *t)).collect();
        order(&borrowed)
    }

    #[test]
    fn dependencies_come_first_in_the_order_listed() {
        // The project's own headers: the dimensions in songplays' order, then the fact, then
        // time, which is derived from the fact.
        let got = run(&[
            ("artists", "-- artists: no header, so no dependency\n"),
            (
                "songplays",
                "-- songplays\n\n-- depends: songs, artists, users\n",
            ),
            // Only the leading comments are headers.
            ("songs", "-- songs\nstatement\n-- depends: time\n"),
            ("time", "-- depends: songplays\n"),
            ("users", ""),
        ])
        .unwrap();
        assert_eq!(got, ["songs", "artists", "users", "songplays", "time"]);
    }

    #[test]
    fn independent_models_come_in_name_order() {
        let got = run(&[("b", ""), ("c", "-- depends: a"), ("a", "")]).unwrap();
        assert_eq!(got, ["b", "a", "c"]);
    }

    #[test]
    fn a_cycle_is_an_error_naming_a_file_and_the_cycle() {
        let err = run(&[
            ("a", "-- depends: b"),
            ("b", "-- depends: c"),
            ("c", "-- depends: a"),
            ("d", "-- depends: a"),
        ])
        .unwrap_err();
        assert!(err.contains("sql/transform/a.sql"), "{err}");
        assert!(err.contains("a -> b -> c -> a"), "{err}");
        // A cycle that no model outside it depends on is found too.
        let err = run(&[("x", "-- depends: x")]).unwrap_err();
        assert!(err.contains("sql/transform/x.sql"), "{err}");
    }

    #[test]
    fn an_unknown_dependency_is_an_error_naming_the_file() {
        let err = run(&[("songs", ""), ("time", "-- depends: songplay")]).unwrap_err();
        assert!(err.starts_with("sql/transform/time.sql: "), "{err}");
        assert!(err.contains("\"songplay\""), "{err}");
    }
}
