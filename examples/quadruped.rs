//! The main job: meta-train a PEARL agent on randomized quadruped tasks (sparse goal rewards,
//! per-task mass and friction), meta-test it on held-out tasks, and write a report into
//! `runs/quadruped-example/` (config, metrics.csv, events.jsonl, checkpoints, plots).
//!
//! Run: `cargo run --release --example quadruped [-- --robot a1] [-- --minutes M] [-- --set key=value …]`
//! (`--robot a1`: the Unitree A1 with 5 s episodes, into `runs/a1-example/`).
//! Defaults are sized to finish in under 10 minutes on a 2-core machine (9 minutes of
//! training): smaller networks than PEARL's, goals 2.0–2.5 m ahead (±30°) with a 0.5 m disc,
//! so the disc starts at least 1.5 m away and the robot has to walk there in its 10 s episode.
//! The A1 keeps near goals (0.7–1.0 m in 5 s episodes). These are the embedded defaults, so
//! `drat train --robot quadruped` trains the same job for a fixed 2,500 iterations. For a longer
//! run: `--minutes 60 --set agent.hidden=[300,300,300]`.
//! `--trot` instead shows the dynamics at work: the same fixed gait on several tasks.
//! It ends by printing where the replay pages (`replay.html`: the trained agent's meta-test;
//! `replay-trot.html`: the fixed trot before training) and `plots/trajectories.png` are.

use anyhow::{bail, Context, Result};
use drat::config::Config;
use drat::env::gait::TrotGait;
use drat::env::locomotion::LocomotionEnv;
use drat::env::{Env, TaskSet};
use drat::replay;
use drat::sim::load_robot;
use drat::train::run::{train, Run, RunOptions};
use drat::train::trainer::collection_speed;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The example's settings over the robot's embedded config (`assets/configs/{quadruped,a1}.toml`,
/// whose learning settings are the ones measured here): the time budget (`--minutes`) ends the
/// run, not an iteration count.
const EXAMPLE: &[&str] = &["train.iterations=100000"];

fn main() -> Result<()> {
    let mut minutes = 9.0f64;
    let mut sets: Vec<String> = EXAMPLE.iter().map(|s| s.to_string()).collect();
    let mut trot = false;
    let mut robot = "quadruped".to_string();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut threads = cores;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--minutes" => {
                minutes = args
                    .next()
                    .context("--minutes needs a value")?
                    .parse()
                    .context("--minutes: a number")?;
            }
            "--set" => sets.push(args.next().context("--set needs key=value")?),
            "--robot" => {
                robot = args.next().context("--robot needs a value")?;
                if !["quadruped", "a1"].contains(&robot.as_str()) {
                    bail!("--robot `{robot}`: allowed quadruped, a1");
                }
            }
            "--threads" => {
                threads = args
                    .next()
                    .context("--threads needs a value")?
                    .parse()
                    .context("--threads: a whole number ≥ 1")?;
            }
            "--trot" => trot = true,
            "--help" | "-h" => {
                println!(
                    "quadruped example: [--robot quadruped|a1] [--minutes M (default 9)] [--threads N (default: all cores)] [--set key=value]… [--trot]"
                );
                return Ok(());
            }
            other => {
                bail!("unknown argument `{other}` (allowed: --robot R, --minutes M, --threads N, --set key=value, --trot)")
            }
        }
    }
    if !(minutes > 0.0 && minutes <= 24.0 * 60.0) {
        bail!("--minutes must be in (0, 1440]");
    }
    if robot == "a1" {
        // a1.toml has 5 s episodes and near goals (0.7–1.0 m): the A1 has not been measured to
        // learn the quadruped's far goals. Given --sets still win.
        // Stiffer, larger position targets than legged_gym's (kp 20, kd 0.5, 0.25 rad): the
        // first goals are reached within a few iterations instead of 26–60, and the score over
        // the last 200 of 750 iterations was 72.5 % vs 61.1 % over 3 seeds
        // (experiments/a1-learning).
        use drat::env::gait::A1Trot;
        for set in [
            format!("env.pd.kp={}", A1Trot::KP),
            format!("env.pd.kd={}", A1Trot::KD),
            format!("env.pd.action_scale_rad={}", A1Trot::ACTION_SCALE_RAD),
        ] {
            sets.insert(EXAMPLE.len(), set);
        }
    }
    let cfg = Config::from_toml_str_with_sets(
        &format!("[env]\nrobot = \"{robot}\"\n"),
        "example defaults",
        &sets,
    )?;
    if trot && robot != "quadruped" {
        bail!("--trot shows the quadruped's fixed gait; the A1's is `env::gait::A1Trot` (tests/a1_physics.rs)");
    }
    if trot {
        return trot_table(&cfg);
    }
    drat::train::set_threads(threads)?;
    // Collection speed of the training loop at 1 and at all threads (same code path).
    let one = collection_speed(&cfg, 1, 30)?;
    let all = collection_speed(&cfg, threads, 30)?;
    println!(
        "collection: {one:.0} env steps/s with 1 thread, {all:.0} with {threads} ({:.2}×)",
        all / one
    );

    let out = std::path::PathBuf::from(if robot == "quadruped" {
        "runs/quadruped-example".to_string()
    } else {
        format!("runs/{robot}-example")
    });
    if out.exists() {
        eprintln!("replacing the previous example run in {}", out.display());
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    // What the robot does before any learning on the held-out tasks: the quadruped's fixed
    // trot, or random actions.
    let n_eval = cfg.eval.tasks.min(cfg.tasks.n_test);
    let held_out = drat::env::EnvMaker::new(&cfg)?.task_set()?.test[..n_eval].to_vec();
    let (how, before_page, before_what) = if robot == "quadruped" {
        (replay::Scripted::Trot, "replay-trot.html", "fixed trot")
    } else {
        (
            replay::Scripted::Random,
            "replay-random.html",
            "random actions",
        )
    };
    let before = replay::scripted(&cfg, &held_out, 1, how, cfg.train.seed)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    replay::page::write(&before, &out.join(before_page))?;
    let opts = RunOptions {
        progress: true,
        time_budget_s: Some(minutes * 60.0),
        ..RunOptions::default()
    };
    let s = train(&cfg, &out, &opts)?;
    let pct = |x: f32| format!("{:.0} %", 100.0 * x);
    println!(
        "\n{robot} meta-RL (PEARL) · {} iterations · {} env steps · {:.1} min",
        s.iterations,
        s.env_steps,
        s.wall_s / 60.0
    );
    if let (Some(u), Some(e)) = (&s.untrained, &s.last_test) {
        println!(
            "held-out tasks ({} of them), success · return:",
            cfg.eval.tasks
        );
        println!("  untrained  {:>5} · {:.2}", pct(u.success), u.ret);
        println!(
            "  trained    {:>5} · {:.2}   (best success during training {})",
            pct(e.success),
            e.ret,
            pct(s.best_test_success)
        );
        println!("gait of the scored episodes:");
        println!("  untrained  {}", u.gait.line());
        println!("  trained    {}", e.gait.line());
    }
    // The trained agent's meta-test episodes: the replay page and the top-down paths.
    let mut t = Run::open(&out)?.trainer;
    let (after, _) = replay::meta_test(&mut t, &held_out, None, true)?;
    replay::page::write(&after, &out.join("replay.html"))?;
    replay::trajectories_png(&after, &out.join("plots").join("trajectories.png"))?;
    println!(
        "report: {}/plots/learning_curves.png, metrics.csv, events.jsonl",
        out.display()
    );
    println!("replay (trained, meta-test): {}/replay.html", out.display());
    println!("trajectories: {}/plots/trajectories.png", out.display());
    println!(
        "replay ({before_what}, before training): {}/{before_page}",
        out.display()
    );
    Ok(())
}

