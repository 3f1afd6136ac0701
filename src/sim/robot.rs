//! Robot descriptions: a URDF reader that turns a `<robot>` into a [`RobotModel`] (links,
//! joints, collision shapes, nominal masses, visuals). Building the Rapier multibody from the
//! model is `world.rs`'s job; nothing here knows about rewards, tasks or learning.
//!
//! What it reads (anything else inside a link or joint that changes the physics is an error
//! that names the file and the element):
//! - `<link>` with `<inertial>` (`<mass value>`, `<origin xyz rpy>`, `<inertia ixx.. izz>` given
//!   in that frame; without `<inertia>` the inertia is computed from the collision shapes at the
//!   uniform density that gives the stated mass; without `<inertial>` the link is massless,
//!   which only a link welded to another or a root named `world` may be), `<collision>` with
//!   `<origin>` and one of `<sphere radius>`, `<box size>`, `<cylinder radius length>`,
//!   `<capsule radius length>` (the urdf-rs extension: axis along z, `length` the cylindrical
//!   part), and `<visual>` (a primitive or `<mesh filename scale>`, with `<material>`: inline
//!   `<color rgba>` or a top-level material's name) kept for pictures.
//! - `<joint type="revolute|continuous|fixed|planar">` with `<parent>`, `<child>`, `<origin>`,
//!   `<axis>` (the planar joint's axis is the plane normal), `<limit lower upper effort>` and
//!   `<dynamics damping [armature]>`. `effort` is the actuator's torque limit: an action of 1
//!   applies `effort` N·m under torque control. `armature` (reflected rotor inertia, kg·m², as
//!   in MuJoCo) is a drat extension attribute that other URDF readers ignore.
//! - Fixed joints weld their child into the parent ([`merge_fixed`]): xacro output hangs IMU
//!   frames, feet and dummy links on them, and a welded body costs the solver nothing.
//! - `<transmission>` and `<gazebo>` are ignored, each kind with a line in
//!   [`RobotModel::notes`] (`drat check` prints them); `<material>` definitions feed visuals.
//! - The root link (the one that is no joint's child) floats freely unless it is `world`.
//!
//! Why our own reader rather than `urdf-rs` or `rapier3d-urdf`: the `armature` attribute (not
//! part of URDF's `<dynamics>`, so a typed reader drops it), errors that name the file and the
//! element, welding with exact mass/inertia combination, and per-task mass scaling on the
//! model before Rapier sees it; the XML itself goes through `roxmltree`.

use rapier3d::glamx::EulerRot;
use rapier3d::math::{Matrix, Pose, Real, Rotation, Vector};
use rapier3d::prelude::{MassProperties, SharedShape};

use crate::error::{Error, Result};

/// A collision shape in its link frame.
#[derive(Clone, Debug, PartialEq)]
pub enum ShapeDesc {
    /// Sphere of `radius_m`.
    Sphere {
        /// Radius in metres.
        radius_m: Real,
    },
    /// Axis-aligned box with full side lengths.
    Box {
        /// Full side lengths (x, y, z) in metres.
        size_m: [Real; 3],
    },
    /// Cylinder along the shape frame's z axis.
    Cylinder {
        /// Radius in metres.
        radius_m: Real,
        /// Full length in metres.
        length_m: Real,
    },
    /// Capsule along the shape frame's z axis; `length_m` is the cylindrical part.
    Capsule {
        /// Radius in metres.
        radius_m: Real,
        /// Length of the cylindrical part in metres.
        length_m: Real,
    },
}

impl ShapeDesc {
    /// The Rapier shape, with URDF's z-axis convention applied.
    pub fn to_shape(&self) -> (SharedShape, Pose) {
        match *self {
            ShapeDesc::Sphere { radius_m } => (SharedShape::ball(radius_m), Pose::IDENTITY),
            ShapeDesc::Box { size_m } => (
                SharedShape::cuboid(size_m[0] / 2.0, size_m[1] / 2.0, size_m[2] / 2.0),
                Pose::IDENTITY,
            ),
            // Rapier's cylinder is along y; URDF's along z.
            ShapeDesc::Cylinder { radius_m, length_m } => (
                SharedShape::cylinder(length_m / 2.0, radius_m),
                Pose::rotation(Vector::X * std::f32::consts::FRAC_PI_2),
            ),
            ShapeDesc::Capsule { radius_m, length_m } => (
                SharedShape::capsule_z(length_m / 2.0, radius_m),
                Pose::IDENTITY,
            ),
        }
    }
}

