//! Tables and figures of a grid, regenerated from its records alone: `results.csv` (one row
//! per run × evaluation), `summary.csv` and `summary.md` (per cell: mean and 95 % CI over
//! seeds, failures, and paired differences against the baseline cell over shared seeds; then
//! every run's own score), `curves.png` (meta-test curves with CI bands per cell) and
//! `final.png` (scores with CIs).

use std::fmt::Write as _;
use std::path::Path;

use super::record::{Record, Status};
use crate::error::{Error, Result};
use crate::report::stats::{mean_ci95, method_curves, Curve};
use crate::report::{plots, write_atomic};

/// Mean and 95 % CI half-width.
pub type Estimate = (f64, f64);

/// A cell's paired difference to a baseline cell over the seeds both finished.
#[derive(Clone, Debug, PartialEq)]
pub struct Paired {
    /// The baseline cell.
    pub baseline: String,
    /// Seeds in both.
    pub n: usize,
    /// Success difference (cell − baseline).
    pub success: Estimate,
    /// Return difference.
    pub ret: Estimate,
}

/// One cell's figures over its seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct CellStats {
    /// The cell's label.
    pub cell: String,
    /// Finished runs.
    pub n: usize,
    /// Failed runs.
    pub failed: usize,
    /// Score: meta-test success.
    pub success: Estimate,
    /// Score: meta-test return.
    pub ret: Estimate,
    /// Area under the success curve: each run's mean success over all its evaluations.
    pub auc: Estimate,
    /// Paired differences to each baseline cell (not to itself).
    pub paired: Vec<Paired>,
}

/// A run's area under the success curve (mean success over its evaluations).
fn auc(r: &Record) -> Option<f64> {
    (!r.curve.is_empty()).then(|| r.curve.iter().map(|p| p.2).sum::<f64>() / r.curve.len() as f64)
}

/// Per-cell statistics, cells in grid order.
pub fn cell_stats(records: &[Record], baselines: &[String]) -> Vec<CellStats> {
    let mut cells: Vec<&str> = Vec::new();
    for r in records {
        if !cells.contains(&r.cell.as_str()) {
            cells.push(&r.cell);
        }
    }
    let done = |cell: &str| -> Vec<&Record> {
        records
            .iter()
            .filter(|r| r.cell == cell && r.status == Status::Done && r.success.is_some())
            .collect()
    };
    cells
        .into_iter()
        .map(|cell| {
            let runs = done(cell);
            let pick = |f: fn(&Record) -> Option<f64>| -> Vec<f64> {
                runs.iter().filter_map(|r| f(r)).collect()
            };
            let paired = baselines
                .iter()
                .filter(|b| b.as_str() != cell)
                .map(|b| {
                    let base = done(b);
                    let pairs: Vec<(&Record, &Record)> = runs
                        .iter()
                        .filter_map(|r| base.iter().find(|x| x.seed == r.seed).map(|x| (*r, *x)))
                        .collect();
                    let diff = |f: fn(&Record) -> Option<f64>| -> Vec<f64> {
                        pairs
                            .iter()
                            .filter_map(|(r, x)| Some(f(r)? - f(x)?))
                            .collect()
                    };
                    Paired {
                        baseline: b.clone(),
                        n: pairs.len(),
                        success: mean_ci95(&diff(|r| r.success)),
                        ret: mean_ci95(&diff(|r| r.ret)),
                    }
                })
                .collect();
            CellStats {
                cell: cell.to_string(),
                n: runs.len(),
                failed: records
                    .iter()
                    .filter(|r| r.cell == cell && r.status == Status::Failed)
                    .count(),
                success: mean_ci95(&pick(|r| r.success)),
                ret: mean_ci95(&pick(|r| r.ret)),
                auc: mean_ci95(&pick(auc)),
                paired,
            }
        })
        .collect()
}

