//! Physical invariants of the quadruped: it stands still without torques, survives random
//! torques at every corner of the dynamics ranges, and responds to mass and friction in the
//! expected direction.

use std::sync::Arc;

use drat::config::Config;
use drat::env::gait::TrotGait;
use drat::env::locomotion::LocomotionEnv;
use drat::env::{Env, Task};
use drat::sim::{load_robot, DynamicsParams, RobotModel, SimWorld};
use rand::{Rng, SeedableRng};

fn quadruped() -> (Config, Arc<RobotModel>) {
    let cfg = Config::default_for("quadruped").unwrap();
    (
        cfg,
        Arc::new(load_robot(&drat::config::Robot::Quadruped).unwrap()),
    )
}

fn env_with(dynamics: DynamicsParams, horizon: usize) -> LocomotionEnv {
    let (mut cfg, model) = quadruped();
    cfg.env.horizon = horizon;
    let task = Task {
        id: 0,
        goal: [2.0, 0.0],
        dynamics,
    };
    LocomotionEnv::new(&cfg, model, task).unwrap()
}

#[test]
fn zero_torque_quadruped_settles_upright_and_finite_for_10_s() {
    let mut env = env_with(DynamicsParams::nominal(9, 1.0), 200); // 200 × 0.05 s = 10 s
    env.reset(0).unwrap();
    let mut last = None;
    let mut late_speed: f32 = 0.0;
    for t in 0..200 {
        let s = env.step(&[0.0; 8]).unwrap();
        assert!(s.obs.iter().all(|v| v.is_finite()), "non-finite obs at {t}");
        assert!(!s.info.blowup && !s.terminated, "fell or blew up at {t}");
        // Resting on the legs: above the torso's own radius (0.25 m), below the spawn height.
        let z = s.obs[2];
        assert!((0.27..0.46).contains(&z), "torso height {z} at step {t}");
        if t >= 150 {
            late_speed =
                late_speed.max((s.obs[15].powi(2) + s.obs[16].powi(2) + s.obs[17].powi(2)).sqrt());
        }
        last = Some(s);
    }
    let s = last.unwrap();
    let up_z = env.world().root_state().rotation * rapier3d::math::Vector::Z;
    assert!(up_z.z > 0.95, "torso tilted: up·z = {}", up_z.z);
    // Settled: no chatter on the joint limits or the ground over the last 2.5 s.
    assert!(
        late_speed < 0.03,
        "torso still moving over the last 2.5 s: {late_speed} m/s"
    );
    // The legs splay to their limits as the body sinks: some shift, but no walking away.
    let shift = (s.info.achieved[0].powi(2) + s.info.achieved[1].powi(2)).sqrt();
    assert!(shift < 0.4, "drifted {shift} m");
}

#[test]
fn random_actions_stay_finite_at_every_corner_of_the_default_ranges() {
    let (cfg, _) = quadruped();
    let r = &cfg.tasks.dynamics;
    let corners = [
        (r.mass_scale[0], r.friction[0]),
        (r.mass_scale[0], r.friction[1]),
        (r.mass_scale[1], r.friction[0]),
        (r.mass_scale[1], r.friction[1]),
    ];
    // Two corners per thread: the test machine has two cores.
    std::thread::scope(|sc| {
        for pair in corners.chunks(2) {
            sc.spawn(move || {
                for &(mass, friction) in pair {
                    let d = DynamicsParams {
                        mass_scale: vec![mass; 9],
                        ..DynamicsParams::nominal(0, friction)
                    };
                    let mut env = env_with(d, 1000);
                    let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
                    env.reset(0).unwrap();
                    let (mut episodes, mut falls) = (0, 0);
                    for t in 0..100_000u64 {
                        let a: [f32; 8] = std::array::from_fn(|_| rng.random_range(-1.0..=1.0));
                        let s = env.step(&a).unwrap();
                        assert!(!s.info.blowup, "blow-up at step {t}, mass {mass}, friction {friction}");
                        assert!(s.obs.iter().all(|v| v.is_finite()));
                        if s.done() {
                            episodes += 1;
                            falls += u32::from(s.terminated);
                            env.reset(t).unwrap();
                        }
                    }
                    assert!(episodes >= 100, "episodes of 1000 steps: {episodes}");
                    eprintln!("mass {mass} friction {friction}: {episodes} episodes, {falls} falls, 0 blow-ups");
                }
            });
        }
    });
}

/// Distance the torso covers in 10 s of the fixed trot, mean over 6 reset seeds (a legged
/// gait is chaotic: single runs can turn, so one run is no measure).
fn trot_distance(mass_scale: [f32; 2], friction: f32) -> f32 {
    (0..6)
        .map(|seed| trot_distance_once(mass_scale, friction, seed))
        .sum::<f32>()
        / 6.0
}

