//! `sparkify infra`: the Redshift cluster, its IAM role and its ingress rule, as code.
//!
//! Every step first looks at what exists, so `up` and `down` can be run again at any point:
//! after a success they change nothing, after a failure half-way they continue. Every
//! resource `sparkify` creates carries the tag `managed-by=sparkify`, and `down` deletes only
//! what carries it. `plan` and `status` call only read-only APIs.
//!
//! API calls — `up`: iam:GetRole, iam:ListRoleTags, iam:CreateRole, iam:ListAttachedRolePolicies,
//! iam:AttachRolePolicy, redshift:DescribeClusters, redshift:CreateCluster,
//! ec2:DescribeSecurityGroups, ec2:DescribeVpcs, ec2:AuthorizeSecurityGroupIngress.
//! `down`: redshift:DescribeClusters, redshift:DeleteCluster, ec2:DescribeSecurityGroups,
//! ec2:DescribeVpcs, ec2:RevokeSecurityGroupIngress, iam:GetRole, iam:ListRoleTags,
//! iam:ListAttachedRolePolicies, iam:DetachRolePolicy, iam:DeleteRole.

pub mod settings;

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use aws_sdk_iam::config::ProvideCredentials;
use aws_sdk_redshift::types::Cluster;

use crate::error::{Error, Result};
pub use settings::Settings;

/// The tag on everything `sparkify` creates.
pub const TAG_KEY: &str = "managed-by";
pub const TAG_VALUE: &str = "sparkify";

/// The AWS-managed policy that lets Redshift's COPY read S3.
pub const S3_READ_POLICY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"redshift.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// How `up` and `down` wait for the cluster.
#[derive(Debug, Clone)]
pub struct Wait {
    pub timeout: Duration,
    pub poll: Duration,
}

