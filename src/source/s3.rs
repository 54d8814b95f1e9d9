//! `s3://bucket/prefix` sources, read with the AWS SDK.
//!
//! Listing follows Redshift COPY: every object whose key *starts with* the prefix, so
//! `s3://b/log_data` also reads `s3://b/log_data_old/...` (S3's own `ListObjectsV2` prefix
//! rule, not path segments). Keys ending in `/` (folder markers) and hidden names (`.DS_Store`,
//! `.part-0.crc`) below the prefix are passed over and reported, as for local folders.
//!
//! The standard AWS configuration applies: `AWS_REGION`/profile, the credential chain
//! (environment, profile, SSO, IMDS), and `AWS_ENDPOINT_URL` for S3-compatible servers (MinIO,
//! moto, Ceph), which also switches to path-style addressing. With no credentials at all the
//! requests go unsigned, which is what a public bucket such as the seed's `udacity-dend` needs.
//! Throttling and 5xx answers are retried with exponential backoff by the SDK's standard retry
//! strategy.

use std::sync::OnceLock;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::ProvideCredentials;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};

use super::{Listing, SourceFile};
use crate::error::{Error, Result};

/// Attempts per request (the first try included) before an error is reported.
const MAX_ATTEMPTS: u32 = 5;

/// The region used when neither the settings nor the AWS profile name one: the seed's public
/// bucket (and so, by default, its cluster) lives there.
pub const DEFAULT_REGION: &str = "us-west-2";

/// The region sparkify's settings chose (`AWS_REGION`, `dwh.cfg`), and the one used when
/// neither they nor the AWS profile name one. Set once, before the first request.
static REGION: OnceLock<(Option<String>, &'static str)> = OnceLock::new();

/// Tells the S3 client which region the settings chose; without a call, the AWS profile's
/// region or us-west-2 (the seed's public bucket) is used.
pub fn configure(region: Option<String>, fallback: &'static str) {
    let _ = REGION.set((region, fallback));
}

fn region_chain() -> RegionProviderChain {
    let (configured, fallback) = REGION.get().cloned().unwrap_or((None, DEFAULT_REGION));
    RegionProviderChain::first_try(configured.map(aws_config::Region::new))
        .or_default_provider()
        .or_else(fallback)
}

/// A bucket and a key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

impl S3Uri {
    pub fn parse(uri: &str) -> Result<S3Uri> {
        let rest = uri
            .strip_prefix("s3://")
            .ok_or_else(|| Error::usage(format!("{uri}: not an s3:// URI")))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::usage(format!("{uri}: no bucket name")));
        }
        Ok(S3Uri {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// The process-wide client and the runtime its futures run on. Building it reads the AWS
/// configuration once; the loader's worker threads then share it.
struct S3 {
    runtime: tokio::runtime::Runtime,
    client: Client,
    /// Said once, when the client is built (e.g. "no credentials: unsigned requests").
    note: Option<String>,
}

static S3_CLIENT: OnceLock<std::result::Result<S3, String>> = OnceLock::new();

fn s3() -> Result<&'static S3> {
    S3_CLIENT
        .get_or_init(build)
        .as_ref()
        .map_err(|message| Error::Source {
            path: "s3://".into(),
            message: message.clone(),
        })
}

static NOTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A remark about how S3 is reached, returned once per process for the caller to show.
pub fn note() -> Option<&'static str> {
    let note = S3_CLIENT.get()?.as_ref().ok()?.note.as_deref()?;
    (!NOTED.swap(true, std::sync::atomic::Ordering::SeqCst)).then_some(note)
}

fn build() -> std::result::Result<S3, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the S3 client's runtime: {e}"))?;
    let (client, note) = runtime.block_on(async {
        let loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(crate::aws::http_client())
            .region(region_chain())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        let mut config = loader.load().await;
        let mut note = None;
        // Only "no credentials anywhere" means a public bucket; an expired SSO token or a
        // broken profile is an error to show, not a reason to go unsigned.
        let signed = match config.credentials_provider() {
            Some(provider) => match provider.provide_credentials().await {
                Ok(_) => true,
                Err(CredentialsError::CredentialsNotLoaded(_)) => false,
                Err(e) => {
                    return Err(format!(
                        "the AWS credentials could not be loaded: {}",
                        DisplayErrorContext(&e)
                    ));
                }
            },
            None => false,
        };
        if !signed {
            config = aws_config::defaults(BehaviorVersion::latest())
                .http_client(crate::aws::http_client())
                .region(region_chain())
                .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
                .no_credentials()
                .load()
                .await;
            note = Some(
                "no AWS credentials found: reading S3 with unsigned requests (enough for a \
                 public bucket; configure a profile or AWS_ACCESS_KEY_ID for a private one)"
                    .to_string(),
            );
        }
        // A custom endpoint (MinIO, moto, Ceph) rarely resolves bucket subdomains.
        let custom_endpoint = config.endpoint_url().is_some();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(custom_endpoint)
            .build();
        Ok((Client::from_conf(s3_config), note))
    })?;
    Ok(S3 {
        runtime,
        client,
        note,
    })
}

