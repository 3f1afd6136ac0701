//! Transfer: move experience of task i to task j and value it correctly.
//!
//! Pure functions first ([`estimators`]: IS, per-decision DR, DRaE), then policy (relabeling,
//! HTR, HFR, DRaT) on top of them.
//!
//! **Ratio convention.** For data collected in task i and evaluated under task j,
//! ρπ(t) = π(a_t | s_t, z_j) / π(a_t | s_t, z_i) and
//! ρd(t) = p_j(s_{t+1} | s_t, a_t) / p_i(s_{t+1} | s_t, a_t): numerator = the task we evaluate,
//! denominator = the task that generated the data.

pub mod estimators;
pub mod tabular;
