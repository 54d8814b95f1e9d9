//! What `infra up` and `infra down` must change, decided from what exists: a pure function of
//! the observed state and the settings. `plan` prints the list and `up` applies it, so the two
//! cannot disagree, and every case is tested here without AWS.
//!
//! Some values are known only while applying (the ARN of a role created a step earlier, the id
//! of a security group created a step earlier, the endpoint of a cluster that is still being
//! created): the changes name what to do, and the applier carries those values from one step
//! to the next.

use super::policy;
use super::settings::{Settings, WriteBack};
use super::state::group_name;
use super::{S3_READ_POLICY, TAG_KEY, TAG_VALUE};
use crate::error::{Error, Result};

pub use super::state::{
    ClusterState, ConfigKeys, GroupRules, GroupState, IngressRule, Network, Observed, RoleState,
};

/// One step of `up` or `down`, in the order it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Create the role with trust policy `trust`, tagged, and put the read policy on it when
    /// there is one. `account` is the account `trust` is limited to, when it was known.
    CreateRole {
        trust: String,
        account: Option<String>,
        read_policy: Option<String>,
    },
    /// Tag an existing role `managed-by=sparkify` (`--adopt`).
    TagRole,
    /// Replace the role's trust policy (an earlier version's trusted any Redshift cluster).
    UpdateTrust {
        trust: String,
        account: String,
    },
    /// Put the inline read policy on the role; `replaces` an outdated one.
    PutReadPolicy {
        document: String,
        replaces: bool,
    },
    /// Detach a managed policy: in `up`, the `AmazonS3ReadOnlyAccess` of an earlier version
    /// (after the inline policy is in place); in `down`, each one before the role is deleted.
    DetachPolicy {
        policy: String,
    },
    /// Create the security group `sparkify-<id>` in `vpc`, tagged.
    CreateGroup {
        vpc: String,
    },
    /// Tag an existing group `sparkify-<id>` `managed-by=sparkify` (`--adopt`).
    TagGroup {
        id: String,
    },
    /// Generate a master password and store it in `dwh.cfg` before the cluster is asked for,
    /// so a run that stops half-way never loses it.
    GeneratePassword,
    /// Create the cluster in sparkify's security group.
    CreateCluster {
        password: Password,
    },
    /// Tag an existing cluster `managed-by=sparkify` (`--adopt`); `arn` is the cluster's.
    TagCluster {
        arn: String,
    },
    /// Add sparkify's group to the cluster's security groups, keeping the ones in `keep`.
    JoinGroup {
        keep: Vec<String>,
    },
    /// Allow `cidr` on the cluster's port on sparkify's group: `group`, or (`None`) the one
    /// created by an earlier step.
    AuthorizeIngress {
        cidr: String,
        group: Option<String>,
    },
    /// Remove an ingress rule sparkify added (recognised by its description).
    RevokeRule {
        group: String,
        cidr: String,
    },
    /// Write the role ARN and endpoint into `dwh.cfg` where they are missing or differ (decided
    /// again when applying, since both may be produced by earlier steps).
    WriteConfig,
    /// Delete the cluster and wait until it is gone.
    DeleteCluster {
        /// A `down` interrupted while waiting left it `deleting`: only wait.
        already_deleting: bool,
        final_snapshot: Option<String>,
    },
    /// Delete sparkify's security group (once the cluster is gone).
    DeleteGroup {
        id: String,
    },
    DeleteInlinePolicy {
        name: String,
    },
    DeleteRole {
        arn: String,
    },
    /// Nothing to do, and why.
    Keep(Keep),
}

/// What is left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// The role exists; `converged` when it needs no change at all.
    Role {
        arn: String,
        converged: bool,
    },
    /// No `s3://` source is configured: the role gets no read policy.
    NoSources,
    Group {
        id: String,
    },
    /// The cluster exists (sparkify's, or adopted).
    Cluster {
        status: String,
        then: Readiness,
    },
    IngressRule {
        cidr: String,
        group: String,
    },
    /// No CIDR configured: `plan` says so, `up` refuses before deciding anything.
    NoIngressRule,
    ClusterAbsent,
    RoleAbsent,
    /// The role is not tagged `managed-by=sparkify`: `down` leaves it.
    RoleNotManaged,
    /// Other clusters still read S3 with the role: `down` leaves it and its policies.
    RoleInUse {
        clusters: Vec<String>,
    },
    GroupAbsent,
    /// A group of sparkify's name that sparkify did not create: `down` leaves it.
    GroupNotManaged {
        id: String,
    },
}

