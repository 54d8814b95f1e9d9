//! Benchmark: a bare parse pass over JSON files, the practical upper bound for staging.
//!
//! Lists every `.json` file under the given folders (hidden files skipped, as sparkify skips
//! them), reads each one whole and parses it with serde_json, the parser sparkify uses (with
//! sparkify's features, `arbitrary_precision` and `preserve_order`), into `serde_json::Value`
//! one record at a time: one line of NDJSON, or one object of a song file. Nothing is converted,
//! checked or written anywhere. Files are shared out to one thread per CPU through an atomic
//! index over the file list.
//!
//! This is the parse a loader written the obvious way does, and what the staging target
//! ("≥ 50 % of bare-parse speed") is measured against, unchanged since the target was set.
//! Sparkify's own reader no longer builds each object as a hash map (`copy::record`), so its
//! parse alone is faster than this one; staging still converts, checks and writes every row.
//!
//! It runs on the allocator the `sparkify` binary runs on, with the same settings
//! (`sparkify::allocator`), so that the ratio measures staging's work rather than a difference of
//! allocators.
//!
//! Run by `scripts/bench.sh`, or by hand:
//! `cargo run --release --example bench_parse -- DATA/song_data DATA/log_data`.
//! Prints one line: `files=N records=N bytes=N seconds=S threads=N mb_per_s=X`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: sparkify::allocator::Allocator = sparkify::allocator::Allocator {};

/// Every `.json` file under `dir`, in file-name order, hidden files and folders skipped.
fn list_json(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| format!("listing {}: {e}", dir.display()))?;
        let is_json = entry.path().extension().is_some_and(|x| x == "json");
        if entry.file_type().is_file() && is_json {
            out.push(entry.into_path());
        }
    }
    Ok(())
}

/// Parses the files that `next` hands out until none is left; returns (records, bytes).
fn parse_files(files: &[PathBuf], next: &AtomicUsize) -> Result<(u64, u64), String> {
    let mut records = 0u64;
    let mut bytes = 0u64;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(path) = files.get(i) else {
            return Ok((records, bytes));
        };
        let data = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        bytes += data.len() as u64;
        let stream = serde_json::Deserializer::from_slice(&data).into_iter::<serde_json::Value>();
        for value in stream {
            // Each Value is built in full and dropped: parsing is what is measured.
            value.map_err(|e| format!("parsing {}: {e}", path.display()))?;
            records += 1;
        }
    }
}

fn main() {
    sparkify::allocator::configure();
    let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: bench_parse DIR...   (parses every .json file under the folders)");
        std::process::exit(2);
    }
    let start = Instant::now();
    let mut files = Vec::new();
    for dir in &dirs {
        if let Err(e) = list_json(dir, &mut files) {
            eprintln!("bench_parse: {e}");
            std::process::exit(1);
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let results: Vec<Result<(u64, u64), String>> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..threads {
            handles.push(scope.spawn(|| parse_files(&files, &next)));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a parser thread panicked".to_string()))
            })
            .collect()
    });
    let mut records = 0u64;
    let mut bytes = 0u64;
    for result in results {
        match result {
            Ok((r, b)) => {
                records += r;
                bytes += b;
            }
            Err(e) => {
                eprintln!("bench_parse: {e}");
                std::process::exit(1);
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "files={} records={records} bytes={bytes} seconds={seconds:.3} threads={threads} mb_per_s={:.1}",
        files.len(),
        bytes as f64 / 1e6 / seconds.max(1e-9)
    );
}
