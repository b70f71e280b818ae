//! `bagdar link` on the demo instrument and a new form made from it by planted
//! transformations.

use bagdar::instrument::{Instrument, InstrumentDefinition};
use bagdar::link::{LinkMethod, Linking};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn instrument() -> PathBuf {
    root().join("data/instruments/kasip-demo.json")
}

fn bagdar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bagdar"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bagdar-link-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn demo() -> InstrumentDefinition {
    let text = std::fs::read_to_string(instrument()).unwrap();
    Instrument::from_json(&text).unwrap().definition().clone()
}

/// Scale k of the demo moved by A = 1.3 − 0.05k, B = 0.1k − 0.4 (the new form's scale).
fn planted(k: usize) -> (f64, f64) {
    (1.3 - 0.05 * k as f64, 0.1 * k as f64 - 0.4)
}

fn new_form(dir: &Path) -> PathBuf {
    let mut new = demo();
    let scales: Vec<String> = new.scales.iter().map(|s| s.id.clone()).collect();
    for item in &mut new.items {
        let k = scales.iter().position(|s| *s == item.scale).unwrap();
        let (slope, intercept) = planted(k);
        let forward = Linking {
            method: LinkMethod::MeanMean,
            slope,
            intercept,
            criterion: None,
            common_items: 0,
            iterations: 0,
            converged: true,
        };
        item.model = forward.inverse().transform(&item.model);
    }
    let path = dir.join("new.json");
    std::fs::write(&path, serde_json::to_string_pretty(&new).unwrap()).unwrap();
    path
}

#[test]
fn link_recovers_planted_constants_and_writes_the_linked_form() {
    let dir = tmp("planted");
    let new = new_form(&dir);
    let output = dir.join("linked.json");
    let report = dir.join("report.json");
    let out = bagdar(&[
        "link",
        "--base",
        s(&instrument()),
        "--new",
        s(&new),
        "--method",
        "stocking-lord",
        "--output",
        s(&output),
        "--report",
        s(&report),
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One row per scale after the header: scale, common, method, A, B, criterion, status.
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 12, "{stdout}");
    let base = demo();
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row[0], base.scales[k].id);
        assert_eq!(row[2], "stocking_lord");
        let (a, b) = planted(k);
        let got_a: f64 = row[3].parse().unwrap();
        let got_b: f64 = row[4].parse().unwrap();
        assert!(
            (got_a - a).abs() < 2e-6 && (got_b - b).abs() < 2e-6,
            "{row:?}"
        );
        assert!(row[5].parse::<f64>().unwrap() < 1e-12, "{row:?}");
        assert_eq!(row[6], "converged");
    }
    // The linked form carries the base parameters again.
    let linked = Instrument::from_json(&std::fs::read_to_string(&output).unwrap()).unwrap();
    for (m, original) in linked.definition().items.iter().zip(&base.items) {
        assert!(
            (m.model.slope() - original.model.slope()).abs() < 1e-8,
            "{}",
            m.id
        );
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["scales"].as_array().unwrap().len(), 12);
    assert_eq!(report["scales"][0]["linking"]["method"], "stocking_lord");
    let a = report["scales"][0]["linking"]["slope"].as_f64().unwrap();
    assert!((a - 1.3).abs() < 1e-8);
}

#[test]
fn link_one_scale_by_mean_sigma() {
    let dir = tmp("one");
    let new = new_form(&dir);
    let out = bagdar(&[
        "link",
        "--base",
        s(&instrument()),
        "--new",
        s(&new),
        "--method",
        "mean-sigma",
        "--scale",
        "verbal",
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&row[..3], ["verbal", "12", "mean_sigma"]);
    assert_eq!(row[5], "-"); // no criterion for a moment method
}

#[test]
fn link_errors_exit_1_with_a_message() {
    let dir = tmp("errors");
    let new = new_form(&dir);
    let out = bagdar(&[
        "link",
        "--base",
        s(&instrument()),
        "--new",
        s(&new),
        "--method",
        "equipercentile",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--method") && err.contains("stocking_lord"),
        "{err}"
    );

    let out = bagdar(&[
        "link",
        "--base",
        s(&instrument()),
        "--new",
        s(&new),
        "--scale",
        "spatial",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown scale \"spatial\""), "{err}");

    let out = bagdar(&[
        "link",
        "--base",
        s(&instrument()),
        "--new",
        s(&dir.join("missing.json")),
    ]);
    assert_eq!(out.status.code(), Some(2));
}
