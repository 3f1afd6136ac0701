//! Contact forces on the robot's bodies after the last physics step: the observation HFR's
//! ant-goal appends (`cfrc_ext`, clipped) and its contact cost, and which bodies touch the
//! ground (the gait measures' feet in contact).
//!
//! Read from Rapier's solved impulses: per contact point the normal impulse along the
//! manifold normal plus the friction impulse (Rapier's world-space `warmstart_tangent_world`),
//! divided by the physics step, applied at the solver's lever arm about the body's centre of
//! mass. MuJoCo's `cfrc_ext` is the same wrench expressed at the subtree's centre of mass in
//! the world orientation; drat gives it about each body's own centre of mass (the two differ
//! by a moment arm; clipped to ±1 as HFR clips them, they agree whenever a body touches with
//! more than 1 N).

use rapier3d::math::{Real, Vector};
use rapier3d::prelude::RigidBodyHandle;

use super::world::SimWorld;

/// Values per body in [`SimWorld::contact_wrenches`]: torque (3), then force (3).
pub const WRENCH_DIM: usize = 6;

/// Whether body `b` touched anything in the step `wrenches` ([`SimWorld::contact_wrenches`])
/// was read after: only contact points that pushed (a positive normal impulse) add to a
/// wrench, so a body touched exactly when its force is not zero.
pub fn in_contact(wrenches: &[Real], b: usize) -> bool {
    wrenches[b * WRENCH_DIM + 3..(b + 1) * WRENCH_DIM]
        .iter()
        .any(|f| *f != 0.0)
}

impl SimWorld {
    /// External contact wrench on every body (links without a fixed `world`, model order),
    /// `[τx, τy, τz, fx, fy, fz]` per body in the world frame (N·m, N), from the last physics
    /// step. Replaces `out`'s contents.
    pub fn contact_wrenches(&self, out: &mut Vec<Real>) {
        let bodies = self.mass_bodies();
        out.clear();
        out.resize(bodies.len() * WRENCH_DIM, 0.0);
        let inv_dt = 1.0 / self.settings().dt_s;
        self.for_each_contact(|h, lever, impulse| {
            if let Some(b) = bodies.iter().position(|x| *x == h) {
                let f = impulse * inv_dt;
                let tau = lever.cross(f);
                let w = &mut out[b * WRENCH_DIM..(b + 1) * WRENCH_DIM];
                for k in 0..3 {
                    w[k] += tau[k];
                    w[3 + k] += f[k];
                }
            }
        });
    }

    /// The rigid bodies that carry mass, in model link order.
    fn mass_bodies(&self) -> &[RigidBodyHandle] {
        &self.link_bodies[self.model().body_links()]
    }

    /// Calls `f(body, lever arm from its centre of mass, impulse on it)` for both bodies of
    /// every solved contact point with a non-zero normal impulse.
    fn for_each_contact(&self, mut f: impl FnMut(RigidBodyHandle, Vector, Vector)) {
        for pair in self.world.narrow_phase.contact_pairs() {
            for m in pair.solver_manifolds() {
                let n = m.data.normal;
                for p in &m.points {
                    let d = &p.data;
                    if d.impulse <= 0.0 {
                        continue;
                    }
                    // The solver pushes body 1 along −n and body 2 along +n.
                    let on2 = n * d.impulse + d.warmstart_tangent_world;
                    if let Some(h) = m.data.rigid_body1 {
                        f(h, d.solver_dp1, -on2);
                    }
                    if let Some(h) = m.data.rigid_body2 {
                        f(h, d.solver_dp2, on2);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::sim::{load_robot, DynamicsParams, Robot, SimSettings};

    fn ant_at_rest(steps: usize) -> SimWorld {
        let model = Arc::new(load_robot(&Robot::Ant).unwrap());
        let settings = SimSettings {
            dt_s: 0.01,
            substeps: 5,
            solver_iterations: 1,
            spawn_height_m: 0.75,
            max_linvel_m_s: 50.0,
            max_angvel_rad_s: 200.0,
            joint_damping_scale: 1.0,
            armature_scale: 1.0,
            gear_scale: 1.0,
            control: crate::sim::Control::Torque,
            stepping: Default::default(),
            ground_contact_links: Vec::new(),
            prediction_speed_m_s: 6.0,
        };
        let n = model.dynamics_shape().bodies;
        let mut w = SimWorld::new(model, settings, &DynamicsParams::nominal(n, 1.0)).unwrap();
        let zero = vec![0.0; w.n_actuators()];
        for _ in 0..steps {
            w.step(&zero);
        }
        w
    }

    /// At rest the ground carries the robot: the contact forces sum to its weight, point up,
    /// and the bodies that carry them are feet (leaves of the tree), not the torso.
    #[test]
    fn contact_forces_at_rest_carry_the_weight() {
        let w = ant_at_rest(60);
        let mut wr = Vec::new();
        w.contact_wrenches(&mut wr);
        assert_eq!(wr.len(), w.n_bodies() * WRENCH_DIM);
        let fz: f32 = wr.chunks(WRENCH_DIM).map(|c| c[5]).sum();
        let weight = w.total_mass_kg() * 9.81;
        assert!(
            (fz - weight).abs() < 0.05 * weight,
            "Σfz {fz} vs weight {weight}"
        );
        let m = w.model();
        let touch: Vec<usize> = (0..w.n_bodies()).filter(|&b| in_contact(&wr, b)).collect();
        assert!((1..w.n_bodies()).contains(&touch.len()), "{touch:?}");
        for &b in &touch {
            let link = m.body_links().start + b;
            assert!(
                !m.joints.iter().any(|j| j.parent == link),
                "body {b} ({}) touches but is not a foot",
                m.links[link].name
            );
        }
        // A body with a torque but no force cannot come from a contact.
        for (b, c) in wr.chunks(WRENCH_DIM).enumerate() {
            assert_eq!(c.iter().any(|v| *v != 0.0), in_contact(&wr, b), "{c:?}");
        }
    }

    /// Mid-air (the first step from 0.75 m, nothing touching yet) there are no contacts.
    #[test]
    fn no_contact_in_the_air() {
        let w = ant_at_rest(1);
        let mut wr = Vec::new();
        w.contact_wrenches(&mut wr);
        assert!(wr.iter().all(|v| *v == 0.0), "{wr:?}");
    }
}
