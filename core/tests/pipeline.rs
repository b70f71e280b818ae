//! Simulate a cohort from the demo battery, read its rows back through the batch rules,
//! score every scale, and compare with the true θ.

use bagdar::batch::{ColumnNames, RowReader, TableLayout};
use bagdar::instrument::Instrument;
use bagdar::response::ResponseMatrix;
use bagdar::score::{Method, ScoringSettings};
use bagdar::simulate::{CohortSettings, MALFORMED_ROWS, cohort};

fn demo() -> Instrument {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    );
    Instrument::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

#[test]
fn simulated_cohort_round_trips_through_scoring() {
    let ins = demo();
    let settings = CohortSettings {
        students: 2000,
        ..Default::default()
    };
    let c = cohort(&ins, &settings).unwrap();
    assert_eq!(c.rows.len(), 2000 + MALFORMED_ROWS.len());
    let layout = TableLayout::from_header(&c.header, &ins, &ColumnNames::default()).unwrap();
    let mut reader = RowReader::new(&ins, layout, 0.5);
    let mut data = Vec::new();
    let mut rejected = 0;
    for (i, row) in c.rows.iter().enumerate() {
        match reader.read(i as u64 + 1, row) {
            Ok(r) => data.extend(r.responses),
            Err(_) => rejected += 1,
        }
    }
    assert_eq!(rejected, MALFORMED_ROWS.len());
    let matrix = ResponseMatrix::new(2000, ins.items().len(), data).unwrap();
    for method in [Method::Eap, Method::Map, Method::Wle] {
        let scores = ins
            .scorers(&ScoringSettings::with_method(method))
            .unwrap()
            .score(&matrix)
            .unwrap();
        for (s, scale) in ins.scales().iter().enumerate() {
            let truth: Vec<f64> = c.thetas.iter().map(|t| t[s]).collect();
            let est: Vec<f64> = scores[s].iter().map(|e| e.theta).collect();
            let r = correlation(&truth, &est);
            // Reliability of 8 GRM items / 12 3PL items with these slopes is ≈ 0.7–0.9,
            // so the correlation with the truth is ≈ √reliability.
            assert!(r > 0.75, "{method:?} {}: r = {r}", scale.id);
            if method == Method::Eap {
                // Mean posterior variance + variance of EAP ≈ prior variance (1).
                let n = est.len() as f64;
                let mean = est.iter().sum::<f64>() / n;
                let var_eap = est.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                let mean_post = scores[s].iter().map(|e| e.se * e.se).sum::<f64>() / n;
                assert!(
                    (var_eap + mean_post - 1.0).abs() < 0.12,
                    "{}: {var_eap} + {mean_post}",
                    scale.id
                );
            }
        }
    }
}

#[test]
fn scoring_does_not_depend_on_chunking() {
    let ins = demo();
    let c = cohort(
        &ins,
        &CohortSettings {
            students: 600,
            malformed_rows: false,
            ..Default::default()
        },
    )
    .unwrap();
    let layout = TableLayout::from_header(&c.header, &ins, &ColumnNames::default()).unwrap();
    let mut reader = RowReader::new(&ins, layout, 0.0);
    let rows: Vec<Vec<u8>> = c
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| reader.read(i as u64 + 1, r).unwrap().responses)
        .collect();
    let battery = ins.scorers(&ScoringSettings::default()).unwrap();
    let whole = battery
        .score(&ResponseMatrix::new(600, 104, rows.concat()).unwrap())
        .unwrap();
    for chunk in [1usize, 7, 256] {
        for (start, part) in rows.chunks(chunk).enumerate().map(|(i, p)| (i * chunk, p)) {
            let m = ResponseMatrix::new(part.len(), 104, part.concat()).unwrap();
            let scores = battery.score(&m).unwrap();
            for s in 0..scores.len() {
                for (p, e) in scores[s].iter().enumerate() {
                    assert_eq!(e.theta.to_bits(), whole[s][start + p].theta.to_bits());
                }
            }
        }
    }
}
