//! The bad-input corpus of `tests/bad/` (manifest.json): every malformed instrument
//! gives its typed error, every tricky-but-valid one loads, and every bad CAT session
//! state (or answer to a resumed one) gives its typed error. Python and Node run the same
//! manifest; response files (CSV and .xlsx) are run through the CLI in cli/tests/cli.rs.

use bagdar::cat::CatSession;
use bagdar::instrument::Instrument;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/bad");

fn manifest() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{ROOT}/manifest.json")).unwrap())
        .unwrap()
}

#[test]
fn bad_instruments_give_their_errors() {
    let manifest = manifest();
    let cases = manifest["instruments"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let bytes = std::fs::read(format!("{ROOT}/{file}")).unwrap();
        let result = Instrument::from_bytes(&bytes);
        match case["error"].as_str() {
            None => assert!(result.is_ok(), "{file}: {:?}", result.err()),
            Some(code) => {
                let e = result.err().unwrap_or_else(|| panic!("{file} loaded"));
                assert_eq!(e.code(), code, "{file}: {e}");
                assert!(!e.to_string().is_empty());
            }
        }
    }
}

#[test]
fn bad_cat_sessions_give_their_errors() {
    let instrument =
        Instrument::from_bytes(&std::fs::read(format!("{ROOT}/instrument-small.json")).unwrap())
            .unwrap();
    let manifest = manifest();
    let cases = manifest["sessions"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let text = std::fs::read_to_string(format!("{ROOT}/{file}")).unwrap();
        let answer = &case["answer"];
        let result = CatSession::from_json(&text, &instrument).and_then(|mut session| {
            if answer.is_object() {
                let item = answer["item"].as_str().unwrap();
                session.answer(&instrument, item, answer["value"].as_i64().unwrap(), None)?;
            } else {
                // A state that resumes saves to itself; the one the core wrote (the base
                // of the edited ones) is still what the core writes, byte for byte.
                let saved = session.to_json()?;
                let again = CatSession::from_json(&saved, &instrument)?;
                assert_eq!(again.to_json()?, saved, "{file}");
                if file == "sessions/valid.json" {
                    assert_eq!(format!("{saved}\n"), text, "{file}: regenerate the corpus");
                }
            }
            Ok(session)
        });
        let label = format!("{file} {answer}");
        match case["error"].as_str() {
            None => assert!(result.is_ok(), "{label}: {:?}", result.err()),
            Some(code) => {
                let e = result.err().unwrap_or_else(|| panic!("{label}: no error"));
                assert_eq!(e.code(), code, "{label}: {e}");
                assert_eq!(e.category().class_name(), case["class"], "{label}: {e}");
                if let Some(message) = case["message"].as_str() {
                    assert!(e.to_string().contains(message), "{label}: {e}");
                }
            }
        }
    }
}