/// Where the master password of a new cluster comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Password {
    Configured,
    Generated,
}

/// What an existing cluster's status means for `up`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Available,
    /// On its way to `available` by itself: wait for it.
    Wait,
    /// Will not become available without help (paused, failed, ...): say so and go on.
    Stays,
}

pub fn readiness(status: &str) -> Readiness {
    match status {
        "available" => Readiness::Available,
        "creating" | "modifying" | "resuming" | "rebooting" => Readiness::Wait,
        _ => Readiness::Stays,
    }
}

/// The description that marks the ingress rule `up` adds for cluster `identifier`; `down`
/// removes only rules carrying it.
pub fn rule_description(identifier: &str) -> String {
    format!("{TAG_KEY} {TAG_VALUE}: Redshift cluster {identifier}")
}

/// Why sparkify will not use what it did not create, and how to make it do so on purpose.
fn refusal(things: &[String]) -> Error {
    let (list, verb, them) = match things {
        [one] => (one.clone(), "exists but was", "it"),
        [init @ .., last] => (
            format!("{} and {last}", init.join(", ")),
            "exist but were",
            "them",
        ),
        [] => (String::from("nothing"), "was", "it"),
    };
    Error::usage(format!(
        "{list} {verb} not created by sparkify (no {TAG_KEY}={TAG_VALUE} tag), and sparkify does \
         not take over resources by accident: pass --adopt to make {them} sparkify's (tagged \
         {TAG_KEY}={TAG_VALUE}, changed to match the settings, and deleted by `infra down`), or \
         configure other names in dwh.cfg"
    ))
}

/// `pause`/`resume` act on a cluster only if it is sparkify's, or with `--adopt`.
pub fn check_cluster_is_ours(id: &str, cluster: &ClusterState, adopt: bool) -> Result<()> {
    if cluster.managed || adopt {
        Ok(())
    } else {
        Err(refusal(&[format!("Redshift cluster {id}")]))
    }
}

/// The account the ARNs and the trust policy name: the caller's when known, else the
/// cluster's.
fn account(seen: &Observed) -> Option<&str> {
    seen.account
        .as_deref()
        .or_else(|| seen.cluster.as_ref().and_then(|c| c.account.as_deref()))
}

