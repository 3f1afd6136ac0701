//! A finite MDP with exact values, the test bed of the estimators: random reward `r(s, a)`,
//! random transition kernels per task, random stochastic policies, finite horizon `T` with
//! discount γ, exact `V_t(s)` and `Q_t(s, a)` by backward dynamic programming. Task j's kernel
//! is `P_j = (1 − δ)·P_i + δ·P_other` for a shift δ ∈ [0, 1], so `ρd = P_j/P_i` is finite.
//!
//! [`experiment`] runs every estimator on trajectories of task i (policy π_i, kernel P_i)
//! relabeled to task j (π_j, P_j, same reward) with noisy twin critics, and returns each one's
//! start-state estimates next to the exact `V_j,0(s_0)`; `examples/transfer_table.rs` prints
//! the RMSE table, `tests/transfer_estimators.rs` asserts on it.

use rand::Rng;
use rand_distr::StandardNormal;

use crate::transfer::estimators::{
    dr_estimate, drae_estimate, is_estimate, DraeParams, DraeVariant, IntervalRule, Reward,
};

/// A finite MDP of one task: `s` states, `a` actions, reward `r[s·A + a]`, kernel
/// `p[(s·A + a)·S + s′]`.
#[derive(Clone, Debug)]
pub struct Mdp {
    /// States.
    pub s: usize,
    /// Actions.
    pub a: usize,
    /// Rewards.
    pub r: Vec<f64>,
    /// Transition probabilities.
    pub p: Vec<f64>,
}

fn simplex_rows(rows: usize, n: usize, power: i32, rng: &mut impl Rng) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows * n);
    for _ in 0..rows {
        // Exponential draws (flat Dirichlet) raised to `power`: > 1 peaks the rows.
        let w: Vec<f64> = (0..n)
            .map(|_| (-rng.random::<f64>().max(1e-12).ln()).powi(power))
            .collect();
        let s: f64 = w.iter().sum();
        out.extend(w.iter().map(|x| x / s));
    }
    out
}

/// A random kernel: rows normalised from exponential draws raised to `power` (1: flat
/// Dirichlet; 3: peaked, near-deterministic transitions whose shifts change values a lot).
pub fn random_kernel(s: usize, a: usize, power: i32, rng: &mut impl Rng) -> Vec<f64> {
    simplex_rows(s * a, s, power, rng)
}

/// A random stochastic policy `π[s·A + a]`.
pub fn random_policy(s: usize, a: usize, rng: &mut impl Rng) -> Vec<f64> {
    simplex_rows(s, a, 1, rng)
}

/// `(1 − δ)·p + δ·q`.
pub fn mix(p: &[f64], q: &[f64], delta: f64) -> Vec<f64> {
    p.iter()
        .zip(q)
        .map(|(x, y)| (1.0 - delta) * x + delta * y)
        .collect()
}

/// Exact finite-horizon values under `pi`: `V[t][s]` for t = 0..=T (`V[T] = 0`) and
/// `Q[t][s·A + a]` for t = 0..T.
pub fn values(m: &Mdp, pi: &[f64], gamma: f64, horizon: usize) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut v = vec![vec![0.0; m.s]; horizon + 1];
    let mut q = vec![vec![0.0; m.s * m.a]; horizon];
    for t in (0..horizon).rev() {
        for (sa, qsa) in q[t].iter_mut().enumerate() {
            let next: f64 = (0..m.s).map(|s2| m.p[sa * m.s + s2] * v[t + 1][s2]).sum();
            *qsa = m.r[sa] + gamma * next;
        }
        for s in 0..m.s {
            v[t][s] = (0..m.a).map(|a| pi[s * m.a + a] * q[t][s * m.a + a]).sum();
        }
    }
    (v, q)
}

fn draw(p: &[f64], rng: &mut impl Rng) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (i, x) in p.iter().enumerate() {
        acc += x;
        if u < acc {
            return i;
        }
    }
    p.len() - 1
}

/// One trajectory of `horizon` steps from `s0`: `(s, a, s′)` per step.
pub fn sample(
    m: &Mdp,
    pi: &[f64],
    s0: usize,
    horizon: usize,
    rng: &mut impl Rng,
) -> Vec<(usize, usize, usize)> {
    let mut s = s0;
    (0..horizon)
        .map(|_| {
            let a = draw(&pi[s * m.a..(s + 1) * m.a], rng);
            let sa = s * m.a + a;
            let s2 = draw(&m.p[sa * m.s..(sa + 1) * m.s], rng);
            let step = (s, a, s2);
            s = s2;
            step
        })
        .collect()
}

