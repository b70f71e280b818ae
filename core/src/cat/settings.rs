//! CAT settings: a serde record (`data/CAT.md`), checked once against an instrument.

use crate::error::{Error, Result};
use crate::instrument::IdSet;
use crate::instrument::{Cut, Instrument};
use crate::quadrature::Quadrature;
use crate::score::{Method, ScoringSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The item-selection criterion.
///
/// # Formula
///
/// ```text
/// mfi: I_i(θ̂)                                  Fisher information at the estimate
/// kl : KL_i(θ̂) = ∫_{θ̂−δ}^{θ̂+δ} Σ_k P_ik(θ̂) ln[P_ik(θ̂)/P_ik(θ)] dθ,   δ = c/√max(n, 1)
/// pwi: Σ_q w_q I_i(θ_q)                          w_q the scale's posterior on the grid
/// ```
///
/// n is the number of items answered on the scale and c is [`Selection::kl_radius`].
/// References: Lord (1980) for MFI, Chang & Ying (1996) for KL, van der Linden (1998)
/// for posterior-weighted information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Maximum Fisher information at the interim estimate.
    #[default]
    Mfi,
    /// Kullback–Leibler information integrated over θ̂ ± c/√n (Chang & Ying 1996).
    Kl,
    /// Posterior-weighted Fisher information (van der Linden 1998).
    Pwi,
}

crate::de::unit_enum_deserialize!(Criterion { Mfi = "mfi", Kl = "kl", Pwi = "pwi" });

/// Item selection settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct Selection {
    /// The criterion.
    pub criterion: Criterion,
    /// KL: c in the half-width δ = c/√n of the integration interval (default 3).
    pub kl_radius: f64,
    /// KL: points of the grid the integral is summed on, over the scoring grid's
    /// range (default 241, a 0.05 step on [−6, 6]).
    pub kl_points: usize,
}

crate::de::map_only_serialize!(Selection);
crate::de::object_deserialize!(Selection, deny_unknown_fields = true, {
    criterion: Criterion = container,
    kl_radius: f64 = container,
    kl_points: usize = container,
});

impl Default for Selection {
    fn default() -> Self {
        Selection {
            criterion: Criterion::Mfi,
            kl_radius: 3.0,
            kl_points: 241,
        }
    }
}

/// How a battery is routed through its scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// Scale blocks in the configured order: a scale is finished before the next starts.
    #[default]
    Blocks,
    /// Interleaved: each step goes to the unfinished scale with the largest SE (ties
    /// by order).
    LargestSe,
    /// Interleaved: the unfinished scales in turn.
    RoundRobin,
}

crate::de::unit_enum_deserialize!(Routing { Blocks = "blocks", LargestSe = "largest_se", RoundRobin = "round_robin" });

/// Minimum and maximum number of items of one scale (`min` defaults to 2, `max` to
/// no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct Length {
    /// No stopping rule other than an exhausted bank ends a scale before this many items.
    pub min: usize,
    /// The scale ends at this many items (`None`: no limit but the bank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<usize>,
}

crate::de::map_only_serialize!(Length);
crate::de::object_deserialize!(Length, deny_unknown_fields = true, {
    min: usize = container,
    max: Option<usize> = default,
});

impl Default for Length {
    fn default() -> Self {
        Length { min: 2, max: None }
    }
}

/// Exposure control.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Exposure {
    /// None: always the best item.
    #[default]
    None,
    /// Randomesque (Kingsbury & Zara 1989): a seeded uniform pick among the `top` best.
    Randomesque {
        /// How many of the best items to choose from (≥ 1).
        top: usize,
    },
    /// Sympson–Hetter (1985): going down the items in order of the criterion, item i is
    /// administered with probability k_i, else set aside for the rest of the session.
    /// Items not listed have k = 1. [`super::sympson_hetter`] computes the parameters.
    SympsonHetter {
        /// Item id → exposure-control parameter k_i in (0, 1].
        parameters: BTreeMap<String, f64>,
    },
}