/// What `up` does (and `plan` shows): role, security group, password, cluster, ingress rule,
/// `dwh.cfg`. Refuses, before anything is changed, a role, cluster or group of the configured
/// names that sparkify did not create, unless `adopt`.
pub fn up(s: &Settings, seen: &Observed, adopt: bool) -> Result<Vec<Change>> {
    let id = &s.identifier.value;
    let group = group_name(id);
    if !adopt {
        let mut foreign = Vec::new();
        if seen.role.as_ref().is_some_and(|r| !r.managed) {
            foreign.push(format!("IAM role {}", s.role_name.value));
        }
        if seen.cluster.as_ref().is_some_and(|c| !c.managed) {
            foreign.push(format!("Redshift cluster {id}"));
        }
        let net_group = seen.network.as_ref().and_then(|n| n.group.as_ref());
        if net_group.is_some_and(|g| !g.managed) {
            foreign.push(format!("security group {group}"));
        }
        if !foreign.is_empty() {
            return Err(refusal(&foreign));
        }
    }
    let Some(net) = &seen.network else {
        return Err(Error::usage(format!(
            "there is no default VPC in {} for the cluster and its security group: create one \
             (`aws ec2 create-default-vpc`) or run in another region",
            seen.region
        )));
    };
    let account = account(seen);
    let mut changes = Vec::new();
    role_changes(s, seen, account, &mut changes);

    let group_id = match &net.group {
        None => {
            changes.push(Change::CreateGroup {
                vpc: net.vpc_id.clone(),
            });
            None
        }
        Some(g) => {
            changes.push(Change::Keep(Keep::Group { id: g.id.clone() }));
            if !g.managed {
                changes.push(Change::TagGroup { id: g.id.clone() });
            }
            Some(g.id.clone())
        }
    };

    match &seen.cluster {
        None => {
            let password = if s.password.is_some() {
                Password::Configured
            } else {
                changes.push(Change::GeneratePassword);
                Password::Generated
            };
            changes.push(Change::CreateCluster { password });
        }
        Some(c) => {
            changes.push(Change::Keep(Keep::Cluster {
                status: c.status.clone(),
                then: readiness(&c.status),
            }));
            if !c.managed {
                let account = account.ok_or_else(|| {
                    Error::Aws(format!(
                        "cannot tag cluster {id}: the AWS account is unknown (no default VPC \
                         and no account in the cluster's description)"
                    ))
                })?;
                changes.push(Change::TagCluster {
                    arn: policy::cluster_arn(&seen.region, account, id),
                });
            }
            if !group_id
                .as_ref()
                .is_some_and(|g| c.security_groups.contains(g))
            {
                changes.push(Change::JoinGroup {
                    keep: c.security_groups.clone(),
                });
            }
        }
    }

    changes.push(match &s.cidr {
        None => Change::Keep(Keep::NoIngressRule),
        Some(cidr) => match &net.group {
            Some(g) if g.rules.iter().any(|r| r.cidr == *cidr) => Change::Keep(Keep::IngressRule {
                cidr: cidr.clone(),
                group: g.id.clone(),
            }),
            _ => Change::AuthorizeIngress {
                cidr: cidr.clone(),
                group: group_id,
            },
        },
    });
    // An earlier version's rule on the VPC's shared default group: the rule now lives on
    // sparkify's own group, so the old one goes (after the new one is in place).
    if let Some(d) = &net.default_group {
        changes.extend(marked_rules(id, d).map(|cidr| Change::RevokeRule {
            group: d.id.clone(),
            cidr,
        }));
    }
    if config_may_be_stale(seen) {
        changes.push(Change::WriteConfig);
    }
    Ok(changes)
}

/// The role's changes: created whole, or brought to the wanted trust and read policies (the
/// read policy first, so it can read throughout, then the managed policy it replaces).
fn role_changes(s: &Settings, seen: &Observed, account: Option<&str>, out: &mut Vec<Change>) {
    let trust = policy::trust_policy(&seen.region, account, &s.identifier.value);
    let read = policy::read_policy(&seen.region, &s.sources);
    let Some(r) = &seen.role else {
        out.push(Change::CreateRole {
            trust,
            account: account.map(str::to_string),
            read_policy: read.clone(),
        });
        if read.is_none() {
            out.push(Change::Keep(Keep::NoSources));
        }
        return;
    };
    let mut fixes = Vec::new();
    if !r.managed {
        fixes.push(Change::TagRole);
    }
    // Without the account the wanted trust policy has no condition: never loosen one.
    if let Some(account) = account
        && !policy::same_document(&r.trust, &trust)
    {
        fixes.push(Change::UpdateTrust {
            trust,
            account: account.to_string(),
        });
    }
    match read {
        Some(document) => {
            let current = r.read_policy.as_deref();
            if !current.is_some_and(|c| policy::same_document(c, &document)) {
                fixes.push(Change::PutReadPolicy {
                    document,
                    replaces: current.is_some(),
                });
            }
            if r.policies.iter().any(|p| p == S3_READ_POLICY) {
                fixes.push(Change::DetachPolicy {
                    policy: S3_READ_POLICY.to_string(),
                });
            }
        }
        // Nothing to limit the role to: what it has stays (a run may pass its sources as
        // flags, which `infra` does not see).
        None => fixes.push(Change::Keep(Keep::NoSources)),
    }
    out.push(Change::Keep(Keep::Role {
        arn: r.arn.clone(),
        converged: fixes.iter().all(|c| matches!(c, Change::Keep(_))),
    }));
    out.extend(fixes);
}

/// The CIDRs of the rules on `group` that sparkify added for cluster `id`.
fn marked_rules<'a>(id: &str, group: &'a GroupState) -> impl Iterator<Item = String> + 'a {
    let mark = rule_description(id);
    group
        .rules
        .iter()
        .filter(move |r| r.description.as_deref() == Some(mark.as_str()))
        .map(|r| r.cidr.clone())
}

