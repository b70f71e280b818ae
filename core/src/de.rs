//! Hand-written deserialization for the internally tagged formats (item models, priors,
//! exposure control) and the unit-only enums of the settings.
//!
//! serde's derive for `#[serde(tag = "…")]` buffers each object in its private
//! `Content` type and compiles a content deserializer for every variant; in the WASM
//! package that was the largest block of code (the item models alone 21 KB). Here the
//! object is buffered once in a [`Value`] and each format converts it by hand, with
//! the errors of the derive in the same order and with the same text:
//!
//! 1. while the object is read: syntax errors, ``duplicate field `type` `` and
//!    ``unknown variant `5pl`, expected one of …``;
//! 2. ``missing field `type` ``;
//! 3. the other fields in document order: ``unknown field `x`, expected …``,
//!    ``duplicate field `slope` ``, ``invalid type: string "x", expected f64``, …;
//! 4. ``missing field `slope` `` in declaration order.
//!
//! Unit-only enums (`"method": "eap"`) share one deserializer per format, [`unit_variant`].
//!
//! Structs are read only from JSON objects, by one shared loop over a table of their
//! field names ([`object_deserialize`], [`Object`]) instead of the derive's per-struct
//! copy of the key matching, duplicate checks and error paths (5.3 KB less gzipped in
//! the WASM package). Their serialization stays derived; the derived `deserialize`
//! (`#[serde(remote = "Self")]`) is kept as the tests' reference: every struct reads
//! valid documents, and every mutation of their objects (fields missing, repeated,
//! reordered, of every wrong kind, unknown), with the derive's values and errors.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// A JSON value buffered in document order (duplicate keys kept), as serde's `Content`.
pub(crate) enum Value {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Value>),
    Map(Vec<(String, Value)>),
}

impl Value {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Unsigned(n) => Unexpected::Unsigned(*n),
            Value::Signed(n) => Unexpected::Signed(*n),
            Value::Float(x) => Unexpected::Float(*x),
            Value::Str(s) => Unexpected::Str(s),
            Value::Seq(_) => Unexpected::Seq,
            Value::Map(_) => Unexpected::Map,
        }
    }

    /// As `f64::deserialize`: any number.
    pub(crate) fn f64<E: de::Error>(&self) -> Result<f64, E> {
        match *self {
            Value::Unsigned(n) => Ok(n as f64),
            Value::Signed(n) => Ok(n as f64),
            Value::Float(x) => Ok(x),
            _ => Err(E::invalid_type(self.unexpected(), &"f64")),
        }
    }

    /// As `usize::deserialize`: a non-negative integer that fits.
    pub(crate) fn usize<E: de::Error>(&self) -> Result<usize, E> {
        match *self {
            Value::Unsigned(n) => {
                usize::try_from(n).map_err(|_| E::invalid_value(Unexpected::Unsigned(n), &"usize"))
            }
            Value::Signed(n) => {
                usize::try_from(n).map_err(|_| E::invalid_value(Unexpected::Signed(n), &"usize"))
            }
            _ => Err(E::invalid_type(self.unexpected(), &"usize")),
        }
    }

    /// As `Vec<f64>::deserialize`.
    pub(crate) fn f64s<E: de::Error>(&self) -> Result<Vec<f64>, E> {
        match self {
            Value::Seq(values) => values.iter().map(Value::f64).collect(),
            _ => Err(E::invalid_type(self.unexpected(), &"a sequence")),
        }
    }

    /// As `BTreeMap<String, f64>::deserialize` (a repeated key keeps its last value).
    pub(crate) fn f64_map<E: de::Error>(&self) -> Result<BTreeMap<String, f64>, E> {
        match self {
            Value::Map(entries) => {
                // Inserted one by one as serde's map visitor does (collecting would sort).
                let mut map = BTreeMap::new();
                for (key, value) in entries {
                    map.insert(key.clone(), value.f64()?);
                }
                Ok(map)
            }
            _ => Err(E::invalid_type(self.unexpected(), &"a map")),
        }
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Unsigned(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Signed(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        while let Some(v) = seq.next_element()? {
            values.push(v);
        }
        Ok(Value::Seq(values))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Value::Map(entries))
    }
}

/// Reads a variant name of `variants` (`unknown variant` otherwise) as its index.
struct VariantName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for VariantName {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for VariantName {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("variant identifier")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|name| *name == v)
            .ok_or_else(|| E::unknown_variant(v, self.0))
    }
}

/// An internally tagged object: the variant index (from the `tag` field) and the other
/// fields in document order.
pub(crate) struct Tagged {
    pub(crate) variant: usize,
    pub(crate) fields: Vec<(String, Value)>,
}

/// Reads an internally tagged object whose `tag` field names one of `variants`.
/// `expecting` is the derive's wording, e.g. `"internally tagged enum ItemModel"`.
pub(crate) fn tagged<'de, D: Deserializer<'de>>(
    d: D,
    tag: &'static str,
    variants: &'static [&'static str],
    expecting: &'static str,
) -> Result<Tagged, D::Error> {
    d.deserialize_map(TaggedVisitor {
        tag,
        variants,
        expecting,
    })
}

struct TaggedVisitor {
    tag: &'static str,
    variants: &'static [&'static str],
    expecting: &'static str,
}

impl<'de> Visitor<'de> for TaggedVisitor {
    type Value = Tagged;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tagged, A::Error> {
        let mut variant = None;
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == self.tag {
                if variant.is_some() {
                    return Err(de::Error::duplicate_field(self.tag));
                }
                variant = Some(map.next_value_seed(VariantName(self.variants))?);
            } else {
                fields.push((key, map.next_value()?));
            }
        }
        match variant {
            Some(variant) => Ok(Tagged { variant, fields }),
            None => Err(de::Error::missing_field(self.tag)),
        }
    }
}

