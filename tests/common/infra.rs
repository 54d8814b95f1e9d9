//! Helpers for the `sparkify infra` tests against moto (`tests/infra*.rs`): running the binary
//! with moto's environment, a seed-layout `dwh.cfg`, and AWS clients to set up situations and
//! to look at what `sparkify` left behind.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

/// The account moto runs everything in.
pub const ACCOUNT: &str = "123456789012";

/// `sparkify ARGS` in `cwd` with `env` (the moto server's), polling fast, and none of the
/// developer's settings (a `SPARKIFY_CIDR` or an `AWS_PROFILE` would change what `up` does).
pub fn sparkify(cwd: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    super::common::sparkify()
        .current_dir(cwd)
        .env("SPARKIFY_POLL_SECONDS", "0.05")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .output()
}

/// A seed-layout dwh.cfg for cluster `id` and role `role`, with the seed's S3 sources, no
/// password (so `up` makes one) and a comment that must survive the write-back.
pub fn seed_config(dir: &Path, id: &str, role: &str) -> PathBuf {
    let path = dir.join("dwh.cfg");
    std::fs::write(
        &path,
        format!(
            "# Sparkify warehouse (comment kept by sparkify)\n[CLUSTER]\nCLUSTER_IDENTIFIER={id}\n\
             CLUSTER_TYPE=multi-node\nNUM_NODES=2\nNODE_TYPE=ra3.large\nDB_NAME=sparkify\n\
             DB_USER=awsuser\nDWH_PORT=5439\nDWH_IAM_ROLE_NAME={role}\nHOST=\n\n[IAM_ROLE]\nARN=\n\n\
             [S3]\nLOG_DATA='s3://udacity-dend/log_data'\n\
             LOG_JSONPATH='s3://udacity-dend/log_json_path.json'\n\
             SONG_DATA='s3://udacity-dend/song_data'\n"
        ),
    )
    .unwrap();
    path
}

/// AWS clients for setting up situations and checking results.
pub struct Sdk {
    pub rt: tokio::runtime::Runtime,
    pub iam: aws_sdk_iam::Client,
    pub redshift: aws_sdk_redshift::Client,
    pub ec2: aws_sdk_ec2::Client,
}

