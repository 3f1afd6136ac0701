//! Statistics of results over seeds: means with 95 % confidence intervals (Student's t, since
//! comparisons use a handful of seeds) and per-method mean curves. Pure functions over numbers;
//! `grid::results` builds its tables and figures with them.

/// Two-sided 95 % quantile of Student's t with `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        d if d <= 30 => T[d - 1],
        _ => 1.960,
    }
}

/// Mean and 95 % CI half-width `t95(n−1)·s/√n` (NaN half-width for a single value).
pub fn mean_ci95(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, t95(n - 1) * (var / n as f64).sqrt())
}

/// A meta-test curve: `(iteration, success, return)` per evaluation.
pub type Curve = Vec<(f64, f64, f64)>;

/// A method's meta-test curve over seeds: at each iteration every run evaluated,
/// `(iteration, success mean, success CI, return mean, return CI)`.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodCurve {
    /// Method label.
    pub method: String,
    /// Runs averaged.
    pub n: usize,
    /// Points in iteration order.
    pub points: Vec<(f64, f64, f64, f64, f64)>,
}

/// Mean curves with 95 % CIs per method (first-appearance order) from `(method, curve)` runs.
pub fn method_curves(runs: &[(String, Curve)]) -> Vec<MethodCurve> {
    let mut methods: Vec<&str> = Vec::new();
    for (m, _) in runs {
        if !methods.contains(&m.as_str()) {
            methods.push(m);
        }
    }
    methods
        .into_iter()
        .map(|m| {
            let curves: Vec<&Curve> = runs.iter().filter(|r| r.0 == m).map(|r| &r.1).collect();
            let points = curves[0]
                .iter()
                .filter_map(|&(it, _, _)| {
                    let at: Vec<(f64, f64)> = curves
                        .iter()
                        .filter_map(|c| c.iter().find(|e| e.0 == it).map(|e| (e.1, e.2)))
                        .collect();
                    if at.len() < curves.len() {
                        return None;
                    }
                    let (s, sh) = mean_ci95(&at.iter().map(|a| a.0).collect::<Vec<_>>());
                    let (r, rh) = mean_ci95(&at.iter().map(|a| a.1).collect::<Vec<_>>());
                    Some((it, s, sh, r, rh))
                })
                .collect();
            MethodCurve {
                method: m.to_string(),
                n: curves.len(),
                points,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_matches_a_hand_computed_case() {
        // xs = 1, 2, 3: mean 2, s = 1, half-width 4.303 · 1/√3 = 2.4843.
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12);
        assert!((h - 4.303 / 3f64.sqrt()).abs() < 1e-9, "{h}");
        assert!(mean_ci95(&[5.0]).1.is_nan());
        assert_eq!(mean_ci95(&[4.0, 4.0]), (4.0, 0.0));
        assert_eq!(t95(1000), 1.96);
    }

    #[test]
    fn method_curves_average_iterations_every_run_has() {
        let runs = vec![
            (
                "a".to_string(),
                vec![(0.0, 0.0, 0.0), (10.0, 0.2, 2.0), (20.0, 0.4, 4.0)],
            ),
            ("a".to_string(), vec![(0.0, 0.0, 0.0), (10.0, 0.4, 4.0)]),
            ("b".to_string(), vec![(0.0, 1.0, 1.0)]),
        ];
        let c = method_curves(&runs);
        assert_eq!(
            (c[0].method.as_str(), c[0].n, c[0].points.len()),
            ("a", 2, 2)
        );
        let p = c[0].points[1];
        assert!(
            (p.0 - 10.0).abs() < 1e-12 && (p.1 - 0.3).abs() < 1e-12 && (p.3 - 3.0).abs() < 1e-12
        );
        // Two values 0.2, 0.4: s = 0.1414, half-width 12.706 · 0.1414/√2 = 1.2706.
        assert!((p.2 - 1.2706).abs() < 1e-4, "{p:?}");
        assert_eq!((c[1].method.as_str(), c[1].n), ("b", 1));
    }
}
