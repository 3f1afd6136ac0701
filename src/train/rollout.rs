//! Episodes over a batch of envs ([`VecEnv`]): every live env's action comes from one batched
//! policy forward pass, physics steps on the `VecEnv`'s worker threads, and the results are the
//! same for any thread count (envs are processed in index order, every random number is drawn
//! in that order from the caller's RNG, reset seeds are explicit).
//!
//! [`run_episodes`] is the engine: a [`Schedule`] says what each free env runs next and receives
//! each finished episode. [`collect`] is the meta-training schedule built on it — train-task
//! visits whose phases draw z from the prior, by posterior sampling, from the posterior, or
//! hold one uniform random action (PEARL's collection modes); meta-test has its own schedule in
//! `meta_test.rs`. This module knows nothing about updates or transfer.

use std::collections::VecDeque;

use rand::Rng;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use crate::agent::Agent;
use crate::data::buffer::{recent_context, Batch, TaskBuffer, Transition};
use crate::data::trajectory::Trajectory;
use crate::env::vec_env::{episode_seed, VecEnv};
use crate::env::{Step, Task};
use crate::error::{Error, Result};

/// Outcome of one episode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeStats {
    /// Sum of rewards.
    pub ret: f32,
    /// Sum of the goal term.
    pub goal_reward: f32,
    /// Sum of the control-cost term.
    pub ctrl_reward: f32,
    /// The goal radius was reached at some step.
    pub success: bool,
    /// Steps taken.
    pub steps: usize,
    /// Ended by a physics blow-up.
    pub blowup: bool,
}

/// Mean statistics of several episodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeSummary {
    /// Episodes.
    pub episodes: usize,
    /// Mean return.
    pub ret: f32,
    /// Fraction of successful episodes.
    pub success: f32,
    /// Mean goal term.
    pub goal_reward: f32,
    /// Mean control term.
    pub ctrl_reward: f32,
    /// Blow-ups.
    pub blowups: usize,
    /// Meta-test only: fraction of tasks where one of the context-gathering episodes reached
    /// the goal (exploration found it; `success` below this means inference or control lost it).
    #[serde(default)]
    pub explore_success: f32,
}

impl EpisodeSummary {
    /// Averages `eps`.
    pub fn of(eps: &[EpisodeStats]) -> Self {
        let n = eps.len().max(1) as f32;
        EpisodeSummary {
            episodes: eps.len(),
            ret: eps.iter().map(|e| e.ret).sum::<f32>() / n,
            success: eps.iter().filter(|e| e.success).count() as f32 / n,
            goal_reward: eps.iter().map(|e| e.goal_reward).sum::<f32>() / n,
            ctrl_reward: eps.iter().map(|e| e.ctrl_reward).sum::<f32>() / n,
            blowups: eps.iter().filter(|e| e.blowup).count(),
            explore_success: 0.0,
        }
    }
}

/// Where an episode's actions come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Actor {
    /// The policy conditioned on latent `z` (sampled, or its mean when `deterministic`).
    Policy {
        /// The latent task variable (empty without context).
        z: Vec<f32>,
        /// Act with the squashed mean instead of a sample.
        deterministic: bool,
    },
    /// One action held for the whole episode.
    Held(Vec<f32>),
}

/// An episode for a free env to run.
#[derive(Clone, Debug)]
pub struct EpisodeStart {
    /// The task.
    pub task: Task,
    /// Reset seed.
    pub seed: u64,
    /// Where the actions come from.
    pub actor: Actor,
}

/// A finished episode.
#[derive(Clone, Debug)]
pub struct Episode {
    /// Its task id.
    pub task_id: usize,
    /// Where its actions came from.
    pub actor: Actor,
    /// Return, success, length.
    pub stats: EpisodeStats,
    /// Its usable transitions in time order (a blow-up step is not one); actions as applied.
    pub rows: Batch,
    /// `log π(a_t | s_t, z)` of each row's action as drawn (NaN for held or deterministic
    /// actions).
    pub logp: Vec<f32>,
}

impl Episode {
    /// Pushes the rows into `buf`, closing the trajectory (after a blow-up the rows stay usable
    /// as transitions but are not a complete trajectory).
    pub fn push_into(&self, buf: &mut TaskBuffer) {
        let n = self.rows.len();
        for t in 0..n {
            buf.push(&self.rows.row(t), t + 1 == n && !self.stats.blowup);
        }
        if self.stats.blowup {
            buf.abandon_episode();
        }
    }
}

