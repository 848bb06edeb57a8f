//! Durations as the command line writes them: `500ms`, `2s`, `5m`, `1h30m`.

use std::time::Duration;

/// Reads a duration: one or more `<number><unit>` parts, units `h`, `m`, `s` and `ms`
/// (a bare `0` is zero).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("invalid duration {text:?}: expected e.g. 500ms, 2s, 5m or 1h30m");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(invalid());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let part = match &rest[..letters] {
            "h" => number.checked_mul(3600).map(Duration::from_secs),
            "m" => number.checked_mul(60).map(Duration::from_secs),
            "s" => Some(Duration::from_secs(number)),
            "ms" => Some(Duration::from_millis(number)),
            _ => None,
        };
        rest = &rest[letters..];
        total = part
            .and_then(|part| total.checked_add(part))
            .ok_or_else(invalid)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_forms_are_read() {
        let cases = [
            ("500ms", Duration::from_millis(500)),
            ("2s", Duration::from_secs(2)),
            ("5m", Duration::from_secs(300)),
            ("1h30m", Duration::from_secs(5400)),
            ("1m500ms", Duration::from_millis(60_500)),
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn other_forms_are_refused_with_the_value() {
        for text in ["", "5", "s", "1x", "1.5s", "-1s", "99999999999999999999h"] {
            let error = parse_duration(text).unwrap_err();
            assert!(error.contains(&format!("{:?}", text.trim())), "{error}");
        }
    }
}
