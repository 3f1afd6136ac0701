//! `drat replay`: one self-contained HTML page of a run's meta-test episodes, or of a fixed
//! trot or random actions, plus the trajectories picture beside it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use clap::Args as ClapArgs;

use super::ConfigArgs;
use crate::env::EnvMaker;
use crate::replay::{self, Replay, Scripted};
use crate::train::run::Run;

/// Arguments of `drat replay`.
#[derive(ClapArgs)]
pub struct Args {
    /// The run directory (its latest checkpoint is meta-tested); not with --trot/--random.
    #[arg(required_unless_present_any = ["trot", "random"], conflicts_with_all = ["trot", "random"])]
    pub run_dir: Option<PathBuf>,
    /// Only this held-out task (index into the held-out tasks, from 0).
    #[arg(long, value_name = "N", conflicts_with = "tasks")]
    pub test_task: Option<usize>,
    /// The first K held-out tasks.
    #[arg(long, default_value_t = 4)]
    pub tasks: usize,
    /// Episodes kept per task: the scored ones and the exploration episodes just before them
    /// (with --trot/--random: episodes run per task).
    #[arg(long, default_value_t = 10)]
    pub episodes: usize,
    /// The page (default: RUN_DIR/replay.html, or replay-trot.html / replay-random.html here).
    /// The trajectories picture goes beside it (`<stem>-trajectories.png`; in a run
    /// directory plots/trajectories.png).
    #[arg(long, value_name = "FILE.html")]
    pub out: Option<PathBuf>,
    /// Replay a fixed trot instead of a run: the quadruped's (PD on joint targets) or the A1's
    /// (position targets, run at the PD gains it is tuned for: kp 40, kd 1, scale 0.5 rad).
    #[arg(long, conflicts_with = "random")]
    pub trot: bool,
    /// Replay uniform random actions instead of a run.
    #[arg(long)]
    pub random: bool,
    /// With --trot/--random: the robot and its config.
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Base seed of the meta-test stream (default: as `drat eval`), or of the scripted resets.
    #[arg(long)]
    pub seed: Option<u64>,
    /// CPU threads for tensor math.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// Runs `drat replay`.
pub fn run(a: Args) -> Result<()> {
    crate::train::set_threads(a.threads)?;
    if a.episodes == 0 {
        return Err(Error::argument("--episodes", "must be ≥ 1"));
    }
    let (page, replay) = match &a.run_dir {
        Some(dir) => {
            let mut t = Run::open(dir)?.trainer;
            let tasks = replay::pick_tasks(&t.tasks.test, a.test_task, a.tasks)?;
            let (mut r, e) = replay::meta_test(&mut t, &tasks, a.seed, true)?;
            println!(
                "{}: iteration {} · {} task(s) · meta-test success {:.0} %",
                dir.display(),
                t.state.iteration,
                tasks.len(),
                100.0 * e.success
            );
            r.keep_last(a.episodes);
            (a.out.clone().unwrap_or_else(|| dir.join("replay.html")), r)
        }
        None => {
            let cfg = a.cfg.resolve()?;
            let set = EnvMaker::new(&cfg)?.task_set()?;
            let tasks = replay::pick_tasks(&set.test, a.test_task, a.tasks)?;
            let (how, name) = match a.trot {
                true => (Scripted::Trot, "replay-trot.html"),
                false => (Scripted::Random, "replay-random.html"),
            };
            let seed = a.seed.unwrap_or(cfg.train.seed);
            let r = replay::scripted(&cfg, &tasks, a.episodes, how, seed)?;
            (a.out.clone().unwrap_or_else(|| PathBuf::from(name)), r)
        }
    };
    let png = trajectories_path(&page, a.run_dir.is_some() && a.out.is_none());
    write_replay(&replay, &page, &png)
}

/// Where a replay page's trajectories picture goes: `plots/trajectories.png` in a run
/// directory, else `<stem>-trajectories.png` beside the page.
fn trajectories_path(page: &Path, in_run_dir: bool) -> PathBuf {
    let dir = page.parent().unwrap_or(Path::new("."));
    if in_run_dir {
        return dir.join("plots").join("trajectories.png");
    }
    let stem = page
        .file_stem()
        .map_or("replay".into(), |s| s.to_string_lossy());
    dir.join(format!("{stem}-trajectories.png"))
}

/// Writes the page and the picture and says where they are.
fn write_replay(r: &Replay, page: &Path, png: &Path) -> Result<()> {
    let bytes = crate::replay::page::write(r, page)?;
    crate::replay::trajectories_png(r, png)?;
    let episodes: usize = r.tasks.iter().map(|t| t.episodes.len()).sum();
    println!(
        "replay: {} ({episodes} episodes, {:.1} MB) · trajectories: {}",
        page.display(),
        bytes as f64 / 1e6,
        png.display()
    );
    for note in &r.notes {
        eprintln!("note: {note}");
    }
    Ok(())
}
