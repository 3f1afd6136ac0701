//! Experiment grids: a grid file ([`spec`]) names a base config and axes; its runs are the
//! cross product, run here with `--jobs N` ([`runner`]) or as a Slurm job array
//! ([`slurm_script`]); each run leaves a small committed record ([`record`]); tables and
//! figures are regenerated from records alone ([`results`]); [`merge`] gathers records of
//! several machines or array tasks. Nothing here knows how training works beyond the
//! `drat train` command line and a run directory's `metrics.csv`.

pub mod record;
pub mod results;
pub mod runner;
pub mod spec;

use std::path::Path;

use crate::error::{Error, Result};
use record::{Record, Status};
use runner::{read_spec_file, GridSpecFile};
use spec::Grid;

/// Gathers the records of `dirs` into `out` (which may be one of them) and regenerates the
/// tables and figures there. Each of `dirs` is a grid directory (its `records/`) or a plain
/// run directory (`drat train`'s: one record, its cell the run's method, scored over its last
/// `last` evaluations). A run recorded in several places keeps its done record; the same run
/// id with different config hashes is an error that names both places.
pub fn merge(dirs: &[&Path], out: &Path, last: usize) -> Result<Vec<results::CellStats>> {
    let records = gather(dirs, last)?;
    let spec = gather_spec(dirs)?;
    for r in &records {
        r.write(out)?;
    }
    let (title, baselines) = spec
        .as_ref()
        .map_or(("merged grid".to_string(), Vec::new()), |s| {
            (s.title.clone(), s.baselines.clone())
        });
    if let Some(s) = &spec {
        let text =
            serde_json::to_string_pretty(s).map_err(|e| Error::argument("merge", e.to_string()))?;
        crate::report::write_atomic(&out.join("grid-spec.json"), text.as_bytes())?;
    }
    results::write_all(out, &records, &baselines, &title)
}

/// The records of `dirs` (grid or plain run directories, see [`merge`]), in grid order.
pub fn gather(dirs: &[&Path], last: usize) -> Result<Vec<Record>> {
    let mut all: Vec<(Record, &Path)> = Vec::new();
    for (k, &dir) in dirs.iter().enumerate() {
        let found = if dir.join("records").is_dir() {
            record::read_all(dir)?
        } else if dir.join("config.toml").is_file() {
            let mut r = Record::of_run_dir(dir, last)?;
            r.index = k;
            vec![r]
        } else {
            return Err(Error::argument(
                "merge",
                format!(
                    "{}: neither a grid directory (records/) nor a run directory (config.toml)",
                    dir.display()
                ),
            ));
        };
        for r in found {
            match all.iter_mut().find(|(x, _)| x.id == r.id) {
                Some((x, from)) if x.config_hash != r.config_hash => {
                    return Err(Error::argument(
                        "merge",
                        format!(
                            "run `{}` has config {} in {} but {} in {}",
                            r.id,
                            x.config_hash,
                            from.display(),
                            r.config_hash,
                            dir.display()
                        ),
                    ))
                }
                Some((x, from)) => {
                    if x.status != Status::Done && r.status == Status::Done {
                        *x = r;
                        *from = dir;
                    }
                }
                None => all.push((r, dir)),
            }
        }
    }
    let mut records: Vec<Record> = all.into_iter().map(|(r, _)| r).collect();
    records.sort_by(|a, b| (a.index, &a.id).cmp(&(b.index, &b.id)));
    Ok(records)
}

/// The grid spec the grid directories among `dirs` share (none for plain run directories);
/// two different grids are an error.
fn gather_spec(dirs: &[&Path]) -> Result<Option<GridSpecFile>> {
    let mut spec: Option<GridSpecFile> = None;
    for &dir in dirs {
        if let Some(s) = read_spec_file(dir)? {
            match &spec {
                Some(have) if have.seed_key != s.seed_key || have.baselines != s.baselines => {
                    return Err(Error::argument(
                        "merge",
                        format!(
                            "{}: another grid ({} vs {})",
                            dir.display(),
                            s.grid,
                            have.grid
                        ),
                    ))
                }
                Some(_) => {}
                None => spec = Some(s),
            }
        }
    }
    Ok(spec)
}

/// Slurm settings of `drat grid --slurm`.
#[derive(Clone, Debug, Default)]
pub struct SlurmOptions {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` (Slurm's format, e.g. `02:00:00`).
    pub time: Option<String>,
    /// `--cpus-per-task` (also each run's `--threads`).
    pub cpus_per_task: usize,
}

/// An `sbatch --array` script running each of `indices` (the grid's pending runs) as one
/// array task: `drat grid GRID --out OUT --only $SLURM_ARRAY_TASK_ID`.
pub fn slurm_script(
    grid: &Grid,
    out: &Path,
    exe: &Path,
    indices: &[usize],
    slurm: &SlurmOptions,
) -> Result<String> {
    if indices.is_empty() {
        return Err(Error::argument(
            "--slurm",
            "every run of the grid is done already",
        ));
    }
    let abs = |p: &Path| std::path::absolute(p).map_err(|e| Error::io(p, e));
    let (grid_path, out_abs, exe_abs) = (abs(&grid.path)?, abs(out)?, abs(exe)?);
    let list: Vec<String> = indices.iter().map(|i| i.to_string()).collect();
    let q = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!(
        "#SBATCH --job-name=drat-grid\n#SBATCH --array={}\n",
        list.join(",")
    ));
    s.push_str(&format!(
        "#SBATCH --cpus-per-task={}\n",
        slurm.cpus_per_task
    ));
    if let Some(p) = &slurm.partition {
        s.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(t) = &slurm.time {
        s.push_str(&format!("#SBATCH --time={t}\n"));
    }
    s.push_str(&format!(
        "#SBATCH --output={}/slurm/%A_%a.out\n",
        out_abs.display()
    ));
    s.push_str(&format!(
        "# {} runs of {}; records land in {}/records, then: drat merge {}\nset -euo pipefail\n",
        indices.len(),
        grid_path.display(),
        out_abs.display(),
        out_abs.display()
    ));
    s.push_str(&format!(
        "exec {} grid {} --out {} --only \"$SLURM_ARRAY_TASK_ID\" --threads {} --quiet\n",
        q(&exe_abs),
        q(&grid_path),
        q(&out_abs),
        slurm.cpus_per_task
    ));
    Ok(s)
}
