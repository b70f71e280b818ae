//! Seeded simulation of response data, for parameter-recovery checks.

use crate::error::{Error, Result};
use crate::model::{ItemModel, MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::response::{MISSING, ResponseMatrix};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// What to simulate besides the items.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Simulation {
    /// Number of persons.
    pub persons: usize,
    /// Population mean of θ.
    pub mean: f64,
    /// Population SD of θ (> 0).
    pub sd: f64,
    /// Probability that a response is missing (completely at random), in [0, 1).
    pub missing: f64,
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
}

/// Simulated abilities and responses.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulated {
    /// θ of each person.
    pub theta: Vec<f64>,
    /// The responses, persons × items.
    pub responses: ResponseMatrix,
}

/// Draws θ_p ~ N(mean, sd²) and a category for every person and item from
/// P_ik(θ_p), with one ChaCha8 stream seeded by `seed`, so a seed always gives the same
/// data.
///
/// ```text
/// θ_p = mean + sd·z_p,   z_p ~ N(0, 1)
/// x_pi = smallest k with u_pi < Σ_{j≤k} P_ij(θ_p),   u_pi ~ U(0, 1)
/// ```
///
/// # Errors
///
/// Parameter errors of [`ItemModel::validate`] (items named `#index`);
/// [`Error::InvalidSetting`] for a bad SD or missing rate, or a size that does not fit
/// in memory.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{Simulation, simulate};
/// use bagdar::model::ItemModel;
/// let items = vec![ItemModel::TwoPl { slope: 1.0, intercept: 0.0 }; 3];
/// let sim = Simulation { persons: 1000, mean: 0.0, sd: 1.0, missing: 0.0, seed: 7 };
/// let data = simulate(&items, &sim)?;
/// let ones = data.responses.data().iter().filter(|&&x| x == 1).count() as f64;
/// assert!((ones / 3000.0 - 0.5).abs() < 0.05);
/// assert_eq!(data, simulate(&items, &sim)?);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn simulate(items: &[ItemModel], simulation: &Simulation) -> Result<Simulated> {
    let functions: Vec<ResponseFunction> = items
        .iter()
        .enumerate()
        .map(|(i, m)| m.response_function(&format!("#{i}")))
        .collect::<Result<_>>()?;
    if !(simulation.sd.is_finite() && simulation.sd > 0.0 && simulation.mean.is_finite()) {
        return Err(Error::setting(
            "simulation.mean/sd",
            format!(
                "need a finite mean and sd > 0, got {} and {}",
                simulation.mean, simulation.sd
            ),
        ));
    }
    if !(0.0..1.0).contains(&simulation.missing) {
        return Err(Error::setting(
            "simulation.missing",
            format!("{} is not in [0, 1)", simulation.missing),
        ));
    }
    let cells = simulation
        .persons
        .checked_mul(items.len())
        .ok_or_else(|| Error::setting("simulation.persons", "persons × items overflows"))?;
    let mut rng = ChaCha8Rng::seed_from_u64(simulation.seed);
    // Memory is reserved up front so that an impossible size is an error, not an abort.
    let too_large = |_| {
        Error::setting(
            "simulation.persons",
            format!(
                "{} persons × {} items do not fit in memory",
                simulation.persons,
                items.len()
            ),
        )
    };
    let mut theta: Vec<f64> = Vec::new();
    theta
        .try_reserve_exact(simulation.persons)
        .map_err(too_large)?;
    let mut data: Vec<u8> = Vec::new();
    data.try_reserve_exact(cells).map_err(too_large)?;
    let mut p = [0.0; MAX_CATEGORIES];
    for _ in 0..simulation.persons {
        let z: f64 = StandardNormal.sample(&mut rng);
        let t = simulation.mean + simulation.sd * z;
        theta.push(t);
        for f in &functions {
            f.probabilities(t, &mut p);
            let u: f64 = rng.random();
            let k = f.categories();
            let mut acc = 0.0;
            let mut chosen = k - 1;
            for (c, pc) in p[..k].iter().enumerate() {
                acc += pc;
                if u < acc {
                    chosen = c;
                    break;
                }
            }
            let drop = simulation.missing > 0.0 && rng.random::<f64>() < simulation.missing;
            data.push(if drop { MISSING } else { chosen as u8 });
        }
    }
    Ok(Simulated {
        theta,
        responses: ResponseMatrix::new(simulation.persons, items.len(), data)?,
    })
}