/// Where progress and results go; the command line prints them, tests capture them.
pub trait Report {
    fn line(&mut self, text: &str);
    /// A status while waiting (drawn as a spinner on a terminal).
    fn waiting(&mut self, _text: &str) {}
    fn warn(&mut self, text: &str) {
        self.line(&format!("warning: {text}"));
    }
}

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
            .or_else("us-west-2");
            let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
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
            .unwrap_or_else(|| "us-west-2".into());
        Ok(Aws {
            iam: aws_sdk_iam::Client::new(&config),
            redshift: aws_sdk_redshift::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            runtime,
            region,
        })
    }

    fn role(&self, name: &str) -> Result<Option<RoleState>> {
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

    fn cluster(&self, id: &str) -> Result<Option<Cluster>> {
        self.runtime.block_on(async {
            match self
                .redshift
                .describe_clusters()
                .cluster_identifier(id)
                .send()
                .await
            {
                Ok(out) => Ok(out.clusters.unwrap_or_default().into_iter().next()),
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
    fn security_group(&self, cluster: Option<&Cluster>) -> Result<Option<String>> {
        if let Some(id) = cluster.and_then(|c| {
            c.vpc_security_groups()
                .iter()
                .find_map(|g| g.vpc_security_group_id())
        }) {
            return Ok(Some(id.to_string()));
        }
        self.runtime.block_on(async {
            let vpc = match cluster.and_then(|c| c.vpc_id()) {
                Some(v) => Some(v.to_string()),
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

    /// The port's ingress rules on `group`: `(cidr, description)`.
    fn ingress_rules(&self, group: &str, port: i32) -> Result<Vec<(String, Option<String>)>> {
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
                                rules.push((c.to_string(), r.description().map(str::to_string)));
                            }
                        }
                    }
                }
            }
            Ok(rules)
        })
    }
}

struct RoleState {
    arn: String,
    managed: bool,
    policies: Vec<String>,
}

fn rule_description(identifier: &str) -> String {
    format!("{TAG_KEY} {TAG_VALUE}: Redshift cluster {identifier}")
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

fn tag_value(cluster: &Cluster) -> bool {
    cluster
        .tags()
        .iter()
        .any(|t| t.key() == Some(TAG_KEY) && t.value() == Some(TAG_VALUE))
}

fn endpoint(cluster: &Cluster) -> Option<(String, i32)> {
    let e = cluster.endpoint()?;
    Some((e.address()?.to_string(), e.port().unwrap_or(5439)))
}

fn status(cluster: &Cluster) -> &str {
    cluster.cluster_status().unwrap_or("unknown")
}

fn money(v: f64) -> String {
    format!("${v:.2}")
}

fn cost_line(s: &Settings) -> String {
    match settings::hourly_cost(&s.node_type.value, s.nodes.value) {
        Some(h) => format!(
            "Estimated cost: {} × {} = {}/hour (about {}/month if never paused); on-demand \
             list price in us-east-1, other regions differ",
            s.nodes.value,
            s.node_type.value,
            money(h),
            money(h * 730.0)
        ),
        None => format!(
            "Estimated cost: unknown for node type {} (not in sparkify's price table)",
            s.node_type.value
        ),
    }
}

/// `infra plan`: what `up` would do, from read-only calls.
pub fn plan(aws: &Aws, s: &Settings, out: &mut dyn Report) -> Result<()> {
    let id = &s.identifier.value;
    out.line(&format!(
        "Plan for Redshift cluster {id} in {} (nothing is changed by `plan`):",
        aws.region
    ));
    let role = aws.role(&s.role_name.value)?;
    let mut changes = 0;
    match &role {
        None => {
            changes += 1;
            out.line(&format!(
                "  + IAM role {}: trusted by redshift.amazonaws.com, AmazonS3ReadOnlyAccess \
                 attached, tagged {TAG_KEY}={TAG_VALUE}",
                s.role_name.value
            ));
        }
        Some(r) if !r.policies.iter().any(|p| p == S3_READ_POLICY) => {
            changes += 1;
            out.line(&format!(
                "  ~ IAM role {} exists ({}); AmazonS3ReadOnlyAccess will be attached",
                s.role_name.value, r.arn
            ));
        }
        Some(r) => out.line(&format!(
            "  = IAM role {} exists ({}), AmazonS3ReadOnlyAccess attached",
            s.role_name.value, r.arn
        )),
    }
    let cluster = aws.cluster(id)?;
    let shape = format!(
        "{}, {} × {}, database {}, user {}, port {}",
        s.cluster_type.value,
        s.nodes.value,
        s.node_type.value,
        s.db_name.value,
        s.db_user.value,
        s.port.value
    );
    match &cluster {
        None => {
            changes += 1;
            out.line(&format!("  + Redshift cluster {id}: {shape}"));
            out.line(&format!(
                "      master password: {}",
                if s.password.is_some() {
                    "from dwh.cfg (not shown)"
                } else {
                    "generated, stored only in dwh.cfg (mode 0600)"
                }
            ));
        }
        Some(c) => out.line(&format!(
            "  = Redshift cluster {id} exists: {} ({shape})",
            status(c)
        )),
    }
    match (&s.cidr, &cluster) {
        (None, _) => out.line(
            "  ! no ingress rule: give the address allowed to connect with --cidr \
             (e.g. --cidr 203.0.113.7/32) or [CLUSTER] CIDR; `up` refuses without it",
        ),
        (Some(cidr), Some(c)) => {
            let group = aws.security_group(Some(c))?;
            let present = match &group {
                Some(g) => aws
                    .ingress_rules(g, s.port.value)?
                    .iter()
                    .any(|(r, _)| r == cidr),
                None => false,
            };
            if present {
                out.line(&format!(
                    "  = ingress rule: tcp {} from {cidr} exists",
                    s.port.value
                ));
            } else {
                changes += 1;
                out.line(&format!(
                    "  + ingress rule: tcp {} from {cidr} on security group {}",
                    s.port.value,
                    group.as_deref().unwrap_or("(the VPC's default)")
                ));
            }
        }
        (Some(cidr), None) => {
            changes += 1;
            out.line(&format!(
                "  + ingress rule: tcp {} from {cidr} on the cluster's VPC security group",
                s.port.value
            ));
        }
    }
    if s.cidr.as_deref() == Some(settings::ANYWHERE) {
        out.warn("the ingress rule opens the cluster's port to the whole internet");
    }
    out.line(&cost_line(s));
    out.line(&if changes == 0 {
        "No changes: everything exists as configured.".to_string()
    } else {
        format!("{changes} change(s). Apply them with `sparkify infra up`.")
    });
    Ok(())
}

/// `infra up`: creates what is missing, waits for the cluster, writes endpoint and role ARN
/// back to `dwh.cfg`.
pub fn up(aws: &Aws, s: &Settings, wait: &Wait, out: &mut dyn Report) -> Result<()> {
    let cidr = s.cidr.as_deref().ok_or_else(|| {
        Error::usage(
            "`infra up` needs the address range allowed to connect: pass --cidr \
             (e.g. --cidr 203.0.113.7/32, your own address) or set [CLUSTER] CIDR in dwh.cfg",
        )
    })?;
    if cidr == settings::ANYWHERE {
        out.warn("opening the cluster's port to the whole internet (--allow-anywhere)");
    }
    let config_path = s.config_path.clone().ok_or_else(|| {
        Error::usage(
            "`infra up` writes the endpoint and role ARN into dwh.cfg: run it where dwh.cfg is, \
             or pass --config FILE (an empty file will do)",
        )
    })?;
    let keys = s.write_back_keys();
    let mut changed = 0;
    let id = &s.identifier.value;

    // 1. The role Redshift assumes to read S3.
    let role_arn = match aws.role(&s.role_name.value)? {
        Some(r) => {
            out.line(&format!(
                "= IAM role {} exists ({})",
                s.role_name.value, r.arn
            ));
            if !r.policies.iter().any(|p| p == S3_READ_POLICY) {
                attach_policy(aws, &s.role_name.value)?;
                changed += 1;
                out.line("+ attached AmazonS3ReadOnlyAccess");
            }
            r.arn
        }
        None => {
            let arn = aws.runtime.block_on(async {
                let tag = aws_sdk_iam::types::Tag::builder()
                    .key(TAG_KEY)
                    .value(TAG_VALUE)
                    .build()
                    .map_err(|e| Error::Aws(e.to_string()))?;
                let created = aws
                    .iam
                    .create_role()
                    .role_name(&s.role_name.value)
                    .assume_role_policy_document(TRUST_POLICY)
                    .description("Lets Redshift COPY read S3 (created by sparkify)")
                    .tags(tag)
                    .send()
                    .await
                    .map_err(|e| aws_error(&format!("iam:CreateRole {}", s.role_name.value), &e))?;
                Ok::<String, Error>(
                    created
                        .role()
                        .map(|r| r.arn().to_string())
                        .unwrap_or_default(),
                )
            })?;
            attach_policy(aws, &s.role_name.value)?;
            changed += 1;
            out.line(&format!(
                "+ created IAM role {} ({arn}) with AmazonS3ReadOnlyAccess",
                s.role_name.value
            ));
            arn
        }
    };

    // 2. The cluster. A generated password is stored before the cluster is asked for, so a
    //    run that stops half-way never loses it.
    let cluster = match aws.cluster(id)? {
        Some(c) => {
            out.line(&format!("= Redshift cluster {id} exists ({})", status(&c)));
            c
        }
        None => {
            let password = match &s.password {
                Some(p) => p.clone(),
                None => {
                    let p = settings::generate_password()?;
                    crate::config::update_file(
                        &config_path,
                        &[(keys.password.0, keys.password.1, &p)],
                    )?;
                    out.line(&format!(
                        "+ generated a master password, stored in {} [{}] {} (mode 0600)",
                        config_path.display(),
                        keys.password.0,
                        keys.password.1
                    ));
                    p
                }
            };
            aws.runtime.block_on(async {
                let tag = aws_sdk_redshift::types::Tag::builder()
                    .key(TAG_KEY)
                    .value(TAG_VALUE)
                    .build();
                let mut req = aws
                    .redshift
                    .create_cluster()
                    .cluster_identifier(id)
                    .cluster_type(&s.cluster_type.value)
                    .node_type(&s.node_type.value)
                    .db_name(&s.db_name.value)
                    .master_username(&s.db_user.value)
                    .master_user_password(password)
                    .port(s.port.value)
                    .iam_roles(&role_arn)
                    .publicly_accessible(true)
                    .tags(tag);
                if s.cluster_type.value == "multi-node" {
                    req = req.number_of_nodes(s.nodes.value);
                }
                req.send()
                    .await
                    .map_err(|e| aws_error(&format!("redshift:CreateCluster {id}"), &e))
            })?;
            changed += 1;
            out.line(&format!(
                "+ creating Redshift cluster {id}: {} × {}",
                s.nodes.value, s.node_type.value
            ));
            wait_for(aws, id, wait, out, |c| {
                c.is_some_and(|c| status(c) == "available")
            })?
            .ok_or_else(|| Error::Aws(format!("cluster {id} disappeared while being created")))?
        }
    };
    let cluster = if status(&cluster) == "available" {
        cluster
    } else if matches!(
        status(&cluster),
        "creating" | "modifying" | "resuming" | "rebooting"
    ) {
        wait_for(aws, id, wait, out, |c| {
            c.is_some_and(|c| status(c) == "available")
        })?
        .ok_or_else(|| Error::Aws(format!("cluster {id} disappeared while waiting")))?
    } else {
        out.line(&format!(
            "  cluster {id} is {}; `sparkify infra resume` makes a paused cluster available",
            status(&cluster)
        ));
        cluster
    };

    // 3. The ingress rule, on the cluster's VPC security group.
    let group = aws.security_group(Some(&cluster))?.ok_or_else(|| {
        Error::Aws(format!(
            "cannot find the security group of cluster {id} (no VPC security group, no default VPC)"
        ))
    })?;
    let authorized = aws.runtime.block_on(async {
        match aws
            .ec2
            .authorize_security_group_ingress()
            .group_id(&group)
            .ip_permissions(permission(s.port.value, cidr, Some(rule_description(id))))
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
    })?;
    if authorized {
        changed += 1;
        out.line(&format!(
            "+ allowed tcp {} from {cidr} on security group {group}",
            s.port.value
        ));
    } else {
        out.line(&format!(
            "= ingress rule tcp {} from {cidr} exists on {group}",
            s.port.value
        ));
    }

    // 4. Endpoint and role back into dwh.cfg, the rest of the file untouched.
    let mut updates = vec![(keys.role_arn.0, keys.role_arn.1, role_arn.clone())];
    if let Some((host, _)) = endpoint(&cluster) {
        updates.push((keys.host.0, keys.host.1, host));
    }
    let current = crate::config::Ini::load(&config_path).unwrap_or_default();
    let stale: Vec<&(&str, &str, String)> = updates
        .iter()
        .filter(|(sec, key, v)| current.get(sec, key) != Some(v.as_str()))
        .collect();
    if !stale.is_empty() {
        let pairs: Vec<(&str, &str, &str)> = updates
            .iter()
            .map(|(a, b, c)| (*a, *b, c.as_str()))
            .collect();
        crate::config::update_file(&config_path, &pairs)?;
        changed += 1;
        out.line(&format!(
            "+ wrote {} to {}",
            updates
                .iter()
                .map(|(sec, key, _)| format!("[{sec}] {key}"))
                .collect::<Vec<_>>()
                .join(" and "),
            config_path.display()
        ));
    }
    if let Some((host, port)) = endpoint(&cluster) {
        out.line(&format!("Endpoint: {host}:{port}"));
    }
    out.line(&format!("Role ARN: {role_arn}"));
    out.line(&if changed == 0 {
        "No changes: everything already exists as configured.".to_string()
    } else {
        format!("Done: {changed} change(s).")
    });
    Ok(())
}

fn attach_policy(aws: &Aws, role: &str) -> Result<()> {
    aws.runtime.block_on(async {
        aws.iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(S3_READ_POLICY)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(&format!("iam:AttachRolePolicy {role}"), &e))
    })
}

/// Polls the cluster until `done` holds, with a status line, up to the timeout.
fn wait_for(
    aws: &Aws,
    id: &str,
    wait: &Wait,
    out: &mut dyn Report,
    done: impl Fn(Option<&Cluster>) -> bool,
) -> Result<Option<Cluster>> {
    let start = Instant::now();
    loop {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted);
        }
        let cluster = aws.cluster(id)?;
        if done(cluster.as_ref()) {
            return Ok(cluster);
        }
        let state = cluster.as_ref().map_or("gone", status).to_string();
        if start.elapsed() >= wait.timeout {
            return Err(Error::Aws(format!(
                "gave up waiting for cluster {id} after {} s (it is {state}); run the command \
                 again to go on waiting, or raise --timeout",
                wait.timeout.as_secs()
            )));
        }
        out.waiting(&format!(
            "cluster {id}: {state} ({} s)",
            start.elapsed().as_secs()
        ));
        std::thread::sleep(wait.poll);
    }
}

