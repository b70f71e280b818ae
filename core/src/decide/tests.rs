use super::*;
use crate::instrument::{Instrument, Tiers};
use crate::model::{ItemModel, ResponseCurve};
use crate::quadrature::{Grid, Prior, Quadrature};
use crate::response::MISSING;
use crate::score::{Scorer, ScoringSettings};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn demo() -> Instrument {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    );
    Instrument::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn demo_pairs() -> Vec<ItemPair> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/quality/kasip-demo-pairs.json"
    );
    ItemPairs::from_json(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .pairs
}

fn nodes() -> Vec<f64> {
    Grid::default().nodes().unwrap()
}

/// A normal-shaped posterior on the nodes.
fn bell(nodes: &[f64], mean: f64, sd: f64) -> Vec<f64> {
    let raw: Vec<f64> = nodes
        .iter()
        .map(|t| (-0.5 * ((t - mean) / sd).powi(2)).exp())
        .collect();
    let total: f64 = raw.iter().sum();
    raw.iter().map(|w| w / total).collect()
}

// ---------------------------------------------------------------- composite

#[test]
fn composite_moments_are_the_weighted_sums() {
    let nodes = nodes();
    let a = bell(&nodes, 0.8, 0.4);
    let b = bell(&nodes, -0.3, 0.6);
    let c = CompositeDistribution::new(&nodes, &[&a, &b], &[3.0, 1.0], CompositeMethod::default())
        .unwrap();
    let moments = |p: &[f64]| {
        let m: f64 = nodes.iter().zip(p).map(|(t, w)| t * w).sum();
        let v: f64 = nodes.iter().zip(p).map(|(t, w)| (t - m).powi(2) * w).sum();
        (m, v)
    };
    let ((ma, va), (mb, vb)) = (moments(&a), moments(&b));
    assert!((c.mean() - (0.75 * ma + 0.25 * mb)).abs() < 1e-12);
    assert!((c.sd() - (0.5625 * va + 0.0625 * vb).sqrt()).abs() < 1e-12);
}

#[test]
fn composite_probability_matches_brute_force_enumeration() {
    let nodes = nodes();
    let posteriors = [
        bell(&nodes, 0.9, 0.45),
        bell(&nodes, 0.2, 0.6),
        bell(&nodes, -0.4, 0.35),
    ];
    let weights = [1.0, 0.75, 0.5];
    let total: f64 = weights.iter().sum();
    let refs: Vec<&[f64]> = posteriors.iter().map(Vec::as_slice).collect();
    let c =
        CompositeDistribution::new(&nodes, &refs, &weights, CompositeMethod::default()).unwrap();
    // Every combination of nodes (61³), mass above each cut.
    let cuts = [-0.5, 0.0, 0.23, 0.5, 0.77, 1.0];
    let mut above = [0.0; 6];
    for (i, &t0) in nodes.iter().enumerate() {
        for (j, &t1) in nodes.iter().enumerate() {
            let partial = (weights[0] * t0 + weights[1] * t1) / total;
            let m01 = posteriors[0][i] * posteriors[1][j];
            if m01 < 1e-16 {
                continue;
            }
            for (k, &t2) in nodes.iter().enumerate() {
                let value = partial + weights[2] * t2 / total;
                for (a, &cut) in above.iter_mut().zip(&cuts) {
                    if value > cut {
                        *a += m01 * posteriors[2][k];
                    }
                }
            }
        }
    }
    for (exact, &cut) in above.iter().zip(&cuts) {
        let p = c.probability_above(cut);
        // The lattice moves each atom by less than 0.01 per scale.
        assert!(
            (p - exact).abs() < 0.01,
            "cut {cut}: lattice {p} exact {exact}"
        );
    }
}

