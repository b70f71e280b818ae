//! Fit statistics against published R `mirt` values (`tests/reference/fit.json`) and
//! independent recomputations; DIF on simulated data with planted and without DIF.

use bagdar::Error;
use bagdar::calibrate::{Calibration, CalibrationSettings, calibrate};
use bagdar::fit::{
    DifClass, chi_square_survival, empirical_reliability, infit_outfit, logistic_dif, m2,
    mantel_haenszel, mantel_ordinal, marginal_reliability, person_fit, s_x2, yen_q3,
};
use bagdar::model::{ItemModel, ModelKind, ResponseFunction};
use bagdar::quadrature::{Grid, Prior, Quadrature};
use bagdar::response::{MISSING, ResponseMatrix};
use bagdar::score::{Method, Scorer, ScoringSettings};
use serde_json::Value;

mod common;
use common::{numbers, read_patterns, reference_path};

fn case(name: &str) -> Value {
    common::case("fit.json", name)
}

fn lsat7_fit() -> (ResponseMatrix, CalibrationSettings, Calibration) {
    let responses = read_patterns("lsat7.txt");
    let settings = CalibrationSettings::default();
    let fit = calibrate(&responses, &settings).unwrap();
    assert!(fit.converged());
    (responses, settings, fit)
}

fn functions(items: &[ItemModel]) -> Vec<ResponseFunction> {
    items
        .iter()
        .map(|m| m.response_function("").unwrap())
        .collect()
}

#[test]
fn lsat7_m2_matches_mirt() {
    let case = case("lsat7-2pl-fit");
    let (responses, settings, fit) = lsat7_fit();
    let test = m2(&responses, &settings, &fit).unwrap();
    eprintln!("LSAT7 M2: {test:?}");
    assert_eq!(test.df as u64, case["m2_df"].as_u64().unwrap());
    let want = case["m2"].as_f64().unwrap();
    assert!((test.statistic - want).abs() < case["m2_tolerance"].as_f64().unwrap());
    assert!((test.p_value - chi_square_survival(test.statistic, 5.0)).abs() < 1e-15);
    assert!(!test.ordinal);
    assert!(test.srmsr > 0.0 && test.srmsr < 0.1);
}

#[test]
fn lsat7_s_x2_matches_mirt() {
    let case = case("lsat7-2pl-fit");
    let (responses, settings, fit) = lsat7_fit();
    let items = s_x2(&responses, &settings, &fit).unwrap();
    let got: Vec<f64> = items.iter().map(|i| i.statistic).collect();
    let want = numbers(&case["s_x2"]);
    let tol = case["s_x2_tolerance"].as_f64().unwrap();
    eprintln!("LSAT7 S-X2: got {got:.4?}, mirt {want:?}");
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < tol);
    }
    let dfs: Vec<f64> = items.iter().map(|i| i.df as f64).collect();
    assert_eq!(dfs, numbers(&case["s_x2_df"]));
}

#[test]
fn lsat7_empirical_reliability_matches_mirt() {
    let case = case("lsat7-2pl-fit");
    let (responses, _, fit) = lsat7_fit();
    let scorer = Scorer::from_models(&fit.items, &ScoringSettings::default()).unwrap();
    // The "about 0.43" is met by the summed-score EAPs (mirt `EAPsum`); the
    // response-pattern EAPs give 0.4523 (recorded in fit.json, checked below).
    let sum_eap = scorer.score_sum(&responses).unwrap();
    let rho = empirical_reliability(&sum_eap).unwrap();
    let pattern = empirical_reliability(&scorer.score(&responses).unwrap()).unwrap();
    eprintln!("LSAT7 empirical reliability: summed-score EAP {rho:.4}, pattern EAP {pattern:.4}");
    assert!((pattern - case["pattern_eap_empirical_reliability"].as_f64().unwrap()).abs() < 1e-3);
    assert!(
        (rho - case["empirical_reliability"].as_f64().unwrap()).abs()
            < case["empirical_reliability_tolerance"].as_f64().unwrap()
    );
    // The marginal reliability on the same grid is of the same size.
    let q = Quadrature::new(&Grid::default(), &Prior::default()).unwrap();
    let marginal = marginal_reliability(&functions(&fit.items), &q);
    eprintln!("LSAT7 marginal reliability {marginal:.4}");
    assert!((marginal - rho).abs() < 0.05);
}

