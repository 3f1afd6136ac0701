//! Tasks: a goal and the dynamics to reach it under. A `TaskSet` holds disjoint train and test
//! tasks drawn from one seed.

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::numpy_rng::{seeded_uniform, shuffled_half_circle};
use crate::config::{GoalConfig, GoalSet, GoalSetKind, TasksConfig};
use crate::error::{Error, Result};
use crate::sim::dynamics::DynamicsShape;
use crate::sim::DynamicsParams;

/// One task of a family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Index in the family (train tasks first, then test tasks).
    pub id: usize,
    /// Goal position in the x-y plane (m).
    pub goal: [f32; 2],
    /// Dynamics of this task.
    pub dynamics: DynamicsParams,
}

/// Train and test tasks of one family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSet {
    /// Meta-training tasks, ids `0..n_train`.
    pub train: Vec<Task>,
    /// Held-out tasks, ids `n_train..n_train + n_test`.
    pub test: Vec<Task>,
}

impl TaskSet {
    /// Draws the family from `cfg.seed` for a robot of `shape`. Train tasks are
    /// drawn first, so adding test tasks never changes the train tasks. A test task identical
    /// to a train task (possible only with degenerate ranges) is redrawn, up to 100 times.
    pub fn sample(cfg: &TasksConfig, shape: &DynamicsShape) -> Result<TaskSet> {
        if let Some(set) = &cfg.goal.set {
            return Self::from_goal_set(cfg, set, shape);
        }
        let mut rng = rand_pcg::Pcg64::seed_from_u64(cfg.seed);
        let mut train = Vec::with_capacity(cfg.n_train);
        for id in 0..cfg.n_train {
            train.push(Task {
                id,
                goal: sample_goal(&cfg.goal, &mut rng),
                dynamics: cfg.dynamics.sample(shape, &mut rng),
            });
        }
        let test_ranges = cfg.test_dynamics.as_ref().unwrap_or(&cfg.dynamics);
        let mut test = Vec::with_capacity(cfg.n_test);
        for k in 0..cfg.n_test {
            let mut task = Task {
                id: cfg.n_train + k,
                goal: sample_goal(&cfg.goal, &mut rng),
                dynamics: test_ranges.sample(shape, &mut rng),
            };
            for _ in 0..100 {
                let clash = train
                    .iter()
                    .any(|t| t.goal == task.goal && t.dynamics == task.dynamics);
                if !clash {
                    break;
                }
                task.goal = sample_goal(&cfg.goal, &mut rng);
                task.dynamics = test_ranges.sample(shape, &mut rng);
            }
            test.push(task);
        }
        Ok(TaskSet { train, test })
    }

    /// A reference benchmark's fixed goals, split as the reference code splits its task list
    /// (oyster's and HFR's `launch_experiment`: train the first `n_train`, test the last
    /// `n_test`); dynamics drawn from `cfg.seed` as for drawn goals.
    fn from_goal_set(cfg: &TasksConfig, set: &GoalSet, shape: &DynamicsShape) -> Result<TaskSet> {
        if cfg.n_train + cfg.n_test > set.count {
            return Err(Error::config(
                "tasks.goal.set.count",
                format!(
                    "the goal set holds {} goals; n_train + n_test = {} must not exceed it",
                    set.count,
                    cfg.n_train + cfg.n_test
                ),
            ));
        }
        let goals = match set.kind {
            GoalSetKind::ShuffledHalfCircle => {
                shuffled_half_circle(f64::from(set.radius_m), set.count, set.seed)
            }
            GoalSetKind::UniformVelocity => {
                let [lo, hi] = set.velocity_m_s.ok_or_else(|| {
                    Error::config("tasks.goal.set.velocity_m_s", "`uniform-velocity` needs it")
                })?;
                seeded_uniform(f64::from(lo), f64::from(hi), set.count, set.seed)
                    .into_iter()
                    .map(|v| [v, 0.0])
                    .collect()
            }
        };
        let mut rng = rand_pcg::Pcg64::seed_from_u64(cfg.seed);
        let test_ranges = cfg.test_dynamics.as_ref().unwrap_or(&cfg.dynamics);
        let mut task = |id: usize, goal: [f64; 2], ranges: &crate::sim::DynamicsRanges| Task {
            id,
            goal: [goal[0] as f32, goal[1] as f32],
            dynamics: ranges.sample(shape, &mut rng),
        };
        let train = (0..cfg.n_train)
            .map(|id| task(id, goals[id], &cfg.dynamics))
            .collect();
        let first_test = set.count - cfg.n_test;
        let test = (0..cfg.n_test)
            .map(|k| task(cfg.n_train + k, goals[first_test + k], test_ranges))
            .collect();
        Ok(TaskSet { train, test })
    }

    /// Every task, train then test.
    pub fn all(&self) -> impl Iterator<Item = &Task> {
        self.train.iter().chain(self.test.iter())
    }
}

/// A goal on the configured arc: distance `d ~ U(distance_m)`, heading `θ ~ U(angle_deg)`,
/// goal = `d·(cos θ, sin θ)`.
pub fn sample_goal(cfg: &GoalConfig, rng: &mut impl Rng) -> [f32; 2] {
    let u = |rng: &mut dyn rand::RngCore, [lo, hi]: [f32; 2]| {
        if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            lo
        }
    };
    let d = u(rng, cfg.distance_m);
    let theta = u(rng, cfg.angle_deg).to_radians();
    [d * theta.cos(), d * theta.sin()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn train_and_test_are_disjoint_seeded_and_in_range() {
        let cfg = Config::default_for("quadruped").unwrap().tasks;
        let a = TaskSet::sample(&cfg, &DynamicsShape::bodies(9)).unwrap();
        let b = TaskSet::sample(&cfg, &DynamicsShape::bodies(9)).unwrap();
        assert_eq!(a, b, "same seed, same tasks");
        assert_eq!(a.train.len(), cfg.n_train);
        assert_eq!(a.test.len(), cfg.n_test);
        for t in &a.test {
            assert!(a
                .train
                .iter()
                .all(|s| s.goal != t.goal || s.dynamics != t.dynamics));
        }
        for t in a.all() {
            let d = (t.goal[0].powi(2) + t.goal[1].powi(2)).sqrt();
            assert!((2.0 - 1e-4..=3.0 + 1e-4).contains(&d), "goal distance {d}");
            assert!(t.goal[0] >= -1e-4, "goal in front: {:?}", t.goal);
        }
        let ids: Vec<usize> = a.all().map(|t| t.id).collect();
        assert_eq!(ids, (0..cfg.n_train + cfg.n_test).collect::<Vec<_>>());
        let mut other = cfg.clone();
        other.seed = 1;
        assert_ne!(
            TaskSet::sample(&other, &DynamicsShape::bodies(9)).unwrap(),
            a
        );
    }

    #[test]
    fn point_goals_lie_on_the_upper_half_circle() {
        let cfg = Config::default_for("point").unwrap().tasks;
        for t in TaskSet::sample(&cfg, &DynamicsShape::bodies(1))
            .unwrap()
            .all()
        {
            let r = (t.goal[0].powi(2) + t.goal[1].powi(2)).sqrt();
            assert!((r - 1.0).abs() < 1e-5 && t.goal[1] >= -1e-6, "{:?}", t.goal);
        }
    }
}