pub fn sdk(endpoint: &str) -> Sdk {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(sparkify::aws::http_client())
            .region(aws_config::Region::new("us-west-2"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load(),
    );
    Sdk {
        iam: aws_sdk_iam::Client::new(&config),
        redshift: aws_sdk_redshift::Client::new(&config),
        ec2: aws_sdk_ec2::Client::new(&config),
        rt,
    }
}

/// An IAM or policy document as JSON, whether IAM returned it URL-encoded or not.
fn document(text: &str) -> Value {
    sparkify::infra::policy::parse_document(text)
        .unwrap_or_else(|| panic!("not a policy document: {text}"))
}

/// The trust policy a role created by an earlier sparkify had: any Redshift cluster.
pub const OLD_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"redshift.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A role as IAM holds it.
#[derive(Debug)]
pub struct RoleView {
    pub tags: Vec<(String, String)>,
    pub attached: Vec<String>,
    pub inline: Vec<String>,
    pub read_policy: Option<Value>,
    pub trust: Value,
}

impl Sdk {
    pub fn cluster_status(&self, id: &str) -> Option<String> {
        self.cluster(id)
            .and_then(|c| c.cluster_status().map(str::to_string))
    }

    pub fn cluster(&self, id: &str) -> Option<aws_sdk_redshift::types::Cluster> {
        self.rt.block_on(async {
            match self
                .redshift
                .describe_clusters()
                .cluster_identifier(id)
                .send()
                .await
            {
                Ok(out) => out.clusters().first().cloned(),
                Err(_) => None,
            }
        })
    }

    /// The cluster's VPC security groups.
    pub fn cluster_groups(&self, id: &str) -> Vec<String> {
        self.cluster(id)
            .map(|c| {
                c.vpc_security_groups()
                    .iter()
                    .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn cluster_tagged(&self, id: &str) -> bool {
        self.cluster(id).is_some_and(|c| {
            c.tags()
                .iter()
                .any(|t| t.key() == Some("managed-by") && t.value() == Some("sparkify"))
        })
    }

    /// A cluster made by hand (or by an earlier sparkify when `tagged`), in no group of its
    /// own.
    pub fn create_cluster(&self, id: &str, role_arn: Option<&str>, tagged: bool) {
        self.rt.block_on(async {
            let mut req = self
                .redshift
                .create_cluster()
                .cluster_identifier(id)
                .cluster_type("single-node")
                .node_type("ra3.large")
                .master_username("admin")
                .master_user_password("Passw0rdPassw0rd")
                .set_iam_roles(role_arn.map(|a| vec![a.to_string()]));
            if tagged {
                req = req.tags(
                    aws_sdk_redshift::types::Tag::builder()
                        .key("managed-by")
                        .value("sparkify")
                        .build(),
                );
            }
            req.send().await.unwrap();
        });
    }

    pub fn role_exists(&self, name: &str) -> bool {
        self.rt
            .block_on(self.iam.get_role().role_name(name).send())
            .is_ok()
    }

    /// A role made by hand (or by an earlier sparkify when `tagged`) with `trust`, and the
    /// managed policies `attached`; returns its ARN.
    pub fn create_role(&self, name: &str, trust: &str, tagged: bool, attached: &[&str]) -> String {
        self.rt.block_on(async {
            let mut req = self
                .iam
                .create_role()
                .role_name(name)
                .assume_role_policy_document(trust);
            if tagged {
                req = req.tags(
                    aws_sdk_iam::types::Tag::builder()
                        .key("managed-by")
                        .value("sparkify")
                        .build()
                        .unwrap(),
                );
            }
            let arn = req.send().await.unwrap().role().unwrap().arn().to_string();
            for policy in attached {
                self.iam
                    .attach_role_policy()
                    .role_name(name)
                    .policy_arn(*policy)
                    .send()
                    .await
                    .unwrap();
            }
            arn
        })
    }

    pub fn role(&self, name: &str) -> RoleView {
        self.rt.block_on(async {
            let role = self.iam.get_role().role_name(name).send().await.unwrap();
            let role = role.role().unwrap();
            let tags = self
                .iam
                .list_role_tags()
                .role_name(name)
                .send()
                .await
                .unwrap();
            let attached = self
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .unwrap();
            let inline = self
                .iam
                .list_role_policies()
                .role_name(name)
                .send()
                .await
                .unwrap()
                .policy_names()
                .to_vec();
            let read_policy = if inline.iter().any(|n| n == "sparkify-s3-read") {
                let p = self
                    .iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name("sparkify-s3-read")
                    .send()
                    .await
                    .unwrap();
                Some(document(p.policy_document()))
            } else {
                None
            };
            RoleView {
                tags: tags
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
                attached: attached
                    .attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string))
                    .collect(),
                inline,
                read_policy,
                trust: document(role.assume_role_policy_document().unwrap_or_default()),
            }
        })
    }

    pub fn default_vpc(&self) -> String {
        self.rt.block_on(async {
            let vpcs = self
                .ec2
                .describe_vpcs()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("isDefault")
                        .values("true")
                        .build(),
                )
                .send()
                .await
                .unwrap();
            vpcs.vpcs()[0].vpc_id().unwrap().to_string()
        })
    }

    /// The group called `name` in the default VPC.
    pub fn group(&self, name: &str) -> Option<aws_sdk_ec2::types::SecurityGroup> {
        let vpc = self.default_vpc();
        self.rt.block_on(async {
            let groups = self
                .ec2
                .describe_security_groups()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("vpc-id")
                        .values(vpc)
                        .build(),
                )
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-name")
                        .values(name)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            groups.security_groups().first().cloned()
        })
    }

    /// The `(cidr, description)` pairs allowed on tcp 5439 by group `name` of the default VPC.
    pub fn port_rules(&self, name: &str) -> Vec<(String, Option<String>)> {
        let Some(g) = self.group(name) else {
            return Vec::new();
        };
        g.ip_permissions()
            .iter()
            .filter(|p| p.from_port() == Some(5439))
            .flat_map(|p| p.ip_ranges())
            .map(|r| {
                (
                    r.cidr_ip().unwrap_or_default().to_string(),
                    r.description().map(str::to_string),
                )
            })
            .collect()
    }

    /// Adds tcp 5439 from `cidr` to group `name` of the default VPC, with `description`.
    pub fn allow(&self, name: &str, cidr: &str, description: Option<&str>) {
        let group = self.group(name).unwrap().group_id().unwrap().to_string();
        self.rt.block_on(async {
            self.ec2
                .authorize_security_group_ingress()
                .group_id(group)
                .ip_permissions(
                    aws_sdk_ec2::types::IpPermission::builder()
                        .ip_protocol("tcp")
                        .from_port(5439)
                        .to_port(5439)
                        .ip_ranges(
                            aws_sdk_ec2::types::IpRange::builder()
                                .cidr_ip(cidr)
                                .set_description(description.map(str::to_string))
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .unwrap();
        });
    }

    /// Creates group `name` in the default VPC, tagged `managed-by=sparkify` when `tagged`.
    pub fn create_group(&self, name: &str, tagged: bool) -> String {
        let vpc = self.default_vpc();
        self.rt.block_on(async {
            let mut req = self
                .ec2
                .create_security_group()
                .group_name(name)
                .description("made by a test")
                .vpc_id(vpc);
            if tagged {
                req = req.tag_specifications(
                    aws_sdk_ec2::types::TagSpecification::builder()
                        .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                        .tags(
                            aws_sdk_ec2::types::Tag::builder()
                                .key("managed-by")
                                .value("sparkify")
                                .build(),
                        )
                        .build(),
                );
            }
            req.send().await.unwrap().group_id().unwrap().to_string()
        })
    }
}

/// Whether `group` carries `managed-by=sparkify`.
pub fn group_tagged(group: &aws_sdk_ec2::types::SecurityGroup) -> bool {
    group
        .tags()
        .iter()
        .any(|t| t.key() == Some("managed-by") && t.value() == Some("sparkify"))
}
