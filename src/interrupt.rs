//! Ctrl-C handling. The binary installs a handler that sets a flag; long-running loops check it
//! and return [`crate::Error::Interrupted`], so the warehouse transaction is rolled back instead
//! of the process dying mid-write.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Records that the user asked to stop.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether the user asked to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
