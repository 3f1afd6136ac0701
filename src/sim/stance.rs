//! A standing pose from a legged robot's geometry alone, for robot files loaded by path (their
//! position controller holds it; `config::load`'s URDF defaults).
//!
//! The rule, stated so a user can predict it:
//! - A **leg** is the chain of actuated hinges from the root link to a leaf link (a link no
//!   joint hangs from) that has collision shapes, with at least two hinges on it. Its **foot**
//!   is the centre of that leaf's collision shape farthest from the leaf's frame origin (the
//!   A1's, Aliengo's, Laikago's foot sphere at the end of the calf); its **hip** is the first
//!   hinge's origin. Fewer than two legs, or a root fixed to the world: no pose (the caller
//!   keeps each joint at the angle nearest 0).
//! - At q = 0 (URDF's zero pose: legs straight down on the common quadruped files) the foot is
//!   at distance R from the hip. The standing foot position is the q = 0 foot position moved
//!   up so the hip-to-foot drop is [`CROUCH`]·R: the same x-y, knees bent.
//! - Each leg's angles solve that foot position by damped least squares, inside the joint
//!   limits less [`LIMIT_MARGIN_RAD`], starting from the angle nearest 0 nudged a tenth of the
//!   way to the range's middle (so a knee that may only bend one way bends that way), with a
//!   small pull towards that start (hip roll stays near 0); a joint without limits starts at
//!   [`UNBOUNDED_START_RAD`]. A leg whose foot ends more than
//!   [`MAX_MISS_FRACTION`]·R from its target gives no pose.
//!
//! legged_gym's A1 pose (thigh 0.8–1.0, calf −1.5 rad) drops the foot 0.29 m of the 0.41 m
//! reach (0.71); this rule's 0.75 gives thigh ≈ 0.7, calf ≈ −1.4 rad on the same file.

use rapier3d::math::{Real, Vector};

use super::robot::{JointKind, RobotModel};

/// Hip-to-foot drop of the standing pose as a fraction of the leg's reach at q = 0.
pub const CROUCH: Real = 0.75;
/// How far inside each joint limit the pose stays (rad).
pub const LIMIT_MARGIN_RAD: Real = 0.05;
/// Start angle of a leg joint without limits (a straight leg is where the solve cannot move
/// from; this picks the bend direction of an unlimited knee: the way its axis turns positive).
pub const UNBOUNDED_START_RAD: Real = 0.1;
/// Largest foot miss, as a fraction of the reach, for the pose to be used.
pub const MAX_MISS_FRACTION: Real = 0.05;

/// One leg: the joints on its chain (indices into `model.joints`, root first), the leaf link
/// and the foot point in the leaf's frame.
#[derive(Clone, Debug)]
struct Leg {
    joints: Vec<usize>,
    leaf: usize,
    foot_local: Vector,
}

/// The standing pose, one angle per actuated joint in action order (`actuated_joints`), or
/// `None` when the rule above does not apply or does not reach its targets.
pub fn standing_pose(model: &RobotModel) -> Option<Vec<Real>> {
    if model.root_is_world() {
        return None;
    }
    let legs = legs(model);
    if legs.len() < 2 {
        return None;
    }
    let zero = vec![0.0; model.joints.len()];
    let mut q = zero.clone();
    for &j in legs.iter().flat_map(|l| &l.joints) {
        q[j] = start_angle(model, j);
    }
    let poses = model.link_poses_at(&zero);
    for leg in &legs {
        let hip = (poses[model.joints[leg.joints[0]].parent] * model.joints[leg.joints[0]].origin)
            .translation;
        let foot0 = poses[leg.leaf] * leg.foot_local;
        let reach = (foot0 - hip).length();
        if !(reach > 1e-3 && reach.is_finite()) {
            return None;
        }
        let target = Vector::new(foot0.x, foot0.y, hip.z - CROUCH * reach);
        let miss = solve_leg(model, leg, &mut q, target);
        if miss.is_nan() || miss > MAX_MISS_FRACTION * reach {
            return None;
        }
    }
    Some(model.actuated_joints().iter().map(|&j| q[j]).collect())
}

