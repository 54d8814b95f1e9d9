//! A real `moto` server (PyPI `moto[server]`) on 127.0.0.1 for the AWS tests: S3 sources and
//! the Redshift infrastructure. Started once per test binary, stopped by a watchdog as soon as
//! the test process is gone (also on SIGKILL).
//!
//! The server binary: `SPARKIFY_MOTO_SERVER` (which `scripts/test` sets), else
//! `bin/moto_server` in the virtualenv `scripts/test` installs (`SPARKIFY_MOTO_VENV`, by default
//! `~/.cache/sparkify-moto`), else `moto_server` on the PATH for a plain `cargo test`.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;

pub struct Moto {
    pub endpoint: String,
    runtime: tokio::runtime::Runtime,
    s3: aws_sdk_s3::Client,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The environment that points the AWS SDK (in `sparkify` or a test) at the server.
pub fn env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_REGION", "us-west-2".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        // Nothing from the developer's own AWS setup may leak in.
        ("AWS_CONFIG_FILE", "/nonexistent".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("SPARKIFY_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let venv = match std::env::var("SPARKIFY_MOTO_VENV") {
        Ok(v) => Some(PathBuf::from(v)),
        Err(_) => std::env::var("HOME")
            .ok()
            .map(|home| PathBuf::from(home).join(".cache/sparkify-moto")),
    };
    if let Some(p) = venv.map(|v| v.join("bin/moto_server"))
        && p.is_file()
    {
        return p;
    }
    PathBuf::from("moto_server")
}

pub fn server() -> &'static Moto {
    MOTO.get_or_init(start)
}

fn start() -> Moto {
    let bin = binary();
    let log = std::env::temp_dir().join(format!("sparkify-moto-{}.log", std::process::id()));
    // Port 0: the server binds a free port itself and names it in its log, so no port found
    // free here can be taken by another process before moto binds it.
    let log_file = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", "0"])
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .stdin(Stdio::null())
        // One open file for both, so the lines do not overwrite each other.
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}. Run the tests with `scripts/test`, which installs \
                 moto 5.2.5 into ~/.cache/sparkify-moto (or SPARKIFY_MOTO_VENV), or set \
                 SPARKIFY_MOTO_SERVER",
                bin.display()
            )
        });
    let moto_pid = child.id();
    // The server outlives a killed test process otherwise; its log (read only for the port,
    // and by a person while the tests run) goes with it, so /tmp does not fill up run by run.
    // The log's path reaches the shell as an argument, never pasted into the script.
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; kill {moto_pid} 2>/dev/null; \
         rm -f -- \"$1\"",
        pid = std::process::id()
    );
    let started = Command::new("setsid")
        .args(["-f", "sh", "-c", &watchdog, "sh"])
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("start the watchdog");
    assert!(started.success(), "could not start the watchdog");

    let deadline = Instant::now() + Duration::from_secs(30);
    let port = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(port) = text
            .split("Running on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|p| p.parse::<u16>().ok())
        {
            break port;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "moto exited at start:\n{text}"
        );
        assert!(
            Instant::now() < deadline,
            "moto did not start within 30 s; see {}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::mem::forget(child);
    let endpoint = format!("http://127.0.0.1:{port}");
    // The log line comes as the socket listens; connecting confirms it.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s3 = runtime.block_on(async {
        let creds = aws_sdk_s3::config::Credentials::new("test", "test", None, None, "tests");
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .http_client(sparkify::aws::http_client())
            .region(aws_sdk_s3::config::Region::new("us-west-2"))
            .endpoint_url(&endpoint)
            .credentials_provider(creds)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    });
    Moto {
        endpoint,
        runtime,
        s3,
    }
}

impl Moto {
    pub fn create_bucket(&self, bucket: &str) {
        self.create_bucket_in(bucket, "us-west-2");
    }

    /// A bucket in `region` (moto keeps the LocationConstraint, as GetBucketLocation shows).
    pub fn create_bucket_in(&self, bucket: &str, region: &str) {
        self.runtime.block_on(async {
            let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                .build();
            self.s3
                .create_bucket()
                .bucket(bucket)
                .create_bucket_configuration(location)
                .customize()
                .config_override(
                    aws_sdk_s3::config::Builder::default()
                        .region(aws_sdk_s3::config::Region::new(region.to_string())),
                )
                .send()
                .await
                .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
        });
    }

    pub fn put(&self, bucket: &str, key: &str, body: Vec<u8>) {
        self.runtime.block_on(async {
            self.s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(body))
                .send()
                .await
                .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
        });
    }

    /// The body of one object.
    pub fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        self.runtime.block_on(async {
            let out = self
                .s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .unwrap_or_else(|e| panic!("get s3://{bucket}/{key}: {e:?}"));
            out.body.collect().await.unwrap().into_bytes().to_vec()
        })
    }

    /// The keys under `prefix`, in order.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        self.runtime.block_on(async {
            let out = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .send()
                .await
                .unwrap_or_else(|e| panic!("list s3://{bucket}/{prefix}: {e:?}"));
            out.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string))
                .collect()
        })
    }

    /// Makes a bucket and every object in it readable by anyone (canned ACL public-read).
    pub fn make_public(&self, bucket: &str) {
        use aws_sdk_s3::types::{BucketCannedAcl, ObjectCannedAcl};
        self.runtime.block_on(async {
            self.s3
                .put_bucket_acl()
                .bucket(bucket)
                .acl(BucketCannedAcl::PublicRead)
                .send()
                .await
                .unwrap_or_else(|e| panic!("bucket ACL {bucket}: {e:?}"));
            let listed = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .send()
                .await
                .unwrap_or_else(|e| panic!("list {bucket}: {e:?}"));
            assert!(
                !listed.is_truncated().unwrap_or(false),
                "more than one page"
            );
            for object in listed.contents() {
                let key = object.key().unwrap_or_default();
                self.s3
                    .put_object_acl()
                    .bucket(bucket)
                    .key(key)
                    .acl(ObjectCannedAcl::PublicRead)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("object ACL {key}: {e:?}"));
            }
        });
    }

    pub fn delete(&self, bucket: &str, key: &str) {
        self.runtime.block_on(async {
            self.s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .unwrap_or_else(|e| panic!("delete s3://{bucket}/{key}: {e:?}"));
        });
    }

    /// Uploads every file below `dir` under `prefix`, keeping relative paths; returns how many.
    pub fn upload_dir(&self, bucket: &str, prefix: &str, dir: &std::path::Path) -> usize {
        let mut n = 0;
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry.path().strip_prefix(dir).unwrap();
            let key = format!("{prefix}/{}", rel.display());
            self.put(bucket, &key, std::fs::read(entry.path()).unwrap());
            n += 1;
        }
        n
    }
}
