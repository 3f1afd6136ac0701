//! Trajectories moved into a train task from other tasks (HFR, DR, DRaE): the rows, relabeled
//! to this task, and per row its source task, behaviour log-probability and critic target.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::buffer::{Batch, TaskBuffer};
use super::meta_batch::MetaBatch;
use super::trajectory::Trajectory;

/// Trajectories moved into one train task from others, kept whole (a FIFO ring of
/// `transfer.capacity` rows; only complete trajectories are sampled or refreshed), each row
/// with its source task, its behaviour log-probability and its critic target (`None`: the
/// critic bootstraps as usual, HFR; DR/DRaE rows get one when they move and on every refresh).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MovedBuffer {
    /// The rows, rewards relabeled to this task (columns travel as tensors in checkpoints).
    pub rows: TaskBuffer,
    /// Source task per slot.
    #[serde(skip)]
    source: Vec<f32>,
    /// `log π_b(a|s)` per slot.
    #[serde(skip)]
    logp_b: Vec<f32>,
    /// Critic target per slot.
    #[serde(skip)]
    target: Vec<Option<f32>>,
}

impl MovedBuffer {
    /// An empty buffer for `capacity` transitions.
    pub fn new(obs_dim: usize, act_dim: usize, capacity: usize) -> Self {
        MovedBuffer {
            rows: TaskBuffer::new(obs_dim, act_dim, capacity),
            source: Vec::new(),
            logp_b: Vec::new(),
            target: Vec::new(),
        }
    }

    /// Adds a moved trajectory (rewards already relabeled); returns its slots.
    pub fn push(&mut self, traj: &Trajectory) -> Vec<usize> {
        let n = traj.rows.len();
        let mut slots = Vec::with_capacity(n);
        for t in 0..n {
            let slot = self.rows.push(&traj.rows.row(t), t + 1 == n);
            if self.target.len() <= slot {
                self.source.resize(slot + 1, 0.0);
                self.logp_b.resize(slot + 1, 0.0);
                self.target.resize(slot + 1, None);
            }
            self.source[slot] = traj.task as f32;
            self.logp_b[slot] = traj.behaviour_logp[t];
            self.target[slot] = None;
            slots.push(slot);
        }
        slots
    }

    /// The complete trajectories stored, oldest first, with their slots.
    pub fn trajectories(&self) -> Vec<(Vec<usize>, Trajectory)> {
        self.rows
            .trajectories()
            .into_iter()
            .map(|slots| {
                let traj = self.trajectory(&slots);
                (slots, traj)
            })
            .collect()
    }

    /// The trajectory stored at `slots` (one complete trajectory, oldest row first).
    pub fn trajectory(&self, slots: &[usize]) -> Trajectory {
        let mut rows = Batch::default();
        self.rows.gather_into(slots, &mut rows);
        Trajectory {
            task: self.source[slots[0]] as usize,
            rows,
            behaviour_z: Vec::new(),
            behaviour_logp: slots.iter().map(|&s| self.logp_b[s]).collect(),
        }
    }

    /// Sets the targets of `slots` (one trajectory).
    pub fn set_targets(&mut self, slots: &[usize], targets: Option<&[f32]>) {
        for (k, &s) in slots.iter().enumerate() {
            self.target[s] = targets.map(|y| y[k]);
        }
    }

    /// The target of a slot.
    pub fn target(&self, slot: usize) -> Option<f32> {
        self.target[slot]
    }

    /// Whether a complete trajectory is stored.
    pub fn has_trajectories(&self) -> bool {
        self.rows.n_episodes() > 0
    }

    /// `n` rows of complete trajectories drawn uniformly (a trajectory with probability in
    /// proportion to its length), appended to `out` with their targets. Returns the rows
    /// drawn (for the context).
    pub fn sample_into(&self, n: usize, out: &mut MetaBatch, rng: &mut impl Rng) -> Batch {
        let trajs = self.rows.trajectories();
        let total: usize = trajs.iter().map(Vec::len).sum();
        let slots: Vec<usize> = (0..n)
            .map(|_| {
                let mut k = rng.random_range(0..total);
                for t in &trajs {
                    if k < t.len() {
                        return t[k];
                    }
                    k -= t.len();
                }
                unreachable!("k < total, the sum of the lengths")
            })
            .collect();
        let mut rows = Batch::default();
        self.rows.gather_into(&slots, &mut rows);
        out.rl.extend(&rows);
        out.target.extend(slots.iter().map(|&s| self.target[s]));
        rows
    }

    /// The per-slot columns besides the rows, for checkpoints (targets as value and a 0/1
    /// mask).
    pub fn extra_columns(&self) -> Vec<(&'static str, Vec<f32>)> {
        vec![
            ("source", self.source.clone()),
            ("logp_b", self.logp_b.clone()),
            (
                "target",
                self.target.iter().map(|y| y.unwrap_or(0.0)).collect(),
            ),
            (
                "target_set",
                self.target
                    .iter()
                    .map(|y| f32::from(u8::from(y.is_some())))
                    .collect(),
            ),
        ]
    }

    /// Restores [`MovedBuffer::extra_columns`]; checks their lengths.
    pub fn set_extra_columns(
        &mut self,
        mut get: impl FnMut(&str) -> Option<Vec<f32>>,
    ) -> std::result::Result<(), String> {
        let n = self.rows.len();
        let mut take = |name: &str| -> std::result::Result<Vec<f32>, String> {
            let v = get(name).unwrap_or_default();
            if v.len() != n {
                return Err(format!(
                    "column `{name}` has {} values, expected {n}",
                    v.len()
                ));
            }
            Ok(v)
        };
        self.source = take("source")?;
        self.logp_b = take("logp_b")?;
        let (y, set) = (take("target")?, take("target_set")?);
        self.target = y
            .iter()
            .zip(&set)
            .map(|(&y, &s)| (s > 0.5).then_some(y))
            .collect();
        Ok(())
    }
}
