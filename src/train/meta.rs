//! Meta-training (PEARL, Rakelly et al. 2019) read top to bottom: initial exploration with
//! prior z on every train task; then per iteration, collect on a sample of train tasks with
//! prior z (feeding the context buffer) and posterior z, and take gradient steps on
//! meta-batches of tasks. Meta-test: on held-out tasks, gather context with prior z for k
//! episodes, then act with the posterior and score return and success.

use rand::seq::index::sample as sample_indices;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use crate::agent::{context_features, Agent, MetaBatch, UpdateStats};
use crate::config::{
    Config, CriticReward, Exploration, InitialActions, PosteriorContext, RewardConfig, RewardKind,
};
use crate::data::buffer::{Batch, TaskBuffer, Transition};
use crate::env::vec_env::episode_seed;
use crate::env::{Env, EnvMaker, Task, TaskSet};
use crate::error::{Error, Result};
use crate::transfer::drat::{Scorer, Trajectory, TransferStats};
use crate::transfer::{htr, relabel};

pub use crate::transfer::TransferStrategy;

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

/// One held-out task's meta-test, as [`Trainer::evaluate_tasks`] reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskEval {
    /// Task id.
    pub task: usize,
    /// Goal position (m).
    pub goal: [f32; 2],
    /// First exploration episode (1-based) that reached the goal; `None`: none did.
    pub found_at: Option<usize>,
    /// Transitions in the context the posterior was inferred from.
    pub context_steps: usize,
    /// Context transitions with a positive reward.
    pub context_rewarded: usize,
    /// Fraction of the scored (posterior) episodes that reached the goal.
    pub success: f32,
    /// Mean return of the scored episodes.
    pub ret: f32,
}

/// Where an episode's actions come from.
#[derive(Clone, Copy)]
enum Actor<'a> {
    /// The policy conditioned on latent `z` (sampled, or its mean when `deterministic`).
    Policy { z: &'a [f32], deterministic: bool },
    /// One action held for the whole episode.
    Held(&'a [f32]),
}

/// How `Trainer::collect` draws z.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Draw {
    /// z from the prior; the data also feed the context buffer.
    Prior,
    /// Posterior sampling: z from the posterior of the task's context buffer (the prior
    /// while it is empty); the data also feed the context buffer.
    PosteriorSampling,
    /// z from the posterior of the task's context buffer; RL buffer only.
    Posterior,
    /// No policy: one uniform random action held per episode; feeds both buffers.
    HeldUniform,
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

/// What one iteration did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IterationStats {
    /// Iteration number (1-based).
    pub iteration: usize,
    /// Training episodes collected in this iteration.
    pub train: EpisodeSummary,
    /// Mean update statistics.
    pub update: UpdateStats,
    /// Env steps so far.
    pub env_steps: u64,
    /// Gradient steps so far.
    pub updates: u64,
    /// Env steps collected in this iteration.
    pub collected_steps: u64,
    /// Gradient steps in this iteration.
    pub iteration_updates: u64,
    /// Seconds spent collecting.
    pub collect_s: f64,
    /// Seconds spent in updates.
    pub update_s: f64,
    /// What transfer did (HFR, DR, DRaE strategies).
    pub transfer: Option<TransferStats>,
}

/// The whole training state: config, tasks, agent, replay, RNG and counters. Everything here
/// is saved by a checkpoint.
pub struct Trainer {
    /// The resolved configuration.
    pub cfg: Config,
    /// Train and test tasks.
    pub tasks: TaskSet,
    /// The learner.
    pub agent: Agent,
    /// RL replay, one per train task.
    pub buffers: Vec<TaskBuffer>,
    /// Recent prior-z data per train task: the context source (PEARL's encoder buffer).
    pub context_buffers: Vec<TaskBuffer>,
    /// Every random draw of training comes from here.
    pub rng: Pcg64,
    /// Iterations done.
    pub iteration: usize,
    /// Env steps done.
    pub env_steps: u64,
    /// Gradient steps done.
    pub updates: u64,
    /// Episodes started (drives reset seeds).
    pub episodes: u64,
    /// The transfer strategy in effect.
    pub strategy: TransferStrategy,
    /// Transitions moved into each train task from other tasks (HFR, DR, DRaE), with their
    /// relabeled rewards and fixed critic targets.
    pub transfer_buffers: Vec<TaskBuffer>,
    /// Complete episodes collected in the current iteration (offered to other tasks).
    recent: Vec<Trajectory>,
    context_window: usize,
    maker: EnvMaker,
    env: Box<dyn Env>,
}

