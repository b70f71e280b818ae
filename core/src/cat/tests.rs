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

/// The saved stop and estimates are those of the session, every field written (the
/// golden session, tests/golden/cat/demo-session.json, checks the exact text).
#[test]
fn saved_sessions_carry_the_derived_state() {
    let instrument = demo();
    let settings = CatSettings::from_json(
        r#"{"classification": [{"scale": "caring", "cut": {"theta": 0.25}, "method": "glr",
            "indifference": 0.5, "alpha": 0.1, "beta": 0.1}], "max_total": 12}"#,
    )
    .unwrap();
    let mut session = CatSession::start(&instrument, settings, "en", 7).unwrap();
    while let Some(next) = session.next_item(&instrument).unwrap() {
        let saved: serde_json::Value = serde_json::from_str(&session.to_json().unwrap()).unwrap();
        assert_eq!(
            saved["estimates"],
            serde_json::to_value(session.estimates()).unwrap()
        );
        assert_eq!(
            saved["stop"],
            serde_json::to_value(session.stop_reason()).unwrap()
        );
        let value = next.options[next.options.len() - 1].value;
        session
            .answer(&instrument, &next.item, value, None)
            .unwrap();
    }
    let saved: serde_json::Value = serde_json::from_str(&session.to_json().unwrap()).unwrap();
    assert_eq!(
        saved["estimates"],
        serde_json::to_value(session.estimates()).unwrap()
    );
    assert_eq!(saved["stop"], "max_total");
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
    let only_max = CatSettings::from_json(r#"{"length": {"max": 5}}"#).unwrap();
    assert_eq!(
        only_max.length,
        Length {
            min: 2,
            max: Some(5)
        }
    );
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

#[test]
fn a_discrete_prior_works_with_every_criterion() {
    let instrument = demo();
    for criterion in [Criterion::Mfi, Criterion::Kl, Criterion::Pwi] {
        for nodes in [vec![0.3], vec![1.0, -1.0, 0.0]] {
            let weights = vec![1.0; nodes.len()];
            let settings = CatSettings {
                selection: Selection {
                    criterion,
                    ..Selection::default()
                },
                scales: vec!["verbal".into()],
                estimation: Estimation {
                    scoring: crate::score::ScoringSettings {
                        prior: crate::quadrature::Prior::Discrete { nodes, weights },
                        ..Default::default()
                    },
                    ..Estimation::default()
                },
                ..CatSettings::default()
            };
            let mut session = CatSession::start(&instrument, settings, "en", 1).unwrap();
            while let Some(next) = session.next_item(&instrument).unwrap() {
                session.answer(&instrument, &next.item, 1, None).unwrap();
            }
            assert!(session.estimates()[10].estimate.theta.is_finite());
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn settings_for(criterion: u8, exposure: u8, routing: u8, method: u8) -> CatSettings {
        CatSettings {
            estimation: Estimation {
                scoring: crate::score::ScoringSettings::with_method(
                    [
                        crate::score::Method::Eap,
                        crate::score::Method::Map,
                        crate::score::Method::Ml,
                    ][method as usize],
                ),
                ..Estimation::default()
            },
            selection: Selection {
                criterion: [Criterion::Mfi, Criterion::Kl, Criterion::Pwi][criterion as usize],
                kl_points: 121,
                ..Selection::default()
            },
            routing: [Routing::Blocks, Routing::LargestSe, Routing::RoundRobin][routing as usize],
            scales: vec!["social".into(), "verbal".into(), "caring".into()],
            exposure: match exposure {
                0 => Exposure::None,
                1 => Exposure::Randomesque { top: 3 },
                _ => Exposure::SympsonHetter {
                    parameters: [("VR06", 0.3), ("VR07", 0.5), ("SO01", 0.4)]
                        .iter()
                        .map(|(id, k)| (id.to_string(), *k))
                        .collect(),
                },
            },
            ..CatSettings::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Invariants of every session: saving and resuming at any step gives the same
        /// state and the same continuation; no item is given twice; estimates are finite.
        #[test]
        fn sessions_resume_exactly(
            seed in any::<u64>(),
            criterion in 0u8..3,
            exposure in 0u8..3,
            routing in 0u8..3,
            method in 0u8..3,
            answers in proptest::collection::vec(0usize..5, 40),
            save_at in 0usize..40,
        ) {
            let instrument = demo();
            let settings = settings_for(criterion, exposure, routing, method);
            let mut session = CatSession::start(&instrument, settings, "ru", seed).unwrap();
            let mut resumed: Option<CatSession> = None;
            for (step, pick) in answers.iter().enumerate() {
                if step == save_at {
                    let text = session.to_json().unwrap();
                    let copy = CatSession::from_json(&text, &instrument).unwrap();
                    prop_assert_eq!(copy.to_json().unwrap(), text);
                    resumed = Some(copy);
                }
                let Some(next) = session.next_item(&instrument).unwrap() else { break };
                if let Some(r) = resumed.as_mut() {
                    prop_assert_eq!(r.next_item(&instrument).unwrap(), Some(next.clone()));
                }
                let value = next.options[pick % next.options.len()].value;
                session.answer(&instrument, &next.item, value, None).unwrap();
                if let Some(r) = resumed.as_mut() {
                    r.answer(&instrument, &next.item, value, None).unwrap();
                    prop_assert_eq!(r.estimates(), session.estimates());
                }
            }
            let mut given: Vec<&str> = session.responses().iter().map(|r| r.item.as_str()).collect();
            let n = given.len();
            given.sort_unstable();
            given.dedup();
            prop_assert_eq!(given.len(), n);
            for e in session.estimates() {
                prop_assert!(e.estimate.theta.is_finite() && e.estimate.se.is_finite());
            }
        }
    }
}
