//! Calibrating a whole battery: every scale on its own items.

use super::{
    Calibration, CalibrationSettings, GroupCalibration, GroupSettings, ItemSpec, calibrate,
    calibrate_groups,
};
use crate::error::Result;
use crate::fit::{ItemFit, LikelihoodRatioDif, M2, item_fit, likelihood_ratio_dif, m2};
use crate::instrument::{Instrument, InstrumentDefinition};
use crate::response::ResponseMatrix;
use serde::Serialize;

/// One scale's calibration within a battery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleCalibration {
    /// Scale id.
    pub scale: String,
    /// Item ids of the scale, in calibration order.
    pub items: Vec<String>,
    /// The fit.
    pub calibration: Calibration,
}

/// Calibrates every scale of an instrument separately (between-item unidimensional
/// scales), each item keeping its model family; the instrument's current parameters
/// are the starting values. Returns the definition with the estimated parameters and
/// one fit per scale, whose `status` says whether it converged.
///
/// `settings.model` and `settings.items` are ignored (the instrument says them); the
/// grid, population, priors, tolerances and acceleration apply to every scale.
///
/// # Errors
///
/// [`crate::Error::WrongItemCount`] when the data do not have the instrument's items, and
/// the errors of [`calibrate`] for any scale.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, calibrate_battery};
/// use bagdar::simulate::{CohortSettings, cohort};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let students = cohort(&instrument, &CohortSettings { students: 300, malformed_rows: false, ..Default::default() })?;
/// let raw: Vec<f64> = students.rows.iter()
///     .flat_map(|r| r[4..].iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)))
///     .collect();
/// let data = instrument.code_matrix(300, &raw)?;
/// let (definition, fits) = calibrate_battery(&instrument, &data, &CalibrationSettings::default())?;
/// assert_eq!(fits.len(), 12);
/// assert_eq!(definition.items.len(), 104);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn calibrate_battery(
    instrument: &Instrument,
    responses: &ResponseMatrix,
    settings: &CalibrationSettings,
) -> Result<(InstrumentDefinition, Vec<ScaleCalibration>)> {
    calibrate_battery_as(instrument, responses, settings, &[])
}

/// As [`calibrate_battery`], but each item whose number of categories fits one of
/// `models` is re-estimated in that family (the first that fits: a dichotomous family
/// for two-category items, a polytomous one for the others), with starting values from
/// the data; the other items keep their family and start from their parameters.
///
/// # Errors
///
/// As [`calibrate_battery`].
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, calibrate_battery_as};
/// use bagdar::model::ModelKind;
/// use bagdar::simulate::{CohortSettings, cohort};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let students = cohort(&instrument, &CohortSettings { students: 300, malformed_rows: false, ..Default::default() })?;
/// let raw: Vec<f64> = students.rows.iter()
///     .flat_map(|r| r[4..].iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)))
///     .collect();
/// let data = instrument.code_matrix(300, &raw)?;
/// let models = [ModelKind::TwoPl, ModelKind::Gpcm];
/// let (definition, _) = calibrate_battery_as(&instrument, &data, &CalibrationSettings::default(), &models)?;
/// assert_eq!(definition.items[0].model.kind(), ModelKind::Gpcm); // a Likert item
/// assert_eq!(definition.items[103].model.kind(), ModelKind::TwoPl); // a keyed item
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn calibrate_battery_as(
    instrument: &Instrument,
    responses: &ResponseMatrix,
    settings: &CalibrationSettings,
    models: &[crate::model::ModelKind],
) -> Result<(InstrumentDefinition, Vec<ScaleCalibration>)> {
    check_items(instrument, responses)?;
    let mut definition = instrument.definition().clone();
    let mut fits = Vec::with_capacity(instrument.scales().len());
    for (scale, columns) in instrument.scales().iter().zip(instrument.scale_items()) {
        let scale_settings = scale_settings(instrument, columns, settings, models);
        let fit = calibrate(&responses.select_columns(columns), &scale_settings)?;
        for (&i, model) in columns.iter().zip(&fit.items) {
            definition.items[i].model = model.clone();
        }
        fits.push(ScaleCalibration {
            scale: scale.id.clone(),
            items: columns
                .iter()
                .map(|&i| definition.items[i].id.clone())
                .collect(),
            calibration: fit,
        });
    }
    Ok((definition, fits))
}

