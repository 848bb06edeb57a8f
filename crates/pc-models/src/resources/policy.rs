//! Configuration policies (Autopilot profiles).

use super::Attributes;
use crate::extra::resource;
use crate::lenient::{Parsed, Scalar, lenient_scalar};
use crate::text::Text;
use crate::{PolicyId, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

resource! {
    /// A configuration policy (an Autopilot profile) of a customer.
    pub struct ConfigurationPolicy {
        /// The policy's id.
        "id" => id: PolicyId,
        /// Its name.
        "name" => name: String,
        /// Its category, `o_o_b_e`.
        "category" => category: PolicyCategory,
        /// Its description.
        "description" => description: String,
        /// How many devices it is assigned to (the reference pages' spelling).
        "devicesAssigned" => devices_assigned: u64,
        /// How many devices it is assigned to (another spelling seen).
        "devicesAssignedCount" => devices_assigned_count: u64,
        /// The settings it applies.
        "policySettings" => policy_settings: Vec<PolicySetting>,
        /// When it was created.
        "createdDate" => created_date: Timestamp,
        /// When it was last changed.
        "lastModifiedDate" => last_modified_date: Timestamp,
        /// `{"objectType": "ConfigurationPolicy"}`.
        "attributes" => attributes: Attributes,
    }
}

impl ConfigurationPolicy {
    /// How many devices it is assigned to, whichever spelling the service used; `None`
    /// also when the count is not a non-negative integer (then it is in `extra`).
    pub fn devices_assigned(&self) -> Option<u64> {
        self.devices_assigned.or(self.devices_assigned_count)
    }
}

/// Declares a string enum whose unknown values are kept verbatim in `Other`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )*
            /// Any other value, kept as received.
            Other(String),
        }

        impl $name {
            /// The value as the service spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )*
                    $name::Other(other) => other,
                }
            }

            /// Reads a value as the service spells it; unknown values become `Other`.
            pub fn parse(text: &str) -> Self {
                match text {
                    $( $text => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Text::deserialize(deserializer).map(|text| $name::parse(text.as_str()))
            }
        }

        /// Inside a resource: any string is a value; any other kind is kept without a
        /// typed view.
        impl Scalar for $name {
            const EXPECTING: &'static str = "a string";

            fn from_text(text: &str) -> Parsed<Self> {
                Parsed::Typed($name::parse(text))
            }
        }

        lenient_scalar!($name);
    };
}

open_enum! {
    /// The category of a configuration policy.
    pub enum PolicyCategory {
        /// `o_o_b_e`: the out-of-box experience.
        OutOfBoxExperience = "o_o_b_e",
        /// `none`.
        None = "none",
    }
}

open_enum! {
    /// A setting a configuration policy applies during the out-of-box experience.
    pub enum PolicySetting {
        /// `none`.
        None = "none",
        /// `remove_oem_preinstalls`.
        RemoveOemPreinstalls = "remove_oem_preinstalls",
        /// `oobe_user_not_local_admin`.
        OobeUserNotLocalAdmin = "oobe_user_not_local_admin",
        /// `skip_express_settings`.
        SkipExpressSettings = "skip_express_settings",
        /// `skip_oem_registration`.
        SkipOemRegistration = "skip_oem_registration",
        /// `skip_eula`.
        SkipEula = "skip_eula",
    }
}
