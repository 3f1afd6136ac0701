//! Moving experience between tasks (`[transfer]`): which method, how much, and the estimators'
//! guards; also the names of the methods and estimator variants a config can choose, which
//! `crate::transfer` implements (config is below it, so the names live here).

use serde::{Deserialize, Serialize};

/// Transfer between tasks: which strategy, how much, and the estimators' guards.
/// See [`crate::transfer`] for the methods and the ratio convention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransferConfig {
    /// `none` (PEARL), `htr`, `hfr`, `dr`, `drae` (DRaT) or `drae-slide` (DRaT with the slide's
    /// ρ̂d, for the ablation).
    pub strategy: TransferStrategy,
    /// HTR: probability that a task slot of a meta-batch becomes a hindsight pseudo-task.
    pub relabel_prob: f32,
    /// HTR: which achieved positions may become a pseudo-goal: `any-step` (a uniformly drawn
    /// step of the episode) or `task-distance` (only steps whose distance from the origin lies
    /// in the task family's goal distances widened by the goal radius, so pseudo-tasks look
    /// like the family's; an episode with no such step is not relabeled). (Left out of the
    /// written config when `any-step`.)
    #[serde(skip_serializing_if = "HtrGoals::is_any_step")]
    pub htr_goals: HtrGoals,
    /// HFR/DR/DRaE: share of each iteration's collected trajectories relabeled to another task.
    pub fraction: f32,
    /// HFR/DR/DRaE: share of a task's RL batch drawn from the samples transferred to it.
    pub batch_share: f32,
    /// Transferred transitions kept per task (oldest dropped first).
    pub capacity: usize,
    /// Contexts per task for the partition function log Z_j.
    pub partition_contexts: usize,
    /// Temperature of the target-task softmax, in (unscaled) return units.
    pub temperature: f32,
    /// Clip range of the policy ratio ρπ.
    pub rho_pi_clip: [f32; 2],
    /// Upper clip of the dynamics ratio ρ̂d (lower clip is 0).
    pub rho_d_max: f32,
    /// DRaE guard: |γ·Ṽ_ij(t+1)| below this uses ρ̂d = 1.
    pub eps: f32,
    /// DRaE rule for picking ρ̂d from the interval of minimisers: `closest-to-one` or
    /// `midpoint`.
    pub interval_rule: IntervalRule,
    /// What DRaE's rewards depend on: `of-next-state` (the robots' goal reward is a function
    /// of the position after the step, so ρ̂d weights `r_j + γ·Ṽ`) or `of-step` (the
    /// specification's `r_j + ρ̂d·γ·Ṽ`; biased here, for the ablation). The slide variant and
    /// the oracle DR ignore it (literal slide; DR always weights next-state rewards).
    pub reward: Reward,
    /// Recompute moved trajectories' critic targets with the current networks every this many
    /// iterations (1 = every iteration; 0 = never: targets frozen at move time, the ablation).
    pub refresh_every: usize,
    /// The trajectory utility that picks the target task: `trajectory` (mean of the per-step
    /// values over the whole trajectory) or `start` (the start-state value alone).
    pub utility: Utility,
    /// Moved (relabeled) rows also feed the task's context for the encoder, in the same share
    /// as the RL batch (`batch_share`), as HFR's reference code adds relabeled paths to the
    /// target task's encoder buffer.
    pub relabeled_context: bool,
    /// DRaT's dynamics ratio ρd (`strategy = "drae"` only): `critic-interval` (DRaE's ρ̂d, picked
    /// inside the interval the twin critics allow), `learned` (the point value of a classifier
    /// estimate, [`crate::transfer::ratio`]) or `exact` (the noisy point robot's true ratio).
    /// (Left out of the written config when `critic-interval`.)
    #[serde(skip_serializing_if = "RatioSource::is_critic_interval")]
    pub ratio: RatioSource,
    /// The learned ratio's classifiers (`ratio = "learned"`). (Left out of the written config
    /// when at its defaults.)
    #[serde(skip_serializing_if = "LearnedRatioConfig::is_default")]
    pub learned_ratio: LearnedRatioConfig,
}

/// Where DRaT's dynamics ratio comes from (`transfer.ratio`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RatioSource {
    /// DRaE's ρ̂d from the twin critics' interval.
    #[default]
    CriticInterval,
    /// A DARC-style classifier estimate of p_j(s′|s,a)/p_i(s′|s,a), trained on the train
    /// tasks' own transitions.
    Learned,
    /// The exact ratio of the noisy point robot's transition densities (the oracle).
    Exact,
}

impl RatioSource {
    fn is_critic_interval(&self) -> bool {
        *self == RatioSource::CriticInterval
    }

