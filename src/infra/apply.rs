//! Applies the changes [`super::diff`] decided for `up`, one adapter call each, and reports
//! every step as a `+` (made), `~` (changed), `=` (already there) or `-` (removed) line; and
//! `pause`/`resume`. `down` is in [`super::down`].

use std::time::Instant;

use super::aws::Aws;
use super::diff::{self, Change, ClusterState, Keep, Readiness};
use super::policy::{self, READ_POLICY_NAME};
use super::settings::{self, Settings};
use super::{Report, TAG_KEY, TAG_VALUE, Wait, render, retry, state};
use crate::error::{Error, Result};

/// A value an earlier change produces; missing only if the diff put the changes out of order.
pub(super) fn produced<T>(value: Option<T>, what: &str) -> Result<T> {
    value.ok_or_else(|| {
        Error::Aws(format!(
            "internal error: {what} was needed before it was known (changes out of order)"
        ))
    })
}

/// `infra up`: creates what is missing and brings what exists to the settings (refusing,
/// before any change, what sparkify did not create unless `adopt`), waits for the cluster,
/// writes endpoint and role ARN back to `dwh.cfg`.
pub fn up(aws: &Aws, s: &Settings, wait: &Wait, adopt: bool, out: &mut dyn Report) -> Result<()> {
    let cidr = s.cidr.as_deref().ok_or_else(|| {
        Error::usage(
            "`infra up` needs the address range allowed to connect: pass --cidr \
             (e.g. --cidr 203.0.113.7/32, your own address) or set [CLUSTER] CIDR in dwh.cfg",
        )
    })?;
    if let Some(why) = settings::wide_warning(cidr) {
        out.warn(&format!("{why} (--allow-anywhere)"));
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
    let mut seen = aws.observe(s)?;
    seen.config = s.written.clone();
    let changes = diff::up(s, &seen, adopt)?;
    super::source_regions(aws, s, out);
    let id = &s.identifier.value;
    let role = &s.role_name.value;
    let port = s.port.value;
    let group_name = state::group_name(id);

    // Carried from step to step: what exists so far.
    let mut role_arn = seen.role.as_ref().map(|r| r.arn.clone());
    let mut group = seen
        .network
        .as_ref()
        .and_then(|n| n.group.as_ref())
        .map(|g| g.id.clone());
    let mut cluster = seen.cluster.clone();
    let mut password = s.password.clone();
    let mut changed = 0;
    for change in changes {
        // Counted here unless nothing may come of it (counted where it is applied); a
        // password is part of its cluster.
        if !matches!(
            change,
            Change::Keep(_)
                | Change::AuthorizeIngress { .. }
                | Change::WriteConfig
                | Change::GeneratePassword
        ) {
            changed += 1;
        }
        match change {
            Change::CreateRole {
                trust,
                account,
                read_policy,
            } => {
                let arn = aws.create_role(role, &trust)?;
                out.line(&format!(
                    "+ created IAM role {role} ({arn}), tagged {TAG_KEY}={TAG_VALUE}, {}",
                    render::trusted(id, account.as_deref())
                ));
                if let Some(document) = read_policy {
                    aws.put_read_policy(role, &document)?;
                    out.line(&format!(
                        "+ put inline policy {READ_POLICY_NAME} on {role}: {}",
                        policy::describe_grants(&s.sources)
                    ));
                }
                role_arn = Some(arn);
            }
            Change::Keep(Keep::Role { arn, .. }) => {
                out.line(&format!("= IAM role {role} exists ({arn})"));
            }
            Change::Keep(Keep::NoSources) => out.warn(render::NO_SOURCES),
            Change::TagRole => {
                aws.tag_role(role)?;
                out.line(&format!(
                    "+ adopted IAM role {role}: tagged {TAG_KEY}={TAG_VALUE}"
                ));
            }
            Change::UpdateTrust { trust, account } => {
                aws.update_trust(role, &trust)?;
                out.line(&format!(
                    "~ replaced the trust policy of {role}: {}",
                    render::trusted(id, Some(account.as_str()))
                ));
            }
            Change::PutReadPolicy { document, replaces } => {
                aws.put_read_policy(role, &document)?;
                out.line(&format!(
                    "{} inline policy {READ_POLICY_NAME} on {role}: {}",
                    if replaces { "~ updated" } else { "+ put" },
                    policy::describe_grants(&s.sources)
                ));
            }
            Change::DetachPolicy { policy } => {
                aws.detach_policy(role, &policy)?;
                out.line(&format!(
                    "- detached {} from {role} (replaced by {READ_POLICY_NAME})",
                    policy.rsplit('/').next().unwrap_or(&policy)
                ));
            }
            Change::CreateGroup { vpc } => {
                let created = aws.create_group(
                    &vpc,
                    &group_name,
                    &format!("Redshift cluster {id}: its one ingress rule (sparkify)"),
                )?;
                out.line(&format!(
                    "+ created security group {group_name} ({created}) in {vpc}, tagged \
                     {TAG_KEY}={TAG_VALUE}"
                ));
                group = Some(created);
            }
            Change::Keep(Keep::Group { id: g }) => {
                out.line(&format!("= security group {group_name} exists ({g})"));
            }
            Change::TagGroup { id: g } => {
                aws.tag_group(&g)?;
                out.line(&format!(
                    "+ adopted security group {group_name} ({g}): tagged {TAG_KEY}={TAG_VALUE}"
                ));
            }
            Change::GeneratePassword => {
                // Under the file's lock: an `up` that ran meanwhile may have stored one, and
                // the cluster must get the password the file keeps.
                let (p, made) = crate::config::ensure_value(
                    &config_path,
                    keys.password.0,
                    keys.password.1,
                    || {
                        let p = settings::generate_password()?;
                        crate::secrets::register(&p);
                        Ok(p)
                    },
                )?;
                crate::secrets::register(&p);
                out.line(&format!(
                    "{} master password, stored in {} [{}] {} (mode 0600)",
                    if made {
                        "+ generated a"
                    } else {
                        "= another `infra up` stored a"
                    },
                    config_path.display(),
                    keys.password.0,
                    keys.password.1
                ));
                password = Some(p);
            }
            Change::CreateCluster { .. } => {
                let pw = produced(password.as_deref(), "the master password")?;
                let arn = produced(role_arn.as_deref(), "the role ARN")?;
                let g = produced(group.as_deref(), "the security group")?;
                retry::while_role_propagates("CreateCluster", wait.iam_retry, out, || {
                    aws.create_cluster(s, pw, arn, g)
                })?;
                out.line(&format!(
                    "+ creating Redshift cluster {id}: {} × {}, in security group {group_name}",
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
            Change::TagCluster { arn } => {
                aws.tag_cluster(&arn)?;
                out.line(&format!(
                    "+ adopted Redshift cluster {id}: tagged {TAG_KEY}={TAG_VALUE}"
                ));
            }
            Change::JoinGroup { mut keep } => {
                let g = produced(group.clone(), "the security group")?;
                keep.push(g);
                aws.set_groups(id, keep)?;
                out.line(&format!(
                    "+ put cluster {id} in security group {group_name} (its other groups kept)"
                ));
            }
            Change::Keep(Keep::IngressRule { cidr, group }) => {
                out.line(&format!(
                    "= ingress rule tcp {port} from {cidr} exists on {group}"
                ));
            }
            Change::AuthorizeIngress { cidr, group: on } => {
                let g = produced(on.or_else(|| group.clone()), "the security group")?;
                if aws.authorize_ingress(&g, port, &cidr, diff::rule_description(id))? {
                    changed += 1;
                    out.line(&format!(
                        "+ allowed tcp {port} from {cidr} on security group {group_name} ({g})"
                    ));
                } else {
                    out.line(&format!(
                        "= ingress rule tcp {port} from {cidr} exists on {g}"
                    ));
                }
            }
            Change::RevokeRule { group: g, cidr } => {
                aws.revoke_ingress(&g, port, &cidr)?;
                out.line(&format!(
                    "- removed the earlier ingress rule tcp {port} from {cidr} on {g} (the \
                     VPC's default group; the rule is on {group_name} now)"
                ));
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
            Change::Keep(
                Keep::NoIngressRule
                | Keep::ClusterAbsent
                | Keep::RoleAbsent
                | Keep::RoleNotManaged
                | Keep::RoleInUse { .. }
                | Keep::GroupAbsent
                | Keep::GroupNotManaged { .. },
            )
            | Change::DeleteCluster { .. }
            | Change::DeleteGroup { .. }
            | Change::DeleteInlinePolicy { .. }
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
pub(super) fn wait_for(
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

/// `infra pause` / `infra resume`, only on sparkify's cluster (or, with `adopt`, one it then
/// tags as its own).
pub fn pause_or_resume(
    aws: &Aws,
    s: &Settings,
    pause: bool,
    adopt: bool,
    out: &mut dyn Report,
) -> Result<()> {
    let id = &s.identifier.value;
    let c = aws.cluster(id)?.ok_or_else(|| {
        Error::usage(format!(
            "there is no cluster {id} to {}",
            if pause { "pause" } else { "resume" }
        ))
    })?;
    diff::check_cluster_is_ours(id, &c, adopt)?;
    if !c.managed {
        let account = aws.account_for(&c)?.ok_or_else(|| {
            Error::Aws(format!(
                "cannot tag cluster {id}: the AWS account is unknown (no default VPC and no \
                 account in the cluster's description)"
            ))
        })?;
        aws.tag_cluster(&policy::cluster_arn(&aws.region, &account, id))?;
        out.line(&format!(
            "+ adopted Redshift cluster {id}: tagged {TAG_KEY}={TAG_VALUE}"
        ));
    }
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
