//! The MJCF reader: turns a MuJoCo `<mujoco>` model into a [`RobotModel`] (links, joints,
//! collision shapes, masses), so an MJCF robot runs in the same multibody world, with the
//! same per-task mass and friction scaling, as a URDF one.
//!
//! Parsing (includes, `<default>` classes and `childclass`, angle units, `fromto`) is
//! `mjcf-rs`'s, dimforge's parser behind `rapier3d-mjcf`. Why not `rapier3d-mjcf` itself: it
//! inserts bodies, colliders and joint motors straight into a Rapier world, while drat builds
//! its world from a [`RobotModel`] (per-task mass scaling before Rapier sees a body, welding
//! with exact inertia combination, the action layout, the replay's shapes, the env checker's
//! notes), so the conversion from the parsed model is ours, here.
//!
//! What it reads (anything that would change the physics and cannot be represented is an
//! error naming the file and the element):
//! - The robot is the one top-level body that moves (its subtree has joints). Its joints
//!   to the world: `<freejoint>`/`type="free"` (a floating root), none (bolted to the world),
//!   or two `slide` and one `hinge` joint whose slides span the plane normal to the hinge
//!   (a planar root, as HalfCheetah's `rootx`, `rootz`, `rooty`). Other top-level bodies
//!   without joints are ignored, with a note.
//! - Every other body has no joint (welded into its parent) or one `hinge` (revolute when
//!   `limited`, continuous otherwise; its `pos` becomes the link frame's origin). `range`,
//!   `damping`, `armature`, `stiffness`, `springref` and `frictionloss` (Rapier's per-DOF
//!   dry friction, MuJoCo's meaning) are kept.
//! - Masses: `<inertial>` (`diaginertia` or `fullinertia`), or under `inertiafromgeom` the
//!   geoms' at their `density` (or `mass`), as MuJoCo computes them; `settotalmass` rescales.
//! - Geoms: `sphere`, `capsule`, `cylinder`, `box` (with `fromto` where MJCF allows it),
//!   `ellipsoid` (the hull of 266 points on it, massed as the exact ellipsoid) and `mesh` (the
//!   convex hull of the asset's OBJ or STL file or inline vertices, its `scale` applied; see
//!   [`super::mesh`]). A
//!   geom becomes a collision shape when MuJoCo's `contype`/`conaffinity` rule lets it touch
//!   the floor (a `plane` geom of the world, which becomes drat's ground halfspace at z = 0);
//!   others only carry mass. drat's robots never collide with themselves: pairs MuJoCo would
//!   test (after parent–child filtering and `<contact><exclude>`) are counted in a note.
//!   A geom's `margin` is a contact skin (MuJoCo adds the two geoms' margins and rests a
//!   shape that far above the floor; Rapier's skins add the same way).
//!   Friction: MuJoCo combines a geom's and the floor's sliding friction by `max`; the most
//!   common combined value is the file's nominal friction ([`ModelHints::nominal_friction`])
//!   and each shape keeps its ratio to it.
//! - Actuators, in file order (the action layout): `<motor joint gear ctrlrange>` with a
//!   symmetric `ctrlrange` (torque `a·gear·ctrlmax` for a unit action `a`), or `<position
//!   kp [kv]>` servos (then [`ModelHints::position_servo`]; targets come from drat's PD
//!   settings). `<option timestep>` is kept as [`ModelHints::timestep_s`].
//! - Ignored, each with a note (`drat check` prints them): the integrator, sensors,
//!   keyframes, contact pairs, cameras and lights.

use std::collections::HashMap;
use std::path::Path;

use mjcf_rs::body::{Body, Geom, GeomType, Joint, JointType};
use mjcf_rs::compiler::InertiaFromGeom;
use mjcf_rs::extras::ActuatorKind;
use mjcf_rs::glam::{DQuat, DVec3};
use mjcf_rs::Model;
use rapier3d::math::{Pose, Real, Rotation, Vector};
use rapier3d::prelude::MassProperties;

