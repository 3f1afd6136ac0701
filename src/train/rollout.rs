//! Episodes over a batch of envs ([`VecEnv`]): the live envs' actions come from one batched
//! policy pass per env thread's block, physics steps on the `VecEnv`'s worker threads, and the
//! results are the same for any thread count (envs are processed in index order, every random
//! number is drawn in that order from the caller's RNG, a row's action does not depend on the
//! rows beside it, reset seeds are explicit).
//!
//! [`run_episodes`] is the engine: a [`Schedule`] says what each free env runs next and receives
//! each finished episode. [`collect`] is the meta-training schedule built on it — train-task
//! visits whose phases draw z from the prior, by posterior sampling, from the posterior, or
//! hold one uniform random action (PEARL's collection modes); meta-test has its own schedule in
//! `meta_test.rs`. This module knows nothing about updates or transfer.

use std::collections::VecDeque;
use std::ops::Range;

use rand::Rng;
use rand_distr::StandardNormal;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use crate::agent::{ActScratch, Agent};
use crate::data::buffer::{recent_context, Batch, TaskBuffer, Transition};
use crate::data::trajectory::Trajectory;
use crate::env::gait_measures::{GaitStats, GaitSummary};
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
    /// The torso's and feet's sums (gait measures).
    #[serde(default)]
    pub gait: GaitStats,
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
    /// Gait measures: means over the episodes.
    #[serde(default)]
    pub gait: GaitSummary,
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
            gait: GaitSummary::of(eps.iter().map(|e| &e.gait)),
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

