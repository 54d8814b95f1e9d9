//! Which region each `s3://` source bucket is in, against the cluster's. Redshift's COPY reads
//! a bucket in another region only when told its `REGION`, and then pays for it: data
//! transfer between regions is billed per GB, and the COPY is slower (the seed's author
//! measured its ETL at a couple of minutes within one region and 40 across two). `infra plan`,
//! `infra up` and `run --warehouse redshift` look the buckets up and say so; a bucket that
//! cannot be looked up (no permission, a public bucket that answers only reads) is noted and
//! its COPY keeps the configured region.

use std::collections::BTreeMap;

/// Each bucket looked up: its region, or why it is unknown.
pub type Found = BTreeMap<String, Result<String, String>>;

/// One `s3://` source: what it is ("events", "songs", "JSONPaths file") and its URI.
pub type Named = (&'static str, String);

/// The bucket of an `s3://` URI.
fn bucket(uri: &str) -> Option<String> {
    super::s3::S3Uri::parse(uri).ok().map(|u| u.bucket)
}

/// Looks up the region of each distinct bucket of `sources` (one `GetBucketLocation` each).
pub fn look_up(sources: &[Named]) -> Found {
    look_up_with(sources, super::s3::bucket_region)
}

/// [`look_up`] with the lookup given, so the rest can be tested without S3.
pub fn look_up_with(
    sources: &[Named],
    mut region_of: impl FnMut(&str) -> Result<String, String>,
) -> Found {
    let mut found = Found::new();
    for (_, uri) in sources {
        if let Some(b) = bucket(uri)
            && !found.contains_key(&b)
        {
            let r = region_of(&b);
            found.insert(b, r);
        }
    }
    found
}

/// For COPYs into a cluster in `cluster` from `sources`: looks the buckets up, passes each
/// note to `note`, and returns the buckets whose COPY carries another region ([`overrides`]).
pub fn check(
    cluster: &str,
    sources: &[Named],
    mut note: impl FnMut(&str),
) -> BTreeMap<String, String> {
    if sources.is_empty() {
        return BTreeMap::new();
    }
    let found = look_up(sources);
    for n in notes(cluster, sources, &found) {
        note(&n);
    }
    overrides(cluster, &found)
}

/// The buckets whose COPY must carry another `REGION` than the cluster's: known and different.
pub fn overrides(cluster: &str, found: &Found) -> BTreeMap<String, String> {
    found
        .iter()
        .filter_map(|(b, r)| match r {
            Ok(r) if r != cluster => Some((b.clone(), r.clone())),
            _ => None,
        })
        .collect()
}

/// What to tell the user: a bucket in another region (with its cost and the `REGION` its COPY
/// carries), a bucket whose region is unknown, and a JSONPaths file in another region than
/// the events it maps.
pub fn notes(cluster: &str, sources: &[Named], found: &Found) -> Vec<String> {
    let mut notes = Vec::new();
    for (b, r) in found {
        let what: Vec<&str> = sources
            .iter()
            .filter(|(_, uri)| bucket(uri).as_deref() == Some(b))
            .map(|(w, _)| *w)
            .collect();
        let what = match what.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => what.join(""),
        };
        match r {
            Ok(r) if r != cluster => notes.push(format!(
                "the {what} in s3://{b} are in {r}, the cluster in {cluster}: the COPY carries \
                 REGION '{r}'. Data transfer between regions is billed per GB and the COPY is \
                 slower (the seed's ETL took about 40 minutes across regions, a couple of \
                 minutes within one); data or cluster in one region avoids both"
            )),
            Ok(_) => {}
            Err(why) => notes.push(format!(
                "the region of bucket {b} ({what}) could not be looked up ({why}); its COPY \
                 carries the configured REGION '{cluster}'"
            )),
        }
    }
    let region = |what: &str| {
        sources
            .iter()
            .find(|(w, _)| *w == what)
            .and_then(|(_, uri)| Some((uri, found.get(&bucket(uri)?)?.as_ref().ok()?)))
    };
    if let (Some((paths, pr)), Some((_, er))) = (region("JSONPaths file"), region("events"))
        && pr != er
    {
        notes.push(format!(
            "the JSONPaths file {paths} is in {pr} but the events are in {er}: COPY reads both \
             in one region (REGION '{er}') and will fail; put the JSONPaths file in a bucket \
             in {er}"
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<Named> {
        vec![
            ("events", "s3://logs-eu/log_data".into()),
            ("JSONPaths file", "s3://logs-eu/paths.json".into()),
            ("songs", "s3://songs-here/song_data".into()),
        ]
    }

    #[test]
    fn each_bucket_is_looked_up_once_and_the_other_region_noted() {
        let mut asked = Vec::new();
        let found = look_up_with(&sources(), |b| {
            asked.push(b.to_string());
            Ok(if b == "logs-eu" {
                "eu-west-1"
            } else {
                "us-west-2"
            }
            .to_string())
        });
        assert_eq!(asked, ["logs-eu", "songs-here"]);
        let over = overrides("us-west-2", &found);
        assert_eq!(over.len(), 1);
        assert_eq!(over["logs-eu"], "eu-west-1");
        let notes = notes("us-west-2", &sources(), &found);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with(
                "the events and JSONPaths file in s3://logs-eu are in eu-west-1, the cluster in \
                 us-west-2: the COPY carries REGION 'eu-west-1'"
            ),
            "{notes:?}"
        );
        assert!(notes[0].contains("billed per GB"), "{notes:?}");
    }

    #[test]
    fn an_unknown_region_is_a_note_and_a_split_jsonpaths_file_a_warning() {
        let mut s = sources();
        s[1].1 = "s3://paths-us/paths.json".into();
        let found = look_up_with(&s, |b| match b {
            "logs-eu" => Ok("eu-west-1".into()),
            "paths-us" => Ok("us-west-2".into()),
            _ => Err("access denied".into()),
        });
        assert!(!overrides("us-west-2", &found).contains_key("songs-here"));
        let notes = notes("us-west-2", &s, &found);
        assert!(
            notes.iter().any(|n| n.contains(
                "the region of bucket songs-here (songs) could not be looked up (access \
                 denied); its COPY carries the configured REGION 'us-west-2'"
            )),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains(
                "the JSONPaths file s3://paths-us/paths.json is in us-west-2 but the events \
                 are in eu-west-1"
            )),
            "{notes:?}"
        );
    }
}
