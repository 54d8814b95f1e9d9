//! A generator of Sparkify-shaped data: song files like the Million Song Dataset subset and
//! daily NDJSON event logs like eventsim's, with the quirks of the real sample (string
//! `userId`, `""` and nulls for logged-out users, float `registration`, double-encoded UTF-8).
//!
//! Output is a pure function of the options: every song, user and day is derived from the seed
//! and its own index, so the same seed gives byte-identical files, and memory does not grow with
//! the number of events (only per-user state is kept).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::copy::compressed::Compression;
use crate::error::{Error, Result};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub songs: u64,
    pub users: u64,
    pub days: u64,
    pub events_per_day: u64,
    pub seed: u64,
    /// Share of song plays that name a song of the catalogue (the rest are songs outside it).
    pub match_rate: f64,
    /// Compress every data file (gzip or zstd), named with its ending (`.json.gz`,
    /// `.json.zst`) as the pipeline's loader expects; the JSONPaths file stays plain.
    pub compress: Option<Compression>,
}

impl Default for GenerateOptions {
    /// A small dataset: a few seconds to load, big enough to exercise every rule.
    fn default() -> Self {
        GenerateOptions {
            songs: 400,
            users: 120,
            days: 30,
            events_per_day: 300,
            seed: 42,
            match_rate: 0.6,
            compress: None,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateReport {
    pub song_files: u64,
    pub log_files: u64,
    pub events: u64,
    pub next_song_events: u64,
    /// Bytes of JSON text written (before compression).
    pub bytes: u64,
    /// Bytes of the data files as stored (equal to `bytes` when not compressed).
    pub stored_bytes: u64,
}

/// The 2018-11-01T00:00:00Z the real sample starts on, in milliseconds.
const START_MS: i64 = 1_541_030_400_000;
const DAY_MS: i64 = 86_400_000;

/// The last millisecond of 9999-12-31: the loader rejects a later `ts`, so no generated day may
/// reach past it.
const LAST_LOADABLE_MS: i64 = 253_402_300_799_999;
/// Each user's state stays in memory for the whole run (sessions, level), so their number is
/// bounded where an allocation would otherwise abort.
const MAX_USERS: u64 = 50_000_000;

impl GenerateOptions {
    /// Refuses, before anything is written, sizes whose products overflow or whose events the
    /// loader would reject: the song → artist mapping multiplies `songs` by 9, every day's
    /// timestamps are `days × 86,400,000` ms after the start, and the events are `days ×
    /// events_per_day`.
    pub fn check(&self) -> Result<()> {
        let too_big = |what: &str, limit: String| {
            Error::usage(format!("--{what} is too large: at most {limit}"))
        };
        if self.songs.checked_mul(9).is_none() {
            return Err(too_big(
                "songs",
                crate::output::thousands((u64::MAX / 9) as i64),
            ));
        }
        if self.users > MAX_USERS {
            return Err(too_big(
                "users",
                format!(
                    "{} (each user's state is kept in memory)",
                    crate::output::thousands(MAX_USERS as i64)
                ),
            ));
        }
        // A day to spare: a session that starts late runs a few hours into the next day.
        let max_days = (LAST_LOADABLE_MS + 1 - START_MS) / DAY_MS - 1;
        if self.days > max_days as u64 {
            return Err(too_big(
                "days",
                format!(
                    "{} (the events would be dated after the year 9999, which no load accepts)",
                    crate::output::thousands(max_days)
                ),
            ));
        }
        if self.days.checked_mul(self.events_per_day).is_none() {
            return Err(Error::usage(
                "--days × --events-per-day is too large: the number of events must fit in 64 bits",
            ));
        }
        Ok(())
    }
}

/// The JSONPaths file Sparkify's Redshift COPY uses (same paths, same order as the original).
pub const JSONPATHS: &str = r#"{
    "jsonpaths": [
        "$['artist']",
        "$['auth']",
        "$['firstName']",
        "$['gender']",
        "$['itemInSession']",
        "$['lastName']",
        "$['length']",
        "$['level']",
        "$['location']",
        "$['method']",
        "$['page']",
        "$['registration']",
        "$['sessionId']",
        "$['song']",
        "$['status']",
        "$['ts']",
        "$['userAgent']",
        "$['userId']"
    ]
}
"#;

/// SplitMix64: tiny, fast, and fixed forever, so outputs never change with a crate upgrade.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.rotate_left(17));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ne", "to", "su", "vi", "da", "re", "po", "li", "ma", "sen", "tor",
    "bel", "dor", "fin", "gal", "har", "jon", "kel", "mar", "nor", "pal", "quin", "ros", "sal",
];
/// Syllables with non-ASCII letters: the logs carry these double-encoded.
const ACCENTED: &[&str] = &["bjö", "é", "ñá", "çã", "ü", "ø", "rê", "ý"];
const WORDS: &[&str] = &[
    "Love", "Night", "Fire", "Heart", "Dream", "Rain", "Blue", "Gold", "Road", "Song", "River",
    "Light", "Shadow", "Summer", "Ocean", "Star", "City", "Dance", "Home", "Wild", "Echo",
    "Silver", "Storm", "Garden", "Falling", "Running", "Tonight", "Forever", "Midnight", "Stone",
];
const FIRST: &[&str] = &[
    "Walter", "Kaylee", "Jacob", "Lily", "Tegan", "Chloe", "Aleena", "Kate", "Jayden", "Matthew",
    "Ryan", "Layla", "Mohammad", "Cecilia", "Jordan", "Avery", "Sara", "Elijah", "Anabelle",
];
const LAST: &[&str] = &[
    "Frye",
    "Summers",
    "Klein",
    "Koch",
    "Levine",
    "Cuevas",
    "Kirby",
    "Harrell",
    "Graves",
    "Jones",
    "Smith",
    "Garrison",
    "Rodriguez",
    "Owens",
    "Hogan",
    "Perez",
    "Williams",
    "Ayala",
    "Long",
];
const PLACES: &[&str] = &[
    "San Francisco-Oakland-Hayward, CA",
    "Phoenix-Mesa-Scottsdale, AZ",
    "Lansing-East Lansing, MI",
    "Waterloo-Cedar Falls, IA",
    "Chicago-Naperville-Elgin, IL-IN-WI",
    "Atlanta-Sandy Springs-Roswell, GA",
    "New York-Newark-Jersey City, NY-NJ-PA",
    "Portland-South Portland, ME",
    "Tampa-St. Petersburg-Clearwater, FL",
];
const AGENTS: &[&str] = &[
    "\"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36\"",
    "\"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36\"",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:31.0) Gecko/20100101 Firefox/31.0",
    "\"Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53\"",
    "Mozilla/5.0 (X11; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0",
];
/// (page, method, status, weight per mille) for logged-in users, after eventsim's mix.
const PAGES: &[(&str, &str, u16, u64)] = &[
    ("NextSong", "PUT", 200, 850),
    ("Home", "GET", 200, 45),
    ("Thumbs Up", "PUT", 307, 25),
    ("Add to Playlist", "PUT", 200, 12),
    ("Logout", "PUT", 307, 11),
    ("Add Friend", "PUT", 307, 8),
    ("Thumbs Down", "PUT", 307, 8),
    ("Settings", "GET", 200, 7),
    ("Downgrade", "GET", 200, 7),
    ("Help", "GET", 200, 6),
    ("About", "GET", 200, 4),
    ("Upgrade", "GET", 200, 3),
    ("Save Settings", "PUT", 307, 1),
    ("Submit Upgrade", "PUT", 307, 1),
    ("Submit Downgrade", "PUT", 307, 1),
    ("Error", "GET", 404, 1),
];

