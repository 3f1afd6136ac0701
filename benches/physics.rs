//! Criterion benchmarks of the simulator: one physics step, one env step of each robot at its
//! default stepping, and a VecEnv round of 8 envs on 1 and 2 threads. `drat bench env` gives
//! the user-facing figures.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use drat::config::Config;
use drat::env::vec_env::VecEnv;
use drat::env::EnvMaker;
use drat::sim::{load_robot, DynamicsParams, SimWorld};
use rand::{Rng, SeedableRng};

fn physics_step(c: &mut Criterion) {
    let cfg = Config::default_for("quadruped").unwrap();
    let mut settings = cfg.sim_settings();
    settings.substeps = 1;
    let model = Arc::new(load_robot(&drat::config::Robot::Quadruped).unwrap());
    let mut w = SimWorld::new(model, settings, &DynamicsParams::nominal(9, 1.0)).unwrap();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
    let mut n = 0u64;
    c.bench_function("quadruped physics step (1 substep)", |b| {
        b.iter(|| {
            let a: [f32; 8] = std::array::from_fn(|_| rng.random_range(-1.0..=1.0));
            w.step(&a);
            n += 1;
            if n % 1000 == 0 {
                w.reset(&DynamicsParams::nominal(9, 1.0)).unwrap();
            }
        })
    });
}

fn env_step(c: &mut Criterion) {
    for robot in ["quadruped", "runner", "point", "a1", "ant", "half_cheetah"] {
        let mut cfg = Config::default_for(robot).unwrap();
        cfg.env.horizon = 1000;
        let maker = EnvMaker::new(&cfg).unwrap();
        let mut env = maker
            .make(maker.task_set().unwrap().train[0].clone())
            .unwrap();
        let ad = env.action_space().dim();
        let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
        env.reset(0).unwrap();
        c.bench_function(&format!("{robot} env step"), |b| {
            b.iter(|| {
                let a: Vec<f32> = (0..ad).map(|_| rng.random_range(-1.0..=1.0)).collect();
                if env.step(&a).unwrap().done() {
                    env.reset(1).unwrap();
                }
            })
        });
    }
}

fn vec_env(c: &mut Criterion) {
    let mut cfg = Config::default_for("quadruped").unwrap();
    cfg.env.horizon = 1000;
    let maker = EnvMaker::new(&cfg).unwrap();
    let tasks = maker.task_set().unwrap();
    for threads in [1, 2] {
        let envs = (0..8)
            .map(|k| maker.make(tasks.train[k].clone()).unwrap())
            .collect();
        let mut v = VecEnv::new(envs, threads, 0).unwrap();
        v.reset().unwrap();
        let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
        c.bench_function(
            &format!("quadruped vec env, 8 envs, {threads} thread(s)"),
            |b| {
                b.iter(|| {
                    let a: Vec<f32> = (0..64).map(|_| rng.random_range(-1.0..=1.0)).collect();
                    v.step(&a).unwrap()
                })
            },
        );
    }
}

criterion_group!(benches, physics_step, env_step, vec_env);
criterion_main!(benches);
