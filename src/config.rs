//! Every knob of a run, as serde structs read from TOML. Defaults are the embedded files in
//! `assets/configs/` (one per robot); a user file only states what it changes: it is merged
//! over the default of its `env.robot`, then checked with [`Config::validate`]. Unknown fields
//! are errors that name the field.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sim::dynamics::{check_range, DynamicsRanges};
use crate::sim::{Control, SimSettings};

/// Default config of the quadruped task family.
pub const QUADRUPED_TOML: &str = include_str!("../assets/configs/quadruped.toml");
/// Default config of the runner task family.
pub const RUNNER_TOML: &str = include_str!("../assets/configs/runner.toml");
/// Default config of the Unitree A1 family.
pub const A1_TOML: &str = include_str!("../assets/configs/a1.toml");
/// Default config of the point-robot task family.
pub const POINT_TOML: &str = include_str!("../assets/configs/point.toml");

/// A whole run's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Robot and simulation.
    pub env: EnvConfig,
    /// Reward terms.
    pub reward: RewardConfig,
    /// Task family: goals, dynamics ranges, train/test split.
    pub tasks: TasksConfig,
    /// Networks and losses of the learner.
    pub agent: AgentConfig,
    /// The meta-training loop.
    pub train: TrainConfig,
    /// Meta-test: how held-out tasks are evaluated (never changes what is trained).
    pub eval: EvalConfig,
    /// Moving experience between tasks (off by default: plain PEARL).
    #[serde(default)]
    pub transfer: TransferConfig,
}

/// Transfer between tasks: which strategy, how much, and the estimators' guards.
/// See [`crate::transfer`] for the methods and the ratio convention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransferConfig {
    /// `none` (PEARL), `htr`, `hfr`, `dr`, `drae` (DRaT) or `drae-slide` (DRaT with the slide's
    /// ρ̂d, for the ablation).
    pub strategy: crate::transfer::TransferStrategy,
    /// HTR: probability that a task slot of a meta-batch becomes a hindsight pseudo-task.
    pub relabel_prob: f32,
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
    pub interval_rule: crate::transfer::estimators::IntervalRule,
    /// What DRaE's rewards depend on: `of-next-state` (the robots' goal reward is a function
    /// of the position after the step, so ρ̂d weights `r_j + γ·Ṽ`) or `of-step` (the
    /// specification's `r_j + ρ̂d·γ·Ṽ`; biased here, for the ablation). The slide variant and
    /// the oracle DR ignore it (literal slide; DR always weights next-state rewards).
    pub reward: crate::transfer::estimators::Reward,
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
            strategy: crate::transfer::TransferStrategy::None,
            relabel_prob: 0.5,
            fraction: 0.5,
            batch_share: 0.25,
            capacity: 20_000,
            partition_contexts: 4,
            temperature: 1.0,
            rho_pi_clip: [0.1, 10.0],
            rho_d_max: 2.0,
            eps: 1e-3,
            interval_rule: crate::transfer::estimators::IntervalRule::ClosestToOne,
            reward: crate::transfer::estimators::Reward::OfNextState,
            refresh_every: 1,
            utility: Utility::Trajectory,
            relabeled_context: true,
        }
    }
}

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
    /// Steps collected with posterior z per visited task (RL buffer only).
    pub steps_posterior: usize,
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
    /// Scored episodes per task (deterministic, posterior mean).
    pub scored_episodes: usize,
    /// Base of the meta-test's random stream (default: `train.seed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Keys that moved from `[train]` to `[eval]`: (old, new).
pub const MOVED_EVAL_KEYS: [(&str, &str); 6] = [
    ("train.eval_every", "eval.every"),
    ("train.eval_tasks", "eval.tasks"),
    ("train.eval_prior_episodes", "eval.exploration_episodes"),
    ("train.eval_posterior_episodes", "eval.scored_episodes"),
    ("train.eval_exploration", "eval.exploration"),
    ("train.eval_posterior_context", "eval.posterior_context"),
];

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

/// Which robot: a built-in one or a URDF file. Written in configs as a string (`quadruped`,
/// `runner`, `point`, or a path ending in `.urdf`), parsed once here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Robot {
    /// The built-in Ant-like quadruped.
    Quadruped,
    /// The built-in planar runner.
    Runner,
    /// The Unitree A1 (PyBullet's `a1.urdf`, position control).
    A1,
    /// The analytic point robot.
    Point,
    /// A URDF file (free-floating root, the quadruped's defaults).
    Urdf(std::path::PathBuf),
}

