//! The `drat` command line: training, evaluation, run comparison, benchmarks, config inspection
//! and the env checker.
//! Run `drat --help` or `drat <command> --help` for every flag.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use rand::{Rng, SeedableRng};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use drat::config::Config;
use drat::env::check::check_env;
use drat::env::vec_env::VecEnv;
use drat::env::EnvMaker;
use drat::train::{checkpoint, run, trainer::Trainer};

#[derive(Parser)]
#[command(
    name = "drat",
    version,
    about = "Legged-robot simulation and meta-RL with doubly robust augmented transfer"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Headless speed benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
    /// Show or check configs.
    Config {
        #[command(subcommand)]
        what: ConfigCmd,
    },
    /// Meta-train an agent; writes a run directory (config, metrics, checkpoints, plots).
    Train(TrainArgs),
    /// Meta-test a trained run on its held-out test tasks; also draws the episodes' paths
    /// (first 12 tasks) into RUN_DIR/plots/trajectories.png.
    Eval(EvalArgs),
    /// See what the robot does: one self-contained HTML page (3-D view, top view, controls,
    /// task info) of a run's meta-test episodes, or of a fixed trot or random actions
    /// (`--trot`, `--random`: no run needed), plus the trajectories picture beside it.
    Replay(ReplayArgs),
    /// Compare finished runs: meta-test success and return per method (the runs' transfer
    /// strategy) with 95 % confidence intervals over seeds.
    Summarize(SummarizeArgs),
    /// Run an experiment grid (a base config × axes × seeds): `--jobs N` runs at a time,
    /// finished runs skipped, interrupted ones resumed; per-run records, results.csv,
    /// summary.md/.csv, curves.png, final.png. `--slurm` writes (and `--submit` submits) a
    /// Slurm job array instead.
    Grid(GridArgs),
    /// Gather the records of grid directories (machines, array tasks) into one and regenerate
    /// its tables and figures.
    Merge(MergeArgs),
    /// Physics ablation: one factor at a time (substeps and dt, solver iterations, damping
    /// and armature, dynamics ranges, goal radius, control period); per level env steps/s,
    /// blow-ups, penetration, joint-limit excursions, passive-drop energy gain, gait
    /// divergence from a 4× finer dt, and with --train a short run's meta-test figures.
    Ablate(AblateArgs),
    /// Check what a trained run learns from: `drat diagnose transfer RUN_DIR`.
    Diagnose {
        #[command(subcommand)]
        what: DiagnoseCmd,
    },
    /// Run the env checker (spaces, reset/step contract, finiteness, determinism) on a robot.
    Check {
        #[command(flatten)]
        cfg: ConfigArgs,
        /// Random-action steps per rollout.
        #[arg(long, default_value_t = 500)]
        steps: usize,
    },
}

