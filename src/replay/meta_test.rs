//! A meta-test replay: the exact protocol and random stream of
//! [`Trainer::evaluate_tasks`], on envs that record every episode.

use super::data::{Replay, ReplayEpisode, TaskReplay};
use crate::env::{EnvMaker, Task};
use crate::error::Result;
use crate::train::rollout::EpisodeSummary;
use crate::train::trainer::Trainer;

/// Meta-tests `trainer`'s agent on `tasks` (the protocol and stream of
/// [`Trainer::evaluate_tasks`] with base seed `seed`) and records every episode.
pub fn meta_test(
    trainer: &mut Trainer,
    tasks: &[Task],
    seed: Option<u64>,
    poses: bool,
) -> Result<(Replay, EpisodeSummary)> {
    let (summary, evals, episodes) = trainer.evaluate_recorded(tasks, seed, poses)?;
    let cfg = &trainer.cfg;
    let probe = EnvMaker::new(cfg)?.make(tasks[0].clone())?;
    let title = format!(
        "{} · meta-test after {} iterations",
        cfg.env.robot, trainer.state.iteration
    );
    let mut replay = Replay::empty(cfg, probe.as_ref(), title, poses);
    let explore = cfg.eval.exploration_episodes;
    for (task, eval) in tasks.iter().zip(evals) {
        let eps = episodes
            .iter()
            .filter(|e| e.task == task.id)
            .enumerate()
            .map(|(k, e)| ReplayEpisode {
                label: match k < explore {
                    true => format!("exploration {}/{explore}", k + 1),
                    false => format!("scored {}", k + 1 - explore),
                },
                scored: k >= explore,
                record: e.clone(),
            })
            .collect();
        replay.tasks.push(TaskReplay {
            task: task.clone(),
            eval: Some(eval),
            episodes: eps,
        });
    }
    Ok((replay, summary))
}
