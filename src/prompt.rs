//! Questions to the user on the terminal. The library says what must be confirmed (e.g.
//! [`crate::infra::down_confirmation`]); reading the answer from stdin is the command line's
//! job, so nothing below it blocks on a terminal.

use std::io::{IsTerminal, Write};

use crate::error::{Error, Result};
use crate::infra::Confirmation;

/// Asks `c.question` and succeeds only if the user types `c.answer`; `yes` (`--yes`) skips the
/// question. Without a terminal on stdin it refuses rather than wait for an answer that cannot
/// come.
pub fn confirm(c: &Confirmation, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(c.no_terminal.clone()));
    }
    eprint!("{}", c.question);
    // The question has no newline: flush so it shows before the answer is read.
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::io("reading the confirmation", e))?;
    if answer.trim() == c.answer {
        Ok(())
    } else {
        Err(Error::usage(c.refused.clone()))
    }
}
