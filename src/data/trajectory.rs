//! A whole episode with what generated it: the rows, the train task, and the behaviour policy
//! (its latent z and `log π_b(a_t|s_t)` at every step, recorded when the actions were drawn),
//! so an off-task estimate can form `ρπ = π(a|s, z_j) / π_b(a|s)` with the policy that really
//! acted, even after the networks have changed.

use super::buffer::Batch;

/// A complete episode of train task `task`, rows in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// Train task that generated it.
    pub task: usize,
    /// Its transitions (rewards as that task's env gave them).
    pub rows: Batch,
    /// The latent z the policy acted with.
    pub behaviour_z: Vec<f32>,
    /// `log π_b(a_t | s_t)` of each row's action under the acting policy.
    pub behaviour_logp: Vec<f32>,
}
