//! Episodes without an agent, recorded for replay pages: uniform random actions or the fixed
//! trots of `env::gait`.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use super::data::{Replay, ReplayEpisode, TaskReplay};
use crate::config::{Config, Robot};
use crate::env::gait::{A1Trot, TrotGait};
use crate::env::recording::RecordingEnv;
use crate::env::vec_env::episode_seed;
use crate::env::{Env, EnvMaker, Task};
use crate::error::{Error, Result};

/// What acts in an episode without an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scripted {
    /// Uniform random actions in [-1, 1].
    Random,
    /// The quadruped's fixed trot (PD on joint targets).
    Trot,
}

/// Runs one episode of `env` (a recorder) on `task` with scripted actions. The trot is the
/// quadruped's torque gait, or with `a1_scale` (the env's action scale) the A1's position
/// targets.
pub fn scripted_episode(
    env: &mut RecordingEnv,
    task: &Task,
    seed: u64,
    how: Scripted,
    a1_scale: Option<f32>,
    rng: &mut impl Rng,
) -> Result<()> {
    env.set_task(task.clone())?;
    env.reset(seed)?;
    let ad = env.action_space().dim();
    let wanted = if a1_scale.is_some() { 12 } else { 8 };
    if how == Scripted::Trot && ad != wanted {
        return Err(Error::argument(
            "--trot",
            format!(
                "the fixed trots drive the quadruped's 8 joints or the A1's 12, this robot has {ad}; use --random"
            ),
        ));
    }
    let gait = TrotGait::default();
    let a1 = A1Trot::default();
    let (mut q, mut qd) = (Vec::new(), Vec::new());
    let dt = env.control_dt_s();
    for t in 0..env.horizon() {
        let action: Vec<f32> = match (how, a1_scale) {
            (Scripted::Random, _) => (0..ad).map(|_| rng.random_range(-1.0..=1.0)).collect(),
            (Scripted::Trot, Some(scale)) => a1.action(t as f32 * dt, scale).to_vec(),
            (Scripted::Trot, None) => {
                if !env.joint_state(&mut q, &mut qd) {
                    return Err(Error::argument(
                        "--trot",
                        "the fixed trot needs a legged robot (the quadruped); use --random",
                    ));
                }
                gait.action(t as f32 * dt, &q, &qd).to_vec()
            }
        };
        if env.step(&action)?.done() {
            break;
        }
    }
    Ok(())
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
    let a1_trot = how == Scripted::Trot && cfg.env.robot == Robot::A1;
    let mut cfg = cfg.clone();
    if a1_trot {
        A1Trot::tune(&mut cfg);
    }
    let cfg = &cfg;
    let maker = EnvMaker::new(cfg)?;
    let (mut env, log) = RecordingEnv::new(maker.make(first.clone())?, true);
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
            scripted_episode(&mut env, task, s, how, scale, &mut rng)?;
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
