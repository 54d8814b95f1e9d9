//! The `sparkify` binary: parse the command line, run the command, map the outcome to an exit
//! code a script can act on (see `sparkify --help`).

use std::process::ExitCode;

use sparkify::{Error, app, cli, interrupt, output, secrets};

// Staging allocates a short string per JSON member on the parser threads and frees it on
// DuckDB's; mimalloc does that with less contention than glibc's arenas (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e`, which the bindings do not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc 3 keeps freed pages for 1 s before giving them back; sparkify's memory bounds
/// (tests/generate.rs, tests/memory.rs) want them back as soon as mimalloc 2 gave them, after
/// 10 ms. Set only when the option at that index holds the purge delay's default (1000 ms), so a
/// renumbered enum in a later mimalloc leaves every option as it is.
fn return_freed_memory_promptly() {
    // SAFETY: plain reads and writes of mimalloc's option table, before any other thread runs.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == 1000 {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10);
        }
    }
}

fn main() -> ExitCode {
    return_freed_memory_promptly();
    let cli = cli::parse();
    // The first Ctrl-C asks the running step to roll back and stop; a second one exits now.
    let _ = ctrlc::set_handler(|| {
        if interrupt::requested() {
            std::process::exit(130);
        }
        interrupt::request();
    });
    match app::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A statement stopped by Ctrl-C fails with the engine's own message; what happened
            // is the interrupt (its transaction was rolled back on the way out).
            let e = if interrupt::requested() {
                Error::Interrupted
            } else {
                e
            };
            // The one place errors are printed: every secret the settings read is hidden here,
            // whichever message happens to quote it.
            let text = secrets::scrub(&e.to_string());
            // Errors quote data (a rejected line, a file or key name): its control characters
            // are written out, so they cannot drive the terminal.
            eprintln!("sparkify: {}", output::printable(&text, true));
            // ENOSPC arrives worded by the OS or by DuckDB; say plainly what it means.
            if text.contains("No space left on device") || text.contains("os error 28") {
                eprintln!(
                    "sparkify: the disk is full. Nothing half-written was committed; free some \
                     space (or point --warehouse/--out elsewhere) and run again."
                );
            }
            ExitCode::from(e.exit_code())
        }
    }
}