impl Robot {
    /// Parses a robot name or `.urdf` path; the error names what is allowed.
    pub fn parse(s: &str) -> Result<Robot> {
        Ok(match s {
            "quadruped" => Robot::Quadruped,
            "runner" => Robot::Runner,
            "a1" => Robot::A1,
            "point" => Robot::Point,
            p if p.ends_with(".urdf") => Robot::Urdf(p.into()),
            other => {
                return Err(Error::config(
                    "env.robot",
                    format!(
                    "`{other}`: allowed are quadruped, runner, a1, point or a path ending in .urdf"
                ),
                ))
            }
        })
    }

    /// A short name for run names and reports (a URDF's file stem).
    pub fn short_name(&self) -> String {
        match self {
            Robot::Urdf(p) => p
                .file_stem()
                .map_or("robot".into(), |s| s.to_string_lossy().to_string()),
            other => other.to_string(),
        }
    }
}

impl std::fmt::Display for Robot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Robot::Quadruped => f.write_str("quadruped"),
            Robot::Runner => f.write_str("runner"),
            Robot::A1 => f.write_str("a1"),
            Robot::Point => f.write_str("point"),
            Robot::Urdf(p) => write!(f, "{}", p.display()),
        }
    }
}

impl TryFrom<String> for Robot {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        Robot::parse(&s).map_err(|e| e.to_string())
    }
}

impl From<Robot> for String {
    fn from(r: Robot) -> String {
        r.to_string()
    }
}

/// Robot and simulation settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvConfig {
    /// `quadruped`, `runner`, `point`, or a path to a `.urdf` file (then treated like the
    /// quadruped: a free-floating root).
    pub robot: Robot,
    /// Physics step (s).
    pub dt_s: f32,
    /// Physics steps per control step; control period = `substeps × dt_s`.
    pub substeps: usize,
    /// Rapier solver iterations per physics step.
    pub solver_iterations: usize,
    /// Control steps per episode (time limit → `truncated`).
    pub horizon: usize,
    /// Height of the free root at reset (m).
    pub spawn_height_m: f32,
    /// Initial joint velocities are drawn from U(−x, x) rad/s at reset.
    pub reset_joint_vel_noise: f32,
    /// End the episode (`terminated`) when the torso's up axis points below the horizon.
    pub terminate_when_flipped: bool,
    /// End the episode (`terminated`, a fall) when the torso's height drops below this (m);
    /// 0 = never.
    #[serde(default)]
    pub min_torso_height_m: f32,
    /// End the episode (`terminated`, a fall) when the torso's up axis tilts more than this
    /// from vertical (degrees, pitch and roll together); 0 = never.
    #[serde(default)]
    pub max_tilt_deg: f32,
    /// Blow-up threshold on any body's speed (m/s).
    pub max_linvel_m_s: f32,
    /// Blow-up threshold on any body's spin (rad/s).
    pub max_angvel_rad_s: f32,
    /// Multiplies every joint's URDF damping (an ablation knob; 1 = as described).
    pub joint_damping_scale: f32,
    /// Multiplies every joint's URDF armature (an ablation knob; 1 = as described).
    pub armature_scale: f32,
    /// How actions drive the joints: `torque` (action × the URDF `effort`, N·m) or
    /// `position` (legged_gym's: the action sets a joint position target around
    /// `pd.default_pose_rad`, a PD law at every physics step makes the torque, clipped to the
    /// URDF `effort`).
    #[serde(default)]
    pub control: ControlMode,
    /// Position control's gains and pose (ignored with `control = "torque"`).
    #[serde(default)]
    pub pd: PdConfig,
    /// Point-robot dynamics (ignored by the other robots).
    pub point: PointConfig,
}

/// How actions drive the joints (see `EnvConfig::control`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlMode {
    /// Action × effort is the joint torque.
    #[default]
    Torque,
    /// Action → joint position target, PD torque clipped to the effort.
    Position,
}

/// Position control: `τ = clip(kp·(q₀ + scale·a − q) − kd·q̇, ±effort)` per actuated joint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdConfig {
    /// Stiffness (N·m/rad), all joints.
    pub kp: f32,
    /// Damping (N·m·s/rad), all joints.
    pub kd: f32,
    /// Target offset per unit action (rad).
    pub action_scale_rad: f32,
    /// The pose an action of 0 holds, one angle per actuated joint in action order (rad);
    /// empty = all zeros.
    #[serde(default)]
    pub default_pose_rad: Vec<f32>,
}

