//! The AWS adapter: the only code that speaks to IAM, Redshift and EC2. It reads what exists
//! into the plain structs of [`super::state`] and makes one change per call; it decides
//! nothing. One file per service; this one connects and gathers what the decisions need.

mod ec2;
mod iam;
mod redshift;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_iam::config::ProvideCredentials;

use super::policy;
use super::settings::Settings;
use super::state::{ClusterState, GroupRules, Network, Observed, group_name};
use super::{Report, TAG_KEY, TAG_VALUE};
use crate::error::{Error, Result};

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

/// Whether `tags` (as `(key, value)` pairs) carry `managed-by=sparkify`.
fn is_managed<'a>(mut tags: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>) -> bool {
    tags.any(|(k, v)| k == Some(TAG_KEY) && v == Some(TAG_VALUE))
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
        let config = runtime.block_on(crate::aws::sdk_config(
            settings.region.clone(),
            settings.static_keys.clone(),
        ));
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

    /// What `up`, `plan` and `down` decide from, read before anything is changed: the role
    /// with its policies, the cluster, the VPC it is (or will be) in with sparkify's group and
    /// the VPC's default group, and the account. The account comes from the default VPC's
    /// owner (sparkify has no STS client), else from the role's ARN. `dwh.cfg` is not read
    /// here; the caller fills in `config`.
    pub fn observe(&self, s: &Settings) -> Result<Observed> {
        let mut role = self.role(&s.role_name.value)?;
        let cluster = self.cluster(&s.identifier.value)?;
        if let Some(r) = role.as_mut().filter(|r| r.managed) {
            r.used_by = self.clusters_using(&r.arn, &s.identifier.value)?;
        }
        let default_vpc = self.default_vpc()?;
        let vpc = cluster
            .as_ref()
            .and_then(|c| c.vpc_id.clone())
            .or_else(|| default_vpc.as_ref().map(|(id, _)| id.clone()));
        let network = match vpc {
            None => None,
            Some(vpc_id) => Some(Network {
                group: self.group_named(&vpc_id, &group_name(&s.identifier.value), s.port.value)?,
                default_group: self.group_named(&vpc_id, "default", s.port.value)?,
                vpc_id,
            }),
        };
        let account = default_vpc
            .and_then(|(_, owner)| owner)
            .or_else(|| role.as_ref().and_then(|r| policy::account_of_arn(&r.arn)));
        Ok(Observed {
            region: self.region.clone(),
            account,
            role,
            cluster,
            network,
            config: Default::default(),
        })
    }

    /// The group whose rules `status` shows: sparkify's group of the cluster, else the first
    /// group the cluster is in, else its VPC's default group (where earlier versions put the
    /// rule), with its rules for `port`.
    pub fn status_rules(
        &self,
        s: &Settings,
        cluster: &ClusterState,
        port: i32,
    ) -> Result<GroupRules> {
        let vpc = match &cluster.vpc_id {
            Some(v) => Some(v.clone()),
            None => self.default_vpc()?.map(|(id, _)| id),
        };
        if let Some(vpc) = &vpc
            && let Some(g) = self.group_named(vpc, &group_name(&s.identifier.value), port)?
        {
            return Ok(GroupRules {
                group: Some(g.id),
                rules: g.rules,
            });
        }
        if let Some(id) = cluster.security_groups.first() {
            return Ok(GroupRules {
                group: Some(id.clone()),
                rules: self.ingress_rules(id, port)?,
            });
        }
        let default = match &vpc {
            Some(vpc) => self.group_named(vpc, "default", port)?,
            None => None,
        };
        Ok(match default {
            Some(g) => GroupRules {
                group: Some(g.id),
                rules: g.rules,
            },
            None => GroupRules::default(),
        })
    }

    /// The account to tag cluster `c` in: the caller's (the default VPC's owner), else the
    /// cluster's own.
    pub fn account_for(&self, c: &ClusterState) -> Result<Option<String>> {
        Ok(self
            .default_vpc()?
            .and_then(|(_, owner)| owner)
            .or_else(|| c.account.clone()))
    }
}
