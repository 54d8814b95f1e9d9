//! `scripts/test`, the README's test command, sets up what the tests need on a fresh machine.
//! Each test runs it with the installed moto hidden: a PATH without any folder that holds a
//! `moto_server`, and `SPARKIFY_MOTO_VENV` pointing at an empty temporary folder.
//!
//! Installing moto runs pip against PyPI (about a minute without pip's cache); nothing here
//! starts a server or reaches any other address. Whatever else the machine lacks (PostgreSQL's
//! server binaries, Chromium, GNU time) the script installs as it would for the whole suite.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PIP_LINE: &str = r#"pip install "moto[ec2,iam,s3,redshift]==5.2.5" flask flask-cors"#;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test")
}

/// This process's PATH without the folders that hold a `moto_server` (pyenv's shims do here),
/// with `first` in front.
fn path_without_moto(first: Option<&Path>) -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept = std::env::split_paths(&path).filter(|d| !d.join("moto_server").exists());
    std::env::join_paths(first.map(Path::to_path_buf).into_iter().chain(kept)).unwrap()
}

/// The script with a hidden moto and an empty virtualenv folder; nothing of the caller's
/// moto, PostgreSQL-server or install switches leaks in.
fn scripts_test(venv: &Path, path: OsString) -> Command {
    let mut cmd = Command::new(script());
    cmd.env("PATH", path)
        .env("SPARKIFY_MOTO_VENV", venv)
        .env_remove("SPARKIFY_MOTO_SERVER")
        .env_remove("SPARKIFY_NO_INSTALL");
    cmd
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A folder with stand-ins that record being run: `cargo`, and a `moto_server` the script must
/// not take for an installed moto.
fn decoys(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    for name in ["cargo", "moto_server"] {
        let marker = dir.join(format!("{name}-ran"));
        let file = bin.join(name);
        std::fs::write(
            &file,
            format!("#!/bin/sh\necho \"$@\" >> '{}'\n", marker.display()),
        )
        .unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn without_installing_it_names_what_is_missing_and_compiles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let venv = tempfile::tempdir().unwrap();
    let bin = decoys(dir.path());

    // The README's command as a user types it, with installing switched off.
    let out = scripts_test(venv.path(), path_without_moto(Some(&bin)))
        .env("SPARKIFY_NO_INSTALL", "1")
        .output()
        .expect("run scripts/test");
    let text = show(&out);
    assert!(!out.status.success(), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // moto is missing although a moto_server is on the PATH: only the virtualenv counts.
    assert!(
        stderr.contains(&format!(
            "moto 5.2.5 in the virtualenv {}",
            venv.path().display()
        )),
        "{text}"
    );
    assert!(stderr.contains(PIP_LINE), "{text}");
    assert!(
        stderr.contains(&format!("python3 -m venv {}", venv.path().display())),
        "{text}"
    );
    assert!(stderr.contains("SPARKIFY_NO_INSTALL"), "{text}");
    assert!(stderr.contains("nothing was compiled"), "{text}");
    assert!(!dir.path().join("cargo-ran").exists(), "cargo ran:\n{text}");
    assert!(
        !dir.path().join("moto_server-ran").exists(),
        "PATH's moto ran:\n{text}"
    );
    assert_eq!(
        std::fs::read_dir(venv.path()).unwrap().count(),
        0,
        "installed something:\n{text}"
    );
}

#[test]
fn it_installs_moto_into_the_given_folder() {
    let dir = tempfile::tempdir().unwrap();
    let venv = tempfile::tempdir().unwrap();
    let bin = decoys(dir.path());
    let path = path_without_moto(Some(&bin));

    let out = scripts_test(venv.path(), path.clone())
        .arg("--setup-only")
        .output()
        .expect("run scripts/test");
    let text = show(&out);
    assert!(
        out.status.success(),
        "scripts/test --setup-only failed. It installs moto with pip from PyPI, so this \
         test needs PyPI to be reachable; if pip says it cannot connect, that is the cause.\n\
         {text}"
    );

    let moto = venv.path().join("bin/moto_server");
    let mode = std::fs::metadata(&moto)
        .unwrap_or_else(|e| panic!("{}: {e}\n{text}", moto.display()))
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "{} is not executable", moto.display());
    let help = Command::new(&moto)
        .arg("--help")
        .output()
        .expect("run moto_server --help");
    assert!(help.status.success(), "{}", show(&help));
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("usage: moto_server"),
        "{}",
        show(&help)
    );
    // The tests are pointed at the virtualenv's moto, not at the one on the PATH.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("SPARKIFY_MOTO_SERVER={}", moto.display())),
        "{text}"
    );
    assert!(!dir.path().join("cargo-ran").exists(), "cargo ran:\n{text}");
    assert!(
        !dir.path().join("moto_server-ran").exists(),
        "PATH's moto ran:\n{text}"
    );

    // Installed, the check passes with installing switched off.
    let again = scripts_test(venv.path(), path)
        .arg("--setup-only")
        .env("SPARKIFY_NO_INSTALL", "1")
        .output()
        .expect("run scripts/test");
    assert!(again.status.success(), "{}", show(&again));
}
