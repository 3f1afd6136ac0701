//! Meta-test, the whole protocol (PEARL's online adaptation on held-out tasks), configured by
//! `[eval]`: per task, `exploration_episodes` episodes gather context — by posterior sampling
//! (the first z from the prior, each next one from the posterior of the context so far) or
//! each from the prior — then `adapt_episodes` add to it, each with z sampled from the
//! posterior of the context so far, then `scored_episodes` act deterministically with the
//! posterior mean or a posterior sample (of the whole context, or of its rewarded steps) and
//! are scored. `runs` repeats all of it per task on fresh streams and averages. oyster's
//! protocol (`rl_algorithm.collect_paths`, `_do_eval`) is exploration 5 from the prior,
//! 14 adaptation, 1 scored with a sample, every episode deterministic, 2 runs.
//!
//! It draws from its own random stream, seeded from (`eval.seed` or `train.seed`, iteration),
//! and its own reset seeds, so changing any `[eval]` setting never changes training. Tasks run
//! in parallel on their own envs. It knows nothing about updates, experience buffers or transfer.

use std::collections::VecDeque;

use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde::Serialize;

use super::rollout::{
    run_episodes, Actor, Episode, EpisodeStart, EpisodeStats, EpisodeSummary, Schedule,
};
use crate::agent::Agent;
use crate::config::{EvalConfig, Exploration, PosteriorContext, ScoredZ};
use crate::data::buffer::Batch;
use crate::env::vec_env::{episode_seed, VecEnv};
use crate::env::Task;
use crate::error::{Error, Result};

/// At most this many held-out tasks run at once (one env each); the rest queue.
pub const MAX_EVAL_ENVS: usize = 32;

/// One held-out task's meta-test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskEval {
    /// Task id.
    pub task: usize,
    /// Goal position (m).
    pub goal: [f32; 2],
    /// First exploration episode (1-based) that reached the goal; `None`: none did.
    pub found_at: Option<usize>,
    /// Transitions in the context the posterior was inferred from (with `eval.runs > 1`: the
    /// first run's; `success` and `ret` are the runs' mean, `found_at` any run's).
    pub context_steps: usize,
    /// Context transitions with a positive reward.
    pub context_rewarded: usize,
    /// Fraction of the scored (posterior) episodes that reached the goal.
    pub success: f32,
    /// Mean return of the scored episodes.
    pub ret: f32,
    /// The scored episodes' z (the posterior mean; empty without a context encoder).
    pub z: Vec<f32>,
}

/// The seed of the meta-test stream at `iteration` for base seed `seed`.
pub fn stream_seed(seed: u64, iteration: usize) -> u64 {
    // A different mixing constant from the reset seeds', so the streams never coincide.
    episode_seed(seed ^ 0x6D65_7461_7465_7374, usize::MAX, iteration as u64)
}

/// Meta-tests `agent` on `tasks` with `cfg`, drawing from the stream of (`seed`, `iteration`).
/// Returns the summary of the scored episodes and one record per task.
pub fn meta_test(
    agent: &Agent,
    cfg: &EvalConfig,
    tasks: &[Task],
    venv: &mut VecEnv,
    seed: u64,
    iteration: usize,
) -> Result<(EpisodeSummary, Vec<TaskEval>)> {
    let mut scored = Vec::new();
    let mut records: Vec<TaskEval> = Vec::new();
    for run in 0..cfg.runs.max(1) {
        // Run 0 keeps the single-run stream, so `runs = 1` is the protocol as it was.
        let stream = if run == 0 {
            stream_seed(seed, iteration)
        } else {
            episode_seed(stream_seed(seed, iteration), usize::MAX - 1, run as u64)
        };
        let (s, r) = meta_test_run(agent, cfg, tasks, venv, stream)?;
        scored.extend(s);
        if run == 0 {
            records = r;
        } else {
            for (acc, r) in records.iter_mut().zip(r) {
                acc.success += r.success;
                acc.ret += r.ret;
                acc.found_at = acc.found_at.or(r.found_at);
            }
        }
    }
    let n = cfg.runs.max(1) as f32;
    for r in &mut records {
        r.success /= n;
        r.ret /= n;
    }
    let found = records.iter().filter(|r| r.found_at.is_some()).count();
    let summary = EpisodeSummary {
        explore_success: found as f32 / tasks.len().max(1) as f32,
        ..EpisodeSummary::of(&scored)
    };
    Ok((summary, records))
}

