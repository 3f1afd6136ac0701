//! Named task presets: the field's benchmarks as their reference code defines them, each a
//! whole config (robot, task family, reward, agent, budget and the reference's meta-test as
//! `[eval]`) embedded from `assets/configs/tasks/`, whose header cites the source file and
//! function of every number and lists what differs. `drat train --task NAME`, or a config
//! file with a top-level `task = "NAME"` (merged over the preset); `drat tasks` lists them.

use crate::error::{Error, Result};

/// One preset.
#[derive(Clone, Copy, Debug)]
pub struct TaskPreset {
    /// `--task` name.
    pub name: &'static str,
    /// The reference code it follows (repository and files).
    pub source: &'static str,
    /// One line on what it is.
    pub summary: &'static str,
    /// The embedded config.
    pub toml: &'static str,
}

/// Every preset, in the order `drat tasks` lists them.
pub const TASK_PRESETS: &[TaskPreset] = &[TaskPreset {
    name: "sparse-point-robot",
    source: "katerakelly/oyster rlkit/envs/point_robot.py, configs/sparse-point-robot.json",
    summary: "2-D point, s' = s + a, 100 goals on the unit half circle (80 train / 20 test), \
              reward 1 − d inside 0.2, horizon 20; meta-test 5 prior + 15 posterior trajectories, \
              the last scored, 2 runs",
    toml: include_str!("../../assets/configs/tasks/sparse-point-robot.toml"),
}, TaskPreset {
    name: "ant-goal-sparse",
    source: "michaelwan11/hfr rlkit/envs/ant_goal.py, rlkit/envs/ant.py, configs/ant-goal.json",
    summary: "Gymnasium's ant at gear 30, 130 goals on a radius-2 half circle (100 train / 30 test), \
              reward 4 − ‖xy − g‖₁ inside 0.8 m else 4 − ‖g‖₁, minus control and contact costs, \
              plus 0.05; horizon 200; meta-test 2 prior + 1 posterior trajectory, the last scored",
    toml: include_str!("../../assets/configs/tasks/ant-goal-sparse.toml"),
}, TaskPreset {
    name: "cheetah-vel-sparse",
    source: "michaelwan11/hfr rlkit/envs/half_cheetah_vel.py, configs/cheetah-vel-sparse.json",
    summary: "Gymnasium's half_cheetah, 130 target velocities U(0, 3) (100 train / 30 test), reward \
              2 − |v − v*| inside 0.3 m/s else 0, minus 0.05‖a‖²; horizon 200; meta-test 2 prior + \
              1 posterior trajectory, the last scored, 2 runs",
    toml: include_str!("../../assets/configs/tasks/cheetah-vel-sparse.toml"),
}];

/// `--shift` names and the `--set`s each stands for (applied before the user's own).
pub const SHIFTS: &[(&str, &[&str])] = &[
    ("none", &["tasks.dynamics.randomize=false"]),
    (
        "mass-friction",
        &[
            "tasks.dynamics.randomize=true",
            "tasks.dynamics.family=\"mass-friction\"",
        ],
    ),
    (
        "rand-params",
        &[
            "tasks.dynamics.randomize=true",
            "tasks.dynamics.family=\"rand-params\"",
        ],
    ),
];

/// The `--set`s of dynamics shift `name` (see [`SHIFTS`]).
pub fn shift_sets(name: &str) -> Result<Vec<String>> {
    SHIFTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, sets)| sets.iter().map(|s| s.to_string()).collect())
        .ok_or_else(|| {
            let names: Vec<&str> = SHIFTS.iter().map(|(n, _)| *n).collect();
            Error::argument(
                "--shift",
                format!("unknown shift `{name}`; known: {}", names.join(", ")),
            )
        })
}

/// The preset called `name`.
pub fn task_preset(name: &str) -> Result<&'static TaskPreset> {
    TASK_PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = TASK_PRESETS.iter().map(|p| p.name).collect();
        Error::argument(
            "--task",
            format!("unknown task `{name}`; known: {}", names.join(", ")),
        )
    })
}
