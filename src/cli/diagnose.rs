//! `drat diagnose transfer`: transfer's value estimates for moved rows against Monte-Carlo
//! returns in the target task, by dynamics-shift size (tables, CSVs and plots).

use std::path::PathBuf;

use crate::error::{Error, Result};
use clap::{Args, Subcommand};
use rand::SeedableRng;

use crate::diagnostics::diagnose::{self, write_report};
use crate::train::run::Run;

/// The `drat diagnose` subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Transfer's value estimates for moved rows (naive relabel, DRaE, DRaE-slide, oracle DR,
    /// critic alone) against Monte-Carlo returns of the current policy in the target task,
    /// by dynamics-shift size: bias and RMSE tables, a CSV per sample and a plot.
    Transfer(DiagnoseArgs),
}

/// Arguments of `drat diagnose transfer`.
#[derive(Args)]
pub struct DiagnoseArgs {
    /// The run directory (a point-robot run with transfer and transition noise).
    pub run_dir: PathBuf,
    /// Moved rows to sample.
    #[arg(long, default_value_t = 300)]
    pub rows: usize,
    /// Monte-Carlo rollouts per row.
    #[arg(long, default_value_t = 64)]
    pub rollouts: usize,
    /// Seed of the sampling and rollouts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where the CSVs and the plot go (default: RUN_DIR/diagnose).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// CPU threads for tensor math.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// Runs `drat diagnose …`.
pub fn run(c: Command) -> Result<()> {
    let Command::Transfer(a) = c;
    crate::train::set_threads(a.threads)?;
    if a.rows == 0 || a.rollouts == 0 {
        return Err(Error::argument("--rows, --rollouts", "must be ≥ 1"));
    }
    let t = Run::open(&a.run_dir)?.trainer;
    let settings = diagnose::Settings {
        rows: a.rows,
        rollouts: a.rollouts,
    };
    let mut rng = rand_pcg::Pcg64::seed_from_u64(a.seed);
    let (view, moved) = t.view();
    let diagnosis = diagnose::diagnose(&view, moved, settings, &mut rng)?;
    let samples = &diagnosis.samples;
    println!(
        "{}: iteration {} · {} moved rows × {} rollouts · mean Monte-Carlo value {:.3}",
        a.run_dir.display(),
        t.state.iteration,
        samples.len(),
        a.rollouts,
        samples.iter().map(|s| s.truth as f64).sum::<f64>() / samples.len() as f64
    );
    let out = a.out.unwrap_or_else(|| a.run_dir.join("diagnose"));
    print!(
        "{}",
        write_report(&diagnosis, &out, &a.run_dir.display().to_string())?
    );
    println!(
        "\nwrote {0}/samples.csv, {0}/summary.csv, {0}/by_mass.png, {0}/by_friction.png",
        out.display()
    );
    Ok(())
}
