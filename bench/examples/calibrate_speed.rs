//! Times a 2PL calibration (defaults: 61 points, Anderson acceleration; `ACCELERATION=squarem` or `none` for
//! the others): `cargo run --release -p
//! bagdar-bench --example calibrate_speed -- [persons] [items]`. Prints the time, the
//! number of cycles and E-steps, and the log-likelihood, so that two builds can be
//! compared for speed and for reaching the same optimum.

use bagdar::calibrate::{Acceleration, CalibrationSettings, calibrate};
use bagdar_bench::{compile, simulate, two_pl_bank};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let persons: usize = args.next().map_or(20_000, |a| a.parse().unwrap());
    let items: usize = args.next().map_or(100, |a| a.parse().unwrap());
    let data = simulate(&compile(&two_pl_bank(items, 1)), persons, 2);
    let start = Instant::now();
    let settings = CalibrationSettings {
        acceleration: match std::env::var("ACCELERATION").as_deref() {
            Ok("anderson") => Acceleration::Anderson,
            Ok("none") => Acceleration::None,
            _ => Acceleration::Squarem,
        },
        ..CalibrationSettings::default()
    };
    let fit = calibrate(&data, &settings).unwrap();
    println!(
        "2PL {persons} x {items}: {:.3} s, {:?}, {} cycles, {} E-steps; log-likelihood {:.6}",
        start.elapsed().as_secs_f64(),
        fit.status,
        fit.iterations,
        fit.e_steps,
        fit.log_likelihood
    );
    if let Ok(path) = std::env::var("ITEMS_OUT") {
        std::fs::write(path, serde_json::to_string(&fit.items).unwrap()).unwrap();
    }
    if std::env::var_os("HISTORY").is_some() {
        for (i, l) in fit.history.iter().enumerate() {
            println!("{i} {:.6} {:.3e}", l, fit.log_likelihood - l);
        }
    }
}
