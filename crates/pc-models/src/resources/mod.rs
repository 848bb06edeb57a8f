//! The device-deployment resources, as the service sends and reads them (camelCase JSON).
//!
//! Every field is optional (the service leaves fields out, sends `null`, or sends a
//! value without a typed view), unknown fields and values without a typed view land in
//! the resource's [`Extra`](crate::Extra), and parse → serialize gives back the same
//! JSON value.

mod batch;
mod collection;
mod policy;

pub use batch::{
    BatchUploadDetails, Device, DeviceBatch, DeviceBatchCreationRequest, DevicePolicyUpdateRequest,
    DeviceUploadDetails,
};
pub use collection::Collection;
pub use policy::{ConfigurationPolicy, PolicyCategory, PolicySetting};

use crate::extra::resource;
use std::borrow::Cow;

resource! {
    /// The `attributes` object every resource carries, e.g. `{"objectType": "Collection"}`.
    pub struct Attributes {
        /// The resource's type name; the names the service sends are read without
        /// allocating.
        "objectType" => object_type: Cow<'static, str>,
        /// An entity tag, when the service sends one.
        "etag" => etag: String,
    }
}

impl Attributes {
    /// Attributes naming `object_type`, as the service writes them.
    pub fn of(object_type: &str) -> Self {
        Self {
            object_type: Some(crate::lenient::interned(object_type)),
            ..Self::default()
        }
    }
}

resource! {
    /// A key/value pair: a device's policy (`{"key": "o_o_b_e", "value": "<policy id>"}`)
    /// or a header of a [`Link`].
    pub struct KeyValuePair {
        /// The key, e.g. the policy category `o_o_b_e` or a header name.
        "key" => key: String,
        /// The value, e.g. the id of the policy assigned or a header value.
        "value" => value: String,
    }
}

impl KeyValuePair {
    /// A pair of `key` and `value`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            value: Some(value.into()),
            ..Self::default()
        }
    }
}

resource! {
    /// A link to a related resource or page. Informational: its `uri` may be relative,
    /// lack `/v1`, or hold unencoded spaces.
    pub struct Link {
        /// Where it points, as sent.
        "uri" => uri: String,
        /// The HTTP method to use, e.g. `GET`.
        "method" => method: String,
        /// Headers to send, e.g. `MS-ContinuationToken`.
        "headers" => headers: Vec<KeyValuePair>,
    }
}

resource! {
    /// The `links` of a resource or collection.
    pub struct Links {
        /// The resource itself.
        "self" => self_link: Link,
        /// The next page of a collection.
        "next" => next: Link,
        /// The previous page of a collection.
        "previous" => previous: Link,
    }
}
