//! `SimWorld`: one robot on a flat ground in a Rapier world. Applies joint torques, steps the
//! physics, reads the state and guards against blow-ups. Knows nothing about rewards or tasks.
//!
//! Physics choices (measured, see docs/physics.md): the robot is one reduced-coordinate multibody (exact
//! joints, no drift), the ground is a halfspace (thin boxes tunnel), CCD is off, joint damping
//! and armature are handled implicitly by Rapier's multibody solver, and torques are applied as
//! equal and opposite body torques about each hinge axis (a generalized force on that joint
//! only). Applied forces are reset before every control step.

use std::sync::Arc;

use rapier3d::math::{Pose, Real, Rotation, Vector};
use rapier3d::prelude::*;

use super::dynamics::DynamicsParams;
use super::joints::{hinge_coord, JointFrame};
use super::robot::{JointKind, RobotModel};
use super::settings::{validate_control, validate_settings};
pub use super::settings::{Control, SimSettings};
use crate::error::Result;

/// One actuated hinge.
#[derive(Clone, Debug)]
struct Actuator {
    parent: RigidBodyHandle,
    child: RigidBodyHandle,
    /// Hinge axis in the child body's frame (constant for a hinge).
    axis_in_child: Vector,
    gear: Real,
    /// Joint spring stiffness (N·m/rad) and rest angle (rad).
    stiffness: Real,
    spring_ref: Real,
    /// Link id of the child in the multibody. Its DOF index (`assembly_id`) is read when
    /// needed: it shifts when Rapier finds a root fixed and drops the root's six DOFs.
    link_id: usize,
}

/// Root (torso) state in the world frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RootState {
    /// Position of the root link frame (m).
    pub position: Vector,
    /// Orientation of the root link.
    pub rotation: Rotation,
    /// Linear velocity (m/s).
    pub linvel: Vector,
    /// Angular velocity (rad/s).
    pub angvel: Vector,
}

/// A robot in a Rapier world.
pub struct SimWorld {
    model: Arc<RobotModel>,
    settings: SimSettings,
    world: PhysicsWorld,
    /// Rigid body of each link (index = link index in the model).
    link_bodies: Vec<RigidBodyHandle>,
    /// The link the robot is observed by (the free root, or the child of `world`).
    root_link: usize,
    actuators: Vec<Actuator>,
    /// Whether any actuated joint has a spring (then joint angles are read every step).
    has_springs: bool,
    multibody: MultibodyIndex,
    dynamics: DynamicsParams,
    time_s: f64,
    /// Per-physics-step buffers (torques, joint angles and velocities).
    scratch: Scratch,
}

/// Buffers reused every physics step.
#[derive(Clone, Debug, Default)]
struct Scratch {
    tau: Vec<Real>,
    q: Vec<Real>,
    qd: Vec<Real>,
}

impl SimWorld {
    /// Builds the robot in a fresh world with the given dynamics.
    pub fn new(
        model: Arc<RobotModel>,
        settings: SimSettings,
        dynamics: &DynamicsParams,
    ) -> Result<Self> {
        validate_settings(&settings)?;
        validate_control(&settings.control, model.actuated_joints().len())?;
        let n = body_count(&model);
        dynamics.validate(n)?;
        let built = build(&model, &settings, dynamics);
        Ok(SimWorld {
            root_link: if model.root_is_world() { 1 } else { 0 },
            model,
            settings,
            world: built.world,
            link_bodies: built.link_bodies,
            has_springs: built.actuators.iter().any(|a| a.stiffness != 0.0),
            actuators: built.actuators,
            multibody: built.multibody,
            dynamics: dynamics.clone(),
            time_s: 0.0,
            scratch: Scratch::default(),
        })
    }

    /// Rebuilds the world from the nominal robot with new dynamics: the state returns to the
    /// spawn pose at rest, and masses/friction are scaled from the *nominal* values.
    pub fn reset(&mut self, dynamics: &DynamicsParams) -> Result<()> {
        dynamics.validate(self.n_bodies())?;
        self.dynamics = dynamics.clone();
        let built = build(&self.model, &self.settings, dynamics);
        self.world = built.world;
        self.link_bodies = built.link_bodies;
        self.actuators = built.actuators;
        self.multibody = built.multibody;
        self.time_s = 0.0;
        Ok(())
    }

    /// Number of bodies that carry mass (links without the fixed `world`).
    pub fn n_bodies(&self) -> usize {
        body_count(&self.model)
    }

    /// Number of actuated joints (the action dimension).
    pub fn n_actuators(&self) -> usize {
        self.actuators.len()
    }

    /// The robot description.
    pub fn model(&self) -> &Arc<RobotModel> {
        &self.model
    }

    /// The settings the world was built with.
    pub fn settings(&self) -> &SimSettings {
        &self.settings
    }

