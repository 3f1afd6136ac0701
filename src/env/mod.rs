//! The RL view of the robots: tasks, observations, rewards, episodes.
//!
//! An [`Env`] is `reset(seed)` and `step(action)` over plain state (Brax/Gymnasium style).
//! Physics lives in [`crate::sim`]; rewards are the pure functions of [`reward`], so stored
//! trajectories can be relabeled for any goal.
//!
//! Episode ends: `terminated` means the task's own end (the robot flipped over); `truncated`
//! means the episode was cut (time limit, or a physics blow-up, flagged in [`StepInfo::blowup`]).
//! After either, `step` is an error until the next `reset`.

pub mod check;
pub mod contract;
pub mod gait;
pub mod gait_measures;
pub mod locomotion;
pub mod maker;
pub mod numpy_rng;
pub mod point;
pub mod recording;
pub mod reward;
pub mod task;
pub mod vec_env;

pub use contract::{
    clip_action, BodyShapes, BoxSpace, DrawnShape, Env, Reset, ResetInfo, Step, StepInfo, POSE_LEN,
};
pub use maker::EnvMaker;
pub use reward::RewardTerms;
pub use task::{Task, TaskSet};
