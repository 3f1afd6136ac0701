//! drat against MuJoCo 4.0.0 on the same files, Gymnasium 1.4.0's ant.xml and
//! half_cheetah.xml. The reference is MuJoCo's own numbers (`scripts/anchors/mjcf-fidelity`
//! writes `tests/data/mujoco_fidelity.json`). Asserted: the compiled bodies (mass and principal
//! inertia, relative 1e-3), joint ranges, damping, armature and stiffness, actuator gears and
//! their joints, the resting height after 2 s of zero action (Ant 2 cm, HalfCheetah 3 cm), the
//! frictionless rest pose joint by joint (5 mrad), the mean torso height under the reference
//! gait (4 cm), HalfCheetah's gait distance (10 %) and the direction mass ×1.5 moves it; against
//! MuJoCo with drat's contact model (elliptic cone, no slip) the resting height (2 cm) and the
//! friction ×0.3 directions. What does not agree is not asserted: docs/robots.md has the
//! per-quantity tables (`cargo run --example fidelity`) and what was found.

use drat::diagnostics::fidelity::{self, Gait, Variant};
use drat::sim::mjcf::mjcf_bodies;

fn reference() -> serde_json::Value {
    let text = include_str!("data/mujoco_fidelity.json");
    serde_json::from_str(text).expect("the committed reference is valid JSON")
}

fn file(robot: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("assets/robots/{robot}/{robot}.xml"))
}

fn f(v: &serde_json::Value) -> f32 {
    v.as_f64().expect("a number") as f32
}

fn close(a: f32, b: f32, rel: f32) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-9)
}

#[test]
fn compiled_bodies_match_mujoco() {
    let r = reference();
    for robot in ["ant", "half_cheetah"] {
        let model = mjcf_bodies(&file(robot)).unwrap();
        let links: Vec<_> = model.links.iter().filter(|l| l.name != "world").collect();
        let bodies = r[robot]["bodies"].as_array().unwrap();
        assert_eq!(
            links.len(),
            bodies.len(),
            "{robot}: one link per MuJoCo body"
        );
        for (l, b) in links.iter().zip(bodies) {
            let m = f(&b["mass"]);
            assert!(
                close(l.mass_kg, m, 1e-3),
                "{robot} {}: mass {} vs MuJoCo {m}",
                l.name,
                l.mass_kg
            );
            let mut ours = l.mass_properties(1.0).principal_inertia().to_array();
            let mut theirs: Vec<f32> = b["inertia"].as_array().unwrap().iter().map(f).collect();
            ours.sort_by(f32::total_cmp);
            theirs.sort_by(f32::total_cmp);
            for (a, b) in ours.iter().zip(&theirs) {
                assert!(
                    close(*a, *b, 1e-3),
                    "{robot} {}: inertia {ours:?} vs MuJoCo {theirs:?}",
                    l.name
                );
            }
        }
        let total: f32 = links.iter().map(|l| l.mass_kg).sum();
        assert!(
            close(total, f(&r[robot]["total_mass"]), 1e-3),
            "{robot}: total mass {total}"
        );
    }
}

#[test]
fn joints_and_actuators_match_mujoco() {
    let r = reference();
    for robot in ["ant", "half_cheetah"] {
        let model = drat::sim::load_robot(&drat::sim::Robot::parse(robot).unwrap()).unwrap();
        // The root's own joints (HalfCheetah's rooty) make drat's planar root joint.
        let root = &r[robot]["bodies"][0]["name"];
        let hinges = r[robot]["joints"].as_array().unwrap().iter();
        for j in hinges.filter(|j| j["type"] == "hinge" && j["body"] != *root) {
            let name = j["name"].as_str().unwrap();
            let ours = model
                .joints
                .iter()
                .find(|d| d.name == name)
                .unwrap_or_else(|| panic!("{robot}: joint {name}"));
            let range: Vec<f32> = j["range"].as_array().unwrap().iter().map(f).collect();
            match ours.limits {
                Some([lo, hi]) => {
                    assert!(
                        j["limited"].as_bool().unwrap(),
                        "{robot} {name}: limited only in drat"
                    );
                    assert!(
                        (lo - range[0]).abs() < 1e-5 && (hi - range[1]).abs() < 1e-5,
                        "{robot} {name}: {lo}..{hi} vs {range:?}"
                    );
                }
                None => assert!(
                    !j["limited"].as_bool().unwrap(),
                    "{robot} {name}: limited only in MuJoCo"
                ),
            }
            for (ours, key) in [
                (ours.damping, "damping"),
                (ours.armature, "armature"),
                (ours.stiffness, "stiffness"),
                (ours.frictionloss, "frictionloss"),
            ] {
                assert!(
                    (ours - f(&j[key])).abs() < 1e-5,
                    "{robot} {name}: {key} {ours} vs {}",
                    j[key]
                );
            }
        }
        let act = model.actuated_joints();
        let refs = r[robot]["actuators"].as_array().unwrap();
        assert_eq!(act.len(), refs.len(), "{robot}: actuator count");
        for (k, (&j, a)) in act.iter().zip(refs).enumerate() {
            let jd = &model.joints[j];
            assert_eq!(
                jd.name,
                a["joint"].as_str().unwrap(),
                "{robot}: actuator {k} drives another joint"
            );
            let ctrl = f(&a["ctrlrange"][1]);
            assert!(
                close(jd.effort, f(&a["gear"]) * ctrl, 1e-6),
                "{robot} {}: gear",
                jd.name
            );
            assert_eq!(a["type"], "motor");
        }
    }
}