/// One collision element of a link.
#[derive(Clone, Debug, PartialEq)]
pub struct CollisionDesc {
    /// Pose of the shape in the link frame.
    pub origin: Pose,
    /// The shape.
    pub shape: ShapeDesc,
}

/// What a `<visual>` draws.
#[derive(Clone, Debug, PartialEq)]
pub enum VisualGeometry {
    /// A primitive, as for collisions.
    Shape(ShapeDesc),
    /// A mesh file (path as written in the URDF, relative to it) scaled per axis.
    Mesh {
        /// `filename` as written (`package://` and relative paths are kept verbatim).
        filename: String,
        /// `scale`, 1 1 1 when absent.
        scale: [Real; 3],
    },
}

/// One `<visual>` of a link: kept for pictures, never simulated.
#[derive(Clone, Debug, PartialEq)]
pub struct VisualDesc {
    /// Pose in the link frame.
    pub origin: Pose,
    /// Shape or mesh.
    pub geometry: VisualGeometry,
    /// Colour from `<material><color rgba>` (inline, or a named material defined at the top
    /// level), if any.
    pub rgba: Option<[Real; 4]>,
}

/// A rigid link.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkDesc {
    /// URDF name.
    pub name: String,
    /// Nominal mass in kg (0 for the fixed world).
    pub mass_kg: Real,
    /// Centre of mass in the link frame (only used with an explicit inertia).
    pub com: Vector,
    /// Explicit inertia `[ixx, ixy, ixz, iyy, iyz, izz]` in kg·m² about the COM, if given.
    pub inertia: Option<[Real; 6]>,
    /// Collision shapes.
    pub collisions: Vec<CollisionDesc>,
    /// Visual elements (pictures only).
    pub visuals: Vec<VisualDesc>,
    /// Links welded into this one by fixed joints (see [`merge_fixed`]), with their frames in
    /// this link's frame.
    pub merged: Vec<(String, Pose)>,
}

impl LinkDesc {
    /// Mass properties in the link frame with the mass scaled by `scale`; the inertia scales
    /// with it (a uniform density change keeps the shape of the inertia ellipsoid). Without
    /// an explicit `<inertia>`, uniform density over the collision shapes gives the mass.
    pub fn mass_properties(&self, scale: Real) -> MassProperties {
        let mass = self.mass_kg * scale;
        if mass <= 0.0 {
            return MassProperties::default();
        }
        if let Some(i) = self.inertia {
            let m = rapier3d::math::Matrix::from_cols_array(&[
                i[0], i[1], i[2], i[1], i[3], i[4], i[2], i[4], i[5],
            ]) * scale;
            return MassProperties::with_inertia_matrix(self.com, mass, m);
        }
        let at_density = |rho: Real| {
            self.collisions
                .iter()
                .map(|c| {
                    let (shape, shape_pose) = c.shape.to_shape();
                    shape
                        .mass_properties(rho)
                        .transform_by(&(c.origin * shape_pose))
                })
                .fold(MassProperties::default(), |a, b| a + b)
        };
        let volume = at_density(1.0).mass();
        at_density(mass / volume)
    }
}

/// Kind of a joint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JointKind {
    /// Hinge with limits.
    Revolute,
    /// Hinge without limits.
    Continuous,
    /// Rigid attachment.
    Fixed,
    /// Translation in the plane normal to `axis` and rotation about it (planar robots).
    Planar,
}

/// A joint between two links.
#[derive(Clone, Debug, PartialEq)]
pub struct JointDesc {
    /// URDF name.
    pub name: String,
    /// Kind.
    pub kind: JointKind,
    /// Index of the parent link in [`RobotModel::links`].
    pub parent: usize,
    /// Index of the child link.
    pub child: usize,
    /// Joint frame in the parent link frame (the child link frame coincides with it at q = 0).
    pub origin: Pose,
    /// Unit axis in the joint frame (hinge axis, or plane normal for planar joints).
    pub axis: Vector,
    /// Position limits in rad, if any.
    pub limits: Option<[Real; 2]>,
    /// Actuator gear in N·m per unit action; 0 means not actuated.
    pub effort: Real,
    /// Viscous joint damping in N·m·s/rad.
    pub damping: Real,
    /// Reflected rotor inertia in kg·m².
    pub armature: Real,
    /// Position of the joint among the file's `<joint>` elements.
    pub file_index: usize,
}

