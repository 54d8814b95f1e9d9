//! The one way the tests start the `sparkify` binary.
//!
//! `sparkify` reads settings from `SPARKIFY_*` variables, the AWS SDK from `AWS_*` ones and the
//! PostgreSQL warehouse from `PG*` ones (`PGUSER`, `PGPASSWORD`). A developer's shell often sets
//! some of them (an `AWS_PROFILE`, a `SPARKIFY_WAREHOUSE`, a `SPARKIFY_CIDR`), and a test that
//! inherited them would test that shell instead of the code. So every command starts from this
//! process's environment minus every variable with one of those prefixes, and a test adds back
//! exactly what it needs with [`Sparkify::env`]. Everything else (PATH, HOME, TMPDIR, ...) is kept.
//!
//! The test processes themselves still read their own switches (`SPARKIFY_TEST_PG`,
//! `SPARKIFY_MOTO_SERVER`, `SPARKIFY_SAMPLE_DATA`, `PG_BIN`); only the child does not see them.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_sparkify");

/// Prefixes of the variable names a spawned `sparkify` never inherits.
pub const CLEARED_PREFIXES: [&str; 3] = ["SPARKIFY_", "AWS_", "PG"];

/// Whether a spawned `sparkify` must not inherit the variable `name`.
pub fn is_cleared(name: &OsStr) -> bool {
    // Compared as bytes: a name that is not UTF-8 cannot start with an ASCII prefix by accident.
    let name = name.as_encoded_bytes();
    CLEARED_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix.as_bytes()))
}

/// The variables of `parent` that a spawned `sparkify` inherits: all but the [`is_cleared`] ones.
pub fn inherited(
    parent: impl IntoIterator<Item = (OsString, OsString)>,
) -> Vec<(OsString, OsString)> {
    parent
        .into_iter()
        .filter(|(name, _)| !is_cleared(name))
        .collect()
}

/// A `sparkify` command being built: a [`Command`] whose environment is already filtered.
pub struct Sparkify {
    cmd: Command,
}

/// `sparkify`, with this process's environment minus the [`CLEARED_PREFIXES`] variables.
pub fn sparkify() -> Sparkify {
    Sparkify::with_parent_env(std::env::vars_os())
}

impl Sparkify {
    /// `sparkify` started by another program, e.g. `/usr/bin/time -f %M sparkify ...`: the
    /// wrapper gets the filtered environment and passes it on.
    pub fn under(program: &str, args: &[&str]) -> Sparkify {
        let mut cmd = Command::new(program);
        cmd.args(args).arg(BIN);
        Sparkify::filtered(cmd, std::env::vars_os())
    }

    /// `sparkify` as if this process's environment were `parent`: how the filtering is tested
    /// without changing the real environment, which the tests' threads share.
    pub fn with_parent_env(parent: impl IntoIterator<Item = (OsString, OsString)>) -> Sparkify {
        Sparkify::filtered(Command::new(BIN), parent)
    }

    /// Exactly the [`inherited`] part of `parent`, nothing else (the same as inheriting the
    /// environment and removing each cleared variable).
    fn filtered(
        mut cmd: Command,
        parent: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Sparkify {
        cmd.env_clear().envs(inherited(parent));
        Sparkify { cmd }
    }

    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Adds one variable back (or sets it to a test's value).
    pub fn env(&mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env(name, value);
        self
    }

    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.cmd.envs(vars);
        self
    }

    /// Removes a variable the test itself added back earlier.
    pub fn env_remove(&mut self, name: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env_remove(name);
        self
    }

    /// The working directory: where `sparkify` finds `dwh.cfg` and puts `sparkify.duckdb`.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn stdout(&mut self, cfg: Stdio) -> &mut Self {
        self.cmd.stdout(cfg);
        self
    }

    pub fn stderr(&mut self, cfg: Stdio) -> &mut Self {
        self.cmd.stderr(cfg);
        self
    }

    /// Runs to the end with stdout and stderr captured.
    pub fn output(&mut self) -> Output {
        self.cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", self.cmd.get_program()))
    }

    /// Starts it in the background, for a test that interrupts or races it.
    pub fn spawn(&mut self) -> Child {
        self.cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.cmd.get_program()))
    }
}

