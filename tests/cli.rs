//! The `drat` binary: benchmark output, config errors, exit codes.

use std::process::Command;

fn drat(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_drat"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bench_env_prints_json_with_steps_per_second() {
    let out = drat(&[
        "bench", "env", "--robot", "point", "--steps", "500", "--envs", "2", "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["robot"], "point");
    assert_eq!(j["steps"], 500);
    assert!(j["env_steps_per_s"].as_f64().unwrap() > 0.0);
    let out = drat(&["bench", "env", "--robot", "quadruped", "--steps", "50"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("env steps/s"),
        "{text}"
    );
}

#[test]
fn bad_input_gives_a_named_error_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, "[tasks.dynamics]\nfriction = [2.0, 1.0]\n").unwrap();
    let out = drat(&["config", "check", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("tasks.dynamics.friction"), "{err}");
    let out = drat(&["bench", "env", "--envs", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--envs"));
    let out = drat(&["bench", "env", "--robot", "spider"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("env.robot"));
    let out = drat(&["bench", "env", "--set", "env.substeps=0"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("env.substeps"));
    let out = drat(&["bench", "env", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn config_show_prints_a_loadable_config() {
    let out = drat(&[
        "config",
        "show",
        "--robot",
        "runner",
        "--set",
        "tasks.n_train=3",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let cfg = drat::config::Config::from_toml_str(&text, "shown").unwrap();
    assert_eq!(cfg.env.robot, "runner");
    assert_eq!(cfg.tasks.n_train, 3);
}
