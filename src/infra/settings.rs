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
    /// What the role may read: the `s3://` sources configured for the COPY (`[S3] LOG_DATA`,
    /// `SONG_DATA` as prefixes, `LOG_JSONPATH` as one object, or their environment variables).
    pub sources: Vec<super::policy::S3Grant>,
    /// The `s3://` data the COPY reads, named (events, songs, JSONPaths file): whose buckets'
    /// regions `plan` and `up` look up.
    pub copy_sources: Vec<crate::source::regions::Named>,
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

/// The widest ingress range `--allow-anywhere` is not needed for: a /16 is 65,536 addresses
/// (a campus or a provider's block); anything wider is most of an ISP or the whole internet.
pub const WIDEST_WITHOUT_ALLOW_ANYWHERE: u8 = 16;

/// `cidr` checked and in AWS's canonical form, with the host bits cleared
/// (`203.0.113.7/16` → `203.0.0.0/16`), so it compares equal to the rule EC2 reports and its
/// width is what the prefix length says.
pub fn validate_cidr(cidr: &str) -> Result<String> {
    let bad = || {
        Error::usage(format!(
            "ingress CIDR {cidr:?} is not an IPv4 range such as 203.0.113.7/32"
        ))
    };
    let (ip, bits) = cidr.split_once('/').ok_or_else(bad)?;
    let ip: std::net::Ipv4Addr = ip.parse().map_err(|_| bad())?;
    // Digits only: `u8::from_str` would also take "+8".
    if bits.is_empty() || !bits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let bits: u8 = bits.parse().map_err(|_| bad())?;
    if bits > 32 {
        return Err(bad());
    }
    let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
    let network = std::net::Ipv4Addr::from(u32::from(ip) & mask);
    Ok(format!("{network}/{bits}"))
}

/// The warning `plan` and `up` print for a range that needed `--allow-anywhere`.
pub fn wide_warning(cidr: &str) -> Option<String> {
    if cidr == ANYWHERE {
        return Some("the ingress rule opens the cluster's port to the whole internet".into());
    }
    wide(cidr).map(|n| {
        format!(
            "the ingress rule opens the cluster's port to {} addresses ({cidr})",
            crate::output::thousands(n as i64)
        )
    })
}

/// How many addresses a range [`validate_cidr`] accepted holds, when it is wider than
/// [`WIDEST_WITHOUT_ALLOW_ANYWHERE`] (and so needs `--allow-anywhere`).
pub fn wide(cidr: &str) -> Option<u64> {
    let bits: u8 = cidr.rsplit_once('/')?.1.parse().ok()?;
    (bits < WIDEST_WITHOUT_ALLOW_ANYWHERE).then(|| 1u64 << (32 - u32::from(bits)))
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

/// One node type sparkify knows the price of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeType {
    pub name: &'static str,
    /// On-demand list price in USD per node-hour, us-east-1.
    pub usd_per_hour: f64,
    /// AWS no longer recommends it for new clusters.
    pub deprecated: bool,
}

/// The node type `infra` creates when none is configured: the smallest RA3 size AWS sells,
/// as a single node or as a multi-node cluster.
pub const DEFAULT_NODE_TYPE: &str = "ra3.large";

/// On-demand list prices in USD per node-hour in us-east-1, as published on
/// <https://aws.amazon.com/redshift/pricing/> (recorded 2026-12-02; other regions differ,
/// reserved nodes cost less). An estimate for `plan` and `status`, not a quote. DC2 is listed only
/// to price clusters that still run on it: AWS deprecated it in April 2025 in favour of RA3
/// and Redshift Serverless.
pub const NODE_TYPES: &[NodeType] = &[
    NodeType {
        name: "ra3.large",
        usd_per_hour: 0.543,
        deprecated: false,
    },
    NodeType {
        name: "ra3.xlplus",
        usd_per_hour: 1.086,
        deprecated: false,
    },
    NodeType {
        name: "ra3.4xlarge",
        usd_per_hour: 3.26,
        deprecated: false,
    },
    NodeType {
        name: "ra3.16xlarge",
        usd_per_hour: 13.04,
        deprecated: false,
    },
    NodeType {
        name: "dc2.large",
        usd_per_hour: 0.25,
        deprecated: true,
    },
    NodeType {
        name: "dc2.8xlarge",
        usd_per_hour: 4.80,
        deprecated: true,
    },
];

/// When the price table was recorded (shown with every estimate).
pub const PRICES_AS_OF: &str = "2026-12-02";

/// The hourly cost of `nodes` nodes of `node_type`, when the price table knows it.
pub fn hourly_cost(node_type: &str, nodes: i32) -> Option<f64> {
    NODE_TYPES
        .iter()
        .find(|t| t.name == node_type)
        .map(|t| t.usd_per_hour * f64::from(nodes))
}

/// Why `node_type` should not be used for a new cluster, when it should not: the DC2 sizes
/// (deprecated by AWS in April 2025) and the DC1/DS2 ones retired before them.
pub fn deprecation(node_type: &str) -> Option<String> {
    let family = node_type.split('.').next().unwrap_or_default();
    let listed = NODE_TYPES
        .iter()
        .any(|t| t.name == node_type && t.deprecated);
    if listed || matches!(family, "dc1" | "dc2" | "ds1" | "ds2") {
        Some(format!(
            "node type {node_type} is deprecated: AWS retired the DC and DS node types (DC2 in \
             April 2025) and recommends RA3 or Redshift Serverless; set NODE_TYPE = \
             {DEFAULT_NODE_TYPE} (or ra3.xlplus) in dwh.cfg. AWS may refuse to create it."
        ))
    } else {
        None
    }
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
        assert_eq!(hourly_cost("ra3.large", 2), Some(1.086));
        assert_eq!(hourly_cost("xx.huge", 4), None);
    }

    #[test]
    fn the_default_node_type_is_current_and_priced() {
        assert!(deprecation(DEFAULT_NODE_TYPE).is_none());
        assert!(hourly_cost(DEFAULT_NODE_TYPE, 1).is_some());
        // The declared default (README, --help) is this one.
        assert_eq!(
            crate::settings::decl::decl("node_type").default,
            Some(DEFAULT_NODE_TYPE)
        );
    }

    #[test]
    fn dc2_and_older_node_types_are_deprecated_ra3_is_not() {
        for old in ["dc2.large", "dc2.8xlarge", "dc1.large", "ds2.xlarge"] {
            let why = deprecation(old).unwrap_or_default();
            assert!(
                why.contains(&format!("node type {old} is deprecated")),
                "{old}: {why}"
            );
            assert!(why.contains("ra3.large"), "{why}");
        }
        for current in ["ra3.large", "ra3.xlplus", "ra3.4xlarge", "ra3.16xlarge"] {
            assert_eq!(deprecation(current), None, "{current}");
        }
        // Every priced type that is not deprecated is RA3.
        for t in NODE_TYPES {
            assert_eq!(t.deprecated, !t.name.starts_with("ra3."), "{}", t.name);
        }
    }
}
