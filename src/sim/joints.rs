//! Rapier joint frames for the model's joints.
//!
//! A hinge or planar joint needs a frame whose free axis is the model's axis. The obvious frame,
//! `GenericJoint::complete_ang_frame(axis)` with the free axis on local x, rotates by 90° for a
//! y or z axis, and its rounding (≈ 2·10⁻⁷ in the link Jacobians) breaks friction on robots that
//! cannot move along some ground direction — a planar HalfCheetah, a fixed-base arm. Rapier's
//! multibody contact rows then have a tangent row (the locked direction) whose effective mass
//! `1 / (J M⁻¹ Jᵀ)` is ≈ 10¹² instead of 0 (`utils::inv` treats only |x| ≤ 10⁻²⁰ as zero); its impulse takes the whole
//! friction cone (`cap_magnitude` on the two tangent impulses) and the direction the robot can
//! slide gets none. Measured: a box on a planar joint, pushed at 1 m/s with μ = 0.5, still slid
//! at 0.91 m/s after 1 s with the rotated frame and stopped with the exact one
//! (`cargo run --release --example planar_friction`).
//!
//! So axis-aligned axes (HalfCheetah's planar root and hinges, the Ant's hips, most URDF hinges)
//! get an exact frame: the identity, or a half turn for a negative axis, with the free axis the
//! matching local one. Other axes keep the rotated frame; only a robot that is both fixed-base
//! (or planar) and has such axes can meet the defect.

use rapier3d::math::{Real, Rotation, Vector};
use rapier3d::prelude::{JointAxesMask, JointAxis};

use super::robot::JointKind;

/// A joint's frame in Rapier: the rotation from the joint frame to the model's frame, the local
/// axis (0 = x, 1 = y, 2 = z) that is the model's axis, and the locked axes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JointFrame {
    pub basis: Rotation,
    pub axis: usize,
    pub locked: JointAxesMask,
}

impl JointFrame {
    /// The frame of a joint of `kind` about (or, planar, normal to) the unit `axis`.
    pub fn new(kind: JointKind, axis: Vector) -> Self {
        let (basis, k) = exact_basis(axis)
            .unwrap_or_else(|| (rapier3d::prelude::GenericJoint::complete_ang_frame(axis), 0));
        let ang = ang_bit(k);
        let lin = JointAxesMask::from_bits_truncate(1 << k);
        let locked = match kind {
            JointKind::Revolute | JointKind::Continuous => JointAxesMask::LOCKED_FIXED_AXES - ang,
            JointKind::Fixed => JointAxesMask::LOCKED_FIXED_AXES,
            // Translation in the plane normal to the axis and rotation about it.
            JointKind::Planar => (JointAxesMask::ANG_AXES - ang) | lin,
        };
        Self {
            basis,
            axis: k,
            locked,
        }
    }

    /// The Rapier axis that carries the hinge angle (for limits).
    pub fn ang_axis(&self) -> JointAxis {
        [JointAxis::AngX, JointAxis::AngY, JointAxis::AngZ][self.axis]
    }
}

/// The index of a joint's free angle in its 6-long coordinate vector (`coords()`).
pub fn hinge_coord(locked: JointAxesMask) -> usize {
    let free_ang = !locked.bits() & JointAxesMask::ANG_AXES.bits();
    free_ang.trailing_zeros() as usize
}

fn ang_bit(k: usize) -> JointAxesMask {
    JointAxesMask::from_bits_truncate(JointAxesMask::ANG_X.bits() << k)
}

/// An exact frame for an axis along ±x, ±y or ±z (to 1e-6): identity for a positive axis, a half
/// turn about another axis for a negative one (unit-quaternion components 0 and 1, so the
/// rotation matrix is exact).
fn exact_basis(axis: Vector) -> Option<(Rotation, usize)> {
    let a = axis.to_array();
    let k = (0..3).max_by(|&i, &j| a[i].abs().total_cmp(&a[j].abs()))?;
    let off: Real = (0..3).filter(|&i| i != k).map(|i| a[i].abs()).sum();
    if off > 1e-6 || (a[k].abs() - 1.0).abs() > 1e-6 {
        return None;
    }
    if a[k] > 0.0 {
        return Some((Rotation::IDENTITY, k));
    }
    // Half turn about x flips y and z; about z flips x (and y).
    let half = if k == 0 {
        Rotation::from_xyzw(0.0, 0.0, 1.0, 0.0)
    } else {
        Rotation::from_xyzw(1.0, 0.0, 0.0, 0.0)
    };
    Some((half, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_aligned_hinges_get_exact_frames_with_the_right_free_axis() {
        for (axis, k) in [
            (Vector::X, 0),
            (Vector::Y, 1),
            (Vector::Z, 2),
            (-Vector::X, 0),
            (-Vector::Y, 1),
            (-Vector::Z, 2),
        ] {
            let f = JointFrame::new(JointKind::Revolute, axis);
            assert_eq!(f.axis, k, "{axis:?}");
            // The frame maps its free local axis exactly onto the model's axis.
            let mut e = [0.0; 3];
            e[k] = 1.0;
            let mapped = f.basis * Vector::from_array(e);
            assert_eq!(mapped, axis, "{axis:?}");
            assert_eq!(hinge_coord(f.locked), 3 + k);
            assert_eq!(f.locked.bits().count_ones(), 5);
        }
    }

    #[test]
    fn a_planar_joint_frees_the_plane_and_the_rotation_about_its_normal() {
        let f = JointFrame::new(JointKind::Planar, Vector::Y);
        assert_eq!(
            f.locked,
            JointAxesMask::LIN_Y | JointAxesMask::ANG_X | JointAxesMask::ANG_Z
        );
        assert_eq!(f.basis, Rotation::IDENTITY);
    }

    #[test]
    fn an_oblique_axis_falls_back_to_a_rotated_frame_on_local_x() {
        let axis = Vector::new(-1.0, 1.0, 0.0).normalize();
        let f = JointFrame::new(JointKind::Revolute, axis);
        assert_eq!(f.axis, 0);
        assert!((f.basis * Vector::X - axis).length() < 1e-6);
        assert_eq!(f.locked, JointAxesMask::LOCKED_REVOLUTE_AXES);
    }
}