impl JointDesc {
    /// Whether an action drives this joint.
    pub fn is_actuated(&self) -> bool {
        self.effort > 0.0 && matches!(self.kind, JointKind::Revolute | JointKind::Continuous)
    }
}

/// A parsed robot description. Links are ordered root first, then in joint order, so every
/// joint's parent comes before its child.
#[derive(Clone, Debug, PartialEq)]
pub struct RobotModel {
    /// `<robot name>`.
    pub name: String,
    /// Links, root first.
    pub links: Vec<LinkDesc>,
    /// Joints in parent-before-child order.
    pub joints: Vec<JointDesc>,
    /// What was read but is not simulated, one line each (e.g. `<transmission>` elements:
    /// drat drives joints from `<limit effort>`).
    pub notes: Vec<String>,
}

impl RobotModel {
    /// Parses URDF text. `file` names the source in error messages.
    pub fn from_urdf_str(text: &str, file: &str) -> Result<Self> {
        parse(text, file)
    }

    /// Reads and parses a URDF file.
    pub fn from_urdf_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        parse(&text, &path.display().to_string())
    }

    /// Whether the root link is the fixed world (planar robots hang off it).
    pub fn root_is_world(&self) -> bool {
        self.links[0].name == "world"
    }

    /// Indices (into `joints`) of the actuated joints in the order they appear in the file:
    /// the action layout.
    pub fn actuated_joints(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.joints.len())
            .filter(|&j| self.joints[j].is_actuated())
            .collect();
        idx.sort_by_key(|&j| self.joints[j].file_index);
        idx
    }

    /// Total nominal mass in kg.
    pub fn total_mass_kg(&self) -> Real {
        self.links.iter().map(|l| l.mass_kg).sum()
    }
}

