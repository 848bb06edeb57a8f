//! The device error catalog: the ZTD ("zero-touch deployment") errors the service
//! reports per device in a batch, with what each means and what to do.

use crate::lenient::{Parsed, Scalar, lenient_scalar};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A device error the service is known to report, with its code, name, meaning and a
/// hint of what to do.
///
/// ```
/// use pc_models::ZtdError;
/// let error = ZtdError::lookup("808").unwrap();
/// assert_eq!(error, ZtdError::DeviceAssignedToOtherTenant);
/// assert_eq!(error.name(), "ZtdDeviceAssignedToOtherTenant");
/// assert_eq!(ZtdError::lookup("ZtdDeviceAssignedToOtherTenant"), Some(error));
/// assert_eq!(ZtdError::lookup("999"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZtdError {
    /// 801 `InvalidZtdRequestBody`.
    InvalidRequestBody,
    /// 802 `InvalidZtdHardwareHash`.
    InvalidHardwareHash,
    /// 803 `MissingZtdSerialNumberAndProductKey`.
    MissingSerialNumberAndProductKey,
    /// 806 `ZtdDeviceAlreadyAssigned`.
    DeviceAlreadyAssigned,
    /// 807 `ZtdDeviceIsNotRegistered`.
    DeviceIsNotRegistered,
    /// 808 `ZtdDeviceAssignedToOtherTenant`.
    DeviceAssignedToOtherTenant,
    /// 809 `ZtdProfileIsNotRegistered`.
    ProfileIsNotRegistered,
    /// 810 `ZtdProfileAssignedToOtherTenant`.
    ProfileAssignedToOtherTenant,
    /// 811 `ZtdDeviceRegisteredByOtherTenant`.
    DeviceRegisteredByOtherTenant,
    /// 812 `ZtdDeviceNotFound`.
    DeviceNotFound,
    /// 813 `ZtdDeviceIsNotUnique`.
    DeviceIsNotUnique,
    /// 814 `ZtdDeviceAlreadyAadRegistered`.
    DeviceAlreadyAadRegistered,
    /// `ZtdDeviceDuplicated`: the same device twice in one upload (no numeric code).
    DeviceDuplicated,
    /// 640 `StorageError`.
    StorageError,
}

struct Entry {
    error: ZtdError,
    code: Option<u16>,
    name: &'static str,
    meaning: &'static str,
    hint: &'static str,
}

const CATALOG: &[Entry] = &[
    Entry {
        error: ZtdError::InvalidRequestBody,
        code: Some(801),
        name: "InvalidZtdRequestBody",
        meaning: "the upload body is malformed",
        hint: "check the upload's JSON and each device's fields, then upload again",
    },
    Entry {
        error: ZtdError::InvalidHardwareHash,
        code: Some(802),
        name: "InvalidZtdHardwareHash",
        meaning: "the hardware hash is not valid",
        hint: "capture the hardware hash again on the device (Get-WindowsAutopilotInfo) and re-upload",
    },
    Entry {
        error: ZtdError::MissingSerialNumberAndProductKey,
        code: Some(803),
        name: "MissingZtdSerialNumberAndProductKey",
        meaning: "the device lacks every accepted set of identifiers",
        hint: "send a hardware hash, a product key, or a serial number with manufacturer and model",
    },
    Entry {
        error: ZtdError::DeviceAlreadyAssigned,
        code: Some(806),
        name: "ZtdDeviceAlreadyAssigned",
        meaning: "the device is already registered to this customer",
        hint: "nothing to do: the device is already registered here",
    },
    Entry {
        error: ZtdError::DeviceIsNotRegistered,
        code: Some(807),
        name: "ZtdDeviceIsNotRegistered",
        meaning: "the device is not registered",
        hint: "register the device first, then retry the operation",
    },
    Entry {
        error: ZtdError::DeviceAssignedToOtherTenant,
        code: Some(808),
        name: "ZtdDeviceAssignedToOtherTenant",
        meaning: "the device is registered to another organisation",
        hint: "the other tenant (or the OEM) must deregister it first; also seen after a motherboard replacement",
    },
    Entry {
        error: ZtdError::ProfileIsNotRegistered,
        code: Some(809),
        name: "ZtdProfileIsNotRegistered",
        meaning: "the deployment profile does not exist",
        hint: "create the profile, or assign one that exists",
    },
    Entry {
        error: ZtdError::ProfileAssignedToOtherTenant,
        code: Some(810),
        name: "ZtdProfileAssignedToOtherTenant",
        meaning: "the profile belongs to another tenant",
        hint: "assign a profile that belongs to this customer",
    },
    Entry {
        error: ZtdError::DeviceRegisteredByOtherTenant,
        code: Some(811),
        name: "ZtdDeviceRegisteredByOtherTenant",
        meaning: "another partner registered the device",
        hint: "ask the partner who registered it to deregister it",
    },
    Entry {
        error: ZtdError::DeviceNotFound,
        code: Some(812),
        name: "ZtdDeviceNotFound",
        meaning: "no such device",
        hint: "check the device id, serial number or product key",
    },
    Entry {
        error: ZtdError::DeviceIsNotUnique,
        code: Some(813),
        name: "ZtdDeviceIsNotUnique",
        meaning: "the identifiers match more than one device",
        hint: "add identifiers (a hardware hash) so that only one device matches",
    },
    Entry {
        error: ZtdError::DeviceAlreadyAadRegistered,
        code: Some(814),
        name: "ZtdDeviceAlreadyAadRegistered",
        meaning: "the device is already joined to Azure AD",
        hint: "remove the device from Azure AD first, then upload again",
    },
    Entry {
        error: ZtdError::DeviceDuplicated,
        code: None,
        name: "ZtdDeviceDuplicated",
        meaning: "the same device appears twice in one upload",
        hint: "remove the repeated row from the upload; the first one is processed",
    },
    Entry {
        error: ZtdError::StorageError,
        code: Some(640),
        name: "StorageError",
        meaning: "the service could not store the device",
        hint: "a service-side fault: upload the device again later",
    },
];