/// Turns an SDK error into one line a person can act on.
fn describe<E>(err: &aws_sdk_s3::error::SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err.code() {
        Some("NoSuchBucket") => "no such bucket".into(),
        Some("NoSuchKey") => "no such object".into(),
        Some("AccessDenied") => {
            "access denied (check the AWS credentials, profile and bucket policy)".into()
        }
        Some("InvalidAccessKeyId") | Some("SignatureDoesNotMatch") => {
            "the AWS credentials were refused".into()
        }
        Some(code) => format!("{code}: {}", err.message().unwrap_or("request failed")),
        None => match err.raw_response().map(|r| r.status().as_u16()) {
            Some(403) => "access denied (HTTP 403): the bucket is not public, or the AWS \
                          credentials may not read it"
                .into(),
            Some(404) => "not found (HTTP 404)".into(),
            Some(status) => format!("the server answered HTTP {status}"),
            None => format!("{}", DisplayErrorContext(err)),
        },
    }
}

/// The ledger's version of an object: its ETag without S3's quotes.
fn etag_version(etag: &str) -> String {
    format!("etag:{}", etag.trim_matches('"'))
}

/// Lists every object whose key starts with the URI's key, in key order.
pub fn list(uri: &str) -> Result<Listing> {
    let loc = S3Uri::parse(uri)?;
    let s3 = s3()?;
    let mut listing = Listing::default();
    let folder = loc.key.rfind('/').map_or(0, |i| i + 1);
    s3.runtime.block_on(async {
        let mut pages = s3
            .client
            .list_objects_v2()
            .bucket(&loc.bucket)
            .prefix(&loc.key)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::Source {
                path: uri.to_string(),
                message: format!("cannot list: {}", describe(&e)),
            })?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                let location = format!("s3://{}/{key}", loc.bucket);
                if key.ends_with('/') {
                    continue;
                }
                // Hidden names below the prefix's folder; the user's own prefix may be hidden.
                // S3 lists only keys that start with the prefix; a listing that names another
                // (a broken proxy or endpoint) cannot be trusted to be the source.
                let Some(below) = key
                    .strip_prefix(&loc.key[..folder])
                    .filter(|_| key.starts_with(loc.key.as_str()))
                else {
                    return Err(Error::Source {
                        path: uri.to_string(),
                        message: format!(
                            "the listing named {location}, which is not under the prefix; the \
                             endpoint's answer cannot be trusted, nothing was loaded"
                        ),
                    });
                };
                if below.split('/').any(|part| part.starts_with('.')) {
                    listing.skipped.push(location);
                    continue;
                }
                listing.files.push(SourceFile {
                    location,
                    size: object.size().unwrap_or(0).max(0) as u64,
                    version: object.e_tag().map(etag_version),
                });
            }
        }
        Ok::<(), Error>(())
    })?;
    listing.files.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(listing)
}

/// Size and ETag of one object, or `None` when it does not exist.
pub fn head(uri: &str) -> Result<Option<SourceFile>> {
    let loc = S3Uri::parse(uri)?;
    let s3 = s3()?;
    s3.runtime.block_on(async {
        match s3
            .client
            .head_object()
            .bucket(&loc.bucket)
            .key(&loc.key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(SourceFile {
                location: uri.to_string(),
                size: out.content_length().unwrap_or(0).max(0) as u64,
                version: out.e_tag().map(etag_version),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(Error::Source {
                path: uri.to_string(),
                message: describe(&e),
            }),
        }
    })
}

/// The region bucket `bucket` is in (S3's `GetBucketLocation`; an empty answer is us-east-1,
/// `EU` the old name of eu-west-1), or why it could not be looked up (no such bucket, no
/// `s3:GetBucketLocation` permission, a public bucket that answers only reads).
pub fn bucket_region(bucket: &str) -> std::result::Result<String, String> {
    let s3 = s3().map_err(|e| e.to_string())?;
    s3.runtime.block_on(async {
        match s3.client.get_bucket_location().bucket(bucket).send().await {
            Ok(out) => Ok(match out.location_constraint().map(|c| c.as_str()) {
                None | Some("") => "us-east-1".to_string(),
                Some("EU") => "eu-west-1".to_string(),
                Some(region) => region.to_string(),
            }),
            Err(e) => Err(describe(&e)),
        }
    })
}

/// Writes one object (a manifest for Redshift's COPY).
pub fn put(uri: &str, body: Vec<u8>) -> Result<()> {
    let loc = S3Uri::parse(uri)?;
    let s3 = s3()?;
    s3.runtime.block_on(async {
        s3.client
            .put_object()
            .bucket(&loc.bucket)
            .key(&loc.key)
            .content_type("application/json")
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Error::Source {
                path: uri.to_string(),
                message: format!("cannot write: {}", describe(&e)),
            })
    })
}

/// Reads one object whole (a manifest or a JSONPaths file).
pub fn read(uri: &str) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut opened = get(uri, None).map_err(|e| e.into_error(uri))?;
    let mut bytes = Vec::new();
    opened
        .reader
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Source {
            path: uri.to_string(),
            message: e.to_string(),
        })?;
    Ok(bytes)
}