impl Trainer {
    /// Sets up tasks, agent, buffers and RNG from `cfg`.
    pub fn new(cfg: &Config) -> Result<Self> {
        let maker = EnvMaker::new(cfg)?;
        let tasks = maker.task_set()?;
        let env = maker.make(tasks.train[0].clone())?;
        let (od, ad) = (env.observation_space().dim(), env.action_space().dim());
        let mut rng = Pcg64::seed_from_u64(cfg.train.seed);
        let agent = Agent::new(&cfg.agent, od, ad, &mut rng)?;
        let n = tasks.train.len();
        let buffers = (0..n)
            .map(|_| TaskBuffer::new(od, ad, cfg.train.buffer_capacity))
            .collect();
        let context_window = cfg
            .train
            .steps_prior
            .max(cfg.train.initial_steps_per_task)
            .max(cfg.train.context_size);
        let context_buffers = (0..n)
            .map(|_| TaskBuffer::new(od, ad, context_window))
            .collect();
        Ok(Trainer {
            cfg: cfg.clone(),
            tasks,
            agent,
            buffers,
            context_buffers,
            rng,
            iteration: 0,
            env_steps: 0,
            updates: 0,
            episodes: 0,
            strategy: cfg.transfer.strategy,
            transfer_buffers: (0..n)
                .map(|_| TaskBuffer::new(od, ad, cfg.transfer.capacity))
                .collect(),
            recent: Vec::new(),
            context_window,
            maker,
            env,
        })
    }

    /// Replay memory when every buffer is full (bytes).
    pub fn replay_capacity_bytes(&self) -> usize {
        self.buffers
            .iter()
            .chain(&self.context_buffers)
            .chain(&self.transfer_buffers)
            .map(|b| b.capacity_bytes())
            .sum()
    }

    /// Runs one episode of `task` with actions from `actor`; each transition goes to `sink`.
    /// Blow-up steps are not passed on.
    fn episode(
        &mut self,
        task: &Task,
        actor: Actor<'_>,
        mut sink: impl FnMut(&Transition, bool),
    ) -> Result<EpisodeStats> {
        if self.env.task() != task {
            self.env.set_task(task.clone())?;
        }
        let seed = episode_seed(self.cfg.train.seed, task.id, self.episodes);
        self.episodes += 1;
        let mut obs = self.env.reset(seed)?.obs;
        let mut st = EpisodeStats::default();
        loop {
            let a = match actor {
                Actor::Policy { z, deterministic } => {
                    self.agent.act(&obs, z, deterministic, &mut self.rng)?
                }
                Actor::Held(a) => a.to_vec(),
            };
            let s = self.env.step(&a)?;
            st.steps += 1;
            if s.info.blowup {
                st.blowup = true;
                break;
            }
            st.ret += s.reward;
            st.goal_reward += s.info.terms.goal;
            st.ctrl_reward += s.info.terms.ctrl;
            st.success |= s.info.success;
            let clipped: Vec<f32> = a.iter().map(|x| x.clamp(-1.0, 1.0)).collect();
            sink(&Transition::of_step(&obs, &clipped, &s), s.done());
            let done = s.done();
            obs = s.obs;
            if done {
                break;
            }
        }
        Ok(st)
    }

