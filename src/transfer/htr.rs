//! HTR, hindsight task relabeling (Packer et al., 2021): an episode of a sparse-reward task
//! is relabeled to a goal it actually reached (an achieved position of one of its own steps),
//! so it becomes a success, and it is trained on as a pseudo-task whose context is the
//! relabeled episode itself. The dynamics are the episode's own, so no correction is needed.

use rand::Rng;
use rand_pcg::Pcg64;

use super::pearl::{own_context, own_rows};
use super::relabel::{relabeled, select};
use super::strategy::{Strategy, TrainView};
use crate::config::{HtrGoals, RewardConfig};
use crate::data::buffer::Batch;
use crate::data::meta_batch::MetaBatch;
use crate::data::moved::MovedBuffer;
use crate::error::Result;

/// A hindsight goal: the achieved position at a uniformly drawn step of `episode` — of its
/// steps whose distance from the origin lies in `band` when one is given (`None` when no step
/// does).
pub fn hindsight_goal(
    episode: &Batch,
    band: Option<[f32; 2]>,
    rng: &mut impl Rng,
) -> Option<[f32; 2]> {
    let at = |t: usize| [episode.achieved[2 * t], episode.achieved[2 * t + 1]];
    let Some([lo, hi]) = band else {
        return Some(at(rng.random_range(0..episode.len())));
    };
    let steps: Vec<usize> = (0..episode.len())
        .filter(|&t| (lo..=hi).contains(&at(t)[0].hypot(at(t)[1])))
        .collect();
    (!steps.is_empty()).then(|| at(steps[rng.random_range(0..steps.len())]))
}

/// The distances `transfer.htr_goals = "task-distance"` allows: the family's goal distances
/// widened by the goal radius; `None` (any step) otherwise.
pub fn goal_band(cfg: &crate::config::Config) -> Option<[f32; 2]> {
    let [lo, hi] = cfg.tasks.goal.distance_m;
    let r = cfg.reward.goal_radius_m;
    match cfg.transfer.htr_goals {
        HtrGoals::AnyStep => None,
        HtrGoals::TaskDistance => Some([(lo - r).max(0.0), hi + r]),
    }
}

/// A pseudo-task from one episode: `per_task` RL rows and `context_len` context rows drawn
/// with replacement from the episode relabeled to a hindsight goal (of `band`, see
/// [`hindsight_goal`]). Returns (RL rows, context rows, goal), `None` when no step qualifies.
pub fn pseudo_task(
    cfg: &RewardConfig,
    episode: &Batch,
    band: Option<[f32; 2]>,
    sizes: (usize, usize),
    rng: &mut impl Rng,
) -> Option<(Batch, Batch, [f32; 2])> {
    let (per_task, context_len) = sizes;
    let goal = hindsight_goal(episode, band, rng)?;
    let ep = relabeled(cfg, episode, goal);
    let n = ep.len();
    let rl: Vec<usize> = (0..per_task).map(|_| rng.random_range(0..n)).collect();
    let ctx: Vec<usize> = (0..context_len).map(|_| rng.random_range(0..n)).collect();
    Some((select(&ep, &rl), select(&ep, &ctx), goal))
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
        let tr = &view.cfg.train;
        let pseudo = if buf.n_episodes() > 0 && rng.random::<f32>() < view.cfg.transfer.relabel_prob
        {
            // ALGORITHM: HTR pseudo-task from a hindsight goal of one of k's episodes.
            let e = rng.random_range(0..buf.n_episodes());
            let mut ep = Batch::default();
            buf.gather_into(&buf.episode_slots(e), &mut ep);
            let sizes = (tr.batch_size, tr.context_size);
            pseudo_task(&view.cfg.reward, &ep, goal_band(view.cfg), sizes, rng)
        } else {
            None
        };
        let Some((rows, ctx, _)) = pseudo else {
            own_rows(view, k, tr.batch_size, out, rng)?;
            return own_context(view, k, out, rng);
        };
        out.push_own(&rows);
        out.context.extend(ctx.context_rows());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// An episode whose steps reach (0.1·t, 0) for t = 1..=10.
    fn line() -> Batch {
        let mut b = Batch::default();
        for t in 1..=10 {
            let x = 0.1 * t as f32;
            b.push(&crate::data::buffer::Transition {
                obs: &[x - 0.1, 0.0],
                action: &[1.0, 0.0],
                reward: 0.0,
                next_obs: &[x, 0.0],
                terminal: false,
                achieved: [x, 0.0],
                other_reward: 0.0,
            });
        }
        b
    }

    #[test]
    fn task_distance_goals_come_only_from_steps_in_the_band() {
        let ep = line();
        let mut rng = Pcg64::seed_from_u64(0);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let g = hindsight_goal(&ep, Some([0.75, 1.05]), &mut rng).unwrap();
            assert!((0.75..=1.05).contains(&g[0]) && g[1] == 0.0, "{g:?}");
            seen.insert((g[0] * 10.0).round() as i32);
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![8, 9, 10]);
        assert_eq!(hindsight_goal(&ep, Some([1.5, 2.0]), &mut rng), None);
        // Any step: the near ones too.
        let near = (0..200)
            .filter(|_| hindsight_goal(&ep, None, &mut rng).unwrap()[0] < 0.5)
            .count();
        assert!(near > 50, "{near} of 200 below 0.5 m");
    }
}
