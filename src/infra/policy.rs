//! The IAM documents of the role `infra up` makes, as pure functions of the settings: whom the
//! role trusts (Redshift, for this cluster of this account) and what it may read (the
//! configured S3 sources, nothing else); and the comparison with what IAM holds, so `up` can
//! converge a role an earlier version made with `AmazonS3ReadOnlyAccess`.

use serde_json::{Value, json};

/// The inline policy on the role that lets COPY read the sources.
pub const READ_POLICY_NAME: &str = "sparkify-s3-read";

/// An S3 location COPY reads: the objects under a key prefix (a data source, which COPY also
/// lists), or one object (a JSONPaths file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Grant {
    pub bucket: String,
    pub key: String,
    /// `key` is a COPY prefix: list the bucket under it and read every object under it.
    pub prefix: bool,
}

impl S3Grant {
    /// A data source: everything under `s3://bucket/key`, as COPY's prefix match reads it.
    pub fn prefix(uri: &str) -> crate::error::Result<S3Grant> {
        let u = crate::source::s3::S3Uri::parse(uri)?;
        Ok(S3Grant {
            bucket: u.bucket,
            key: u.key,
            prefix: true,
        })
    }

    /// One object (a JSONPaths file).
    pub fn object(uri: &str) -> crate::error::Result<S3Grant> {
        let u = crate::source::s3::S3Uri::parse(uri)?;
        Ok(S3Grant {
            bucket: u.bucket,
            key: u.key,
            prefix: false,
        })
    }

    fn display(&self) -> String {
        format!(
            "s3://{}/{}{}",
            self.bucket,
            self.key,
            if self.prefix { "*" } else { "" }
        )
    }
}

/// The ARN partition of `region` (`aws-cn` in China, `aws-us-gov` in GovCloud).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The account id in an ARN (`arn:aws:iam::123456789012:role/x` → `123456789012`).
pub fn account_of_arn(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

/// The ARN Redshift gives a database user of cluster `cluster`, with `*` for the user: what
/// Redshift passes as `sts:ExternalId` when the cluster assumes the role.
pub fn db_user_arn(region: &str, account: &str, cluster: &str) -> String {
    format!(
        "arn:{}:redshift:{region}:{account}:dbuser:{cluster}/*",
        partition(region)
    )
}

/// The cluster's own ARN (what Redshift's CreateTags names).
pub fn cluster_arn(region: &str, account: &str, cluster: &str) -> String {
    format!(
        "arn:{}:redshift:{region}:{account}:cluster:{cluster}",
        partition(region)
    )
}

/// The trust policy: `redshift.amazonaws.com` may assume the role, and, when the account is
/// known, only on behalf of a database user of this cluster in this account. The condition is
/// the one Redshift documents for restricting a role ("Restricting access to IAM roles":
/// `sts:ExternalId` is the database user's ARN); Redshift does not document `aws:SourceAccount`
/// for COPY, and a condition key the service does not send would make every COPY fail.
pub fn trust_policy(region: &str, account: Option<&str>, cluster: &str) -> String {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"Service": "redshift.amazonaws.com"},
        "Action": "sts:AssumeRole",
    });
    if let (Some(account), Value::Object(map)) = (account, &mut statement) {
        map.insert(
            "Condition".into(),
            json!({"StringLike": {"sts:ExternalId": db_user_arn(region, account, cluster)}}),
        );
    }
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