#[test]
fn composite_probability_matches_monte_carlo_for_seven_scales() {
    let nodes = nodes();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let posteriors: Vec<Vec<f64>> = (0..7)
        .map(|_| {
            bell(
                &nodes,
                rng.random_range(-1.0..1.5),
                rng.random_range(0.3..0.7),
            )
        })
        .collect();
    let weights = [1.0, 1.0, 1.0, 0.75, 0.75, 0.5, 0.25];
    let total: f64 = weights.iter().sum();
    let refs: Vec<&[f64]> = posteriors.iter().map(Vec::as_slice).collect();
    let c =
        CompositeDistribution::new(&nodes, &refs, &weights, CompositeMethod::default()).unwrap();
    let cdfs: Vec<Vec<f64>> = posteriors
        .iter()
        .map(|p| {
            let mut acc = 0.0;
            p.iter()
                .map(|w| {
                    acc += w;
                    acc
                })
                .collect()
        })
        .collect();
    let draws = 200_000;
    let cuts = [0.0, 0.3, 0.5, 0.8];
    let mut above = [0usize; 4];
    for _ in 0..draws {
        let value: f64 = cdfs
            .iter()
            .zip(&weights)
            .map(|(cdf, w)| {
                let u: f64 = rng.random();
                let q = cdf.iter().position(|&c| u < c).unwrap_or(nodes.len() - 1);
                w / total * nodes[q]
            })
            .sum();
        for (a, &cut) in above.iter_mut().zip(&cuts) {
            *a += usize::from(value > cut);
        }
    }
    for (count, &cut) in above.iter().zip(&cuts) {
        let mc = *count as f64 / draws as f64;
        let p = c.probability_above(cut);
        let tolerance = 4.0 * (mc * (1.0 - mc) / draws as f64).sqrt() + 0.005;
        assert!((p - mc).abs() < tolerance, "cut {cut}: lattice {p} MC {mc}");
    }
}

#[test]
fn composite_approaches_the_normal_with_many_items() {
    // Long 2PL scales make the scale posteriors nearly normal.
    let items: Vec<ItemModel> = (0..40)
        .map(|i| ItemModel::TwoPl {
            slope: 1.0 + 0.02 * i as f64,
            intercept: -1.5 + 0.075 * i as f64,
        })
        .collect();
    let scorer = Scorer::from_models(&items, &ScoringSettings::default()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let rows: Vec<Vec<u8>> = (0..3)
        .map(|_| {
            (0..40)
                .map(|_| u8::from(rng.random::<f64>() < 0.6))
                .collect()
        })
        .collect();
    let posteriors: Vec<Vec<f64>> = rows.iter().map(|r| scorer.posterior(r)).collect();
    let refs: Vec<&[f64]> = posteriors.iter().map(Vec::as_slice).collect();
    let nodes = scorer.quadrature().nodes();
    let weights = [1.0, 0.5, 0.25];
    let exact =
        CompositeDistribution::new(nodes, &refs, &weights, CompositeMethod::default()).unwrap();
    let normal =
        CompositeDistribution::new(nodes, &refs, &weights, CompositeMethod::Normal).unwrap();
    assert_eq!(exact.mean(), normal.mean());
    for k in -10..=10 {
        let cut = exact.mean() + 0.3 * exact.sd() * k as f64;
        let (p, q) = (exact.probability_above(cut), normal.probability_above(cut));
        assert!((p - q).abs() < 0.01, "cut {cut}: exact {p} normal {q}");
    }
}

#[test]
fn composite_rejects_bad_input() {
    let nodes = nodes();
    let a = bell(&nodes, 0.0, 1.0);
    let method = CompositeMethod::default();
    assert!(CompositeDistribution::new(&nodes, &[&a], &[0.0], method).is_err());
    assert!(CompositeDistribution::new(&nodes, &[&a], &[1.0, 2.0], method).is_err());
    assert!(CompositeDistribution::new(&nodes[1..], &[&a], &[1.0], method).is_err());
    let negative: Vec<f64> = a.iter().map(|w| -w).collect();
    assert!(CompositeDistribution::new(&nodes, &[&negative], &[1.0], method).is_err());
    let nan_bin = CompositeMethod::Convolution {
        bin_width: f64::NAN,
    };
    assert!(matches!(
        CompositeDistribution::new(&nodes, &[&a], &[1.0], nan_bin),
        Err(Error::InvalidSetting { .. })
    ));
}

fn posterior_strategy() -> impl Strategy<Value = Vec<f64>> {
    // Random masses on the inner nodes; the top node stays empty so a shift fits.
    proptest::collection::vec(0.0f64..1.0, 59).prop_map(|raw| {
        let mut p = vec![0.0];
        p.extend(raw.iter().map(|r| r * r * r));
        p.push(0.0);
        let total: f64 = p.iter().sum::<f64>().max(1e-300);
        p.iter().map(|w| w / total).collect()
    })
}

use crate::error::Error;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn probability_is_in_unit_interval_and_falls_with_the_cut(
        a in posterior_strategy(), b in posterior_strategy(),
        w in 0.1f64..3.0, cut in -3.0f64..3.0, step in 0.0f64..1.0,
    ) {
        prop_assume!(a.iter().sum::<f64>() > 0.5 && b.iter().sum::<f64>() > 0.5);
        let nodes = nodes();
        for method in [CompositeMethod::default(), CompositeMethod::Normal] {
            let c = CompositeDistribution::new(&nodes, &[&a, &b], &[1.0, w], method).unwrap();
            let (p, q) = (c.probability_above(cut), c.probability_above(cut + step));
            prop_assert!((0.0..=1.0).contains(&p));
            prop_assert!(q <= p + 1e-12);
        }
    }

    #[test]
    fn probability_rises_with_the_composite(
        a in posterior_strategy(), b in posterior_strategy(),
        w in 0.1f64..3.0, cut in -3.0f64..3.0,
    ) {
        prop_assume!(a.iter().sum::<f64>() > 0.5 && b.iter().sum::<f64>() > 0.5);
        let nodes = nodes();
        // Move scale a's posterior one node up: the composite mean rises.
        let mut shifted = vec![0.0; a.len()];
        shifted[1..].copy_from_slice(&a[..a.len() - 1]);
        for method in [CompositeMethod::default(), CompositeMethod::Normal] {
            let low = CompositeDistribution::new(&nodes, &[&a, &b], &[1.0, w], method).unwrap();
            let high = CompositeDistribution::new(&nodes, &[&shifted, &b], &[1.0, w], method).unwrap();
            prop_assert!(high.mean() > low.mean());
            if method == CompositeMethod::Normal {
                // Same SD: P is a monotone function of the mean.
                prop_assert!((high.sd() - low.sd()).abs() < 1e-9);
            }
            prop_assert!(high.probability_above(cut) >= low.probability_above(cut) - 1e-12);
        }
    }

    #[test]
    fn tiers_follow_the_thresholds(p in 0.0f64..=1.0, low in 0.0f64..0.5, gap in 0.01f64..0.5) {
        let tiers = Tiers { not_indicated: low, recommended: (low + gap).min(1.0) };
        let tier = Tier::from_probability(p, tiers);
        match tier {
            Tier::Recommended => prop_assert!(p >= tiers.recommended),
            Tier::NotIndicated => prop_assert!(p <= tiers.not_indicated),
            Tier::Borderline => prop_assert!(p > tiers.not_indicated && p < tiers.recommended),
        }
    }
}

