//! The 2-D point robot: analytic dynamics, no physics engine. The fast test bed, and the one
//! whose transition densities are known exactly (for importance-ratio tests).
//!
//! Dynamics per control step, with μ the task's friction coefficient, m its mass scale and
//! ε ~ N(0, I₂):
//!
//! ```text
//! v' = exp(−velocity_damping·μ)·v + (accel_m / m)·a + noise_std·ε
//! p' = p + v'
//! ```
//!
//! Observation layout (4 dimensions):
//!
//! | index | meaning      | unit   | range            |
//! |-------|--------------|--------|------------------|
//! | 0, 1  | position x, y| m      | [-arena, arena]  |
//! | 2, 3  | velocity x, y| m/step | [-arena, arena]  |
//!
//! Action (2 dimensions): acceleration command in [-1, 1]² (x, y). `achieved` = position.

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;

use super::contract::{
    clip_action, BodyShapes, BoxSpace, DrawnShape, Env, EpisodeState, Reset, ResetInfo, Step,
    StepInfo,
};
use super::gait_measures::BodySample;
use super::reward;
use super::task::Task;
use crate::config::{Config, PointConfig, PointDynamics, RewardConfig};
use crate::error::{Error, Result};
use crate::sim::DynamicsParams;

/// The point robot.
pub struct PointEnv {
    cfg: PointConfig,
    reward: RewardConfig,
    horizon: usize,
    task: Task,
    pos: [f32; 2],
    vel: [f32; 2],
    rng: Pcg64,
    obs_space: BoxSpace,
    act_space: BoxSpace,
    ep: EpisodeState,
    action_buf: Vec<f32>,
}

/// Mean of the next velocity: `exp(−k·μ)·v + (accel/m)·a`.
pub fn mean_next_velocity(
    cfg: &PointConfig,
    dynamics: &DynamicsParams,
    vel: [f32; 2],
    action: [f32; 2],
) -> [f32; 2] {
    let decay = (-cfg.velocity_damping * dynamics.friction_coef).exp();
    let gain = cfg.accel_m / dynamics.mass_scale[0];
    [
        decay * vel[0] + gain * action[0],
        decay * vel[1] + gain * action[1],
    ]
}

/// Mean displacement of one step under `position` dynamics: `(step_m / m)·a` (oyster's
/// `PointEnv.step`: `state + action`, the action scaled to ±0.1 by `NormalizedBoxEnv`).
pub fn mean_position_step(
    cfg: &PointConfig,
    dynamics: &DynamicsParams,
    action: [f32; 2],
) -> [f32; 2] {
    let gain = cfg.step_m / dynamics.mass_scale[0];
    [gain * action[0], gain * action[1]]
}

/// Exact log-density `log p(s' | s, a)` of a point-robot transition under `dynamics`, with
/// states `[x, y, vx, vy]` (`[x, y]` under position dynamics) and a clipped action. Position follows velocity deterministically
/// (`p' = p + v'`, a shift with unit Jacobian), so the density of `s'` is that of `v'`; a
/// position that does not match `p + v'` has density 0 (returns −∞). Needs `noise_std > 0`.
pub fn transition_log_density(
    cfg: &PointConfig,
    dynamics: &DynamicsParams,
    s: &[f32],
    a: &[f32],
    s_next: &[f32],
) -> f64 {
    let sigma = cfg.noise_std as f64;
    if cfg.dynamics == PointDynamics::Position {
        let mean = mean_position_step(cfg, dynamics, [a[0], a[1]]);
        if sigma <= 0.0 {
            return f64::NEG_INFINITY;
        }
        return (0..2)
            .map(|k| {
                let z = ((s_next[k] - s[k]) as f64 - mean[k] as f64) / sigma;
                -0.5 * z * z - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            })
            .sum();
    }
    let mean = mean_next_velocity(cfg, dynamics, [s[2], s[3]], [a[0], a[1]]);
    let consistent = (0..2).all(|k| (s_next[k] - (s[k] + s_next[k + 2])).abs() <= 1e-4);
    if sigma <= 0.0 || !consistent {
        return f64::NEG_INFINITY;
    }
    let mut lp = 0.0;
    for k in 0..2 {
        let z = (s_next[k + 2] as f64 - mean[k] as f64) / sigma;
        lp += -0.5 * z * z - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    }
    lp
}

