//! Unit tests of the CAT engine's tables and settings.

use super::engine::CatEngine;
use super::*;
use crate::instrument::Instrument;
use crate::model::{MAX_CATEGORIES, ResponseCurve};

fn demo() -> Instrument {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    );
    Instrument::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn kl_prefix_sums_match_a_direct_sum() {
    let instrument = demo();
    let settings = CatSettings {
        selection: Selection {
            criterion: Criterion::Kl,
            kl_points: 121,
            ..Selection::default()
        },
        ..CatSettings::default()
    };
    let engine = CatEngine::new(&instrument, settings).unwrap();
    let step = 0.1;
    for item in [0, 17, 95, 103] {
        let f = &instrument.items()[item];
        for (theta, answered) in [(0.0, 0), (0.37, 4), (-1.23, 9), (5.9, 1)] {
            let delta = 3.0 / (answered.max(1) as f64).sqrt();
            let mut p0 = [0.0; MAX_CATEGORIES];
            let mut l0 = [0.0; MAX_CATEGORIES];
            f.probabilities(theta, &mut p0);
            f.log_probabilities(theta, &mut l0);
            let mut direct = 0.0;
            for q in 0..121 {
                let t = -6.0 + step * q as f64;
                if (t - theta).abs() <= delta + 1e-12 {
                    let mut l = [0.0; MAX_CATEGORIES];
                    f.log_probabilities(t, &mut l);
                    direct += (0..f.categories())
                        .map(|c| p0[c] * (l0[c] - l[c]))
                        .sum::<f64>()
                        * step;
                }
            }
            let fast = engine.criterion(item, theta, answered, &[]);
            assert!(
                (fast - direct).abs() <= 1e-9 * direct.abs().max(1.0),
                "item {item} θ {theta}: {fast} vs {direct}"
            );
        }
    }
}

#[test]
fn mfi_criterion_is_the_exact_information() {
    let instrument = demo();
    let engine = CatEngine::new(&instrument, CatSettings::default()).unwrap();
    for item in [0, 50, 100] {
        let theta = 0.123;
        assert_eq!(
            engine.criterion(item, theta, 3, &[]),
            instrument.items()[item].information(theta)
        );
    }
}

#[test]
fn settings_round_trip_through_json() {
    let settings = CatSettings {
        exposure: Exposure::SympsonHetter {
            parameters: [("VR01".to_string(), 0.1 + 0.2)].into_iter().collect(),
        },
        classification: vec![ClassificationRule {
            scale: "social".into(),
            cut: CutSource::Profile("teacher".into()),
            method: ClassificationMethod::Glr,
            indifference: 0.3,
            alpha: 0.05,
            beta: 0.1,
        }],
        ..CatSettings::default()
    };
    let text = serde_json::to_string(&settings).unwrap();
    assert_eq!(CatSettings::from_json(&text).unwrap(), settings);
    settings.check(&demo()).unwrap();
}

#[test]
fn switched_off_stops_round_trip() {
    let settings = CatSettings {
        se_target: None,
        max_total: Some(30),
        ..CatSettings::default()
    };
    let text = serde_json::to_string(&settings).unwrap();
    assert!(text.contains("\"se_target\":null"), "{text}");
    assert_eq!(CatSettings::from_json(&text).unwrap(), settings);
    let default: CatSettings = CatSettings::from_json("{}").unwrap();
    assert_eq!(default.se_target, Some(0.4));
}

#[test]
fn a_percentile_profile_cut_is_refused() {
    let instrument = demo();
    let mut definition = instrument.definition().clone();
    definition.profiles[0].cut = crate::instrument::Cut::Percentile(80.0);
    let changed = Instrument::new(definition).unwrap();
    let settings = CatSettings {
        classification: vec![ClassificationRule {
            scale: "social".into(),
            cut: CutSource::Profile("teacher".into()),
            method: ClassificationMethod::Sprt,
            indifference: 0.3,
            alpha: 0.05,
            beta: 0.05,
        }],
        ..CatSettings::default()
    };
    let e = settings.check(&changed).unwrap_err();
    assert_eq!(e.code(), "invalid_setting");
}
