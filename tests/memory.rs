//! Memory with a bound: inputs far larger than the limit stay under it. Each test measures the
//! peak resident memory of the `sparkify` child process with GNU time (`/usr/bin/time -f %M`,
//! the Debian package `time`, which `scripts/test` installs), on inputs generated into a
//! temporary folder and deleted afterwards.

mod common;
// The S3 test needs the moto helpers (and the SDK code they pull in).
#[path = "common/moto.rs"]
mod moto;

use std::io::Write;
use std::path::Path;

use common::bin::Sparkify;
use common::sample_dir;

/// The bound the issue sets for every input.
const LIMIT_KIB: u64 = 500 * 1024;

/// An event the JSONPaths file maps, with a `userId` that is not a number: the converter
/// rejects it, so every such row becomes a load error. Its user agent is long (1.5 kB, as some
/// real ones are), so gigabytes take fewer rows and the test less time.
fn bad_event() -> String {
    format!(
        r#"{{"artist":null,"auth":"Logged In","firstName":"A","gender":"F","itemInSession":0,"lastName":"B","length":null,"level":"free","location":"X","method":"GET","page":"Home","registration":1540919166796.0,"sessionId":1,"song":null,"status":200,"ts":1541105830796,"userAgent":"{}","userId":"seven"}}"#,
        "Mozilla/5.0 ".repeat(128)
    )
}
const GOOD_EVENT: &str = r#"{"artist":null,"auth":"Logged In","firstName":"A","gender":"F","itemInSession":0,"lastName":"B","length":null,"level":"free","location":"X","method":"GET","page":"Home","registration":1540919166796.0,"sessionId":1,"song":null,"status":200,"ts":1541105830796,"userAgent":"UA","userId":"7"}"#;

/// `n` with a comma between thousands, as sparkify prints counts.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `sparkify ARGS` under GNU time: (exit code, stderr without time's line, peak RSS in KiB).
fn peak<S: AsRef<str>>(
    cwd: &Path,
    env: &[(&str, String)],
    args: &[S],
) -> (Option<i32>, String, u64) {
    let (code, _, stderr, kib) = peak_output(cwd, env, args);
    (code, stderr, kib)
}

/// [`peak`] with stdout: (exit code, stdout, stderr without time's line, peak RSS in KiB).
fn peak_output<S: AsRef<str>>(
    cwd: &Path,
    env: &[(&str, String)],
    args: &[S],
) -> (Option<i32>, String, String, u64) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = Sparkify::under("/usr/bin/time", &["-f", "%M"])
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(&args)
        .output();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (rest, last) = stderr
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", stderr.trim_end()));
    let kib = last
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no peak RSS in {stderr:?}"));
    println!("peak RSS {kib} KiB: sparkify {}", args.join(" "));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code(), stdout, rest.to_string(), kib)
}

/// Writes `line` + newline repeatedly until the file holds at least `bytes`; returns the lines.
fn write_repeated(path: &Path, line: &str, bytes: u64) -> u64 {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let per_line = line.len() as u64 + 1;
    let lines = bytes.div_ceil(per_line);
    let block: String = format!("{line}\n").repeat(1024);
    for _ in 0..lines / 1024 {
        out.write_all(block.as_bytes()).unwrap();
    }
    for _ in 0..lines % 1024 {
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
    lines
}

/// `sparkify etl` of `events` (a path or an s3:// URI) into the DuckDB warehouse `w.duckdb` in
/// `dir`, with the sample's song files and JSONPaths file, then `extra`: (the warehouse, the
/// arguments).
fn sample_etl(dir: &Path, events: &str, extra: &[&str]) -> (String, Vec<String>) {
    let warehouse = format!("duckdb:{}", dir.join("w.duckdb").display());
    let jsonpaths = sample_dir().join("log_json_path.json");
    let songs = sample_dir().join("song_data");
    let mut args = vec![
        "etl".to_string(),
        "--warehouse".to_string(),
        warehouse.clone(),
        "--events".to_string(),
        events.to_string(),
        "--jsonpaths".to_string(),
        jsonpaths.display().to_string(),
        "--songs".to_string(),
        songs.display().to_string(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    (warehouse, args)
}

/// A 2 GiB local file in which every row is rejected, with --max-errors 10: the file is
/// streamed (never held whole) and the rejected rows past the 11th are counted, not kept. This
/// proves the local read path and the error cap; before the fix the whole file was read into
/// memory and every rejected row kept (several GB).
#[test]
fn a_2_gb_file_of_rejected_rows_stays_under_500_mb() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.json");
    let rows = write_repeated(&events, &bad_event(), 2 << 30);
    let (warehouse, args) = sample_etl(
        tmp.path(),
        events.to_str().unwrap(),
        &["--max-errors", "10"],
    );
    let (code, stderr, kib) = peak(tmp.path(), &[], &args);
    std::fs::remove_file(&events).unwrap();
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "load of staging_events rejected: {rows} bad row(s), more than --max-errors 10"
        )),
        "{stderr}"
    );
    assert!(kib < LIMIT_KIB, "peak RSS {kib} KiB for a 2 GiB file");
    // Exactly MAXERROR + 1 rejected rows are kept to inspect.
    let out = common::sparkify()
        .current_dir(tmp.path())
        .args([
            "query",
            "SELECT COUNT(*) FROM load_errors",
            "--format",
            "csv",
        ])
        .args(["--warehouse", &warehouse])
        .output();
    assert_eq!(common::ok(&out), "count_star()\n11\n");
}

