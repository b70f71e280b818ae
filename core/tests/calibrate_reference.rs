//! Calibration against published estimates (`tests/reference/`), parameter recovery on
//! seeded simulations, an independent check that the fit is a maximum, and bad input.

use bagdar::Error;
use bagdar::calibrate::{
    BetaPrior, Calibration, CalibrationSettings, ExpectedCounts, ItemSpec, ParameterPriors,
    Simulation, calibrate, simulate,
};
use bagdar::model::{ItemModel, ModelKind, ResponseCurve};
use bagdar::quadrature::{Grid, Prior, Quadrature};
use bagdar::response::{MISSING, ResponseMatrix};
use serde_json::Value;

fn reference_path(name: &str) -> String {
    format!("{}/../tests/reference/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Reads `pattern frequency` lines into a response matrix (one row per person).
fn read_patterns(name: &str) -> ResponseMatrix {
    let text = std::fs::read_to_string(reference_path(name)).unwrap();
    let mut data = Vec::new();
    let mut persons = 0;
    let mut items = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let pattern = parts.next().unwrap();
        let count: usize = parts.next().unwrap().parse().unwrap();
        items = pattern.len();
        for _ in 0..count {
            data.extend(pattern.bytes().map(|b| b - b'0'));
            persons += 1;
        }
    }
    ResponseMatrix::new(persons, items, data).unwrap()
}

fn case(name: &str) -> Value {
    let text = std::fs::read_to_string(reference_path("calibration.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn fit_case(case: &Value) -> Calibration {
    let responses = read_patterns(case["data"].as_str().unwrap());
    let model: ModelKind = case["model"].as_str().unwrap().parse().unwrap();
    let settings = CalibrationSettings {
        model,
        ..Default::default()
    };
    let fit = calibrate(&responses, &settings).unwrap();
    assert!(fit.converged(), "{}: {:?}", case["name"], fit.status);
    fit
}

/// Largest absolute difference, printed so the report can quote it.
fn max_diff(name: &str, what: &str, got: &[f64], want: &[f64]) -> f64 {
    let d = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    eprintln!("{name} {what}: got {got:.5?}, published {want:?}, max |diff| {d:.2e}");
    d
}

#[test]
fn lsat7_2pl_matches_mirt() {
    let case = case("lsat7-2pl");
    let fit = fit_case(&case);
    let tol = case["parameter_tolerance"].as_f64().unwrap();
    let slopes: Vec<f64> = fit.items.iter().map(ItemModel::slope).collect();
    let intercepts: Vec<f64> = fit
        .items
        .iter()
        .map(|m| m.difficulty().unwrap() * -m.slope())
        .collect();
    assert!(max_diff("lsat7", "slope", &slopes, &numbers(&case["slope"])) < tol);
    assert!(
        max_diff(
            "lsat7",
            "intercept",
            &intercepts,
            &numbers(&case["intercept"])
        ) < tol
    );
    let ll = case["log_likelihood"].as_f64().unwrap();
    eprintln!(
        "lsat7 log-likelihood {:.4} (published {ll}), {} cycles, {} E-steps",
        fit.log_likelihood, fit.iterations, fit.e_steps
    );
    assert!((fit.log_likelihood - ll).abs() < case["log_likelihood_tolerance"].as_f64().unwrap());
    assert_eq!(fit.parameters, 10);
    assert!((fit.aic - (-2.0 * fit.log_likelihood + 20.0)).abs() < 1e-9);
}

/// ltm integrates with 21-point Gauss–Hermite quadrature and Bagdar with 61 points on
/// [−6, 6]. On LSAT6 the grid does not matter: Bagdar finds the same optimum on 21, 61
/// and 201 points (log-likelihood −2466.65338). ltm's published point is 1.3e-5 below
/// that maximum when evaluated on our grid — it stopped slightly short along a flat
/// direction — so the difficulty of item 5 (slope 0.66) differs by 2.3e-3. Slopes are
/// checked within 2e-3, difficulties within 3e-3 (`difficulty_tolerance`, with this
/// note in `calibration.json`), and the test also checks that our optimum is not below
/// the likelihood of ltm's own estimates.
#[test]
fn lsat6_2pl_matches_ltm() {
    let case = case("lsat6-2pl");
    let fit = fit_case(&case);
    let tol = case["parameter_tolerance"].as_f64().unwrap();
    let slopes: Vec<f64> = fit.items.iter().map(ItemModel::slope).collect();
    let difficulty: Vec<f64> = fit.items.iter().map(|m| m.difficulty().unwrap()).collect();
    let published_slopes = numbers(&case["slope"]);
    let published_difficulty = numbers(&case["difficulty"]);
    assert!(max_diff("lsat6", "slope", &slopes, &published_slopes) < tol);
    let difficulty_tol = case["difficulty_tolerance"].as_f64().unwrap();
    assert!(max_diff("lsat6", "difficulty", &difficulty, &published_difficulty) < difficulty_tol);
    let ltm_items: Vec<_> = published_slopes
        .iter()
        .zip(&published_difficulty)
        .map(|(&a, &b)| {
            ItemModel::TwoPl {
                slope: a,
                intercept: -a * b,
            }
            .response_function("ltm")
            .unwrap()
        })
        .collect();
    let quadrature = Quadrature::new(&Grid::default(), &Prior::default()).unwrap();
    let at_ltm = ExpectedCounts::compute(&ltm_items, &quadrature, &read_patterns("lsat6.txt"))
        .unwrap()
        .log_likelihood();
    eprintln!(
        "lsat6 2pl log-likelihood at ltm's estimates {at_ltm:.6}, at ours {:.6}",
        fit.log_likelihood
    );
    assert!(fit.log_likelihood >= at_ltm);
    let ll = case["log_likelihood"].as_f64().unwrap();
    eprintln!(
        "lsat6 2pl log-likelihood {:.4} (published {ll})",
        fit.log_likelihood
    );
    assert!((fit.log_likelihood - ll).abs() < case["log_likelihood_tolerance"].as_f64().unwrap());
}

/// Rasch: slope 1 and the latent SD estimated (mirt's parametrization); ltm's `rasch`
/// estimates a common slope with SD 1 instead. The two are the same model, so the
/// log-likelihoods agree up to the quadrature difference.
#[test]
fn lsat6_rasch_matches_ltm() {
    let case = case("lsat6-rasch");
    let fit = fit_case(&case);
    let ll = case["log_likelihood"].as_f64().unwrap();
    eprintln!(
        "lsat6 rasch log-likelihood {:.4} (published {ll}), latent sd {:.4}",
        fit.log_likelihood, fit.latent_sd
    );
    assert!((fit.log_likelihood - ll).abs() < case["log_likelihood_tolerance"].as_f64().unwrap());
    assert_eq!(fit.parameters, 6);
    assert!(fit.latent_sd > 0.5 && fit.latent_sd < 1.0);
    // The 1PL with the SD fixed at 1 is the same model: the same optimum.
    let one_pl = calibrate(
        &read_patterns("lsat6.txt"),
        &CalibrationSettings {
            model: ModelKind::OnePl,
            ..Default::default()
        },
    )
    .unwrap();
    eprintln!(
        "lsat6 1pl log-likelihood {:.4}, common slope {:.4}",
        one_pl.log_likelihood,
        one_pl.items[0].slope()
    );
    assert!((one_pl.log_likelihood - fit.log_likelihood).abs() < 0.01);
    assert!((one_pl.items[0].slope() - fit.latent_sd).abs() < 0.01);
}
