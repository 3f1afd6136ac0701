//! The valuation machinery the relabeling strategies share (HFR, oracle DR, DRaE): a
//! [`Scorer`] over the trainer's learner and tasks computes every trajectory's per-step
//! inputs for every task (relabeled rewards, ρπ, soft values, the twins' interval), each
//! strategy's [`Valuation`] turns them into values and utilities, and the scorer draws the
//! target task and the critic targets of moved rows.
//!
//! Inputs of the estimators, for task j (z_j = the mean posterior of j's own context, so the
//! value functions describe j's goal *and* dynamics), all as the critic's own target forms
//! them (SAC's soft values, target critics, a sampled next action):
//! - `r_j(t)` relabeled from the stored achieved positions, times the agent's reward scale;
//! - `ρπ(t) = π(a_t|s_t,z_j) / π_b(a_t|s_t)`, π_b the policy and z that acted (its
//!   log-probability was stored when the action was drawn), clipped to `transfer.rho_pi_clip`;
//! - `V̂(s_t) = min(Q̄1,Q̄2)(s_t,a′,z_j) − α·log π(a′|s_t,z_j)` with `a′ ~ π(·|s_t,z_j)`,
//!   `Q̂(s_t,a_t) = min(Q̄1,Q̄2)(s_t,a_t,z_j)`; the interval for the unknown true `V_j(s_{t+1})`
//!   is the pair of the twins' soft values at `s_{t+1}`.

use rand_pcg::Pcg64;

use super::estimators::backup;
use super::ratio::RatioModel;
use super::relabel::rewards_for_goal;
use super::softmax::{log_mean_exp, sample_index, target_distribution};
use super::strategy::{TrainView, TransferStats};
use crate::agent::Agent;
use crate::config::{Config, Reward, Utility};
use crate::data::buffer::{recent_context, Batch};
use crate::data::trajectory::Trajectory;
use crate::env::point::transition_log_density;
use crate::env::Task;
use crate::error::Result;

/// A trajectory relabeled to its chosen task, ready for that task's transfer buffer.
#[derive(Clone, Debug)]
pub struct Move {
    /// The chosen train task.
    pub target: usize,
    /// The trajectory with rewards relabeled to the target (unscaled).
    pub traj: Trajectory,
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
    /// The learned dynamics ratio, when the run trains one.
    pub ratio: Option<&'a RatioModel>,
}

/// How a relabeling strategy values trajectories (HFR, DR, DRaE, DRaE-slide: one
/// implementation each).
pub trait Valuation {
    /// What the rewards depend on in this strategy's backups.
    fn reward(&self, cfg: &Config) -> Reward;

    /// Whether moved rows get fixed critic targets (DR, DRaE) rather than bootstrapping as
    /// usual (HFR).
    fn fixes_targets(&self) -> bool {
        true
    }

    /// Per-step values `Ṽ_ij(t)` and the ρd used at each step, of `traj` relabeled to `j`
    /// from its per-step inputs; `None` when the strategy keeps ordinary bootstrapping (HFR).
    fn values(
        &self,
        s: &Scorer<'_>,
        traj: &Trajectory,
        j: usize,
        x: &StepInputs,
        tally: &mut Tally,
    ) -> Result<Option<(Vec<f32>, Vec<f32>)>>;

    /// The utility of `traj` for every task: from the per-step values, at the start state or
    /// averaged over the trajectory (`transfer.utility`).
    fn utilities(
        &self,
        s: &Scorer<'_>,
        traj: &Trajectory,
        rng: &mut Pcg64,
        tally: &mut Tally,
    ) -> Result<Vec<f32>> {
        let pairs: Vec<(&Trajectory, usize)> = (0..s.tasks.len()).map(|j| (traj, j)).collect();
        let inputs = s.step_inputs(&pairs, tally, rng)?;
        let mut u = Vec::with_capacity(pairs.len());
        for ((t, j), x) in pairs.into_iter().zip(&inputs) {
            let vals = self
                .values(s, t, j, x, tally)?
                .map_or_else(|| x.v.clone(), |v| v.0);
            u.push(s.utility_of(&vals));
        }
        Ok(u)
    }
}

/// Running sums behind [`TransferStats`].
#[derive(Default)]
pub struct Tally {
    pub(super) rho_d_abs: f64,
    pub(super) rho_d_n: usize,
    pub(super) pi_clipped: usize,
    pub(super) pi_n: usize,
    pub(super) guarded: usize,
    pub(super) drae_n: usize,
}

impl Tally {
    /// Writes the rates into `stats`.
    pub fn finish(&self, stats: &mut TransferStats) {
        let ratio = |a: f64, b: usize| if b == 0 { 0.0 } else { (a / b as f64) as f32 };
        stats.rho_d_mean = ratio(self.rho_d_abs, self.rho_d_n);
        stats.rho_pi_clip_rate = ratio(self.pi_clipped as f64, self.pi_n);
        stats.guard_rate = ratio(self.guarded as f64, self.drae_n);
    }
}

