//! `drat diagnose transfer`: transfer's value estimates for moved rows against Monte-Carlo
//! returns in the target task, by dynamics-shift size (tables, CSVs and plots).
//! `drat diagnose ratio`: the learned dynamics ratio against the exact one, by shift size.

use std::path::PathBuf;

use crate::error::{Error, Result};
use clap::{Args, Subcommand};
use rand::SeedableRng;

use crate::diagnostics::diagnose::{self, write_report};
use crate::diagnostics::ratio_calibration;
use crate::train::run::Run;

/// The `drat diagnose` subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Transfer's value estimates for moved rows (naive relabel, DRaE, DRaE-slide, oracle DR,
    /// critic alone) against Monte-Carlo returns of the current policy in the target task,
    /// by dynamics-shift size: bias and RMSE tables, a CSV per sample and a plot.
    Transfer(DiagnoseArgs),
    /// The learned dynamics ratio (DARC-style classifiers) against the noisy point robot's exact
    /// ratio on fresh transitions: correlation and RMSE of log ρd by |Δ mass| and |Δ friction|
    /// bucket. Uses the run's classifiers (`transfer.ratio = "learned"`) or trains a fresh pair
    /// on its replay.
    Ratio(RatioArgs),
}

/// The flags both diagnoses share.
#[derive(Args)]
pub struct Common {
    /// Seed of the sampling (and of rollouts, or of a fresh pair of classifiers' training).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where the outputs go (default: RUN_DIR/diagnose, or RUN_DIR/diagnose-ratio).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// CPU threads for tensor math.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// Arguments of `drat diagnose ratio`.
#[derive(Args)]
pub struct RatioArgs {
    /// The run directory (a noisy point-robot run).
    pub run_dir: PathBuf,
    /// Transitions to sample (each of a random train task, for another random one).
    #[arg(long, default_value_t = 4000)]
    pub rows: usize,
    /// Gradient steps of a fresh pair of classifiers, when the run has none of its own
    /// (settings from `[transfer.learned_ratio]`).
    #[arg(long, default_value_t = 3000)]
    pub updates: usize,
    #[command(flatten)]
    pub common: Common,
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
    #[command(flatten)]
    pub common: Common,
}

/// Runs `drat diagnose …`.
pub fn run(c: Command) -> Result<()> {
    let a = match c {
        Command::Transfer(a) => a,
        Command::Ratio(a) => return ratio(a),
    };
    crate::train::set_threads(a.common.threads)?;
    if a.rows == 0 || a.rollouts == 0 {
        return Err(Error::argument("--rows, --rollouts", "must be ≥ 1"));
    }
    let t = Run::open(&a.run_dir)?.trainer;
    let settings = diagnose::Settings {
        rows: a.rows,
        rollouts: a.rollouts,
    };
    let mut rng = rand_pcg::Pcg64::seed_from_u64(a.common.seed);
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
    let out = a.common.out.unwrap_or_else(|| a.run_dir.join("diagnose"));
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

/// Runs `drat diagnose ratio`.
fn ratio(a: RatioArgs) -> Result<()> {
    crate::train::set_threads(a.common.threads)?;
    if a.rows == 0 || a.updates == 0 {
        return Err(Error::argument("--rows, --updates", "must be ≥ 1"));
    }
    let t = Run::open(&a.run_dir)?.trainer;
    let mut rng = rand_pcg::Pcg64::seed_from_u64(a.common.seed);
    let (view, _) = t.view();
    ratio_calibration::check_run(&view)?;
    let fresh;
    let (model, whence) = match view.ratio {
        Some(m) => (m, "the run's own classifiers".to_string()),
        None => {
            let (m, last) = ratio_calibration::fresh_model(&view, a.updates, &mut rng)?;
            println!(
                "trained a fresh pair on the run's replay: {} steps, last batch cross-entropy \
                 {:.3} (s,a,Δ) / {:.3} (s,a) nats, accuracy {:.1} % over {} tasks",
                a.updates,
                last.loss_sas,
                last.loss_sa,
                100.0 * last.accuracy_sas,
                view.tasks.len()
            );
            fresh = m;
            (&fresh, format!("fresh classifiers, {} steps", a.updates))
        }
    };
    let samples = ratio_calibration::sample(&view, model, a.rows, &mut rng)?;
    let ep = ratio_calibration::episode_sums(&view, model, a.rows / 10, &mut rng)?;
    let rows = ratio_calibration::table(&samples, view.cfg.transfer.rho_d_max);
    let out = a
        .common
        .out
        .unwrap_or_else(|| a.run_dir.join("diagnose-ratio"));
    let title = format!(
        "{} at iteration {} ({whence}; {} fresh transitions, seed {})",
        a.run_dir.display(),
        t.state.iteration,
        samples.len(),
        a.common.seed
    );
    print!(
        "{}",
        ratio_calibration::write_report(&samples, &rows, &out, &title)?
    );
    println!(
        "\nwhole stored episodes ({}), what per-decision DR multiplies: SD of Σ_t log ρd exact {:.2}, \
         learned {:.2}, correlation {:.3}; learned errors at t and t+1 correlate {:.3}; \
         product of clipped ρd > 10 in {:.1} % (exact) / {:.1} % (learned) of episodes",
        ep.n,
        ep.sd_exact,
        ep.sd_learned,
        ep.corr,
        ep.lag1_error_corr,
        100.0 * ep.product_over_10.0,
        100.0 * ep.product_over_10.1
    );
    println!(
        "\nwrote {0}/samples.csv, {0}/calibration.csv, {0}/calibration.md",
        out.display()
    );
    Ok(())
}
