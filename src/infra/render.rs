//! The text of `infra plan` and `infra status`, and the cost estimates: from decided changes and
//! observed state to lines, without calling AWS.

use std::time::Duration;

use super::diff::{Change, ClusterState, GroupRules, IngressTarget, Keep, Password};
use super::settings::{self, Settings};
use super::{Report, TAG_KEY, TAG_VALUE};

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
pub fn plan(s: &Settings, region: &str, changes: &[Change], out: &mut dyn Report) {
    let id = &s.identifier.value;
    let role = &s.role_name.value;
    let port = s.port.value;
    out.line(&format!(
        "Plan for Redshift cluster {id} in {region} (nothing is changed by `plan`):"
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
    let mut count = 0;
    for change in changes {
        match change {
            Change::CreateRole => {
                count += 1;
                out.line(&format!(
                    "  + IAM role {role}: trusted by redshift.amazonaws.com, \
                     AmazonS3ReadOnlyAccess attached, tagged {TAG_KEY}={TAG_VALUE}"
                ));
            }
            Change::Keep(Keep::Role {
                arn,
                policy_attached: true,
            }) => out.line(&format!(
                "  = IAM role {role} exists ({arn}), AmazonS3ReadOnlyAccess attached"
            )),
            Change::AttachPolicy { role_arn } => {
                count += 1;
                out.line(&format!(
                    "  ~ IAM role {role} exists ({role_arn}); AmazonS3ReadOnlyAccess will be \
                     attached"
                ));
            }
            Change::CreateCluster { password } => {
                count += 1;
                out.line(&format!("  + Redshift cluster {id}: {shape}"));
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
            Change::Keep(Keep::NoIngressRule) => out.line(
                "  ! no ingress rule: give the address allowed to connect with --cidr \
                 (e.g. --cidr 203.0.113.7/32) or [CLUSTER] CIDR; `up` refuses without it",
            ),
            Change::Keep(Keep::IngressRule { cidr, .. }) => {
                out.line(&format!("  = ingress rule: tcp {port} from {cidr} exists"))
            }
            Change::AuthorizeIngress { cidr, on } => {
                count += 1;
                out.line(&match on {
                    IngressTarget::Group(g) => {
                        format!("  + ingress rule: tcp {port} from {cidr} on security group {g}")
                    }
                    IngressTarget::VpcDefault => format!(
                        "  + ingress rule: tcp {port} from {cidr} on security group (the VPC's \
                         default)"
                    ),
                    IngressTarget::ClusterGroup => format!(
                        "  + ingress rule: tcp {port} from {cidr} on the cluster's VPC security \
                         group"
                    ),
                });
            }
            // Shown as part of the role or the cluster above, or (`dwh.cfg`, whose values are
            // mostly produced by `up` itself) not shown; and `down`'s changes are never planned.
            Change::Keep(Keep::Role { .. })
            | Change::GeneratePassword
            | Change::WriteConfig
            | Change::DeleteCluster { .. }
            | Change::RevokeRule { .. }
            | Change::DetachPolicy { .. }
            | Change::DeleteRole { .. }
            | Change::Keep(Keep::ClusterAbsent | Keep::RoleAbsent | Keep::RoleNotManaged) => {}
        }
    }
    if s.cidr.as_deref() == Some(settings::ANYWHERE) {
        out.warn("the ingress rule opens the cluster's port to the whole internet");
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
        let secs = (now_secs - created).max(0);
        let mut line = format!(
            "Running   {} since {} UTC",
            crate::output::duration(Duration::from_secs(secs as u64)),
            crate::time::format_timestamp_micros(created * 1_000_000)
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
