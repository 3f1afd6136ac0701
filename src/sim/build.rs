//! Building a robot into a fresh Rapier world: the ground, one body per link with its scaled
//! mass and friction, the multibody joints with their damping and armature, and the actuated
//! hinges. `SimWorld` calls [`build`] at construction and at every reset.

use rapier3d::math::{Pose, Real, Vector};
use rapier3d::prelude::*;

use super::dynamics::DynamicsParams;
use super::joints::JointFrame;
use super::robot::{JointKind, RobotModel};
use super::settings::{Control, SimSettings, Stepping};

/// Collision groups: the ground is in the first, robot links in the second; a link left out
/// of `ground_contact_links` filters the ground out.
const GROUND: Group = Group::GROUP_1;
const LINKS: Group = Group::GROUP_2;

/// Whether each link's colliders touch the ground (all, unless `names` lists some).
fn ground_touching(model: &RobotModel, names: &[String]) -> Vec<bool> {
    model
        .links
        .iter()
        .map(|l| names.is_empty() || names.contains(&l.name))
        .collect()
}

/// One actuated hinge.
#[derive(Clone, Debug)]
pub(super) struct Actuator {
    pub(super) parent: RigidBodyHandle,
    pub(super) child: RigidBodyHandle,
    /// Hinge axis in the child body's frame (constant for a hinge).
    pub(super) axis_in_child: Vector,
    pub(super) gear: Real,
    /// Joint spring stiffness (N·m/rad) and rest angle (rad).
    pub(super) stiffness: Real,
    pub(super) spring_ref: Real,
    /// Link id of the child in the multibody. Its DOF index (`assembly_id`) is read when
    /// needed: it shifts when Rapier finds a root fixed and drops the root's six DOFs.
    pub(super) link_id: usize,
}

/// What `build` makes: a world with the robot in it and the handles to drive it.
pub(super) struct Built {
    pub(super) world: PhysicsWorld,
    pub(super) link_bodies: Vec<RigidBodyHandle>,
    pub(super) actuators: Vec<Actuator>,
    pub(super) multibody: MultibodyIndex,
}

/// Builds the robot at its spawn pose, at rest, with masses and friction scaled from the
/// nominal description by `dynamics`.
pub(super) fn build(model: &RobotModel, s: &SimSettings, dynamics: &DynamicsParams) -> Built {
    let mut w = PhysicsWorld {
        gravity: Vector::new(0.0, 0.0, -9.81),
        ..Default::default()
    };
    let (dt, solver_substeps) = s.rapier_step();
    w.integration_parameters.dt = dt;
    w.integration_parameters.num_solver_iterations = solver_substeps;
    w.integration_parameters.max_ccd_substeps = 0;
    if s.stepping == Stepping::OneStep {
        // Contacts are found once per control step: look far enough ahead for a body that
        // approaches the ground at `prediction_speed_m_s` through the whole period.
        let ahead = s.prediction_speed_m_s * dt;
        let p = &mut w.integration_parameters;
        p.normalized_prediction_distance = p.normalized_prediction_distance.max(ahead);
    }

    insert_ground(&mut w, model.hints.floor_skin_m, dynamics.ground_friction);
    let poses = link_poses(model, s);
    let touch = ground_touching(model, &s.ground_contact_links);
    let link_bodies = insert_links(&mut w, model, &poses, dynamics, &touch);
    insert_joints(&mut w, model, &link_bodies);
    let multibody = set_joint_damping(&mut w, model, s, dynamics, &link_bodies);
    let actuators = actuators(&mut w, model, s, &link_bodies);
    if s.stepping == Stepping::OneStep {
        implicit_springs(&mut w, s, &actuators, multibody);
    }
    if model.hints.start_inside_limits {
        start_inside_limits(&mut w, model, &link_bodies, multibody);
    }
    Built {
        world: w,
        link_bodies,
        actuators,
        multibody,
    }
}

/// How a contact combines the floor's and a geom's friction: drat's product with a floor of 1
/// (the effective coefficient is exactly the task's), or, when the task sets the floor's own
/// friction (rand-params), MuJoCo's larger of the two.
fn combine_rule(ground_friction: Option<Real>) -> CoefficientCombineRule {
    match ground_friction {
        None => CoefficientCombineRule::Multiply,
        Some(_) => CoefficientCombineRule::Max,
    }
}

/// Ground: a halfspace with friction 1 (or the task's floor friction, see [`combine_rule`]).
fn insert_ground(w: &mut PhysicsWorld, skin_m: Real, ground_friction: Option<Real>) {
    let ground = w.bodies.insert(RigidBodyBuilder::fixed());
    w.colliders.insert_with_parent(
        ColliderBuilder::new(SharedShape::halfspace(Vector::Z))
            .collision_groups(InteractionGroups::new(
                GROUND,
                Group::ALL,
                InteractionTestMode::And,
            ))
            .contact_skin(skin_m)
            .friction(ground_friction.unwrap_or(1.0))
            .friction_combine_rule(combine_rule(ground_friction)),
        ground,
        &mut w.bodies,
    );
}