impl Default for PdConfig {
    fn default() -> Self {
        // legged_gym's A1 gains and action scale.
        PdConfig {
            kp: 20.0,
            kd: 0.5,
            action_scale_rad: 0.25,
            default_pose_rad: Vec::new(),
        }
    }
}

/// The point robot's analytic dynamics, per control step:
/// `v' = exp(−velocity_damping·μ)·v + (accel_m / m)·a + σ·ε`, `p' = p + v'`, with μ the task's
/// friction coefficient, m its mass scale and ε ~ N(0, I).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointConfig {
    /// Velocity change per unit action at mass scale 1 (m per step).
    pub accel_m: f32,
    /// Friction-like velocity decay rate per unit friction coefficient.
    pub velocity_damping: f32,
    /// Standard deviation σ of the Gaussian velocity noise (m per step); 0 = deterministic.
    pub noise_std: f32,
    /// Observations are clipped to ±this (m, m/step): the point lives in a bounded arena.
    pub arena_m: f32,
}

/// Reward definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardConfig {
    /// `sparse` (1 inside the goal radius, 0 outside) or `dense` (−distance; ablations only).
    pub kind: RewardKind,
    /// Goal radius (m) of the sparse reward.
    pub goal_radius_m: f32,
    /// Weight of the control cost term `−w·Σa²` (reported separately).
    pub ctrl_cost_weight: f32,
}

/// Goal-reward variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RewardKind {
    /// 1 inside the goal radius, 0 outside.
    Sparse,
    /// Negative distance to the goal.
    Dense,
}

/// Task family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TasksConfig {
    /// Seed of the task draw (train and test come from this one seed).
    pub seed: u64,
    /// Number of meta-training tasks.
    pub n_train: usize,
    /// Number of held-out test tasks.
    pub n_test: usize,
    /// Goal positions.
    pub goal: GoalConfig,
    /// Dynamics ranges of the training tasks.
    pub dynamics: DynamicsRanges,
    /// Dynamics ranges of the test tasks; absent = same as training (set a wider range to
    /// test extrapolation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_dynamics: Option<DynamicsRanges>,
}

/// Goals on an arc in front of the start: distance and heading (0° = +x, counter-clockwise).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalConfig {
    /// `[min, max]` distance from the start (m).
    pub distance_m: [f32; 2],
    /// `[min, max]` heading (degrees).
    pub angle_deg: [f32; 2],
}

impl Config {
    /// The embedded default for a robot (`quadruped`, `runner`, `point`; a `.urdf` path gets
    /// the quadruped's defaults with `env.robot` set to the path).
    pub fn default_for(robot: &str) -> Result<Config> {
        let parsed = Robot::parse(robot)?;
        let mut table = default_table(&parsed);
        if matches!(parsed, Robot::Urdf(_)) {
            set_value(&mut table, "env.robot", toml::Value::String(robot.into()))?;
        }
        Self::from_table(table, &format!("embedded default for `{robot}`"))
    }

    /// Parses a config text merged over the default of its `env.robot` (default `quadruped`).
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Config> {
        Self::from_toml_str_with_sets(text, source_name, &[])
    }

    /// Like [`Config::from_toml_str`], then applies `key=value` overrides (`--set`).
    pub fn from_toml_str_with_sets(
        text: &str,
        source_name: &str,
        sets: &[String],
    ) -> Result<Config> {
        let values = sets
            .iter()
            .map(|s| parse_set(s))
            .collect::<Result<Vec<_>>>()?;
        Self::from_toml_str_with_values(text, source_name, &values)
    }

