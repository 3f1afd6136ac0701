//! [`EnvMaker`]: one configured family of envs, the robot description loaded once and shared.

use std::sync::Arc;

use super::contract::Env;
use super::task::{Task, TaskSet};
use super::{locomotion, point};
use crate::config::Config;
use crate::error::Result;
use crate::sim::dynamics::DynamicsShape;
use crate::sim::{load_robot, Robot, RobotModel};

/// Makes envs of one configured family: loads the robot once and shares it.
#[derive(Clone)]
pub struct EnvMaker {
    cfg: Config,
    robot: Option<Arc<RobotModel>>,
}

impl EnvMaker {
    /// Loads the robot description named by `cfg.env.robot` (none for the point robot).
    pub fn new(cfg: &Config) -> Result<Self> {
        let robot = match &cfg.env.robot {
            Robot::Point => None,
            other => Some(Arc::new(load_robot(other)?)),
        };
        Ok(EnvMaker {
            cfg: cfg.clone(),
            robot,
        })
    }

    /// Number of bodies whose mass a task scales (1 for the point robot).
    pub fn n_bodies(&self) -> usize {
        match &self.robot {
            None => 1,
            Some(m) => m.n_bodies(),
        }
    }

    /// What a task's dynamics scale on this robot (the point robot: one body).
    pub fn dynamics_shape(&self) -> DynamicsShape {
        match &self.robot {
            None => DynamicsShape::bodies(1),
            Some(m) => m.dynamics_shape(),
        }
    }

    /// The task family of this config.
    pub fn task_set(&self) -> Result<TaskSet> {
        TaskSet::sample(&self.cfg.tasks, &self.dynamics_shape())
    }

    /// An env for `task`.
    pub fn make(&self, task: Task) -> Result<Box<dyn Env>> {
        Ok(match &self.robot {
            None => Box::new(point::PointEnv::new(&self.cfg, task)?),
            Some(m) => Box::new(locomotion::LocomotionEnv::new(&self.cfg, m.clone(), task)?),
        })
    }

    /// The robot description (none for the point robot).
    pub fn robot(&self) -> Option<&RobotModel> {
        self.robot.as_deref()
    }

    /// The config envs are made from.
    pub fn config(&self) -> &Config {
        &self.cfg
    }
}
