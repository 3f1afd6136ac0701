//! The URDF reader: turns a `<robot>` into a [`RobotModel`] (links, joints, collision shapes,
//! nominal masses, visuals), one helper per element.
//!
//! What it reads (anything else inside a link or joint that changes the physics is an error
//! that names the file and the element):
//! - `<link>` with `<inertial>` (`<mass value>`, `<origin xyz rpy>`, `<inertia ixx.. izz>` given
//!   in that frame; without `<inertia>` the inertia is computed from the collision shapes at the
//!   uniform density that gives the stated mass; without `<inertial>` the link is massless,
//!   which only a link welded to another or a root named `world` may be), `<collision>` with
//!   `<origin>` and one of `<sphere radius>`, `<box size>`, `<cylinder radius length>`,
//!   `<capsule radius length>` (the urdf-rs extension: axis along z, `length` the cylindrical
//!   part) or `<mesh filename scale>` (OBJ or STL: its convex hull, see [`super::mesh`]; the
//!   file is found relative to the URDF), and `<visual>` (a primitive or `<mesh filename scale>`, with `<material>`: inline
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
//! - Files as they come: an all-zero `<inertia>` means "compute it from the shapes"; a
//!   `<visual>` that does not parse is left out (pictures only); a file with hinges and no
//!   `<limit effort>` at all gets a default torque per hinge (a note says which).
//!
//! Why our own reader rather than `urdf-rs` or `rapier3d-urdf`: the `armature` attribute (not
//! part of URDF's `<dynamics>`, so a typed reader drops it), errors that name the file and the
//! element, welding with exact mass/inertia combination, and per-task mass scaling on the
//! model before Rapier sees it; the XML itself goes through `roxmltree`.

use std::collections::HashMap;
use std::path::Path;

use rapier3d::glamx::EulerRot;
use rapier3d::math::{Matrix, Pose, Real, Rotation, Vector};

use super::quirks::{clean_xml_text, default_efforts};
use super::robot::{
    inertia_array, inertia_matrix, CollisionDesc, JointDesc, JointKind, LinkDesc, RobotModel,
    ShapeDesc, VisualDesc, VisualGeometry,
};
use super::weld::merge_fixed;
use crate::error::{Error, Result};

impl RobotModel {
    /// Parses URDF text. `file` names the source in error messages.
    pub fn from_urdf_str(text: &str, file: &str) -> Result<Self> {
        parse(text, file, None)
    }

    /// Reads and parses a URDF file (its joints start inside their limits, see
    /// [`super::robot::ModelHints::start_inside_limits`]).
    pub fn from_urdf_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut model = parse(&text, &path.display().to_string(), Some(path))?;
        // A robot file as it comes often has joints whose 0 lies outside their limits (the
        // A1's calves): it starts inside them rather than being flung in by the solver.
        model.hints.start_inside_limits = true;
        Ok(model)
    }
}

/// Top-level `<material>` colours by name.
type Materials = HashMap<String, [Real; 4]>;

/// Parses URDF text into a checked model with its fixed joints welded. `file` names the source
/// in error messages; `path` (the file's, when it was read from one) locates mesh files.
pub(super) fn parse(text: &str, file: &str, path: Option<&Path>) -> Result<RobotModel> {
    let err = |msg: String| Error::asset(file, msg);
    let doc = roxmltree::Document::parse(clean_xml_text(text))
        .map_err(|e| err(format!("not valid XML: {e}")))?;
    let robot = doc.root_element();
    if robot.tag_name().name() != "robot" {
        return Err(err(format!(
            "root element is <{}>, expected <robot>",
            robot.tag_name().name()
        )));
    }
    let name = robot.attribute("name").unwrap_or("robot").to_string();

    let materials = parse_materials(robot, file)?;
    let mut links = Vec::new();
    for node in robot.children().filter(|n| n.has_tag_name("link")) {
        links.push(parse_link(node, file, &materials, path)?);
    }
    let notes = ignored_elements(robot);
    check_link_names(&links, file)?;

    let mut joints = Vec::new();
    for node in robot.children().filter(|n| n.has_tag_name("joint")) {
        let file_index = joints.len();
        joints.push(parse_joint(node, file, &links, file_index)?);
    }
    let (links, joints) = tree_order(links, joints, file)?;

    // Fixed joints weld links (IMU frames, feet, dummy links) into their parents.
    let mut model = merge_fixed(RobotModel {
        name,
        links,
        joints,
        notes,
        hints: Default::default(),
    });
    let states_efforts = robot
        .descendants()
        .any(|n| n.has_tag_name("limit") && n.attribute("effort").is_some());
    if !states_efforts {
        default_efforts(&mut model);
    }
    check_bodies(&model, file)?;
    Ok(model)
}

