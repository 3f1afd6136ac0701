//! The physics: robot descriptions, per-task dynamics and the Rapier world. Nothing here knows
//! about rewards, tasks or learning.

pub mod dynamics;
pub mod robot;
pub mod world;

pub use dynamics::{DynamicsParams, DynamicsRanges};
pub use robot::RobotModel;
pub use world::{RootState, SimSettings, SimWorld};

use crate::error::{Error, Result};

/// URDF of the built-in Ant-like quadruped.
pub const QUADRUPED_URDF: &str = include_str!("../../assets/robots/quadruped.urdf");
/// URDF of the built-in planar runner.
pub const RUNNER_URDF: &str = include_str!("../../assets/robots/runner.urdf");

/// Loads a robot: a built-in name (`quadruped`, `runner`) or a path to a URDF file.
pub fn load_robot(name_or_path: &str) -> Result<RobotModel> {
    match name_or_path {
        "quadruped" => RobotModel::from_urdf_str(QUADRUPED_URDF, "embedded:quadruped.urdf"),
        "runner" => RobotModel::from_urdf_str(RUNNER_URDF, "embedded:runner.urdf"),
        path if path.ends_with(".urdf") => RobotModel::from_urdf_file(std::path::Path::new(path)),
        other => Err(Error::asset(
            other,
            "unknown robot: use `quadruped`, `runner` or a path to a .urdf file",
        )),
    }
}
