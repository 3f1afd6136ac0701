//! Robot descriptions: the [`RobotModel`] a robot is simulated from (links, joints, collision
//! shapes, nominal masses, visuals). Reading one from URDF is `urdf.rs`'s job, welding fixed
//! joints `weld.rs`'s, building the Rapier multibody from the model `world.rs`'s; nothing here
//! knows about rewards, tasks or learning.

use rapier3d::math::{Matrix, Pose, Real, Rotation, Vector};
use rapier3d::prelude::{MassProperties, SharedShape};

use super::dynamics::DynamicsShape;

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
    /// A convex polyhedron: the hull of these points (a mesh collision, an MJCF ellipsoid).
    /// Readers build it with [`super::mesh::hull_of`], which rejects degenerate points.
    ConvexHull {
        /// The hull's vertices in the shape frame (m).
        points: Vec<[Real; 3]>,
    },
}

impl ShapeDesc {
    /// The Rapier shape, with URDF's z-axis convention applied.
    pub fn to_shape(&self) -> (SharedShape, Pose) {
        match *self {
            ShapeDesc::ConvexHull { ref points } => {
                let pts: Vec<Vector> = points
                    .iter()
                    .map(|p| Vector::new(p[0], p[1], p[2]))
                    .collect();
                let hull = SharedShape::convex_hull(&pts)
                    .expect("hull points come from mesh::hull_of, which checked them");
                (hull, Pose::IDENTITY)
            }
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
    /// This shape's ground friction relative to the task's coefficient (1 for URDF; an MJCF
    /// geom's combined friction over the file's nominal one, see [`ModelHints`]).
    pub friction_scale: Real,
    /// Contact skin (m): the shape rests this far from the ground (MJCF geom `margin`,
    /// which MuJoCo adds to the floor's; 0 for URDF).
    pub skin_m: Real,
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
    /// Links welded into this one by fixed joints (see [`super::weld::merge_fixed`]), with their frames in
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

    /// rand-params' mass properties: the mass × `mass_scale` and each element of the nominal
    /// principal inertia × `inertia_scale` independently (MuJoCo's `body_mass` and
    /// `body_inertia` are separate arrays), about the same centre of mass and axes.
    pub fn mass_properties_rescaled(
        &self,
        mass_scale: Real,
        inertia_scale: [Real; 3],
    ) -> MassProperties {
        let nominal = self.mass_properties(1.0);
        if nominal.mass() <= 0.0 {
            return nominal;
        }
        MassProperties::with_principal_inertia_frame(
            nominal.local_com,
            nominal.mass() * mass_scale,
            nominal.principal_inertia() * Vector::from(inertia_scale),
            nominal.principal_inertia_local_frame,
        )
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

impl JointKind {
    /// Revolute or continuous: one rotational DOF with damping.
    pub fn is_hinge(self) -> bool {
        matches!(self, JointKind::Revolute | JointKind::Continuous)
    }
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
    /// Joint spring stiffness in N·m/rad (MJCF `stiffness`; 0 for URDF), pulling towards
    /// `spring_ref_rad`.
    pub stiffness: Real,
    /// Rest angle of the joint spring (MJCF `springref`), rad.
    pub spring_ref_rad: Real,
    /// Dry joint friction, the largest torque it resists motion with (MJCF `frictionloss`,
    /// N·m; 0 for URDF).
    pub frictionloss: Real,
    /// Position of the joint in the action layout: the file's `<joint>` order for URDF, the
    /// `<actuator>` order for MJCF.
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
    /// What the file says about its simulation beyond the bodies (MJCF's `<option>`, its
    /// floor and initial pose); empty for URDF.
    pub hints: ModelHints,
}

/// Simulation settings a robot file states (MJCF); config defaults for the robot come from
/// them, and a config states anything else explicitly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelHints {
    /// `<option timestep>` in seconds.
    pub timestep_s: Option<Real>,
    /// The robot–ground friction the file gives (MuJoCo's `max` of a geom's and the floor's
    /// sliding friction, for the geom most shapes share).
    pub nominal_friction: Option<Real>,
    /// Contact skin of the ground (m): the floor geom's MJCF `margin`.
    pub floor_skin_m: Real,
    /// Joints start at the angle nearest 0 inside their limits (MJCF robots: MuJoCo's
    /// `qpos0` is 0, and its soft limits fling a joint that starts outside its range; drat
    /// starts inside it, see docs/robots.md).
    pub start_inside_limits: bool,
    /// Height of the free root body in the file (its `pos` z), metres.
    pub root_height_m: Option<Real>,
    /// Observe as Gymnasium's MuJoCo envs do: a free root's angular velocity in the torso
    /// frame (MuJoCo's free-joint `qvel`), not the world frame. Set for MJCF robots.
    pub mujoco_layout: bool,
    /// Every actuator is a `<position kp>` servo with this stiffness (N·m/rad) and damping
    /// (`kv`, N·m·s/rad); `None` for torque motors.
    pub position_servo: Option<[Real; 2]>,
}

impl RobotModel {
    /// Whether the root link is the fixed world (planar robots hang off it).
    pub fn root_is_world(&self) -> bool {
        self.links[0].name == "world"
    }

    /// The links that carry mass, the bodies (all but a fixed `world` root), as link
    /// indices; body `b` is link `body_links().start + b`.
    pub fn body_links(&self) -> std::ops::Range<usize> {
        usize::from(self.root_is_world())..self.links.len()
    }

    /// Number of bodies (see [`Self::body_links`]).
    pub fn n_bodies(&self) -> usize {
        self.body_links().len()
    }

    /// What a task's dynamics can scale on this robot: bodies, hinges in joint order, and
    /// collision geoms over those bodies.
    pub fn dynamics_shape(&self) -> DynamicsShape {
        DynamicsShape {
            bodies: self.n_bodies(),
            hinges: self.joints.iter().filter(|j| j.kind.is_hinge()).count(),
            geoms: self.links[self.body_links()]
                .iter()
                .map(|l| l.collisions.len())
                .sum(),
        }
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

    /// Link poses with hinge `j` at angle `q[j]` (one angle per joint; other joint kinds sit at
    /// their origin; an empty `q` is q = 0), the root at the origin.
    pub fn link_poses_at(&self, q: &[Real]) -> Vec<Pose> {
        let mut poses = vec![Pose::IDENTITY; self.links.len()];
        for (ji, j) in self.joints.iter().enumerate() {
            let angle = q.get(ji).copied().unwrap_or(0.0);
            let turn = if j.kind.is_hinge() && angle != 0.0 {
                Pose::from_rotation(Rotation::from_axis_angle(j.axis, angle))
            } else {
                Pose::IDENTITY
            };
            poses[j.child] = poses[j.parent] * j.origin * turn;
        }
        poses
    }

    /// The lowest point of the collision shapes at q = 0, the root at the origin (m; `None`
    /// without shapes): how high a free root must start for the robot to clear the ground.
    pub fn lowest_point_at_zero(&self) -> Option<Real> {
        let poses = self.link_poses_at(&[]);
        self.links
            .iter()
            .zip(&poses)
            .flat_map(|(l, p)| {
                l.collisions.iter().map(move |c| {
                    let (shape, sp) = c.shape.to_shape();
                    shape.compute_aabb(&(*p * c.origin * sp)).mins.z
                })
            })
            .reduce(Real::min)
    }

    /// Total nominal mass in kg.
    pub fn total_mass_kg(&self) -> Real {
        self.links.iter().map(|l| l.mass_kg).sum()
    }
}

/// The symmetric matrix of `[ixx, ixy, ixz, iyy, iyz, izz]`.
pub(super) fn inertia_matrix(i: [Real; 6]) -> Matrix {
    Matrix::from_cols_array(&[i[0], i[1], i[2], i[1], i[3], i[4], i[2], i[4], i[5]])
}

/// `[ixx, ixy, ixz, iyy, iyz, izz]` of a symmetric matrix.
pub(super) fn inertia_array(m: Matrix) -> [Real; 6] {
    [
        m.x_axis.x, m.y_axis.x, m.z_axis.x, m.y_axis.y, m.z_axis.y, m.z_axis.z,
    ]
}
