//! Compiles every file under `sql/` into the binary: writes `$OUT_DIR/sql_files.rs`, a table
//! of `(path, include_str!(file))` in path order, which `src/sql.rs` includes. The table is
//! generated from the folder so that a new SQL file cannot be left out of a hand-kept list.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let sql = root.join("sql");
    // Cargo scans a directory given here recursively, so adding, removing or editing any SQL
    // file reruns this script.
    println!("cargo:rerun-if-changed=sql");
    println!("cargo:rerun-if-changed=build.rs");
    // Two checkouts of this crate sharing one target directory (git worktrees, a CI clone)
    // share this script's output, and cargo judges it fresh by file times alone, so one
    // checkout could compile the other's list of SQL files. The directory cargo runs in
    // differs between checkouts, so a change of it reruns this script.
    println!("cargo:rerun-if-env-changed=PWD");

    let mut files = Vec::new();
    collect(&sql, &mut files);
    let mut relative: Vec<String> = files
        .into_iter()
        .map(|path| {
            path.strip_prefix(&sql)
                .expect("collected under sql/")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    relative.sort();

    let mut out = String::from("&[\n");
    for rel in &relative {
        // The file is named relative to the crate being compiled, not by the absolute path
        // this script saw: cargo reuses this output for a checkout in another folder (a CI
        // clone) when the SQL files there are not newer, and an absolute path would then point
        // into the old folder. Debug formatting writes valid, escaped Rust string literals.
        writeln!(
            out,
            "    SqlFile {{ path: {rel:?}, text: include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?})) }},",
            format!("/sql/{rel}")
        )
        .expect("writing to a String");
    }
    out.push_str("]\n");
    let dest =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("sql_files.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
}

/// Every `.sql` file under `dir`, at any depth.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "sql") {
            files.push(path);
        }
    }
}
