//! DRaT, doubly robust augmented transfer: each iteration, a share of the freshly collected
//! trajectories is offered to every training task; the target task is drawn like HFR's
//! (softmax of utility minus the task's log-partition), but the utility of task j is the
//! **DRaE estimate** of the relabeled trajectory's start-state value under j, which accounts
//! for the dynamics shift between the data's task i and j. The moved transitions enter j's
//! batches with their DRaE values as fixed critic targets,
//! `y_t = s·r_j(t) + γ·ρ̂d(t)·Ṽ_ij(t+1)` (`Ṽ_ij(T)` = the bootstrap value after a time-limit
//! truncation, 0 after termination), instead of bootstrapping as if they came from j.
//!
//! Inputs of the estimators, for task j (z_j = the mean posterior of j's own context, so the
//! value functions describe j's goal *and* dynamics):
//! - `r_j(t)` relabeled from the stored achieved positions, times the agent's reward scale;
//! - `ρπ(t) = π(a_t|s_t,z_j)/π(a_t|s_t,z_i)` from the tanh-Gaussian log-probs, clipped to
//!   `transfer.rho_pi_clip`;
//! - `V(s_t,z_j) = min(Q1,Q2)(s_t, μ(s_t,z_j), z_j)` at the policy's deterministic action μ,
//!   `Q(s_t,a_t,z_j) = min(Q1,Q2)(s_t,a_t,z_j)`; the interval for the unknown true `V_j(s_{t+1})`
//!   is `[min, max]` of the twin critics at `(s_{t+1}, μ(s_{t+1},z_j))`.
//!
//! Values ignore the entropy bonus (they score and bootstrap with the critics' Q directly).
//!
//! The same machinery runs HFR (utility from z inferred from τ relabeled to j, ordinary
//! bootstrapping; its [`Valuation`] lives in `hfr.rs`) and the oracle DR (exact ρd from the
//! point robot's transition densities): each is one [`Valuation`].

use serde::{Deserialize, Serialize};

use super::estimators::{dr_estimate, drae_estimate, DraeParams, DraeVariant};
use super::hfr::{log_mean_exp, sample_index, target_distribution};
use super::relabel::rewards_for_goal;
use crate::agent::Agent;
use crate::config::Config;
use crate::data::buffer::Batch;
use crate::env::point::transition_log_density;
use crate::env::Task;
use crate::error::Result;

/// A complete episode of train task `task`, rows in time order.
#[derive(Clone, Debug)]
pub struct Trajectory {
    /// Train task that generated it.
    pub task: usize,
    /// Its transitions.
    pub rows: Batch,
}

/// What one iteration's transfer did (logged per iteration).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransferStats {
    /// Trajectories offered to the other tasks.
    pub offered: usize,
    /// Trajectories moved to a task other than their own.
    pub moved: usize,
    /// Transitions moved.
    pub samples: usize,
    /// Mean |ρd| used on moved transitions (ρ̂d for DRaE, the exact ratio for DR, 1 for HFR).
    pub rho_d_mean: f32,
    /// Share of ρπ values that hit the clip range (all scored steps).
    pub rho_pi_clip_rate: f32,
    /// Share of DRaE steps where the near-zero guard set ρ̂d = 1.
    pub guard_rate: f32,
    /// How often each train task was chosen as target.
    pub chosen: Vec<u32>,
    /// Wall time of scoring and moving (s).
    pub time_s: f64,
}

/// A trajectory relabeled to its chosen task, ready for that task's transfer buffer.
#[derive(Clone, Debug)]
pub struct Move {
    /// The chosen train task.
    pub target: usize,
    /// Rows with relabeled rewards (unscaled).
    pub rows: Batch,
    /// DR/DRaE: one fixed critic target per row; `None`: the critic bootstraps as usual (HFR).
    pub targets: Option<Vec<f32>>,
}

/// Everything scoring needs, borrowed from the trainer.
pub struct Scorer<'a> {
    /// The learner (policy, critics, encoder).
    pub agent: &'a Agent,
    /// The run's config.
    pub cfg: &'a Config,
    /// Train tasks.
    pub tasks: &'a [Task],
    /// Each train task's own z (posterior mean of its context), `n_train × latent`.
    pub z_own: &'a [f32],
}

