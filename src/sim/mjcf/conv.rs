//! The state of one conversion and the small helpers every part of it uses.

use std::path::Path;

use mjcf_rs::glam::{DQuat, DVec3};
use mjcf_rs::Model;
use rapier3d::math::{Pose, Real, Rotation, Vector};

use crate::error::Error;

/// MuJoCo's default geom density (kg/m³).
pub(super) const DEFAULT_DENSITY: f64 = 1000.0;

/// The world's floor: a `plane` geom of the world body.
#[derive(Clone, Copy)]
pub(super) struct Floor {
    pub(super) contype: u32,
    pub(super) conaffinity: u32,
    pub(super) friction: f64,
    pub(super) margin: f64,
}

/// The conversion of one parsed model, with what it has learned so far.
pub(super) struct Conv<'a> {
    pub(super) m: &'a Model,
    pub(super) file: &'a str,
    /// The model's directory (mesh files are relative to it).
    pub(super) base: &'a Path,
    pub(super) floor: Floor,
    pub(super) notes: Vec<String>,
}

impl Conv<'_> {
    pub(super) fn err(&self, msg: String) -> Error {
        Error::asset(self.file, msg)
    }
}

/// A body's name, or `body{index}` for an unnamed one.
pub(super) fn body_name(m: &Model, b: usize) -> String {
    m.bodies[b]
        .body
        .name
        .clone()
        .unwrap_or_else(|| format!("body{b}"))
}

pub(super) fn to_vec(v: [f64; 3]) -> Vector {
    Vector::new(v[0] as Real, v[1] as Real, v[2] as Real)
}

pub(super) fn to_vec3(v: DVec3) -> Vector {
    Vector::new(v.x as Real, v.y as Real, v.z as Real)
}

pub(super) fn to_rot(q: DQuat) -> Rotation {
    Rotation::from_xyzw(q.x as Real, q.y as Real, q.z as Real, q.w as Real).normalize()
}

pub(super) fn to_pose(p: &mjcf_rs::Pose) -> Pose {
    Pose::from_parts(to_vec3(p.translation), to_rot(p.rotation))
}
