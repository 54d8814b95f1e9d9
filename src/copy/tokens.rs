//! The tokens of a COPY statement: words, `"quoted"` names, `'strings'` (with `''` for a
//! quote), numbers and punctuation; `--` and `/* */` comments are skipped. Every token keeps
//! its offset, so an error can name the line and column.

use super::statement::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare word (keyword or identifier), as written.
    Word(String),
    /// A `"quoted"` identifier.
    Quoted(String),
    /// A `'string'`.
    Str(String),
    Number(String),
    Punct(char),
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) start: usize,
}

pub(super) fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

pub(super) fn error_at(text: &str, offset: usize, message: impl Into<String>) -> ParseError {
    let (line, column) = position(text, offset);
    ParseError {
        line,
        column,
        message: message.into(),
    }
}

pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if text[i..].starts_with("--") {
            i = text[i..].find('\n').map_or(bytes.len(), |p| i + p + 1);
        } else if text[i..].starts_with("/*") {
            i = text[i + 2..]
                .find("*/")
                .map(|p| i + 2 + p + 2)
                .ok_or_else(|| error_at(text, start, "a /* comment is not closed"))?;
        } else if c == b'\'' || c == b'"' {
            let quote = c as char;
            let mut value = String::new();
            let mut j = i + 1;
            loop {
                let Some(ch) = text[j..].chars().next() else {
                    let what = if quote == '\'' {
                        "string"
                    } else {
                        "quoted identifier"
                    };
                    return Err(error_at(text, start, format!("this {what} is not closed")));
                };
                j += ch.len_utf8();
                if ch == quote {
                    // A doubled quote stands for one quote, as in SQL.
                    if text[j..].starts_with(quote) {
                        value.push(quote);
                        j += 1;
                        continue;
                    }
                    break;
                }
                value.push(ch);
            }
            let tok = if quote == '\'' {
                Tok::Str(value)
            } else {
                Tok::Quoted(value)
            };
            tokens.push(Token { tok, start });
            i = j;
        } else if c.is_ascii_digit() {
            let len = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            i += len;
            tokens.push(Token {
                tok: Tok::Number(text[start..i].to_string()),
                start,
            });
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let len = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$'))
                .count();
            i += len;
            tokens.push(Token {
                tok: Tok::Word(text[start..i].to_string()),
                start,
            });
        } else if matches!(c, b'(' | b')' | b',' | b';' | b'.' | b'=') {
            i += 1;
            tokens.push(Token {
                tok: Tok::Punct(c as char),
                start,
            });
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(error_at(
                text,
                start,
                format!("unexpected character {ch:?}"),
            ));
        }
    }
    Ok(tokens)
}