/// The experiment's knobs.
#[derive(Clone, Debug)]
pub struct Setup {
    /// States.
    pub states: usize,
    /// Actions.
    pub actions: usize,
    /// Horizon T.
    pub horizon: usize,
    /// Discount.
    pub gamma: f64,
    /// Dynamics shift δ between task i and task j.
    pub shift: f64,
    /// How far π_j is from π_i: `π_j = (1 − κ)·π_i + κ·π_random`.
    pub policy_shift: f64,
    /// Std of each critic's error, relative to the largest |Q_j|.
    pub critic_noise: f64,
    /// Trajectories per critic draw.
    pub trajectories: usize,
    /// Independent critic draws.
    pub critic_draws: usize,
    /// DRaE's clip and guard.
    pub rho_max: f32,
    /// Peakedness of the random kernels (see [`random_kernel`]).
    pub kernel_power: i32,
    /// Reward 1 in the last state only (else uniform random rewards in [0, 1]).
    pub sparse_reward: bool,
    /// What rewards depend on: `OfStep`, r(s, a) (the specification's setting), or
    /// `OfNextState`, r(s′) (the robots' goal reward: reaching the goal state pays). The
    /// DR-type estimators back up in the matching form; IS stays in the step form.
    pub reward: Reward,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            states: 6,
            actions: 3,
            horizon: 10,
            gamma: 0.9,
            shift: 0.3,
            policy_shift: 0.3,
            critic_noise: 0.15,
            trajectories: 200,
            critic_draws: 10,
            rho_max: 2.0,
            kernel_power: 3,
            sparse_reward: true,
            reward: Reward::OfStep,
        }
    }
}

/// The estimators compared, in table order. Besides the estimators of `transfer::estimators`:
/// `critic` is the critic alone, V̂(s_0) = Σ_a π_j(a|s_0)·min(Q̂1, Q̂2)(s_0, a) (the baseline
/// every DR-type estimator corrects), and `is-reversed` is IS with the dynamics ratio
/// inverted (p_i/p_j), which the ratio-convention test shows to be biased.
pub const METHODS: [&str; 7] = [
    "is",
    "naive",
    "dr",
    "drae",
    "drae-slide",
    "critic",
    "is-reversed",
];

/// Start-state estimates of each method (in [`METHODS`] order) and the exact value, for one
/// random MDP pair drawn from `rng`.
pub fn experiment(setup: &Setup, rng: &mut impl Rng) -> (Vec<Vec<f64>>, f64) {
    let pair = Pair::draw(setup, rng);
    let mut out = vec![Vec::new(); METHODS.len()];
    for _ in 0..setup.critic_draws {
        let critics = pair.critics(setup, rng);
        for _ in 0..setup.trajectories {
            let traj = sample(&pair.task_i, &pair.pi_i, 0, setup.horizon, rng);
            let cols = pair.columns(&traj, &critics);
            let est = cols.estimates(setup.gamma as f32, setup.rho_max);
            for (k, e) in est.into_iter().enumerate() {
                out[k].push(e);
            }
        }
    }
    (out, pair.truth)
}

/// For trajectories of task i valued for task j with DRaE: (utility from the start state
/// `Ṽ_ij(0)`, utility as the mean of `Ṽ_ij(t)` over the trajectory, the trajectory's realised
/// discounted return under task j's reward). How well each utility tracks what the
/// trajectory did is what `transfer.utility` chooses between.
pub fn utility_experiment(setup: &Setup, rng: &mut impl Rng) -> Vec<(f64, f64, f64)> {
    let pair = Pair::draw(setup, rng);
    let mut out = Vec::new();
    for _ in 0..setup.critic_draws {
        let critics = pair.critics(setup, rng);
        for _ in 0..setup.trajectories {
            let traj = sample(&pair.task_i, &pair.pi_i, 0, setup.horizon, rng);
            let cols = pair.columns(&traj, &critics);
            let p = DraeParams {
                gamma: setup.gamma as f32,
                rho_max: setup.rho_max,
                eps: 1e-6,
                rule: IntervalRule::ClosestToOne,
                variant: DraeVariant::Derived,
                reward: setup.reward,
            };
            let v = drae_estimate(
                &cols.r,
                &cols.rho_pi,
                &cols.v,
                &cols.q,
                &cols.lo,
                &cols.hi,
                &p,
                0.0,
            )
            .expect("lengths match")
            .values;
            let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
            let realised: f64 = cols
                .r
                .iter()
                .enumerate()
                .map(|(t, &r)| setup.gamma.powi(t as i32) * r as f64)
                .sum();
            out.push((v[0] as f64, mean, realised));
        }
    }
    out
}

