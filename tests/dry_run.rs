//! `--dry-run` prints the target and every statement in order, and connects to nothing.
//! Set UPDATE_GOLDEN=1 to rewrite the golden files after a reviewed change.

mod common;

use std::path::Path;

use common::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The golden text with the clock's values (`:'now'` and `:'next_year'`, bound by the checks)
/// and the transform SQL's hash replaced by placeholders, so the file does not change by the
/// minute, nor with every edit of a transform.
fn without_clock(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once(" = \"") {
            Some((head, value)) if head.starts_with("--   $") => {
                let value = value.trim_end_matches('"');
                let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
                if value.len() == 19 && digits(&value[..4]) && &value[4..5] == "-" {
                    format!("{head} = <now>")
                } else if value.len() == 4 && digits(value) {
                    format!("{head} = <next year>")
                } else if is_run_id(value) {
                    // `runs.run_id`: the start time and the process id.
                    format!("{head} = <run id>")
                } else if value.len() == 16 && value.chars().all(|c| c.is_ascii_hexdigit()) {
                    // The transform SQL's hash changes with any transform: pinned elsewhere.
                    format!("{head} = <transform hash>")
                } else {
                    l.to_string()
                }
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `YYYYMMDDTHHMMSS.mmmZ-PID`, as `RunMeta` names a run.
fn is_run_id(value: &str) -> bool {
    let Some((stamp, pid)) = value.split_once("Z-") else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    stamp.len() == 19
        && digits(&stamp[..8])
        && &stamp[8..9] == "T"
        && digits(&stamp[9..15])
        && &stamp[15..16] == "."
        && digits(&stamp[16..])
        && digits(pid)
}

fn golden(name: &str, actual: &str) {
    let actual = without_clock(actual);
    let actual = actual.as_str();
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its golden file.\n--- golden\n{expected}\n--- actual\n{actual}"
    );
}

/// `sparkify ARGS --dry-run` with the seed's dwh.cfg, in an empty folder.
fn dry_run_of_the_seed(args: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    // The dry run asks S3 for each source bucket's region; the tests reach only 127.0.0.1,
    // where nothing answers on port 9, so the lookup fails fast and is a note.
    let out = sparkify()
        .current_dir(tmp.path())
        .arg("--config")
        .arg(root().join("tests/fixtures/dwh.cfg"))
        .args(["--warehouse", "redshift"])
        .args(args)
        .arg("--dry-run")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output();
    let stdout = ok(&out);
    let (_, stderr) = text(&out);
    // The seed file's DB_PASSWORD.
    assert!(
        !stdout.contains("Passw0rdFromCfg") && !stderr.contains("Passw0rdFromCfg"),
        "the password was printed"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "a dry run wrote files"
    );
    stdout
}

#[test]
fn a_dry_run_on_the_seed_cluster_prints_every_statement_in_order() {
    let run = dry_run_of_the_seed(&["run", "--max-errors", "10"]);
    golden("redshift_dry_run.sql", &run);
    // The target, never the password; then the transaction around lock, COPY, read-back and
    // transforms, then the checks.
    assert!(run.starts_with(
        "-- sparkify --dry-run: the statements for \
         redshift://awsuser@sparkify-dwh.c1x2y3z4.us-west-2.redshift.amazonaws.com:5439/sparkify"
    ));
    let at = |needle: &str| {
        run.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not in\n{run}"))
    };
    assert!(at("BEGIN") < at("LOCK load_ledger"));
    assert!(at("LOCK load_ledger") < at("COPY staging_events"));
    assert!(at("COPY staging_events") < at("FROM sys_load_detail"));
    assert!(at("MAXERROR 10") < at("INSERT INTO songs"));
    assert!(at("INSERT INTO songplays") < at("COMMIT"));

    golden(
        "redshift_dry_run_create_tables.sql",
        &dry_run_of_the_seed(&["create-tables", "--drop"]),
    );
    // Write-audit-publish: run is etl with the checks before its COMMIT.
    assert!(at("SELECT CAST((SELECT COUNT(*) FROM songs WHERE song_id IS NULL)") < at("COMMIT"));
    let etl = dry_run_of_the_seed(&["etl", "--max-errors", "10"]);
    // Each records itself in `runs` last, before its COMMIT; up to there they are the same.
    let (etl, recorded) = etl.split_once("INSERT INTO runs").unwrap();
    assert!(recorded.contains("--   $2 = \"etl\""), "{recorded}");
    // Without the clock: the two commands may start in different seconds.
    assert!(
        without_clock(&run).starts_with(&without_clock(etl)),
        "run and etl load alike"
    );
    assert!(at("DELETE FROM audit_failures") < at("INSERT INTO runs"));
    assert!(at("INSERT INTO runs") < at("COMMIT"));
}

/// A PostgreSQL build asks the catalogue before each model whether to add its primary key after
/// filling the table (a first build does): the dry run shows the question, which answers no
/// rows there, and so no `ALTER TABLE` after it.
#[test]
fn a_postgres_dry_run_shows_the_key_question_before_each_model() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        tmp.path(),
        "postgres://ann@127.0.0.1:1/dwh",
        &sample_sources(),
        &["--dry-run"],
    );
    let stdout = ok(&out);
    let at = |s: &str| {
        stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s:?} not in:\n{stdout}"))
    };
    for model in ["songplays", "time", "users_history"] {
        let delete = at(&format!("DELETE FROM {model};"));
        let question = stdout[..delete]
            .rfind("FROM pg_constraint k")
            .unwrap_or_else(|| panic!("no key question before {model}"));
        assert!(
            stdout[question..delete].contains(&format!("= \"{model}\"")),
            "the question before {model} is about {model}"
        );
    }
    assert!(
        !stdout.lines().any(|l| l.starts_with("ALTER TABLE")),
        "{stdout}"
    );
}

