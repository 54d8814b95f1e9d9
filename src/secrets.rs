//! Secrets kept out of everything `sparkify` prints. The settings register each secret they
//! read (`dwh.cfg`'s passwords and keys, `PGPASSWORD`, AWS keys in the environment, the
//! password of every warehouse URL), and the binary scrubs them from an error before printing
//! it, so a message that quotes a secret by accident still shows `***`. A bottom-layer module:
//! it also knows where a connection URL keeps its password, for the parser, the redaction of
//! URLs in messages, and `dwh.cfg`'s permission warning alike.

use std::sync::{Mutex, PoisonError};

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Secrets shorter than this are not scrubbed: replacing every `ab` of a message would garble
/// it and hide nothing a guess would not find.
pub const MIN_SCRUBBED_LEN: usize = 4;

/// Remembers a secret (as given, and without surrounding blanks) so [`scrub`] hides it.
pub fn register(secret: &str) {
    let mut all = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    for s in [secret, secret.trim()] {
        if s.chars().count() >= MIN_SCRUBBED_LEN && !all.iter().any(|known| known == s) {
            all.push(s.to_string());
        }
    }
    // Longest first, so a secret that contains another is hidden whole.
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every registered secret replaced by `***`.
pub fn scrub(text: &str) -> String {
    let all = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out = text.to_string();
    for secret in all.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

/// The parts of `SCHEME://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE][?QUERY]`, as written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    pub scheme: &'a str,
    pub userinfo: Option<&'a str>,
    pub hostport: &'a str,
    pub database: &'a str,
    pub query: &'a str,
}

impl UrlParts<'_> {
    /// The password as written: in the user info, else a `password=` parameter.
    pub fn password(&self) -> Option<&str> {
        self.userinfo
            .and_then(|u| u.split_once(':'))
            .map(|(_, pw)| pw)
            .or_else(|| {
                self.query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("password="))
            })
    }
}

impl std::fmt::Debug for UrlParts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", redact_url_parts(self))
    }
}

/// The query parameters a warehouse URL may carry.
pub const URL_PARAMETERS: [&str; 4] = ["sslmode", "connect_timeout", "password", "user"];

/// Splits a connection URL; `None` without `://`. Passwords are often pasted unencoded, so
/// the user info ends at the last `@` before the query, and the query starts at the first `?`
/// followed by a known parameter (else at the first `?` after the host): an unencoded `/`,
/// `?`, `:` or `@` in a password stays in the password instead of becoming a port, database or
/// parameter that an error message would quote.
pub fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let known_query = rest.match_indices('?').map(|(i, _)| i).find(|&i| {
        URL_PARAMETERS.iter().any(|p| {
            rest[i + 1..]
                .strip_prefix(p)
                .is_some_and(|r| r.starts_with('='))
        })
    });
    let (before, query) = match known_query {
        Some(q) => (&rest[..q], Some(&rest[q + 1..])),
        None => (rest, None),
    };
    let (userinfo, after) = match before.rfind('@') {
        Some(at) => (Some(&before[..at]), &before[at + 1..]),
        None => (None, before),
    };
    let (after, query) = match query {
        Some(q) => (after, q),
        None => after.split_once('?').unwrap_or((after, "")),
    };
    let (hostport, database) = after.split_once('/').unwrap_or((after, ""));
    Some(UrlParts {
        scheme,
        userinfo,
        hostport,
        database,
        query,
    })
}

/// A connection URL (or what was meant as one) safe to print: the password, in the user info
/// or a `password=` parameter, is `***`. Without `://`, everything before the last `@` is
/// hidden, since where a password ends cannot be told.
pub fn redact_url(url: &str) -> String {
    match split_url(url) {
        Some(parts) => redact_url_parts(&parts),
        None => match url.rfind('@') {
            Some(at) => format!("***{}", &url[at..]),
            None => url.to_string(),
        },
    }
}

fn redact_url_parts(p: &UrlParts<'_>) -> String {
    let mut out = format!("{}://", p.scheme);
    if let Some(userinfo) = p.userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) => out.push_str(&format!("{user}:***@")),
            None => out.push_str(&format!("{userinfo}@")),
        }
    }
    out.push_str(p.hostport);
    if !p.database.is_empty() {
        out.push('/');
        out.push_str(p.database);
    }
    if !p.query.is_empty() {
        let query: Vec<&str> = p
            .query
            .split('&')
            .map(|pair| {
                if pair.starts_with("password=") {
                    "password=***"
                } else {
                    pair
                }
            })
            .collect();
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out
}

/// The password of a connection URL, as written and percent-decoded (both may be quoted by a
/// message); empty when the URL has none.
pub fn url_passwords(url: &str) -> Vec<String> {
    let Some(pw) = split_url(url).and_then(|p| p.password().map(str::to_string)) else {
        return Vec::new();
    };
    let decoded = percent_decode(&pw);
    if decoded == pw {
        vec![pw]
    } else {
        vec![pw, decoded]
    }
}

/// Decodes `%XX` escapes; anything else, including a stray `%`, stays as it is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_scrubbed_longest_first() {
        register("  Scrub-Me-1234  ");
        register("Scrub-Me");
        register("ab");
        assert_eq!(scrub("a Scrub-Me-1234 b Scrub-Me c ab"), "a *** b *** c ab");
    }

    #[test]
    fn passwords_with_unencoded_url_characters_stay_whole() {
        for (url, password, hostport, database) in [
            ("postgres://u:pa/ss@h:1/db", "pa/ss", "h:1", "db"),
            (
                "postgres://u:pa?ss@h:1/db?sslmode=require",
                "pa?ss",
                "h:1",
                "db",
            ),
            ("postgres://u:p@s:s@h/db", "p@s:s", "h", "db"),
            (
                "postgres://u@h/db?password=p@ss&sslmode=disable",
                "p@ss",
                "h",
                "db",
            ),
        ] {
            let p = split_url(url).unwrap();
            assert_eq!(
                (p.password(), p.hostport, p.database),
                (Some(password), hostport, database),
                "{url}"
            );
            let shown = redact_url(url);
            assert!(!shown.contains(password), "{url}: {shown}");
            assert!(shown.contains("***"), "{url}: {shown}");
        }
        let p = split_url("redshift://awsuser@h:5439/dev?color=red").unwrap();
        assert_eq!((p.password(), p.query), (None, "color=red"));
        assert_eq!(split_url("postgres:u:pw@h"), None);
    }

    #[test]
    fn urls_are_shown_without_their_passwords() {
        for (url, shown) in [
            (
                "postgres://ann:s%40cret@db:6543/dwh",
                "postgres://ann:***@db:6543/dwh",
            ),
            (
                "postgres://ann@db/dwh?password=x&sslmode=require",
                "postgres://ann@db/dwh?password=***&sslmode=require",
            ),
            (
                "redshift://awsuser@h:5439/dev",
                "redshift://awsuser@h:5439/dev",
            ),
            ("postgres:ann:pw@db/dwh", "***@db/dwh"),
            ("sparkify.dbx", "sparkify.dbx"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        assert_eq!(
            url_passwords("postgres://ann:s%40cret@db/dwh"),
            vec!["s%40cret", "s@cret"]
        );
        assert!(url_passwords("postgres://ann@db/dwh").is_empty());
    }
}
