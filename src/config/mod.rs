//! Every knob of a run, as serde structs read from TOML. Defaults are the embedded files in
//! `assets/configs/` (one per robot); a user file only states what it changes: it is merged
//! over the default of its `env.robot`, then checked with [`Config::validate`]. Unknown fields
//! are errors that name the field.
//!
//! One file per part: [`load`] (the whole [`Config`], reading and merging files and `--set`s),
//! [`env`](mod@env) (robot, simulation, reward, tasks), [`learning`] (agent, training loop, meta-test),
//! [`presets`] (the field's benchmarks as named task presets), [`transfer`] (moving experience between tasks, and the names of the transfer methods and
//! estimator variants, which the `transfer` module implements) and [`validate`] (ranges and
//! consistency). Config knows the simulator's settings types and nothing above them.

pub mod env;
pub mod learning;
pub mod load;
pub mod presets;
pub mod transfer;
pub mod validate;

pub use env::{
    Achieved, ControlMode, EnvConfig, GoalConfig, GoalSet, GoalSetKind, PdConfig, PointConfig,
    PointDynamics, RewardConfig, RewardKind, Robot, Stepping, TasksConfig,
};
pub use learning::{
    AgentConfig, ContextBuffer, CriticReward, EvalConfig, Exploration, InitialActions,
    PosteriorContext, ScoredZ, TrainConfig,
};
pub use load::{
    parse_set, Config, A1_TOML, ANT_TOML, HALF_CHEETAH_TOML, POINT_TOML, QUADRUPED_TOML,
    RUNNER_TOML,
};
pub use transfer::{
    HtrGoals, IntervalRule, LearnedRatioConfig, RatioSource, Reward, TransferConfig,
    TransferStrategy, Utility,
};
