//! Compressed data files (COPY's `GZIP`), read as a stream: the decompressed text is handed
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
}

impl Compression {
    pub fn keyword(self) -> &'static str {
        match self {
            Compression::Gzip => "GZIP",
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
