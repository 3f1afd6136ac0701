//! Visual meshes for replay pages: where a URDF's `<mesh filename>` comes from (the A1's OBJ
//! files are embedded; a `.urdf` path's meshes are read beside it), a reader for OBJ and STL
//! (positions and faces only: materials, normals and texture coordinates are not needed, the
//! page colours a mesh with its URDF `<material>` and shades it flat), and vertex-clustering
//! decimation to a triangle budget so a page stays small (the A1's trunk has 28 750 triangles,
//! 2.7 MB of OBJ; decimated to [`MAX_TRIANGLES`] it is about 70 kB of page).
//!
//! A mesh that cannot be had (a `package://` path that does not resolve, a missing file, an
//! unsupported format) is not an error: its body is drawn with its collision shapes and the
//! replay carries a note naming the file.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::config::Robot;
use crate::env::BodyShapes;
use crate::error::{Error, Result};
use crate::sim::mesh::resolve;
pub use crate::sim::mesh::{read_obj, read_stl, TriMesh};

/// Triangles a page mesh keeps at most (see [`TriMesh::decimate`]).
pub const MAX_TRIANGLES: usize = 4000;

/// The A1's visual meshes, as `<mesh filename>` writes them (unmodified from PyBullet's data;
/// `assets/robots/a1/LICENSE.md`).
const A1_MESHES: [(&str, &[u8]); 5] = [
    (
        "meshes/trunk.obj",
        include_bytes!("../../assets/robots/a1/meshes/trunk.obj"),
    ),
    (
        "meshes/hip.obj",
        include_bytes!("../../assets/robots/a1/meshes/hip.obj"),
    ),
    (
        "meshes/thigh.obj",
        include_bytes!("../../assets/robots/a1/meshes/thigh.obj"),
    ),
    (
        "meshes/thigh_mirror.obj",
        include_bytes!("../../assets/robots/a1/meshes/thigh_mirror.obj"),
    ),
    (
        "meshes/calf.obj",
        include_bytes!("../../assets/robots/a1/meshes/calf.obj"),
    ),
];

/// A mesh ready for a page: decimated, with the size it came from.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PageMesh {
    /// Triangles in the file.
    pub source_triangles: usize,
    /// The decimated mesh.
    pub mesh: TriMesh,
}

