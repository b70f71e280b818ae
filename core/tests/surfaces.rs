//! Values every surface must reproduce exactly: `tests/golden/surfaces/`.

use bagdar::instrument::Instrument;

#[test]
fn instrument_checksums_match_the_native_engine() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let file = format!("{root}/tests/golden/surfaces/checksums.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let map = v["instruments"].as_object().unwrap();
    assert!(!map.is_empty());
    for (path, expected) in map {
        let text = std::fs::read_to_string(format!("{root}/{path}")).unwrap();
        let got = Instrument::from_json(&text).unwrap().checksum().to_string();
        assert_eq!(
            got,
            expected.as_str().unwrap(),
            "checksum of {path} is now {got}"
        );
    }
}

/// Native scores of every golden case and method (on the case's own grid and prior),
/// and native decisions for the first 40 demo rows: what the Python and WASM surfaces
/// must reproduce to 1e-12 (`tests/golden/surfaces/native-scores.json`). This test
/// checks that the file is the current native output; `BAGDAR_WRITE_NATIVE=1`
/// rewrites it.
#[test]
fn native_scores_file_is_current() {
    use bagdar::decide::{Decider, DecisionSettings};
    use bagdar::model::ItemModel;
    use bagdar::response::ResponseMatrix;
    use bagdar::score::{Method, Scorer, ScoringSettings};
    use serde_json::{Value, json};

    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let finite = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let mut cases = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(format!("{root}/tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    for name in &names {
        let case: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{root}/tests/golden/{name}")).unwrap(),
        )
        .unwrap();
        let models: Vec<ItemModel> = case["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| serde_json::from_value(i["model"].clone()).unwrap())
            .collect();
        let patterns = case["patterns"].as_array().unwrap();
        let data: Vec<f64> = patterns
            .iter()
            .flat_map(|p| {
                p.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap_or(f64::NAN))
            })
            .collect();
        let matrix = ResponseMatrix::from_f64(patterns.len(), models.len(), &data).unwrap();
        for method in [Method::Eap, Method::Map, Method::Ml, Method::Wle] {
            let settings: ScoringSettings = serde_json::from_value(json!({
                "method": method.name(),
                "grid": case["quadrature"],
                "prior": {"type": "normal", "mean": case["prior"]["mean"], "sd": case["prior"]["sd"]},
            }))
            .unwrap();
            let estimates = Scorer::from_models(&models, &settings)
                .unwrap()
                .score(&matrix)
                .unwrap();
            cases.push(json!({
                "file": name,
                "method": method.name(),
                "theta": estimates.iter().map(|e| finite(e.theta)).collect::<Vec<_>>(),
                "se": estimates.iter().map(|e| finite(e.se)).collect::<Vec<_>>(),
            }));
        }
    }

    let json_text =
        std::fs::read_to_string(format!("{root}/data/instruments/kasip-demo.json")).unwrap();
    let instrument = Instrument::from_json(&json_text).unwrap();
    let csv = std::fs::read_to_string(format!("{root}/data/demo/responses.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let columns: Vec<usize> = instrument
        .item_ids()
        .iter()
        .map(|id| header.iter().position(|h| h == id).unwrap())
        .collect();
    let answers: Vec<Vec<Option<i64>>> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.len() == header.len() && f[0].starts_with('S'))
        .take(40)
        .map(|f| columns.iter().map(|&c| f[c].parse().ok()).collect())
        .collect();
    let raw: Vec<f64> = answers
        .iter()
        .flatten()
        .map(|a| a.map_or(f64::NAN, |v| v as f64))
        .collect();
    let coded = instrument.code_matrix(answers.len(), &raw).unwrap();
    let batch = Decider::new(&instrument, DecisionSettings::default(), None)
        .unwrap()
        .decide_batch(&coded, None, None)
        .unwrap();
    let profiles: Vec<String> = instrument
        .definition()
        .profiles
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let per_profile = |f: &dyn Fn(&bagdar::decide::ProfileResult) -> f64| -> Vec<Vec<f64>> {
        batch
            .students
            .iter()
            .map(|s| s.profiles.iter().map(f).collect())
            .collect()
    };
    let native = json!({
        "source": "core/tests/surfaces.rs (native engine); regenerate with BAGDAR_WRITE_NATIVE=1 cargo test -p bagdar --test surfaces",
        "tolerance": 1e-12,
        "cases": cases,
        "decisions": {
            "instrument": "data/instruments/kasip-demo.json",
            "answers": answers,
            "profiles": profiles,
            "composite": per_profile(&|p| p.composite_mean),
            "p_above_cut": per_profile(&|p| p.p_above_cut),
            "theta": batch.students.iter().map(|s| s.scales.iter().map(|r| finite(r.estimate.theta)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        },
    });
    let path = format!("{root}/tests/golden/surfaces/native-scores.json");
    if std::env::var_os("BAGDAR_WRITE_NATIVE").is_some() {
        std::fs::write(&path, serde_json::to_string(&native).unwrap() + "\n").unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    compare(&native, &stored, "native-scores", 1e-12);
}

/// Equal structure; numbers within `tolerance`.
fn compare(a: &serde_json::Value, b: &serde_json::Value, at: &str, tolerance: f64) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= tolerance, "{at}: {x} vs {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                compare(u, v, &format!("{at}[{i}]"), tolerance);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: keys");
            for (k, u) in x {
                compare(u, &y[k], &format!("{at}.{k}"), tolerance);
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}
