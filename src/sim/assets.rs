//! The robots drat knows by name (the built-in quadruped and runner, the Unitree A1,
//! Gymnasium's Ant and HalfCheetah, the analytic point robot) or by file (URDF or MJCF), and
//! loading a robot's description.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::robot::RobotModel;
use crate::error::{Error, Result};

/// Which robot: a built-in one or a robot file. Written in configs as a string (`quadruped`,
/// `runner`, `a1`, `ant`, `half_cheetah`, `point`, or a path ending in `.urdf` or `.xml`),
/// parsed once here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Robot {
    /// The built-in Ant-like quadruped.
    Quadruped,
    /// The built-in planar runner.
    Runner,
    /// The Unitree A1 (PyBullet's `a1.urdf`, position control).
    A1,
    /// Gymnasium 1.4.0's `ant.xml` (Ant-v5's body, unmodified).
    Ant,
    /// Gymnasium 1.4.0's `half_cheetah.xml` (HalfCheetah-v5's body, unmodified).
    HalfCheetah,
    /// The analytic point robot.
    Point,
    /// A URDF file (free-floating root, the quadruped's defaults).
    Urdf(std::path::PathBuf),
    /// An MJCF file (MuJoCo XML).
    Mjcf(std::path::PathBuf),
}

/// What `env.robot` may be, for error messages.
pub const ROBOT_CHOICES: &str =
    "quadruped, runner, a1, ant, half_cheetah, point, or a path ending in .urdf (URDF) or .xml (MJCF)";

impl Robot {
    /// Parses a robot name or `.urdf` path; the error names what is allowed.
    pub fn parse(s: &str) -> Result<Robot> {
        Ok(match s {
            "quadruped" => Robot::Quadruped,
            "runner" => Robot::Runner,
            "a1" => Robot::A1,
            "ant" => Robot::Ant,
            "half_cheetah" => Robot::HalfCheetah,
            "point" => Robot::Point,
            p if p.ends_with(".urdf") => Robot::Urdf(p.into()),
            p if p.ends_with(".xml") => Robot::Mjcf(p.into()),
            other => {
                return Err(Error::config(
                    "env.robot",
                    format!("`{other}`: allowed are {ROBOT_CHOICES}"),
                ))
            }
        })
    }

    /// A short name for run names and reports (a URDF's file stem).
    pub fn short_name(&self) -> String {
        match self {
            Robot::Urdf(p) | Robot::Mjcf(p) => p
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
            Robot::Ant => f.write_str("ant"),
            Robot::HalfCheetah => f.write_str("half_cheetah"),
            Robot::Point => f.write_str("point"),
            Robot::Urdf(p) | Robot::Mjcf(p) => write!(f, "{}", p.display()),
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

/// Gymnasium 1.4.0's `ant.xml`, unmodified (MIT; see `assets/robots/ant/LICENSE.md`).
pub const ANT_XML: &str = include_str!("../../assets/robots/ant/ant.xml");
/// Gymnasium 1.4.0's `half_cheetah.xml`, unmodified (MIT; see
/// `assets/robots/half_cheetah/LICENSE.md`).
pub const HALF_CHEETAH_XML: &str =
    include_str!("../../assets/robots/half_cheetah/half_cheetah.xml");

/// Loads a robot's description: a built-in robot, or a URDF or MJCF file.
pub fn load_robot(robot: &Robot) -> Result<RobotModel> {
    match robot {
        Robot::Quadruped => RobotModel::from_urdf_str(QUADRUPED_URDF, "embedded:quadruped.urdf"),
        Robot::Runner => RobotModel::from_urdf_str(RUNNER_URDF, "embedded:runner.urdf"),
        Robot::A1 => RobotModel::from_urdf_str(A1_URDF, "embedded:a1/a1.urdf"),
        Robot::Ant => RobotModel::from_mjcf_str(ANT_XML, Path::new("."), "embedded:ant/ant.xml"),
        Robot::HalfCheetah => RobotModel::from_mjcf_str(
            HALF_CHEETAH_XML,
            Path::new("."),
            "embedded:half_cheetah/half_cheetah.xml",
        ),
        Robot::Urdf(path) => RobotModel::from_urdf_file(path),
        Robot::Mjcf(path) => RobotModel::from_mjcf_file(path),
        Robot::Point => Err(Error::asset(
            "point",
            "the point robot is analytic: it has no robot description",
        )),
    }
}
