//! HTR, hindsight task relabeling (Packer et al., 2021): an episode of a sparse-reward task
//! is relabeled to a goal it actually reached (an achieved position of one of its own steps),
//! so it becomes a success, and it is trained on as a pseudo-task whose context is the
//! relabeled episode itself. The dynamics are the episode's own, so no correction is needed.

use rand::Rng;

use super::relabel::{relabeled, select};
use crate::config::RewardConfig;
use crate::data::buffer::Batch;

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
