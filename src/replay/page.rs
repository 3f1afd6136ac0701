//! The replay page: one self-contained HTML file (`assets/viewer/replay.html`) with three.js
//! (`assets/viewer/three/`, the npm package's `build/three.module.min.js`, version in
//! `VERSION`; `scripts/vendor-three.sh` fetches it again) inlined as a classic script, and the
//! replay as JSON. Frames travel as base64 of little-endian f32 (`x y z qx qy qz qw` per body
//! per frame), about 0.4 MB for ten 100-step quadruped episodes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::data::Replay;
use crate::env::gait_measures::GaitSummary;
use crate::error::{Error, Result};

/// three.js as vendored (an ES module ending in one `export{…}` statement).
const THREE_MODULE: &str = include_str!("../../assets/viewer/three/three.module.min.js");
/// Its version.
pub const THREE_VERSION: &str = include_str!("../../assets/viewer/three/VERSION");
/// The page around the data.
const TEMPLATE: &str = include_str!("../../assets/viewer/replay.html");
/// Where the data goes in the template.
const DATA_MARK: &str = "__DRAT_REPLAY_DATA__";
/// Where three.js goes in the template.
const THREE_MARK: &str = "__THREE_JS__";
/// The element whose text is the data.
const DATA_OPEN: &str = "<script type=\"application/json\" id=\"replay-data\">";

#[derive(Serialize)]
struct PageData<'a> {
    title: &'a str,
    robot: &'a str,
    three_version: &'a str,
    control_dt_s: f32,
    goal_radius_m: f32,
    view: &'static str,
    bodies: &'a [crate::env::BodyShapes],
    meshes: BTreeMap<&'a str, PageMeshData>,
    notes: &'a [String],
    tasks: Vec<PageTask<'a>>,
}

/// A visual mesh as the page reads it: base64 of little-endian f32 positions (`x y z`) and
/// u32 triangle indices.
#[derive(Serialize)]
struct PageMeshData {
    positions: String,
    indices: String,
    triangles: usize,
    source_triangles: usize,
}

#[derive(Serialize)]
struct PageTask<'a> {
    id: usize,
    goal: [f32; 2],
    mass_scale: &'a [f32],
    friction: f32,
    z: &'a [f32],
    success: Option<f32>,
    episodes: Vec<PageEpisode<'a>>,
}

#[derive(Serialize)]
struct PageEpisode<'a> {
    label: &'a str,
    scored: bool,
    steps: usize,
    ret: f32,
    success_step: Option<usize>,
    blowup_step: Option<usize>,
    /// The gait measures, one line.
    gait: String,
    rewards: &'a [f32],
    frames: String,
}

/// The page for `replay` as a string.
pub fn html(replay: &Replay) -> Result<String> {
    if !replay.poses {
        return Err(Error::argument(
            "replay",
            "was recorded without body poses; record with poses for a page",
        ));
    }
    let three_d = replay.bodies.iter().any(|b| b.name != "point");
    let tasks = replay
        .tasks
        .iter()
        .map(|t| PageTask {
            id: t.task.id,
            goal: t.task.goal,
            mass_scale: &t.task.dynamics.mass_scale,
            friction: t.task.dynamics.friction_coef,
            z: t.eval.as_ref().map_or(&[][..], |e| &e.z[..]),
            success: t.eval.as_ref().map(|e| e.success),
            episodes: t
                .episodes
                .iter()
                .map(|e| PageEpisode {
                    label: &e.label,
                    scored: e.scored,
                    steps: e.record.steps(),
                    ret: e.record.ret(),
                    success_step: e.record.success_step,
                    blowup_step: e.record.blowup_step,
                    gait: GaitSummary::of([&e.record.gait]).line(),
                    rewards: &e.record.rewards,
                    frames: encode_f32(&e.record.frames),
                })
                .collect(),
        })
        .collect();
    let data = PageData {
        title: &replay.title,
        robot: &replay.robot,
        three_version: THREE_VERSION.trim(),
        control_dt_s: replay.control_dt_s,
        goal_radius_m: replay.goal_radius_m,
        view: if three_d { "3d" } else { "2d" },
        bodies: &replay.bodies,
        meshes: replay
            .meshes
            .iter()
            .map(|(name, m)| {
                let data = PageMeshData {
                    positions: encode_f32(&m.mesh.flat_positions()),
                    indices: encode_u32(&m.mesh.flat_indices()),
                    triangles: m.mesh.triangles.len(),
                    source_triangles: m.source_triangles,
                };
                (name.as_str(), data)
            })
            .collect(),
        notes: &replay.notes,
        tasks,
    };
    // `</` cannot appear inside a script element; JSON allows `<\/`.
    let json = serde_json::to_string(&data)
        .map_err(|e| Error::argument("replay", format!("cannot serialise: {e}")))?
        .replace("</", "<\\/");
    let three = classic_three(THREE_MODULE)?;
    Ok(TEMPLATE
        .replacen(THREE_MARK, &three, 1)
        .replacen(DATA_MARK, &json, 1))
}

