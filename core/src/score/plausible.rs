//! Plausible values.

use super::eap::{LogTable, posterior_row};
use crate::quadrature::Quadrature;
use crate::response::ResponseMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// How plausible values are drawn from each person's posterior.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PlausibleMethod {
    /// θ ~ N(EAP, posterior SD²): the normal approximation (R `mirt`'s default).
    #[default]
    Normal,
    /// θ drawn from the quadrature posterior: a node with its posterior probability,
    /// then uniformly within ±half a grid step around it.
    Posterior,
}

/// Row-major persons × draws. Person p uses the ChaCha8 stream p of `seed`, so the
/// values do not depend on threads or chunking.
pub(crate) fn draw(
    table: &LogTable,
    quadrature: &Quadrature,
    responses: &ResponseMatrix,
    draws: usize,
    seed: u64,
    method: PlausibleMethod,
) -> Vec<f64> {
    let nodes = quadrature.nodes();
    let step = if nodes.len() > 1 {
        (nodes[nodes.len() - 1] - nodes[0]) / (nodes.len() - 1) as f64
    } else {
        0.0
    };
    let per_person: Vec<Vec<f64>> = super::map_rows_with(
        responses,
        || vec![0.0; quadrature.len()],
        |posterior, person, row| {
            let eap = posterior_row(table, quadrature, row, posterior);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(person as u64);
            let mut values = Vec::with_capacity(draws);
            match method {
                PlausibleMethod::Normal => {
                    let (m, sd) = (eap.theta, eap.se);
                    for _ in 0..draws {
                        let z: f64 = StandardNormal.sample(&mut rng);
                        values.push(m + sd * z);
                    }
                }
                PlausibleMethod::Posterior => {
                    for _ in 0..draws {
                        let u: f64 = rng.random();
                        let mut acc = 0.0;
                        let mut chosen = nodes.len() - 1;
                        for (q, w) in posterior.iter().enumerate() {
                            acc += w;
                            if u < acc {
                                chosen = q;
                                break;
                            }
                        }
                        let jitter: f64 = rng.random::<f64>() - 0.5;
                        values.push(nodes[chosen] + jitter * step);
                    }
                }
            }
            values
        },
    );
    per_person.concat()
}
