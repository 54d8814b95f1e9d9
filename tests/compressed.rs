//! Compressed sources in the pipeline (`run`/`etl`): files whose names end in `.gz`, `.zst` or
//! `.bz2` are decompressed as they are read, locally and from S3, on DuckDB (its staging table
//! function and its appender) and PostgreSQL; a source may mix kinds and plain files. On
//! Redshift the COPY carries the matching keyword (copy-parameters-file-compression: the
//! keyword alone says how Redshift reads a file), and a source mixing kinds is refused before
//! anything is sent. Set UPDATE_GOLDEN=1 to rewrite the golden file after a reviewed change.

mod common;
#[path = "common/moto.rs"]
mod moto;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{dump, ok, pg, run, sparkify, text};
use sparkify::copy::compressed::Compression;
use sparkify::generate::{GenerateOptions, generate};
use sparkify::warehouse::Warehouse;
use sparkify::warehouse::duckdb::DuckDb;
use sparkify::warehouse::postgres::{Postgres, Target};

fn open(warehouse: &str) -> Box<dyn Warehouse> {
    match warehouse.strip_prefix("duckdb:") {
        Some(path) => Box::new(DuckDb::open(Path::new(path)).expect("open duckdb")),
        None => Box::new(
            Postgres::connect(Target::parse(warehouse, 5432, "disable").unwrap()).expect("connect"),
        ),
    }
}

/// A DuckDB file in `dir` named `name`, and a fresh PostgreSQL database.
fn warehouses(dir: &Path, name: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "duckdb",
            format!("duckdb:{}", dir.join(format!("{name}.duckdb")).display()),
        ),
        ("postgres", pg::server().new_database()),
    ]
}

/// Every table the run builds, dumped whole (sorted rows as text).
const TABLES: [&str; 7] = [
    "staging_events",
    "staging_songs",
    "songplays",
    "users",
    "songs",
    "artists",
    "time",
];

fn contents(warehouse: &str) -> Vec<Vec<String>> {
    let mut wh = open(warehouse);
    TABLES.iter().map(|t| dump(wh.as_mut(), t)).collect()
}

fn options(compress: Option<Compression>) -> GenerateOptions {
    GenerateOptions {
        songs: 120,
        users: 40,
        days: 4,
        events_per_day: 600,
        seed: 11,
        match_rate: 0.7,
        compress,
    }
}

fn sources(dir: &Path) -> Vec<String> {
    common::sources(dir)
}

