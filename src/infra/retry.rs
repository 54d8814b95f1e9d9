//! Waiting out IAM propagation. IAM is eventually consistent: a role created (or whose trust
//! policy was replaced) moments ago may not yet be visible to Redshift, which then refuses the
//! `CreateCluster` that names it with `InvalidParameterValue: The IAM role <arn> is not valid.
//! The IAM role must delegate access to an Amazon Redshift account.` (the message AWS documents
//! in its Knowledge Center article "redshift-iam-role-error"; also reported in
//! hashicorp/terraform-provider-aws#19113). That one failure is retried with doubling waits,
//! [`RETRIES`] times; every other error is returned at once.

use std::time::{Duration, Instant};

use super::Report;
use crate::error::{Error, Result};

/// How many times a call refused for a not-yet-visible role is retried: with the default first
/// wait of 2 s, the waits are 2, 4, 8, 16, 32 and 64 s, 126 s in all.
pub const RETRIES: u32 = 6;

/// What a call that names the role's ARN came to.
#[derive(Debug)]
pub enum Attempt<T> {
    Done(T),
    /// Refused because Redshift cannot see the role yet; the text is the whole AWS error.
    RoleNotYetVisible(String),
}

/// Whether an AWS error (its code and message) is Redshift not seeing an IAM role yet.
pub fn role_not_yet_visible(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("InvalidParameterValue")
        && message.is_some_and(|m| m.contains("IAM role") && m.contains("is not valid"))
}

/// The waits before each retry: `first`, doubling, [`RETRIES`] of them.
pub fn schedule(first: Duration) -> Vec<Duration> {
    (0..RETRIES).map(|i| first * 2u32.pow(i)).collect()
}

/// `2 s`, or `0.05 s` for the short waits of tests.
fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// Runs `call` until it is done, retrying while it answers [`Attempt::RoleNotYetVisible`] after
/// the waits of [`schedule`]`(first)`, with one warning per wait; its errors end the loop.
pub fn while_role_propagates<T>(
    what: &str,
    first: Duration,
    out: &mut dyn Report,
    mut call: impl FnMut() -> Result<Attempt<T>>,
) -> Result<T> {
    let waits = schedule(first);
    let start = Instant::now();
    let mut last = String::new();
    for (i, wait) in waits.iter().enumerate() {
        match call()? {
            Attempt::Done(v) => return Ok(v),
            Attempt::RoleNotYetVisible(why) => {
                out.warn(&format!(
                    "{}; an IAM role created or changed moments ago may still be \
                     propagating: retrying {what} in {} ({} of {RETRIES})",
                    why.trim_end_matches('.'),
                    seconds(*wait),
                    i + 1
                ));
                last = why;
            }
        }
        sleep(*wait)?;
    }
    match call()? {
        Attempt::Done(v) => Ok(v),
        Attempt::RoleNotYetVisible(why) => Err(Error::Aws(format!(
            "{why} (still refused after {RETRIES} retries over {}: if the role trusts \
             redshift.amazonaws.com, run the command again; earlier: {last})",
            seconds(Duration::from_secs(start.elapsed().as_secs()))
        ))),
    }
}

/// Sleeps `d` in slices, so Ctrl-C ends the wait.
fn sleep(d: Duration) -> Result<()> {
    let end = Instant::now() + d;
    loop {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Lines(Vec<String>);
    impl Report for Lines {
        fn line(&mut self, text: &str) {
            self.0.push(text.to_string());
        }
    }

    const NOT_VALID: &str = "The IAM role arn:aws:iam::123456789012:role/r is not valid. The \
                             IAM role must delegate access to an Amazon Redshift account.";

    #[test]
    fn only_the_propagation_error_counts() {
        assert!(role_not_yet_visible(
            Some("InvalidParameterValue"),
            Some(NOT_VALID)
        ));
        assert!(!role_not_yet_visible(
            Some("InvalidParameterValue"),
            Some("Invalid node type: ra9.huge")
        ));
        assert!(!role_not_yet_visible(
            Some("UnauthorizedOperation"),
            Some(NOT_VALID)
        ));
        assert!(!role_not_yet_visible(None, None));
    }

    #[test]
    fn the_schedule_doubles_to_about_two_minutes() {
        let waits = schedule(Duration::from_secs(2));
        assert_eq!(
            waits.iter().map(Duration::as_secs).collect::<Vec<_>>(),
            [2, 4, 8, 16, 32, 64]
        );
        assert_eq!(waits.iter().sum::<Duration>(), Duration::from_secs(126));
    }

    #[test]
    fn retries_then_succeeds_or_gives_up() {
        let mut out = Lines(Vec::new());
        let mut calls = 0;
        let got = while_role_propagates("x", Duration::from_millis(1), &mut out, || {
            calls += 1;
            Ok(if calls < 3 {
                Attempt::RoleNotYetVisible(format!("refused {calls}"))
            } else {
                Attempt::Done(calls)
            })
        });
        assert_eq!(got.ok(), Some(3));
        assert_eq!(out.0.len(), 2, "{:?}", out.0);
        assert!(
            out.0[0].contains("retrying x in ") && out.0[0].contains("(1 of 6)"),
            "{:?}",
            out.0
        );

        let mut calls = 0;
        let got: Result<()> =
            while_role_propagates("x", Duration::from_millis(1), &mut out, || {
                calls += 1;
                Ok(Attempt::RoleNotYetVisible("refused".into()))
            });
        assert_eq!(calls, 7);
        assert!(got.is_err_and(|e| e.to_string().contains("still refused after 6 retries")));

        let mut calls = 0;
        let got: Result<()> =
            while_role_propagates("x", Duration::from_millis(1), &mut out, || {
                calls += 1;
                Err(Error::Aws("other".into()))
            });
        assert_eq!(calls, 1);
        assert!(got.is_err());
    }
}