// ---------------------------------------------------------------- normal

#[test]
fn normal_functions_invert_each_other() {
    for k in 1..200 {
        let p = k as f64 / 200.0;
        assert!((normal_cdf(normal_quantile(p)) - p).abs() < 2e-7, "{p}");
    }
    assert!((normal_cdf(-1.0) - 0.158_655_253_931_457).abs() < 2e-8);
    assert!((normal_quantile(0.001) + 3.090_232_306_167_813).abs() < 1e-7);
}

// ---------------------------------------------------------------- person fit

/// Snijders' (2001) lz* for dichotomous items, written from the paper's formulas:
/// w_i = ln(p_i/q_i), r_i = p_i'/(p_i q_i), c = Σ p_i' w_i / Σ p_i' r_i.
fn snijders(items: &[(f64, f64, f64)], x: &[u8], theta: f64, r0: f64) -> f64 {
    let (mut w_sum, mut pw, mut pr) = (0.0, 0.0, 0.0);
    let mut rows = Vec::new();
    for (&(a, d, g), &xi) in items.iter().zip(x) {
        let s = 1.0 / (1.0 + (-(a * theta + d)).exp());
        let p = g + (1.0 - g) * s;
        let q = 1.0 - p;
        let dp = (1.0 - g) * a * s * (1.0 - s);
        let w = (p / q).ln();
        let r = dp / (p * q);
        w_sum += (xi as f64 - p) * w;
        pw += dp * w;
        pr += dp * r;
        rows.push((p, q, w, r));
    }
    let c = pw / pr;
    let tau2: f64 = rows
        .iter()
        .map(|(p, q, w, r)| (w - c * r).powi(2) * p * q)
        .sum();
    (w_sum + c * r0) / tau2.sqrt()
}

