//! The bad-input corpus of `tests/bad/` (manifest.json): every malformed instrument
//! gives its typed error, every tricky-but-valid one loads. Python and Node run the same
//! manifest; response files are run through the CLI in cli/tests/cli.rs.

use bagdar::instrument::Instrument;

#[test]
fn bad_instruments_give_their_errors() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/bad");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/manifest.json")).unwrap())
            .unwrap();
    let cases = manifest["instruments"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let bytes = std::fs::read(format!("{root}/{file}")).unwrap();
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
