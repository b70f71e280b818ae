//! Instruments: the versioned, trilingual battery format (`data/FORMAT.md`), its
//! validation, checksum, the mapping from raw answers to model categories, and scoring
//! of every scale of a battery in one call.

mod definition;

pub use definition::{
    AnswerOption, Component, Cut, InstrumentDefinition, ItemDefinition, Profile, ScaleDefinition,
    ScaleKind, Text, Tiers,
};

use crate::error::{Error, Result};
use crate::model::ResponseFunction;
use crate::response::{MISSING, ResponseMatrix};
use crate::score::{Estimate, Scorer, ScoringSettings};
use sha2::{Digest, Sha256};

/// The instrument format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The JSON Schema of the instrument format (as published in
/// `data/instrument.schema.json`).
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(InstrumentDefinition);
    serde_json::to_value(schema).expect("a schema serializes")
}

/// The `format_version` of a JSON document when the document is an object whose
/// (last) `format_version` is a non-negative integer; `None` for anything else,
/// including text that does not parse. Equal to parsing a `serde_json::Value` and
/// asking `as_u64`, without compiling a `Value` parser into the WASM package.
fn declared_format_version(text: &str) -> Option<u64> {
    use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// A JSON value reduced to `Some(n)` for an integer n ≥ 0 (`Value::as_u64`).
    struct AsU64(Option<u64>);
    impl<'de> Deserialize<'de> for AsU64 {
        fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = AsU64;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_u64<E>(self, v: u64) -> std::result::Result<AsU64, E> {
                    Ok(AsU64(Some(v)))
                }
                fn visit_i64<E>(self, v: i64) -> std::result::Result<AsU64, E> {
                    Ok(AsU64(u64::try_from(v).ok()))
                }
                fn visit_f64<E>(self, _: f64) -> std::result::Result<AsU64, E> {
                    Ok(AsU64(None))
                }
                fn visit_bool<E>(self, _: bool) -> std::result::Result<AsU64, E> {
                    Ok(AsU64(None))
                }
                fn visit_str<E>(self, _: &str) -> std::result::Result<AsU64, E> {
                    Ok(AsU64(None))
                }
                fn visit_unit<E>(self) -> std::result::Result<AsU64, E> {
                    Ok(AsU64(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> std::result::Result<AsU64, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(AsU64(None))
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> std::result::Result<AsU64, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(AsU64(None))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// A JSON object reduced to its last `format_version`.
    struct Probe(Option<u64>);
    impl<'de> Deserialize<'de> for Probe {
        fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Probe;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> std::result::Result<Probe, A::Error> {
                    let mut version = None;
                    while let Some(key) = map.next_key::<String>()? {
                        if key == "format_version" {
                            version = map.next_value::<AsU64>()?.0;
                        } else {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    Ok(Probe(version))
                }
            }
            d.deserialize_map(V)
        }
    }

    serde_json::from_str::<Probe>(text).ok().and_then(|p| p.0)
}

/// How a raw answer becomes a model category.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerScoring {
    /// Multiple choice: 1 when the answer equals the key, else 0; `values` are the
    /// allowed answers.
    Key {
        /// Correct option value.
        key: i64,
        /// All option values.
        values: Vec<i64>,
    },
    /// Ordered options: option i is category i (K−1−i when reverse-keyed).
    Ordered {
        /// Option values in order.
        values: Vec<i64>,
        /// Reverse-keyed.
        reverse: bool,
    },
}

impl AnswerScoring {
    /// The category of a raw answer, `None` when the answer is not one of the options.
    ///
    /// # Examples
    ///
    /// ```
    /// use bagdar::instrument::AnswerScoring;
    /// let likert = AnswerScoring::Ordered { values: vec![1, 2, 3, 4, 5], reverse: true };
    /// assert_eq!(likert.category(5), Some(0));
    /// let mc = AnswerScoring::Key { key: 3, values: vec![1, 2, 3, 4] };
    /// assert_eq!(mc.category(3), Some(1));
    /// assert_eq!(mc.category(9), None);
    /// ```
    pub fn category(&self, answer: i64) -> Option<u8> {
        match self {
            AnswerScoring::Key { key, values } => {
                values.contains(&answer).then_some(u8::from(answer == *key))
            }
            AnswerScoring::Ordered { values, reverse } => {
                let i = values.iter().position(|&v| v == answer)?;
                Some(if *reverse { values.len() - 1 - i } else { i } as u8)
            }
        }
    }

    /// The allowed raw answers.
    pub fn values(&self) -> &[i64] {
        match self {
            AnswerScoring::Key { values, .. } | AnswerScoring::Ordered { values, .. } => values,
        }
    }
}

/// A validated instrument: the definition plus its checksum, compiled items and the
/// scale structure.
///
/// # Examples
///
/// ```
/// let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// assert_eq!(instrument.checksum().len(), 64);
/// assert!(instrument.scale_index("social").is_some());
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Instrument {
    definition: InstrumentDefinition,
    checksum: String,
    items: Vec<ResponseFunction>,
    answer_scoring: Vec<AnswerScoring>,
    /// Item positions sorted by item id (ids are unique), for [`Instrument::item_index`].
    item_order: Vec<usize>,
    scale_items: Vec<Vec<usize>>,
    item_scale: Vec<usize>,
}

impl Instrument {
    /// Parses and validates an instrument from JSON text.
    ///
    /// # Errors
    ///
    /// [`Error::InstrumentSyntax`] (with line and column) for malformed JSON or a field of
    /// the wrong type; [`Error::UnsupportedFormatVersion`]; then the validation errors of
    /// [`Instrument::new`].
    pub fn from_json(text: &str) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Read the version first so a future format gets a clear message.
        if let Some(v) = declared_format_version(text)
            && v != u64::from(FORMAT_VERSION)
        {
            return Err(Error::UnsupportedFormatVersion {
                found: u32::try_from(v).unwrap_or(u32::MAX),
                supported: FORMAT_VERSION,
            });
        }
        let definition: InstrumentDefinition =
            serde_json::from_str(text).map_err(|e| Error::InstrumentSyntax {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        Instrument::new(definition)
    }

    /// Parses and validates an instrument from the bytes of a file: they must be UTF-8
    /// (a byte-order mark is allowed).
    ///
    /// # Errors
    ///
    /// [`Error::InstrumentSyntax`] naming the line and column of the first byte that is
    /// not UTF-8 (e.g. a file saved as cp1251), then as [`Instrument::from_json`].
    ///
    /// ```
    /// let e = bagdar::instrument::Instrument::from_bytes(b"{\n \"id\": \"\xe0\"}").unwrap_err();
    /// assert!(matches!(e, bagdar::Error::InstrumentSyntax { line: 2, column: 9, .. }));
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Instrument::from_json(text),
            Err(e) => {
                let valid = &bytes[..e.valid_up_to()];
                let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
                let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
                Err(Error::InstrumentSyntax {
                    line,
                    column: valid.len() - line_start + 1,
                    message: "the file is not UTF-8 text; save it as UTF-8".into(),
                })
            }
        }
    }

    /// Validates a definition.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateId`], [`Error::UnknownId`] (scale, option set, language),
    /// [`Error::MissingTranslation`], [`Error::InvalidParameter`] / [`Error::WrongCount`]
    /// for model parameters, [`Error::InvalidInstrument`] for other broken rules (options
    /// not matching the model's categories, a key that is not an option, a profile
    /// weight ≤ 0, tier thresholds out of order, …).
    pub fn new(definition: InstrumentDefinition) -> Result<Self> {
        validate(&definition)?;
        let mut items = Vec::with_capacity(definition.items.len());
        let mut answer_scoring = Vec::with_capacity(definition.items.len());
        let mut scale_items = vec![Vec::new(); definition.scales.len()];
        let mut item_scale = Vec::with_capacity(definition.items.len());
        for (index, item) in definition.items.iter().enumerate() {
            let f = item.model.response_function(&item.id)?;
            let options = item_options(&definition, item)?;
            let values: Vec<i64> = options.iter().map(|o| o.value).collect();
            let scoring = match item.key {
                Some(key) => AnswerScoring::Key { key, values },
                None => AnswerScoring::Ordered {
                    values,
                    reverse: item.reverse_keyed,
                },
            };
            let scale = definition
                .scales
                .iter()
                .position(|s| s.id == item.scale)
                .expect("validated");
            scale_items[scale].push(index);
            item_scale.push(scale);
            items.push(f);
            answer_scoring.push(scoring);
        }
        let checksum = checksum(&definition);
        let mut item_order: Vec<usize> = (0..definition.items.len()).collect();
        let ids = &definition.items;
        crate::order::sort_indices(&mut item_order, &|a, b| ids[a].id.cmp(&ids[b].id));
        Ok(Instrument {
            definition,
            checksum,
            items,
            answer_scoring,
            item_order,
            scale_items,
            item_scale,
        })
    }

    /// The definition as parsed.
    pub fn definition(&self) -> &InstrumentDefinition {
        &self.definition
    }

    /// SHA-256 (hex) of the canonical serialization; identifies this instrument version.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Compiled response functions, in item order.
    pub fn items(&self) -> &[ResponseFunction] {
        &self.items
    }

    /// Item ids in order.
    pub fn item_ids(&self) -> Vec<&str> {
        self.definition
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect()
    }

    /// Position of an item id.
    pub fn item_index(&self, id: &str) -> Option<usize> {
        let items = &self.definition.items;
        self.item_order
            .binary_search_by(|&i| items[i].id.as_str().cmp(id))
            .ok()
            .map(|k| self.item_order[k])
    }

    /// Position of a scale id.
    pub fn scale_index(&self, id: &str) -> Option<usize> {
        self.definition.scales.iter().position(|s| s.id == id)
    }

    /// The scales in order.
    pub fn scales(&self) -> &[ScaleDefinition] {
        &self.definition.scales
    }

    /// Item positions of each scale.
    pub fn scale_items(&self) -> &[Vec<usize>] {
        &self.scale_items
    }

    /// Scale position of each item.
    pub fn item_scales(&self) -> &[usize] {
        &self.item_scale
    }

    /// How item `item`'s raw answers map to categories.
    pub fn answer_scoring(&self, item: usize) -> &AnswerScoring {
        &self.answer_scoring[item]
    }

    /// Per item (instrument order), every option's value with each of its texts, one
    /// pair per language.
    pub fn item_option_texts(&self) -> Vec<Vec<(i64, &str)>> {
        self.definition
            .items
            .iter()
            .map(|item| {
                item_options(&self.definition, item)
                    .map(|options| {
                        options
                            .iter()
                            .flat_map(|o| o.text.values().map(move |t| (o.value, t.as_str())))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    }

    /// The profile with this id.
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.definition.profiles.iter().find(|p| p.id == id)
    }

    /// Converts raw answers (one per item, `None` = blank) to model categories.
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`]; [`Error::InvalidAnswer`] naming the item when an
    /// answer is not one of its options (`person` is set to `person`).
    pub fn code_answers(&self, person: usize, answers: &[Option<i64>]) -> Result<Vec<u8>> {
        if answers.len() != self.items.len() {
            return Err(Error::WrongItemCount {
                expected: self.items.len(),
                found: answers.len(),
            });
        }
        answers
            .iter()
            .enumerate()
            .map(|(i, a)| match a {
                None => Ok(MISSING),
                Some(v) => self.answer_scoring[i]
                    .category(*v)
                    .ok_or_else(|| self.invalid_answer(person, i, v.to_string())),
            })
            .collect()
    }

    /// Codes a row-major persons × items matrix of raw answers, as numpy and pandas hold
    /// them (NaN = blank), into model categories.
    ///
    /// # Errors
    ///
    /// [`Error::WrongDataLength`]; [`Error::InvalidAnswer`] naming the person and item
    /// for a value that is not one of the item's options (fractions included).
    ///
    /// # Examples
    ///
    /// ```
    /// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
    /// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
    /// let n = instrument.items().len();
    /// let mut raw = vec![f64::NAN; n];
    /// raw[0] = 5.0; // RE01, "strongly agree"
    /// let coded = instrument.code_matrix(1, &raw)?;
    /// assert_eq!(coded.get(0, 0), Some(4));
    /// assert_eq!(coded.get(0, 1), None);
    /// # Ok::<(), bagdar::Error>(())
    /// ```
    pub fn code_matrix(&self, persons: usize, raw: &[f64]) -> Result<ResponseMatrix> {
        let items = self.items.len();
        if persons.checked_mul(items) != Some(raw.len()) {
            return Err(Error::WrongDataLength {
                persons,
                items,
                found: raw.len(),
            });
        }
        let mut data = Vec::with_capacity(raw.len());
        for (index, &value) in raw.iter().enumerate() {
            let item = index % items;
            if value.is_nan() {
                data.push(MISSING);
                continue;
            }
            let whole = (value.fract() == 0.0 && value.abs() < 9.0e15).then_some(value as i64);
            match whole.and_then(|v| self.answer_scoring[item].category(v)) {
                Some(category) => data.push(category),
                None => return Err(self.invalid_answer(index / items, item, value.to_string())),
            }
        }
        ResponseMatrix::new(persons, items, data)
    }

    fn invalid_answer(&self, person: usize, item: usize, value: String) -> Error {
        Error::InvalidAnswer {
            person,
            item: self.definition.items[item].id.clone(),
            value,
            allowed: describe_values(self.answer_scoring[item].values()),
        }
    }

    /// A scorer for every scale, in scale order.
    ///
    /// # Errors
    ///
    /// Settings errors as for [`Scorer::new`].
    pub fn scorers(&self, settings: &ScoringSettings) -> Result<BatteryScorer> {
        let scorers = self
            .scale_items
            .iter()
            .map(|idx| {
                Scorer::new(
                    idx.iter().map(|&i| self.items[i].clone()).collect(),
                    settings,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BatteryScorer {
            scorers,
            scale_items: self.scale_items.clone(),
            items: self.items.len(),
        })
    }
}

/// Scores every scale of a battery (between-item multidimensional: each item on one
/// scale, each scale scored on its own items).
#[derive(Debug, Clone)]
pub struct BatteryScorer {
    scorers: Vec<Scorer>,
    scale_items: Vec<Vec<usize>>,
    items: usize,
}

impl BatteryScorer {
    /// One scorer per scale.
    pub fn scorers(&self) -> &[Scorer] {
        &self.scorers
    }

    /// Scores one person's full row of categories (all items of the instrument):
    /// one estimate per scale.
    pub fn score_row(&self, row: &[u8]) -> Vec<Estimate> {
        let mut buffer = Vec::new();
        self.scorers
            .iter()
            .zip(&self.scale_items)
            .map(|(scorer, idx)| {
                buffer.clear();
                buffer.extend(idx.iter().map(|&i| row[i]));
                scorer.score_row(&buffer)
            })
            .collect()
    }

    /// Scores every person on every scale: `result[scale][person]`.
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] / [`Error::ResponseOutOfRange`] when the data do not
    /// fit the instrument.
    pub fn score(&self, responses: &ResponseMatrix) -> Result<Vec<Vec<Estimate>>> {
        if responses.items() != self.items {
            return Err(Error::WrongItemCount {
                expected: self.items,
                found: responses.items(),
            });
        }
        self.scorers
            .iter()
            .zip(&self.scale_items)
            .map(|(scorer, idx)| scorer.score(&responses.select_columns(idx)))
            .collect()
    }
}

/// `1..5` for contiguous values, else a comma-separated list.
pub(crate) fn describe_values(values: &[i64]) -> String {
    let contiguous = values.windows(2).all(|w| w[1] == w[0] + 1);
    match (values.first(), values.last()) {
        (Some(a), Some(b)) if contiguous && values.len() > 2 => format!("{a}..{b}"),
        _ => values
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// SHA-256 of the compact JSON of the typed definition.
fn checksum(definition: &InstrumentDefinition) -> String {
    let canonical = serde_json::to_vec(definition).expect("an instrument serializes");
    let digest = Sha256::digest(&canonical);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn item_options<'a>(
    definition: &'a InstrumentDefinition,
    item: &'a ItemDefinition,
) -> Result<&'a [AnswerOption]> {
    match (&item.option_set, &item.options) {
        (Some(_), Some(_)) => Err(Error::instrument(
            format!("item {}", item.id),
            "give either option_set or options, not both",
        )),
        (None, None) => Err(Error::instrument(
            format!("item {}", item.id),
            "has neither option_set nor options",
        )),
        (Some(set), None) => definition
            .option_sets
            .get(set)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::UnknownId {
                kind: "option set",
                id: set.clone(),
                context: format!(" (item {}, field option_set)", item.id),
            }),
        (None, Some(options)) => Ok(options),
    }
}

fn check_text(text: &Text, languages: &[String], location: impl Fn() -> String) -> Result<()> {
    for language in languages {
        match text.get(language) {
            Some(t) if !t.trim().is_empty() => {}
            _ => {
                return Err(Error::MissingTranslation {
                    location: location(),
                    language: language.clone(),
                });
            }
        }
    }
    Ok(())
}

fn validate(d: &InstrumentDefinition) -> Result<()> {
    if d.format_version != FORMAT_VERSION {
        return Err(Error::UnsupportedFormatVersion {
            found: d.format_version,
            supported: FORMAT_VERSION,
        });
    }
    if d.id.trim().is_empty() {
        return Err(Error::instrument("field id", "must not be empty"));
    }
    if d.languages.is_empty() {
        return Err(Error::instrument(
            "field languages",
            "must list at least one language",
        ));
    }
    let mut seen = IdSet::default();
    for l in &d.languages {
        if !seen.insert(l) {
            return Err(Error::DuplicateId {
                kind: "language",
                id: l.clone(),
            });
        }
    }
    let langs = &d.languages;
    check_text(&d.title, langs, || "title".into())?;
    if !d.description.is_empty() {
        check_text(&d.description, langs, || "description".into())?;
    }
    for (name, options) in &d.option_sets {
        check_options(options, langs, &format!("option set {name}"))?;
    }
    if d.scales.is_empty() {
        return Err(Error::instrument(
            "field scales",
            "must list at least one scale",
        ));
    }
    let mut scale_ids = IdSet::default();
    for s in &d.scales {
        if !scale_ids.insert(&s.id) {
            return Err(Error::DuplicateId {
                kind: "scale",
                id: s.id.clone(),
            });
        }
        check_text(&s.name, langs, || format!("scale {}, name", s.id))?;
        if !s.description.is_empty() {
            check_text(&s.description, langs, || {
                format!("scale {}, description", s.id)
            })?;
        }
    }
    let mut item_ids = IdSet::default();
    let mut scales_with_items = IdSet::default();
    for item in &d.items {
        if item.id.trim().is_empty() {
            return Err(Error::instrument("items", "an item has an empty id"));
        }
        if !item_ids.insert(&item.id) {
            return Err(Error::DuplicateId {
                kind: "item",
                id: item.id.clone(),
            });
        }
        if !scale_ids.contains(&item.scale) {
            return Err(Error::UnknownId {
                kind: "scale",
                id: item.scale.clone(),
                context: format!(" (item {}, field scale)", item.id),
            });
        }
        scales_with_items.insert(&item.scale);
        item.model.validate(&item.id)?;
        check_text(&item.stem, langs, || format!("item {}, stem", item.id))?;
        if let Some(options) = &item.options {
            check_options(options, langs, &format!("item {}, options", item.id))?;
        }
        let options = item_options(d, item)?;
        let categories = item.model.categories();
        match item.key {
            Some(key) => {
                if categories != 2 {
                    return Err(Error::instrument(
                        format!("item {}, field key", item.id),
                        format!(
                            "a keyed (multiple-choice) item needs a dichotomous model, not {}",
                            item.model.kind().name()
                        ),
                    ));
                }
                if !options.iter().any(|o| o.value == key) {
                    return Err(Error::instrument(
                        format!("item {}, field key", item.id),
                        format!("key {key} is not one of the option values"),
                    ));
                }
                if item.reverse_keyed {
                    return Err(Error::instrument(
                        format!("item {}, field reverse_keyed", item.id),
                        "a keyed item cannot also be reverse-keyed",
                    ));
                }
            }
            None => {
                if options.len() != categories {
                    return Err(Error::WrongCount {
                        item: item.id.clone(),
                        field: "options".into(),
                        expected: categories,
                        found: options.len(),
                    });
                }
            }
        }
    }
    for s in &d.scales {
        if !scales_with_items.contains(&s.id) {
            return Err(Error::instrument(format!("scale {}", s.id), "has no items"));
        }
    }
    let mut profile_ids = IdSet::default();
    for p in &d.profiles {
        let location = format!("profile {}", p.id);
        if !profile_ids.insert(&p.id) {
            return Err(Error::DuplicateId {
                kind: "profile",
                id: p.id.clone(),
            });
        }
        check_text(&p.name, langs, || format!("{location}, name"))?;
        if !p.description.is_empty() {
            check_text(&p.description, langs, || format!("{location}, description"))?;
        }
        if p.components.is_empty() {
            return Err(Error::instrument(&location, "has no components"));
        }
        let mut component_scales = IdSet::default();
        for c in &p.components {
            if !scale_ids.contains(&c.scale) {
                return Err(Error::UnknownId {
                    kind: "scale",
                    id: c.scale.clone(),
                    context: format!(" ({location}, components)"),
                });
            }
            if !component_scales.insert(&c.scale) {
                return Err(Error::instrument(
                    format!("{location}, components"),
                    format!("scale {} appears twice", c.scale),
                ));
            }
            if !(c.weight.is_finite() && c.weight > 0.0) {
                return Err(Error::instrument(
                    format!("{location}, component {}", c.scale),
                    format!("weight {} must be finite and > 0", c.weight),
                ));
            }
        }
        match p.cut {
            Cut::Theta(t) if !t.is_finite() => {
                return Err(Error::instrument(
                    format!("{location}, cut"),
                    "theta must be finite",
                ));
            }
            Cut::Percentile(q) if !(q > 0.0 && q < 100.0) => {
                return Err(Error::instrument(
                    format!("{location}, cut"),
                    format!("percentile {q} must lie strictly between 0 and 100"),
                ));
            }
            _ => {}
        }
        let t = p.tiers;
        if !(t.not_indicated >= 0.0 && t.not_indicated < t.recommended && t.recommended <= 1.0) {
            return Err(Error::instrument(
                format!("{location}, tiers"),
                format!(
                    "need 0 ≤ not_indicated < recommended ≤ 1, got {} and {}",
                    t.not_indicated, t.recommended
                ),
            ));
        }
    }
    Ok(())
}

/// A set of ids kept as a list: the instrument's id sets are small, and a list keeps
/// hashing code out of the WebAssembly package.
#[derive(Default)]
pub(crate) struct IdSet<'a>(Vec<&'a str>);

impl<'a> IdSet<'a> {
    /// Adds `id`; false when it was there already.
    pub(crate) fn insert(&mut self, id: &'a str) -> bool {
        if self.contains(id) {
            false
        } else {
            self.0.push(id);
            true
        }
    }

    /// Whether `id` is in the set.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.0.contains(&id)
    }
}

fn check_options(options: &[AnswerOption], langs: &[String], location: &str) -> Result<()> {
    if options.len() < 2 {
        return Err(Error::instrument(location, "needs at least two options"));
    }
    let mut values: Vec<i64> = Vec::with_capacity(options.len());
    for o in options {
        if values.contains(&o.value) {
            return Err(Error::instrument(
                location,
                format!("option value {} appears twice", o.value),
            ));
        }
        values.push(o.value);
        check_text(&o.text, langs, || format!("{location}, option {}", o.value))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
