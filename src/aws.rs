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