fn parse(text: &str, file: &str) -> Result<RobotModel> {
    let err = |msg: String| Error::asset(file, msg);
    let doc = roxmltree::Document::parse(text).map_err(|e| err(format!("not valid XML: {e}")))?;
    let robot = doc.root_element();
    if robot.tag_name().name() != "robot" {
        return Err(err(format!(
            "root element is <{}>, expected <robot>",
            robot.tag_name().name()
        )));
    }
    let name = robot.attribute("name").unwrap_or("robot").to_string();

    let mut materials = std::collections::HashMap::new();
    for m in robot.children().filter(|n| n.has_tag_name("material")) {
        if let (Some(n), Some(c)) = (m.attribute("name"), material_rgba(m, file)?) {
            materials.insert(n.to_string(), c);
        }
    }
    let mut links = Vec::new();
    for node in robot.children().filter(|n| n.has_tag_name("link")) {
        links.push(parse_link(node, file, &materials)?);
    }
    let mut notes = Vec::new();
    for (tag, why) in [
        ("transmission", "joints are driven from <limit effort>"),
        ("gazebo", "Gazebo settings"),
    ] {
        let n = robot.children().filter(|c| c.has_tag_name(tag)).count();
        if n > 0 {
            notes.push(format!("{n} <{tag}> element(s) ignored ({why})"));
        }
    }
    if links.is_empty() {
        return Err(err("no <link> elements".into()));
    }
    for (i, l) in links.iter().enumerate() {
        if links[..i].iter().any(|o| o.name == l.name) {
            return Err(err(format!("link `{}` is defined twice", l.name)));
        }
    }
    let link_index = |n: &str, joint: &str| -> Result<usize> {
        links
            .iter()
            .position(|l| l.name == n)
            .ok_or_else(|| err(format!("joint `{joint}` refers to unknown link `{n}`")))
    };

    let mut joints = Vec::new();
    for node in robot.children().filter(|n| n.has_tag_name("joint")) {
        let jname = node
            .attribute("name")
            .ok_or_else(|| err("a <joint> has no `name` attribute".into()))?
            .to_string();
        let ctx = format!("joint `{jname}`");
        let kind = match node.attribute("type") {
            Some("revolute") => JointKind::Revolute,
            Some("continuous") => JointKind::Continuous,
            Some("fixed") => JointKind::Fixed,
            Some("planar") => JointKind::Planar,
            Some(other) => {
                return Err(err(format!(
                    "{ctx}: type `{other}` is not supported (allowed: revolute, continuous, fixed, planar)"
                )))
            }
            None => return Err(err(format!("{ctx}: missing `type` attribute"))),
        };
        let parent_name = child_attr(node, "parent", "link", file, &ctx)?;
        let child_name = child_attr(node, "child", "link", file, &ctx)?;
        let parent = link_index(&parent_name, &jname)?;
        let child = link_index(&child_name, &jname)?;
        let origin = parse_origin(node, file, &ctx)?;
        let axis = match node.children().find(|n| n.has_tag_name("axis")) {
            Some(a) => {
                let v = parse_floats::<3>(a, "xyz", file, &format!("{ctx} <axis>"))?;
                let v = Vector::new(v[0], v[1], v[2]);
                if v.length() < 1e-6 {
                    return Err(err(format!("{ctx}: <axis xyz> must be non-zero")));
                }
                v.normalize()
            }
            None => Vector::X,
        };
        let (mut limits, mut effort) = (None, 0.0);
        if let Some(l) = node.children().find(|n| n.has_tag_name("limit")) {
            let lctx = format!("{ctx} <limit>");
            effort = opt_float(l, "effort", file, &lctx)?.unwrap_or(0.0);
            if effort < 0.0 {
                return Err(err(format!("{lctx}: effort must be ≥ 0, got {effort}")));
            }
            if kind == JointKind::Revolute {
                let lo = opt_float(l, "lower", file, &lctx)?.unwrap_or(0.0);
                let hi = opt_float(l, "upper", file, &lctx)?.unwrap_or(0.0);
                if lo > hi {
                    return Err(err(format!("{lctx}: lower ({lo}) > upper ({hi})")));
                }
                limits = Some([lo, hi]);
            }
        } else if kind == JointKind::Revolute {
            return Err(err(format!(
                "{ctx}: a revolute joint needs <limit lower upper>"
            )));
        }
        let (mut damping, mut armature) = (0.0, 0.0);
        if let Some(d) = node.children().find(|n| n.has_tag_name("dynamics")) {
            let dctx = format!("{ctx} <dynamics>");
            damping = opt_float(d, "damping", file, &dctx)?.unwrap_or(0.0);
            armature = opt_float(d, "armature", file, &dctx)?.unwrap_or(0.0);
            if damping < 0.0 || armature < 0.0 {
                return Err(err(format!("{dctx}: damping and armature must be ≥ 0")));
            }
        }
        joints.push(JointDesc {
            name: jname,
            kind,
            parent,
            child,
            origin,
            axis,
            limits,
            effort,
            damping,
            armature,
            file_index: joints.len(),
        });
    }

    // Tree check: every link but one is the child of exactly one joint, and all are reachable.
    let mut parent_of = vec![None; links.len()];
    for (j, jd) in joints.iter().enumerate() {
        if parent_of[jd.child].is_some() {
            return Err(err(format!(
                "link `{}` is the child of more than one joint (URDF must be a tree)",
                links[jd.child].name
            )));
        }
        parent_of[jd.child] = Some(j);
    }
    let roots: Vec<usize> = (0..links.len())
        .filter(|&i| parent_of[i].is_none())
        .collect();
    if roots.len() != 1 {
        let names: Vec<&str> = roots.iter().map(|&i| links[i].name.as_str()).collect();
        return Err(err(format!(
            "expected exactly one root link (not a child of any joint), found {}: {names:?}",
            roots.len()
        )));
    }
    // Order: breadth-first from the root, so parents precede children.
    let root = roots[0];
    let mut order = vec![root];
    let mut joint_order = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let l = order[k];
        for (j, jd) in joints.iter().enumerate() {
            if jd.parent == l {
                joint_order.push(j);
                order.push(jd.child);
            }
        }
        k += 1;
    }
    if order.len() != links.len() {
        return Err(err(
            "the joints form a cycle or leave links unconnected".into()
        ));
    }
    let mut new_index = vec![0; links.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let links: Vec<LinkDesc> = order.iter().map(|&i| links[i].clone()).collect();
    let joints: Vec<JointDesc> = joint_order
        .iter()
        .map(|&j| {
            let mut jd = joints[j].clone();
            jd.parent = new_index[jd.parent];
            jd.child = new_index[jd.child];
            jd
        })
        .collect();

    // Fixed joints weld links (IMU frames, feet, dummy links) into their parents.
    let model = merge_fixed(RobotModel {
        name,
        links,
        joints,
        notes,
    });
    for (i, l) in model.links.iter().enumerate() {
        let is_world = i == 0 && l.name == "world";
        if !is_world && l.mass_kg <= 0.0 {
            return Err(err(format!(
                "link `{}`: needs <inertial><mass value> > 0 (only a root link named `world` may be massless)",
                l.name
            )));
        }
        if !is_world && l.inertia.is_none() && l.collisions.is_empty() {
            return Err(err(format!(
                "link `{}`: without <inertia> the inertia is computed from <collision> shapes, but it has none",
                l.name
            )));
        }
    }
    if model.actuated_joints().is_empty() {
        return Err(err(
            "no actuated joint (a revolute or continuous joint with <limit effort> > 0)".into(),
        ));
    }
    Ok(model)
}

