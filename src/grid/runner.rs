//! Running a grid on this machine: each run is a `drat train` child process (so a run's
//! numbers are those of a lone `drat train --threads T`, whatever runs beside it, and a crash
//! stays in its run), `--jobs N` at a time. A run whose record says done is skipped; a run
//! directory with a checkpoint and no record is resumed; a failed run is recorded with its
//! error and the others go on.
//!
//! A grid directory holds `grid-spec.json` (what `drat merge` needs), `records/` (commit
//! these), `runs/<id>/` (full run directories, not for committing: `runs/<id>.toml` is the
//! resolved config, `runs/<id>.log` the run's output) and the tables and figures of
//! [`super::results`].

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::record::{self, Record, Status};
use super::results::{self, CellStats};
use super::spec::{Grid, RunSpec};
use crate::error::{Error, Result};
use crate::report::write_atomic;
use crate::train::run::run_config;

/// How to run a grid.
#[derive(Clone, Debug)]
pub struct GridOptions {
    /// The `drat` binary the runs are started with.
    pub exe: PathBuf,
    /// Runs at a time.
    pub jobs: usize,
    /// Tensor-math threads per run (`drat train --threads`).
    pub threads: usize,
    /// Only the run with this index (what a Slurm array task does); no summary is written.
    pub only: Option<usize>,
    /// A progress bar (else plain lines).
    pub progress: bool,
}

/// Where a run stands on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Its record says done.
    Done,
    /// Its record says failed (it runs again).
    Failed,
    /// A run directory with a checkpoint and no record: resumed.
    Resume,
    /// Nothing yet.
    New,
}

/// What a grid directory says about its grid (read by `drat merge`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridSpecFile {
    /// The grid file.
    pub grid: String,
    /// Title of tables and plots.
    pub title: String,
    /// Seed axis key.
    pub seed_key: String,
    /// Baseline cells.
    #[serde(default)]
    pub baselines: Vec<String>,
    /// Runs in the grid.
    pub runs: usize,
}

/// A grid directory's spec file.
pub fn read_spec_file(dir: &Path) -> Result<Option<GridSpecFile>> {
    let p = dir.join("grid-spec.json");
    if !p.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::Checkpoint(format!("{}: {e}", p.display())))
}

/// The title of a grid: its file's directory and name.
pub fn title(grid: &Grid) -> String {
    grid.path.display().to_string()
}

/// The directory of run `id`.
pub fn run_dir(out: &Path, id: &str) -> PathBuf {
    out.join("runs").join(id)
}

/// Where each run of `grid` stands in `out`.
pub fn states(grid: &Grid, out: &Path) -> Result<Vec<State>> {
    let records = record::read_all(out)?;
    Ok(grid
        .runs
        .iter()
        .map(|r| match records.iter().find(|x| x.id == r.id) {
            Some(x) if x.status == Status::Done => State::Done,
            Some(_) => State::Failed,
            None if run_dir(out, &r.id).join("checkpoints").is_dir() => State::Resume,
            None => State::New,
        })
        .collect())
}

/// A finished grid invocation.
#[derive(Clone, Debug)]
pub struct GridReport {
    /// Runs skipped because their record says done.
    pub skipped: usize,
    /// Runs that finished now.
    pub done: usize,
    /// Runs that failed now.
    pub failed: usize,
    /// Per-cell figures over every record (empty with `only`).
    pub cells: Vec<CellStats>,
}

/// Runs the grid's pending runs into `out`, then writes its tables and figures.
pub fn run(grid: &Grid, out: &Path, opts: &GridOptions) -> Result<GridReport> {
    check_options(grid, opts)?;
    std::fs::create_dir_all(out.join("runs")).map_err(|e| Error::io(out, e))?;
    write_spec_file(grid, out)?;
    let states = states(grid, out)?;
    let considered: Vec<(&RunSpec, State)> = grid
        .runs
        .iter()
        .zip(states)
        .filter(|(r, _)| opts.only.is_none_or(|i| i == r.index))
        .collect();
    let skipped = considered.iter().filter(|(_, s)| *s == State::Done).count();
    let todo: Vec<&RunSpec> = considered
        .iter()
        .filter(|(_, s)| *s != State::Done)
        .map(|(r, _)| *r)
        .collect();
    let (done, failed) = run_pending(grid, &todo, out, opts);
    let cells = match opts.only {
        Some(_) => Vec::new(),
        None => {
            let records = record::read_all(out)?;
            results::write_all(out, &records, &grid.baselines, &title(grid))?
        }
    };
    Ok(GridReport {
        skipped,
        done,
        failed,
        cells,
    })
}

/// `--jobs` and `--threads` at least 1, and `--only` a run of the grid.
fn check_options(grid: &Grid, opts: &GridOptions) -> Result<()> {
    if opts.jobs == 0 || opts.threads == 0 {
        return Err(Error::argument("--jobs/--threads", "must be ≥ 1"));
    }
    if let Some(i) = opts.only {
        if i >= grid.runs.len() {
            return Err(Error::argument(
                "--only",
                format!(
                    "run {i} does not exist: the grid has runs 0..{}",
                    grid.runs.len()
                ),
            ));
        }
    }
    Ok(())
}

