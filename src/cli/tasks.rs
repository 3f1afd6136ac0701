//! `drat tasks`: the named benchmark presets (`--task NAME`) and the reference code each
//! follows; `drat tasks NAME` prints a preset's whole config file.

use clap::Args as ClapArgs;

use crate::config::presets::{task_preset, TASK_PRESETS};
use crate::error::Result;

/// Arguments of `drat tasks`.
#[derive(ClapArgs)]
pub struct Args {
    /// Print this preset's config file (its header cites the reference code).
    pub name: Option<String>,
}

/// Runs `drat tasks`.
pub fn run(a: Args) -> Result<()> {
    if let Some(name) = &a.name {
        print!("{}", task_preset(name)?.toml);
        return Ok(());
    }
    for p in TASK_PRESETS {
        println!("{}\n  source: {}\n  {}", p.name, p.source, p.summary);
    }
    println!("\nuse: drat train --task NAME [--set key=value]; drat tasks NAME prints its config");
    Ok(())
}