/// `sparkify run --warehouse WAREHOUSE EXTRA... SOURCES...` in `cwd`, the run every end-to-end
/// test makes, on DuckDB (`duckdb:PATH`) or PostgreSQL (`postgres://...`). `sources` are the
/// `--songs/--events/--jsonpaths` arguments (see [`super::dataset`], [`super::sample_sources`]).
pub fn run_command(cwd: &Path, warehouse: &str, sources: &[String], extra: &[&str]) -> Sparkify {
    let mut cmd = sparkify();
    cmd.current_dir(cwd)
        .args(["run", "--warehouse", warehouse])
        .args(extra)
        .args(sources);
    cmd
}

/// [`run_command`] run to the end; the caller checks the exit code and the messages.
pub fn run(cwd: &Path, warehouse: &str, sources: &[String], extra: &[&str]) -> Output {
    run_command(cwd, warehouse, sources, extra).output()
}

/// [`run_command`] started in the background with stdout discarded and stderr captured, for a
/// test that kills, interrupts or races it; [`finish`] collects it.
pub fn spawn_run(cwd: &Path, warehouse: &str, sources: &[String], extra: &[&str]) -> Child {
    run_command(cwd, warehouse, sources, extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
}

/// [`spawn_run`] waited for: it must succeed; returns how long it took (tests that interrupt a
/// run time their interruptions from it).
pub fn run_to_end(cwd: &Path, warehouse: &str, sources: &[String], extra: &[&str]) -> Duration {
    let start = Instant::now();
    let (out, stderr) = finish(spawn_run(cwd, warehouse, sources, extra));
    assert!(out.status.success(), "{stderr}");
    start.elapsed()
}

/// Waits for a spawned `sparkify`; returns its output and stderr as text.
pub fn finish(child: Child) -> (Output, String) {
    let out = child.wait_with_output().expect("wait for sparkify");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

/// stdout and stderr as text.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// stdout of a command that must have succeeded; otherwise fails with everything it printed.
pub fn ok(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert!(
        out.status.success(),
        "sparkify failed ({:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    stdout
}

/// What `run` prints on stderr once it has opened the warehouse (and holds it: DuckDB's file
/// lock), before it creates, stages and transforms in its transaction. The summary on stdout
/// comes only at the end.
pub const OPENED: &str = "Building the Sparkify warehouse in";

/// How long a complete `run` takes from [`OPENED`] to its end: the span kills and Ctrl-C are
/// spread over, measured from an event of the run rather than from its start (which a loaded
/// machine delays by a varying amount).
pub fn span_after_open(
    cwd: &Path,
    warehouse: &str,
    sources: &[String],
    extra: &[&str],
) -> Duration {
    let run = spawn_watched(cwd, warehouse, sources, extra);
    assert!(
        run.wait_for(OPENED, Duration::from_secs(120)),
        "the run never opened the warehouse"
    );
    let opened = Instant::now();
    let (status, stderr) = run.finish();
    assert!(status.success(), "{stderr}");
    opened.elapsed()
}

/// A `run` in the background whose output lines (stdout and stderr, in the order they come)
/// arrive as events, so a test can act at a point of the run ("the warehouse is open",
/// "staging is done") instead of after a guessed sleep or a fraction of another run's time.
pub struct Watched {
    pub child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// [`run_command`] started with its output watched (without `-q`, so it reports progress).
pub fn spawn_watched(cwd: &Path, warehouse: &str, sources: &[String], extra: &[&str]) -> Watched {
    use std::io::BufRead;
    let mut child = run_command(cwd, warehouse, sources, extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let out = child.stdout.take().expect("piped stdout");
    let err = child.stderr.take().expect("piped stderr");
    let (tx2, kept) = (tx.clone(), stderr.clone());
    let readers = vec![
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        }),
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if let Ok(mut s) = kept.lock() {
                    s.push_str(&line);
                    s.push('\n');
                }
                let _ = tx2.send(line);
            }
        }),
    ];
    Watched {
        child,
        lines,
        stderr,
        readers,
    }
}

impl Watched {
    /// Waits for a line containing `needle`; `false` when the run ended (or `limit` passed)
    /// without printing one.
    pub fn wait_for(&self, needle: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    /// Waits for `n` more lines; `false` when the run ended first.
    pub fn wait_for_lines(&self, n: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        for _ in 0..n {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            if self.lines.recv_timeout(left).is_err() {
                return false;
            }
        }
        true
    }

    /// Waits for the end; its status and everything it wrote to stderr.
    pub fn finish(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().expect("wait for sparkify");
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        (status, stderr)
    }
}