    /// Like [`Config::from_toml_str`], then sets each dotted key to its TOML value (what
    /// `--set` and grid axes do).
    pub fn from_toml_str_with_values(
        text: &str,
        source_name: &str,
        values: &[(String, toml::Value)],
    ) -> Result<Config> {
        let user: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::ConfigParse {
                source_name: source_name.into(),
                msg: e.to_string(),
            })?;
        let mut overrides = user;
        for (k, v) in values {
            set_value(&mut overrides, k, v.clone())?;
        }
        reject_moved_keys(&overrides)?;
        let robot = match overrides.get("env").and_then(|e| e.get("robot")) {
            None => Robot::Quadruped,
            Some(toml::Value::String(r)) => Robot::parse(r)?,
            Some(other) => {
                return Err(Error::config(
                    "env.robot",
                    format!(
                    "must be a string (quadruped, runner, a1, point or a .urdf path), got {other}"
                ),
                ))
            }
        };
        let mut table = default_table(&robot);
        merge(&mut table, overrides);
        Self::from_table(table, source_name)
    }

    /// Reads a config file.
    pub fn load(path: &std::path::Path, sets: &[String]) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml_str_with_sets(&text, &path.display().to_string(), sets)
    }

    fn from_table(table: toml::Table, source_name: &str) -> Result<Config> {
        let cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| Error::ConfigParse {
                source_name: source_name.into(),
                msg: e.to_string().trim().to_string(),
            })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The resolved config as TOML (what a run directory stores).
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).expect("config structs serialize: plain data, string keys")
    }

    /// Checks ranges and consistency; errors name the field and the allowed values.
    pub fn validate(&self) -> Result<()> {
        let e = &self.env;
        self.sim_settings().validate()?;
        if e.horizon == 0 || e.horizon > 1_000_000 {
            return Err(Error::config(
                "env.horizon",
                format!("must be in 1..=1000000, got {}", e.horizon),
            ));
        }
        finite_in(
            "env.reset_joint_vel_noise",
            e.reset_joint_vel_noise,
            0.0,
            100.0,
        )?;
        finite_in("env.min_torso_height_m", e.min_torso_height_m, 0.0, 10.0)?;
        finite_in("env.max_tilt_deg", e.max_tilt_deg, 0.0, 180.0)?;
        finite_in("env.point.accel_m", e.point.accel_m, 1e-6, 100.0)?;
        finite_in(
            "env.point.velocity_damping",
            e.point.velocity_damping,
            0.0,
            100.0,
        )?;
        finite_in("env.point.noise_std", e.point.noise_std, 0.0, 100.0)?;
        finite_in("env.point.arena_m", e.point.arena_m, 1e-3, 1e6)?;
        let r = &self.reward;
        finite_in("reward.goal_radius_m", r.goal_radius_m, 1e-6, 1e6)?;
        finite_in("reward.ctrl_cost_weight", r.ctrl_cost_weight, 0.0, 1e6)?;
        let t = &self.tasks;
        if t.n_train == 0 {
            return Err(Error::config("tasks.n_train", "must be ≥ 1"));
        }
        if t.n_train + t.n_test > 100_000 {
            return Err(Error::config(
                "tasks.n_train + tasks.n_test",
                "must be ≤ 100000",
            ));
        }
        check_range("tasks.goal.distance_m", t.goal.distance_m, 0.0, 1e4)?;
        check_range("tasks.goal.angle_deg", t.goal.angle_deg, -360.0, 360.0)?;
        t.dynamics.validate("tasks.dynamics")?;
        if let Some(d) = &t.test_dynamics {
            d.validate("tasks.test_dynamics")?;
        }
        let a = &self.agent;
        let sizes_ok = |v: &[usize]| {
            !v.is_empty() && v.len() <= 8 && v.iter().all(|&h| (1..=4096).contains(&h))
        };
        if !sizes_ok(&a.hidden) {
            return Err(Error::config(
                "agent.hidden",
                "1 to 8 layers of 1..=4096 units",
            ));
        }
        if !sizes_ok(&a.encoder_hidden) {
            return Err(Error::config(
                "agent.encoder_hidden",
                "1 to 8 layers of 1..=4096 units",
            ));
        }
        if a.latent_dim == 0 || a.latent_dim > 256 {
            return Err(Error::config(
                "agent.latent_dim",
                format!("must be in 1..=256, got {}", a.latent_dim),
            ));
        }
        finite_in("agent.lr", a.lr as f32, 1e-8, 1.0)?;
        finite_in("agent.gamma", a.gamma as f32, 0.0, 0.9999)?;
        finite_in("agent.tau", a.tau as f32, 1e-6, 1.0)?;
        finite_in("agent.reward_scale", a.reward_scale as f32, 1e-6, 1e6)?;
        finite_in("agent.kl_lambda", a.kl_lambda as f32, 0.0, 1e6)?;
        finite_in("agent.init_alpha", a.init_alpha, 1e-6, 100.0)?;
        let tr = &self.train;
        for (name, v, lo) in [
            ("train.iterations", tr.iterations, 1),
            ("train.tasks_per_iteration", tr.tasks_per_iteration, 1),
            ("train.batch_size", tr.batch_size, 1),
            ("train.meta_batch", tr.meta_batch, 1),
            ("train.context_size", tr.context_size, 1),
            ("train.buffer_capacity", tr.buffer_capacity, 1),
            ("train.checkpoint_every", tr.checkpoint_every, 1),
            ("eval.every", self.eval.every, 1),
            ("eval.scored_episodes", self.eval.scored_episodes, 1),
            (
                "eval.exploration_episodes",
                self.eval.exploration_episodes,
                0,
            ),
        ] {
            if v < lo || v > 100_000_000 {
                return Err(Error::config(
                    name,
                    format!("must be in {lo}..=100000000, got {v}"),
                ));
            }
        }
        if tr.initial_steps_per_task + tr.steps_prior == 0 {
            return Err(Error::config(
                "train.initial_steps_per_task + train.steps_prior",
                "must be > 0: no data would ever be collected",
            ));
        }
        let x = &self.transfer;
        finite_in("transfer.relabel_prob", x.relabel_prob, 0.0, 1.0)?;
        finite_in("transfer.fraction", x.fraction, 0.0, 1.0)?;
        finite_in("transfer.batch_share", x.batch_share, 0.0, 1.0)?;
        finite_in("transfer.temperature", x.temperature, 1e-6, 1e6)?;
        finite_in("transfer.rho_d_max", x.rho_d_max, 1e-3, 1e6)?;
        finite_in("transfer.eps", x.eps, 0.0, 1e6)?;
        check_range("transfer.rho_pi_clip", x.rho_pi_clip, 1e-6, 1e6)?;
        if x.capacity == 0 || x.capacity > 100_000_000 {
            return Err(Error::config(
                "transfer.capacity",
                format!("must be in 1..=100000000, got {}", x.capacity),
            ));
        }
        if x.partition_contexts == 0 || x.partition_contexts > 1000 {
            return Err(Error::config(
                "transfer.partition_contexts",
                format!("must be in 1..=1000, got {}", x.partition_contexts),
            ));
        }
        if x.strategy != crate::transfer::TransferStrategy::None && !a.use_context {
            return Err(Error::config(
                "transfer.strategy",
                "transfer needs the context encoder (agent.use_context = true)",
            ));
        }
        if self.train.critic_reward == CriticReward::Dense
            && x.strategy != crate::transfer::TransferStrategy::None
        {
            return Err(Error::config(
                "train.critic_reward",
                "`dense` is PEARL's protocol without transfer: set transfer.strategy = \"none\" \
                 (transferred values are estimated with the env's reward)",
            ));
        }
        if x.strategy == crate::transfer::TransferStrategy::Dr
            && !(e.robot == Robot::Point && e.point.noise_std > 0.0)
        {
            return Err(Error::config(
                "transfer.strategy",
                "`dr` needs exact transition densities: env.robot = \"point\" with env.point.noise_std > 0",
            ));
        }
        if self.eval.tasks > t.n_test {
            return Err(Error::config(
                "eval.tasks",
                format!("{} > tasks.n_test = {}", self.eval.tasks, t.n_test),
            ));
        }
        Ok(())
    }

    /// The simulation settings this config describes.
    pub fn sim_settings(&self) -> SimSettings {
        SimSettings {
            dt_s: self.env.dt_s,
            substeps: self.env.substeps,
            solver_iterations: self.env.solver_iterations,
            spawn_height_m: self.env.spawn_height_m,
            max_linvel_m_s: self.env.max_linvel_m_s,
            max_angvel_rad_s: self.env.max_angvel_rad_s,
            joint_damping_scale: self.env.joint_damping_scale,
            armature_scale: self.env.armature_scale,
            control: match self.env.control {
                ControlMode::Torque => Control::Torque,
                ControlMode::Position => Control::Position {
                    kp: self.env.pd.kp,
                    kd: self.env.pd.kd,
                    scale: self.env.pd.action_scale_rad,
                    pose: self.env.pd.default_pose_rad.clone(),
                },
            },
        }
    }
}

