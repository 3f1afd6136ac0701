//! Per-task replay: transitions in flat `Vec<f32>` columns (one ring per task) plus the episode
//! boundaries, so whole trajectories — with the `achieved` positions their rewards are computed
//! from — can be read back for relabeling. Memory is bounded by `capacity` transitions.

use std::collections::VecDeque;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// One transition, borrowed.
#[derive(Clone, Copy, Debug)]
pub struct Transition<'a> {
    /// Observation before the step.
    pub obs: &'a [f32],
    /// Action taken (clipped to [-1, 1]).
    pub action: &'a [f32],
    /// Reward received.
    pub reward: f32,
    /// Observation after the step.
    pub next_obs: &'a [f32],
    /// The episode ended by itself (no bootstrapping through this step; truncation is not).
    pub terminal: bool,
    /// Achieved position after the step (reward input for relabeling).
    pub achieved: [f32; 2],
    /// The reward's terms that depend on neither the goal nor the action (a contact cost, an
    /// alive bonus; 0 for most tasks): relabeling adds them back unchanged.
    pub other_reward: f32,
}

impl<'a> Transition<'a> {
    /// The transition of one env step from `obs`, with `action` as applied (clipped).
    pub fn of_step(obs: &'a [f32], action: &'a [f32], step: &'a crate::env::Step) -> Self {
        Transition {
            obs,
            action,
            reward: step.reward,
            next_obs: &step.obs,
            terminal: step.terminated,
            achieved: step.info.achieved,
            other_reward: step.info.terms.other(),
        }
    }
}

/// Columns of sampled transitions, row-major.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    /// `[n, obs_dim]`.
    pub obs: Vec<f32>,
    /// `[n, act_dim]`.
    pub action: Vec<f32>,
    /// `[n]`.
    pub reward: Vec<f32>,
    /// `[n, obs_dim]`.
    pub next_obs: Vec<f32>,
    /// `[n]`: 1 where the step was terminal.
    pub terminal: Vec<f32>,
    /// `[n, 2]`.
    pub achieved: Vec<f32>,
    /// `[n]`: see [`Transition::other_reward`].
    pub other_reward: Vec<f32>,
}

impl Batch {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.reward.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.reward.is_empty()
    }

    /// Appends another batch's rows.
    pub fn extend(&mut self, other: &Batch) {
        self.obs.extend_from_slice(&other.obs);
        self.action.extend_from_slice(&other.action);
        self.reward.extend_from_slice(&other.reward);
        self.next_obs.extend_from_slice(&other.next_obs);
        self.terminal.extend_from_slice(&other.terminal);
        self.achieved.extend_from_slice(&other.achieved);
        self.other_reward.extend_from_slice(&other.other_reward);
    }

    /// Context features of every row, `[s, a, r, s′]` (PEARL's encoder input; see
    /// `agent::context_features`).
    pub fn context_rows(&self) -> Vec<f32> {
        let n = self.len();
        let mut out = Vec::with_capacity(self.obs.len() * 2 + self.action.len() + n);
        for i in 0..n {
            let t = self.row(i);
            out.extend_from_slice(t.obs);
            out.extend_from_slice(t.action);
            out.push(t.reward);
            out.extend_from_slice(t.next_obs);
        }
        out
    }

    /// Row `i` as a transition.
    pub fn row(&self, i: usize) -> Transition<'_> {
        let (o, a) = (self.obs.len() / self.len(), self.action.len() / self.len());
        Transition {
            obs: &self.obs[i * o..(i + 1) * o],
            action: &self.action[i * a..(i + 1) * a],
            reward: self.reward[i],
            next_obs: &self.next_obs[i * o..(i + 1) * o],
            terminal: self.terminal[i] > 0.5,
            achieved: [self.achieved[2 * i], self.achieved[2 * i + 1]],
            other_reward: self.other_reward[i],
        }
    }

    /// Appends one transition.
    pub fn push(&mut self, t: &Transition) {
        self.obs.extend_from_slice(t.obs);
        self.action.extend_from_slice(t.action);
        self.reward.push(t.reward);
        self.next_obs.extend_from_slice(t.next_obs);
        self.terminal.push(f32::from(u8::from(t.terminal)));
        self.achieved.extend_from_slice(&t.achieved);
        self.other_reward.push(t.other_reward);
    }
}

