//! Ctrl-C handling. The binary installs a handler that sets a flag; long-running loops check it
//! and return [`crate::Error::Interrupted`], so the warehouse transaction is rolled back instead
//! of the process dying mid-write. A statement running in the warehouse cannot check a flag, so
//! each open warehouse registers how to stop its running statement (DuckDB's interrupt,
//! PostgreSQL's and Redshift's cancel request), and [`request`] calls it: the statement fails at
//! once, the transaction rolls back, and the process exits 130 within moments, not when a long
//! transform would have finished.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

type Stopper = Box<dyn Fn() + Send + Sync>;

static STOPPERS: Mutex<Vec<(u64, Stopper)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Records that the user asked to stop, and stops every statement a warehouse is running.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
    if let Ok(stoppers) = STOPPERS.lock() {
        for (_, stop) in stoppers.iter() {
            stop();
        }
    }
}

/// Whether the user asked to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Registers how to stop the statement a warehouse connection is running, for as long as the
/// returned value lives (keep it beside the connection).
pub fn on_request(stop: impl Fn() + Send + Sync + 'static) -> Registration {
    let id = NEXT.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut stoppers) = STOPPERS.lock() {
        stoppers.push((id, Box::new(stop)));
    }
    Registration(id)
}

/// Keeps a stopper registered; dropping it (with the connection) removes it.
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut stoppers) = STOPPERS.lock() {
            stoppers.retain(|(id, _)| *id != self.0);
        }
    }
}