    /// Collects at least `steps` env steps in train task `k` (whole episodes), drawing z (or
    /// the held action) as `draw` says.
    fn collect(&mut self, k: usize, steps: usize, draw: Draw) -> Result<Vec<EpisodeStats>> {
        let posterior = draw == Draw::Posterior;
        let task = self.tasks.train[k].clone();
        let mut out = Vec::new();
        let mut done = 0;
        while done < steps {
            // ALGORITHM: z ~ prior for exploration, z ~ posterior(context) for RL data (PEARL).
            // `v`: the latent z for the policy, or the action held all episode.
            let v = if draw == Draw::HeldUniform {
                (0..self.agent.act_dim())
                    .map(|_| self.rng.random_range(-1.0f32..=1.0))
                    .collect()
            } else {
                let n = self.cfg.train.context_size;
                let post = match draw {
                    Draw::Posterior => {
                        let ctx = self.context_of(k, n)?;
                        self.agent.posterior(&ctx, n)?
                    }
                    Draw::PosteriorSampling => {
                        // Every transition this visit gathered, as at meta-test.
                        let cb = &self.context_buffers[k];
                        let slots: Vec<usize> = cb.trajectories().concat();
                        let mut b = Batch::default();
                        cb.gather_into(&slots, &mut b);
                        let ctx = context_rows(&b, self.agent.obs_dim(), self.agent.act_dim());
                        self.agent.posterior(&ctx, slots.len())?
                    }
                    Draw::Prior | Draw::HeldUniform => None,
                };
                self.agent.sample_z(post.as_ref(), &mut self.rng)?
            };
            let actor = match draw {
                Draw::HeldUniform => Actor::Held(&v),
                _ => Actor::Policy {
                    z: &v,
                    deterministic: false,
                },
            };
            let mut rl = std::mem::replace(&mut self.buffers[k], TaskBuffer::new(0, 0, 1));
            let mut cb = std::mem::replace(&mut self.context_buffers[k], TaskBuffer::new(0, 0, 1));
            let keep = self.strategy.moves_trajectories() && self.iteration > 0;
            let mut rows = Batch::default();
            let r = self.episode(&task, actor, |t, end| {
                rl.push(t, end);
                if !posterior {
                    cb.push(t, end);
                }
                if keep {
                    rows.push(t, f32::NAN);
                }
            });
            if keep && r.as_ref().is_ok_and(|e| !e.blowup) && !rows.is_empty() {
                self.recent.push(Trajectory { task: k, rows });
            }
            if r.as_ref().is_ok_and(|e| e.blowup) {
                rl.abandon_episode();
                cb.abandon_episode();
            }
            self.buffers[k] = rl;
            self.context_buffers[k] = cb;
            let e = r?;
            done += e.steps;
            self.env_steps += e.steps as u64;
            out.push(e);
        }
        Ok(out)
    }

    /// Context features `(s, a, r, s′)` of `n` recent transitions of train task `k`.
    fn context_of(&mut self, k: usize, n: usize) -> Result<Vec<f32>> {
        let buf = if self.context_buffers[k].is_empty() {
            &self.buffers[k]
        } else {
            &self.context_buffers[k]
        };
        if buf.is_empty() {
            return Err(Error::argument(
                "context",
                format!("train task {k} has no data yet"),
            ));
        }
        let slots = buf.sample_recent_slots(n, usize::MAX, &mut self.rng);
        let mut b = Batch::default();
        buf.gather_into(&slots, &mut b);
        Ok(context_rows(&b, self.agent.obs_dim(), self.agent.act_dim()))
    }

    /// Initial exploration on every train task: prior z (PEARL), or held uniform random
    /// actions (`train.initial_actions = "held-uniform"`).
    pub fn initial_collection(&mut self) -> Result<EpisodeSummary> {
        let draw = match self.cfg.train.initial_actions {
            InitialActions::Policy => Draw::Prior,
            InitialActions::HeldUniform => Draw::HeldUniform,
        };
        let mut eps = Vec::new();
        for k in 0..self.tasks.train.len() {
            self.clear_context(k);
            eps.extend(self.collect(k, self.cfg.train.initial_steps_per_task, draw)?);
        }
        Ok(EpisodeSummary::of(&eps))
    }

