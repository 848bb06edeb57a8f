//! Values that came from elsewhere (the service, the journal, a CSV file, a redirect) as
//! people are shown them: control characters escaped, so that the only escape codes on
//! a terminal are the colours `pc` writes itself, and a date the service has not set
//! told apart.

use std::borrow::Cow;
use std::fmt::Write as _;

use pc_models::Timestamp;

/// `text` with every control character escaped: C0 (tab, newline and carriage return
/// as `\t`, `\n`, `\r`, the others as `\x1b`), DEL (`\x7f`) and C1 (`\u{9b}`). Text
/// without one is borrowed as it is.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] of an owned text, kept without a copy when it needs no escaping.
pub fn escape_owned(text: String) -> String {
    match escape(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => escaped,
    }
}

/// Whether `time` is the service's "not set": `0001-01-01T00:00:00` (.NET's
/// `DateTime.MinValue`), with any fraction and an optional `Z`.
pub fn is_unset(time: &Timestamp) -> bool {
    let Some(rest) = time.as_str().strip_prefix("0001-01-01T00:00:00") else {
        return false;
    };
    let rest = rest.strip_suffix(['Z', 'z']).unwrap_or(rest);
    match rest.strip_prefix('.') {
        Some(fraction) => !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()),
        None => rest.is_empty(),
    }
}

/// A date as shown: `None` when absent or not set, else its UTC view (or its text as
/// received when it has none).
pub fn date(time: Option<&Timestamp>) -> Option<&Timestamp> {
    time.filter(|time| !is_unset(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        for (text, shown) in [
            ("Café-Ø", "Café-Ø"),
            ("SN\x1b[31m-1", "SN\\x1b[31m-1"),
            ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
            ("\0\x07\x7f", "\\x00\\x07\\x7f"),
            ("x\u{9b}31m\u{85}", "x\\u{9b}31m\\u{85}"),
            ("C:\\path", "C:\\path"),
        ] {
            assert_eq!(escape(text), shown, "{text:?}");
            assert_eq!(escape_owned(text.to_owned()), shown, "{text:?}");
        }
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_dotnet_min_value_is_a_date_not_set() {
        for text in [
            "0001-01-01T00:00:00",
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00.0000000",
            "0001-01-01T00:00:00.0000000Z",
            "0001-01-01T00:00:00.000",
        ] {
            assert!(is_unset(&Timestamp::new(text)), "{text}");
            assert_eq!(date(Some(&Timestamp::new(text))), None, "{text}");
        }
        for text in [
            "2019-02-05T21:57:06",
            "0001-01-01T00:00:00-08:00",
            "0001-01-01T00:00:00.",
            "0001-01-01",
            "",
        ] {
            assert!(!is_unset(&Timestamp::new(text)), "{text}");
        }
    }
}
