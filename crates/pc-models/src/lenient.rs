//! Lenient reading: a known field whose JSON value has an unexpected type or form is
//! kept as received instead of failing the whole document.
//!
//! Every field type of a resource implements [`Lenient`]. Reading one JSON value gives
//! the typed view (when there is one) in a slot, plus a [`Kept`] saying what else must
//! be remembered so that serializing gives back the value as received. The resource
//! stores a `Kept` other than [`Kept::Typed`] in its [`Extra`](crate::Extra), which
//! allocates only then.

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// What a lenient read of one JSON value left beside its typed view: everything needed
/// to write the value back exactly as received.
///
/// ```
/// use pc_models::{DeviceBatch, Kept};
/// let batch: DeviceBatch =
///     pc_models::from_slice(br#"{"id":"Lab","devicesCount":"12","status":"Finished"}"#)?;
/// assert_eq!(batch.devices_count, None);
/// assert_eq!(batch.extra.kept("devicesCount"), Some(&Kept::Untyped("12".into())));
/// assert_eq!(batch.status, Some(pc_models::UploadStatus::Finished));
/// assert_eq!(batch.extra.kept("status"), Some(&Kept::Spelled("Finished".into())));
/// # Ok::<(), pc_models::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    /// The value has a typed view, which writes back as received: nothing is kept.
    Typed,
    /// The value was an explicit `null`: no typed view, and `null` is written back.
    Null,
    /// The value has a typed view, but arrived spelled otherwise than the view writes
    /// it (a GUID in upper case or in braces, `Finished` for `finished`): this text is
    /// written back as long as it still names the typed value.
    Spelled(String),
    /// The value has no typed view (an unexpected JSON type or form): it is kept, and
    /// written back, as received.
    Untyped(Value),
    /// An array with a typed view whose elements at these positions (0-based, in the
    /// array as received) had none: they are kept as received and written back in place.
    Elements(Vec<(usize, Value)>),
}

/// A type that a resource reads without failing on an unexpected JSON type or form.
///
/// Implemented by every resource, the field types they use, `Vec` of any of them, and
/// `serde_json::Value`. [`Collection<T>`](crate::Collection) takes any `T: Lenient`.
/// The methods are the machinery of the resources' `Deserialize` and `Serialize`;
/// a user seldom calls them.
pub trait Lenient: Serialize + Sized {
    /// Reads one JSON value: sets `slot` to the typed view, or to `None` when there is
    /// none, and returns what must be kept to write the value back as received. Fails
    /// only when the input is not JSON.
    fn read_into<'de, D: Deserializer<'de>>(
        deserializer: D,
        slot: &mut Option<Self>,
    ) -> Result<Kept, D::Error>;

    /// Reads one element of an array and pushes its typed view, if any, onto `items`.
    /// Resources override it to fill the element in place.
    fn push_into<'de, D: Deserializer<'de>>(
        deserializer: D,
        items: &mut Vec<Self>,
    ) -> Result<Kept, D::Error> {
        let mut slot = None;
        let kept = Self::read_into(deserializer, &mut slot)?;
        items.extend(slot);
        Ok(kept)
    }

    /// True when `text`, as received, still names this value (so it is written back
    /// instead of this value's own spelling).
    fn is_spelled(&self, text: &str) -> bool {
        let _ = text;
        false
    }

    /// Writes this value, as received when `kept` still describes it.
    fn write_kept<S: Serializer>(
        &self,
        kept: Option<&Kept>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match kept {
            Some(Kept::Spelled(text)) if self.is_spelled(text) => serializer.serialize_str(text),
            _ => self.serialize(serializer),
        }
    }
}

/// A value with what was kept of it, serialized as received.
pub(crate) struct Written<'a, T>(pub(crate) &'a T, pub(crate) Option<&'a Kept>);

impl<T: Lenient> Serialize for Written<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.write_kept(self.1, serializer)
    }
}

/// The seed that reads a map value or array element into a slot.
pub(crate) struct Slot<'a, T>(pub(crate) &'a mut Option<T>);

