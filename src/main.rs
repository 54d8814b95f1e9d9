//! The `sparkify` binary: parse the command line, run the command, map the outcome to an exit
//! code a script can act on (see `sparkify --help`).

use std::process::ExitCode;

use sparkify::{Error, app, cli, interrupt, output, secrets};

#[global_allocator]
static ALLOCATOR: sparkify::allocator::Allocator = sparkify::allocator::Allocator {};

fn main() -> ExitCode {
    sparkify::allocator::configure();
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
