//! The one trait the meta-trainer calls for transfer, and one implementation per strategy:
//! [`NoTransfer`] (PEARL), [`Htr`], and the relabeling movers — HFR, oracle DR, DRaE and
//! DRaE-slide — which share [`Mover`] and differ only in their [`Valuation`].
//!
//! The trainer calls a strategy at two fixed points: after collection
//! ([`Strategy::after_collection`]: choose target tasks and move trajectories) and when it
//! builds a meta-batch ([`Strategy::task_batch`]: the RL rows, their fixed targets and the
//! context of one task's slot). It never asks which strategy it holds.

use rand::seq::index::sample as sample_indices;
use rand::Rng;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use super::drat::{DrValue, DraeValue, Scorer, Tally, TransferStats, Valuation};
use super::estimators::DraeVariant;
use super::hfr::HfrValue;
use super::{htr, relabel, TransferStrategy};
use crate::agent::Agent;
use crate::config::{Config, CriticReward, RewardConfig, RewardKind, Utility};
use crate::data::buffer::{recent_context, Batch, TaskBuffer};
use crate::data::trajectory::Trajectory;
use crate::env::Task;
use crate::error::Result;

/// What the trainer lends a strategy: the learner, the config, the train tasks and their replay.
pub struct TrainView<'a> {
    /// Iterations done before this one.
    pub iteration: usize,
    /// The learner.
    pub agent: &'a Agent,
    /// The run's config.
    pub cfg: &'a Config,
    /// Train tasks.
    pub tasks: &'a [Task],
    /// RL replay per train task.
    pub rl: &'a [TaskBuffer],
    /// Context buffer per train task.
    pub context: &'a [TaskBuffer],
}

/// The rows of a meta-batch, task-major, as strategies append them.
#[derive(Clone, Debug, Default)]
pub struct BatchRows {
    /// RL transitions.
    pub rl: Batch,
    /// Per RL row: a fixed critic target (moved samples valued by DR/DRaE), or `None` where
    /// the critic bootstraps as usual.
    pub target: Vec<Option<f32>>,
    /// Context features per task slot.
    pub context: Vec<f32>,
}

impl BatchRows {
    /// Appends RL rows that bootstrap as usual.
    pub fn push_own(&mut self, rows: &Batch) {
        self.rl.extend(rows);
        self.target.extend(std::iter::repeat_n(None, rows.len()));
    }
}

/// Trajectories moved into one train task from others, kept whole (a FIFO ring of
/// `transfer.capacity` rows; only complete trajectories are sampled or refreshed), each row
/// with its source task, its behaviour log-probability and its critic target (`None`: the
/// critic bootstraps as usual, HFR; DR/DRaE rows get one when they move and on every refresh).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MovedBuffer {
    /// The rows, rewards relabeled to this task (columns travel as tensors in checkpoints).
    pub rows: TaskBuffer,
    /// Source task per slot.
    #[serde(skip)]
    source: Vec<f32>,
    /// `log π_b(a|s)` per slot.
    #[serde(skip)]
    logp_b: Vec<f32>,
    /// Critic target per slot.
    #[serde(skip)]
    target: Vec<Option<f32>>,
}

impl MovedBuffer {
    /// An empty buffer for `capacity` transitions.
    pub fn new(obs_dim: usize, act_dim: usize, capacity: usize) -> Self {
        MovedBuffer {
            rows: TaskBuffer::new(obs_dim, act_dim, capacity),
            source: Vec::new(),
            logp_b: Vec::new(),
            target: Vec::new(),
        }
    }