fn name(rng: &mut Rng, syllables: u64, accent: bool) -> String {
    let mut s = String::new();
    for i in 0..syllables {
        let syl = if accent && i == 1 {
            rng.pick(ACCENTED)
        } else {
            rng.pick(SYLLABLES)
        };
        s.push_str(syl);
    }
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// Song `i` of the catalogue: the same for a given seed, however many songs exist.
struct Song {
    song_id: String,
    title: String,
    artist_id: String,
    artist_name: String,
    duration: f64,
}

fn id(prefix: &str, rng: &mut Rng) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut s = String::from(prefix);
    for _ in 0..16 {
        s.push(ALPHA[rng.below(ALPHA.len() as u64) as usize] as char);
    }
    s
}

fn artist_count(opts: &GenerateOptions) -> u64 {
    (opts.songs * 9 / 10).max(1)
}

fn song(opts: &GenerateOptions, i: u64) -> Song {
    let mut rng = Rng::new(opts.seed, 1, i);
    // Most artists have one song, some have several, as in the sample (71 songs, 69 artists).
    let artist = if i % 10 == 9 {
        rng.below(artist_count(opts))
    } else {
        i * 9 / 10
    };
    let mut arng = Rng::new(opts.seed, 2, artist);
    let accent = arng.below(8) == 0;
    let artist_name = format!(
        "{} {}",
        name(&mut arng, 2, accent),
        name(&mut arng, 2, false)
    );
    let artist_id = format!("AR{}", &id("", &mut arng)[..16]);
    let words = 1 + rng.below(3);
    let title = (0..words)
        .map(|_| rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ");
    let accent = rng.below(10) == 0;
    let title = format!("{title} {}", name(&mut rng, 2, accent));
    Song {
        song_id: format!("SO{}", &id("", &mut rng)[..16]),
        title,
        artist_id,
        artist_name,
        // Five decimals, like the catalogue; exact in JSON and equal on both sides of the join.
        duration: (6_000_000 + rng.below(30_000_000)) as f64 / 100_000.0,
    }
}

fn song_json(opts: &GenerateOptions, i: u64, s: &Song) -> String {
    let mut rng = Rng::new(opts.seed, 3, i);
    let located = rng.below(10) < 4;
    let mut arng = Rng::new(opts.seed, 4, i);
    let value = json!({
        "num_songs": 1,
        "artist_id": s.artist_id,
        "artist_latitude": if located { json!(round5(arng.unit() * 100.0 - 20.0)) } else { json!(null) },
        "artist_longitude": if located { json!(round5(arng.unit() * 200.0 - 120.0)) } else { json!(null) },
        "artist_location": if rng.below(10) < 4 { String::new() } else { rng.pick(PLACES).to_string() },
        "artist_name": s.artist_name,
        "song_id": s.song_id,
        "title": s.title,
        "duration": s.duration,
        "year": if rng.below(10) < 6 { 0 } else { 1960 + rng.below(60) },
    });
    // The catalogue's layout: one line, a space after ':' and ',', no trailing newline, and
    // non-ASCII letters as \u escapes. Generated names and titles hold no ',' or ':'.
    escape_non_ascii(
        &value
            .to_string()
            .replace("\",\"", "\", \"")
            .replace("\":", "\": ")
            .replace(",\"", ", \""),
    )
}

/// Writes every non-ASCII character as a JSON `\uXXXX` escape, as both sources do.
fn escape_non_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn round5(x: f64) -> f64 {
    (x * 100_000.0).round() / 100_000.0
}

/// Writes UTF-8 text the way eventsim wrote it: read back as Latin-1 and encoded again, twice.
fn double_encode(text: &str) -> String {
    let once: String = text.bytes().map(char::from).collect();
    once.bytes().map(char::from).collect()
}

struct User {
    first: &'static str,
    last: &'static str,
    gender: &'static str,
    location: &'static str,
    agent: &'static str,
    registration: i64,
    paid: bool,
}

fn user(opts: &GenerateOptions, u: u64) -> User {
    let mut rng = Rng::new(opts.seed, 5, u);
    User {
        first: rng.pick(FIRST),
        last: rng.pick(LAST),
        gender: if rng.below(2) == 0 { "F" } else { "M" },
        location: rng.pick(PLACES),
        agent: rng.pick(AGENTS),
        registration: START_MS - 30 * DAY_MS + rng.below(30 * DAY_MS as u64) as i64,
        paid: rng.below(4) == 0,
    }
}

/// Writes the dataset below `out`: `song_data/`, `log_data/` and `log_json_path.json`.
pub fn generate(
    out: &Path,
    opts: &GenerateOptions,
    mut progress: impl FnMut(u64),
) -> Result<GenerateReport> {
    opts.check()?;
    let mut report = GenerateReport::default();
    let io = |what: &Path| {
        let what = what.to_path_buf();
        move |e| Error::io(format!("writing {}", what.display()), e)
    };
    fs::create_dir_all(out).map_err(io(out))?;
    for i in 0..opts.songs {
        let s = song(opts, i);
        let id = format!("TR{}", &s.song_id[2..]);
        let b = id.as_bytes();
        let dir: PathBuf = out
            .join("song_data")
            .join((b[2] as char).to_string())
            .join((b[3] as char).to_string())
            .join((b[4] as char).to_string());
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(format!("{id}.json{}", ending(opts.compress)));
        let text = song_json(opts, i, &s);
        let stored = compress_whole(text.as_bytes(), opts.compress).map_err(io(&path))?;
        crate::files::publish(&path, &stored).map_err(io(&path))?;
        report.song_files += 1;
        report.bytes += text.len() as u64;
        report.stored_bytes += stored.len() as u64;
    }
    let jp = out.join("log_json_path.json");
    crate::files::publish(&jp, JSONPATHS.as_bytes()).map_err(io(&jp))?;

    let mut users: Vec<User> = (0..opts.users.max(1)).map(|u| user(opts, u)).collect();
    let mut session_id: u64 = 1;
    for day in 0..opts.days {
        let day_start = START_MS + day as i64 * DAY_MS;
        let (y, m, d) = ymd(day_start);
        let dir = out
            .join("log_data")
            .join(format!("{y:04}"))
            .join(format!("{m:02}"));
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(format!(
            "{y:04}-{m:02}-{d:02}-events.json{}",
            ending(opts.compress)
        ));
        // Written under a temporary (hidden) name and renamed when whole, like every file here.
        let part = crate::files::temporary_name(&path);
        let mut w = Compressing::new(
            BufWriter::new(File::create(&part).map_err(io(&path))?),
            opts.compress,
        );
        let mut rng = Rng::new(opts.seed, 6, day);
        let mut written = 0;
        let mut first_line = true;
        while written < opts.events_per_day {
            let len = (1 + rng.below(40)).min(opts.events_per_day - written);
            let guest = rng.below(30) == 0;
            let u = rng.below(users.len() as u64) as usize;
            // Sessions start anywhere in the day and events follow a few minutes apart.
            let mut ts = day_start + rng.below(DAY_MS as u64 - 3 * 3_600_000) as i64;
            for item in 0..len {
                let line = if guest {
                    guest_event(&mut rng, session_id, item, ts)
                } else {
                    let (line, next_song) = user_event(
                        opts,
                        &mut rng,
                        &mut users[u],
                        u as u64,
                        session_id,
                        item,
                        ts,
                    );
                    report.next_song_events += u64::from(next_song);
                    line
                };
                if !first_line {
                    w.write_all(b"\n").map_err(io(&path))?;
                }
                first_line = false;
                w.write_all(line.as_bytes()).map_err(io(&path))?;
                report.bytes += line.len() as u64 + 1;
                ts += 1_000 * (20 + rng.below(280) as i64);
                written += 1;
            }
            session_id += 1;
        }
        w.finish().map_err(io(&path))?;
        report.stored_bytes += fs::metadata(&part).map_err(io(&path))?.len();
        fs::rename(&part, &path).map_err(io(&path))?;
        report.events += written;
        report.log_files += 1;
        progress(report.events);
    }
    Ok(report)
}

/// [`generate`] into a folder that appears whole or not at all: the data goes into a
/// temporary folder beside `dir`, `marker` (a file saying it is complete) is written last, and
/// the folder is renamed to `dir`. `None` when another process put a complete `dir` (one with
/// `marker`) there first; a killed run leaves only a hidden temporary folder, never a `dir`
/// without its marker.
pub fn generate_whole(
    dir: &Path,
    opts: &GenerateOptions,
    marker: (&str, &[u8]),
) -> Result<Option<GenerateReport>> {
    let tmp = crate::files::temporary_name(dir);
    let io = |what: &Path| {
        let what = what.to_path_buf();
        move |e| Error::io(format!("writing {}", what.display()), e)
    };
    let result = (|| {
        let report = generate(&tmp, opts, |_| {})?;
        let m = tmp.join(marker.0);
        crate::files::replace(&m, marker.1, 0o644).map_err(io(&m))?;
        match fs::rename(&tmp, dir) {
            Ok(()) => Ok(Some(report)),
            // Another run renamed its complete copy into place first: use that one.
            Err(_) if dir.join(marker.0).is_file() => Ok(None),
            Err(e) => Err(io(dir)(e)),
        }
    })();
    if !matches!(result, Ok(Some(_))) {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// The name ending of a data file compressed so.
fn ending(compress: Option<Compression>) -> &'static str {
    compress.map_or("", Compression::extension)
}

/// Zstandard text is compressed a frame per this many bytes: ruzstd compresses a frame from a
/// reader, so the text is cut into frames of a bounded size (a reader of any `.zst` file reads
/// frame after frame), which keeps memory flat whatever a day's size.
const ZSTD_FRAME_BYTES: usize = 4 << 20;

/// One small file's bytes, compressed whole (a song file is a few hundred bytes).
fn compress_whole(text: &[u8], compress: Option<Compression>) -> std::io::Result<Vec<u8>> {
    let mut w = Compressing::new(Vec::new(), compress);
    w.write_all(text)?;
    w.finish()
}

/// A writer that compresses what it is given as it goes (gzip and bzip2 at their tools'
/// default levels, zstd at ruzstd's fastest, the only level it implements), or passes it on.
enum Compressing<W: Write> {
    Plain(W),
    Gzip(flate2::write::GzEncoder<W>),
    Bzip2(bzip2::write::BzEncoder<W>),
    /// The text of the frame being gathered, and the writer.
    Zstd(Vec<u8>, W),
}

impl<W: Write> Compressing<W> {
    fn new(w: W, compress: Option<Compression>) -> Self {
        match compress {
            None => Compressing::Plain(w),
            Some(Compression::Bzip2) => Compressing::Bzip2(bzip2::write::BzEncoder::new(
                w,
                bzip2::Compression::default(),
            )),
            // No name or time in the header, so the same seed writes the same bytes.
            Some(Compression::Gzip) => Compressing::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::default(),
            )),
            Some(Compression::Zstd) => Compressing::Zstd(Vec::new(), w),
        }
    }

    /// Writes out what is buffered and the format's trailer; returns the writer.
    fn finish(self) -> std::io::Result<W> {
        match self {
            Compressing::Plain(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Compressing::Gzip(e) => {
                let mut w = e.finish()?;
                w.flush()?;
                Ok(w)
            }
            Compressing::Bzip2(e) => {
                let mut w = e.finish()?;
                w.flush()?;
                Ok(w)
            }
            Compressing::Zstd(text, mut w) => {
                if !text.is_empty() {
                    w.write_all(&zstd_frame(&text))?;
                }
                w.flush()?;
                Ok(w)
            }
        }
    }
}

fn zstd_frame(text: &[u8]) -> Vec<u8> {
    // A slice and a Vec cannot fail to read or write, so ruzstd's own unwraps cannot fire.
    ruzstd::encoding::compress_to_vec(text, ruzstd::encoding::CompressionLevel::Fastest)
}

impl<W: Write> Write for Compressing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Compressing::Plain(w) => w.write(buf),
            Compressing::Gzip(e) => e.write(buf),
            Compressing::Bzip2(e) => e.write(buf),
            Compressing::Zstd(text, w) => {
                text.extend_from_slice(buf);
                if text.len() >= ZSTD_FRAME_BYTES {
                    w.write_all(&zstd_frame(text))?;
                    text.clear();
                }
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // A frame is written whole or not at all; `finish` writes the last one.
        match self {
            Compressing::Plain(w) => w.flush(),
            Compressing::Gzip(e) => e.flush(),
            Compressing::Bzip2(e) => e.flush(),
            Compressing::Zstd(_, w) => w.flush(),
        }
    }
}

