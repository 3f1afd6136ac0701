//! Goal reaching with a simulated legged robot (the quadruped, the runner, or any URDF with
//! actuated hinges): a [`SimWorld`] plus a [`Task`]. The goal is not observed: the agent infers
//! the task from rewards, as in PEARL.
//!
//! Observation layout for a robot with a free-floating root (the quadruped; n = actuated
//! joints, 8 for the quadruped, 29 dimensions in all):
//!
//! | index            | meaning                                   | unit  | range      |
//! |------------------|-------------------------------------------|-------|------------|
//! | 0, 1             | torso x, y                                | m     | (-∞, ∞)    |
//! | 2                | torso z                                   | m     | (-∞, ∞)    |
//! | 3..7             | torso orientation quaternion (w, x, y, z) | –     | [-1, 1]    |
//! | 7..7+n           | joint angles (action order)               | rad   | [-π, π] ¹  |
//! | 7+n..10+n        | torso linear velocity (world)             | m/s   | (-∞, ∞)    |
//! | 10+n..13+n       | torso angular velocity (world)            | rad/s | (-∞, ∞)    |
//! | 13+n..13+2n      | joint velocities                          | rad/s | (-∞, ∞)    |
//!
//! For a robot hanging off `world` by a planar joint (the runner; n = 6, 18 dimensions):
//!
//! | index        | meaning                         | unit  | range       |
//! |--------------|---------------------------------|-------|-------------|
//! | 0            | torso x                         | m     | (-∞, ∞)     |
//! | 1            | torso z                         | m     | (-∞, ∞)     |
//! | 2            | torso pitch (about +y)          | rad   | [-π, π]     |
//! | 3..3+n       | joint angles                    | rad   | [-π, π] ¹   |
//! | 3+n, 4+n     | torso velocity x, z             | m/s   | (-∞, ∞)     |
//! | 5+n          | torso pitch rate                | rad/s | (-∞, ∞)     |
//! | 6+n..6+2n    | joint velocities                | rad/s | (-∞, ∞)     |
//!
//! With `env.observe_contact_forces` (HFR's ant-goal) the observation goes on with six values
//! per body, `{link}_cfrc_{tx,ty,tz,fx,fy,fz}`: its external contact wrench (N·m, N, world
//! frame, see `sim::contacts`), each clipped to [−1, 1].
//!
//! ¹ Nominally within the URDF limits; Rapier's limits are soft, so full torques can push a
//! joint a few tenths of a radian past them.
//!
//! The A1 (n = 12: FR, FL, RR, RL × hip, thigh, calf) has the free-root layout, 37
//! dimensions.
//!
//! Action: n values in [-1, 1] in URDF joint order, by `env.control`:
//!
//! | control    | action k means                                      | names            |
//! |------------|-----------------------------------------------------|------------------|
//! | `torque`   | torque `a·effort` N·m (URDF `<limit effort>`)       | `{joint}_torque` |
//! | `position` | target `q₀ + a·scale` rad; `τ = clip(kp·(target − q) − kd·q̇, ±effort)` each physics step | `{joint}_target` |
//!
//! (`q₀` = `env.pd.default_pose_rad`, `scale` = `env.pd.action_scale_rad`; the quadruped and
//! runner default to torque, the A1 to position control.) `achieved` is the torso's (x, y)
//! (the runner: (x, 0)); with `env.achieved = "forward-velocity"` it is (Δx / control
//! period, 0), the torso's forward speed over the step (HFR's cheetah-vel). The episode ends
//! (`terminated`) when the torso flips over (`env.terminate_when_flipped`), tilts more than
//! `env.max_tilt_deg` from upright, drops below `env.min_torso_height_m` (a fall) or rises
//! above `env.max_torso_height_m` (HFR's ant: z ∉ [0.2, 1.0]).

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use super::contract::{
    clip_action, BodyShapes, BoxSpace, DrawnShape, Env, EpisodeState, Reset, ResetInfo, Step,
    StepInfo,
};
use super::gait_measures::BodySample;
use super::reward;
use super::task::Task;
use crate::config::{Achieved, Config, ControlMode, RewardConfig};
use crate::error::Result;
use crate::sim::contacts::in_contact;
use crate::sim::robot::{LinkDesc, ShapeDesc, VisualGeometry};
use crate::sim::{RobotModel, SimWorld};
use rapier3d::math::Pose;

