//! HFR, hindsight foresight relabeling (Wan et al., 2021): a trajectory τ is offered to every
//! training task j; its utility for j is the value the agent expects at τ's start state when
//! z is inferred from τ relabeled to j,
//! `U_j(τ) = min(Q1, Q2)(s_0, π(s_0, z), z)`, `z = mean posterior(τ relabeled to j)`;
//! each task's partition `log Z_j = log mean_m exp(U_j^(m) / T)` over contexts m of task j
//! normalises tasks that are easy everywhere; the target task is drawn from
//! `q(j | τ) = softmax_j(U_j(τ)/T − log Z_j)`. The relabeled trajectory then trains task j
//! with ordinary bootstrapping (dynamics shift between i and j is ignored — what DRaT fixes).

use rand_pcg::Pcg64;

use super::drat::{repeat_rows, Scorer, StepInputs, Tally, Valuation};
use super::estimators::Reward;
use super::relabel::relabeled;
use crate::config::{Config, Utility};
use crate::data::trajectory::Trajectory;
use crate::error::Result;

/// HFR's valuation: `U_j(τ) = V(s, z_j(τ))` with z_j inferred from τ relabeled to j, at the
/// start state or averaged over τ's states (`transfer.utility`); no per-step values (moved
/// rows bootstrap as usual).
pub struct HfrValue;

impl Valuation for HfrValue {
    fn reward(&self, _: &Config) -> Reward {
        Reward::OfNextState
    }

    fn fixes_targets(&self) -> bool {
        false
    }

    fn values(
        &self,
        _: &Scorer<'_>,
        _: &Trajectory,
        _: usize,
        _: &StepInputs,
        _: &mut Tally,
    ) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
        Ok(None)
    }

    fn utilities(
        &self,
        s: &Scorer<'_>,
        traj: &Trajectory,
        rng: &mut Pcg64,
        _: &mut Tally,
    ) -> Result<Vec<f32>> {
        let rows = &traj.rows;
        let n_tasks = s.tasks.len();
        // The context of τ relabeled to j carries j's rewards as the env gives them.
        let mut ctx = Vec::new();
        for task in s.tasks {
            ctx.extend(relabeled(&s.cfg.reward, rows, task.goal).context_rows());
        }
        let z = s.agent.posterior_means(&ctx, n_tasks, rows.len())?;
        let (od, l) = (s.agent.obs_dim(), s.agent.latent_dim());
        let states = match s.cfg.transfer.utility {
            Utility::Start => rows.obs[..od].to_vec(),
            Utility::Trajectory => rows.obs.clone(),
        };
        let per_task = states.len() / od;
        let mut zs = Vec::with_capacity(n_tasks * per_task * l);
        for j in 0..n_tasks {
            zs.extend(repeat_rows(&z[j * l..(j + 1) * l], per_task));
        }
        let v = s.value(&repeat_rows(&states, n_tasks), &zs, rng)?;
        Ok(v.chunks(per_task).map(|c| s.utility_of(c)).collect())
    }
}

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
