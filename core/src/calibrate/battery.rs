//! Calibrating a whole battery: every scale on its own items.

use super::{Calibration, CalibrationSettings, ItemSpec, calibrate};
use crate::error::Result;
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
    use crate::model::ResponseCurve;
    if responses.items() != instrument.items().len() {
        return Err(crate::Error::WrongItemCount {
            expected: instrument.items().len(),
            found: responses.items(),
        });
    }
    let mut definition = instrument.definition().clone();
    let mut fits = Vec::with_capacity(instrument.scales().len());
    for (scale, columns) in instrument.scales().iter().zip(instrument.scale_items()) {
        let scale_settings = CalibrationSettings {
            items: columns
                .iter()
                .map(|&i| {
                    let dichotomous = instrument.items()[i].categories() == 2;
                    match models.iter().find(|k| k.is_dichotomous() == dichotomous) {
                        Some(&kind) => ItemSpec::Estimate(kind),
                        None => ItemSpec::Start(definition.items[i].model.clone()),
                    }
                })
                .collect(),
            ..settings.clone()
        };
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
