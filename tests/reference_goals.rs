//! drat's copies of the field's goal sets (and cheetah-vel's target velocities) equal the
//! reference code's, drawn by NumPy itself
//! (`scripts/anchors/reference-goals` writes `tests/data/reference_goals.json`).

use drat::env::numpy_rng::{seeded_uniform, shuffled_half_circle};

#[test]
fn shuffled_half_circles_equal_numpys() {
    let r: serde_json::Value =
        serde_json::from_str(include_str!("data/reference_goals.json")).unwrap();
    for name in ["sparse-point-robot", "ant-goal-sparse"] {
        let b = &r[name];
        let ours = shuffled_half_circle(
            b["radius"].as_f64().unwrap(),
            b["n_tasks"].as_u64().unwrap() as usize,
            b["seed"].as_u64().unwrap() as u32,
        );
        let theirs = b["goals"].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len(), "{name}");
        for (k, (o, t)) in ours.iter().zip(theirs).enumerate() {
            for d in 0..2 {
                let t = t[d].as_f64().unwrap();
                assert!(
                    (o[d] - t).abs() < 1e-12,
                    "{name} goal {k}[{d}]: {} vs NumPy {t}",
                    o[d]
                );
            }
        }
    }
}

#[test]
fn cheetah_vel_target_velocities_equal_numpys() {
    let r: serde_json::Value =
        serde_json::from_str(include_str!("data/reference_goals.json")).unwrap();
    let b = &r["cheetah-vel-sparse"];
    let theirs = b["velocities"].as_array().unwrap();
    let ours = seeded_uniform(0.0, 3.0, theirs.len(), b["seed"].as_u64().unwrap() as u32);
    for (k, (o, t)) in ours.iter().zip(theirs).enumerate() {
        let t = t.as_f64().unwrap();
        assert!((o - t).abs() < 1e-12, "velocity {k}: {o} vs NumPy {t}");
    }
}
