//! Multi-group calibration and likelihood-ratio DIF: identities with the single-group
//! fit, recovery of planted group distributions and DIF, the false-positive rate, and
//! errors.

use bagdar::Error;
use bagdar::calibrate::{
    CalibrationSettings, GroupSettings, Simulation, calibrate, calibrate_groups, simulate,
};
use bagdar::fit::{DifTable, dif, likelihood_ratio_dif};
use bagdar::model::ItemModel;
use bagdar::response::ResponseMatrix;

fn two_pl(n: usize) -> Vec<ItemModel> {
    (0..n)
        .map(|i| ItemModel::TwoPl {
            slope: 0.8 + 0.9 * ((i * 7) % n) as f64 / n as f64,
            intercept: -1.5 + 3.0 * i as f64 / (n - 1) as f64,
        })
        .collect()
}

/// Stacks the groups' simulated responses; returns the data and the group of each row.
fn stacked(parts: &[(Vec<ItemModel>, usize, f64, f64)], seed: u64) -> (ResponseMatrix, Vec<usize>) {
    let mut data = Vec::new();
    let mut groups = Vec::new();
    let mut persons = 0;
    let items = parts[0].0.len();
    for (g, (models, n, mean, sd)) in parts.iter().enumerate() {
        let simulation = Simulation {
            persons: *n,
            mean: *mean,
            sd: *sd,
            missing: 0.0,
            seed: seed + g as u64,
        };
        data.extend_from_slice(simulate(models, &simulation).unwrap().responses.data());
        groups.extend(std::iter::repeat_n(g, *n));
        persons += n;
    }
    (ResponseMatrix::new(persons, items, data).unwrap(), groups)
}

