//! The field's benchmarks as named presets (`drat train --task NAME`), pinned against the
//! reference code's numbers: goal sets and splits (NumPy's own draw,
//! `tests/data/reference_goals.json`), dynamics and rewards at chosen points, and the
//! meta-test protocol's episode counts.

use drat::config::{Config, CriticReward, Exploration, PointDynamics, RewardKind, ScoredZ};
use drat::env::point::PointEnv;
use drat::env::{Env, TaskSet};
use drat::train::trainer::Trainer;

fn reference_goals(name: &str) -> Vec<[f32; 2]> {
    let r: serde_json::Value =
        serde_json::from_str(include_str!("data/reference_goals.json")).unwrap();
    r[name]["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| [g[0].as_f64().unwrap() as f32, g[1].as_f64().unwrap() as f32])
        .collect()
}

/// oyster: train tasks are the first 80 of the shuffled list, test tasks the last 20.
#[test]
fn sparse_point_robot_goals_and_split_are_oysters() {
    let cfg = Config::for_task("sparse-point-robot", &[]).unwrap();
    let tasks =
        TaskSet::sample(&cfg.tasks, &drat::sim::dynamics::DynamicsShape::bodies(1)).unwrap();
    let goals = reference_goals("sparse-point-robot");
    assert_eq!((tasks.train.len(), tasks.test.len()), (80, 20));
    for (t, g) in tasks.train.iter().zip(&goals[..80]) {
        assert_eq!(t.goal, *g, "train task {}", t.id);
    }
    for (t, g) in tasks.test.iter().zip(&goals[80..]) {
        assert_eq!(t.goal, *g, "test task {}", t.id);
    }
    assert!(tasks
        .all()
        .all(|t| (t.goal[0].hypot(t.goal[1]) - 1.0).abs() < 1e-6 && t.goal[1] >= 0.0));
}

/// `PointEnv.step`: s' = s + a with the [−1, 1] action scaled to ±0.1 and clipped, from (0, 0);
/// `SparsePointEnv`: reward 1 − d inside radius 0.2, 0 outside; 20 steps.
#[test]
fn sparse_point_robot_steps_and_rewards_as_oysters() {
    let cfg = Config::for_task("sparse-point-robot", &[]).unwrap();
    assert_eq!(cfg.env.point.dynamics, PointDynamics::Position);
    assert_eq!(cfg.env.horizon, 20);
    let task = TaskSet::sample(&cfg.tasks, &drat::sim::dynamics::DynamicsShape::bodies(1))
        .unwrap()
        .train[0]
        .clone();
    let g = task.goal;
    let mut env = PointEnv::new(&cfg, task).unwrap();
    assert_eq!(env.observation_space().dim(), 2);
    assert_eq!(env.reset(0).unwrap().obs, vec![0.0, 0.0]);
    let s = env.step(&[1.0, -0.5]).unwrap();
    assert!(
        (s.obs[0] - 0.1).abs() < 1e-7 && (s.obs[1] + 0.05).abs() < 1e-7,
        "{:?}",
        s.obs
    );
    let s = env.step(&[3.0, 0.0]).unwrap();
    assert!(
        (s.obs[0] - 0.2).abs() < 1e-6,
        "clipped to 0.1 a step: {:?}",
        s.obs
    );
    // 0.1 from the goal after a zero step: 0.9; 0.3 away: 0.
    env.set_state(&[g[0] + 0.1, g[1]]).unwrap();
    assert!((env.step(&[0.0, 0.0]).unwrap().reward - 0.9).abs() < 1e-5);
    env.set_state(&[g[0], g[1] - 0.3]).unwrap();
    assert_eq!(env.step(&[0.0, 0.0]).unwrap().reward, 0.0);
    assert_eq!(cfg.reward.kind, RewardKind::OysterSparse);
    assert_eq!(cfg.train.critic_reward, CriticReward::Dense);
    assert_eq!(
        (cfg.agent.gamma, cfg.agent.reward_scale, cfg.agent.kl_lambda),
        (0.9, 100.0, 1.0)
    );
    assert_eq!(cfg.agent.latent_dim, 5);
}

/// `collect_paths` / `_do_eval` with num_exp_traj_eval 5, num_steps_per_eval 400, num_evals 2:
/// 5 prior trajectories, 14 posterior ones feeding the context, the 20th scored with a
/// posterior sample, every one deterministic; run on an untrained agent, each test task's
/// context holds the 19 unscored trajectories.
#[test]
fn sparse_point_robot_meta_test_is_oysters_protocol() {
    let small = [
        "agent.hidden=[16, 16]".to_string(),
        "agent.encoder_hidden=[16]".into(),
        "train.initial_steps_per_task=0".into(),
    ];
    let cfg = Config::for_task("sparse-point-robot", &small).unwrap();
    let e = &cfg.eval;
    assert_eq!(
        (e.exploration, e.exploration_episodes),
        (Exploration::Prior, 5)
    );
    assert_eq!((e.adapt_episodes, e.scored_episodes, e.runs), (14, 1, 2));
    assert_eq!(e.scored_z, ScoredZ::Sample);
    assert!(e.deterministic_exploration);
    assert_eq!(e.tasks, 20);
    let mut t = Trainer::new(&cfg).unwrap();
    let tasks = t.tasks.test[..2].to_vec();
    let (_, records) = t.evaluate_tasks(&tasks, None).unwrap();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r.context_steps, 19 * 20, "task {}", r.task);
        assert!((0.0..=1.0).contains(&r.success));
    }
}

/// A config file with `task = "NAME"` is merged over the preset; an unknown name is an error
/// that lists the known ones.
#[test]
fn a_config_file_can_start_from_a_preset() {
    let cfg = Config::from_toml_str(
        "task = \"sparse-point-robot\"\n[train]\niterations = 7\n",
        "t.toml",
    )
    .unwrap();
    assert_eq!(cfg.train.iterations, 7);
    assert!(cfg.tasks.goal.set.is_some());
    assert_eq!(cfg.eval.adapt_episodes, 14);
    let e = Config::from_toml_str("task = \"nope\"\n", "t.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("sparse-point-robot"), "{e}");
}

/// Every subcommand's flags parse (clap checks that no two flags share a name, e.g. the
/// shared `--task NAME` against a command's own flags) and `drat tasks` lists the presets.
#[test]
fn every_command_parses_and_tasks_lists_the_presets() {
    let drat = env!("CARGO_BIN_EXE_drat");
    for c in [
        "bench",
        "config",
        "train",
        "eval",
        "replay",
        "summarize",
        "grid",
        "merge",
        "ablate",
        "diagnose",
        "check",
        "tasks",
    ] {
        let o = std::process::Command::new(drat)
            .args([c, "--help"])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "drat {c} --help: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = std::process::Command::new(drat)
        .arg("tasks")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("sparse-point-robot"));
}
