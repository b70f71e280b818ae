//! Shared by the reference tests: the files of `tests/reference/`.

use bagdar::response::ResponseMatrix;

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