fn finite_in(field: &str, v: f32, lo: f32, hi: f32) -> Result<()> {
    if !(v.is_finite() && v >= lo && v <= hi) {
        return Err(Error::config(
            field,
            format!("must be in [{lo}, {hi}], got {v}"),
        ));
    }
    Ok(())
}

fn default_table(robot: &Robot) -> toml::Table {
    let text = match robot {
        Robot::Runner => RUNNER_TOML,
        Robot::Point => POINT_TOML,
        Robot::A1 => A1_TOML,
        Robot::Quadruped | Robot::Urdf(_) => QUADRUPED_TOML,
    };
    text.parse()
        .expect("embedded default configs are valid TOML (checked by tests)")
}

/// An old `train.eval_*` key is an error that names its new place.
fn reject_moved_keys(t: &toml::Table) -> Result<()> {
    let Some(train) = t.get("train").and_then(|v| v.as_table()) else {
        return Ok(());
    };
    for (old, new) in MOVED_EVAL_KEYS {
        if train.contains_key(&old["train.".len()..]) {
            return Err(Error::config(
                old,
                format!("meta-test settings moved to [eval]: use `{new}`"),
            ));
        }
    }
    Ok(())
}

/// Deep merge: tables merge key by key, everything else is replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Splits `a.b.c=value`; the value is parsed as TOML (number, bool, array, quoted string) and
/// falls back to a bare string.
pub fn parse_set(s: &str) -> Result<(String, toml::Value)> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| Error::argument("--set", format!("`{s}` must look like key.path=value")))?;
    let k = k.trim();
    if k.is_empty() || k.split('.').any(str::is_empty) {
        return Err(Error::argument("--set", format!("`{s}`: empty key")));
    }
    let v = v.trim();
    let value = format!("x = {v}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("x"))
        .unwrap_or_else(|| toml::Value::String(v.to_string()));
    Ok((k.to_string(), value))
}