fn guest_event(rng: &mut Rng, session: u64, item: u64, ts: i64) -> String {
    let (page, method, status) = rng.pick(&[
        ("Home", "GET", 200u16),
        ("Login", "PUT", 307),
        ("About", "GET", 200),
        ("Help", "GET", 200),
    ]);
    event_line(&json!({
        "artist": null, "auth": "Logged Out", "firstName": null, "gender": null,
        "itemInSession": item, "lastName": null, "length": null,
        "level": if rng.below(3) == 0 { "free" } else { "paid" },
        "location": null, "method": method, "page": page, "registration": null,
        "sessionId": session, "song": null, "status": status, "ts": ts,
        "userAgent": null, "userId": "",
    }))
}

#[allow(clippy::too_many_arguments)]
fn user_event(
    opts: &GenerateOptions,
    rng: &mut Rng,
    user: &mut User,
    u: u64,
    session: u64,
    item: u64,
    ts: i64,
) -> (String, bool) {
    let roll = rng.below(1000);
    let mut acc = 0;
    let &(page, method, status, _) = PAGES
        .iter()
        .find(|p| {
            acc += p.3;
            roll < acc
        })
        .unwrap_or(&PAGES[0]);
    // Subscriptions change over the month, so `users.level` must follow the latest event.
    match page {
        "Submit Upgrade" => user.paid = true,
        "Submit Downgrade" => user.paid = false,
        _ => {}
    }
    let level = if user.paid { "paid" } else { "free" };
    let (artist, song, length) = if page == "NextSong" {
        if rng.unit() < opts.match_rate {
            let s = song(opts, rng.below(opts.songs.max(1)));
            (
                json!(double_encode(&s.artist_name)),
                json!(double_encode(&s.title)),
                json!(s.duration),
            )
        } else {
            let mut r = Rng::new(opts.seed, 7, rng.next());
            let artist = format!("{} {}", name(&mut r, 2, false), name(&mut r, 3, false));
            let title = format!("{} {}", r.pick(WORDS), r.pick(WORDS));
            (
                json!(artist),
                json!(title),
                json!(round5(120.0 + r.unit() * 240.0)),
            )
        }
    } else {
        (json!(null), json!(null), json!(null))
    };
    let line = event_line(&json!({
        "artist": artist, "auth": "Logged In", "firstName": user.first, "gender": user.gender,
        "itemInSession": item, "lastName": user.last, "length": length, "level": level,
        "location": user.location, "method": method, "page": page,
        "registration": user.registration as f64,
        "sessionId": session, "song": song, "status": status, "ts": ts,
        "userAgent": user.agent, "userId": (u + 1).to_string(),
    }));
    (line, page == "NextSong")
}

/// eventsim's layout: compact, keys in this order, `/` escaped, floats with a `.0`.
fn event_line(v: &serde_json::Value) -> String {
    let mut s = escape_non_ascii(&v.to_string().replace('/', "\\/"));
    // Registration is a float in the real logs (1540919166796.0).
    if let Some(pos) = s.find("\"registration\":")
        && let Some(end) = s[pos + 15..].find(',')
    {
        let num = &s[pos + 15..pos + 15 + end];
        if num != "null" && !num.contains('.') {
            s.insert_str(pos + 15 + end, ".0");
        }
    }
    s
}

fn ymd(ms: i64) -> (i64, u32, u32) {
    crate::time::civil_from_days(ms.div_euclid(DAY_MS))
}
