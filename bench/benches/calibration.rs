//! Calibration benchmarks (issue 10): 2PL 20k × 100 and GRM 10k × 25 with 5 categories,
//! Bagdar's default settings (61 points on [−6, 6], Anderson acceleration, full convergence).
//!
//! Each fit takes seconds, so the groups use criterion's smallest sample (10) and a
//! short measurement time; read the medians, not the confidence intervals.

use bagdar::calibrate::{CalibrationSettings, FitStatus, calibrate};
use bagdar::model::ModelKind;
use bagdar_bench::{compile, graded_bank, simulate, two_pl_bank};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

fn two_pl(c: &mut Criterion) {
    let items = compile(&two_pl_bank(100, 11));
    let data = simulate(&items, 20_000, 12);
    let settings = CalibrationSettings::default();
    let fit = calibrate(&data, &settings).unwrap();
    assert_eq!(fit.status, FitStatus::Converged);
    let mut group = c.benchmark_group("calibrate_2pl");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(20_000));
    group.bench_function("20000x100", |b| {
        b.iter(|| calibrate(&data, &settings).unwrap())
    });
    group.finish();
}

fn graded(c: &mut Criterion) {
    let items = compile(&graded_bank(25, 5, 21));
    let data = simulate(&items, 10_000, 22);
    let settings = CalibrationSettings {
        model: ModelKind::Graded,
        ..CalibrationSettings::default()
    };
    let fit = calibrate(&data, &settings).unwrap();
    assert_eq!(fit.status, FitStatus::Converged);
    let mut group = c.benchmark_group("calibrate_grm_5_categories");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("10000x25", |b| {
        b.iter(|| calibrate(&data, &settings).unwrap())
    });
    group.finish();
}

criterion_group!(benches, two_pl, graded);
criterion_main!(benches);