/// What the envs of a [`run_episodes`] call do.
pub trait Schedule {
    /// The episode `env` should run next, or `None` to leave it idle (it is asked again after
    /// every step in which an episode ended).
    fn next(&mut self, env: usize, rng: &mut Pcg64) -> Result<Option<EpisodeStart>>;
    /// An episode of `env` ended.
    fn finished(&mut self, env: usize, episode: Episode, rng: &mut Pcg64) -> Result<()>;
}

/// A running episode.
struct Live {
    task_id: usize,
    actor: Actor,
    obs: Vec<f32>,
    stats: EpisodeStats,
    rows: Batch,
    logp: Vec<f32>,
}

/// Runs episodes on `venv` until `schedule` has nothing more: each step, one batched policy
/// pass for the live policy-driven envs (noise from `rng`, in env order), one parallel physics
/// step, then the finished episodes go to the schedule and the idle envs ask it for work (both
/// in env order).
pub fn run_episodes(
    venv: &mut VecEnv,
    agent: &Agent,
    rng: &mut Pcg64,
    schedule: &mut dyn Schedule,
) -> Result<()> {
    let (n, ad) = (venv.len(), venv.act_dim());
    let mut live: Vec<Option<Live>> = (0..n).map(|_| None).collect();
    let mut actions = vec![0.0f32; n * ad];
    let mut logp = vec![f32::NAN; n];
    let mut ask = true;
    loop {
        if ask {
            start_idle(venv, &mut live, rng, schedule)?;
        }
        if live.iter().all(Option::is_none) {
            return Ok(());
        }
        act(agent, &live, &mut actions, &mut logp, rng)?;
        let active: Vec<bool> = live.iter().map(Option::is_some).collect();
        let steps = venv.step_active(&actions, &active)?;
        ask = false;
        for (k, step) in steps.into_iter().enumerate() {
            let (Some(s), Some(l)) = (step, live[k].as_mut()) else {
                continue;
            };
            if !l.record(&actions[k * ad..(k + 1) * ad], logp[k], s) {
                continue;
            }
            if let Some(l) = live[k].take() {
                schedule.finished(k, l.into_episode(), rng)?;
                ask = true;
            }
        }
    }
}

/// Fills `actions` (and their log-probabilities) for every live env: one batched policy pass
/// (noise from `rng` in env order) for the policy-driven ones, the held action for the others.
fn act(
    agent: &Agent,
    live: &[Option<Live>],
    actions: &mut [f32],
    logp: &mut [f32],
    rng: &mut Pcg64,
) -> Result<()> {
    let ad = agent.act_dim();
    let (mut obs, mut z, mut det, mut rows_of) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, l) in live.iter().enumerate() {
        let Some(l) = l else { continue };
        match &l.actor {
            Actor::Policy {
                z: zk,
                deterministic,
            } => {
                obs.extend_from_slice(&l.obs);
                z.extend_from_slice(zk);
                det.push(*deterministic);
                rows_of.push(k);
            }
            Actor::Held(a) => {
                actions[k * ad..(k + 1) * ad].copy_from_slice(a);
                logp[k] = f32::NAN;
            }
        }
    }
    if det.is_empty() {
        return Ok(());
    }
    // ALGORITHM: a ~ π(·|s, z) for every live env in one forward pass.
    let (a, lp) = agent.act_batch(&obs, &z, &det, rng)?;
    for (i, &k) in rows_of.iter().enumerate() {
        actions[k * ad..(k + 1) * ad].copy_from_slice(&a[i * ad..(i + 1) * ad]);
        logp[k] = lp[i];
    }
    Ok(())
}

impl Live {
    /// Adds one step taken with `action` (of log-probability `logp`); returns whether the
    /// episode ended (a blow-up ends it without a transition).
    fn record(&mut self, action: &[f32], logp: f32, s: Step) -> bool {
        self.stats.steps += 1;
        if s.info.blowup {
            self.stats.blowup = true;
            return true;
        }
        self.stats.ret += s.reward;
        self.stats.goal_reward += s.info.terms.goal;
        self.stats.ctrl_reward += s.info.terms.ctrl;
        self.stats.success |= s.info.success;
        let applied: Vec<f32> = action.iter().map(|x| x.clamp(-1.0, 1.0)).collect();
        self.rows
            .push(&Transition::of_step(&self.obs, &applied, &s));
        self.logp.push(logp);
        let done = s.done();
        self.obs = s.obs;
        done
    }

