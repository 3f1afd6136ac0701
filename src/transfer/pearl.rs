//! Plain PEARL: every task learns from its own data. [`own_rows`] and [`own_context`] are the
//! task's own share of a meta-batch slot, which every strategy starts from; with
//! `train.critic_reward = "dense"` (PEARL's sparse-point protocol) the critic's rows carry the
//! dense reward recomputed for the task's goal.

use rand_pcg::Pcg64;

use super::relabel;
use super::strategy::{Strategy, TrainView};
use crate::config::{CriticReward, RewardConfig, RewardKind};
use crate::data::buffer::{recent_context, Batch};
use crate::data::meta_batch::MetaBatch;
use crate::data::moved::MovedBuffer;
use crate::error::Result;

/// `n` of task `k`'s own transitions, drawn uniformly; with `train.critic_reward = "dense"`
/// (PEARL's sparse-point protocol) the critic sees −distance to k's goal instead.
pub fn own_rows(
    view: &TrainView<'_>,
    k: usize,
    n: usize,
    out: &mut MetaBatch,
    rng: &mut Pcg64,
) -> Result<()> {
    let buf = &view.rl[k];
    let slots = buf.sample_slots(n, rng);
    let mut own = Batch::default();
    buf.gather_into(&slots, &mut own);
    if view.cfg.train.critic_reward == CriticReward::Dense {
        let dense = RewardConfig {
            kind: RewardKind::Dense,
            ..view.cfg.reward.clone()
        };
        own.reward = relabel::rewards_for_goal(&dense, &own, view.tasks[k].goal);
    }
    out.push_own(&own);
    Ok(())
}

/// Task `k`'s context: `train.context_size` of its recent transitions.
pub fn own_context(
    view: &TrainView<'_>,
    k: usize,
    out: &mut MetaBatch,
    rng: &mut Pcg64,
) -> Result<()> {
    let n = view.cfg.train.context_size;
    out.context
        .extend(recent_context(&view.context[k], &view.rl[k], n, rng)?);
    Ok(())
}

/// Plain PEARL: every task learns from its own data.
pub struct NoTransfer;

impl Strategy for NoTransfer {
    fn name(&self) -> &'static str {
        "none"
    }

    fn task_batch(
        &self,
        view: &TrainView<'_>,
        k: usize,
        _moved: &[MovedBuffer],
        out: &mut MetaBatch,
        rng: &mut Pcg64,
    ) -> Result<()> {
        own_rows(view, k, view.cfg.train.batch_size, out, rng)?;
        own_context(view, k, out, rng)
    }
}
