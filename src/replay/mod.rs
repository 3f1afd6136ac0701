//! Seeing what the robot does: a [`Replay`] holds recorded episodes per task (meta-test of a
//! trained run, or scripted actions), [`page`] writes it as one self-contained HTML file (3-D
//! view with three.js inlined, 2-D top view, controls, info panel), and
//! [`crate::report::plots::trajectories`] draws its top-down torso paths.
//!
//! Recording wraps envs in [`crate::env::recording::RecordingEnv`]; a meta-test replay runs the exact protocol and
//! random stream of [`crate::train::trainer::Trainer::evaluate_tasks`], so it shows the episodes behind
//! the reported figure.

pub mod data;
pub mod mesh;
pub mod meta_test;
pub mod page;
pub mod scripted;

pub use data::{
    pick_tasks, trajectories_png, Replay, ReplayEpisode, TaskReplay, MAX_PICTURE_TASKS,
};
pub use meta_test::meta_test;
pub use scripted::{scripted, Scripted};
