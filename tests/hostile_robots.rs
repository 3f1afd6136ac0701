//! Hostile robot files: valid URDF and MJCF files (the embedded quadruped, runner, A1, Ant and
//! HalfCheetah, and variants with mesh and ellipsoid collisions) mutated at random — an element dropped, a numeric attribute set to NaN, a
//! negative, zero, huge or non-numeric value, a `type` swapped, a mesh pointed at a missing
//! file, junk appended — must load into an error that names the file, or into a robot that
//! builds and steps 20 control steps, never a panic. `HOSTILE_DEBUG=1 cargo test --test
//! hostile_robots -- --nocapture` prints what each case did.

use std::panic::{catch_unwind, AssertUnwindSafe};

use drat::config::Config;
use drat::env::EnvMaker;
use proptest::prelude::*;

/// Byte ranges of every element that can be dropped whole (`<tag …/>`, not the root).
fn leaf_elements(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find('<') {
        let start = i + off;
        let Some(end_off) = text[start..].find('>') else {
            break;
        };
        let end = start + end_off + 1;
        let first = b.get(start + 1).copied().unwrap_or(b'/');
        if end >= 2 && b[end - 2] == b'/' && first != b'/' && first != b'?' && first != b'!' {
            out.push((start, end));
        }
        i = end;
    }
    out
}

/// Byte ranges of every attribute value (between the quotes).
fn attribute_values(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find("=\"") {
        let start = i + off + 2;
        let Some(len) = text[start..].find('"') else {
            break;
        };
        out.push((start, start + len));
        i = start + len + 1;
    }
    out
}

#[derive(Clone, Debug)]
enum Mutation {
    Drop(usize),
    Value(usize, &'static str),
    Junk(&'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let values = prop::sample::select(vec![
        "NaN",
        "-1",
        "0",
        "1e30",
        "-1e30",
        "inf",
        "abc",
        "",
        "1 2",
        "0 0 0 0 0 0 0 0",
        "hinge",
        "slide",
        "ball",
        "free",
        "mesh",
        "ellipsoid",
        "missing.stl",
        "prismatic",
    ]);
    prop_oneof![
        any::<usize>().prop_map(Mutation::Drop),
        (any::<usize>(), values).prop_map(|(k, v)| Mutation::Value(k, v)),
        prop::sample::select(vec!["\0\0", "<junk/>", "</robot>", "\u{feff}"])
            .prop_map(Mutation::Junk),
    ]
}

fn mutate(text: &str, m: &Mutation) -> String {
    match m {
        Mutation::Drop(k) => {
            let els = leaf_elements(text);
            let (a, b) = els[k % els.len()];
            format!("{}{}", &text[..a], &text[b..])
        }
        Mutation::Value(k, v) => {
            let vals = attribute_values(text);
            let (a, b) = vals[k % vals.len()];
            format!("{}{v}{}", &text[..a], &text[b..])
        }
        Mutation::Junk(j) => format!("{text}{j}"),
    }
}

/// Loads `text` as the robot file `name` and, if it loads, steps it; a panic fails the case.
fn load_or_step(text: &str, name: &str) -> std::result::Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    write_meshes(dir.path());
    let run = || -> Result<(), String> {
        let cfg = Config::from_toml_str(
            &format!(
                "[env]\nrobot = {:?}\nhorizon = 20\n",
                path.display().to_string()
            ),
            "hostile",
        )
        .map_err(|e| e.to_string())?;
        let maker = EnvMaker::new(&cfg).map_err(|e| e.to_string())?;
        let mut env = maker
            .make(maker.task_set().map_err(|e| e.to_string())?.train[0].clone())
            .map_err(|e| e.to_string())?;
        env.reset(1).map_err(|e| e.to_string())?;
        let n = env.action_space().dim();
        for t in 0..20 {
            let a: Vec<f32> = (0..n)
                .map(|k| ((t * 7 + k * 3) % 11) as f32 / 5.0 - 1.0)
                .collect();
            let s = env.step(&a).map_err(|e| e.to_string())?;
            assert!(
                s.obs.iter().all(|v| v.is_finite()),
                "non-finite observation"
            );
            if s.terminated || s.truncated {
                break;
            }
        }
        Ok(())
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(())) => {
            if std::env::var("HOSTILE_DEBUG").is_ok() {
                eprintln!("stepped {name}");
            }
            Ok(())
        }
        Ok(Err(msg)) => {
            if std::env::var("HOSTILE_DEBUG").is_ok() {
                eprintln!("error {name}: {msg}");
            }
            let named = msg.contains(name) || msg.contains("env.") || msg.contains("tasks.");
            prop_assert!(
                named,
                "the error does not name the file or a config field: {msg}"
            );
            Ok(())
        }
        Err(_) => Err(TestCaseError::fail(format!("panicked on:\n{text}"))),
    }
}

