//! The robots drat knows by name (the built-in quadruped and runner, the Unitree A1, the
//! analytic point robot) or by file, and loading a robot's description.

use serde::{Deserialize, Serialize};

use super::robot::RobotModel;
use crate::error::{Error, Result};

/// Which robot: a built-in one or a URDF file. Written in configs as a string (`quadruped`,
/// `runner`, `point`, or a path ending in `.urdf`), parsed once here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Robot {
    /// The built-in Ant-like quadruped.
    Quadruped,
    /// The built-in planar runner.
    Runner,
    /// The Unitree A1 (PyBullet's `a1.urdf`, position control).
    A1,
    /// The analytic point robot.
    Point,
    /// A URDF file (free-floating root, the quadruped's defaults).
    Urdf(std::path::PathBuf),
}

impl Robot {
    /// Parses a robot name or `.urdf` path; the error names what is allowed.
    pub fn parse(s: &str) -> Result<Robot> {
        Ok(match s {
            "quadruped" => Robot::Quadruped,
            "runner" => Robot::Runner,
            "a1" => Robot::A1,
            "point" => Robot::Point,
            p if p.ends_with(".urdf") => Robot::Urdf(p.into()),
            other => {
                return Err(Error::config(
                    "env.robot",
                    format!(
                    "`{other}`: allowed are quadruped, runner, a1, point or a path ending in .urdf"
                ),
                ))
            }
        })
    }

    /// A short name for run names and reports (a URDF's file stem).
    pub fn short_name(&self) -> String {
        match self {
            Robot::Urdf(p) => p
                .file_stem()
                .map_or("robot".into(), |s| s.to_string_lossy().to_string()),
            other => other.to_string(),
        }
    }
}

impl std::fmt::Display for Robot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Robot::Quadruped => f.write_str("quadruped"),
            Robot::Runner => f.write_str("runner"),
            Robot::A1 => f.write_str("a1"),
            Robot::Point => f.write_str("point"),
            Robot::Urdf(p) => write!(f, "{}", p.display()),
        }
    }
}

impl TryFrom<String> for Robot {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        Robot::parse(&s).map_err(|e| e.to_string())
    }
}

impl From<Robot> for String {
    fn from(r: Robot) -> String {
        r.to_string()
    }
}

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
