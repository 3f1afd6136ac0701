//! Rewards as pure functions of the achieved position, the goal and the action. The env and
//! relabeling both call these, so a trajectory's reward for any other goal is recomputed
//! exactly from its stored `achieved` positions.

use crate::config::{RewardConfig, RewardKind};

/// Each reward term on its own; `total()` is what the env returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RewardTerms {
    /// Goal term: sparse 1/0, or −distance for the dense variant.
    pub goal: f32,
    /// Control cost term `−w·Σa²` (≤ 0).
    pub ctrl: f32,
}

impl RewardTerms {
    /// Sum of the terms.
    pub fn total(&self) -> f32 {
        self.goal + self.ctrl
    }
}

/// Euclidean distance between two points in the plane (m).
pub fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Goal term. Sparse: `1` if `‖achieved − goal‖ ≤ radius` else `0`. Dense: `−‖achieved − goal‖`.
/// Oyster-sparse: `1 − ‖achieved − goal‖` inside the radius, else `0`.
pub fn goal_reward(kind: RewardKind, achieved: [f32; 2], goal: [f32; 2], radius_m: f32) -> f32 {
    let d = distance(achieved, goal);
    match kind {
        RewardKind::Sparse => {
            if d <= radius_m {
                1.0
            } else {
                0.0
            }
        }
        RewardKind::Dense => -d,
        RewardKind::OysterSparse => {
            if d <= radius_m {
                1.0 - d
            } else {
                0.0
            }
        }
    }
}

/// Control cost `−w·Σ aᵢ²` of a (clipped) action.
pub fn ctrl_cost(weight: f32, action: &[f32]) -> f32 {
    -weight * action.iter().map(|a| a * a).sum::<f32>()
}

/// All terms for one step.
pub fn reward_terms(
    cfg: &RewardConfig,
    achieved: [f32; 2],
    goal: [f32; 2],
    action: &[f32],
) -> RewardTerms {
    RewardTerms {
        goal: goal_reward(cfg.kind, achieved, goal, cfg.goal_radius_m),
        ctrl: ctrl_cost(cfg.ctrl_cost_weight, action),
    }
}

/// Whether a point is inside the goal radius (the success criterion).
pub fn is_success(achieved: [f32; 2], goal: [f32; 2], radius_m: f32) -> bool {
    distance(achieved, goal) <= radius_m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_is_one_inside_radius_only() {
        let g = [1.0, 0.0];
        assert_eq!(goal_reward(RewardKind::Sparse, [1.1, 0.0], g, 0.2), 1.0);
        assert_eq!(
            goal_reward(RewardKind::Sparse, [1.0, 0.2], g, 0.2),
            1.0,
            "boundary counts"
        );
        assert_eq!(goal_reward(RewardKind::Sparse, [1.0, 0.21], g, 0.2), 0.0);
        assert!((goal_reward(RewardKind::Dense, [0.0, 0.0], [3.0, 4.0], 0.2) + 5.0).abs() < 1e-6);
    }

    /// oyster's `SparsePointEnv.step`: dense r = −d; sparse = r·[r ≥ −radius] + 1 when
    /// r ≥ −radius: 1 − d inside (boundary included), 0 outside.
    #[test]
    fn oyster_sparse_is_one_minus_distance_inside_only() {
        let (g, k) = ([1.0, 0.0], RewardKind::OysterSparse);
        assert_eq!(goal_reward(k, [1.0, 0.0], g, 0.2), 1.0);
        assert!((goal_reward(k, [1.0, 0.1], g, 0.2) - 0.9).abs() < 1e-6);
        assert!((goal_reward(k, [1.0, 0.2], g, 0.2) - 0.8).abs() < 1e-6);
        assert_eq!(goal_reward(k, [1.0, 0.21], g, 0.2), 0.0);
    }

    #[test]
    fn ctrl_cost_is_weighted_square_norm() {
        assert_eq!(ctrl_cost(0.5, &[1.0, -2.0]), -2.5);
        assert_eq!(ctrl_cost(0.0, &[1.0]), 0.0);
    }
}
