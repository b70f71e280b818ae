//! Shared by the reference tests: the files of `tests/reference/`.

use bagdar::response::ResponseMatrix;
use serde_json::Value;

/// Path of a file in `tests/reference/`.
pub fn reference_path(name: &str) -> String {
    format!("{}/../tests/reference/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A pattern-frequency file ("01101 12" per line, `#` comments) as a response matrix.
pub fn read_patterns(name: &str) -> ResponseMatrix {
    let text = std::fs::read_to_string(reference_path(name)).unwrap();
    let mut data = Vec::new();
    let mut persons = 0;
    let mut items = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let pattern = parts.next().unwrap();
        let count: usize = parts.next().unwrap().parse().unwrap();
        items = pattern.len();
        for _ in 0..count {
            data.extend(pattern.bytes().map(|b| b - b'0'));
            persons += 1;
        }
    }
    ResponseMatrix::new(persons, items, data).unwrap()
}

/// The case of this name in a `tests/reference/` JSON file of `{"cases": [...]}`.
pub fn case(file: &str, name: &str) -> Value {
    let text = std::fs::read_to_string(reference_path(file)).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone()
}

/// A JSON array of numbers.
pub fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}