/// Whether `dwh.cfg` may lack the role ARN or endpoint: either is still to be produced, or the
/// file holds another value.
fn config_may_be_stale(seen: &Observed) -> bool {
    let role = match &seen.role {
        None => true,
        Some(r) => seen.config.role_arn.as_deref() != Some(r.arn.as_str()),
    };
    let host = match &seen.cluster {
        None => true,
        Some(c) if readiness(&c.status) == Readiness::Wait => true,
        Some(c) => c
            .endpoint
            .as_ref()
            .is_some_and(|(h, _)| seen.config.host.as_deref() != Some(h.as_str())),
    };
    role || host
}

/// The `(section, key, value)` pairs to write into `dwh.cfg`: all of them when any differs
/// from `current`, so the file always gets a consistent pair; none when all match.
pub fn config_updates(
    keys: &WriteBack,
    role_arn: &str,
    host: Option<&str>,
    current: &ConfigKeys,
) -> Vec<(&'static str, &'static str, String)> {
    let mut updates = vec![(keys.role_arn.0, keys.role_arn.1, role_arn.to_string())];
    let mut stale = current.role_arn.as_deref() != Some(role_arn);
    if let Some(host) = host {
        updates.push((keys.host.0, keys.host.1, host.to_string()));
        stale |= current.host.as_deref() != Some(host);
    }
    if stale { updates } else { Vec::new() }
}

/// What `down` does: the cluster (only if `sparkify` created it; otherwise nothing at all),
/// `sparkify`'s ingress rules and security group, then the role (kept when not `sparkify`'s).
pub fn down(s: &Settings, final_snapshot: Option<&str>, seen: &Observed) -> Result<Vec<Change>> {
    let id = &s.identifier.value;
    let mut changes = Vec::new();
    match &seen.cluster {
        None => changes.push(Change::Keep(Keep::ClusterAbsent)),
        Some(c) if !c.managed => {
            return Err(Error::usage(format!(
                "cluster {id} was not created by sparkify (no {TAG_KEY}={TAG_VALUE} tag); \
                 sparkify deletes only what it created"
            )));
        }
        Some(c) => changes.push(Change::DeleteCluster {
            already_deleting: c.status == "deleting",
            final_snapshot: final_snapshot.map(str::to_string),
        }),
    }
    // The rules go once the cluster is gone (a `down` stopped half-way left them): on the
    // VPC's default group where an earlier version put them, and on sparkify's own group,
    // which is then deleted.
    if let Some(net) = &seen.network {
        if let Some(d) = &net.default_group {
            changes.extend(marked_rules(id, d).map(|cidr| Change::RevokeRule {
                group: d.id.clone(),
                cidr,
            }));
        }
        match &net.group {
            None => changes.push(Change::Keep(Keep::GroupAbsent)),
            Some(g) if !g.managed => {
                changes.push(Change::Keep(Keep::GroupNotManaged { id: g.id.clone() }));
            }
            Some(g) => {
                changes.extend(marked_rules(id, g).map(|cidr| Change::RevokeRule {
                    group: g.id.clone(),
                    cidr,
                }));
                changes.push(Change::DeleteGroup { id: g.id.clone() });
            }
        }
    }
    match &seen.role {
        None => changes.push(Change::Keep(Keep::RoleAbsent)),
        Some(r) if !r.managed => changes.push(Change::Keep(Keep::RoleNotManaged)),
        Some(r) if !r.used_by.is_empty() => changes.push(Change::Keep(Keep::RoleInUse {
            clusters: r.used_by.clone(),
        })),
        Some(r) => {
            for name in &r.inline {
                changes.push(Change::DeleteInlinePolicy { name: name.clone() });
            }
            for policy in &r.policies {
                changes.push(Change::DetachPolicy {
                    policy: policy.clone(),
                });
            }
            changes.push(Change::DeleteRole { arn: r.arn.clone() });
        }
    }
    Ok(changes)
}

#[cfg(test)]
#[path = "diff_tests.rs"]
pub(crate) mod tests;

#[cfg(test)]
#[path = "down_tests.rs"]
mod down_tests;
