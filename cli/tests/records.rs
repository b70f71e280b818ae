//! `bagdar records`: web-form response records in, a response table out (then scored),
//! bad records rejected with their reason.

use bagdar::cat::{CatSession, CatSettings};
use bagdar::instrument::Instrument;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bagdar<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bagdar"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn records_are_checked_gathered_and_scored() {
    let dir = std::env::temp_dir().join(format!("bagdar-records-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let instrument_path = root().join("data/instruments/kasip-demo.json");
    let instrument =
        Instrument::from_json(&std::fs::read_to_string(&instrument_path).unwrap()).unwrap();
    let settings = CatSettings::from_json(
        &std::fs::read_to_string(root().join("data/cat/kasip-demo-cat.json")).unwrap(),
    )
    .unwrap();
    // An adaptive session answered natively, saved as the web form saves it.
    let mut session = CatSession::start(&instrument, settings, "ru", 9).unwrap();
    let mut responses = Vec::new();
    while let Some(next) = session.next_item(&instrument).unwrap() {
        let value = next.options[next.number % next.options.len()].value;
        session
            .answer(&instrument, &next.item, value, None)
            .unwrap();
        responses.push(json!({"item": next.item, "value": value, "language": "ru"}));
    }
    let record = |mode: &str, responses: &serde_json::Value, cat: Option<&CatSession>| {
        json!({
            "format": "bagdar-response-record", "version": 1,
            "instrument": {"id": "kasip-demo", "version": "0.1.0", "checksum": instrument.checksum()},
            "mode": mode, "language": "ru",
            "responses": responses,
            "cat_session": cat.map(|s| serde_json::from_str::<serde_json::Value>(&s.to_json().unwrap()).unwrap()),
        })
    };
    let adaptive = record("adaptive", &json!(responses), Some(&session));
    let fixed = record(
        "fixed",
        &json!([{"item": "SO01", "value": 5}, {"item": "VR01", "value": null}, {"item": "NR01", "value": 1}]),
        None,
    );
    let mut other_version = fixed.clone();
    other_version["instrument"]["checksum"] = json!("0".repeat(64));
    let mut altered = adaptive.clone();
    altered["responses"][0]["value"] = json!(if responses[0]["value"] == json!(1) {
        2
    } else {
        1
    });
    let mut twice = fixed.clone();
    twice["responses"] = json!([{"item": "SO01", "value": 5}, {"item": "SO01", "value": 4}]);
    let files = [
        ("S-adaptive.json", adaptive.to_string()),
        ("S-fixed.json", fixed.to_string()),
        ("other-version.json", other_version.to_string()),
        ("altered.json", altered.to_string()),
        ("twice.json", twice.to_string()),
        ("truncated.json", fixed.to_string()[..60].to_string()),
    ];
    let mut args: Vec<String> = vec!["records".into()];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap();
        args.push(dir.join(name).to_string_lossy().into_owned());
    }
    let table = dir.join("responses.csv");
    args.extend([
        "--instrument".into(),
        instrument_path.to_string_lossy().into_owned(),
        "--output".into(),
        table.to_string_lossy().into_owned(),
        "--school".into(),
        "School 7".into(),
    ]);
    let out = bagdar(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("read 6 records = gathered 2 + rejected 4")
    );
    let rejects = std::fs::read_to_string(dir.join("responses.csv.rejects.csv")).unwrap();
    for (file, code) in [
        ("other-version.json", "checksum_mismatch"),
        ("altered.json", "invalid_record"),
        ("twice.json", "invalid_record"),
        ("truncated.json", "invalid_record"),
    ] {
        let line = rejects
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} not rejected"));
        assert!(line.contains(code), "{line}");
    }
    // The gathered table scores like any response file.
    let scores = dir.join("scores.csv");
    let out = bagdar(&[
        "score".to_string(),
        table.to_string_lossy().into_owned(),
        "--instrument".into(),
        instrument_path.to_string_lossy().into_owned(),
        "--output".into(),
        scores.to_string_lossy().into_owned(),
        "--min-answered".into(),
        "0".into(),
        "--quiet".into(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&scores).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[1].starts_with("S-adaptive,,School 7,ru,"));
    assert!(rows[2].starts_with("S-fixed,,School 7,ru,"));
}

#[test]
fn calibrate_re_estimates_items_in_the_chosen_families() {
    let dir = std::env::temp_dir().join(format!("bagdar-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join("data/demo/responses.csv")).unwrap();
    let sample: Vec<&str> = text.lines().take(601).collect();
    let input = dir.join("sample.csv");
    std::fs::write(&input, sample.join("\n") + "\n").unwrap();
    let output = dir.join("calibrated.json");
    let s = |p: &PathBuf| p.to_string_lossy().into_owned();
    let out = bagdar(&[
        "calibrate".to_string(),
        s(&input),
        "--instrument".into(),
        s(&root().join("data/instruments/kasip-demo.json")),
        "--model".into(),
        "2pl".into(),
        "--model".into(),
        "gpcm".into(),
        "--output".into(),
        s(&output),
        "--quiet".into(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calibrated: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let kinds: Vec<&str> = calibrated["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["model"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "gpcm").count(), 80);
    assert_eq!(kinds.iter().filter(|k| **k == "2pl").count(), 24);
    let bad = bagdar(&[
        "calibrate".to_string(),
        s(&input),
        "--instrument".into(),
        s(&root().join("data/instruments/kasip-demo.json")),
        "--model".into(),
        "5pl".into(),
        "--output".into(),
        s(&dir.join("x.json")),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--model"));
}
