//! Where a PostgreSQL or Redshift warehouse is: the connection URL, parsed and shown without
//! its password, and opening a session with a timeout the client library lacks.

use std::time::Duration;

use postgres::{Client, Config};

use crate::error::{Error, Result};
use crate::secrets::{self, percent_decode};

/// The user and password a connection URL may leave out.
#[derive(Debug, Clone, Default)]
pub struct ConnDefaults {
    pub user: Option<String>,
    pub password: Option<String>,
}

/// A connection target, parsed from `postgres://` or `redshift://` URLs; `Display` never shows
/// the password.
#[derive(Clone)]
pub struct Target {
    pub scheme: String,
    pub user: String,
    pub password: Option<String>,
    pub host: String,
    pub port: u16,
    pub database: String,
    /// `disable`, `prefer` or `require`.
    pub sslmode: String,
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}@{}:{}/{}",
            self.scheme, self.user, self.host, self.port, self.database
        )
    }
}

impl Target {
    /// Parses `SCHEME://user[:password]@host[:port][/db][?sslmode=...&connect_timeout=S]`;
    /// the user is `postgres` when the URL names none.
    pub fn parse(url: &str, default_port: u16, default_sslmode: &str) -> Result<Target> {
        Target::parse_with(url, default_port, default_sslmode, &ConnDefaults::default())
    }

    /// [`Target::parse`], with what fills the user and password the URL leaves out (the
    /// settings take them from `PGUSER`/`PGPASSWORD`, as libpq does).
    pub fn parse_with(
        url: &str,
        default_port: u16,
        default_sslmode: &str,
        defaults: &ConnDefaults,
    ) -> Result<Target> {
        let bad = |why: &str| Error::usage(format!("--warehouse {}: {why}", redact(url)));
        let parts = secrets::split_url(url).ok_or_else(|| bad("expected SCHEME://..."))?;
        for pw in secrets::url_passwords(url) {
            secrets::register(&pw);
        }
        let secrets::UrlParts {
            scheme,
            userinfo,
            hostport,
            database,
            query,
        } = parts;
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((user, pw)) => (percent_decode(user), Some(percent_decode(pw))),
                None => (percent_decode(u), None),
            },
            None => (String::new(), None),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                let port: u16 =
                    p.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                        bad(&format!("port {p:?} is not a number from 1 to 65535"))
                    })?;
                (h.trim_matches(['[', ']']).to_string(), port)
            }
            _ => (hostport.to_string(), default_port),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let mut target = Target {
            scheme: scheme.to_string(),
            user: if user.is_empty() {
                defaults.user.clone().unwrap_or_else(|| "postgres".into())
            } else {
                user
            },
            password: password.or_else(|| defaults.password.clone()),
            host,
            port,
            database: if database.is_empty() {
                "postgres".into()
            } else {
                percent_decode(database)
            },
            sslmode: default_sslmode.to_string(),
            connect_timeout: Duration::from_secs(10),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslmode" => match v {
                    "disable" | "prefer" | "require" => target.sslmode = v.to_string(),
                    "verify-ca" | "verify-full" => target.sslmode = "require".into(),
                    _ => {
                        return Err(bad(&format!(
                            "sslmode {v:?} is not disable, prefer or require"
                        )));
                    }
                },
                "connect_timeout" => {
                    let secs: u64 = v.parse().map_err(|_| {
                        bad(&format!("connect_timeout {v:?} is not a number of seconds"))
                    })?;
                    target.connect_timeout = Duration::from_secs(secs.max(1));
                }
                "password" => target.password = Some(percent_decode(v)),
                "user" => target.user = percent_decode(v),
                other => return Err(bad(&format!("unknown parameter {other:?}"))),
            }
        }
        Ok(target)
    }

    fn config(&self) -> Config {
        let mut c = Config::new();
        c.user(&self.user)
            .host(&self.host)
            .port(self.port)
            .dbname(&self.database)
            .connect_timeout(self.connect_timeout)
            .application_name("sparkify")
            .ssl_mode(match self.sslmode.as_str() {
                "disable" => postgres::config::SslMode::Disable,
                "require" => postgres::config::SslMode::Require,
                _ => postgres::config::SslMode::Prefer,
            });
        if let Some(pw) = &self.password {
            c.password(pw);
        }
        c
    }

    /// Opens a session, with an error that says which server and why, never the password.
    ///
    /// The client's own timeout covers only the TCP connect; a server that accepts and then
    /// never answers would hang the startup handshake forever, so the whole attempt runs on a
    /// helper thread and is abandoned after the timeout.
    pub fn connect(&self) -> Result<Client> {
        Ok(self.connect_cancellable()?.0)
    }

    /// [`Target::connect`], and what stops the statement the session is running (a cancel
    /// request on a new connection, over TLS when the session uses it), for Ctrl-C.
    pub(super) fn connect_cancellable(
        &self,
    ) -> Result<(Client, impl Fn() + Send + Sync + 'static)> {
        let config = self.config();
        let tls = match self.sslmode.as_str() {
            "disable" => None,
            _ => Some(tls_connector()?),
        };
        let cancel_tls = tls.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = if let Some(connector) = tls {
                config.connect(connector)
            } else {
                config.connect(postgres::NoTls)
            };
            let _ = tx.send(result);
        });
        match rx.recv_timeout(self.connect_timeout + Duration::from_secs(1)) {
            Ok(result) => {
                let client = result.map_err(|e| {
                    Error::warehouse(format!("cannot connect to {self}: {}", describe_error(&e)))
                })?;
                let token = client.cancel_token();
                let cancel = move || {
                    // Best effort: the statement may have finished, or the server be gone.
                    let _ = match &cancel_tls {
                        Some(tls) => token.cancel_query(tls.clone()),
                        None => token.cancel_query(postgres::NoTls),
                    };
                };
                Ok((client, cancel))
            }
            Err(_) => Err(Error::warehouse(format!(
                "cannot connect to {self}: no answer within {} s (is it a PostgreSQL server?)",
                self.connect_timeout.as_secs()
            ))),
        }
    }
}

