//! Meta-training (PEARL, Rakelly et al. 2019), one iteration read top to bottom in
//! [`Trainer::iteration`]: collect on a sample of train tasks (batched over envs, see
//! `rollout.rs`), let the transfer strategy move experience between tasks, then take gradient
//! steps on meta-batches of tasks. Meta-test is its own protocol (`meta_test.rs`).
//!
//! Everything a resumed run needs besides the agent's parameters and optimizer is one value,
//! [`TrainState`], which checkpoints save whole.

use rand::seq::index::sample as sample_indices;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use super::meta_test::{meta_test, TaskEval, MAX_EVAL_ENVS};
use super::rollout::{collect, Buffers, CollectSettings, Draw, EpisodeSummary, Visit};
use crate::agent::{Agent, UpdateStats};
use crate::config::{
    Config, ContextBuffer, Exploration, InitialActions, RatioSource, TransferStrategy,
};
use crate::data::buffer::TaskBuffer;
use crate::data::meta_batch::MetaBatch;
use crate::data::moved::MovedBuffer;
use crate::data::trajectory::Trajectory;
use crate::env::recording::{EpisodeRecord, RecordingEnv};
use crate::env::vec_env::VecEnv;
use crate::env::{Env, EnvMaker, Task, TaskSet};
use crate::error::{Error, Result};
use crate::transfer::ratio::RatioModel;
use crate::transfer::strategy::{Strategy, TrainView, TransferStats};

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

/// The training state besides the agent: counters, the RNG every training draw comes from,
/// and every experience buffer. Checkpoints save it whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Iterations done.
    pub iteration: usize,
    /// Env steps done.
    pub env_steps: u64,
    /// Gradient steps done.
    pub updates: u64,
    /// Training episodes started (drives reset seeds).
    pub episodes: u64,
    /// Every random draw of training comes from here (meta-test has its own stream).
    pub rng: Pcg64,
    /// RL buffer, one per train task.
    pub rl: Vec<TaskBuffer>,
    /// Recent context-gathering data per train task (PEARL's encoder buffer).
    pub context: Vec<TaskBuffer>,
    /// Transitions moved into each train task from others (HFR, DR, DRaE).
    pub moved: Vec<MovedBuffer>,
}

/// Config, tasks, agent, state, the transfer strategy and the envs.
pub struct Trainer {
    /// The resolved configuration.
    pub cfg: Config,
    /// Train and test tasks.
    pub tasks: TaskSet,
    /// The learner.
    pub agent: Agent,
    /// Counters, RNG and experience buffers.
    pub state: TrainState,
    strategy: Box<dyn Strategy>,
    /// The learned dynamics ratio (`transfer.ratio = "learned"`), trained each iteration on
    /// the train tasks' own transitions before transfer.
    pub ratio: Option<RatioModel>,
    maker: EnvMaker,
    /// Training's envs: one per episode an iteration can run side by side ([`train_envs`]).
    envs: VecEnv,
    /// Meta-test's envs (made on first use).
    eval_envs: Option<VecEnv>,
    env_threads: usize,
}

impl Trainer {
    /// Sets up tasks, agent, buffers, envs and RNG from `cfg`. Envs step on as many threads
    /// as the global rayon pool has (`--threads`); results do not depend on it.
    pub fn new(cfg: &Config) -> Result<Self> {
        Self::with_env_threads(cfg, rayon::current_num_threads())
    }

    /// [`Trainer::new`] with envs stepped on `threads` threads.
    pub fn with_env_threads(cfg: &Config, threads: usize) -> Result<Self> {
        let maker = EnvMaker::new(cfg)?;
        let tasks = maker.task_set()?;
        let envs = make_envs(
            &maker,
            &tasks.train,
            train_envs(cfg, tasks.train.len()),
            threads,
        )?;
        let (od, ad) = (envs.obs_dim(), envs.act_dim());
        let mut rng = Pcg64::seed_from_u64(cfg.train.seed);
        let agent = Agent::new(&cfg.agent, od, ad, &mut rng)?;
        let n = tasks.train.len();
        let ratio = (cfg.transfer.strategy == TransferStrategy::Drae
            && cfg.transfer.ratio == RatioSource::Learned)
            .then(|| RatioModel::new(&cfg.transfer.learned_ratio, od, ad, n, &mut rng))
            .transpose()?;
        let tr = &cfg.train;
        let context_window = tr
            .steps_prior
            .max(tr.initial_steps_per_task)
            .max(tr.context_size);
        let state = TrainState {
            iteration: 0,
            env_steps: 0,
            updates: 0,
            episodes: 0,
            rng,
            rl: (0..n)
                .map(|_| TaskBuffer::new(od, ad, tr.buffer_capacity))
                .collect(),
            context: (0..n)
                .map(|_| TaskBuffer::new(od, ad, context_window))
                .collect(),
            moved: (0..n)
                .map(|_| MovedBuffer::new(od, ad, cfg.transfer.capacity))
                .collect(),
        };
        Ok(Trainer {
            cfg: cfg.clone(),
            tasks,
            agent,
            state,
            strategy: crate::transfer::build(&cfg.transfer),
            ratio,
            maker,
            envs,
            eval_envs: None,
            env_threads: threads,
        })
    }

