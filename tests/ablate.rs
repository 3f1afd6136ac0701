//! `drat ablate`: ablation files are checked before anything runs, the physics figures respond
//! to the factors they should, and the command writes its table, CSV and plots.

use std::path::Path;

use drat::diagnostics::ablate::{measure, Ablation, DEFAULT_ABLATION};

const TWO_LEVELS: &str = r#"
robot = "quadruped"
steps = 1500
seconds = 1.0
[[factor]]
name = "substeps x dt"
levels = [
  { "env.substeps" = 2, "env.dt_s" = 0.025 },
  { "env.substeps" = 5, "env.dt_s" = 0.01 },
]
"#;

#[test]
fn the_default_ablation_parses_into_its_levels() {
    let a = Ablation::parse(Path::new("ablate.toml"), DEFAULT_ABLATION).unwrap();
    assert_eq!(a.levels.len(), 24);
    assert_eq!((a.steps, a.seconds), (20_000, 5.0));
    assert_eq!(a.levels[2].config.env.substeps, 5);
    use drat::config::Stepping;
    let stepping: Vec<Stepping> = a.levels[3..6]
        .iter()
        .map(|l| l.config.env.stepping)
        .collect();
    assert_eq!(
        stepping,
        [Stepping::Substeps, Stepping::OneStep, Stepping::OneStep]
    );
    assert_eq!(a.levels[5].config.env.substeps, 5);
    assert_eq!(a.levels[8].config.env.solver_iterations, 4);
    assert_eq!(a.levels[0].label, "dt_s=0.025, substeps=2");
}

#[test]
fn bad_ablation_files_name_the_key() {
    let cases = [
        (
            TWO_LEVELS.replace("env.substeps\" = 2", "env.substepz\" = 2"),
            "substepz",
        ),
        (TWO_LEVELS.replace("steps = 1500", "stepz = 1500"), "stepz"),
        (
            TWO_LEVELS.replace("\"env.substeps\" = 2", "\"env.substeps\" = \"two\""),
            "substeps",
        ),
        (
            "robot = \"point\"\n[[factor]]\nname = \"x\"\nlevels = [{ \"env.horizon\" = 5 }]\n"
                .to_string(),
            "robot",
        ),
        (
            "robot = \"quadruped\"\n[[factor]]\nname = \"x\"\nlevels = []\n".to_string(),
            "no levels",
        ),
    ];
    for (text, key) in cases {
        let err = Ablation::parse(Path::new("bad.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{key}: {err}");
    }
}

#[test]
fn finer_physics_steps_penetrate_less() {
    let a = Ablation::parse(Path::new("two.toml"), TWO_LEVELS).unwrap();
    let coarse = measure(&a.levels[0], a.steps, a.seconds).unwrap();
    let fine = measure(&a.levels[1], a.steps, a.seconds).unwrap();
    for f in [&coarse, &fine] {
        assert!(f.steps_per_s > 0.0 && f.steps_per_s.is_finite());
        assert!(f.drop_energy_gain_j.is_finite() && f.drop_energy_gain_j >= 0.0);
        assert!(f.gait_divergence_m.is_finite() && f.gait_divergence_m >= 0.0);
        assert!(f.max_penetration_m > 0.0, "feet touch the ground");
    }
    assert!(
        fine.max_penetration_m < coarse.max_penetration_m,
        "5 × 0.01 s: {} m vs 2 × 0.025 s: {} m",
        fine.max_penetration_m,
        coarse.max_penetration_m
    );
}

#[test]
fn the_command_writes_table_csv_and_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("two.toml");
    std::fs::write(&file, TWO_LEVELS).unwrap();
    let out = tmp.path().join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_drat"))
        .args([
            "ablate",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("ablation.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(std::fs::read_to_string(out.join("ablation.md"))
        .unwrap()
        .contains("| substeps x dt |"));
    assert!(out.join("factor-substeps-x-dt.png").exists());
}
