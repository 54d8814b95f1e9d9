//! What `infra up` and `infra down` must change, decided from what exists: a pure function of
//! the observed state and the settings. `plan` prints the list and `up` applies it, so the two
//! cannot disagree, and every case is tested here without AWS.
//!
//! Some values are known only while applying (the ARN of a role created a step earlier, the
//! endpoint of a cluster that is still being created): the changes name what to do, and the
//! applier carries those values from one step to the next.

use super::settings::{Settings, WriteBack};
use super::{S3_READ_POLICY, TAG_KEY, TAG_VALUE};
use crate::error::{Error, Result};

/// An IAM role as it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleState {
    pub arn: String,
    /// Tagged `managed-by=sparkify`.
    pub managed: bool,
    /// ARNs of the attached managed policies.
    pub policies: Vec<String>,
}

/// A Redshift cluster as it exists: only what `sparkify` decides or reports on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterState {
    /// Redshift's status (`available`, `creating`, `paused`, ...), `unknown` when not reported.
    pub status: String,
    /// Tagged `managed-by=sparkify`.
    pub managed: bool,
    pub node_type: Option<String>,
    pub nodes: Option<i32>,
    /// Host and port, once Redshift has assigned them.
    pub endpoint: Option<(String, i32)>,
    pub db_name: Option<String>,
    pub master_user: Option<String>,
    pub iam_roles: Vec<String>,
    pub vpc_id: Option<String>,
    /// The cluster's own VPC security group, when it has one.
    pub security_group: Option<String>,
    /// Creation time, seconds since the Unix epoch.
    pub created_secs: Option<i64>,
}

/// One address range allowed on the cluster's port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressRule {
    pub cidr: String,
    pub description: Option<String>,
}

/// The security group guarding the cluster and its rules for the cluster's port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupRules {
    /// `None` when no group was found (no VPC group, no default VPC).
    pub group: Option<String>,
    pub rules: Vec<IngressRule>,
}

/// The current values in `dwh.cfg` of the keys `up` writes back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigKeys {
    pub role_arn: Option<String>,
    pub host: Option<String>,
}

/// Everything the decisions depend on, read before anything is changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    pub role: Option<RoleState>,
    pub cluster: Option<ClusterState>,
    /// `None` when not looked at: for `up` when there is no cluster yet (its group is known
    /// only once it exists) or no CIDR to compare with.
    pub ingress: Option<GroupRules>,
    pub config: ConfigKeys,
}

/// One step of `up` or `down`, in the order it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Create the role, trusted by Redshift and tagged, and attach the S3 read policy.
    CreateRole,
    /// Attach the S3 read policy to the existing role.
    AttachPolicy {
        role_arn: String,
    },
    /// Generate a master password and store it in `dwh.cfg` before the cluster is asked for,
    /// so a run that stops half-way never loses it.
    GeneratePassword,
    CreateCluster {
        password: Password,
    },
    /// Allow `cidr` on the cluster's port; `on` says where, as far as known before applying.
    AuthorizeIngress {
        cidr: String,
        on: IngressTarget,
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
    /// Remove an ingress rule `up` added (recognised by its description).
    RevokeRule {
        group: String,
        cidr: String,
    },
    DetachPolicy {
        policy: String,
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
    /// The role exists; when the policy is missing, an `AttachPolicy` follows.
    Role {
        arn: String,
        policy_attached: bool,
    },
    /// The cluster exists (whoever made it: `up` uses it as it is).
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
}

/// Where the master password of a new cluster comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Password {
    Configured,
    Generated,
}

/// Where a new ingress rule goes, as far as known before applying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngressTarget {
    /// The existing cluster's group.
    Group(String),
    /// The cluster exists but no group was found: its VPC's default group.
    VpcDefault,
    /// The cluster does not exist yet: the group it will get.
    ClusterGroup,
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

/// What `up` does (and `plan` shows): role, password, cluster, ingress rule, `dwh.cfg`.
pub fn up(s: &Settings, seen: &Observed) -> Vec<Change> {
    let mut changes = Vec::new();
    match &seen.role {
        None => changes.push(Change::CreateRole),
        Some(r) => {
            let attached = r.policies.iter().any(|p| p == S3_READ_POLICY);
            changes.push(Change::Keep(Keep::Role {
                arn: r.arn.clone(),
                policy_attached: attached,
            }));
            if !attached {
                changes.push(Change::AttachPolicy {
                    role_arn: r.arn.clone(),
                });
            }
        }
    }
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
        Some(c) => changes.push(Change::Keep(Keep::Cluster {
            status: c.status.clone(),
            then: readiness(&c.status),
        })),
    }
    changes.push(match (&s.cidr, &seen.cluster) {
        (None, _) => Change::Keep(Keep::NoIngressRule),
        (Some(cidr), None) => Change::AuthorizeIngress {
            cidr: cidr.clone(),
            on: IngressTarget::ClusterGroup,
        },
        (Some(cidr), Some(_)) => {
            match seen
                .ingress
                .as_ref()
                .and_then(|i| i.group.as_ref().map(|g| (g, &i.rules)))
            {
                Some((group, rules)) if rules.iter().any(|r| r.cidr == *cidr) => {
                    Change::Keep(Keep::IngressRule {
                        cidr: cidr.clone(),
                        group: group.clone(),
                    })
                }
                Some((group, _)) => Change::AuthorizeIngress {
                    cidr: cidr.clone(),
                    on: IngressTarget::Group(group.clone()),
                },
                None => Change::AuthorizeIngress {
                    cidr: cidr.clone(),
                    on: IngressTarget::VpcDefault,
                },
            }
        }
    });
    if config_may_be_stale(seen) {
        changes.push(Change::WriteConfig);
    }
    changes
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
/// `sparkify`'s ingress rules, then the role (kept when not `sparkify`'s).
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
    // With the cluster gone, a `down` stopped half-way left its rule: it is found by its
    // description, on the group the cluster used (or, for a cluster already deleted, the group
    // a cluster without its own group uses).
    if let Some(GroupRules {
        group: Some(group),
        rules,
    }) = &seen.ingress
    {
        let ours = rule_description(id);
        for rule in rules {
            if rule.description.as_deref() == Some(ours.as_str()) {
                changes.push(Change::RevokeRule {
                    group: group.clone(),
                    cidr: rule.cidr.clone(),
                });
            }
        }
    }
    match &seen.role {
        None => changes.push(Change::Keep(Keep::RoleAbsent)),
        Some(r) if !r.managed => changes.push(Change::Keep(Keep::RoleNotManaged)),
        Some(r) => {
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
