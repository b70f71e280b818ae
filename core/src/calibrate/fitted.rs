//! A finished calibration re-expressed as its estimation vector, for statistics that
//! need the model at perturbed parameters (fit statistics' Jacobians) or the number of
//! estimated parameters per item.

use super::Calibration;
use super::parameters::{Layout, Slot, Transform};
use super::settings::{CalibrationSettings, ItemSpec};
use super::summary::DataSummary;
use crate::error::{Error, Result};
use crate::model::ResponseFunction;
use crate::quadrature::{Grid, Prior, Quadrature};
use crate::response::ResponseMatrix;

/// The free parameters of a calibration at its estimates.
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    layout: Layout,
    /// Working-scale estimation vector at the estimates.
    pub(crate) x: Vec<f64>,
    grid: Grid,
}

impl Fitted {
    /// Rebuilds the parameter layout of `fit` (run with `settings` on `responses`).
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] when the fit, settings and data disagree in items;
    /// settings errors as [`CalibrationSettings::check`].
    pub(crate) fn new(
        responses: &ResponseMatrix,
        settings: &CalibrationSettings,
        fit: &Calibration,
    ) -> Result<Self> {
        if fit.items.len() != responses.items() {
            return Err(Error::WrongItemCount {
                expected: fit.items.len(),
                found: responses.items(),
            });
        }
        let checked = settings.check(responses.items())?;
        let items: Vec<ItemSpec> = checked
            .items
            .iter()
            .zip(&fit.items)
            .map(|(spec, model)| match spec {
                ItemSpec::Fixed(_) => ItemSpec::Fixed(model.clone()),
                _ => ItemSpec::Start(model.clone()),
            })
            .collect();
        let mut at_estimates = settings.clone();
        at_estimates.items = items;
        at_estimates.population.mean = fit.latent_mean;
        at_estimates.population.sd = fit.latent_sd;
        let checked = at_estimates.check(responses.items())?;
        let (layout, x) = Layout::build(&checked, &DataSummary::from_responses(responses))?;
        Ok(Fitted {
            layout,
            x,
            grid: settings.grid,
        })
    }

    /// Number of entries of the estimation vector (free item and population parameters).
    pub(crate) fn parameters(&self) -> usize {
        self.x.len()
    }

    /// Number of free population parameters (mean, SD).
    pub(crate) fn population_parameters(&self) -> usize {
        self.layout.population_parameters()
    }

    /// Number of free parameters of each item (a shared parameter counts for every item
    /// that uses it).
    pub(crate) fn item_parameters(&self) -> Vec<usize> {
        self.layout
            .items
            .iter()
            .map(|item| {
                item.slots
                    .iter()
                    .filter(|s| matches!(s, Slot::Free(_)))
                    .count()
            })
            .collect()
    }

    /// How free parameter `c` maps to its natural value (item roles; population SD on
    /// the log scale, mean as is).
    pub(crate) fn transform(&self, c: usize) -> Transform {
        match self.layout.roles.get(c) {
            Some(role) => role.transform(),
            None if self
                .layout
                .populations
                .iter()
                .any(|p| p.sd == Slot::Free(c)) =>
            {
                Transform::Log
            }
            None => Transform::Identity,
        }
    }

    /// The response functions and the quadrature at working vector `x`.
    pub(crate) fn model(&self, x: &[f64]) -> Result<(Vec<ResponseFunction>, Quadrature)> {
        let items = (0..self.layout.items.len())
            .map(|i| self.layout.model(i, x).response_function(&format!("#{i}")))
            .collect::<Result<Vec<_>>>()?;
        let (mean, sd) = self.layout.population(x);
        let quadrature = Quadrature::new(&self.grid, &Prior::Normal { mean, sd })?;
        Ok((items, quadrature))
    }

    /// Number of categories of each item.
    pub(crate) fn categories(&self) -> Vec<usize> {
        self.layout.items.iter().map(|i| i.categories).collect()
    }
}
