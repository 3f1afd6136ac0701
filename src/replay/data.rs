//! The data of a replay: recorded episodes per task, the robot's bodies and meshes, and the
//! top-down picture of its paths.

use serde::Serialize;

use super::mesh;
use crate::config::Config;
use crate::env::recording::EpisodeRecord;
use crate::env::{BodyShapes, Env, Task};
use crate::error::{Error, Result};
use crate::report::plots::TrajectoryPanel;
use crate::train::meta_test::TaskEval;

/// One task's recorded episodes.
#[derive(Clone, Debug, Serialize)]
pub struct TaskReplay {
    /// The task (goal and dynamics).
    pub task: Task,
    /// Its meta-test record (none for scripted replays).
    pub eval: Option<TaskEval>,
    /// The episodes in the order they ran.
    pub episodes: Vec<ReplayEpisode>,
}

/// A recorded episode and its role.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayEpisode {
    /// E.g. `exploration 3/100`, `scored`, `episode 2`.
    pub label: String,
    /// A scored meta-test episode (drawn bold in pictures).
    pub scored: bool,
    /// What happened.
    pub record: EpisodeRecord,
}

/// Recorded episodes of several tasks of one robot.
#[derive(Clone, Debug, Serialize)]
pub struct Replay {
    /// What was run (shown as the page's title).
    pub title: String,
    /// Robot name.
    pub robot: String,
    /// Seconds per control step.
    pub control_dt_s: f32,
    /// Goal radius of the sparse reward (m).
    pub goal_radius_m: f32,
    /// The bodies and their shapes, in pose order.
    pub bodies: Vec<BodyShapes>,
    /// Whether frames hold poses (false: paths only).
    pub poses: bool,
    /// The visual meshes the bodies draw, decimated, by `<mesh filename>` (empty without
    /// poses).
    pub meshes: std::collections::BTreeMap<String, mesh::PageMesh>,
    /// What the page cannot show as the robot description says (e.g. a mesh file not found).
    pub notes: Vec<String>,
    /// The tasks.
    pub tasks: Vec<TaskReplay>,
}

impl Replay {
    /// A replay with no tasks yet, of the robot `env` simulates.
    pub fn empty(cfg: &Config, env: &dyn Env, title: String, poses: bool) -> Self {
        let bodies = env.bodies();
        let (meshes, notes) = match poses {
            true => mesh::load(&cfg.env.robot, &bodies),
            false => Default::default(),
        };
        Replay {
            title,
            robot: cfg.env.robot.to_string(),
            control_dt_s: env.control_dt_s(),
            goal_radius_m: cfg.reward.goal_radius_m,
            bodies,
            poses,
            meshes,
            notes,
            tasks: Vec::new(),
        }
    }

    /// Keeps at most `n` episodes per task: the scored ones and the exploration episodes just
    /// before them (the ones that shaped the posterior last).
    pub fn keep_last(&mut self, n: usize) {
        for t in &mut self.tasks {
            let drop = t.episodes.len().saturating_sub(n.max(1));
            t.episodes.drain(..drop);
        }
    }
}

/// Picks tasks by `--task N` (one index) or `--tasks K` (the first K) from `all`.
pub fn pick_tasks(all: &[Task], one: Option<usize>, first: usize) -> Result<Vec<Task>> {
    if all.is_empty() {
        return Err(Error::argument(
            "tasks.n_test",
            "the config has no held-out tasks",
        ));
    }
    match one {
        Some(i) if i >= all.len() => Err(Error::argument(
            "--test-task",
            format!(
                "{i} is out of range: the run has {} held-out tasks (0..={})",
                all.len(),
                all.len() - 1
            ),
        )),
        Some(i) => Ok(vec![all[i].clone()]),
        None if first == 0 => Err(Error::argument("--tasks", "must be ≥ 1")),
        None => Ok(all[..first.min(all.len())].to_vec()),
    }
}

/// At most this many tasks get a panel in a trajectories picture.
pub const MAX_PICTURE_TASKS: usize = 12;

/// Draws `replay`'s top-down paths (the first [`MAX_PICTURE_TASKS`] tasks, one panel each) to
/// `png` (and the SVG beside it).
pub fn trajectories_png(replay: &Replay, png: &std::path::Path) -> Result<()> {
    let panels: Vec<TrajectoryPanel> = replay
        .tasks
        .iter()
        .take(MAX_PICTURE_TASKS)
        .map(|t| {
            let d = &t.task.dynamics;
            let mean_mass = d.mass_scale.iter().sum::<f32>() / d.mass_scale.len().max(1) as f32;
            let outcome = match &t.eval {
                Some(e) if e.success > 0.0 => " · reached",
                Some(_) => " · missed",
                None => "",
            };
            TrajectoryPanel {
                title: format!(
                    "task {}{outcome} · mass×{mean_mass:.2} · μ {:.2}",
                    t.task.id, d.friction_coef
                ),
                goal: t.task.goal,
                radius: replay.goal_radius_m,
                paths: t
                    .episodes
                    .iter()
                    .map(|e| (e.record.path.clone(), e.scored, e.record.success_step))
                    .collect(),
            }
        })
        .collect();
    let shown = panels.len();
    let title = match replay.tasks.len() > shown {
        true => format!(
            "{} (first {shown} of {} tasks)",
            replay.title,
            replay.tasks.len()
        ),
        false => replay.title.clone(),
    };
    if let Some(dir) = png.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    crate::report::plots::trajectories(&panels, png, &title)
}