/// The top-level `<material>` definitions that have a colour.
fn parse_materials(robot: roxmltree::Node, file: &str) -> Result<Materials> {
    let mut materials = HashMap::new();
    for m in robot.children().filter(|n| n.has_tag_name("material")) {
        if let (Some(n), Some(c)) = (m.attribute("name"), material_rgba(m, file)?) {
            materials.insert(n.to_string(), c);
        }
    }
    Ok(materials)
}

/// One note per kind of top-level element that is read but not simulated.
fn ignored_elements(robot: roxmltree::Node) -> Vec<String> {
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
    notes
}

/// At least one link, and no name twice.
fn check_link_names(links: &[LinkDesc], file: &str) -> Result<()> {
    let err = |msg: String| Error::asset(file, msg);
    if links.is_empty() {
        return Err(err("no <link> elements".into()));
    }
    for (i, l) in links.iter().enumerate() {
        if links[..i].iter().any(|o| o.name == l.name) {
            return Err(err(format!("link `{}` is defined twice", l.name)));
        }
    }
    Ok(())
}

/// Index of the link named `n`, which joint `joint` refers to.
fn link_index(links: &[LinkDesc], n: &str, joint: &str, file: &str) -> Result<usize> {
    links.iter().position(|l| l.name == n).ok_or_else(|| {
        Error::asset(
            file,
            format!("joint `{joint}` refers to unknown link `{n}`"),
        )
    })
}

/// One `<joint>`, the `file_index`-th of the file, between links of `links` (file order).
fn parse_joint(
    node: roxmltree::Node,
    file: &str,
    links: &[LinkDesc],
    file_index: usize,
) -> Result<JointDesc> {
    let jname = node
        .attribute("name")
        .ok_or_else(|| Error::asset(file, "a <joint> has no `name` attribute".to_string()))?
        .to_string();
    let ctx = format!("joint `{jname}`");
    let kind = joint_kind(node, file, &ctx)?;
    let parent_name = child_attr(node, "parent", "link", file, &ctx)?;
    let child_name = child_attr(node, "child", "link", file, &ctx)?;
    let parent = link_index(links, &parent_name, &jname, file)?;
    let child = link_index(links, &child_name, &jname, file)?;
    let origin = parse_origin(node, file, &ctx)?;
    let axis = joint_axis(node, file, &ctx)?;
    let (limits, effort) = joint_limit(node, kind, file, &ctx)?;
    let (damping, armature) = joint_dynamics(node, file, &ctx)?;
    Ok(JointDesc {
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
        stiffness: 0.0,
        spring_ref_rad: 0.0,
        frictionloss: 0.0,
        file_index,
    })
}

/// A joint's `type`.
fn joint_kind(node: roxmltree::Node, file: &str, ctx: &str) -> Result<JointKind> {
    let err = |msg: String| Error::asset(file, msg);
    match node.attribute("type") {
        Some("revolute") => Ok(JointKind::Revolute),
        Some("continuous") => Ok(JointKind::Continuous),
        Some("fixed") => Ok(JointKind::Fixed),
        Some("planar") => Ok(JointKind::Planar),
        Some(other) => Err(err(format!(
            "{ctx}: type `{other}` is not supported (allowed: revolute, continuous, fixed, planar)"
        ))),
        None => Err(err(format!("{ctx}: missing `type` attribute"))),
    }
}

/// A joint's `<axis xyz>`, normalised; x when absent.
fn joint_axis(node: roxmltree::Node, file: &str, ctx: &str) -> Result<Vector> {
    match node.children().find(|n| n.has_tag_name("axis")) {
        Some(a) => {
            let v = parse_floats::<3>(a, "xyz", file, &format!("{ctx} <axis>"))?;
            let v = Vector::new(v[0], v[1], v[2]);
            if v.length() < 1e-6 {
                return Err(Error::asset(
                    file,
                    format!("{ctx}: <axis xyz> must be non-zero"),
                ));
            }
            Ok(v.normalize())
        }
        None => Ok(Vector::X),
    }
}

/// A joint's `<limit>`: position limits (revolute joints only, where it is required) and effort.
fn joint_limit(
    node: roxmltree::Node,
    kind: JointKind,
    file: &str,
    ctx: &str,
) -> Result<(Option<[Real; 2]>, Real)> {
    let err = |msg: String| Error::asset(file, msg);
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
    Ok((limits, effort))
}