/// Ant within the 2 cm (0.383 vs 0.382 m). HalfCheetah within 3 cm (0.596 vs
/// 0.569 m): MuJoCo's soft friction lets its feet creep until no friction force is left, so it
/// ends at its frictionless equilibrium (the next test), where drat's Coulomb friction holds
/// the stance it landed in (docs/robots.md).
#[test]
fn resting_height_after_zero_action_matches_mujoco() {
    let r = reference();
    for (robot, tol) in [("ant", 0.02), ("half_cheetah", 0.03)] {
        let ours = fidelity::zero_action(robot, 2.0).unwrap();
        let theirs = fidelity::reference_summary(&r[robot], "zero_action");
        assert!(
            (ours.final_z - theirs.final_z).abs() < tol,
            "{robot}: torso at {} m vs MuJoCo {} m",
            ours.final_z,
            theirs.final_z
        );
        // With the friction cone drat's (Rapier's) is, both within the 2 cm
        // (HalfCheetah 0.596 vs 0.579 m).
        let elliptic =
            fidelity::reference_summary(&r[robot]["contact_models"]["elliptic"], "zero_action");
        assert!(
            (ours.final_z - elliptic.final_z).abs() < 0.02,
            "{robot}: torso at {} m vs MuJoCo (elliptic cone) {} m",
            ours.final_z,
            elliptic.final_z
        );
    }
}

/// Mass ×1.5 and friction ×0.3 change the gait's x-y displacement in the same direction: the
/// change vectors (variant minus nominal) at less than 60° (cosine > 0.5). Against default
/// MuJoCo for the Ant's two effects and HalfCheetah's mass effect; against MuJoCo with drat's
/// contact model (elliptic cone, noslip: rigid Coulomb friction) for both friction effects.
/// HalfCheetah's friction effect against default MuJoCo disagrees (docs/robots.md).
///
/// A direction is only asserted where MuJoCo resolves it: its change must be longer than the
/// spread MuJoCo's own gait shows when the start is perturbed by 1e-4 (the reference's
/// `robustness`). The Ant's mass effect is not (0.128 m against a 0.177 m spread; and under
/// the elliptic noslip contact model MuJoCo moves it the other way, +0.392 m), so drat's
/// direction there is printed, not asserted (measured 2026-12-04: it flips with the summation
/// order of the mass matrix alone).
#[test]
fn mass_and_friction_change_the_displacement_the_same_way_as_in_mujoco() {
    let r = reference();
    let cases = [
        ("ant", Variant::MassX1_5, None),
        ("ant", Variant::FrictionX0_3, None),
        ("half_cheetah", Variant::MassX1_5, None),
        ("ant", Variant::FrictionX0_3, Some("elliptic_noslip")),
        (
            "half_cheetah",
            Variant::FrictionX0_3,
            Some("elliptic_noslip"),
        ),
    ];
    let mut asserted = 0;
    for (robot, v, model) in cases {
        let g = Gait::of(&r[robot]).unwrap();
        let reference = model.map_or(&r[robot], |m| &r[robot]["contact_models"][m]);
        let change = |a: fidelity::Summary, b: fidelity::Summary| [a.dx - b.dx, a.dy - b.dy];
        let theirs = change(
            fidelity::reference_summary(reference, v.key()),
            fidelity::reference_summary(reference, Variant::Nominal.key()),
        );
        let ours = change(
            fidelity::gait(robot, &g, v).unwrap(),
            fidelity::gait(robot, &g, Variant::Nominal).unwrap(),
        );
        let dot = theirs[0] * ours[0] + theirs[1] * ours[1];
        let cos = dot / (theirs[0].hypot(theirs[1]) * ours[0].hypot(ours[1]));
        let spread = &r[robot]["robustness"]["max_abs_deviation"];
        let chaos = f(&spread["dx"]).hypot(f(&spread["dy"]));
        let line = format!(
            "{robot} {v:?} ({model:?}): displacement changes by {ours:?} m in drat, {theirs:?} m in MuJoCo (cos {cos}; MuJoCo's own spread {chaos} m)"
        );
        if theirs[0].hypot(theirs[1]) <= chaos {
            println!("not resolved by MuJoCo, not asserted: {line}");
            continue;
        }
        asserted += 1;
        assert!(cos > 0.5, "{line}");
    }
    assert_eq!(
        asserted, 4,
        "every case but the Ant's mass effect is asserted"
    );
}

