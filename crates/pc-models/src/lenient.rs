//! Lenient reading: a known field whose JSON value has an unexpected type or form is
//! kept as received instead of failing the whole document.
//!
//! Every field type of a resource implements [`Lenient`]. Reading one JSON value gives
//! the typed view (when there is one) in a slot, plus, only when needed, a [`Kept`]
//! saying what else must be remembered so that serializing gives back the value as
//! received. The resource stores a `Kept` in its [`Extra`](crate::Extra), which
//! allocates only then; the common case (a typed view that writes back as received)
//! returns nothing and allocates nothing.

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// What a resource kept of a known field beside its typed view, so that it writes
/// the value back exactly as received. A field whose typed view writes it back as
/// received keeps nothing.
///
/// ```
/// use pc_models::{DeviceBatch, Kept};
/// let batch: DeviceBatch =
///     pc_models::from_slice(br#"{"id":"Lab","devicesCount":"12","status":"Finished"}"#)?;
/// assert_eq!(batch.devices_count, None);
/// assert_eq!(batch.extra.kept("devicesCount"), Some(&Kept::Untyped("12".into())));
/// assert_eq!(batch.status, Some(pc_models::UploadStatus::Finished));
/// assert_eq!(batch.extra.kept("status"), Some(&Kept::Spelled("Finished".into())));
/// assert_eq!(batch.extra.kept("id"), None);
/// # Ok::<(), pc_models::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Kept {
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
    /// none, and sets `kept` to what must be kept to write the value back as received
    /// (left alone when nothing must). Fails only when the input is not JSON.
    fn read_into<'de, D: Deserializer<'de>>(
        deserializer: D,
        slot: &mut Option<Self>,
        kept: &mut Option<Kept>,
    ) -> Result<(), D::Error>;

    /// Reads one element of an array and pushes its typed view, if any, onto `items`;
    /// `kept` as for [`read_into`](Self::read_into). Resources override it to fill the
    /// element in place.
    fn push_into<'de, D: Deserializer<'de>>(
        deserializer: D,
        items: &mut Vec<Self>,
        kept: &mut Option<Kept>,
    ) -> Result<(), D::Error> {
        let mut slot = None;
        Self::read_into(deserializer, &mut slot, kept)?;
        items.extend(slot);
        Ok(())
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

/// The seed that reads a map value into a slot.
pub(crate) struct Slot<'a, T>(
    pub(crate) &'a mut Option<T>,
    pub(crate) &'a mut Option<Kept>,
);

impl<'de, T: Lenient> DeserializeSeed<'de> for Slot<'_, T> {
    type Value = ();
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        T::read_into(deserializer, self.0, self.1)
    }
}

/// The seed that reads an array element onto the end of a vector.
struct Push<'a, T>(&'a mut Vec<T>, &'a mut Option<Kept>);

impl<'de, T: Lenient> DeserializeSeed<'de> for Push<'_, T> {
    type Value = ();
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        T::push_into(deserializer, self.0, self.1)
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

/// Implements the `visit_*` methods of a visitor `Self(_, kept)` whose value is `()`,
/// for every JSON kind the type does not accept: the value is kept untyped in `kept`
/// (`null` as [`Kept::Null`]).
macro_rules! keep_other_kinds {
    (bool) => {
        fn visit_bool<E: ::serde::de::Error>(self, value: bool) -> Result<(), E> {
            *self.1 = Some($crate::Kept::Untyped(::serde_json::Value::Bool(value)));
            Ok(())
        }
    };
    (numbers) => {
        fn visit_u64<E: ::serde::de::Error>(self, value: u64) -> Result<(), E> {
            *self.1 = Some($crate::Kept::Untyped(value.into()));
            Ok(())
        }
        fn visit_i64<E: ::serde::de::Error>(self, value: i64) -> Result<(), E> {
            *self.1 = Some($crate::Kept::Untyped(value.into()));
            Ok(())
        }
        fn visit_f64<E: ::serde::de::Error>(self, value: f64) -> Result<(), E> {
            *self.1 = Some($crate::Kept::Untyped(value.into()));
            Ok(())
        }
    };
    (strings) => {
        fn visit_str<E: ::serde::de::Error>(self, value: &str) -> Result<(), E> {
            *self.1 = Some($crate::Kept::Untyped(value.into()));
            Ok(())
        }
        fn visit_string<E: ::serde::de::Error>(self, value: String) -> Result<(), E> {
            *self.1 = Some($crate::Kept::Untyped(value.into()));
            Ok(())
        }
    };
    (null) => {
        fn visit_unit<E: ::serde::de::Error>(self) -> Result<(), E> {
            *self.1 = Some($crate::Kept::Null);
            Ok(())
        }
        fn visit_none<E: ::serde::de::Error>(self) -> Result<(), E> {
            *self.1 = Some($crate::Kept::Null);
            Ok(())
        }
    };
    (seq) => {
        fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            *self.1 = Some($crate::lenient::seq_value(seq)?);
            Ok(())
        }
    };
    (map) => {
        fn visit_map<A: ::serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
            *self.1 = Some($crate::lenient::map_value(map)?);
            Ok(())
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

/// Reads a scalar into its slot (left `None` without a typed view), keeping the rest.
struct ScalarVisitor<'a, T>(&'a mut Option<T>, &'a mut Option<Kept>);

impl<T> ScalarVisitor<'_, T> {
    #[inline]
    fn number(self, typed: Option<T>, value: impl Into<Value>) {
        match typed {
            Some(typed) => *self.0 = Some(typed),
            None => *self.1 = Some(Kept::Untyped(value.into())),
        }
    }

    #[inline]
    fn text(self, parsed: Parsed<T>, text: impl FnOnce() -> String) {
        match parsed {
            Parsed::Typed(typed) => *self.0 = Some(typed),
            Parsed::Spelled(typed) => {
                *self.0 = Some(typed);
                *self.1 = Some(Kept::Spelled(text()));
            }
            Parsed::Untyped => *self.1 = Some(Kept::Untyped(Value::String(text()))),
        }
    }
}