/// Runs `todo`, `opts.jobs` at a time, printing a line as each ends; returns how many finished
/// and how many failed.
fn run_pending(grid: &Grid, todo: &[&RunSpec], out: &Path, opts: &GridOptions) -> (usize, usize) {
    let bar = bar(todo.len(), opts.progress);
    let (tx, rx) = mpsc::channel::<Record>();
    let queue = Mutex::new(todo.iter().copied().collect::<VecDeque<_>>());
    let (mut done, mut failed) = (0, 0);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.min(todo.len()) {
            let (tx, queue) = (tx.clone(), &queue);
            s.spawn(move || loop {
                let Some(spec) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                    return;
                };
                if tx.send(run_one(grid, spec, out, opts)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        for (k, r) in rx.iter().enumerate() {
            match r.status {
                Status::Done => done += 1,
                Status::Failed => failed += 1,
            }
            let line = ended_line(k, todo.len(), &r);
            if opts.progress {
                bar.println(line);
            } else {
                println!("{line}");
            }
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    (done, failed)
}

/// The line printed when the `k`-th of `n` runs ends with record `r`.
fn ended_line(k: usize, n: usize, r: &Record) -> String {
    match r.status {
        Status::Done => format!(
            "[{}/{}] done   {} · success {} · {:.1} min",
            k + 1,
            n,
            r.id,
            r.success
                .map_or("–".into(), |s| format!("{:.1} %", 100.0 * s)),
            r.wall_s / 60.0
        ),
        Status::Failed => format!(
            "[{}/{}] FAILED {} · {}",
            k + 1,
            n,
            r.id,
            r.error.as_deref().unwrap_or("")
        ),
    }
}

fn write_spec_file(grid: &Grid, out: &Path) -> Result<()> {
    let spec = GridSpecFile {
        grid: grid.path.display().to_string(),
        title: title(grid),
        seed_key: grid.seed_key.clone(),
        baselines: grid.baselines.clone(),
        runs: grid.runs.len(),
    };
    let text =
        serde_json::to_string_pretty(&spec).map_err(|e| Error::argument("grid", e.to_string()))?;
    write_atomic(&out.join("grid-spec.json"), text.as_bytes())
}

fn bar(n: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(n as u64);
    b.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} runs [{elapsed_precise} < {eta_precise}]",
        )
        .expect("the template is a valid indicatif template"),
    );
    b
}

/// Runs one grid run as a `drat train` child process and records how it ended.
fn run_one(grid: &Grid, spec: &RunSpec, out: &Path, opts: &GridOptions) -> Record {
    let t0 = Instant::now();
    let result = train_child(spec, out, opts).and_then(|()| {
        Record::done(
            grid,
            spec,
            &run_dir(out, &spec.id),
            t0.elapsed().as_secs_f64(),
        )
    });
    let rec = result
        .unwrap_or_else(|e| Record::failed(grid, spec, &e.to_string(), t0.elapsed().as_secs_f64()));
    match rec.write(out) {
        Ok(()) => rec,
        Err(e) => Record::failed(grid, spec, &format!("writing its record: {e}"), rec.wall_s),
    }
}

fn train_child(spec: &RunSpec, out: &Path, opts: &GridOptions) -> Result<()> {
    let dir = run_dir(out, &spec.id);
    let mut resume = dir.join("checkpoints").is_dir();
    if resume {
        // A run directory of another config (the grid changed) starts over.
        let same = run_config(&dir)
            .map(|c| record::config_hash(&c) == record::config_hash(&spec.config))
            .unwrap_or(false);
        resume = same;
    }
    if !resume && dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    let cfg_path = out.join("runs").join(format!("{}.toml", spec.id));
    write_atomic(&cfg_path, spec.config.to_toml_string().as_bytes())?;
    let log_path = out.join("runs").join(format!("{}.log", spec.id));
    let log = std::fs::File::create(&log_path).map_err(|e| Error::io(&log_path, e))?;
    let log2 = log.try_clone().map_err(|e| Error::io(&log_path, e))?;
    let mut cmd = Command::new(&opts.exe);
    cmd.arg("train")
        .arg("--quiet")
        .arg("--threads")
        .arg(opts.threads.to_string());
    if resume {
        cmd.arg("--resume").arg(&dir);
    } else {
        cmd.arg("--config").arg(&cfg_path).arg("--out").arg(&dir);
    }
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2))
        .status()
        .map_err(|e| {
            Error::argument("grid", format!("cannot start {}: {e}", opts.exe.display()))
        })?;
    if status.success() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(3).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(Error::argument(
        "run",
        format!("`drat train` exited with {status}: {}", tail.join(" / ")),
    ))
}