/// A legged robot reaching for a goal.
pub struct LocomotionEnv {
    world: SimWorld,
    task: Task,
    reward: RewardConfig,
    horizon: usize,
    reset_noise: f32,
    /// Gymnasium's reset noise: U(−x, x) on positions, x·N(0, 1) on velocities.
    reset_qpos_noise: f32,
    reset_qvel_noise_std: f32,
    /// Angular velocity observed in the torso frame (MJCF robots, as MuJoCo's `qvel`).
    body_frame_angvel: bool,
    terminate_when_flipped: bool,
    /// cos of `env.max_tilt_deg` (below it the torso has fallen); `None` when 0 (never).
    min_up_z: Option<f32>,
    min_torso_height_m: f32,
    /// `f32::INFINITY` when `env.max_torso_height_m` is 0 (never).
    max_torso_height_m: f32,
    observe_contacts: bool,
    by_velocity: bool,
    planar: bool,
    obs_space: BoxSpace,
    act_space: BoxSpace,
    ep: EpisodeState,
    last_obs: Vec<f32>,
    last_achieved: [f32; 2],
    action_buf: Vec<f32>,
    q_buf: Vec<f32>,
    qd_buf: Vec<f32>,
    /// Every body's contact wrench after the last physics step, read once per control step
    /// (observation, contact cost and feet in contact all use it).
    wrench_buf: Vec<f32>,
    /// Body indices (links without a fixed `world`) of the feet: the tree's leaves.
    feet: Vec<usize>,
}

impl LocomotionEnv {
    /// Builds the robot with the task's dynamics.
    pub fn new(cfg: &Config, model: Arc<RobotModel>, task: Task) -> Result<Self> {
        let planar = model.root_is_world();
        let world = SimWorld::new(model.clone(), cfg.sim_settings(), &task.dynamics)?;
        let act = model.actuated_joints();
        let joint_names: Vec<&str> = act.iter().map(|&j| model.joints[j].name.as_str()).collect();
        let limits: Vec<[f32; 2]> = act
            .iter()
            .map(|&j| {
                model.joints[j]
                    .limits
                    .unwrap_or([-f32::INFINITY, f32::INFINITY])
            })
            .collect();
        let mut obs_space = observation_space(planar, &joint_names, &limits);
        if cfg.env.observe_contact_forces {
            for link in &model.links[model.body_links()] {
                for c in ["tx", "ty", "tz", "fx", "fy", "fz"] {
                    obs_space.names.push(format!("{}_cfrc_{c}", link.name));
                    obs_space.low.push(-1.0);
                    obs_space.high.push(1.0);
                }
            }
        }
        let suffix = match cfg.env.control {
            ControlMode::Torque => "torque",
            ControlMode::Position => "target",
        };
        let act_space = BoxSpace::unit(
            joint_names
                .iter()
                .map(|n| format!("{n}_{suffix}"))
                .collect(),
        );
        Ok(LocomotionEnv {
            world,
            task,
            reward: cfg.reward.clone(),
            horizon: cfg.env.horizon,
            reset_noise: cfg.env.reset_joint_vel_noise,
            reset_qpos_noise: cfg.env.reset_qpos_noise,
            reset_qvel_noise_std: cfg.env.reset_qvel_noise_std,
            body_frame_angvel: model.hints.mujoco_layout,
            terminate_when_flipped: cfg.env.terminate_when_flipped,
            min_up_z: (cfg.env.max_tilt_deg > 0.0).then(|| cfg.env.max_tilt_deg.to_radians().cos()),
            min_torso_height_m: cfg.env.min_torso_height_m,
            max_torso_height_m: if cfg.env.max_torso_height_m > 0.0 {
                cfg.env.max_torso_height_m
            } else {
                f32::INFINITY
            },
            observe_contacts: cfg.env.observe_contact_forces,
            by_velocity: cfg.env.achieved == Achieved::ForwardVelocity,
            planar,
            obs_space,
            act_space,
            ep: EpisodeState::default(),
            last_obs: Vec::new(),
            last_achieved: [0.0; 2],
            action_buf: Vec::new(),
            q_buf: Vec::new(),
            qd_buf: Vec::new(),
            wrench_buf: Vec::new(),
            feet: feet(&model),
        })
    }

    /// The simulated world (read access for reports, replays and tests).
    pub fn world(&self) -> &SimWorld {
        &self.world
    }

