//! The `drat` binary: benchmark output, config errors, exit codes.

mod common;

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
    assert_eq!(cfg.env.robot, drat::config::Robot::Runner);
    assert_eq!(cfg.tasks.n_train, 3);
}

#[test]
fn summarize_groups_runs_and_eval_set_is_limited_to_meta_test_settings() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = common::TINY_RUN;
    let mut runs = Vec::new();
    for seed in ["1", "2"] {
        let out = dir.path().join(format!("none-{seed}"));
        let seed_set = format!("train.seed={seed}");
        let mut args = vec!["train", "--robot", "point", "--quiet", "--out"];
        args.push(out.to_str().unwrap());
        for s in tiny.iter().copied().chain([seed_set.as_str()]) {
            args.extend(["--set", s]);
        }
        let o = drat(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        runs.push(out);
    }
    // summarize is the grid's results over plain run directories: one record per run, the
    // cell its method (`pearl` here: PEARL without transfer, as run names say).
    let out = dir.path().join("summary");
    let o = drat(&[
        "summarize",
        runs[0].to_str().unwrap(),
        runs[1].to_str().unwrap(),
        "--last",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("pearl") && l.contains("runs  2")),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains(",pearl,")).count(),
        2,
        "{text}"
    );
    assert_eq!(
        std::fs::read_dir(out.join("records")).unwrap().count(),
        2,
        "one record per run"
    );
    let written = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(
        written
            .lines()
            .filter(|l| l.starts_with("pearl,2,0,"))
            .count(),
        1,
        "{written}"
    );
    assert!(out.join("curves.png").exists());

    let missing = dir.path().join("no-such-run");
    let o = drat(&["summarize", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-run"));

    let run0 = runs[0].to_str().unwrap();
    let per_task = dir.path().join("per-task.csv");
    let o = drat(&[
        "eval",
        run0,
        "--set",
        "eval.exploration_episodes=1",
        "--json",
        "--per-task",
        per_task.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["episodes"], 2);
    let found = j["explore_success"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&found), "{j}");
    // The per-task rows add up to the summary.
    let csv = std::fs::read_to_string(&per_task).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert!(
        csv.starts_with("task,goal_x,goal_y,goal_angle_deg,found_at_episode,"),
        "{csv}"
    );
    assert_eq!(rows.len(), 2, "{csv}");
    let n_found = rows.iter().filter(|r| !r[4].is_empty()).count();
    assert!((n_found as f64 / 2.0 - found).abs() < 1e-6, "{csv} vs {j}");
    let success: f64 = rows
        .iter()
        .map(|r| r[7].parse::<f64>().unwrap())
        .sum::<f64>()
        / 2.0;
    assert!(
        (success - j["success"].as_f64().unwrap()).abs() < 1e-6,
        "{csv} vs {j}"
    );
    for r in &rows {
        let (steps, rewarded): (usize, usize) = (r[5].parse().unwrap(), r[6].parse().unwrap());
        assert!(
            rewarded <= steps && steps <= 20,
            "one 20-step exploration episode: {r:?}"
        );
        assert_eq!(
            r[4].is_empty(),
            rewarded == 0,
            "found ⇔ a rewarded context step: {r:?}"
        );
    }
    let o = drat(&["eval", run0, "--set", "eval.exploration=prior", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // More held-out tasks than the run was evaluated on (train tasks unchanged).
    let o = drat(&["eval", run0, "--set", "tasks.n_test=7"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains(" 7 test tasks"));
    let o = drat(&["eval", run0, "--set", "eval.exploration=sideways"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exploration"));
    // A meta-test seed replaces the run's meta-test stream: the same seed, the same numbers.
    let seeded = |seed: &str| {
        let o = drat(&[
            "eval",
            run0,
            "--seed",
            seed,
            "--set",
            "eval.posterior_context=rewarded",
            "--json",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    assert_eq!(seeded("7"), seeded("7"));
    let o = drat(&["eval", run0, "--set", "eval.posterior_context=best"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("posterior_context"));
    // Anything that would change what was trained is refused, naming the flag.
    let o = drat(&["eval", run0, "--set", "agent.lr=1"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--set agent.lr=1") && e.contains("[eval]"),
        "{e}"
    );
    // An old key names its new place.
    let o = drat(&["eval", run0, "--set", "train.eval_prior_episodes=3"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("eval.exploration_episodes"), "{e}");
}