#[test]
fn person_fit_matches_snijders_for_dichotomous_items() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for case in 0..50 {
        let n = 8 + case % 10;
        let params: Vec<(f64, f64, f64)> = (0..n)
            .map(|_| {
                (
                    rng.random_range(0.5..2.0),
                    rng.random_range(-2.0..2.0),
                    if case % 2 == 0 {
                        0.0
                    } else {
                        rng.random_range(0.0..0.3)
                    },
                )
            })
            .collect();
        let items: Vec<_> = params
            .iter()
            .map(|&(a, d, g)| {
                if g == 0.0 {
                    ItemModel::TwoPl {
                        slope: a,
                        intercept: d,
                    }
                } else {
                    ItemModel::ThreePl {
                        slope: a,
                        intercept: d,
                        guessing: g,
                    }
                }
                .response_function("i")
                .unwrap()
            })
            .collect();
        let x: Vec<u8> = (0..n)
            .map(|_| u8::from(rng.random::<f64>() < 0.5))
            .collect();
        let theta = rng.random_range(-2.0..2.0);
        let r0 = -theta;
        let ours = person_fit(&items, &x, theta, r0).lz_star();
        let reference = snijders(&params, &x, theta, r0);
        assert!(
            (ours - reference).abs() < 1e-9,
            "case {case}: {ours} vs {reference}"
        );
    }
}

#[test]
fn person_fit_skips_blanks_and_combines_scales() {
    let items: Vec<_> = [-1.0, 0.0, 1.0]
        .iter()
        .map(|&d| {
            ItemModel::Rasch { intercept: d }
                .response_function("i")
                .unwrap()
        })
        .collect();
    let full = person_fit(&items[..2], &[1, 0], 0.3, 0.0);
    let blank = person_fit(&items, &[1, 0, MISSING], 0.3, 0.0);
    assert_eq!(full, blank);
    let both = full.combine(full);
    assert!((both.lz_star() - full.lz_star() * 2f64.sqrt()).abs() < 1e-12);
    assert!(
        person_fit(&items, &[MISSING; 3], 0.0, 0.0)
            .lz_star()
            .is_nan()
    );
}

// ---------------------------------------------------------------- norms

#[test]
fn percentile_ranks_and_stanines_on_a_known_sample() {
    // 1..=100 once each: PR(k) = k − ½.
    let scores: Vec<f64> = (1..=100).map(f64::from).collect();
    let table = NormTable::from_scores(&scores).unwrap();
    assert_eq!(table.sample_size, 100);
    for k in [1, 4, 5, 11, 12, 50, 96, 97, 100] {
        assert!((table.percentile_rank(k as f64) - (k as f64 - 0.5)).abs() < 1e-12);
    }
    assert_eq!(table.percentile_rank(0.5), 0.0);
    assert_eq!(table.percentile_rank(100.5), 100.0);
    assert_eq!(table.percentile_rank(50.5), 50.0);
    assert_eq!(stanine(table.percentile_rank(4.0)), 1); // 3.5
    assert_eq!(stanine(table.percentile_rank(5.0)), 2); // 4.5
    assert_eq!(stanine(table.percentile_rank(50.0)), 5);
    assert_eq!(stanine(table.percentile_rank(97.0)), 9); // 96.5
    assert_eq!(table.quantile(30.0), 30.0);
    assert!((table.mean - 50.5).abs() < 1e-12);
    // Ties: mid-rank.
    let tied = NormTable::from_scores(&[0.0, 0.0, 0.0, 1.0, f64::NAN]).unwrap();
    assert_eq!(tied.sample_size, 4);
    assert_eq!(tied.percentile_rank(0.0), 37.5);
    assert_eq!(tied.percentile_rank(0.004), 37.5); // rounded to 0.01
    assert!(NormTable::from_scores(&[f64::NAN]).is_err());
    // Stanine shares are 4-7-12-17-20-17-12-7-4 on a uniform sample of ranks.
    let mut counts = [0; 9];
    for k in 1..=1000 {
        counts[stanine((k as f64 - 0.5) / 10.0) as usize - 1] += 1;
    }
    assert_eq!(counts, [40, 70, 120, 170, 200, 170, 120, 70, 40]);
}

// ---------------------------------------------------------------- explanations

