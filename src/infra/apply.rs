//! Applies the changes [`super::diff`] decided, one adapter call each, and reports every step
//! as a `+` (made), `=` (already there) or `-` (removed) line.

use std::time::Instant;

use super::aws::Aws;
use super::diff::{self, Change, ClusterState, Keep, Readiness};
use super::settings::{self, Settings};
use super::{Report, TAG_KEY, TAG_VALUE, Wait};
use crate::error::{Error, Result};

/// A value an earlier change produces; missing only if the diff put the changes out of order.
fn produced<T>(value: Option<T>, what: &str) -> Result<T> {
    value.ok_or_else(|| {
        Error::Aws(format!(
            "internal error: {what} was needed before it was known (changes out of order)"
        ))
    })
}

/// `infra up`: creates what is missing, waits for the cluster, writes endpoint and role ARN
/// back to `dwh.cfg`.
pub fn up(aws: &Aws, s: &Settings, wait: &Wait, out: &mut dyn Report) -> Result<()> {
    let cidr = s.cidr.as_deref().ok_or_else(|| {
        Error::usage(
            "`infra up` needs the address range allowed to connect: pass --cidr \
             (e.g. --cidr 203.0.113.7/32, your own address) or set [CLUSTER] CIDR in dwh.cfg",
        )
    })?;
    if cidr == settings::ANYWHERE {
        out.warn("opening the cluster's port to the whole internet (--allow-anywhere)");
    }
    if let Some(why) = settings::deprecation(&s.node_type.value) {
        out.warn(&why);
    }
    let config_path = s.config_path.clone().ok_or_else(|| {
        Error::usage(
            "`infra up` writes the endpoint and role ARN into dwh.cfg: run it where dwh.cfg is, \
             or pass --config FILE (an empty file will do)",
        )
    })?;
    let keys = s.write_back_keys();
    let mut seen = aws.observe_for_up(s)?;
    seen.config = s.written.clone();
    let id = &s.identifier.value;
    let role = &s.role_name.value;
    let port = s.port.value;

    // Carried from step to step: what exists so far.
    let mut role_arn = seen.role.as_ref().map(|r| r.arn.clone());
    let mut cluster = seen.cluster.clone();
    let mut password = s.password.clone();
    let mut changed = 0;
    for change in diff::up(s, &seen) {
        match change {
            Change::Keep(Keep::Role { arn, .. }) => {
                out.line(&format!("= IAM role {role} exists ({arn})"));
            }
            Change::AttachPolicy { .. } => {
                aws.attach_policy(role)?;
                changed += 1;
                out.line("+ attached AmazonS3ReadOnlyAccess");
            }
            Change::CreateRole => {
                let arn = aws.create_role(role)?;
                aws.attach_policy(role)?;
                changed += 1;
                out.line(&format!(
                    "+ created IAM role {role} ({arn}) with AmazonS3ReadOnlyAccess"
                ));
                role_arn = Some(arn);
            }
            Change::GeneratePassword => {
                let p = settings::generate_password()?;
                crate::config::update_file(
                    &config_path,
                    &[(keys.password.0, keys.password.1, &p)],
                )?;
                out.line(&format!(
                    "+ generated a master password, stored in {} [{}] {} (mode 0600)",
                    config_path.display(),
                    keys.password.0,
                    keys.password.1
                ));
                password = Some(p);
            }
            Change::CreateCluster { .. } => {
                let pw = produced(password.as_deref(), "the master password")?;
                let arn = produced(role_arn.as_deref(), "the role ARN")?;
                aws.create_cluster(s, pw, arn)?;
                changed += 1;
                out.line(&format!(
                    "+ creating Redshift cluster {id}: {} × {}",
                    s.nodes.value, s.node_type.value
                ));
                cluster = Some(wait_until_available(aws, id, wait, out, "being created")?);
            }
            Change::Keep(Keep::Cluster { status, then }) => {
                out.line(&format!("= Redshift cluster {id} exists ({status})"));
                match then {
                    Readiness::Available => {}
                    Readiness::Wait => {
                        cluster = Some(wait_until_available(aws, id, wait, out, "waiting")?);
                    }
                    Readiness::Stays => out.line(&format!(
                        "  cluster {id} is {status}; `sparkify infra resume` makes a paused \
                         cluster available"
                    )),
                }
            }
            Change::Keep(Keep::IngressRule { cidr, group }) => {
                out.line(&format!(
                    "= ingress rule tcp {port} from {cidr} exists on {group}"
                ));
            }
            Change::AuthorizeIngress { cidr, .. } => {
                // The group is looked up now: a cluster created above has one only now.
                let group = aws.security_group(cluster.as_ref())?.ok_or_else(|| {
                    Error::Aws(format!(
                        "cannot find the security group of cluster {id} (no VPC security \
                         group, no default VPC)"
                    ))
                })?;
                if aws.authorize_ingress(&group, port, &cidr, diff::rule_description(id))? {
                    changed += 1;
                    out.line(&format!(
                        "+ allowed tcp {port} from {cidr} on security group {group}"
                    ));
                } else {
                    out.line(&format!(
                        "= ingress rule tcp {port} from {cidr} exists on {group}"
                    ));
                }
            }
            Change::WriteConfig => {
                let arn = produced(role_arn.as_deref(), "the role ARN")?;
                let host = cluster.as_ref().and_then(|c| c.endpoint.as_ref());
                // What the file held when the settings were read: writing the password above
                // touches neither of these keys.
                let current = &s.written;
                let updates =
                    diff::config_updates(&keys, arn, host.map(|(h, _)| h.as_str()), current);
                if !updates.is_empty() {
                    let pairs: Vec<(&str, &str, &str)> = updates
                        .iter()
                        .map(|(a, b, c)| (*a, *b, c.as_str()))
                        .collect();
                    crate::config::update_file(&config_path, &pairs)?;
                    changed += 1;
                    out.line(&format!(
                        "+ wrote {} to {}",
                        updates
                            .iter()
                            .map(|(sec, key, _)| format!("[{sec}] {key}"))
                            .collect::<Vec<_>>()
                            .join(" and "),
                        config_path.display()
                    ));
                }
            }
            // `up` refuses without a CIDR above; the rest are `down`'s.
            Change::Keep(Keep::NoIngressRule)
            | Change::Keep(Keep::ClusterAbsent | Keep::RoleAbsent | Keep::RoleNotManaged)
            | Change::DeleteCluster { .. }
            | Change::RevokeRule { .. }
            | Change::DetachPolicy { .. }
            | Change::DeleteRole { .. } => {}
        }
    }
    if let Some((host, port)) = cluster.as_ref().and_then(|c| c.endpoint.as_ref()) {
        out.line(&format!("Endpoint: {host}:{port}"));
    }
    out.line(&format!(
        "Role ARN: {}",
        produced(role_arn.as_deref(), "the role ARN")?
    ));
    out.line(&if changed == 0 {
        "No changes: everything already exists as configured.".to_string()
    } else {
        format!("Done: {changed} change(s).")
    });
    Ok(())
}

