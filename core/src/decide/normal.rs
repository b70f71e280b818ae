//! The standard normal distribution function and its inverse, for the normal
//! approximation of a composite and for percentile cuts.

/// The standard normal distribution function Φ(z).
///
/// # Formula
///
/// ```text
/// Φ(z) = ½ · erfc(−z / √2)
/// erfc(x) ≈ t · exp(−x² + P(t)),  t = 1 / (1 + |x|/2),  P a degree-9 polynomial
/// ```
///
/// The Chebyshev-type fit of Press et al. (Numerical Recipes, §6.2, `erfcc`): relative
/// error below 1.2·10⁻⁷ everywhere, far finer than any decision threshold needs.
/// NaN gives NaN.
///
/// # Examples
///
/// ```
/// use bagdar::decide::normal_cdf;
/// assert!((normal_cdf(1.959964) - 0.975).abs() < 1e-6);
/// assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
/// ```
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ans = t * (-z * z + poly).exp();
    if x >= 0.0 { ans } else { 2.0 - ans }
}

/// The standard normal quantile Φ⁻¹(p) for p in (0, 1); ±∞ at 0 and 1, NaN outside.
///
/// # Formula
///
/// Acklam's rational approximations (relative error below 1.15·10⁻⁹):
///
/// ```text
/// p < 0.02425:        q = √(−2 ln p),      x = C(q) / D(q)
/// 0.02425 ≤ p ≤ 0.97575: q = p − ½, r = q², x = q·A(r) / B(r)
/// p > 0.97575:        q = √(−2 ln(1−p)),   x = −C(q) / D(q)
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::decide::normal_quantile;
/// assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-6);
/// assert!((normal_quantile(0.7) - 0.524401).abs() < 1e-6);
/// ```
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
}
