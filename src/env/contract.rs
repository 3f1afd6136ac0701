//! The env contract: the [`Env`] trait every env implements (`reset(seed)`, `step(action)`),
//! the types its steps return, its spaces and what it shows for replays.

use serde::{Deserialize, Serialize};

use super::reward::RewardTerms;
use super::task::Task;
use crate::error::{Error, Result};
use crate::sim::DynamicsParams;

/// A box of `low ≤ x ≤ high` per dimension (bounds may be infinite), with names for reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoxSpace {
    /// Lower bounds.
    pub low: Vec<f32>,
    /// Upper bounds.
    pub high: Vec<f32>,
    /// Name of each dimension (with its unit), e.g. `torso_z_m`.
    pub names: Vec<String>,
}

impl BoxSpace {
    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.low.len()
    }

    /// `[-1, 1]^n` with the given names.
    pub fn unit(names: Vec<String>) -> Self {
        BoxSpace {
            low: vec![-1.0; names.len()],
            high: vec![1.0; names.len()],
            names,
        }
    }

    /// Whether `x` has the right length, is finite and lies in the box.
    pub fn contains(&self, x: &[f32]) -> bool {
        x.len() == self.dim()
            && x.iter()
                .zip(self.low.iter().zip(&self.high))
                .all(|(v, (lo, hi))| v.is_finite() && *v >= *lo && *v <= *hi)
    }

    /// The first dimension of `x` outside the space, as `name = value ∉ [low, high]`.
    pub fn first_violation(&self, x: &[f32]) -> Option<String> {
        if x.len() != self.dim() {
            return Some(format!("{} values, the space has {}", x.len(), self.dim()));
        }
        (0..x.len())
            .find(|&i| !(x[i].is_finite() && x[i] >= self.low[i] && x[i] <= self.high[i]))
            .map(|i| {
                let name = self.names.get(i).map_or("?", String::as_str);
                format!("{name} = {} ∉ [{}, {}]", x[i], self.low[i], self.high[i])
            })
    }
}

/// Per-step information beside the reward.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepInfo {
    /// Position the goal is measured against after this step (torso x-y / point position), m.
    pub achieved: [f32; 2],
    /// Each reward term on its own.
    pub terms: RewardTerms,
    /// Whether `achieved` is inside the goal radius.
    pub success: bool,
    /// How many action components were outside [-1, 1] and clipped in this step.
    pub clipped_actions: u32,
    /// The physics blew up in this step (non-finite or exploding state): the episode is
    /// truncated, the observation is the last sane one and the step must not be used as data.
    pub blowup: bool,
    /// Blow-ups since this env was made.
    pub blowups_total: u64,
    /// Actions clipped since this env was made.
    pub clipped_total: u64,
    /// The torso and feet after the step (gait measures).
    #[serde(default)]
    pub body: super::gait_measures::BodySample,
}

/// What `Env::step` returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Observation after the step.
    pub obs: Vec<f32>,
    /// Reward (sum of `info.terms`).
    pub reward: f32,
    /// The task ended by itself (robot flipped over).
    pub terminated: bool,
    /// The episode was cut: time limit or physics blow-up.
    pub truncated: bool,
    /// Details.
    pub info: StepInfo,
}

impl Step {
    /// `terminated || truncated`.
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

/// Information returned by `reset`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResetInfo {
    /// Starting position in the plane (m).
    pub achieved: [f32; 2],
    /// Id of the task in effect.
    pub task_id: usize,
    /// The task's goal (m). Not part of the observation.
    pub goal: [f32; 2],
    /// The dynamics applied for this episode.
    pub dynamics: DynamicsParams,
}

/// What `Env::reset` returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reset {
    /// First observation.
    pub obs: Vec<f32>,
    /// Details.
    pub info: ResetInfo,
}

