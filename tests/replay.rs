//! Replays: the page's embedded frames are the recorded trajectory; a meta-test replay shows
//! the episodes behind the reported figure; blow-ups are cut, not NaN; bad input is named.

mod common;

use std::process::Command;

use drat::config::Config;
use drat::env::{EnvMaker, POSE_LEN};
use drat::replay::{self, page, Scripted};
use drat::train::run;

fn drat(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_drat"))
        .args(args)
        .output()
        .unwrap()
}

fn quadruped(sets: &[&str]) -> Config {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Config::from_toml_str_with_sets("[env]\nrobot = \"quadruped\"\n", "test", &sets).unwrap()
}

#[test]
fn the_a1_trot_replay_draws_its_13_bodies_and_walks_with_its_own_gains() {
    let cfg = Config::from_toml_str("[env]\nrobot = \"a1\"\n", "test").unwrap();
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap().test[..1].to_vec();
    let r = replay::scripted(&cfg, &tasks, 1, Scripted::Trot, 1).unwrap();
    assert_eq!(r.bodies.len(), 13, "22 links, 9 welded");
    assert!(r.title.contains("kp 40"), "{}", r.title);
    let p = &r.tasks[0].episodes[0].record.path;
    let moved = (p[p.len() - 1][0] - p[0][0]).hypot(p[p.len() - 1][1] - p[0][1]);
    assert!(moved > 0.5, "A1 trot moved {moved} m in 5 s");
}

#[test]
fn the_a1_page_carries_its_meshes_decimated_in_the_link_frames() {
    let cfg = Config::from_toml_str("[env]\nrobot = \"a1\"\nhorizon = 5\n", "test").unwrap();
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap().test[..1].to_vec();
    let r = replay::scripted(&cfg, &tasks, 1, Scripted::Random, 1).unwrap();
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let names: Vec<&str> = r.meshes.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "meshes/calf.obj",
            "meshes/hip.obj",
            "meshes/thigh.obj",
            "meshes/thigh_mirror.obj",
            "meshes/trunk.obj"
        ]
    );
    // Every body draws a mesh; 4 legs share hip, calf and two thigh meshes.
    assert!(r
        .bodies
        .iter()
        .all(|b| b.visuals.iter().any(|v| v.kind == "mesh")));
    let trunk = &r.meshes["meshes/trunk.obj"];
    assert_eq!(trunk.source_triangles, 28750);
    assert!(trunk.mesh.triangles.len() <= replay::mesh::MAX_TRIANGLES);
    assert!(trunk.mesh.triangles.len() > replay::mesh::MAX_TRIANGLES / 2);
    // The page holds them as the replay does, and stays small.
    let html = page::html(&r).unwrap();
    assert!(html.len() < 2_000_000, "page is {} bytes", html.len());
    let data = page::read_data(&html).unwrap();
    for (name, m) in &r.meshes {
        let d = &data["meshes"][name];
        let pos = page::decode_f32(d["positions"].as_str().unwrap()).unwrap();
        let idx = page::decode_u32(d["indices"].as_str().unwrap()).unwrap();
        assert_eq!(pos, m.mesh.flat_positions(), "{name}");
        assert_eq!(idx.len(), 3 * d["triangles"].as_u64().unwrap() as usize);
        assert!(idx.iter().all(|&i| (i as usize) < pos.len() / 3), "{name}");
    }
    // In the link frames: the trunk mesh spans the trunk's collision box across (y, z) and
    // at the back (x), and the calf reaches down to the bottom of the toe sphere, each within
    // a decimation cell.
    let (lo, hi) = trunk.mesh.bounds();
    let half = [0.1335, 0.097, 0.057];
    for (got, want) in [
        (lo[0], -half[0]),
        (lo[1], -half[1]),
        (hi[1], half[1]),
        (lo[2], -half[2]),
        (hi[2], half[2]),
    ] {
        assert!(
            (got - want).abs() < 0.008,
            "trunk mesh bound {got} vs box {want}"
        );
    }
    let calf = r.bodies.iter().find(|b| b.name == "FR_lower").unwrap();
    let toe = calf.shapes.iter().find(|s| s.kind == "sphere").unwrap();
    let bottom = toe.pos[2] - toe.radius;
    let (lo, _) = r.meshes["meshes/calf.obj"].mesh.bounds();
    assert!(
        (lo[2] - bottom).abs() < 0.008,
        "calf mesh bottom {} vs toe bottom {bottom}",
        lo[2]
    );
}

