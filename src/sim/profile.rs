//! Where a world's stepping time goes, from Rapier's own pipeline counters (its `profiler`
//! feature): collision detection, the solver's constraint assembly and its substeps, the rest
//! of Rapier's step, and the world rebuilds at reset. `drat bench env` prints the split, with
//! the env code (control, observation, reward) as what is left of the wall time.

use std::time::Duration;

use rapier3d::counters::Counters;

/// Accumulated physics time of one world (seconds unless named otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PhysicsProfile {
    /// Rapier `step()` calls.
    pub rapier_steps: u64,
    /// Whole Rapier steps.
    pub step_s: f64,
    /// Broad and narrow phase (contact generation included).
    pub collision_s: f64,
    /// The solver's assembly: solver bodies, contact and joint constraints (once per step).
    pub solver_assembly_s: f64,
    /// The solver's substeps: constraint updates, impulses, multibody integration.
    pub solver_substeps_s: f64,
    /// Contact points handed to the solver, summed over steps.
    pub contact_points: u64,
    /// World rebuilds at reset (ours: bodies, colliders, joints).
    pub rebuild_s: f64,
}

impl PhysicsProfile {
    /// Adds the counters of the Rapier step that just ended.
    pub(super) fn add_step(&mut self, c: &Counters) {
        let s = |d: Duration| d.as_secs_f64();
        self.rapier_steps += 1;
        self.step_s += s(c.step_time());
        self.collision_s += s(c.stages.collision_detection_time.time());
        self.solver_assembly_s += s(c.solver.velocity_assembly_time.time());
        self.solver_substeps_s += s(c.solver.velocity_resolution_time.time());
        self.contact_points += c.solver.ncontacts as u64;
    }

    /// Rapier's step outside collision detection and the solver (body updates, islands,
    /// constraint bookkeeping, user changes).
    pub fn rapier_other_s(&self) -> f64 {
        (self.step_s - self.collision_s - self.solver_assembly_s - self.solver_substeps_s).max(0.0)
    }

    /// The sum of two profiles (envs of one thread).
    pub fn merged(&self, o: &Self) -> Self {
        PhysicsProfile {
            rapier_steps: self.rapier_steps + o.rapier_steps,
            step_s: self.step_s + o.step_s,
            collision_s: self.collision_s + o.collision_s,
            solver_assembly_s: self.solver_assembly_s + o.solver_assembly_s,
            solver_substeps_s: self.solver_substeps_s + o.solver_substeps_s,
            contact_points: self.contact_points + o.contact_points,
            rebuild_s: self.rebuild_s + o.rebuild_s,
        }
    }
}
