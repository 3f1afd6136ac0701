//! The learner: SAC (tanh-Gaussian policy, twin Q with Polyak targets, learned temperature α)
//! conditioned on a latent task variable z from PEARL's context encoder. With `use_context =
//! false` it is plain SAC. Every random number comes from the caller's seeded RNG.
//!
//! Parameter names (stable, used in checkpoints): `policy.*`, `q1.*`, `q2.*`, `q1_target.*`,
//! `q2_target.*`, `encoder.*`, `log_alpha`.

pub mod bench;
pub mod model;
pub mod pearl;
pub mod reference;
pub mod update;
mod workspace;

pub use model::{context_features, normal_vec, ActScratch, Agent, Optimizers};
pub use update::UpdateStats;
