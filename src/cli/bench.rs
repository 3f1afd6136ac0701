//! `drat bench`: the user-facing headless speed figures — env steps per second, the training
//! loop's collection with 1 and N threads, and the agent's update at the PyTorch reference's
//! shapes. Criterion benches live in `benches/`.

use crate::error::{Error, Result};
use clap::{Args, Subcommand};

use super::ConfigArgs;
use crate::agent::bench::{time_update, Update, Workload};
use crate::diagnostics::env_speed::{env_speed, EnvSpeedSettings};
use crate::train::trainer::collection_speed;

/// The `drat bench` subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Env steps per second with random actions, resets included.
    Env(BenchEnvArgs),
    /// The training loop's collection speed (batched policy and physics) with 1 and with N
    /// env threads, on the config's tasks and untrained networks.
    Collect(BenchCollectArgs),
    /// Milliseconds per agent update at the PyTorch reference's shapes (SAC: batch 256, 2×256;
    /// PEARL: 16 tasks × 256, 3×300, encoder 3×200, context 100), on N threads.
    Update(BenchUpdateArgs),
}

/// Arguments of `drat bench env`.
#[derive(Args)]
pub struct BenchEnvArgs {
    /// The robot and its config.
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Number of envs stepped together.
    #[arg(long, default_value_t = 1)]
    pub envs: usize,
    /// Worker threads (default: 1 for one env, else the number of cores, at most --envs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Total env steps (over all envs).
    #[arg(long, default_value_t = 20_000)]
    pub steps: usize,
    /// Episode length in control steps (overrides env.horizon).
    #[arg(long, default_value_t = 1000)]
    pub horizon: usize,
    /// Seed of actions and resets.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `drat bench collect`.
#[derive(Args)]
pub struct BenchCollectArgs {
    /// The robot and its config.
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Env threads to compare with one.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Collection iterations timed per thread count (after the initial collection).
    #[arg(long, default_value_t = 30)]
    pub iterations: usize,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `drat bench update`.
#[derive(Args)]
pub struct BenchUpdateArgs {
    /// Threads of the update (candle's and ours).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Only this workload: `sac` or `pearl` (default: both).
    #[arg(long, value_parser = ["sac", "pearl"])]
    pub only: Option<String>,
    /// Time the plain candle-autograd update instead (the reference the fused one is tested
    /// against), for before/after comparisons in one sitting.
    #[arg(long)]
    pub reference: bool,
    /// Print one JSON object (keys `sac_ms`, `pearl_ms`, …).
    #[arg(long)]
    pub json: bool,
}

/// Runs `drat bench …`.
pub fn run(c: Command) -> Result<()> {
    match c {
        Command::Env(a) => env(a),
        Command::Collect(a) => collect(a),
        Command::Update(a) => update(a),
    }
}

fn collect(a: BenchCollectArgs) -> Result<()> {
    if a.threads == 0 || a.iterations == 0 {
        return Err(Error::argument("--threads, --iterations", "must be ≥ 1"));
    }
    let cfg = a.cfg.resolve()?;
    crate::train::set_threads(a.threads)?;
    let speed = collection_speed;
    let one = speed(&cfg, 1, a.iterations)?;
    let many = speed(&cfg, a.threads, a.iterations)?;
    if a.json {
        let j = serde_json::json!({"robot": cfg.env.robot.to_string(), "threads": a.threads,
            "env_steps_per_s_1": one, "env_steps_per_s_n": many, "ratio": many / one});
        println!("{j}");
    } else {
        println!(
            "{} collection: {one:.0} env steps/s with 1 thread, {many:.0} with {} ({:.2}×)",
            cfg.env.robot,
            a.threads,
            many / one
        );
    }
    Ok(())
}

fn env(a: BenchEnvArgs) -> Result<()> {
    let cfg = a.cfg.resolve()?;
    let s = env_speed(
        &cfg,
        &EnvSpeedSettings {
            envs: a.envs,
            threads: a.threads,
            steps: a.steps,
            horizon: a.horizon,
            seed: a.seed,
        },
    )?;
    let det = cfg!(feature = "enhanced-determinism");
    let split = s.split_us();
    let per_step = |n: u64| n as f64 / s.steps as f64;
    let (rapier_steps, contacts) = s.profile.map_or((0.0, 0.0), |p| {
        (
            per_step(p.rapier_steps),
            p.contact_points as f64 / p.rapier_steps.max(1) as f64,
        )
    });
    if a.json {
        let mut j = serde_json::json!({
            "robot": cfg.env.robot.to_string(), "envs": a.envs, "threads": s.threads, "steps": s.steps,
            "horizon": a.horizon, "seconds": s.seconds, "env_steps_per_s": s.env_steps_per_s,
            "episodes_ended": s.episodes, "terminated": s.terminated, "blowups": s.blowups,
            "dt_s": cfg.env.dt_s, "substeps": cfg.env.substeps,
            "solver_iterations": cfg.env.solver_iterations, "stepping": cfg.env.stepping.name(),
            "enhanced_determinism": det,
        });
        if let Some(split) = &split {
            j["us_per_env_step"] = split
                .iter()
                .map(|(k, v)| (k.to_string(), (*v).into()))
                .collect::<serde_json::Map<_, _>>()
                .into();
            j["rapier_steps_per_env_step"] = rapier_steps.into();
            j["contact_points_per_rapier_step"] = contacts.into();
        }
        println!("{j}");
    } else {
        println!(
            "{}: {:.0} env steps/s ({} envs, {} thread(s), {} steps in {:.2} s, \
             horizon {}, control {} × {} s ({} stepping, {} solver iteration(s)), \
             {} episodes ended, {} falls, {} blow-ups{})",
            cfg.env.robot,
            s.env_steps_per_s,
            a.envs,
            s.threads,
            s.steps,
            s.seconds,
            a.horizon,
            cfg.env.substeps,
            cfg.env.dt_s,
            cfg.env.stepping.name(),
            cfg.env.solver_iterations,
            s.episodes,
            s.terminated,
            s.blowups,
            if det { ", enhanced-determinism" } else { "" }
        );
        if let Some(split) = split {
            let total: f64 = split.iter().map(|(_, v)| v).sum();
            let parts: Vec<String> = split
                .iter()
                .map(|(k, v)| format!("{k} {v:.1} ({:.0} %)", 100.0 * v / total))
                .collect();
            println!(
                "  µs per env step: {} — total {total:.1}; {rapier_steps:.1} Rapier steps \
                 per env step, {contacts:.1} contact points per Rapier step",
                parts.join(", ")
            );
        }
    }
    Ok(())
}

fn update(a: BenchUpdateArgs) -> Result<()> {
    crate::train::set_threads(a.threads)?;
    let which = if a.reference {
        Update::Reference
    } else {
        Update::Fused
    };
    let only = a.only.as_deref();
    let time = |w: Workload, name: &str| -> Result<Option<_>> {
        Ok(match only {
            Some(o) if o != name => None,
            _ => Some(time_update(w, which)?),
        })
    };
    let (sac, pearl) = (time(Workload::Sac, "sac")?, time(Workload::Pearl, "pearl")?);
    let update = if a.reference { "reference" } else { "fused" };
    if a.json {
        let mut j = serde_json::json!({"threads": a.threads, "update": update});
        for (key, t) in [("sac", &sac), ("pearl", &pearl)] {
            let Some(t) = t else { continue };
            j[format!("{key}_ms")] = t.ms.into();
            j[format!("{key}_gflop")] = t.gflop.into();
            j[format!("{key}_gflops")] = t.gflops().into();
            j[format!("{key}_gemm_gflops")] = t.gemm_gflops.into();
            j[format!("{key}_matmul_share")] = t.matmul_share().into();
        }
        println!("{j}");
        return Ok(());
    }
    println!("{update} update on {} thread(s):", a.threads);
    for (name, t) in [("SAC", &sac), ("PEARL", &pearl)] {
        let Some(t) = t else { continue };
        if a.reference {
            println!("  {name:<5} {:>8.2} ms", t.ms);
        } else {
            println!(
                "  {name:<5} {:>8.2} ms · {:.3} GFLOP of matmuls · {:.1} GFLOP/s · a lone matmul \
                 of its main shape runs at {:.1} GFLOP/s, so matmuls are {:.0} % of the time",
                t.ms,
                t.gflop,
                t.gflops(),
                t.gemm_gflops,
                100.0 * t.matmul_share()
            );
        }
    }
    Ok(())
}
