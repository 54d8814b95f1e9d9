//! Redshift `COPY` statements as text: `COPY table [(col, ...)] FROM 'source' option ...`.
//!
//! A real parser, not a pattern: keywords in any case, `'...'` strings with `''` for a quote,
//! `"..."` identifiers, `--` and `/* */` comments, `AS` where Redshift allows it, options in any
//! order, several statements separated by `;`. An option Redshift has but sparkify does not run
//! is refused by name, never skipped, so what loads locally is what the statement says.

use std::fmt;

use super::tokens::{Tok, Token, error_at, position, tokenize};

/// One parsed COPY statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyStatement {
    /// `schema.table` or `table`, folded to lower case unless it was quoted.
    pub table: String,
    /// The column list, when one was given.
    pub columns: Option<Vec<String>>,
    /// The `FROM` string as written (a path, prefix, `s3://` URI or manifest).
    pub from: String,
    pub options: Vec<CopyOption>,
    /// The statement's text as written (without the final `;`), for Redshift.
    pub text: String,
    /// 1-based line the statement starts on, for messages about a file of statements.
    pub line: usize,
}

/// The JSON argument: how keys map to columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonArg {
    Auto,
    AutoIgnoreCase,
    /// A JSONPaths file (local path or `s3://` URI).
    Paths(String),
}

/// A time or date format (TIMEFORMAT, DATEFORMAT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    Auto,
    EpochSecs,
    EpochMillisecs,
    /// A pattern such as `YYYY-MM-DD HH:MI:SS`.
    Pattern(String),
}

/// One option of a COPY statement that sparkify runs or accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyOption {
    Json(JsonArg),
    MaxError(u64),
    Manifest,
    TimeFormat(TimeFormat),
    DateFormat(TimeFormat),
    AcceptInvChars(char),
    TruncateColumns,
    BlanksAsNull,
    EmptyAsNull,
    RoundDec,
    /// GZIP: every data file is gzip-compressed.
    Compressed(super::compressed::Compression),
    /// Authorization, region and statistics options: they change nothing locally. The name
    /// is kept to say so; the value (a role, keys) is never kept, as it may be secret.
    NoOp(&'static str),
}

impl CopyOption {
    /// The option's keyword, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            CopyOption::Json(_) => "JSON",
            CopyOption::MaxError(_) => "MAXERROR",
            CopyOption::Manifest => "MANIFEST",
            CopyOption::TimeFormat(_) => "TIMEFORMAT",
            CopyOption::DateFormat(_) => "DATEFORMAT",
            CopyOption::AcceptInvChars(_) => "ACCEPTINVCHARS",
            CopyOption::TruncateColumns => "TRUNCATECOLUMNS",
            CopyOption::BlanksAsNull => "BLANKSASNULL",
            CopyOption::EmptyAsNull => "EMPTYASNULL",
            CopyOption::RoundDec => "ROUNDEC",
            CopyOption::Compressed(c) => c.keyword(),
            CopyOption::NoOp(name) => name,
        }
    }
}

/// Why a statement cannot run: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// Options Redshift's COPY has that sparkify does not run: named in the refusal, so the user
/// knows it was recognised and why it cannot be honoured.
const REDSHIFT_FORMATS: &[&str] = &[
    "CSV",
    "AVRO",
    "PARQUET",
    "ORC",
    "FIXEDWIDTH",
    "SHAPEFILE",
    "DELIMITER",
];
const NOT_YET: &[&str] = &["LZOP"];

/// Parses a script of one or more COPY statements separated by `;`.
pub fn parse_script(text: &str) -> Result<Vec<CopyStatement>, ParseError> {
    let tokens = tokenize(text)?;
    let mut statements = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].tok == Tok::Punct(';') {
            i += 1;
            continue;
        }
        let end = tokens[i..]
            .iter()
            .position(|t| t.tok == Tok::Punct(';'))
            .map_or(tokens.len(), |p| i + p);
        let mut p = Parser {
            text,
            tokens: &tokens[i..end],
            pos: 0,
            end_offset: tokens.get(end).map_or(text.len(), |t| t.start),
        };
        statements.push(p.statement()?);
        i = end;
    }
    if statements.is_empty() {
        return Err(ParseError {
            line: 1,
            column: 1,
            message: "no COPY statement given".into(),
        });
    }
    Ok(statements)
}