fn parse_link(
    node: roxmltree::Node,
    file: &str,
    materials: &std::collections::HashMap<String, [Real; 4]>,
) -> Result<LinkDesc> {
    let err = |msg: String| Error::asset(file, msg);
    let name = node
        .attribute("name")
        .ok_or_else(|| err("a <link> has no `name` attribute".into()))?
        .to_string();
    let ctx = format!("link `{name}`");
    let (mut mass_kg, mut com, mut inertia) = (0.0, Vector::ZERO, None);
    if let Some(inertial) = node.children().find(|n| n.has_tag_name("inertial")) {
        let m = inertial
            .children()
            .find(|n| n.has_tag_name("mass"))
            .ok_or_else(|| err(format!("{ctx} <inertial>: missing <mass value>")))?;
        mass_kg = req_float(m, "value", file, &format!("{ctx} <mass>"))?;
        if mass_kg <= 0.0 {
            return Err(err(format!(
                "{ctx} <mass>: value must be > 0, got {mass_kg}"
            )));
        }
        let frame = parse_origin(inertial, file, &ctx)?;
        com = frame.translation;
        if let Some(i) = inertial.children().find(|n| n.has_tag_name("inertia")) {
            let ictx = format!("{ctx} <inertia>");
            let mut v = [0.0; 6];
            for (k, a) in ["ixx", "ixy", "ixz", "iyy", "iyz", "izz"]
                .iter()
                .enumerate()
            {
                v[k] = req_float(i, a, file, &ictx)?;
            }
            if v[0] <= 0.0 || v[3] <= 0.0 || v[5] <= 0.0 {
                return Err(err(format!("{ictx}: ixx, iyy, izz must be > 0")));
            }
            // The tensor is given in the inertial frame; we keep it in the link frame.
            inertia = Some(inertia_array(
                Matrix::from_quat(frame.rotation)
                    * inertia_matrix(v)
                    * Matrix::from_quat(frame.rotation.inverse()),
            ));
        }
    }
    let mut collisions = Vec::new();
    for c in node.children().filter(|n| n.has_tag_name("collision")) {
        let origin = parse_origin(c, file, &ctx)?;
        let s = geometry(c, file, &format!("{ctx} <collision>"))?;
        let shape = parse_shape(s, file, &ctx)?;
        collisions.push(CollisionDesc { origin, shape });
    }
    let mut visuals = Vec::new();
    for v in node.children().filter(|n| n.has_tag_name("visual")) {
        let vctx = format!("{ctx} <visual>");
        let origin = parse_origin(v, file, &vctx)?;
        let g = geometry(v, file, &vctx)?;
        let geometry = if g.has_tag_name("mesh") {
            let filename = g
                .attribute("filename")
                .ok_or_else(|| err(format!("{vctx} <mesh>: missing `filename`")))?
                .to_string();
            let scale = match g.attribute("scale") {
                Some(_) => parse_floats::<3>(g, "scale", file, &format!("{vctx} <mesh>"))?,
                None => [1.0; 3],
            };
            VisualGeometry::Mesh { filename, scale }
        } else {
            VisualGeometry::Shape(parse_shape(g, file, &vctx)?)
        };
        let rgba = match v.children().find(|n| n.has_tag_name("material")) {
            Some(m) => match material_rgba(m, file)? {
                Some(c) => Some(c),
                None => m.attribute("name").and_then(|n| materials.get(n).copied()),
            },
            None => None,
        };
        visuals.push(VisualDesc {
            origin,
            geometry,
            rgba,
        });
    }
    Ok(LinkDesc {
        name,
        mass_kg,
        com,
        inertia,
        collisions,
        visuals,
        merged: Vec::new(),
    })
}