impl ZtdError {
    /// Every error in the catalog.
    pub const ALL: [ZtdError; 14] = [
        ZtdError::InvalidRequestBody,
        ZtdError::InvalidHardwareHash,
        ZtdError::MissingSerialNumberAndProductKey,
        ZtdError::DeviceAlreadyAssigned,
        ZtdError::DeviceIsNotRegistered,
        ZtdError::DeviceAssignedToOtherTenant,
        ZtdError::ProfileIsNotRegistered,
        ZtdError::ProfileAssignedToOtherTenant,
        ZtdError::DeviceRegisteredByOtherTenant,
        ZtdError::DeviceNotFound,
        ZtdError::DeviceIsNotUnique,
        ZtdError::DeviceAlreadyAadRegistered,
        ZtdError::DeviceDuplicated,
        ZtdError::StorageError,
    ];

    fn entry(self) -> &'static Entry {
        // Every variant has exactly one entry; the catalog test proves it.
        CATALOG
            .iter()
            .find(|entry| entry.error == self)
            .unwrap_or(&CATALOG[0])
    }

    /// Finds an error by its numeric code (`"808"`) or its name
    /// (`"ZtdDeviceAssignedToOtherTenant"`, any case), as the service writes either in
    /// `errorCode` or `errorDescription`.
    pub fn lookup(code_or_name: &str) -> Option<Self> {
        let text = code_or_name.trim();
        let code = text.parse::<u16>().ok();
        CATALOG
            .iter()
            .find(|entry| match code {
                Some(code) => entry.code == Some(code),
                None => entry.name.eq_ignore_ascii_case(text),
            })
            .map(|entry| entry.error)
    }

    /// The numeric code, when the error has one.
    pub fn code(self) -> Option<u16> {
        self.entry().code
    }

    /// The name the service uses, e.g. `ZtdDeviceAssignedToOtherTenant`.
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    /// What the error means.
    pub fn meaning(self) -> &'static str {
        self.entry().meaning
    }

    /// A one-line hint of what to do.
    pub fn hint(self) -> &'static str {
        self.entry().hint
    }
}