/// Writes the page to `path` (temp file, then rename); returns its size in bytes.
pub fn write(replay: &Replay, path: &Path) -> Result<usize> {
    let page = html(replay)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::argument("--out", format!("{}: {e}", dir.display())))?;
    }
    crate::report::write_atomic(path, page.as_bytes())
        .map_err(|e| Error::argument("--out", format!("{}: {e}", path.display())))?;
    Ok(page.len())
}

/// The JSON data of a replay page (for tests and tools that read pages back).
pub fn read_data(page: &str) -> Result<serde_json::Value> {
    let start = page
        .find(DATA_OPEN)
        .ok_or_else(|| Error::argument("page", "no replay data element"))?
        + DATA_OPEN.len();
    let len = page[start..]
        .find("</script>")
        .ok_or_else(|| Error::argument("page", "replay data element not closed"))?;
    serde_json::from_str(&page[start..start + len])
        .map_err(|e| Error::argument("page", format!("replay data is not JSON: {e}")))
}

/// Base64 (standard alphabet, padded) of `xs` as little-endian f32.
pub fn encode_f32(xs: &[f32]) -> String {
    let bytes: Vec<u8> = xs.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64(&bytes)
}

/// Base64 (standard alphabet, padded) of `xs` as little-endian u32.
pub fn encode_u32(xs: &[u32]) -> String {
    let bytes: Vec<u8> = xs.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64(&bytes)
}

/// The inverse of [`encode_u32`].
pub fn decode_u32(s: &str) -> Result<Vec<u32>> {
    Ok(decode_words(s)?
        .into_iter()
        .map(u32::from_le_bytes)
        .collect())
}

/// The inverse of [`encode_f32`].
pub fn decode_f32(s: &str) -> Result<Vec<f32>> {
    Ok(decode_words(s)?
        .into_iter()
        .map(f32::from_le_bytes)
        .collect())
}

/// Base64 to 4-byte words.
fn decode_words(s: &str) -> Result<Vec<[u8; 4]>> {
    let bytes = unbase64(s)?;
    if bytes.len() % 4 != 0 {
        return Err(Error::argument(
            "frames",
            "length is not a multiple of 4 bytes",
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(s: &str) -> Result<Vec<u8>> {
    let bad = || Error::argument("frames", "not base64");
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &ch in s {
        let v = B64.iter().position(|&b| b == ch).ok_or_else(bad)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// three.js's ES module as a classic script that sets `window.THREE` (pages opened from disk
/// cannot import modules): the final `export{a as B,…}` becomes `return {B:a,…}` of a
/// function.
fn classic_three(module: &str) -> Result<String> {
    let bad =
        |why: &str| Error::argument("assets/viewer/three/three.module.min.js", why.to_string());
    let at = module
        .rfind("export{")
        .ok_or_else(|| bad("no final export{…} statement"))?;
    let list_end = module[at..]
        .find('}')
        .ok_or_else(|| bad("export list not closed"))?
        + at;
    let mut fields = Vec::new();
    for item in module[at + "export{".len()..list_end].split(',') {
        let (local, exported) = match item.split_once(" as ") {
            Some((l, e)) => (l.trim(), e.trim()),
            None => (item.trim(), item.trim()),
        };
        if local.is_empty() {
            return Err(bad("empty export"));
        }
        fields.push(format!("{exported}:{local}"));
    }
    Ok(format!(
        "window.THREE=(function(){{\"use strict\";{}\nreturn {{{}}};}})();",
        &module[..at],
        fields.join(",")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_a_known_value() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        for xs in [vec![], vec![1.0f32], vec![0.5, -2.25, f32::MAX, 1e-30, 3.0]] {
            assert_eq!(decode_f32(&encode_f32(&xs)).unwrap(), xs);
        }
        assert!(decode_f32("@@@@").is_err());
    }

    #[test]
    fn three_becomes_a_classic_script_with_every_export() {
        let m = "const a=1,b=2;function c(){}\nexport{a as A,b as Bee,c};";
        let s = classic_three(m).unwrap();
        assert!(s.starts_with("window.THREE=(function(){\"use strict\";const a=1"));
        assert!(s.ends_with("return {A:a,Bee:b,c:c};})();"), "{s}");
        assert!(!s.contains("export"));
        let real = classic_three(THREE_MODULE).unwrap();
        assert!(real.contains("WebGLRenderer:") && real.contains("Scene:"));
        assert!(classic_three("const a=1;").is_err());
    }
}