/// A good event of about 2.7 kB, most of it in the columns a row keeps (as text, each value
/// its own allocation), so that a file's rows take more memory than the file itself.
fn wide_event() -> String {
    let long = |word: &str, n: usize| word.repeat(n);
    format!(
        r#"{{"artist":"{}","auth":"Logged In","firstName":"A","gender":"F","itemInSession":0,"lastName":"B","length":null,"level":"free","location":"{}","method":"GET","page":"Home","registration":1540919166796.0,"sessionId":1,"song":"{}","status":200,"ts":1541105830796,"userAgent":"{}","userId":"7"}}"#,
        long("Artist ", 70),
        long("Town, ST ", 55),
        long("Song ", 100),
        long("Mozilla/5.0 ", 80)
    )
}

/// A 1 GiB local file of good rows, staged into DuckDB under a 250 MB cap: the rows go to
/// DuckDB a vector at a time as they are parsed. Before, the thread that parsed a file held
/// all its rows until DuckDB had taken them (here over 1 GB).
#[test]
fn a_1_gb_file_of_good_rows_is_staged_under_500_mb() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.json");
    let rows = write_repeated(&events, &wide_event(), 1 << 30);
    let (warehouse, args) = sample_etl(tmp.path(), events.to_str().unwrap(), &[]);
    let env = [("SPARKIFY_DUCKDB_MEMORY", "250MB".to_string())];
    let (code, stderr, kib) = peak(tmp.path(), &env, &args);
    std::fs::remove_file(&events).unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        kib < LIMIT_KIB,
        "peak RSS {kib} KiB for a 1 GiB file of good rows"
    );
    // Every row arrived, whole.
    let out = common::sparkify()
        .current_dir(tmp.path())
        .args([
            "query",
            "SELECT COUNT(*), MIN(LENGTH(useragent)), MAX(LENGTH(useragent)) \
             FROM staging_events",
            "--format",
            "csv",
        ])
        .args(["--warehouse", &warehouse])
        .output();
    assert_eq!(
        common::ok(&out).lines().nth(1),
        Some(format!("{rows},960,960").as_str())
    );
}

