//! Replay data: per-task buffers of transitions and trajectories.

pub mod buffer;
pub mod trajectory;