fn simulate_at(items: &[ItemModel], theta: &[f64], seed: u64) -> ResponseMatrix {
    bagdar::simulate::responses(&functions(items), theta, seed)
}

/// θ from N(0, 1) by the inverse CDF on a regular grid of probabilities (deterministic).
fn normal_thetas(n: usize) -> Vec<f64> {
    (0..n)
        .map(|p| bagdar::decide::normal_quantile((((p * 7919) % n) as f64 + 0.5) / n as f64))
        .collect()
}

#[test]
fn infit_outfit_flag_misfitting_items() {
    // Rasch analysis of data where item 0 discriminates far more (overfit, MS < 1) and
    // item 1 far less (underfit, MS > 1) than the rest.
    let theta = normal_thetas(3000);
    let mut truth: Vec<ItemModel> = (0..12)
        .map(|i| ItemModel::TwoPl {
            slope: 1.0,
            intercept: 1.1 - 0.2 * i as f64,
        })
        .collect();
    truth[0] = ItemModel::TwoPl {
        slope: 3.0,
        intercept: 0.0,
    };
    truth[1] = ItemModel::TwoPl {
        slope: 0.3,
        intercept: 0.0,
    };
    let data = simulate_at(&truth, &theta, 11);
    let rasch: Vec<ItemModel> = (0..12)
        .map(|i| ItemModel::Rasch {
            intercept: if i < 2 { 0.0 } else { 1.1 - 0.2 * i as f64 },
        })
        .collect();
    let fit = infit_outfit(&data, &functions(&rasch), &theta).unwrap();
    eprintln!("overfit {:?}\nunderfit {:?}", fit[0], fit[1]);
    assert!(fit[0].infit < 0.85 && fit[0].infit_z < -3.0);
    assert!(fit[1].infit > 1.15 && fit[1].infit_z > 3.0);
    assert!(fit[1].outfit > 1.15 && fit[1].outfit_z > 3.0);
    for f in &fit[2..] {
        assert!(
            (f.infit - 1.0).abs() < 0.06 && f.infit_z.abs() < 3.0,
            "{f:?}"
        );
        assert!(
            (f.outfit - 1.0).abs() < 0.1 && f.outfit_z.abs() < 3.0,
            "{f:?}"
        );
        assert_eq!(f.persons, 3000);
    }
}

#[test]
fn infit_outfit_match_a_direct_computation() {
    // Two persons, one item, by hand: P = σ(θ + d).
    let item = ItemModel::Rasch { intercept: 0.5 };
    let theta = [-0.3, 1.2];
    let data = ResponseMatrix::from_rows(&[vec![Some(1)], vec![Some(0)]]).unwrap();
    let f = infit_outfit(&data, &functions(&[item]), &theta).unwrap()[0];
    let p: Vec<f64> = theta
        .iter()
        .map(|t| 1.0 / (1.0 + (-(t + 0.5f64)).exp()))
        .collect();
    let w: Vec<f64> = p.iter().map(|p| p * (1.0 - p)).collect();
    let r = [1.0 - p[0], -p[1]];
    let outfit = (r[0] * r[0] / w[0] + r[1] * r[1] / w[1]) / 2.0;
    let infit = (r[0] * r[0] + r[1] * r[1]) / (w[0] + w[1]);
    assert!((f.outfit - outfit).abs() < 1e-12 && (f.infit - infit).abs() < 1e-12);
    assert!(matches!(
        infit_outfit(
            &data,
            &functions(&[ItemModel::Rasch { intercept: 0.0 }]),
            &[0.0]
        ),
        Err(Error::WrongLength {
            what: "theta",
            expected: 2,
            found: 1
        })
    ));
}