/// The one shape element inside `node`'s `<geometry>`.
fn geometry<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    file: &str,
    ctx: &str,
) -> Result<roxmltree::Node<'a, 'i>> {
    let err = |msg: String| Error::asset(file, msg);
    node.children()
        .find(|n| n.has_tag_name("geometry"))
        .ok_or_else(|| err(format!("{ctx}: missing <geometry>")))?
        .children()
        .find(|n| n.is_element())
        .ok_or_else(|| err(format!("{ctx} <geometry>: empty")))
}

/// `<color rgba>` inside a `<material>`, if it has one.
fn material_rgba(m: roxmltree::Node, file: &str) -> Result<Option<[Real; 4]>> {
    match m.children().find(|n| n.has_tag_name("color")) {
        Some(c) => Ok(Some(parse_floats::<4>(
            c,
            "rgba",
            file,
            "<material> <color>",
        )?)),
        None => Ok(None),
    }
}

/// A primitive shape element (`<sphere>`, `<box>`, `<cylinder>`, `<capsule>`).
fn parse_shape(s: roxmltree::Node, file: &str, ctx: &str) -> Result<ShapeDesc> {
    let err = |msg: String| Error::asset(file, msg);
    {
        let gctx = format!("{ctx} <{}>", s.tag_name().name());
        let pos = |attr: &str| -> Result<Real> {
            let v = req_float(s, attr, file, &gctx)?;
            if v <= 0.0 {
                return Err(err(format!("{gctx}: `{attr}` must be > 0, got {v}")));
            }
            Ok(v)
        };
        let shape = match s.tag_name().name() {
            "sphere" => ShapeDesc::Sphere {
                radius_m: pos("radius")?,
            },
            "capsule" => ShapeDesc::Capsule {
                radius_m: pos("radius")?,
                length_m: pos("length")?,
            },
            "cylinder" => ShapeDesc::Cylinder {
                radius_m: pos("radius")?,
                length_m: pos("length")?,
            },
            "box" => {
                let size = parse_floats::<3>(s, "size", file, &gctx)?;
                if size.iter().any(|&v| v <= 0.0) {
                    return Err(err(format!("{gctx}: all sizes must be > 0")));
                }
                ShapeDesc::Box { size_m: size }
            }
            other => {
                return Err(err(format!(
                    "{ctx}: geometry <{other}> is not supported (allowed: sphere, box, cylinder, capsule)"
                )))
            }
        };
        Ok(shape)
    }
}

/// The symmetric matrix of `[ixx, ixy, ixz, iyy, iyz, izz]`.
fn inertia_matrix(i: [Real; 6]) -> Matrix {
    Matrix::from_cols_array(&[i[0], i[1], i[2], i[1], i[3], i[4], i[2], i[4], i[5]])
}

/// `[ixx, ixy, ixz, iyy, iyz, izz]` of a symmetric matrix.
fn inertia_array(m: Matrix) -> [Real; 6] {
    [
        m.x_axis.x, m.y_axis.x, m.z_axis.x, m.y_axis.y, m.z_axis.y, m.z_axis.z,
    ]
}

