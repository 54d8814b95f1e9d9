//! The text of `infra plan` and `infra status`, and the cost estimates: from decided changes and
//! observed state to lines, without calling AWS.

use std::time::Duration;

use super::diff::{Change, ClusterState, GroupRules, Keep, Observed, Password};
use super::policy::{self, READ_POLICY_NAME};
use super::settings::{self, Settings};
use super::state::group_name;
use super::{Report, TAG_KEY, TAG_VALUE};

/// Said when no `s3://` source is configured, so the role gets no read policy.
pub const NO_SOURCES: &str = "no s3:// source is configured ([S3] LOG_DATA, SONG_DATA, \
                              LOG_JSONPATH or SPARKIFY_EVENTS/SONGS/JSONPATHS), so the role gets \
                              no S3 read policy and Redshift's COPY cannot read S3 with it; \
                              configure them and run `infra up` again";

/// Whom the role trusts, in words.
pub fn trusted(cluster: &str, account: Option<&str>) -> String {
    match account {
        Some(a) => format!(
            "trusted by redshift.amazonaws.com only for database users of cluster {cluster} in \
             account {a}"
        ),
        None => "trusted by redshift.amazonaws.com (the account is unknown, so not limited to \
                 this cluster; the next `infra up` limits it)"
            .to_string(),
    }
}

fn money(v: f64) -> String {
    format!("${v:.2}")
}

pub fn cost_line(s: &Settings) -> String {
    match settings::hourly_cost(&s.node_type.value, s.nodes.value) {
        Some(h) => format!(
            "Estimated cost: {} × {} = {}/hour (about {}/month if never paused); on-demand \
             list price in us-east-1 as of {}, other regions differ",
            s.nodes.value,
            s.node_type.value,
            money(h),
            money(h * 730.0),
            settings::PRICES_AS_OF
        ),
        None => format!(
            "Estimated cost: unknown for node type {} (not in sparkify's price table)",
            s.node_type.value
        ),
    }
}

/// `infra plan`: the changes `up` would make, one block per resource, then the cost.
pub fn plan(s: &Settings, seen: &Observed, changes: &[Change], out: &mut dyn Report) {
    let id = &s.identifier.value;
    let role = &s.role_name.value;
    let port = s.port.value;
    let group = group_name(id);
    out.line(&format!(
        "Plan for Redshift cluster {id} in {} (nothing is changed by `plan`):",
        seen.region
    ));
    let shape = format!(
        "{}, {} × {}, database {}, user {}, port {}",
        s.cluster_type.value,
        s.nodes.value,
        s.node_type.value,
        s.db_name.value,
        s.db_user.value,
        port
    );
    let grants = policy::describe_grants(&s.sources);
    let mut count = 0;
    for change in changes {
        // A password is part of its cluster; `dwh.cfg` is not a resource.
        if !matches!(
            change,
            Change::Keep(_) | Change::WriteConfig | Change::GeneratePassword
        ) {
            count += 1;
        }
        match change {
            Change::CreateRole {
                account,
                read_policy,
                ..
            } => {
                out.line(&format!(
                    "  + IAM role {role}: {}, tagged {TAG_KEY}={TAG_VALUE}",
                    trusted(id, account.as_deref())
                ));
                if read_policy.is_some() {
                    out.line(&format!("      inline policy {READ_POLICY_NAME}: {grants}"));
                }
            }
            Change::Keep(Keep::Role { arn, converged }) => out.line(&format!(
                "  = IAM role {role} exists ({arn}){}",
                if *converged { ", as configured" } else { "" }
            )),
            Change::Keep(Keep::NoSources) => out.line(&format!("  ! {NO_SOURCES}")),
            Change::TagRole => out.line(&format!(
                "  ~ IAM role {role}: adopted, tagged {TAG_KEY}={TAG_VALUE}"
            )),
            Change::UpdateTrust { account, .. } => out.line(&format!(
                "  ~ IAM role {role}: trust policy replaced, {}",
                trusted(id, Some(account.as_str()))
            )),
            Change::PutReadPolicy { replaces, .. } => out.line(&format!(
                "  ~ IAM role {role}: inline policy {READ_POLICY_NAME} {}: {grants}",
                if *replaces { "updated" } else { "added" }
            )),
            Change::DetachPolicy { policy } => out.line(&format!(
                "  ~ IAM role {role}: {} detached (replaced by {READ_POLICY_NAME})",
                policy.rsplit('/').next().unwrap_or(policy)
            )),
            Change::CreateGroup { vpc } => out.line(&format!(
                "  + security group {group} in {vpc}, tagged {TAG_KEY}={TAG_VALUE}"
            )),
            Change::Keep(Keep::Group { id: g }) => {
                out.line(&format!("  = security group {group} exists ({g})"));
            }
            Change::TagGroup { id: g } => out.line(&format!(
                "  ~ security group {group} ({g}): adopted, tagged {TAG_KEY}={TAG_VALUE}"
            )),
            Change::CreateCluster { password } => {
                out.line(&format!(
                    "  + Redshift cluster {id}: {shape}, in security group {group}"
                ));
                out.line(&format!(
                    "      master password: {}",
                    match password {
                        Password::Configured => "from dwh.cfg (not shown)",
                        Password::Generated => "generated, stored only in dwh.cfg (mode 0600)",
                    }
                ));
            }
            Change::Keep(Keep::Cluster { status, .. }) => out.line(&format!(
                "  = Redshift cluster {id} exists: {status} ({shape})"
            )),
            Change::TagCluster { .. } => out.line(&format!(
                "  ~ Redshift cluster {id}: adopted, tagged {TAG_KEY}={TAG_VALUE}"
            )),
            Change::JoinGroup { .. } => out.line(&format!(
                "  ~ Redshift cluster {id}: put in security group {group} (its other groups kept)"
            )),
            Change::Keep(Keep::NoIngressRule) => out.line(
                "  ! no ingress rule: give the address allowed to connect with --cidr \
                 (e.g. --cidr 203.0.113.7/32) or [CLUSTER] CIDR; `up` refuses without it",
            ),
            Change::Keep(Keep::IngressRule { cidr, .. }) => {
                out.line(&format!(
                    "  = ingress rule: tcp {port} from {cidr} exists on {group}"
                ));
            }
            Change::AuthorizeIngress { cidr, .. } => out.line(&format!(
                "  + ingress rule: tcp {port} from {cidr} on security group {group}"
            )),
            Change::RevokeRule { group: g, cidr } => out.line(&format!(
                "  - ingress rule: tcp {port} from {cidr} on {g}, the VPC's default group (an \
                 earlier version's; the rule moves to {group})"
            )),
            // Not shown: a password is shown with its cluster, and `dwh.cfg`'s values are
            // mostly produced by `up` itself; `down`'s changes are never planned.
            Change::GeneratePassword
            | Change::WriteConfig
            | Change::DeleteCluster { .. }
            | Change::DeleteGroup { .. }
            | Change::DeleteInlinePolicy { .. }
            | Change::DeleteRole { .. }
            | Change::Keep(
                Keep::ClusterAbsent
                | Keep::RoleAbsent
                | Keep::RoleNotManaged
                | Keep::RoleInUse { .. }
                | Keep::GroupAbsent
                | Keep::GroupNotManaged { .. },
            ) => {}
        }
    }
    if let Some(why) = s.cidr.as_deref().and_then(settings::wide_warning) {
        out.warn(&why);
    }
    if let Some(why) = settings::deprecation(&s.node_type.value) {
        out.warn(&why);
    }
    out.line(&cost_line(s));
    out.line(&if count == 0 {
        "No changes: everything exists as configured.".to_string()
    } else {
        format!("{count} change(s). Apply them with `sparkify infra up`.")
    });
}

