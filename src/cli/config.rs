//! `drat config show` and `drat config check`: the resolved config as TOML, or a file checked.

use std::path::PathBuf;

use crate::error::Result;
use clap::Subcommand;

use super::ConfigArgs;
use crate::config::Config;

/// The `drat config` subcommands.
#[derive(Subcommand)]
pub enum Command {
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

/// Runs `drat config …`.
pub fn run(c: Command) -> Result<()> {
    match c {
        Command::Show { cfg } => {
            print!("{}", cfg.resolve()?.to_toml_string());
        }
        Command::Check { file, sets } => {
            Config::load(&file, &sets)?;
            println!("ok: {}", file.display());
        }
    }
    Ok(())
}