#[test]
fn lz_star_is_standard_normal_under_the_model() {
    let theta = normal_thetas(2000);
    let truth: Vec<ItemModel> = (0..30)
        .map(|i| ItemModel::TwoPl {
            slope: 0.8 + 0.04 * i as f64,
            intercept: 1.5 - 0.1 * i as f64,
        })
        .collect();
    let data = simulate_at(&truth, &theta, 3);
    for method in [Method::Ml, Method::Wle, Method::Map] {
        let scorer = Scorer::from_models(&truth, &ScoringSettings::with_method(method)).unwrap();
        let fit = person_fit(&data, &scorer).unwrap();
        let values: Vec<f64> = fit
            .iter()
            .map(|f| f.lz_star)
            .filter(|v| v.is_finite())
            .collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let flagged = values.iter().filter(|&&v| v < -1.645).count() as f64 / n;
        eprintln!("{method:?}: lz* mean {mean:.3}, sd {sd:.3}, below −1.645: {flagged:.3}");
        assert!(n > 1900.0);
        assert!(mean.abs() < 0.1 && (sd - 1.0).abs() < 0.1);
        assert!((flagged - 0.05).abs() < 0.025);
    }
    // EAP: lz only.
    let scorer = Scorer::from_models(&truth, &ScoringSettings::default()).unwrap();
    let fit = person_fit(&data, &scorer).unwrap();
    assert!(fit.iter().all(|f| f.lz_star.is_nan() && f.lz.is_finite()));
}

#[test]
fn lz_matches_a_direct_computation() {
    let items = vec![
        ItemModel::TwoPl {
            slope: 1.0,
            intercept: 0.5,
        },
        ItemModel::TwoPl {
            slope: 2.0,
            intercept: -0.5,
        },
        ItemModel::Graded {
            slope: 1.2,
            intercepts: vec![1.0, -1.0],
        },
    ];
    let scorer = Scorer::from_models(&items, &ScoringSettings::with_method(Method::Ml)).unwrap();
    let data = ResponseMatrix::from_rows(&[vec![Some(1), Some(0), Some(2)]]).unwrap();
    let fit = person_fit(&data, &scorer).unwrap()[0];
    let t = fit.theta;
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    let probs = [
        vec![1.0 - sig(t + 0.5), sig(t + 0.5)],
        vec![1.0 - sig(2.0 * t - 0.5), sig(2.0 * t - 0.5)],
        vec![
            1.0 - sig(1.2 * t + 1.0),
            sig(1.2 * t + 1.0) - sig(1.2 * t - 1.0),
            sig(1.2 * t - 1.0),
        ],
    ];
    let x = [1, 0, 2];
    let l0: f64 = probs.iter().zip(x).map(|(p, k)| p[k].ln()).sum();
    let e: f64 = probs
        .iter()
        .map(|p| p.iter().map(|q| q * q.ln()).sum::<f64>())
        .sum();
    let v: f64 = probs
        .iter()
        .map(|p| {
            let m1: f64 = p.iter().map(|q| q * q.ln()).sum();
            p.iter().map(|q| q * q.ln() * q.ln()).sum::<f64>() - m1 * m1
        })
        .sum();
    assert!((fit.lz - (l0 - e) / v.sqrt()).abs() < 1e-10);
    // lz* of a polytomous test: Sinharay's form (decide::person_fit), r0 = 0 for ML.
    let direct = bagdar::decide::person_fit(&functions(&items), &[1, 0, 2], t, 0.0).lz_star();
    assert!((fit.lz_star - direct).abs() < 1e-12);
}

#[test]
fn snijders_lz_star_agrees_with_the_polytomous_form_on_dichotomous_items() {
    let items: Vec<ItemModel> = (0..8)
        .map(|i| ItemModel::ThreePl {
            slope: 0.7 + 0.2 * i as f64,
            intercept: 1.0 - 0.3 * i as f64,
            guessing: 0.15,
        })
        .collect();
    let data = simulate_at(&items, &normal_thetas(50), 8);
    let scorer = Scorer::from_models(&items, &ScoringSettings::with_method(Method::Ml)).unwrap();
    for (p, f) in person_fit(&data, &scorer).unwrap().iter().enumerate() {
        if f.theta.is_finite() {
            let other =
                bagdar::decide::person_fit(&functions(&items), data.row(p), f.theta, 0.0).lz_star();
            assert!((f.lz_star - other).abs() < 1e-9, "{} {}", f.lz_star, other);
        }
    }
}