    /// The dynamics currently applied.
    pub fn dynamics(&self) -> &DynamicsParams {
        &self.dynamics
    }

    /// Simulated time since the last reset, in seconds.
    pub fn time_s(&self) -> f64 {
        self.time_s
    }

    /// Sets the joint velocities of the actuated joints (used for reset noise).
    pub fn set_joint_velocities(&mut self, qd: &[Real]) {
        let mb = self
            .world
            .multibody_joints
            .get_multibody_mut(self.multibody)
            .expect("multibody index is set by rebuild");
        let dofs: Vec<usize> = self
            .actuators
            .iter()
            .map(|a| link_dof(mb, a.link_id))
            .collect();
        let mut v = mb.generalized_velocity_mut();
        for (dof, &x) in dofs.into_iter().zip(qd) {
            v[dof] = x;
        }
    }

    /// Gymnasium's reset noise: every generalized coordinate is displaced by U(−w, w) (a free
    /// root's rotation by U(−2w, 2w) per axis, as adding U(−w, w) to each quaternion
    /// component does to first order) and every generalized velocity gets `vel_std·N(0, 1)`.
    pub fn perturb_state(&mut self, pos_half_width: Real, vel_std: Real, rng: &mut impl rand::Rng) {
        let floating = !self.model.root_is_world();
        let w = &mut self.world;
        let mb = w
            .multibody_joints
            .get_multibody_mut(self.multibody)
            .expect("multibody index is set by rebuild");
        // Read the root's pose from its rigid body first (see `start_inside_limits`).
        mb.forward_kinematics(&w.bodies, true);
        let n = mb.ndofs();
        let disp: Vec<Real> = (0..n)
            .map(|d| {
                let half = if floating && (3..6).contains(&d) {
                    2.0 * pos_half_width
                } else {
                    pos_half_width
                };
                if half > 0.0 {
                    rng.random_range(-half..=half)
                } else {
                    0.0
                }
            })
            .collect();
        mb.apply_displacements(&disp);
        if vel_std > 0.0 {
            let mut v = mb.generalized_velocity_mut();
            for d in 0..n {
                let z: Real = rng.sample(rand_distr::StandardNormal);
                v[d] += vel_std * z;
            }
        }
        mb.forward_kinematics(&w.bodies, false);
        mb.update_rigid_bodies(&mut w.bodies, false);
    }

    /// Applies `actions` under `control` at the current joint state, plus the joints' springs
    /// (MJCF `stiffness`: `−k·(q − springref)`, never clipped). Torque control is
    /// `τ = a × gear`; position control is `τ = clip(kp·(pose + scale·a − q) − kd·q̇, ±gear)`.
    /// Runs every physics step, so it reuses its buffers. `actions` must already be finite
    /// and clipped (the env checks that).
    fn apply_control(&mut self, actions: &[Real], control: &Control) {
        let mut s = std::mem::take(&mut self.scratch);
        let springs = self.has_springs;
        if springs || matches!(control, Control::Position { .. }) {
            self.joint_angles(&mut s.q);
            self.joint_velocities(&mut s.qd);
        }
        s.tau.clear();
        match control {
            Control::Torque => {
                s.tau
                    .extend(self.actuators.iter().zip(actions).map(|(a, &u)| u * a.gear));
            }
            Control::Position {
                kp,
                kd,
                scale,
                pose,
            } => {
                s.tau
                    .extend(self.actuators.iter().enumerate().map(|(k, a)| {
                        let target = pose.get(k).copied().unwrap_or(0.0) + scale * actions[k];
                        (kp * (target - s.q[k]) - kd * s.qd[k]).clamp(-a.gear, a.gear)
                    }));
            }
        }
        if springs {
            for (k, a) in self.actuators.iter().enumerate() {
                s.tau[k] -= a.stiffness * (s.q[k] - a.spring_ref);
            }
        }
        self.set_torques(&s.tau);
        self.scratch = s;
    }

    /// Applies `torques[k]` N·m on actuated joint `k` (and the reaction on its parent).
    fn set_torques(&mut self, torques: &[Real]) {
        let bodies = &mut self.world.bodies;
        for h in &self.link_bodies {
            if let Some(rb) = bodies.get_mut(*h) {
                rb.reset_forces(false);
                rb.reset_torques(false);
            }
        }
        for (a, &tau) in self.actuators.iter().zip(torques) {
            let axis = bodies[a.child].rotation() * a.axis_in_child;
            let torque = axis * tau;
            bodies[a.child].add_torque(torque, false);
            if let Some(p) = bodies.get_mut(a.parent) {
                if p.is_dynamic() {
                    p.add_torque(-torque, false);
                }
            }
        }
    }