/// Per-step inputs of DR/DRaE for one trajectory relabeled to task j.
#[derive(Clone, Debug)]
pub struct StepInputs {
    /// Relabeled rewards times the reward scale.
    pub r: Vec<f32>,
    /// Clipped policy ratios.
    pub rho_pi: Vec<f32>,
    /// Soft value V̂(s_t) (the lower twin).
    pub v: Vec<f32>,
    /// Q̂(s_t, a_t) (the lower target twin).
    pub q: Vec<f32>,
    /// The twins' soft values at s_{t+1}: the interval of V_j(s_{t+1}).
    pub lo: Vec<f32>,
    /// Upper end of that interval.
    pub hi: Vec<f32>,
    /// Value after the last step: 0 after termination, V̂(s_T) after a time limit.
    pub bootstrap: f32,
    /// Whether each step ended the episode by termination.
    pub terminal: Vec<bool>,
}

/// Repeats the rows `x` `times` times.
pub fn repeat_rows(x: &[f32], times: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len() * times);
    for _ in 0..times {
        out.extend_from_slice(x);
    }
    out
}

/// The critic targets of a trajectory's rows from its per-step values:
/// `y_t = backup(r(t), ρd(t), γ·next)`, next = `Ṽ(t+1)` (the bootstrap after the last step,
/// 0 after termination). The estimators' recursion uses the same [`backup`], so
/// `Ṽ(t) = V̂(t) + ρπ(t)·(y_t − Q̂(t))`.
pub fn row_targets(
    reward: Reward,
    x: &StepInputs,
    values: &[f32],
    rho_d: &[f32],
    gamma: f32,
) -> Vec<f32> {
    let n = x.r.len();
    (0..n)
        .map(|t| {
            let next = if x.terminal[t] {
                0.0
            } else if t + 1 < n {
                values[t + 1]
            } else {
                x.bootstrap
            };
            backup(reward, x.r[t], rho_d[t], gamma * next)
        })
        .collect()
}

impl<'a> Scorer<'a> {
    /// A scorer over what `view` lends, with each train task's own z.
    pub fn new(view: &TrainView<'a>, z_own: &'a [f32]) -> Self {
        Scorer {
            agent: view.agent,
            cfg: view.cfg,
            tasks: view.tasks,
            z_own,
            ratio: view.ratio,
        }
    }

    fn latent(&self) -> usize {
        self.agent.latent_dim()
    }

    /// `V(s, z)`: the lower soft value of the target twins, as the critic's target.
    pub fn value(&self, obs: &[f32], z: &[f32], rng: &mut Pcg64) -> Result<Vec<f32>> {
        Ok(self.agent.soft_values(obs, z, rng)?.0)
    }

    /// A trajectory's utility from its per-step values (`transfer.utility`).
    pub fn utility_of(&self, values: &[f32]) -> f32 {
        match self.cfg.transfer.utility {
            Utility::Start => values[0],
            Utility::Trajectory => values.iter().sum::<f32>() / values.len().max(1) as f32,
        }
    }