#[test]
fn a_urdf_paths_meshes_are_read_beside_it_and_a_missing_one_is_a_note() {
    // PKG/urdf/q.urdf with the quadruped's links; the torso draws an STL named by
    // package://, a shin an OBJ that is not there.
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(pkg.join("urdf")).unwrap();
    std::fs::create_dir_all(pkg.join("meshes")).unwrap();
    let mut stl = vec![0u8; 80];
    stl.extend_from_slice(&2u32.to_le_bytes());
    for tri in [
        [0.0f32, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.2, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.2],
    ] {
        stl.extend_from_slice(&[0u8; 12]);
        for x in tri {
            stl.extend_from_slice(&x.to_le_bytes());
        }
        stl.extend_from_slice(&[0, 0]);
    }
    std::fs::write(pkg.join("meshes/torso.stl"), stl).unwrap();
    let urdf = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/robots/quadruped.urdf"))
        .unwrap()
        .replacen(
            "<collision><geometry><sphere radius=\"0.25\"/>",
            "<visual><geometry><mesh filename=\"package://pkg/meshes/torso.stl\" scale=\"2 2 2\"/></geometry>\
             <material name=\"teal\"><color rgba=\"0 0.5 0.5 1\"/></material></visual>\
             <collision><geometry><sphere radius=\"0.25\"/>",
            1,
        )
        .replacen(
            "<link name=\"shin_fl\">",
            "<link name=\"shin_fl\"><visual><geometry><mesh filename=\"meshes/missing.obj\"/></geometry></visual>",
            1,
        );
    let path = pkg.join("urdf/q.urdf");
    std::fs::write(&path, urdf).unwrap();
    let toml = format!(
        "[env]\nrobot = {:?}\nhorizon = 3\n",
        path.display().to_string()
    );
    let cfg = Config::from_toml_str(&toml, "test").unwrap();
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap().test[..1].to_vec();
    let r = replay::scripted(&cfg, &tasks, 1, Scripted::Random, 1).unwrap();
    let torso = &r.meshes["package://pkg/meshes/torso.stl"];
    assert_eq!((torso.source_triangles, torso.mesh.triangles.len()), (2, 2));
    let v = &r.bodies[0].visuals[0];
    assert_eq!(
        (v.scale, v.rgba),
        (Some([2.0; 3]), Some([0.0, 0.5, 0.5, 1.0]))
    );
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(
        r.notes[0].contains("meshes/missing.obj") && r.notes[0].contains("collision shapes"),
        "{}",
        r.notes[0]
    );
    assert!(!r.meshes.contains_key("meshes/missing.obj"));
    // The page still renders the data (the shin falls back to its collision shapes there).
    let data = page::read_data(&page::html(&r).unwrap()).unwrap();
    assert_eq!(data["notes"][0].as_str().unwrap(), r.notes[0]);
}

#[test]
fn page_frames_equal_the_recorded_trajectory() {
    let cfg = quadruped(&["env.horizon=40"]);
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap().test[..2].to_vec();
    let r = replay::scripted(&cfg, &tasks, 2, Scripted::Trot, 7).unwrap();
    let nb = r.bodies.len();
    assert_eq!(nb, 9, "torso and 8 leg links");
    let html = page::html(&r).unwrap();
    let data = page::read_data(&html).unwrap();
    assert_eq!(data["tasks"].as_array().unwrap().len(), 2);
    for (t, task) in r.tasks.iter().enumerate() {
        assert_eq!(task.episodes.len(), 2);
        for (e, ep) in task.episodes.iter().enumerate() {
            let rec = &ep.record;
            let d = &data["tasks"][t]["episodes"][e];
            let frames = page::decode_f32(d["frames"].as_str().unwrap()).unwrap();
            // Bit for bit what was recorded: one frame at reset plus one per step.
            assert_eq!(frames, rec.frames);
            assert_eq!(frames.len(), (rec.steps() + 1) * nb * POSE_LEN);
            assert_eq!(d["steps"].as_u64().unwrap() as usize, 40);
            // The torso's x-y in every frame is the achieved position the env reported.
            for (f, xy) in rec.path.iter().enumerate() {
                let torso = drat::env::recording::pose(rec, nb, f, 0);
                assert_eq!([torso[0], torso[1]], *xy, "frame {f}");
            }
            // Orientations are unit quaternions.
            for q in frames.chunks(POSE_LEN) {
                let n: f32 = q[3..].iter().map(|v| v * v).sum();
                assert!((n - 1.0).abs() < 1e-4, "{n}");
            }
        }
    }
    // The trot walks: the torso ends somewhere else than it started.
    let p = &r.tasks[0].episodes[0].record.path;
    let moved = (p[p.len() - 1][0] - p[0][0]).hypot(p[p.len() - 1][1] - p[0][1]);
    assert!(moved > 0.1, "trot moved {moved} m in 2 s");
    // Self-contained: three.js inlined, nothing fetched.
    assert!(html.contains("window.THREE=(function(){"));
    assert!(!html.contains("__THREE_JS__") && !html.contains("__DRAT_REPLAY_DATA__"));
    assert!(!html.contains("src=\"http") && !html.contains("import("));
}

