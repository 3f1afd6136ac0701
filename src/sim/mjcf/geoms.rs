//! Bodies' mass properties and geoms' shapes (see the module doc of [`super`]).

use std::path::Path;

use mjcf_rs::body::{Body, Geom, GeomType};
use mjcf_rs::compiler::InertiaFromGeom;
use mjcf_rs::glam::{DQuat, DVec3};
use mjcf_rs::Model;
use rapier3d::math::{Pose, Real, Vector};
use rapier3d::prelude::MassProperties;

use super::conv::{to_pose, to_rot, to_vec3, Conv, DEFAULT_DENSITY};
use crate::error::Result;
use crate::sim::robot::{inertia_array, CollisionDesc, LinkDesc, ShapeDesc};

impl Conv<'_> {
    /// A body as a link: its mass properties and floor-touching shapes, in the link frame
    /// (the body frame moved to its hinge by `shift`).
    pub(super) fn link(&self, body: &Body, name: &str, shift: Vector) -> Result<LinkDesc> {
        let to_link = Pose::from_translation(-shift);
        let mp = self.body_mass(body, name)?.transform_by(&to_link);
        let mut collisions = Vec::new();
        for g in &body.geoms {
            if self.touches_floor(g) {
                let (shape, pose) = self.shape(g, name)?;
                collisions.push(CollisionDesc {
                    origin: to_link * pose,
                    shape,
                    friction_scale: g.friction[0].max(self.floor.friction) as Real,
                    skin_m: g.margin.clamp(0.0, 1.0) as Real,
                });
            }
        }
        Ok(LinkDesc {
            name: name.to_string(),
            mass_kg: mp.mass(),
            com: mp.local_com,
            inertia: (mp.mass() > 0.0).then(|| inertia_array(mp.reconstruct_inertia_matrix())),
            collisions,
            visuals: Vec::new(),
            merged: Vec::new(),
        })
    }

    /// Whether MuJoCo's contact filter lets a geom touch the floor.
    fn touches_floor(&self, g: &Geom) -> bool {
        (g.contype & self.floor.conaffinity) != 0 || (self.floor.contype & g.conaffinity) != 0
    }

    /// A body's mass properties in its MJCF frame: `<inertial>`, or the geoms' under
    /// `inertiafromgeom`.
    fn body_mass(&self, body: &Body, name: &str) -> Result<MassProperties> {
        let from_geoms = match self.m.compiler.inertia_from_geom {
            InertiaFromGeom::True => true,
            InertiaFromGeom::False => false,
            InertiaFromGeom::Auto => body.inertial.is_none(),
        };
        if !from_geoms {
            return Ok(body
                .inertial
                .as_ref()
                .map_or(MassProperties::default(), inertial_props));
        }
        let mut mp = MassProperties::default();
        for g in &body.geoms {
            if g.type_ == GeomType::Plane {
                continue;
            }
            let (shape, pose) = self.shape(g, name)?;
            let (s, shape_pose) = shape.to_shape();
            let unit = s.mass_properties(1.0);
            // An ellipsoid's hull is a little smaller than it: MuJoCo's mass is the exact one.
            let volume = if g.type_ == GeomType::Ellipsoid {
                (4.0 / 3.0 * std::f64::consts::PI * g.size[0] * g.size[1] * g.size[2]) as Real
            } else {
                unit.mass()
            };
            let density = match g.mass {
                Some(m) if unit.mass() > 0.0 => m as Real / unit.mass(),
                _ => g.density.unwrap_or(DEFAULT_DENSITY) as Real * volume / unit.mass().max(1e-12),
            };
            mp += s
                .mass_properties(density)
                .transform_by(&(pose * shape_pose));
        }
        Ok(mp)
    }

    /// A floor-touching geom's `margin` and `friction`: finite and ≥ 0 (`what` names it).
    fn check_contact(&self, g: &Geom, what: &str) -> Result<()> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if ok(g.margin) && g.friction.iter().all(|&f| ok(f)) {
            return Ok(());
        }
        Err(self.err(format!(
            "{what}: `margin` and `friction` must be finite and ≥ 0, got {} and {:?}",
            g.margin, g.friction
        )))
    }

    /// A geom's shape and its pose in the body frame.
    fn shape(&self, g: &Geom, body: &str) -> Result<(ShapeDesc, Pose)> {
        let what = || {
            format!(
                "<geom{} type=\"{}\"> of body `{body}`",
                g.name
                    .as_ref()
                    .map(|n| format!(" name=\"{n}\""))
                    .unwrap_or_default(),
                format!("{:?}", g.type_).to_lowercase()
            )
        };
        self.check_contact(g, &what())?;
        let size = g.size;
        let bad = |v: f64| !(v.is_finite() && v > 0.0 && v < 1e4);
        let (pose, half_len) = match g.fromto {
            Some(ft) => {
                let (p1, p2) = (
                    DVec3::new(ft[0], ft[1], ft[2]),
                    DVec3::new(ft[3], ft[4], ft[5]),
                );
                let d = p2 - p1;
                if !d.is_finite() || d.length() < 1e-9 {
                    return Err(self.err(format!(
                        "{}: `fromto` has zero length or is not finite",
                        what()
                    )));
                }
                let rot = DQuat::from_rotation_arc(DVec3::Z, d.normalize());
                let pose = Pose::from_parts(to_vec3((p1 + p2) * 0.5), to_rot(rot));
                (pose, d.length() * 0.5)
            }
            None => (to_pose(&g.pose), size[1]),
        };
        let shape = match g.type_ {
            GeomType::Sphere if !bad(size[0]) => ShapeDesc::Sphere {
                radius_m: size[0] as Real,
            },
            GeomType::Capsule if !bad(size[0]) && !bad(half_len) => ShapeDesc::Capsule {
                radius_m: size[0] as Real,
                length_m: 2.0 * half_len as Real,
            },
            GeomType::Cylinder if !bad(size[0]) && !bad(half_len) => ShapeDesc::Cylinder {
                radius_m: size[0] as Real,
                length_m: 2.0 * half_len as Real,
            },
            GeomType::Box => {
                let half = if g.fromto.is_some() {
                    [size[0], size[1], half_len]
                } else {
                    size
                };
                if half.iter().any(|&h| bad(h)) {
                    return Err(self.err(format!(
                        "{}: sizes must be in (0, 1e4), got {half:?}",
                        what()
                    )));
                }
                ShapeDesc::Box {
                    size_m: half.map(|h| 2.0 * h as Real),
                }
            }
            GeomType::Ellipsoid if size.iter().all(|&h| !bad(h)) => ShapeDesc::ConvexHull {
                points: ellipsoid_points(size),
            },
            GeomType::Mesh => self.mesh_hull(g, &what())?,
            GeomType::Sphere | GeomType::Capsule | GeomType::Cylinder | GeomType::Ellipsoid => {
                return Err(self.err(format!(
                    "{}: sizes must be in (0, 1e4), got {size:?}",
                    what()
                )))
            }
            _ => return Err(self.err(format!(
                "{}: supported geom types are sphere, capsule, cylinder, box, ellipsoid, mesh (and a world plane)",
                what()
            ))),
        };
        Ok((shape, pose))
    }

    /// A `mesh` geom: the convex hull of its asset's file, the asset's `scale` applied.
    fn mesh_hull(&self, g: &Geom, what: &str) -> Result<ShapeDesc> {
        let name = g.mesh.as_deref().unwrap_or("");
        let asset = self
            .m
            .assets
            .meshes
            .iter()
            .find(|a| {
                a.name.as_deref() == Some(name)
                    || (a.name.is_none()
                        && a.file
                            .as_deref()
                            .is_some_and(|f| Path::new(f).file_stem().is_some_and(|s| s == name)))
            })
            .ok_or_else(|| self.err(format!("{what}: no <mesh> asset named `{name}`")))?;
        let scale = asset.scale.map(|v| v as Real);
        let points = if let Some(v) = &asset.inline_vertices {
            let pts: Vec<[Real; 3]> = v
                .chunks_exact(3)
                .map(|c| {
                    [
                        c[0] as Real * scale[0],
                        c[1] as Real * scale[1],
                        c[2] as Real * scale[2],
                    ]
                })
                .collect();
            crate::sim::mesh::hull_of(&pts).map_err(|e| self.err(format!("{what}: {e}")))?
        } else {
            let path = self
                .m
                .resolve_mesh_file(asset, self.base)
                .ok_or_else(|| self.err(format!("{what}: mesh asset `{name}` has no file")))?;
            if !path.is_file() {
                return Err(self.err(format!("{what}: mesh file `{}` not found", path.display())));
            }
            crate::sim::mesh::convex_hull_points(&path, scale)
                .map_err(|e| crate::sim::mesh::in_robot_file(self.file, what, e))?
        };
        Ok(ShapeDesc::ConvexHull { points })
    }
}