/// One run of the protocol on every task from `stream`: the scored episodes (task order) and
/// one record per task.
fn meta_test_run(
    agent: &Agent,
    cfg: &EvalConfig,
    tasks: &[Task],
    venv: &mut VecEnv,
    stream: u64,
) -> Result<(Vec<EpisodeStats>, Vec<TaskEval>)> {
    let mut rng = Pcg64::seed_from_u64(stream);
    let mut s = MetaTestSchedule {
        agent,
        cfg,
        stream,
        queue: tasks.iter().cloned().collect(),
        running: (0..venv.len()).map(|_| None).collect(),
        started: 0,
        done: Vec::new(),
    };
    run_episodes(venv, agent, &mut rng, &mut s)?;
    // Report in task order, whatever order they finished in.
    let mut done = s.done;
    done.sort_by_key(|(i, _, _)| *i);
    let scored: Vec<EpisodeStats> = done.iter().flat_map(|(_, _, e)| e.clone()).collect();
    let records: Vec<TaskEval> = done.into_iter().map(|(_, r, _)| r).collect();
    Ok((scored, records))
}

/// One task's meta-test in progress.
struct TaskRun {
    /// Index in the task list.
    index: usize,
    task: Task,
    context: Batch,
    explored: usize,
    /// Adaptation episodes done (`EvalConfig::adapt_episodes`).
    adapted: usize,
    found_at: Option<usize>,
    /// Set once exploration is over: the scored episodes' z.
    scored_z: Option<Vec<f32>>,
    scored: Vec<EpisodeStats>,
}

struct MetaTestSchedule<'a> {
    agent: &'a Agent,
    cfg: &'a EvalConfig,
    stream: u64,
    queue: VecDeque<Task>,
    running: Vec<Option<TaskRun>>,
    /// Tasks started so far (the next one's index in the task list).
    started: usize,
    done: Vec<(usize, TaskEval, Vec<EpisodeStats>)>,
}

impl MetaTestSchedule<'_> {
    /// A z sampled from the prior, or from the posterior of `ctx`.
    fn context_z(&self, ctx: &Batch, from_prior: bool, rng: &mut Pcg64) -> Result<Vec<f32>> {
        let post = if from_prior {
            None
        } else {
            self.agent.posterior(&ctx.context_rows(), ctx.len())?
        };
        self.agent.sample_z(post.as_ref(), rng)
    }

    /// The scored episodes' z: the posterior mean of the context (or of its rewarded steps),
    /// or a sample of that posterior.
    fn scored_z(&self, ctx: &Batch, rng: &mut Pcg64) -> Result<Vec<f32>> {
        let rewarded = match self.cfg.posterior_context {
            PosteriorContext::Rewarded => Some(rewarded_rows(ctx)),
            PosteriorContext::All => None,
        };
        let from = rewarded.as_ref().filter(|b| !b.is_empty()).unwrap_or(ctx);
        match self.agent.posterior(&from.context_rows(), from.len())? {
            Some(p) if self.cfg.scored_z == ScoredZ::Mean => Ok(p.mean.flatten_all()?.to_vec1()?),
            post => self.agent.sample_z(post.as_ref(), rng),
        }
    }
}

