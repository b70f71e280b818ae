use super::distribution::ln_gamma;
use super::*;

#[test]
fn chi_square_tail_matches_known_quantiles() {
    // Upper 5% and 1% points (Abramowitz & Stegun, table 26.8).
    for (x, df, p) in [
        (3.841459, 1.0, 0.05),
        (5.991465, 2.0, 0.05),
        (11.070498, 5.0, 0.05),
        (15.086272, 5.0, 0.01),
        (31.410433, 20.0, 0.05),
        (124.342113, 100.0, 0.05),
    ] {
        assert!((chi_square_survival(x, df) - p).abs() < 1e-7, "{x} {df}");
    }
    // df = 2: exp(−x/2) exactly.
    assert!((chi_square_survival(4.0, 2.0) - (-2.0f64).exp()).abs() < 1e-14);
    assert!(chi_square_survival(1.0, 0.0).is_nan());
    assert_eq!(chi_square_survival(0.0, 3.0), 1.0);
}

#[test]
fn ln_gamma_is_exact_on_integers() {
    let mut factorial = 1.0f64;
    for n in 1..20 {
        assert!((ln_gamma(n as f64) - factorial.ln()).abs() < 1e-12 * (1.0 + factorial.ln()));
        factorial *= n as f64;
    }
    assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
}

#[test]
fn rmsea_follows_mirt() {
    assert_eq!(rmsea(3.0, 5.0, 100.0), 0.0);
    assert!((rmsea(20.0, 5.0, 101.0) - (3.0f64 / 100.0).sqrt()).abs() < 1e-15);
    assert!(rmsea(1.0, 0.0, 10.0).is_nan());
}
