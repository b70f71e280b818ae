//! Linking whole instruments: common items found by id, one linking per scale.

use super::{LinkMethod, LinkSettings, Linking, link_items};
use crate::error::{Error, Result};
use crate::instrument::InstrumentDefinition;
use crate::model::ItemModel;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The linking of one scale of a new form to the same scale of the base form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleLinking {
    /// Scale id.
    pub scale: String,
    /// Ids of the common items used, in the new form's order.
    pub common_items: Vec<String>,
    /// The transformation θ_base = A·θ_new + B of this scale.
    pub linking: Linking,
}

/// Links every chosen scale of the `new` instrument to the `base` instrument through
/// the items the two share (same item id; on the same scale, keyed the same way).
///
/// `scales` names the scales to link; empty means every scale of the new form. Each
/// scale is linked on its own with [`super::link`] (one θ scale per scale id).
///
/// # Formula
///
/// ```text
/// per scale s:   θ_base,s = A_s·θ_new,s + B_s    from the common items of s
/// ```
///
/// # Errors
///
/// [`Error::UnknownId`] for a scale in `scales` the new form lacks (or the base form
/// lacks); [`Error::CommonItemMismatch`] for a common item on different scales or keyed
/// differently on the two forms, or with a different model family or category count;
/// [`Error::TooFewCommonItems`] (naming the scale) when a scale shares too few items;
/// the other errors of [`super::link`] with items named by id.
///
/// # Examples
///
/// ```
/// use bagdar::instrument::Instrument;
/// use bagdar::link::{LinkMethod, LinkSettings, link_forms};
/// let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let base = Instrument::from_json(&text)?;
/// let scales = vec!["verbal".to_string()];
/// let same = link_forms(base.definition(), base.definition(), &scales, LinkMethod::StockingLord, &LinkSettings::default())?;
/// assert_eq!(same[0].common_items.len(), 12);
/// assert!((same[0].linking.slope - 1.0).abs() < 1e-9 && same[0].linking.intercept.abs() < 1e-9);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn link_forms(
    base: &InstrumentDefinition,
    new: &InstrumentDefinition,
    scales: &[String],
    method: LinkMethod,
    settings: &LinkSettings,
) -> Result<Vec<ScaleLinking>> {
    let chosen: Vec<String> = if scales.is_empty() {
        new.scales.iter().map(|s| s.id.clone()).collect()
    } else {
        for scale in scales {
            for (form, definition) in [("new", new), ("base", base)] {
                if !definition.scales.iter().any(|s| &s.id == scale) {
                    return Err(Error::UnknownId {
                        kind: "scale",
                        id: scale.clone(),
                        context: format!(" (not in the {form} form)"),
                    });
                }
            }
        }
        scales.to_vec()
    };
    let base_items: HashMap<&str, _> = base.items.iter().map(|i| (i.id.as_str(), i)).collect();
    chosen
        .into_iter()
        .map(|scale| {
            let mut ids = Vec::new();
            let (mut base_models, mut new_models) = (Vec::new(), Vec::new());
            for item in new.items.iter().filter(|i| i.scale == scale) {
                let Some(other) = base_items.get(item.id.as_str()) else {
                    continue;
                };
                let mismatch = |base: String, new: String| Error::CommonItemMismatch {
                    item: item.id.clone(),
                    base,
                    new,
                };
                if other.scale != item.scale {
                    return Err(mismatch(
                        format!("on scale {}", other.scale),
                        format!("on scale {}", item.scale),
                    ));
                }
                if other.reverse_keyed != item.reverse_keyed {
                    let keyed = |r: bool| {
                        if r {
                            "reverse-keyed"
                        } else {
                            "not reverse-keyed"
                        }
                    };
                    return Err(mismatch(
                        keyed(other.reverse_keyed).into(),
                        keyed(item.reverse_keyed).into(),
                    ));
                }
                ids.push(item.id.clone());
                base_models.push(other.model.clone());
                new_models.push(item.model.clone());
            }
            let names: Vec<&str> = ids.iter().map(String::as_str).collect();
            let linking = link_items(
                &base_models,
                &new_models,
                Some(&names),
                &format!(" on scale {scale}"),
                method,
                settings,
            )?;
            Ok(ScaleLinking {
                scale,
                common_items: ids,
                linking,
            })
        })
        .collect()
}

/// The new form with every item of each linked scale moved to the base scale by
/// [`Linking::transform`] (common and unique items alike); items of other scales,
/// scales, profiles and texts are copied unchanged. Validate the result with
/// [`crate::instrument::Instrument::new`] before use.
pub fn transform_form(
    new: &InstrumentDefinition,
    linkings: &[ScaleLinking],
) -> InstrumentDefinition {
    let by_scale: HashMap<&str, &Linking> = linkings
        .iter()
        .map(|l| (l.scale.as_str(), &l.linking))
        .collect();
    let mut out = new.clone();
    for item in &mut out.items {
        if let Some(linking) = by_scale.get(item.scale.as_str()) {
            let moved: ItemModel = linking.transform(&item.model);
            item.model = moved;
        }
    }
    out
}