impl Tagged {
    /// Visits the fields of a struct variant with fields `names` (and
    /// `deny_unknown_fields`) in document order, as the derive does: an unknown or
    /// repeated field is an error, `visit(i, value)` converts field `names[i]`.
    pub(crate) fn visit_fields<E: de::Error>(
        &self,
        names: &'static [&'static str],
        visit: &mut dyn FnMut(usize, &Value) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut seen = 0u32;
        for (key, value) in &self.fields {
            let Some(i) = names.iter().position(|name| name == key) else {
                return Err(E::unknown_field(key, names));
            };
            if seen & (1 << i) != 0 {
                return Err(E::duplicate_field(names[i]));
            }
            seen |= 1 << i;
            visit(i, value)?;
        }
        Ok(())
    }
}

/// A required field's value, ``missing field `name` `` when absent.
pub(crate) fn required<T, E: de::Error>(field: Option<T>, name: &'static str) -> Result<T, E> {
    field.ok_or_else(|| E::missing_field(name))
}

/// The index in `variants` of a unit-only enum's variant: `"eap"` (or `{"eap": null}`,
/// as serde reads unit variants), with the derive's errors.
pub(crate) fn unit_variant<'de, D: Deserializer<'de>>(
    d: D,
    name: &'static str,
    variants: &'static [&'static str],
) -> Result<usize, D::Error> {
    d.deserialize_enum(name, variants, UnitEnum(variants))
}

struct UnitEnum(&'static [&'static str]);

impl<'de> Visitor<'de> for UnitEnum {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a unit variant")
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<usize, A::Error> {
        let (index, variant) = data.variant_seed(VariantName(self.0))?;
        de::VariantAccess::unit_variant(variant)?;
        Ok(index)
    }
}

/// `Deserialize` for a unit-only `Copy` enum through [`unit_variant`]: each variant
/// with its name in the format, in declaration order (as the derive lists them in
/// ``unknown variant `x`, expected one of …``).
macro_rules! unit_enum_deserialize {
    ($ty:ident { $($variant:ident = $name:literal),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                const VARIANTS: &[&str] = &[$($name),+];
                const VALUES: &[$ty] = &[$($ty::$variant),+];
                crate::de::unit_variant(d, stringify!($ty), VARIANTS).map(|i| VALUES[i])
            }
        }
    };
}
pub(crate) use unit_enum_deserialize;

/// A deserializer that reads structs only as maps (JSON objects): serde's derive also
/// accepts a struct as an array of its fields. Everything else is forwarded unchanged.
///
/// The formats were read by the derive through this wrapper until [`object_deserialize`]
/// replaced it; the tests keep it as the reference ([`tests::objects`]).
#[cfg(test)]
pub(crate) struct MapOnly<D>(pub(crate) D);

#[cfg(test)]
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* visitor)
        }
    )*};
}

#[cfg(test)]
impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;
    forward! {
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
        deserialize_i32(), deserialize_i64(), deserialize_u8(), deserialize_u16(),
        deserialize_u32(), deserialize_u64(), deserialize_f32(), deserialize_f64(),
        deserialize_char(), deserialize_str(), deserialize_string(), deserialize_bytes(),
        deserialize_byte_buf(), deserialize_option(), deserialize_unit(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str), deserialize_seq(),
        deserialize_tuple(len: usize), deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(), deserialize_ignored_any(),
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// `Serialize` for a struct whose derives carry `#[serde(remote = "Self")]` (which makes
/// them inherent functions): serialization as derived. Its `Deserialize` is
/// [`object_deserialize`]; the derived `deserialize`, read through [`MapOnly`], is the
/// tests' reference.
macro_rules! map_only_serialize {
    ($($ty:ty),+ $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                <$ty>::serialize(self, serializer)
            }
        }
    )+};
}
pub(crate) use map_only_serialize;

/// Stands for the struct's `Default` in [`object_deserialize`] when no field takes it.
pub(crate) struct NoContainer;

/// A struct read from a JSON object through a table of its field names (see
/// [`object_deserialize`]): the key loop, duplicate check and skipping of unknown keys
/// are one shared function ([`read_fields`]) instead of serde's per-struct copy, with
/// the derive's calls and errors in the same order.
pub(crate) trait Object<'de>: Sized {
    /// The struct built.
    type Value;
    /// The derive's `expecting` text, e.g. `struct Tiers`.
    const EXPECTING: &'static str;
    /// Field names in declaration order (at most 64).
    const FIELDS: &'static [&'static str];
    /// `#[serde(deny_unknown_fields)]`.
    const DENY_UNKNOWN: bool;
    /// No field read yet.
    fn empty() -> Self;
    /// Reads the value of field `index` (not read before).
    fn read<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error>;
    /// The struct: ``missing field `x` `` for the first absent required field in
    /// declaration order, defaults for the others.
    fn finish<E: de::Error>(self) -> Result<Self::Value, E>;
}

/// Reads a struct from a JSON object (only from an object, as [`MapOnly`]).
pub(crate) fn object<'de, B: Object<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<B::Value, D::Error> {
    d.deserialize_map(ObjectVisitor::<B>(std::marker::PhantomData))
}

struct ObjectVisitor<B>(std::marker::PhantomData<B>);

impl<'de, B: Object<'de>> Visitor<'de> for ObjectVisitor<B> {
    type Value = B::Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(B::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<B::Value, A::Error> {
        let mut builder = B::empty();
        read_fields(&mut map, B::FIELDS, B::DENY_UNKNOWN, &mut |i, map| {
            builder.read(i, map)
        })?;
        builder.finish()
    }
}