impl<'de, T: Lenient> DeserializeSeed<'de> for Slot<'_, T> {
    type Value = Kept;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kept, D::Error> {
        T::read_into(deserializer, self.0)
    }
}

/// The seed that reads an array element onto the end of a vector.
struct Push<'a, T>(&'a mut Vec<T>);

impl<'de, T: Lenient> DeserializeSeed<'de> for Push<'_, T> {
    type Value = Kept;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kept, D::Error> {
        T::push_into(deserializer, self.0)
    }
}

/// The whole JSON value of a map, as received.
pub(crate) fn map_value<'de, A: MapAccess<'de>>(map: A) -> Result<Kept, A::Error> {
    Value::deserialize(MapAccessDeserializer::new(map)).map(Kept::Untyped)
}

/// The whole JSON value of an array, as received.
pub(crate) fn seq_value<'de, A: SeqAccess<'de>>(seq: A) -> Result<Kept, A::Error> {
    Value::deserialize(SeqAccessDeserializer::new(seq)).map(Kept::Untyped)
}

/// Implements the `visit_*` methods of a visitor whose value is a [`Kept`], for every
/// JSON kind the type does not accept, keeping the value untyped (`null` as
/// [`Kept::Null`]).
macro_rules! keep_other_kinds {
    (bool) => {
        fn visit_bool<E: ::serde::de::Error>(self, value: bool) -> Result<$crate::Kept, E> {
            Ok($crate::Kept::Untyped(::serde_json::Value::Bool(value)))
        }
    };
    (numbers) => {
        fn visit_u64<E: ::serde::de::Error>(self, value: u64) -> Result<$crate::Kept, E> {
            Ok($crate::Kept::Untyped(value.into()))
        }
        fn visit_i64<E: ::serde::de::Error>(self, value: i64) -> Result<$crate::Kept, E> {
            Ok($crate::Kept::Untyped(value.into()))
        }
        fn visit_f64<E: ::serde::de::Error>(self, value: f64) -> Result<$crate::Kept, E> {
            Ok($crate::Kept::Untyped(value.into()))
        }
    };
    (strings) => {
        fn visit_str<E: ::serde::de::Error>(self, value: &str) -> Result<$crate::Kept, E> {
            Ok($crate::Kept::Untyped(value.into()))
        }
        fn visit_string<E: ::serde::de::Error>(self, value: String) -> Result<$crate::Kept, E> {
            Ok($crate::Kept::Untyped(value.into()))
        }
    };
    (null) => {
        fn visit_unit<E: ::serde::de::Error>(self) -> Result<$crate::Kept, E> {
            Ok($crate::Kept::Null)
        }
        fn visit_none<E: ::serde::de::Error>(self) -> Result<$crate::Kept, E> {
            Ok($crate::Kept::Null)
        }
    };
    (seq) => {
        fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, seq: A) -> Result<$crate::Kept, A::Error> {
            $crate::lenient::seq_value(seq)
        }
    };
    (map) => {
        fn visit_map<A: ::serde::de::MapAccess<'de>>(self, map: A) -> Result<$crate::Kept, A::Error> {
            $crate::lenient::map_value(map)
        }
    };
    ($($kind:ident),+) => { $( $crate::lenient::keep_other_kinds!($kind); )+ };
}
pub(crate) use keep_other_kinds;

/// How a scalar reads a JSON string.
pub(crate) enum Parsed<T> {
    /// A typed view that writes back as received.
    Typed(T),
    /// A typed view that writes back otherwise: the text is kept.
    Spelled(T),
    /// No typed view: the string is kept.
    Untyped,
}

/// A field type read from a JSON string or number; every other kind is kept untyped.
pub(crate) trait Scalar: Sized {
    /// What the type reads, for error messages.
    const EXPECTING: &'static str;

    /// Reads a JSON string.
    fn from_text(text: &str) -> Parsed<Self>;

    /// Reads a JSON string given by value (a `serde_json::Value` input), without copying
    /// when the type keeps the text.
    fn from_string(text: String) -> (Parsed<Self>, String) {
        (Self::from_text(&text), text)
    }

