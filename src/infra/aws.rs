//! The AWS adapter: the only code that speaks to IAM, Redshift and EC2. It reads what exists
//! into the plain structs of [`super::diff`] and makes one change per call; it decides nothing.

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use aws_sdk_iam::config::ProvideCredentials;
use aws_sdk_redshift::types::Cluster;

use super::diff::{ClusterState, GroupRules, IngressRule, Observed, RoleState};
use super::settings::Settings;
use super::{Report, S3_READ_POLICY, TAG_KEY, TAG_VALUE};
use crate::error::{Error, Result};

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"redshift.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Clients for the three services, on one small runtime.
pub struct Aws {
    runtime: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    redshift: aws_sdk_redshift::Client,
    ec2: aws_sdk_ec2::Client,
    pub region: String,
}

fn aws_error<E>(what: &str, err: &aws_sdk_iam::error::SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_string(),
        _ => format!("{}", aws_sdk_iam::error::DisplayErrorContext(err)),
    };
    Error::Aws(format!("{what} failed: {detail}"))
}

impl Aws {
    /// Connects with the standard AWS chain (environment, profile, SSO, ...), or with
    /// `[AWS] KEY/SECRET` from `dwh.cfg` when present (with a warning). Fails with a clear
    /// message when no credentials can be found.
    pub fn connect(settings: &Settings, report: &mut dyn Report) -> Result<Aws> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("starting the AWS client runtime", e))?;
        let config = runtime.block_on(async {
            let region = RegionProviderChain::first_try(
                settings.region.clone().map(aws_config::Region::new),
            )
            .or_default_provider()
            .or_else(crate::source::s3::DEFAULT_REGION);
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .http_client(crate::aws::http_client())
                .region(region);
            if let Some((key, secret)) = &settings.static_keys {
                loader = loader.credentials_provider(aws_sdk_iam::config::Credentials::new(
                    key, secret, None, None, "dwh.cfg",
                ));
            }
            loader.load().await
        });
        if settings.static_keys.is_some() {
            report.warn(
                "using the access key in dwh.cfg [AWS] KEY/SECRET; prefer an AWS profile or SSO \
                 (AWS_PROFILE) and remove the keys from the file",
            );
        }
        let has_credentials = runtime.block_on(async {
            match config.credentials_provider() {
                Some(p) => p
                    .provide_credentials()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                None => Err("no credentials provider".to_string()),
            }
        });
        if let Err(why) = has_credentials {
            return Err(Error::usage(format!(
                "no AWS credentials found ({why}). Configure them the usual way: \
                 `aws configure` or `aws sso login` with AWS_PROFILE, or AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY in the environment"
            )));
        }
        let region = config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| crate::source::s3::DEFAULT_REGION.into());
        Ok(Aws {
            iam: aws_sdk_iam::Client::new(&config),
            redshift: aws_sdk_redshift::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            runtime,
            region,
        })
    }

    /// What `up` (and `plan`) decide from. The ingress rules are read only for an existing
    /// cluster and a configured CIDR: a cluster not yet created has no group to look at.
    /// `dwh.cfg` is not read here; the caller fills in `config`.
    pub fn observe_for_up(&self, s: &Settings) -> Result<Observed> {
        let role = self.role(&s.role_name.value)?;
        let cluster = self.cluster(&s.identifier.value)?;
        let ingress = match (&s.cidr, &cluster) {
            (Some(_), Some(c)) => Some(self.group_rules(Some(c), s.port.value)?),
            _ => None,
        };
        Ok(Observed {
            role,
            cluster,
            ingress,
            config: Default::default(),
        })
    }

    /// What `down` decides from: the rules are read on the cluster's group or, with the
    /// cluster gone, on the group a cluster without its own group uses.
    pub fn observe_for_down(&self, s: &Settings) -> Result<Observed> {
        let cluster = self.cluster(&s.identifier.value)?;
        let ingress = Some(self.group_rules(cluster.as_ref(), s.port.value)?);
        let role = self.role(&s.role_name.value)?;
        Ok(Observed {
            role,
            cluster,
            ingress,
            config: Default::default(),
        })
    }

    /// The security group of `cluster` (see [`Aws::security_group`]) and its rules for `port`.
    pub fn group_rules(&self, cluster: Option<&ClusterState>, port: i32) -> Result<GroupRules> {
        let group = self.security_group(cluster)?;
        let rules = match &group {
            Some(g) => self.ingress_rules(g, port)?,
            None => Vec::new(),
        };
        Ok(GroupRules { group, rules })
    }

    pub fn role(&self, name: &str) -> Result<Option<RoleState>> {
        self.runtime.block_on(async {
            let role = match self.iam.get_role().role_name(name).send().await {
                Ok(out) => match out.role {
                    Some(r) => r,
                    None => return Ok(None),
                },
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_no_such_entity_exception()) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(aws_error(&format!("iam:GetRole {name}"), &e)),
            };
            let tags = self
                .iam
                .list_role_tags()
                .role_name(name)
                .send()
                .await
                .map_err(|e| aws_error(&format!("iam:ListRoleTags {name}"), &e))?;
            let managed = tags
                .tags()
                .iter()
                .any(|t| t.key() == TAG_KEY && t.value() == TAG_VALUE);
            let attached = self
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .map_err(|e| aws_error(&format!("iam:ListAttachedRolePolicies {name}"), &e))?;
            let policies = attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect();
            Ok(Some(RoleState {
                arn: role.arn().to_string(),
                managed,
                policies,
            }))
        })
    }

    pub fn cluster(&self, id: &str) -> Result<Option<ClusterState>> {
        self.runtime.block_on(async {
            match self
                .redshift
                .describe_clusters()
                .cluster_identifier(id)
                .send()
                .await
            {
                Ok(out) => Ok(out.clusters.unwrap_or_default().first().map(cluster_state)),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_cluster_not_found_fault()) =>
                {
                    Ok(None)
                }
                Err(e) => Err(aws_error(&format!("redshift:DescribeClusters {id}"), &e)),
            }
        })
    }

    /// The security group that guards the cluster: its own, else its VPC's default group,
    /// else the default VPC's default group (moto reports neither VPC nor group for a cluster
    /// created without one; neither does AWS for an EC2-Classic-style default setup).
    pub fn security_group(&self, cluster: Option<&ClusterState>) -> Result<Option<String>> {
        if let Some(id) = cluster.and_then(|c| c.security_group.clone()) {
            return Ok(Some(id));
        }
        self.runtime.block_on(async {
            let vpc = match cluster.and_then(|c| c.vpc_id.clone()) {
                Some(v) => Some(v),
                None => {
                    let out = self
                        .ec2
                        .describe_vpcs()
                        .filters(Filter::builder().name("isDefault").values("true").build())
                        .send()
                        .await
                        .map_err(|e| aws_error("ec2:DescribeVpcs", &e))?;
                    out.vpcs()
                        .iter()
                        .find_map(|v| v.vpc_id())
                        .map(str::to_string)
                }
            };
            let Some(vpc) = vpc else { return Ok(None) };
            let out = self
                .ec2
                .describe_security_groups()
                .filters(Filter::builder().name("vpc-id").values(&vpc).build())
                .filters(
                    Filter::builder()
                        .name("group-name")
                        .values("default")
                        .build(),
                )
                .send()
                .await
                .map_err(|e| aws_error("ec2:DescribeSecurityGroups", &e))?;
            Ok(out
                .security_groups()
                .iter()
                .find_map(|g| g.group_id())
                .map(str::to_string))
        })
    }

    /// The TCP ingress rules on `group` that cover `port`.
    pub fn ingress_rules(&self, group: &str, port: i32) -> Result<Vec<IngressRule>> {
        self.runtime.block_on(async {
            let out = self
                .ec2
                .describe_security_groups()
                .group_ids(group)
                .send()
                .await
                .map_err(|e| aws_error(&format!("ec2:DescribeSecurityGroups {group}"), &e))?;
            let mut rules = Vec::new();
            for g in out.security_groups() {
                for p in g.ip_permissions() {
                    let covers = p.ip_protocol() == Some("tcp")
                        && p.from_port().is_some_and(|f| f <= port)
                        && p.to_port().is_some_and(|t| t >= port);
                    if covers {
                        for r in p.ip_ranges() {
                            if let Some(c) = r.cidr_ip() {
                                rules.push(IngressRule {
                                    cidr: c.to_string(),
                                    description: r.description().map(str::to_string),
                                });
                            }
                        }
                    }
                }
            }
            Ok(rules)
        })
    }

    /// Creates the role Redshift assumes, tagged `managed-by=sparkify`; returns its ARN.
    pub fn create_role(&self, name: &str) -> Result<String> {
        self.runtime.block_on(async {
            let tag = aws_sdk_iam::types::Tag::builder()
                .key(TAG_KEY)
                .value(TAG_VALUE)
                .build()
                .map_err(|e| Error::Aws(e.to_string()))?;
            let created = self
                .iam
                .create_role()
                .role_name(name)
                .assume_role_policy_document(TRUST_POLICY)
                .description("Lets Redshift COPY read S3 (created by sparkify)")
                .tags(tag)
                .send()
                .await
                .map_err(|e| aws_error(&format!("iam:CreateRole {name}"), &e))?;
            Ok(created
                .role()
                .map(|r| r.arn().to_string())
                .unwrap_or_default())
        })
    }

    /// Attaches the S3 read policy to role `name`.
    pub fn attach_policy(&self, name: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.iam
                .attach_role_policy()
                .role_name(name)
                .policy_arn(S3_READ_POLICY)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("iam:AttachRolePolicy {name}"), &e))
        })
    }

    pub fn detach_policy(&self, name: &str, policy: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.iam
                .detach_role_policy()
                .role_name(name)
                .policy_arn(policy)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("iam:DetachRolePolicy {name}"), &e))
        })
    }

    pub fn delete_role(&self, name: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.iam
                .delete_role()
                .role_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("iam:DeleteRole {name}"), &e))
        })
    }

    /// Asks for the cluster `s` describes, tagged `managed-by=sparkify`, publicly accessible
    /// (the ingress rule is what limits who reaches it), with `role_arn` to read S3.
    pub fn create_cluster(&self, s: &Settings, password: &str, role_arn: &str) -> Result<()> {
        let id = &s.identifier.value;
        self.runtime.block_on(async {
            let tag = aws_sdk_redshift::types::Tag::builder()
                .key(TAG_KEY)
                .value(TAG_VALUE)
                .build();
            let mut req = self
                .redshift
                .create_cluster()
                .cluster_identifier(id)
                .cluster_type(&s.cluster_type.value)
                .node_type(&s.node_type.value)
                .db_name(&s.db_name.value)
                .master_username(&s.db_user.value)
                .master_user_password(password)
                .port(s.port.value)
                .iam_roles(role_arn)
                .publicly_accessible(true)
                .tags(tag);
            if s.cluster_type.value == "multi-node" {
                req = req.number_of_nodes(s.nodes.value);
            }
            req.send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("redshift:CreateCluster {id}"), &e))
        })
    }

    /// Asks for the cluster's deletion, with a final snapshot only when one is named.
    pub fn delete_cluster(&self, id: &str, final_snapshot: Option<&str>) -> Result<()> {
        self.runtime.block_on(async {
            let mut req = self.redshift.delete_cluster().cluster_identifier(id);
            req = match final_snapshot {
                Some(snap) => req
                    .skip_final_cluster_snapshot(false)
                    .final_cluster_snapshot_identifier(snap),
                None => req.skip_final_cluster_snapshot(true),
            };
            req.send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("redshift:DeleteCluster {id}"), &e))
        })
    }

    /// Pauses (`true`) or resumes (`false`) the cluster.
    pub fn pause_or_resume(&self, id: &str, pause: bool) -> Result<()> {
        self.runtime.block_on(async {
            if pause {
                self.redshift
                    .pause_cluster()
                    .cluster_identifier(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error(&format!("redshift:PauseCluster {id}"), &e))
            } else {
                self.redshift
                    .resume_cluster()
                    .cluster_identifier(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error(&format!("redshift:ResumeCluster {id}"), &e))
            }
        })
    }

    /// Allows `cidr` on `port` with `description`; `false` when the same rule already exists
    /// (added by hand, or between looking and applying).
    pub fn authorize_ingress(
        &self,
        group: &str,
        port: i32,
        cidr: &str,
        description: String,
    ) -> Result<bool> {
        self.runtime.block_on(async {
            match self
                .ec2
                .authorize_security_group_ingress()
                .group_id(group)
                .ip_permissions(permission(port, cidr, Some(description)))
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if e.code() == Some("InvalidPermission.Duplicate") => Ok(false),
                Err(e) => Err(aws_error(
                    &format!("ec2:AuthorizeSecurityGroupIngress {group}"),
                    &e,
                )),
            }
        })
    }

    pub fn revoke_ingress(&self, group: &str, port: i32, cidr: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.ec2
                .revoke_security_group_ingress()
                .group_id(group)
                .ip_permissions(permission(port, cidr, None))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("ec2:RevokeSecurityGroupIngress {group}"), &e))
        })
    }
}

