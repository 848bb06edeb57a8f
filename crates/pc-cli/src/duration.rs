//! Durations as the command line writes them: `500ms`, `2s`, `5m`, `1h30m`, `7d`.

use std::time::Duration;

/// Reads a duration: one or more `<number><unit>` parts, units `d` (24 hours), `h`,
/// `m`, `s` and `ms` (a bare `0` is zero).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("invalid duration {text:?}: expected e.g. 500ms, 2s, 5m, 1h30m or 7d");
    if text.starts_with('-') {
        return Err(format!(
            "invalid duration {text:?}: a duration cannot be negative (e.g. 500ms, 2s, 5m, 1h30m or 7d)"
        ));
    }
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
            "d" => number.checked_mul(DAY).map(Duration::from_secs),
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

/// A day, in seconds: always 24 hours.
const DAY: u64 = 24 * 3600;

/// Writes a duration as the command line reads it: milliseconds under a second
/// (`300ms`), else whole days, hours, minutes and seconds (`12s`, `2m5s`, `1h30m`,
/// `7d`, `1d2h`).
pub fn show_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs == 0 {
        return format!("{}ms", duration.as_millis());
    }
    let (days, hours, minutes, seconds) = (secs / DAY, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let mut text = String::new();
    for (number, unit) in [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")] {
        if number > 0 {
            text.push_str(&format!("{number}{unit}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    include!("../../test-support/proptest_cases.rs");

    #[test]
    fn durations_are_shown_as_they_are_written() {
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        for (duration, shown) in [
            (Duration::ZERO, "0ms"),
            (ms(300), "300ms"),
            (ms(999), "999ms"),
            (ms(1_999), "1s"),
            (s(12), "12s"),
            (s(60), "1m"),
            (s(125), "2m5s"),
            (s(5_400), "1h30m"),
            (s(86_400), "1d"),
            (s(90_061), "1d1h1m1s"),
            (s(7 * 86_400), "7d"),
            (s(8 * 86_400 + 1), "8d1s"),
        ] {
            assert_eq!(show_duration(duration), shown);
        }
    }

    proptest! {
        #![proptest_config(cases(10_000))]

        #[test]
        fn a_shown_duration_reads_back_to_itself_truncated(millis in prop_oneof![
            0u64..400_000_000,
            0u64..100_000_000_000,
        ]) {
            let duration = Duration::from_millis(millis);
            let truncated = if millis < 1_000 { duration } else { Duration::from_secs(duration.as_secs()) };
            prop_assert_eq!(parse_duration(&show_duration(duration)), Ok(truncated));
        }

        #[test]
        fn any_text_is_read_or_refused_naming_it(text in prop_oneof![
            "\\PC{0,24}",
            "[0-9dhms .+-]{0,16}",
            "[0-9]{15,25}(d|h|m|s|ms)",
        ]) {
            match parse_duration(&text) {
                Ok(_) => prop_assert!(
                    text.trim().chars().all(|c| c.is_ascii_digit() || "dhms".contains(c)),
                    "read {:?}", text
                ),
                Err(error) => prop_assert!(error.contains(&format!("{:?}", text.trim())), "{}", error),
            }
        }

        #[test]
        fn a_duration_is_the_sum_of_its_parts(
            parts in prop::collection::vec((0u64..1_000_000, prop::sample::select(vec!["d", "h", "m", "s", "ms"])), 1..5),
            blank in "[ \t]{0,2}",
        ) {
            let text: String = parts.iter().map(|(number, unit)| format!("{number}{unit}")).collect();
            let expected: Duration = parts
                .iter()
                .map(|(number, unit)| match *unit {
                    "d" => Duration::from_secs(number * 86_400),
                    "h" => Duration::from_secs(number * 3600),
                    "m" => Duration::from_secs(number * 60),
                    "s" => Duration::from_secs(*number),
                    _ => Duration::from_millis(*number),
                })
                .sum();
            prop_assert_eq!(parse_duration(&format!("{blank}{text}{blank}")), Ok(expected));
        }
    }

    #[test]
    fn the_documented_forms_are_read() {
        let cases = [
            ("500ms", Duration::from_millis(500)),
            ("2s", Duration::from_secs(2)),
            ("5m", Duration::from_secs(300)),
            ("1h30m", Duration::from_secs(5400)),
            ("7d", Duration::from_secs(7 * 86_400)),
            ("1d12h", Duration::from_secs(36 * 3600)),
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
        for text in [
            "",
            "5",
            "s",
            "1x",
            "1.5s",
            "-1s",
            "-1",
            "1w",
            "99999999999999999999h",
        ] {
            let error = parse_duration(text).unwrap_err();
            assert!(error.contains(&format!("{:?}", text.trim())), "{error}");
        }
    }
}
