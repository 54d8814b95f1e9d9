//! The README's settings table, generated from the declarations (a test keeps the README's
//! copy equal to this).

use super::DECLS;

/// Every setting as a Markdown table: flag (and the commands that take it), environment
/// variables, `dwh.cfg` keys, default and meaning.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| setting | flag | environment | `dwh.cfg` | default |\n| --- | --- | --- | --- | --- |\n",
    );
    for d in DECLS {
        let flag = match d.flag {
            Some(f) if d.commands.is_empty() => format!("`--{f}`"),
            Some(f) => format!("`--{f}` ({})", d.commands.join(", ")),
            None => String::new(),
        };
        let env: Vec<String> = d.env.iter().map(|e| format!("`{e}`")).collect();
        let ini: Vec<String> = d.ini.iter().map(|(s, k)| format!("`[{s}] {k}`")).collect();
        let row = [
            escape(d.help),
            flag,
            env.join(", "),
            ini.join(", "),
            d.default.map(escape).unwrap_or_default(),
        ];
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// `|` would end a Markdown cell.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README shows the table between these markers; regenerate it with
    /// `UPDATE_README=1 cargo test --release --lib settings`.
    const BEGIN: &str = "<!-- settings table: generated from src/settings/decl.rs -->\n";
    const END: &str = "<!-- end of settings table -->";

    #[test]
    fn the_readme_table_is_the_declared_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let start = readme
            .find(BEGIN)
            .expect("README.md has no generated settings table")
            + BEGIN.len();
        let end = start
            + readme[start..]
                .find(END)
                .expect("settings table end marker");
        let table = markdown_table();
        if std::env::var_os("UPDATE_README").is_some() && readme[start..end] != table {
            let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert!(
            readme[start..end] == table,
            "README.md's settings table differs from src/settings/decl.rs; run \
             UPDATE_README=1 cargo test --release --lib settings\n--- README\n{}\n--- declared\n{table}",
            &readme[start..end]
        );
    }
}