/// `infra status`.
pub fn show_status(aws: &Aws, s: &Settings, out: &mut dyn Report) -> Result<()> {
    let id = &s.identifier.value;
    let Some(c) = aws.cluster(id)? else {
        out.line(&format!(
            "No cluster {id} in {} (create it with `sparkify infra up`).",
            aws.region
        ));
        return Ok(());
    };
    let nodes = c.number_of_nodes().unwrap_or(1);
    let node_type = c.node_type().unwrap_or("?");
    out.line(&format!(
        "Cluster   {id}: {}, {nodes} × {node_type}{}",
        status(&c),
        if tag_value(&c) {
            ""
        } else {
            " (not created by sparkify)"
        }
    ));
    out.line(&format!(
        "Endpoint  {}",
        endpoint(&c).map_or("(none yet)".to_string(), |(h, p)| format!("{h}:{p}"))
    ));
    out.line(&format!(
        "Database  {} (user {})",
        c.db_name().unwrap_or("?"),
        c.master_username().unwrap_or("?")
    ));
    let roles: Vec<&str> = c
        .iam_roles()
        .iter()
        .filter_map(|r| r.iam_role_arn())
        .collect();
    out.line(&format!(
        "Role      {}",
        if roles.is_empty() {
            "(none)".to_string()
        } else {
            roles.join(", ")
        }
    ));
    let port = endpoint(&c).map_or(s.port.value, |(_, p)| p);
    match aws.security_group(Some(&c))? {
        Some(g) => {
            let rules = aws.ingress_rules(&g, port)?;
            if rules.is_empty() {
                out.line(&format!("Ingress   {g}: nothing allowed on tcp {port}"));
            }
            for (cidr, desc) in rules {
                out.line(&format!(
                    "Ingress   {g}: tcp {port} from {cidr}{}",
                    desc.map(|d| format!(" ({d})")).unwrap_or_default()
                ));
            }
        }
        None => out.line("Ingress   (no security group found)"),
    }
    if let Some(created) = c.cluster_create_time() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let secs = (now - created.secs()).max(0);
        let mut line = format!(
            "Running   {} since {} UTC",
            crate::output::duration(Duration::from_secs(secs as u64)),
            crate::time::format_timestamp_micros(created.secs() * 1_000_000)
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
    Ok(())
}

/// `infra pause` / `infra resume`.
pub fn pause_or_resume(aws: &Aws, s: &Settings, pause: bool, out: &mut dyn Report) -> Result<()> {
    let id = &s.identifier.value;
    let c = aws.cluster(id)?.ok_or_else(|| {
        Error::usage(format!(
            "there is no cluster {id} to {}",
            if pause { "pause" } else { "resume" }
        ))
    })?;
    let (want, from) = if pause {
        ("paused", "available")
    } else {
        ("available", "paused")
    };
    let state = status(&c).to_string();
    if state == want || (pause && state == "pausing") || (!pause && state == "resuming") {
        out.line(&format!("Cluster {id} is already {state}: nothing to do."));
        return Ok(());
    }
    if state != from {
        return Err(Error::usage(format!(
            "cluster {id} is {state}; Redshift can {} only a cluster that is {from}",
            if pause { "pause" } else { "resume" }
        )));
    }
    aws.runtime.block_on(async {
        if pause {
            aws.redshift
                .pause_cluster()
                .cluster_identifier(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("redshift:PauseCluster {id}"), &e))
        } else {
            aws.redshift
                .resume_cluster()
                .cluster_identifier(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("redshift:ResumeCluster {id}"), &e))
        }
    })?;
    let now = aws
        .cluster(id)?
        .map_or("gone".to_string(), |c| status(&c).to_string());
    out.line(&format!(
        "Cluster {id}: {} requested, now {now}.{}",
        if pause { "pause" } else { "resume" },
        if pause {
            " Compute is not billed while paused; storage is."
        } else {
            ""
        }
    ));
    Ok(())
}

