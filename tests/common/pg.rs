//! A real PostgreSQL server for the tests, started once per test binary.
//!
//! `SPARKIFY_TEST_PG` (a `postgres://` URL to a superuser) uses an existing server instead.
//! Otherwise the server binaries of the newest installed PostgreSQL are used
//! (`/usr/lib/postgresql/N/bin`; `scripts/test` installs them when missing): `initdb` into a
//! temporary folder, `pg_ctl start` on a free loopback port, and a watchdog process that stops
//! the server and removes the folder as soon as the test process is gone. The server refuses to
//! run as root, so as root it runs as the `postgres` user. TCP logins need a password
//! (scram-sha-256), so wrong-password handling is tested for real.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const PASSWORD: &str = "sparkify-test-pw";

pub struct PgServer {
    /// URL of the superuser, without a database.
    base: String,
    /// How to stop and start it again (servers this process started).
    control: Option<Control>,
}

struct Control {
    pg_ctl: PathBuf,
    data: PathBuf,
    opts: String,
    log: PathBuf,
}

impl PgServer {
    /// The folder of a server this process started: its data, log and Unix socket.
    pub fn dir(&self) -> Option<&Path> {
        self.control.as_ref().and_then(|c| c.data.parent())
    }
}

static SERVER: OnceLock<PgServer> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

impl PgServer {
    /// A fresh, empty database on the shared server; returns its URL.
    pub fn new_database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::SeqCst)
        );
        let mut client =
            postgres::Client::connect(&format!("{}/postgres", self.base), postgres::NoTls)
                .expect("connect to the test server");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        format!("{}/{name}", self.base)
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Stops the server at once, as a crash or `pg_ctl stop -m immediate` would.
    pub fn stop(&self) {
        let c = self
            .control
            .as_ref()
            .expect("a server started by the tests");
        run_pg(
            &c.pg_ctl,
            &[
                "-D",
                &c.data.display().to_string(),
                "stop",
                "-m",
                "immediate",
                "-w",
            ],
        );
    }

    /// Starts a stopped server again on the same port.
    pub fn start_again(&self) {
        let c = self
            .control
            .as_ref()
            .expect("a server started by the tests");
        run_pg(
            &c.pg_ctl,
            &[
                "-D",
                &c.data.display().to_string(),
                "-o",
                &c.opts,
                "-l",
                &c.log.display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }
}

/// A server of its own, for a test that stops and restarts it.
pub fn dedicated() -> PgServer {
    assert!(
        std::env::var("SPARKIFY_TEST_PG").is_err(),
        "this test needs a server it can stop; unset SPARKIFY_TEST_PG"
    );
    start()
}

pub fn server() -> &'static PgServer {
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("SPARKIFY_TEST_PG") {
            return PgServer {
                base: url.trim_end_matches('/').to_string(),
                control: None,
            };
        }
        start()
    })
}

fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.retain(|p| p.join("initdb").is_file());
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: \
             run the tests with `scripts/test`, which installs them, or \
             `apt-get install postgresql`, or set PG_BIN or SPARKIFY_TEST_PG"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `text` as one word for `sh`: in single quotes, each `'` written as `'\''`, so a path with
/// spaces, quotes or `$(...)` (a TMPDIR of the developer's) reaches the command whole and is
/// never run.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Runs a server binary, as `postgres` when we are root.
fn run_pg(bin: &Path, args: &[&str]) {
    if let Err(e) = try_run_pg(bin, args) {
        panic!("{e}");
    }
}

/// [`run_pg`], returning its failure instead.
fn try_run_pg(bin: &Path, args: &[&str]) -> Result<(), String> {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {args:?} failed:\n{}\n{}",
            bin.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn start() -> PgServer {
    let bin = bin_dir();
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sparkify-pg-{}-{}",
        std::process::id(),
        STARTED.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if is_root() {
        let ok = Command::new("chown")
            .args(["postgres:postgres", &dir.display().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "cannot chown {} to postgres", dir.display());
    }
    // The server's Unix socket goes here: nobody else may connect through it (local logins
    // are trusted) or replace it.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let data = dir.join("data");
    let pwfile = dir.join("pw");
    std::fs::write(&pwfile, PASSWORD).unwrap();
    if is_root() {
        let _ = Command::new("chown")
            .args(["postgres:postgres", &pwfile.display().to_string()])
            .status();
    }
    run_pg(
        &bin.join("initdb"),
        &[
            "-D",
            &data.display().to_string(),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            &format!("--pwfile={}", pwfile.display()),
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
    );
    // PostgreSQL cannot be told to pick a free port itself, and a port found free can be taken
    // before the server binds it: a server that could not start is started again on another.
    let mut attempts = 0;
    let (port, opts) = loop {
        attempts += 1;
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=50",
            dir.display()
        );
        match try_run_pg(
            &bin.join("pg_ctl"),
            &[
                "-D",
                &data.display().to_string(),
                "-o",
                &opts,
                "-l",
                &dir.join("log").display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        ) {
            Ok(()) => break (port, opts),
            Err(e) if attempts >= 5 => panic!("{e}"),
            Err(e) => eprintln!("PostgreSQL did not start on port {port}, trying another: {e}"),
        }
    };
    // Stop the server when this test process ends, however it ends.
    let quoted = |p: &Path| shell_quote(&p.display().to_string());
    let stop = format!(
        "{}{} -D {} stop -m immediate >/dev/null 2>&1",
        if is_root() {
            "runuser -u postgres -- "
        } else {
            ""
        },
        quoted(&bin.join("pg_ctl")),
        quoted(&data)
    );
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop}; rm -rf {dir}",
        pid = std::process::id(),
        dir = quoted(&dir)
    );
    // Its own session, so that killing the test's process group (as `timeout` does) cannot
    // take the watchdog down with it.
    // `setsid -f` forks the watchdog off and returns at once.
    let started = Command::new("setsid")
        .args(["-f", "sh", "-c", &watchdog])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("start the watchdog");
    assert!(started.success(), "could not start the watchdog");
    PgServer {
        base: format!("postgres://postgres:{PASSWORD}@127.0.0.1:{port}"),
        control: Some(Control {
            pg_ctl: bin.join("pg_ctl"),
            data,
            opts,
            log: dir.join("log"),
        }),
    }
}