    fn clear_context(&mut self, k: usize) {
        let (od, ad) = (self.agent.obs_dim(), self.agent.act_dim());
        self.context_buffers[k] = TaskBuffer::new(od, ad, self.context_window);
    }

    /// One meta-training iteration: collect, then `updates_per_iteration` gradient steps.
    pub fn iteration(&mut self) -> Result<IterationStats> {
        if self.iteration == 0 && self.env_steps == 0 {
            self.initial_collection()?;
        }
        let t0 = std::time::Instant::now();
        let steps_before = self.env_steps;
        let tr = self.cfg.train.clone();
        let n_train = self.tasks.train.len();
        let mut eps = Vec::new();
        for _ in 0..tr.tasks_per_iteration {
            let k = self.rng.random_range(0..n_train);
            if tr.steps_prior > 0 {
                // PEARL refreshes the task's context with new prior-z data.
                self.clear_context(k);
                let draw = match tr.context_exploration {
                    Exploration::Prior => Draw::Prior,
                    Exploration::Posterior => Draw::PosteriorSampling,
                };
                eps.extend(self.collect(k, tr.steps_prior, draw)?);
            }
            if tr.steps_posterior > 0 {
                eps.extend(self.collect(k, tr.steps_posterior, Draw::Posterior)?);
            }
        }
        let transfer = if self.strategy.moves_trajectories() {
            Some(self.transfer_step()?)
        } else {
            None
        };
        let collect_s = t0.elapsed().as_secs_f64() - transfer.as_ref().map_or(0.0, |x| x.time_s);
        let t1 = std::time::Instant::now();
        let mut sum = UpdateStats::default();
        for _ in 0..tr.updates_per_iteration {
            let batch = self.meta_batch()?;
            let s = self.agent.update(&batch, &mut self.rng)?;
            for (name, v) in [
                ("q1", s.q1),
                ("q2", s.q2),
                ("policy", s.policy),
                ("kl", s.kl),
            ] {
                if !v.is_finite() {
                    return Err(Error::Diverged(format!(
                        "loss/{name} = {v} at update {} (iteration {})",
                        self.updates + 1,
                        self.iteration + 1
                    )));
                }
            }
            self.updates += 1;
            accumulate(&mut sum, &s);
        }
        let mean = scale(&sum, 1.0 / tr.updates_per_iteration.max(1) as f32);
        self.iteration += 1;
        Ok(IterationStats {
            iteration: self.iteration,
            train: EpisodeSummary::of(&eps),
            update: mean,
            env_steps: self.env_steps,
            updates: self.updates,
            collected_steps: self.env_steps - steps_before,
            iteration_updates: tr.updates_per_iteration as u64,
            collect_s,
            update_s: t1.elapsed().as_secs_f64(),
            transfer,
        })
    }

    /// Each train task's own z: the mean posterior of a context from its buffers
    /// (`n_train × latent`).
    fn own_z(&mut self) -> Result<Vec<f32>> {
        let n = self.tasks.train.len();
        let cs = self.cfg.train.context_size;
        let mut ctx = Vec::new();
        for k in 0..n {
            ctx.extend(self.context_of(k, cs)?);
        }
        self.agent.posterior_means(&ctx, n, cs)
    }

