//! `drat eval`: meta-test a trained run on its held-out tasks (the config's `[eval]` protocol,
//! meta-test settings overridable), print the figures and draw the episodes' paths.

use std::path::PathBuf;

use crate::error::{Error, Result};
use clap::Args as ClapArgs;

use crate::report::write_atomic;
use crate::train::meta_test::per_task_csv;
use crate::train::run::{self, Run};

/// Arguments of `drat eval`.
#[derive(ClapArgs)]
pub struct Args {
    /// The run directory.
    pub run_dir: PathBuf,
    /// Test tasks to evaluate (default: all of the run's test tasks).
    #[arg(long)]
    pub tasks: Option<usize>,
    /// CPU threads for tensor math.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Override a meta-test setting, `eval.*` or `tasks.n_test` (more held-out tasks; train
    /// tasks are drawn first, so they stay the same): `--set eval.exploration_episodes=20`
    /// (repeatable). Anything that would change what was trained is refused.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also write one CSV row per test task (goal, first exploration episode that reached it,
    /// rewarded context steps, success, return) to this file.
    #[arg(long, value_name = "FILE")]
    pub per_task: Option<PathBuf>,
    /// Base seed of the meta-test's random stream (exploration z, action noise, resets)
    /// instead of `eval.seed` / `train.seed`. Repeat with a few seeds to see how much of a
    /// success rate is sampling noise.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Runs `drat eval`.
pub fn run(a: Args) -> Result<()> {
    crate::train::set_threads(a.threads)?;
    let trained = run::run_config(&a.run_dir)?;
    for set in &a.sets {
        let one = run::run_config_with(&a.run_dir, std::slice::from_ref(set))?;
        if !trained.differs_only_in_meta_test(&one) {
            return Err(Error::argument(
                format!("--set {set}"),
                "eval can change only meta-test settings ([eval], tasks.n_test), not what was trained",
            ));
        }
    }
    let mut t = Run::open_with(&a.run_dir, &a.sets)?.trainer;
    let n = a
        .tasks
        .unwrap_or(t.tasks.test.len())
        .min(t.tasks.test.len());
    let tasks = t.tasks.test[..n].to_vec();
    let (r, e) = crate::replay::meta_test(&mut t, &tasks, a.seed, false)?;
    let records: Vec<_> = r.tasks.iter().filter_map(|t| t.eval.clone()).collect();
    let png = a.run_dir.join("plots").join("trajectories.png");
    crate::replay::trajectories_png(&r, &png)?;
    if let Some(path) = &a.per_task {
        write_atomic(path, per_task_csv(&records).as_bytes())
            .map_err(|e| Error::argument("--per-task", e.to_string()))?;
    }
    if a.json {
        let json =
            serde_json::to_string(&e).map_err(|e| Error::argument("--json", e.to_string()))?;
        println!("{json}");
    } else {
        println!(
            "{}: iteration {} · {n} test tasks · success {:.0} % (goal found while exploring: {:.0} %) · return {:.2} · goal term {:.2} · ctrl term {:.2}",
            a.run_dir.display(), t.state.iteration, 100.0 * e.success, 100.0 * e.explore_success, e.ret, e.goal_reward, e.ctrl_reward
        );
        println!("scored episodes: {}", e.gait.line());
        println!("trajectories: {}", png.display());
    }
    Ok(())
}