/// Runs episodes on `venv` until `schedule` has nothing more: each round, the policy noise of
/// the live policy-driven envs (from `rng`, in env order), one batched policy pass per env
/// thread's block (each computed while the blocks before it step), one parallel physics step, then the finished episodes go to the schedule and the idle envs ask it for work (both
/// in env order). Returns the number of rounds.
pub fn run_episodes(
    venv: &mut VecEnv,
    agent: &Agent,
    rng: &mut Pcg64,
    schedule: &mut dyn Schedule,
) -> Result<usize> {
    let (n, ad) = (venv.len(), venv.act_dim());
    let mut live: Vec<Option<Live>> = (0..n).map(|_| None).collect();
    let mut actions = vec![0.0f32; n * ad];
    let mut logp = vec![f32::NAN; n];
    let mut noise = vec![0.0f32; n * ad];
    let mut active = vec![false; n];
    let mut scratch = Acting::default();
    let (mut ask, mut rounds) = (true, 0);
    loop {
        if ask {
            start_idle(venv, &mut live, rng, schedule)?;
        }
        if live.iter().all(Option::is_none) {
            return Ok(rounds);
        }
        rounds += 1;
        for (a, l) in active.iter_mut().zip(&live) {
            *a = l.is_some();
        }
        draw_noise(&live, &mut noise, rng);
        // ALGORITHM: a ~ π(·|s, z) for every live env, batched per env thread, each block
        // computed while the blocks before it step.
        let steps = venv.step_active_with(&mut actions, &active, |envs, out| {
            act(agent, &live, envs, &noise, out, &mut logp, &mut scratch)
        })?;
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

/// Draws the policy noise of every live policy-driven env, in env order (`act_dim` values
/// each, into its slice of `noise`): the same stream however the envs are split over threads.
fn draw_noise(live: &[Option<Live>], noise: &mut [f32], rng: &mut Pcg64) {
    let ad = noise.len() / live.len().max(1);
    for (k, l) in live.iter().enumerate() {
        if let Some(Live {
            actor: Actor::Policy { .. },
            ..
        }) = l
        {
            for x in &mut noise[k * ad..(k + 1) * ad] {
                *x = rng.sample(StandardNormal);
            }
        }
    }
}

/// The rows of one [`act`] call, kept between steps.
#[derive(Default)]
struct Acting {
    obs: Vec<f32>,
    z: Vec<f32>,
    eps: Vec<f32>,
    det: Vec<bool>,
    envs: Vec<usize>,
    actions: Vec<f32>,
    logp: Vec<f32>,
    agent: ActScratch,
}

/// Fills `out` (the actions of env range `envs`) and their log-probabilities: one policy
/// pass over the range's policy-driven envs with their drawn `noise`, the held action for
/// the others.
fn act(
    agent: &Agent,
    live: &[Option<Live>],
    envs: Range<usize>,
    noise: &[f32],
    out: &mut [f32],
    logp: &mut [f32],
    a: &mut Acting,
) -> Result<()> {
    let ad = agent.act_dim();
    let first = envs.start;
    a.obs.clear();
    a.z.clear();
    a.eps.clear();
    a.det.clear();
    a.envs.clear();
    for k in envs {
        let Some(l) = &live[k] else { continue };
        let o = k - first;
        match &l.actor {
            Actor::Policy { z, deterministic } => {
                a.obs.extend_from_slice(&l.obs);
                a.z.extend_from_slice(z);
                a.eps.extend_from_slice(&noise[k * ad..(k + 1) * ad]);
                a.det.push(*deterministic);
                a.envs.push(k);
            }
            Actor::Held(h) => {
                out[o * ad..(o + 1) * ad].copy_from_slice(h);
                logp[k] = f32::NAN;
            }
        }
    }
    if a.det.is_empty() {
        return Ok(());
    }
    let n = a.det.len();
    a.actions.resize(n * ad, 0.0);
    a.logp.resize(n, 0.0);
    agent.act_rows(
        &a.obs,
        &a.z,
        &a.eps,
        &a.det,
        &mut a.agent,
        &mut a.actions,
        &mut a.logp,
    )?;
    for (i, &k) in a.envs.iter().enumerate() {
        let o = k - first;
        out[o * ad..(o + 1) * ad].copy_from_slice(&a.actions[i * ad..(i + 1) * ad]);
        logp[k] = a.logp[i];
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
        self.stats.gait.add(&s.info.body);
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Draw {
    /// z from the prior; the data also feed the context buffer.
    #[default]
    Prior,
    /// Posterior sampling: z from the posterior of what this visit put in the context buffer
    /// so far (the prior while it is empty); the data also feed the context buffer.
    PosteriorSampling,
    /// z from the posterior of a context drawn from the task's context buffer; RL buffer only.
    Posterior,
    /// oyster's `num_steps_posterior`: the phase's first episode with a prior z, each next
    /// with z from the posterior of a context drawn from what this visit put in the context
    /// buffer so far; the data also feed the context buffer.
    PosteriorContext,
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

/// The per-task buffers a collection writes into (RL and context).
pub struct Buffers<'a> {
    /// RL buffer per train task.
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
    /// The env's episode length: a phase whose episodes are independent runs as many side
    /// by side as its steps need (`ceil(steps / horizon)`, more after early ends).
    pub horizon: usize,
    /// Append each visit's gathered context to the task's context buffer instead of
    /// replacing it (`train.context_buffer = "accumulate"`).
    pub accumulate_context: bool,
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
    /// Lockstep rounds (one batched policy pass and physics step each); `env_steps / rounds`
    /// is how many envs were busy on average.
    pub rounds: usize,
}

/// Runs `visits` on `venv`. A visit whose phases feed the context buffer gathers its
/// context afresh (PEARL refreshes a task's context every visit) into a buffer of its own,
/// which becomes the task's context buffer when the collection ends (of several visits of one
/// task, the last started); such visits run side by side with any others, while a visit that
/// reads the task's existing context waits for the task's running visits and they for it.
/// A visit's phases run in order; within a phase whose episodes do not depend on each other
/// (every draw but posterior sampling) as many episodes run side by side as free envs and the
/// phase's steps allow. `episodes` counts started episodes and seeds their resets.
pub fn collect(
    venv: &mut VecEnv,
    agent: &Agent,
    buffers: Buffers<'_>,
    visits: Vec<Visit>,
    settings: &CollectSettings<'_>,
    episodes: &mut u64,
    rng: &mut Pcg64,
) -> Result<Collected> {
    let mut s = TrainSchedule {
        agent,
        buffers,
        settings,
        queue: visits.into(),
        visits: Vec::new(),
        env_visit: vec![None; venv.len()],
        episodes,
        out: Collected::default(),
    };
    s.out.rounds = run_episodes(venv, agent, rng, &mut s)?;
    for v in s.visits {
        match (v.context, settings.accumulate_context) {
            (Some(c), true) => s.buffers.context[v.task].append_episodes(&c),
            (Some(c), false) => s.buffers.context[v.task] = c,
            (None, _) => {}
        }
    }
    Ok(s.out)
}

/// A visit in progress (or finished, until the collection ends).
struct Running {
    task: usize,
    /// Phases still to run.
    phases: VecDeque<(usize, Draw)>,
    /// Steps of the current phase's finished episodes.
    done_in_phase: usize,
    /// Episodes of the current phase still running.
    in_flight: usize,
    /// The context this visit gathers, when one of its phases feeds the context buffer.
    context: Option<TaskBuffer>,
}

impl Running {
    /// Whether the current phase may start another episode now.
    fn wants_episode(&self, horizon: usize) -> bool {
        let Some(&(steps, draw)) = self.phases.front() else {
            return false;
        };
        // Posterior sampling conditions on the visit's earlier episodes: one at a time.
        let sequential = matches!(draw, Draw::PosteriorSampling | Draw::PosteriorContext);
        self.in_flight == 0
            || (!sequential && self.done_in_phase + self.in_flight * horizon < steps)
    }
}

struct TrainSchedule<'a, 'b> {
    agent: &'a Agent,
    buffers: Buffers<'b>,
    settings: &'a CollectSettings<'a>,
    queue: VecDeque<Visit>,
    /// Visits in the order they started.
    visits: Vec<Running>,
    /// The visit each env's episode belongs to.
    env_visit: Vec<Option<usize>>,
    episodes: &'a mut u64,
    out: Collected,
}

impl TrainSchedule<'_, '_> {
    /// z (or the held action) for the next episode of visit `v` drawn as `draw`.
    fn draw(&self, v: &Running, draw: Draw, rng: &mut Pcg64) -> Result<Actor> {
        // ALGORITHM: z ~ prior for exploration, z ~ posterior(context) for RL data (PEARL).
        let (agent, k) = (self.agent, v.task);
        let context = v.context.as_ref().unwrap_or(&self.buffers.context[k]);
        let post = match draw {
            Draw::HeldUniform => {
                let a = (0..agent.act_dim())
                    .map(|_| rng.random_range(-1.0f32..=1.0))
                    .collect();
                return Ok(Actor::Held(a));
            }
            Draw::Prior => None,
            // ALGORITHM: oyster's collect_data starts each phase from the prior (clear_z).
            Draw::PosteriorContext if v.done_in_phase == 0 => None,
            Draw::PosteriorSampling => {
                // Every transition this visit gathered, as at meta-test.
                let mut b = Batch::default();
                context.gather_into(&context.trajectories().concat(), &mut b);
                agent.posterior(&b.context_rows(), b.len())?
            }
            Draw::Posterior | Draw::PosteriorContext => {
                let n = self.settings.context_size;
                let ctx = recent_context(context, &self.buffers.rl[k], n, rng)?;
                agent.posterior(&ctx, n)?
            }
        };
        Ok(Actor::Policy {
            z: agent.sample_z(post.as_ref(), rng)?,
            deterministic: false,
        })
    }

    /// The oldest running visit that wants another episode, else a newly started one (the
    /// first queued visit that may run beside the running ones), else `None`.
    fn visit_for_next_episode(&mut self) -> Option<usize> {
        let horizon = self.settings.horizon.max(1);
        if let Some(i) = self.visits.iter().position(|v| v.wants_episode(horizon)) {
            return Some(i);
        }
        let running = |t: usize| {
            self.visits
                .iter()
                .filter(move |v| v.task == t && !v.phases.is_empty())
        };
        let i = self.queue.iter().position(|q| {
            let own = feeds_context(q);
            running(q.task).all(|v| own && v.context.is_some())
        })?;
        let q = self.queue.remove(i)?;
        let context = feeds_context(&q).then(|| self.buffers.context[q.task].empty_like());
        let phases: VecDeque<_> = q.phases.into_iter().filter(|p| p.0 > 0).collect();
        if phases.is_empty() {
            return self.visit_for_next_episode();
        }
        self.visits.push(Running {
            task: q.task,
            phases,
            done_in_phase: 0,
            in_flight: 0,
            context,
        });
        Some(self.visits.len() - 1)
    }
}

/// Whether a visit gathers context (one of its phases with steps feeds the context buffer).
fn feeds_context(v: &Visit) -> bool {
    v.phases.iter().any(|p| p.0 > 0 && p.1.feeds_context())
}

impl Schedule for TrainSchedule<'_, '_> {
    fn next(&mut self, env: usize, rng: &mut Pcg64) -> Result<Option<EpisodeStart>> {
        let Some(i) = self.visit_for_next_episode() else {
            return Ok(None);
        };
        let v = &self.visits[i];
        let (k, draw) = (v.task, v.phases.front().map_or(Draw::Prior, |p| p.1));
        let actor = self.draw(v, draw, rng)?;
        self.visits[i].in_flight += 1;
        self.env_visit[env] = Some(i);
        let task = self.settings.tasks[k].clone();
        let seed = episode_seed(self.settings.seed, task.id, *self.episodes);
        *self.episodes += 1;
        Ok(Some(EpisodeStart { task, seed, actor }))
    }

    fn finished(&mut self, env: usize, ep: Episode, _rng: &mut Pcg64) -> Result<()> {
        let Some(v) = self.env_visit[env]
            .take()
            .and_then(|i| self.visits.get_mut(i))
        else {
            return Err(Error::argument(
                "env",
                format!("env {env} ended an episode outside a visit"),
            ));
        };
        let (k, (steps, draw)) = (v.task, v.phases.front().copied().unwrap_or_default());
        ep.push_into(&mut self.buffers.rl[k]);
        if let (true, Some(c)) = (draw.feeds_context(), v.context.as_mut()) {
            ep.push_into(c);
        }
        v.in_flight -= 1;
        v.done_in_phase += ep.stats.steps;
        if v.done_in_phase >= steps && v.in_flight == 0 {
            v.phases.pop_front();
            v.done_in_phase = 0;
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