    /// Transfer (HFR, DR, DRaE): offer `transfer.fraction` of this iteration's episodes to
    /// every train task, move each to its drawn target task's transfer buffer.
    fn transfer_step(&mut self) -> Result<TransferStats> {
        let start = std::time::Instant::now();
        let recent = std::mem::take(&mut self.recent);
        let n_train = self.tasks.train.len();
        let x = self.cfg.transfer.clone();
        let n_offer = ((recent.len() as f32) * x.fraction).round() as usize;
        if n_offer == 0 {
            return Ok(TransferStats {
                chosen: vec![0; n_train],
                ..TransferStats::default()
            });
        }
        let pick = sample_indices(&mut self.rng, recent.len(), n_offer).into_vec();
        let offered: Vec<Trajectory> = pick.into_iter().map(|i| recent[i].clone()).collect();
        let z_own = self.own_z()?;
        // Partition: m contexts of each task, each with a start state of that task's data.
        let m = x.partition_contexts;
        let cs = self.cfg.train.context_size;
        let od = self.agent.obs_dim();
        let mut ctx = Vec::new();
        let mut starts = Vec::new();
        for k in 0..n_train {
            for _ in 0..m {
                ctx.extend(self.context_of(k, cs)?);
                let b = &self.buffers[k];
                let mut row = Batch::default();
                if b.n_episodes() > 0 {
                    let e = self.rng.random_range(0..b.n_episodes());
                    b.gather_into(&b.episode_slots(e)[..1], &mut row);
                } else {
                    let s = b.sample_slots(1, &mut self.rng);
                    b.gather_into(&s, &mut row);
                }
                starts.extend_from_slice(&row.obs[..od]);
            }
        }
        let zs = self.agent.posterior_means(&ctx, n_train * m, cs)?;
        let uniforms: Vec<f32> = offered.iter().map(|_| self.rng.random::<f32>()).collect();
        let scorer = Scorer {
            agent: &self.agent,
            cfg: &self.cfg,
            tasks: &self.tasks.train,
            z_own: &z_own,
            strategy: self.strategy,
        };
        let log_z = scorer.log_partition(&starts, &zs, m)?;
        let (moves, mut stats) = scorer.transfer(&offered, &log_z, &uniforms)?;
        for mv in moves {
            let b = &mut self.transfer_buffers[mv.target];
            let n = mv.rows.len();
            for t in 0..n {
                b.push_with_target(&mv.rows.row(t), t + 1 == n, mv.rows.target[t]);
            }
        }
        stats.time_s = start.elapsed().as_secs_f64();
        Ok(stats)
    }

    /// A meta-batch: `meta_batch` train tasks (without replacement where possible), each with
    /// `batch_size` transitions and `context_size` context transitions.
    pub fn meta_batch(&mut self) -> Result<MetaBatch> {
        let tr = &self.cfg.train;
        let n_train = self.tasks.train.len();
        let (mb, bs, cs) = (tr.meta_batch, tr.batch_size, tr.context_size);
        let ids: Vec<usize> = if mb <= n_train {
            sample_indices(&mut self.rng, n_train, mb).into_vec()
        } else {
            (0..mb).map(|_| self.rng.random_range(0..n_train)).collect()
        };
        let mut rl = Batch::default();
        let mut context = Vec::new();
        let x = self.cfg.transfer.clone();
        let dense = (self.cfg.train.critic_reward == CriticReward::Dense).then(|| RewardConfig {
            kind: RewardKind::Dense,
            ..self.cfg.reward.clone()
        });
        for &k in &ids {
            // HTR: this slot becomes a hindsight pseudo-task built from one of k's episodes.
            if self.strategy == TransferStrategy::Htr
                && self.buffers[k].n_episodes() > 0
                && self.rng.random::<f32>() < x.relabel_prob
            {
                let e = self.rng.random_range(0..self.buffers[k].n_episodes());
                let mut ep = Batch::default();
                let slots = self.buffers[k].episode_slots(e);
                self.buffers[k].gather_into(&slots, &mut ep);
                let (rows, ctx, _) = htr::pseudo_task(&self.cfg.reward, &ep, bs, cs, &mut self.rng);
                rl.extend(&rows);
                let (od, ad) = (self.agent.obs_dim(), self.agent.act_dim());
                context.extend(context_rows(&ctx, od, ad));
                continue;
            }
            // HFR / DR / DRaE: a share of the batch comes from samples moved into k.
            let moved = &self.transfer_buffers[k];
            let n_moved = if moved.is_empty() {
                0
            } else {
                ((bs as f32) * x.batch_share).round() as usize
            };
            let slots = self.buffers[k].sample_slots(bs - n_moved, &mut self.rng);
            match &dense {
                None => self.buffers[k].gather_into(&slots, &mut rl),
                // PEARL's sparse-point protocol: the critic sees −distance to k's goal.
                Some(cfg) => {
                    let mut own = Batch::default();
                    self.buffers[k].gather_into(&slots, &mut own);
                    own.reward = relabel::rewards_for_goal(cfg, &own, self.tasks.train[k].goal);
                    rl.extend(&own);
                }
            }
            if n_moved > 0 {
                let slots = moved.sample_slots(n_moved, &mut self.rng);
                moved.gather_into(&slots, &mut rl);
            }
            context.extend(self.context_of(k, cs)?);
        }
        Ok(MetaBatch {
            n_tasks: ids.len(),
            per_task: bs,
            rl,
            context_len: cs,
            context,
        })
    }

