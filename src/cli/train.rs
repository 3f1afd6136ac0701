//! `drat train`: meta-train an agent into a run directory (or resume one) and print where its
//! report is.

use std::path::PathBuf;

use crate::error::Result;
use clap::Args as ClapArgs;

use super::{positive_minutes, ConfigArgs};
use crate::train::run;

/// Arguments of `drat train`.
#[derive(ClapArgs)]
pub struct Args {
    /// The robot and its config.
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Run directory (default: runs/{robot}__{method}__{seed}__{time}).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the run in this directory from its latest checkpoint.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["out", "config", "sets"])]
    pub resume: Option<PathBuf>,
    /// CPU threads for tensor math (results are reproducible for a fixed count).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Stop with a final evaluation and checkpoint once this many minutes are spent
    /// (resume later with --resume to go on).
    #[arg(long, value_name = "MINUTES", value_parser = positive_minutes)]
    pub minutes: Option<f64>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `drat train`.
pub fn run(a: Args) -> Result<()> {
    crate::train::set_threads(a.threads)?;
    let opts = run::RunOptions {
        resume: a.resume.is_some(),
        progress: !a.quiet,
        stop_after: None,
        time_budget_s: a.minutes.map(|m| m * 60.0),
    };
    let (cfg, out) = match &a.resume {
        Some(dir) => (run::run_config(dir)?, dir.clone()),
        None => {
            let cfg = a.cfg.resolve()?;
            let out = a
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from("runs").join(run::default_run_name(&cfg)));
            (cfg, out)
        }
    };
    let s = run::train(&cfg, &out, &opts)?;
    let pct = |x: f32| format!("{:.0} %", 100.0 * x);
    println!("run: {}", s.dir.display());
    println!(
        "iterations {} · env steps {} · {:.0} s",
        s.iterations, s.env_steps, s.wall_s
    );
    if let Some(u) = &s.untrained {
        println!(
            "meta-test before training: success {} · return {:.2}",
            pct(u.success),
            u.ret
        );
    }
    if let Some(e) = &s.last_test {
        println!(
            "meta-test after training:  success {} · return {:.2} (best success {})",
            pct(e.success),
            e.ret,
            pct(s.best_test_success)
        );
    }
    println!(
        "open: {}/plots/learning_curves.png · {}/metrics.csv",
        s.dir.display(),
        s.dir.display()
    );
    Ok(())
}