    /// Mutable world access (tests and ablations: pushes, velocity overrides).
    pub fn world_mut(&mut self) -> &mut SimWorld {
        &mut self.world
    }

    /// What the goal is measured against after a step that started at torso x `x_before`
    /// (see the module doc).
    fn achieved(&self, x_before: f32) -> [f32; 2] {
        let p = self.world.root_state().position;
        if self.by_velocity {
            [(p.x - x_before) / self.world.settings().control_dt_s(), 0.0]
        } else if self.planar {
            [p.x, 0.0]
        } else {
            [p.x, p.y]
        }
    }

    fn observe(&mut self) -> Vec<f32> {
        let r = self.world.root_state();
        self.world.joint_angles(&mut self.q_buf);
        self.world.joint_velocities(&mut self.qd_buf);
        let mut o = Vec::with_capacity(self.obs_space.dim());
        if self.planar {
            // Rotation is about y only: q = (cos θ/2, 0, sin θ/2, 0).
            let pitch = 2.0 * r.rotation.y.atan2(r.rotation.w);
            let pitch = (pitch + std::f32::consts::PI).rem_euclid(std::f32::consts::TAU)
                - std::f32::consts::PI;
            o.extend([r.position.x, r.position.z, pitch]);
            o.extend_from_slice(&self.q_buf);
            o.extend([r.linvel.x, r.linvel.z, r.angvel.y]);
        } else {
            let q = r.rotation;
            o.extend([r.position.x, r.position.y, r.position.z, q.w, q.x, q.y, q.z]);
            o.extend_from_slice(&self.q_buf);
            o.extend([r.linvel.x, r.linvel.y, r.linvel.z]);
            let w = if self.body_frame_angvel {
                r.rotation.inverse() * r.angvel
            } else {
                r.angvel
            };
            o.extend([w.x, w.y, w.z]);
        }
        o.extend_from_slice(&self.qd_buf);
        if self.observe_contacts {
            o.extend(self.wrench_buf.iter().map(|c| c.clamp(-1.0, 1.0)));
        }
        o
    }

    /// The torso and feet now, the torso having been at `xy_before` before the step.
    fn body_sample(&self, xy_before: [f32; 2]) -> BodySample {
        let p = self.world.root_state().position;
        let down = self
            .feet
            .iter()
            .filter(|&&b| in_contact(&self.wrench_buf, b))
            .count();
        BodySample {
            displacement: [p.x - xy_before[0], p.y - xy_before[1]],
            dt_s: self.world.settings().control_dt_s(),
            height_m: p.z,
            tilt_deg: self.up_z().clamp(-1.0, 1.0).acos().to_degrees(),
            feet_down: down as u8,
            feet: self.feet.len() as u8,
        }
    }

    /// The z component of the torso's up axis (cos of its tilt from upright).
    fn up_z(&self) -> f32 {
        (self.world.root_state().rotation * rapier3d::math::Vector::Z).z
    }

    fn flipped(&self) -> bool {
        self.up_z() < 0.0
    }
}

/// Body indices (see [`LocomotionEnv::feet`]) of the links no joint hangs anything from.
fn feet(model: &RobotModel) -> Vec<usize> {
    let bodies = model.body_links();
    let root = bodies.start;
    bodies
        .filter(|&l| l != root && !model.joints.iter().any(|j| j.parent == l))
        .map(|l| l - root)
        .take(u8::MAX as usize)
        .collect()
}

