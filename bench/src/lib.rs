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

/// A seeded one-scale instrument of `items` items for CAT benchmarks: 2PL, 3PL and
/// 5-category GRM in turn, slopes U(0.8, 2.2), difficulties U(−2.5, 2.5), content
/// areas `area0` … `area3` in turn.
pub fn cat_bank(items: usize, seed: u64) -> bagdar::instrument::Instrument {
    use rand::RngExt;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let text = |s: &str| serde_json::json!({ "en": s });
    let items: Vec<serde_json::Value> = (0..items)
        .map(|i| {
            let a: f64 = rng.random_range(0.8..2.2);
            let b: f64 = rng.random_range(-2.5..2.5);
            let model = match i % 3 {
                0 => serde_json::json!({ "type": "2pl", "slope": a, "intercept": -a * b }),
                1 => serde_json::json!({ "type": "3pl", "slope": a, "intercept": -a * b, "guessing": 0.2 }),
                _ => serde_json::json!({ "type": "grm", "slope": a,
                    "intercepts": [a * (1.5 - b), a * (0.5 - b), a * (-0.5 - b), a * (-1.5 - b)] }),
            };
            let set = ["yn", "abcd", "agree5"][i % 3];
            let mut item = serde_json::json!({ "id": format!("I{i:03}"), "scale": "trait",
                "content_area": format!("area{}", i % 4), "stem": text("item"),
                "option_set": set, "model": model });
            if i % 3 == 1 {
                item["key"] = serde_json::json!(2);
            }
            item
        })
        .collect();
    let options = |values: &[i64]| -> Vec<serde_json::Value> {
        values
            .iter()
            .map(|v| serde_json::json!({ "value": v, "text": text("option") }))
            .collect()
    };
    let definition = serde_json::json!({
        "format_version": 1, "id": "bench", "version": "1", "title": text("bench"),
        "languages": ["en"],
        "option_sets": { "yn": options(&[0, 1]), "abcd": options(&[1, 2, 3, 4]),
                         "agree5": options(&[1, 2, 3, 4, 5]) },
        "scales": [{ "id": "trait", "kind": "aptitude", "name": text("trait") }],
        "items": items,
    });
    bagdar::instrument::Instrument::from_json(&definition.to_string()).expect("a valid bank")
}

/// A seeded GRM bank: slopes U(0.8, 2.2), `categories − 1` ordered intercepts spread
/// around an N(0, 0.5) item location (d_1 > … > d_{K−1}, as the model requires).
pub fn graded_bank(items: usize, categories: usize, seed: u64) -> Vec<ItemModel> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let slope = Uniform::new(0.8, 2.2).expect("valid range");
    let location = Normal::new(0.0, 0.5).expect("valid sd");
    let gap = Uniform::new(0.6, 1.2).expect("valid range");
    (0..items)
        .map(|_| {
            let a: f64 = slope.sample(&mut rng);
            let centre: f64 = location.sample(&mut rng);
            let mut thresholds = Vec::with_capacity(categories - 1);
            let mut b = centre - 0.9 * (categories as f64 - 2.0) / 2.0;
            for _ in 0..categories - 1 {
                thresholds.push(b);
                b += gap.sample(&mut rng);
            }
            // logit P(X ≥ k) = a·θ + d_k with d_k = −a·b_k: decreasing in k.
            let intercepts = thresholds.iter().map(|b| -a * b).collect();
            ItemModel::Graded {
                slope: a,
                intercepts,
            }
        })
        .collect()
}
