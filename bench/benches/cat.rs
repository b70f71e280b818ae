//! CAT benchmarks (issues 6, 10): next-item selection on a 300-item bank after 20
//! answers, for each criterion with and without content balancing and exposure
//! control; a whole simulated session on that bank and on the demo battery.

use bagdar::cat::{CatSession, CatSettings, Criterion, Exposure, Length, Selection};
use bagdar::instrument::Instrument;
use bagdar_bench::cat_bank;
use criterion::{BatchSize, Criterion as Bench, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::hint::black_box;

/// Answers the pending items of `session` as θ would (seeded) until `answers` are given
/// or the session stops.
fn answer(
    session: &mut CatSession,
    instrument: &Instrument,
    theta: f64,
    answers: usize,
    seed: u64,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..answers {
        let Some(i) = session.next_index() else {
            return;
        };
        let c = bagdar::simulate::draw_category(&instrument.items()[i], theta, &mut rng);
        let scoring = instrument.answer_scoring(i);
        let value = *scoring
            .values()
            .iter()
            .find(|&&v| scoring.category(v) == Some(c))
            .expect("a value per category");
        let id = instrument.definition().items[i].id.clone();
        session
            .answer(instrument, &id, value, None)
            .expect("a valid answer");
    }
}

fn configurations(instrument: &Instrument) -> Vec<(&'static str, CatSettings)> {
    let base = CatSettings {
        se_target: None,
        length: Length {
            min: 40,
            max: Some(40),
        },
        ..CatSettings::default()
    };
    let with = |criterion| Selection {
        criterion,
        ..Selection::default()
    };
    let content: BTreeMap<String, f64> = (0..4)
        .map(|a| (format!("area{a}"), [0.4, 0.3, 0.2, 0.1][a]))
        .collect();
    let sympson_hetter: BTreeMap<String, f64> = instrument
        .item_ids()
        .iter()
        .enumerate()
        .map(|(i, id)| (id.to_string(), 0.3 + 0.7 * ((i * 37) % 100) as f64 / 100.0))
        .collect();
    vec![
        ("mfi", base.clone()),
        (
            "kl",
            CatSettings {
                selection: with(Criterion::Kl),
                ..base.clone()
            },
        ),
        (
            "pwi",
            CatSettings {
                selection: with(Criterion::Pwi),
                ..base.clone()
            },
        ),
        (
            "mfi_content_sympson_hetter",
            CatSettings {
                content_targets: content.clone(),
                exposure: Exposure::SympsonHetter {
                    parameters: sympson_hetter.clone(),
                },
                ..base.clone()
            },
        ),
        (
            "kl_content_randomesque",
            CatSettings {
                selection: with(Criterion::Kl),
                content_targets: content,
                exposure: Exposure::Randomesque { top: 5 },
                ..base.clone()
            },
        ),
    ]
}

fn selection(c: &mut Bench) {
    let instrument = cat_bank(300, 1);
    let mut group = c.benchmark_group("cat_select_300_items_after_20");
    for (name, settings) in configurations(&instrument) {
        let mut session = CatSession::start(&instrument, settings, "en", 3).unwrap();
        answer(&mut session, &instrument, 0.4, 20, 5);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || session.clone(),
                |s| black_box(s.next_index()),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn sessions(c: &mut Bench) {
    let mut group = c.benchmark_group("cat_session");
    let bank = cat_bank(300, 1);
    let settings = CatSettings {
        se_target: Some(0.3),
        length: Length {
            min: 5,
            max: Some(60),
        },
        ..CatSettings::default()
    };
    let engine = std::sync::Arc::new(bagdar::cat::CatEngine::new(&bank, settings.clone()).unwrap());
    group.bench_function("bank_300_se_0.3_shared_engine", |b| {
        b.iter(|| {
            let mut s = CatSession::with_engine(engine.clone(), "en", 3).unwrap();
            answer(&mut s, &bank, 0.4, 1000, 5);
            black_box(s.responses().len())
        })
    });
    group.bench_function("bank_300_se_0.3", |b| {
        b.iter(|| {
            let mut s = CatSession::start(&bank, settings.clone(), "en", 3).unwrap();
            answer(&mut s, &bank, 0.4, 1000, 5);
            black_box(s.responses().len())
        })
    });
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    );
    let demo = Instrument::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    let demo_settings = CatSettings::from_json(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/cat/kasip-demo-cat.json"
        ))
        .unwrap(),
    )
    .unwrap();
    group.bench_function("demo_battery_demo_settings", |b| {
        b.iter(|| {
            let mut s = CatSession::start(&demo, demo_settings.clone(), "kk", 3).unwrap();
            answer(&mut s, &demo, 0.4, 1000, 5);
            black_box(s.responses().len())
        })
    });
    group.finish();
}

criterion_group!(benches, selection, sessions);
criterion_main!(benches);