/// Task i (where the data come from) and task j (what it is valued for), their policies and
/// task j's exact values.
struct Pair {
    /// With `Reward::OfNextState`: the reward of arriving in each state (the tasks' `r` are
    /// then its expectation under their own kernels).
    r_state: Option<Vec<f64>>,
    reward: Reward,
    task_i: Mdp,
    task_j: Mdp,
    pi_i: Vec<f64>,
    pi_j: Vec<f64>,
    q_true: Vec<Vec<f64>>,
    truth: f64,
    noise: f64,
}

/// Twin noisy critics: (Q̂1, V̂1, Q̂2, V̂2) per step.
type Critics = (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<Vec<f64>>);

impl Pair {
    fn draw(setup: &Setup, rng: &mut impl Rng) -> Pair {
        let (ns, na) = (setup.states, setup.actions);
        // Sparse reward: 1 in the last state (the goal), 0 elsewhere.
        let r: Vec<f64> = (0..ns * na)
            .map(|sa| match setup.sparse_reward {
                true => f64::from(u8::from(sa / na == ns - 1)),
                false => rng.random::<f64>(),
            })
            .collect();
        let p_i = random_kernel(ns, na, setup.kernel_power, rng);
        let p_other = random_kernel(ns, na, setup.kernel_power, rng);
        let p_j = mix(&p_i, &p_other, setup.shift);
        // Rewards of the next state: arriving in s′ pays r(s′, ·) of the draw above, so the
        // expected reward of (s, a) depends on the task's kernel.
        let r_state: Option<Vec<f64>> =
            (setup.reward == Reward::OfNextState).then(|| (0..ns).map(|s2| r[s2 * na]).collect());
        let expected = |p: &[f64]| -> Vec<f64> {
            match &r_state {
                None => r.clone(),
                Some(rs) => (0..ns * na)
                    .map(|sa| (0..ns).map(|s2| p[sa * ns + s2] * rs[s2]).sum())
                    .collect(),
            }
        };
        let (r_i, r_j) = (expected(&p_i), expected(&p_j));
        let pi_i = random_policy(ns, na, rng);
        let pi_j = mix(&pi_i, &random_policy(ns, na, rng), setup.policy_shift);
        let task_i = Mdp {
            s: ns,
            a: na,
            r: r_i,
            p: p_i,
        };
        let task_j = Mdp {
            s: ns,
            a: na,
            r: r_j,
            p: p_j,
        };
        let (v_true, q_true) = values(&task_j, &pi_j, setup.gamma, setup.horizon);
        let q_scale = q_true.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
        Pair {
            r_state,
            reward: setup.reward,
            task_i,
            task_j,
            pi_i,
            pi_j,
            truth: v_true[0][0],
            q_true,
            noise: setup.critic_noise * q_scale,
        }
    }

    fn critics(&self, setup: &Setup, rng: &mut impl Rng) -> Critics {
        let (ns, na) = (setup.states, setup.actions);
        let (q1, v1) = noisy_critic(&self.q_true, &self.pi_j, ns, na, self.noise, rng);
        let (q2, v2) = noisy_critic(&self.q_true, &self.pi_j, ns, na, self.noise, rng);
        (q1, v1, q2, v2)
    }

    /// The estimators' inputs along one trajectory `(s, a, s′)` of task i.
    fn columns(&self, traj: &[(usize, usize, usize)], c: &Critics) -> Columns {
        let (ns, na) = (self.task_j.s, self.task_j.a);
        let (q1, v1, q2, v2) = c;
        let (pi_i, pi_j) = (&self.pi_i, &self.pi_j);
        let (p_i, p_j) = (&self.task_i.p, &self.task_j.p);
        let mut cols = Columns {
            reward: self.reward,
            ..Columns::default()
        };
        for (t, &(s, a, s2)) in traj.iter().enumerate() {
            let sa = s * na + a;
            let r = match &self.r_state {
                None => self.task_j.r[sa],
                Some(rs) => rs[s2],
            };
            cols.r.push(r as f32);
            cols.rho_pi.push((pi_j[sa] / pi_i[sa]) as f32);
            cols.rho_d
                .push((p_j[sa * ns + s2] / p_i[sa * ns + s2]) as f32);
            cols.rho_d_rev
                .push((p_i[sa * ns + s2] / p_j[sa * ns + s2]) as f32);
            // DR needs V̂ = E_{π_j} Q̂ of one critic: Q̂ = min of the twins.
            let qmin = |s: usize, a: usize| q1[t][s * na + a].min(q2[t][s * na + a]);
            cols.v
                .push((0..na).map(|b| pi_j[s * na + b] * qmin(s, b)).sum::<f64>() as f32);
            cols.q.push(qmin(s, a) as f32);
            cols.lo.push(v1[t + 1][s2].min(v2[t + 1][s2]) as f32);
            cols.hi.push(v1[t + 1][s2].max(v2[t + 1][s2]) as f32);
        }
        cols
    }
}

