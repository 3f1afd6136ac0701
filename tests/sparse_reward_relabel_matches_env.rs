//! Rewards recomputed from stored `achieved` positions equal what the env returned, for the
//! env's own goal and for any other goal (the goal never changes the physics).

use drat::config::Config;
use drat::env::reward::reward_terms;
use drat::env::{EnvMaker, Task};
use rand::{Rng, SeedableRng};

struct Recorded {
    achieved: Vec<[f32; 2]>,
    actions: Vec<Vec<f32>>,
    rewards: Vec<f32>,
}

fn record(
    cfg: &Config,
    task: Task,
    steps: usize,
    policy: &dyn Fn(&[f32], &mut rand_pcg::Pcg64) -> Vec<f32>,
) -> Recorded {
    let maker = EnvMaker::new(cfg).unwrap();
    let mut env = maker.make(task).unwrap();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(9);
    let mut obs = env.reset(1).unwrap().obs;
    let mut r = Recorded {
        achieved: vec![],
        actions: vec![],
        rewards: vec![],
    };
    for _ in 0..steps {
        let a = policy(&obs, &mut rng);
        let s = env.step(&a).unwrap();
        r.achieved.push(s.info.achieved);
        r.actions.push(a);
        r.rewards.push(s.reward);
        let done = s.done();
        obs = s.obs;
        if done {
            break;
        }
    }
    r
}

#[test]
fn point_robot_rewards_recompute_exactly_for_own_and_other_goals() {
    let mut cfg = Config::default_for("point").unwrap();
    cfg.reward.ctrl_cost_weight = 0.1; // a second term, reported and recomputed separately
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap();
    let (task_a, task_b) = (tasks.train[0].clone(), tasks.train[1].clone());
    let task_b_same_dyn = Task {
        dynamics: task_a.dynamics.clone(),
        ..task_b
    };
    // Head for goal A with a little noise: the episode collects both 0 and 1 rewards.
    let goal = task_a.goal;
    let policy = move |o: &[f32], rng: &mut rand_pcg::Pcg64| {
        (0..2)
            .map(|k| {
                (5.0 * (goal[k] - o[k]) - 2.0 * o[k + 2] + rng.random_range(-0.3..0.3))
                    .clamp(-1.0, 1.0)
            })
            .collect()
    };
    let a = record(&cfg, task_a.clone(), 20, &policy);
    assert!(a.rewards.iter().any(|&r| r > 0.5) && a.rewards.iter().any(|&r| r < 0.5));
    for t in 0..a.rewards.len() {
        let terms = reward_terms(&cfg.reward, a.achieved[t], task_a.goal, &a.actions[t]);
        assert_eq!(
            terms.total().to_bits(),
            a.rewards[t].to_bits(),
            "own goal, step {t}"
        );
    }
    // Same actions under goal B (same dynamics, same seed) ⇒ same states, and the env's
    // rewards for B equal the relabeled rewards of A's trajectory.
    let maker = EnvMaker::new(&cfg).unwrap();
    let mut env_b = maker.make(task_b_same_dyn.clone()).unwrap();
    env_b.reset(1).unwrap();
    for t in 0..a.actions.len() {
        let s = env_b.step(&a.actions[t]).unwrap();
        assert_eq!(
            s.info.achieved, a.achieved[t],
            "goal must not change physics"
        );
        let relabeled = reward_terms(
            &cfg.reward,
            a.achieved[t],
            task_b_same_dyn.goal,
            &a.actions[t],
        );
        assert_eq!(
            relabeled.total().to_bits(),
            s.reward.to_bits(),
            "other goal, step {t}"
        );
    }
}

#[test]
fn quadruped_rewards_recompute_exactly() {
    let mut cfg = Config::default_for("quadruped").unwrap();
    cfg.reward.goal_radius_m = 0.3;
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap();
    // Goal near the start so the sparse reward switches on and off under random torques.
    let task = Task {
        goal: [0.2, 0.0],
        ..tasks.train[0].clone()
    };
    let policy = |_: &[f32], rng: &mut rand_pcg::Pcg64| {
        (0..8).map(|_| rng.random_range(-1.0..=1.0)).collect()
    };
    let r = record(&cfg, task.clone(), 200, &policy);
    assert!(
        r.rewards.contains(&1.0) && r.rewards.contains(&0.0),
        "{:?}",
        &r.rewards[..10]
    );
    for t in 0..r.rewards.len() {
        let terms = reward_terms(&cfg.reward, r.achieved[t], task.goal, &r.actions[t]);
        assert_eq!(terms.total().to_bits(), r.rewards[t].to_bits(), "step {t}");
    }
}

#[test]
fn dense_critic_rewards_are_recomputed_per_task_and_sparse_ones_kept() {
    // PEARL's sparse-point protocol (`train.critic_reward = "dense"`): every row of a task's
    // block in the critic's batch carries −‖achieved − goal‖ for that task's goal; with the
    // default `env` the rows keep the env's sparse 0/1 rewards.
    use drat::train::trainer::Trainer;
    for dense in [false, true] {
        let mut sets: Vec<String> = [
            "agent.hidden=[16]",
            "agent.encoder_hidden=[16]",
            "train.initial_steps_per_task=40",
            "train.batch_size=32",
            "train.meta_batch=4",
            "train.context_size=8",
            "tasks.n_train=6",
            "tasks.n_test=2",
            "eval.tasks=2",
        ]
        .map(String::from)
        .to_vec();
        if dense {
            sets.push("train.critic_reward=\"dense\"".into());
        }
        let cfg =
            Config::from_toml_str_with_sets("[env]\nrobot = \"point\"\n", "test", &sets).unwrap();
        let mut t = Trainer::new(&cfg).unwrap();
        t.initial_collection().unwrap();
        let mb = t.meta_batch().unwrap();
        let goals: Vec<[f32; 2]> = t.tasks.train.iter().map(|k| k.goal).collect();
        for block in 0..mb.n_tasks {
            let rows = block * mb.per_task..(block + 1) * mb.per_task;
            let dist = |i: usize, g: [f32; 2]| {
                let (x, y) = (mb.rl.achieved[2 * i], mb.rl.achieved[2 * i + 1]);
                ((x - g[0]).powi(2) + (y - g[1]).powi(2)).sqrt()
            };
            if dense {
                let owner = goals.iter().position(|&g| {
                    rows.clone()
                        .all(|i| (mb.rl.reward[i] + dist(i, g)).abs() < 1e-6)
                });
                assert!(
                    owner.is_some(),
                    "block {block}: rewards are not −distance to one goal"
                );
            } else {
                assert!(rows
                    .clone()
                    .all(|i| mb.rl.reward[i] == 0.0 || mb.rl.reward[i] == 1.0));
            }
        }
    }
}