    /// The transfer strategy's name.
    pub fn strategy_name(&self) -> &'static str {
        self.strategy.name()
    }

    /// Memory of the experience buffers when every one is full (bytes).
    pub fn buffer_capacity_bytes(&self) -> usize {
        let s = &self.state;
        let rows =
            s.rl.iter()
                .chain(&s.context)
                .chain(s.moved.iter().map(|m| &m.rows));
        rows.map(|b| b.capacity_bytes()).sum()
    }

    /// One meta-training iteration: collect, transfer, then `updates_per_iteration` gradient
    /// steps.
    pub fn iteration(&mut self) -> Result<IterationStats> {
        if self.state.iteration == 0 && self.state.env_steps == 0 {
            self.initial_collection()?;
        }
        let t0 = std::time::Instant::now();
        let steps_before = self.state.env_steps;
        let tr = self.cfg.train.clone();

        // ALGORITHM: collect on a sample of train tasks (PEARL), batched over envs.
        let (stats, episodes) = self.collect_iteration()?;
        let collect_s = t0.elapsed().as_secs_f64();

        // ALGORITHM: the learned dynamics ratio's classifiers train on each task's own data
        // (their time counts as update time).
        let t_ratio = std::time::Instant::now();
        if let Some(m) = self.ratio.as_mut() {
            m.train(
                &self.state.rl,
                m.cfg.updates_per_iteration,
                &mut self.state.rng,
            )?;
        }
        // ALGORITHM: transfer — the strategy moves experience between tasks.
        let (strategy, view, moved, rng) = self.parts();
        let ratio_s = t_ratio.elapsed().as_secs_f64();
        let transfer = strategy.after_collection(&view, episodes, moved, rng)?;

        // ALGORITHM: gradient steps on meta-batches (SAC + encoder, see agent/update.rs).
        let t1 = std::time::Instant::now();
        let mut sum = UpdateStats::default();
        for _ in 0..tr.updates_per_iteration {
            let batch = self.meta_batch()?;
            let u = self.agent.update(&batch, &mut self.state.rng)?;
            self.check_finite(&u)?;
            self.state.updates += 1;
            sum.add(&u);
        }
        self.state.iteration += 1;
        Ok(IterationStats {
            iteration: self.state.iteration,
            train: stats,
            update: sum.scaled(1.0 / tr.updates_per_iteration.max(1) as f32),
            env_steps: self.state.env_steps,
            updates: self.state.updates,
            collected_steps: self.state.env_steps - steps_before,
            iteration_updates: tr.updates_per_iteration as u64,
            collect_s,
            update_s: t1.elapsed().as_secs_f64() + ratio_s,
            transfer,
        })
    }

    /// One iteration's collection: `tasks_per_iteration` visits of random train tasks; each
    /// refreshes the task's context (prior z or posterior sampling), then collects RL data
    /// with posterior z. Returns the episodes' summary and, when the strategy keeps them (from
    /// the second iteration on), the complete episodes.
    pub fn collect_iteration(&mut self) -> Result<(EpisodeSummary, Vec<Trajectory>)> {
        let tr = &self.cfg.train;
        let prior_draw = match tr.context_exploration {
            Exploration::Prior => Draw::Prior,
            Exploration::Posterior => Draw::PosteriorSampling,
        };
        let posterior_draw = match tr.posterior_feeds_context {
            true => Draw::PosteriorContext,
            false => Draw::Posterior,
        };
        let phases = vec![
            (tr.steps_prior, prior_draw),
            (tr.steps_posterior, posterior_draw),
        ];
        let n_train = self.tasks.train.len();
        let visits = (0..tr.tasks_per_iteration)
            .map(|_| Visit {
                task: self.state.rng.random_range(0..n_train),
                phases: phases.clone(),
            })
            .collect();
        let keep = self.strategy.keeps_episodes() && self.state.iteration > 0;
        self.collect(visits, keep)
    }

    /// Initial exploration on every train task: prior z (PEARL), or held uniform random
    /// actions (`train.initial_actions = "held-uniform"`).
    pub fn initial_collection(&mut self) -> Result<EpisodeSummary> {
        let draw = match self.cfg.train.initial_actions {
            InitialActions::Policy => Draw::Prior,
            InitialActions::HeldUniform => Draw::HeldUniform,
        };
        let steps = self.cfg.train.initial_steps_per_task;
        let visits = (0..self.tasks.train.len())
            .map(|k| Visit {
                task: k,
                phases: vec![(steps, draw)],
            })
            .collect();
        Ok(self.collect(visits, false)?.0)
    }

    /// Runs `visits` on the training envs (see [`collect`] for how they share them).
    fn collect(
        &mut self,
        visits: Vec<Visit>,
        keep: bool,
    ) -> Result<(EpisodeSummary, Vec<Trajectory>)> {
        let settings = CollectSettings {
            tasks: &self.tasks.train,
            seed: self.cfg.train.seed,
            context_size: self.cfg.train.context_size,
            keep_episodes: keep,
            horizon: self.cfg.env.horizon,
            accumulate_context: self.cfg.train.context_buffer == ContextBuffer::Accumulate,
        };
        let s = &mut self.state;
        let buffers = Buffers {
            rl: &mut s.rl,
            context: &mut s.context,
        };
        let out = collect(
            &mut self.envs,
            &self.agent,
            buffers,
            visits,
            &settings,
            &mut s.episodes,
            &mut s.rng,
        )?;
        s.env_steps += out.env_steps;
        Ok((EpisodeSummary::of(&out.stats), out.episodes))
    }

    /// A meta-batch: `meta_batch` train tasks (without replacement where possible), each
    /// with `batch_size` transitions and `context_size` context transitions, as the transfer
    /// strategy fills them.
    pub fn meta_batch(&mut self) -> Result<MetaBatch> {
        let (mb, per_task, context_len) = {
            let tr = &self.cfg.train;
            (tr.meta_batch, tr.batch_size, tr.context_size)
        };
        let n_train = self.tasks.train.len();
        let (strategy, view, moved, rng) = self.parts();
        let ids: Vec<usize> = if mb <= n_train {
            sample_indices(rng, n_train, mb).into_vec()
        } else {
            (0..mb).map(|_| rng.random_range(0..n_train)).collect()
        };
        let mut batch = MetaBatch::with_sizes(per_task, context_len);
        for &k in &ids {
            strategy.task_batch(&view, k, moved, &mut batch, rng)?;
        }
        batch.n_tasks = ids.len();
        Ok(batch)
    }

    fn check_finite(&self, u: &UpdateStats) -> Result<()> {
        for (name, v) in [
            ("q1", u.q1),
            ("q2", u.q2),
            ("policy", u.policy),
            ("kl", u.kl),
        ] {
            if !v.is_finite() {
                return Err(Error::Diverged(format!(
                    "loss/{name} = {v} at update {} (iteration {})",
                    self.state.updates + 1,
                    self.state.iteration + 1
                )));
            }
        }
        Ok(())
    }

    /// Meta-test (see `meta_test.rs`) on `tasks` with the config's `[eval]` settings, on the
    /// stream of the current iteration; `seed` replaces `eval.seed`/`train.seed` as its base.
    pub fn evaluate_tasks(
        &mut self,
        tasks: &[Task],
        seed: Option<u64>,
    ) -> Result<(EpisodeSummary, Vec<TaskEval>)> {
        let n = tasks.len().clamp(1, MAX_EVAL_ENVS);
        let mut envs = match self.eval_envs.take() {
            Some(v) if v.len() == n => v,
            _ => make_envs(&self.maker, &self.tasks.train, n, self.env_threads)?,
        };
        let e = &self.cfg.eval;
        let base = seed.or(e.seed).unwrap_or(self.cfg.train.seed);
        let out = meta_test(&self.agent, e, tasks, &mut envs, base, self.state.iteration);
        self.eval_envs = Some(envs);
        out
    }

    /// [`Trainer::evaluate_tasks`] on fresh envs that record every episode (with body poses
    /// when `poses`): the same protocol, stream and results, plus the episodes in the order
    /// each env ran them.
    pub fn evaluate_recorded(
        &self,
        tasks: &[Task],
        seed: Option<u64>,
        poses: bool,
    ) -> Result<(EpisodeSummary, Vec<TaskEval>, Vec<EpisodeRecord>)> {
        let n = tasks.len().clamp(1, MAX_EVAL_ENVS);
        let train = &self.tasks.train;
        let mut logs = Vec::with_capacity(n);
        let mut envs: Vec<Box<dyn Env>> = Vec::with_capacity(n);
        for k in 0..n {
            let (env, log) =
                RecordingEnv::new(self.maker.make(train[k % train.len()].clone())?, poses);
            envs.push(Box::new(env));
            logs.push(log);
        }
        let mut venv = VecEnv::new(envs, self.env_threads, 0)?;
        let e = &self.cfg.eval;
        let base = seed.or(e.seed).unwrap_or(self.cfg.train.seed);
        let (summary, records) =
            meta_test(&self.agent, e, tasks, &mut venv, base, self.state.iteration)?;
        drop(venv);
        let mut episodes = Vec::new();
        for log in logs {
            let mut log = log
                .lock()
                .map_err(|_| Error::Action("episode log poisoned by a panic".into()))?;
            episodes.extend(
                std::mem::take(&mut *log)
                    .into_iter()
                    .filter(|e| e.steps() > 0 || e.blowup_step.is_some()),
            );
        }
        Ok((summary, records, episodes))
    }

    /// Meta-test on the first `eval.tasks` held-out tasks.
    pub fn evaluate_test(&mut self) -> Result<EpisodeSummary> {
        let n = self.cfg.eval.tasks.min(self.tasks.test.len());
        let tasks = self.tasks.test[..n].to_vec();
        Ok(self.evaluate_tasks(&tasks, None)?.0)
    }

    /// What a transfer strategy (or `drat diagnose`) sees of the trainer, and the moved
    /// buffers.
    pub fn view(&self) -> (TrainView<'_>, &[MovedBuffer]) {
        let s = &self.state;
        let view = TrainView {
            iteration: s.iteration,
            agent: &self.agent,
            cfg: &self.cfg,
            tasks: &self.tasks.train,
            rl: &s.rl,
            context: &s.context,
            ratio: self.ratio.as_ref(),
        };
        (view, &s.moved)
    }

    /// The strategy with what it reads and what it may change.
    fn parts(&mut self) -> (&dyn Strategy, TrainView<'_>, &mut [MovedBuffer], &mut Pcg64) {
        let TrainState {
            iteration,
            rl,
            context,
            moved,
            rng,
            ..
        } = &mut self.state;
        let view = TrainView {
            iteration: *iteration,
            agent: &self.agent,
            cfg: &self.cfg,
            tasks: &self.tasks.train,
            rl,
            context,
            ratio: self.ratio.as_ref(),
        };
        (self.strategy.as_ref(), view, moved, rng)
    }

    /// The env maker (robot description and config).
    pub fn maker(&self) -> &EnvMaker {
        &self.maker
    }
}

