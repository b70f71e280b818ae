//! The decision step on a simulated cohort of the demo battery, where the true θ of
//! every scale is known: reported (Rudner) accuracy against realized accuracy, norms,
//! percentile cuts, the cut chooser and quality flags on honest answers.

use bagdar::batch::{ColumnNames, RowReader, TableLayout};
use bagdar::decide::{
    Audience, CutTarget, Decider, DecisionSettings, Explanations, GroupLabel, ItemPairs,
    QualitySettings, Tier, build_norms, choose_cut,
};
use bagdar::instrument::{Cut, Instrument};
use bagdar::response::ResponseMatrix;
use bagdar::simulate::{CohortSettings, cohort};
use std::time::Instant;

fn demo() -> Instrument {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    );
    Instrument::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn pairs() -> ItemPairs {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/quality/kasip-demo-pairs.json"
    );
    ItemPairs::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct Simulated {
    matrix: ResponseMatrix,
    labels: Vec<GroupLabel>,
    thetas: Vec<Vec<f64>>,
}

fn simulate(ins: &Instrument, students: usize, seed: u64) -> Simulated {
    let settings = CohortSettings {
        students,
        seed,
        malformed_rows: false,
        ..Default::default()
    };
    let c = cohort(ins, &settings).unwrap();
    let layout = TableLayout::from_header(&c.header, ins, &ColumnNames::default()).unwrap();
    let mut reader = RowReader::new(ins, layout, 0.5);
    let mut data = Vec::new();
    let mut labels = Vec::new();
    for (i, row) in c.rows.iter().enumerate() {
        let record = reader.read(i as u64 + 1, row).unwrap();
        data.extend(record.responses);
        labels.push(GroupLabel {
            language: record.language,
            region: record.region,
        });
    }
    Simulated {
        matrix: ResponseMatrix::new(students, ins.items().len(), data).unwrap(),
        labels,
        thetas: c.thetas,
    }
}

