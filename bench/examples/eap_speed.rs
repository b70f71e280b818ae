//! Times batch EAP on a 2PL bank (100 items, 61 points): `cargo run --release -p
//! bagdar-bench --example eap_speed -- [persons] [repeats]`. Prints the median time and
//! a checksum of θ̂ so that two builds can be compared for speed and identical results.

use bagdar::score::{Scorer, ScoringSettings};
use bagdar_bench::{compile, simulate, two_pl_bank};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let persons: usize = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let repeats: usize = args.next().map_or(5, |a| a.parse().unwrap());
    let items = compile(&two_pl_bank(100, 1));
    let data = simulate(&items, persons, 2);
    let scorer = Scorer::new(items, &ScoringSettings::default()).unwrap();
    let mut times = Vec::new();
    let mut checksum = (0.0, 0.0);
    for _ in 0..repeats {
        let start = Instant::now();
        let estimates = scorer.score(&data).unwrap();
        times.push(start.elapsed().as_secs_f64());
        checksum = estimates
            .iter()
            .fold((0.0, 0.0), |(t, s), e| (t + e.theta, s + e.se));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "EAP {persons} x 100, 61 points: median {:.4} s (min {:.4} s, {repeats} runs); sum theta {:.12e}, sum se {:.12e}",
        times[repeats / 2],
        times[0],
        checksum.0,
        checksum.1
    );
}
