//! The Unitree A1 as PyBullet ships it (`assets/robots/a1/a1.urdf`, unmodified, xacro output
//! with materials, visual meshes, transmissions and fixed IMU/hip/toe joints) loads with its
//! fixed joints welded into their parents; a leg joint of a type we do not simulate is an
//! error that names the joint. Welding combines masses, centres of mass and inertias exactly.

use drat::sim::robot::JointKind;
use drat::sim::RobotModel;

const A1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/robots/a1/a1.urdf");

#[test]
fn the_unmodified_a1_loads_with_its_twelve_actuated_joints() {
    let m = RobotModel::from_urdf_file(std::path::Path::new(A1)).unwrap();
    assert_eq!(m.name, "a1_description");
    // 22 links in the file; the 9 fixed joints (IMU, 4 hip shoulders, 4 toes) are welded.
    assert_eq!(m.links.len(), 13);
    assert_eq!(m.links[0].name, "trunk", "the floating root");
    assert!(m.joints.iter().all(|j| j.kind != JointKind::Fixed));
    let merged = |link: &str| -> Vec<String> {
        let l = m.links.iter().find(|l| l.name == link).unwrap();
        l.merged.iter().map(|(n, _)| n.clone()).collect()
    };
    assert_eq!(merged("trunk"), ["imu_link"]);
    for leg in ["FR", "FL", "RR", "RL"] {
        assert_eq!(
            merged(&format!("{leg}_hip")),
            [format!("{leg}_upper_shoulder")]
        );
        assert_eq!(merged(&format!("{leg}_lower")), [format!("{leg}_toe")]);
        // The toe's sphere is now the calf's, 0.2 m down its length.
        let calf = m
            .links
            .iter()
            .find(|l| l.name == format!("{leg}_lower"))
            .unwrap();
        let foot = calf
            .collisions
            .iter()
            .find(|c| matches!(c.shape, drat::sim::robot::ShapeDesc::Sphere { .. }))
            .expect("foot sphere");
        assert!((foot.origin.translation.z + 0.2).abs() < 1e-6);
    }
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
    // Visuals are kept for pictures, with their materials; a welded toe's sphere moves too.
    let trunk = &m.links[0];
    assert!(matches!(
        &trunk.visuals[0].geometry,
        drat::sim::robot::VisualGeometry::Mesh { filename, .. } if filename == "meshes/trunk.obj"
    ));
    // The file's "orange": rgba 1.0 0.423529411765 0.0392156862745 1.0.
    let orange = trunk.visuals[0].rgba.expect("a named material");
    assert!((orange[1] - 0.423_529_4).abs() < 1e-6 && (orange[2] - 0.039_215_7).abs() < 1e-6);
    let calf = m.links.iter().find(|l| l.name == "FR_lower").unwrap();
    assert_eq!(calf.visuals.len(), 2, "calf mesh and the toe's sphere");
    assert!((calf.visuals[1].origin.translation.z + 0.2).abs() < 1e-6);
    assert_eq!(
        m.notes,
        [
            "12 <transmission> element(s) ignored (joints are driven from <limit effort>)",
            "9 fixed joint(s) welded into their parent links"
        ]
    );
    // Welding keeps the file's total mass.
    let text = std::fs::read_to_string(A1).unwrap();
    let in_file: f32 = text
        .split("<mass value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse::<f32>().unwrap())
        .sum();
    assert!(
        (m.total_mass_kg() - in_file).abs() < 1e-4,
        "{} vs {in_file}",
        m.total_mass_kg()
    );
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

/// Two welded links: the hand-computed mass, centre of mass and parallel-axis inertia, and the
/// weld's child joint moved to the parent with its frame composed.
#[test]
fn welding_combines_mass_and_inertia_exactly() {
    let urdf = r#"<robot name="weld">
      <link name="a"><inertial><mass value="1"/>
        <inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial></link>
      <link name="b"><inertial><mass value="3"/>
        <inertia ixx="2" ixy="0" ixz="0" iyy="2" iyz="0" izz="2"/></inertial>
        <collision><geometry><sphere radius="0.1"/></geometry></collision></link>
      <link name="dummy"/>
      <link name="c"><inertial><mass value="1"/>
        <inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial></link>
      <joint name="weld" type="fixed"><parent link="a"/><child link="b"/>
        <origin xyz="1 0 0"/></joint>
      <joint name="tag" type="fixed"><parent link="b"/><child link="dummy"/></joint>
      <joint name="hinge" type="revolute"><parent link="b"/><child link="c"/>
        <origin xyz="0 0 1"/><limit lower="-1" upper="1" effort="1"/></joint>
    </robot>"#;
    let m = RobotModel::from_urdf_str(urdf, "weld.urdf").unwrap();
    let names: Vec<&str> = m.links.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        ["a", "c"],
        "b and the massless dummy are welded into a"
    );
    let a = &m.links[0];
    assert!((a.mass_kg - 4.0).abs() < 1e-6);
    // COM: (1·0 + 3·1) / 4 = 0.75 along x.
    assert!((a.com - rapier3d::math::Vector::new(0.75, 0.0, 0.0)).length() < 1e-6);
    // About the new COM: a gives (1, 1 + 1·0.75², same), b gives (2, 2 + 3·0.25², same).
    let i = a.inertia.unwrap();
    let want = [3.0, 0.0, 0.0, 3.75, 0.0, 3.75];
    for (got, want) in i.iter().zip(want) {
        assert!((got - want).abs() < 1e-5, "{i:?}");
    }
    assert_eq!(a.collisions.len(), 1);
    assert!((a.collisions[0].origin.translation.x - 1.0).abs() < 1e-6);
    let hinge = &m.joints[0];
    assert_eq!(
        (hinge.name.as_str(), hinge.parent, hinge.child),
        ("hinge", 0, 1)
    );
    let o = hinge.origin.translation;
    assert!((o.x - 1.0).abs() < 1e-6 && (o.z - 1.0).abs() < 1e-6);
}