#[test]
fn every_key_has_three_languages_and_the_same_placeholders() {
    let texts = Explanations::bundled().unwrap();
    assert_eq!(texts.languages, ["kk", "ru", "en"]);
    for key in EXPLANATION_KEYS {
        let t = &texts.texts[key];
        let reference = placeholders(&t.student["en"]);
        for audience in [Some(&t.student), t.counselor.as_ref()]
            .into_iter()
            .flatten()
        {
            for language in ["kk", "ru", "en"] {
                let text = &audience[language];
                assert!(!text.trim().is_empty(), "{key} {language}");
                assert_eq!(placeholders(text), reference, "{key} {language}");
            }
        }
        // Kazakh texts are Kazakh (a letter Russian lacks) unless they only name things.
        let kk = &t.student["kk"];
        assert!(
            kk.chars().any(|c| "әғқңөұүһі".contains(c)),
            "{key}: Kazakh text without Kazakh letters: {kk}"
        );
    }
    // A file missing a language is refused, naming the key.
    let mut broken: serde_json::Value = serde_json::from_str(BUNDLED_EXPLANATIONS).unwrap();
    broken["texts"]["tier.recommended"]["student"]
        .as_object_mut()
        .unwrap()
        .remove("kk");
    let err = Explanations::from_json(&broken.to_string()).unwrap_err();
    assert!(err.to_string().contains("tier.recommended"), "{err}");
    let mut broken: serde_json::Value = serde_json::from_str(BUNDLED_EXPLANATIONS).unwrap();
    broken["texts"]["norm.scale"]["student"]["ru"] = "По шкале «{scale}».".into();
    assert!(Explanations::from_json(&broken.to_string()).is_err());
}

#[test]
fn every_key_renders_in_every_language() {
    let ins = demo();
    let texts = Explanations::bundled().unwrap();
    for key in EXPLANATION_KEYS {
        let mut k = ExplanationKey::new(key);
        for name in placeholders(&texts.texts[key].student["en"]) {
            let value = match name.as_str() {
                "scale" => Argument::Scale("caring".into()),
                "profile" => Argument::Profile("teacher".into()),
                "seconds" => Argument::Decimal(1.25),
                _ => Argument::Number(42),
            };
            k = k.with(&name, value);
        }
        for language in ["kk", "ru", "en"] {
            for audience in [Audience::Student, Audience::Counselor] {
                let text = texts.render(&k, language, audience, &ins).unwrap();
                assert!(!text.contains('{') && !text.contains('}'), "{key}: {text}");
            }
        }
    }
    let k =
        ExplanationKey::new("composite.raised_by").with("scale", Argument::Scale("caring".into()));
    assert_eq!(
        texts.render(&k, "ru", Audience::Student, &ins).unwrap(),
        "Ваш результат по шкале «Забота о детях и младших» повысил итоговый балл по этой профессии."
    );
    let fast = ExplanationKey::new("quality.too_fast").with("seconds", Argument::Decimal(1.25));
    assert!(
        texts
            .render(&fast, "kk", Audience::Student, &ins)
            .unwrap()
            .contains("1,2")
    );
    assert!(
        texts
            .render(
                &ExplanationKey::new("no.such"),
                "en",
                Audience::Student,
                &ins
            )
            .is_err()
    );
    assert!(texts.render(&k, "de", Audience::Student, &ins).is_err());
    let missing_argument = ExplanationKey::new("composite.raised_by");
    assert!(
        texts
            .render(&missing_argument, "en", Audience::Student, &ins)
            .is_err()
    );
}

// ---------------------------------------------------------------- decider