/// Every file below `dir` (relative name → path), sorted.
fn files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, p));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn generated_compressed_data_builds_the_same_warehouse_as_plain_data() {
    // `generate --compress` through the binary, as a user runs it; the same seed uncompressed.
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    generate(&plain, &options(None), |_| {}).unwrap();
    let expected: Vec<Vec<String>> = {
        let (_, wh) = &warehouses(tmp.path(), "plain")[0];
        ok(&run(tmp.path(), wh, &sources(&plain), &[]));
        contents(wh)
    };
    assert!(expected[2].len() > 100, "few plays: {}", expected[2].len());
    for how in ["gzip", "zstd"] {
        let data = tmp.path().join(how);
        let o = options(None);
        let out = sparkify()
            .args(["generate", "--out"])
            .arg(&data)
            .args([
                "--songs",
                &o.songs.to_string(),
                "--users",
                &o.users.to_string(),
            ])
            .args(["--days", &o.days.to_string()])
            .args(["--events-per-day", &o.events_per_day.to_string()])
            .args(["--seed", &o.seed.to_string(), "--match-rate", "0.7"])
            .args(["--compress", how])
            .output();
        let stdout = ok(&out);
        assert!(stdout.contains(&format!(" as {how})")), "{stdout}");
        let ending = if how == "gzip" {
            ".json.gz"
        } else {
            ".json.zst"
        };
        let data_files: Vec<_> = files(&data)
            .into_iter()
            .filter(|(n, _)| n != "log_json_path.json")
            .collect();
        assert!(
            data_files.iter().all(|(n, _)| n.ends_with(ending)),
            "{data_files:?}"
        );
        for (engine, wh) in warehouses(tmp.path(), how) {
            let out = run(tmp.path(), &wh, &sources(&data), &[]);
            let stdout = ok(&out);
            assert!(
                stdout.contains("All 61 checks passed"),
                "{engine} {how}: {stdout}"
            );
            assert!(
                contents(&wh) == expected,
                "{engine} {how}: the warehouse differs from the plain load"
            );
            // The ledger records each file as stored (compressed), so the next run sees it
            // unchanged and skips it.
            let mut w = open(&wh);
            let stored: i64 = data_files
                .iter()
                .map(|(_, p)| std::fs::metadata(p).unwrap().len() as i64)
                .sum();
            assert_eq!(
                w.count("SELECT CAST(SUM(size_bytes) AS BIGINT) FROM load_ledger")
                    .unwrap(),
                stored,
                "{engine} {how}"
            );
            drop(w);
            let again = ok(&run(tmp.path(), &wh, &sources(&data), &[]));
            assert!(
                again.contains(&format!("{} already loaded", o.days)),
                "{engine} {how}: {again}"
            );
            assert!(contents(&wh) == expected, "{engine} {how}: second run");
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn bzip2(bytes: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// The files of a plain dataset, each data file stored as the `i`-th kind in turn (gzip,
/// zstd, bzip2, plain, ...): a source mixing every kind. Returns (key, bytes).
fn mixed(plain: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, (name, path)) in files(plain).into_iter().enumerate() {
        let bytes = std::fs::read(&path).unwrap();
        if name == "log_json_path.json" {
            out.push((name, bytes));
            continue;
        }
        out.push(match i % 4 {
            0 => (format!("{name}.gz"), gzip(&bytes)),
            1 => (format!("{name}.zst"), zstd(&bytes)),
            2 => (format!("{name}.bz2"), bzip2(&bytes)),
            _ => (name, bytes),
        });
    }
    out
}

#[test]
fn a_source_mixing_kinds_loads_locally_and_from_s3_on_both_engines() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    generate(&plain, &options(None), |_| {}).unwrap();
    let (_, reference) = &warehouses(tmp.path(), "reference")[0];
    ok(&run(tmp.path(), reference, &sources(&plain), &[]));
    let expected = contents(reference);

    let objects = mixed(&plain);
    for ending in [".gz", ".zst", ".bz2"] {
        assert!(
            objects
                .iter()
                .any(|(k, _)| k.starts_with("log_data") && k.ends_with(ending)),
            "no event file ends in {ending}"
        );
    }
    let local = tmp.path().join("mixed");
    for (key, bytes) in &objects {
        let path = local.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let m = moto::server();
    m.create_bucket("compressed-mixed");
    for (key, bytes) in &objects {
        m.put("compressed-mixed", key, bytes.clone());
    }
    let s3 = [
        "--songs".to_string(),
        "s3://compressed-mixed/song_data".into(),
        "--events".into(),
        "s3://compressed-mixed/log_data".into(),
        "--jsonpaths".into(),
        "s3://compressed-mixed/log_json_path.json".into(),
    ];
    for (engine, wh) in warehouses(tmp.path(), "local") {
        ok(&run(tmp.path(), &wh, &sources(&local), &[]));
        assert!(contents(&wh) == expected, "{engine}: local mixed source");
    }
    // From S3 DuckDB stages through its appender (readers on many threads), locally through
    // its table function: both decompress.
    for (engine, wh) in warehouses(tmp.path(), "s3") {
        let out = sparkify()
            .current_dir(tmp.path())
            .envs(moto::env(&m.endpoint))
            .args(["run", "--warehouse", &wh])
            .args(&s3)
            .output();
        ok(&out);
        assert!(contents(&wh) == expected, "{engine}: S3 mixed source");
    }
}

#[test]
fn a_file_named_gz_that_is_not_gzip_fails_the_load_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    generate(&plain, &options(None), |_| {}).unwrap();
    // One day's events renamed .gz without being compressed.
    let day = files(&plain)
        .into_iter()
        .find(|(n, _)| n.starts_with("log_data"))
        .unwrap()
        .1;
    let renamed = PathBuf::from(format!("{}.gz", day.display()));
    std::fs::rename(&day, &renamed).unwrap();
    for (engine, wh) in warehouses(tmp.path(), "bad") {
        let out = run(tmp.path(), &wh, &sources(&plain), &[]);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{engine}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{}: cannot decompress (GZIP, as its name ends in .gz): invalid gzip header; \
                 nothing was loaded",
                std::fs::canonicalize(&renamed).unwrap().display()
            )) || stderr.contains(&format!(
                "{}: cannot decompress (GZIP, as its name ends in .gz): invalid gzip header; \
                 nothing was loaded",
                renamed.display()
            )),
            "{engine}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{engine}: {stderr}");
        // The run is one transaction: nothing of it stays.
        let mut w = open(&wh);
        let staged = w.count("SELECT COUNT(*) FROM staging_events").unwrap_or(0);
        assert_eq!(staged, 0, "{engine}");
    }
}