#[test]
fn q3_finds_a_dependent_pair() {
    let theta = normal_thetas(2000);
    let items: Vec<ItemModel> = (0..8)
        .map(|i| ItemModel::TwoPl {
            slope: 1.3,
            intercept: 0.8 - 0.2 * i as f64,
        })
        .collect();
    let mut data = simulate_at(&items, &theta, 5).data().to_vec();
    // Item 6 copies item 2 for a third of the persons (a shared stimulus).
    for p in 0..2000 {
        if p % 3 == 0 {
            data[p * 8 + 6] = data[p * 8 + 2];
        }
    }
    let data = ResponseMatrix::new(2000, 8, data).unwrap();
    let q3 = yen_q3(&data, &functions(&items), &theta).unwrap();
    eprintln!(
        "Q3 mean {:.3}, max {:?} {:.3}",
        q3.mean, q3.max_pair, q3.max_centred
    );
    assert_eq!(q3.max_pair, (2, 6));
    assert!(q3.max_centred > 0.2);
    // Chen–Thissen LD X² flags the same pair, with a positive sign.
    let q = Quadrature::new(&Grid::default(), &Prior::default()).unwrap();
    let pairs = bagdar::fit::ld_x2(&data, &functions(&items), &q).unwrap();
    let worst = pairs
        .iter()
        .max_by(|a, b| a.chi_square.total_cmp(&b.chi_square))
        .unwrap();
    eprintln!("LD X2 worst {worst:?}");
    assert_eq!((worst.first, worst.second), (2, 6));
    assert!(worst.p_value < 1e-10 && worst.cramers_v > 0.1);
    // (Pairs with item 6 also misfit: copying changed its difficulty; the others do not.)
    let others = pairs
        .iter()
        .filter(|p| p.first != 6 && p.second != 6 && p.p_value < 0.001)
        .count();
    assert!(others <= 1);
    // The other pairs stay near the mean.
    for i in 0..8 {
        for j in i + 1..8 {
            if (i, j) != (2, 6) {
                assert!((q3.matrix[i * 8 + j] - q3.mean).abs() < 0.1);
            }
        }
    }
}

fn two_groups(shift: &[(usize, f64)], persons: usize, seed: u64) -> (ResponseMatrix, Vec<usize>) {
    let base: Vec<ItemModel> = (0..20)
        .map(|i| ItemModel::TwoPl {
            slope: 0.8 + 0.05 * i as f64,
            intercept: 1.5 - 0.15 * i as f64,
        })
        .collect();
    let mut focal_items = base.clone();
    for &(i, s) in shift {
        if let ItemModel::TwoPl { intercept, .. } = &mut focal_items[i] {
            *intercept -= s;
        }
    }
    let theta = normal_thetas(persons);
    // The focal group is 0.3 lower on average: impact, not DIF.
    let focal_theta: Vec<f64> = theta.iter().map(|t| t - 0.3).collect();
    let mut data = simulate_at(&base, &theta, seed).data().to_vec();
    data.extend_from_slice(simulate_at(&focal_items, &focal_theta, seed + 1).data());
    let groups = (0..2 * persons).map(|p| p / persons).collect();
    (ResponseMatrix::new(2 * persons, 20, data).unwrap(), groups)
}

#[test]
fn mantel_haenszel_detects_planted_dif() {
    let (data, groups) = two_groups(&[(3, 1.0), (12, -0.6)], 1500, 21);
    let table = mantel_haenszel(&data, &groups, 0, 1).unwrap();
    for row in &table {
        eprintln!(
            "item {:2}: χ² {:7.2} p {:.4} α {:.3} Δ {:6.2} ± {:.2} {:?}",
            row.item,
            row.chi_square,
            row.p_value,
            row.odds_ratio,
            row.delta,
            row.delta_se,
            row.class
        );
    }
    // 1 logit harder for the focal group: Δ ≈ −2.35 (negative = favours reference).
    assert_eq!(table[3].class, DifClass::C);
    assert!(table[3].delta < -1.5 && table[3].p_value < 1e-6);
    // 0.6 logit easier: Δ ≈ +1.4, flagged B or C.
    assert!(table[12].delta > 1.0 && table[12].class != DifClass::A);
    let others = table
        .iter()
        .filter(|r| r.item != 3 && r.item != 12 && r.class != DifClass::A)
        .count();
    assert!(others <= 1);
}