/// The settings of one scale: each item in the first of `models` that fits its number
/// of categories, else its instrument family starting from its parameters.
fn scale_settings(
    instrument: &Instrument,
    columns: &[usize],
    settings: &CalibrationSettings,
    models: &[crate::model::ModelKind],
) -> CalibrationSettings {
    use crate::model::ResponseCurve;
    CalibrationSettings {
        items: columns
            .iter()
            .map(|&i| {
                let dichotomous = instrument.items()[i].categories() == 2;
                match models.iter().find(|k| k.is_dichotomous() == dichotomous) {
                    Some(&kind) => ItemSpec::Estimate(kind),
                    None => ItemSpec::Start(instrument.definition().items[i].model.clone()),
                }
            })
            .collect(),
        ..settings.clone()
    }
}

/// One scale's multi-group calibration within a battery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleGroupCalibration {
    /// Scale id.
    pub scale: String,
    /// Item ids of the scale, in calibration order.
    pub items: Vec<String>,
    /// The fit with every item invariant across the groups.
    pub calibration: GroupCalibration,
    /// Likelihood-ratio DIF of every item (all others as anchors), when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dif: Option<Vec<LikelihoodRatioDif>>,
}

/// Calibrates every scale of an instrument in several groups at once (e.g. the
/// language forms; see [`super::calibrate_groups`]): items invariant, the first group
/// the reference with the population of `settings`, the others with estimated means
/// and SDs, so the groups' ability differences are measured on one scale. With `dif`,
/// each scale's items are also tested for likelihood-ratio DIF across the groups
/// ([`crate::fit::likelihood_ratio_dif`], all other items as anchors). Returns the
/// definition with the invariant estimates, and one fit per scale.
///
/// # Errors
///
/// [`crate::Error::WrongItemCount`] when the data do not have the instrument's items,
/// and the errors of [`super::calibrate_groups`] for any scale.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, calibrate_battery_groups};
/// use bagdar::simulate::{CohortSettings, cohort};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let students = cohort(&instrument, &CohortSettings { students: 400, malformed_rows: false, ..Default::default() })?;
/// let raw: Vec<f64> = students.rows.iter()
///     .flat_map(|r| r[4..].iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)))
///     .collect();
/// let data = instrument.code_matrix(400, &raw)?;
/// let groups: Vec<usize> = (0..400).map(|p| p % 2).collect();
/// let names = ["kk".to_string(), "ru".to_string()];
/// let (_, fits) = calibrate_battery_groups(&instrument, &data, &groups, &names, &CalibrationSettings::default(), &[], false)?;
/// assert_eq!(fits.len(), 12);
/// assert_eq!(fits[0].calibration.means.len(), 2);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn calibrate_battery_groups(
    instrument: &Instrument,
    responses: &ResponseMatrix,
    groups: &[usize],
    names: &[String],
    settings: &CalibrationSettings,
    models: &[crate::model::ModelKind],
    dif: bool,
) -> Result<(InstrumentDefinition, Vec<ScaleGroupCalibration>)> {
    check_items(instrument, responses)?;
    let mut definition = instrument.definition().clone();
    let mut fits = Vec::with_capacity(instrument.scales().len());
    for (scale, columns) in instrument.scales().iter().zip(instrument.scale_items()) {
        let group_settings = GroupSettings {
            calibration: scale_settings(instrument, columns, settings, models),
            groups: names.to_vec(),
            ..Default::default()
        };
        let data = responses.select_columns(columns);
        let (calibration, table) = if dif {
            let table = likelihood_ratio_dif(&data, groups, &group_settings, None)?;
            (table.baseline, Some(table.items))
        } else {
            (calibrate_groups(&data, groups, &group_settings)?, None)
        };
        for (&i, model) in columns.iter().zip(&calibration.items[0]) {
            definition.items[i].model = model.clone();
        }
        fits.push(ScaleGroupCalibration {
            scale: scale.id.clone(),
            items: columns
                .iter()
                .map(|&i| definition.items[i].id.clone())
                .collect(),
            calibration,
            dif: table,
        });
    }
    Ok((definition, fits))
}