/// Link poses at q = 0, the free root at the spawn height.
fn link_poses(model: &RobotModel, s: &SimSettings) -> Vec<Pose> {
    let root = if model.root_is_world() {
        Pose::IDENTITY
    } else {
        Pose::from_translation(Vector::new(0.0, 0.0, s.spawn_height_m))
    };
    model
        .link_poses_at(&[])
        .into_iter()
        .map(|p| root * p)
        .collect()
}

/// One body per link (a fixed one for a `world` root) with its colliders and scaled mass, in
/// link order; returns the bodies' handles.
fn insert_links(
    w: &mut PhysicsWorld,
    model: &RobotModel,
    poses: &[Pose],
    dynamics: &DynamicsParams,
    touches_ground: &[bool],
) -> Vec<RigidBodyHandle> {
    let (mut body_idx, mut geom_idx) = (0, 0);
    let mut link_bodies = Vec::with_capacity(model.links.len());
    for (li, link) in model.links.iter().enumerate() {
        let handle = if li == 0 && model.root_is_world() {
            w.bodies.insert(RigidBodyBuilder::fixed().pose(poses[0]))
        } else {
            let scale = dynamics.mass_scale[body_idx];
            let mprops = match dynamics.inertia_scale.get(body_idx) {
                None => link.mass_properties(scale),
                Some(&inertia) => link.mass_properties_rescaled(scale, inertia),
            };
            body_idx += 1;
            let rb = RigidBodyBuilder::dynamic()
                .pose(poses[li])
                .additional_mass_properties(mprops)
                .can_sleep(false);
            let h = w.bodies.insert(rb);
            let filter = match touches_ground[li] {
                true => Group::ALL,
                false => Group::ALL ^ GROUND,
            };
            let groups = InteractionGroups::new(LINKS, filter, InteractionTestMode::And);
            for c in &link.collisions {
                let (shape, shape_pose) = c.shape.to_shape();
                let co = ColliderBuilder::new(shape)
                    .position(c.origin * shape_pose)
                    .density(0.0)
                    .collision_groups(groups)
                    .contact_skin(c.skin_m)
                    .friction(
                        dynamics.friction_coef
                            * c.friction_scale
                            * dynamics.geom_friction_of(geom_idx),
                    )
                    .friction_combine_rule(combine_rule(dynamics.ground_friction));
                geom_idx += 1;
                w.colliders.insert_with_parent(co, h, &mut w.bodies);
            }
            // Mass properties now, not at the first step, so they can be read after a reset.
            w.bodies[h].recompute_mass_properties_from_colliders(&w.colliders);
            h
        };
        link_bodies.push(handle);
    }
    link_bodies
}

/// One multibody joint per URDF joint, in joint order (frames: see `sim::joints`).
fn insert_joints(w: &mut PhysicsWorld, model: &RobotModel, link_bodies: &[RigidBodyHandle]) {
    for j in model.joints.iter() {
        let frame = JointFrame::new(j.kind, j.axis);
        let basis = Pose::from_rotation(frame.basis);
        let mut b = GenericJointBuilder::new(frame.locked)
            .local_frame1(j.origin * basis)
            .local_frame2(basis)
            .contacts_enabled(false);
        if let Some(lim) = j.limits {
            b = b.limits(frame.ang_axis(), lim);
        }
        w.multibody_joints
            .insert(link_bodies[j.parent], link_bodies[j.child], b.build(), true);
    }
}

/// Damping and armature per DOF; the free root gets none (Rapier's default 0.1 on the root's
/// angular DOFs would act like air drag on the torso). Returns the robot's multibody.
fn set_joint_damping(
    w: &mut PhysicsWorld,
    model: &RobotModel,
    s: &SimSettings,
    dynamics: &DynamicsParams,
    link_bodies: &[RigidBodyHandle],
) -> MultibodyIndex {
    let root_handle = link_bodies[if model.root_is_world() { 1 } else { 0 }];
    let root_id = *w
        .multibody_joints
        .rigid_body_link(root_handle)
        .expect("the root link is part of the multibody: every link is joined");
    let multibody = root_id.multibody;
    {
        let mb = w
            .multibody_joints
            .get_multibody_mut(root_id.multibody)
            .expect("multibody index was just read from the joint set");
        // Settle the root's type now (a fixed root drops its six DOFs at the first forward
        // kinematics), so the DOF indices read below and at reset are final.
        mb.forward_kinematics(&w.bodies, true);
        mb.set_self_contacts_enabled(false);
        mb.damping_mut().fill(0.0);
    }
    let hinges = model.joints.iter().filter(|j| j.kind.is_hinge());
    for (k, j) in hinges.enumerate() {
        {
            let (mb, dof, _) = dof_of(w, link_bodies[j.child]);
            mb.damping_mut()[dof] = j.damping * s.joint_damping_scale * dynamics.damping_of(k);
            mb.armature_mut()[dof] = j.armature * s.armature_scale;
            mb.frictions_mut()[dof] = j.frictionloss;
        }
    }
    multibody
}