    /// Adds a moved trajectory (rewards already relabeled); returns its slots.
    pub fn push(&mut self, traj: &Trajectory) -> Vec<usize> {
        let n = traj.rows.len();
        let mut slots = Vec::with_capacity(n);
        for t in 0..n {
            let slot = self.rows.push(&traj.rows.row(t), t + 1 == n);
            if self.target.len() <= slot {
                self.source.resize(slot + 1, 0.0);
                self.logp_b.resize(slot + 1, 0.0);
                self.target.resize(slot + 1, None);
            }
            self.source[slot] = traj.task as f32;
            self.logp_b[slot] = traj.behaviour_logp[t];
            self.target[slot] = None;
            slots.push(slot);
        }
        slots
    }

    /// The complete trajectories stored, oldest first, with their slots.
    pub fn trajectories(&self) -> Vec<(Vec<usize>, Trajectory)> {
        self.rows
            .trajectories()
            .into_iter()
            .map(|slots| {
                let traj = self.trajectory(&slots);
                (slots, traj)
            })
            .collect()
    }

    fn trajectory(&self, slots: &[usize]) -> Trajectory {
        let mut rows = Batch::default();
        self.rows.gather_into(slots, &mut rows);
        Trajectory {
            task: self.source[slots[0]] as usize,
            rows,
            behaviour_z: Vec::new(),
            behaviour_logp: slots.iter().map(|&s| self.logp_b[s]).collect(),
        }
    }

    /// Sets the targets of `slots` (one trajectory).
    pub fn set_targets(&mut self, slots: &[usize], targets: Option<&[f32]>) {
        for (k, &s) in slots.iter().enumerate() {
            self.target[s] = targets.map(|y| y[k]);
        }
    }

    /// The target of a slot.
    pub fn target(&self, slot: usize) -> Option<f32> {
        self.target[slot]
    }

    /// Whether a complete trajectory is stored.
    pub fn has_trajectories(&self) -> bool {
        self.rows.n_episodes() > 0
    }

    /// `n` rows of complete trajectories drawn uniformly (a trajectory with probability in
    /// proportion to its length), appended to `out` with their targets. Returns the rows
    /// drawn (for the context).
    pub fn sample_into(&self, n: usize, out: &mut BatchRows, rng: &mut impl Rng) -> Batch {
        let trajs = self.rows.trajectories();
        let total: usize = trajs.iter().map(Vec::len).sum();
        let slots: Vec<usize> = (0..n)
            .map(|_| {
                let mut k = rng.random_range(0..total);
                for t in &trajs {
                    if k < t.len() {
                        return t[k];
                    }
                    k -= t.len();
                }
                unreachable!("k < total, the sum of the lengths")
            })
            .collect();
        let mut rows = Batch::default();
        self.rows.gather_into(&slots, &mut rows);
        out.rl.extend(&rows);
        out.target.extend(slots.iter().map(|&s| self.target[s]));
        rows
    }

    /// The per-slot columns besides the rows, for checkpoints (targets as value and a 0/1
    /// mask).
    pub fn extra_columns(&self) -> Vec<(&'static str, Vec<f32>)> {
        vec![
            ("source", self.source.clone()),
            ("logp_b", self.logp_b.clone()),
            (
                "target",
                self.target.iter().map(|y| y.unwrap_or(0.0)).collect(),
            ),
            (
                "target_set",
                self.target
                    .iter()
                    .map(|y| f32::from(u8::from(y.is_some())))
                    .collect(),
            ),
        ]
    }

    /// Restores [`MovedBuffer::extra_columns`]; checks their lengths.
    pub fn set_extra_columns(
        &mut self,
        mut get: impl FnMut(&str) -> Option<Vec<f32>>,
    ) -> std::result::Result<(), String> {
        let n = self.rows.len();
        let mut take = |name: &str| -> std::result::Result<Vec<f32>, String> {
            let v = get(name).unwrap_or_default();
            if v.len() != n {
                return Err(format!(
                    "column `{name}` has {} values, expected {n}",
                    v.len()
                ));
            }
            Ok(v)
        };
        self.source = take("source")?;
        self.logp_b = take("logp_b")?;
        let (y, set) = (take("target")?, take("target_set")?);
        self.target = y
            .iter()
            .zip(&set)
            .map(|(&y, &s)| (s > 0.5).then_some(y))
            .collect();
        Ok(())
    }
}

