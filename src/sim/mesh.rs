//! Mesh files as robot descriptions name them: where a `<mesh filename>` is (relative to the
//! robot file; `package://PKG/rest` as `rest` beside it or in a parent directory, the usual
//! `PKG/urdf/x.urdf` + `PKG/meshes/` layout; `file://` and absolute paths as they are), readers
//! for OBJ and STL (positions and faces only), and the convex hull a mesh collision becomes.
//!
//! One convex hull per mesh, not a convex decomposition: a link's collision mesh in a robot
//! description is usually a single convex-ish part (a foot, a shin, a trunk), and a hull
//! keeps contacts cheap. Where a part is strongly concave (a U-shaped bracket) the hull fills
//! it in; the replay draws the hull's bounding box, so a reader can see what collides.

use std::path::{Path, PathBuf};

use rapier3d::math::Real;
use rapier3d::prelude::SharedShape;

use crate::error::{Error, Result};

/// An indexed triangle mesh.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct TriMesh {
    /// Vertex positions (the file's units; URDF meshes are in metres before `scale`).
    pub positions: Vec<[f32; 3]>,
    /// Triangles as vertex indices, counter-clockwise seen from outside where the file says so.
    pub triangles: Vec<[u32; 3]>,
}

/// Reads a Wavefront OBJ's `v` and `f` lines (faces of any size are fanned into triangles;
/// `v/vt/vn` forms and negative, relative indices are accepted; everything else is skipped).
/// Errors name `file` and the line.
pub fn read_obj(text: &str, file: &str) -> Result<TriMesh> {
    let bad = |line: usize, msg: String| Error::Asset {
        file: file.to_string(),
        msg: format!("line {line}: {msg}"),
    };
    let mut m = TriMesh::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let mut words = raw.split_whitespace();
        match words.next() {
            Some("v") => {
                let p = three_floats(words).ok_or_else(|| {
                    bad(line, format!("`{raw}`: a vertex needs 3 finite numbers"))
                })?;
                m.positions.push(p);
            }
            Some("f") => {
                let n = m.positions.len() as i64;
                let idx: Vec<u32> = words
                    .map(|w| {
                        let v: i64 = w.split('/').next()?.parse().ok()?;
                        // 1-based; negative counts back from the last vertex so far.
                        let at = if v < 0 { n + v } else { v - 1 };
                        (0..n).contains(&at).then_some(at as u32)
                    })
                    .collect::<Option<_>>()
                    .ok_or_else(|| {
                        bad(
                            line,
                            format!(
                                "`{raw}`: face indices must name one of the {n} vertices so far"
                            ),
                        )
                    })?;
                if idx.len() < 3 {
                    return Err(bad(
                        line,
                        format!("`{raw}`: a face needs 3 or more vertices"),
                    ));
                }
                for k in 1..idx.len() - 1 {
                    m.triangles.push([idx[0], idx[k], idx[k + 1]]);
                }
            }
            _ => {}
        }
    }
    Ok(m)
}

/// Reads an STL file, binary or ASCII (`solid … facet … vertex x y z`). Vertices are not
/// shared (STL has none); decimation welds them.
pub fn read_stl(bytes: &[u8], file: &str) -> Result<TriMesh> {
    let bad = |msg: String| Error::Asset {
        file: file.to_string(),
        msg,
    };
    let binary_len = |n: usize| 84 + 50 * n;
    if bytes.len() >= 84 {
        let n = u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]) as usize;
        if bytes.len() == binary_len(n) {
            let mut m = TriMesh::default();
            for f in bytes[84..].chunks_exact(50) {
                let at = m.positions.len() as u32;
                for v in 0..3 {
                    let o = 12 + 12 * v;
                    m.positions.push(std::array::from_fn(|k| {
                        let b = &f[o + 4 * k..o + 4 * k + 4];
                        f32::from_le_bytes([b[0], b[1], b[2], b[3]])
                    }));
                }
                m.triangles.push([at, at + 1, at + 2]);
            }
            if m.positions.iter().flatten().any(|x| !x.is_finite()) {
                return Err(bad("a vertex is not finite".into()));
            }
            return Ok(m);
        }
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        bad("neither binary STL (84-byte header, 50 bytes a facet) nor ASCII STL".into())
    })?;
    let mut m = TriMesh::default();
    for (i, raw) in text.lines().enumerate() {
        let mut words = raw.split_whitespace();
        if words.next() != Some("vertex") {
            continue;
        }
        let p = three_floats(words).ok_or_else(|| {
            bad(format!(
                "line {}: `{raw}`: a vertex needs 3 finite numbers",
                i + 1
            ))
        })?;
        m.positions.push(p);
    }
    if m.positions.len() % 3 != 0 {
        return Err(bad(format!(
            "{} vertices: ASCII STL facets have 3 each",
            m.positions.len()
        )));
    }
    m.triangles = (0..m.positions.len() as u32 / 3)
        .map(|t| [3 * t, 3 * t + 1, 3 * t + 2])
        .collect();
    Ok(m)
}

