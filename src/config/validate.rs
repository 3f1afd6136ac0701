//! Ranges and consistency of a [`Config`]: one check per section, then the checks that span
//! sections. Errors name the field and the allowed values; the first failing check wins, in
//! the order env, reward, tasks, agent, train and eval counts, transfer, then the cross-checks.

use super::env::{Achieved, GoalSetKind, RewardKind, Robot};
use super::learning::CriticReward;
use super::load::Config;
use super::transfer::{RatioSource, TransferStrategy};
use crate::error::{Error, Result};
use crate::sim::dynamics::check_range;

impl Config {
    /// Checks ranges and consistency; errors name the field and the allowed values.
    pub fn validate(&self) -> Result<()> {
        self.validate_env()?;
        self.validate_reward_and_tasks()?;
        self.validate_agent()?;
        self.validate_counts()?;
        self.validate_transfer()?;
        self.validate_ratio()?;
        self.validate_across_sections()
    }

    fn validate_env(&self) -> Result<()> {
        let e = &self.env;
        self.sim_settings().validate()?;
        if e.horizon == 0 || e.horizon > 1_000_000 {
            return Err(Error::config(
                "env.horizon",
                format!("must be in 1..=1000000, got {}", e.horizon),
            ));
        }
        finite_in(
            "env.reset_joint_vel_noise",
            e.reset_joint_vel_noise,
            0.0,
            100.0,
        )?;
        finite_in("env.reset_qpos_noise", e.reset_qpos_noise, 0.0, 1.0)?;
        finite_in(
            "env.reset_qvel_noise_std",
            e.reset_qvel_noise_std,
            0.0,
            100.0,
        )?;
        finite_in("env.min_torso_height_m", e.min_torso_height_m, 0.0, 10.0)?;
        finite_in("env.max_tilt_deg", e.max_tilt_deg, 0.0, 180.0)?;
        finite_in("env.max_torso_height_m", e.max_torso_height_m, 0.0, 100.0)?;
        if e.max_torso_height_m > 0.0 && e.max_torso_height_m <= e.min_torso_height_m {
            return Err(Error::config(
                "env.max_torso_height_m",
                format!(
                    "must be 0 (never) or above env.min_torso_height_m = {}, got {}",
                    e.min_torso_height_m, e.max_torso_height_m
                ),
            ));
        }
        finite_in("env.point.accel_m", e.point.accel_m, 1e-6, 100.0)?;
        finite_in("env.point.step_m", e.point.step_m, 1e-6, 100.0)?;
        finite_in(
            "env.point.velocity_damping",
            e.point.velocity_damping,
            0.0,
            100.0,
        )?;
        finite_in("env.point.noise_std", e.point.noise_std, 0.0, 100.0)?;
        finite_in("env.point.arena_m", e.point.arena_m, 1e-3, 1e6)
    }

    fn validate_reward_and_tasks(&self) -> Result<()> {
        let r = &self.reward;
        finite_in("reward.goal_radius_m", r.goal_radius_m, 1e-6, 1e6)?;
        finite_in("reward.ctrl_cost_weight", r.ctrl_cost_weight, 0.0, 1e6)?;
        finite_in(
            "reward.contact_cost_weight",
            r.contact_cost_weight,
            0.0,
            1e6,
        )?;
        finite_in("reward.alive_bonus", r.alive_bonus, -1e6, 1e6)?;
        let t = &self.tasks;
        if t.n_train == 0 {
            return Err(Error::config("tasks.n_train", "must be ≥ 1"));
        }
        if t.n_train + t.n_test > 100_000 {
            return Err(Error::config(
                "tasks.n_train + tasks.n_test",
                "must be ≤ 100000",
            ));
        }
        check_range("tasks.goal.distance_m", t.goal.distance_m, 0.0, 1e4)?;
        check_range("tasks.goal.angle_deg", t.goal.angle_deg, -360.0, 360.0)?;
        if let Some(set) = &t.goal.set {
            match (set.kind, set.velocity_m_s) {
                (GoalSetKind::ShuffledHalfCircle, _) => {
                    finite_in("tasks.goal.set.radius_m", set.radius_m, 1e-6, 1e4)?
                }
                (GoalSetKind::UniformVelocity, Some(v)) => {
                    check_range("tasks.goal.set.velocity_m_s", v, -100.0, 100.0)?
                }
                (GoalSetKind::UniformVelocity, None) => {
                    return Err(Error::config(
                        "tasks.goal.set.velocity_m_s",
                        "`uniform-velocity` needs velocity_m_s = [low, high] (m/s)",
                    ))
                }
            }
            if t.n_train + t.n_test > set.count || set.count > 100_000 {
                return Err(Error::config(
                    "tasks.goal.set.count",
                    format!(
                        "must be ≤ 100000 and at least n_train + n_test = {}, got {}",
                        t.n_train + t.n_test,
                        set.count
                    ),
                ));
            }
        }
        t.dynamics.validate("tasks.dynamics")?;
        if let Some(d) = &t.test_dynamics {
            d.validate("tasks.test_dynamics")?;
        }
        Ok(())
    }

