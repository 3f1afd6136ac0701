//! Time stepping, control and safety settings of a [`SimWorld`](super::SimWorld), and their
//! checks (errors name the config field, `env.*`).

use rapier3d::math::Real;
use serde::{Deserialize, Serialize};

use super::robot::RobotModel;
use crate::error::{Error, Result};

/// Time stepping and safety settings of a world.
#[derive(Clone, Debug, PartialEq)]
pub struct SimSettings {
    /// Physics step in seconds.
    pub dt_s: Real,
    /// Physics steps per control step (control period = `substeps × dt_s`).
    pub substeps: usize,
    /// Rapier solver iterations per physics step.
    pub solver_iterations: usize,
    /// Height of the free root link at reset (ignored for robots rooted at `world`).
    pub spawn_height_m: Real,
    /// Any body faster than this (m/s) counts as a physics blow-up.
    pub max_linvel_m_s: Real,
    /// Any body spinning faster than this (rad/s) counts as a physics blow-up.
    pub max_angvel_rad_s: Real,
    /// Multiplies the URDF joint damping.
    pub joint_damping_scale: Real,
    /// Multiplies the URDF joint armature.
    pub armature_scale: Real,
    /// Multiplies every actuator's torque limit (its gear; rlkit's low-gear ant: 0.2).
    pub gear_scale: Real,
    /// How actions become joint torques.
    pub control: Control,
    /// How a control step advances the physics.
    pub stepping: Stepping,
    /// Links whose colliders touch the ground, by name (empty: every link's). The others
    /// still collide with nothing else (self-contacts are off), so they pass through it.
    pub ground_contact_links: Vec<String>,
    /// One-step stepping finds contacts once per control period, for bodies approaching the
    /// ground at up to this speed (m/s) through it (Rapier's prediction distance).
    pub prediction_speed_m_s: Real,
}

/// How a control step advances the physics (config `env.stepping`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stepping {
    /// `substeps` Rapier steps of `dt_s`, each with `solver_iterations` solver substeps; the
    /// control (torques, or position control's PD law) recomputed before each; contacts
    /// found at each.
    #[default]
    Substeps,
    /// One Rapier step of the whole control period with `substeps × solver_iterations` solver
    /// substeps of `dt_s / solver_iterations` each: contacts are found once per control step
    /// (with a prediction distance covering the period's travel); torques are held for the
    /// period along the hinge axes at its start; position control's PD law and the joints'
    /// springs are Rapier's implicit joint springs and damping, applied at every substep.
    OneStep,
}

impl Stepping {
    /// The config spelling.
    pub fn name(self) -> &'static str {
        match self {
            Stepping::Substeps => "substeps",
            Stepping::OneStep => "one-step",
        }
    }

    /// Whether this is the default (left out of written configs, so older ones hash the same).
    pub fn is_default(&self) -> bool {
        *self == Stepping::default()
    }
}

/// How actions become joint torques (config `env.control`, `env.pd`).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Control {
    /// `τ = a × effort`.
    #[default]
    Torque,
    /// `τ = clip(kp·(pose + scale·a − q) − kd·q̇, ±effort)`, recomputed every physics step.
    Position {
        /// Stiffness (N·m/rad).
        kp: Real,
        /// Damping (N·m·s/rad).
        kd: Real,
        /// Target offset per unit action (rad).
        scale: Real,
        /// Target at action 0 per actuated joint (empty: zeros).
        pose: Vec<Real>,
    },
}

impl Control {
    /// Position control's joint target for actuator `k` at `action` (rad): the default pose
    /// plus `scale × action`; 0 under torque control.
    pub fn target_rad(&self, k: usize, action: Real) -> Real {
        match self {
            Control::Torque => 0.0,
            Control::Position { scale, pose, .. } => {
                pose.get(k).copied().unwrap_or(0.0) + scale * action
            }
        }
    }

    /// Position control's stiffness `kp` (0 under torque control).
    pub fn kp(&self) -> Real {
        match self {
            Control::Torque => 0.0,
            Control::Position { kp, .. } => *kp,
        }
    }
}

impl SimSettings {
    /// Checks every field; errors name the config field (`env.*`).
    pub fn validate(&self) -> Result<()> {
        validate_settings(self)
    }

