//! HTR, hindsight task relabeling (Packer et al., 2021): an episode of a sparse-reward task
//! is relabeled to a goal it actually reached (an achieved position of one of its own steps),
//! so it becomes a success, and it is trained on as a pseudo-task whose context is the
//! relabeled episode itself. The dynamics are the episode's own, so no correction is needed.

use rand::Rng;
use rand_pcg::Pcg64;

use super::pearl::{own_context, own_rows};
use super::relabel::{relabeled, select};
use super::strategy::{Strategy, TrainView};
use crate::config::RewardConfig;
use crate::data::buffer::Batch;
use crate::data::meta_batch::MetaBatch;
use crate::data::moved::MovedBuffer;
use crate::error::Result;

/// A hindsight goal: the achieved position at a uniformly drawn step of `episode`.
pub fn hindsight_goal(episode: &Batch, rng: &mut impl Rng) -> [f32; 2] {
    let t = rng.random_range(0..episode.len());
    [episode.achieved[2 * t], episode.achieved[2 * t + 1]]
}

/// A pseudo-task from one episode: `per_task` RL rows and `context_len` context rows drawn
/// with replacement from the episode relabeled to a hindsight goal. Returns (RL rows, context
/// rows, goal).
pub fn pseudo_task(
    cfg: &RewardConfig,
    episode: &Batch,
    per_task: usize,
    context_len: usize,
    rng: &mut impl Rng,
) -> (Batch, Batch, [f32; 2]) {
    let goal = hindsight_goal(episode, rng);
    let ep = relabeled(cfg, episode, goal);
    let n = ep.len();
    let rl: Vec<usize> = (0..per_task).map(|_| rng.random_range(0..n)).collect();
    let ctx: Vec<usize> = (0..context_len).map(|_| rng.random_range(0..n)).collect();
    (select(&ep, &rl), select(&ep, &ctx), goal)
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
        out: &mut MetaBatch,
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
            pseudo_task(&view.cfg.reward, &ep, tr.batch_size, tr.context_size, rng);
        out.push_own(&rows);
        out.context.extend(ctx.context_rows());
        Ok(())
    }
}