/// Waits until cluster `id` is available; `doing` names the wait in the error if it vanishes.
fn wait_until_available(
    aws: &Aws,
    id: &str,
    wait: &Wait,
    out: &mut dyn Report,
    doing: &str,
) -> Result<ClusterState> {
    wait_for(aws, id, wait, out, |c| {
        c.is_some_and(|c| c.status == "available")
    })?
    .ok_or_else(|| Error::Aws(format!("cluster {id} disappeared while {doing}")))
}

/// Polls the cluster until `done` holds, with a status line, up to the timeout.
fn wait_for(
    aws: &Aws,
    id: &str,
    wait: &Wait,
    out: &mut dyn Report,
    done: impl Fn(Option<&ClusterState>) -> bool,
) -> Result<Option<ClusterState>> {
    let start = Instant::now();
    loop {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        let cluster = aws.cluster(id)?;
        if done(cluster.as_ref()) {
            return Ok(cluster);
        }
        let state = cluster.as_ref().map_or("gone", |c| c.status.as_str());
        if start.elapsed() >= wait.timeout {
            return Err(Error::Aws(format!(
                "gave up waiting for cluster {id} after {} s (it is {state}); run the command \
                 again to go on waiting, or raise --timeout",
                wait.timeout.as_secs()
            )));
        }
        out.waiting(&format!(
            "cluster {id}: {state} ({} s)",
            start.elapsed().as_secs()
        ));
        std::thread::sleep(wait.poll);
    }
}

/// `infra pause` / `infra resume`.
pub fn pause_or_resume(aws: &Aws, s: &Settings, pause: bool, out: &mut dyn Report) -> Result<()> {
    let id = &s.identifier.value;
    let c = aws.cluster(id)?.ok_or_else(|| {
        Error::usage(format!(
            "there is no cluster {id} to {}",
            if pause { "pause" } else { "resume" }
        ))
    })?;
    let (want, from) = if pause {
        ("paused", "available")
    } else {
        ("available", "paused")
    };
    let state = c.status;
    if state == want || (pause && state == "pausing") || (!pause && state == "resuming") {
        out.line(&format!("Cluster {id} is already {state}: nothing to do."));
        return Ok(());
    }
    if state != from {
        return Err(Error::usage(format!(
            "cluster {id} is {state}; Redshift can {} only a cluster that is {from}",
            if pause { "pause" } else { "resume" }
        )));
    }
    aws.pause_or_resume(id, pause)?;
    let now = aws.cluster(id)?.map_or("gone".to_string(), |c| c.status);
    out.line(&format!(
        "Cluster {id}: {} requested, now {now}.{}",
        if pause { "pause" } else { "resume" },
        if pause {
            " Compute is not billed while paused; storage is."
        } else {
            ""
        }
    ));
    Ok(())
}

/// `infra down`: the cluster (optionally with a final snapshot), then the ingress rule, then
/// the role, each only if `sparkify` created it.
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
    let seen = aws.observe_for_down(s)?;
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
            Change::Keep(Keep::RoleAbsent) => {
                out.line(&format!("= IAM role {role} does not exist"));
            }
            Change::Keep(Keep::RoleNotManaged) => out.line(&format!(
                "= IAM role {role} was not created by sparkify (no {TAG_KEY}={TAG_VALUE} tag): \
                 kept"
            )),
            Change::DetachPolicy { policy } => aws.detach_policy(role, &policy)?,
            Change::DeleteRole { arn } => {
                aws.delete_role(role)?;
                changed += 1;
                out.line(&format!("- deleted IAM role {role} ({arn})"));
            }
            // `up`'s changes never come out of `diff::down`.
            Change::CreateRole
            | Change::AttachPolicy { .. }
            | Change::GeneratePassword
            | Change::CreateCluster { .. }
            | Change::AuthorizeIngress { .. }
            | Change::WriteConfig
            | Change::Keep(
                Keep::Role { .. }
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