/// Per-seed differences of every cell's success to each baseline's (runs paired by seed).
fn paired_panels(records: &[Record], baselines: &[String]) -> Vec<plots::PairedPanel> {
    let done = |r: &&Record| r.status == Status::Done && r.success.is_some();
    let mut cells: Vec<&str> = Vec::new();
    for r in records {
        if !cells.contains(&r.cell.as_str()) {
            cells.push(&r.cell);
        }
    }
    baselines
        .iter()
        .map(|b| {
            let rows = cells
                .iter()
                .filter(|c| **c != b.as_str())
                .map(|c| {
                    let diffs: Vec<f64> = records
                        .iter()
                        .filter(|r| r.cell == *c)
                        .filter(done)
                        .filter_map(|r| {
                            let base = records
                                .iter()
                                .filter(done)
                                .find(|x| x.cell == *b && x.seed == r.seed)?;
                            Some(r.success? - base.success?)
                        })
                        .collect();
                    let est = mean_ci95(&diffs);
                    (c.to_string(), diffs, est)
                })
                .collect();
            plots::PairedPanel {
                baseline: b.clone(),
                rows,
            }
        })
        .collect()
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        String::new()
    }
}

fn pm((m, h): Estimate, scale: f64, digits: usize) -> String {
    match (m.is_finite(), h.is_finite()) {
        (true, true) => format!("{:.*} ± {:.*}", digits, m * scale, digits, h * scale),
        (true, false) => format!("{:.*}", digits, m * scale),
        _ => "–".into(),
    }
}

/// CSV field: quoted when it holds a comma or quote.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes every table and figure of `records` into `dir`; returns the cell statistics.
pub fn write_all(
    dir: &Path,
    records: &[Record],
    baselines: &[String],
    title: &str,
) -> Result<Vec<CellStats>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let keys: Vec<String> = records
        .first()
        .map(|r| r.axes.iter().map(|a| a.0.clone()).collect())
        .unwrap_or_default();
    if let Some(r) = records
        .iter()
        .find(|r| r.axes.iter().map(|a| &a.0).ne(keys.iter()))
    {
        return Err(Error::Checkpoint(format!(
            "record `{}` has other axes than `{}`: records of different grids",
            r.id, records[0].id
        )));
    }
    write_atomic(
        &dir.join("results.csv"),
        results_csv(records, &keys).as_bytes(),
    )?;
    let stats = cell_stats(records, baselines);
    write_atomic(&dir.join("summary.csv"), summary_csv(&stats).as_bytes())?;
    write_atomic(&dir.join("paired.csv"), paired_csv(&stats).as_bytes())?;
    write_atomic(
        &dir.join("summary.md"),
        summary_md(&stats, records, baselines, title).as_bytes(),
    )?;
    let curves: Vec<(String, Curve)> = records
        .iter()
        .filter(|r| r.status == Status::Done && !r.curve.is_empty())
        .map(|r| {
            // Against env steps (the same at an iteration for every seed: collection counts
            // steps, not episodes), as the field's papers plot them.
            let c = r.curve.iter().map(|p| (p.1 as f64, p.2, p.3)).collect();
            (r.cell.clone(), c)
        })
        .collect();
    if !curves.is_empty() {
        plots::comparison(
            &method_curves(&curves),
            &dir.join("curves.png"),
            title,
            "env steps",
        )?;
        let bars: Vec<(String, Estimate)> = stats
            .iter()
            .filter(|s| s.n > 0)
            .map(|s| (format!("{} (n = {})", s.cell, s.n), s.success))
            .collect();
        if !baselines.is_empty() {
            plots::paired_differences(
                &paired_panels(records, baselines),
                &dir.join("paired.png"),
                title,
                "paired difference in success (cell − baseline), per seed",
            )?;
        }
        plots::score_bars(
            &bars,
            &dir.join("final.png"),
            title,
            "final meta-test success",
        )?;
    }
    Ok(stats)
}

fn results_csv(records: &[Record], keys: &[String]) -> String {
    let mut s = String::from("run");
    for k in keys {
        let _ = write!(s, ",{}", field(k));
    }
    s.push_str(",status,iteration,env_steps,test_success,test_return\n");
    for r in records {
        let mut prefix = field(&r.id);
        for (_, v) in &r.axes {
            let v = match v {
                serde_json::Value::String(x) => x.clone(),
                other => other.to_string(),
            };
            let _ = write!(prefix, ",{}", field(&v));
        }
        let status = match r.status {
            Status::Done => "done",
            Status::Failed => "failed",
        };
        if r.curve.is_empty() {
            let _ = writeln!(s, "{prefix},{status},,,,");
        }
        for p in &r.curve {
            let _ = writeln!(
                s,
                "{prefix},{status},{},{},{},{}",
                p.0,
                p.1,
                num(p.2),
                num(p.3)
            );
        }
    }
    s
}