    /// `log Z_j = log mean_m exp(U_m / temperature)` for each task, from `m` samples per task
    /// of that task's own data: states `n_train·m × obs` with their z.
    pub fn log_partition(
        &self,
        states: &[f32],
        zs: &[f32],
        m: usize,
        rng: &mut Pcg64,
    ) -> Result<Vec<f32>> {
        let temp = self.temperature();
        let u = self.value(states, zs, rng)?;
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

    /// Per-step inputs for each (trajectory, task j) pair, in one batch through the networks.
    pub fn step_inputs(
        &self,
        pairs: &[(&Trajectory, usize)],
        tally: &mut Tally,
        rng: &mut Pcg64,
    ) -> Result<Vec<StepInputs>> {
        let (od, l) = (self.agent.obs_dim(), self.latent());
        let (mut obs, mut act, mut z, mut states, mut zs) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &(traj, j) in pairs {
            let (rows, t_len) = (&traj.rows, traj.rows.len());
            let zj = &self.z_own[j * l..(j + 1) * l];
            obs.extend_from_slice(&rows.obs);
            act.extend_from_slice(&rows.action);
            z.extend(repeat_rows(zj, t_len));
            // The states s_0, s_1 … s_T (s_{t+1} = next_obs of step t).
            states.extend_from_slice(&rows.obs[..od]);
            states.extend_from_slice(&rows.next_obs);
            zs.extend(repeat_rows(zj, t_len + 1));
        }
        let logp_j = self.agent.log_prob(&obs, &act, &z)?;
        let q = self.agent.target_q_min(&obs, &act, &z)?;
        let (v_lo, v_hi) = self.agent.soft_values(&states, &zs, rng)?;
        let clip = self.cfg.transfer.rho_pi_clip;
        let scale = self.cfg.agent.reward_scale as f32;
        let (mut a, mut b) = (0, 0);
        let mut out = Vec::with_capacity(pairs.len());
        for &(traj, j) in pairs {
            let t_len = traj.rows.len();
            let rho_pi = (0..t_len)
                .map(|t| {
                    let r = (logp_j[a + t] - traj.behaviour_logp[t])
                        .clamp(-30.0, 30.0)
                        .exp();
                    let c = r.clamp(clip[0], clip[1]);
                    tally.pi_n += 1;
                    tally.pi_clipped += usize::from(c != r);
                    c
                })
                .collect();
            let terminal: Vec<bool> = traj.rows.terminal.iter().map(|&d| d > 0.5).collect();
            let goal = self.tasks[j].goal;
            out.push(StepInputs {
                r: rewards_for_goal(&self.cfg.reward, &traj.rows, goal)
                    .into_iter()
                    .map(|r| r * scale)
                    .collect(),
                rho_pi,
                v: v_lo[b..b + t_len].to_vec(),
                q: q[a..a + t_len].to_vec(),
                lo: v_lo[b + 1..b + t_len + 1].to_vec(),
                hi: v_hi[b + 1..b + t_len + 1].to_vec(),
                bootstrap: if terminal[t_len - 1] {
                    0.0
                } else {
                    v_lo[b + t_len]
                },
                terminal,
            });
            a += t_len;
            b += t_len + 1;
        }
        Ok(out)
    }

    /// Exact `ρd(t) = p_j(s_{t+1}|s_t,a_t) / p_i(s_{t+1}|s_t,a_t)` of the noisy point robot.
    pub fn exact_rho_d(&self, rows: &Batch, i: usize, j: usize) -> Vec<f32> {
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

    /// Scores `trajs` for every task and draws each one's target task with `uniforms` (one
    /// number in [0, 1) per trajectory, from the trainer's RNG). Returns the moves to tasks
    /// other than the trajectory's own, with the iteration's statistics so far.
    pub fn choose(
        &self,
        valuation: &dyn Valuation,
        trajs: &[Trajectory],
        log_z: &[f32],
        uniforms: &[f32],
        rng: &mut Pcg64,
        tally: &mut Tally,
    ) -> Result<(Vec<Move>, TransferStats)> {
        let mut stats = TransferStats {
            chosen: vec![0; self.tasks.len()],
            ..TransferStats::default()
        };
        let mut moves = Vec::new();
        for (traj, &u) in trajs.iter().zip(uniforms) {
            if traj.rows.is_empty() {
                continue;
            }
            stats.offered += 1;
            let utility = valuation.utilities(self, traj, rng, tally)?;
            let j = sample_index(&target_distribution(&utility, log_z, self.temperature()), u);
            stats.chosen[j] += 1;
            if j == traj.task {
                continue;
            }
            let mut moved = traj.clone();
            moved.rows.reward = rewards_for_goal(&self.cfg.reward, &traj.rows, self.tasks[j].goal);
            stats.moved += 1;
            stats.samples += moved.rows.len();
            moves.push(Move {
                target: j,
                traj: moved,
            });
        }
        Ok((moves, stats))
    }

    /// Fresh critic targets of trajectories moved into task `j` (`None` for a valuation that
    /// bootstraps as usual), computed with the current networks in one batch.
    pub fn targets(
        &self,
        valuation: &dyn Valuation,
        trajs: &[Trajectory],
        j: usize,
        rng: &mut Pcg64,
        tally: &mut Tally,
    ) -> Result<Vec<Option<Vec<f32>>>> {
        let pairs: Vec<(&Trajectory, usize)> = trajs.iter().map(|t| (t, j)).collect();
        let inputs = self.step_inputs(&pairs, tally, rng)?;
        let reward = valuation.reward(self.cfg);
        let gamma = self.cfg.agent.gamma as f32;
        let mut out = Vec::with_capacity(trajs.len());
        for (traj, x) in trajs.iter().zip(&inputs) {
            out.push(match valuation.values(self, traj, j, x, tally)? {
                Some((vals, rho_d)) => {
                    tally.rho_d_abs += rho_d.iter().map(|d| d.abs() as f64).sum::<f64>();
                    tally.rho_d_n += rho_d.len();
                    Some(row_targets(reward, x, &vals, &rho_d, gamma))
                }
                None => {
                    tally.rho_d_abs += traj.rows.len() as f64;
                    tally.rho_d_n += traj.rows.len();
                    None
                }
            });
        }
        Ok(out)
    }
}

/// Each train task's own z: the posterior mean of a context from its buffers (`n × latent`).
pub fn own_z(view: &TrainView<'_>, rng: &mut Pcg64) -> Result<Vec<f32>> {
    let n = view.tasks.len();
    let cs = view.cfg.train.context_size;
    let mut ctx = Vec::new();
    for k in 0..n {
        ctx.extend(recent_context(&view.context[k], &view.rl[k], cs, rng)?);
    }
    view.agent.posterior_means(&ctx, n, cs)
}