    /// Advances one control step (`substeps` physics steps). The torques are re-aimed along
    /// the current hinge axes before every physics step.
    pub fn step(&mut self, actions: &[Real]) {
        // Held aside for the step so the per-physics-step code can borrow the world mutably.
        let control = std::mem::take(&mut self.settings.control);
        for _ in 0..self.settings.substeps {
            // Hinge axes turn with the bodies: re-aiming each physics step keeps the torque
            // on its joint only.
            self.apply_control(actions, &control);
            self.world.step();
        }
        self.settings.control = control;
        self.time_s += self.settings.control_dt_s() as f64;
    }

    /// State of the observed root link.
    pub fn root_state(&self) -> RootState {
        let rb = &self.world.bodies[self.link_bodies[self.root_link]];
        RootState {
            position: rb.translation(),
            rotation: *rb.rotation(),
            linvel: rb.linvel(),
            angvel: rb.angvel(),
        }
    }

    /// Angles (rad) of the actuated joints, in action order.
    pub fn joint_angles(&self, out: &mut Vec<Real>) {
        let mb = &self.world.multibody_joints.get_multibody(self.multibody);
        let mb = mb.expect("multibody index is set by rebuild");
        out.clear();
        for a in &self.actuators {
            let link = mb.link(a.link_id).expect("link ids are set by rebuild");
            let joint = link.joint();
            out.push(joint.coords()[hinge_coord(joint.data.locked_axes)]);
        }
    }

    /// Angular velocities (rad/s) of the actuated joints, in action order.
    pub fn joint_velocities(&self, out: &mut Vec<Real>) {
        let mb = self
            .world
            .multibody_joints
            .get_multibody(self.multibody)
            .expect("multibody index is set by rebuild");
        let v = mb.generalized_velocity();
        out.clear();
        out.extend(self.actuators.iter().map(|a| v[link_dof(mb, a.link_id)]));
    }

    /// World pose of every link (for replays), in model link order.
    pub fn link_poses(&self) -> Vec<Pose> {
        self.link_bodies
            .iter()
            .map(|h| *self.world.bodies[*h].position())
            .collect()
    }

    /// Total mass of the robot as simulated (kg), after mass scaling.
    pub fn total_mass_kg(&self) -> Real {
        self.link_bodies
            .iter()
            .map(|h| &self.world.bodies[*h])
            .filter(|rb| rb.is_dynamic())
            .map(|rb| rb.mass())
            .sum()
    }

    /// Effective friction coefficient of link `link`'s first collider against the ground.
    pub fn collider_friction(&self, link: usize) -> Option<Real> {
        let rb = &self.world.bodies[self.link_bodies[link]];
        rb.colliders()
            .first()
            .map(|c| self.world.colliders[*c].friction())
    }

    /// Mass (kg) and principal inertia of link `link` as simulated.
    pub fn link_mass_inertia(&self, link: usize) -> (Real, Vector) {
        let rb = &self.world.bodies[self.link_bodies[link]];
        let mp = rb.mass_properties().local_mprops;
        (mp.mass(), mp.principal_inertia())
    }

    /// True when every body's pose and velocity is finite and below the blow-up thresholds.
    pub fn is_sane(&self) -> bool {
        let s = &self.settings;
        self.link_bodies.iter().all(|h| {
            let rb = &self.world.bodies[*h];
            let p = rb.translation();
            let v = rb.linvel();
            let w = rb.angvel();
            p.is_finite()
                && v.is_finite()
                && w.is_finite()
                && rb.rotation().is_finite()
                && p.abs().max_element() < 1e4
                && v.length() < s.max_linvel_m_s
                && w.length() < s.max_angvel_rad_s
        })
    }

    /// Kinetic plus gravitational potential energy of the robot (J; potential from z = 0,
    /// synchronised to the kinetic energy's half step as Rapier computes it).
    pub fn mechanical_energy_j(&self) -> Real {
        let (g, dt) = (self.world.gravity, self.settings.dt_s);
        self.link_bodies
            .iter()
            .map(|h| &self.world.bodies[*h])
            .filter(|rb| rb.is_dynamic())
            .map(|rb| rb.kinetic_energy() + rb.gravitational_potential_energy(dt, g))
            .sum()
    }

    /// The deepest penetration among the current contacts (m, 0 when nothing overlaps).
    pub fn max_penetration_m(&self) -> Real {
        self.world
            .narrow_phase
            .contact_pairs()
            .flat_map(|pair| pair.manifolds().iter())
            .flat_map(|m| m.points.iter())
            .map(|p| -p.dist)
            .fold(0.0, Real::max)
    }