/// One-step stepping's joint springs and damping on the actuated joints. Each gets one Rapier
/// joint spring: stiffness `kp + k` (the PD law's and the joint's own), rest at the
/// stiffness-weighted mean of the PD target (the pose at action 0 here; `SimWorld::step`
/// re-aims it) and the spring's rest angle; `kd` joins the joint damping. Rapier's spring is
/// backward Euler: `−k·(q − rest) − k·h·v⁺` at solver substep `h`, i.e. an explicit spring
/// plus `k·h` of implicit damping that neither the PD law nor MuJoCo's explicit joint
/// stiffness has. The joint's damping is lowered by `k·h` to cancel it (so the spring acts
/// explicitly at every substep, damping `d + kd` implicitly), floored at 0 where `k·h`
/// exceeds `d + kd`.
fn implicit_springs(
    w: &mut PhysicsWorld,
    s: &SimSettings,
    actuators: &[Actuator],
    multibody: MultibodyIndex,
) {
    let (kp, kd) = match s.control {
        Control::Position { kp, kd, .. } => (kp, kd),
        Control::Torque => (0.0, 0.0),
    };
    let h = s.dt_s / s.solver_iterations as Real;
    let mb = w
        .multibody_joints
        .get_multibody_mut(multibody)
        .expect("multibody index was just built");
    for (k, a) in actuators.iter().enumerate() {
        let dof = link_dof(mb, a.link_id);
        let d = &mut mb.damping_mut()[dof];
        *d = (*d + kd - (kp + a.stiffness) * h).max(0.0);
        set_implicit_spring(mb, a, kp, s.control.target_rad(k, 0.0));
    }
}

/// Sets actuator `a`'s Rapier joint spring: the PD law's `kp` towards `target` plus the
/// joint's own spring, as one spring (stiffness `kp + k`, rest their stiffness-weighted mean).
pub(super) fn set_implicit_spring(mb: &mut Multibody, a: &Actuator, kp: Real, target: Real) {
    let stiffness = kp + a.stiffness;
    if stiffness <= 0.0 {
        return;
    }
    let rest = (kp * target + a.stiffness * a.spring_ref) / stiffness;
    let joint = &mut mb
        .link_mut(a.link_id)
        .expect("link ids are set by build")
        .joint;
    let coord = super::joints::hinge_coord(joint.data.locked_axes);
    joint.set_spring(coord, stiffness, rest);
}

/// Moves every limited hinge whose 0 lies outside its limits to the nearest limit.
fn start_inside_limits(
    w: &mut PhysicsWorld,
    model: &RobotModel,
    link_bodies: &[RigidBodyHandle],
    multibody: MultibodyIndex,
) {
    let mut disp = Vec::new();
    for j in &model.joints {
        if let (JointKind::Revolute, Some([lo, hi])) = (j.kind, j.limits) {
            let (mb, dof, _) = dof_of(w, link_bodies[j.child]);
            disp.resize(mb.ndofs(), 0.0);
            disp[dof] = 0.0f32.clamp(lo, hi);
        }
    }
    if disp.iter().all(|d| *d == 0.0) {
        return;
    }
    let mb = w
        .multibody_joints
        .get_multibody_mut(multibody)
        .expect("multibody index was just built");
    // The root's pose lives on its rigid body until the multibody reads it: read it first,
    // or forward kinematics puts the root at the origin.
    mb.forward_kinematics(&w.bodies, true);
    mb.apply_displacements(&disp);
    mb.forward_kinematics(&w.bodies, false);
    mb.update_rigid_bodies(&mut w.bodies, false);
}

/// The actuated hinges in action order.
fn actuators(
    w: &mut PhysicsWorld,
    model: &RobotModel,
    s: &SimSettings,
    link_bodies: &[RigidBodyHandle],
) -> Vec<Actuator> {
    let mut actuators = Vec::new();
    for j in model
        .actuated_joints()
        .into_iter()
        .map(|j| &model.joints[j])
    {
        let child = link_bodies[j.child];
        let (_, _, link_id) = dof_of(w, child);
        actuators.push(Actuator {
            parent: link_bodies[j.parent],
            child,
            // The child frame is the joint frame at q = 0 and turns about the axis.
            axis_in_child: j.axis,
            gear: j.effort * s.gear_scale,
            stiffness: j.stiffness,
            spring_ref: j.spring_ref_rad,
            link_id,
        });
    }
    actuators
}

/// Index of a link's first DOF in its multibody's generalized coordinates.
pub(super) fn link_dof(mb: &Multibody, link_id: usize) -> usize {
    mb.link(link_id)
        .expect("link ids are set by build")
        .assembly_id()
}

/// The multibody of a link's body, the index of the link's (first) DOF and its link id.
fn dof_of(w: &mut PhysicsWorld, body: RigidBodyHandle) -> (&mut Multibody, usize, usize) {
    let id = *w
        .multibody_joints
        .rigid_body_link(body)
        .expect("every joined link is a multibody link");
    let mb = w
        .multibody_joints
        .get_multibody_mut(id.multibody)
        .expect("multibody index was just read from the joint set");
    let dof = mb
        .link(id.id)
        .expect("link id comes from the joint set")
        .assembly_id();
    (mb, dof, id.id)
}
