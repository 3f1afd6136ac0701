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

use super::build::{build, link_dof, set_implicit_spring, Actuator};
use super::dynamics::DynamicsParams;
use super::joints::hinge_coord;
use super::profile::PhysicsProfile;
use super::robot::RobotModel;
use super::settings::{validate_control, validate_ground_links, validate_settings};
pub use super::settings::{Control, SimSettings, Stepping};
use crate::error::Result;

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
    pub(super) world: PhysicsWorld,
    /// Rigid body of each link (index = link index in the model).
    pub(super) link_bodies: Vec<RigidBodyHandle>,
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
    /// Time spent stepping and rebuilding, from Rapier's counters.
    profile: PhysicsProfile,
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
        validate_ground_links(&settings.ground_contact_links, &model)?;
        dynamics.validate_shape(&model.dynamics_shape())?;
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
            profile: PhysicsProfile::default(),
        })
    }

    /// Rebuilds the world from the nominal robot with new dynamics: the state returns to the
    /// spawn pose at rest, and masses/friction are scaled from the *nominal* values.
    pub fn reset(&mut self, dynamics: &DynamicsParams) -> Result<()> {
        dynamics.validate_shape(&self.model.dynamics_shape())?;
        self.dynamics = dynamics.clone();
        let t0 = std::time::Instant::now();
        let built = build(&self.model, &self.settings, dynamics);
        self.profile.rebuild_s += t0.elapsed().as_secs_f64();
        self.world = built.world;
        self.link_bodies = built.link_bodies;
        self.actuators = built.actuators;
        self.multibody = built.multibody;
        self.time_s = 0.0;
        Ok(())
    }

    /// Number of bodies that carry mass (links without the fixed `world`).
    pub fn n_bodies(&self) -> usize {
        self.model.n_bodies()
    }

    /// Each actuated joint's torque per unit action (N·m; the file's gear × `gear_scale`),
    /// in action order.
    pub fn torque_limits(&self) -> Vec<Real> {
        self.actuators.iter().map(|a| a.gear).collect()
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

    /// Where stepping time went since the world was made (Rapier's counters).
    pub fn profile(&self) -> PhysicsProfile {
        self.profile
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
            Control::Position { kp, kd, .. } => {
                s.tau
                    .extend(self.actuators.iter().enumerate().map(|(k, a)| {
                        let target = control.target_rad(k, actions[k]);
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

    /// Advances one control step: `substeps` Rapier steps with the control re-applied before
    /// each (the torques re-aimed along the current hinge axes), or one Rapier step of the
    /// whole period with the PD law and springs inside the solver (`Stepping::OneStep`).
    pub fn step(&mut self, actions: &[Real]) {
        // Held aside for the step so the per-physics-step code can borrow the world mutably.
        let control = std::mem::take(&mut self.settings.control);
        match self.settings.stepping {
            Stepping::Substeps => {
                for _ in 0..self.settings.substeps {
                    // Hinge axes turn with the bodies: re-aiming each physics step keeps the
                    // torque on its joint only.
                    self.apply_control(actions, &control);
                    self.world.step();
                    self.profile.add_step(&self.world.physics_pipeline.counters);
                }
            }
            Stepping::OneStep => {
                self.apply_control_implicit(actions, &control);
                self.world.step();
                self.profile.add_step(&self.world.physics_pipeline.counters);
            }
        }
        self.settings.control = control;
        self.time_s += self.settings.control_dt_s() as f64;
    }

    /// One-step control: torques (`a × gear`) held for the period; position control's
    /// `kp·(target − q)` and the joint's own spring as one implicit Rapier joint spring per
    /// actuated joint (see `build::implicit_springs`, which sets it up), re-aimed here at the
    /// action's target. The PD torque is not clipped to the effort (Rapier's springs are
    /// linear).
    fn apply_control_implicit(&mut self, actions: &[Real], control: &Control) {
        let mut s = std::mem::take(&mut self.scratch);
        s.tau.clear();
        match control {
            Control::Torque => {
                s.tau
                    .extend(self.actuators.iter().zip(actions).map(|(a, &u)| u * a.gear));
            }
            Control::Position { .. } => {
                s.tau.resize(self.actuators.len(), 0.0);
                let mb = self
                    .world
                    .multibody_joints
                    .get_multibody_mut(self.multibody)
                    .expect("multibody index is set by rebuild");
                for (k, a) in self.actuators.iter().enumerate() {
                    let target = control.target_rad(k, actions[k]);
                    set_implicit_spring(mb, a, control.kp(), target);
                }
            }
        }
        self.set_torques(&s.tau);
        self.scratch = s;
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
        let (g, dt) = (self.world.gravity, self.settings.rapier_step().0);
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