/// A transfer strategy, as the trainer sees it.
pub trait Strategy {
    /// The name used in configs, run names and reports.
    fn name(&self) -> &'static str;

    /// Whether the trainer should keep this iteration's complete episodes for
    /// [`Strategy::after_collection`].
    fn keeps_episodes(&self) -> bool {
        false
    }

    /// After collection: choose target tasks for `episodes` and move them into `moved`.
    /// `None` when the strategy moves nothing.
    fn after_collection(
        &self,
        _view: &TrainView<'_>,
        _episodes: Vec<Trajectory>,
        _moved: &mut [MovedBuffer],
        _rng: &mut Pcg64,
    ) -> Result<Option<TransferStats>> {
        Ok(None)
    }

    /// Appends train task `k`'s slot of a meta-batch: `train.batch_size` RL rows with their
    /// targets and `train.context_size` context rows.
    fn task_batch(
        &self,
        view: &TrainView<'_>,
        k: usize,
        _moved: &[MovedBuffer],
        out: &mut BatchRows,
        rng: &mut Pcg64,
    ) -> Result<()> {
        own_rows(view, k, view.cfg.train.batch_size, out, rng)?;
        own_context(view, k, out, rng)
    }
}

/// The strategy a config names.
pub fn build(kind: TransferStrategy) -> Box<dyn Strategy> {
    match kind {
        TransferStrategy::None => Box::new(NoTransfer),
        TransferStrategy::Htr => Box::new(Htr),
        TransferStrategy::Hfr => Box::new(Mover::new("hfr", HfrValue)),
        TransferStrategy::Dr => Box::new(Mover::new("dr", DrValue)),
        TransferStrategy::Drae => Box::new(Mover::new("drae", DraeValue(DraeVariant::Derived))),
        TransferStrategy::DraeSlide => {
            Box::new(Mover::new("drae-slide", DraeValue(DraeVariant::Slide)))
        }
    }
}

/// `n` of task `k`'s own transitions, drawn uniformly; with `train.critic_reward = "dense"`
/// (PEARL's sparse-point protocol) the critic sees −distance to k's goal instead.
pub fn own_rows(
    view: &TrainView<'_>,
    k: usize,
    n: usize,
    out: &mut BatchRows,
    rng: &mut Pcg64,
) -> Result<()> {
    let buf = &view.rl[k];
    let slots = buf.sample_slots(n, rng);
    let mut own = Batch::default();
    buf.gather_into(&slots, &mut own);
    if view.cfg.train.critic_reward == CriticReward::Dense {
        let dense = RewardConfig {
            kind: RewardKind::Dense,
            ..view.cfg.reward.clone()
        };
        own.reward = relabel::rewards_for_goal(&dense, &own, view.tasks[k].goal);
    }
    out.push_own(&own);
    Ok(())
}

/// Task `k`'s context: `train.context_size` of its recent transitions.
pub fn own_context(
    view: &TrainView<'_>,
    k: usize,
    out: &mut BatchRows,
    rng: &mut Pcg64,
) -> Result<()> {
    let n = view.cfg.train.context_size;
    out.context
        .extend(recent_context(&view.context[k], &view.rl[k], n, rng)?);
    Ok(())
}

/// Plain PEARL: every task learns from its own data.
pub struct NoTransfer;

impl Strategy for NoTransfer {
    fn name(&self) -> &'static str {
        "none"
    }
}

/// HTR: with probability `transfer.relabel_prob` a task slot becomes a hindsight pseudo-task
/// built from one of the task's episodes (rows and context from it, relabeled to a goal it
/// reached).
pub struct Htr;

