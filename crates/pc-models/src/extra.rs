//! The store of what a resource received beyond its typed fields: unknown fields,
//! which known fields arrived as an explicit `null`, and known values kept as received
//! (without a typed view, or spelled otherwise than their typed view writes them).

use crate::Kept;
use serde_json::Value;
use std::fmt;

/// What a resource received beyond its typed fields, kept so that parse → serialize
/// gives back the same JSON value.
///
/// - Unknown fields keep their value and their order ([`get`](Self::get),
///   [`iter`](Self::iter)).
/// - A known field that arrived as `null` is remembered in a bit, so that it is written
///   back as `null` rather than left out ([`is_null`](Self::is_null)).
/// - A known field whose value had an unexpected JSON type or form has no typed view
///   (its field is `None`) and is kept as received ([`untyped`](Self::untyped)); so are
///   the elements of a known array that had none, at their positions; and the text of a
///   value whose typed view would write it otherwise, such as an upper-case GUID
///   ([`kept`](Self::kept)).
///
/// Nothing is allocated unless an unknown field or a kept value appears: explicit
/// nulls cost one bit each.
///
/// When a resource is serialized, a known field that is `Some` writes its typed value
/// (with its received spelling while that still names it); a field that is `None`
/// writes what was kept of it, else `null` when it arrived as `null`, else nothing.
/// [`forget`](Self::forget) drops what was kept of a field.
///
/// ```
/// let device: pc_models::Device = pc_models::from_slice(
///     br#"{"id":"d1","colour":"blue","modelName":null,"serialNumber":12345}"#,
/// )?;
/// assert_eq!(device.extra.get("colour"), Some(&serde_json::json!("blue")));
/// assert!(device.extra.is_null("modelName"));
/// assert_eq!(device.serial_number, None);
/// assert_eq!(device.extra.untyped("serialNumber"), Some(&serde_json::json!(12345)));
/// # Ok::<(), pc_models::ParseError>(())
/// ```
#[derive(Clone)]
pub struct Extra {
    /// The JSON names of the owning resource's known fields; bit `i` of `nulls` and
    /// index `i` of a kept value refer to `known[i]`. A thin pointer keeps the
    /// resources small.
    known: &'static &'static [&'static str],
    nulls: u64,
    store: Option<Box<Store>>,
}

/// The known fields of an `Extra` that belongs to no resource.
static NO_FIELDS: &[&str] = &[];

/// An empty store that knows no fields (a resource's own `Default` gives one that
/// knows the resource's fields).
impl Default for Extra {
    fn default() -> Self {
        Self::for_fields(&NO_FIELDS)
    }
}

#[derive(Clone, Default)]
struct Store {
    unknown: Vec<(String, Value)>,
    kept: Vec<(usize, Kept)>,
}

/// What [`Extra::kept`] answers for a field that arrived as `null`.
static NULL: Kept = Kept::Null;

impl Extra {
    /// An empty store for a resource whose known fields are `known`.
    pub(crate) const fn for_fields(known: &'static &'static [&'static str]) -> Self {
        Self {
            known,
            nulls: 0,
            store: None,
        }
    }

    fn store_mut(&mut self) -> &mut Store {
        self.store.get_or_insert_with(Box::default)
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.known.iter().position(|known| *known == name)
    }

    fn unknown(&self) -> &[(String, Value)] {
        self.store.as_deref().map_or(&[], |store| &store.unknown)
    }

    /// The value of an unknown field, if one with this exact name was received.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.unknown()
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value)
    }

    /// Adds an unknown field, or replaces the value of one with the same name (as a
    /// JSON object with a repeated key keeps the last); it is written after the known
    /// ones. Give it a name the resource does not know: a known name would be written
    /// twice.
    pub fn insert(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        let unknown = &mut self.store_mut().unknown;
        match unknown.iter_mut().find(|(field, _)| *field == name) {
            Some((_, old)) => *old = value,
            None => unknown.push((name, value)),
        }
    }