#[test]
fn mantel_haenszel_false_positive_rate_is_near_nominal() {
    // No DIF (only impact), 20 replications × 20 items at α = 0.05.
    let mut rejected = 0usize;
    let mut flagged = 0usize;
    let mut total = 0usize;
    for rep in 0..20 {
        let (data, groups) = two_groups(&[], 500, 1000 + 2 * rep);
        for row in mantel_haenszel(&data, &groups, 0, 1).unwrap() {
            total += 1;
            rejected += (row.p_value < 0.05) as usize;
            flagged += (row.class != DifClass::A) as usize;
        }
    }
    let rate = rejected as f64 / total as f64;
    eprintln!("MH null: rejection rate {rate:.3} of {total}; B/C flags {flagged}");
    // Binomial SD at 400 tests is 0.011; the continuity correction makes it conservative.
    assert!(rate > 0.01 && rate < 0.08);
    assert!(flagged <= 4);
}

#[test]
fn fit_statistics_give_typed_errors() {
    let (responses, settings, fit) = lsat7_fit();
    let mut rows: Vec<Vec<Option<u8>>> = (0..responses.persons())
        .map(|p| responses.row(p).iter().map(|&x| Some(x)).collect())
        .collect();
    rows[4][2] = None;
    let holed = ResponseMatrix::from_rows(&rows).unwrap();
    assert!(holed.row(4)[2] == MISSING);
    for err in [
        m2(&holed, &settings, &fit).unwrap_err(),
        s_x2(&holed, &settings, &fit).unwrap_err(),
    ] {
        assert_eq!(err.code(), "missing_response");
        assert!(matches!(err, Error::MissingResponse { person: 4, .. }));
    }
    // Three 2PL items: 6 moments, 6 parameters.
    let three = responses.select_columns(&[0, 1, 2]);
    let fit3 = calibrate(&three, &settings).unwrap();
    assert!(matches!(
        m2(&three, &settings, &fit3),
        Err(Error::NoDegreesOfFreedom {
            moments: 6,
            parameters: 6,
            ..
        })
    ));
    // Fit of other data.
    assert!(matches!(
        m2(&three, &settings, &fit),
        Err(Error::WrongItemCount { .. })
    ));
    let groups = vec![0usize; 10];
    let err = mantel_haenszel(&responses, &groups, 0, 1).unwrap_err();
    assert_eq!(err.code(), "wrong_length");
    let groups = vec![0usize; 1000];
    assert_eq!(
        mantel_haenszel(&responses, &groups, 0, 1)
            .unwrap_err()
            .code(),
        "invalid_groups"
    );
    assert_eq!(
        mantel_haenszel(&responses, &groups, 0, 0)
            .unwrap_err()
            .code(),
        "invalid_groups"
    );
    assert_eq!(
        empirical_reliability(&[]).unwrap_err().code(),
        "too_few_persons"
    );
}

#[test]
fn graded_model_fit_is_acceptable_when_the_model_holds() {
    let theta = normal_thetas(2000);
    let truth: Vec<ItemModel> = (0..10)
        .map(|i| ItemModel::Graded {
            slope: 1.0 + 0.1 * i as f64,
            intercepts: vec![2.0 - 0.1 * i as f64, 0.3, -1.5 + 0.05 * i as f64],
        })
        .collect();
    let data = simulate_at(&truth, &theta, 17);
    let settings = CalibrationSettings {
        model: ModelKind::Graded,
        ..Default::default()
    };
    let fit = calibrate(&data, &settings).unwrap();
    let test = m2(&data, &settings, &fit).unwrap();
    eprintln!("graded M2*: {test:?}");
    assert!(test.ordinal);
    assert_eq!(test.df, 10 + 45 - 40);
    assert!(test.p_value > 0.01 && test.rmsea < 0.03 && test.srmsr < 0.03);
    let items = s_x2(&data, &settings, &fit).unwrap();
    for item in &items {
        eprintln!("graded S-X2 {item:?}");
        assert!(item.df > 10 && item.statistic.is_finite());
        assert!(item.p_value > 0.001);
    }
}