#[test]
fn a_blown_up_episode_is_cut_at_its_last_sane_frame() {
    // A velocity limit any random flailing exceeds: the env reports a blow-up.
    let cfg = quadruped(&["env.horizon=200", "env.max_linvel_m_s=0.3"]);
    let tasks = EnvMaker::new(&cfg).unwrap().task_set().unwrap().test[..1].to_vec();
    let r = replay::scripted(&cfg, &tasks, 1, Scripted::Random, 3).unwrap();
    let rec = &r.tasks[0].episodes[0].record;
    let at = rec.blowup_step.expect("the velocity limit is exceeded");
    assert_eq!(rec.steps(), at - 1, "the blow-up step adds no transition");
    assert_eq!(rec.frames.len(), at * r.bodies.len() * POSE_LEN);
    assert!(rec.frames.iter().all(|v| v.is_finite()));
    let data = page::read_data(&page::html(&r).unwrap()).unwrap();
    assert_eq!(data["tasks"][0]["episodes"][0]["blowup_step"], at);
}

#[test]
fn a_meta_test_replay_reproduces_the_reported_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut args = vec![
        "train",
        "--robot",
        "point",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    // The tiny run with 3 held-out tasks and 2 exploration episodes each.
    let extra = [
        "eval.tasks=3",
        "eval.exploration_episodes=2",
        "tasks.n_test=3",
        "env.horizon=30",
    ];
    let sets = common::TINY_RUN.iter().chain(&extra);
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = drat(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut t = run::Run::open(&out).unwrap().trainer;
    let tasks = t.tasks.test.clone();
    let (plain, records) = t.evaluate_tasks(&tasks, None).unwrap();
    let (r, recorded) = replay::meta_test(&mut t, &tasks, None, true).unwrap();
    assert_eq!(plain, recorded, "recording changes nothing");
    for (task, rec) in r.tasks.iter().zip(&records) {
        assert_eq!(task.episodes.len(), 3, "2 exploration + 1 scored");
        assert_eq!(
            task.episodes.iter().map(|e| e.scored).collect::<Vec<_>>(),
            [false, false, true]
        );
        let scored = &task.episodes[2].record;
        assert_eq!(scored.ret(), rec.ret);
        assert_eq!(f32::from(u8::from(scored.success())), rec.success);
        assert_eq!(task.eval.as_ref().unwrap().z.len(), t.cfg.agent.latent_dim);
    }

    // The command: page and picture where it says.
    let o = drat(&["replay", out.to_str().unwrap(), "--tasks", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("replay.html")).unwrap();
    assert_eq!(page::read_data(&html).unwrap()["view"], "2d");
    assert!(out.join("plots/trajectories.png").exists());

    // Bad input is named.
    let o = drat(&["replay", out.to_str().unwrap(), "--test-task", "3"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--test-task") && err.contains("3 held-out"),
        "{err}"
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = drat(&["replay", empty.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("empty"), "{err}");
    let o = drat(&[
        "replay",
        out.to_str().unwrap(),
        "--out",
        "/proc/no/such/dir/r.html",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("/proc/no/such/dir"),
        "{err}"
    );
    let o = drat(&["replay", "--trot", "--robot", "point"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--trot"), "{err}");
}