/// `infra down`: the cluster (optionally with a final snapshot), then the ingress rule, then
/// the role, each only if `sparkify` created it.
pub fn down(
    aws: &Aws,
    s: &Settings,
    final_snapshot: Option<&str>,
    wait: &Wait,
    out: &mut dyn Report,
) -> Result<()> {
    let id = &s.identifier.value;
    let mut changed = 0;
    match aws.cluster(id)? {
        None => {
            out.line(&format!("= cluster {id} does not exist"));
            // A `down` stopped after deleting the cluster left its rule: the rule is found by
            // its description on the group a cluster without its own group uses.
            if let Some(g) = aws.security_group(None)? {
                changed += revoke_rules(aws, &g, s.port.value, id, out)?;
            }
        }
        Some(c) if !tag_value(&c) => {
            return Err(Error::usage(format!(
                "cluster {id} was not created by sparkify (no {TAG_KEY}={TAG_VALUE} tag); \
                 sparkify deletes only what it created"
            )));
        }
        Some(c) => {
            let group = aws.security_group(Some(&c))?;
            if status(&c) != "deleting" {
                aws.runtime.block_on(async {
                    let mut req = aws.redshift.delete_cluster().cluster_identifier(id);
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
                })?;
            }
            out.line(&format!(
                "- deleting cluster {id}{}",
                final_snapshot.map_or(" (no final snapshot)".to_string(), |n| format!(
                    " (final snapshot {n})"
                ))
            ));
            wait_for(aws, id, wait, out, |c| c.is_none())?;
            changed += 1;
            out.line(&format!("- cluster {id} is gone"));
            if let Some(g) = group {
                changed += revoke_rules(aws, &g, s.port.value, id, out)?;
            }
        }
    }
    match aws.role(&s.role_name.value)? {
        None => out.line(&format!("= IAM role {} does not exist", s.role_name.value)),
        Some(r) if !r.managed => out.line(&format!(
            "= IAM role {} was not created by sparkify (no {TAG_KEY}={TAG_VALUE} tag): kept",
            s.role_name.value
        )),
        Some(r) => {
            let name = &s.role_name.value;
            aws.runtime.block_on(async {
                for policy in &r.policies {
                    aws.iam
                        .detach_role_policy()
                        .role_name(name)
                        .policy_arn(policy)
                        .send()
                        .await
                        .map_err(|e| aws_error(&format!("iam:DetachRolePolicy {name}"), &e))?;
                }
                aws.iam
                    .delete_role()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(|e| aws_error(&format!("iam:DeleteRole {name}"), &e))
            })?;
            changed += 1;
            out.line(&format!("- deleted IAM role {name} ({})", r.arn));
        }
    }
    out.line(&if changed == 0 {
        "No changes: nothing of sparkify's was left.".to_string()
    } else {
        format!("Done: {changed} resource(s) removed.")
    });
    Ok(())
}