fn names(n: usize) -> Vec<String> {
    ["kk", "ru", "en"][..n]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn rows(responses: &ResponseMatrix, groups: &[usize], g: usize) -> ResponseMatrix {
    let data: Vec<u8> = (0..responses.persons())
        .filter(|&p| groups[p] == g)
        .flat_map(|p| responses.row(p).to_vec())
        .collect();
    let n = data.len() / responses.items();
    ResponseMatrix::new(n, responses.items(), data).unwrap()
}

#[test]
fn invariant_items_and_fixed_populations_are_the_single_group_fit() {
    let items = two_pl(6);
    let (responses, groups) = stacked(
        &[(items.clone(), 400, 0.0, 1.0), (items, 300, 0.4, 1.0)],
        11,
    );
    let settings = GroupSettings {
        groups: names(2),
        estimate_means: false,
        estimate_sds: false,
        ..Default::default()
    };
    let multi = calibrate_groups(&responses, &groups, &settings).unwrap();
    let single = calibrate(&responses, &CalibrationSettings::default()).unwrap();
    assert!(multi.converged() && single.converged());
    assert!(
        (multi.log_likelihood - single.log_likelihood).abs() < 1e-6,
        "{} vs {}",
        multi.log_likelihood,
        single.log_likelihood
    );
    assert_eq!(multi.parameters, single.parameters);
    for (a, b) in multi.items[1].iter().zip(&single.items) {
        assert!((a.slope() - b.slope()).abs() < 1e-4);
        assert!((a.difficulty().unwrap() - b.difficulty().unwrap()).abs() < 1e-4);
    }
}

#[test]
fn free_items_with_fixed_populations_are_separate_fits() {
    // Every item free and no population estimated: the groups share nothing, so the
    // fit is one ordinary calibration per group.
    let items = two_pl(5);
    let (responses, groups) = stacked(
        &[(items.clone(), 350, 0.0, 1.0), (items, 450, 0.0, 1.0)],
        21,
    );
    let settings = GroupSettings {
        groups: names(2),
        free_items: (0..5).collect(),
        estimate_means: false,
        estimate_sds: false,
        ..Default::default()
    };
    let multi = calibrate_groups(&responses, &groups, &settings).unwrap();
    let mut total = 0.0;
    for g in 0..2 {
        let alone = calibrate(
            &rows(&responses, &groups, g),
            &CalibrationSettings::default(),
        )
        .unwrap();
        total += alone.log_likelihood;
        for (a, b) in multi.items[g].iter().zip(&alone.items) {
            assert!(
                (a.slope() - b.slope()).abs() < 1e-4,
                "group {g}: {a:?} vs {b:?}"
            );
        }
    }
    assert!((multi.log_likelihood - total).abs() < 1e-6);
    assert_eq!(multi.parameters, 20);
}

#[test]
fn planted_group_distributions_are_recovered() {
    let items = two_pl(15);
    let planted = [(0.0, 1.0), (0.5, 1.2), (-0.3, 0.8)];
    let parts: Vec<_> = planted
        .iter()
        .map(|&(m, s)| (items.clone(), 2500, m, s))
        .collect();
    let (responses, groups) = stacked(&parts, 31);
    let mut settings = GroupSettings {
        groups: names(3),
        ..Default::default()
    };
    settings.calibration.standard_errors = true;
    let fit = calibrate_groups(&responses, &groups, &settings)
        .unwrap()
        .require_converged()
        .unwrap();
    assert_eq!((fit.means[0], fit.sds[0]), (0.0, 1.0));
    let se = fit.se.as_ref().unwrap();
    assert!(se.positive_definite);
    assert_eq!((se.means[0], se.sds[0]), (None, None));
    for (g, &(m, s)) in planted.iter().enumerate().skip(1) {
        let (se_m, se_s) = (se.means[g].unwrap(), se.sds[g].unwrap());
        assert!(se_m > 0.01 && se_m < 0.1 && se_s > 0.01 && se_s < 0.1);
        eprintln!(
            "group {g}: mean {:.4} ± {se_m:.4} (planted {m}), sd {:.4} ± {se_s:.4} (planted {s})",
            fit.means[g], fit.sds[g]
        );
        // Within 4 standard errors of the planted values.
        assert!(
            (fit.means[g] - m).abs() < 4.0 * se_m,
            "mean {g}: {} vs {m}",
            fit.means[g]
        );
        assert!(
            (fit.sds[g] - s).abs() < 4.0 * se_s,
            "sd {g}: {} vs {s}",
            fit.sds[g]
        );
    }
    // 15 slopes + 15 intercepts + 2 × (mean, SD).
    assert_eq!(fit.parameters, 34);
    assert_eq!(fit.persons, vec![2500.0; 3]);
    // EM never lowered the objective.
    assert!(fit.history.windows(2).all(|w| w[1] >= w[0] - 1e-9));
}

#[test]
fn likelihood_ratio_dif_finds_planted_dif_and_spares_clean_items() {
    let items = two_pl(8);
    let mut focal = items.clone();
    // Item 3 uniform DIF (harder for the focal group), item 6 non-uniform (flatter).
    focal[3] = ItemModel::TwoPl {
        slope: items[3].slope(),
        intercept: -items[3].slope() * (items[3].difficulty().unwrap() + 0.6),
    };
    focal[6] = ItemModel::TwoPl {
        slope: items[6].slope() * 0.4,
        intercept: -items[6].slope() * 0.4 * items[6].difficulty().unwrap(),
    };
    let (responses, groups) = stacked(&[(items, 1500, 0.0, 1.0), (focal, 1500, -0.4, 1.0)], 41);
    let settings = GroupSettings {
        groups: names(2),
        ..Default::default()
    };
    // With clean anchors.
    let table = likelihood_ratio_dif(&responses, &groups, &settings, Some(&[0, 1, 2, 4])).unwrap();
    assert_eq!(table.anchors, vec![0, 1, 2, 4]);
    let flagged: Vec<usize> = table
        .items
        .iter()
        .filter(|r| r.flagged)
        .map(|r| r.item)
        .collect();
    for row in &table.items {
        eprintln!(
            "item {}: G² {:.2} df {} p {:.4} adjusted {:.4} score difference {:.4}",
            row.item, row.chi_square, row.df, row.p_value, row.p_adjusted, row.score_difference[1]
        );
    }
    assert!(flagged.contains(&3) && flagged.contains(&6), "{flagged:?}");
    let row3 = table.items.iter().find(|r| r.item == 3).unwrap();
    assert_eq!(row3.df, 2);
    assert!(
        row3.score_difference[1] < -0.05,
        "{:?}",
        row3.score_difference
    );
    assert_eq!(row3.score_difference[0], 0.0);
    assert!(table.baseline.means[1] < -0.2);
    // All others as anchors: the planted items stand out the most.
    let table = likelihood_ratio_dif(&responses, &groups, &settings, None).unwrap();
    assert_eq!(table.items.len(), 8);
    let mut by_size: Vec<&_> = table.items.iter().collect();
    by_size.sort_by(|a, b| b.chi_square.total_cmp(&a.chi_square));
    let top: Vec<usize> = by_size[..2].iter().map(|r| r.item).collect();
    assert!(top.contains(&3) && top.contains(&6), "{top:?}");
    // The pairwise entry point ("lr") is the same test with 2PL items.
    let DifTable::LikelihoodRatio(pairwise) =
        dif(&responses, &groups, 0, 1, "lr".parse().unwrap()).unwrap()
    else {
        panic!("lr gives a likelihood-ratio table");
    };
    for (a, b) in pairwise.iter().zip(&table.items) {
        assert!((a.chi_square - b.chi_square).abs() < 1e-9);
    }
}

#[test]
fn likelihood_ratio_dif_false_positive_rate_is_near_nominal() {
    // No DIF, different abilities: over 6 data sets × 6 items the share of raw
    // p < 0.05 stays near 5% (binomial: P(≥ 6 of 36 | 0.05) ≈ 0.03).
    let items = two_pl(6);
    let mut rejections = 0;
    let mut tests = 0;
    for replication in 0..6 {
        let (responses, groups) = stacked(
            &[
                (items.clone(), 600, 0.0, 1.0),
                (items.clone(), 600, 0.5, 1.1),
            ],
            100 + 10 * replication,
        );
        let settings = GroupSettings {
            groups: names(2),
            ..Default::default()
        };
        let table = likelihood_ratio_dif(&responses, &groups, &settings, None).unwrap();
        for row in &table.items {
            tests += 1;
            rejections += (row.p_value < 0.05) as usize;
            assert!(row.converged);
        }
    }
    eprintln!("{rejections} of {tests} clean items rejected at 5%");
    assert!(
        rejections <= 5,
        "{rejections} of {tests} clean items rejected at 5%"
    );
}

#[test]
fn bad_group_settings_are_typed_errors() {
    let items = two_pl(4);
    let (responses, groups) = stacked(
        &[(items.clone(), 100, 0.0, 1.0), (items, 100, 0.0, 1.0)],
        51,
    );
    let settings = GroupSettings {
        groups: names(2),
        ..Default::default()
    };
    let one = GroupSettings {
        groups: names(1),
        ..Default::default()
    };
    assert!(matches!(
        calibrate_groups(&responses, &groups, &one),
        Err(Error::InvalidGroups { .. })
    ));
    assert!(matches!(
        calibrate_groups(&responses, &groups[1..], &settings),
        Err(Error::WrongLength { what: "groups", .. })
    ));
    let mut three = groups.clone();
    three[7] = 2;
    let err = calibrate_groups(&responses, &three, &settings).unwrap_err();
    assert!(err.to_string().contains("person 7"), "{err}");
    let all_free = GroupSettings {
        free_items: (0..4).collect(),
        ..settings.clone()
    };
    assert!(matches!(
        calibrate_groups(&responses, &groups, &all_free),
        Err(Error::InvalidSetting { .. })
    ));
    let out_of_range = GroupSettings {
        free_items: vec![9],
        ..settings.clone()
    };
    assert!(calibrate_groups(&responses, &groups, &out_of_range).is_err());
    // A free item that one group never answers correctly.
    let mut data = responses.data().to_vec();
    for p in 100..200 {
        data[p * 4 + 2] = 0;
    }
    let degenerate = ResponseMatrix::new(200, 4, data).unwrap();
    let free_two = GroupSettings {
        free_items: vec![2],
        ..settings.clone()
    };
    let err = calibrate_groups(&degenerate, &groups, &free_two).unwrap_err();
    assert!(
        matches!(&err, Error::UnobservedCategory { item, .. } if item == "#2 in group ru"),
        "{err:?}"
    );
    assert!(likelihood_ratio_dif(&responses, &groups, &free_two, None).is_err());
}

#[test]
fn an_item_without_a_category_in_one_group_is_reported_untestable() {
    let mut items = two_pl(8);
    items[2] = ItemModel::TwoPl {
        slope: 1.0,
        intercept: -3.5,
    };
    let (responses, groups) = stacked(
        &[(items.clone(), 500, 0.0, 1.0), (items, 500, 0.0, 1.0)],
        61,
    );
    let mut data = responses.data().to_vec();
    for p in 500..1000 {
        data[p * 8 + 2] = 0;
    }
    let responses = ResponseMatrix::new(1000, 8, data).unwrap();
    let settings = GroupSettings {
        groups: names(2),
        ..Default::default()
    };
    let table = likelihood_ratio_dif(&responses, &groups, &settings, None).unwrap();
    let row = &table.items[2];
    assert!(row.chi_square.is_nan() && row.p_value.is_nan() && !row.flagged);
    assert!(
        row.untestable
            .as_deref()
            .unwrap()
            .contains("#2 in group ru"),
        "{:?}",
        row.untestable
    );
    assert_eq!(
        table
            .items
            .iter()
            .filter(|r| r.untestable.is_none())
            .count(),
        7
    );
    assert!(
        table
            .items
            .iter()
            .all(|r| r.untestable.is_some() || r.p_value <= 1.0)
    );
}

/// R mirt 1.47 through psychotools 0.7.2 `nplmodel(type = "2PL", impact = group)` on
/// the same 61-point grid (`tests/reference/multigroup_2pl.*`, made by
/// `tests/reference/r/multigroup_2pl.R`): parameters within 1e-4, log-likelihood within
/// 1e-4, and ours not below the log-likelihood at mirt's estimates.
#[test]
fn multigroup_2pl_matches_mirt() {
    let path = |name: &str| format!("{}/../tests/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path("multigroup_2pl.txt")).unwrap();
    let mut data = Vec::new();
    let mut groups = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (group, pattern) = line.split_once(' ').unwrap();
        groups.push(group.parse::<usize>().unwrap() - 1);
        data.extend(pattern.trim().bytes().map(|b| b - b'0'));
    }
    let responses = ResponseMatrix::new(groups.len(), 10, data).unwrap();
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("multigroup_2pl.json")).unwrap())
            .unwrap();
    let numbers = |key: &str| -> Vec<f64> {
        reference[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let settings = GroupSettings {
        groups: names(3),
        ..Default::default()
    };
    let fit = calibrate_groups(&responses, &groups, &settings)
        .unwrap()
        .require_converged()
        .unwrap();
    let ll = reference["log_likelihood"].as_f64().unwrap();
    assert!(
        (fit.log_likelihood - ll).abs() < 1e-4,
        "log-likelihood {} vs mirt {ll}",
        fit.log_likelihood
    );
    assert!(fit.log_likelihood >= ll - 1e-6);
    assert_eq!(
        fit.parameters,
        reference["parameters"].as_u64().unwrap() as usize
    );
    let close = |what: &str, ours: &[f64], theirs: &[f64]| {
        let worst = ours
            .iter()
            .zip(theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        eprintln!("{what}: max |Δ| {worst:e}");
        assert!(worst < 1e-4, "{what}: max |Δ| {worst:e}");
    };
    let slopes: Vec<f64> = fit.items[0].iter().map(|m| m.slope()).collect();
    let intercepts: Vec<f64> = fit.items[0]
        .iter()
        .map(|m| match m {
            ItemModel::TwoPl { intercept, .. } => *intercept,
            other => panic!("{other:?}"),
        })
        .collect();
    close("slopes", &slopes, &numbers("slope"));
    close("intercepts", &intercepts, &numbers("intercept"));
    close("group means", &fit.means, &numbers("group_mean"));
    close("group sds", &fit.sds, &numbers("group_sd"));
}

/// Concurrent calibration (Kolen & Brennan 2014, §6.7): form A (items 0–9) taken by
/// one group, form B (items 5–14) by an abler and more varied one, items 5–9 common.
/// One multi-group fit puts both forms on group A's scale: the planted transformation
/// (θ_B = 0.6 + 1.3·z) is recovered, and so are the generating items.
#[test]
fn concurrent_calibration_links_two_forms_through_common_items() {
    use bagdar::response::MISSING;
    let truth = two_pl(15);
    let (full, groups) = stacked(
        &[
            (truth.clone(), 3000, 0.0, 1.0),
            (truth.clone(), 3000, 0.6, 1.3),
        ],
        71,
    );
    let mut data = full.data().to_vec();
    for p in 0..6000 {
        let not_taken = if groups[p] == 0 { 10..15 } else { 0..5 };
        for i in not_taken {
            data[p * 15 + i] = MISSING;
        }
    }
    let responses = ResponseMatrix::new(6000, 15, data).unwrap();
    let settings = GroupSettings {
        groups: vec!["A".into(), "B".into()],
        ..Default::default()
    };
    let fit = calibrate_groups(&responses, &groups, &settings)
        .unwrap()
        .require_converged()
        .unwrap();
    assert!((fit.means[1] - 0.6).abs() < 0.1, "mean {}", fit.means[1]);
    assert!((fit.sds[1] - 1.3).abs() < 0.1, "sd {}", fit.sds[1]);
    let rmse = |f: &dyn Fn(&ItemModel) -> f64| -> f64 {
        let sum: f64 = fit.items[0]
            .iter()
            .zip(&truth)
            .map(|(a, b)| (f(a) - f(b)).powi(2))
            .sum();
        (sum / truth.len() as f64).sqrt()
    };
    let slopes = rmse(&|m| m.slope());
    let difficulties = rmse(&|m| m.difficulty().unwrap());
    assert!(
        slopes < 0.1 && difficulties < 0.1,
        "RMSE slope {slopes}, difficulty {difficulties}"
    );
}