/// How a relabeling strategy values a trajectory for every train task (HFR, DR, DRaE,
/// DRaE-slide: one implementation each).
pub trait Valuation {
    /// Utility of `traj` for each task and, for DR/DRaE, its per-step values there.
    fn estimates(&self, s: &Scorer<'_>, traj: &Trajectory, tally: &mut Tally) -> Result<Estimates>;
    /// Whether the targets weight the (next-state) reward by ρd too (the oracle DR does).
    fn weights_reward(&self) -> bool {
        false
    }
}

/// Running sums behind [`TransferStats`].
#[derive(Default)]
pub struct Tally {
    rho_d_abs: f64,
    rho_d_n: usize,
    pi_clipped: usize,
    pi_n: usize,
    guarded: usize,
    drae_n: usize,
}

/// Per-target-task estimates of one trajectory.
pub struct Estimates {
    /// Utility per task.
    pub utility: Vec<f32>,
    /// Per task: (Ṽ_ij(t) for t = 0..T, ρd used per step, bootstrap) — DR/DRaE only.
    pub values: Vec<(Vec<f32>, Vec<f32>, f32)>,
}

/// Repeats the rows `x` `times` times.
pub fn repeat_rows(x: &[f32], times: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len() * times);
    for _ in 0..times {
        out.extend_from_slice(x);
    }
    out
}

fn min_max(a: &[f32], b: &[f32]) -> (Vec<f32>, Vec<f32>) {
    a.iter().zip(b).map(|(&x, &y)| (x.min(y), x.max(y))).unzip()
}

