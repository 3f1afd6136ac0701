//! Robot files loaded by path, as they come: they get defaults from the file (position
//! control around the standing pose `sim::stance` derives, spawn height from the geometry,
//! legged_gym's stepping; `src/config/load.rs`), pass the env checker and stand.

use drat::config::Config;
use drat::env::{check::check_env, EnvMaker};

/// Torso height after `seconds` of zero action (the pose held), and whether it fell.
fn stands(path: &str, seconds: f32, pd: &str) -> (f32, bool) {
    let cfg = Config::from_toml_str(
        &format!("[env]\nrobot = {path:?}\nreset_joint_vel_noise = 0.0\nhorizon = 2000\n[env.pd]\n{pd}\n[tasks.dynamics]\nrandomize = false\n"),
        "by-path",
    )
    .unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let mut env = maker
        .make(maker.task_set().unwrap().train[0].clone())
        .unwrap();
    assert!(
        check_env(env.as_mut(), 0, 200).is_empty(),
        "{path}: env checker"
    );
    env.reset(0).unwrap();
    let steps = (seconds / env.control_dt_s()).round() as usize;
    let zero = vec![0.0; env.action_space().dim()];
    let mut z = 0.0;
    for _ in 0..steps {
        let s = env.step(&zero).unwrap();
        z = s.obs[2];
        if s.terminated {
            return (z, true);
        }
    }
    (z, false)
}

/// The A1's file by path passes the checker and stands on the pose its geometry gives
/// (`sim::stance`: knees bent, feet under the hips; thigh 0.70, calf −1.39 rad) for 10 s.
/// Holding each joint at the angle nearest 0 instead (legs straight, calves at their −0.92 rad
/// limit: the rule before `sim::stance`) sits it down within 3 s.
#[test]
fn the_a1_file_by_path_passes_the_checker_and_stands_on_its_derived_pose() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/robots/a1/a1.urdf");
    let (z, fell) = stands(path, 10.0, "");
    assert!(!fell && z > 0.2, "torso at {z} m, fell: {fell}");
    let straight =
        "default_pose_rad = [0.0, 0.0, -0.92, 0.0, 0.0, -0.92, 0.0, 0.0, -0.92, 0.0, 0.0, -0.92]";
    let (_, fell) = stands(path, 3.0, straight);
    assert!(fell, "the straight-legged pose was seen to sit down");
}

#[test]
fn a_robot_with_mesh_collisions_by_path_stands() {
    // The quadruped with every foot capsule replaced by an OBJ box hull (8 vertices).
    let dir = tempfile::tempdir().unwrap();
    let mut obj = String::new();
    for x in [-0.04, 0.04] {
        for y in [-0.04, 0.04] {
            for z in [-0.04, 0.04] {
                obj += &format!("v {x} {y} {z}\n");
            }
        }
    }
    std::fs::write(dir.path().join("foot.obj"), obj).unwrap();
    let urdf = drat::sim::QUADRUPED_URDF.to_string();
    let n_before = urdf.matches("<capsule").count();
    let with_mesh = urdf.replacen("<capsule", "<mesh filename=\"foot.obj\" capsule", 4);
    let with_mesh = with_mesh.replace(" capsule radius", " radius");
    assert!(with_mesh.matches("<mesh").count() >= 1 && n_before > 0);
    let p = dir.path().join("meshy.urdf");
    std::fs::write(&p, &with_mesh).unwrap();
    let m = drat::sim::RobotModel::from_urdf_file(&p).unwrap();
    let hulls = m
        .links
        .iter()
        .flat_map(|l| &l.collisions)
        .filter(|c| matches!(c.shape, drat::sim::robot::ShapeDesc::ConvexHull { .. }))
        .count();
    assert!(hulls >= 1, "mesh collisions became hulls");
    let (z, fell) = stands(&p.display().to_string(), 2.0, "");
    assert!(!fell && z > 0.1, "torso at {z} m, fell: {fell}");
}

/// A train-task env of `robot`'s default config.
fn default_env(robot: &str) -> Box<dyn drat::env::Env> {
    let maker = EnvMaker::new(&Config::default_for(robot).unwrap()).unwrap();
    maker
        .make(maker.task_set().unwrap().train[0].clone())
        .unwrap()
}

/// Gymnasium's reset noise moves the Ant by at most 0.1 m from where it spawns (0.75 m up).
#[test]
fn reset_noise_displaces_the_ant_from_its_spawn_pose() {
    let mut env = default_env("ant");
    let mut moved = 0.0f32;
    for seed in 0..5 {
        let o = env.reset(seed).unwrap().obs;
        assert!(
            (o[2] - 0.75).abs() <= 0.1 + 1e-4 && o[0].abs() <= 0.1 + 1e-4,
            "seed {seed}: {:?}",
            &o[..3]
        );
        moved = moved.max((o[2] - 0.75).abs());
    }
    assert!(moved > 0.01, "the noise moves the torso");
}

/// The same on the planar HalfCheetah: its root coordinates (x, z, pitch) move by at most 0.1.
#[test]
fn reset_noise_displaces_the_half_cheetah_within_its_width() {
    let mut env = default_env("half_cheetah");
    let mut moved = 0.0f32;
    for seed in 0..5 {
        let o = env.reset(seed).unwrap().obs;
        assert!(
            o[0].abs() <= 0.1 + 1e-4
                && (o[1] - 0.7).abs() <= 0.1 + 1e-4
                && o[2].abs() <= 0.1 + 1e-4,
            "seed {seed}: {:?}",
            &o[..3]
        );
        moved = moved.max(o[0].abs());
        let s = env.step(&[0.0; 6]).unwrap();
        assert!(!s.info.blowup);
    }
    assert!(moved > 0.005, "the noise moves the torso");
}
