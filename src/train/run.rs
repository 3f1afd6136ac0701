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
    let method = cfg.transfer.strategy.method_name(cfg.agent.use_context);
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

/// A run directory opened at its latest checkpoint: what `drat eval`, `drat replay`,
/// `drat diagnose` and the example read a trained run through.
pub struct Run {
    /// The run directory.
    pub dir: PathBuf,
    /// The checkpoint that was loaded.
    pub checkpoint: PathBuf,
    /// Config, tasks, agent and state as the checkpoint saved them.
    pub trainer: Trainer,
}

impl Run {
    /// Opens `dir` at its latest checkpoint, with its resolved config.
    pub fn open(dir: &Path) -> Result<Run> {
        Self::open_with(dir, &[])
    }

    /// [`Run::open`] with `key=value` overrides applied to the run's config first.
    pub fn open_with(dir: &Path, sets: &[String]) -> Result<Run> {
        let mut trainer = Trainer::new(&run_config_with(dir, sets)?)?;
        let checkpoint = checkpoint::latest(dir)?;
        checkpoint::load(&mut trainer, &checkpoint)?;
        Ok(Run {
            dir: dir.to_path_buf(),
            checkpoint,
            trainer,
        })
    }
}

/// A run directory being trained: the trainer and its one writer per file (metrics rows go to
/// the CSV and, tagged, to the event log).
struct Training {
    t: Trainer,
    out: PathBuf,
    csv: CsvRecorder,
    events: JsonlRecorder,
}

impl Training {
    /// Starts a new run in `out`, or with `opts.resume` reopens the one there at its latest
    /// checkpoint.
    fn open(cfg: &Config, out: &Path, opts: &RunOptions) -> Result<Training> {
        let (t, mut events) = if opts.resume {
            let Run {
                trainer: t,
                checkpoint: ck,
                ..
            } = Run::open(out)?;
            let it = t.state.iteration;
            truncate_csv(&out.join("metrics.csv"), "iteration", it as f64)?;
            let mut events = JsonlRecorder::append(&out.join("events.jsonl"), "iteration")?;
            events.event(
                json!({"event": "resume", "iteration": it, "checkpoint": ck.display().to_string()}),
            )?;
            (t, events)
        } else {
            if out.join("checkpoints").exists() || out.join("metrics.csv").exists() {
                let msg = "already holds a run; use --resume or another directory";
                return Err(Error::argument("--out", format!("{} {msg}", out.display())));
            }
            std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
            write_atomic(&out.join("config.toml"), cfg.to_toml_string().as_bytes())?;
            let t = Trainer::new(cfg)?;
            let events = JsonlRecorder::append(&out.join("events.jsonl"), "iteration")?;
            (t, events)
        };
        events.event(json!({
            "event": "open",
            "robot": t.cfg.env.robot.to_string(),
            "strategy": t.strategy_name(),
            "train_tasks": t.tasks.train.len(),
            "test_tasks": t.tasks.test.len(),
            "parameters": t.agent.params.n_scalars(),
            "buffer_capacity_bytes": t.buffer_capacity_bytes(),
        }))?;
        if opts.progress {
            eprintln!(
                "drat train: {} · {} · {} train / {} test tasks · {} parameters · buffers up to {:.1} MiB · run dir {}",
                t.cfg.env.robot,
                t.strategy_name(),
                t.tasks.train.len(),
                t.tasks.test.len(),
                t.agent.params.n_scalars(),
                t.buffer_capacity_bytes() as f64 / (1024.0 * 1024.0),
                out.display()
            );
        }
        let csv = CsvRecorder::append(&out.join("metrics.csv"))?;
        let out = out.to_path_buf();
        Ok(Training {
            t,
            out,
            csv,
            events,
        })
    }

    /// Writes a metrics row to both files and flushes them (one row per iteration: cheap, and
    /// a person watching the run sees it at once).
    fn record(&mut self, r: &Row) -> Result<()> {
        self.csv.record(r)?;
        self.events.record(r)?;
        self.csv.flush()?;
        self.events.flush()
    }

    /// One iteration; a divergence is logged and named with the checkpoint that is kept.
    fn iterate(&mut self) -> Result<IterationStats> {
        let it = self.t.state.iteration;
        let stats = match self.t.iteration() {
            Ok(s) => s,
            Err(Error::Diverged(msg)) => {
                self.events
                    .event(json!({"event": "diverged", "message": msg, "iteration": it}))?;
                let kept = self.out.join("checkpoints");
                return Err(Error::Diverged(format!(
                    "{msg}; the last good checkpoint in {} is kept",
                    kept.display()
                )));
            }
            Err(e) => return Err(e),
        };
        if let Some(x) = &stats.transfer {
            self.events.event(json!({"event": "transfer", "iteration": it + 1, "strategy": self.t.strategy_name(), "chosen": x.chosen, "offered": x.offered, "moved": x.moved}))?;
        }
        Ok(stats)
    }