/// Read as the derive for `#[serde(tag = "method", deny_unknown_fields)]` would, with
/// the same errors (`crate::de`); like the derive, `none` ignores other fields.
impl<'de> Deserialize<'de> for Exposure {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let object = crate::de::tagged(
            d,
            "method",
            &["none", "randomesque", "sympson_hetter"],
            "internally tagged enum Exposure",
        )?;
        let mut top = None;
        let mut parameters = None;
        match object.variant {
            0 => return Ok(Exposure::None),
            1 => object.visit_fields(&["top"], &mut |_, value| {
                top = Some(value.usize()?);
                Ok(())
            })?,
            _ => object.visit_fields(&["parameters"], &mut |_, value| {
                parameters = Some(value.f64_map()?);
                Ok(())
            })?,
        }
        Ok(match (top, parameters) {
            (Some(top), _) => Exposure::Randomesque { top },
            (_, Some(parameters)) => Exposure::SympsonHetter { parameters },
            _ if object.variant == 1 => return Err(serde::de::Error::missing_field("top")),
            _ => return Err(serde::de::Error::missing_field("parameters")),
        })
    }
}

/// The sequential test of a classification rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClassificationMethod {
    /// Wald's SPRT with an indifference region (Eggen 1999).
    #[default]
    Sprt,
    /// The generalized likelihood ratio (Thompson 2009).
    Glr,
}

crate::de::unit_enum_deserialize!(ClassificationMethod { Sprt = "sprt", Glr = "glr" });

/// Where a classification cut comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CutSource {
    /// A cut on the scale's θ metric.
    Theta(f64),
    /// The θ cut of a profile of the instrument (e.g. `teacher`), applied to the scale.
    Profile(String),
}

/// Classification stopping: the scale ends as soon as θ is decided above or below the
/// cut with the stated error rates.
///
/// # Formula
///
/// ```text
/// θ₁ = cut − δ,  θ₂ = cut + δ,   ℓ(θ) = Σ_i ln P_{i,x_i}(θ)
/// SPRT: Λ = ℓ(θ₂) − ℓ(θ₁)
/// GLR : Λ = max_{θ ≥ θ₂} ℓ(θ) − max_{θ ≤ θ₁} ℓ(θ)
/// Λ ≥ ln((1 − β)/α)  → above;   Λ ≤ ln(β/(1 − α))  → below;   otherwise continue
/// ```
///
/// α = P(above | θ₁), β = P(below | θ₂). GLR maxima are taken on the scoring grid and at
/// θ₁, θ₂. References: Wald (1947); Eggen (1999); Thompson (2009).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ClassificationRule {
    /// Scale id.
    pub scale: String,
    /// The cut.
    pub cut: CutSource,
    /// SPRT or GLR.
    #[serde(default)]
    pub method: ClassificationMethod,
    /// Half-width δ of the indifference region (> 0).
    pub indifference: f64,
    /// α: error rate of deciding "above" at θ₁ (0 < α < 0.5).
    pub alpha: f64,
    /// β: error rate of deciding "below" at θ₂ (0 < β < 0.5).
    pub beta: f64,
}

crate::de::map_only_serialize!(ClassificationRule);
crate::de::object_deserialize!(ClassificationRule, deny_unknown_fields = true, {
    scale: String = required,
    cut: CutSource = required,
    method: ClassificationMethod = default,
    indifference: f64 = required,
    alpha: f64 = required,
    beta: f64 = required,
});

/// Interim estimation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct Estimation {
    /// Method, grid, prior and bounds (EAP by default).
    pub scoring: ScoringSettings,
    /// Used while the chosen method has no finite estimate (ML before a mixed pattern,
    /// ML/WLE before any answer): EAP (default) or MAP.
    pub fallback: Method,
    /// θ used for selection before the scale's first answer (default: the prior mean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
}