fn permission(port: i32, cidr: &str, description: Option<String>) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description)
                .build(),
        )
        .build()
}

fn cluster_state(c: &Cluster) -> ClusterState {
    ClusterState {
        status: c.cluster_status().unwrap_or("unknown").to_string(),
        managed: c
            .tags()
            .iter()
            .any(|t| t.key() == Some(TAG_KEY) && t.value() == Some(TAG_VALUE)),
        node_type: c.node_type().map(str::to_string),
        nodes: c.number_of_nodes(),
        endpoint: c.endpoint().and_then(|e| {
            Some((
                e.address()?.to_string(),
                e.port()
                    .unwrap_or(i32::from(crate::warehouse::redshift::DEFAULT_PORT)),
            ))
        }),
        db_name: c.db_name().map(str::to_string),
        master_user: c.master_username().map(str::to_string),
        iam_roles: c
            .iam_roles()
            .iter()
            .filter_map(|r| r.iam_role_arn().map(str::to_string))
            .collect(),
        vpc_id: c.vpc_id().map(str::to_string),
        security_group: c
            .vpc_security_groups()
            .iter()
            .find_map(|g| g.vpc_security_group_id())
            .map(str::to_string),
        created_secs: c.cluster_create_time().map(|t| t.secs()),
    }
}