fn json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(reference_path(name)).unwrap()).unwrap()
}

fn max_abs_diff(what: &str, got: &[f64], want: &[f64]) -> f64 {
    let d = got
        .iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max);
    eprintln!("{what}: max |diff| {d:.2e}");
    d
}

/// eRm 1.0.2 `itemfit` on `raschdat1` with eRm's own CML items and ML persons
/// (`tests/reference/erm_infit_outfit.json`, script in `tests/reference/r/`).
#[test]
fn infit_outfit_match_erm() {
    let reference = json("erm_infit_outfit.json");
    let text = std::fs::read_to_string(reference_path("raschdat1.txt")).unwrap();
    let rows: Vec<Vec<Option<u8>>> = text
        .lines()
        .map(|l| l.bytes().map(|b| Some(b - b'0')).collect())
        .collect();
    let data = ResponseMatrix::from_rows(&rows).unwrap();
    let items: Vec<ItemModel> = numbers(&reference["intercept"])
        .iter()
        .map(|&intercept| ItemModel::Rasch { intercept })
        .collect();
    let theta: Vec<f64> = reference["theta"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    let fit = infit_outfit(&data, &functions(&items), &theta).unwrap();
    let field =
        |f: fn(&bagdar::fit::ItemMeanSquares) -> f64| -> Vec<f64> { fit.iter().map(f).collect() };
    assert!(
        max_abs_diff(
            "eRm outfit",
            &field(|f| f.outfit),
            &numbers(&reference["outfit"])
        ) < 1e-6
    );
    assert!(
        max_abs_diff(
            "eRm infit",
            &field(|f| f.infit),
            &numbers(&reference["infit"])
        ) < 1e-6
    );
    assert!(
        max_abs_diff(
            "eRm outfit Z",
            &field(|f| f.outfit_z),
            &numbers(&reference["outfit_z"])
        ) < 1e-8
    );
    assert!(
        max_abs_diff(
            "eRm infit Z",
            &field(|f| f.infit_z),
            &numbers(&reference["infit_z"])
        ) < 1e-8
    );
}

fn dif_data() -> (ResponseMatrix, Vec<usize>) {
    let text = std::fs::read_to_string(reference_path("dif_mh.txt")).unwrap();
    let mut groups = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        let (g, pattern) = line.split_once(' ').unwrap();
        groups.push(g.parse::<usize>().unwrap());
        rows.push(pattern.bytes().map(|b| Some(b - b'0')).collect::<Vec<_>>());
    }
    (ResponseMatrix::from_rows(&rows).unwrap(), groups)
}

/// R `glm` on the same data (`tests/reference/dif_logistic.json`).
#[test]
fn logistic_dif_matches_r_glm() {
    let reference = json("dif_logistic.json");
    let (data, groups) = dif_data();
    let table = logistic_dif(&data, &groups, 0, 1).unwrap();
    let col =
        |f: fn(&bagdar::fit::LogisticDif) -> f64| -> Vec<f64> { table.iter().map(f).collect() };
    for (name, got) in [
        ("uniform_chi_square", col(|r| r.uniform_chi_square)),
        ("nonuniform_chi_square", col(|r| r.nonuniform_chi_square)),
        ("total_chi_square", col(|r| r.total_chi_square)),
        ("group_effect", col(|r| r.group_effect)),
        ("delta_r2", col(|r| r.delta_r2)),
    ] {
        assert!(max_abs_diff(name, &got, &numbers(&reference[name])) < 1e-7);
    }
    assert!(table[2].uniform_p_value < 1e-6 && table[2].group_effect < 0.0);
}

