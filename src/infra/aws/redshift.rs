//! Redshift: the cluster itself.

use aws_sdk_redshift::error::ProvideErrorMetadata;
use aws_sdk_redshift::types::{Cluster, Tag};

use super::{Aws, aws_error, is_managed};
use crate::error::Result;
use crate::infra::policy;
use crate::infra::retry::{self, Attempt};
use crate::infra::settings::Settings;
use crate::infra::state::ClusterState;
use crate::infra::{TAG_KEY, TAG_VALUE};

fn tag() -> Tag {
    Tag::builder().key(TAG_KEY).value(TAG_VALUE).build()
}

fn cluster_state(c: &Cluster) -> ClusterState {
    ClusterState {
        status: c.cluster_status().unwrap_or("unknown").to_string(),
        managed: is_managed(c.tags().iter().map(|t| (t.key(), t.value()))),
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
        security_groups: c
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
            .collect(),
        created_secs: c.cluster_create_time().map(|t| t.secs()),
        account: c.cluster_namespace_arn().and_then(policy::account_of_arn),
    }
}

impl Aws {
    /// The clusters other than `except` that have the role `arn` attached.
    pub fn clusters_using(&self, arn: &str, except: &str) -> Result<Vec<String>> {
        self.runtime.block_on(async {
            let mut pages = self.redshift.describe_clusters().into_paginator().send();
            let mut ids = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| aws_error("redshift:DescribeClusters (all)", &e))?;
                for c in page.clusters() {
                    let id = c.cluster_identifier().unwrap_or_default();
                    if id != except && c.iam_roles().iter().any(|r| r.iam_role_arn() == Some(arn)) {
                        ids.push(id.to_string());
                    }
                }
            }
            Ok(ids)
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

    /// Asks for the cluster `s` describes, tagged `managed-by=sparkify`, publicly accessible
    /// in security group `group` (whose one rule limits who reaches it), with `role_arn` to
    /// read S3. A refusal because Redshift cannot see the role yet (IAM propagation) is an
    /// [`Attempt::RoleNotYetVisible`], for the caller to retry; any other is an error.
    pub fn create_cluster(
        &self,
        s: &Settings,
        password: &str,
        role_arn: &str,
        group: &str,
    ) -> Result<Attempt<()>> {
        let id = &s.identifier.value;
        self.runtime.block_on(async {
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
                .vpc_security_group_ids(group)
                .publicly_accessible(true)
                .tags(tag());
            if s.cluster_type.value == "multi-node" {
                req = req.number_of_nodes(s.nodes.value);
            }
            match req.send().await {
                Ok(_) => Ok(Attempt::Done(())),
                Err(e) => {
                    let err = aws_error(&format!("redshift:CreateCluster {id}"), &e);
                    if retry::role_not_yet_visible(e.code(), e.message()) {
                        Ok(Attempt::RoleNotYetVisible(err.to_string()))
                    } else {
                        Err(err)
                    }
                }
            }
        })
    }

    /// Tags the cluster with ARN `arn` `managed-by=sparkify` (`--adopt`).
    pub fn tag_cluster(&self, arn: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.redshift
                .create_tags()
                .resource_name(arn)
                .tags(tag())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("redshift:CreateTags {arn}"), &e))
        })
    }

    /// Sets the cluster's VPC security groups to `groups`.
    pub fn set_groups(&self, id: &str, groups: Vec<String>) -> Result<()> {
        self.runtime.block_on(async {
            self.redshift
                .modify_cluster()
                .cluster_identifier(id)
                .set_vpc_security_group_ids(Some(groups))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("redshift:ModifyCluster {id}"), &e))
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
}
