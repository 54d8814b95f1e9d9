//! The reconnect policy of `run` and `etl`: when the connection to the warehouse is lost
//! half-way, the whole job starts over on a new connection. That is safe because the lost
//! transaction was kept whole or not at all, and a repeated run loads only what the ledger
//! does not hold.

use std::time::Duration;

use super::{
    EtlReport, Progress, Published, Recorded, RunPlan, RunRecord, StageRequest, Tally, etl_attempt,
    finish_run,
};
use crate::copy::load::LoadOptions;
use crate::error::{Error, Result};
use crate::warehouse::Warehouse;

/// How many times `run`/`etl` start over after losing the warehouse connection.
pub const ETL_ATTEMPTS: u32 = 3;

/// [`super::etl`] by `plan`, started over (up to [`ETL_ATTEMPTS`] times) on a connection from
/// `open` when the connection is lost; `say` tells the user each time. The run is recorded
/// once, in `runs`, whatever the outcome, and its record returned.
pub fn etl_with_reconnect(
    wh: Box<dyn Warehouse>,
    open: &dyn Fn() -> Result<Box<dyn Warehouse>>,
    requests: &[StageRequest],
    options: &LoadOptions,
    progress: &dyn Progress,
    plan: &RunPlan,
    say: &dyn Fn(&str),
) -> (Result<Published>, RunRecord) {
    recorded_with_reconnect(
        wh,
        open,
        progress,
        plan,
        say,
        &mut |wh, tally| etl_attempt(wh, requests, options, progress, plan, tally),
        |report: &EtlReport| report.run.clone(),
    )
}

/// One attempt of a recorded job (`attempt`, one transaction that writes its own row in
/// `runs` before COMMIT), started over (up to [`ETL_ATTEMPTS`] times) on a connection from
/// `open` when the connection is lost; a job that does not publish is recorded afterwards.
pub(super) fn recorded_with_reconnect<T>(
    mut wh: Box<dyn Warehouse>,
    open: &dyn Fn() -> Result<Box<dyn Warehouse>>,
    progress: &dyn Progress,
    plan: &RunPlan,
    say: &dyn Fn(&str),
    attempt_job: &mut dyn FnMut(&mut dyn Warehouse, &mut Tally) -> Result<T>,
    record_of: impl Fn(&T) -> RunRecord,
) -> Recorded<T> {
    let mut attempt = 1;
    loop {
        let mut tally = Tally::default();
        match attempt_job(wh.as_mut(), &mut tally) {
            Err(Error::ConnectionLost(why)) if attempt < ETL_ATTEMPTS => {
                say(&format!(
                    "{why}: the connection was lost. The run is one transaction, so none of it \
                     (or, if it broke during COMMIT, all of it) was kept; reconnecting to start \
                     over (attempt {} of {ETL_ATTEMPTS})",
                    attempt + 1
                ));
                let (engine, target) = (wh.dialect().name(), wh.describe());
                drop(wh);
                wh = match reconnect(open) {
                    Ok(wh) => wh,
                    Err(e) => {
                        let e = match e {
                            Error::Interrupted => e,
                            other => Error::ConnectionLost(format!(
                                "{why}; reconnecting failed: {other}"
                            )),
                        };
                        let record = RunRecord::new(&plan.meta, engine, target, tally, Err(&e));
                        return (Err(e), record);
                    }
                };
                attempt += 1;
            }
            outcome => {
                let (outcome, record) =
                    finish_run(Some(wh.as_mut()), plan, tally, outcome, progress, record_of);
                return (outcome.map(|report| (wh, report)), record);
            }
        }
    }
}

/// Opens the warehouse again after a lost connection, waiting 1, 2, 4 and 8 s between tries
/// for a server that is restarting.
fn reconnect(open: &dyn Fn() -> Result<Box<dyn Warehouse>>) -> Result<Box<dyn Warehouse>> {
    let mut delay = Duration::from_secs(1);
    let mut tries = 0;
    loop {
        std::thread::sleep(delay);
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        match open() {
            Ok(wh) => return Ok(wh),
            Err(e) if tries >= 3 => return Err(e),
            Err(_) => {
                tries += 1;
                delay *= 2;
            }
        }
    }
}