/// `mass_scale` = [torso, every leg link].
fn trot_distance_once(mass_scale: [f32; 2], friction: f32, seed: u64) -> f32 {
    let mut d = DynamicsParams::nominal(9, friction);
    d.mass_scale.fill(mass_scale[1]);
    d.mass_scale[0] = mass_scale[0];
    let mut env = env_with(d, 200);
    env.reset(seed).unwrap();
    let gait = TrotGait::default();
    let (mut q, mut qd) = (Vec::new(), Vec::new());
    let mut achieved = [0.0; 2];
    for t in 0..200 {
        env.world().joint_angles(&mut q);
        env.world().joint_velocities(&mut qd);
        let s = env.step(&gait.action(t as f32 * 0.05, &q, &qd)).unwrap();
        achieved = s.info.achieved;
    }
    (achieved[0].powi(2) + achieved[1].powi(2)).sqrt()
}

#[test]
fn heavier_robot_covers_less_ground_with_the_same_gait() {
    let light = trot_distance([0.5, 0.5], 1.0);
    let nominal = trot_distance([1.0, 1.0], 1.0);
    let heavy = trot_distance([2.0, 2.0], 1.0);
    let heavy_torso = trot_distance([2.0, 1.0], 1.0);
    eprintln!(
        "trot distance in 10 s (mean of 6): all bodies ×0.5 {light:.2} m, ×1 {nominal:.2} m, \
         ×2 {heavy:.2} m; torso alone ×2 {heavy_torso:.2} m"
    );
    let light_torso = trot_distance([0.5, 1.0], 1.0);
    eprintln!("torso alone ×0.5 {light_torso:.2} m");
    assert!(nominal > 0.3, "the gait must move the robot: {nominal}");
    // Between the ends of the default range the effect is clear (> 20 %); in between, a
    // legged gait need not be monotone (more weight also means more traction).
    assert!(
        light > 1.2 * heavy,
        "whole robot: ×0.5 {light} vs ×2 {heavy}"
    );
    assert!(
        light_torso > 1.2 * heavy_torso,
        "torso: ×0.5 {light_torso} vs ×2 {heavy_torso}"
    );
}

/// How far the robot slides in 1 s after being launched at 2 m/s with no torques.
fn slide_distance(friction: f32) -> f32 {
    let mut env = env_with(DynamicsParams::nominal(9, friction), 200);
    env.reset(0).unwrap();
    for _ in 0..20 {
        env.step(&[0.0; 8]).unwrap(); // settle on the ground
    }
    let x0 = env.world().root_state().position.x;
    env.world_mut()
        .set_root_linvel(rapier3d::math::Vector::new(2.0, 0.0, 0.0));
    for _ in 0..20 {
        env.step(&[0.0; 8]).unwrap();
    }
    env.world().root_state().position.x - x0
}

#[test]
fn more_friction_means_a_shorter_slide() {
    let d: Vec<f32> = [0.3, 0.8, 1.5].iter().map(|&f| slide_distance(f)).collect();
    eprintln!(
        "slide after a 2 m/s push: μ 0.3 → {:.3} m, 0.8 → {:.3} m, 1.5 → {:.3} m",
        d[0], d[1], d[2]
    );
    assert!(d[0] > d[1] && d[1] > d[2], "{d:?}");
    assert!(d[2] > 0.0, "it moves at all");
}

#[test]
fn mass_scaling_is_from_nominal_carries_inertia_and_friction_is_exact() {
    let model = Arc::new(load_robot(&drat::config::Robot::Quadruped).unwrap());
    let cfg = Config::default_for("quadruped").unwrap();
    let nominal = DynamicsParams::nominal(9, 1.0);
    let mut w = SimWorld::new(model, cfg.sim_settings(), &nominal).unwrap();
    let (m0, i0) = w.link_mass_inertia(0);
    assert!((m0 - 5.0).abs() < 1e-4, "torso nominal mass {m0}");
    let mut scaled = nominal.clone();
    scaled.mass_scale[0] = 2.0;
    scaled.friction_coef = 0.4;
    for _ in 0..3 {
        // Applying the same scale again must not compound.
        w.reset(&scaled).unwrap();
        let (m, i) = w.link_mass_inertia(0);
        assert!((m - 10.0).abs() < 1e-3, "mass {m}");
        assert!(
            (i - i0 * 2.0).length() < 1e-4 * i0.length(),
            "inertia {i} vs {i0}"
        );
    }
    assert!((w.total_mass_kg() - (10.0 + 4.0)).abs() < 1e-3);
    assert_eq!(w.collider_friction(0), Some(0.4));
    w.reset(&nominal).unwrap();
    assert!((w.link_mass_inertia(0).0 - 5.0).abs() < 1e-4);
    assert!(
        w.reset(&DynamicsParams::nominal(3, 1.0)).is_err(),
        "wrong body count is an error"
    );
}