impl Schedule for MetaTestSchedule<'_> {
    fn next(&mut self, env: usize, rng: &mut Pcg64) -> Result<Option<EpisodeStart>> {
        if self.running[env].is_none() {
            let Some(task) = self.queue.pop_front() else {
                return Ok(None);
            };
            let index = self.started;
            self.started += 1;
            self.running[env] = Some(TaskRun {
                index,
                task,
                context: Batch::default(),
                explored: 0,
                adapted: 0,
                found_at: None,
                scored_z: None,
                scored: Vec::new(),
            });
        }
        let Some(run) = self.running[env].as_ref() else {
            return Ok(None);
        };
        let task = run.task.clone();
        let episode = (run.explored + run.adapted + run.scored.len()) as u64;
        let seed = episode_seed(self.stream, run.task.id, episode);
        let exploring = run.explored < self.cfg.exploration_episodes;
        let actor = if exploring || run.adapted < self.cfg.adapt_episodes {
            // ALGORITHM: exploration z from the prior, or from the posterior of the context
            // so far (posterior sampling); adaptation z always from that posterior.
            let from_prior = exploring && self.cfg.exploration == Exploration::Prior;
            Actor::Policy {
                z: self.context_z(&run.context, from_prior, rng)?,
                deterministic: self.cfg.deterministic_exploration,
            }
        } else if run.scored.len() < self.cfg.scored_episodes {
            // ALGORITHM: scored episodes act with the posterior mean, or a posterior sample
            // each.
            let z = match &run.scored_z {
                Some(z) if self.cfg.scored_z == ScoredZ::Mean => z.clone(),
                _ => {
                    let z = self.scored_z(&run.context, rng)?;
                    if let Some(run) = self.running[env].as_mut() {
                        run.scored_z = Some(z.clone());
                    }
                    z
                }
            };
            Actor::Policy {
                z,
                deterministic: true,
            }
        } else {
            let Some(run) = self.running[env].take() else {
                return Ok(None);
            };
            let own = EpisodeSummary::of(&run.scored);
            let record = TaskEval {
                task: run.task.id,
                goal: run.task.goal,
                found_at: run.found_at,
                context_steps: run.context.len(),
                context_rewarded: run.context.reward.iter().filter(|&&r| r > 0.0).count(),
                success: own.success,
                ret: own.ret,
                z: run.scored_z.clone().unwrap_or_default(),
            };
            self.done.push((run.index, record, run.scored));
            return self.next(env, rng);
        };
        Ok(Some(EpisodeStart { task, seed, actor }))
    }

    fn finished(&mut self, env: usize, ep: Episode, _rng: &mut Pcg64) -> Result<()> {
        let Some(run) = self.running[env].as_mut() else {
            return Err(Error::argument(
                "env",
                format!("env {env} ended an episode outside a task's meta-test"),
            ));
        };
        if run.explored < self.cfg.exploration_episodes {
            run.explored += 1;
            if ep.stats.success && run.found_at.is_none() {
                run.found_at = Some(run.explored);
            }
            run.context.extend(&ep.rows);
        } else if run.adapted < self.cfg.adapt_episodes {
            run.adapted += 1;
            run.context.extend(&ep.rows);
        } else {
            run.scored.push(ep.stats);
        }
        Ok(())
    }
}

/// The rows of `b` with a positive reward (with sparse rewards: the steps inside the goal).
fn rewarded_rows(b: &Batch) -> Batch {
    let mut out = Batch::default();
    for i in (0..b.len()).filter(|&i| b.reward[i] > 0.0) {
        out.push(&b.row(i));
    }
    out
}

/// One CSV row per test task (goal, first exploration episode that reached it, rewarded
/// context steps, success, return): `drat eval --per-task`.
pub fn per_task_csv(records: &[TaskEval]) -> String {
    let mut csv = String::from(
        "task,goal_x,goal_y,goal_angle_deg,found_at_episode,context_steps,context_rewarded,success,return\n",
    );
    for r in records {
        let angle = r.goal[1].atan2(r.goal[0]).to_degrees();
        let found = r.found_at.map_or(String::new(), |e| e.to_string());
        csv.push_str(&format!(
            "{},{},{},{:.1},{found},{},{},{},{}\n",
            r.task,
            r.goal[0],
            r.goal[1],
            angle,
            r.context_steps,
            r.context_rewarded,
            r.success,
            r.ret
        ));
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::buffer::Transition;

    #[test]
    fn rewarded_rows_keep_every_column_of_the_rewarded_steps_in_order() {
        let mut b = Batch::default();
        for (i, r) in [0.0f32, 1.0, 0.0, 1.0, -0.5].into_iter().enumerate() {
            let x = i as f32;
            let t = Transition {
                obs: &[x, x + 0.5],
                action: &[-x],
                reward: r,
                next_obs: &[x + 1.0, x + 1.5],
                terminal: i == 3,
                achieved: [x + 1.0, 0.0],
                other_reward: x,
            };
            b.push(&t);
        }
        let kept = rewarded_rows(&b);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.obs, [1.0, 1.5, 3.0, 3.5]);
        assert_eq!(kept.action, [-1.0, -3.0]);
        assert_eq!(kept.reward, [1.0, 1.0]);
        assert_eq!(kept.next_obs, [2.0, 2.5, 4.0, 4.5]);
        assert_eq!(kept.terminal, [0.0, 1.0]);
        assert_eq!(kept.achieved, [2.0, 0.0, 4.0, 0.0]);
        assert_eq!(kept.other_reward, [1.0, 3.0]);
        assert!(rewarded_rows(&Batch::default()).is_empty());
    }

    #[test]
    fn meta_test_streams_differ_by_iteration_and_seed() {
        assert_ne!(stream_seed(0, 1), stream_seed(0, 2));
        assert_ne!(stream_seed(0, 1), stream_seed(1, 1));
        assert_eq!(stream_seed(3, 7), stream_seed(3, 7));
    }
}
