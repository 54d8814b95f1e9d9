//! Logging in to Redshift without a stored password: with no password configured,
//! `--warehouse redshift` asks Redshift for temporary database credentials
//! (`redshift:GetClusterCredentials`, valid 15 minutes) with the caller's AWS identity from the
//! standard chain, and connects as the user Redshift returns (`IAM:awsuser`). The password
//! lives only in memory.

use aws_sdk_redshift::error::ProvideErrorMetadata;

use crate::error::{Error, Result};

/// Which cluster to ask, and with which AWS settings.
#[derive(Clone, PartialEq, Eq)]
pub struct IamLogin {
    pub cluster_id: String,
    pub region: Option<String>,
    /// `dwh.cfg` `[AWS] KEY/SECRET`, when given; otherwise the standard chain.
    pub static_keys: Option<(String, String)>,
}

/// Never shows the secret key.
impl std::fmt::Debug for IamLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamLogin")
            .field("cluster_id", &self.cluster_id)
            .field("region", &self.region)
            .field(
                "static_keys",
                &self.static_keys.as_ref().map(|(k, _)| (k, "***")),
            )
            .finish()
    }
}

/// Shortest validity Redshift grants (seconds): a run needs the password only to log in.
const DURATION_SECONDS: i32 = 900;

impl IamLogin {
    /// `(user, password)` to log in to `database` as `user` for the next 15 minutes.
    pub fn temporary_credentials(&self, user: &str, database: &str) -> Result<(String, String)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("starting the AWS client runtime", e))?;
        let answer = runtime.block_on(async {
            let config =
                crate::aws::sdk_config(self.region.clone(), self.static_keys.clone()).await;
            aws_sdk_redshift::Client::new(&config)
                .get_cluster_credentials()
                .cluster_identifier(&self.cluster_id)
                .db_user(user)
                .db_name(database)
                .duration_seconds(DURATION_SECONDS)
                .auto_create(false)
                .send()
                .await
        });
        let out = answer.map_err(|e| {
            let detail = match (e.code(), e.message()) {
                (Some(code), Some(msg)) => format!("{code}: {msg}"),
                (Some(code), None) => code.to_string(),
                _ => aws_sdk_redshift::error::DisplayErrorContext(&e).to_string(),
            };
            Error::Aws(format!(
                "no database password is configured, and asking Redshift for temporary \
                 credentials for user {user} on cluster {} failed ({detail}). Give a password \
                 (PGPASSWORD, [CLUSTER] DB_PASSWORD or the URL), or allow \
                 redshift:GetClusterCredentials for your AWS identity and set [CLUSTER] \
                 CLUSTER_IDENTIFIER",
                self.cluster_id
            ))
        })?;
        let password = out
            .db_password()
            .ok_or_else(|| Error::Aws("GetClusterCredentials returned no password".into()))?;
        Ok((
            out.db_user().unwrap_or(user).to_string(),
            password.to_string(),
        ))
    }
}

/// The cluster a Redshift endpoint names: its first label
/// (`CLUSTER.HASH.REGION.redshift.amazonaws.com`), when the host is one.
pub fn cluster_of_host(host: &str) -> Option<&str> {
    let (first, rest) = host.split_once('.')?;
    let amazon =
        rest.ends_with(".redshift.amazonaws.com") || rest.ends_with(".redshift.amazonaws.com.cn");
    (amazon && !first.is_empty()).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_is_the_first_label_of_a_redshift_endpoint() {
        assert_eq!(
            cluster_of_host("sparkify-dwh.c1x2y3z4.us-west-2.redshift.amazonaws.com"),
            Some("sparkify-dwh")
        );
        assert_eq!(cluster_of_host("127.0.0.1"), None);
        assert_eq!(cluster_of_host("db.example.com"), None);
    }
}
