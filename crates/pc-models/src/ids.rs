//! Identifiers: GUID newtypes for customers and tracking ids, names for batches,
//! devices and policies.

use crate::lenient::{Parsed, Scalar, lenient_scalar};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    kind: &'static str,
    value: String,
    expected: &'static str,
}

impl IdError {
    /// Which identifier was being read, e.g. `customer id`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The value that was refused, as given.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?}: expected {}",
            self.kind, self.value, self.expected
        )
    }
}

impl std::error::Error for IdError {}

macro_rules! guid_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a GUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The GUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            /// Reads a GUID, with or without braces or hyphens, in any case.
            fn from_str(text: &str) -> Result<Self, IdError> {
                Uuid::try_parse(text.trim()).map(Self).map_err(|_| IdError {
                    kind: $kind,
                    value: text.to_owned(),
                    expected: "a GUID such as 47021739-3426-40bf-9601-61b4b6d7c793",
                })
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        /// Lower-case and hyphenated, as the service writes it.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <crate::text::Text<'de>>::deserialize(deserializer)?;
                text.as_str().parse().map_err(serde::de::Error::custom)
            }
        }

        /// Inside a resource: a GUID in any spelling has a typed view and keeps its
        /// text; anything else is kept without one.
        impl Scalar for $name {
            const EXPECTING: &'static str = "a GUID";

            fn from_text(text: &str) -> Parsed<Self> {
                match Uuid::try_parse(text.trim()) {
                    Ok(uuid) if is_canonical(&uuid, text) => Parsed::Typed(Self(uuid)),
                    Ok(uuid) => Parsed::Spelled(Self(uuid)),
                    Err(_) => Parsed::Untyped,
                }
            }

            fn is_spelled(&self, text: &str) -> bool {
                Uuid::try_parse(text.trim()).is_ok_and(|uuid| uuid == self.0)
            }
        }

        lenient_scalar!($name);
    };
}

/// True when `text` is `uuid` as the service writes it: lower case, hyphenated.
fn is_canonical(uuid: &Uuid, text: &str) -> bool {
    let mut buffer = Uuid::encode_buffer();
    uuid.hyphenated().encode_lower(&mut buffer) == text
}

guid_id!(
    /// A customer's tenant id: a GUID.
    ///
    /// ```
    /// let customer: pc_models::CustomerId = "47021739-3426-40BF-9601-61B4B6D7C793".parse()?;
    /// assert_eq!(customer.to_string(), "47021739-3426-40bf-9601-61b4b6d7c793");
    /// assert!("not-a-guid".parse::<pc_models::CustomerId>().is_err());
    /// # Ok::<(), pc_models::IdError>(())
    /// ```
    CustomerId,
    "customer id"
);

guid_id!(
    /// The tracking id of a batch upload job: a GUID, the last segment of the
    /// `Location` the service answers an upload with.
    TrackingId,
    "tracking id"
);

macro_rules! name_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        ///
        /// Built from user input with [`FromStr`] or `new`, which refuse an empty name.
        /// Read from the service, it is taken as sent: a read never fails on an id.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A name as given; refused only when it is empty.
            pub fn new(name: impl Into<String>) -> Result<Self, IdError> {
                let name = name.into();
                if name.is_empty() {
                    return Err(IdError {
                        kind: $kind,
                        value: name,
                        expected: "a non-empty name",
                    });
                }
                Ok(Self(name))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::new(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self)
            }
        }

        /// Inside a resource: any string, empty included, is taken as sent.
        impl Scalar for $name {
            const EXPECTING: &'static str = "a string";

            fn from_text(text: &str) -> Parsed<Self> {
                Parsed::Typed(Self(text.to_owned()))
            }

            fn from_string(text: String) -> (Parsed<Self>, String) {
                (Parsed::Typed(Self(text)), String::new())
            }
        }

        lenient_scalar!($name);
    };
}

name_id!(
    /// The name of a device batch, chosen by the partner: free-form, spaces allowed.
    ///
    /// ```
    /// let batch: pc_models::BatchId = "Lab A/1".parse()?;
    /// assert_eq!(batch.as_str(), "Lab A/1");
    /// assert!("".parse::<pc_models::BatchId>().is_err());
    /// # Ok::<(), pc_models::IdError>(())
    /// ```
    BatchId,
    "batch id"
);

name_id!(
    /// The id of a registered device: free-form text, not a GUID
    /// (the docs show `9993-8627-3608-6844-6369-4361-72`).
    DeviceId,
    "device id"
);

name_id!(
    /// The id of a configuration policy.
    PolicyId,
    "policy id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_ids_read_any_case_and_print_lower_hyphenated() {
        let id: TrackingId = "{0127ED8E-FF72-4983-A3D8-E8D8BD378932}".parse().unwrap();
        assert_eq!(id.to_string(), "0127ed8e-ff72-4983-a3d8-e8d8bd378932");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"0127ed8e-ff72-4983-a3d8-e8d8bd378932\""
        );
    }

    #[test]
    fn errors_name_the_value_and_what_was_expected() {
        let error = "1234".parse::<CustomerId>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid customer id \"1234\": expected a GUID such as 47021739-3426-40bf-9601-61b4b6d7c793"
        );
        let error = BatchId::new("").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid batch id \"\": expected a non-empty name"
        );
    }

    #[test]
    fn a_bad_guid_in_json_is_a_data_error() {
        let error = serde_json::from_str::<TrackingId>("\"nope\"").unwrap_err();
        assert!(error.to_string().contains("invalid tracking id \"nope\""));
    }
}
