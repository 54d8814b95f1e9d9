//! `sparkify infra`: the Redshift cluster, its IAM role, its security group and ingress rule, as
//! code.
//!
//! Every step first looks at what exists, so `up` and `down` can be run again at any point:
//! after a success they change nothing, after a failure half-way they continue. Every
//! resource `sparkify` creates carries the tag `managed-by=sparkify`; `up`, `pause` and
//! `resume` refuse a role, cluster or group of the configured names without it unless
//! `--adopt` (which tags it), and `down` deletes only what carries it. `plan` and `status`
//! call only read-only APIs.
//!
//! Least privilege: the role trusts `redshift.amazonaws.com` only for this cluster's database
//! users in this account, and may read only the configured `s3://` sources (an inline policy,
//! [`policy`]); the cluster's port is open to one CIDR on a security group of its own
//! (`sparkify-<cluster id>`), never on the VPC's shared default group.
//!
//! API calls — `plan` (and first in `up` and `down`): iam:GetRole, ListRoleTags,
//! ListAttachedRolePolicies, ListRolePolicies, GetRolePolicy; redshift:DescribeClusters;
//! ec2:DescribeVpcs, DescribeSecurityGroups. `up`: iam:CreateRole, TagRole,
//! UpdateAssumeRolePolicy, PutRolePolicy, DetachRolePolicy; ec2:CreateSecurityGroup,
//! CreateTags, AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress;
//! redshift:CreateCluster, CreateTags, ModifyCluster. `down`: redshift:DeleteCluster;
//! ec2:RevokeSecurityGroupIngress, DeleteSecurityGroup; iam:DeleteRolePolicy,
//! DetachRolePolicy, DeleteRole. `pause`/`resume`: redshift:PauseCluster, ResumeCluster (and
//! CreateTags with `--adopt`).
//!
//! IAM is eventually consistent: a `CreateCluster` that Redshift refuses because it cannot see
//! a role made moments ago is retried with doubling waits for about two minutes ([`retry`]);
//! no other error is.
//!
//! The work is split by job: [`aws`] talks to AWS and nothing else, reading what exists into
//! [`state`]; [`diff`] decides, as a pure function of what exists, which changes `up` and
//! `down` make (`plan` prints the same list `up` applies, so the two cannot drift); [`apply`]
//! makes them one by one and reports each; [`render`] turns changes and state into the text of
//! `plan` and `status`; [`policy`] writes the IAM documents. Asking the user to confirm `down`
//! is the command line's job: this module only says what must be confirmed.

pub mod apply;
pub mod aws;
pub mod diff;
mod down;
pub mod policy;
pub mod render;
pub mod retry;
pub mod settings;
pub mod state;

use std::time::Duration;

use crate::error::Result;
pub use apply::{pause_or_resume, up};
pub use aws::Aws;
pub use down::down;
pub use settings::Settings;

/// The tag on everything `sparkify` creates.
pub const TAG_KEY: &str = "managed-by";
pub const TAG_VALUE: &str = "sparkify";

/// The AWS-managed policy earlier versions attached to the role (read access to every bucket);
/// `up` replaces it with the inline [`policy::READ_POLICY_NAME`].
pub const S3_READ_POLICY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

/// How `up` and `down` wait for the cluster.
#[derive(Debug, Clone)]
pub struct Wait {
    pub timeout: Duration,
    pub poll: Duration,
    /// The first wait before retrying a call Redshift refused because it cannot see a new
    /// IAM role yet; doubled for each of [`retry::RETRIES`] retries.
    pub iam_retry: Duration,
}

/// Where progress and results go; the command line prints them, tests capture them.
pub trait Report {
    fn line(&mut self, text: &str);
    /// A status while waiting (drawn as a spinner on a terminal).
    fn waiting(&mut self, _text: &str) {}
    fn warn(&mut self, text: &str) {
        self.line(&format!("warning: {text}"));
    }
}

/// `infra plan`: what `up` would do, from read-only calls; refuses what `up` would refuse.
pub fn plan(aws: &Aws, s: &Settings, adopt: bool, out: &mut dyn Report) -> Result<()> {
    let mut seen = aws.observe(s)?;
    seen.config = s.written.clone();
    let changes = diff::up(s, &seen, adopt)?;
    render::plan(s, &seen, &changes, out);
    source_regions(aws, s, out);
    Ok(())
}

/// Looks up the region of each source bucket and notes one in another region than the
/// cluster's (with its cost and the `REGION` its COPY carries) or one that cannot be looked up;
/// see [`crate::source::regions`]. Never fails.
pub fn source_regions(aws: &Aws, s: &Settings, out: &mut dyn Report) {
    crate::source::regions::check(&aws.region, &s.copy_sources, |n| {
        out.line(&format!("note: {n}"))
    });
}

/// `infra status`.
pub fn show_status(aws: &Aws, s: &Settings, out: &mut dyn Report) -> Result<()> {
    let cluster = aws.cluster(&s.identifier.value)?;
    let ingress = match &cluster {
        Some(c) => Some(aws.status_rules(s, c, render::status_port(c, s))?),
        None => None,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    render::status(s, &aws.region, cluster.as_ref(), ingress.as_ref(), now, out);
    Ok(())
}

/// What the user must confirm before `down` deletes anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// Shown before the answer is read, without a final newline.
    pub question: String,
    /// What the user must type, exactly (surrounding spaces aside).
    pub answer: String,
    /// The error when there is no terminal to ask on.
    pub no_terminal: String,
    /// The error when the answer is wrong.
    pub refused: String,
}

/// `infra down` asks for the cluster's identifier: deleting it loses all its data.
pub fn down_confirmation(s: &Settings) -> Confirmation {
    let id = &s.identifier.value;
    Confirmation {
        question: format!(
            "This deletes cluster {id} and all its data, its security group and role {}.\n\
             Type the cluster identifier to confirm: ",
            s.role_name.value
        ),
        answer: id.clone(),
        no_terminal: "`infra down` deletes the cluster and all its data: pass --yes to confirm \
                      (stdin is not a terminal, so it cannot ask)"
            .to_string(),
        refused: "not confirmed; nothing was deleted".to_string(),
    }
}
