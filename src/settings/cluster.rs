//! The cluster's configuration ([`ClusterConfig`]): what `infra` creates and
//! `--warehouse redshift` connects to, with one set of defaults for both.

use std::path::Path;

use super::{Origin, Settings, decl};
use crate::error::{Error, Result};
use crate::infra::policy::S3Grant;
use crate::infra::settings::{self as cluster, ClusterConfig, Layout, Setting};

impl Settings {
    /// The cluster's configuration; `cidr` and `allow_anywhere` come from the command line.
    pub fn cluster(&self, cidr: Option<String>, allow_anywhere: bool) -> Result<ClusterConfig> {
        let mut config = self.cluster_identity()?;
        if let Some(pw) = &config.password {
            cluster::validate_password(pw)?;
        }
        config.cidr = match self.get("cidr", cidr) {
            Some(c) => Some(cluster::validate_cidr(&c)?),
            None => None,
        };
        if let Some(c) = &config.cidr
            && let Some(addresses) = cluster::wide(c)
            && !allow_anywhere
        {
            // Any range this wide, however spelled (1.2.3.4/0, 10.0.0.0/8), not only 0.0.0.0/0.
            return Err(Error::usage(format!(
                "the ingress CIDR {c} opens the cluster's port to {} addresses (wider than /{}); \
                 pass --allow-anywhere if that is really meant, or give your own address \
                 (e.g. --cidr 203.0.113.7/32)",
                crate::output::thousands(addresses as i64),
                cluster::WIDEST_WITHOUT_ALLOW_ANYWHERE
            )));
        }
        Ok(config)
    }

    /// The `s3://` sources the COPY reads, as the role must be allowed to read them: the
    /// songs and events as prefixes, the JSONPaths file as one object, and the prefix where
    /// incremental runs write the manifests each COPY reads. Local paths (and `auto`) need no
    /// permission and are left out.
    fn s3_sources(&self) -> Result<Vec<S3Grant>> {
        let mut grants = Vec::new();
        for (name, prefix) in [
            ("events", true),
            ("songs", true),
            ("jsonpaths", false),
            ("manifest_prefix", true),
        ] {
            let Some((value, origin)) = self.lookup(name, None) else {
                continue;
            };
            if !value.starts_with("s3://") {
                continue;
            }
            let grant = if prefix {
                S3Grant::prefix(&value)
            } else {
                S3Grant::object(&value)
            };
            grants.push(grant.map_err(|e| {
                Error::usage(format!(
                    "{}: {e}",
                    super::origin_name(decl::decl(name), origin)
                ))
            })?);
        }
        Ok(grants)
    }

