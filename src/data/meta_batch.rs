//! The training data of one update: a meta-batch of tasks, each slot with its RL rows (and
//! their fixed critic targets, where transfer sets them) and its context. Transfer strategies
//! append a task's slot at a time; the agent's update reads it whole.

use super::buffer::Batch;

/// Training data of one update: `n_tasks` tasks × `per_task` transitions, task-major, plus a
/// context of `context_len` transitions per task (PEARL).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetaBatch {
    /// Tasks in the batch.
    pub n_tasks: usize,
    /// Transitions per task.
    pub per_task: usize,
    /// Transitions, task-major.
    pub rl: Batch,
    /// Per RL row: a fixed critic target (transferred samples valued by DR/DRaE), or `None`
    /// where the critic bootstraps as usual. Empty: none fixed.
    pub target: Vec<Option<f32>>,
    /// Context transitions per task (ignored without context).
    pub context_len: usize,
    /// Context features `[n_tasks × context_len × (2·obs + act + 1)]`, task-major.
    pub context: Vec<f32>,
}

impl MetaBatch {
    /// An empty batch of `per_task` RL rows and `context_len` context rows per task slot.
    pub fn with_sizes(per_task: usize, context_len: usize) -> Self {
        MetaBatch {
            per_task,
            context_len,
            ..MetaBatch::default()
        }
    }

    /// Appends RL rows that bootstrap as usual.
    pub fn push_own(&mut self, rows: &Batch) {
        self.rl.extend(rows);
        self.target.extend(std::iter::repeat_n(None, rows.len()));
    }
}
