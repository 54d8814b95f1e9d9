//! What `sparkify infra` builds. [`crate::settings`] reads it from `dwh.cfg` in either of its
//! two common layouts, the environment and flags:
//!
//! - the seed's: `[CLUSTER] CLUSTER_IDENTIFIER, CLUSTER_TYPE, NUM_NODES, NODE_TYPE, DB_NAME,
//!   DB_USER, DB_PASSWORD, DWH_PORT (or DB_PORT), DWH_IAM_ROLE_NAME, HOST`, `[IAM_ROLE] ARN`,
//!   with `REGION` in `[DEFAULT]`, `[AWS]` or `[CLUSTER]`;
//! - the course template's: `[DWH] DWH_CLUSTER_TYPE, DWH_NUM_NODES, DWH_NODE_TYPE,
//!   DWH_CLUSTER_IDENTIFIER, DWH_DB, DWH_DB_USER, DWH_DB_PASSWORD, DWH_PORT, DWH_IAM_ROLE_NAME`.
//!
//! Where `infra up` writes the endpoint and role ARN back follows the layout, so that
//! `--warehouse redshift` and the Redshift COPY find them afterwards.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Which `dwh.cfg` layout a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `[CLUSTER]` + `[IAM_ROLE]`, as in the seed project.
    Seed,
    /// `[DWH]`, as in the course's infrastructure-as-code template.
    Template,
}

/// One setting and where its value came from (shown by `plan`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub from: &'static str,
}

/// The Redshift cluster as configured: what `infra` creates and `--warehouse redshift`
/// connects to (one set of defaults for both; built by [`crate::settings`]). Its `Debug`
/// shows `***` for the password and the secret key.
#[derive(Clone)]
pub struct ClusterConfig {
    pub layout: Layout,
    pub config_path: Option<PathBuf>,
    pub region: Option<String>,
    pub identifier: Setting<String>,
    pub cluster_type: Setting<String>,
    pub node_type: Setting<String>,
    pub nodes: Setting<i32>,
    pub db_name: Setting<String>,
    pub db_user: Setting<String>,
    /// `None` when not configured: `up` generates one and stores it in `dwh.cfg`.
    pub password: Option<String>,
    pub port: Setting<i32>,
    pub role_name: Setting<String>,
    /// The one address range allowed to reach the cluster's port.
    pub cidr: Option<String>,
    /// Static keys from `[AWS] KEY/SECRET` (seed compatibility; a profile is better).
    pub static_keys: Option<(String, String)>,
    /// What `dwh.cfg` holds now under the keys `up` writes back (endpoint, role ARN).
    pub written: super::diff::ConfigKeys,
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |set: bool| if set { "Some(***)" } else { "None" };
        f.debug_struct("ClusterConfig")
            .field("layout", &self.layout)
            .field("config_path", &self.config_path)
            .field("region", &self.region)
            .field("identifier", &self.identifier)
            .field("cluster_type", &self.cluster_type)
            .field("node_type", &self.node_type)
            .field("nodes", &self.nodes)
            .field("db_name", &self.db_name)
            .field("db_user", &self.db_user)
            .field(
                "password",
                &format_args!("{}", hidden(self.password.is_some())),
            )
            .field("port", &self.port)
            .field("role_name", &self.role_name)
            .field("cidr", &self.cidr)
            .field(
                "static_keys",
                &format_args!("{}", hidden(self.static_keys.is_some())),
            )
            .field("written", &self.written)
            .finish()
    }
}

/// The CIDR that opens the cluster to the whole internet.
pub const ANYWHERE: &str = "0.0.0.0/0";

/// The name the infra code has used for [`ClusterConfig`].
pub type Settings = ClusterConfig;