/// A cube of side 1 about the origin, as OBJ and as ASCII STL (the meshy variants' files).
fn write_meshes(dir: &std::path::Path) {
    let c = |i: usize| [i & 1, i >> 1 & 1, i >> 2 & 1].map(|b| b as f32 - 0.5);
    let mut obj: String = (0..8)
        .map(|i| format!("v {} {} {}\n", c(i)[0], c(i)[1], c(i)[2]))
        .collect();
    obj += "f 1 2 4 3\nf 5 6 8 7\n";
    let mut stl = String::from("solid c\n");
    for tri in [[0, 1, 3], [4, 5, 7], [0, 2, 6], [1, 3, 7]] {
        stl += "facet normal 0 0 0\nouter loop\n";
        for i in tri {
            stl += &format!("vertex {} {} {}\n", c(i)[0], c(i)[1], c(i)[2]);
        }
        stl += "endloop\nendfacet\n";
    }
    stl += "endsolid c\n";
    std::fs::create_dir_all(dir.join("meshes")).unwrap();
    std::fs::write(dir.join("meshes/cube.obj"), obj).unwrap();
    std::fs::write(dir.join("meshes/cube.stl"), stl).unwrap();
}

/// `text` with `from` replaced by `to`, which must occur.
fn swap(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` is not in the file");
    text.replace(from, to)
}

/// The files mutated: the embedded robots, and the quadruped and Ant with mesh collisions
/// (OBJ, `package://` STL, an MJCF mesh asset) and an MJCF ellipsoid, so that mutations reach
/// mesh file names, scales and ellipsoid sizes.
fn files() -> Vec<(&'static str, String)> {
    let meshy_urdf = swap(
        &swap(
            drat::sim::QUADRUPED_URDF,
            r#"<sphere radius="0.25"/>"#,
            r#"<mesh filename="meshes/cube.obj" scale="0.4 0.3 0.2"/>"#,
        ),
        r#"<capsule radius="0.06" length="0.36"/>"#,
        r#"<mesh filename="package://quadruped/meshes/cube.stl" scale="0.1 0.1 0.36"/>"#,
    );
    let meshy_mjcf = swap(
        &swap(
            drat::sim::ANT_XML,
            r#"<geom name="torso_geom" pos="0 0 0" size="0.25" type="sphere"/>"#,
            r#"<geom name="torso_geom" pos="0 0 0" size="0.25 0.2 0.15" type="ellipsoid"/>
      <geom name="hat" pos="0 0 0.2" type="mesh" mesh="cube"/>"#,
        ),
        "<asset>",
        r#"<asset>
    <mesh name="cube" file="meshes/cube.stl" scale="0.1 0.1 0.1"/>"#,
    );
    vec![
        ("quadruped.urdf", drat::sim::QUADRUPED_URDF.to_string()),
        ("runner.urdf", drat::sim::RUNNER_URDF.to_string()),
        ("a1.urdf", drat::sim::A1_URDF.to_string()),
        ("ant.xml", drat::sim::ANT_XML.to_string()),
        ("half_cheetah.xml", drat::sim::HALF_CHEETAH_XML.to_string()),
        ("meshy.urdf", meshy_urdf),
        ("meshy.xml", meshy_mjcf),
    ]
}

proptest! {
    // About 48 cases a file.
    #![proptest_config(ProptestConfig { cases: 336, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_robot_files_load_into_named_errors_or_robots_that_step(
        file in 0..7usize,
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let (name, text) = &files()[file];
        let mut t = text.clone();
        for m in &muts {
            t = mutate(&t, m);
        }
        load_or_step(&t, name)?;
    }
}

#[test]
fn the_unmutated_files_load_and_step() {
    for (name, text) in files() {
        load_or_step(&text, name).unwrap();
    }
}

/// Found by the property test (file 3, a `margin="NaN"` in the Ant's geom defaults): a
/// non-finite or negative geom margin or friction is an error naming the file, not a panic
/// in the broad phase; on the floor it is a note and the defaults.
#[test]
fn non_finite_geom_margins_and_frictions_are_named_errors() {
    let ant = drat::sim::ANT_XML;
    let from = r#"margin="0.01""#;
    assert!(ant.contains(from), "the Ant's geom defaults set a margin");
    for bad in [r#"margin="NaN""#, r#"margin="-1""#] {
        let t = ant.replacen(from, bad, 1);
        load_or_step(&t, "ant.xml").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ant.xml");
        std::fs::write(&path, &t).unwrap();
        let text = format!("[env]\nrobot = {:?}\n", path.display().to_string());
        let e = Config::from_toml_str(&text, "hostile")
            .and_then(|cfg| EnvMaker::new(&cfg).map(|_| ()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("ant.xml"), "{bad}: {e}");
        assert!(e.contains("margin"), "{bad}: {e}");
    }
}
