//! The physics: robot descriptions, per-task dynamics and the Rapier world. Nothing here knows
//! about rewards, tasks or learning.

pub mod dynamics;
pub mod robot;
pub mod settings;
pub mod urdf;
pub mod weld;
pub mod world;

pub use dynamics::{DynamicsParams, DynamicsRanges};
pub use robot::RobotModel;
pub use world::{Control, RootState, SimSettings, SimWorld};

use crate::config::Robot;
use crate::error::{Error, Result};

/// URDF of the built-in Ant-like quadruped.
pub const QUADRUPED_URDF: &str = include_str!("../../assets/robots/quadruped.urdf");
/// URDF of the built-in planar runner.
pub const RUNNER_URDF: &str = include_str!("../../assets/robots/runner.urdf");
/// URDF of the Unitree A1 (PyBullet's, unmodified; see `assets/robots/a1/LICENSE.md`).
pub const A1_URDF: &str = include_str!("../../assets/robots/a1/a1.urdf");

/// Loads a robot's description: the built-in quadruped or runner, or a URDF file.
pub fn load_robot(robot: &Robot) -> Result<RobotModel> {
    match robot {
        Robot::Quadruped => RobotModel::from_urdf_str(QUADRUPED_URDF, "embedded:quadruped.urdf"),
        Robot::Runner => RobotModel::from_urdf_str(RUNNER_URDF, "embedded:runner.urdf"),
        Robot::A1 => RobotModel::from_urdf_str(A1_URDF, "embedded:a1/a1.urdf"),
        Robot::Urdf(path) => RobotModel::from_urdf_file(path),
        Robot::Point => Err(Error::asset(
            "point",
            "the point robot is analytic: it has no robot description",
        )),
    }
}