use super::robot::{
    inertia_array, CollisionDesc, JointDesc, JointKind, LinkDesc, ModelHints, RobotModel, ShapeDesc,
};
use super::urdf::clean_xml_text;
use super::weld::merge_fixed;
use crate::error::{Error, Result};

impl RobotModel {
    /// Reads an MJCF file (includes and meshes relative to it), fixed bodies welded.
    pub fn from_mjcf_file(path: &Path) -> Result<Self> {
        Ok(merge_fixed(mjcf_bodies(path)?))
    }

    /// Parses MJCF text; `base_dir` resolves includes, `file` names the source in errors.
    pub fn from_mjcf_str(text: &str, base_dir: &Path, file: &str) -> Result<Self> {
        let m = Model::from_str(clean_xml_text(text), base_dir)
            .map_err(|e| Error::asset(file, e.to_string()))?;
        Ok(merge_fixed(convert(&m, file, base_dir)?))
    }
}

/// An MJCF file's bodies one link each, before welding: what MuJoCo's per-body
/// `body_mass`/`body_inertia` describe (the fidelity test compares them).
pub fn mjcf_bodies(path: &Path) -> Result<RobotModel> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let m = Model::from_str(clean_xml_text(&text), base)
        .map_err(|e| Error::asset(&file, e.to_string()))?;
    convert(&m, &file, base)
}

/// MuJoCo's default geom density (kg/m³).
const DEFAULT_DENSITY: f64 = 1000.0;

/// The world's floor: a `plane` geom of the world body.
#[derive(Clone, Copy)]
struct Floor {
    contype: u32,
    conaffinity: u32,
    friction: f64,
    margin: f64,
}

/// The conversion of one parsed model, with what it has learned so far.
struct Conv<'a> {
    m: &'a Model,
    file: &'a str,
    /// The model's directory (mesh files are relative to it).
    base: &'a Path,
    floor: Floor,
    notes: Vec<String>,
}

fn convert(m: &Model, file: &str, base: &Path) -> Result<RobotModel> {
    let err = |msg: String| Error::asset(file, msg);
    let mut notes = Vec::new();
    let floor = world_floor(m, &mut notes);
    let root = robot_root(m, file, &mut notes)?;
    let mut c = Conv {
        m,
        file,
        base,
        floor,
        notes,
    };
    let subtree = subtree(m, root);
    let (mut links, mut joints, link_of) = c.links_and_joints(root, &subtree)?;
    set_total_mass(m, &mut links);
    let n_act = c.actuators(&mut joints, &link_of, &subtree)?;
    if n_act == 0 {
        return Err(err("no <actuator> drives a joint of the robot".into()));
    }
    c.self_collision_note(&subtree);
    c.ignored_notes();
    let nominal = nominal_friction(&links);
    for l in &mut links {
        for col in &mut l.collisions {
            col.friction_scale /= nominal;
        }
    }
    let hints = ModelHints {
        timestep_s: Some(m.option.timestep as Real),
        nominal_friction: Some(nominal),
        root_height_m: Some(m.bodies[root].body.pose.translation.z as Real),
        position_servo: position_servo(m),
        mujoco_layout: true,
        floor_skin_m: floor.margin as Real,
        start_inside_limits: true,
    };
    Ok(RobotModel {
        name: m.name.clone().unwrap_or_else(|| "robot".into()),
        links,
        joints,
        notes: c.notes,
        hints,
    })
}

