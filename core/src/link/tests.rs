use super::*;
use crate::model::ItemModel;

fn every_kind() -> Vec<ItemModel> {
    vec![
        ItemModel::Rasch { intercept: 0.3 },
        ItemModel::OnePl {
            slope: 1.3,
            intercept: -0.2,
        },
        ItemModel::TwoPl {
            slope: 0.9,
            intercept: 0.7,
        },
        ItemModel::ThreePl {
            slope: 1.6,
            intercept: -0.4,
            guessing: 0.2,
        },
        ItemModel::FourPl {
            slope: 1.1,
            intercept: 0.1,
            guessing: 0.1,
            upper: 0.95,
        },
        ItemModel::Graded {
            slope: 1.4,
            intercepts: vec![1.5, 0.2, -1.1],
        },
        ItemModel::Gpcm {
            slope: 0.8,
            intercepts: vec![0.5, 0.4, -0.6],
        },
        ItemModel::Pcm {
            intercepts: vec![0.4, -0.3],
        },
        ItemModel::RatingScale {
            intercept: 0.25,
            thresholds: vec![-0.8, 0.1, 0.9],
        },
    ]
}

fn linking(slope: f64, intercept: f64) -> Linking {
    Linking {
        method: LinkMethod::StockingLord,
        slope,
        intercept,
        criterion: None,
        common_items: 0,
        iterations: 0,
        converged: true,
    }
}

fn probabilities(item: &ItemModel, theta: f64) -> Vec<f64> {
    let f = item.response_function("t").unwrap();
    let mut p = [0.0; MAX_CATEGORIES];
    f.probabilities(theta, &mut p);
    p[..f.categories()].to_vec()
}

#[test]
fn transformed_items_give_the_same_probabilities_on_the_base_scale() {
    for (slope, intercept) in [(1.3, -0.4), (0.7, 0.9), (1.0, 0.5)] {
        let l = linking(slope, intercept);
        for item in every_kind() {
            let moved = l.transform(&item);
            moved.validate("moved").unwrap();
            assert_eq!(moved.categories(), item.categories());
            for theta_new in [-3.0, -1.2, 0.0, 0.4, 2.5] {
                let before = probabilities(&item, theta_new);
                let after = probabilities(&moved, l.theta(theta_new));
                for (x, y) in before.iter().zip(&after) {
                    assert!((x - y).abs() < 1e-13, "{item:?} → {moved:?}: {x} vs {y}");
                }
            }
            // Every difficulty and threshold b* = A·b + B.
            for (b, b_star) in item.thresholds().iter().zip(moved.thresholds()) {
                assert!((b_star - (slope * b + intercept)).abs() < 1e-12);
            }
            // And the inverse brings it back.
            let back = l.inverse().transform(&moved);
            for theta in [-2.0, 0.3, 1.7] {
                let (x, y) = (probabilities(&item, theta), probabilities(&back, theta));
                assert!(x.iter().zip(&y).all(|(x, y)| (x - y).abs() < 1e-13));
            }
        }
    }
}

#[test]
fn fixed_slope_families_are_kept_only_when_a_is_one() {
    let kinds = |l: &Linking| -> Vec<ModelKind> {
        every_kind().iter().map(|m| l.transform(m).kind()).collect()
    };
    let same: Vec<ModelKind> = every_kind().iter().map(|m| m.kind()).collect();
    assert_eq!(kinds(&linking(1.0, 0.5)), same);
    let moved = kinds(&linking(1.2, 0.5));
    assert_eq!(moved[0], ModelKind::OnePl);
    assert_eq!(moved[7], ModelKind::Gpcm);
    assert_eq!(moved[8], ModelKind::Gpcm);
    assert_eq!(&moved[1..7], &same[1..7]);
    // Guessing and upper asymptotes are unchanged.
    let l = linking(1.7, -2.0);
    match l.transform(&every_kind()[4]) {
        ItemModel::FourPl {
            guessing, upper, ..
        } => assert_eq!((guessing, upper), (0.1, 0.95)),
        other => panic!("{other:?}"),
    }
    // RSM with A = 1 moves its intercept only.
    assert_eq!(
        linking(1.0, 0.5).transform(&every_kind()[8]),
        ItemModel::RatingScale {
            intercept: -0.25,
            thresholds: vec![-0.8, 0.1, 0.9]
        }
    );
}

