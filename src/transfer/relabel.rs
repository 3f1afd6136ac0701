//! Rewards of a stored trajectory for another goal, recomputed from its `achieved` positions
//! and actions (plus its goal-free `other_reward` terms, unchanged) with the same pure reward function the env uses: relabeling a trajectory to its
//! own task gives back exactly the rewards the env returned.

use crate::config::RewardConfig;
use crate::data::buffer::Batch;
use crate::env::reward::reward_terms;

/// `r_j(t)` for every row of `rows` under `goal`.
pub fn rewards_for_goal(cfg: &RewardConfig, rows: &Batch, goal: [f32; 2]) -> Vec<f32> {
    let n = rows.len();
    if n == 0 {
        return Vec::new();
    }
    let ad = rows.action.len() / n;
    (0..n)
        .map(|t| {
            let achieved = [rows.achieved[2 * t], rows.achieved[2 * t + 1]];
            let own = reward_terms(cfg, achieved, goal, &rows.action[t * ad..(t + 1) * ad]);
            own.total() + rows.other_reward[t]
        })
        .collect()
}

/// A copy of `rows` with rewards relabeled to `goal`.
pub fn relabeled(cfg: &RewardConfig, rows: &Batch, goal: [f32; 2]) -> Batch {
    let mut out = rows.clone();
    out.reward = rewards_for_goal(cfg, rows, goal);
    out
}

/// Rows `idx` of `rows`, in that order.
pub fn select(rows: &Batch, idx: &[usize]) -> Batch {
    let mut out = Batch::default();
    for &i in idx {
        out.push(&rows.row(i));
    }
    out
}
