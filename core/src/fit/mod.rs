//! Model fit, person fit, local dependence, reliability and DIF.
//!
//! * [`m2`]: the limited-information M2 statistic of Maydeu-Olivares & Joe (2006) (M2*
//!   for polytomous items) with df, p-value, RMSEA and SRMSR.
//! * [`s_x2`]: Orlando & Thissen's (2000) summed-score item fit S-X2, with R `mirt`'s
//!   cell-collapsing rule.
//! * [`infit_outfit`]: infit and outfit mean squares with their standardized Zstd.
//! * [`person_fit`]: the person-fit statistics lz (Drasgow, Levine & Williams 1985) and
//!   lz* (Snijders 2001).
//! * [`yen_q3`]: Yen's (1984) Q3 residual correlations; [`ld_x2`]: Chen & Thissen's
//!   (1997) local-dependence X² per item pair.
//! * [`marginal_reliability`], [`empirical_reliability`].
//! * [`mantel_haenszel`]: Mantel–Haenszel DIF across two groups (e.g. language forms)
//!   with the ETS A/B/C classification; [`mantel_ordinal`]: Mantel's test with the
//!   standardized mean difference for polytomous (Likert) items; [`logistic_dif`]:
//!   logistic-regression DIF (Swaminathan & Rogers 1990), uniform and non-uniform.
//!   Likelihood-ratio DIF in a multi-group IRT model needs multi-group calibration,
//!   which does not exist yet. The DIF procedures compare two groups at a time (e.g.
//!   kk against ru); the matching score is the observed total, without purification.
//!
//! Statistics of a calibrated model ([`m2`], [`s_x2`]) take the data, the
//! [`CalibrationSettings`](crate::calibrate::CalibrationSettings) the fit was run with
//! and the [`Calibration`](crate::calibrate::Calibration), so they know which
//! parameters were estimated (their number enters the degrees of freedom).

mod dif;
mod distribution;
mod lr_dif;
mod m2;
mod person;
mod reliability;
mod residual;
mod sx2;

pub use dif::{
    DifClass, DifMethod, DifTable, LogisticDif, MantelHaenszel, OrdinalDif, dif, logistic_dif,
    mantel_haenszel, mantel_ordinal,
};
pub use distribution::chi_square_survival;
pub use lr_dif::{LikelihoodRatioDif, LikelihoodRatioDifTable, likelihood_ratio_dif};
pub use m2::{M2, m2};
pub use person::{PersonFit, person_fit};
pub use reliability::{empirical_reliability, marginal_reliability};
pub use residual::{ItemMeanSquares, LocalDependence, Q3, infit_outfit, ld_x2, yen_q3};
pub use sx2::{SX2, s_x2};

use crate::error::{Error, Result};
use crate::response::{MISSING, ResponseMatrix};

/// [`Error::MissingResponse`] for the first missing response, for statistics that need
/// complete data.
fn require_complete(responses: &ResponseMatrix, statistic: &'static str) -> Result<()> {
    for p in 0..responses.persons() {
        if let Some(i) = responses.row(p).iter().position(|&x| x == MISSING) {
            return Err(Error::MissingResponse {
                statistic,
                person: p,
                item: format!("#{i}"),
            });
        }
    }
    Ok(())
}

/// [`Error::TooFewPersons`] below `needed` persons.
fn require_persons(found: usize, needed: usize, statistic: &'static str) -> Result<()> {
    if found < needed {
        return Err(Error::TooFewPersons {
            statistic,
            needed,
            found,
        });
    }
    Ok(())
}

/// RMSEA of a chi-square as R `mirt` computes it: √(max(X²/df − 1, 0)/(N − 1)); NaN
/// when df ≤ 0.
fn rmsea(statistic: f64, df: f64, persons: f64) -> f64 {
    if df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    ((statistic / df - 1.0).max(0.0) / (persons - 1.0)).sqrt()
}

#[cfg(test)]
mod tests;

/// The item-fit table of a calibration: S-X2 and the infit/outfit mean squares at each
/// person's WLE under the calibrated items.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemFit {
    /// Orlando–Thissen S-X2.
    pub s_x2: SX2,
    /// Infit and outfit with their Zstd.
    pub mean_squares: ItemMeanSquares,
}

