//! Shared test fixtures.

/// A 2-method × 2-seed grid of tiny point-robot runs (seconds each).
#[allow(dead_code)] // not every test binary that includes this module uses it
pub const GRID: &str = r#"
robot = "point"
baseline = { "transfer.strategy" = "none" }
last = 2

[set]
"agent.hidden" = [16, 16]
"agent.encoder_hidden" = [16]
"train.iterations" = 4
"train.initial_steps_per_task" = 40
"train.tasks_per_iteration" = 2
"train.steps_prior" = 20
"train.steps_posterior" = 20
"train.updates_per_iteration" = 4
"train.batch_size" = 16
"train.meta_batch" = 2
"train.context_size" = 8
"train.checkpoint_every" = 2
"eval.every" = 2
"eval.tasks" = 3
"tasks.n_train" = 4
"tasks.n_test" = 3
"reward.kind" = "dense"

[axes]
"transfer.strategy" = ["none", "htr"]
"train.seed" = [1, 2]
"#;

/// `--set` values of a tiny point-robot training run (a second or two).
#[allow(dead_code)] // not every test binary that includes this module uses it
pub const TINY_RUN: &[&str] = &[
    "agent.hidden=[16]",
    "agent.encoder_hidden=[16]",
    "train.iterations=2",
    "train.initial_steps_per_task=20",
    "train.tasks_per_iteration=1",
    "train.steps_prior=20",
    "train.steps_posterior=0",
    "train.updates_per_iteration=2",
    "train.batch_size=8",
    "train.meta_batch=2",
    "train.context_size=4",
    "eval.every=1",
    "eval.tasks=2",
    "tasks.n_train=3",
    "tasks.n_test=2",
];
