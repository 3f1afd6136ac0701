//! Same seed ⇒ bit-identical trajectories, for every robot and for any VecEnv thread count.

use drat::config::Config;
use drat::env::vec_env::VecEnv;
use drat::env::EnvMaker;
use rand::{Rng, SeedableRng};

fn rollout(robot: &str, seed: u64, steps: usize) -> Vec<Vec<f32>> {
    let cfg = Config::default_for(robot).unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let tasks = maker.task_set().unwrap();
    let mut env = maker.make(tasks.train[1].clone()).unwrap();
    let ad = env.action_space().dim();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut out = vec![env.reset(seed).unwrap().obs];
    for t in 0..steps {
        let a: Vec<f32> = (0..ad).map(|_| rng.random_range(-1.0..=1.0)).collect();
        let s = env.step(&a).unwrap();
        let mut row = s.obs.clone();
        row.push(s.reward);
        out.push(row);
        if s.done() {
            out.push(env.reset(seed + t as u64).unwrap().obs);
        }
    }
    out
}

fn bits(t: &[Vec<f32>]) -> Vec<Vec<u32>> {
    t.iter()
        .map(|r| r.iter().map(|v| v.to_bits()).collect())
        .collect()
}

#[test]
fn same_seed_gives_bit_identical_trajectories() {
    for robot in ["quadruped", "runner", "point"] {
        let a = rollout(robot, 3, 400);
        let b = rollout(robot, 3, 400);
        assert_eq!(bits(&a), bits(&b), "{robot}");
        let c = rollout(robot, 4, 400);
        assert_ne!(bits(&a), bits(&c), "{robot}: another seed must differ");
    }
}

fn vec_rollout(threads: usize) -> Vec<Vec<u32>> {
    let cfg = Config::default_for("quadruped").unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let tasks = maker.task_set().unwrap();
    let envs = (0..5)
        .map(|k| maker.make(tasks.train[k].clone()).unwrap())
        .collect();
    let mut venv = VecEnv::new(envs, threads, 11).unwrap();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(5);
    let mut out: Vec<Vec<u32>> = venv
        .reset()
        .unwrap()
        .iter()
        .map(|r| r.obs.iter().map(|v| v.to_bits()).collect())
        .collect();
    for _ in 0..150 {
        let a: Vec<f32> = (0..5 * 8).map(|_| rng.random_range(-1.0..=1.0)).collect();
        for s in venv.step(&a).unwrap() {
            out.push(s.step.obs.iter().map(|v| v.to_bits()).collect());
            if let Some(r) = s.reset {
                out.push(r.obs.iter().map(|v| v.to_bits()).collect());
            }
        }
    }
    out
}

#[test]
fn vec_env_results_do_not_depend_on_thread_count() {
    let one = vec_rollout(1);
    assert_eq!(one, vec_rollout(2));
    assert_eq!(one, vec_rollout(3));
}
