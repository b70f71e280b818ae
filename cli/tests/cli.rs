//! End-to-end tests of the `bagdar` binary on the bundled demo data.

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
    let dir = std::env::temp_dir().join(format!("bagdar-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn validate_prints_the_checksum() {
    let out = bagdar(&["validate", s(&instrument())]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("12 scales, 104 items"), "{text}");
    let checksum = text
        .lines()
        .last()
        .unwrap()
        .strip_prefix("checksum ")
        .unwrap();
    assert_eq!(checksum.len(), 64);
}

#[test]
fn demo_responses_regenerate_byte_for_byte() {
    let dir = tmp("simulate");
    let out_path = dir.join("responses.csv");
    let out = bagdar(&[
        "simulate",
        "--instrument",
        s(&instrument()),
        "--students",
        "10000",
        "--seed",
        "20261123",
        "--output",
        s(&out_path),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = std::fs::read(&out_path).unwrap();
    let committed = std::fs::read(root().join("data/demo/responses.csv")).unwrap();
    assert!(
        fresh == committed,
        "data/demo/responses.csv differs from a fresh simulation"
    );
}

#[test]
fn demo_scoring_accounts_for_every_row() {
    let dir = tmp("score");
    let scores = dir.join("scores.csv");
    let rejects = dir.join("rejects.csv");
    let out = bagdar(&[
        "score",
        s(&root().join("data/demo/responses.csv")),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&scores),
        "--rejects",
        s(&rejects),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("read 10007 rows = scored 10000 + rejected 7"),
        "{stderr}"
    );
    let scored = std::fs::read_to_string(&scores).unwrap();
    assert_eq!(scored.lines().count(), 10_001);
    let header = scored.lines().next().unwrap();
    assert!(header.starts_with(
        "student_id,region,school,language,realistic_theta,realistic_se,realistic_status"
    ));
    assert!(header.ends_with("method,instrument_checksum"));
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    for reason in [
        "out_of_range",
        "wrong_column_count",
        "unknown_language",
        "not_a_number",
        "duplicate_id",
        "too_many_missing",
        "missing_id",
    ] {
        assert!(rejected.contains(reason), "no {reason} in {rejected}");
    }
    // Decision columns for every profile, valid tiers, and the whole-file summary.
    for column in [
        "teacher_p_above_cut",
        "teacher_tier",
        "designer_tier",
        "best_profile",
        "caution",
        "quality_flags",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "no {column} in {header}"
        );
    }
    let tier_col = header.split(',').position(|c| c == "teacher_tier").unwrap();
    let p_col = header
        .split(',')
        .position(|c| c == "teacher_p_above_cut")
        .unwrap();
    for line in scored.lines().skip(1).take(500) {
        let cells: Vec<&str> = line.split(',').collect();
        let p: f64 = cells[p_col].parse().unwrap();
        let expected = if p >= 0.8 {
            "recommended"
        } else if p <= 0.2 {
            "not_indicated"
        } else {
            "borderline"
        };
        assert_eq!(cells[tier_col], expected, "{line}");
    }
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("scores.csv.summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["rows_read"], 10007);
    let classification = summary["classification"].as_array().unwrap();
    assert_eq!(classification.len(), 5);
    for q in classification {
        let accuracy = q["expected_accuracy"].as_f64().unwrap();
        assert!(accuracy > 0.8 && accuracy <= 1.0, "{q}");
        let shares: f64 = [
            "share_recommended",
            "share_borderline",
            "share_not_indicated",
        ]
        .iter()
        .map(|k| q[*k].as_f64().unwrap())
        .sum();
        assert!((shares - 1.0).abs() < 1e-9);
    }
    // Input order is kept.
    let ids: Vec<&str> = scored
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids[0], "S0000001");
    assert_eq!(ids[9999], "S0010000");
}

#[test]
fn formula_cells_are_neutralized_and_bad_input_is_fatal_without_output() {
    let dir = tmp("neutralize");
    let ins =
        bagdar::instrument::Instrument::from_json(&std::fs::read_to_string(instrument()).unwrap())
            .unwrap();
    let ids = ins.item_ids();
    let mut csv = format!("student_id,region,school,language,{}\n", ids.join(","));
    let answers = vec!["1"; ids.len()].join(",");
    csv.push_str(&format!("=HYPERLINK(\"x\"),@region,+school,kk,{answers}\n"));
    let input = dir.join("in.csv");
    std::fs::write(&input, csv).unwrap();
    let scores = dir.join("scores.csv");
    let out = bagdar(&[
        "score",
        s(&input),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&scores),
        "--quiet",
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&scores).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(
        row.starts_with("\"'=HYPERLINK(\"\"x\"\")\",'@region,'+school,kk,"),
        "{row}"
    );

    // --no-decision: scale scores only; an unknown --profile is fatal.
    let plain = dir.join("plain.csv");
    let out = bagdar(&[
        "score",
        s(&input),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&plain),
        "--no-decision",
        "--quiet",
    ]);
    assert!(out.status.success());
    assert!(
        !std::fs::read_to_string(&plain)
            .unwrap()
            .contains("teacher_tier")
    );
    let out = bagdar(&[
        "score",
        s(&input),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&plain),
        "--profile",
        "astronaut",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("astronaut"));
    // A straight-lined row is still scored, flagged for caution with its reasons.
    let text = std::fs::read_to_string(&scores).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let caution = header.iter().position(|c| *c == "caution").unwrap();
    let flags = header.iter().position(|c| *c == "quality_flags").unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells[caution], "true", "{row}");
    assert!(cells[flags].contains("quality.long_string"), "{row}");

    // A header without the item columns is fatal (exit 1) and leaves no output behind,
    // not even a partial file; an existing output is left untouched.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "student_id,foo\nA,1\n").unwrap();
    std::fs::write(&scores, "previous").unwrap();
    let out = bagdar(&[
        "score",
        s(&bad),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&scores),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("have no column"));
    assert_eq!(std::fs::read_to_string(&scores).unwrap(), "previous");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A missing input file is an I/O error (exit 2); an empty file is an input error.
    let out = bagdar(&[
        "score",
        s(&dir.join("nope.csv")),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&scores),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let out = bagdar(&[
        "score",
        s(&empty),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&scores),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
}

#[test]
fn broken_instrument_is_reported_with_its_location() {
    let dir = tmp("broken");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(instrument()).unwrap()).unwrap();
    json["items"][3]["model"]["slope"] = serde_json::json!(-1.0);
    let path = dir.join("broken.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let out = bagdar(&["validate", s(&path)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("RE04") && err.contains("slope"), "{err}");
}

#[test]
fn calibrate_recovers_the_generating_parameters() {
    let dir = tmp("calibrate");
    let responses = dir.join("responses.csv");
    let out = bagdar(&[
        "simulate",
        "--instrument",
        s(&instrument()),
        "--students",
        "3000",
        "--seed",
        "7",
        "--output",
        s(&responses),
    ]);
    assert!(out.status.success());
    let calibrated = dir.join("calibrated.json");
    let report = dir.join("report.json");
    let out = bagdar(&[
        "calibrate",
        s(&responses),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&calibrated),
        "--report",
        s(&report),
        "--guessing-prior",
        "5,17",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The output is a valid instrument with new parameters; the report says every scale converged.
    let truth =
        bagdar::instrument::Instrument::from_json(&std::fs::read_to_string(instrument()).unwrap())
            .unwrap();
    let fitted =
        bagdar::instrument::Instrument::from_json(&std::fs::read_to_string(&calibrated).unwrap())
            .unwrap();
    assert_ne!(truth.checksum(), fitted.checksum());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["persons"], 3000);
    assert_eq!(report["rejected"], 7);
    for scale in report["scales"].as_array().unwrap() {
        assert_eq!(
            scale["calibration"]["status"], "converged",
            "{}",
            scale["scale"]
        );
        // Standard errors of every estimated parameter (observed information).
        let se = &scale["calibration"]["se"];
        assert_eq!(se["positive_definite"], true, "{}", scale["scale"]);
        for item in se["items"].as_array().unwrap() {
            assert!(item["intercepts"][0].as_f64().unwrap() > 0.0);
        }
    }
    // Slopes of the 80 Likert items: RMSE against the generating values.
    let (mut sum, mut n) = (0.0, 0.0);
    for (a, b) in truth
        .definition()
        .items
        .iter()
        .zip(&fitted.definition().items)
    {
        if a.model.kind() == bagdar::model::ModelKind::Graded {
            sum += (a.model.slope() - b.model.slope()).powi(2);
            n += 1.0;
        }
    }
    let rmse = (sum / n).sqrt();
    assert!(rmse < 0.12, "GRM slope RMSE {rmse}");

    let bad = bagdar(&[
        "calibrate",
        s(&responses),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&calibrated),
        "--guessing-prior",
        "5",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("alpha,beta"));
}

#[test]
fn choose_cut_meets_its_target() {
    let out = bagdar(&[
        "choose-cut",
        s(&root().join("data/demo/responses.csv")),
        "--instrument",
        s(&instrument()),
        "--profile",
        "teacher",
        "--share-above",
        "0.2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["norm_sample"], 10000);
    let choice = &report["choice"];
    assert!(
        (choice["share_above"].as_f64().unwrap() - 0.2).abs() < 0.01,
        "{choice}"
    );
    let accuracy = choice["expected_accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.8 && accuracy <= 1.0);
    // A higher share above means a lower cut.
    let out = bagdar(&[
        "choose-cut",
        s(&root().join("data/demo/responses.csv")),
        "--instrument",
        s(&instrument()),
        "--share-above",
        "0.4",
    ]);
    let lower: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(lower["choice"]["cut"].as_f64().unwrap() < choice["cut"].as_f64().unwrap());
    let none = bagdar(&[
        "choose-cut",
        s(&root().join("data/demo/responses.csv")),
        "--instrument",
        s(&instrument()),
    ]);
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("give one target"));
}

#[test]
fn bad_response_files_are_rejected_row_by_row_or_refused() {
    let bad = root().join("tests/bad");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bad.join("manifest.json")).unwrap()).unwrap();
    let dir = tmp("bad-responses");
    for case in manifest["responses"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let scores = dir.join("scores.csv");
        let rejects = dir.join("rejects.csv");
        let _ = std::fs::remove_file(&scores);
        let out = bagdar(&[
            "score",
            s(&bad.join(file)),
            "--instrument",
            s(&bad.join("instrument-small.json")),
            "--output",
            s(&scores),
            "--rejects",
            s(&rejects),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(case["exit"].as_i64().unwrap() as i32),
            "{file}: {stderr}"
        );
        if let Some(text) = case["stderr"].as_str() {
            assert!(stderr.contains(text), "{file}: {stderr}");
            assert!(!scores.exists(), "{file}: a failed run left an output");
        }
        if let Some(scored) = case["scored"].as_u64() {
            let rows = std::fs::read_to_string(&scores).unwrap().lines().count() as u64 - 1;
            assert_eq!(rows, scored, "{file}");
            let expected: Vec<(u64, String)> = case["rejects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r[0].as_u64().unwrap(), r[1].as_str().unwrap().to_string()))
                .collect();
            let mut reader = csv::Reader::from_path(&rejects).unwrap();
            let found: Vec<(u64, String)> = reader
                .records()
                .map(|r| {
                    let r = r.unwrap();
                    (r[0].parse().unwrap(), r[2].to_string())
                })
                .collect();
            assert_eq!(found, expected, "{file}");
            assert!(
                stderr.contains(&format!("scored {scored} + rejected {}", expected.len())),
                "{file}: {stderr}"
            );
        }
    }
}

#[test]
fn cat_sim_reports_recovery_length_and_exposure() {
    let dir = tmp("cat-sim");
    let report_path = dir.join("cat-report.json");
    let settings = root().join("data/cat/kasip-demo-cat.json");
    let demo = instrument();
    let args = [
        "cat-sim",
        "--instrument",
        s(&demo),
        "--students",
        "200",
        "--seed",
        "7",
        "--settings",
        s(&settings),
        "--output",
        s(&report_path),
    ];
    let out = bagdar(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("CAT simulation: 200 simulees, seed 7"),
        "{text}"
    );
    assert!(text.contains("profile teacher"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let r = &report["report"];
    assert_eq!(r["students"], 200);
    assert_eq!(r["scales"].as_array().unwrap().len(), 12);
    let mean = r["length"]["mean"].as_f64().unwrap();
    assert!(mean > 12.0 && mean <= 70.0, "{mean}");
    assert_eq!(r["exposure"].as_array().unwrap().len(), 104);
    let social = &r["scales"][0];
    assert_eq!(social["scale"], "social");
    assert_eq!(social["classification"]["cut"], 0.5);
    // Same seed, same report.
    let again = bagdar(&args);
    assert_eq!(again.stdout, text.as_bytes());

    // Sympson–Hetter parameters computed on the fly and written out with the settings.
    let tuned = dir.join("tuned.json");
    let out = bagdar(&[
        "cat-sim",
        "--instrument",
        s(&demo),
        "--students",
        "100",
        "--settings",
        s(&settings),
        "--exposure-target",
        "0.5",
        "--exposure-iterations",
        "3",
        "--write-settings",
        s(&tuned),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tuned: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&tuned).unwrap()).unwrap();
    assert_eq!(tuned["exposure"]["method"], "sympson_hetter");
    assert!(
        !tuned["exposure"]["parameters"]
            .as_object()
            .unwrap()
            .is_empty()
    );

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"se_target\": -1}").unwrap();
    let out = bagdar(&[
        "cat-sim",
        "--instrument",
        s(&instrument()),
        "--settings",
        s(&bad),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("se_target"), "{err}");
}

#[test]
fn calibrate_by_language_compares_the_forms_and_tests_dif() {
    let dir = tmp("by-language");
    let text = std::fs::read_to_string(root().join("data/demo/responses.csv")).unwrap();
    let lines: Vec<&str> = text.lines().take(901).collect();
    let input = dir.join("sample.csv");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let report = dir.join("report.json");
    let out = bagdar(&[
        "calibrate",
        s(&input),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&dir.join("calibrated.json")),
        "--report",
        s(&report),
        "--by-language",
        "--dif",
        "--no-standard-errors",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("kk +0.00/1.00"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let scales = report["scales"].as_array().unwrap();
    assert_eq!(scales.len(), 12);
    for scale in scales {
        let fit = &scale["calibration"];
        assert_eq!(fit["groups"], serde_json::json!(["kk", "ru", "en"]));
        assert_eq!(fit["means"][0], 0.0);
        assert!(fit["sds"][1].as_f64().unwrap() > 0.5);
        let dif = scale["dif"].as_array().unwrap();
        assert_eq!(dif.len(), scale["items"].as_array().unwrap().len());
        for row in dif {
            // Either tested (2 focal groups × the item's parameters) or said why not.
            let tested = row["p_value"]
                .as_f64()
                .is_some_and(|p| (0.0..=1.0).contains(&p));
            assert!(tested || row["untestable"].is_string(), "{row}");
            if tested {
                assert!(row["df"].as_u64().unwrap() >= 2);
            }
        }
    }
    // One language only: nothing to compare.
    let kk: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("student_id") || l.split(',').nth(3) == Some("kk"))
        .collect();
    let single = dir.join("kk.csv");
    std::fs::write(&single, kk.join("\n") + "\n").unwrap();
    let out = bagdar(&[
        "calibrate",
        s(&single),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&dir.join("x.json")),
        "--by-language",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least two are needed"));
    assert!(!dir.join("x.json").exists());
}

#[test]
fn calibrate_fit_reports_m2_and_item_fit_per_scale() {
    let dir = tmp("calibrate-fit");
    let text = std::fs::read_to_string(root().join("data/demo/responses.csv")).unwrap();
    let lines: Vec<&str> = text.lines().take(801).collect();
    let input = dir.join("sample.csv");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let report = dir.join("report.json");
    let out = bagdar(&[
        "calibrate",
        s(&input),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&dir.join("calibrated.json")),
        "--report",
        s(&report),
        "--fit",
        "--no-standard-errors",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let scales = report["scales"].as_array().unwrap();
    let verbal = scales.iter().find(|s| s["scale"] == "verbal").unwrap();
    let m2 = &verbal["fit"]["m2"];
    // 12 dichotomous 3PL items: 12 + 66 moments − 36 parameters.
    assert_eq!(m2["df"], 42);
    assert!((0.0..=1.0).contains(&m2["p_value"].as_f64().unwrap()));
    assert_eq!(verbal["fit"]["items"].as_array().unwrap().len(), 12);
    let persons = verbal["fit"]["persons"].as_u64().unwrap();
    assert!(persons > 500 && persons <= 800);
    // Eight five-category graded items have more parameters than M2* moments: said so.
    let social = scales.iter().find(|s| s["scale"] == "social").unwrap();
    assert!(social["fit"]["m2"].is_null());
    assert!(
        social["fit"]["notes"][0]
            .as_str()
            .unwrap()
            .contains("degrees of freedom")
    );
    assert_eq!(social["fit"]["items"].as_array().unwrap().len(), 8);
    // --fit is for single-group calibration.
    let out = bagdar(&[
        "calibrate",
        s(&input),
        "--instrument",
        s(&instrument()),
        "--output",
        s(&dir.join("x.json")),
        "--fit",
        "--by-language",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
