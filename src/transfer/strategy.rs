//! The one trait the meta-trainer calls for transfer, and what the trainer lends it.
//!
//! The trainer calls a strategy at two fixed points: after collection
//! ([`Strategy::after_collection`]: choose target tasks and move trajectories) and when it
//! builds a meta-batch ([`Strategy::task_batch`]: the RL rows, their fixed targets and the
//! context of one task's slot). It never asks which strategy it holds. One implementation per
//! method: [`super::pearl::NoTransfer`] (PEARL), [`super::htr::Htr`], and the relabeling
//! [`super::mover::Mover`] (HFR, oracle DR, DRaE, DRaE-slide), built by [`super::build`].

use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use super::ratio::RatioModel;
use crate::agent::Agent;
use crate::config::Config;
use crate::data::buffer::TaskBuffer;
use crate::data::meta_batch::MetaBatch;
use crate::data::moved::MovedBuffer;
use crate::data::trajectory::Trajectory;
use crate::env::Task;
use crate::error::Result;

/// What the trainer lends a strategy: the learner, the config, the train tasks and their replay.
pub struct TrainView<'a> {
    /// Iterations done before this one.
    pub iteration: usize,
    /// The learner.
    pub agent: &'a Agent,
    /// The run's config.
    pub cfg: &'a Config,
    /// Train tasks.
    pub tasks: &'a [Task],
    /// RL replay per train task.
    pub rl: &'a [TaskBuffer],
    /// Context buffer per train task.
    pub context: &'a [TaskBuffer],
    /// The learned dynamics ratio, when the run trains one (`transfer.ratio = "learned"`).
    pub ratio: Option<&'a RatioModel>,
}

/// What one iteration's transfer did (logged per iteration).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransferStats {
    /// Trajectories offered to the other tasks.
    pub offered: usize,
    /// Trajectories moved to a task other than their own.
    pub moved: usize,
    /// Transitions moved.
    pub samples: usize,
    /// Mean |ρd| of the refreshed targets (ρ̂d for DRaE, the exact ratio for DR, 1 for HFR).
    pub rho_d_mean: f32,
    /// Share of ρπ values that hit the clip range (all scored and refreshed steps).
    pub rho_pi_clip_rate: f32,
    /// Share of DRaE steps where the near-zero guard set ρ̂d = 1.
    pub guard_rate: f32,
    /// How often each train task was chosen as target.
    pub chosen: Vec<u32>,
    /// Moved transitions whose targets were recomputed this iteration.
    pub refreshed: usize,
    /// Wall time of scoring, moving and refreshing (s).
    pub time_s: f64,
}

/// A transfer strategy, as the trainer sees it.
pub trait Strategy {
    /// The name used in configs, run names and reports.
    fn name(&self) -> &'static str;

    /// Whether the trainer should keep this iteration's complete episodes for
    /// [`Strategy::after_collection`].
    fn keeps_episodes(&self) -> bool {
        false
    }

    /// After collection: choose target tasks for `episodes` and move them into `moved`.
    /// `None` when the strategy moves nothing.
    fn after_collection(
        &self,
        _view: &TrainView<'_>,
        _episodes: Vec<Trajectory>,
        _moved: &mut [MovedBuffer],
        _rng: &mut Pcg64,
    ) -> Result<Option<TransferStats>> {
        Ok(None)
    }

    /// Appends train task `k`'s slot of a meta-batch: `train.batch_size` RL rows with their
    /// targets and `train.context_size` context rows.
    fn task_batch(
        &self,
        view: &TrainView<'_>,
        k: usize,
        moved: &[MovedBuffer],
        out: &mut MetaBatch,
        rng: &mut Pcg64,
    ) -> Result<()>;
}
