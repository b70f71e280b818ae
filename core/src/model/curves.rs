//! Items evaluated on a θ grid: what item characteristic, category and information
//! curves plot.

use super::{ItemModel, MAX_CATEGORIES, ResponseCurve, response_functions};
use crate::error::{Error, Result};

/// Category probabilities, expected scores and information of a set of items at each
/// point of a θ grid, with the items' thresholds (see [`item_curves`]).
///
/// Arrays are flat and item-major: with `T = theta.len()` and `K = max_categories`,
/// `probabilities[(i·T + t)·K + k]` is P_ik(θ_t) (NaN for k ≥ K_i), and
/// `expected_score[i·T + t]`, `information[i·T + t]` are E[X_i | θ_t] and I_i(θ_t).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemCurves {
    /// The grid θ_t.
    pub theta: Vec<f64>,
    /// K_i, the number of categories of each item.
    pub categories: Vec<usize>,
    /// max_i K_i (0 without items).
    pub max_categories: usize,
    /// P_ik(θ_t), items × grid × max_categories, NaN past an item's last category.
    pub probabilities: Vec<f64>,
    /// E[X_i | θ_t] = Σ_k k·P_ik(θ_t), items × grid.
    pub expected_score: Vec<f64>,
    /// I_i(θ_t) = Σ_k P'_ik(θ_t)² / P_ik(θ_t), items × grid.
    pub information: Vec<f64>,
    /// Test information Σ_i I_i(θ_t), one per grid point.
    pub test_information: Vec<f64>,
    /// Each item's thresholds on the θ scale ([`ItemModel::thresholds`]).
    pub thresholds: Vec<Vec<f64>>,
}

/// Evaluates items on a θ grid.
///
/// # Formula
///
/// ```text
/// P_ik(θ_t)                         category probabilities of item i (its model file)
/// E_i(θ_t) = Σ_k k·P_ik(θ_t)        expected score (the ICC of a 0/1 item)
/// I_i(θ_t) = Σ_k P'_ik(θ_t)²/P_ik(θ_t)   item information
/// I(θ_t)   = Σ_i I_i(θ_t)           test information
/// ```
///
/// # Errors
///
/// As [`ItemModel::validate`] for an invalid item; [`Error::InvalidSetting`] for a
/// non-finite θ.
///
/// # Examples
///
/// ```
/// use bagdar::model::{ItemModel, item_curves};
/// let items = [ItemModel::Rasch { intercept: 0.0 }, ItemModel::TwoPl { slope: 2.0, intercept: 2.0 }];
/// let curves = item_curves(&items, &[-1.0, 0.0, 1.0])?;
/// assert_eq!(curves.max_categories, 2);
/// assert!((curves.probabilities[(0 * 3 + 1) * 2 + 1] - 0.5).abs() < 1e-15); // P_01(0)
/// assert!((curves.information[1] - 0.25).abs() < 1e-15);               // Rasch at θ = 0
/// assert!((curves.information[3] - 0.25 * 4.0).abs() < 1e-12);        // 2PL at b = −1
/// assert!((curves.test_information[1] - (0.25 + curves.information[4])).abs() < 1e-15);
/// assert_eq!(curves.thresholds[1], vec![-1.0]);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn item_curves(models: &[ItemModel], theta: &[f64]) -> Result<ItemCurves> {
    if let Some(bad) = theta.iter().find(|t| !t.is_finite()) {
        return Err(Error::setting(
            "theta",
            format!("every grid point must be finite, got {bad}"),
        ));
    }
    let functions = response_functions(models)?;
    let categories: Vec<usize> = functions.iter().map(|f| f.categories()).collect();
    let k_max = categories.iter().copied().max().unwrap_or(0);
    let points = theta.len();
    let mut probabilities = vec![f64::NAN; functions.len() * points * k_max];
    let mut expected_score = Vec::with_capacity(functions.len() * points);
    let mut information = Vec::with_capacity(functions.len() * points);
    let mut test_information = vec![0.0; points];
    let mut p = [0.0; MAX_CATEGORIES];
    for (i, f) in functions.iter().enumerate() {
        let k = f.categories();
        for (t, &x) in theta.iter().enumerate() {
            f.probabilities(x, &mut p);
            let start = (i * points + t) * k_max;
            probabilities[start..start + k].copy_from_slice(&p[..k]);
            expected_score.push(f.expected_score(x));
            let info = f.information(x);
            information.push(info);
            test_information[t] += info;
        }
    }
    Ok(ItemCurves {
        theta: theta.to_vec(),
        categories,
        max_categories: k_max,
        probabilities,
        expected_score,
        information,
        test_information,
        thresholds: models.iter().map(ItemModel::thresholds).collect(),
    })
}
