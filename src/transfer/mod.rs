//! Transfer: move experience of task i to task j and value it correctly.
//!
//! Pure functions first ([`estimators`]: IS, per-decision DR, DRaE; [`relabel`]: rewards for
//! another goal), then policy on top of them: [`htr`] (hindsight task relabeling),
//! [`hfr`] (hindsight foresight relabeling) and [`drat`] (doubly robust augmented transfer,
//! the method this crate implements). The meta-training loop calls them through one trait,
//! [`strategy::Strategy`]; [`TransferStrategy`] is the config's name for one.
//!
//! **Ratio convention.** For data collected in task i and evaluated under task j,
//! ρπ(t) = π(a_t | s_t, z_j) / π(a_t | s_t, z_i) and
//! ρd(t) = p_j(s_{t+1} | s_t, a_t) / p_i(s_{t+1} | s_t, a_t): numerator = the task we evaluate,
//! denominator = the task that generated the data. (The seed slide writes p_i/p_j with its own
//! index order.) `tests/transfer_estimators.rs` and `tests/transfer_convention.rs` show that
//! this order is unbiased for task j's value and the reversed one is not.

use serde::{Deserialize, Serialize};

pub mod diagnose;
pub mod drat;
pub mod estimators;
pub mod hfr;
pub mod htr;
pub mod relabel;
pub mod strategy;
pub mod tabular;

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