fn observation_space(planar: bool, joints: &[&str], limits: &[[f32; 2]]) -> BoxSpace {
    let inf = f32::INFINITY;
    let mut low = Vec::new();
    let mut high = Vec::new();
    let mut names = Vec::new();
    let mut push = |n: String, lo: f32, hi: f32| {
        names.push(n);
        low.push(lo);
        high.push(hi);
    };
    // Rapier's joint limits are soft constraints: under full torque a joint can overshoot its
    // URDF limit by a few tenths of a radian, so the observation bound is ±π, not the limit.
    let pi = std::f32::consts::PI;
    if planar {
        push("torso_x_m".into(), -inf, inf);
        push("torso_z_m".into(), -inf, inf);
        push(
            "torso_pitch_rad".into(),
            -std::f32::consts::PI,
            std::f32::consts::PI,
        );
    } else {
        for n in ["torso_x_m", "torso_y_m", "torso_z_m"] {
            push(n.into(), -inf, inf);
        }
        for n in ["torso_qw", "torso_qx", "torso_qy", "torso_qz"] {
            push(n.into(), -1.0 - 1e-4, 1.0 + 1e-4);
        }
    }
    for (j, l) in joints.iter().zip(limits) {
        let (lo, hi) = if l[0].is_finite() {
            (-pi, pi)
        } else {
            (-inf, inf)
        };
        push(format!("{j}_angle_rad"), lo, hi);
    }
    if planar {
        push("torso_vx_m_s".into(), -inf, inf);
        push("torso_vz_m_s".into(), -inf, inf);
        push("torso_pitch_rate_rad_s".into(), -inf, inf);
    } else {
        for n in ["torso_vx_m_s", "torso_vy_m_s", "torso_vz_m_s"] {
            push(n.into(), -inf, inf);
        }
        for n in ["torso_wx_rad_s", "torso_wy_rad_s", "torso_wz_rad_s"] {
            push(n.into(), -inf, inf);
        }
    }
    for j in joints {
        push(format!("{j}_vel_rad_s"), -inf, inf);
    }
    BoxSpace { low, high, names }
}

impl Env for LocomotionEnv {
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
        task.dynamics
            .validate_shape(&self.world.model().dynamics_shape())?;
        self.task = task;
        self.ep.running = false;
        Ok(())
    }

    fn horizon(&self) -> usize {
        self.horizon
    }

    fn reset(&mut self, seed: u64) -> Result<Reset> {
        self.world.reset(&self.task.dynamics)?;
        let mut rng = Pcg64::seed_from_u64(seed);
        let n = self.world.n_actuators();
        let noise: Vec<f32> = (0..n)
            .map(|_| {
                if self.reset_noise > 0.0 {
                    rng.random_range(-self.reset_noise..=self.reset_noise)
                } else {
                    0.0
                }
            })
            .collect();
        self.world.set_joint_velocities(&noise);
        if self.reset_qpos_noise > 0.0 || self.reset_qvel_noise_std > 0.0 {
            self.world
                .perturb_state(self.reset_qpos_noise, self.reset_qvel_noise_std, &mut rng);
        }
        self.ep.t = 0;
        self.ep.running = true;
        self.world.contact_wrenches(&mut self.wrench_buf);
        let obs = self.observe();
        self.last_obs.clone_from(&obs);
        let x = self.world.root_state().position.x;
        self.last_achieved = if self.by_velocity {
            [0.0; 2]
        } else {
            self.achieved(x)
        };
        Ok(Reset {
            obs,
            info: ResetInfo {
                achieved: self.last_achieved,
                task_id: self.task.id,
                goal: self.task.goal,
                dynamics: self.task.dynamics.clone(),
            },
        })
    }

    fn step(&mut self, action: &[f32]) -> Result<Step> {
        self.ep.check_running()?;
        let mut buf = std::mem::take(&mut self.action_buf);
        let clipped = clip_action(action, self.act_space.dim(), &mut buf)?;
        self.ep.clipped_total += u64::from(clipped);
        let before = self.world.root_state().position;
        self.world.step(&buf);
        self.world.contact_wrenches(&mut self.wrench_buf);
        self.ep.t += 1;

        let mut info = StepInfo {
            clipped_actions: clipped,
            ..StepInfo::default()
        };
        // A blow-up (non-finite or exploding state) truncates the episode; the last sane
        // observation is returned so nothing non-finite leaks out, and `info.blowup` tells
        // buffers to drop the step.
        let sane_obs = if self.world.is_sane() {
            Some(self.observe()).filter(|o| o.iter().all(|v| v.is_finite()))
        } else {
            None
        };
        let (obs, terminated, truncated) = match sane_obs {
            None => {
                self.ep.blowups_total += 1;
                info.blowup = true;
                info.achieved = self.last_achieved;
                (self.last_obs.clone(), false, true)
            }
            Some(o) => {
                info.achieved = self.achieved(before.x);
                info.terms =
                    reward::reward_terms(&self.reward, info.achieved, self.task.goal, &buf);
                info.terms.alive = self.reward.alive_bonus;
                info.terms.contact =
                    reward::contact_cost(self.reward.contact_cost_weight, &self.wrench_buf);
                info.success =
                    reward::is_success(info.achieved, self.task.goal, self.reward.goal_radius_m);
                info.body = self.body_sample([before.x, before.y]);
                self.last_obs.clone_from(&o);
                self.last_achieved = info.achieved;
                let z = self.world.root_state().position.z;
                let fell = z < self.min_torso_height_m
                    || z > self.max_torso_height_m
                    || self.min_up_z.is_some_and(|z| self.up_z() < z);
                let terminated = (self.terminate_when_flipped && self.flipped()) || fell;
                (o, terminated, self.ep.t >= self.horizon)
            }
        };
        info.blowups_total = self.ep.blowups_total;
        info.clipped_total = self.ep.clipped_total;
        if terminated || truncated {
            self.ep.running = false;
        }
        self.action_buf = buf;
        Ok(Step {
            obs,
            reward: info.terms.total(),
            terminated,
            truncated,
            info,
        })
    }

    fn body_poses(&self, out: &mut Vec<f32>) {
        for p in self.world.link_poses() {
            let (t, q) = (p.translation, p.rotation);
            out.extend_from_slice(&[t.x, t.y, t.z, q.x, q.y, q.z, q.w]);
        }
    }

    fn bodies(&self) -> Vec<BodyShapes> {
        self.world.model().links.iter().map(body_shapes).collect()
    }

    fn control_dt_s(&self) -> f32 {
        self.world.settings().control_dt_s()
    }

    fn joint_state(&self, q: &mut Vec<f32>, qd: &mut Vec<f32>) -> bool {
        self.world.joint_angles(q);
        self.world.joint_velocities(qd);
        true
    }

    fn physics_profile(&self) -> Option<crate::sim::PhysicsProfile> {
        Some(self.world.profile())
    }
}

