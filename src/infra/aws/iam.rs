//! IAM: the role Redshift assumes to read S3, its trust policy, its inline read policy and
//! the managed policies an earlier version attached.

use super::{Aws, aws_error, is_managed};
use crate::error::{Error, Result};
use crate::infra::policy::READ_POLICY_NAME;
use crate::infra::state::RoleState;
use crate::infra::{TAG_KEY, TAG_VALUE};

fn tag() -> Result<aws_sdk_iam::types::Tag> {
    aws_sdk_iam::types::Tag::builder()
        .key(TAG_KEY)
        .value(TAG_VALUE)
        .build()
        .map_err(|e| Error::Aws(e.to_string()))
}

impl Aws {
    /// Role `name` with its tags, policies and trust policy; `None` when it does not exist.
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
            let attached = self
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .map_err(|e| aws_error(&format!("iam:ListAttachedRolePolicies {name}"), &e))?;
            let inline = self
                .iam
                .list_role_policies()
                .role_name(name)
                .send()
                .await
                .map_err(|e| aws_error(&format!("iam:ListRolePolicies {name}"), &e))?
                .policy_names()
                .to_vec();
            let read_policy = if inline.iter().any(|p| p == READ_POLICY_NAME) {
                let out = self
                    .iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(READ_POLICY_NAME)
                    .send()
                    .await
                    .map_err(|e| aws_error(&format!("iam:GetRolePolicy {name}"), &e))?;
                Some(out.policy_document().to_string())
            } else {
                None
            };
            Ok(Some(RoleState {
                arn: role.arn().to_string(),
                managed: is_managed(tags.tags().iter().map(|t| (Some(t.key()), Some(t.value())))),
                policies: attached
                    .attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string))
                    .collect(),
                inline,
                read_policy,
                trust: role
                    .assume_role_policy_document()
                    .unwrap_or_default()
                    .to_string(),
                // Filled by `observe`, which knows the configured cluster.
                used_by: Vec::new(),
            }))
        })
    }

    /// Creates the role Redshift assumes, with trust policy `trust`, tagged
    /// `managed-by=sparkify`; returns its ARN.
    pub fn create_role(&self, name: &str, trust: &str) -> Result<String> {
        self.runtime.block_on(async {
            let created = self
                .iam
                .create_role()
                .role_name(name)
                .assume_role_policy_document(trust)
                .description("Lets Redshift COPY read the configured S3 sources (sparkify)")
                .tags(tag()?)
                .send()
                .await
                .map_err(|e| aws_error(&format!("iam:CreateRole {name}"), &e))?;
            Ok(created
                .role()
                .map(|r| r.arn().to_string())
                .unwrap_or_default())
        })
    }

    /// Tags role `name` `managed-by=sparkify` (`--adopt`).
    pub fn tag_role(&self, name: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.iam
                .tag_role()
                .role_name(name)
                .tags(tag()?)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("iam:TagRole {name}"), &e))
        })
    }

    pub fn update_trust(&self, name: &str, trust: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.iam
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(trust)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("iam:UpdateAssumeRolePolicy {name}"), &e))
        })
    }

    /// Puts (adds or replaces) the inline read policy on role `name`.
    pub fn put_read_policy(&self, name: &str, document: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.iam
                .put_role_policy()
                .role_name(name)
                .policy_name(READ_POLICY_NAME)
                .policy_document(document)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("iam:PutRolePolicy {name}"), &e))
        })
    }

    pub fn delete_inline_policy(&self, name: &str, policy: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("iam:DeleteRolePolicy {name} {policy}"), &e))
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
}