/// Model fit of one scale of a battery calibration ([`battery_fit`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleFit {
    /// Scale id.
    pub scale: String,
    /// Persons who answered every item of the scale (the statistics' sample).
    pub persons: usize,
    /// Limited-information fit of the scale (M2, or M2* for polytomous items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub m2: Option<M2>,
    /// S-X2 and infit/outfit per item, in the scale's item order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemFit>,
    /// Why a statistic is missing (e.g. no degrees of freedom, too few complete cases).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Model fit of every scale of a battery calibration from [`calibrate_battery_as`]
/// (same `settings` and `models`): [`crate::fit::m2`] and [`crate::fit::item_fit`] on
/// the persons who answered every item of the scale (the statistics need complete
/// data). A statistic that cannot be computed for a scale is left out with a note, so
/// one short scale does not hide the others.
///
/// # Errors
///
/// [`crate::Error::WrongItemCount`] when the data do not have the instrument's items;
/// [`crate::Error::InvalidSetting`] when `fits` is not one per scale.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, battery_fit, calibrate_battery};
/// use bagdar::simulate::{CohortSettings, cohort};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let students = cohort(&instrument, &CohortSettings { students: 400, malformed_rows: false, ..Default::default() })?;
/// let raw: Vec<f64> = students.rows.iter()
///     .flat_map(|r| r[4..].iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)))
///     .collect();
/// let data = instrument.code_matrix(400, &raw)?;
/// let settings = CalibrationSettings::default();
/// let (_, fits) = calibrate_battery(&instrument, &data, &settings)?;
/// let fit = battery_fit(&instrument, &data, &settings, &[], &fits)?;
/// assert_eq!(fit.len(), 12);
/// assert!(fit.iter().all(|s| s.m2.is_some() || !s.notes.is_empty()));
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn battery_fit(
    instrument: &Instrument,
    responses: &ResponseMatrix,
    settings: &CalibrationSettings,
    models: &[crate::model::ModelKind],
    fits: &[ScaleCalibration],
) -> Result<Vec<ScaleFit>> {
    check_items(instrument, responses)?;
    if fits.len() != instrument.scales().len() {
        return Err(crate::Error::setting(
            "fits",
            format!(
                "{} scale calibrations for an instrument of {} scales",
                fits.len(),
                instrument.scales().len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(fits.len());
    for ((scale, columns), fit) in instrument
        .scales()
        .iter()
        .zip(instrument.scale_items())
        .zip(fits)
    {
        let scale_settings = scale_settings(instrument, columns, settings, models);
        let data = responses.select_columns(columns);
        let complete: Vec<u8> = (0..data.persons())
            .map(|p| data.row(p))
            .filter(|row| row.iter().all(|&v| v != crate::response::MISSING))
            .flatten()
            .copied()
            .collect();
        let persons = complete.len() / columns.len().max(1);
        let data = ResponseMatrix::new(persons, columns.len(), complete)?;
        let mut notes = Vec::new();
        let m2 = match m2(&data, &scale_settings, &fit.calibration) {
            Ok(m) => Some(m),
            Err(e) => {
                notes.push(e.to_string());
                None
            }
        };
        let items = match item_fit(&data, &scale_settings, &fit.calibration) {
            Ok(items) => items,
            Err(e) => {
                notes.push(e.to_string());
                Vec::new()
            }
        };
        out.push(ScaleFit {
            scale: scale.id.clone(),
            persons,
            m2,
            items,
            notes,
        });
    }
    Ok(out)
}

/// [`crate::Error::WrongItemCount`] unless the data have the instrument's items.
fn check_items(instrument: &Instrument, responses: &ResponseMatrix) -> Result<()> {
    if responses.items() == instrument.items().len() {
        Ok(())
    } else {
        Err(crate::Error::WrongItemCount {
            expected: instrument.items().len(),
            found: responses.items(),
        })
    }
}
