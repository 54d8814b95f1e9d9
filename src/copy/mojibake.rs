//! Repair of double-encoded UTF-8 ("mojibake").
//!
//! The Sparkify event simulator wrote UTF-8 bytes that were read back as Latin-1 and encoded
//! again, twice: "Björk" arrives as the code points `Bj\u{c3}\u{83}\u{c2}\u{b6}rk`. Such text
//! never joins to the song catalogue, which is encoded correctly. Reading the code points back as
//! Latin-1 bytes and decoding them as UTF-8 undoes one layer; we undo layers until the text stops
//! changing. Text that is not mojibake is left alone: a real Latin-1 string like "Café" is not
//! valid UTF-8 when taken as bytes, so the first step already fails.

/// Layers of encoding we are willing to undo; the sample needs two.
const MAX_LAYERS: usize = 4;

/// Returns the repaired text, or `None` when `text` is not mojibake.
pub fn repair(text: &str) -> Option<String> {
    let mut current: Option<String> = None;
    for _ in 0..MAX_LAYERS {
        let s = current.as_deref().unwrap_or(text);
        match undo_one_layer(s) {
            Some(next) => current = Some(next),
            None => break,
        }
    }
    current
}

fn undo_one_layer(s: &str) -> Option<String> {
    // Pure ASCII has nothing to repair; any code point above U+00FF cannot be a Latin-1 byte.
    if s.is_ascii() || s.chars().any(|c| c as u32 > 0xFF) {
        return None;
    }
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::repair;

    #[test]
    fn undoes_the_double_encoding_seen_in_the_logs() {
        assert_eq!(
            repair("Bj\u{c3}\u{83}\u{c2}\u{b6}rk").as_deref(),
            Some("Björk")
        );
        assert_eq!(
            repair("Beyonc\u{c3}\u{83}\u{c2}\u{a9}").as_deref(),
            Some("Beyoncé")
        );
        // A single layer is repaired too.
        assert_eq!(repair("Beyonc\u{c3}\u{a9}").as_deref(), Some("Beyoncé"));
    }

    #[test]
    fn leaves_correct_text_alone() {
        for s in [
            "Björk",
            "Café",
            "plain ascii",
            "",
            "東京",
            "¿Dónde va Chichi?",
            "£5",
        ] {
            assert_eq!(repair(s), None, "{s}");
        }
    }
}
