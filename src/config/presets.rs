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
}];

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
