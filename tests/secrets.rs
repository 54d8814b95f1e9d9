//! Secrets (passwords, AWS keys) never reach the terminal or the report, however they are
//! configured (dwh.cfg, the environment, `--warehouse`) and however the input around them is
//! broken.

mod common;

use common::*;

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
