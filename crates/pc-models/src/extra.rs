//! The store of what a resource received but does not model: unknown fields, and
//! which known fields arrived as an explicit `null`.

use serde_json::Value;
use std::fmt;

/// What a resource received beyond its known fields, kept so that parse → serialize
/// gives back the same JSON value.
///
/// Unknown fields keep their value and their order; a known field that arrived as
/// `null` is remembered, so that it is written back as `null` rather than left out.
/// Nothing is allocated until something unknown or `null` appears.
///
/// ```
/// let device: pc_models::Device =
///     pc_models::from_slice(br#"{"id":"d1","colour":"blue","modelName":null}"#)?;
/// assert_eq!(device.extra.get("colour"), Some(&serde_json::json!("blue")));
/// assert!(device.extra.is_null("modelName"));
/// # Ok::<(), pc_models::ParseError>(())
/// ```
#[derive(Clone, Default)]
pub struct Extra {
    fields: Vec<(String, Value)>,
    nulls: Vec<&'static str>,
}

impl Extra {
    /// The value of an unknown field, if one with this exact name was received.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value)
    }

    /// Adds an unknown field, or replaces the value of one with the same name (as a
    /// JSON object with a repeated key keeps the last); it is written after the known ones.
    pub fn insert(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        match self.fields.iter_mut().find(|(field, _)| *field == name) {
            Some((_, old)) => *old = value,
            None => self.fields.push((name, value)),
        }
    }

    /// Removes an unknown field, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let index = self.fields.iter().position(|(field, _)| field == name)?;
        Some(self.fields.remove(index).1)
    }

    /// The unknown fields, in the order they were received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// How many unknown fields there are.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when nothing unknown and no explicit `null` was received.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.nulls.is_empty()
    }

    /// True when the known field `name` (its JSON name) arrived as an explicit `null`.
    pub fn is_null(&self, name: &str) -> bool {
        self.nulls.contains(&name)
    }

    /// Records whether the known field `name` is an explicit `null`; a resource's
    /// serializer writes `null` for an absent field only when this was set.
    pub fn set_null(&mut self, name: &'static str, is_null: bool) {
        let known = self.nulls.iter().position(|field| *field == name);
        match (is_null, known) {
            (true, None) => self.nulls.push(name),
            (false, Some(index)) => {
                self.nulls.swap_remove(index);
            }
            _ => {}
        }
    }
}

/// Equal when they hold the same fields and nulls, whatever their order (as JSON
/// objects compare).
impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        self.fields.len() == other.fields.len()
            && self.nulls.len() == other.nulls.len()
            && self
                .fields
                .iter()
                .all(|(name, value)| other.get(name) == Some(value))
            && self.nulls.iter().all(|name| other.is_null(name))
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.iter() {
            map.entry(&name, value);
        }
        for name in &self.nulls {
            map.entry(name, &"null (known field)");
        }
        map.finish()
    }
}

/// Declares a JSON resource: a struct of optional known fields plus an [`Extra`],
/// with a serializer that writes known fields in declaration order, then the unknown
/// ones, and a deserializer that matches known keys without allocating and keeps
/// everything else. A resource may take one type parameter (`Collection<T>`).
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
            /// Unknown fields and explicit nulls, kept as received.
            pub extra: $crate::Extra,
        }

        impl $(<$param>)? Default for $name $(<$param>)? {
            fn default() -> Self {
                Self { $($field: None,)* extra: $crate::Extra::default() }
            }
        }

        impl $(<$param>)? $name $(<$param>)? {
            /// The JSON names of the fields this type knows, in the order they are written.
            pub const FIELDS: &'static [&'static str] = &[$($json),*];
        }

        impl $(<$param: ::serde::Serialize>)? ::serde::Serialize for $name $(<$param>)? {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                $(
                    match &self.$field {
                        Some(value) => map.serialize_entry($json, value)?,
                        None if self.extra.is_null($json) => map.serialize_entry($json, &())?,
                        None => {}
                    }
                )*
                for (name, value) in self.extra.iter() {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }

        impl<'de $(, $param: ::serde::Deserialize<'de>)?> ::serde::Deserialize<'de> for $name $(<$param>)? {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ResourceVisitor<Out>(::std::marker::PhantomData<fn() -> Out>);
                impl<'de $(, $param: ::serde::Deserialize<'de>)?> ::serde::de::Visitor<'de>
                    for ResourceVisitor<$name $(<$param>)?>
                {
                    type Value = $name $(<$param>)?;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        let mut out = Self::Value::default();
                        while let Some(key) = map.next_key::<$crate::text::Text<'de>>()? {
                            $(
                                if key.as_str() == $json {
                                    out.$field = map.next_value()?;
                                    out.extra.set_null($json, out.$field.is_none());
                                    continue;
                                }
                            )*
                            let value = map.next_value::<::serde_json::Value>()?;
                            out.extra.insert(key.into_owned(), value);
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(ResourceVisitor(::std::marker::PhantomData))
            }
        }
    };
}
pub(crate) use resource;