#[test]
fn a_dry_run_connects_to_nothing() {
    // Nothing listens on port 1: a connection attempt would fail the command.
    let tmp = tempfile::tempdir().unwrap();
    let out = sparkify()
        .current_dir(tmp.path())
        .args([
            "create-tables",
            "--dry-run",
            "--warehouse",
            "postgres://ann:s3cret@127.0.0.1:1/dwh",
        ])
        .output();
    let stdout = ok(&out);
    assert!(
        stdout.contains("postgres://ann@127.0.0.1:1/dwh"),
        "{stdout}"
    );
    assert!(!stdout.contains("s3cret"));
    assert!(stdout.contains("CREATE TABLE IF NOT EXISTS songplays"));

    // DuckDB: the warehouse file is not created; the loader's files are listed, not read.
    let wh = tmp.path().join("w.duckdb");
    let out = run(
        tmp.path(),
        &format!("duckdb:{}", wh.display()),
        &sample_sources(),
        &["--dry-run"],
    );
    let stdout = ok(&out);
    assert!(!wh.exists(), "a dry run created the DuckDB file");
    assert!(
        stdout.contains("staging_events: sparkify's loader reads 30 file(s)"),
        "{stdout}"
    );
    // No sources: nothing is generated.
    let out = sparkify()
        .current_dir(tmp.path())
        .args(["run", "--dry-run"])
        .output();
    assert_eq!(out.status.code(), Some(2));
    assert!(!tmp.path().join("sparkify-data").exists());
}

#[test]
fn copy_options_reach_both_redshift_copies_and_a_refused_one_stops_the_run() {
    let run = dry_run_of_the_seed(&["etl", "--copy-options", "TRUNCATECOLUMNS acceptinvchars"]);
    for table in ["staging_events", "staging_songs"] {
        let copy = run
            .split(&format!("COPY {table}\n"))
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_else(|| panic!("no COPY {table} in\n{run}"));
        assert!(
            copy.contains("\nACCEPTINVCHARS AS '?'\nTRUNCATECOLUMNS\nCOMPUPDATE OFF"),
            "{table}: {copy}"
        );
    }
    // A refused option stops the run before anything is printed.
    let tmp = tempfile::tempdir().unwrap();
    let out = sparkify()
        .current_dir(tmp.path())
        .arg("--config")
        .arg(root().join("tests/fixtures/dwh.cfg"))
        .args(["etl", "--warehouse", "redshift", "--dry-run"])
        .args(["--copy-options", "MAXERROR 3"])
        .output();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("--copy-options \"MAXERROR 3\"")
            && stderr.contains("MAXERROR has a setting of its own"),
        "{stderr}"
    );
}

/// A date backfill on Redshift without [S3] MANIFEST_PREFIX is refused, saying why (COPY reads
/// the whole prefix) and what makes it work, after only the lock: nothing is loaded.
#[test]
fn a_redshift_backfill_without_a_manifest_prefix_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = sparkify()
        .current_dir(tmp.path())
        .arg("--config")
        .arg(root().join("tests/fixtures/dwh.cfg"))
        .args(["--warehouse", "redshift", "etl", "--dry-run"])
        .args(["--from", "2018-11-05", "--to", "2018-11-05"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("reads every file under it") && stderr.contains("MANIFEST_PREFIX"),
        "{stderr}"
    );
    // Statements, not the DDL's comments: the lock, then the rollback, and nothing loaded;
    // then, in a transaction of its own, the refused run's row in `runs`.
    let statements: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("--") && !l.starts_with(' ') && !l.is_empty())
        .collect();
    let rollback = statements
        .iter()
        .position(|l| *l == "ROLLBACK;")
        .unwrap_or_else(|| panic!("no ROLLBACK: {statements:#?}"));
    assert_eq!(
        statements[rollback - 1],
        "LOCK load_ledger;",
        "{statements:#?}"
    );
    let recorded = &statements[rollback + 1..];
    assert!(
        recorded.last() == Some(&"COMMIT;")
            && recorded.iter().filter(|l| l.starts_with("INSERT ")).count() == 1
            && recorded.iter().any(|l| l.starts_with("INSERT INTO runs ")),
        "{statements:#?}"
    );
    assert!(
        !statements
            .iter()
            .any(|l| l.starts_with("COPY ") || l.starts_with("DELETE ")),
        "{statements:#?}"
    );
}