fn settings_with_pairs() -> DecisionSettings {
    DecisionSettings {
        quality: QualitySettings {
            item_pairs: demo_pairs(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn answers_to_row(ins: &Instrument, answer: impl Fn(usize) -> Option<i64>) -> Vec<u8> {
    let answers: Vec<Option<i64>> = (0..ins.items().len()).map(answer).collect();
    ins.code_answers(0, &answers).unwrap()
}

#[test]
fn every_demo_profile_gets_a_result_rank_and_tier() {
    let ins = demo();
    let decider = Decider::new(&ins, settings_with_pairs(), None).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..20 {
        let row: Vec<u8> = ins
            .items()
            .iter()
            .map(|f| rng.random_range(0..f.categories()) as u8)
            .collect();
        let d = decider.decide_row(&row, None).unwrap();
        assert_eq!(d.profiles.len(), ins.definition().profiles.len());
        assert!(d.profiles.len() >= 4);
        assert_eq!(d.scales.len(), 12);
        let mut ranks: Vec<usize> = d.profiles.iter().map(|p| p.rank).collect();
        ranks.sort();
        assert_eq!(ranks, (1..=d.profiles.len()).collect::<Vec<_>>());
        for (i, id) in d.ranking.iter().enumerate() {
            let p = d.profiles.iter().find(|p| &p.profile == id).unwrap();
            assert_eq!(p.rank, i + 1);
        }
        for w in d.ranking.windows(2) {
            let p = |id: &String| {
                d.profiles
                    .iter()
                    .find(|p| &p.profile == id)
                    .unwrap()
                    .p_above_cut
            };
            assert!(p(&w[0]) >= p(&w[1]));
        }
        for p in &d.profiles {
            assert!((0.0..=1.0).contains(&p.p_above_cut));
            assert!(p.composite_sd > 0.0 && p.composite_sd < 1.0);
            assert_eq!(
                p.tier,
                Tier::from_probability(p.p_above_cut, Tiers::default())
            );
            let sum: f64 = p.contributions.iter().map(|c| c.contribution).sum();
            assert!((sum - p.composite_mean).abs() < 1e-9);
        }
        assert_eq!(d.caution, !d.quality.is_empty());
        // Serializable as it is, for the CLI, Python and WASM.
        let json = serde_json::to_string(&d).unwrap();
        let back: StudentDecision = serde_json::from_str(&json).unwrap();
        assert_eq!(back.ranking, d.ranking);
    }
}

#[test]
fn explanation_keys_follow_the_decision() {
    let ins = demo();
    let decider = Decider::new(&ins, settings_with_pairs(), None).unwrap();
    let texts = Explanations::bundled().unwrap();
    // Lowest option everywhere, every test item wrong.
    let row = answers_to_row(&ins, |i| {
        let item = &ins.definition().items[i];
        Some(match item.key {
            Some(1) => 2,
            Some(_) => 1,
            None if item.reverse_keyed => 5,
            None => 1,
        })
    });
    let d = decider.decide_row(&row, None).unwrap();
    let teacher = &d.profiles[0];
    assert_eq!(teacher.tier, Tier::NotIndicated);
    let keys: Vec<&str> = d.explanations.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(keys[0], "tier.not_indicated");
    assert_eq!(keys[1], "certainty.very_likely_below");
    assert!(keys.contains(&"uncertainty.not_a_verdict"));
    assert!(keys.contains(&"composite.lowered_by"));
    assert!(!keys.contains(&"composite.raised_by"));
    assert!(keys.contains(&"ranking.best"));
    for language in ["kk", "ru", "en"] {
        let lines = texts
            .render_all(&d.explanations, language, Audience::Student, &ins)
            .unwrap();
        assert_eq!(lines.len(), d.explanations.len());
    }
    let en = texts
        .render_all(&d.explanations, "en", Audience::Student, &ins)
        .unwrap();
    assert!(en[1].contains("99 chances in 100"), "{}", en[1]);
}

#[test]
fn quality_flags_mark_but_never_stop_scoring() {
    let ins = demo();
    let decider = Decider::new(&ins, settings_with_pairs(), None).unwrap();
    // Straight-lining "agree" (4) everywhere, tests answered 1.
    let row = answers_to_row(&ins, |i| {
        Some(if ins.definition().items[i].key.is_some() {
            1
        } else {
            4
        })
    });
    let d = decider.decide_row(&row, None).unwrap();
    assert!(d.caution);
    assert!(
        d.quality
            .iter()
            .any(|f| matches!(f, QualityFlag::LongString { .. }))
    );
    assert_eq!(d.profiles.len(), 5);
    assert!(d.explanations.iter().any(|k| k.key == "quality.caution"));
    assert!(
        d.explanations
            .iter()
            .any(|k| k.key == "quality.long_string")
    );
    // "Strongly agree" everywhere contradicts the opposite-worded pairs.
    let row = answers_to_row(&ins, |i| {
        Some(if ins.definition().items[i].key.is_some() {
            1
        } else {
            5
        })
    });
    let d = decider.decide_row(&row, None).unwrap();
    let pairs = d
        .quality
        .iter()
        .find_map(|f| match f {
            QualityFlag::InconsistentPairs { pairs } => Some(pairs.len()),
            _ => None,
        })
        .unwrap();
    assert_eq!(pairs, 12);
    // Blanks and speed.
    let mut row = answers_to_row(&ins, |i| {
        Some(if ins.definition().items[i].key.is_some() {
            1
        } else {
            3
        })
    });
    let items = row.len();
    for x in row.iter_mut().step_by(3) {
        *x = MISSING;
    }
    let timings = Timings {
        total_seconds: Some(60.0),
        item_seconds: None,
    };
    let d = decider.decide_row(&row, Some(&timings)).unwrap();
    let missing = items.div_ceil(3);
    assert!(
        d.quality
            .contains(&QualityFlag::TooManyMissing { missing, items })
    );
    assert!(d.quality.iter().any(|f| matches!(f, QualityFlag::TooFast { seconds_per_item, .. } if (*seconds_per_item - 60.0 / (items - missing) as f64).abs() < 1e-12)));
    let slow = Timings {
        total_seconds: Some(1800.0),
        item_seconds: None,
    };
    let d = decider.decide_row(&row, Some(&slow)).unwrap();
    assert!(
        !d.quality
            .iter()
            .any(|f| matches!(f, QualityFlag::TooFast { .. }))
    );
    // Per-item times: the sum is used.
    let per_item = Timings {
        total_seconds: None,
        item_seconds: Some(vec![Some(0.5); items]),
    };
    let d = decider.decide_row(&row, Some(&per_item)).unwrap();
    assert!(
        d.quality
            .iter()
            .any(|f| matches!(f, QualityFlag::TooFast { .. }))
    );
    let wrong = Timings {
        total_seconds: None,
        item_seconds: Some(vec![Some(1.0); 3]),
    };
    assert!(matches!(
        decider.decide_row(&row, Some(&wrong)),
        Err(Error::InvalidTimings { .. })
    ));
    let negative = Timings {
        total_seconds: Some(-1.0),
        item_seconds: None,
    };
    assert!(matches!(
        decider.decide_row(&row, Some(&negative)),
        Err(Error::InvalidTimings { .. })
    ));
}

#[test]
fn random_answering_is_flagged_as_misfit() {
    let ins = demo();
    let decider = Decider::new(&ins, settings_with_pairs(), None).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut flagged = 0;
    for _ in 0..40 {
        let row: Vec<u8> = ins
            .items()
            .iter()
            .map(|f| rng.random_range(0..f.categories()) as u8)
            .collect();
        let d = decider.decide_row(&row, None).unwrap();
        assert!(d.lz_star.is_some_and(f64::is_finite));
        flagged += usize::from(
            d.quality
                .iter()
                .any(|f| matches!(f, QualityFlag::PersonMisfit { .. })),
        );
    }
    assert!(
        flagged >= 30,
        "only {flagged} of 40 random patterns flagged"
    );
}

#[test]
fn decider_checks_settings_and_rows() {
    let ins = demo();
    let mut s = DecisionSettings::default();
    s.cuts
        .insert("astronaut".into(), crate::instrument::Cut::Theta(0.0));
    assert!(matches!(
        Decider::new(&ins, s, None),
        Err(Error::UnknownId { .. })
    ));
    let mut s = DecisionSettings::default();
    s.cuts
        .insert("teacher".into(), crate::instrument::Cut::Percentile(70.0));
    assert_eq!(
        Decider::new(&ins, s, None).unwrap_err(),
        Error::MissingNorms {
            profile: "teacher".into()
        }
    );
    let s = DecisionSettings {
        tiers: Some(Tiers {
            recommended: 0.3,
            not_indicated: 0.6,
        }),
        ..Default::default()
    };
    assert!(matches!(
        Decider::new(&ins, s, None),
        Err(Error::InvalidSetting { .. })
    ));
    let s = DecisionSettings {
        focus_profile: Some("pilot".into()),
        ..Default::default()
    };
    assert!(Decider::new(&ins, s, None).is_err());
    let mut s = DecisionSettings::default();
    s.quality.item_pairs.push(ItemPair {
        first: "SO01".into(),
        second: "XX99".into(),
    });
    assert!(matches!(
        Decider::new(&ins, s, None),
        Err(Error::UnknownId { .. })
    ));
    let decider = Decider::new(&ins, DecisionSettings::default(), None).unwrap();
    assert!(matches!(
        decider.decide_row(&[0, 1], None),
        Err(Error::WrongItemCount { .. })
    ));
    let mut row = vec![0u8; ins.items().len()];
    row[0] = 9;
    assert!(matches!(
        decider.decide_row(&row, None),
        Err(Error::ResponseOutOfRange { .. })
    ));
    // Tier and cut overrides take effect.
    let mut s = DecisionSettings {
        tiers: Some(Tiers {
            recommended: 0.99,
            not_indicated: 0.01,
        }),
        ..Default::default()
    };
    s.cuts
        .insert("teacher".into(), crate::instrument::Cut::Theta(-0.25));
    let d = Decider::new(&ins, s, None).unwrap();
    assert_eq!(d.cuts()[0], ("teacher".to_string(), -0.25));
    assert_eq!(d.tiers("teacher").unwrap().recommended, 0.99);
}

#[test]
fn quadrature_nodes_are_shared_by_all_scales() {
    // The composite relies on every scale using the same grid.
    let ins = demo();
    let battery = ins.scorers(&ScoringSettings::default()).unwrap();
    let reference = Quadrature::new(&Grid::default(), &Prior::default()).unwrap();
    for s in battery.scorers() {
        assert_eq!(s.quadrature().nodes(), reference.nodes());
    }
}

#[test]
fn a_blank_record_is_scored_and_flagged_and_serializes() {
    let ins = demo();
    let decider = Decider::new(&ins, settings_with_pairs(), None).unwrap();
    let row = vec![MISSING; ins.items().len()];
    let d = decider.decide_row(&row, None).unwrap();
    assert!(d.caution);
    assert_eq!(d.lz_star, None);
    assert!(
        matches!(d.quality[0], QualityFlag::TooManyMissing { missing, .. } if missing == row.len())
    );
    // The prior alone: composite mean 0, P(C > 0.5) small but not zero.
    let teacher = &d.profiles[0];
    assert!(teacher.composite_mean.abs() < 1e-9);
    assert!(teacher.p_above_cut > 0.0 && teacher.p_above_cut < 0.2);
    let json = serde_json::to_string(&d).unwrap();
    let back: StudentDecision = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    // An empty batch has no classification report.
    let empty = crate::response::ResponseMatrix::new(0, ins.items().len(), Vec::new()).unwrap();
    let batch = decider.decide_batch(&empty, None, None).unwrap();
    assert!(batch.students.is_empty() && batch.classification.is_empty());
    assert!(classification_quality(&[], "teacher").is_err());
}

#[test]
fn reported_scale_scores_equal_the_battery_scorer() {
    let ins = demo();
    let decider = Decider::new(&ins, DecisionSettings::default(), None).unwrap();
    let battery = ins.scorers(&ScoringSettings::default()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..5 {
        let row: Vec<u8> = ins
            .items()
            .iter()
            .map(|f| {
                if rng.random::<f64>() < 0.1 {
                    MISSING
                } else {
                    rng.random_range(0..f.categories()) as u8
                }
            })
            .collect();
        let d = decider.decide_row(&row, None).unwrap();
        for (ours, reference) in d.scales.iter().zip(battery.score_row(&row)) {
            assert!((ours.estimate.theta - reference.theta).abs() < 1e-12);
            assert!((ours.estimate.se - reference.se).abs() < 1e-12);
            assert_eq!(ours.estimate.status, reference.status);
        }
    }
}

#[test]
fn sum_score_distribution_integrates_to_the_marginal_table() {
    let ins = demo();
    let battery = ins.scorers(&ScoringSettings::default()).unwrap();
    for scorer in battery.scorers() {
        let table = scorer.sum_score_table();
        let q = scorer.quadrature();
        let mut marginal = vec![0.0; table.sums.len()];
        for (&theta, &w) in q.nodes().iter().zip(q.weights()) {
            let d = sum_score_distribution(scorer.items(), theta);
            assert!((d.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            for (m, p) in marginal.iter_mut().zip(&d) {
                *m += w * p;
            }
        }
        for (a, b) in marginal.iter().zip(&table.probability) {
            assert!((a - b).abs() < 1e-10);
        }
    }
}
