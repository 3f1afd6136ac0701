//! The relabeling strategies' one implementation, [`Mover`]: HFR, oracle DR, DRaE and
//! DRaE-slide differ only in their [`Valuation`]. After collection a share of the fresh
//! episodes is offered to every train task and moved to a drawn target task; moved rows get
//! critic targets from the current networks on the refresh cadence; a share of every task's
//! batch (and, with `transfer.relabeled_context`, of its context) comes from what moved in.

use rand::seq::index::sample as sample_indices;
use rand::Rng;
use rand_pcg::Pcg64;

use super::pearl::{own_context, own_rows};
use super::scorer::{own_z, Scorer, Tally, Valuation};
use super::strategy::{Strategy, TrainView, TransferStats};
use crate::config::Utility;
use crate::data::buffer::{recent_context, Batch};
use crate::data::meta_batch::MetaBatch;
use crate::data::moved::MovedBuffer;
use crate::data::trajectory::Trajectory;
use crate::error::Result;

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
        out: &mut MetaBatch,
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
        let mut scratch = MetaBatch::default();
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