    fn validate_agent(&self) -> Result<()> {
        let a = &self.agent;
        let sizes_ok = |v: &[usize]| {
            !v.is_empty() && v.len() <= 8 && v.iter().all(|&h| (1..=4096).contains(&h))
        };
        if !sizes_ok(&a.hidden) {
            return Err(Error::config(
                "agent.hidden",
                "1 to 8 layers of 1..=4096 units",
            ));
        }
        if !sizes_ok(&a.encoder_hidden) {
            return Err(Error::config(
                "agent.encoder_hidden",
                "1 to 8 layers of 1..=4096 units",
            ));
        }
        if a.latent_dim == 0 || a.latent_dim > 256 {
            return Err(Error::config(
                "agent.latent_dim",
                format!("must be in 1..=256, got {}", a.latent_dim),
            ));
        }
        finite_in("agent.lr", a.lr as f32, 1e-8, 1.0)?;
        finite_in("agent.gamma", a.gamma as f32, 0.0, 0.9999)?;
        finite_in("agent.tau", a.tau as f32, 1e-6, 1.0)?;
        finite_in("agent.reward_scale", a.reward_scale as f32, 1e-6, 1e6)?;
        finite_in("agent.kl_lambda", a.kl_lambda as f32, 0.0, 1e6)?;
        finite_in("agent.init_alpha", a.init_alpha, 1e-6, 100.0)
    }

    /// The training loop's and meta-test's counts.
    fn validate_counts(&self) -> Result<()> {
        let tr = &self.train;
        for (name, v, lo) in [
            ("train.iterations", tr.iterations, 1),
            ("train.tasks_per_iteration", tr.tasks_per_iteration, 1),
            ("train.batch_size", tr.batch_size, 1),
            ("train.meta_batch", tr.meta_batch, 1),
            ("train.context_size", tr.context_size, 1),
            ("train.buffer_capacity", tr.buffer_capacity, 1),
            ("train.checkpoint_every", tr.checkpoint_every, 1),
            ("eval.every", self.eval.every, 1),
            ("eval.scored_episodes", self.eval.scored_episodes, 1),
            ("eval.adapt_episodes", self.eval.adapt_episodes, 0),
            ("eval.runs", self.eval.runs, 1),
            (
                "eval.exploration_episodes",
                self.eval.exploration_episodes,
                0,
            ),
        ] {
            if v < lo || v > 100_000_000 {
                return Err(Error::config(
                    name,
                    format!("must be in {lo}..=100000000, got {v}"),
                ));
            }
        }
        if tr.initial_steps_per_task + tr.steps_prior == 0 {
            return Err(Error::config(
                "train.initial_steps_per_task + train.steps_prior",
                "must be > 0: no data would ever be collected",
            ));
        }
        Ok(())
    }

    fn validate_transfer(&self) -> Result<()> {
        let x = &self.transfer;
        finite_in("transfer.relabel_prob", x.relabel_prob, 0.0, 1.0)?;
        finite_in("transfer.fraction", x.fraction, 0.0, 1.0)?;
        finite_in("transfer.batch_share", x.batch_share, 0.0, 1.0)?;
        finite_in("transfer.temperature", x.temperature, 1e-6, 1e6)?;
        finite_in("transfer.rho_d_max", x.rho_d_max, 1e-3, 1e6)?;
        finite_in("transfer.eps", x.eps, 0.0, 1e6)?;
        check_range("transfer.rho_pi_clip", x.rho_pi_clip, 1e-6, 1e6)?;
        if x.capacity == 0 || x.capacity > 100_000_000 {
            return Err(Error::config(
                "transfer.capacity",
                format!("must be in 1..=100000000, got {}", x.capacity),
            ));
        }
        if x.partition_contexts == 0 || x.partition_contexts > 1000 {
            return Err(Error::config(
                "transfer.partition_contexts",
                format!("must be in 1..=1000, got {}", x.partition_contexts),
            ));
        }
        Ok(())
    }

