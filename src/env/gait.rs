//! A fixed trotting gait for the quadruped: sinusoidal joint targets tracked by a joint-level
//! PD law. It ignores the task (no goal, no feedback on the torso), so the distance it covers
//! shows the effect of the dynamics alone: the example and the dynamics-effect tests use it.

/// Trot parameters. Diagonal legs (front-left + back-right, back-left + front-right) move
/// together, half a period apart.
#[derive(Clone, Debug, PartialEq)]
pub struct TrotGait {
    /// Stride frequency (Hz).
    pub freq_hz: f32,
    /// Hip swing amplitude (rad).
    pub hip_amp_rad: f32,
    /// Knee lift amplitude (rad).
    pub knee_amp_rad: f32,
    /// Proportional gain (action units per rad).
    pub kp: f32,
    /// Derivative gain (action units per rad/s).
    pub kd: f32,
}

impl Default for TrotGait {
    fn default() -> Self {
        TrotGait {
            freq_hz: 1.5,
            hip_amp_rad: 0.4,
            knee_amp_rad: 0.35,
            kp: 3.0,
            kd: 0.1,
        }
    }
}

/// Legs in the quadruped's action order (hip, knee per leg): front-left, back-left,
/// back-right, front-right. Left legs push backwards with increasing hip angle, right legs
/// with decreasing, hence the sign; trot pairs are half a period apart.
const LEGS: [(f32, f32); 4] = [(1.0, 0.0), (1.0, 0.5), (-1.0, 0.0), (-1.0, 0.5)];

impl TrotGait {
    /// Joint targets (rad) at time `t_s`, in action order: 4 × (hip, knee).
    pub fn targets(&self, t_s: f32) -> [f32; 8] {
        let mut q = [0.0; 8];
        for (leg, (side, phase)) in LEGS.iter().enumerate() {
            let th = std::f32::consts::TAU * (self.freq_hz * t_s + phase);
            // Stance (foot pushes back) while cos θ > 0: the knee is down then, up in swing.
            q[2 * leg] = side * self.hip_amp_rad * th.sin();
            q[2 * leg + 1] = self.knee_amp_rad * th.cos();
        }
        q
    }

    /// PD action in [-1, 1] tracking the targets from joint angles `q` and velocities `qd`.
    pub fn action(&self, t_s: f32, q: &[f32], qd: &[f32]) -> [f32; 8] {
        let target = self.targets(t_s);
        let mut a = [0.0; 8];
        for k in 0..8 {
            a[k] = (self.kp * (target[k] - q[k]) - self.kd * qd[k]).clamp(-1.0, 1.0);
        }
        a
    }
}
