#![allow(clippy::needless_range_loop)] // index loops mirror the formulas being checked
use super::*;
use proptest::prelude::*;

fn examples() -> Vec<ItemModel> {
    vec![
        ItemModel::Rasch { intercept: 0.3 },
        ItemModel::TwoPl {
            slope: 1.7,
            intercept: -0.4,
        },
        ItemModel::ThreePl {
            slope: 1.2,
            intercept: 0.5,
            guessing: 0.2,
        },
        ItemModel::FourPl {
            slope: 2.1,
            intercept: -1.0,
            guessing: 0.1,
            upper: 0.93,
        },
        ItemModel::Graded {
            slope: 1.4,
            intercepts: vec![2.5, 0.7, -0.6, -2.2],
        },
        ItemModel::Gpcm {
            slope: 0.8,
            intercepts: vec![0.5, 0.2, -1.5],
        },
        ItemModel::Pcm {
            intercepts: vec![1.0, 0.5],
        },
        ItemModel::RatingScale {
            intercept: 0.4,
            thresholds: vec![-1.0, 0.0, 1.0],
        },
    ]
}

#[test]
fn derivatives_match_finite_differences() {
    let h = 1e-5;
    for model in examples() {
        let f = model.response_function("x").unwrap();
        let k = f.categories();
        for &theta in &[-3.0, -0.7, 0.0, 1.3, 3.5] {
            let (mut p, mut d1, mut d2) = scratch();
            f.derivatives(theta, &mut p, &mut d1, &mut d2);
            let (mut pp, mut pm) = ([0.0; MAX_CATEGORIES], [0.0; MAX_CATEGORIES]);
            f.probabilities(theta + h, &mut pp);
            f.probabilities(theta - h, &mut pm);
            for c in 0..k {
                let fd1 = (pp[c] - pm[c]) / (2.0 * h);
                let fd2 = (pp[c] - 2.0 * p[c] + pm[c]) / (h * h);
                assert!(
                    (fd1 - d1[c]).abs() < 1e-8,
                    "{model:?} θ={theta} k={c}: {fd1} vs {}",
                    d1[c]
                );
                assert!(
                    (fd2 - d2[c]).abs() < 2e-4,
                    "{model:?} θ={theta} k={c}: {fd2} vs {}",
                    d2[c]
                );
            }
        }
    }
}

#[test]
fn information_is_negative_expected_second_derivative() {
    for model in examples() {
        let f = model.response_function("x").unwrap();
        let k = f.categories();
        for &theta in &[-2.0, 0.0, 0.9, 2.5] {
            let mut p = [0.0; MAX_CATEGORIES];
            f.probabilities(theta, &mut p);
            let expected_observed: f64 = (0..k)
                .map(|c| p[c] * f.terms(theta, c).observed_information)
                .sum();
            let info = f.information(theta);
            assert!(
                (expected_observed - info).abs() < 1e-10,
                "{model:?} θ={theta}"
            );
            assert!((f.terms(theta, 0).information - info).abs() < 1e-12);
        }
    }
}

#[test]
fn log_probabilities_are_finite_far_in_the_tails() {
    for model in examples() {
        let f = model.response_function("x").unwrap();
        let k = f.categories();
        for &theta in &[-40.0, -20.0, 20.0, 40.0] {
            let mut lp = [0.0; MAX_CATEGORIES];
            f.log_probabilities(theta, &mut lp);
            let mut p = [0.0; MAX_CATEGORIES];
            f.probabilities(theta, &mut p);
            for c in 0..k {
                assert!(
                    lp[c].is_finite(),
                    "{model:?} θ={theta} k={c}: ln P = {}",
                    lp[c]
                );
                assert!(lp[c] <= 0.0);
                assert!(!p[c].is_nan());
                assert!(f.information(theta).is_finite());
            }
        }
    }
}

#[test]
fn rating_scale_equals_its_partial_credit_form() {
    // P(k) ∝ exp(Σ_{j≤k}(θ + c − τ_j)), evaluated directly.
    let (c, tau) = (0.4, [-1.0, 0.0, 1.0]);
    let f = ItemModel::RatingScale {
        intercept: c,
        thresholds: tau.to_vec(),
    }
    .response_function("x")
    .unwrap();
    let theta = 0.37;
    let mut num = [1.0; 4];
    let mut acc = 0.0;
    for j in 0..3 {
        acc += theta + c - tau[j];
        num[j + 1] = f64::exp(acc);
    }
    let total: f64 = num.iter().sum();
    let mut p = [0.0; MAX_CATEGORIES];
    f.probabilities(theta, &mut p);
    for k in 0..4 {
        assert!((p[k] - num[k] / total).abs() < 1e-14);
    }
}

