//! What exists, as [`super::aws`] reads it: plain data that [`super::diff`] decides from and
//! [`super::render`] reports, so both can be tested without AWS.

/// An IAM role as it exists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleState {
    pub arn: String,
    /// Tagged `managed-by=sparkify`.
    pub managed: bool,
    /// ARNs of the attached managed policies.
    pub policies: Vec<String>,
    /// Names of the inline policies.
    pub inline: Vec<String>,
    /// The document of the inline policy [`super::policy::READ_POLICY_NAME`], when present.
    pub read_policy: Option<String>,
    /// The trust policy, as IAM returns it (URL-encoded on AWS).
    pub trust: String,
    /// Other clusters than the configured one that have this role attached: their COPY reads
    /// S3 with it, so `down` keeps it while any does.
    pub used_by: Vec<String>,
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
    /// The VPC security groups the cluster is in.
    pub security_groups: Vec<String>,
    /// Creation time, seconds since the Unix epoch.
    pub created_secs: Option<i64>,
    /// The account the cluster belongs to (from its namespace ARN), when reported.
    pub account: Option<String>,
}

/// One address range allowed on the cluster's port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressRule {
    pub cidr: String,
    pub description: Option<String>,
}

/// A VPC security group and its rules for the cluster's port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupState {
    pub id: String,
    /// Tagged `managed-by=sparkify`.
    pub managed: bool,
    pub rules: Vec<IngressRule>,
}

/// The security group guarding the cluster and its rules, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupRules {
    /// `None` when no group was found.
    pub group: Option<String>,
    pub rules: Vec<IngressRule>,
}

/// The VPC the cluster is (or will be) in, and the groups `sparkify` deals with there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    pub vpc_id: String,
    /// `sparkify-<cluster id>`, the group `up` creates for the cluster, when it exists.
    pub group: Option<GroupState>,
    /// The VPC's shared `default` group: earlier versions of sparkify put their rule there,
    /// so `up` moves such a rule and `down` removes it.
    pub default_group: Option<GroupState>,
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
    /// The region the calls went to.
    pub region: String,
    /// The caller's account, when it could be read (see [`super::Aws::observe`]).
    pub account: Option<String>,
    pub role: Option<RoleState>,
    pub cluster: Option<ClusterState>,
    /// `None` when there is no VPC to look in: no cluster that names one and no default VPC.
    pub network: Option<Network>,
    pub config: ConfigKeys,
}

/// The name of the security group `up` creates for cluster `identifier`.
pub fn group_name(identifier: &str) -> String {
    format!("sparkify-{identifier}")
}
