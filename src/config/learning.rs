//! The learner (`[agent]`), the meta-training loop (`[train]`) and meta-test (`[eval]`).

use serde::{Deserialize, Serialize};

/// The learner: SAC conditioned on PEARL's latent task variable. Defaults follow PEARL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Infer z from context (PEARL); false = plain SAC without z.
    pub use_context: bool,
    /// Hidden sizes of the policy and Q networks.
    pub hidden: Vec<usize>,
    /// Hidden sizes of the context encoder.
    pub encoder_hidden: Vec<usize>,
    /// Size of z.
    pub latent_dim: usize,
    /// Adam learning rate of every network.
    pub lr: f64,
    /// Discount γ.
    pub gamma: f64,
    /// Polyak rate τ of the target Q networks.
    pub tau: f64,
    /// Rewards are multiplied by this in the critic target.
    pub reward_scale: f64,
    /// Weight of the KL term of the encoder.
    pub kl_lambda: f64,
    /// Initial entropy temperature α.
    pub init_alpha: f32,
}

/// The meta-training loop (names follow PEARL where it has them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Seed of networks, exploration and sampling.
    pub seed: u64,
    /// Meta-training iterations.
    pub iterations: usize,
    /// Steps collected on every train task before training.
    pub initial_steps_per_task: usize,
    /// Actions of that initial collection: `policy` (the untrained policy with prior z, as in
    /// PEARL) or `held-uniform` (each episode holds one uniform random action throughout:
    /// temporally extended exploration that reaches far from the start, where a fresh
    /// policy's jitter stays near it).
    #[serde(default)]
    pub initial_actions: InitialActions,
    /// How the context-gathering (`steps_prior`) episodes draw z: `prior` (PEARL: each an
    /// independent prior draw) or `posterior` (posterior sampling, as at meta-test: the first
    /// from the prior, each next from the posterior of what this visit gathered so far).
    #[serde(default = "Exploration::prior")]
    pub context_exploration: Exploration,
    /// Train tasks visited per iteration.
    pub tasks_per_iteration: usize,
    /// Steps collected with prior z per visited task (also feed the context buffer).
    pub steps_prior: usize,
    /// Steps collected with posterior z per visited task: z from the posterior of
    /// `context_size` transitions drawn from the task's context buffer, drawn afresh before
    /// each episode. RL buffer only, unless `posterior_feeds_context`.
    pub steps_posterior: usize,
    /// Whether the `steps_posterior` episodes also feed the task's context buffer — oyster's
    /// `num_steps_posterior` (`rl_algorithm.py`, `collect_data(n, 1, update_post_train)`:
    /// the first episode with a prior z, each next with z from the posterior of a context
    /// drawn from the encoder buffer, which they feed). `false` is its
    /// `num_extra_rl_steps_posterior` (RL buffer only; episodes independent of each other).
    /// (Left out of the written config when false, so configs from before it hash as before.)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub posterior_feeds_context: bool,
    /// What a visit's gathered context does to the task's context buffer: `replace` it
    /// (PEARL, oyster's per-visit `enc_replay_buffer.task_buffers[idx].clear()`) or
    /// `accumulate` (appended; the buffer keeps every context-feeding episode of the task up
    /// to `buffer_capacity`, the initial collection's included). With sparse rewards a
    /// replaced buffer holds a reward only when this visit found the goal; an accumulated one
    /// keeps every find. (Left out of the written config when `replace`.)
    #[serde(default, skip_serializing_if = "ContextBuffer::is_replace")]
    pub context_buffer: ContextBuffer,
    /// Gradient steps per iteration.
    pub updates_per_iteration: usize,
    /// Transitions per task in an update.
    pub batch_size: usize,
    /// Tasks per update.
    pub meta_batch: usize,
    /// Context transitions per task.
    pub context_size: usize,
    /// Replay capacity per task (transitions).
    pub buffer_capacity: usize,
    /// Write a checkpoint every this many iterations (and after the last).
    pub checkpoint_every: usize,
    /// Rewards in the critic's (RL) batches: `env` (the env's reward, as stored) or `dense`
    /// (−distance to the task's goal plus the control cost, recomputed from the stored
    /// `achieved` positions). `dense` is the reference PEARL protocol for the sparse point
    /// robot: its critic trains on dense rewards while the encoder's context, meta-test and
    /// every reported return and success use the env's sparse reward.
    #[serde(default)]
    pub critic_reward: CriticReward,
}

