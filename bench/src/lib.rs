//! Shared setup for Bagdar's criterion benchmarks: seeded item banks and response data.

use bagdar::model::{ItemModel, ResponseFunction};
use bagdar::response::ResponseMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};

/// A seeded 2PL bank: slopes U(0.5, 2.5), intercepts N(0, 1).
pub fn two_pl_bank(items: usize, seed: u64) -> Vec<ItemModel> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let slope = Uniform::new(0.5, 2.5).expect("valid range");
    let intercept = Normal::new(0.0, 1.0).expect("valid sd");
    (0..items)
        .map(|_| ItemModel::TwoPl {
            slope: slope.sample(&mut rng),
            intercept: intercept.sample(&mut rng),
        })
        .collect()
}

/// Compiles models into response functions.
pub fn compile(models: &[ItemModel]) -> Vec<ResponseFunction> {
    models
        .iter()
        .map(|m| m.response_function("bench").expect("valid bench item"))
        .collect()
}

/// Responses of `persons` N(0, 1) simulees (seeded).
pub fn simulate(items: &[ResponseFunction], persons: usize, seed: u64) -> ResponseMatrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9e37_79b9);
    let normal = Normal::new(0.0, 1.0).expect("valid sd");
    let thetas: Vec<f64> = (0..persons).map(|_| normal.sample(&mut rng)).collect();
    bagdar::simulate::responses(items, &thetas, seed)
}
