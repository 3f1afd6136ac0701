//! Experience: per-task buffers of transitions ([`buffer`]), whole trajectories
//! ([`trajectory`]), the rows moved into a task from others ([`moved`]) and the meta-batch an
//! update trains on ([`meta_batch`]).

pub mod buffer;
pub mod meta_batch;
pub mod moved;
pub mod trajectory;