/// Hides the password of a URL (user info or `password=`) for error messages.
pub fn redact(url: &str) -> String {
    secrets::redact_url(url)
}

/// The server's own message when there is one (wrong password, missing table, ...), else the
/// client's (refused, timed out).
pub fn describe_error(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut m = db.message().to_string();
        if let Some(detail) = db.detail() {
            m.push_str(&format!(" ({detail})"));
        }
        return m;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// TLS with ring and Mozilla's root certificates, chosen explicitly (see Cargo.toml).
fn tls_connector() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::warehouse(format!("cannot set up TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_defaults_and_never_show_the_password() {
        let t = Target::parse(
            "postgres://ann:s%40cret@db.example:6543/dwh?sslmode=require",
            5432,
            "prefer",
        )
        .unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.database.as_str()),
            ("db.example", 6543, "dwh")
        );
        assert_eq!(t.password.as_deref(), Some("s@cret"));
        assert_eq!(t.sslmode, "require");
        assert_eq!(t.to_string(), "postgres://ann@db.example:6543/dwh");
        assert!(!format!("{t:?}").contains("cret"));

        let t = Target::parse("redshift://awsuser@cluster.example/dev", 5439, "require").unwrap();
        assert_eq!((t.port, t.sslmode.as_str()), (5439, "require"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_password() {
        for (url, needle) in [
            ("postgres://u:pw@host:99999/db", "port \"99999\""),
            ("postgres://u:pw@host:abc/db", "port \"abc\""),
            ("postgres://u:pw@/db", "no host"),
            ("postgres://u:pw@h/db?sslmode=maybe", "sslmode"),
            ("postgres://u:pw@h/db?color=red", "unknown parameter"),
        ] {
            let err = Target::parse(url, 5432, "prefer").unwrap_err().to_string();
            assert!(err.contains(needle), "{url}: {err}");
            assert!(!err.contains(":pw@"), "password leaked: {err}");
        }
    }
}