impl TriMesh {
    /// Smallest and largest coordinate per axis (zeros for an empty mesh).
    pub fn bounds(&self) -> ([f32; 3], [f32; 3]) {
        if self.positions.is_empty() {
            return ([0.0; 3], [0.0; 3]);
        }
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for p in &self.positions {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        (lo, hi)
    }

    /// At most `max_triangles` triangles by vertex clustering: vertices are binned into cubic
    /// cells, each cell becomes one vertex at the mean of its members, and triangles whose
    /// corners fall into fewer than three cells (or repeat another's cells) are dropped. The
    /// cell starts at 1/256 of the bounding-box diagonal and grows by 1.5× until the budget
    /// holds. A mesh within the budget is returned as it is. Deterministic: cells are numbered
    /// in vertex order and means are summed in that order.
    pub fn decimate(&self, max_triangles: usize) -> TriMesh {
        if self.triangles.len() <= max_triangles {
            return self.clone();
        }
        let (lo, hi) = self.bounds();
        let diag = (0..3).map(|k| (hi[k] - lo[k]).powi(2)).sum::<f32>().sqrt();
        let mut cell = diag / 256.0;
        loop {
            let m = self.cluster(cell);
            if m.triangles.len() <= max_triangles || cell > diag {
                return m;
            }
            cell *= 1.5;
        }
    }

    /// One vertex per occupied cell of side `cell` (see [`TriMesh::decimate`]).
    pub fn cluster(&self, cell: f32) -> TriMesh {
        let (lo, _) = self.bounds();
        let key = |p: &[f32; 3]| -> [i64; 3] {
            std::array::from_fn(|k| ((p[k] - lo[k]) / cell).floor() as i64)
        };
        let mut cell_of: HashMap<[i64; 3], u32> = HashMap::new();
        let mut sums: Vec<[f64; 4]> = Vec::new();
        let vertex_cell: Vec<u32> = self
            .positions
            .iter()
            .map(|p| {
                let c = *cell_of.entry(key(p)).or_insert_with(|| {
                    sums.push([0.0; 4]);
                    (sums.len() - 1) as u32
                });
                let s = &mut sums[c as usize];
                for k in 0..3 {
                    s[k] += f64::from(p[k]);
                }
                s[3] += 1.0;
                c
            })
            .collect();
        // Keep the triangles that still span three cells, once each; number the cells they
        // use in order of first use.
        let mut seen = HashSet::new();
        let mut new_index: Vec<Option<u32>> = vec![None; sums.len()];
        let mut out = TriMesh::default();
        for t in &self.triangles {
            let c = t.map(|v| vertex_cell[v as usize]);
            if c[0] == c[1] || c[1] == c[2] || c[0] == c[2] {
                continue;
            }
            let mut sorted = c;
            sorted.sort_unstable();
            if !seen.insert(sorted) {
                continue;
            }
            let tri = c.map(|ci| {
                *new_index[ci as usize].get_or_insert_with(|| {
                    let s = sums[ci as usize];
                    out.positions
                        .push(std::array::from_fn(|k| (s[k] / s[3]) as f32));
                    (out.positions.len() - 1) as u32
                })
            });
            out.triangles.push(tri);
        }
        out
    }

    /// Positions as a flat `x y z` list.
    pub fn flat_positions(&self) -> Vec<f32> {
        self.positions.iter().flatten().copied().collect()
    }

    /// Indices as a flat list.
    pub fn flat_indices(&self) -> Vec<u32> {
        self.triangles.iter().flatten().copied().collect()
    }
}

/// The meshes `bodies` draw, read and decimated, by `<mesh filename>`; plus one note per
/// mesh that could not be had (those bodies are drawn with their collision shapes).
pub fn load(robot: &Robot, bodies: &[BodyShapes]) -> (BTreeMap<String, PageMesh>, Vec<String>) {
    let names: std::collections::BTreeSet<&str> = bodies
        .iter()
        .flat_map(|b| &b.visuals)
        .filter_map(|v| v.mesh.as_deref())
        .collect();
    let mut meshes = BTreeMap::new();
    let mut notes = Vec::new();
    for name in names {
        match read(robot, name) {
            Ok(m) => {
                let page = PageMesh {
                    source_triangles: m.triangles.len(),
                    mesh: m.decimate(MAX_TRIANGLES),
                };
                meshes.insert(name.to_string(), page);
            }
            Err(e) => notes.push(format!(
                "mesh `{name}` not drawn ({e}); its bodies show their collision shapes"
            )),
        }
    }
    (meshes, notes)
}

/// Reads the mesh `name` (as the URDF writes it) of `robot`.
pub fn read(robot: &Robot, name: &str) -> Result<TriMesh> {
    let bytes: Vec<u8> = match robot {
        Robot::A1 => A1_MESHES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.to_vec())
            .ok_or_else(|| Error::Asset {
                file: "embedded:a1/a1.urdf".into(),
                msg: format!("no embedded mesh `{name}`"),
            })?,
        Robot::Urdf(urdf) => {
            let path = resolve(urdf, name)?;
            std::fs::read(&path).map_err(|e| Error::io(&path, e))?
        }
        _ => {
            return Err(Error::Asset {
                file: robot.to_string(),
                msg: format!("the built-in robot has no mesh `{name}`"),
            })
        }
    };
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".obj") {
        read_obj(&String::from_utf8_lossy(&bytes), name)
    } else if lower.ends_with(".stl") {
        read_stl(&bytes, name)
    } else {
        Err(Error::Asset {
            file: name.to_string(),
            msg: "mesh format not supported: OBJ and STL are".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obj_faces_fan_into_triangles_and_errors_name_the_line() {
        let obj = "# cube corner\nmtllib x.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvn 0 0 1\n\
                   f 1//1 2//1 3//1 4//1\nf -4/1 -2 -1\n";
        let m = read_obj(obj, "q.obj").unwrap();
        assert_eq!(m.positions.len(), 4);
        assert_eq!(m.triangles, vec![[0, 1, 2], [0, 2, 3], [0, 2, 3]]);
        let e = read_obj("v 0 0 0\nv 1 0 0\nf 1 2 3\n", "bad.obj").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("bad.obj") && msg.contains("line 3"), "{msg}");
        let e = read_obj("v 0 0 nan\n", "nan.obj").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn binary_and_ascii_stl_read_the_same_triangle() {
        let mut bin = vec![0u8; 80];
        bin.extend_from_slice(&1u32.to_le_bytes());
        for x in [
            0.0f32, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0,
        ] {
            bin.extend_from_slice(&x.to_le_bytes());
        }
        bin.extend_from_slice(&[0, 0]);
        let ascii = "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n\
                     vertex 0 1 0\nendloop\nendfacet\nendsolid t\n";
        let a = read_stl(&bin, "t.stl").unwrap();
        let b = read_stl(ascii.as_bytes(), "t.stl").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.positions[2], [0.0, 1.0, 0.0]);
        assert!(read_stl(b"solid t\nvertex 0 0 0\n", "short.stl").is_err());
    }

    /// A sphere of `n` latitude bands: a fine closed mesh with a known surface.
    fn sphere(n: u32) -> TriMesh {
        let mut m = TriMesh::default();
        for i in 0..=n {
            for j in 0..2 * n {
                let (th, ph) = (
                    std::f32::consts::PI * i as f32 / n as f32,
                    std::f32::consts::PI * j as f32 / n as f32,
                );
                m.positions
                    .push([th.sin() * ph.cos(), th.sin() * ph.sin(), th.cos()]);
            }
        }
        let at = |i: u32, j: u32| i * 2 * n + j % (2 * n);
        for i in 0..n {
            for j in 0..2 * n {
                m.triangles.push([at(i, j), at(i + 1, j), at(i + 1, j + 1)]);
                m.triangles.push([at(i, j), at(i + 1, j + 1), at(i, j + 1)]);
            }
        }
        m
    }

    #[test]
    fn decimation_meets_the_budget_and_keeps_the_surface() {
        let fine = sphere(60);
        assert_eq!(fine.triangles.len(), 14400);
        let coarse = fine.decimate(2000);
        assert!(
            (500..=2000).contains(&coarse.triangles.len()),
            "{} triangles",
            coarse.triangles.len()
        );
        // Every vertex is the mean of nearby points of the unit sphere: close to it.
        for p in &coarse.positions {
            let r = p.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((r - 1.0).abs() < 0.05, "vertex at radius {r}");
        }
        // Every index is in range; no triangle repeats a vertex.
        for t in &coarse.triangles {
            assert!(t.iter().all(|&v| (v as usize) < coarse.positions.len()));
            assert!(t[0] != t[1] && t[1] != t[2] && t[0] != t[2]);
        }
        let (lo, hi) = coarse.bounds();
        assert!(lo.iter().all(|x| *x < -0.95) && hi.iter().all(|x| *x > 0.95));
        // Within the budget: unchanged. Same input: same output.
        assert_eq!(fine.decimate(20000), fine);
        assert_eq!(fine.decimate(2000), coarse);
    }

    #[test]
    fn a_cell_larger_than_the_mesh_leaves_nothing_and_a_tiny_one_changes_nothing() {
        let m = sphere(8);
        assert!(m.cluster(10.0).triangles.is_empty());
        let same = m.cluster(1e-4);
        // The poles' rings collapse to one point each (they are one point); the rest stays.
        assert!(same.triangles.len() >= m.triangles.len() - 4 * 8);
        assert!(same.triangles.len() < m.triangles.len());
    }
}