#[test]
fn method_names_parse_and_serialize() {
    for m in [
        LinkMethod::MeanMean,
        LinkMethod::MeanSigma,
        LinkMethod::StockingLord,
        LinkMethod::Haebara,
    ] {
        assert_eq!(m.name().parse::<LinkMethod>().unwrap(), m);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            format!("\"{}\"", m.name())
        );
    }
    assert_eq!(
        "Stocking-Lord".parse::<LinkMethod>().unwrap(),
        LinkMethod::StockingLord
    );
    assert_eq!(
        "mean/sigma".parse::<LinkMethod>().unwrap(),
        LinkMethod::MeanSigma
    );
    let e = "equipercentile".parse::<LinkMethod>().unwrap_err();
    assert_eq!(e.code(), "unknown_id");
    assert!(e.to_string().contains("stocking_lord"), "{e}");
}

fn mixed_pairs() -> (Vec<ItemModel>, Vec<ItemModel>) {
    let base = vec![
        ItemModel::TwoPl {
            slope: 1.2,
            intercept: 0.3,
        },
        ItemModel::ThreePl {
            slope: 1.5,
            intercept: -0.5,
            guessing: 0.15,
        },
        ItemModel::Graded {
            slope: 1.1,
            intercepts: vec![1.2, -0.1, -1.4],
        },
        ItemModel::Gpcm {
            slope: 0.9,
            intercepts: vec![0.6, 0.2],
        },
    ];
    // Not an exact transformation of `base`: the criterion has a positive minimum.
    let new = vec![
        ItemModel::TwoPl {
            slope: 1.5,
            intercept: 0.9,
        },
        ItemModel::ThreePl {
            slope: 1.8,
            intercept: 0.2,
            guessing: 0.2,
        },
        ItemModel::Graded {
            slope: 1.3,
            intercepts: vec![2.0, 0.5, -0.9],
        },
        ItemModel::Gpcm {
            slope: 1.2,
            intercepts: vec![1.1, 1.2],
        },
    ];
    (base, new)
}

#[test]
fn analytic_gradient_and_hessian_match_finite_differences() {
    let (base, new) = mixed_pairs();
    let bf = functions(&base, "base", &|i| format!("#{i}")).unwrap();
    let nf = functions(&new, "new", &|i| format!("#{i}")).unwrap();
    let q = Quadrature::new(&Grid::default(), &Prior::default()).unwrap();
    for stocking_lord in [true, false] {
        for symmetric in [false, true] {
            let c = Criterion::new(&bf, &nf, &q, stocking_lord, symmetric);
            let (a, b) = (1.15, -0.35);
            let v = c.evaluate(a, b);
            let h = 1e-5;
            let fa = (c.evaluate(a + h, b).f - c.evaluate(a - h, b).f) / (2.0 * h);
            let fb = (c.evaluate(a, b + h).f - c.evaluate(a, b - h).f) / (2.0 * h);
            assert!(
                (fa - v.g[0]).abs() < 1e-7 * (1.0 + v.g[0].abs()),
                "{fa} {v:?}"
            );
            assert!(
                (fb - v.g[1]).abs() < 1e-7 * (1.0 + v.g[1].abs()),
                "{fb} {v:?}"
            );
            let ga = |x: f64, y: f64| c.evaluate(x, y).g;
            let haa = (ga(a + h, b)[0] - ga(a - h, b)[0]) / (2.0 * h);
            let hab = (ga(a, b + h)[0] - ga(a, b - h)[0]) / (2.0 * h);
            let hbb = (ga(a, b + h)[1] - ga(a, b - h)[1]) / (2.0 * h);
            for (num, ana) in [(haa, v.h[0][0]), (hab, v.h[0][1]), (hbb, v.h[1][1])] {
                assert!(
                    (num - ana).abs() < 1e-6 * (1.0 + ana.abs()),
                    "{num} vs {ana}"
                );
            }
            assert_eq!(v.h[0][1], v.h[1][0]);
        }
    }
}