/// A joint's `<dynamics damping armature>`, zeros when absent.
fn joint_dynamics(node: roxmltree::Node, file: &str, ctx: &str) -> Result<(Real, Real)> {
    let (mut damping, mut armature) = (0.0, 0.0);
    if let Some(d) = node.children().find(|n| n.has_tag_name("dynamics")) {
        let dctx = format!("{ctx} <dynamics>");
        damping = opt_float(d, "damping", file, &dctx)?.unwrap_or(0.0);
        armature = opt_float(d, "armature", file, &dctx)?.unwrap_or(0.0);
        if damping < 0.0 || armature < 0.0 {
            return Err(Error::asset(
                file,
                format!("{dctx}: damping and armature must be ≥ 0"),
            ));
        }
    }
    Ok((damping, armature))
}

/// Checks that the joints form a tree over the links and orders both breadth-first from the
/// root, so parents precede children (joint parent/child indices renumbered to match).
fn tree_order(
    links: Vec<LinkDesc>,
    joints: Vec<JointDesc>,
    file: &str,
) -> Result<(Vec<LinkDesc>, Vec<JointDesc>)> {
    let err = |msg: String| Error::asset(file, msg);
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
    Ok((links, joints))
}

/// After welding: every body has a mass and a way to get its inertia, and something is actuated.
fn check_bodies(model: &RobotModel, file: &str) -> Result<()> {
    let err = |msg: String| Error::asset(file, msg);
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
    Ok(())
}

