//! Times the float64 → category conversion the Python and CLI surfaces use
//! (`ResponseMatrix::from_f64`): `cargo run --release -p bagdar-bench --example
//! convert_speed -- [persons] [repeats]` (100 items of 0/1 with 5% NaN).

use bagdar::response::ResponseMatrix;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let persons: usize = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let repeats: usize = args.next().map_or(5, |a| a.parse().unwrap());
    let items = 100;
    let values: Vec<f64> = (0..persons * items)
        .map(|i| {
            let h = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
            if h.is_multiple_of(20) {
                f64::NAN
            } else {
                (h & 1) as f64
            }
        })
        .collect();
    let mut times = Vec::new();
    let mut checksum = 0u64;
    for _ in 0..repeats {
        let start = Instant::now();
        let m = ResponseMatrix::from_f64(persons, items, &values).unwrap();
        times.push(start.elapsed().as_secs_f64());
        checksum = (0..persons)
            .map(|p| m.row(p).iter().map(|&x| u64::from(x)).sum::<u64>())
            .sum();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "from_f64 {persons} x {items}: median {:.4} s (min {:.4} s); checksum {checksum}",
        times[repeats / 2],
        times[0]
    );
}