impl Strategy for Htr {
    fn name(&self) -> &'static str {
        "htr"
    }

    fn task_batch(
        &self,
        view: &TrainView<'_>,
        k: usize,
        _moved: &[MovedBuffer],
        out: &mut BatchRows,
        rng: &mut Pcg64,
    ) -> Result<()> {
        let buf = &view.rl[k];
        if buf.n_episodes() == 0 || rng.random::<f32>() >= view.cfg.transfer.relabel_prob {
            own_rows(view, k, view.cfg.train.batch_size, out, rng)?;
            return own_context(view, k, out, rng);
        }
        // ALGORITHM: HTR pseudo-task from a hindsight goal of one of k's episodes.
        let e = rng.random_range(0..buf.n_episodes());
        let mut ep = Batch::default();
        buf.gather_into(&buf.episode_slots(e), &mut ep);
        let tr = &view.cfg.train;
        let (rows, ctx, _) =
            htr::pseudo_task(&view.cfg.reward, &ep, tr.batch_size, tr.context_size, rng);
        out.push_own(&rows);
        out.context.extend(ctx.context_rows());
        Ok(())
    }
}

/// HFR, DR, DRaE and DRaE-slide: a share of each iteration's episodes is offered to every
/// train task, each moves to a target task drawn from `softmax(U_j/T − log Z_j)` with `U`
/// from the strategy's [`Valuation`], and a share of every task's batch comes from what was
/// moved into it.
pub struct Mover<V> {
    name: &'static str,
    valuation: V,
}