/// With friction taken out of both simulators (every geom 1e-3, 5 s of zero action) the rest
/// pose is gravity, joint springs, limits and normal contact alone: torso height within 3 mm
/// and every actuated joint within 5 mrad of MuJoCo's (measured: 0.1 mm and 0.1 mrad on
/// HalfCheetah's spring-loaded legs; 1.9 mrad on the Ant, whose ankles rest on their limits).
#[test]
fn frictionless_rest_pose_matches_mujoco_joint_by_joint() {
    let r = reference();
    for robot in ["ant", "half_cheetah"] {
        let rest = &r[robot]["zero_action_frictionless"];
        let (ours, q) =
            fidelity::frictionless_rest(robot, f(&rest["duration_s"]), f(&rest["friction"]))
                .unwrap();
        let z = f(&rest["final_z"]);
        assert!(
            (ours.final_z - z).abs() < 0.003,
            "{robot}: frictionless rest at {} m vs MuJoCo {z} m",
            ours.final_z
        );
        let theirs = rest["final_actuated_q"].as_array().unwrap();
        assert_eq!(q.len(), theirs.len(), "{robot}: actuated joints");
        for (k, (ours, theirs)) in q.iter().zip(theirs).enumerate() {
            assert!(
                (ours - f(theirs)).abs() < 0.005,
                "{robot}: actuator {k}'s joint at {ours} rad vs MuJoCo {} rad",
                f(theirs)
            );
        }
    }
}

/// HalfCheetah's travelling-wave gait: forward distance within 10 % of MuJoCo's (measured
/// 1.445 m vs 1.449 m), and a heavier body goes less far in both (0.70 m vs 0.99 m).
#[test]
fn half_cheetah_gait_distance_and_mass_effect_match_mujoco() {
    let r = reference();
    let g = Gait::of(&r["half_cheetah"]).unwrap();
    let ours = fidelity::gait("half_cheetah", &g, Variant::Nominal).unwrap();
    let theirs = fidelity::reference_summary(&r["half_cheetah"], Variant::Nominal.key());
    assert!(
        (ours.dx - theirs.dx).abs() < 0.1 * theirs.dx.abs(),
        "forward distance {} m vs MuJoCo {} m",
        ours.dx,
        theirs.dx
    );
    let heavy = fidelity::gait("half_cheetah", &g, Variant::MassX1_5).unwrap();
    let theirs_heavy = fidelity::reference_summary(&r["half_cheetah"], Variant::MassX1_5.key());
    assert!(
        (heavy.dx - ours.dx).signum() == (theirs_heavy.dx - theirs.dx).signum(),
        "mass x1.5: drat {} -> {} m, MuJoCo {} -> {} m",
        ours.dx,
        heavy.dx,
        theirs.dx,
        theirs_heavy.dx
    );
}

#[test]
fn mean_height_under_the_gait_matches_mujoco() {
    let r = reference();
    for robot in ["ant", "half_cheetah"] {
        let g = Gait::of(&r[robot]).unwrap();
        for v in [Variant::Nominal, Variant::MassX1_5, Variant::FrictionX0_3] {
            let ours = fidelity::gait(robot, &g, v).unwrap();
            let theirs = fidelity::reference_summary(&r[robot], v.key());
            assert!(
                (ours.mean_z - theirs.mean_z).abs() < 0.04,
                "{robot} {v:?}: mean torso height {} m vs MuJoCo {} m",
                ours.mean_z,
                theirs.mean_z
            );
        }
    }
}