    fn into_episode(self) -> Episode {
        Episode {
            task_id: self.task_id,
            actor: self.actor,
            stats: self.stats,
            rows: self.rows,
            logp: self.logp,
        }
    }
}

/// Asks the schedule for work for every idle env and starts those episodes in parallel.
fn start_idle(
    venv: &mut VecEnv,
    live: &mut [Option<Live>],
    rng: &mut Pcg64,
    schedule: &mut dyn Schedule,
) -> Result<()> {
    let mut starts = Vec::with_capacity(live.len());
    let mut actors = Vec::with_capacity(live.len());
    for (k, l) in live.iter().enumerate() {
        let st = if l.is_none() {
            schedule.next(k, rng)?
        } else {
            None
        };
        match st {
            Some(st) => {
                actors.push(Some((st.task.id, st.actor)));
                starts.push(Some((st.task, st.seed)));
            }
            None => {
                actors.push(None);
                starts.push(None);
            }
        }
    }
    if starts.iter().all(Option::is_none) {
        return Ok(());
    }
    let resets = venv.start(starts)?;
    for ((slot, reset), actor) in live.iter_mut().zip(resets).zip(actors) {
        if let (Some(r), Some((task_id, actor))) = (reset, actor) {
            *slot = Some(Live {
                task_id,
                actor,
                obs: r.obs,
                stats: EpisodeStats::default(),
                rows: Batch::default(),
                logp: Vec::new(),
            });
        }
    }
    Ok(())
}

/// How one collection phase draws z (or its action).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draw {
    /// z from the prior; the data also feed the context buffer.
    Prior,
    /// Posterior sampling: z from the posterior of what this visit put in the context buffer
    /// so far (the prior while it is empty); the data also feed the context buffer.
    PosteriorSampling,
    /// z from the posterior of a context drawn from the task's context buffer; RL buffer only.
    Posterior,
    /// No policy: one uniform random action held per episode; feeds both buffers.
    HeldUniform,
}

impl Draw {
    /// Whether episodes of this draw feed the context buffer.
    pub fn feeds_context(self) -> bool {
        self != Draw::Posterior
    }
}

/// A visit of one train task: phases of at least `steps` env steps each (whole episodes).
#[derive(Clone, Debug)]
pub struct Visit {
    /// Train task index.
    pub task: usize,
    /// `(steps, draw)` in order; phases with 0 steps are skipped.
    pub phases: Vec<(usize, Draw)>,
}

/// The per-task replay a collection writes into.
pub struct Replay<'a> {
    /// RL replay per train task.
    pub rl: &'a mut [TaskBuffer],
    /// Context buffer per train task.
    pub context: &'a mut [TaskBuffer],
}

/// Settings of [`collect`].
pub struct CollectSettings<'a> {
    /// Train tasks.
    pub tasks: &'a [Task],
    /// Base of the reset seeds.
    pub seed: u64,
    /// Context transitions a `Posterior` draw infers z from.
    pub context_size: usize,
    /// Keep every finished episode (for transfer).
    pub keep_episodes: bool,
}

/// What a collection produced.
#[derive(Default)]
pub struct Collected {
    /// Every episode's statistics, in the order they ended.
    pub stats: Vec<EpisodeStats>,
    /// The complete policy-driven episodes (no blow-up), when `keep_episodes`.
    pub episodes: Vec<Trajectory>,
    /// Env steps taken.
    pub env_steps: u64,
}

/// Runs `visits` on `venv`: a visit starts when an env is free and no other visit of the same
/// task is running (so one task's buffers see one visit at a time). `episodes` counts started
/// episodes and seeds their resets.
pub fn collect(
    venv: &mut VecEnv,
    agent: &Agent,
    replay: Replay<'_>,
    visits: Vec<Visit>,
    settings: &CollectSettings<'_>,
    episodes: &mut u64,
    rng: &mut Pcg64,
) -> Result<Collected> {
    let mut s = TrainSchedule {
        agent,
        replay,
        settings,
        queue: visits.into(),
        running: (0..venv.len()).map(|_| None).collect(),
        episodes,
        out: Collected::default(),
    };
    run_episodes(venv, agent, rng, &mut s)?;
    Ok(s.out)
}