    /// Flushes the logs, writes a checkpoint and redraws the learning curves.
    fn checkpoint(&mut self) -> Result<()> {
        self.csv.flush()?;
        self.events.flush()?;
        checkpoint::save(&self.t, &self.out)?;
        let title = format!("{} · {}", self.t.cfg.env.robot, self.out.display());
        plots::learning_curves(
            &self.out.join("metrics.csv"),
            &self.out.join("plots"),
            &title,
        )
    }
}

fn progress_bar(total: usize, at: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(total as u64);
    b.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} it · {msg} [{elapsed_precise} < {eta_precise}]",
        )
        .expect("the template is a valid indicatif template"),
    );
    b.set_position(at as u64);
    b
}

/// Trains `cfg` into `out` (or resumes the run there).
pub fn train(cfg: &Config, out: &Path, opts: &RunOptions) -> Result<RunSummary> {
    let wall = Instant::now();
    let mut run = Training::open(cfg, out, opts)?;
    let cfg = run.t.cfg.clone();
    let mut summary = RunSummary {
        dir: out.to_path_buf(),
        ..RunSummary::default()
    };
    if run.t.state.iteration == 0 {
        // Iteration 0: the untrained agent, the baseline every curve starts from.
        let e = run.t.evaluate_test()?;
        run.record(&row(&run.t, None, Some(&e), 0.0, 0.0))?;
        summary.untrained = Some(e);
    }
    let total = opts
        .stop_after
        .unwrap_or(usize::MAX)
        .min(cfg.train.iterations);
    let bar = progress_bar(total, run.t.state.iteration, opts.progress);
    let pct = |e: &Option<EpisodeSummary>| {
        e.as_ref()
            .map_or("–".into(), |e| format!("{:.0} %", 100.0 * e.success))
    };
    while run.t.state.iteration < total {
        let it_start = Instant::now();
        let stats = run.iterate().inspect_err(|_| bar.abandon())?;
        let out_of_time = opts
            .time_budget_s
            .is_some_and(|b| wall.elapsed().as_secs_f64() > b);
        let it = run.t.state.iteration;
        let last = it == total || out_of_time;
        let eval = match it % cfg.eval.every == 0 || last {
            true => Some(run.t.evaluate_test()?),
            false => None,
        };
        let secs = it_start.elapsed().as_secs_f64();
        let r = row(
            &run.t,
            Some(&stats),
            eval.as_ref(),
            secs,
            wall.elapsed().as_secs_f64(),
        );
        run.record(&r)?;
        if let Some(e) = &eval {
            summary.best_test_success = summary.best_test_success.max(e.success);
            summary.last_test = Some(e.clone());
        }
        bar.set_message(format!(
            "{:.0} env steps/s · {:.1} updates/s · test success {}",
            env_rate(&stats),
            update_rate(&stats),
            pct(&summary.last_test)
        ));
        bar.set_position(it as u64);
        if it % cfg.train.checkpoint_every == 0 || last {
            run.checkpoint()?;
        }
        if out_of_time {
            run.events.event(json!({"event": "time_budget_spent", "iteration": it, "budget_s": opts.time_budget_s}))?;
            break;
        }
    }
    run.csv.flush()?;
    bar.finish_and_clear();
    summary.iterations = run.t.state.iteration;
    summary.env_steps = run.t.state.env_steps;
    summary.wall_s = wall.elapsed().as_secs_f64();
    let end = json!({"event": "end", "iteration": summary.iterations, "wall_s": summary.wall_s});
    run.events.event(end)?;
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
        ("test/path_m", test.map(|e| e.gait.path_m)),
        ("test/distance_m", test.map(|e| e.gait.distance_m)),
        ("test/speed_m_s", test.map(|e| e.gait.speed_m_s)),
        ("test/torso_height_m", test.map(|e| e.gait.height_m)),
        ("test/tilt_deg", test.map(|e| e.gait.tilt_deg)),
        ("test/upright", test.map(|e| e.gait.upright)),
        ("test/duty_factor", test.map(|e| e.gait.duty_factor)),
        ("transfer/samples", xfer.map(|x| x.samples as f32)),
        ("transfer/moved_trajectories", xfer.map(|x| x.moved as f32)),
        ("transfer/rho_d_mean", xfer.map(|x| x.rho_d_mean)),
        (
            "transfer/rho_pi_clip_rate",
            xfer.map(|x| x.rho_pi_clip_rate),
        ),
        ("transfer/guard_rate", xfer.map(|x| x.guard_rate)),
        ("transfer/refreshed", xfer.map(|x| x.refreshed as f32)),
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