impl<'de, T: Scalar> Visitor<'de> for ScalarVisitor<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    #[inline]
    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        self.text(T::from_text(text), || text.to_owned());
        Ok(())
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<(), E> {
        let (parsed, text) = T::from_string(text);
        self.text(parsed, || text);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<(), E> {
        self.number(T::from_u64(value), value);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<(), E> {
        self.number(T::from_i64(value), value);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<(), E> {
        self.number(T::from_f64(value), value);
        Ok(())
    }

    keep_other_kinds!(bool, null, seq, map);
}

/// Implements [`Lenient`] for [`Scalar`] types.
macro_rules! lenient_scalar {
    ($($ty:ty),* $(,)?) => {
        $(
            impl $crate::Lenient for $ty {
                #[inline]
                fn read_into<'de, D: ::serde::Deserializer<'de>>(
                    deserializer: D,
                    slot: &mut Option<Self>,
                    kept: &mut Option<$crate::Kept>,
                ) -> Result<(), D::Error> {
                    $crate::lenient::read_scalar(deserializer, slot, kept)
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
#[inline]
pub(crate) fn read_scalar<'de, D: Deserializer<'de>, T: Scalar>(
    deserializer: D,
    slot: &mut Option<T>,
    kept: &mut Option<Kept>,
) -> Result<(), D::Error> {
    *slot = None;
    deserializer.deserialize_any(ScalarVisitor(slot, kept))
}

impl Scalar for String {
    const EXPECTING: &'static str = "a string";
    #[inline]
    fn from_text(text: &str) -> Parsed<Self> {
        Parsed::Typed(text.to_owned())
    }
    fn from_string(text: String) -> (Parsed<Self>, String) {
        (Parsed::Typed(text), String::new())
    }
}

/// The static copy of `text` when it is an `objectType` the service sends, else an
/// owned copy.
pub(crate) fn interned(text: &str) -> Cow<'static, str> {
    Cow::Borrowed(match text {
        "BatchUploadDetails" => "BatchUploadDetails",
        "DeviceUploadDetails" => "DeviceUploadDetails",
        "Device" => "Device",
        "DeviceBatch" => "DeviceBatch",
        "DeviceBatchCreationRequest" => "DeviceBatchCreationRequest",
        "DevicePolicyUpdateRequest" => "DevicePolicyUpdateRequest",
        "Collection" => "Collection",
        "ConfigurationPolicy" => "ConfigurationPolicy",
        _ => return Cow::Owned(text.to_owned()),
    })
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
        _kept: &mut Option<Kept>,
    ) -> Result<(), D::Error> {
        *slot = Some(Value::deserialize(deserializer)?);
        Ok(())
    }
}

/// Reads an array into its slot, keeping the elements without a typed view.
struct SeqVisitor<'a, T>(&'a mut Option<Vec<T>>, &'a mut Option<Kept>);

impl<'de, T: Lenient> Visitor<'de> for SeqVisitor<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let items = self.0.insert(Vec::new());
        let mut elements = Vec::new();
        let mut index = 0;
        loop {
            let mut kept = None;
            if seq.next_element_seed(Push(items, &mut kept))?.is_none() {
                break;
            }
            match kept {
                None => {}
                Some(Kept::Null) => elements.push((index, Value::Null)),
                Some(Kept::Untyped(value)) => elements.push((index, value)),
                // An element whose typed view needs something kept (only a nested array
                // or a differently spelled value would) is kept whole, as received.
                Some(kept @ (Kept::Spelled(_) | Kept::Elements(_))) => {
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
        if !elements.is_empty() {
            *self.1 = Some(Kept::Elements(elements));
        }
        Ok(())
    }

    keep_other_kinds!(bool, numbers, strings, null, map);
}

impl<T: Lenient> Lenient for Vec<T> {
    fn read_into<'de, D: Deserializer<'de>>(
        deserializer: D,
        slot: &mut Option<Self>,
        kept: &mut Option<Kept>,
    ) -> Result<(), D::Error> {
        *slot = None;
        deserializer.deserialize_any(SeqVisitor(slot, kept))
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
