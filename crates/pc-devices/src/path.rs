//! Request paths: canonical spelling, and every free-form id as one percent-encoded
//! segment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// Everything but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`) is
/// encoded, so no id can add a segment (`/`), start a query (`?`) or a fragment (`#`),
/// or smuggle an escape (`%`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes a free-form id (a batch, device or policy id) as one path segment.
///
/// An id that is empty, `.` or `..` cannot be a segment (a server or proxy would
/// normalise it away), and one of white space only names nothing; each is refused with
/// [`Error::InvalidInput`] naming `what`.
///
/// ```
/// use pc_devices::path::encode_segment;
/// assert_eq!(encode_segment("batch id", "Lab A/1")?, "Lab%20A%2F1");
/// assert_eq!(encode_segment("batch id", "../x")?, "..%2Fx");
/// assert!(encode_segment("batch id", "..").is_err());
/// # Ok::<(), pc_devices::Error>(())
/// ```
pub fn encode_segment(what: &'static str, id: &str) -> Result<String, Error> {
    let reason = match id {
        "" => Some("it is empty"),
        "." | ".." => Some("`.` and `..` cannot be sent as a path segment"),
        _ if id.trim().is_empty() => Some("it holds only white space"),
        _ => None,
    };
    if let Some(reason) = reason {
        return Err(Error::InvalidInput {
            what,
            value: id.to_owned(),
            reason: reason.to_owned(),
        });
    }
    Ok(utf8_percent_encode(id, SEGMENT).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_never_leave_their_segment() {
        let cases = [
            ("Lab A/1", "Lab%20A%2F1"),
            ("a?b#c%d", "a%3Fb%23c%25d"),
            (
                "9993-8627-3608-6844-6369-4361-72",
                "9993-8627-3608-6844-6369-4361-72",
            ),
            ("...", "..."),
            ("..\\x", "..%5Cx"),
            ("Büro 2", "B%C3%BCro%202"),
            ("a+b&c=d;e", "a%2Bb%26c%3Dd%3Be"),
        ];
        for (id, encoded) in cases {
            assert_eq!(encode_segment("batch id", id).unwrap(), encoded, "{id}");
        }
    }

    #[test]
    fn dot_segments_and_empty_ids_are_refused() {
        let reason = |id: &str| match encode_segment("batch id", id).unwrap_err() {
            Error::InvalidInput { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(""), "it is empty");
        assert_eq!(
            reason(".."),
            "`.` and `..` cannot be sent as a path segment"
        );
        assert_eq!(reason(" \t"), "it holds only white space");
        for id in ["", ".", "..", " ", "\t \n"] {
            let error = encode_segment("device id", id).unwrap_err();
            assert!(
                error.to_string().starts_with("invalid device id"),
                "{error}"
            );
        }
    }
}