#[test]
fn validation_names_the_problem() {
    let err = ItemModel::Graded {
        slope: 1.0,
        intercepts: vec![1.0, 1.0],
    }
    .validate("SO03")
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref item, ref field, .. } if item == "SO03" && field == "intercepts[1]")
    );
    let err = ItemModel::TwoPl {
        slope: f64::NAN,
        intercept: 0.0,
    }
    .validate("i")
    .unwrap_err();
    assert!(err.to_string().contains("finite"));
    assert!(
        ItemModel::TwoPl {
            slope: -1.0,
            intercept: 0.0
        }
        .validate("i")
        .is_err()
    );
    assert!(
        ItemModel::ThreePl {
            slope: 1.0,
            intercept: 0.0,
            guessing: 1.0
        }
        .validate("i")
        .is_err()
    );
    assert!(
        ItemModel::Gpcm {
            slope: 1.0,
            intercepts: vec![]
        }
        .validate("i")
        .is_err()
    );
}

#[test]
fn scaling_round_trips() {
    for model in examples() {
        let there = model
            .to_scaling(Scaling::Normal)
            .from_scaling(Scaling::Normal);
        let f0 = model.response_function("x").unwrap();
        let f1 = there.response_function("x").unwrap();
        let (mut p0, mut p1) = ([0.0; MAX_CATEGORIES], [0.0; MAX_CATEGORIES]);
        f0.probabilities(0.8, &mut p0);
        f1.probabilities(0.8, &mut p1);
        for k in 0..f0.categories() {
            assert!((p0[k] - p1[k]).abs() < 1e-12);
        }
    }
}

fn arb_model() -> impl Strategy<Value = ItemModel> {
    let slope = 0.05f64..6.0;
    let d = -12.0f64..12.0;
    let list = prop::collection::vec(-12.0f64..12.0, 1..7);
    prop_oneof![
        d.clone()
            .prop_map(|intercept| ItemModel::Rasch { intercept }),
        (slope.clone(), d.clone())
            .prop_map(|(slope, intercept)| ItemModel::TwoPl { slope, intercept }),
        (slope.clone(), d.clone(), 0.0f64..0.5, 0.6f64..=1.0).prop_map(
            |(slope, intercept, guessing, upper)| ItemModel::FourPl {
                slope,
                intercept,
                guessing,
                upper
            }
        ),
        (slope.clone(), list.clone()).prop_map(|(slope, mut v)| {
            v.sort_by(|a, b| b.partial_cmp(a).unwrap());
            v.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
            ItemModel::Graded {
                slope,
                intercepts: v,
            }
        }),
        (slope, list.clone()).prop_map(|(slope, intercepts)| ItemModel::Gpcm { slope, intercepts }),
        (d, list).prop_map(|(intercept, thresholds)| ItemModel::RatingScale {
            intercept,
            thresholds
        }),
    ]
}

proptest! {
    #[test]
    fn probabilities_are_a_distribution(model in arb_model(), theta in -20.0f64..20.0) {
        let f = model.response_function("x").unwrap();
        let mut p = [0.0; MAX_CATEGORIES];
        f.probabilities(theta, &mut p);
        let k = f.categories();
        let sum: f64 = p[..k].iter().sum();
        prop_assert!((sum - 1.0).abs() < 1e-12, "sum {}", sum);
        for c in 0..k {
            prop_assert!((0.0..=1.0).contains(&p[c]));
        }
        let mut lp = [0.0; MAX_CATEGORIES];
        f.log_probabilities(theta, &mut lp);
        for c in 0..k {
            prop_assert!(!lp[c].is_nan() && lp[c] <= 1e-15);
            if p[c] > 1e-300 {
                prop_assert!((lp[c].exp() - p[c]).abs() <= 1e-12 * p[c].max(1e-300) + 1e-300 || (lp[c] - p[c].ln()).abs() < 1e-9);
            }
        }
        let info = f.information(theta);
        prop_assert!(info >= 0.0 && info.is_finite());
    }

    #[test]
    fn expected_score_rises_with_theta(model in arb_model(), theta in -8.0f64..8.0) {
        let f = model.response_function("x").unwrap();
        prop_assert!(f.expected_score(theta + 0.01) >= f.expected_score(theta) - 1e-12);
    }
}