crate::de::map_only_serialize!(Estimation);
crate::de::object_deserialize!(Estimation, deny_unknown_fields = true, {
    scoring: ScoringSettings = container,
    fallback: Method = container,
    start: Option<f64> = container,
});

impl Default for Estimation {
    fn default() -> Self {
        Estimation {
            scoring: ScoringSettings::default(),
            fallback: Method::Eap,
            start: None,
        }
    }
}

/// Everything a CAT session is configured by (the JSON form is documented in
/// `data/CAT.md`). Enemies and Sympson–Hetter parameters live here, not in the
/// instrument, so the instrument's checksum does not depend on them.
///
/// # Examples
///
/// ```
/// use bagdar::cat::CatSettings;
/// let s: CatSettings = serde_json::from_str(r#"{"se_target": 0.3, "exposure": {"method": "randomesque", "top": 3}}"#)?;
/// assert_eq!(s.se_target, Some(0.3));
/// assert_eq!(s.length.min, 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct CatSettings {
    /// Item selection.
    pub selection: Selection,
    /// Scale routing.
    pub routing: Routing,
    /// Scales to administer, in order (empty: every scale in instrument order).
    pub scales: Vec<String>,
    /// Length limits of every scale.
    pub length: Length,
    /// Per-scale length limits replacing [`CatSettings::length`].
    pub scale_lengths: BTreeMap<String, Length>,
    /// The whole session ends at this many items.
    pub max_total: Option<usize>,
    /// A scale ends when its SE (posterior SD for EAP) is at or below this (default
    /// 0.4; `null` turns the SE stop off, and is written out so that it round-trips).
    pub se_target: Option<f64>,
    /// A scale ends when no remaining eligible item has Fisher information at θ̂ above
    /// this (after the minimum length).
    pub min_information: f64,
    /// Interim estimation.
    pub estimation: Estimation,
    /// Kingsbury–Zara content balancing: content area → target proportion within its
    /// scale (empty: off). Items of areas not listed are used when no listed area of the
    /// scale has an eligible item.
    pub content_targets: BTreeMap<String, f64>,
    /// Enemy groups: at most one item of each group is administered.
    pub enemies: Vec<Vec<String>>,
    /// Exposure control.
    pub exposure: Exposure,
    /// Classification stopping rules, at most one per scale.
    pub classification: Vec<ClassificationRule>,
}

crate::de::map_only_serialize!(CatSettings);
crate::de::object_deserialize!(CatSettings, deny_unknown_fields = true, {
    selection: Selection = container,
    routing: Routing = container,
    scales: Vec<String> = container,
    length: Length = container,
    scale_lengths: BTreeMap<String, Length> = container,
    max_total: Option<usize> = container,
    se_target: Option<f64> = container,
    min_information: f64 = container,
    estimation: Estimation = container,
    content_targets: BTreeMap<String, f64> = container,
    enemies: Vec<Vec<String>> = container,
    exposure: Exposure = container,
    classification: Vec<ClassificationRule> = container,
});

impl Default for CatSettings {
    fn default() -> Self {
        CatSettings {
            selection: Selection::default(),
            routing: Routing::Blocks,
            scales: Vec::new(),
            length: Length::default(),
            scale_lengths: BTreeMap::new(),
            max_total: None,
            se_target: Some(0.4),
            min_information: 0.01,
            estimation: Estimation::default(),
            content_targets: BTreeMap::new(),
            enemies: Vec::new(),
            exposure: Exposure::None,
            classification: Vec::new(),
        }
    }
}