fn set_value(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<()> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().expect("split yields at least one part");
    let mut t = table;
    for p in parts {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| Error::argument("--set", format!("`{key}`: `{p}` is not a table")))?;
    }
    t.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_parse_and_validate() {
        for r in ["quadruped", "runner", "point"] {
            let c = Config::default_for(r).unwrap();
            assert_eq!(c.env.robot.to_string(), r);
            // Round trip through the resolved TOML.
            let back = Config::from_toml_str(&c.to_toml_string(), "roundtrip").unwrap();
            assert_eq!(back, c);
        }
    }

    #[test]
    fn user_file_overrides_only_what_it_states() {
        let c = Config::from_toml_str("[env]\nsubsteps = 3\n", "u.toml").unwrap();
        let d = Config::default_for("quadruped").unwrap();
        assert_eq!(c.env.substeps, 3);
        assert_eq!(c.reward, d.reward);
        let p = Config::from_toml_str("[env]\nrobot = \"point\"\n", "u.toml").unwrap();
        assert_eq!(p, Config::default_for("point").unwrap());
    }

    #[test]
    fn set_overrides_apply_and_parse_types() {
        let sets = vec![
            "tasks.n_train=7".to_string(),
            "reward.kind=dense".to_string(),
        ];
        let c = Config::from_toml_str_with_sets("", "x", &sets).unwrap();
        assert_eq!(c.tasks.n_train, 7);
        assert_eq!(c.reward.kind, RewardKind::Dense);
        assert!(parse_set("novalue").is_err());
    }

    #[test]
    fn errors_name_the_field() {
        let e = Config::from_toml_str("[env]\nsubstepz = 3\n", "u.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("u.toml") && e.contains("substepz"), "{e}");
        let e = Config::from_toml_str("[env]\nsubsteps = -1\n", "u.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("substeps"), "{e}");
        let e = Config::from_toml_str("[tasks.dynamics]\nfriction = [1.5, 0.3]\n", "u")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("tasks.dynamics.friction") && e.contains("min ≤ max"),
            "{e}"
        );
        let e = Config::from_toml_str("[env]\nrobot = \"spider\"\n", "u")
            .unwrap_err()
            .to_string();
        assert!(e.contains("env.robot"), "{e}");
        let e = Config::from_toml_str("[reward]\nkind = \"shaped\"\n", "u")
            .unwrap_err()
            .to_string();
        assert!(e.contains("kind") && e.contains("sparse"), "{e}");
        let e = Config::from_toml_str("[env]\ndt_s = 0.5\n", "u")
            .unwrap_err()
            .to_string();
        assert!(e.contains("env.dt_s"), "{e}");
    }
}
