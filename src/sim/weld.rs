//! Welding fixed joints: [`merge_fixed`] folds every fixed joint's child link into its parent
//! (xacro output hangs IMU frames, feet and dummy links on them, and a welded body costs the
//! solver nothing), combining masses and inertias exactly.

use super::robot::{inertia_array, CollisionDesc, JointKind, RobotModel, VisualDesc};

/// Welds every fixed joint's child into its parent, deepest first (chains collapse): the
/// masses add, the centre of mass and the inertia about it combine (parallel axes), the
/// child's collision shapes and joints move to the parent with their frames composed, and the
/// child is recorded in the parent's `merged`. A fixed joint to a root named `world` is kept
/// (the world is not a body). Links and joints keep their relative order.
pub fn merge_fixed(model: RobotModel) -> RobotModel {
    let RobotModel {
        name,
        mut links,
        mut joints,
        mut notes,
        hints,
    } = model;
    let welded = joints.iter().filter(|j| j.kind == JointKind::Fixed).count();
    let mut gone = vec![false; links.len()];
    let world = links[0].name == "world";
    for j in (0..joints.len()).rev() {
        let jd = joints[j].clone();
        if jd.kind != JointKind::Fixed || (world && jd.parent == 0) {
            continue;
        }
        let (p, c, t) = (jd.parent, jd.child, jd.origin);
        let child = links[c].clone();
        let parent = &mut links[p];
        let mp = parent.mass_properties(1.0) + child.mass_properties(1.0).transform_by(&t);
        if child.mass_kg > 0.0 {
            parent.mass_kg = mp.mass();
            parent.com = mp.local_com;
            parent.inertia = Some(inertia_array(mp.reconstruct_inertia_matrix()));
        }
        parent
            .collisions
            .extend(child.collisions.into_iter().map(|col| CollisionDesc {
                origin: t * col.origin,
                ..col
            }));
        parent
            .visuals
            .extend(child.visuals.into_iter().map(|v| VisualDesc {
                origin: t * v.origin,
                ..v
            }));
        parent.merged.push((child.name, t));
        parent
            .merged
            .extend(child.merged.into_iter().map(|(n, f)| (n, t * f)));
        for other in joints.iter_mut().filter(|o| o.parent == c) {
            other.parent = p;
            other.origin = t * other.origin;
        }
        gone[c] = true;
        joints[j].child = usize::MAX; // marks the joint as merged
    }
    let mut new_index = vec![usize::MAX; links.len()];
    let mut kept = Vec::new();
    for (i, l) in links.into_iter().enumerate() {
        if !gone[i] {
            new_index[i] = kept.len();
            kept.push(l);
        }
    }
    joints.retain(|jd| jd.child != usize::MAX);
    for jd in &mut joints {
        jd.parent = new_index[jd.parent];
        jd.child = new_index[jd.child];
    }
    let kept_fixed = joints.iter().filter(|j| j.kind == JointKind::Fixed).count();
    if welded > kept_fixed {
        notes.push(format!(
            "{} fixed joint(s) welded into their parent links",
            welded - kept_fixed
        ));
    }
    RobotModel {
        name,
        links: kept,
        joints,
        notes,
        hints,
    }
}