/// The dynamics at work: several tasks walk the same fixed trot for 10 s.
fn trot_table(cfg: &Config) -> Result<()> {
    let mut cfg = cfg.clone();
    let control_dt = cfg.env.dt_s * cfg.env.substeps as f32;
    let steps = (10.0 / control_dt).round() as usize;
    cfg.env.horizon = steps;
    let model = std::sync::Arc::new(load_robot(&drat::config::Robot::Quadruped)?);
    let tasks = TaskSet::sample(&cfg.tasks, &model.dynamics_shape())?;
    let gait = TrotGait::default();
    println!("task  torso×  mean mass×  total kg  friction  distance m  heading°");
    for task in tasks.train.iter().take(6) {
        let d = &task.dynamics;
        let mut env = LocomotionEnv::new(&cfg, model.clone(), task.clone())?;
        env.reset(task.id as u64)?;
        let (mut q, mut qd, mut achieved) = (Vec::new(), Vec::new(), [0.0f32; 2]);
        for t in 0..steps {
            env.world().joint_angles(&mut q);
            env.world().joint_velocities(&mut qd);
            let s = env.step(&gait.action(t as f32 * control_dt, &q, &qd))?;
            achieved = s.info.achieved;
            if s.done() {
                break;
            }
        }
        println!(
            "{:>4}  {:>6.2}  {:>10.2}  {:>8.2}  {:>8.2}  {:>10.2}  {:>8.0}",
            task.id,
            d.mass_scale[0],
            d.mean_mass_scale(),
            env.world().total_mass_kg(),
            d.friction_coef,
            (achieved[0].powi(2) + achieved[1].powi(2)).sqrt(),
            achieved[1].atan2(achieved[0]).to_degrees()
        );
    }
    Ok(())
}