/// Meta-test (PEARL's online adaptation on held-out tasks): `exploration_episodes` episodes
/// gather context, then `scored_episodes` act with the posterior mean and are scored. It draws
/// from its own random stream, seeded from (`seed` or `train.seed`, iteration), so nothing here
/// changes training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalConfig {
    /// Meta-test every this many iterations (and after the last).
    pub every: usize,
    /// Held-out tasks meta-tested (at most `tasks.n_test`).
    pub tasks: usize,
    /// Context-gathering episodes per task.
    pub exploration_episodes: usize,
    /// How they draw z: `posterior` (posterior sampling: the first from the prior, each next
    /// one from the posterior of the context so far) or `prior` (each an independent prior
    /// draw; the posterior is formed once, after them).
    pub exploration: Exploration,
    /// Which context transitions the scored episodes' posterior is inferred from: `all`
    /// (PEARL) or `rewarded` (only those with a positive reward, when there are any). With
    /// sparse rewards a long exploration context is mostly unrewarded steps, each a factor of
    /// the product of Gaussians; together they can outweigh the few steps inside the goal,
    /// which alone say where it is.
    pub posterior_context: PosteriorContext,
    /// Episodes after exploration, before scoring, each with z sampled from the posterior of
    /// the context so far and added to it (oyster's meta-test: its trajectories after
    /// `num_exp_traj_eval`); not scored. Default 0.
    #[serde(default)]
    pub adapt_episodes: usize,
    /// Exploration and adaptation episodes act deterministically (oyster's
    /// `eval_deterministic`, applied to every meta-test trajectory). Default false.
    #[serde(default)]
    pub deterministic_exploration: bool,
    /// Scored episodes per task (deterministic policy).
    pub scored_episodes: usize,
    /// Which z the scored episodes act with: `mean` (the posterior mean, default) or `sample`
    /// (a posterior sample per episode, as oyster scores its last trajectory).
    #[serde(default)]
    pub scored_z: ScoredZ,
    /// Independent repeats of the whole protocol per task, averaged (oyster's `num_evals`).
    /// Default 1.
    #[serde(default = "one")]
    pub runs: usize,
    /// Base of the meta-test's random stream (default: `train.seed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

fn one() -> usize {
    1
}

/// The scored episodes' z at meta-test (`EvalConfig::scored_z`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoredZ {
    /// The posterior mean.
    #[default]
    Mean,
    /// A sample of the posterior.
    Sample,
}

/// Context of the scored posterior at meta-test (`EvalConfig::posterior_context`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PosteriorContext {
    /// Every exploration transition.
    #[default]
    All,
    /// The transitions with a positive reward; all of them while there are none.
    Rewarded,
}

/// Actions of the initial collection (see `TrainConfig::initial_actions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InitialActions {
    /// The untrained policy with z from the prior.
    #[default]
    Policy,
    /// One uniform random action per episode, held for all its steps.
    HeldUniform,
}

/// How exploration episodes draw z (`EvalConfig::exploration`,
/// `TrainConfig::context_exploration`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exploration {
    /// Posterior sampling: each episode's z from the posterior of the context so far.
    #[default]
    Posterior,
    /// Each episode's z an independent draw from the prior N(0, I).
    Prior,
}

impl Exploration {
    fn prior() -> Self {
        Self::Prior
    }
}

/// What a visit's context does to the task's context buffer (`TrainConfig::context_buffer`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextBuffer {
    /// Replaces it (PEARL).
    #[default]
    Replace,
    /// Is appended to it.
    Accumulate,
}

impl ContextBuffer {
    fn is_replace(&self) -> bool {
        *self == ContextBuffer::Replace
    }
}

/// Which reward the critic's batches carry (see `TrainConfig::critic_reward`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CriticReward {
    /// The env's reward, as stored in the buffers.
    #[default]
    Env,
    /// Dense −distance to the task's goal (plus control cost), recomputed from `achieved`.
    Dense,
}
