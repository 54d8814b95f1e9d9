//! What `sparkify infra` builds, from `dwh.cfg` in either of its two common layouts, the
//! environment and flags.
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

use crate::config::Ini;
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

#[derive(Debug, Clone)]
pub struct Settings {
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
}

/// The CIDR that opens the cluster to the whole internet.
pub const ANYWHERE: &str = "0.0.0.0/0";

impl Settings {
    /// Reads the settings; `cidr` and `allow_anywhere` come from the command line.
    pub fn from_config(ini: &Ini, cidr: Option<&str>, allow_anywhere: bool) -> Result<Settings> {
        let layout = if ini.has_section("DWH") && !ini.has_section("CLUSTER") {
            Layout::Template
        } else {
            Layout::Seed
        };
        let pick = |keys: &[(&'static str, &'static str)]| -> Option<(String, &'static str)> {
            keys.iter().find_map(|(s, k)| {
                ini.get(s, k).map(|v| {
                    (
                        v.trim().to_string(),
                        if *s == "DEFAULT" { "dwh.cfg" } else { *k },
                    )
                })
            })
        };
        let text = |keys: &[(&'static str, &'static str)], default: &str| match pick(keys) {
            Some((v, _)) => Setting {
                value: v,
                from: "dwh.cfg",
            },
            None => Setting {
                value: default.to_string(),
                from: "default",
            },
        };
        let number =
            |keys: &[(&'static str, &'static str)], default: i32, what: &str| match pick(keys) {
                Some((v, key)) => v
                    .parse::<i32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(|value| Setting {
                        value,
                        from: "dwh.cfg",
                    })
                    .ok_or_else(|| {
                        Error::usage(format!(
                            "dwh.cfg {key} = {v:?}: {what} must be a whole number above 0"
                        ))
                    }),
                None => Ok(Setting {
                    value: default,
                    from: "default",
                }),
            };
        let region = std::env::var("AWS_REGION")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| {
                pick(&[
                    ("AWS", "REGION"),
                    ("CLUSTER", "REGION"),
                    ("DWH", "DWH_REGION"),
                ])
                .map(|(v, _)| v)
            });
        let identifier = text(
            &[
                ("CLUSTER", "CLUSTER_IDENTIFIER"),
                ("DWH", "DWH_CLUSTER_IDENTIFIER"),
            ],
            "sparkify-dwh",
        );
        validate_identifier(&identifier.value)?;
        let cluster_type = text(
            &[("CLUSTER", "CLUSTER_TYPE"), ("DWH", "DWH_CLUSTER_TYPE")],
            "multi-node",
        );
        if !matches!(cluster_type.value.as_str(), "single-node" | "multi-node") {
            return Err(Error::usage(format!(
                "cluster type {:?}: must be single-node or multi-node",
                cluster_type.value
            )));
        }
        let mut nodes = number(
            &[("CLUSTER", "NUM_NODES"), ("DWH", "DWH_NUM_NODES")],
            4,
            "the number of nodes",
        )?;
        if cluster_type.value == "single-node" {
            nodes.value = 1;
        } else if nodes.value < 2 {
            return Err(Error::usage(
                "a multi-node cluster needs at least 2 nodes (or set the cluster type to single-node)",
            ));
        }
        let password =
            pick(&[("CLUSTER", "DB_PASSWORD"), ("DWH", "DWH_DB_PASSWORD")]).map(|(v, _)| v);
        if let Some(pw) = &password {
            validate_password(pw)?;
        }
        let cidr = cidr
            .map(str::to_string)
            .or_else(|| {
                std::env::var("SPARKIFY_CIDR")
                    .ok()
                    .filter(|v| !v.is_empty())
            })
            .or_else(|| pick(&[("CLUSTER", "CIDR"), ("DWH", "DWH_CIDR")]).map(|(v, _)| v));
        if let Some(c) = &cidr {
            validate_cidr(c)?;
            if c == ANYWHERE && !allow_anywhere {
                return Err(Error::usage(
                    "the ingress CIDR 0.0.0.0/0 opens the cluster to the whole internet; pass \
                     --allow-anywhere if that is really meant, or give your own address \
                     (e.g. --cidr 203.0.113.7/32)",
                ));
            }
        }
        let static_keys = match (ini.get("AWS", "KEY"), ini.get("AWS", "SECRET")) {
            (Some(k), Some(s)) => Some((k.to_string(), s.to_string())),
            _ => None,
        };
        Ok(Settings {
            layout,
            config_path: ini.path.clone(),
            region,
            identifier,
            cluster_type,
            node_type: text(
                &[("CLUSTER", "NODE_TYPE"), ("DWH", "DWH_NODE_TYPE")],
                "dc2.large",
            ),
            nodes,
            db_name: text(&[("CLUSTER", "DB_NAME"), ("DWH", "DWH_DB")], "sparkify"),
            db_user: text(
                &[("CLUSTER", "DB_USER"), ("DWH", "DWH_DB_USER")],
                "sparkify",
            ),
            password,
            port: number(
                &[
                    ("CLUSTER", "DWH_PORT"),
                    ("CLUSTER", "DB_PORT"),
                    ("DWH", "DWH_PORT"),
                ],
                5439,
                "the port",
            )?,
            role_name: text(
                &[
                    ("CLUSTER", "DWH_IAM_ROLE_NAME"),
                    ("DWH", "DWH_IAM_ROLE_NAME"),
                ],
                "sparkify-s3-read",
            ),
            cidr,
            static_keys,
        })
    }

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

