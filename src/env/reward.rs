//! Rewards as pure functions of the achieved position, the goal and the action, plus terms
//! that depend on neither (HFR ant-goal's contact cost and alive bonus, stored per step as
//! `other_reward`). The env and relabeling both call these, so a trajectory's reward for any
//! other goal is recomputed exactly from its stored `achieved` positions.

use crate::config::{RewardConfig, RewardKind};

/// Each reward term on its own; `total()` is what the env returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RewardTerms {
    /// Goal term: sparse 1/0, or −distance for the dense variant.
    pub goal: f32,
    /// Control cost term `−w·Σa²` (≤ 0).
    pub ctrl: f32,
    /// Contact cost `−w·Σ clip(contact wrench, −1, 1)²` (≤ 0; HFR's ant-goal).
    #[serde(default)]
    pub contact: f32,
    /// Alive bonus per step (HFR's ant-goal `survive_reward`).
    #[serde(default)]
    pub alive: f32,
}

impl RewardTerms {
    /// Sum of the terms.
    pub fn total(&self) -> f32 {
        self.goal + self.ctrl + self.other()
    }

    /// The terms that depend on neither the goal nor the action (kept as they are when a
    /// step is relabeled to another goal).
    pub fn other(&self) -> f32 {
        self.contact + self.alive
    }
}

/// HFR ant-goal's constant in the goal term, `−‖xy − g‖₁ + 4` ("make it happy, not
/// suicidal").
pub const ANT_GOAL_OFFSET: f32 = 4.0;

/// HFR cheetah-vel-sparse's constant: `sparsify_rewards` gives `2 − |v − v*|` inside.
pub const VELOCITY_SPARSE_OFFSET: f32 = 2.0;

/// Euclidean distance between two points in the plane (m).
pub fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Goal term. Sparse: `1` if `‖achieved − goal‖ ≤ radius` else `0`. Dense: `−‖achieved − goal‖`.
/// Oyster-sparse: `1 − ‖achieved − goal‖` inside the radius, else `0`. Ant-goal (HFR
/// `AntGoalEnv.step`): `−‖achieved − goal‖₁ + 4` inside the radius (measured in ‖·‖₂), else
/// `−‖goal‖₁ + 4`. Velocity-sparse (HFR `HalfCheetahVelEnvSparse.sparsify_rewards`, with
/// achieved = (v, 0) and goal = (v*, 0)): `2 − |v − v*|` inside the radius, else `0`.
pub fn goal_reward(kind: RewardKind, achieved: [f32; 2], goal: [f32; 2], radius_m: f32) -> f32 {
    let d = distance(achieved, goal);
    let l1 = |a: [f32; 2], b: [f32; 2]| (a[0] - b[0]).abs() + (a[1] - b[1]).abs();
    match kind {
        RewardKind::AntGoal => {
            if d <= radius_m {
                ANT_GOAL_OFFSET - l1(achieved, goal)
            } else {
                ANT_GOAL_OFFSET - l1([0.0; 2], goal)
            }
        }
        RewardKind::VelocitySparse => {
            if d <= radius_m {
                VELOCITY_SPARSE_OFFSET - d
            } else {
                0.0
            }
        }
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

/// The goal and control terms of one step (`contact` and `alive` 0): the env adds those two
/// itself (see [`contact_cost`]); relabeling adds the stored `other_reward` instead.
pub fn reward_terms(
    cfg: &RewardConfig,
    achieved: [f32; 2],
    goal: [f32; 2],
    action: &[f32],
) -> RewardTerms {
    RewardTerms {
        goal: goal_reward(cfg.kind, achieved, goal, cfg.goal_radius_m),
        ctrl: ctrl_cost(cfg.ctrl_cost_weight, action),
        contact: 0.0,
        alive: 0.0,
    }
}

/// Contact cost `−w·Σ clip(c, −1, 1)²` over contact-wrench components (HFR's ant-goal:
/// `0.5·1e-3·Σ clip(cfrc_ext, −1, 1)²`).
pub fn contact_cost(weight: f32, wrenches: &[f32]) -> f32 {
    -weight
        * wrenches
            .iter()
            .map(|c| c.clamp(-1.0, 1.0).powi(2))
            .sum::<f32>()
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

    /// HFR `AntGoalEnv.step` at hand points, goal (0, 2) (‖g‖₁ = 2): inside 0.8 m the term is
    /// 4 − ‖xy − g‖₁; outside, the constant 4 − ‖g‖₁ = 2, whatever the position.
    #[test]
    fn ant_goal_is_l1_inside_and_goal_constant_outside() {
        let (g, k) = ([0.0, 2.0], RewardKind::AntGoal);
        assert_eq!(goal_reward(k, [0.0, 2.0], g, 0.8), 4.0);
        assert!((goal_reward(k, [0.3, 1.6], g, 0.8) - 3.3).abs() < 1e-6);
        // 0.5 + 0.5 in ‖·‖₁, 0.707 in ‖·‖₂: inside.
        assert!((goal_reward(k, [0.5, 2.5], g, 0.8) - 3.0).abs() < 1e-6);
        // 0.6 + 0.6 = 1.2 in ‖·‖₁ but 0.849 in ‖·‖₂: outside, the constant.
        assert_eq!(goal_reward(k, [0.6, 2.6], g, 0.8), 2.0);
        assert_eq!(goal_reward(k, [0.0, 0.0], g, 0.8), 2.0);
        let g = [2.0f32.sqrt(), 2.0f32.sqrt()];
        assert!((goal_reward(k, [-5.0, 1.0], g, 0.8) - (4.0 - 2.0 * 2.0f32.sqrt())).abs() < 1e-6);
    }

    /// HFR `HalfCheetahVelEnvSparse.sparsify_rewards` of `−|v − v*|`: below −0.3 it is set to
    /// −2, then 2 is added.
    #[test]
    fn velocity_sparse_is_two_minus_error_inside_only() {
        let (g, k) = ([1.5, 0.0], RewardKind::VelocitySparse);
        assert_eq!(goal_reward(k, [1.5, 0.0], g, 0.3), 2.0);
        assert!((goal_reward(k, [1.3, 0.0], g, 0.3) - 1.8).abs() < 1e-6);
        assert!((goal_reward(k, [1.8, 0.0], g, 0.3) - 1.7).abs() < 1e-6);
        assert_eq!(goal_reward(k, [1.81, 0.0], g, 0.3), 0.0);
        assert_eq!(goal_reward(k, [-3.0, 0.0], g, 0.3), 0.0);
    }

    #[test]
    fn contact_cost_clips_each_component() {
        assert!((contact_cost(0.5e-3, &[10.0, -0.5, 0.0, -3.0]) + 0.5e-3 * 2.25).abs() < 1e-9);
    }

    #[test]
    fn ctrl_cost_is_weighted_square_norm() {
        assert_eq!(ctrl_cost(0.5, &[1.0, -2.0]), -2.5);
        assert_eq!(ctrl_cost(0.0, &[1.0]), 0.0);
    }
}
