//! Transfer: move experience of task i to task j and value it correctly.
//!
//! Pure functions first ([`estimators`]: IS, per-decision DR, DRaE; [`relabel`]: rewards for
//! another goal; [`softmax`]: the target-task distribution), then the methods on top of them,
//! each one [`strategy::Strategy`] the meta-training loop calls ([`build`] makes the one a
//! config names): [`pearl`] (no transfer: every task its own data), [`htr`] (hindsight task
//! relabeling) and [`mover::Mover`], which moves trajectories between tasks and values them with
//! a [`scorer::Valuation`] — [`hfr`] (hindsight foresight relabeling) or [`drae`] (DRaT, doubly
//! robust augmented transfer, the method this crate implements, and the oracle DR), whose
//! dynamics ratio comes from the critics' interval, from [`ratio`]'s learned classifiers, or
//! (the oracle) from the point robot's exact densities.
//! [`TransferStrategy`] is the config's name for one.
//!
//! **Ratio convention.** For data collected in task i and evaluated under task j,
//! ρπ(t) = π(a_t | s_t, z_j) / π(a_t | s_t, z_i) and
//! ρd(t) = p_j(s_{t+1} | s_t, a_t) / p_i(s_{t+1} | s_t, a_t): numerator = the task we evaluate,
//! denominator = the task that generated the data. (The seed slide writes p_i/p_j with its own
//! index order.) `tests/transfer_estimators.rs` and `tests/transfer_convention.rs` show that
//! this order is unbiased for task j's value and the reversed one is not.

pub mod drae;
pub mod estimators;
pub mod hfr;
pub mod htr;
pub mod mover;
pub mod pearl;
pub mod ratio;
pub mod relabel;
pub mod scorer;
pub mod softmax;
pub mod strategy;

pub use crate::config::TransferStrategy;
use crate::config::{RatioSource, TransferConfig};
use drae::{DrRatio, DrValue, DraeValue};
use estimators::DraeVariant;
use hfr::HfrValue;
use htr::Htr;
use mover::Mover;
use pearl::NoTransfer;
use strategy::Strategy;

/// The strategy a config names (`transfer.strategy`; for DRaT, `transfer.ratio` picks where
/// its dynamics ratio comes from).
pub fn build(cfg: &TransferConfig) -> Box<dyn Strategy> {
    match cfg.strategy {
        TransferStrategy::None => Box::new(NoTransfer),
        TransferStrategy::Htr => Box::new(Htr),
        TransferStrategy::Hfr => Box::new(Mover::new("hfr", HfrValue)),
        TransferStrategy::Dr => Box::new(Mover::new("dr", DrValue(DrRatio::Exact))),
        TransferStrategy::Drae => match cfg.ratio {
            RatioSource::CriticInterval => {
                Box::new(Mover::new("drae", DraeValue(DraeVariant::Derived)))
            }
            RatioSource::Learned => Box::new(Mover::new("drae-learned", DrValue(DrRatio::Learned))),
            RatioSource::Exact => Box::new(Mover::new("drae-exact", DrValue(DrRatio::Exact))),
        },
        TransferStrategy::DraeSlide => {
            Box::new(Mover::new("drae-slide", DraeValue(DraeVariant::Slide)))
        }
    }
}
