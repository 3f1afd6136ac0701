//! A training run on disk: `runs/<name>/` holds `config.toml` (resolved), `metrics.csv`,
//! `events.jsonl`, `checkpoints/` and `plots/`. A run can be resumed from its directory and
//! continues exactly where its last checkpoint left off.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::checkpoint;
use super::rollout::EpisodeSummary;
use super::trainer::{IterationStats, Trainer};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::metrics::{truncate_csv, CsvRecorder, JsonlRecorder, Recorder, Row};
use crate::transfer::TransferStrategy;
use crate::report::{plots, write_atomic};

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Continue the run in `out` from its latest checkpoint.
    pub resume: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Stop after this many iterations in total (the config's count otherwise); used to
    /// simulate an interrupted run.
    pub stop_after: Option<usize>,
    /// Stop (with a final evaluation and checkpoint) once this much wall time is spent.
    pub time_budget_s: Option<f64>,
}

/// What a finished run reports.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RunSummary {
    /// The run directory.
    pub dir: PathBuf,
    /// Iterations done.
    pub iterations: usize,
    /// Env steps done.
    pub env_steps: u64,
    /// Meta-test before training (iteration 0).
    pub untrained: Option<EpisodeSummary>,
    /// Last meta-test.
    pub last_test: Option<EpisodeSummary>,
    /// Best meta-test success rate seen.
    pub best_test_success: f32,
    /// Wall time of this invocation (s).
    pub wall_s: f64,
}

/// Default run name: `{task}__{method}__{seed}__{unix time}`; the method is `sac` without
/// context, `pearl` without transfer, else the transfer strategy (`hfr`, `drae`, …).
pub fn default_run_name(cfg: &Config) -> String {
    let method = match (cfg.agent.use_context, cfg.transfer.strategy) {
        (false, _) => "sac",
        (true, TransferStrategy::None) => "pearl",
        (true, s) => s.name(),
    };
    let robot = cfg.env.robot.short_name();
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{robot}__{method}__{}__{t}", cfg.train.seed)
}

/// Reads the resolved config of a run directory.
pub fn run_config(dir: &Path) -> Result<Config> {
    run_config_with(dir, &[])
}

/// A run directory's resolved config with `key=value` overrides applied.
pub fn run_config_with(dir: &Path, sets: &[String]) -> Result<Config> {
    let p = dir.join("config.toml");
    if !p.exists() {
        return Err(Error::Checkpoint(format!(
            "{}: not a run directory (no config.toml)",
            dir.display()
        )));
    }
    Config::load(&p, sets)
}