    /// Reads a non-negative JSON integer.
    fn from_u64(_: u64) -> Option<Self> {
        None
    }

    /// Reads a negative JSON integer.
    fn from_i64(_: i64) -> Option<Self> {
        None
    }

    /// Reads a JSON number with a fraction or an exponent.
    fn from_f64(_: f64) -> Option<Self> {
        None
    }

    /// True when `text` still names this value; see [`Lenient::is_spelled`].
    fn is_spelled(&self, _text: &str) -> bool {
        false
    }
}

struct ScalarVisitor<'a, T>(&'a mut Option<T>);

impl<T> ScalarVisitor<'_, T> {
    fn number(self, typed: Option<T>, value: impl Into<Value>) -> Kept {
        match typed {
            Some(typed) => {
                *self.0 = Some(typed);
                Kept::Typed
            }
            None => {
                *self.0 = None;
                Kept::Untyped(value.into())
            }
        }
    }

    fn text(self, parsed: Parsed<T>, text: impl FnOnce() -> String) -> Kept {
        match parsed {
            Parsed::Typed(typed) => {
                *self.0 = Some(typed);
                Kept::Typed
            }
            Parsed::Spelled(typed) => {
                *self.0 = Some(typed);
                Kept::Spelled(text())
            }
            Parsed::Untyped => {
                *self.0 = None;
                Kept::Untyped(Value::String(text()))
            }
        }
    }

    fn untyped(self, kept: Kept) -> Kept {
        *self.0 = None;
        kept
    }
}

