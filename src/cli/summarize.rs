//! `drat summarize`: compare finished run directories — a thin front over the grid's records
//! and results (`grid::gather`, `grid::results`): each run becomes one record, grouped by its
//! method (`sac`, `pearl`, `htr`, `hfr`, `drae`, …, as run names say), with means and 95 %
//! confidence intervals over seeds; with `--out`, the grid's tables and figures too.

use std::path::{Path, PathBuf};

use crate::error::Result;
use clap::Args as ClapArgs;

use super::print_cells;
use crate::grid::{self, results};

/// Arguments of `drat summarize`.
#[derive(ClapArgs)]
pub struct Args {
    /// Run directories (e.g. `runs/compare/*`).
    #[arg(required = true)]
    pub run_dirs: Vec<PathBuf>,
    /// Score each run by the mean of its last this many evaluations.
    #[arg(long, default_value_t = 1)]
    pub last: usize,
    /// Also write the grid's tables and figures here: records/, results.csv, summary.csv,
    /// summary.md, curves.png (mean meta-test curve per method, 95 % CI band), final.png.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Runs `drat summarize`.
pub fn run(a: Args) -> Result<()> {
    let dirs: Vec<&Path> = a.run_dirs.iter().map(PathBuf::as_path).collect();
    let records = grid::gather(&dirs, a.last)?;
    println!("run,method,seed,iteration,success,return");
    for r in &records {
        println!(
            "{},{},{},{},{:.3},{:.3}",
            r.id,
            r.cell,
            r.seed,
            r.iterations,
            r.success.unwrap_or(f64::NAN),
            r.ret.unwrap_or(f64::NAN)
        );
    }
    println!(
        "\nmeta-test, mean of the last {} evaluation(s) per run; ± is the 95 % CI over runs (t)",
        a.last
    );
    let cells = match &a.out {
        Some(out) => grid::merge(&dirs, out, a.last)?,
        None => results::cell_stats(&records, &[]),
    };
    print_cells(&cells);
    if let Some(out) = &a.out {
        println!(
            "wrote {}: summary.md, summary.csv, results.csv, curves.png, final.png",
            out.display()
        );
    }
    Ok(())
}
