//! `infra down`: applies what [`super::diff::down`] decided, each step reported as a `-`
//! (removed) or `=` (left as it is) line.

use std::time::Instant;

use super::apply::wait_for;
use super::aws::Aws;
use super::diff::{self, Change, Keep};
use super::settings::Settings;
use super::{Report, TAG_KEY, TAG_VALUE, Wait, state};
use crate::error::{Error, Result};

/// `infra down`: the cluster (optionally with a final snapshot), then its ingress rules and
/// security group, then the role, each only if `sparkify` created it.
pub fn down(
    aws: &Aws,
    s: &Settings,
    final_snapshot: Option<&str>,
    wait: &Wait,
    out: &mut dyn Report,
) -> Result<()> {
    let id = &s.identifier.value;
    let role = &s.role_name.value;
    let port = s.port.value;
    let group_name = state::group_name(id);
    let seen = aws.observe(s)?;
    let mut changed = 0;
    for change in diff::down(s, final_snapshot, &seen)? {
        match change {
            Change::Keep(Keep::ClusterAbsent) => {
                out.line(&format!("= cluster {id} does not exist"));
            }
            Change::DeleteCluster {
                already_deleting,
                final_snapshot,
            } => {
                if !already_deleting {
                    aws.delete_cluster(id, final_snapshot.as_deref())?;
                }
                out.line(&format!(
                    "- deleting cluster {id}{}",
                    final_snapshot.map_or(" (no final snapshot)".to_string(), |n| format!(
                        " (final snapshot {n})"
                    ))
                ));
                wait_for(aws, id, wait, out, |c| c.is_none())?;
                changed += 1;
                out.line(&format!("- cluster {id} is gone"));
            }
            Change::RevokeRule { group, cidr } => {
                aws.revoke_ingress(&group, port, &cidr)?;
                out.line(&format!(
                    "- removed ingress rule tcp {port} from {cidr} on {group}"
                ));
                changed += 1;
            }
            Change::Keep(Keep::GroupAbsent) => {
                out.line(&format!("= security group {group_name} does not exist"));
            }
            Change::Keep(Keep::GroupNotManaged { id: g }) => out.line(&format!(
                "= security group {group_name} ({g}) was not created by sparkify (no \
                 {TAG_KEY}={TAG_VALUE} tag): kept"
            )),
            Change::DeleteGroup { id: g } => {
                delete_group(aws, &g, wait, out)?;
                changed += 1;
                out.line(&format!("- deleted security group {group_name} ({g})"));
            }
            Change::Keep(Keep::RoleAbsent) => {
                out.line(&format!("= IAM role {role} does not exist"));
            }
            Change::Keep(Keep::RoleNotManaged) => out.line(&format!(
                "= IAM role {role} was not created by sparkify (no {TAG_KEY}={TAG_VALUE} tag): \
                 kept"
            )),
            Change::DeleteInlinePolicy { name } => aws.delete_inline_policy(role, &name)?,
            Change::DetachPolicy { policy } => aws.detach_policy(role, &policy)?,
            Change::DeleteRole { arn } => {
                aws.delete_role(role)?;
                changed += 1;
                out.line(&format!("- deleted IAM role {role} ({arn})"));
            }
            // `up`'s changes never come out of `diff::down`.
            Change::CreateRole { .. }
            | Change::TagRole
            | Change::UpdateTrust { .. }
            | Change::PutReadPolicy { .. }
            | Change::CreateGroup { .. }
            | Change::TagGroup { .. }
            | Change::GeneratePassword
            | Change::CreateCluster { .. }
            | Change::TagCluster { .. }
            | Change::JoinGroup { .. }
            | Change::AuthorizeIngress { .. }
            | Change::WriteConfig
            | Change::Keep(
                Keep::Role { .. }
                | Keep::NoSources
                | Keep::Group { .. }
                | Keep::Cluster { .. }
                | Keep::IngressRule { .. }
                | Keep::NoIngressRule,
            ) => {}
        }
    }
    out.line(&if changed == 0 {
        "No changes: nothing of sparkify's was left.".to_string()
    } else {
        format!("Done: {changed} resource(s) removed.")
    });
    Ok(())
}

/// Deletes the group, waiting while AWS still counts it as used: a deleted cluster's network
/// interfaces are released a little after the cluster is gone.
fn delete_group(aws: &Aws, group: &str, wait: &Wait, out: &mut dyn Report) -> Result<()> {
    let start = Instant::now();
    loop {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        if aws.delete_group(group)? {
            return Ok(());
        }
        if start.elapsed() >= wait.timeout {
            return Err(Error::Aws(format!(
                "security group {group} is still in use after {} s; run `infra down` again \
                 later to delete it",
                wait.timeout.as_secs()
            )));
        }
        out.waiting(&format!(
            "security group {group}: still in use ({} s)",
            start.elapsed().as_secs()
        ));
        std::thread::sleep(wait.poll);
    }
}