    /// Removes an unknown field, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let unknown = &mut self.store.as_deref_mut()?.unknown;
        let index = unknown.iter().position(|(field, _)| field == name)?;
        Some(unknown.remove(index).1)
    }

    /// The unknown fields, in the order they were received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.unknown()
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// How many unknown fields there are.
    pub fn len(&self) -> usize {
        self.unknown().len()
    }

    /// True when nothing unknown, no explicit `null` and no kept value was received.
    pub fn is_empty(&self) -> bool {
        self.nulls == 0
            && self
                .store
                .as_deref()
                .is_none_or(|store| store.unknown.is_empty() && store.kept.is_empty())
    }

    /// True when the known field `name` (its JSON name) arrived as an explicit `null`.
    pub fn is_null(&self, name: &str) -> bool {
        self.index(name).is_some_and(|index| self.is_null_at(index))
    }

    /// Records whether the known field `name` (its JSON name) is an explicit `null`; a
    /// resource's serializer writes `null` for a field that is `None` only when this is
    /// set. A name the resource does not know is ignored: add an unknown field that is
    /// `null` with [`insert`](Self::insert).
    pub fn set_null(&mut self, name: &str, is_null: bool) {
        if let Some(index) = self.index(name) {
            let bit = 1u64 << index;
            if is_null {
                self.nulls |= bit;
            } else {
                self.nulls &= !bit;
            }
        }
    }

    /// What was kept of the known field `name` (its JSON name) beside its typed view:
    /// [`Kept::Null`] when it arrived as `null`, the value or elements received without
    /// a typed view, or the text of a differently spelled value. `None` when nothing
    /// was kept (the field was absent, or its typed view writes it back as received).
    pub fn kept(&self, name: &str) -> Option<&Kept> {
        let index = self.index(name)?;
        match self.kept_at(index) {
            Some(kept) => Some(kept),
            None if self.is_null_at(index) => Some(&NULL),
            None => None,
        }
    }

    /// The value of the known field `name` (its JSON name) as received, when it had no
    /// typed view: an unexpected JSON type (a count sent as a string) or form (a
    /// tracking id that is not a GUID).
    pub fn untyped(&self, name: &str) -> Option<&Value> {
        match self.kept(name)? {
            Kept::Untyped(value) => Some(value),
            _ => None,
        }
    }

    /// Forgets what was kept of the known field `name` (its JSON name), its `null`
    /// included, so that serializing writes only the field's typed value, if any.
    pub fn forget(&mut self, name: &str) {
        if let Some(index) = self.index(name) {
            self.nulls &= !(1u64 << index);
            self.forget_at(index);
        }
    }

    /// True when the known field at `index` arrived as `null`.
    pub(crate) fn is_null_at(&self, index: usize) -> bool {
        self.nulls & (1u64 << index) != 0
    }

    /// What was kept of the known field at `index`, its `null` aside.
    pub(crate) fn kept_at(&self, index: usize) -> Option<&Kept> {
        let store = self.store.as_deref()?;
        store
            .kept
            .iter()
            .find(|(at, _)| *at == index)
            .map(|(_, kept)| kept)
    }

    fn forget_at(&mut self, index: usize) {
        if let Some(store) = self.store.as_deref_mut() {
            store.kept.retain(|(at, _)| *at != index);
        }
    }

    /// Records how the known field at `index` was read (`None`: its typed view writes
    /// it back as received); a later value of the same field replaces everything an
    /// earlier one left (the last of a repeated key wins).
    #[inline]
    pub(crate) fn record(&mut self, index: usize, kept: Option<Kept>) {
        // The common cases, a typed value or a `null` with nothing kept before, touch
        // one bit and allocate nothing.
        if self.store.is_none() {
            match &kept {
                None => return self.nulls &= !(1u64 << index),
                Some(Kept::Null) => return self.nulls |= 1u64 << index,
                Some(_) => {}
            }
        }
        self.record_slow(index, kept);
    }

    #[cold]
    fn record_slow(&mut self, index: usize, kept: Option<Kept>) {
        let bit = 1u64 << index;
        match kept {
            None => {
                self.nulls &= !bit;
                self.forget_at(index);
            }
            Some(Kept::Null) => {
                self.nulls |= bit;
                self.forget_at(index);
            }
            Some(kept) => {
                self.nulls &= !bit;
                let store = self.store_mut();
                match store.kept.iter_mut().find(|(at, _)| *at == index) {
                    Some((_, old)) => *old = kept,
                    None => store.kept.push((index, kept)),
                }
            }
        }
    }
}

/// Equal when they hold the same unknown fields, nulls and kept values, whatever their
/// order (as JSON objects compare).
impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        let kept = |extra: &Self| extra.store.as_deref().map_or(0, |store| store.kept.len());
        self.nulls == other.nulls
            && self.len() == other.len()
            && kept(self) == kept(other)
            && self
                .iter()
                .all(|(name, value)| other.get(name) == Some(value))
            && self.store.as_deref().is_none_or(|store| {
                store
                    .kept
                    .iter()
                    .all(|(index, kept)| other.kept_at(*index) == Some(kept))
            })
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.iter() {
            map.entry(&name, value);
        }
        for (index, name) in self.known.iter().enumerate() {
            if let Some(kept) = self.kept_at(index) {
                map.entry(name, kept);
            } else if self.is_null_at(index) {
                map.entry(name, &NULL);
            }
        }
        map.finish()
    }
}

