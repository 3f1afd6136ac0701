//! The `drat` command line: it parses the arguments and hands each command to its module in
//! `drat::cli`, where its flags are documented and what it prints is written.
//! Run `drat --help` or `drat <command> --help` for every flag.

use clap::{Parser, Subcommand};
use drat::cli;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        what: cli::bench::Command,
    },
    /// Show or check configs.
    Config {
        #[command(subcommand)]
        what: cli::config::Command,
    },
    /// Meta-train an agent; writes a run directory (config, metrics, checkpoints, plots).
    Train(cli::train::Args),
    /// Meta-test a trained run on its held-out test tasks; also draws the episodes' paths
    /// (first 12 tasks) into RUN_DIR/plots/trajectories.png.
    Eval(cli::eval::Args),
    /// See what the robot does: one self-contained HTML page (3-D view, top view, controls,
    /// task info) of a run's meta-test episodes, or of a fixed trot or random actions
    /// (`--trot`, `--random`: no run needed), plus the trajectories picture beside it.
    Replay(cli::replay::Args),
    /// Compare finished runs: meta-test success and return per method (sac, pearl, htr, hfr,
    /// drae, …) with 95 % confidence intervals over seeds (the grid's tables, for plain runs).
    Summarize(cli::summarize::Args),
    /// Run an experiment grid (a base config × axes × seeds): `--jobs N` runs at a time,
    /// finished runs skipped, interrupted ones resumed; per-run records, results.csv,
    /// summary.md/.csv, curves.png, final.png. `--slurm` writes (and `--submit` submits) a
    /// Slurm job array instead.
    Grid(cli::grid::GridArgs),
    /// Gather the records of grid directories (machines, array tasks) or plain run
    /// directories into one and regenerate its tables and figures.
    Merge(cli::grid::MergeArgs),
    /// Physics ablation: one factor at a time (substeps and dt, solver iterations, damping
    /// and armature, dynamics ranges, goal radius, control period); per level env steps/s,
    /// blow-ups, penetration, joint-limit excursions, passive-drop energy gain, gait
    /// divergence from a 4× finer dt, and with --train a short run's meta-test figures.
    Ablate(cli::ablate::Args),
    /// Check what a trained run learns from: `drat diagnose transfer RUN_DIR`.
    Diagnose {
        #[command(subcommand)]
        what: cli::diagnose::Command,
    },
    /// Run the env checker (spaces, reset/step contract, finiteness, determinism) on a robot.
    Check(cli::check::Args),
    /// List the field's benchmarks as named presets (`--task NAME`) with their reference code.
    Tasks(cli::tasks::Args),
}

fn main() {
    let result = match Cli::parse().command {
        Command::Bench { what } => cli::bench::run(what),
        Command::Config { what } => cli::config::run(what),
        Command::Train(a) => cli::train::run(a),
        Command::Eval(a) => cli::eval::run(a),
        Command::Replay(a) => cli::replay::run(a),
        Command::Summarize(a) => cli::summarize::run(a),
        Command::Grid(a) => cli::grid::run(a),
        Command::Merge(a) => cli::grid::merge(a),
        Command::Ablate(a) => cli::ablate::run(a),
        Command::Diagnose { what } => cli::diagnose::run(what),
        Command::Check(a) => cli::check::run(a),
        Command::Tasks(a) => cli::tasks::run(a),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}
