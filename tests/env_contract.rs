//! Every env passes the checker; VecEnv keeps env order and validates its input.

use drat::config::Config;
use drat::env::check::check_env;
use drat::env::vec_env::VecEnv;
use drat::env::EnvMaker;

#[test]
fn every_robot_passes_the_env_checker() {
    for robot in ["quadruped", "runner", "point"] {
        let cfg = Config::default_for(robot).unwrap();
        let maker = EnvMaker::new(&cfg).unwrap();
        let tasks = maker.task_set().unwrap();
        for task in [&tasks.train[0], &tasks.test[0]] {
            let mut env = maker.make(task.clone()).unwrap();
            let problems = check_env(env.as_mut(), 1, 300);
            assert!(problems.is_empty(), "{robot}: {problems:#?}");
        }
    }
}

#[test]
fn quadruped_spaces_match_the_documented_layout() {
    let cfg = Config::default_for("quadruped").unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let env = maker
        .make(maker.task_set().unwrap().train[0].clone())
        .unwrap();
    let o = env.observation_space();
    assert_eq!(o.dim(), 29);
    assert_eq!(o.names[0], "torso_x_m");
    assert_eq!(o.names[7], "hip_fl_angle_rad");
    assert_eq!(o.names[8], "knee_fl_angle_rad");
    assert_eq!(o.names[21], "hip_fl_vel_rad_s");
    assert_eq!(env.action_space().dim(), 8);
    assert_eq!(env.action_space().names[1], "knee_fl_torque");
}

#[test]
fn reset_reports_the_sampled_dynamics() {
    let cfg = Config::default_for("quadruped").unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let tasks = maker.task_set().unwrap();
    let mut env = maker.make(tasks.train[2].clone()).unwrap();
    let r = env.reset(0).unwrap();
    assert_eq!(r.info.dynamics, tasks.train[2].dynamics);
    env.set_task(tasks.train[3].clone()).unwrap();
    assert!(env.step(&[0.0; 8]).is_err(), "a task switch needs a reset");
    assert_eq!(env.reset(0).unwrap().info.dynamics, tasks.train[3].dynamics);
}

#[test]
fn vec_env_validates_and_keeps_order() {
    let cfg = Config::default_for("point").unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let tasks = maker.task_set().unwrap();
    let envs = (0..3)
        .map(|k| maker.make(tasks.train[k].clone()).unwrap())
        .collect();
    let mut v = VecEnv::new(envs, 2, 0).unwrap();
    assert_eq!(v.n_threads(), 2);
    let resets = v.reset().unwrap();
    let ids: Vec<usize> = resets.iter().map(|r| r.info.task_id).collect();
    assert_eq!(ids, vec![0, 1, 2]);
    assert!(v.step(&[0.0; 5]).is_err(), "wrong action count");
    // Env k moves along +x only if its own action says so: order is kept.
    let steps = v.step(&[1.0, 0.0, 0.0, 0.0, -1.0, 0.0]).unwrap();
    assert!(
        steps[0].step.obs[0] > 0.0 && steps[1].step.obs[0] == 0.0 && steps[2].step.obs[0] < 0.0
    );
    let r = v.set_task(2, tasks.train[5].clone()).unwrap();
    assert_eq!(r.info.task_id, 5);
    assert!(v.set_task(3, tasks.train[5].clone()).is_err());
    assert!(VecEnv::new(Vec::new(), 1, 0).is_err());
    // Episodes of 20 steps end and reset automatically.
    let mut resets_seen = 0;
    for _ in 0..40 {
        resets_seen += v
            .step(&[0.0; 6])
            .unwrap()
            .iter()
            .filter(|s| s.reset.is_some())
            .count();
    }
    assert!(resets_seen >= 3, "{resets_seen}");
}