/// Revokes the port's rules that `up` added for this cluster (recognised by description).
fn revoke_rules(
    aws: &Aws,
    group: &str,
    port: i32,
    id: &str,
    out: &mut dyn Report,
) -> Result<usize> {
    let ours = rule_description(id);
    let mut n = 0;
    for (cidr, desc) in aws.ingress_rules(group, port)? {
        if desc.as_deref() != Some(ours.as_str()) {
            continue;
        }
        aws.runtime.block_on(async {
            aws.ec2
                .revoke_security_group_ingress()
                .group_id(group)
                .ip_permissions(permission(port, &cidr, None))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(&format!("ec2:RevokeSecurityGroupIngress {group}"), &e))
        })?;
        out.line(&format!(
            "- removed ingress rule tcp {port} from {cidr} on {group}"
        ));
        n += 1;
    }
    Ok(n)
}

/// Asks the user to type the cluster's name, unless `yes`.
pub fn confirm_down(s: &Settings, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "`infra down` deletes the cluster and all its data: pass --yes to confirm \
             (stdin is not a terminal, so it cannot ask)",
        ));
    }
    let id = &s.identifier.value;
    eprint!(
        "This deletes cluster {id} and all its data, its ingress rule and role {}.\nType the \
         cluster identifier to confirm: ",
        s.role_name.value
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::io("reading the confirmation", e))?;
    if answer.trim() == id {
        Ok(())
    } else {
        Err(Error::usage("not confirmed; nothing was deleted"))
    }
}