/// The floor plane of the world body (MuJoCo's defaults when there is none: drat always has
/// a ground).
fn world_floor(m: &Model, notes: &mut Vec<String>) -> Floor {
    let world = &m.bodies[0].body;
    let planes: Vec<&Geom> = world
        .geoms
        .iter()
        .filter(|g| g.type_ == GeomType::Plane)
        .collect();
    let others = world.geoms.len() - planes.len();
    if others > 0 {
        notes.push(format!(
            "{others} non-plane geom(s) of the world body ignored (drat's world is the robot on a flat ground)"
        ));
    }
    match planes.first() {
        Some(p) => {
            let t = p.pose.translation;
            if t.z.abs() > 1e-9 || (p.pose.rotation.w.abs() - 1.0).abs() > 1e-9 {
                notes.push(format!(
                    "the floor plane `{}` is drat's ground: the halfspace z ≤ 0",
                    p.name.as_deref().unwrap_or("")
                ));
            }
            Floor {
                contype: p.contype,
                conaffinity: p.conaffinity,
                friction: p.friction[0],
                margin: p.margin.clamp(0.0, 1.0),
            }
        }
        None => {
            notes.push("no floor plane in the file: drat's ground (friction 1) is added".into());
            Floor {
                contype: 1,
                conaffinity: 1,
                friction: 1.0,
                margin: 0.0,
            }
        }
    }
}

