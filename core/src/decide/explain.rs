//! Explanations: keys with arguments in the decision, texts in Kazakh, Russian and
//! English stored as data (`data/explanations/explanations.json`), rendered here.

use crate::error::{Error, Result};
use crate::instrument::Instrument;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The explanation texts shipped with the engine.
pub const BUNDLED_EXPLANATIONS: &str = include_str!("../../../data/explanations/explanations.json");

/// Every key the decision step can emit (the data file must have all of them).
pub const EXPLANATION_KEYS: [&str; 22] = [
    "tier.recommended",
    "tier.borderline",
    "tier.not_indicated",
    "certainty.very_likely_above",
    "certainty.likely_above",
    "certainty.uncertain",
    "certainty.likely_below",
    "certainty.very_likely_below",
    "composite.raised_by",
    "composite.lowered_by",
    "norm.composite",
    "norm.scale",
    "ranking.best",
    "ranking.next",
    "quality.caution",
    "quality.long_string",
    "quality.person_misfit",
    "quality.inconsistent_pairs",
    "quality.too_many_missing",
    "quality.too_fast",
    "uncertainty.what_it_means",
    "uncertainty.not_a_verdict",
];

/// An argument of an explanation: a scale or profile (rendered as its name in the
/// language), or a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Argument {
    /// Scale id.
    Scale(String),
    /// Profile id.
    Profile(String),
    /// A whole number (chances in 100, a percentile, a count).
    Number(i64),
    /// A decimal, written with one decimal (decimal comma in Kazakh and Russian).
    Decimal(f64),
}

/// An explanation key and its arguments, as the decision carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ExplanationKey {
    /// Key into the explanation texts, e.g. `tier.recommended`.
    pub key: String,
    /// Values of the placeholders, by name.
    pub arguments: BTreeMap<String, Argument>,
}

crate::de::map_only_serialize!(ExplanationKey);
crate::de::object_deserialize!(ExplanationKey, deny_unknown_fields = false, {
    key: String = required,
    arguments: BTreeMap<String, Argument> = required,
});

impl ExplanationKey {
    /// A key without arguments.
    pub fn new(key: impl Into<String>) -> Self {
        ExplanationKey {
            key: key.into(),
            arguments: BTreeMap::new(),
        }
    }

    /// Adds an argument.
    pub fn with(mut self, name: &str, value: Argument) -> Self {
        self.arguments.insert(name.into(), value);
        self
    }
}

/// Who reads the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The student (and the family).
    Student,
    /// The school counselor.
    Counselor,
}

impl std::str::FromStr for Audience {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "student" => Ok(Audience::Student),
            "counselor" => Ok(Audience::Counselor),
            _ => Err(Error::UnknownId {
                kind: "audience",
                id: s.to_string(),
                context: " (expected student or counselor)".into(),
            }),
        }
    }
}

/// Texts of one key: for the student, and optionally a fuller one for the counselor;
/// each maps a language code to a text with `{placeholder}`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ExplanationText {
    /// Language → text for the student.
    pub student: BTreeMap<String, String>,
    /// Language → text for the counselor (the student's text when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counselor: Option<BTreeMap<String, String>>,
}

crate::de::map_only_serialize!(ExplanationText);
crate::de::object_deserialize!(ExplanationText, deny_unknown_fields = true, {
    student: BTreeMap<String, String> = required,
    counselor: Option<BTreeMap<String, String>> = default,
});

/// The explanation texts (a data file).
///
/// # Examples
///
/// ```
/// use bagdar::decide::{Argument, Audience, ExplanationKey, Explanations};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json");
/// # let instrument = bagdar::instrument::Instrument::from_json(&std::fs::read_to_string(path).unwrap())?;
/// let texts = Explanations::bundled()?;
/// let key = ExplanationKey::new("certainty.likely_above")
///     .with("profile", Argument::Profile("teacher".into()))
///     .with("probability", Argument::Number(85))
///     .with("probability_below", Argument::Number(15));
/// let en = texts.render(&key, "en", Audience::Student, &instrument)?;
/// assert!(en.contains("85 chances in 100"));
/// let kk = texts.render(&key, "kk", Audience::Student, &instrument)?;
/// assert!(kk.contains("100") && kk.contains("85"));
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Explanations {
    /// Languages every text has.
    pub languages: Vec<String>,
    /// Key → texts.
    pub texts: BTreeMap<String, ExplanationText>,
}

crate::de::map_only_serialize!(Explanations);
crate::de::object_deserialize!(Explanations, deny_unknown_fields = true, {
    languages: Vec<String> = required,
    texts: BTreeMap<String, ExplanationText> = required,
});

fn invalid(location: impl Into<String>, message: impl Into<String>) -> Error {
    Error::InvalidDecisionData {
        file: "explanations",
        location: location.into(),
        message: message.into(),
    }
}

/// The `{name}` placeholders of a text.
pub fn placeholders(text: &str) -> BTreeSet<String> {
    placeholder_names(text).0.into_iter().collect()
}

/// The `{name}` placeholders of a text as [`placeholders`] gives them (sorted, each
/// once), kept in a list: the engine's own uses need no set type, which keeps its code
/// out of the WebAssembly package.
fn placeholder_names(text: &str) -> Names {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                if let Err(at) = out.binary_search_by(|n| n.as_str().cmp(name)) {
                    out.insert(at, name.to_string());
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    Names(out)
}

/// Sorted distinct placeholder names; `Debug` prints them as a set, as `BTreeSet` does.
#[derive(PartialEq)]
struct Names(Vec<String>);

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_set().entries(&self.0).finish()
    }
}