/// A local 1 GiB file whose first record is one object of 1 GiB, followed by a good record.
/// The object is rejected for the 4 MB limit without being parsed or held (its size is found
/// by scanning the stream), and the next record still loads. This proves the size check and
/// the reader's bound for a single huge object on the local path; the S3 test below proves
/// that an object's body is streamed too (moto holds objects in memory and takes minutes for
/// 1 GiB, so the S3 object is smaller).
#[test]
fn a_1_gb_single_object_stays_under_500_mb() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.json");
    let huge: u64 = 1 << 30;
    {
        let mut out =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&events).unwrap());
        let head = br#"{"artist":""#;
        let tail = b"\"}\n";
        out.write_all(head).unwrap();
        let filler = vec![b'a'; 1 << 20];
        let mut left = huge - (head.len() + tail.len() - 1) as u64;
        while left > 0 {
            let n = left.min(filler.len() as u64) as usize;
            out.write_all(&filler[..n]).unwrap();
            left -= n as u64;
        }
        out.write_all(tail).unwrap();
        writeln!(out, "{GOOD_EVENT}").unwrap();
        out.flush().unwrap();
    }
    let (warehouse, args) =
        sample_etl(tmp.path(), events.to_str().unwrap(), &["--max-errors", "1"]);
    let (code, stderr, kib) = peak(tmp.path(), &[], &args);
    std::fs::remove_file(&events).unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(kib < LIMIT_KIB, "peak RSS {kib} KiB for a 1 GiB object");
    let out = common::sparkify()
        .current_dir(tmp.path())
        .args(["--warehouse", &warehouse])
        .args([
            "query",
            "SELECT line, reason FROM load_errors",
            "--format",
            "csv",
        ])
        .output();
    assert_eq!(
        common::ok(&out),
        format!("line,reason\n1,JSON object of {huge} bytes exceeds the 4 MB limit\n")
    );
    let out = common::sparkify()
        .current_dir(tmp.path())
        .args(["--warehouse", &warehouse])
        .args([
            "query",
            "SELECT rows_read, rows_loaded, rows_rejected, size_bytes FROM load_ledger \
             WHERE table_name = 'staging_events'",
            "--format",
            "csv",
        ])
        .output();
    assert_eq!(
        common::ok(&out),
        format!(
            "rows_read,rows_loaded,rows_rejected,size_bytes\n2,1,1,{}\n",
            huge + 1 + GOOD_EVENT.len() as u64 + 1
        )
    );
}

/// A 1 GiB gzip file of 1 GiB of rejected rows, loaded by the pipeline (decompressed because
/// its name ends in `.gz`): the compressed file is read as a stream and decompressed as one,
/// so neither it nor its text is ever held whole. The gzip is stored without compression
/// (level 0: a valid gzip as large as its text), so holding either whole would cost 1 GiB;
/// before decompression streamed, `sparkify copy ... GZIP` read the whole compressed file first.
#[test]
fn a_1_gb_gzip_file_is_decompressed_as_a_stream_under_500_mb() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.json.gz");
    let line = bad_event();
    let size: u64 = 1 << 30;
    let rows = size.div_ceil(line.len() as u64 + 1);
    {
        let file =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&events).unwrap());
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::none());
        let block = format!("{line}\n").repeat(1024);
        for _ in 0..rows / 1024 {
            gz.write_all(block.as_bytes()).unwrap();
        }
        for _ in 0..rows % 1024 {
            writeln!(gz, "{line}").unwrap();
        }
        gz.finish().unwrap().flush().unwrap();
    }
    let stored = std::fs::metadata(&events).unwrap().len();
    assert!(stored > size, "the gzip file is {stored} bytes");
    let (_, args) = sample_etl(
        tmp.path(),
        events.to_str().unwrap(),
        &["--max-errors", "10"],
    );
    let (code, stderr, kib) = peak(tmp.path(), &[], &args);
    std::fs::remove_file(&events).unwrap();
    assert_eq!(code, Some(4), "{stderr}");
    // Every row was decompressed, parsed and rejected.
    assert!(
        stderr.contains(&format!(
            "load of staging_events rejected: {rows} bad row(s), more than --max-errors 10"
        )),
        "{stderr}"
    );
    assert!(kib < LIMIT_KIB, "peak RSS {kib} KiB for a 1 GiB gzip file");
}

