//! Linking: planted scale transformations recovered exactly from error-free parameters
//! and approximately from two separately calibrated simulated forms; an independent
//! numpy/scipy reference (`tests/reference/linking.json`).

use bagdar::calibrate::{CalibrationSettings, ItemSpec, Simulation, calibrate, simulate};
use bagdar::link::{LinkMethod, LinkSettings, Linking, link, link_forms, transform_form};
use bagdar::model::{ItemModel, ModelKind};
use serde_json::Value;

// Only the file path helper is used here.
#[allow(dead_code)]
mod common;
use common::reference_path;

const METHODS: [LinkMethod; 4] = [
    LinkMethod::MeanMean,
    LinkMethod::MeanSigma,
    LinkMethod::StockingLord,
    LinkMethod::Haebara,
];

/// A transformation θ_base = A·θ_new + B, to move items with.
fn planted(slope: f64, intercept: f64) -> Linking {
    Linking {
        method: LinkMethod::MeanMean,
        slope,
        intercept,
        criterion: None,
        common_items: 0,
        iterations: 0,
        converged: true,
    }
}

/// Common items on the base scale: 2PL, 3PL, GRM and GPCM.
fn base_items() -> Vec<ItemModel> {
    vec![
        ItemModel::TwoPl {
            slope: 1.2,
            intercept: 0.5,
        },
        ItemModel::TwoPl {
            slope: 0.8,
            intercept: -0.7,
        },
        ItemModel::ThreePl {
            slope: 1.5,
            intercept: -0.3,
            guessing: 0.2,
        },
        ItemModel::ThreePl {
            slope: 1.1,
            intercept: 0.9,
            guessing: 0.15,
        },
        ItemModel::Graded {
            slope: 1.3,
            intercepts: vec![2.0, 0.4, -1.2],
        },
        ItemModel::Graded {
            slope: 0.9,
            intercepts: vec![1.1, -0.6],
        },
        ItemModel::Gpcm {
            slope: 1.0,
            intercepts: vec![0.8, 0.9, -0.2],
        },
        ItemModel::Gpcm {
            slope: 0.7,
            intercepts: vec![-0.4, -1.3],
        },
    ]
}