/// The read policy for `grants`: `s3:GetObject` on each prefix (or object), and per bucket
/// `s3:ListBucket` limited to the prefixes by the `s3:prefix` condition. `None` without
/// grants (IAM refuses an empty policy).
pub fn read_policy(region: &str, grants: &[S3Grant]) -> Option<String> {
    if grants.is_empty() {
        return None;
    }
    let arn = |rest: &str| format!("arn:{}:s3:::{rest}", partition(region));
    let mut objects: Vec<String> = Vec::new();
    let mut buckets: Vec<(String, Vec<String>)> = Vec::new();
    for g in grants {
        let object = arn(&format!(
            "{}/{}{}",
            g.bucket,
            g.key,
            if g.prefix { "*" } else { "" }
        ));
        if !objects.contains(&object) {
            objects.push(object);
        }
        if g.prefix {
            let pattern = format!("{}*", g.key);
            match buckets.iter_mut().find(|(b, _)| *b == g.bucket) {
                Some((_, prefixes)) if prefixes.contains(&pattern) => {}
                Some((_, prefixes)) => prefixes.push(pattern),
                None => buckets.push((g.bucket.clone(), vec![pattern])),
            }
        }
    }
    let mut statements = vec![json!({
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": objects,
    })];
    for (bucket, prefixes) in buckets {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": arn(&bucket),
            "Condition": {"StringLike": {"s3:prefix": prefixes}},
        }));
    }
    Some(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

/// What the read policy allows, in a line for `plan` and `up`.
pub fn describe_grants(grants: &[S3Grant]) -> String {
    let reads: Vec<String> = grants.iter().map(S3Grant::display).collect();
    let mut lists: Vec<String> = Vec::new();
    for g in grants.iter().filter(|g| g.prefix) {
        let entry = format!("s3://{}/{}*", g.bucket, g.key);
        if !lists.contains(&entry) {
            lists.push(entry);
        }
    }
    let mut text = format!("s3:GetObject on {}", reads.join(", "));
    if !lists.is_empty() {
        text.push_str(&format!("; s3:ListBucket under {}", lists.join(", ")));
    }
    text
}

/// Whether the document IAM holds (`stored`, URL-encoded as IAM returns it, or plain) says the
/// same as `wanted`: equal as JSON, whatever the spacing and key order.
pub fn same_document(stored: &str, wanted: &str) -> bool {
    match (parse_document(stored), parse_document(wanted)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A policy document as IAM returns it: URL-encoded (RFC 3986) on AWS, plain from moto.
pub fn parse_document(text: &str) -> Option<Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_json::from_str(&percent_decode(text)?).ok())
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants() -> Vec<S3Grant> {
        vec![
            S3Grant::prefix("s3://udacity-dend/log_data").unwrap(),
            S3Grant::prefix("s3://udacity-dend/song_data").unwrap(),
            S3Grant::object("s3://udacity-dend/log_json_path.json").unwrap(),
        ]
    }

    #[test]
    fn the_read_policy_names_the_sources_and_lists_only_their_prefixes() {
        let doc: Value = serde_json::from_str(&read_policy("us-west-2", &grants()).unwrap())
            .expect("valid JSON");
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [
                    "arn:aws:s3:::udacity-dend/log_data*",
                    "arn:aws:s3:::udacity-dend/song_data*",
                    "arn:aws:s3:::udacity-dend/log_json_path.json",
                ]},
                {"Effect": "Allow", "Action": "s3:ListBucket",
                 "Resource": "arn:aws:s3:::udacity-dend",
                 "Condition": {"StringLike": {"s3:prefix": ["log_data*", "song_data*"]}}},
            ]})
        );
        // Nothing configured: no policy (IAM refuses an empty one).
        assert_eq!(read_policy("us-west-2", &[]), None);
    }

    #[test]
    fn each_bucket_gets_its_own_list_statement_and_duplicates_collapse() {
        let mut g = grants();
        g.push(S3Grant::prefix("s3://other/events/2026").unwrap());
        g.push(S3Grant::prefix("s3://udacity-dend/log_data").unwrap());
        let doc: Value = serde_json::from_str(&read_policy("cn-north-1", &g).unwrap()).unwrap();
        let statements = doc["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3, "{doc}");
        assert_eq!(statements[0]["Resource"].as_array().unwrap().len(), 4);
        assert_eq!(statements[2]["Resource"], "arn:aws-cn:s3:::other");
        assert_eq!(
            statements[2]["Condition"]["StringLike"]["s3:prefix"],
            json!(["events/2026*"])
        );
    }

    #[test]
    fn the_trust_policy_is_limited_to_the_clusters_users_when_the_account_is_known() {
        let doc: Value =
            serde_json::from_str(&trust_policy("us-west-2", Some("123456789012"), "life-dwh"))
                .unwrap();
        assert_eq!(
            doc["Statement"][0],
            json!({
                "Effect": "Allow",
                "Principal": {"Service": "redshift.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringLike": {
                    "sts:ExternalId": "arn:aws:redshift:us-west-2:123456789012:dbuser:life-dwh/*"
                }},
            })
        );
        let open: Value = serde_json::from_str(&trust_policy("us-west-2", None, "x")).unwrap();
        assert!(open["Statement"][0].get("Condition").is_none(), "{open}");
    }

    #[test]
    fn documents_compare_as_json_also_when_iam_returns_them_url_encoded() {
        let want = trust_policy("us-west-2", Some("123456789012"), "life-dwh");
        let spaced =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&want).unwrap()).unwrap();
        assert!(same_document(&spaced, &want));
        // What AWS returns: the document URL-encoded.
        let encoded: String = want
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert!(same_document(&encoded, &want));
        // An earlier sparkify's trust policy (no condition) differs; garbage never matches.
        assert!(!same_document(
            &trust_policy("us-west-2", None, "life-dwh"),
            &want
        ));
        assert!(!same_document("%7B%ZZ", &want));
        assert!(!same_document("", &want));
    }

    #[test]
    fn accounts_come_from_arns() {
        assert_eq!(
            account_of_arn("arn:aws:iam::123456789012:role/lifeRole").as_deref(),
            Some("123456789012")
        );
        assert_eq!(account_of_arn("arn:aws:iam::aws:policy/X"), None);
        assert_eq!(account_of_arn("not an arn"), None);
        assert_eq!(
            cluster_arn("us-gov-west-1", "123456789012", "c"),
            "arn:aws-us-gov:redshift:us-gov-west-1:123456789012:cluster:c"
        );
    }

    #[test]
    fn the_grants_read_as_one_line() {
        assert_eq!(
            describe_grants(&grants()),
            "s3:GetObject on s3://udacity-dend/log_data*, s3://udacity-dend/song_data*, \
             s3://udacity-dend/log_json_path.json; s3:ListBucket under \
             s3://udacity-dend/log_data*, s3://udacity-dend/song_data*"
        );
    }
}