fn summary_csv(stats: &[CellStats]) -> String {
    let mut s = String::from(
        "cell,runs,failed,success_mean,success_ci95,return_mean,return_ci95,auc_mean,auc_ci95\n",
    );
    for c in stats {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            field(&c.cell),
            c.n,
            c.failed,
            num(c.success.0),
            num(c.success.1),
            num(c.ret.0),
            num(c.ret.1),
            num(c.auc.0),
            num(c.auc.1)
        );
    }
    s
}

fn paired_csv(stats: &[CellStats]) -> String {
    let mut s = String::from(
        "cell,baseline,pairs,d_success_mean,d_success_ci95,d_return_mean,d_return_ci95\n",
    );
    for c in stats {
        for p in &c.paired {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{}",
                field(&c.cell),
                field(&p.baseline),
                p.n,
                num(p.success.0),
                num(p.success.1),
                num(p.ret.0),
                num(p.ret.1)
            );
        }
    }
    s
}

fn summary_md(
    stats: &[CellStats],
    records: &[Record],
    baselines: &[String],
    title: &str,
) -> String {
    let mut s = format!(
        "# {title}\n\nGenerated by drat from {} run records. Score: each run's mean meta-test success \
         over its last evaluations; AUC: its mean success over all evaluations; ± is the 95 % \
         t-interval over seeds; Δ columns are paired by seed (cell − baseline).\n\n",
        records.len()
    );
    cells_md(&mut s, stats, baselines);
    failures_md(&mut s, records);
    runs_md(&mut s, records);
    s
}

/// The table of cells, one Δ column per baseline.
fn cells_md(s: &mut String, stats: &[CellStats], baselines: &[String]) {
    let heads: String = baselines
        .iter()
        .map(|b| format!(" | Δ success vs `{b}` (%)"))
        .collect();
    let _ = writeln!(
        s,
        "| cell | runs | failed | success (%) | AUC (%) | return{heads} |"
    );
    let _ = writeln!(
        s,
        "|---|---|---|---|---|---{}|",
        "|---".repeat(baselines.len())
    );
    for c in stats {
        let cols: String = baselines
            .iter()
            .map(|b| match c.paired.iter().find(|p| &p.baseline == b) {
                Some(p) => format!(" | {} (n = {})", pm(p.success, 100.0, 1), p.n),
                None => " | baseline".to_string(),
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {}{cols} |",
            c.cell,
            c.n,
            c.failed,
            pm(c.success, 100.0, 1),
            pm(c.auc, 100.0, 1),
            pm(c.ret, 1.0, 2)
        );
    }
}

/// The failed runs with their errors (nothing when none failed).
fn failures_md(s: &mut String, records: &[Record]) {
    let failed = records
        .iter()
        .filter(|r| r.status == Status::Failed)
        .count();
    if failed > 0 {
        let _ = writeln!(s, "\n{failed} run(s) failed:\n");
        for r in records.iter().filter(|r| r.status == Status::Failed) {
            let _ = writeln!(
                s,
                "- `{}`: {}",
                r.id,
                r.error.as_deref().unwrap_or("no error kept")
            );
        }
    }
}

/// The table of every run.
fn runs_md(s: &mut String, records: &[Record]) {
    let _ = writeln!(
        s,
        "\n## Every run\n\n| run | cell | seed | iterations | success (%) | AUC (%) | return | wall (min) |\n|---|---|---|---|---|---|---|---|"
    );
    for r in records {
        let f = |x: Option<f64>, k: f64, d: usize| {
            x.map_or("–".into(), |x| format!("{:.*}", d, x * k))
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            r.id,
            r.cell,
            r.seed,
            r.iterations,
            f(r.success, 100.0, 1),
            f(auc(r), 100.0, 1),
            f(r.ret, 1.0, 2),
            r.wall_s / 60.0
        );
    }
}
