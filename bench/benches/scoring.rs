//! Batch scoring benchmarks (issue 10): EAP on a 2PL bank, and the demo battery.

use bagdar::instrument::Instrument;
use bagdar::score::{Method, Scorer, ScoringSettings};
use bagdar_bench::{compile, simulate, two_pl_bank};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn eap_two_pl(c: &mut Criterion) {
    let bank = two_pl_bank(100, 1);
    let items = compile(&bank);
    let mut group = c.benchmark_group("eap_2pl_100_items_61_points");
    group.sample_size(10);
    for persons in [10_000usize, 100_000] {
        let data = simulate(&items, persons, 2);
        let scorer = Scorer::new(items.clone(), &ScoringSettings::default()).unwrap();
        group.throughput(Throughput::Elements(persons as u64));
        group.bench_with_input(BenchmarkId::from_parameter(persons), &data, |b, data| {
            b.iter(|| scorer.score(data).unwrap())
        });
    }
    group.finish();
}

fn demo_battery(c: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    );
    let instrument = Instrument::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    let data = simulate(instrument.items(), 10_000, 3);
    let mut group = c.benchmark_group("demo_battery_10k_all_scales");
    group.sample_size(10);
    group.throughput(Throughput::Elements(10_000));
    for method in [Method::Eap, Method::Map, Method::Wle] {
        let battery = instrument
            .scorers(&ScoringSettings::with_method(method))
            .unwrap();
        group.bench_function(method.name(), |b| b.iter(|| battery.score(&data).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, eap_two_pl, demo_battery);
criterion_main!(benches);
