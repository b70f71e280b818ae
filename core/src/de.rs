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
//! Structs keep serde's derive but are read only as JSON objects ([`MapOnly`]), which
//! keeps the derive's unused array form out of the WASM package.

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
/// accepts a struct as an array of its fields, and serde_json compiles that second
/// form into every struct's deserializer. Everything else is forwarded unchanged.
///
/// Used by [`map_only_serde`], for the struct itself only: its fields are read by the
/// wrapped deserializer (each struct type of a format opts in on its own).
pub(crate) struct MapOnly<D>(pub(crate) D);

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* visitor)
        }
    )*};
}

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

/// `Serialize` and `Deserialize` for a struct whose derives carry
/// `#[serde(remote = "Self")]` (which makes them inherent functions): serialization as
/// derived, deserialization as derived but from a JSON object only ([`MapOnly`]).
macro_rules! map_only_serde {
    ($($ty:ty),+ $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                <$ty>::serialize(self, serializer)
            }
        }
        crate::de::map_only_deserialize!($ty);
    )+};
}
pub(crate) use map_only_serde;

/// The `Deserialize` half of [`map_only_serde`], for a struct that is only read.
macro_rules! map_only_deserialize {
    ($($ty:ty),+ $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                <$ty>::deserialize(crate::de::MapOnly(deserializer))
            }
        }
    )+};
}
pub(crate) use map_only_deserialize;

#[cfg(test)]
mod tests {
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
}