impl Scorer<'_> {
    fn latent(&self) -> usize {
        self.agent.latent_dim()
    }

    /// Rewards of `rows` relabeled to every task, times the agent's reward scale.
    pub fn scaled_rewards(&self, rows: &Batch) -> Vec<Vec<f32>> {
        let scale = self.cfg.agent.reward_scale as f32;
        self.tasks
            .iter()
            .map(|task| {
                rewards_for_goal(&self.cfg.reward, rows, task.goal)
                    .into_iter()
                    .map(|r| r * scale)
                    .collect()
            })
            .collect()
    }

    /// `V(s, z) = min(Q1, Q2)(s, μ(s, z), z)` for rows `obs` with per-row `z`.
    pub fn value(&self, obs: &[f32], z: &[f32]) -> Result<Vec<f32>> {
        let mu = self.agent.mean_action(obs, z)?;
        let (a, b) = self.agent.q_pair(obs, &mu, z)?;
        Ok(min_max(&a, &b).0)
    }

    /// `log Z_j = log mean_m exp(V(s0_m, z_m) / temperature)` for each task, from `m`
    /// contexts' z (`n_train·m × latent`) and start observations (`n_train·m × obs`).
    pub fn log_partition(&self, starts: &[f32], zs: &[f32], m: usize) -> Result<Vec<f32>> {
        let temp = self.temperature();
        let u = self.value(starts, zs)?;
        Ok(u.chunks(m)
            .map(|c| {
                let scaled: Vec<f32> = c.iter().map(|x| x / temp).collect();
                log_mean_exp(&scaled)
            })
            .collect())
    }

    /// Softmax temperature in Q units: `transfer.temperature × agent.reward_scale`.
    fn temperature(&self) -> f32 {
        self.cfg.transfer.temperature * self.cfg.agent.reward_scale as f32
    }

    /// What DR and DRaE need of `traj` for every task j (z_j = j's own z), computed in one
    /// batch of `n_tasks × T` rows.
    fn dr_inputs(&self, traj: &Trajectory, tally: &mut Tally) -> Result<DrInputs> {
        let (od, l) = (self.agent.obs_dim(), self.latent());
        let rows = &traj.rows;
        let t_len = rows.len();
        let n_tasks = self.tasks.len();
        let z_rows = |per_task: usize| {
            let mut z = Vec::with_capacity(n_tasks * per_task * l);
            for j in 0..n_tasks {
                for _ in 0..per_task {
                    z.extend_from_slice(&self.z_own[j * l..(j + 1) * l]);
                }
            }
            z
        };
        let z = z_rows(t_len);
        let obs = repeat_rows(&rows.obs, n_tasks);
        let act = repeat_rows(&rows.action, n_tasks);
        let z_i = &self.z_own[traj.task * l..(traj.task + 1) * l];
        let logp_i = self.agent.log_prob(&rows.obs, &rows.action, z_i)?;
        let logp_j = self.agent.log_prob(&obs, &act, &z)?;
        let (q1, q2) = self.agent.q_pair(&obs, &act, &z)?;
        let q = min_max(&q1, &q2).0;
        // One critic pass over the states s_0, s_1 … s_T of the episode (s_{t+1} = next_obs
        // of step t) gives both V̂(s_t) and the interval at s_{t+1}.
        let mut states = Vec::with_capacity((t_len + 1) * od);
        states.extend_from_slice(&rows.obs[..od]);
        states.extend_from_slice(&rows.next_obs);
        let states = repeat_rows(&states, n_tasks);
        let zs = z_rows(t_len + 1);
        let mu = self.agent.mean_action(&states, &zs)?;
        let (s1, s2) = self.agent.q_pair(&states, &mu, &zs)?;
        let (v_lo, v_hi) = min_max(&s1, &s2);
        let (mut v, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..n_tasks {
            let b = j * (t_len + 1);
            v.extend_from_slice(&v_lo[b..b + t_len]);
            lo.extend_from_slice(&v_lo[b + 1..b + t_len + 1]);
            hi.extend_from_slice(&v_hi[b + 1..b + t_len + 1]);
        }
        let clip = self.cfg.transfer.rho_pi_clip;
        let rho_pi = (0..n_tasks * t_len)
            .map(|k| {
                let r = (logp_j[k] - logp_i[k % t_len]).clamp(-30.0, 30.0).exp();
                let c = r.clamp(clip[0], clip[1]);
                tally.pi_n += 1;
                if c != r {
                    tally.pi_clipped += 1;
                }
                c
            })
            .collect();
        let terminal = rows.terminal[t_len - 1] > 0.5;
        Ok(DrInputs {
            t_len,
            rewards: self.scaled_rewards(rows),
            rho_pi,
            v,
            q,
            lo,
            hi,
            terminal,
        })
    }

    /// Exact `ρd(t) = p_j(s_{t+1}|s_t,a_t) / p_i(s_{t+1}|s_t,a_t)` of the noisy point robot.
    fn exact_rho_d(&self, rows: &Batch, i: usize, j: usize) -> Vec<f32> {
        let (od, ad) = (self.agent.obs_dim(), self.agent.act_dim());
        let pc = &self.cfg.env.point;
        (0..rows.len())
            .map(|t| {
                let s = &rows.obs[t * od..(t + 1) * od];
                let a = &rows.action[t * ad..(t + 1) * ad];
                let s2 = &rows.next_obs[t * od..(t + 1) * od];
                let lj = transition_log_density(pc, &self.tasks[j].dynamics, s, a, s2);
                let li = transition_log_density(pc, &self.tasks[i].dynamics, s, a, s2);
                ((lj - li).clamp(-30.0, 30.0).exp() as f32).min(self.cfg.transfer.rho_d_max)
            })
            .collect()
    }

    /// Scores `trajs` for every task, draws each one's target task with `uniforms` (one
    /// number in [0, 1) per trajectory, from the trainer's RNG) and returns the moves to
    /// tasks other than the trajectory's own, with the iteration's statistics.
    pub fn transfer(
        &self,
        valuation: &dyn Valuation,
        trajs: &[Trajectory],
        log_z: &[f32],
        uniforms: &[f32],
    ) -> Result<(Vec<Move>, TransferStats)> {
        let start = std::time::Instant::now();
        let mut tally = Tally::default();
        let mut stats = TransferStats {
            chosen: vec![0; self.tasks.len()],
            ..TransferStats::default()
        };
        let mut moves = Vec::new();
        let temp = self.temperature();
        let gamma = self.cfg.agent.gamma as f32;
        let scale = self.cfg.agent.reward_scale as f32;
        for (traj, &u) in trajs.iter().zip(uniforms) {
            if traj.rows.is_empty() {
                continue;
            }
            stats.offered += 1;
            let est = valuation.estimates(self, traj, &mut tally)?;
            let probs = target_distribution(&est.utility, log_z, temp);
            let j = sample_index(&probs, u);
            stats.chosen[j] += 1;
            if j == traj.task {
                continue;
            }
            let mut rows = traj.rows.clone();
            rows.reward = rewards_for_goal(&self.cfg.reward, &traj.rows, self.tasks[j].goal);
            let t_len = rows.len();
            let targets = match est.values.get(j) {
                // DR / DRaE: y_t = s·r_j(t) + γ·ρd(t)·Ṽ_ij(t+1), Ṽ_ij(T) = bootstrap.
                Some((vals, rho_d, bootstrap)) => Some(
                    (0..t_len)
                        .map(|t| {
                            let next = if t + 1 < t_len {
                                vals[t + 1]
                            } else {
                                *bootstrap
                            };
                            tally.rho_d_abs += rho_d[t].abs() as f64;
                            tally.rho_d_n += 1;
                            // The oracle DR weights the (next-state) reward by ρd as well.
                            let r = if valuation.weights_reward() {
                                scale * rows.reward[t] * rho_d[t]
                            } else {
                                scale * rows.reward[t]
                            };
                            if rows.terminal[t] > 0.5 {
                                r
                            } else {
                                r + gamma * rho_d[t] * next
                            }
                        })
                        .collect(),
                ),
                None => {
                    tally.rho_d_abs += t_len as f64;
                    tally.rho_d_n += t_len;
                    None
                }
            };
            stats.moved += 1;
            stats.samples += t_len;
            moves.push(Move {
                target: j,
                rows,
                targets,
            });
        }
        let ratio = |a: f64, b: usize| if b == 0 { 0.0 } else { (a / b as f64) as f32 };
        stats.rho_d_mean = ratio(tally.rho_d_abs, tally.rho_d_n);
        stats.rho_pi_clip_rate = ratio(tally.pi_clipped as f64, tally.pi_n);
        stats.guard_rate = ratio(tally.guarded as f64, tally.drae_n);
        stats.time_s = start.elapsed().as_secs_f64();
        Ok((moves, stats))
    }
}

