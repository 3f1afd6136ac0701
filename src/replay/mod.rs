//! Seeing what the robot does: a [`Replay`] holds recorded episodes per task (meta-test of a
//! trained run, or scripted actions), [`page`] writes it as one self-contained HTML file (3-D
//! view with three.js inlined, 2-D top view, controls, info panel), and
//! [`crate::report::plots::trajectories`] draws its top-down torso paths.
//!
//! Recording wraps envs in [`record::Recorder`]; a meta-test replay runs the exact protocol and
//! random stream of [`crate::train::trainer::Trainer::evaluate_tasks`], so it shows the episodes behind
//! the reported figure.

pub mod mesh;
pub mod page;
pub mod record;

use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde::Serialize;

use crate::config::Config;
use crate::env::vec_env::episode_seed;
use crate::env::{BodyShapes, Env, EnvMaker, Task};
use crate::error::{Error, Result};
use crate::report::plots::TrajectoryPanel;
use crate::train::meta_test::TaskEval;
use crate::train::trainer::Trainer;
pub use record::{EpisodeRecord, Recorder, Scripted};

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
    fn empty(cfg: &Config, env: &dyn Env, title: String, poses: bool) -> Self {
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

/// Meta-tests `trainer`'s agent on `tasks` (the protocol and stream of
/// [`Trainer::evaluate_tasks`] with base seed `seed`) and records every episode.
pub fn meta_test(
    trainer: &mut Trainer,
    tasks: &[Task],
    seed: Option<u64>,
    poses: bool,
) -> Result<(Replay, crate::train::rollout::EpisodeSummary)> {
    let (summary, evals, episodes) = trainer.evaluate_recorded(tasks, seed, poses)?;
    let cfg = &trainer.cfg;
    let probe = EnvMaker::new(cfg)?.make(tasks[0].clone())?;
    let title = format!(
        "{} · meta-test after {} iterations",
        cfg.env.robot, trainer.state.iteration
    );
    let mut replay = Replay::empty(cfg, probe.as_ref(), title, poses);
    let explore = cfg.eval.exploration_episodes;
    for (task, eval) in tasks.iter().zip(evals) {
        let eps = episodes
            .iter()
            .filter(|e| e.task == task.id)
            .enumerate()
            .map(|(k, e)| ReplayEpisode {
                label: match k < explore {
                    true => format!("exploration {}/{explore}", k + 1),
                    false => format!("scored {}", k + 1 - explore),
                },
                scored: k >= explore,
                record: e.clone(),
            })
            .collect();
        replay.tasks.push(TaskReplay {
            task: task.clone(),
            eval: Some(eval),
            episodes: eps,
        });
    }
    Ok((replay, summary))
}

/// Runs `episodes` scripted episodes on each of `tasks` (reset seeds from `seed`) and records
/// them.
pub fn scripted(
    cfg: &Config,
    tasks: &[Task],
    episodes: usize,
    how: Scripted,
    seed: u64,
) -> Result<Replay> {
    let first = tasks
        .first()
        .ok_or_else(|| Error::argument("--tasks", "no task to replay"))?;
    // The A1's trot is position targets tuned for its own PD gains (`A1Trot`).
    let a1_trot = how == Scripted::Trot && cfg.env.robot == crate::config::Robot::A1;
    let mut cfg = cfg.clone();
    if a1_trot {
        crate::env::gait::A1Trot::tune(&mut cfg);
    }
    let cfg = &cfg;
    let maker = EnvMaker::new(cfg)?;
    let (mut env, log) = Recorder::new(maker.make(first.clone())?, true);
    let what = match how {
        Scripted::Random => "random actions".to_string(),
        Scripted::Trot if a1_trot => format!(
            "fixed trot (PD kp {}, kd {}, action scale {} rad)",
            cfg.env.pd.kp, cfg.env.pd.kd, cfg.env.pd.action_scale_rad
        ),
        Scripted::Trot => "fixed trot".to_string(),
    };
    let title = format!("{} · {what}", cfg.env.robot);
    let mut replay = Replay::empty(cfg, &env, title, true);
    let mut rng = Pcg64::seed_from_u64(seed);
    for task in tasks {
        for e in 0..episodes {
            let s = episode_seed(seed, task.id, e as u64);
            let scale = a1_trot.then_some(cfg.env.pd.action_scale_rad);
            record::scripted_episode(&mut env, task, s, how, scale, &mut rng)?;
        }
        let mut log = log
            .lock()
            .map_err(|_| Error::Action("replay log poisoned by a panic".into()))?;
        let eps = std::mem::take(&mut *log)
            .into_iter()
            .filter(|e| e.steps() > 0 || e.blowup_step.is_some())
            .enumerate()
            .map(|(k, record)| ReplayEpisode {
                label: format!("episode {}", k + 1),
                scored: true,
                record,
            })
            .collect();
        replay.tasks.push(TaskReplay {
            task: task.clone(),
            eval: None,
            episodes: eps,
        });
    }
    Ok(replay)
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
            "--task",
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