impl Explanations {
    /// The texts shipped with the engine ([`BUNDLED_EXPLANATIONS`]).
    ///
    /// # Errors
    ///
    /// As [`Explanations::from_json`] (never for the shipped file). The file is read
    /// without [`Explanations::from_json`]'s checks: a test runs them on it, and leaving
    /// them out keeps their code out of the WebAssembly package.
    pub fn bundled() -> Result<Self> {
        Explanations::parse(BUNDLED_EXPLANATIONS)
    }

    /// The JSON, unchecked.
    fn parse(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            invalid(
                format!("line {}, column {}", e.line(), e.column()),
                e.to_string(),
            )
        })
    }

    /// Reads and checks explanation texts: every key of [`EXPLANATION_KEYS`] present,
    /// every text in every language, the same placeholders in every language and
    /// audience of a key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDecisionData`] naming the key and language.
    pub fn from_json(text: &str) -> Result<Self> {
        let texts = Explanations::parse(text)?;
        for key in EXPLANATION_KEYS {
            if !texts.texts.contains_key(key) {
                return Err(invalid(key, "missing key"));
            }
        }
        for (key, t) in &texts.texts {
            let mut reference: Option<(String, Names)> = None;
            for (audience, map) in [
                ("student", Some(&t.student)),
                ("counselor", t.counselor.as_ref()),
            ] {
                let Some(map) = map else { continue };
                for language in &texts.languages {
                    let Some(text) = map.get(language).filter(|s| !s.trim().is_empty()) else {
                        return Err(invalid(
                            format!("{key}, {audience}"),
                            format!("missing {language} text"),
                        ));
                    };
                    let found = placeholder_names(text);
                    match &reference {
                        None => reference = Some((format!("{audience} {language}"), found)),
                        Some((where_, expected)) if *expected != found => {
                            return Err(invalid(
                                format!("{key}, {audience} {language}"),
                                format!(
                                    "placeholders {found:?} differ from {expected:?} in {where_}"
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        Ok(texts)
    }

    /// Renders a key in a language for an audience: placeholders are replaced by the
    /// arguments (scales and profiles by their names in that language from the
    /// instrument).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownId`] for an unknown key, language, scale or profile;
    /// [`Error::InvalidDecisionData`] when a placeholder has no argument.
    pub fn render(
        &self,
        key: &ExplanationKey,
        language: &str,
        audience: Audience,
        instrument: &Instrument,
    ) -> Result<String> {
        let texts = self.texts.get(&key.key).ok_or_else(|| Error::UnknownId {
            kind: "explanation key",
            id: key.key.clone(),
            context: String::new(),
        })?;
        let map = match audience {
            Audience::Counselor => texts.counselor.as_ref().unwrap_or(&texts.student),
            Audience::Student => &texts.student,
        };
        let template = map.get(language).ok_or_else(|| Error::UnknownId {
            kind: "language",
            id: language.into(),
            context: format!(" (explanation {})", key.key),
        })?;
        let mut out = template.clone();
        for name in placeholder_names(template).0 {
            let value = key.arguments.get(&name).ok_or_else(|| {
                invalid(
                    format!("{}, {language}", key.key),
                    format!("no argument for {{{name}}}"),
                )
            })?;
            let text = match value {
                Argument::Number(n) => n.to_string(),
                Argument::Decimal(x) => {
                    let s = format!("{x:.1}");
                    if language == "en" {
                        s
                    } else {
                        s.replace('.', ",")
                    }
                }
                Argument::Scale(id) => {
                    let scale = instrument
                        .scale_index(id)
                        .map(|s| &instrument.scales()[s])
                        .ok_or_else(|| Error::UnknownId {
                            kind: "scale",
                            id: id.clone(),
                            context: format!(" (explanation {})", key.key),
                        })?;
                    scale
                        .name
                        .get(language)
                        .cloned()
                        .unwrap_or_else(|| id.clone())
                }
                Argument::Profile(id) => {
                    let profile = instrument.profile(id).ok_or_else(|| Error::UnknownId {
                        kind: "profile",
                        id: id.clone(),
                        context: format!(" (explanation {})", key.key),
                    })?;
                    profile
                        .name
                        .get(language)
                        .cloned()
                        .unwrap_or_else(|| id.clone())
                }
            };
            out = out.replace(&format!("{{{name}}}"), &text);
        }
        Ok(out)
    }

    /// Renders every key of a decision, one text per key.
    ///
    /// # Errors
    ///
    /// As [`Explanations::render`].
    pub fn render_all(
        &self,
        keys: &[ExplanationKey],
        language: &str,
        audience: Audience,
        instrument: &Instrument,
    ) -> Result<Vec<String>> {
        keys.iter()
            .map(|k| self.render(k, language, audience, instrument))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Names, placeholder_names, placeholders};

    /// The shipped texts pass every check of `from_json`, and `bundled` (which skips
    /// them) reads the same texts.
    #[test]
    fn bundled_texts_pass_the_checks() {
        let checked = super::Explanations::from_json(super::BUNDLED_EXPLANATIONS).unwrap();
        assert_eq!(super::Explanations::bundled().unwrap(), checked);
    }

    /// The list gives the set's names, order and `Debug` text.
    #[test]
    fn placeholder_names_are_the_set() {
        for text in [
            "",
            "no braces",
            "{b} and {a} and {b}",
            "{profile}: {chance} in 100, {chance}",
            "{unclosed",
            "{} {a}{a} {z}{é} {A}",
            "}{x}{",
        ] {
            let set = placeholders(text);
            let names = placeholder_names(text);
            assert_eq!(names.0, set.iter().cloned().collect::<Vec<_>>(), "{text}");
            assert_eq!(format!("{names:?}"), format!("{set:?}"), "{text}");
            assert!(names == Names(set.into_iter().collect()));
        }
    }
}
