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