impl CatSettings {
    /// Reads settings from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] with the parser's line and column.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).map_err(|e| {
            Error::setting(
                "cat settings",
                format!("JSON, line {}, column {}: {e}", e.line(), e.column()),
            )
        })
    }

    /// Checks the settings against an instrument.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownId`] for a scale, item, content area or profile that the
    /// instrument lacks; [`Error::InvalidSetting`] for a value out of range (named in the
    /// error), e.g. `min > max`, an SE target ≤ 0, α ∉ (0, 0.5), k_i ∉ (0, 1], a
    /// percentile profile cut, or a fallback other than EAP/MAP.
    pub fn check(&self, instrument: &Instrument) -> Result<()> {
        let unknown = |kind: &'static str, id: &str, context: &str| Error::UnknownId {
            kind,
            id: id.to_string(),
            context: format!(" (cat settings, {context})"),
        };
        let s = &self.selection;
        if !(s.kl_radius.is_finite() && s.kl_radius > 0.0) {
            return Err(Error::setting(
                "selection.kl_radius",
                format!("{} must be finite and > 0", s.kl_radius),
            ));
        }
        if !(2..=10_000).contains(&s.kl_points) {
            return Err(Error::setting(
                "selection.kl_points",
                format!("{} is not between 2 and 10000", s.kl_points),
            ));
        }
        let mut seen = IdSet::default();
        for id in &self.scales {
            if instrument.scale_index(id).is_none() {
                return Err(unknown("scale", id, "scales"));
            }
            if !seen.insert(id) {
                return Err(Error::setting(
                    "scales",
                    format!("scale {id} appears twice"),
                ));
            }
        }
        check_length(&self.length, "length")?;
        for (id, length) in &self.scale_lengths {
            if instrument.scale_index(id).is_none() {
                return Err(unknown("scale", id, "scale_lengths"));
            }
            check_length(length, &format!("scale_lengths.{id}"))?;
        }
        if self.max_total == Some(0) {
            return Err(Error::setting("max_total", "must be at least 1"));
        }
        if let Some(se) = self.se_target
            && !(se.is_finite() && se > 0.0)
        {
            return Err(Error::setting(
                "se_target",
                format!("{se} must be finite and > 0"),
            ));
        }
        if !(self.min_information.is_finite() && self.min_information >= 0.0) {
            return Err(Error::setting(
                "min_information",
                format!("{} must be finite and ≥ 0", self.min_information),
            ));
        }
        let e = &self.estimation;
        Quadrature::new(&e.scoring.grid, &e.scoring.prior)?;
        let [lo, hi] = e.scoring.bounds;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::setting(
                "estimation.scoring.bounds",
                format!("need finite lower < upper, got [{lo}, {hi}]"),
            ));
        }
        if e.scoring.method == Method::Map
            && matches!(e.scoring.prior, crate::quadrature::Prior::Discrete { .. })
        {
            return Err(Error::setting(
                "estimation.scoring.prior",
                "MAP needs a normal prior; a discrete prior has no density (use EAP)",
            ));
        }
        if !matches!(e.fallback, Method::Eap | Method::Map) {
            return Err(Error::setting(
                "estimation.fallback",
                format!("{} is not eap or map", e.fallback.name()),
            ));
        }
        if e.fallback == Method::Map
            && matches!(e.scoring.prior, crate::quadrature::Prior::Discrete { .. })
        {
            return Err(Error::setting(
                "estimation.fallback",
                "MAP needs a normal prior; a discrete prior has no density",
            ));
        }
        if let Some(t) = e.start
            && !t.is_finite()
        {
            return Err(Error::setting(
                "estimation.start",
                format!("{t} is not finite"),
            ));
        }
        let mut areas = IdSet::default();
        for area in instrument
            .definition()
            .items
            .iter()
            .filter_map(|i| i.content_area.as_deref())
        {
            areas.insert(area);
        }
        for (area, p) in &self.content_targets {
            if !areas.contains(area.as_str()) {
                return Err(unknown("content area", area, "content_targets"));
            }
            if !(p.is_finite() && *p > 0.0 && *p <= 1.0) {
                return Err(Error::setting(
                    format!("content_targets.{area}"),
                    format!("{p} must be in (0, 1]"),
                ));
            }
        }
        for (g, group) in self.enemies.iter().enumerate() {
            if group.len() < 2 {
                return Err(Error::setting(
                    format!("enemies[{g}]"),
                    "an enemy group needs at least two items",
                ));
            }
            for id in group {
                if instrument.item_index(id).is_none() {
                    return Err(unknown("item", id, &format!("enemies[{g}]")));
                }
            }
        }
        match &self.exposure {
            Exposure::None => {}
            Exposure::Randomesque { top } => {
                if *top == 0 {
                    return Err(Error::setting("exposure.top", "must be at least 1"));
                }
            }
            Exposure::SympsonHetter { parameters } => {
                for (id, k) in parameters {
                    if instrument.item_index(id).is_none() {
                        return Err(unknown("item", id, "exposure.parameters"));
                    }
                    if !(k.is_finite() && *k > 0.0 && *k <= 1.0) {
                        return Err(Error::setting(
                            format!("exposure.parameters.{id}"),
                            format!("{k} must be in (0, 1]"),
                        ));
                    }
                }
            }
        }
        let mut ruled = IdSet::default();
        for (r, rule) in self.classification.iter().enumerate() {
            let at = |field: &str| format!("classification[{r}].{field}");
            if instrument.scale_index(&rule.scale).is_none() {
                return Err(unknown("scale", &rule.scale, &at("scale")));
            }
            if !ruled.insert(&rule.scale) {
                return Err(Error::setting(
                    at("scale"),
                    format!("scale {} has two classification rules", rule.scale),
                ));
            }
            rule.cut_theta(instrument).map_err(|e| match e {
                Error::UnknownId { kind, id, .. } => unknown(kind, &id, &at("cut")),
                other => other,
            })?;
            if !(rule.indifference.is_finite() && rule.indifference > 0.0) {
                return Err(Error::setting(
                    at("indifference"),
                    format!("{} must be finite and > 0", rule.indifference),
                ));
            }
            for (name, v) in [("alpha", rule.alpha), ("beta", rule.beta)] {
                if !(v > 0.0 && v < 0.5) {
                    return Err(Error::setting(at(name), format!("{v} must be in (0, 0.5)")));
                }
            }
        }
        Ok(())
    }

    /// The length limits of a scale.
    pub fn length_of(&self, scale: &str) -> Length {
        self.scale_lengths
            .get(scale)
            .copied()
            .unwrap_or(self.length)
    }
}

