//! The physics: robot descriptions, per-task dynamics and the Rapier world. Nothing here knows
//! about rewards, tasks or learning.

pub mod assets;
mod build;
pub mod contacts;
pub mod dynamics;
pub mod joints;
pub mod mesh;
pub mod mjcf;
pub mod profile;
pub mod quirks;
pub mod robot;
pub mod settings;
pub mod stance;
pub mod urdf;
pub mod weld;
pub mod world;

pub use assets::{
    load_robot, Robot, A1_URDF, ANT_XML, HALF_CHEETAH_XML, QUADRUPED_URDF, ROBOT_CHOICES,
    RUNNER_URDF,
};
pub use dynamics::{DynamicsParams, DynamicsRanges};
pub use profile::PhysicsProfile;
pub use robot::RobotModel;
pub use world::{Control, RootState, SimSettings, SimWorld};
