//! Robot, simulation, reward and task-family settings (`[env]`, `[reward]`, `[tasks]`).

use serde::{Deserialize, Serialize};

use crate::sim::dynamics::DynamicsRanges;
pub use crate::sim::settings::Stepping;
pub use crate::sim::Robot;

/// Robot and simulation settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvConfig {
    /// `quadruped`, `runner`, `a1`, `ant`, `half_cheetah`, `point`, or a path to a `.urdf`
    /// or MJCF `.xml` file.
    pub robot: Robot,
    /// Physics step (s).
    pub dt_s: f32,
    /// Physics steps per control step; control period = `substeps × dt_s`.
    pub substeps: usize,
    /// Rapier solver iterations per physics step.
    pub solver_iterations: usize,
    /// How a control step advances the physics: `substeps` (`substeps` Rapier steps of
    /// `dt_s`, the control recomputed before each) or `one-step` (one Rapier step of the
    /// control period with `substeps × solver_iterations` solver substeps: contacts found once
    /// per control step, position control's PD and joint springs implicit in the solver at
    /// every substep). See docs/physics.md.
    #[serde(default, skip_serializing_if = "Stepping::is_default")]
    pub stepping: Stepping,
    /// Links (by name) whose colliders touch the ground; empty = every link's (MuJoCo
    /// Playground's `feetonly` models: only the feet). The others pass through the ground.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ground_contact_links: Vec<String>,
    /// With `stepping = "one-step"` contacts are found once per control period: for bodies
    /// approaching the ground at up to this speed (m/s) through it (default 6: a falling
    /// Ant's torso; measured in docs/physics.md). Ignored by `substeps`.
    #[serde(
        default = "default_prediction_speed",
        skip_serializing_if = "is_default_prediction_speed"
    )]
    pub prediction_speed_m_s: f32,
    /// Control steps per episode (time limit → `truncated`).
    pub horizon: usize,
    /// Height of the free root at reset (m).
    pub spawn_height_m: f32,
    /// Initial joint velocities are drawn from U(−x, x) rad/s at reset.
    pub reset_joint_vel_noise: f32,
    /// Gymnasium's reset noise on positions: every generalized coordinate (root position,
    /// root orientation, joint angles) is displaced by U(−x, x) at reset (a free root's
    /// orientation by a rotation vector of U(−2x, 2x) per axis, what adding U(−x, x) to each
    /// quaternion component does to first order); 0 = none.
    #[serde(default)]
    pub reset_qpos_noise: f32,
    /// Gymnasium's reset noise on velocities: every generalized velocity gets x·N(0, 1)
    /// added at reset; 0 = none.
    #[serde(default)]
    pub reset_qvel_noise_std: f32,
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
    /// End the episode (`terminated`) when the torso's height rises above this (m; HFR's ant:
    /// 1.0, the upper end of `state[2] ∈ [0.2, 1.0]`); 0 = never.
    #[serde(default)]
    pub max_torso_height_m: f32,
    /// Multiplies every actuator's torque limit, as the world applies it (HFR's ant-goal uses
    /// rlkit's `low_gear_ratio_ant.xml`, gear 30 instead of Gymnasium's 150: 0.2); 1 = as
    /// described.
    #[serde(default = "one")]
    pub gear_scale: f32,
    /// Append every body's external contact wrench, each component clipped to [−1, 1], to the
    /// observation (HFR ant-goal's `np.clip(cfrc_ext, −1, 1)`; see `sim::contacts`).
    #[serde(default)]
    pub observe_contact_forces: bool,
    /// What rewards measure the goal against: `position` (the torso's x-y; default) or
    /// `forward-velocity` ((Δx / control period, 0), HFR's cheetah-vel `forward_vel`).
    #[serde(default)]
    pub achieved: Achieved,
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

fn one() -> f32 {
    1.0
}

fn default_prediction_speed() -> f32 {
    6.0
}

fn is_default_prediction_speed(v: &f32) -> bool {
    *v == default_prediction_speed()
}

/// What `achieved` is (see `EnvConfig::achieved`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Achieved {
    /// The torso's (x, y) after the step (planar robots: (x, 0)).
    #[default]
    Position,
    /// `((x′ − x) / control period, 0)`: the torso's forward speed over the step.
    ForwardVelocity,
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