impl PointEnv {
    /// A point robot for `task`.
    pub fn new(cfg: &Config, task: Task) -> Result<Self> {
        task.dynamics.validate(1)?;
        let a = cfg.env.point.arena_m;
        let names: &[&str] = match cfg.env.point.dynamics {
            PointDynamics::Velocity => &["x_m", "y_m", "vx_m_step", "vy_m_step"],
            PointDynamics::Position => &["x_m", "y_m"],
        };
        let obs_space = BoxSpace {
            low: vec![-a; names.len()],
            high: vec![a; names.len()],
            names: names.iter().map(|n| n.to_string()).collect(),
        };
        Ok(PointEnv {
            cfg: cfg.env.point.clone(),
            reward: cfg.reward.clone(),
            horizon: cfg.env.horizon,
            task,
            pos: [0.0; 2],
            vel: [0.0; 2],
            rng: Pcg64::seed_from_u64(0),
            obs_space,
            act_space: BoxSpace::unit(vec!["ax".into(), "ay".into()]),
            ep: EpisodeState::default(),
            action_buf: Vec::new(),
        })
    }

    fn obs(&self) -> Vec<f32> {
        match self.cfg.dynamics {
            PointDynamics::Velocity => vec![self.pos[0], self.pos[1], self.vel[0], self.vel[1]],
            PointDynamics::Position => vec![self.pos[0], self.pos[1]],
        }
    }

    /// Puts a running episode in the state an observation describes (`[x, y, vx, vy]`), so
    /// Monte-Carlo rollouts can start from any stored state (`drat diagnose`).
    pub fn set_state(&mut self, obs: &[f32]) -> Result<()> {
        self.ep.check_running()?;
        let n = self.obs_space.dim();
        if obs.len() != n || obs.iter().any(|x| !x.is_finite()) {
            return Err(Error::argument(
                "state",
                format!(
                    "expected {n} finite values [{}], got {obs:?}",
                    self.obs_space.names.join(", ")
                ),
            ));
        }
        self.pos = [obs[0], obs[1]];
        self.vel = if n == 4 { [obs[2], obs[3]] } else { [0.0; 2] };
        Ok(())
    }
}

impl Env for PointEnv {
    fn observation_space(&self) -> &BoxSpace {
        &self.obs_space
    }

    fn action_space(&self) -> &BoxSpace {
        &self.act_space
    }

    fn task(&self) -> &Task {
        &self.task
    }

    fn set_task(&mut self, task: Task) -> Result<()> {
        task.dynamics.validate(1)?;
        self.task = task;
        self.ep.running = false;
        Ok(())
    }

    fn horizon(&self) -> usize {
        self.horizon
    }

    fn reset(&mut self, seed: u64) -> Result<Reset> {
        self.rng = Pcg64::seed_from_u64(seed);
        self.pos = [0.0; 2];
        self.vel = [0.0; 2];
        self.ep.t = 0;
        self.ep.running = true;
        Ok(Reset {
            obs: self.obs(),
            info: ResetInfo {
                achieved: self.pos,
                task_id: self.task.id,
                goal: self.task.goal,
                dynamics: self.task.dynamics.clone(),
            },
        })
    }