impl ClassificationRule {
    /// The cut on the θ metric.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownId`] for an unknown profile, [`Error::InvalidSetting`] for a
    /// non-finite θ or a profile whose cut is a percentile.
    pub fn cut_theta(&self, instrument: &Instrument) -> Result<f64> {
        let t = match &self.cut {
            CutSource::Theta(t) => *t,
            CutSource::Profile(id) => match instrument.profile(id) {
                None => {
                    return Err(Error::UnknownId {
                        kind: "profile",
                        id: id.clone(),
                        context: String::new(),
                    });
                }
                Some(p) => match p.cut {
                    Cut::Theta(t) => t,
                    Cut::Percentile(q) => {
                        return Err(Error::setting(
                            "classification.cut",
                            format!(
                                "profile {id} has a percentile cut ({q}); give the θ cut instead"
                            ),
                        ));
                    }
                },
            },
        };
        if !t.is_finite() {
            return Err(Error::setting(
                "classification.cut",
                format!("{t} is not finite"),
            ));
        }
        Ok(t)
    }
}

fn check_length(length: &Length, field: &str) -> Result<()> {
    if let Some(max) = length.max {
        if max == 0 {
            return Err(Error::setting(format!("{field}.max"), "must be at least 1"));
        }
        if length.min > max {
            return Err(Error::setting(
                field,
                format!("min {} > max {max}", length.min),
            ));
        }
    }
    Ok(())
}
