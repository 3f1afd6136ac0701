//! Recording episodes (a Brax-style env wrapper): [`RecordingEnv`] wraps any [`Env`] and logs,
//! per episode, every body's pose at the reset and after each step, the achieved position, the
//! rewards, and where the goal was first reached or the physics blew up. Training never wraps its
//! envs; meta-test with recording (`Trainer::evaluate_recorded`), replay pages and trajectory
//! pictures do.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::contract::{BodyShapes, BoxSpace, Env, Reset, Step, POSE_LEN};
use super::task::Task;
use crate::error::{Error, Result};

/// One recorded episode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// Task id.
    pub task: usize,
    /// Reset seed.
    pub seed: u64,
    /// Body poses per frame, `n_bodies × POSE_LEN` floats each: frame 0 at the reset, then one
    /// per step. Empty when poses are not recorded. A blow-up step adds no frame.
    pub frames: Vec<f32>,
    /// Achieved position (torso or point, m) per frame.
    pub path: Vec<[f32; 2]>,
    /// Reward of each step (one fewer than the frames).
    pub rewards: Vec<f32>,
    /// First step (1-based) that ended inside the goal radius.
    pub success_step: Option<usize>,
    /// The step (1-based) at which the physics blew up; the episode was truncated there.
    pub blowup_step: Option<usize>,
    /// The torso's and feet's sums (gait measures).
    pub gait: super::gait_measures::GaitStats,
}

impl EpisodeRecord {
    /// Steps recorded (a blow-up step not counted).
    pub fn steps(&self) -> usize {
        self.rewards.len()
    }

    /// Sum of the rewards.
    pub fn ret(&self) -> f32 {
        self.rewards.iter().sum()
    }

    /// Whether the goal was reached.
    pub fn success(&self) -> bool {
        self.success_step.is_some()
    }
}

/// The episodes one recorder has seen, in order.
pub type EpisodeLog = Arc<Mutex<Vec<EpisodeRecord>>>;

/// An env that records what it does (see the module doc).
pub struct RecordingEnv {
    inner: Box<dyn Env>,
    poses: bool,
    log: EpisodeLog,
    seed: u64,
}

impl RecordingEnv {
    /// Wraps `inner`; with `poses` false only paths and rewards are kept (trajectory pictures).
    pub fn new(inner: Box<dyn Env>, poses: bool) -> (Self, EpisodeLog) {
        let log = EpisodeLog::default();
        let r = RecordingEnv {
            inner,
            poses,
            log: log.clone(),
            seed: 0,
        };
        (r, log)
    }

    fn with_current<T>(&self, f: impl FnOnce(&mut EpisodeRecord) -> T) -> Result<T> {
        let mut log = self
            .log
            .lock()
            .map_err(|_| Error::Action("episode log poisoned by a panic".into()))?;
        let ep = log
            .last_mut()
            .ok_or_else(|| Error::Action("step before reset".into()))?;
        Ok(f(ep))
    }
}

impl Env for RecordingEnv {
    fn observation_space(&self) -> &BoxSpace {
        self.inner.observation_space()
    }

    fn action_space(&self) -> &BoxSpace {
        self.inner.action_space()
    }

    fn task(&self) -> &Task {
        self.inner.task()
    }

    fn set_task(&mut self, task: Task) -> Result<()> {
        self.inner.set_task(task)
    }

    fn horizon(&self) -> usize {
        self.inner.horizon()
    }

    fn reset(&mut self, seed: u64) -> Result<Reset> {
        let r = self.inner.reset(seed)?;
        self.seed = seed;
        let mut ep = EpisodeRecord {
            task: r.info.task_id,
            seed,
            path: vec![r.info.achieved],
            ..EpisodeRecord::default()
        };
        if self.poses {
            self.inner.body_poses(&mut ep.frames);
        }
        let mut log = self
            .log
            .lock()
            .map_err(|_| Error::Action("episode log poisoned by a panic".into()))?;
        // An episode reset before its first step never happened (VecEnv resets on creation).
        if log
            .last()
            .is_some_and(|e| e.steps() == 0 && e.blowup_step.is_none())
        {
            log.pop();
        }
        log.push(ep);
        Ok(r)
    }

    fn step(&mut self, action: &[f32]) -> Result<Step> {
        let s = self.inner.step(action)?;
        let mut poses = Vec::new();
        if self.poses && !s.info.blowup {
            self.inner.body_poses(&mut poses);
        }
        self.with_current(|ep| {
            let t = ep.steps() + 1;
            if s.info.blowup {
                ep.blowup_step = Some(t);
                return;
            }
            ep.frames.extend_from_slice(&poses);
            ep.path.push(s.info.achieved);
            ep.rewards.push(s.reward);
            ep.gait.add(&s.info.body);
            if s.info.success && ep.success_step.is_none() {
                ep.success_step = Some(t);
            }
        })?;
        Ok(s)
    }

    fn body_poses(&self, out: &mut Vec<f32>) {
        self.inner.body_poses(out);
    }

    fn bodies(&self) -> Vec<BodyShapes> {
        self.inner.bodies()
    }

    fn control_dt_s(&self) -> f32 {
        self.inner.control_dt_s()
    }

    fn joint_state(&self, q: &mut Vec<f32>, qd: &mut Vec<f32>) -> bool {
        self.inner.joint_state(q, qd)
    }

    fn physics_profile(&self) -> Option<crate::sim::PhysicsProfile> {
        self.inner.physics_profile()
    }
}

/// Poses of body `b` at frame `f` of `ep` (`n_bodies` bodies per frame).
pub fn pose(ep: &EpisodeRecord, n_bodies: usize, f: usize, b: usize) -> &[f32] {
    let at = (f * n_bodies + b) * POSE_LEN;
    &ep.frames[at..at + POSE_LEN]
}
