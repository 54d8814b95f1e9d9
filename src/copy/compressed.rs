//! Compressed data files (COPY's `GZIP`, `ZSTD`, `BZIP2`; the pipeline's `.gz`, `.zst`, `.bz2`),
//! decompressed as a stream: a `Read` adapter over the stream the source opened, so neither the
//! compressed nor the decompressed file is ever held whole. The JSON reader above it keeps its
//! own bound (about one record), whatever the file's size.
//!
//! Which files are compressed is a [`Rule`]. Redshift's COPY goes by its keyword alone (a
//! `.gz` file without `GZIP` is read as text, and fails); the pipeline goes by each file's
//! name, which is what people expect of a folder of `.json.gz` files. Either way a file that is
//! not what the rule says fails the load with the file's name and the decoder's reason, and
//! nothing of the load is kept.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// How a data file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Compression {
    /// `GZIP`: gzip, several members allowed (as `cat a.gz b.gz` writes).
    Gzip,
    /// `ZSTD`: Zstandard, several frames allowed.
    Zstd,
    /// `BZIP2`: bzip2, several streams allowed.
    Bzip2,
}

impl Compression {
    pub fn keyword(self) -> &'static str {
        match self {
            Compression::Gzip => "GZIP",
            Compression::Zstd => "ZSTD",
            Compression::Bzip2 => "BZIP2",
        }
    }

    /// The name ending that says a file is so compressed, for [`Rule::ByName`].
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
            Compression::Bzip2 => ".bz2",
        }
    }

    /// The compression a file's name (a path or an `s3://` key) says, by its last ending,
    /// ignoring case: `.gz`, `.zst`, `.bz2`; `None` for any other name.
    pub fn of_name(name: &str) -> Option<Compression> {
        let name = name.to_ascii_lowercase();
        [Compression::Gzip, Compression::Zstd, Compression::Bzip2]
            .into_iter()
            .find(|c| name.ends_with(c.extension()))
    }
}

/// Which data files a load decompresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rule {
    /// Each file as its name ends ([`Compression::of_name`]): the pipeline's rule, so a
    /// folder may mix compressed and plain files.
    #[default]
    ByName,
    /// Every file, whatever its name: COPY's keyword (`None`: COPY without one, every file is
    /// text).
    Keyword(Option<Compression>),
}

impl Rule {
    /// How the file at `location` is read.
    pub fn of(self, location: &str) -> Option<Compression> {
        match self {
            Rule::ByName => Compression::of_name(location),
            Rule::Keyword(c) => c,
        }
    }

    /// Why a file is read as `compression`, for an error about it.
    fn why(self, compression: Compression) -> String {
        match self {
            Rule::ByName => format!("its name ends in {}", compression.extension()),
            Rule::Keyword(_) => "the COPY says".to_string(),
        }
    }
}

/// The one compression keyword a server-side COPY of `source`'s `files` carries, by their names
/// ([`Rule::ByName`]): Redshift's COPY takes one keyword for every file it reads, so files of
/// two kinds (gzip and zstd, or compressed and plain) are refused, naming one of each.
pub fn one_keyword<'a>(
    source: &str,
    files: impl IntoIterator<Item = &'a str>,
) -> Result<Option<Compression>, String> {
    let mut first: Option<(&str, Option<Compression>)> = None;
    for file in files {
        let this = Compression::of_name(file);
        match first {
            None => first = Some((file, this)),
            Some((seen, kind)) if kind != this => {
                let describe = |name: &str, c: Option<Compression>| match c {
                    Some(c) => format!(
                        "{name} is {} (its name ends in {})",
                        c.keyword(),
                        c.extension()
                    ),
                    None => format!("{name} is not compressed"),
                };
                return Err(format!(
                    "{source} mixes files of two kinds ({}, {}): Redshift's COPY takes one \
                     compression keyword (GZIP, BZIP2 or ZSTD, or none) for every file it reads, \
                     so it cannot load this source in one COPY; put each kind under a prefix of \
                     its own (DuckDB and PostgreSQL load a mixed source as it is)",
                    describe(seen, kind),
                    describe(file, this)
                ));
            }
            Some(_) => {}
        }
    }
    Ok(first.and_then(|(_, kind)| kind))
}

/// What the stream under a decoder has done: bytes read (the file's size, for the load ledger)
/// and whether a read of it failed (so a failure of the source is not taken for corrupt data).
#[derive(Debug, Default)]
pub struct Tracked {
    pub bytes: Cell<u64>,
    pub failed: Cell<bool>,
}

/// The source stream, counting what it gives and noting when it fails.
pub struct Counting<'a> {
    inner: &'a mut dyn Read,
    state: Rc<Tracked>,
}

impl<'a> Counting<'a> {
    pub fn new(inner: &'a mut dyn Read) -> (Counting<'a>, Rc<Tracked>) {
        let state = Rc::new(Tracked::default());
        (
            Counting {
                inner,
                state: state.clone(),
            },
            state,
        )
    }
}

