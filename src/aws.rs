//! The AWS SDK's HTTP client, shared by S3 sources and `sparkify infra`: rustls on *ring*,
//! the same TLS stack PostgreSQL connections use. The SDK's default client would bring a
//! second one (rustls on aws-lc-rs, whose C library costs minutes of every cold build).

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// An HTTPS (and plain HTTP, for local S3-compatible servers) client for every AWS SDK
/// client; trusted roots come from the platform, as with the SDK's default client.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The SDK configuration every AWS client of sparkify starts from: the standard chain
/// (environment, profile, SSO), the region given or the chain's or [`DEFAULT_REGION`], this
/// module's HTTP client, and `dwh.cfg`'s `[AWS] KEY/SECRET` when given.
///
/// [`DEFAULT_REGION`]: crate::source::s3::DEFAULT_REGION
pub async fn sdk_config(
    region: Option<String>,
    static_keys: Option<(String, String)>,
) -> aws_config::SdkConfig {
    let region = aws_config::meta::region::RegionProviderChain::first_try(
        region.map(aws_config::Region::new),
    )
    .or_default_provider()
    .or_else(crate::source::s3::DEFAULT_REGION);
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .region(region);
    if let Some((key, secret)) = static_keys {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            key, secret, None, None, "dwh.cfg",
        ));
    }
    loader.load().await
}
