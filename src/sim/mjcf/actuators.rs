//! Actuators and the notes on what is read but not simulated (see [`super`]).

use std::collections::HashMap;

use mjcf_rs::extras::ActuatorKind;
use mjcf_rs::Model;
use rapier3d::math::Real;

use super::conv::{body_name, Conv};
use crate::error::{Error, Result};
use crate::sim::robot::{JointDesc, JointKind};

impl Conv<'_> {
    /// Each actuator drives its joint, in file order (the action layout); returns the count.
    pub(super) fn actuators(
        &mut self,
        joints: &mut [JointDesc],
        link_of: &HashMap<usize, usize>,
        subtree: &[usize],
    ) -> Result<usize> {
        let mut n = 0;
        for (k, a) in self.m.actuators.iter().enumerate() {
            let label = format!(
                "<{}{}>",
                format!("{:?}", a.kind).to_lowercase(),
                a.name
                    .as_ref()
                    .map(|n| format!(" name=\"{n}\""))
                    .unwrap_or_default()
            );
            let jname = a.joint.as_deref().ok_or_else(|| {
                self.err(format!(
                    "actuator {label}: only joint actuators are supported (no `joint`)"
                ))
            })?;
            let (body, _) = self
                .m
                .joint_by_name(jname)
                .ok_or_else(|| self.err(format!("actuator {label}: unknown joint `{jname}`")))?;
            let jd = Some(())
                .filter(|_| subtree.contains(&body) && link_of.contains_key(&body))
                .and_then(|_| joints.iter_mut().find(|j| j.name == jname))
                .filter(|j| matches!(j.kind, JointKind::Revolute | JointKind::Continuous))
                .ok_or_else(|| {
                    self.err(format!(
                        "actuator {label}: joint `{jname}` is not a hinge of the robot"
                    ))
                })?;
            jd.effort = actuator_effort(a, &label).map_err(|m| Error::asset(self.file, m))?;
            jd.file_index = k;
            n += 1;
        }
        // Joints without an actuator come after the actuated ones.
        for (i, j) in joints.iter_mut().enumerate() {
            if j.effort <= 0.0 {
                j.file_index = n + i;
            }
        }
        let passive = joints
            .iter()
            .filter(|j| {
                j.effort <= 0.0 && matches!(j.kind, JointKind::Revolute | JointKind::Continuous)
            })
            .count();
        if passive > 0 {
            self.notes.push(format!(
                "{passive} hinge(s) without an actuator are simulated but not observed"
            ));
        }
        Ok(n)
    }

    /// A note counting the geom pairs MuJoCo would collide within the robot.
    pub(super) fn self_collision_note(&mut self, subtree: &[usize]) {
        let m = self.m;
        let excluded = |a: &str, b: &str| {
            m.contact
                .excludes
                .iter()
                .any(|e| (e.body1 == a && e.body2 == b) || (e.body1 == b && e.body2 == a))
        };
        let mut pairs = 0;
        for (i, &a) in subtree.iter().enumerate() {
            for &b in &subtree[i + 1..] {
                let related = m.bodies[b].parent == Some(a) || m.bodies[a].parent == Some(b);
                if related || excluded(&body_name(m, a), &body_name(m, b)) {
                    continue;
                }
                for ga in &m.bodies[a].body.geoms {
                    for gb in &m.bodies[b].body.geoms {
                        if (ga.contype & gb.conaffinity) != 0 || (gb.contype & ga.conaffinity) != 0
                        {
                            pairs += 1;
                        }
                    }
                }
            }
        }
        if pairs > 0 {
            self.notes.push(format!(
                "{pairs} geom pair(s) MuJoCo would test for self-collision are not simulated (drat's robots do not collide with themselves)"
            ));
        }
    }

    /// One note per kind of element that is read but not simulated.
    pub(super) fn ignored_notes(&mut self) {
        let m = self.m;
        self.notes
            .push("stepped with Rapier's solver, not the file's <option integrator>".into());
        let g = m.option.gravity;
        if (g[0].abs() + g[1].abs() + (g[2] + 9.81).abs()) > 1e-6 {
            self.notes.push(format!(
                "<option gravity> {g:?} ignored: drat's gravity is (0, 0, -9.81)"
            ));
        }
        for (n, what) in [
            (m.sensors.len(), "<sensor> element(s)"),
            (m.keyframes.len(), "<keyframe><key> element(s)"),
            (m.contact.pairs.len(), "<contact><pair> element(s)"),
            (m.equality.len(), "<equality> constraint(s)"),
            (m.tendons.len(), "<tendon> element(s)"),
        ] {
            if n > 0 {
                self.notes.push(format!("{n} {what} ignored"));
            }
        }
    }
}

/// The torque of a unit action: `gear × ctrlmax` for a motor (symmetric `ctrlrange`), the
/// force limit (or `gear × kp`) for a position servo.
fn actuator_effort(
    a: &mjcf_rs::extras::Actuator,
    label: &str,
) -> std::result::Result<Real, String> {
    let gear = a.gear[0];
    // A `<general>` actuator with a fixed gain and no bias or dynamics is a motor of that gain.
    let plain = |t: &Option<String>, default: &str| t.as_deref().is_none_or(|t| t == default);
    let motor_gain = match a.kind {
        ActuatorKind::Motor => Some(1.0),
        ActuatorKind::General
            if plain(&a.gain_type, "fixed")
                && plain(&a.bias_type, "none")
                && plain(&a.dyn_type, "none") =>
        {
            Some(a.gainprm.first().copied().unwrap_or(1.0))
        }
        _ => None,
    };
    let effort = match a.kind {
        _ if motor_gain.is_some() => {
            let ctrl = match a.ctrl_range {
                Some([lo, hi]) if (lo + hi).abs() <= 1e-9 * hi.abs().max(1.0) => hi,
                Some(r) => {
                    return Err(format!(
                        "actuator {label}: ctrlrange {r:?} must be symmetric (drat's action is in [-1, 1])"
                    ))
                }
                None => 1.0,
            };
            gear * ctrl * motor_gain.unwrap_or(1.0)
        }
        ActuatorKind::Position => match a.force_range {
            Some([_, hi]) => hi,
            None => gear * a.kp.unwrap_or(1.0) * std::f64::consts::PI,
        },
        other => {
            return Err(format!(
                "actuator {label}: {other:?} actuators are not supported (motor, position, and general with a fixed gain and no bias are)"
            ))
        }
    };
    if !(effort.is_finite() && effort > 0.0 && effort < 1e6) {
        return Err(format!(
            "actuator {label}: its torque limit (gear × ctrlrange, or forcerange) must be in (0, 1e6), got {effort}"
        ));
    }
    Ok(effort as Real)
}

/// `[kp, kv]` when every actuator is a `<position>` servo with the same gains.
pub(super) fn position_servo(m: &Model) -> Option<[Real; 2]> {
    let gains: Vec<[Real; 2]> = m
        .actuators
        .iter()
        .filter(|a| a.kind == ActuatorKind::Position)
        .map(|a| [a.kp.unwrap_or(1.0) as Real, a.kv.unwrap_or(0.0) as Real])
        .collect();
    (gains.len() == m.actuators.len() && !gains.is_empty()).then(|| gains[0])
}