impl Read for Counting<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(out) {
            Ok(n) => {
                self.state.bytes.set(self.state.bytes.get() + n as u64);
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.state.failed.set(true);
                }
                Err(e)
            }
        }
    }
}

/// Why a compressed file could not be decompressed (carried inside an `io::Error`, so the
/// loader can tell it from a failed read).
#[derive(Debug)]
pub struct DecompressError(pub String);

impl std::fmt::Display for DecompressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecompressError {}

impl DecompressError {
    /// The message of `e` when it is a decompression error.
    pub fn in_error(e: &io::Error) -> Option<&str> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<DecompressError>())
            .map(|d| d.0.as_str())
    }
}

/// Decompresses `input` as `compression`; `rule` says why (for the message of a file that is not
/// so compressed), and `source` is the tracker of the stream under it.
pub fn decoder<'a>(
    input: Box<dyn Read + 'a>,
    compression: Compression,
    rule: Rule,
    source: Rc<Tracked>,
) -> Box<dyn Read + 'a> {
    // 64 KiB reads of the source: an S3 body or a file gives what it has, the decoders want
    // small reads (bzip2 and ruzstd read a few bytes at a time).
    let buffered = BufReader::with_capacity(64 * 1024, input);
    let inner: Box<dyn Read + 'a> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(ZstdFrames::new(buffered)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
    };
    Box::new(Decoding {
        inner,
        compression,
        why: rule.why(compression),
        source,
    })
}

/// A decoder whose own errors (not its source's) become [`DecompressError`]s.
struct Decoding<'a> {
    inner: Box<dyn Read + 'a>,
    compression: Compression,
    why: String,
    source: Rc<Tracked>,
}

impl Read for Decoding<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.inner.read(out).map_err(|e| {
            if self.source.failed.get() || e.kind() == io::ErrorKind::Interrupted {
                return e;
            }
            io::Error::new(
                io::ErrorKind::InvalidData,
                DecompressError(format!(
                    "cannot decompress ({}, as {}): {e}; nothing was loaded",
                    self.compression.keyword(),
                    self.why
                )),
            )
        })
    }
}

