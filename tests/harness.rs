//! The test harness itself: paths reach its shell commands whole, and the PostgreSQL server
//! it starts keeps its Unix socket in a folder only its owner can enter.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::pg;

#[test]
fn paths_in_the_harness_shell_commands_are_quoted() {
    // The watchdog's `rm -rf DIR` and `pg_ctl -D DIR`: a TMPDIR with a space, a quote or a
    // command substitution must arrive as one word, and never run.
    let tmp = tempfile::tempdir().unwrap();
    let canary = tmp.path().join("ran");
    for nasty in [
        "/tmp/with space/pg".to_string(),
        "/tmp/it's/pg".to_string(),
        format!("/tmp/$(touch {})/pg", canary.display()),
        "/tmp/`id`;x".to_string(),
    ] {
        let out = Command::new("sh")
            .args(["-c", &format!("printf %s {}", pg::shell_quote(&nasty))])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), nasty);
        assert!(!canary.exists(), "{nasty} ran a command");
    }
}

#[test]
fn the_test_servers_socket_folder_is_its_owners_only() {
    let server = pg::server();
    let Some(dir) = server.dir() else {
        eprintln!("SPARKIFY_TEST_PG names a server of your own: nothing to check");
        return;
    };
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    // The socket is there, and only through that folder.
    let socket = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with(".s.PGSQL."));
    assert!(socket, "no socket in {}", dir.display());
}