#[derive(Args)]
struct GridArgs {
    /// The grid file (TOML: base or robot, [set], [axes], seed, last, baseline).
    grid: PathBuf,
    /// Grid directory: records, results, runs/ (default: the grid file's directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Runs at a time on this machine.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Tensor-math threads per run.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// List the runs and where each stands (done, failed, resume, new); run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Only the run with this index (what each Slurm array task runs); writes no summary.
    #[arg(long)]
    only: Option<usize>,
    /// Write `slurm.sh` (an sbatch job array, one task per pending run) into the grid directory.
    #[arg(long)]
    slurm: bool,
    /// With --slurm: submit it with sbatch.
    #[arg(long, requires = "slurm")]
    submit: bool,
    /// With --slurm: the partition.
    #[arg(long, requires = "slurm")]
    partition: Option<String>,
    /// With --slurm: the time limit per task (e.g. 02:00:00).
    #[arg(long, requires = "slurm")]
    time: Option<String>,
    /// With --slurm: CPUs per task (each run's --threads).
    #[arg(long, default_value_t = 1, requires = "slurm")]
    cpus_per_task: usize,
    /// No progress bar (one line per finished run still).
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct AblateArgs {
    /// The ablation file (default: the embedded assets/configs/ablate.toml).
    file: Option<PathBuf>,
    /// Output directory (ablation.csv, ablation.md, one plot per factor).
    #[arg(long, default_value = "runs/ablation")]
    out: PathBuf,
    /// Also train each level for this many minutes and report its meta-test figures.
    #[arg(long, value_parser = positive_minutes)]
    train: Option<f64>,
}

#[derive(Args)]
struct MergeArgs {
    /// Grid directories (each with records/).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where the merged records, tables and figures go (default: the first directory).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Env steps per second with random actions, resets included.
    Env(BenchEnvArgs),
    /// The training loop's collection speed (batched policy and physics) with 1 and with N
    /// env threads, on the config's tasks and untrained networks.
    Collect(BenchCollectArgs),
    /// Milliseconds per agent update at the PyTorch reference's shapes (SAC: batch 256, 2×256;
    /// PEARL: 16 tasks × 256, 3×300, encoder 3×200, context 100), on N threads.
    Update(BenchUpdateArgs),
}

#[derive(Args)]
struct BenchUpdateArgs {
    /// Threads of the update (candle's and ours).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Only this workload: `sac` or `pearl` (default: both).
    #[arg(long, value_parser = ["sac", "pearl"])]
    only: Option<String>,
    /// Time the plain candle-autograd update instead (the reference the fused one is tested
    /// against), for before/after comparisons in one sitting.
    #[arg(long)]
    reference: bool,
    /// Print one JSON object (keys `sac_ms`, `pearl_ms`, …).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BenchCollectArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    /// Env threads to compare with one.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Collection iterations timed per thread count (after the initial collection).
    #[arg(long, default_value_t = 30)]
    iterations: usize,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum DiagnoseCmd {
    /// Transfer's value estimates for moved rows (naive relabel, DRaE, DRaE-slide, oracle DR,
    /// critic alone) against Monte-Carlo returns of the current policy in the target task,
    /// by dynamics-shift size: bias and RMSE tables, a CSV per sample and a plot.
    Transfer(DiagnoseArgs),
}

#[derive(Args)]
struct DiagnoseArgs {
    /// The run directory (a point-robot run with transfer and transition noise).
    run_dir: PathBuf,
    /// Moved rows to sample.
    #[arg(long, default_value_t = 300)]
    rows: usize,
    /// Monte-Carlo rollouts per row.
    #[arg(long, default_value_t = 64)]
    rollouts: usize,
    /// Seed of the sampling and rollouts.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where the CSVs and the plot go (default: RUN_DIR/diagnose).
    #[arg(long)]
    out: Option<PathBuf>,
    /// CPU threads for tensor math.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print the resolved config (defaults merged with a file and --set) as TOML.
    Show {
        #[command(flatten)]
        cfg: ConfigArgs,
    },
    /// Check a config file; prints `ok` or the error naming the field.
    Check {
        /// The TOML file.
        file: PathBuf,
        /// Override a field: `--set tasks.n_train=10` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

/// Where the config comes from: a robot's embedded default, a file, and `--set` overrides.
#[derive(Args, Clone)]
struct ConfigArgs {
    /// Robot whose default config is used: quadruped, runner, a1, point, or a .urdf path.
    #[arg(long, default_value = "quadruped")]
    robot: String,
    /// A TOML config file (merged over the default of its `env.robot`; overrides --robot).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override a field: `--set env.substeps=5` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

impl ConfigArgs {
    fn resolve(&self) -> Result<Config> {
        Ok(match &self.config {
            Some(path) => Config::load(path, &self.sets)?,
            None => {
                let robot = format!("[env]\nrobot = {:?}\n", self.robot);
                Config::from_toml_str_with_sets(&robot, "--robot", &self.sets)?
            }
        })
    }
}

#[derive(Args)]
struct TrainArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    /// Run directory (default: runs/{robot}__{method}__{seed}__{time}).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in this directory from its latest checkpoint.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["out", "config", "sets"])]
    resume: Option<PathBuf>,
    /// CPU threads for tensor math (results are reproducible for a fixed count).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Stop with a final evaluation and checkpoint once this many minutes are spent
    /// (resume later with --resume to go on).
    #[arg(long, value_name = "MINUTES", value_parser = positive_minutes)]
    minutes: Option<f64>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct EvalArgs {
    /// The run directory.
    run_dir: PathBuf,
    /// Test tasks to evaluate (default: all of the run's test tasks).
    #[arg(long)]
    tasks: Option<usize>,
    /// CPU threads for tensor math.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Override a meta-test setting, `eval.*` or `tasks.n_test` (more held-out tasks; train
    /// tasks are drawn first, so they stay the same): `--set eval.exploration_episodes=20`
    /// (repeatable). Anything that would change what was trained is refused.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Also write one CSV row per test task (goal, first exploration episode that reached it,
    /// rewarded context steps, success, return) to this file.
    #[arg(long, value_name = "FILE")]
    per_task: Option<PathBuf>,
    /// Base seed of the meta-test's random stream (exploration z, action noise, resets)
    /// instead of `eval.seed` / `train.seed`. Repeat with a few seeds to see how much of a
    /// success rate is sampling noise.
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Args)]
struct ReplayArgs {
    /// The run directory (its latest checkpoint is meta-tested); not with --trot/--random.
    #[arg(required_unless_present_any = ["trot", "random"], conflicts_with_all = ["trot", "random"])]
    run_dir: Option<PathBuf>,
    /// Only this held-out task (index into the held-out tasks, from 0).
    #[arg(long, conflicts_with = "tasks")]
    task: Option<usize>,
    /// The first K held-out tasks.
    #[arg(long, default_value_t = 4)]
    tasks: usize,
    /// Episodes kept per task: the scored ones and the exploration episodes just before them
    /// (with --trot/--random: episodes run per task).
    #[arg(long, default_value_t = 10)]
    episodes: usize,
    /// The page (default: RUN_DIR/replay.html, or replay-trot.html / replay-random.html here).
    /// The trajectories picture goes beside it (`<stem>-trajectories.png`; in a run
    /// directory plots/trajectories.png).
    #[arg(long, value_name = "FILE.html")]
    out: Option<PathBuf>,
    /// Replay a fixed trot instead of a run: the quadruped's (PD on joint targets) or the A1's
    /// (position targets, run at the PD gains it is tuned for: kp 40, kd 1, scale 0.5 rad).
    #[arg(long, conflicts_with = "random")]
    trot: bool,
    /// Replay uniform random actions instead of a run.
    #[arg(long)]
    random: bool,
    /// With --trot/--random: the robot and its config.
    #[command(flatten)]
    cfg: ConfigArgs,
    /// Base seed of the meta-test stream (default: as `drat eval`), or of the scripted resets.
    #[arg(long)]
    seed: Option<u64>,
    /// CPU threads for tensor math.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

#[derive(Args)]
struct SummarizeArgs {
    /// Run directories (e.g. `runs/compare/*`).
    #[arg(required = true)]
    run_dirs: Vec<PathBuf>,
    /// Score each run by the mean of its last this many evaluations.
    #[arg(long, default_value_t = 1)]
    last: usize,
    /// Also write the per-run scores and the per-method table to this CSV file.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also draw each method's meta-test curves (mean over seeds, 95 % CI band) into this PNG
    /// (and the SVG beside it).
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(Args)]
struct BenchEnvArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    /// Number of envs stepped together.
    #[arg(long, default_value_t = 1)]
    envs: usize,
    /// Worker threads (default: 1 for one env, else the number of cores, at most --envs).
    #[arg(long)]
    threads: Option<usize>,
    /// Total env steps (over all envs).
    #[arg(long, default_value_t = 20_000)]
    steps: usize,
    /// Episode length in control steps (overrides env.horizon).
    #[arg(long, default_value_t = 1000)]
    horizon: usize,
    /// Seed of actions and resets.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

fn positive_minutes(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(m) if m > 0.0 && m.is_finite() => Ok(m),
        _ => Err(format!("`{s}` is not a positive number of minutes")),
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(a) => {
            drat::train::set_threads(a.threads)?;
            let opts = run::RunOptions {
                resume: a.resume.is_some(),
                progress: !a.quiet,
                stop_after: None,
                time_budget_s: a.minutes.map(|m| m * 60.0),
            };
            let (cfg, out) = match &a.resume {
                Some(dir) => (run::run_config(dir)?, dir.clone()),
                None => {
                    let cfg = a.cfg.resolve()?;
                    let out = a
                        .out
                        .clone()
                        .unwrap_or_else(|| PathBuf::from("runs").join(run::default_run_name(&cfg)));
                    (cfg, out)
                }
            };
            let s = run::train(&cfg, &out, &opts)?;
            let pct = |x: f32| format!("{:.0} %", 100.0 * x);
            println!("run: {}", s.dir.display());
            println!(
                "iterations {} · env steps {} · {:.0} s",
                s.iterations, s.env_steps, s.wall_s
            );
            if let Some(u) = &s.untrained {
                println!(
                    "meta-test before training: success {} · return {:.2}",
                    pct(u.success),
                    u.ret
                );
            }
            if let Some(e) = &s.last_test {
                println!(
                    "meta-test after training:  success {} · return {:.2} (best success {})",
                    pct(e.success),
                    e.ret,
                    pct(s.best_test_success)
                );
            }
            println!(
                "open: {}/plots/learning_curves.png · {}/metrics.csv",
                s.dir.display(),
                s.dir.display()
            );
            Ok(())
        }
        Command::Eval(a) => {
            drat::train::set_threads(a.threads)?;
            let trained = run::run_config(&a.run_dir)?;
            for set in &a.sets {
                let one = run::run_config_with(&a.run_dir, std::slice::from_ref(set))?;
                if !only_meta_test_differs(&trained, &one) {
                    bail!("--set {set}: eval can change only meta-test settings ([eval], tasks.n_test), not what was trained");
                }
            }
            let cfg = run::run_config_with(&a.run_dir, &a.sets)?;
            let mut t = Trainer::new(&cfg)?;
            let ck = checkpoint::latest(&a.run_dir)?;
            checkpoint::load(&mut t, &ck)?;
            let n = a
                .tasks
                .unwrap_or(t.tasks.test.len())
                .min(t.tasks.test.len());
            let tasks = t.tasks.test[..n].to_vec();
            let (r, e) = drat::replay::meta_test(&mut t, &tasks, a.seed, false)?;
            let records: Vec<_> = r.tasks.iter().filter_map(|t| t.eval.clone()).collect();
            let png = a.run_dir.join("plots").join("trajectories.png");
            drat::replay::trajectories_png(&r, &png)?;
            if let Some(path) = &a.per_task {
                write_per_task(path, &records)?;
            }
            if a.json {
                println!("{}", serde_json::to_string(&e)?);
            } else {
                println!(
                    "{}: iteration {} · {n} test tasks · success {:.0} % (goal found while exploring: {:.0} %) · return {:.2} · goal term {:.2} · ctrl term {:.2}",
                    a.run_dir.display(), t.state.iteration, 100.0 * e.success, 100.0 * e.explore_success, e.ret, e.goal_reward, e.ctrl_reward
                );
                println!("trajectories: {}", png.display());
            }
            Ok(())
        }
        Command::Replay(a) => replay(a),
        Command::Summarize(a) => summarize(a),
        Command::Grid(a) => grid(a),
        Command::Ablate(a) => ablate(a),
        Command::Merge(a) => {
            let dirs: Vec<&std::path::Path> = a.dirs.iter().map(PathBuf::as_path).collect();
            let out = a.out.clone().unwrap_or_else(|| a.dirs[0].clone());
            let cells = drat::grid::merge(&dirs, &out)?;
            print_cells(&cells);
            println!(
                "merged {} director(ies) into {}: summary.md, results.csv, curves.png",
                dirs.len(),
                out.display()
            );
            Ok(())
        }
        Command::Diagnose {
            what: DiagnoseCmd::Transfer(a),
        } => diagnose_transfer(a),
        Command::Bench {
            what: BenchCmd::Env(a),
        } => bench_env(a),
        Command::Bench {
            what: BenchCmd::Collect(a),
        } => {
            if a.threads == 0 || a.iterations == 0 {
                bail!("--threads and --iterations must be ≥ 1");
            }
            let cfg = a.cfg.resolve()?;
            drat::train::set_threads(a.threads)?;
            let speed = drat::train::trainer::collection_speed;
            let one = speed(&cfg, 1, a.iterations)?;
            let many = speed(&cfg, a.threads, a.iterations)?;
            if a.json {
                let j = serde_json::json!({"robot": cfg.env.robot.to_string(), "threads": a.threads,
                    "env_steps_per_s_1": one, "env_steps_per_s_n": many, "ratio": many / one});
                println!("{j}");
            } else {
                println!(
                    "{} collection: {one:.0} env steps/s with 1 thread, {many:.0} with {} ({:.2}×)",
                    cfg.env.robot,
                    a.threads,
                    many / one
                );
            }
            Ok(())
        }
        Command::Bench {
            what: BenchCmd::Update(a),
        } => bench_update(a),
        Command::Config {
            what: ConfigCmd::Show { cfg },
        } => {
            print!("{}", cfg.resolve()?.to_toml_string());
            Ok(())
        }
        Command::Config {
            what: ConfigCmd::Check { file, sets },
        } => {
            Config::load(&file, &sets)?;
            println!("ok: {}", file.display());
            Ok(())
        }
        Command::Check { cfg, steps } => {
            let cfg = cfg.resolve()?;
            let maker = EnvMaker::new(&cfg)?;
            let tasks = maker.task_set()?;
            let mut env = maker.make(tasks.train[0].clone())?;
            let problems = check_env(env.as_mut(), 0, steps);
            if let Some(m) = maker.robot() {
                println!(
                    "{}: {} bodies, {} actuated joints",
                    m.name,
                    m.links.len() - usize::from(m.root_is_world()),
                    m.actuated_joints().len()
                );
                for note in &m.notes {
                    println!("  note: {note}");
                }
            }
            if problems.is_empty() {
                println!(
                    "ok: {} passes the env checker ({} obs, {} actions, {steps} steps)",
                    cfg.env.robot,
                    env.observation_space().dim(),
                    env.action_space().dim()
                );
                Ok(())
            } else {
                bail!(
                    "{} problem(s):\n  {}",
                    problems.len(),
                    problems.join("\n  ")
                )
            }
        }
    }
}

fn print_cells(cells: &[drat::grid::results::CellStats]) {
    for c in cells {
        let paired: String = c
            .paired
            .iter()
            .map(|p| {
                format!(
                    " · Δ vs {} {:+.1} ± {:.1} % (n = {})",
                    p.baseline,
                    100.0 * p.success.0,
                    100.0 * p.success.1,
                    p.n
                )
            })
            .collect();
        println!(
            "  {:<40} runs {:>2} · failed {} · success {:.1} ± {:.1} %{paired}",
            c.cell,
            c.n,
            c.failed,
            100.0 * c.success.0,
            100.0 * c.success.1
        );
    }
}

fn ablate(a: AblateArgs) -> Result<()> {
    use drat::grid::ablate::{measure, write_outputs, Ablation, DEFAULT_ABLATION};
    let (path, text) = match &a.file {
        Some(p) => (
            p.clone(),
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        ),
        None => (
            PathBuf::from("assets/configs/ablate.toml"),
            DEFAULT_ABLATION.to_string(),
        ),
    };
    let ab = Ablation::parse(&path, &text)?;
    // Speeds are one env on one thread; a training run uses one thread too.
    drat::train::set_threads(1)?;
    let n = ab.levels.len();
    let mut figs = Vec::with_capacity(n);
    for (k, level) in ab.levels.iter().enumerate() {
        let mut f = measure(level, ab.steps, ab.seconds)?;
        if let Some(m) = a.train {
            let slug: String = format!("{}-{}", level.factor, level.label)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let dir = a.out.join("train").join(slug);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("clearing {}", dir.display()))?;
            }
            let opts = run::RunOptions {
                time_budget_s: Some(m * 60.0),
                ..run::RunOptions::default()
            };
            let s = run::train(&level.config, &dir, &opts)?;
            f.train_success = s.last_test.as_ref().map(|e| e.success as f64);
            f.train_return = s.last_test.as_ref().map(|e| e.ret as f64);
        }
        println!(
            "[{}/{n}] {} · {} · {:.0} steps/s · {:.1} blow-ups/1e5 · gait divergence {:.1} cm",
            k + 1,
            f.factor,
            f.level,
            f.steps_per_s,
            f.blowups_per_1e5,
            100.0 * f.gait_divergence_m
        );
        figs.push(f);
    }
    let title = format!("Physics ablation ({})", path.display());
    write_outputs(&a.out, &figs, &title)?;
    print!("{}", drat::grid::ablate::markdown(&figs, &title));
    println!(
        "wrote {}/ablation.md, ablation.csv and one plot per factor",
        a.out.display()
    );
    Ok(())
}

fn grid(a: GridArgs) -> Result<()> {
    use drat::grid::{runner, slurm_script, spec::Grid, SlurmOptions};
    let g = Grid::load(&a.grid)?;
    let out = match &a.out {
        Some(o) => o.clone(),
        None => a.grid.parent().map(PathBuf::from).unwrap_or_default(),
    };
    let exe = std::env::current_exe().context("locating the drat binary")?;
    let states = runner::states(&g, &out)?;
    if a.dry_run {
        println!(
            "{}: {} runs into {}",
            a.grid.display(),
            g.runs.len(),
            out.display()
        );
        for (r, s) in g.runs.iter().zip(&states) {
            let sets: Vec<String> = r
                .values
                .iter()
                .map(|(k, v)| format!("{k}={}", drat::grid::spec::plain(v)))
                .collect();
            println!(
                "  {:>3}  {:<7} {:<40} {}",
                r.index,
                format!("{s:?}").to_lowercase(),
                r.id,
                sets.join(" ")
            );
        }
        return Ok(());
    }
    if a.slurm {
        let pending: Vec<usize> = g
            .runs
            .iter()
            .zip(&states)
            .filter(|(_, s)| **s != runner::State::Done)
            .map(|(r, _)| r.index)
            .collect();
        let slurm = SlurmOptions {
            partition: a.partition.clone(),
            time: a.time.clone(),
            cpus_per_task: a.cpus_per_task,
        };
        let script = slurm_script(&g, &out, &exe, &pending, &slurm)?;
        std::fs::create_dir_all(out.join("slurm"))
            .with_context(|| format!("creating {}", out.join("slurm").display()))?;
        let path = out.join("slurm.sh");
        drat::report::write_atomic(&path, script.as_bytes())?;
        println!("wrote {} ({} array tasks)", path.display(), pending.len());
        if a.submit {
            let o = std::process::Command::new("sbatch")
                .arg(&path)
                .output()
                .context("running sbatch (is Slurm installed?)")?;
            if !o.status.success() {
                bail!(
                    "sbatch {} failed: {}",
                    path.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                );
            }
            print!("{}", String::from_utf8_lossy(&o.stdout));
            println!("watch: squeue --me · then: drat merge {}", out.display());
        }
        return Ok(());
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

fn bench_update(a: BenchUpdateArgs) -> Result<()> {
    use drat::agent::bench::{time_update, Update, Workload};
    drat::train::set_threads(a.threads)?;
    let which = if a.reference {
        Update::Reference
    } else {
        Update::Fused
    };
    let only = a.only.as_deref();
    let time = |w: Workload, name: &str| -> Result<Option<_>> {
        Ok(match only {
            Some(o) if o != name => None,
            _ => Some(time_update(w, which)?),
        })
    };
    let (sac, pearl) = (time(Workload::Sac, "sac")?, time(Workload::Pearl, "pearl")?);
    let update = if a.reference { "reference" } else { "fused" };
    if a.json {
        let mut j = serde_json::json!({"threads": a.threads, "update": update});
        for (key, t) in [("sac", &sac), ("pearl", &pearl)] {
            let Some(t) = t else { continue };
            j[format!("{key}_ms")] = t.ms.into();
            j[format!("{key}_gflop")] = t.gflop.into();
            j[format!("{key}_gflops")] = t.gflops().into();
            j[format!("{key}_gemm_gflops")] = t.gemm_gflops.into();
            j[format!("{key}_matmul_share")] = t.matmul_share().into();
        }
        println!("{j}");
        return Ok(());
    }
    println!("{update} update on {} thread(s):", a.threads);
    for (name, t) in [("SAC", &sac), ("PEARL", &pearl)] {
        let Some(t) = t else { continue };
        if a.reference {
            println!("  {name:<5} {:>8.2} ms", t.ms);
        } else {
            println!(
                "  {name:<5} {:>8.2} ms · {:.3} GFLOP of matmuls · {:.1} GFLOP/s · a lone matmul \
                 of its main shape runs at {:.1} GFLOP/s, so matmuls are {:.0} % of the time",
                t.ms,
                t.gflop,
                t.gflops(),
                t.gemm_gflops,
                100.0 * t.matmul_share()
            );
        }
    }
    Ok(())
}

fn bench_env(a: BenchEnvArgs) -> Result<()> {
    if a.envs == 0 {
        bail!("--envs must be ≥ 1");
    }
    if a.steps == 0 {
        bail!("--steps must be ≥ 1");
    }
    let mut cfg = a.cfg.resolve()?;
    cfg.env.horizon = a.horizon;
    cfg.validate().context("--horizon")?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = a
        .threads
        .unwrap_or(if a.envs == 1 { 1 } else { cores.min(a.envs) });
    if threads == 0 {
        bail!("--threads must be ≥ 1");
    }
    let maker = EnvMaker::new(&cfg)?;
    let tasks = maker.task_set()?;
    let envs = (0..a.envs)
        .map(|k| maker.make(tasks.train[k % tasks.train.len()].clone()))
        .collect::<drat::Result<Vec<_>>>()?;
    let mut venv = VecEnv::new(envs, threads, a.seed)?;
    let ad = venv.act_dim();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(a.seed);
    let mut actions = vec![0.0f32; a.envs * ad];
    let rounds = a.steps.div_ceil(a.envs);
    let t0 = Instant::now();
    venv.reset()?;
    let (mut episodes, mut blowups, mut terminated) = (0u64, 0u64, 0u64);
    for _ in 0..rounds {
        for x in actions.iter_mut() {
            *x = rng.random_range(-1.0..=1.0);
        }
        for s in venv.step(&actions)? {
            if s.reset.is_some() {
                episodes += 1;
            }
            blowups += u64::from(s.step.info.blowup);
            terminated += u64::from(s.step.terminated);
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let total = rounds * a.envs;
    let sps = total as f64 / secs;
    let det = cfg!(feature = "enhanced-determinism");
    if a.json {
        let j = serde_json::json!({
            "robot": cfg.env.robot.to_string(), "envs": a.envs, "threads": threads, "steps": total,
            "horizon": a.horizon, "seconds": secs, "env_steps_per_s": sps,
            "episodes_ended": episodes, "terminated": terminated, "blowups": blowups,
            "dt_s": cfg.env.dt_s, "substeps": cfg.env.substeps,
            "solver_iterations": cfg.env.solver_iterations, "enhanced_determinism": det,
        });
        println!("{j}");
    } else {
        println!(
            "{}: {sps:.0} env steps/s ({} envs, {threads} thread(s), {total} steps in {secs:.2} s, \
             horizon {}, control {} × {} s, {episodes} episodes ended, {terminated} falls, \
             {blowups} blow-ups{})",
            cfg.env.robot,
            a.envs,
            a.horizon,
            cfg.env.substeps,
            cfg.env.dt_s,
            if det { ", enhanced-determinism" } else { "" }
        );
    }
    Ok(())
}

/// Whether `changed` differs from `trained` only in meta-test settings (`[eval]` and the
/// number of held-out tasks), compared as typed configs.
fn only_meta_test_differs(trained: &Config, changed: &Config) -> bool {
    let mut c = changed.clone();
    c.eval = trained.eval.clone();
    c.tasks.n_test = trained.tasks.n_test;
    c == *trained
}

/// `drat eval --per-task FILE`: one CSV row per test task, written atomically.
fn write_per_task(
    path: &std::path::Path,
    records: &[drat::train::meta_test::TaskEval],
) -> Result<()> {
    let mut csv = String::from(
        "task,goal_x,goal_y,goal_angle_deg,found_at_episode,context_steps,context_rewarded,success,return\n",
    );
    for r in records {
        let angle = r.goal[1].atan2(r.goal[0]).to_degrees();
        let found = r.found_at.map_or(String::new(), |e| e.to_string());
        csv.push_str(&format!(
            "{},{},{},{:.1},{found},{},{},{},{}\n",
            r.task,
            r.goal[0],
            r.goal[1],
            angle,
            r.context_steps,
            r.context_rewarded,
            r.success,
            r.ret
        ));
    }
    drat::report::write_atomic(path, csv.as_bytes())
        .with_context(|| format!("--per-task {}", path.display()))
}

fn replay(a: ReplayArgs) -> Result<()> {
    use drat::replay::{self, Scripted};
    drat::train::set_threads(a.threads)?;
    if a.episodes == 0 {
        bail!("--episodes must be ≥ 1");
    }
    let (page, replay) = match &a.run_dir {
        Some(dir) => {
            let cfg = run::run_config(dir)?;
            let mut t = Trainer::new(&cfg)?;
            let ck = checkpoint::latest(dir)?;
            checkpoint::load(&mut t, &ck)?;
            let tasks = replay::pick_tasks(&t.tasks.test, a.task, a.tasks)?;
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
            let tasks = replay::pick_tasks(&set.test, a.task, a.tasks)?;
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
fn trajectories_path(page: &std::path::Path, in_run_dir: bool) -> PathBuf {
    let dir = page.parent().unwrap_or(std::path::Path::new("."));
    if in_run_dir {
        return dir.join("plots").join("trajectories.png");
    }
    let stem = page
        .file_stem()
        .map_or("replay".into(), |s| s.to_string_lossy());
    dir.join(format!("{stem}-trajectories.png"))
}

/// Writes the page and the picture and says where they are.
fn write_replay(
    r: &drat::replay::Replay,
    page: &std::path::Path,
    png: &std::path::Path,
) -> Result<()> {
    let bytes = drat::replay::page::write(r, page)?;
    drat::replay::trajectories_png(r, png)?;
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

fn summarize(a: SummarizeArgs) -> Result<()> {
    use drat::report::summary::{eval_curve, group, method_curves, score};
    // Each run directory is read once; scores and curves come from the same rows.
    let runs = a
        .run_dirs
        .iter()
        .map(|d| eval_curve(d).map(|(m, seed, c)| (d, m, seed, c)))
        .collect::<drat::error::Result<Vec<_>>>()?;
    let scores = runs
        .iter()
        .map(|(d, m, seed, c)| score(d, m, *seed, c, a.last))
        .collect::<drat::error::Result<Vec<_>>>()?;
    println!("run,method,seed,iteration,success,return");
    let mut csv =
        String::from("kind,name,n_or_seed,iteration,success,success_ci95,return,return_ci95\n");
    for s in &scores {
        println!(
            "{},{},{},{},{:.3},{:.3}",
            s.dir.display(),
            s.method,
            s.seed,
            s.iteration,
            s.success,
            s.ret
        );
        csv.push_str(&format!(
            "run,{},{},{},{},,{},\n",
            s.dir.display(),
            s.seed,
            s.iteration,
            s.success,
            s.ret
        ));
    }
    let groups = group(&scores);
    println!(
        "\nmeta-test, mean of the last {} evaluation(s) per run; ± is the 95 % CI over runs (t)",
        a.last
    );
    println!(
        "{:<12} {:>3}  {:>18}  {:>18}",
        "method", "n", "success", "return"
    );
    for g in &groups {
        println!(
            "{:<12} {:>3}  {:>8.3} ± {:<7.3}  {:>8.2} ± {:<7.2}",
            g.method, g.n, g.success.0, g.success.1, g.ret.0, g.ret.1
        );
        csv.push_str(&format!(
            "method,{},{},,{},{},{},{}\n",
            g.method, g.n, g.success.0, g.success.1, g.ret.0, g.ret.1
        ));
    }
    if let Some(path) = &a.csv {
        drat::report::write_atomic(path, csv.as_bytes())?;
        println!("wrote {}", path.display());
    }
    if let Some(png) = &a.plot {
        let by_method: Vec<_> = runs.into_iter().map(|(_, m, _, c)| (m, c)).collect();
        let curves = method_curves(&by_method);
        drat::report::plots::comparison(&curves, png, "meta-test by method (mean ± 95 % CI)")?;
        println!("wrote {} and .svg", png.display());
    }
    Ok(())
}

fn diagnose_transfer(a: DiagnoseArgs) -> Result<()> {
    use drat::transfer::diagnose::{self, bucket, error_stats, Sample, ESTIMATES};
    drat::train::set_threads(a.threads)?;
    if a.rows == 0 || a.rollouts == 0 {
        bail!("--rows and --rollouts must be ≥ 1");
    }
    let cfg = run::run_config(&a.run_dir)?;
    let mut t = Trainer::new(&cfg)?;
    checkpoint::load(&mut t, &checkpoint::latest(&a.run_dir)?)?;
    let settings = diagnose::Settings {
        rows: a.rows,
        rollouts: a.rollouts,
    };
    let mut rng = rand_pcg::Pcg64::seed_from_u64(a.seed);
    let (view, moved) = t.view();
    let diagnosis = diagnose::diagnose(&view, moved, settings, &mut rng)?;
    let samples = diagnosis.samples;
    let out = a.out.unwrap_or_else(|| a.run_dir.join("diagnose"));
    std::fs::create_dir_all(&out).with_context(|| format!("--out {}", out.display()))?;
    let mut csv = String::from("source,target,mass_shift,friction_shift,truth");
    for e in ESTIMATES {
        csv.push_str(&format!(",{}", e.replace(' ', "_")));
    }
    csv.push('\n');
    for s in &samples {
        csv.push_str(&format!(
            "{},{},{},{},{}",
            s.tasks.0, s.tasks.1, s.mass_shift, s.friction_shift, s.truth
        ));
        for e in s.estimates {
            csv.push_str(&format!(",{e}"));
        }
        csv.push('\n');
    }
    drat::report::write_atomic(&out.join("samples.csv"), csv.as_bytes())?;
    let mut table = String::from("shift,bucket,estimate,n,bias,rmse\n");
    println!(
        "{}: iteration {} · {} moved rows × {} rollouts · mean Monte-Carlo value {:.3}",
        a.run_dir.display(),
        t.state.iteration,
        samples.len(),
        a.rollouts,
        samples.iter().map(|s| s.truth as f64).sum::<f64>() / samples.len() as f64
    );
    type Shift = fn(&Sample) -> f32;
    let shifts: [(&str, Shift, [f32; 2]); 2] = [
        ("|Δ mass scale|", |s| s.mass_shift, diagnose::MASS_EDGES),
        (
            "|Δ friction|",
            |s| s.friction_shift,
            diagnose::FRICTION_EDGES,
        ),
    ];
    for (name, shift, edges) in shifts {
        let labels = [
            format!("< {}", edges[0]),
            format!("{}–{}", edges[0], edges[1]),
            format!("≥ {}", edges[1]),
        ];
        println!("\nby {name}: bias / RMSE (n)");
        print!("{:<14}", "estimate");
        for l in &labels {
            print!(" {l:>22}");
        }
        println!(" {:>22}", "all");
        let mut series = Vec::new();
        for (k, e) in ESTIMATES.iter().enumerate() {
            print!("{e:<14}");
            let mut pts = Vec::new();
            for (b, label) in labels.iter().enumerate() {
                let part: Vec<&Sample> = samples
                    .iter()
                    .filter(|s| bucket(shift(s), edges) == b)
                    .collect();
                let (n, bias, rmse) = error_stats(&part, k);
                print!(" {:>22}", format!("{bias:+.3} / {rmse:.3} ({n})"));
                table.push_str(&format!("{name},{label},{e},{n},{bias},{rmse}\n"));
                if n > 0 {
                    pts.push((b as f64, bias, rmse));
                }
            }
            let all: Vec<&Sample> = samples.iter().collect();
            let (n, bias, rmse) = error_stats(&all, k);
            println!(" {:>22}", format!("{bias:+.3} / {rmse:.3} ({n})"));
            table.push_str(&format!("{name},all,{e},{n},{bias},{rmse}\n"));
            series.push((e.to_string(), pts));
        }
        let file = if name.contains("mass") {
            "by_mass.png"
        } else {
            "by_friction.png"
        };
        let x_desc = format!(
            "{name} bucket: 0 = {}, 1 = {}, 2 = {}",
            labels[0], labels[1], labels[2]
        );
        drat::report::plots::estimate_errors(
            &series,
            &x_desc,
            &out.join(file),
            &format!(
                "transfer estimates vs Monte-Carlo values · {}",
                a.run_dir.display()
            ),
        )?;
    }
    let own = &diagnosis.own;
    let n = own.len().max(1) as f64;
    let bias = own.iter().map(|(e, v)| (e - v) as f64).sum::<f64>() / n;
    let rmse = (own
        .iter()
        .map(|(e, v)| ((e - v) as f64).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    println!(
        "\ncontrol, the critic on the tasks' own data (no transfer): bias {bias:+.3} / RMSE {rmse:.3} ({})",
        own.len()
    );
    table.push_str(&format!(
        "none,own data,critic,{},{bias},{rmse}\n",
        own.len()
    ));
    drat::report::write_atomic(&out.join("summary.csv"), table.as_bytes())?;
    println!(
        "\nwrote {0}/samples.csv, {0}/summary.csv, {0}/by_mass.png, {0}/by_friction.png",
        out.display()
    );
    Ok(())
}