impl<'de, T: Scalar> Visitor<'de> for ScalarVisitor<'_, T> {
    type Value = Kept;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Kept, E> {
        Ok(self.text(T::from_text(text), || text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Kept, E> {
        let (parsed, text) = T::from_string(text);
        Ok(self.text(parsed, || text))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Kept, E> {
        Ok(self.number(T::from_u64(value), value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Kept, E> {
        Ok(self.number(T::from_i64(value), value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Kept, E> {
        Ok(self.number(T::from_f64(value), value))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Kept, E> {
        Ok(self.untyped(Kept::Untyped(Value::Bool(value))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Kept, E> {
        Ok(self.untyped(Kept::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Kept, E> {
        Ok(self.untyped(Kept::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Kept, A::Error> {
        *self.0 = None;
        seq_value(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Kept, A::Error> {
        *self.0 = None;
        map_value(map)
    }
}

/// Implements [`Lenient`] for [`Scalar`] types.
macro_rules! lenient_scalar {
    ($($ty:ty),* $(,)?) => {
        $(
            impl $crate::Lenient for $ty {
                fn read_into<'de, D: ::serde::Deserializer<'de>>(
                    deserializer: D,
                    slot: &mut Option<Self>,
                ) -> Result<$crate::Kept, D::Error> {
                    $crate::lenient::read_scalar(deserializer, slot)
                }

                fn is_spelled(&self, text: &str) -> bool {
                    <$ty as $crate::lenient::Scalar>::is_spelled(self, text)
                }
            }
        )*
    };
}
pub(crate) use lenient_scalar;

/// Reads a [`Scalar`] leniently.
pub(crate) fn read_scalar<'de, D: Deserializer<'de>, T: Scalar>(
    deserializer: D,
    slot: &mut Option<T>,
) -> Result<Kept, D::Error> {
    deserializer.deserialize_any(ScalarVisitor(slot))
}

impl Scalar for String {
    const EXPECTING: &'static str = "a string";
    fn from_text(text: &str) -> Parsed<Self> {
        Parsed::Typed(text.to_owned())
    }
    fn from_string(text: String) -> (Parsed<Self>, String) {
        (Parsed::Typed(text), String::new())
    }
}

/// The `objectType` values the service sends, read without allocating.
const OBJECT_TYPES: [&str; 11] = [
    "BatchUploadDetails",
    "DeviceUploadDetails",
    "Device",
    "DeviceBatch",
    "DeviceBatchCreationRequest",
    "DevicePolicyUpdateRequest",
    "Collection",
    "ConfigurationPolicy",
    "Link",
    "Links",
    "KeyValuePair",
];

/// The static copy of `text` when it is a well-known name, else an owned copy.
pub(crate) fn interned(text: &str) -> Cow<'static, str> {
    match OBJECT_TYPES.iter().find(|known| **known == text) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(text.to_owned()),
    }
}

impl Scalar for Cow<'static, str> {
    const EXPECTING: &'static str = "a string";
    fn from_text(text: &str) -> Parsed<Self> {
        Parsed::Typed(interned(text))
    }
}

impl Scalar for u64 {
    const EXPECTING: &'static str = "a non-negative integer";
    fn from_text(_: &str) -> Parsed<Self> {
        Parsed::Untyped
    }
    fn from_u64(value: u64) -> Option<Self> {
        Some(value)
    }
}

impl Scalar for u16 {
    const EXPECTING: &'static str = "an integer from 0 to 65535";
    fn from_text(_: &str) -> Parsed<Self> {
        Parsed::Untyped
    }
    fn from_u64(value: u64) -> Option<Self> {
        value.try_into().ok()
    }
}

lenient_scalar!(String, Cow<'static, str>, u64, u16);

impl Lenient for Value {
    /// Any JSON value, `null` included, is its own typed view.
    fn read_into<'de, D: Deserializer<'de>>(
        deserializer: D,
        slot: &mut Option<Self>,
    ) -> Result<Kept, D::Error> {
        *slot = Some(Value::deserialize(deserializer)?);
        Ok(Kept::Typed)
    }
}

struct SeqVisitor<'a, T>(&'a mut Option<Vec<T>>);

impl<'de, T: Lenient> Visitor<'de> for SeqVisitor<'_, T> {
    type Value = Kept;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kept, A::Error> {
        let items = self.0.insert(Vec::new());
        let mut elements = Vec::new();
        let mut index = 0;
        while let Some(kept) = seq.next_element_seed(Push(items))? {
            match kept {
                Kept::Typed => {}
                Kept::Null => elements.push((index, Value::Null)),
                Kept::Untyped(value) => elements.push((index, value)),
                // An element whose typed view needs something kept (only a nested array
                // or a differently spelled value would) is kept whole, as received.
                kept @ (Kept::Spelled(_) | Kept::Elements(_)) => {
                    if let Some(item) = items.pop() {
                        match serde_json::to_value(Written(&item, Some(&kept))) {
                            Ok(value) => elements.push((index, value)),
                            Err(_) => items.push(item),
                        }
                    }
                }
            }
            index += 1;
        }
        Ok(if elements.is_empty() {
            Kept::Typed
        } else {
            Kept::Elements(elements)
        })
    }

    keep_other_kinds!(bool, numbers, strings, null, map);
}

impl<T: Lenient> Lenient for Vec<T> {
    fn read_into<'de, D: Deserializer<'de>>(
        deserializer: D,
        slot: &mut Option<Self>,
    ) -> Result<Kept, D::Error> {
        *slot = None;
        deserializer.deserialize_any(SeqVisitor(slot))
    }

    /// The typed elements with the untyped ones back at their positions.
    fn write_kept<S: Serializer>(
        &self,
        kept: Option<&Kept>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let Some(Kept::Elements(elements)) = kept else {
            return self.serialize(serializer);
        };
        let mut seq = serializer.serialize_seq(Some(self.len() + elements.len()))?;
        let mut typed = self.iter();
        let mut untyped = elements.iter().peekable();
        let mut at = 0;
        loop {
            if let Some((_, value)) = untyped.next_if(|(index, _)| *index <= at) {
                seq.serialize_element(value)?;
            } else if let Some(item) = typed.next() {
                seq.serialize_element(item)?;
            } else if let Some((_, value)) = untyped.next() {
                seq.serialize_element(value)?;
            } else {
                break;
            }
            at += 1;
        }
        seq.end()
    }
}