/// A goal-reaching environment.
pub trait Env: Send {
    /// Observation layout and bounds.
    fn observation_space(&self) -> &BoxSpace;
    /// Action layout; always `[-1, 1]^n`.
    fn action_space(&self) -> &BoxSpace;
    /// The task in effect.
    fn task(&self) -> &Task;
    /// Switches task (goal and dynamics); takes effect at the next `reset`.
    fn set_task(&mut self, task: Task) -> Result<()>;
    /// Control steps per episode.
    fn horizon(&self) -> usize;
    /// Starts an episode. The same seed (and task) gives the same episode, bit for bit.
    fn reset(&mut self, seed: u64) -> Result<Reset>;
    /// Advances one control step. Errors on a wrong-length or NaN action, or when called
    /// before `reset` or after the episode ended; out-of-range components are clipped and
    /// counted in `info.clipped_actions`.
    fn step(&mut self, action: &[f32]) -> Result<Step>;
    /// Appends the world pose of every body, [`POSE_LEN`] floats each (`x y z qx qy qz qw`),
    /// in the order of [`Env::bodies`] (for replays; not used in training).
    fn body_poses(&self, out: &mut Vec<f32>);
    /// What each body looks like, for replays: its name and shapes in its own frame.
    fn bodies(&self) -> Vec<BodyShapes>;
    /// Seconds one control step stands for (replays play back at this rate).
    fn control_dt_s(&self) -> f32;
    /// Writes the actuated joints' angles and velocities in action order; false for a robot
    /// without joints.
    fn joint_state(&self, _q: &mut Vec<f32>, _qd: &mut Vec<f32>) -> bool {
        false
    }
    /// Where the physics' time went since the env was made (Rapier's counters); `None` for an
    /// env without a Rapier world.
    fn physics_profile(&self) -> Option<crate::sim::PhysicsProfile> {
        None
    }
}

/// Floats per body pose in [`Env::body_poses`]: position (m) then unit quaternion.
pub const POSE_LEN: usize = 7;

/// One body's name and the shapes drawn for it, each with its pose in the body frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BodyShapes {
    /// Link name.
    pub name: String,
    /// The shapes (the URDF's collision geometry).
    pub shapes: Vec<DrawnShape>,
    /// What the URDF's `<visual>` elements draw (primitives and meshes); empty when it has
    /// none.
    #[serde(default)]
    pub visuals: Vec<DrawnShape>,
}

/// A shape to draw: URDF conventions (cylinders and capsules along the shape frame's z).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DrawnShape {
    /// `sphere`, `box`, `cylinder`, `capsule` or `mesh`.
    pub kind: String,
    /// Radius (sphere, cylinder, capsule), m.
    #[serde(default)]
    pub radius: f32,
    /// Length (cylinder: full; capsule: the cylindrical part), m.
    #[serde(default)]
    pub length: f32,
    /// Full side lengths (box), m.
    #[serde(default)]
    pub size: [f32; 3],
    /// Position in the body frame, m.
    pub pos: [f32; 3],
    /// Orientation in the body frame (`qx qy qz qw`).
    pub quat: [f32; 4],
    /// The mesh file as the URDF names it (`mesh` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh: Option<String>,
    /// Per-axis scale of the mesh (`mesh` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<[f32; 3]>,
    /// Colour from the URDF `<material>` (visuals only), `r g b a` in 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rgba: Option<[f32; 4]>,
}

/// Checks an action and writes its clipped copy into `out`; returns how many were clipped.
pub fn clip_action(action: &[f32], dim: usize, out: &mut Vec<f32>) -> Result<u32> {
    if action.len() != dim {
        return Err(Error::Action(format!(
            "expected {dim} components, got {}",
            action.len()
        )));
    }
    if let Some(i) = action.iter().position(|a| a.is_nan()) {
        return Err(Error::Action(format!("component {i} is NaN")));
    }
    out.clear();
    let mut clipped = 0;
    for &a in action {
        if !(-1.0..=1.0).contains(&a) {
            clipped += 1;
        }
        out.push(a.clamp(-1.0, 1.0));
    }
    Ok(clipped)
}

/// Shared episode bookkeeping of the envs: step counter, done flag, counters.
#[derive(Clone, Debug, Default)]
pub(crate) struct EpisodeState {
    pub t: usize,
    pub running: bool,
    pub blowups_total: u64,
    pub clipped_total: u64,
}

impl EpisodeState {
    pub fn check_running(&self) -> Result<()> {
        if self.running {
            Ok(())
        } else {
            Err(Error::Action(
                "step called before reset or after the episode ended; call reset first".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_action_clips_counts_and_rejects() {
        let mut out = Vec::new();
        assert_eq!(clip_action(&[0.5, 2.0, -3.0], 3, &mut out).unwrap(), 2);
        assert_eq!(out, vec![0.5, 1.0, -1.0]);
        assert!(clip_action(&[0.0], 3, &mut out)
            .unwrap_err()
            .to_string()
            .contains("expected 3 components, got 1"));
        assert!(clip_action(&[0.0, f32::NAN], 2, &mut out)
            .unwrap_err()
            .to_string()
            .contains("component 1 is NaN"));
        assert_eq!(clip_action(&[f32::INFINITY], 1, &mut out).unwrap(), 1);
        assert_eq!(out, vec![1.0]);
    }
}