/// [`s_x2`] and [`infit_outfit`] for every item of a calibration, θ being each person's
/// Warm (1989) WLE: finite for every pattern and, unlike EAP, not shrunk toward the
/// mean, so the residuals are not inflated.
///
/// # Errors
///
/// As [`s_x2`] (complete data, at least two persons) and [`infit_outfit`].
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, Simulation, calibrate, simulate};
/// use bagdar::model::ItemModel;
/// let items: Vec<ItemModel> = (0..20)
///     .map(|i| ItemModel::TwoPl { slope: 1.0 + 0.05 * i as f64, intercept: 1.5 - 0.15 * i as f64 })
///     .collect();
/// let simulation = Simulation { persons: 800, mean: 0.0, sd: 1.0, missing: 0.0, seed: 7 };
/// let data = simulate(&items, &simulation)?.responses;
/// let settings = CalibrationSettings::default();
/// let fit = calibrate(&data, &settings)?;
/// let table = bagdar::fit::item_fit(&data, &settings, &fit)?;
/// assert_eq!(table.len(), 20);
/// for f in &table {
///     assert!((f.mean_squares.infit - 1.0).abs() < 0.15, "{f:?}");
///     assert!(f.s_x2.p_value > 0.001);
/// }
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn item_fit(
    responses: &ResponseMatrix,
    settings: &crate::calibrate::CalibrationSettings,
    fit: &crate::calibrate::Calibration,
) -> Result<Vec<ItemFit>> {
    use crate::score::{Scorer, ScoringSettings};
    let s_x2 = s_x2(responses, settings, fit)?;
    let scoring = ScoringSettings {
        method: crate::score::Method::Wle,
        grid: settings.grid,
        ..ScoringSettings::default()
    };
    let scorer = Scorer::from_models(&fit.items, &scoring)?;
    let theta: Vec<f64> = scorer.score(responses)?.iter().map(|e| e.theta).collect();
    let mean_squares = infit_outfit(responses, scorer.items(), &theta)?;
    Ok(s_x2
        .into_iter()
        .zip(mean_squares)
        .map(|(s_x2, mean_squares)| ItemFit { s_x2, mean_squares })
        .collect())
}

/// Local dependence of a calibration on its data: Yen's Q3 of the residuals at each
/// person's EAP (as R mirt's `residuals(type = "Q3")`, which scores with EAP under the
/// fitted population) and the LD X² of every item pair (Chen & Thissen 1997) under the
/// fitted population on the calibration grid.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LocalDependenceReport {
    /// Yen's Q3 matrix and its summary.
    pub q3: Q3,
    /// LD X² of every pair (i < j), in row order.
    pub pairs: Vec<LocalDependence>,
}

/// [`yen_q3`] at each person's EAP and [`ld_x2`] for a calibration on its data.
///
/// # Errors
///
/// As [`yen_q3`] and [`ld_x2`] (fewer than 2 items; data that do not fit the items).
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, Simulation, calibrate, simulate};
/// use bagdar::model::ItemModel;
/// let items: Vec<ItemModel> = (0..8)
///     .map(|i| ItemModel::TwoPl { slope: 1.2, intercept: 1.0 - 0.25 * i as f64 })
///     .collect();
/// let simulation = Simulation { persons: 1000, mean: 0.0, sd: 1.0, missing: 0.0, seed: 4 };
/// let data = simulate(&items, &simulation)?.responses;
/// let settings = CalibrationSettings::default();
/// let fit = calibrate(&data, &settings)?;
/// let report = bagdar::fit::local_dependence(&data, &settings, &fit)?;
/// assert_eq!(report.pairs.len(), 28);
/// assert!(report.q3.max_centred < 0.15); // locally independent data
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn local_dependence(
    responses: &ResponseMatrix,
    settings: &crate::calibrate::CalibrationSettings,
    fit: &crate::calibrate::Calibration,
) -> Result<LocalDependenceReport> {
    use crate::quadrature::{Prior, Quadrature};
    use crate::score::{Scorer, ScoringSettings};
    let prior = Prior::Normal {
        mean: fit.latent_mean,
        sd: fit.latent_sd,
    };
    let scoring = ScoringSettings {
        method: crate::score::Method::Eap,
        grid: settings.grid,
        prior: prior.clone(),
        ..ScoringSettings::default()
    };
    let scorer = Scorer::from_models(&fit.items, &scoring)?;
    let theta: Vec<f64> = scorer.score(responses)?.iter().map(|e| e.theta).collect();
    let q3 = yen_q3(responses, scorer.items(), &theta)?;
    let quadrature = Quadrature::new(&settings.grid, &prior)?;
    let pairs = ld_x2(responses, scorer.items(), &quadrature)?;
    Ok(LocalDependenceReport { q3, pairs })
}
