use super::*;
use serde_json::{Value, json};

fn minimal() -> Value {
    json!({
        "format_version": 1,
        "id": "mini",
        "version": "1",
        "title": {"kk": "Сынақ", "ru": "Тест", "en": "Test"},
        "languages": ["kk", "ru", "en"],
        "option_sets": {"yn": [
            {"value": 1, "text": {"kk": "Жоқ", "ru": "Нет", "en": "No"}},
            {"value": 2, "text": {"kk": "Иә", "ru": "Да", "en": "Yes"}}
        ]},
        "scales": [{"id": "s", "kind": "interest", "name": {"kk": "а", "ru": "б", "en": "c"}}],
        "items": [
            {"id": "i1", "scale": "s", "stem": {"kk": "а", "ru": "б", "en": "c"},
             "option_set": "yn", "model": {"type": "2pl", "slope": 1.0, "intercept": 0.0}},
            {"id": "i2", "scale": "s", "stem": {"kk": "а", "ru": "б", "en": "c"}, "reverse_keyed": true,
             "option_set": "yn", "model": {"type": "2pl", "slope": 1.2, "intercept": 0.5}},
            {"id": "i3", "scale": "s", "stem": {"kk": "а", "ru": "б", "en": "c"},
             "options": [
                {"value": 1, "text": {"kk": "1", "ru": "1", "en": "1"}},
                {"value": 2, "text": {"kk": "2", "ru": "2", "en": "2"}},
                {"value": 3, "text": {"kk": "3", "ru": "3", "en": "3"}}],
             "key": 2, "model": {"type": "3pl", "slope": 1.0, "intercept": 0.0, "guessing": 0.3}}
        ],
        "profiles": [{"id": "p", "name": {"kk": "а", "ru": "б", "en": "c"},
                      "components": [{"scale": "s", "weight": 1.0}], "cut": {"theta": 0.5}}]
    })
}

fn load(v: &Value) -> Result<Instrument> {
    Instrument::from_json(&v.to_string())
}

#[test]
fn minimal_instrument_loads_and_codes_answers() {
    let ins = load(&minimal()).unwrap();
    assert_eq!(ins.items().len(), 3);
    assert_eq!(ins.profile("p").unwrap().tiers, Tiers::default());
    let coded = ins.code_answers(0, &[Some(2), Some(2), Some(3)]).unwrap();
    assert_eq!(coded, vec![1, 0, 0]); // i2 reverse-keyed; i3 key is 2
    let coded = ins.code_answers(0, &[None, Some(1), Some(2)]).unwrap();
    assert_eq!(coded, vec![MISSING, 1, 1]);
    let err = ins.code_answers(4, &[Some(3), None, None]).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidAnswer {
            person: 4,
            item: "i1".into(),
            value: "3".into(),
            allowed: "1,2".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "person 4, item i1: answer 3 is not one of the options 1,2"
    );
    let err = ins.code_matrix(1, &[1.5, f64::NAN, 2.0]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidAnswer { ref value, .. } if value == "1.5"),
        "{err}"
    );
}

#[test]
fn checksum_ignores_layout_and_sees_every_change() {
    let v = minimal();
    let a = load(&v).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let b = Instrument::from_json(&pretty).unwrap();
    assert_eq!(a.checksum(), b.checksum());
    let with_bom = format!("\u{feff}{pretty}");
    assert_eq!(
        Instrument::from_json(&with_bom).unwrap().checksum(),
        a.checksum()
    );
    let mut changed = v.clone();
    changed["items"][0]["model"]["slope"] = json!(1.0000001);
    assert_ne!(load(&changed).unwrap().checksum(), a.checksum());
    let mut changed = v;
    changed["items"][0]["stem"]["kk"] = json!("ә");
    assert_ne!(load(&changed).unwrap().checksum(), a.checksum());
}

fn broken(edit: impl FnOnce(&mut Value)) -> Error {
    let mut v = minimal();
    edit(&mut v);
    load(&v).unwrap_err()
}

#[test]
fn validation_errors_say_what_and_where() {
    let e = broken(|v| v["items"][1]["scale"] = json!("nope"));
    assert!(
        e.to_string().contains("nope") && e.to_string().contains("item i2"),
        "{e}"
    );
    let e = broken(|v| v["items"][1]["id"] = json!("i1"));
    assert!(matches!(e, Error::DuplicateId { kind: "item", .. }), "{e}");
    let e = broken(|v| {
        v["items"][0]["stem"].as_object_mut().unwrap().remove("kk");
    });
    assert_eq!(
        e,
        Error::MissingTranslation {
            location: "item i1, stem".into(),
            language: "kk".into()
        }
    );
    let e = broken(|v| {
        v["items"][0]["model"] = json!({"type": "grm", "slope": 1.0, "intercepts": [1.0, 2.0]})
    });
    assert!(
        matches!(e, Error::InvalidParameter { ref item, .. } if item == "i1"),
        "{e}"
    );
    let e = broken(|v| {
        v["items"][0]["model"] = json!({"type": "grm", "slope": 1.0, "intercepts": [1.0, 0.0]})
    });
    assert!(
        matches!(e, Error::WrongCount { ref field, expected: 3, found: 2, .. } if field == "options"),
        "{e}"
    );
    let e = broken(|v| v["items"][0]["model"]["slope"] = json!(0.0));
    assert!(e.to_string().contains("slope"), "{e}");
    let e = broken(|v| v["items"][2]["key"] = json!(7));
    assert!(e.to_string().contains("key 7"), "{e}");
    let e = broken(|v| v["format_version"] = json!(2));
    assert_eq!(
        e,
        Error::UnsupportedFormatVersion {
            found: 2,
            supported: 1
        }
    );
    let e = broken(|v| v["profiles"][0]["components"][0]["weight"] = json!(-1.0));
    assert!(e.to_string().contains("weight"), "{e}");
    let e =
        broken(|v| v["profiles"][0]["tiers"] = json!({"recommended": 0.2, "not_indicated": 0.8}));
    assert!(e.to_string().contains("tiers"), "{e}");
    let e = broken(|v| v["items"][0]["extra"] = json!(1));
    assert!(matches!(e, Error::InstrumentSyntax { .. }), "{e}");
    let e = Instrument::from_json("{\"format_version\": 1,\n \"id\": ").unwrap_err();
    assert!(matches!(e, Error::InstrumentSyntax { line: 2, .. }), "{e}");
    let e = Instrument::from_json("").unwrap_err();
    assert!(matches!(e, Error::InstrumentSyntax { .. }));
}