/// The point robot's analytic dynamics, per control step, with μ the task's friction
/// coefficient, m its mass scale and ε ~ N(0, I): `velocity` (drat's):
/// `v' = exp(−velocity_damping·μ)·v + (accel_m / m)·a + σ·ε`, `p' = p + v'`; `position`
/// (oyster's `PointEnv`): `p' = p + (step_m / m)·a + σ·ε`, observation the position only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointConfig {
    /// `velocity` (default) or `position`.
    #[serde(default)]
    pub dynamics: PointDynamics,
    /// Position change per unit action at mass scale 1 under `position` dynamics (m per step;
    /// oyster: its action bound 0.1, actions in [−1, 1] scaled by `NormalizedBoxEnv`).
    #[serde(default = "default_step_m")]
    pub step_m: f32,
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
    /// Weight of the contact cost `−w·Σ clip(contact wrench, −1, 1)²` over every body's
    /// six wrench components (HFR's ant-goal: 0.5e-3); 0 = none.
    #[serde(default)]
    pub contact_cost_weight: f32,
    /// Reward added every step (HFR's ant-goal `survive_reward`: 0.05); 0 = none.
    #[serde(default)]
    pub alive_bonus: f32,
}

fn default_step_m() -> f32 {
    0.1
}

/// Which point-robot dynamics (see [`PointConfig`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointDynamics {
    /// Actions accelerate; the observation is position and velocity.
    #[default]
    Velocity,
    /// Actions move the point directly; the observation is the position.
    Position,
}

/// Goal-reward variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RewardKind {
    /// 1 inside the goal radius, 0 outside.
    Sparse,
    /// Negative distance to the goal.
    Dense,
    /// `1 − distance` inside the goal radius, 0 outside: oyster's sparse point robot
    /// (`SparsePointEnv.sparsify_rewards` of the dense `−distance`, plus 1 inside).
    #[serde(rename = "oyster-sparse")]
    OysterSparse,
    /// HFR's sparse ant-goal: `4 − ‖xy − g‖₁` inside the goal radius (‖·‖₂), `4 − ‖g‖₁`
    /// outside (`rlkit/envs/ant_goal.py`, `AntGoalEnv.step`).
    #[serde(rename = "ant-goal")]
    AntGoal,
    /// HFR's sparse target velocity: `2 − |v − v*|` inside the radius, 0 outside, with
    /// `env.achieved = "forward-velocity"` (`rlkit/envs/half_cheetah_vel.py`,
    /// `HalfCheetahVelEnvSparse`).
    #[serde(rename = "velocity-sparse")]
    VelocitySparse,
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

/// Goals on an arc in front of the start: distance and heading (0° = +x, counter-clockwise),
/// drawn per task; or, with `set`, a reference benchmark's fixed goal list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalConfig {
    /// `[min, max]` distance from the start (m).
    pub distance_m: [f32; 2],
    /// `[min, max]` heading (degrees).
    pub angle_deg: [f32; 2],
    /// A fixed goal list instead of draws: train tasks take its first `n_train` goals, test
    /// tasks the next `n_test` (the reference code's split).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<GoalSet>,
}

/// A reference benchmark's goal list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalSet {
    /// `shuffled-half-circle`: `count` goals at angles `linspace(0, π, count)` on a circle of
    /// `radius_m`, shuffled by NumPy's `np.random.shuffle` after `np.random.seed(seed)`
    /// (oyster's sparse point robot, HFR's ant-goal; `env::numpy_rng`).
    pub kind: GoalSetKind,
    /// Circle radius (m; `shuffled-half-circle`).
    #[serde(default)]
    pub radius_m: f32,
    /// `[low, high]` of the target velocities (m/s; `uniform-velocity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity_m_s: Option<[f32; 2]>,
    /// Goals in the list (the reference's `n_tasks`).
    pub count: usize,
    /// The reference's NumPy seed.
    pub seed: u32,
}

/// Kinds of reference goal lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GoalSetKind {
    /// See [`GoalSet::kind`].
    ShuffledHalfCircle,
    /// `count` target velocities `np.random.uniform(low, high, size=count)` after
    /// `np.random.seed(seed)`, as goals `(v*, 0)` (HFR's cheetah-vel-sparse `sample_tasks`);
    /// `[low, high]` is `velocity_m_s`.
    UniformVelocity,
}