/// One `<link>`: its inertial, collisions and visuals.
fn parse_link(
    node: roxmltree::Node,
    file: &str,
    materials: &Materials,
    path: Option<&Path>,
) -> Result<LinkDesc> {
    let name = node
        .attribute("name")
        .ok_or_else(|| Error::asset(file, "a <link> has no `name` attribute".to_string()))?
        .to_string();
    let ctx = format!("link `{name}`");
    let (mass_kg, com, inertia) = parse_inertial(node, file, &ctx)?;
    let mut collisions = Vec::new();
    for c in node.children().filter(|n| n.has_tag_name("collision")) {
        let origin = parse_origin(c, file, &ctx)?;
        let s = geometry(c, file, &format!("{ctx} <collision>"))?;
        let shape = if s.has_tag_name("mesh") {
            mesh_hull(s, file, &ctx, path)?
        } else {
            parse_shape(s, file, &ctx)?
        };
        collisions.push(CollisionDesc {
            origin,
            shape,
            friction_scale: 1.0,
            skin_m: 0.0,
        });
    }
    let mut visuals = Vec::new();
    for v in node.children().filter(|n| n.has_tag_name("visual")) {
        // A visual never changes the physics: one that does not parse is left out.
        if let Ok(visual) = parse_visual(v, file, &ctx, materials) {
            visuals.push(visual);
        }
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

/// A link's `<inertial>`: mass, centre of mass and the inertia in the link frame, if given
/// (massless without `<inertial>`).
fn parse_inertial(
    node: roxmltree::Node,
    file: &str,
    ctx: &str,
) -> Result<(Real, Vector, Option<[Real; 6]>)> {
    let err = |msg: String| Error::asset(file, msg);
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
        let frame = parse_origin(inertial, file, ctx)?;
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
            // Some exporters write an all-zero tensor for "unknown": computed from the shapes.
            if v.iter().all(|&x| x == 0.0) {
                return Ok((mass_kg, com, None));
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
    Ok((mass_kg, com, inertia))
}

/// One `<visual>` of link `ctx`: a primitive or a mesh, with its colour if any.
fn parse_visual(
    v: roxmltree::Node,
    file: &str,
    ctx: &str,
    materials: &Materials,
) -> Result<VisualDesc> {
    let vctx = format!("{ctx} <visual>");
    let origin = parse_origin(v, file, &vctx)?;
    let g = geometry(v, file, &vctx)?;
    let geometry = if g.has_tag_name("mesh") {
        let filename = g
            .attribute("filename")
            .ok_or_else(|| Error::asset(file, format!("{vctx} <mesh>: missing `filename`")))?
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
    Ok(VisualDesc {
        origin,
        geometry,
        rgba,
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

/// A collision `<mesh filename scale>`: the convex hull of the file (see [`super::mesh`]).
fn mesh_hull(s: roxmltree::Node, file: &str, ctx: &str, path: Option<&Path>) -> Result<ShapeDesc> {
    let mctx = format!("{ctx} <collision> <mesh>");
    let name = s
        .attribute("filename")
        .ok_or_else(|| Error::asset(file, format!("{mctx}: missing `filename`")))?;
    let scale = match s.attribute("scale") {
        Some(_) => parse_floats::<3>(s, "scale", file, &mctx)?,
        None => [1.0; 3],
    };
    if scale.iter().any(|v| !(v.abs() > 1e-9 && v.abs() < 1e4)) {
        return Err(Error::asset(
            file,
            format!("{mctx}: `scale` must be non-zero and below 1e4"),
        ));
    }
    let path = path.ok_or_else(|| {
        Error::asset(
            file,
            format!("{mctx} `{name}`: mesh files need a URDF read from a file"),
        )
    })?;
    let mesh = super::mesh::resolve(path, name)?;
    let points = super::mesh::convex_hull_points(&mesh, scale)
        .map_err(|e| super::mesh::in_robot_file(file, &mctx, e))?;
    Ok(ShapeDesc::ConvexHull { points })
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
                    "{ctx}: geometry <{other}> is not supported (allowed: sphere, box, cylinder, capsule, mesh)"
                )))
            }
        };
        Ok(shape)
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
        assert!(err_of(&mesh).contains("mesh files need a URDF read from a file"));
        let kind = TWO_LINK.replace(r#"type="revolute""#, r#"type="prismatic""#);
        assert!(err_of(&kind).contains("type `prismatic` is not supported"));
        let no_act = TWO_LINK.replace(r#"effort="5""#, r#"effort="0""#);
        assert!(err_of(&no_act).contains("no actuated joint"));
    }

    #[test]
    fn harmless_quirks_load() {
        let clean = RobotModel::from_urdf_str(TWO_LINK, "ok.urdf").unwrap();
        for text in [
            format!("\u{feff}{TWO_LINK}"),
            format!("{TWO_LINK}\0\0"),
            format!("{TWO_LINK}\n \t\r\n\0\n"),
        ] {
            assert_eq!(
                RobotModel::from_urdf_str(&text, "quirky.urdf").unwrap(),
                clean
            );
        }
    }

    #[test]
    fn a_collision_mesh_becomes_its_convex_hull_scaled() {
        let dir = tempfile::tempdir().unwrap();
        // A unit cube as OBJ, plus an interior vertex the hull drops.
        let mut obj = String::new();
        for x in [0, 1] {
            for y in [0, 1] {
                for z in [0, 1] {
                    obj += &format!("v {x} {y} {z}\n");
                }
            }
        }
        obj += "v 0.5 0.5 0.5\nf 1 2 3\n";
        std::fs::create_dir(dir.path().join("meshes")).unwrap();
        std::fs::write(dir.path().join("meshes/cube.obj"), obj).unwrap();
        let urdf = TWO_LINK.replace(
            r#"<sphere radius="0.1"/>"#,
            r#"<mesh filename="package://robot/meshes/cube.obj" scale="0.2 0.2 0.4"/>"#,
        );
        let path = dir.path().join("robot.urdf");
        std::fs::write(&path, &urdf).unwrap();
        let m = RobotModel::from_urdf_file(&path).unwrap();
        let hulls: Vec<&Vec<[Real; 3]>> = m
            .links
            .iter()
            .flat_map(|l| &l.collisions)
            .filter_map(|c| match &c.shape {
                ShapeDesc::ConvexHull { points } => Some(points),
                _ => None,
            })
            .collect();
        assert!(!hulls.is_empty());
        for pts in hulls {
            assert_eq!(pts.len(), 8, "the interior vertex is not on the hull");
            let (shape, _) = ShapeDesc::ConvexHull {
                points: pts.clone(),
            }
            .to_shape();
            let volume = shape.mass_properties(1.0).mass();
            assert!((volume - 0.2 * 0.2 * 0.4).abs() < 1e-6, "volume {volume}");
        }
        std::fs::write(
            dir.path().join("meshes/cube.obj"),
            "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\n",
        )
        .unwrap();
        let e = RobotModel::from_urdf_file(&path).unwrap_err().to_string();
        assert!(
            e.contains("robot.urdf") && e.contains("cube.obj") && e.contains("degenerate"),
            "{e}"
        );
        std::fs::remove_file(dir.path().join("meshes/cube.obj")).unwrap();
        let e = RobotModel::from_urdf_file(&path).unwrap_err().to_string();
        assert!(e.contains("not found"), "{e}");
    }
}
