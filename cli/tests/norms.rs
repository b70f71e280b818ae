//! `bagdar norms` builds norm tables per language form; `bagdar score --norms
//! --norm-grouping language` ranks each student within their own form.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bagdar(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bagdar"))
        .args(args)
        .output()
        .unwrap()
}

fn column(text: &str, name: &str) -> Vec<String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let c = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(c).unwrap().to_string())
        .collect()
}

#[test]
fn norms_by_language_rank_students_within_their_form() {
    let dir = std::env::temp_dir().join(format!("bagdar-norms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let instrument = root().join("data/instruments/kasip-demo.json");
    let s = |p: &PathBuf| p.to_string_lossy().into_owned();
    // A norm sample where the ru form answers every Likert item one step higher.
    let text = std::fs::read_to_string(root().join("data/demo/responses.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut sample = vec![header.to_string()];
    for line in lines.filter(|l| l.starts_with('S')).take(1500) {
        let fields: Vec<String> = line.split(',').map(String::from).collect();
        if fields.len() != header.split(',').count() {
            continue;
        }
        let ru = fields[3] == "ru";
        let shifted: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| match f.parse::<i64>() {
                Ok(v) if ru && (4..84).contains(&i) && v < 5 => (v + 1).to_string(),
                _ => f.clone(),
            })
            .collect();
        sample.push(shifted.join(","));
    }
    let responses = dir.join("sample.csv");
    std::fs::write(&responses, sample.join("\n") + "\n").unwrap();
    let norms = dir.join("norms.json");
    let out = bagdar(&[
        "norms".into(),
        s(&responses),
        "--instrument".into(),
        s(&instrument),
        "--by-group".into(),
        "--date".into(),
        "2026-11".into(),
        "--output".into(),
        s(&norms),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&norms).unwrap()).unwrap();
    assert_eq!(json["date"], "2026-11");
    let groups = json["groups"].as_array().unwrap();
    assert!(groups.iter().any(|g| g["group"]["language"] == "ru"));
    assert!(groups.iter().any(|g| g["group"]["region"].is_string()));

    let score = |grouping: &str, name: &str| {
        let output = dir.join(name);
        let out = bagdar(&[
            "score".into(),
            s(&responses),
            "--instrument".into(),
            s(&instrument),
            "--norms".into(),
            s(&norms),
            "--norm-grouping".into(),
            grouping.into(),
            "--profile".into(),
            "teacher".into(),
            "--output".into(),
            s(&output),
            "--quiet".into(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(output).unwrap()
    };
    let all = score("all", "all.csv");
    let by_language = score("language", "language.csv");
    let languages = column(&all, "language");
    let mean = |text: &str, lang: &str| {
        let values: Vec<f64> = column(text, "teacher_percentile")
            .iter()
            .zip(&languages)
            .filter(|(_, l)| *l == lang)
            .map(|(v, _)| v.parse::<f64>().unwrap())
            .collect();
        values.iter().sum::<f64>() / values.len() as f64
    };
    // Against everyone, the shifted ru form ranks high; within its own form, near 50.
    assert!(mean(&all, "ru") > 60.0, "{}", mean(&all, "ru"));
    assert!(
        (mean(&by_language, "ru") - 50.0).abs() < 5.0,
        "{}",
        mean(&by_language, "ru")
    );
    assert!(
        column(&all, "teacher_stanine")
            .iter()
            .all(|s| (1..=9).contains(&s.parse::<u8>().unwrap()))
    );
}
