//! Secrets (passwords, AWS keys) never reach the terminal or the report, however they are
//! configured (dwh.cfg, the environment, `--warehouse`) and however the input around them is
//! broken.

mod common;

use std::path::Path;

use common::*;
use sparkify::config::Ini;
use sparkify::settings::Settings;

/// Everything `sparkify` printed (stdout, then stderr) and its exit code.
fn printed(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, Option<i32>) {
    let out = sparkify()
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (all, out.status.code())
}

fn assert_hidden(all: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(!all.contains(s), "{what} printed {s:?}:\n{all}");
    }
}

/// A dwh.cfg readable by others (the default umask), holding `text`.
fn world_readable_cfg(dir: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let cfg = dir.join("dwh.cfg");
    std::fs::write(&cfg, text).unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn configured_secrets_never_reach_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("dwh.cfg");
    // Port 9 (discard) on loopback: nothing listens, so the Redshift connection fails fast.
    std::fs::write(
        &cfg,
        "[CLUSTER]\nHOST=127.0.0.1\nDB_PORT=9\nDB_USER=awsuser\nDB_PASSWORD=Sup3rSecretPw\n\
         [AWS]\nKEY=AKIAEXAMPLEKEY0001\nSECRET=wJalrXUtnFEMIexampleSecretKey\n",
    )
    .unwrap();
    let secrets = [
        "Sup3rSecretPw",
        "AKIAEXAMPLEKEY0001",
        "wJalrXUtnFEMIexampleSecretKey",
    ];
    for args in [
        vec!["run"],
        vec!["check", "--warehouse", "redshift"],
        vec![
            "query",
            "SELECT 1",
            "--warehouse",
            "redshift://awsuser@127.0.0.1:9/dev?connect_timeout=2",
        ],
        vec!["--help"],
    ] {
        let out = sparkify().args(&args).current_dir(tmp.path()).output();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for s in secrets {
            assert!(!all.contains(s), "{args:?} printed a secret:\n{all}");
        }
        if args[0] == "run" {
            assert!(out.status.success(), "{all}");
            assert!(
                all.contains("readable by others"),
                "no permission warning:\n{all}"
            );
        }
        if args[0] == "check" {
            assert_eq!(out.status.code(), Some(1), "{all}");
            assert!(
                all.contains("cannot connect to redshift://awsuser@127.0.0.1:9/dev"),
                "{all}"
            );
        }
    }
    // The report holds no secrets either.
    let out = sparkify()
        .args(["report", "--out", "r.html"])
        .current_dir(tmp.path())
        .output();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(tmp.path().join("r.html")).unwrap();
    for s in secrets {
        assert!(!html.contains(s));
    }
}

/// Passwords in `--warehouse` URLs, written in ways that used to reach the error messages:
/// as a `password=` parameter, with an unencoded `/` or `?` (which became the port, database
/// or a parameter), and in a value without `://` (echoed whole). Each part is checked, since
/// a misparsed URL leaked pieces.
#[test]
fn passwords_in_warehouse_urls_never_reach_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    for (url, parts, code) in [
        (
            "postgres://awsuser@127.0.0.1:99999/dev?password=Qu3ryParamPw",
            &["Qu3ryParamPw"][..],
            2,
        ),
        (
            "postgres://awsuser:Sl4shPart/Tail9Pw@127.0.0.1:9/dev?connect_timeout=2",
            &["Sl4shPart", "Tail9Pw"][..],
            1,
        ),
        (
            "postgres://awsuser:Qm4rkPart?Tail7Pw@127.0.0.1:9/dev",
            &["Qm4rkPart", "Tail7Pw"][..],
            1,
        ),
        (
            "postgres:awsuser:N0Sch3meSepPw@127.0.0.1/dev",
            &["N0Sch3meSepPw"][..],
            2,
        ),
    ] {
        let (all, got) = printed(tmp.path(), &["query", "SELECT 1", "--warehouse", url], &[]);
        assert_eq!(got, Some(code), "{url}: {all}");
        assert_hidden(&all, parts, url);
        // The same URL from the environment.
        let (all, _) = printed(
            tmp.path(),
            &["query", "SELECT 1"],
            &[("SPARKIFY_WAREHOUSE", url)],
        );
        assert_hidden(&all, parts, url);
    }
}

/// `[DWH] WAREHOUSE` with a password makes dwh.cfg a file of secrets: warned about when
/// others can read it, and never printed.
#[test]
fn a_password_in_the_configured_warehouse_url_is_a_secret() {
    let tmp = tempfile::tempdir().unwrap();
    world_readable_cfg(
        tmp.path(),
        "[DWH]\nWAREHOUSE=postgres://awsuser:Wh0useCfgPw@127.0.0.1:9/dev?connect_timeout=2\n",
    );
    let (all, code) = printed(tmp.path(), &["check"], &[]);
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("readable by others"), "no warning:\n{all}");
    assert_hidden(&all, &["Wh0useCfgPw"], "check");
}

/// A malformed dwh.cfg line is named by its line and key, never shown: it may be
/// `DB_PASSWORD hunter2`.
#[test]
fn a_malformed_dwh_cfg_line_is_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    world_readable_cfg(tmp.path(), "[CLUSTER]\nHOST=h\nDB_PASSWORD Hunt3rTwoPw\n");
    let (all, code) = printed(tmp.path(), &["check"], &[]);
    assert_eq!(code, Some(2), "{all}");
    assert!(
        all.contains("dwh.cfg:3") && all.contains("DB_PASSWORD"),
        "{all}"
    );
    assert_hidden(&all, &["Hunt3rTwoPw"], "check");
}

/// Whatever error happens to quote a configured secret (here a source path that contains
/// the dwh.cfg password and PGPASSWORD), it is printed as `***`.
#[test]
fn a_configured_secret_quoted_by_any_error_is_hidden() {
    let tmp = tempfile::tempdir().unwrap();
    world_readable_cfg(tmp.path(), "[CLUSTER]\nDB_PASSWORD=Cfg5ecretPw\n");
    let (all, code) = printed(
        tmp.path(),
        &[
            "etl",
            "--events",
            "/nonexistent/Cfg5ecretPw/Env5ecretPw",
            "--songs",
            "/nonexistent/songs",
        ],
        &[("PGPASSWORD", "Env5ecretPw")],
    );
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("/nonexistent/***/***"), "{all}");
    assert_hidden(&all, &["Cfg5ecretPw", "Env5ecretPw"], "etl");
}

/// `Debug` of the settings, the parsed dwh.cfg and the cluster's configuration shows names,
/// never values.
#[test]
fn debug_output_holds_no_secret() {
    let ini = Ini::parse(
        "[CLUSTER]\nDB_PASSWORD=Sup3rSecretPw\n[AWS]\nKEY=AKIAEXAMPLEKEY0001\n\
         SECRET=wJalrXUtnFEMIexampleSecretKey\n[DWH]\nWAREHOUSE=postgres://u:UrlS3cretPw@h/d\n",
    )
    .unwrap();
    let settings = Settings::new(ini.clone(), &[("PGPASSWORD", "EnvS3cretPw")]);
    let cluster = settings.cluster(None, false).unwrap();
    let secrets = [
        "Sup3rSecretPw",
        "AKIAEXAMPLEKEY0001",
        "wJalrXUtnFEMIexampleSecretKey",
        "UrlS3cretPw",
        "EnvS3cretPw",
    ];
    assert_hidden(&format!("{ini:?}"), &secrets, "Ini");
    assert_hidden(&format!("{settings:?}"), &secrets, "Settings");
    assert_hidden(&format!("{cluster:?}"), &secrets, "ClusterConfig");
}