/// Declares a JSON resource: a struct of optional known fields plus an [`Extra`], with
///
/// - a `Deserialize` (and a [`Lenient`](crate::Lenient) impl) whose visitor matches known
///   keys without allocating, reads each known value leniently into its field in place,
///   keeps a value without a typed view in the `Extra`, and keeps unknown fields;
/// - a `Serialize` that writes known fields in declaration order, each as received,
///   then the unknown ones.
///
/// A resource may take one type parameter (`Collection<T>`), which must be `Lenient`.
macro_rules! resource {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $(<$param:ident>)? {
            $(
                $(#[$field_meta:meta])*
                $json:literal => $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name $(<$param>)? {
            $(
                $(#[$field_meta])*
                pub $field: Option<$ty>,
            )*
            /// Unknown fields, explicit nulls, and known values kept as received (those
            /// without a typed view, and the spelling of those whose typed view writes
            /// them otherwise).
            pub extra: $crate::Extra,
        }

        impl $(<$param>)? $name $(<$param>)? {
            /// The JSON names of the fields this type knows, in the order they are written.
            pub const FIELDS: &'static [&'static str] = &[$($json),*];
        }

        const _: () = {
            use $crate::{Kept, Lenient};
            use $crate::lenient::{Slot, Written};
            use ::serde::de::{Deserializer, MapAccess, Visitor};
            use ::serde::ser::{SerializeMap, Serializer};
            use ::std::fmt;

            /// The index of each known field: its bit among the nulls, its key among
            /// the kept values.
            #[allow(non_camel_case_types, dead_code)]
            #[derive(Clone, Copy)]
            enum Field { $($field,)* }

            /// The known fields, for the `Extra` of each value.
            static KNOWN: &[&str] = &[$($json),*];
            assert!(KNOWN.len() <= 64, "a resource has at most 64 known fields");

            impl $(<$param>)? Default for $name $(<$param>)? {
                fn default() -> Self {
                    Self { $($field: None,)* extra: $crate::Extra::for_fields(&KNOWN) }
                }
            }

            impl $(<$param: Lenient>)? $name $(<$param>)? {
                /// Reads the members of a JSON object into `self`, in place.
                fn fill<'de, A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
                    while let Some(key) = map.next_key::<$crate::text::Text<'de>>()? {
                        match key.as_str() {
                            $(
                                $json => {
                                    let mut kept = None;
                                    map.next_value_seed(Slot(&mut self.$field, &mut kept))?;
                                    self.extra.record(Field::$field as usize, kept);
                                }
                            )*
                            _ => {
                                let value = map.next_value::<::serde_json::Value>()?;
                                self.extra.insert(key.into_owned(), value);
                            }
                        }
                    }
                    Ok(())
                }
            }

            /// Fills a resource from a JSON object; keeps any other kind as received.
            struct Fill<'a, R>(&'a mut R, &'a mut Option<Kept>);

            impl<'de $(, $param: Lenient)?> Visitor<'de> for Fill<'_, $name $(<$param>)?> {
                type Value = ();
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(concat!("a ", stringify!($name), " object"))
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
                    self.0.fill(map)
                }
                $crate::lenient::keep_other_kinds!(bool, numbers, strings, null, seq);
            }

            /// Fills a resource from a JSON object, the only kind accepted at the top.
            struct Top<'a, R>(&'a mut R);

            impl<'de $(, $param: Lenient)?> Visitor<'de> for Top<'_, $name $(<$param>)?> {
                type Value = ();
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(concat!("a ", stringify!($name), " object"))
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
                    self.0.fill(map)
                }
            }

            impl<'de $(, $param: Lenient)?> ::serde::Deserialize<'de> for $name $(<$param>)? {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let mut out = Self::default();
                    deserializer.deserialize_map(Top(&mut out))?;
                    Ok(out)
                }
            }

            impl $(<$param: Lenient>)? Lenient for $name $(<$param>)? {
                #[inline]
                fn read_into<'de, D: Deserializer<'de>>(
                    deserializer: D,
                    slot: &mut Option<Self>,
                    kept: &mut Option<Kept>,
                ) -> Result<(), D::Error> {
                    let target = slot.insert(Self::default());
                    deserializer.deserialize_any(Fill(target, kept))?;
                    if kept.is_some() {
                        *slot = None;
                    }
                    Ok(())
                }

                fn push_into<'de, D: Deserializer<'de>>(
                    deserializer: D,
                    items: &mut Vec<Self>,
                    kept: &mut Option<Kept>,
                ) -> Result<(), D::Error> {
                    let at = items.len();
                    // Written in place: a push of a default would copy it in.
                    items.resize_with(at + 1, Self::default);
                    let read = deserializer.deserialize_any(Fill(&mut items[at], kept));
                    if read.is_err() || kept.is_some() {
                        items.truncate(at);
                    }
                    read
                }
            }

            impl $(<$param: Lenient>)? ::serde::Serialize for $name $(<$param>)? {
                fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    let mut map = serializer.serialize_map(None)?;
                    $(
                        let index = Field::$field as usize;
                        match &self.$field {
                            Some(value) => map.serialize_entry(
                                $json,
                                &Written(value, self.extra.kept_at(index)),
                            )?,
                            None => match self.extra.kept_at(index) {
                                Some(Kept::Untyped(value)) => map.serialize_entry($json, value)?,
                                _ if self.extra.is_null_at(index) => map.serialize_entry($json, &())?,
                                _ => {}
                            },
                        }
                    )*
                    for (name, value) in self.extra.iter() {
                        map.serialize_entry(name, value)?;
                    }
                    map.end()
                }
            }
        };
    };
}
pub(crate) use resource;