#[test]
fn characteristic_curve_minimum_has_zero_gradient() {
    let (base, new) = mixed_pairs();
    for method in [LinkMethod::StockingLord, LinkMethod::Haebara] {
        for symmetric in [false, true] {
            let settings = LinkSettings {
                symmetric,
                ..LinkSettings::default()
            };
            let l = link(&base, &new, method, &settings).unwrap();
            assert!(l.converged, "{l:?}");
            assert!(l.iterations < 20, "{l:?}");
            let crit = l.criterion.unwrap();
            assert!(crit > 1e-6, "{l:?}");
            // Any nearby (A, B) is worse.
            let bf = functions(&base, "base", &|i| format!("#{i}")).unwrap();
            let nf = functions(&new, "new", &|i| format!("#{i}")).unwrap();
            let q = settings.quadrature().unwrap();
            let c = Criterion::new(&bf, &nf, &q, method == LinkMethod::StockingLord, symmetric);
            let v = c.evaluate(l.slope, l.intercept);
            assert!(v.g[0].abs() < 1e-10 && v.g[1].abs() < 1e-10, "{v:?}");
            for (da, db) in [(1e-4, 0.0), (-1e-4, 0.0), (0.0, 1e-4), (0.0, -1e-4)] {
                assert!(c.evaluate(l.slope + da, l.intercept + db).f > crit);
            }
        }
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let (base, new) = mixed_pairs();
    let s = LinkSettings::default();
    let e = link(&base, &new[..3], LinkMethod::MeanMean, &s).unwrap_err();
    assert_eq!(e, Error::CommonItemCount { base: 4, new: 3 });
    let e = link(&base[..1], &new[..1], LinkMethod::MeanSigma, &s).unwrap_err();
    assert_eq!(
        e,
        Error::TooFewCommonItems {
            method: "mean_sigma",
            needed: 2,
            found: 1,
            context: String::new(),
        }
    );
    let e = link(&[], &[], LinkMethod::Haebara, &s).unwrap_err();
    assert_eq!(e.code(), "too_few_common_items");
    // One item is enough for the characteristic-curve methods (start from mean/mean).
    let one = link(&base[..1], &new[..1], LinkMethod::StockingLord, &s).unwrap();
    assert!(one.converged);

    let mut swapped = new.clone();
    swapped.swap(0, 1);
    let e = link(&base, &swapped, LinkMethod::Haebara, &s).unwrap_err();
    assert_eq!(e.code(), "common_item_mismatch");
    assert!(e.to_string().contains("#0"), "{e}");
    assert_eq!(e.category(), crate::ErrorCategory::Instrument);
    let mut fewer = new.clone();
    fewer[2] = ItemModel::Graded {
        slope: 1.3,
        intercepts: vec![2.0, 0.5],
    };
    let e = link(&base, &fewer, LinkMethod::MeanMean, &s).unwrap_err();
    assert!(e.to_string().contains("grm with 3 categories"), "{e}");

    let mut nan = new.clone();
    nan[1] = ItemModel::TwoPl {
        slope: f64::NAN,
        intercept: 0.0,
    };
    let e = link(&base, &nan, LinkMethod::MeanMean, &s).unwrap_err();
    assert_eq!(e.code(), "invalid_parameter");
    assert!(e.to_string().contains("#1 (new form)"), "{e}");

    let flat = vec![ItemModel::Rasch { intercept: 0.5 }; 3];
    let e = link(&flat, &flat, LinkMethod::MeanSigma, &s).unwrap_err();
    assert_eq!(e.code(), "zero_difficulty_spread");
    // Mean/mean still works, and Rasch pairs with 1PL/2PL.
    let twopl = vec![
        ItemModel::TwoPl {
            slope: 1.0,
            intercept: 0.5
        };
        3
    ];
    let l = link(&flat, &twopl, LinkMethod::MeanMean, &s).unwrap();
    assert_eq!((l.slope, l.intercept), (1.0, 0.0));

    let bad = LinkSettings {
        tolerance: 0.0,
        ..LinkSettings::default()
    };
    let e = link(&base, &new, LinkMethod::StockingLord, &bad).unwrap_err();
    assert_eq!(e.code(), "invalid_setting");
    // The moment methods need no settings.
    assert!(link(&base, &new, LinkMethod::MeanSigma, &bad).is_ok());
}

#[test]
fn an_iteration_limit_is_reported_not_hidden() {
    let (base, new) = mixed_pairs();
    let settings = LinkSettings {
        max_iterations: 1,
        ..LinkSettings::default()
    };
    let l = link(&base, &new, LinkMethod::Haebara, &settings).unwrap();
    assert!(!l.converged, "{l:?}");
    assert_eq!(l.iterations, 1);
    let full = link(&base, &new, LinkMethod::Haebara, &LinkSettings::default()).unwrap();
    // One Newton step from mean/sigma already lowers the criterion.
    let start = link(&base, &new, LinkMethod::MeanSigma, &settings).unwrap();
    assert!(full.criterion.unwrap() <= l.criterion.unwrap());
    assert!((l.slope - full.slope).abs() < (start.slope - full.slope).abs());
}

#[test]
fn settings_round_trip_through_json() {
    let s: LinkSettings = serde_json::from_str(r#"{"symmetric": true}"#).unwrap();
    assert!(s.symmetric);
    assert_eq!(s.grid.points, 61);
    assert!(serde_json::from_str::<LinkSettings>(r#"{"symetric": true}"#).is_err());
}

use proptest::prelude::*;

proptest! {
    #[test]
    fn transform_is_a_change_of_scale(
        slope in 0.3f64..3.0,
        intercept in -2.0f64..2.0,
        which in 0usize..9,
        theta in -5.0f64..5.0,
    ) {
        let item = &every_kind()[which];
        let l = linking(slope, intercept);
        let moved = l.transform(item);
        prop_assert!(moved.validate("moved").is_ok());
        let (before, after) = (probabilities(item, theta), probabilities(&moved, l.theta(theta)));
        for (x, y) in before.iter().zip(&after) {
            prop_assert!((x - y).abs() < 1e-12, "{:?} → {:?}", item, moved);
        }
        let back = l.inverse().transform(&moved);
        let again = probabilities(&back, theta);
        for (x, y) in before.iter().zip(&again) {
            prop_assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn exact_pairs_are_linked_exactly(
        slope in 0.5f64..2.0,
        intercept in -1.0f64..1.0,
        method in 0usize..4,
        symmetric: bool,
    ) {
        let method = [
            LinkMethod::MeanMean,
            LinkMethod::MeanSigma,
            LinkMethod::StockingLord,
            LinkMethod::Haebara,
        ][method];
        let (base, _) = mixed_pairs();
        let new = linking(slope, intercept).inverse().transform_all(&base);
        let settings = LinkSettings { symmetric, ..LinkSettings::default() };
        let l = link(&base, &new, method, &settings).unwrap();
        prop_assert!(l.converged);
        prop_assert!((l.slope - slope).abs() < 1e-8, "{:?}", l);
        prop_assert!((l.intercept - intercept).abs() < 1e-8, "{:?}", l);
    }
}