#[test]
fn acceptinvchars_repairs_a_compressed_source_as_it_streams() {
    // `--copy-options ACCEPTINVCHARS` goes through the single-writer path on DuckDB, which
    // decompresses and repairs in one stream; a truncated three-byte sequence (two bytes) in
    // a name is replaced per byte.
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    generate(&plain, &options(None), |_| {}).unwrap();
    let day = files(&plain)
        .into_iter()
        .find(|(n, _)| n.starts_with("log_data"))
        .unwrap()
        .1;
    let text = std::fs::read(&day).unwrap();
    let at = text
        .windows(13)
        .position(|w| w == b"\"firstName\":\"")
        .map(|p| p + 13)
        .expect("a firstName");
    let mut broken = text[..at].to_vec();
    broken.extend_from_slice(b"\xe2\x82");
    broken.extend_from_slice(&text[at..]);
    std::fs::remove_file(&day).unwrap();
    std::fs::write(format!("{}.gz", day.display()), gzip(&broken)).unwrap();
    for (engine, wh) in warehouses(tmp.path(), "inv") {
        let out = sparkify()
            .current_dir(tmp.path())
            .args(["run", "--warehouse", &wh])
            .args(["--copy-options", "ACCEPTINVCHARS AS '^'"])
            .args(sources(&plain))
            .output();
        let (_, stderr) = common::text(&out);
        ok(&out);
        assert!(
            stderr.contains("staging_events: 2 invalid UTF-8 byte(s) replaced in 1 line(s)"),
            "{engine}: {stderr}"
        );
        let mut w = open(&wh);
        assert_eq!(
            w.count("SELECT COUNT(*) FROM staging_events WHERE firstname LIKE '^^%'")
                .unwrap(),
            1,
            "{engine}"
        );
    }
}

/// A dwh.cfg for `--warehouse redshift` whose sources are in `bucket`.
fn redshift_config(dir: &Path, bucket: &str) {
    std::fs::write(
        dir.join("dwh.cfg"),
        format!(
            "[CLUSTER]\nHOST=compressed-dwh.example.us-west-2.redshift.amazonaws.com\n\
             DB_NAME=sparkify\nDB_USER=awsuser\nDB_PASSWORD=Pw123456789\nDWH_PORT=5439\n\n\
             [IAM_ROLE]\nARN=arn:aws:iam::123456789012:role/compressedRole\n\n[S3]\n\
             LOG_DATA=s3://{bucket}/log_data\nLOG_JSONPATH=s3://{bucket}/log_json_path.json\n\
             SONG_DATA=s3://{bucket}/song_data\n"
        ),
    )
    .unwrap();
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its golden file.\n--- golden\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn redshift_copies_carry_the_keyword_and_a_mixed_source_is_refused_before_anything_is_sent() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    let bucket = "compressed-redshift";
    m.create_bucket(bucket);
    let event = b"{\"ts\": 1541105830796, \"userId\": \"7\"}\n";
    m.put(bucket, "log_data/2018-11-01-events.json.gz", gzip(event));
    m.put(bucket, "log_data/2018-11-02-events.JSON.GZ", gzip(event));
    m.put(
        bucket,
        "log_json_path.json",
        b"{\"jsonpaths\": []}".to_vec(),
    );
    m.put(bucket, "song_data/A/TRA.json.zst", zstd(b"{}"));
    m.put(bucket, "song_data/A/TRB.json.zst", zstd(b"{}"));
    let tmp = tempfile::tempdir().unwrap();
    redshift_config(tmp.path(), bucket);
    let dry = |args: &[&str]| {
        sparkify()
            .current_dir(tmp.path())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .args(["--warehouse", "redshift"])
            .args(args)
            .output()
    };
    let out = dry(&["run", "--dry-run"]);
    let stdout = ok(&out);
    // The two COPYs, as the dry run prints them.
    let copies: String = stdout
        .split("\n\n")
        .filter(|s| s.starts_with("COPY "))
        .map(|s| format!("{s}\n\n"))
        .collect();
    golden("redshift_copy_compressed_dry_run.sql", &copies);
    assert!(
        copies.contains("\nGZIP\n") && copies.contains("\nZSTD\n"),
        "{copies}"
    );

    // One plain event file among the gzip ones: refused before the warehouse is opened, so
    // the dry run prints nothing and a real run never connects (its host does not exist).
    m.put(bucket, "log_data/2018-11-03-events.json", event.to_vec());
    let refusal = format!(
        "the events cannot be loaded on Redshift: s3://{bucket}/log_data mixes files of two \
         kinds (s3://{bucket}/log_data/2018-11-01-events.json.gz is GZIP (its name ends in \
         .gz), s3://{bucket}/log_data/2018-11-03-events.json is not compressed)"
    );
    for args in [&["run", "--dry-run"][..], &["etl", "--dry-run"], &["run"]] {
        let out = dry(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(&refusal), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(!stderr.contains("connect"), "{args:?}: {stderr}");
    }
}