/// The one top-level body whose subtree has joints.
fn robot_root(m: &Model, file: &str, notes: &mut Vec<String>) -> Result<usize> {
    let top: Vec<usize> = (1..m.bodies.len())
        .filter(|&b| m.bodies[b].parent == Some(0))
        .collect();
    let mut moving: Vec<usize> = top
        .iter()
        .copied()
        .filter(|&b| {
            subtree(m, b)
                .iter()
                .any(|&d| !m.bodies[d].body.joints.is_empty())
        })
        .collect();
    // Several moving bodies (a robot and a ball, say): the robot is the one actuators drive.
    if moving.len() > 1 {
        let driven = |b: usize| {
            m.actuators.iter().any(|a| {
                a.joint
                    .as_deref()
                    .and_then(|j| m.joint_by_name(j))
                    .is_some_and(|(body, _)| subtree(m, b).contains(&body))
            })
        };
        let robots: Vec<usize> = moving.iter().copied().filter(|&b| driven(b)).collect();
        if robots.len() == 1 {
            notes.push(format!(
                "{} other moving top-level body(ies) ignored (no actuator drives them)",
                moving.len() - 1
            ));
            moving = robots;
        }
    }
    match moving.as_slice() {
        [one] => {
            let fixed = top
                .iter()
                .filter(|&&b| {
                    subtree(m, b)
                        .iter()
                        .all(|&d| m.bodies[d].body.joints.is_empty())
                })
                .count();
            if fixed > 0 {
                notes.push(format!(
                    "{fixed} top-level body(ies) without joints ignored (only the robot is simulated)"
                ));
            }
            Ok(*one)
        }
        [] => Err(Error::asset(
            file,
            "<worldbody> has no body with a joint: nothing to simulate".to_string(),
        )),
        many => Err(Error::asset(
            file,
            format!(
                "<worldbody> has {} moving bodies ({}); drat simulates one robot",
                many.len(),
                many.iter()
                    .map(|&b| body_name(m, b))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// `b` and its descendants, in the file's (parent-before-child) order.
fn subtree(m: &Model, b: usize) -> Vec<usize> {
    let mut inside = vec![false; m.bodies.len()];
    inside[b] = true;
    let mut out = vec![b];
    for i in b + 1..m.bodies.len() {
        if let Some(p) = m.bodies[i].parent {
            if inside[p] {
                inside[i] = true;
                out.push(i);
            }
        }
    }
    out
}

fn body_name(m: &Model, b: usize) -> String {
    m.bodies[b]
        .body
        .name
        .clone()
        .unwrap_or_else(|| format!("body{b}"))
}

impl Conv<'_> {
    fn err(&self, msg: String) -> Error {
        Error::asset(self.file, msg)
    }

    /// One link per body (a `world` link first for a root attached to the world) and one
    /// joint per body but a floating root; `link_of[body]` is the body's link index.
    fn links_and_joints(
        &mut self,
        root: usize,
        subtree: &[usize],
    ) -> Result<(Vec<LinkDesc>, Vec<JointDesc>, HashMap<usize, usize>)> {
        let mut links = Vec::new();
        let mut joints = Vec::new();
        let mut link_of = HashMap::new();
        // Per body: the shift from its MJCF frame to its link frame (the hinge's `pos`).
        let mut shift: HashMap<usize, Vector> = HashMap::new();
        let root_body = &self.m.bodies[root].body;
        let root_kind = self.root_joint(root_body, &body_name(self.m, root))?;
        // A planar root's hinge `pos` moves the root's link frame, as a hinge's does.
        let mut root_shift = Vector::ZERO;
        if let Some((kind, axis, s)) = root_kind {
            root_shift = s;
            links.push(world_link());
            joints.push(JointDesc {
                name: format!("{}_root", body_name(self.m, root)),
                kind,
                parent: 0,
                child: 1,
                origin: to_pose(&root_body.pose) * Pose::from_translation(s),
                axis,
                ..passive_joint(0)
            });
        }
        for &b in subtree {
            let name = body_name(self.m, b);
            let body = &self.m.bodies[b].body;
            let s = if b == root {
                root_shift
            } else {
                let parent = self.m.bodies[b]
                    .parent
                    .expect("non-world bodies have parents");
                let hinges = self.body_hinges(body, &name)?;
                // The body's frame in the frame of the link its first joint hangs off.
                let mut frame = Pose::from_translation(-shift[&parent]) * to_pose(&body.pose);
                let mut from = link_of[&parent];
                if hinges.is_empty() {
                    joints.push(JointDesc {
                        name: format!("{name}_weld"),
                        kind: JointKind::Fixed,
                        parent: from,
                        child: links.len(),
                        origin: frame,
                        ..passive_joint(joints.len())
                    });
                }
                // MuJoCo applies a body's hinges in order, each about its `pos`: one link per
                // hinge, the ones before the last a light joint frame (see `joint_frame`).
                for (i, (j, kind)) in hinges.iter().enumerate() {
                    let p = to_vec(j.pos);
                    let mut jd = self.hinge(j, *kind, joints.len());
                    jd.name = j.name.clone().unwrap_or_else(|| format!("{name}_joint{i}"));
                    jd.kind = *kind;
                    jd.parent = from;
                    jd.origin = frame * Pose::from_translation(p);
                    jd.child = if i + 1 < hinges.len() {
                        links.push(joint_frame(&name, i, &links[from]));
                        links.len() - 1
                    } else {
                        links.len()
                    };
                    from = jd.child;
                    joints.push(jd);
                    frame = Pose::from_translation(-p);
                }
                hinges.last().map_or(Vector::ZERO, |(j, _)| to_vec(j.pos))
            };
            shift.insert(b, s);
            link_of.insert(b, links.len());
            links.push(self.link(body, &name, s)?);
        }
        Ok((links, joints, link_of))
    }

    /// How the robot's root is attached: `None` floats freely, `Some` hangs off `world`
    /// (the joint kind, its axis and the link frame's shift from the body frame).
    fn root_joint(&self, body: &Body, name: &str) -> Result<Option<(JointKind, Vector, Vector)>> {
        let types: Vec<JointType> = body.joints.iter().map(|j| j.type_).collect();
        match types.as_slice() {
            [JointType::Free] => Ok(None),
            [] => Ok(Some((JointKind::Fixed, Vector::Z, Vector::ZERO))),
            _ => self.planar_root(body, name).map(Some),
        }
    }

    /// Two slides and a hinge whose axis is normal to both: a planar joint about the hinge's
    /// `pos` (the slides' `pos` does not matter).
    fn planar_root(&self, body: &Body, name: &str) -> Result<(JointKind, Vector, Vector)> {
        let hinges: Vec<&Joint> = body
            .joints
            .iter()
            .filter(|j| j.type_ == JointType::Hinge)
            .collect();
        let slides: Vec<&Joint> = body
            .joints
            .iter()
            .filter(|j| j.type_ == JointType::Slide)
            .collect();
        let unsupported = || {
            self.err(format!(
                "<body name=\"{name}\">: the root's joints must be a <freejoint>, none, or two slides and a hinge normal to them (a planar root); got {}",
                body.joints.iter().map(|j| format!("{:?}", j.type_).to_lowercase()).collect::<Vec<_>>().join(", ")
            ))
        };
        if hinges.len() != 1 || slides.len() != 2 || body.joints.len() != 3 {
            return Err(unsupported());
        }
        let n = to_vec(hinges[0].axis).normalize_or_zero();
        let (a, b) = (to_vec(slides[0].axis), to_vec(slides[1].axis));
        let perpendicular =
            n.dot(a).abs() < 1e-6 && n.dot(b).abs() < 1e-6 && a.cross(b).length() > 1e-6;
        let pos = to_vec(hinges[0].pos);
        if !(perpendicular && n.length() > 0.5 && pos.is_finite()) {
            return Err(unsupported());
        }
        Ok((JointKind::Planar, n, pos))
    }

    /// A non-root body's joints: none (welded) or hinges, each revolute when limited.
    fn body_hinges<'b>(&self, body: &'b Body, name: &str) -> Result<Vec<(&'b Joint, JointKind)>> {
        body.joints
            .iter()
            .map(|j| {
                if j.type_ != JointType::Hinge {
                    return Err(self.err(format!(
                        "<body name=\"{name}\">: joint `{}` is a {} joint; below the root only hinges are supported",
                        j.name.as_deref().unwrap_or(""),
                        format!("{:?}", j.type_).to_lowercase()
                    )));
                }
                let limited = j.limited.resolve(self.m.compiler.autolimits, j.range.is_some());
                let kind = if limited && j.range.is_some() {
                    JointKind::Revolute
                } else {
                    JointKind::Continuous
                };
                Ok((j, kind))
            })
            .collect()
    }

    /// A hinge's description (parent, child and origin are set by the caller).
    fn hinge(&self, j: &Joint, kind: JointKind, index: usize) -> JointDesc {
        JointDesc {
            axis: to_vec(j.axis).normalize_or(Vector::Z),
            limits: (kind == JointKind::Revolute)
                .then(|| j.range.map(|r| [r[0] as Real, r[1] as Real]))
                .flatten(),
            damping: j.damping as Real,
            armature: j.armature as Real,
            stiffness: j.stiffness as Real,
            spring_ref_rad: j.springref as Real,
            frictionloss: j.frictionloss as Real,
            ..passive_joint(index)
        }
    }

    /// A body as a link: its mass properties and floor-touching shapes, in the link frame
    /// (the body frame moved to its hinge by `shift`).
    fn link(&self, body: &Body, name: &str, shift: Vector) -> Result<LinkDesc> {
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
            super::mesh::hull_of(&pts).map_err(|e| self.err(format!("{what}: {e}")))?
        } else {
            let path = self
                .m
                .resolve_mesh_file(asset, self.base)
                .ok_or_else(|| self.err(format!("{what}: mesh asset `{name}` has no file")))?;
            super::mesh::convex_hull_points(&path, scale)?
        };
        Ok(ShapeDesc::ConvexHull { points })
    }

    /// Each actuator drives its joint, in file order (the action layout); returns the count.
    fn actuators(
        &mut self,
        joints: &mut [JointDesc],
        link_of: &HashMap<usize, usize>,
        subtree: &[usize],
    ) -> Result<usize> {
        let mut n = 0;
        for (k, a) in self.m.actuators.iter().enumerate() {
            let label = format!(
                "<{}{}>",
                format!("{:?}", a.kind).to_lowercase(),
                a.name
                    .as_ref()
                    .map(|n| format!(" name=\"{n}\""))
                    .unwrap_or_default()
            );
            let jname = a.joint.as_deref().ok_or_else(|| {
                self.err(format!(
                    "actuator {label}: only joint actuators are supported (no `joint`)"
                ))
            })?;
            let (body, _) = self
                .m
                .joint_by_name(jname)
                .ok_or_else(|| self.err(format!("actuator {label}: unknown joint `{jname}`")))?;
            let jd = Some(())
                .filter(|_| subtree.contains(&body) && link_of.contains_key(&body))
                .and_then(|_| joints.iter_mut().find(|j| j.name == jname))
                .filter(|j| matches!(j.kind, JointKind::Revolute | JointKind::Continuous))
                .ok_or_else(|| {
                    self.err(format!(
                        "actuator {label}: joint `{jname}` is not a hinge of the robot"
                    ))
                })?;
            jd.effort = actuator_effort(a, &label).map_err(|m| Error::asset(self.file, m))?;
            jd.file_index = k;
            n += 1;
        }
        // Joints without an actuator come after the actuated ones.
        for (i, j) in joints.iter_mut().enumerate() {
            if j.effort <= 0.0 {
                j.file_index = n + i;
            }
        }
        let passive = joints
            .iter()
            .filter(|j| {
                j.effort <= 0.0 && matches!(j.kind, JointKind::Revolute | JointKind::Continuous)
            })
            .count();
        if passive > 0 {
            self.notes.push(format!(
                "{passive} hinge(s) without an actuator are simulated but not observed"
            ));
        }
        Ok(n)
    }

    /// A note counting the geom pairs MuJoCo would collide within the robot.
    fn self_collision_note(&mut self, subtree: &[usize]) {
        let m = self.m;
        let excluded = |a: &str, b: &str| {
            m.contact
                .excludes
                .iter()
                .any(|e| (e.body1 == a && e.body2 == b) || (e.body1 == b && e.body2 == a))
        };
        let mut pairs = 0;
        for (i, &a) in subtree.iter().enumerate() {
            for &b in &subtree[i + 1..] {
                let related = m.bodies[b].parent == Some(a) || m.bodies[a].parent == Some(b);
                if related || excluded(&body_name(m, a), &body_name(m, b)) {
                    continue;
                }
                for ga in &m.bodies[a].body.geoms {
                    for gb in &m.bodies[b].body.geoms {
                        if (ga.contype & gb.conaffinity) != 0 || (gb.contype & ga.conaffinity) != 0
                        {
                            pairs += 1;
                        }
                    }
                }
            }
        }
        if pairs > 0 {
            self.notes.push(format!(
                "{pairs} geom pair(s) MuJoCo would test for self-collision are not simulated (drat's robots do not collide with themselves)"
            ));
        }
    }

    /// One note per kind of element that is read but not simulated.
    fn ignored_notes(&mut self) {
        let m = self.m;
        self.notes
            .push("stepped with Rapier's solver, not the file's <option integrator>".into());
        let g = m.option.gravity;
        if (g[0].abs() + g[1].abs() + (g[2] + 9.81).abs()) > 1e-6 {
            self.notes.push(format!(
                "<option gravity> {g:?} ignored: drat's gravity is (0, 0, -9.81)"
            ));
        }
        for (n, what) in [
            (m.sensors.len(), "<sensor> element(s)"),
            (m.keyframes.len(), "<keyframe><key> element(s)"),
            (m.contact.pairs.len(), "<contact><pair> element(s)"),
            (m.equality.len(), "<equality> constraint(s)"),
            (m.tendons.len(), "<tendon> element(s)"),
        ] {
            if n > 0 {
                self.notes.push(format!("{n} {what} ignored"));
            }
        }
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

/// The joint to the fixed world: a massless root link named `world`.
fn world_link() -> LinkDesc {
    LinkDesc {
        name: "world".into(),
        mass_kg: 0.0,
        com: Vector::ZERO,
        inertia: None,
        collisions: Vec::new(),
        visuals: Vec::new(),
        merged: Vec::new(),
    }
}

/// The joint frame between two hinges of one MJCF body: a link with 0.1 % of its parent
/// link's mass (Rapier needs a mass on every multibody link), no shapes.
fn joint_frame(body: &str, i: usize, parent: &LinkDesc) -> LinkDesc {
    let mass = (parent.mass_kg * 1e-3).max(1e-6);
    let r: Real = 0.01;
    let inertia = 0.4 * mass * r * r;
    LinkDesc {
        name: format!("{body}__frame{i}"),
        mass_kg: mass,
        inertia: Some([inertia, 0.0, 0.0, inertia, 0.0, inertia]),
        ..world_link()
    }
}

/// An unactuated joint with nothing set (the caller fills in kind, links and frame).
fn passive_joint(file_index: usize) -> JointDesc {
    JointDesc {
        name: String::new(),
        kind: JointKind::Fixed,
        parent: 0,
        child: 0,
        origin: Pose::IDENTITY,
        axis: Vector::Z,
        limits: None,
        effort: 0.0,
        damping: 0.0,
        armature: 0.0,
        stiffness: 0.0,
        spring_ref_rad: 0.0,
        frictionloss: 0.0,
        file_index,
    }
}

/// The torque of a unit action: `gear × ctrlmax` for a motor (symmetric `ctrlrange`), the
/// force limit (or `gear × kp`) for a position servo.
fn actuator_effort(
    a: &mjcf_rs::extras::Actuator,
    label: &str,
) -> std::result::Result<Real, String> {
    let gear = a.gear[0];
    // A `<general>` actuator with a fixed gain and no bias or dynamics is a motor of that gain.
    let plain = |t: &Option<String>, default: &str| t.as_deref().is_none_or(|t| t == default);
    let motor_gain = match a.kind {
        ActuatorKind::Motor => Some(1.0),
        ActuatorKind::General
            if plain(&a.gain_type, "fixed")
                && plain(&a.bias_type, "none")
                && plain(&a.dyn_type, "none") =>
        {
            Some(a.gainprm.first().copied().unwrap_or(1.0))
        }
        _ => None,
    };
    let effort = match a.kind {
        _ if motor_gain.is_some() => {
            let ctrl = match a.ctrl_range {
                Some([lo, hi]) if (lo + hi).abs() <= 1e-9 * hi.abs().max(1.0) => hi,
                Some(r) => {
                    return Err(format!(
                        "actuator {label}: ctrlrange {r:?} must be symmetric (drat's action is in [-1, 1])"
                    ))
                }
                None => 1.0,
            };
            gear * ctrl * motor_gain.unwrap_or(1.0)
        }
        ActuatorKind::Position => match a.force_range {
            Some([_, hi]) => hi,
            None => gear * a.kp.unwrap_or(1.0) * std::f64::consts::PI,
        },
        other => {
            return Err(format!(
                "actuator {label}: {other:?} actuators are not supported (motor, position, and general with a fixed gain and no bias are)"
            ))
        }
    };
    if !(effort.is_finite() && effort > 0.0 && effort < 1e6) {
        return Err(format!(
            "actuator {label}: its torque limit (gear × ctrlrange, or forcerange) must be in (0, 1e6), got {effort}"
        ));
    }
    Ok(effort as Real)
}

/// `[kp, kv]` when every actuator is a `<position>` servo with the same gains.
fn position_servo(m: &Model) -> Option<[Real; 2]> {
    let gains: Vec<[Real; 2]> = m
        .actuators
        .iter()
        .filter(|a| a.kind == ActuatorKind::Position)
        .map(|a| [a.kp.unwrap_or(1.0) as Real, a.kv.unwrap_or(0.0) as Real])
        .collect();
    (gains.len() == m.actuators.len() && !gains.is_empty()).then(|| gains[0])
}

/// `<compiler settotalmass>`: every mass and inertia scaled so the robot weighs that.
fn set_total_mass(m: &Model, links: &mut [LinkDesc]) {
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
fn nominal_friction(links: &[LinkDesc]) -> Real {
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

fn to_vec(v: [f64; 3]) -> Vector {
    Vector::new(v[0] as Real, v[1] as Real, v[2] as Real)
}

fn to_vec3(v: DVec3) -> Vector {
    Vector::new(v.x as Real, v.y as Real, v.z as Real)
}

fn to_rot(q: DQuat) -> Rotation {
    Rotation::from_xyzw(q.x as Real, q.y as Real, q.z as Real, q.w as Real).normalize()
}

fn to_pose(p: &mjcf_rs::Pose) -> Pose {
    Pose::from_parts(to_vec3(p.translation), to_rot(p.rotation))
}