/// Twin noisy critics: `Q̂ = Q_j + noise·ε`, `V̂(s) = Σ_a π_j(a|s)·Q̂(s, a)` per step (V̂ has
/// one more step, all zeros, after the horizon).
fn noisy_critic(
    q_true: &[Vec<f64>],
    pi_j: &[f64],
    ns: usize,
    na: usize,
    noise: f64,
    rng: &mut impl Rng,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let q: Vec<Vec<f64>> = q_true
        .iter()
        .map(|qt| {
            qt.iter()
                .map(|x| x + noise * rng.sample::<f64, _>(StandardNormal))
                .collect()
        })
        .collect();
    let mut v: Vec<Vec<f64>> = q
        .iter()
        .map(|qt| {
            (0..ns)
                .map(|s| (0..na).map(|a| pi_j[s * na + a] * qt[s * na + a]).sum())
                .collect()
        })
        .collect();
    v.push(vec![0.0; ns]);
    (q, v)
}

/// One trajectory's per-step estimator inputs.
#[derive(Default)]
struct Columns {
    reward: Reward,
    r: Vec<f32>,
    rho_pi: Vec<f32>,
    rho_d: Vec<f32>,
    rho_d_rev: Vec<f32>,
    v: Vec<f32>,
    q: Vec<f32>,
    lo: Vec<f32>,
    hi: Vec<f32>,
}

impl Columns {
    /// The start-state estimate of every method, in [`METHODS`] order.
    fn estimates(&self, gf: f32, rho_max: f32) -> Vec<f64> {
        let first = |x: Vec<f32>| x[0] as f64;
        let ones = vec![1.0f32; self.r.len()];
        let (r, rp) = (&self.r, &self.rho_pi);
        let mut out = vec![
            first(is_estimate(r, rp, &self.rho_d, gf, 0.0).expect("lengths match")),
            first(
                dr_estimate(self.reward, r, rp, &ones, &self.v, &self.q, gf, 0.0)
                    .expect("lengths match"),
            ),
            first(
                dr_estimate(self.reward, r, rp, &self.rho_d, &self.v, &self.q, gf, 0.0)
                    .expect("lengths match"),
            ),
        ];
        for variant in [DraeVariant::Derived, DraeVariant::Slide] {
            let p = DraeParams {
                gamma: gf,
                rho_max,
                eps: 1e-6,
                rule: IntervalRule::ClosestToOne,
                variant,
                reward: self.reward,
            };
            let e = drae_estimate(r, rp, &self.v, &self.q, &self.lo, &self.hi, &p, 0.0)
                .expect("lengths match");
            out.push(e.values[0] as f64);
        }
        out.push(f64::from(self.v[0]));
        out.push(first(
            is_estimate(r, rp, &self.rho_d_rev, gf, 0.0).expect("lengths match"),
        ));
        out
    }
}

/// Bias, standard deviation and RMSE of estimates against `truth`.
pub fn error_stats(est: &[f64], truth: f64) -> (f64, f64, f64) {
    let n = est.len() as f64;
    let mean = est.iter().sum::<f64>() / n;
    let var = est.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let mse = est.iter().map(|x| (x - truth).powi(2)).sum::<f64>() / n;
    (mean - truth, var.sqrt(), mse.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn dynamic_programming_matches_monte_carlo() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(4);
        let m = Mdp {
            s: 4,
            a: 2,
            r: (0..8).map(|_| rng.random()).collect(),
            p: random_kernel(4, 2, 1, &mut rng),
        };
        let pi = random_policy(4, 2, &mut rng);
        let (v, _) = values(&m, &pi, 0.9, 6);
        let n = 20_000;
        let mc: f64 = (0..n)
            .map(|_| {
                sample(&m, &pi, 0, 6, &mut rng)
                    .iter()
                    .enumerate()
                    .map(|(t, &(s, a, _))| 0.9f64.powi(t as i32) * m.r[s * 2 + a])
                    .sum::<f64>()
            })
            .sum::<f64>()
            / n as f64;
        assert!((mc - v[0][0]).abs() < 0.03, "MC {mc} vs DP {}", v[0][0]);
    }
}