/// Welds every fixed joint's child into its parent, deepest first (chains collapse): the
/// masses add, the centre of mass and the inertia about it combine (parallel axes), the
/// child's collision shapes and joints move to the parent with their frames composed, and the
/// child is recorded in the parent's `merged`. A fixed joint to a root named `world` is kept
/// (the world is not a body). Links and joints keep their relative order.
pub fn merge_fixed(model: RobotModel) -> RobotModel {
    let RobotModel {
        name,
        mut links,
        mut joints,
        mut notes,
    } = model;
    let welded = joints.iter().filter(|j| j.kind == JointKind::Fixed).count();
    let mut gone = vec![false; links.len()];
    let world = links[0].name == "world";
    for j in (0..joints.len()).rev() {
        let jd = joints[j].clone();
        if jd.kind != JointKind::Fixed || (world && jd.parent == 0) {
            continue;
        }
        let (p, c, t) = (jd.parent, jd.child, jd.origin);
        let child = links[c].clone();
        let parent = &mut links[p];
        let mp = parent.mass_properties(1.0) + child.mass_properties(1.0).transform_by(&t);
        if child.mass_kg > 0.0 {
            parent.mass_kg = mp.mass();
            parent.com = mp.local_com;
            parent.inertia = Some(inertia_array(mp.reconstruct_inertia_matrix()));
        }
        parent
            .collisions
            .extend(child.collisions.into_iter().map(|col| CollisionDesc {
                origin: t * col.origin,
                shape: col.shape,
            }));
        parent
            .visuals
            .extend(child.visuals.into_iter().map(|v| VisualDesc {
                origin: t * v.origin,
                ..v
            }));
        parent.merged.push((child.name, t));
        parent
            .merged
            .extend(child.merged.into_iter().map(|(n, f)| (n, t * f)));
        for other in joints.iter_mut().filter(|o| o.parent == c) {
            other.parent = p;
            other.origin = t * other.origin;
        }
        gone[c] = true;
        joints[j].child = usize::MAX; // marks the joint as merged
    }
    let mut new_index = vec![usize::MAX; links.len()];
    let mut kept = Vec::new();
    for (i, l) in links.into_iter().enumerate() {
        if !gone[i] {
            new_index[i] = kept.len();
            kept.push(l);
        }
    }
    joints.retain(|jd| jd.child != usize::MAX);
    for jd in &mut joints {
        jd.parent = new_index[jd.parent];
        jd.child = new_index[jd.child];
    }
    let kept_fixed = joints.iter().filter(|j| j.kind == JointKind::Fixed).count();
    if welded > kept_fixed {
        notes.push(format!(
            "{} fixed joint(s) welded into their parent links",
            welded - kept_fixed
        ));
    }
    RobotModel {
        name,
        links: kept,
        joints,
        notes,
    }
}

/// `<origin xyz rpy>` child of `node`, identity when absent. URDF's rpy are fixed-axis
/// roll-pitch-yaw: R = Rz(yaw)·Ry(pitch)·Rx(roll).
fn parse_origin(node: roxmltree::Node, file: &str, ctx: &str) -> Result<Pose> {
    let Some(o) = node.children().find(|n| n.has_tag_name("origin")) else {
        return Ok(Pose::IDENTITY);
    };
    let octx = format!("{ctx} <origin>");
    let xyz = if o.has_attribute("xyz") {
        parse_floats::<3>(o, "xyz", file, &octx)?
    } else {
        [0.0; 3]
    };
    let rpy = if o.has_attribute("rpy") {
        parse_floats::<3>(o, "rpy", file, &octx)?
    } else {
        [0.0; 3]
    };
    Ok(Pose::from_parts(
        Vector::new(xyz[0], xyz[1], xyz[2]),
        Rotation::from_euler(EulerRot::ZYX, rpy[2], rpy[1], rpy[0]),
    ))
}

fn child_attr(
    node: roxmltree::Node,
    tag: &str,
    attr: &str,
    file: &str,
    ctx: &str,
) -> Result<String> {
    node.children()
        .find(|n| n.has_tag_name(tag))
        .and_then(|n| n.attribute(attr))
        .map(str::to_string)
        .ok_or_else(|| Error::asset(file, format!("{ctx}: missing <{tag} {attr}=\"…\">")))
}

