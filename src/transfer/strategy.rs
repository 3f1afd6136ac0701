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

use super::drat::{DrValue, DraeValue, Scorer, Trajectory, TransferStats, Valuation};
use super::estimators::DraeVariant;
use super::hfr::HfrValue;
use super::{htr, relabel, TransferStrategy};
use crate::agent::Agent;
use crate::config::{Config, CriticReward, RewardConfig, RewardKind};
use crate::data::buffer::{recent_context, Batch, TaskBuffer};
use crate::env::Task;
use crate::error::Result;

/// What the trainer lends a strategy: the learner, the config, the train tasks and their replay.
pub struct TrainView<'a> {
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

/// Transitions moved into one train task from others, with their fixed targets (if any), kept
/// whole per trajectory and capped (oldest dropped first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MovedBuffer {
    /// The rows (columns travel as tensors in checkpoints, like every replay).
    pub rows: TaskBuffer,
    /// Fixed critic target per slot of `rows`.
    pub target: Vec<Option<f32>>,
}

impl MovedBuffer {
    /// An empty buffer for `capacity` transitions.
    pub fn new(obs_dim: usize, act_dim: usize, capacity: usize) -> Self {
        MovedBuffer {
            rows: TaskBuffer::new(obs_dim, act_dim, capacity),
            target: Vec::new(),
        }
    }

    /// Adds a moved trajectory.
    pub fn push(&mut self, rows: &Batch, targets: Option<&[f32]>) {
        let n = rows.len();
        for t in 0..n {
            let slot = self.rows.push(&rows.row(t), t + 1 == n);
            if self.target.len() <= slot {
                self.target.resize(slot + 1, None);
            }
            self.target[slot] = targets.map(|y| y[t]);
        }
    }

    /// `n` rows drawn uniformly, appended to `out` with their targets.
    pub fn sample_into(&self, n: usize, out: &mut BatchRows, rng: &mut impl Rng) {
        let slots = self.rows.sample_slots(n, rng);
        self.rows.gather_into(&slots, &mut out.rl);
        out.target.extend(slots.iter().map(|&s| self.target[s]));
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
fn own_z(view: &TrainView<'_>, rng: &mut Pcg64) -> Result<Vec<f32>> {
    let n = view.tasks.len();
    let cs = view.cfg.train.context_size;
    let mut ctx = Vec::new();
    for k in 0..n {
        ctx.extend(recent_context(&view.context[k], &view.rl[k], cs, rng)?);
    }
    view.agent.posterior_means(&ctx, n, cs)
}

/// HFR's partition inputs: `m` contexts of each task, each with a start state of its data.
/// Returns (start observations, their z), `n_train·m` rows each.
fn partition_samples(view: &TrainView<'_>, rng: &mut Pcg64) -> Result<(Vec<f32>, Vec<f32>)> {
    let m = view.cfg.transfer.partition_contexts;
    let cs = view.cfg.train.context_size;
    let od = view.agent.obs_dim();
    let (mut ctx, mut starts) = (Vec::new(), Vec::new());
    for k in 0..view.tasks.len() {
        for _ in 0..m {
            ctx.extend(recent_context(&view.context[k], &view.rl[k], cs, rng)?);
            let b = &view.rl[k];
            let slots = if b.n_episodes() > 0 {
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
        let n_offer = ((episodes.len() as f32) * view.cfg.transfer.fraction).round() as usize;
        if n_offer == 0 {
            return Ok(Some(TransferStats {
                chosen: vec![0; view.tasks.len()],
                ..TransferStats::default()
            }));
        }
        // ALGORITHM: offer a share of the fresh episodes; draw each one's target task.
        let pick = sample_indices(rng, episodes.len(), n_offer).into_vec();
        let offered: Vec<Trajectory> = pick.into_iter().map(|i| episodes[i].clone()).collect();
        let z_own = own_z(view, rng)?;
        let (starts, zs) = partition_samples(view, rng)?;
        let uniforms: Vec<f32> = offered.iter().map(|_| rng.random::<f32>()).collect();
        let scorer = Scorer {
            agent: view.agent,
            cfg: view.cfg,
            tasks: view.tasks,
            z_own: &z_own,
        };
        let log_z = scorer.log_partition(&starts, &zs, view.cfg.transfer.partition_contexts)?;
        let (moves, mut stats) = scorer.transfer(&self.valuation, &offered, &log_z, &uniforms)?;
        for mv in moves {
            moved[mv.target].push(&mv.rows, mv.targets.as_deref());
        }
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
        let n_moved = if mv.rows.is_empty() {
            0
        } else {
            ((bs as f32) * view.cfg.transfer.batch_share).round() as usize
        };
        own_rows(view, k, bs - n_moved, out, rng)?;
        if n_moved > 0 {
            mv.sample_into(n_moved, out, rng);
        }
        own_context(view, k, out, rng)
    }
}
