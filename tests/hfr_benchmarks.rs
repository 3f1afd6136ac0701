//! HFR's sparse ant-goal and cheetah-vel and PEARL's rand-params shift as presets
//! (`drat train --task NAME [--shift rand-params]`), pinned against the reference code: goal
//! sets and splits (NumPy's own draw, `tests/data/reference_goals.json`), the body, the
//! observation, the rewards and termination at chosen states, the meta-test's episode counts,
//! and the shift's multipliers and their ranges.

use drat::config::presets::shift_sets;
use drat::config::{Achieved, Config, CriticReward, Exploration, RewardKind, ScoredZ};
use drat::env::locomotion::LocomotionEnv;
use drat::env::maker::EnvMaker;
use drat::env::Env;
use drat::sim::dynamics::{DynamicsFamily, RAND_PARAMS_BASE, RAND_PARAMS_DAMPING_BASE};
use drat::sim::{DynamicsParams, SimWorld};
use drat::train::trainer::Trainer;
use rapier3d::math::Vector;

fn reference(name: &str) -> serde_json::Value {
    let r: serde_json::Value =
        serde_json::from_str(include_str!("data/reference_goals.json")).unwrap();
    r[name].clone()
}

fn small(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "agent.hidden=[16, 16]",
        "agent.encoder_hidden=[16]",
        "train.initial_steps_per_task=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// The locomotion env of train task `k`, reset.
fn locomotion(maker: &EnvMaker, k: usize) -> LocomotionEnv {
    let task = maker.task_set().unwrap().train[k].clone();
    let model = std::sync::Arc::new(maker.robot().unwrap().clone());
    let mut env = LocomotionEnv::new(maker.config(), model, task).unwrap();
    env.reset(0).unwrap();
    env
}

/// `AntGoalEnv.sample_tasks` after `np.random.seed(1)`, 130 goals; train the first 100,
/// test the last 30.
#[test]
fn ant_goal_sparse_goals_and_split_are_hfrs() {
    let cfg = Config::for_task("ant-goal-sparse", &[]).unwrap();
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap();
    let goals: Vec<[f32; 2]> = reference("ant-goal-sparse")["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| [g[0].as_f64().unwrap() as f32, g[1].as_f64().unwrap() as f32])
        .collect();
    assert_eq!(goals.len(), 130);
    assert_eq!((tasks.train.len(), tasks.test.len()), (100, 30));
    for (t, g) in tasks.train.iter().zip(&goals[..100]) {
        assert_eq!(t.goal, *g, "train task {}", t.id);
    }
    for (t, g) in tasks.test.iter().zip(&goals[100..]) {
        assert_eq!(t.goal, *g, "test task {}", t.id);
    }
}

/// `HalfCheetahVelEnvSparse.sample_tasks`: `np.random.seed(1)`, 130 × U(0, 3), as goals (v*, 0).
#[test]
fn cheetah_vel_sparse_velocities_and_split_are_hfrs() {
    let cfg = Config::for_task("cheetah-vel-sparse", &[]).unwrap();
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap();
    let v: Vec<f32> = reference("cheetah-vel-sparse")["velocities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!((tasks.train.len(), tasks.test.len()), (100, 30));
    for (t, v) in tasks.all().zip(v[..100].iter().chain(&v[100..])) {
        assert_eq!(t.goal, [*v, 0.0], "task {}", t.id);
    }
}

/// The low-gear ant: every motor 30 N·m per unit action (gear 30, ctrlrange ±1); the
/// observation is qpos (15), qvel (14) and six clipped contact values per body; the reward
/// outside the goal disc is 4 − ‖g‖₁ − 0.5·10⁻²‖a‖² + contact cost + 0.05; the episode ends
/// once the torso rises above 1 m.
#[test]
fn ant_goal_sparse_body_observation_reward_and_termination_are_hfrs() {
    let cfg = Config::for_task("ant-goal-sparse", &[]).unwrap();
    assert_eq!(cfg.reward.kind, RewardKind::AntGoal);
    assert_eq!(cfg.train.critic_reward, CriticReward::Env);
    let maker = EnvMaker::new(&cfg).unwrap();
    let model = maker.robot().unwrap();
    // The file says gear 150; the world drives each motor at 30 N·m per unit action.
    let file: Vec<f32> = model
        .actuated_joints()
        .into_iter()
        .map(|j| model.joints[j].effort)
        .collect();
    assert!(file.iter().all(|e| (e - 150.0).abs() < 1e-3), "{file:?}");
    let efforts = locomotion(&maker, 0).world().torque_limits();
    assert_eq!(efforts.len(), 8);
    assert!(
        efforts.iter().all(|e| (e - 30.0).abs() < 1e-4),
        "{efforts:?}"
    );
    let n_bodies = model.dynamics_shape().bodies;
    let task = maker.task_set().unwrap().train[3].clone();
    let g = task.goal;
    let mut env = maker.make(task).unwrap();
    assert_eq!(env.observation_space().dim(), 15 + 14 + 6 * n_bodies);
    assert_eq!(env.horizon(), 200);
    let obs = env.reset(0).unwrap().obs;
    assert!(obs[29..].iter().all(|c| (-1.0..=1.0).contains(c)));
    let mut saw_contact = false;
    for _ in 0..20 {
        let s = env.step(&[1.0; 8]).unwrap();
        let t = s.info.terms;
        assert!(
            (t.goal - (4.0 - g[0].abs() - g[1].abs())).abs() < 1e-5,
            "{t:?}"
        );
        assert!((t.ctrl + 0.005 * 8.0).abs() < 1e-6, "{t:?}");
        assert_eq!(t.alive, 0.05);
        assert!(t.contact <= 0.0 && t.contact >= -0.5e-3 * 6.0 * n_bodies as f32);
        saw_contact |= t.contact < 0.0;
        assert!((s.reward - (t.goal + t.ctrl + t.contact + t.alive)).abs() < 1e-6);
        // The observed contact values are what the cost is of.
        let c: f32 = s.obs[29..].iter().map(|c| c * c).sum();
        assert!((t.contact + 0.5e-3 * c).abs() < 1e-6);
    }
    assert!(saw_contact, "the feet touch the ground within a second");
    let mut loco = locomotion(&maker, 0);
    loco.world_mut().set_root_linvel(Vector::new(0.0, 0.0, 6.0));
    let ended = (0..20).find_map(|k| {
        let s = loco.step(&[0.0; 8]).unwrap();
        s.terminated
            .then_some((k, loco.world().root_state().position.z))
    });
    let (_, z) = ended.expect("thrown up at 6 m/s, the torso passes 1 m");
    assert!(z > 1.0, "ended at z {z}");
}

/// cheetah-vel-sparse: achieved = ((x′ − x) / 0.05, 0), the reward 2 − |v − v*| − 0.05‖a‖²
/// inside 0.3 m/s, −0.05‖a‖² outside.
#[test]
fn cheetah_vel_sparse_measures_forward_velocity() {
    let cfg = Config::for_task("cheetah-vel-sparse", &[]).unwrap();
    assert_eq!(cfg.env.achieved, Achieved::ForwardVelocity);
    let maker = EnvMaker::new(&cfg).unwrap();
    let mut task = maker.task_set().unwrap().train[0].clone();
    let mut loco = locomotion(&maker, 0);
    loco.world_mut().set_root_linvel(Vector::new(2.0, 0.0, 0.0));
    let x0 = loco.world().root_state().position.x;
    let s = loco.step(&[0.5; 6]).unwrap();
    let x1 = loco.world().root_state().position.x;
    let v = (x1 - x0) / 0.05;
    assert!((s.info.achieved[0] - v).abs() < 1e-4 && s.info.achieved[1] == 0.0);
    assert!(v > 0.5, "pushed forward at 2 m/s: {v}");
    let ctrl = -0.05 * 6.0 * 0.25;
    assert!((s.info.terms.ctrl - ctrl).abs() < 1e-6);
    let inside = 2.0 - (v - task.goal[0]).abs();
    let want = if (v - task.goal[0]).abs() <= 0.3 {
        inside
    } else {
        0.0
    };
    assert!(
        (s.info.terms.goal - want).abs() < 1e-5,
        "{:?} v {v}",
        s.info.terms
    );
    // The same step under a goal 0.1 m/s off is inside the band.
    task.goal = [v + 0.1, 0.0];
    let cfg_r = &cfg.reward;
    let r = drat::env::reward::goal_reward(cfg_r.kind, s.info.achieved, task.goal, 0.3);
    assert!((r - 1.9).abs() < 1e-4, "{r}");
}

/// HFR's meta-test (num_exp_traj_eval 2, num_steps_per_eval 600): two prior trajectories
/// gather the context, the third, with a posterior sample, is scored; cheetah never ends an
/// episode early, so every test task's context holds exactly 2 × 200 steps.
#[test]
fn hfr_meta_test_is_two_prior_trajectories_then_one_scored() {
    for (name, runs) in [("ant-goal-sparse", 1), ("cheetah-vel-sparse", 2)] {
        let cfg = Config::for_task(name, &small(&[])).unwrap();
        let e = &cfg.eval;
        assert_eq!(
            (e.exploration, e.exploration_episodes),
            (Exploration::Prior, 2)
        );
        assert_eq!((e.adapt_episodes, e.scored_episodes, e.runs), (0, 1, runs));
        assert_eq!(e.scored_z, ScoredZ::Sample);
        assert!(e.deterministic_exploration);
        assert_eq!(e.tasks, 30);
    }
    let cfg = Config::for_task("cheetah-vel-sparse", &small(&["eval.runs=1"])).unwrap();
    let mut t = Trainer::new(&cfg).unwrap();
    let tasks = t.tasks.test[..2].to_vec();
    let (_, records) = t.evaluate_tasks(&tasks, None).unwrap();
    for r in &records {
        assert_eq!(r.context_steps, 2 * 200, "task {}", r.task);
    }
}

/// `RandomEnv.sample_tasks`: every multiplier 1.5^U(−3, 3) (damping 1.3^U(−3, 3)), one per
/// body mass, per inertia element, per hinge, per geom and the floor; log-uniform, so the
/// logs spread evenly over [−3, 3]; the world takes them as they are.
#[test]
fn rand_params_multipliers_and_their_ranges_are_pearls() {
    let cfg = Config::for_task("ant-goal-sparse", &shift_sets("rand-params").unwrap()).unwrap();
    assert_eq!(cfg.tasks.dynamics.family, DynamicsFamily::RandParams);
    let maker = EnvMaker::new(&cfg).unwrap();
    let shape = maker.dynamics_shape();
    let tasks = maker.task_set().unwrap();
    let (mut logs, mut damp_logs) = (Vec::new(), Vec::new());
    for t in tasks.all() {
        let d = &t.dynamics;
        assert_eq!(d.mass_scale.len(), shape.bodies);
        assert_eq!(d.inertia_scale.len(), shape.bodies);
        assert_eq!(d.damping_scale.len(), shape.hinges);
        assert_eq!(d.geom_friction_scale.len(), shape.geoms);
        let floor = d.ground_friction.unwrap() / cfg.tasks.dynamics.nominal_friction;
        let all = d.mass_scale.iter().chain(d.inertia_scale.iter().flatten());
        for m in all.chain(&d.geom_friction_scale).chain([&floor]) {
            logs.push(m.ln() / RAND_PARAMS_BASE.ln());
        }
        damp_logs.extend(
            d.damping_scale
                .iter()
                .map(|m| m.ln() / RAND_PARAMS_DAMPING_BASE.ln()),
        );
    }
    for l in [&logs, &damp_logs] {
        assert!(l.iter().all(|x| (-3.0 - 1e-4..=3.0 + 1e-4).contains(x)));
        let mean = l.iter().sum::<f32>() / l.len() as f32;
        let below = l.iter().filter(|x| **x < -2.0).count() as f32 / l.len() as f32;
        assert!(mean.abs() < 0.15, "mean log {mean}");
        assert!((below - 1.0 / 6.0).abs() < 0.03, "share below −2: {below}");
    }
    assert_eq!(shape.hinges, 8);
    // The world takes the draw: masses, principal inertias and frictions as scaled.
    let d = tasks.train[0].dynamics.clone();
    let model = std::sync::Arc::new(maker.robot().unwrap().clone());
    let settings = cfg.sim_settings();
    let nominal = DynamicsParams::nominal(shape.bodies, 1.0);
    let w0 = SimWorld::new(model.clone(), settings.clone(), &nominal).unwrap();
    let w = SimWorld::new(model, settings, &d).unwrap();
    for b in 0..shape.bodies {
        let ((m0, i0), (m, i)) = (w0.link_mass_inertia(b), w.link_mass_inertia(b));
        assert!((m - m0 * d.mass_scale[b]).abs() < 1e-4 * m0, "body {b}");
        // Principal moments as a set: Rapier re-diagonalises, which may reorder the axes.
        let mut want: Vec<f32> = (0..3).map(|k| i0[k] * d.inertia_scale[b][k]).collect();
        let mut got = i.to_array().to_vec();
        want.sort_by(f32::total_cmp);
        got.sort_by(f32::total_cmp);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-3 * w, "body {b}: {got:?} vs {want:?}");
        }
    }
    let f0 = w0.collider_friction(0).unwrap();
    assert!((w.collider_friction(0).unwrap() - f0 * d.geom_friction_scale[0]).abs() < 1e-5);
}

/// `--shift none` switches the draw off whatever the preset says; an unknown shift names the
/// flag and the known ones.
#[test]
fn shift_names_map_to_the_dynamics_family() {
    let cfg = Config::for_task("cheetah-vel-sparse", &shift_sets("mass-friction").unwrap());
    let cfg = cfg.unwrap();
    assert!(cfg.tasks.dynamics.randomize);
    assert_eq!(cfg.tasks.dynamics.family, DynamicsFamily::MassFriction);
    let cfg = Config::for_task("ant-goal-sparse", &shift_sets("none").unwrap()).unwrap();
    assert!(!cfg.tasks.dynamics.randomize);
    let e = shift_sets("walker").unwrap_err().to_string();
    assert!(e.contains("--shift") && e.contains("rand-params"), "{e}");
}

/// Relabeling an ant-goal episode to its own goal gives back the env's rewards exactly (the
/// contact cost and alive bonus travel as `other_reward`); to another goal only the goal
/// term changes.
#[test]
fn ant_goal_rewards_relabel_exactly() {
    use drat::data::buffer::{Batch, Transition};
    let cfg = Config::for_task("ant-goal-sparse", &[]).unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let tasks = maker.task_set().unwrap();
    let mut env = locomotion(&maker, 0);
    let mut obs = env.reset(1).unwrap().obs;
    let mut rows = Batch::default();
    let mut terms = Vec::new();
    for k in 0..40 {
        let a: Vec<f32> = (0..8).map(|j| ((k * 8 + j) as f32 * 0.7).sin()).collect();
        let s = env.step(&a).unwrap();
        rows.push(&Transition::of_step(&obs, &a, &s));
        terms.push(s.info.terms);
        obs = s.obs.clone();
        if s.terminated {
            break;
        }
    }
    let own = drat::transfer::relabel::rewards_for_goal(&cfg.reward, &rows, tasks.train[0].goal);
    assert_eq!(own, rows.reward);
    let other_goal = tasks.train[1].goal;
    let other = drat::transfer::relabel::rewards_for_goal(&cfg.reward, &rows, other_goal);
    for (t, (r, term)) in other.iter().zip(&terms).enumerate() {
        let a = [rows.achieved[2 * t], rows.achieved[2 * t + 1]];
        let g = drat::env::reward::goal_reward(cfg.reward.kind, a, other_goal, 0.8);
        assert!((r - (g + term.ctrl + term.contact + term.alive)).abs() < 1e-6);
    }
}