/// `sparkify copy ... ACCEPTINVCHARS` over a 1 GiB file in which every record has an invalid
/// sequence: the repair streams (before, the file was read whole and then copied once more,
/// repaired: 2 GiB). Each record's bulk is a key no column takes, so the rows loaded are small
/// and the file's size is all in the reading; every replacement is counted.
#[test]
fn an_acceptinvchars_load_of_1_gb_streams_under_500_mb() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("readings.json");
    // A three-byte sequence cut to two bytes in every record, inside 16 KiB of filler.
    let mut record = b"{\"id\": 7, \"junk\": \"\xe2\x82".to_vec();
    record.extend(std::iter::repeat_n(b'n', 16 << 10));
    record.extend_from_slice(b"\"}\n");
    let size: u64 = 1 << 30;
    let rows = size.div_ceil(record.len() as u64);
    {
        let mut out =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&data).unwrap());
        for _ in 0..rows {
            out.write_all(&record).unwrap();
        }
        out.flush().unwrap();
    }
    let warehouse = format!("duckdb:{}", tmp.path().join("w.duckdb").display());
    let created = common::sparkify()
        .current_dir(tmp.path())
        .args(["query", "--warehouse", &warehouse])
        .arg("CREATE TABLE readings (id INTEGER)")
        .output();
    common::ok(&created);
    let (code, stdout, stderr, kib) = peak_output(
        tmp.path(),
        &[],
        &[
            "copy",
            "--warehouse",
            &warehouse,
            "COPY readings FROM 'readings.json' JSON 'auto' ACCEPTINVCHARS AS '^'",
        ],
    );
    std::fs::remove_file(&data).unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        kib < LIMIT_KIB,
        "peak RSS {kib} KiB for a 1 GiB ACCEPTINVCHARS load"
    );
    let out = common::sparkify()
        .current_dir(tmp.path())
        .args(["query", "--warehouse", &warehouse])
        .args(["SELECT COUNT(*) FROM readings", "--format", "csv"])
        .output();
    assert_eq!(common::ok(&out), format!("count_star()\n{rows}\n"));
    assert!(
        stdout.contains(&format!(
            "{} invalid UTF-8 byte(s) replaced with '^' in {} line(s) (ACCEPTINVCHARS)",
            thousands(2 * rows),
            thousands(rows)
        )),
        "{stdout}"
    );
}

/// `sparkify query --limit` asks the warehouse for those rows only: a query of 20 million rows
/// limited to 3 stays small (collecting every row first took over 1 GB).
#[test]
fn query_limit_is_pushed_into_the_sql() {
    let tmp = tempfile::tempdir().unwrap();
    let warehouse = format!("duckdb:{}", tmp.path().join("w.duckdb").display());
    let (code, stderr, kib) = peak(
        tmp.path(),
        &[],
        &[
            "query",
            "--warehouse",
            &warehouse,
            "SELECT range AS n FROM range(20000000)",
            "--limit",
            "3",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(kib < 300 * 1024, "peak RSS {kib} KiB");
    let out = common::sparkify()
        .current_dir(tmp.path())
        .args(["query", "--warehouse", &warehouse])
        .args([
            "SELECT range AS n FROM range(1000) ORDER BY n DESC;",
            "--limit",
            "3",
            "--format",
            "csv",
        ])
        .output();
    // The query's own ORDER BY decides which rows are first; a final `;` is allowed.
    assert_eq!(common::ok(&out), "n\n999\n998\n997\n");
}

/// A 320 MiB S3 object in which every row is rejected: its body is read as a stream, so the
/// peak stays well below the object's size (before the fix the whole body was collected, then
/// copied). moto keeps objects in memory and is slow with a 1 GiB upload, so this proves the
/// streaming of S3 bodies, not the 1 GiB bound itself (the local tests above do that).
#[test]
fn an_s3_object_is_streamed_not_held_whole() {
    let m = moto::server();
    let env = moto::env(&m.endpoint);
    m.create_bucket("memory");
    let size: u64 = 320 << 20;
    let bad_event = bad_event();
    let per_line = bad_event.len() as u64 + 1;
    let rows = size.div_ceil(per_line);
    let body = format!("{bad_event}\n").repeat(rows as usize).into_bytes();
    m.put("memory", "log_data/big.json", body);
    let tmp = tempfile::tempdir().unwrap();
    let (_, args) = sample_etl(tmp.path(), "s3://memory/log_data", &["--max-errors", "10"]);
    let (code, stderr, kib) = peak(tmp.path(), &env, &args);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "load of staging_events rejected: {rows} bad row(s), more than --max-errors 10"
        )),
        "{stderr}"
    );
    assert!(
        kib < (size >> 10) / 2,
        "peak RSS {kib} KiB for an object of {} KiB",
        size >> 10
    );
}