    /// Everything about the cluster but the ingress rule.
    fn cluster_identity(&self) -> Result<ClusterConfig> {
        let text = |name: &str| -> Setting<String> {
            match self.lookup(name, None) {
                Some((value, _)) => Setting {
                    value,
                    from: "dwh.cfg",
                },
                None => Setting {
                    value: decl::decl(name).default.unwrap_or_default().to_string(),
                    from: "default",
                },
            }
        };
        let number = |name: &str, what: &str| -> Result<Setting<i32>> {
            let d = decl::decl(name);
            match self.lookup(name, None) {
                Some((v, origin)) => v
                    .parse::<i32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(|value| Setting {
                        value,
                        from: "dwh.cfg",
                    })
                    .ok_or_else(|| {
                        let key = match origin {
                            Origin::Config(_, key) => key.to_string(),
                            other => super::origin_name(d, other),
                        };
                        Error::usage(format!(
                            "dwh.cfg {key} = {v:?}: {what} must be a whole number above 0"
                        ))
                    }),
                None => Ok(Setting {
                    value: self.parsed(name, None)?,
                    from: "default",
                }),
            }
        };
        let identifier = text("cluster_identifier");
        cluster::validate_identifier(&identifier.value)?;
        let cluster_type = text("cluster_type");
        if !matches!(cluster_type.value.as_str(), "single-node" | "multi-node") {
            return Err(Error::usage(format!(
                "cluster type {:?}: must be single-node or multi-node",
                cluster_type.value
            )));
        }
        let mut nodes = number("num_nodes", "the number of nodes")?;
        if cluster_type.value == "single-node" {
            nodes.value = 1;
        } else if nodes.value < 2 {
            return Err(Error::usage(
                "a multi-node cluster needs at least 2 nodes (or set the cluster type to single-node)",
            ));
        }
        let static_keys = self.static_keys();
        let mut config = ClusterConfig {
            layout: if self.ini.has_section("DWH") && !self.ini.has_section("CLUSTER") {
                Layout::Template
            } else {
                Layout::Seed
            },
            config_path: self.config_path().map(Path::to_path_buf),
            region: self.region(),
            identifier,
            cluster_type,
            node_type: text("node_type"),
            nodes,
            db_name: text("db_name"),
            db_user: text("db_user"),
            password: self.get("db_password", None),
            port: number("db_port", "the port")?,
            role_name: text("iam_role_name"),
            cidr: None,
            sources: self.s3_sources()?,
            copy_sources: ["events", "songs", "jsonpaths"]
                .into_iter()
                .filter_map(|name| {
                    let (value, _) = self.lookup(name, None)?;
                    let what = match name {
                        "jsonpaths" => "JSONPaths file",
                        other => other,
                    };
                    value.starts_with("s3://").then_some((what, value))
                })
                .collect(),
            static_keys,
            written: Default::default(),
        };
        let keys = config.write_back_keys();
        let file = |(section, key): (&str, &str)| self.ini.get(section, key).map(str::to_string);
        config.written.role_arn = file(keys.role_arn);
        config.written.host = file(keys.host);
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Ini;

    fn settings(text: &str) -> Settings {
        Settings::new(Ini::parse(text).unwrap(), &[])
    }

    #[test]
    fn both_dwh_cfg_layouts_are_read() {
        let seed = settings(
            "[DEFAULT]\nREGION=us-west-2\n[CLUSTER]\nCLUSTER_IDENTIFIER=dwh-a\nCLUSTER_TYPE=multi-node\nNUM_NODES=2\nNODE_TYPE=ra3.xlplus\nDB_NAME=dev\nDB_USER=awsuser\nDB_PASSWORD=Passw0rd1\nDWH_PORT=5439\nDWH_IAM_ROLE_NAME=myRole\n",
        );
        let s = seed.cluster(Some("203.0.113.7/32".into()), false).unwrap();
        assert_eq!(s.layout, Layout::Seed);
        assert_eq!(s.identifier.value, "dwh-a");
        assert_eq!(
            (s.nodes.value, s.node_type.value.as_str()),
            (2, "ra3.xlplus")
        );
        assert_eq!(s.role_name.value, "myRole");
        assert_eq!(s.password.as_deref(), Some("Passw0rd1"));
        assert_eq!(s.region.as_deref(), Some("us-west-2"));

        let template = settings(
            "[AWS]\nKEY=AKIA\nSECRET=shh\n[DWH]\nDWH_CLUSTER_TYPE=single-node\nDWH_NUM_NODES=4\nDWH_NODE_TYPE=dc2.large\nDWH_CLUSTER_IDENTIFIER=dwhcluster\nDWH_DB=dwh\nDWH_DB_USER=dwhuser\nDWH_DB_PASSWORD=Passw0rd\nDWH_PORT=5439\nDWH_IAM_ROLE_NAME=dwhRole\n",
        );
        let t = template.cluster(None, false).unwrap();
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
    fn unsafe_or_invalid_cluster_settings_are_refused() {
        let empty = Settings::default();
        let err = empty.cluster(Some("0.0.0.0/0".into()), false).unwrap_err();
        assert!(err.to_string().contains("--allow-anywhere"), "{err}");
        assert!(empty.cluster(Some("0.0.0.0/0".into()), true).is_ok());
        assert!(empty.cluster(Some("10.0.0.1".into()), false).is_err());
        assert!(empty.cluster(Some("300.0.0.1/32".into()), false).is_err());
        for bad in [
            "[CLUSTER]\nDB_PASSWORD=short\n",
            "[CLUSTER]\nCLUSTER_IDENTIFIER=My_Cluster\n",
            "[CLUSTER]\nNUM_NODES=four\n",
        ] {
            assert!(settings(bad).cluster(None, false).is_err(), "{bad}");
        }
        let env = Settings::new(Ini::default(), &[("SPARKIFY_CIDR", "0.0.0.0/0")]);
        assert!(env.cluster(None, false).is_err());
    }

    #[test]
    fn any_range_wider_than_a_16_needs_allow_anywhere_and_host_bits_are_masked() {
        let empty = Settings::default();
        // Not only the literal 0.0.0.0/0: any spelling of a range wider than /16.
        for wide in ["0.0.0.0/0", "1.2.3.4/0", "10.0.0.0/8", "203.0.113.7/15"] {
            let err = empty.cluster(Some(wide.into()), false).unwrap_err();
            assert!(
                err.to_string().contains("--allow-anywhere"),
                "{wide}: {err}"
            );
            assert!(empty.cluster(Some(wide.into()), true).is_ok(), "{wide}");
        }
        // The range is stored as AWS names it: host bits cleared, so the rule compares equal.
        let c = empty.cluster(Some("1.2.3.4/0".into()), true).unwrap();
        assert_eq!(c.cidr.as_deref(), Some("0.0.0.0/0"));
        let c = empty
            .cluster(Some("203.0.113.77/16".into()), false)
            .unwrap();
        assert_eq!(c.cidr.as_deref(), Some("203.0.0.0/16"));
        let c = empty.cluster(Some("203.0.113.7/32".into()), false).unwrap();
        assert_eq!(c.cidr.as_deref(), Some("203.0.113.7/32"));
        for bad in [
            "10.0.0.1/33",
            "10.0.0.1/-1",
            "10.0.0.1/",
            "/8",
            "10.0.0.1/8/8",
        ] {
            assert!(empty.cluster(Some(bad.into()), true).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_roles_read_access_comes_from_the_configured_s3_sources() {
        let s = Settings::new(
            Ini::parse(
                "[S3]\nLOG_DATA='s3://udacity-dend/log_data'\nSONG_DATA=./song_data\n\
                 LOG_JSONPATH='s3://udacity-dend/log_json_path.json'\n",
            )
            .unwrap(),
            &[("SPARKIFY_SONGS", "s3://own-bucket/songs")],
        );
        let c = s.cluster(None, false).unwrap();
        assert_eq!(
            c.sources,
            vec![
                S3Grant::prefix("s3://udacity-dend/log_data").unwrap(),
                // The environment wins over dwh.cfg, as for the run itself.
                S3Grant::prefix("s3://own-bucket/songs").unwrap(),
                S3Grant::object("s3://udacity-dend/log_json_path.json").unwrap(),
            ]
        );
        // The manifests an incremental Redshift run writes are read by the COPY too.
        let s = settings(
            "[S3]\nLOG_DATA='s3://udacity-dend/log_data'\nMANIFEST_PREFIX=s3://mine/manifests/\n",
        );
        assert_eq!(
            s.cluster(None, false).unwrap().sources,
            vec![
                S3Grant::prefix("s3://udacity-dend/log_data").unwrap(),
                S3Grant::prefix("s3://mine/manifests/").unwrap(),
            ]
        );
        // Local sources need no permission.
        let local = settings("[S3]\nLOG_DATA=data/log_data\nSONG_DATA=data/song_data\n");
        assert!(local.cluster(None, false).unwrap().sources.is_empty());
        // A malformed URI is named with where it came from.
        let err = settings("[S3]\nLOG_DATA=s3:///log_data\n")
            .cluster(None, false)
            .unwrap_err();
        assert!(err.to_string().contains("dwh.cfg [S3] LOG_DATA"), "{err}");
    }
}
