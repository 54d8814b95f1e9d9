//! Compressed data files (COPY's `GZIP`, `ZSTD`, `BZIP2`), read as a stream: the decompressed text is handed
//! on in windows of a few megabytes, each ending where a record starts, so a large file never
//! sits decompressed in memory whole.
//!
//! A window ends before the last line that starts with `{` or `[` in its first column: where
//! NDJSON writers (and the reader's own recovery, see [`super::reader`]) start records. A
//! window with no such line grows until it has one or the stream ends.

use std::io::Read;

/// How a data file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// Decompressed bytes per window before a cut is looked for.
pub const WINDOW_BYTES: usize = 8 * 1024 * 1024;

/// Calls `each(window, lines_before)` for consecutive windows of the decompressed `bytes`;
/// `lines_before` is the number of lines in the windows before this one. The error says why
/// the stream cannot be decompressed (a corrupt or non-gzip file).
pub fn for_each_window(
    bytes: &[u8],
    compression: Compression,
    window: usize,
    mut each: impl FnMut(&[u8], u64),
) -> Result<(), String> {
    let mut decoder: Box<dyn Read> = match compression {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
        Compression::Zstd => Box::new(ZstdFrames::new(bytes)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
    };
    let mut buf: Vec<u8> = Vec::with_capacity(window + 64 * 1024);
    let mut lines = 0_u64;
    let mut chunk = vec![0_u8; 64 * 1024];
    loop {
        let n = decoder.read(&mut chunk).map_err(|e| {
            format!(
                "cannot decompress ({}): {e}; nothing was loaded",
                compression.keyword()
            )
        })?;
        if n == 0 {
            if !buf.is_empty() {
                each(&buf, lines);
            }
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() < window {
            continue;
        }
        let Some(cut) = last_record_start(&buf) else {
            continue;
        };
        each(&buf[..cut], lines);
        lines += buf[..cut].iter().filter(|&&b| b == b'\n').count() as u64;
        buf.drain(..cut);
    }
}

/// A reader of the Zstandard frames in `bytes`, one after the other (as `cat a.zst b.zst`
/// writes); ruzstd's decoder reads one frame.
struct ZstdFrames<'a> {
    bytes: &'a [u8],
    /// Where the current frame starts, and how far its decoder has read from there.
    start: usize,
    read: std::rc::Rc<std::cell::Cell<usize>>,
    frame: Option<ruzstd::decoding::StreamingDecoder<Counted<'a>, ruzstd::decoding::FrameDecoder>>,
}

/// The input of one frame's decoder, counting what the decoder took.
struct Counted<'a> {
    bytes: &'a [u8],
    read: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Read for Counted<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let at = self.read.get();
        let n = out.len().min(self.bytes.len().saturating_sub(at));
        out[..n].copy_from_slice(&self.bytes[at..at + n]);
        self.read.set(at + n);
        Ok(n)
    }
}

impl<'a> ZstdFrames<'a> {
    fn new(bytes: &'a [u8]) -> ZstdFrames<'a> {
        ZstdFrames {
            bytes,
            start: 0,
            read: Default::default(),
            frame: None,
        }
    }
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(frame) = &mut self.frame {
                let n = frame.read(out)?;
                if n > 0 {
                    return Ok(n);
                }
                // This frame is done: the next one starts where its decoder stopped.
                self.start += self.read.get();
                self.frame = None;
            }
            if self.start >= self.bytes.len() {
                return Ok(0);
            }
            self.read.set(0);
            let input = Counted {
                bytes: &self.bytes[self.start..],
                read: self.read.clone(),
            };
            let frame = ruzstd::decoding::StreamingDecoder::new(input)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
            self.frame = Some(frame);
        }
    }
}

/// The offset of the last line (not the first) that starts with `{` or `[`.
fn last_record_start(buf: &[u8]) -> Option<usize> {
    buf.windows(2)
        .rposition(|w| w[0] == b'\n' && matches!(w[1], b'{' | b'['))
        .map(|at| at + 1)
        .filter(|&at| at > 0)
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

    #[test]
    fn windows_end_where_a_record_starts_and_count_lines_before_them() {
        let text = b"{\"a\":1}\n{\n  \"a\": 2\n}\n{\"a\":3}\n";
        let mut seen = Vec::new();
        for_each_window(&gzip(text), Compression::Gzip, 10, |w, lines| {
            seen.push((String::from_utf8(w.to_vec()).unwrap(), lines))
        })
        .unwrap();
        let joined: String = seen.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(joined.as_bytes(), text);
        assert!(seen.len() > 1, "{seen:?}");
        for (w, lines) in &seen {
            assert!(w.starts_with('{'), "{seen:?}");
            let before: String = seen
                .iter()
                .take_while(|(x, _)| !std::ptr::eq(x, w))
                .map(|(x, _)| x.as_str())
                .collect();
            assert_eq!(*lines, before.matches('\n').count() as u64);
        }
        // The pretty-printed record is never cut inside.
        assert!(
            seen.iter().any(|(w, _)| w.contains("{\n  \"a\": 2\n}")),
            "{seen:?}"
        );
    }

    #[test]
    fn bzip2_streams_are_one_stream_and_a_bad_file_is_an_error() {
        let bz = |text: &[u8]| {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let mut two = bz(b"{\"a\":1}\n");
        two.extend(bz(b"{\"a\":2}\n"));
        let mut all = Vec::new();
        for_each_window(&two, Compression::Bzip2, 4, |w, _| all.extend_from_slice(w)).unwrap();
        assert_eq!(all, b"{\"a\":1}\n{\"a\":2}\n");
        let err =
            for_each_window(b"{\"a\":1}", Compression::Bzip2, WINDOW_BYTES, |_, _| {}).unwrap_err();
        assert!(err.contains("cannot decompress (BZIP2)"), "{err}");
    }

    #[test]
    fn zstd_frames_are_one_stream_and_a_bad_file_is_an_error() {
        let zstd = |text: &[u8]| {
            ruzstd::encoding::compress_to_vec(text, ruzstd::encoding::CompressionLevel::Fastest)
        };
        let mut two = zstd(b"{\"a\":1}\n");
        two.extend(zstd(b"{\"a\":2}\n"));
        let mut all = Vec::new();
        for_each_window(&two, Compression::Zstd, 4, |w, _| all.extend_from_slice(w)).unwrap();
        assert_eq!(all, b"{\"a\":1}\n{\"a\":2}\n");
        let err =
            for_each_window(b"{\"a\":1}", Compression::Zstd, WINDOW_BYTES, |_, _| {}).unwrap_err();
        assert!(err.contains("cannot decompress (ZSTD)"), "{err}");
    }

    #[test]
    fn several_members_are_one_stream_and_a_bad_file_is_an_error() {
        let mut two = gzip(b"{\"a\":1}\n");
        two.extend(gzip(b"{\"a\":2}\n"));
        let mut all = Vec::new();
        for_each_window(&two, Compression::Gzip, WINDOW_BYTES, |w, _| {
            all.extend_from_slice(w)
        })
        .unwrap();
        assert_eq!(all, b"{\"a\":1}\n{\"a\":2}\n");
        let err =
            for_each_window(b"{\"a\":1}", Compression::Gzip, WINDOW_BYTES, |_, _| {}).unwrap_err();
        assert!(err.contains("cannot decompress (GZIP)"), "{err}");
    }
}