#[test]
fn planted_transformations_are_recovered_exactly() {
    for (a, b) in [(1.3, -0.4), (0.75, 0.6), (1.0, 0.0)] {
        let base = base_items();
        // The same items as a calibration on the new scale would give them.
        let new = planted(a, b).inverse().transform_all(&base);
        for method in METHODS {
            for symmetric in [false, true] {
                let settings = LinkSettings {
                    symmetric,
                    ..LinkSettings::default()
                };
                let l = link(&base, &new, method, &settings).unwrap();
                eprintln!("A={a} B={b} {method} symmetric={symmetric}: {l:?}");
                assert!((l.slope - a).abs() < 1e-8, "{method}: {l:?}");
                assert!((l.intercept - b).abs() < 1e-8, "{method}: {l:?}");
                assert!(l.converged);
                assert_eq!(l.common_items, 8);
                if method.is_characteristic_curve() {
                    assert!(l.criterion.unwrap() < 1e-16, "{l:?}");
                } else {
                    assert_eq!(l.criterion, None);
                }
                // The new items moved back with the found constants are the base items.
                for (moved, original) in l.transform_all(&new).iter().zip(&base) {
                    assert_eq!(moved.kind(), original.kind());
                    assert!((moved.slope() - original.slope()).abs() < 1e-8);
                    for (x, y) in moved.thresholds().iter().zip(original.thresholds()) {
                        assert!((x - y).abs() < 1e-7, "{moved:?} vs {original:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn rasch_family_items_link_with_a_of_one() {
    // Rasch, PCM and RSM items that differ by a shift only: every method finds A = 1.
    let base = vec![
        ItemModel::Rasch { intercept: 0.8 },
        ItemModel::Rasch { intercept: -0.5 },
        ItemModel::Pcm {
            intercepts: vec![0.3, -0.4],
        },
        ItemModel::RatingScale {
            intercept: 0.2,
            thresholds: vec![-0.7, 0.0, 0.7],
        },
    ];
    let new = planted(1.0, 0.35).inverse().transform_all(&base);
    assert_eq!(new[2].kind(), ModelKind::Pcm);
    for method in METHODS {
        let l = link(&base, &new, method, &LinkSettings::default()).unwrap();
        assert!((l.slope - 1.0).abs() < 1e-8 && (l.intercept - 0.35).abs() < 1e-8);
    }
    let mean_mean = link(&base, &new, LinkMethod::MeanMean, &LinkSettings::default()).unwrap();
    assert_eq!(mean_mean.slope, 1.0);
    assert_eq!(mean_mean.transform(&new[3]).kind(), ModelKind::RatingScale);
}

/// Parameters of `items` from a calibration of data simulated from θ ~ N(mean, sd²) on
/// the base scale; the calibration's own scale has N(0, 1), so θ_base = sd·θ_new + mean.
fn calibrated(items: &[ItemModel], mean: f64, sd: f64, seed: u64) -> Vec<ItemModel> {
    let simulation = Simulation {
        persons: 5000,
        mean,
        sd,
        missing: 0.0,
        seed,
    };
    let data = simulate(items, &simulation).unwrap();
    let settings = CalibrationSettings {
        items: items.iter().map(|m| ItemSpec::Estimate(m.kind())).collect(),
        ..CalibrationSettings::default()
    };
    let fit = calibrate(&data.responses, &settings).unwrap();
    assert!(fit.converged(), "{:?}", fit.status);
    fit.items
}

#[test]
fn planted_transformation_is_recovered_from_two_calibrations() {
    // 16 common items (2PL, GRM, GPCM); the base form's population is N(0, 1), the new
    // form's N(−0.4, 1.3²) on the base scale, so A = 1.3 and B = −0.4.
    let mut items = Vec::new();
    for i in 0..8 {
        items.push(ItemModel::TwoPl {
            slope: 0.8 + 0.1 * i as f64,
            intercept: 1.4 - 0.4 * i as f64,
        });
    }
    for i in 0..4 {
        let shift = 0.5 * i as f64 - 0.75;
        items.push(ItemModel::Graded {
            slope: 1.0 + 0.15 * i as f64,
            intercepts: vec![1.8 + shift, 0.2 + shift, -1.4 + shift],
        });
        items.push(ItemModel::Gpcm {
            slope: 0.9 + 0.1 * i as f64,
            intercepts: vec![0.6 - shift, 0.4 - 2.0 * shift],
        });
    }
    let base = calibrated(&items, 0.0, 1.0, 11);
    let new = calibrated(&items, -0.4, 1.3, 12);
    // Loose tolerances: with 5000 persons a form, the calibrations' sampling error
    // moves A and B by a few hundredths. Seeds (11, 12), (21, 22), (31, 32), (41, 42)
    // gave A in [1.24, 1.32] and B in [−0.46, −0.36] for every method (20000 persons:
    // A within 0.02, B within 0.015); the methods agree with each other more closely.
    let mut found = Vec::new();
    for method in METHODS {
        let l = link(&base, &new, method, &LinkSettings::default()).unwrap();
        eprintln!("{method}: A = {:.4}, B = {:.4}", l.slope, l.intercept);
        assert!(l.converged);
        assert!((l.slope - 1.3).abs() < 0.1, "{l:?}");
        assert!((l.intercept + 0.4).abs() < 0.1, "{l:?}");
        found.push(l);
    }
    for l in &found {
        assert!(
            (l.slope - found[2].slope).abs() < 0.04,
            "{l:?} vs {:?}",
            found[2]
        );
        assert!(
            (l.intercept - found[2].intercept).abs() < 0.04,
            "{l:?} vs {:?}",
            found[2]
        );
    }
    // The linked new-form items estimate the true ones about as well as the base form's.
    let moved = found[2].transform_all(&new);
    let error = |estimates: &[ItemModel]| -> f64 {
        estimates
            .iter()
            .zip(&items)
            .map(|(e, t)| (e.slope() - t.slope()).abs())
            .sum::<f64>()
            / items.len() as f64
    };
    eprintln!(
        "mean |slope error|: base {:.4}, linked new {:.4}",
        error(&base),
        error(&moved)
    );
    assert!(error(&moved) < 0.1 && error(&base) < 0.1);
}

fn items(value: &Value) -> Vec<ItemModel> {
    serde_json::from_value(value.clone()).unwrap()
}

#[test]
fn agrees_with_the_numpy_scipy_reference() {
    let text = std::fs::read_to_string(reference_path("linking.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    let tolerance = all["tolerance"].as_f64().unwrap();
    let cases = all["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let (base, new) = (items(&case["base"]), items(&case["new"]));
        let results = case["results"].as_object().unwrap();
        assert_eq!(results.len(), 6);
        for (key, want) in results {
            let symmetric = key.ends_with("_symmetric");
            let method: LinkMethod = key.trim_end_matches("_symmetric").parse().unwrap();
            let settings = LinkSettings {
                symmetric,
                ..LinkSettings::default()
            };
            let got = link(&base, &new, method, &settings).unwrap();
            eprintln!("{} {key}: {got:?}", case["name"]);
            assert!(got.converged);
            let close = |x: f64, field: &str| {
                let y = want[field].as_f64().unwrap();
                assert!(
                    (x - y).abs() < tolerance,
                    "{} {key} {field}: {x} vs reference {y}",
                    case["name"]
                );
            };
            close(got.slope, "slope");
            close(got.intercept, "intercept");
            if let Some(criterion) = got.criterion {
                close(criterion, "criterion");
            }
        }
    }
}

fn demo() -> bagdar::instrument::InstrumentDefinition {
    let path = format!(
        "{}/../data/instruments/kasip-demo.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    bagdar::instrument::Instrument::from_json(&text)
        .unwrap()
        .definition()
        .clone()
}

/// The demo instrument as a new form: scale k moved by A = 0.8 + 0.05k, B = 0.1k − 0.5,
/// and the first item of every scale replaced by a unique item (renamed).
fn demo_new_form() -> (
    bagdar::instrument::InstrumentDefinition,
    std::collections::HashMap<String, (f64, f64)>,
) {
    let mut new = demo();
    let mut planted_by_scale = std::collections::HashMap::new();
    for (k, scale) in new.scales.iter().enumerate() {
        planted_by_scale.insert(
            scale.id.clone(),
            (0.8 + 0.05 * k as f64, 0.1 * k as f64 - 0.5),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for item in &mut new.items {
        let (a, b) = planted_by_scale[&item.scale];
        item.model = planted(a, b).inverse().transform(&item.model);
        if seen.insert(item.scale.clone()) {
            item.id = format!("{}-new", item.id);
        }
    }
    (new, planted_by_scale)
}

#[test]
fn whole_forms_link_scale_by_scale() {
    let base = demo();
    let (new, planted_by_scale) = demo_new_form();
    let linkings = link_forms(
        &base,
        &new,
        &[],
        LinkMethod::Haebara,
        &LinkSettings::default(),
    )
    .unwrap();
    assert_eq!(linkings.len(), 12);
    for l in &linkings {
        let (a, b) = planted_by_scale[&l.scale];
        assert!((l.linking.slope - a).abs() < 1e-8, "{l:?}");
        assert!((l.linking.intercept - b).abs() < 1e-8, "{l:?}");
        let total = base.items.iter().filter(|i| i.scale == l.scale).count();
        assert_eq!(l.common_items.len(), total - 1);
    }
    // The transformed new form has the base parameters (the renamed items too).
    let moved = transform_form(&new, &linkings);
    bagdar::instrument::Instrument::new(moved.clone()).unwrap();
    for (m, original) in moved.items.iter().zip(&base.items) {
        assert_eq!(m.model.kind(), original.model.kind());
        assert!((m.model.slope() - original.model.slope()).abs() < 1e-8);
        for (x, y) in m.model.thresholds().iter().zip(original.model.thresholds()) {
            assert!((x - y).abs() < 1e-7);
        }
    }
    // Only the scales asked for are moved.
    let verbal = vec!["verbal".to_string()];
    let one = link_forms(
        &base,
        &new,
        &verbal,
        LinkMethod::MeanSigma,
        &LinkSettings::default(),
    )
    .unwrap();
    assert_eq!(one.len(), 1);
    let partly = transform_form(&new, &one);
    for (p, n) in partly.items.iter().zip(&new.items) {
        assert_eq!(p.model == n.model, p.scale != "verbal", "{}", p.id);
    }
}

#[test]
fn whole_form_errors_name_the_item_or_scale() {
    let base = demo();
    let (new, _) = demo_new_form();
    let s = LinkSettings::default();
    let unknown = vec!["spatial".to_string()];
    let e = link_forms(&base, &new, &unknown, LinkMethod::Haebara, &s).unwrap_err();
    assert_eq!(e.code(), "unknown_id");
    assert!(e.to_string().contains("spatial"), "{e}");

    let mut moved = new.clone();
    let id = moved.items[5].id.clone();
    moved.items[5].reverse_keyed = !moved.items[5].reverse_keyed;
    let e = link_forms(&base, &moved, &[], LinkMethod::Haebara, &s).unwrap_err();
    assert_eq!(e.code(), "common_item_mismatch");
    assert!(e.to_string().contains(&id), "{e}");

    let mut lonely = new.clone();
    for item in lonely.items.iter_mut().filter(|i| i.scale == "caring") {
        item.id = format!("{}-x", item.id);
    }
    let e = link_forms(&base, &lonely, &[], LinkMethod::StockingLord, &s).unwrap_err();
    assert_eq!(e.code(), "too_few_common_items");
    assert!(e.to_string().ends_with("found 0 on scale caring"), "{e}");

    let mut nan = new.clone();
    let index = (nan.items.iter())
        .position(|i| i.model.kind() == ModelKind::ThreePl && !i.id.ends_with("-new"))
        .unwrap();
    let id = nan.items[index].id.clone();
    nan.items[index].model = ItemModel::ThreePl {
        slope: f64::INFINITY,
        intercept: 0.0,
        guessing: 0.2,
    };
    let e = link_forms(&base, &nan, &[], LinkMethod::MeanMean, &s).unwrap_err();
    assert_eq!(e.code(), "invalid_parameter");
    assert!(e.to_string().contains(&format!("{id} (new form)")), "{e}");
}
