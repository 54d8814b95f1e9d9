//! `infra up`, then `--warehouse redshift`: one set of cluster settings for both, and a login
//! without a stored password (temporary credentials from `GetClusterCredentials`), against a
//! real moto server on 127.0.0.1.
//!
//! moto creates no database server, so the login ends at a loopback listener that records the
//! user and database of the PostgreSQL startup message and refuses the password. That proves
//! sparkify asked Redshift for credentials and logged in with what it got; only a real cluster
//! proves the password is accepted.

mod common;
#[path = "common/moto.rs"]
mod moto;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::mpsc;

use common::{ok, text};

fn sparkify(cwd: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    common::sparkify()
        .current_dir(cwd)
        .env("SPARKIFY_POLL_SECONDS", "0.05")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .output()
}

/// The cluster as moto describes it: `redshift://USER@HOST:PORT/DB`.
fn described(endpoint: &str, id: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(sparkify::aws::http_client())
            .region(aws_config::Region::new("us-west-2"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load()
            .await;
        let out = aws_sdk_redshift::Client::new(&config)
            .describe_clusters()
            .cluster_identifier(id)
            .send()
            .await
            .unwrap();
        let c = &out.clusters()[0];
        let e = c.endpoint().unwrap();
        format!(
            "redshift://{}@{}:{}/{}",
            c.master_username().unwrap(),
            e.address().unwrap(),
            e.port().unwrap(),
            c.db_name().unwrap()
        )
    })
}

/// A loopback listener that answers one PostgreSQL startup message with "password
/// authentication failed" and sends its `user` and `database` parameters.
fn refusing_server() -> (u16, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut len = [0u8; 4];
        conn.read_exact(&mut len).unwrap();
        let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
        conn.read_exact(&mut body).unwrap();
        // Protocol version, then key\0value\0 pairs.
        let fields: Vec<String> = body[4..]
            .split(|b| *b == 0)
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let param = |name: &str| {
            fields
                .iter()
                .position(|f| f == name)
                .map(|i| fields[i + 1].clone())
                .unwrap_or_default()
        };
        tx.send((param("user"), param("database"))).unwrap();
        let mut error = Vec::new();
        for (code, text) in [
            (b'S', "FATAL"),
            (b'C', "28P01"),
            (b'M', "password authentication failed"),
        ] {
            error.push(code);
            error.extend_from_slice(text.as_bytes());
            error.push(0);
        }
        error.push(0);
        let mut message = vec![b'E'];
        message.extend_from_slice(&((error.len() + 4) as u32).to_be_bytes());
        message.extend_from_slice(&error);
        let _ = conn.write_all(&message);
    });
    (port, rx)
}

#[test]
fn the_cluster_up_creates_is_the_one_the_warehouse_names_and_iam_logs_in() {
    let moto = moto::server();
    let env = moto::env(&moto.endpoint);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("dwh.cfg"), "").unwrap();
    ok(&sparkify(
        tmp.path(),
        &env,
        &["infra", "up", "--cidr", "192.0.2.8/32"],
    ));

    // The target `--warehouse redshift` resolves (shown by --dry-run, which connects to
    // nothing) is exactly the cluster's endpoint, master user, port and database.
    let dry = ok(&sparkify(
        tmp.path(),
        &env,
        &["create-tables", "--dry-run", "--warehouse", "redshift"],
    ));
    let target = dry
        .lines()
        .next()
        .and_then(|l| l.split("statements for ").nth(1))
        .and_then(|l| l.split(", in order").next())
        .unwrap_or_default()
        .to_string();
    assert_eq!(target, described(&moto.endpoint, "sparkify-dwh"), "{dry}");

    // No password anywhere (up stored the master password; take it out): sparkify gets
    // temporary credentials for the master user and logs in with them.
    let cfg = std::fs::read_to_string(tmp.path().join("dwh.cfg")).unwrap();
    let without: String = cfg
        .lines()
        .filter(|l| !l.starts_with("DB_PASSWORD"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(cfg, without, "up stored no DB_PASSWORD to take out:\n{cfg}");
    std::fs::write(tmp.path().join("dwh.cfg"), without).unwrap();
    let (port, login) = refusing_server();
    let out = sparkify(
        tmp.path(),
        &env,
        &[
            "create-tables",
            "--warehouse",
            &format!("redshift://awsuser@127.0.0.1:{port}/dev?sslmode=disable"),
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
    let (user, database) = login.recv().unwrap();
    assert_eq!((user.as_str(), database.as_str()), ("IAM:awsuser", "dev"));

    // A cluster Redshift does not know (named by its endpoint, as no dwh.cfg names one): the
    // message says what to configure, and nothing is connected to.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = sparkify(
        elsewhere.path(),
        &env,
        &[
            "create-tables",
            "--warehouse",
            "redshift://awsuser@nope.c1x2y3z4.us-west-2.redshift.amazonaws.com/dev",
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("GetClusterCredentials") && stderr.contains("cluster nope"),
        "{stderr}"
    );
}
