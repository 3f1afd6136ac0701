//! A plain-Rapier reproduction (no drat code) of the Rapier 0.36.1 defect `src/sim/joints.rs`
//! works around: on a multibody that cannot move along some ground direction, a joint frame
//! built with `GenericJoint::complete_ang_frame` (a 90° turn for a y axis) leaves ≈ 2e-7 of
//! rounding in the link Jacobian; the contact's tangent row for the locked direction then gets
//! an effective mass of ≈ 1e12 instead of 0, its impulse takes the whole friction cone and the
//! box slides on. A 0.2 m box resting on the ground, joined to a fixed base, is pushed to 1 m/s
//! along x with friction 0.5 (it should stop within 0.2 s):
//! - planar joint in the rotated frame (x, z free + rotation about y): still ~0.94 m/s after 1 s;
//! - prismatic x → prismatic z → revolute y chain (builders' rotated frames): still ~0.86 m/s;
//! - the same planar joint in the identity frame (lock y, rotations about x and z): stops;
//! - a joint with y translation locked and all rotations free: stops.
//!
//!   cargo run --release --example planar_friction

use rapier3d::math::{Pose, Vector};
use rapier3d::prelude::*;

/// Gravity, a 0.01 s step, a halfspace ground (μ 0.5) and a fixed base body.
fn ground_and_base() -> (PhysicsWorld, RigidBodyHandle) {
    let mut w = PhysicsWorld {
        gravity: Vector::new(0.0, 0.0, -9.81),
        ..Default::default()
    };
    w.integration_parameters.dt = 0.01;
    let g = w.bodies.insert(RigidBodyBuilder::fixed());
    w.colliders.insert_with_parent(
        ColliderBuilder::new(SharedShape::halfspace(Vector::Z)).friction(0.5),
        g,
        &mut w.bodies,
    );
    let base = w.bodies.insert(RigidBodyBuilder::fixed());
    (w, base)
}

/// The 0.2 m, 8 kg box resting on the ground.
fn sliding_box(w: &mut PhysicsWorld) -> RigidBodyHandle {
    let b = w.bodies.insert(
        RigidBodyBuilder::dynamic()
            .translation(Vector::new(0.0, 0.0, 0.1))
            .can_sleep(false),
    );
    w.colliders.insert_with_parent(
        ColliderBuilder::cuboid(0.1, 0.1, 0.1)
            .density(1000.0)
            .friction(0.5),
        b,
        &mut w.bodies,
    );
    b
}

fn run(locked: JointAxesMask, normal: Vector) -> (f32, f32) {
    let (mut w, base) = ground_and_base();
    let b = sliding_box(&mut w);
    let basis = Pose::from_rotation(GenericJoint::complete_ang_frame(normal));
    let j = GenericJointBuilder::new(locked)
        .local_frame1(Pose::from_translation(Vector::new(0.0, 0.0, 0.1)) * basis)
        .local_frame2(basis)
        .contacts_enabled(false)
        .build();
    w.multibody_joints.insert(base, b, j, true).unwrap();
    for _ in 0..20 {
        w.step();
    }
    {
        let id = *w.multibody_joints.rigid_body_link(b).unwrap();
        let mb = w.multibody_joints.get_multibody_mut(id.multibody).unwrap();
        println!("ndofs {}", mb.ndofs());
        let mut v = mb.generalized_velocity_mut();
        v[0] = 1.0;
        v[1] = 1.0;
    }
    let x0 = w.bodies[b].translation();
    for _ in 0..100 {
        w.step();
    }
    let x1 = w.bodies[b].translation();
    println!("v {:?}", w.bodies[b].linvel());
    (x1.x - x0.x, x1.z)
}

fn planar() {
    println!(
        "planar: {:?}",
        run(
            JointAxesMask::LIN_X | JointAxesMask::ANG_Y | JointAxesMask::ANG_Z,
            Vector::Y
        )
    );
    println!(
        "planar, identity frame: {:?}",
        run(
            JointAxesMask::LIN_Y | JointAxesMask::ANG_X | JointAxesMask::ANG_Z,
            Vector::X
        )
    );
    println!(
        "free-ish (lock only lin y via x-normal frame): {:?}",
        run(JointAxesMask::LIN_X, Vector::Y)
    );
}

fn chain() {
    let (mut w, base) = ground_and_base();
    let light = |w: &mut PhysicsWorld| {
        w.bodies.insert(
            RigidBodyBuilder::dynamic()
                .translation(Vector::new(0.0, 0.0, 0.1))
                .additional_mass_properties(MassProperties::new(
                    Vector::ZERO,
                    1e-3,
                    Vector::splat(1e-6),
                ))
                .can_sleep(false),
        )
    };
    let l1 = light(&mut w);
    let l2 = light(&mut w);
    let b = sliding_box(&mut w);
    let at = Pose::from_translation(Vector::new(0.0, 0.0, 0.1));
    w.multibody_joints
        .insert(
            base,
            l1,
            PrismaticJointBuilder::new(Vector::X)
                .local_anchor1(at.translation)
                .contacts_enabled(false)
                .build(),
            true,
        )
        .unwrap();
    w.multibody_joints
        .insert(
            l1,
            l2,
            PrismaticJointBuilder::new(Vector::Z)
                .contacts_enabled(false)
                .build(),
            true,
        )
        .unwrap();
    w.multibody_joints
        .insert(
            l2,
            b,
            RevoluteJointBuilder::new(Vector::Y)
                .contacts_enabled(false)
                .build(),
            true,
        )
        .unwrap();
    for _ in 0..20 {
        w.step();
    }
    {
        let id = *w.multibody_joints.rigid_body_link(b).unwrap();
        let mb = w.multibody_joints.get_multibody_mut(id.multibody).unwrap();
        println!("ndofs {}", mb.ndofs());
        let mut v = mb.generalized_velocity_mut();
        v[0] = 1.0;
    }
    let x0 = w.bodies[b].translation();
    for _ in 0..100 {
        w.step();
    }
    println!(
        "chain: dx {} z {} v {:?}",
        w.bodies[b].translation().x - x0.x,
        w.bodies[b].translation().z,
        w.bodies[b].linvel()
    );
}

fn main() {
    planar();
    chain();
}