impl fmt::Display for ZtdError {
    /// `808 ZtdDeviceAssignedToOtherTenant`, or the name alone when there is no code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code() {
            Some(code) => write!(f, "{code} {}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// An error code as the service sent it: a string (`"808"`) or a number (`600`).
///
/// The service documents `errorCode` as a string and the error body's `code` as a
/// number, and sends either at times; the form received is kept so it is written back
/// the same way.
///
/// ```
/// use pc_models::ErrorCode;
/// let code: ErrorCode = serde_json::from_str("808")?;
/// assert_eq!(code.as_str(), "808");
/// assert_eq!(serde_json::to_string(&code)?, "808");
/// let code: ErrorCode = serde_json::from_str("\"808\"")?;
/// assert_eq!(serde_json::to_string(&code)?, "\"808\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorCode {
    text: String,
    number: Option<serde_json::Number>,
}

impl ErrorCode {
    /// A code written as a string.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            number: None,
        }
    }

    /// The code as text (a number is written in decimal).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The code as a number, when it is one (sent as a number or a string of digits).
    pub fn as_i64(&self) -> Option<i64> {
        match &self.number {
            Some(number) => number.as_i64(),
            None => self.text.trim().parse().ok(),
        }
    }

    /// True when the code is empty (the service sends `""` for no error).
    pub fn is_empty(&self) -> bool {
        self.number.is_none() && self.text.trim().is_empty()
    }

    /// The catalog entry for this code, when it is a known device error.
    pub fn ztd_error(&self) -> Option<ZtdError> {
        ZtdError::lookup(&self.text)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<&str> for ErrorCode {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<i64> for ErrorCode {
    fn from(number: i64) -> Self {
        Self {
            text: number.to_string(),
            number: Some(number.into()),
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.number {
            Some(number) => number.serialize(serializer),
            None => serializer.serialize_str(&self.text),
        }
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;
        impl Visitor<'_> for CodeVisitor {
            type Value = ErrorCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error code (a string or a number)")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<ErrorCode, E> {
                Ok(ErrorCode::new(text))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<ErrorCode, E> {
                Ok(ErrorCode::new(text))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<ErrorCode, E> {
                Ok(ErrorCode::from(number))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<ErrorCode, E> {
                Ok(ErrorCode {
                    text: number.to_string(),
                    number: Some(number.into()),
                })
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<ErrorCode, E> {
                let json = serde_json::Number::from_f64(number)
                    .ok_or_else(|| E::custom("an error code that is not a finite number"))?;
                Ok(ErrorCode {
                    text: json.to_string(),
                    number: Some(json),
                })
            }
        }
        deserializer.deserialize_any(CodeVisitor)
    }
}

/// Inside a resource: a string or any number is a code; any other kind is kept
/// without a typed view.
impl Scalar for ErrorCode {
    const EXPECTING: &'static str = "an error code (a string or a number)";

    fn from_text(text: &str) -> Parsed<Self> {
        Parsed::Typed(ErrorCode::new(text))
    }

    fn from_string(text: String) -> (Parsed<Self>, String) {
        (Parsed::Typed(ErrorCode::new(text)), String::new())
    }

    fn from_u64(number: u64) -> Option<Self> {
        Some(ErrorCode {
            text: number.to_string(),
            number: Some(number.into()),
        })
    }

    fn from_i64(number: i64) -> Option<Self> {
        Some(ErrorCode::from(number))
    }

    fn from_f64(number: f64) -> Option<Self> {
        let json = serde_json::Number::from_f64(number)?;
        Some(ErrorCode {
            text: json.to_string(),
            number: Some(json),
        })
    }
}

lenient_scalar!(ErrorCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_one_entry_and_looks_up_by_code_and_name() {
        assert_eq!(CATALOG.len(), ZtdError::ALL.len());
        for error in ZtdError::ALL {
            assert_eq!(CATALOG.iter().filter(|e| e.error == error).count(), 1);
            assert_eq!(ZtdError::lookup(error.name()), Some(error));
            assert_eq!(ZtdError::lookup(&error.name().to_lowercase()), Some(error));
            if let Some(code) = error.code() {
                assert_eq!(ZtdError::lookup(&code.to_string()), Some(error));
            }
            assert!(!error.hint().is_empty() && !error.meaning().is_empty());
        }
    }

    #[test]
    fn the_catalog_reads_as_documented() {
        let rows: Vec<String> = ZtdError::ALL
            .iter()
            .map(|error| format!("{error}: {} — {}", error.meaning(), error.hint()))
            .collect();
        insta::assert_snapshot!(rows.join("\n"));
    }

    #[test]
    fn unknown_codes_are_kept_as_received() {
        let code: ErrorCode = serde_json::from_str("\"E-42\"").unwrap();
        assert_eq!(code.ztd_error(), None);
        assert_eq!(code.as_str(), "E-42");
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"E-42\"");
        let code: ErrorCode = serde_json::from_str("600.5").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "600.5");
    }
}
