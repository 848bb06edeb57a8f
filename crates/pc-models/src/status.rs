//! The processing status of a batch upload and of each device in it.

use crate::lenient::{Parsed, Scalar, lenient_scalar};
use crate::text::Text;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The status of a batch upload job, or of one device in it.
///
/// The service adds values without notice: anything it sends that is not listed here
/// is kept verbatim in [`UploadStatus::Other`], never rejected, and is not terminal.
///
/// ```
/// use pc_models::UploadStatus;
/// let status: UploadStatus = serde_json::from_str("\"finished_with_errors\"")?;
/// assert!(status.is_terminal());
/// let status: UploadStatus = serde_json::from_str("\"in-progress\"")?;
/// assert_eq!(status, UploadStatus::Other("in-progress".into()));
/// assert!(!status.is_terminal());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UploadStatus {
    /// `unknown`: the service does not know yet.
    Unknown,
    /// `queued`: accepted, waiting to be processed.
    Queued,
    /// `processing`: being processed.
    Processing,
    /// `finished`: done, no errors.
    Finished,
    /// `finished_with_errors`: done, with errors on some devices.
    FinishedWithErrors,
    /// Any other value, kept as received.
    Other(String),
}

/// The status of a batch upload job.
pub type BatchStatus = UploadStatus;
/// The status of one device in a batch upload job.
pub type DeviceStatus = UploadStatus;

impl UploadStatus {
    /// Every value this version knows, in processing order.
    pub const KNOWN: [UploadStatus; 5] = [
        UploadStatus::Unknown,
        UploadStatus::Queued,
        UploadStatus::Processing,
        UploadStatus::Finished,
        UploadStatus::FinishedWithErrors,
    ];

    /// The value as the service spells it.
    pub fn as_str(&self) -> &str {
        match self {
            UploadStatus::Unknown => "unknown",
            UploadStatus::Queued => "queued",
            UploadStatus::Processing => "processing",
            UploadStatus::Finished => "finished",
            UploadStatus::FinishedWithErrors => "finished_with_errors",
            UploadStatus::Other(other) => other,
        }
    }

    /// Reads a value: a known one in any ASCII case (`Finished` is
    /// [`Finished`](Self::Finished)); anything else becomes `Other`, kept verbatim.
    pub fn parse(text: &str) -> Self {
        Self::known(text).unwrap_or_else(|| UploadStatus::Other(text.to_owned()))
    }

    /// The known value spelled `text` exactly as the service does, if any.
    fn known_exact(text: &str) -> Option<Self> {
        Some(match text {
            "unknown" => UploadStatus::Unknown,
            "queued" => UploadStatus::Queued,
            "processing" => UploadStatus::Processing,
            "finished" => UploadStatus::Finished,
            "finished_with_errors" => UploadStatus::FinishedWithErrors,
            _ => return None,
        })
    }

    /// The known value spelled `text` in any ASCII case, if any.
    fn known(text: &str) -> Option<Self> {
        Self::known_exact(text).or_else(|| {
            Self::KNOWN
                .into_iter()
                .find(|known| known.as_str().eq_ignore_ascii_case(text))
        })
    }

    /// True for `finished` and `finished_with_errors`: the service will not change it again.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            UploadStatus::Finished | UploadStatus::FinishedWithErrors
        )
    }
}

impl fmt::Display for UploadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for UploadStatus {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(text))
    }
}

impl Serialize for UploadStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Reads a known value in any ASCII case, anything else as `Other`. On its own, a
/// status is written back in the service's spelling; inside a resource it is written
/// back as received.
impl<'de> Deserialize<'de> for UploadStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        Ok(Self::known(text.as_str()).unwrap_or_else(|| UploadStatus::Other(text.into_owned())))
    }
}

/// Inside a resource: any string is a status, a known one in any ASCII case (its text
/// kept); any other kind is kept without a typed view.
impl Scalar for UploadStatus {
    const EXPECTING: &'static str = "a status string";

    fn from_text(text: &str) -> Parsed<Self> {
        if let Some(known) = Self::known_exact(text) {
            return Parsed::Typed(known);
        }
        match Self::known(text) {
            Some(known) => Parsed::Spelled(known),
            None => Parsed::Typed(UploadStatus::Other(text.to_owned())),
        }
    }

    fn is_spelled(&self, text: &str) -> bool {
        Self::known(text).as_ref() == Some(self)
    }
}

lenient_scalar!(UploadStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_others_are_kept() {
        for status in UploadStatus::KNOWN {
            assert_eq!(UploadStatus::parse(status.as_str()), status);
        }
        let other = UploadStatus::parse("in-progress");
        assert_eq!(other, UploadStatus::Other("in-progress".to_owned()));
        assert_eq!(serde_json::to_string(&other).unwrap(), "\"in-progress\"");
    }

    #[test]
    fn known_values_match_in_any_ascii_case() {
        for (text, status) in [
            ("Finished", UploadStatus::Finished),
            ("FINISHED_WITH_ERRORS", UploadStatus::FinishedWithErrors),
            ("Queued", UploadStatus::Queued),
            ("pRoCeSsInG", UploadStatus::Processing),
            ("Unknown", UploadStatus::Unknown),
        ] {
            assert_eq!(UploadStatus::parse(text), status, "{text}");
            let read: UploadStatus = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            assert_eq!(read, status, "{text}");
        }
        assert!(UploadStatus::parse("Finished").is_terminal());
        // Only ASCII case folds: a dotless capital I is another value.
        assert_eq!(
            UploadStatus::parse("fİnished"),
            UploadStatus::Other("fİnished".to_owned())
        );
    }

    #[test]
    fn only_finished_values_are_terminal() {
        let terminal: Vec<_> = UploadStatus::KNOWN
            .into_iter()
            .filter(UploadStatus::is_terminal)
            .collect();
        assert_eq!(
            terminal,
            [UploadStatus::Finished, UploadStatus::FinishedWithErrors]
        );
    }
}
