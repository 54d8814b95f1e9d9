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
    let (mut cluster_gone, mut role_gone) = (false, false);
    for change in diff::down(s, final_snapshot, &seen)? {
        match change {
            Change::Keep(Keep::ClusterAbsent) => {
                cluster_gone = true;
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
                cluster_gone = true;
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
                role_gone = true;
                out.line(&format!("= IAM role {role} does not exist"));
            }
            Change::Keep(Keep::RoleNotManaged) => out.line(&format!(
                "= IAM role {role} was not created by sparkify (no {TAG_KEY}={TAG_VALUE} tag): \
                 kept"
            )),
            Change::Keep(Keep::RoleInUse { clusters }) => out.line(&format!(
                "= IAM role {role} is still used by cluster {}: kept, with its policies",
                clusters.join(", ")
            )),
            Change::DeleteInlinePolicy { name } => aws.delete_inline_policy(role, &name)?,
            Change::DetachPolicy { policy } => aws.detach_policy(role, &policy)?,
            Change::DeleteRole { arn } => {
                aws.delete_role(role)?;
                role_gone = true;
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
    let forgotten = forget_written(s, &seen, cluster_gone, role_gone, out)?;
    out.line(&if changed == 0 && !forgotten {
        "No changes: nothing of sparkify's was left.".to_string()
    } else {
        format!("Done: {changed} resource(s) removed.")
    });
    Ok(())
}

/// Empties in `dwh.cfg` what `up` wrote there about what is now gone: the endpoint and the
/// generated password once the cluster is gone, the role ARN once the role is, so the file does
/// not point `--warehouse redshift` at a cluster that no longer exists. A value the user
/// changed since, or a password they chose, stays. Returns whether the file changed.
fn forget_written(
    s: &Settings,
    seen: &state::Observed,
    cluster_gone: bool,
    role_gone: bool,
    out: &mut dyn Report,
) -> Result<bool> {
    use crate::config::Written;
    let Some(path) = &s.config_path else {
        return Ok(false);
    };
    let keys = s.write_back_keys();
    // What `up` wrote: the cluster's endpoint and the role's ARN, as seen before `down`; after
    // an interrupted `down` they are gone, and the names are all that is left to go by.
    let host = seen
        .cluster
        .as_ref()
        .and_then(|c| c.endpoint.as_ref().map(|(h, _)| h.clone()))
        .or_else(|| {
            let prefix = format!("{}.", s.identifier.value);
            s.written.host.clone().filter(|h| h.starts_with(&prefix))
        });
    let arn = seen.role.as_ref().map(|r| r.arn.clone()).or_else(|| {
        let suffix = format!(":role/{}", s.role_name.value);
        s.written.role_arn.clone().filter(|a| a.ends_with(&suffix))
    });
    let mut forget = Vec::new();
    if cluster_gone {
        if let Some(h) = &host {
            forget.push((keys.host.0, keys.host.1, Written::Value(h)));
        }
        forget.push((keys.password.0, keys.password.1, Written::Generated));
    }
    if role_gone && let Some(a) = &arn {
        forget.push((keys.role_arn.0, keys.role_arn.1, Written::Value(a)));
    }
    let cleared = crate::config::clear_written(path, &forget)?;
    if cleared.is_empty() {
        return Ok(false);
    }
    out.line(&format!(
        "- removed {} from {} (written by `infra up`)",
        cleared
            .iter()
            .map(|(sec, key)| format!("[{sec}] {key}"))
            .collect::<Vec<_>>()
            .join(", "),
        path.display()
    ));
    Ok(true)
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