/// Trains `cfg` into `out` (or resumes the run there).
pub fn train(cfg: &Config, out: &Path, opts: &RunOptions) -> Result<RunSummary> {
    let wall = Instant::now();
    let mut t;
    let mut events;
    let mut summary = RunSummary {
        dir: out.to_path_buf(),
        ..RunSummary::default()
    };
    if opts.resume {
        let cfg = run_config(out)?;
        t = Trainer::new(&cfg)?;
        let ck = checkpoint::latest(out)?;
        checkpoint::load(&mut t, &ck)?;
        truncate_csv(&out.join("metrics.csv"), "iteration", t.state.iteration as f64)?;
        events = JsonlRecorder::append(&out.join("events.jsonl"), "iteration")?;
        events.event(json!({"event": "resume", "iteration": t.state.iteration, "checkpoint": ck.display().to_string()}))?;
    } else {
        if out.join("checkpoints").exists() || out.join("metrics.csv").exists() {
            return Err(Error::argument(
                "--out",
                format!(
                    "{} already holds a run; use --resume or another directory",
                    out.display()
                ),
            ));
        }
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        write_atomic(&out.join("config.toml"), cfg.to_toml_string().as_bytes())?;
        t = Trainer::new(cfg)?;
        events = JsonlRecorder::append(&out.join("events.jsonl"), "iteration")?;
        events.event(json!({
            "event": "start",
            "robot": cfg.env.robot.to_string(),
            "strategy": t.strategy_name(),
            "train_tasks": t.tasks.train.len(),
            "test_tasks": t.tasks.test.len(),
            "parameters": t.agent.params.n_scalars(),
            "replay_capacity_bytes": t.replay_capacity_bytes(),
        }))?;
    }
    let cfg = t.cfg.clone();
    if opts.progress {
        eprintln!(
            "drat train: {} · {} train / {} test tasks · {} parameters · replay up to {:.1} MiB · run dir {}",
            cfg.env.robot,
            t.tasks.train.len(),
            t.tasks.test.len(),
            t.agent.params.n_scalars(),
            t.replay_capacity_bytes() as f64 / (1024.0 * 1024.0),
            out.display()
        );
    }
    // One writer per file: metrics rows go to the CSV and, tagged, to the event log.
    let mut csv = CsvRecorder::append(&out.join("metrics.csv"))?;
    let record = |csv: &mut CsvRecorder, events: &mut JsonlRecorder, r: &Row| -> Result<()> {
        csv.record(r)?;
        events.record(r)
    };

    if t.state.iteration == 0 {
        // Iteration 0: the untrained agent, the baseline every curve starts from.
        let e = t.evaluate_test()?;
        record(&mut csv, &mut events, &row(&t, None, Some(&e), 0.0, 0.0))?;
        csv.flush()?;
        events.flush()?;
        summary.untrained = Some(e);
    }
    let total = opts
        .stop_after
        .unwrap_or(cfg.train.iterations)
        .min(cfg.train.iterations);
    let bar = if opts.progress {
        let b = ProgressBar::new(total as u64);
        b.set_style(
            ProgressStyle::with_template(
                "{bar:30} {pos}/{len} it · {msg} [{elapsed_precise} < {eta_precise}]",
            )
            .expect("the template is a valid indicatif template"),
        );
        b.set_position(t.state.iteration as u64);
        b
    } else {
        ProgressBar::hidden()
    };
    let mut last_test = None;
    while t.state.iteration < total {
        let it_start = Instant::now();
        let stats = match t.iteration() {
            Ok(s) => s,
            Err(Error::Diverged(msg)) => {
                events.event(
                    json!({"event": "diverged", "message": msg, "iteration": t.state.iteration}),
                )?;
                bar.abandon();
                return Err(Error::Diverged(format!(
                    "{msg}; the last good checkpoint in {} is kept",
                    out.join("checkpoints").display()
                )));
            }
            Err(e) => return Err(e),
        };
        if let Some(x) = &stats.transfer {
            events.event(json!({"event": "transfer", "iteration": t.state.iteration, "strategy": t.strategy_name(), "chosen": x.chosen, "offered": x.offered, "moved": x.moved}))?;
        }
        let out_of_time = opts
            .time_budget_s
            .is_some_and(|b| wall.elapsed().as_secs_f64() > b);
        let last = t.state.iteration == total || out_of_time;
        let eval = if t.state.iteration % cfg.eval.every == 0 || last {
            Some(t.evaluate_test()?)
        } else {
            None
        };
        let secs = it_start.elapsed().as_secs_f64();
        let r = row(&t, Some(&stats), eval.as_ref(), secs, wall.elapsed().as_secs_f64());
        record(&mut csv, &mut events, &r)?;
        if let Some(e) = &eval {
            summary.best_test_success = summary.best_test_success.max(e.success);
            last_test = Some(e.clone());
        }
        bar.set_message(format!(
            "{:.0} env steps/s · {:.1} updates/s · test success {}",
            env_rate(&stats),
            update_rate(&stats),
            last_test
                .as_ref()
                .map_or("–".into(), |e: &EpisodeSummary| format!(
                    "{:.0} %",
                    100.0 * e.success
                ))
        ));
        bar.set_position(t.state.iteration as u64);
        if t.state.iteration % cfg.train.checkpoint_every == 0 || last {
            csv.flush()?;
            events.flush()?;
            checkpoint::save(&t, out)?;
            plots::learning_curves(
                &out.join("metrics.csv"),
                &out.join("plots"),
                &format!("{} · {}", cfg.env.robot, out.display()),
            )?;
        }
        if out_of_time {
            events.event(json!({"event": "time_budget_spent", "iteration": t.state.iteration, "budget_s": opts.time_budget_s}))?;
            break;
        }
    }
    csv.flush()?;
    bar.finish_and_clear();
    summary.iterations = t.state.iteration;
    summary.env_steps = t.state.env_steps;
    summary.last_test = last_test;
    summary.wall_s = wall.elapsed().as_secs_f64();
    events.event(json!({"event": "end", "iteration": t.state.iteration, "wall_s": summary.wall_s}))?;
    Ok(summary)
}