impl<V: Valuation> Mover<V> {
    /// A mover named `name` valuing trajectories with `valuation`.
    pub fn new(name: &'static str, valuation: V) -> Self {
        Mover { name, valuation }
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

/// The partition's inputs: `m` contexts of each task, each with a state of its own data (an
/// episode's start for `transfer.utility = "start"`, any stored state for `"trajectory"`, so
/// log Z_j is on the same scale as the utilities). Returns (observations, their z),
/// `n_train·m` rows each.
fn partition_samples(view: &TrainView<'_>, rng: &mut Pcg64) -> Result<(Vec<f32>, Vec<f32>)> {
    let m = view.cfg.transfer.partition_contexts;
    let cs = view.cfg.train.context_size;
    let od = view.agent.obs_dim();
    let (mut ctx, mut starts) = (Vec::new(), Vec::new());
    for k in 0..view.tasks.len() {
        for _ in 0..m {
            ctx.extend(recent_context(&view.context[k], &view.rl[k], cs, rng)?);
            let b = &view.rl[k];
            let start_only = view.cfg.transfer.utility == Utility::Start;
            let slots = if start_only && b.n_episodes() > 0 {
                let e = rng.random_range(0..b.n_episodes());
                b.episode_slots(e)[..1].to_vec()
            } else {
                b.sample_slots(1, rng)
            };
            let mut row = Batch::default();
            b.gather_into(&slots, &mut row);
            starts.extend_from_slice(&row.obs[..od]);
        }
    }
    let zs = view.agent.posterior_means(&ctx, view.tasks.len() * m, cs)?;
    Ok((starts, zs))
}

impl<V: Valuation> Strategy for Mover<V> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn keeps_episodes(&self) -> bool {
        true
    }

    fn after_collection(
        &self,
        view: &TrainView<'_>,
        episodes: Vec<Trajectory>,
        moved: &mut [MovedBuffer],
        rng: &mut Pcg64,
    ) -> Result<Option<TransferStats>> {
        let start = std::time::Instant::now();
        let x = &view.cfg.transfer;
        let mut tally = Tally::default();
        let z_own = own_z(view, rng)?;
        let scorer = Scorer::new(view, &z_own);
        // ALGORITHM: offer a share of the fresh episodes; draw each one's target task.
        let n_offer = ((episodes.len() as f32) * x.fraction).round() as usize;
        let (moves, mut stats) = if n_offer > 0 {
            let pick = sample_indices(rng, episodes.len(), n_offer).into_vec();
            let offered: Vec<Trajectory> = pick.into_iter().map(|i| episodes[i].clone()).collect();
            let (states, zs) = partition_samples(view, rng)?;
            let uniforms: Vec<f32> = offered.iter().map(|_| rng.random::<f32>()).collect();
            let log_z = scorer.log_partition(&states, &zs, x.partition_contexts, rng)?;
            scorer.choose(
                &self.valuation,
                &offered,
                &log_z,
                &uniforms,
                rng,
                &mut tally,
            )?
        } else {
            let chosen = vec![0; view.tasks.len()];
            (
                Vec::new(),
                TransferStats {
                    chosen,
                    ..TransferStats::default()
                },
            )
        };
        let mut fresh: Vec<Vec<Vec<usize>>> = vec![Vec::new(); moved.len()];
        for mv in &moves {
            fresh[mv.target].push(moved[mv.target].push(&mv.traj));
        }
        // ALGORITHM: critic targets of moved data from the current networks — all of it on
        // the refresh cadence, else only what just moved.
        if self.valuation.fixes_targets() {
            let every = x.refresh_every;
            let all = every > 0 && (view.iteration + 1) % every == 0;
            for (j, buf) in moved.iter_mut().enumerate() {
                let slots: Vec<Vec<usize>> = match all {
                    true => buf.rows.trajectories(),
                    false => std::mem::take(&mut fresh[j]),
                };
                stats.refreshed +=
                    refresh(&scorer, &self.valuation, buf, j, slots, rng, &mut tally)?;
            }
        }
        tally.finish(&mut stats);
        stats.time_s = start.elapsed().as_secs_f64();
        Ok(Some(stats))
    }

    fn task_batch(
        &self,
        view: &TrainView<'_>,
        k: usize,
        moved: &[MovedBuffer],
        out: &mut BatchRows,
        rng: &mut Pcg64,
    ) -> Result<()> {
        let bs = view.cfg.train.batch_size;
        let mv = &moved[k];
        // ALGORITHM: a share of the batch comes from samples moved into k.
        let n_moved = if !mv.has_trajectories() {
            0
        } else {
            ((bs as f32) * view.cfg.transfer.batch_share).round() as usize
        };
        own_rows(view, k, bs - n_moved, out, rng)?;
        if n_moved == 0 {
            return own_context(view, k, out, rng);
        }
        mv.sample_into(n_moved, out, rng);
        if !view.cfg.transfer.relabeled_context {
            return own_context(view, k, out, rng);
        }
        // The context, too, draws the same share from the moved (relabeled) rows (HFR).
        let cs = view.cfg.train.context_size;
        let n_ctx_moved = ((cs as f32) * view.cfg.transfer.batch_share).round() as usize;
        let own = recent_context(&view.context[k], &view.rl[k], cs - n_ctx_moved, rng)?;
        out.context.extend(own);
        let mut scratch = BatchRows::default();
        out.context.extend(
            mv.sample_into(n_ctx_moved, &mut scratch, rng)
                .context_rows(),
        );
        Ok(())
    }
}

/// Recomputes the targets of the trajectories at `slots` of task `j`'s moved buffer with the
/// current networks; returns the rows refreshed.
fn refresh(
    scorer: &Scorer<'_>,
    valuation: &dyn Valuation,
    buf: &mut MovedBuffer,
    j: usize,
    slots: Vec<Vec<usize>>,
    rng: &mut Pcg64,
    tally: &mut Tally,
) -> Result<usize> {
    if slots.is_empty() {
        return Ok(0);
    }
    let trajs: Vec<Trajectory> = slots.iter().map(|s| buf.trajectory(s)).collect();
    let targets = scorer.targets(valuation, &trajs, j, rng, tally)?;
    let mut n = 0;
    for (s, y) in slots.iter().zip(&targets) {
        buf.set_targets(s, y.as_deref());
        n += s.len();
    }
    Ok(n)
}