    fn step(&mut self, action: &[f32]) -> Result<Step> {
        self.ep.check_running()?;
        let mut a = std::mem::take(&mut self.action_buf);
        let clipped = clip_action(action, 2, &mut a)?;
        self.ep.clipped_total += u64::from(clipped);
        let before = self.pos;
        let mut v = match self.cfg.dynamics {
            PointDynamics::Velocity => {
                mean_next_velocity(&self.cfg, &self.task.dynamics, self.vel, [a[0], a[1]])
            }
            PointDynamics::Position => {
                mean_position_step(&self.cfg, &self.task.dynamics, [a[0], a[1]])
            }
        };
        if self.cfg.noise_std > 0.0 {
            for vk in &mut v {
                let e: f32 = StandardNormal.sample(&mut self.rng);
                *vk += self.cfg.noise_std * e;
            }
        }
        // The arena is bounded: position and velocity are clamped to ±arena_m. Under
        // position dynamics `v` is this step's displacement and the velocity stays 0.
        let lim = self.cfg.arena_m;
        let keep_velocity = self.cfg.dynamics == PointDynamics::Velocity;
        for ((pk, vk), nk) in self.pos.iter_mut().zip(self.vel.iter_mut()).zip(v) {
            let step = nk.clamp(-lim, lim);
            *pk = (*pk + step).clamp(-lim, lim);
            *vk = if keep_velocity { step } else { 0.0 };
        }
        self.ep.t += 1;
        let achieved = self.pos;
        let body = BodySample {
            displacement: [achieved[0] - before[0], achieved[1] - before[1]],
            dt_s: 1.0, // no time here: speeds are per step
            ..BodySample::default()
        };
        let terms = reward::reward_terms(&self.reward, achieved, self.task.goal, &a);
        let truncated = self.ep.t >= self.horizon;
        if truncated {
            self.ep.running = false;
        }
        let info = StepInfo {
            achieved,
            terms,
            success: reward::is_success(achieved, self.task.goal, self.reward.goal_radius_m),
            clipped_actions: clipped,
            blowup: false,
            blowups_total: self.ep.blowups_total,
            clipped_total: self.ep.clipped_total,
            body,
        };
        self.action_buf = a;
        Ok(Step {
            obs: self.obs(),
            reward: terms.total(),
            terminated: false,
            truncated,
            info,
        })
    }

    fn body_poses(&self, out: &mut Vec<f32>) {
        out.extend_from_slice(&[self.pos[0], self.pos[1], 0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    fn bodies(&self) -> Vec<BodyShapes> {
        vec![BodyShapes {
            name: "point".into(),
            shapes: vec![DrawnShape {
                kind: "sphere".into(),
                radius: 0.05,
                quat: [0.0, 0.0, 0.0, 1.0],
                ..DrawnShape::default()
            }],
            visuals: Vec::new(),
        }]
    }

    /// The point robot has no physical clock; replays play it at 20 steps per second.
    fn control_dt_s(&self) -> f32 {
        0.05
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(noise: f32) -> PointEnv {
        let mut cfg = Config::default_for("point").unwrap();
        cfg.env.point.noise_std = noise;
        let task = Task {
            id: 0,
            goal: [0.0, 1.0],
            dynamics: DynamicsParams {
                mass_scale: vec![2.0],
                ..DynamicsParams::nominal(0, 0.5)
            },
        };
        PointEnv::new(&cfg, task).unwrap()
    }

    #[test]
    fn dynamics_follow_the_documented_formula() {
        let mut e = env(0.0);
        e.reset(0).unwrap();
        let s1 = e.step(&[1.0, 0.0]).unwrap();
        // v = 0.1 / 2 = 0.05, p = 0.05.
        assert!((s1.obs[0] - 0.05).abs() < 1e-6 && (s1.obs[2] - 0.05).abs() < 1e-6);
        let s2 = e.step(&[0.0, 0.0]).unwrap();
        let decay = (-2.0f32 * 0.5).exp();
        assert!((s2.obs[2] - 0.05 * decay).abs() < 1e-6);
        assert!((s2.obs[0] - (0.05 + 0.05 * decay)).abs() < 1e-6);
    }

    #[test]
    fn log_density_is_a_normalised_gaussian_in_velocity() {
        let e = env(0.1);
        let s = [0.0, 0.0, 0.02, -0.01];
        let a = [0.5, -0.5];
        let m = mean_next_velocity(&e.cfg, &e.task.dynamics, [s[2], s[3]], a);
        let at_mean = [m[0], m[1], m[0], m[1]];
        let lp = transition_log_density(&e.cfg, &e.task.dynamics, &s, &a, &at_mean);
        let expected = -2.0 * (0.1f64.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln());
        assert!((lp - expected).abs() < 1e-5, "{lp} vs {expected}");
        let off = [m[0] + 0.1, m[1], m[0] + 0.1, m[1]];
        let lp_off = transition_log_density(&e.cfg, &e.task.dynamics, &s, &a, &off);
        assert!(
            (lp - lp_off - 0.5).abs() < 1e-4,
            "one sigma off costs 1/2 nat"
        );
        let inconsistent = [1.0, 1.0, m[0], m[1]];
        assert_eq!(
            transition_log_density(&e.cfg, &e.task.dynamics, &s, &a, &inconsistent),
            f64::NEG_INFINITY
        );
    }
}