/// The legs of `model` (see the module doc).
fn legs(model: &RobotModel) -> Vec<Leg> {
    let n = model.links.len();
    let mut parent_joint = vec![None; n];
    let mut has_child = vec![false; n];
    for (ji, j) in model.joints.iter().enumerate() {
        parent_joint[j.child] = Some(ji);
        has_child[j.parent] = true;
    }
    let mut out = Vec::new();
    for (leaf, link) in model.links.iter().enumerate().skip(1) {
        if has_child[leaf] || link.collisions.is_empty() {
            continue;
        }
        let mut chain = Vec::new();
        let mut at = leaf;
        while let Some(ji) = parent_joint[at] {
            if model.joints[ji].is_actuated() && model.joints[ji].kind != JointKind::Planar {
                chain.push(ji);
            }
            at = model.joints[ji].parent;
        }
        if at != 0 || chain.len() < 2 {
            continue;
        }
        chain.reverse();
        let foot_local = link
            .collisions
            .iter()
            .map(|c| c.origin.translation)
            .max_by(|a, b| a.length().total_cmp(&b.length()))
            .unwrap_or(Vector::ZERO);
        out.push(Leg {
            joints: chain,
            leaf,
            foot_local,
        });
    }
    out
}

/// Joint `j`'s allowed interval: its limits less the margin (the middle when the range is
/// narrower than twice the margin), unbounded without limits.
fn bounds(model: &RobotModel, j: usize) -> [Real; 2] {
    match model.joints[j].limits {
        Some([lo, hi]) if hi - lo > 2.0 * LIMIT_MARGIN_RAD => {
            [lo + LIMIT_MARGIN_RAD, hi - LIMIT_MARGIN_RAD]
        }
        Some([lo, hi]) => [0.5 * (lo + hi); 2],
        None => [-Real::INFINITY, Real::INFINITY],
    }
}

/// The angle nearest 0 inside the bounds, a tenth of the way to the range's middle; a joint
/// without limits starts at [`UNBOUNDED_START_RAD`].
fn start_angle(model: &RobotModel, j: usize) -> Real {
    let [lo, hi] = bounds(model, j);
    let q = 0.0f32.clamp(lo, hi);
    if lo.is_finite() && hi.is_finite() {
        q + 0.1 * (0.5 * (lo + hi) - q)
    } else {
        UNBOUNDED_START_RAD.clamp(lo, hi)
    }
}

/// Moves `leg`'s angles in `q` towards putting its foot at `target` (damped least squares,
/// numerical Jacobian, projected onto the bounds); returns the final distance to `target`.
fn solve_leg(model: &RobotModel, leg: &Leg, q: &mut [Real], target: Vector) -> Real {
    let start: Vec<Real> = leg.joints.iter().map(|&j| q[j]).collect();
    let foot = |q: &[Real]| model.link_poses_at(q)[leg.leaf] * leg.foot_local;
    let (lambda, pull, h) = (1e-4, 1e-5, 1e-4);
    for _ in 0..200 {
        let f = foot(q);
        let err = target - f;
        if err.length() < 1e-5 {
            break;
        }
        let n = leg.joints.len();
        let mut jac = vec![Vector::ZERO; n];
        for (k, &j) in leg.joints.iter().enumerate() {
            let keep = q[j];
            q[j] = keep + h;
            jac[k] = (foot(q) - f) / h;
            q[j] = keep;
        }
        // (JᵀJ + (λ + pull) I) Δ = Jᵀ err − pull (q − start), n ≤ a handful.
        let mut a = vec![vec![0.0; n]; n];
        let mut b = vec![0.0; n];
        for r in 0..n {
            for c in 0..n {
                a[r][c] = jac[r].dot(jac[c]);
            }
            a[r][r] += lambda + pull;
            b[r] = jac[r].dot(err) - pull * (q[leg.joints[r]] - start[r]);
        }
        let Some(step) = solve(a, b) else { break };
        for (k, &j) in leg.joints.iter().enumerate() {
            let [lo, hi] = bounds(model, j);
            q[j] = (q[j] + step[k].clamp(-0.2, 0.2)).clamp(lo, hi);
        }
    }
    (target - foot(q)).length()
}