/// Points on an ellipsoid of half-axes `size` (a latitude–longitude grid, 12 × 24): its hull
/// is the collision shape (Rapier has no ellipsoid).
fn ellipsoid_points(size: [f64; 3]) -> Vec<[Real; 3]> {
    let mut pts = vec![[0.0, 0.0, size[2] as Real], [0.0, 0.0, -size[2] as Real]];
    for i in 1..12 {
        let th = std::f64::consts::PI * i as f64 / 12.0;
        for j in 0..24 {
            let ph = std::f64::consts::TAU * j as f64 / 24.0;
            pts.push([
                (size[0] * th.sin() * ph.cos()) as Real,
                (size[1] * th.sin() * ph.sin()) as Real,
                (size[2] * th.cos()) as Real,
            ]);
        }
    }
    pts
}

/// `<compiler settotalmass>`: every mass and inertia scaled so the robot weighs that.
pub(super) fn set_total_mass(m: &Model, links: &mut [LinkDesc]) {
    let target = m.compiler.set_total_mass as Real;
    let total: Real = links.iter().map(|l| l.mass_kg).sum();
    if target <= 0.0 || total <= 0.0 {
        return;
    }
    let k = target / total;
    for l in links {
        l.mass_kg *= k;
        if let Some(i) = &mut l.inertia {
            for v in i.iter_mut() {
                *v *= k;
            }
        }
    }
}