/// Parses COPY options alone (`TIMEFORMAT 'epochmillisecs' TRUNCATECOLUMNS`), as the
/// pipeline's `--copy-options` gives them.
pub fn parse_options(text: &str) -> Result<Vec<CopyOption>, ParseError> {
    let tokens = tokenize(text)?;
    let mut p = Parser {
        text,
        tokens: &tokens,
        pos: 0,
        end_offset: text.len(),
    };
    let mut options: Vec<CopyOption> = Vec::new();
    while p.peek().is_some() {
        let at = p.here();
        let option = p.option()?;
        let same = |o: &CopyOption| std::mem::discriminant(o) == std::mem::discriminant(&option);
        if options.iter().any(same) {
            return Err(error_at(text, at, "this option is given twice"));
        }
        options.push(option);
    }
    Ok(options)
}

struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    pos: usize,
    /// Where the statement's text ends (its `;` or the end of the script).
    end_offset: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn here(&self) -> usize {
        self.peek().map_or(self.end_offset, |t| t.start)
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(error_at(self.text, self.here(), message))
    }

    fn describe_next(&self) -> String {
        match self.peek().map(|t| &t.tok) {
            None => "the end of the statement".into(),
            Some(Tok::Word(w)) => w.clone(),
            Some(Tok::Quoted(q)) => format!("\"{q}\""),
            Some(Tok::Str(_)) => "a string".into(),
            Some(Tok::Number(n)) => n.clone(),
            Some(Tok::Punct(c)) => format!("'{c}'"),
        }
    }

    /// Whether the next token is the keyword `kw` (any case); consumes it if so.
    fn eat_keyword(&mut self, kw: &str) -> bool {
        if let Some(Token {
            tok: Tok::Word(w), ..
        }) = self.peek()
            && w.eq_ignore_ascii_case(kw)
        {
            self.pos += 1;
            return true;
        }
        false
    }

    fn expect_keyword(&mut self, kw: &str, context: &str) -> Result<(), ParseError> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            self.fail(format!(
                "expected {kw} {context}, found {}",
                self.describe_next()
            ))
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if matches!(self.peek(), Some(Token { tok: Tok::Punct(p), .. }) if *p == c) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn string(&mut self, what: &str) -> Result<String, ParseError> {
        if let Some(Token {
            tok: Tok::Str(s), ..
        }) = self.peek()
        {
            let s = s.clone();
            self.pos += 1;
            return Ok(s);
        }
        self.fail(format!(
            "expected {what} as a quoted string ('...'), found {}",
            self.describe_next()
        ))
    }

    /// An identifier: a bare word folded to lower case (as Redshift does), or a quoted one.
    fn identifier(&mut self, what: &str) -> Result<String, ParseError> {
        let name = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => w.to_ascii_lowercase(),
            Some(Tok::Quoted(q)) => q.clone(),
            _ => {
                return self.fail(format!("expected {what}, found {}", self.describe_next()));
            }
        };
        let plain = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if !plain {
            return self.fail(format!(
                "{what} {name:?}: sparkify copy takes names of letters, digits, _ and $ only"
            ));
        }
        self.pos += 1;
        Ok(name)
    }

    fn statement(&mut self) -> Result<CopyStatement, ParseError> {
        let start = self.here();
        let line = position(self.text, start).0;
        if !self.eat_keyword("COPY") {
            return self.fail(format!(
                "expected a COPY statement, found {}",
                self.describe_next()
            ));
        }
        let mut table = self.identifier("a table name after COPY")?;
        if self.eat_punct('.') {
            table = format!(
                "{table}.{}",
                self.identifier("a table name after the schema")?
            );
        }
        let columns = if self.eat_punct('(') {
            let mut cols = Vec::new();
            loop {
                let col = self.identifier("a column name")?;
                if cols.contains(&col) {
                    return self.fail(format!("column {col} is listed twice"));
                }
                cols.push(col);
                if self.eat_punct(',') {
                    continue;
                }
                if self.eat_punct(')') {
                    break;
                }
                return self.fail(format!(
                    "expected ',' or ')' in the column list, found {}",
                    self.describe_next()
                ));
            }
            Some(cols)
        } else {
            None
        };
        self.expect_keyword("FROM", "after the table")?;
        let from = self.string("the source after FROM")?;
        let mut options = Vec::new();
        while self.peek().is_some() {
            let at = self.here();
            let option = self.option()?;
            let same =
                |o: &CopyOption| std::mem::discriminant(o) == std::mem::discriminant(&option);
            if !matches!(option, CopyOption::NoOp(_)) && options.iter().any(same) {
                return Err(error_at(
                    self.text,
                    at,
                    "this option is given twice; Redshift refuses that",
                ));
            }
            options.push(option);
        }
        if !options.iter().any(|o| matches!(o, CopyOption::Json(_))) {
            return Err(error_at(
                self.text,
                self.end_offset,
                "no data format: sparkify copy loads JSON only, so the statement must say \
                 FORMAT AS JSON 'auto' (or JSON 'auto ignorecase', or JSON 'jsonpaths file'); \
                 Redshift's default, pipe-delimited text, is not supported",
            ));
        }
        let end = self.end_offset;
        Ok(CopyStatement {
            table,
            columns,
            from,
            options,
            text: self.text[start..end].trim_end().to_string(),
            line,
        })
    }

    fn option(&mut self) -> Result<CopyOption, ParseError> {
        let word = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => w.to_ascii_uppercase(),
            _ => {
                return self.fail(format!(
                    "expected a COPY option, found {}",
                    self.describe_next()
                ));
            }
        };
        let at = self.here();
        self.pos += 1;
        let refuse = |message: String| Err(error_at(self.text, at, message));
        Ok(match word.as_str() {
            "FORMAT" => {
                self.eat_keyword("AS");
                if self.eat_keyword("JSON") {
                    self.json_arg()?
                } else {
                    let found = self.describe_next();
                    return self.fail(format!(
                        "FORMAT {found} is not supported: sparkify copy loads JSON only"
                    ));
                }
            }
            "JSON" => self.json_arg()?,
            "MAXERROR" => {
                self.eat_keyword("AS");
                match self.peek().map(|t| &t.tok) {
                    Some(Tok::Number(n)) => {
                        let n = n
                            .parse::<u64>()
                            .or_else(|_| self.fail("MAXERROR is too large".to_string()))?;
                        self.pos += 1;
                        CopyOption::MaxError(n)
                    }
                    _ => {
                        return self.fail(format!(
                            "expected a number after MAXERROR, found {}",
                            self.describe_next()
                        ));
                    }
                }
            }
            "MANIFEST" => CopyOption::Manifest,
            "TIMEFORMAT" | "DATEFORMAT" => {
                self.eat_keyword("AS");
                let text = self.string(&format!("the {word}"))?;
                let format = match text.to_ascii_lowercase().as_str() {
                    "auto" => TimeFormat::Auto,
                    "epochsecs" if word == "TIMEFORMAT" => TimeFormat::EpochSecs,
                    "epochmillisecs" if word == "TIMEFORMAT" => TimeFormat::EpochMillisecs,
                    "epochsecs" | "epochmillisecs" => {
                        return refuse(format!(
                            "DATEFORMAT '{text}' is not valid: epoch formats are for TIMEFORMAT"
                        ));
                    }
                    _ => TimeFormat::Pattern(text),
                };
                if word == "TIMEFORMAT" {
                    CopyOption::TimeFormat(format)
                } else {
                    CopyOption::DateFormat(format)
                }
            }
            "ACCEPTINVCHARS" => {
                self.eat_keyword("AS");
                if matches!(self.peek().map(|t| &t.tok), Some(Tok::Str(_))) {
                    let c = self.string("the replacement character")?;
                    let mut chars = c.chars();
                    match (chars.next(), chars.next()) {
                        (Some(ch), None) if ch.is_ascii() && ch != '\0' => {
                            CopyOption::AcceptInvChars(ch)
                        }
                        _ => {
                            return refuse(format!(
                                "ACCEPTINVCHARS AS {c:?}: the replacement must be one ASCII \
                                 character other than NUL"
                            ));
                        }
                    }
                } else {
                    CopyOption::AcceptInvChars('?')
                }
            }
            "TRUNCATECOLUMNS" => CopyOption::TruncateColumns,
            "BLANKSASNULL" => CopyOption::BlanksAsNull,
            "EMPTYASNULL" => CopyOption::EmptyAsNull,
            "ROUNDEC" => CopyOption::RoundDec,
            "GZIP" => CopyOption::Compressed(super::compressed::Compression::Gzip),
            "ZSTD" => CopyOption::Compressed(super::compressed::Compression::Zstd),
            "BZIP2" => CopyOption::Compressed(super::compressed::Compression::Bzip2),
            "IAM_ROLE" => {
                if !self.eat_keyword("DEFAULT") {
                    self.string("the role after IAM_ROLE")?;
                }
                CopyOption::NoOp("IAM_ROLE")
            }
            "CREDENTIALS" | "ACCESS_KEY_ID" | "SECRET_ACCESS_KEY" | "SESSION_TOKEN" | "REGION" => {
                self.eat_keyword("AS");
                self.string(&format!("the value after {word}"))?;
                CopyOption::NoOp(match word.as_str() {
                    "CREDENTIALS" => "CREDENTIALS",
                    "ACCESS_KEY_ID" => "ACCESS_KEY_ID",
                    "SECRET_ACCESS_KEY" => "SECRET_ACCESS_KEY",
                    "SESSION_TOKEN" => "SESSION_TOKEN",
                    _ => "REGION",
                })
            }
            "COMPUPDATE" | "STATUPDATE" => {
                let values: &[&str] = if word == "COMPUPDATE" {
                    &["ON", "OFF", "TRUE", "FALSE", "PRESET"]
                } else {
                    &["ON", "OFF", "TRUE", "FALSE"]
                };
                // The value is optional: COMPUPDATE alone means ON.
                if let Some(Token {
                    tok: Tok::Word(w), ..
                }) = self.peek()
                    && values.iter().any(|v| w.eq_ignore_ascii_case(v))
                {
                    self.pos += 1;
                }
                CopyOption::NoOp(if word == "COMPUPDATE" {
                    "COMPUPDATE"
                } else {
                    "STATUPDATE"
                })
            }
            w if REDSHIFT_FORMATS.contains(&w) => {
                return refuse(format!(
                    "{w} is not supported: sparkify copy loads JSON only (FORMAT AS JSON)"
                ));
            }
            w if NOT_YET.contains(&w) => {
                return refuse(format!(
                    "{w} is not supported yet: sparkify copy reads uncompressed, GZIP, ZSTD or BZIP2 files only"
                ));
            }
            w => {
                return refuse(format!(
                    "{w} is not supported by sparkify copy (it runs FORMAT AS JSON, MAXERROR, \
                     MANIFEST, GZIP, ZSTD, BZIP2, TIMEFORMAT, DATEFORMAT, ACCEPTINVCHARS, TRUNCATECOLUMNS, \
                     BLANKSASNULL, EMPTYASNULL and ROUNDEC; IAM_ROLE, CREDENTIALS, REGION, \
                     COMPUPDATE and STATUPDATE are accepted and change nothing locally)"
                ));
            }
        })
    }

    /// After `JSON`: `[AS] 'auto' | 'auto ignorecase' | 'jsonpaths file'`.
    fn json_arg(&mut self) -> Result<CopyOption, ParseError> {
        self.eat_keyword("AS");
        let at = self.here();
        let arg =
            self.string("the JSON argument ('auto', 'auto ignorecase' or a JSONPaths file)")?;
        let lower = arg.to_ascii_lowercase();
        Ok(CopyOption::Json(match lower.as_str() {
            "auto" => JsonArg::Auto,
            "auto ignorecase" => JsonArg::AutoIgnoreCase,
            "noshift" | "auto noshift" => {
                return Err(error_at(
                    self.text,
                    at,
                    format!("JSON '{arg}' is not supported by sparkify copy"),
                ));
            }
            _ if arg.trim().is_empty() => {
                return Err(error_at(self.text, at, "JSON '' names no JSONPaths file"));
            }
            _ => JsonArg::Paths(arg),
        }))
    }
}

#[cfg(test)]
#[path = "statement_tests.rs"]
mod tests;