impl ClusterConfig {
    /// `(section, key)` pairs `up` writes back: endpoint, role ARN, password.
    pub fn write_back_keys(&self) -> WriteBack {
        match self.layout {
            Layout::Seed => WriteBack {
                host: ("CLUSTER", "HOST"),
                role_arn: ("IAM_ROLE", "ARN"),
                password: ("CLUSTER", "DB_PASSWORD"),
            },
            Layout::Template => WriteBack {
                host: ("DWH", "DWH_ENDPOINT"),
                role_arn: ("DWH", "DWH_ROLE_ARN"),
                password: ("DWH", "DWH_DB_PASSWORD"),
            },
        }
    }
}

pub struct WriteBack {
    pub host: (&'static str, &'static str),
    pub role_arn: (&'static str, &'static str),
    pub password: (&'static str, &'static str),
}

pub fn validate_identifier(id: &str) -> Result<()> {
    // Redshift: 1–63 lower-case letters, digits and hyphens; a letter first; no "--"; no
    // trailing hyphen.
    let ok = !id.is_empty()
        && id.len() <= 63
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.contains("--")
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "cluster identifier {id:?}: Redshift needs 1-63 lower-case letters, digits or \
             hyphens, starting with a letter, without \"--\" or a trailing hyphen"
        )))
    }
}

/// Redshift's rules for a master password (moto does not check them, so we do).
pub fn validate_password(pw: &str) -> Result<()> {
    let fail = |why: &str| Err(Error::usage(format!("the configured DB password {why}")));
    if !(8..=64).contains(&pw.len()) {
        return fail("must be 8 to 64 characters long");
    }
    if !pw.chars().any(|c| c.is_ascii_uppercase())
        || !pw.chars().any(|c| c.is_ascii_lowercase())
        || !pw.chars().any(|c| c.is_ascii_digit())
    {
        return fail("needs an upper-case letter, a lower-case letter and a digit");
    }
    if pw
        .chars()
        .any(|c| !c.is_ascii_graphic() || matches!(c, '\'' | '"' | '\\' | '/' | '@'))
    {
        return fail("may not contain spaces, quotes, \\, / or @");
    }
    Ok(())
}

pub fn validate_cidr(cidr: &str) -> Result<()> {
    let bad = || {
        Error::usage(format!(
            "ingress CIDR {cidr:?} is not an IPv4 range such as 203.0.113.7/32"
        ))
    };
    let (ip, bits) = cidr.split_once('/').ok_or_else(bad)?;
    ip.parse::<std::net::Ipv4Addr>().map_err(|_| bad())?;
    let bits: u8 = bits.parse().map_err(|_| bad())?;
    if bits > 32 {
        return Err(bad());
    }
    Ok(())
}

/// A strong password that meets Redshift's rules: 32 characters from the OS's random source.
pub fn generate_password() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; 64];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("reading /dev/urandom for a new password", e))?;
    // 57 symbols; taking bytes below 228 (= 4 × 57) keeps the choice uniform.
    let mut pw: String = bytes
        .iter()
        .filter(|b| **b < 228)
        .take(29)
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    // One of each class Redshift requires, whatever the draw.
    pw.push_str("Q7k");
    validate_password(&pw)?;
    Ok(pw)
}

/// On-demand list prices in USD per node-hour (us-east-1, 2026): an estimate, not a quote.
pub const PRICES: &[(&str, f64)] = &[
    ("dc2.large", 0.25),
    ("dc2.8xlarge", 4.80),
    ("ra3.large", 0.543),
    ("ra3.xlplus", 1.086),
    ("ra3.4xlarge", 3.26),
    ("ra3.16xlarge", 13.04),
];

/// The hourly cost of `nodes` nodes of `node_type`, when the price table knows it.
pub fn hourly_cost(node_type: &str, nodes: i32) -> Option<f64> {
    PRICES
        .iter()
        .find(|(t, _)| *t == node_type)
        .map(|(_, p)| p * f64::from(nodes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_redshifts_rules_and_differ() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        validate_password(&a).unwrap();
    }

    #[test]
    fn the_cost_estimate_multiplies_nodes() {
        assert_eq!(hourly_cost("dc2.large", 4), Some(1.0));
        assert_eq!(hourly_cost("xx.huge", 4), None);
    }
}
