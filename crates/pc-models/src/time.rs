//! Timestamps as the service writes them: kept as received, with a typed UTC view.

use crate::lenient::{Parsed, Scalar, lenient_scalar};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// A timestamp exactly as the service sent it, with a typed view for comparing and
/// displaying.
///
/// The service writes times three ways: `2017-07-25T10:00:00` (no offset: the
/// service's clock, UTC), `2017-07-25T10:00:00Z`, and
/// `2019-02-05T21:57:06.7367164-08:00` (seven fractional digits and an offset). All are
/// accepted, and the text is kept, so serializing gives back the same string. A value in
/// none of these styles is kept too, without a typed view.
///
/// ```
/// use pc_models::Timestamp;
/// let local = Timestamp::new("2019-02-05T21:57:06.7367164-08:00");
/// let utc = Timestamp::new("2019-02-06T05:57:06.7367164Z");
/// assert_eq!(local.as_str(), "2019-02-05T21:57:06.7367164-08:00");
/// assert_eq!(local.utc(), utc.utc());
/// assert_eq!(local.utc().unwrap().to_string(), "2019-02-06T05:57:06.7367164Z");
/// assert_eq!(Timestamp::new("yesterday").utc(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    text: String,
}

impl Timestamp {
    /// A timestamp holding `text` as given; it need not be in a known style.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant in UTC, when the text is in one of the known styles.
    pub fn utc(&self) -> Option<UtcDateTime> {
        UtcDateTime::parse(&self.text)
    }
}

impl From<UtcDateTime> for Timestamp {
    fn from(time: UtcDateTime) -> Self {
        Self::new(time.to_string())
    }
}

impl fmt::Display for Timestamp {
    /// The UTC view (`…Z`) when there is one, else the text as received.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.utc() {
            Some(utc) => fmt::Display::fmt(&utc, f),
            None => f.write_str(&self.text),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// Inside a resource: any string is a timestamp (with a UTC view when it is in a known
/// style); a number or any other kind is kept without a typed view.
impl Scalar for Timestamp {
    const EXPECTING: &'static str = "a timestamp string";

    fn from_text(text: &str) -> Parsed<Self> {
        Parsed::Typed(Self::new(text))
    }

    fn from_string(text: String) -> (Parsed<Self>, String) {
        (Parsed::Typed(Self::new(text)), String::new())
    }
}

lenient_scalar!(Timestamp);

/// An instant in UTC, to the nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UtcDateTime {
    seconds: i64,
    nanos: u32,
}