/// Reads the value of the field with an index into the struct being built.
type ReadField<'a, A, E> = dyn FnMut(usize, &mut A) -> Result<(), E> + 'a;

/// The derive's key loop: each key is a field of `fields` (``unknown field`` when
/// `deny_unknown`, skipped otherwise), ``duplicate field`` before a second value,
/// `read` for the value.
fn read_fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    fields: &'static [&'static str],
    deny_unknown: bool,
    read: &mut ReadField<'_, A, A::Error>,
) -> Result<(), A::Error> {
    let mut seen = 0u64;
    while let Some(key) = map.next_key_seed(FieldKey {
        fields,
        deny_unknown,
    })? {
        match key {
            Some(i) => {
                if seen & (1 << i) != 0 {
                    return Err(de::Error::duplicate_field(fields[i]));
                }
                seen |= 1 << i;
                read(i, map)?;
            }
            None => {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
    }
    Ok(())
}

/// A key of an object read by [`Object`]: the index of the field, `None` for an
/// unknown key that is skipped.
struct FieldKey {
    fields: &'static [&'static str],
    deny_unknown: bool,
}

impl<'de> DeserializeSeed<'de> for FieldKey {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldKey {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("field identifier")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        match self.fields.iter().position(|f| *f == v) {
            Some(i) => Ok(Some(i)),
            None if self.deny_unknown => Err(E::unknown_field(v, self.fields)),
            None => Ok(None),
        }
    }
}

/// `Deserialize` through [`Object`] for a struct, listing every field in declaration
/// order with its type, its name in the format (when not the field's) and how a
/// missing field is filled: `required` (``missing field``), `default` (the type's
/// default, as `#[serde(default)]` on the field or an `Option`) or `container` (the
/// struct's `Default`, as `#[serde(default)]` on the struct).
macro_rules! object_deserialize {
    ($ty:ident, deny_unknown_fields = $deny:literal,
     { $($field:ident: $fty:ty $(as $name:literal)? = $kind:ident),+ $(,)? }) => {
        const _: () = {
            #[allow(non_camel_case_types)]
            struct Builder { $($field: Option<$fty>),+ }
            impl<'de> crate::de::Object<'de> for Builder {
                type Value = $ty;
                const EXPECTING: &'static str = concat!("struct ", stringify!($ty));
                const FIELDS: &'static [&'static str] =
                    &[$(crate::de::object_deserialize!(@name $field $($name)?)),+];
                const DENY_UNKNOWN: bool = $deny;
                fn empty() -> Self {
                    Builder { $($field: None),+ }
                }
                fn read<A: serde::de::MapAccess<'de>>(
                    &mut self,
                    index: usize,
                    map: &mut A,
                ) -> std::result::Result<(), A::Error> {
                    let mut i = 0;
                    $(
                        if index == i {
                            self.$field = Some(map.next_value()?);
                            return Ok(());
                        }
                        i += 1;
                    )+
                    let _ = i;
                    Ok(())
                }
                fn finish<E: serde::de::Error>(self) -> std::result::Result<$ty, E> {
                    #[allow(unused_variables)]
                    let container = crate::de::object_deserialize!(@container $($kind)+ ; $ty);
                    Ok($ty {
                        $($field: crate::de::object_deserialize!(
                            @fill $kind, self.$field,
                            crate::de::object_deserialize!(@name $field $($name)?),
                            container.$field
                        )),+
                    })
                }
            }
            impl<'de> serde::Deserialize<'de> for $ty {
                fn deserialize<D: serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> std::result::Result<Self, D::Error> {
                    crate::de::object::<Builder, D>(deserializer)
                }
            }
        };
    };
    (@name $field:ident) => { stringify!($field) };
    (@name $field:ident $name:literal) => { $name };
    (@fill required, $slot:expr, $name:expr, $container:expr) => {
        crate::de::required($slot, $name)?
    };
    (@fill default, $slot:expr, $name:expr, $container:expr) => {
        $slot.unwrap_or_default()
    };
    (@fill container, $slot:expr, $name:expr, $container:expr) => {
        match $slot {
            Some(value) => value,
            None => $container,
        }
    };
    (@container $($kind:ident)+ ; $ty:ident) => {
        crate::de::object_deserialize!(@any_container [$($kind)+] $ty)
    };
    (@any_container [container $($rest:ident)*] $ty:ident) => { <$ty as Default>::default() };
    (@any_container [$first:ident $($rest:ident)*] $ty:ident) => {
        crate::de::object_deserialize!(@any_container [$($rest)*] $ty)
    };
    (@any_container [] $ty:ident) => { crate::de::NoContainer };
}
pub(crate) use object_deserialize;

#[cfg(test)]
pub(crate) mod tests {
    //! The hand-written deserializers against serde's derive on the same inputs:
    //! equal values, or the same error message (with line and column).

    use serde::{Deserialize, Serialize};

    mod derived {
        use serde::{Deserialize, Serialize};

        /// `ItemModel` as it was derived.
        #[derive(Serialize, Deserialize)]
        #[serde(tag = "type", deny_unknown_fields)]
        pub enum ItemModel {
            #[serde(rename = "rasch")]
            Rasch { intercept: f64 },
            #[serde(rename = "1pl")]
            OnePl { slope: f64, intercept: f64 },
            #[serde(rename = "2pl")]
            TwoPl { slope: f64, intercept: f64 },
            #[serde(rename = "3pl")]
            ThreePl {
                slope: f64,
                intercept: f64,
                guessing: f64,
            },
            #[serde(rename = "4pl")]
            FourPl {
                slope: f64,
                intercept: f64,
                guessing: f64,
                upper: f64,
            },
            #[serde(rename = "grm")]
            Graded { slope: f64, intercepts: Vec<f64> },
            #[serde(rename = "gpcm")]
            Gpcm { slope: f64, intercepts: Vec<f64> },
            #[serde(rename = "pcm")]
            Pcm { intercepts: Vec<f64> },
            #[serde(rename = "rsm")]
            RatingScale {
                intercept: f64,
                thresholds: Vec<f64>,
            },
        }

