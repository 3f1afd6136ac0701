//! The main job, first version: a few quadruped tasks with randomized dynamics walk the same
//! fixed trotting gait for 10 s, and the table shows how far each got — the dynamics at work.
//! (The agent work turns this into train → evaluate → report.)
//!
//! Run: `cargo run --release --example quadruped [-- --tasks N --seconds S]`

use anyhow::{bail, Context, Result};
use drat::config::Config;
use drat::env::gait::TrotGait;
use drat::env::locomotion::LocomotionEnv;
use drat::env::{Env, TaskSet};
use drat::sim::load_robot;

fn main() -> Result<()> {
    let (mut n_tasks, mut seconds) = (6usize, 10.0f32);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match a.as_str() {
            "--tasks" => {
                n_tasks = value("--tasks")?
                    .parse()
                    .context("--tasks: a whole number")?
            }
            "--seconds" => seconds = value("--seconds")?.parse().context("--seconds: a number")?,
            "--help" | "-h" => {
                println!("quadruped example: --tasks N (default 6), --seconds S (default 10)");
                return Ok(());
            }
            other => bail!("unknown argument `{other}` (allowed: --tasks N, --seconds S)"),
        }
    }
    if n_tasks == 0 || !(seconds > 0.0 && seconds <= 600.0) {
        bail!("--tasks must be ≥ 1 and --seconds in (0, 600]");
    }

    let mut cfg = Config::default_for("quadruped")?;
    cfg.tasks.n_train = n_tasks;
    let control_dt = cfg.env.dt_s * cfg.env.substeps as f32;
    let steps = (seconds / control_dt).round() as usize;
    cfg.env.horizon = steps;
    let model = std::sync::Arc::new(load_robot("quadruped")?);
    let tasks = TaskSet::sample(&cfg.tasks, model.links.len())?;
    let gait = TrotGait::default();

    println!(
        "quadruped: {} links, {:.1} kg nominal, control {} × {:.4} s; trot for {seconds} s per task\n",
        model.links.len(),
        model.total_mass_kg(),
        cfg.env.substeps,
        cfg.env.dt_s
    );
    println!("task  torso×  mean mass×  total kg  friction  distance m  heading°  falls");
    let t0 = std::time::Instant::now();
    for task in &tasks.train {
        let d = task.dynamics.clone();
        let mut env = LocomotionEnv::new(&cfg, model.clone(), task.clone())?;
        env.reset(task.id as u64)?;
        let (mut q, mut qd) = (Vec::new(), Vec::new());
        let (mut achieved, mut fell) = ([0.0f32; 2], false);
        for t in 0..steps {
            env.world().joint_angles(&mut q);
            env.world().joint_velocities(&mut qd);
            let s = env.step(&gait.action(t as f32 * control_dt, &q, &qd))?;
            achieved = s.info.achieved;
            if s.terminated {
                fell = true;
                break;
            }
        }
        let dist = (achieved[0].powi(2) + achieved[1].powi(2)).sqrt();
        println!(
            "{:>4}  {:>6.2}  {:>10.2}  {:>8.2}  {:>8.2}  {:>10.2}  {:>8.0}  {:>5}",
            task.id,
            d.mass_scale[0],
            d.mean_mass_scale(),
            env.world().total_mass_kg(),
            d.friction_coef,
            dist,
            achieved[1].atan2(achieved[0]).to_degrees(),
            if fell { "yes" } else { "no" }
        );
    }
    println!(
        "\n{} tasks × {steps} steps in {:.2} s. Same gait, different bodies: heavier robots and\n\
         other friction cover different ground. Next: `drat bench env` for speed.",
        tasks.train.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