fn env_rate(s: &IterationStats) -> f64 {
    s.collected_steps as f64 / s.collect_s.max(1e-9)
}

fn update_rate(s: &IterationStats) -> f64 {
    s.iteration_updates as f64 / s.update_s.max(1e-9)
}

/// The metrics row of an iteration (fixed names per group).
fn row(
    t: &Trainer,
    s: Option<&IterationStats>,
    test: Option<&EpisodeSummary>,
    iter_s: f64,
    wall_s: f64,
) -> Row {
    let mut r = Row::default();
    r.set("iteration", t.state.iteration as f64)
        .set("env_steps", t.state.env_steps as f64)
        .set("updates", t.state.updates as f64);
    let upd = s.map(|s| &s.update);
    let xfer = s.and_then(|s| s.transfer.as_ref());
    for (name, v) in [
        ("loss/q1", upd.map(|u| u.q1)),
        ("loss/q2", upd.map(|u| u.q2)),
        ("loss/policy", upd.map(|u| u.policy)),
        ("loss/alpha", upd.map(|u| u.alpha_loss)),
        ("loss/kl", upd.map(|u| u.kl)),
        ("agent/alpha", upd.map(|u| u.alpha)),
        ("agent/entropy", upd.map(|u| u.entropy)),
        ("agent/q_mean", upd.map(|u| u.q_mean)),
        ("train/return", s.map(|s| s.train.ret)),
        ("train/success", s.map(|s| s.train.success)),
        ("train/reward_goal", s.map(|s| s.train.goal_reward)),
        ("train/reward_ctrl", s.map(|s| s.train.ctrl_reward)),
        ("train/blowups", s.map(|s| s.train.blowups as f32)),
        ("test/return", test.map(|e| e.ret)),
        ("test/success", test.map(|e| e.success)),
        ("test/reward_goal", test.map(|e| e.goal_reward)),
        ("test/reward_ctrl", test.map(|e| e.ctrl_reward)),
        ("transfer/samples", xfer.map(|x| x.samples as f32)),
        ("transfer/moved_trajectories", xfer.map(|x| x.moved as f32)),
        ("transfer/rho_d_mean", xfer.map(|x| x.rho_d_mean)),
        (
            "transfer/rho_pi_clip_rate",
            xfer.map(|x| x.rho_pi_clip_rate),
        ),
        ("transfer/guard_rate", xfer.map(|x| x.guard_rate)),
        ("transfer/time_s", xfer.map(|x| x.time_s as f32)),
    ] {
        match v {
            Some(v) => r.set(name, v as f64),
            None => r.empty(name),
        };
    }
    match s {
        Some(s) => {
            r.set("perf/env_steps_per_s", env_rate(s))
                .set("perf/updates_per_s", update_rate(s))
                .set("time/iteration_s", iter_s)
                .set("time/wall_s", wall_s);
        }
        None => {
            r.empty("perf/env_steps_per_s")
                .empty("perf/updates_per_s")
                .set("time/iteration_s", iter_s)
                .set("time/wall_s", wall_s);
        }
    }
    r
}
