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