fn parse_float(s: &str, attr: &str, file: &str, ctx: &str) -> Result<Real> {
    let v: Real = s
        .trim()
        .parse()
        .map_err(|_| Error::asset(file, format!("{ctx}: `{attr}` = \"{s}\" is not a number")))?;
    if !v.is_finite() {
        return Err(Error::asset(
            file,
            format!("{ctx}: `{attr}` = \"{s}\" is not finite"),
        ));
    }
    Ok(v)
}

fn req_float(node: roxmltree::Node, attr: &str, file: &str, ctx: &str) -> Result<Real> {
    let s = node
        .attribute(attr)
        .ok_or_else(|| Error::asset(file, format!("{ctx}: missing attribute `{attr}`")))?;
    parse_float(s, attr, file, ctx)
}

fn opt_float(node: roxmltree::Node, attr: &str, file: &str, ctx: &str) -> Result<Option<Real>> {
    node.attribute(attr)
        .map(|s| parse_float(s, attr, file, ctx))
        .transpose()
}

fn parse_floats<const N: usize>(
    node: roxmltree::Node,
    attr: &str,
    file: &str,
    ctx: &str,
) -> Result<[Real; N]> {
    let s = node
        .attribute(attr)
        .ok_or_else(|| Error::asset(file, format!("{ctx}: missing attribute `{attr}`")))?;
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != N {
        return Err(Error::asset(
            file,
            format!("{ctx}: `{attr}` = \"{s}\" must have {N} numbers"),
        ));
    }
    let mut out = [0.0; N];
    for (k, p) in parts.iter().enumerate() {
        out[k] = parse_float(p, attr, file, ctx)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_LINK: &str = r#"<robot name="t">
      <link name="a"><inertial><mass value="1"/></inertial>
        <collision><geometry><sphere radius="0.1"/></geometry></collision></link>
      <link name="b"><inertial><mass value="2"/></inertial>
        <collision><geometry><capsule radius="0.05" length="0.3"/></geometry></collision></link>
      <joint name="j" type="revolute"><parent link="a"/><child link="b"/>
        <axis xyz="0 0 2"/><limit lower="-1" upper="1" effort="5"/><dynamics damping="0.5"/></joint>
    </robot>"#;

    #[test]
    fn parses_a_two_link_robot() {
        let m = RobotModel::from_urdf_str(TWO_LINK, "t.urdf").unwrap();
        assert_eq!(m.links.len(), 2);
        assert_eq!(m.joints[0].axis, Vector::Z, "axis is normalised");
        assert_eq!(m.joints[0].limits, Some([-1.0, 1.0]));
        assert_eq!(m.actuated_joints(), vec![0]);
        assert_eq!(m.total_mass_kg(), 3.0);
    }

    fn err_of(text: &str) -> String {
        RobotModel::from_urdf_str(text, "bad.urdf")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn malformed_descriptions_name_the_problem() {
        assert!(err_of("<robot").contains("not valid XML"));
        assert!(err_of("<robt/>").contains("expected <robot>"));
        let unknown_link = TWO_LINK.replace(r#"<child link="b"/>"#, r#"<child link="zz"/>"#);
        assert!(err_of(&unknown_link).contains("unknown link `zz`"));
        let bad_mass = TWO_LINK.replace(r#"<mass value="2"/>"#, r#"<mass value="-2"/>"#);
        assert!(err_of(&bad_mass).contains("link `b` <mass>"));
        let nan = TWO_LINK.replace(r#"radius="0.1""#, r#"radius="NaN""#);
        assert!(err_of(&nan).contains("not finite"));
        let limits = TWO_LINK.replace(r#"lower="-1" upper="1""#, r#"lower="1" upper="-1""#);
        assert!(err_of(&limits).contains("lower (1) > upper (-1)"));
        let mesh = TWO_LINK.replace(r#"<sphere radius="0.1"/>"#, r#"<mesh filename="x.stl"/>"#);
        assert!(err_of(&mesh).contains("geometry <mesh> is not supported"));
        let kind = TWO_LINK.replace(r#"type="revolute""#, r#"type="prismatic""#);
        assert!(err_of(&kind).contains("type `prismatic` is not supported"));
        let no_act = TWO_LINK.replace(r#"effort="5""#, r#"effort="0""#);
        assert!(err_of(&no_act).contains("no actuated joint"));
    }
}
