//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) and every input a fuzzer ever
//! crashed on (`fuzz/regressions/<target>/`) through the entry points of
//! `bagdar::fuzz`, and runs a short seeded mutation pass over the corpus, so that the
//! ordinary stable test run guards what the libFuzzer runs found.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_corpus_and_crash_input_runs_cleanly() {
    let mut seen = 0;
    for (target, run) in bagdar::fuzz::TARGETS {
        let corpus = inputs("corpus", target);
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} has no seeds");
        for (name, data) in corpus.iter().chain(&inputs("regressions", target)) {
            let outcome = std::panic::catch_unwind(|| run(data));
            assert!(outcome.is_ok(), "{target}: input {name} panics");
            seen += 1;
        }
    }
    assert!(seen >= 20);
}

/// A few byte-level mutations of a seed: flips, insertions of interesting bytes,
/// deletions, truncation and duplication of a slice.
fn mutate(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    const INTERESTING: &[&[u8]] = &[
        b"NaN",
        b"-1",
        b"1e308",
        b"-1e308",
        b"0",
        b"\"",
        b",",
        b"\n",
        b"{",
        b"}",
        b"[",
        b"]",
        b"null",
        b"99999999999999999999",
        b"\xff\xfe",
        b"\xef\xbb\xbf",
        b";",
    ];
    let mut data = seed.to_vec();
    for _ in 0..rng.random_range(1..6) {
        let len = data.len();
        match rng.random_range(0..5) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                data[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = rng.random_range(0..=len);
                let token = INTERESTING[rng.random_range(0..INTERESTING.len())];
                data.splice(i..i, token.iter().copied());
            }
            2 if len > 0 => {
                let i = rng.random_range(0..len);
                let j = (i + rng.random_range(1..16)).min(len);
                data.drain(i..j);
            }
            3 if len > 0 => data.truncate(rng.random_range(0..len)),
            _ if len > 0 => {
                let i = rng.random_range(0..len);
                let j = (i + rng.random_range(1..64)).min(len);
                let slice = data[i..j].to_vec();
                data.splice(j..j, slice);
            }
            _ => data.push(rng.random()),
        }
    }
    data
}

#[test]
fn seeded_mutations_of_the_corpus_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_123);
    for (target, run) in bagdar::fuzz::TARGETS {
        let corpus = inputs("corpus", target);
        // Large seeds (the demo instrument) cost more per run: fewer rounds for them.
        for (name, seed) in &corpus {
            // (and CAT steps replay the session log: fewer rounds there too).
            let rounds = if seed.len() > 20_000 {
                10
            } else if *target == "cat_session" {
                25
            } else {
                150
            };
            for round in 0..rounds {
                let data = mutate(&mut rng, seed);
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(
                    outcome.is_ok(),
                    "{target}: mutation {round} of {name} panics; input: {:?}",
                    String::from_utf8_lossy(&data)
                );
            }
        }
    }
}