        /// `Prior` as it was derived.
        #[derive(Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
        pub enum Prior {
            Normal { mean: f64, sd: f64 },
            Discrete { nodes: Vec<f64>, weights: Vec<f64> },
        }

        /// `Exposure` as it was derived.
        #[derive(Serialize, Deserialize)]
        #[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
        pub enum Exposure {
            None,
            Randomesque {
                top: usize,
            },
            SympsonHetter {
                parameters: std::collections::BTreeMap<String, f64>,
            },
        }

        macro_rules! derived_unit {
        ($($ty:ident $rename:literal [$($v:ident),+])+) => {$(
            #[derive(Serialize, Deserialize)]
            #[serde(rename_all = $rename)]
            pub enum $ty { $($v),+ }
        )+};
    }
        derived_unit! {
            Method "lowercase" [Eap, Map, Ml, Wle]
            StandardError "lowercase" [Expected, Observed]
            NormGrouping "snake_case" [All, Language, Region]
            ScaleKind "snake_case" [Interest, Disposition, Aptitude]
            Routing "snake_case" [Blocks, LargestSe, RoundRobin]
            Criterion "snake_case" [Mfi, Kl, Pwi]
            ClassificationMethod "snake_case" [Sprt, Glr]
        }

        /// `Grid` as it was derived.
        #[derive(Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct Grid {
            points: usize,
            min: f64,
            max: f64,
        }