/// The port whose ingress rules `status` shows: the cluster's own, else the configured one.
pub fn status_port(cluster: &ClusterState, s: &Settings) -> i32 {
    cluster.endpoint.as_ref().map_or(s.port.value, |(_, p)| *p)
}

/// `infra status`: the cluster, its endpoint, database, role, ingress and running cost.
/// `ingress` is the cluster's group and its rules on [`status_port`]; `now_secs` is the time
/// since the Unix epoch.
pub fn status(
    s: &Settings,
    region: &str,
    cluster: Option<&ClusterState>,
    ingress: Option<&GroupRules>,
    now_secs: i64,
    out: &mut dyn Report,
) {
    let id = &s.identifier.value;
    let Some(c) = cluster else {
        out.line(&format!(
            "No cluster {id} in {region} (create it with `sparkify infra up`)."
        ));
        return;
    };
    let nodes = c.nodes.unwrap_or(1);
    let node_type = c.node_type.as_deref().unwrap_or("?");
    out.line(&format!(
        "Cluster   {id}: {}, {nodes} × {node_type}{}",
        c.status,
        if c.managed {
            ""
        } else {
            " (not created by sparkify)"
        }
    ));
    out.line(&format!(
        "Endpoint  {}",
        c.endpoint
            .as_ref()
            .map_or("(none yet)".to_string(), |(h, p)| format!("{h}:{p}"))
    ));
    out.line(&format!(
        "Database  {} (user {})",
        c.db_name.as_deref().unwrap_or("?"),
        c.master_user.as_deref().unwrap_or("?")
    ));
    out.line(&format!(
        "Role      {}",
        if c.iam_roles.is_empty() {
            "(none)".to_string()
        } else {
            c.iam_roles.join(", ")
        }
    ));
    let port = status_port(c, s);
    match ingress {
        Some(GroupRules {
            group: Some(g),
            rules,
        }) => {
            if rules.is_empty() {
                out.line(&format!("Ingress   {g}: nothing allowed on tcp {port}"));
            }
            for rule in rules {
                out.line(&format!(
                    "Ingress   {g}: tcp {port} from {}{}",
                    rule.cidr,
                    rule.description
                        .as_ref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ));
            }
        }
        _ => out.line("Ingress   (no security group found)"),
    }
    if let Some(created) = c.created_secs {
        // The creation time comes from the server: a value this arithmetic cannot hold is
        // named as such rather than wrapped into a wrong date and cost.
        let (Some(elapsed), Some(micros)) = (
            now_secs.checked_sub(created),
            created.checked_mul(1_000_000),
        ) else {
            out.line(&format!(
                "Running   since an impossible creation time ({created} s since 1970, as \
                 Redshift reported it)"
            ));
            return;
        };
        let secs = elapsed.max(0);
        let mut line = format!(
            "Running   {} since {} UTC",
            crate::output::duration(Duration::from_secs(secs as u64)),
            crate::time::format_timestamp_micros(micros)
        );
        if let Some(h) = settings::hourly_cost(node_type, nodes) {
            line.push_str(&format!(
                "; about {} so far at {}/hour (since creation, paused time included)",
                money(h * secs as f64 / 3600.0),
                money(h)
            ));
        }
        out.line(&line);
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