/// The combined (geom, floor) friction most collision shapes share.
pub(super) fn nominal_friction(links: &[LinkDesc]) -> Real {
    let mut counts: Vec<(Real, usize)> = Vec::new();
    for c in links.iter().flat_map(|l| &l.collisions) {
        match counts
            .iter_mut()
            .find(|(f, _)| (f - c.friction_scale).abs() <= 1e-6 * f.abs())
        {
            Some((_, n)) => *n += 1,
            None => counts.push((c.friction_scale, 1)),
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .map_or(1.0, |(f, _)| f)
        .max(1e-6)
}

/// `<inertial>` as mass properties in the body frame.
fn inertial_props(i: &mjcf_rs::body::Inertial) -> MassProperties {
    let mass = i.mass as Real;
    let com = to_vec3(i.pose.translation);
    let rot = to_rot(i.pose.rotation);
    match i.inertia {
        mjcf_rs::body::InertiaSpec::Diagonal(d) => MassProperties::with_principal_inertia_frame(
            com,
            mass,
            Vector::new(d[0] as Real, d[1] as Real, d[2] as Real),
            rot,
        ),
        mjcf_rs::body::InertiaSpec::Full(f) => {
            let local = rapier3d::math::Matrix::from_cols_array(
                &[f[0], f[3], f[4], f[3], f[1], f[5], f[4], f[5], f[2]].map(|v| v as Real),
            );
            let r = rapier3d::math::Matrix::from_quat(rot);
            MassProperties::with_inertia_matrix(com, mass, r * local * r.transpose())
        }
    }
}