/// Opens one listed object as a stream, with the size and ETag of the version being read. The
/// request says `If-Match` with the listed ETag; when the object was replaced since the
/// listing (412 Precondition Failed) it is read again as it is now, as COPY reads what the
/// bucket holds when it gets there, and the ledger records that version, so the next run
/// compares against what was loaded rather than against a listing that no longer exists. The
/// ETag answers for every byte of the body, which one GET sends.
pub fn open_listed(file: &SourceFile) -> Result<super::Opened> {
    let uri = file.location.as_str();
    let listed = file
        .version
        .as_deref()
        .and_then(|v| v.strip_prefix("etag:"));
    match get(uri, listed) {
        Err(GetError::Replaced) => get(uri, None).map_err(|e| e.into_error(uri)),
        other => other.map_err(|e| e.into_error(uri)),
    }
}

/// Why a GET failed: the object no longer has the `If-Match` ETag, or anything else.
enum GetError {
    Replaced,
    Failed(Error),
}

impl GetError {
    fn into_error(self, uri: &str) -> Error {
        match self {
            GetError::Failed(e) => e,
            GetError::Replaced => Error::Source {
                path: uri.to_string(),
                message: "the object was replaced while it was read; run again".into(),
            },
        }
    }
}

/// An object's body as a blocking reader: each read waits for the next piece the connection
/// delivers, so only that piece is held, whatever the object's size.
struct Body {
    s3: &'static S3,
    stream: aws_sdk_s3::primitives::ByteStream,
    piece: Vec<u8>,
    at: usize,
}

impl std::io::Read for Body {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.piece.len() {
            match self.s3.runtime.block_on(self.stream.try_next()) {
                Ok(Some(piece)) => {
                    self.piece.clear();
                    self.piece.extend_from_slice(&piece);
                    self.at = 0;
                }
                Ok(None) => return Ok(0),
                Err(e) => {
                    return Err(std::io::Error::other(format!(
                        "reading was cut off: {}",
                        DisplayErrorContext(&e)
                    )));
                }
            }
        }
        let n = out.len().min(self.piece.len() - self.at);
        out[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// One GET of `uri`, conditional on its ETag being `if_match` (without S3's quotes) when given;
/// the body is left to be read as a stream.
fn get(uri: &str, if_match: Option<&str>) -> std::result::Result<super::Opened, GetError> {
    let loc = S3Uri::parse(uri).map_err(GetError::Failed)?;
    let s3 = s3().map_err(GetError::Failed)?;
    let failed = |message: String| {
        GetError::Failed(Error::Source {
            path: uri.to_string(),
            message,
        })
    };
    let out = s3.runtime.block_on(async {
        s3.client
            .get_object()
            .bucket(&loc.bucket)
            .key(&loc.key)
            .set_if_match(if_match.map(|etag| format!("\"{etag}\"")))
            .send()
            .await
            .map_err(|e| {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if status == Some(412) || e.code() == Some("PreconditionFailed") {
                    GetError::Replaced
                } else {
                    failed(format!("cannot read: {}", describe(&e)))
                }
            })
    })?;
    Ok(super::Opened {
        file: SourceFile {
            location: uri.to_string(),
            size: out.content_length().unwrap_or(0).max(0) as u64,
            version: out.e_tag().map(etag_version),
        },
        reader: Box::new(Body {
            s3,
            stream: out.body,
            piece: Vec::new(),
            at: 0,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_split_into_bucket_and_key_prefix() {
        let u = S3Uri::parse("s3://udacity-dend/log_data").unwrap();
        assert_eq!(
            (u.bucket.as_str(), u.key.as_str()),
            ("udacity-dend", "log_data")
        );
        let u = S3Uri::parse("s3://bucket").unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("bucket", ""));
        assert!(S3Uri::parse("s3:///key").is_err());
    }
}