    /// Meta-test on `tasks` (PEARL's online adaptation): `eval_prior_episodes` exploration
    /// episodes gather context, the first with z from the prior and each next one with z
    /// sampled from the posterior of the context so far (posterior sampling explores where the
    /// goal can still be; with `eval_exploration = "prior"` every one draws from the prior);
    /// then `eval_posterior_episodes` episodes act deterministically with the posterior mean
    /// (of the whole context, or with `eval_posterior_context = "rewarded"` of its rewarded
    /// steps) and are scored.
    pub fn evaluate(&mut self, tasks: &[Task]) -> Result<EpisodeSummary> {
        Ok(self.evaluate_tasks(tasks)?.0)
    }

    /// [`Trainer::evaluate`] with one record per task (for `drat eval --per-task`).
    pub fn evaluate_tasks(&mut self, tasks: &[Task]) -> Result<(EpisodeSummary, Vec<TaskEval>)> {
        let (od, ad) = (self.agent.obs_dim(), self.agent.act_dim());
        let mut scored = Vec::new();
        let mut records = Vec::new();
        for task in tasks {
            let mut ctx = Batch::default();
            let mut found_at = None;
            let from_prior = self.cfg.train.eval_exploration == Exploration::Prior;
            for e in 0..self.cfg.train.eval_prior_episodes {
                let post = match from_prior {
                    true => None,
                    false => self
                        .agent
                        .posterior(&context_rows(&ctx, od, ad), ctx.len())?,
                };
                let z = self.agent.sample_z(post.as_ref(), &mut self.rng)?;
                let hit = self
                    .episode(
                        task,
                        Actor::Policy {
                            z: &z,
                            deterministic: false,
                        },
                        |t, _| ctx.push(t, f32::NAN),
                    )?
                    .success;
                if hit && found_at.is_none() {
                    found_at = Some(e + 1);
                }
            }
            let rewarded = match self.cfg.train.eval_posterior_context {
                PosteriorContext::Rewarded => Some(rewarded_rows(&ctx)),
                PosteriorContext::All => None,
            };
            let infer_from = rewarded.as_ref().filter(|b| !b.is_empty()).unwrap_or(&ctx);
            let post = self
                .agent
                .posterior(&context_rows(infer_from, od, ad), infer_from.len())?;
            let z: Vec<f32> = match &post {
                Some(p) => p.mean.flatten_all()?.to_vec1()?,
                None => self.agent.sample_z(None, &mut self.rng)?,
            };
            let first = scored.len();
            for _ in 0..self.cfg.train.eval_posterior_episodes {
                let actor = Actor::Policy {
                    z: &z,
                    deterministic: true,
                };
                scored.push(self.episode(task, actor, |_, _| {})?);
            }
            let own = EpisodeSummary::of(&scored[first..]);
            records.push(TaskEval {
                task: task.id,
                goal: task.goal,
                found_at,
                context_steps: ctx.len(),
                context_rewarded: ctx.reward.iter().filter(|&&r| r > 0.0).count(),
                success: own.success,
                ret: own.ret,
            });
        }
        let found = records.iter().filter(|r| r.found_at.is_some()).count();
        let summary = EpisodeSummary {
            explore_success: found as f32 / tasks.len().max(1) as f32,
            ..EpisodeSummary::of(&scored)
        };
        Ok((summary, records))
    }

    /// Meta-test on the configured number of held-out test tasks.
    pub fn evaluate_test(&mut self) -> Result<EpisodeSummary> {
        let n = self.cfg.train.eval_tasks.min(self.tasks.test.len());
        let tasks = self.tasks.test[..n].to_vec();
        self.evaluate(&tasks)
    }

