//! The README's "How the code is laid out" block must match the tree: every path it names
//! exists, and every module under `src/` and folder under `sql/` is named.

use std::path::Path;

fn layout_paths() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("## How the code is laid out")
        .nth(1)
        .expect("README has a layout section");
    let block = section
        .split("```")
        .nth(1)
        .expect("the layout section has a code block");
    block
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.contains('/') && !w.starts_with('`'))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_path_in_the_readme_layout_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths = layout_paths();
    assert!(paths.len() > 10, "{paths:?}");
    for p in &paths {
        assert!(
            root.join(p).exists(),
            "README layout names {p}, which does not exist"
        );
    }
}

#[test]
fn every_module_and_sql_folder_is_in_the_readme_layout() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths = layout_paths();
    for dir in ["src", "sql"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().to_string();
            if name == "lib.rs" {
                continue;
            }
            let shown = if entry.path().is_dir() {
                format!("{dir}/{name}/")
            } else {
                format!("{dir}/{name}")
            };
            assert!(
                paths.contains(&shown),
                "README's layout does not mention {shown}: {paths:?}"
            );
        }
    }
}
