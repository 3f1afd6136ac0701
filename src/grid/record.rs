//! The small record a grid keeps per run, meant to be committed: what ran (axis values, config
//! hash, git commit), how it ended (done, or failed with its error), and what it measured (its
//! meta-test curve and score). Kilobytes, not checkpoints; `records/<run id>.json` in the grid
//! directory. A rerun skips runs whose record says done; `drat merge` gathers records of
//! several machines.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::spec::{cell_label, plain, Grid, RunSpec};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::metrics::{column, read_csv};
use crate::report::write_atomic;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Trained to its last iteration.
    Done,
    /// Stopped with an error (kept in the record).
    Failed,
}

/// One meta-test evaluation: `(iteration, env steps, success rate, return)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point(pub usize, pub u64, pub f64, pub f64);

/// A run's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Run id (directory-safe, from the axis values).
    pub id: String,
    /// Position in the grid's cross product.
    pub index: usize,
    /// Axis values, `[key, value]` in axis order.
    pub axes: Vec<(String, serde_json::Value)>,
    /// The cell (every axis value but the seed's).
    pub cell: String,
    /// The seed axis value.
    pub seed: String,
    /// How it ended.
    pub status: Status,
    /// The error of a failed run.
    pub error: Option<String>,
    /// FNV-1a hash of the resolved config's TOML.
    pub config_hash: String,
    /// `git rev-parse HEAD` where it ran ("unknown" outside a repository).
    pub git_commit: String,
    /// Wall time of the run (s; of its last invocation when resumed).
    pub wall_s: f64,
    /// Iterations trained.
    pub iterations: usize,
    /// Env steps taken.
    pub env_steps: u64,
    /// Mean meta-test success over the last `last` evaluations.
    pub success: Option<f64>,
    /// Mean meta-test return over the last `last` evaluations.
    pub ret: Option<f64>,
    /// Every meta-test evaluation.
    pub curve: Vec<Point>,
}

/// FNV-1a (64 bit) of the config's resolved TOML, hex: equal configs, equal hashes, on any
/// machine.
pub fn config_hash(cfg: &Config) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in cfg.to_toml_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The commit of the working directory's git repository, or "unknown".
pub fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Where the records of a grid directory live.
pub fn records_dir(grid_dir: &Path) -> PathBuf {
    grid_dir.join("records")
}

impl Record {
    fn base(grid: &Grid, spec: &RunSpec, status: Status, wall_s: f64) -> Record {
        let seed = spec
            .values
            .iter()
            .find(|(k, _)| *k == grid.seed_key)
            .map_or_else(String::new, |(_, v)| plain(v));
        let cell = cell_label(&spec.values, &grid.seed_key);
        let mut r = Record::blank(
            spec.id.clone(),
            cell,
            seed,
            status,
            config_hash(&spec.config),
        );
        r.index = spec.index;
        r.axes = spec
            .values
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
            .collect();
        r.wall_s = wall_s;
        r
    }

    /// A record with nothing measured yet.
    fn blank(
        id: String,
        cell: String,
        seed: String,
        status: Status,
        config_hash: String,
    ) -> Record {
        Record {
            id,
            index: 0,
            axes: Vec::new(),
            cell,
            seed,
            status,
            error: None,
            config_hash,
            git_commit: git_commit(),
            wall_s: 0.0,
            iterations: 0,
            env_steps: 0,
            success: None,
            ret: None,
            curve: Vec::new(),
        }
    }

    /// The record of a run that failed with `error`.
    pub fn failed(grid: &Grid, spec: &RunSpec, error: &str, wall_s: f64) -> Record {
        let mut r = Self::base(grid, spec, Status::Failed, wall_s);
        r.error = Some(error.to_string());
        r
    }

    /// The record of a finished run, from its `metrics.csv`.
    pub fn done(grid: &Grid, spec: &RunSpec, run_dir: &Path, wall_s: f64) -> Result<Record> {
        let mut r = Self::base(grid, spec, Status::Done, wall_s);
        r.read_metrics(run_dir, grid.last)?;
        Ok(r)
    }

    /// The record of a plain run directory (`drat train`'s, not a grid's): its id is the
    /// directory's name, its cell the run's method (`sac`, `pearl`, `htr`, …, as run names
    /// say), its seed `train.seed`; scored over its last `last` evaluations.
    pub fn of_run_dir(run_dir: &Path, last: usize) -> Result<Record> {
        let cfg = crate::train::run::run_config(run_dir)?;
        let id = run_dir.file_name().map_or_else(
            || run_dir.display().to_string(),
            |n| n.to_string_lossy().to_string(),
        );
        let method = cfg.transfer.strategy.method_name(cfg.agent.use_context);
        let mut r = Record::blank(
            id,
            method.to_string(),
            cfg.train.seed.to_string(),
            Status::Done,
            config_hash(&cfg),
        );
        r.read_metrics(run_dir, last)?;
        Ok(r)
    }

    /// Fills the counters, the meta-test curve and the score (mean of the last `last`
    /// evaluations) from `run_dir/metrics.csv`.
    fn read_metrics(&mut self, run_dir: &Path, last: usize) -> Result<()> {
        let r = self;
        let csv = run_dir.join("metrics.csv");
        let (header, rows) = read_csv(&csv)?
            .ok_or_else(|| Error::Checkpoint(format!("{}: no metrics", csv.display())))?;
        let col = |name: &str| column(&header, name, &csv);
        let (ci, ce, cs, cr) = (
            col("iteration")?,
            col("env_steps")?,
            col("test/success")?,
            col("test/return")?,
        );
        for row in &rows {
            let get = |c: usize| row.get(c).copied().flatten();
            if let (Some(it), Some(steps)) = (get(ci), get(ce)) {
                r.iterations = it as usize;
                r.env_steps = steps as u64;
            }
            if let (Some(it), Some(steps), Some(s), Some(ret)) =
                (get(ci), get(ce), get(cs), get(cr))
            {
                r.curve.push(Point(it as usize, steps as u64, s, ret));
            }
        }
        let tail = &r.curve[r.curve.len().saturating_sub(last)..];
        if !tail.is_empty() {
            let k = tail.len() as f64;
            r.success = Some(tail.iter().map(|p| p.2).sum::<f64>() / k);
            r.ret = Some(tail.iter().map(|p| p.3).sum::<f64>() / k);
        }
        Ok(())
    }

    /// Writes `records/<id>.json` in `grid_dir` (atomically).
    pub fn write(&self, grid_dir: &Path) -> Result<()> {
        let dir = records_dir(grid_dir);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::argument("record", e.to_string()))?;
        write_atomic(&dir.join(format!("{}.json", self.id)), text.as_bytes())
    }
}

/// Every record in `grid_dir/records/`, in grid order.
pub fn read_all(grid_dir: &Path) -> Result<Vec<Record>> {
    let dir = records_dir(grid_dir);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
        let path = entry.map_err(|e| Error::io(&dir, e))?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            let r: Record = serde_json::from_str(&text).map_err(|e| {
                Error::Checkpoint(format!("{}: not a grid record ({e})", path.display()))
            })?;
            out.push(r);
        }
    }
    out.sort_by(|a, b| (a.index, &a.id).cmp(&(b.index, &b.id)));
    Ok(out)
}
