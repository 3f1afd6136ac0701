//! Choosing a target task, as HFR does and DRaT after it: the partition
//! `log Z_j = log mean_m exp(U_j^(m) / T)`, the distribution `q(j | τ) = softmax_j(U_j(τ)/T −
//! log Z_j)` and a draw from it.

/// `log(mean(exp(x)))`, stable.
pub fn log_mean_exp(x: &[f32]) -> f32 {
    if x.is_empty() {
        return f32::NEG_INFINITY;
    }
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !m.is_finite() {
        return m;
    }
    let s: f64 = x.iter().map(|&v| ((v - m) as f64).exp()).sum();
    m + (s / x.len() as f64).ln() as f32
}

/// `q(j) = softmax_j(U_j / T − log Z_j)` (sums to 1). Non-finite utilities get probability 0;
/// if none is finite the distribution is uniform.
pub fn target_distribution(utility: &[f32], log_z: &[f32], temperature: f32) -> Vec<f32> {
    debug_assert_eq!(utility.len(), log_z.len());
    let logits: Vec<f64> = utility
        .iter()
        .zip(log_z)
        .map(|(&u, &z)| (u / temperature) as f64 - z as f64)
        .collect();
    let m = logits
        .iter()
        .copied()
        .filter(|l| l.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return vec![1.0 / utility.len().max(1) as f32; utility.len()];
    }
    let e: Vec<f64> = logits
        .iter()
        .map(|&l| if l.is_finite() { (l - m).exp() } else { 0.0 })
        .collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|&v| (v / s) as f32).collect()
}

/// Draws an index from the probabilities `p` with a uniform number `u ∈ [0, 1)`.
pub fn sample_index(p: &[f32], u: f32) -> usize {
    let mut acc = 0.0;
    for (i, &pi) in p.iter().enumerate() {
        acc += pi;
        if u < acc {
            return i;
        }
    }
    p.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_mean_exp_matches_the_direct_formula() {
        let x = [0.5f32, -1.0, 2.0];
        let direct = ((0.5f64.exp() + (-1.0f64).exp() + 2.0f64.exp()) / 3.0).ln();
        assert!((log_mean_exp(&x) as f64 - direct).abs() < 1e-6);
        // Stable where exp overflows f32.
        assert!((log_mean_exp(&[1000.0, 1000.0]) - 1000.0).abs() < 1e-3);
    }

    #[test]
    fn target_distribution_sums_to_one_and_ranks_the_better_task_first() {
        // Task 2 values the trajectory clearly more than its usual contexts do; task 0 is
        // valued highly but is as valuable everywhere (large log Z), so it is not preferred.
        let u = [5.0, 1.0, 4.0, 0.0];
        let log_z = [5.0, 1.0, 1.0, 0.0];
        let q = target_distribution(&u, &log_z, 1.0);
        assert!((q.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let best = (0..4).max_by(|&a, &b| q[a].total_cmp(&q[b])).unwrap();
        assert_eq!(best, 2);
        // Hand-computed: logits 0, 0, 3, 0 → e³ / (3 + e³).
        let e3 = 3.0f32.exp();
        assert!((q[2] - e3 / (3.0 + e3)).abs() < 1e-6);
        // A higher temperature flattens it.
        let flat = target_distribution(&u, &[0.0; 4], 100.0);
        assert!(flat.iter().all(|&p| (p - 0.25).abs() < 0.02));
    }

    #[test]
    fn non_finite_utilities_get_no_mass() {
        let q = target_distribution(&[f32::NAN, 1.0], &[0.0, 0.0], 1.0);
        assert_eq!(q, vec![0.0, 1.0]);
        assert_eq!(sample_index(&q, 0.3), 1);
        assert_eq!(sample_index(&[0.5, 0.5], 0.49), 0);
        assert_eq!(sample_index(&[0.5, 0.5], 0.99999), 1);
    }
}