/// A bounded replay of one task. Serde covers the bookkeeping; the columns travel as tensors
/// (see [`TaskBuffer::columns`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskBuffer {
    obs_dim: usize,
    act_dim: usize,
    capacity: usize,
    /// The columns (slot-indexed once full).
    #[serde(skip)]
    data: Batch,
    /// Transitions ever added (a global index; slot = index % capacity).
    total: u64,
    /// Complete episodes still fully stored: (first global index, length).
    episodes: VecDeque<(u64, u32)>,
    /// First global index of the episode being written.
    open: Option<u64>,
}

impl TaskBuffer {
    /// An empty buffer for `capacity` transitions.
    pub fn new(obs_dim: usize, act_dim: usize, capacity: usize) -> Self {
        TaskBuffer {
            obs_dim,
            act_dim,
            capacity: capacity.max(1),
            data: Batch::default(),
            total: 0,
            episodes: VecDeque::new(),
            open: None,
        }
    }

    /// An empty buffer of the same sizes and capacity.
    pub fn empty_like(&self) -> Self {
        TaskBuffer::new(self.obs_dim, self.act_dim, self.capacity)
    }

    /// Transitions stored.
    pub fn len(&self) -> usize {
        (self.total as usize).min(self.capacity)
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Transitions ever added.
    pub fn total_added(&self) -> u64 {
        self.total
    }

    /// Bytes the columns take when full.
    pub fn capacity_bytes(&self) -> usize {
        self.capacity * (2 * self.obs_dim + self.act_dim + 4) * std::mem::size_of::<f32>()
    }

    /// Adds a transition; `episode_end` closes the current trajectory. Returns its slot.
    pub fn push(&mut self, t: &Transition, episode_end: bool) -> usize {
        debug_assert_eq!(t.obs.len(), self.obs_dim);
        debug_assert_eq!(t.action.len(), self.act_dim);
        let g = self.total;
        if self.open.is_none() {
            self.open = Some(g);
        }
        let slot = (g % self.capacity as u64) as usize;
        if self.data.reward.len() < self.capacity {
            self.data.push(t);
        } else {
            let (o, a) = (self.obs_dim, self.act_dim);
            self.data.obs[slot * o..(slot + 1) * o].copy_from_slice(t.obs);
            self.data.action[slot * a..(slot + 1) * a].copy_from_slice(t.action);
            self.data.reward[slot] = t.reward;
            self.data.next_obs[slot * o..(slot + 1) * o].copy_from_slice(t.next_obs);
            self.data.terminal[slot] = f32::from(u8::from(t.terminal));
            self.data.achieved[slot * 2..slot * 2 + 2].copy_from_slice(&t.achieved);
            self.data.other_reward[slot] = t.other_reward;
        }
        self.total += 1;
        // Episodes whose first transition was overwritten are gone.
        let oldest = self.total.saturating_sub(self.capacity as u64);
        while self.episodes.front().is_some_and(|&(s, _)| s < oldest) {
            self.episodes.pop_front();
        }
        if episode_end {
            let start = self.open.take().unwrap_or(g);
            if start >= oldest {
                self.episodes
                    .push_back((start, (self.total - start) as u32));
            }
        }
        slot
    }

    /// The data columns by name (for checkpoints).
    pub fn columns(&self) -> [(&'static str, &Vec<f32>); 7] {
        [
            ("obs", &self.data.obs),
            ("action", &self.data.action),
            ("reward", &self.data.reward),
            ("next_obs", &self.data.next_obs),
            ("terminal", &self.data.terminal),
            ("achieved", &self.data.achieved),
            ("other_reward", &self.data.other_reward),
        ]
    }

    /// Restores the columns of a buffer deserialized without them; checks their lengths.
    pub fn set_columns(
        &mut self,
        mut get: impl FnMut(&str) -> Option<Vec<f32>>,
    ) -> Result<(), String> {
        let rows = self.len();
        if rows == 0 {
            return Ok(());
        }
        let (o, a) = (self.obs_dim, self.act_dim);
        let mut take = |name: &str, width: usize| -> Result<Vec<f32>, String> {
            // Checkpoints from before `other_reward` existed held no such terms.
            let absent = (name == "other_reward").then(|| vec![0.0; rows]);
            let v = get(name)
                .or(absent)
                .ok_or_else(|| format!("column `{name}` is missing"))?;
            if v.len() != rows * width {
                return Err(format!(
                    "column `{name}` has {} values, expected {}",
                    v.len(),
                    rows * width
                ));
            }
            Ok(v)
        };
        self.data.obs = take("obs", o)?;
        self.data.action = take("action", a)?;
        self.data.reward = take("reward", 1)?;
        self.data.next_obs = take("next_obs", o)?;
        self.data.terminal = take("terminal", 1)?;
        self.data.achieved = take("achieved", 2)?;
        self.data.other_reward = take("other_reward", 1)?;
        Ok(())
    }

    /// Drops an unfinished episode's boundary (its transitions stay usable as transitions).
    pub fn abandon_episode(&mut self) {
        self.open = None;
    }

    fn slot(&self, global: u64) -> usize {
        (global % self.capacity as u64) as usize
    }

    /// Copies rows `slots` into `out`.
    pub fn gather_into(&self, slots: &[usize], out: &mut Batch) {
        for &s in slots {
            out.push(&self.data.row(s));
        }
    }

    /// `n` slots drawn uniformly (with replacement) from everything stored.
    pub fn sample_slots(&self, n: usize, rng: &mut impl Rng) -> Vec<usize> {
        let len = self.len();
        assert!(len > 0, "sampling from an empty buffer is a caller bug");
        (0..n).map(|_| rng.random_range(0..len)).collect()
    }

    /// `n` slots drawn uniformly from the `window` most recent transitions (PEARL's context
    /// comes from the task's recent data).
    pub fn sample_recent_slots(&self, n: usize, window: usize, rng: &mut impl Rng) -> Vec<usize> {
        let w = window.min(self.len()).max(1) as u64;
        (0..n)
            .map(|_| self.slot(self.total - 1 - rng.random_range(0..w)))
            .collect()
    }

    /// Appends every complete episode of `other` (same sizes), oldest first.
    pub fn append_episodes(&mut self, other: &TaskBuffer) {
        for slots in other.trajectories() {
            for (i, &slot) in slots.iter().enumerate() {
                self.push(&other.data.row(slot), i + 1 == slots.len());
            }
        }
    }

    /// Complete episodes stored.
    pub fn n_episodes(&self) -> usize {
        self.episodes.len()
    }

    /// Slots of stored episode `e` (0 = oldest), in time order.
    pub fn episode_slots(&self, e: usize) -> Vec<usize> {
        let (s, l) = self.episodes[e];
        (s..s + u64::from(l)).map(|g| self.slot(g)).collect()
    }

    /// Slots of every complete stored episode, oldest first.
    pub fn trajectories(&self) -> Vec<Vec<usize>> {
        self.episodes
            .iter()
            .map(|&(s, l)| (s..s + u64::from(l)).map(|g| self.slot(g)).collect())
            .collect()
    }
}

/// Context features `(s, a, r, s′)` of `n` transitions drawn from the most recent data of a
/// task: its context buffer, or its RL replay while the context buffer is empty.
pub fn recent_context(
    context: &TaskBuffer,
    rl: &TaskBuffer,
    n: usize,
    rng: &mut impl Rng,
) -> crate::error::Result<Vec<f32>> {
    let buf = if context.is_empty() { rl } else { context };
    if buf.is_empty() {
        return Err(crate::error::Error::argument(
            "context",
            "the task has no data yet",
        ));
    }
    let slots = buf.sample_recent_slots(n, usize::MAX, rng);
    let mut b = Batch::default();
    buf.gather_into(&slots, &mut b);
    Ok(b.context_rows())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn push(b: &mut TaskBuffer, k: f32, end: bool) {
        b.push(
            &Transition {
                obs: &[k],
                action: &[k],
                reward: k,
                next_obs: &[k + 1.0],
                terminal: false,
                achieved: [k, -k],
                other_reward: 0.0,
            },
            end,
        );
    }

    #[test]
    fn ring_keeps_the_newest_and_whole_episodes_only() {
        let mut b = TaskBuffer::new(1, 1, 5);
        for k in 0..3 {
            push(&mut b, k as f32, k == 2); // episode 0: 0,1,2
        }
        for k in 3..7 {
            push(&mut b, k as f32, k == 6); // episode 1: 3..6, overwrites 0 and 1
        }
        assert_eq!(b.len(), 5);
        let trajs = b.trajectories();
        assert_eq!(trajs.len(), 1, "episode 0 lost its start");
        let mut out = Batch::default();
        b.gather_into(&trajs[0], &mut out);
        assert_eq!(out.reward, vec![3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            out.achieved,
            vec![3.0, -3.0, 4.0, -4.0, 5.0, -5.0, 6.0, -6.0]
        );
        let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
        let recent = b.sample_recent_slots(50, 2, &mut rng);
        let mut r = Batch::default();
        b.gather_into(&recent, &mut r);
        assert!(r.reward.iter().all(|&x| x == 5.0 || x == 6.0));
        assert!(b.sample_slots(100, &mut rng).iter().all(|&s| s < 5));
    }
}