    /// The env maker (robot description and config).
    pub fn maker(&self) -> &EnvMaker {
        &self.maker
    }
}

/// The rows of `b` with a positive reward (with sparse rewards: the steps inside the goal).
fn rewarded_rows(b: &Batch) -> Batch {
    let mut out = Batch::default();
    for i in (0..b.len()).filter(|&i| b.reward[i] > 0.0) {
        out.push(&b.row(i), f32::NAN);
    }
    out
}

/// Context feature rows `[s, a, r, s′]` of a batch.
pub fn context_rows(b: &Batch, od: usize, ad: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(b.len() * context_features(od, ad));
    for i in 0..b.len() {
        out.extend_from_slice(&b.obs[i * od..(i + 1) * od]);
        out.extend_from_slice(&b.action[i * ad..(i + 1) * ad]);
        out.push(b.reward[i]);
        out.extend_from_slice(&b.next_obs[i * od..(i + 1) * od]);
    }
    out
}

fn accumulate(sum: &mut UpdateStats, s: &UpdateStats) {
    sum.q1 += s.q1;
    sum.q2 += s.q2;
    sum.policy += s.policy;
    sum.alpha_loss += s.alpha_loss;
    sum.kl += s.kl;
    sum.alpha += s.alpha;
    sum.entropy += s.entropy;
    sum.q_mean += s.q_mean;
}

fn scale(s: &UpdateStats, k: f32) -> UpdateStats {
    UpdateStats {
        q1: s.q1 * k,
        q2: s.q2 * k,
        policy: s.policy * k,
        alpha_loss: s.alpha_loss * k,
        kl: s.kl * k,
        alpha: s.alpha * k,
        entropy: s.entropy * k,
        q_mean: s.q_mean * k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            };
            b.push(&t, f32::NAN);
        }
        let kept = rewarded_rows(&b);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.obs, [1.0, 1.5, 3.0, 3.5]);
        assert_eq!(kept.action, [-1.0, -3.0]);
        assert_eq!(kept.reward, [1.0, 1.0]);
        assert_eq!(kept.next_obs, [2.0, 2.5, 4.0, 4.5]);
        assert_eq!(kept.terminal, [0.0, 1.0]);
        assert_eq!(kept.achieved, [2.0, 0.0, 4.0, 0.0]);
        assert!(rewarded_rows(&Batch::default()).is_empty());
    }

    /// Actions of the context buffer of train task 0 after one visit drawn as `draw`.
    fn visit_actions(draw: Draw) -> Vec<f32> {
        let sets = ["tasks.n_train=2".to_string()];
        let cfg =
            Config::from_toml_str_with_sets("[env]\nrobot = \"point\"\n", "test", &sets).unwrap();
        let mut t = Trainer::new(&cfg).unwrap();
        t.clear_context(0);
        let eps = t.collect(0, 60, draw).unwrap();
        assert_eq!(eps.len(), 3);
        let cb = &t.context_buffers[0];
        let mut b = Batch::default();
        cb.gather_into(&cb.trajectories().concat(), &mut b);
        assert_eq!(
            b.len(),
            60,
            "the context holds exactly this visit's transitions"
        );
        b.action
    }

    /// Posterior-sampling context collection: the first episode draws z from the prior (same
    /// random stream, so the same actions as prior collection), the next ones from the
    /// posterior of what the visit gathered (other z, other actions).
    #[test]
    fn posterior_sampling_collection_starts_from_the_prior_then_uses_the_posterior() {
        let prior = visit_actions(Draw::Prior);
        let sampled = visit_actions(Draw::PosteriorSampling);
        let ep = 20 * 2; // one 20-step episode of 2-D actions
        assert_eq!(prior[..ep], sampled[..ep]);
        assert_ne!(prior[ep..2 * ep], sampled[ep..2 * ep]);
        assert_ne!(prior[2 * ep..], sampled[2 * ep..]);
    }
}