    /// The name used in configs and run names.
    pub fn name(self) -> &'static str {
        match self {
            RatioSource::CriticInterval => "critic-interval",
            RatioSource::Learned => "learned",
            RatioSource::Exact => "exact",
        }
    }
}

/// The learned dynamics ratio's two classifiers (on (s, a, s′ − s) and on (s, a)) and how they
/// train (`[transfer.learned_ratio]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LearnedRatioConfig {
    /// Hidden layer widths of each classifier.
    pub hidden: Vec<usize>,
    /// Adam learning rate.
    pub lr: f64,
    /// Gradient steps per training iteration (each on both classifiers).
    pub updates_per_iteration: usize,
    /// Rows per train task in each classifier batch (classes are balanced).
    pub batch_per_task: usize,
    /// Std of the Gaussian noise added to the standardized inputs while training (DARC's
    /// classifier input noise; smooths the classifiers so their log-odds difference is not
    /// dominated by where the tasks' data lie).
    pub input_noise_std: f32,
}

impl Default for LearnedRatioConfig {
    fn default() -> Self {
        LearnedRatioConfig {
            hidden: vec![64, 64],
            lr: 1e-3,
            updates_per_iteration: 20,
            batch_per_task: 64,
            input_noise_std: 0.3,
        }
    }
}

impl LearnedRatioConfig {
    fn is_default(&self) -> bool {
        *self == LearnedRatioConfig::default()
    }
}

/// Which achieved positions HTR may relabel to (`transfer.htr_goals`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HtrGoals {
    /// Any step's.
    #[default]
    AnyStep,
    /// Those at a goal distance of the task family (± the goal radius).
    TaskDistance,
}

impl HtrGoals {
    fn is_any_step(&self) -> bool {
        *self == HtrGoals::AnyStep
    }
}

/// Which states a trajectory's utility for a task averages over (`transfer.utility`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Utility {
    /// The mean of the per-step values over the whole trajectory.
    #[default]
    Trajectory,
    /// The start state's value alone (the start is the same for every episode here, so it
    /// says little about what the trajectory did).
    Start,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            strategy: TransferStrategy::None,
            relabel_prob: 0.5,
            htr_goals: HtrGoals::AnyStep,
            fraction: 0.5,
            batch_share: 0.25,
            capacity: 20_000,
            partition_contexts: 4,
            temperature: 1.0,
            rho_pi_clip: [0.1, 10.0],
            rho_d_max: 2.0,
            eps: 1e-3,
            interval_rule: IntervalRule::ClosestToOne,
            reward: Reward::OfNextState,
            refresh_every: 1,
            utility: Utility::Trajectory,
            relabeled_context: true,
            ratio: RatioSource::CriticInterval,
            learned_ratio: LearnedRatioConfig::default(),
        }
    }
}

/// How the meta-training loop moves experience between tasks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransferStrategy {
    /// Plain PEARL: every task learns from its own data.
    #[default]
    None,
    /// Hindsight task relabeling: episodes become pseudo-tasks whose goal they reached.
    Htr,
    /// Hindsight foresight relabeling: trajectories go to the task whose inferred z values
    /// them most; the critic bootstraps as usual (dynamics shift is ignored).
    Hfr,
    /// Like DRaT but with the exact dynamics ratio (needs exact transition densities: the
    /// noisy point robot). The oracle reference.
    Dr,
    /// DRaT: target task chosen and transferred samples valued with DRaE (derived ρ̂d).
    Drae,
    /// DRaT with the seed slide's literal ρ̂d (ablation).
    DraeSlide,
}

impl TransferStrategy {
    /// The name used in configs and reports.
    pub fn name(self) -> &'static str {
        match self {
            TransferStrategy::None => "none",
            TransferStrategy::Htr => "htr",
            TransferStrategy::Hfr => "hfr",
            TransferStrategy::Dr => "dr",
            TransferStrategy::Drae => "drae",
            TransferStrategy::DraeSlide => "drae-slide",
        }
    }

    /// The method a run of this strategy is named and grouped by: `sac` without context,
    /// `pearl` without transfer, else the strategy's name.
    pub fn method_name(self, use_context: bool) -> &'static str {
        match (use_context, self) {
            (false, _) => "sac",
            (true, TransferStrategy::None) => "pearl",
            (true, s) => s.name(),
        }
    }
}

/// How to pick ρ̂d from the interval of minimisers implied by `[v_lo, v_hi]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntervalRule {
    /// The point of the interval closest to 1.
    #[default]
    ClosestToOne,
    /// The interval's midpoint.
    Midpoint,
}

/// What a step's reward depends on, which decides what the dynamics ratio weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reward {
    /// `r(s_t, a_t)`: ρd weights only the next value (the specification's form).
    OfStep,
    /// `r(s_{t+1})` (the robots' goal reward): ρd weights reward and next value.
    #[default]
    OfNextState,
}
