//! The built-in generator: deterministic, shaped like the real sample, and loadable.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use sparkify::generate::{GenerateOptions, generate};
use sparkify::warehouse::duckdb::DuckDb;

fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn small() -> GenerateOptions {
    GenerateOptions {
        songs: 50,
        users: 20,
        days: 3,
        events_per_day: 200,
        seed: 7,
        match_rate: 0.5,
        compress: None,
    }
}

#[test]
fn the_same_seed_writes_byte_identical_files() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let ra = generate(a.path(), &small(), |_| {}).unwrap();
    let rb = generate(b.path(), &small(), |_| {}).unwrap();
    generate(c.path(), &GenerateOptions { seed: 8, ..small() }, |_| {}).unwrap();
    assert_eq!(ra, rb);
    let (ta, tb, tc) = (
        read_tree(a.path()),
        read_tree(b.path()),
        read_tree(c.path()),
    );
    assert_eq!(ta.len(), 50 + 3 + 1);
    assert!(ta == tb, "same seed, different files");
    assert!(ta != tc, "different seeds, same files");
}

#[test]
fn output_has_the_shape_and_quirks_of_the_real_sample() {
    let dir = tempfile::tempdir().unwrap();
    let report = generate(dir.path(), &small(), |_| {}).unwrap();
    assert_eq!(report.events, 600);
    let tree = read_tree(dir.path());
    let logs: Vec<&Vec<u8>> = tree
        .iter()
        .filter(|(k, _)| k.starts_with("log_data/2018/11/"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(logs.len(), 3);
    let (mut guests, mut mojibake, mut next_song) = (0, 0, 0);
    for bytes in logs {
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(
            !text.ends_with('\n'),
            "no trailing newline, as in the sample"
        );
        for line in text.lines() {
            assert!(line.is_ascii(), "non-ASCII must be \\u-escaped: {line}");
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 18);
            assert!(v["userId"].is_string());
            assert!(v["ts"].is_i64());
            if v["userId"] == "" {
                guests += 1;
                assert!(v["firstName"].is_null() && v["registration"].is_null());
            } else {
                assert!(
                    line.contains(".0,\"sessionId\""),
                    "registration is a float: {line}"
                );
            }
            if v["page"] == "NextSong" {
                next_song += 1;
                assert!(v["song"].is_string() && v["length"].is_number());
            } else {
                assert!(v["song"].is_null() && v["artist"].is_null());
            }
            if line.contains("\\u00c3\\u0083") {
                mojibake += 1;
            }
        }
    }
    assert!(guests > 0, "no logged-out events");
    assert!(mojibake > 0, "no double-encoded text");
    assert_eq!(next_song, report.next_song_events);
    let song = tree
        .iter()
        .find(|(k, _)| k.starts_with("song_data/"))
        .unwrap();
    let text = std::str::from_utf8(song.1).unwrap();
    assert!(
        text.starts_with("{\"num_songs\": 1, \"artist_id\": \"AR"),
        "{text}"
    );
    assert!(!text.ends_with('\n'));
}

#[test]
fn generated_data_loads_completely_and_passes_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let report = generate(&dir.path().join("data"), &small(), |_| {}).unwrap();
    let mut wh = DuckDb::open(&dir.path().join("w.duckdb")).unwrap();
    let staged = common::build(&mut wh, &dir.path().join("data"));
    assert_eq!(staged[0].rows_loaded, report.events);
    assert_eq!(staged[0].rows_rejected, 0);
    assert_eq!(staged[1].rows_loaded, 50);
    let plays = common::count(&mut wh, "SELECT COUNT(*) FROM songplays");
    assert_eq!(plays as u64, report.next_song_events);
    let checks = sparkify::checks::run(&mut wh).unwrap();
    assert!(checks.failed().is_empty(), "{:?}", checks.failed());
    // About half the plays name a catalogue song, and repair lets the accented ones match.
    let rate = checks.match_rate();
    assert!((0.35..0.65).contains(&rate), "match rate {rate}");
}

/// Peak resident memory of `sparkify generate` with these arguments, in KiB (GNU time).
fn generate_peak_kib(out: &Path, args: &[&str]) -> u64 {
    // (/usr/bin/time is the Debian package `time`.)
    let result = common::bin::Sparkify::under("/usr/bin/time", &["-f", "%M"])
        .args(["generate", "-q", "--out"])
        .arg(out)
        .args(args)
        .output();
    assert!(result.status.success(), "{result:?}");
    let stderr = String::from_utf8_lossy(&result.stderr);
    stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr:?}"))
}

