//! The stepping schemes (`env.stepping`): one Rapier step per control period against
//! `substeps` of them, the same standing pose under either, the profile's split, ground
//! contact limited to named links, and the config errors of both knobs.

use std::sync::Arc;

use drat::config::{Config, Robot, Stepping};
use drat::env::locomotion::LocomotionEnv;
use drat::env::{Env, Task};
use drat::sim::robot::ShapeDesc;
use drat::sim::{load_robot, DynamicsParams};

fn env(mut cfg: Config, horizon: usize) -> LocomotionEnv {
    cfg.env.horizon = horizon;
    cfg.env.reset_joint_vel_noise = 0.0;
    let model = Arc::new(load_robot(&cfg.env.robot).unwrap());
    let n = model.n_bodies();
    let task = Task {
        id: 0,
        goal: [1.0, 0.0],
        dynamics: DynamicsParams {
            mass_scale: vec![1.0; n],
            ..DynamicsParams::nominal(0, 1.0)
        },
    };
    LocomotionEnv::new(&cfg, model, task).unwrap()
}

fn a1(stepping: Stepping) -> Config {
    let mut cfg = Config::default_for("a1").unwrap();
    cfg.env.stepping = stepping;
    cfg
}

/// Zero action for `steps` control steps; the last observation.
fn hold(e: &mut LocomotionEnv, steps: usize) -> Vec<f32> {
    e.reset(0).unwrap();
    let zero = vec![0.0; e.action_space().dim()];
    let mut obs = Vec::new();
    for _ in 0..steps {
        let s = e.step(&zero).unwrap();
        assert!(!s.info.blowup && !s.terminated, "fell or blew up");
        obs = s.obs;
    }
    obs
}

#[test]
fn one_step_takes_one_rapier_step_per_control_step_and_profiles_it() {
    for (stepping, per_step) in [(Stepping::Substeps, 4), (Stepping::OneStep, 1)] {
        let mut e = env(a1(stepping), 100);
        hold(&mut e, 50);
        let p = e.physics_profile().unwrap();
        assert_eq!(p.rapier_steps, 50 * per_step, "{stepping:?}");
        let parts = p.collision_s + p.solver_assembly_s + p.solver_substeps_s;
        assert!(
            p.step_s > 0.0 && parts > 0.0 && parts <= p.step_s * 1.0001,
            "{p:?}"
        );
        assert!(
            p.contact_points >= 4 * p.rapier_steps,
            "feet on the ground: {p:?}"
        );
    }
}

#[test]
fn the_a1_stands_at_the_same_height_under_both_schemes() {
    // 2 s at the default pose: the PD law outside the solver (substeps) and as Rapier's
    // joint springs inside it (one-step) hold the torso level at the same height. (The
    // stance itself is statically indeterminate with friction: measured 2026-12-04, the
    // substeps A1 creeps 12 cm backwards in those 2 s, the one-step one 1 cm, and the front
    // thighs settle 0.14 rad apart; the heights 0.264 and 0.272 m.)
    let before = hold(&mut env(a1(Stepping::Substeps), 200), 100);
    let after = hold(&mut env(a1(Stepping::OneStep), 200), 100);
    assert!(
        (before[2] - after[2]).abs() < 0.015,
        "torso height {} vs {} m",
        before[2],
        after[2]
    );
    for (name, o) in [("substeps", &before), ("one-step", &after)] {
        // |w| of the root quaternion: cos of half the tilt (and yaw) from the spawn pose.
        assert!(
            o[3].abs() > 0.999,
            "{name}: torso turned, quaternion {:?}",
            &o[3..7]
        );
    }
}

#[test]
fn only_the_listed_links_touch_the_ground() {
    // The quadruped standing on its shins against the same body whose legs pass through the
    // ground: only the torso's sphere meets it, so the torso sinks to rest at its radius.
    let standing = hold(
        &mut env(Config::default_for("quadruped").unwrap(), 200),
        100,
    );
    let mut cfg = Config::default_for("quadruped").unwrap();
    cfg.env.ground_contact_links = vec!["torso".into()];
    cfg.env.terminate_when_flipped = false;
    let lying = hold(&mut env(cfg, 200), 100);
    let model = load_robot(&Robot::Quadruped).unwrap();
    let ShapeDesc::Sphere {
        radius_m: torso_radius,
    } = model.links[0].collisions[0].shape
    else {
        panic!("the quadruped's torso is a sphere");
    };
    assert!(
        standing[2] > torso_radius + 0.1,
        "standing at {} m, torso radius {torso_radius} m",
        standing[2]
    );
    assert!(
        (lying[2] - torso_radius).abs() < 0.02,
        "torso at {} m, its radius {torso_radius} m",
        lying[2]
    );
}

#[test]
fn bad_stepping_and_contact_links_are_named_errors() {
    let err = Config::from_toml_str_with_sets("", "test", &["env.stepping=\"two-step\"".into()])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stepping") && err.contains("one-step"),
        "{err}"
    );
    let err =
        Config::from_toml_str_with_sets("", "test", &["env.prediction_speed_m_s=-1.0".into()])
            .unwrap_err()
            .to_string();
    assert!(err.contains("env.prediction_speed_m_s"), "{err}");
    let mut cfg = Config::default_for("quadruped").unwrap();
    cfg.env.ground_contact_links = vec!["paw".into()];
    let model = Arc::new(load_robot(&Robot::Quadruped).unwrap());
    let task = Task {
        id: 0,
        goal: [1.0, 0.0],
        dynamics: DynamicsParams::nominal(model.n_bodies(), 1.0),
    };
    let err = LocomotionEnv::new(&cfg, model, task)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("env.ground_contact_links")
            && err.contains("\"paw\"")
            && err.contains("shin_fl"),
        "{err}"
    );
}

#[test]
fn default_stepping_stays_out_of_written_configs() {
    // Older run directories hash their config: a default `stepping` is not written.
    let q = Config::default_for("quadruped").unwrap().to_toml_string();
    for key in ["stepping", "ground_contact_links", "prediction_speed_m_s"] {
        assert!(!q.contains(key), "{key} in {q}");
    }
    let a = Config::default_for("a1").unwrap();
    assert_eq!(a.env.stepping, Stepping::OneStep);
    assert!(a.to_toml_string().contains("stepping = \"one-step\""));
}