fn settings() -> DecisionSettings {
    DecisionSettings {
        quality: QualitySettings {
            item_pairs: pairs().pairs,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// True composite of every simulee on a profile.
fn true_composites(ins: &Instrument, profile: &str, thetas: &[Vec<f64>]) -> Vec<f64> {
    let p = ins.profile(profile).unwrap();
    let total: f64 = p.components.iter().map(|c| c.weight).sum();
    thetas
        .iter()
        .map(|t| {
            p.components
                .iter()
                .map(|c| c.weight / total * t[ins.scale_index(&c.scale).unwrap()])
                .sum()
        })
        .collect()
}

#[test]
fn reported_accuracy_matches_realized_accuracy_on_simulated_cohort() {
    let ins = demo();
    let sim = simulate(&ins, 3000, 5);
    let decider = Decider::new(&ins, settings(), None).unwrap();
    let start = Instant::now();
    let batch = decider.decide_batch(&sim.matrix, None, None).unwrap();
    eprintln!("decide_batch of 3000: {:?}", start.elapsed());
    assert_eq!(batch.students.len(), 3000);
    assert_eq!(batch.classification.len(), ins.definition().profiles.len());
    for quality in &batch.classification {
        let truth = true_composites(&ins, &quality.profile, &sim.thetas);
        let mut correct = 0usize;
        let (mut recommended, mut recommended_right) = (0usize, 0usize);
        let (mut not_indicated, mut not_indicated_right) = (0usize, 0usize);
        for (d, t) in batch.students.iter().zip(&truth) {
            let r = d
                .profiles
                .iter()
                .find(|p| p.profile == quality.profile)
                .unwrap();
            let above = *t > r.cut;
            correct += usize::from((r.composite_mean > r.cut) == above);
            match r.tier {
                Tier::Recommended => {
                    recommended += 1;
                    recommended_right += usize::from(above);
                }
                Tier::NotIndicated => {
                    not_indicated += 1;
                    not_indicated_right += usize::from(!above);
                }
                Tier::Borderline => {}
            }
        }
        let realized = correct as f64 / 3000.0;
        let precision_rec = recommended_right as f64 / recommended.max(1) as f64;
        let precision_not = not_indicated_right as f64 / not_indicated.max(1) as f64;
        eprintln!(
            "{:>12}: accuracy reported {:.4} realized {:.4}; consistency {:.4}; \
             recommended {:.3} (precision reported {:.3} realized {:.3}), \
             not indicated {:.3} (reported {:.3} realized {:.3}), borderline {:.3}",
            quality.profile,
            quality.expected_accuracy,
            realized,
            quality.expected_consistency,
            quality.share_recommended,
            quality.expected_precision_recommended.unwrap_or(f64::NAN),
            precision_rec,
            quality.share_not_indicated,
            quality.expected_precision_not_indicated.unwrap_or(f64::NAN),
            precision_not,
            quality.share_borderline,
        );
        assert!(
            (quality.expected_accuracy - realized).abs() < 0.03,
            "{}: reported {} realized {realized}",
            quality.profile,
            quality.expected_accuracy
        );
        assert!(quality.expected_consistency <= 1.0 && quality.expected_consistency >= 0.5);
    }
}

#[test]
fn honest_answers_are_rarely_flagged() {
    let ins = demo();
    let sim = simulate(&ins, 1000, 77);
    let decider = Decider::new(&ins, settings(), None).unwrap();
    let batch = decider.decide_batch(&sim.matrix, None, None).unwrap();
    let share = |key: &str| {
        batch
            .students
            .iter()
            .filter(|d| d.quality.iter().any(|f| f.key() == key))
            .count() as f64
            / 1000.0
    };
    let caution = batch.students.iter().filter(|d| d.caution).count() as f64 / 1000.0;
    let misfit = share("quality.person_misfit");
    let lz: Vec<f64> = batch.students.iter().map(|d| d.lz_star.unwrap()).collect();
    let mean = lz.iter().sum::<f64>() / lz.len() as f64;
    let sd = (lz.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / lz.len() as f64).sqrt();
    eprintln!(
        "caution {caution:.3}; misfit {misfit:.3}, long string {:.3}, pairs {:.3}, missing {:.3}; lz* mean {mean:.3} sd {sd:.3}",
        share("quality.long_string"),
        share("quality.inconsistent_pairs"),
        share("quality.too_many_missing"),
    );
    // lz* is standardized under the model; with 5–12 items per scale its estimated-θ
    // correction leaves a small positive bias per scale (≈ +0.17), which adds up over
    // the twelve scales, so honest answers centre near +0.5 and the −1.96 flag is
    // conservative.
    assert!(
        mean > -0.2 && mean < 0.8 && (sd - 1.0).abs() < 0.2,
        "lz* mean {mean} sd {sd}"
    );
    assert!(misfit < 0.05, "misfit {misfit}");
    assert!(caution < 0.12, "caution {caution}");
}

#[test]
fn norms_percentile_cuts_and_the_cut_chooser() {
    let ins = demo();
    let norm = simulate(&ins, 2000, 21);
    let s = settings();
    let norms = build_norms(
        &ins,
        &s,
        &norm.matrix,
        Some(&norm.labels),
        "simulated calibration cohort (seed 21)",
        "2026-11-23",
    )
    .unwrap();
    // Stored as data and read back.
    let json = serde_json::to_string(&norms).unwrap();
    let norms = bagdar::decide::Norms::from_json(&json).unwrap();
    let whole = norms.group(&GroupLabel::default()).unwrap();
    assert_eq!(whole.sample_size, 2000);
    let languages: u64 = norms
        .groups
        .iter()
        .filter(|g| g.group.language.is_some())
        .map(|g| g.sample_size)
        .sum();
    assert_eq!(languages, 2000);
    assert!(
        norms
            .groups
            .iter()
            .any(|g| g.group.region.as_deref() == Some("Almaty"))
    );
    let teacher = &whole.composites["teacher"];
    eprintln!(
        "teacher composite: posterior means sd {:.3}, latent mean {:.3} sd {:.3}",
        teacher.table.sd, teacher.latent_mean, teacher.latent_sd
    );
    // The composite of imperfectly correlated scales has a population SD below 1: with
    // the simulator's loadings the true teacher composite has SD √0.3749 = 0.612.
    assert!(
        (teacher.latent_sd - 0.612).abs() < 0.04,
        "{}",
        teacher.latent_sd
    );

    // A percentile cut: the 70th percentile of the latent composite.
    let mut with_percentile = s.clone();
    with_percentile
        .cuts
        .insert("teacher".into(), Cut::Percentile(70.0));
    let decider = Decider::new(&ins, with_percentile, Some(norms.clone())).unwrap();
    let cut = decider.cuts()[0].1;
    let fresh = simulate(&ins, 2000, 22);
    let truth = true_composites(&ins, "teacher", &fresh.thetas);
    let above = truth.iter().filter(|t| **t > cut).count() as f64 / 2000.0;
    eprintln!("percentile-70 cut {cut:.3}: realized share of true composites above {above:.3}");
    assert!((above - 0.30).abs() < 0.03, "share above {above}");
    let d = decider.decide_row(fresh.matrix.row(0), None).unwrap();
    assert!(
        d.scales
            .iter()
            .all(|s| s.percentile.is_some() && s.stanine.is_some())
    );
    assert!(d.explanations.iter().any(|k| k.key == "norm.composite"));
    let texts = Explanations::bundled().unwrap();
    for language in ["kk", "ru", "en"] {
        for audience in [Audience::Student, Audience::Counselor] {
            texts
                .render_all(&d.explanations, language, audience, &ins)
                .unwrap();
        }
    }

    // The cut chooser on the norm sample.
    let composites = decider.composites(&norm.matrix, "teacher").unwrap();
    let tiers = decider.tiers("teacher").unwrap();
    let by_share = choose_cut(&composites, CutTarget::ShareAbove(0.2), tiers).unwrap();
    assert!((by_share.share_above - 0.2).abs() < 0.005, "{by_share:?}");
    let by_recommended = choose_cut(&composites, CutTarget::ShareRecommended(0.1), tiers).unwrap();
    assert!(
        (by_recommended.share_recommended - 0.1).abs() < 0.01,
        "{by_recommended:?}"
    );
    let by_accuracy = choose_cut(&composites, CutTarget::Accuracy(0.95), tiers).unwrap();
    assert!(by_accuracy.expected_accuracy >= 0.95);
    // The reported accuracy at the chosen cut holds on fresh simulees.
    let fresh_composites = decider.composites(&fresh.matrix, "teacher").unwrap();
    for choice in [by_share, by_recommended, by_accuracy] {
        let correct = fresh_composites
            .iter()
            .zip(&truth)
            .filter(|(c, t)| (c.mean() > choice.cut) == (**t > choice.cut))
            .count() as f64
            / 2000.0;
        eprintln!(
            "cut {:.3}: share above {:.3}, recommended {:.3}, accuracy reported {:.4} realized (fresh) {correct:.4}, consistency {:.4}",
            choice.cut,
            choice.share_above,
            choice.share_recommended,
            choice.expected_accuracy,
            choice.expected_consistency
        );
        assert!((choice.expected_accuracy - correct).abs() < 0.03);
    }
}

/// Answers to every item drawn afresh for the given true θ (one replication).
fn replicate(ins: &Instrument, thetas: &[Vec<f64>], seed: u64) -> ResponseMatrix {
    let n = thetas.len();
    let mut data = vec![0u8; n * ins.items().len()];
    for (s, items) in ins.scale_items().iter().enumerate() {
        let functions: Vec<_> = items.iter().map(|&i| ins.items()[i].clone()).collect();
        let scale_thetas: Vec<f64> = thetas.iter().map(|t| t[s]).collect();
        let part = bagdar::simulate::responses(&functions, &scale_thetas, seed + s as u64);
        for p in 0..n {
            for (j, &i) in items.iter().enumerate() {
                data[p * ins.items().len() + i] = part.row(p)[j];
            }
        }
    }
    ResponseMatrix::new(n, ins.items().len(), data).unwrap()
}

#[test]
fn reported_consistency_matches_two_simulated_replications() {
    let ins = demo();
    let sim = simulate(&ins, 2000, 31);
    let decider = Decider::new(&ins, settings(), None).unwrap();
    let first = replicate(&ins, &sim.thetas, 1000);
    let second = replicate(&ins, &sim.thetas, 2000);
    for (profile, cut) in decider.cuts().into_iter().take(2) {
        let a = decider.composites(&first, &profile).unwrap();
        let b = decider.composites(&second, &profile).unwrap();
        let persons: Vec<(f64, f64)> = a
            .iter()
            .map(|c| (c.mean(), c.probability_above(cut)))
            .collect();
        let (accuracy, consistency) = bagdar::decide::rudner(&persons, cut);
        let truth = true_composites(&ins, &profile, &sim.thetas);
        let n = 2000.0;
        let agree = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| (x.mean() > cut) == (y.mean() > cut))
            .count() as f64
            / n;
        let right = a
            .iter()
            .zip(&truth)
            .filter(|(x, t)| (x.mean() > cut) == (**t > cut))
            .count() as f64
            / n;
        eprintln!(
            "{profile}: consistency reported {consistency:.4} realized {agree:.4}; accuracy reported {accuracy:.4} realized {right:.4}"
        );
        assert!((accuracy - right).abs() < 0.03);
        assert!((consistency - agree).abs() < 0.03);

        // Lee (2010), D method, for the classification by summed scores.
        let lee = decider.sum_score_classification(&first, &profile).unwrap();
        let classify = |m: &ResponseMatrix| -> Vec<bool> {
            let p = ins.profile(&profile).unwrap();
            let total: f64 = p.components.iter().map(|c| c.weight).sum();
            let battery = ins.scorers(&Default::default()).unwrap();
            let tables: Vec<_> = battery
                .scorers()
                .iter()
                .map(|s| s.sum_score_table())
                .collect();
            (0..m.persons())
                .map(|i| {
                    let composite: f64 = p
                        .components
                        .iter()
                        .map(|c| {
                            let s = ins.scale_index(&c.scale).unwrap();
                            let sum: usize = ins.scale_items()[s]
                                .iter()
                                .map(|&j| m.row(i)[j] as usize)
                                .sum();
                            c.weight / total * tables[s].theta[sum]
                        })
                        .sum();
                    composite > cut
                })
                .collect()
        };
        let (x, y) = (classify(&first), classify(&second));
        let sum_agree = x.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / n;
        let sum_right = x
            .iter()
            .zip(&truth)
            .filter(|(a, t)| **a == (**t > cut))
            .count() as f64
            / n;
        eprintln!(
            "{profile} (sum scores, Lee D method): consistency reported {:.4} realized {sum_agree:.4}; accuracy reported {:.4} realized {sum_right:.4}",
            lee.expected_consistency, lee.expected_accuracy
        );
        assert!((lee.expected_accuracy - sum_right).abs() < 0.03);
        assert!((lee.expected_consistency - sum_agree).abs() < 0.03);
    }
}

/// The demo norms shipped in `data/norms/kasip-demo-norms.json` come from this
/// simulated calibration cohort; `BAGDAR_WRITE_NORMS=1` rewrites the file (after a
/// change of the demo battery).
#[test]
fn demo_norms_file_is_current() {
    let ins = demo();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/norms/kasip-demo-norms.json"
    );
    let sample = simulate(&ins, 2000, 20_261_123);
    let built = build_norms(
        &ins,
        &settings(),
        &sample.matrix,
        None,
        "simulated calibration cohort: bagdar::simulate::cohort, 2000 students, seed 20261123 (demonstration only, not real students)",
        "2026-11-23",
    )
    .unwrap();
    if std::env::var_os("BAGDAR_WRITE_NORMS").is_some() {
        let mut text = serde_json::to_string(&built).unwrap();
        text.push('\n');
        std::fs::write(path, text).unwrap();
    }
    let stored = bagdar::decide::Norms::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        stored.instrument_checksum,
        ins.checksum(),
        "the demo battery changed: regenerate with BAGDAR_WRITE_NORMS=1 cargo test -p bagdar --test decide demo_norms"
    );
    assert_eq!(stored.groups.len(), built.groups.len());
    for (a, b) in stored.groups.iter().zip(&built.groups) {
        assert_eq!(a.sample_size, b.sample_size);
        let tables = a.scales.iter().zip(&b.scales).chain(
            a.composites
                .iter()
                .map(|(k, c)| (k, &c.table))
                .zip(b.composites.iter().map(|(k, c)| (k, &c.table))),
        );
        for ((id, x), (_, y)) in tables {
            for k in -300..=300 {
                let score = k as f64 / 100.0;
                assert!(
                    (x.percentile_rank(score) - y.percentile_rank(score)).abs() < 0.2,
                    "{id} at {score}"
                );
            }
        }
        for (id, c) in &a.composites {
            assert!(
                (c.latent_sd - b.composites[id].latent_sd).abs() < 1e-6,
                "{id}"
            );
        }
    }
    // The stored norms serve a percentile cut.
    let mut s = settings();
    s.cuts.insert("teacher".into(), Cut::Percentile(80.0));
    let decider = Decider::new(&ins, s, Some(stored)).unwrap();
    assert!(decider.cuts()[0].1 > 0.3 && decider.cuts()[0].1 < 0.8);
}
