//! `drat ablate`: the physics ablation, one factor at a time, optionally with a short training
//! run per level; writes ablation.csv, ablation.md and one plot per factor.

use std::path::PathBuf;

use crate::error::{Error, Result};
use clap::Args as ClapArgs;

use super::positive_minutes;
use crate::diagnostics::ablate::{markdown, measure, write_outputs, Ablation, DEFAULT_ABLATION};
use crate::train::run;

/// Arguments of `drat ablate`.
#[derive(ClapArgs)]
pub struct Args {
    /// The ablation file (default: the embedded assets/configs/ablate.toml).
    pub file: Option<PathBuf>,
    /// Output directory (ablation.csv, ablation.md, one plot per factor).
    #[arg(long, default_value = "runs/ablation")]
    pub out: PathBuf,
    /// Also train each level for this many minutes and report its meta-test figures.
    #[arg(long, value_parser = positive_minutes)]
    pub train: Option<f64>,
}

/// Runs `drat ablate`.
pub fn run(a: Args) -> Result<()> {
    let (path, text) = match &a.file {
        Some(p) => (
            p.clone(),
            std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?,
        ),
        None => (
            PathBuf::from("assets/configs/ablate.toml"),
            DEFAULT_ABLATION.to_string(),
        ),
    };
    let ab = Ablation::parse(&path, &text)?;
    // Speeds are one env on one thread; a training run uses one thread too.
    crate::train::set_threads(1)?;
    let n = ab.levels.len();
    let mut figs = Vec::with_capacity(n);
    for (k, level) in ab.levels.iter().enumerate() {
        let mut f = measure(level, ab.steps, ab.seconds)?;
        if let Some(m) = a.train {
            let dir = a.out.join("train").join(level.slug());
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            }
            let opts = run::RunOptions {
                time_budget_s: Some(m * 60.0),
                ..run::RunOptions::default()
            };
            let s = run::train(&level.config, &dir, &opts)?;
            f.train_success = s.last_test.as_ref().map(|e| e.success as f64);
            f.train_return = s.last_test.as_ref().map(|e| e.ret as f64);
        }
        println!(
            "[{}/{n}] {} · {} · {:.0} steps/s · {:.1} blow-ups/1e5 · gait divergence {:.1} cm",
            k + 1,
            f.factor,
            f.level,
            f.steps_per_s,
            f.blowups_per_1e5,
            100.0 * f.gait_divergence_m
        );
        figs.push(f);
    }
    let title = format!("Physics ablation ({})", path.display());
    write_outputs(&a.out, &figs, &title)?;
    print!("{}", markdown(&figs, &title));
    println!(
        "wrote {}/ablation.md, ablation.csv and one plot per factor",
        a.out.display()
    );
    Ok(())
}