/// The next three words as finite numbers.
fn three_floats<'a>(mut words: impl Iterator<Item = &'a str>) -> Option<[f32; 3]> {
    let mut next = || words.next()?.parse::<f32>().ok().filter(|x| x.is_finite());
    Some([next()?, next()?, next()?])
}

/// Where mesh `name` of the URDF at `urdf` is: `file://` and absolute paths as they are,
/// relative paths beside the URDF, `package://PKG/rest` as `rest` beside the URDF or in one
/// of its parent directories, nearest first (the usual `PKG/urdf/x.urdf` + `PKG/meshes/`
/// layout finds `rest` one directory up; no ROS package path is consulted).
pub fn resolve(urdf: &Path, name: &str) -> Result<PathBuf> {
    let dir = urdf.parent().unwrap_or(Path::new("."));
    let candidates: Vec<PathBuf> = if let Some(rest) = name.strip_prefix("package://") {
        let rest = rest.split_once('/').map_or("", |(_, r)| r);
        let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        abs.ancestors().map(|d| d.join(rest)).collect()
    } else {
        vec![dir.join(name.strip_prefix("file://").unwrap_or(name))]
    };
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| Error::Asset {
            file: urdf.display().to_string(),
            msg: format!(
                "mesh `{name}` not found (looked at {})",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// The convex hull of the mesh file at `path` (OBJ or STL) with `scale` applied per axis: its
/// vertices. Errors name the file: unreadable, an unknown extension, too few or degenerate
/// points (fewer than 4 not on one plane), non-finite or huge coordinates.
pub fn convex_hull_points(path: &Path, scale: [Real; 3]) -> Result<Vec<[Real; 3]>> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let lower = file.to_ascii_lowercase();
    let mesh = if lower.ends_with(".obj") {
        read_obj(&String::from_utf8_lossy(&bytes), &file)?
    } else if lower.ends_with(".stl") {
        read_stl(&bytes, &file)?
    } else {
        return Err(Error::asset(
            &file,
            "mesh collisions must be .obj or .stl files",
        ));
    };
    let points: Vec<[Real; 3]> = mesh
        .positions
        .iter()
        .map(|p| [p[0] * scale[0], p[1] * scale[1], p[2] * scale[2]])
        .collect();
    hull_of(&points).map_err(|msg| Error::asset(&file, msg))
}

/// An error reading a mesh file as an error of the robot file `robot` that names it at `ctx`
/// (the element): the robot file is what a user loads, the mesh is what is wrong.
pub(crate) fn in_robot_file(robot: &str, ctx: &str, e: Error) -> Error {
    let inner = match e {
        Error::Asset { file, msg } => format!("{file}: {msg}"),
        Error::Io { path, source } => format!("{}: {source}", path.display()),
        other => other.to_string(),
    };
    Error::asset(robot, format!("{ctx}: mesh {inner}"))
}

/// The vertices of the convex hull of `points`, or why there is none.
pub fn hull_of(points: &[[Real; 3]]) -> std::result::Result<Vec<[Real; 3]>, String> {
    if points
        .iter()
        .flatten()
        .any(|v| !v.is_finite() || v.abs() > 1e4)
    {
        return Err("a vertex is not finite or is beyond 1e4 m".into());
    }
    let pts: Vec<rapier3d::math::Vector> = points
        .iter()
        .map(|p| rapier3d::math::Vector::new(p[0], p[1], p[2]))
        .collect();
    if pts.len() < 4 {
        return Err(format!(
            "{} vertices: a convex hull needs 4 or more",
            pts.len()
        ));
    }
    let shape = SharedShape::convex_hull(&pts)
        .ok_or_else(|| "its vertices are degenerate (all on one plane or line)".to_string())?;
    let poly = shape
        .as_convex_polyhedron()
        .ok_or_else(|| "its convex hull is not a polyhedron".to_string())?;
    let out: Vec<[Real; 3]> = poly.points().iter().map(|p| [p.x, p.y, p.z]).collect();
    let volume = shape.mass_properties(1.0).mass();
    if !(volume.is_finite() && volume > 1e-12) {
        return Err("its vertices are degenerate: their convex hull has no volume".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 8 corners of an axis-aligned box of size `s` at the origin corner.
    fn corners(s: [f32; 3]) -> Vec<[f32; 3]> {
        (0..8)
            .map(|i| std::array::from_fn(|k| if i >> k & 1 == 1 { s[k] } else { 0.0 }))
            .collect()
    }

    /// A box as 12 triangles of unshared vertices (the STL way).
    fn box_facets(s: [f32; 3]) -> Vec<[[f32; 3]; 3]> {
        let c = corners(s);
        // Any triangulation of the corners works for a hull: fan each face.
        let faces = [
            [0, 1, 3, 2],
            [4, 5, 7, 6],
            [0, 1, 5, 4],
            [2, 3, 7, 6],
            [0, 2, 6, 4],
            [1, 3, 7, 5],
        ];
        faces
            .iter()
            .flat_map(|f| [[c[f[0]], c[f[1]], c[f[2]]], [c[f[0]], c[f[2]], c[f[3]]]])
            .collect()
    }

    fn volume(points: &[[Real; 3]]) -> Real {
        let pts: Vec<_> = points
            .iter()
            .map(|p| rapier3d::math::Vector::new(p[0], p[1], p[2]))
            .collect();
        SharedShape::convex_hull(&pts)
            .unwrap()
            .mass_properties(1.0)
            .mass()
    }

    #[test]
    fn binary_and_ascii_stl_give_the_same_scaled_hull() {
        let dir = tempfile::tempdir().unwrap();
        let facets = box_facets([1.0, 2.0, 3.0]);
        let mut bin = vec![0u8; 80];
        bin.extend((facets.len() as u32).to_le_bytes());
        let mut ascii = String::from("solid b\n");
        for f in &facets {
            bin.extend([0u8; 12]);
            ascii += " facet normal 0 0 0\n  outer loop\n";
            for v in f {
                bin.extend(v.iter().flat_map(|x| x.to_le_bytes()));
                ascii += &format!("   vertex {} {} {}\n", v[0], v[1], v[2]);
            }
            bin.extend([0u8; 2]);
            ascii += "  endloop\n endfacet\n";
        }
        ascii += "endsolid b\n";
        std::fs::write(dir.path().join("b.stl"), &bin).unwrap();
        std::fs::write(dir.path().join("a.STL"), &ascii).unwrap();
        let scale = [0.1, 0.1, -0.2];
        let b = convex_hull_points(&dir.path().join("b.stl"), scale).unwrap();
        let a = convex_hull_points(&dir.path().join("a.STL"), scale).unwrap();
        assert_eq!(
            b.len(),
            8,
            "duplicated STL vertices collapse to the 8 corners"
        );
        assert_eq!(a.len(), 8);
        for pts in [&a, &b] {
            let v = volume(pts);
            assert!((v - 0.1 * 0.2 * 0.6).abs() < 1e-5, "volume {v}");
            assert!(pts.iter().all(|p| p[2] <= 0.0), "a negative scale mirrors");
        }
    }

    #[test]
    fn package_paths_are_looked_up_beside_the_urdf_and_in_its_parents() {
        let dir = tempfile::tempdir().unwrap();
        let urdf = dir.path().join("pkg/robots/urdf/r.urdf");
        std::fs::create_dir_all(urdf.parent().unwrap()).unwrap();
        std::fs::create_dir_all(dir.path().join("pkg/meshes")).unwrap();
        std::fs::write(dir.path().join("pkg/meshes/m.obj"), "v 0 0 0\n").unwrap();
        let found = resolve(&urdf, "package://pkg/meshes/m.obj").unwrap();
        assert_eq!(
            found.canonicalize().unwrap(),
            dir.path().join("pkg/meshes/m.obj").canonicalize().unwrap()
        );
        let e = resolve(&urdf, "package://pkg/meshes/none.obj")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.urdf") && e.contains("none.obj") && e.contains("not found"),
            "{e}"
        );
        // A plain relative path is beside the URDF only.
        assert!(resolve(&urdf, "meshes/m.obj").is_err());
    }

    #[test]
    fn bad_mesh_files_are_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8], &str); 5] = [
            (
                "flat.obj",
                b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\n",
                "degenerate",
            ),
            ("few.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", "3 vertices"),
            ("nan.obj", b"v 0 0 NaN\n", "3 finite numbers"),
            ("bad.stl", &[0xff, 0xfe, 0x00, 0x01], "neither binary STL"),
            ("m.ply", b"ply\n", "must be .obj or .stl"),
        ];
        for (name, bytes, want) in cases {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let e = convex_hull_points(&p, [1.0; 3]).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains(want), "{name}: {e}");
        }
        let far = corners([1e5, 1.0, 1.0]);
        assert!(hull_of(&far).unwrap_err().contains("beyond 1e4"));
        let e = convex_hull_points(&dir.path().join("gone.obj"), [1.0; 3]).unwrap_err();
        assert!(e.to_string().contains("gone.obj"), "{e}");
    }
}
