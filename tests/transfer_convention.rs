//! The dynamics-ratio convention on an environment with exact transition densities (the
//! point robot with Gaussian transition noise), and reward relabeling against the env.
//!
//! Data from task i evaluated under task j needs ρd = p_j(s′|s,a) / p_i(s′|s,a): with it the
//! DR estimate of task j's value from task-i trajectories is unbiased; the reversed ratio is
//! not.

use drat::config::Config;
use drat::data::buffer::{Batch, Transition};
use drat::env::point::transition_log_density;
use drat::env::{Env, EnvMaker, Task};
use drat::transfer::estimators::is_estimate;
use drat::transfer::relabel::rewards_for_goal;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

const HORIZON: usize = 5;
const GAMMA: f32 = 0.9;

fn noisy_point() -> Config {
    let sets: Vec<String> = [
        "env.point.noise_std=0.1",
        "env.horizon=5",
        "reward.kind=dense",
        "tasks.dynamics.randomize=true",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Config::from_toml_str_with_sets("[env]\nrobot = \"point\"\n", "test", &sets).unwrap()
}

/// A fixed stochastic policy (the same in both tasks, so ρπ = 1).
fn policy(rng: &mut rand_pcg::Pcg64) -> Vec<f32> {
    (0..2)
        .map(|_| (0.6 + 0.3 * rng.sample::<f32, _>(StandardNormal)).clamp(-1.0, 1.0))
        .collect()
}

/// Discounted return `Σ γᵗ·r_t` of one episode.
fn discounted(rewards: &[f32]) -> f64 {
    rewards
        .iter()
        .enumerate()
        .map(|(t, r)| GAMMA.powi(t as i32) as f64 * *r as f64)
        .sum()
}

/// One episode from `reset(seed)` with actions from `policy`; rows in time order, actions
/// stored clipped to [-1, 1] as the env applies them.
fn rollout(env: &mut dyn Env, seed: u64, mut policy: impl FnMut() -> Vec<f32>) -> Batch {
    let mut obs = env.reset(seed).unwrap().obs;
    let mut rows = Batch::default();
    loop {
        let a = policy();
        let clipped: Vec<f32> = a.iter().map(|x| x.clamp(-1.0, 1.0)).collect();
        let s = env.step(&a).unwrap();
        rows.push(&Transition::of_step(&obs, &clipped, &s));
        let done = s.done();
        obs = s.obs;
        if done {
            return rows;
        }
    }
}

/// Episodes in `task` under the fixed policy.
fn episodes(cfg: &Config, task: &Task, n: usize, seed: u64) -> Vec<Batch> {
    let maker = EnvMaker::new(cfg).unwrap();
    let mut env = maker.make(task.clone()).unwrap();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    (0..n)
        .map(|e| {
            rollout(env.as_mut(), seed * 1_000_003 + e as u64, || {
                policy(&mut rng)
            })
        })
        .collect()
}

/// `ρd(t) = p_j(s′|s,a) / p_i(s′|s,a)` of every step of a point-robot episode.
fn exact_ratios(pc: &drat::config::PointConfig, ep: &Batch, i: &Task, j: &Task) -> Vec<f32> {
    (0..ep.len())
        .map(|t| {
            let (s, a, s2) = (
                &ep.obs[4 * t..4 * t + 4],
                &ep.action[2 * t..2 * t + 2],
                &ep.next_obs[4 * t..4 * t + 4],
            );
            let lj = transition_log_density(pc, &j.dynamics, s, a, s2);
            let li = transition_log_density(pc, &i.dynamics, s, a, s2);
            (lj - li).exp() as f32
        })
        .collect()
}

fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[test]
fn dr_with_p_j_over_p_i_is_unbiased_for_task_j_and_the_reversed_ratio_is_not() {
    let cfg = noisy_point();
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap();
    let mut task_i = tasks.train[0].clone();
    let mut task_j = tasks.train[1].clone();
    task_i.dynamics.mass_scale = vec![1.0];
    task_i.dynamics.friction_coef = 1.0;
    task_j.dynamics.mass_scale = vec![0.85];
    task_j.dynamics.friction_coef = 0.8;
    task_j.goal = task_i.goal;
    let pc = &cfg.env.point;

    // Ground truth: task j's discounted return from its own rollouts.
    let truth: Vec<f64> = episodes(&cfg, &task_j, 20_000, 1)
        .iter()
        .map(|ep| discounted(&ep.reward))
        .collect();
    let (v_j, se_j) = mean_se(&truth);

    // Task-i data, relabeled (same goal here) and reweighted. With critics 0, DR is
    // per-decision IS. The env's reward is a function of the *next* state (the achieved
    // position after the step), so ρd(t) weights r(t) too:
    // V(t) = ρd(t)·(r(t) + γ·V(t+1)), i.e. IS with the step ratio ρπ·ρd = ρd.
    let data = episodes(&cfg, &task_i, 20_000, 5);
    let estimate = |reversed: bool| -> Vec<f64> {
        data.iter()
            .map(|ep| {
                let n = ep.len();
                let rho_d = match reversed {
                    false => exact_ratios(pc, ep, &task_i, &task_j),
                    true => exact_ratios(pc, ep, &task_j, &task_i),
                };
                let v = is_estimate(&ep.reward, &rho_d, &vec![1.0; n], GAMMA, 0.0).unwrap();
                v[0] as f64
            })
            .collect()
    };
    let (m_ok, se_ok) = mean_se(&estimate(false));
    let (m_rev, se_rev) = mean_se(&estimate(true));
    let naive: Vec<f64> = data.iter().map(|ep| discounted(&ep.reward)).collect();
    let (v_i, _) = mean_se(&naive);
    eprintln!(
        "V_j = {v_j:.4} ± {se_j:.4} (V_i = {v_i:.4}); DR p_j/p_i {m_ok:.4} ± {se_ok:.4}; reversed {m_rev:.4} ± {se_rev:.4}"
    );
    assert_eq!(HORIZON, data[0].len());
    // The shift matters: task i's own value is far from task j's.
    assert!((v_i - v_j).abs() > 6.0 * se_j);
    let se = (se_ok * se_ok + se_j * se_j).sqrt();
    assert!((m_ok - v_j).abs() < 3.0 * se, "p_j/p_i must be unbiased");
    let se = (se_rev * se_rev + se_j * se_j).sqrt();
    assert!((m_rev - v_j).abs() > 3.0 * se, "p_i/p_j must be biased");
}

#[test]
fn relabeling_a_trajectory_to_its_own_task_gives_back_the_env_rewards() {
    for robot in ["point", "quadruped"] {
        let mut cfg = Config::default_for(robot).unwrap();
        cfg.reward.ctrl_cost_weight = 0.05;
        cfg.env.horizon = 60;
        cfg.reward.goal_radius_m = 0.6;
        let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap();
        let mut task = tasks.train[0].clone();
        // A goal the random walk reaches sometimes, so both reward values occur.
        task.goal = [0.05, 0.0];
        let maker = EnvMaker::new(&cfg).unwrap();
        let mut env = maker.make(task.clone()).unwrap();
        let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
        let ad = env.action_space().dim();
        let rows = rollout(env.as_mut(), 7, || {
            (0..ad).map(|_| rng.random_range(-1.2f32..1.2)).collect()
        });
        let relabeled = rewards_for_goal(&cfg.reward, &rows, task.goal);
        assert_eq!(
            relabeled, rows.reward,
            "{robot}: relabeled rewards must equal the env's"
        );
        assert!(
            rows.reward.iter().any(|&r| r > 0.5),
            "{robot}: the goal is reached at least once"
        );
        if robot == "point" {
            assert!(
                rows.reward.iter().any(|&r| r < 0.5),
                "{robot}: and missed at least once"
            );
        }
    }
}

/// DRaE's backup with the exact ratio in place of ρ̂d (`Reward::OfNextState`: ρd weights the
/// sparse goal reward of the next state too) is unbiased for task j's value; the
/// specification's form, which leaves the reward unweighted, is not.
#[test]
fn next_state_backup_with_the_exact_ratio_is_unbiased_for_sparse_rewards() {
    use drat::config::RewardKind;
    use drat::transfer::estimators::{dr_estimate, Reward};
    let mut cfg = noisy_point();
    cfg.reward.kind = RewardKind::Sparse;
    cfg.reward.goal_radius_m = 0.12;
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap();
    let (mut task_i, mut task_j) = (tasks.train[0].clone(), tasks.train[1].clone());
    task_i.dynamics.mass_scale = vec![1.0];
    task_i.dynamics.friction_coef = 1.0;
    task_j.dynamics.mass_scale = vec![0.85];
    task_j.dynamics.friction_coef = 0.8;
    // The goal: around where task i's episodes end, so both 0 and 1 rewards are common.
    let probe = episodes(&cfg, &task_i, 500, 9);
    let mut goal = [0.0f32; 2];
    for ep in &probe {
        let k = 2 * (ep.len() - 1);
        goal[0] += ep.achieved[k] / probe.len() as f32;
        goal[1] += ep.achieved[k + 1] / probe.len() as f32;
    }
    task_i.goal = goal;
    task_j.goal = goal;
    let pc = &cfg.env.point;
    let truth: Vec<f64> = episodes(&cfg, &task_j, 20_000, 1)
        .iter()
        .map(|ep| discounted(&ep.reward))
        .collect();
    let (v_j, se_j) = mean_se(&truth);
    let data = episodes(&cfg, &task_i, 20_000, 5);
    let rewarded = data
        .iter()
        .flat_map(|e| &e.reward)
        .filter(|&&r| r > 0.5)
        .count();
    let share = rewarded as f64 / (data.len() * HORIZON) as f64;
    assert!(
        share > 0.05 && share < 0.6,
        "sparse rewards, both values: {share}"
    );
    let estimate = |form: Reward| -> Vec<f64> {
        data.iter()
            .map(|ep| {
                let n = ep.len();
                let rho_d = exact_ratios(pc, ep, &task_i, &task_j);
                // Critics consistent with the (shared) policy: V̂ = E_π Q̂ (constants here).
                let c = vec![0.3f32; n];
                let ones = vec![1.0f32; n];
                let v = dr_estimate(form, &ep.reward, &ones, &rho_d, &c, &c, GAMMA, 0.0).unwrap();
                v[0] as f64
            })
            .collect()
    };
    let (m_next, se_next) = mean_se(&estimate(Reward::OfNextState));
    let (m_step, se_step) = mean_se(&estimate(Reward::OfStep));
    eprintln!(
        "sparse V_j = {v_j:.4} ± {se_j:.4}; next-state backup {m_next:.4} ± {se_next:.4}; step backup {m_step:.4} ± {se_step:.4}"
    );
    let se = (se_next * se_next + se_j * se_j).sqrt();
    assert!(
        (m_next - v_j).abs() < 2.0 * se,
        "the next-state backup must be unbiased"
    );
    let se = (se_step * se_step + se_j * se_j).sqrt();
    assert!(
        (m_step - v_j).abs() > 3.0 * se,
        "the step backup is biased here"
    );
}