        impl Default for Grid {
            fn default() -> Self {
                let g = crate::quadrature::Grid::default();
                Grid {
                    points: g.points,
                    min: g.min,
                    max: g.max,
                }
            }
        }
    }
    use derived::ItemModel as DerivedItemModel;

    /// Parses `text` as `A` and as `B`: both values serialize alike, or both errors read
    /// alike.
    fn same<A, B>(text: &str)
    where
        A: for<'de> Deserialize<'de> + Serialize,
        B: for<'de> Deserialize<'de> + Serialize,
    {
        let show = |r: Result<String, serde_json::Error>| match r {
            Ok(json) => format!("ok {json}"),
            Err(e) => format!("error {e}"),
        };
        let a = show(serde_json::from_str::<A>(text).map(|v| serde_json::to_string(&v).unwrap()));
        let b = show(serde_json::from_str::<B>(text).map(|v| serde_json::to_string(&v).unwrap()));
        assert_eq!(a, b, "{text}");
    }

    pub(super) const BAD_VALUES: &[&str] = &[
        "null",
        "true",
        "-3",
        "7",
        "18446744073709551616",
        "-0",
        "1.5",
        "1e400",
        "\"x\"",
        "\"a\\u00e9\"",
        "[]",
        "[1, 2.5, -3]",
        "[1, \"x\"]",
        "[null]",
        "{}",
        "{\"a\": 1}",
    ];

    /// The one difference: the derive also read a tagged enum from an array whose first
    /// element is the tag (`["2pl", 1.5, -0.75]`), a form the formats never had.
    #[test]
    fn tagged_enums_are_objects() {
        let e = serde_json::from_str::<crate::model::ItemModel>(r#"["2pl", 1.5, -0.75]"#);
        assert_eq!(
            e.unwrap_err().to_string(),
            "invalid type: sequence, expected internally tagged enum ItemModel at line 1 column 0"
        );
        assert!(serde_json::from_str::<DerivedItemModel>(r#"["2pl", 1.5, -0.75]"#).is_ok());
    }

    #[test]
    fn item_models_read_as_the_derive_reads_them() {
        use crate::model::ItemModel;
        let mut cases: Vec<String> = vec![
            r#"{"type":"2pl","slope":1.5,"intercept":-0.75}"#.into(),
            r#"{"slope":1.5,"intercept":-0.75,"type":"2pl"}"#.into(),
            r#"{"slope":1.5,"type":"2pl","intercept":-0.75}"#.into(),
            r#"{"type":"rasch","intercept":1}"#.into(),
            r#"{"type":"1pl","slope":1,"intercept":0}"#.into(),
            r#"{"type":"3pl","slope":1,"intercept":0,"guessing":0.2}"#.into(),
            r#"{"type":"4pl","slope":1,"intercept":0,"guessing":0.2,"upper":0.9}"#.into(),
            r#"{"type":"4pl","upper":0.9,"guessing":0.2,"intercept":0,"slope":1}"#.into(),
            r#"{"type":"grm","slope":1,"intercepts":[1,0,-1]}"#.into(),
            r#"{"type":"gpcm","slope":1,"intercepts":[]}"#.into(),
            r#"{"type":"pcm","intercepts":[0.5]}"#.into(),
            r#"{"type":"rsm","intercept":0.5,"thresholds":[-1,1]}"#.into(),
            // Tag errors.
            r#"{}"#.into(),
            r#"{"slope":1}"#.into(),
            r#"{"type":"5pl","slope":1}"#.into(),
            r#"{"slope":"x","type":"5pl"}"#.into(),
            r#"{"type":"2pl","type":"2pl","slope":1,"intercept":0}"#.into(),
            r#"{"type":2,"slope":1,"intercept":0}"#.into(),
            r#"{"type":null}"#.into(),
            r#"{"type":"2PL","slope":1,"intercept":0}"#.into(),
            // Field errors and their order.
            r#"{"type":"2pl","slope":1}"#.into(),
            r#"{"type":"2pl","intercept":1}"#.into(),
            r#"{"type":"2pl"}"#.into(),
            r#"{"type":"4pl"}"#.into(),
            r#"{"type":"4pl","upper":1}"#.into(),
            r#"{"type":"rsm","thresholds":[1]}"#.into(),
            r#"{"type":"rsm","intercept":1}"#.into(),
            r#"{"type":"2pl","slope":1,"intercept":0,"guessing":0.2}"#.into(),
            r#"{"type":"2pl","foo":1,"slope":"x"}"#.into(),
            r#"{"foo":1,"slope":"x","type":"2pl"}"#.into(),
            r#"{"slope":"x","foo":1,"type":"2pl"}"#.into(),
            r#"{"type":"2pl","slope":1,"slope":2,"intercept":0}"#.into(),
            r#"{"type":"2pl","slope":1,"slope":"x","intercept":0}"#.into(),
            r#"{"type":"rasch","slope":1,"intercept":0}"#.into(),
            r#"{"type":"pcm","slope":1}"#.into(),
            r#"{"type":"grm","slope":1,"intercepts":[1,"x"],"extra":2}"#.into(),
            r#"{"type":"gpcm","intercepts":[1, 2], "slope":[1]}"#.into(),
            // Not an object; syntax errors inside.
            r#"5"#.into(),
            r#""2pl""#.into(),
            r#"null"#.into(),
            r#"{"type":"2pl","slope":1,"intercept":0"#.into(),
            r#"{"type":"2pl","slope":1,"intercept":0,}"#.into(),
            r#"{"type":"2pl","slope":1,"intercept":NaN}"#.into(),
            r#"{"type":"2pl" "slope":1}"#.into(),
        ];
        for value in BAD_VALUES {
            for field in ["slope", "intercept", "intercepts", "thresholds", "guessing"] {
                for model in ["2pl", "grm", "rsm", "4pl"] {
                    cases.push(format!(
                        r#"{{"type":"{model}","{field}":{value},"slope":1,"intercept":0}}"#
                    ));
                }
            }
        }
        for case in &cases {
            same::<ItemModel, DerivedItemModel>(case);
            // Inside a list and an object, where the positions of the derive's errors
            // are those of the enclosing value.
            same::<Vec<ItemModel>, Vec<DerivedItemModel>>(&format!("[{case}]"));
            same::<Vec<ItemModel>, Vec<DerivedItemModel>>(&format!("[\n  {case} , {case}]"));
            same::<
                std::collections::BTreeMap<String, ItemModel>,
                std::collections::BTreeMap<String, DerivedItemModel>,
            >(&format!("{{\"a\": {case}}}"));
        }
    }

    #[test]
    fn priors_and_exposure_read_as_the_derive_reads_them() {
        use crate::cat::Exposure;
        use crate::quadrature::Prior;
        let mut priors: Vec<String> = vec![
            r#"{"type":"normal","mean":0,"sd":1}"#.into(),
            r#"{"sd":1,"type":"normal","mean":0.5}"#.into(),
            r#"{"type":"discrete","nodes":[-1,0,1],"weights":[1,2,1]}"#.into(),
            r#"{"type":"discrete","weights":[1],"nodes":[0]}"#.into(),
            r#"{"type":"normal"}"#.into(),
            r#"{"type":"normal","sd":1}"#.into(),
            r#"{"type":"discrete","nodes":[1]}"#.into(),
            r#"{"type":"discrete","weights":[1]}"#.into(),
            r#"{"type":"uniform"}"#.into(),
            r#"{"mean":0}"#.into(),
            r#"{"type":"normal","mean":0,"sd":1,"nodes":[1]}"#.into(),
            r#"{"type":"normal","mean":0,"mean":1,"sd":1}"#.into(),
            r#""normal""#.into(),
        ];
        let mut exposures: Vec<String> = vec![
            r#"{"method":"none"}"#.into(),
            r#"{"method":"none","top":"anything","x":[1,2]}"#.into(),
            r#"{"top":"anything","method":"none"}"#.into(),
            r#"{"method":"randomesque","top":5}"#.into(),
            r#"{"method":"randomesque"}"#.into(),
            r#"{"method":"randomesque","top":5,"parameters":{}}"#.into(),
            r#"{"method":"randomesque","top":5,"top":6}"#.into(),
            r#"{"method":"sympson_hetter","parameters":{"A":0.5,"B":1}}"#.into(),
            r#"{"method":"sympson_hetter","parameters":{"A":0.5,"A":1}}"#.into(),
            r#"{"method":"sympson_hetter","parameters":{"A":"x"}}"#.into(),
            r#"{"method":"sympson_hetter"}"#.into(),
            r#"{"method":"sympson_hetter","top":1}"#.into(),
            r#"{"method":"sympson-hetter"}"#.into(),
            r#"{}"#.into(),
            r#"null"#.into(),
        ];
        for value in BAD_VALUES {
            for field in ["mean", "sd", "nodes", "weights"] {
                priors.push(format!(r#"{{"type":"normal","{field}":{value},"mean":0}}"#));
                priors.push(format!(
                    r#"{{"type":"discrete","{field}":{value},"nodes":[0]}}"#
                ));
            }
            exposures.push(format!(r#"{{"method":"randomesque","top":{value}}}"#));
            exposures.push(format!(
                r#"{{"method":"sympson_hetter","parameters":{value}}}"#
            ));
            exposures.push(format!(
                r#"{{"method":"sympson_hetter","parameters":{{"A":{value}}}}}"#
            ));
        }
        for case in &priors {
            same::<Prior, derived::Prior>(case);
            same::<Vec<Prior>, Vec<derived::Prior>>(&format!("[{case}, {case}]"));
        }
        for case in &exposures {
            same::<Exposure, derived::Exposure>(case);
            same::<Vec<Exposure>, Vec<derived::Exposure>>(&format!("[{case}, {case}]"));
        }
    }

    #[test]
    fn unit_enums_read_as_the_derive_reads_them() {
        fn check<A, B>(names: &[&str])
        where
            A: for<'de> Deserialize<'de> + Serialize,
            B: for<'de> Deserialize<'de> + Serialize,
        {
            let mut cases: Vec<String> = [
                r#""bogus""#,
                r#""""#,
                "5",
                "null",
                "[]",
                "{}",
                r#"{"x":null}"#,
                "true",
            ]
            .map(String::from)
            .into();
            for name in names {
                cases.push(format!(r#""{name}""#));
                cases.push(format!(r#"{{"{name}":null}}"#));
                cases.push(format!(r#"{{"{name}":1}}"#));
                cases.push(format!(r#"{{"{name}":null,"x":null}}"#));
                cases.push(format!(r#""{}""#, name.to_uppercase()));
            }
            for case in &cases {
                same::<A, B>(case);
                same::<Vec<A>, Vec<B>>(&format!("[{case}, {case}]"));
            }
        }
        check::<crate::score::Method, derived::Method>(&["eap", "map", "ml", "wle"]);
        check::<crate::score::StandardError, derived::StandardError>(&["expected", "observed"]);
        check::<crate::decide::NormGrouping, derived::NormGrouping>(&["all", "language", "region"]);
        check::<crate::instrument::ScaleKind, derived::ScaleKind>(&[
            "interest",
            "disposition",
            "aptitude",
        ]);
        check::<crate::cat::Routing, derived::Routing>(&["blocks", "largest_se", "round_robin"]);
        check::<crate::cat::Criterion, derived::Criterion>(&["mfi", "kl", "pwi"]);
        check::<crate::cat::ClassificationMethod, derived::ClassificationMethod>(&["sprt", "glr"]);
    }

    /// Structs opted into [`super::MapOnly`] read objects exactly as derived, with the
    /// derive's errors, and refuse the array form serde's derive also accepted.
    #[test]
    fn structs_are_objects() {
        use crate::quadrature::Grid;
        for case in [
            r#"{"points": 21, "min": -4, "max": 4}"#,
            r#"{"max": 4}"#,
            r#"{}"#,
            r#"{"points": 21, "points": 22}"#,
            r#"{"points": -1}"#,
            r#"{"points": 21, "mean": 0}"#,
            r#"{"points": 21, "min": "x"}"#,
            r#"{"points": 21"#,
            r#""grid""#,
            "null",
            "5",
        ] {
            same::<Grid, derived::Grid>(case);
            same::<Vec<Grid>, Vec<derived::Grid>>(&format!("[{case}, {case}]"));
        }
        assert!(serde_json::from_str::<derived::Grid>("[21, -4, 4]").is_ok());
        assert_eq!(
            serde_json::from_str::<Grid>("[21, -4, 4]")
                .unwrap_err()
                .to_string(),
            "invalid type: sequence, expected struct Grid at line 1 column 0"
        );
    }

    /// [`object_deserialize`] against serde's derive (read only as an object, as before)
    /// on valid documents and on every mutation of every object in them.
    pub(crate) mod objects {
        use serde_json::Value as Json;
        use std::fmt::Debug;

        /// The reader handed to a derived `deserialize` (the inherent function of
        /// `#[serde(remote = "Self")]`).
        pub(crate) type Reader<'a> = super::super::MapOnly<
            &'a mut serde_json::Deserializer<serde_json::de::StrRead<'static>>,
        >;

        /// An object's fields in order (keys may repeat).
        type Entries = Vec<(String, Json)>;

        fn show<T: Debug>(r: Result<T, serde_json::Error>) -> String {
            match r {
                Ok(v) => format!("ok {v:?}"),
                Err(e) => format!("error {e}"),
            }
        }

        fn derived<T>(
            text: &'static str,
            f: &impl Fn(Reader<'_>) -> Result<T, serde_json::Error>,
        ) -> Result<T, serde_json::Error> {
            let mut d = serde_json::Deserializer::from_str(text);
            let v = f(super::super::MapOnly(&mut d))?;
            d.end()?;
            Ok(v)
        }

        /// Renders `v` with the object at `target` replaced by `entries` (keys may repeat).
        fn render(
            v: &Json,
            path: &mut Vec<usize>,
            target: &[usize],
            entries: &[(String, Json)],
            out: &mut String,
        ) {
            let here = path.as_slice() == target;
            match v {
                Json::Object(map) => {
                    let list: Vec<(String, Json)> = if here {
                        entries.to_vec()
                    } else {
                        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
                    };
                    out.push('{');
                    for (n, (k, value)) in list.iter().enumerate() {
                        if n > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(&serde_json::to_string(k).unwrap());
                        out.push_str(": ");
                        path.push(n);
                        if here {
                            // A replaced object's values are rendered as they are.
                            out.push_str(&serde_json::to_string(value).unwrap());
                        } else {
                            render(value, path, target, entries, out);
                        }
                        path.pop();
                    }
                    out.push('}');
                }
                Json::Array(items) => {
                    out.push('[');
                    for (n, item) in items.iter().enumerate() {
                        if n > 0 {
                            out.push_str(",\n");
                        }
                        path.push(n);
                        render(item, path, target, entries, out);
                        path.pop();
                    }
                    out.push(']');
                }
                other => out.push_str(&serde_json::to_string(other).unwrap()),
            }
        }

        fn objects(v: &Json, path: &mut Vec<usize>, out: &mut Vec<(Vec<usize>, Entries)>) {
            match v {
                Json::Object(map) => {
                    out.push((
                        path.clone(),
                        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    ));
                    for (n, value) in map.values().enumerate() {
                        path.push(n);
                        objects(value, path, out);
                        path.pop();
                    }
                }
                Json::Array(items) => {
                    for (n, item) in items.iter().enumerate() {
                        path.push(n);
                        objects(item, path, out);
                        path.pop();
                    }
                }
                _ => {}
            }
        }

        /// Every mutation of every object of `doc`: each field removed, repeated, moved
        /// to the front or given each kind of wrong value; unknown fields before and after;
        /// the object emptied.
        fn mutations(doc: &Json) -> Vec<String> {
            let mut all = Vec::new();
            objects(doc, &mut Vec::new(), &mut all);
            let wrong = [
                Json::Null,
                Json::Bool(true),
                Json::from("x"),
                Json::from(-1),
                Json::from(3),
                Json::from(1.5),
                Json::Array(vec![]),
                Json::Array(vec![Json::from(1)]),
                serde_json::json!({}),
                serde_json::json!({"a": 1}),
            ];
            let mut texts = Vec::new();
            for (target, entries) in &all {
                let mut variants: Vec<Vec<(String, Json)>> = vec![vec![]];
                for i in 0..entries.len() {
                    let mut removed = entries.clone();
                    removed.remove(i);
                    variants.push(removed);
                    let mut repeated = entries.clone();
                    repeated.push(entries[i].clone());
                    variants.push(repeated);
                    let mut front = entries.clone();
                    let e = front.remove(i);
                    front.insert(0, e);
                    variants.push(front);
                    for w in &wrong {
                        let mut changed = entries.clone();
                        changed[i].1 = w.clone();
                        variants.push(changed);
                    }
                }
                let mut unknown = entries.clone();
                unknown.push(("unknown_field".into(), Json::from(1)));
                variants.push(unknown);
                let mut unknown = entries.clone();
                unknown.insert(0, ("a".into(), serde_json::json!({"b": [1, 2]})));
                variants.push(unknown);
                for v in variants {
                    let mut out = String::new();
                    render(doc, &mut Vec::new(), target, &v, &mut out);
                    texts.push(out);
                }
            }
            texts
        }

        /// `T`'s `Deserialize` and the derive read every text alike.
        pub(crate) fn check<T: Debug + serde::de::DeserializeOwned>(
            docs: &[&str],
            derive: impl Fn(Reader<'_>) -> Result<T, serde_json::Error>,
        ) {
            let mut texts: Vec<String> = Vec::new();
            for doc in docs {
                texts.push(doc.to_string());
                let value: Json = serde_json::from_str(doc).unwrap();
                texts.extend(mutations(&value));
                for cut in [1, doc.len() / 3, doc.len() / 2, doc.len() - 1] {
                    if doc.is_char_boundary(cut) {
                        texts.push(doc[..cut].to_string());
                    }
                }
            }
            texts.extend(
                ["[]", "[1]", "\"x\"", "1", "null", "{} {}", "{\"a\": }"].map(String::from),
            );
            assert!(texts.len() >= 10);
            let mut valid = 0;
            for text in texts {
                let text: &'static str = Box::leak(text.into_boxed_str());
                let ours = show(serde_json::from_str::<T>(text));
                valid += ours.starts_with("ok") as usize;
                assert_eq!(ours, show(derived(text, &derive)), "{text}");
            }
            assert!(valid > 0);
        }

        fn trimmed(doc: &str, trim: &[(&str, usize)]) -> String {
            let mut v: Json = serde_json::from_str(doc).unwrap();
            for (field, keep) in trim {
                match &mut v[*field] {
                    Json::Array(a) => a.truncate(*keep),
                    Json::Object(m) => {
                        let keys: Vec<String> = m.keys().skip(*keep).cloned().collect();
                        for k in keys {
                            m.remove(&k);
                        }
                    }
                    _ => panic!("{field}"),
                }
            }
            serde_json::to_string_pretty(&v).unwrap()
        }

        fn default_doc<T: serde::Serialize + Default>() -> String {
            serde_json::to_string(&T::default()).unwrap()
        }

        /// The values at JSON pointers `at` of `doc`, as texts.
        fn parts(doc: &Json, at: &[&str]) -> Vec<String> {
            at.iter()
                .map(|p| doc.pointer(p).unwrap_or_else(|| panic!("{p}")).to_string())
                .collect()
        }

        /// Checks `$ty` against its derive on the values at the pointers.
        macro_rules! check_at {
            ($doc:expr, $($ty:ty: [$($at:literal),+]),+ $(,)?) => {$(
                let texts = parts(&$doc, &[$($at),+]);
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                check::<$ty>(&texts, |d| <$ty>::deserialize(d));
            )+};
        }

        use crate::cat::{
            CatResponse, CatSettings, ClassificationRule, Estimation, Length, Selection,
        };
        use crate::decide::{
            CompositeNorm, DecisionSettings, ExplanationText, Explanations, GroupLabel, ItemPair,
            ItemPairs, NormGroup, NormTable, Norms, QualitySettings,
        };
        use crate::instrument::{
            AnswerOption, Component, InstrumentDefinition, ItemDefinition, Profile,
            ScaleDefinition, Tiers,
        };
        use crate::quadrature::Grid;
        use crate::score::ScoringSettings;

        #[test]
        fn instrument_definition() {
            let demo = include_str!("../../data/instruments/kasip-demo.json");
            let small = trimmed(
                demo,
                &[
                    ("items", 3),
                    ("scales", 2),
                    ("profiles", 1),
                    ("option_sets", 1),
                ],
            );
            let mut v: Json = serde_json::from_str(&small).unwrap();
            // An item with its own options and a key, and one with a content area.
            v["items"][0]["options"] = serde_json::json!([{"value": 1, "text": {"en": "a"}}]);
            v["items"][1]["content_area"] = Json::from("geometry");
            v["items"][2]["key"] = Json::from(2);
            v["profiles"][0]["tiers"] =
                serde_json::json!({"recommended": 0.7, "not_indicated": 0.3});
            check_at!(v,
                InstrumentDefinition: [""],
                ScaleDefinition: ["/scales/0", "/scales/1"],
                AnswerOption: ["/items/0/options/0"],
                ItemDefinition: ["/items/0", "/items/1", "/items/2"],
                Profile: ["/profiles/0"],
                Component: ["/profiles/0/components/0"],
                Tiers: ["/profiles/0/tiers"],
            );
        }

        #[test]
        fn settings() {
            let cat = include_str!("../../data/cat/kasip-demo-cat.json");
            let mut v: Json = serde_json::from_str(cat).unwrap();
            v["content_targets"] = serde_json::json!({"geometry": 0.5});
            v["estimation"]["start"] = Json::from(0.5);
            v["classification"][0]["cut"] = serde_json::json!({"theta": 0.25});
            let defaults: Json = serde_json::from_str(&default_doc::<CatSettings>()).unwrap();
            check_at!(v,
                CatSettings: [""],
                Selection: ["/selection"],
                Length: ["/length", "/scale_lengths/verbal"],
                ClassificationRule: ["/classification/0"],
                Estimation: ["/estimation"],
                ScoringSettings: ["/estimation/scoring"],
                Grid: ["/estimation/scoring/grid"],
            );
            check_at!(defaults, CatSettings: [""], Estimation: ["/estimation"], Length: ["/length"]);
            check::<CatSettings>(&["{}"], |d| CatSettings::deserialize(d));
            let mut d: Json = serde_json::from_str(&default_doc::<DecisionSettings>()).unwrap();
            d["tiers"] = serde_json::json!({"recommended": 0.7, "not_indicated": 0.3});
            d["cuts"] = serde_json::json!({"teacher": {"percentile": 80.0}});
            d["focus_profile"] = Json::from("teacher");
            d["quality"]["item_pairs"] = serde_json::json!([{"first": "A", "second": "B"}]);
            check_at!(d,
                DecisionSettings: [""],
                QualitySettings: ["/quality"],
                ItemPair: ["/quality/item_pairs/0"],
            );
            check::<DecisionSettings>(&["{}"], |d| DecisionSettings::deserialize(d));
        }

        #[test]
        fn decision_data() {
            let norms = include_str!("../../data/norms/kasip-demo-norms.json");
            let mut v: Json = serde_json::from_str(norms).unwrap();
            v["groups"].as_array_mut().unwrap().truncate(1);
            for g in v["groups"].as_array_mut().unwrap() {
                for field in ["scales", "composites"] {
                    let m = g[field].as_object_mut().unwrap();
                    let keys: Vec<String> = m.keys().skip(1).cloned().collect();
                    for k in keys {
                        m.remove(&k);
                    }
                }
                for t in g["scales"].as_object_mut().unwrap().values_mut() {
                    for f in ["scores", "counts"] {
                        t[f].as_array_mut().unwrap().truncate(3);
                    }
                }
                for c in g["composites"].as_object_mut().unwrap().values_mut() {
                    for f in ["scores", "counts"] {
                        c["table"][f].as_array_mut().unwrap().truncate(3);
                    }
                }
            }
            let mut second = v["groups"][0].clone();
            second["group"] = serde_json::json!({"language": "kk", "region": "Almaty"});
            v["groups"].as_array_mut().unwrap().push(second);
            let scale = v["groups"][0]["scales"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone();
            let composite = v["groups"][0]["composites"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone();
            let table = format!("/groups/0/scales/{scale}");
            let norm = format!("/groups/0/composites/{composite}");
            check_at!(v,
                Norms: [""],
                NormGroup: ["/groups/0", "/groups/1"],
                GroupLabel: ["/groups/0/group", "/groups/1/group"],
            );
            let texts = parts(&v, &[table.as_str()]);
            check::<NormTable>(&[&texts[0]], |d| NormTable::deserialize(d));
            let texts = parts(&v, &[norm.as_str()]);
            check::<CompositeNorm>(&[&texts[0]], |d| CompositeNorm::deserialize(d));
            check::<GroupLabel>(&["{}"], |d| GroupLabel::deserialize(d));
            let pairs: Json = serde_json::from_str(&trimmed(
                include_str!("../../data/quality/kasip-demo-pairs.json"),
                &[("pairs", 2)],
            ))
            .unwrap();
            check_at!(pairs, ItemPairs: [""], ItemPair: ["/pairs/0"]);
            let texts: Json = serde_json::from_str(&trimmed(
                include_str!("../../data/explanations/explanations.json"),
                &[("texts", 2)],
            ))
            .unwrap();
            check_at!(texts, Explanations: [""]);
            for text in texts["texts"].as_object().unwrap().values() {
                check::<ExplanationText>(&[&text.to_string()], |d| ExplanationText::deserialize(d));
            }
            let key = r#"{"key": "tier.recommended", "arguments": {"profile": {"profile": "teacher"}, "n": {"number": 3}, "x": {"decimal": 0.5}}}"#;
            check::<crate::decide::ExplanationKey>(&[key], |d| {
                crate::decide::ExplanationKey::deserialize(d)
            });
            let session = include_str!("../../tests/golden/cat/demo-session.json");
            let mut s: Json = serde_json::from_str(session).unwrap();
            s["responses"].as_array_mut().unwrap().truncate(2);
            s["responses"][1]["timestamp"] = Json::from("2026-11-23T10:00:00Z");
            check_at!(s, CatResponse: ["/responses/0", "/responses/1"]);
        }
    }
}