    /// How far the furthest actuated joint is beyond its URDF limits (rad, 0 when all are
    /// within).
    pub fn joint_limit_violation_rad(&self) -> Real {
        let mut q = Vec::new();
        self.joint_angles(&mut q);
        q.iter()
            .zip(self.model.actuated_joints())
            .filter_map(|(&q, j)| {
                let [lo, hi] = self.model.joints[j].limits?;
                Some((lo - q).max(q - hi).max(0.0))
            })
            .fold(0.0, Real::max)
    }

    /// Pushes the root link with an impulse (N·s) at its centre of mass (tests and ablations).
    pub fn apply_root_impulse(&mut self, impulse: Vector) {
        let h = self.link_bodies[self.root_link];
        self.world.bodies[h].apply_impulse(impulse, true);
    }

    /// Overwrites the root link's linear velocity (tests: sliding experiments).
    pub fn set_root_linvel(&mut self, v: Vector) {
        let mb = self
            .world
            .multibody_joints
            .get_multibody_mut(self.multibody)
            .expect("multibody index is set by rebuild");
        if !self.model.root_is_world() {
            let mut gv = mb.generalized_velocity_mut();
            gv[0] = v.x;
            gv[1] = v.y;
            gv[2] = v.z;
        }
    }
}

/// What `build` makes: a world with the robot in it and the handles to drive it.
struct Built {
    world: PhysicsWorld,
    link_bodies: Vec<RigidBodyHandle>,
    actuators: Vec<Actuator>,
    multibody: MultibodyIndex,
}

/// Builds the robot at its spawn pose, at rest, with masses and friction scaled from the
/// nominal description by `dynamics`.
fn build(model: &RobotModel, s: &SimSettings, dynamics: &DynamicsParams) -> Built {
    let mut w = PhysicsWorld {
        gravity: Vector::new(0.0, 0.0, -9.81),
        ..Default::default()
    };
    w.integration_parameters.dt = s.dt_s;
    w.integration_parameters.num_solver_iterations = s.solver_iterations;
    w.integration_parameters.max_ccd_substeps = 0;

    insert_ground(&mut w, model.hints.floor_skin_m);
    let poses = link_poses(model, s);
    let link_bodies = insert_links(&mut w, model, &poses, dynamics);
    insert_joints(&mut w, model, &link_bodies);
    let multibody = set_joint_damping(&mut w, model, s, &link_bodies);
    let actuators = actuators(&mut w, model, &link_bodies);
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

/// Ground: a halfspace with friction 1, combined by product with the robot's coefficient, so
/// the effective coefficient is exactly the task's `friction_coef`.
fn insert_ground(w: &mut PhysicsWorld, skin_m: Real) {
    let ground = w.bodies.insert(RigidBodyBuilder::fixed());
    w.colliders.insert_with_parent(
        ColliderBuilder::new(SharedShape::halfspace(Vector::Z))
            .contact_skin(skin_m)
            .friction(1.0)
            .friction_combine_rule(CoefficientCombineRule::Multiply),
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
) -> Vec<RigidBodyHandle> {
    let mut body_idx = 0;
    let mut link_bodies = Vec::with_capacity(model.links.len());
    for (li, link) in model.links.iter().enumerate() {
        let handle = if li == 0 && model.root_is_world() {
            w.bodies.insert(RigidBodyBuilder::fixed().pose(poses[0]))
        } else {
            let scale = dynamics.mass_scale[body_idx];
            body_idx += 1;
            let mprops = link.mass_properties(scale);
            let rb = RigidBodyBuilder::dynamic()
                .pose(poses[li])
                .additional_mass_properties(mprops)
                .can_sleep(false);
            let h = w.bodies.insert(rb);
            for c in &link.collisions {
                let (shape, shape_pose) = c.shape.to_shape();
                let co = ColliderBuilder::new(shape)
                    .position(c.origin * shape_pose)
                    .density(0.0)
                    .contact_skin(c.skin_m)
                    .friction(dynamics.friction_coef * c.friction_scale)
                    .friction_combine_rule(CoefficientCombineRule::Multiply);
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
    for j in &model.joints {
        if matches!(j.kind, JointKind::Revolute | JointKind::Continuous) {
            let (mb, dof, _) = dof_of(w, link_bodies[j.child]);
            mb.damping_mut()[dof] = j.damping * s.joint_damping_scale;
            mb.armature_mut()[dof] = j.armature * s.armature_scale;
            mb.frictions_mut()[dof] = j.frictionloss;
        }
    }
    multibody
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
            gear: j.effort,
            stiffness: j.stiffness,
            spring_ref: j.spring_ref_rad,
            link_id,
        });
    }
    actuators
}

/// Index of a link's first DOF in its multibody's generalized coordinates.
fn link_dof(mb: &Multibody, link_id: usize) -> usize {
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

fn body_count(model: &RobotModel) -> usize {
    model.links.len() - usize::from(model.root_is_world())
}