#[test]
fn battery_scores_each_scale_on_its_own_items() {
    let ins = load(&minimal()).unwrap();
    let battery = ins.scorers(&ScoringSettings::default()).unwrap();
    let data = ResponseMatrix::from_rows(&[vec![Some(1), Some(0), Some(1)]]).unwrap();
    let all = battery.score(&data).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0][0], battery.score_row(data.row(0))[0]);
    let wrong = ResponseMatrix::from_rows(&[vec![Some(1), Some(0)]]).unwrap();
    assert!(matches!(
        battery.score(&wrong),
        Err(Error::WrongItemCount {
            expected: 3,
            found: 2
        })
    ));
}

#[test]
fn published_schema_is_current() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instrument.schema.json"
    );
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        committed,
        json_schema(),
        "data/instrument.schema.json is stale: run `cargo run -p bagdar-cli -- schema > data/instrument.schema.json`"
    );
}

#[test]
fn demo_battery_is_valid_and_complete() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/instruments/kasip-demo.json"
    );
    let ins = Instrument::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    let d = ins.definition();
    assert!(d.demonstration);
    assert_eq!(d.languages, ["kk", "ru", "en"]);
    let count = |kind| d.scales.iter().filter(|s| s.kind == kind).count();
    assert_eq!(
        (
            count(ScaleKind::Interest),
            count(ScaleKind::Disposition),
            count(ScaleKind::Aptitude)
        ),
        (6, 4, 2)
    );
    for (s, idx) in d.scales.iter().zip(ins.scale_items()) {
        let expected = if s.kind == ScaleKind::Aptitude { 12 } else { 8 };
        assert_eq!(idx.len(), expected, "scale {}", s.id);
        for &i in idx {
            let kind = d.items[i].model.kind();
            let want = if s.kind == ScaleKind::Aptitude {
                crate::model::ModelKind::ThreePl
            } else {
                crate::model::ModelKind::Graded
            };
            assert_eq!(kind, want, "item {}", d.items[i].id);
        }
    }
    for s in d.scales.iter().filter(|s| s.kind == ScaleKind::Disposition) {
        assert!(
            d.items.iter().any(|i| i.scale == s.id && i.reverse_keyed),
            "scale {} has no reverse-keyed item",
            s.id
        );
    }
    assert!(ins.profile("teacher").is_some());
    assert!(d.profiles.len() >= 4);
    // Kazakh texts use the Kazakh letters.
    let kazakh: String = d.items.iter().map(|i| i.stem["kk"].as_str()).collect();
    for letter in ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'і'] {
        assert!(kazakh.contains(letter), "no {letter} in Kazakh stems");
    }
}

/// The format-version probe reads what `Value` + `as_u64` read (it replaced them to keep
/// a `Value` parser out of the WASM package).
#[test]
fn format_version_probe_matches_value() {
    let reference = |text: &str| match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map.get("format_version").and_then(Value::as_u64),
        _ => None,
    };
    for text in [
        r#"{"format_version": 2}"#,
        r#"{"format_version": 1, "id": "x"}"#,
        r#"{"id": {"format_version": 7}, "format_version": 3}"#,
        r#"{"format_version": 2, "format_version": 5}"#,
        r#"{"format_version": -1}"#,
        r#"{"format_version": -0}"#,
        r#"{"format_version": 2.0}"#,
        r#"{"format_version": "2"}"#,
        r#"{"format_version": [2]}"#,
        r#"{"format_version": {"v": 2}}"#,
        r#"{"format_version": null}"#,
        r#"{"format_version": true}"#,
        r#"{"format_version": 18446744073709551615}"#,
        r#"{"format_version": 18446744073709551616}"#,
        r#"{"format_version": 2"#,
        r#"{"format_version": 2} x"#,
        r#"{"fo\u0072mat_version": 4}"#,
        r#"[2]"#,
        r#"2"#,
        "",
        "{}",
    ] {
        assert_eq!(declared_format_version(text), reference(text), "{text}");
    }
}
