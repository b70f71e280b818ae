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

#[test]
fn s_x2_expected_table_matches_pattern_enumeration() {
    use crate::model::{ItemModel, MAX_CATEGORIES, ResponseCurve};
    use crate::quadrature::{Grid, Prior, Quadrature};
    let items: Vec<_> = [
        ItemModel::TwoPl {
            slope: 1.2,
            intercept: 0.3,
        },
        ItemModel::Graded {
            slope: 0.9,
            intercepts: vec![1.0, -0.5],
        },
        ItemModel::ThreePl {
            slope: 1.5,
            intercept: -0.4,
            guessing: 0.2,
        },
        ItemModel::Gpcm {
            slope: 0.7,
            intercepts: vec![0.4, 0.1, -0.6],
        },
    ]
    .iter()
    .map(|m| m.response_function("").unwrap())
    .collect();
    let q = Quadrature::new(&Grid::default(), &Prior::default()).unwrap();
    let k: Vec<usize> = items.iter().map(|f| f.categories()).collect();
    let max_sum: usize = k.iter().map(|c| c - 1).sum();
    // joint[s][i][c] = P(S = s, x_i = c) by enumerating every pattern.
    let mut joint = vec![vec![[0.0; MAX_CATEGORIES]; items.len()]; max_sum + 1];
    let total: usize = k.iter().product();
    let mut p = [0.0; MAX_CATEGORIES];
    for code in 0..total {
        let mut rest = code;
        let pattern: Vec<usize> = k
            .iter()
            .map(|&c| {
                let x = rest % c;
                rest /= c;
                x
            })
            .collect();
        let mut prob = 0.0;
        for (&theta, &w) in q.nodes().iter().zip(q.weights()) {
            let mut l = w;
            for (f, &x) in items.iter().zip(&pattern) {
                f.probabilities(theta, &mut p);
                l *= p[x];
            }
            prob += l;
        }
        let s: usize = pattern.iter().sum();
        for (i, &x) in pattern.iter().enumerate() {
            joint[s][i][x] += prob;
        }
    }
    for (i, _) in items.iter().enumerate() {
        let table = super::sx2::expected_table(&items, &q, i);
        assert_eq!(table.len(), max_sum - 1);
        for (r, row) in table.iter().enumerate() {
            let s = r + 1;
            let ps: f64 = joint[s][i].iter().sum();
            for (c, cell) in row.iter().enumerate() {
                let want = joint[s][i][c] / ps;
                match cell {
                    Some(v) => assert!((v - want).abs() < 1e-12, "item {i} s {s} c {c}"),
                    None => assert_eq!(want, 0.0),
                }
            }
        }
    }
}

#[test]
fn s_x2_collapsing_follows_mirt() {
    use super::sx2::collapse;
    // Worked by hand through mirt's collapseCells (mincell = 1): the empty score row is
    // dropped, the first row (one person) is merged down, the last (one person) up.
    let observed = vec![
        vec![0.0, 1.0],
        vec![3.0, 2.0],
        vec![0.0, 0.0],
        vec![5.0, 5.0],
        vec![1.0, 0.0],
    ];
    let expected = vec![
        vec![Some(0.3), Some(0.7)],
        vec![Some(2.0), Some(3.0)],
        vec![Some(0.1), Some(0.2)],
        vec![Some(4.0), Some(6.0)],
        vec![Some(0.4), Some(0.6)],
    ];
    let (o, e) = collapse(observed, expected, 1.0);
    assert_eq!(o, vec![vec![3.0, 3.0], vec![6.0, 5.0]]);
    let e: Vec<Vec<f64>> = e
        .iter()
        .map(|r| r.iter().map(|v| v.unwrap()).collect())
        .collect();
    for (got, want) in e.iter().flatten().zip([2.3, 3.7, 4.4, 6.6]) {
        assert!((got - want).abs() < 1e-12);
    }
    // A small expected count in a middle row merges it into the neighbour with fewer
    // observations.
    let observed = vec![
        vec![4.0, 4.0],
        vec![2.0, 3.0],
        vec![6.0, 6.0],
        vec![9.0, 9.0],
    ];
    let expected = vec![
        vec![Some(4.0), Some(4.0)],
        vec![Some(0.5), Some(4.5)],
        vec![Some(6.0), Some(6.0)],
        vec![Some(9.0), Some(9.0)],
    ];
    let (o, _) = collapse(observed, expected, 1.0);
    assert_eq!(o, vec![vec![6.0, 7.0], vec![6.0, 6.0], vec![9.0, 9.0]]);
}
