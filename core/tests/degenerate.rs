//! Numerical robustness on degenerate data: scoring and calibration return a defined
//! result or a clear error — never a NaN presented as a number.

use bagdar::calibrate::{CalibrationSettings, calibrate};
use bagdar::decide::{Decider, DecisionSettings};
use bagdar::instrument::Instrument;
use bagdar::model::{ItemModel, ModelKind};
use bagdar::response::{MISSING, ResponseMatrix};
use bagdar::score::{Method, Scorer, ScoringSettings, Status};

fn two_pl(n: usize) -> Vec<ItemModel> {
    (0..n)
        .map(|i| ItemModel::TwoPl {
            slope: 1.0 + 0.1 * i as f64,
            intercept: 1.0 - 0.4 * i as f64,
        })
        .collect()
}

/// Every number in a JSON value is finite (serde_json writes NaN and ±∞ as null).
fn all_finite(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Array(a) => a.iter().all(all_finite),
        serde_json::Value::Object(o) => o.values().all(all_finite),
        _ => true,
    }
}

#[test]
fn one_response_and_no_response_get_defined_estimates() {
    let items = two_pl(5);
    let rows = [
        vec![1, MISSING, MISSING, MISSING, MISSING],
        vec![0, MISSING, MISSING, MISSING, MISSING],
        vec![MISSING; 5],
    ];
    let data: Vec<u8> = rows.iter().flatten().copied().collect();
    let matrix = ResponseMatrix::new(3, 5, data).unwrap();
    for method in [Method::Eap, Method::Map, Method::Ml, Method::Wle] {
        let scorer = Scorer::from_models(&items, &ScoringSettings::with_method(method)).unwrap();
        for (p, e) in scorer.score(&matrix).unwrap().iter().enumerate() {
            let defined = e.theta.is_finite() && e.se.is_finite() && e.se > 0.0;
            let explained = matches!(
                e.status,
                Status::AllMaximum | Status::AllMinimum | Status::NoResponses
            );
            assert!(defined || explained, "{method:?} person {p}: {e:?}");
            if p == 2 {
                assert_eq!(e.status, Status::NoResponses, "{method:?}");
            }
            if method == Method::Eap || method == Method::Map {
                assert!(defined, "{method:?} person {p}: {e:?}");
            }
        }
    }
}

#[test]
fn an_item_everyone_answers_alike_is_a_clear_error_or_a_finite_fit() {
    let items = two_pl(6);
    let sim = bagdar::calibrate::Simulation {
        persons: 400,
        mean: 0.0,
        sd: 1.0,
        missing: 0.0,
        seed: 5,
    };
    let responses = bagdar::calibrate::simulate(&items, &sim).unwrap().responses;
    let mut data = Vec::new();
    for p in 0..responses.persons() {
        let mut row = responses.row(p).to_vec();
        row[2] = 1; // nobody gets item 3 wrong
        data.extend(row);
    }
    let matrix = ResponseMatrix::new(responses.persons(), 6, data).unwrap();
    match calibrate(&matrix, &CalibrationSettings::default()) {
        Err(e) => assert_eq!(e.code(), "unobserved_category", "{e}"),
        Ok(fit) => assert!(all_finite(&serde_json::to_value(&fit.items).unwrap())),
    }
}

#[test]
fn perfect_separation_is_reported_not_hidden() {
    // Guttman patterns: every person passes exactly the easiest k items.
    let n_items = 5;
    let mut data = Vec::new();
    for p in 0..300 {
        let k = p % (n_items + 1);
        data.extend((0..n_items).map(|i| u8::from(i < k)));
    }
    let matrix = ResponseMatrix::new(300, n_items, data).unwrap();
    let settings = CalibrationSettings {
        model: ModelKind::TwoPl,
        max_iterations: 200,
        ..CalibrationSettings::default()
    };
    match calibrate(&matrix, &settings) {
        Err(e) => assert!(!e.to_string().is_empty()),
        Ok(fit) => {
            // Slopes run away on separated data: either the fit says it did not
            // converge, or every reported number is finite.
            let finite = all_finite(&serde_json::to_value(&fit.items).unwrap())
                && fit.log_likelihood.is_finite();
            assert!(finite || !fit.converged(), "{:?}", fit.status);
        }
    }
}

#[test]
fn decisions_on_empty_and_constant_rows_are_defined() {
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    ))
    .unwrap();
    let instrument = Instrument::from_json(&json).unwrap();
    let decider = Decider::new(&instrument, DecisionSettings::default(), None).unwrap();
    let n = instrument.items().len();
    for row in [vec![MISSING; n], vec![0; n], {
        let mut top = vec![0u8; n];
        for (i, f) in instrument.items().iter().enumerate() {
            use bagdar::model::ResponseCurve;
            top[i] = (f.categories() - 1) as u8;
        }
        top
    }] {
        let d = decider.decide_row(&row, None).unwrap();
        for p in &d.profiles {
            assert!(p.composite_mean.is_finite() && p.composite_sd.is_finite());
            assert!((0.0..=1.0).contains(&p.p_above_cut), "{p:?}");
        }
        for s in &d.scales {
            assert!(s.estimate.theta.is_finite(), "{s:?}");
        }
    }
}

#[test]
fn impossible_simulation_sizes_are_errors_not_aborts() {
    use bagdar::calibrate::{Simulation, simulate};
    use bagdar::simulate::{CohortSettings, CohortStream};
    let items = vec![
        bagdar::model::ItemModel::TwoPl {
            slope: 1.0,
            intercept: 0.0
        };
        4
    ];
    let huge = Simulation {
        persons: usize::MAX / 8,
        mean: 0.0,
        sd: 1.0,
        missing: 0.0,
        seed: 1,
    };
    assert!(matches!(
        simulate(&items, &huge),
        Err(bagdar::Error::InvalidSetting { .. })
    ));
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    ))
    .unwrap();
    let instrument = bagdar::instrument::Instrument::from_json(&json).unwrap();
    let settings = CohortSettings {
        students: usize::MAX / 4,
        ..Default::default()
    };
    assert!(matches!(
        CohortStream::new(&instrument, &settings),
        Err(bagdar::Error::InvalidSetting { .. })
    ));
}