/// The Zstandard frames of a stream, one after the other (as `cat a.zst b.zst` writes).
/// ruzstd's frame decoder reads exactly one frame's bytes, so the next frame starts where it
/// stopped; one decoder is reused, so its window is allocated once. Skippable frames are
/// skipped; each frame's checksum, when it has one, is checked.
struct ZstdFrames<R: BufRead> {
    input: R,
    decoder: ruzstd::decoding::FrameDecoder,
    /// A frame is being decoded (its header was read).
    in_frame: bool,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(input: R) -> ZstdFrames<R> {
        ZstdFrames {
            input,
            decoder: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::BlockDecodingStrategy;
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                // As ruzstd's StreamingDecoder reads, over an input it does not own.
                while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                    self.decoder
                        .decode_blocks(&mut self.input, BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(|e| invalid(e.to_string()))?;
                }
                let n = self.decoder.read(out)?;
                if n > 0 {
                    return Ok(n);
                }
                self.in_frame = false;
                if let (Some(stored), Some(computed)) = (
                    self.decoder.get_checksum_from_data(),
                    self.decoder.get_calculated_checksum(),
                ) && stored != computed
                {
                    return Err(invalid(format!(
                        "frame checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
                    )));
                }
            }
            // The stream may end between frames, and only there.
            if self.input.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match self.decoder.init(&mut self.input) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    // The skippable frame's header was read; its content follows.
                    let want = u64::from(length);
                    let skipped = io::copy(&mut (&mut self.input).take(want), &mut io::sink())?;
                    if skipped < want {
                        return Err(invalid("the file ends inside a skippable frame".into()));
                    }
                }
                Err(e) => return Err(invalid(e.to_string())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    fn bzip2(text: &[u8]) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    fn zstd(text: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(text, ruzstd::encoding::CompressionLevel::Fastest)
    }

    /// A source that gives at most `step` bytes a read and counts how far it was read.
    struct Dribble<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Decompresses `bytes` as `c` through a source giving `step` bytes a read: the text, and
    /// the bytes the source gave.
    fn decompress(bytes: &[u8], c: Compression, step: usize) -> Result<(Vec<u8>, u64), String> {
        let mut source = Dribble { bytes, step };
        let (counting, tracked) = Counting::new(&mut source);
        let mut d = decoder(Box::new(counting), c, Rule::ByName, tracked.clone());
        let mut out = Vec::new();
        match d.read_to_end(&mut out) {
            Ok(_) => Ok((out, tracked.bytes.get())),
            Err(e) => Err(DecompressError::in_error(&e)
                .map(str::to_string)
                .unwrap_or_else(|| format!("not a decompression error: {e}"))),
        }
    }

    #[test]
    fn several_members_frames_and_streams_are_one_stream_read_in_small_pieces() {
        let (a, b) = (b"{\"a\":1}\n".as_slice(), b"{\"a\":2}\n".as_slice());
        for (c, one) in [
            (Compression::Gzip, gzip as fn(&[u8]) -> Vec<u8>),
            (Compression::Zstd, zstd),
            (Compression::Bzip2, bzip2),
        ] {
            let mut two = one(a);
            two.extend(one(b));
            for step in [1, 7, 1 << 20] {
                let (text, read) = decompress(&two, c, step).unwrap();
                assert_eq!(text, b"{\"a\":1}\n{\"a\":2}\n", "{c:?} step {step}");
                // The source is read to its end: the ledger's size is the file's.
                assert_eq!(read, two.len() as u64, "{c:?} step {step}");
            }
        }
    }

    #[test]
    fn a_file_that_is_not_so_compressed_is_a_decompression_error_saying_why() {
        for c in [Compression::Gzip, Compression::Zstd, Compression::Bzip2] {
            let err = decompress(b"{\"a\":1}\n", c, 1 << 20).unwrap_err();
            assert!(
                err.starts_with(&format!(
                    "cannot decompress ({}, as its name ends in {})",
                    c.keyword(),
                    c.extension()
                )),
                "{err}"
            );
            assert!(err.ends_with("; nothing was loaded"), "{err}");
        }
        // A gzip file cut short is an error too, not a short read.
        let whole = gzip(&b"{\"a\":1}\n".repeat(1000));
        let err = decompress(&whole[..whole.len() / 2], Compression::Gzip, 1 << 20).unwrap_err();
        assert!(err.contains("cannot decompress (GZIP"), "{err}");
    }

    #[test]
    fn a_failed_read_of_the_source_is_not_taken_for_corrupt_data() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("connection reset"))
            }
        }
        for c in [Compression::Gzip, Compression::Zstd, Compression::Bzip2] {
            let mut source = Broken;
            let (counting, tracked) = Counting::new(&mut source);
            let mut d = decoder(Box::new(counting), c, Rule::Keyword(Some(c)), tracked);
            let err = d.read_to_end(&mut Vec::new()).unwrap_err();
            assert!(DecompressError::in_error(&err).is_none(), "{c:?}: {err}");
            assert!(err.to_string().contains("connection reset"), "{c:?}: {err}");
        }
    }

    #[test]
    fn zstd_skippable_frames_are_skipped_and_a_bad_checksum_is_an_error() {
        let mut data = Vec::new();
        // A skippable frame (magic 0x184D2A50, 3 bytes of content) before the data frame.
        data.extend_from_slice(&0x184D_2A50_u32.to_le_bytes());
        data.extend_from_slice(&3_u32.to_le_bytes());
        data.extend_from_slice(b"xyz");
        data.extend(zstd(b"{\"a\":1}\n"));
        let (text, _) = decompress(&data, Compression::Zstd, 5).unwrap();
        assert_eq!(text, b"{\"a\":1}\n");
        // ruzstd writes a checksum: flipping one of its bits is caught.
        let mut bad = zstd(b"{\"a\":1}\n");
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let err = decompress(&bad, Compression::Zstd, 1 << 20).unwrap_err();
        assert!(err.contains("checksum"), "{err}");
    }

    #[test]
    fn a_server_side_copy_takes_one_keyword_for_all_its_files() {
        let one = |names: &[&str]| one_keyword("s3://b/log_data", names.iter().copied());
        assert_eq!(
            one(&["a.json.gz", "b.JSON.GZ"]),
            Ok(Some(Compression::Gzip))
        );
        assert_eq!(one(&["a.json", "b.json"]), Ok(None));
        assert_eq!(one(&[]), Ok(None));
        let mixed = one(&["a.json.gz", "b.json.gz", "c.json.zst"]).unwrap_err();
        assert!(
            mixed.starts_with(
                "s3://b/log_data mixes files of two kinds (a.json.gz is GZIP (its name ends in \
                 .gz), c.json.zst is ZSTD (its name ends in .zst))"
            ),
            "{mixed}"
        );
        let plain = one(&["a.json", "b.json.bz2"]).unwrap_err();
        assert!(
            plain.contains("(a.json is not compressed, b.json.bz2 is BZIP2"),
            "{plain}"
        );
    }

    #[test]
    fn names_decide_by_their_last_ending_ignoring_case() {
        let by_name = |n: &str| Rule::ByName.of(n);
        assert_eq!(
            by_name("log_data/2018-11-01.json.gz"),
            Some(Compression::Gzip)
        );
        assert_eq!(by_name("s3://b/k/part-0.JSON.GZ"), Some(Compression::Gzip));
        assert_eq!(by_name("x.zst"), Some(Compression::Zstd));
        assert_eq!(by_name("x.bz2"), Some(Compression::Bzip2));
        assert_eq!(by_name("x.json"), None);
        assert_eq!(by_name("x.gz.json"), None);
        assert_eq!(by_name("x.tgz"), None);
        // COPY's keyword goes for every file, whatever its name.
        assert_eq!(Rule::Keyword(None).of("x.gz"), None);
        assert_eq!(
            Rule::Keyword(Some(Compression::Zstd)).of("x.json"),
            Some(Compression::Zstd)
        );
    }
}
