//! The serde types of the instrument file (format version 1, see `data/FORMAT.md`).

use crate::model::ItemModel;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A text in every language of the instrument: language code → text.
pub type Text = BTreeMap<String, String>;

/// An instrument file as written: metadata, scales, items and profession profiles.
/// [`super::Instrument::from_json`] parses and validates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct InstrumentDefinition {
    /// Format version; this build reads 1.
    pub format_version: u32,
    /// Short identifier, e.g. `kasip-demo`.
    pub id: String,
    /// The instrument's own version.
    pub version: String,
    /// Title in every language.
    pub title: Text,
    /// Description in every language.
    #[serde(default)]
    pub description: Text,
    /// True when the parameters are illustrative, not calibrated on real respondents.
    #[serde(default)]
    pub demonstration: bool,
    /// Language codes every text must have (`kk`, `ru`, `en`).
    pub languages: Vec<String>,
    /// Shared answer scales, referenced by items through `option_set`.
    #[serde(default)]
    pub option_sets: BTreeMap<String, Vec<AnswerOption>>,
    /// The scales (unidimensional traits) of the battery.
    pub scales: Vec<ScaleDefinition>,
    /// The items, each on one scale.
    pub items: Vec<ItemDefinition>,
    /// Profession profiles for the decision step.
    #[serde(default)]
    pub profiles: Vec<Profile>,
}

crate::de::map_only_serialize!(InstrumentDefinition);
crate::de::object_deserialize!(InstrumentDefinition, deny_unknown_fields = true, {
    format_version: u32 = required,
    id: String = required,
    version: String = required,
    title: Text = required,
    description: Text = default,
    demonstration: bool = default,
    languages: Vec<String> = required,
    option_sets: BTreeMap<String, Vec<AnswerOption>> = default,
    scales: Vec<ScaleDefinition> = required,
    items: Vec<ItemDefinition> = required,
    profiles: Vec<Profile> = default,
});

/// What a scale measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScaleKind {
    /// Vocational interest (RIASEC).
    Interest,
    /// Disposition (e.g. pedagogical dispositions).
    Disposition,
    /// Aptitude (reasoning tests).
    Aptitude,
}

crate::de::unit_enum_deserialize!(ScaleKind { Interest = "interest", Disposition = "disposition", Aptitude = "aptitude" });

/// A scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ScaleDefinition {
    /// Identifier, referenced by items and profiles.
    pub id: String,
    /// Interest, disposition or aptitude.
    pub kind: ScaleKind,
    /// Name in every language.
    pub name: Text,
    /// Description in every language.
    #[serde(default)]
    pub description: Text,
}

crate::de::map_only_serialize!(ScaleDefinition);
crate::de::object_deserialize!(ScaleDefinition, deny_unknown_fields = true, {
    id: String = required,
    kind: ScaleKind = required,
    name: Text = required,
    description: Text = default,
});

/// One answer option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct AnswerOption {
    /// The value recorded in response files.
    pub value: i64,
    /// Option text in every language.
    pub text: Text,
}

crate::de::map_only_serialize!(AnswerOption);
crate::de::object_deserialize!(AnswerOption, deny_unknown_fields = true, {
    value: i64 = required,
    text: Text = required,
});

/// An item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ItemDefinition {
    /// Identifier; also the response-file column name.
    pub id: String,
    /// The scale the item measures.
    pub scale: String,
    /// Content area (for content balancing and reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_area: Option<String>,
    /// Negatively worded: option i is model category K−1−i.
    #[serde(default)]
    pub reverse_keyed: bool,
    /// Item stem in every language.
    pub stem: Text,
    /// Name of a shared option set (or use `options`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_set: Option<String>,
    /// The item's own options (or use `option_set`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<AnswerOption>>,
    /// Multiple choice: the value of the correct option (scored 1, others 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<i64>,
    /// Response model and parameters (D = 1, slope-intercept).
    pub model: ItemModel,
}

crate::de::map_only_serialize!(ItemDefinition);
crate::de::object_deserialize!(ItemDefinition, deny_unknown_fields = true, {
    id: String = required,
    scale: String = required,
    content_area: Option<String> = default,
    reverse_keyed: bool = default,
    stem: Text = required,
    option_set: Option<String> = default,
    options: Option<Vec<AnswerOption>> = default,
    key: Option<i64> = default,
    model: ItemModel = required,
});

/// A profession profile: a weighted composite of scales and a decision rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Profile {
    /// Identifier, e.g. `teacher`.
    pub id: String,
    /// Name in every language.
    pub name: Text,
    /// Description in every language.
    #[serde(default)]
    pub description: Text,
    /// Scales and their (positive) weights.
    pub components: Vec<Component>,
    /// The cut on the composite.
    pub cut: Cut,
    /// Probability thresholds of the three tiers.
    #[serde(default)]
    pub tiers: Tiers,
}

crate::de::map_only_serialize!(Profile);
crate::de::object_deserialize!(Profile, deny_unknown_fields = true, {
    id: String = required,
    name: Text = required,
    description: Text = default,
    components: Vec<Component> = required,
    cut: Cut = required,
    tiers: Tiers = default,
});

/// One scale of a profile composite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Component {
    /// Scale id.
    pub scale: String,
    /// Weight (> 0).
    pub weight: f64,
}

crate::de::map_only_serialize!(Component);
crate::de::object_deserialize!(Component, deny_unknown_fields = true, {
    scale: String = required,
    weight: f64 = required,
});

/// Where the cut on a composite lies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cut {
    /// On the θ metric of the composite.
    Theta(f64),
    /// As a percentile (0–100) of the norm group.
    Percentile(f64),
}

/// Tier thresholds on P(composite > cut).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Tiers {
    /// P ≥ this: recommended.
    pub recommended: f64,
    /// P ≤ this: not indicated (between the two: borderline).
    pub not_indicated: f64,
}

crate::de::map_only_serialize!(Tiers);
crate::de::object_deserialize!(Tiers, deny_unknown_fields = true, {
    recommended: f64 = required,
    not_indicated: f64 = required,
});

impl Default for Tiers {
    fn default() -> Self {
        Tiers {
            recommended: 0.8,
            not_indicated: 0.2,
        }
    }
}
