//! The Unitree A1 as PyBullet ships it (`assets/robots/a1/a1.urdf`, unmodified, xacro output
//! with materials, visual meshes, transmissions and fixed IMU/hip/toe joints) loads; a leg
//! joint of a type we do not simulate is an error that names the joint.

use drat::sim::robot::JointKind;
use drat::sim::RobotModel;

const A1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/robots/a1/a1.urdf");

#[test]
fn the_unmodified_a1_loads_with_its_twelve_actuated_joints() {
    let m = RobotModel::from_urdf_file(std::path::Path::new(A1)).unwrap();
    assert_eq!(m.name, "a1_description");
    assert_eq!(m.links.len(), 22);
    assert_eq!(m.links[0].name, "trunk", "the floating root");
    let act: Vec<&str> = m
        .actuated_joints()
        .iter()
        .map(|&j| m.joints[j].name.as_str())
        .collect();
    let legs = ["FR", "FL", "RR", "RL"];
    let expected: Vec<String> = legs
        .iter()
        .flat_map(|l| ["hip", "upper", "lower"].map(|p| format!("{l}_{p}_joint")))
        .collect();
    assert_eq!(act, expected, "file order is the action layout");
    let fixed = m
        .joints
        .iter()
        .filter(|j| j.kind == JointKind::Fixed)
        .count();
    assert_eq!(fixed, 9, "IMU, 4 hip shoulders, 4 toes");
    // Masses as written in the file: about 12 kg in all.
    let total = m.total_mass_kg();
    assert!((11.0..14.0).contains(&total), "{total} kg");
    // Efforts from the file's <limit effort> (20 or 55 N·m): every leg joint is driven.
    for &j in &m.actuated_joints() {
        assert!(m.joints[j].effort > 10.0, "{}", m.joints[j].name);
    }
}

#[test]
fn a_prismatic_leg_joint_is_named_in_the_error() {
    let text = std::fs::read_to_string(A1).unwrap();
    let edited = text.replacen(
        r#"<joint name="FR_lower_joint" type="revolute""#,
        r#"<joint name="FR_lower_joint" type="prismatic""#,
        1,
    );
    assert_ne!(edited, text);
    let e = RobotModel::from_urdf_str(&edited, "a1-prismatic.urdf")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("a1-prismatic.urdf") && e.contains("FR_lower_joint") && e.contains("prismatic"),
        "{e}"
    );
}