/// Gaussian elimination with partial pivoting; `None` when singular.
fn solve(mut a: Vec<Vec<Real>>, mut b: Vec<Real>) -> Option<Vec<Real>> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (k, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + k] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: Real = (r + 1..n).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a1() -> RobotModel {
        RobotModel::from_urdf_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/robots/a1/a1.urdf"
        )))
        .unwrap()
    }

    /// The A1: four legs of three hinges; the pose bends every knee backwards (its calves may
    /// only bend that way), keeps hip roll near 0, puts each foot under where it was at q = 0
    /// and drops it to 0.75 of the reach; near legged_gym's hand-set pose.
    #[test]
    fn a1_pose_puts_feet_under_the_hips_with_knees_bent() {
        let m = a1();
        assert_eq!(legs(&m).len(), 4);
        let pose = standing_pose(&m).expect("the A1 gets a pose");
        assert_eq!(pose.len(), 12);
        let legged_gym = [
            -0.1, 0.8, -1.5, 0.1, 0.8, -1.5, -0.1, 1.0, -1.5, 0.1, 1.0, -1.5,
        ];
        for leg in 0..4 {
            let (hip, thigh, calf) = (pose[3 * leg], pose[3 * leg + 1], pose[3 * leg + 2]);
            assert!(hip.abs() < 0.05, "leg {leg}: hip roll {hip}");
            assert!(
                (thigh - legged_gym[3 * leg + 1]).abs() < 0.35,
                "leg {leg}: thigh {thigh}"
            );
            assert!(
                (calf - legged_gym[3 * leg + 2]).abs() < 0.2,
                "leg {leg}: calf {calf}"
            );
        }
        let mut q = vec![0.0; m.joints.len()];
        for (k, &j) in m.actuated_joints().iter().enumerate() {
            q[j] = pose[k];
        }
        let zero = vec![0.0; m.joints.len()];
        for leg in legs(&m) {
            let (now, before) = (
                m.link_poses_at(&q)[leg.leaf] * leg.foot_local,
                m.link_poses_at(&zero)[leg.leaf] * leg.foot_local,
            );
            assert!((now.x - before.x).abs() < 0.01 && (now.y - before.y).abs() < 0.01);
            assert!(
                now.z > before.z + 0.05,
                "the foot is raised: {now} vs {before}"
            );
        }
    }

    /// A robot with no legs in the rule's sense (one hinge per chain) gets no pose.
    #[test]
    fn a_robot_without_legs_of_two_hinges_gets_none() {
        let mut m = a1();
        for j in &mut m.joints {
            if j.name.contains("lower") || j.name.contains("upper") {
                j.effort = 0.0;
            }
        }
        assert!(standing_pose(&m).is_none());
    }

    #[test]
    fn link_poses_turn_about_the_axis() {
        let m = a1();
        let mut q = vec![0.0; m.joints.len()];
        let calf = m
            .joints
            .iter()
            .position(|j| j.name.contains("lower"))
            .unwrap();
        q[calf] = std::f32::consts::FRAC_PI_2;
        let (a, b) = (m.link_poses_at(&[]), m.link_poses_at(&q));
        let child = m.joints[calf].child;
        assert!((a[child].translation - b[child].translation).length() < 1e-6);
        let angle = a[child].rotation.angle_between(b[child].rotation);
        assert!(
            (angle - std::f32::consts::FRAC_PI_2).abs() < 1e-4,
            "{angle}"
        );
    }
}
