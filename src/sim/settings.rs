//! Time stepping, control and safety settings of a [`SimWorld`](super::SimWorld), and their
//! checks (errors name the config field, `env.*`).

use rapier3d::math::Real;

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

impl SimSettings {
    /// Checks every field; errors name the config field (`env.*`).
    pub fn validate(&self) -> Result<()> {
        validate_settings(self)
    }

    /// Control period in seconds.
    pub fn control_dt_s(&self) -> Real {
        self.dt_s * self.substeps as Real
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
