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
use mjcf_rs::Model;
use rapier3d::math::{Pose, Real, Vector};

use crate::sim::robot::{JointDesc, JointKind, LinkDesc, ModelHints, RobotModel};
mod actuators;
mod conv;
mod geoms;

use conv::{body_name, to_pose, to_vec, Conv, Floor};

use actuators::position_servo;
use geoms::{nominal_friction, set_total_mass};

use crate::error::{Error, Result};
use crate::sim::quirks::clean_xml_text;
use crate::sim::weld::merge_fixed;

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
            let usable = |v: f64| v.is_finite() && v >= 0.0;
            if !usable(p.margin) || !usable(p.friction[0]) {
                notes.push(format!(
                    "the floor's `margin` {} or `friction` {} is not finite and ≥ 0: 0 and 1 are used",
                    p.margin, p.friction[0]
                ));
            }
            Floor {
                contype: p.contype,
                conaffinity: p.conaffinity,
                friction: if usable(p.friction[0]) {
                    p.friction[0]
                } else {
                    1.0
                },
                margin: if usable(p.margin) {
                    p.margin.min(1.0)
                } else {
                    0.0
                },
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

/// Links, joints, and each MJCF body's link index.
type Tree = (Vec<LinkDesc>, Vec<JointDesc>, HashMap<usize, usize>);

impl Conv<'_> {
    /// One link per body (a `world` link first for a root attached to the world) and one
    /// joint per body but a floating root; `link_of[body]` is the body's link index.
    fn links_and_joints(&mut self, root: usize, subtree: &[usize]) -> Result<Tree> {
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