    /// `transfer.ratio` and the learned ratio's settings.
    fn validate_ratio(&self) -> Result<()> {
        let x = &self.transfer;
        if x.ratio != RatioSource::CriticInterval && x.strategy != TransferStrategy::Drae {
            return Err(Error::config(
                "transfer.ratio",
                format!(
                    "`{}` is DRaT's ratio: it needs transfer.strategy = \"drae\" (got \"{}\")",
                    x.ratio.name(),
                    x.strategy.name()
                ),
            ));
        }
        let e = &self.env;
        if x.ratio == RatioSource::Exact && !(e.robot == Robot::Point && e.point.noise_std > 0.0) {
            return Err(Error::config(
                "transfer.ratio",
                "`exact` needs exact transition densities: env.robot = \"point\" with env.point.noise_std > 0",
            ));
        }
        let l = &x.learned_ratio;
        if l.hidden.is_empty() || l.hidden.iter().any(|&h| h == 0 || h > 4096) {
            return Err(Error::config(
                "transfer.learned_ratio.hidden",
                format!("one or more widths in 1..=4096, got {:?}", l.hidden),
            ));
        }
        if !(l.lr.is_finite() && l.lr > 0.0 && l.lr <= 1.0) {
            return Err(Error::config(
                "transfer.learned_ratio.lr",
                format!("must be in (0, 1], got {}", l.lr),
            ));
        }
        for (field, v) in [
            ("updates_per_iteration", l.updates_per_iteration),
            ("batch_per_task", l.batch_per_task),
        ] {
            if v == 0 || v > 100_000 {
                return Err(Error::config(
                    format!("transfer.learned_ratio.{field}"),
                    format!("must be in 1..=100000, got {v}"),
                ));
            }
        }
        finite_in(
            "transfer.learned_ratio.input_noise_std",
            l.input_noise_std,
            0.0,
            100.0,
        )
    }

    /// What one section allows only with settings of another.
    fn validate_across_sections(&self) -> Result<()> {
        let x = &self.transfer;
        if x.strategy != TransferStrategy::None && !self.agent.use_context {
            return Err(Error::config(
                "transfer.strategy",
                "transfer needs the context encoder (agent.use_context = true)",
            ));
        }
        if self.train.critic_reward == CriticReward::Dense && x.strategy != TransferStrategy::None {
            return Err(Error::config(
                "train.critic_reward",
                "`dense` is PEARL's protocol without transfer: set transfer.strategy = \"none\" \
                 (transferred values are estimated with the env's reward)",
            ));
        }
        let e = &self.env;
        let by_velocity = e.achieved == Achieved::ForwardVelocity;
        if by_velocity != (self.reward.kind == RewardKind::VelocitySparse) {
            return Err(Error::config(
                "reward.kind",
                "`velocity-sparse` and env.achieved = \"forward-velocity\" go together: \
                 the other rewards measure a position",
            ));
        }
        if by_velocity && e.robot == Robot::Point {
            return Err(Error::config(
                "env.achieved",
                "`forward-velocity` needs a simulated robot, not the point",
            ));
        }
        if x.strategy == TransferStrategy::Dr
            && !(e.robot == Robot::Point && e.point.noise_std > 0.0)
        {
            return Err(Error::config(
                "transfer.strategy",
                "`dr` needs exact transition densities: env.robot = \"point\" with env.point.noise_std > 0",
            ));
        }
        if self.eval.tasks > self.tasks.n_test {
            return Err(Error::config(
                "eval.tasks",
                format!("{} > tasks.n_test = {}", self.eval.tasks, self.tasks.n_test),
            ));
        }
        Ok(())
    }
}

fn finite_in(field: &str, v: f32, lo: f32, hi: f32) -> Result<()> {
    if !(v.is_finite() && v >= lo && v <= hi) {
        return Err(Error::config(
            field,
            format!("must be in [{lo}, {hi}], got {v}"),
        ));
    }
    Ok(())
}
