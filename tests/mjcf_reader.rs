//! The MJCF reader on small hand-written files: what it reads (multi-hinge bodies, ellipsoids,
//! `<position>` servos and the defaults they give, contact filtering, margins) and errors that
//! name the file and the element.

use drat::config::{Config, ControlMode};
use drat::sim::robot::ShapeDesc;
use drat::sim::RobotModel;

const ROBOT: &str = r#"<mujoco model="probe">
  <option timestep="0.004"/>
  <default><geom density="1000" margin="0.005"/><joint damping="0.5" armature="0.01"/></default>
  <worldbody>
    <geom name="floor" type="plane" size="5 5 .1" friction="0.8"/>
    <body name="torso" pos="0 0 0.5">
      <freejoint/>
      <geom name="body" type="ellipsoid" size="0.2 0.1 0.05"/>
      <body name="leg" pos="0.2 0 0">
        <joint name="yaw" axis="0 0 1" range="-30 30"/>
        <joint name="pitch" axis="0 1 0" range="-60 60" pos="0.01 0 0"/>
        <geom name="shin" type="capsule" fromto="0 0 0 0 0 -0.3" size="0.03"/>
        <geom name="ghost" type="sphere" size="0.05" contype="0" conaffinity="0"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <position joint="pitch" kp="30" kv="1" forcerange="-8 8"/>
    <position joint="yaw" kp="30" kv="1" forcerange="-8 8"/>
  </actuator>
</mujoco>"#;

fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("probe.xml");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

#[test]
fn what_the_reader_reads() {
    let (_d, p) = write(ROBOT);
    let m = RobotModel::from_mjcf_file(&p).unwrap();
    // Two hinges in one body: a light joint frame between them.
    let names: Vec<&str> = m.joints.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["yaw", "pitch"]);
    let frame = &m.links[m.joints[0].child];
    assert!(frame.name.contains("frame") && frame.collisions.is_empty());
    assert!(frame.mass_kg < 1e-2 * m.links[m.joints[1].child].mass_kg);
    // The pitch hinge sits 1 cm from the body frame: the link frame moved there.
    assert!((m.joints[1].origin.translation.x - 0.01).abs() < 1e-6);
    // Actuator order is the action layout: pitch first.
    let act: Vec<&str> = m
        .actuated_joints()
        .iter()
        .map(|&j| m.joints[j].name.as_str())
        .collect();
    assert_eq!(act, ["pitch", "yaw"]);
    assert!(
        m.joints.iter().all(|j| (j.effort - 8.0).abs() < 1e-6),
        "forcerange is the torque limit"
    );
    assert!((m.joints[0].limits.unwrap()[1] - 30f32.to_radians()).abs() < 1e-6);
    assert!((m.joints[0].damping - 0.5).abs() < 1e-6 && (m.joints[0].armature - 0.01).abs() < 1e-6);
    // The ellipsoid: a hull, massed as the exact ellipsoid (4/3·π·abc·ρ).
    let torso = &m.links[0];
    assert!(matches!(
        torso.collisions[0].shape,
        ShapeDesc::ConvexHull { .. }
    ));
    let exact = 4.0 / 3.0 * std::f32::consts::PI * 0.2 * 0.1 * 0.05 * 1000.0;
    assert!(
        (torso.mass_kg - exact).abs() < 1e-3 * exact,
        "{} vs {exact}",
        torso.mass_kg
    );
    // The ghost sphere carries mass but never touches the floor; margins are skins.
    let leg = &m.links[m.joints[1].child];
    assert_eq!(leg.collisions.len(), 1);
    assert!((leg.collisions[0].skin_m - 0.005).abs() < 1e-7);
    let capsule = 1000.0 * std::f32::consts::PI * 0.03f32.powi(2) * (0.3 + 4.0 / 3.0 * 0.03);
    let sphere = 1000.0 * 4.0 / 3.0 * std::f32::consts::PI * 0.05f32.powi(3);
    assert!((leg.mass_kg - capsule - sphere).abs() < 1e-3 * leg.mass_kg);
    assert_eq!(m.hints.position_servo, Some([30.0, 1.0]));
    assert_eq!(
        m.hints.nominal_friction,
        Some(1.0),
        "max(geom 1, floor 0.8)"
    );
}

#[test]
fn a_file_by_path_gets_its_timestep_height_and_servo_gains() {
    let (_d, p) = write(ROBOT);
    let cfg = Config::default_for(&p.display().to_string()).unwrap();
    assert!((cfg.env.dt_s - 0.004).abs() < 1e-7);
    assert_eq!(cfg.env.substeps, 13, "0.05 s control period");
    assert!((cfg.env.spawn_height_m - 0.5).abs() < 1e-6);
    assert_eq!(cfg.env.control, ControlMode::Position);
    assert!((cfg.env.pd.kp - 30.0).abs() < 1e-6 && (cfg.env.pd.kd - 1.0).abs() < 1e-6);
}