#[test]
fn logistic_dif_detects_non_uniform_dif() {
    // Item 4's slope is 1.8 in the reference group and 0.4 in the focal group.
    let theta = normal_thetas(1500);
    let items = |slope4: f64| -> Vec<ItemModel> {
        (0..15)
            .map(|i| ItemModel::TwoPl {
                slope: if i == 4 { slope4 } else { 1.1 },
                intercept: 1.0 - 0.14 * i as f64,
            })
            .collect()
    };
    let mut data = simulate_at(&items(1.8), &theta, 41).data().to_vec();
    data.extend_from_slice(simulate_at(&items(0.4), &theta, 42).data());
    let data = ResponseMatrix::new(3000, 15, data).unwrap();
    let groups: Vec<usize> = (0..3000).map(|p| p / 1500).collect();
    let table = logistic_dif(&data, &groups, 0, 1).unwrap();
    eprintln!("{:?}", table[4]);
    assert!(table[4].nonuniform_p_value < 1e-6);
    assert_ne!(table[4].class, DifClass::A);
    // Mantel–Haenszel, which sees only uniform DIF, misses most of it.
    let mh = mantel_haenszel(&data, &groups, 0, 1).unwrap();
    assert!(mh[4].delta.abs() < 1.0);
    let false_flags = table
        .iter()
        .filter(|r| r.item != 4 && r.total_p_value < 0.01)
        .count();
    assert!(false_flags <= 1);
}

/// R `stats::mantelhaen.test` on simulated two-group data (`tests/reference/dif_mh.*`).
#[test]
fn mantel_haenszel_matches_r() {
    let reference = json("dif_mh.json");
    let (data, groups) = dif_data();
    let table = mantel_haenszel(&data, &groups, 0, 1).unwrap();
    let col =
        |f: fn(&bagdar::fit::MantelHaenszel) -> f64| -> Vec<f64> { table.iter().map(f).collect() };
    assert!(
        max_abs_diff(
            "MH chi-square",
            &col(|r| r.chi_square),
            &numbers(&reference["chi_square"])
        ) < 1e-8
    );
    assert!(max_abs_diff("MH p", &col(|r| r.p_value), &numbers(&reference["p_value"])) < 1e-7);
    assert!(
        max_abs_diff(
            "MH odds ratio",
            &col(|r| r.odds_ratio),
            &numbers(&reference["odds_ratio"])
        ) < 1e-8
    );
    let se: Vec<f64> = col(|r| r.delta_se / 2.35);
    assert!(
        max_abs_diff(
            "MH SE(ln α)",
            &se,
            &numbers(&reference["log_odds_ratio_se"])
        ) < 1e-8
    );
    // Planted: item index 2 harder for the focal group, 7 easier.
    assert!(table[2].delta < -1.0 && table[2].class != DifClass::A);
    for r in &table {
        eprintln!("{:?}", r);
    }
}

/// Mantel's ordinal test and SMD against an R implementation, and on 0/1 items against
/// `stats::mantelhaen.test(correct = FALSE)` (`tests/reference/dif_ordinal.json`).
#[test]
fn mantel_ordinal_matches_r() {
    let reference = json("dif_ordinal.json");
    let text = std::fs::read_to_string(reference_path("dif_ordinal.txt")).unwrap();
    let mut groups = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        let (g, pattern) = line.split_once(' ').unwrap();
        groups.push(g.parse::<usize>().unwrap());
        rows.push(pattern.bytes().map(|b| Some(b - b'0')).collect::<Vec<_>>());
    }
    let data = ResponseMatrix::from_rows(&rows).unwrap();
    let table = mantel_ordinal(&data, &groups, 0, 1).unwrap();
    let col =
        |f: fn(&bagdar::fit::OrdinalDif) -> f64| -> Vec<f64> { table.iter().map(f).collect() };
    for (name, got) in [
        ("chi_square", col(|r| r.chi_square)),
        ("smd", col(|r| r.smd)),
        ("effect_size", col(|r| r.effect_size)),
    ] {
        assert!(max_abs_diff(name, &got, &numbers(&reference[name])) < 1e-9);
    }
    assert_eq!(table[1].class, DifClass::C);
    assert!(table[1].smd < 0.0);
    // Dichotomous items: Mantel's test is the uncorrected Mantel–Haenszel test.
    let (data, groups) = dif_data();
    let got: Vec<f64> = mantel_ordinal(&data, &groups, 0, 1)
        .unwrap()
        .iter()
        .map(|r| r.chi_square)
        .collect();
    assert!(
        max_abs_diff(
            "uncorrected MH",
            &got,
            &numbers(&reference["dichotomous_chi_square"])
        ) < 1e-9
    );
}