#[test]
fn generating_100_times_more_events_and_songs_keeps_memory_flat() {
    let dir = tempfile::tempdir().unwrap();
    let small = generate_peak_kib(
        &dir.path().join("small"),
        &["--songs", "50", "--days", "2", "--events-per-day", "2000"],
    );
    let big = generate_peak_kib(
        &dir.path().join("big"),
        &[
            "--songs",
            "5000",
            "--days",
            "2",
            "--events-per-day",
            "200000",
        ],
    );
    // Every line is written as it is made; only the users' state is kept.
    assert!(
        (big as f64) < (small as f64) * 1.5,
        "peak RSS grew from {small} KiB to {big} KiB for 100× the data"
    );
    // Compressed as it is written: gzip's window, or one zstd frame's text (4 MiB), at most.
    for how in ["gzip", "zstd"] {
        let big_compressed = generate_peak_kib(
            &dir.path().join(format!("big-{how}")),
            &[
                "--songs",
                "5000",
                "--days",
                "2",
                "--events-per-day",
                "200000",
                "--compress",
                how,
            ],
        );
        assert!(
            (big_compressed as f64) < (small as f64) * 1.5 + 16.0 * 1024.0,
            "{how}: peak RSS {big_compressed} KiB against {small} KiB plain and small"
        );
    }
}

/// `--compress`: the same files, each compressed and named with its ending; decompressed they
/// are byte for byte the uncompressed files of the same seed (so a load of either builds the
/// same warehouse, see tests/compressed.rs). A day's zstd text spans several frames.
#[test]
fn compressed_output_decompresses_to_the_plain_files_of_the_same_seed() {
    use std::io::Read;
    let plain_dir = tempfile::tempdir().unwrap();
    let plain_report = generate(plain_dir.path(), &small(), |_| {}).unwrap();
    let plain = read_tree(plain_dir.path());
    for (c, ending) in [
        (sparkify::copy::compressed::Compression::Gzip, ".gz"),
        (sparkify::copy::compressed::Compression::Zstd, ".zst"),
        (sparkify::copy::compressed::Compression::Bzip2, ".bz2"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenerateOptions {
            compress: Some(c),
            // Days of over 4 MiB: more than one zstd frame each.
            events_per_day: 12_000,
            days: 2,
            ..small()
        };
        let report = generate(dir.path(), &opts, |_| {}).unwrap();
        let big_plain = tempfile::tempdir().unwrap();
        let big = generate(
            big_plain.path(),
            &GenerateOptions {
                compress: None,
                ..opts.clone()
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(report.events, big.events, "{c:?}");
        assert_eq!(report.bytes, big.bytes, "{c:?}");
        assert!(report.stored_bytes < report.bytes / 3, "{c:?}: {report:?}");
        let tree = read_tree(dir.path());
        let expected = read_tree(big_plain.path());
        assert_eq!(tree.len(), expected.len(), "{c:?}");
        for (name, bytes) in &tree {
            let text = match name.strip_suffix(ending) {
                Some(plain_name) => {
                    let mut text = Vec::new();
                    use sparkify::copy::compressed::{Rule, decoder};
                    decoder(Box::new(&bytes[..]), c, Rule::ByName, Default::default())
                        .read_to_end(&mut text)
                        .unwrap_or_else(|e| panic!("{c:?} {name}: {e}"));
                    assert!(expected.contains_key(plain_name), "{c:?} {name}");
                    (plain_name, text)
                }
                // Only the JSONPaths file stays plain.
                None => {
                    assert_eq!(name, "log_json_path.json", "{c:?}");
                    (name.as_str(), bytes.clone())
                }
            };
            assert!(expected[text.0] == text.1, "{c:?} {name} differs");
        }
        let again = tempfile::tempdir().unwrap();
        generate(again.path(), &opts, |_| {}).unwrap();
        assert!(read_tree(again.path()) == tree, "{c:?}: not deterministic");
    }
    // Stored bytes are the data files' sizes on disk.
    let on_disk: usize = plain
        .iter()
        .filter(|(name, _)| name.as_str() != "log_json_path.json")
        .map(|(_, bytes)| bytes.len())
        .sum();
    assert_eq!(plain_report.stored_bytes, on_disk as u64);
}