    /// Control period in seconds.
    pub fn control_dt_s(&self) -> Real {
        self.dt_s * self.substeps as Real
    }

    /// The `dt` of one Rapier step and its solver substeps (`num_solver_iterations`).
    pub fn rapier_step(&self) -> (Real, usize) {
        match self.stepping {
            Stepping::Substeps => (self.dt_s, self.solver_iterations),
            Stepping::OneStep => (self.control_dt_s(), self.substeps * self.solver_iterations),
        }
    }
}

/// The PD gains and default pose of position control (for `n_actuators` actuated joints).
pub(super) fn validate_control(c: &Control, n_actuators: usize) -> Result<()> {
    let Control::Position {
        kp,
        kd,
        scale,
        pose,
    } = c
    else {
        return Ok(());
    };
    for (field, v) in [
        ("env.pd.kp", *kp),
        ("env.pd.kd", *kd),
        ("env.pd.action_scale_rad", *scale),
    ] {
        if !(v.is_finite() && (0.0..=1e4).contains(&v)) {
            return Err(Error::config(
                field,
                format!("must be in [0, 10000], got {v}"),
            ));
        }
    }
    if !pose.is_empty() && pose.len() != n_actuators {
        return Err(Error::config(
            "env.pd.default_pose_rad",
            format!(
                "has {} angles, the robot has {n_actuators} actuated joints (or leave it empty)",
                pose.len()
            ),
        ));
    }
    if let Some(v) = pose.iter().find(|v| !v.is_finite()) {
        return Err(Error::config(
            "env.pd.default_pose_rad",
            format!("{v} is not finite"),
        ));
    }
    Ok(())
}

/// Every name in `env.ground_contact_links` is a link of `model`.
pub(super) fn validate_ground_links(names: &[String], model: &RobotModel) -> Result<()> {
    for n in names {
        if !model.links.iter().any(|l| &l.name == n) {
            let known: Vec<&str> = model.links.iter().map(|l| l.name.as_str()).collect();
            return Err(Error::config(
                "env.ground_contact_links",
                format!(
                    "{n:?} is not a link of the robot; its links: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Every field of `s` but the control (see [`validate_control`]).
pub(super) fn validate_settings(s: &SimSettings) -> Result<()> {
    if !(s.dt_s.is_finite() && s.dt_s > 0.0 && s.dt_s <= 0.1) {
        return Err(Error::config(
            "env.dt_s",
            format!("must be in (0, 0.1], got {}", s.dt_s),
        ));
    }
    if s.substeps == 0 || s.substeps > 100 {
        return Err(Error::config(
            "env.substeps",
            format!("must be in 1..=100, got {}", s.substeps),
        ));
    }
    if !(s.prediction_speed_m_s.is_finite()
        && s.prediction_speed_m_s >= 0.0
        && s.prediction_speed_m_s <= 100.0)
    {
        return Err(Error::config(
            "env.prediction_speed_m_s",
            format!("must be in [0, 100], got {}", s.prediction_speed_m_s),
        ));
    }
    if s.solver_iterations == 0 || s.solver_iterations > 100 {
        return Err(Error::config(
            "env.solver_iterations",
            format!("must be in 1..=100, got {}", s.solver_iterations),
        ));
    }
    if !(s.spawn_height_m.is_finite() && s.spawn_height_m >= 0.0 && s.spawn_height_m < 100.0) {
        return Err(Error::config(
            "env.spawn_height_m",
            format!("must be in [0, 100), got {}", s.spawn_height_m),
        ));
    }
    for (field, v) in [
        ("env.joint_damping_scale", s.joint_damping_scale),
        ("env.armature_scale", s.armature_scale),
    ] {
        if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
            return Err(Error::config(
                field,
                format!("must be in [0, 100], got {v}"),
            ));
        }
    }
    if !(s.gear_scale.is_finite() && s.gear_scale > 0.0 && s.gear_scale <= 100.0) {
        return Err(Error::config(
            "env.gear_scale",
            format!("must be in (0, 100], got {}", s.gear_scale),
        ));
    }
    if !(s.max_linvel_m_s > 0.0 && s.max_angvel_rad_s > 0.0) {
        return Err(Error::config(
            "env.max_linvel_m_s / env.max_angvel_rad_s",
            "blow-up thresholds must be > 0",
        ));
    }
    Ok(())
}
