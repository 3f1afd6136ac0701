//! `drat grid` (run an experiment grid here or as a Slurm job array) and `drat merge` (gather
//! the records of grid or run directories and regenerate the tables and figures).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use clap::Args;

use super::print_cells;
use crate::grid::{runner, slurm_script, spec::Grid, SlurmOptions};

/// Arguments of `drat grid`.
#[derive(Args)]
pub struct GridArgs {
    /// The grid file (TOML: base or robot, `[set]`, `[axes]`, seed, last, baseline).
    pub grid: PathBuf,
    /// Grid directory: records, results, runs/ (default: the grid file's directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Runs at a time on this machine.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Tensor-math threads per run.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// List the runs and where each stands (done, failed, resume, new); run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Only the run with this index (what each Slurm array task runs); writes no summary.
    #[arg(long)]
    pub only: Option<usize>,
    /// Write `slurm.sh` (an sbatch job array, one task per pending run) into the grid directory.
    #[arg(long)]
    pub slurm: bool,
    /// With --slurm: submit it with sbatch.
    #[arg(long, requires = "slurm")]
    pub submit: bool,
    /// With --slurm: the partition.
    #[arg(long, requires = "slurm")]
    pub partition: Option<String>,
    /// With --slurm: the time limit per task (e.g. 02:00:00).
    #[arg(long, requires = "slurm")]
    pub time: Option<String>,
    /// With --slurm: CPUs per task (each run's --threads).
    #[arg(long, default_value_t = 1, requires = "slurm")]
    pub cpus_per_task: usize,
    /// No progress bar (one line per finished run still).
    #[arg(long)]
    pub quiet: bool,
}

/// Arguments of `drat merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// Grid directories (each with records/) or plain run directories (`drat train`'s: one
    /// record each, grouped by method).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged records, tables and figures go (default: the first directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Plain run directories are scored by the mean of their last this many evaluations.
    #[arg(long, default_value_t = 1)]
    pub last: usize,
}

/// Runs `drat grid`.
pub fn run(a: GridArgs) -> Result<()> {
    let g = Grid::load(&a.grid)?;
    let out = match &a.out {
        Some(o) => o.clone(),
        None => a.grid.parent().map(PathBuf::from).unwrap_or_default(),
    };
    let exe = std::env::current_exe().map_err(|e| Error::io("the drat binary", e))?;
    let states = runner::states(&g, &out)?;
    if a.dry_run {
        print_dry_run(&a, &g, &states, &out);
        return Ok(());
    }
    if a.slurm {
        return write_slurm(&a, &g, &states, &out, &exe);
    }
    let opts = runner::GridOptions {
        exe,
        jobs: a.jobs,
        threads: a.threads,
        only: a.only,
        progress: !a.quiet,
    };
    let rep = runner::run(&g, &out, &opts)?;
    println!(
        "{} run(s) done now, {} failed, {} skipped (done before)",
        rep.done, rep.failed, rep.skipped
    );
    if a.only.is_none() {
        print_cells(&rep.cells);
        println!(
            "results: {}/summary.md · results.csv · curves.png · final.png · records/",
            out.display()
        );
    }
    Ok(())
}

/// Runs `drat merge`.
pub fn merge(a: MergeArgs) -> Result<()> {
    let dirs: Vec<&Path> = a.dirs.iter().map(PathBuf::as_path).collect();
    let out = a.out.clone().unwrap_or_else(|| a.dirs[0].clone());
    let cells = crate::grid::merge(&dirs, &out, a.last)?;
    print_cells(&cells);
    println!(
        "merged {} director(ies) into {}: summary.md, results.csv, curves.png",
        dirs.len(),
        out.display()
    );
    Ok(())
}

/// `--dry-run`: the runs and where each stands.
fn print_dry_run(a: &GridArgs, g: &Grid, states: &[runner::State], out: &Path) {
    println!(
        "{}: {} runs into {}",
        a.grid.display(),
        g.runs.len(),
        out.display()
    );
    for (r, s) in g.runs.iter().zip(states) {
        let sets: Vec<String> = r
            .values
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::grid::spec::plain(v)))
            .collect();
        println!(
            "  {:>3}  {:<7} {:<40} {}",
            r.index,
            format!("{s:?}").to_lowercase(),
            r.id,
            sets.join(" ")
        );
    }
}

/// `--slurm`: writes `slurm.sh` for the pending runs, and with `--submit` submits it.
fn write_slurm(
    a: &GridArgs,
    g: &Grid,
    states: &[runner::State],
    out: &Path,
    exe: &Path,
) -> Result<()> {
    let pending: Vec<usize> = g
        .runs
        .iter()
        .zip(states)
        .filter(|(_, s)| **s != runner::State::Done)
        .map(|(r, _)| r.index)
        .collect();
    let slurm = SlurmOptions {
        partition: a.partition.clone(),
        time: a.time.clone(),
        cpus_per_task: a.cpus_per_task,
    };
    let script = slurm_script(g, out, exe, &pending, &slurm)?;
    std::fs::create_dir_all(out.join("slurm")).map_err(|e| Error::io(out.join("slurm"), e))?;
    let path = out.join("slurm.sh");
    crate::report::write_atomic(&path, script.as_bytes())?;
    println!("wrote {} ({} array tasks)", path.display(), pending.len());
    if a.submit {
        let o = std::process::Command::new("sbatch")
            .arg(&path)
            .output()
            .map_err(|e| {
                Error::argument(
                    "--submit",
                    format!("running sbatch (is Slurm installed?): {e}"),
                )
            })?;
        if !o.status.success() {
            return Err(Error::argument(
                "--submit",
                format!(
                    "sbatch {} failed: {}",
                    path.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
            ));
        }
        print!("{}", String::from_utf8_lossy(&o.stdout));
        println!("watch: squeue --me · then: drat merge {}", out.display());
    }
    Ok(())
}