/// `ResponseFunction::model` gives back an equal function for every family, so a
/// distributed E-step that ships items as JSON evaluates exactly the same items.
#[test]
fn response_function_model_round_trips_every_family() {
    let models = [
        ItemModel::Rasch { intercept: 0.4 },
        ItemModel::OnePl {
            slope: 1.3,
            intercept: -0.2,
        },
        ItemModel::TwoPl {
            slope: 0.7,
            intercept: 1.1,
        },
        ItemModel::ThreePl {
            slope: 1.5,
            intercept: 0.1,
            guessing: 0.2,
        },
        ItemModel::FourPl {
            slope: 1.5,
            intercept: 0.1,
            guessing: 0.2,
            upper: 0.95,
        },
        ItemModel::Graded {
            slope: 1.2,
            intercepts: vec![1.0, 0.0, -1.5],
        },
        ItemModel::Gpcm {
            slope: 0.8,
            intercepts: vec![0.5, 0.2],
        },
        ItemModel::Pcm {
            intercepts: vec![0.5, 0.2, -0.4],
        },
        ItemModel::RatingScale {
            intercept: 0.3,
            thresholds: vec![-1.0, 0.2, 0.8],
        },
    ];
    for m in &models {
        let f = m.response_function("i").unwrap();
        let json = serde_json::to_string(&f.model()).unwrap();
        let back: ItemModel = serde_json::from_str(&json).unwrap();
        assert_eq!(back.response_function("i").unwrap(), f, "{m:?}");
    }
}

/// The boundary-curve derivatives of a graded item as written before σ values were
/// shared between P and its derivatives (the reference the shared form must equal).
fn graded_reference_derivatives(g: &Graded, theta: f64, d1: &mut [f64], d2: &mut [f64]) {
    let m = g.intercepts.len();
    let a = g.slope;
    let (mut prev1, mut prev2) = (0.0, 0.0);
    for k in 0..=m {
        let (next1, next2) = if k < m {
            let z = a * theta + g.intercepts[k];
            let (s, q) = (sigmoid(z), sigmoid(-z));
            (a * s * q, a * a * s * q * (q - s))
        } else {
            (0.0, 0.0)
        };
        d1[k] = prev1 - next1;
        d2[k] = prev2 - next2;
        prev1 = next1;
        prev2 = next2;
    }
}

proptest! {
    /// `derivatives` gives the P of `probabilities` bit for bit, `category_derivatives`
    /// the entries of `derivatives`, and `terms` / `derivative_terms` agree: the modal
    /// estimators may use any of them and still give identical estimates.
    #[test]
    fn derivative_shortcuts_are_bit_identical(model in arb_model(), theta in -40.0f64..40.0) {
        let f = model.response_function("x").unwrap();
        let k = f.categories();
        let (mut p, mut d1, mut d2) = scratch();
        f.derivatives(theta, &mut p, &mut d1, &mut d2);
        let mut reference = [0.0; MAX_CATEGORIES];
        f.probabilities(theta, &mut reference);
        for c in 0..k {
            prop_assert_eq!(p[c].to_bits(), reference[c].to_bits(), "P_{}", c);
        }
        if let ResponseFunction::Graded(g) = &f {
            let (mut r1, mut r2) = ([0.0; MAX_CATEGORIES], [0.0; MAX_CATEGORIES]);
            graded_reference_derivatives(g, theta, &mut r1, &mut r2);
            for c in 0..k {
                prop_assert_eq!(d1[c].to_bits(), r1[c].to_bits());
                prop_assert_eq!(d2[c].to_bits(), r2[c].to_bits());
            }
        }
        let mut log_p = [0.0; MAX_CATEGORIES];
        f.log_probabilities(theta, &mut log_p);
        for c in 0..k {
            let (pc, d1c, d2c) = f.category_derivatives(theta, c);
            prop_assert_eq!(
                (pc.to_bits(), d1c.to_bits(), d2c.to_bits()),
                (p[c].to_bits(), d1[c].to_bits(), d2[c].to_bits())
            );
            let (terms, short) = (f.terms(theta, c), f.derivative_terms(theta, c));
            prop_assert_eq!(terms.log_probability.to_bits(), log_p[c].to_bits());
            prop_assert!(short.log_probability.is_nan());
            let (score, observed) = observed_terms(pc, d1c, d2c);
            for (a, b) in [
                (terms.score, short.score),
                (terms.score, score),
                (terms.observed_information, short.observed_information),
                (terms.observed_information, observed),
                (terms.information, short.information),
                (terms.warm, short.warm),
            ] {
                prop_assert_eq!(a.to_bits(), b.to_bits());
            }
        }
    }
}
