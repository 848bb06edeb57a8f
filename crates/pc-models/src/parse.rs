//! The one parse entry point: BOM-tolerant, with errors that say where and what.

use serde::de::DeserializeOwned;
use std::fmt;

/// The UTF-8 byte-order mark, which one documented response starts with.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Returns `bytes` without a leading UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}

/// Parses a JSON body into `T`, accepting a leading UTF-8 byte-order mark.
///
/// On failure the error says which type was expected and where the input broke.
///
/// ```
/// let error = pc_models::from_slice::<pc_models::BatchUploadDetails>(b"{\n  \"status\": }")
///     .unwrap_err();
/// assert_eq!(error.line(), 2);
/// assert_eq!(
///     error.to_string(),
///     "malformed JSON for BatchUploadDetails at line 2, column 13: expected value"
/// );
/// ```
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    serde_json::from_slice(strip_bom(bytes)).map_err(|error| ParseError::new::<T>(error))
}

/// What kind of problem a [`ParseError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not JSON at all (e.g. typographic quotes).
    Syntax,
    /// JSON, but not of the expected shape (e.g. a string where an object was expected).
    Data,
    /// The input ended in the middle of a value: a truncated body.
    Eof,
}

/// Why a body could not be parsed: the expected type, the line and column, and what
/// broke there.
#[derive(Debug)]
pub struct ParseError {
    expected: String,
    kind: ParseErrorKind,
    source: serde_json::Error,
}

impl ParseError {
    fn new<T>(source: serde_json::Error) -> Self {
        let kind = match source.classify() {
            serde_json::error::Category::Eof => ParseErrorKind::Eof,
            serde_json::error::Category::Data => ParseErrorKind::Data,
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                ParseErrorKind::Syntax
            }
        };
        Self {
            expected: short_type_name::<T>(),
            kind,
            source,
        }
    }

    /// The type that was expected, e.g. `BatchUploadDetails`.
    pub fn expected(&self) -> &str {
        &self.expected
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The 1-based line where the input broke.
    pub fn line(&self) -> usize {
        self.source.line()
    }

    /// The 1-based column where the input broke.
    pub fn column(&self) -> usize {
        self.source.column()
    }

    /// True when the input ended before the value did: a truncated body.
    pub fn is_eof(&self) -> bool {
        self.kind == ParseErrorKind::Eof
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ParseErrorKind::Eof => "truncated JSON",
            ParseErrorKind::Syntax => "malformed JSON",
            ParseErrorKind::Data => "unexpected JSON",
        };
        // serde_json appends " at line L column C"; say it once, our way.
        let full = self.source.to_string();
        let message = full
            .rfind(" at line ")
            .map_or(full.as_str(), |at| &full[..at]);
        write!(
            f,
            "{what} for {} at line {}, column {}: {message}",
            self.expected,
            self.line(),
            self.column()
        )
    }
}

impl std::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// `pc_models::resources::Collection<pc_models::resources::batch::Device>` →
/// `Collection<Device>`.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut short = String::with_capacity(full.len());
    let mut word = String::new();
    for character in full.chars() {
        if character.is_alphanumeric() || character == '_' || character == ':' {
            word.push(character);
        } else {
            short.push_str(word.rsplit("::").next().unwrap_or(&word));
            word.clear();
            short.push(character);
        }
    }
    short.push_str(word.rsplit("::").next().unwrap_or(&word));
    short
}