/// DR/DRaE inputs of one trajectory for every task j, task-major (`j·T + t`).
struct DrInputs {
    t_len: usize,
    /// Scaled relabeled rewards per task.
    rewards: Vec<Vec<f32>>,
    rho_pi: Vec<f32>,
    /// V̂(s_t, z_j).
    v: Vec<f32>,
    /// Q̂(s_t, a_t, z_j).
    q: Vec<f32>,
    /// Twin-critic interval of V_j(s_{t+1}).
    lo: Vec<f32>,
    hi: Vec<f32>,
    terminal: bool,
}

impl DrInputs {
    /// Task j's rows and its bootstrap value after the last step.
    fn task(&self, j: usize) -> (std::ops::Range<usize>, f32) {
        let sl = j * self.t_len..(j + 1) * self.t_len;
        let bootstrap = if self.terminal {
            0.0
        } else {
            self.lo[sl.end - 1]
        };
        (sl, bootstrap)
    }
}

/// The oracle DR: exact ρd from the noisy point robot's transition densities.
pub struct DrValue;

impl Valuation for DrValue {
    fn estimates(&self, s: &Scorer<'_>, traj: &Trajectory, tally: &mut Tally) -> Result<Estimates> {
        let x = s.dr_inputs(traj, tally)?;
        let gamma = s.cfg.agent.gamma as f32;
        let (mut utility, mut values) = (Vec::new(), Vec::new());
        for j in 0..s.tasks.len() {
            let (sl, bootstrap) = x.task(j);
            // Our rewards are functions of the next state, so ρd(t) weights r_j(t) too:
            // V(t) = V̂ + ρπ·[ρd·(r_j + γ·V(t+1)) − Q̂] (see tests/transfer_convention.rs).
            let rho_d = s.exact_rho_d(&traj.rows, traj.task, j);
            let weighted: Vec<f32> = x.rewards[j]
                .iter()
                .zip(&rho_d)
                .map(|(r, d)| r * d)
                .collect();
            let vals = dr_estimate(
                &weighted,
                &x.rho_pi[sl.clone()],
                &rho_d,
                &x.v[sl.clone()],
                &x.q[sl],
                gamma,
                bootstrap,
            )?;
            utility.push(vals[0]);
            values.push((vals, rho_d, bootstrap));
        }
        Ok(Estimates { utility, values })
    }

    fn weights_reward(&self) -> bool {
        true
    }
}

/// DRaE: ρ̂d estimated from the twin critics' interval (`variant`: derived or the slide's).
pub struct DraeValue(pub DraeVariant);

impl Valuation for DraeValue {
    fn estimates(&self, s: &Scorer<'_>, traj: &Trajectory, tally: &mut Tally) -> Result<Estimates> {
        let x = s.dr_inputs(traj, tally)?;
        let c = &s.cfg.transfer;
        let params = DraeParams {
            gamma: s.cfg.agent.gamma as f32,
            rho_max: c.rho_d_max,
            eps: c.eps,
            rule: c.interval_rule,
            variant: self.0,
            reward_in_ratio: c.drae_reward_in_ratio,
        };
        let (mut utility, mut values) = (Vec::new(), Vec::new());
        for j in 0..s.tasks.len() {
            let (sl, bootstrap) = x.task(j);
            let out = drae_estimate(
                &x.rewards[j],
                &x.rho_pi[sl.clone()],
                &x.v[sl.clone()],
                &x.q[sl.clone()],
                &x.lo[sl.clone()],
                &x.hi[sl],
                &params,
                bootstrap,
            )?;
            tally.guarded += out.guarded;
            tally.drae_n += x.t_len;
            utility.push(out.values[0]);
            values.push((out.values, out.rho_d, bootstrap));
        }
        Ok(Estimates { utility, values })
    }
}