#[test]
fn errors_name_the_file_and_the_element() {
    for (edit, want) in [
        (("<freejoint/>", "<joint type=\"ball\"/>"), "root's joints"),
        (
            ("<joint name=\"yaw\"", "<joint name=\"yaw\" type=\"slide\""),
            "joint `yaw` is a slide joint",
        ),
        (
            ("<position joint=\"pitch\"", "<velocity joint=\"pitch\""),
            "Velocity actuators are not supported",
        ),
        (
            ("joint=\"yaw\" kp", "joint=\"nope\" kp"),
            "unknown joint `nope`",
        ),
        (
            ("size=\"0.03\"", "size=\"-1\""),
            "<geom name=\"shin\" type=\"capsule\"> of body `leg`",
        ),
        (
            ("type=\"ellipsoid\"", "type=\"sdf\""),
            "supported geom types",
        ),
        (("<mujoco", "<mujoco><bad"), "probe.xml"),
    ] {
        let (_d, p) = write(&ROBOT.replacen(edit.0, edit.1, 1));
        let e = RobotModel::from_mjcf_file(&p).unwrap_err().to_string();
        assert!(e.contains("probe.xml") && e.contains(want), "{edit:?}: {e}");
    }
}

#[test]
fn a_byte_order_mark_and_trailing_nuls_or_whitespace_load() {
    let (_d, p) = write(ROBOT);
    let clean = RobotModel::from_mjcf_file(&p).unwrap();
    for (what, text) in [
        ("BOM", format!("\u{feff}{ROBOT}")),
        ("NULs", format!("{ROBOT}\0\0\0")),
        ("whitespace", format!("{ROBOT}\n\t \r\n")),
        ("all three", format!("\u{feff}{ROBOT}\n\0 \0\n")),
    ] {
        let (_d, q) = write(&text);
        let by_path = RobotModel::from_mjcf_file(&q).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(by_path.links, clean.links, "{what}");
        assert_eq!(by_path.joints, clean.joints, "{what}");
        let by_str = RobotModel::from_mjcf_str(&text, q.parent().unwrap(), "quirky.xml")
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(by_str.links, clean.links, "{what}");
    }
    // Junk that is not harmless stays an error naming the file.
    let (_d, q) = write(&format!("{ROBOT}<junk/>"));
    let e = RobotModel::from_mjcf_file(&q).unwrap_err().to_string();
    assert!(e.contains("probe.xml"), "{e}");
}

#[test]
fn mesh_geoms_become_scaled_hulls_and_bad_mesh_files_name_the_mjcf_file() {
    let with_mesh = |file: &str| {
        ROBOT
            .replace(
                "<worldbody>",
                &format!(
                    "<asset><mesh name=\"m\" file=\"{file}\" scale=\"0.1 0.2 0.3\"/></asset>\n  <worldbody>"
                ),
            )
            .replace(
                r#"type="ellipsoid" size="0.2 0.1 0.05"/>"#,
                r#"type="mesh" mesh="m"/>"#,
            )
    };
    let (d, p) = write(&with_mesh("cube.obj"));
    let cube: String = (0..8)
        .map(|i| format!("v {} {} {}\n", i & 1, i >> 1 & 1, i >> 2 & 1))
        .collect();
    std::fs::write(d.path().join("cube.obj"), cube).unwrap();
    let m = RobotModel::from_mjcf_file(&p).unwrap();
    let hull = m.links[0]
        .collisions
        .iter()
        .find_map(|c| match &c.shape {
            ShapeDesc::ConvexHull { points } => Some(points.clone()),
            _ => None,
        })
        .expect("the mesh geom is a hull");
    let max: Vec<f32> = (0..3)
        .map(|k| hull.iter().map(|p| p[k]).fold(f32::MIN, f32::max))
        .collect();
    assert_eq!(max, vec![0.1, 0.2, 0.3], "the asset's scale is applied");
    std::fs::write(
        d.path().join("cube.obj"),
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\n",
    )
    .unwrap();
    let e = RobotModel::from_mjcf_file(&p).unwrap_err().to_string();
    assert!(
        e.contains("probe.xml") && e.contains("cube.obj") && e.contains("degenerate"),
        "{e}"
    );
    let (_d, p) = write(&with_mesh("gone.stl"));
    let e = RobotModel::from_mjcf_file(&p).unwrap_err().to_string();
    assert!(
        e.contains("probe.xml") && e.contains("gone.stl") && e.contains("not found"),
        "{e}"
    );
}
