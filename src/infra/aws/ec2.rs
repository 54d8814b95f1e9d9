//! EC2: the default VPC, the security group sparkify makes for the cluster, and its ingress
//! rule.

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, ResourceType, SecurityGroup, Tag, TagSpecification,
};

use super::{Aws, aws_error, is_managed};
use crate::error::Result;
use crate::infra::state::{GroupState, IngressRule};
use crate::infra::{TAG_KEY, TAG_VALUE};

fn tag() -> Tag {
    Tag::builder().key(TAG_KEY).value(TAG_VALUE).build()
}

/// The TCP rules of `g` that cover `port`.
fn rules_for_port(g: &SecurityGroup, port: i32) -> Vec<IngressRule> {
    let mut rules = Vec::new();
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
    rules
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

impl Aws {
    /// The region's default VPC and the account that owns it (the caller's: a default VPC
    /// is never shared); `None` when the region has none.
    pub fn default_vpc(&self) -> Result<Option<(String, Option<String>)>> {
        self.runtime.block_on(async {
            let out = self
                .ec2
                .describe_vpcs()
                .filters(Filter::builder().name("isDefault").values("true").build())
                .send()
                .await
                .map_err(|e| aws_error("ec2:DescribeVpcs", &e))?;
            Ok(out.vpcs().iter().find_map(|v| {
                v.vpc_id()
                    .map(|id| (id.to_string(), v.owner_id().map(str::to_string)))
            }))
        })
    }

    /// The security group called `name` in `vpc`, with its rules for `port`.
    pub fn group_named(&self, vpc: &str, name: &str, port: i32) -> Result<Option<GroupState>> {
        self.runtime.block_on(async {
            let out = self
                .ec2
                .describe_security_groups()
                .filters(Filter::builder().name("vpc-id").values(vpc).build())
                .filters(Filter::builder().name("group-name").values(name).build())
                .send()
                .await
                .map_err(|e| aws_error(&format!("ec2:DescribeSecurityGroups {name}"), &e))?;
            Ok(out.security_groups().iter().find_map(|g| {
                Some(GroupState {
                    id: g.group_id()?.to_string(),
                    managed: is_managed(g.tags().iter().map(|t| (t.key(), t.value()))),
                    rules: rules_for_port(g, port),
                })
            }))
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
            Ok(out
                .security_groups()
                .iter()
                .flat_map(|g| rules_for_port(g, port))
                .collect())
        })
    }

    /// Creates security group `name` in `vpc`, tagged `managed-by=sparkify`; returns its id.
    pub fn create_group(&self, vpc: &str, name: &str, description: &str) -> Result<String> {
        self.runtime.block_on(async {
            let out = self
                .ec2
                .create_security_group()
                .group_name(name)
                .description(description)
                .vpc_id(vpc)
                .tag_specifications(
                    TagSpecification::builder()
                        .resource_type(ResourceType::SecurityGroup)
                        .tags(tag())
                        .build(),
                )
                .send()
                .await
                .map_err(|e| aws_error(&format!("ec2:CreateSecurityGroup {name}"), &e))?;
            Ok(out.group_id().unwrap_or_default().to_string())
        })
    }

    /// Tags group `id` `managed-by=sparkify` (`--adopt`).
    pub fn tag_group(&self, id: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.ec2
                .create_tags()
                .resources(id)
                .tags(tag())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("ec2:CreateTags {id}"), &e))
        })
    }

    /// Deletes group `id`; `false` while something still uses it (AWS releases a deleted
    /// cluster's network interfaces a little after the cluster is gone).
    pub fn delete_group(&self, id: &str) -> Result<bool> {
        self.runtime.block_on(async {
            match self.ec2.delete_security_group().group_id(id).send().await {
                Ok(_) => Ok(true),
                Err(e) if e.code() == Some("DependencyViolation") => Ok(false),
                Err(e) => Err(aws_error(&format!("ec2:DeleteSecurityGroup {id}"), &e)),
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
