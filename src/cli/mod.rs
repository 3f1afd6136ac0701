//! The command line's front end: one file per `drat` command, holding its arguments (clap;
//! their doc comments are the `--help` text) and what it prints. The work itself is done by
//! the library's other modules; `src/bin/drat/main.rs` only parses and dispatches. Errors are
//! `drat::Error`s that name the flag, file or field.

pub mod ablate;
pub mod bench;
pub mod check;
pub mod config;
pub mod diagnose;
pub mod eval;
pub mod grid;
pub mod replay;
pub mod summarize;
pub mod tasks;
pub mod train;

use crate::error::Result;
use clap::Args;

use crate::config::Config;

/// Where the config comes from: a robot's embedded default, a file, and `--set` overrides.
#[derive(Args, Clone)]
pub struct ConfigArgs {
    /// Robot whose default config is used: quadruped, runner, a1, ant, half_cheetah, point, or a
    /// .urdf or MJCF .xml path.
    #[arg(long, default_value = "quadruped")]
    pub robot: String,
    /// A TOML config file (merged over the default of its `env.robot`; overrides --robot).
    #[arg(long, conflicts_with = "task")]
    pub config: Option<std::path::PathBuf>,
    /// A named benchmark of the field, as its reference code defines it (`drat tasks` lists
    /// them): its whole config, reference meta-test included; overrides --robot.
    #[arg(long)]
    pub task: Option<String>,
    /// Dynamics shift layered on the task: `none` (nominal dynamics), `mass-friction`
    /// (drat's per-body mass and friction ranges, `tasks.dynamics`) or `rand-params` (PEARL's
    /// Walker/Hopper-Rand-Params family); applied before the --set overrides.
    #[arg(long, value_name = "none|mass-friction|rand-params")]
    pub shift: Option<String>,
    /// Override a field: `--set env.substeps=5` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

impl ConfigArgs {
    /// The config these arguments name.
    pub fn resolve(&self) -> Result<Config> {
        let mut sets = match &self.shift {
            Some(s) => crate::config::presets::shift_sets(s)?,
            None => Vec::new(),
        };
        sets.extend(self.sets.iter().cloned());
        if let Some(name) = &self.task {
            return Config::for_task(name, &sets);
        }
        Ok(match &self.config {
            Some(path) => Config::load(path, &sets)?,
            None => {
                let robot = format!("[env]\nrobot = {:?}\n", self.robot);
                Config::from_toml_str_with_sets(&robot, "--robot", &sets)?
            }
        })
    }
}

/// A `--minutes` value: a positive, finite number.
pub fn positive_minutes(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(m) if m > 0.0 && m.is_finite() => Ok(m),
        _ => Err(format!("`{s}` is not a positive number of minutes")),
    }
}

/// Prints a grid's per-cell table (success with 95 % CI, paired differences).
pub fn print_cells(cells: &[crate::grid::results::CellStats]) {
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
