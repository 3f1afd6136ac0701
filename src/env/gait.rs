//! Fixed trotting gaits: [`TrotGait`] for the quadruped (sinusoidal joint targets tracked by a
//! joint-level PD law on torques) and [`A1Trot`] for the A1 (sinusoidal position targets for
//! its own PD). They ignore the task (no goal, no feedback on the torso), so the distance they
//! cover shows the effect of the dynamics alone: the example and the dynamics-effect tests use
//! them.

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

/// A fixed trot for the A1 under position control: joint-target offsets from the standing
/// pose, as actions (`offset / action_scale_rad`, clipped to [-1, 1]). Diagonal legs (FR + RL,
/// FL + RR) move together, half a period apart; each thigh swings sinusoidally and the calf
/// bends to lift the foot while the thigh swings forward.
#[derive(Clone, Debug, PartialEq)]
pub struct A1Trot {
    /// Stride frequency (Hz).
    pub freq_hz: f32,
    /// Thigh swing amplitude (rad).
    pub thigh_amp_rad: f32,
    /// Extra calf bend at the top of the swing (rad).
    pub calf_lift_rad: f32,
}

impl Default for A1Trot {
    /// Found by a sweep at kp 40, kd 1, action scale 0.5 rad (the A1's task defaults, kp 20
    /// and 0.25 rad, are too soft and too small for an open-loop trot): 1.4 m forward in 5 s
    /// at nominal dynamics.
    fn default() -> Self {
        A1Trot {
            freq_hz: 2.5,
            thigh_amp_rad: 0.25,
            calf_lift_rad: 0.5,
        }
    }
}

impl A1Trot {
    /// The PD gain the gait is tuned for (`env.pd.kp`).
    pub const KP: f32 = 40.0;
    /// The damping gain it is tuned for (`env.pd.kd`).
    pub const KD: f32 = 1.0;
    /// The action scale it is tuned for (`env.pd.action_scale_rad`).
    pub const ACTION_SCALE_RAD: f32 = 0.5;

    /// Sets `cfg`'s PD to the gains the gait is tuned for.
    pub fn tune(cfg: &mut crate::config::Config) {
        let pd = &mut cfg.env.pd;
        (pd.kp, pd.kd, pd.action_scale_rad) = (Self::KP, Self::KD, Self::ACTION_SCALE_RAD);
    }

    /// Actions at time `t_s` for an env whose action scale is `action_scale_rad`, in the A1's
    /// action order: FR, FL, RR, RL × (hip, thigh, calf).
    pub fn action(&self, t_s: f32, action_scale_rad: f32) -> [f32; 12] {
        let mut a = [0.0; 12];
        for (leg, phase) in [0.0f32, 0.5, 0.5, 0.0].iter().enumerate() {
            let th = std::f32::consts::TAU * (self.freq_hz * t_s + phase);
            a[3 * leg + 1] = self.thigh_amp_rad * th.sin();
            a[3 * leg + 2] = -self.calf_lift_rad * (-th.cos()).max(0.0);
        }
        a.map(|x| (x / action_scale_rad).clamp(-1.0, 1.0))
    }
}
