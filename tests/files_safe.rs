//! Files sparkify writes and what it prints: the report whole and private, generated data
//! renamed into place, the sample folder complete or absent, `.gitignore` covering what holds
//! secrets, control characters from data written out on a terminal, formulas made inert in
//! `--csv-safe` CSV.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use common::{ok, text};

fn sparkify(cwd: &Path, args: &[&str]) -> std::process::Output {
    common::sparkify().current_dir(cwd).args(args).output()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_report_is_written_whole_and_readable_by_its_owner_only() {
    let tmp = tempfile::tempdir().unwrap();
    ok(&sparkify(tmp.path(), &["run", "--quiet"]));
    // An earlier report others could read, and a second name for it (a hard link): the new
    // report replaces the name, so the other name keeps the old bytes rather than the new
    // listeners' names.
    let out = tmp.path().join("report.html");
    std::fs::write(&out, "old report").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::hard_link(&out, tmp.path().join("shared.html")).unwrap();
    ok(&sparkify(tmp.path(), &["report", "--out", "report.html"]));
    assert_eq!(mode(&out), 0o600);
    assert!(
        std::fs::read_to_string(&out).unwrap().contains("<html"),
        "not the report"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("shared.html")).unwrap(),
        "old report"
    );
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("sparkify-tmp"))
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn generated_files_are_renamed_into_place_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let small = [
        "--songs",
        "5",
        "--users",
        "3",
        "--days",
        "2",
        "--events-per-day",
        "20",
    ];
    let mut first = vec!["generate", "--out", "a", "--seed", "1"];
    first.extend(small);
    ok(&sparkify(tmp.path(), &first));
    // A copy made with hard links (`cp -al`, rsync --link-dest): generating into it again
    // must not change the files of the first folder through the shared links.
    let copy = std::process::Command::new("cp")
        .args(["-al", "a", "b"])
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(copy.success());
    let log = "log_data/2018/11/2018-11-01-events.json";
    let before = std::fs::read(tmp.path().join("a").join(log)).unwrap();
    let before_jsonpaths = std::fs::read(tmp.path().join("a/log_json_path.json")).unwrap();
    let mut second = vec!["generate", "--out", "b", "--seed", "2"];
    second.extend(small);
    ok(&sparkify(tmp.path(), &second));
    assert_ne!(
        std::fs::read(tmp.path().join("b").join(log)).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read(tmp.path().join("a").join(log)).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read(tmp.path().join("a/log_json_path.json")).unwrap(),
        before_jsonpaths
    );
}

#[test]
fn two_runs_without_sources_at_once_share_one_complete_sample() {
    let tmp = tempfile::tempdir().unwrap();
    // Both start before either has finished generating: the second must not find a folder
    // without its marker and refuse it.
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|w| {
            common::sparkify()
                .current_dir(tmp.path())
                .args(["run", "--warehouse", &format!("duckdb:{w}.duckdb")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out).1);
    }
    assert!(
        tmp.path()
            .join("sparkify-data/.generated-by-sparkify")
            .is_file()
    );
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("sparkify-tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Both loaded the same complete sample.
    let count = |w: &str| {
        ok(&sparkify(
            tmp.path(),
            &[
                "query",
                "--warehouse",
                &format!("duckdb:{w}.duckdb"),
                "--format",
                "csv",
                "SELECT COUNT(*) FROM staging_events",
            ],
        ))
    };
    assert_eq!(count("a"), "count_star()\n9000\n");
    assert_eq!(count("b"), "count_star()\n9000\n");
}

#[test]
fn gitignore_lists_what_holds_secrets_or_listeners_names() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".gitignore")).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for needed in ["dwh.cfg", "sparkify-report.html", "*.duckdb"] {
        assert!(lines.contains(&needed), "{needed} missing from .gitignore");
    }
}

#[test]
fn control_characters_from_data_do_not_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let sql = "SELECT chr(27) || ']0;pwned' || chr(7) || chr(27) || '[2J' || chr(10) || 'x' AS v";
    let out = sparkify(
        tmp.path(),
        &[
            "query",
            "--warehouse",
            "duckdb:w.duckdb",
            "--format",
            "table",
            sql,
        ],
    );
    let stdout = ok(&out);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\nx"),
        "{stdout}"
    );
    // Errors quoting data are written out the same way.
    let out = sparkify(
        tmp.path(),
        &[
            "query",
            "--warehouse",
            "duckdb:w.duckdb",
            "SELECT * FROM \"no\u{1b}[31mtable\"",
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.contains("no\\u{1b}[31mtable"), "{stderr}");
}

#[test]
fn csv_safe_makes_formulas_inert_and_only_goes_with_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let sql = "SELECT '=HYPERLINK(''http://evil'')' AS a, -5 AS n, '@x' AS b, 'ok' AS c";
    let query = |extra: &[&str]| {
        let mut args = vec!["query", "--warehouse", "duckdb:w.duckdb", "--format", "csv"];
        args.extend(extra);
        args.push(sql);
        sparkify(tmp.path(), &args)
    };
    assert_eq!(
        ok(&query(&["--csv-safe"])),
        "a,n,b,c\n'=HYPERLINK('http://evil'),-5,'@x,ok\n"
    );
    assert_eq!(
        ok(&query(&[])),
        "a,n,b,c\n=HYPERLINK('http://evil'),-5,@x,ok\n"
    );
    let out = sparkify(
        tmp.path(),
        &[
            "query",
            "--warehouse",
            "duckdb:w.duckdb",
            "--format",
            "json",
            "--csv-safe",
            sql,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--csv-safe is for --format csv"));
}