fn validate_identifier(id: &str) -> Result<()> {
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

    fn ini(text: &str) -> Ini {
        Ini::parse(text).unwrap()
    }

    #[test]
    fn both_layouts_are_read() {
        let seed = ini(
            "[DEFAULT]\nREGION=us-west-2\n[CLUSTER]\nCLUSTER_IDENTIFIER=dwh-a\nCLUSTER_TYPE=multi-node\nNUM_NODES=2\nNODE_TYPE=ra3.xlplus\nDB_NAME=dev\nDB_USER=awsuser\nDB_PASSWORD=Passw0rd1\nDWH_PORT=5439\nDWH_IAM_ROLE_NAME=myRole\n",
        );
        let s = Settings::from_config(&seed, Some("203.0.113.7/32"), false).unwrap();
        assert_eq!(s.layout, Layout::Seed);
        assert_eq!(s.identifier.value, "dwh-a");
        assert_eq!(
            (s.nodes.value, s.node_type.value.as_str()),
            (2, "ra3.xlplus")
        );
        assert_eq!(s.role_name.value, "myRole");
        assert_eq!(s.password.as_deref(), Some("Passw0rd1"));

        let template = ini(
            "[AWS]\nKEY=AKIA\nSECRET=shh\n[DWH]\nDWH_CLUSTER_TYPE=single-node\nDWH_NUM_NODES=4\nDWH_NODE_TYPE=dc2.large\nDWH_CLUSTER_IDENTIFIER=dwhcluster\nDWH_DB=dwh\nDWH_DB_USER=dwhuser\nDWH_DB_PASSWORD=Passw0rd\nDWH_PORT=5439\nDWH_IAM_ROLE_NAME=dwhRole\n",
        );
        let t = Settings::from_config(&template, None, false).unwrap();
        assert_eq!(t.layout, Layout::Template);
        assert_eq!(
            (t.cluster_type.value.as_str(), t.nodes.value),
            ("single-node", 1)
        );
        assert_eq!(t.db_name.value, "dwh");
        assert_eq!(t.static_keys, Some(("AKIA".into(), "shh".into())));
        assert_eq!(t.write_back_keys().host, ("DWH", "DWH_ENDPOINT"));
    }

    #[test]
    fn unsafe_or_invalid_settings_are_refused() {
        let empty = Ini::default();
        let err = Settings::from_config(&empty, Some("0.0.0.0/0"), false).unwrap_err();
        assert!(err.to_string().contains("--allow-anywhere"), "{err}");
        assert!(Settings::from_config(&empty, Some("0.0.0.0/0"), true).is_ok());
        assert!(Settings::from_config(&empty, Some("10.0.0.1"), false).is_err());
        assert!(Settings::from_config(&empty, Some("300.0.0.1/32"), false).is_err());
        let bad_pw = ini("[CLUSTER]\nDB_PASSWORD=short\n");
        assert!(Settings::from_config(&bad_pw, None, false).is_err());
        let bad_id = ini("[CLUSTER]\nCLUSTER_IDENTIFIER=My_Cluster\n");
        assert!(Settings::from_config(&bad_id, None, false).is_err());
        let bad_nodes = ini("[CLUSTER]\nNUM_NODES=four\n");
        assert!(Settings::from_config(&bad_nodes, None, false).is_err());
    }

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