/// A link's collision geometry and visuals as replays draw them.
fn body_shapes(link: &LinkDesc) -> BodyShapes {
    let shapes = link
        .collisions
        .iter()
        .map(|c| drawn(&c.shape, &c.origin))
        .collect();
    let visuals = link
        .visuals
        .iter()
        .map(|v| {
            let mut d = match &v.geometry {
                VisualGeometry::Shape(shape) => drawn(shape, &v.origin),
                VisualGeometry::Mesh { filename, scale } => DrawnShape {
                    kind: "mesh".into(),
                    mesh: Some(filename.clone()),
                    scale: Some(*scale),
                    ..drawn_at(&v.origin)
                },
            };
            d.rgba = v.rgba;
            d
        })
        .collect();
    BodyShapes {
        name: link.name.clone(),
        shapes,
        visuals,
    }
}

/// A primitive at `origin`.
fn drawn(shape: &ShapeDesc, origin: &Pose) -> DrawnShape {
    let (kind, radius, length, size) = match *shape {
        // A hull is drawn as its bounding box, centred where the box is.
        ShapeDesc::ConvexHull { ref points } => {
            let (lo, hi) = points.iter().fold(
                ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]),
                |(lo, hi), p| {
                    (
                        std::array::from_fn(|k| lo[k].min(p[k])),
                        std::array::from_fn(|k| hi[k].max(p[k])),
                    )
                },
            );
            let centre = Pose::from_translation(rapier3d::math::Vector::new(
                (lo[0] + hi[0]) / 2.0,
                (lo[1] + hi[1]) / 2.0,
                (lo[2] + hi[2]) / 2.0,
            ));
            let size = std::array::from_fn(|k| hi[k] - lo[k]);
            return DrawnShape {
                kind: "box".into(),
                size,
                ..drawn_at(&(*origin * centre))
            };
        }
        ShapeDesc::Sphere { radius_m } => ("sphere", radius_m, 0.0, [0.0; 3]),
        ShapeDesc::Box { size_m } => ("box", 0.0, 0.0, size_m),
        ShapeDesc::Cylinder { radius_m, length_m } => ("cylinder", radius_m, length_m, [0.0; 3]),
        ShapeDesc::Capsule { radius_m, length_m } => ("capsule", radius_m, length_m, [0.0; 3]),
    };
    DrawnShape {
        kind: kind.into(),
        radius,
        length,
        size,
        ..drawn_at(origin)
    }
}

/// Nothing yet, at `origin`.
fn drawn_at(origin: &Pose) -> DrawnShape {
    let (t, q) = (origin.translation, origin.rotation);
    DrawnShape {
        pos: [t.x, t.y, t.z],
        quat: [q.x, q.y, q.z, q.w],
        ..DrawnShape::default()
    }
}