/// The most envs training collects on.
pub const MAX_TRAIN_ENVS: usize = 32;

/// Envs of training's collection: one per episode an iteration's visits can run side by side
/// (`tasks_per_iteration × ceil(phase steps / horizon)`), at most [`MAX_TRAIN_ENVS`]. It does
/// not depend on the thread count, so neither do the results.
pub fn train_envs(cfg: &Config, n_train: usize) -> usize {
    let tr = &cfg.train;
    let per_visit = tr
        .steps_prior
        .max(tr.steps_posterior)
        .div_ceil(cfg.env.horizon.max(1));
    (tr.tasks_per_iteration.min(n_train) * per_visit.max(1)).clamp(1, MAX_TRAIN_ENVS)
}

/// `n` envs (made on train tasks, cycled; every episode sets its own task and reset seed) on
/// `threads` threads.
fn make_envs(maker: &EnvMaker, train: &[Task], n: usize, threads: usize) -> Result<VecEnv> {
    let n = n.max(1);
    let envs = (0..n)
        .map(|k| maker.make(train[k % train.len()].clone()))
        .collect::<Result<Vec<_>>>()?;
    VecEnv::new(envs, threads, 0)
}

/// Env steps per second of the training loop's collection ([`Trainer::collect_iteration`],
/// batched policy and physics) with envs on `threads` threads, over `iterations` iterations
/// after the initial collection. Measures the same code path training runs.
pub fn collection_speed(cfg: &Config, threads: usize, iterations: usize) -> Result<f64> {
    let mut t = Trainer::with_env_threads(cfg, threads)?;
    t.initial_collection()?;
    let before = t.state.env_steps;
    let start = std::time::Instant::now();
    for _ in 0..iterations {
        t.collect_iteration()?;
    }
    Ok((t.state.env_steps - before) as f64 / start.elapsed().as_secs_f64().max(1e-9))
}