/// A visit in progress.
struct Running {
    task: usize,
    phases: VecDeque<(usize, Draw)>,
    done_in_phase: usize,
}

struct TrainSchedule<'a, 'b> {
    agent: &'a Agent,
    replay: Replay<'b>,
    settings: &'a CollectSettings<'a>,
    queue: VecDeque<Visit>,
    running: Vec<Option<Running>>,
    episodes: &'a mut u64,
    out: Collected,
}

impl TrainSchedule<'_, '_> {
    /// z (or the held action) for the next episode of train task `k` drawn as `draw`.
    fn draw(&self, k: usize, draw: Draw, rng: &mut Pcg64) -> Result<Actor> {
        // ALGORITHM: z ~ prior for exploration, z ~ posterior(context) for RL data (PEARL).
        let agent = self.agent;
        let post = match draw {
            Draw::HeldUniform => {
                let a = (0..agent.act_dim())
                    .map(|_| rng.random_range(-1.0f32..=1.0))
                    .collect();
                return Ok(Actor::Held(a));
            }
            Draw::Prior => None,
            Draw::PosteriorSampling => {
                // Every transition this visit gathered, as at meta-test.
                let cb = &self.replay.context[k];
                let mut b = Batch::default();
                cb.gather_into(&cb.trajectories().concat(), &mut b);
                agent.posterior(&b.context_rows(), b.len())?
            }
            Draw::Posterior => {
                let n = self.settings.context_size;
                let ctx = recent_context(&self.replay.context[k], &self.replay.rl[k], n, rng)?;
                agent.posterior(&ctx, n)?
            }
        };
        Ok(Actor::Policy {
            z: agent.sample_z(post.as_ref(), rng)?,
            deterministic: false,
        })
    }
}

impl Schedule for TrainSchedule<'_, '_> {
    fn next(&mut self, env: usize, rng: &mut Pcg64) -> Result<Option<EpisodeStart>> {
        if self.running[env].is_none() {
            let busy: Vec<usize> = self.running.iter().flatten().map(|r| r.task).collect();
            let Some(i) = self.queue.iter().position(|v| !busy.contains(&v.task)) else {
                return Ok(None);
            };
            let Some(v) = self.queue.remove(i) else {
                return Ok(None);
            };
            let phases = v.phases.into_iter().filter(|p| p.0 > 0).collect();
            self.running[env] = Some(Running {
                task: v.task,
                phases,
                done_in_phase: 0,
            });
        }
        let (k, draw) = match self.running[env]
            .as_ref()
            .and_then(|r| Some((r.task, *r.phases.front()?)))
        {
            Some((k, (_, draw))) => (k, draw),
            None => {
                self.running[env] = None;
                return self.next(env, rng);
            }
        };
        let actor = self.draw(k, draw, rng)?;
        let task = self.settings.tasks[k].clone();
        let seed = episode_seed(self.settings.seed, task.id, *self.episodes);
        *self.episodes += 1;
        Ok(Some(EpisodeStart { task, seed, actor }))
    }

    fn finished(&mut self, env: usize, ep: Episode, _rng: &mut Pcg64) -> Result<()> {
        let Some((k, &(steps, draw))) = self.running[env]
            .as_ref()
            .and_then(|r| Some((r.task, r.phases.front()?)))
        else {
            return Err(Error::argument(
                "env",
                format!("env {env} ended an episode outside a visit"),
            ));
        };
        ep.push_into(&mut self.replay.rl[k]);
        if draw.feeds_context() {
            ep.push_into(&mut self.replay.context[k]);
        }
        if let Some(r) = self.running[env].as_mut() {
            r.done_in_phase += ep.stats.steps;
            if r.done_in_phase >= steps {
                r.phases.pop_front();
                r.done_in_phase = 0;
            }
        }
        self.out.env_steps += ep.stats.steps as u64;
        if let (true, false, Actor::Policy { z, .. }) =
            (self.settings.keep_episodes, ep.stats.blowup, &ep.actor)
        {
            if !ep.rows.is_empty() {
                self.out.episodes.push(Trajectory {
                    task: k,
                    behaviour_z: z.clone(),
                    behaviour_logp: ep.logp.clone(),
                    rows: ep.rows.clone(),
                });
            }
        }
        self.out.stats.push(ep.stats);
        Ok(())
    }
}