impl UtcDateTime {
    /// The instant `seconds` and `nanos` after 1970-01-01T00:00:00Z; `None` when
    /// `nanos` is a second or more.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        (nanos < 1_000_000_000).then_some(Self { seconds, nanos })
    }

    /// The instant `seconds` whole seconds after 1970-01-01T00:00:00Z (before it when
    /// negative).
    ///
    /// ```
    /// use pc_models::UtcDateTime;
    /// let time = UtcDateTime::from_unix_seconds(1_500_976_800);
    /// assert_eq!(time.to_string(), "2017-07-25T10:00:00Z");
    /// assert_eq!(time.unix_seconds(), 1_500_976_800);
    /// assert_eq!(UtcDateTime::from_unix_seconds(-1).to_string(), "1969-12-31T23:59:59Z");
    /// ```
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Self { seconds, nanos: 0 }
    }

    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// The fraction of the second, in nanoseconds.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]`; no offset means UTC.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let number = |range: std::ops::Range<usize>| -> Option<i64> {
            let digits = bytes.get(range)?;
            digits.iter().try_fold(0i64, |total, digit| {
                digit
                    .is_ascii_digit()
                    .then(|| total * 10 + i64::from(digit - b'0'))
            })
        };
        let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
        if separators
            .iter()
            .any(|(at, byte)| bytes.get(*at) != Some(byte))
            || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
        {
            return None;
        }
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut at = 19;
        let mut nanos = 0u32;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                if at - start < 9 {
                    nanos = nanos * 10 + u32::from(bytes[at] - b'0');
                }
                at += 1;
            }
            let digits = at - start;
            if digits == 0 {
                return None;
            }
            for _ in digits..9 {
                nanos *= 10;
            }
        }
        let offset_seconds = match &bytes[at..] {
            [] | [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let (hours, minutes) = (number(at + 1..at + 3)?, number(at + 4..at + 6)?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let offset = hours * 3600 + minutes * 60;
                if *sign == b'-' { -offset } else { offset }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        // A leap second (:60) is read as the first second of the next minute.
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
        Some(Self { seconds, nanos })
    }
}

/// The instant a `SystemTime` stands for (before 1970 too; seconds beyond `i64` are
/// clamped).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use pc_models::UtcDateTime;
///
/// let time = SystemTime::UNIX_EPOCH + Duration::new(1_500_976_800, 500_000_000);
/// assert_eq!(UtcDateTime::from(time).to_string(), "2017-07-25T10:00:00.5Z");
/// assert_eq!(SystemTime::from(UtcDateTime::from(time)), time);
/// ```
impl From<std::time::SystemTime> for UtcDateTime {
    fn from(time: std::time::SystemTime) -> Self {
        let clamp = |seconds: u64| i64::try_from(seconds).unwrap_or(i64::MAX);
        match time.duration_since(std::time::SystemTime::UNIX_EPOCH) {
            Ok(after) => Self {
                seconds: clamp(after.as_secs()),
                nanos: after.subsec_nanos(),
            },
            Err(before) => {
                let before = before.duration();
                match before.subsec_nanos() {
                    0 => Self::from_unix_seconds(-clamp(before.as_secs())),
                    nanos => Self {
                        seconds: -clamp(before.as_secs()) - 1,
                        nanos: 1_000_000_000 - nanos,
                    },
                }
            }
        }
    }
}

/// The `SystemTime` of an instant (the epoch where the platform's time cannot reach it).
impl From<UtcDateTime> for std::time::SystemTime {
    fn from(time: UtcDateTime) -> Self {
        let epoch = std::time::SystemTime::UNIX_EPOCH;
        let whole = std::time::Duration::from_secs(time.seconds.unsigned_abs());
        let fraction = std::time::Duration::from_nanos(u64::from(time.nanos));
        let moved = if time.seconds >= 0 {
            epoch.checked_add(whole)
        } else {
            epoch.checked_sub(whole)
        };
        moved
            .and_then(|moved| moved.checked_add(fraction))
            .unwrap_or(epoch)
    }
}

impl std::str::FromStr for UtcDateTime {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        Self::parse(text).ok_or(())
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the fraction without trailing zeros.
impl fmt::Display for UtcDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let in_day = self.seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60
        )?;
        if self.nanos > 0 {
            let fraction = format!("{:09}", self.nanos);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl PartialOrd for Timestamp {
    /// Ordered by instant when both have a UTC view; otherwise unordered unless equal.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self.utc(), other.utc()) {
            (Some(left), Some(right)) => Some(left.cmp(&right)),
            _ => (self == other).then_some(Ordering::Equal),
        }
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {

    #[test]
    fn system_times_convert_both_ways_before_the_epoch_too() {
        use std::time::{Duration, SystemTime};
        let epoch = SystemTime::UNIX_EPOCH;
        let before = epoch - Duration::new(1, 250_000_000);
        let time = UtcDateTime::from(before);
        assert_eq!(
            (time.unix_seconds(), time.subsec_nanos()),
            (-2, 750_000_000)
        );
        assert_eq!(time.to_string(), "1969-12-31T23:59:58.75Z");
        assert_eq!(SystemTime::from(time), before);
        let exact = epoch - Duration::from_secs(3);
        assert_eq!(UtcDateTime::from(exact), UtcDateTime::from_unix_seconds(-3));
        assert_eq!(SystemTime::from(UtcDateTime::from(exact)), exact);
        assert_eq!(UtcDateTime::from(epoch), UtcDateTime::from_unix_seconds(0));
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_three_documented_styles_are_read() {
        let cases = [
            ("2017-07-25T10:00:00", "2017-07-25T10:00:00Z"),
            ("2017-07-25T10:00:00Z", "2017-07-25T10:00:00Z"),
            (
                "2019-02-05T21:57:06.7367164-08:00",
                "2019-02-06T05:57:06.7367164Z",
            ),
            ("2020-02-29T23:30:00+01:30", "2020-02-29T22:00:00Z"),
            ("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.5Z"),
        ];
        for (text, utc) in cases {
            let timestamp = Timestamp::new(text);
            assert_eq!(
                timestamp.utc().map(|t| t.to_string()).as_deref(),
                Some(utc),
                "{text}"
            );
            assert_eq!(timestamp.as_str(), text);
        }
    }

    #[test]
    fn other_styles_are_kept_without_a_typed_view() {
        for text in [
            "",
            "2017-07-25",
            "2017-13-01T00:00:00",
            "2019-02-29T00:00:00",
            "2017-07-25T10:00:00.",
            "2017-07-25T10:00:00+0100",
            "2017-07-25T24:00:00Z",
            "٢٠١٧-07-25T10:00:00",
        ] {
            let timestamp = Timestamp::new(text);
            assert_eq!(timestamp.utc(), None, "{text}");
            assert_eq!(timestamp.to_string(), text);
        }
    }

    #[test]
    fn timestamps_compare_by_instant() {
        let earlier = Timestamp::new("2019-02-05T21:57:06-08:00");
        let later = Timestamp::new("2019-02-06T06:00:00");
        assert!(earlier < later);
        assert_eq!(Timestamp::new("x").partial_cmp(&later), None);
    }

    #[test]
    fn whole_seconds_are_written_without_a_fraction() {
        for (seconds, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_549_432_626, "2019-02-06T05:57:06Z"),
            (-28_800, "1969-12-31T16:00:00Z"),
            (-62_135_596_800, "0001-01-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ] {
            let time = UtcDateTime::from_unix_seconds(seconds);
            assert_eq!(time, UtcDateTime::from_unix(seconds, 0).unwrap());
            assert_eq!(time.to_string(), text);
            assert_eq!(UtcDateTime::parse(text), Some(time));
        }
    }

    proptest! {
        #[test]
        fn display_and_parse_agree(seconds in -62_135_596_800i64..253_402_300_799, nanos in 0u32..1_000_000_000) {
            let time = UtcDateTime::from_unix(seconds, nanos).unwrap();
            prop_assert_eq!(UtcDateTime::parse(&time.to_string()), Some(time));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = UtcDateTime::parse(&text);
        }
    }
}
